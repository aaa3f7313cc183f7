//! `cargo xtask`: regenerate and check the KORE spec pipeline.

use std::process::ExitCode;

use xtask::{Freshness, Layout, spec_diff, vendor};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  vendor <docs-page.md>   extract every OpenAPI JSON code block of a KORE docs page into
                          openapi/fragments/<operationId>.json; fragments that are not on
                          the page (getPingStatus) are left as they are
  merge                   merge openapi/fragments/*.json, apply openapi/corrections.json,
                          record the corrections in the spec (x-kore-corrections), validate,
                          and write openapi/kore-clients.json, its copy
                          kore-clients-gen/kore-clients.json, kore-clients' generated part
                          (kore-clients/src/generated.rs and accessors.rs), and
                          kore-clients-gen/generated.sha256: the digest of the code
                          generated from it (the code the snapshot test reviews) and the
                          versions of the crates that generated it (from Cargo.lock); then
                          print how the merged spec changed against the committed one, each
                          change classified as BREAKING BY NATURE, ADDITIVE or NEUTRAL
  merge --check           fail if a committed output or the digest differs from a fresh merge
  replay [VERSION]        replay KORE's published history (openapi/history) through the merge,
                          from VERSION (default 2025-02-04): per change, what it changed,
                          whether the merge took it with no hand edit, and its classification
  fresh-build             package kore-clients-codegen and kore-clients-gen, check them in a
                          scratch crate (target/fresh-build) with the newest compatible
                          releases from crates.io, and fail unless they generate the tested
                          code; then show that a changed digest stops the build
  bench                   run kore-bench's benchmarks and memory test, build two scratch apps
                          cold (one on kore-clients, one on reqwest + serde + tokio) and write
                          kore-bench/REPORT.md (ratios, spreads, targets, machine, build cost)
      --build             only the build cost: rewrite its section of the report
      --no-build          all but the build cost (the report keeps its last build-cost section)
      --no-floor          skip the build-cost floor (a third build, generated file vendored)
  mutants [FILE.rs ...]   mutation testing with cargo-mutants (settings: .cargo/mutants.toml)
                          over kore-clients/src, kore-cli/src/exit.rs and
                          kore-mock/src/faults.rs, or only the FILEs, in shards of about 25
                          mutants, then one score (required: 95 %, no timeouts)
      --shard K/N         run only shard K of N (K counts from 0, as in cargo-mutants)
      --shards N          split into N shards instead
      --resume            reuse shards that finished earlier on the same source tree
      --changed           only mutants in lines changed since the merge base with main
      --base REV          ... since the merge base with REV instead
      --survivors         only what the last run missed or timed out on (after fixing
                          tests: checks the fixes in minutes, wherever the lines moved)
      --in-place          mutate this checkout instead of a copy (only where nobody edits)
  public-api              build kore-clients' rustdoc JSON (default features) and fail if its
                          public API names an item of kore_clients_gen, progenitor,
                          progenitor_client or schemars (re-exports, signatures, fields,
                          impls, bounds), listing each such item
      --json FILE         check this rustdoc JSON file instead of building one
      --list              print every public item path as well
  semver                  the semver verdict: per crate (kore-clients, kore-mock) the bump the
                          change since the baseline needs (major / minor / none), from
                          cargo-semver-checks and the public item paths before and after, plus
                          the public-API check; fails on a breaking change Cargo.toml's version
                          does not bump, or on a generated type in kore-clients' public API
      --baseline-rev REV  compare with REV instead of the newest release tag vX.Y.Z
                          (or HEAD~1 when there is none)
      --scenario NAME     apply xtask/scenarios/NAME.json (KORE-style spec changes) to a scratch
                          copy of HEAD, merge, commit, and check the verdict against HEAD is
                          the one the file expects (CI runs `--scenario additive`)

after KORE changes its spec (the whole guide: openapi/README.md):
  1. curl -fsSL https://docs.korewireless.com/api/global-resources/api-clients/clients.md \\
          -o openapi/source/clients.md
  2. cargo xtask vendor openapi/source/clients.md
  3. cargo xtask merge                 (a stale correction names its reason and operations;
                                         read the classification it prints)
  4. cargo insta test --review -p kore-clients-tests   (review the snapshot diff)
  5. cargo test --workspace
  6. commit openapi/source/clients.md, openapi/fragments/, openapi/corrections.json if you
     changed it, openapi/kore-clients.json, kore-clients-gen/kore-clients.json,
     kore-clients-gen/generated.sha256 and tests/tests/snapshots/
  7. cargo xtask semver                (the bump the regeneration needs; a breaking one needs
                                        the version bumped and a CHANGELOG.md entry)
after a generator upgrade (Cargo.lock, kore-clients-codegen): steps 3 to 7";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let layout = Layout::workspace();
    let result = match args.as_slice() {
        ["vendor", page] => run_vendor(&layout, page),
        ["merge"] => run_merge(&layout),
        ["merge", "--check"] => run_check(&layout),
        ["replay"] => run_replay(&layout, DEFAULT_SINCE),
        ["replay", since] => run_replay(&layout, since),
        ["bench", flags @ ..] => run_bench(&layout, flags),
        ["fresh-build"] => xtask::fresh_build::run(layout.root()),
        ["mutants", rest @ ..] => xtask::mutants::parse_args(rest)
            .map_err(|e| format!("{e}\n\n{USAGE}"))
            .and_then(|options| xtask::mutants::run(layout.root(), &options)),
        ["public-api", rest @ ..] => xtask::semver::parse_public_api_args(rest)
            .map_err(|e| format!("{e}\n\n{USAGE}"))
            .and_then(|options| xtask::semver::run_public_api(layout.root(), &options)),
        ["semver", rest @ ..] => xtask::semver::parse_args(rest)
            .map_err(|e| format!("{e}\n\n{USAGE}"))
            .and_then(|options| match &options.scenario {
                Some(name) => xtask::scenario::run(layout.root(), name),
                None => xtask::semver::run(layout.root(), &options),
            }),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown arguments: {}\n\n{USAGE}", args.join(" "))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_vendor(layout: &Layout, page: &str) -> Result<(), String> {
    let markdown = std::fs::read_to_string(page).map_err(|e| format!("cannot read {page}: {e}"))?;
    let extracted = vendor::extract(page, &markdown).map_err(|e| e.to_string())?;
    let dir = layout.fragments_dir();
    let written = vendor::write(&dir, &extracted).map_err(|e| e.to_string())?;
    for (path, outcome) in &written {
        let label = match outcome {
            vendor::Outcome::Added => "added",
            vendor::Outcome::Changed => "changed",
            vendor::Outcome::Unchanged => "unchanged",
        };
        println!("{label:>9}  {}", layout.display(path));
    }
    let others = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| !written.iter().any(|(w, _)| w == p));
    for path in others {
        println!(
            "{:>9}  {} (not on this page; left as it is)",
            "kept",
            layout.display(&path)
        );
    }
    println!("next: cargo xtask merge (see openapi/README.md for the whole guide)");
    Ok(())
}

fn run_merge(layout: &Layout) -> Result<(), String> {
    let report = xtask::merge_and_classify(layout).map_err(|e| e.to_string())?;
    if report.changed.is_empty() {
        println!("merged spec unchanged");
    } else {
        for path in &report.changed {
            println!("wrote {}", layout.display(path));
        }
    }
    match &report.baseline {
        Some(baseline) => {
            println!("\nhow the merged spec changed against {baseline}:");
            print!("{}", spec_diff::render(&report.changes));
            if spec_diff::overall(&report.changes) == Some(spec_diff::Class::Breaking) {
                println!(
                    "KORE's change is breaking by nature for callers (see each `why` above): \
                     say so in the release notes of the SDK built from it"
                );
            }
        }
        None => println!("no committed merged spec to compare with: nothing classified"),
    }
    if !report.changed.is_empty() {
        println!(
            "next: cargo insta test --review -p kore-clients-tests (review the snapshot diff), \
             then cargo test --workspace"
        );
    }
    Ok(())
}

/// The first version `cargo xtask replay` starts from: KORE's first spec with
/// today's operations (see openapi/history/README.md).
const DEFAULT_SINCE: &str = "2025-02-04";

fn run_replay(layout: &Layout, since: &str) -> Result<(), String> {
    let replay = xtask::replay::replay(layout, since).map_err(|e| e.to_string())?;
    print!("{}", xtask::replay::render(&replay));
    Ok(())
}

fn run_check(layout: &Layout) -> Result<(), String> {
    let report = xtask::check(layout).map_err(|e| e.to_string())?;
    let mut stale = Vec::new();
    for (path, state) in report {
        match state {
            Freshness::Fresh => {}
            Freshness::Stale if path == layout.record_file() => stale.push(format!(
                "{} is stale: the code generated from the merged spec, or the generator's \
                 versions in Cargo.lock, changed since it was written (review the generated \
                 code's snapshot too)",
                layout.display(&path)
            )),
            Freshness::Stale => stale.push(format!(
                "{} is stale: it differs from a fresh merge of openapi/fragments",
                layout.display(&path)
            )),
            Freshness::Missing => stale.push(format!("{} is missing", layout.display(&path))),
        }
    }
    if stale.is_empty() {
        println!("merged spec is up to date");
        Ok(())
    } else {
        Err(format!(
            "{}\nrun `cargo xtask merge` and commit the result",
            stale.join("\n")
        ))
    }
}

fn run_bench(layout: &Layout, flags: &[&str]) -> Result<(), String> {
    // The report writer is kore-bench's own binary, which checks the flags;
    // xtask only starts it.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(layout.root())
        .args([
            "run",
            "-q",
            "-p",
            "kore-bench",
            "--bin",
            "kore-bench-report",
            "--",
        ])
        .args(flags)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kore-bench-report failed ({status})"))
    }
}
