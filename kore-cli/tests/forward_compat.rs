//! `kore` against a KORE newer than its spec (kore-mock's `drift` fault: a
//! `client_type` of `"service"`, an unknown product and new fields at every
//! level): every command keeps working and keeps what it does not know.

mod common;

use std::process::Output;

use common::{Mock, json, ndjson, stderr, stdout};
use kore_mock::{DRIFT_CLIENT_TYPE, DRIFT_PRODUCT, Fault, Route};
use kore_testkit::text::assert_contains;

/// `kore ARGS` against `mock`, to its end.
fn run(mock: &Mock, args: &[&str]) -> Output {
    mock.kore().args(args).output().unwrap()
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", stderr(output));
}

/// A mock whose next `n` answers on each route drift.
fn drifting(clients: usize, n: usize) -> Mock {
    let mock = Mock::with_clients(clients);
    for route in [
        Route::Ping,
        Route::ListClients,
        Route::GetClient,
        Route::CreateClient,
    ] {
        mock.mock.faults().script(route, vec![Fault::Drift; n]);
    }
    mock
}

#[test]
fn list_all_as_ndjson_keeps_every_client_and_every_field() {
    let mock = drifting(3, 5);
    let output = run(&mock, &["clients", "list", "--all", "-o", "ndjson"]);
    assert_exit(&output, 0);
    let lines = ndjson(&output);
    assert_eq!(lines.len(), 3);
    for client in &lines {
        assert_eq!(client["client_type"], DRIFT_CLIENT_TYPE);
        assert_eq!(client["scopes"]["products"][1], DRIFT_PRODUCT);
        assert!(client["last_used"].is_string(), "{client}");
        assert!(client["client_id"].is_string(), "{client}");
    }
}

#[test]
fn a_table_shows_an_unknown_type_as_kore_sent_it() {
    let mock = drifting(2, 5);
    let output = run(&mock, &["clients", "list"]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output).matches(DRIFT_CLIENT_TYPE).count(),
        2,
        "{}",
        stdout(&output)
    );
}

#[test]
fn get_keeps_the_unknown_value_and_fields_in_json_and_table() {
    let mock = Mock::with_clients(1);
    let listed = run(&mock, &["clients", "list", "-o", "name"]);
    let id = stdout(&listed).trim().to_owned();
    mock.mock
        .faults()
        .script(Route::GetClient, vec![Fault::Drift; 2]);
    let output = run(&mock, &["clients", "get", &id, "-o", "json"]);
    assert_exit(&output, 0);
    let client = json(&output);
    assert_eq!(client["client_type"], DRIFT_CLIENT_TYPE);
    assert_eq!(
        client["scopes"]["products"],
        serde_json::json!(["SuperSIM", DRIFT_PRODUCT])
    );
    assert_eq!(client["client_id"], id.as_str());

    let table = run(&mock, &["clients", "get", &id]);
    assert_exit(&table, 0);
    assert_contains(&stdout(&table), DRIFT_CLIENT_TYPE);
}

#[test]
fn an_unknown_id_still_exits_4_with_kore_s_message() {
    let mock = drifting(1, 5);
    let output = run(&mock, &["clients", "get", "apiclient_missing"]);
    assert_exit(&output, 4);
    assert_contains(&stderr(&output), "Client not found");
    assert_eq!(stdout(&output), "");
}

#[test]
fn create_writes_the_secret_alone_and_the_secret_works() {
    let mock = drifting(0, 5);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bot.secret");
    let output = mock
        .kore()
        .args(
            "clients create --name drift-bot --product super-sim -o name --secret-file".split(' '),
        )
        .arg(&file)
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let id = stdout(&output).trim().to_owned();
    let secret = std::fs::read_to_string(&file).unwrap();
    assert!(
        !secret.contains('{') && !secret.trim().is_empty(),
        "the file holds the secret alone: {secret:?}"
    );
    // The secret in the file is the one KORE issued: the new client can use it.
    let ping = mock
        .kore_without_credentials()
        .env("KORE_CLIENT_ID", &id)
        .env("KORE_CLIENT_SECRET", secret.trim_end())
        .arg("ping")
        .output()
        .unwrap();
    assert_exit(&ping, 0);
}

#[test]
fn an_unknown_type_filter_is_sent_as_given_with_a_note() {
    let mock = Mock::with_clients(1);
    let output = run(&mock, &["clients", "list", "--type", "service"]);
    assert_contains(
        &stderr(&output),
        "note: --type \"service\" is not one this kore knows (admin, standard); sending it to KORE as given",
    );
    let sent = mock.mock.last_request(Route::ListClients).unwrap();
    let query = sent.query.unwrap_or_default();
    assert_contains(&query, "client_type=service");
    // kore-mock, like this spec's KORE, refuses the type (400: exit 2): KORE
    // decides, in its words.
    assert_exit(&output, 2);
    assert_contains(&stderr(&output), "client_type must be admin or standard");
}

#[test]
fn an_unlisted_product_is_sent_as_given() {
    let mock = Mock::with_clients(0);
    let output = run(
        &mock,
        &[
            "clients",
            "create",
            "--name",
            "x",
            "--product",
            "unlisted:IoTConnect",
            "-o",
            "json",
        ],
    );
    let sent = mock.mock.last_request(Route::CreateClient).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(
        body["scopes"]["products"],
        serde_json::json!(["IoTConnect"])
    );
    // kore-mock does not know it: KORE's 400 is invalid input, exit 2.
    assert_exit(&output, 2);
    assert_contains(&stderr(&output), "\"IoTConnect\" is not a product");
}

#[test]
fn doctor_exits_9_naming_the_new_value_and_fields() {
    let mock = drifting(2, 5);
    let output = run(&mock, &["doctor", "-o", "json"]);
    assert_exit(&output, 9);
    let report = json(&output);
    let text = report.to_string();
    for expected in [
        "\"service\"",
        "/clients/0/client_type",
        "/clients/0/scopes",
        "/clients/0/last_used",
        "/meta/total_pages",
        "/api_revision",
        "/client/scopes",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
}
