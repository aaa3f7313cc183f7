//! Observability for tests: per-route request counters, token grants, and the
//! last request received on each route.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::request::Parts;

use crate::Route;

/// A request as the mock received it, kept so tests can assert on what a client sent.
///
/// It holds credentials and tokens verbatim: it is for assertions, not for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path without the query, e.g. `/v1/clients`.
    pub path: String,
    /// Raw query string without `?`, if any.
    pub query: Option<String>,
    /// Headers in arrival order, names lowercase; values that are not UTF-8 are replaced lossily.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Body as UTF-8 text, lossily.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[derive(Default)]
pub(crate) struct Recorder {
    requests: [AtomicU64; Route::ALL.len()],
    token_grants: AtomicU64,
    last: Mutex<[Option<RecordedRequest>; Route::ALL.len()]>,
}

impl Recorder {
    pub fn record(&self, route: Route, parts: &Parts, body: &[u8]) {
        self.requests[route.index()].fetch_add(1, Ordering::SeqCst);
        let request = RecordedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
        };
        self.last.lock().unwrap_or_else(PoisonError::into_inner)[route.index()] = Some(request);
    }

    pub fn count_token_grant(&self) {
        self.token_grants.fetch_add(1, Ordering::SeqCst);
    }

    pub fn requests(&self, route: Route) -> u64 {
        self.requests[route.index()].load(Ordering::SeqCst)
    }

    pub fn token_grants(&self) -> u64 {
        self.token_grants.load(Ordering::SeqCst)
    }

    /// Zeroes the counters and forgets the last requests.
    pub fn reset(&self) {
        for counter in &self.requests {
            counter.store(0, Ordering::SeqCst);
        }
        self.token_grants.store(0, Ordering::SeqCst);
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Default::default();
    }

    pub fn last_request(&self, route: Route) -> Option<RecordedRequest> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner)[route.index()].clone()
    }
}
