//! `kore` over HTTPS with a private CA and through a CONNECT proxy, as a user
//! behind a corporate network runs it: `--ca-cert`, `KORE_CA_CERT`, the
//! profile's `ca_cert` and `proxy`, the proxy variables, and the one error
//! (with its hint) a refused certificate gets.

mod common;

use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use common::{Mock, closed_port, exits, kore, stderr};
use kore_mock::MockKore;
use kore_mock::proxy::{ConnectProxy, Tunnel};
use kore_mock::tls::{SERVER_NAMES, TestCa};
use kore_testkit::text::{assert_contains, assert_lacks};
use tokio::runtime::Runtime;

/// An HTTPS mock with a private CA.
fn https_mock() -> Mock {
    Mock::with(MockKore::builder().tls(true))
}

fn ca_path(mock: &Mock) -> String {
    mock.mock
        .ca_cert_path()
        .expect("an HTTPS mock has a CA file")
        .display()
        .to_string()
}

/// A proxy on the mock's runtime-independent runtime of its own.
struct Proxy {
    proxy: ConnectProxy,
    _runtime: Runtime,
}

impl Proxy {
    fn start(credentials: Option<(&str, &str)>) -> Self {
        let runtime = kore_testkit::runtime::background();
        let proxy = runtime
            .block_on(async {
                match credentials {
                    Some((user, password)) => ConnectProxy::with_credentials(user, password).await,
                    None => ConnectProxy::start().await,
                }
            })
            .unwrap();
        Self {
            proxy,
            _runtime: runtime,
        }
    }
}

/// The one tunnel a run of `kore` against `mock` opens through a proxy.
fn one_tunnel_to(mock: &Mock) -> Vec<Tunnel> {
    vec![Tunnel {
        method: "CONNECT".into(),
        target: format!("127.0.0.1:{}", mock.mock.addr().port()),
    }]
}

/// `kore --ca-cert <the mock's CA> ARGS ping`.
/// `kore` for `mock` without the token cache: these tests count the token
/// requests and tunnels each command makes.
fn uncached(mock: &Mock) -> assert_cmd::Command {
    let mut command = mock.kore();
    command.env("KORE_TOKEN_CACHE", "off");
    command
}

fn ping_trusting(mock: &Mock, args: &[&str]) -> assert_cmd::Command {
    let mut command = uncached(mock);
    command
        .args(["--ca-cert", &ca_path(mock)])
        .args(args)
        .arg("ping");
    command
}

/// Writes a private config file with one `default` profile for `mock`, plus `extra` lines.
fn profile(dir: &Path, mock: &Mock, extra: &str) -> String {
    let path = dir.join("config.toml");
    let text = format!(
        "[profiles.default]\n{}{extra}",
        common::profile(mock, mock.mock.client_secret())
    );
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    path.display().to_string()
}

#[test]
fn the_ca_cert_flag_the_variable_and_ssl_cert_file_trust_a_private_ca() {
    let mock = https_mock();
    let ca = ca_path(&mock);
    for (flag, variable) in [
        (Some(ca.as_str()), None),
        (None, Some("KORE_CA_CERT")),
        (None, Some("SSL_CERT_FILE")),
    ] {
        let mut command = uncached(&mock);
        if let Some(flag) = flag {
            command.args(["--ca-cert", flag]);
        }
        if let Some(variable) = variable {
            command.env(variable, &ca);
        }
        let output = command.arg("ping").output().unwrap();
        assert!(output.status.success(), "{variable:?}: {}", stderr(&output));
        assert_eq!(stderr(&output), "");
    }
    assert_eq!(mock.mock.token_grants(), 3);
}

#[test]
fn a_profiles_ca_cert_is_read_relative_to_the_config_file() {
    let mock = https_mock();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(ca_path(&mock), dir.path().join("corporate-ca.pem")).unwrap();
    let config = profile(dir.path(), &mock, "ca_cert = \"corporate-ca.pem\"\n");
    exits(0, kore().env("KORE_CONFIG", &config).arg("ping"));
}

