//! `kore ping`, the global credential and endpoint flags, and `--help`.

mod common;

use common::{Mock, exits, kore, stderr, stdout};
use kore_mock::Route;
use kore_testkit::text::{assert_contains, assert_lacks};

#[test]
fn ping_prints_one_line_and_authenticates_once() {
    let mock = Mock::start();
    let output = exits(0, mock.kore().arg("ping"));
    assert_eq!(stderr(&output), "");
    insta::with_settings!({filters => common::port_filters()}, {
        insta::assert_snapshot!(stdout(&output));
    });
    assert_eq!(mock.mock.requests(Route::Ping), 1);
    assert_eq!(mock.mock.token_grants(), 1);
}

#[test]
fn ping_with_mock_needs_no_credentials_or_urls() {
    let output = exits(0, kore().args(["--mock", "ping"]));
    let line = stdout(&output);
    assert!(
        line.starts_with("KORE is up at http://127.0.0.1:"),
        "{line}"
    );
    assert_contains(&line, "status OK");
}

#[test]
fn the_secret_can_come_from_stdin_with_client_id_as_a_flag() {
    let mock = Mock::start();
    mock.kore_without_credentials()
        .args([
            "--client-id",
            mock.mock.client_id(),
            "--client-secret-stdin",
            "ping",
        ])
        .write_stdin(format!("{}\n", mock.mock.client_secret()))
        .assert()
        .success();
    assert_eq!(mock.mock.token_grants(), 1);
}

#[test]
fn the_urls_can_come_from_the_environment() {
    let mock = Mock::start();
    kore()
        .env("KORE_BASE_URL", mock.mock.base_url())
        .env("KORE_TOKEN_URL", mock.mock.token_url())
        .env("KORE_CLIENT_ID", mock.mock.client_id())
        .env("KORE_CLIENT_SECRET", mock.mock.client_secret())
        .arg("ping")
        .assert()
        .success();
    assert_eq!(mock.mock.requests(Route::Ping), 1);
}

#[test]
fn verbose_logs_go_to_stderr_without_the_secret() {
    let mock = Mock::start();
    let output = exits(0, mock.kore().args(["-vv", "ping"]));
    let log = stderr(&output);
    assert_contains(&log, "obtained an access token");
    assert_contains(&log, "getPingStatus");
    assert_lacks(&log, mock.mock.client_secret());
    assert!(!log.to_lowercase().contains("bearer"), "{log}");
    // Logs never mix into the output.
    assert_eq!(stdout(&output).lines().count(), 1);
}

#[test]
fn help_documents_the_exit_codes() {
    let output = exits(0, kore().arg("--help"));
    insta::assert_snapshot!(stdout(&output));
}
