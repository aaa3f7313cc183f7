//! The benchmark report (`kore-bench-report`, which `cargo xtask bench`
//! runs): runs kore-bench's benchmarks and memory test, then writes
//! `kore-bench/REPORT.md` from what they measured.
//!
//! One file, because each row's measurement, target and wording are read
//! and written together: a row added in one place and not the other would
//! report a number against the wrong target.
//!
//! Results are read from files, never scraped from terminal output:
//! criterion's `new/benchmark.json`, `estimates.json` and `sample.json`
//! under a fresh `CRITERION_HOME`, plus the `extras.json` (allocations,
//! interleaved ratios, pagination order) and `memory.json` that the
//! benchmark and the memory test write to `KORE_BENCH_OUT`. Both folders
//! are emptied before each run, so a report never mixes two runs.
//!
//! Every target is a ratio between numbers measured in the same run (or a
//! byte bound relative to a page measured in the same run), so the report
//! means the same on a fast or a slow machine.

use crate::{DATE_FORMAT, budget, build_cost};
pub use crate::{Result, utc_now};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn err(message: impl Into<String>) -> String {
    message.into()
}

/// A benchmark the report reads, named in code by what it measures;
/// [`id`](Self::id) is its criterion id and what it displays as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bench {
    /// A GET by hand with reqwest and serde: the baseline of every `get` row.
    RawGet,
    /// `kore.clients().get(id)`.
    SdkGet,
    /// `kore.raw().get_client()`: generated client plus the SDK's hooks.
    GeneratedGet,
    /// `kore.raw().get_client()` built without hooks: progenitor's own share.
    BareGet,
    /// `kore.tokens().bearer()` with a cached token.
    Bearer,
    /// 10,000 clients, one page at a time, through the SDK.
    Sequential,
    /// The same pages through a hand-written reqwest loop.
    RawSequential,
    /// 10,000 clients with `concurrency(8)`.
    Concurrent,
    /// The same under a reader that spends a page's latency on every page.
    SlowReader,
    /// That reader alone, over the same clients held in memory.
    ReaderAlone,
    /// Decoding a page of 100 clients with a type as the generated one was
    /// before answers were open (closed enum, no `extra`): the baseline.
    DecodeClosed,
    /// The same page with the generated, open types.
    DecodeOpen,
    /// The open types on a page whose clients carry three unknown fields each.
    DecodeUnknown,
}

impl Bench {
    /// Every benchmark the report needs: a run that lacks one is refused.
    pub const ALL: [Bench; 13] = [
        Self::RawGet,
        Self::SdkGet,
        Self::GeneratedGet,
        Self::BareGet,
        Self::Bearer,
        Self::Sequential,
        Self::RawSequential,
        Self::Concurrent,
        Self::SlowReader,
        Self::ReaderAlone,
        Self::DecodeClosed,
        Self::DecodeOpen,
        Self::DecodeUnknown,
    ];

    /// The criterion id, `group/function`.
    pub const fn id(self) -> &'static str {
        match self {
            Self::RawGet => "get_client/raw_reqwest",
            Self::SdkGet => "get_client/sdk",
            Self::GeneratedGet => "get_client/generated",
            Self::BareGet => "get_client/generated_no_hooks",
            Self::Bearer => "token_cache/bearer_cached",
            Self::Sequential => "pagination/sequential",
            Self::RawSequential => "pagination/raw_sequential",
            Self::Concurrent => "pagination/concurrency_8",
            Self::SlowReader => "pagination/concurrency_8_slow_reader",
            Self::ReaderAlone => "pagination/slow_reader_alone",
            Self::DecodeClosed => "decode/page_of_100_closed",
            Self::DecodeOpen => "decode/page_of_100_open",
            Self::DecodeUnknown => "decode/page_of_100_open_unknown_fields",
        }
    }
}

impl std::fmt::Display for Bench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Largest SDK-to-raw ratio for `get`, judged on the interleaved rounds.
pub const GET_RATIO_TARGET: f64 = 1.05;
/// A cached token may cost at most this fraction of one raw GET.
pub const BEARER_FRACTION_TARGET: f64 = 0.01;
/// Sequential pagination through the SDK may take at most this factor of
/// the hand-written reqwest loop over the same mock. (Against pages ×
/// latency it would be judged on the mock's timer rounding too, which the
/// raw loop shows is already 8 to 10 % on its own.)
pub const SEQUENTIAL_VS_RAW_TARGET: f64 = 1.02;
/// `concurrency(8)` must be at least this many times faster than sequential.
pub const SPEEDUP_TARGET: f64 = 6.0;
/// `concurrency(8)` under the slow reader may take at most this factor of
/// its ideal: the slower of the reader alone plus one page's latency (the
/// first page, which nothing can hide) and fetching alone with
/// `concurrency(8)`.
pub const SLOW_READER_TARGET: f64 = 1.05;
/// 20 `kore` commands with a cached token (and a slow token endpoint) may
/// take at most this factor of the same commands with an instant one.
pub const CLI_CACHE_TARGET: f64 = 1.1;

/// The `get` paths whose instructions `cargo xtask bench` counts with
/// callgrind (the names `kore-bench-get` takes), baseline first.
pub const COUNTED_PATHS: [&str; 4] = ["raw_reqwest", "generated_no_hooks", "generated", "sdk"];
/// The SDK's `get` may execute at most this factor of raw reqwest's
/// instructions per GET.
pub const INSTRUCTION_TARGET: f64 = 1.10;
/// The hooks and the call wrapper together may add at most this many
/// instructions per GET over the generated client alone.
pub const LAYERS_TARGET: f64 = 3_000.0;
/// Calls per path counted.
pub const COUNTED_CALLS: u32 = 2_000;

/// Which parts of the report a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The benchmarks, the memory test and the instruction counts.
    pub benchmarks: bool,
    /// The cold builds of [`build_cost`], when measured; a report written
    /// without them keeps the build-cost section it had.
    pub build: Option<build_cost::Options>,
}

/// Runs the parts of the report `scope` names in the workspace at `root`,
/// writes the report, and returns its path.
pub fn run(root: &Path, scope: Scope) -> Result<PathBuf> {
    let path = root.join("kore-bench").join("REPORT.md");
    let scratch = target_dir(root).join("kore-bench-build-cost");
    if !scope.benchmarks {
        let options = scope.build.ok_or("nothing to measure")?;
        build_cost::update_report(root, &scratch, &path, options)?;
        return Ok(path);
    }
    let previous = std::fs::read_to_string(&path).unwrap_or_default();
    let run = run_benchmarks(root)?;
    let section = match scope.build {
        Some(options) => Some(build_cost::render(&build_cost::measure(
            root, &scratch, options,
        )?)),
        None => build_cost::section(&previous).map(str::to_owned),
    };
    let report = match section {
        Some(section) => build_cost::splice(&run, &section),
        None => run,
    };
    std::fs::write(&path, &report).map_err(|e| err(format!("{}: {e}", path.display())))?;
    Ok(path)
}

