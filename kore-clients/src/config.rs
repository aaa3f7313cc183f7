//! Building a [`Kore`]: credentials, URLs, timeouts, retries, and what is refused.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;

use crate::auth::{self, TokenCache};
use crate::error::{Error, Result};
use crate::kore::{Kore, Shared};
use crate::outside::{Credential, SecretSource};
use crate::retry::RetryPolicy;
use crate::tls::CaSource;
use crate::token_store::TokenStore;
use crate::transport::Transport;

/// KORE's production Client API.
pub const DEFAULT_BASE_URL: &str = "https://client.api.korewireless.com";
/// KORE's production token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://api.korewireless.com/api-services/v1/auth/token";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_TOKEN_STORE_TIMEOUT: Duration = Duration::from_secs(5);
/// The default of [`KoreBuilder::max_answer_size`]: 16 MiB, a page of some
/// 30,000 clients.
pub const DEFAULT_MAX_ANSWER_SIZE: u64 = 16 * 1024 * 1024;

/// Configures and builds a [`Kore`].
///
/// ```
/// use std::time::Duration;
/// use kore_clients::{Kore, RetryPolicy, SecretString};
///
/// let kore = Kore::builder()
///     .client_id("my-client-id")
///     .client_secret(SecretString::from("my-client-secret"))
///     .timeout(Duration::from_secs(10))
///     .retry(RetryPolicy::default().max_attempts(5))
///     .build()?;
/// # Ok::<(), kore_clients::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct KoreBuilder {
    client_id: Option<String>,
    client_secret: Option<Secret>,
    base_url: Option<String>,
    token_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    token_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
    allow_insecure_http: bool,
    token_store: Option<Arc<dyn TokenStore>>,
    token_store_timeout: Option<Duration>,
    max_answer_size: Option<u64>,
    ca_certs: Vec<CaSource>,
    proxy: Option<Proxy>,
}

/// Where the client secret comes from.
#[derive(Clone)]
enum Secret {
    Given(SecretString),
    Source(Arc<dyn SecretSource>),
}

/// Which proxy requests go through.
#[derive(Clone)]
enum Proxy {
    /// This one (its URL may hold credentials: never shown).
    Url(String),
    /// None, whatever the environment says.
    Off,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proxy::Url(url) => write!(f, "Url({:?})", redact_userinfo(url)),
            Proxy::Off => f.write_str("Off"),
        }
    }
}

impl fmt::Debug for KoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field is named, so a new one cannot be added without deciding how it shows.
        let Self {
            client_id,
            client_secret,
            base_url,
            token_url,
            timeout,
            connect_timeout,
            token_timeout,
            operation_timeout,
            retry,
            user_agent,
            http,
            allow_insecure_http,
            token_store,
            token_store_timeout,
            max_answer_size,
            ca_certs,
            proxy,
        } = self;
        f.debug_struct("KoreBuilder")
            .field("client_id", client_id)
            .field(
                "client_secret",
                &client_secret.as_ref().map(|secret| match secret {
                    Secret::Given(_) => "[redacted]",
                    Secret::Source(_) => "caller's SecretSource",
                }),
            )
            .field("base_url", base_url)
            .field("token_url", token_url)
            .field("timeout", timeout)
            .field("connect_timeout", connect_timeout)
            .field("token_timeout", token_timeout)
            .field("operation_timeout", operation_timeout)
            .field("retry", retry)
            .field("user_agent", user_agent)
            .field("http", &http.as_ref().map(|_| "caller's reqwest::Client"))
            .field("allow_insecure_http", allow_insecure_http)
            .field(
                "token_store",
                &token_store.as_ref().map(|_| "caller's TokenStore"),
            )
            .field("token_store_timeout", token_store_timeout)
            .field("max_answer_size", max_answer_size)
            .field("ca_certs", ca_certs)
            .field("proxy", proxy)
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
}

