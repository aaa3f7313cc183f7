//! `kore doctor`: the live API against the merged spec — kore-mock (no
//! deviation), a drifting server (each deviation by operation and pointer),
//! the create path, and that no token or secret is ever printed.

mod common;

use std::collections::BTreeMap;
use std::process::Output;

use common::{Mock, exits, json, stderr, stdout};
use kore_mock::{ClientFixture, Fault, MockKore, Route};
use kore_testkit::text::assert_contains;
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use wiremock::matchers::{method, path};
use wiremock::{Mock as Route_, MockServer, ResponseTemplate};

/// The correction ids the merged spec records, in file order.
fn recorded_corrections() -> Vec<String> {
    let spec: Value = serde_json::from_str(kore_clients::SPEC).unwrap();
    spec["x-kore-corrections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `fields` of each item of the array `items`, as text.
fn strings<const N: usize>(items: &Value, fields: [&str; N]) -> Vec<[String; N]> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| fields.map(|field| item[field].as_str().unwrap().to_owned()))
        .collect()
}

/// `id → status` of the report's correction table.
fn correction_statuses(report: &Value) -> BTreeMap<String, String> {
    strings(&report["corrections"], ["id", "status"])
        .into_iter()
        .map(|[id, status]| (id, status))
        .collect()
}

/// `(operation, pointer, kind)` of every deviation.
fn deviations(report: &Value) -> Vec<(String, String, String)> {
    strings(&report["deviations"], ["operation", "pointer", "kind"])
        .into_iter()
        .map(|[operation, pointer, kind]| (operation, pointer, kind))
        .collect()
}

fn assert_never_printed(output: &Output, secrets: &[&str]) {
    let (out, err) = (stdout(output), stderr(output));
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!out.contains(secret), "stdout holds a secret: {out}");
        assert!(!err.contains(secret), "stderr holds a secret: {err}");
    }
}

/// The bearer token the doctor used against kore-mock, without `Bearer `.
fn token_used(mock: &MockKore) -> String {
    let request = mock
        .last_request(Route::ListClients)
        .expect("a list request");
    request
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .expect("a bearer token")
        .to_owned()
}

#[test]
fn against_kore_mock_the_json_report_has_no_deviation_and_a_status_for_every_correction() {
    let mock = Mock::start();
    mock.mock
        .add_clients([ClientFixture::named("Never locked").never_locked()])
        .unwrap();
    let output = exits(0, mock.kore().args(["doctor", "--output", "json"]));
    assert_eq!(stderr(&output), "");
    let report = json(&output);

    assert_eq!(report["deviations"], json!([]));
    let calls: Vec<(&str, &Value)> = report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["operation"].as_str().unwrap(), &c["status"]))
        .collect();
    assert_eq!(
        calls,
        [
            ("token", &Value::Null),
            ("getPingStatus", &json!(200)),
            ("listClient", &json!(200)),
            ("getClient", &json!(200)),
            ("createClient", &Value::Null),
        ]
    );
    assert!(report["calls"][0]["note"].is_string());
    assert!(report["calls"][4]["skipped"].is_string());

    // The table is the merged spec's record of openapi/corrections.json.
    let statuses = correction_statuses(&report);
    let mut ids: Vec<String> = statuses.keys().cloned().collect();
    let mut recorded = recorded_corrections();
    ids.sort();
    recorded.sort();
    assert_eq!(ids, recorded);
    for (id, expected) in [
        ("page-number-inclusive-minimum", "needed"),
        ("page-size-inclusive-minimum", "not-observed"),
        ("page-urls-nullable", "needed"),
        ("locked-nullable", "needed"),
        ("created-date-not-date-time", "not-checked"),
        ("created-client-type-widened", "not-checked"),
        ("name-client-list", "not-applicable"),
        ("no-authorization-parameter", "not-applicable"),
    ] {
        assert_eq!(statuses[id], expected, "{id}");
    }
    let locked = report["corrections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "locked-nullable")
        .unwrap();
    assert_eq!(locked["evidence"][0]["at"], "/clients/25/locked");
    assert!(
        locked["reason"]
            .as_str()
            .unwrap()
            .contains("never been locked")
    );

    // Read-only, and nothing secret on either stream.
    assert_eq!(mock.mock.requests(Route::CreateClient), 0);
    let token = token_used(&mock.mock);
    assert_never_printed(&output, &[&token, mock.mock.client_secret()]);
}

#[test]
fn the_human_report_against_kore_mock() {
    let mock = Mock::start();
    let output = exits(0, mock.kore().arg("doctor"));
    insta::with_settings!({filters => common::port_filters()}, {
        insta::assert_snapshot!(stdout(&output));
    });
}

const DRIFT_TOKEN: &str = "drift-access-token-7f3a9c";
const DRIFT_SECRET: &str = "drift-created-secret-51d2e8";

