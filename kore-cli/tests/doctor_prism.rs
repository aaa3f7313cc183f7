//! `kore doctor` against Prism serving KORE's published spec
//! (`openapi/reference/kore_client_v1.json`), with kore-mock as the token
//! endpoint (the published Client API spec has none).
//!
//! Prism answers exactly as KORE's own, uncorrected spec says, so this shows
//! what the doctor reports for a server that follows the published spec to
//! the letter: it refuses `page_number=1` and `page_size=1` (the spec's
//! `exclusiveMinimum`), so the page corrections are `contradicted`; it
//! answers a create with an RFC 3339 date (the spec's `format: date-time`),
//! which is a `date-form` deviation and leaves the date correction
//! `not-observed`.
//!
//! Prism is an npm package: `.ci/run` installs it into `target/prism`
//! (`KORE_PRISM` names another binary). Without it this test fails under CI
//! (`CI` set) and says that it skipped otherwise.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Mock, exits, json, stderr, stdout};
use kore_testkit::text::{assert_contains, assert_lacks};
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("kore-cli sits in the workspace")
        .to_owned()
}

/// The Prism binary: `KORE_PRISM`, else `<target dir>/prism/node_modules/.bin/prism`.
fn prism_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("KORE_PRISM") {
        return Some(PathBuf::from(path));
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => workspace().join(dir),
        None => workspace().join("target"),
    };
    let path = target.join("prism/node_modules/.bin/prism");
    path.exists().then_some(path)
}

/// A running Prism, killed when dropped.
struct Prism {
    child: Child,
    port: u16,
}

impl Prism {
    fn start(binary: &Path, spec: &Path, log: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log_file = std::fs::File::create(log).expect("a log file");
        let child = Command::new(binary)
            .args(["mock", "--host", "127.0.0.1", "--port", &port.to_string()])
            .arg(spec)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("a log handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let prism = Prism { child, port };
        let deadline = Instant::now() + Duration::from_secs(90);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "Prism did not listen within 90 s:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        prism
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_of<'a>(report: &'a Value, id: &str) -> &'a Value {
    let correction = report["corrections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no correction {id}"));
    &correction["status"]
}

#[test]
fn the_doctor_against_prism_serving_kore_s_published_spec() {
    let Some(binary) = prism_binary() else {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "Prism is not installed: .ci/run installs it into target/prism \
             (npm install --prefix target/prism @stoplight/prism-cli@<the version in .ci/run>)"
        );
        eprintln!(
            "skipped: Prism is not installed (CI installs it; locally: npm install --prefix \
             target/prism @stoplight/prism-cli@5.14.2)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let prism = Prism::start(
        &binary,
        &workspace().join("openapi/reference/kore_client_v1.json"),
        &dir.path().join("prism.log"),
    );
    let tokens = Mock::start();
    let doctor = || {
        let mut command = common::kore();
        command
            .args(["--base-url", &prism.url()])
            .args(["--token-url", &tokens.mock.token_url()])
            .env("KORE_CLIENT_ID", tokens.mock.client_id())
            .env("KORE_CLIENT_SECRET", tokens.mock.client_secret());
        command
    };

    // Read-only, with the smallest page: Prism refuses page 1 and page size 1.
    let output = exits(
        5,
        doctor().args(["doctor", "--output", "json", "--page-size", "1"]),
    );
    let report = json(&output);
    assert_eq!(report["deviations"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["calls"][1]["status"], 200);
    assert_eq!(report["calls"][2]["status"], 400);
    assert!(report["calls"][3]["skipped"].is_string());
    for id in [
        "page-number-inclusive-minimum",
        "page-size-inclusive-minimum",
    ] {
        assert_eq!(status_of(&report, id), "contradicted", "{id}");
    }
    assert_eq!(status_of(&report, "page-urls-nullable"), "not-checked");
    assert_eq!(status_of(&report, "locked-nullable"), "not-checked");
    assert_eq!(status_of(&report, "name-client-list"), "not-applicable");
    assert_contains(&stderr(&output), "listClient (HTTP 400) did not succeed");

    // With one create: Prism's date follows the published `format: date-time`.
    let secret_file = dir.path().join("prism.secret");
    let output = exits(
        9,
        doctor()
            .args(["doctor", "--output", "json", "--include-create", "--yes"])
            .arg("--secret-file")
            .arg(&secret_file),
    );
    let report = json(&output);
    let deviations: Vec<(&str, &str, &str)> = report["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["operation"].as_str().unwrap(),
                d["pointer"].as_str().unwrap(),
                d["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        deviations,
        [("createClient", "/date_created", "date-form")],
        "{report:#}"
    );
    assert_eq!(report["calls"][4]["status"], 201);
    assert_eq!(
        status_of(&report, "created-date-not-date-time"),
        "not-observed"
    );
    assert_eq!(
        status_of(&report, "created-client-type-widened"),
        "not-observed"
    );
    assert_eq!(
        status_of(&report, "page-number-inclusive-minimum"),
        "contradicted"
    );
    // Prism's made-up secret went to the file, not to the report.
    let secret = std::fs::read_to_string(&secret_file).unwrap();
    assert!(!secret.is_empty());
    assert_lacks(&stdout(&output), "client_secret");
}
