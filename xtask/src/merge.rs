//! Merging per-operation OpenAPI fragments into one document.
//!
//! KORE publishes one complete OpenAPI document per operation, each repeating
//! `info`, `servers`, the security scheme and every schema it touches. The
//! merge keeps one copy of everything shared and refuses, with a message that
//! names the files, anything that two fragments say differently: silently
//! picking one side would hide an upstream change from review.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::{Result, err};

/// The HTTP methods an OpenAPI 3.0 path item may hold.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Top-level members every fragment repeats and all must agree on.
const SHARED_TOP_LEVEL: [&str; 3] = ["info", "servers", "security"];

/// One vendored fragment: its file name (used in every message) and content.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// The file name, e.g. `listClient.json`.
    pub name: String,
    /// The parsed document.
    pub doc: Value,
}

impl Fragment {
    /// Parses fragment text, rejecting malformed JSON (with line and column)
    /// and documents that are not OpenAPI 3.0.x.
    pub fn parse(name: &str, text: &str) -> Result<Self> {
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            err(format!(
                "{name}:{}:{}: malformed JSON: {e}",
                e.line(),
                e.column()
            ))
        })?;
        match doc.get("openapi") {
            Some(Value::String(version)) if is_openapi_30(version) => {}
            Some(other) => {
                return Err(err(format!(
                    "{name}: not an OpenAPI 3.0.x document (openapi is {other}); \
                     progenitor and this merge only understand 3.0.x"
                )));
            }
            None => {
                return Err(err(format!(
                    "{name}: not an OpenAPI 3.0.x document (no `openapi` member)"
                )));
            }
        }
        Ok(Self {
            name: name.to_owned(),
            doc,
        })
    }
}

fn is_openapi_30(version: &str) -> bool {
    version
        .strip_prefix("3.0.")
        .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()))
}

/// Reads every `*.json` file in `dir`, in file-name order.
pub fn read_fragments(dir: &Path) -> Result<Vec<Fragment>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| err(format!("{}: cannot list fragments: {e}", dir.display())))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| err(format!("{}: {e}", dir.display())))?
            .path();
        if path.extension().is_some_and(|ext| ext == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(err(format!("{}: no *.json fragments", dir.display())));
    }
    paths
        .iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(path)
                .map_err(|e| err(format!("{}: {e}", path.display())))?;
            Fragment::parse(&name, &text)
        })
        .collect()
}

/// Merges fragments (in the given order) into one OpenAPI document.
///
/// Rules, each an error naming the file(s) when broken:
/// - `info`, `servers` and `security` must be identical wherever present;
/// - path items are merged by method; the same (path, method) twice is an error;
/// - every operation has an `operationId`, and no two share one;
/// - components (schemas, security schemes, ...) with the same name must be
///   identical, and are then kept once; otherwise the error names both files
///   and the JSON pointer of the first difference;
/// - tags are merged by name under the same rule.
pub fn merge(fragments: &[Fragment]) -> Result<Value> {
    let mut merger = Merger::default();
    for fragment in fragments {
        merger.add(fragment)?;
    }
    merger.finish()
}

#[derive(Default)]
struct Merger {
    openapi: Option<String>,
    /// Shared members, with the fragment they were first taken from.
    shared: BTreeMap<String, (Value, String)>,
    tags: Vec<(Value, String)>,
    paths: Map<String, Value>,
    /// `(path, method)` → fragment that defined it.
    operations: BTreeMap<(String, String), String>,
    /// operationId → fragment that defined it.
    operation_ids: BTreeMap<String, String>,
    /// `/components/<kind>/<name>` and `/paths/<path>/<member>` → defining fragment.
    origins: BTreeMap<String, String>,
    components: Map<String, Value>,
}

impl Merger {
    fn add(&mut self, fragment: &Fragment) -> Result<()> {
        let name = fragment.name.as_str();
        let doc = fragment
            .doc
            .as_object()
            .ok_or_else(|| err(format!("{name}: the document is not a JSON object")))?;

        if let Some(Value::String(version)) = doc.get("openapi") {
            // Fragments may differ in patch version (3.0.1 vs 3.0.3); the
            // merged document claims the newest, which every 3.0.x reader accepts.
            if self
                .openapi
                .as_ref()
                .is_none_or(|v| patch_of(version) > patch_of(v))
            {
                self.openapi = Some(version.clone());
            }
        }

        if !doc.contains_key("info") {
            return Err(err(format!("{name}: missing `info`")));
        }

        for (key, value) in doc {
            match key.as_str() {
                "openapi" => {}
                "paths" => self.add_paths(name, value)?,
                "components" => self.add_components(name, value)?,
                "tags" => self.add_tags(name, value)?,
                _ => self.add_shared(name, key, value)?,
            }
        }
        Ok(())
    }

