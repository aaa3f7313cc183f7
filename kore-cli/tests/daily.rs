//! `kore` for daily use: profiles, completions and the man page, stdout as
//! data, colour, list filters, tables for people, help that teaches, and a
//! real terminal.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use common::{Mock, exits, kore, ndjson, profile, stderr, stdout};
use kore_mock::{ClientFixture, Route};
use kore_testkit::config::ConfigDir;
use kore_testkit::text::{assert_contains, assert_lacks};

/// `kore` with only the config file to go on (no `KORE_*` credentials).
fn with_config(path: &Path) -> assert_cmd::Command {
    let mut command = kore();
    command.env("KORE_CONFIG", path);
    command
}

/// A config file whose default profile points at `mock` with `secret`, with `mode`.
fn default_profile(dir: &ConfigDir, mock: &Mock, secret: &str, mode: u32) -> std::path::PathBuf {
    let text = format!("[profiles.default]\n{}", profile(mock, secret));
    dir.file("config.toml", &text, mode)
}

/// `command`'s stderr; it must exit with `code` and say `says` there.
fn fails_saying(command: &mut assert_cmd::Command, code: i32, says: &str) -> String {
    let output = command.output().unwrap();
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{errors}");
    assert_contains(&errors, says);
    errors
}

#[test]
fn the_default_profile_is_used_and_others_are_picked_by_name() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    let text = format!(
        "[profiles.default]\n{}\n[profiles.broken]\n{}",
        profile(&mock, mock.mock.client_secret()),
        profile(&mock, "wrong-secret")
    );
    let path = dir.config(&text);
    with_config(&path).arg("ping").assert().success();
    let broken = exits(3, with_config(&path).args(["--profile", "broken", "ping"]));
    assert!(!stderr(&broken).contains("wrong-secret"));
    with_config(&path)
        .env("KORE_PROFILE", "broken")
        .arg("ping")
        .assert()
        .code(3);
    fails_saying(
        with_config(&path).args(["--profile", "nope", "ping"]),
        2,
        "profiles there: broken, default",
    );
}

#[test]
fn flags_beat_the_environment_which_beats_the_profile() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    let path = default_profile(&dir, &mock, "wrong-secret", 0o600);
    // A pair from the environment wins over the profile's (wrong) pair; the
    // profile named on the command line still lends its endpoints.
    with_config(&path)
        .env("KORE_CLIENT_ID", mock.mock.client_id())
        .env("KORE_CLIENT_SECRET", mock.mock.client_secret())
        .args(["--profile", "default", "ping"])
        .assert()
        .success();
    // A flag's base URL wins over the environment's and the profile's.
    let closed = format!("http://127.0.0.1:{}", common::closed_port());
    let pair = |command: &mut assert_cmd::Command| {
        command
            .env("KORE_CLIENT_ID", mock.mock.client_id())
            .env("KORE_CLIENT_SECRET", mock.mock.client_secret())
            .env("KORE_TOKEN_URL", mock.mock.token_url());
    };
    let mut env_wins = with_config(&path);
    pair(&mut env_wins);
    env_wins
        .env("KORE_BASE_URL", &closed)
        .args(["--profile", "default", "ping"])
        .assert()
        .code(6);
    let mut flag_wins = with_config(&path);
    pair(&mut flag_wins);
    flag_wins
        .env("KORE_BASE_URL", &closed)
        .args(["--base-url", &mock.mock.base_url(), "ping"])
        .assert()
        .success();
}

#[test]
fn an_id_and_a_secret_from_different_places_are_refused() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    let path = default_profile(&dir, &mock, mock.mock.client_secret(), 0o600);
    for (variable, value) in [
        ("KORE_CLIENT_SECRET", mock.mock.client_secret()),
        ("KORE_CLIENT_ID", mock.mock.client_id()),
    ] {
        fails_saying(
            with_config(&path).env(variable, value).arg("ping"),
            2,
            "only used with its own",
        );
    }
    assert_eq!(mock.mock.requests(Route::Token), 0, "nothing was sent");
}

