//! The OAuth token endpoint: grants, token shape, and every way a request is refused.

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{VALID_CREATE, create, get, good_form, grant_body, http, request_token, token};
use kore_mock::MockKore;
use reqwest::StatusCode;
use serde_json::Value;

fn claims(jwt: &str) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "header.payload.signature: {jwt}");
    for part in &parts {
        assert!(
            URL_SAFE_NO_PAD.decode(part).is_ok(),
            "base64url segment: {part}"
        );
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["typ"], "JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

/// Requests a token with `form`, which the mock must refuse with `status` and OAuth `error`.
async fn refused(mock: &MockKore, form: &[(&str, &str)], status: StatusCode, error: &str) {
    oauth_error(request_token(mock, form).await, status, error).await;
}

async fn oauth_error(response: reqwest::Response, status: StatusCode, error: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|text| !text.is_empty())
    );
}

#[tokio::test]
async fn client_credentials_grant_returns_a_jwt_shaped_bearer_token() {
    let mock = MockKore::start().await;
    let response = request_token(&mock, &good_form(&mock)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["scope"].is_string());

    let claims = claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], mock.client_id());
    let issued_at = claims["iat"].as_u64().unwrap();
    assert_eq!(claims["exp"].as_u64().unwrap(), issued_at + 3600);
    assert!(claims["jti"].is_string());
    assert_eq!(mock.token_grants(), 1);
}

#[tokio::test]
async fn token_lifetime_is_configurable() {
    let body = grant_body(
        &MockKore::builder()
            .token_lifetime(Duration::from_secs(120))
            .start()
            .await,
    )
    .await;
    assert_eq!(body["expires_in"], 120);
    let claims = claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        120
    );
}

#[tokio::test]
async fn every_grant_issues_a_distinct_token() {
    let mock = MockKore::start().await;
    let first = token(&mock).await;
    let second = token(&mock).await;
    assert_ne!(first, second);
    assert_eq!(mock.token_grants(), 2);
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_rejected_with_401_invalid_client() {
    let mock = MockKore::start().await;
    let grant = ("grant_type", "client_credentials");
    let id = ("client_id", mock.client_id());
    let secret = ("client_secret", mock.client_secret());
    for form in [
        vec![grant, id, ("client_secret", "wrong")],
        vec![grant, ("client_id", "apiclient_unknown"), secret],
        vec![grant, id],
        vec![grant, secret],
        vec![grant],
    ] {
        refused(&mock, &form, StatusCode::UNAUTHORIZED, "invalid_client").await;
    }
    assert_eq!(mock.token_grants(), 0);
}

#[tokio::test]
async fn basic_auth_credentials_alone_count_as_missing() {
    let mock = MockKore::start().await;
    let response = http()
        .post(mock.token_url())
        .basic_auth(mock.client_id(), Some(mock.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn wrong_grant_type_is_rejected_with_400_unsupported_grant_type() {
    let mock = MockKore::start().await;
    let form = [
        ("grant_type", "password"),
        ("client_id", mock.client_id()),
        ("client_secret", mock.client_secret()),
    ];
    refused(
        &mock,
        &form,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
    )
    .await;

    let form = [
        ("client_id", mock.client_id()),
        ("client_secret", mock.client_secret()),
    ];
    refused(&mock, &form, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn non_form_content_type_is_rejected_with_400_invalid_request() {
    let mock = MockKore::start().await;
    let json_body = serde_json::json!({
        "grant_type": "client_credentials",
        "client_id": mock.client_id(),
        "client_secret": mock.client_secret(),
    });
    let response = http()
        .post(mock.token_url())
        .json(&json_body)
        .send()
        .await
        .unwrap();
    oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;

    let response = http().post(mock.token_url()).send().await.unwrap();
    oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn configured_credentials_replace_the_defaults() {
    let mock = MockKore::builder()
        .credentials("my-id", "my-secret")
        .start()
        .await;
    assert_eq!(
        (mock.client_id(), mock.client_secret()),
        ("my-id", "my-secret")
    );
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "my-id"),
        ("client_secret", "my-secret"),
    ];
    assert_eq!(request_token(&mock, &form).await.status(), StatusCode::OK);
    let defaults = [
        ("grant_type", "client_credentials"),
        ("client_id", kore_mock::DEFAULT_CLIENT_ID),
        ("client_secret", kore_mock::DEFAULT_CLIENT_SECRET),
    ];
    refused(&mock, &defaults, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn created_client_can_request_tokens_unless_locked() {
    let mock = MockKore::start().await;
    let admin_token = token(&mock).await;
    let (_, unlocked) = create(&mock, &admin_token, VALID_CREATE).await;
    let (_, locked) = create(
        &mock,
        &admin_token,
        r#"{"name":"Locked","locked":true,"scopes":{}}"#,
    )
    .await;

    // A token request with the credentials of a client the create answered with.
    let token_for = |client: &Value| {
        let credential = |field: &str| client[field].as_str().unwrap().to_owned();
        let form = [
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", credential("client_id")),
            ("client_secret", credential("client_secret")),
        ];
        http().post(mock.token_url()).form(&form).send()
    };
    let response = token_for(&unlocked).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let (status, _) = get(&mock, body["access_token"].as_str().unwrap(), "/v1/ping").await;
    assert_eq!(status, StatusCode::OK);

    let response = token_for(&locked).await.unwrap();
    oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}
