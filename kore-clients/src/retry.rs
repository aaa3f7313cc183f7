//! When a failed request is repeated, and how long to wait first.
//!
//! Reads (ping, list, get) retry connection errors, timeouts, 429 and the
//! 5xx statuses a gateway produces. `create` has no idempotency key at KORE:
//! repeating it after the server may have seen it could create a second
//! client and orphan a secret that is shown only once. So a create is
//! repeated only when the request provably never reached KORE (the
//! connection was never established) or KORE said 429, which means it did
//! not process the request.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How failed requests are retried.
///
/// ```
/// use std::time::Duration;
/// use kore_clients::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(500))
///     .max_backoff(Duration::from_secs(30));
/// let never = RetryPolicy::disabled();
/// assert_eq!(never.attempts(), 1);
/// # let _ = patient;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, backoff from 200 ms doubling up to 20 s, full jitter.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn disabled() -> Self {
        Self::default().max_attempts(1)
    }

    setters! {
        /// Total attempts per call, including the first (at least 1).
        max_attempts(attempts: u32) => max_attempts = attempts.max(1);

        /// The backoff cap before jitter for the first retry; it doubles per retry.
        initial_backoff(backoff: Duration) => initial_backoff = backoff;

        /// The longest wait between attempts, including a server's `Retry-After`:
        /// a server asking for longer gets its error returned instead.
        max_backoff(backoff: Duration) => max_backoff = backoff;
    }

    /// Total attempts per call.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before attempt `attempt + 1` (`attempt` ≥ 1 just failed):
    /// "full jitter", uniformly random in `[0, min(max, initial × 2^(attempt-1))]`,
    /// which spreads retrying clients out instead of having them hit a
    /// recovering server in lockstep.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }

    /// The most a call can spend under this policy when each attempt takes
    /// `attempt_timeout`: every attempt times out, and every wait between
    /// two is the longest allowed (a `Retry-After` of `max_backoff`).
    pub(crate) fn most_spent(&self, attempt_timeout: Duration) -> Duration {
        let attempts = self.max_attempts;
        attempt_timeout
            .saturating_mul(attempts)
            .saturating_add(self.max_backoff.saturating_mul(attempts - 1))
    }

    /// The wait before retrying a response that carried `retry_after`:
    /// what the server asked for, or `None` (do not retry) when that exceeds
    /// the cap.
    pub(crate) fn server_delay(&self, retry_after: Duration) -> Option<Duration> {
        (retry_after <= self.max_backoff).then_some(retry_after)
    }
}

/// Statuses worth retrying for reads.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Whether a response with `status` may be retried for an operation that
/// is (`write`) or is not a write.
pub(crate) fn should_retry_status(status: StatusCode, write: bool) -> bool {
    if write {
        status == StatusCode::TOO_MANY_REQUESTS
    } else {
        is_retryable_status(status)
    }
}

/// Whether a transport error may be retried for a (non-)write operation.
pub(crate) fn should_retry_error(error: &reqwest::Error, write: bool) -> bool {
    // The next handshake would get the same certificate and the same
    // verdict; the proxy, the same 407.
    if crate::tls::is_certificate(error) || crate::tls::is_proxy_refusal(error) {
        false
    } else if write {
        // Only a connection that was never established proves the server
        // never saw the request; a timeout or reset may come after it did.
        error.is_connect()
    } else {
        // Failing to connect, timing out and losing the connection before
        // the answer are all request errors to reqwest; building, redirect
        // and body errors are not.
        error.is_request()
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
/// A date in the past means "now"; anything unparsable is ignored.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The `Retry-After` of a response's headers, if present and valid.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Fri, 05 Apr 2024 11:08:14 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Fri, 05 Apr 2024 11:08:44 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Fri, 05 Apr 2024 11:00:00 GMT", now),
            Some(Duration::ZERO),
            "a past date means retry now"
        );
        for junk in ["", "-1", "1.5", "soon", "99999999999999999999999"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }

    #[test]
    fn backoff_is_jittered_below_an_exponential_cap() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(250));
        for _ in 0..200 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(2) <= Duration::from_millis(200));
            assert!(policy.backoff(3) <= Duration::from_millis(250));
            assert!(policy.backoff(60) <= Duration::from_millis(250));
        }
        let spread: std::collections::HashSet<Duration> =
            (0..50).map(|_| policy.backoff(3)).collect();
        assert!(spread.len() > 10, "full jitter spreads waits out");
    }

    #[test]
    fn server_delay_beyond_the_cap_is_not_waited_for() {
        let policy = RetryPolicy::default().max_backoff(Duration::from_secs(5));
        assert_eq!(
            policy.server_delay(Duration::from_secs(5)),
            Some(Duration::from_secs(5))
        );
        assert_eq!(policy.server_delay(Duration::from_secs(6)), None);
    }

    #[test]
    fn writes_retry_only_429() {
        for code in [500, 502, 503, 504, 408] {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(!should_retry_status(status, true), "{code}");
        }
        assert!(should_retry_status(StatusCode::TOO_MANY_REQUESTS, true));
        for code in [429, 500, 502, 503, 504] {
            assert!(should_retry_status(
                StatusCode::from_u16(code).unwrap(),
                false
            ));
        }
        for code in [400, 401, 403, 404, 501] {
            assert!(!should_retry_status(
                StatusCode::from_u16(code).unwrap(),
                false
            ));
        }
    }

    #[test]
    fn disabled_means_one_attempt() {
        assert_eq!(RetryPolicy::disabled().attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
        assert_eq!(RetryPolicy::default().attempts(), 3);
    }
}
