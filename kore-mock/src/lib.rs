//! Builder and handle for `kore-mock`, a stateful mock of KORE Wireless's OAuth
//! token endpoint and Client API.
//!
//! One server serves both the token path (`/api-services/v1/auth/token`) and the
//! Client API (`/v1/...`). State lives in memory, is seeded deterministically, and
//! every route can be told to misbehave through [`Faults`]. Every request is kept in a
//! [journal](MockKore::journal) without its secrets, and the same knobs are served as
//! JSON under [`ADMIN_PREFIX`] (`/_mock/`) for tests written in other languages.
//!
//! ```
//! use std::time::Duration;
//! use kore_mock::{Fault, MockKore, Route};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = MockKore::builder()
//!     .clients(250)
//!     .latency(Route::ListClients, Duration::from_millis(20))
//!     .start()
//!     .await;
//! // The next GET of a client fails twice with 503, then behaves.
//! mock.faults().push_statuses(Route::GetClient, [503, 503]);
//!
//! let http = reqwest::Client::new();
//! let token: serde_json::Value = http
//!     .post(mock.token_url())
//!     .form(&[
//!         ("grant_type", "client_credentials"),
//!         ("client_id", mock.client_id()),
//!         ("client_secret", mock.client_secret()),
//!     ])
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! let page: serde_json::Value = http
//!     .get(format!("{}/v1/clients?page_size=100&page_number=3", mock.base_url()))
//!     .bearer_auth(token["access_token"].as_str().unwrap())
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(page["meta"]["count"], 50);
//! assert_eq!(page["meta"]["next_page_url"], serde_json::Value::Null);
//! assert_eq!(mock.requests(Route::ListClients), 1);
//! assert_eq!(mock.token_grants(), 1);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod admin;
mod answers;
mod api;
pub mod cli;
mod faults;
mod journal;
pub mod proxy;
mod recording;
mod route;
mod server;
mod state;
pub mod tls;
mod token;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use admin::ADMIN_PREFIX;
pub use faults::{DRIFT_CLIENT_TYPE, DRIFT_PRODUCT, Fault, Faults};
pub use journal::JournalEntry;
pub use recording::RecordedRequest;
pub use route::Route;
pub use state::{AddClientsError, ClientFixture, ClientType};
pub use token::TOKEN_PATH;

use journal::Journal;
use recording::Recorder;
use state::{Config, Secret, Seed, Shared, Store};

/// Client id the mock accepts unless [`MockKoreBuilder::credentials`] says otherwise.
pub const DEFAULT_CLIENT_ID: &str = "apiclient_01hv3m0ckadm1n000000000000";
/// Client secret the mock accepts unless [`MockKoreBuilder::credentials`] says otherwise.
pub const DEFAULT_CLIENT_SECRET: &str = "kore-mock-client-secret";
/// Number of clients seeded unless [`MockKoreBuilder::clients`] says otherwise.
pub const DEFAULT_CLIENTS: usize = 25;
/// Seed of the deterministic data unless [`MockKoreBuilder::seed`] says otherwise.
pub const DEFAULT_SEED: u64 = 0x4b4f_5245;
/// Advertised token lifetime unless [`MockKoreBuilder::token_lifetime`] says otherwise.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Configures a [`MockKore`] before it starts; obtained from [`MockKore::builder`].
///
/// ```
/// use std::time::Duration;
/// use kore_mock::{Fault, MockKore, Route};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mock = MockKore::builder()
///     .clients(40)
///     .seed(7)
///     .credentials("my-client", "my-secret")
///     .token_lifetime(Duration::from_secs(300))
///     .tokens_expire_after(Duration::from_secs(60))
///     .script(Route::Token, [Fault::TooManyRequests { retry_after_secs: Some(2) }])
///     .start()
///     .await;
/// assert!(mock.base_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(mock.token_url(), format!("{}/api-services/v1/auth/token", mock.base_url()));
/// assert_eq!(mock.client_id(), "my-client");
/// assert_eq!(mock.faults().pending(Route::Token), 1);
/// # }
/// ```
#[derive(Debug)]
pub struct MockKoreBuilder {
    addr: SocketAddr,
    clients: usize,
    seed: u64,
    client_id: String,
    client_secret: Secret,
    token_lifetime: Duration,
    clock: Option<SystemTime>,
    admin_anywhere: bool,
    tls: Tls,
    faults: Faults,
}

