//! Raw answers of a live KORE API judged against the spec: the [`Report`]
//! that `kore doctor` prints and a user's own CI can act on.
//!
//! Three parts, each derived from the [`Call`]s and the spec alone:
//! - **deviations**: every place a body breaks its schema, or holds what the
//!   generated types keep only untyped (unknown fields, out-of-enum values,
//!   `null`s the spec does not allow, dates kore-clients cannot read), by
//!   operation and JSON pointer; an undocumented status; a body that is not JSON;
//! - **observations**: facts the spec leaves open — the form of each date
//!   (RFC 1123 or RFC 3339) and of `next_page_url` / `previous_page_url`;
//! - **corrections**: for every correction recorded in the spec, whether these
//!   answers still need it ([`assess`]).
//!
//! The report holds no body: it quotes a value only where
//! [`check`](crate::check) allows it, so no token or secret ever reaches it.
//! A [`Call`] holds its raw body until it is judged; its `Debug` does not
//! show it.
//!
//! ```
//! use kore_conformance::live::{Body, Call, Outcome, Report};
//! use serde_json::json;
//!
//! let answer = json!({"client": {"client_id": "apiclient_1", "nickname": "x"}});
//! let calls = [Call {
//!     operation: "getClient".to_owned(),
//!     method: "GET".to_owned(),
//!     path: "/v1/clients/apiclient_1".to_owned(),
//!     parameters: vec![("client_id".to_owned(), "apiclient_1".to_owned())],
//!     outcome: Outcome::Answered { status: 200, body: Body::Json(answer) },
//! }];
//! let report = Report::judge("https://api.korewireless.com", &calls);
//! let found: Vec<(&str, &str)> =
//!     report.deviations.iter().map(|d| (d.pointer.as_str(), d.kind.as_str())).collect();
//! assert_eq!(found, [("/client/nickname", "unknown-field")]);
//! assert!(report.incomplete().is_empty());
//! let json = serde_json::to_value(&report).unwrap();
//! assert_eq!(json["deviations"][0]["operation"], "getClient");
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::DateTime;
use serde::Serialize;
use serde_json::Value;

use crate::check::{check_body, escape, is_quotable_name, json_type};
use crate::corrections::{Assessment, Exchange, assess};
use crate::spec::{Response, Spec};

/// A body as it arrived. It may hold a secret (a create answer carries the
/// new client's), so its `Debug` shows only the body's shape and size.
#[derive(Clone)]
pub enum Body {
    /// It parsed as JSON.
    Json(Value),
    /// Anything else (HTML, text, nothing, cut off).
    Other {
        /// The bytes (the report keeps only their count).
        raw: Vec<u8>,
        /// Its `Content-Type`, if any.
        content_type: Option<String>,
    },
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Json(value) => write!(f, "Json({} [redacted])", json_type(value)),
            Body::Other { raw, content_type } => f
                .debug_struct("Other")
                .field("bytes", &raw.len())
                .field("content_type", content_type)
                .finish(),
        }
    }
}

/// How one call ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The server answered.
    Answered {
        /// HTTP status.
        status: u16,
        /// The body.
        body: Body,
    },
    /// No answer arrived.
    Failed {
        /// What happened, in words.
        error: String,
        /// Whether the request may have reached the server.
        sent: bool,
    },
    /// The call was not made.
    Skipped {
        /// Why not.
        why: String,
    },
    /// Made through the SDK, which judges the answer itself (the token grant).
    ThroughSdk {
        /// What came of it.
        note: String,
    },
}

/// One call made to the live API, as it was sent and as it ended.
#[derive(Debug, Clone)]
pub struct Call {
    /// The spec's `operationId`.
    pub operation: String,
    /// `GET`, `POST`.
    pub method: String,
    /// The path and query as sent (no host).
    pub path: String,
    /// The query and path parameters sent.
    pub parameters: Vec<(String, String)>,
    /// How it ended.
    pub outcome: Outcome,
}

impl Call {
    /// A call that was not made.
    pub fn skipped(operation: &str, method: &str, path: &str, why: &str) -> Self {
        Self::ended(
            operation,
            method,
            path.to_owned(),
            Outcome::Skipped {
                why: why.to_owned(),
            },
        )
    }

