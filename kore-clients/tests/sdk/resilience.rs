//! The SDK under the conditions production brings: callers dropped by their
//! deadlines, readers that are slow or stop polling, a slow or failing token
//! endpoint, servers that page oddly. Timing rules run in tokio's paused
//! clock: the mock servers run on the same runtime, so their latency is
//! virtual too, and a test that "waits" 90 s takes milliseconds.

use crate::common;
use crate::common::CollectAll as _;

use std::time::Duration;

use common::LISTING_BOUND;
use futures::StreamExt as _;
use kore_clients::{AuthErrorKind, Error, RetryPolicy};
use kore_mock::{Fault, MockKore, Route};
use kore_testkit::deadline;
use kore_testkit::text::{assert_contains, assert_lacks, assert_once};
use serde_json::json;
use tokio::time::{Instant, advance, timeout};
use wiremock::MockServer;

// ---------------------------------------------------------------------------
// 1. A token request outlives the caller that started it.

#[tokio::test(start_paused = true)]
async fn a_token_request_outlives_callers_dropped_by_their_deadline() {
    let (mock, kore) =
        common::start(MockKore::builder().latency(Route::Token, Duration::from_millis(1500))).await;
    let mut outcomes = Vec::new();
    for _ in 0..8 {
        outcomes.push(
            timeout(Duration::from_secs(1), kore.ping())
                .await
                .is_ok_and(|r| r.is_ok()),
        );
    }
    // The first caller gives up at 1 s; the token arrives at 1.5 s for the
    // second, which was waiting for that same request.
    assert!(!outcomes[0], "{outcomes:?}");
    assert!(
        outcomes[1..].iter().all(|ok| *ok),
        "every call from the second on succeeds: {outcomes:?}"
    );
    assert_eq!(mock.requests(Route::Token), 1, "one token request in all");
}

/// For each step `(wait_ms, token_requests, when)`: moves the paused clock
/// on by `wait_ms` and pings, and checks the mock has then had
/// `token_requests` token requests. The pings' outcomes, in order.
async fn ping_through(
    mock: &MockKore,
    kore: &kore_clients::Kore,
    steps: &[(u64, u64, &str)],
) -> Vec<kore_clients::Result<kore_clients::PingStatus>> {
    let mut pings = Vec::new();
    for &(wait_ms, token_requests, when) in steps {
        advance(Duration::from_millis(wait_ms)).await;
        pings.push(kore.ping().await);
        assert_eq!(mock.requests(Route::Token), token_requests, "{when}");
    }
    pings
}

/// A mock whose token endpoint takes 1.5 s, and a `Kore` for it whose
/// calls may take 1 s.
async fn token_slower_than_the_deadline() -> (MockKore, kore_clients::Kore) {
    let mock = common::slow(Route::Token, Duration::from_millis(1500))
        .start()
        .await;
    let kore = common::kore_for(&mock, |b| b.operation_timeout(Duration::from_secs(1)));
    (mock, kore)
}

