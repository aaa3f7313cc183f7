//! `cargo xtask mutants`: mutation testing with cargo-mutants, run in shards
//! that each fit in a few minutes, with one score at the end.
//!
//! What is mutated, the cargo profile and the test arguments live in
//! `.cargo/mutants.toml`, so a bare `cargo mutants` measures the same thing.
//! This module only adds what cargo-mutants leaves to its caller: splitting a
//! run into shards, resuming one that was interrupted, restricting a run to
//! the lines a change touched, and adding the shards up into one score.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The share of viable mutants the tests must catch.
pub const REQUIRED_SCORE: f64 = 95.0;

/// Mutants per shard when the caller does not choose: about five minutes of
/// building and testing on a 2-core machine.
pub const SHARD_SIZE: usize = 25;

/// What a run without FILE arguments mutates: the SDK, the CLI's exit-code
/// mapping and the mock's fault rules.
pub const SCOPE: [&str; 3] = [
    "kore-clients/src/**/*.rs",
    "kore-cli/src/exit.rs",
    "kore-mock/src/faults.rs",
];

/// The chaos test's seed while mutants run, so that an outcome does not
/// depend on which random seed a run happened to draw.
pub const CHAOS_SEED: &str = "1";

/// What the caller asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Options {
    /// Source files (or globs) to mutate; empty means [`SCOPE`].
    pub files: Vec<String>,
    /// Only this shard, `(k, n)` with `k` counted from 0 as cargo-mutants does.
    pub shard: Option<(usize, usize)>,
    /// Split into this many shards instead of [`SHARD_SIZE`]-sized ones.
    pub shards: Option<usize>,
    /// Only mutants in lines changed since this revision.
    pub changed_since: Option<String>,
    /// Reuse shards already finished on the same source tree.
    pub resume: bool,
    /// Mutate the checkout itself instead of a copy (for a checkout nobody is editing).
    pub in_place: bool,
    /// Only the mutants the last run (not itself a --changed or --survivors
    /// run) missed or timed out on, found by
    /// file and description (their lines may have moved since).
    pub survivors: bool,
}

/// Parses the arguments after `cargo xtask mutants`.
pub fn parse_args(args: &[&str]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut changed = false;
    let mut base = None;
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        let mut value = |flag: &str| {
            rest.next()
                .map(|v| v.to_string())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match arg {
            "--shard" => {
                let v = value(arg)?;
                options.shard = Some(parse_shard(&v)?);
            }
            "--shards" => {
                let v = value(arg)?;
                let n: usize = v
                    .parse()
                    .map_err(|_| format!("--shards {v}: expected a positive number"))?;
                if n == 0 {
                    return Err("--shards 0: expected a positive number".into());
                }
                options.shards = Some(n);
            }
            "--changed" => changed = true,
            "--base" => base = Some(value(arg)?),
            "--resume" => options.resume = true,
            "--in-place" => options.in_place = true,
            "--survivors" => options.survivors = true,
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            file => {
                if !file.ends_with(".rs") {
                    return Err(format!(
                        "{file}: expected a Rust source file or glob (FILE.rs)"
                    ));
                }
                options.files.push(file.to_string());
            }
        }
    }
    match (changed, base) {
        (true, base) => options.changed_since = Some(base.unwrap_or_else(|| "main".into())),
        (false, Some(_)) => return Err("--base only makes sense with --changed".into()),
        (false, None) => {}
    }
    if options.shard.is_some() && options.shards.is_some() {
        return Err("give either --shard K/N or --shards N, not both".into());
    }
    if options.survivors
        && (options.changed_since.is_some()
            || options.shard.is_some()
            || options.shards.is_some()
            || options.resume)
    {
        return Err(
            "--survivors runs the last run's survivors in one go: no --changed, --shard(s) or --resume"
                .into(),
        );
    }
    Ok(options)
}

fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard {text}: expected K/N with 0 <= K < N, e.g. 0/4");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if k < n { Ok((k, n)) } else { Err(bad()) }
}

/// How the mutants of one run (or shard) ended, by cargo-mutants' own lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Mutants some test failed on.
    pub caught: Vec<String>,
    /// Mutants every test passed with.
    pub missed: Vec<String>,
    /// Mutants the tests did not finish on within the timeout.
    pub timeouts: Vec<String>,
    /// Mutants that did not build, and so say nothing about the tests.
    pub unviable: Vec<String>,
}

