//! Corrections to KORE's fragments, applied after merging.
//!
//! `openapi/corrections.json` is an RFC 6902 JSON Patch: an array of
//! operations any JSON Patch tool can apply. Each operation also carries two
//! members of ours (RFC 6902 §4 says unknown members are ignored), which this
//! loader requires:
//! - `correction`: the id of the correction it belongs to. One correction is
//!   one upstream bug, fixed by a few operations in a row (its `test` guards
//!   and the change itself) that all share the id;
//! - `reason`: why the operation exists, so no correction exists without its
//!   explanation.
//!
//! Corrections must not outlive the bug they fix. Every operation must still
//! find its target: `test` must match, `remove`/`replace`/`move` need an
//! existing path, and — stricter than RFC 6902 — `add`, `move` and `copy` may
//! not overwrite an existing member. When KORE fixes something upstream the
//! merge fails, names the correction, its reason and every operation that
//! belongs to it: all of them are deleted together.
//!
//! A correction that extracts a schema KORE writes inline several times into
//! one component must not paper over copies that disagree: the sharing rule
//! ([`Corrections::apply_recorded`]) refuses a `$ref` to a component the same
//! correction created in place of a schema that differs from it.
//!
//! The merged spec records what was applied (see [`Corrections::provenance`])
//! as its `x-kore-corrections` extension, so tools that only hold the merged
//! spec — `kore doctor` — can tell which correction a live response still
//! needs.

use json_patch::PatchOperation;
use serde_json::{Map, Value, json};

use crate::{Result, err};

/// The top-level extension of the merged spec that records the corrections.
pub const PROVENANCE_KEY: &str = "x-kore-corrections";

/// One operation of the corrections patch, with its correction id and reason.
#[derive(Debug, Clone)]
pub struct Correction {
    /// Position in the corrections array (0-based, as in JSON Patch errors).
    pub index: usize,
    /// The id of the correction this operation belongs to.
    pub id: String,
    /// Why this operation exists.
    pub reason: String,
    /// The JSON Patch operation.
    pub operation: PatchOperation,
}

/// The parsed corrections file.
#[derive(Debug, Clone)]
pub struct Corrections {
    file: String,
    entries: Vec<Correction>,
}

/// One applied operation and what it replaced or removed.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Position of the operation in the corrections array.
    pub index: usize,
    /// For `remove` and `replace`: the value that was at the path before.
    pub before: Option<Value>,
}

impl Corrections {
    /// Parses the corrections file; `file` names it in messages.
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        let raw: Vec<Value> = serde_json::from_str(text).map_err(|e| {
            err(format!(
                "{file}:{}:{}: not a JSON Patch array: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let mut entries: Vec<Correction> = Vec::with_capacity(raw.len());
        for (index, value) in raw.into_iter().enumerate() {
            let member = |name: &str| {
                value
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
            };
            let reason = member("reason").ok_or_else(|| {
                err(format!(
                    "{file}: operation #{index} has no `reason`; say which upstream bug it corrects"
                ))
            })?;
            let id = member("correction").ok_or_else(|| {
                err(format!(
                    "{file}: operation #{index} has no `correction` id; give it the id of the \
                     correction it belongs to (the operations of one correction share one id)"
                ))
            })?;
            if let Some(previous) = entries.last()
                && previous.id != id
                && let Some(first) = entries.iter().find(|c| c.id == id)
            {
                return Err(err(format!(
                    "{file}: operation #{index} belongs to correction `{id}`, whose operations \
                     start at #{}, but #{} in between belongs to `{}`; keep the operations of \
                     one correction together",
                    first.index, previous.index, previous.id
                )));
            }
            let operation: PatchOperation = serde_json::from_value(value).map_err(|e| {
                err(format!(
                    "{file}: operation #{index} (correction `{id}`) is not a JSON Patch operation: {e}"
                ))
            })?;
            entries.push(Correction {
                index,
                id,
                reason,
                operation,
            });
        }
        Ok(Self {
            file: file.to_owned(),
            entries,
        })
    }

    /// The operations, in the order they apply.
    pub fn entries(&self) -> &[Correction] {
        &self.entries
    }

    /// The id of every correction, once each, in file order.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for correction in &self.entries {
            if !ids.contains(&correction.id.as_str()) {
                ids.push(&correction.id);
            }
        }
        ids
    }

    /// Only the corrections whose id `keep` accepts (each operation keeps
    /// its position in the file, so messages still point into it).
    pub fn retain(&self, keep: impl Fn(&str) -> bool) -> Self {
        Self {
            file: self.file.clone(),
            entries: self
                .entries
                .iter()
                .filter(|c| keep(&c.id))
                .cloned()
                .collect(),
        }
    }

    /// The operations of correction `id`.
    pub fn operations_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Correction> + 'a {
        self.entries.iter().filter(move |c| c.id == id)
    }