/// A server that speaks KORE's protocol but has drifted from the merged
/// spec: its list sends an unknown field, an out-of-enum `client_type` and
/// an RFC 3339 date.
struct Drifting {
    server: MockServer,
    _runtime: Runtime,
}

impl Drifting {
    fn start() -> Self {
        let runtime = kore_testkit::runtime::background();
        let server = runtime.block_on(async {
            let server = MockServer::start().await;
            let client = json!({
                "client_id": "apiclient_drift", "account_id": "acct_drift", "name": "Drift",
                "client_owner": "drift@example.com", "client_type": "superuser", "locked": false,
                "date_created": "2024-04-05T11:08:14Z", "nickname": "not in the spec"
            });
            let mut envelope = client.clone();
            envelope["client_type"] = json!("admin");
            envelope["date_created"] = json!("Fri, 05 Apr 2024 11:08:14 GMT");
            envelope.as_object_mut().unwrap().remove("nickname");
            let routes = [
                Route_::given(method("POST"))
                    .and(path("/token"))
                    .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                        "access_token": DRIFT_TOKEN, "token_type": "Bearer", "expires_in": 3600
                    }))),
                Route_::given(method("GET"))
                    .and(path("/v1/ping"))
                    .respond_with(
                        ResponseTemplate::new(200).set_body_json(json!({"status": "OK"})),
                    ),
                Route_::given(method("GET"))
                    .and(path("/v1/clients"))
                    .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                        "meta": {"count": 1, "page_number": 1, "page_size": 100,
                                 "previous_page_url": null, "next_page_url": null},
                        "clients": [client]
                    }))),
                Route_::given(method("GET"))
                    .and(path("/v1/clients/apiclient_drift"))
                    .respond_with(
                        ResponseTemplate::new(200).set_body_json(json!({"client": envelope})),
                    ),
                Route_::given(method("POST"))
                    .and(path("/v1/clients"))
                    .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                        "message": "Client created", "client_id": "apiclient_new",
                        "client_secret": DRIFT_SECRET, "client_type": "admin",
                        "account_id": "acct_drift", "name": "probe",
                        "date_created": "Fri, 05 Apr 2024 11:08:14 GMT",
                        "client_owner": "drift@example.com", "locked": true
                    }))),
            ];
            for route in routes {
                route.mount(&server).await;
            }
            server
        });
        Self {
            server,
            _runtime: runtime,
        }
    }

    fn kore(&self) -> assert_cmd::Command {
        let mut command = common::kore();
        command
            .args([
                "--base-url",
                &self.server.uri(),
                "--token-url",
                &format!("{}/token", self.server.uri()),
            ])
            .env("KORE_CLIENT_ID", "apiclient_doctor")
            .env("KORE_CLIENT_SECRET", "doctor-client-secret-0b7c");
        command
    }
}