impl Tally {
    /// Reads `caught.txt`, `missed.txt`, `timeout.txt` and `unviable.txt`
    /// from a `mutants.out` directory.
    pub fn read(dir: &Path) -> Result<Tally, String> {
        let list = |name: &str| -> Result<Vec<String>, String> {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(text
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_string)
                    .collect()),
                Err(e) => Err(format!("cannot read {}: {e}", path.display())),
            }
        };
        Ok(Tally {
            caught: list("caught.txt")?,
            missed: list("missed.txt")?,
            timeouts: list("timeout.txt")?,
            unviable: list("unviable.txt")?,
        })
    }

    /// Adds another shard's outcomes.
    pub fn add(&mut self, other: Tally) {
        self.caught.extend(other.caught);
        self.missed.extend(other.missed);
        self.timeouts.extend(other.timeouts);
        self.unviable.extend(other.unviable);
    }

    /// Mutants that built: the ones that say something about the tests.
    pub fn viable(&self) -> usize {
        self.caught.len() + self.missed.len() + self.timeouts.len()
    }

    /// Caught mutants as a percentage of viable ones. A timeout counts
    /// against the score: a test that hangs has not told anyone anything.
    /// `None` when no mutant built.
    pub fn score(&self) -> Option<f64> {
        let viable = self.viable();
        (viable > 0).then(|| 100.0 * self.caught.len() as f64 / viable as f64)
    }

    /// Whether the score holds: at least [`REQUIRED_SCORE`] and no timeouts.
    pub fn passes(&self) -> bool {
        self.timeouts.is_empty() && self.score().is_none_or(|s| s >= REQUIRED_SCORE)
    }

    /// The summary printed at the end of a run.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let total = self.viable() + self.unviable.len();
        let score = match self.score() {
            Some(s) => format!("{s:.1} %"),
            None => "n/a (no viable mutants)".into(),
        };
        let _ = writeln!(
            out,
            "{total} mutants: {} caught, {} missed, {} timeouts, {} unviable; \
             score {score} of viable mutants (required: {REQUIRED_SCORE} %, no timeouts)",
            self.caught.len(),
            self.missed.len(),
            self.timeouts.len(),
            self.unviable.len(),
        );
        for (title, list) in [("missed", &self.missed), ("timeouts", &self.timeouts)] {
            if !list.is_empty() {
                let _ = writeln!(out, "{title}:");
                let mut sorted = list.clone();
                sorted.sort();
                for line in sorted {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        out
    }
}

/// Where one shard's results go: `target/mutation/<run>/shard-K-of-N`.
fn shard_dir(run_dir: &Path, k: usize, n: usize) -> PathBuf {
    run_dir.join(format!("shard-{k}-of-{n}"))
}

/// Runs the whole command: lists, shards, runs, adds up, prints.
pub fn run(root: &Path, options: &Options) -> Result<(), String> {
    require_cargo_mutants()?;
    let mutation_dir = root.join("target").join("mutation");
    let full_run_dir = mutation_dir.join("run");
    let run_dir = if options.survivors {
        mutation_dir.join("survivors")
    } else if options.changed_since.is_some() {
        mutation_dir.join("changed")
    } else {
        full_run_dir.clone()
    };
    // A new full run replaces the last one's shards (whose count may differ).
    let whole_new_run = !options.resume && options.shard.is_none();
    if whole_new_run && run_dir.exists() {
        std::fs::remove_dir_all(&run_dir).map_err(|e| format!("{}: {e}", run_dir.display()))?;
    }
    std::fs::create_dir_all(&run_dir).map_err(|e| format!("{}: {e}", run_dir.display()))?;

    let mut selection = vec!["--workspace".to_string()];
    let files: Vec<&str> = if options.files.is_empty() {
        SCOPE.to_vec()
    } else {
        options.files.iter().map(String::as_str).collect()
    };
    for file in files {
        selection.extend(["--file".to_string(), file.to_string()]);
    }
    if let Some(base) = &options.changed_since {
        let diff = changed_lines(root, base)?;
        if diff.trim().is_empty() {
            println!("no Rust lines changed since {base}: nothing to mutate");
            return Ok(());
        }
        let path = run_dir.join("changed.diff");
        std::fs::write(&path, diff).map_err(|e| format!("{}: {e}", path.display()))?;
        selection.extend(["--in-diff".to_string(), path.display().to_string()]);
    }

    if options.survivors {
        let survivors = survivors_of(&full_run_dir)?;
        if survivors.is_empty() {
            println!("the last run left no survivors");
            return Ok(());
        }
        for name in &survivors {
            selection.extend(["--re".to_string(), survivor_pattern(name)]);
        }
    }

    let count = count_mutants(root, &selection)?;
    if count == 0 {
        println!("no mutants in the selected code");
        return Ok(());
    }
    let shards: Vec<(usize, usize)> = match (options.shard, options.shards) {
        (Some(one), _) => vec![one],
        (None, _) if options.survivors => vec![(0, 1)],
        (None, shards) => {
            let n = shards.unwrap_or(count.div_ceil(SHARD_SIZE)).max(1);
            (0..n).map(|k| (k, n)).collect()
        }
    };
    let tool = test_tool();
    eprintln!(
        "{count} mutants in {} shard(s){}; tests run with {}",
        shards.last().map_or(0, |s| s.1),
        if shards.len() == 1 && options.shard.is_some() {
            " (running one)"
        } else {
            ""
        },
        tool.describe(),
    );

    let stamp = tree_stamp(root)?;
    let mut total = Tally::default();
    for &(k, n) in &shards {
        let dir = shard_dir(&run_dir, k, n);
        let out = dir.join("mutants.out");
        let stamp_file = dir.join("stamp");
        let finished = std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp)
            && out.join("outcomes.json").exists();
        if options.resume && finished {
            eprintln!("shard {k}/{n}: finished earlier on this same tree; reusing it");
        } else {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            eprintln!("shard {k}/{n}: running");
            run_shard(root, options, &selection, tool, (k, n), &dir)?;
            std::fs::write(&stamp_file, &stamp)
                .map_err(|e| format!("{}: {e}", stamp_file.display()))?;
        }
        let tally = Tally::read(&out)?;
        eprintln!(
            "shard {k}/{n}: {} caught, {} missed, {} timeouts, {} unviable",
            tally.caught.len(),
            tally.missed.len(),
            tally.timeouts.len(),
            tally.unviable.len()
        );
        total.add(tally);
    }

    let report = total.report();
    print!("{report}");
    let summary = run_dir.join("summary.txt");
    std::fs::write(&summary, &report).map_err(|e| format!("{}: {e}", summary.display()))?;
    eprintln!(
        "per-mutant logs: {}/shard-*/mutants.out/log/",
        run_dir.display()
    );
    if options.shard.is_some() {
        // One shard's score says little on its own; only its misses count.
        return if total.missed.is_empty() && total.timeouts.is_empty() {
            Ok(())
        } else {
            Err("this shard has missed mutants or timeouts (listed above)".into())
        };
    }
    if options.changed_since.is_some() || options.survivors {
        return if total.missed.is_empty() && total.timeouts.is_empty() {
            Ok(())
        } else {
            Err(
                "mutants in the changed lines survived (listed above): add or sharpen a test, \
                 or simplify the code they live in"
                    .into(),
            )
        };
    }
    if total.passes() {
        Ok(())
    } else {
        Err(format!(
            "the score must be at least {REQUIRED_SCORE} % with no timeouts"
        ))
    }
}

