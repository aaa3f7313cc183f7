//! The record of the tested code, `kore-clients-gen/generated.sha256`: the
//! digest of what the generator produces from the merged spec, and the
//! versions of the crates that produced it, read from the workspace's
//! `Cargo.lock` (the versions the snapshot test ran with).

use std::collections::{BTreeSet, VecDeque};

use serde::Deserialize;

use crate::{Result, err};

/// The generator's crate, where the search of `Cargo.lock` starts.
const GENERATOR: &str = "kore-clients-codegen";

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// The text of `generated.sha256` for the merged spec `spec`, with the
/// versions from `lock`, the text of the workspace's `Cargo.lock` (named
/// `lock_name` in messages): what `cargo xtask merge` writes and
/// `merge --check` compares.
pub fn record(spec: &str, lock: &str, lock_name: &str) -> Result<String> {
    let files =
        kore_clients_codegen::generate_files(spec).map_err(|e| err(format!("merged spec: {e}")))?;
    let versions = generator_versions(lock).map_err(|e| err(format!("{lock_name}: {e}")))?;
    Ok(kore_clients_codegen::tested::Record::new(&files, versions).to_text())
}

/// `(name, version)` of the generator's crates
/// ([`kore_clients_codegen::tested::generator_versions`]) and of the
/// [`SHARED`](kore_clients_codegen::tested::SHARED) crates they depend on
/// directly, as the lock file `lock` has them, sorted.
pub fn generator_versions(lock: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let generator: Vec<&str> = kore_clients_codegen::tested::generator_versions()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    versions_in_tree(lock, &generator, &kore_clients_codegen::tested::SHARED)
}

/// `(name, version)` of every package of `generator` reachable from the
/// first one through packages of `generator`, and of every package named in
/// `shared` that one of them depends on directly, sorted. (A `shared` crate
/// only a derive macro uses, like syn 2 under schemars_derive, writes none
/// of the generated text and is left out.)
pub fn versions_in_tree(
    lock: &str,
    generator: &[&str],
    shared: &[&str],
) -> std::result::Result<Vec<(String, String)>, String> {
    let lock: Lock = toml::from_str(lock).map_err(|e| format!("not a Cargo.lock: {e}"))?;
    let find = |reference: &str| -> std::result::Result<&Package, String> {
        let mut parts = reference.split_whitespace();
        let name = parts.next().unwrap_or_default();
        let version = parts.next();
        let mut candidates = lock
            .package
            .iter()
            .filter(|p| p.name == name && version.is_none_or(|v| p.version == v));
        match (candidates.next(), candidates.next()) {
            (Some(package), None) => Ok(package),
            (None, _) => Err(format!("no package `{reference}`")),
            (Some(_), Some(_)) => Err(format!("`{reference}` is ambiguous")),
        }
    };
    let root = generator.first().copied().unwrap_or(GENERATOR);
    let mut queue = VecDeque::from([find(root)?]);
    let mut found = BTreeSet::new();
    while let Some(package) = queue.pop_front() {
        if !found.insert((package.name.clone(), package.version.clone())) {
            continue;
        }
        for dependency in &package.dependencies {
            let name = dependency.split_whitespace().next().unwrap_or_default();
            if generator.contains(&name) {
                queue.push_back(find(dependency)?);
            } else if shared.contains(&name) {
                let package = find(dependency)?;
                found.insert((package.name.clone(), package.version.clone()));
            }
        }
    }
    if let Some(missing) = generator
        .iter()
        .chain(shared)
        .find(|name| !found.iter().any(|(found, _)| found == *name))
    {
        return Err(format!(
            "{root} and the generator crates it depends on do not depend on `{missing}`; if the \
             generator no longer uses it, take it out of kore_clients_codegen::tested"
        ));
    }
    Ok(found.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "kore-clients-codegen"
version = "0.1.0"
dependencies = ["heck", "progenitor", "syn 3.0.10"]

[[package]]
name = "progenitor"
version = "0.15.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["serde_derive", "syn 3.0.10"]

[[package]]
name = "serde_derive"
version = "1.0.229"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["syn 2.0.119"]

[[package]]
name = "syn"
version = "2.0.119"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "syn"
version = "3.0.10"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "heck"
version = "0.5.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "quote"
version = "1.0.47"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    const GENERATOR_CRATES: [&str; 2] = ["kore-clients-codegen", "progenitor"];

    #[test]
    fn versions_are_the_generator_s_and_what_it_uses_directly() {
        let versions = versions_in_tree(LOCK, &GENERATOR_CRATES, &["heck", "syn"]).unwrap();
        let versions: Vec<(&str, &str)> = versions
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        // syn 2 is only serde_derive's.
        assert_eq!(
            versions,
            [
                ("heck", "0.5.0"),
                ("kore-clients-codegen", "0.1.0"),
                ("progenitor", "0.15.1"),
                ("syn", "3.0.10")
            ]
        );
    }

    #[test]
    fn a_crate_the_generator_does_not_use_is_an_error_that_says_what_to_change() {
        let message = versions_in_tree(LOCK, &GENERATOR_CRATES, &["syn", "quote"]).unwrap_err();
        assert!(
            message.contains("do not depend on `quote`")
                && message.contains("kore_clients_codegen::tested"),
            "{message}"
        );
    }

    #[test]
    fn the_workspace_lock_names_every_recorded_crate() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock")).unwrap();
        let versions = generator_versions(&lock).unwrap();
        let names: BTreeSet<&str> = versions.iter().map(|(n, _)| n.as_str()).collect();
        let expected: BTreeSet<&str> = kore_clients_codegen::tested::recorded_crates()
            .into_iter()
            .collect();
        assert_eq!(names, expected);
    }
}
