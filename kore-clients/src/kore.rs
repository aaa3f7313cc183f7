//! The handle users hold, [`Kore`], and the one way a call runs through it.

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Operation, Result};
use crate::transport::{self, KeptAnswer, Transport};

/// What a generated operation's future yields.
type Generated<T> = std::result::Result<
    kore_clients_gen::ResponseValue<T>,
    kore_clients_gen::Error<kore_clients_gen::types::Error>,
>;

/// A KORE Client API client. Cheap to clone; clones share the token cache
/// and the connection pool. `Send + Sync`.
#[derive(Clone)]
pub struct Kore {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) base_url: String,
    pub(crate) operation_timeout: std::time::Duration,
    pub(crate) transport: Arc<Transport>,
    pub(crate) raw: kore_clients_gen::Client,
}

impl fmt::Debug for Kore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kore")
            .field("base_url", &self.shared.base_url)
            .field("tokens", &self.shared.transport.tokens)
            .field("retry", &self.shared.transport.retry)
            .field("attempt_timeout", &self.shared.transport.attempt_timeout)
            .field("operation_timeout", &self.shared.operation_timeout)
            .finish()
    }
}

impl Kore {
    /// The Client API base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &str {
        self.shared.transport.tokens.token_url()
    }

    /// The OAuth client id (not secret).
    pub fn client_id(&self) -> &str {
        self.shared.transport.tokens.client_id()
    }

    /// Checks that KORE's API gateway is up and the credentials work.
    pub async fn ping(&self) -> Result<crate::PingStatus> {
        self.call(Operation::GetPingStatus, |raw| raw.get_ping_status().send())
            .await
            .map(crate::PingStatus::from_raw)
    }

    /// **Unstable** (feature `unstable-raw`): the generated client, with this
    /// client's authentication and retries attached, for operations this
    /// crate does not wrap. It changes with every regeneration from KORE's
    /// spec, in any release. Errors come back in the generated crate's own
    /// type.
    ///
    /// The raw layer does not protect secrets: its `types::CreatedClient`
    /// holds `client_secret` as a plain `String` (with a derived `Debug`),
    /// and its decode errors print response bodies. Prefer
    /// [`Clients::create`](crate::Clients::create) for creating clients.
    #[cfg(feature = "unstable-raw")]
    pub fn raw(&self) -> &kore_clients_gen::Client {
        &self.shared.raw
    }

    /// The `reqwest::Client` API requests go through: the builder's trust
    /// (extra CAs), proxy, timeouts and connection pool, or the caller's own
    /// client from [`KoreBuilder::http_client`](crate::KoreBuilder::http_client).
    /// For requests of one's own to KORE that should take the same network
    /// path; it adds no token.
    pub fn http_client(&self) -> &reqwest::Client {
        progenitor_client::ClientInfo::client(&self.shared.raw)
    }

    /// The most one call may take in all: the builder's
    /// [`operation_timeout`](crate::KoreBuilder::operation_timeout), or the
    /// default derived from the retry policy and the other timeouts.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let kore = kore_clients::Kore::builder()
    ///     .client_id("id")
    ///     .client_secret("secret".to_owned().into())
    ///     .build()?;
    /// // The token: 3 × 10 s + 2 × 20 s; the call: 3 × 30 s + 2 × 20 s.
    /// assert_eq!(kore.operation_timeout(), Duration::from_secs(200));
    /// # Ok::<(), kore_clients::Error>(())
    /// ```
    pub fn operation_timeout(&self) -> std::time::Duration {
        self.shared.operation_timeout
    }

    /// `response` with its body bounded as the SDK bounds its own answers:
    /// reading it past [`KoreBuilder::max_answer_size`](crate::KoreBuilder::max_answer_size)
    /// bytes fails (with a `reqwest::Error` whose `source()` says so) and
    /// reads no further. For requests of one's own sent through
    /// [`http_client`](Self::http_client).
    pub fn limit_answer(&self, response: reqwest::Response) -> reqwest::Response {
        crate::limit::bounded(response, self.shared.transport.answer_limit)
    }

    /// The token cache (e.g. to count grants, or to see expiry in `Debug`).
    pub fn tokens(&self) -> &crate::auth::TokenCache {
        &self.shared.transport.tokens
    }

    /// Runs one generated operation, noting what its requests met, and
    /// maps its result.
    pub(crate) fn call<'a, T, F, Fut>(
        &'a self,
        operation: Operation,
        run: F,
    ) -> impl Future<Output = Result<T>> + 'a
    where
        T: 'a,
        F: FnOnce(&'a kore_clients_gen::Client) -> Fut + 'a,
        Fut: Future<Output = Generated<T>> + 'a,
    {
        // A combinator, not another `async` layer: the call's future is not
        // moved once more.
        futures::FutureExt::map(self.call_keeping_answer(operation, run), |result| {
            result.map(|(value, _)| value)
        })
    }

    /// [`Self::call`], also returning a write's raw success answer, which
    /// holds what the typed value may have failed to capture (a secret in
    /// an unexpected place).
    pub(crate) async fn call_keeping_answer<'a, T, F, Fut>(
        &'a self,
        operation: Operation,
        run: F,
    ) -> Result<(T, Option<KeptAnswer>)>
    where
        F: FnOnce(&'a kore_clients_gen::Client) -> Fut,
        Fut: Future<Output = Generated<T>>,
    {
        use tracing::Instrument as _;
        let span = if transport::span_visible(tracing::Level::INFO) {
            tracing::info_span!(
                "kore.operation",
                operation = operation.operation_id(),
                status = tracing::field::Empty,
                attempts = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            )
        } else {
            tracing::Span::none()
        };
        // The outcome is recorded for a subscriber that enabled the span;
        // without one, neither the clock is read nor fields recorded.
        let started = (!span.is_disabled()).then(std::time::Instant::now);
        let limit = self.shared.operation_timeout;
        let raw = &self.shared.raw;
        // The generated future is built inside `recorded`, and the span
        // wraps that future directly: each `async` layer around the
        // generated future (kilobytes) is one more copy of it per call.
        let (result, outcome) = transport::recorded(limit, move || run(raw))
            .instrument(span.clone())
            .await;
        if let Some(started) = started {
            span.record("attempts", outcome.attempts);
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            if let Some(status) = outcome.status {
                span.record("status", status.as_u16());
            }
        }
        let error = match result {
            Some(Ok(value)) => return Ok((value.into_inner(), outcome.created)),
            None => match outcome.created {
                // A write's success answer was arriving when time ran out:
                // the client exists, and what came of its answer is kept.
                Some(kept) => {
                    let received = kept.len();
                    Error::CreatedButUndecodable {
                        created: kept.into_parts().0,
                        reason: format!(
                            "the operation timeout of {limit:?} cut the answer off after {received} bytes"
                        ),
                    }
                }
                None => Error::OperationTimeout {
                    operation,
                    limit,
                    attempts: outcome.attempts,
                },
            },
            // Boxed: the mapping's future is large and rarely needed, and
            // every call's future would carry its size.
            Some(Err(error)) => {
                Box::pin(
                    transport::from_generated(
                        operation,
                        error,
                        outcome,
                        &self.shared.transport.tokens,
                    )
                    .instrument(span.clone()),
                )
                .await
            }
        };
        span.in_scope(|| tracing::debug!(error = %error, "operation failed"));
        Err(error)
    }
}
