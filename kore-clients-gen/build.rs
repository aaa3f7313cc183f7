//! Generates the raw client from `kore-clients.json` at build time.
//!
//! The spec is the copy inside this crate (kept identical to
//! `openapi/kore-clients.json` by `cargo xtask merge`, checked by
//! `cargo xtask merge --check`), so the packaged crate builds on its own.

use std::path::PathBuf;

#[path = "codegen.rs"]
mod codegen;

/// Every input generation reads. Listing them turns off Cargo's default of
/// re-running on any change in the package, so an edit elsewhere never
/// regenerates. (A change to this build script re-runs it regardless.)
const INPUTS: [&str; 2] = ["kore-clients.json", "codegen.rs"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    for input in INPUTS {
        println!("cargo::rerun-if-changed={input}");
    }
    let spec_path = manifest_dir.join(INPUTS[0]);
    let spec = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", spec_path.display()));
    let source = codegen::generate(&spec).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nFix a fragment or openapi/corrections.json, then run `cargo xtask merge`; \
             never edit generated code",
            spec_path.display()
        )
    });
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("kore_clients.rs");
    std::fs::write(&out, source).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
