//! `cargo xtask semver`: the semver verdict of a change, run after every
//! regeneration (`cargo xtask merge`) and in CI.
//!
//! For each published crate whose API users write code against
//! ([`CRATES`]) it says which bump the change since a baseline needs:
//!
//! - **major**: something public broke (for 0.x, Cargo's convention makes
//!   that the minor digit: 0.1.0 → 0.2.0);
//! - **minor**: the public API only grew (for 0.x: a patch, 0.1.0 → 0.1.1);
//! - **none**: the public API is the same.
//!
//! Breakage is cargo-semver-checks' finding, run with `--release-type patch`
//! so that every lint runs whatever Cargo.toml says; additions (which it
//! does not report) and removals it cannot see (a re-export of another
//! crate's item) come from comparing the public item paths of the two
//! versions' rustdoc JSON ([`crate::public_api`]). The command fails when a
//! change needs a major bump Cargo.toml's version does not make, or when
//! kore-clients' public API names a generated type
//! ([`crate::public_api::GENERATED_CRATES`]).
//!
//! The baseline is the newest release tag (`v0.2.0`, see [`TAG_PREFIX`])
//! that HEAD contains and that is not on HEAD itself, else the previous
//! commit (`HEAD~1`); `--baseline-rev REV` chooses another.
//!
//! `--scenario NAME` replays KORE-style spec changes on a scratch copy of
//! HEAD and checks the verdict they get ([`crate::scenario`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::public_api::{self, GENERATED_CRATES, Leak};

/// The crates the verdict covers: the SDK, and the mock whose builder API
/// other teams' tests use.
pub const CRATES: [&str; 2] = ["kore-clients", "kore-mock"];

/// The crate whose public API must not name a generated type.
pub const GUARDED: &str = "kore-clients";

/// Release tags are this prefix and the workspace version: `v0.2.0`.
pub const TAG_PREFIX: &str = "v";

// ---------------------------------------------------------------------------
// Versions and bumps

/// A crate version, `MAJOR.MINOR.PATCH` with an optional `-pre` part
/// (`+build` metadata is ignored, as Cargo does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The first number.
    pub major: u64,
    /// The second number.
    pub minor: u64,
    /// The third number.
    pub patch: u64,
    /// What follows `-`, empty for a release.
    pub pre: String,
}

impl Version {
    /// Parses `1.2.3`, `0.2.0-rc.1` or `1.0.0+build`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let core_and_pre = text.split_once('+').map_or(text, |(v, _)| v);
        let (core, pre) = core_and_pre.split_once('-').unwrap_or((core_and_pre, ""));
        let numbers: Vec<&str> = core.split('.').collect();
        let [major, minor, patch] = numbers.as_slice() else {
            return Err(format!("`{text}` is not a version (MAJOR.MINOR.PATCH)"));
        };
        let number = |part: &str| {
            part.parse::<u64>()
                .map_err(|_| format!("`{text}` is not a version (MAJOR.MINOR.PATCH)"))
        };
        Ok(Self {
            major: number(major)?,
            minor: number(minor)?,
            patch: number(patch)?,
            pre: pre.to_owned(),
        })
    }

    /// The version a change needing `bump` should be released as, when the
    /// last release was `self` (Cargo's 0.x convention: the leftmost
    /// non-zero number is the major one).
    pub fn bumped(&self, bump: Bump) -> Version {
        let release = |major, minor, patch| Version {
            major,
            minor,
            patch,
            pre: String::new(),
        };
        match (bump, self.major, self.minor) {
            (Bump::None, ..) => self.clone(),
            (Bump::Major, 0, 0) | (Bump::Minor, 0, 0) => release(0, 0, self.patch + 1),
            (Bump::Major, 0, minor) => release(0, minor + 1, 0),
            (Bump::Major, major, _) => release(major + 1, 0, 0),
            (Bump::Minor, 0, minor) => release(0, minor, self.patch + 1),
            (Bump::Minor, major, minor) => release(major, minor + 1, 0),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        Ok(())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            // A pre-release comes before its release.
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The bump a change needs, in semver's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// The public API is unchanged.
    None,
    /// The public API only grew.
    Minor,
    /// Something public broke.
    Major,
}

impl Bump {
    /// `none`, `minor` or `major`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }

    /// Parses `none`, `minor` or `major`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "none" => Ok(Bump::None),
            "minor" => Ok(Bump::Minor),
            "major" => Ok(Bump::Major),
            other => Err(format!("`{other}` is not a bump (none, minor or major)")),
        }
    }
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What going from one version to another releases, as Cargo reads
/// version requirements (the leftmost non-zero number is the major one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Release {
    /// The same version.
    Unchanged,
    /// A patch release (1.x only: 0.x has none that may not add).
    Patch,
    /// A compatible release that may add (1.2 → 1.3, 0.1.0 → 0.1.1).
    Minor,
    /// An incompatible release (1 → 2, 0.1 → 0.2, 0.0.1 → 0.0.2, a new pre-release).
    Major,
}

