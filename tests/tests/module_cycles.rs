//! No import cycles between the modules of any crate of the workspace.
//!
//! A module that uses another, directly or through a longer loop, that uses
//! it back cannot be read, tested or moved alone: the shared type belongs in
//! a lower file both use. This test maps every file under a crate's `src/`
//! to its module (following `mod` declarations from each crate root:
//! `lib.rs`, `main.rs`, `bin/*.rs`), collects the modules each one refers to,
//! and fails naming every cycle (Tarjan's strongly connected components) with
//! the file and line of each reference in it.
//!
//! A reference is a path that starts with `crate::`, `super::`, `self::` or
//! the name of a child module, in a `use` or anywhere in the code. A name
//! the target module only imports (`pub use paginate::ListClients;` in
//! `lib.rs`) counts as a reference to the module that defines it, not to the
//! one re-exporting it; a name imported from another crate is no reference.
//! Declaring a child (`mod x;`) is no reference: containment is not use.
//!
//! The crate root is a node like any other: it may use every module, and
//! none may use it back. So it declares the modules, re-exports the public
//! API and holds the crate docs; what its modules share lives below it, the
//! handle users hold included: `Kore` has a file of its own that `Clients`
//! borrows from, and `impl Kore { fn clients() }` sits in `clients.rs` (an
//! inherent impl may be in any module of its crate). `crate::Kore` in
//! `clients.rs` then counts for `kore`, the module that defines it.
//!
//! Test code is left out: an item under `#[cfg(test)]` (the `mod tests` at
//! the end of a file) may reach any module it tests without shaping the
//! layers. Inline non-test modules (`mod generated { ... }`) count as part
//! of the file around them. Only files inside the workspace are read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module, as the path from its crate root (`[]` is the root).
type Module = Vec<String>;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// One token with the line it is on.
type Spanned = (Token, usize);

/// The source with comments, strings and character literals blanked out
/// (newlines kept), so that neither a `{` in a string nor `crate::` in a doc
/// example is read as code.
fn strip(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // r"…", r#"…"#, br#"…"#: everything up to the quote and as many #.
            let open = chars[i..].iter().position(|&c| c == '"').unwrap_or(0) + i;
            let mut j = open + 1;
            while j < chars.len()
                && !(chars[j] == '"'
                    && chars[j + 1..].iter().take_while(|&&c| c == '#').count() >= hashes)
            {
                j += 1;
            }
            let end = (j + 1 + hashes).min(chars.len());
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let step = if chars[i] == '\\' { 2 } else { 1 };
                out.extend(
                    chars[i..(i + step).min(chars.len())]
                        .iter()
                        .map(|&c| blank(c)),
                );
                i += step;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            // 'x' closes at i + 2; '\n', '\'' and '\u{1b}' after the escape.
            let end = if chars[i + 1] == '\\' {
                chars[i + 3..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map_or(chars.len(), |k| i + 3 + k + 1)
            } else {
                i + 3
            };
            out.extend(std::iter::repeat_n(' ', end - i));
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// How many `#` a raw string starting at `i` has, if one does.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    let before_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if before_ident || chars.get(j) != Some(&'r') {
        return None;
    }
    let hashes = chars[j + 1..].iter().take_while(|&&c| c == '#').count();
    (chars.get(j + 1 + hashes) == Some(&'"')).then_some(hashes)
}

/// Whether the `'` at `i` opens a character literal (`'x'`, `'\n'`,
/// `'\u{1b}'`) rather than a lifetime (`'a`).
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

fn tokenize(code: &str) -> Vec<Spanned> {
    let mut tokens = Vec::new();
    for (index, line) in code.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_alphabetic() || c == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let ident: String = chars[start..i].iter().collect();
                tokens.push((Token::Ident(ident), index + 1));
                continue;
            }
            if c == ':' && chars.get(i + 1) == Some(&':') {
                tokens.push((Token::PathSep, index + 1));
                i += 2;
                continue;
            }
            if !c.is_whitespace() {
                tokens.push((Token::Punct(c), index + 1));
            }
            i += 1;
        }
    }
    tokens
}

/// What one file says about modules.
#[derive(Debug, Default)]
struct FileFacts {
    /// Child modules declared with `mod name;`.
    children: Vec<String>,
    /// Names brought in by `use`, to the path they stand for (as written).
    imports: BTreeMap<String, Vec<String>>,
    /// Every path that may name a module of the crate, as written, with its line.
    paths: Vec<(Vec<String>, usize)>,
}

