//! OAuth2 client-credentials tokens: fetched once, shared, refreshed ahead of expiry.
//!
//! One file: the invariants of [`TokenCache`] hold only together (in brackets, the failure each prevents):
//! - A token request runs in a task of its own. Once started it runs to
//!   completion, and its result (token or error) is cached and handed to
//!   everyone waiting for it, whether or not the caller that started it is
//!   still there [a caller dropped by its deadline would otherwise abort the
//!   request, and callers with deadlines shorter than the token endpoint's
//!   latency would never get a token].
//! - At most one token request is in flight per cache; every caller that
//!   needs a token while it runs waits for that one result [a thousand
//!   concurrent first calls would otherwise stampede the token endpoint].
//!   No lock is held across an `.await`: waiters watch a channel.
//! - Refreshes happen on demand: a call that finds the token within
//!   `margin` of its expiry starts one and carries on with the old token,
//!   so nobody waits on a refresh they don't need; an idle client sends
//!   nothing. `margin` is the larger of 60 s and 10 % of the lifetime, plus
//!   up to 10 % jitter, capped at half the lifetime [clients started
//!   together would otherwise refresh together].
//! - The token endpoint is a dependency of its own: its own timeout, and
//!   retries (with the [`RetryPolicy`]'s back-off and `Retry-After`) on
//!   connection errors, timeouts, 429 and 5xx.
//! - A failed refresh while the old token is still valid is not an error:
//!   the old token keeps serving, and the next refresh is tried a few
//!   seconds later [a token-endpoint blip would otherwise fail requests that
//!   had a perfectly good token].
//! - A rejected grant (400/401/403 with an error body) is cached: for a
//!   back-off of 1 s doubling to 30 s, callers get that error without a new
//!   request [a revoked client would otherwise send a token request per
//!   call]. [`TokenCache::invalidate`] ends the back-off.
//! - A 401 drops a token only if it is still the cached one [a late 401 for
//!   an old token would otherwise throw away the new token another task
//!   just fetched].
//! - Token requests carry the credentials in the form body (KORE documents
//!   no HTTP Basic), go over a client that never follows redirects [a
//!   redirect would replay the secret to another URL], and no secret or
//!   token ever reaches `Debug`, `Display`, an error or a log line.
//! - With a [`TokenStore`] (tokens shared across processes), the token
//!   request's task consults it first and saves what it obtained; the
//!   rules above hold unchanged, and [`crate::token_store`] lists the
//!   store's own. Each store call is bounded in time [a store that hangs
//!   would otherwise hang every call].
//! - With a [`SecretSource`](crate::SecretSource) the secret is fetched by
//!   the token request's task, only when a grant is needed, and kept for
//!   the next one [a password manager would otherwise prompt on every run].
//! - The token endpoint's answer is read up to the answer limit and no
//!   further [a misbehaving endpoint could otherwise exhaust memory].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use oauth2::basic::BasicTokenType;
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RequestTokenError,
    StandardRevocableToken, TokenUrl,
};
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::error::{AuthError, AuthErrorKind};
use crate::outside::{self, Busy, Credential};
use crate::retry::{self, RetryPolicy};
use crate::token_store::{StoreLock, StoredToken, TokenKey, TokenStore};

/// What a [`TokenCache`] needs besides the identity and the HTTP client.
pub(crate) struct Settings {
    /// The timeout of each token request.
    pub(crate) timeout: Duration,
    /// How often a failed token request is repeated.
    pub(crate) retry: RetryPolicy,
    /// Where tokens outlive the process, if anywhere.
    pub(crate) store: Option<Arc<dyn TokenStore>>,
    /// The longest one store call may take.
    pub(crate) store_timeout: Duration,
    /// The most of an answer read, in bytes.
    pub(crate) answer_limit: u64,
}

/// Lifetime assumed when KORE's answer says nothing usable about expiry
/// (no `expires_in`, no JWT `exp`): short enough that a wrong guess costs one
/// early refresh, not a failed request.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(300);
/// Upper bound on any lifetime we believe, so that an absurd `expires_in`
/// cannot pin a token (or overflow `Instant` arithmetic).
const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// Minimum refresh-ahead margin.
const MIN_MARGIN: Duration = Duration::from_secs(60);
/// How long to wait before trying again after a failed refresh while the
/// old token is still valid.
const REFRESH_RETRY_DELAY: Duration = Duration::from_secs(5);
/// The first back-off after a rejected grant; it doubles per rejection.
const REJECTION_BACKOFF_START: Duration = Duration::from_secs(1);
/// The longest back-off after rejected grants.
const REJECTION_BACKOFF_MAX: Duration = Duration::from_secs(30);
/// The most of a response body quoted in an error.
const EXCERPT_LIMIT: usize = 300;

/// An access token in the cache.
pub struct Token {
    header: HeaderValue,
    expires_at: Instant,
    refresh_at: Instant,
    /// Wall-clock request start and expiry, as a store keeps them; `None`
    /// when KORE stated no lifetime (such a token is never stored).
    stored_times: Option<(SystemTime, SystemTime)>,
    expires_at_wall: SystemTime,
}

impl Token {
    /// The ready-made `Authorization: Bearer …` value, marked sensitive.
    /// Cloning it shares the bytes; no secret is copied per request.
    pub fn header(&self) -> &HeaderValue {
        &self.header
    }

    /// When KORE stops accepting this token (as far as we know).
    pub fn expires_at(&self) -> std::time::Instant {
        self.expires_at.into_std()
    }