impl Release {
    /// Classifies `baseline → current`; a version that went down is an error.
    pub fn between(baseline: &Version, current: &Version) -> Result<Self, String> {
        if current < baseline {
            return Err(format!(
                "the version went down from {baseline} to {current}; \
                 a release must be newer than the one before"
            ));
        }
        Ok(if current.major != baseline.major {
            Release::Major
        } else if current.minor != baseline.minor {
            if current.major == 0 {
                Release::Major
            } else {
                Release::Minor
            }
        } else if current.patch != baseline.patch {
            match (current.major, current.minor) {
                (0, 0) => Release::Major,
                (0, _) => Release::Minor,
                _ => Release::Patch,
            }
        } else if current.pre != baseline.pre {
            Release::Major
        } else {
            Release::Unchanged
        })
    }

    /// Whether this release may carry a change that needs `bump`.
    pub fn allows(self, bump: Bump) -> bool {
        match bump {
            Bump::None => true,
            Bump::Minor => self >= Release::Minor,
            Bump::Major => self == Release::Major,
        }
    }
}

// ---------------------------------------------------------------------------
// The baseline

/// The revision the change is compared with, and why that one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// `--baseline-rev REV`.
    Given(String),
    /// The newest release tag HEAD contains, other than one on HEAD.
    Tag {
        /// The tag, `v0.2.0`.
        name: String,
        /// Its version.
        version: Version,
    },
    /// No release tag: the previous commit.
    Parent,
}

impl Baseline {
    /// The revision to hand to git and cargo-semver-checks.
    pub fn rev(&self) -> &str {
        match self {
            Baseline::Given(rev) => rev,
            Baseline::Tag { name, .. } => name,
            Baseline::Parent => "HEAD~1",
        }
    }

    /// Why this baseline, for the report.
    pub fn reason(&self) -> String {
        match self {
            Baseline::Given(rev) => format!("{rev} (--baseline-rev)"),
            Baseline::Tag { name, .. } => format!("{name}, the newest release tag"),
            Baseline::Parent => format!(
                "HEAD~1, the previous commit (no release tag `{TAG_PREFIX}X.Y.Z` other than \
                 on HEAD)"
            ),
        }
    }
}

/// Chooses the baseline: `given` if any, else the release tag (`vX.Y.Z`)
/// with the highest version among `tags` (name, commit) whose commit is not
/// `head`, else the previous commit. Tags that are not releases are ignored.
pub fn choose_baseline(given: Option<&str>, tags: &[(String, String)], head: &str) -> Baseline {
    if let Some(rev) = given {
        return Baseline::Given(rev.to_owned());
    }
    tags.iter()
        .filter(|(_, commit)| commit != head)
        .filter_map(|(name, _)| {
            let version = Version::parse(name.strip_prefix(TAG_PREFIX)?).ok()?;
            Some((version, name))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map_or(Baseline::Parent, |(version, name)| Baseline::Tag {
            name: name.clone(),
            version,
        })
}

// ---------------------------------------------------------------------------
// cargo-semver-checks' report

/// One lint cargo-semver-checks reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The lint id, `inherent_method_missing`.
    pub id: String,
    /// Its title, `pub method removed or renamed`.
    pub title: String,
    /// Its "Failed in:" lines.
    pub places: Vec<String>,
}

/// What cargo-semver-checks said about one crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksReport {
    /// The crate, `kore-clients`.
    pub crate_name: String,
    /// Its version at the baseline.
    pub baseline_version: String,
    /// Its version now.
    pub current_version: String,
    /// The bump its failed lints require (`None` when none failed).
    pub required: Bump,
    /// The lints that failed.
    pub failures: Vec<Finding>,
    /// The lints that only warned.
    pub warnings: Vec<Finding>,
}

