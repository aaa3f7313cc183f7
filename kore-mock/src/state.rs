//! Deterministic seeding and in-memory storage: the account's clients, their
//! secrets and the access tokens in force, and client fixtures added at run time.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize};
use tokio_util::sync::CancellationToken;

use crate::faults::{FaultTable, Faults};
use crate::journal::Journal;
use crate::recording::Recorder;

/// Everything the request handlers share.
#[derive(Clone)]
pub(crate) struct Shared {
    pub config: Arc<Config>,
    pub store: Arc<Mutex<Store>>,
    pub faults: Faults,
    pub recorder: Arc<Recorder>,
    pub journal: Arc<Journal>,
    pub shutdown: CancellationToken,
}

impl Shared {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        // A panicking handler must not take the whole mock down with a poisoned lock.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Back to the state at start: seeded clients, the configured faults, no tokens,
    /// zeroed counters and an empty journal.
    pub fn reset(&self) {
        *self.store() = Store::seeded(&self.config.seed);
        self.faults.restore(&self.config.initial_faults);
        self.recorder.reset();
        self.journal.clear();
    }
}

/// Settings fixed at start.
pub(crate) struct Config {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub token_lifetime: Duration,
    pub local_addr: SocketAddr,
    /// Whether peers other than loopback may use the admin API.
    pub admin_anywhere: bool,
    /// Whether the mock serves HTTPS (its page URLs then say `https://`).
    pub tls: bool,
    /// What the store is seeded from, again on every reset.
    pub seed: Seed,
    /// The fault table as configured at start, restored on every reset.
    pub initial_faults: FaultTable,
}

/// Everything the store's data derives from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seed {
    pub seed: u64,
    pub clients: usize,
    /// `date_created` of clients created from now on; `None` reads the system clock.
    pub clock: Option<SystemTime>,
}

/// Type of a client, as the Client API spells it (`admin`, `standard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ClientType {
    /// `admin`
    Admin,
    /// `standard`, the type of every client created through the API.
    Standard,
}

impl ClientType {
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "admin" => Some(Self::Admin),
            "standard" => Some(Self::Standard),
            _ => None,
        }
    }
}

/// A client as the API shows it; its secret is kept apart so it can never be serialized here.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Client {
    pub client_id: String,
    pub account_id: String,
    pub name: String,
    pub client_owner: String,
    pub client_type: ClientType,
    /// `None` is KORE's "never locked" (`null`); only fixtures produce it.
    pub locked: Option<bool>,
    pub date_created: String,
}

/// A client to add to the account as it is, for test fixtures: the JSON shape of KORE's
/// `Client` (plus an optional secret), as `POST /_mock/clients` takes it and
/// [`MockKore::add_clients`](crate::MockKore::add_clients) does.
///
/// Only `name` is required. A missing `client_id` is generated from the seed; a missing
/// `account_id` or `client_owner` is the account's; `client_type` defaults to `standard`;
/// `locked` defaults to `false` and may be `null` (KORE's "never locked"); a missing
/// `date_created` is the mock's clock (`--clock`) in RFC 1123 form, and any string given is
/// served verbatim. With `client_secret` set, the client's credentials are accepted by the
/// token endpoint unless it is locked; the secret is never shown by the API or the journal.
///
/// ```
/// use kore_mock::{ClientFixture, ClientType};
///
/// let fixture = ClientFixture::named("Fleet bot")
///     .client_id("apiclient_fixture0000000000000000001")
///     .client_type(ClientType::Admin)
///     .never_locked()
///     .client_secret("fleet-bot-secret");
/// let same: ClientFixture = serde_json::from_str(r#"{
///     "client_id": "apiclient_fixture0000000000000000001", "name": "Fleet bot",
///     "client_type": "admin", "locked": null, "client_secret": "fleet-bot-secret"
/// }"#).unwrap();
/// assert_eq!(fixture, same);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientFixture {
    client_id: Option<String>,
    account_id: Option<String>,
    name: String,
    client_owner: Option<String>,
    client_type: Option<ClientType>,
    #[serde(default = "unlocked", deserialize_with = "nullable_bool")]
    locked: Option<bool>,
    date_created: Option<String>,
    client_secret: Option<Secret>,
}

fn unlocked() -> Option<bool> {
    Some(false)
}

