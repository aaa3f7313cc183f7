//! Sending one operation's requests (the bearer token, retries, the 401 refresh, a span per attempt) and turning what came back into an [`Error`].
//!
//! This is the [`RequestHooks`] implementation attached to the generated
//! client, which every call of a [`crate::Kore`] (and [`crate::Kore::raw`])
//! shares. An SDK call runs inside [`recorded`], which gives the task a slot
//! where the hooks note what happened (which status came back, how many
//! attempts, why a token could not be had): the generated error type cannot
//! carry those, and a task-local slot needs no per-call client or hooks
//! object. Outside [`recorded`] (the raw client) nothing is noted.
//!
//! One file: the hooks write, and the conversion into an [`Error`] reads, that one private slot.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use std::sync::Arc;

use kore_clients_gen::hooks::{Prepared, RequestHooks, SendFuture};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tracing::Instrument as _;

use crate::auth::{Token, TokenCache};
use crate::error::{AuthError, AuthErrorKind, Error, Operation, UndecodedCreate};
use crate::limit;
use crate::retry::{self, RetryPolicy};

/// Authentication and retries for every request of one [`crate::Kore`].
#[derive(Debug)]
pub(crate) struct Transport {
    pub(crate) tokens: TokenCache,
    pub(crate) retry: RetryPolicy,
    /// The timeout of each attempt.
    pub(crate) attempt_timeout: Duration,
    /// Whether the `reqwest::Client` applies `attempt_timeout` itself (the
    /// one the builder makes does). Otherwise (a caller's client) it is set
    /// on every request.
    pub(crate) client_applies_attempt_timeout: bool,
    /// The most of an answer read, in bytes.
    pub(crate) answer_limit: u64,
}

/// What happened while one call was sent. Not `Debug`: it may keep a
/// created client's secret.
#[derive(Default)]
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

/// What the hooks note while one call runs: the slot [`recorded`] gives its
/// task.
///
/// Tokio moves a task-local's value into the thread-local and back around
/// every poll of the call, so the slot holds only what every call notes;
/// what only a failed call needs is boxed, allocated when a failure is
/// noted.
#[derive(Default)]
struct Notes {
    attempts: u32,
    status: Option<StatusCode>,
    /// The [`Outcome`] fields besides `attempts` and `status`.
    failure: Option<Box<Outcome>>,
}

impl Notes {
    fn into_outcome(self) -> Outcome {
        let mut outcome = self.failure.map(|failure| *failure).unwrap_or_default();
        outcome.attempts = self.attempts;
        outcome.status = self.status;
        outcome
    }
}

tokio::task_local! {
    /// The notes of the SDK call running on this task.
    static NOTES: RefCell<Notes>;
}

/// Runs the future `call` makes with a slot for notes and an overall
/// `deadline`, returning its output (`None` if the deadline passed first)
/// and what the hooks noted while it ran.
///
/// `call` makes the future inside the slot's scope, so that the generated
/// operation's future (kilobytes) is built where it runs instead of being
/// copied into every layer around it; for the same reason this is not an
/// `async fn`, which would be one more layer.
pub(crate) fn recorded<F, Fut>(
    deadline: Duration,
    call: F,
) -> impl Future<Output = (Option<Fut::Output>, Outcome)>
where
    F: FnOnce() -> Fut,
    Fut: Future,
{
    NOTES.scope(RefCell::new(Notes::default()), async move {
        let output = tokio::time::timeout(deadline, std::pin::pin!(call()))
            .await
            .ok();
        (output, NOTES.with(|slot| slot.take().into_outcome()))
    })
}

/// Whether a span at `level` could be seen by anyone: a tracing subscriber
/// whose filter lets that level through (it then decides for itself), or a
/// `log` logger at that level, which tracing's `log` compatibility feeds
/// while no subscriber is set.
///
/// When another crate in the build turns that compatibility on (axum does),
/// every span tracing disables still carries its metadata and pays, on
/// creation, on every poll it wraps and on every record, for asking `log`;
/// a call makes two spans, and that was 1 % of a GET's instructions with
/// neither a subscriber nor a logger. [`tracing::Span::none`] pays nothing.
pub(crate) fn span_visible(level: tracing::Level) -> bool {
    let as_log = match level {
        tracing::Level::ERROR => log::Level::Error,
        tracing::Level::WARN => log::Level::Warn,
        tracing::Level::INFO => log::Level::Info,
        tracing::Level::DEBUG => log::Level::Debug,
        tracing::Level::TRACE => log::Level::Trace,
    };
    level <= tracing::level_filters::LevelFilter::current() || as_log <= log::max_level()
}

