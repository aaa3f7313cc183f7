//! `cargo xtask replay`: KORE's published history, replayed through the
//! merge, one published change at a time.
//!
//! `openapi/history/` holds KORE's whole-API spec at each version it
//! published. The fragments describe the same API with the same schema and
//! path names (`CreateClient`, `201CreateClient`, `/v1/clients`), so a
//! change between two versions, written as JSON Patch operations, lands on
//! the fragments at the same JSON pointers. The replay:
//!
//! 1. **takes today's fragments back** to the first version replayed: every
//!    published change since, inverted (a diff from the newer version to the
//!    older) and applied, newest first, to the fragments that hold its
//!    target. `openapi/fragments/` is at KORE's newest version, so going back
//!    is the only way to a starting point that is the fragments as they
//!    were, not a second copy of them;
//! 2. merges that starting point with today's corrections, less those that
//!    do not apply to it yet (`created-client-type-widened` fixes a field
//!    KORE added later);
//! 3. **replays each change forward**: applies it to the fragments, runs the
//!    merge with the corrections of the step before (the question is: does
//!    `cargo xtask merge` take it with no hand edit?), and when the merge
//!    refuses, records why and continues with the corrections a maintainer
//!    would have had to write — today's, as far as they apply;
//! 4. classifies each step with [`spec_diff`] on the two merged specs, as
//!    `cargo xtask merge` does;
//! 5. checks that the last step arrives exactly at today's fragments: the
//!    proof that the translation from history to fragments is faithful.
//!
//! An operation applies to a fragment when the fragment holds its target
//! (`remove`, `replace`) or the member it is added to (`add`). Examples
//! (`example`, `examples`) are left out, as operations and inside the values
//! added: the fragments come from KORE's docs page, which carries none.

use std::path::Path;

use serde_json::Value;

use crate::corrections::Corrections;
use crate::merge::Fragment;
use crate::spec_diff::{self, Change};
use crate::{Layout, Result, err};

/// One published version of KORE's spec.
#[derive(Debug, Clone)]
pub struct Version {
    /// The part of the file name that names it: `2025-03-05.7081272`.
    pub name: String,
    /// The document.
    pub doc: Value,
}

/// The prefix of every file in `openapi/history/`.
const PREFIX: &str = "kore_client_v1.";

/// Reads `openapi/history/kore_client_v1.<date>.<commit>.json`, oldest first.
pub fn read_history(dir: &Path) -> Result<Vec<Version>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| err(format!("{}: cannot list: {e}", dir.display())))?;
    let mut versions = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| err(format!("{}: {e}", dir.display())))?
            .path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let text =
            std::fs::read_to_string(&path).map_err(|e| err(format!("{}: {e}", path.display())))?;
        let doc = serde_json::from_str(&text)
            .map_err(|e| err(format!("{}: malformed JSON: {e}", path.display())))?;
        versions.push(Version {
            name: name.to_owned(),
            doc,
        });
    }
    versions.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(versions)
}

/// What an [`Edit`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// A member that was not there.
    Add,
    /// A member that is gone.
    Remove,
    /// A value that changed (arrays are replaced whole).
    Replace,
}

/// One difference between two documents, as a JSON Patch operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    /// What it does.
    pub kind: EditKind,
    /// The JSON pointer it applies at.
    pub path: String,
    /// The new value (`Add`, `Replace`).
    pub value: Option<Value>,
}

impl Edit {
    /// `add /components/...`, with the value shortened.
    pub fn describe(&self) -> String {
        let op = match self.kind {
            EditKind::Add => "add",
            EditKind::Remove => "remove",
            EditKind::Replace => "replace",
        };
        match &self.value {
            Some(value) => format!("{op} {} = {}", self.path, short(value)),
            None => format!("{op} {}", self.path),
        }
    }

    /// Whether it changes an example, which the fragments never carry.
    fn is_example(&self) -> bool {
        let segments: Vec<&str> = self.path.split('/').collect();
        segments.iter().enumerate().any(|(i, s)| {
            matches!(*s, "example" | "examples") && (i == 0 || segments[i - 1] != "properties")
        })
    }

