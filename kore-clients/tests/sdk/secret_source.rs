//! A `SecretSource`: asked only when a token request needs the secret, once
//! for all of a client's requests (again after a rejection), bounded in
//! time, and its failure an error that keeps the source's own.

use crate::common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kore_clients::{AuthErrorKind, SecretSource, SecretString};
use kore_mock::{MockKore, Route};

/// What a [`Scripted`] source does when asked.
enum Answer {
    Secret(String),
    Fail(&'static str),
    /// Blocks until the test sends on the channel (or ends).
    Hang(std::sync::mpsc::Receiver<()>),
}

/// A source that answers from a script and counts how often it is asked.
#[derive(Clone)]
struct Scripted {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    asked: Arc<Mutex<usize>>,
    limit: Duration,
}

impl Scripted {
    fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        Self {
            answers: Arc::new(Mutex::new(answers.into_iter().collect())),
            asked: Arc::default(),
            limit: Duration::from_secs(3),
        }
    }

    fn asked(&self) -> usize {
        *self.asked.lock().unwrap()
    }
}

impl SecretSource for Scripted {
    fn binding(&self) -> &str {
        "test: scripted"
    }

    fn time_limit(&self) -> Duration {
        self.limit
    }

    fn fetch(&self) -> Result<SecretString, Box<dyn std::error::Error + Send + Sync>> {
        *self.asked.lock().unwrap() += 1;
        let answer = self.answers.lock().unwrap().pop_front();
        match answer {
            Some(Answer::Secret(secret)) => Ok(SecretString::from(secret)),
            Some(Answer::Fail(why)) => Err(why.into()),
            Some(Answer::Hang(until)) => {
                let _ = until.recv();
                Err("released".into())
            }
            None => Err("the script ran out".into()),
        }
    }
}

fn kore_with(mock: &MockKore, source: &Scripted) -> kore_clients::Kore {
    common::builder_for(mock)
        .client_secret_source(source.clone())
        .build()
        .unwrap()
}

fn the_secret(mock: &MockKore) -> Answer {
    Answer::Secret(mock.client_secret().to_owned())
}

#[tokio::test]
async fn the_source_is_asked_once_when_the_first_token_is_needed() {
    let mock = MockKore::builder().start().await;
    let source = Scripted::new([the_secret(&mock)]);
    let kore = kore_with(&mock, &source);
    assert_eq!(source.asked(), 0, "building asks nothing");
    for _ in 0..3 {
        kore.ping().await.unwrap();
    }
    mock.expire_tokens();
    kore.ping().await.unwrap();
    assert_eq!(mock.token_grants(), 2);
    assert_eq!(source.asked(), 1, "the fetched secret serves every grant");
    assert!(
        format!(
            "{:?}",
            common::builder_for(&mock).client_secret_source(source)
        )
        .contains("caller's SecretSource")
    );
}

#[tokio::test]
async fn a_rejected_secret_is_fetched_again() {
    let mock = MockKore::builder().start().await;
    let source = Scripted::new([Answer::Secret("rotated-away".into()), the_secret(&mock)]);
    let kore = kore_with(&mock, &source);
    let error = kore.ping().await.unwrap_err();
    assert_eq!(common::auth_source(&error).kind(), AuthErrorKind::Rejected);
    kore.tokens().invalidate();
    kore.ping().await.unwrap();
    assert_eq!(source.asked(), 2);
}

#[tokio::test]
async fn a_failing_source_fails_the_call_with_its_own_error_and_sends_nothing() {
    let mock = MockKore::builder().start().await;
    let source = Scripted::new([Answer::Fail("the vault is sealed")]);
    let kore = kore_with(&mock, &source);
    let error = kore.ping().await.unwrap_err();
    let auth = common::auth_source(&error);
    assert_eq!(auth.kind(), AuthErrorKind::SecretUnavailable);
    assert_eq!(
        std::error::Error::source(auth)
            .map(ToString::to_string)
            .as_deref(),
        Some("the vault is sealed")
    );
    assert!(!error.is_retryable());
    assert!(
        common::report(&error).contains("the client secret could not be obtained"),
        "{}",
        common::report(&error)
    );
    assert_eq!(mock.requests(Route::Token), 0);
}

#[tokio::test(start_paused = true)]
async fn a_source_past_its_limit_fails_the_token_request_and_is_not_asked_again_meanwhile() {
    let mock = MockKore::builder().start().await;
    let (release, until) = std::sync::mpsc::channel();
    let source = Scripted::new([Answer::Hang(until)]);
    let kore = common::builder_for(&mock)
        .client_secret_source(source.clone())
        .operation_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let error = kore.ping().await.unwrap_err();
    // The source's 3 s, and the SDK's second of grace.
    assert_eq!(started.elapsed().as_secs(), 4);
    let auth = common::auth_source(&error);
    assert_eq!(auth.kind(), AuthErrorKind::SecretUnavailable);
    assert!(
        common::report(&error).contains("did not return within 4s"),
        "{}",
        common::report(&error)
    );

    let started = tokio::time::Instant::now();
    let again = kore.ping().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(100));
    assert!(
        common::report(&again).contains("has not returned from an earlier call"),
        "{}",
        common::report(&again)
    );
    assert_eq!(mock.requests(Route::Token), 0);
    release.send(()).unwrap();
}

#[tokio::test]
async fn a_stored_token_bound_to_the_source_is_used_without_asking_it() {
    use kore_clients::token_store::{StoredToken, TokenKey, TokenStore};
    #[derive(Default)]
    struct One(Mutex<Option<(TokenKey, StoredToken)>>);
    impl TokenStore for One {
        fn load(&self, key: &TokenKey) -> std::io::Result<Option<StoredToken>> {
            let kept = self.0.lock().unwrap();
            Ok(kept
                .as_ref()
                .filter(|(k, _)| k == key)
                .map(|(_, t)| t.clone()))
        }
        fn save(&self, key: &TokenKey, token: &StoredToken) -> std::io::Result<()> {
            *self.0.lock().unwrap() = Some((key.clone(), token.clone()));
            Ok(())
        }
        fn forget(&self, _: &TokenKey) -> std::io::Result<()> {
            *self.0.lock().unwrap() = None;
            Ok(())
        }
    }
    let mock = MockKore::builder().start().await;
    let store = Arc::new(One::default());
    let source = Scripted::new([the_secret(&mock)]);
    let with_store = |source: &Scripted| {
        common::builder_for(&mock)
            .client_secret_source(source.clone())
            .token_store(Shared(store.clone()))
            .build()
            .unwrap()
    };
    with_store(&source).ping().await.unwrap();
    assert_eq!(source.asked(), 1);
    // A later client with the same source finds the token, and asks nothing.
    let later = Scripted::new([]);
    let kore = with_store(&later);
    assert_eq!(
        kore.tokens().store_key(),
        &TokenKey::bound_to(&mock.token_url(), mock.client_id(), "test: scripted")
    );
    kore.ping().await.unwrap();
    assert_eq!(later.asked(), 0);
    assert_eq!(mock.token_grants(), 1);

    /// The store, shared between clients.
    struct Shared(Arc<One>);
    impl TokenStore for Shared {
        fn load(&self, key: &TokenKey) -> std::io::Result<Option<StoredToken>> {
            self.0.load(key)
        }
        fn save(&self, key: &TokenKey, token: &StoredToken) -> std::io::Result<()> {
            self.0.save(key, token)
        }
        fn forget(&self, key: &TokenKey) -> std::io::Result<()> {
            self.0.forget(key)
        }
    }
}