    /// When KORE stops accepting this token, on the wall clock (for
    /// showing it, e.g. as RFC 3339).
    pub fn expires_at_wall(&self) -> SystemTime {
        self.expires_at_wall
    }

    /// The access token itself, for handing to another tool (`kore auth
    /// token`). Never log it.
    pub fn access_token(&self) -> &str {
        self.header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default()
    }

    /// Rebuilds a token a store kept, if it has more than the refresh
    /// margin left at `now`.
    fn from_stored(stored: &StoredToken, now: SystemTime) -> Option<Self> {
        let lifetime = stored
            .expires_at()
            .duration_since(stored.obtained_at())
            .ok()?
            .min(MAX_LIFETIME);
        let remaining = stored.expires_at().duration_since(now).ok()?.min(lifetime);
        let margin = refresh_margin(lifetime);
        if remaining <= margin {
            return None;
        }
        let mut header =
            HeaderValue::from_str(&format!("Bearer {}", stored.access_token().expose_secret()))
                .ok()?;
        header.set_sensitive(true);
        let expires_at = Instant::now() + remaining;
        Some(Self {
            header,
            expires_at,
            refresh_at: expires_at - margin,
            stored_times: None,
            expires_at_wall: now + remaining,
        })
    }

    fn is_fresh(&self, now: Instant) -> bool {
        now < self.refresh_at
    }

    fn is_valid(&self, now: Instant) -> bool {
        now < self.expires_at
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let now = Instant::now();
        f.debug_struct("Token")
            .field("value", &"[redacted]")
            .field(
                "expires_in",
                &self.expires_at.saturating_duration_since(now),
            )
            .field(
                "refresh_in",
                &self.refresh_at.saturating_duration_since(now),
            )
            .finish()
    }
}

/// KORE's token response. `expires_in` is accepted as a number or a numeric
/// string (KORE's auth guide shows `"3600"`, which oauth2's stock response
/// type rejects); anything else reads as "unknown" rather than failing.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KoreTokenResponse {
    access_token: oauth2::AccessToken,
    #[serde(default = "default_token_type")]
    token_type: BasicTokenType,
    #[serde(
        default,
        deserialize_with = "lenient_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

fn default_token_type() -> BasicTokenType {
    BasicTokenType::Bearer
}

fn lenient_seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        }),
        serde_json::Value::String(s) => {
            let s = s.trim();
            s.parse::<u64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            })
        }
        _ => None,
    })
}

impl oauth2::TokenResponse for KoreTokenResponse {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &oauth2::AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&oauth2::RefreshToken> {
        None
    }
    fn scopes(&self) -> Option<&Vec<oauth2::Scope>> {
        None
    }
}

/// A token endpoint's error body: RFC 6749's `{error, error_description}` or
/// KORE's `{code, message}` (its token spec's shape). At least one of
/// `error`, `code` or `message` must be there, so that an arbitrary JSON
/// object is not mistaken for a refusal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "TokenErrorFields")]
pub struct TokenErrorBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

#[derive(Deserialize)]
struct TokenErrorFields {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

impl TryFrom<TokenErrorFields> for TokenErrorBody {
    type Error = &'static str;

    fn try_from(f: TokenErrorFields) -> Result<Self, Self::Error> {
        let code = f.code.filter(|c| c.is_number() || c.is_string());
        if f.error.is_none() && code.is_none() && f.message.is_none() {
            return Err("neither `error`, `code` nor `message`");
        }
        Ok(Self {
            error: f.error,
            error_description: f.error_description,
            code,
            message: f.message,
        })
    }
}

impl TokenErrorBody {
    /// The error code: OAuth2's `error`, else KORE's `code` as text.
    fn code(&self) -> Option<String> {
        self.error.clone().or_else(|| {
            self.code.as_ref().map(|c| match c {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        })
    }

    /// The explanation: `error_description`, else `message`.
    fn description(&self) -> Option<&str> {
        self.error_description
            .as_deref()
            .or(self.message.as_deref())
            .filter(|d| !d.trim().is_empty())
    }
}

impl fmt::Display for TokenErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code().as_deref().unwrap_or("error"))?;
        if let Some(description) = self.description() {
            write!(f, ": {description}")?;
        }
        Ok(())
    }
}

impl oauth2::ErrorResponse for TokenErrorBody {}

type OAuthClient = oauth2::Client<
    TokenErrorBody,
    KoreTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What waiters of one token request receive: nothing yet, then its outcome.
type Published = Option<Result<Arc<Token>, AuthError>>;

#[derive(Default)]
struct State {
    token: Option<Arc<Token>>,
    /// The token request in flight, if any: its outcome appears here.
    in_flight: Option<watch::Receiver<Published>>,
    /// After a failed refresh with a still-valid token: no new attempt before this.
    retry_refresh_at: Option<Instant>,
    /// The last rejected grant, returned without a new request until `until`.
    rejection: Option<Rejection>,
    /// The token was dropped (a 401, `invalidate`): the next request forgets
    /// it in the store instead of reading it back.
    forget_stored: bool,
}

struct Rejection {
    error: AuthError,
    until: Instant,
    backoff: Duration,
}

/// The shared, self-refreshing token store. See the module docs for its
/// invariants. Cheap to clone; clones share the token.
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<Inner>,
}

struct Inner {
    client_id: String,
    secret: Credential,
    token_url: String,
    token_uri: TokenUrl,
    http: reqwest::Client,
    settings: Settings,
    state: RwLock<State>,
    grants: AtomicU64,
    /// Set while a store call runs (and stays set while one that outlived
    /// its limit still does).
    store_busy: Busy,
    key: TokenKey,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.read().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("TokenCache")
            .field("token_url", &self.inner.token_url)
            .field("client_id", &self.inner.client_id)
            .field("client_secret", &"[redacted]")
            .field("token", &state.token)
            .field("refreshing", &state.in_flight.is_some())
            .finish()
    }
}

