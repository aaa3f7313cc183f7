//! `kore-bench-cli`: the CLI's token cache as a shell script sees it. Times
//! 20 sequential `kore clients get` against a kore-mock whose token endpoint
//! takes 300 ms, with the cache on (cold: the first command grants; warm:
//! a token is already cached) and off, and the same 20 commands against a
//! mock with no token latency (the baseline), in interleaved rounds of one
//! run; writes `cli_token_cache.json` for the report.
//!
//! Usage: `kore-bench-cli [ROUNDS]` (default 7). The `kore` binary is
//! `$KORE_BIN`, else the one next to this executable (`cargo build --release
//! -p kore-cli`); `kore-bench-mock` is taken from the same directory.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use kore_bench::{MockOptions, MockProcess, record};
use serde_json::json;

/// Commands per scenario, as in a provisioning script.
const COMMANDS: usize = 20;
/// The token endpoint's latency in the slow scenarios.
const TOKEN_LATENCY: Duration = Duration::from_millis(300);

fn main() -> ExitCode {
    let rounds: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 7,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: kore-bench-cli [ROUNDS]");
            return ExitCode::FAILURE;
        }
    };
    match run(rounds) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kore-bench-cli: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(rounds: usize) -> Result<(), String> {
    let here = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = here.parent().ok_or("no directory")?.to_owned();
    let kore = std::env::var_os("KORE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join(format!("kore{}", std::env::consts::EXE_SUFFIX)));
    if !kore.is_file() {
        return Err(format!(
            "{} is not built; run `cargo build --release -p kore-cli` or set KORE_BIN",
            kore.display()
        ));
    }
    let mock_binary = dir.join(format!("kore-bench-mock{}", std::env::consts::EXE_SUFFIX));
    let spawn = |options| {
        MockProcess::spawn(&mock_binary, options)
            .map_err(|e| format!("{}: {e}", mock_binary.display()))
    };
    let slow = spawn(MockOptions {
        token_latency: TOKEN_LATENCY,
        ..MockOptions::clients(25)
    })?;
    let fast = spawn(MockOptions::clients(25))?;
    let scratch = std::env::temp_dir().join(format!("kore-bench-cli-{}", std::process::id()));
    let result = measure(&kore, &slow, &fast, &scratch, rounds);
    let _ = std::fs::remove_dir_all(&scratch);
    let value = result?;
    record("cli_token_cache", &value).map_err(|e| e.to_string())
}

fn measure(
    kore: &Path,
    slow: &MockProcess,
    fast: &MockProcess,
    scratch: &Path,
    rounds: usize,
) -> Result<serde_json::Value, String> {
    let id = {
        let output = kore_command(kore, slow, None)
            .args(["clients", "list", "--page-size", "1", "-o", "name"])
            .output()
            .map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    if id.is_empty() {
        return Err("the mock listed no client".into());
    }
    let (mut cold, mut warm, mut off, mut baseline) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        let cache = scratch.join(format!("round-{round}"));
        std::fs::create_dir_all(&cache).map_err(|e| e.to_string())?;
        cold.push(twenty_gets(kore, slow, Some(&cache), &id)?);
        warm.push(twenty_gets(kore, slow, Some(&cache), &id)?);
        off.push(twenty_gets(kore, slow, None, &id)?);
        baseline.push(twenty_gets(kore, fast, None, &id)?);
        println!(
            "round {round}: cold {:.0} ms, warm {:.0} ms, off {:.0} ms, baseline {:.0} ms",
            cold[round] * 1e3,
            warm[round] * 1e3,
            off[round] * 1e3,
            baseline[round] * 1e3
        );
    }
    let paired = |a: &[f64], b: &[f64]| {
        let mut ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
        ratios.sort_by(f64::total_cmp);
        kore_bench::get::percentile(&ratios, 0.5)
    };
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        kore_bench::get::percentile(&v, 0.5)
    };
    Ok(json!({
        "commands": COMMANDS,
        "token_latency_ms": TOKEN_LATENCY.as_millis() as u64,
        "rounds": rounds,
        "cold_secs": median(&cold),
        "warm_secs": median(&warm),
        "off_secs": median(&off),
        "baseline_secs": median(&baseline),
        "cold_vs_off": paired(&cold, &off),
        "cold_vs_baseline": paired(&cold, &baseline),
        "warm_vs_baseline": paired(&warm, &baseline),
    }))
}

/// Seconds for [`COMMANDS`] sequential `kore clients get`, each of which must succeed.
fn twenty_gets(
    kore: &Path,
    mock: &MockProcess,
    cache: Option<&Path>,
    id: &str,
) -> Result<f64, String> {
    let started = Instant::now();
    for _ in 0..COMMANDS {
        let status = kore_command(kore, mock, cache)
            .args(["clients", "get", id, "-o", "name"])
            .stdout(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("kore clients get failed ({status})"));
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

/// `kore` pointed at `mock`, with the token cache in `cache` (off without one).
fn kore_command(kore: &Path, mock: &MockProcess, cache: Option<&Path>) -> Command {
    let (id, secret) = mock.credentials();
    let mut command = Command::new(kore);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("KORE_CONFIG", "/nonexistent/kore-bench-config.toml")
        .env("KORE_BASE_URL", mock.base_url())
        .env("KORE_TOKEN_URL", mock.token_url())
        .env("KORE_CLIENT_ID", id)
        .env("KORE_CLIENT_SECRET", secret)
        .stderr(Stdio::inherit());
    match cache {
        Some(dir) => command.env("XDG_CACHE_HOME", dir),
        None => command.env("KORE_TOKEN_CACHE", "off"),
    };
    command
}
