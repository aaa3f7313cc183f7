//! `kore clients create`: where the one-time secret goes, and what happens
//! when it cannot go there.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use common::{Mock, exits, json, keys, kore, stderr, stdout};
use kore_mock::{Fault, Route};
use kore_testkit::config::ConfigDir;
use kore_testkit::process::Spawned;
use kore_testkit::text::{assert_contains, assert_lacks};

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

/// A mock whose next create is answered after `seconds`.
fn with_a_slow_create(seconds: u64) -> Mock {
    let mock = Mock::start();
    mock.mock.faults().push(
        Route::CreateClient,
        Fault::Delay(Duration::from_secs(seconds)),
    );
    mock
}

/// `kore clients create --name name --product super-sim --secret-file path`.
fn create_into(mock: &Mock, name: &str, path: &std::path::Path) -> std::process::Output {
    mock.kore()
        .args(create_args(name))
        .arg("--secret-file")
        .arg(path)
        .output()
        .unwrap()
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
    let dir = ConfigDir::new();
    let path = dir.path().join("ci-bot.secret");
    let output = create_into(&mock, "ci-bot", &path);
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
    assert_lacks(&stderr(&output), "warning");
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
    let dir = ConfigDir::new();
    let path = dir.path().join("existing");
    std::fs::write(&path, "keep me").unwrap();
    let output = create_into(&mock, "ci-bot", &path);
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
    let dir = ConfigDir::new();
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
    let output = mock.succeeds("clients create --name ci-bot --product super-sim");
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
    let dir = ConfigDir::new();
    let path = dir.path().join("secret");
    let output = mock.succeeds(&format!(
        "clients create --name json-bot --product super-sim --output json --secret-file {}",
        path.display()
    ));
    let created = json(&output);
    assert_eq!(keys(&created), ["client", "secret_file"]);
    assert_eq!(created["secret_file"], path.display().to_string());
    // A client's fields and KORE's "message", in key order.
    let mut fields = common::CLIENT_FIELDS.to_vec();
    fields.insert(6, "message");
    assert_eq!(keys(&created["client"]), fields);
    assert_eq!(created["client"]["name"], "json-bot");
    let secret = std::fs::read_to_string(&path).unwrap();
    assert!(!stdout(&output).contains(&secret));
    assert_eq!(
        stderr(&output),
        format!("note: the secret is in {} (mode 0600)\n", path.display()),
        "where the secret went is a note for the reader, not data"
    );
}

#[test]
fn json_without_a_secret_file_carries_the_secret_and_warns() {
    let mock = Mock::start();
    let output = mock.succeeds("clients create --name json-bot --product super-sim -o json");
    let created = json(&output);
    assert_eq!(keys(&created), ["client", "client_secret"]);
    assert_eq!(created["client_secret"].as_str().unwrap().len(), 48);
    assert!(created["client"].get("client_secret").is_none());
    assert!(stderr(&output).starts_with("warning: the client secret is on stdout"));
}

#[test]
fn flags_become_the_create_request() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    mock.kore()
        .args(["clients", "create", "--name", "locked-bot", "--locked"])
        .args("--product super-sim --product programmable-wireless".split(' '))
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
    let dir = ConfigDir::new();
    let path = dir.path().join("secret");
    let output = create_into(&mock, "ci-bot", &path);
    assert_eq!(
        output.status.code(),
        Some(8),
        "a 5xx leaves the outcome unknown"
    );
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
    let dir = ConfigDir::new();
    let path = dir.path().join("secret");
    let output = create_into(&mock, "ci-bot", &path);
    assert_eq!(output.status.code(), Some(5));
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.starts_with('{'), "{saved}");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let errors = stderr(&output);
    assert_contains(&errors, "was saved to");
    assert_contains(&errors, "KORE created the client");
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_blank_name_is_refused_before_sending_and_frees_the_path() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
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
        .args("--mock clients create --name x --product sim".split(' '))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("super-sim"));
}

#[test]
fn create_with_mock() {
    let create = "--mock clients create --name try-me --product super-sim -o json";
    let output = common::exits(0, kore().args(create.split(' ')));
    assert_eq!(json(&output)["client"]["name"], "try-me");
}