impl KoreBuilder {
    setters! {
        /// The OAuth client id (required).
        client_id(client_id: impl Into<String>) => client_id = Some(client_id.into());

        /// The OAuth client secret (this or a
        /// [`client_secret_source`](Self::client_secret_source) is required).
        client_secret(client_secret: SecretString) => client_secret = Some(Secret::Given(client_secret));

        /// The Client API's base URL (default [`DEFAULT_BASE_URL`]).
        base_url(url: impl Into<String>) => base_url = Some(url.into());

        /// The token endpoint (default [`DEFAULT_TOKEN_URL`]).
        token_url(url: impl Into<String>) => token_url = Some(url.into());

        /// Timeout for each attempt of an API request (default 30 s). It is set
        /// on every request, so it also holds with [`http_client`](Self::http_client).
        timeout(timeout: Duration) => timeout = Some(timeout);

        /// Timeout for each attempt of a token request (default 10 s). Failed
        /// token requests are retried like reads, under the same
        /// [`RetryPolicy`].
        token_timeout(timeout: Duration) => token_timeout = Some(timeout);

        /// The most one call may take in all: every attempt, the back-off
        /// between them and the wait for a token. A call that reaches it fails
        /// with [`Error::OperationTimeout`]; a token request it was waiting for
        /// carries on and is cached for the next call.
        ///
        /// By default it is what the [`RetryPolicy`] can spend when every
        /// attempt times out and every wait is the longest: on the token
        /// request (with the [`token_store_timeout`](Self::token_store_timeout)
        /// and the [`SecretSource::time_limit`] before it) and then on the call
        /// itself. With the defaults: 3 × 10 s + 2 × 20 s for the token (plus
        /// 2 × 5 s with a token store: before the grant and after it), 3 × 30 s
        /// + 2 × 20 s for the call, 200 s in all; [`Kore::operation_timeout`] tells. (A call whose token
        /// KORE rejects makes one more token request and attempt, which the
        /// default does not count.)
        ///
        /// For a `list().stream()`, the limit applies to each page request.
        operation_timeout(timeout: Duration) => operation_timeout = Some(timeout);

        /// The longest one call of the [`token_store`](Self::token_store) may take
        /// (default 5 s). Past it the SDK goes on without the store, as it
        /// does for a store that fails, and asks it nothing more until that
        /// call returns; a lock the call returns late is released at once.
        token_store_timeout(timeout: Duration) => token_store_timeout = Some(timeout);

        /// The most of any one answer read, from the API or the token
        /// endpoint, in bytes (default [`DEFAULT_MAX_ANSWER_SIZE`], 16 MiB).
        /// A larger answer is not read further: the call fails with
        /// [`Error::AnswerTooLarge`] (or, from the token endpoint,
        /// [`AuthErrorKind::AnswerTooLarge`](crate::AuthErrorKind::AnswerTooLarge)),
        /// which quotes its start, and is not retried. A created client's
        /// answer past it is kept up to the limit, in
        /// [`Error::CreatedButUndecodable`].
        max_answer_size(bytes: u64) => max_answer_size = Some(bytes);

        /// Timeout for establishing a connection (default 10 s).
        connect_timeout(timeout: Duration) => connect_timeout = Some(timeout);

        /// How failed requests are retried (default [`RetryPolicy::default`]).
        retry(policy: RetryPolicy) => retry = Some(policy);

        /// The `User-Agent` sent with every request (default `kore-clients/<version>`).
        user_agent(user_agent: impl Into<String>) => user_agent = Some(user_agent.into());

        /// Sends API requests through the caller's own `reqwest::Client` (its
        /// connect timeout, proxies and TLS settings apply, its user agent
        /// replaces the builder's; the per-attempt [`timeout`](Self::timeout) and
        /// the [`operation_timeout`](Self::operation_timeout) still bound every
        /// call). Token requests always use a dedicated client that never
        /// follows redirects, so the secret cannot be replayed elsewhere.
        http_client(client: reqwest::Client) => http = Some(client);

        /// Sends every request (token and API) through the proxy at `url`
        /// (`http://` or `https://`, credentials as `http://user:password@host:port`),
        /// instead of the one `HTTPS_PROXY`, `HTTP_PROXY` or `ALL_PROXY` name.
        /// `NO_PROXY` still exempts the hosts it lists. The URL's credentials
        /// never appear in `Debug`, errors or logs.
        proxy(url: impl Into<String>) => proxy = Some(Proxy::Url(url.into()));

        /// Allows `http://` URLs for hosts other than loopback. Credentials and
        /// tokens then cross the network in clear text: only for test setups.
        allow_insecure_http(allow: bool) => allow_insecure_http = allow;

        /// Keeps tokens in `store` as well as in memory, so that other processes
        /// (or a later run) with the same token URL, client id and secret (or
        /// [`SecretSource::binding`]) reuse them instead of requesting their
        /// own. The store is consulted only before a token request, never per
        /// API call; a store that fails, or takes longer than the
        /// [`token_store_timeout`](Self::token_store_timeout), is logged at
        /// DEBUG and otherwise ignored. See [`crate::token_store`].
        token_store(store: impl TokenStore) => token_store = Some(Arc::new(store));
    }

