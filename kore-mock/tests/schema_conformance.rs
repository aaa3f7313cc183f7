//! Every kind of body the mock sends, validated with `jsonschema` against the merged
//! Client API spec and KORE's token spec.

mod common;

use common::{VALID_CREATE, create, get, http, request_token, send, with_token};
use jsonschema::Validator;
use kore_mock::{Fault, MockKore, Route};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CLIENT_SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/kore-clients.json");
const TOKEN_SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../openapi/reference/kore_token_api_v1.json"
);

/// A validator for `schema_name` of the spec at `spec_path`, tightened to "exactly the
/// declared properties". The spec leaves every property optional and extra properties
/// allowed (answers explicitly so, `additionalProperties: {}`), so it would accept `{}`; tightening makes the check catch a missing field or a
/// leaked one (e.g. client_secret in Client). The translation to JSON Schema (OpenAPI's
/// `nullable`) is kore-conformance's, the one `kore doctor` uses.
fn validator(spec_path: &str, schema_name: &str) -> Validator {
    let mut spec: Value =
        serde_json::from_str(&std::fs::read_to_string(spec_path).expect("spec file"))
            .expect("spec JSON");
    for schema in spec["components"]["schemas"]
        .as_object_mut()
        .expect("schemas")
        .values_mut()
    {
        make_exact(schema);
    }
    kore_conformance::Spec::from_value(spec)
        .validator(&json!({"$ref": format!("#/components/schemas/{schema_name}")}))
        .unwrap_or_else(|err| panic!("schema {schema_name}: {err}"))
}

fn make_exact(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for property in properties.values_mut() {
            make_exact(property);
        }
        let names: Vec<Value> = properties.keys().cloned().map(Value::String).collect();
        object.entry("required").or_insert(Value::Array(names));
        // Absent, or `{}` from the merge's open-answers rule: either way the
        // spec names no more fields, and the mock must send no more.
        let additional = object
            .entry("additionalProperties")
            .or_insert(Value::Bool(false));
        if additional == &json!({}) {
            *additional = Value::Bool(false);
        }
    }
}

fn assert_valid(validator: &Validator, body: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|err| err.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: {body} violates the schema: {errors:?}"
    );
}

/// What KORE's API gateway sends for a refused bearer token; the spec does not describe it.
fn gateway_message_validator(message: &str) -> Validator {
    jsonschema::draft4::new(&json!({
        "type": "object",
        "required": ["message"],
        "additionalProperties": false,
        "properties": {"message": {"type": "string", "enum": [message]}}
    }))
    .expect("gateway schema")
}

#[tokio::test]
async fn validator_rejects_bodies_that_break_the_spec() {
    let client_list = validator(CLIENT_SPEC, "ClientList");
    let envelope = validator(CLIENT_SPEC, "ClientEnvelope");
    let error = validator(CLIENT_SPEC, "Error");
    let token_ok = validator(TOKEN_SPEC, "200GetToken");
    let client = json!({
        "client_id": "apiclient_x", "account_id": "acct_x", "name": "n", "client_owner": "o@example.com",
        "client_type": "admin", "locked": false, "date_created": "Fri, 05 Apr 2024 11:08:14 GMT"
    });
    assert!(envelope.is_valid(&json!({"client": client})));

    let mut bad_type = client.clone();
    bad_type["client_type"] = json!("superuser");
    assert!(
        !envelope.is_valid(&json!({"client": bad_type})),
        "enum via $ref is enforced"
    );
    let mut leaked_secret = client.clone();
    leaked_secret["client_secret"] = json!("s3cret");
    assert!(
        !envelope.is_valid(&json!({"client": leaked_secret})),
        "extra fields are caught"
    );
    let meta = json!({"count": "1", "page_number": 1, "page_size": 1, "previous_page_url": null, "next_page_url": null});
    assert!(
        !client_list.is_valid(&json!({"meta": meta, "clients": [client]})),
        "number type is enforced"
    );
    assert!(!error.is_valid(&json!({"status": 400, "message": "m", "code": "400", "info": "i"})));
    assert!(
        !error.is_valid(&json!({"message": "Unauthorized"})),
        "missing fields are caught"
    );
    assert!(!token_ok.is_valid(&json!({"access_token": "a", "expires_in": "3600", "token_type": "Bearer", "scope": "email"})));
}

