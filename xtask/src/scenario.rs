//! `cargo xtask semver --scenario NAME`: KORE-style spec changes replayed on
//! a scratch copy of HEAD, and the verdict they must get.
//!
//! A scenario file (`xtask/scenarios/NAME.json`) holds, per fragment of
//! `openapi/fragments/`, the JSON Patch operations that make KORE's change
//! (each may carry a `reason`), and per crate the bump the change must need.
//! The run applies them in a git worktree of HEAD in the temporary
//! directory, commits, runs the merge there (`cargo xtask merge`'s
//! [`crate::write`]), commits again, and runs the verdict against HEAD; the
//! worktree is removed afterwards, whatever happened.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::semver::{
    Bump, CRATES, GUARDED, Outcome, Workdirs, git, render, require_semver_checks, short, verdict,
};

/// Where the scenarios live, relative to the workspace root.
pub const SCENARIOS_DIR: &str = "xtask/scenarios";

/// A scenario file: KORE-style spec changes and the verdict they must get.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// What the changes are.
    pub description: String,
    /// The bump each crate must need.
    pub expect: BTreeMap<String, Bump>,
    /// Per fragment file name, the JSON Patch to apply to it (a fragment
    /// that does not exist starts as `null`, so an `add` at `""` creates it).
    pub fragments: BTreeMap<String, Vec<json_patch::PatchOperation>>,
}

impl Scenario {
    /// Parses a scenario file; `file` names it in errors. Each operation may
    /// carry a `reason` member, which is documentation.
    pub fn parse(file: &str, text: &str) -> Result<Self, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        let description = doc
            .get("description")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{file}: no `description` string"))?
            .to_owned();
        let mut expect = BTreeMap::new();
        for (krate, bump) in doc
            .get("expect")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{file}: no `expect` object (crate name → bump)"))?
        {
            if !CRATES.contains(&krate.as_str()) {
                return Err(format!(
                    "{file}: expect names `{krate}`, which the verdict does not cover ({})",
                    CRATES.join(", ")
                ));
            }
            let bump = bump
                .as_str()
                .ok_or_else(|| format!("{file}: expect.{krate} is not a string"))?;
            expect.insert(
                krate.clone(),
                Bump::parse(bump).map_err(|e| format!("{file}: expect.{krate}: {e}"))?,
            );
        }
        let mut fragments = BTreeMap::new();
        for (name, ops) in doc
            .get("fragments")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{file}: no `fragments` object (file name → JSON Patch)"))?
        {
            if !name.ends_with(".json") || name.contains('/') {
                return Err(format!(
                    "{file}: `{name}` is not a file name in openapi/fragments/ (NAME.json)"
                ));
            }
            let ops = ops
                .as_array()
                .ok_or_else(|| format!("{file}: fragments.{name} is not a JSON Patch array"))?;
            let mut parsed = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                let mut op = op.clone();
                if let Some(map) = op.as_object_mut() {
                    map.remove("reason");
                }
                parsed.push(serde_json::from_value(op).map_err(|e| {
                    format!(
                        "{file}: fragments.{name} operation #{i} is not a JSON Patch operation: {e}"
                    )
                })?);
            }
            fragments.insert(name.clone(), parsed);
        }
        Ok(Self {
            description,
            expect,
            fragments,
        })
    }

    /// Applies the changes to the fragments in `dir`.
    pub fn apply(&self, dir: &Path) -> Result<(), String> {
        for (name, ops) in &self.fragments {
            let path = dir.join(name);
            let mut doc = match std::fs::read_to_string(&path) {
                Ok(text) => {
                    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Value::Null,
                Err(e) => return Err(format!("{}: {e}", path.display())),
            };
            json_patch::patch(&mut doc, ops).map_err(|e| {
                format!(
                    "the scenario does not apply to {name}: {e} (the fragment changed; update \
                     the scenario's operations)"
                )
            })?;
            let mut text = serde_json::to_string_pretty(&doc)
                .map_err(|e| format!("{name}: cannot serialize: {e}"))?;
            text.push('\n');
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }

    /// What differs between the expectation and an outcome; empty when it holds.
    pub fn mismatches(&self, outcome: &Outcome) -> Vec<String> {
        let mut mismatches = Vec::new();
        for (facts, verdict, checks) in &outcome.crates {
            if !checks.failures.is_empty() {
                let ids: Vec<&str> = checks.failures.iter().map(|f| f.id.as_str()).collect();
                mismatches.push(format!(
                    "{}: cargo-semver-checks found breaking changes ({}) in an additive spec \
                     change",
                    facts.crate_name,
                    ids.join(", ")
                ));
            }
            if !facts.removed.is_empty() {
                mismatches.push(format!(
                    "{}: {} public item(s) disappeared: {}",
                    facts.crate_name,
                    facts.removed.len(),
                    facts.removed.join(", ")
                ));
            }
            if let Some(expected) = self.expect.get(&facts.crate_name)
                && *expected != verdict.needed
            {
                mismatches.push(format!(
                    "{}: the verdict is {}, the scenario expects {expected}",
                    facts.crate_name, verdict.needed
                ));
            }
        }
        if !outcome.leaks.is_empty() {
            mismatches.push(format!(
                "the public API of {GUARDED} names {} item(s) of the generated crates",
                outcome.leaks.len()
            ));
        }
        mismatches
    }
}

/// A git worktree in the temporary directory, removed when dropped.
struct Scratch {
    repo: PathBuf,
    dir: PathBuf,
}

impl Scratch {
    fn create(repo: &Path, name: &str) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("kore-semver-{name}-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| format!("cannot remove the old {}: {e}", dir.display()))?;
        }
        let dir_text = dir.to_string_lossy();
        git(
            repo,
            &["worktree", "add", "--quiet", "--detach", &dir_text, "HEAD"],
        )?;
        Ok(Self {
            repo: repo.to_owned(),
            dir,
        })
    }

    fn commit(&self, message: &str) -> Result<(), String> {
        git(&self.dir, &["add", "--all"])?;
        git(
            &self.dir,
            &[
                "-c",
                "user.name=cargo xtask semver",
                "-c",
                "user.email=xtask@localhost",
                "commit",
                "--quiet",
                "--no-verify",
                "--allow-empty",
                "-m",
                message,
            ],
        )?;
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let dir = self.dir.to_string_lossy().into_owned();
        if git(&self.repo, &["worktree", "remove", "--force", &dir]).is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
            let _ = git(&self.repo, &["worktree", "prune"]);
        }
    }
}

