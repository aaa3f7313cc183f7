//! Workspace automation: the path from KORE's published OpenAPI fragments to
//! the merged spec that `kore-clients-gen` builds from.
//!
//! ```text
//! docs page (.md) --vendor--> openapi/fragments/*.json
//!                                  |
//!                                merge  (+ openapi/corrections.json)
//!                                  v
//!          openapi/kore-clients.json  ==  kore-clients-gen/kore-clients.json
//!                                  |
//!                       kore_clients_codegen::generate_files
//!                                  v
//!          kore-clients-gen/generated.sha256  (digest of the tested code)
//! ```
//!
//! After a regeneration, [`semver`] gives the change its verdict (the bump
//! kore-clients and kore-mock need), [`public_api`] checks that kore-clients
//! exposes no generated type, and [`scenario`] replays KORE-style spec
//! changes to show which verdict they get.

use std::path::{Path, PathBuf};

pub mod api_surface;
pub mod corrections;
mod error;
pub mod fresh_build;
pub mod merge;
pub mod mutants;
pub mod open_answers;
pub mod public_api;
pub mod replay;
pub mod scenario;
pub mod semver;
pub mod spec_diff;
pub mod tested;
pub mod vendor;

pub(crate) use error::err;
pub use error::{Error, Result};

/// Where the pipeline's inputs and outputs live, relative to the workspace root.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout of the workspace that contains this xtask.
    pub fn workspace() -> Self {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        Self::at(manifest.parent().unwrap_or(manifest))
    }

    /// The layout of a workspace rooted at `root` (tests use temporary roots).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `openapi/fragments`: one vendored fragment per operation.
    pub fn fragments_dir(&self) -> PathBuf {
        self.root.join("openapi").join("fragments")
    }

    /// `openapi/corrections.json`: the RFC 6902 patch applied after merging.
    pub fn corrections_file(&self) -> PathBuf {
        self.root.join("openapi").join("corrections.json")
    }

    /// Every file the merged spec is written to: the reviewable copy in
    /// `openapi/`, and the copy inside `kore-clients-gen` that its build
    /// script reads (a packaged crate cannot read outside its own directory).
    pub fn merged_outputs(&self) -> [PathBuf; 2] {
        [
            self.root.join("openapi").join("kore-clients.json"),
            self.root.join("kore-clients-gen").join("kore-clients.json"),
        ]
    }

    /// `kore-clients/src/generated.rs` and `accessors.rs`: the spec-shaped
    /// part of the wrapper's own public API (its enums, operation table,
    /// answer accessors and request setters), written by
    /// [`kore_clients_codegen::wrapper`] from the merged spec.
    pub fn wrapper_outputs(&self) -> [PathBuf; 2] {
        let src = self.root.join("kore-clients").join("src");
        [src.join("generated.rs"), src.join("accessors.rs")]
    }

    /// `kore-clients-gen/generated.sha256`: the digest of the code the
    /// generator produces from the merged spec (the code the snapshot test
    /// reviews), which `kore-clients-gen`'s build checks its own against
    /// ([`tested`]).
    pub fn record_file(&self) -> PathBuf {
        self.root.join("kore-clients-gen").join("generated.sha256")
    }

    /// `Cargo.lock`: the versions the generator runs with in this workspace,
    /// recorded next to the digest.
    pub fn lock_file(&self) -> PathBuf {
        self.root.join("Cargo.lock")
    }

    /// Shows `path` relative to the workspace root, for messages.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// Reads every fragment and the corrections, merges, corrects, records the
/// corrections in the spec (its `x-kore-corrections` extension, see
/// [`corrections::Corrections::provenance`]), opens the answers
/// ([`open_answers`], recorded as `x-kore-open-answers`), validates, and
/// returns the merged spec exactly as it is written to disk.
///
/// Recording the corrections inside the merged spec, rather than copying
/// `openapi/corrections.json` next to it, keeps one output and one freshness
/// check (`cargo xtask merge --check`): a correction edited without a merge
/// makes the committed spec stale like any fragment change.
pub fn build_spec(layout: &Layout) -> Result<String> {
    let fragments = merge::read_fragments(&layout.fragments_dir())?;
    build_spec_from(&fragments, &read_corrections(layout)?)
}

/// Reads and parses `openapi/corrections.json`.
pub fn read_corrections(layout: &Layout) -> Result<corrections::Corrections> {
    let corrections_path = layout.corrections_file();
    let corrections_text = std::fs::read_to_string(&corrections_path)
        .map_err(|e| err(format!("{}: {e}", layout.display(&corrections_path))))?;
    corrections::Corrections::parse(&layout.display(&corrections_path), &corrections_text)
}