/// `true`/`false` as themselves and `null` as `None` (a missing field is [`unlocked`]).
fn nullable_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    Option::<bool>::deserialize(deserializer)
}

/// A client secret the mock was given: kept as it is, shown by `Debug` as `[redacted]`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt("[redacted]", f)
    }
}

/// Fixture setters for the text fields KORE may leave out: each `field` (after
/// its doc comment) becomes `pub fn field(mut self, field: impl Into<String>) -> Self`.
macro_rules! text_setters {
    ($($(#[$doc:meta])* $field:ident,)*) => {$(
        $(#[$doc])*
        pub fn $field(mut self, $field: impl Into<String>) -> Self {
            self.$field = Some($field.into());
            self
        }
    )*};
}

impl ClientFixture {
    /// A standard, unlocked client of the mock's account named `name`.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            client_id: None,
            account_id: None,
            name: name.into(),
            client_owner: None,
            client_type: None,
            locked: unlocked(),
            date_created: None,
            client_secret: None,
        }
    }

    text_setters! {
        /// Its id (default: generated from the seed).
        client_id,

        /// Its account (default: the mock's account).
        account_id,

        /// Its owner's email (default: the account owner's).
        client_owner,

        /// `date_created` exactly as it is to be served (default: the mock's clock, RFC 1123).
        date_created,
    }

    /// Its type (default: standard).
    pub fn client_type(mut self, client_type: ClientType) -> Self {
        self.client_type = Some(client_type);
        self
    }

    /// Locked or not (default: not locked).
    pub fn locked(mut self, locked: bool) -> Self {
        self.locked = Some(locked);
        self
    }

    /// `"locked": null`, which KORE documents as "never locked".
    pub fn never_locked(mut self) -> Self {
        self.locked = None;
        self
    }

    /// A secret that lets the client request tokens (unless locked).
    pub fn client_secret(mut self, client_secret: impl Into<String>) -> Self {
        self.client_secret = Some(Secret(client_secret.into()));
        self
    }
}

/// Why [`MockKore::add_clients`](crate::MockKore::add_clients) added nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddClientsError {
    /// A fixture's `client_id` is already taken, or given twice.
    DuplicateId(String),
    /// A fixture's `client_id` is empty.
    EmptyId,
}

impl fmt::Display for AddClientsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddClientsError::DuplicateId(id) => write!(f, "a client with id `{id}` already exists"),
            AddClientsError::EmptyId => f.write_str("client_id must not be empty"),
        }
    }
}

impl std::error::Error for AddClientsError {}

/// A validated `CreateClient` body.
pub(crate) struct NewClient {
    pub name: String,
    pub locked: bool,
    pub account_id: Option<String>,
}

pub(crate) struct Store {
    pub account_id: String,
    account_owner: String,
    clients: Vec<Client>,
    by_id: HashMap<String, usize>,
    /// Secrets of clients created through the API or added with one, which may then request tokens.
    secrets: HashMap<String, String>,
    /// Access token → instant after which the server rejects it.
    tokens: HashMap<String, Instant>,
    /// Seeding, then token ids and signatures.
    rng: SplitMix64,
    /// Ids and secrets of created clients: a stream of its own, so how many tokens were
    /// issued in between never changes them.
    created_rng: SplitMix64,
    /// Time part of the next created id; it advances by a fixed step per client, so ids
    /// depend on the seed and the creation order only, never on the wall clock.
    next_id_millis: u64,
    clock: Option<SystemTime>,
}

/// Distinguishes the created-client stream from the seeding stream of the same seed.
const CREATED_STREAM: u64 = 0x6372_6561_7465_6421;
/// Time between the id timestamps of consecutive created clients.
const CREATED_ID_STEP_MILLIS: u64 = 60_000;

/// 2024-01-02T09:00:00Z: seeded clients are spread over the days after it.
const SEED_EPOCH_SECS: u64 = 1_704_186_000;
const NAME_FIRST: [&str; 8] = [
    "Fleet",
    "Telemetry",
    "Billing",
    "Provisioning",
    "Monitoring",
    "Inventory",
    "Support",
    "Analytics",
];
const NAME_SECOND: [&str; 6] = [
    "service",
    "dashboard",
    "sync",
    "worker",
    "portal",
    "integration",
];
const OWNERS: [&str; 6] = [
    "ada.lovelace",
    "grace.hopper",
    "alan.turing",
    "katherine.johnson",
    "edsger.dijkstra",
    "barbara.liskov",
];