/// The mutants the shards under `run_dir` missed or timed out on.
fn survivors_of(run_dir: &Path) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(run_dir).map_err(|e| {
        format!(
            "no earlier run in {} ({e}): run `cargo xtask mutants` first",
            run_dir.display()
        )
    })?;
    let mut survivors = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let out = entry.path().join("mutants.out");
        if out.join("outcomes.json").exists() {
            let tally = Tally::read(&out)?;
            survivors.extend(tally.missed);
            survivors.extend(tally.timeouts);
        }
    }
    survivors.sort();
    survivors.dedup();
    Ok(survivors)
}

/// A regex for cargo-mutants' `--re` matching the mutant `name`
/// ("file:line:col: description") at any line and column.
pub fn survivor_pattern(name: &str) -> String {
    let escape = |text: &str| {
        let mut out = String::new();
        for c in text.chars() {
            if "\\.+*?()|[]{}^$#&-~".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        out
    };
    // The description follows the first ": " after "file:line:col".
    match name.split_once(": ") {
        Some((location, description)) => {
            let file = location.split(':').next().unwrap_or(location);
            format!("^{}:\\d+:\\d+: {}$", escape(file), escape(description))
        }
        None => format!("^{}$", escape(name)),
    }
}

/// The tool cargo-mutants runs the tests with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TestTool {
    Nextest,
    Cargo,
}

impl TestTool {
    fn describe(self) -> &'static str {
        match self {
            TestTool::Nextest => "cargo nextest (test binaries run side by side)",
            TestTool::Cargo => {
                "cargo test (install cargo-nextest to run the test binaries side by side, \
                 about twice as fast)"
            }
        }
    }
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn require_cargo_mutants() -> Result<(), String> {
    let ok = cargo()
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(())
    } else {
        Err("cargo-mutants is not installed: cargo install cargo-mutants --locked".into())
    }
}