#[tokio::test(start_paused = true)]
async fn an_operation_timeout_shorter_than_the_token_endpoint_still_gets_a_token() {
    let (mock, kore) = token_slower_than_the_deadline().await;
    let first = kore.ping().await.unwrap_err();
    assert!(matches!(first, Error::OperationTimeout { .. }), "{first:?}");
    assert!(first.to_string().contains("operation timeout"), "{first}");
    // The token request carried on without its caller; the next call gets it.
    kore.ping().await.unwrap();
    kore.ping().await.unwrap();
    assert_eq!(mock.requests(Route::Token), 1);
    assert_eq!(kore.tokens().grants(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_create_that_runs_out_of_time_before_it_is_sent_is_known_not_to_have_happened() {
    // The deadline passes while the token is still on its way: the create
    // was never sent, so its outcome is not "unknown".
    let (mock, kore) = token_slower_than_the_deadline().await;
    let error = common::create_error(&kore, kore_clients::NewClient::new("never-sent")).await;
    assert!(
        matches!(error, Error::OperationTimeout { attempts: 0, .. }),
        "{error:?}"
    );
    assert_eq!(mock.requests(Route::CreateClient), 0);
}

// ---------------------------------------------------------------------------
// 2. A prefetched page nobody polls cannot block anyone's token.

#[test]
fn a_stream_left_unpolled_mid_token_request_never_blocks_other_calls() {
    // In real time too: a walk that never ends would keep the paused clock still.
    deadline::run_paused(common::PAUSED_RUN_BOUND, || async {
        let (mock, kore) = common::start(
            MockKore::builder()
                .clients(50)
                .latency(Route::Token, Duration::from_secs(1)),
        )
        .await;
        let mut stream = Box::pin(kore.clients().list().page_size(10).concurrency(3).stream());
        // The reader gives up on the first item while the page requests wait
        // for the token, and then stops polling the stream (but keeps it).
        assert!(
            timeout(Duration::from_millis(100), stream.next())
                .await
                .is_err()
        );
        // Its own next call must not wait on the abandoned page futures.
        timeout(Duration::from_secs(5), kore.ping())
            .await
            .expect("the call is not blocked by the unpolled stream")
            .unwrap();
        assert_eq!(mock.requests(Route::Token), 1);
        // The stream still works when polled again.
        let rest = deadline::collect_within(LISTING_BOUND, stream).await;
        assert_eq!(rest.len(), 50);
        assert!(rest.iter().all(Result::is_ok));
    });
}

// ---------------------------------------------------------------------------
// 3. A slow reader never makes prefetched requests time out or repeat.

#[tokio::test(start_paused = true)]
async fn a_slow_reader_causes_no_timeouts_and_no_repeated_page_requests() {
    let mock = common::slow_list(40, Duration::from_millis(200))
        .start()
        .await;
    let kore = common::kore_for(&mock, |b| b.timeout(Duration::from_secs(1)));
    let mut stream = Box::pin(kore.clients().list().page_size(10).concurrency(4).stream());
    let mut seen = 0;
    while let Some(client) = common::next(&mut stream).await {
        client.unwrap();
        seen += 1;
        if seen % 10 == 1 {
            // The reader spends longer on each page than the request timeout.
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
    }
    assert_eq!(seen, 40);
    // Pages 1-4 hold the clients; each read page lets one more request run
    // ahead (pages 5-7, discarded). A timed-out prefetch would be retried
    // and show up as more requests.
    assert_eq!(mock.requests(Route::ListClients), 7);
}

#[tokio::test(start_paused = true)]
async fn dropping_a_prefetching_stream_aborts_its_page_requests() {
    let mock = common::slow_list(100, Duration::from_secs(5)).start().await;
    // Each of the first four page requests would be answered with a 503,
    // which a page request still running would retry.
    mock.faults()
        .push_statuses(Route::ListClients, [503, 503, 503, 503]);
    let kore = common::start_with(&mock);
    let mut stream = Box::pin(kore.clients().list().page_size(10).concurrency(4).stream());
    assert!(
        timeout(Duration::from_secs(1), stream.next())
            .await
            .is_err()
    );
    assert_eq!(mock.requests(Route::ListClients), 4, "k requests run ahead");
    drop(stream);
    // A minute in which the 503s arrive and any retry would be sent.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(mock.requests(Route::ListClients), 4, "nothing more is sent");
}

// ---------------------------------------------------------------------------
// 4. The token endpoint is a dependency of its own.

#[tokio::test(start_paused = true)]
async fn the_token_endpoint_has_its_own_timeout() {
    let mock = common::slow(Route::Token, Duration::from_secs(60))
        .start()
        .await;
    let kore = common::kore_for(&mock, |b| {
        b.token_timeout(Duration::from_secs(2))
            .retry(RetryPolicy::disabled())
    });
    let started = Instant::now();
    let error = kore.ping().await.unwrap_err();
    let source = common::auth_source(&error);
    assert_eq!(source.kind(), AuthErrorKind::Unreachable, "{error}");
    assert_eq!(
        started.elapsed().as_secs(),
        2,
        "the token timeout, not the API's 30 s"
    );
}

#[tokio::test(start_paused = true)]
async fn token_requests_are_retried_on_5xx_and_429_with_retry_after() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    mock.faults().script(
        Route::Token,
        [
            Fault::Status(503),
            Fault::TooManyRequests {
                retry_after_secs: Some(2),
            },
        ],
    );
    let started = Instant::now();
    kore.ping().await.unwrap();
    assert_eq!(mock.requests(Route::Token), 3);
    assert_eq!(kore.tokens().grants(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After was honoured"
    );
}

#[tokio::test]
async fn token_requests_are_retried_after_a_connection_reset() {
    let token = common::flaky_server(
        1,
        200,
        json!({"access_token": "t", "token_type": "Bearer", "expires_in": 3600}),
    )
    .await;
    let server = MockServer::start().await;
    common::answer_json(&server, "GET /v1/ping", 200, json!({"status": "OK"})).await;
    let kore = common::wiremock_builder(&server)
        .token_url(format!("http://{}/token", token.addr))
        .build()
        .unwrap();
    kore.ping().await.unwrap();
    assert_eq!(token.connections(), 2, "closed once, then answered");
    assert_eq!(kore.tokens().grants(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_rejected_grant_is_cached_with_a_growing_back_off() {
    let mock = MockKore::builder().start().await;
    let kore = common::kore_for(&mock, |b| {
        b.client_secret(kore_clients::SecretString::from("wrong-secret"))
    });
    let first = kore.ping().await.unwrap_err();
    assert_eq!(
        rejected_kind(&first),
        Some(AuthErrorKind::Rejected),
        "{first}"
    );
    assert_eq!(mock.requests(Route::Token), 1);
    // Within the back-off, callers get the cached refusal without a request.
    for _ in 0..5 {
        let again = kore.ping().await.unwrap_err();
        assert_eq!(again.to_string(), first.to_string());
    }
    assert_eq!(mock.requests(Route::Token), 1);
    // After exactly 1 s (the clock has not moved since the refusal came),
    // one new request; then the back-off is 2 s.
    let steps = [
        (999, 1, "1 ms before the back-off ends"),
        (1, 2, "when the back-off ends"),
        (1500, 2, "the back-off doubled"),
        (600, 3, "when the doubled back-off ends"),
    ];
    let pings = ping_through(&mock, &kore, &steps).await;
    assert!(pings.iter().all(Result::is_err), "{pings:?}");
    // An explicit invalidate ends the back-off at once.
    kore.tokens().invalidate();
    kore.ping().await.unwrap_err();
    assert_eq!(mock.requests(Route::Token), 4);
    assert_eq!(mock.requests(Route::Ping), 0, "no API call without a token");
}

#[tokio::test]
async fn kores_own_token_error_shape_is_a_rejected_grant_with_its_message() {
    let server = MockServer::start().await;
    let answer =
        json!({"code": 40001, "message": "Client authentication failed for wiremock-client"});
    common::answer_json(&server, "POST /token", 400, answer).await;
    let kore = common::wiremock_kore(&server).await;
    let error = kore.ping().await.unwrap_err();
    let source = common::auth_source(&error);
    assert_eq!(source.kind(), AuthErrorKind::Rejected, "{error}");
    assert_eq!(source.error_code(), Some("40001"));
    assert_eq!(
        source.description(),
        Some("Client authentication failed for wiremock-client")
    );
    let text = error.to_string();
    assert_contains(&text, "Client authentication failed");
    assert!(!text.contains("body starts"), "no raw excerpt: {text}");
    assert_lacks(&text, "wiremock-secret");
    assert!(!error.is_retryable());
}

// ---------------------------------------------------------------------------
// 5. Pagination ends where the server says, and never cycles.

#[tokio::test]
async fn a_short_page_with_a_next_page_url_does_not_end_the_stream() {
    // Asked for 100, the server silently sends 30 (meta says nothing of it).
    let (_server, kore) = common::scripted_list(|number| {
        let clients = common::numbered_clients(number, 30);
        let next = (number < 4).then(|| "url".to_owned());
        json!({"meta": {"page_number": number, "next_page_url": next}, "clients": clients})
    })
    .await;
    let all = kore.clients().list().page_size(100).all().await;
    assert_eq!(all.len(), 120, "four capped pages, none lost");
}

#[tokio::test]
async fn every_published_form_of_next_page_url_is_understood() {
    // (next_page_url, whether a further page is requested after page 1)
    for (next, more) in [
        (
            Some(json!(
                "https://client.api.korewireless.com/v1/clients?page_number=2"
            )),
            true,
        ),
        (Some(json!("url")), true),
        (Some(json!("")), false),
        (Some(serde_json::Value::Null), false),
        (None, false),
    ] {
        let form = format!("{next:?}");
        let (server, kore) = common::scripted_list(move |number| {
            let clients: Vec<_> = if number == 1 {
                (0..2)
                    .map(|i| json!({"client_id": format!("apiclient_{i}")}))
                    .collect()
            } else {
                vec![]
            };
            let mut meta = json!({"page_number": number, "previous_page_url": "url"});
            if let Some(next) = &next {
                meta["next_page_url"] = next.clone();
            }
            json!({"meta": meta, "clients": clients})
        })
        .await;
        let listing = futures::TryStreamExt::try_collect::<Vec<_>>(
            kore.clients().list().page_size(2).stream(),
        );
        let all = deadline::within(LISTING_BOUND, &form, listing)
            .await
            .unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(all.len(), 2, "{form}");
        let lists = common::received(&server, "/v1/clients").await;
        assert_eq!(lists, if more { 2 } else { 1 }, "{form}");
    }
}

#[tokio::test]
async fn without_meta_only_a_short_page_ends_the_stream() {
    // No `meta` at all: full pages of 3 until page 3, which holds 1.
    let (server, kore) = common::scripted_list(|number| {
        let size = if number < 3 { 3 } else { 1 };
        let clients = common::numbered_clients(number, size);
        json!({"clients": clients})
    })
    .await;
    let all = kore.clients().list().page_size(3).all().await;
    assert_eq!(all.len(), 7, "two full pages and the short one");
    let lists = common::received(&server, "/v1/clients").await;
    assert_eq!(lists, 3, "nothing requested after the short page");
}

#[tokio::test]
async fn pages_that_cycle_end_the_stream_with_an_error() {
    // Page 3 is page 1 again, page 4 page 2, and so on.
    let (_server, kore) = common::scripted_list(|number| {
        let cycle = (number - 1) % 2;
        let clients = common::numbered_clients(cycle, 2);
        json!({"meta": {"next_page_url": "url"}, "clients": clients})
    })
    .await;
    // The cycle ends the listing: pages 1 and 2, then the error.
    common::assert_listing_ends_in_pagination_error(&kore, 2, 4, "page 3 repeats page 1").await;
}

// ---------------------------------------------------------------------------
// 6. A second 401 keeps the token just issued.

#[tokio::test]
async fn a_second_401_keeps_the_freshly_issued_token() {
    let server = MockServer::start().await;
    // A token long enough that scrubbing it out of the API's answer cannot
    // touch the answer's words.
    common::mount_token(
        &server,
        json!({"access_token": "tok-0123456789", "expires_in": 3600}),
    )
    .await;
    let revoked = json!({"code": 401, "message": "token revoked by an administrator"});
    common::answer_json(&server, "GET /v1/ping", 401, revoked.clone()).await;
    let kore = common::wiremock_builder(&server).build().unwrap();
    let error = kore.ping().await.unwrap_err();
    assert_eq!(rejected_kind(&error), Some(AuthErrorKind::ApiRejected));
    let report = common::report(&error);
    assert!(
        report.contains("token revoked by an administrator"),
        "what KORE said about the refusal is kept: {report}"
    );
    assert_eq!(kore.tokens().grants(), 2, "the first grant and one refresh");
    // The refreshed token is still cached: asking for it sends nothing.
    kore.tokens().bearer().await.unwrap();
    assert_eq!(kore.tokens().grants(), 2);
    // Where the spec documents the 401 (getClient), the same holds.
    common::answer_json(&server, "GET /v1/clients/apiclient_1", 401, revoked).await;
    let error = kore.clients().get("apiclient_1").await.unwrap_err();
    assert_eq!(rejected_kind(&error), Some(AuthErrorKind::ApiRejected));
    let report = common::report(&error);
    assert_contains(&report, "token revoked by an administrator");
}

// ---------------------------------------------------------------------------
// 7. No call waits forever.

#[tokio::test(start_paused = true)]
async fn the_operation_timeout_bounds_retries_and_back_off() {
    let mock = MockKore::builder().start().await;
    mock.faults().script(
        Route::ListClients,
        std::iter::repeat_n(Fault::Status(503), 100),
    );
    let kore = common::builder_for(&mock)
        .retry(common::retries(
            50,
            Duration::from_secs(4),
            Duration::from_secs(4),
        ))
        .operation_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = kore.clients().list().send().await.unwrap_err();
    assert_eq!(started.elapsed().as_secs(), 30);
    let Error::OperationTimeout {
        limit, attempts, ..
    } = &error
    else {
        panic!("expected the operation timeout, got {error:?}")
    };
    assert_eq!(*limit, Duration::from_secs(30));
    assert!(*attempts >= 2, "{attempts} attempts");
    assert!(
        error.is_retryable(),
        "a read that ran out of time may be retried"
    );
}

#[tokio::test(start_paused = true)]
async fn the_attempt_timeout_applies_to_a_callers_own_http_client() {
    let mock = common::slow(Route::Ping, Duration::from_secs(3600))
        .start()
        .await;
    let kore = common::kore_for(&mock, |b| {
        b.http_client(kore_clients::reqwest::Client::new()) // no timeout of its own
            .timeout(Duration::from_secs(5))
            .retry(RetryPolicy::disabled())
    });
    let started = Instant::now();
    let error = kore.ping().await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(started.elapsed().as_secs(), 5);
}

// ---------------------------------------------------------------------------
// 8. Each cause is printed once.

#[tokio::test]
async fn error_reports_name_each_cause_once() {
    let addr = kore_testkit::tcp::closed_addr();
    // The API at the closed port, without retries; the bound of this test:
    // a refused connection fails at once.
    let at_closed_port = |builder: kore_clients::KoreBuilder| {
        builder
            .base_url(format!("http://{addr}"))
            .retry(RetryPolicy::disabled())
            .operation_timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    };
    let kore = at_closed_port(
        kore_clients::Kore::builder()
            .client_id("id")
            .client_secret(kore_clients::SecretString::from("secret"))
            .token_url(format!("http://{addr}/token")),
    );
    let auth = kore.ping().await.unwrap_err();
    assert!(matches!(auth, Error::Auth { .. }), "{auth:?}");
    let report = common::report(&auth);
    assert_once(&report, "could not reach the token endpoint");
    assert_once(&report, "error sending request");

    // An API-side transport error: a token, then a closed port.
    let server = MockServer::start().await;
    common::mount_token(&server, json!({"access_token": "t", "expires_in": 3600})).await;
    let kore = at_closed_port(common::wiremock_builder(&server));
    let transport = kore.ping().await.unwrap_err();
    assert!(
        matches!(transport, Error::Transport { .. }),
        "{transport:?}"
    );
    let report = common::report(&transport);
    assert_once(&report, "could not reach KORE");
    assert_once(&report, "error sending request");
    assert!(
        std::error::Error::source(&transport).is_some(),
        "the cause is reachable through source()"
    );
}

// ---------------------------------------------------------------------------
// Refresh ahead of expiry, in virtual time.

#[tokio::test(start_paused = true)]
async fn tokens_are_refreshed_in_the_background_within_the_margin() {
    // 600 s tokens: the margin is 60 s plus up to 6 s of jitter.
    let (mock, kore) =
        common::start(MockKore::builder().token_lifetime(Duration::from_secs(600))).await;
    kore.ping().await.unwrap();
    advance(Duration::from_secs(600 - 67)).await;
    kore.ping().await.unwrap();
    assert_eq!(
        mock.requests(Route::Token),
        1,
        "still fresh before the margin"
    );
    advance(Duration::from_secs(8)).await;
    // Within the margin: the call uses the old token and starts a refresh.
    mock.faults()
        .set_latency(Route::Token, Duration::from_secs(5));
    let started = Instant::now();
    kore.ping().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "nobody waits for the refresh"
    );
    // The refresh runs on its own; wait for it (in virtual time, bounded).
    for _ in 0..100 {
        if kore.tokens().grants() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(kore.tokens().grants(), 2, "the background refresh finished");
    assert_eq!(mock.requests(Route::Token), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_is_tried_again_exactly_five_seconds_later() {
    // 600 s tokens: the refresh margin is 60 to 66 s.
    let mock = MockKore::builder()
        .token_lifetime(Duration::from_secs(600))
        .start()
        .await;
    let kore = common::kore_for(&mock, |b| b.retry(RetryPolicy::disabled()));
    kore.ping().await.unwrap();
    advance(Duration::from_secs(600 - 30)).await;
    // Inside the margin: the call is served with the old token and starts a
    // refresh, which fails.
    mock.faults().push_statuses(Route::Token, [500]);
    kore.ping().await.unwrap();
    // Let the refresh finish without moving the clock.
    for _ in 0..100_000 {
        if !format!("{:?}", kore.tokens()).contains("refreshing: true") {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(format!("{:?}", kore.tokens()).contains("refreshing: false"));
    assert_eq!(mock.requests(Route::Token), 2);
    // The old token keeps serving, with no new refresh for 5 s...
    // ...and then one.
    let steps = [
        (4999, 2, "1 ms before the retry delay ends"),
        (1, 3, "when the retry delay ends"),
    ];
    let pings = ping_through(&mock, &kore, &steps).await;
    assert!(pings.iter().all(Result::is_ok), "{pings:?}");
}

#[tokio::test(start_paused = true)]
async fn an_idle_client_requests_no_tokens() {
    let (mock, kore) =
        common::start(MockKore::builder().token_lifetime(Duration::from_secs(120))).await;
    kore.ping().await.unwrap();
    advance(Duration::from_secs(3600)).await;
    tokio::task::yield_now().await;
    assert_eq!(mock.requests(Route::Token), 1);
    kore.ping().await.unwrap();
    assert_eq!(mock.requests(Route::Token), 2, "one on demand after expiry");
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_waited_for_in_full() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    kore.ping().await.unwrap(); // the token, out of the way
    mock.faults().script(
        Route::Ping,
        [Fault::TooManyRequests {
            retry_after_secs: Some(3),
        }],
    );
    let started = Instant::now();
    kore.ping().await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(3) && waited < Duration::from_millis(3100),
        "{waited:?}"
    );
}

fn rejected_kind(error: &Error) -> Option<AuthErrorKind> {
    match error {
        Error::Auth { source, .. } => Some(source.kind()),
        _ => None,
    }
}
