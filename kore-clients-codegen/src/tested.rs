//! The record of the code we tested, and the check a build makes against it.
//!
//! `kore-clients-gen` ships `generated.sha256`: the SHA-256 of every file
//! [`generate_files`](crate::generate_files) produced from its spec in our
//! workspace, where the snapshot test reviewed exactly that text, and the
//! versions of the crates that generated it. Its build script generates the
//! files again with whatever releases the user's `Cargo.lock` holds and calls
//! [`check`]: code that differs from the tested code is never compiled, and
//! the error names both digests, the generator that ran and what to do.
//!
//! The record is a `sha256sum` file (`sha256sum -c generated.sha256` in the
//! build's `OUT_DIR` verifies it) whose `#` comment lines carry the versions:
//!
//! ```text
//! # tested-with: kore-clients-codegen 0.1.0, progenitor 0.15.1, syn 3.0.10, ...
//! 6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b  kore_clients.rs
//! ```

use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::GeneratedFile;

/// The crates that write the generated text, pinned with `=` in this crate's
/// `Cargo.toml` (a unit test keeps the two lists equal). Cargo cannot pick
/// other releases of them, so a build runs exactly these versions.
const PINNED: [(&str, &str); 5] = [
    ("progenitor", "0.15.1"),
    ("progenitor-impl", "0.15.1"),
    ("typify", "0.8.0"),
    ("typify-impl", "0.8.0"),
    ("prettyplease", "0.3.0"),
];

/// Crates the generator builds on whose releases can change the generated
/// text too, but which are not pinned: most dependency trees hold them,
/// and an exact version here would make Cargo refuse any tree in which
/// another crate asks for a newer one. Their tested versions are in the
/// record, and the check catches a release that changes the text.
pub const SHARED: [&str; 7] = [
    "heck",
    "openapiv3",
    "proc-macro2",
    "quote",
    "schemars",
    "serde_json",
    "syn",
];

/// The first line of every failed check, for tools that look for it.
pub const HEADLINE: &str = "kore-clients-gen did not compile its client: the code generated from \
                            kore-clients.json differs from the code this release was tested with.";

const VERSIONS_PREFIX: &str = "# tested-with: ";

/// The generator that runs in this build: this crate and the releases it
/// pins, as `(crate, version)`. Exactly these versions run, whatever else the
/// user's `Cargo.lock` holds.
pub fn generator_versions() -> Vec<(&'static str, &'static str)> {
    let mut versions = vec![("kore-clients-codegen", env!("CARGO_PKG_VERSION"))];
    versions.extend(PINNED);
    versions
}

/// The names of the crates whose tested versions the record keeps: the
/// generator's ([`generator_versions`]) and the [`SHARED`] ones.
pub fn recorded_crates() -> Vec<&'static str> {
    generator_versions()
        .into_iter()
        .map(|(name, _)| name)
        .chain(SHARED)
        .collect()
}

/// The SHA-256 of `text`, as 64 lowercase hex digits (what `sha256sum` prints).
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// What `generated.sha256` says: the digest of each generated file and the
/// versions of the crates that generated them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    digests: Vec<(String, String)>,
    tested_with: Vec<(String, String)>,
}

impl Record {
    /// The record of `files`, generated with the crates of `tested_with`
    /// (`(crate, version)`, as the workspace's `Cargo.lock` has them).
    pub fn new(files: &[GeneratedFile], tested_with: Vec<(String, String)>) -> Self {
        let mut tested_with = tested_with;
        tested_with.sort();
        Self {
            digests: files
                .iter()
                .map(|file| (file.name.to_owned(), sha256_hex(&file.text)))
                .collect(),
            tested_with,
        }
    }

