//! Shared set-up for the end-to-end tests: a kore-mock and a `Kore` pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use kore_clients::{Kore, KoreBuilder, RetryPolicy, SecretString};
use kore_mock::{MockKore, MockKoreBuilder};

/// Retries as in production, but with millisecond backoff so tests are quick.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_secs(3))
}

/// How long any one call of these tests may take: a retry or wait that
/// never ends fails its test in seconds instead of hanging it.
pub const CALL_BOUND: Duration = Duration::from_secs(10);

/// A builder already pointed at `mock` with its credentials.
pub fn builder_for(mock: &MockKore) -> KoreBuilder {
    Kore::builder()
        .client_id(mock.client_id())
        .client_secret(SecretString::from(mock.client_secret().to_owned()))
        .base_url(mock.base_url())
        .token_url(mock.token_url())
        .retry(fast_retries())
        .operation_timeout(CALL_BOUND)
}

/// Starts `mock` and a `Kore` for it.
pub async fn start(mock: MockKoreBuilder) -> (MockKore, Kore) {
    let mock = mock.start().await;
    let kore = builder_for(&mock).build().expect("valid configuration");
    (mock, kore)
}

/// The bearer token the mock last saw on `route`.
pub fn last_bearer(mock: &MockKore, route: kore_mock::Route) -> String {
    mock.last_request(route)
        .and_then(|r| r.header("authorization").map(str::to_owned))
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned))
        .expect("the request carried a bearer token")
}

/// The query string of the last request the mock saw on `route`.
pub fn last_query(mock: &MockKore, route: kore_mock::Route) -> String {
    mock.last_request(route)
        .and_then(|r| r.query)
        .expect("the request had a query")
}

/// Collects a whole list stream, failing the test on any error.
pub trait CollectAll {
    /// Every client the stream yields.
    fn all(self) -> impl Future<Output = Vec<kore_clients::Client>>;
}

impl CollectAll for kore_clients::ListClients {
    async fn all(self) -> Vec<kore_clients::Client> {
        let listing = futures::TryStreamExt::try_collect(self.stream());
        tokio::time::timeout(CALL_BOUND * 3, listing)
            .await
            .expect("the listing ends within 30 s")
            .expect("the stream yields no error")
    }
}

/// Makes `server`'s `POST /token` answer with `body`.
pub async fn mount_token(server: &wiremock::MockServer, body: serde_json::Value) {
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/token"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A builder for a wiremock KORE: API at `server`, token endpoint at `/token`.
pub fn wiremock_builder(server: &wiremock::MockServer) -> KoreBuilder {
    Kore::builder()
        .client_id("wiremock-client")
        .client_secret(SecretString::from("wiremock-secret"))
        .base_url(server.uri())
        .token_url(format!("{}/token", server.uri()))
        .retry(fast_retries())
        .operation_timeout(CALL_BOUND)
}

/// A `Kore` for a wiremock KORE whose token endpoint issues a working token.
/// The token is long and distinctive: errors redact every occurrence of it,
/// so a short one would be cut out of the messages tests read.
pub async fn wiremock_kore(server: &wiremock::MockServer) -> Kore {
    mount_token(
        server,
        serde_json::json!({"access_token": "wiremock-access-token", "expires_in": 3600, "token_type": "Bearer"}),
    )
    .await;
    wiremock_builder(server)
        .build()
        .expect("valid configuration")
}

/// A `Kore` for an already started `mock`.
pub fn start_with(mock: &MockKore) -> Kore {
    builder_for(mock).build().expect("valid configuration")
}

/// A wiremock KORE whose list answers with `pages(page_number)`, and a
/// `Kore` for it.
pub async fn scripted_list(
    pages: impl Fn(u64) -> serde_json::Value + Send + Sync + 'static,
) -> (wiremock::MockServer, Kore) {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/v1/clients"))
        .respond_with(move |request: &wiremock::Request| {
            let number: u64 = query_param(&request.url, "page_number")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            wiremock::ResponseTemplate::new(200).set_body_json(pages(number))
        })
        .mount(&server)
        .await;
    let kore = wiremock_kore(&server).await;
    (server, kore)
}

/// The value of the query parameter `name` in `url`.
pub fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// An error rendered as error reporters do: its message, then each
/// `source()` in turn.
pub fn report(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str("\n  caused by: ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// A server on 127.0.0.1 that closes its first `resets` connections as soon
/// as a request arrives, then answers every request with `status` and the
/// JSON `body`.
pub struct FlakyServer {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl FlakyServer {
    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Starts a [`FlakyServer`].
pub async fn flaky_server(resets: usize, status: u16, body: serde_json::Value) -> FlakyServer {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = connections.clone();
    let body = body.to_string();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                // Read the whole request (small form or empty body).
                let mut read = 0;
                loop {
                    match socket.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => read += k,
                    }
                    let text = String::from_utf8_lossy(&buf[..read]);
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if read >= end + 4 + length {
                            break;
                        }
                    }
                }
                if n < resets {
                    return; // dropped: the peer sees the connection close
                }
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    FlakyServer { addr, connections }
}
