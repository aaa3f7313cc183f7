//! Shared set-up: a kore-mock on a runtime owned by the test, and the `kore`
//! binary pointed at it. The binary is run blocking from the test thread
//! while the runtime's worker serves the mock.
#![allow(dead_code)]

use std::time::Duration;

use assert_cmd::Command;
use kore_mock::{MockKore, MockKoreBuilder};
use tokio::runtime::Runtime;

/// Every run of the binary is killed after this, so no test can hang.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Variables a developer's shell might have set that would change what the
/// binary does.
const AMBIENT: [&str; 23] = [
    "XDG_CACHE_HOME",
    "KORE_TOKEN_CACHE",
    "KORE_TOKEN_CACHE_WAIT",
    "KORE_CONFIG",
    "KORE_BASE_URL",
    "KORE_TOKEN_URL",
    "KORE_CLIENT_ID",
    "KORE_CLIENT_SECRET",
    "KORE_PROFILE",
    "RUST_LOG",
    "NO_COLOR",
    "CLICOLOR_FORCE",
    "XDG_CONFIG_HOME",
    // A proxy or CA of the developer's would stand between the binary and the mock.
    "KORE_CA_CERT",
    "SSL_CERT_FILE",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// A profile's lines for `mock`, with `secret` as its client secret.
pub fn profile(mock: &Mock, secret: &str) -> String {
    format!(
        "client_id = \"{}\"\nclient_secret = \"{secret}\"\nbase_url = \"{}\"\ntoken_url = \"{}\"\n",
        mock.mock.client_id(),
        mock.mock.base_url(),
        mock.mock.token_url()
    )
}

/// A config file path that does not exist, so a developer's own profiles
/// never leak into a test.
pub fn no_config() -> String {
    format!("{}/no-such-kore-config.toml", env!("CARGO_TARGET_TMPDIR"))
}

/// A running mock. Fields drop in order: the mock stops before its runtime.
pub struct Mock {
    pub mock: MockKore,
    runtime: Runtime,
    /// This mock's token cache (`XDG_CACHE_HOME` of every command run
    /// against it), so tests never share tokens or touch the user's cache.
    pub cache: tempfile::TempDir,
}

impl Mock {
    /// The default account (25 clients, the default seed).
    pub fn start() -> Self {
        Self::with(MockKore::builder())
    }

    /// A mock with `n` clients.
    pub fn with_clients(n: usize) -> Self {
        Self::with(MockKore::builder().clients(n))
    }

    pub fn with(builder: MockKoreBuilder) -> Self {
        let runtime = kore_testkit::runtime::background();
        let mock = runtime.block_on(builder.start());
        let cache = tempfile::Builder::new()
            .prefix("kore-cache-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("a cache directory");
        Self {
            mock,
            runtime,
            cache,
        }
    }

    /// `kore --base-url … --token-url …` with the mock's credentials in
    /// `KORE_CLIENT_ID` / `KORE_CLIENT_SECRET`.
    pub fn kore(&self) -> Command {
        self.with_credentials(self.kore_without_credentials())
    }

    /// [`Mock::kore`] started by `sh` under `umask` (std cannot set a
    /// child's umask without `unsafe`).
    pub fn kore_under_umask(&self, umask: &str) -> Command {
        let mut shell = clean(Command::new("sh"));
        let binary = assert_cmd::cargo::cargo_bin("kore");
        shell.args(["-c", "umask \"$0\" && exec \"$@\"", umask]);
        shell.arg(binary);
        self.with_credentials(self.pointed(shell))
    }

    fn with_credentials(&self, mut command: Command) -> Command {
        command
            .env("KORE_CLIENT_ID", self.mock.client_id())
            .env("KORE_CLIENT_SECRET", self.mock.client_secret());
        command
    }

    /// `kore args…` against this mock (`args` split at spaces), run to its end.
    pub fn run(&self, args: &str) -> std::process::Output {
        self.kore()
            .args(args.split_whitespace())
            .output()
            .expect("kore runs")
    }

    /// [`Mock::run`] that must exit 0; its output.
    pub fn succeeds(&self, args: &str) -> std::process::Output {
        exits(0, self.kore().args(args.split_whitespace()))
    }

    /// `kore --base-url … --token-url …`, no credentials.
    pub fn kore_without_credentials(&self) -> Command {
        self.pointed(kore())
    }

    /// [`Mock::kore`] as a `std` command, for a test that spawns it to signal
    /// it or close its pipes.
    pub fn kore_process(&self) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("kore"));
        for name in AMBIENT {
            command.env_remove(name);
        }
        command
            .env("KORE_CONFIG", no_config())
            .env("XDG_CACHE_HOME", self.cache.path())
            .env("KORE_CLIENT_ID", self.mock.client_id())
            .env("KORE_CLIENT_SECRET", self.mock.client_secret())
            .args(["--base-url", &self.mock.base_url()])
            .args(["--token-url", &self.mock.token_url()]);
        command
    }

    /// The token files in this mock's cache directory.
    pub fn token_files(&self) -> Vec<std::path::PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.cache.path().join("kore")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
    }

    /// `command` with this mock's URLs and token cache.
    fn pointed(&self, mut command: Command) -> Command {
        command
            .env_remove("KORE_TOKEN_CACHE")
            .env("XDG_CACHE_HOME", self.cache.path());
        command.args([
            "--base-url",
            &self.mock.base_url(),
            "--token-url",
            &self.mock.token_url(),
        ]);
        command
    }
}

/// The `kore` binary with a clean environment and a timeout; the token
/// cache is off (a [`Mock`]'s commands turn it on, in a directory of their own).
pub fn kore() -> Command {
    clean(Command::cargo_bin("kore").expect("the kore binary is built"))
}

/// `command` with a clean environment, no token cache and a timeout.
fn clean(mut command: Command) -> Command {
    for name in AMBIENT {
        command.env_remove(name);
    }
    command.env("KORE_CONFIG", no_config());
    command.env("KORE_TOKEN_CACHE", "off");
    command.timeout(COMMAND_TIMEOUT);
    command
}

/// A 127.0.0.1 port nothing listens on.
pub fn closed_port() -> u16 {
    kore_testkit::tcp::closed_addr().port()
}

/// Runs `command` to its end; its output, which must have exited with `code`.
pub fn exits(code: i32, command: &mut Command) -> std::process::Output {
    let output = command.output().expect("kore runs");
    assert_eq!(output.status.code(), Some(code), "{}", stderr(&output));
    output
}

/// Stdout of a finished command, as text.
pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout")
}

/// Stderr of a finished command, as text.
pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 stderr")
}

/// Parses every stdout line as JSON.
pub fn ndjson(output: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON value"))
        .collect()
}

/// Stdout as one JSON value.
pub fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON document")
}

/// Insta filters for what changes between runs: the mock's port.
pub fn port_filters() -> Vec<(&'static str, &'static str)> {
    vec![(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]")]
}

/// The field names KORE's `Client` object has, and nothing else.
pub const CLIENT_FIELDS: [&str; 7] = [
    "account_id",
    "client_id",
    "client_owner",
    "client_type",
    "date_created",
    "locked",
    "name",
];

/// The keys of a JSON object, sorted.
pub fn keys(value: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .expect("a JSON object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// The bearer token the mock last saw on `route`.
pub fn last_bearer(mock: &MockKore, route: kore_mock::Route) -> String {
    mock.last_request(route)
        .and_then(|r| r.header("authorization").map(str::to_owned))
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned))
        .expect("the request carried a bearer token")
}
