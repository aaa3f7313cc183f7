//! The build cost of depending on kore-clients: two scratch apps making the
//! same calls (a token grant, a page of the list, a get by id), one on
//! kore-clients (`build-cost/sdk.rs`), one on reqwest + serde + tokio alone
//! (`build-cost/raw.rs`), each built cold, back to back, and compared; the
//! section of `REPORT.md` that `cargo xtask bench --build` writes.
//!
//! Both apps get the workspace's `Cargo.lock`, so every crate they share is
//! the same version, and each its own fresh target folder. The profile is
//! `dev`: what a user's first `cargo build` compiles. Downloads are done by a
//! `cargo fetch` before the clock starts. `cargo build --timings` gives each
//! unit's duration (the HTML report is the only format stable Cargo writes);
//! ranking the units by how much longer they take in the kore-clients app
//! names the crates that make the difference.
//!
//! The floor, for measurement only, is a third build of the kore-clients app
//! in which `kore-clients-gen` gets the file the first build generated
//! instead of generating it: a scratch copy of the workspace whose
//! `kore-clients-gen` has no build-dependencies and a build script that only
//! copies that file. What the kore-clients app takes beyond the floor is the
//! price of running progenitor in every user's build.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::{Result, utc_now};

/// Largest ratio of the kore-clients app's cold build to the raw app's, in
/// CPU time.
pub const RATIO_TARGET: f64 = 1.35;

/// Units shown in the table of what the kore-clients app builds beyond the
/// raw one; the rest are summed in one line.
const SHOWN_UNITS: usize = 15;

/// The apps' sources, compiled into the tool so a run needs nothing but the
/// workspace.
const SDK_APP: &str = include_str!("../build-cost/sdk.rs");
const RAW_APP: &str = include_str!("../build-cost/raw.rs");
/// What each lever bought, measured over several runs and written down by
/// hand (a lever is a change to the dependency tree, so one run cannot
/// measure before and after): the report quotes its tables.
const LEVERS: &str = include_str!("../build-cost/levers.md");

/// Opens the section in `REPORT.md`; the section runs to [`END`].
const BEGIN: &str = "<!-- build-cost: written by `cargo xtask bench --build` -->";
const END: &str = "<!-- end of build-cost -->";

/// One unit of a build as `cargo build --timings` saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// `name vVERSION`, followed by the target when it is not the library
    /// (`build-script`, `build-script (run)`, `app "bin"`).
    pub name: String,
    /// Wall time from the unit's start to its end.
    pub seconds: f64,
}

/// One cold build of one app.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    /// Wall time of `cargo build`.
    pub seconds: f64,
    /// CPU time (user + system) of `cargo build` and every compiler and
    /// build script it ran: what the build costs whatever else runs on the
    /// machine, where the wall time grows with the load.
    pub cpu_seconds: f64,
    /// Every unit it compiled or ran.
    pub units: Vec<Unit>,
    /// The 1-minute load average before and after the build.
    pub load: (String, String),
}

impl Build {
    /// The units with their times scaled so that they add up to the
    /// build's CPU time: a unit's share of the build's work, comparable
    /// between two builds that ran under different loads (wall times of
    /// units grow with the load, and overlap).
    pub fn cpu_units(&self) -> Vec<Unit> {
        let total: f64 = self.units.iter().map(|u| u.seconds).sum();
        let scale = if total > 0.0 {
            self.cpu_seconds / total
        } else {
            0.0
        };
        self.units
            .iter()
            .map(|u| Unit {
                name: u.name.clone(),
                seconds: u.seconds * scale,
            })
            .collect()
    }
}

/// The builds of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// The app on kore-clients.
    pub sdk: Build,
    /// The same calls on reqwest + serde + tokio.
    pub raw: Build,
    /// The app on kore-clients with the generated file vendored, when
    /// measured.
    pub floor: Option<Build>,
    /// When the run ended, as `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// Parallel jobs Cargo ran (the logical CPUs).
    pub jobs: String,
}

/// A unit the kore-clients app spends longer on than the raw app (or that
/// only it builds).
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// As in [`Unit::name`].
    pub name: String,
    /// Seconds in the kore-clients app.
    pub sdk: f64,
    /// Seconds in the raw app; zero when it does not build the unit.
    pub raw: f64,
}