fn test_tool() -> TestTool {
    let nextest = cargo()
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if nextest {
        TestTool::Nextest
    } else {
        TestTool::Cargo
    }
}

/// The unified diff of `.rs` files between the merge base of `HEAD` and
/// `base`, and the working tree (so uncommitted changes count too).
fn changed_lines(root: &Path, base: &str) -> Result<String, String> {
    let merge_base = git(root, &["merge-base", "HEAD", base])?;
    git(root, &["diff", merge_base.trim(), "--", "*.rs"])
}

/// Identifies the source tree a shard ran on: the commit plus any
/// uncommitted change to tracked files, as their diff.
fn tree_stamp(root: &Path) -> Result<String, String> {
    let head = git(root, &["rev-parse", "HEAD"])?;
    let diff = git(root, &["diff", "HEAD", "--binary"])?;
    Ok(format!("{}\n{diff}", head.trim()))
}

fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let stdout = stdout_of(
        Command::new("git").current_dir(root).args(args),
        "git",
        &format!("git {}", args.join(" ")),
    )?;
    Ok(String::from_utf8_lossy(&stdout).into_owned())
}

/// What `command` printed; when it fails, the error names `program` if it
/// could not start and `call` if it exited unsuccessfully, with its stderr.
fn stdout_of(command: &mut Command, program: &str, call: &str) -> Result<Vec<u8>, String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{call} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}

fn count_mutants(root: &Path, selection: &[String]) -> Result<usize, String> {
    let stdout = stdout_of(
        cargo()
            .current_dir(root)
            .args(["mutants", "--list", "--json"])
            .args(selection),
        "cargo mutants",
        "cargo mutants --list",
    )?;
    let list: serde_json::Value = serde_json::from_slice(&stdout)
        .map_err(|e| format!("cargo mutants --list --json printed something else: {e}"))?;
    list.as_array()
        .map(Vec::len)
        .ok_or_else(|| "cargo mutants --list --json did not print a list".into())
}