/// Notes in the current call's slot, if there is one.
fn note(update: impl FnOnce(&mut Notes)) {
    // Outside `recorded` (the raw client) there is nobody to tell.
    let _ = NOTES.try_with(|slot| update(&mut slot.borrow_mut()));
}

fn note_attempt(attempt: u32, response: Option<&reqwest::Response>, used: Option<&HeaderValue>) {
    note(|notes| {
        notes.attempts = attempt;
        notes.status = response.map(reqwest::Response::status);
        // Only an error needs the rest; a success should not pay for it.
        let failed = response.filter(|r| !r.status().is_success());
        if failed.is_none() && notes.failure.is_none() {
            return;
        }
        let outcome = notes.failure.get_or_insert_default();
        outcome.retry_after = failed.and_then(|r| retry::retry_after(r.headers()));
        outcome.content_type = failed
            .and_then(|r| r.headers().get(reqwest::header::CONTENT_TYPE))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        outcome.used_token = failed.and(used).cloned();
    });
}

fn note_auth_error(error: AuthError) {
    note(|notes| notes.failure.get_or_insert_default().auth_error = Some(error));
}

impl RequestHooks for Transport {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _operation_id: &'static str,
    ) -> Prepared<'a> {
        match self.tokens.bearer_now() {
            Ok(token) => Prepared::Ready(put_token(request, Ok(token))),
            Err(wait) => {
                Prepared::Pending(Box::pin(
                    async move { put_token(request, wait.outcome().await) },
                ))
            }
        }
    }

    /// Sends `request` and repeats it as the retry policy and the 401 rule
    /// allow.
    ///
    /// The returned future is boxed for every request, and most requests
    /// take one attempt: the first attempt starts here, and the future holds
    /// only what deciding after it needs, so that it stays small (the box
    /// is allocated and copied per request, and with glibc a box of a
    /// kilobyte or more also makes malloc consolidate its free lists). Whatever
    /// follows a first attempt that has to be repeated is the separately
    /// boxed [`Transport::send_again`].
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> SendFuture<'a> {
        let mut attempts = Attempts::new(operation_id);
        let first = self.start_attempt(http, request, &mut attempts);
        Box::pin(async move {
            let result = first.response.await;
            match self.conclude(first.sent, result, &mut attempts) {
                Next::Done(Ok(response)) if keeps_answer(&attempts, &response) => {
                    Ok(Box::pin(keep_answer(response, self.answer_limit)).await)
                }
                Next::Done(result) => result.map(|r| limit::bounded(r, self.answer_limit)),
                Next::Again(again) => Box::pin(self.send_again(http, attempts, again)).await,
            }
        })
    }
}

