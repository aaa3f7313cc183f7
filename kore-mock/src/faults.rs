//! Fault injection: per-route latency and scripted faults, the token quirks
//! (string `expires_in`, early expiry) and the foreign `next_page_url`, plus the
//! realistic responses that injected faults produce.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Route;
use crate::answers::{ApiError, TokenError, unauthorized};

/// One scripted misbehaviour, consumed by exactly one request of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer normally; lets a script interleave good and bad responses.
    Pass,
    /// Answer with this status (400–599) and the body KORE sends for it on that route:
    /// the spec's `Error` for the API (but the gateway's `{"message": ...}` for 401 and
    /// 429); for the token endpoint the OAuth error for 400/401, else `{code, message}`.
    /// The request never reaches the handler, so nothing is created or issued.
    Status(u16),
    /// 429 with `Retry-After: <secs>` when `retry_after_secs` is set, and a gateway body.
    TooManyRequests {
        /// Value of the `Retry-After` header in seconds; `None` omits the header.
        retry_after_secs: Option<u64>,
    },
    /// 502 with an HTML body and `text/html`, as a load balancer in front of KORE sends.
    BadGatewayHtml,
    /// Let the handler run (so its effects happen), then cut its JSON body mid-object.
    TruncatedJson,
    /// Hold the request this long before handling it normally (on top of any latency).
    Delay(Duration),
    /// Let the handler run, then answer as a KORE newer than the spec would: every
    /// client's `client_type` becomes `"service"`, and fields the spec does not name
    /// appear at every level (the envelope, `meta`, each client with a `scopes` holding
    /// an unknown product, the created client, the error body's `trace_id`). Only
    /// *adds*: every documented field keeps its value and type (the secret included).
    Drift,
}

/// Serialized in the fault grammar (`503`, `delay:500`), as the journal shows it.
impl serde::Serialize for Fault {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Pass => f.write_str("pass"),
            Fault::Status(status) => write!(f, "{status}"),
            Fault::TooManyRequests {
                retry_after_secs: Some(secs),
            } => write!(f, "429:{secs}"),
            Fault::TooManyRequests {
                retry_after_secs: None,
            } => f.write_str("429"),
            Fault::BadGatewayHtml => f.write_str("html-502"),
            Fault::TruncatedJson => f.write_str("truncated-json"),
            Fault::Delay(delay) => write!(f, "delay:{}", delay.as_millis()),
            Fault::Drift => f.write_str("drift"),
        }
    }
}

/// Parses the forms [`Display`](fmt::Display) prints: `pass`, a status such as `503`,
/// `429` or `429:<retry-after secs>`, `html-502`, `truncated-json`, `delay:<ms>`, `drift`.
impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let number = |text: &str| {
            text.parse::<u64>()
                .map_err(|_| format!("`{text}` in fault `{s}` is not a whole number"))
        };
        match s {
            "pass" => Ok(Fault::Pass),
            "html-502" => Ok(Fault::BadGatewayHtml),
            "truncated-json" => Ok(Fault::TruncatedJson),
            "drift" => Ok(Fault::Drift),
            "429" => Ok(Fault::TooManyRequests {
                retry_after_secs: None,
            }),
            _ => {
                if let Some(secs) = s.strip_prefix("429:") {
                    Ok(Fault::TooManyRequests {
                        retry_after_secs: Some(number(secs)?),
                    })
                } else if let Some(millis) = s.strip_prefix("delay:") {
                    Ok(Fault::Delay(Duration::from_millis(number(millis)?)))
                } else {
                    let status = s.parse::<u16>().map_err(|_| {
                        format!("unknown fault `{s}` (expected pass, a status like 503, 429:<secs>, html-502, truncated-json, drift or delay:<ms>)")
                    })?;
                    check_status(status)?;
                    Ok(Fault::Status(status))
                }
            }
        }
    }
}

