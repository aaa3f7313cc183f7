//! The Client API: bearer rules, pagination, validation, create-then-read, seeding.

mod common;

use std::time::Duration;

use common::{VALID_CREATE, create, get, http, json_of, mock_with_token, token, with_token};
use kore_mock::MockKore;
use reqwest::StatusCode;
use serde_json::{Value, json};

const API_PATHS: [&str; 3] = [
    "/v1/ping",
    "/v1/clients?page_size=10&page_number=1",
    "/v1/clients/anything",
];

async fn assert_unauthorized(mock: &MockKore, authorization: Option<&str>) {
    for path in API_PATHS {
        let mut request = http().get(format!("{}{path}", mock.base_url()));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"message": "Unauthorized"})
        );
    }
    let mut request = http()
        .post(format!("{}/v1/clients", mock.base_url()))
        .body(VALID_CREATE);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    assert_eq!(
        request.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

/// A mock with `clients` clients, and its answer to `GET /v1/clients?query`.
async fn listed(clients: usize, query: &str) -> (MockKore, StatusCode, Value) {
    let (mock, token) = with_token(MockKore::builder().clients(clients).start().await).await;
    let (status, page) = get(&mock, &token, &format!("/v1/clients?{query}")).await;
    (mock, status, page)
}

/// The URL of page `number` of 10 clients on `mock`.
fn page_url(mock: &MockKore, number: u32) -> String {
    format!(
        "{}/v1/clients?page_size=10&page_number={number}",
        mock.base_url()
    )
}

fn client_ids(page: &Value) -> Vec<String> {
    page["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|client| client["client_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn missing_bearer_token_is_rejected_with_401() {
    let mock = MockKore::start().await;
    assert_unauthorized(&mock, None).await;
}

#[tokio::test]
async fn unknown_bearer_token_is_rejected_with_401() {
    let mock = MockKore::start().await;
    let real = token(&mock).await;
    // Same shape as a real token, but never issued by this mock.
    let forged = format!("{}x", &real[..real.len() - 1]);
    assert_unauthorized(&mock, Some(&format!("Bearer {forged}"))).await;
    assert_unauthorized(&mock, Some(&format!("Basic {real}"))).await;
}

#[tokio::test]
async fn expired_token_is_rejected_with_401() {
    let (mock, token) = with_token(
        MockKore::builder()
            .token_lifetime(Duration::from_secs(1))
            .start()
            .await,
    )
    .await;
    assert_eq!(get(&mock, &token, "/v1/ping").await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_unauthorized(&mock, Some(&format!("Bearer {token}"))).await;
}

#[tokio::test]
async fn expire_tokens_revokes_every_issued_token_at_once() {
    let mock = MockKore::start().await;
    let first = token(&mock).await;
    let second = token(&mock).await;
    mock.expire_tokens();
    assert_unauthorized(&mock, Some(&format!("Bearer {first}"))).await;
    assert_unauthorized(&mock, Some(&format!("Bearer {second}"))).await;
    let fresh = token(&mock).await;
    assert_eq!(get(&mock, &fresh, "/v1/ping").await.0, StatusCode::OK);
}

#[tokio::test]
async fn ping_reports_ok() {
    let mock = MockKore::start().await;
    let (status, body) = get(&mock, &token(&mock).await, "/v1/ping").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "OK"}));
}

/// Asserts `page`'s count and links; a link is `Some(n)` for page `n` (of ten) or `None`.
fn assert_page_meta(
    mock: &MockKore,
    page: &Value,
    count: usize,
    previous: Option<u32>,
    next: Option<u32>,
) {
    let link = |number: Option<u32>| number.map_or(Value::Null, |n| page_url(mock, n).into());
    let meta = &page["meta"];
    assert_eq!(meta["count"], count);
    assert_eq!(meta["previous_page_url"], link(previous), "previous link");
    assert_eq!(meta["next_page_url"], link(next), "next link");
}

#[tokio::test]
async fn last_partial_page_has_previous_but_no_next_url() {
    let (mock, status, page) = listed(25, "page_size=10&page_number=3").await;
    assert_eq!(status, StatusCode::OK);
    assert_page_meta(&mock, &page, 5, Some(2), None);
    assert_eq!(page["meta"]["page_number"], 3);
    assert_eq!(page["meta"]["page_size"], 10);
}

#[tokio::test]
async fn first_page_links_only_forward() {
    let (mock, _, page) = listed(25, "page_size=10&page_number=1").await;
    assert_page_meta(&mock, &page, 10, None, Some(2));
}

#[tokio::test]
async fn page_beyond_the_end_is_empty_without_next_url() {
    let (mock, status, page) = listed(25, "page_size=10&page_number=4").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["clients"], json!([]));
    assert_page_meta(&mock, &page, 0, Some(3), None);
}

