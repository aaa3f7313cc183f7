//! `cargo xtask fresh-build`: what a user's first build of the published
//! crates does today.
//!
//! It packages `kore-clients-codegen` and `kore-clients-gen` (`cargo
//! package`, as they would be published), unpacks them into
//! `<target>/fresh-build/crates`, and checks a new crate that depends on them
//! with no `Cargo.lock`, so Cargo picks the newest compatible release of
//! every dependency from crates.io. The build must either compile exactly
//! the tested code (the generated file's digest is the one in the packaged
//! `generated.sha256`) or stop with the check's error. Then it changes the
//! packaged record and builds again, which must stop with that error naming
//! both digests.
//!
//! The check compiles build scripts and proc macros but no code generation
//! for the libraries, in a target directory of its own
//! (`<target>/fresh-build/target`, kept between runs), with the shared
//! registry cache.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use kore_clients_codegen::tested::{self, Record};

const CODEGEN: &str = "kore-clients-codegen";
const GEN: &str = "kore-clients-gen";

/// Where everything lives, under `<target>/fresh-build`.
struct Scratch {
    /// The unpacked `.crate` files.
    crates: PathBuf,
    /// The user's crate.
    app: PathBuf,
    /// Its target directory.
    target: PathBuf,
}

/// Runs the whole check from the workspace at `root`; `Err` says what failed
/// and what to do.
pub fn run(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    };
    let base = target_dir.join("fresh-build");
    let scratch = Scratch {
        crates: base.join("crates"),
        app: base.join("app"),
        target: base.join("target"),
    };
    let version = tested::generator_versions()[0].1;

    step(&format!("packaging {CODEGEN} and {GEN} {version}"));
    run_cargo(Command::new(&cargo).current_dir(root).args([
        "package",
        "--quiet",
        "--no-verify",
        "--allow-dirty",
        "-p",
        CODEGEN,
        "-p",
        GEN,
    ]))?;
    for dir in [&scratch.crates, &scratch.app] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(&scratch.crates)
        .map_err(|e| format!("{}: {e}", scratch.crates.display()))?;
    for name in [CODEGEN, GEN] {
        let package = target_dir
            .join("package")
            .join(format!("{name}-{version}.crate"));
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(&package)
            .arg("-C")
            .arg(&scratch.crates)
            .status()
            .map_err(|e| format!("cannot run tar to unpack {}: {e}", package.display()))?;
        if !status.success() {
            return Err(format!(
                "tar could not unpack {} ({status})",
                package.display()
            ));
        }
    }
    let gen_dir = scratch.crates.join(format!("{GEN}-{version}"));
    write_app(&scratch, version)?;

    step("resolving the newest compatible releases (cargo update)");
    run_cargo(
        Command::new(&cargo)
            .current_dir(&scratch.app)
            .env("CARGO_TARGET_DIR", &scratch.target)
            .args(["update", "--quiet", "--color", "never"]),
    )?;
    let record_path = gen_dir.join("generated.sha256");
    let record_text = read(&record_path)?;
    let record = Record::parse(&record_text)
        .map_err(|e| format!("the packaged {}: {e}", record_path.display()))?;
    let lock = read(&scratch.app.join("Cargo.lock"))?;
    let fresh = crate::tested::generator_versions(&lock)
        .map_err(|e| format!("the fresh build's Cargo.lock: {e}"))?;
    print_versions(record.tested_with(), &fresh);

    step(&format!(
        "cargo check -p {GEN} (a cold check takes a few minutes)"
    ));
    let check = Instant::now();
    let (success, output) = check_gen(&cargo, &scratch)?;
    println!("   ({:.0} s)", check.elapsed().as_secs_f64());
    if !success {
        return Err(if output.contains(tested::HEADLINE) {
            format!(
                "a user's fresh build of the packaged crates stops today: the newest compatible \
                 releases generate code other than the tested code. The build said:\n{}\n\
                 The guard works, but users cannot build. Run `cargo update` in the workspace, \
                 `cargo xtask merge`, review the snapshot (`cargo insta test --review -p \
                 kore-clients-tests`), commit, and publish new releases (openapi/README.md).",
                gen_errors(&output)
            )
        } else {
            format!(
                "the packaged crates do not build against the newest compatible releases:\n{output}"
            )
        });
    }
    let out_dir = newest_out_dir(&scratch.target, "kore_clients.rs")?;
    for (name, digest) in record.digests() {
        let generated = read(&out_dir.join(name))?;
        let actual = tested::sha256_hex(&generated);
        if actual != *digest {
            return Err(format!(
                "the build compiled {name} with sha256 {actual}, but the packaged record says \
                 {digest}: the build script's check did not stop it. Look at \
                 kore-clients-gen/build.rs and kore_clients_codegen::tested::check."
            ));
        }
        println!("   {name}: sha256 {actual}, the tested digest");
    }

    step("the same build with a changed record must stop, naming both digests");
    let tampered = tamper(&record_text, &record);
    std::fs::write(&record_path, &tampered.text)
        .map_err(|e| format!("{}: {e}", record_path.display()))?;
    let result = check_gen(&cargo, &scratch);
    std::fs::write(&record_path, &record_text)
        .map_err(|e| format!("{}: {e}", record_path.display()))?;
    let (success, output) = result?;
    let expected = format!(
        "tested sha256 {}, generated sha256 {}",
        tampered.digest, tampered.original
    );
    if success || !output.contains(tested::HEADLINE) || !output.contains(&expected) {
        return Err(format!(
            "with a changed generated.sha256 the build should have stopped with the check's \
             error (`{}` … `{expected}`), but it {}:\n{output}",
            tested::HEADLINE,
            if success { "succeeded" } else { "said" }
        ));
    }
    println!("{}", gen_errors(&output));

    println!(
        "\nok: the packaged crates, built with the newest compatible releases, generate the \
         tested code, and a build that generates other code stops ({:.0} s in all)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn step(what: &str) {
    println!("-- {what}");
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs a cargo command whose output needs no reading; `Err` carries it.
fn run_cargo(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The user's crate: a dependency on the packaged `kore-clients-gen`, with
/// the packaged `kore-clients-codegen` standing in for the crates.io one.
fn write_app(scratch: &Scratch, version: &str) -> Result<(), String> {
    let src = scratch.app.join("src");
    std::fs::create_dir_all(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    let manifest = format!(
        "# Written by `cargo xtask fresh-build`: a user's crate on the packaged crates, resolved\n\
         # with no Cargo.lock of ours.\n\
         [package]\n\
         name = \"kore-fresh-build\"\n\
         version = \"0.0.0\"\n\
         edition = \"2024\"\n\
         publish = false\n\
         \n\
         [dependencies]\n\
         # No TLS backend: the generated code is the same, and the check is minutes shorter.\n\
         {GEN} = {{ path = \"../crates/{GEN}-{version}\", default-features = false }}\n\
         \n\
         [patch.crates-io]\n\
         {CODEGEN} = {{ path = \"../crates/{CODEGEN}-{version}\" }}\n\
         \n\
         [workspace]\n"
    );
    let files = [
        (scratch.app.join("Cargo.toml"), manifest),
        (
            src.join("lib.rs"),
            "//! Nothing of its own: the build of the dependency is the test.\n".to_owned(),
        ),
    ];
    for (path, text) in files {
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Prints the tested and the fresh version of each recorded crate.
fn print_versions(tested: &[(String, String)], fresh: &[(String, String)]) {
    let versions = |list: &[(String, String)], name: &str| {
        list.iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    };
    for name in tested::recorded_crates() {
        let (tested, fresh) = (versions(tested, name), versions(fresh, name));
        let note = if tested == fresh { "" } else { "   (differs)" };
        println!("   {name:<22} tested {tested:<18} fresh build {fresh}{note}");
    }
}

/// `cargo check -p kore-clients-gen` in the user's crate: whether it
/// succeeded, and everything it printed.
fn check_gen(cargo: &std::ffi::OsStr, scratch: &Scratch) -> Result<(bool, String), String> {
    let output = Command::new(cargo)
        .current_dir(&scratch.app)
        .env("CARGO_TARGET_DIR", &scratch.target)
        .args(["check", "--color", "never", "-p", GEN])
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status.success(), text))
}

/// The lines of the build's error that come from kore-clients-gen.
fn gen_errors(output: &str) -> String {
    output
        .lines()
        .filter(|line| line.starts_with(&format!("error: {GEN}@")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `OUT_DIR` of the newest kore-clients-gen build script run that wrote `file`.
fn newest_out_dir(target: &Path, file: &str) -> Result<PathBuf, String> {
    let build = target.join("debug").join("build");
    let entries = std::fs::read_dir(&build).map_err(|e| format!("{}: {e}", build.display()))?;
    entries
        .filter_map(|entry| {
            let dir = entry.ok()?.path();
            let name = dir.file_name()?.to_str()?;
            let generated = dir.join("out").join(file);
            let modified = std::fs::metadata(&generated).ok()?.modified().ok()?;
            name.starts_with(&format!("{GEN}-"))
                .then_some((modified, dir.join("out")))
        })
        .max()
        .map(|(_, dir)| dir)
        .ok_or_else(|| format!("no {GEN} build wrote {file} under {}", build.display()))
}

/// A record whose first digest is changed, and both digests.
struct Tampered {
    text: String,
    original: String,
    digest: String,
}

fn tamper(text: &str, record: &Record) -> Tampered {
    let original = record
        .digests()
        .first()
        .map(|(_, digest)| digest.clone())
        .unwrap_or_default();
    let digest = tested::sha256_hex(&format!("not {original}"));
    Tampered {
        text: text.replacen(&original, &digest, 1),
        original,
        digest,
    }
}