/// Runs the benchmarks and the memory test in the workspace at `root`
/// and returns the report they make.
fn run_benchmarks(root: &Path) -> Result<String> {
    // Before anything of ours loads the machine.
    let mut machine = Machine::detect();
    machine.crates = crate_versions(root, &["criterion", "reqwest"]);
    if machine
        .load_average
        .parse::<f64>()
        .is_ok_and(|load| load > 0.5)
    {
        println!(
            "note: the 1-minute load average is {}: other work on this machine will make \
             the timings noisy (the report records it)",
            machine.load_average
        );
    }
    let out = target_dir(root).join("kore-bench");
    let criterion_home = out.join("criterion");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| err(format!("{}: {e}", out.display())))?;
    }
    std::fs::create_dir_all(&criterion_home)
        .map_err(|e| err(format!("{}: {e}", criterion_home.display())))?;

    cargo(
        root,
        &out,
        &criterion_home,
        &["bench", "-p", "kore-bench", "--bench", "sdk"],
    )?;
    cargo(
        root,
        &out,
        &criterion_home,
        &[
            "test",
            "-p",
            "kore-bench",
            "--test",
            "memory",
            "--",
            "--nocapture",
        ],
    )?;

    count_instructions(root, &out)?;
    // The CLI's token cache, timed as a script runs it: real `kore` processes.
    cargo(
        root,
        &out,
        &criterion_home,
        &[
            "build",
            "--release",
            "-p",
            "kore-cli",
            "-p",
            "kore-bench",
            "--bins",
        ],
    )?;
    cargo(
        root,
        &out,
        &criterion_home,
        &[
            "run",
            "--release",
            "-q",
            "-p",
            "kore-bench",
            "--bin",
            "kore-bench-cli",
        ],
    )?;

    machine.load_average_end = Machine::detect().load_average;
    let results = Results::load(&out)?;
    Ok(render(&results, &machine, &utc_now()))
}

/// Counts the instructions of [`COUNTED_CALLS`] GETs along each of
/// [`COUNTED_PATHS`] with callgrind (`kore-bench-get count`), and writes
/// them per call to `out/instructions.json`. Without valgrind it says so
/// and writes nothing: the report then marks the section as not measured.
///
/// Unlike times, these counts do not change with the load of a shared
/// machine (they vary by a fraction of a percent with the allocator's
/// state), which makes them the steady companion of the timed ratios.
fn count_instructions(root: &Path, out: &Path) -> Result<()> {
    let version = Command::new("valgrind")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let Some(version) = version else {
        println!(
            "note: valgrind is not installed, so instructions are not counted \
             (Debian: apt-get install valgrind)"
        );
        return Ok(());
    };
    cargo(
        root,
        out,
        &out.join("criterion"),
        &["build", "--release", "-p", "kore-bench", "--bins"],
    )?;
    let binary = target_dir(root)
        .join("release")
        .join(format!("kore-bench-get{}", std::env::consts::EXE_SUFFIX));
    let dir = out.join("callgrind");
    std::fs::create_dir_all(&dir).map_err(|e| err(format!("{}: {e}", dir.display())))?;
    let mut per_call = serde_json::Map::new();
    for path in COUNTED_PATHS {
        let profile = dir.join(format!("{path}.out"));
        println!("==> callgrind: {path}, {COUNTED_CALLS} calls");
        let status = Command::new("valgrind")
            .args([
                "--quiet",
                "--tool=callgrind",
                "--collect-atstart=no",
                "--toggle-collect=*counted_calls*",
            ])
            .arg(format!("--callgrind-out-file={}", profile.display()))
            .arg(&binary)
            .args(["count", path, &COUNTED_CALLS.to_string()])
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(|e| err(format!("cannot run valgrind: {e}")))?;
        if !status.success() {
            return Err(err(format!("callgrind on {path} failed ({status})")));
        }
        let text = std::fs::read_to_string(&profile)
            .map_err(|e| err(format!("{}: {e}", profile.display())))?;
        let total = callgrind_total(&text)
            .ok_or_else(|| err(format!("{}: no `summary:` line", profile.display())))?;
        per_call.insert(
            path.to_owned(),
            serde_json::json!(total as f64 / f64::from(COUNTED_CALLS)),
        );
    }
    let budget = instruction_budget(&dir, &per_call)?;
    let record = serde_json::json!({
        "valgrind": version,
        "calls": COUNTED_CALLS,
        "per_call": per_call,
        "budget": budget,
    });
    let path = out.join("instructions.json");
    std::fs::write(&path, record.to_string()).map_err(|e| err(format!("{}: {e}", path.display())))
}

