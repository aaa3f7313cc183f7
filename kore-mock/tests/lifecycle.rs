//! Counters and recorded requests, runtimes and shutdown (the binary is in `binary.rs`).

mod common;

use std::time::{Duration, Instant};

use common::{VALID_CREATE, create, get, http, mock_with_token, token};
use kore_mock::{Fault, MockKore, Route};
use reqwest::StatusCode;

/// Waits (bounded) until nothing accepts connections on `addr` any more.
async fn assert_stops_listening(addr: std::net::SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "{addr} still accepts connections"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn counters_track_requests_per_route_and_successful_grants() {
    let (mock, token) = mock_with_token().await;
    let refused = common::request_token(&mock, &[("grant_type", "client_credentials")]).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    mock.faults().push_statuses(Route::Ping, [503]);
    get(&mock, &token, "/v1/ping").await;
    get(&mock, &token, "/v1/ping").await;
    get(&mock, &token, "/v1/clients?page_size=1&page_number=1").await;
    get(&mock, &token, "/v1/no-such-route").await;

    assert_eq!(mock.requests(Route::Token), 2);
    assert_eq!(mock.token_grants(), 1);
    assert_eq!(
        mock.requests(Route::Ping),
        2,
        "injected faults count as requests"
    );
    assert_eq!(mock.requests(Route::ListClients), 1);
    assert_eq!(mock.requests(Route::CreateClient), 0);
    assert_eq!(mock.requests(Route::GetClient), 0);
}

#[tokio::test]
async fn last_request_exposes_headers_and_body_per_route() {
    let mock = MockKore::start().await;
    assert!(mock.last_request(Route::Token).is_none());
    let token = token(&mock).await;
    create(&mock, &token, VALID_CREATE).await;
    get(&mock, &token, "/v1/clients?page_size=2&page_number=1").await;

    let grant = mock.last_request(Route::Token).unwrap();
    assert_eq!(
        (grant.method.as_str(), grant.path.as_str()),
        ("POST", kore_mock::TOKEN_PATH)
    );
    assert_eq!(
        grant.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert!(grant.body_text().contains("grant_type=client_credentials"));

    let created = mock.last_request(Route::CreateClient).unwrap();
    assert_eq!(
        created.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(created.body_json(), serde_json::from_str(VALID_CREATE).ok());

    let listed = mock.last_request(Route::ListClients).unwrap();
    assert_eq!(listed.query.as_deref(), Some("page_size=2&page_number=1"));
    assert!(listed.body.is_empty());
}

/// A started mock, seen answering (a 401 to a ping without a token), and its address.
async fn answering() -> (MockKore, std::net::SocketAddr) {
    let mock = MockKore::start().await;
    let (status, _) = get(&mock, "none", "/v1/ping").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let addr = mock.addr();
    (mock, addr)
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let (mock, addr) = answering().await;
    drop(mock);
    assert_stops_listening(addr).await;
}

#[tokio::test]
async fn shutdown_finishes_promptly_despite_a_request_in_flight() {
    let mock = MockKore::start().await;
    let addr = mock.addr();
    mock.faults()
        .push(Route::Ping, Fault::Delay(Duration::from_secs(600)));
    let url = format!("{}/v1/ping", mock.base_url());
    let in_flight = tokio::spawn(async move {
        http()
            .get(url)
            .send()
            .await
            .map(|response| response.status())
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while mock.requests(Route::Ping) == 0 {
        assert!(Instant::now() < deadline, "request never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    tokio::time::timeout(Duration::from_secs(5), mock.shutdown())
        .await
        .expect("shutdown must not wait for the injected delay")
        .expect("server ended cleanly");
    assert_stops_listening(addr).await;
    // The held request is released rather than dropped silently.
    let status = tokio::time::timeout(Duration::from_secs(5), in_flight)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.ok(), Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn run_until_serves_until_the_signal_then_stops() {
    let (mock, addr) = answering().await;
    tokio::time::timeout(
        Duration::from_secs(5),
        mock.run_until(tokio::time::sleep(Duration::from_millis(50))),
    )
    .await
    .expect("run_until returns after its signal")
    .expect("server ended cleanly");
    assert_stops_listening(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_on_a_multi_thread_runtime_consume_scripts_exactly() {
    let (mock, token) = mock_with_token().await;
    mock.faults()
        .push_statuses(Route::ListClients, [503, 503, 503]);
    let requests = (0..12).map(|_| {
        let url = format!("{}/v1/clients?page_size=3&page_number=1", mock.base_url());
        let token = token.clone();
        tokio::spawn(async move {
            http()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    let mut failures = 0;
    for request in requests.collect::<Vec<_>>() {
        if request.await.unwrap() == StatusCode::SERVICE_UNAVAILABLE {
            failures += 1;
        }
    }
    assert_eq!(failures, 3);
    assert_eq!(mock.requests(Route::ListClients), 12);
}

#[tokio::test]
async fn binding_a_taken_port_is_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let result = MockKore::builder()
        .addr(taken.local_addr().unwrap())
        .try_start()
        .await;
    assert!(result.is_err());
}
