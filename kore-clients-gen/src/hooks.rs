//! How `kore-clients` attaches authentication, retries and tracing to the generated client.
//!
//! progenitor's extension point is the `progenitor_client::ClientHooks` trait,
//! implemented for the generated `Client`. The orphan rule allows that impl
//! only in this crate, so it lives here and forwards every request to a
//! [`RequestHooks`] object carried in the client's "inner" value; downstream
//! crates implement the small, object-safe [`RequestHooks`] instead.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, OperationInfo};

/// The future [`RequestHooks::send`] returns.
pub type SendFuture<'a> =
    Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>>;

/// The future [`RequestHooks::prepare`] returns when it has to wait.
pub type PrepareFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// What [`RequestHooks::prepare`] returns: its verdict at once, or a future
/// to wait for.
///
/// Most requests are prepared without waiting (a cached token is put on
/// them), and [`Prepared::Ready`] lets those skip boxing a future: this is
/// on the path of every request. [`Prepared::Pending`] is for the calls
/// that must wait, e.g. for a token request.
pub enum Prepared<'a> {
    /// Done: `Ok` to send the request, `Err(message)` to abort the call with
    /// `Error::Custom(message)`.
    Ready(Result<(), String>),
    /// The verdict once this future completes.
    Pending(PrepareFuture<'a>),
}

impl fmt::Debug for Prepared<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prepared::Ready(result) => f.debug_tuple("Ready").field(result).finish(),
            Prepared::Pending(_) => f.write_str("Pending"),
        }
    }
}

/// Sends the requests of a generated [`Client`](crate::Client).
///
/// The generated code builds each request (URL, query, body), lets
/// [`prepare`](RequestHooks::prepare) amend it (e.g. add the bearer token),
/// then hands it to [`send`](RequestHooks::send), which decides how it
/// reaches the server: retrying, refreshing credentials, recording spans.
/// Without hooks, requests are sent as built.
///
/// # Example
///
/// ```
/// use kore_clients_gen::hooks::{Hooks, Prepared, RequestHooks, SendFuture};
///
/// /// Adds a fixed bearer token to every request and sends it once.
/// struct StaticToken(reqwest::header::HeaderValue);
///
/// impl RequestHooks for StaticToken {
///     fn prepare<'a>(
///         &'a self,
///         request: &'a mut reqwest::Request,
///         _operation_id: &'static str,
///     ) -> Prepared<'a> {
///         request
///             .headers_mut()
///             .insert(reqwest::header::AUTHORIZATION, self.0.clone());
///         Prepared::Ready(Ok(()))
///     }
///
///     fn send<'a>(
///         &'a self,
///         http: &'a reqwest::Client,
///         request: reqwest::Request,
///         _operation_id: &'static str,
///     ) -> SendFuture<'a> {
///         Box::pin(http.execute(request))
///     }
/// }
///
/// let mut token = reqwest::header::HeaderValue::from_static("Bearer token");
/// token.set_sensitive(true);
/// let client = kore_clients_gen::Client::new("http://127.0.0.1:8080", Hooks::new(StaticToken(token)));
/// # let _ = client;
/// ```
pub trait RequestHooks: Send + Sync {
    /// Amends `request` before it is sent: at once ([`Prepared::Ready`]) or
    /// after waiting for something ([`Prepared::Pending`]). An
    /// `Err(message)` aborts the call with `Error::Custom(message)` and
    /// nothing is sent. The default does nothing.
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation_id: &'static str,
    ) -> Prepared<'a> {
        let _ = (request, operation_id);
        Prepared::Ready(Ok(()))
    }

    /// Sends `request`, built for the operation `operation_id`, over `http`.
    ///
    /// `operation_id` is the generated method's name, the spec's
    /// `operationId` in snake case: `"list_client"`, `"create_client"`,
    /// `"get_client"`, `"get_ping_status"`.
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> SendFuture<'a>;
}

/// The hooks a generated [`Client`](crate::Client) carries: none, or one
/// shared [`RequestHooks`] object. Cloning is cheap (an `Arc`).
#[derive(Clone, Default)]
pub struct Hooks(Option<Arc<dyn RequestHooks>>);

impl Hooks {
    /// No hooks: requests are sent exactly as generated.
    pub fn none() -> Self {
        Self(None)
    }

    /// Sends every request through `hooks`.
    pub fn new(hooks: impl RequestHooks + 'static) -> Self {
        Self(Some(Arc::new(hooks)))
    }

    /// Sends every request through an already shared `hooks` object.
    pub fn from_arc(hooks: Arc<dyn RequestHooks>) -> Self {
        Self(Some(hooks))
    }

    /// Whether a [`RequestHooks`] object is attached.
    pub fn is_attached(&self) -> bool {
        self.0.is_some()
    }
}

impl fmt::Debug for Hooks {
    // Hook objects typically hold credentials; show only whether one is attached.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("attached", &self.is_attached())
            .finish()
    }
}

impl ClientHooks<Hooks> for crate::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let verdict = match &self.inner.0 {
            Some(hooks) => match hooks.prepare(request, info.operation_id) {
                Prepared::Ready(verdict) => verdict,
                Prepared::Pending(wait) => wait.await,
            },
            None => Ok(()),
        };
        verdict.map_err(progenitor_client::Error::Custom)
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match &self.inner.0 {
            Some(hooks) => hooks.send(&self.client, request, info.operation_id).await,
            None => self.client.execute(request).await,
        }
    }
}
