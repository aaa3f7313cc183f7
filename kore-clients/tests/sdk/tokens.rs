//! Token behaviour against kore-mock (and wiremock for narrow faults).

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use kore_clients::{AuthErrorKind, Error, SecretString};
use kore_mock::{MockKore, Route};
use kore_testkit::text::{assert_contains, assert_lacks};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn token_is_cached_and_reused_across_calls_and_clones() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    kore.ping().await.unwrap();
    let clone = kore.clone();
    clone.clients().list().page_size(5).send().await.unwrap();
    kore.ping().await.unwrap();
    assert_eq!(mock.token_grants(), 1);
    assert_eq!(mock.requests(Route::Token), 1);
    assert_eq!(kore.tokens().grants(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_first_calls_make_one_token_request() {
    let (mock, kore) = common::start(MockKore::builder().clients(3)).await;
    let kore = Arc::new(kore);
    let calls = (0..1000).map(|_| {
        let kore = kore.clone();
        tokio::spawn(async move { kore.tokens().bearer().await.map(|_| ()) })
    });
    for result in common::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(mock.requests(Route::Token), 1);
    assert_eq!(mock.token_grants(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_api_calls_on_a_cold_cache_share_one_grant() {
    let (mock, kore) = common::start(MockKore::builder().clients(3)).await;
    let calls = (0..100).map(|_| {
        let kore = kore.clone();
        tokio::spawn(async move { kore.ping().await })
    });
    for result in common::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(mock.token_grants(), 1);
    assert_eq!(mock.requests(Route::Ping), 100);
}

#[tokio::test]
async fn expires_in_as_a_numeric_string_is_accepted() {
    let (mock, kore) = common::start(MockKore::builder().expires_in_as_string(true)).await;
    kore.ping().await.unwrap();
    kore.ping().await.unwrap();
    assert_eq!(
        mock.token_grants(),
        1,
        "the string lifetime was understood and cached"
    );
}

#[tokio::test]
async fn credentials_go_in_the_form_body_never_basic_auth() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    kore.ping().await.unwrap();
    let request = mock.last_request(Route::Token).unwrap();
    assert_eq!(request.method, "POST");
    assert!(request.header("authorization").is_none());
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let body = String::from_utf8(request.body).unwrap();
    assert_contains(&body, "grant_type=client_credentials");
    assert_contains(&body, &format!("client_id={}", mock.client_id()));
    assert_contains(&body, "client_secret=");
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_retries() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    kore.ping().await.unwrap();
    let first = common::last_bearer(&mock, Route::Ping);
    mock.expire_tokens();
    kore.ping().await.unwrap();
    assert_eq!(mock.token_grants(), 2);
    assert_eq!(mock.requests(Route::Ping), 3, "ok, 401, retried ok");
    assert_ne!(common::last_bearer(&mock, Route::Ping), first);
}

#[tokio::test]
async fn tokens_that_expire_early_are_replaced_transparently() {
    let (mock, kore) = common::start(
        MockKore::builder()
            .token_lifetime(Duration::from_secs(3600))
            .tokens_expire_after(Duration::from_millis(200)),
    )
    .await;
    kore.ping().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    kore.clients().list().page_size(2).send().await.unwrap();
    assert_eq!(mock.token_grants(), 2);
}

#[tokio::test]
async fn a_second_401_is_an_auth_error() {
    let server = MockServer::start().await;
    let answer =
        json!({"access_token": "rejected-token", "expires_in": 3600, "token_type": "Bearer"});
    common::answer_json(&server, "POST /token", 200, answer).await;
    let answer = json!({"message": "Unauthorized"});
    common::answer_json(&server, "GET /v1/ping", 401, answer).await;
    let error = ping_error(&server).await;
    let source = common::auth_source(&error);
    assert_eq!(source.kind(), AuthErrorKind::ApiRejected);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(source.description(), Some("Unauthorized"), "{error:?}");
    let pings = common::received(&server, "/v1/ping").await;
    assert_eq!(pings, 2, "one retry after a refresh, no more");
    assert!(!error.to_string().contains("rejected-token"));
}

#[tokio::test]
async fn wrong_credentials_surface_kores_error_without_the_secret() {
    let mock = MockKore::builder().start().await;
    let wrong_secret = "definitely-the-wrong-secret";
    let kore = common::kore_for(&mock, |b| b.client_secret(SecretString::from(wrong_secret)));
    let error = kore.clients().get("apiclient_x").await.unwrap_err();
    let Error::Auth {
        source, operation, ..
    } = &error
    else {
        panic!("expected an auth error, got {error:?}")
    };
    assert_eq!(*operation, kore_clients::Operation::GetClient);
    assert_eq!(source.kind(), AuthErrorKind::Rejected);
    assert!(
        !source.is_network(),
        "the credentials' fault, not the network's"
    );
    assert_eq!(source.error_code(), Some("invalid_client"));
    assert!(source.description().is_some());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    for rendered in [
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ] {
        assert_lacks(&rendered, wrong_secret);
    }
    let display = error.to_string();
    assert_contains(&display, "get client");
    assert_contains(&display, "invalid_client");
    assert_eq!(
        mock.requests(Route::GetClient),
        0,
        "no API call without a token"
    );
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_a_network_auth_error() {
    let mock = MockKore::builder().start().await;
    let dead_url = format!("http://{}/token", kore_testkit::tcp::closed_addr());
    let kore = common::kore_for(&mock, |b| b.token_url(dead_url));
    let error = kore.ping().await.unwrap_err();
    let source = common::auth_source(&error);
    assert!(source.is_network(), "{error}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_still_valid_token_serving() {
    // A 4 s token is refreshed 2 s before it expires (the margin is capped
    // at half the lifetime).
    let (mock, kore) =
        common::start(MockKore::builder().token_lifetime(Duration::from_secs(4))).await;
    kore.ping().await.unwrap();
    mock.faults().push_statuses(Route::Token, [503]);
    // Inside the refresh window (from 2 s), well before expiry (4 s).
    tokio::time::sleep(Duration::from_millis(2200)).await;
    kore.ping().await.expect("the old token is still valid");
    assert_eq!(mock.requests(Route::Token), 2, "a refresh was attempted");
    assert_eq!(mock.token_grants(), 1, "and it failed");
    assert_eq!(mock.requests(Route::Ping), 2);
}

#[tokio::test]
async fn token_requests_never_follow_redirects() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "stolen", "expires_in": 3600, "token_type": "Bearer"}),
        ))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    common::mount(
        &server,
        "POST",
        "/token",
        ResponseTemplate::new(307).insert_header("location", format!("{}/token", elsewhere.uri())),
    )
    .await;
    let kore = common::wiremock_builder(&server).build().unwrap();
    let error = kore.ping().await.unwrap_err();
    assert!(matches!(error, Error::Auth { .. }), "{error:?}");
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "the secret went elsewhere"
    );
}