#[test]
fn a_config_file_others_can_change_is_refused_even_without_a_secret() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    let path = dir.file(
        "config.toml",
        &format!(
            "[profiles.default]\nclient_id = \"x\"\nclient_secret_command = \"printf s\"\ntoken_url = \"{}\"\n",
            mock.mock.token_url()
        ),
        0o666,
    );
    fails_saying(
        with_config(&path).arg("ping"),
        2,
        "can be changed by other users",
    );
}

#[test]
fn a_config_file_with_a_secret_readable_by_others_is_refused() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    let path = default_profile(&dir, &mock, mock.mock.client_secret(), 0o644);
    let errors = fails_saying(
        with_config(&path).arg("ping"),
        2,
        &format!("run: chmod 600 {}", path.display()),
    );
    assert!(!errors.contains(mock.mock.client_secret()));
    assert_eq!(mock.mock.requests(Route::Token), 0, "nothing was sent");
}

#[test]
fn a_profile_can_take_its_secret_from_a_file_or_a_command() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    let secret_file = dir.file("secret", &format!("{}\n", mock.mock.client_secret()), 0o600);
    let endpoints = format!(
        "client_id = \"{}\"\nbase_url = \"{}\"\ntoken_url = \"{}\"\n",
        mock.mock.client_id(),
        mock.mock.base_url(),
        mock.mock.token_url()
    );
    let text = format!(
        "[profiles.file]\n{endpoints}client_secret_file = \"{}\"\n\n[profiles.command]\n{endpoints}client_secret_command = \"printf %s {}\"\n",
        secret_file.display(),
        mock.mock.client_secret()
    );
    // No inline secret: a readable config file is fine.
    let path = dir.file("config.toml", &text, 0o644);
    with_config(&path)
        .args(["--profile", "file", "ping"])
        .assert()
        .success();
    with_config(&path)
        .args(["--profile", "command", "ping"])
        .assert()
        .success();
    // A secret file others can read is refused like a config file.
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o640)).unwrap();
    with_config(&path)
        .args(["--profile", "file", "ping"])
        .assert()
        .code(2);
}

#[test]
fn configure_writes_a_private_profile_and_keeps_the_others() {
    let mock = Mock::start();
    let dir = ConfigDir::new();
    let path = dir.config("[profiles.keep]\nclient_id = \"other\"\n");
    let input = format!(
        "{}\n{}\n{}\n{}\n",
        mock.mock.client_id(),
        mock.mock.client_secret(),
        mock.mock.base_url(),
        mock.mock.token_url()
    );
    let output = exits(
        0,
        with_config(&path)
            .args(["configure", "--profile", "ci"])
            .write_stdin(input),
    );
    assert_eq!(stdout(&output), "");
    assert!(!stderr(&output).contains(mock.mock.client_secret()));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let written = std::fs::read_to_string(&path).unwrap();
    assert_contains(&written, "[profiles.keep]");
    with_config(&path)
        .args(["--profile", "ci", "ping"])
        .assert()
        .success();

    // A new file in a new directory: created private.
    let fresh = dir.path().join("new").join("config.toml");
    with_config(&fresh)
        .arg("configure")
        .write_stdin(format!("id\nsecret\n{}\n\n", mock.mock.base_url()))
        .assert()
        .success();
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        std::fs::read_to_string(&fresh)
            .unwrap()
            .contains("[profiles.default]")
    );
}

#[test]
fn completions_and_the_man_page_go_to_stdout() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = kore().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let script = stdout(&output);
        assert!(script.contains("kore"), "{shell}");
        assert!(
            script.contains("clients"),
            "{shell}: subcommands are completed"
        );
        assert_eq!(stderr(&output), "");
    }
    let man = exits(0, kore().arg("man"));
    let page = stdout(&man);
    assert!(
        page.starts_with(".ie") || page.contains(".TH kore"),
        "{page}"
    );
    assert!(page.contains("configure"));
}