#[tokio::test]
async fn page_size_larger_than_total_returns_everything_on_one_page() {
    let (mock, _, page) = listed(25, "page_size=1000&page_number=1").await;
    assert_page_meta(&mock, &page, 25, None, None);
}

#[tokio::test]
async fn exactly_full_last_page_has_no_next_url() {
    let (mock, _, page) = listed(20, "page_size=10&page_number=2").await;
    assert_page_meta(&mock, &page, 10, Some(1), None);
}

#[tokio::test]
async fn following_next_page_urls_visits_every_client_once_in_order() {
    let (mock, _, everything) = listed(23, "page_size=100&page_number=1").await;
    let token = token(&mock).await;
    let mut seen = Vec::new();
    let mut url = Some(format!(
        "{}/v1/clients?page_size=4&page_number=1",
        mock.base_url()
    ));
    let mut pages = 0;
    while let Some(next) = url.take() {
        assert!(
            next.starts_with(&mock.base_url()),
            "stays on the mock: {next}"
        );
        let page = json_of(http().get(&next).bearer_auth(&token)).await;
        seen.extend(client_ids(&page));
        url = page["meta"]["next_page_url"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages <= 6, "pagination must terminate");
    }
    assert_eq!(pages, 6);
    assert_eq!(seen, client_ids(&everything));
}

#[tokio::test]
async fn page_urls_are_built_from_the_host_header() {
    let mock = MockKore::builder().clients(5).start().await;
    let page = json_of(
        http()
            .get(format!(
                "{}/v1/clients?page_number=2&page_size=2&client_type=standard",
                mock.base_url()
            ))
            .header("host", "kore.example.test:8443")
            .bearer_auth(token(&mock).await),
    )
    .await;
    assert_eq!(
        page["meta"]["previous_page_url"],
        "http://kore.example.test:8443/v1/clients?page_size=2&page_number=1&client_type=standard"
    );
}

#[tokio::test]
async fn client_type_filters_the_list() {
    let (mock, _, all) = listed(40, "page_size=100&page_number=1").await;
    let token = token(&mock).await;
    let of_type =
        |client_type| format!("/v1/clients?page_size=100&page_number=1&client_type={client_type}");
    let (_, admins) = get(&mock, &token, &of_type("admin")).await;
    let (_, standards) = get(&mock, &token, &of_type("standard")).await;
    let count = |page: &Value| page["meta"]["count"].as_u64().unwrap();
    assert!(
        count(&admins) > 0 && count(&standards) > 0,
        "a mix of types"
    );
    assert_eq!(count(&admins) + count(&standards), count(&all));
    for client in admins["clients"].as_array().unwrap() {
        assert_eq!(client["client_type"], "admin");
    }
}