#[tokio::test]
async fn missing_expires_in_falls_back_to_the_jwt_exp_claim() {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1800;
    let jwt = format!(
        "{}.{}.sig",
        engine.encode(br#"{"alg":"RS256"}"#),
        engine.encode(json!({"exp": exp}).to_string())
    );
    let server = MockServer::start().await;
    common::mount_token(
        &server,
        json!({"access_token": jwt, "token_type": "Bearer"}),
    )
    .await;
    common::answer_json(&server, "GET /v1/ping", 200, json!({"status": "OK"})).await;
    let kore = common::wiremock_builder(&server).build().unwrap();
    kore.ping().await.unwrap();
    let debug = format!("{:?}", kore.tokens());
    // About 30 minutes, not the 5-minute fallback.
    let token = kore.tokens().bearer().await.unwrap();
    let left = token.expires_at() - std::time::Instant::now();
    assert!(
        left > Duration::from_secs(1700) && left <= Duration::from_secs(1800),
        "{left:?}"
    );
    assert!(!debug.contains(&jwt));
}

#[tokio::test]
async fn an_unparsable_token_answer_never_quotes_the_token() {
    let server = MockServer::start().await;
    let unparsable = json!({"access_token": "ACCESS-TOKEN-123", "token_type": 5});
    common::mount_token(&server, unparsable).await;
    let error = ping_error(&server).await;
    let source = common::auth_source(&error);
    assert_eq!(source.kind(), AuthErrorKind::InvalidResponse);
    for rendered in [error.to_string(), format!("{error:?}")] {
        assert_lacks(&rendered, "ACCESS-TOKEN-123");
    }
    // It says where it failed.
    assert_contains(&error.to_string(), "token_type");
}

#[tokio::test]
async fn an_oauth_error_without_description_keeps_its_code() {
    let server = MockServer::start().await;
    let answer = json!({"error": "invalid_client"});
    common::answer_json(&server, "POST /token", 401, answer).await;
    let error = ping_error(&server).await;
    let source = common::auth_source(&error);
    assert_eq!(source.kind(), AuthErrorKind::Rejected);
    assert_eq!(source.error_code(), Some("invalid_client"));
    assert!(!error.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_waiting_on_a_failing_token_request_share_its_failure() {
    // A slow token endpoint, so that every caller is waiting on the first request.
    let (mock, kore) =
        common::start(MockKore::builder().latency(Route::Token, Duration::from_millis(300))).await;
    // 503 on every attempt the retry policy allows (3).
    mock.faults().push_statuses(Route::Token, [503, 503, 503]);
    let calls = (0..50).map(|_| {
        let kore = kore.clone();
        tokio::spawn(async move { kore.tokens().bearer().await.map(|_| ()) })
    });
    let results = common::join_all(calls).await;
    assert_eq!(
        mock.requests(Route::Token),
        3,
        "one token request (retried to the policy's 3 attempts), its failure shared"
    );
    for result in &results {
        let error = result.as_ref().unwrap_err();
        assert_eq!(error.kind(), AuthErrorKind::Unavailable);
        assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    }
    // The next caller tries again, and succeeds.
    kore.ping().await.unwrap();
    assert_eq!(mock.token_grants(), 1);
}

#[tokio::test]
async fn a_token_endpoint_503_is_retryable_not_a_credentials_problem() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    mock.faults().push_statuses(Route::Token, [503, 503, 503]);
    let error = kore.ping().await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert!(
        !error.to_string().contains("check KORE_CLIENT_ID"),
        "{error}"
    );
    kore.ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_401s_cause_exactly_one_refresh() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    kore.ping().await.unwrap();
    mock.expire_tokens();
    let calls = (0..50).map(|_| {
        let kore = kore.clone();
        tokio::spawn(async move { kore.ping().await })
    });
    for result in common::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(
        mock.token_grants(),
        2,
        "a late 401 for the old token must not discard the new one"
    );
}

#[tokio::test]
async fn a_token_answer_that_is_not_json_is_classified_by_its_status() {
    for (status, kind) in [
        (502, AuthErrorKind::Unavailable),
        (401, AuthErrorKind::Rejected),
        (403, AuthErrorKind::Rejected),
        (404, AuthErrorKind::InvalidResponse),
    ] {
        let server = MockServer::start().await;
        common::mount(
            &server,
            "POST",
            "/token",
            ResponseTemplate::new(status).set_body_raw("<html>gateway page</html>", "text/html"),
        )
        .await;
        let kore = common::wiremock_builder(&server)
            .retry(kore_clients::RetryPolicy::disabled())
            .build()
            .unwrap();
        let error = kore.ping().await.unwrap_err();
        let Error::Auth { source, .. } = &error else {
            panic!("{status}: expected an auth error, got {error:?}")
        };
        assert_eq!(source.kind(), kind, "HTTP {status}: {error}");
    }
}

/// What a ping to the wiremock KORE `server` fails with.
async fn ping_error(server: &MockServer) -> kore_clients::Error {
    let kore = common::wiremock_builder(server).build().unwrap();
    kore.ping().await.unwrap_err()
}

#[tokio::test]
async fn a_token_answer_past_the_limit_is_an_error_that_quotes_none_of_it() {
    let server = wiremock::MockServer::start().await;
    let token = format!("eyJ{}", "t".repeat(4000));
    common::mount_token(
        &server,
        serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600}),
    )
    .await;
    let kore = common::wiremock_builder(&server)
        .max_answer_size(1024)
        .build()
        .unwrap();
    let error = kore.ping().await.unwrap_err();
    let source = common::auth_source(&error);
    assert_eq!(source.kind(), kore_clients::AuthErrorKind::AnswerTooLarge);
    let shown = common::report(&error);
    assert!(
        shown.contains("larger than the limit of 1024 bytes") && !shown.contains("eyJ"),
        "{shown}"
    );
    assert!(!format!("{error:?}").contains("eyJ"));
}