    /// A call that got no answer.
    pub fn failed(operation: &str, method: &str, path: String, error: String, sent: bool) -> Self {
        Self::ended(operation, method, path, Outcome::Failed { error, sent })
    }

    fn ended(operation: &str, method: &str, path: String, outcome: Outcome) -> Self {
        Call {
            operation: operation.to_owned(),
            method: method.to_owned(),
            path,
            parameters: Vec::new(),
            outcome,
        }
    }

    /// The JSON body of a successful answer.
    pub fn json(&self) -> Option<&Value> {
        match &self.outcome {
            Outcome::Answered {
                status,
                body: Body::Json(value),
            } if (200..300).contains(status) => Some(value),
            _ => None,
        }
    }
}

/// One call in the report: what was sent and how it ended, without its body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallSummary {
    /// The spec's `operationId`.
    pub operation: String,
    /// `GET`, `POST`.
    pub method: String,
    /// The path and query as sent.
    pub path: String,
    /// The HTTP status, when the server answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why no answer arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why the call was not made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// What the SDK made of a call it judged itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Something the live API sent that the spec (or the SDK) does not expect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deviation {
    /// The operation.
    pub operation: String,
    /// The HTTP status of the answer.
    pub status: u16,
    /// JSON pointer into the body (`""`: the body as a whole).
    pub pointer: String,
    /// `unknown-field`, `enum`, `null`, `type`, `format`, `missing`, `rule`,
    /// `date`, `date-form`, `undocumented-status` or `not-json`.
    pub kind: String,
    /// What is wrong, in words.
    pub message: String,
    /// The value, only where it is safe to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// A fact the spec leaves open, counted over every answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    /// The operation.
    pub operation: String,
    /// The HTTP status of the answer.
    pub status: u16,
    /// Where, with `*` for any array index: `/clients/*/date_created`.
    pub at: String,
    /// `date` or `page-url`.
    pub what: &'static str,
    /// Each form seen, with how often.
    pub seen: BTreeMap<String, usize>,
}

/// The calls judged against the spec; serializes as the report's JSON form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The spec's `info.version`.
    pub api_version: String,
    /// Where the calls went.
    pub base_url: String,
    /// Every call, in order.
    pub calls: Vec<CallSummary>,
    /// Every deviation, by call and then by pointer.
    pub deviations: Vec<Deviation>,
    /// The forms seen where the spec leaves them open.
    pub observations: Vec<Observation>,
    /// Every correction recorded in the spec, assessed.
    pub corrections: Vec<Assessment>,
}

impl Report {
    /// Judges `calls` to `base_url` against the merged spec embedded in
    /// `kore-clients-gen`.
    pub fn judge(base_url: &str, calls: &[Call]) -> Self {
        Self::judge_with(&Spec::merged(), base_url, calls)
    }