/// Reads cargo-semver-checks' output for one crate, its stdout and stderr
/// as one stream (0.40 and later: a `Checking NAME vA -> vB (…)` and a
/// `Summary …` status line, `--- failure ID: TITLE ---` blocks with
/// `Failed in:` lines, `--- warning ID: TITLE ---` blocks).
pub fn parse_semver_checks(output: &str) -> Result<ChecksReport, String> {
    let mut checking = None;
    let mut required = None;
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    let mut current: Option<(bool, Finding)> = None;
    let mut in_places = false;
    let mut finish = |current: &mut Option<(bool, Finding)>| {
        if let Some((failure, finding)) = current.take() {
            if failure {
                &mut failures
            } else {
                &mut warnings
            }
            .push(finding);
        }
    };
    for line in output.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Checking ") {
            // kore-clients v0.1.0 -> v0.2.0 (assume patch change)
            let words: Vec<&str> = rest.split_whitespace().collect();
            if let [name, from, "->", to, ..] = words.as_slice() {
                let version = |v: &str| v.strip_prefix('v').unwrap_or(v).to_owned();
                checking = Some(((*name).to_owned(), version(from), version(to)));
            }
        } else if let Some(summary) = line.strip_prefix("Summary ") {
            finish(&mut current);
            required = Some(
                if summary.starts_with("semver requires new major version") {
                    Bump::Major
                } else if summary.starts_with("semver requires new minor version") {
                    Bump::Minor
                } else if summary.starts_with("no semver update required") {
                    Bump::None
                } else {
                    return Err(format!(
                        "cargo-semver-checks ended with `{summary}`, which this xtask does not \
                     know; read its output above"
                    ));
                },
            );
        } else if let Some(header) = line
            .strip_prefix("--- ")
            .and_then(|rest| rest.strip_suffix(" ---"))
        {
            let (failure, rest) = match header.split_once(' ') {
                Some(("failure", rest)) => (true, rest),
                Some(("warning", rest)) => (false, rest),
                _ => continue,
            };
            let (id, title) = rest.split_once(": ").unwrap_or((rest, ""));
            finish(&mut current);
            current = Some((
                failure,
                Finding {
                    id: id.to_owned(),
                    title: title.to_owned(),
                    places: Vec::new(),
                },
            ));
            in_places = false;
        } else if line == "Failed in:" {
            in_places = true;
        } else if line.is_empty() {
            in_places = false;
        } else if in_places && let Some((_, finding)) = current.as_mut() {
            finding.places.push(line.to_owned());
        }
    }
    finish(&mut current);
    let (Some((crate_name, baseline_version, current_version)), Some(required)) =
        (checking, required)
    else {
        return Err(
            "cargo-semver-checks did not check the crate (its output has no `Checking` and \
             `Summary` lines): read its error above"
                .to_owned(),
        );
    };
    Ok(ChecksReport {
        crate_name,
        baseline_version,
        current_version,
        required,
        failures,
        warnings,
    })
}

// ---------------------------------------------------------------------------
// The verdict

/// Everything known about one crate's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The crate, `kore-clients`.
    pub crate_name: String,
    /// Its version at the baseline.
    pub baseline_version: Version,
    /// Its version now (Cargo.toml).
    pub current_version: Version,
    /// What cargo-semver-checks requires.
    pub checks_required: Bump,
    /// Public item paths that are new.
    pub added: Vec<String>,
    /// Public item paths that are gone.
    pub removed: Vec<String>,
}

