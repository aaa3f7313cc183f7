//! Generates the raw client from `kore-clients.json` at build time.
//!
//! The spec is the copy inside this crate (kept identical to
//! `openapi/kore-clients.json` by `cargo xtask merge`, checked by
//! `cargo xtask merge --check`), so the packaged crate builds on its own.

use std::path::PathBuf;

/// The one file generation reads. Naming it turns off Cargo's default of
/// re-running on any change in the package, so an edit elsewhere never
/// regenerates. (A change to this script or to the generator crate,
/// `kore-clients-codegen`, re-runs it regardless.)
const SPEC: &str = "kore-clients.json";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo::rerun-if-changed={SPEC}");
    let spec_path = manifest_dir.join(SPEC);
    let spec = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", spec_path.display()));
    let version = serde_json::from_str::<serde_json::Value>(&spec)
        .ok()
        .and_then(|v| v.pointer("/info/version")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("{}: no info.version", spec_path.display()));
    println!("cargo::rustc-env=KORE_API_VERSION={version}");
    let source = kore_clients_codegen::generate(&spec).unwrap_or_else(|e| {
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