    /// Reads a record written by [`Record::to_text`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut digests = Vec::new();
        let mut tested_with = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let at = index + 1;
            if let Some(list) = line.strip_prefix(VERSIONS_PREFIX) {
                for entry in list.split(", ") {
                    let (name, version) = entry.split_once(' ').ok_or_else(|| {
                        format!("line {at}: `{entry}` is not `<crate> <version>`")
                    })?;
                    tested_with.push((name.to_owned(), version.to_owned()));
                }
            } else if line.starts_with('#') || line.trim().is_empty() {
                continue;
            } else {
                let (digest, name) = line
                    .split_once("  ")
                    .filter(|(digest, name)| {
                        digest.len() == 64
                            && digest.bytes().all(|b| b.is_ascii_hexdigit())
                            && !name.is_empty()
                    })
                    .ok_or_else(|| {
                        format!("line {at} is not `<64 hex digits>  <file name>`: {line}")
                    })?;
                digests.push((name.to_owned(), digest.to_ascii_lowercase()));
            }
        }
        if digests.is_empty() {
            return Err("it names no generated file".to_owned());
        }
        Ok(Self {
            digests,
            tested_with,
        })
    }

    /// The text of `generated.sha256`.
    pub fn to_text(&self) -> String {
        let versions: Vec<String> = self
            .tested_with
            .iter()
            .map(|(name, version)| format!("{name} {version}"))
            .collect();
        let mut text = String::from(
            "# SHA-256 of the code kore-clients-codegen generates from kore-clients.json, as the\n\
             # workspace's snapshot test reviewed it, and the versions of the crates that generated\n\
             # it. Written by `cargo xtask merge`; kore-clients-gen's build script refuses to\n\
             # compile anything else.\n",
        );
        text.push_str(VERSIONS_PREFIX);
        text.push_str(&versions.join(", "));
        text.push('\n');
        for (name, digest) in &self.digests {
            text.push_str(&format!("{digest}  {name}\n"));
        }
        text
    }

    /// `(file, digest)` of every generated file the record names.
    pub fn digests(&self) -> &[(String, String)] {
        &self.digests
    }

    /// `(crate, version)` of every crate the record names, sorted.
    pub fn tested_with(&self) -> &[(String, String)] {
        &self.tested_with
    }

    /// Compares `files` with the record: `Ok` when every file the record
    /// names was generated with its digest, and nothing else was generated.
    pub fn check(&self, files: &[GeneratedFile]) -> Result<(), Untested> {
        let mut differences = Vec::new();
        for (name, tested) in &self.digests {
            let generated = files
                .iter()
                .find(|file| file.name == name)
                .map(|file| sha256_hex(&file.text));
            if generated.as_ref() != Some(tested) {
                differences.push(Difference {
                    file: name.clone(),
                    tested: Some(tested.clone()),
                    generated,
                });
            }
        }
        for file in files {
            if !self.digests.iter().any(|(name, _)| name == file.name) {
                differences.push(Difference {
                    file: file.name.to_owned(),
                    tested: None,
                    generated: Some(sha256_hex(&file.text)),
                });
            }
        }
        if differences.is_empty() {
            Ok(())
        } else {
            Err(Untested(Problem::Differs {
                differences,
                tested_with: self.tested_with.clone(),
            }))
        }
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Reads the record text of `generated.sha256` and checks `files` against
/// it: what `kore-clients-gen/build.rs` runs. An unreadable record fails the
/// check too, since nothing then says which code was tested.
pub fn check(record: &str, files: &[GeneratedFile]) -> Result<(), Untested> {
    match Record::parse(record) {
        Ok(record) => record.check(files),
        Err(problem) => Err(Untested(Problem::Unreadable(problem))),
    }
}

/// One generated file whose digest is not the tested one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Difference {
    file: String,
    /// `None`: the record does not name the file.
    tested: Option<String>,
    /// `None`: the generator did not produce the file.
    generated: Option<String>,
}

/// The generated code is not the tested code, or nothing says which code
/// was tested. Its `Display` is the whole explanation, one line per line of
/// the build's error output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untested(Problem);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    Differs {
        differences: Vec<Difference>,
        tested_with: Vec<(String, String)>,
    },
    Unreadable(String),
}

impl std::error::Error for Untested {}

impl fmt::Display for Untested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ran = generator_versions();
        match &self.0 {
            Problem::Unreadable(problem) => write!(
                f,
                "kore-clients-gen did not compile its client: its generated.sha256, the record \
                 of the code this release was tested with, is damaged ({problem}).\n\
                 The generator that ran: {}.\n\
                 Registry downloads are checksummed, so this is a local copy (a [patch], a \
                 vendored crate): restore generated.sha256 from the published kore-clients-gen \
                 {}, or report this message to the kore-clients maintainers.",
                list(ran.iter().copied()),
                env!("CARGO_PKG_VERSION"),
            ),
            Problem::Differs {
                differences,
                tested_with,
            } => {
                writeln!(f, "{HEADLINE}")?;
                for difference in differences {
                    writeln!(
                        f,
                        "  {}: tested {}, generated {}",
                        difference.file,
                        digest_or(&difference.tested, "(not in the record)"),
                        digest_or(&difference.generated, "(not generated)"),
                    )?;
                }
                explain(f, &ran, tested_with)
            }
        }
    }
}

