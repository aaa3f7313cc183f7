//! The admin API under `/_mock/` over HTTP, as a Python or Go test would use it, and
//! the Rust handle's methods that share its model.

mod common;

use std::time::{Duration, Instant};

use common::{VALID_CREATE, create, get, http, mock_with_token, send, token, with_token};
use kore_mock::{ClientFixture, ClientType, Fault, MockKore, Route};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An admin call with an optional JSON body; returns status and JSON body.
async fn admin(
    mock: &MockKore,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http().request(method, format!("{}{path}", mock.admin_url()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("admin request");
    let status = response.status();
    (status, response.json().await.expect("admin answers JSON"))
}

/// `GET` the first page of 5 clients with `token`.
async fn first_page(mock: &MockKore, token: &str) -> reqwest::Result<reqwest::Response> {
    http()
        .get(format!(
            "{}/v1/clients?page_size=5&page_number=1",
            mock.base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
}

async fn list_status(mock: &MockKore, token: &str) -> (StatusCode, Option<String>) {
    let response = first_page(mock, token).await.unwrap();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_owned());
    (response.status(), retry_after)
}

/// One fault of each kind, in the `--fault` flag's grammar.
const SCRIPT: [&str; 6] = [
    "503",
    "429:2",
    "delay:50",
    "html-502",
    "truncated-json",
    "pass",
];

#[tokio::test]
async fn faults_posted_as_json_script_the_route_in_the_fault_flag_grammar() {
    let (mock, token) = mock_with_token().await;
    let script = json!(SCRIPT);
    let (status, body) = admin(
        &mock,
        Method::POST,
        "/faults",
        Some(json!({"route": "list-clients", "faults": script})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"route": "list-clients", "queued": script}));
    let (_, queued) = admin(&mock, Method::GET, "/faults", None).await;
    assert_eq!(queued["queued"]["list-clients"], script);
    assert_eq!(queued["queued"]["ping"], json!([]));
    assert_eq!(mock.faults().pending(Route::ListClients), 6);

    assert_eq!(
        list_status(&mock, &token).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        list_status(&mock, &token).await,
        (StatusCode::TOO_MANY_REQUESTS, Some("2".to_owned()))
    );
    assert_eq!(list_status(&mock, &token).await.0, StatusCode::OK);
    let html = first_page(&mock, &token).await.unwrap();
    assert_eq!(html.status(), StatusCode::BAD_GATEWAY);
    assert!(html.text().await.unwrap().contains("<html>"));
    let truncated = first_page(&mock, &token).await.unwrap();
    assert!(serde_json::from_slice::<Value>(&truncated.bytes().await.unwrap()).is_err());
    assert_eq!(list_status(&mock, &token).await.0, StatusCode::OK);
    assert_eq!(mock.faults().pending(Route::ListClients), 0);

    let faults: Vec<Option<String>> = mock
        .journal()
        .iter()
        .filter(|entry| entry.route == Some(Route::ListClients))
        .map(|entry| entry.fault.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(faults, SCRIPT.map(|f| Some(f.to_owned())));
}

#[tokio::test]
async fn malformed_fault_scripts_are_refused_naming_the_problem() {
    let mock = MockKore::start().await;
    for (body, needle) in [
        (
            json!({"route": "list", "faults": ["503"]}),
            "unknown route `list`",
        ),
        (
            json!({"route": "ping", "faults": ["200"]}),
            "not an error status",
        ),
        (
            json!({"route": "ping", "faults": ["delay:soon"]}),
            "not a whole number",
        ),
        (
            json!({"route": "ping", "faults": ["503"], "times": 2}),
            "unknown field `times`",
        ),
        (json!({"faults": ["503"]}), "missing field `route`"),
        (json!(["503"]), "expected {\"route\""),
    ] {
        let (status, error) = admin(&mock, Method::POST, "/faults", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = error["error"].as_str().unwrap();
        assert!(message.contains(needle), "{body}: {message}");
    }
    assert_eq!(mock.faults().pending(Route::Ping), 0, "nothing was queued");
}

#[tokio::test]
async fn the_journal_lists_requests_oldest_first_and_never_a_secret() {
    let (mock, token) = mock_with_token().await;
    // Credentials where they do not belong, in a query string, must not reach the journal.
    let misplaced = send(
        http()
            .post(format!(
                "{}?client_id={}&client_secret={}",
                mock.token_url(),
                mock.client_id(),
                mock.client_secret()
            ))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(misplaced.status(), StatusCode::UNAUTHORIZED);
    get(
        &mock,
        &token,
        &format!("/v1/clients?page_size=2&page_number=1&debug={token}"),
    )
    .await;
    get(&mock, &token, "/v1/clients/apiclient_nope").await;
    http()
        .get(format!("{}/v1/ping", mock.base_url()))
        .send()
        .await
        .unwrap();
    get(&mock, &token, "/v2/unknown").await;
    admin(&mock, Method::GET, "/health", None).await;

    let (status, body) = admin(&mock, Method::GET, "/requests", None).await;
    assert_eq!(status, StatusCode::OK);
    let requests = body["requests"].as_array().unwrap();
    // Each entry without its arrival time: method, path, query, status, authorization, route.
    let summary: Vec<Value> = requests
        .iter()
        .map(|entry| {
            json!([
                entry["method"],
                entry["path"],
                entry["query"],
                entry["status"],
                entry["authorization"],
                entry["route"]
            ])
        })
        .collect();
    let token_path = kore_mock::TOKEN_PATH;
    let misplaced_query = format!("client_id={}&client_secret=REDACTED", mock.client_id());
    assert_eq!(
        summary,
        [
            json!(["POST", token_path, null, 200, false, "token"]),
            json!(["POST", token_path, misplaced_query, 401, false, "token"]),
            json!([
                "GET",
                "/v1/clients",
                "page_size=2&page_number=1&debug=REDACTED",
                200,
                true,
                "list-clients"
            ]),
            json!([
                "GET",
                "/v1/clients/apiclient_nope",
                null,
                404,
                true,
                "get-client"
            ]),
            json!(["GET", "/v1/ping", null, 401, false, "ping"]),
            json!(["GET", "/v2/unknown", null, 404, true, null]),
        ],
        "admin requests are not journaled"
    );
    let times: Vec<u64> = requests
        .iter()
        .map(|entry| entry["ms_since_start"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
    let text = body.to_string();
    assert!(!text.contains(&token), "a token reached the journal");
    assert!(
        !text.contains(mock.client_secret()),
        "the secret reached the journal"
    );
    assert_eq!(body["dropped"], 0);

    // The Rust handle shows the same journal.
    assert_eq!(
        serde_json::to_value(mock.journal()).unwrap(),
        body["requests"]
    );

    let (status, cleared) = admin(&mock, Method::DELETE, "/requests", None).await;
    assert_eq!((status, cleared), (StatusCode::OK, json!({"cleared": 6})));
    assert!(mock.journal().is_empty());
    get(&mock, &token, "/v1/ping").await;
    assert_eq!(mock.journal().len(), 1);
    assert_eq!(mock.clear_journal(), 1);
}

#[tokio::test]
async fn a_delayed_create_finishes_after_the_caller_hangs_up_and_is_journaled_as_201() {
    let (mock, token) = mock_with_token().await;
    mock.faults().push(
        Route::CreateClient,
        Fault::Delay(Duration::from_millis(1500)),
    );
    let url = format!("{}/v1/clients", mock.base_url());
    let caller = tokio::spawn({
        let token = token.clone();
        async move {
            http()
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(VALID_CREATE)
                .send()
                .await
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while mock.requests(Route::CreateClient) == 0 {
        assert!(Instant::now() < deadline, "the create never arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The caller gives up mid-delay, as a client timeout would: its connection closes.
    caller.abort();
    assert!(
        caller.await.unwrap_err().is_cancelled(),
        "the caller had its answer already"
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    let entry = loop {
        if let Some(entry) = mock
            .journal()
            .into_iter()
            .find(|entry| entry.route == Some(Route::CreateClient))
        {
            break entry;
        }
        assert!(Instant::now() < deadline, "the create was never finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(entry.status, 201, "the status the server would have sent");
    assert_eq!(entry.fault, Some(Fault::Delay(Duration::from_millis(1500))));
    let (_, page) = get(&mock, &token, "/v1/clients?page_size=100&page_number=1").await;
    let clients = page["clients"].as_array().unwrap();
    assert_eq!(
        clients.len(),
        kore_mock::DEFAULT_CLIENTS + 1,
        "the client exists"
    );
    assert_eq!(clients.last().unwrap()["name"], "Quickstart client");
}

#[tokio::test]
async fn fixture_clients_are_added_in_kore_s_shape_all_or_none() {
    let (mock, token) = with_token(MockKore::builder().clients(2).start().await).await;
    let fixtures = json!([
        {"name": "Defaults"},
        {
            "client_id": "apiclient_fixture00000000000000000a", "account_id": "acct_other",
            "name": "Never locked", "client_owner": "qa@example.com", "client_type": "admin",
            "locked": null, "date_created": "2024-04-05T11:08:14Z", "client_secret": "fixture-secret"
        }
    ]);
    let (status, body) = admin(&mock, Method::POST, "/clients", Some(fixtures)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(!body.to_string().contains("fixture-secret"), "{body}");
    let added = body["clients"].as_array().unwrap();
    assert_eq!(added[0]["client_type"], "standard");
    assert_eq!(added[0]["locked"], false);
    assert_eq!(added[0]["account_id"], mock.account_id());
    assert!(
        added[0]["client_id"]
            .as_str()
            .unwrap()
            .starts_with("apiclient_")
    );

    let (_, page) = get(&mock, &token, "/v1/clients?page_size=10&page_number=1").await;
    assert_eq!(page["meta"]["count"], 4);
    assert_eq!(page["clients"][2], added[0]);
    let (status, fetched) = get(
        &mock,
        &token,
        "/v1/clients/apiclient_fixture00000000000000000a",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        fetched["client"],
        json!({
            "client_id": "apiclient_fixture00000000000000000a", "account_id": "acct_other",
            "name": "Never locked", "client_owner": "qa@example.com", "client_type": "admin",
            "locked": null, "date_created": "2024-04-05T11:08:14Z"
        })
    );
    // A fixture's secret is a working credential.
    let grant = common::request_token(
        &mock,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "apiclient_fixture00000000000000000a"),
            ("client_secret", "fixture-secret"),
        ],
    )
    .await;
    assert_eq!(grant.status(), StatusCode::OK);

    let clash = json!([{"name": "new"}, {"name": "clash", "client_id": "apiclient_fixture00000000000000000a"}]);
    let (status, error) = admin(&mock, Method::POST, "/clients", Some(clash)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        error["error"].as_str().unwrap().contains("already exists"),
        "{error}"
    );
    for bad in [
        json!({"name": "not an array"}),
        json!([{"colour": "red"}]),
        json!([{"name": "x", "client_type": "root"}]),
    ] {
        let (status, error) = admin(&mock, Method::POST, "/clients", Some(bad.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {error}");
    }
    let (_, health) = admin(&mock, Method::GET, "/health", None).await;
    assert_eq!(health["clients"], 4, "nothing added by the refused batches");

    // The Rust handle takes the same fixtures.
    let ids = mock
        .add_clients([ClientFixture::named("From Rust").client_type(ClientType::Admin)])
        .unwrap();
    let (_, fetched) = get(&mock, &token, &format!("/v1/clients/{}", ids[0])).await;
    assert_eq!(fetched["client"]["client_type"], "admin");
    assert!(
        mock.add_clients([ClientFixture::named("again").client_id(ids[0].clone())])
            .is_err()
    );
}

#[tokio::test]
async fn reset_goes_back_to_the_seeded_state() {
    let mock = MockKore::builder()
        .clients(3)
        .script(Route::Ping, [Fault::Status(503)])
        .start()
        .await;
    let seeded = get(
        &mock,
        &token(&mock).await,
        "/v1/clients?page_size=10&page_number=1",
    )
    .await
    .1;
    let token = token(&mock).await;
    let (_, first) = create(&mock, &token, VALID_CREATE).await;
    mock.add_clients([ClientFixture::named("fixture")]).unwrap();
    admin(
        &mock,
        Method::POST,
        "/faults",
        Some(json!({"route": "get-client", "faults": ["500"]})),
    )
    .await;
    get(&mock, &token, "/v1/ping").await;
    assert_eq!(mock.faults().pending(Route::Ping), 0);

    let (status, body) = admin(&mock, Method::POST, "/reset", None).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"status": "reset", "clients": 3}))
    );
    assert!(mock.journal().is_empty());
    assert_eq!(mock.requests(Route::CreateClient), 0);
    assert_eq!(mock.token_grants(), 0);
    assert!(mock.last_request(Route::Token).is_none());
    assert_eq!(
        mock.faults().queued(Route::Ping),
        [Fault::Status(503)],
        "the builder's script is back"
    );
    assert_eq!(
        mock.faults().pending(Route::GetClient),
        0,
        "the posted script is gone"
    );
    let (status, _) = get(&mock, &token, "/v1/clients?page_size=1&page_number=1").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "tokens issued before the reset are void"
    );

    let token = common::token(&mock).await;
    let (_, page) = get(&mock, &token, "/v1/clients?page_size=10&page_number=1").await;
    assert_eq!(page, seeded);
    // Created clients get the same ids and secrets again.
    let (_, again) = create(&mock, &token, VALID_CREATE).await;
    assert_eq!(again["client_id"], first["client_id"]);
    assert_eq!(again["client_secret"], first["client_secret"]);

    mock.reset();
    assert_eq!(mock.faults().pending(Route::Ping), 1);
    let (status, _) = get(&mock, &token, "/v1/ping").await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the Rust reset too"
    );
}

#[tokio::test]
async fn expire_tokens_and_health_need_no_kore_token() {
    let (mock, token) = with_token(MockKore::builder().clients(4).start().await).await;
    let (status, health) = admin(&mock, Method::GET, "/health", None).await;
    assert_eq!(
        (status, health),
        (StatusCode::OK, json!({"status": "ok", "clients": 4}))
    );
    let (status, expired) = admin(&mock, Method::POST, "/expire-tokens", None).await;
    assert_eq!((status, expired), (StatusCode::OK, json!({"expired": 1})));
    assert_eq!(
        get(&mock, &token, "/v1/ping").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unknown_admin_routes_and_methods_answer_json() {
    let mock = MockKore::start().await;
    let (status, body) = admin(&mock, Method::GET, "/nothing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["info"], "No route for GET /_mock/nothing");
    let (status, body) = admin(&mock, Method::PUT, "/reset", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        body["error"].as_str().unwrap().contains("not allowed"),
        "{body}"
    );
    // A KORE path that merely contains the prefix is KORE's.
    let (status, _) = get(&mock, "none", "/v1/clients/_mock").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