/// Whether and with which certificate the mock serves HTTPS.
#[derive(Debug, Clone)]
enum Tls {
    Off,
    /// A CA and a certificate for [`tls::SERVER_NAMES`], made at start.
    Generated,
    Given(tls::ServerIdentity),
}

impl Default for MockKoreBuilder {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            clients: DEFAULT_CLIENTS,
            seed: DEFAULT_SEED,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: Secret(DEFAULT_CLIENT_SECRET.to_owned()),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            clock: None,
            admin_anywhere: false,
            tls: Tls::Off,
            faults: Faults::new(),
        }
    }
}

impl MockKoreBuilder {
    /// Address to bind; defaults to `127.0.0.1:0` (an ephemeral port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Port to bind on the configured address (`0` picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.addr.set_port(port);
        self
    }

    /// Number of clients seeded into the account (default [`DEFAULT_CLIENTS`]).
    pub fn clients(mut self, count: usize) -> Self {
        self.clients = count;
        self
    }

    /// Seed for ids, names, owners, dates and types: the same seed and count give the same
    /// data, and the same ids and secrets for clients created in the same order.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Dates clients created through the API (and fixtures without a date) with `now`
    /// instead of the system clock, so snapshots of their `date_created` are stable.
    /// Tokens still expire by the real clock.
    pub fn fixed_clock(mut self, now: SystemTime) -> Self {
        self.clock = Some(now);
        self
    }

    /// Lets peers other than loopback use the admin API under [`ADMIN_PREFIX`]; by default
    /// they get a 404 there, as for any path the mock does not serve.
    pub fn admin_anywhere(mut self, enabled: bool) -> Self {
        self.admin_anywhere = enabled;
        self
    }

    /// Serves HTTPS instead of HTTP: at start, a private CA and a certificate it
    /// issued for `localhost`, `127.0.0.1` and `::1` are generated; the URLs say
    /// `https://` and [`MockKore::ca_cert_path`] names the CA's PEM file, which a
    /// client under test must trust (nothing else does).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mock = kore_mock::MockKore::builder().tls(true).start().await;
    /// assert!(mock.base_url().starts_with("https://127.0.0.1:"));
    /// let pem = std::fs::read_to_string(mock.ca_cert_path().unwrap()).unwrap();
    /// assert_eq!(Some(pem.as_str()), mock.ca_cert_pem());
    /// # }
    /// ```
    pub fn tls(mut self, enabled: bool) -> Self {
        self.tls = if enabled { Tls::Generated } else { Tls::Off };
        self
    }

    /// Serves HTTPS with `identity` (e.g. an expired certificate, or one for other
    /// names, from a [`tls::TestCa`]); its CA becomes [`MockKore::ca_cert_pem`].
    pub fn tls_identity(mut self, identity: tls::ServerIdentity) -> Self {
        self.tls = Tls::Given(identity);
        self
    }

    /// Credentials the token endpoint accepts (besides those of clients created through the API).
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.client_id = client_id.into();
        self.client_secret = Secret(client_secret.into());
        self
    }

    /// Token lifetime advertised in `expires_in` and in the JWT's `exp` (default one hour).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Adds `latency` before every request of `route` is answered.
    pub fn latency(self, route: Route, latency: Duration) -> Self {
        self.faults.set_latency(route, latency);
        self
    }

    /// Queues `faults` for the next requests of `route`, one per request; see [`Faults::script`].
    pub fn script(self, route: Route, faults: impl IntoIterator<Item = Fault>) -> Self {
        self.faults.script(route, faults);
        self
    }

    /// Sends `expires_in` as a numeric string (`"3600"`), as KORE's auth guide shows it.
    pub fn expires_in_as_string(self, enabled: bool) -> Self {
        self.faults.set_expires_in_as_string(enabled);
        self
    }

    /// Makes the server reject tokens `after` their issuance, whatever `expires_in` advertised.
    pub fn tokens_expire_after(self, after: Duration) -> Self {
        self.faults.set_tokens_expire_after(Some(after));
        self
    }

    /// Points every `next_page_url` at `http://evil.example.invalid`, a host nobody may follow.
    pub fn foreign_next_page_url(self, enabled: bool) -> Self {
        self.faults.set_foreign_next_page_url(enabled);
        self
    }

    /// Binds the listener and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    /// Fails when the address cannot be bound.
    pub async fn try_start(self) -> io::Result<MockKore> {
        let identity = match self.tls {
            Tls::Off => None,
            Tls::Generated => Some(tls::TestCa::new()?.issue(&tls::SERVER_NAMES)?),
            Tls::Given(identity) => Some(identity),
        };
        let acceptor = identity
            .as_ref()
            .map(tls::ServerIdentity::acceptor)
            .transpose()?;
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let ca = identity
            .map(|identity| CaFile::write(identity.ca_pem(), addr))
            .transpose()?;
        let shutdown = CancellationToken::new();
        let seed = Seed {
            seed: self.seed,
            clients: self.clients,
            clock: self.clock,
        };
        let store = Store::seeded(&seed);
        let shared = Shared {
            config: Arc::new(Config {
                account_id: store.account_id.clone(),
                client_id: self.client_id,
                client_secret: self.client_secret.0,
                token_lifetime: self.token_lifetime,
                local_addr: addr,
                admin_anywhere: self.admin_anywhere,
                tls: ca.is_some(),
                seed,
                initial_faults: self.faults.snapshot(),
            }),
            store: Arc::new(Mutex::new(store)),
            faults: self.faults,
            recorder: Arc::new(Recorder::default()),
            journal: Arc::new(Journal::new()),
            shutdown: shutdown.clone(),
        };
        let accepted = Arc::new(AtomicU64::new(0));
        let listener = server::Accepting {
            tcp: listener,
            tls: acceptor,
            accepted: accepted.clone(),
        };
        let task = tokio::spawn(server::serve(listener, shared.clone(), shutdown.clone()));
        Ok(MockKore {
            shared,
            addr,
            ca,
            accepted,
            shutdown,
            task: Some(task),
        })
    }

    /// Like [`try_start`](Self::try_start), for tests.
    ///
    /// # Panics
    /// Panics when the address cannot be bound.
    pub async fn start(self) -> MockKore {
        let addr = self.addr;
        self.try_start()
            .await
            .unwrap_or_else(|err| panic!("kore-mock could not bind {addr}: {err}"))
    }
}

