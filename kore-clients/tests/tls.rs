//! The SDK over HTTPS with a private CA, through a CONNECT proxy: trust, the
//! certificate failures and how often they are tried, connection reuse.
//!
//! A test binary of its own, so that CI can run it once more with the other TLS
//! backend: `cargo test -p kore-clients --no-default-features --features native-tls --test tls`.

#[path = "common/mod.rs"]
mod common;

use kore_clients::{CertificateProblem, Error, ExposeSecret as _, NewClient, Product};
use kore_mock::proxy::ConnectProxy;
use kore_mock::tls::{SERVER_NAMES, TestCa};
use kore_mock::{MockKore, MockKoreBuilder};
use kore_testkit::text::assert_contains;

/// An HTTPS mock with a CA of its own, and a `Kore` that trusts that CA.
async fn trusted(mock: MockKoreBuilder) -> (MockKore, kore_clients::Kore) {
    let mock = mock.tls(true).start().await;
    let kore = common::builder_for(&mock)
        .ca_cert_file(mock.ca_cert_path().expect("an HTTPS mock has a CA file"))
        .build()
        .expect("valid configuration");
    (mock, kore)
}

/// The address part of a mock's URL, as a certificate failure names it.
fn host_of(mock: &MockKore) -> String {
    format!("127.0.0.1:{}", mock.addr().port())
}

#[tokio::test]
async fn token_list_create_and_get_work_over_https_with_a_private_ca() {
    let (mock, kore) = trusted(MockKore::builder().clients(30)).await;
    assert!(
        mock.base_url().starts_with("https://"),
        "{}",
        mock.base_url()
    );
    kore.ping().await.expect("ping over HTTPS");
    let page = kore.clients().list().page_size(10).send().await.unwrap();
    assert_eq!(page.clients().len(), 10);
    let all = common::CollectAll::all(kore.clients().list().page_size(7)).await;
    assert_eq!(all.len(), 30, "next_page_url is followed over https");
    let created = kore
        .clients()
        .create(NewClient::new("tls-bot").product(Product::SuperSim))
        .await
        .unwrap();
    assert!(!created.client_secret().expose_secret().is_empty());
    let id = created.client_id();
    let fetched = kore.clients().get(id).await.unwrap();
    assert_eq!(fetched.name(), Some("tls-bot"));
    assert_eq!(mock.token_grants(), 1);
}

#[tokio::test]
async fn a_hundred_calls_and_their_token_share_one_tls_connection() {
    let (mock, kore) = trusted(MockKore::builder()).await;
    for _ in 0..100 {
        kore.ping().await.unwrap();
    }
    assert_eq!(mock.requests(kore_mock::Route::Ping), 100);
    assert_eq!(mock.token_grants(), 1);
    assert_eq!(
        mock.connections(),
        1,
        "the token request and 100 API calls to one host: one TLS handshake"
    );
}

#[tokio::test]
async fn a_ca_given_as_pem_text_is_trusted_too() {
    let mock = MockKore::builder().tls(true).start().await;
    let kore = common::builder_for(&mock)
        .ca_cert_pem(mock.ca_cert_pem().unwrap())
        .build()
        .unwrap();
    kore.ping().await.unwrap();
}

#[tokio::test]
async fn an_untrusted_token_endpoint_is_one_handshake_and_a_certificate_error() {
    let mock = MockKore::builder().tls(true).start().await;
    let kore = common::builder_for(&mock).build().unwrap(); // the CA is not trusted
    let error = kore.ping().await.unwrap_err();
    assert!(matches!(error, Error::Auth { .. }), "{error:?}");
    let refused = error.certificate().expect("a certificate failure");
    assert_eq!(refused.problem(), CertificateProblem::UnknownIssuer);
    assert_eq!(refused.host(), Some(host_of(&mock).as_str()));
    assert!(error.is_certificate() && !error.is_retryable());
    let shown = error.to_string();
    assert!(
        shown.contains(&format!(
            "the TLS certificate of {} is not issued by a trusted CA (unknown issuer)",
            host_of(&mock)
        )) && shown.contains("KORE_CA_CERT"),
        "{shown}"
    );
    assert_eq!(mock.connections(), 1, "not retried: one handshake");
    assert_eq!(mock.requests(kore_mock::Route::Token), 0);
}

#[tokio::test]
async fn an_untrusted_api_is_one_handshake_and_a_certificate_error() {
    // Tokens from a clear-text mock; the API behind a certificate nobody trusts.
    let tokens = MockKore::start().await;
    let api = MockKore::builder().tls(true).start().await;
    let kore = common::builder_for(&tokens)
        .base_url(api.base_url())
        .build()
        .unwrap();
    let error = kore.clients().list().send().await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    let refused = error.certificate().expect("a certificate failure");
    assert_eq!(refused.problem(), CertificateProblem::UnknownIssuer);
    assert_eq!(refused.host(), Some(host_of(&api).as_str()));
    assert!(!error.is_retryable());
    assert_contains(&error.to_string(), "ca_cert_file");
    assert_eq!(api.connections(), 1, "not retried: one handshake");
}