/// `sha256 <hex>`, or `absent` for a digest that does not exist.
fn digest_or(digest: &Option<String>, absent: &str) -> String {
    digest
        .as_ref()
        .map_or_else(|| absent.to_owned(), |hex| format!("sha256 {hex}"))
}

/// The part of the message after the digests: what ran, what was tested,
/// what to do.
fn explain(
    f: &mut fmt::Formatter<'_>,
    ran: &[(&str, &str)],
    tested_with: &[(String, String)],
) -> fmt::Result {
    writeln!(
        f,
        "The generator that ran: {} (exact versions: kore-clients-codegen pins them).",
        list(ran.iter().copied())
    )?;
    let recorded = |name: &str| -> Vec<(&str, &str)> {
        tested_with
            .iter()
            .filter(|(recorded, _)| recorded == name)
            .map(|(name, version)| (name.as_str(), version.as_str()))
            .collect()
    };
    let other_generator: Vec<String> = ran
        .iter()
        .filter_map(|(name, version)| {
            let tested = recorded(name);
            let (_, tested) = tested.iter().find(|(_, tested)| tested != version)?;
            Some(format!("cargo update -p {name} --precise {tested}"))
        })
        .collect();
    if !other_generator.is_empty() {
        writeln!(
            f,
            "This release was tested with another generator. Put the tested one back and build \
             again: {}",
            other_generator.join(" && ")
        )?;
    }
    let shared: Vec<(&str, &str)> = SHARED.iter().flat_map(|name| recorded(name)).collect();
    let (example, tested) = shared
        .iter()
        .find(|(name, _)| *name == "syn")
        .or(shared.first())
        .copied()
        .unwrap_or(("syn", "<the tested version>"));
    let shared = if shared.is_empty() {
        SHARED.join(", ")
    } else {
        list(shared.into_iter())
    };
    writeln!(
        f,
        "It was tested with these crates, which the generator builds on and leaves unpinned \
         because other crates share them: {shared}."
    )?;
    if other_generator.is_empty() {
        writeln!(
            f,
            "So a release of one of them other than the tested one changed the generated code."
        )?;
    }
    writeln!(
        f,
        "To build the tested code: see the versions your build used with \
         `cargo tree -p kore-clients-codegen -e normal`, put back each one that differs \
         (`cargo update -p {example}@<version your build used> --precise {tested}`), and \
         build again."
    )?;
    writeln!(
        f,
        "If one cannot go back (another crate needs the newer release), or none differs, \
         report this message and that `cargo tree` output to the kore-clients maintainers."
    )?;
    write!(
        f,
        "(In the kore-clients repository, after changing the spec, the generator or its versions \
         in Cargo.lock: `cargo xtask merge` records the new digest; then review the snapshot, \
         as openapi/README.md says.)"
    )
}

