//! `live::Report`: raw answers judged against the merged spec, without a server.

use kore_conformance::Status;
use kore_conformance::live::{Body, Call, Outcome, Report};
use serde_json::{Value, json};

const BASE: &str = "http://127.0.0.1:8080";

fn answered(operation: &str, status: u16, body: Value) -> Call {
    Call {
        operation: operation.to_owned(),
        method: "GET".to_owned(),
        path: "/".to_owned(),
        parameters: Vec::new(),
        outcome: Outcome::Answered {
            status,
            body: Body::Json(body),
        },
    }
}

/// `operation` answered with `status` and an HTML page `raw`.
fn html_answer(operation: &str, status: u16, raw: &[u8]) -> Call {
    Call {
        outcome: Outcome::Answered {
            status,
            body: Body::Other {
                raw: raw.to_vec(),
                content_type: Some("text/html".to_owned()),
            },
        },
        ..answered(operation, status, Value::Null)
    }
}

/// A list page as kore-mock sends it, around `client`.
/// The report on one `getClient` answer: a [`client`] whose `field` is `value`.
fn judge_client_with(field: &str, value: Value) -> Report {
    let mut body = client();
    body[field] = value;
    Report::judge(BASE, &[answered("getClient", 200, json!({"client": body}))])
}

fn page(client: Value) -> Value {
    json!({
        "meta": {"count": 1, "page_size": 100, "page_number": 1, "next_page_url": null, "previous_page_url": null},
        "clients": [client],
    })
}

fn client() -> Value {
    json!({
        "client_id": "apiclient_1",
        "account_id": "acct_1",
        "name": "fleet",
        "client_type": "standard",
        "locked": false,
        "date_created": "Fri, 05 Apr 2024 11:08:14 GMT",
    })
}

fn kinds(report: &Report) -> Vec<(&str, &str)> {
    report
        .deviations
        .iter()
        .map(|d| (d.pointer.as_str(), d.kind.as_str()))
        .collect()
}

fn seen(report: &Report, at: &str) -> Vec<String> {
    report
        .observations
        .iter()
        .find(|o| o.at == at)
        .unwrap_or_else(|| panic!("no observation at {at}: {:?}", report.observations))
        .seen
        .keys()
        .cloned()
        .collect()
}

#[test]
fn a_field_the_spec_does_not_declare_deviates_without_its_value() {
    let report = judge_client_with("nickname", json!("pet name"));
    assert_eq!(kinds(&report), [("/client/nickname", "unknown-field")]);
    assert_eq!(report.deviations[0].value, None);
    assert_eq!(report.deviations[0].operation, "getClient");
    assert_eq!(report.deviations[0].status, 200);
}

#[test]
fn a_value_outside_an_enum_deviates_and_is_quoted() {
    let mut body = client();
    body["client_type"] = json!("superuser");
    let report = Report::judge(BASE, &[answered("listClient", 200, page(body))]);
    assert_eq!(kinds(&report), [("/clients/0/client_type", "enum")]);
    assert_eq!(report.deviations[0].value, Some(json!("superuser")));
}

#[test]
fn a_null_the_spec_does_not_allow_deviates() {
    let report = judge_client_with("name", Value::Null);
    assert_eq!(kinds(&report), [("/client/name", "null")]);
}

#[test]
fn dates_are_observed_by_form_and_only_rfc_1123_is_kores() {
    let mut rfc3339 = client();
    rfc3339["date_created"] = json!("2024-04-05T11:08:14Z");
    let report = Report::judge(
        BASE,
        &[
            answered("listClient", 200, page(client())),
            answered("getClient", 200, json!({"client": rfc3339})),
        ],
    );
    assert_eq!(seen(&report, "/clients/*/date_created"), ["RFC 1123"]);
    assert_eq!(seen(&report, "/client/date_created"), ["RFC 3339"]);
    assert_eq!(report.observations[0].what, "date");
    // The spec declares no `format: date-time` there: RFC 3339 is drift.
    assert_eq!(kinds(&report), [("/client/date_created", "date-form")]);
    assert_eq!(
        report.deviations[0].value,
        Some(json!("2024-04-05T11:08:14Z"))
    );
}

#[test]
fn a_date_in_neither_form_deviates_as_unreadable() {
    let report = judge_client_with("date_created", json!("last tuesday"));
    assert_eq!(kinds(&report), [("/client/date_created", "date")]);
    assert_eq!(seen(&report, "/client/date_created"), ["unreadable"]);
}

