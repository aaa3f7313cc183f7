//! The one error type users match on, and what each variant carries.
//!
//! Every message says what failed, for which operation, and what to try. No
//! variant's `Debug` or `Display` can contain the client secret or an access
//! token: bodies quoted from the network are scrubbed of the secret, and the
//! one body that legitimately holds a secret (an undecodable create response)
//! is kept in a [`SecretString`] that only [`UndecodedCreate::expose_body`]
//! reveals.
//!
//! One file, because a variant, its message and its answers to callers'
//! questions (`is_retryable`, `certificate`, `operation`) change together.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use crate::tls::CertificateFailure;

/// Shorthand for `Result<T, kore_clients::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use crate::generated::Operation;

/// Everything that can go wrong talking to KORE.
///
/// `Display` says what happened and what to do; the underlying cause (a
/// connection error, say) is not repeated there but returned by
/// [`std::error::Error::source`], so reports that walk the chain (`anyhow`,
/// `eyre`, the `kore` CLI) show each cause once.
///
/// The enum and each variant are `#[non_exhaustive]`: a release may add a
/// variant or a field (a request id, say) without breaking your code. Match
/// variants with `{ field, .. }`, or ask the questions the methods answer
/// ([`Error::status`], [`Error::operation`], [`Error::is_retryable`], …).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The builder or the environment holds an unusable setting. Nothing was sent.
    #[non_exhaustive]
    Config {
        /// What is wrong and how to fix it.
        message: String,
    },

    /// An argument was rejected before any request was sent.
    #[non_exhaustive]
    InvalidInput {
        /// The operation the input was for.
        operation: Operation,
        /// What is wrong with it.
        message: String,
    },

    /// No usable access token: the token endpoint refused the credentials,
    /// could not be reached, or the API rejected a freshly issued token.
    #[non_exhaustive]
    Auth {
        /// The operation that needed the token.
        operation: Operation,
        /// Details, including the token endpoint's error code and message.
        source: AuthError,
    },

    /// KORE answered with an error status and a JSON error body.
    #[non_exhaustive]
    Api {
        /// The operation.
        operation: Operation,
        /// The HTTP status.
        status: StatusCode,
        /// KORE's numeric error `code`, when the body has one.
        code: Option<i64>,
        /// KORE's `message`, when the body has one.
        message: Option<String>,
        /// KORE's `info`, when the body has one.
        info: Option<String>,
        /// Every other field of the error body, as KORE sent it (a support
        /// `trace_id`, say): see [`Error::extra`].
        extra: crate::Extra,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },

    /// An error status whose body is not KORE's JSON error (an API gateway's
    /// HTML page, a proxy's text).
    #[non_exhaustive]
    UnexpectedResponse {
        /// The operation.
        operation: Operation,
        /// The HTTP status.
        status: StatusCode,
        /// The response's `Content-Type`.
        content_type: Option<String>,
        /// The start of the body (bounded, secret-scrubbed).
        excerpt: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },

    /// An attempt timed out (the per-attempt timeout), and no attempt was left.
    #[non_exhaustive]
    Timeout {
        /// The operation.
        operation: Operation,
        /// How many attempts were made.
        attempts: u32,
    },

    /// The whole call (attempts, back-off, waiting for a token) took longer
    /// than [`KoreBuilder::operation_timeout`](crate::KoreBuilder::operation_timeout).
    #[non_exhaustive]
    OperationTimeout {
        /// The operation.
        operation: Operation,
        /// The limit that was reached.
        limit: Duration,
        /// How many attempts had been started.
        attempts: u32,
    },

    /// The connection failed (DNS, refused, reset, TLS). The cause is the
    /// error's `source()`.
    #[non_exhaustive]
    Transport {
        /// The operation.
        operation: Operation,
        /// How many attempts were made.
        attempts: u32,
        /// The underlying error.
        source: reqwest::Error,
    },

    /// A success response whose body does not match KORE's documented shape.
    #[non_exhaustive]
    Decode {
        /// The operation.
        operation: Operation,
        /// The HTTP status.
        status: StatusCode,
        /// What the decoder said.
        message: String,
        /// The start of the body (bounded, secret-scrubbed).
        excerpt: String,
    },

    /// KORE **created the client** (it answered with a success status), but
    /// the answer is not a usable created client: its one-time secret or the
    /// new client's id could not be read from it (an unexpected shape, a
    /// missing field, a body cut off or not JSON at all). Whatever arrived is
    /// kept, secret included: see [`UndecodedCreate::expose_body`]; `reason`
    /// names what was missing.
    #[non_exhaustive]
    CreatedButUndecodable {
        /// The raw response, as much of it as arrived.
        created: UndecodedCreate,
        /// What was wrong with it.
        reason: String,
    },

    /// An answer was larger than
    /// [`KoreBuilder::max_answer_size`](crate::KoreBuilder::max_answer_size):
    /// reading stopped there and the connection was dropped. Not retried,
    /// and not retryable: the same request would get the same answer.
    #[non_exhaustive]
    AnswerTooLarge {
        /// The operation.
        operation: Operation,
        /// The HTTP status of the answer.
        status: StatusCode,
        /// The limit, in bytes.
        limit: u64,
        /// How much had arrived when reading stopped, in bytes.
        received: u64,
        /// The length the server announced (`Content-Length`), if it did.
        announced: Option<u64>,
        /// The start of the body (bounded, secret-scrubbed).
        excerpt: String,
    },

    /// A create request may have reached KORE, but its answer never arrived
    /// (a timeout or a connection lost after sending, or a gateway's 5xx).
    /// KORE may have created the client: look for it by name before trying
    /// again. The cause is this error's `source()`.
    #[non_exhaustive]
    CreateOutcomeUnknown {
        /// The name the client was to be created with.
        name: String,
        /// What happened to the request.
        cause: Box<Error>,
    },

    /// The HTTP client could not be built (TLS set-up, an invalid user
    /// agent, …). Nothing was sent. The cause is this error's `source()`.
    #[non_exhaustive]
    HttpClient {
        /// Why reqwest refused.
        source: reqwest::Error,
    },

    /// The server's pagination is inconsistent (a page repeats an earlier
    /// one, or is not the page asked for); the stream stops rather than loop.
    #[non_exhaustive]
    Pagination {
        /// The operation.
        operation: Operation,
        /// What was inconsistent.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config { message } => write!(f, "invalid configuration: {message}"),
            Error::InvalidInput { operation, message } => {
                write!(f, "{operation}: invalid input: {message}")
            }
            Error::Auth { operation, source } => write!(f, "{operation}: {source}"),
            Error::Api {
                operation,
                status,
                code,
                message,
                info,
                ..
            } => write!(
                f,
                "{operation}: KORE returned HTTP {status}{}{}",
                describe_api(*code, message.as_deref(), info.as_deref()),
                hint(*operation, *status)
            ),
            Error::UnexpectedResponse {
                operation,
                status,
                content_type,
                excerpt,
                ..
            } => write!(
                f,
                "{operation}: HTTP {status} with a non-JSON body{}: {excerpt}{}",
                content_type
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default(),
                hint(*operation, *status)
            ),
            Error::Timeout {
                operation,
                attempts,
            } => write!(
                f,
                "{operation}: timed out after {attempts} attempt(s); {}",
                after_timeout(*operation, "`KoreBuilder::timeout`")
            ),
            Error::OperationTimeout {
                operation,
                limit,
                attempts,
            } => write!(
                f,
                "{operation}: did not finish within the operation timeout of {limit:?} ({attempts} attempt(s) started); {}",
                after_timeout(*operation, "`KoreBuilder::operation_timeout`")
            ),
            Error::Transport {
                operation, source, ..
            } if crate::tls::is_certificate(source) => write!(
                f,
                "{operation}: {}; {}",
                crate::tls::failure_of(source).expect("a certificate failure"),
                crate::tls::SDK_ADVICE
            ),
            Error::Transport {
                operation, source, ..
            } if crate::tls::is_proxy_refusal(source) => {
                write!(f, "{operation}: {}", crate::tls::PROXY_REFUSAL)
            }
            Error::Transport {
                operation,
                attempts,
                source,
            } => write!(
                f,
                "{operation}: could not reach KORE after {attempts} attempt(s){}; check the network and the base URL",
                if source.is_connect() {
                    ""
                } else {
                    write_caution(*operation)
                }
            ),
            Error::Decode {
                operation,
                status,
                message,
                excerpt,
            } => write!(
                f,
                "{operation}: HTTP {status} response could not be decoded: {message}; body starts: {excerpt}"
            ),
            Error::AnswerTooLarge {
                operation,
                status,
                limit,
                received,
                announced,
                excerpt,
            } => write!(
                f,
                "{operation}: the answer (HTTP {status}) is larger than the limit of {limit} bytes ({}), so it was not read; it starts: {excerpt}{}",
                match announced {
                    Some(announced) => format!("it announced {announced} bytes"),
                    None => format!("reading stopped after {received} bytes"),
                },
                if status.is_success() {
                    "; if KORE's answers are really this large, raise `KoreBuilder::max_answer_size`"
                } else {
                    hint(*operation, *status)
                }
            ),
            Error::CreatedButUndecodable { created, reason } => {
                write!(
                    f,
                    "create client (POST /v1/clients): KORE created the client{} (HTTP {}), but ",
                    created
                        .client_id()
                        .map(|id| format!(" {id}"))
                        .unwrap_or_default(),
                    created.status().as_u16()
                )?;
                if created.expose_body().is_empty() {
                    write!(
                        f,
                        "its answer had no body ({reason}), so its one-time secret never arrived; the client cannot be used without it: find it with `kore clients list --name …`, delete it and create another"
                    )
                } else {
                    write!(
                        f,
                        "its one-time secret could not be read from the answer ({reason}); the raw answer ({} bytes, secret included) is kept in this error: take it from `UndecodedCreate::expose_body` and store the secret now — KORE will not show it again",
                        created.expose_body().len()
                    )
                }
            }
            Error::CreateOutcomeUnknown { name, cause } => write!(
                f,
                "create client (POST /v1/clients): outcome unknown: the request for {name:?} was sent but {}; KORE may have created the client — check with `{}` before creating it again",
                match cause.status() {
                    Some(status) => format!("the answer was HTTP {}", status.as_u16()),
                    None => "no answer arrived".to_owned(),
                },
                check_command(name)
            ),
            Error::HttpClient { .. } => f.write_str(
                "configure the KORE client: the HTTP client could not be built; nothing was sent",
            ),
            Error::Pagination { operation, message } => write!(f, "{operation}: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // The AuthError's own text is part of this error's message; its
            // cause is the next link.
            Error::Auth { source, .. } => std::error::Error::source(source),
            Error::Transport { source, .. } | Error::HttpClient { source } => Some(source),
            Error::CreateOutcomeUnknown { cause, .. } => Some(cause.as_ref()),
            _ => None,
        }
    }
}