/// `a 1, b 2`.
fn list<'a>(versions: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    versions
        .map(|(name, version)| format!("{name} {version}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(text: &str) -> Vec<GeneratedFile> {
        vec![GeneratedFile {
            name: "kore_clients.rs",
            text: text.to_owned(),
        }]
    }

    fn tested_with() -> Vec<(String, String)> {
        let mut versions: Vec<(String, String)> = generator_versions()
            .into_iter()
            .map(|(name, version)| (name.to_owned(), version.to_owned()))
            .collect();
        versions.push(("syn".to_owned(), "3.0.10".to_owned()));
        versions.push(("heck".to_owned(), "0.5.0".to_owned()));
        versions
    }

    #[test]
    fn the_digest_is_sha256_as_sha256sum_prints_it() {
        assert_eq!(
            sha256_hex("hello\n"),
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
    }

    #[test]
    fn a_record_reads_back_as_written_and_passes_the_code_it_was_made_from() {
        let record = Record::new(&files("pub struct Client;\n"), tested_with());
        let text = record.to_text();
        assert_eq!(Record::parse(&text), Ok(record.clone()));
        assert_eq!(check(&text, &files("pub struct Client;\n")), Ok(()));
        assert!(
            text.contains(&format!(
                "{}  kore_clients.rs\n",
                sha256_hex("pub struct Client;\n")
            )),
            "{text}"
        );
        assert!(
            text.contains("# tested-with: heck 0.5.0, kore-clients-codegen "),
            "{text}"
        );
    }

    #[test]
    fn a_build_that_generates_other_code_fails_naming_both_digests_the_generator_and_the_fix() {
        let record = Record::new(&files("pub struct Client;\n"), tested_with()).to_text();
        let message = check(&record, &files("pub struct Client {}\n"))
            .unwrap_err()
            .to_string();
        assert!(message.starts_with(HEADLINE), "{message}");
        let both = format!(
            "  kore_clients.rs: tested sha256 {}, generated sha256 {}\n",
            sha256_hex("pub struct Client;\n"),
            sha256_hex("pub struct Client {}\n")
        );
        assert!(message.contains(&both), "{message}");
        assert!(
            message.contains(&format!(
                "The generator that ran: kore-clients-codegen {}, progenitor 0.15.1, \
                 progenitor-impl 0.15.1, typify 0.8.0, typify-impl 0.8.0, prettyplease 0.3.0",
                env!("CARGO_PKG_VERSION")
            )),
            "{message}"
        );
        assert!(
            message.contains(
                "leaves unpinned because other crates share them: heck 0.5.0, syn 3.0.10."
            ),
            "{message}"
        );
        assert!(
            message.contains("`cargo update -p syn@<version your build used> --precise 3.0.10`"),
            "{message}"
        );
        assert!(
            message.contains("report this message and that `cargo tree` output"),
            "{message}"
        );
        assert!(
            message.ends_with(
                "`cargo xtask merge` records the new digest; then review the \
                               snapshot, as openapi/README.md says.)"
            ),
            "{message}"
        );
        // The generator that ran is the tested one: no advice to change it.
        assert!(!message.contains("another generator"), "{message}");
    }

    #[test]
    fn a_record_made_by_another_generator_says_how_to_put_it_back() {
        let mut versions = tested_with();
        for (name, version) in &mut versions {
            if name == "progenitor" {
                *version = "0.15.0".to_owned();
            }
        }
        let record = Record::new(&files("a\n"), versions).to_text();
        let message = check(&record, &files("b\n")).unwrap_err().to_string();
        assert!(
            message.contains(
                "tested with another generator. Put the tested one back and build again: \
                 cargo update -p progenitor --precise 0.15.0\n"
            ),
            "{message}"
        );
        // It is the generator, not a shared crate, that differs.
        assert!(
            !message.contains("So a release of one of them"),
            "{message}"
        );
    }

    #[test]
    fn a_file_the_record_does_not_name_or_a_missing_one_fails_too() {
        let record = Record::new(&files("a\n"), tested_with()).to_text();
        let mut two = files("a\n");
        two.push(GeneratedFile {
            name: "wrapper.rs",
            text: "b\n".to_owned(),
        });
        let message = check(&record, &two).unwrap_err().to_string();
        assert!(
            message.contains(&format!(
                "  wrapper.rs: tested (not in the record), generated sha256 {}",
                sha256_hex("b\n")
            )),
            "{message}"
        );
        let message = check(&record, &[]).unwrap_err().to_string();
        assert!(
            message.contains("  kore_clients.rs: tested sha256 ")
                && message.contains(", generated (not generated)"),
            "{message}"
        );
    }

    #[test]
    fn a_damaged_record_fails_the_build_and_says_where() {
        let message = check(
            "# tested-with: syn 3.0.10\nabc  kore_clients.rs\n",
            &files("a\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            message.contains(
                "its generated.sha256, the record of the code this release was tested with, is \
                 damaged (line 2 is not `<64 hex digits>  <file name>`: abc  kore_clients.rs)"
            ),
            "{message}"
        );
        assert!(message.contains("restore generated.sha256"), "{message}");
        let message = check("# only comments\n", &files("a\n"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("it names no generated file"), "{message}");
    }

    #[test]
    fn the_pinned_versions_are_the_exact_requirements_of_cargo_toml() {
        let manifest: toml::Table = toml::from_str(include_str!("../Cargo.toml")).unwrap();
        let dependencies = manifest["dependencies"].as_table().unwrap();
        for (name, version) in PINNED {
            let requirement = match &dependencies[name] {
                toml::Value::String(requirement) => requirement.as_str(),
                other => other["version"].as_str().unwrap(),
            };
            assert_eq!(requirement, format!("={version}"), "{name}");
        }
        // And every `=` requirement is listed.
        for (name, requirement) in dependencies {
            let requirement = requirement
                .as_str()
                .or_else(|| requirement.get("version")?.as_str())
                .unwrap_or_default();
            if requirement.starts_with('=') {
                assert!(
                    PINNED.iter().any(|(pinned, _)| pinned == name),
                    "{name} is pinned in Cargo.toml but not in PINNED"
                );
            }
        }
    }
}
