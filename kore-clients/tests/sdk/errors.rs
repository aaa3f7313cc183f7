//! What users get back when KORE (or something in front of it) says no.

use crate::common;

use kore_clients::{Error, ExposeSecret as _, NewClient, Operation, Product};
use kore_mock::{Fault, MockKore, Route};
use kore_testkit::text::{assert_contains, assert_lacks};

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
    assert_contains(&display, "check the id");
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
    assert_contains(excerpt, "502");
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
        status,
        excerpt,
        message,
        ..
    } = &error
    else {
        panic!("expected Decode, got {error:?}")
    };
    assert_eq!(status.as_u16(), 200);
    assert!(
        message.starts_with("Eof error at line 1, column "),
        "where the decoder stopped: {message}"
    );
    assert!(excerpt.starts_with('{'), "{excerpt}");
    assert_contains(&error.to_string(), "list client (GET /v1/clients)");
}

#[tokio::test]
async fn an_undecodable_create_response_keeps_the_secret_and_says_the_client_exists() {
    let (mock, kore) = common::start(MockKore::builder().clients(0)).await;
    mock.faults()
        .push(Route::CreateClient, Fault::TruncatedJson);
    let error = common::create_error(
        &kore,
        NewClient::new("half-answered").product(Product::SuperSim),
    )
    .await;
    let Error::CreatedButUndecodable { created, .. } = &error else {
        panic!("expected CreatedButUndecodable, got {error:?}")
    };
    let body = created.expose_body();
    assert_contains(body, "client_secret");
    let display = error.to_string();
    assert_contains(&display, "KORE created the client");
    assert_contains(&display, "expose_body");
    // The secret is in the raw body but nowhere in what prints.
    let secret_start = body.find("\"client_secret\":\"").map(|i| i + 17).unwrap();
    let secret: String = body[secret_start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert!(secret.len() >= 8, "{body}");
    for rendered in [display, format!("{error:?}"), format!("{error:#?}")] {
        assert_lacks(&rendered, &secret);
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
        let error = common::create_error(&kore, bad).await;
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
    let id = created.client_id().to_owned();
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
    assert_eq!(status.status(), Some("OK"));
}

mod created_without_a_secret {
    use super::common;
    use kore_clients::{Error, Kore, NewClient, SecretString};
    use kore_testkit::tcp::{RawServer, Reply};
    use kore_testkit::text::assert_lacks;
    use serde_json::json;

    use wiremock::{MockServer, ResponseTemplate};

    /// Creates against a wiremock KORE whose create answers 201 with `body`
    /// (and `content_type`).
    async fn create_answered_with(body: &str, content_type: &str) -> Error {
        let server = MockServer::start().await;
        common::mount(
            &server,
            "POST",
            "/v1/clients",
            ResponseTemplate::new(201).set_body_raw(body.to_owned(), content_type),
        )
        .await;
        let kore = common::wiremock_kore(&server).await;
        common::create_error(&kore, NewClient::new("x")).await
    }

    #[tokio::test]
    async fn a_secret_in_an_unexpected_shape_is_kept_with_the_raw_answer() {
        let secret = "one-time-secret-6b2f";
        for (what, body, content_type) in [
            (
                "wrapped object",
                format!(
                    r#"{{"client": {{"client_id": "apiclient_w", "client_secret": "{secret}"}}}}"#
                ),
                "application/json",
            ),
            (
                "camelCase field",
                format!(r#"{{"clientId": "apiclient_w", "clientSecret": "{secret}"}}"#),
                "application/json",
            ),
            (
                "HTML 201",
                format!("<html><body>created apiclient_w, secret {secret}</body></html>"),
                "text/html",
            ),
        ] {
            let error = create_answered_with(&body, content_type).await;
            let Error::CreatedButUndecodable { created, .. } = &error else {
                panic!("{what}: expected CreatedButUndecodable, got {error:?}")
            };
            assert_eq!(
                created.expose_body(),
                body,
                "{what}: the raw answer is kept whole"
            );
            if what != "HTML 201" {
                assert_eq!(created.client_id(), Some("apiclient_w"), "{what}");
            }
            let message = error.to_string();
            assert!(
                message.contains("KORE created the client"),
                "{what}: {message}"
            );
            assert!(
                message.contains("is kept in this error"),
                "{what}: {message}"
            );
            assert!(!message.contains("not received"), "{what}: {message}");
            for rendered in [message, format!("{error:?}")] {
                assert!(!rendered.contains(secret), "{what}: {rendered}");
            }
            assert!(!error.is_retryable(), "{what}");
        }
    }

    #[tokio::test]
    async fn a_201_without_any_secret_keeps_the_answer_and_names_the_client() {
        let body = r#"{"client_id": "apiclient_nosecret", "client_type": "standard"}"#;
        let error = create_answered_with(body, "application/json").await;
        let Error::CreatedButUndecodable { created, .. } = &error else {
            panic!("expected CreatedButUndecodable, got {error:?}")
        };
        assert_eq!(created.client_id(), Some("apiclient_nosecret"));
        assert_eq!(created.expose_body(), body);
        assert!(
            error
                .to_string()
                .contains("KORE created the client apiclient_nosecret")
        );
        assert!(!error.is_retryable());
    }

    #[tokio::test]
    async fn a_201_without_a_client_id_keeps_the_answer_and_names_what_is_missing() {
        // The secret arrived, but no id for `get` and every later call: the
        // answer is no usable CreatedClient, and nothing is lost.
        for body in [
            r#"{"client_secret": "s3cr3t-no-id", "name": "x"}"#,
            r#"{"client_id": " ", "client_secret": "s3cr3t-no-id"}"#,
        ] {
            let error = create_answered_with(body, "application/json").await;
            let Error::CreatedButUndecodable {
                created, reason, ..
            } = &error
            else {
                panic!("expected CreatedButUndecodable, got {error:?}")
            };
            assert_eq!(created.expose_body(), body, "the answer is kept whole");
            assert!(reason.contains("`client_id`"), "{reason}");
            let message = error.to_string();
            assert!(message.contains("no `client_id`"), "{message}");
            assert_lacks(&message, "s3cr3t-no-id");
            assert_lacks(&format!("{error:?}"), "s3cr3t-no-id");
        }
    }

    #[tokio::test]
    async fn a_decoder_error_never_quotes_the_secret() {
        let server = MockServer::start().await;
        let answer = json!({"client_id": "apiclient_n", "client_secret": 987654321987u64});
        common::answer_json(&server, "POST /v1/clients", 201, answer).await;
        let kore = common::wiremock_kore(&server).await;
        let error = common::create_error(&kore, NewClient::new("x")).await;
        assert!(
            matches!(error, Error::CreatedButUndecodable { .. }),
            "{error:?}"
        );
        for rendered in [error.to_string(), format!("{error:?}")] {
            assert_lacks(&rendered, "987654321987");
        }
    }

    #[tokio::test]
    async fn a_201_whose_body_breaks_off_says_the_client_exists() {
        // A server that answers the create with a 201 and half a body.
        let server = RawServer::start(|_| {
            Reply::ThenClose(
                b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"client_id\":\"apiclient_cut\",\"client_sec".to_vec(),
            )
        })
        .await;
        let api = server.url();
        let tokens = MockServer::start().await;
        let kore = common::wiremock_kore(&tokens).await;
        let kore = Kore::builder()
            .client_id("c")
            .client_secret(SecretString::from("s"))
            .base_url(api)
            .token_url(kore.token_url().to_owned())
            .build()
            .unwrap();
        let error = common::create_error(&kore, NewClient::new("x")).await;
        assert_eq!(server.connections(), 1, "the create reached the server");
        let Error::CreatedButUndecodable {
            created, reason, ..
        } = &error
        else {
            panic!("expected CreatedButUndecodable, got {error:?}")
        };
        assert_eq!(
            created.expose_body(),
            r#"{"client_id":"apiclient_cut","client_sec"#,
            "the bytes that arrived are kept"
        );
        assert_eq!(created.client_id(), Some("apiclient_cut"));
        let (_, cause) = reason
            .split_once("broke off after 40 bytes: ")
            .unwrap_or_else(|| panic!("{reason}"));
        assert!(
            cause.contains("body"),
            "the transport's cause follows: {reason}"
        );
        assert_eq!(error.status().map(|s| s.as_u16()), Some(201));
        assert!(
            !error.is_retryable(),
            "retrying would create a second client"
        );
    }
}

#[tokio::test]
async fn an_error_body_echoing_the_token_or_secret_is_scrubbed() {
    use serde_json::json;

    use wiremock::{MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    let token = "echoed-access-token-0123456789";
    common::mount_token(&server, json!({"access_token": token, "expires_in": 3600})).await;
    common::answer_json(
        &server,
        "GET /v1/clients/apiclient_x",
        404,
        json!({
            "message": format!("no client for token {token}"),
            "info": "sent with client_secret=wiremock-secret",
        }),
    )
    .await;
    common::mount(
        &server,
        "GET",
        "/v1/ping",
        ResponseTemplate::new(502).set_body_string(format!("<html>Bearer {token}</html>")),
    )
    .await;
    let kore = common::wiremock_builder(&server)
        .retry(kore_clients::RetryPolicy::disabled())
        .build()
        .unwrap();
    let api = kore.clients().get("apiclient_x").await.unwrap_err();
    let gateway = kore.ping().await.unwrap_err();
    assert_eq!(api.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(gateway.status().map(|s| s.as_u16()), Some(502));
    for rendered in [
        api.to_string(),
        format!("{api:?}"),
        gateway.to_string(),
        format!("{gateway:?}"),
    ] {
        for secret in [token, "wiremock-secret"] {
            assert!(
                !rendered.contains(secret),
                "a secret leaked into: {rendered}"
            );
        }
        assert_contains(&rendered, "[redacted]");
    }
}

#[tokio::test]
async fn an_undocumented_status_with_kores_error_fields_is_an_api_error() {
    use wiremock::MockServer;

    // 418 is in no operation's responses; KORE's error shape still decides.
    for (body, code, message) in [
        (
            serde_json::json!({"message": "I'm a teapot"}),
            None,
            Some("I'm a teapot"),
        ),
        (serde_json::json!({"code": 418}), Some(418), None),
    ] {
        let server = MockServer::start().await;
        common::answer_json(&server, "GET /v1/ping", 418, body.clone()).await;
        let kore = common::wiremock_kore(&server).await;
        let error = kore.ping().await.unwrap_err();
        let Error::Api {
            status,
            code: got_code,
            message: got_message,
            ..
        } = &error
        else {
            panic!("{body}: expected an API error, got {error:?}")
        };
        assert_eq!(status.as_u16(), 418);
        assert_eq!(
            (*got_code, got_message.as_deref()),
            (code, message),
            "{body}"
        );
    }
    // Without either field it is not KORE's error body.
    let server = MockServer::start().await;
    let answer = serde_json::json!({"detail": "tea"});
    common::answer_json(&server, "GET /v1/ping", 418, answer).await;
    let kore = common::wiremock_kore(&server).await;
    let error = kore.ping().await.unwrap_err();
    assert!(
        matches!(error, Error::UnexpectedResponse { .. }),
        "{error:?}"
    );
}
