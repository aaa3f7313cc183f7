//! `cargo xtask public-api`: what kore-clients' public API names, read from
//! its rustdoc JSON.
//!
//! cargo-semver-checks compares a crate's own items; it does not follow a
//! re-export of another crate's item, nor look at which crates a signature
//! names. This module does both. It walks every public item reachable from
//! the crate root — re-exports, modules, fields, variants, functions and
//! their signatures, impls (inherent and trait), associated items, generics
//! and bounds — and reports each one that names an item of a crate
//! kore-clients must not expose ([`GENERATED_CRATES`]).
//!
//! The walk reads the JSON as a plain [`serde_json::Value`] rather than
//! rustdoc's typed format, whose version changes every few Rust releases.
//! It relies on what has held since rustdoc first wrote JSON: the top-level
//! `root`, `index`, `paths` and `external_crates`; each item's `crate_id`,
//! `name`, `visibility` and `inner`; and references to other items as ids
//! (numbers, or strings like `0:12:345` in old formats) that are keys of
//! `index` or `paths`. Every id anywhere inside an item's `inner` is a
//! reference from that item, whatever member holds it, so a signature, a
//! bound or an associated type is covered without knowing its shape. An
//! item's documentation links (`links`) are not part of its API and are not
//! followed. What is shape-specific — a `use` item's name and target, an
//! impl's trait and self type — only decides how items are *named*; a
//! format change there degrades names, never what is found.
//!
//! The same walk lists the public item paths, which `cargo xtask semver`
//! compares between two versions to tell an addition from no change.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

/// Crates whose items kore-clients' public API must not name with default
/// features: the generated client, its generator, the generator's runtime
/// and the JSON-schema crate the generated types derive from. Code of a
/// user's that names one of their items breaks whenever KORE's spec or the
/// generator changes.
pub const GENERATED_CRATES: [&str; 4] = [
    "kore_clients_gen",
    "progenitor",
    "progenitor_client",
    "schemars",
];

/// What one rustdoc JSON document says about a crate's public API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Surface {
    /// The crate's name, from its root module.
    pub crate_name: String,
    /// `crate_version` of the document (Cargo's `--crate-version`), if any.
    pub crate_version: Option<String>,
    /// Every public item path: modules, types, functions, constants,
    /// re-exports, fields, variants, methods, associated items, and trait
    /// impls (as `impl Trait for Type`, their items as `<Type as Trait>::item`).
    pub items: BTreeSet<String>,
    /// Every public item that names an item of a forbidden crate, sorted.
    pub leaks: Vec<Leak>,
}

/// A public item that names an item of a forbidden crate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Leak {
    /// The public item, as a path (`kore_clients::Kore::raw`).
    pub item: String,
    /// The foreign item it names (`kore_clients_gen::Client`).
    pub names: String,
    /// Whether the item is a re-export (`pub use`) of the foreign item.
    pub reexport: bool,
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.reexport { "re-exports" } else { "names" };
        write!(f, "{} {verb} {}", self.item, self.names)
    }
}

/// Walks the public API of a rustdoc JSON document, reporting the items
/// that name an item of one of `forbidden` (crate names with underscores,
/// as rustdoc writes them).
pub fn surface(doc: &Value, forbidden: &[&str]) -> Result<Surface, String> {
    Ok(Walker::new(doc, forbidden)?.walk())
}

/// Reads and walks the rustdoc JSON file at `path`.
pub fn surface_of_file(path: &Path, forbidden: &[&str]) -> Result<Surface, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read rustdoc JSON {}: {e}", path.display()))?;
    let doc: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    surface(&doc, forbidden).map_err(|e| format!("{}: {e}", path.display()))
}

/// The key under which `index` and `paths` hold the item an id value names:
/// a number (rustdoc JSON since format 33) or a string with a colon (`0:12`,
/// older formats). Other strings (an array length, a name) are not ids.
fn id_key(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        Value::String(s) if s.contains(':') => Some(s.clone()),
        _ => None,
    }
}

