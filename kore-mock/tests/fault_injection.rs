//! Each fault knob, set from the builder or at run time.

mod common;

use std::time::{Duration, Instant};

use common::{
    VALID_CREATE, get, good_form, grant_body, http, json_of_response, mock_with_token,
    request_token, token, with_token,
};
use kore_mock::{Fault, MockKore, Route};
use reqwest::StatusCode;
use serde_json::Value;

const LIST: &str = "/v1/clients?page_size=5&page_number=1";

async fn get_raw(mock: &MockKore, token: &str, path: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", mock.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// `POST /v1/clients` with [`VALID_CREATE`] as sent, no content type.
async fn post_create(mock: &MockKore, token: &str) -> reqwest::Response {
    http()
        .post(format!("{}/v1/clients", mock.base_url()))
        .bearer_auth(token)
        .body(VALID_CREATE)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn latency_delays_every_request_of_its_route_only() {
    let latency = Duration::from_millis(300);
    let (mock, token) = with_token(
        MockKore::builder()
            .latency(Route::ListClients, latency)
            .start()
            .await,
    )
    .await;
    for _ in 0..2 {
        let started = Instant::now();
        assert_eq!(get(&mock, &token, LIST).await.0, StatusCode::OK);
        assert!(started.elapsed() >= latency);
    }
    let started = Instant::now();
    assert_eq!(get(&mock, &token, "/v1/ping").await.0, StatusCode::OK);
    assert!(started.elapsed() < latency, "ping is not delayed");

    mock.faults()
        .set_latency(Route::ListClients, Duration::ZERO);
    let started = Instant::now();
    get(&mock, &token, LIST).await;
    assert!(started.elapsed() < latency, "latency can be turned off");
}

#[tokio::test]
async fn scripted_statuses_fail_the_next_requests_then_recover() {
    let (mock, token) = mock_with_token().await;
    mock.faults().push_statuses(Route::ListClients, [503, 503]);
    assert_eq!(mock.faults().pending(Route::ListClients), 2);

    for _ in 0..2 {
        let (status, body) = get(&mock, &token, LIST).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["status"], 503);
        assert_eq!(body["code"], 503);
        assert_eq!(body["message"], "Service Unavailable");
    }
    assert_eq!(get(&mock, &token, LIST).await.0, StatusCode::OK);
    assert_eq!(mock.faults().pending(Route::ListClients), 0);
    assert_eq!(mock.requests(Route::ListClients), 3);
}

#[tokio::test]
async fn scripts_only_affect_their_route_and_can_interleave_passes() {
    let (mock, token) = with_token(
        MockKore::builder()
            .script(
                Route::GetClient,
                [Fault::Status(500), Fault::Pass, Fault::Status(504)],
            )
            .start()
            .await,
    )
    .await;
    assert_eq!(get(&mock, &token, LIST).await.0, StatusCode::OK);
    let (_, page) = get(&mock, &token, LIST).await;
    let path = format!(
        "/v1/clients/{}",
        page["clients"][0]["client_id"].as_str().unwrap()
    );
    let statuses = [
        get(&mock, &token, &path).await.0,
        get(&mock, &token, &path).await.0,
        get(&mock, &token, &path).await.0,
        get(&mock, &token, &path).await.0,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::OK,
            StatusCode::GATEWAY_TIMEOUT,
            StatusCode::OK
        ]
    );
}

#[tokio::test]
async fn injected_error_never_reaches_the_handler() {
    let (mock, token) = mock_with_token().await;
    mock.faults().push_statuses(Route::CreateClient, [503]);
    mock.faults().push_statuses(Route::Token, [503]);
    let response = post_create(&mock, &token).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let (_, page) = get(&mock, &token, "/v1/clients?page_size=100&page_number=1").await;
    assert_eq!(
        page["meta"]["count"],
        kore_mock::DEFAULT_CLIENTS,
        "nothing was created"
    );

    let response = request_token(&mock, &good_form(&mock)).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["code"].as_u64(), body["message"].as_str()),
        (Some(503), Some("Service Unavailable"))
    );
    assert_eq!(mock.token_grants(), 1, "only the first grant counted");
}

