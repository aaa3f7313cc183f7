//! Sending one operation's requests (the bearer token, retries, the 401 refresh, a span per attempt) and turning what came back into an [`Error`].
//!
//! This is the [`RequestHooks`] implementation attached to the generated
//! client, which every call of a [`crate::Kore`] (and [`crate::Kore::raw`])
//! shares. An SDK call runs inside [`recorded`], which gives the task a slot
//! where the hooks note what happened (which status came back, how many
//! attempts, why a token could not be had): the generated error type cannot
//! carry those, and a task-local slot needs no per-call client or hooks
//! object. Outside [`recorded`] (the raw client) nothing is noted.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use kore_clients_gen::hooks::{PrepareFuture, RequestHooks, SendFuture};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tracing::Instrument as _;

use crate::auth::TokenCache;
use crate::error::{AuthError, AuthErrorKind, Error, Operation, UndecodedCreate};
use crate::retry::{self, RetryPolicy};

/// Authentication and retries for every request of one [`crate::Kore`].
#[derive(Debug)]
pub(crate) struct Transport {
    pub(crate) tokens: TokenCache,
    pub(crate) retry: RetryPolicy,
    /// The timeout of each attempt, set on every request so that it holds
    /// for a caller-supplied `reqwest::Client` too.
    pub(crate) attempt_timeout: Duration,
}

/// What happened while one call was sent.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Why no (accepted) token could be used, if that is what failed.
    pub(crate) auth_error: Option<AuthError>,
    /// The status of the last response.
    pub(crate) status: Option<StatusCode>,
    /// Attempts made (the 401 refresh included).
    pub(crate) attempts: u32,
    /// The last response's `Retry-After`, kept because a documented error
    /// status with an undecodable body reaches the mapping without headers.
    pub(crate) retry_after: Option<Duration>,
    /// The last response's `Content-Type`, for the same reason.
    pub(crate) content_type: Option<String>,
    /// The `Authorization` value of the request a failed response answered,
    /// so that quoting that response cannot repeat its token.
    pub(crate) used_token: Option<HeaderValue>,
    /// A write's success answer exactly as it arrived: it may hold a secret
    /// shown only once, so it is kept until the call has delivered it.
    pub(crate) created: Option<KeptAnswer>,
}

/// The raw success answer to a write as it arrives, and where it broke off,
/// if it did. Filled chunk by chunk, so a call cut short by its deadline
/// still has what came.
pub(crate) struct KeptAnswer {
    status: StatusCode,
    body: Vec<u8>,
    cut_off: Option<String>,
}

impl KeptAnswer {
    /// The answer as the error that keeps it, and where it broke off.
    pub(crate) fn into_parts(self) -> (UndecodedCreate, Option<String>) {
        (UndecodedCreate::new(self.status, &self.body), self.cut_off)
    }

    /// Bytes received.
    pub(crate) fn len(&self) -> usize {
        self.body.len()
    }
}

impl std::fmt::Debug for KeptAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptAnswer")
            .field("status", &self.status)
            .field(
                "body",
                &format_args!("[redacted: {} bytes]", self.body.len()),
            )
            .field("cut_off", &self.cut_off)
            .finish()
    }
}

tokio::task_local! {
    /// The outcome slot of the SDK call running on this task.
    static OUTCOME: RefCell<Outcome>;
}

/// Runs `call` with an outcome slot and an overall `deadline`, returning its
/// output (`None` if the deadline passed first) and what the hooks noted
/// while it ran.
pub(crate) async fn recorded<F: Future>(
    call: F,
    deadline: Duration,
) -> (Option<F::Output>, Outcome) {
    OUTCOME
        .scope(RefCell::new(Outcome::default()), async move {
            let output = tokio::time::timeout(deadline, call).await.ok();
            (output, OUTCOME.with(|slot| slot.take()))
        })
        .await
}