/// The `kore` command that lists the clients named `name`: what to run
/// before creating a client again after [`Error::CreateOutcomeUnknown`].
///
/// ```
/// assert_eq!(kore_clients::check_command("ci-bot"), "kore clients list --name ci-bot");
/// assert_eq!(kore_clients::check_command("it's"), r"kore clients list --name 'it'\''s'");
/// ```
pub fn check_command(name: &str) -> String {
    format!("kore clients list --name {}", shell_word(name))
}

/// `text` as one shell word: bare if it is plain, else single-quoted.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// For a write whose outcome is unknown: say so, so nobody retries blindly.
fn write_caution(operation: Operation) -> &'static str {
    if operation == Operation::CreateClient {
        "; KORE may have created the client anyway: list the clients before trying again"
    } else if operation.is_write() {
        "; KORE may have carried it out anyway: check before trying again"
    } else {
        ""
    }
}

fn describe_api(code: Option<i64>, message: Option<&str>, info: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(message) = message {
        out.push_str(": ");
        out.push_str(message);
    }
    if let Some(code) = code {
        out.push_str(&format!(" (code {code})"));
    }
    if let Some(info) = info.filter(|i| !i.is_empty()) {
        out.push_str(&format!(" [{info}]"));
    }
    out
}

/// What to do after a timeout: for a read, wait longer or try again; for a
/// write, look before trying again.
fn after_timeout(operation: Operation, setting: &str) -> String {
    if operation.is_write() {
        write_caution(operation).trim_start_matches("; ").to_owned()
    } else {
        format!("raise it with {setting} or retry later")
    }
}

