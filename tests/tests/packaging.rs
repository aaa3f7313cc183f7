//! What every published crate carries: both licence files, and no
//! placeholder repository URL.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_owned()
}

/// `(directory, Cargo.toml text)` of every workspace crate that is published.
fn published_crates() -> Vec<(PathBuf, String)> {
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(workspace()).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        if dir == workspace() || !manifest.contains("[package]") {
            continue;
        }
        if !manifest.lines().any(|l| l.trim() == "publish = false") {
            crates.push((dir, manifest));
        }
    }
    crates.sort();
    crates
}

#[test]
fn every_published_crate_carries_both_licence_files() {
    let crates = published_crates();
    let names: Vec<String> = crates
        .iter()
        .map(|(dir, _)| dir.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "kore-cli",
            "kore-clients",
            "kore-clients-codegen",
            "kore-clients-gen",
            "kore-conformance",
            "kore-mock"
        ]
    );
    for file in ["LICENSE-MIT", "LICENSE-APACHE"] {
        let root = std::fs::read_to_string(workspace().join(file))
            .unwrap_or_else(|e| panic!("{file} at the workspace root: {e}"));
        for (dir, manifest) in &crates {
            let copy = std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()));
            assert_eq!(
                copy,
                root,
                "{}/{file} differs from the root's",
                dir.display()
            );
            // A crate with an `include` list packages only what it names.
            if let Some(include) = manifest.lines().find(|l| l.starts_with("include")) {
                assert!(
                    include.contains(&format!("\"{file}\"")),
                    "{}: `include` leaves out {file}",
                    dir.display()
                );
            }
        }
    }
    let licence = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    assert!(licence.contains("license = \"MIT OR Apache-2.0\""));
}

#[test]
fn no_published_crate_names_the_placeholder_repository() {
    for (dir, manifest) in published_crates() {
        assert!(
            !manifest.lines().any(|l| l.starts_with("repository")),
            "{} names a repository, but the project has no public home to name",
            dir.display()
        );
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        assert!(
            !readme.contains("github.com/kore-clients/kore-clients"),
            "{}/README.md links the placeholder repository",
            dir.display()
        );
        assert!(
            readme.contains("LICENSE-MIT") && readme.contains("LICENSE-APACHE"),
            "{}/README.md does not state the licence",
            dir.display()
        );
    }
}

#[test]
fn kore_clients_gen_ships_its_digest_and_runs_exactly_its_own_generator_release() {
    // generated.sha256 is the digest of what this release of
    // kore-clients-codegen generates: a later release of it (other pins)
    // resolved by a `^` requirement would stop every user's build.
    let root = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let version = root
        .lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .find_map(|l| l.strip_prefix("version = "))
        .expect("[workspace.package] has a version");
    let requirement = root
        .lines()
        .find(|l| l.starts_with("kore-clients-codegen = "))
        .expect("a workspace dependency on kore-clients-codegen");
    assert!(
        requirement.contains(&format!("version = \"={}", version.trim_matches('"'))),
        "kore-clients-gen must depend on kore-clients-codegen {version} exactly: {requirement}"
    );
    // kore-clients' generated part is written against this release's
    // generated types: a later kore-clients-gen (any regeneration) would not
    // compile under it.
    let gen_requirement = root
        .lines()
        .find(|l| l.starts_with("kore-clients-gen = "))
        .expect("a workspace dependency on kore-clients-gen");
    assert!(
        gen_requirement.contains(&format!("version = \"={}", version.trim_matches('"'))),
        "kore-clients must depend on kore-clients-gen {version} exactly: {gen_requirement}"
    );
    let manifest =
        std::fs::read_to_string(workspace().join("kore-clients-gen/Cargo.toml")).unwrap();
    let build_dependencies = manifest
        .split("[build-dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("kore-clients-gen has build-dependencies");
    assert!(
        build_dependencies.contains("kore-clients-codegen.workspace = true"),
        "{build_dependencies}"
    );
    let include = manifest
        .lines()
        .find(|l| l.starts_with("include"))
        .expect("kore-clients-gen lists what it packages");
    assert!(include.contains("\"generated.sha256\""), "{include}");
}
