//! A KORE newer than the spec: unknown enum values and fields are kept,
//! serialized back and never fail a call; KORE's published history decodes.

use crate::common;

use futures::TryStreamExt as _;
use kore_clients::{ClientType, Error, ExposeSecret as _, NewClient, Product};
use kore_mock::{DRIFT_CLIENT_TYPE, DRIFT_PRODUCT, Fault, MockKore, Route};
use kore_testkit::text::{assert_contains, assert_lacks};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The text of a client type this SDK does not list.
fn unlisted(client_type: Option<ClientType>) -> Option<String> {
    client_type
        .filter(|value| !value.is_known())
        .map(|value| value.as_str().to_owned())
}

fn client(id: &str, client_type: &str) -> Value {
    json!({
        "client_id": id, "account_id": "acct_1", "name": id, "client_owner": "o@example.com",
        "client_type": client_type, "locked": false, "date_created": "Fri, 05 Apr 2024 11:08:14 GMT",
        "scopes": {"products": ["SuperSIM", "IoTConnect"]}, "rotation": {"due": "2027-01-01"}
    })
}

async fn answering(route_path: &str, verb: &str, status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .and(path(route_path))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn one_unknown_client_type_does_not_fail_a_listing_and_every_field_is_kept() {
    let page = json!({
        "clients": [client("a", "admin"), client("b", "service"), client("c", "standard")],
        "meta": {"count": 3, "page_number": 1, "page_size": 100, "next_page_url": null, "cursor": "zz"},
        "links": {"self": "/v1/clients"}
    });
    let server = answering("/v1/clients", "GET", 200, page.clone()).await;
    let kore = common::wiremock_kore(&server).await;

    let one = kore.clients().list().send().await.unwrap();
    assert_eq!(one.clients().len(), 3);
    let service = &one.clients()[1];
    let kept = service.client_type().unwrap();
    assert!(matches!(&kept, ClientType::Unknown(text) if text.as_str() == "service"));
    assert_eq!(kept.to_string(), "service");
    assert_eq!(one.clients()[0].client_type(), Some(ClientType::Admin));
    assert_eq!(
        service.extra()["scopes"],
        json!({"products": ["SuperSIM", "IoTConnect"]})
    );
    assert_eq!(service.extra()["rotation"]["due"], "2027-01-01");
    // Serialized back with KORE's names: exactly what KORE sent.
    assert_eq!(serde_json::to_value(service).unwrap(), page["clients"][1]);
    assert_eq!(one.meta().extra()["cursor"], "zz");
    assert_eq!(
        serde_json::to_value(one.meta()).unwrap()["cursor"],
        "zz",
        "meta's Serialize keeps it too"
    );
    assert_eq!(one.extra()["links"], json!({"self": "/v1/clients"}));

    let all: Vec<_> = tokio::time::timeout(
        common::CALL_BOUND,
        kore.clients().list().stream().try_collect::<Vec<_>>(),
    )
    .await
    .expect("bounded")
    .unwrap();
    assert_eq!(all.len(), 3);
}

#[tokio::test]
async fn a_client_of_an_unknown_type_is_read_whole() {
    let body = json!({"client": client("b", "service"), "served_by": "eu-1"});
    let server = answering("/v1/clients/b", "GET", 200, body.clone()).await;
    let kore = common::wiremock_kore(&server).await;
    let got = kore.clients().get("b").await.unwrap();
    assert_eq!(unlisted(got.client_type()).as_deref(), Some("service"));
    assert_eq!(serde_json::to_value(&got).unwrap(), body["client"]);
}

#[tokio::test]
async fn a_create_answered_with_unknown_values_and_fields_delivers_its_secret() {
    let answer = json!({
        "client_id": "apiclient_new", "client_secret": "s3cr3t-created", "name": "bot",
        "client_type": "service", "message": "Client created", "locked": false,
        "expires_at": "2027-01-01", "refresh_token": "r3fr3sh-created",
        "oauth": {"issuer": "kore", "client_secret": "n3sted-created"},
        "keys": [{"private_key_pem": "pr1vate-created", "kid": "k1"}]
    });
    let server = answering("/v1/clients", "POST", 201, answer).await;
    let kore = common::wiremock_kore(&server).await;
    let created = kore
        .clients()
        .create(NewClient::new("bot").product(Product::SuperSim))
        .await
        .unwrap();
    assert_eq!(created.client_secret().expose_secret(), "s3cr3t-created");
    assert_eq!(unlisted(created.client_type()), Some("service".to_owned()));
    assert_eq!(created.extra()["expires_at"], "2027-01-01");
    assert_eq!(
        created.extra()["refresh_token"],
        "r3fr3sh-created",
        "kept, for who asks"
    );
    assert_eq!(created.extra()["oauth"]["client_secret"], "n3sted-created");
    let shown = serde_json::to_value(&created).unwrap();
    assert_eq!(shown["expires_at"], "2027-01-01");
    assert_eq!(shown["client_type"], "service");
    assert_eq!(
        shown["oauth"],
        json!({"issuer": "kore"}),
        "nested credentials are left out"
    );
    assert_eq!(shown["keys"], json!([{"kid": "k1"}]));
    let debug = format!("{created:?}");
    assert!(debug.contains("\"expires_at\""), "names only: {debug}");
    assert!(!debug.contains("2027-01-01"), "no values: {debug}");
    let rendered = format!("{shown} {debug}");
    for secret in [
        "s3cr3t-created",
        "r3fr3sh-created",
        "n3sted-created",
        "pr1vate-created",
    ] {
        assert_lacks(&rendered, secret);
    }
}

#[tokio::test]
async fn an_unlisted_product_is_sent_as_given_and_a_listed_one_checked() {
    let server = answering(
        "/v1/clients",
        "POST",
        201,
        json!({"client_id": "x", "client_secret": "s"}),
    )
    .await;
    let kore = common::wiremock_kore(&server).await;
    kore.clients()
        .create(
            NewClient::new("bot")
                .product(Product::SuperSim)
                .product(Product::parse("IoTConnect")),
        )
        .await
        .unwrap();
    let sent = server.received_requests().await.unwrap();
    let create = sent
        .iter()
        .find(|r| r.method.as_str() == "POST" && r.url.path() == "/v1/clients")
        .unwrap();
    let body: Value = serde_json::from_slice(&create.body).unwrap();
    assert_eq!(
        body["scopes"]["products"],
        json!(["SuperSIM", "IoTConnect"])
    );

    // An unlisted value must still be a plausible one: refused before sending.
    let error = common::create_error(
        &kore,
        NewClient::new("bot").product(Product::parse(" IoTConnect")),
    )
    .await;
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert_contains(&error.to_string(), "surrounding spaces");
}

#[tokio::test]
async fn an_unknown_client_type_filter_is_sent_as_given() {
    let server = answering("/v1/clients", "GET", 200, json!({"clients": []})).await;
    let kore = common::wiremock_kore(&server).await;
    kore.clients()
        .list()
        .client_type(ClientType::parse("service"))
        .send()
        .await
        .unwrap();
    let sent = server.received_requests().await.unwrap();
    let list = sent.iter().find(|r| r.url.path() == "/v1/clients").unwrap();
    assert_eq!(
        common::query_param(&list.url, "client_type").as_deref(),
        Some("service")
    );
    // An unlisted type must still be a plausible one: refused before sending.
    for blank in ["", " service"] {
        let error = kore
            .clients()
            .list()
            .client_type(ClientType::parse(blank))
            .send()
            .await
            .unwrap_err();
        assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    }
    assert_eq!(
        common::received(&server, "/v1/clients").await,
        1,
        "nothing more was sent"
    );
}

#[tokio::test]
async fn an_error_body_keeps_kore_s_extra_fields() {
    let server = answering(
        "/v1/clients/nope",
        "GET",
        404,
        json!({"code": 404, "message": "Client not found", "trace_id": "t-123", "docs": ["a"]}),
    )
    .await;
    let kore = common::wiremock_kore(&server).await;
    let error = kore.clients().get("nope").await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    let extra = error.extra().expect("an API error");
    assert_eq!(extra["trace_id"], "t-123");
    assert_eq!(extra["docs"], json!(["a"]));
    assert_contains(&error.to_string(), "Client not found");
}

#[tokio::test]
async fn a_field_whose_type_changed_is_an_error_named_by_its_pointer() {
    let mut second = client("b", "admin");
    second["locked"] = json!("yes");
    let server = answering(
        "/v1/clients",
        "GET",
        200,
        json!({"clients": [client("a", "admin"), second]}),
    )
    .await;
    let kore = common::wiremock_kore(&server).await;
    let error = kore.clients().list().send().await.unwrap_err();
    let Error::Decode { message, .. } = &error else {
        panic!("expected Decode, got {error:?}")
    };
    assert_contains(message, "(at /clients/1/locked)");
}

#[tokio::test]
async fn kore_mock_s_drift_fault_is_absorbed_by_every_operation() {
    let (mock, kore) = common::start(MockKore::builder().clients(3)).await;
    for route in [
        Route::Ping,
        Route::ListClients,
        Route::GetClient,
        Route::CreateClient,
    ] {
        mock.faults().push(route, Fault::Drift);
    }
    let status = kore.ping().await.unwrap();
    assert_eq!(status.extra()["api_revision"], "2026-12-01");
    let page = kore.clients().list().send().await.unwrap();
    assert_eq!(page.clients().len(), 3);
    assert_eq!(page.meta().extra()["total_pages"], 1);
    for listed in page.clients() {
        assert_eq!(
            unlisted(listed.client_type()),
            Some(DRIFT_CLIENT_TYPE.to_owned())
        );
        assert_eq!(listed.extra()["scopes"]["products"][1], DRIFT_PRODUCT);
    }
    let id = page.clients()[0].client_id().unwrap();
    let got = kore.clients().get(id).await.unwrap();
    assert!(got.extra().contains_key("last_used"));
    let created = kore
        .clients()
        .create(NewClient::new("drift-bot").product(Product::SuperSim))
        .await
        .unwrap();
    assert_eq!(
        unlisted(created.client_type()),
        Some(DRIFT_CLIENT_TYPE.to_owned())
    );
    assert!(!created.client_secret().expose_secret().is_empty());
    // The next answer, without the fault, is plain again.
    let plain = kore.clients().list().send().await.unwrap();
    assert!(plain.clients().iter().all(|c| c.extra().is_empty()));
}

/// An example answer for `schema` of `spec`: the examples KORE gives, and a
/// value of the declared type where it gives none.
fn example(spec: &Value, schema: &Value, name: &str) -> Value {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(target) => spec
            .pointer(target.trim_start_matches('#'))
            .expect("ref resolves"),
        None => schema,
    };
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        return Value::Object(
            properties
                .iter()
                .map(|(key, property)| (key.clone(), example(spec, property, key)))
                .collect(),
        );
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => json!([example(spec, &schema["items"], name)]),
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(true),
        _ => json!(format!("{name}-example")),
    }
}

