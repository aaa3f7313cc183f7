//! OAuth2 client-credentials tokens: fetched once, shared, refreshed ahead of expiry.
//!
//! Invariants of [`TokenCache`] (the race each one prevents in brackets):
//! - At most one token request is in flight per cache; every caller that
//!   needs a token while it runs waits for that one result [a thousand
//!   concurrent first calls would otherwise stampede the token endpoint].
//! - A token is refreshed `margin` before it expires, where `margin` is the
//!   larger of 60 s and 10 % of its lifetime, plus up to 10 % jitter, all
//!   capped at half the lifetime [clients started together would otherwise
//!   refresh together].
//!   During that window the old token keeps serving everyone but the one
//!   caller doing the refresh, so nobody waits on a refresh they don't need.
//! - A failed refresh while the old token is still valid is not an error:
//!   the old token keeps serving, and the next refresh is tried a few
//!   seconds later [a token-endpoint blip would otherwise fail requests that
//!   had a perfectly good token].
//! - [`TokenCache::invalidate`] drops a token only if it is still the cached
//!   one [a late 401 for an old token would otherwise throw away the new
//!   token another task just fetched].
//! - Token requests carry the credentials in the form body (KORE documents
//!   no HTTP Basic), go over a client that never follows redirects [a
//!   redirect would replay the secret to another URL], and no secret or
//!   token ever reaches `Debug`, `Display`, an error or a log line.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use oauth2::basic::{BasicErrorResponse, BasicTokenType};
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RequestTokenError,
    StandardRevocableToken, TokenUrl,
};
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{AuthError, AuthErrorKind};

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
/// The most of a response body quoted in an error.
const EXCERPT_LIMIT: usize = 300;

/// An access token in the cache.
pub struct Token {
    header: HeaderValue,
    expires_at: Instant,
    refresh_at: Instant,
}

impl Token {
    /// The ready-made `Authorization: Bearer …` value, marked sensitive.
    /// Cloning it shares the bytes; no secret is copied per request.
    pub fn header(&self) -> &HeaderValue {
        &self.header
    }