    /// Applies it to `doc` if `doc` holds what it changes; whether it did.
    fn apply(&self, doc: &mut Value) -> bool {
        let (parent, last) = match self.path.rfind('/') {
            Some(i) => (&self.path[..i], &self.path[i + 1..]),
            None => return false,
        };
        let key = last.replace("~1", "/").replace("~0", "~");
        let Some(Value::Object(members)) = doc.pointer_mut(parent) else {
            return false;
        };
        match (self.kind, &self.value) {
            (EditKind::Add, Some(value)) if !members.contains_key(&key) => {
                members.insert(key, without_examples(value));
                true
            }
            (EditKind::Replace, Some(value)) if members.contains_key(&key) => {
                members.insert(key, without_examples(value));
                true
            }
            (EditKind::Remove, _) => members.remove(&key).is_some(),
            _ => false,
        }
    }
}

/// `value` without its `example` and `examples` members, at every level (a
/// property called `example` is kept).
fn without_examples(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !matches!(key.as_str(), "example" | "examples"))
                .map(|(key, child)| {
                    let kept = if key == "properties" {
                        match child {
                            Value::Object(properties) => Value::Object(
                                properties
                                    .iter()
                                    .map(|(name, schema)| (name.clone(), without_examples(schema)))
                                    .collect(),
                            ),
                            other => other.clone(),
                        }
                    } else {
                        without_examples(child)
                    };
                    (key.clone(), kept)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_examples).collect()),
        other => other.clone(),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 72 {
        format!("{}…", text.chars().take(71).collect::<String>())
    } else {
        text
    }
}

/// The edits that turn `old` into `new`: members added and removed one by
/// one, any other difference as a `replace` of the smallest value that
/// holds it (an array is replaced whole).
pub fn diff(old: &Value, new: &Value) -> Vec<Edit> {
    crate::merge::differences(old, new)
        .into_iter()
        .map(|(path, before, after)| match (before, after) {
            (Some(_), None) => Edit {
                kind: EditKind::Remove,
                path,
                value: None,
            },
            (None, after) => Edit {
                kind: EditKind::Add,
                path,
                value: after,
            },
            (Some(_), after) => Edit {
                kind: EditKind::Replace,
                path,
                value: after,
            },
        })
        .collect()
}

/// Where one edit of KORE's went.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// Applied to these fragments.
    Applied(Vec<String>),
    /// Not applied, and why.
    Skipped(&'static str),
}

/// Applies `edit` to every fragment that holds what it changes.
fn place(edit: &Edit, fragments: &mut [Fragment]) -> Placement {
    if edit.is_example() {
        return Placement::Skipped("an example: the docs-page fragments carry none");
    }
    let applied: Vec<String> = fragments
        .iter_mut()
        .filter_map(|f| edit.apply(&mut f.doc).then(|| f.name.clone()))
        .collect();
    if applied.is_empty() {
        Placement::Skipped("no fragment describes it")
    } else {
        Placement::Applied(applied)
    }
}

/// How `cargo xtask merge` took one published change.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Merged with the corrections of the step before: no hand edit.
    NoHandEdit,
    /// Refused (`refusal`); merged once the corrections were changed as
    /// listed, which is the hand edit a maintainer would have made.
    HandEdit {
        /// Why the merge refused, as it said it.
        refusal: String,
        /// Corrections that had to be added.
        added: Vec<String>,
        /// Corrections that had to be deleted.
        removed: Vec<String>,
    },
    /// Refused even with today's corrections.
    Failed {
        /// Why.
        refusal: String,
    },
}

/// One published change, replayed.
#[derive(Debug, Clone)]
pub struct Step {
    /// The version before.
    pub from: String,
    /// The version after.
    pub to: String,
    /// KORE's change as edits of its whole-API spec, and where each went.
    pub edits: Vec<(Edit, Placement)>,
    /// How the merge took it.
    pub outcome: Outcome,
    /// What changed in the merged spec, classified.
    pub changes: Vec<Change>,
    /// The class of KORE's change judged on its own two specs, for
    /// comparison (the corrections can make the merged view differ).
    pub kore_class: Option<spec_diff::Class>,
    /// What the change does to `kore-clients`' public API (its generated
    /// part), when the merge took it.
    pub api: Option<crate::api_surface::Delta>,
}

impl Step {
    /// The class of the step as a whole: its most severe change's.
    pub fn class(&self) -> Option<spec_diff::Class> {
        spec_diff::overall(&self.changes)
    }
}

