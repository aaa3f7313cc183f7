//! Router assembly, the per-route interception that records requests and applies
//! faults, the journal and request log, and the serve loop (clear text or TLS, every
//! accepted connection counted) with its bounded graceful shutdown.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::serve::{Listener, ListenerExt as _};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::answers::ApiError;
use crate::api;
use crate::faults::{self, Fault};
use crate::journal::{redact_path, redact_query};
use crate::state::Shared;
use crate::tls::Conn;
use crate::{Route, TOKEN_PATH, admin, token};

/// Largest request body the mock buffers; KORE's bodies are tiny.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long in-flight requests may take to finish once shutdown starts: short, so a
/// signal stops the binary within a second even with a client stuck mid-request.
/// Injected delays end at once on shutdown, so they never need it.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

pub(crate) fn router(shared: Shared) -> Router {
    Router::new()
        .route(TOKEN_PATH, post(token::issue))
        .route("/v1/ping", get(api::ping))
        .route(
            "/v1/clients",
            get(api::list_clients).post(api::create_client),
        )
        .route("/v1/clients/{client_id}", get(api::get_client))
        .route_layer(middleware::from_fn_with_state(shared.clone(), intercept))
        .merge(admin::router())
        .fallback(api::no_route)
        .layer(middleware::from_fn_with_state(shared.clone(), admin::gate))
        .layer(middleware::from_fn_with_state(shared.clone(), observe))
        .with_state(shared)
}

/// The mock's listener: counts every accepted connection and, serving HTTPS, hands
/// each one to TLS.
pub(crate) struct Accepting {
    pub(crate) tcp: TcpListener,
    pub(crate) tls: Option<TlsAcceptor>,
    pub(crate) accepted: Arc<AtomicU64>,
}

impl Listener for Accepting {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        loop {
            match self.tcp.accept().await {
                Ok((stream, peer)) => {
                    self.accepted.fetch_add(1, Ordering::Relaxed);
                    let conn = match &self.tls {
                        Some(tls) => Conn::Handshaking(Box::new(tls.accept(stream))),
                        None => Conn::Plain(stream),
                    };
                    return (conn, peer);
                }
                // Out of file descriptors and the like: wait instead of spinning,
                // as axum does for its own listener.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

pub(crate) async fn serve(
    listener: Accepting,
    shared: Shared,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let app = router(shared).into_make_service_with_connect_info::<SocketAddr>();
    // `tap_io` is what gives a listener of our own the peer address as ConnectInfo.
    let graceful = axum::serve(listener.tap_io(|_| {}), app)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .into_future();
    // Graceful shutdown waits for every open connection; a client that never finishes
    // its request must not keep the task (and a test) alive.
    tokio::select! {
        result = graceful => result,
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    }
}

fn route_of(method: &Method, matched_path: &str) -> Option<Route> {
    match (method, matched_path) {
        (&Method::POST, TOKEN_PATH) => Some(Route::Token),
        (&Method::GET, "/v1/ping") => Some(Route::Ping),
        (&Method::GET, "/v1/clients") => Some(Route::ListClients),
        (&Method::POST, "/v1/clients") => Some(Route::CreateClient),
        (&Method::GET, "/v1/clients/{client_id}") => Some(Route::GetClient),
        _ => None,
    }
}

/// What [`intercept`] tells [`observe`] about a request, through the response's extensions.
#[derive(Clone)]
struct Served {
    route: Route,
    fault: Option<Fault>,
}

/// Counts and records the request, then applies the route's latency and next fault.
async fn intercept(
    State(shared): State<Shared>,
    matched: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let Some(route) = route_of(request.method(), matched.as_str()) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            shared.recorder.record(route, &parts, &[]);
            let mut response = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large",
                format!("Request bodies are limited to {MAX_BODY_BYTES} bytes"),
            )
            .into_response();
            response
                .extensions_mut()
                .insert(Served { route, fault: None });
            return response;
        }
    };
    shared.recorder.record(route, &parts, &body);

    let (latency, fault) = shared.faults.next_for(route);
    pause(latency, &shared.shutdown).await;
    let request = Request::from_parts(parts, Body::from(body));
    let mut response = match &fault {
        None | Some(Fault::Pass) => next.run(request).await,
        Some(Fault::Delay(delay)) => {
            pause(*delay, &shared.shutdown).await;
            next.run(request).await
        }
        Some(Fault::TruncatedJson) => faults::truncate_body(next.run(request).await).await,
        Some(Fault::Drift) => faults::drift_body(next.run(request).await).await,
        Some(Fault::Status(status)) => faults::status_response(route, *status),
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            faults::too_many_requests(*retry_after_secs)
        }
        Some(Fault::BadGatewayHtml) => faults::bad_gateway_html(),
    };
    response.extensions_mut().insert(Served { route, fault });
    response
}

/// Sleeps, but wakes early on shutdown so injected delays never hold the server open.
async fn pause(duration: Duration, shutdown: &CancellationToken) {
    if !duration.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(duration) => {}
            () = shutdown.cancelled() => {}
        }
    }
}

/// Runs every request to its end in a task of its own, then journals it (admin
/// requests excepted) and logs one line: method, path, status, latency — never
/// headers, query or body, which carry secrets and tokens.
///
/// The task is what makes the mock behave like a real server when a caller gives up:
/// hyper drops the handler future of a connection that closed, which would abandon a
/// create in the middle of an injected delay. Owned by a task, the work (and its
/// journal entry, with the status the server would have sent) completes regardless.
async fn observe(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let arrival = (!admin::is_admin_path(&path)).then(|| {
        let store = shared.store();
        let is_secret =
            |value: &str| value == shared.config.client_secret || store.is_secret(value);
        let journaled_path = redact_path(&path, is_secret);
        let query = request
            .uri()
            .query()
            .map(|query| redact_query(query, is_secret));
        drop(store);
        let authorization = request.headers().contains_key(header::AUTHORIZATION);
        shared
            .journal
            .arrive(method.as_str(), &journaled_path, query, authorization)
    });
    let started = Instant::now();
    let work = tokio::spawn(async move {
        let response = next.run(request).await;
        let status = response.status().as_u16();
        if let Some(arrival) = arrival {
            let served = response.extensions().get::<Served>().cloned();
            let (route, fault) =
                served.map_or((None, None), |served| (Some(served.route), served.fault));
            shared.journal.record(arrival, status, route, fault);
        }
        tracing::info!(
            %method,
            path,
            status,
            latency_ms = started.elapsed().as_millis() as u64,
            "request"
        );
        response
    });
    match work.await {
        Ok(response) => response,
        // The handler panicked; the task's panic was already reported.
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