#[tokio::test]
async fn client_api_bodies_match_the_merged_spec() {
    let (mock, token) = with_token(MockKore::builder().clients(12).start().await).await;
    let client_list = validator(CLIENT_SPEC, "ClientList");
    let envelope = validator(CLIENT_SPEC, "ClientEnvelope");
    let created = validator(CLIENT_SPEC, "CreatedClient");
    let ping = validator(CLIENT_SPEC, "PingStatus");
    let error = validator(CLIENT_SPEC, "Error");

    for query in [
        "page_size=5&page_number=1",
        "page_size=5&page_number=2",
        "page_size=5&page_number=9",
        "page_size=100&page_number=1&client_type=admin",
    ] {
        let (status, body) = get(&mock, &token, &format!("/v1/clients?{query}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_valid(&client_list, &body, query);
    }

    let (status, body) = create(&mock, &token, VALID_CREATE).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_valid(&created, &body, "create 201");
    let client_id = body["client_id"].as_str().unwrap().to_owned();

    let (status, body) = get(&mock, &token, &format!("/v1/clients/{client_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&envelope, &body, "get");

    let (status, body) = get(&mock, &token, "/v1/ping").await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&ping, &body, "ping");

    let errors = [
        (
            StatusCode::BAD_REQUEST,
            get(&mock, &token, "/v1/clients?page_number=1").await,
        ),
        (
            StatusCode::BAD_REQUEST,
            get(
                &mock,
                &token,
                "/v1/clients?page_size=1&page_number=1&client_type=x",
            )
            .await,
        ),
        (
            StatusCode::BAD_REQUEST,
            create(&mock, &token, r#"{"name":"n","locked":false}"#).await,
        ),
        (
            StatusCode::BAD_REQUEST,
            create(&mock, &token, "{not json").await,
        ),
        (
            StatusCode::NOT_FOUND,
            get(&mock, &token, "/v1/clients/apiclient_doesnotexist").await,
        ),
        (
            StatusCode::NOT_FOUND,
            get(&mock, &token, "/v1/nothing-here").await,
        ),
    ];
    for (expected, (status, body)) in errors {
        assert_eq!(status, expected, "{body}");
        assert_valid(&error, &body, expected.as_str());
        assert_eq!(body["status"], expected.as_u16());
    }

    // Injected server errors use the spec's Error body as well.
    mock.faults()
        .push_statuses(Route::GetClient, [500, 503, 504]);
    mock.faults().push(Route::ListClients, Fault::Status(502));
    for path in [
        format!("/v1/clients/{client_id}"),
        format!("/v1/clients/{client_id}"),
        format!("/v1/clients/{client_id}"),
        "/v1/clients?page_size=1&page_number=1".to_owned(),
    ] {
        let (status, body) = get(&mock, &token, &path).await;
        assert!(status.is_server_error());
        assert_valid(&error, &body, status.as_str());
    }
}

#[tokio::test]
async fn refused_bearer_token_gets_the_gateway_body() {
    let mock = MockKore::start().await;
    let unauthorized = gateway_message_validator("Unauthorized");
    for path in [
        "/v1/ping",
        "/v1/clients?page_size=1&page_number=1",
        "/v1/clients/whatever",
    ] {
        let (status, body) = get(&mock, "not-a-token", path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_valid(&unauthorized, &body, path);
    }
    let (status, body) = create(&mock, "not-a-token", VALID_CREATE).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_valid(&unauthorized, &body, "create");

    mock.faults().push(
        Route::Ping,
        Fault::TooManyRequests {
            retry_after_secs: Some(1),
        },
    );
    let (status, body) = get(&mock, "irrelevant", "/v1/ping").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_valid(
        &gateway_message_validator("Too Many Requests"),
        &body,
        "429",
    );
}

#[tokio::test]
async fn token_bodies_match_the_token_spec() {
    let mock = MockKore::start().await;
    let granted = validator(TOKEN_SPEC, "200GetToken");
    // KORE's token endpoint speaks OAuth 2.0 (RFC 6749 §5.2): 400s carry the same
    // `{error, error_description}` body as the documented 401, not the spec's `Error`.
    let oauth_error = validator(TOKEN_SPEC, "401Error");
    let server_error = validator(TOKEN_SPEC, "Error");

    let good = [
        ("grant_type", "client_credentials"),
        ("client_id", mock.client_id()),
        ("client_secret", mock.client_secret()),
    ];
    let response = request_token(&mock, &good).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_valid(&granted, &response.json().await.unwrap(), "token 200");

    let bad_secret = [good[0], good[1], ("client_secret", "wrong")];
    let response = request_token(&mock, &bad_secret).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_valid(&oauth_error, &response.json().await.unwrap(), "token 401");

    let bad_grant = [("grant_type", "password"), good[1], good[2]];
    let response = request_token(&mock, &bad_grant).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_valid(
        &oauth_error,
        &response.json().await.unwrap(),
        "token 400 grant type",
    );

    let response = send(
        http()
            .post(mock.token_url())
            .json(&json!({"grant_type": "client_credentials"})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_valid(
        &oauth_error,
        &response.json().await.unwrap(),
        "token 400 content type",
    );

    mock.faults().push(Route::Token, Fault::Status(500));
    let response = request_token(&mock, &good).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_valid(&server_error, &response.json().await.unwrap(), "token 500");
}