/// The whole replay.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The version the replay starts from.
    pub since: String,
    /// Today's corrections that do not apply to the starting point, with why.
    pub not_yet: Vec<(String, String)>,
    /// One step per published change.
    pub steps: Vec<Step>,
}

/// `corrections` less every correction that does not apply to `fragments`
/// (in file order, so one that depends on an earlier one goes with it), and
/// what each left out said.
pub fn applicable(
    corrections: &Corrections,
    fragments: &[Fragment],
) -> Result<(Corrections, Vec<(String, String)>)> {
    let merged = crate::merge::merge(fragments)?;
    let mut kept: Vec<String> = Vec::new();
    let mut left_out = Vec::new();
    for id in corrections.ids() {
        let candidate = corrections.retain(|c| c == id || kept.iter().any(|k| k == c));
        match candidate.apply(merged.clone()) {
            Ok(_) => kept.push(id.to_owned()),
            Err(e) => left_out.push((id.to_owned(), e.to_string())),
        }
    }
    Ok((
        corrections.retain(|c| kept.iter().any(|k| k == c)),
        left_out,
    ))
}

/// Replays every published change from version `since` (a file name part,
/// `2025-02-04.08e2ad5`, or a prefix of one) to the newest.
pub fn replay(layout: &Layout, since: &str) -> Result<Replay> {
    let history_dir = layout.root().join("openapi").join("history");
    let versions: Vec<Version> = read_history(&history_dir)?
        .into_iter()
        .skip_while(|v| !v.name.starts_with(since))
        .collect();
    if versions.len() < 2 {
        return Err(err(format!(
            "{}: no two versions from `{since}` on to replay",
            layout.display(&history_dir)
        )));
    }
    let today = crate::merge::read_fragments(&layout.fragments_dir())?;
    let corrections = crate::read_corrections(layout)?;

    // 1. Today's fragments, taken back to the first version.
    let mut fragments = today.clone();
    for pair in versions.windows(2).rev() {
        for edit in diff(&pair[1].doc, &pair[0].doc) {
            place(&edit, &mut fragments);
        }
    }

    // 2. The starting point, merged.
    let (mut current, not_yet) = applicable(&corrections, &fragments)?;
    let start_text = crate::build_spec_from(&fragments, &current);
    let mut api_before = match &start_text {
        Ok(text) => Some(crate::api_surface::of_spec(text)?),
        Err(_) => None,
    };
    let mut merged_before: Value = parse(&start_text.map_err(|e| {
        err(format!(
            "the replay's starting point (openapi/fragments taken back to {}) does not \
                 merge with the corrections that apply to it: {e}",
            versions[0].name
        ))
    })?)?;

    // 3. and 4. Each change, forward.
    let mut steps = Vec::new();
    for pair in versions.windows(2) {
        let edits: Vec<(Edit, Placement)> = diff(&pair[0].doc, &pair[1].doc)
            .into_iter()
            .map(|edit| {
                let placement = place(&edit, &mut fragments);
                (edit, placement)
            })
            .collect();
        let mut api = None;
        let mut api_of = |text: &str| -> Result<()> {
            let after = crate::api_surface::of_spec(text)?;
            api = api_before
                .as_ref()
                .map(|before| crate::api_surface::Delta::between(before, &after));
            api_before = Some(after);
            Ok(())
        };
        let (outcome, merged) = match crate::build_spec_from(&fragments, &current) {
            Ok(text) => {
                api_of(&text)?;
                (Outcome::NoHandEdit, Some(parse(&text)?))
            }
            Err(refusal) => {
                let (adapted, _) = applicable(&corrections, &fragments)?;
                match crate::build_spec_from(&fragments, &adapted) {
                    Ok(text) => {
                        api_of(&text)?;
                        let ids = |c: &Corrections| -> Vec<String> {
                            c.ids().into_iter().map(str::to_owned).collect()
                        };
                        let (before, after) = (ids(&current), ids(&adapted));
                        let outcome = Outcome::HandEdit {
                            refusal: refusal.to_string(),
                            added: after
                                .iter()
                                .filter(|i| !before.contains(i))
                                .cloned()
                                .collect(),
                            removed: before
                                .iter()
                                .filter(|i| !after.contains(i))
                                .cloned()
                                .collect(),
                        };
                        current = adapted;
                        (outcome, Some(parse(&text)?))
                    }
                    Err(e) => (
                        Outcome::Failed {
                            refusal: e.to_string(),
                        },
                        None,
                    ),
                }
            }
        };
        let changes = match &merged {
            Some(merged) => spec_diff::compare(&merged_before, merged),
            None => Vec::new(),
        };
        if let Some(merged) = merged {
            merged_before = merged;
        }
        steps.push(Step {
            from: pair[0].name.clone(),
            to: pair[1].name.clone(),
            edits,
            outcome,
            changes,
            kore_class: spec_diff::overall(&spec_diff::compare(&pair[0].doc, &pair[1].doc)),
            api,
        });
    }

    // 5. Arrived at today's fragments?
    for (replayed, fragment) in fragments.iter().zip(&today) {
        if replayed.doc != fragment.doc {
            let at = crate::merge::first_difference(&fragment.doc, &replayed.doc, "");
            return Err(err(format!(
                "the replay does not arrive at today's {}: it differs at {at}. KORE's history \
                 and the fragments no longer describe the same changes at the same JSON \
                 pointers; see the replay's rules in xtask/src/replay.rs",
                fragment.name
            )));
        }
    }
    Ok(Replay {
        since: versions[0].name.clone(),
        not_yet,
        steps,
    })
}