    fn add_shared(&mut self, name: &str, key: &str, value: &Value) -> Result<()> {
        match self.shared.get(key) {
            None => {
                self.shared
                    .insert(key.to_owned(), (value.clone(), name.to_owned()));
                Ok(())
            }
            Some((existing, first)) if existing != value => {
                let pointer = first_difference(existing, value, &format!("/{}", escape(key)));
                let what = if SHARED_TOP_LEVEL.contains(&key) {
                    format!("`{key}` disagrees")
                } else {
                    format!("top-level member `{key}` disagrees")
                };
                Err(err(format!(
                    "{name}: {what} with {first} at {pointer}; every fragment of one API \
                     must describe it identically"
                )))
            }
            Some(_) => Ok(()),
        }
    }

    fn add_tags(&mut self, name: &str, tags: &Value) -> Result<()> {
        let tags = tags
            .as_array()
            .ok_or_else(|| err(format!("{name}: `tags` is not an array")))?;
        for tag in tags {
            let tag_name = tag
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| err(format!("{name}: a tag has no `name`")))?;
            let existing = self
                .tags
                .iter()
                .find(|(t, _)| t.get("name").and_then(Value::as_str) == Some(tag_name));
            match existing {
                None => self.tags.push((tag.clone(), name.to_owned())),
                Some((t, first)) if t != tag => {
                    let pointer = first_difference(t, tag, "");
                    return Err(err(format!(
                        "{name}: tag `{tag_name}` differs from the one in {first} at {pointer}"
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn add_paths(&mut self, name: &str, paths: &Value) -> Result<()> {
        for (path, item) in
            nested_objects(paths, name, "`paths`", |path| format!("path item `{path}`"))?
        {
            let merged = merged_object(&mut self.paths, path);
            for (member, value) in item {
                let pointer = format!("/paths/{}/{}", escape(path), escape(member));
                if METHODS.contains(&member.as_str()) {
                    let key = (path.clone(), member.clone());
                    if let Some(first) = self.operations.get(&key) {
                        return Err(err(format!(
                            "{name}: {} {path} is already defined by {first}; \
                             each operation must come from exactly one fragment",
                            member.to_uppercase()
                        )));
                    }
                    let operation_id = value
                        .get("operationId")
                        .and_then(Value::as_str)
                        .filter(|id| !id.is_empty())
                        .ok_or_else(|| {
                            err(format!(
                                "{name}: {} {path} has no operationId; the generated method \
                                 name and the fragment's file name both come from it",
                                member.to_uppercase()
                            ))
                        })?;
                    if let Some(first) = self.operation_ids.get(operation_id) {
                        return Err(err(format!(
                            "{name}: operationId `{operation_id}` is already used by {first}"
                        )));
                    }
                    self.operations.insert(key, name.to_owned());
                    self.operation_ids
                        .insert(operation_id.to_owned(), name.to_owned());
                    merged.insert(member.clone(), value.clone());
                } else if let Err((first, at)) =
                    // Path-level parameters, summary, servers: shared like components.
                    keep_once(&mut self.origins, merged, member, value, pointer, name)
                {
                    return Err(err(format!(
                        "{name}: path item member differs from {first} at {at}"
                    )));
                }
            }
        }
        Ok(())
    }

    fn add_components(&mut self, name: &str, components: &Value) -> Result<()> {
        let what = |kind: &str| format!("`components/{kind}`");
        for (kind, entries) in nested_objects(components, name, "`components`", what)? {
            let merged = merged_object(&mut self.components, kind);
            for (component, value) in entries {
                let pointer = format!("/components/{}/{}", escape(kind), escape(component));
                if let Err((first, at)) =
                    keep_once(&mut self.origins, merged, component, value, pointer, name)
                {
                    return Err(err(format!(
                        "component `{kind}/{component}` differs between {first} and {name} \
                         at {at}; a shared component must be identical in every fragment"
                    )));
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Value> {
        let mut out = Map::new();
        out.insert(
            "openapi".into(),
            Value::String(self.openapi.ok_or_else(|| err("no fragments to merge"))?),
        );
        for (key, (value, _)) in self.shared {
            out.insert(key, value);
        }
        if !self.tags.is_empty() {
            out.insert(
                "tags".into(),
                Value::Array(self.tags.into_iter().map(|(t, _)| t).collect()),
            );
        }
        out.insert("paths".into(), Value::Object(self.paths));
        if !self.components.is_empty() {
            out.insert("components".into(), Value::Object(self.components));
        }
        Ok(Value::Object(out))
    }
}

/// `value` as an object, or the error that `what` in fragment `name` is not one.
fn object<'v>(value: &'v Value, name: &str, what: &str) -> Result<&'v Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| err(format!("{name}: {what} is not an object")))
}

/// The members of `value`, each checked to be an object itself: `paths` and
/// its path items, `components` and its kinds. `outer` names `value` and
/// `what` a member in the error ("`paths` is not an object").
fn nested_objects<'v>(
    value: &'v Value,
    name: &str,
    outer: &str,
    what: impl Fn(&str) -> String,
) -> Result<Vec<(&'v String, &'v Map<String, Value>)>> {
    object(value, name, outer)?
        .iter()
        .map(|(key, member)| Ok((key, object(member, name, &what(key))?)))
        .collect()
}

/// The object merged under `key` (a path, a component kind), empty at first.
fn merged_object<'m>(merged: &'m mut Map<String, Value>, key: &str) -> &'m mut Map<String, Value> {
    merged
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .expect("merged members are only ever inserted as objects")
}

/// Inserts `key: value` into `merged` unless it is there already. An equal
/// copy is dropped (de-duplication); a different one is the error
/// `(file that defined it first, pointer of the first difference)`.
fn keep_once(
    origins: &mut BTreeMap<String, String>,
    merged: &mut Map<String, Value>,
    key: &str,
    value: &Value,
    pointer: String,
    file: &str,
) -> std::result::Result<(), (String, String)> {
    match merged.get(key) {
        None => {
            merged.insert(key.to_owned(), value.clone());
            origins.insert(pointer, file.to_owned());
            Ok(())
        }
        Some(existing) if existing != value => {
            let at = first_difference(existing, value, &pointer);
            Err((origins.get(&pointer).cloned().unwrap_or_default(), at))
        }
        Some(_) => Ok(()),
    }
}

fn patch_of(version: &str) -> u64 {
    version
        .strip_prefix("3.0.")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}

/// Escapes a key for use as one JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Where `a` and `b` differ: `(pointer, value in a, value in b)`, `None`
/// for absent. Members of objects count one by one (an added or removed
/// member is one difference); any other difference is the smallest value
/// that holds it (an array is one value).
pub fn differences(a: &Value, b: &Value) -> Vec<(String, Option<Value>, Option<Value>)> {
    fn walk(
        a: &Value,
        b: &Value,
        at: String,
        out: &mut Vec<(String, Option<Value>, Option<Value>)>,
    ) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for key in keys {
                    let here = format!("{at}/{}", escape(key));
                    match (x.get(key), y.get(key)) {
                        (Some(p), Some(q)) if p == q => {}
                        (Some(p), Some(q)) => walk(p, q, here, out),
                        (p, q) => out.push((here, p.cloned(), q.cloned())),
                    }
                }
            }
            _ if a == b => {}
            _ => out.push((at, Some(a.clone()), Some(b.clone()))),
        }
    }
    let mut out = Vec::new();
    walk(a, b, String::new(), &mut out);
    out
}

/// The JSON pointer (below `at`) of the first place where `a` and `b` differ.
pub fn first_difference(a: &Value, b: &Value, at: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) if p == q => {}
                    (Some(p), Some(q)) => {
                        return first_difference(p, q, &format!("{at}/{}", escape(key)));
                    }
                    _ => return format!("{at}/{}", escape(key)),
                }
            }
            at.to_owned()
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if p != q {
                    return first_difference(p, q, &format!("{at}/{i}"));
                }
            }
            if x.len() != y.len() {
                format!("{at}/{}", x.len().min(y.len()))
            } else {
                at.to_owned()
            }
        }
        _ => {
            if at.is_empty() {
                "/".to_owned()
            } else {
                at.to_owned()
            }
        }
    }
}