/// What a `Kore` trusting a fresh test CA gets from a mock serving the
/// identity `issue` has that CA issue, and how many connections the mock saw.
async fn ping_refused(
    issue: impl FnOnce(&TestCa) -> std::io::Result<kore_mock::tls::ServerIdentity>,
) -> (CertificateProblem, u64) {
    let ca = TestCa::new().unwrap();
    let identity = issue(&ca).unwrap();
    let mock = MockKore::builder().tls_identity(identity).start().await;
    let kore = common::builder_for(&mock)
        .ca_cert_pem(ca.cert_pem())
        .build()
        .unwrap();
    let error = kore.ping().await.unwrap_err();
    let refused = error
        .certificate()
        .unwrap_or_else(|| panic!("not a certificate failure: {error}"));
    (refused.problem(), mock.connections())
}

#[tokio::test]
async fn an_expired_certificate_is_reported_as_expired() {
    let refused = ping_refused(|ca| ca.issue_expired(&SERVER_NAMES)).await;
    assert_eq!(refused, (CertificateProblem::Expired, 1));
}

#[tokio::test]
async fn a_certificate_not_valid_yet_is_reported_as_such() {
    let refused = ping_refused(|ca| ca.issue_not_yet_valid(&SERVER_NAMES)).await;
    assert_eq!(refused, (CertificateProblem::NotYetValid, 1));
}

#[tokio::test]
async fn a_certificate_for_another_host_is_reported_as_the_wrong_host() {
    let refused = ping_refused(|ca| ca.issue(&["kore.example"])).await;
    assert_eq!(refused, (CertificateProblem::WrongHost, 1));
}

#[tokio::test]
async fn a_ca_file_that_is_not_a_certificate_fails_the_build() {
    let path = std::env::temp_dir().join(format!("kore-tls-test-{}-junk.pem", std::process::id()));
    std::fs::write(&path, "this is not a certificate\n").unwrap();
    let mock = MockKore::builder().tls(true).start().await;
    let error = common::builder_for(&mock)
        .ca_cert_file(&path)
        .build()
        .unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert!(
        error.to_string().contains(&format!(
            "the CA certificate file {} holds no PEM certificate",
            path.display()
        )),
        "{error}"
    );
    assert_eq!(mock.connections(), 0, "nothing was sent");
}

#[tokio::test]
async fn an_explicit_proxy_carries_token_and_api_in_one_tunnel() {
    let proxy = ConnectProxy::start().await.unwrap();
    let mock = MockKore::builder().tls(true).start().await;
    let kore = common::builder_for(&mock)
        .ca_cert_pem(mock.ca_cert_pem().unwrap())
        .proxy(proxy.url())
        .build()
        .unwrap();
    for _ in 0..5 {
        kore.ping().await.unwrap();
    }
    kore.clients().list().send().await.unwrap();
    let tunnels = proxy.tunnels();
    assert_eq!(tunnels.len(), 1, "{tunnels:?}");
    assert_eq!(tunnels[0].method, "CONNECT");
    assert_eq!(tunnels[0].target, host_of(&mock));
    assert_eq!(mock.connections(), 1);
}

#[tokio::test]
async fn proxy_credentials_are_sent_and_never_shown() {
    let password = "pr0xy-pa55w0rd";
    let proxy = ConnectProxy::with_credentials("kore", password)
        .await
        .unwrap();
    let mock = MockKore::builder().tls(true).start().await;
    let with = |credentials: &str| {
        let url = proxy
            .url()
            .replace("http://", &format!("http://{credentials}@"));
        common::builder_for(&mock)
            .ca_cert_pem(mock.ca_cert_pem().unwrap())
            .proxy(url)
    };
    let builder = with(&format!("kore:{password}"));
    assert!(!format!("{builder:?}").contains(password), "{builder:?}");
    builder
        .build()
        .unwrap()
        .ping()
        .await
        .expect("the proxy accepts them");
    assert_eq!(proxy.tunnels().len(), 1);

    let wrong = with("kore:wrong-pa55").build().unwrap();
    let error = wrong.ping().await.unwrap_err();
    assert_eq!(proxy.refused(), 1, "one 407, not retried into more");
    assert!(
        error
            .to_string()
            .contains("the proxy refused the tunnel (HTTP 407"),
        "{error}"
    );
    assert!(!error.is_retryable(), "{error:?}");
    let shown = format!("{}\n{error:?}", common::report(&error));
    assert!(
        !shown.contains("wrong-pa55") && !shown.contains(password),
        "{shown}"
    );

    let bad = common::builder_for(&mock)
        .proxy(format!("ftp://kore:{password}@127.0.0.1:1"))
        .build()
        .unwrap_err();
    assert!(matches!(bad, Error::Config { .. }), "{bad:?}");
    assert!(!bad.to_string().contains(password), "{bad}");
}

#[tokio::test]
async fn no_proxy_connects_directly_even_with_a_proxy_configured_before() {
    let proxy = ConnectProxy::start().await.unwrap();
    let (mock, _) = trusted(MockKore::builder()).await;
    let kore = common::builder_for(&mock)
        .ca_cert_pem(mock.ca_cert_pem().unwrap())
        .proxy(proxy.url())
        .no_proxy()
        .build()
        .unwrap();
    kore.ping().await.unwrap();
    assert!(proxy.tunnels().is_empty());
}
