//! `kore clients create`: where the one-time secret goes, and what happens
//! when it cannot go there.

mod common;

use std::os::unix::fs::PermissionsExt as _;

use common::{Mock, json, keys, kore, stderr, stdout};
use kore_mock::{Fault, Route};

/// Made up by each create: the new id and its creation date. The
/// placeholders keep the values' widths, so the table stays aligned.
const ID: (&str, &str) = (
    r"apiclient_[0-9a-z]{26}",
    "apiclient_XXXXXXXXXXXXXXXXXXXXXXXXXX",
);
const CREATED: (&str, &str) = (
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z",
    "YYYY-MM-DDTHH:MM:SSZ",
);

/// The create filters plus the test's temporary directory.
fn created_filters(dir: &std::path::Path) -> Vec<(String, String)> {
    vec![
        (regex_escape(&dir.display().to_string()), "[DIR]".into()),
        (ID.0.into(), ID.1.into()),
        (CREATED.0.into(), CREATED.1.into()),
    ]
}

fn as_strs(filters: &[(String, String)]) -> Vec<(&str, &str)> {
    filters
        .iter()
        .map(|(pattern, replacement)| (pattern.as_str(), replacement.as_str()))
        .collect()
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

fn create_args(name: &str) -> Vec<String> {
    [
        "clients",
        "create",
        "--name",
        name,
        "--product",
        "super-sim",
    ]
    .map(str::to_owned)
    .to_vec()
}

#[test]
fn the_secret_goes_to_a_new_private_file_and_nowhere_else() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ci-bot.secret");
    let output = mock
        .kore()
        .args(create_args("ci-bot"))
        .arg("--secret-file")
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));

    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let secret = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        secret.len(),
        48,
        "exactly the secret, no newline: {secret:?}"
    );
    assert!(!stdout(&output).contains(&secret));
    assert!(!stderr(&output).contains(&secret));
    assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
    assert_eq!(mock.mock.requests(Route::CreateClient), 1);

    let filters = created_filters(dir.path());
    insta::with_settings!({filters => as_strs(&filters)}, {
        insta::assert_snapshot!(stdout(&output));
    });

    // The file holds a working credential: the new client can authenticate.
    let id = stdout(&output)
        .split_whitespace()
        .find(|word| word.starts_with("apiclient_"))
        .unwrap()
        .to_owned();
    common::kore()
        .args([
            "--base-url",
            &mock.mock.base_url(),
            "--token-url",
            &mock.mock.token_url(),
        ])
        .env("KORE_CLIENT_ID", &id)
        .env("KORE_CLIENT_SECRET", &secret)
        .arg("ping")
        .assert()
        .success();
}

#[test]
fn an_existing_secret_file_is_never_overwritten_and_nothing_is_created() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("existing");
    std::fs::write(&path, "keep me").unwrap();
    let output = mock
        .kore()
        .args(create_args("ci-bot"))
        .arg("--secret-file")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    assert_eq!(mock.mock.requests(Route::CreateClient), 0);
    assert_eq!(
        mock.mock.token_grants(),
        0,
        "not even a token was requested"
    );
    let filters = created_filters(dir.path());
    insta::with_settings!({filters => as_strs(&filters)}, {
        insta::assert_snapshot!(stderr(&output));
    });
}

#[test]
fn a_secret_file_in_a_missing_directory_is_refused_before_creating() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("secret");
    mock.kore()
        .args(create_args("ci-bot"))
        .arg("--secret-file")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no client was created"));
    assert_eq!(mock.mock.requests(Route::CreateClient), 0);
}

#[test]
fn without_a_secret_file_the_secret_is_printed_with_a_warning() {
    let mock = Mock::start();
    let output = mock.kore().args(create_args("ci-bot")).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let secret = text
        .lines()
        .find_map(|line| line.strip_prefix("client_secret: "))
        .expect("the secret is on stdout");
    assert_eq!(secret.len(), 48);
    let warning = stderr(&output);
    assert!(!warning.contains(secret));
    insta::assert_snapshot!("shown_once_warning", warning);
    let filters = vec![
        ID,
        CREATED,
        (r"client_secret: [0-9a-z]{48}", "client_secret: [SECRET]"),
    ];
    insta::with_settings!({filters => filters}, {
        insta::assert_snapshot!(text);
    });
}