/// How the second phase of the walk reached an item that has no path in
/// the module tree, which decides its path.
#[derive(Debug, Clone)]
enum Edge {
    /// A member (field, variant, impl, associated item) of the item whose
    /// members take this prefix, or a type a signature of it names.
    Member(String),
    /// An impl found by scanning the whole index.
    Scanned,
}

/// Paths deeper than this many segments are not followed: only a cycle of
/// glob re-exports gets there.
const MAX_DEPTH: usize = 64;

/// An item to walk, with the path it was reached under and the prefix its
/// members take (`<Type as Trait>` for a trait impl, else the path).
struct Reached {
    key: String,
    path: String,
    prefix: String,
}

impl Reached {
    /// An item whose members take its path as their prefix.
    fn at(key: &str, path: String) -> Self {
        Self {
            key: key.to_owned(),
            prefix: path.clone(),
            path,
        }
    }
}

/// How many `::`-separated segments a path has.
fn depth(path: &str) -> usize {
    path.matches("::").count() + 1
}

struct Walker<'a> {
    root: String,
    crate_version: Option<String>,
    index: &'a Map<String, Value>,
    paths: &'a Map<String, Value>,
    crates: Option<&'a Map<String, Value>>,
    forbidden: &'a [&'a str],
}

impl<'a> Walker<'a> {
    fn new(doc: &'a Value, forbidden: &'a [&'a str]) -> Result<Self, String> {
        let format = doc
            .get("format_version")
            .map(ToString::to_string)
            .unwrap_or_else(|| "unknown".into());
        let missing = |member: &str| {
            format!(
                "not a rustdoc JSON document (format version {format}): it has no `{member}`; \
                 `cargo xtask public-api` builds one with \
                 `cargo rustdoc -- -Z unstable-options --output-format json`"
            )
        };
        let root = doc
            .get("root")
            .and_then(id_key)
            .ok_or_else(|| missing("root"))?;
        let index = doc
            .get("index")
            .and_then(Value::as_object)
            .ok_or_else(|| missing("index"))?;
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| missing("paths"))?;
        if !index.contains_key(&root) {
            return Err(format!(
                "the root item {root} is not in the index (format version {format}); \
                 the file is truncated or not rustdoc's"
            ));
        }
        Ok(Self {
            root,
            crate_version: doc
                .get("crate_version")
                .and_then(Value::as_str)
                .map(str::to_owned),
            index,
            paths,
            crates: doc.get("external_crates").and_then(Value::as_object),
            forbidden,
        })
    }

