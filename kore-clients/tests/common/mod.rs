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