fn hint(operation: Operation, status: StatusCode) -> &'static str {
    match status.as_u16() {
        500..=599 if operation.is_write() => write_caution(operation),
        400 => "; check the request's parameters",
        403 => "; the credentials lack permission for this operation",
        404 => "; check the id",
        429 => "; rate limited: retry after the indicated delay",
        500..=599 => "; KORE or its gateway failed: retry later",
        _ => "",
    }
}

impl Error {
    /// The HTTP status of the response that caused the error, if any: KORE's
    /// API, or for [`Error::Auth`] the token endpoint.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. }
            | Error::UnexpectedResponse { status, .. }
            | Error::Decode { status, .. }
            | Error::AnswerTooLarge { status, .. } => Some(*status),
            Error::Auth { source, .. } => source.status(),
            Error::CreatedButUndecodable { created, .. } => Some(created.status()),
            Error::CreateOutcomeUnknown { cause, .. } => cause.status(),
            _ => None,
        }
    }

    /// Whether repeating the same call later may succeed **and is safe**.
    ///
    /// For reads: timeouts, connection failures, 429 and 5xx gateway
    /// errors, and a token endpoint that was unreachable or unavailable.
    /// For `create` (no idempotency key at KORE) only what proves KORE did
    /// not act: a connection never established, a 429, or no token — never
    /// a timeout or a 5xx, after which KORE may have created the client.
    pub fn is_retryable(&self) -> bool {
        let write = self.operation().is_some_and(Operation::is_write);
        match self {
            Error::Timeout { .. } | Error::OperationTimeout { .. } => !write,
            _ if self.is_certificate() || self.is_proxy_refusal() => false,
            Error::Transport { source, .. } => !write || source.is_connect(),
            Error::Api { status, .. } | Error::UnexpectedResponse { status, .. } => {
                crate::retry::should_retry_status(*status, write)
            }
            Error::Auth { source, .. } => matches!(
                source.kind(),
                AuthErrorKind::Unreachable | AuthErrorKind::Unavailable
            ),
            _ => false,
        }
    }

    /// The operation that failed; `None` for [`Error::Config`] and
    /// [`Error::HttpClient`], which fail before any operation.
    pub fn operation(&self) -> Option<Operation> {
        Some(match self {
            Error::Config { .. } | Error::HttpClient { .. } => return None,
            Error::CreatedButUndecodable { .. } | Error::CreateOutcomeUnknown { .. } => {
                Operation::CreateClient
            }
            Error::InvalidInput { operation, .. }
            | Error::Auth { operation, .. }
            | Error::Api { operation, .. }
            | Error::UnexpectedResponse { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::OperationTimeout { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Decode { operation, .. }
            | Error::AnswerTooLarge { operation, .. }
            | Error::Pagination { operation, .. } => *operation,
        })
    }

    /// The fields of KORE's error body other than `code`, `message` and
    /// `info` (for an [`Error::Api`]; `None` for every other error), with
    /// KORE's names: the body's own `status`, and any field KORE adds.
    ///
    /// ```
    /// # fn example(error: kore_clients::Error) {
    /// if let Some(trace) = error.extra().and_then(|extra| extra.get("trace_id")) {
    ///     eprintln!("quote {trace} to KORE support");
    /// }
    /// # }
    /// ```
    pub fn extra(&self) -> Option<&crate::Extra> {
        match self {
            Error::Api { extra, .. } => Some(extra),
            _ => None,
        }
    }

    /// How long the server asked to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } | Error::UnexpectedResponse { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// For a create: wraps the failures after which KORE may have created
    /// the client into [`Error::CreateOutcomeUnknown`].
    pub(crate) fn for_create(self, name: &str) -> Self {
        let unknown = match &self {
            Error::Timeout { .. } => true,
            Error::OperationTimeout { attempts, .. } => *attempts > 0,
            Error::Transport { source, .. } => !source.is_connect(),
            Error::Api { status, .. }
            | Error::UnexpectedResponse { status, .. }
            | Error::AnswerTooLarge { status, .. } => status.is_server_error(),
            _ => false,
        };
        if unknown {
            Error::CreateOutcomeUnknown {
                name: name.to_owned(),
                cause: Box::new(self),
            }
        } else {
            self
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }

    pub(crate) fn invalid_input(operation: Operation, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            operation,
            message: message.into(),
        }
    }
}

/// Errors made by hand, for tests of code that handles them (the `kore`
/// CLI's exit codes and hints) without a server to provoke each one.
///
/// Hidden from the docs and **outside the stability promise**: the variants
/// are `#[non_exhaustive]` so that they can gain fields, and these
/// constructors change with them.
#[doc(hidden)]
pub mod testing {
    use std::time::Duration;

    use reqwest::StatusCode;

    use super::{Error, Operation};

    /// [`Error::Config`].
    pub fn config(message: &str) -> Error {
        Error::Config {
            message: message.to_owned(),
        }
    }

    /// [`Error::InvalidInput`].
    pub fn invalid_input(operation: Operation, message: &str) -> Error {
        Error::invalid_input(operation, message)
    }

    /// [`Error::Api`] without `Retry-After` or extra fields.
    pub fn api(
        operation: Operation,
        status: StatusCode,
        code: Option<i64>,
        message: Option<&str>,
    ) -> Error {
        Error::Api {
            operation,
            status,
            code,
            message: message.map(str::to_owned),
            info: None,
            extra: crate::Extra::new(),
            retry_after: None,
        }
    }

    /// [`Error::UnexpectedResponse`] without `Retry-After`.
    pub fn unexpected_response(
        operation: Operation,
        status: StatusCode,
        content_type: Option<&str>,
        excerpt: &str,
    ) -> Error {
        Error::UnexpectedResponse {
            operation,
            status,
            content_type: content_type.map(str::to_owned),
            excerpt: excerpt.to_owned(),
            retry_after: None,
        }
    }

    /// [`Error::Decode`].
    pub fn decode(operation: Operation, status: StatusCode, message: &str, excerpt: &str) -> Error {
        Error::Decode {
            operation,
            status,
            message: message.to_owned(),
            excerpt: excerpt.to_owned(),
        }
    }

    /// [`Error::Pagination`].
    pub fn pagination(operation: Operation, message: &str) -> Error {
        Error::Pagination {
            operation,
            message: message.to_owned(),
        }
    }

    /// [`Error::Timeout`].
    pub fn timeout(operation: Operation, attempts: u32) -> Error {
        Error::Timeout {
            operation,
            attempts,
        }
    }

    /// [`Error::OperationTimeout`].
    pub fn operation_timeout(operation: Operation, limit: Duration, attempts: u32) -> Error {
        Error::OperationTimeout {
            operation,
            limit,
            attempts,
        }
    }
}

/// What kind of authentication failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// The token endpoint refused the grant: HTTP 400, 401 or 403 with an
    /// error body in OAuth2's shape (`invalid_client`, ...) or KORE's
    /// (`{"code": …, "message": …}`). Retrying the same credentials will not help.
    Rejected,
    /// The API rejected a freshly issued token (a second 401).
    ApiRejected,
    /// The token endpoint could not be reached or timed out.
    Unreachable,
    /// The token endpoint answered "not now" (429, 408 or 5xx).
    Unavailable,
    /// The token endpoint answered with something that is not a token.
    InvalidResponse,
    /// The token endpoint's answer was larger than
    /// [`KoreBuilder::max_answer_size`](crate::KoreBuilder::max_answer_size);
    /// reading stopped there. The description has the sizes and the
    /// answer's start.
    AnswerTooLarge,
    /// The client secret could not be had from its
    /// [`SecretSource`](crate::SecretSource): the source's own error is this
    /// error's `source()`. Nothing was sent.
    SecretUnavailable,
}

