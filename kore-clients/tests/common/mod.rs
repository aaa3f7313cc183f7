//! Shared set-up for the end-to-end tests: a kore-mock and a `Kore` pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use kore_clients::{Kore, KoreBuilder, RetryPolicy, SecretString};
use kore_mock::{MockKore, MockKoreBuilder};
use kore_testkit::deadline;
use kore_testkit::tcp::{self, RawServer, Reply};

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

/// A `Kore` for `mock` with one setting of [`builder_for`]'s changed by `configure`.
pub fn kore_for(mock: &MockKore, configure: impl FnOnce(KoreBuilder) -> KoreBuilder) -> Kore {
    configure(builder_for(mock))
        .build()
        .expect("valid configuration")
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

    /// Every item the stream yields, errors included.
    fn results(self) -> impl Future<Output = Vec<kore_clients::Result<kore_clients::Client>>>;
}

impl CollectAll for kore_clients::ListClients {
    async fn all(self) -> Vec<kore_clients::Client> {
        deadline::try_collect_within(LISTING_BOUND, self.stream()).await
    }

    async fn results(self) -> Vec<kore_clients::Result<kore_clients::Client>> {
        deadline::collect_within(LISTING_BOUND, self.stream()).await
    }
}

/// What each of `tasks` returned, in order, all within [`LISTING_BOUND`];
/// a task that panicked fails the test.
pub async fn join_all<T>(tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    deadline::within(
        LISTING_BOUND,
        "the spawned calls",
        futures::future::join_all(tasks),
    )
    .await
    .into_iter()
    .map(|joined| joined.expect("no task panicked"))
    .collect()
}

/// How long one awaited step of a test may take, in real or virtual time:
/// longer than any operation timeout or delay the tests set up for a call,
/// so it fires only when the call hangs.
pub const STEP_BOUND: Duration = Duration::from_secs(60);

/// The error `kore`'s create of `new` ends with, within [`STEP_BOUND`].
pub async fn create_error(kore: &Kore, new: kore_clients::NewClient) -> kore_clients::Error {
    deadline::within(STEP_BOUND, "the create", kore.clients().create(new))
        .await
        .expect_err("the create fails")
}

/// The next item of `stream`, within [`CALL_BOUND`].
pub async fn next<S: futures::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    deadline::next_within(CALL_BOUND, stream).await
}

/// How long a whole listing of these tests may take: the slowest takes
/// under a second. Short, so that a walk that never ends (a broken stop
/// rule) fails its tests within a minute in all instead of hanging them.
pub const LISTING_BOUND: Duration = Duration::from_secs(5);

/// Real time a test under a paused clock may take ([`deadline::run_paused`]);
/// they take well under a second.
pub const PAUSED_RUN_BOUND: Duration = Duration::from_secs(10);

/// Makes `server` answer `method path` with `answer`.
pub async fn mount(
    server: &wiremock::MockServer,
    method: &str,
    path: &str,
    answer: impl wiremock::Respond + 'static,
) {
    wiremock::Mock::given(wiremock::matchers::method(method))
        .and(wiremock::matchers::path(path))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// Makes `server` answer `route` (`"GET /v1/ping"`) with `status` and the JSON `body`.
pub async fn answer_json(
    server: &wiremock::MockServer,
    route: &str,
    status: u16,
    body: serde_json::Value,
) {
    let (method, path) = route.split_once(' ').expect("a method and a path");
    let answer = wiremock::ResponseTemplate::new(status).set_body_json(body);
    mount(server, method, path, answer).await;
}

/// The cause of an [`kore_clients::Error::Auth`]; any other error fails the test.
pub fn auth_source(error: &kore_clients::Error) -> &kore_clients::AuthError {
    let kore_clients::Error::Auth { source, .. } = error else {
        panic!("expected an auth error, got {error:?}")
    };
    source
}

/// Makes `server`'s `POST /token` answer with `body`.
pub async fn mount_token(server: &wiremock::MockServer, body: serde_json::Value) {
    let answer = wiremock::ResponseTemplate::new(200).set_body_json(body);
    mount(server, "POST", "/token", answer).await;
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

/// How many requests `server` received for `path`.
pub async fn received(server: &wiremock::MockServer, path: &str) -> usize {
    let requests = server
        .received_requests()
        .await
        .expect("request recording is on");
    requests.iter().filter(|r| r.url.path() == path).count()
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
pub async fn flaky_server(resets: usize, status: u16, body: serde_json::Value) -> RawServer {
    let answer = tcp::answer(status, &body.to_string());
    RawServer::start(move |n| {
        if n < resets {
            Reply::Reset
        } else {
            Reply::ThenClose(answer.clone())
        }
    })
    .await
}

/// `count` clients for page `page` of a scripted list, each with its own id.
pub fn numbered_clients(page: u64, count: usize) -> Vec<serde_json::Value> {
    (0..count)
        .map(|i| serde_json::json!({"client_id": format!("apiclient_{page}_{i}")}))
        .collect()
}

/// Production retries with `attempts` attempts and back-off from `initial` up to `max`.
pub fn retries(attempts: u32, initial: Duration, max: Duration) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .initial_backoff(initial)
        .max_backoff(max)
}

/// A mock whose answers on `route` each take `latency`.
pub fn slow(route: kore_mock::Route, latency: Duration) -> MockKoreBuilder {
    MockKore::builder().latency(route, latency)
}

/// A mock seeding `clients` clients whose list answers each take `latency`.
pub fn slow_list(clients: usize, latency: Duration) -> MockKoreBuilder {
    slow(kore_mock::Route::ListClients, latency).clients(clients)
}

/// Page `number` of `size` clients, fetched alone.
pub async fn page(kore: &Kore, size: u32, number: u32) -> kore_clients::Page {
    kore.clients()
        .list()
        .page_size(size)
        .page_number(number)
        .send()
        .await
        .expect("the page")
}

/// A listing through `kore` in pages of `size` yields `clients` clients,
/// then ends with a pagination error that says `says`.
pub async fn assert_listing_ends_in_pagination_error(
    kore: &Kore,
    size: u32,
    clients: usize,
    says: &str,
) {
    let results = kore.clients().list().page_size(size).results().await;
    assert_eq!(results.len(), clients + 1, "the clients, then the error");
    let error = results[clients].as_ref().unwrap_err();
    assert!(
        matches!(error, kore_clients::Error::Pagination { .. }),
        "{error:?}"
    );
    kore_testkit::text::assert_contains(&error.to_string(), says);
}