    /// Judges `calls` to `base_url` against `spec`.
    pub fn judge_with(spec: &Spec, base_url: &str, calls: &[Call]) -> Self {
        let mut deviations = Vec::new();
        let mut observations = Vec::new();
        let mut exchanges = Vec::new();
        let mut summaries = Vec::new();
        let date_time_fields = date_time_fields(spec);
        for call in calls {
            let mut summary = CallSummary {
                operation: call.operation.clone(),
                method: call.method.clone(),
                path: call.path.clone(),
                status: None,
                error: None,
                skipped: None,
                note: None,
            };
            match &call.outcome {
                Outcome::Skipped { why } => summary.skipped = Some(why.clone()),
                Outcome::ThroughSdk { note } => summary.note = Some(note.clone()),
                Outcome::Failed { error, .. } => summary.error = Some(error.clone()),
                Outcome::Answered { status, body } => {
                    summary.status = Some(*status);
                    let mut found = Vec::new();
                    judge(spec, &call.operation, *status, body, &mut found);
                    if let Body::Json(value) = body {
                        let dates = Dates {
                            operation: &call.operation,
                            status: *status,
                            date_time_fields: &date_time_fields,
                        };
                        dates.observe(value, "", &mut observations, &mut found);
                        if call.operation == "listClient" && (200..300).contains(status) {
                            observe_page_urls(base_url, *status, value, &mut observations);
                        }
                    }
                    found.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.kind.cmp(&b.kind)));
                    deviations.extend(found);
                    exchanges.push(Exchange {
                        operation: call.operation.clone(),
                        parameters: call.parameters.clone(),
                        status: *status,
                        body: match body {
                            Body::Json(value) => Some(value.clone()),
                            Body::Other { .. } => None,
                        },
                    });
                }
            }
            summaries.push(summary);
        }
        Report {
            api_version: spec.version().unwrap_or_default().to_owned(),
            base_url: base_url.to_owned(),
            calls: summaries,
            deviations,
            observations,
            corrections: assess(spec, &exchanges),
        }
    }

    /// The calls that were made but did not succeed, e.g. `listClient (HTTP 503)`.
    pub fn incomplete(&self) -> Vec<String> {
        self.calls
            .iter()
            .filter_map(|call| match (call.status, &call.error) {
                (Some(status), _) if !(200..300).contains(&status) => {
                    Some(format!("{} (HTTP {status})", call.operation))
                }
                (None, Some(error)) => Some(format!("{} ({error})", call.operation)),
                _ => None,
            })
            .collect()
    }

    /// Whether a call got no answer at all.
    pub fn network_failed(&self) -> bool {
        self.calls.iter().any(|call| call.error.is_some())
    }
}

/// Validates one answer against what the spec documents for its status.
fn judge(spec: &Spec, operation: &str, status: u16, body: &Body, out: &mut Vec<Deviation>) {
    let deviation = |kind: &str, message: String| Deviation {
        operation: operation.to_owned(),
        status,
        pointer: String::new(),
        kind: kind.to_owned(),
        message,
        value: None,
    };
    let Some(op) = spec.operation(operation) else {
        return;
    };
    let schema = match op.response(status) {
        Ok(Response::Json(schema)) => schema,
        Ok(Response::NoJsonBody) => return,
        Ok(Response::Undocumented) => {
            out.push(deviation(
                "undocumented-status",
                format!(
                    "HTTP {status} is not a documented answer of {operation} (documented: {})",
                    op.documented_statuses().join(", ")
                ),
            ));
            return;
        }
        Err(e) => {
            out.push(deviation(
                "rule",
                format!("the spec cannot be read here: {e}"),
            ));
            return;
        }
    };
    let value = match body {
        Body::Json(value) => value,
        Body::Other { raw, content_type } => {
            out.push(deviation(
                "not-json",
                format!(
                    "the body is not JSON ({} bytes{}), where the spec documents a JSON body",
                    raw.len(),
                    content_type
                        .as_deref()
                        .map(|c| format!(", {c}"))
                        .unwrap_or_default()
                ),
            ));
            return;
        }
    };
    match check_body(spec, schema, value) {
        Ok(findings) => out.extend(findings.into_iter().map(|f| Deviation {
            operation: operation.to_owned(),
            status,
            pointer: f.pointer.clone(),
            kind: f.kind().to_owned(),
            message: f.describe(),
            value: f.value.clone(),
        })),
        Err(e) => out.push(deviation(
            "rule",
            format!("the spec cannot be read here: {e}"),
        )),
    }
}

/// The form KORE documents for its dates: RFC 1123, as in
/// `Fri, 05 Apr 2024 11:08:14 GMT` — the examples of its published spec
/// (`openapi/reference/`) and the premise of the `created-date-not-date-time`
/// correction. Where the spec declares no `format: date-time`, a date
/// in another form is drift, even when kore-clients can read it.
const KORE_DATE_FORM: &str = "RFC 1123";

/// Names of the properties the spec declares with `format: date-time`
/// (where RFC 3339 is right and the validator checks it).
fn date_time_fields(spec: &Spec) -> BTreeSet<String> {
    fn walk(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    for (name, schema) in properties {
                        if schema.get("format").and_then(Value::as_str) == Some("date-time") {
                            out.insert(name.clone());
                        }
                    }
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(spec.document(), &mut out);
    out
}

/// Counts the form of every date (`date*` and `*_at` string fields) of one
/// answer; a date kore-clients cannot read, or one not in KORE's documented
/// form, is a deviation.
struct Dates<'a> {
    operation: &'a str,
    status: u16,
    date_time_fields: &'a BTreeSet<String>,
}

