//! The `kore-mock` binary as scripts and containers run it: the banner, the `--json`
//! readiness line, the admin notice, and a clean stop on SIGTERM and SIGINT.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{http, json_of};
use kore_testkit::process::Spawned;
use kore_testkit::text::assert_contains;
use reqwest::StatusCode;
use serde_json::Value;

/// `kore-mock args…`, running.
fn spawn(args: &[&str]) -> Spawned {
    Spawned::start(Command::new(env!("CARGO_BIN_EXE_kore-mock")).args(args))
}

/// The `--json` readiness object.
fn readiness(mock: &Spawned) -> Value {
    let line = mock.line();
    serde_json::from_str(&line).unwrap_or_else(|err| panic!("{err}: {line}"))
}

async fn token(token_url: &str, client_id: &str, client_secret: &str) -> Value {
    json_of(http().post(token_url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", client_secret),
    ]))
    .await
}

#[tokio::test]
async fn banner_names_urls_and_credentials_and_the_log_keeps_secrets_out() {
    let secret = "cli-secret-value-1234";
    let mut mock = spawn(&[
        "--port",
        "0",
        "--clients",
        "3",
        "--client-id",
        "cli-id",
        "--client-secret",
        secret,
        "--fault",
        "ping=503",
        "--expires-in-as-string",
    ]);
    let banner = mock.lines_through("Press Ctrl-C");
    let value_of = |label: &str| {
        banner
            .iter()
            .find_map(|line| line.trim().strip_prefix(label))
            .unwrap_or_else(|| panic!("no `{label}` in {banner:?}"))
            .trim()
            .to_owned()
    };
    let base_url = value_of("base URL:");
    let token_url = value_of("token URL:");
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    assert_eq!(token_url, format!("{base_url}{}", kore_mock::TOKEN_PATH));
    assert_eq!(value_of("admin URL:"), format!("{base_url}/_mock"));
    assert_eq!(value_of("client_id:"), "cli-id");
    assert_eq!(value_of("client_secret:"), secret);
    assert!(value_of("account_id:").starts_with("acct_"));
    assert_eq!(
        value_of("export KORE_CLIENT_SECRET="),
        secret,
        "the exports point kore at the mock"
    );
    assert!(
        !banner.iter().any(|line| line.contains("admin API")),
        "no admin notice on loopback: {banner:?}"
    );

    let grant = token(&token_url, "cli-id", secret).await;
    assert_eq!(grant["expires_in"], "3600");
    let access_token = grant["access_token"].as_str().unwrap().to_owned();
    for expected in [StatusCode::SERVICE_UNAVAILABLE, StatusCode::OK] {
        let status = http()
            .get(format!("{base_url}/v1/ping"))
            .bearer_auth(&access_token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, expected);
    }

    mock.signal("INT");
    let (status, _) = mock.exit_within(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let (_, log) = mock.rest();
    assert_contains(&log, "method=GET path=\"/v1/ping\" status=503");
    assert_contains(
        &log,
        &format!("path=\"{}\" status=200", kore_mock::TOKEN_PATH),
    );
    assert_contains(&log, "latency_ms=");
    assert!(!log.contains(secret), "secret leaked into the log");
    assert!(!log.contains(&access_token), "token leaked into the log");
    assert!(!log.to_lowercase().contains("bearer"), "{log}");
}

#[tokio::test]
async fn json_prints_exactly_one_object_on_stdout_and_nothing_else() {
    let mut mock = spawn(&[
        "--port",
        "0",
        "--json",
        "--clients",
        "3",
        "--clock",
        "2024-04-05T11:08:14Z",
    ]);
    let ready = readiness(&mock);
    let mut keys: Vec<&str> = ready
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "account_id",
            "admin_url",
            "base_url",
            "client_id",
            "client_secret",
            "token_url"
        ]
    );
    let base_url = ready["base_url"].as_str().unwrap();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{ready}");
    assert_eq!(ready["admin_url"], format!("{base_url}/_mock"));
    assert_eq!(ready["client_id"], kore_mock::DEFAULT_CLIENT_ID);
    assert_eq!(ready["client_secret"], kore_mock::DEFAULT_CLIENT_SECRET);

    // The URLs work: a token, a create dated by --clock, the admin API without a token.
    let grant = token(
        ready["token_url"].as_str().unwrap(),
        kore_mock::DEFAULT_CLIENT_ID,
        kore_mock::DEFAULT_CLIENT_SECRET,
    )
    .await;
    let created = json_of(
        http()
            .post(format!("{base_url}/v1/clients"))
            .bearer_auth(grant["access_token"].as_str().unwrap())
            .json(&serde_json::json!({"name": "n", "locked": false, "scopes": {}})),
    )
    .await;
    assert_eq!(created["date_created"], "Fri, 05 Apr 2024 11:08:14 GMT");
    let health =
        json_of(http().get(format!("{}/health", ready["admin_url"].as_str().unwrap()))).await;
    assert_eq!(health["clients"], 4);

    mock.signal("TERM");
    let (status, _) = mock.exit_within(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let (more, log) = mock.rest();
    assert!(
        more.is_empty(),
        "stdout had more than the JSON line: {more:?}"
    );
    assert!(log.contains("status=201"), "the log goes to stderr: {log}");
}