#[test]
fn an_untrusted_certificate_is_one_handshake_one_error_with_a_hint_and_exit_6() {
    let mock = https_mock();
    let output = exits(6, uncached(&mock).arg("ping"));
    let port = mock.mock.addr().port();
    assert_eq!(
        stderr(&output),
        format!(
            "error: ping: the TLS certificate of 127.0.0.1:{port} is not issued by a trusted CA (unknown issuer) (the token endpoint); not retried\n\
             hint: if KORE is reached through a private CA or a TLS-inspecting proxy, trust that CA's certificate (PEM) with --ca-cert FILE, KORE_CA_CERT or the profile's ca_cert (SSL_CERT_FILE replaces the system's CAs)\n"
        ),
        "only our own two lines, no log line of the TLS stack"
    );
    assert_eq!(mock.mock.connections(), 1, "one handshake, no retry");

    // From -v on, the TLS stack's own words appear as well.
    let verbose = exits(6, uncached(&mock).args(["-v", "ping"]));
    assert_contains(&stderr(&verbose), "failed to verify TLS certificate");
}

#[test]
fn an_expired_api_certificate_names_the_api_host_and_the_clock() {
    let tokens = Mock::start();
    let ca = TestCa::new().unwrap();
    let api =
        Mock::with(MockKore::builder().tls_identity(ca.issue_expired(&SERVER_NAMES).unwrap()));
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let output = exits(
        6,
        kore()
            .env("KORE_CLIENT_ID", tokens.mock.client_id())
            .env("KORE_CLIENT_SECRET", tokens.mock.client_secret())
            .args(["--token-url", &tokens.mock.token_url()])
            .args(["--base-url", &api.mock.base_url(), "--ca-cert"])
            .arg(&ca_file)
            .args(["clients", "list"]),
    );
    let shown = stderr(&output);
    assert!(
        shown.starts_with(&format!(
            "error: list clients: the TLS certificate of 127.0.0.1:{} has expired; not retried\nhint: check this machine's clock",
            api.mock.addr().port()
        )),
        "{shown}"
    );
    assert_eq!(api.mock.connections(), 1);
}

#[test]
fn a_ca_file_that_is_not_a_certificate_exits_2_before_any_request() {
    let mock = https_mock();
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("ca.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let output = exits(2, uncached(&mock).arg("--ca-cert").arg(&junk).arg("ping"));
    let shown = stderr(&output);
    assert!(
        shown.contains(&format!(
            "the CA certificate file {} holds no PEM certificate",
            junk.display()
        )) && shown
            .contains("hint: --ca-cert, KORE_CA_CERT and the profile's ca_cert name a PEM file"),
        "{shown}"
    );
    assert_eq!(mock.mock.connections(), 0);
}

#[test]
fn the_proxy_variables_carry_token_and_api_through_one_tunnel() {
    for variable in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"] {
        let mock = https_mock();
        let proxy = Proxy::start(None);
        let output = uncached(&mock)
            .args(["--ca-cert", &ca_path(&mock), "clients", "list"])
            .env(variable, proxy.proxy.url())
            .output()
            .unwrap();
        assert!(output.status.success(), "{variable}: {}", stderr(&output));
        assert_eq!(proxy.proxy.tunnels(), one_tunnel_to(&mock), "{variable}");
        assert_eq!(mock.mock.connections(), 1, "{variable}");
    }
}

#[test]
fn http_proxy_carries_clear_text_requests() {
    let mock = Mock::start();
    let proxy = Proxy::start(None);
    exits(
        0,
        uncached(&mock)
            .arg("ping")
            .env("HTTP_PROXY", proxy.proxy.url()),
    );
    let tunnels = proxy.proxy.tunnels();
    assert_eq!(tunnels.len(), 1, "{tunnels:?}");
    assert_eq!(tunnels[0].method, "POST", "the token request came first");
    assert_eq!(
        tunnels[0].target,
        format!("127.0.0.1:{}", mock.mock.addr().port())
    );
}

#[test]
fn no_proxy_exempts_the_hosts_it_lists() {
    let mock = https_mock();
    let proxy = Proxy::start(None);
    for exempt in ["127.0.0.1", "localhost,127.0.0.1", "*"] {
        let output = ping_trusting(&mock, &[])
            .env("HTTPS_PROXY", proxy.proxy.url())
            .env("NO_PROXY", exempt)
            .output()
            .unwrap();
        assert!(output.status.success(), "{exempt}: {}", stderr(&output));
    }
    assert!(
        proxy.proxy.tunnels().is_empty(),
        "{:?}",
        proxy.proxy.tunnels()
    );
    // --proxy honours NO_PROXY as well.
    exits(
        0,
        ping_trusting(&mock, &["--proxy", &proxy.proxy.url()]).env("NO_PROXY", "127.0.0.1"),
    );
    assert!(proxy.proxy.tunnels().is_empty());
}

