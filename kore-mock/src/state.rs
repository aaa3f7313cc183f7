//! Deterministic seeding and in-memory storage: the account's clients, their
//! secrets and the access tokens in force.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::faults::Faults;
use crate::recording::Recorder;

/// Everything the request handlers share.
#[derive(Clone)]
pub(crate) struct Shared {
    pub config: Arc<Config>,
    pub store: Arc<Mutex<Store>>,
    pub faults: Faults,
    pub recorder: Arc<Recorder>,
    pub shutdown: CancellationToken,
}

impl Shared {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        // A panicking handler must not take the whole mock down with a poisoned lock.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Settings fixed at start.
pub(crate) struct Config {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub token_lifetime: Duration,
    pub local_addr: SocketAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ClientType {
    Admin,
    Standard,
}

impl ClientType {
    pub fn parse(value: &str) -> Option<Self> {
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
    pub locked: bool,
    pub date_created: String,
}

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
    /// Secrets of clients created through the API, which may then request tokens.
    secrets: HashMap<String, String>,
    /// Access token → instant after which the server rejects it.
    tokens: HashMap<String, Instant>,
    rng: SplitMix64,
}

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
    pub fn seeded(seed: u64, count: usize) -> Self {
        let mut rng = SplitMix64(seed);
        let account_id = format!("acct_{}", ulid_like(SEED_EPOCH_SECS * 1000, &mut rng));
        let mut store = Store {
            account_id,
            account_owner: "account.owner@example.com".to_owned(),
            clients: Vec::with_capacity(count),
            by_id: HashMap::with_capacity(count),
            secrets: HashMap::new(),
            tokens: HashMap::new(),
            rng,
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
            let locked = rng.below(10) == 0;
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
    pub fn create(&mut self, new: NewClient, now: SystemTime) -> (Client, String) {
        let millis = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let client = Client {
            client_id: format!("apiclient_{}", ulid_like(millis, &mut self.rng)),
            account_id: new.account_id.unwrap_or_else(|| self.account_id.clone()),
            name: new.name,
            client_owner: self.account_owner.clone(),
            client_type: ClientType::Standard,
            locked: new.locked,
            date_created: httpdate::fmt_http_date(now),
        };
        let secret = self.random_alphanumeric(48);
        self.secrets
            .insert(client.client_id.clone(), secret.clone());
        self.insert(client.clone());
        (client, secret)
    }

    /// Whether a created, unlocked client has this secret.
    pub fn created_client_accepts(&self, client_id: &str, secret: &str) -> bool {
        self.secrets
            .get(client_id)
            .is_some_and(|known| known == secret)
            && self.client(client_id).is_some_and(|client| !client.locked)
    }

    pub fn random_alphanumeric(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| CROCKFORD[self.rng.below(32) as usize] as char)
            .collect()
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

    pub fn expire_tokens(&mut self) {
        self.tokens.clear();
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

    #[test]
    fn ids_look_like_kore_ids() {
        let store = Store::seeded(7, 3);
        assert!(store.account_id.starts_with("acct_"));
        for client in store.clients() {
            let suffix = client.client_id.strip_prefix("apiclient_").unwrap();
            assert_eq!(suffix.len(), 26);
            assert!(suffix.bytes().all(|b| CROCKFORD.contains(&b)), "{suffix}");
        }
    }

    #[test]
    fn seeded_dates_increase_in_rfc_1123_form() {
        let store = Store::seeded(7, 5);
        let dates: Vec<SystemTime> = store
            .clients()
            .iter()
            .map(|client| httpdate::parse_http_date(&client.date_created).unwrap())
            .collect();
        assert!(dates.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(store.clients()[0].date_created.ends_with(" GMT"));
    }
}