impl Difference {
    /// What the unit adds to the kore-clients app.
    pub fn extra(&self) -> f64 {
        self.sdk - self.raw
    }
}

/// The CPU time (user + system) of this process's children that have
/// been waited for, from `/proc/self/stat` (`cutime` and `cstime`, in the
/// kernel's fixed 100 ticks a second).
fn children_cpu_seconds() -> Result<f64> {
    let stat =
        std::fs::read_to_string("/proc/self/stat").map_err(|e| format!("/proc/self/stat: {e}"))?;
    cpu_seconds_of_children(&stat)
}

/// `cutime + cstime` of a `/proc/PID/stat` line, in seconds.
pub fn cpu_seconds_of_children(stat: &str) -> Result<f64> {
    // The command name, in parentheses, may hold spaces: count fields after it.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("no command name in the stat line")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 16 and 17 of the line; `rest` starts at field 3.
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|f| f.parse::<f64>().ok())
            .ok_or_else(|| format!("no field {} in the stat line", index + 3))
    };
    Ok((ticks(13)? + ticks(14)?) / 100.0)
}

/// Reads the units from a `cargo-timing.html` report: the `UNIT_DATA`
/// array Cargo writes into its script.
pub fn parse_timings(html: &str) -> Result<Vec<Unit>> {
    const MARK: &str = "const UNIT_DATA = ";
    let start = html
        .find(MARK)
        .ok_or("no UNIT_DATA in the timings report")?
        + MARK.len();
    let data: Value = serde_json::Deserializer::from_str(&html[start..])
        .into_iter()
        .next()
        .ok_or("UNIT_DATA is empty")?
        .map_err(|e| format!("UNIT_DATA is not JSON: {e}"))?;
    let units = data.as_array().ok_or("UNIT_DATA is not an array")?;
    units
        .iter()
        .map(|unit| {
            let field = |key: &str| {
                unit.get(key)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("a unit without `{key}`: {unit}"))
            };
            let target = field("target")?.trim();
            let mut name = format!("{} v{}", field("name")?, field("version")?);
            if !target.is_empty() {
                name = format!("{name} {target}");
            }
            let seconds = unit
                .get("duration")
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("a unit without `duration`: {unit}"))?;
            Ok(Unit { name, seconds })
        })
        .collect()
}

