//! What users get back when KORE (or something in front of it) says no.

mod common;

use kore_clients::{Error, ExposeSecret as _, NewClient, Operation, Product};
use kore_mock::{Fault, MockKore, Route};

#[tokio::test]
async fn unknown_client_is_a_404_api_error_with_kores_fields() {
    let (_mock, kore) = common::start(MockKore::builder()).await;
    let error = kore
        .clients()
        .get("apiclient_doesnotexist0000000000")
        .await
        .unwrap_err();
    let Error::Api {
        operation,
        status,
        code,
        message,
        ..
    } = &error
    else {
        panic!("expected an API error, got {error:?}")
    };
    assert_eq!(*operation, Operation::GetClient);
    assert_eq!(status.as_u16(), 404);
    assert!(code.is_some());
    assert!(message.is_some());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert!(!error.is_retryable());
    let display = error.to_string();
    assert!(
        display.starts_with("get client (GET /v1/clients/{client_id}): KORE returned HTTP 404"),
        "{display}"
    );
    assert!(display.contains("check the id"), "{display}");
}

#[tokio::test]
async fn a_gateway_html_page_is_reported_with_status_and_an_excerpt() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    mock.faults().script(
        Route::ListClients,
        std::iter::repeat_n(Fault::BadGatewayHtml, 3),
    );
    let error = kore.clients().list().send().await.unwrap_err();
    let Error::UnexpectedResponse {
        status, excerpt, ..
    } = &error
    else {
        panic!("expected UnexpectedResponse, got {error:?}")
    };
    assert_eq!(status.as_u16(), 502);
    assert!(excerpt.contains("502"), "{excerpt}");
    assert!(excerpt.chars().count() <= 301);
    assert!(error.is_retryable());
    assert_eq!(mock.requests(Route::ListClients), 3, "502 is retried");
}

#[tokio::test]
async fn a_truncated_success_body_is_a_decode_error() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    mock.faults().push(Route::ListClients, Fault::TruncatedJson);
    let error = kore.clients().list().send().await.unwrap_err();
    let Error::Decode {
        status, excerpt, ..
    } = &error
    else {
        panic!("expected Decode, got {error:?}")
    };
    assert_eq!(status.as_u16(), 200);
    assert!(excerpt.starts_with('{'), "{excerpt}");
    assert!(error.to_string().contains("list clients"), "{error}");
}

#[tokio::test]
async fn an_undecodable_create_response_keeps_the_secret_and_says_the_client_exists() {
    let (mock, kore) = common::start(MockKore::builder().clients(0)).await;
    mock.faults()
        .push(Route::CreateClient, Fault::TruncatedJson);
    let error = kore
        .clients()
        .create(NewClient::new("half-answered").product(Product::SuperSim))
        .await
        .unwrap_err();
    let Error::CreatedButUndecodable { created, .. } = &error else {
        panic!("expected CreatedButUndecodable, got {error:?}")
    };
    let body = created.expose_body();
    assert!(body.contains("client_secret"), "{body}");
    let display = error.to_string();
    assert!(display.contains("KORE created the client"), "{display}");
    assert!(display.contains("expose_body"), "{display}");
    // The secret is in the raw body but nowhere in what prints.
    let secret_start = body.find("\"client_secret\":\"").map(|i| i + 17).unwrap();
    let secret: String = body[secret_start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert!(secret.len() >= 8, "{body}");
    for rendered in [display, format!("{error:?}"), format!("{error:#?}")] {
        assert!(!rendered.contains(&secret), "{rendered}");
    }
    assert_eq!(mock.requests(Route::CreateClient), 1, "never retried");
    let page = kore.clients().list().send().await.unwrap();
    assert_eq!(page.clients().len(), 1, "it was created");
    assert_eq!(page.clients()[0].client_id(), created.client_id());
}

#[tokio::test]
async fn create_validates_input_before_any_request() {
    let (mock, kore) = common::start(MockKore::builder()).await;
    for bad in [
        NewClient::new(""),
        NewClient::new("   "),
        NewClient::new("ok").account_id(" "),
    ] {
        let error = kore.clients().create(bad).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidInput {
                    operation: Operation::CreateClient,
                    ..
                }
            ),
            "{error:?}"
        );
    }
    let error = kore.clients().get("  ").await.unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert_eq!(mock.requests(Route::Token), 0);
    assert_eq!(mock.requests(Route::CreateClient), 0);
}

#[tokio::test]
async fn create_then_get_and_list() {
    let (mock, kore) = common::start(MockKore::builder().clients(3)).await;
    let created = kore
        .clients()
        .create(
            NewClient::new("ci-bot")
                .product(Product::SuperSim)
                .product(Product::ProgrammableWireless)
                .locked(true),
        )
        .await
        .unwrap();
    let id = created.client_id().unwrap().to_owned();
    assert!(id.starts_with("apiclient_"), "{id}");
    assert!(!created.client_secret().expose_secret().is_empty());
    assert_eq!(created.locked(), Some(true));
    assert!(
        created.date_created().is_some(),
        "RFC 1123 parsed: {:?}",
        created.date_created_raw()
    );
    let body = mock
        .last_request(Route::CreateClient)
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(
        body,
        serde_json::json!({"name": "ci-bot", "locked": true, "scopes": {"products": ["SuperSIM", "ProgrammableWireless"]}})
    );

    let fetched = kore.clients().get(&id).await.unwrap();
    assert_eq!(fetched.name(), Some("ci-bot"));
    assert_eq!(fetched.date_created(), created.date_created());
    let listed = kore.clients().list().send().await.unwrap();
    assert_eq!(
        listed.clients().last().unwrap().client_id(),
        Some(id.as_str())
    );
    assert_eq!(listed.clients().len(), 4);
}

#[tokio::test]
async fn ping_reports_status() {
    let (_mock, kore) = common::start(MockKore::builder()).await;
    let status = kore.ping().await.unwrap();
    assert_eq!(status.status.as_deref(), Some("OK"));
}
