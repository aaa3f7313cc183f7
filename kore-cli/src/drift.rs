//! What `kore doctor` saw, judged against the merged spec: the report.
//!
//! Three parts, each derived from the raw answers and the spec embedded in
//! `kore-clients-gen` (no file is read at run time):
//! - **deviations**: every place a body breaks its schema, or holds what the
//!   generated types keep only untyped (unknown fields, out-of-enum values,
//!   `null`s the spec does not allow, dates kore-clients cannot read), by
//!   operation and JSON pointer; an undocumented status; a body that is not JSON;
//! - **observations**: facts the spec leaves open — the form of each date
//!   (RFC 1123 or RFC 3339) and of `next_page_url` / `previous_page_url`;
//! - **corrections**: for every correction recorded in the merged spec
//!   (from `openapi/corrections.json`), whether these answers still need it
//!   ([`kore_conformance::assess`]).
//!
//! Answers are dropped once judged: the report holds no body, and quotes a
//! value only where [`kore_conformance::check`] allows it, so no token or
//! secret ever reaches it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use kore_conformance::check::is_quotable_name;
use kore_conformance::{Assessment, Exchange, Response, Spec, check_body};
use serde::Serialize;
use serde_json::Value;

/// A body as it arrived.
pub enum Body {
    /// It parsed as JSON.
    Json(Value),
    /// Anything else (HTML, text, nothing, cut off).
    Other {
        /// The bytes (kept only to deliver a created client's secret).
        raw: Vec<u8>,
        /// Its `Content-Type`, if any.
        content_type: Option<String>,
    },
}

/// How one call ended.
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

/// One call of the doctor.
pub struct Call {
    /// The spec's `operationId`.
    pub operation: &'static str,
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
    pub fn skipped(operation: &'static str, method: &str, path: &str, why: &str) -> Self {
        Call {
            operation,
            method: method.to_owned(),
            path: path.to_owned(),
            parameters: Vec::new(),
            outcome: Outcome::Skipped {
                why: why.to_owned(),
            },
        }
    }