/// Renders a document deterministically: keys sorted at every level, two-space
/// indentation, one trailing newline. Sorting explicitly (rather than relying
/// on `serde_json`'s map type) keeps the output identical even when another
/// crate in the build turns on serde_json's `preserve_order` feature.
pub fn render(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(&sorted(doc)).expect("a Value always serializes");
    text.push('\n');
    text
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Validates a merged document: every local `$ref` resolves, it parses as
/// `openapiv3::OpenAPI`, and progenitor generates a client from it with the
/// same settings `kore-clients-gen` uses.
pub fn validate(text: &str) -> Result<()> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| err(format!("merged spec is not JSON: {e}")))?;
    let mut dangling = Vec::new();
    find_dangling_refs(&doc, &doc, String::new(), &mut dangling);
    if !dangling.is_empty() {
        return Err(err(format!(
            "merged spec has $refs that point nowhere (a renamed schema whose references \
             were not all rewritten?): {}",
            dangling.join(", ")
        )));
    }
    serde_json::from_str::<openapiv3::OpenAPI>(text).map_err(|e| {
        err(format!(
            "merged spec does not parse as openapiv3::OpenAPI: {e}"
        ))
    })?;
    kore_clients_codegen::generate(text).map_err(|e| err(format!("merged spec: {e}")))?;
    Ok(())
}

fn find_dangling_refs(root: &Value, value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_at = format!("{at}/{}", escape(key));
                if key == "$ref" {
                    if let Some(target) = child.as_str() {
                        let resolves = target
                            .strip_prefix('#')
                            .is_some_and(|pointer| root.pointer(pointer).is_some());
                        if !resolves {
                            out.push(format!("{target} (at {child_at})"));
                        }
                    }
                } else {
                    find_dangling_refs(root, child, child_at, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                find_dangling_refs(root, child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}