/// Each of [`budget::LAYERS`]' lines per call, from the profiles in `dir`
/// (`{path}.out`) and the per-call totals counted: `{layer name: [[key,
/// instructions], …]}`.
fn instruction_budget(dir: &Path, per_call: &serde_json::Map<String, Value>) -> Result<Value> {
    let mut costs = HashMap::new();
    let mut layers = serde_json::Map::new();
    for layer in &budget::LAYERS {
        for path in [layer.from, layer.to] {
            if !costs.contains_key(path) {
                let profile = dir.join(format!("{path}.out"));
                costs.insert(path, budget::self_costs(&profile).map_err(err)?);
            }
        }
        let total = |path: &str| {
            per_call
                .get(path)
                .and_then(Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        let lines = budget::layer_budget(
            layer,
            &costs[layer.from],
            &costs[layer.to],
            total(layer.to) - total(layer.from),
            COUNTED_CALLS,
        );
        layers.insert(layer.name.to_owned(), serde_json::json!(lines));
    }
    Ok(Value::Object(layers))
}

/// The instructions a callgrind profile counted: its `summary:` line.
pub fn callgrind_total(profile: &str) -> Option<u64> {
    profile
        .lines()
        .find_map(|line| line.strip_prefix("summary:"))
        .and_then(|n| n.trim().parse().ok())
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
}

fn cargo(root: &Path, out: &Path, criterion_home: &Path, args: &[&str]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    println!("==> cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .env("CRITERION_HOME", criterion_home)
        .env("KORE_BENCH_OUT", out)
        .status()
        .map_err(|e| err(format!("cannot run cargo: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(err(format!("`cargo {}` failed ({status})", args.join(" "))))
    }
}

/// One criterion benchmark's result, in nanoseconds per iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Criterion's median estimate.
    pub median: f64,
    /// The 95 % confidence interval of the median.
    pub median_ci: (f64, f64),
    /// 10th and 90th percentile of the per-sample times.
    pub p10: f64,
    /// See `p10`.
    pub p90: f64,
    /// Samples taken.
    pub samples: usize,
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct Results {
    /// Criterion results by benchmark id (`group/function`).
    pub timings: BTreeMap<String, Timing>,
    /// `extras.json` from the benchmark.
    pub extras: Value,
    /// `memory.json` from the memory test.
    pub memory: Value,
    /// `instructions.json` (callgrind counts), if valgrind was there.
    pub instructions: Option<Value>,
    /// `cli_token_cache.json` (`kore-bench-cli`), if that part ran.
    pub cli: Option<Value>,
}

impl Results {
    /// Reads `out/criterion/**/new/*.json`, `out/extras.json` and `out/memory.json`.
    pub fn load(out: &Path) -> Result<Self> {
        let mut timings = BTreeMap::new();
        collect_timings(&out.join("criterion"), &mut timings)?;
        let results = Self {
            timings,
            extras: read_json(&out.join("extras.json"))?,
            memory: read_json(&out.join("memory.json"))?,
            instructions: read_optional(&out.join("instructions.json"))?,
            cli: read_optional(&out.join("cli_token_cache.json"))?,
        };
        for bench in Bench::ALL {
            results.timing(bench.id())?;
        }
        Ok(results)
    }

    fn timing(&self, id: &str) -> Result<&Timing> {
        self.timings.get(id).ok_or_else(|| {
            err(format!(
                "benchmark {id} has no results (found: {})",
                self.timings.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }

    fn extra(&self, pointer: &str) -> Option<f64> {
        self.extras.pointer(pointer).and_then(Value::as_f64)
    }

    fn memory_value(&self, key: &str) -> Option<f64> {
        self.memory.get(key).and_then(Value::as_f64)
    }
}

/// `path` as JSON if the file is there.
fn read_optional(path: &Path) -> Result<Option<Value>> {
    if path.is_file() {
        read_json(path).map(Some)
    } else {
        Ok(None)
    }
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| err(format!("{}: {e}", path.display())))
}

/// Finds every `new/benchmark.json` below `dir` (criterion nests groups,
/// functions and sanitized names, so the id comes from the file, not the path).
fn collect_timings(dir: &Path, into: &mut BTreeMap<String, Timing>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| err(format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let path = entry
            .map_err(|e| err(format!("{}: {e}", dir.display())))?
            .path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") && path.join("benchmark.json").is_file() {
            let (id, timing) = read_timing(&path)?;
            into.insert(id, timing);
        } else {
            collect_timings(&path, into)?;
        }
    }
    Ok(())
}

fn read_timing(new_dir: &Path) -> Result<(String, Timing)> {
    let benchmark = read_json(&new_dir.join("benchmark.json"))?;
    let estimates = read_json(&new_dir.join("estimates.json"))?;
    let sample = read_json(&new_dir.join("sample.json"))?;
    let invalid = |what: &str| err(format!("{}: no {what}", new_dir.display()));
    let id = benchmark["full_id"]
        .as_str()
        .ok_or_else(|| invalid("full_id in benchmark.json"))?
        .to_owned();
    let median = &estimates["median"];
    let number = |value: &Value, what: &str| value.as_f64().ok_or_else(|| invalid(what));
    let numbers = |key: &str| -> Result<Vec<f64>> {
        sample[key]
            .as_array()
            .ok_or_else(|| invalid(key))?
            .iter()
            .map(|v| number(v, key))
            .collect()
    };
    let (iters, times) = (numbers("iters")?, numbers("times")?);
    if iters.len() != times.len() || iters.is_empty() {
        return Err(invalid(
            "matching, non-empty iters and times in sample.json",
        ));
    }
    let mut per_iteration: Vec<f64> = times.iter().zip(&iters).map(|(t, n)| t / n).collect();
    per_iteration.sort_by(f64::total_cmp);
    let timing = Timing {
        median: number(&median["point_estimate"], "median estimate")?,
        median_ci: (
            number(
                &median["confidence_interval"]["lower_bound"],
                "median lower bound",
            )?,
            number(
                &median["confidence_interval"]["upper_bound"],
                "median upper bound",
            )?,
        ),
        p10: percentile(&per_iteration, 0.10),
        p90: percentile(&per_iteration, 0.90),
        samples: per_iteration.len(),
    };
    Ok((id, timing))
}

/// The `q` quantile (0 to 1) of sorted, non-empty `values`, by nearest rank.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank]
}

/// The machine the numbers come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// Logical CPUs available to the process (`nproc`).
    pub cpus: String,
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// `MemTotal` from `/proc/meminfo`.
    pub memory: String,
    /// `rustc --version`.
    pub rustc: String,
    /// Kernel, from `/proc/sys/kernel/ostype` and `osrelease`.
    pub os: String,
    /// The 1-minute load average when the run started (`/proc/loadavg`):
    /// other work on the machine makes timings noisy, and this says so.
    pub load_average: String,
    /// The same when the measuring ended (the report is written then).
    pub load_average_end: String,
    /// The host name (`/proc/sys/kernel/hostname`), to tell runs on
    /// different machines of the same kind apart.
    pub hostname: String,
    /// The versions of the crates the report names (criterion, reqwest),
    /// from `Cargo.lock`.
    pub crates: BTreeMap<String, String>,
}

impl Machine {
    /// Reads the machine description; what cannot be read says "unknown".
    pub fn detect() -> Self {
        let unknown = || "unknown".to_owned();
        let read = |path: &str| std::fs::read_to_string(path).ok();
        let cpu_model = read("/proc/cpuinfo")
            .and_then(|text| {
                text.lines()
                    .find(|line| line.starts_with("model name"))
                    .and_then(|line| line.split_once(':'))
                    .map(|(_, model)| model.trim().to_owned())
            })
            .unwrap_or_else(unknown);
        let memory = read("/proc/meminfo")
            .and_then(|text| {
                let kib: f64 = text
                    .lines()
                    .find(|line| line.starts_with("MemTotal:"))?
                    .split_whitespace()
                    .nth(1)?
                    .parse()
                    .ok()?;
                Some(format!("{:.1} GiB", kib / (1024.0 * 1024.0)))
            })
            .unwrap_or_else(unknown);
        let rustc = std::env::var_os("RUSTC")
            .map(PathBuf::from)
            .unwrap_or_else(|| "rustc".into());
        let rustc = Command::new(rustc)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(unknown);
        let os = match (
            read("/proc/sys/kernel/ostype"),
            read("/proc/sys/kernel/osrelease"),
        ) {
            (Some(kind), Some(release)) => format!("{} {}", kind.trim(), release.trim()),
            _ => std::env::consts::OS.to_owned(),
        };
        let load_average = read("/proc/loadavg")
            .and_then(|text| text.split_whitespace().next().map(str::to_owned))
            .unwrap_or_else(unknown);
        let hostname = read("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(unknown);
        Self {
            load_average_end: load_average.clone(),
            load_average,
            hostname,
            crates: BTreeMap::new(),
            cpus: std::thread::available_parallelism()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| unknown()),
            cpu_model,
            memory,
            rustc,
            os,
        }
    }
}

/// The versions `Cargo.lock` at `root` pins for `names` (the tools the
/// report names), read from the run rather than written into prose here.
pub fn crate_versions(root: &Path, names: &[&str]) -> BTreeMap<String, String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let mut versions = BTreeMap::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .strip_prefix("name = \"")
            .and_then(|rest| rest.strip_suffix('"'))
        else {
            continue;
        };
        if !names.contains(&name) || versions.contains_key(name) {
            continue;
        }
        if let Some(version) = lines
            .next()
            .and_then(|l| l.strip_prefix("version = \""))
            .and_then(|rest| rest.strip_suffix('"'))
        {
            versions.insert(name.to_owned(), version.to_owned());
        }
    }
    versions
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM UTC`.
pub fn format_utc(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|at| at.format(DATE_FORMAT).to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Nanoseconds, in the unit a person reads best.
pub fn format_time(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// Bytes as KiB or MiB.
pub fn format_bytes(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.2} MiB", bytes / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB", bytes / 1024.0)
    }
}

/// The token-cache rows: 20 sequential `kore clients get` with a slow token
/// endpoint, cache on (cold, warm) and off, against the same commands with
/// an instant one.
fn cli_rows(cli: &Value) -> String {
    let number = |key: &str| or_nan(cli.get(key).and_then(Value::as_f64));
    let (commands, latency) = (number("commands"), number("token_latency_ms"));
    let seconds = |key: &str| format_time(number(key) * 1e9);
    let rounds = number("rounds");
    let mut out = String::new();
    let cold_vs_off = number("cold_vs_off");
    let cold = number("cold_vs_baseline");
    let warm = number("warm_vs_baseline");
    for row in [
        format!(
            "| `cli/{commands}_gets_no_token_latency` (baseline: `kore clients get` {commands} times, cache off, an instant token endpoint) | {} | median of {rounds} rounds | 1.000 | – | – |",
            seconds("baseline_secs"),
        ),
        format!(
            "| `cli/{commands}_gets_cache_off` ({latency} ms token endpoint: a grant per command) | {} | median of {rounds} rounds | – | – | – |",
            seconds("off_secs"),
        ),
        format!(
            "| `cli/{commands}_gets_cache_on_cold` ({latency} ms token endpoint, the first command grants) | {} | median of {rounds} rounds | {} × cache off; {} × baseline (the one grant's {latency} ms over {commands} short commands) | ≤ {CLI_CACHE_TARGET:.1} × baseline | {} |",
            seconds("cold_secs"),
            ratio(cold_vs_off),
            ratio(cold),
            verdict(cold <= CLI_CACHE_TARGET),
        ),
        format!(
            "| `cli/{commands}_gets_cache_on_warm` ({latency} ms token endpoint, a token already cached) | {} | median of {rounds} rounds | {} × baseline | ≤ {CLI_CACHE_TARGET:.1} × baseline | {} |",
            seconds("warm_secs"),
            ratio(warm),
            verdict(warm <= CLI_CACHE_TARGET),
        ),
    ] {
        let _ = writeln!(out, "{row}");
    }
    out
}

fn verdict(pass: bool) -> &'static str {
    if pass { "**pass**" } else { "**FAIL**" }
}

/// A value the report needs but the run did not record reads as NaN, which
/// fails every target and prints as "n/a".
fn or_nan(value: Option<f64>) -> f64 {
    value.unwrap_or(f64::NAN)
}

fn count(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.1}")
    } else {
        "n/a".to_owned()
    }
}

fn percent(value: f64) -> String {
    if value.is_finite() {
        format!("{:.0} %", value * 100.0)
    } else {
        "n/a".to_owned()
    }
}

fn ratio(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.3}")
    } else {
        "n/a".to_owned()
    }
}

/// The callgrind counts per GET, or why there are none.
fn instructions_section(results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n## Instructions per GET\n");
    let Some(counts) = &results.instructions else {
        let _ = writeln!(
            out,
            "Not counted: valgrind was not installed when this report was written \
             (Debian: `apt-get install valgrind`)."
        );
        return out;
    };
    let per_call = |path: &str| {
        counts
            .pointer(&format!("/per_call/{path}"))
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN)
    };
    let _ = writeln!(
        out,
        "Counted by callgrind ({}) over {} calls of each path (`kore-bench-get count`, the \
         benchmark's code), after a warm-up, in the client process only: valgrind does not follow \
         the mock. Unlike the times above, these counts do not depend on other work on the \
         machine; they vary by a fraction of a percent with the allocator's state. How time \
         relates to them depends on the machine (a round trip also spends time in the kernel \
         and in the mock, which share the CPU, and other work leaves the caches cold), but a \
         path that executes fewer instructions is cheaper on every machine, and none can be \
         cheaper than the code it runs on: the SDK sends through the generated client.\n",
        counts
            .get("valgrind")
            .and_then(Value::as_str)
            .unwrap_or("valgrind"),
        counts.get("calls").and_then(Value::as_u64).unwrap_or(0),
    );
    let _ = writeln!(
        out,
        "| path | instructions per GET | ratio vs raw | ratio vs generated alone |\n|---|---|---|---|"
    );
    let raw = per_call("raw_reqwest");
    let bare = per_call("generated_no_hooks");
    for (label, path) in [
        ("raw reqwest + serde (baseline)", "raw_reqwest"),
        (
            "generated client alone (no hooks, bearer as a default header)",
            "generated_no_hooks",
        ),
        ("`kore.raw().get_client()` (generated + hooks)", "generated"),
        ("`kore.clients().get(id)` (SDK)", "sdk"),
    ] {
        let n = per_call(path);
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} |",
            if n.is_finite() {
                format!("{n:.0}")
            } else {
                "n/a".to_owned()
            },
            ratio(n / raw),
            ratio(n / bare),
        );
    }
    let sdk = per_call("sdk");
    let over_generated = sdk - bare;
    let _ = writeln!(
        out,
        "\nTargets: the SDK at most {INSTRUCTION_TARGET:.2} × raw in instructions per GET: \
         {} ({}); the hooks and the call wrapper at most {LAYERS_TARGET:.0} instructions \
         over the generated client alone: {} ({over_generated:.0}). The generated client \
         alone is already {} × raw: progenitor 0.15 sends an `api-version` header with every \
         request and copies the response's headers into its `ResponseValue`, and no generator \
         setting or spec rule removes either (percent-encoding the path's id is correctness). \
         That leaves the SDK's layers {:.0} instructions to reach {INSTRUCTION_TARGET:.2} ×.",
        verdict(sdk / raw <= INSTRUCTION_TARGET),
        ratio(sdk / raw),
        verdict(over_generated <= LAYERS_TARGET),
        ratio(bare / raw),
        INSTRUCTION_TARGET * raw - bare,
    );
    if let Some(layers) = counts.get("budget").and_then(Value::as_object) {
        out.push_str(&budget_tables(layers));
    }
    out
}

/// The instruction budget of the SDK's layers, one table per layer.
fn budget_tables(layers: &serde_json::Map<String, Value>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n### Where the SDK's instructions go\n\n\
         Each layer's cost is the difference between two of the profiles above, split by the \
         functions the instructions ran in (their self cost, read with `callgrind_annotate`; \
         `kore-bench/src/budget.rs` says which function goes to which line). The lines add up \
         to the layer's measured cost. Inlining moves code between symbols, and the \
         allocator's cost depends on the heap's state as well as on the allocations a layer \
         makes, so read the small lines as ±100.\n"
    );
    for layer in &budget::LAYERS {
        let Some(lines) = layers.get(layer.name).and_then(Value::as_array) else {
            continue;
        };
        let cost = |key: &str| {
            lines
                .iter()
                .find(|l| l.get(0).and_then(Value::as_str) == Some(key))
                .and_then(|l| l.get(1))
                .and_then(Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        let total: f64 = lines.iter().filter_map(|l| l.get(1)?.as_f64()).sum();
        let _ = writeln!(
            out,
            "**{}**: {total:.0} per GET\n\n| instructions | what | pays for |\n|---|---|---|",
            layer.name
        );
        for line in layer.lines {
            let _ = writeln!(
                out,
                "| {:.0} | {} | {} |",
                cost(line.key),
                line.what,
                line.pays_for
            );
        }
        let _ = writeln!(
            out,
            "| {:.0} | other (functions no line names, and what the profile's threshold left out) | — |\n",
            cost("other")
        );
    }
    out
}

/// The whole `REPORT.md`.
pub fn render(results: &Results, machine: &Machine, date: &str) -> String {
    use Bench::{
        BareGet, Bearer, Concurrent, DecodeClosed, DecodeOpen, DecodeUnknown, GeneratedGet, RawGet,
        RawSequential, ReaderAlone, SdkGet, Sequential, SlowReader,
    };
    // `load` checked every id, so these lookups cannot fail.
    let t = |bench: Bench| {
        let id = bench.id();
        results.timings.get(id).cloned().unwrap_or(Timing {
            median: f64::NAN,
            median_ci: (f64::NAN, f64::NAN),
            p10: f64::NAN,
            p90: f64::NAN,
            samples: 0,
        })
    };
    let (raw, sdk, generated, bare, bearer) =
        (t(RawGet), t(SdkGet), t(GeneratedGet), t(BareGet), t(Bearer));
    let (sequential, raw_sequential, concurrent, slow_reader, reader_alone) = (
        t(Sequential),
        t(RawSequential),
        t(Concurrent),
        t(SlowReader),
        t(ReaderAlone),
    );
    let spread = |t: &Timing| format!("{} – {}", format_time(t.p10), format_time(t.p90));
    // The median and p10 – p90 columns of a row.
    let timed = |t: &Timing| format!("{} | {}", format_time(t.median), spread(t));

    let get_ratio = sdk.median / raw.median;
    let generated_ratio = generated.median / raw.median;
    let bare_ratio = bare.median / raw.median;
    let paired = |name: &str| or_nan(results.extra(&format!("/get_client/{name}")));
    let (paired_p10, paired_median, paired_p90) = (
        paired("paired_ratio_p10"),
        paired("paired_ratio_median"),
        paired("paired_ratio_p90"),
    );
    let paired_generated = paired("paired_generated_ratio_median");
    let paired_bare = paired("paired_generated_no_hooks_ratio_median");
    let (paired_bare_p10, paired_bare_p90) = (
        paired("paired_generated_no_hooks_ratio_p10"),
        paired("paired_generated_no_hooks_ratio_p90"),
    );
    let bearer_fraction = bearer.median / raw.median;
    let bearer_allocs = or_nan(results.extra("/token_cache/allocations_per_call"));
    let ideal = or_nan(results.extra("/pagination/ideal_sequential_ns"));
    let pages = or_nan(results.extra("/pagination/pages"));
    let latency_ms = or_nan(results.extra("/pagination/latency_ms"));
    let concurrency = or_nan(results.extra("/pagination/concurrency"));
    let order_preserved = results
        .extras
        .pointer("/pagination/order_preserved")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let sequential_ratio = sequential.median / ideal;
    let raw_sequential_ratio = raw_sequential.median / ideal;
    let sdk_vs_raw_walk = sequential.median / raw_sequential.median;
    let speedup = sequential.median / concurrent.median;
    // The slow reader's ideal: the reader's own time plus the first page
    // (its latency as the raw loop measured it), unless fetching alone is
    // slower still. Without any overlap it would take reader + fetching.
    let page_time = raw_sequential.median / pages;
    let slow_ideal = (reader_alone.median + page_time).max(concurrent.median);
    let slow_ratio = slow_reader.median / slow_ideal;
    let hidden = (reader_alone.median + concurrent.median - slow_reader.median) / concurrent.median;
    let reader_ms = or_nan(results.extra("/pagination/reader_ms_per_page"));

    let page_bytes = or_nan(results.memory_value("page_body_bytes"))
        + or_nan(results.memory_value("page_decoded_bytes"));
    let memory_row = |growth_key: &str, allowed_key: &str, label: &str| {
        let growth = or_nan(results.memory_value(growth_key));
        let allowed = or_nan(results.memory_value(allowed_key));
        let in_pages = growth / page_bytes;
        format!(
            "| {label} | {} peak heap growth | single run | {} pages | ≤ {allowed} pages | {} |\n",
            format_bytes(growth),
            ratio(in_pages),
            verdict(in_pages <= allowed),
        )
    };

    let mut out = String::new();
    let _ = writeln!(out, "# kore-clients performance report\n");
    let _ = writeln!(
        out,
        "Generated by `cargo xtask bench` on {date}, on the machine described below \
         (`{}`). Every target is a ratio between numbers measured in this same run (or a heap \
         bound in pages measured in this run), never an absolute time. The ratios are this \
         machine's, under the load shown: they move between machines of the same kind and with \
         other work on the machine, so quote them with the machine, not as facts about the SDK. The \
         instruction counts at the end do not depend on the load.\n",
        machine.hostname
    );
    let _ = writeln!(out, "## Machine\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| host | {} |", machine.hostname);
    let _ = writeln!(out, "| CPUs (`nproc`) | {} |", machine.cpus);
    let _ = writeln!(out, "| CPU model | {} |", machine.cpu_model);
    let _ = writeln!(out, "| memory | {} |", machine.memory);
    let _ = writeln!(out, "| OS | {} |", machine.os);
    let _ = writeln!(out, "| rustc | {} |", machine.rustc);
    let _ = writeln!(
        out,
        "| load average (1 min) at the start / at the end | {} / {} |",
        machine.load_average, machine.load_average_end
    );
    let _ = writeln!(out, "| date | {date} |\n");

    let _ = writeln!(out, "## Results\n");
    let _ = writeln!(
        out,
        "| benchmark | median | spread (p10 – p90) | ratio vs baseline | target | result |\n\
         |---|---|---|---|---|---|"
    );
    // The rows of the table, one per benchmark.
    for row in [
        format!(
            "| `{RawGet}` (baseline: reqwest + serde) | {} | 1.000 | – | – |",
            timed(&raw),
        ),
        format!(
            "| `{SdkGet}` | {} | {} × raw | ≤ {GET_RATIO_TARGET:.2} (cross-check of the row below) | {} |",
            timed(&sdk),
            ratio(get_ratio),
            verdict(get_ratio <= GET_RATIO_TARGET),
        ),
        format!(
            "| `{SdkGet}` ÷ raw, interleaved rounds | – | {} – {} | {} × raw | ≤ {GET_RATIO_TARGET:.2} | {} |",
            ratio(paired_p10),
            ratio(paired_p90),
            ratio(paired_median),
            verdict(paired_median <= GET_RATIO_TARGET),
        ),
        format!(
            "| `{GeneratedGet}` (diagnostic: generated client + SDK hooks, no wrapper) | {} | {} × raw (interleaved: {}) | – | – |",
            timed(&generated),
            ratio(generated_ratio),
            ratio(paired_generated),
        ),
        format!(
            "| `{BareGet}` (diagnostic: generated client alone, bearer as a default header; the floor for the SDK, which sends through it) | {} | {} × raw (interleaved: {}, p10 – p90 {} – {}) | – | – |",
            timed(&bare),
            ratio(bare_ratio),
            ratio(paired_bare),
            ratio(paired_bare_p10),
            ratio(paired_bare_p90),
        ),
        format!(
            "| `{Bearer}` | {} | {bearer_fraction:.5} × one raw GET; {} allocations/call | ≤ {BEARER_FRACTION_TARGET} × raw GET, 0 allocations/call | {} |",
            timed(&bearer),
            count(bearer_allocs),
            verdict(bearer_fraction <= BEARER_FRACTION_TARGET && bearer_allocs == 0.0),
        ),
        format!(
            "| `{Sequential}` ({pages} pages × {latency_ms} ms) | {} | {} × raw loop ({} × ideal {}) | ≤ {SEQUENTIAL_VS_RAW_TARGET:.2} × raw loop | {} |",
            timed(&sequential),
            ratio(sdk_vs_raw_walk),
            ratio(sequential_ratio),
            format_time(ideal),
            verdict(sdk_vs_raw_walk <= SEQUENTIAL_VS_RAW_TARGET),
        ),
        format!(
            "| `{RawSequential}` (baseline of the row above: the same pages, reqwest + serde by hand; its distance from the ideal is the mock's timer rounding) | {} | {} × ideal | – | – |",
            timed(&raw_sequential),
            ratio(raw_sequential_ratio),
        ),
        format!(
            "| `{Concurrent}` | {} | {speedup:.2}× faster than sequential; order {} | ≥ {SPEEDUP_TARGET:.0}×, order preserved | {} |",
            timed(&concurrent),
            if order_preserved {
                "preserved"
            } else {
                "NOT preserved"
            },
            verdict(speedup >= SPEEDUP_TARGET && order_preserved),
        ),
        format!(
            "| `{SlowReader}` (the reader spends {reader_ms} ms on each page) | {} | {} × ideal {}; {} of the fetching hidden behind the reader | ≤ {SLOW_READER_TARGET:.2} × ideal | {} |",
            timed(&slow_reader),
            ratio(slow_ratio),
            format_time(slow_ideal),
            percent(hidden),
            verdict(slow_ratio <= SLOW_READER_TARGET),
        ),
        format!(
            "| `{ReaderAlone}` (baseline of the row above: the same reader over the same clients held in memory) | {} | – | – | – |",
            timed(&reader_alone),
        ),
    ] {
        let _ = writeln!(out, "{row}");
    }
    let (closed, open, unknown) = (t(DecodeClosed), t(DecodeOpen), t(DecodeUnknown));
    let per_page = or_nan(results.extra("/decode/clients_per_page"));
    let per_client = |t: &Timing| format_time(t.median / per_page);
    let _ = writeln!(
        out,
        "| `{DecodeClosed}` (baseline: the generated page type as it was before answers were open — closed enum, no `extra`) | {} | 1.000; {} per client | – | – |",
        timed(&closed),
        per_client(&closed),
    );
    for (bench, timing, what) in [
        (
            DecodeOpen,
            &open,
            "the generated types, which keep unknown fields and values",
        ),
        (
            DecodeUnknown,
            &unknown,
            "the same, every client with three fields the spec does not name",
        ),
    ] {
        let _ = writeln!(
            out,
            "| `{bench}` ({what}) | {} | {} × closed; {} per client | – | – |",
            timed(timing),
            ratio(timing.median / closed.median),
            per_client(timing),
        );
    }
    let clients = or_nan(results.memory_value("clients"));
    out.push_str(&memory_row(
        "sequential_peak_growth_bytes",
        "sequential_pages_allowed",
        &format!("memory: stream {clients} clients, page size 100, sequential"),
    ));
    out.push_str(&memory_row(
        "concurrent_peak_growth_bytes",
        "concurrent_pages_allowed",
        &format!(
            "memory: stream {clients} clients, page size 100, concurrency {}",
            or_nan(results.memory_value("concurrency"))
        ),
    ));

    if let Some(cli) = &results.cli {
        out.push_str(&cli_rows(cli));
    }

    let _ = writeln!(out, "\n## Allocations per call\n");
    let _ = writeln!(
        out,
        "Counted by a counting global allocator (`stats_alloc`) in the benchmark process over \
         1,000 calls (100,000 for the token); the mock runs in another process, so only client \
         allocations are counted.\n"
    );
    let _ = writeln!(
        out,
        "| call | allocations | bytes allocated |\n|---|---|---|"
    );
    for (label, key) in [
        ("raw reqwest GET + serde decode", "raw"),
        (
            "generated client alone (no hooks, bearer as a default header)",
            "generated_no_hooks",
        ),
        ("`kore.raw().get_client()` (generated + hooks)", "generated"),
        ("`kore.clients().get(id)` (SDK)", "sdk"),
    ] {
        let _ = writeln!(
            out,
            "| {label} | {} | {} |",
            count(or_nan(
                results.extra(&format!("/get_client/{key}_allocations_per_call"))
            )),
            format_bytes(or_nan(
                results.extra(&format!("/get_client/{key}_bytes_per_call"))
            )),
        );
    }
    let _ = writeln!(
        out,
        "| `kore.tokens().bearer()` (cached) | {} | {} |",
        count(bearer_allocs),
        format_bytes(or_nan(results.extra("/token_cache/bytes_per_call"))),
    );

    out.push_str(&instructions_section(results));

    let _ = writeln!(out, "\n## How it was measured\n");
    if results.cli.is_some() {
        let _ = writeln!(
            out,
            "- `cli/…` rows: `kore-bench-cli` runs the release `kore` binary as a script would, \
             20 `kore clients get` in a row, in interleaved rounds: cache on from a cold cache \
             directory (the first command grants), the same again with the token now cached \
             (warm), cache off, and cache off against a second mock whose token endpoint answers \
             at once (the baseline). Ratios are medians of the per-round ratios."
        );
    }
    let placement = match results.extras.get("pinned_cpu").and_then(Value::as_u64) {
        Some(cpu) => format!(
            "Client and mock are pinned to the same CPU ({cpu}; the mock process inherits the \
             benchmark's pin), so a round trip is two context switches on one core: unpinned, \
             on a VM, each round trip wakes another, idle vCPU twice, which adds tens of \
             microseconds that vary with whatever else runs and would dilute the SDK's cost in \
             the ratio."
        ),
        None => "Pinning to one CPU failed, so client and mock ran unpinned: cross-CPU \
                 wake-ups are in these timings and make the `get` ratios look better than \
                 they are."
            .to_owned(),
    };
    let version = |name: &str| {
        machine
            .crates
            .get(name)
            .cloned()
            .unwrap_or_else(|| "(version unknown)".to_owned())
    };
    let (criterion, reqwest) = (version("criterion"), version("reqwest"));
    let _ = writeln!(
        out,
        "- Criterion {criterion} (`kore-bench/benches/sdk.rs`) against kore-mock on 127.0.0.1, all \
         benchmarks in one process and one run. The mock runs in a child process \
         (`kore-bench-mock`, one thread); the client runs on a current-thread Tokio runtime. \
         {placement}\n\
         - Median: criterion's median estimate of the time per iteration. Spread: 10th to 90th \
         percentile of the per-sample times ({} samples for `get`, {} for sequential pagination).\n\
         - `get`: the SDK against a hand-written reqwest {reqwest} GET of the same URL with a fixed \
         bearer header, decoding the same `ClientEnvelope`; each side has its own warm \
         connection pool, the same timeouts and user agent, and the token is fetched before \
         measuring. The interleaved row alternates blocks of {block} raw and {block} SDK calls \
         over {rounds} rounds, each call timed on its own; a round's ratio is that of the two \
         sides' median call times, and the row reports the median (p10 – p90) of the per-round \
         ratios. A slow spell on the machine then affects both sides of a round, which \
         criterion's back-to-back runs cannot guarantee, and a call during which the scheduler \
         ran other work on the CPU is an outlier the medians ignore.\n\
         - Pagination: {pages} pages of 100 clients, each answered after {latency_ms} ms; \
         `concurrency({concurrency})` keeps that many page requests in flight. \
         Concurrent and sequential streams are checked to yield the same clients in the same \
         order before timing. The raw loop fetches the same pages with reqwest and serde alone: \
         its distance from the ideal is the mock's (tokio's timer rounds each {latency_ms} ms \
         sleep up to the next millisecond tick, and building a page takes a fraction of a \
         millisecond), so `sequential ÷ raw loop` is the SDK's own share, and what is judged.\n\
         - Slow reader: the stream with `concurrency({concurrency})` read by a consumer that \
         awaits {reader_ms} ms after each page's clients (as a write to a database would), \
         against that consumer alone over the same clients held in memory. Here the reader is \
         the slower side ({} against {} for fetching everything with \
         `concurrency({concurrency})`), so the ideal is the reader's time plus the first \
         page's latency, which nothing can hide (the raw loop's time per page); in general the \
         larger of that and the fetching alone. Without prefetch overlapping the reader it \
         would take at least reader + fetching ({}, {} × the ideal); \"hidden\" is the share \
         of the fetching time that did overlap.\n\
         - Memory (`kore-bench/tests/memory.rs`): a counting global allocator (`peak_alloc`) \
         tracks the test process's peak heap while the stream is counted, not collected; one \
         page is its JSON body plus the decoded page, both measured in the same run ({}). \
         Collecting all clients instead would take about 1,000 pages.\n\
         - Other work on the machine (a build, another benchmark) shows as a wide spread and a \
         high load average above; the interleaved ratio is the one least affected by it.\n\
         - Reproduce with `cargo xtask bench` (about 3 minutes of measuring after the build, plus half a minute of callgrind when valgrind is installed).",
        sdk.samples,
        sequential.samples,
        format_time(reader_alone.median),
        format_time(concurrent.median),
        format_time(reader_alone.median + concurrent.median),
        ratio((reader_alone.median + concurrent.median) / slow_ideal),
        format_bytes(page_bytes),
        block = paired("paired_calls_per_block"),
        rounds = paired("paired_rounds"),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_benchmark(root: &Path, dir: &str, id: &str, median: f64, per_iter: &[f64]) {
        let new = root.join(dir).join("new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(
            new.join("benchmark.json"),
            serde_json::json!({"full_id": id, "directory_name": dir}).to_string(),
        )
        .unwrap();
        std::fs::write(
            new.join("estimates.json"),
            serde_json::json!({"median": {
                "point_estimate": median,
                "standard_error": 1.0,
                "confidence_interval": {"confidence_level": 0.95, "lower_bound": median * 0.99, "upper_bound": median * 1.01},
            }})
            .to_string(),
        )
        .unwrap();
        // Two iterations per sample: the per-iteration time is times / iters.
        let iters: Vec<f64> = per_iter.iter().map(|_| 2.0).collect();
        let times: Vec<f64> = per_iter.iter().map(|t| t * 2.0).collect();
        std::fs::write(
            new.join("sample.json"),
            serde_json::json!({"sampling_mode": "Linear", "iters": iters, "times": times})
                .to_string(),
        )
        .unwrap();
    }

    /// A complete results folder as one run leaves it, with the given medians.
    fn fixture(out: &Path, sdk_median: f64, order_preserved: bool) {
        let criterion = out.join("criterion");
        let samples: Vec<f64> = (1..=10).map(f64::from).collect();
        write_benchmark(
            &criterion,
            "get_client/raw_reqwest",
            Bench::RawGet.id(),
            30_000.0,
            &samples,
        );
        write_benchmark(
            &criterion,
            "get_client/sdk",
            Bench::SdkGet.id(),
            sdk_median,
            &samples,
        );
        write_benchmark(
            &criterion,
            "get_client/generated",
            Bench::GeneratedGet.id(),
            31_000.0,
            &samples,
        );
        write_benchmark(
            &criterion,
            "get_client/generated_no_hooks",
            Bench::BareGet.id(),
            30_500.0,
            &samples,
        );
        write_benchmark(
            &criterion,
            "token_cache/bearer_cached",
            Bench::Bearer.id(),
            60.0,
            &samples,
        );
        write_benchmark(
            &criterion,
            "pagination/sequential",
            Bench::Sequential.id(),
            2.1e9,
            &samples,
        );
        write_benchmark(
            &criterion,
            "pagination/raw_sequential",
            Bench::RawSequential.id(),
            2.09e9,
            &samples,
        );
        write_benchmark(
            &criterion,
            "pagination/concurrency_8",
            Bench::Concurrent.id(),
            0.3e9,
            &samples,
        );
        write_benchmark(
            &criterion,
            "pagination/concurrency_8_slow_reader",
            Bench::SlowReader.id(),
            2.1e9,
            &samples,
        );
        write_benchmark(
            &criterion,
            "pagination/slow_reader_alone",
            Bench::ReaderAlone.id(),
            2.05e9,
            &samples,
        );
        for (dir, id, median) in [
            (
                "decode/page_of_100_closed",
                Bench::DecodeClosed.id(),
                40_000.0,
            ),
            ("decode/page_of_100_open", Bench::DecodeOpen.id(), 44_000.0),
            (
                "decode/page_of_100_open_unknown_fields",
                Bench::DecodeUnknown.id(),
                90_000.0,
            ),
        ] {
            write_benchmark(&criterion, dir, id, median, &samples);
        }
        std::fs::write(
            out.join("extras.json"),
            serde_json::json!({
                "get_client": {
                    "raw_allocations_per_call": 47.0, "raw_bytes_per_call": 17705.0,
                    "sdk_allocations_per_call": 65.0, "sdk_bytes_per_call": 22134.0,
                    "generated_allocations_per_call": 63.0, "generated_bytes_per_call": 22000.0,
                    "paired_ratio_p10": 1.02, "paired_ratio_median": 1.04, "paired_ratio_p90": 1.07,
                    "paired_generated_ratio_median": 1.03,
                    "paired_generated_no_hooks_ratio_median": 1.02,
                    "generated_no_hooks_allocations_per_call": 55.0, "generated_no_hooks_bytes_per_call": 20000.0,
                    "paired_rounds": 40, "paired_calls_per_block": 250,
                },
                "pinned_cpu": 0,
                "token_cache": {"allocations_per_call": 0.0, "bytes_per_call": 0.0},
                "pagination": {"pages": 100, "latency_ms": 20, "concurrency": 8,
                    "ideal_sequential_ns": 2_000_000_000u64, "order_preserved": order_preserved,
                    "reader_ms_per_page": 20},
                "decode": {"clients_per_page": 100},
            })
            .to_string(),
        )
        .unwrap();
        std::fs::write(
            out.join("memory.json"),
            serde_json::json!({
                "clients": 100_000, "page_body_bytes": 26_000, "page_decoded_bytes": 32_000,
                "sequential_peak_growth_bytes": 100_000, "sequential_pages_allowed": 4,
                "concurrency": 8, "concurrent_peak_growth_bytes": 800_000, "concurrent_pages_allowed": 24,
            })
            .to_string(),
        )
        .unwrap();
    }

    fn machine() -> Machine {
        Machine {
            cpus: "2".into(),
            cpu_model: "Test CPU".into(),
            memory: "24.0 GiB".into(),
            rustc: "rustc 1.95.0".into(),
            os: "Linux 6.1".into(),
            load_average: "0.12".into(),
            load_average_end: "0.34".into(),
            hostname: "bench-host".into(),
            crates: [("criterion", "0.8.1"), ("reqwest", "0.13.5")]
                .map(|(name, version)| (name.to_owned(), version.to_owned()))
                .into(),
        }
    }

    fn row<'a>(report: &'a str, starts: &str) -> &'a str {
        report
            .lines()
            .find(|line| line.starts_with(starts))
            .unwrap_or_else(|| panic!("no row starting {starts:?} in\n{report}"))
    }

    /// Asserts that `text` holds every one of `parts`.
    fn assert_holds<S: AsRef<str>>(text: &str, parts: &[S]) {
        for part in parts {
            assert!(
                text.contains(part.as_ref()),
                "{:?} not in\n{text}",
                part.as_ref()
            );
        }
    }

    /// Asserts that the row starting with `starts` misses its target, `why`.
    fn assert_fails(report: &str, starts: &str, why: &str) {
        assert_holds(row(report, starts), &[why, "**FAIL**"]);
    }

    /// The report on the results in `out`, on [`machine`], dated "today".
    fn rendered(out: &Path) -> String {
        render(&Results::load(out).unwrap(), &machine(), "today")
    }

    /// `instructions.json` of a callgrind run over 2000 calls per path, the
    /// SDK's at `sdk` instructions per GET.
    fn write_instructions(out: &Path, sdk: f64, budget: Value) {
        let counts = serde_json::json!({
            "valgrind": "valgrind-3.19.0",
            "calls": 2000,
            "per_call": {"raw_reqwest": 80_000.0, "generated_no_hooks": 85_000.0,
                "generated": 87_000.0, "sdk": sdk},
            "budget": budget,
        });
        std::fs::write(out.join("instructions.json"), counts.to_string()).unwrap();
    }

    #[test]
    fn criterion_results_are_found_by_id_with_percentiles_per_iteration() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path(), 31_500.0, true);
        let results = Results::load(dir.path()).unwrap();
        let sdk = &results.timings[Bench::SdkGet.id()];
        assert_eq!(sdk.median, 31_500.0);
        assert_eq!(sdk.samples, 10);
        // Per-iteration times 1..=10: nearest-rank p10 is 2, p90 is 9.
        assert_eq!((sdk.p10, sdk.p90), (2.0, 9.0));
        assert_eq!(results.timings.len(), 13);
        assert!(results.instructions.is_none());
    }

    #[test]
    fn the_cli_token_cache_rows_appear_when_measured() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path(), 31_500.0, true);
        let without = rendered(dir.path());
        assert!(!without.contains("cli/"), "{without}");
        std::fs::write(
            dir.path().join("cli_token_cache.json"),
            serde_json::json!({
                "commands": 20, "token_latency_ms": 300, "rounds": 7,
                "cold_secs": 0.52, "warm_secs": 0.18, "off_secs": 6.4, "baseline_secs": 0.23,
                "cold_vs_off": 0.081, "cold_vs_baseline": 2.265, "warm_vs_baseline": 0.751,
            })
            .to_string(),
        )
        .unwrap();
        let report = rendered(dir.path());
        let cold = row(&report, "| `cli/20_gets_cache_on_cold`");
        assert_holds(
            cold,
            &["| 520.0 ms |", "0.081 × cache off; 2.265 × baseline"],
        );
        assert!(cold.ends_with("| ≤ 1.1 × baseline | **FAIL** |"), "{cold}");
        let warm = row(&report, "| `cli/20_gets_cache_on_warm`");
        assert!(
            warm.contains("0.751 × baseline") && warm.ends_with("**pass** |"),
            "{warm}"
        );
        assert!(row(&report, "| `cli/20_gets_no_token_latency`").contains("| 230.0 ms |"));
        assert!(row(&report, "| `cli/20_gets_cache_off`").contains("| 6.400 s |"));
    }

    #[test]
    fn report_has_the_machine_ratios_and_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path(), 31_500.0, true);
        let report = render(
            &Results::load(dir.path()).unwrap(),
            &machine(),
            "2026-01-02 03:04 UTC",
        );
        assert_holds(
            &report,
            &[
                "| CPU model | Test CPU |",
                "| rustc | rustc 1.95.0 |",
                "| load average (1 min) at the start / at the end | 0.12 / 0.34 |",
                "| host | bench-host |",
                "on the machine described below (`bench-host`)",
                "2026-01-02 03:04 UTC",
                "Not counted: valgrind was not installed",
                "pinned to the same CPU (0;",
            ],
        );
        // Each row by its first cells, with what it must hold.
        for (starts, parts) in [
            ("| `get_client/sdk` |", &["1.050 × raw", "**pass**"][..]),
            (
                "| `get_client/sdk` ÷ raw",
                &["1.040 × raw", "1.020 – 1.070"],
            ),
            (
                "| `token_cache/bearer_cached` |",
                &["0.00200 × one raw GET", "**pass**"],
            ),
            // Decode cost: per client, against the closed baseline of the same run.
            (
                "| `decode/page_of_100_open` (",
                &["1.100 × closed; 440.0 ns per client"],
            ),
            (
                "| `decode/page_of_100_closed` (",
                &["1.000; 400.0 ns per client"],
            ),
            // Judged against the raw loop (2.1 s ÷ 2.09 s), the ideal shown beside it.
            (
                "| `pagination/sequential`",
                &[
                    "1.005 × raw loop (1.050 × ideal 2.000 s)",
                    "≤ 1.02 × raw loop",
                    "**pass**",
                ],
            ),
            // Ideal: the reader alone (2.05 s) plus one page (2.09 s ÷ 100).
            (
                "| `pagination/concurrency_8_slow_reader`",
                &[
                    "1.014 × ideal 2.071 s",
                    "83 % of the fetching hidden",
                    "**pass**",
                ],
            ),
            (
                "| `pagination/concurrency_8` |",
                &["7.00× faster", "**pass**"],
            ),
            (
                "| memory: stream 100000 clients, page size 100, sequential",
                &["1.724 pages", "**pass**"],
            ),
        ] {
            assert_holds(row(&report, starts), parts);
        }
        assert!(!report.contains("FAIL"), "{report}");
    }

    #[test]
    fn missed_targets_are_reported_as_failures() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path(), 36_000.0, false);
        let report = rendered(dir.path());
        assert_fails(&report, "| `get_client/sdk` |", "1.200 × raw");
        assert_fails(&report, "| `pagination/concurrency_8` |", "NOT preserved");
    }

    #[test]
    fn a_slow_sdk_walk_and_a_reader_without_overlap_fail() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path(), 31_500.0, true);
        let criterion = dir.path().join("criterion");
        let samples: Vec<f64> = (1..=10).map(f64::from).collect();
        // 5 % slower than the raw loop, though still within 10 % of the ideal;
        // and the reader alone + fetching alone: nothing overlapped.
        for (id, median) in [
            (Bench::Sequential.id(), 2.2e9),
            (Bench::SlowReader.id(), 2.35e9),
        ] {
            write_benchmark(&criterion, id, id, median, &samples);
        }
        let report = rendered(dir.path());
        assert_fails(&report, "| `pagination/sequential`", "1.053 × raw loop");
        let slow = "| `pagination/concurrency_8_slow_reader`";
        assert_fails(&report, slow, "0 % of the fetching hidden");
    }

    #[test]
    fn instruction_counts_are_reported_against_raw_and_the_generated_client() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path(), 31_500.0, true);
        write_instructions(dir.path(), 88_400.0, Value::Null);
        let report = rendered(dir.path());
        let sdk = row(&report, "| `kore.clients().get(id)` (SDK) | 88400");
        assert!(sdk.contains("| 1.105 | 1.040 |"), "{sdk}");
        let raw = row(&report, "| raw reqwest + serde (baseline) | 80000");
        assert!(raw.contains("| 1.000 | 0.941 |"), "{raw}");
        assert_holds(
            &report,
            &[
                "callgrind (valgrind-3.19.0) over 2000 calls",
                // 88,400 ÷ 80,000 is over 1.10; 3,400 over the generated client is over 3,000.
                "at most 1.10 × raw in instructions per GET: **FAIL** (1.105)",
                "over the generated client alone: **FAIL** (3400)",
                "leaves the SDK's layers 3000 instructions",
            ],
        );
    }

    #[test]
    fn the_instruction_budget_is_a_table_per_layer_with_what_each_line_pays_for() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path(), 31_500.0, true);
        let [hooks, wrapper] = &budget::LAYERS;
        write_instructions(
            dir.path(),
            88_000.0,
            serde_json::json!({
                hooks.name: [["token", 250.0], ["spare", 1_500.0], ["other", 250.0]],
                wrapper.name: [["deadline", 650.0], ["other", 350.0]],
            }),
        );
        let report = rendered(dir.path());
        let spare = hooks.lines.iter().find(|l| l.key == "spare").unwrap();
        // A line the run did not record reads as NaN rather than as 0.
        let notes = wrapper.lines.iter().find(|l| l.key == "notes").unwrap();
        assert_holds(
            &report,
            &[
                "at most 1.10 × raw in instructions per GET: **pass** (1.100)".to_owned(),
                format!("**{}**: 2000 per GET", hooks.name),
                format!("**{}**: 1000 per GET", wrapper.name),
                format!("| 1500 | {} | {} |", spare.what, spare.pays_for),
                "| 350 | other".to_owned(),
                format!("| NaN | {} |", notes.what),
            ],
        );
    }

    #[test]
    fn the_callgrind_total_is_its_summary_line() {
        let profile = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 183554626\n\
                       fn=(1) main\n0 12\ntotals: 183554626\n";
        assert_eq!(callgrind_total(profile), Some(183_554_626));
        assert_eq!(callgrind_total("events: Ir\n"), None);
    }

    #[test]
    fn a_missing_benchmark_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path(), 31_500.0, true);
        std::fs::remove_dir_all(dir.path().join("criterion/pagination/concurrency_8")).unwrap();
        let error = Results::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains(Bench::Concurrent.id()), "{error}");
    }

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        // 2000-02-29 12:34 UTC, a leap day in a year divisible by 400.
        assert_eq!(format_utc(951_827_640), "2000-02-29 12:34 UTC");
        assert_eq!(format_utc(1_767_225_599), "2025-12-31 23:59 UTC");
    }

    #[test]
    fn times_and_sizes_read_naturally() {
        assert_eq!(format_time(66.6), "66.6 ns");
        assert_eq!(format_time(28_940.0), "28.94 µs");
        assert_eq!(format_time(314_970_000.0), "315.0 ms");
        assert_eq!(format_time(2_207_200_000.0), "2.207 s");
        assert_eq!(format_bytes(99_876.0), "97.5 KiB");
        assert_eq!(format_bytes(3.5 * 1024.0 * 1024.0), "3.50 MiB");
    }
}