/// Notes in the current call's slot, if there is one.
fn note(update: impl FnOnce(&mut Outcome)) {
    // Outside `recorded` (the raw client) there is nobody to tell.
    let _ = OUTCOME.try_with(|slot| update(&mut slot.borrow_mut()));
}

fn note_attempt(attempt: u32, response: Option<&reqwest::Response>, used: Option<&HeaderValue>) {
    note(|outcome| {
        outcome.attempts = attempt;
        outcome.status = response.map(reqwest::Response::status);
        // Only an error needs these; a success should not pay for them.
        let failed = response.filter(|r| !r.status().is_success());
        outcome.retry_after = failed.and_then(|r| retry::retry_after(r.headers()));
        outcome.content_type = failed
            .and_then(|r| r.headers().get(reqwest::header::CONTENT_TYPE))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        outcome.used_token = failed.and(used).cloned();
    });
}

fn note_auth_error(error: AuthError) {
    note(|outcome| outcome.auth_error = Some(error));
}

impl RequestHooks for Transport {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _operation_id: &'static str,
    ) -> PrepareFuture<'a> {
        Box::pin(self.authorize(request))
    }

    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> SendFuture<'a> {
        Box::pin(self.send_with_retries(http, request, operation_id))
    }
}

impl Transport {
    /// Puts a current bearer token on `request`.
    async fn authorize(&self, request: &mut reqwest::Request) -> Result<(), String> {
        match self.tokens.bearer().await {
            Ok(token) => {
                request
                    .headers_mut()
                    .insert(AUTHORIZATION, token.header().clone());
                Ok(())
            }
            Err(error) => {
                let message = error.to_string();
                note_auth_error(error);
                Err(message)
            }
        }
    }