/// The units the kore-clients app spends longer on, the largest difference
/// first. A unit built twice in one app (for the build scripts and for the
/// app, with different features) counts with both durations.
pub fn rank(sdk: &[Unit], raw: &[Unit]) -> Vec<Difference> {
    let total = |units: &[Unit], name: &str| {
        units
            .iter()
            .filter(|u| u.name == name)
            .map(|u| u.seconds)
            .sum::<f64>()
    };
    let mut names: Vec<&str> = sdk.iter().map(|u| u.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut differences: Vec<Difference> = names
        .into_iter()
        .map(|name| Difference {
            name: name.to_owned(),
            sdk: total(sdk, name),
            raw: total(raw, name),
        })
        .filter(|d| d.extra() > 0.0)
        .collect();
    differences.sort_by(|a, b| b.extra().total_cmp(&a.extra()).then(a.name.cmp(&b.name)));
    differences
}

fn seconds(value: f64) -> String {
    format!("{value:.1} s")
}

/// The section of `REPORT.md`, between its markers.
pub fn render(m: &Measurement) -> String {
    let ratio = m.sdk.cpu_seconds / m.raw.cpu_seconds;
    let pass = ratio <= RATIO_TARGET;
    let mut out = format!(
        "{BEGIN}\n## Build cost\n\n\
         A cold `cargo build` (dev profile) of two apps making the same calls, measured {date} \
         back to back, {jobs} parallel jobs.\n\n\
         | app | CPU time | ratio to raw | wall time | wall ratio to raw | units | target | result |\n\
         |---|---|---|---|---|---|---|---|\n",
        date = m.date,
        jobs = m.jobs,
    );
    let mut row = |label: &str, build: &Build, target: &str, result: &str| {
        let _ = writeln!(
            out,
            "| {label} | {} | {:.2}× | {} | {:.2}× | {} | {target} | {result} |",
            seconds(build.cpu_seconds),
            build.cpu_seconds / m.raw.cpu_seconds,
            seconds(build.seconds),
            build.seconds / m.raw.seconds,
            build.units.len(),
        );
    };
    row(
        "reqwest + serde + tokio (`build-cost/raw.rs`, baseline)",
        &m.raw,
        "–",
        "–",
    );
    row(
        "kore-clients (`build-cost/sdk.rs`)",
        &m.sdk,
        &format!("≤ {RATIO_TARGET:.2}×"),
        if pass { "**pass**" } else { "**FAIL**" },
    );
    if let Some(floor) = &m.floor {
        row(
            "kore-clients with the generated file vendored (floor, for measurement only)",
            floor,
            "–",
            "–",
        );
    }
    out.push('\n');
    if let Some(floor) = &m.floor {
        let _ = writeln!(
            out,
            "Generating the client at build time costs {} of the kore-clients app's {} of CPU \
             ({:.2}× the raw app against {:.2}× for the floor): the price of running progenitor \
             in every user's build. The rest, {} over the raw app, is what the SDK's \
             dependencies and code take to compile.\n",
            seconds(m.sdk.cpu_seconds - floor.cpu_seconds),
            seconds(m.sdk.cpu_seconds),
            ratio,
            floor.cpu_seconds / m.raw.cpu_seconds,
            seconds(floor.cpu_seconds - m.raw.cpu_seconds),
        );
    }
    let differences = rank(&m.sdk.cpu_units(), &m.raw.cpu_units());
    out.push_str(
        "What the kore-clients app builds beyond the raw app, by unit, in CPU seconds (each \
         unit's `--timings` time scaled so that a build's units add up to its CPU time; a unit \
         the raw app does not build shows –):\n\n\
         | unit | kore-clients app | raw app | difference |\n|---|---|---|---|\n",
    );
    for d in differences.iter().take(SHOWN_UNITS) {
        let raw = if d.raw > 0.0 {
            seconds(d.raw)
        } else {
            "–".to_owned()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {raw} | +{} |",
            d.name,
            seconds(d.sdk),
            seconds(d.extra())
        );
    }
    let rest = &differences[differences.len().min(SHOWN_UNITS)..];
    if !rest.is_empty() {
        let _ = writeln!(
            out,
            "| {} more units | | | +{} |",
            rest.len(),
            seconds(rest.iter().map(Difference::extra).sum())
        );
    }
    let _ = write!(
        out,
        "\n### What each lever bought\n\nFrom [`build-cost/levers.md`](build-cost/levers.md), \
         which holds every run behind these numbers.\n\n{}",
        lever_tables(LEVERS)
    );
    let load = |b: &Build| format!("{} → {}", b.load.0, b.load.1);
    let _ = write!(
        out,
        "\n- Each app is a scratch crate with the workspace's `Cargo.lock`, built with `cargo build \
         --timings` in a fresh target folder after an untimed `cargo fetch`; the kore-clients app \
         depends on this workspace's `kore-clients` by path with its default features (rustls), \
         the raw app on reqwest with the same TLS (`rustls`, `json`, `query`, `form`). The dev \
         profile is what a user's first `cargo build` compiles.\n\
         - What is judged is the ratio of CPU times (user + system of Cargo, every rustc and \
         every build script): the work a cold build costs. Other work on the machine changes it \
         far less than the wall time, but not to nothing (shared caches and CPUs): compare \
         several runs before reading a difference of a few percent. The wall time is \
         what a user waits; it grows with the load, so its ratio is the users' number only when \
         the load average stayed below the number of CPUs. \
         Load average (1 min) before → after: raw {}, kore-clients {}{}.\n\
         - Reproduce with `cargo xtask bench --build` (three cold builds, minutes each on 2 \
         CPUs; `--no-floor` skips the third).\n{END}\n",
        load(&m.raw),
        load(&m.sdk),
        m.floor
            .as_ref()
            .map(|f| format!(", floor {}", load(f)))
            .unwrap_or_default(),
    );
    out
}

/// The pooled ratios and the lever table of `levers` (the text of
/// `levers.md`): from its "Pooled" paragraph to the end of "The levers",
/// its headings one level below the report's "### What each lever bought".
fn lever_tables(levers: &str) -> String {
    let start = levers.find("Pooled over").unwrap_or(levers.len());
    let end = levers[start..]
        .find("\n## The floor")
        .map_or(levers.len(), |at| start + at + 1);
    levers[start..end].replace("\n## ", "\n#### ")
}

/// `report` with its build-cost section replaced by `section`, or with
/// `section` appended when it has none.
pub fn splice(report: &str, section: &str) -> String {
    match section_range(report) {
        Some((start, end)) => format!("{}{section}{}", &report[..start], &report[end..]),
        None => format!("{}\n\n{section}", report.trim_end()),
    }
}

/// The build-cost section of `report`, with its markers and final newline.
pub fn section(report: &str) -> Option<&str> {
    section_range(report).map(|(start, end)| &report[start..end])
}

fn section_range(report: &str) -> Option<(usize, usize)> {
    let start = report.find(BEGIN)?;
    let end = start + report[start..].find(END)? + END.len();
    let end = if report[end..].starts_with('\n') {
        end + 1
    } else {
        end
    };
    Some((start, end))
}

/// What a run builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Also build the floor (the generated file vendored).
    pub floor: bool,
}

