//! Exit codes and error lines for each failure class.

mod common;

use std::time::Duration;

use common::{Mock, closed_port, exits, kore, stderr, stdout};
use kore_mock::{Fault, Route};
use kore_testkit::text::{assert_contains, assert_lacks};

#[test]
fn bad_credentials_exit_3_and_never_echo_the_secret() {
    let mock = Mock::start();
    let secret = "not-the-secret-7c1d9e";
    let output = exits(
        3,
        mock.kore_without_credentials()
            .env("KORE_CLIENT_ID", mock.mock.client_id())
            .env("KORE_CLIENT_SECRET", secret)
            .args(["-vv", "clients", "list"]),
    );
    let errors = stderr(&output);
    assert_lacks(&errors, secret);
    assert!(errors.contains("details:"), "-v adds the details: {errors}");
    assert_eq!(stdout(&output), "");

    // Without -v: exactly the two lines.
    let output = exits(
        3,
        mock.kore_without_credentials()
            .env("KORE_CLIENT_ID", mock.mock.client_id())
            .env("KORE_CLIENT_SECRET", secret)
            .arg("ping"),
    );
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn kores_own_token_error_shape_exits_3_with_kores_message() {
    let runtime = kore_testkit::runtime::background();
    let server = runtime.block_on(async {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .respond_with(wiremock::ResponseTemplate::new(400).set_body_json(
                serde_json::json!({"code": 40001, "message": "Client authentication failed"}),
            ))
            .mount(&server)
            .await;
        server
    });
    let output = exits(
        3,
        common::kore()
            .args([
                "--base-url",
                &server.uri(),
                "--token-url",
                &format!("{}/token", server.uri()),
            ])
            .env("KORE_CLIENT_ID", "apiclient_x")
            .env("KORE_CLIENT_SECRET", "a-secret-9d8e7f")
            .arg("ping"),
    );
    let errors = stderr(&output);
    assert_contains(&errors, "rejected the credentials");
    assert_contains(&errors, "Client authentication failed");
    assert_lacks(&errors, "a-secret-9d8e7f");
    drop(server);
}

#[test]
fn server_503_after_retries_exits_5() {
    let mock = Mock::start();
    mock.mock
        .faults()
        .push_statuses(Route::GetClient, [503, 503, 503]);
    let output = exits(
        5,
        mock.kore().args(["clients", "get", "apiclient_anything"]),
    );
    assert_eq!(mock.mock.requests(Route::GetClient), 3, "three attempts");
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn a_503_that_clears_up_is_retried_transparently() {
    let mock = Mock::start();
    mock.mock.faults().push_statuses(Route::Ping, [503, 503]);
    mock.kore().arg("ping").assert().success();
    assert_eq!(mock.mock.requests(Route::Ping), 3);
}

#[test]
fn an_unreachable_token_endpoint_exits_6() {
    let mock = Mock::start();
    let token_url = format!(
        "http://127.0.0.1:{}/api-services/v1/auth/token",
        closed_port()
    );
    let output = exits(
        6,
        common::kore()
            .args([
                "--base-url",
                &mock.mock.base_url(),
                "--token-url",
                &token_url,
            ])
            .env("KORE_CLIENT_ID", mock.mock.client_id())
            .env("KORE_CLIENT_SECRET", mock.mock.client_secret())
            .arg("ping"),
    );
    let errors = stderr(&output);
    assert!(
        errors.starts_with("error: ping: could not reach the token endpoint"),
        "{errors}"
    );
    assert_contains(&errors, "\nhint: check the network and --token-url");
    assert_eq!(errors.lines().count(), 2, "{errors}");
    assert_eq!(mock.mock.requests(Route::Ping), 0);
}

#[test]
fn an_unreachable_api_exits_6() {
    let mock = Mock::start();
    let base_url = format!("http://127.0.0.1:{}", closed_port());
    common::kore()
        .args([
            "--base-url",
            &base_url,
            "--token-url",
            &mock.mock.token_url(),
        ])
        .env("KORE_CLIENT_ID", mock.mock.client_id())
        .env("KORE_CLIENT_SECRET", mock.mock.client_secret())
        .args(["clients", "list"])
        .assert()
        .code(6)
        .stderr(predicates::str::contains(
            "could not reach KORE after 3 attempt(s)",
        ));
}

#[test]
fn a_timeout_exits_6() {
    let mock = Mock::start();
    mock.mock.faults().script(
        Route::Ping,
        (0..3).map(|_| Fault::Delay(Duration::from_secs(5))),
    );
    let output = exits(6, mock.kore().args(["--timeout", "500ms", "ping"]));
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn invalid_flags_exit_2() {
    let mock = Mock::start();
    for args in [
        &["clients", "list", "--page", "0"][..],
        &["clients", "list", "--page-size", "0"],
        &["clients", "list", "--output", "xml"],
        &["clients", "list", "--all", "--page", "2"],
        &["clients", "list", "--limit", "5"],
        // A typo in a product is refused; a new one needs `unlisted:`.
        &["clients", "create", "--name", "x", "--product", "super-sm"],
        &["clients", "create", "--name", "x", "--product", "unlisted:"],
        &["clients", "list", "--type", ""],
        &["clients", "get"],
        &["clients", "get", "x", "--output", "ndjson"],
        &["--timeout", "0", "ping"],
        &["--timeout", "soon", "ping"],
        &["--client-secret", "s3cr3t", "ping"],
        &["fly"],
    ] {
        let output = mock.kore().args(args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), "", "{args:?}");
        assert!(!stderr(&output).contains("s3cr3t"), "{args:?}");
    }
    assert_eq!(mock.mock.token_grants(), 0, "nothing was sent");
}

#[test]
fn missing_credentials_exit_2_with_a_hint() {
    let mock = Mock::start();
    let output = exits(2, mock.kore_without_credentials().arg("ping"));
    insta::assert_snapshot!(stderr(&output));

    // An id without a secret is just as unusable.
    let mut id_only = mock.kore_without_credentials();
    id_only.args(["--client-id", "apiclient_x", "ping"]);
    assert_contains(
        &stderr(&exits(2, &mut id_only)),
        "KORE_CLIENT_SECRET is not set",
    );
}

#[test]
fn clear_text_http_to_a_remote_host_is_refused_with_2() {
    // Refused while configuring, before any connection is attempted.
    kore()
        .args(["--base-url", "http://kore.example.invalid", "ping"])
        .env("KORE_CLIENT_ID", "id")
        .env("KORE_CLIENT_SECRET", "secret")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid configuration"));
}

#[test]
fn mock_conflicts_with_real_endpoints() {
    kore()
        .args("--mock --base-url https://client.api.korewireless.com ping".split(' '))
        .assert()
        .code(2);
}

#[test]
fn kore_s_answers_map_to_exit_codes_end_to_end() {
    let mock = Mock::start();
    // (statuses pushed for the next get, expected exit code)
    for (statuses, code) in [
        (&[400][..], 2),
        (&[422], 2),
        (&[403], 3),
        (&[404], 4),
        (&[500, 500, 500], 5),
        (&[502, 502, 502], 5),
    ] {
        mock.mock
            .faults()
            .push_statuses(Route::GetClient, statuses.iter().copied());
        let output = mock
            .kore()
            .args(["clients", "get", "apiclient_anything"])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(code),
            "{statuses:?}: {}",
            stderr(&output)
        );
        assert_eq!(mock.mock.faults().pending(Route::GetClient), 0);
        let errors = stderr(&output);
        assert!(errors.starts_with("error: get client"), "{errors}");
        assert!(errors.lines().count() <= 2, "{errors}");
    }
}
