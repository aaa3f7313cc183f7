//! The Client API routes (`/v1/ping`, `/v1/clients`, `/v1/clients/{client_id}`):
//! bearer checks, pagination, `CreateClient` validation and KORE's error bodies.

use std::collections::HashMap;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::answers::{ApiError, unauthorized};
use crate::faults::FOREIGN_ORIGIN;
use crate::state::{Client, ClientType, NewClient, Shared};

/// Why a Client API request is refused: by the gateway's authorizer or by the API itself.
pub(crate) enum Rejection {
    Unauthorized,
    Api(ApiError),
}

impl From<ApiError> for Rejection {
    fn from(error: ApiError) -> Self {
        Rejection::Api(error)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Unauthorized => unauthorized(),
            Rejection::Api(error) => error.into_response(),
        }
    }
}

fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), Rejection> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match token {
        Some(token) if shared.store().token_is_valid(token, Instant::now()) => Ok(()),
        _ => Err(Rejection::Unauthorized),
    }
}

/// `GET /v1/ping`.
pub(crate) async fn ping(
    State(shared): State<Shared>,
    headers: HeaderMap,
) -> Result<Response, Rejection> {
    authorize(&shared, &headers)?;
    Ok(Json(json!({"status": "OK"})).into_response())
}

/// `GET /v1/clients?page_size=&page_number=[&client_type=]`.
pub(crate) async fn list_clients(
    State(shared): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Rejection> {
    authorize(&shared, &headers)?;
    let Query(query) = query.map_err(|rejection| {
        ApiError::bad_request("Malformed query string", rejection.body_text())
    })?;
    let page_size = positive_param(&query, "page_size")?;
    let page_number = positive_param(&query, "page_number")?;
    let client_type = match query.get("client_type") {
        None => None,
        Some(value) => Some(ClientType::parse(value).ok_or_else(|| {
            ApiError::bad_request(
                "Invalid query parameter: client_type",
                format!("client_type must be admin or standard, got `{value}`"),
            )
        })?),
    };

    let store = shared.store();
    // One pass, holding only this page: a page costs the same whatever
    // page it is, without collecting every matching client first.
    let start = (page_number - 1) * page_size;
    let mut matching_count: u64 = 0;
    let mut clients: Vec<&Client> = Vec::new();
    for client in store
        .clients()
        .iter()
        .filter(|client| client_type.is_none_or(|wanted| client.client_type == wanted))
    {
        if matching_count >= start && matching_count - start < page_size {
            clients.push(client);
        }
        matching_count += 1;
    }

    let scheme = if shared.config.tls { "https" } else { "http" };
    let origin = format!("{scheme}://{}", request_host(&headers, &uri, &shared));
    let next_origin = if shared.faults.foreign_next_page_url() {
        FOREIGN_ORIGIN
    } else {
        origin.as_str()
    };
    let page_url = |origin: &str, number: u64| {
        let mut url = format!(
            "{origin}{}?page_size={page_size}&page_number={number}",
            uri.path()
        );
        if let Some(client_type) = client_type {
            url.push_str(match client_type {
                ClientType::Admin => "&client_type=admin",
                ClientType::Standard => "&client_type=standard",
            });
        }
        url
    };
    let previous_page_url = (page_number > 1).then(|| page_url(&origin, page_number - 1));
    let next_page_url =
        (start + page_size < matching_count).then(|| page_url(next_origin, page_number + 1));

    let body = json!({
        "meta": {
            "count": clients.len(),
            "page_number": page_number,
            "page_size": page_size,
            "previous_page_url": previous_page_url,
            "next_page_url": next_page_url,
        },
        "clients": clients,
    });
    Ok(Json(body).into_response())
}

/// A required query parameter that must be an int32 of at least 1 (the spec's `format: int32, minimum: 1`).
fn positive_param(query: &HashMap<String, String>, name: &str) -> Result<u64, ApiError> {
    let value = query.get(name).ok_or_else(|| {
        ApiError::bad_request(
            format!("Missing required query parameter: {name}"),
            format!("{name} is required and must be an integer >= 1"),
        )
    })?;
    value
        .parse::<i32>()
        .ok()
        .filter(|number| *number >= 1)
        .map(|number| number as u64)
        .ok_or_else(|| {
            ApiError::bad_request(
                format!("Invalid query parameter: {name}"),
                format!(
                    "{name} must be an integer between 1 and {}, got `{value}`",
                    i32::MAX
                ),
            )
        })
}

/// The authority the client addressed, so page URLs lead back to the same server.
fn request_host(headers: &HeaderMap, uri: &Uri, shared: &Shared) -> String {
    headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|authority| authority.to_string()))
        .unwrap_or_else(|| shared.config.local_addr.to_string())
}