    /// Walks the public API in two phases. First the module tree: every
    /// path a module or a `pub use` gives an item, so that an item has the
    /// paths users write, all of them, whatever order the walk meets them
    /// in. Then from each of those, the members and the signatures; an item
    /// the module tree does not reach (a type only a signature names, an
    /// impl) takes its parent's path or rustdoc's.
    fn walk(&self) -> Surface {
        let crate_name = self
            .index
            .get(&self.root)
            .and_then(|root| root.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("crate")
            .to_owned();
        let named = self.namespace(&crate_name);
        let in_tree: HashSet<String> = named.iter().map(|r| r.key.clone()).collect();
        let mut walked = in_tree.clone();
        let mut seen: HashSet<(String, String)> = named
            .iter()
            .map(|r| (r.key.clone(), r.path.clone()))
            .collect();
        let mut items = BTreeSet::new();
        let mut leaks = BTreeSet::new();
        let mut queue = VecDeque::from(named);
        // Then the local impls nothing reached, such as a foreign trait
        // implemented for a foreign type (`From<Client> for kore_clients_gen::…`).
        let mut scanned = self
            .index
            .iter()
            .filter(|(_, item)| crate_id(item) == Some(0) && is_written_impl(item))
            .map(|(key, _)| key.clone())
            .collect::<Vec<_>>()
            .into_iter();
        loop {
            let next = queue.pop_front().or_else(|| {
                let key = scanned.by_ref().find(|key| !walked.contains(key))?;
                walked.insert(key.clone());
                Some(self.reach(&key, &Edge::Scanned))
            });
            let Some(current) = next else { break };
            for child in self.visit(&current, &mut items, &mut leaks) {
                if in_tree.contains(&child) {
                    continue;
                }
                let reached = self.reach(&child, &Edge::Member(current.prefix.clone()));
                if depth(&reached.path) <= MAX_DEPTH
                    && seen.insert((child.clone(), reached.path.clone()))
                {
                    walked.insert(child);
                    queue.push_back(reached);
                }
            }
        }
        Surface {
            crate_name,
            crate_version: self.crate_version.clone(),
            items,
            leaks: leaks.into_iter().collect(),
        }
    }

    /// The module tree: every public item a module declares or a `pub use`
    /// re-exports, under each path it has, the root first.
    fn namespace(&self, crate_name: &str) -> Vec<Reached> {
        let mut named = vec![Reached::at(&self.root, crate_name.to_owned())];
        let mut seen = HashSet::from([(self.root.clone(), crate_name.to_owned())]);
        let mut modules = VecDeque::from([(self.root.clone(), crate_name.to_owned())]);
        let mut name = |key: &str, path: String, named: &mut Vec<Reached>| {
            let fresh = depth(&path) <= MAX_DEPTH && seen.insert((key.to_owned(), path.clone()));
            if fresh {
                named.push(Reached::at(key, path));
            }
            fresh
        };
        while let Some((module, path)) = modules.pop_front() {
            let Some(item) = self.index.get(&module) else {
                continue;
            };
            for child in self.references(item) {
                let Some(child_item) = self.index.get(&child).filter(|i| is_public(i)) else {
                    continue;
                };
                let inner = child_item.get("inner").unwrap_or(&Value::Null);
                let Some(import) = use_of(inner) else {
                    let own = child_item
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("_");
                    let child_path = format!("{path}::{own}");
                    if name(&child, child_path.clone(), &mut named) && self.is_local_module(&child)
                    {
                        modules.push_back((child, child_path));
                    }
                    continue;
                };
                let glob = import.get("is_glob").and_then(Value::as_bool) == Some(true);
                let target = import
                    .get("id")
                    .and_then(id_key)
                    .filter(|t| self.index.get(t).is_some_and(is_public));
                if glob {
                    // The target's members land in this module.
                    name(&child, format!("{path}::*"), &mut named);
                    if let Some(target) = target.filter(|t| self.is_local_module(t)) {
                        modules.push_back((target, path.clone()));
                    }
                    continue;
                }
                let imported = import.get("name").and_then(Value::as_str).unwrap_or("_");
                let child_path = format!("{path}::{imported}");
                name(&child, child_path.clone(), &mut named);
                if let Some(target) = target
                    && name(&target, child_path.clone(), &mut named)
                    && self.is_local_module(&target)
                {
                    modules.push_back((target, child_path));
                }
            }
        }
        named
    }

    fn is_local_module(&self, key: &str) -> bool {
        self.index.get(key).is_some_and(|item| {
            crate_id(item) == Some(0)
                && item.get("inner").is_some_and(|i| i.get("module").is_some())
        })
    }

    /// Walks one item: records its path and what it names from a forbidden
    /// crate, and returns the items it leads to that are not modules'
    /// members (those the module tree named already).
    fn visit(
        &self,
        current: &Reached,
        items: &mut BTreeSet<String>,
        leaks: &mut BTreeSet<Leak>,
    ) -> Vec<String> {
        let Some(item) = self.index.get(&current.key) else {
            return Vec::new();
        };
        if !is_public(item) {
            return Vec::new();
        }
        let path = &current.path;
        if let Some(krate) = self.foreign_crate(item) {
            // Another crate's item that rustdoc inlined here: a re-export.
            // Only the re-export is this crate's doing; what the foreign
            // item names is its own crate's business.
            items.insert(path.clone());
            if self.forbidden.contains(&krate.as_str()) {
                leaks.insert(Leak {
                    item: path.clone(),
                    names: self.describe(&current.key),
                    reexport: true,
                });
                return Vec::new();
            }
            return self
                .references(item)
                .into_iter()
                .filter(|child| {
                    self.index
                        .get(child)
                        .is_some_and(|target| !is_impl(target) || is_written_impl(target))
                })
                .collect();
        }
        let Some(inner) = item.get("inner") else {
            return Vec::new();
        };
        if let Some(import) = use_of(inner) {
            self.visit_use(path, import, items, leaks);
            return Vec::new();
        }
        if !is_inherent_impl(inner) {
            items.insert(path.clone());
        }
        if inner.get("module").is_some() {
            // Its members are the module tree's; one of a forbidden crate
            // that rustdoc inlined reports itself under its own path.
            return Vec::new();
        }
        let mut next = Vec::new();
        for reference in self.references(item) {
            if let Some(krate) = self.crate_name_of(&reference) {
                if self.forbidden.contains(&krate.as_str()) {
                    leaks.insert(Leak {
                        item: path.clone(),
                        names: self.describe(&reference),
                        reexport: false,
                    });
                }
                // Another crate's item named in a signature is not part of
                // this crate's API.
                continue;
            }
            let Some(target) = self.index.get(&reference) else {
                continue;
            };
            if is_impl(target) && !is_written_impl(target) {
                continue;
            }
            next.push(reference);
        }
        next
    }

    /// A `pub use`: the path it adds, and whether it re-exports a forbidden
    /// crate's item.
    fn visit_use(
        &self,
        path: &str,
        import: &Value,
        items: &mut BTreeSet<String>,
        leaks: &mut BTreeSet<Leak>,
    ) {
        let glob = import.get("is_glob").and_then(Value::as_bool) == Some(true);
        let target = import.get("id").and_then(id_key);
        let source = import.get("source").and_then(Value::as_str).unwrap_or("?");
        if !glob {
            items.insert(path.to_owned());
        }
        let krate = match &target {
            Some(target) => self.crate_name_of(target),
            // rustdoc could not resolve it (a macro, say): the source path
            // still names its crate.
            None => source.split("::").next().map(str::to_owned),
        };
        if let Some(krate) = krate
            && self.forbidden.contains(&krate.as_str())
        {
            leaks.insert(Leak {
                item: path.to_owned(),
                names: target.map_or_else(|| source.to_owned(), |t| self.describe(&t)),
                reexport: true,
            });
        }
    }

    /// Every id in an item's `inner`, in document order.
    fn references(&self, item: &Value) -> Vec<String> {
        let mut ids = Vec::new();
        if let Some(inner) = item.get("inner") {
            collect_ids(inner, &mut ids);
        }
        ids.retain(|id| self.index.contains_key(id) || self.paths.contains_key(id));
        ids
    }

    /// The path (and member prefix) of an item the module tree does not
    /// name, reached by `edge`.
    fn reach(&self, key: &str, edge: &Edge) -> Reached {
        let item = self.index.get(key).unwrap_or(&Value::Null);
        let name = item.get("name").and_then(Value::as_str);
        if let Some(imp) = item.get("inner").and_then(|inner| inner.get("impl")) {
            let self_type = match edge {
                Edge::Member(parent) => parent.clone(),
                Edge::Scanned => self.render_type(imp.get("for").unwrap_or(&Value::Null)),
            };
            return match imp.get("trait").filter(|t| !t.is_null()) {
                Some(tr) => {
                    let tr = self.render_path(tr);
                    Reached {
                        key: key.to_owned(),
                        path: format!("impl {tr} for {self_type}"),
                        prefix: format!("<{self_type} as {tr}>"),
                    }
                }
                None => Reached::at(key, self_type),
            };
        }
        let path = match edge {
            Edge::Member(parent) => {
                // A field, variant or associated item is its parent's; a
                // type or function a signature names has rustdoc's path.
                let own = self.paths.get(key).filter(|summary| {
                    summary.get("kind").and_then(Value::as_str) != Some("variant")
                });
                match (own.and_then(|_| self.summary_path(key)), name) {
                    (Some(path), _) => path,
                    (None, Some(name)) => format!("{parent}::{name}"),
                    (None, None) => parent.clone(),
                }
            }
            Edge::Scanned => self
                .summary_path(key)
                .or_else(|| name.map(str::to_owned))
                .unwrap_or_else(|| format!("item {key}")),
        };
        Reached::at(key, path)
    }

    /// `paths[key].path` joined with `::`, if rustdoc recorded one.
    fn summary_path(&self, key: &str) -> Option<String> {
        let segments = self.paths.get(key)?.get("path")?.as_array()?;
        let segments: Vec<&str> = segments.iter().filter_map(Value::as_str).collect();
        (!segments.is_empty()).then(|| segments.join("::"))
    }

    /// How to name a foreign item in a message: its full path, else its
    /// crate and name.
    fn describe(&self, key: &str) -> String {
        self.summary_path(key)
            .or_else(|| {
                let name = self.index.get(key)?.get("name")?.as_str()?;
                Some(format!("{}::…::{name}", self.crate_name_of(key)?))
            })
            .or_else(|| self.crate_name_of(key))
            .unwrap_or_else(|| format!("item {key}"))
    }

    /// The crate an id belongs to, by name; `None` for this crate (crate id
    /// 0) and for ids rustdoc says nothing about.
    fn crate_name_of(&self, key: &str) -> Option<String> {
        let id = self
            .index
            .get(key)
            .and_then(crate_id)
            .or_else(|| self.paths.get(key).and_then(crate_id))?;
        self.crate_name(id)
    }

    fn crate_name(&self, id: u64) -> Option<String> {
        if id == 0 {
            return None;
        }
        let known = self
            .crates
            .and_then(|crates| crates.get(&id.to_string()))
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str);
        Some(known.map_or_else(|| format!("crate #{id}"), str::to_owned))
    }

