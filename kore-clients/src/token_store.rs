//! Keeping tokens beyond one process: the [`TokenStore`] trait the token
//! cache consults before a grant, and the [`TokenKey`] that names an identity.
//!
//! Rules the SDK keeps with a store (the failure each one prevents in brackets):
//! - The store is asked only when a token request would otherwise start: a
//!   cached token in memory never touches it [a file read per request].
//! - Every store call runs on a thread of its own, for the token request's
//!   own task, so a slow disk or a held lock delays no caller that already
//!   has a token, and a dropped caller cancels nothing.
//! - Each call is bounded by
//!   [`KoreBuilder::token_store_timeout`](crate::KoreBuilder::token_store_timeout)
//!   (5 s by default): past it the SDK goes on without the store, asks it
//!   nothing more until that call returns, and releases a lock it returns
//!   late [a hung network filesystem would otherwise hang every call].
//! - A failing store never fails a call: the error is logged at DEBUG and
//!   the SDK goes on as if there were no store [a full disk or a read-only
//!   `$HOME` would otherwise break every command].
//! - A stored token is used only while it has more than the refresh margin
//!   left; a token whose lifetime KORE did not state is never saved; a
//!   rejected grant saves nothing; a 401 that drops a token also forgets it
//!   in the store, and the next request does not read it back.
//! - The key is a one-way fingerprint of the token URL, the client id and the
//!   client secret, so a process with another secret (or a rotated one)
//!   never finds this secret's token, and the secret is never stored.

use std::fmt;
use std::io;
use std::time::SystemTime;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest as _, Sha256};

/// Which identity a stored token belongs to: the SHA-256 of the token URL,
/// client id and client secret, as 64 lowercase hex digits. Safe to use as a
/// file name and to show; the secret cannot be read back from it.
///
/// ```
/// use kore_clients::SecretString;
/// use kore_clients::token_store::TokenKey;
///
/// let key = TokenKey::new("https://api.example/token", "id", &SecretString::from("s"));
/// assert_eq!(key.as_str().len(), 64);
/// let rotated = TokenKey::new("https://api.example/token", "id", &SecretString::from("t"));
/// assert_ne!(key, rotated);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenKey(String);

impl TokenKey {
    /// The fingerprint of one identity. Each part is length-prefixed, so no
    /// two different triples hash the same input.
    pub fn new(token_url: &str, client_id: &str, client_secret: &SecretString) -> Self {
        Self::fingerprint(
            b"kore-clients token key v1\0",
            [token_url, client_id, client_secret.expose_secret()],
        )
    }

    /// The fingerprint of an identity whose secret comes from a
    /// [`SecretSource`](crate::SecretSource): bound to the source's
    /// `binding` (a command line, say) instead of the secret, which is not
    /// known until it is fetched. Never equal to a key made with [`TokenKey::new`].
    ///
    /// ```
    /// use kore_clients::SecretString;
    /// use kore_clients::token_store::TokenKey;
    ///
    /// let url = "https://api.example/token";
    /// let bound = TokenKey::bound_to(url, "id", "pass show kore");
    /// assert_ne!(bound, TokenKey::bound_to(url, "id", "pass show other"));
    /// assert_ne!(bound, TokenKey::new(url, "id", &SecretString::from("pass show kore")));
    /// ```
    pub fn bound_to(token_url: &str, client_id: &str, binding: &str) -> Self {
        Self::fingerprint(
            b"kore-clients token key v1 bound\0",
            [token_url, client_id, binding],
        )
    }

    /// SHA-256 of `domain` and the length-prefixed `parts`, as hex.
    fn fingerprint(domain: &[u8], parts: [&str; 3]) -> Self {
        let mut hash = Sha256::new();
        hash.update(domain);
        for part in parts {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        let digest = hash.finalize();
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push_str(&format!("{byte:02x}"));
        }
        Self(hex)
    }

    /// The fingerprint as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenKey({})", self.0)
    }
}

impl fmt::Display for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A token as a store keeps it: the bearer and the wall-clock times it was
/// requested and stops being valid.
#[derive(Clone)]
pub struct StoredToken {
    access_token: SecretString,
    obtained_at: SystemTime,
    expires_at: SystemTime,
}

