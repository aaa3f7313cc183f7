//! Sending one operation's requests: the bearer token, retries, the 401 refresh, and a span per attempt.
//!
//! This is the [`RequestHooks`] implementation attached to the generated
//! client, which every call of a [`crate::Kore`] (and [`crate::Kore::raw`])
//! shares. An SDK call runs inside [`recorded`], which gives the task a slot
//! where the hooks note what happened (which status came back, how many
//! attempts, why a token could not be had): the generated error type cannot
//! carry those, and a task-local slot needs no per-call client or hooks
//! object. Outside [`recorded`] (the raw client) nothing is noted.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kore_clients_gen::hooks::{PrepareFuture, RequestHooks, SendFuture};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tracing::Instrument as _;

use crate::auth::TokenCache;
use crate::error::{AuthError, AuthErrorKind, Operation};
use crate::retry::{self, RetryPolicy};

/// Authentication and retries for every request of one [`crate::Kore`].
#[derive(Debug)]
pub(crate) struct Transport {
    pub(crate) tokens: Arc<TokenCache>,
    pub(crate) retry: RetryPolicy,
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
}

tokio::task_local! {
    /// The outcome slot of the SDK call running on this task.
    static OUTCOME: RefCell<Outcome>;
}

/// Runs `call` with an outcome slot, returning its output and what the
/// hooks noted while it ran.
pub(crate) async fn recorded<F: Future>(call: F) -> (F::Output, Outcome) {
    OUTCOME
        .scope(RefCell::new(Outcome::default()), async move {
            let output = call.await;
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
            let started = Instant::now();
            let result = http.execute(request).instrument(span.clone()).await;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            let status = result.as_ref().ok().map(reqwest::Response::status);
            if let Some(status) = status {
                span.record("status", status.as_u16());
            }
            note_attempt(attempt, result.as_ref().ok(), used_token.as_ref());

            match result {
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED => {
                    // The token was rejected: drop it (unless someone already
                    // replaced it), so no later call sends it again.
                    if let Some(used) = &used_token {
                        self.tokens.invalidate(used);
                    }
                    let Some(mut next) = spare.filter(|_| !refreshed_after_401) else {
                        note_auth_error(
                            AuthError::new(AuthErrorKind::ApiRejected)
                                .with_status(Some(StatusCode::UNAUTHORIZED)),
                        );
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

async fn sleep(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}