impl Store {
    pub fn seeded(seed: &Seed) -> Self {
        let count = seed.clients;
        let mut rng = SplitMix64(seed.seed);
        let account_id = format!("acct_{}", ulid_like(SEED_EPOCH_SECS * 1000, &mut rng));
        let mut store = Store {
            account_id,
            account_owner: "account.owner@example.com".to_owned(),
            clients: Vec::with_capacity(count),
            by_id: HashMap::with_capacity(count),
            secrets: HashMap::new(),
            tokens: HashMap::new(),
            rng,
            created_rng: SplitMix64(seed.seed ^ CREATED_STREAM),
            next_id_millis: 0,
            clock: seed.clock,
        };
        let mut created_secs = SEED_EPOCH_SECS;
        for index in 0..count {
            let rng = &mut store.rng;
            created_secs += 3600 + rng.below(86_400);
            let client_type = if index == 0 || rng.below(4) == 0 {
                ClientType::Admin
            } else {
                ClientType::Standard
            };
            let name = format!(
                "{} {} {:02}",
                NAME_FIRST[rng.below(NAME_FIRST.len() as u64) as usize],
                NAME_SECOND[rng.below(NAME_SECOND.len() as u64) as usize],
                index + 1
            );
            let client_owner = format!(
                "{}@example.com",
                OWNERS[rng.below(OWNERS.len() as u64) as usize]
            );
            let locked = Some(rng.below(10) == 0);
            let client_id = format!("apiclient_{}", ulid_like(created_secs * 1000, rng));
            let client = Client {
                client_id,
                account_id: store.account_id.clone(),
                name,
                client_owner,
                client_type,
                locked,
                date_created: httpdate::fmt_http_date(
                    UNIX_EPOCH + Duration::from_secs(created_secs),
                ),
            };
            store.insert(client);
        }
        store.next_id_millis = (created_secs + 86_400) * 1000;
        store
    }

    fn insert(&mut self, client: Client) {
        self.by_id
            .insert(client.client_id.clone(), self.clients.len());
        self.clients.push(client);
    }

    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    pub fn client(&self, client_id: &str) -> Option<&Client> {
        self.by_id.get(client_id).map(|&index| &self.clients[index])
    }

    /// Creates a standard client at the end of the list order and returns it with its secret.
    pub fn create(&mut self, new: NewClient) -> (Client, String) {
        let client = Client {
            client_id: self.next_client_id(),
            account_id: new.account_id.unwrap_or_else(|| self.account_id.clone()),
            name: new.name,
            client_owner: self.account_owner.clone(),
            client_type: ClientType::Standard,
            locked: Some(new.locked),
            date_created: self.now_rfc1123(),
        };
        let secret: String = (0..48)
            .map(|_| CROCKFORD[self.created_rng.below(32) as usize] as char)
            .collect();
        self.secrets
            .insert(client.client_id.clone(), secret.clone());
        self.insert(client.clone());
        (client, secret)
    }

    /// Adds every fixture at the end of the list order, or none of them.
    pub fn add(&mut self, fixtures: Vec<ClientFixture>) -> Result<Vec<Client>, AddClientsError> {
        let mut seen: HashSet<String> = HashSet::new();
        for id in fixtures
            .iter()
            .filter_map(|fixture| fixture.client_id.as_deref())
        {
            if id.is_empty() {
                return Err(AddClientsError::EmptyId);
            }
            if self.by_id.contains_key(id) || !seen.insert(id.to_owned()) {
                return Err(AddClientsError::DuplicateId(id.to_owned()));
            }
        }
        let mut added = Vec::with_capacity(fixtures.len());
        for fixture in fixtures {
            let client_id = match fixture.client_id {
                Some(id) => id,
                // A generated id could only collide with a fixture's chosen one.
                None => loop {
                    let id = self.next_client_id();
                    if !self.by_id.contains_key(&id) && !seen.contains(&id) {
                        break id;
                    }
                },
            };
            let client = Client {
                client_id,
                account_id: fixture
                    .account_id
                    .unwrap_or_else(|| self.account_id.clone()),
                name: fixture.name,
                client_owner: fixture
                    .client_owner
                    .unwrap_or_else(|| self.account_owner.clone()),
                client_type: fixture.client_type.unwrap_or(ClientType::Standard),
                locked: fixture.locked,
                date_created: fixture.date_created.unwrap_or_else(|| self.now_rfc1123()),
            };
            if let Some(Secret(secret)) = fixture.client_secret {
                self.secrets.insert(client.client_id.clone(), secret);
            }
            self.insert(client.clone());
            added.push(client);
        }
        Ok(added)
    }