/// The CA of an HTTPS mock, in memory and in a PEM file that lives as long as the mock.
struct CaFile {
    pem: String,
    path: PathBuf,
}

impl CaFile {
    /// Writes `pem` to a file named after this process and the mock's port, which no
    /// other running mock can have.
    fn write(pem: &str, addr: SocketAddr) -> io::Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "kore-mock-{}-{}-ca.pem",
            std::process::id(),
            addr.port()
        ));
        std::fs::write(&path, pem)?;
        Ok(Self {
            pem: pem.to_owned(),
            path,
        })
    }
}

impl Drop for CaFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A running mock; dropping it shuts the server down.
pub struct MockKore {
    shared: Shared,
    addr: SocketAddr,
    ca: Option<CaFile>,
    accepted: Arc<AtomicU64>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl fmt::Debug for MockKore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockKore")
            .field("addr", &self.addr)
            .field("client_id", &self.shared.config.client_id)
            .finish_non_exhaustive()
    }
}

impl MockKore {
    /// Starts configuring a mock.
    pub fn builder() -> MockKoreBuilder {
        MockKoreBuilder::default()
    }

    /// Starts a mock with the default configuration on `127.0.0.1:0`.
    pub async fn start() -> MockKore {
        Self::builder().start().await
    }

    /// Address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address URLs name: the listening address, except that an unspecified one
    /// (`0.0.0.0`, `::`), which nobody can connect to, becomes loopback.
    fn url_addr(&self) -> SocketAddr {
        match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), self.addr.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv6Addr::LOCALHOST.into(), self.addr.port())
            }
            _ => self.addr,
        }
    }

    /// Base URL of the Client API, e.g. `http://127.0.0.1:PORT` (`https://` with
    /// [`MockKoreBuilder::tls`]); the SDK appends `/v1/...`.
    /// A mock listening on `0.0.0.0` names `127.0.0.1` here (`[::1]` for `::`).
    pub fn base_url(&self) -> String {
        let scheme = if self.ca.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.url_addr())
    }

    /// With HTTPS, the PEM of the CA that issued the server's certificate.
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.ca.as_ref().map(|ca| ca.pem.as_str())
    }

    /// With HTTPS, a PEM file holding [`ca_cert_pem`](Self::ca_cert_pem), removed
    /// when the mock is dropped: what `--ca-cert`, `SSL_CERT_FILE` or a test in
    /// any language trusts.
    pub fn ca_cert_path(&self) -> Option<&Path> {
        self.ca.as_ref().map(|ca| ca.path.as_path())
    }

    /// Connections accepted so far (TCP; with HTTPS, each is one TLS handshake
    /// begun), also those whose handshake failed. Not reset by [`reset`](Self::reset).
    pub fn connections(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Full URL of the token endpoint, e.g. `http://127.0.0.1:PORT/api-services/v1/auth/token`.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.base_url())
    }

    /// URL of the admin API, e.g. `http://127.0.0.1:PORT/_mock`.
    pub fn admin_url(&self) -> String {
        format!("{}{ADMIN_PREFIX}", self.base_url())
    }

    /// Client id the token endpoint accepts.
    pub fn client_id(&self) -> &str {
        &self.shared.config.client_id
    }

    /// Client secret the token endpoint accepts (a test credential; the mock never logs it).
    pub fn client_secret(&self) -> &str {
        &self.shared.config.client_secret
    }

    /// Id of the account that owns every seeded client.
    pub fn account_id(&self) -> &str {
        &self.shared.config.account_id
    }

    /// Fault injection knobs, changeable while the server runs.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Requests received on `route` so far, including those answered by an injected fault.
    pub fn requests(&self, route: Route) -> u64 {
        self.shared.recorder.requests(route)
    }

    /// Access tokens issued so far.
    pub fn token_grants(&self) -> u64 {
        self.shared.recorder.token_grants()
    }

    /// The most recent request received on `route`, with its headers and body.
    pub fn last_request(&self, route: Route) -> Option<RecordedRequest> {
        self.shared.recorder.last_request(route)
    }

    /// Expires every token issued so far; the next API call with one of them gets a 401.
    pub fn expire_tokens(&self) {
        self.shared.store().expire_tokens();
    }

    /// Every request answered so far outside the admin API, oldest first, as
    /// `GET /_mock/requests` shows them: never a header value, body, token or secret.
    ///
    /// A request appears once its response is ready, even if its caller hung up first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.shared.journal.entries()
    }

    /// Empties the journal (`DELETE /_mock/requests`); returns how many entries it held.
    pub fn clear_journal(&self) -> usize {
        self.shared.journal.clear()
    }

    /// Back to the state at start (`POST /_mock/reset`): the seeded clients only, the
    /// faults, latencies and quirks configured on the builder, no valid token, zeroed
    /// counters, no recorded request and an empty journal. Created clients get the same
    /// ids and secrets again.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Adds clients to the account as they are (`POST /_mock/clients`), all or none;
    /// returns their ids.
    ///
    /// # Errors
    /// A `client_id` that exists already, is given twice or is empty.
    pub fn add_clients(
        &self,
        fixtures: impl IntoIterator<Item = ClientFixture>,
    ) -> Result<Vec<String>, AddClientsError> {
        let added = self.shared.store().add(fixtures.into_iter().collect())?;
        Ok(added.into_iter().map(|client| client.client_id).collect())
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server task.
    ///
    /// # Errors
    /// Returns the server's I/O error, if it failed while serving.
    pub async fn shutdown(mut self) -> io::Result<()> {
        self.shutdown.cancel();
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }

    /// Serves until `signal` completes (e.g. `tokio::signal::ctrl_c()`), then shuts down.
    ///
    /// # Errors
    /// Returns the server's I/O error, if it failed while serving.
    pub async fn run_until<F: Future>(mut self, signal: F) -> io::Result<()> {
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        tokio::select! {
            _ = signal => {}
            finished = &mut task => return finished.map_err(io::Error::other)?,
        }
        self.shutdown.cancel();
        task.await.map_err(io::Error::other)?
    }
}

impl Drop for MockKore {
    fn drop(&mut self) {
        // Drop cannot await; cancelling is enough because the server task watches the
        // token and bounds its graceful phase, so it ends on its own.
        self.shutdown.cancel();
    }
}