    /// Fetches the client secret from `source` when a token request needs it,
    /// instead of taking it now (instead of [`client_secret`](Self::client_secret)).
    /// See [`SecretSource`] for when it is asked, and what stored tokens are
    /// bound to then.
    pub fn client_secret_source(mut self, source: impl SecretSource) -> Self {
        self.client_secret = Some(Secret::Source(Arc::new(source)));
        self
    }

    /// Connects directly, ignoring `HTTPS_PROXY`, `HTTP_PROXY` and `ALL_PROXY`.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = Some(Proxy::Off);
        self
    }

    /// Also trusts the CA certificates in the PEM file at `path` (one or
    /// more `-----BEGIN CERTIFICATE-----` blocks), besides the system's: for
    /// a private CA, or a proxy that inspects TLS with its own. Applies to
    /// the token endpoint and the API. The file is read by
    /// [`build`](Self::build), which fails if it holds no certificate.
    /// Each call adds to the ones before.
    ///
    /// ```no_run
    /// let kore = kore_clients::Kore::builder()
    ///     .client_id("my-client-id")
    ///     .client_secret("my-client-secret".into())
    ///     .ca_cert_file("/etc/ssl/corporate-ca.pem")
    ///     .build()?;
    /// # Ok::<(), kore_clients::Error>(())
    /// ```
    pub fn ca_cert_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ca_certs.push(CaSource::File(path.into()));
        self
    }

    /// Like [`ca_cert_file`](Self::ca_cert_file), with the PEM text itself.
    pub fn ca_cert_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.ca_certs.push(CaSource::Pem(pem.as_ref().to_vec()));
        self
    }

    /// Takes `KORE_CLIENT_ID`, `KORE_CLIENT_SECRET`, `KORE_BASE_URL` and
    /// `KORE_TOKEN_URL` from the environment where they are set (a set
    /// variable wins over what the builder has), and trusts the CA file
    /// `KORE_CA_CERT` names, if set, besides any given to the builder. Fails only if the client
    /// id or secret is then missing from both.
    pub fn from_env(mut self) -> Result<Self> {
        let var = |name: &str| -> Result<Option<String>> {
            match std::env::var(name) {
                Ok(value) if !value.trim().is_empty() => Ok(Some(value.trim().to_owned())),
                Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(Error::config(format!("{name} is not valid UTF-8")))
                }
            }
        };
        if let Some(id) = var("KORE_CLIENT_ID")? {
            self.client_id = Some(id);
        }
        if let Some(secret) = var("KORE_CLIENT_SECRET")? {
            self.client_secret = Some(Secret::Given(SecretString::from(secret)));
        }
        if let Some(url) = var("KORE_BASE_URL")? {
            self.base_url = Some(url);
        }
        if let Some(url) = var("KORE_TOKEN_URL")? {
            self.token_url = Some(url);
        }
        if let Some(path) = var("KORE_CA_CERT")? {
            self.ca_certs.push(CaSource::File(path.into()));
        }
        if self.client_id.is_none() {
            return Err(Error::config(
                "KORE_CLIENT_ID is not set; export your KORE API client's id",
            ));
        }
        if self.client_secret.is_none() {
            return Err(Error::config(
                "KORE_CLIENT_SECRET is not set; export your KORE API client's secret",
            ));
        }
        Ok(self)
    }

    /// Checks the configuration and builds the client. Nothing is sent yet:
    /// the first token is fetched by the first call.
    pub fn build(self) -> Result<Kore> {
        let client_id = self
            .client_id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| {
                Error::config("a client id is required (KoreBuilder::client_id or KORE_CLIENT_ID)")
            })?;
        let secret = match self.client_secret {
            None => {
                return Err(Error::config(
                    "a client secret is required (KoreBuilder::client_secret or KORE_CLIENT_SECRET; or KoreBuilder::client_secret_source)",
                ));
            }
            Some(Secret::Given(secret))
                if secrecy::ExposeSecret::expose_secret(&secret).is_empty() =>
            {
                return Err(Error::config("the client secret is empty"));
            }
            Some(Secret::Given(secret)) => Credential::Given(secret),
            Some(Secret::Source(source)) => Credential::from_source(source),
        };
        let base_url = checked_url(
            "base URL",
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            self.allow_insecure_http,
        )?;
        if base_url.query().is_some() || base_url.fragment().is_some() {
            return Err(Error::config(format!(
                "the base URL {base_url} has a query or fragment; give the scheme, host and path prefix only"
            )));
        }
        let token_url = checked_url(
            "token URL",
            self.token_url.as_deref().unwrap_or(DEFAULT_TOKEN_URL),
            self.allow_insecure_http,
        )?;

        for (what, value) in [
            ("timeout", self.timeout),
            ("connect_timeout", self.connect_timeout),
            ("token_timeout", self.token_timeout),
            ("operation_timeout", self.operation_timeout),
            ("token_store_timeout", self.token_store_timeout),
        ] {
            if value.is_some_and(|v| v.is_zero()) {
                return Err(Error::config(format!(
                    "the {what} is zero; every request would time out at once"
                )));
            }
        }
        if self.max_answer_size == Some(0) {
            return Err(Error::config(
                "the max_answer_size is zero; no answer could be read",
            ));
        }
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| concat!("kore-clients/", env!("CARGO_PKG_VERSION")).to_owned());
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let http_error = |source: reqwest::Error| Error::HttpClient { source };
        let roots = crate::tls::load_roots(&self.ca_certs).map_err(Error::config)?;
        // `NO_PROXY=*` means no proxy for any host, as with curl; reqwest's
        // matcher would still proxy hosts given as IP addresses.
        let proxy = match &self.proxy {
            _ if no_proxy_exempts_every_host() => Some(None),
            proxy => proxy.as_ref().map(proxy_setting).transpose()?,
        };
        // Trust and proxy, the same for the token endpoint and the API.
        let network = |builder: reqwest::ClientBuilder| {
            let builder = with_tls(builder, &roots)
                .user_agent(user_agent.clone())
                .connect_timeout(connect_timeout);
            match &proxy {
                Some(Some(proxy)) => builder.proxy(proxy.clone()),
                Some(None) => builder.no_proxy(),
                None => builder,
            }
        };
        // Token requests go through the API's client, so that where both are
        // one host they share its connections (one TLS handshake, one proxy
        // tunnel); a caller's own client may follow redirects, so then they
        // get a client of their own.
        let (http, token_http, client_applies_attempt_timeout) = match self.http {
            Some(http) => {
                let token_http = network(reqwest::Client::builder())
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(http_error)?;
                (http, token_http, false)
            }
            None => {
                let http = network(reqwest::Client::builder())
                    .timeout(timeout)
                    .redirect(redirects_except_from(token_url.clone()))
                    .build()
                    .map_err(http_error)?;
                (http.clone(), http, true)
            }
        };

        let retry = self.retry.unwrap_or_default();
        let token_timeout = self.token_timeout.unwrap_or(DEFAULT_TOKEN_TIMEOUT);
        let store_timeout = self
            .token_store_timeout
            .unwrap_or(DEFAULT_TOKEN_STORE_TIMEOUT);
        // What the retry policy can spend: on the way to a token, then on the call.
        let operation_timeout = self.operation_timeout.unwrap_or_else(|| {
            // Lock and load before the grant, save after it.
            let store = if self.token_store.is_some() {
                store_timeout.saturating_mul(2)
            } else {
                Duration::ZERO
            };
            store
                .saturating_add(secret.time_limit())
                .saturating_add(retry.most_spent(token_timeout))
                .saturating_add(retry.most_spent(timeout))
        });
        let answer_limit = self.max_answer_size.unwrap_or(DEFAULT_MAX_ANSWER_SIZE);
        let tokens = TokenCache::new(
            client_id,
            secret,
            token_url.as_str(),
            token_http,
            auth::Settings {
                timeout: token_timeout,
                retry: retry.clone(),
                store: self.token_store,
                store_timeout,
                answer_limit,
            },
        )
        .map_err(Error::config)?;
        let transport = Arc::new(Transport {
            tokens,
            retry,
            attempt_timeout: timeout,
            client_applies_attempt_timeout,
            answer_limit,
        });
        let base_url = base_url.as_str().trim_end_matches('/').to_owned();
        let raw = kore_clients_gen::Client::new_with_client(
            &base_url,
            http,
            kore_clients_gen::hooks::Hooks::from_arc(transport.clone()),
        );
        Ok(Kore {
            shared: Arc::new(Shared {
                base_url,
                operation_timeout,
                transport,
                raw,
            }),
        })
    }
}