    fn next_client_id(&mut self) -> String {
        let id = format!(
            "apiclient_{}",
            ulid_like(self.next_id_millis, &mut self.created_rng)
        );
        self.next_id_millis += CREATED_ID_STEP_MILLIS;
        id
    }

    /// The fixed clock if one was set, else the system's, as KORE prints dates.
    fn now_rfc1123(&self) -> String {
        httpdate::fmt_http_date(self.clock.unwrap_or_else(SystemTime::now))
    }

    /// Whether a client with a known secret (created, or added with one) has this secret
    /// and is not locked.
    pub fn created_client_accepts(&self, client_id: &str, secret: &str) -> bool {
        self.secrets
            .get(client_id)
            .is_some_and(|known| known == secret)
            && self
                .client(client_id)
                .is_some_and(|client| client.locked != Some(true))
    }

    /// Whether `value` is a secret or token the mock knows: the configured secret is
    /// checked by the caller; this covers client secrets and issued tokens.
    pub fn is_secret(&self, value: &str) -> bool {
        self.secrets.values().any(|secret| secret == value) || self.tokens.contains_key(value)
    }

    pub fn random_bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.rng.next() as u8).collect()
    }

    pub fn remember_token(&mut self, token: String, valid_until: Instant) {
        let now = Instant::now();
        // Expired tokens answer exactly like unknown ones, so forgetting them changes nothing.
        self.tokens.retain(|_, until| *until > now);
        self.tokens.insert(token, valid_until);
    }

    pub fn token_is_valid(&self, token: &str, now: Instant) -> bool {
        self.tokens.get(token).is_some_and(|until| *until > now)
    }

    /// Forgets every token; returns how many were still valid.
    pub fn expire_tokens(&mut self) -> usize {
        let now = Instant::now();
        let valid = self.tokens.values().filter(|until| **until > now).count();
        self.tokens.clear();
        valid
    }
}

/// ULID alphabet (Crockford base32), lowercase as KORE prints ids.
const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// 26 characters: 10 encoding the millisecond timestamp, 16 drawn from `rng`, like a ULID.
fn ulid_like(millis: u64, rng: &mut SplitMix64) -> String {
    let time = (0..10)
        .rev()
        .map(|shift| CROCKFORD[((millis >> (shift * 5)) & 31) as usize] as char);
    let random: Vec<char> = (0..16)
        .map(|_| CROCKFORD[rng.below(32) as usize] as char)
        .collect();
    time.chain(random).collect()
}