#[test]
fn every_format_writes_only_data_to_stdout() {
    let mock = Mock::with_clients(23);
    let run = |args: &[&str]| {
        let output = mock.kore().args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        output
    };
    let list = ["clients", "list", "--page-size", "10"];
    for extra in [&["--page", "2"][..], &["--all"]] {
        let args = |format: &'static str| {
            let mut args = list.to_vec();
            args.extend_from_slice(extra);
            args.extend(["--output", format]);
            args
        };
        let json = run(&args("json"));
        serde_json::from_str::<serde_json::Value>(&stdout(&json)).expect("one JSON document");
        let lines = run(&args("ndjson"));
        assert!(!ndjson(&lines).is_empty());
        let names = run(&args("name"));
        assert!(
            stdout(&names).lines().all(|l| l.starts_with("apiclient_")),
            "{}",
            stdout(&names)
        );
        let table = run(&args("table"));
        assert!(
            stdout(&table)
                .lines()
                .skip(1)
                .all(|l| l.starts_with("apiclient_"))
        );
    }
    let id = stdout(&run(&["clients", "list", "--output", "name"]))
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        stdout(&run(&["clients", "get", &id, "-o", "name"])),
        format!("{id}\n")
    );
}

#[test]
fn a_listing_that_fails_midway_still_prints_one_json_document() {
    let mock = Mock::with_clients(30);
    mock.mock.faults().script(
        Route::ListClients,
        [kore_mock::Fault::Pass, kore_mock::Fault::Status(404)],
    );
    let output = mock.run("clients list --all --page-size 10 -o json");
    assert_eq!(output.status.code(), Some(4));
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        parsed.as_array().unwrap().len(),
        10,
        "the clients before the error"
    );
}

#[test]
fn create_output_name_needs_a_secret_file() {
    let mock = Mock::start();
    let create = "clients create --name x --product super-sim -o name";
    let output = mock.run(create);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(mock.mock.requests(Route::CreateClient), 0);
    let dir = ConfigDir::new();
    let path = dir.path().join("s");
    let output = mock.succeeds(&format!("{create} --secret-file {}", path.display()));
    let id = stdout(&output);
    assert!(
        id.starts_with("apiclient_") && id.lines().count() == 1,
        "{id}"
    );
}

#[test]
fn colour_follows_the_flag_no_color_and_clicolor_force() {
    let failing = || {
        let mut command = kore();
        command.args(["--client-id", "x", "ping"]);
        command
    };
    let has_escape = |output: &std::process::Output| stderr(output).contains('\u{1b}');
    // Not a terminal: no colour by default.
    assert!(!has_escape(&failing().output().unwrap()));
    assert!(has_escape(
        &failing().arg("--color=always").output().unwrap()
    ));
    assert!(has_escape(
        &failing().env("CLICOLOR_FORCE", "1").output().unwrap()
    ));
    assert!(!has_escape(
        &failing()
            .env("CLICOLOR_FORCE", "1")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    ));
    assert!(!has_escape(
        &failing()
            .env("CLICOLOR_FORCE", "1")
            .arg("--color=never")
            .output()
            .unwrap()
    ));
}

#[test]
fn list_filters_apply_while_streaming() {
    let mock = Mock::with_clients(5);
    let fixtures = [
        ClientFixture::named("fleet-east").locked(true),
        ClientFixture::named("fleet-west"),
        ClientFixture::named("billing"),
    ];
    mock.mock.add_clients(fixtures).unwrap();
    let names = |args: &[&str]| -> Vec<String> {
        let output = exits(
            0,
            mock.kore()
                .args(["clients", "list", "--page-size", "2", "-o", "ndjson"])
                .args(args),
        );
        ndjson(&output)
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&["--name", "billing"]), ["billing"]);
    assert_eq!(
        names(&["--name-contains", "fleet"]),
        ["fleet-east", "fleet-west"]
    );
    assert_eq!(
        names(&["--name-contains", "fleet", "--locked", "false"]),
        ["fleet-west"]
    );
    let sequential = names(&["--all"]);
    assert_eq!(sequential.len(), 8);
    assert_eq!(
        names(&["--all", "--concurrency", "4"]),
        sequential,
        "same clients, same order"
    );
}