/// The TLS settings: the backend, pinned in code so that another crate in
/// the build turning on a different reqwest backend cannot silently switch
/// ours (rustls by default, the platform's library when the `native-tls`
/// feature is chosen), and the extra CAs trusted besides the system's.
fn with_tls(
    builder: reqwest::ClientBuilder,
    roots: &[reqwest::Certificate],
) -> reqwest::ClientBuilder {
    #[cfg(feature = "native-tls")]
    let builder = builder.tls_backend_native();
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    let builder = builder.tls_backend_rustls();
    builder.tls_certs_merge(roots.iter().cloned())
}

/// Follows redirects as reqwest does by default (at most 10), except for a
/// request to the token endpoint: following one would replay the client
/// secret to wherever the redirect points.
fn redirects_except_from(token_url: Url) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().first() == Some(&token_url) {
            attempt.stop()
        } else if attempt.previous().len() > 10 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Whether `NO_PROXY` (or `no_proxy`) holds the entry `*`.
fn no_proxy_exempts_every_host() -> bool {
    ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|name| std::env::var(name).ok())
        .is_some_and(|list| list.split(',').any(|entry| entry.trim() == "*"))
}

/// The proxy to configure (`None`: none at all), or why `url` cannot be one.
/// `NO_PROXY` applies to an explicit proxy as to the environment's, as with curl.
fn proxy_setting(proxy: &Proxy) -> Result<Option<reqwest::Proxy>> {
    let url = match proxy {
        Proxy::Off => return Ok(None),
        Proxy::Url(url) => url,
    };
    let shown = redact_userinfo(url);
    let parsed = Url::parse(url)
        .map_err(|e| Error::config(format!("the proxy {shown:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::config(format!(
            "the proxy {shown:?} is not an http:// or https:// URL with a host"
        )));
    }
    let proxy = reqwest::Proxy::all(parsed)
        .map_err(|_| Error::config(format!("the proxy {shown:?} is not usable")))?;
    Ok(Some(proxy.no_proxy(reqwest::NoProxy::from_env())))
}