    async fn send_with_retries(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        operation_id: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        // An operation we do not know is treated as a write: never repeated
        // unless provably unsent.
        let operation = Operation::from_method(operation_id);
        let write = operation.is_none_or(Operation::is_write);
        let span_name = operation.map_or(operation_id, Operation::operation_id);
        let max_attempts = self.retry.attempts();
        let mut attempt: u32 = 0;
        let mut retries_used: u32 = 0;
        let mut refreshed_after_401 = false;
        loop {
            attempt += 1;
            // A body that cannot be cloned (a stream) cannot be sent twice.
            let spare = request.try_clone();
            let used_token = request.headers().get(AUTHORIZATION).cloned();
            let span = tracing::debug_span!(
                "kore.attempt",
                operation = span_name,
                attempt,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            *request.timeout_mut() = Some(self.attempt_timeout);
            if write {
                // Counted before sending: a write cut short by the call's
                // deadline may still have reached the server.
                note(|outcome| outcome.attempts = attempt);
            }
            let started = Instant::now();
            let result = http.execute(request).instrument(span.clone()).await;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            let status = result.as_ref().ok().map(reqwest::Response::status);
            if let Some(status) = status {
                span.record("status", status.as_u16());
            }
            note_attempt(attempt, result.as_ref().ok(), used_token.as_ref());

            match result {
                Ok(response) if write && response.status().is_success() => {
                    return Ok(keep_answer(response).await);
                }
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED => {
                    let rejected = || {
                        note_auth_error(
                            AuthError::new(AuthErrorKind::ApiRejected)
                                .with_status(Some(StatusCode::UNAUTHORIZED)),
                        )
                    };
                    // A 401 to the token we just fetched is not about expiry:
                    // keep that token for everyone else.
                    if refreshed_after_401 {
                        rejected();
                        return Ok(response);
                    }
                    // The token was rejected: drop it (unless someone already
                    // replaced it), so no later call sends it again.
                    if let Some(used) = &used_token {
                        self.tokens.invalidate_token(used);
                    }
                    let Some(mut next) = spare else {
                        rejected();
                        return Ok(response);
                    };
                    // Get a new token and try once more.
                    refreshed_after_401 = true;
                    tracing::debug!(operation = operation_id, "401: refreshing the token once");
                    if self.authorize(&mut next).await.is_err() {
                        return Ok(response);
                    }
                    request = next;
                }
                Ok(response) => {
                    let status = response.status();
                    let Some(mut next) = spare.filter(|_| {
                        retries_used + 1 < max_attempts && retry::should_retry_status(status, write)
                    }) else {
                        return Ok(response);
                    };
                    let delay = match retry::retry_after(response.headers()) {
                        Some(asked) => match self.retry.server_delay(asked) {
                            Some(delay) => delay,
                            None => return Ok(response),
                        },
                        None => self.retry.backoff(retries_used + 1),
                    };
                    tracing::debug!(
                        operation = operation_id,
                        status = status.as_u16(),
                        delay_ms = delay.as_millis() as u64,
                        "retrying"
                    );
                    sleep(delay).await;
                    // The token may have aged during the wait.
                    if self.authorize(&mut next).await.is_err() {
                        return Ok(response);
                    }
                    retries_used += 1;
                    request = next;
                }
                Err(error) => {
                    let Some(mut next) = spare.filter(|_| {
                        retries_used + 1 < max_attempts && retry::should_retry_error(&error, write)
                    }) else {
                        return Err(error);
                    };
                    let delay = self.retry.backoff(retries_used + 1);
                    tracing::debug!(
                        operation = operation_id,
                        error = %error,
                        delay_ms = delay.as_millis() as u64,
                        "retrying"
                    );
                    sleep(delay).await;
                    if self.authorize(&mut next).await.is_err() {
                        return Err(error);
                    }
                    retries_used += 1;
                    request = next;
                }
            }
        }
    }
}

/// A write's success answer may hold the only copy of a new secret: read it
/// whole here, keeping what arrived if it breaks off, note a copy for the
/// error mapping, and hand the generated code a response with the same bytes.
async fn keep_answer(mut response: reqwest::Response) -> reqwest::Response {
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let kept = |update: &dyn Fn(&mut KeptAnswer)| {
        note(|outcome| {
            if let Some(kept) = outcome.created.as_mut() {
                update(kept);
            }
        })
    };
    note(|outcome| {
        outcome.created = Some(KeptAnswer {
            status,
            body: Vec::new(),
            cut_off: None,
        });
    });
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                kept(&|k| k.body.extend_from_slice(&chunk));
            }
            Ok(None) => break,
            Err(error) => {
                let reason = error_chain(&error);
                kept(&|k| k.cut_off = Some(reason.clone()));
                break;
            }
        }
    }
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

