//! A `TokenStore` shared by clients: consulted before a grant, saved after
//! one, forgotten on a 401, and never a reason for a call to fail.

use crate::common;

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use kore_clients::token_store::{StoredToken, TokenKey, TokenStore};
use kore_clients::{AuthErrorKind, Error, ExposeSecret as _, SecretString};
use kore_mock::{MockKore, Route};
use serde_json::json;

/// An in-memory store that counts its calls and can be made to fail.
#[derive(Clone, Default)]
struct Shared {
    tokens: Arc<Mutex<HashMap<TokenKey, StoredToken>>>,
    calls: Arc<Mutex<Vec<&'static str>>>,
    failing: bool,
}

impl Shared {
    fn failing() -> Self {
        Self {
            failing: true,
            ..Self::default()
        }
    }

    fn calls(&self) -> Vec<&'static str> {
        self.calls.lock().unwrap().clone()
    }

    fn stored(&self) -> Vec<StoredToken> {
        self.tokens.lock().unwrap().values().cloned().collect()
    }

    fn record(&self, call: &'static str) -> io::Result<()> {
        self.calls.lock().unwrap().push(call);
        if self.failing {
            return Err(io::Error::other("the store is broken"));
        }
        Ok(())
    }
}

impl TokenStore for Shared {
    fn load(&self, key: &TokenKey) -> io::Result<Option<StoredToken>> {
        self.record("load")?;
        Ok(self.tokens.lock().unwrap().get(key).cloned())
    }
    fn save(&self, key: &TokenKey, token: &StoredToken) -> io::Result<()> {
        self.record("save")?;
        self.tokens
            .lock()
            .unwrap()
            .insert(key.clone(), token.clone());
        Ok(())
    }
    fn forget(&self, key: &TokenKey) -> io::Result<()> {
        self.record("forget")?;
        self.tokens.lock().unwrap().remove(key);
        Ok(())
    }
}

/// A client for `mock` that keeps its tokens in `store`.
fn kore_with(mock: &MockKore, store: &Shared) -> kore_clients::Kore {
    common::builder_for(mock)
        .token_store(store.clone())
        .build()
        .unwrap()
}

/// A default mock, and a `Kore` for it keeping its tokens in `store`.
async fn started_with(store: Shared) -> (MockKore, Shared, kore_clients::Kore) {
    let mock = MockKore::builder().start().await;
    let kore = kore_with(&mock, &store);
    (mock, store, kore)
}

/// One ping by a fresh client with `store`: a grant, saved there.
async fn ping_once_with(mock: &MockKore, store: &Shared) {
    kore_with(mock, store).ping().await.unwrap();
}

#[tokio::test]
async fn a_second_client_uses_the_token_the_first_one_stored() {
    let (mock, store, first) = started_with(Shared::default()).await;
    first.ping().await.unwrap();
    assert_eq!(store.calls(), ["load", "save"]);
    let stored = store.stored();
    assert_eq!(stored.len(), 1);
    let lifetime = stored[0]
        .expires_at()
        .duration_since(stored[0].obtained_at())
        .unwrap();
    assert_eq!(
        lifetime,
        Duration::from_secs(3600),
        "request start + expires_in"
    );
    assert_eq!(
        stored[0].access_token().expose_secret(),
        common::last_bearer(&mock, Route::Ping)
    );

    let second = kore_with(&mock, &store);
    second.ping().await.unwrap();
    second.ping().await.unwrap();
    assert_eq!(mock.token_grants(), 1, "the second client made no grant");
    assert_eq!(second.tokens().grants(), 0);
    assert_eq!(
        store.calls(),
        ["load", "save", "load"],
        "memory serves the rest"
    );
}

#[tokio::test]
async fn another_secret_never_finds_the_stored_token() {
    let mock = MockKore::builder().start().await;
    let store = Shared::default();
    ping_once_with(&mock, &store).await;
    let wrong = common::builder_for(&mock)
        .client_secret(SecretString::from("not-the-secret"))
        .token_store(store.clone())
        .build()
        .unwrap();
    let error = wrong.ping().await.unwrap_err();
    assert!(
        matches!(&error, Error::Auth { source, .. } if source.kind() == AuthErrorKind::Rejected),
        "{error:?}"
    );
    assert_eq!(store.stored().len(), 1, "the rejected grant wrote nothing");
    assert_ne!(
        wrong.tokens().store_key(),
        common::builder_for(&mock)
            .build()
            .unwrap()
            .tokens()
            .store_key()
    );
}

#[tokio::test]
async fn a_stored_token_near_its_expiry_is_not_used() {
    let (mock, store, kore) = started_with(Shared::default()).await;
    let now = SystemTime::now();
    // An hour's token with 5 minutes left: inside the 6-minute refresh margin.
    store.tokens.lock().unwrap().insert(
        kore.tokens().store_key().clone(),
        StoredToken::new(
            SecretString::from("stale-token".to_owned()),
            now - Duration::from_secs(3300),
            now + Duration::from_secs(300),
        ),
    );
    kore.ping().await.unwrap();
    assert_eq!(mock.token_grants(), 1);
    assert_ne!(common::last_bearer(&mock, Route::Ping), "stale-token");
    assert_eq!(store.calls(), ["load", "save"]);
}