fn is(token: Option<&Spanned>, expected: &Token) -> bool {
    token.is_some_and(|(t, _)| t == expected)
}

fn ident(token: Option<&Spanned>) -> Option<&str> {
    match token {
        Some((Token::Ident(name), _)) => Some(name),
        _ => None,
    }
}

/// The index after the item starting at `i`: its `;` or its `{ … }` block.
fn skip_item(tokens: &[Spanned], mut i: usize) -> usize {
    // Further attributes of the same item.
    while is(tokens.get(i), &Token::Punct('#')) {
        i = skip_group(tokens, i + 1);
    }
    let mut depth = 0usize;
    while i < tokens.len() {
        match tokens[i].0 {
            Token::Punct('(' | '[') => depth += 1,
            Token::Punct(')' | ']') => depth = depth.saturating_sub(1),
            Token::Punct(';') if depth == 0 => return i + 1,
            Token::Punct('{') if depth == 0 => return skip_group(tokens, i),
            _ => {}
        }
        i += 1;
    }
    i
}

/// The index after the bracketed group opening at `i` (`[…]`, `{…}`, `(…)`).
fn skip_group(tokens: &[Spanned], i: usize) -> usize {
    let mut depth = 0usize;
    for (k, (token, _)) in tokens.iter().enumerate().skip(i) {
        match token {
            Token::Punct('(' | '[' | '{') => depth += 1,
            Token::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

fn is_cfg_test(tokens: &[Spanned], i: usize) -> bool {
    let expected = [
        Token::Punct('#'),
        Token::Punct('['),
        Token::Ident("cfg".into()),
        Token::Punct('('),
        Token::Ident("test".into()),
        Token::Punct(')'),
        Token::Punct(']'),
    ];
    tokens.len() >= i + expected.len()
        && tokens[i..i + expected.len()]
            .iter()
            .zip(&expected)
            .all(|((t, _), e)| t == e)
}

/// Parses a use tree at `i` under `prefix`, adding each leaf to `facts`;
/// returns the index after it.
fn use_tree(tokens: &[Spanned], mut i: usize, prefix: &[String], facts: &mut FileFacts) -> usize {
    let mut path = prefix.to_vec();
    let line = tokens.get(i).map_or(0, |(_, line)| *line);
    loop {
        match tokens.get(i) {
            Some((Token::Punct('{'), _)) => {
                i += 1;
                while !is(tokens.get(i), &Token::Punct('}')) && i < tokens.len() {
                    i = use_tree(tokens, i, &path, facts);
                    if is(tokens.get(i), &Token::Punct(',')) {
                        i += 1;
                    }
                }
                return i + 1;
            }
            Some((Token::Punct('*'), _)) => {
                facts.paths.push((path, line));
                return i + 1;
            }
            Some((Token::Ident(name), _)) => {
                i += 1;
                if is(tokens.get(i), &Token::PathSep) {
                    path.push(name.clone());
                    i += 1;
                    continue;
                }
                let (target, bound) = if name == "self" {
                    (path.clone(), path.last().cloned().unwrap_or_default())
                } else {
                    path.push(name.clone());
                    (path.clone(), name.clone())
                };
                let bound = if ident(tokens.get(i)) == Some("as") {
                    i += 2;
                    ident(tokens.get(i - 1)).unwrap_or_default().to_owned()
                } else {
                    bound
                };
                facts.paths.push((target.clone(), line));
                facts.imports.insert(bound, target);
                return i;
            }
            _ => return i + 1,
        }
    }
}

fn facts_of(source: &str) -> FileFacts {
    let tokens = tokenize(&strip(source));
    let mut facts = FileFacts::default();
    let mut i = 0;
    while i < tokens.len() {
        if is_cfg_test(&tokens, i) {
            i = skip_item(&tokens, i + 7);
            continue;
        }
        match ident(tokens.get(i)) {
            Some("mod") => {
                if let (Some(name), true) = (
                    ident(tokens.get(i + 1)),
                    is(tokens.get(i + 2), &Token::Punct(';')),
                ) {
                    facts.children.push(name.to_owned());
                    i += 3;
                    continue;
                }
            }
            Some("use") => {
                i = use_tree(&tokens, i + 1, &[], &mut facts);
                continue;
            }
            Some(first) if is(tokens.get(i + 1), &Token::PathSep) => {
                let after_sep = i == 0 || !is(tokens.get(i - 1), &Token::PathSep);
                if after_sep {
                    let mut path = vec![first.to_owned()];
                    let line = tokens[i].1;
                    i += 2;
                    while let Some(next) = ident(tokens.get(i)) {
                        path.push(next.to_owned());
                        i += 1;
                        if !is(tokens.get(i), &Token::PathSep) {
                            break;
                        }
                        i += 1;
                    }
                    facts.paths.push((path, line));
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    facts
}

/// One crate root's modules: the file of each and what it says.
struct Tree {
    files: BTreeMap<Module, (String, FileFacts)>,
}

impl Tree {
    /// Follows `mod` declarations from `root`, reading files with `read`
    /// (`None`: no such file).
    fn load(root: &str, read: &dyn Fn(&str) -> Option<String>) -> Tree {
        let mut files = BTreeMap::new();
        let mut pending = vec![(Module::new(), root.to_owned())];
        while let Some((module, file)) = pending.pop() {
            let Some(source) = read(&file) else { continue };
            let facts = facts_of(&source);
            // The directory of a module's children: beside lib.rs, main.rs
            // and mod.rs; under `name/` beside `name.rs`.
            let stem = file.trim_end_matches(".rs");
            let dir = match Path::new(&file).file_name().and_then(|n| n.to_str()) {
                Some("mod.rs") => stem.trim_end_matches("mod").to_owned(),
                _ if module.is_empty() => file[..file.rfind('/').map_or(0, |k| k + 1)].to_owned(),
                _ => format!("{stem}/"),
            };
            for child in &facts.children {
                let mut path = module.clone();
                path.push(child.clone());
                let flat = format!("{dir}{child}.rs");
                let nested = format!("{dir}{child}/mod.rs");
                let file = if read(&flat).is_some() { flat } else { nested };
                pending.push((path, file));
            }
            files.insert(module, (file, facts));
        }
        Tree { files }
    }

    /// The absolute path a path written in `module` stands for, if it
    /// stays in this crate.
    fn absolute(&self, module: &Module, path: &[String]) -> Option<Vec<String>> {
        let first = path.first()?;
        let mut base = module.clone();
        let mut rest = path;
        match first.as_str() {
            "crate" => {
                base.clear();
                rest = &path[1..];
            }
            "self" => rest = &path[1..],
            "super" => {
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            name if self.files[module].1.children.iter().any(|c| c == name) => {}
            // `cli::Global` after `use crate::cli;`.
            name => {
                let imported = self.files[module].1.imports.get(name)?;
                if imported.first() == Some(first) {
                    return None;
                }
                let mut absolute = self.absolute(module, imported)?;
                absolute.extend(path[1..].iter().cloned());
                return Some(absolute);
            }
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The module that defines what `path` (absolute) names, following
    /// imports; `None` when it comes from another crate.
    fn defining_module(&self, mut path: Vec<String>) -> Option<Module> {
        for _ in 0..16 {
            let depth = (0..=path.len())
                .rev()
                .find(|&n| self.files.contains_key(&path[..n]))?;
            let module = path[..depth].to_vec();
            let Some(name) = path.get(depth) else {
                return Some(module);
            };
            let Some(imported) = self.files[&module].1.imports.get(name) else {
                return Some(module);
            };
            let mut next = self.absolute(&module, imported)?;
            next.extend(path[depth + 1..].iter().cloned());
            if next == path {
                return Some(module);
            }
            path = next;
        }
        None
    }

    /// Each module's references to other modules, with the line of the first.
    fn edges(&self) -> BTreeMap<Module, BTreeMap<Module, usize>> {
        let mut edges: BTreeMap<Module, BTreeMap<Module, usize>> = BTreeMap::new();
        for (module, (_, facts)) in &self.files {
            let out = edges.entry(module.clone()).or_default();
            for (path, line) in &facts.paths {
                let target = self
                    .absolute(module, path)
                    .and_then(|absolute| self.defining_module(absolute));
                if let Some(target) = target.filter(|t| t != module) {
                    out.entry(target).or_insert(*line);
                }
            }
        }
        edges
    }

    fn name(module: &Module) -> String {
        if module.is_empty() {
            "crate".to_owned()
        } else {
            module.join("::")
        }
    }

    /// Every cycle, one line each: `cli (src/cli.rs:12) → commands::doctor (…) → cli`.
    fn cycles(&self) -> Vec<String> {
        let edges = self.edges();
        strongly_connected(&edges)
            .into_iter()
            .filter(|component| component.len() > 1)
            .map(|component| {
                let start = component.iter().next().expect("not empty").clone();
                let mut walk = cycle_through(&edges, &component, &start);
                walk.push(start);
                let cycle = walk
                    .windows(2)
                    .map(|pair| {
                        let line = edges[&pair[0]][&pair[1]];
                        format!(
                            "{} ({}:{line})",
                            Self::name(&pair[0]),
                            self.files[&pair[0]].0
                        )
                    })
                    .chain(std::iter::once(Self::name(&walk[0])))
                    .collect::<Vec<_>>()
                    .join(" → ");
                if component.len() == walk.len() - 1 {
                    return cycle;
                }
                // More modules than the one loop shown: name them all.
                let all: Vec<String> = component.iter().map(Self::name).collect();
                format!("{cycle}, among {{{}}}", all.join(", "))
            })
            .collect()
    }
}

/// Tarjan's algorithm: the strongly connected components of `edges`.
fn strongly_connected(edges: &BTreeMap<Module, BTreeMap<Module, usize>>) -> Vec<BTreeSet<Module>> {
    struct State<'a> {
        edges: &'a BTreeMap<Module, BTreeMap<Module, usize>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        components: Vec<BTreeSet<Module>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a Module) {
        let n = state.index.len();
        state.index.insert(node, n);
        state.low.insert(node, n);
        state.stack.push(node);
        state.on_stack.insert(node);
        for next in state.edges.get(node).into_iter().flat_map(BTreeMap::keys) {
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = BTreeSet::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.insert(member.clone());
                if member == node {
                    break;
                }
            }
            state.components.push(component);
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.components
}

/// A shortest walk from `start` back to it inside `component` (without the
/// final `start`).
fn cycle_through(
    edges: &BTreeMap<Module, BTreeMap<Module, usize>>,
    component: &BTreeSet<Module>,
    start: &Module,
) -> Vec<Module> {
    let mut came_from: BTreeMap<&Module, &Module> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in edges[node].keys().filter(|n| component.contains(*n)) {
            if next == start {
                let mut walk = vec![node.clone()];
                let mut at = node;
                while at != start {
                    at = came_from[at];
                    walk.push(at.clone());
                }
                walk.reverse();
                return walk;
            }
            if !came_from.contains_key(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    vec![start.clone()]
}

/// Every crate root of the workspace: (crate directory, root file under it).
fn crate_roots(workspace: &Path) -> Vec<(PathBuf, String)> {
    let mut roots = Vec::new();
    let mut crates: Vec<PathBuf> = std::fs::read_dir(workspace)
        .expect("the workspace is readable")
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|dir| dir.join("Cargo.toml").is_file() && dir.join("src").is_dir())
        .collect();
    crates.sort();
    for dir in crates {
        let mut files = vec!["src/lib.rs".to_owned(), "src/main.rs".to_owned()];
        if let Ok(bins) = std::fs::read_dir(dir.join("src/bin")) {
            let mut bins: Vec<String> = bins
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .filter(|name| name.ends_with(".rs"))
                .map(|name| format!("src/bin/{name}"))
                .collect();
            bins.sort();
            files.extend(bins);
        }
        roots.extend(
            files
                .into_iter()
                .filter(|file| dir.join(file).is_file())
                .map(|file| (dir.clone(), file)),
        );
    }
    roots
}

#[test]
fn no_crate_has_a_module_cycle() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let roots = crate_roots(&workspace);
    assert!(
        roots.len() >= 8,
        "every crate of the workspace is checked: {roots:?}"
    );
    let mut cycles = Vec::new();
    let mut modules = 0;
    for (dir, root) in &roots {
        let tree = Tree::load(root, &|file| std::fs::read_to_string(dir.join(file)).ok());
        modules += tree.files.len();
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        cycles.extend(tree.cycles().into_iter().map(|c| format!("{name}: {c}")));
    }
    assert!(modules > 50, "only {modules} modules found");
    assert!(
        cycles.is_empty(),
        "module cycles (move what both sides share into a lower file):\n{}",
        cycles.join("\n")
    );
}

/// The cycles of a crate given as `(file, source)` pairs, rooted at `src/lib.rs`.
fn cycles_in(files: &[(&str, &str)]) -> Vec<String> {
    let files: BTreeMap<&str, &str> = files.iter().copied().collect();
    Tree::load("src/lib.rs", &|file| {
        files.get(file).map(|s| (*s).to_owned())
    })
    .cycles()
}

#[test]
fn two_files_that_use_each_other_are_a_cycle() {
    let cycles = cycles_in(&[
        ("src/lib.rs", "mod a;\nmod b;\n"),
        ("src/a.rs", "use crate::b::B;\npub struct A(B);\n"),
        (
            "src/b.rs",
            "pub struct B;\nfn a() -> crate::a::A { A(B) }\n",
        ),
    ]);
    assert_eq!(cycles, ["a (src/a.rs:1) → b (src/b.rs:2) → a"]);
}

#[test]
fn a_longer_loop_through_super_and_a_nested_module_is_a_cycle() {
    let cycles = cycles_in(&[
        ("src/lib.rs", "mod cli;\nmod commands;\nmod style;\n"),
        ("src/cli.rs", "use crate::commands::doctor::Args;\n"),
        ("src/commands/mod.rs", "pub mod doctor;\n"),
        (
            "src/commands/doctor.rs",
            "use super::super::style::paint;\n",
        ),
        ("src/style.rs", "use crate::{cli::Color, table};\n"),
    ]);
    assert_eq!(
        cycles,
        [
            "cli (src/cli.rs:1) → commands::doctor (src/commands/doctor.rs:1) → style (src/style.rs:1) → cli"
        ]
    );
}

#[test]
fn a_name_re_exported_by_the_root_counts_for_the_module_that_defines_it() {
    let defined_below = [
        (
            "src/lib.rs",
            "mod error;\nmod retry;\npub use error::Error;\n",
        ),
        ("src/error.rs", "pub enum Error {}\n"),
        ("src/retry.rs", "use crate::Error;\n"),
    ];
    assert_eq!(cycles_in(&defined_below), Vec::<String>::new());
    let back_again = [
        (
            "src/lib.rs",
            "mod error;\nmod retry;\npub use error::Error;\n",
        ),
        (
            "src/error.rs",
            "pub enum Error { Retry(crate::retry::Why) }\n",
        ),
        ("src/retry.rs", "use crate::Error;\npub struct Why;\n"),
    ];
    assert_eq!(
        cycles_in(&back_again),
        ["error (src/error.rs:1) → retry (src/retry.rs:1) → error"]
    );
}

#[test]
fn the_crate_root_is_in_a_cycle_when_a_module_uses_what_it_defines() {
    let handle_in_the_root = [
        (
            "src/lib.rs",
            "mod clients;\npub struct Kore;\nimpl Kore { fn clients(&self) -> clients::Clients { clients::Clients(self) } }\n",
        ),
        (
            "src/clients.rs",
            "pub struct Clients<'a>(&'a crate::Kore);\n",
        ),
    ];
    assert_eq!(
        cycles_in(&handle_in_the_root),
        ["crate (src/lib.rs:3) → clients (src/clients.rs:1) → crate"]
    );
    // The root only declares and re-exports; the handle has a file of its own.
    let handle_below = [
        (
            "src/lib.rs",
            "mod clients;\nmod kore;\npub use clients::Clients;\npub use kore::Kore;\n",
        ),
        ("src/kore.rs", "pub struct Kore;\n"),
        (
            "src/clients.rs",
            "use crate::Kore;\npub struct Clients<'a>(&'a Kore);\n\
             impl Kore { pub fn clients(&self) -> Clients<'_> { Clients(self) } }\n",
        ),
    ];
    assert_eq!(cycles_in(&handle_below), Vec::<String>::new());
}

#[test]
fn test_code_comments_and_strings_are_not_references() {
    let b = "/// See crate::a::A.\nconst S: &str = \"crate::a::A {\";\nconst C: char = '{';\n\
             const Q: char = '\\'';\n#[cfg(test)]\nmod tests {\n    use crate::a::A;\n}\n";
    fn files(b: &str) -> [(&str, &str); 3] {
        [
            ("src/lib.rs", "mod a;\nmod b;\n"),
            ("src/a.rs", "use crate::b::B;\n"),
            ("src/b.rs", b),
        ]
    }
    assert_eq!(cycles_in(&files(b)), Vec::<String>::new());
    // The same use outside the test module is one.
    let untested = b.replace("#[cfg(test)]", "");
    assert_eq!(
        cycles_in(&files(&untested)),
        ["a (src/a.rs:1) → b (src/b.rs:7) → a"]
    );
}