impl TokenCache {
    /// A cache for `client_id` and `secret` at `token_url`. `http` must not
    /// follow redirects from `token_url` (it may be the API's client, so that
    /// both share connections).
    pub(crate) fn new(
        client_id: String,
        secret: Credential,
        token_url: &str,
        http: reqwest::Client,
        settings: Settings,
    ) -> Result<Self, String> {
        let token_uri = TokenUrl::new(token_url.to_owned())
            .map_err(|e| format!("invalid token URL {token_url}: {e}"))?;
        let key = match &secret {
            Credential::Given(secret) => TokenKey::new(token_url, &client_id, secret),
            Credential::Source { source, .. } => {
                TokenKey::bound_to(token_url, &client_id, source.binding())
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                key,
                client_id,
                secret,
                token_url: token_url.to_owned(),
                token_uri,
                http,
                settings,
                state: RwLock::new(State::default()),
                grants: AtomicU64::new(0),
                store_busy: Busy::default(),
            }),
        })
    }

    /// The fingerprint under which a [`TokenStore`] keeps this identity's token.
    pub fn store_key(&self) -> &TokenKey {
        &self.inner.key
    }

    /// The client id (not a secret).
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The token endpoint URL.
    pub fn token_url(&self) -> &str {
        &self.inner.token_url
    }

    /// How many tokens this cache has obtained.
    pub fn grants(&self) -> u64 {
        self.inner.grants.load(Ordering::Relaxed)
    }

    /// A token to send now.
    ///
    /// The cached one while fresh (no allocation, no waiting). Near expiry,
    /// the cached one while a refresh runs in the background. Without a
    /// valid token, the outcome of the one token request in flight (started
    /// here if none is). Dropping the returned future never cancels that
    /// request: its token is cached for the next caller.
    pub async fn bearer(&self) -> Result<Arc<Token>, AuthError> {
        match self.bearer_now() {
            Ok(token) => Ok(token),
            Err(wait) => wait.outcome().await,
        }
    }

    /// [`bearer`](Self::bearer) up to the point where it would wait: the
    /// token to send now, or what to wait for. Every request calls this, so
    /// that a cached token reaches it without a future being created.
    pub(crate) fn bearer_now(&self) -> Result<Arc<Token>, Wait> {
        {
            let state = self.inner.state.read().unwrap_or_else(|e| e.into_inner());
            if let Some(token) = state.token.as_ref().filter(|t| t.is_fresh(Instant::now())) {
                return Ok(token.clone());
            }
        }
        self.token_or_request()
    }

    /// Under the state lock: a token to use now, a cached rejection, or the
    /// token request to wait for (starting one if none runs).
    fn token_or_request(&self) -> Result<Arc<Token>, Wait> {
        let mut state = self.inner.state.write().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some(token) = state.token.as_ref().filter(|t| t.is_fresh(now)) {
            return Ok(token.clone());
        }
        let valid = state.token.clone().filter(|t| t.is_valid(now));
        // A request whose task ended without publishing (its runtime shut
        // down) is not in flight any more: the next caller starts another.
        if state
            .in_flight
            .as_ref()
            .is_some_and(|o| o.has_changed().is_err() && o.borrow().is_none())
        {
            state.in_flight = None;
        }
        if let Some(outcome) = &state.in_flight {
            return valid.ok_or_else(|| Wait::For(outcome.clone(), self.clone()));
        }
        if let Some(rejection) = state.rejection.as_ref().filter(|r| now < r.until) {
            return valid.ok_or_else(|| Wait::Failed(rejection.error.clone()));
        }
        if let Some(token) = &valid
            && state.retry_refresh_at.is_some_and(|at| now < at)
        {
            return Ok(token.clone());
        }
        let outcome = self.start_request(&mut state);
        valid.ok_or_else(|| Wait::For(outcome, self.clone()))
    }

    /// Spawns the token request; its outcome is stored and published by the
    /// task itself, so nobody's cancellation can lose it.
    fn start_request(&self, state: &mut State) -> watch::Receiver<Published> {
        let (publish, outcome) = watch::channel(None);
        let inner = self.inner.clone();
        let forget_stored = std::mem::take(&mut state.forget_stored);
        let span = tracing::debug_span!("kore.token", grants = tracing::field::Empty);
        tokio::spawn(
            async move {
                let result = inner.obtain(forget_stored).await;
                let published = inner.store(result);
                // Nobody waiting is fine: the outcome is cached.
                let _ = publish.send(Some(published));
            }
            .instrument(span),
        );
        // Recorded after the spawn succeeded; the task's `store` cannot run
        // before this, as it needs the lock this caller holds.
        state.in_flight = Some(outcome.clone());
        outcome
    }

    /// Forgets the cached token and any cached rejection: the next call
    /// requests a new token at once (e.g. after the credentials were fixed
    /// in KORE's console), and that request also forgets the token a
    /// [`TokenStore`] holds for this identity instead of reading it back.
    /// A token request already running is not affected.
    pub fn invalidate(&self) {
        let mut state = self.inner.state.write().unwrap_or_else(|e| e.into_inner());
        state.token = None;
        state.retry_refresh_at = None;
        state.rejection = None;
        state.forget_stored = true;
    }

    /// Forgets `used` if it is still the cached token (the API answered 401 to it).
    pub(crate) fn invalidate_token(&self, used: &HeaderValue) {
        let mut state = self.inner.state.write().unwrap_or_else(|e| e.into_inner());
        if state.token.as_ref().is_some_and(|t| t.header == *used) {
            state.token = None;
            state.retry_refresh_at = None;
            state.forget_stored = true;
        }
    }

    /// Removes the client secret (a misbehaving endpoint could echo the form
    /// body back) and the access token of `used`, the
    /// `Authorization` value the answered request carried (a gateway could
    /// echo a token it rejects).
    pub(crate) fn scrub_without(&self, text: &str, used: Option<&HeaderValue>) -> String {
        let text = self.inner.scrub(text);
        match used
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
        {
            Some(token) => scrub_secret(&text, token),
            None => text,
        }
    }

    /// A bounded excerpt of `body` with [`Self::scrub_without`] applied.
    pub(crate) fn excerpt_without(&self, body: &[u8], used: Option<&HeaderValue>) -> String {
        excerpt(body, EXCERPT_LIMIT, |text| self.scrub_without(text, used))
    }

    /// The `Authorization` value of the cached token, if any: what a request
    /// answered with success carried, unless a refresh replaced it since.
    pub(crate) fn current_header(&self) -> Option<HeaderValue> {
        let state = self.inner.state.read().unwrap_or_else(|e| e.into_inner());
        state.token.as_ref().map(|t| t.header.clone())
    }
}

