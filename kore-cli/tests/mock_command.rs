//! `kore mock`: kore-mock's own server, flags and banner; a server that stays up,
//! usable by a second `kore`, and stops cleanly on a signal.

mod common;

use std::collections::HashMap;
use std::io::Read as _;
use std::process::Command;
use std::time::Duration;

use clap::Parser as _;
use kore_testkit::process::Spawned;
use kore_testkit::text::{assert_contains, assert_lacks};

/// `kore mock args…`, running.
fn serve(args: &[&str]) -> Spawned {
    Spawned::start(
        Command::new(env!("CARGO_BIN_EXE_kore"))
            .arg("mock")
            .args(args),
    )
}

/// A plain HTTP/1.1 GET to the mock on 127.0.0.1; the whole response as text.
fn http_get(base_url: &str, path: &str) -> String {
    use std::io::Write as _;
    let authority = base_url.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn kore_mock_serves_until_interrupted() {
    let mut serving = serve(&["--port", "0", "--clients", "7"]);
    let banner = serving.lines_through("Press Ctrl-C");
    let exports: HashMap<String, String> = banner
        .iter()
        .filter_map(|line| line.trim().strip_prefix("export "))
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    assert_eq!(exports.len(), 4, "{banner:?}");
    assert!(exports["KORE_BASE_URL"].starts_with("http://127.0.0.1:"));

    // A second kore, configured only by the exported variables.
    let mut listing = common::kore();
    for (name, value) in &exports {
        listing.env(name, value);
    }
    let output = listing
        .args(["clients", "list", "-o", "ndjson"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(common::ndjson(&output).len(), 7);

    // Ctrl-C is SIGINT.
    serving.signal("INT");
    let (status, _) = serving.exit_within(Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let (_, log) = serving.rest();
    // The request log shows what the second kore did, without credentials.
    assert_contains(&log, "path=\"/v1/clients\"");
    assert_lacks(&log, kore_mock::DEFAULT_CLIENT_SECRET);
    assert!(log.ends_with("kore-mock stopped\n"), "{log}");
}

/// `kore mock` and the `kore-mock` binary are one front end: the same flags parse into
/// kore-mock's own `Args`, and the banner is kore-mock's banner, word for word.
#[test]
fn the_banner_is_kore_mock_s_own() {
    #[derive(clap::Parser)]
    struct KoreMock {
        #[command(flatten)]
        args: kore_mock::cli::Args,
    }
    let flags = [
        "--port",
        "0",
        "--clients",
        "4",
        "--seed",
        "9",
        "--host",
        "0.0.0.0",
    ];
    let mut serving = serve(&flags);
    let banner = serving.lines_through("Press Ctrl-C").join("\n") + "\n";
    let port = banner
        .lines()
        .find_map(|line| line.trim().strip_prefix("base URL:"))
        .and_then(|url| url.trim().rsplit_once(':'))
        .map(|(_, port)| port.to_owned())
        .expect("a base URL in the banner");

    let KoreMock { args } = KoreMock::parse_from(std::iter::once("kore-mock").chain(flags));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let expected = runtime.block_on(async {
        // kore-mock's banner for the same flags, from a server on 127.0.0.1 (a test
        // listens nowhere else), moved to the child's address.
        let mock = args
            .builder()
            .addr("127.0.0.1:0".parse().unwrap())
            .start()
            .await;
        kore_mock::cli::banner(&mock, &args)
            .replace(&mock.base_url(), &format!("http://127.0.0.1:{port}"))
            .replace(
                &format!("listening on {}", mock.addr()),
                &format!("listening on 0.0.0.0:{port}"),
            )
    });
    assert_eq!(banner, expected);
    assert!(
        banner.contains("answers loopback peers only"),
        "a non-loopback host is announced: {banner}"
    );
    serving.signal("TERM");
    assert!(serving.exit_within(Duration::from_secs(30)).0.success());
}

#[test]
fn json_prints_one_readiness_line_and_sigterm_stops_it_within_a_second() {
    let mut serving = serve(&["--port", "0", "--json", "--seed", "3"]);
    let ready: serde_json::Value = serde_json::from_str(&serving.line()).unwrap();
    let base_url = ready["base_url"].as_str().unwrap();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{ready}");
    assert_eq!(ready["admin_url"], format!("{base_url}/_mock"));
    assert_eq!(ready["client_id"], kore_mock::DEFAULT_CLIENT_ID);

    // The admin API is there, without a token.
    let health = http_get(base_url, "/_mock/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health.ends_with(r#"{"clients":25,"status":"ok"}"#),
        "{health}"
    );

    serving.signal("TERM");
    let (status, took) = serving.exit_within(Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(1), "SIGTERM took {took:?}");
    let (more, _) = serving.rest();
    assert!(
        more.is_empty(),
        "stdout had more than the JSON line: {more:?}"
    );
}

#[test]
fn global_flags_about_kore_are_refused_with_exit_2() {
    for args in [
        &["--timeout", "5", "mock"][..],
        &["mock", "--base-url", "https://client.api.example"],
        &["--client-id", "me", "mock"],
    ] {
        common::kore()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("does not apply to `kore mock`"));
    }
}

#[test]
fn a_taken_port_exits_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    common::kore()
        .args(["mock", "--port", &port])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "kore-mock cannot listen on 127.0.0.1:",
        ));
}
