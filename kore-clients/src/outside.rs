//! Calls into code the SDK does not control, a [`TokenStore`](crate::token_store::TokenStore)
//! or a [`SecretSource`]: blocking, so each runs on a thread of its own,
//! and the SDK waits for it a bounded time.
//!
//! The thread enters the caller's tokio runtime, as tokio's blocking pool
//! would (`Handle::current()` works there), but is never joined: a call
//! that never returns holds up neither
//! its caller nor the runtime's shutdown (tokio waits for its own blocking
//! pool when a runtime is dropped), and whatever such a call returns late
//! is dropped at once, a store's lock included.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use secrecy::SecretString;

/// How long [`SecretSource::time_limit`] is unless a source says otherwise.
pub const DEFAULT_SECRET_TIME_LIMIT: Duration = Duration::from_secs(60);

/// How much longer than a source's own limit the SDK waits: a source is
/// expected to enforce its limit itself (and say so in its own error); the
/// SDK's wait is the backstop.
const SECRET_GRACE: Duration = Duration::from_secs(1);

/// Where the client secret comes from when it is not at hand when the
/// client is built: a password manager, a vault, a command. It is asked
/// only when a token request is needed, so a client whose token comes from
/// a [`TokenStore`](crate::token_store::TokenStore) never asks it.
///
/// The SDK calls [`fetch`](Self::fetch) on a thread of its own (never on an
/// async worker), at most once at a time per client, and keeps what it
/// returns for the client's later token requests; after the token endpoint
/// rejects the secret it asks again. It waits [`time_limit`](Self::time_limit)
/// (plus a second) at most, then fails the token request with
/// [`AuthErrorKind::SecretUnavailable`](crate::AuthErrorKind::SecretUnavailable).
///
/// A token store keys tokens by the token URL, the client id and
/// [`binding`](Self::binding) instead of the secret (which is not known
/// before it is fetched): a rotated secret that the same source returns
/// finds the token the old one obtained, until that token expires or is
/// rejected.
///
/// ```
/// use kore_clients::{Kore, SecretSource, SecretString};
///
/// struct FromVault;
///
/// impl SecretSource for FromVault {
///     fn binding(&self) -> &str {
///         "vault:kv/kore/prod"
///     }
///     fn fetch(&self) -> Result<SecretString, Box<dyn std::error::Error + Send + Sync>> {
///         // A blocking call to the vault goes here.
///         Ok(SecretString::from("my-client-secret"))
///     }
/// }
///
/// let kore = Kore::builder()
///     .client_id("my-client-id")
///     .client_secret_source(FromVault)
///     .build()?;
/// # Ok::<(), kore_clients::Error>(())
/// ```
pub trait SecretSource: Send + Sync + 'static {
    /// What stored tokens are bound to in place of the secret: text that
    /// names where the secret comes from (a command line, a vault path).
    fn binding(&self) -> &str;

    /// The longest one [`fetch`](Self::fetch) may take (default 60 s, long
    /// enough for a person to answer a password prompt). It counts toward
    /// the deadline of the call that needs the token.
    fn time_limit(&self) -> Duration {
        DEFAULT_SECRET_TIME_LIMIT
    }

    /// The secret. Blocking; its error becomes the `source()` of the
    /// token request's [`AuthError`](crate::AuthError).
    fn fetch(&self) -> Result<SecretString, Box<dyn std::error::Error + Send + Sync>>;
}

/// Why a bounded call gave nothing.
#[derive(Debug)]
pub(crate) enum Unanswered {
    /// It did not return within its limit.
    TimedOut(Duration),
    /// Its thread could not be started, or it panicked.
    Failed(String),
}

impl fmt::Display for Unanswered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unanswered::TimedOut(limit) => write!(f, "it did not return within {limit:?}"),
            Unanswered::Failed(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Unanswered {}

/// Runs `work` on a thread named `name` and waits for it at most `limit`.
pub(crate) async fn bounded<T: Send + 'static>(
    name: &str,
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Unanswered> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    // As on tokio's blocking pool, the runtime can be reached from the
    // call (`Handle::current()`, for a store that bridges to async code).
    let runtime = tokio::runtime::Handle::try_current().ok();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let _entered = runtime.as_ref().map(tokio::runtime::Handle::enter);
            // Nobody waiting any more: the value is dropped here.
            let _ = answer.send(work());
        })
        .map_err(|error| Unanswered::Failed(format!("cannot start a thread: {error}")))?;
    match tokio::time::timeout(limit, answered).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_)) => Err(Unanswered::Failed("it panicked".into())),
        Err(_) => Err(Unanswered::TimedOut(limit)),
    }
}

/// Whether a call is running; a call that outlived its limit keeps the
/// flag set until it returns, so that a stuck store or source is not asked
/// again (one stuck thread, not one per token request).
#[derive(Clone, Default)]
pub(crate) struct Busy(Arc<AtomicBool>);

/// Clears the [`Busy`] flag when the call it was taken for returns.
pub(crate) struct BusyGuard(Arc<AtomicBool>);

impl Busy {
    /// Marks a call as running, unless one still is.
    pub(crate) fn enter(&self) -> Option<BusyGuard> {
        (!self.0.swap(true, Ordering::AcqRel)).then(|| BusyGuard(self.0.clone()))
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The secret the SDK authenticates with: given, or fetched when needed.
pub(crate) enum Credential {
    Given(SecretString),
    Source {
        source: Arc<dyn SecretSource>,
        /// The last secret fetched; cleared when the token endpoint rejects it.
        fetched: std::sync::Mutex<Option<SecretString>>,
        busy: Busy,
    },
}

impl Credential {
    pub(crate) fn from_source(source: Arc<dyn SecretSource>) -> Self {
        Credential::Source {
            source,
            fetched: Default::default(),
            busy: Busy::default(),
        }
    }

    /// The secret as far as it is known now (for scrubbing text): the given
    /// one, or the last one fetched.
    pub(crate) fn known(&self) -> Option<SecretString> {
        match self {
            Credential::Given(secret) => Some(secret.clone()),
            Credential::Source { fetched, .. } => {
                fetched.lock().unwrap_or_else(|e| e.into_inner()).clone()
            }
        }
    }

    /// The secret, fetching it from the source if none is kept.
    pub(crate) async fn get(
        &self,
    ) -> Result<SecretString, Box<dyn std::error::Error + Send + Sync>> {
        let (source, fetched, busy) = match self {
            Credential::Given(secret) => return Ok(secret.clone()),
            Credential::Source {
                source,
                fetched,
                busy,
            } => (source, fetched, busy),
        };
        if let Some(secret) = fetched.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(secret);
        }
        let Some(guard) = busy.enter() else {
            return Err("the secret source has not returned from an earlier call".into());
        };
        let source = source.clone();
        let limit = source.time_limit().saturating_add(SECRET_GRACE);
        let secret = bounded("kore-secret-source", limit, move || {
            let _running = guard;
            source.fetch()
        })
        .await??;
        *fetched.lock().unwrap_or_else(|e| e.into_inner()) = Some(secret.clone());
        Ok(secret)
    }

    /// Forgets a fetched secret that the token endpoint rejected.
    pub(crate) fn rejected(&self) {
        if let Credential::Source { fetched, .. } = self {
            *fetched.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    /// The longest [`Credential::get`] may take.
    pub(crate) fn time_limit(&self) -> Duration {
        match self {
            Credential::Given(_) => Duration::ZERO,
            Credential::Source { source, .. } => source.time_limit().saturating_add(SECRET_GRACE),
        }
    }
}