/// Why [`TokenCache::bearer_now`] has no token at hand.
pub(crate) enum Wait {
    Failed(AuthError),
    /// The token request to wait for, and the cache to ask again should that
    /// request be abandoned.
    For(watch::Receiver<Published>, TokenCache),
}

/// How many abandoned token requests a waiter replaces before it gives up.
/// Each replacement is a new request on the waiter's own runtime; the bound
/// keeps a caller on a runtime that is itself shutting down from spinning.
const ABANDONED_REQUESTS_REPLACED: usize = 3;

impl Wait {
    /// The token (or the error) once the token request being waited for
    /// publishes its outcome.
    ///
    /// A request whose runtime shut down ends without publishing; its
    /// waiters then start a new one (the runtime that ran it drops it in the
    /// background, so a caller may have started waiting on it just before).
    pub(crate) async fn outcome(self) -> Result<Arc<Token>, AuthError> {
        let (mut outcome, cache) = match self {
            Wait::Failed(error) => return Err(error),
            Wait::For(outcome, cache) => (outcome, cache),
        };
        let mut replaced = 0;
        loop {
            if let Ok(published) = outcome.wait_for(Option::is_some).await {
                return published.clone().expect("waited for a published outcome");
            }
            if replaced == ABANDONED_REQUESTS_REPLACED {
                return Err(
                    AuthError::new(AuthErrorKind::Unreachable).with_description(Some(
                        "the token request was abandoned (the async runtime is shutting down)"
                            .into(),
                    )),
                );
            }
            replaced += 1;
            outcome = match cache.token_or_request() {
                Ok(token) => return Ok(token),
                Err(Wait::Failed(error)) => return Err(error),
                Err(Wait::For(next, _)) => next,
            };
        }
    }
}

/// One failed token request, and whether (and when) it may be repeated.
struct Failure {
    error: AuthError,
    transient: bool,
    retry_after: Option<Duration>,
}

impl Inner {
    /// Records a finished token request and says what its waiters get.
    fn store(&self, result: Result<Token, AuthError>) -> Result<Arc<Token>, AuthError> {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        state.in_flight = None;
        let now = Instant::now();
        match result {
            Ok(token) => {
                let token = Arc::new(token);
                state.token = Some(token.clone());
                state.retry_refresh_at = None;
                state.rejection = None;
                Ok(token)
            }
            Err(error) => {
                if error.kind() == AuthErrorKind::Rejected {
                    // A source may have a new secret by the next request.
                    self.secret.rejected();
                    let backoff = state
                        .rejection
                        .as_ref()
                        .map_or(REJECTION_BACKOFF_START, |r| {
                            (r.backoff * 2).min(REJECTION_BACKOFF_MAX)
                        });
                    state.rejection = Some(Rejection {
                        error: error.clone(),
                        until: now + backoff,
                        backoff,
                    });
                }
                match state.token.clone().filter(|t| t.is_valid(now)) {
                    Some(old) => {
                        tracing::warn!(
                            error = %error,
                            "token refresh failed; the current token is still valid and keeps serving"
                        );
                        state.retry_refresh_at = Some(now + REFRESH_RETRY_DELAY);
                        Ok(old)
                    }
                    None => Err(error),
                }
            }
        }
    }

    /// A token from the store if it holds a fresh one, else from a grant,
    /// which is then saved. The store's lock is held from the load to the
    /// save, so processes sharing the store make one grant between them.
    /// (Saved before the waiters get it: a process that exits once it has
    /// its answer must not lose the save.)
    async fn obtain(&self, forget_stored: bool) -> Result<Token, AuthError> {
        let opened = self
            .with_store("lock and load", move |store, key| {
                let lock = store.lock(key)?;
                if forget_stored {
                    if let Err(error) = store.forget(key) {
                        tracing::debug!(%error, "token store: could not forget the rejected token");
                    }
                    return Ok((lock, None));
                }
                match store.load(key) {
                    Ok(loaded) => Ok((lock, loaded)),
                    Err(error) => {
                        tracing::debug!(%error, "token store: could not load a token");
                        Ok((lock, None))
                    }
                }
            })
            .await;
        let Some((lock, loaded)) = opened else {
            return self.fetch_with_retries().await;
        };
        if let Some(token) = loaded.and_then(|s| Token::from_stored(&s, SystemTime::now())) {
            tracing::debug!("token store: using a stored token");
            return Ok(token);
        }
        let token = self.fetch_with_retries().await?;
        if let Some((obtained_at, expires_at)) = token.stored_times {
            let stored = StoredToken::new(
                SecretString::from(token.access_token().to_owned()),
                obtained_at,
                expires_at,
            );
            self.with_store("save", move |store, key| {
                let _lock: StoreLock = lock;
                store.save(key, &stored)
            })
            .await;
        }
        Ok(token)
    }