fn parse(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| err(format!("merged spec is not JSON: {e}")))
}

/// The first line of a message (the merge's refusals run to many lines).
fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

/// The replay as `cargo xtask replay` prints it.
pub fn render(replay: &Replay) -> String {
    let mut out = format!(
        "Starting point: openapi/fragments taken back to KORE's {} (every later published \
         change undone), merged with openapi/corrections.json",
        replay.since
    );
    if replay.not_yet.is_empty() {
        out.push_str(".\n");
    } else {
        out.push_str(" less the corrections that do not apply there yet:\n");
        for (id, why) in &replay.not_yet {
            let why = first_line(why);
            let why = why
                .split_once("no longer applies: ")
                .map_or(why, |(_, w)| w);
            out.push_str(&format!("  {id}: {why}\n"));
        }
    }
    for step in &replay.steps {
        out.push_str(&format!("\nKORE {} -> {}\n", step.from, step.to));
        out.push_str("  what KORE changed (its spec's diff, placed in the fragments):\n");
        for (edit, placement) in &step.edits {
            let placed = match placement {
                Placement::Applied(names) => format!("-> {}", names.join(", ")),
                Placement::Skipped(why) => format!("skipped: {why}"),
            };
            out.push_str(&format!("    {}\n      {placed}\n", edit.describe()));
        }
        out.push_str("  cargo xtask merge: ");
        match &step.outcome {
            Outcome::NoHandEdit => out.push_str("took it with no hand edit\n"),
            Outcome::HandEdit {
                refusal,
                added,
                removed,
            } => {
                out.push_str(&format!(
                    "refused it: {}\n    merged once openapi/corrections.json was edited by hand",
                    first_line(refusal)
                ));
                if !added.is_empty() {
                    out.push_str(&format!(": added {}", added.join(", ")));
                }
                if !removed.is_empty() {
                    out.push_str(&format!("; deleted {}", removed.join(", ")));
                }
                out.push('\n');
            }
            Outcome::Failed { refusal } => out.push_str(&format!(
                "refused it, even with today's corrections: {}\n",
                first_line(refusal)
            )),
        }
        let label = |class: Option<spec_diff::Class>| class.map_or("no change", |c| c.label());
        out.push_str(&format!(
            "  classification: {} (KORE's own spec, compared the same way: {})\n",
            label(step.class()),
            label(step.kore_class)
        ));
        for change in &step.changes {
            for line in change.to_string().lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
        match &step.api {
            Some(api) if api.added.is_empty() && api.gone.is_empty() => {
                out.push_str("  kore-clients' public API: unchanged\n");
            }
            Some(api) => {
                out.push_str(&format!(
                    "  kore-clients' public API: {}\n",
                    if api.only_grows() {
                        "only grows (an additive change)"
                    } else {
                        "loses or changes items (a breaking change)"
                    }
                ));
                for item in &api.added {
                    out.push_str(&format!("    + {item}\n"));
                }
                for item in &api.gone {
                    out.push_str(&format!("    - {item}\n"));
                }
            }
            None => out.push_str("  kore-clients' public API: not compared (no merge)\n"),
        }
    }
    out
}
