//! Nothing `kore` waits for is unbounded: a profile's secret command runs
//! only when a token request needs it and within its limit, and a gigabyte
//! answer is not read past the SDK's answer limit.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Mock, exits, stderr};
use kore_mock::Route;
use kore_testkit::config::ConfigDir;
use kore_testkit::tcp::{self, RawServer};
use kore_testkit::text::assert_contains;

/// A config file whose default profile points at `mock` and takes its
/// secret from `command` (plus any `extra` lines).
fn profile(dir: &ConfigDir, mock: &Mock, command: &str, extra: &str) -> PathBuf {
    dir.config(&format!(
        "[profiles.default]\nclient_id = \"{}\"\nbase_url = \"{}\"\ntoken_url = \"{}\"\nclient_secret_command = \"{command}\"\n{extra}",
        mock.mock.client_id(),
        mock.mock.base_url(),
        mock.mock.token_url()
    ))
}

/// `kore` with `config`, this mock's token cache, and no credentials of its own.
fn kore(mock: &Mock, config: &Path) -> assert_cmd::Command {
    let mut command = common::kore();
    command
        .env_remove("KORE_TOKEN_CACHE")
        .env("XDG_CACHE_HOME", mock.cache.path())
        .env("KORE_CONFIG", config);
    command
}

/// How many times the counting command of [`counting`] ran.
fn runs(dir: &ConfigDir) -> usize {
    std::fs::read_to_string(dir.path().join("runs")).map_or(0, |text| text.lines().count())
}

/// A command that notes each run in `runs`, then prints the mock's secret.
fn counting(dir: &ConfigDir, mock: &Mock) -> String {
    format!(
        "echo run >> {}; echo {}",
        dir.path().join("runs").display(),
        mock.mock.client_secret()
    )
}

#[test]
fn with_a_warm_cache_twenty_commands_run_the_secret_command_zero_times() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    let config = profile(&dir, &mock, &counting(&dir, &mock), "");
    exits(0, kore(&mock, &config).arg("ping"));
    assert_eq!(runs(&dir), 1, "a fresh cache: one run, for the one grant");
    for i in 0..20 {
        let args: &[&str] = match i % 3 {
            0 => &["ping"],
            1 => &["clients", "list", "--page-size", "5", "-o", "name"],
            _ => &["auth", "status"],
        };
        let output = exits(0, kore(&mock, &config).args(args));
        assert_eq!(stderr(&output), "", "{args:?}");
    }
    assert_eq!(runs(&dir), 1, "a warm cache: no run");
    assert_eq!(mock.mock.token_grants(), 1);

    // Without the cache, each command that needs a token runs it once.
    exits(0, kore(&mock, &config).args(["--no-token-cache", "ping"]));
    assert_eq!(runs(&dir), 2);
    // `auth logout` needs no secret: the cache file is bound to the command.
    exits(0, kore(&mock, &config).args(["auth", "logout"]));
    assert_eq!(runs(&dir), 2);
    exits(0, kore(&mock, &config).arg("ping"));
    assert_eq!(runs(&dir), 3);
}

#[cfg(target_os = "linux")]
#[test]
fn a_secret_command_that_hangs_ends_kore_with_exit_2_within_its_limit() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    let pid_file = dir.path().join("pid");
    let command = format!("sleep 1000 & echo $! > {}; wait", pid_file.display());
    let config = profile(
        &dir,
        &mock,
        &command,
        "client_secret_command_timeout = \"2s\"\n",
    );
    let started = Instant::now();
    let output = exits(2, kore(&mock, &config).arg("ping"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let errors = stderr(&output);
    assert_contains(
        &errors,
        "error: profile \"default\": client_secret_command did not finish within 2s (client_secret_command_timeout) and was stopped",
    );
    assert_contains(&errors, "client_secret_command_timeout = \"2m\"");
    assert_eq!(mock.mock.requests(Route::Token), 0, "nothing was sent");
    // What the command started is gone too (or a zombie about to be reaped).
    let sleeper = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        kore_testkit::process::ends_within(&sleeper, Duration::from_secs(5)),
        "{sleeper}"
    );
}

#[test]
fn a_slow_secret_command_gets_a_note_on_stderr_and_a_failing_one_exit_2() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    let slow = format!("sleep 3; echo {}", mock.mock.client_secret());
    let config = profile(&dir, &mock, &slow, "");
    let output = exits(0, kore(&mock, &config).arg("ping"));
    assert_eq!(
        stderr(&output),
        format!(
            "note: waiting for client_secret_command of profile \"default\" (`{slow}`), for up to 60s (client_secret_command_timeout)\n"
        )
    );

    let config = profile(&dir, &mock, "echo nope >&2; exit 7", "");
    let output = exits(2, kore(&mock, &config).arg("ping"));
    let errors = stderr(&output);
    assert_contains(&errors, "nope\n");
    assert_contains(
        &errors,
        "error: profile \"default\": client_secret_command failed (exit status: 7)",
    );

    let config = profile(
        &dir,
        &mock,
        "echo s",
        "client_secret_command_timeout = \"soon\"\n",
    );
    let output = exits(2, kore(&mock, &config).arg("ping"));
    assert_contains(
        &stderr(&output),
        "error: profile \"default\": client_secret_command_timeout: `soon` is not a timeout",
    );
}

#[test]
fn a_gigabyte_answer_is_not_read_past_the_limit() {
    let mock = Mock::start();
    let runtime = kore_testkit::runtime::background();
    let huge = |status, announce| {
        runtime.block_on(RawServer::start(move |_| {
            tcp::huge(status, 1 << 30, announce)
        }))
    };
    let api = huge(200, false);
    let output = exits(
        5,
        common::kore()
            .env("KORE_CLIENT_ID", mock.mock.client_id())
            .env("KORE_CLIENT_SECRET", mock.mock.client_secret())
            .args([
                "--base-url",
                &api.url(),
                "--token-url",
                &mock.mock.token_url(),
            ])
            .args(["clients", "list"]),
    );
    let errors = stderr(&output);
    assert_contains(&errors, "error: list clients: the answer (HTTP 200, ");
    assert_contains(
        &errors,
        " bytes or more) is larger than the 16 MiB kore reads;",
    );
    assert_contains(
        &errors,
        "it starts: <html><body>an answer far larger than any page",
    );
    assert_contains(&errors, "hint: ask for smaller pages with --page-size");
    assert!(api.sent() < 1 << 27, "{} bytes sent", api.sent());

    let token = huge(400, false);
    let output = exits(
        5,
        common::kore()
            .env("KORE_CLIENT_ID", "id")
            .env("KORE_CLIENT_SECRET", "secret")
            .args(["--base-url", &mock.mock.base_url()])
            .args(["--token-url", &format!("{}/token", token.url())])
            .arg("ping"),
    );
    assert_contains(
        &stderr(&output),
        "the token endpoint's answer is too large (HTTP 400): the answer is larger than the limit of 16777216 bytes",
    );
    assert_eq!(token.connections(), 1);
    assert!(token.sent() < 1 << 27, "{} bytes sent", token.sent());
}