    /// Runs `work` with the store, bounded by the store timeout: `None`
    /// (logged at DEBUG) when there is no store, it failed, it did not
    /// return in time, or an earlier call that outlived its limit still
    /// runs. The SDK then goes on as if there were no store.
    async fn with_store<T: Send + 'static>(
        &self,
        what: &'static str,
        work: impl FnOnce(&dyn TokenStore, &TokenKey) -> std::io::Result<T> + Send + 'static,
    ) -> Option<T> {
        let store = self.settings.store.clone()?;
        let Some(running) = self.store_busy.enter() else {
            tracing::debug!(
                what,
                "token store: not used (an earlier call has not returned)"
            );
            return None;
        };
        let key = self.key.clone();
        let limit = self.settings.store_timeout;
        let done = outside::bounded("kore-token-store", limit, move || {
            let _running = running;
            work(store.as_ref(), &key)
        })
        .await;
        match done {
            Ok(Ok(value)) => Some(value),
            Ok(Err(error)) => {
                tracing::debug!(%error, what, "token store: failed; going on without it");
                None
            }
            Err(error) => {
                tracing::debug!(%error, what, "token store: going on without it");
                None
            }
        }
    }

    /// Requests a token, repeating transient failures as the retry policy
    /// allows (like an idempotent GET).
    async fn fetch_with_retries(&self) -> Result<Token, AuthError> {
        let mut retries = 0;
        loop {
            let failure = match self.fetch().await {
                Ok(token) => return Ok(token),
                Err(failure) => failure,
            };
            if !failure.transient || retries + 1 >= self.settings.retry.attempts() {
                return Err(failure.error);
            }
            retries += 1;
            let delay = match failure.retry_after {
                Some(asked) => match self.settings.retry.server_delay(asked) {
                    Some(delay) => delay,
                    None => return Err(failure.error),
                },
                None => self.settings.retry.backoff(retries),
            };
            tracing::debug!(
                error = %failure.error,
                delay_ms = delay.as_millis() as u64,
                "retrying the token request"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn fetch(&self) -> Result<Token, Failure> {
        let secret = self.secret.get().await.map_err(|source| Failure {
            error: AuthError::new(AuthErrorKind::SecretUnavailable).with_boxed_source(source),
            transient: false,
            retry_after: None,
        })?;
        let oauth: OAuthClient = oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(self.token_uri.clone());
        // oauth2 keeps the status and headers of a failed exchange to itself;
        // the HTTP closure records what errors need.
        let seen: Arc<Mutex<(Option<StatusCode>, Option<Duration>)>> = Arc::default();
        let (timeout, limit) = (self.settings.timeout, self.settings.answer_limit);
        let send = |request: oauth2::HttpRequest| {
            let http = self.http.clone();
            let seen = seen.clone();
            async move {
                let mut request = reqwest::Request::try_from(request)?;
                // The client may be the API's, whose timeout is the API's.
                *request.timeout_mut() = Some(timeout);
                let response = http.execute(request).await?;
                *seen.lock().unwrap_or_else(|e| e.into_inner()) = (
                    Some(response.status()),
                    retry::retry_after(response.headers()),
                );
                let mut builder = http::Response::builder().status(response.status());
                if let Some(headers) = builder.headers_mut() {
                    *headers = response.headers().clone();
                }
                let body = crate::limit::bounded(response, limit).bytes().await?;
                Ok::<_, reqwest::Error>(
                    builder
                        .body(Vec::from(body))
                        .expect("status and headers come from a valid response"),
                )
            }
        };
        let started = Instant::now();
        let started_wall = SystemTime::now();
        let result = oauth
            .exchange_client_credentials()
            .request_async(&send)
            .await;
        let (status, retry_after) = *seen.lock().unwrap_or_else(|e| e.into_inner());
        let response = result.map_err(|e| {
            let error = self.describe(e, status);
            Failure {
                // A refused certificate is refused again on the next handshake.
                transient: matches!(
                    error.kind(),
                    AuthErrorKind::Unreachable | AuthErrorKind::Unavailable
                ) && error.certificate().is_none()
                    && !error.is_proxy_refusal(),
                error,
                retry_after,
            }
        })?;
        let invalid = |what: &str| Failure {
            error: AuthError::new(AuthErrorKind::InvalidResponse)
                .with_status(status)
                .with_error(None, Some(what.to_owned())),
            transient: false,
            retry_after: None,
        };

        let secret = response.access_token.secret();
        if secret.is_empty() {
            return Err(invalid("the access_token is empty"));
        }
        let mut header = HeaderValue::from_str(&format!("Bearer {secret}"))
            .map_err(|_| invalid("the access_token has characters not allowed in a header"))?;
        header.set_sensitive(true);
        let grants = self.grants.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::Span::current().record("grants", grants);

        let stated = stated_lifetime(response.expires_in, secret, started_wall);
        let lifetime = stated.unwrap_or(FALLBACK_LIFETIME).min(MAX_LIFETIME);
        let expires_at = started + lifetime;
        tracing::debug!(
            lifetime_secs = lifetime.as_secs(),
            "obtained an access token"
        );
        Ok(Token {
            header,
            expires_at,
            refresh_at: expires_at - refresh_margin(lifetime),
            stored_times: stated.map(|_| (started_wall, started_wall + lifetime)),
            expires_at_wall: started_wall + lifetime,
        })
    }

    fn describe(
        &self,
        error: RequestTokenError<reqwest::Error, TokenErrorBody>,
        status: Option<StatusCode>,
    ) -> AuthError {
        // 408, 429 and 5xx say "not now", not "not you": retryable, and not
        // a reason to doubt the credentials.
        let transient = status.is_some_and(|s| {
            s.is_server_error()
                || s == StatusCode::TOO_MANY_REQUESTS
                || s == StatusCode::REQUEST_TIMEOUT
        });
        // A refusal of the grant itself, in either error shape.
        let refusal = matches!(status.map(|s| s.as_u16()), Some(400 | 401 | 403));
        match error {
            RequestTokenError::ServerResponse(body) => {
                let kind = if transient {
                    AuthErrorKind::Unavailable
                } else if refusal {
                    AuthErrorKind::Rejected
                } else {
                    // A 404 or 405 with an error body: not a token endpoint.
                    AuthErrorKind::InvalidResponse
                };
                AuthError::new(kind)
                    .with_status(status)
                    .with_error(body.code(), body.description().map(|d| self.scrub(d)))
            }
            RequestTokenError::Request(e) => match crate::limit::too_large(&e) {
                // Quoted only when it is not a success: a success body holds the token.
                Some(too_large) => AuthError::new(AuthErrorKind::AnswerTooLarge)
                    .with_status(status)
                    .with_error(
                        None,
                        Some(if status.is_some_and(|s| s.is_success()) {
                            too_large.to_string()
                        } else {
                            format!(
                                "{too_large}; it starts: {}",
                                excerpt(&too_large.head, EXCERPT_LIMIT, |t| self.scrub(t))
                            )
                        }),
                    ),
                None => AuthError::new(AuthErrorKind::Unreachable).with_source(e),
            },
            RequestTokenError::Parse(e, body) => {
                let kind = match status {
                    _ if transient => AuthErrorKind::Unavailable,
                    Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                        AuthErrorKind::Rejected
                    }
                    _ => AuthErrorKind::InvalidResponse,
                };
                // Where the decoder stopped, but not what it saw: serde's
                // messages quote values, and a success body holds the token.
                let inner = e.inner();
                let mut what = format!(
                    "{:?} error at `{}` (line {}, column {})",
                    inner.classify(),
                    e.path(),
                    inner.line(),
                    inner.column()
                );
                if !status.is_some_and(|s| s.is_success()) {
                    what.push_str(&format!(
                        "; body starts: {}",
                        excerpt(&body, EXCERPT_LIMIT, |t| self.scrub(t))
                    ));
                }
                AuthError::new(kind)
                    .with_status(status)
                    .with_error(None, Some(what))
            }
            RequestTokenError::Other(message) => AuthError::new(if transient {
                AuthErrorKind::Unavailable
            } else if refusal {
                AuthErrorKind::Rejected
            } else {
                AuthErrorKind::InvalidResponse
            })
            .with_status(status)
            .with_error(None, Some(self.scrub(&message))),
        }
    }

    fn scrub(&self, text: &str) -> String {
        match self.secret.known() {
            Some(secret) => scrub_secret(text, secret.expose_secret()),
            None => text.to_owned(),
        }
    }
}

/// Replaces every occurrence of `secret` (and its form-encoded spelling) in `text`.
pub(crate) fn scrub_secret(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    let encoded: String = url_encode(secret);
    let mut out = text.replace(secret, "[redacted]");
    if encoded != secret {
        out = out.replace(&encoded, "[redacted]");
    }
    out
}

fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// The first `limit` characters of `body` as text, whitespace collapsed,
/// with `scrub` applied before truncating (so a secret cut in half by the
/// limit cannot leave its first half behind). Reads the first
/// `limit` × 4 + 1024 bytes at most (room for `limit` characters of up to 4
/// bytes, and for blanks and a secret straddling the cut) and marks what it
/// leaves out with "…".
pub(crate) fn excerpt(body: &[u8], limit: usize, scrub: impl Fn(&str) -> String) -> String {
    let prefix = &body[..body.len().min(limit * 4 + 1024)];
    let text = scrub(&String::from_utf8_lossy(prefix));
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = collapsed.chars().take(limit).collect();
    if collapsed.chars().count() > limit || prefix.len() < body.len() {
        out.push('…');
    }
    out
}

/// How long a token lives: `expires_in` if KORE sent a usable one, else the
/// JWT's `exp` claim, else 5 minutes; never above 7 days.
pub fn token_lifetime(expires_in: Option<u64>, access_token: &str, now: SystemTime) -> Duration {
    stated_lifetime(expires_in, access_token, now)
        .unwrap_or(FALLBACK_LIFETIME)
        .min(MAX_LIFETIME)
}

/// The lifetime KORE stated: `expires_in`, else the JWT's `exp`; `None`
/// when it said nothing usable (such a token is never stored).
fn stated_lifetime(
    expires_in: Option<u64>,
    access_token: &str,
    now: SystemTime,
) -> Option<Duration> {
    let from_jwt = || {
        let exp = jwt_expiry(access_token)?;
        let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
        exp.checked_sub(now).filter(|s| *s > 0)
    };
    expires_in
        .filter(|s| *s > 0)
        .or_else(from_jwt)
        .map(Duration::from_secs)
}

/// The `exp` claim (seconds since the epoch) of a JWT-shaped token, if any.
pub fn jwt_expiry(token: &str) -> Option<u64> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || payload.len() > 64 * 1024 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match claims.get("exp")? {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        }),
        _ => None,
    }
}