/// Builds the apps against the workspace at `root`, in scratch folders
/// under `scratch` (emptied first), and returns what they took.
pub fn measure(root: &Path, scratch: &Path, options: Options) -> Result<Measurement> {
    if scratch.exists() {
        std::fs::remove_dir_all(scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    }
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("{}: {e}", root.join("Cargo.lock").display()))?;
    let kore_clients = root.join("kore-clients");
    let sdk_app = scratch.join("sdk");
    write_app(&sdk_app, &sdk_manifest(&kore_clients), SDK_APP, &lock)?;
    let raw_app = scratch.join("raw");
    write_app(&raw_app, &raw_manifest(), RAW_APP, &lock)?;

    // The two that are compared run back to back, so a change in the
    // machine's load between them is as small as it can be.
    let sdk = cold_build(&sdk_app, "kore-clients")?;
    let generated = generated_file(&sdk_app.join("target"))?;
    let raw = cold_build(&raw_app, "raw")?;
    let floor = if options.floor {
        let workspace = scratch.join("vendored-workspace");
        vendored_copy(root, &workspace, &generated)?;
        let floor_app = scratch.join("floor");
        write_app(
            &floor_app,
            &sdk_manifest(&workspace.join("kore-clients")),
            SDK_APP,
            &lock,
        )?;
        Some(cold_build(&floor_app, "floor")?)
    } else {
        None
    };
    Ok(Measurement {
        sdk,
        raw,
        floor,
        date: utc_now(),
        jobs: std::thread::available_parallelism()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "unknown".to_owned()),
    })
}

/// Both apps' package, named alike so their units line up by name.
const PACKAGE: &str = "[package]\nname = \"app\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n# Not part of any workspace above it.\n[workspace]\n\n";

fn sdk_manifest(kore_clients: &Path) -> String {
    format!(
        "{PACKAGE}[dependencies]\nkore-clients = {{ path = {:?} }}\n\
         tokio = {{ version = \"1.40\", features = [\"macros\", \"rt-multi-thread\"] }}\n",
        kore_clients.display().to_string()
    )
}

fn raw_manifest() -> String {
    format!(
        "{PACKAGE}[dependencies]\n\
         reqwest = {{ version = \"0.13.5\", default-features = false, \
         features = [\"json\", \"query\", \"form\", \"rustls\"] }}\n\
         serde = {{ version = \"1.0.200\", features = [\"derive\"] }}\n\
         tokio = {{ version = \"1.40\", features = [\"macros\", \"rt-multi-thread\"] }}\n"
    )
}

fn write_app(dir: &Path, manifest: &str, main: &str, lock: &str) -> Result<()> {
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir.join("src")).map_err(|e| format!("{}: {e}", dir.display()))?;
    write(dir.join("Cargo.toml"), manifest)?;
    write(dir.join("Cargo.lock"), lock)?;
    write(dir.join("src").join("main.rs"), main)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `cargo fetch`, then a timed `cargo build --timings` into `app/target`.
