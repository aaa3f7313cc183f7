//! `kore clients get`: table, JSON, and an unknown id.

mod common;

use common::{CLIENT_FIELDS, Mock, exits, json, keys, ndjson, stderr, stdout};
use kore_mock::Route;

/// The first seeded client, as `list` shows it.
fn first_client(mock: &Mock) -> serde_json::Value {
    let output = mock
        .kore()
        .args(["clients", "list", "--page-size", "1", "-o", "ndjson"])
        .output()
        .unwrap();
    ndjson(&output).remove(0)
}

#[test]
fn get_as_a_table() {
    let mock = Mock::start();
    let id = first_client(&mock)["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let output = exits(0, mock.kore().args(["clients", "get", &id]));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn get_as_json_is_the_api_object() {
    let mock = Mock::start();
    let listed = first_client(&mock);
    let id = listed["client_id"].as_str().unwrap();
    let output = exits(
        0,
        mock.kore().args(["clients", "get", id, "--output", "json"]),
    );
    let client = json(&output);
    assert_eq!(keys(&client), CLIENT_FIELDS);
    assert_eq!(client, listed);
    assert_eq!(mock.mock.requests(Route::GetClient), 1);
}

#[test]
fn an_unknown_id_exits_4_with_a_two_line_error() {
    let mock = Mock::start();
    let output = exits(
        4,
        mock.kore()
            .args(["clients", "get", "apiclient_doesnotexist"]),
    );
    assert_eq!(stdout(&output), "");
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn get_with_mock_finds_the_seeded_clients() {
    // Every `--mock` run seeds the same account, so an id listed by one run
    // is found by the next.
    let listed = common::kore()
        .args("--mock clients list --page-size 1 -o ndjson".split(' '))
        .output()
        .unwrap();
    let listed = ndjson(&listed).remove(0);
    let output = exits(
        0,
        common::kore().args([
            "--mock",
            "clients",
            "get",
            listed["client_id"].as_str().unwrap(),
            "-o",
            "json",
        ]),
    );
    assert_eq!(json(&output), listed);
}
