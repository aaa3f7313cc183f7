//! The admin API under `/_mock/`: faults, the request journal, reset, fixture clients,
//! token expiry and health, as JSON, for tests written in any language. It never asks
//! for a KORE token, and answers loopback peers only unless `admin_anywhere` is set.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api;
use crate::state::{AddClientsError, ClientFixture, Shared};
use crate::{Fault, Route};

/// Prefix of every admin route; KORE's own paths start with `/v1/` or `/api-services/`.
pub const ADMIN_PREFIX: &str = "/_mock";

pub(crate) fn is_admin_path(path: &str) -> bool {
    path.strip_prefix(ADMIN_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

pub(crate) fn router() -> Router<Shared> {
    Router::new()
        .route("/_mock/health", get(health))
        .route("/_mock/faults", get(queued_faults).post(script_faults))
        .route("/_mock/requests", get(journal).delete(clear_journal))
        .route("/_mock/reset", post(reset))
        .route("/_mock/clients", post(add_clients))
        .route("/_mock/expire-tokens", post(expire_tokens))
        .method_not_allowed_fallback(method_not_allowed)
}

/// Outside loopback (unless `admin_anywhere`), `/_mock/...` answers exactly like a path
/// the mock does not serve, so nobody on the network can reset or script it by accident
/// or even learn that the admin API exists.
pub(crate) async fn gate(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    if is_admin_path(request.uri().path())
        && !shared.config.admin_anywhere
        && !peer_is_loopback(&request)
    {
        return api::no_route(request.method().clone(), request.uri().clone()).await;
    }
    next.run(request).await
}

/// A request without a known peer (a router driven without connection info) is not
/// trusted.
fn peer_is_loopback(request: &Request) -> bool {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| peer.ip().to_canonical().is_loopback())
}

/// `{"error": "..."}` with a 4xx status.
struct AdminError(StatusCode, String);

impl AdminError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, message.into())
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

async fn method_not_allowed() -> AdminError {
    AdminError(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this admin route".to_owned(),
    )
}

/// Parses a JSON body whatever its `Content-Type` (`curl -d` sends a form type).
fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8], shape: &str) -> Result<T, AdminError> {
    serde_json::from_slice(body)
        .map_err(|err| AdminError::bad_request(format!("expected {shape}: {err}")))
}

/// `GET /_mock/health`
async fn health(State(shared): State<Shared>) -> Json<Value> {
    let clients = shared.store().clients().len();
    Json(json!({"status": "ok", "clients": clients}))
}

/// `POST /_mock/faults` body: one route and the faults for its next requests.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    route: String,
    faults: Vec<String>,
}