/// Why no access token could be obtained or used. Cloning is cheap; callers
/// that waited for the same failed token request each get a copy.
#[derive(Debug, Clone)]
pub struct AuthError {
    kind: AuthErrorKind,
    status: Option<StatusCode>,
    error: Option<String>,
    description: Option<String>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl AuthError {
    pub(crate) fn new(kind: AuthErrorKind) -> Self {
        Self {
            kind,
            status: None,
            error: None,
            description: None,
            source: None,
        }
    }

    pub(crate) fn with_status(mut self, status: Option<StatusCode>) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn with_error(mut self, error: Option<String>, description: Option<String>) -> Self {
        self.error = error;
        self.description = description;
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn with_boxed_source(
        mut self,
        source: Box<dyn std::error::Error + Send + Sync>,
    ) -> Self {
        self.source = Some(Arc::from(source));
        self
    }

    pub(crate) fn with_description(mut self, description: Option<String>) -> Self {
        self.description = description;
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> AuthErrorKind {
        self.kind
    }

    /// The HTTP status of the response that refused, if any.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The token endpoint's error code: OAuth2's `error` (`invalid_client`,
    /// `unsupported_grant_type`, ...) or KORE's numeric `code`, as text.
    pub fn error_code(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The token endpoint's own words: OAuth2's `error_description`, KORE's
    /// `message`, or what was wrong with its answer.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether the failure is the network's rather than the credentials'.
    pub fn is_network(&self) -> bool {
        self.kind == AuthErrorKind::Unreachable
    }
}

impl Error {
    /// The refused server certificate, if that is why the call failed (at the
    /// API or at the token endpoint). Such a failure is never retried.
    ///
    /// ```no_run
    /// # async fn example(kore: kore_clients::Kore) {
    /// use kore_clients::CertificateProblem;
    ///
    /// if let Err(error) = kore.ping().await
    ///     && let Some(failure) = error.certificate()
    /// {
    ///     assert_eq!(failure.problem(), CertificateProblem::UnknownIssuer);
    ///     eprintln!("{}: trust its CA with KORE_CA_CERT", failure.host().unwrap_or("KORE"));
    /// }
    /// # }
    /// ```
    pub fn certificate(&self) -> Option<CertificateFailure> {
        match self {
            Error::Transport { source, .. } => crate::tls::failure_of(source),
            Error::Auth { source, .. } => source.certificate(),
            Error::CreateOutcomeUnknown { cause, .. } => cause.certificate(),
            _ => None,
        }
    }

    /// Whether the call failed because a server certificate was refused.
    pub fn is_certificate(&self) -> bool {
        self.certificate().is_some()
    }

    /// Whether a proxy refused the tunnel (HTTP 407: it wants other
    /// credentials), at the API or the token endpoint. Never retried.
    pub fn is_proxy_refusal(&self) -> bool {
        match self {
            Error::Transport { source, .. } => crate::tls::is_proxy_refusal(source),
            Error::Auth { source, .. } => source.is_proxy_refusal(),
            _ => false,
        }
    }
}

impl AuthError {
    /// The token endpoint's refused certificate, if that is why no token came.
    pub fn certificate(&self) -> Option<CertificateFailure> {
        crate::tls::certificate_in(std::error::Error::source(self)?)
    }

    /// Whether a proxy refused to tunnel the token request (HTTP 407).
    pub(crate) fn is_proxy_refusal(&self) -> bool {
        std::error::Error::source(self).is_some_and(crate::tls::proxy_refusal_in)
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            AuthErrorKind::Rejected => "the token endpoint rejected the credentials",
            AuthErrorKind::ApiRejected => "KORE rejected a freshly issued access token",
            AuthErrorKind::Unreachable => "could not reach the token endpoint",
            AuthErrorKind::Unavailable => "the token endpoint is unavailable",
            AuthErrorKind::InvalidResponse => "the token endpoint's answer is not a usable token",
            AuthErrorKind::AnswerTooLarge => "the token endpoint's answer is too large",
            AuthErrorKind::SecretUnavailable => "the client secret could not be obtained",
        };
        f.write_str(what)?;
        let mut details = Vec::new();
        if let Some(status) = self.status {
            details.push(format!("HTTP {}", status.as_u16()));
        }
        // KORE's token errors repeat the status as their `code`.
        if let Some(error) = self
            .error
            .as_ref()
            .filter(|e| self.status.is_none_or(|s| e.as_str() != s.as_str()))
        {
            details.push(error.clone());
        }
        if !details.is_empty() {
            write!(f, " ({})", details.join(" "))?;
        }
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        if let Some(refused) = self.certificate() {
            return write!(f, ": {refused}; {}", crate::tls::SDK_ADVICE);
        }
        if self.is_proxy_refusal() {
            return write!(f, ": {}", crate::tls::PROXY_REFUSAL);
        }
        f.write_str(match self.kind {
            AuthErrorKind::Rejected | AuthErrorKind::ApiRejected => {
                "; check KORE_CLIENT_ID and KORE_CLIENT_SECRET (or the builder's credentials) and that the client is not locked"
            }
            AuthErrorKind::Unreachable => "; check the network and the token URL",
            AuthErrorKind::Unavailable => "; retry later",
            AuthErrorKind::InvalidResponse | AuthErrorKind::AnswerTooLarge => {
                "; check the token URL points at KORE's token endpoint"
            }
            AuthErrorKind::SecretUnavailable => "; check where the client secret comes from",
        })
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// The raw answer to a create from which no secret could be read: as much
/// of the body as arrived, which may hold the new client's one-time secret.
/// It is redacted everywhere except [`UndecodedCreate::expose_body`].
pub struct UndecodedCreate {
    body: SecretString,
    status: StatusCode,
    client_id: Option<String>,
}

impl UndecodedCreate {
    pub(crate) fn new(status: StatusCode, body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body).into_owned();
        let client_id = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| find_string_member(&v, &["client_id", "clientId"]))
            .or_else(|| {
                ["client_id", "clientId"]
                    .iter()
                    .find_map(|name| scan_string_member(&text, name))
            });
        Self {
            body: SecretString::from(text),
            status,
            client_id,
        }
    }

    /// The id of the created client, if the answer names one anywhere.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// The success status KORE answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The raw response body as it arrived (invalid UTF-8 replaced),
    /// **including the client secret**.
    pub fn expose_body(&self) -> &str {
        self.body.expose_secret()
    }
}

/// The first string value of a member named one of `names`, searched
/// depth-first (so `{"client": {"client_id": …}}` is found too).
fn find_string_member(value: &serde_json::Value, names: &[&str]) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => names
            .iter()
            .find_map(|name| map.get(*name)?.as_str().map(str::to_owned))
            .or_else(|| map.values().find_map(|v| find_string_member(v, names))),
        serde_json::Value::Array(items) => items.iter().find_map(|v| find_string_member(v, names)),
        _ => None,
    }
}

/// Finds `"name": "value"` in text that may not be valid (e.g. truncated)
/// JSON, so a half-received create response still names the new client.
fn scan_string_member(text: &str, name: &str) -> Option<String> {
    let key = format!("\"{name}\"");
    let rest = &text[text.find(&key)? + key.len()..];
    let rest = rest
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}

impl fmt::Debug for UndecodedCreate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UndecodedCreate")
            .field("status", &self.status)
            .field("client_id", &self.client_id)
            .field("body", &"[redacted: holds the client secret]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(operation: Operation, status: u16, info: Option<&str>) -> Error {
        Error::Api {
            operation,
            status: StatusCode::from_u16(status).unwrap(),
            code: Some(7),
            message: Some("nope".into()),
            info: info.map(str::to_owned),
            extra: serde_json::Map::new(),
            retry_after: None,
        }
    }