impl Dates<'_> {
    fn observe(
        &self,
        value: &Value,
        pointer: &str,
        observations: &mut Vec<Observation>,
        deviations: &mut Vec<Deviation>,
    ) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let at = format!("{pointer}/{}", escape(key));
                    let is_date = key.starts_with("date") || key.ends_with("_at");
                    match child {
                        Value::String(text) if is_date => {
                            let form = date_form(text);
                            let problem = if form == UNREADABLE {
                                Some(("date", "is neither RFC 1123 nor RFC 3339: kore-clients cannot read it (the date reads as absent)".to_owned()))
                            } else if form != KORE_DATE_FORM && !self.date_time_fields.contains(key)
                            {
                                Some((
                                    "date-form",
                                    format!(
                                        "is {form}, where KORE documents {KORE_DATE_FORM} dates (`Fri, 05 Apr 2024 11:08:14 GMT`); kore-clients reads both, but the corrections about dates may be out of date"
                                    ),
                                ))
                            } else {
                                None
                            };
                            if let Some((kind, message)) = problem {
                                deviations.push(Deviation {
                                    operation: self.operation.to_owned(),
                                    status: self.status,
                                    pointer: at.clone(),
                                    kind: kind.to_owned(),
                                    message,
                                    value: is_quotable_name(key).then(|| child.clone()),
                                });
                            }
                            count(
                                observations,
                                self.operation,
                                self.status,
                                &any_index(&at),
                                "date",
                                form,
                            );
                        }
                        _ => self.observe(child, &at, observations, deviations),
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.observe(item, &format!("{pointer}/{i}"), observations, deviations);
                }
            }
            _ => {}
        }
    }
}

const UNREADABLE: &str = "unreadable";

/// The two forms `kore_clients::parse_kore_date` reads, tried in the same
/// way (this crate does not depend on kore-clients, which tests with it).
fn date_form(text: &str) -> &'static str {
    let text = text.trim();
    if DateTime::parse_from_rfc3339(text).is_ok() {
        "RFC 3339"
    } else if DateTime::parse_from_rfc2822(text).is_ok() {
        "RFC 1123"
    } else {
        UNREADABLE
    }
}

/// The form of `meta.next_page_url` and `meta.previous_page_url`.
fn observe_page_urls(
    base_url: &str,
    status: u16,
    body: &Value,
    observations: &mut Vec<Observation>,
) {
    let base_host = url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    for field in ["previous_page_url", "next_page_url"] {
        let form = match body.pointer(&format!("/meta/{field}")) {
            None => "absent".to_owned(),
            Some(Value::Null) => "null".to_owned(),
            Some(Value::String(text)) if text.is_empty() => "empty string".to_owned(),
            Some(Value::String(text)) => match url::Url::parse(text) {
                Ok(url) if url.host_str().map(str::to_owned) == base_host => {
                    "URL on the API's host".to_owned()
                }
                Ok(url) => format!("URL on another host ({})", url.host_str().unwrap_or("none")),
                Err(_) if text.starts_with('/') => "path without a host".to_owned(),
                Err(_) => "text that is not a URL".to_owned(),
            },
            Some(other) => format!("a JSON {}", json_type(other)),
        };
        count(
            observations,
            "listClient",
            status,
            &format!("/meta/{field}"),
            "page-url",
            &form,
        );
    }
}

fn count(
    observations: &mut Vec<Observation>,
    operation: &str,
    status: u16,
    at: &str,
    what: &'static str,
    form: &str,
) {
    let index = match observations
        .iter()
        .position(|o| o.operation == operation && o.status == status && o.at == at)
    {
        Some(index) => index,
        None => {
            observations.push(Observation {
                operation: operation.to_owned(),
                status,
                at: at.to_owned(),
                what,
                seen: BTreeMap::new(),
            });
            observations.len() - 1
        }
    };
    *observations[index].seen.entry(form.to_owned()).or_default() += 1;
}

/// `/clients/3/date_created` → `/clients/*/date_created`.
fn any_index(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()) {
                "*"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