#[tokio::test]
async fn a_401_to_a_stored_token_forgets_it_and_makes_one_grant() {
    let mock = MockKore::builder().start().await;
    let store = Shared::default();
    ping_once_with(&mock, &store).await;
    let old = store.stored()[0].access_token().expose_secret().to_owned();
    mock.expire_tokens();

    let kore = kore_with(&mock, &store);
    kore.ping().await.unwrap();
    assert_eq!(mock.token_grants(), 2, "one new grant after the 401");
    assert_eq!(mock.requests(Route::Ping), 3, "the 401 and the retry");
    assert_eq!(store.calls(), ["load", "save", "load", "forget", "save"]);
    let new = store.stored()[0].access_token().expose_secret().to_owned();
    assert_ne!(new, old);
}

#[tokio::test]
async fn a_failing_store_never_fails_a_call() {
    let (mock, store, kore) = started_with(Shared::failing()).await;
    kore.ping().await.unwrap();
    kore.ping().await.unwrap();
    mock.expire_tokens();
    kore.ping().await.unwrap();
    assert_eq!(mock.token_grants(), 2);
    assert_eq!(store.calls(), ["load", "save", "forget", "save"]);
}

#[tokio::test]
async fn a_token_without_a_stated_lifetime_is_not_stored() {
    let server = wiremock::MockServer::start().await;
    common::mount_token(
        &server,
        json!({"access_token": "no-lifetime-token", "token_type": "Bearer"}),
    )
    .await;
    let store = Shared::default();
    let kore = common::wiremock_builder(&server)
        .token_store(store.clone())
        .build()
        .unwrap();
    let token = kore.tokens().bearer().await.unwrap();
    assert_eq!(token.access_token(), "no-lifetime-token");
    assert_eq!(store.calls(), ["load"]);
    assert!(store.stored().is_empty());
}

#[test]
fn store_types_never_show_the_token() {
    let token = StoredToken::new(
        SecretString::from("visible-if-leaked".to_owned()),
        SystemTime::UNIX_EPOCH,
        SystemTime::UNIX_EPOCH,
    );
    assert!(!format!("{token:?}").contains("visible-if-leaked"));
    let key = TokenKey::new(
        "u",
        "id",
        &SecretString::from("visible-if-leaked".to_owned()),
    );
    assert!(!format!("{key:?} {key}").contains("visible-if-leaked"));
    let builder = kore_clients::Kore::builder().token_store(Shared::default());
    assert!(format!("{builder:?}").contains("token_store: Some"));
}

#[tokio::test]
async fn invalidate_forgets_the_stored_token_too() {
    let (mock, store, kore) = started_with(Shared::default()).await;
    kore.ping().await.unwrap();
    kore.tokens().invalidate();
    kore.ping().await.unwrap();
    assert_eq!(mock.token_grants(), 2, "not read back from the store");
    assert_eq!(store.calls(), ["load", "save", "forget", "save"]);
}

/// A store whose `lock` blocks until the test lets it go, then hands out a
/// lock that says when it is released.
struct Stuck {
    locks: Arc<Mutex<usize>>,
    go: Mutex<std::sync::mpsc::Receiver<()>>,
    released: Mutex<std::sync::mpsc::Sender<&'static str>>,
}

/// Sends "released" when dropped.
struct Released(std::sync::mpsc::Sender<&'static str>);

impl Drop for Released {
    fn drop(&mut self) {
        let _ = self.0.send("released");
    }
}

impl TokenStore for Stuck {
    fn load(&self, _: &TokenKey) -> io::Result<Option<StoredToken>> {
        Ok(None)
    }
    fn save(&self, _: &TokenKey, _: &StoredToken) -> io::Result<()> {
        Ok(())
    }
    fn forget(&self, _: &TokenKey) -> io::Result<()> {
        Ok(())
    }
    fn lock(&self, _: &TokenKey) -> io::Result<kore_clients::token_store::StoreLock> {
        *self.locks.lock().unwrap() += 1;
        // Until the test says go, or ends (the sender dropped).
        let _ = self.go.lock().unwrap().recv();
        let released = self.released.lock().unwrap().clone();
        Ok(kore_clients::token_store::StoreLock::new(Released(
            released,
        )))
    }
}

#[tokio::test(start_paused = true)]
async fn a_store_that_blocks_delays_a_call_by_its_bound_at_most_and_its_late_lock_is_released() {
    let mock = MockKore::builder().start().await;
    let (go, wait) = std::sync::mpsc::channel();
    let (released, was_released) = std::sync::mpsc::channel();
    let locks = Arc::new(Mutex::new(0));
    let bound = Duration::from_secs(2);
    let kore = common::builder_for(&mock)
        .token_store(Stuck {
            locks: locks.clone(),
            go: Mutex::new(wait),
            released: Mutex::new(released),
        })
        .token_store_timeout(bound)
        .build()
        .unwrap();

    let started = tokio::time::Instant::now();
    kore.ping().await.unwrap();
    let took = started.elapsed();
    assert!(
        took >= bound && took < bound + Duration::from_millis(100),
        "{took:?}"
    );
    assert_eq!(mock.token_grants(), 1, "went on without the store");

    // While that call has not returned, the store is not asked again, and
    // delays nothing.
    kore.tokens().invalidate();
    let started = tokio::time::Instant::now();
    kore.ping().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(mock.token_grants(), 2);
    // Asked once at most: the first call's thread may not even have started
    // when the paused clock reached the bound.
    let asked = *locks.lock().unwrap();
    assert!(asked <= 1, "{asked}");

    // The call returns at last: the lock it brings, nobody waits for, and
    // it is released at once.
    go.send(()).unwrap();
    let outcome =
        tokio::task::spawn_blocking(move || was_released.recv_timeout(Duration::from_secs(10)))
            .await
            .unwrap();
    assert_eq!(outcome, Ok("released"));
}