/// The verdict on one crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The bump the change needs.
    pub needed: Bump,
    /// What Cargo.toml's version change releases.
    pub release: Release,
    /// The version to release the change as, if it needs one.
    pub next: Version,
    /// The change needs a major bump Cargo.toml's version does not make.
    pub unmatched_break: bool,
}

/// Decides the verdict from the facts: breakage (cargo-semver-checks' or a
/// public path that is gone) needs major, an addition minor.
pub fn decide(facts: &Facts) -> Result<Verdict, String> {
    let mut needed = facts.checks_required;
    if !facts.removed.is_empty() {
        needed = needed.max(Bump::Major);
    }
    if !facts.added.is_empty() {
        needed = needed.max(Bump::Minor);
    }
    let release = Release::between(&facts.baseline_version, &facts.current_version)
        .map_err(|e| format!("{}: {e}", facts.crate_name))?;
    Ok(Verdict {
        needed,
        release,
        next: facts.baseline_version.bumped(needed),
        unmatched_break: needed == Bump::Major && !release.allows(Bump::Major),
    })
}

/// The one-line meaning of a bump for a version line like `baseline`.
pub fn explain(needed: Bump, baseline: &Version) -> String {
    let next = baseline.bumped(needed);
    match (needed, baseline.major) {
        (Bump::None, _) => "none (the public API is unchanged)".to_owned(),
        (Bump::Major, 0) => format!("major (breaking; 0.x: the minor digit, {baseline} → {next})"),
        (Bump::Major, _) => format!("major (breaking: {baseline} → {next})"),
        (Bump::Minor, 0) => {
            format!("minor (the public API only grew; 0.x: a patch, {baseline} → {next})")
        }
        (Bump::Minor, _) => format!("minor (the public API only grew: {baseline} → {next})"),
    }
}

/// The verdict's result for each crate, and the public-API check's.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Per crate, in [`CRATES`] order.
    pub crates: Vec<(Facts, Verdict, ChecksReport)>,
    /// What kore-clients' public API exposes of the generated crates.
    pub leaks: Vec<Leak>,
}

impl Outcome {
    /// The messages that make the command fail, each saying what to do.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for (facts, verdict, _) in &self.crates {
            if verdict.unmatched_break {
                failures.push(format!(
                    "{} breaks its public API, but its version goes {} → {}, which is no \
                     major release: bump the workspace version to {} (Cargo.toml's \
                     [workspace.package] `version`, and the `version` of every workspace \
                     crate a Cargo.toml depends on), and add a `## [{}]` section to \
                     CHANGELOG.md that names KORE's change and what broke",
                    facts.crate_name,
                    facts.baseline_version,
                    facts.current_version,
                    verdict.next,
                    verdict.next,
                ));
            }
        }
        if !self.leaks.is_empty() {
            failures.push(format!(
                "the public API of {GUARDED} (default features) names {} item(s) of {}: wrap \
                 them in types of its own, or move them behind the `unstable-raw` feature; \
                 a change there needs a major bump and a CHANGELOG.md entry",
                self.leaks.len(),
                GENERATED_CRATES.join(", ")
            ));
        }
        failures
    }
}