impl StoredToken {
    /// A token requested at `obtained_at` (the start of the token request)
    /// and valid until `expires_at` (`obtained_at` + `expires_in`).
    pub fn new(
        access_token: SecretString,
        obtained_at: SystemTime,
        expires_at: SystemTime,
    ) -> Self {
        Self {
            access_token,
            obtained_at,
            expires_at,
        }
    }

    /// The bearer token.
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }

    /// When the token was requested.
    pub fn obtained_at(&self) -> SystemTime {
        self.obtained_at
    }

    /// When KORE stops accepting it.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &"[redacted]")
            .field("obtained_at", &self.obtained_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Held by the token request between "load" and "save", so that other
/// processes sharing the store wait for this one's grant instead of making
/// their own. Dropping it lets the next one in.
pub struct StoreLock(#[allow(dead_code)] Option<Box<dyn Send>>);

impl StoreLock {
    /// A lock that is released when `guard` is dropped.
    pub fn new(guard: impl Send + 'static) -> Self {
        Self(Some(Box::new(guard)))
    }

    /// No lock (a store that serves one process, or could not lock).
    pub fn none() -> Self {
        Self(None)
    }
}

impl fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "StoreLock(held)"
        } else {
            "StoreLock(none)"
        })
    }
}

/// Where tokens outlive the process, for [`KoreBuilder::token_store`](crate::KoreBuilder::token_store).
///
/// Calls are blocking, each made on a thread of its own and waited for at
/// most [`KoreBuilder::token_store_timeout`](crate::KoreBuilder::token_store_timeout).
/// An error (or a call past that bound) is never fatal: the SDK logs it at
/// DEBUG and carries on without the store, so an implementation should
/// report trouble rather than work around it.
///
/// ```
/// use std::collections::HashMap;
/// use std::io;
/// use std::sync::Mutex;
/// use kore_clients::token_store::{StoredToken, TokenKey, TokenStore};
///
/// #[derive(Default)]
/// struct InMemory(Mutex<HashMap<TokenKey, StoredToken>>);
///
/// impl TokenStore for InMemory {
///     fn load(&self, key: &TokenKey) -> io::Result<Option<StoredToken>> {
///         Ok(self.0.lock().unwrap().get(key).cloned())
///     }
///     fn save(&self, key: &TokenKey, token: &StoredToken) -> io::Result<()> {
///         self.0.lock().unwrap().insert(key.clone(), token.clone());
///         Ok(())
///     }
///     fn forget(&self, key: &TokenKey) -> io::Result<()> {
///         self.0.lock().unwrap().remove(key);
///         Ok(())
///     }
/// }
///
/// let kore = kore_clients::Kore::builder()
///     .client_id("id")
///     .client_secret("secret".to_owned().into())
///     .token_store(InMemory::default())
///     .build()?;
/// # Ok::<(), kore_clients::Error>(())
/// ```
pub trait TokenStore: Send + Sync + 'static {
    /// The token stored for `key`, if any (expired ones too: the SDK judges
    /// freshness). Unreadable or malformed entries should read as `None`.
    fn load(&self, key: &TokenKey) -> io::Result<Option<StoredToken>>;

    /// Stores `token` for `key`, replacing what was there.
    fn save(&self, key: &TokenKey, token: &StoredToken) -> io::Result<()>;

    /// Removes the token stored for `key` (KORE rejected it). Nothing stored is not an error.
    fn forget(&self, key: &TokenKey) -> io::Result<()>;

    /// Excludes other users of the store from "load, grant, save" for `key`
    /// until the returned lock is dropped. The default locks nothing; a store
    /// shared between processes should wait a bounded time and fail (the SDK
    /// then goes on without the store) rather than wait forever. The SDK
    /// stops waiting at its store timeout in any case, and drops a lock that
    /// arrives later.
    fn lock(&self, key: &TokenKey) -> io::Result<StoreLock> {
        let _ = key;
        Ok(StoreLock::none())
    }
}
