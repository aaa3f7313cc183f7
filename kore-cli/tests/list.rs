//! `kore clients list`: one page in every format, `--all` over many pages,
//! `--limit`, `--type`, and `--mock`.

mod common;

use std::collections::HashSet;

use common::{CLIENT_FIELDS, Mock, exits, json, keys, kore, ndjson, stderr, stdout};
use kore_mock::Route;
use kore_testkit::text::assert_contains;

#[test]
fn one_page_as_a_table_with_its_paging_line() {
    let mock = Mock::with_clients(12);
    let output = mock.succeeds("clients list --page-size 5 --page 2");
    insta::assert_snapshot!(stdout(&output));
    assert_eq!(mock.mock.requests(Route::ListClients), 1);
}

#[test]
fn the_last_page_and_a_page_past_the_end_say_so() {
    let mock = Mock::with_clients(12);
    let last = mock.succeeds("clients list --page-size 5 --page 3");
    insta::assert_snapshot!("last_page", stdout(&last));

    let past = mock.succeeds("clients list --page-size 5 --page 9");
    assert_eq!(stdout(&past), "", "stdout is data only");
    assert_eq!(
        stderr(&past),
        "Page 9: no clients (page size 5); past the last page.\n"
    );
    assert_eq!(
        stderr(&last),
        "Page 3: clients 11-12 (page size 5); the last page.\n"
    );
}

#[test]
fn one_page_as_json_has_meta_and_clients_with_kore_field_names() {
    let mock = Mock::with_clients(12);
    let output = mock.succeeds("clients list --page-size 5 --page 2 --output json");
    let page = json(&output);
    assert_eq!(keys(&page), ["clients", "meta"]);
    let meta = &page["meta"];
    assert_eq!(meta["count"], 5);
    assert_eq!(meta["page_number"], 2);
    assert_eq!(meta["page_size"], 5);
    assert_contains(meta["next_page_url"].as_str().unwrap(), "page_number=3");
    assert_contains(meta["previous_page_url"].as_str().unwrap(), "page_number=1");
    let clients = page["clients"].as_array().unwrap();
    assert_eq!(clients.len(), 5);
    for client in clients {
        assert_eq!(keys(client), CLIENT_FIELDS);
        // Dates stay exactly as KORE sent them.
        assert!(client["date_created"].as_str().unwrap().ends_with(" GMT"));
    }
    // The output exactly as printed: `meta` first, KORE's field order inside.
    insta::with_settings!({filters => common::port_filters()}, {
        insta::assert_snapshot!("page_2_json", stdout(&output));
    });
}

#[test]
fn one_page_as_ndjson_is_one_client_per_line() {
    let clients = ndjson(&Mock::with_clients(12).succeeds("clients list --page-size 5 -o ndjson"));
    assert_eq!(clients.len(), 5);
    assert!(clients.iter().all(|c| keys(c) == CLIENT_FIELDS));
}

#[test]
fn all_as_ndjson_streams_every_page() {
    let mock = Mock::with_clients(250);
    let output = mock.succeeds("clients list --all --page-size 100 --output ndjson");
    let clients = ndjson(&output);
    assert_eq!(clients.len(), 250);
    let ids: HashSet<&str> = clients
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 250, "no client twice");
    assert_eq!(mock.mock.requests(Route::ListClients), 3);
    // stderr is not a terminal here: no progress indicator.
    assert_eq!(stderr(&output), "");
}

#[test]
fn all_as_json_is_one_array_in_the_same_order() {
    let mock = Mock::with_clients(250);
    let array = json(&mock.succeeds("clients list --all --page-size 100 --output json"));
    let array = array.as_array().expect("a JSON array");
    assert_eq!(array.len(), 250);

    let lines = mock.run("clients list --all --page-size 100 -o ndjson");
    assert_eq!(array, &ndjson(&lines));
}

#[test]
fn all_with_no_clients_is_an_empty_array() {
    let output = Mock::with_clients(0).succeeds("clients list --all -o json");
    assert_eq!(stdout(&output), "[]\n");
}

#[test]
fn all_as_a_table_ends_with_the_total() {
    let mock = Mock::with_clients(25);
    let output = mock.succeeds("clients list --all --page-size 10");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    // Header and 25 rows; the total is a note on stderr.
    assert_eq!(lines.len(), 26, "{text}");
    assert!(lines[0].starts_with("ID "));
    assert_eq!(stderr(&output), "25 clients.\n");
    assert_eq!(mock.mock.requests(Route::ListClients), 3);
}

#[test]
fn limit_stops_after_n_clients_without_fetching_more_pages() {
    let mock = Mock::with_clients(250);
    let output = mock.succeeds("clients list --all --limit 30 -o ndjson");
    assert_eq!(ndjson(&output).len(), 30);
    assert_eq!(mock.mock.requests(Route::ListClients), 1);
}

#[test]
fn type_filters_by_client_type() {
    let mock = Mock::with_clients(60);
    let count = |client_type: &str| {
        let output = mock.succeeds(&format!(
            "clients list --all --type {client_type} -o ndjson"
        ));
        let clients = ndjson(&output);
        assert!(clients.iter().all(|c| c["client_type"] == client_type));
        clients.len()
    };
    let admins = count("admin");
    let standards = count("standard");
    assert!(admins > 0 && standards > 0);
    assert_eq!(admins + standards, 60);
    let last = mock.mock.last_request(Route::ListClients).unwrap();
    let query = last.query.unwrap_or_default();
    assert_contains(&query, "client_type=standard");
}

#[test]
fn an_error_mid_stream_keeps_what_was_printed_and_exits_non_zero() {
    let mock = Mock::with_clients(250);
    // Page 1 passes; page 2 fails on every attempt.
    mock.mock.faults().script(
        Route::ListClients,
        [
            kore_mock::Fault::Pass,
            kore_mock::Fault::Status(503),
            kore_mock::Fault::Status(503),
            kore_mock::Fault::Status(503),
        ],
    );
    let output = mock.run("clients list --all --page-size 100 -o ndjson");
    assert_eq!(output.status.code(), Some(5));
    assert_eq!(ndjson(&output).len(), 100);
    assert!(
        stderr(&output).starts_with("error: list client (GET /v1/clients)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_listing_quietly() {
    // `kore clients list --all -o ndjson | head -n 1`: far more output than
    // the pipe holds, and a reader that leaves after one line.
    let mut child = kore_testkit::process::Spawned::start_reading(
        std::process::Command::new(env!("CARGO_BIN_EXE_kore"))
            .args("--mock --mock-clients 5000 clients list --all -o ndjson".split(' ')),
        1,
    );
    let first = child.line();
    assert!(first.starts_with("{\"account_id\""), "{first}");
    let (status, _) = child.exit_within(std::time::Duration::from_secs(60));
    assert!(status.success(), "{status:?}");
    assert_eq!(child.rest().1, "");
}

#[test]
fn mock_flag_lists_the_in_process_account() {
    let output = exits(
        0,
        kore().args(["--mock", "clients", "list", "--all", "-o", "ndjson"]),
    );
    assert_eq!(ndjson(&output).len(), kore_mock::DEFAULT_CLIENTS);

    let output = exits(
        0,
        kore().args("--mock --mock-clients 7 clients list -o json".split(' ')),
    );
    assert_eq!(json(&output)["meta"]["count"], 7);
}