#[tokio::test]
async fn injected_401_and_400_on_the_token_route_use_oauth_errors() {
    let mock = MockKore::start().await;
    mock.faults().push_statuses(Route::Token, [401, 400]);
    let first = grant_body(&mock).await;
    let second = grant_body(&mock).await;
    assert_eq!(first["error"], "invalid_client");
    assert_eq!(second["error"], "invalid_request");
}

#[tokio::test]
async fn too_many_requests_carries_retry_after_when_configured() {
    let (mock, token) = mock_with_token().await;
    mock.faults().script(
        Route::Ping,
        [
            Fault::TooManyRequests {
                retry_after_secs: Some(7),
            },
            Fault::Status(429),
        ],
    );
    let response = get_raw(&mock, &token, "/v1/ping").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(
        response.json::<Value>().await.unwrap()["message"],
        "Too Many Requests"
    );

    // A plain 429 status is the same gateway answer, without Retry-After.
    let response = get_raw(&mock, &token, "/v1/ping").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_none());
    let answer = json_of_response(response).await;
    assert_eq!(answer, serde_json::json!({"message": "Too Many Requests"}));
}

#[tokio::test]
async fn an_injected_401_on_the_api_is_the_gateways_answer() {
    let (mock, token) = mock_with_token().await;
    mock.faults().push_statuses(Route::Ping, [401]);
    let response = get_raw(&mock, &token, "/v1/ping").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let answer = json_of_response(response).await;
    assert_eq!(answer, serde_json::json!({"message": "Unauthorized"}));
}

#[tokio::test]
async fn bad_gateway_html_is_served_as_text_html() {
    let (mock, token) = mock_with_token().await;
    mock.faults()
        .push(Route::ListClients, Fault::BadGatewayHtml);
    let response = get_raw(&mock, &token, LIST).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(response.headers()["content-type"], "text/html");
    let body = response.text().await.unwrap();
    assert!(
        body.starts_with("<html>") && body.contains("502 Bad Gateway"),
        "{body}"
    );
}

#[tokio::test]
async fn truncated_json_is_cut_mid_object_with_a_success_status() {
    let (mock, token) = mock_with_token().await;
    let full = get_raw(&mock, &token, LIST).await.text().await.unwrap();
    mock.faults().push(Route::ListClients, Fault::TruncatedJson);
    let response = get_raw(&mock, &token, LIST).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = response.text().await.unwrap();
    // Exactly the first half: the cut is mid-object for any answer, which
    // "somewhere inside" would not pin down (the same page twice is the same text).
    assert_eq!(body, full[..full.len() / 2], "the first half of the answer");
    let error = serde_json::from_str::<Value>(&body).unwrap_err();
    assert!(error.is_eof(), "cut short, not garbled: {error}");
}

#[tokio::test]
async fn truncated_create_response_still_creates_the_client() {
    let (mock, token) = with_token(MockKore::builder().clients(2).start().await).await;
    mock.faults()
        .push(Route::CreateClient, Fault::TruncatedJson);
    let response = post_create(&mock, &token).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());
    let (_, page) = get(&mock, &token, LIST).await;
    assert_eq!(page["meta"]["count"], 3);
}

#[tokio::test]
async fn delay_fault_holds_one_request_only() {
    let (mock, token) = mock_with_token().await;
    let delay = Duration::from_millis(300);
    mock.faults().push(Route::Ping, Fault::Delay(delay));
    let started = Instant::now();
    assert_eq!(get(&mock, &token, "/v1/ping").await.0, StatusCode::OK);
    assert!(started.elapsed() >= delay);
    let started = Instant::now();
    get(&mock, &token, "/v1/ping").await;
    assert!(started.elapsed() < delay);
}

#[tokio::test]
async fn expires_in_can_be_sent_as_a_numeric_string() {
    let mock = MockKore::builder().expires_in_as_string(true).start().await;
    let body = grant_body(&mock).await;
    assert_eq!(body["expires_in"], "3600");

    mock.faults().set_expires_in_as_string(false);
    let body = grant_body(&mock).await;
    assert_eq!(body["expires_in"], 3600);
}

#[tokio::test]
async fn tokens_can_expire_earlier_than_advertised() {
    let mock = MockKore::builder()
        .tokens_expire_after(Duration::from_millis(300))
        .start()
        .await;
    let body = grant_body(&mock).await;
    assert_eq!(
        body["expires_in"], 3600,
        "still advertises the full lifetime"
    );
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(get(&mock, token, "/v1/ping").await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        get(&mock, token, "/v1/ping").await.0,
        StatusCode::UNAUTHORIZED
    );

    mock.faults().set_tokens_expire_after(None);
    let honest = common::token(&mock).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(get(&mock, &honest, "/v1/ping").await.0, StatusCode::OK);
}