/// Runs `kore` with the mock's credentials, its stdout a pipe whose reading
/// end is closed before anything is written: a consumer that left early
/// (`kore … | head -c 0`).
fn with_closed_stdout(mock: &Mock, args: &[String]) -> (Option<i32>, String) {
    let mut child = Spawned::start_with_stdout_closed(mock.kore_process().args(args));
    let (status, _) = child.exit_within(Duration::from_secs(60));
    (status.code(), child.rest().1)
}

#[test]
fn a_secret_that_cannot_reach_a_closed_stdout_exits_7_with_the_client_id() {
    let mock = Mock::start();
    for format in ["table", "json"] {
        let mut args = create_args("piped-bot");
        args.extend(["--output".into(), format.into()]);
        let (code, errors) = with_closed_stdout(&mock, &args);
        assert_eq!(code, Some(7), "{format}: {errors}");
        assert_contains(
            &errors,
            "was created, but its one-time secret could not be delivered",
        );
        let id = regex_lite_id(&errors).unwrap_or_else(|| panic!("no client id in: {errors}"));
        assert!(id.starts_with("apiclient_"), "{errors}");
        assert!(
            !errors.contains("client_secret"),
            "the secret never goes to stderr: {errors}"
        );
    }
    assert_eq!(mock.mock.requests(Route::CreateClient), 2);
}

/// The first `apiclient_…` word of `text`.
fn regex_lite_id(text: &str) -> Option<&str> {
    let start = text.find("apiclient_")?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

#[test]
fn a_listing_into_a_closed_stdout_still_ends_quietly() {
    let mock = Mock::with_clients(500);
    let args: Vec<String> = ["clients", "list", "--all", "--output", "ndjson"]
        .map(str::to_owned)
        .to_vec();
    let (code, errors) = with_closed_stdout(&mock, &args);
    assert_eq!(code, Some(0), "{errors}");
    assert_eq!(errors, "", "quietly");
}

#[test]
fn a_timed_out_create_exits_8_and_says_how_to_check() {
    let mock = with_a_slow_create(3);
    let output = exits(
        8,
        mock.kore()
            .args(["--timeout", "500ms"])
            .args(create_args("slow bot")),
    );
    let errors = stderr(&output);
    assert_contains(&errors, "outcome unknown");
    assert_contains(&errors, "kore clients list --name 'slow bot'");
    assert_lacks(&errors, "retry later");
    assert_eq!(mock.mock.requests(Route::CreateClient), 1, "never repeated");
    assert_eq!(stdout(&output), "");
}

#[test]
fn list_name_finds_what_a_create_made() {
    let mock = Mock::with_clients(120);
    mock.kore().args(create_args("needle")).assert().success();
    let output = mock.run("clients list --name needle --output ndjson");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let found = common::ndjson(&output);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["name"], "needle");
}

#[test]
fn create_if_absent_twice_creates_one_client() {
    let mock = Mock::start();
    let mut args = create_args("provisioned");
    args.push("--if-absent".into());
    let first = exits(0, mock.kore().args(&args));
    assert!(stdout(&first).contains("client_secret"));
    let dir = ConfigDir::new();
    let path = dir.path().join("secret");
    let second = exits(0, mock.kore().args(&args).arg("--secret-file").arg(&path));
    assert_contains(&stdout(&second), "provisioned");
    assert!(!stdout(&second).contains("client_secret"));
    assert_contains(&stderr(&second), "already exists");
    assert!(!path.exists(), "no secret, no file");
    assert_eq!(mock.mock.requests(Route::CreateClient), 1);
}

#[test]
fn ctrl_c_during_a_create_leaves_no_secret_file() {
    let mock = with_a_slow_create(20);
    let dir = ConfigDir::new();
    let path = dir.path().join("secret");
    let mut child = Spawned::start(
        mock.kore_process()
            .args(create_args("interrupted"))
            .arg("--secret-file")
            .arg(&path),
    );
    // Wait until the create is on its way (the file is reserved first).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while mock.mock.requests(Route::CreateClient) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the create never arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(path.exists(), "reserved while the request is out");
    child.signal("INT");
    let (status, _) = child.exit_within(Duration::from_secs(60));
    let (_, errors) = child.rest();
    assert_eq!(status.code(), Some(130), "{errors}");
    assert!(
        !path.exists(),
        "an interrupted create leaves no empty secret file"
    );
    assert_contains(&errors, "interrupted before KORE answered");
    assert_contains(&errors, "kore clients list --name interrupted");
}
