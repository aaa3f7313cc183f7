//! Creating clients without losing or duplicating one: unknown outcomes,
//! finding what a create may have made, and create-if-absent.

use crate::common;

use std::time::Duration;

use common::LISTING_BOUND;
use kore_clients::Kore;
use kore_clients::{CreateIfAbsent, Error, NewClient, Product, RetryPolicy};
use kore_mock::{Fault, MockKore, Route};
use kore_testkit::deadline;
use kore_testkit::runtime::background;
use kore_testkit::tcp::{self, RawServer, Reply};
use kore_testkit::text::assert_contains;
use serde_json::json;
use tokio::runtime::Runtime;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_gateway_5xx_to_a_create_is_an_unknown_outcome() {
    for (fault, status) in [
        (Fault::Status(502), 502),
        (Fault::Status(504), 504),
        (Fault::BadGatewayHtml, 502),
    ] {
        let (mock, kore) = common::start(MockKore::builder().clients(0)).await;
        mock.faults().push(Route::CreateClient, fault.clone());
        let error = common::create_error(&kore, NewClient::new("edge-gw")).await;
        let Error::CreateOutcomeUnknown { name, .. } = &error else {
            panic!("{fault}: expected an unknown outcome, got {error:?}")
        };
        assert_eq!(name, "edge-gw");
        assert!(!error.is_retryable(), "{fault}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status), "{fault}");
        assert_eq!(mock.requests(Route::CreateClient), 1, "{fault}: sent once");
        let text = common::report(&error);
        assert_contains(&text, "kore clients list --name edge-gw");
    }
}

#[tokio::test]
async fn a_connection_lost_after_sending_a_create_is_an_unknown_outcome() {
    // Answers the token request, then drops the create's connection unanswered.
    let api = common::flaky_server(1, 201, json!({})).await;
    let tokens = MockServer::start().await;
    common::mount_token(&tokens, json!({"access_token": "t", "expires_in": 3600})).await;
    let kore = common::wiremock_builder(&tokens)
        .base_url(format!("http://{}", api.addr))
        .build()
        .unwrap();
    let error = common::create_error(&kore, NewClient::new("lost")).await;
    let Error::CreateOutcomeUnknown { cause, .. } = &error else {
        panic!("expected an unknown outcome, got {error:?}")
    };
    assert!(matches!(**cause, Error::Transport { .. }), "{cause:?}");
    assert!(!error.is_retryable());
    assert_eq!(api.connections(), 1, "never sent twice");
}

#[tokio::test]
async fn a_create_refused_before_connecting_stays_retryable() {
    let addr = tcp::closed_addr();
    let tokens = MockServer::start().await;
    common::mount_token(&tokens, json!({"access_token": "t", "expires_in": 3600})).await;
    let kore = common::wiremock_builder(&tokens)
        .base_url(format!("http://{addr}"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = common::create_error(&kore, NewClient::new("never-sent")).await;
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.is_retryable(), "nothing reached KORE");
}

#[tokio::test(start_paused = true)]
async fn a_create_cut_short_by_the_operation_timeout_is_an_unknown_outcome() {
    let mock = MockKore::builder().clients(0).start().await;
    let kore = common::kore_for(&mock, |b| b.operation_timeout(Duration::from_secs(5)));
    kore.ping().await.unwrap();
    mock.faults()
        .push(Route::CreateClient, Fault::Delay(Duration::from_secs(20)));
    let error = common::create_error(&kore, NewClient::new("deadline")).await;
    let Error::CreateOutcomeUnknown { cause, .. } = &error else {
        panic!("expected an unknown outcome, got {error:?}")
    };
    assert!(
        matches!(**cause, Error::OperationTimeout { attempts: 1, .. }),
        "{cause:?}"
    );
}

#[tokio::test]
async fn a_wiremock_gateway_answering_a_create_with_json_500_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/clients"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"code": 500, "message": "Internal"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let kore = common::wiremock_kore(&server).await;
    let error = common::create_error(&kore, NewClient::new("x")).await;
    assert!(
        matches!(error, Error::CreateOutcomeUnknown { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_created_client_carries_kores_message_and_account() {
    let (mock, kore) = common::start(MockKore::builder().clients(0)).await;
    let created = kore
        .clients()
        .create(NewClient::new("edge-gw"))
        .await
        .unwrap();
    assert_eq!(created.message(), Some("Client created successfully"));
    assert_eq!(created.account_id(), Some(mock.account_id()));
    assert_eq!(created.name(), Some("edge-gw"));
    let listed = kore.clients().get(created.client_id()).await.unwrap();
    assert!(created.client_owner().is_some_and(|o| o.contains('@')));
    assert_eq!(created.client_owner(), listed.client_owner());
    assert_eq!(created.client_type(), listed.client_type());
    assert!(created.client_type().is_some());
    assert_eq!(created.locked(), Some(false));
    let date = created.date_created_raw().expect("a creation date");
    assert_eq!(Some(date), listed.date_created_raw());
    assert!(created.date_created().is_some(), "{date} parses");
    let serialized = serde_json::to_value(&created).unwrap();
    assert_eq!(serialized["client_id"], created.client_id());
    assert_eq!(serialized["name"], "edge-gw");
    assert!(
        serialized.get("client_secret").is_none(),
        "the secret lives apart"
    );
    let shown = format!("{created:?}");
    assert!(
        shown.starts_with("CreatedClient { client_id: \"apiclient_")
            && shown.contains("client_secret: \"[redacted]\"")
            && shown.contains("message: Some(\"Client created successfully\")"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_fetched_client_reads_its_account_and_locked_flag_both_ways() {
    let (mock, kore) = common::start(MockKore::builder().clients(0)).await;
    for locked in [false, true] {
        let created = kore
            .clients()
            .create(NewClient::new("edge-gw").locked(locked))
            .await
            .unwrap();
        assert_eq!(created.locked(), Some(locked));
        let fetched = kore.clients().get(created.client_id()).await.unwrap();
        assert_eq!(fetched.account_id(), Some(mock.account_id()));
        assert_eq!(fetched.locked(), Some(locked));
        assert_eq!(fetched.client_id(), Some(created.client_id()));
        assert_eq!(fetched.name(), Some("edge-gw"));
    }
}

#[tokio::test]
async fn find_by_name_streams_exact_matches_across_pages() {
    let (_mock, kore) = common::start(MockKore::builder().clients(250)).await;
    for name in ["twin", "other", "twin"] {
        kore.clients()
            .create(NewClient::new(name).product(Product::SuperSim))
            .await
            .unwrap();
    }
    let twins =
        deadline::try_collect_within(LISTING_BOUND, kore.clients().find_by_name("twin")).await;
    assert_eq!(twins.len(), 2);
    assert!(twins.iter().all(|c| c.name() == Some("twin")));
    let none =
        deadline::try_collect_within(LISTING_BOUND, kore.clients().find_by_name("twi")).await;
    assert!(none.is_empty(), "exact names only");
}

#[tokio::test]
async fn create_if_absent_creates_once() {
    let (mock, kore) = common::start(MockKore::builder().clients(30)).await;
    let create_if_absent = || async {
        let provisioned = NewClient::new("provisioned").product(Product::SuperSim);
        let clients = kore.clients();
        deadline::within(
            LISTING_BOUND,
            "a create-if-absent",
            clients.create_if_absent(provisioned),
        )
        .await
    };
    let first = create_if_absent().await.unwrap();
    let CreateIfAbsent::Created(created) = first else {
        panic!("expected a new client, got {first:?}")
    };
    let second = create_if_absent().await.unwrap();
    let CreateIfAbsent::Existing(existing) = second else {
        panic!("expected the existing client, got {second:?}")
    };
    assert_eq!(existing.client_id(), Some(created.client_id()));
    assert_eq!(mock.requests(Route::CreateClient), 1, "one create in all");
}

/// A server that refuses its first `refusals` requests with 429 (Retry-After
/// 0), then answers 201 with the start of a body and stalls.
async fn stalling_create_server(refusals: usize) -> String {
    let server = RawServer::start(move |served| {
        if served < refusals {
            Reply::ThenClose(
                b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
            )
        } else {
            Reply::ThenStall(
                b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"client_id\":\"apiclient_slow\",\"client_secret\":\"s3cr".to_vec(),
            )
        }
    })
    .await;
    server.url()
}

/// Creates against [`stalling_create_server`] with a 5 s operation timeout
/// and checks that what arrived of the answer is kept.
async fn create_keeps_the_stalled_answer(refusals: usize) {
    let api = stalling_create_server(refusals).await;
    // Tokens from kore-mock, which runs on this (paused) runtime too.
    let tokens = MockKore::builder().start().await;
    let kore = common::builder_for(&tokens)
        .base_url(api)
        .operation_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let error = common::create_error(&kore, NewClient::new("slow")).await;
    let Error::CreatedButUndecodable {
        created, reason, ..
    } = &error
    else {
        panic!("expected the kept answer, got {error:?}")
    };
    assert_eq!(
        created.expose_body(),
        r#"{"client_id":"apiclient_slow","client_secret":"s3cr"#
    );
    assert_eq!(created.client_id(), Some("apiclient_slow"));
    assert_contains(reason, "operation timeout");
}

#[tokio::test(start_paused = true)]
async fn a_create_answer_cut_off_by_the_operation_timeout_is_kept() {
    create_keeps_the_stalled_answer(0).await;
}

#[tokio::test(start_paused = true)]
async fn the_answer_to_a_create_retried_after_429_is_kept_too() {
    create_keeps_the_stalled_answer(1).await;
}

/// A slow token request in flight on a caller's runtime (`first`, last),
/// whose caller has given up; the mock (second) lives on a runtime of its own
/// (`server`, first).
fn abandoning() -> (Runtime, MockKore, Kore, Runtime) {
    let server = background();
    let mock = server.block_on(common::slow(Route::Token, Duration::from_millis(500)).start());
    let kore = server.block_on(async { common::builder_for(&mock).build().unwrap() });
    let first = background();
    let gave_up = first
        .block_on(async { tokio::time::timeout(Duration::from_millis(50), kore.ping()).await });
    assert!(gave_up.is_err());
    (server, mock, kore, first)
}

#[test]
fn callers_waiting_on_a_token_request_abandoned_with_its_runtime_start_another() {
    // The first caller's runtime runs the token request...
    let (_server, mock, kore, first) = abandoning();
    // ...while a caller on another runtime is already waiting for it...
    let second = background();
    let (waiting, is_waiting) = std::sync::mpsc::channel();
    let waiter = second.spawn({
        let kore = kore.clone();
        async move {
            let mut ping = std::pin::pin!(kore.ping());
            assert!(futures::poll!(&mut ping).is_pending(), "no token yet");
            waiting.send(()).unwrap();
            tokio::time::timeout(Duration::from_secs(10), ping).await
        }
    });
    is_waiting.recv_timeout(Duration::from_secs(10)).unwrap();
    // ...when that runtime shuts down, dropping the request unpublished.
    drop(first);
    second
        .block_on(waiter)
        .unwrap()
        .expect("the waiter's call ends")
        .expect("the waiter starts a new token request, which succeeds");
    assert_eq!(
        mock.requests(Route::Token),
        2,
        "the abandoned one and its replacement"
    );
    drop(mock);
}

#[test]
fn a_caller_on_a_runtime_that_has_shut_down_gets_an_error_instead_of_spinning() {
    // Every token request this caller starts is dropped at once with its
    // (dead) runtime; the caller replaces a few, then says so.
    let kore = kore_clients::Kore::builder()
        .client_id("id")
        .client_secret(kore_clients::SecretString::from("secret"))
        .base_url("http://127.0.0.1:9")
        .token_url("http://127.0.0.1:9/token")
        .build()
        .unwrap();
    let dead = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = dead.handle().clone();
    drop(dead);
    let (answer, answered) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _entered = handle.enter();
        let result = futures::executor::block_on(kore.tokens().bearer());
        answer
            .send(result.map(|_| ()).map_err(|e| e.to_string()))
            .unwrap();
    });
    let result = answered
        .recv_timeout(Duration::from_secs(10))
        .expect("the caller gets an answer within 10 s");
    let error = result.unwrap_err();
    assert_contains(&error, "abandoned");
}

#[test]
fn a_token_request_abandoned_with_its_runtime_does_not_block_the_next_one() {
    // A caller's runtime starts the token request, then shuts down with it
    // in flight (as a `#[tokio::test]` or a per-call runtime would).
    let (_server, mock, kore, first) = abandoning();
    first.shutdown_background();
    // Another runtime's call starts a new request instead of waiting on the dead one.
    let second = background();
    second
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), kore.ping()).await })
        .expect("the call ends")
        .expect("a fresh token request succeeds");
    drop(mock);
}

#[tokio::test]
async fn a_created_clients_answer_past_the_limit_is_kept_up_to_it() {
    let mock = MockKore::builder().start().await;
    // Sent chunked, and with its length announced: either way, the first
    // bytes up to the limit are kept.
    for announce in [false, true] {
        let api = RawServer::start(move |_| tcp::huge(201, 1 << 30, announce)).await;
        let limit = 64 * 1024 + 7;
        let kore = common::builder_for(&mock)
            .base_url(api.url())
            .max_answer_size(limit)
            .build()
            .unwrap();
        let error = common::create_error(&kore, NewClient::new("huge")).await;
        let Error::CreatedButUndecodable {
            created, reason, ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(
            created.expose_body().len() as u64,
            limit,
            "kept up to the limit"
        );
        assert!(created.expose_body().starts_with("<html><body>"));
        assert_contains(reason, "larger than the limit of 65543 bytes");
        assert_contains(&error.to_string(), "KORE created the client");
        assert_eq!(api.connections(), 1);
    }
}
