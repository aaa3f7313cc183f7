//! Shared set-up for the end-to-end tests: a kore-mock and a `Kore` pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use kore_clients::{Kore, KoreBuilder, RetryPolicy, SecretString};
use kore_mock::{MockKore, MockKoreBuilder};

/// Retries as in production, but with millisecond backoff so tests are quick.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_secs(3))
}

/// A builder already pointed at `mock` with its credentials.
pub fn builder_for(mock: &MockKore) -> KoreBuilder {
    Kore::builder()
        .client_id(mock.client_id())
        .client_secret(SecretString::from(mock.client_secret().to_owned()))
        .base_url(mock.base_url())
        .token_url(mock.token_url())
        .retry(fast_retries())
}

/// Starts `mock` and a `Kore` for it.
pub async fn start(mock: MockKoreBuilder) -> (MockKore, Kore) {
    let mock = mock.start().await;
    let kore = builder_for(&mock).build().expect("valid configuration");
    (mock, kore)
}

/// The bearer token the mock last saw on `route`.
pub fn last_bearer(mock: &MockKore, route: kore_mock::Route) -> String {
    mock.last_request(route)
        .and_then(|r| r.header("authorization").map(str::to_owned))
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned))
        .expect("the request carried a bearer token")
}

/// The query string of the last request the mock saw on `route`.
pub fn last_query(mock: &MockKore, route: kore_mock::Route) -> String {
    mock.last_request(route)
        .and_then(|r| r.query)
        .expect("the request had a query")
}

/// Collects a whole list stream, failing the test on any error.
pub trait CollectAll {
    /// Every client the stream yields.
    fn all(self) -> impl Future<Output = Vec<kore_clients::Client>>;
}

impl CollectAll for kore_clients::ListClients {
    async fn all(self) -> Vec<kore_clients::Client> {
        futures::TryStreamExt::try_collect(self.stream())
            .await
            .expect("the stream yields no error")
    }
}

/// Makes `server`'s `POST /token` answer with `body`.
pub async fn mount_token(server: &wiremock::MockServer, body: serde_json::Value) {
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/token"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A builder for a wiremock KORE: API at `server`, token endpoint at `/token`.
pub fn wiremock_builder(server: &wiremock::MockServer) -> KoreBuilder {
    Kore::builder()
        .client_id("wiremock-client")
        .client_secret(SecretString::from("wiremock-secret"))
        .base_url(server.uri())
        .token_url(format!("{}/token", server.uri()))
        .retry(fast_retries())
}

/// A `Kore` for a wiremock KORE whose token endpoint issues a working token.
pub async fn wiremock_kore(server: &wiremock::MockServer) -> Kore {
    mount_token(
        server,
        serde_json::json!({"access_token": "t", "expires_in": 3600, "token_type": "Bearer"}),
    )
    .await;
    wiremock_builder(server)
        .build()
        .expect("valid configuration")
}