    #[test]
    fn api_errors_quote_kore_and_say_what_to_do() {
        assert_eq!(
            api(Operation::GetClient, 400, Some("")).to_string(),
            "get client (GET /v1/clients/{client_id}): KORE returned HTTP 400 Bad Request: nope \
             (code 7); check the request's parameters"
        );
        assert!(
            api(Operation::ListClient, 503, Some("upstream"))
                .to_string()
                .ends_with(": nope (code 7) [upstream]; KORE or its gateway failed: retry later")
        );
        for (status, hint) in [
            (403, "; the credentials lack permission for this operation"),
            (404, "; check the id"),
            (429, "; rate limited: retry after the indicated delay"),
            (500, "; KORE or its gateway failed: retry later"),
            (418, "(code 7)"),
        ] {
            let shown = api(Operation::GetClient, status, None).to_string();
            assert!(shown.ends_with(hint), "{status}: {shown}");
        }
        assert!(
            api(Operation::CreateClient, 503, None).to_string().ends_with(
                "; KORE may have created the client anyway: list the clients before trying again"
            )
        );
    }

    #[test]
    fn timeouts_say_whether_to_wait_longer_or_to_look_first() {
        let read = Error::Timeout {
            operation: Operation::ListClient,
            attempts: 3,
        };
        let operation_timeout = |operation| Error::OperationTimeout {
            operation,
            limit: Duration::from_secs(2),
            attempts: 1,
        };
        for (error, ending) in [
            (
                read,
                "timed out after 3 attempt(s); raise it with `KoreBuilder::timeout` or retry later",
            ),
            (
                operation_timeout(Operation::CreateClient),
                "(1 attempt(s) started); KORE may have created the client anyway: list the clients before trying again",
            ),
            (
                operation_timeout(Operation::GetPingStatus),
                "raise it with `KoreBuilder::operation_timeout` or retry later",
            ),
        ] {
            assert!(error.to_string().ends_with(ending), "{error}");
        }
    }