/// Puts the bearer token on `request`, or notes why there is none.
fn put_token(
    request: &mut reqwest::Request,
    token: Result<Arc<Token>, AuthError>,
) -> Result<(), String> {
    match token {
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

/// A copy of `request` to send if it has to be sent again, or `None` if its
/// body cannot be sent twice (a stream).
///
/// Every request pays for this copy before it is sent, because reqwest
/// consumes what it sends. `Request::try_clone` copies an unset timeout
/// into a freshly allocated extensions map; a request without a body (every
/// GET) needs only its method, URL, headers, version and, if set, timeout
/// copied. (Requests reach the hooks from the generated code, whose
/// builders set no extension; the timeout is the only one reqwest's
/// public API can set.)
fn spare(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.body().is_some() {
        return request.try_clone();
    }
    let mut spare = reqwest::Request::new(request.method().clone(), request.url().clone());
    *spare.headers_mut() = request.headers().clone();
    *spare.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *spare.timeout_mut() = Some(*timeout);
    }
    Some(spare)
}

/// The retry state of one operation's requests.
struct Attempts {
    /// Whether the operation may not be repeated once the server may have
    /// seen it. An operation we do not know is treated as a write.
    write: bool,
    /// The operation's name on spans and in logs.
    span_name: &'static str,
    operation_id: &'static str,
    /// Attempts made so far (the 401 refresh included).
    made: u32,
    /// Retries made for errors and retryable statuses (not the 401 refresh).
    retries_used: u32,
    refreshed_after_401: bool,
}

impl Attempts {
    fn new(operation_id: &'static str) -> Self {
        let operation = Operation::from_method_name(operation_id);
        Self {
            write: operation.is_none_or(Operation::is_write),
            span_name: operation.map_or(operation_id, Operation::operation_id),
            operation_id,
            made: 0,
            retries_used: 0,
            refreshed_after_401: false,
        }
    }
}

/// An attempt on its way: the response to wait for, and what deciding
/// after it needs.
struct InFlight<F> {
    response: tracing::instrument::Instrumented<F>,
    sent: Sent,
}

/// What an attempt left behind for deciding after it.
struct Sent {
    /// The copy to send if the request has to go again.
    spare: Option<reqwest::Request>,
    /// The `Authorization` value the attempt carried, if there is no spare
    /// to read it from. Only a failure needs it, and most attempts succeed.
    unspared_token: Option<HeaderValue>,
    span: tracing::Span,
    /// When the attempt started, if a subscriber enabled its span: the
    /// latency and status are recorded for subscribers only, and nobody
    /// else should pay for reading the clock.
    started: Option<Instant>,
}

/// What to do after an attempt.
enum Next {
    /// Hand this to the generated code.
    Done(reqwest::Result<reqwest::Response>),
    /// Send the request again (boxed: rare, and four times the size of
    /// `Done`).
    Again(Box<Again>),
}

/// A request to send again.
struct Again {
    /// The copy made before the last attempt.
    request: reqwest::Request,
    /// How long to wait first.
    delay: Duration,
    /// What to hand to the generated code if no token can be had for it.
    last: reqwest::Result<reqwest::Response>,
}

impl Transport {
    /// Puts a current bearer token on `request`, waiting for one if need be.
    async fn authorize(&self, request: &mut reqwest::Request) -> Result<(), String> {
        let token = match self.tokens.bearer_now() {
            Ok(token) => Ok(token),
            Err(wait) => wait.outcome().await,
        };
        put_token(request, token)
    }

    /// The attempts after the first: wait, get a current token (the old one
    /// may have aged during the wait, or have been rejected), send, decide.
    async fn send_again(
        &self,
        http: &reqwest::Client,
        mut attempts: Attempts,
        mut again: Box<Again>,
    ) -> reqwest::Result<reqwest::Response> {
        loop {
            sleep(again.delay).await;
            let mut request = again.request;
            if self.authorize(&mut request).await.is_err() {
                return again.last.map(|r| limit::bounded(r, self.answer_limit));
            }
            let attempt = self.start_attempt(http, request, &mut attempts);
            let result = attempt.response.await;
            match self.conclude(attempt.sent, result, &mut attempts) {
                Next::Done(Ok(response)) if keeps_answer(&attempts, &response) => {
                    return Ok(keep_answer(response, self.answer_limit).await);
                }
                Next::Done(result) => return result.map(|r| limit::bounded(r, self.answer_limit)),
                Next::Again(next) => again = next,
            }
        }
    }

    /// Starts one attempt, in a span of its own and bounded by the attempt
    /// timeout, keeping a spare copy of `request` in case it has to be
    /// repeated.
    fn start_attempt<'a>(
        &self,
        http: &'a reqwest::Client,
        mut request: reqwest::Request,
        attempts: &mut Attempts,
    ) -> InFlight<impl Future<Output = reqwest::Result<reqwest::Response>> + 'a> {
        attempts.made += 1;
        let spare = spare(&request);
        let unspared_token = match spare {
            Some(_) => None,
            None => request.headers().get(AUTHORIZATION).cloned(),
        };
        let span = if span_visible(tracing::Level::DEBUG) {
            tracing::debug_span!(
                "kore.attempt",
                operation = attempts.span_name,
                attempt = attempts.made,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            )
        } else {
            tracing::Span::none()
        };
        // A client that applies the attempt timeout itself needs no
        // per-request copy (which costs the request an extensions map).
        if !self.client_applies_attempt_timeout {
            *request.timeout_mut() = Some(self.attempt_timeout);
        }
        if attempts.write {
            // Counted before sending: a write cut short by the call's
            // deadline may still have reached the server.
            let made = attempts.made;
            note(|outcome| outcome.attempts = made);
        }
        let started = (!span.is_disabled()).then(Instant::now);
        InFlight {
            response: http.execute(request).instrument(span.clone()),
            sent: Sent {
                spare,
                unspared_token,
                span,
                started,
            },
        }
    }

    /// Records how an attempt went and decides what follows.
    fn conclude(
        &self,
        sent: Sent,
        result: reqwest::Result<reqwest::Response>,
        attempts: &mut Attempts,
    ) -> Next {
        if let Some(started) = sent.started {
            let span = &sent.span;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            if let Ok(response) = &result {
                span.record("status", response.status().as_u16());
            }
        }
        let succeeded = result.as_ref().is_ok_and(|r| r.status().is_success());
        let used_token = match (&sent.spare, succeeded) {
            (_, true) => None,
            (Some(spare), false) => spare.headers().get(AUTHORIZATION).cloned(),
            (None, false) => sent.unspared_token,
        };
        note_attempt(attempts.made, result.as_ref().ok(), used_token.as_ref());
        self.next(attempts, result, sent.spare, used_token)
    }

    /// Decides, without waiting, whether `result` is final or the request
    /// goes again (with `spare`, the copy made before it was sent).
    fn next(
        &self,
        attempts: &mut Attempts,
        result: reqwest::Result<reqwest::Response>,
        spare: Option<reqwest::Request>,
        used_token: Option<HeaderValue>,
    ) -> Next {
        let operation_id = attempts.operation_id;
        let may_retry = attempts.retries_used + 1 < self.retry.attempts();
        match result {
            Ok(response) if response.status() == StatusCode::UNAUTHORIZED => {
                let rejected = || {
                    note_auth_error(
                        AuthError::new(AuthErrorKind::ApiRejected)
                            .with_status(Some(StatusCode::UNAUTHORIZED)),
                    )
                };
                // A 401 to the token we just fetched is not about expiry:
                // keep that token for everyone else.
                if attempts.refreshed_after_401 {
                    rejected();
                    return Next::Done(Ok(response));
                }
                // The token was rejected: drop it (unless someone already
                // replaced it), so no later call sends it again.
                if let Some(used) = &used_token {
                    self.tokens.invalidate_token(used);
                }
                let Some(next) = spare else {
                    rejected();
                    return Next::Done(Ok(response));
                };
                // Get a new token and try once more.
                attempts.refreshed_after_401 = true;
                tracing::debug!(operation = operation_id, "401: refreshing the token once");
                Next::Again(Box::new(Again {
                    request: next,
                    delay: Duration::ZERO,
                    last: Ok(response),
                }))
            }
            Ok(response) => {
                let status = response.status();
                match spare
                    .filter(|_| may_retry && retry::should_retry_status(status, attempts.write))
                {
                    Some(next) => self.again(attempts, next, Ok(response)),
                    None => Next::Done(Ok(response)),
                }
            }
            Err(error) => {
                match spare
                    .filter(|_| may_retry && retry::should_retry_error(&error, attempts.write))
                {
                    Some(next) => self.again(attempts, next, Err(error)),
                    None => Next::Done(Err(error)),
                }
            }
        }
    }

    /// Schedules `request` to go again after `last` failed: once the server's
    /// `Retry-After` has passed (or `last` is final, should that exceed the
    /// cap), else after the back-off for this retry.
    fn again(
        &self,
        attempts: &mut Attempts,
        request: reqwest::Request,
        last: reqwest::Result<reqwest::Response>,
    ) -> Next {
        let asked = last
            .as_ref()
            .ok()
            .and_then(|response| retry::retry_after(response.headers()));
        let delay = match asked {
            Some(asked) => match self.retry.server_delay(asked) {
                Some(delay) => delay,
                None => return Next::Done(last),
            },
            None => self.retry.backoff(attempts.retries_used + 1),
        };
        let delay_ms = delay.as_millis() as u64;
        match &last {
            Ok(response) => tracing::debug!(
                operation = attempts.operation_id,
                status = response.status().as_u16(),
                delay_ms,
                "retrying"
            ),
            Err(error) => tracing::debug!(
                operation = attempts.operation_id,
                error = %error,
                delay_ms,
                "retrying"
            ),
        }
        attempts.retries_used += 1;
        Next::Again(Box::new(Again {
            request,
            delay,
            last,
        }))
    }
}