#[tokio::test]
async fn an_unspecified_host_is_announced_as_loopback_with_the_admin_notice() {
    let mut mock = spawn(&["--host", "0.0.0.0", "--port", "0", "--json"]);
    let ready = readiness(&mock);
    for url in ["base_url", "token_url", "admin_url"] {
        let url = ready[url].as_str().unwrap();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    }
    // Reachable at that address, and this test's loopback peer may use the admin API.
    let response = http()
        .get(format!("{}/health", ready["admin_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    mock.signal("TERM");
    let (status, _) = mock.exit_within(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let (more, log) = mock.rest();
    assert!(more.is_empty(), "{more:?}");
    assert_contains(&log, "the admin API (/_mock/) answers loopback peers only");
}

/// What a container runtime or CI service manager does: a signal, while a client
/// holds an idle keep-alive connection and another waits on a long injected delay.
async fn stops_within_a_second_on(signal: &str) {
    let mut mock = spawn(&["--port", "0", "--json", "--fault", "ping=delay:60000"]);
    let ready = readiness(&mock);
    let base_url = ready["base_url"].as_str().unwrap().to_owned();
    let admin_url = ready["admin_url"].as_str().unwrap().to_owned();
    let keep_alive = http();
    let health = keep_alive
        .get(format!("{admin_url}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    let held = tokio::spawn(async move {
        http()
            .get(format!("{base_url}/v1/ping"))
            .send()
            .await
            .map(|response| response.status())
    });
    // The delay is consumed when the request arrives.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let faults = json_of(keep_alive.get(format!("{admin_url}/faults"))).await;
        if faults["queued"]["ping"] == serde_json::json!([]) {
            break;
        }
        assert!(Instant::now() < deadline, "the held request never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    mock.signal(signal);
    let (status, took) = mock.exit_within(Duration::from_secs(5));
    assert!(status.success(), "SIG{signal}: {status:?}");
    assert!(
        took < Duration::from_secs(1),
        "SIG{signal} took {took:?} to stop kore-mock"
    );
    // The held request was answered (the delay ended with the server), not cut off.
    let answered = tokio::time::timeout(Duration::from_secs(5), held)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answered.ok(), Some(StatusCode::UNAUTHORIZED));
    drop(keep_alive);
}

#[tokio::test]
async fn sigterm_stops_it_cleanly_within_a_second() {
    stops_within_a_second_on("TERM").await;
}

#[tokio::test]
async fn sigint_stops_it_cleanly_within_a_second() {
    stops_within_a_second_on("INT").await;
}

#[tokio::test]
async fn tls_serves_https_and_names_its_ca_file_until_it_stops() {
    let mut mock = spawn(&["--port", "0", "--json", "--tls"]);
    let ready = readiness(&mock);
    let base_url = ready["base_url"].as_str().unwrap().to_owned();
    assert!(base_url.starts_with("https://127.0.0.1:"), "{ready}");
    assert!(ready["token_url"].as_str().unwrap().starts_with("https://"));
    let ca_path = std::path::PathBuf::from(ready["ca_cert"].as_str().expect("ca_cert"));
    let pem = std::fs::read(&ca_path).expect("the CA file exists while the mock runs");
    let ca = reqwest::Certificate::from_pem(&pem).unwrap();

    // Trusting only that CA, and not the system's, the mock's certificate verifies.
    let https = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let health: Value = https
        .get(format!("{base_url}/_mock/health"))
        .send()
        .await
        .expect("an HTTPS answer from a certificate the CA issued")
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    // Without it, the certificate is refused.
    let refused = http().get(format!("{base_url}/_mock/health")).send().await;
    assert!(refused.is_err(), "{refused:?}");

    mock.signal("TERM");
    let (status, _) = mock.exit_within(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    assert!(!ca_path.exists(), "the CA file is removed on exit");
}

#[tokio::test]
async fn the_tls_banner_names_the_ca_file_and_its_export() {
    let mut mock = spawn(&["--port", "0", "--tls"]);
    let banner = mock.lines_through("Press Ctrl-C");
    let ca = banner
        .iter()
        .find_map(|line| line.trim().strip_prefix("CA (PEM):"))
        .unwrap_or_else(|| panic!("no CA line in {banner:?}"))
        .trim()
        .to_owned();
    assert!(std::path::Path::new(&ca).exists(), "{ca}");
    assert!(
        banner
            .iter()
            .any(|line| line.trim() == format!("export KORE_CA_CERT={ca}")),
        "{banner:?}"
    );
    assert!(
        banner
            .iter()
            .any(|line| line.contains("base URL:      https://"))
    );
    mock.signal("TERM");
    let (status, _) = mock.exit_within(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}