#[test]
fn the_proxy_flag_and_the_profile_override_the_variables_and_no_proxy_ignores_them() {
    let mock = https_mock();
    let proxy = Proxy::start(None);
    let nowhere = format!("http://127.0.0.1:{}", closed_port());

    let output = ping_trusting(&mock, &["--proxy", &proxy.proxy.url()])
        .env("HTTPS_PROXY", &nowhere)
        .output()
        .unwrap();
    assert!(output.status.success(), "--proxy: {}", stderr(&output));
    assert_eq!(proxy.proxy.tunnels().len(), 1);

    let dir = tempfile::tempdir().unwrap();
    let config = profile(
        dir.path(),
        &mock,
        &format!(
            "ca_cert = {:?}\nproxy = {:?}\n",
            ca_path(&mock),
            proxy.proxy.url()
        ),
    );
    let output = kore()
        .env("KORE_CONFIG", &config)
        .env("HTTPS_PROXY", &nowhere)
        .arg("ping")
        .output()
        .unwrap();
    assert!(output.status.success(), "profile: {}", stderr(&output));
    assert_eq!(proxy.proxy.tunnels().len(), 2);

    let output = ping_trusting(&mock, &["--no-proxy"])
        .env("HTTPS_PROXY", &nowhere)
        .output()
        .unwrap();
    assert!(output.status.success(), "--no-proxy: {}", stderr(&output));
    assert_eq!(proxy.proxy.tunnels().len(), 2, "--no-proxy went direct");
}

#[test]
fn proxy_credentials_never_appear_in_logs_or_errors() {
    let password = "pr0xy-pa55w0rd";
    let mock = https_mock();
    let proxy = Proxy::start(Some(("kore", password)));
    let with = |credentials: &str| {
        proxy
            .proxy
            .url()
            .replace("http://", &format!("http://{credentials}@"))
    };

    let output = exits(
        0,
        ping_trusting(&mock, &["-vv"]).env("HTTPS_PROXY", with(&format!("kore:{password}"))),
    );
    assert_lacks(&stderr(&output), password);
    assert_eq!(proxy.proxy.tunnels().len(), 1);

    let wrong = "wr0ng-pa55w0rd";
    let output = exits(
        6,
        &mut ping_trusting(&mock, &["-vv", "--proxy", &with(&format!("kore:{wrong}"))]),
    );
    let shown = stderr(&output);
    assert!(
        !shown.contains(wrong) && !shown.contains(password),
        "{shown}"
    );
    assert!(
        shown.contains("error: ping: the proxy refused the tunnel (the token endpoint) (HTTP 407 Proxy Authentication Required)")
            && shown.contains("hint: give the proxy's credentials in its URL"),
        "{shown}"
    );
    assert_eq!(proxy.proxy.refused(), 1, "a 407 is not retried");
}

#[test]
fn connection_flags_are_refused_for_kore_mock_and_with_mock() {
    for argv in [
        &["mock", "--ca-cert", "ca.pem"][..],
        &["mock", "--proxy", "http://127.0.0.1:1"],
        &["mock", "--no-proxy"],
        &["--mock", "--ca-cert", "ca.pem", "ping"],
        &["--proxy", "http://127.0.0.1:1", "--no-proxy", "ping"],
    ] {
        let output = kore().args(argv).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{argv:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn kore_doctor_probes_through_the_same_ca_and_proxy() {
    let mock = https_mock();
    let proxy = Proxy::start(None);
    let output = exits(
        0,
        uncached(&mock)
            .args(["--ca-cert", &ca_path(&mock), "--proxy", &proxy.proxy.url()])
            .args(["doctor", "--output", "json"]),
    );
    assert_eq!(common::json(&output)["deviations"], serde_json::json!([]));
    let tunnels = proxy.proxy.tunnels();
    assert!(
        !tunnels.is_empty() && tunnels.iter().all(|t| one_tunnel_to(&mock).contains(t)),
        "every call and probe went through the proxy: {tunnels:?}"
    );
}