    fn foreign_crate(&self, item: &Value) -> Option<String> {
        crate_id(item).and_then(|id| self.crate_name(id))
    }

    /// A type as Rust writes it, for the paths of impls; a shape this does
    /// not know is `_`.
    fn render_type(&self, ty: &Value) -> String {
        let Some((kind, value)) = ty.as_object().and_then(|o| o.iter().next()) else {
            return "_".into();
        };
        match kind.as_str() {
            "resolved_path" => self.render_path(value),
            "primitive" | "generic" => value.as_str().unwrap_or("_").to_owned(),
            "borrowed_ref" => {
                let mutable = value.get("is_mutable").or_else(|| value.get("mutable"));
                let prefix = if mutable.and_then(Value::as_bool) == Some(true) {
                    "&mut "
                } else {
                    "&"
                };
                let ty = self.render_type(value.get("type").unwrap_or(&Value::Null));
                format!("{prefix}{ty}")
            }
            "slice" => format!("[{}]", self.render_type(value)),
            "array" => format!(
                "[{}; {}]",
                self.render_type(value.get("type").unwrap_or(&Value::Null)),
                value.get("len").and_then(Value::as_str).unwrap_or("_")
            ),
            "tuple" => {
                let parts: Vec<String> = value
                    .as_array()
                    .map(|a| a.iter().map(|t| self.render_type(t)).collect())
                    .unwrap_or_default();
                format!("({})", parts.join(", "))
            }
            _ => "_".into(),
        }
    }