#[tokio::test]
async fn invalid_or_missing_query_parameters_are_rejected_naming_the_parameter() {
    let (mock, token) = mock_with_token().await;
    for (query, parameter) in [
        ("page_number=1", "page_size"),
        ("page_size=10", "page_number"),
        ("", "page_size"),
        ("page_size=0&page_number=1", "page_size"),
        ("page_size=-3&page_number=1", "page_size"),
        ("page_size=ten&page_number=1", "page_size"),
        ("page_size=10&page_number=1.5", "page_number"),
        ("page_size=10&page_number=2147483648", "page_number"),
        ("page_size=10&page_number=1&client_type=root", "client_type"),
    ] {
        let (status, body) = get(&mock, &token, &format!("/v1/clients?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["status"], 400);
        assert_eq!(body["code"], 400);
        assert!(
            body["message"].as_str().unwrap().contains(parameter),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn created_client_is_returned_once_with_its_secret_then_readable_without_it() {
    let (mock, token) = with_token(MockKore::builder().clients(3).start().await).await;
    let (status, created) = create(&mock, &token, VALID_CREATE).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["client_type"], "standard");
    assert_eq!(created["name"], "Quickstart client");
    assert_eq!(created["locked"], false);
    assert_eq!(created["account_id"], mock.account_id());
    assert!(created["message"].is_string());
    assert!(created["client_owner"].as_str().unwrap().contains('@'));
    assert!(
        created["client_secret"]
            .as_str()
            .is_some_and(|secret| secret.len() >= 32)
    );
    let date = created["date_created"].as_str().unwrap();
    assert!(
        date.ends_with(" GMT") && httpdate::parse_http_date(date).is_ok(),
        "{date}"
    );
    let id = created["client_id"].as_str().unwrap();

    let (status, fetched) = get(&mock, &token, &format!("/v1/clients/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let mut expected = created.clone();
    let object = expected.as_object_mut().unwrap();
    object.remove("client_secret");
    object.remove("message");
    assert_eq!(fetched["client"], expected);

    let (_, list) = get(&mock, &token, "/v1/clients?page_size=10&page_number=1").await;
    assert_eq!(list["meta"]["count"], 4);
    assert_eq!(list["clients"][3], expected, "appended at the end");
    assert!(!list.to_string().contains("client_secret"));
}

#[tokio::test]
async fn create_honours_an_explicit_account_id() {
    let mock = MockKore::start().await;
    let body = r#"{"account_id":"acct_other","name":"n","locked":true,"scopes":{"products":["ProgrammableWireless"]}}"#;
    let (status, created) = create(&mock, &token(&mock).await, body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["account_id"], "acct_other");
    assert_eq!(created["locked"], true);
}

#[tokio::test]
async fn invalid_create_bodies_are_rejected_naming_the_field() {
    let (mock, token) = mock_with_token().await;
    for (body, field) in [
        (r#"{"locked":false,"scopes":{}}"#, "name"),
        (r#"{"name":"n","scopes":{}}"#, "locked"),
        (r#"{"name":"n","locked":false}"#, "scopes"),
        (
            r#"{"name":"n","locked":false,"scopes":{},"colour":"red"}"#,
            "colour",
        ),
        (
            r#"{"name":"n","locked":false,"scopes":{"products":["SuperSIM","IoT"]}}"#,
            "scopes.products[1]",
        ),
        (
            r#"{"name":"n","locked":false,"scopes":{"products":"SuperSIM"}}"#,
            "scopes.products",
        ),
        (r#"{"name":"n","locked":"no","scopes":{}}"#, "locked"),
        (r#"{"name":7,"locked":false,"scopes":{}}"#, "name"),
        (r#"{"name":"n","locked":false,"scopes":[]}"#, "scopes"),
    ] {
        let (status, error) = create(&mock, &token, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains(&format!("'{field}'")),
            "{body}: {error}"
        );
    }
    for body in ["{\"name\":", "", "[1,2]"] {
        let (status, error) = create(&mock, &token, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["status"], 400);
    }
    let (_, list) = get(&mock, &token, "/v1/clients?page_size=100&page_number=1").await;
    assert_eq!(
        list["meta"]["count"],
        kore_mock::DEFAULT_CLIENTS,
        "nothing was created"
    );
}

/// KORE's `CreateClient` forbids unknown top-level fields (`additionalProperties: false`)
/// but leaves `scopes` open; the mock accepts what the spec accepts.
#[tokio::test]
async fn unknown_keys_under_scopes_are_accepted_and_ignored() {
    let (mock, token) = mock_with_token().await;
    let body = r#"{"name":"n","locked":false,"scopes":{"products":["SuperSIM"],"regions":["eu"],"x":{"y":1}}}"#;
    let (status, created) = create(&mock, &token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, fetched) = get(
        &mock,
        &token,
        &format!("/v1/clients/{}", created["client_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["client"]["name"], "n");
    assert!(fetched["client"].get("regions").is_none(), "{fetched}");
    assert!(fetched["client"].get("scopes").is_none(), "{fetched}");
}

#[tokio::test]
async fn unknown_client_id_is_404() {
    let mock = MockKore::start().await;
    let (status, body) = get(
        &mock,
        &token(&mock).await,
        "/v1/clients/apiclient_01nosuchclient0000000000000",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["status"], 404);
    assert_eq!(body["code"], 404);
    assert!(
        body["info"]
            .as_str()
            .unwrap()
            .contains("apiclient_01nosuchclient")
    );
}

#[tokio::test]
async fn same_seed_and_count_give_the_same_clients() {
    let fetch = |mock: MockKore| async move {
        let (_, page) = get(
            &mock,
            &token(&mock).await,
            "/v1/clients?page_size=100&page_number=1",
        )
        .await;
        page["clients"].clone()
    };
    let first = fetch(MockKore::builder().clients(30).start().await).await;
    let second = fetch(MockKore::builder().clients(30).start().await).await;
    let other_seed = fetch(MockKore::builder().clients(30).seed(99).start().await).await;
    assert_eq!(first, second);
    assert_ne!(first, other_seed);
    assert_eq!(first.as_array().unwrap().len(), 30);

    for client in first.as_array().unwrap() {
        let id = client["client_id"]
            .as_str()
            .unwrap()
            .strip_prefix("apiclient_")
            .unwrap();
        assert_eq!(id.len(), 26);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{id}"
        );
        let account = client["account_id"]
            .as_str()
            .unwrap()
            .strip_prefix("acct_")
            .unwrap();
        assert!(!account.is_empty() && account.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(httpdate::parse_http_date(client["date_created"].as_str().unwrap()).is_ok());
        assert!(client.get("client_secret").is_none());
    }
}

#[tokio::test]
async fn seeding_zero_clients_gives_an_empty_account() {
    let (_mock, status, page) = listed(0, "page_size=10&page_number=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["meta"]["count"], 0);
    assert_eq!(page["meta"]["next_page_url"], Value::Null);
}

/// Other teams snapshot what their code created: with the same seed and clock, the
/// same creations give the same ids, secrets and dates, however many tokens were issued.
#[tokio::test]
async fn seed_and_clock_fix_created_clients() {
    let clock = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_712_315_294);
    let mut created = Vec::new();
    for (seed, extra_tokens) in [(7, 0), (7, 3), (8, 0)] {
        let mock = MockKore::builder()
            .seed(seed)
            .fixed_clock(clock)
            .start()
            .await;
        for _ in 0..extra_tokens {
            token(&mock).await;
        }
        let token = token(&mock).await;
        let (status, body) = create(&mock, &token, VALID_CREATE).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["date_created"], "Fri, 05 Apr 2024 11:08:14 GMT");
        created.push((body["client_id"].clone(), body["client_secret"].clone()));
    }
    assert_eq!(created[0], created[1], "same seed, same id and secret");
    assert_ne!(created[0].0, created[2].0, "another seed, another id");
    assert_ne!(created[0].1, created[2].1, "another seed, another secret");
}