#[tokio::test]
async fn next_page_url_can_point_at_a_foreign_host() {
    let mock = MockKore::builder()
        .clients(12)
        .foreign_next_page_url(true)
        .start()
        .await;
    let (_, page) = get(
        &mock,
        &token(&mock).await,
        "/v1/clients?page_size=5&page_number=2",
    )
    .await;
    assert_eq!(
        page["meta"]["next_page_url"],
        "http://evil.example.invalid/v1/clients?page_size=5&page_number=3"
    );
    let previous = page["meta"]["previous_page_url"].as_str().unwrap();
    assert!(
        previous.starts_with(&mock.base_url()),
        "only next is foreign: {previous}"
    );
}

#[tokio::test]
async fn clear_restores_normal_behaviour() {
    let mock = MockKore::builder()
        .latency(Route::Ping, Duration::from_secs(5))
        .expires_in_as_string(true)
        .start()
        .await;
    mock.faults().push_statuses(Route::Ping, [500]);
    mock.faults().clear();
    assert_eq!(mock.faults().pending(Route::Ping), 0);
    let body = grant_body(&mock).await;
    assert_eq!(body["expires_in"], 3600);
    let started = Instant::now();
    let (status, _) = get(&mock, body["access_token"].as_str().unwrap(), "/v1/ping").await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn faults_parse_from_their_display_form() {
    for fault in [
        Fault::Pass,
        Fault::Status(503),
        Fault::TooManyRequests {
            retry_after_secs: Some(3),
        },
        Fault::TooManyRequests {
            retry_after_secs: None,
        },
        Fault::BadGatewayHtml,
        Fault::TruncatedJson,
        Fault::Delay(Duration::from_millis(250)),
    ] {
        assert_eq!(fault.to_string().parse::<Fault>(), Ok(fault));
    }
    assert!("200".parse::<Fault>().is_err());
    assert!("teapot".parse::<Fault>().is_err());
    assert_eq!("list-clients".parse::<Route>(), Ok(Route::ListClients));
    assert!("clients".parse::<Route>().is_err());
}

#[tokio::test]
#[should_panic(expected = "not an error status")]
async fn scripting_a_success_status_is_a_test_bug() {
    MockKore::start()
        .await
        .faults()
        .push_statuses(Route::Ping, [200]);
}

#[tokio::test]
async fn drift_only_adds_and_keeps_every_documented_value() {
    use kore_mock::{DRIFT_CLIENT_TYPE, DRIFT_PRODUCT};
    let (mock, token) = mock_with_token().await;
    let (_, plain) = get(&mock, &token, LIST).await;
    mock.faults().push(Route::ListClients, Fault::Drift);
    let (status, drifted) = get(&mock, &token, LIST).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(drifted["api_revision"], "2026-12-01");
    assert_eq!(drifted["meta"]["total_pages"], 1);
    for (name, value) in plain["meta"].as_object().unwrap() {
        assert_eq!(&drifted["meta"][name], value, "meta.{name}");
    }
    let (before, after) = (
        plain["clients"].as_array().unwrap(),
        drifted["clients"].as_array().unwrap(),
    );
    assert_eq!(before.len(), after.len());
    for (before, after) in before.iter().zip(after) {
        assert_eq!(after["client_type"], DRIFT_CLIENT_TYPE);
        assert_eq!(after["scopes"]["products"][1], DRIFT_PRODUCT);
        for (name, value) in before.as_object().unwrap() {
            if name != "client_type" {
                assert_eq!(&after[name], value, "{name} is kept as it was");
            }
        }
    }
    // An error answer gains a support id and keeps KORE's words.
    mock.faults().push(Route::GetClient, Fault::Drift);
    let (status, error) = get(&mock, &token, "/v1/clients/apiclient_missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["trace_id"], "mock-trace-0001");
    assert_eq!(error["message"], "Client not found");
    // One request only: the next answer is as documented.
    let (_, again) = get(&mock, &token, LIST).await;
    assert_eq!(again, plain);
}
