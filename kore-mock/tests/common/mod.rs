//! Shared test plumbing: an HTTP client that only ever talks to the mock, and
//! shortcuts for getting a token and calling the API.

#![allow(dead_code)] // each test binary uses its own subset

use std::time::Duration;

use kore_mock::MockKore;
use reqwest::StatusCode;
use serde_json::Value;

/// No proxy (a proxy from the environment would be another host), bounded waits.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

/// The JSON body of the answer to `request`.
pub async fn json_of(request: reqwest::RequestBuilder) -> Value {
    json_of_response(request.send().await.expect("an answer")).await
}

/// The JSON body of `response`.
pub async fn json_of_response(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

pub async fn request_token(mock: &MockKore, form: &[(&str, &str)]) -> reqwest::Response {
    http()
        .post(mock.token_url())
        .form(form)
        .send()
        .await
        .expect("token request")
}

/// A token request with `mock`'s own credentials.
pub fn good_form(mock: &MockKore) -> [(&'static str, &str); 3] {
    [
        ("grant_type", "client_credentials"),
        ("client_id", mock.client_id()),
        ("client_secret", mock.client_secret()),
    ]
}

pub async fn token(mock: &MockKore) -> String {
    let response = request_token(mock, &good_form(mock)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("token body");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// `GET base_url + path_and_query` with a bearer token; returns status and JSON body.
pub async fn get(mock: &MockKore, token: &str, path_and_query: &str) -> (StatusCode, Value) {
    let response = http()
        .get(format!("{}{path_and_query}", mock.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

/// `POST /v1/clients` with a raw JSON body; returns status and JSON body.
pub async fn create(mock: &MockKore, token: &str, body: &str) -> (StatusCode, Value) {
    let response = http()
        .post(format!("{}/v1/clients", mock.base_url()))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("POST");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

pub const VALID_CREATE: &str =
    r#"{"name":"Quickstart client","locked":false,"scopes":{"products":["SuperSIM"]}}"#;

/// `mock` together with a fresh token for it: the opening of most API tests.
pub async fn with_token(mock: MockKore) -> (MockKore, String) {
    let token = token(&mock).await;
    (mock, token)
}

/// A default mock and a token for it.
pub async fn mock_with_token() -> (MockKore, String) {
    with_token(MockKore::start().await).await
}

/// The JSON body of a token grant with `mock`'s own credentials.
pub async fn grant_body(mock: &MockKore) -> Value {
    json_of_response(request_token(mock, &good_form(mock)).await).await
}

/// The answer to `request`, whatever its status.
pub async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.expect("an answer")
}