    /// A call that got no answer.
    pub fn failed(
        operation: &'static str,
        method: &str,
        path: String,
        error: String,
        sent: bool,
    ) -> Self {
        Call {
            operation,
            method: method.to_owned(),
            path,
            parameters: Vec::new(),
            outcome: Outcome::Failed { error, sent },
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

/// The client `--include-create` created, without its secret.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// Its id, if KORE sent one.
    pub client_id: Option<String>,
    /// Where its one-time secret (or KORE's raw answer) was written.
    pub secret_file: String,
    /// Whether the file holds KORE's raw answer because no secret could be read.
    pub raw_answer_saved: bool,
}

/// One call in the report.
#[derive(Debug, Clone, Serialize)]
pub struct CallSummary {
    operation: &'static str,
    method: String,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// Something the live API sent that the merged spec (or the SDK) does not expect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deviation {
    /// The operation.
    pub operation: String,
    /// The HTTP status of the answer.
    pub status: u16,
    /// JSON pointer into the body (`""`: the body as a whole).
    pub pointer: String,
    /// `unknown-field`, `enum`, `null`, `type`, `format`, `missing`, `rule`,
    /// `date`, `undocumented-status` or `not-json`.
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

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    api_version: &'static str,
    base_url: String,
    calls: Vec<CallSummary>,
    deviations: Vec<Deviation>,
    observations: Vec<Observation>,
    corrections: Vec<Assessment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<Created>,
    #[serde(skip)]
    network_failed: bool,
}

impl Report {
    /// Judges `calls` against the merged spec. The bodies are dropped here.
    pub fn build(base_url: &str, calls: Vec<Call>, created: Option<Created>) -> Self {
        Self::build_with(&Spec::merged(), base_url, calls, created)
    }

    fn build_with(spec: &Spec, base_url: &str, calls: Vec<Call>, created: Option<Created>) -> Self {
        let mut deviations = Vec::new();
        let mut observations: Vec<Observation> = Vec::new();
        let mut exchanges = Vec::new();
        let mut summaries = Vec::new();
        let mut network_failed = false;
        let date_time_fields = date_time_fields(spec);
        for call in &calls {
            let mut summary = CallSummary {
                operation: call.operation,
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
                Outcome::Failed { error, .. } => {
                    network_failed = true;
                    summary.error = Some(error.clone());
                }
                Outcome::Answered { status, body } => {
                    summary.status = Some(*status);
                    let mut found = Vec::new();
                    judge(spec, call.operation, *status, body, &mut found);
                    if let Body::Json(value) = body {
                        let dates = Dates {
                            operation: call.operation,
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
                        operation: call.operation.to_owned(),
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
        let corrections = kore_conformance::assess(spec, &exchanges);
        Report {
            api_version: kore_clients::API_VERSION,
            base_url: base_url.to_owned(),
            calls: summaries,
            deviations,
            observations,
            corrections,
            created,
            network_failed,
        }
    }

    /// Every deviation found.
    pub fn deviations(&self) -> &[Deviation] {
        &self.deviations
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
        self.network_failed
    }

    /// The report as one pretty-printed JSON object.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }

    /// The report for humans.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "kore doctor: {} against the merged spec (KORE Client API {})",
            self.base_url, self.api_version
        )?;

        writeln!(out, "\nCalls")?;
        let rows: Vec<Vec<String>> = self
            .calls
            .iter()
            .map(|call| {
                let outcome = match (&call.status, &call.error, &call.skipped, &call.note) {
                    (Some(status), ..) => format!("HTTP {status}"),
                    (_, Some(error), ..) => format!("failed: {error}"),
                    (_, _, Some(why), _) => format!("not run: {why}"),
                    (.., Some(note)) => note.clone(),
                    _ => String::new(),
                };
                vec![
                    call.operation.to_owned(),
                    call.method.clone(),
                    call.path.clone(),
                    outcome,
                ]
            })
            .collect();
        columns(out, &rows)?;

        if self.deviations.is_empty() {
            writeln!(
                out,
                "\nDeviations: none. Every answer matches the merged spec."
            )?;
        } else {
            writeln!(
                out,
                "\nDeviations ({}): what the live API sends that the merged spec and the generated types do not expect",
                self.deviations.len()
            )?;
            let rows: Vec<Vec<String>> = self
                .deviations
                .iter()
                .map(|d| {
                    vec![
                        format!("{} {}", d.operation, d.status),
                        if d.pointer.is_empty() {
                            "(body)".to_owned()
                        } else {
                            d.pointer.clone()
                        },
                        d.kind.clone(),
                        d.message.clone(),
                    ]
                })
                .collect();
            columns(out, &rows)?;
        }

        if !self.observations.is_empty() {
            writeln!(out, "\nObservations (what the spec leaves open)")?;
            let rows: Vec<Vec<String>> = self
                .observations
                .iter()
                .map(|o| {
                    let seen: Vec<String> = o
                        .seen
                        .iter()
                        .map(|(form, n)| format!("{form} ×{n}"))
                        .collect();
                    vec![
                        format!("{} {}", o.operation, o.status),
                        o.at.clone(),
                        seen.join(", "),
                    ]
                })
                .collect();
            columns(out, &rows)?;
        }

        writeln!(
            out,
            "\nCorrections (openapi/corrections.json, as recorded in the merged spec)"
        )?;
        let rows: Vec<Vec<String>> = self
            .corrections
            .iter()
            .map(|c| {
                vec![
                    c.id.clone(),
                    c.status.as_str().to_owned(),
                    if c.affects.is_empty() {
                        "-".to_owned()
                    } else {
                        c.affects.join(", ")
                    },
                ]
            })
            .collect();
        let widths = widths(&rows);
        for (row, correction) in rows.iter().zip(&self.corrections) {
            write_row(out, row, &widths)?;
            const SHOWN: usize = 3;
            for evidence in correction.evidence.iter().take(SHOWN) {
                let place = if evidence.operation.is_empty() {
                    String::new()
                } else {
                    format!(
                        "{} {} {}: ",
                        evidence.operation, evidence.status, evidence.at
                    )
                };
                writeln!(out, "      {place}{}", evidence.message)?;
            }
            if correction.evidence.len() > SHOWN {
                writeln!(
                    out,
                    "      … and {} more (--output json lists all)",
                    correction.evidence.len() - SHOWN
                )?;
            }
        }
        writeln!(out)?;
        for line in LEGEND {
            writeln!(out, "{line}")?;
        }

        if let Some(created) = &self.created {
            writeln!(
                out,
                "\nCreated {} (locked). {} written to {} (mode 0600).",
                created
                    .client_id
                    .as_deref()
                    .unwrap_or("a client without an id"),
                if created.raw_answer_saved {
                    "KORE's raw answer (no secret could be read from it) was"
                } else {
                    "Its one-time secret was"
                },
                created.secret_file
            )?;
        }
        Ok(())
    }
}

/// What each correction status means, one line each.
const LEGEND: [&str; 6] = [
    "  needed          an answer (or an accepted request) is valid only with the correction",
    "  not-observed    what was seen is valid without it (values not seen may still need it)",
    "  contradicted    the server refused a request that only the correction allows",
    "  not-checked     no call it affects was made (createClient: --include-create)",
    "  not-applicable  it changes no response or query parameter (a name, a header): live",
    "                  answers cannot tell",
];

/// Validates one answer against what the spec documents for its status.
fn judge(spec: &Spec, operation: &str, status: u16, body: &Body, out: &mut Vec<Deviation>) {
    let deviation = |pointer: &str, kind: &str, message: String| Deviation {
        operation: operation.to_owned(),
        status,
        pointer: pointer.to_owned(),
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
                "",
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
                "",
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
                "",
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
            "",
            "rule",
            format!("the spec cannot be read here: {e}"),
        )),
    }
}

/// The form KORE documents for its dates: RFC 1123, as in
/// `Fri, 05 Apr 2024 11:08:14 GMT` — the examples of its published spec
/// (`openapi/reference/`) and the premise of the `created-date-not-date-time`
/// correction. Where the merged spec declares no `format: date-time`, a date
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
                    let at = format!("{pointer}/{}", kore_conformance::check::escape(key));
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

fn date_form(text: &str) -> &'static str {
    if kore_clients::chrono::DateTime::parse_from_rfc3339(text.trim()).is_ok() {
        "RFC 3339"
    } else if kore_clients::parse_kore_date(text).is_some() {
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
    let base_host = kore_clients::reqwest::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    for field in ["previous_page_url", "next_page_url"] {
        let form = match body.pointer(&format!("/meta/{field}")) {
            None => "absent".to_owned(),
            Some(Value::Null) => "null".to_owned(),
            Some(Value::String(text)) if text.is_empty() => "empty string".to_owned(),
            Some(Value::String(text)) => match kore_clients::reqwest::Url::parse(text) {
                Ok(url) if url.host_str().map(str::to_owned) == base_host => {
                    "URL on the API's host".to_owned()
                }
                Ok(url) => format!("URL on another host ({})", url.host_str().unwrap_or("none")),
                Err(_) if text.starts_with('/') => "path without a host".to_owned(),
                Err(_) => "text that is not a URL".to_owned(),
            },
            Some(other) => format!("a JSON {}", kore_conformance::check::json_type(other)),
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

fn widths(rows: &[Vec<String>]) -> Vec<usize> {
    let mut widths = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let len = cell.chars().count();
            if widths.len() <= i {
                widths.push(len);
            } else {
                widths[i] = widths[i].max(len);
            }
        }
    }
    widths
}

fn write_row(out: &mut impl Write, row: &[String], widths: &[usize]) -> io::Result<()> {
    let mut line = String::from(" ");
    for (i, cell) in row.iter().enumerate() {
        line.push(' ');
        line.push_str(cell);
        if i + 1 < row.len() {
            let pad = widths[i].saturating_sub(cell.chars().count()) + 1;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

fn columns(out: &mut impl Write, rows: &[Vec<String>]) -> io::Result<()> {
    let widths = widths(rows);
    rows.iter().try_for_each(|row| write_row(out, row, &widths))
}

#[cfg(test)]
mod tests {
    use kore_conformance::Status;
    use serde_json::json;

    use super::*;

    /// Every status a correction may have.
    const STATUSES: [Status; 6] = [
        Status::Needed,
        Status::NotObserved,
        Status::Contradicted,
        Status::NotChecked,
        Status::NotApplicable,
        Status::Unknown,
    ];

    fn answered(operation: &'static str, status: u16, body: Value) -> Call {
        Call {
            operation,
            method: "GET".into(),
            path: "/".into(),
            parameters: Vec::new(),
            outcome: Outcome::Answered {
                status,
                body: Body::Json(body),
            },
        }
    }

    #[test]
    fn dates_are_classified_and_unreadable_ones_deviate() {
        let report = Report::build(
            "http://127.0.0.1:1",
            vec![answered(
                "getClient",
                200,
                json!({"client": {"client_id": "a", "date_created": "last tuesday"}}),
            )],
            None,
        );
        assert_eq!(report.deviations().len(), 1);
        let deviation = &report.deviations()[0];
        assert_eq!(
            (deviation.pointer.as_str(), deviation.kind.as_str()),
            ("/client/date_created", "date")
        );
        assert_eq!(deviation.value, Some(json!("last tuesday")));
        assert_eq!(date_form("Fri, 05 Apr 2024 11:08:14 GMT"), "RFC 1123");
        assert_eq!(date_form("2024-04-05T11:08:14Z"), "RFC 3339");
    }

    #[test]
    fn page_urls_are_described_by_form() {
        let mut observations = Vec::new();
        observe_page_urls(
            "http://127.0.0.1:8080",
            200,
            &json!({"meta": {"previous_page_url": null, "next_page_url": "http://evil.example.invalid/v1/clients"}}),
            &mut observations,
        );
        observe_page_urls(
            "http://127.0.0.1:8080",
            200,
            &json!({"meta": {"previous_page_url": "url", "next_page_url": "http://127.0.0.1:8080/v1/clients?page_number=2"}}),
            &mut observations,
        );
        let seen: Vec<(&str, Vec<&String>)> = observations
            .iter()
            .map(|o| (o.at.as_str(), o.seen.keys().collect()))
            .collect();
        assert_eq!(
            format!("{seen:?}"),
            r#"[("/meta/previous_page_url", ["null", "text that is not a URL"]), ("/meta/next_page_url", ["URL on another host (evil.example.invalid)", "URL on the API's host"])]"#
        );
    }

    #[test]
    fn an_undocumented_status_and_a_non_json_body_deviate() {
        let html = Call {
            operation: "getPingStatus",
            method: "GET".into(),
            path: "/v1/ping".into(),
            parameters: Vec::new(),
            outcome: Outcome::Answered {
                status: 200,
                body: Body::Other {
                    raw: b"<html>".to_vec(),
                    content_type: Some("text/html".into()),
                },
            },
        };
        let report = Report::build(
            "http://127.0.0.1:1",
            vec![html, answered("listClient", 418, json!({}))],
            None,
        );
        let kinds: Vec<&str> = report
            .deviations()
            .iter()
            .map(|d| d.kind.as_str())
            .collect();
        assert_eq!(kinds, ["not-json", "undocumented-status"]);
        assert_eq!(report.incomplete(), ["listClient (HTTP 418)"]);
    }

    #[test]
    fn every_status_has_a_name_the_legend_explains() {
        let mut text = Vec::new();
        Report::build("http://127.0.0.1:1", Vec::new(), None)
            .write_text(&mut text)
            .unwrap();
        let text = String::from_utf8(text).unwrap();
        for status in STATUSES.iter().filter(|s| **s != Status::Unknown) {
            assert!(text.contains(&format!("  {} ", status.as_str())), "{text}");
        }
    }
}