/// Runs scenario `name` from the workspace at `root`.
pub fn run(root: &Path, name: &str) -> Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "`{name}` is not a scenario name: the names are those of the *.json files in \
             {SCENARIOS_DIR}/, without `.json`"
        ));
    }
    require_semver_checks()?;
    let work = &Workdirs::of(root)?;
    let file = root.join(SCENARIOS_DIR).join(format!("{name}.json"));
    let text = std::fs::read_to_string(&file).map_err(|e| {
        format!(
            "no scenario `{name}`: cannot read {}: {e} (scenarios: the *.json files in \
             {SCENARIOS_DIR}/)",
            file.display()
        )
    })?;
    let scenario = Scenario::parse(&format!("{SCENARIOS_DIR}/{name}.json"), &text)?;
    let head = git(root, &["rev-parse", "HEAD"])?;
    if !git(root, &["status", "--porcelain", "--untracked-files=no"])?.is_empty() {
        println!(
            "note: the scenario starts from HEAD ({}); uncommitted changes are not part of it",
            short(&head)
        );
    }
    println!("scenario {name}: {}", scenario.description);
    let scratch = Scratch::create(root, name)?;
    println!(
        "==> scratch copy of HEAD ({}) at {}",
        short(&head),
        scratch.dir.display()
    );
    let layout = crate::Layout::at(&scratch.dir);
    scenario.apply(&layout.fragments_dir())?;
    scratch.commit(&format!("scenario {name}: KORE's spec changes"))?;
    println!("==> cargo xtask merge (in the scratch copy)");
    let written = crate::write(&layout).map_err(|e| {
        format!(
            "scenario {name}: `cargo xtask merge` fails on KORE's changes: {e}\n\
             a change of this kind must merge with no hand edit: make the merge or the \
             corrections' guards accept it"
        )
    })?;
    if written.is_empty() {
        return Err(format!(
            "scenario {name}: its changes leave the merged spec as it was, so the verdict \
             would prove nothing; check {SCENARIOS_DIR}/{name}.json against openapi/fragments/"
        ));
    }
    for path in &written {
        println!("wrote {}", layout.display(path));
    }
    scratch.commit(&format!("scenario {name}: cargo xtask merge"))?;
    let outcome = verdict(&scratch.dir, &head, work)?;
    println!(
        "{}",
        render(
            &format!("HEAD = {} (the unchanged commit)", short(&head)),
            &outcome
        )
    );
    let mismatches = scenario.mismatches(&outcome);
    if mismatches.is_empty() {
        let verdicts: Vec<String> = outcome
            .crates
            .iter()
            .map(|(facts, verdict, _)| format!("{} {}", facts.crate_name, verdict.needed))
            .collect();
        println!("scenario {name}: as expected ({})", verdicts.join(", "));
        Ok(())
    } else {
        Err(format!(
            "scenario {name}: KORE's changes do not get the expected verdict:\n  {}",
            mismatches.join("\n  ")
        ))
    }
}