/// [`build_spec`] on fragments and corrections already read (the replay of
/// KORE's history merges fragments that exist only in memory).
pub fn build_spec_from(
    fragments: &[merge::Fragment],
    corrections: &corrections::Corrections,
) -> Result<String> {
    let merged = merge::merge(fragments)?;
    let (mut corrected, applied) = corrections.apply_recorded(merged)?;
    let Some(top) = corrected.as_object_mut() else {
        return Err(err("the corrected spec is not a JSON object"));
    };
    if top.contains_key(corrections::PROVENANCE_KEY) {
        return Err(err(format!(
            "the fragments define `{}`, which the merge writes itself (the record of \
             openapi/corrections.json); remove it from the fragment",
            corrections::PROVENANCE_KEY
        )));
    }
    if top.contains_key(open_answers::RECORD_KEY) {
        return Err(err(format!(
            "the fragments define `{}`, which the merge writes itself (the record of the \
             open-answers rule); remove it from the fragment",
            open_answers::RECORD_KEY
        )));
    }
    top.insert(
        corrections::PROVENANCE_KEY.to_owned(),
        corrections.provenance(&applied),
    );
    let record = open_answers::apply(&mut corrected)?;
    if let Some(top) = corrected.as_object_mut() {
        top.insert(open_answers::RECORD_KEY.to_owned(), record);
    }
    let text = merge::render(&corrected);
    merge::validate(&text)?;
    Ok(text)
}

/// What `cargo xtask merge --check` found for one output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// The committed file equals a fresh merge.
    Fresh,
    /// The committed file differs from a fresh merge.
    Stale,
    /// The file does not exist.
    Missing,
}

/// Every file a merge writes, with its fresh content: the merged spec's two
/// copies, the wrapper's generated part and the record of the code
/// generated from the spec.
pub fn outputs(layout: &Layout) -> Result<Vec<(PathBuf, String)>> {
    let spec = build_spec(layout)?;
    let wrapper = kore_clients_codegen::wrapper(&spec)
        .map_err(|e| err(format!("kore-clients' generated part: {e}")))?;
    let lock_path = layout.lock_file();
    let lock = std::fs::read_to_string(&lock_path).map_err(|e| {
        err(format!(
            "{}: {e} (the record of the tested code names the generator's versions from it)",
            layout.display(&lock_path)
        ))
    })?;
    let record = tested::record(&spec, &lock, &layout.display(&lock_path))?;
    let mut outputs: Vec<(PathBuf, String)> = layout
        .merged_outputs()
        .into_iter()
        .map(|path| (path, spec.clone()))
        .collect();
    let [types, accessors] = layout.wrapper_outputs();
    outputs.push((types, wrapper.types));
    outputs.push((accessors, wrapper.accessors));
    outputs.push((layout.record_file(), record));
    Ok(outputs)
}

/// Compares every output with a fresh merge, without writing.
pub fn check(layout: &Layout) -> Result<Vec<(PathBuf, Freshness)>> {
    Ok(outputs(layout)?
        .into_iter()
        .map(|(path, fresh)| {
            let state = match std::fs::read_to_string(&path) {
                Ok(committed) if committed == fresh => Freshness::Fresh,
                Ok(_) => Freshness::Stale,
                Err(_) => Freshness::Missing,
            };
            (path, state)
        })
        .collect())
}

/// What [`merge_and_classify`] did.
#[derive(Debug, Clone)]
pub struct MergeReport {
    /// The outputs whose content changed.
    pub changed: Vec<PathBuf>,
    /// What the merged spec was compared with: `git HEAD`, or the file as it
    /// was before this merge; `None` when there was nothing to compare with.
    pub baseline: Option<String>,
    /// How the merged spec changed, classified ([`spec_diff`]).
    pub changes: Vec<spec_diff::Change>,
}

/// `cargo xtask merge`: writes a fresh merge ([`write()`]) and classifies how
/// the merged spec changed against the one committed (`git show
/// HEAD:openapi/kore-clients.json`; without git, the file as it was before
/// writing), so the maintainer is told when KORE's change is breaking by
/// nature.
pub fn merge_and_classify(layout: &Layout) -> Result<MergeReport> {
    let [spec_path, _] = layout.merged_outputs();
    let committed = committed_text(layout, &spec_path);
    let changed = write(layout)?;
    let fresh_text = std::fs::read_to_string(&spec_path)
        .map_err(|e| err(format!("{}: {e}", layout.display(&spec_path))))?;
    let fresh: serde_json::Value = serde_json::from_str(&fresh_text)
        .map_err(|e| err(format!("{}: {e}", layout.display(&spec_path))))?;
    let (baseline, changes) = match committed {
        Some((baseline, text)) => match serde_json::from_str(&text) {
            Ok(old) => (Some(baseline), spec_diff::compare(&old, &fresh)),
            Err(_) => (None, Vec::new()),
        },
        None => (None, Vec::new()),
    };
    Ok(MergeReport {
        changed,
        baseline,
        changes,
    })
}

/// The committed merged spec and where it came from.
fn committed_text(layout: &Layout, spec_path: &Path) -> Option<(String, String)> {
    let relative = layout.display(spec_path);
    let from_git = std::process::Command::new("git")
        .current_dir(layout.root())
        // `HEAD:./path` is relative to the layout's root, wherever the
        // repository's root is.
        .args(["show", &format!("HEAD:./{relative}")])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok());
    match from_git {
        Some(text) => Some((format!("{relative} as committed (git HEAD)"), text)),
        None => std::fs::read_to_string(spec_path)
            .ok()
            .map(|text| (format!("{relative} as it was before this merge"), text)),
    }
}

/// Writes a fresh merge to every output; returns the files whose content changed.
pub fn write(layout: &Layout) -> Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    for (path, fresh) in outputs(layout)? {
        if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
            std::fs::write(&path, &fresh)
                .map_err(|e| err(format!("{}: {e}", layout.display(&path))))?;
            changed.push(path);
        }
    }
    Ok(changed)
}