#[test]
fn page_urls_are_observed_by_form() {
    let mut first = page(client());
    first["meta"]["next_page_url"] = json!("http://evil.example.invalid/v1/clients");
    let mut second = page(client());
    second["meta"]["previous_page_url"] = json!("url");
    second["meta"]["next_page_url"] = json!(format!("{BASE}/v1/clients?page_number=2"));
    let report = Report::judge(
        BASE,
        &[
            answered("listClient", 200, first),
            answered("listClient", 200, second),
        ],
    );
    assert_eq!(
        seen(&report, "/meta/previous_page_url"),
        ["null", "text that is not a URL"]
    );
    assert_eq!(
        seen(&report, "/meta/next_page_url"),
        [
            "URL on another host (evil.example.invalid)",
            "URL on the API's host"
        ]
    );
    let page_url = report
        .observations
        .iter()
        .find(|o| o.at == "/meta/next_page_url")
        .unwrap();
    assert_eq!(
        (page_url.what, page_url.seen.values().sum::<usize>()),
        ("page-url", 2)
    );
}

#[test]
fn an_undocumented_status_deviates_and_leaves_the_check_incomplete() {
    let report = Report::judge(BASE, &[answered("listClient", 418, json!({}))]);
    assert_eq!(kinds(&report), [("", "undocumented-status")]);
    assert!(
        report.deviations[0].message.contains("HTTP 418"),
        "{}",
        report.deviations[0].message
    );
    assert_eq!(report.incomplete(), ["listClient (HTTP 418)"]);
    assert!(!report.network_failed());
}

#[test]
fn a_body_that_is_not_json_deviates_by_size_and_type_only() {
    let html = html_answer("getPingStatus", 200, b"<html>secret-looking page</html>");
    let report = Report::judge(BASE, &[html]);
    assert_eq!(kinds(&report), [("", "not-json")]);
    assert!(report.deviations[0].message.contains("32 bytes, text/html"));
    assert!(!serde_json::to_string(&report).unwrap().contains("<html>"));
}

#[test]
fn calls_without_an_answer_are_summarized_and_fail_the_check_as_network() {
    let report = Report::judge(
        BASE,
        &[
            Call::failed(
                "getPingStatus",
                "GET",
                "/v1/ping".to_owned(),
                "timed out".to_owned(),
                true,
            ),
            Call::skipped("getClient", "GET", "/v1/clients/{client_id}", "no id"),
        ],
    );
    assert!(report.deviations.is_empty());
    assert_eq!(report.incomplete(), ["getPingStatus (timed out)"]);
    assert!(report.network_failed());
    assert_eq!(report.calls[1].skipped.as_deref(), Some("no id"));
}

#[test]
fn corrections_are_assessed_from_the_answers_and_their_parameters() {
    let mut list = answered("listClient", 200, page(client()));
    list.parameters = vec![("page_number".to_owned(), "1".to_owned())];
    let report = Report::judge(BASE, &[list]);
    let status = |id: &str| {
        report
            .corrections
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no correction {id}"))
            .status
    };
    // KORE's own schema says page_number ≥ 2 and no null page URL.
    assert_eq!(status("page-number-inclusive-minimum"), Status::Needed);
    assert_eq!(status("page-urls-nullable"), Status::Needed);
    assert_eq!(status("created-client-type-widened"), Status::NotChecked);
    assert_eq!(status("name-client-list"), Status::NotApplicable);
}

#[test]
fn the_report_never_holds_an_unquotable_value() {
    let mut body = client();
    body["client_secret"] = json!("s3cret-unknown-field");
    body["token_issued_at"] = json!("s3cret-unreadable-date");
    body["api_key"] = json!({"nested": "s3cret-nested"});
    let report = Report::judge(BASE, &[answered("getClient", 200, json!({"client": body}))]);
    assert!(
        kinds(&report).contains(&("/client/token_issued_at", "date")),
        "{:?}",
        kinds(&report)
    );
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("s3cret"), "{json}");
}

#[test]
fn a_call_s_debug_never_shows_its_body() {
    let created = json!({"client_id": "apiclient_1", "client_secret": "s3cret-created"});
    let html = html_answer("getClient", 502, b"<html>s3cret-in-a-page</html>");
    for call in [answered("createClient", 201, created), html] {
        let debug = format!("{call:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(
            debug.contains("[redacted]") || debug.contains("bytes"),
            "{debug}"
        );
    }
}

#[test]
fn the_report_serializes_every_part_for_ci() {
    let report = Report::judge(BASE, &[answered("listClient", 200, page(client()))]);
    let text = serde_json::to_string(&report).unwrap();
    let order: Vec<usize> = [
        "api_version",
        "base_url",
        "calls",
        "deviations",
        "observations",
        "corrections",
    ]
    .iter()
    .map(|key| text.find(&format!("\"{key}\":")).expect(key))
    .collect();
    assert!(order.is_sorted(), "{text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["api_version"], kore_clients_gen::API_VERSION);
    assert_eq!(
        json["calls"][0],
        json!({"operation": "listClient", "method": "GET", "path": "/", "status": 200})
    );
}
