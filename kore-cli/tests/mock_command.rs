//! `kore mock`: a server that stays up, usable by a second `kore`, and stops
//! on a signal.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Kills the child if the test fails midway, so no server outlives it.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn kore_mock_serves_until_interrupted() {
    let child = Command::new(env!("CARGO_BIN_EXE_kore"))
        .args(["mock", "--port", "0", "--clients", "7"])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);

    // Read the banner on a thread, so a silent server fails the test by
    // timeout instead of hanging it.
    let stdout = guard.0.stdout.take().unwrap();
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines_tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let mut banner = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !banner
        .iter()
        .any(|l: &String| l.starts_with("Press Ctrl-C"))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        banner.push(lines_rx.recv_timeout(left).expect("the banner within 30 s"));
    }
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
    let interrupted = Command::new("kill")
        .args(["-INT", &guard.0.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = guard.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "kore mock did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    guard
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    // The request log shows what the second kore did, without credentials.
    assert!(log.contains("path=\"/v1/clients\""), "{log}");
    assert!(!log.contains(kore_mock::DEFAULT_CLIENT_SECRET), "{log}");
    assert!(log.ends_with("kore-mock stopped\n"), "{log}");
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