fn check_status(status: u16) -> Result<(), String> {
    if (400..=599).contains(&status) {
        Ok(())
    } else {
        Err(format!(
            "fault status {status} is not an error status (400-599)"
        ))
    }
}

/// Fault injection knobs shared with the running server; every change applies to the
/// next request. Cloning gives another handle to the same knobs.
#[derive(Debug, Clone)]
pub struct Faults {
    table: Arc<Mutex<FaultTable>>,
}

/// Every knob's value; [`Faults::snapshot`] and [`Faults::restore`] copy it whole.
#[derive(Debug, Default, Clone)]
pub(crate) struct FaultTable {
    scripts: [VecDeque<Fault>; Route::ALL.len()],
    latency: [Duration; Route::ALL.len()],
    expires_in_as_string: bool,
    tokens_expire_after: Option<Duration>,
    foreign_next_page_url: bool,
}

impl Faults {
    pub(crate) fn new() -> Self {
        Self {
            table: Arc::default(),
        }
    }

    fn table(&self) -> MutexGuard<'_, FaultTable> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one fault to `route`'s script.
    ///
    /// # Panics
    /// Panics on [`Fault::Status`] outside 400–599, a mistake in the test itself.
    pub fn push(&self, route: Route, fault: Fault) {
        self.script(route, [fault]);
    }

    /// Appends `faults` to `route`'s script: each of the next requests of the route takes
    /// one, in order, and once the script is used up the route behaves normally again.
    ///
    /// # Panics
    /// Panics on [`Fault::Status`] outside 400–599, a mistake in the test itself.
    pub fn script(&self, route: Route, faults: impl IntoIterator<Item = Fault>) {
        let faults: Vec<Fault> = faults.into_iter().collect();
        for fault in &faults {
            if let Fault::Status(status) = fault {
                check_status(*status).unwrap_or_else(|message| panic!("{message}"));
            }
        }
        self.table().scripts[route.index()].extend(faults);
    }

    /// Appends one [`Fault::Status`] per status, e.g. `push_statuses(Route::GetClient, [503, 503])`.
    ///
    /// # Panics
    /// Panics on a status outside 400–599.
    pub fn push_statuses(&self, route: Route, statuses: impl IntoIterator<Item = u16>) {
        self.script(route, statuses.into_iter().map(Fault::Status));
    }

    /// Faults still queued for `route`.
    pub fn pending(&self, route: Route) -> usize {
        self.table().scripts[route.index()].len()
    }

    /// The faults still queued for `route`, next first.
    pub fn queued(&self, route: Route) -> Vec<Fault> {
        self.table().scripts[route.index()]
            .iter()
            .cloned()
            .collect()
    }

    /// Delays every request of `route` by `latency`; `Duration::ZERO` turns it off.
    pub fn set_latency(&self, route: Route, latency: Duration) {
        self.table().latency[route.index()] = latency;
    }

    /// Sends `expires_in` as a numeric string (`"3600"`) instead of a number.
    pub fn set_expires_in_as_string(&self, enabled: bool) {
        self.table().expires_in_as_string = enabled;
    }

    /// Tokens issued from now on stop working `after` their issuance although `expires_in`
    /// advertises the full lifetime; `None` restores honest expiry.
    pub fn set_tokens_expire_after(&self, after: Option<Duration>) {
        self.table().tokens_expire_after = after;
    }

    /// Points `next_page_url` at `http://evil.example.invalid` (a reserved TLD that never resolves).
    pub fn set_foreign_next_page_url(&self, enabled: bool) {
        self.table().foreign_next_page_url = enabled;
    }

    /// Drops every script and latency and turns every quirk off.
    pub fn clear(&self) {
        *self.table() = FaultTable::default();
    }

    pub(crate) fn snapshot(&self) -> FaultTable {
        self.table().clone()
    }

    pub(crate) fn restore(&self, table: &FaultTable) {
        *self.table() = table.clone();
    }