    /// A correction's reason: that of its first operation that changes
    /// something (its guards' reasons only say what they check).
    pub fn reason_of(&self, id: &str) -> &str {
        let operations = || self.entries.iter().filter(|c| c.id == id);
        operations()
            .find(|c| !matches!(c.operation, PatchOperation::Test(_)))
            .or_else(|| operations().next())
            .map_or("", |c| c.reason.as_str())
    }

    /// Applies every correction in order to `doc`.
    pub fn apply(&self, doc: Value) -> Result<Value> {
        self.apply_recorded(doc).map(|(doc, _)| doc)
    }

    /// Applies every correction in order to `doc`, recording what each
    /// `remove` and `replace` took away (for [`Self::provenance`]).
    ///
    /// After the last operation of each correction, checks the sharing rule
    /// (`check_sharing`): a copy of a schema that the correction
    /// replaces by a `$ref` to a component it created must agree with that
    /// component.
    pub fn apply_recorded(&self, mut doc: Value) -> Result<(Value, Vec<Applied>)> {
        let mut applied = Vec::with_capacity(self.entries.len());
        for (position, correction) in self.entries.iter().enumerate() {
            let before = match &correction.operation {
                PatchOperation::Remove(op) => doc.pointer(op.path.as_str()).cloned(),
                PatchOperation::Replace(op) => doc.pointer(op.path.as_str()).cloned(),
                _ => None,
            };
            self.apply_one(&mut doc, correction)?;
            applied.push(Applied {
                index: correction.index,
                before,
            });
            let last_of_its_correction = self
                .entries
                .get(position + 1)
                .is_none_or(|next| next.id != correction.id);
            if last_of_its_correction {
                self.check_sharing(&doc, &correction.id, &applied)?;
            }
        }
        Ok((doc, applied))
    }