/// `POST /v1/clients`.
pub(crate) async fn create_client(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Rejection> {
    authorize(&shared, &headers)?;
    let new = parse_create_client(&body)?;
    let (client, client_secret) = shared.store().create(new);
    let body = json!({
        "message": "Client created successfully",
        "client_id": client.client_id,
        "client_secret": client_secret,
        "client_type": client.client_type,
        "account_id": client.account_id,
        "name": client.name,
        "date_created": client.date_created,
        "client_owner": client.client_owner,
        "locked": client.locked,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Validates a body against the spec's `CreateClient`, naming the offending field.
fn parse_create_client(body: &[u8]) -> Result<NewClient, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|err| ApiError::bad_request("Malformed JSON request body", err.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(ApiError::bad_request(
            "Invalid request body",
            "The request body must be a JSON object",
        ));
    };
    reject_unknown(&fields, &["account_id", "name", "locked", "scopes"])?;

    let name = match fields.get("name") {
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(ApiError::invalid_field("name", "name must be a string")),
        None => return Err(ApiError::missing_field("name")),
    };
    let locked = match fields.get("locked") {
        Some(Value::Bool(locked)) => *locked,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "locked",
                "locked must be a boolean",
            ));
        }
        None => return Err(ApiError::missing_field("locked")),
    };
    let account_id = match fields.get("account_id") {
        None => None,
        Some(Value::String(account_id)) => Some(account_id.clone()),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "account_id",
                "account_id must be a string",
            ));
        }
    };
    let scopes = match fields.get("scopes") {
        Some(Value::Object(scopes)) => scopes,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "scopes",
                "scopes must be an object",
            ));
        }
        None => return Err(ApiError::missing_field("scopes")),
    };
    // Unknown keys under `scopes` are accepted and ignored. KORE's schema closes the
    // top level (`additionalProperties: false`) but not `scopes`, and nothing KORE
    // publishes says the server rejects them; the mock accepts what the spec accepts.
    match scopes.get("products") {
        None => {}
        Some(Value::Array(products)) => {
            for (index, product) in products.iter().enumerate() {
                if !matches!(product.as_str(), Some("SuperSIM" | "ProgrammableWireless")) {
                    return Err(ApiError::invalid_field(
                        &format!("scopes.products[{index}]"),
                        format!(
                            "{product} is not a product; expected SuperSIM or ProgrammableWireless"
                        ),
                    ));
                }
            }
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "scopes.products",
                "scopes.products must be an array",
            ));
        }
    }
    Ok(NewClient {
        name,
        locked,
        account_id,
    })
}

/// The spec's `additionalProperties: false` (on `CreateClient` itself).
fn reject_unknown(fields: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
    match fields.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(unknown) => Err(ApiError::bad_request(
            format!("Unknown field '{unknown}'"),
            format!("Allowed fields: {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// `GET /v1/clients/{client_id}`.
pub(crate) async fn get_client(
    State(shared): State<Shared>,
    headers: HeaderMap,
    client_id: Result<Path<String>, PathRejection>,
) -> Result<Response, Rejection> {
    authorize(&shared, &headers)?;
    let Path(client_id) = client_id.map_err(|rejection| {
        ApiError::bad_request("Invalid path parameter: client_id", rejection.body_text())
    })?;
    match shared.store().client(&client_id) {
        Some(client) => Ok(Json(json!({"client": client})).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "Client not found",
            format!("No client with id '{client_id}'"),
        )
        .into()),
    }
}

/// Anything outside the documented routes.
pub(crate) async fn no_route(method: Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "Not Found",
        format!("No route for {method} {}", uri.path()),
    )
    .into_response()
}
