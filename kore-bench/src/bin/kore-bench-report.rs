//! `kore-bench-report`: runs the benchmarks, the memory test and the cold
//! builds of the build-cost apps, and writes `kore-bench/REPORT.md` (what
//! `cargo xtask bench` runs).

use std::path::Path;
use std::process::ExitCode;

use kore_bench::build_cost;
use kore_bench::report::{self, Scope};

const USAGE: &str = "\
usage: kore-bench-report [--build | --no-build] [--no-floor]

  (no flags)   the benchmarks, the memory test, the instruction counts and the build cost
  --build      only the build cost: rewrites its section of REPORT.md, keeps the rest
  --no-build   all but the build cost: the report keeps the build-cost section it had
  --no-floor   skip the build-cost floor (the third cold build, generated file vendored)";

fn scope(args: &[String]) -> Result<Scope, String> {
    let mut scope = Scope {
        benchmarks: true,
        build: Some(build_cost::Options { floor: true }),
    };
    let (mut build_only, mut no_build) = (false, false);
    for arg in args {
        match arg.as_str() {
            "--build" => build_only = true,
            "--no-build" => no_build = true,
            "--no-floor" => scope.build = Some(build_cost::Options { floor: false }),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    match (build_only, no_build) {
        (true, true) => Err("--build and --no-build exclude each other".to_owned()),
        (true, false) => {
            scope.benchmarks = false;
            Ok(scope)
        }
        (false, true) => {
            scope.build = None;
            Ok(scope)
        }
        (false, false) => Ok(scope),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scope = match scope(&args) {
        Ok(scope) => scope,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    // This crate sits one folder below the workspace root.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(manifest);
    match report::run(root, scope) {
        Ok(report) => {
            println!("wrote {}", report.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
