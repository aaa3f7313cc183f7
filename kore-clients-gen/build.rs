//! Generates the raw client from `kore-clients.json` at build time, and
//! compiles it only if it is the code we tested.
//!
//! The spec is the copy inside this crate (kept identical to
//! `openapi/kore-clients.json` by `cargo xtask merge`, checked by
//! `cargo xtask merge --check`), so the packaged crate builds on its own.
//! `generated.sha256` is the digest of the code the workspace's snapshot test
//! reviewed; a build that generates anything else stops with an error that
//! says why and what to do (`kore_clients_codegen::tested`).

use std::path::PathBuf;

/// The files generation reads. Naming them turns off Cargo's default of
/// re-running on any change in the package, so an edit elsewhere never
/// regenerates. (A change to this script or to the generator crate,
/// `kore-clients-codegen`, re-runs it regardless.)
const SPEC: &str = "kore-clients.json";
const RECORD: &str = "generated.sha256";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo::rerun-if-changed={SPEC}");
    println!("cargo::rerun-if-changed={RECORD}");
    let spec_path = manifest_dir.join(SPEC);
    let spec = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", spec_path.display()));
    let record_path = manifest_dir.join(RECORD);
    let record = std::fs::read_to_string(&record_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", record_path.display()));
    let version = serde_json::from_str::<serde_json::Value>(&spec)
        .ok()
        .and_then(|v| v.pointer("/info/version")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("{}: no info.version", spec_path.display()));
    println!("cargo::rustc-env=KORE_API_VERSION={version}");
    let files = kore_clients_codegen::generate_files(&spec).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nFix a fragment or openapi/corrections.json, then run `cargo xtask merge`; \
             never edit generated code",
            spec_path.display()
        )
    });
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    for file in &files {
        let out = out_dir.join(file.name);
        std::fs::write(&out, &file.text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
    }
    if let Err(untested) = kore_clients_codegen::tested::check(&record, &files) {
        // `cargo::error` lines fail the build after this script ends, shown
        // as `error: kore-clients-gen@…: <line>` even when the crate is a
        // registry dependency (where warnings are hidden); nothing of the
        // crate is compiled.
        for line in untested.to_string().lines() {
            println!("cargo::error={line}");
        }
        println!(
            "cargo::error=The generated code is in {}.",
            out_dir.display()
        );
    }
}
