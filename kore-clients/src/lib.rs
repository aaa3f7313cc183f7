//! Rust SDK for the KORE Wireless Client API: list, create and read the OAuth
//! API clients of a KORE account.
//!
//! ```no_run
//! use futures::TryStreamExt as _;
//! use kore_clients::{ClientType, Kore, NewClient, Product, SecretString};
//!
//! # async fn example() -> Result<(), kore_clients::Error> {
//! let kore = Kore::builder()
//!     .client_id("my-client-id")
//!     .client_secret(SecretString::from("my-client-secret"))
//!     .build()?; // or Kore::from_env()
//!
//! kore.ping().await?;
//!
//! // One page, with its paging information.
//! let page = kore.clients().list().page_size(50).client_type(ClientType::Admin).send().await?;
//! println!("{} admin clients on page 1", page.clients().len());
//!
//! // Every client, fetched page by page as the stream is read.
//! let all: Vec<_> = kore.clients().list().stream().try_collect().await?;
//!
//! let created = kore
//!     .clients()
//!     .create(NewClient::new("ci-bot").product(Product::SuperSim).locked(false))
//!     .await?;
//! // `created.client_secret()` is shown once by KORE; it never appears in Debug output.
//! let again = kore.clients().get(created.client_id().unwrap_or_default()).await?;
//! # let _ = (all, again);
//! # Ok(())
//! # }
//! ```
//!
//! What it does for you:
//! - **Tokens**: OAuth2 client credentials, fetched on first use, shared by
//!   every clone of [`Kore`], refreshed ahead of expiry by exactly one task,
//!   and refreshed once more if KORE answers 401 ([`auth`] explains the rules).
//! - **Pagination**: [`ListClients::stream`] walks pages lazily (optionally
//!   prefetching), stops at the end, and refuses to loop on a repeating server.
//! - **Retries**: reads retry timeouts, connection errors, 429 and gateway
//!   5xx with backoff; `create` is only retried when KORE provably did not
//!   see it ([`RetryPolicy`]).
//! - **Errors**: one [`Error`] enum with KORE's status, code and message.
//! - **Secrets**: the client secret, tokens and created secrets are
//!   [`SecretString`]s and never appear in `Debug`, `Display`, errors or logs.
//! - **Forward compatibility**: an answer KORE changed before this crate was
//!   regenerated still decodes. An enum value it does not list is an
//!   [`Open::Unknown`] that keeps KORE's text; a field it does not name is kept
//!   in `extra()` ([`Client::extra`], [`PageMeta::extra`], [`Error::extra`], …)
//!   and serialized back. Only a field whose JSON *type* changed is an
//!   [`Error::Decode`], which names it by its JSON pointer.
//!
//! The raw generated client stays reachable through [`Kore::raw`] for
//! anything this crate does not wrap.

#![warn(missing_docs)]

use std::fmt;
use std::sync::Arc;

pub mod auth;
mod clients;
mod config;
mod drift;
mod error;
mod models;
mod paginate;
mod retry;
mod tls;
pub mod token_store;
mod transport;

/// The date-time crate of [`Client::date_created`] and friends.
pub use chrono;
pub use clients::{Clients, CreateIfAbsent};
pub use config::{DEFAULT_BASE_URL, DEFAULT_TOKEN_URL, KoreBuilder};
pub use error::{
    AuthError, AuthErrorKind, Error, Operation, Result, UndecodedCreate, check_command,
};
pub use models::{
    Client, ClientType, CreatedClient, Extra, NewClient, Open, Page, PageMeta, Product,
    UnknownValue, parse_kore_date,
};
pub use paginate::{DEFAULT_PAGE_SIZE, ListClients};
/// The HTTP client crate this SDK uses (for [`KoreBuilder::http_client`]).
pub use reqwest;
pub use retry::{RetryPolicy, parse_retry_after};
pub use secrecy::{ExposeSecret, SecretString};
pub use tls::{CertificateFailure, CertificateProblem};

/// The generated client and its types, for what this crate does not wrap.
pub use kore_clients_gen as raw;
pub use kore_clients_gen::types::PingStatus;
pub use kore_clients_gen::{API_VERSION, SPEC};

use transport::Transport;

/// A KORE Client API client. Cheap to clone; clones share the token cache
/// and the connection pool. `Send + Sync`.
#[derive(Clone)]
pub struct Kore {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    base_url: String,
    operation_timeout: std::time::Duration,
    transport: Arc<Transport>,
    raw: kore_clients_gen::Client,
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
    /// Starts configuring a client.
    pub fn builder() -> KoreBuilder {
        KoreBuilder::default()
    }

    /// A client configured from `KORE_CLIENT_ID`, `KORE_CLIENT_SECRET` and,
    /// if set, `KORE_BASE_URL`, `KORE_TOKEN_URL` and `KORE_CA_CERT` (a CA
    /// file to trust besides the system's).
    pub fn from_env() -> Result<Self> {
        KoreBuilder::default().from_env()?.build()
    }

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
    pub async fn ping(&self) -> Result<PingStatus> {
        let status = self
            .call(Operation::GetPingStatus, |raw| raw.get_ping_status().send())
            .await?;
        if !status.extra.is_empty() {
            drift::note_unknown_fields("PingStatus", &status.extra);
        }
        Ok(status)
    }

    /// The API clients of the account: list, get, create.
    pub fn clients(&self) -> Clients<'_> {
        Clients::new(self)
    }

    /// The generated client, with this client's authentication and retries
    /// attached. Errors come back in the generated crate's own type.
    ///
    /// The raw layer does not protect secrets: its `types::CreatedClient`
    /// holds `client_secret` as a plain `String` (with a derived `Debug`),
    /// and its decode errors print response bodies. Prefer
    /// [`Clients::create`] for creating clients.
    pub fn raw(&self) -> &kore_clients_gen::Client {
        &self.shared.raw
    }

    /// The `reqwest::Client` API requests go through: the builder's trust
    /// (extra CAs), proxy, timeouts and connection pool, or the caller's own
    /// client from [`KoreBuilder::http_client`]. For requests of one's own to
    /// KORE that should take the same network path; it adds no token.
    pub fn http_client(&self) -> &reqwest::Client {
        progenitor_client::ClientInfo::client(&self.shared.raw)
    }

    /// The token cache (e.g. to count grants, or to see expiry in `Debug`).
    pub fn tokens(&self) -> &auth::TokenCache {
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
        Fut: Future<
                Output = std::result::Result<
                    kore_clients_gen::ResponseValue<T>,
                    kore_clients_gen::Error<kore_clients_gen::types::Error>,
                >,
            > + 'a,
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
    ) -> Result<(T, Option<transport::KeptAnswer>)>
    where
        F: FnOnce(&'a kore_clients_gen::Client) -> Fut,
        Fut: Future<
            Output = std::result::Result<
                kore_clients_gen::ResponseValue<T>,
                kore_clients_gen::Error<kore_clients_gen::types::Error>,
            >,
        >,
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
        // The outcome is recorded for a subscriber that enabled the span
        // (as before, when it was recorded on `Span::current()`); without
        // one, neither the clock is read nor fields recorded.
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