fn cold_build(app: &Path, label: &str) -> Result<Build> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = app.join("target");
    let run = |args: &[&str]| {
        let status = Command::new(&cargo)
            .args(args)
            .current_dir(app)
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "`cargo {}` in {} failed ({status})",
                args.join(" "),
                app.display()
            ))
        }
    };
    run(&["fetch", "--quiet"])?;
    println!("==> cold build of the {label} app ({})", app.display());
    let before = load_average();
    let cpu_before = children_cpu_seconds()?;
    let started = Instant::now();
    run(&["build", "--timings"])?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = children_cpu_seconds()? - cpu_before;
    let after = load_average();
    let html = target.join("cargo-timings").join("cargo-timing.html");
    let text = std::fs::read_to_string(&html).map_err(|e| format!("{}: {e}", html.display()))?;
    println!("    {label}: {seconds:.1} s, {cpu_seconds:.1} s of CPU (load {before} → {after})");
    Ok(Build {
        seconds,
        cpu_seconds,
        units: parse_timings(&text).map_err(|e| format!("{}: {e}", html.display()))?,
        load: (before, after),
    })
}

/// The file `kore-clients-gen`'s build script wrote under `target`.
fn generated_file(target: &Path) -> Result<PathBuf> {
    let build = target.join("debug").join("build");
    std::fs::read_dir(&build)
        .map_err(|e| format!("{}: {e}", build.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|dir| {
            dir.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("kore-clients-gen-"))
        })
        .map(|dir| dir.join("out").join("kore_clients.rs"))
        .find(|file| file.is_file())
        .ok_or_else(|| format!("no kore_clients.rs under {}", build.display()))
}

/// The floor's build script: copies the vendored file where `lib.rs`
/// includes it from, so the library itself is compiled unchanged.
fn vendored_build_script(api_version: &str) -> String {
    format!(
        "//! For measurement only: the generated file, vendored.\n\
         fn main() {{\n    \
         println!(\"cargo::rustc-env=KORE_API_VERSION={api_version}\");\n    \
         println!(\"cargo::rerun-if-changed=kore_clients.rs\");\n    \
         let out = std::path::Path::new(&std::env::var_os(\"OUT_DIR\").unwrap()).join(\"kore_clients.rs\");\n    \
         std::fs::copy(\"kore_clients.rs\", out).unwrap();\n\
         }}\n"
    )
}

/// `manifest` without its `[build-dependencies]` table.
fn without_build_dependencies(manifest: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            skipping = line.trim() == "[build-dependencies]";
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Copies the workspace at `root` (without `target` and `.git`) to `to`,
/// with `kore-clients-gen` taking `generated` instead of generating it.
fn vendored_copy(root: &Path, to: &Path, generated: &Path) -> Result<()> {
    copy_tree(root, to)?;
    let gen_dir = to.join("kore-clients-gen");
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    let manifest_path = gen_dir.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path).map_err(|e| io(&manifest_path, e))?;
    std::fs::write(&manifest_path, without_build_dependencies(&manifest))
        .map_err(|e| io(&manifest_path, e))?;
    let spec_path = gen_dir.join("kore-clients.json");
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(&spec_path).map_err(|e| io(&spec_path, e))?)
            .map_err(|e| format!("{}: {e}", spec_path.display()))?;
    let version = spec
        .pointer("/info/version")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{}: no info.version", spec_path.display()))?;
    let script = gen_dir.join("build.rs");
    std::fs::write(&script, vendored_build_script(version)).map_err(|e| io(&script, e))?;
    let vendored = gen_dir.join("kore_clients.rs");
    std::fs::copy(generated, &vendored).map_err(|e| io(&vendored, e))?;
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let (source, dest) = (entry.path(), to.join(&name));
        if source.is_dir() {
            copy_tree(&source, &dest)?;
        } else {
            std::fs::copy(&source, &dest).map_err(|e| format!("{}: {e}", source.display()))?;
        }
    }
    Ok(())
}