    /// Latency of `route` and the next scripted fault, which is consumed.
    pub(crate) fn next_for(&self, route: Route) -> (Duration, Option<Fault>) {
        let mut table = self.table();
        let latency = table.latency[route.index()];
        (latency, table.scripts[route.index()].pop_front())
    }

    pub(crate) fn expires_in_as_string(&self) -> bool {
        self.table().expires_in_as_string
    }

    pub(crate) fn tokens_expire_after(&self) -> Option<Duration> {
        self.table().tokens_expire_after
    }

    pub(crate) fn foreign_next_page_url(&self) -> bool {
        self.table().foreign_next_page_url
    }
}

/// Host that `next_page_url` names when [`Faults::set_foreign_next_page_url`] is on.
pub(crate) const FOREIGN_ORIGIN: &str = "http://evil.example.invalid";

/// 429 as KORE's gateway throttles: `{"message": "Too Many Requests"}`, `Retry-After` if asked.
pub(crate) fn too_many_requests(retry_after_secs: Option<u64>) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({"message": "Too Many Requests"})),
    )
        .into_response();
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// 502 as a proxy in front of the API sends it: HTML, not JSON.
pub(crate) fn bad_gateway_html() -> Response {
    (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/html")],
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
    )
        .into_response()
}

/// An injected error status with the body KORE sends for it on `route`.
pub(crate) fn status_response(route: Route, status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or("Error");
    match (route, status) {
        (_, StatusCode::TOO_MANY_REQUESTS) => too_many_requests(None),
        (Route::Token, StatusCode::UNAUTHORIZED) => TokenError::invalid_client().into_response(),
        (Route::Token, StatusCode::BAD_REQUEST) => {
            TokenError::invalid_request("Injected fault: bad request").into_response()
        }
        (Route::Token, _) => (
            status,
            axum::Json(json!({"code": status.as_u16(), "message": reason})),
        )
            .into_response(),
        (_, StatusCode::UNAUTHORIZED) => unauthorized(),
        _ => ApiError::new(status, reason, format!("Injected fault on {route}")).into_response(),
    }
}

/// The `client_type` [`Fault::Drift`] answers with: one KORE's spec does not list.
pub const DRIFT_CLIENT_TYPE: &str = "service";
/// The product [`Fault::Drift`] puts in each client's (undocumented) `scopes`.
pub const DRIFT_PRODUCT: &str = "IoTConnect";

/// Rewrites a JSON answer as [`Fault::Drift`] describes; a body that is not JSON
/// is left as it is.
pub(crate) async fn drift_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    drift(&mut value, true);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(value.to_string()))
}

fn drift(value: &mut serde_json::Value, top: bool) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if top {
                map.insert("api_revision".into(), json!("2026-12-01"));
            }
            if map.contains_key("client_id") {
                map.insert("client_type".into(), json!(DRIFT_CLIENT_TYPE));
                map.insert(
                    "scopes".into(),
                    json!({"products": ["SuperSIM", DRIFT_PRODUCT]}),
                );
                map.insert("last_used".into(), json!("Tue, 01 Dec 2026 08:00:00 GMT"));
            }
            if map.contains_key("message") && (map.contains_key("code") || top) {
                map.insert("trace_id".into(), json!("mock-trace-0001"));
            }
            if let Some(Value::Object(meta)) = map.get_mut("meta") {
                meta.insert("total_pages".into(), json!(1));
            }
            for (name, child) in map.iter_mut() {
                if name != "meta" && name != "scopes" {
                    drift(child, false);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| drift(item, false)),
        _ => {}
    }
}

/// Cuts a response's body mid-object while keeping its status and `application/json`.
pub(crate) async fn truncate_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    // Cut inside the object (never at 0, never at the end) so no JSON parser can accept it.
    let cut = (bytes.len() / 2).max(1).min(bytes.len().saturating_sub(1));
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(bytes.slice(..cut)))
}