#[test]
fn json_with_a_secret_file_leaves_the_secret_out() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    let output = mock
        .kore()
        .args(create_args("json-bot"))
        .args(["--output", "json", "--secret-file"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let created = json(&output);
    assert_eq!(keys(&created), ["client", "secret_file"]);
    assert_eq!(created["secret_file"], path.display().to_string());
    assert_eq!(
        keys(&created["client"]),
        [
            "account_id",
            "client_id",
            "client_owner",
            "client_type",
            "date_created",
            "locked",
            "message",
            "name"
        ]
    );
    assert_eq!(created["client"]["name"], "json-bot");
    let secret = std::fs::read_to_string(&path).unwrap();
    assert!(!stdout(&output).contains(&secret));
    assert_eq!(stderr(&output), "");
}

#[test]
fn json_without_a_secret_file_carries_the_secret_and_warns() {
    let mock = Mock::start();
    let output = mock
        .kore()
        .args(create_args("json-bot"))
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let created = json(&output);
    assert_eq!(keys(&created), ["client", "client_secret"]);
    assert_eq!(created["client_secret"].as_str().unwrap().len(), 48);
    assert!(created["client"].get("client_secret").is_none());
    assert!(stderr(&output).starts_with("warning: the client secret is on stdout"));
}

#[test]
fn flags_become_the_create_request() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().unwrap();
    mock.kore()
        .args(["clients", "create", "--name", "locked-bot", "--locked"])
        .args([
            "--product",
            "super-sim",
            "--product",
            "programmable-wireless",
        ])
        .args(["--account-id", "acct_other", "--secret-file"])
        .arg(dir.path().join("s"))
        .assert()
        .success();
    let request = mock.mock.last_request(Route::CreateClient).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "name": "locked-bot",
            "locked": true,
            "account_id": "acct_other",
            "scopes": {"products": ["SuperSIM", "ProgrammableWireless"]},
        })
    );
}

#[test]
fn a_failed_create_removes_the_reserved_file() {
    let mock = Mock::start();
    mock.mock.faults().push_statuses(Route::CreateClient, [500]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    let output = mock
        .kore()
        .args(create_args("ci-bot"))
        .arg("--secret-file")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5));
    assert!(
        !path.exists(),
        "the empty reservation is gone, so a retry can use the path"
    );
    // A create is never repeated after a 5xx: KORE may have created it.
    assert_eq!(mock.mock.requests(Route::CreateClient), 1);
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn an_undecodable_create_still_saves_the_raw_answer() {
    let mock = Mock::start();
    mock.mock
        .faults()
        .push(Route::CreateClient, Fault::TruncatedJson);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    let output = mock
        .kore()
        .args(create_args("ci-bot"))
        .arg("--secret-file")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5));
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.starts_with('{'), "{saved}");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let errors = stderr(&output);
    assert!(errors.contains("was saved to"), "{errors}");
    assert!(errors.contains("KORE created the client"), "{errors}");
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_blank_name_is_refused_before_sending_and_frees_the_path() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    mock.kore()
        .args([
            "clients",
            "create",
            "--name",
            "  ",
            "--product",
            "super-sim",
        ])
        .arg("--secret-file")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "the client name must not be empty",
        ));
    assert!(!path.exists());
    assert_eq!(mock.mock.requests(Route::CreateClient), 0);
}

#[test]
fn a_product_is_required_and_must_be_known() {
    kore()
        .args(["--mock", "clients", "create", "--name", "x"])
        .assert()
        .code(2);
    kore()
        .args([
            "--mock",
            "clients",
            "create",
            "--name",
            "x",
            "--product",
            "sim",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("super-sim"));
}

#[test]
fn create_with_mock() {
    let output = kore()
        .args([
            "--mock",
            "clients",
            "create",
            "--name",
            "try-me",
            "--product",
            "super-sim",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json(&output)["client"]["name"], "try-me");
}