/// Whether `response` is a write's success answer, which [`keep_answer`] keeps.
fn keeps_answer(attempts: &Attempts, response: &reqwest::Response) -> bool {
    attempts.write && response.status().is_success()
}

/// A write's success answer may hold the only copy of a new secret: read it
/// whole here (up to `limit` bytes), keeping what arrived if it breaks off
/// or passes the limit, note a copy for the error mapping, and hand the
/// generated code a response with the same bytes.
async fn keep_answer(mut response: reqwest::Response, limit: u64) -> reqwest::Response {
    let announced = response.content_length();
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let kept = |update: &dyn Fn(&mut KeptAnswer)| {
        note(|notes| {
            if let Some(kept) = notes.failure.as_mut().and_then(|o| o.created.as_mut()) {
                update(kept);
            }
        })
    };
    note(|notes| {
        notes.failure.get_or_insert_default().created = Some(KeptAnswer {
            status,
            body: Vec::new(),
            cut_off: None,
        });
    });
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = usize::try_from(limit).unwrap_or(usize::MAX) - body.len();
                let taken = &chunk[..chunk.len().min(room)];
                body.extend_from_slice(taken);
                kept(&|k| k.body.extend_from_slice(taken));
                if chunk.len() > room {
                    // Everything up to the limit is kept; the rest is not read.
                    let past = limit::TooLarge {
                        limit,
                        received: body.len() as u64 + (chunk.len() - room) as u64,
                        announced,
                        head: Vec::new(),
                    };
                    let reason = past.to_string();
                    kept(&|k| k.cut_off = Some(reason.clone()));
                    break;
                }
            }
            Ok(None) => break,
            Err(error) => {
                let reason = format!(
                    "the answer broke off after {} bytes: {}",
                    body.len(),
                    error_chain(&error)
                );
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
        let (raw, cut_off) = kept.into_parts();
        let status = raw.status();
        let reason = match (cut_off, &error) {
            (Some(cut_off), _) => cut_off,
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
        // A second 401: keep what the API said about it. (Only a refusal
        // by the API comes with an answer; a token that could not be had
        // fails before anything is sent.)
        if source.description().is_none() {
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
        Gen::ResponseBodyError(source) if limit::too_large(&source).is_some() => {
            // A success does not note the token it carried: the cached one
            // is the one it used, unless a refresh replaced it.
            let used = used.clone().or_else(|| tokens.current_header());
            too_large(operation, outcome.status, &source, |bytes| {
                tokens.excerpt_without(bytes, used.as_ref())
            })
        }
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
                // Where a value of the wrong type sits; a syntax error or a
                // body cut short has no such place.
                let at = (source.classify() == serde_json::error::Category::Data)
                    .then(|| crate::drift::pointer_at(&bytes, source.line(), source.column()))
                    .flatten()
                    .map(|pointer| match pointer.as_str() {
                        "" => " (at the top level)".to_owned(),
                        pointer => format!(" (at {})", scrub(pointer)),
                    })
                    .unwrap_or_default();
                Error::Decode {
                    operation,
                    status,
                    message: format!("{}{at}", decode_reason(&source)),
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

/// [`Error::AnswerTooLarge`] for a read that `source` stopped at the limit.
fn too_large(
    operation: Operation,
    status: Option<StatusCode>,
    source: &reqwest::Error,
    excerpt: impl Fn(&[u8]) -> String,
) -> Error {
    let stopped = limit::too_large(source).expect("the caller found it");
    Error::AnswerTooLarge {
        operation,
        status: status.unwrap_or(StatusCode::OK),
        limit: stopped.limit,
        received: stopped.received,
        announced: stopped.announced,
        excerpt: excerpt(&stopped.head),
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
    if !body.extra.is_empty() {
        crate::drift::note_unknown_fields("Error", &body.extra);
    }
    let (code, message, info) = (
        body.code.map(i64::from),
        body.message.as_deref().map(&scrub),
        body.info.as_deref().map(&scrub),
    );
    // Every field `Error::Api` does not name is kept in `extra`: the ones the
    // spec does not know, the ones it learns in a later regeneration, and the
    // body's own `status` (the HTTP status is `Error::status`).
    let mut extra = match serde_json::to_value(&body) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => body.extra,
    };
    for named in ["code", "message", "info"] {
        extra.remove(named);
    }
    extra
        .values_mut()
        .for_each(|value| scrub_strings(value, &scrub));
    Error::Api {
        operation,
        status,
        code,
        message,
        info,
        extra,
        retry_after,
    }
}

/// Scrubs every string in `value` (an error body's unknown fields may quote
/// the request, token and all).
fn scrub_strings(value: &mut serde_json::Value, scrub: &impl Fn(&str) -> String) {
    match value {
        serde_json::Value::String(text) => *text = scrub(text),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| scrub_strings(v, scrub)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| scrub_strings(v, scrub)),
        _ => {}
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
        Err(source) if limit::too_large(&source).is_some() => {
            return too_large(operation, Some(status), &source, excerpt);
        }
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
