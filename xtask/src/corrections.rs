//! Corrections to KORE's fragments, applied after merging.
//!
//! `openapi/corrections.json` is an RFC 6902 JSON Patch: an array of
//! operations any JSON Patch tool can apply. Each operation also carries a
//! `reason` member (RFC 6902 §4 says unknown members are ignored), which this
//! loader requires, so no correction exists without its explanation.
//!
//! Corrections must not outlive the bug they fix. Every operation must still
//! find its target: `test` must match, `remove`/`replace`/`move` need an
//! existing path, and — stricter than RFC 6902 — `add`, `move` and `copy` may
//! not overwrite an existing member. When KORE fixes something upstream the merge fails and
//! names the correction to delete.

use json_patch::PatchOperation;
use serde_json::Value;

use crate::{Result, err};

/// One operation of the corrections patch, with its reason.
#[derive(Debug, Clone)]
pub struct Correction {
    /// Position in the corrections array (0-based, as in JSON Patch errors).
    pub index: usize,
    /// Why this correction exists.
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
        let entries = raw
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                let reason = value
                    .get("reason")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .ok_or_else(|| {
                        err(format!(
                            "{file}: correction #{index} has no `reason`; say which upstream \
                             bug it corrects"
                        ))
                    })?
                    .to_owned();
                let operation: PatchOperation = serde_json::from_value(value).map_err(|e| {
                    err(format!(
                        "{file}: correction #{index} is not a JSON Patch operation: {e}"
                    ))
                })?;
                Ok(Correction {
                    index,
                    reason,
                    operation,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            file: file.to_owned(),
            entries,
        })
    }

    /// The corrections, in the order they apply.
    pub fn entries(&self) -> &[Correction] {
        &self.entries
    }

    /// Applies every correction in order to `doc`.
    pub fn apply(&self, mut doc: Value) -> Result<Value> {
        for correction in &self.entries {
            self.apply_one(&mut doc, correction)?;
        }
        Ok(doc)
    }

    fn apply_one(&self, doc: &mut Value, correction: &Correction) -> Result<()> {
        let stale = |why: String| {
            err(format!(
                "{}: correction #{} no longer applies: {why}.\n  reason it existed: {}\n  \
                 KORE's fragments changed here; if the upstream bug is fixed, delete this \
                 correction (and the ones that belong with it), then run `cargo xtask merge`",
                self.file, correction.index, correction.reason
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
                        "`test` of {} failed: the fragments now have {actual}",
                        e.path.as_str()
                    )
                }
                other => format!("{} at {}", other, e.path.as_str()),
            };
            stale(what)
        })
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