    /// A path (`{"path" or "name", "id", "args"}`) with its type arguments.
    fn render_path(&self, path: &Value) -> String {
        let name = path
            .get("id")
            .and_then(id_key)
            .and_then(|key| self.summary_path(&key))
            .or_else(|| {
                path.get("path")
                    .or_else(|| path.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "_".into());
        let args: Vec<String> = path
            .get("args")
            .and_then(|a| a.get("angle_bracketed"))
            .and_then(|a| a.get("args"))
            .and_then(Value::as_array)
            .map(|args| {
                args.iter()
                    .map(|arg| match arg.get("type") {
                        Some(ty) => self.render_type(ty),
                        None => arg
                            .get("lifetime")
                            .and_then(Value::as_str)
                            .unwrap_or("_")
                            .to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if args.is_empty() {
            name
        } else {
            format!("{name}<{}>", args.join(", "))
        }
    }
}

fn crate_id(item: &Value) -> Option<u64> {
    item.get("crate_id").and_then(Value::as_u64)
}

/// Public, or `default`: the visibility of enum variants, trait items and
/// the items of a trait impl, which are as public as their parent.
fn is_public(item: &Value) -> bool {
    match item.get("visibility") {
        Some(Value::String(v)) => v == "public" || v == "default",
        None => true,
        Some(_) => false,
    }
}

fn is_impl(item: &Value) -> bool {
    item.get("inner").and_then(|i| i.get("impl")).is_some()
}

/// An impl someone wrote: not one rustdoc synthesized for an auto trait
/// (`Send`, `Sync`, …), and not a blanket impl (`impl<T> From<T> for T`)
/// that holds for every type, whatever this crate does.
fn is_written_impl(item: &Value) -> bool {
    let Some(imp) = item.get("inner").and_then(|i| i.get("impl")) else {
        return false;
    };
    let synthetic = ["is_synthetic", "synthetic"]
        .iter()
        .any(|member| imp.get(member).and_then(Value::as_bool) == Some(true));
    let blanket = imp.get("blanket_impl").is_some_and(|b| !b.is_null());
    !synthetic && !blanket
}

fn is_inherent_impl(inner: &Value) -> bool {
    inner
        .get("impl")
        .is_some_and(|imp| imp.get("trait").is_none_or(Value::is_null))
}

/// A `use` item's `{source, name, id, is_glob}` (`import` in old formats).
fn use_of(inner: &Value) -> Option<&Value> {
    inner.get("use").or_else(|| inner.get("import"))
}

/// Every id in `value`, in document order, documentation links left out.
fn collect_ids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (member, v) in map {
                if member != "links" {
                    collect_ids(v, out);
                }
            }
        }
        Value::Array(values) => {
            for v in values {
                collect_ids(v, out);
            }
        }
        other => out.extend(id_key(other)),
    }
}

/// Builds `package`'s rustdoc JSON in the workspace at `root`, with its
/// default features, into `target_dir`, and returns the file's path.
///
/// rustdoc writes JSON only behind `-Z unstable-options`; like
/// cargo-semver-checks, this sets `RUSTC_BOOTSTRAP=1` so a stable toolchain
/// accepts it. Lints are capped (`--cap-lints=allow`, as cargo-semver-checks
/// does) so that a warning never fails the check, and so that builds made
/// here and cargo-semver-checks' share the dependencies they compile in
/// `target_dir`.
pub fn build_rustdoc_json(
    root: &Path,
    package: &str,
    target_dir: &Path,
) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTFLAGS", capped_rustflags())
        .env_remove("RUSTDOCFLAGS")
        .args([
            "rustdoc",
            "--quiet",
            "--lib",
            "--package",
            package,
            "--target-dir",
        ])
        .arg(target_dir)
        .args([
            "--",
            "-Z",
            "unstable-options",
            "--output-format",
            "json",
            "--cap-lints",
            "allow",
        ])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo rustdoc -p {package} failed ({status}) in {}: the crate does not build \
             there; fix the errors above (or the baseline it was asked for)",
            root.display()
        ));
    }
    let file = target_dir
        .join("doc")
        .join(format!("{}.json", package.replace('-', "_")));
    if file.is_file() {
        Ok(file)
    } else {
        Err(format!(
            "cargo rustdoc -p {package} succeeded but wrote no {}; is this toolchain's \
             rustdoc able to write JSON (`-Z unstable-options --output-format json`)?",
            file.display()
        ))
    }
}

/// `RUSTFLAGS` with `--cap-lints=allow` appended, as cargo-semver-checks
/// sets them for its own builds.
pub fn capped_rustflags() -> String {
    match std::env::var("RUSTFLAGS") {
        Ok(flags) if !flags.trim().is_empty() => format!("{flags} --cap-lints=allow"),
        _ => "--cap-lints=allow".to_owned(),
    }
}