fn run_shard(
    root: &Path,
    options: &Options,
    selection: &[String],
    tool: TestTool,
    (k, n): (usize, usize),
    dir: &Path,
) -> Result<(), String> {
    let mut command = cargo();
    command
        .current_dir(root)
        .env("KORE_CHAOS_SEED", CHAOS_SEED)
        // A property test failing on a mutant would otherwise record the
        // case in the source tree, for every later run to replay.
        .env("PROPTEST_DISABLE_FAILURE_PERSISTENCE", "1")
        .args(["mutants", "--no-shuffle", "--shard", &format!("{k}/{n}")])
        .arg("--output")
        .arg(dir)
        .args(selection);
    if tool == TestTool::Nextest {
        // The first failing test catches the mutant: stop the others then,
        // rather than wait for one the mutant made slow.
        command.args([
            "--test-tool",
            "nextest",
            "--cargo-test-arg=--max-fail=1:immediate",
        ]);
        // Most tests wait on sockets and timers rather than the CPU, so two
        // per core finish sooner than nextest's default of one.
        if std::env::var_os("NEXTEST_TEST_THREADS").is_none() {
            let cores = std::thread::available_parallelism().map_or(2, usize::from);
            command.env("NEXTEST_TEST_THREADS", (2 * cores).to_string());
        }
    }
    if options.in_place {
        command.arg("--in-place");
    } else {
        // Copies of the tree build in one shared target directory, so the
        // dependencies are built once, not once per shard.
        command.env(
            "CARGO_TARGET_DIR",
            root.join("target").join("mutation").join("build"),
        );
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo mutants: {e}"))?;
    // cargo-mutants exits 2 when mutants were missed and 3 on timeouts: both
    // are results. Anything else (a failing baseline, bad usage) is not.
    match status.code() {
        Some(0 | 2 | 3) => Ok(()),
        _ => Err(format!(
            "cargo mutants failed on shard {k}/{n} ({status}); see {}",
            dir.join("mutants.out").join("debug.log").display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(caught: usize, missed: usize, timeouts: usize, unviable: usize) -> Tally {
        let names = |prefix: &str, n: usize| (0..n).map(|i| format!("{prefix}{i}")).collect();
        Tally {
            caught: names("c", caught),
            missed: names("m", missed),
            timeouts: names("t", timeouts),
            unviable: names("u", unviable),
        }
    }

    #[test]
    fn the_score_is_caught_over_viable_and_a_timeout_counts_against_it() {
        assert_eq!(tally(95, 5, 0, 40).score(), Some(95.0));
        assert_eq!(tally(94, 5, 1, 0).score(), Some(94.0));
        assert_eq!(tally(0, 0, 0, 3).score(), None);
    }

    #[test]
    fn passing_needs_the_required_score_and_no_timeouts() {
        assert!(tally(95, 5, 0, 0).passes());
        assert!(!tally(94, 6, 0, 0).passes());
        assert!(!tally(99, 0, 1, 0).passes(), "a single timeout fails");
        assert!(tally(0, 0, 0, 2).passes(), "nothing viable, nothing missed");
    }

    #[test]
    fn shards_add_up_and_the_report_lists_every_miss_and_timeout() {
        let mut total = tally(3, 1, 0, 1);
        total.add(Tally {
            missed: vec!["src/a.rs:1:1: replace < with <=".into()],
            timeouts: vec!["src/b.rs:2:2: replace f with ()".into()],
            ..Tally::default()
        });
        let report = total.report();
        assert!(
            report
                .starts_with("7 mutants: 3 caught, 2 missed, 1 timeouts, 1 unviable; score 50.0 %"),
            "{report}"
        );
        for listed in [
            "missed:\n  m0\n  src/a.rs:1:1: replace < with <=\n",
            "timeouts:\n  src/b.rs:2:2: replace f with ()\n",
        ] {
            assert!(report.contains(listed), "{report}");
        }
    }

    #[test]
    fn tallies_are_read_from_cargo_mutants_lists() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("caught.txt", "a.rs:1:1: x\nb.rs:2:2: y\n"),
            ("missed.txt", "c.rs:3:3: z\n"),
            ("timeout.txt", ""),
            ("unviable.txt", "d.rs:4:4: w\n"),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let read = Tally::read(dir.path()).unwrap();
        assert_eq!(read.caught.len(), 2);
        assert_eq!(read.missed, vec!["c.rs:3:3: z".to_string()]);
        assert!(read.timeouts.is_empty());
        assert_eq!(read.unviable.len(), 1);
        std::fs::remove_file(dir.path().join("timeout.txt")).unwrap();
        let err = Tally::read(dir.path()).unwrap_err();
        assert!(err.contains("timeout.txt"), "{err}");
    }

    #[test]
    fn a_survivor_is_found_again_wherever_its_line_moved() {
        let pattern =
            survivor_pattern("kore-clients/src/auth.rs:809:34: replace > with >= in excerpt");
        assert_eq!(
            pattern,
            r"^kore\-clients/src/auth\.rs:\d+:\d+: replace > with >= in excerpt$"
        );
        let pattern = survivor_pattern(
            "kore-clients/src/lib.rs:115:9: replace Kore::builder -> KoreBuilder with Default::default()",
        );
        assert!(
            pattern.ends_with(r"with Default::default\(\)$"),
            "{pattern}"
        );
    }

    #[test]
    fn arguments_are_parsed_and_bad_ones_named() {
        let parsed = parse_args(&["kore-clients/src/paginate.rs", "--shard", "1/4"]).unwrap();
        assert_eq!(
            parsed.files,
            vec!["kore-clients/src/paginate.rs".to_string()]
        );
        assert_eq!(parsed.shard, Some((1, 4)));
        let changed = parse_args(&["--changed"]).unwrap();
        assert_eq!(changed.changed_since.as_deref(), Some("main"));
        let based = parse_args(&["--changed", "--base", "v0.1.0", "--resume"]).unwrap();
        assert_eq!(based.changed_since.as_deref(), Some("v0.1.0"));
        assert!(based.resume);

        for (args, expected) in [
            (&["--shard", "4/4"][..], "--shard 4/4"),
            (&["--shard", "x"][..], "--shard x"),
            (&["--shards", "0"][..], "--shards 0"),
            (
                &["--base", "main"][..],
                "--base only makes sense with --changed",
            ),
            (&["--shard"][..], "--shard needs a value"),
            (&["--shard", "0/2", "--shards", "3"][..], "not both"),
            (&["--frobnicate"][..], "unknown option --frobnicate"),
            (&["paginate"][..], "paginate: expected a Rust source file"),
            (
                &["--survivors", "--changed"][..],
                "--survivors runs the last run's survivors",
            ),
        ] {
            let err = parse_args(args).unwrap_err();
            assert!(err.contains(expected), "{args:?}: {err}");
        }
    }
}