/// The example body of `operation`'s answer with `status` in a history file.
fn answer(spec: &Value, route: &str, verb: &str, status: &str) -> Option<Value> {
    let schema = spec
        .pointer(&format!(
            "/paths/{}/{verb}/responses/{status}/content/application~1json/schema",
            route.replace('/', "~1")
        ))?
        .clone();
    Some(example(spec, &schema, "body"))
}

#[tokio::test]
async fn every_answer_example_of_kore_s_published_history_decodes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/history");
    let mut versions: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        // The list/create/get operations in today's form start on 2025-02-04.
        .filter(|p| p.file_name().unwrap().to_str().unwrap() >= "kore_client_v1.2025-02-04")
        .collect();
    versions.sort();
    assert_eq!(versions.len(), 5, "{versions:?}");
    let newest = std::fs::read(versions.last().unwrap()).unwrap();
    let reference = std::fs::read(dir.join("../reference/kore_client_v1.json")).unwrap();
    assert!(
        newest == reference,
        "the newest version is openapi/reference/kore_client_v1.json"
    );
    for version in versions {
        let spec: Value =
            serde_json::from_str(&std::fs::read_to_string(&version).unwrap()).unwrap();
        let name = version.file_name().unwrap().to_string_lossy().into_owned();
        let server = MockServer::start().await;
        let bodies = [
            ("/v1/clients", "GET", "200"),
            ("/v1/clients", "POST", "201"),
            ("/v1/clients/apiclient_01exampledszqr9q", "GET", "200"),
            ("/v1/ping", "GET", "200"),
        ];
        for (route, verb, status) in bodies {
            let template = if route.starts_with("/v1/clients/") {
                "/v1/clients/{client_id}"
            } else {
                route
            };
            let body = answer(&spec, template, &verb.to_lowercase(), status)
                .unwrap_or_else(|| panic!("{name}: no {verb} {template} {status} schema"));
            Mock::given(method(verb))
                .and(path(route))
                .respond_with(
                    ResponseTemplate::new(status.parse::<u16>().unwrap()).set_body_json(body),
                )
                .mount(&server)
                .await;
        }
        let kore = common::wiremock_kore(&server).await;
        kore.ping()
            .await
            .unwrap_or_else(|e| panic!("{name}: ping: {e}"));
        let page = kore
            .clients()
            .list()
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: list: {e}"));
        let listed = &page.clients()[0];
        assert_eq!(
            listed.client_id(),
            Some("apiclient_01exampledszqr9q"),
            "{name}"
        );
        assert!(
            listed.date_created().is_some(),
            "{name}: KORE's date form is read"
        );
        assert!(
            listed.extra().is_empty(),
            "{name}: every field is known: {:?}",
            listed.extra()
        );
        assert!(listed.client_type().unwrap().is_known(), "{name}");
        kore.clients()
            .get("apiclient_01exampledszqr9q")
            .await
            .unwrap_or_else(|e| panic!("{name}: get: {e}"));
        let created = kore
            .clients()
            .create(NewClient::new("Example Client").product(Product::SuperSim))
            .await
            .unwrap_or_else(|e| panic!("{name}: create: {e}"));
        assert_eq!(created.account_id(), Some("acct_012example"), "{name}");

        // Every documented error answer of every operation is an API error.
        for (route, verb) in [
            ("/v1/clients", "get"),
            ("/v1/clients", "post"),
            ("/v1/clients/{client_id}", "get"),
            ("/v1/ping", "get"),
        ] {
            let responses = spec
                .pointer(&format!(
                    "/paths/{}/{verb}/responses",
                    route.replace('/', "~1")
                ))
                .unwrap();
            for status in responses
                .as_object()
                .unwrap()
                .keys()
                .filter(|s| s.starts_with(['4', '5']))
            {
                let body = answer(&spec, route, verb, status).unwrap();
                let decoded: kore_clients_gen::types::Error = serde_json::from_value(body.clone())
                    .unwrap_or_else(|e| panic!("{name}: {verb} {route} {status}: {e}: {body}"));
                assert!(
                    decoded.extra.is_empty(),
                    "{name}: {verb} {route} {status}: {:?}",
                    decoded.extra
                );
            }
        }
    }
}
