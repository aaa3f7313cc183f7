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
    assert_eq!(
        stderr(&output),
        format!("note: the secret is in {} (mode 0600)\n", path.display()),
        "where the secret went is a note for the reader, not data"
    );
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

/// Runs `kore` with the mock's credentials, its stdout a pipe whose reading
/// end is closed before anything is written: a consumer that left early
/// (`kore … | head -c 0`).
fn with_closed_stdout(mock: &Mock, args: &[String]) -> std::process::Output {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kore"))
        .args([
            "--base-url",
            &mock.mock.base_url(),
            "--token-url",
            &mock.mock.token_url(),
        ])
        .args(args)
        .env("KORE_CLIENT_ID", mock.mock.client_id())
        .env("KORE_CLIENT_SECRET", mock.mock.client_secret())
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_secret_that_cannot_reach_a_closed_stdout_exits_7_with_the_client_id() {
    let mock = Mock::start();
    for format in ["table", "json"] {
        let mut args = create_args("piped-bot");
        args.extend(["--output".into(), format.into()]);
        let output = with_closed_stdout(&mock, &args);
        assert_eq!(
            output.status.code(),
            Some(7),
            "{format}: {}",
            stderr(&output)
        );
        let errors = stderr(&output);
        assert!(
            errors.contains("was created, but its one-time secret could not be delivered"),
            "{errors}"
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
    let output = with_closed_stdout(&mock, &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "", "quietly");
}

#[test]
fn a_timed_out_create_exits_8_and_says_how_to_check() {
    let mock = Mock::start();
    mock.mock.faults().push(
        Route::CreateClient,
        Fault::Delay(std::time::Duration::from_secs(3)),
    );
    let output = mock
        .kore()
        .args(["--timeout", "500ms"])
        .args(create_args("slow bot"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(8), "{}", stderr(&output));
    let errors = stderr(&output);
    assert!(errors.contains("outcome unknown"), "{errors}");
    assert!(
        errors.contains("kore clients list --name 'slow bot'"),
        "{errors}"
    );
    assert!(!errors.contains("retry later"), "{errors}");
    assert_eq!(mock.mock.requests(Route::CreateClient), 1, "never repeated");
    assert_eq!(stdout(&output), "");
}

#[test]
fn list_name_finds_what_a_create_made() {
    let mock = Mock::with_clients(120);
    mock.kore().args(create_args("needle")).assert().success();
    let output = mock
        .kore()
        .args(["clients", "list", "--name", "needle", "--output", "ndjson"])
        .output()
        .unwrap();
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
    let first = mock.kore().args(&args).output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(stdout(&first).contains("client_secret"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    let second = mock
        .kore()
        .args(&args)
        .arg("--secret-file")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("provisioned"),
        "{}",
        stdout(&second)
    );
    assert!(!stdout(&second).contains("client_secret"));
    assert!(
        stderr(&second).contains("already exists"),
        "{}",
        stderr(&second)
    );
    assert!(!path.exists(), "no secret, no file");
    assert_eq!(mock.mock.requests(Route::CreateClient), 1);
}

#[test]
fn ctrl_c_during_a_create_leaves_no_secret_file() {
    let mock = Mock::start();
    mock.mock.faults().push(
        Route::CreateClient,
        Fault::Delay(std::time::Duration::from_secs(20)),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kore"))
        .args([
            "--base-url",
            &mock.mock.base_url(),
            "--token-url",
            &mock.mock.token_url(),
        ])
        .args(create_args("interrupted"))
        .arg("--secret-file")
        .arg(&path)
        .env("KORE_CLIENT_ID", mock.mock.client_id())
        .env("KORE_CLIENT_SECRET", mock.mock.client_secret())
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the create is on its way (the file is reserved first).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while mock.mock.requests(Route::CreateClient) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the create never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(path.exists(), "reserved while the request is out");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(
        !path.exists(),
        "an interrupted create leaves no empty secret file"
    );
    let errors = stderr(&output);
    assert!(
        errors.contains("interrupted before KORE answered"),
        "{errors}"
    );
    assert!(
        errors.contains("kore clients list --name interrupted"),
        "{errors}"
    );
}
