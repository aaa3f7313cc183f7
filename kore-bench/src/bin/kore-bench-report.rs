//! `kore-bench-report`: runs the benchmarks and the memory test and writes
//! `kore-bench/REPORT.md` (what `cargo xtask bench` runs).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    // This crate sits one folder below the workspace root.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(manifest);
    match kore_bench::report::run(root) {
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