#[test]
fn tables_align_wide_characters_and_escape_bidi_overrides() {
    let mock = Mock::with_clients(0);
    mock.mock
        .add_clients([
            ClientFixture::named("車両管理").client_id("apiclient_cjk"),
            ClientFixture::named("evil\u{202E}txt.exe").client_id("apiclient_bidi"),
            ClientFixture::named("plain").client_id("apiclient_plain"),
        ])
        .unwrap();
    let text = stdout(&mock.succeeds("clients list"));
    assert_lacks(&text, "\u{202E}");
    assert_contains(&text, "evil\\u{202e}txt.exe");
    // TYPE starts in the same screen column on every line.
    let column = |line: &str| {
        let at = line.find("standard").or_else(|| line.find("TYPE")).unwrap();
        unicode_width::UnicodeWidthStr::width(&line[..at])
    };
    let columns: Vec<usize> = text.lines().map(column).collect();
    assert!(
        columns.windows(2).all(|w| w[0] == w[1]),
        "{columns:?}\n{text}"
    );
}

#[test]
fn relative_dates_on_request() {
    let mock = Mock::with_clients(3);
    let output = mock.succeeds("clients list --time-format relative");
    assert!(
        stdout(&output).lines().skip(1).all(|l| l.ends_with(" ago")),
        "{}",
        stdout(&output)
    );
}

#[test]
fn every_help_has_examples_and_the_version_names_the_api() {
    for command in [
        &["ping"][..],
        &["configure"],
        &["completions"],
        &["man"],
        &["mock"],
        &["clients", "list"],
        &["clients", "get"],
        &["clients", "create"],
    ] {
        let output = kore().args(command).arg("--help").output().unwrap();
        assert!(output.status.success(), "{command:?}");
        assert!(stdout(&output).contains("Examples:"), "{command:?}");
    }
    let version = stdout(&kore().arg("--version").output().unwrap());
    assert_eq!(
        version,
        format!(
            "kore {} (KORE Client API {})\n",
            env!("CARGO_PKG_VERSION"),
            kore_clients::API_VERSION
        )
    );
}

/// Runs `kore` in a pseudo-terminal (`script` from util-linux), returning
/// everything it drew and the screen that remains.
fn in_terminal(mock: &Mock, args: &str) -> (String, String) {
    let command = format!(
        "{} --base-url {} --token-url {} {args}",
        assert_cmd::cargo::cargo_bin("kore").display(),
        mock.mock.base_url(),
        mock.mock.token_url()
    );
    let output = std::process::Command::new("script")
        .args(["-q", "-e", "-f", "-c", &command, "/dev/null"])
        .env("KORE_CLIENT_ID", mock.mock.client_id())
        .env("KORE_CLIENT_SECRET", mock.mock.client_secret())
        .env("KORE_CONFIG", common::no_config())
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("`script` (util-linux) runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let raw = String::from_utf8_lossy(&output.stdout).into_owned();
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("non-zero");
    let mut parser = vt100::Parser::new(size(500), size(200), 0);
    parser.process(&output.stdout);
    (raw, parser.screen().contents())
}

#[test]
fn on_a_terminal_the_progress_line_disappears_and_the_lines_stay_clean() {
    let mock = Mock::with(
        kore_mock::MockKore::builder()
            .clients(120)
            .latency(Route::ListClients, std::time::Duration::from_millis(250)),
    );
    let (raw, screen) = in_terminal(&mock, "clients list --all --page-size 20 --output ndjson");
    assert!(
        raw.contains("fetching clients"),
        "the progress line was drawn while pages arrived"
    );
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 120, "{screen}");
    for line in &lines {
        let client: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        assert!(
            client["client_id"]
                .as_str()
                .unwrap()
                .starts_with("apiclient_")
        );
    }
    assert!(
        !screen.contains("fetching clients"),
        "the progress line is gone"
    );
}