/// Small, seedable PRNG: the mock needs reproducible data, not cryptographic randomness.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(seed: u64, clients: usize) -> Seed {
        Seed {
            seed,
            clients,
            clock: None,
        }
    }

    fn new_client(name: &str) -> NewClient {
        NewClient {
            name: name.to_owned(),
            locked: false,
            account_id: None,
        }
    }

    #[test]
    fn ids_look_like_kore_ids() {
        let store = Store::seeded(&seed(7, 3));
        assert!(store.account_id.starts_with("acct_"));
        for client in store.clients() {
            let suffix = client.client_id.strip_prefix("apiclient_").unwrap();
            assert_eq!(suffix.len(), 26);
            assert!(suffix.bytes().all(|b| CROCKFORD.contains(&b)), "{suffix}");
        }
    }

    #[test]
    fn seeded_dates_increase_in_rfc_1123_form() {
        let store = Store::seeded(&seed(7, 5));
        let dates: Vec<SystemTime> = store
            .clients()
            .iter()
            .map(|client| httpdate::parse_http_date(&client.date_created).unwrap())
            .collect();
        assert!(dates.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(store.clients()[0].date_created.ends_with(" GMT"));
    }

    #[test]
    fn created_ids_and_secrets_depend_on_the_seed_and_order_only() {
        let mut first = Store::seeded(&seed(7, 3));
        let mut second = Store::seeded(&seed(7, 3));
        // Tokens drawn in between, as a real run would, do not shift the created stream.
        second.random_bytes(1000);
        let a = first.create(new_client("a"));
        let b = second.create(new_client("a"));
        assert_eq!(a.0.client_id, b.0.client_id);
        assert_eq!(a.1, b.1);
        let other = Store::seeded(&seed(8, 3)).create(new_client("a"));
        assert_ne!(a.0.client_id, other.0.client_id);
        assert_ne!(a.1, other.1);
        let next = first.create(new_client("b"));
        assert!(
            next.0.client_id > a.0.client_id,
            "ids sort in creation order"
        );
        assert!(
            a.0.client_id > first.clients()[2].client_id,
            "after the seeded ones"
        );
    }

    #[test]
    fn a_fixed_clock_dates_created_clients() {
        let clock = UNIX_EPOCH + Duration::from_secs(1_712_315_294);
        let mut store = Store::seeded(&Seed {
            clock: Some(clock),
            ..seed(7, 0)
        });
        let (client, _) = store.create(new_client("a"));
        assert_eq!(client.date_created, "Fri, 05 Apr 2024 11:08:14 GMT");
    }

    #[test]
    fn fixtures_are_added_all_or_nothing() {
        let mut store = Store::seeded(&seed(7, 2));
        let taken = store.clients()[0].client_id.clone();
        let error = store
            .add(vec![
                ClientFixture::named("new"),
                ClientFixture::named("clash").client_id(taken.clone()),
            ])
            .unwrap_err();
        assert_eq!(error, AddClientsError::DuplicateId(taken));
        let twice = vec![
            ClientFixture::named("x").client_id("apiclient_x"),
            ClientFixture::named("y").client_id("apiclient_x"),
        ];
        assert!(store.add(twice).is_err());
        assert_eq!(store.clients().len(), 2, "nothing was added");

        let added = store
            .add(vec![
                ClientFixture::named("defaults"),
                ClientFixture::named("chosen")
                    .client_id("apiclient_chosen")
                    .client_type(ClientType::Admin)
                    .never_locked()
                    .date_created("2024-04-05T11:08:14Z")
                    .client_secret("fixture-secret"),
            ])
            .unwrap();
        assert_eq!(added[0].client_type, ClientType::Standard);
        assert_eq!(added[0].locked, Some(false));
        assert_eq!(added[0].account_id, store.account_id);
        assert!(added[0].date_created.ends_with(" GMT"));
        assert_eq!(added[1].client_id, "apiclient_chosen");
        assert_eq!(added[1].locked, None);
        assert_eq!(added[1].date_created, "2024-04-05T11:08:14Z");
        assert_eq!(store.clients().len(), 4);
        assert!(store.created_client_accepts("apiclient_chosen", "fixture-secret"));
        assert!(!store.created_client_accepts("apiclient_chosen", "wrong"));
        assert!(store.is_secret("fixture-secret"));
    }

    #[test]
    fn fixture_json_distinguishes_missing_and_null_locked() {
        let missing: ClientFixture = serde_json::from_str(r#"{"name":"n"}"#).unwrap();
        assert_eq!(missing.locked, Some(false));
        let null: ClientFixture = serde_json::from_str(r#"{"name":"n","locked":null}"#).unwrap();
        assert_eq!(null.locked, None);
        assert!(serde_json::from_str::<ClientFixture>(r#"{"name":"n","colour":"red"}"#).is_err());
        let debug = format!("{:?}", ClientFixture::named("n").client_secret("hush-hush"));
        assert!(!debug.contains("hush-hush"), "{debug}");
        assert!(
            debug.contains(r#"client_secret: Some("[redacted]")"#),
            "{debug}"
        );
    }

    #[test]
    fn a_builder_s_debug_shows_its_settings_but_never_its_secret() {
        let builder = crate::MockKore::builder()
            .credentials("debug-client", "hush-hush")
            .seed(7);
        let debug = format!("{builder:?}");
        assert!(!debug.contains("hush-hush"), "{debug}");
        for shown in ["debug-client", "seed: 7", r#"client_secret: "[redacted]""#] {
            assert!(debug.contains(shown), "{shown} missing from {debug}");
        }
    }
}