/// The report: per crate the versions, the findings, the items added and
/// removed and the bump needed, then the public-API check.
pub fn render(baseline: &str, outcome: &Outcome) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "\nsemver verdict against {baseline}");
    for (facts, verdict, checks) in &outcome.crates {
        let _ = writeln!(
            out,
            "\n{} {} -> {}",
            facts.crate_name, facts.baseline_version, facts.current_version
        );
        if checks.failures.is_empty() {
            let _ = writeln!(out, "  cargo-semver-checks: no breaking change");
        } else {
            let _ = writeln!(
                out,
                "  cargo-semver-checks: {} lint(s) failed, requiring {}:",
                checks.failures.len(),
                checks.required
            );
            for finding in &checks.failures {
                let _ = writeln!(out, "    {}: {}", finding.id, finding.title);
                for place in &finding.places {
                    let _ = writeln!(out, "      {place}");
                }
            }
        }
        for finding in &checks.warnings {
            let _ = writeln!(out, "  warning {}: {}", finding.id, finding.title);
        }
        list(&mut out, "removed from the public API", &facts.removed);
        list(&mut out, "added to the public API", &facts.added);
        let _ = writeln!(
            out,
            "  bump needed: {}",
            explain(verdict.needed, &facts.baseline_version)
        );
        let version_note = match (verdict.needed, verdict.release.allows(verdict.needed)) {
            (Bump::None, _) => String::new(),
            (_, true) => format!("; Cargo.toml's {} makes it", facts.current_version),
            (Bump::Minor, false) => format!(
                "; Cargo.toml still says {}: release it as {} or later (not enforced \
                 before the release)",
                facts.current_version, verdict.next
            ),
            (Bump::Major, false) => {
                format!(
                    "; Cargo.toml still says {}: NOT BUMPED",
                    facts.current_version
                )
            }
        };
        let _ = writeln!(out, "  verdict: {}{version_note}", verdict.needed);
    }
    if outcome.leaks.is_empty() {
        let _ = writeln!(
            out,
            "\npublic-API check: {GUARDED} names no item of {}",
            GENERATED_CRATES.join(", ")
        );
    } else {
        let _ = writeln!(
            out,
            "\npublic-API check: the public API of {GUARDED} names {} item(s) of the generated \
             crates:",
            outcome.leaks.len()
        );
        for leak in &outcome.leaks {
            let _ = writeln!(out, "  {leak}");
        }
    }
    out
}

fn list(out: &mut String, title: &str, items: &[String]) {
    use std::fmt::Write as _;
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {title} ({}):", items.len());
    for item in items {
        let _ = writeln!(out, "    {item}");
    }
}

// ---------------------------------------------------------------------------
// Arguments

/// What `cargo xtask semver` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Options {
    /// `--baseline-rev REV`.
    pub baseline_rev: Option<String>,
    /// `--scenario NAME`.
    pub scenario: Option<String>,
}

/// Parses the arguments after `cargo xtask semver`.
pub fn parse_args(args: &[&str]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg, None),
        };
        let slot = match flag {
            "--baseline-rev" => &mut options.baseline_rev,
            "--scenario" => &mut options.scenario,
            other => return Err(format!("unknown argument `{other}`")),
        };
        let value = match inline {
            Some(value) => value,
            None => rest
                .next()
                .map(|v| (*v).to_owned())
                .ok_or_else(|| format!("{flag} needs a value"))?,
        };
        if value.is_empty() || value.starts_with('-') {
            return Err(format!("{flag} needs a value, not `{value}`"));
        }
        if slot.replace(value).is_some() {
            return Err(format!("{flag} given twice"));
        }
    }
    if options.scenario.is_some() && options.baseline_rev.is_some() {
        return Err(
            "--scenario compares with HEAD, the commit the scenario starts from; \
             leave out --baseline-rev"
                .to_owned(),
        );
    }
    Ok(options)
}

// ---------------------------------------------------------------------------
// Running it

/// Runs `cargo xtask semver` in the workspace at `root` (with `--scenario`,
/// [`crate::scenario::run`] runs instead).
pub fn run(root: &Path, options: &Options) -> Result<(), String> {
    require_semver_checks()?;
    let work = Workdirs::of(root)?;
    let head = git(root, &["rev-parse", "HEAD"])?;
    let baseline = match &options.baseline_rev {
        Some(rev) => choose_baseline(Some(rev), &[], &head),
        None => choose_baseline(None, &release_tags(root)?, &head),
    };
    let commit = resolve(root, baseline.rev()).map_err(|e| match baseline {
        Baseline::Parent => format!(
            "{e}\nthere is no release tag and no previous commit to compare with (a shallow \
             clone?): fetch the history (`git fetch --unshallow --tags`) or pass \
             --baseline-rev REV"
        ),
        _ => e,
    })?;
    let label = format!("{} = {}", baseline.reason(), short(&commit));
    let outcome = verdict(root, &commit, &work)?;
    println!("{}", render(&label, &outcome));
    conclude(&outcome)
}