#[test]
fn a_drifting_server_exits_9_and_names_each_deviation_by_operation_and_pointer() {
    let server = Drifting::start();
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("probe.secret");
    let output = exits(
        9,
        server
            .kore()
            .args("-vv doctor --output json --include-create --yes".split(' '))
            .arg("--secret-file")
            .arg(&secret_file)
            .args(["--create-name", "probe"]),
    );
    let report = json(&output);
    let own = |(op, pointer, kind): (&str, &str, &str)| {
        (op.to_owned(), pointer.to_owned(), kind.to_owned())
    };
    assert_eq!(
        deviations(&report),
        [
            own(("listClient", "/clients/0/client_type", "enum")),
            own(("listClient", "/clients/0/date_created", "date-form")),
            own(("listClient", "/clients/0/nickname", "unknown-field")),
        ]
    );
    let by_pointer = |pointer: &str| {
        report["deviations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["pointer"] == pointer)
            .unwrap()
            .clone()
    };
    assert_eq!(by_pointer("/clients/0/client_type")["value"], "superuser");
    assert_eq!(
        by_pointer("/clients/0/date_created")["value"],
        "2024-04-05T11:08:14Z"
    );
    assert!(
        by_pointer("/clients/0/nickname").get("value").is_none(),
        "an unknown field's value is never quoted"
    );

    let statuses = correction_statuses(&report);
    assert_eq!(statuses["created-client-type-widened"], "needed");
    assert_eq!(statuses["created-date-not-date-time"], "needed");
    assert_eq!(statuses["page-urls-nullable"], "needed");

    // The created client's secret went to its file and nowhere else.
    assert_eq!(std::fs::read_to_string(&secret_file).unwrap(), DRIFT_SECRET);
    assert_eq!(report["created"]["client_id"], "apiclient_new");
    assert_never_printed(
        &output,
        &[DRIFT_TOKEN, DRIFT_SECRET, "doctor-client-secret-0b7c"],
    );
    let err = stderr(&output);
    assert_contains(
        &err,
        "error: the live API deviates from the merged spec in 3 place(s)",
    );
    assert_contains(&err, "hint: ");
}

#[test]
fn the_human_report_lists_each_deviation() {
    let server = Drifting::start();
    let output = exits(9, server.kore().arg("doctor"));
    let text = stdout(&output);
    for expected in [
        "Deviations (3)",
        "listClient 200  /clients/0/client_type   enum",
        "\"superuser\" is not one of the schema's values (admin, standard)",
        "listClient 200  /clients/0/nickname      unknown-field",
        "listClient 200  /clients/0/date_created  date-form",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert_never_printed(&output, &[DRIFT_TOKEN]);
}

#[test]
fn include_create_needs_a_secret_file_and_a_confirmation() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("doctor.secret");

    let output = exits(2, mock.kore().args(["doctor", "--include-create"]));
    assert!(stderr(&output).contains("--secret-file"));

    let unconfirmed = exits(
        2,
        mock.kore()
            .args(["doctor", "--include-create", "--secret-file"])
            .arg(&secret_file)
            .write_stdin("no\n"),
    );
    assert!(stderr(&unconfirmed).contains("was not confirmed; nothing was sent"));
    assert!(stderr(&unconfirmed).contains("Type yes to create it"));
    assert_eq!(
        mock.mock.requests(Route::Ping),
        0,
        "nothing is sent unconfirmed"
    );
    assert!(!secret_file.exists());

    let secret_on_stdin = exits(
        2,
        mock.kore_without_credentials()
            .args([
                "--client-id",
                mock.mock.client_id(),
                "--client-secret-stdin",
            ])
            .args(["doctor", "--include-create", "--secret-file"])
            .arg(&secret_file)
            .write_stdin(format!("{}\n", mock.mock.client_secret())),
    );
    assert!(stderr(&secret_on_stdin).contains("add --yes"));
    assert_eq!(mock.mock.requests(Route::CreateClient), 0);

    let confirmed = exits(
        0,
        mock.kore()
            .args("doctor --output json --include-create --secret-file".split(' '))
            .arg(&secret_file)
            .args(["--create-name", "doctor-probe"])
            .write_stdin("yes\n"),
    );
    assert_eq!(mock.mock.requests(Route::CreateClient), 1);
    let sent: Value =
        serde_json::from_slice(&mock.mock.last_request(Route::CreateClient).unwrap().body).unwrap();
    assert_eq!(
        sent,
        json!({"name": "doctor-probe", "locked": true, "scopes": {"products": ["SuperSIM"]}})
    );
    let secret = std::fs::read_to_string(&secret_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&secret_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let report = json(&confirmed);
    assert_eq!(report["deviations"], json!([]));
    assert_eq!(
        report["created"]["secret_file"],
        secret_file.display().to_string()
    );
    // kore-mock answers a create as KORE does: an RFC 1123 date.
    let statuses = correction_statuses(&report);
    assert_eq!(statuses["created-date-not-date-time"], "needed");
    assert_eq!(statuses["created-client-type-widened"], "not-observed");
    let token = token_used(&mock.mock);
    assert_never_printed(&confirmed, &[&secret, &token, mock.mock.client_secret()]);
}

#[test]
fn a_create_without_an_answer_exits_8_with_the_check_command() {
    let mock = Mock::with(MockKore::builder().script(Route::CreateClient, [Fault::Status(503)]));
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("doctor.secret");
    let output = exits(
        8,
        mock.kore()
            .args(["doctor", "--include-create", "--yes", "--secret-file"])
            .arg(&secret_file)
            .args(["--create-name", "doctor-probe"]),
    );
    let err = stderr(&output);
    assert_contains(&err, "KORE may have created the client");
    assert_contains(&err, "kore clients list --name doctor-probe");
    assert!(!secret_file.exists(), "the reserved file is removed");
    assert_contains(&stdout(&output), "HTTP 503");
}

#[test]
fn a_failing_preflight_ping_exits_as_kore_ping_does() {
    let mock = Mock::with(
        MockKore::builder().script(Route::Ping, std::iter::repeat_n(Fault::Status(503), 3)),
    );
    let output = exits(5, mock.kore().arg("doctor"));
    assert_eq!(stdout(&output), "", "no report without a working ping");
    assert_contains(&stderr(&output), "ping");
}

#[test]
fn an_error_answer_leaves_the_check_incomplete() {
    // The doctor sends each request once: a 503 to its list is reported, the
    // get it would have made is skipped, and the exit code says so.
    let mock = Mock::with(MockKore::builder().script(Route::ListClients, [Fault::Status(503)]));
    let output = exits(5, mock.kore().args(["doctor", "--output", "json"]));
    let report = json(&output);
    assert_eq!(report["deviations"], json!([]), "KORE's 503 is documented");
    assert_eq!(report["calls"][2]["status"], 503);
    assert!(report["calls"][3]["skipped"].is_string());
    let err = stderr(&output);
    assert_contains(
        &err,
        "kore doctor could not check everything: listClient (HTTP 503) did not succeed",
    );
}