    #[test]
    fn an_unknown_create_outcome_names_its_cause_and_the_check_to_run() {
        let unknown = Error::CreateOutcomeUnknown {
            name: "edge gw".into(),
            cause: Box::new(Error::Timeout {
                operation: Operation::CreateClient,
                attempts: 1,
            }),
        };
        assert!(
            unknown
                .to_string()
                .contains("check with `kore clients list --name 'edge gw'`"),
            "{unknown}"
        );
        let cause = std::error::Error::source(&unknown).expect("the cause is the source");
        assert!(
            cause
                .to_string()
                .starts_with("create client (POST /v1/clients): timed out")
        );
    }

    #[test]
    fn names_become_one_shell_word() {
        assert_eq!(
            check_command("ci-bot_1.2"),
            "kore clients list --name ci-bot_1.2"
        );
        assert_eq!(check_command("it's"), r"kore clients list --name 'it'\''s'");
        assert_eq!(check_command(""), "kore clients list --name ''");
        assert_eq!(check_command("a b"), "kore clients list --name 'a b'");
    }

    #[test]
    fn operations_are_named_by_their_operation_id() {
        for (operation, id, method) in [
            (Operation::GetPingStatus, "getPingStatus", "get_ping_status"),
            (Operation::ListClient, "listClient", "list_client"),
            (Operation::CreateClient, "createClient", "create_client"),
            (Operation::GetClient, "getClient", "get_client"),
        ] {
            assert_eq!(operation.operation_id(), id);
            assert_eq!(Operation::from_method_name(method), Some(operation));
            assert_eq!(Operation::from_operation_id(id), Some(operation));
            assert_eq!(operation.is_write(), operation == Operation::CreateClient);
        }
        assert_eq!(Operation::from_method_name("delete_client"), None);
        assert_eq!(Operation::ALL.len(), 4);
        assert_eq!(
            Operation::GetClient.to_string(),
            "get client (GET /v1/clients/{client_id})"
        );
        assert_eq!(
            Operation::GetPingStatus.to_string(),
            "get ping status (GET /v1/ping)"
        );
    }