/// Measures and writes the section into `report_path` (keeping the rest
/// of the report), for `cargo xtask bench --build`.
pub fn update_report(
    root: &Path,
    scratch: &Path,
    report_path: &Path,
    options: Options,
) -> Result<()> {
    let section = render(&measure(root, scratch, options)?);
    let report = std::fs::read_to_string(report_path).unwrap_or_default();
    std::fs::write(report_path, splice(&report, &section))
        .map_err(|e| format!("{}: {e}", report_path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_quotes_the_pooled_ratios_and_the_lever_table() {
        let quoted = lever_tables(LEVERS);
        assert!(quoted.starts_with("Pooled over"), "{quoted}");
        assert!(quoted.contains("| all four levers |"), "{quoted}");
        assert!(quoted.contains("Not levers"), "{quoted}");
        assert!(!quoted.contains("The floor"), "{quoted}");
        assert!(quoted.contains("\n#### The levers\n"), "{quoted}");
        let sample =
            "# t\n\nPooled over x\n\n| a |\n\n## The levers\n\n| b |\n\n## The floor\n\nrest\n";
        assert_eq!(
            lever_tables(sample),
            "Pooled over x\n\n| a |\n\n#### The levers\n\n| b |\n\n"
        );
    }

    /// The shape Cargo 1.95 writes, cut to three units.
    const TIMINGS: &str = r#"<script>
const UNIT_DATA = [
  {"i": 0, "name": "syn", "version": "3.0.10", "mode": "todo", "target": "", "features": [],
   "start": 0.1, "duration": 4.39, "unblocked_units": [], "unblocked_rmeta_units": [],
   "sections": [["frontend", {"start": 0.0, "end": 3.6}]]},
  {"i": 1, "name": "serde", "version": "1.0.229", "mode": "run-custom-build",
   "target": " build-script (run)", "features": [], "start": 0.2, "duration": 0.05,
   "unblocked_units": [], "unblocked_rmeta_units": [], "sections": null},
  {"i": 2, "name": "app", "version": "0.0.0", "mode": "todo", "target": " app \"bin\"",
   "features": [], "start": 5.0, "duration": 0.12, "unblocked_units": [],
   "unblocked_rmeta_units": []}
];
const CONCURRENCY_DATA = [];
</script>"#;

    fn unit(name: &str, seconds: f64) -> Unit {
        Unit {
            name: name.to_owned(),
            seconds,
        }
    }

    fn build(seconds: f64, units: Vec<Unit>) -> Build {
        Build {
            seconds,
            cpu_seconds: seconds * 1.5,
            units,
            load: ("0.50".to_owned(), "1.90".to_owned()),
        }
    }

    #[test]
    fn timings_report_units_are_named_with_version_and_target() {
        let units = parse_timings(TIMINGS).unwrap();
        assert_eq!(
            units,
            vec![
                unit("syn v3.0.10", 4.39),
                unit("serde v1.0.229 build-script (run)", 0.05),
                unit("app v0.0.0 app \"bin\"", 0.12),
            ]
        );
    }

    #[test]
    fn the_cpu_time_of_children_is_read_after_the_command_name() {
        // pid (comm with a space and a paren) state ppid ... utime stime cutime cstime ...
        let stat = "4242 (cargo (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    12 3 24000 1250 20 0 1 0 100 1000 100";
        assert_eq!(cpu_seconds_of_children(stat).unwrap(), 252.5);
        assert!(cpu_seconds_of_children("4242 (cargo) S 1").is_err());
    }

    #[test]
    fn a_report_without_unit_data_is_an_error() {
        assert!(parse_timings("<html></html>").is_err());
        assert!(parse_timings("const UNIT_DATA = {\"i\": 0};").is_err());
    }

    #[test]
    fn units_are_ranked_by_what_they_add_and_units_both_build_alike_drop_out() {
        let sdk = [
            unit("progenitor-impl v0.15.1", 9.0),
            unit("syn v2.0.119", 3.0),
            unit("syn v2.0.119", 2.0),
            unit("tokio v1.48.0", 6.0),
            unit("serde v1.0.229", 1.0),
        ];
        let raw = [unit("tokio v1.48.0", 5.5), unit("serde v1.0.229", 1.2)];
        let ranked = rank(&sdk, &raw);
        let names: Vec<(&str, f64)> = ranked
            .iter()
            .map(|d| (d.name.as_str(), d.extra()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("progenitor-impl v0.15.1", 9.0),
                ("syn v2.0.119", 5.0),
                ("tokio v1.48.0", 0.5),
            ]
        );
    }

    #[test]
    fn unit_times_are_scaled_to_add_up_to_the_cpu_time() {
        let b = build(10.0, vec![unit("a v1.0.0", 2.0), unit("b v1.0.0", 8.0)]);
        assert_eq!(
            b.cpu_units(),
            vec![unit("a v1.0.0", 3.0), unit("b v1.0.0", 12.0)]
        );
        assert_eq!(build(10.0, Vec::new()).cpu_units(), Vec::new());
    }

    fn measurement(floor: Option<Build>) -> Measurement {
        Measurement {
            sdk: build(
                100.0,
                vec![
                    unit("progenitor-impl v0.15.1", 9.0),
                    unit("tokio v1.48.0", 6.0),
                ],
            ),
            raw: build(64.0, vec![unit("tokio v1.48.0", 5.5)]),
            floor,
            date: "2026-12-04 19:30 UTC".to_owned(),
            jobs: "2".to_owned(),
        }
    }

    #[test]
    fn the_section_judges_the_ratio_and_names_the_extra_units() {
        let section = render(&measurement(None));
        assert!(section.starts_with(BEGIN) && section.ends_with(&format!("{END}\n")));
        assert!(section.contains(
            "| kore-clients (`build-cost/sdk.rs`) | 150.0 s | 1.56× | 100.0 s | 1.56× | 2 | ≤ 1.35× | **FAIL** |"
        ));
        // Scaled to CPU time: ×10 in the kore-clients app, ×96/5.5 in the raw one.
        assert!(section.contains("| progenitor-impl v0.15.1 | 90.0 s | – | +90.0 s |"));
        assert!(!section.contains("| tokio v1.48.0"));
        assert!(!section.contains("vendored (floor"));
        assert!(!section.contains("price of running progenitor"));
    }

    #[test]
    fn the_floor_shows_the_price_of_generating_at_build_time() {
        let section = render(&measurement(Some(build(80.0, Vec::new()))));
        assert!(section.contains("| 120.0 s | 1.25× | 80.0 s | 1.25× | 0 | – | – |"));
        assert!(section.contains("costs 30.0 s of the kore-clients app's 150.0 s of CPU"));
        assert!(section.contains("(1.56× the raw app against 1.25× for the floor)"));
        assert!(section.contains("floor 0.50 → 1.90"));
    }

    #[test]
    fn a_passing_ratio_passes() {
        let mut m = measurement(None);
        m.sdk.cpu_seconds = 120.0;
        assert!(
            render(&m).contains("| 120.0 s | 1.25× | 100.0 s | 1.56× | 2 | ≤ 1.35× | **pass** |")
        );
    }

    #[test]
    fn splicing_replaces_the_section_and_keeps_the_rest() {
        let old = format!("# Report\n\n## Results\n\n{BEGIN}\nold\n{END}\n\n## After\n");
        let new = format!("{BEGIN}\nnew\n{END}\n");
        let spliced = splice(&old, &new);
        assert_eq!(
            spliced,
            format!("# Report\n\n## Results\n\n{BEGIN}\nnew\n{END}\n\n## After\n")
        );
        assert_eq!(section(&spliced), Some(new.as_str()));
    }

    #[test]
    fn splicing_into_a_report_without_the_section_appends_it() {
        let new = format!("{BEGIN}\nnew\n{END}\n");
        assert_eq!(
            splice("# Report\n\ntext\n", &new),
            format!("# Report\n\ntext\n\n{new}")
        );
        assert_eq!(section("# Report\n"), None);
    }

    #[test]
    fn the_floor_crate_loses_only_its_build_dependencies() {
        let manifest = "[package]\nname = \"g\"\n\n[dependencies]\nserde = \"1\"\n\n\
                        [build-dependencies]\nkore-clients-codegen.workspace = true\n\n\
                        [dev-dependencies]\ntokio = \"1\"\n";
        assert_eq!(
            without_build_dependencies(manifest),
            "[package]\nname = \"g\"\n\n[dependencies]\nserde = \"1\"\n\n\
             [dev-dependencies]\ntokio = \"1\"\n"
        );
    }

    #[test]
    fn the_floor_build_script_sets_the_api_version_and_copies_the_file() {
        let script = vendored_build_script("2.3.1");
        assert!(script.contains("cargo::rustc-env=KORE_API_VERSION=2.3.1"));
        assert!(script.contains("std::fs::copy(\"kore_clients.rs\", out)"));
    }
}