/// `POST /_mock/faults`: `{"route": "list-clients", "faults": ["503", "429:2"]}`, the
/// grammar of the binary's `--fault list-clients=503,429:2`; appended to the route's queue.
async fn script_faults(
    State(shared): State<Shared>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let script: Script = parse_body(&body, r#"{"route": ROUTE, "faults": [FAULT, ...]}"#)?;
    let route: Route = script.route.parse().map_err(AdminError::bad_request)?;
    let faults = script
        .faults
        .iter()
        .map(|fault| fault.parse::<Fault>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(AdminError::bad_request)?;
    shared.faults.script(route, faults);
    Ok(Json(json!({
        "route": route.as_str(),
        "queued": queued(&shared, route),
    })))
}

/// `GET /_mock/faults`: every route's queued faults, next first.
async fn queued_faults(State(shared): State<Shared>) -> Json<Value> {
    let queued: Map<String, Value> = Route::ALL
        .into_iter()
        .map(|route| (route.as_str().to_owned(), queued(&shared, route)))
        .collect();
    Json(json!({"queued": queued}))
}

fn queued(shared: &Shared, route: Route) -> Value {
    shared
        .faults
        .queued(route)
        .iter()
        .map(|fault| Value::String(fault.to_string()))
        .collect()
}

/// `GET /_mock/requests`: the journal, oldest first.
async fn journal(State(shared): State<Shared>) -> Json<Value> {
    Json(json!({
        "requests": shared.journal.entries(),
        "dropped": shared.journal.dropped(),
    }))
}

/// `DELETE /_mock/requests`
async fn clear_journal(State(shared): State<Shared>) -> Json<Value> {
    Json(json!({"cleared": shared.journal.clear()}))
}

/// `POST /_mock/reset`: back to the state at start.
async fn reset(State(shared): State<Shared>) -> Json<Value> {
    shared.reset();
    let clients = shared.store().clients().len();
    Json(json!({"status": "reset", "clients": clients}))
}

/// `POST /_mock/clients`: a JSON array of clients in KORE's shape, added all or none.
async fn add_clients(State(shared): State<Shared>, body: Bytes) -> Result<Response, AdminError> {
    let fixtures: Vec<ClientFixture> = parse_body(
        &body,
        r#"an array of clients [{"name": ..., "client_id"?, "account_id"?, "client_owner"?, "client_type"?, "locked"?, "date_created"?, "client_secret"?}]"#,
    )?;
    let added = shared.store().add(fixtures).map_err(|error| match error {
        AddClientsError::DuplicateId(_) => AdminError(StatusCode::CONFLICT, error.to_string()),
        other => AdminError::bad_request(other.to_string()),
    })?;
    Ok((StatusCode::CREATED, Json(json!({"clients": added}))).into_response())
}

/// `POST /_mock/expire-tokens`: every token issued so far stops working.
async fn expire_tokens(State(shared): State<Shared>) -> Json<Value> {
    let expired = shared.store().expire_tokens();
    Json(json!({"expired": expired}))
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use axum::body::{Body, to_bytes};
    use axum::http::{Method, Request};
    use tower::ServiceExt as _;

    use super::*;
    use crate::{ClientFixture, MockKore};

    /// Sends `method path` through the mock's router as if from `peer`. Nothing goes
    /// over the network: the router is called in-process, the peer only labels it.
    async fn from_peer(
        mock: &MockKore,
        peer: Option<SocketAddr>,
        method: Method,
        path: &str,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        if let Some(peer) = peer {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        let response = crate::server::router(mock.shared.clone())
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    fn peer(ip: impl Into<std::net::IpAddr>) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.into(), 50_000))
    }

    #[tokio::test]
    async fn other_peers_get_the_404_of_an_unknown_path() {
        let mock = MockKore::builder().clients(2).start().await;
        mock.add_clients([ClientFixture::named("kept")]).unwrap();
        let outsider = peer(Ipv4Addr::new(203, 0, 113, 7));
        let (_, unknown) = from_peer(&mock, outsider, Method::GET, "/no/such/path").await;
        for (method, path) in [
            (Method::GET, "/_mock/health"),
            (Method::POST, "/_mock/reset"),
            (Method::PUT, "/_mock/reset"),
            (Method::GET, "/_mock/requests"),
            (Method::GET, "/_mock"),
            (Method::GET, "/_mock/nothing"),
        ] {
            let (status, body) = from_peer(&mock, outsider, method.clone(), path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(
                body["message"], unknown["message"],
                "{method} {path}: {body}"
            );
            assert_eq!(body["info"], format!("No route for {method} {path}"));
        }
        assert_eq!(
            mock.shared.store().clients().len(),
            3,
            "the reset was refused"
        );
        // Without a known peer, nobody is trusted.
        let (status, _) = from_peer(&mock, None, Method::GET, "/_mock/health").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // KORE's routes serve everybody.
        let (status, body) = from_peer(&mock, outsider, Method::GET, "/v1/ping").await;
        assert_eq!(
            (status, body),
            (
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"message": "Unauthorized"})
            )
        );
    }

    #[tokio::test]
    async fn loopback_peers_of_either_family_are_served() {
        let mock = MockKore::start().await;
        for loopback in [
            peer(Ipv4Addr::LOCALHOST),
            peer(Ipv4Addr::new(127, 0, 0, 2)),
            peer(Ipv6Addr::LOCALHOST),
            peer(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
        ] {
            let (status, body) = from_peer(&mock, loopback, Method::GET, "/_mock/health").await;
            assert_eq!(status, StatusCode::OK, "{loopback:?}");
            assert_eq!(body["status"], "ok");
        }
    }

    #[tokio::test]
    async fn admin_anywhere_serves_every_peer() {
        let mock = MockKore::builder().admin_anywhere(true).start().await;
        let outsider = peer(Ipv4Addr::new(198, 51, 100, 20));
        let (status, _) = from_peer(&mock, outsider, Method::GET, "/_mock/health").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = from_peer(&mock, outsider, Method::POST, "/_mock/reset").await;
        assert_eq!(status, StatusCode::OK);
    }

    #[test]
    fn only_the_reserved_prefix_is_admin() {
        for path in ["/_mock", "/_mock/", "/_mock/requests", "/_mock/x/y"] {
            assert!(is_admin_path(path), "{path}");
        }
        for path in ["/_mocker", "/v1/_mock/requests", "/", "/v1/clients"] {
            assert!(!is_admin_path(path), "{path}");
        }
    }
}