/// Parses `url` and refuses clear-text HTTP to anything but loopback unless
/// the caller opted in: the token request carries the client secret and
/// every API request a bearer token.
fn checked_url(what: &str, url: &str, allow_insecure_http: bool) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| {
        Error::config(format!(
            "the {what} {:?} is not a URL: {e}",
            redact_userinfo(url)
        ))
    })?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::config(format!(
            "the {what} must not embed credentials; use client_id/client_secret"
        )));
    }
    match parsed.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&parsed) => {}
        "http" => {
            return Err(Error::config(format!(
                "the {what} {url} uses http:// to a non-loopback host; credentials would cross the \
                 network unencrypted. Use https://, or KoreBuilder::allow_insecure_http(true) for a test setup"
            )));
        }
        other => {
            return Err(Error::config(format!(
                "the {what} {url} has scheme {other:?}; only https:// (or http:// to loopback) is supported"
            )));
        }
    }
    if parsed.host().is_none() {
        return Err(Error::config(format!("the {what} {url} has no host")));
    }
    Ok(parsed)
}

/// `url` with anything between `://` and `@` replaced, for messages about
/// text that failed to parse as a URL.
fn redact_userinfo(url: &str) -> String {
    match url
        .split_once("://")
        .and_then(|(scheme, rest)| Some((scheme, rest.rsplit_once('@')?.1)))
    {
        Some((scheme, after)) => format!("{scheme}://[redacted]@{after}"),
        None => url.to_owned(),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_text_http_is_refused_except_to_loopback() {
        for ok in [
            "https://client.api.korewireless.com",
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://localhost:1234/base",
            "http://[::1]:99",
        ] {
            checked_url("base URL", ok, false).unwrap();
        }
        for refused in [
            "http://client.api.korewireless.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
        ] {
            let message = checked_url("base URL", refused, false)
                .unwrap_err()
                .to_string();
            assert!(message.contains("base URL"), "{message}");
        }
        checked_url("base URL", "http://kore.test", true).unwrap();
        assert!(checked_url("token URL", "ftp://x", true).is_err());
        for with_credentials in [
            "https://user:pw@x.example",
            "http://user:pw@10.0.0.1",
            "ftp://user:pw@x",
            "https://user:pw@[bad",
        ] {
            let message = checked_url("token URL", with_credentials, false)
                .unwrap_err()
                .to_string();
            assert!(!message.contains("pw"), "{message}");
        }
        for half in ["https://user@x.example", "https://:pw@x.example"] {
            let message = checked_url("token URL", half, false)
                .unwrap_err()
                .to_string();
            assert!(
                message.contains("must not embed credentials"),
                "{half}: {message}"
            );
        }
    }

    #[test]
    fn credentials_in_an_unparsable_url_are_redacted() {
        assert_eq!(
            redact_userinfo("https://user:pw@host/x"),
            "https://[redacted]@host/x"
        );
        assert_eq!(redact_userinfo("https://host/x"), "https://host/x");
        assert_eq!(
            redact_userinfo("me@host://x"),
            "me@host://x",
            "no userinfo before ://"
        );
        let message = checked_url("base URL", "https://user:s3cret@[bad", false)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("\"https://[redacted]@[bad\"") && !message.contains("s3cret"),
            "{message}"
        );
    }

    #[test]
    fn a_base_url_with_a_query_or_a_fragment_is_refused() {
        let builder = || {
            KoreBuilder::default()
                .client_id("id")
                .client_secret(SecretString::from("secret"))
        };
        for url in ["https://kore.example/v1?x=1", "https://kore.example/v1#top"] {
            let message = builder().base_url(url).build().unwrap_err().to_string();
            assert!(
                message.contains("has a query or fragment"),
                "{url}: {message}"
            );
        }
        builder()
            .base_url("https://kore.example/v1")
            .build()
            .unwrap();
    }
}