    /// The sharing rule. A correction that extracts a schema KORE writes
    /// inline several times creates the component (`copy`/`move` of one
    /// copy, or `add`) and replaces the other copies by a `$ref` to it. Each
    /// `replace` whose value is a `$ref` to a component the same correction
    /// created must take away a schema that agrees with that component:
    /// equal once annotations (`description`, `example`, `title`, ...) are
    /// left out. So a value KORE adds to every copy reaches the component
    /// with no edit of the corrections, and a value it adds to only some
    /// copies stops the merge instead of being kept or lost silently.
    ///
    /// A `$ref` to a component that another correction created is a
    /// deliberate change of its own (`created-client-type-widened`) and is
    /// not checked here; its `test` guards say what it expects.
    fn check_sharing(&self, doc: &Value, id: &str, applied: &[Applied]) -> Result<()> {
        let operations: Vec<&Correction> = self.operations_of(id).collect();
        let created: Vec<&str> = operations
            .iter()
            .filter_map(|c| match &c.operation {
                PatchOperation::Add(op) => Some(op.path.as_str()),
                PatchOperation::Copy(op) => Some(op.path.as_str()),
                PatchOperation::Move(op) => Some(op.path.as_str()),
                _ => None,
            })
            .filter(|path| is_component(path))
            .collect();
        for correction in &operations {
            let PatchOperation::Replace(op) = &correction.operation else {
                continue;
            };
            let Some(target) = op
                .value
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .filter(|target| created.contains(target))
            else {
                continue;
            };
            let (Some(component), Some(replaced)) = (
                doc.pointer(target),
                applied
                    .iter()
                    .find(|a| a.index == correction.index)
                    .and_then(|a| a.before.as_ref()),
            ) else {
                continue;
            };
            let differences = schema_differences(component, replaced);
            if differences.is_empty() {
                continue;
            }
            let replaced_at = op.path.as_str();
            let shown = differences
                .iter()
                .map(|(at, mine, theirs)| {
                    let what = match at.strip_prefix('/') {
                        Some(keyword) => format!("`{keyword}`"),
                        None => "the schema".to_owned(),
                    };
                    let in_component = format!("{target}{at}");
                    let mine_at = match origin(&operations, &in_component) {
                        Some(from) => format!("{from} (copied to {in_component})"),
                        None => format!("{in_component} (written by this correction)"),
                    };
                    format!(
                        "    {what}: {} at {mine_at}, but {} at {replaced_at}{at}",
                        shown_value(mine.as_ref()),
                        shown_value(theirs.as_ref()),
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let (listed, _) = self.listing(id);
            return Err(err(format!(
                "{file}: correction `{id}` would share one schema between copies that KORE's \
                 fragments define differently: operation #{index} (replace {replaced_at}) puts a \
                 `$ref` to {target}, a component this correction made, in place of a schema \
                 that differs from it:\n{shown}\n  reason it exists: {reason}\n  its \
                 operations (every entry with \"correction\": \"{id}\"):\n{listed}\n  KORE \
                 changed some copies of this schema and not the others. One shared component \
                 would silently change what the other copies accept, so the merge picks no side. \
                 Read KORE's docs page to decide which copy is right; then either fix the wrong \
                 copy with a correction of its own placed before `{id}`, or stop sharing that \
                 copy (delete this `replace` and its `test` guards), and run `cargo xtask merge` \
                 again.",
                file = self.file,
                index = correction.index,
                reason = self.reason_of(id),
            )));
        }
        Ok(())
    }

    /// Every operation of correction `id`, one per line, and how many there are.
    fn listing(&self, id: &str) -> (String, usize) {
        let operations: Vec<&Correction> = self.operations_of(id).collect();
        let listed = operations
            .iter()
            .map(|c| format!("    #{} {}", c.index, describe(&c.operation)))
            .collect::<Vec<_>>()
            .join("\n");
        (listed, operations.len())
    }

    /// What the merged spec records about the corrections (its
    /// `x-kore-corrections` extension): one entry per correction, in file
    /// order, with its id, its reason and its operations exactly as in the
    /// file, each `remove` and `replace` also carrying the `before` value it
    /// took away. From that a reader can undo any one correction on the
    /// merged spec and see what KORE's own schema would have said.
    pub fn provenance(&self, applied: &[Applied]) -> Value {
        let mut out: Vec<Value> = Vec::new();
        let mut current: Option<(String, Vec<Value>)> = None;
        for correction in &self.entries {
            let mut operation = match serde_json::to_value(&correction.operation) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            };
            operation.insert("reason".into(), Value::String(correction.reason.clone()));
            if let Some(before) = applied
                .iter()
                .find(|a| a.index == correction.index)
                .and_then(|a| a.before.clone())
            {
                operation.insert("before".into(), before);
            }
            match &mut current {
                Some((id, operations)) if *id == correction.id => {
                    operations.push(Value::Object(operation));
                }
                _ => {
                    if let Some((id, operations)) = current.take() {
                        out.push(self.entry(&id, operations));
                    }
                    current = Some((correction.id.clone(), vec![Value::Object(operation)]));
                }
            }
        }
        if let Some((id, operations)) = current {
            out.push(self.entry(&id, operations));
        }
        Value::Array(out)
    }

    fn entry(&self, id: &str, operations: Vec<Value>) -> Value {
        json!({"id": id, "reason": self.reason_of(id), "operations": operations})
    }

    fn apply_one(&self, doc: &mut Value, correction: &Correction) -> Result<()> {
        let stale = |why: String| {
            let (listed, count) = self.listing(&correction.id);
            err(format!(
                "{file}: correction `{id}` no longer applies: operation #{index} ({what}): \
                 {why}.\n  reason it exists: {reason}\n  its operations (every entry with \
                 \"correction\": \"{id}\"):\n{listed}\n  KORE's fragments changed here. If KORE \
                 fixed the bug, delete these {count} operation(s) and run `cargo xtask merge`; \
                 if KORE changed something else, adapt them to the new fragments.",
                file = self.file,
                id = correction.id,
                index = correction.index,
                what = describe(&correction.operation),
                reason = self.reason_of(&correction.id),
            ))
        };
        // RFC 6902 lets `add`, `move` and `copy` replace an existing member;
        // here that would silently drop what KORE now defines.
        let target = match &correction.operation {
            PatchOperation::Add(op) => Some(op.path.as_str()),
            PatchOperation::Move(op) => Some(op.path.as_str()),
            PatchOperation::Copy(op) => Some(op.path.as_str()),
            _ => None,
        };
        if let Some(path) = target
            // Appending to an array ("/-") never overwrites anything.
            && !path.ends_with("/-")
            && doc.pointer(path).is_some()
        {
            return Err(stale(format!(
                "`{}` would overwrite {path}, which the fragments now define",
                operation_name(&correction.operation)
            )));
        }
        json_patch::patch(doc, std::slice::from_ref(&correction.operation)).map_err(|e| {
            let what = match e.kind {
                json_patch::PatchErrorKind::TestFailed => {
                    let actual = doc
                        .pointer(e.path.as_str())
                        .map_or_else(|| "nothing".to_owned(), |v| v.to_string());
                    format!(
                        "the `test` failed: the fragments now have {actual} at {}",
                        e.path.as_str()
                    )
                }
                other => format!("{} at {}", other, e.path.as_str()),
            };
            stale(what)
        })
    }
}

/// Whether `path` names one component (`/components/<kind>/<name>`).
fn is_component(path: &str) -> bool {
    let mut segments = path.split('/');
    segments.next() == Some("")
        && segments.next() == Some("components")
        && segments.next().is_some_and(|kind| !kind.is_empty())
        && segments.next().is_some_and(|name| !name.is_empty())
        && segments.next().is_none()
}

/// Where two schemas differ once annotations are left out: `(pointer
/// relative to the schemas, value in a, value in b)`, `None` for absent.
fn schema_differences(a: &Value, b: &Value) -> Vec<(String, Option<Value>, Option<Value>)> {
    crate::merge::differences(
        &crate::spec_diff::without_annotations(a),
        &crate::spec_diff::without_annotations(b),
    )
}

/// Where the value at `pointer` came from, when a `copy` or `move` of
/// `operations` wrote it (or the member it lies in): the source pointer.
fn origin(operations: &[&Correction], pointer: &str) -> Option<String> {
    operations
        .iter()
        .filter_map(|c| match &c.operation {
            PatchOperation::Copy(op) => Some((op.from.as_str(), op.path.as_str())),
            PatchOperation::Move(op) => Some((op.from.as_str(), op.path.as_str())),
            _ => None,
        })
        .filter_map(|(from, path)| {
            let rest = pointer.strip_prefix(path)?;
            (rest.is_empty() || rest.starts_with('/'))
                .then(|| (path.len(), format!("{from}{rest}")))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, from)| from)
}

fn shown_value(value: Option<&Value>) -> String {
    value
        .as_ref()
        .map_or_else(|| "nothing".to_owned(), ToString::to_string)
}

/// `remove /components/...` or `move /a -> /b`: one operation on one line.
fn describe(operation: &PatchOperation) -> String {
    match operation {
        PatchOperation::Move(op) => format!("move {} -> {}", op.from, op.path),
        PatchOperation::Copy(op) => format!("copy {} -> {}", op.from, op.path),
        PatchOperation::Add(op) => format!("add {}", op.path),
        PatchOperation::Remove(op) => format!("remove {}", op.path),
        PatchOperation::Replace(op) => format!("replace {}", op.path),
        PatchOperation::Test(op) => format!("test {}", op.path),
    }
}

fn operation_name(operation: &PatchOperation) -> &'static str {
    match operation {
        PatchOperation::Add(_) => "add",
        PatchOperation::Remove(_) => "remove",
        PatchOperation::Replace(_) => "replace",
        PatchOperation::Move(_) => "move",
        PatchOperation::Copy(_) => "copy",
        PatchOperation::Test(_) => "test",
    }
}
