//! No secret — client secret, access token, created client's secret — in any
//! rendered output: Debug, Display, errors, or TRACE-level tracing.
//!
//! The tracing test installs a thread-local subscriber; a test in the same
//! binary that hits the SDK's span callsites concurrently, with no
//! subscriber, could make tracing cache them as disabled. So every test
//! here that sends requests runs under the subscriber, and other secret
//! checks live in `errors.rs`.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use kore_clients::{ExposeSecret as _, Kore, NewClient, Product, SecretString};
use kore_mock::{Fault, MockKore, Route};
use kore_testkit::text::{assert_contains, assert_lacks};
use tracing_subscriber::fmt::format::FmtSpan;

/// Collects everything a subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Captures, for the current thread until the guard drops, every log
    /// record up to `level` and the span events `spans`.
    fn logs(level: tracing::Level, spans: FmtSpan) -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = Self::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_span_events(spans)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn assert_hidden(rendered: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(
            !rendered.contains(secret),
            "a secret leaked into:\n{rendered}"
        );
    }
}

#[tokio::test]
async fn no_secret_appears_in_debug_display_errors_or_trace_logs() {
    let (captured, _guard) = Captured::logs(tracing::Level::TRACE, FmtSpan::FULL);

    let mock = MockKore::builder().clients(5).start().await;
    let builder = common::builder_for(&mock);
    let kore = builder.clone().build().unwrap();
    let client_secret = mock.client_secret().to_owned();

    // Exercise every path that logs: success, 401 refresh, retries, errors.
    kore.ping().await.unwrap();
    let first_token = common::last_bearer(&mock, Route::Ping);
    mock.expire_tokens();
    kore.clients().list().page_size(2).send().await.unwrap();
    let second_token = common::last_bearer(&mock, Route::ListClients);
    mock.faults().push_statuses(Route::GetClient, [503]);
    let missing = kore.clients().get("apiclient_missing").await.unwrap_err();
    let created = kore
        .clients()
        .create(NewClient::new("secret-keeper").product(Product::SuperSim))
        .await
        .unwrap();
    let created_secret = created.client_secret().expose_secret().to_owned();
    mock.faults()
        .push(Route::CreateClient, Fault::TruncatedJson);
    let undecodable = kore
        .clients()
        .create(NewClient::new("half"))
        .await
        .unwrap_err();
    let wrong = common::builder_for(&mock)
        .client_secret(SecretString::from("wrong-secret-value"))
        .build()
        .unwrap();
    let rejected = wrong.ping().await.unwrap_err();

    let secrets = [
        client_secret.as_str(),
        first_token.as_str(),
        second_token.as_str(),
        created_secret.as_str(),
        "wrong-secret-value",
    ];
    let token = kore.tokens().bearer().await.unwrap();
    let rendered = [
        format!("{kore:?}"),
        format!("{kore:#?}"),
        format!("{builder:?}"),
        format!("{:?}", kore.tokens()),
        format!("{token:?}"),
        format!("{:?}", token.header()),
        format!("{created:?}"),
        serde_json::to_string(&created).unwrap(),
        format!("{missing} {missing:?}"),
        format!("{undecodable} {undecodable:?}"),
        format!("{rejected} {rejected:?}"),
        format!("{wrong:?}"),
    ];
    #[cfg(feature = "unstable-raw")]
    let rendered = [rendered.as_slice(), &[format!("{:?}", kore.raw())]].concat();
    for text in &rendered {
        assert_hidden(text, &secrets);
    }
    drop(_guard);
    let logs = captured.text();
    assert!(
        logs.contains("kore.operation"),
        "spans were captured:\n{logs}"
    );
    assert_contains(&logs, "kore.attempt");
    // Spans name the operation by its operationId.
    assert_contains(&logs, "kore.operation{operation=\"getPingStatus\"");
    assert_contains(&logs, "kore.attempt{operation=\"createClient\" attempt=1");
    // The token span counts the grants this client received.
    assert!(
        logs.contains("kore.token{grants=1}") && logs.contains("kore.token{grants=2}"),
        "{logs}"
    );
    // The operation span gets its outcome recorded once it ends, and each
    // attempt's span its own latency.
    assert!(
        logs.contains("attempts=1") && logs.contains("latency_ms="),
        "the operation's attempts and latency were recorded:\n{logs}"
    );
    assert!(
        logs.lines().any(|line| line
            .split_once("kore.attempt{")
            .is_some_and(|(_, attempt)| attempt.contains("latency_ms="))),
        "an attempt's latency was recorded:\n{logs}"
    );
    assert!(
        logs.contains("status=401") || logs.contains("status=503"),
        "{logs}"
    );
    assert_hidden(&logs, &secrets);
    // The undecodable create's own secret is only reachable explicitly.
    let kore_clients::Error::CreatedButUndecodable { created: raw, .. } = &undecodable else {
        panic!("{undecodable:?}")
    };
    assert!(raw.expose_body().contains("client_secret"));
}

#[test]
fn builder_and_client_debug_redact_the_secret() {
    let builder = Kore::builder()
        .client_id("id")
        .client_secret(SecretString::from("hunter2-super-secret"));
    let kore = builder.clone().build().unwrap();
    for text in [format!("{builder:?}"), format!("{kore:?}")] {
        assert_lacks(&text, "hunter2-super-secret");
        assert_contains(&text, "[redacted]");
    }
}

#[tokio::test]
async fn unknown_fields_and_values_are_logged_once_by_name_never_by_value() {
    let (captured, _guard) = Captured::logs(tracing::Level::DEBUG, FmtSpan::NONE);

    let server = wiremock::MockServer::start().await;
    let client = serde_json::json!({
        "client_id": "a", "client_type": "service-account", "api_key": "k3y-never-logged-9d2"
    });
    wiremock::Mock::given(wiremock::matchers::path("/v1/clients"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"clients": [client.clone(), client]})),
        )
        .mount(&server)
        .await;
    let kore = common::wiremock_kore(&server).await;
    for _ in 0..3 {
        let page = kore.clients().list().send().await.unwrap();
        assert_eq!(page.clients().len(), 2);
    }
    let logs = captured.text();
    let field_lines: Vec<_> = logs
        .lines()
        .filter(|line| line.contains("field=api_key"))
        .collect();
    assert_eq!(
        field_lines.len(),
        1,
        "once per field, not per client or call:\n{logs}"
    );
    assert!(field_lines[0].contains("DEBUG"), "{logs}");
    assert!(field_lines[0].contains("schema=\"Client\""), "{logs}");
    assert_eq!(
        logs.lines()
            .filter(|line| line.contains("value=\"service-account\""))
            .count(),
        1,
        "an unknown enum value, once:\n{logs}"
    );
    assert_hidden(&logs, &["k3y-never-logged-9d2"]);
}