/// Refresh this long before expiry: max(60 s, 10 % of the lifetime), at most
/// half the lifetime, plus up to 10 % jitter (still within half).
fn refresh_margin(lifetime: Duration) -> Duration {
    let base = MIN_MARGIN.max(lifetime / 10);
    let jitter_nanos = u64::try_from((base / 10).as_nanos()).unwrap_or(0);
    (base + Duration::from_nanos(fastrand::u64(0..=jitter_nanos))).min(lifetime / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            engine.encode(br#"{"alg":"none"}"#),
            engine.encode(claims.to_string())
        )
    }

    #[test]
    fn expires_in_accepts_numbers_and_numeric_strings() {
        for (body, expected) in [
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#,
                Some(3600),
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":"3600"}"#,
                Some(3600),
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":" 60 "}"#,
                Some(60),
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":3600.0}"#,
                Some(3600),
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":"3600.0"}"#,
                Some(3600),
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":"soon"}"#,
                None,
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":-5}"#,
                None,
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":-5.5}"#,
                None,
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":"-5.5"}"#,
                None,
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":"inf"}"#,
                None,
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":"NaN"}"#,
                None,
            ),
            (
                r#"{"access_token":"t","token_type":"Bearer","expires_in":null}"#,
                None,
            ),
            (r#"{"access_token":"t","token_type":"Bearer"}"#, None),
            (r#"{"access_token":"t"}"#, None),
        ] {
            let parsed: KoreTokenResponse = serde_json::from_str(body).unwrap();
            assert_eq!(parsed.expires_in, expected, "{body}");
        }
    }

    #[test]
    fn a_token_is_fresh_before_its_refresh_time_and_valid_before_its_expiry() {
        let now = Instant::now();
        let token = Token {
            header: HeaderValue::from_static("Bearer t"),
            refresh_at: now + Duration::from_secs(10),
            expires_at: now + Duration::from_secs(20),
            stored_times: None,
            expires_at_wall: SystemTime::now(),
        };
        let tick = Duration::from_nanos(1);
        assert!(token.is_fresh(now + Duration::from_secs(10) - tick));
        assert!(
            !token.is_fresh(now + Duration::from_secs(10)),
            "due at its refresh time"
        );
        assert!(token.is_valid(now + Duration::from_secs(20) - tick));
        assert!(
            !token.is_valid(now + Duration::from_secs(20)),
            "dead at its expiry"
        );
        assert!(!token.is_valid(now + Duration::from_secs(30)));
        let shown = format!("{token:?}");
        assert!(
            shown.starts_with("Token { value: \"[redacted]\", expires_in: ")
                && shown.contains("refresh_in: ")
                && !shown.contains("Bearer t"),
            "{shown}"
        );
    }

    #[test]
    fn a_stored_token_is_used_only_with_more_than_the_margin_left() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let stored = |lived: u64, left: u64| {
            StoredToken::new(
                SecretString::from("stored".to_owned()),
                now - Duration::from_secs(lived),
                now + Duration::from_secs(left),
            )
        };
        // An hour's token: the margin is 360 s plus up to 36 s of jitter.
        let token = Token::from_stored(&stored(3600 - 397, 397), now).expect("fresh enough");
        assert_eq!(token.access_token(), "stored");
        assert_eq!(token.expires_at_wall(), now + Duration::from_secs(397));
        assert!(token.stored_times.is_none(), "not saved back");
        assert!(token.header().is_sensitive());
        assert!(Token::from_stored(&stored(3600 - 359, 359), now).is_none());
        assert!(
            Token::from_stored(&stored(3600, 0), now).is_none(),
            "expired"
        );
        let expired = StoredToken::new(
            SecretString::from("stored".to_owned()),
            now - Duration::from_secs(7200),
            now - Duration::from_secs(3600),
        );
        assert!(Token::from_stored(&expired, now).is_none());
        let backwards = StoredToken::new(
            SecretString::from("stored".to_owned()),
            now + Duration::from_secs(7200),
            now + Duration::from_secs(3600),
        );
        assert!(
            Token::from_stored(&backwards, now).is_none(),
            "expiry before request"
        );
        let bad_header = StoredToken::new(
            SecretString::from("line\nbreak".to_owned()),
            now - Duration::from_secs(10),
            now + Duration::from_secs(3590),
        );
        assert!(Token::from_stored(&bad_header, now).is_none());
    }

    #[test]
    fn a_stated_lifetime_is_expires_in_or_the_jwt_exp_and_nothing_else() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            stated_lifetime(Some(60), "t", now),
            Some(Duration::from_secs(60))
        );
        let token = jwt(serde_json::json!({"exp": 1_700_000_600u64}));
        assert_eq!(
            stated_lifetime(None, &token, now),
            Some(Duration::from_secs(600))
        );
        assert_eq!(stated_lifetime(None, "opaque", now), None);
        assert_eq!(stated_lifetime(Some(0), "opaque", now), None);
    }

    #[test]
    fn token_error_bodies_read_as_code_and_explanation() {
        for (body, shown) in [
            (
                r#"{"error":"invalid_client","error_description":"Bad credentials"}"#,
                "invalid_client: Bad credentials",
            ),
            (
                r#"{"code":401,"message":"Unauthorized"}"#,
                "401: Unauthorized",
            ),
            (r#"{"code":"E42","message":" "}"#, "E42"),
            (r#"{"message":"Unauthorized"}"#, "error: Unauthorized"),
        ] {
            let parsed: TokenErrorBody = serde_json::from_str(body).unwrap();
            assert_eq!(parsed.to_string(), shown, "{body}");
        }
        assert!(serde_json::from_str::<TokenErrorBody>(r#"{"code":{"x":1}}"#).is_err());
    }

    #[test]
    fn lifetime_falls_back_to_jwt_exp_then_a_default() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let token = jwt(serde_json::json!({"exp": 1_700_000_600u64}));
        assert_eq!(
            token_lifetime(Some(3600), &token, now),
            Duration::from_secs(3600)
        );
        assert_eq!(token_lifetime(None, &token, now), Duration::from_secs(600));
        assert_eq!(
            token_lifetime(Some(0), &token, now),
            Duration::from_secs(600)
        );
        let expiring_now = jwt(serde_json::json!({"exp": 1_700_000_000u64}));
        assert_eq!(token_lifetime(None, &expiring_now, now), FALLBACK_LIFETIME);
        let expired = jwt(serde_json::json!({"exp": 1_600_000_000u64}));
        assert_eq!(token_lifetime(None, &expired, now), FALLBACK_LIFETIME);
        assert_eq!(token_lifetime(None, "opaque-token", now), FALLBACK_LIFETIME);
        assert_eq!(token_lifetime(Some(u64::MAX), "t", now), MAX_LIFETIME);
    }

    #[test]
    fn jwt_expiry_reads_only_well_formed_claims() {
        assert_eq!(jwt_expiry(&jwt(serde_json::json!({"exp": 42}))), Some(42));
        assert_eq!(jwt_expiry(&jwt(serde_json::json!({"exp": "42"}))), None);
        assert_eq!(jwt_expiry(&jwt(serde_json::json!({"sub": "x"}))), None);
        assert_eq!(jwt_expiry("a.b"), None);
        assert_eq!(jwt_expiry("a.!!!.c"), None);
        assert_eq!(jwt_expiry("a.b.c.d"), None);
        let valid = jwt(serde_json::json!({"exp": 42}));
        assert_eq!(jwt_expiry(&format!("{valid}.extra")), None, "four parts");
        let padded = |n: usize| jwt(serde_json::json!({"exp": 42, "pad": "x".repeat(n)}));
        assert_eq!(jwt_expiry(&padded(40_000)), Some(42));
        assert_eq!(
            jwt_expiry(&padded(60_000)),
            None,
            "a payload over 64 KiB is not read"
        );
        // 49,152 bytes of claims are exactly 65,536 characters of base64.
        let claims = |pad: usize| serde_json::json!({"exp": 42, "pad": "x".repeat(pad)});
        assert_eq!(claims(49_133).to_string().len(), 49_152);
        assert_eq!(jwt_expiry(&jwt(claims(49_133))), Some(42), "64 KiB exactly");
        assert_eq!(jwt_expiry(&jwt(claims(49_134))), None);
    }

    #[test]
    fn refresh_margin_is_at_least_a_minute_and_at_most_half_the_lifetime() {
        for _ in 0..100 {
            let hour = refresh_margin(Duration::from_secs(3600));
            assert!(
                hour >= Duration::from_secs(360) && hour <= Duration::from_secs(396),
                "{hour:?}"
            );
            let ten_min = refresh_margin(Duration::from_secs(600));
            assert!(
                ten_min >= MIN_MARGIN && ten_min <= Duration::from_secs(66),
                "{ten_min:?}"
            );
            let short = refresh_margin(Duration::from_secs(30));
            assert!(short <= Duration::from_secs(15), "{short:?}");
        }
    }

    #[test]
    fn scrub_removes_plain_and_form_encoded_secrets() {
        let secret = "s3cr3t+/= value";
        assert_eq!(url_encode(secret), "s3cr3t%2B%2F%3D+value");
        let text = format!("client_secret=s3cr3t%2B%2F%3D+value and {secret}");
        let scrubbed = scrub_secret(&text, secret);
        assert_eq!(scrubbed, "client_secret=[redacted] and [redacted]");
    }

    #[test]
    fn an_excerpt_says_when_it_leaves_something_out() {
        let same = |t: &str| t.to_owned();
        assert_eq!(excerpt(b"abc", 3, same), "abc");
        assert_eq!(excerpt(b"abcd", 3, same), "abc\u{2026}");
        assert_eq!(excerpt(b"a  b\n\tc", 5, same), "a b c");
        // At most `limit` x 4 + 1024 bytes are read: here 1064, of which
        // 1063 are blanks, so only "a" of "ab" is read, and the rest is
        // marked as left out although the text is short.
        let body = format!("{}ab", " ".repeat(1063));
        assert_eq!(excerpt(body.as_bytes(), 10, same), "a\u{2026}");
    }

    #[test]
    fn excerpt_is_bounded() {
        let body = "<html>\n  <body>502   Bad Gateway</body></html>".repeat(50);
        let short = excerpt(body.as_bytes(), 40, str::to_owned);
        assert_eq!(short.chars().count(), 41);
        assert!(short.starts_with("<html> <body>502 Bad Gateway"));
        let secret = "s3cr3t-value";
        let body = format!("{}{secret}", "x".repeat(36));
        let cut = excerpt(body.as_bytes(), 40, |t| scrub_secret(t, secret));
        assert!(!cut.contains("s3cr"), "{cut}");
    }
}
