//! The request journal: one entry per request the mock answered outside its admin
//! API, in arrival order, with the status it sent — never a header value, a body, a
//! token or a secret, so the journal can be printed, logged and snapshotted freely.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use tokio::time::Instant;

use crate::{Fault, Route};

/// Entries kept; older ones are dropped first (and counted) so a long-running mock
/// under a fuzzer keeps bounded memory.
pub(crate) const JOURNAL_CAPACITY: usize = 10_000;

/// What the journal shows in place of a sensitive query value.
pub(crate) const REDACTED: &str = "REDACTED";

/// One request as the journal shows it: what was asked and what the server answered.
///
/// Serialized (by `GET /_mock/requests`) as
/// `{"method", "path", "query", "status", "authorization", "ms_since_start", "route", "fault"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct JournalEntry {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path without the query, e.g. `/v1/clients`; a segment that is a secret or token
    /// the mock knows (or looks like a JWT) is replaced by `REDACTED`.
    pub path: String,
    /// Query string without `?`, if any; the values of parameters whose names suggest a
    /// credential (`client_secret`, `access_token`, …), values that look like a JWT, and
    /// any secret or token the mock knows are replaced by `REDACTED`.
    pub query: Option<String>,
    /// Status the server sent, or would have sent had the caller not hung up first.
    pub status: u16,
    /// Whether the request carried an `Authorization` header (its value is never kept).
    pub authorization: bool,
    /// When the request arrived, in milliseconds since the mock started (a reset does not
    /// restart this clock).
    pub ms_since_start: u64,
    /// The KORE route it matched (`list-clients`, …); `None` for an unknown path or method.
    pub route: Option<Route>,
    /// The scripted fault it consumed (`503`, `delay:500`, …), if any.
    pub fault: Option<Fault>,
}

/// A request that has arrived, before its status is known.
pub(crate) struct Arrival {
    sequence: u64,
    entry: JournalEntry,
}

pub(crate) struct Journal {
    started: Instant,
    next_sequence: AtomicU64,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// Ordered by arrival sequence.
    entries: VecDeque<(u64, JournalEntry)>,
    dropped: u64,
}

impl Journal {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            next_sequence: AtomicU64::new(0),
            kept: Mutex::default(),
        }
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes a request's arrival; [`record`](Self::record) files it once answered.
    pub fn arrive(
        &self,
        method: &str,
        path: &str,
        query: Option<String>,
        authorization: bool,
    ) -> Arrival {
        Arrival {
            sequence: self.next_sequence.fetch_add(1, Ordering::SeqCst),
            entry: JournalEntry {
                method: method.to_owned(),
                path: path.to_owned(),
                query,
                status: 0,
                authorization,
                ms_since_start: self.started.elapsed().as_millis() as u64,
                route: None,
                fault: None,
            },
        }
    }

    /// Files an answered request in arrival order (a slow request answered late still
    /// sorts before those that arrived after it).
    pub fn record(
        &self,
        arrival: Arrival,
        status: u16,
        route: Option<Route>,
        fault: Option<Fault>,
    ) {
        let Arrival {
            sequence,
            mut entry,
        } = arrival;
        entry.status = status;
        entry.route = route;
        entry.fault = fault;
        let mut kept = self.kept();
        let at = kept.entries.partition_point(|(other, _)| *other < sequence);
        kept.entries.insert(at, (sequence, entry));
        while kept.entries.len() > JOURNAL_CAPACITY {
            kept.entries.pop_front();
            kept.dropped += 1;
        }
    }

    /// Every kept entry, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.kept()
            .entries
            .iter()
            .map(|(_, entry)| entry.clone())
            .collect()
    }

    /// Entries dropped because the journal was full, since the last clear.
    pub fn dropped(&self) -> u64 {
        self.kept().dropped
    }

    /// Forgets every entry; returns how many were kept.
    pub fn clear(&self) -> usize {
        let mut kept = self.kept();
        let cleared = kept.entries.len();
        *kept = Kept::default();
        cleared
    }
}

/// Parameter names whose values are credentials, matched as lowercase substrings.
const SENSITIVE_NAMES: [&str; 9] = [
    "secret",
    "token",
    "password",
    "passwd",
    "auth",
    "key",
    "credential",
    "assertion",
    "signature",
];

/// Whether `value` has the shape of a JWT (`eyJ…` header, three dot-separated parts), as
/// the mock's access tokens do: caught even after the mock has forgotten the token.
fn looks_like_jwt(value: &str) -> bool {
    value.starts_with("eyJ") && value.split('.').count() == 3
}