    #[test]
    fn configuration_errors_belong_to_no_operation() {
        assert_eq!(Error::config("x").operation(), None);
        assert!(!Error::config("x").is_retryable());
    }

    #[test]
    fn a_created_clients_id_is_read_from_valid_json_anywhere_with_escapes_decoded() {
        // A text scan would stop at the null, or read `\u0031` as `u0031`.
        for body in [
            r#"{"client_id": null, "client": {"clientId": "apiclient_\u0031"}}"#,
            r#"{"clients": [{"client_id": "apiclient_\u0031"}]}"#,
        ] {
            let created = UndecodedCreate::new(StatusCode::CREATED, body.as_bytes());
            assert_eq!(created.client_id(), Some("apiclient_1"), "{body}");
        }
        // Cut off, it is no longer JSON: the text scan still finds the id.
        let cut =
            UndecodedCreate::new(StatusCode::CREATED, br#"{"client_id": "apiclient_2", "cli"#);
        assert_eq!(cut.client_id(), Some("apiclient_2"));
    }

    #[test]
    fn an_undecoded_create_debugs_its_status_and_id_but_not_its_body() {
        let body = br#"{"client_id": "apiclient_3", "client_secret": "s3cr3t-in-body"}"#;
        let debug = format!("{:?}", UndecodedCreate::new(StatusCode::CREATED, body));
        assert!(debug.contains("201"), "{debug}");
        assert!(debug.contains("apiclient_3"), "{debug}");
        assert!(debug.contains("redacted"), "{debug}");
        assert!(!debug.contains("s3cr3t-in-body"), "{debug}");
    }
}