async fn sleep(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

/// Turns the generated client's error, plus what the transport recorded,
/// into an [`Error`]. Text quoted from a response is scrubbed of the client
/// secret and of the access token the request carried.
pub(crate) async fn from_generated(
    operation: Operation,
    error: kore_clients_gen::Error<kore_clients_gen::types::Error>,
    mut outcome: Outcome,
    tokens: &TokenCache,
) -> Error {
    use kore_clients_gen::Error as Gen;

    let used = outcome.used_token.clone();
    let scrub = |text: &str| tokens.scrub_without(text, used.as_ref());
    let excerpt = |bytes: &[u8]| tokens.excerpt_without(bytes, used.as_ref());

    // A write that KORE answered with success: whatever went wrong after,
    // the client exists and the answer, secret and all, is kept.
    if let Some(kept) = outcome.created.take() {
        let received = kept.len();
        let (raw, cut_off) = kept.into_parts();
        let status = raw.status();
        let reason = match (cut_off, &error) {
            (Some(cut_off), _) => {
                format!("the answer broke off after {received} bytes: {cut_off}")
            }
            (None, Gen::InvalidResponsePayload(_, source)) => decode_reason(source),
            (None, Gen::UnexpectedResponse(_)) => {
                format!("KORE answered HTTP {status}, which the spec does not document")
            }
            (None, other) => scrub(&other.to_string()),
        };
        return Error::CreatedButUndecodable {
            created: raw,
            reason,
        };
    }

    if let Some(mut source) = outcome.auth_error {
        // A second 401: keep what the API said about it.
        if source.kind() == AuthErrorKind::ApiRejected && source.description().is_none() {
            let said = match error {
                Gen::ErrorResponse(body) => body.into_inner().message,
                Gen::UnexpectedResponse(response) => response
                    .json::<kore_clients_gen::types::Error>()
                    .await
                    .ok()
                    .and_then(|body| body.message),
                _ => None,
            };
            source = source.with_description(said.map(|m| scrub(&m)));
        }
        return Error::Auth { operation, source };
    }
    let attempts = outcome.attempts.max(1);
    match error {
        Gen::InvalidRequest(message) => Error::invalid_input(operation, message),
        Gen::Custom(message) => Error::Auth {
            operation,
            source: AuthError::new(AuthErrorKind::InvalidResponse)
                .with_error(None, Some(scrub(&message))),
        },
        Gen::CommunicationError(source)
        | Gen::InvalidUpgrade(source)
        | Gen::ResponseBodyError(source) => {
            // A connect timeout is both: it proves nothing was sent, which
            // is what matters to a create.
            if source.is_timeout() && !source.is_connect() {
                Error::Timeout {
                    operation,
                    attempts,
                }
            } else {
                Error::Transport {
                    operation,
                    attempts,
                    source,
                }
            }
        }
        Gen::ErrorResponse(response) => {
            let status = response.status();
            let retry_after = retry::retry_after(response.headers());
            api_error(operation, status, response.into_inner(), retry_after, scrub)
        }
        Gen::InvalidResponsePayload(bytes, source) => {
            let status = outcome.status.unwrap_or(StatusCode::OK);
            if status.is_success() {
                Error::Decode {
                    operation,
                    status,
                    message: decode_reason(&source),
                    excerpt: excerpt(&bytes),
                }
            } else {
                // A documented error status with a body that is not KORE's
                // JSON error: a gateway page, most likely.
                Error::UnexpectedResponse {
                    operation,
                    status,
                    content_type: outcome.content_type,
                    excerpt: excerpt(&bytes),
                    retry_after: outcome.retry_after,
                }
            }
        }
        Gen::UnexpectedResponse(response) => {
            from_undocumented(operation, response, attempts, scrub, excerpt).await
        }
    }
}

/// What a decoder error says, without the values it quotes (a create
/// response's values include the secret).
fn decode_reason(error: &serde_json::Error) -> String {
    format!(
        "{:?} error at line {}, column {}",
        error.classify(),
        error.line(),
        error.column()
    )
}

/// KORE's JSON error body as an [`Error::Api`].
fn api_error(
    operation: Operation,
    status: StatusCode,
    body: kore_clients_gen::types::Error,
    retry_after: Option<Duration>,
    scrub: impl Fn(&str) -> String,
) -> Error {
    Error::Api {
        operation,
        status,
        code: body.code.map(i64::from),
        message: body.message.map(|m| scrub(&m)),
        info: body.info.map(|i| scrub(&i)),
        retry_after,
    }
}

/// A response whose status the spec does not list (429, 418, 2xx others).
async fn from_undocumented(
    operation: Operation,
    response: reqwest::Response,
    attempts: u32,
    scrub: impl Fn(&str) -> String,
    excerpt: impl Fn(&[u8]) -> String,
) -> Error {
    let status = response.status();
    let retry_after = retry::retry_after(response.headers());
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(source) => {
            return Error::Transport {
                operation,
                attempts,
                source,
            };
        }
    };
    match serde_json::from_slice::<kore_clients_gen::types::Error>(&bytes) {
        Ok(body) if body.message.is_some() || body.code.is_some() => {
            api_error(operation, status, body, retry_after, scrub)
        }
        _ => Error::UnexpectedResponse {
            operation,
            status,
            content_type,
            excerpt: excerpt(&bytes),
            retry_after,
        },
    }
}

/// An error's message followed by its causes', for text that cannot carry a
/// `source()` of its own.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
