//! Shared set-up for the kore-clients benchmarks and memory test: a kore-mock
//! in a child process, a `Kore` pointed at it, and where results are written.
//!
//! The mock runs in its own process (the `kore-bench-mock` binary of this
//! crate) rather than on a runtime inside the measuring process, for two
//! reasons: the counting allocators of the benchmark and of the memory test
//! then see only the client's heap (the mock holds every seeded client and
//! builds each page's JSON, which would otherwise dominate the numbers), and
//! the operating system schedules client and server as it would for a real
//! deployment instead of both sharing one runtime's worker threads.
//!
//! Benchmarks and tests pass `env!("CARGO_BIN_EXE_kore-bench-mock")`, which
//! Cargo sets (and builds the binary for) in integration tests and benches.
//!
//! [`get`] holds the four ways of reading one client that the benchmark
//! compares, shared with `kore-bench-get`, which runs one of them in a loop
//! for callgrind's instruction counts.

use std::io::{self, BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use kore_clients::{Kore, SecretString};

pub mod budget;
pub mod build_cost;
pub mod get;
pub mod report;

/// What the report's steps fail with: a message naming what and where.
pub type Result<T> = std::result::Result<T, String>;

/// Now, as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_now() -> String {
    chrono::Utc::now().format(DATE_FORMAT).to_string()
}

/// How the report writes dates.
pub(crate) const DATE_FORMAT: &str = "%Y-%m-%d %H:%M UTC";

/// Environment variable naming the folder where benchmarks and the memory
/// test write their extra measurements (JSON) for `cargo xtask bench`.
/// When it is unset they only print them.
pub const OUT_DIR_ENV: &str = "KORE_BENCH_OUT";

/// How long the mock may take to seed its clients and start listening.
/// Seeding 100,000 clients takes about a second in a debug build.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// What the mock process should serve.
#[derive(Debug, Clone, Copy)]
pub struct MockOptions {
    /// Seeded clients.
    pub clients: usize,
    /// Latency added to every `GET /v1/clients` (list) request.
    pub list_latency: Duration,
    /// Latency added to every token request.
    pub token_latency: Duration,
}

impl MockOptions {
    /// `clients` seeded clients and no added latency; set the public fields for
    /// latency (`MockOptions { list_latency, ..MockOptions::clients(n) }`).
    pub fn clients(clients: usize) -> Self {
        Self {
            clients,
            list_latency: Duration::ZERO,
            token_latency: Duration::ZERO,
        }
    }

    /// The command-line arguments the `kore-bench-mock` binary takes.
    pub fn to_args(self) -> Vec<String> {
        vec![
            "--clients".into(),
            self.clients.to_string(),
            "--list-latency-ms".into(),
            self.list_latency.as_millis().to_string(),
            "--token-latency-ms".into(),
            self.token_latency.as_millis().to_string(),
        ]
    }

    /// Parses what [`to_args`](Self::to_args) produced.
    pub fn from_args(args: &[String]) -> Result<Self> {
        let mut options = Self::clients(kore_mock::DEFAULT_CLIENTS);
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number: u64 = value
                .parse()
                .map_err(|_| format!("{flag} {value}: not a whole number"))?;
            match flag.as_str() {
                "--clients" => {
                    options.clients = usize::try_from(number).map_err(|e| e.to_string())?;
                }
                "--list-latency-ms" => options.list_latency = Duration::from_millis(number),
                "--token-latency-ms" => options.token_latency = Duration::from_millis(number),
                other => return Err(format!("unknown flag {other}")),
            }
        }
        Ok(options)
    }
}

/// A kore-mock running in a child process; dropping it stops the process.
///
/// The child also exits on its own when its stdin closes, so a measuring
/// process that dies without running `Drop` leaves no server behind.
#[derive(Debug)]
pub struct MockProcess {
    child: Child,
    base_url: String,
    token_url: String,
    client_id: String,
    client_secret: String,
}

impl MockProcess {
    /// Starts `binary` (the `kore-bench-mock` executable) with `options` and
    /// waits until it listens on 127.0.0.1.
    pub fn spawn(binary: &Path, options: MockOptions) -> io::Result<Self> {
        let mut child = Command::new(binary)
            .args(options.to_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("the mock's stdout is not piped"))?;
        // Reading on a helper thread bounds the wait: a mock that never
        // prints must fail the caller, not hang it.
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = sender.send(read);
        });
        let line = match receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(error)) => return Err(stop(child, error)),
            Err(_) => {
                return Err(stop(
                    child,
                    io::Error::new(
                        io::ErrorKind::TimedOut,
                        "kore-bench-mock did not start in time",
                    ),
                ));
            }
        };
        let parsed: serde_json::Value = match serde_json::from_str(&line) {
            Ok(value) => value,
            Err(error) => {
                return Err(stop(
                    child,
                    io::Error::other(format!(
                        "kore-bench-mock printed {line:?} instead of its URLs: {error}"
                    )),
                ));
            }
        };
        let field = |name: &str| parsed[name].as_str().unwrap_or_default().to_owned();
        Ok(Self {
            base_url: field("base_url"),
            token_url: field("token_url"),
            client_id: field("client_id"),
            client_secret: field("client_secret"),
            child,
        })
    }

    /// Base URL of the Client API, `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// The client id and secret the mock accepts.
    pub fn credentials(&self) -> (&str, &str) {
        (&self.client_id, &self.client_secret)
    }

    /// A `Kore` for this mock, configured as a user would (default timeouts
    /// and retry policy), with its own connection pool.
    pub fn kore(&self) -> Kore {
        Kore::builder()
            .client_id(&self.client_id)
            .client_secret(SecretString::from(self.client_secret.clone()))
            .base_url(&self.base_url)
            .token_url(&self.token_url)
            .build()
            .expect("the mock's URLs and credentials are valid")
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        // Kill rather than wait for the stdin EOF: the measuring process is
        // done with it, and `wait` reaps the child so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stop(mut child: Child, error: io::Error) -> io::Error {
    let _ = child.kill();
    let _ = child.wait();
    error
}

/// Where extra measurements go, if `cargo xtask bench` asked for them.
pub fn out_dir() -> Option<PathBuf> {
    std::env::var_os(OUT_DIR_ENV)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
}

/// Prints `value` and, when [`OUT_DIR_ENV`] is set, writes it to
/// `<dir>/<name>.json` for the report.
pub fn record(name: &str, value: &serde_json::Value) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    println!("{name}: {text}");
    if let Some(dir) = out_dir() {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{name}.json")), text + "\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip_through_arguments() {
        let options = MockOptions {
            list_latency: Duration::from_millis(20),
            token_latency: Duration::from_millis(300),
            ..MockOptions::clients(10_000)
        };
        let parsed = MockOptions::from_args(&options.to_args()).unwrap();
        assert_eq!(parsed.clients, 10_000);
        assert_eq!(parsed.list_latency, Duration::from_millis(20));
        assert_eq!(parsed.token_latency, Duration::from_millis(300));
    }

    #[test]
    fn bad_arguments_are_refused_with_the_flag_named() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let error = MockOptions::from_args(&args(&["--clients"])).unwrap_err();
        assert!(error.contains("--clients"), "{error}");
        let error = MockOptions::from_args(&args(&["--clients", "many"])).unwrap_err();
        assert!(error.contains("many"), "{error}");
        let error = MockOptions::from_args(&args(&["--port", "1"])).unwrap_err();
        assert!(error.contains("--port"), "{error}");
    }
}