    /// When KORE stops accepting this token (as far as we know).
    pub fn expires_at(&self) -> Instant {
        self.expires_at
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

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
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

#[derive(Default)]
struct State {
    token: Option<Arc<Token>>,
    /// After a failed refresh with a still-valid token: no new attempt before this.
    retry_refresh_at: Option<Instant>,
    /// Token requests completed so far, successful or not. A caller that
    /// waited for the refresh lock compares it with the value it saw before
    /// waiting: if it moved, the attempt it waited for is its answer.
    fetches: u64,
    /// How the most recent token request failed, if it did.
    last_error: Option<AuthError>,
}

/// The shared, self-refreshing token store. See the module docs for its invariants.
pub struct TokenCache {
    client_id: String,
    client_secret: SecretString,
    token_url: String,
    oauth: OAuthClient,
    http: reqwest::Client,
    state: RwLock<State>,
    refresh: tokio::sync::Mutex<()>,
    grants: AtomicU64,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("TokenCache")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("token", &state.token)
            .finish()
    }
}

impl TokenCache {
    /// A cache for `client_id`/`client_secret` at `token_url`. `http` must not
    /// follow redirects.
    pub(crate) fn new(
        client_id: String,
        client_secret: SecretString,
        token_url: &str,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        let url = TokenUrl::new(token_url.to_owned())
            .map_err(|e| format!("invalid token URL {token_url}: {e}"))?;
        let oauth = oauth2::Client::new(ClientId::new(client_id.clone()))
            .set_client_secret(ClientSecret::new(client_secret.expose_secret().to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(url);
        Ok(Self {
            client_id,
            client_secret,
            token_url: token_url.to_owned(),
            oauth,
            http,
            state: RwLock::new(State::default()),
            refresh: tokio::sync::Mutex::new(()),
            grants: AtomicU64::new(0),
        })
    }

    /// The client id (not a secret).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The token endpoint URL.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// How many tokens this cache has obtained.
    pub fn grants(&self) -> u64 {
        self.grants.load(Ordering::Relaxed)
    }

    /// A token to send now: the cached one while fresh, otherwise one fetched
    /// by exactly one caller while the rest wait (or keep using the old one).
    /// Callers that waited for a token request share its outcome, success
    /// or failure: a failing token endpoint sees one request, not one per
    /// waiting caller.
    pub async fn bearer(&self) -> Result<Arc<Token>, AuthError> {
        let now = Instant::now();
        let (current, seen_fetches) = {
            let state = self.state.read().unwrap_or_else(|e| e.into_inner());
            (state.token.clone(), state.fetches)
        };
        if let Some(token) = current.as_ref().filter(|t| t.is_fresh(now)) {
            return Ok(token.clone());
        }

        let still_valid = current.filter(|t| t.is_valid(now));
        let _guard = match &still_valid {
            Some(token) => {
                if self.refresh_backed_off(now) {
                    return Ok(token.clone());
                }
                match self.refresh.try_lock() {
                    Ok(guard) => guard,
                    // Someone is refreshing; the old token is still good.
                    Err(_) => return Ok(token.clone()),
                }
            }
            None => self.refresh.lock().await,
        };

        {
            let now = Instant::now();
            let state = self.state.read().unwrap_or_else(|e| e.into_inner());
            if let Some(token) = state.token.as_ref().filter(|t| t.is_fresh(now)) {
                return Ok(token.clone());
            }
            if state.fetches != seen_fetches {
                // A request completed while we waited: use its result rather
                // than asking again.
                if let Some(token) = state.token.as_ref().filter(|t| t.is_valid(now)) {
                    return Ok(token.clone());
                }
                if let Some(error) = &state.last_error {
                    return Err(error.clone());
                }
            }
        }

        let result = self.fetch().await;
        let now = Instant::now();
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        state.fetches += 1;
        match result {
            Ok(token) => {
                let token = Arc::new(token);
                state.token = Some(token.clone());
                state.retry_refresh_at = None;
                state.last_error = None;
                Ok(token)
            }
            Err(error) => {
                state.last_error = Some(error.clone());
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

    fn refresh_backed_off(&self, now: Instant) -> bool {
        self.state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .retry_refresh_at
            .is_some_and(|at| now < at)
    }

    /// Forgets `used` if it is still the cached token (the API answered 401 to it).
    pub fn invalidate(&self, used: &HeaderValue) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if state.token.as_ref().is_some_and(|t| t.header == *used) {
            state.token = None;
            state.retry_refresh_at = None;
        }
    }

    async fn fetch(&self) -> Result<Token, AuthError> {
        // oauth2 keeps the status of a failed exchange to itself; the HTTP
        // closure records it so errors can report it.
        let status: Arc<Mutex<Option<StatusCode>>> = Arc::default();
        let send = |request: oauth2::HttpRequest| {
            let http = self.http.clone();
            let status = status.clone();
            async move {
                let request = reqwest::Request::try_from(request)?;
                let response = http.execute(request).await?;
                *status.lock().unwrap_or_else(|e| e.into_inner()) = Some(response.status());
                let mut builder = http::Response::builder().status(response.status());
                if let Some(headers) = builder.headers_mut() {
                    *headers = response.headers().clone();
                }
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>(
                    builder
                        .body(body.to_vec())
                        .expect("status and headers come from a valid response"),
                )
            }
        };
        let started = Instant::now();
        let result = self
            .oauth
            .exchange_client_credentials()
            .request_async(&send)
            .await;
        let status = *status.lock().unwrap_or_else(|e| e.into_inner());
        let response = result.map_err(|e| self.describe(e, status))?;

        let secret = response.access_token.secret();
        if secret.is_empty() {
            return Err(AuthError::new(AuthErrorKind::InvalidResponse)
                .with_status(status)
                .with_error(None, Some("the access_token is empty".into())));
        }
        let mut header = HeaderValue::from_str(&format!("Bearer {secret}")).map_err(|_| {
            AuthError::new(AuthErrorKind::InvalidResponse)
                .with_status(status)
                .with_error(
                    None,
                    Some("the access_token has characters not allowed in a header".into()),
                )
        })?;
        header.set_sensitive(true);
        self.grants.fetch_add(1, Ordering::Relaxed);

        let lifetime = token_lifetime(response.expires_in, secret, SystemTime::now());
        let expires_at = started + lifetime;
        tracing::debug!(
            lifetime_secs = lifetime.as_secs(),
            "obtained an access token"
        );
        Ok(Token {
            header,
            expires_at,
            refresh_at: expires_at - refresh_margin(lifetime),
        })
    }

    fn describe(
        &self,
        error: RequestTokenError<reqwest::Error, BasicErrorResponse>,
        status: Option<StatusCode>,
    ) -> AuthError {
        // 408, 429 and 5xx say "not now", not "not you": retryable, and not
        // a reason to doubt the credentials.
        let transient = status.is_some_and(|s| {
            s.is_server_error()
                || s == StatusCode::TOO_MANY_REQUESTS
                || s == StatusCode::REQUEST_TIMEOUT
        });
        match error {
            RequestTokenError::ServerResponse(response) => {
                let kind = if transient {
                    AuthErrorKind::Unavailable
                } else {
                    AuthErrorKind::Rejected
                };
                AuthError::new(kind).with_status(status).with_error(
                    Some(response.error().as_ref().to_owned()),
                    response.error_description().map(|d| self.scrub(d)),
                )
            }
            RequestTokenError::Request(e) => {
                AuthError::new(AuthErrorKind::Unreachable).with_source(e)
            }
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
                    what.push_str(&format!("; body starts: {}", self.excerpt(&body)));
                }
                AuthError::new(kind)
                    .with_status(status)
                    .with_error(None, Some(what))
            }
            RequestTokenError::Other(message) => AuthError::new(if transient {
                AuthErrorKind::Unavailable
            } else {
                AuthErrorKind::InvalidResponse
            })
            .with_status(status)
            .with_error(None, Some(self.scrub(&message))),
        }
    }

    /// A bounded, secret-scrubbed excerpt of a body quoted in an error.
    pub(crate) fn excerpt(&self, body: &[u8]) -> String {
        self.excerpt_without(body, None)
    }

    /// Removes the client secret from text quoted from the network (a
    /// misbehaving endpoint could echo the form body back).
    pub(crate) fn scrub(&self, text: &str) -> String {
        self.scrub_without(text, None)
    }

    /// [`Self::scrub`], also removing the access token of `used`, the
    /// `Authorization` value the answered request carried (a gateway could
    /// echo a token it rejects).
    pub(crate) fn scrub_without(&self, text: &str, used: Option<&HeaderValue>) -> String {
        let text = scrub_secret(text, self.client_secret.expose_secret());
        match used
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
        {
            Some(token) => scrub_secret(&text, token),
            None => text,
        }
    }

    /// [`Self::excerpt`] with [`Self::scrub_without`].
    pub(crate) fn excerpt_without(&self, body: &[u8], used: Option<&HeaderValue>) -> String {
        excerpt(body, EXCERPT_LIMIT, |text| self.scrub_without(text, used))
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
/// limit cannot leave its first half behind). Reads a bounded prefix only.
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
    let from_jwt = || {
        let exp = jwt_expiry(access_token)?;
        let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
        exp.checked_sub(now).filter(|s| *s > 0)
    };
    expires_in
        .filter(|s| *s > 0)
        .or_else(from_jwt)
        .map(Duration::from_secs)
        .unwrap_or(FALLBACK_LIFETIME)
        .min(MAX_LIFETIME)
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
    let base = MIN_MARGIN.max(lifetime / 10).min(lifetime / 2);
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
        let secret = "s3cr3t+/=value";
        let text = format!("client_secret={} and {}", url_encode(secret), secret);
        let scrubbed = scrub_secret(&text, secret);
        assert!(!scrubbed.contains(secret) && !scrubbed.contains(&url_encode(secret)));
        assert_eq!(scrubbed, "client_secret=[redacted] and [redacted]");
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