/// `path` with every segment that is a known secret or token (or looks like a JWT)
/// replaced by [`REDACTED`]; a client that puts one there must not leak it further.
pub(crate) fn redact_path(path: &str, is_secret: impl Fn(&str) -> bool) -> String {
    path.split('/')
        .map(|segment| {
            if !segment.is_empty() && (looks_like_jwt(segment) || is_secret(segment)) {
                REDACTED
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `query` with the value of every sensitive parameter replaced by [`REDACTED`]:
/// parameters named like a credential, values that look like a JWT, and any value
/// `is_secret` recognises. Everything else is kept exactly as sent.
pub(crate) fn redact_query(query: &str, is_secret: impl Fn(&str) -> bool) -> String {
    query
        .split('&')
        .map(|pair| {
            let (name, value) = url::form_urlencoded::parse(pair.as_bytes())
                .next()
                .unwrap_or_default();
            let name = name.to_lowercase();
            let sensitive = SENSITIVE_NAMES.iter().any(|word| name.contains(word))
                || looks_like_jwt(&value)
                || (!value.is_empty() && is_secret(&value));
            match (sensitive, pair.split_once('=')) {
                (true, Some((raw_name, _))) => format!("{raw_name}={REDACTED}"),
                (true, None) => REDACTED.to_owned(),
                (false, _) => pair.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn answered(journal: &Journal, path: &str, status: u16) {
        let arrival = journal.arrive("GET", path, None, false);
        journal.record(arrival, status, None, None);
    }

    #[tokio::test(start_paused = true)]
    async fn entries_carry_milliseconds_since_start() {
        let journal = Journal::new();
        tokio::time::advance(Duration::from_millis(1500)).await;
        answered(&journal, "/v1/ping", 200);
        tokio::time::advance(Duration::from_millis(250)).await;
        answered(&journal, "/v1/ping", 401);
        let times: Vec<u64> = journal.entries().iter().map(|e| e.ms_since_start).collect();
        assert_eq!(times, [1500, 1750]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_request_keeps_its_place_in_arrival_order() {
        let journal = Journal::new();
        let slow = journal.arrive("POST", "/v1/clients", None, true);
        tokio::time::advance(Duration::from_millis(10)).await;
        answered(&journal, "/v1/ping", 200);
        journal.record(
            slow,
            201,
            Some(Route::CreateClient),
            Some(Fault::Delay(Duration::from_millis(500))),
        );
        let entries = journal.entries();
        assert_eq!(entries[0].path, "/v1/clients");
        assert_eq!(entries[0].status, 201);
        assert_eq!(entries[1].path, "/v1/ping");
        let json = serde_json::to_value(&entries[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "method": "POST", "path": "/v1/clients", "query": null, "status": 201,
                "authorization": true, "ms_since_start": 0, "route": "create-client",
                "fault": "delay:500"
            })
        );
    }

    #[test]
    fn the_oldest_entries_go_first_when_full() {
        let journal = Journal::new();
        for index in 0..JOURNAL_CAPACITY + 3 {
            answered(&journal, &format!("/{index}"), 200);
        }
        let entries = journal.entries();
        assert_eq!(entries.len(), JOURNAL_CAPACITY);
        assert_eq!(entries[0].path, "/3");
        assert_eq!(journal.dropped(), 3);
        assert_eq!(journal.clear(), JOURNAL_CAPACITY);
        assert!(journal.entries().is_empty());
        assert_eq!(journal.dropped(), 0);
    }

    #[test]
    fn secrets_in_paths_are_redacted() {
        let known = |value: &str| value == "known-secret";
        assert_eq!(
            redact_path("/v1/clients/apiclient_01abc", known),
            "/v1/clients/apiclient_01abc"
        );
        assert_eq!(
            redact_path("/v1/clients/known-secret", known),
            "/v1/clients/REDACTED"
        );
        assert_eq!(
            redact_path("/v1/eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl/x", known),
            "/v1/REDACTED/x"
        );
    }

    #[test]
    fn credentials_in_queries_are_redacted() {
        let known = |value: &str| value == "known-token";
        assert_eq!(
            redact_query("page_size=10&page_number=1&client_type=admin", known),
            "page_size=10&page_number=1&client_type=admin"
        );
        assert_eq!(
            redact_query(
                "client_id=abc&client_secret=s3cr%65t&grant_type=client_credentials",
                known
            ),
            "client_id=abc&client_secret=REDACTED&grant_type=client_credentials"
        );
        assert_eq!(
            redact_query("Access_Token=x&debug=known-token&apiKey", known),
            "Access_Token=REDACTED&debug=REDACTED&REDACTED"
        );
        assert_eq!(
            redact_query(
                "forgotten=eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl&page_size=1",
                known
            ),
            "forgotten=REDACTED&page_size=1"
        );
    }
}
