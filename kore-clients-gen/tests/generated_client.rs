//! The generated client against a local HTTP server: every operation, and
//! the request hooks `kore-clients` relies on.

use std::sync::{Arc, Mutex};

use kore_clients_gen::hooks::{Hooks, RequestHooks, SendFuture};
use kore_clients_gen::{Client, Open, types};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Adds a bearer token and records which operations it sent.
#[derive(Default)]
struct Recorder {
    operations: Mutex<Vec<&'static str>>,
}

impl RequestHooks for Recorder {
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        mut request: reqwest::Request,
        operation_id: &'static str,
    ) -> SendFuture<'a> {
        self.operations.lock().unwrap().push(operation_id);
        request.headers_mut().insert(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_static("Bearer test-token"),
        );
        Box::pin(http.execute(request))
    }
}

fn authorized() -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", "Bearer test-token")
}

fn client_json(id: &str, client_type: &str) -> serde_json::Value {
    json!({
        "client_id": id,
        "account_id": "acct_012example",
        "name": "Test client",
        "client_owner": "test@acme.com",
        "client_type": client_type,
        "locked": null,
        "date_created": "Fri, 05 Apr 2024 11:08:14 GMT"
    })
}

/// `GET /v1/ping` with the hooks' credentials, answered `OK`.
fn authorized_ping() -> Mock {
    Mock::given(method("GET"))
        .and(path("/v1/ping"))
        .and(authorized())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "OK"})))
}

#[tokio::test]
async fn every_operation_goes_through_the_attached_hooks() {
    let server = MockServer::start().await;
    authorized_ping().mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/clients"))
        .and(query_param("page_size", "1"))
        .and(query_param("page_number", "1"))
        .and(query_param("client_type", "admin"))
        .and(authorized())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "meta": {"count": 1, "page_number": 1, "page_size": 1,
                     "previous_page_url": null, "next_page_url": null},
            "clients": [client_json("apiclient_01exampledszqr9q", "admin")]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/clients/apiclient_01exampledszqr9q"))
        .and(authorized())
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"client": client_json("apiclient_01exampledszqr9q", "standard")}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/clients"))
        .and(authorized())
        .and(body_json(json!({
            "name": "ci-bot", "locked": false,
            "scopes": {"products": ["SuperSIM", "ProgrammableWireless"]}
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "message": "Client created successfully",
            "client_id": "apiclient_01newclient00000000000",
            "client_secret": "s3cr3t",
            "client_type": "standard",
            "account_id": "acct_012example",
            "name": "ci-bot",
            "date_created": "Fri, 05 Apr 2024 11:08:14 GMT",
            "client_owner": "test@acme.com",
            "locked": false
        })))
        .mount(&server)
        .await;

    let recorder = Arc::new(Recorder::default());
    let client = Client::new(&server.uri(), Hooks::from_arc(recorder.clone()));

    let ping: types::PingStatus = client.get_ping_status().send().await.unwrap().into_inner();
    assert_eq!(ping.status.as_deref(), Some("OK"));

    let page: types::ClientList = client
        .list_client()
        .page_size(1)
        .page_number(1)
        .client_type(types::ClientType::Admin)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.clients.len(), 1);
    assert_eq!(
        page.clients[0].client_type,
        Some(Open::Known(types::ClientType::Admin))
    );
    assert_eq!(
        page.clients[0].locked, None,
        "null `locked` means never locked"
    );
    assert_eq!(page.meta.as_ref().unwrap().count, Some(1.0));

    let one: types::ClientEnvelope = client
        .get_client()
        .client_id("apiclient_01exampledszqr9q")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        one.client.unwrap().client_type,
        Some(Open::Known(types::ClientType::Standard))
    );

    let body = types::CreateClient::builder()
        .name("ci-bot")
        .locked(false)
        .scopes(types::CreateClientScopes::builder().products(vec![
            types::Product::SuperSim.into(),
            types::Product::ProgrammableWireless.into(),
        ]));
    let created: types::CreatedClient = client
        .create_client()
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.client_secret.as_deref(), Some("s3cr3t"));
    assert_eq!(
        created.date_created.as_deref(),
        Some("Fri, 05 Apr 2024 11:08:14 GMT"),
        "RFC 1123 dates must decode (the spec's date-time format is corrected away)"
    );

    assert_eq!(
        *recorder.operations.lock().unwrap(),
        [
            "get_ping_status",
            "list_client",
            "get_client",
            "create_client"
        ]
    );
}

#[tokio::test]
async fn without_hooks_requests_are_sent_as_built() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/ping"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "OK"})))
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), Hooks::none());
    client.get_ping_status().send().await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn kore_error_bodies_decode_into_the_error_type() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/clients/apiclient_missing"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "status": 404, "message": "Client not found", "code": 40401, "info": "apiclient_missing"
        })))
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), Hooks::none());
    let err = client
        .get_client()
        .client_id("apiclient_missing")
        .send()
        .await
        .unwrap_err();
    match err {
        kore_clients_gen::Error::ErrorResponse(response) => {
            assert_eq!(response.status(), 404);
            assert_eq!(response.message.as_deref(), Some("Client not found"));
            assert_eq!(response.code, Some(40401));
        }
        other => panic!("expected an ErrorResponse, got {other:?}"),
    }
}

#[test]
fn hooks_debug_does_not_show_the_hook_object() {
    let hooks = Hooks::new(Recorder::default());
    assert_eq!(format!("{hooks:?}"), "Hooks { attached: true }");
    assert_eq!(format!("{:?}", Hooks::none()), "Hooks { attached: false }");
}

/// Hooks that do their work before a request is sent; they send it as built.
enum Preparing {
    /// Refuses every request before it is sent.
    Refuse,
    /// Waits (as for a token request) before putting the token on the request.
    TokenAfterWaiting,
}

impl RequestHooks for Preparing {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation_id: &'static str,
    ) -> kore_clients_gen::hooks::Prepared<'a> {
        match self {
            Preparing::Refuse => kore_clients_gen::hooks::Prepared::Ready(Err(format!(
                "no credentials for {operation_id}"
            ))),
            Preparing::TokenAfterWaiting => {
                kore_clients_gen::hooks::Prepared::Pending(Box::pin(async move {
                    tokio::task::yield_now().await;
                    request.headers_mut().insert(
                        reqwest::header::AUTHORIZATION,
                        reqwest::header::HeaderValue::from_static("Bearer test-token"),
                    );
                    Ok(())
                }))
            }
        }
    }

    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        _operation_id: &'static str,
    ) -> SendFuture<'a> {
        Box::pin(http.execute(request))
    }
}

#[tokio::test]
async fn a_failing_prepare_hook_aborts_before_anything_is_sent() {
    let server = MockServer::start().await;
    let client = Client::new(&server.uri(), Hooks::new(Preparing::Refuse));
    let err = client.get_ping_status().send().await.unwrap_err();
    match err {
        kore_clients_gen::Error::Custom(message) => {
            assert_eq!(message, "no credentials for get_ping_status")
        }
        other => panic!("expected Error::Custom, got {other:?}"),
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_waiting_prepare_hook_finishes_before_the_request_is_sent() {
    let server = MockServer::start().await;
    authorized_ping().expect(1).mount(&server).await;
    let client = Client::new(&server.uri(), Hooks::new(Preparing::TokenAfterWaiting));
    let status = client.get_ping_status().send().await.unwrap().into_inner();
    assert_eq!(status.status.as_deref(), Some("OK"));
}