/// Prints the conclusion and turns failures into the command's error.
fn conclude(outcome: &Outcome) -> Result<(), String> {
    let failures = outcome.failures();
    if failures.is_empty() {
        let verdicts: Vec<String> = outcome
            .crates
            .iter()
            .map(|(facts, verdict, _)| format!("{} {}", facts.crate_name, verdict.needed))
            .collect();
        println!("semver verdict: {}", verdicts.join(", "));
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// The verdict of the workspace at `root` against `baseline` (a commit).
pub fn verdict(root: &Path, baseline: &str, work: &Workdirs) -> Result<Outcome, String> {
    let mut crates = Vec::new();
    let mut leaks = Vec::new();
    for name in CRATES {
        println!(
            "==> cargo semver-checks -p {name} --baseline-rev {}",
            short(baseline)
        );
        let checks = semver_checks(root, name, baseline, work)?;
        println!(
            "==> public API of {name}: rustdoc JSON now and at {}",
            short(baseline)
        );
        let current = work.current_json(root, name)?;
        let before = work.baseline_json(root, baseline, name)?;
        let current = public_api::surface_of_file(&current, &GENERATED_CRATES)?;
        let before = public_api::surface_of_file(&before, &GENERATED_CRATES)?;
        if name == GUARDED {
            leaks.clone_from(&current.leaks);
        }
        let version = |surface: &public_api::Surface, at: &str| {
            let text = surface
                .crate_version
                .as_deref()
                .ok_or_else(|| format!("the rustdoc JSON of {name} ({at}) has no crate_version"))?;
            Version::parse(text).map_err(|e| format!("{name} ({at}): {e}"))
        };
        let facts = Facts {
            crate_name: name.to_owned(),
            baseline_version: version(&before, "baseline")?,
            current_version: version(&current, "now")?,
            checks_required: checks.required,
            added: current.items.difference(&before.items).cloned().collect(),
            removed: before.items.difference(&current.items).cloned().collect(),
        };
        let verdict = decide(&facts)?;
        crates.push((facts, verdict, checks));
    }
    Ok(Outcome { crates, leaks })
}

/// What `cargo xtask public-api` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublicApiOptions {
    /// `--json FILE`: check this rustdoc JSON instead of building one.
    pub json: Option<PathBuf>,
    /// `--list`: print every public item path too.
    pub list: bool,
}

/// Parses the arguments after `cargo xtask public-api`.
pub fn parse_public_api_args(args: &[&str]) -> Result<PublicApiOptions, String> {
    let mut options = PublicApiOptions::default();
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        match arg {
            "--list" => options.list = true,
            "--json" => {
                let file = rest.next().ok_or("--json needs a file")?;
                options.json = Some(PathBuf::from(file));
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

/// Runs `cargo xtask public-api`: builds kore-clients' rustdoc JSON with its
/// default features (or reads `--json`'s) and lists what it exposes of the
/// generated crates.
pub fn run_public_api(root: &Path, options: &PublicApiOptions) -> Result<(), String> {
    let file = match &options.json {
        Some(file) => file.clone(),
        None => Workdirs::of(root)?.current_json(root, GUARDED)?,
    };
    let surface = public_api::surface_of_file(&file, &GENERATED_CRATES)?;
    println!(
        "{} {}: {} public item paths",
        surface.crate_name,
        surface.crate_version.as_deref().unwrap_or("(no version)"),
        surface.items.len()
    );
    if options.list {
        for item in &surface.items {
            println!("  {item}");
        }
    }
    if surface.leaks.is_empty() {
        println!(
            "public API names no item of {} (default features)",
            GENERATED_CRATES.join(", ")
        );
        return Ok(());
    }
    println!(
        "{} public item(s) name items of the generated crates:",
        surface.leaks.len()
    );
    for leak in &surface.leaks {
        println!("  {leak}");
    }
    Err(format!(
        "the public API of {} (default features) names {} item(s) of {} (listed above): wrap \
         them in types of its own, or put them behind the `unstable-raw` feature",
        surface.crate_name,
        surface.leaks.len(),
        GENERATED_CRATES.join(", ")
    ))
}

/// Where the verdict builds: one target directory, `<target>/semver`,
/// shared by cargo-semver-checks (through `CARGO_TARGET_DIR`) and the
/// rustdoc JSON built here, so that both compile the dependencies once and
/// normal builds in `<target>` are not disturbed.
#[derive(Debug, Clone)]
pub struct Workdirs {
    /// `<target>/semver`.
    pub target: PathBuf,
}

impl Workdirs {
    /// The directories of the workspace at `root`, from `cargo metadata`
    /// (which honours `CARGO_TARGET_DIR` and `build.target-dir`).
    pub fn of(root: &Path) -> Result<Self, String> {
        let output = cargo()
            .current_dir(root)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .output()
            .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo metadata failed in {}: {}",
                root.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let metadata: Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("cargo metadata printed no JSON: {e}"))?;
        let target = metadata
            .get("target_directory")
            .and_then(Value::as_str)
            .ok_or("cargo metadata names no target_directory")?;
        Ok(Self {
            target: Path::new(target).join("semver"),
        })
    }

    /// The rustdoc JSON of `package` in the workspace at `root` as it is
    /// now. A clean checkout's is also kept as its commit's, so that a
    /// later verdict against that commit (the scenario's) need not build it.
    pub fn current_json(&self, root: &Path, package: &str) -> Result<PathBuf, String> {
        let built = public_api::build_rustdoc_json(root, package, &self.target)?;
        let clean = git(root, &["status", "--porcelain"])?.is_empty();
        if clean {
            let head = git(root, &["rev-parse", "HEAD"])?;
            let cached = self.cache_file(&head, package)?;
            copy(&built, &cached)?;
            prune(&self.target.join("api-json"), CACHED_COMMITS);
            return Ok(cached);
        }
        let now = self
            .target
            .join("api-json")
            .join(format!("now-{package}.json"));
        copy(&built, &now)?;
        Ok(now)
    }

    /// The rustdoc JSON of `package` at `commit`, built in a git worktree at
    /// `<target>/semver/baseline` unless one is cached for that commit and
    /// this toolchain.
    pub fn baseline_json(
        &self,
        root: &Path,
        commit: &str,
        package: &str,
    ) -> Result<PathBuf, String> {
        let cached = self.cache_file(commit, package)?;
        if cached.is_file() {
            return Ok(cached);
        }
        let checkout = self.target.join("baseline");
        checkout_at(root, &checkout, commit)?;
        let built = public_api::build_rustdoc_json(&checkout, package, &self.target)?;
        copy(&built, &cached)?;
        prune(&self.target.join("api-json"), CACHED_COMMITS);
        Ok(cached)
    }

    /// `<target>/semver/api-json/<commit>-<toolchain>/<package>.json`: the
    /// JSON's shape follows the toolchain, so another rustc builds anew.
    /// Only the [`CACHED_COMMITS`] most recent commits are kept.
    fn cache_file(&self, commit: &str, package: &str) -> Result<PathBuf, String> {
        let output = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
            .arg("-V")
            .output()
            .map_err(|e| format!("cannot run rustc -V: {e}"))?;
        // `rustc 1.95.0 (59807616e 2026-04-14)`: the version and its commit,
        // which tells nightlies of one version apart.
        let rustc = String::from_utf8_lossy(&output.stdout);
        let toolchain: String = rustc
            .split_whitespace()
            .skip(1)
            .take(2)
            .collect::<Vec<_>>()
            .join("-")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            .collect();
        Ok(self
            .target
            .join("api-json")
            .join(format!("{commit}-{toolchain}"))
            .join(format!("{package}.json")))
    }
}

/// How many commits' rustdoc JSON `<target>/semver/api-json` keeps.
pub const CACHED_COMMITS: usize = 8;

/// Removes all but the `keep` directories in `dir` whose files were written
/// last; what cannot be removed stays (it is only a cache).
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let written = |path: &Path| {
        std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .filter_map(|file| file.ok()?.metadata().ok()?.modified().ok())
            .max()
    };
    let mut dirs: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .filter_map(|path| Some((written(&path)?, path)))
        .collect();
    dirs.sort_by_key(|(time, _)| std::cmp::Reverse(*time));
    for (_, old) in dirs.into_iter().skip(keep) {
        let _ = std::fs::remove_dir_all(old);
    }
}

/// Makes `dir` a detached git worktree of `root`'s repository at `commit`,
/// reusing it when it already is one (files that did not change keep their
/// times, so cargo rebuilds only what the commit changed).
fn checkout_at(root: &Path, dir: &Path, commit: &str) -> Result<(), String> {
    let reusable = dir.join(".git").is_file()
        && git(dir, &["checkout", "--quiet", "--detach", "--force", commit]).is_ok()
        && git(dir, &["clean", "-fdq"]).is_ok();
    if reusable {
        return Ok(());
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| format!("cannot remove the stale checkout {}: {e}", dir.display()))?;
    }
    git(root, &["worktree", "prune"])?;
    let dir_text = dir.to_string_lossy();
    git(
        root,
        &[
            "worktree", "add", "--quiet", "--detach", "--force", &dir_text, commit,
        ],
    )?;
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// Runs cargo-semver-checks on one crate with its output (stdout and
/// stderr in the order written) in `<target>/semver/semver-checks-CRATE.log`,
/// prints it and reads it.
fn semver_checks(
    root: &Path,
    package: &str,
    baseline: &str,
    work: &Workdirs,
) -> Result<ChecksReport, String> {
    std::fs::create_dir_all(&work.target)
        .map_err(|e| format!("cannot create {}: {e}", work.target.display()))?;
    let log = work.target.join(format!("semver-checks-{package}.log"));
    let file =
        std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let both = file
        .try_clone()
        .map_err(|e| format!("cannot share {}: {e}", log.display()))?;
    let status = cargo()
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &work.target)
        .args(["semver-checks", "--color", "never", "--package", package])
        .args(["--baseline-rev", baseline])
        // Every lint, whatever Cargo.toml's version says: the verdict
        // compares the needed bump with the version itself.
        .args(["--release-type", "patch"])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .stdout(file)
        .stderr(both)
        .status()
        .map_err(|e| format!("cannot run cargo semver-checks: {e}"))?;
    let output =
        std::fs::read_to_string(&log).map_err(|e| format!("cannot read {}: {e}", log.display()))?;
    print!("{output}");
    let report = parse_semver_checks(&output)
        .map_err(|e| format!("cargo semver-checks -p {package} failed ({status}): {e}"))?;
    if report.crate_name != package {
        return Err(format!(
            "cargo semver-checks -p {package} checked `{}` instead",
            report.crate_name
        ));
    }
    Ok(report)
}

/// Fails, saying how to install it, when cargo-semver-checks is missing.
pub fn require_semver_checks() -> Result<(), String> {
    let ok = cargo()
        .args(["semver-checks", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(())
    } else {
        Err(
            "cargo-semver-checks is not installed: cargo install --locked cargo-semver-checks"
                .to_owned(),
        )
    }
}

/// Every tag `vX.Y.Z`-shaped or not that HEAD contains, with its commit.
fn release_tags(root: &Path) -> Result<Vec<(String, String)>, String> {
    let pattern = format!("refs/tags/{TAG_PREFIX}*");
    let listing = git(
        root,
        &[
            "for-each-ref",
            "--merged",
            "HEAD",
            "--format=%(refname:short) %(objectname) %(*objectname)",
            &pattern,
        ],
    )?;
    Ok(listing
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let name = parts.next()?;
            let object = parts.next()?;
            // An annotated tag's commit is the peeled object.
            let commit = parts.next().unwrap_or(object);
            Some((name.to_owned(), commit.to_owned()))
        })
        .collect())
}

fn resolve(root: &Path, rev: &str) -> Result<String, String> {
    git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| format!("`{rev}` is not a commit of this repository"))
}

pub(crate) fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs git in `dir`; its trimmed stdout, or an error with its stderr.
pub(crate) fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git {} failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
