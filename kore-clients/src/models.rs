//! The API's data as users see it: clients, pages, new-client requests, created clients.
//!
//! Each model wraps the generated type, so every field KORE sent is kept
//! ([`Client::raw`]) — fields the spec does not name in [`Client::extra`],
//! enum values it does not list as [`Open::Unknown`] — and adds what the spec
//! cannot say: integer page numbers, dates parsed from either of KORE's
//! formats, and a secret that never prints.

use std::fmt;

use chrono::{DateTime, Utc};
use kore_clients_gen::types;
use secrecy::SecretString;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::drift;

pub use kore_clients_gen::types::{ClientType, Product};
pub use kore_clients_gen::{Open, UnknownValue};

/// Fields the spec does not name, as KORE sent them.
pub type Extra = Map<String, Value>;

/// Logs (once each, at DEBUG) what a decoded client holds that the spec does
/// not know.
fn note_client(schema: &'static str, extra: &Extra, client_type: Option<&Open<ClientType>>) {
    if !extra.is_empty() {
        drift::note_unknown_fields(schema, extra);
    }
    if let Some(value) = client_type.and_then(Open::unknown) {
        drift::note_unknown_value("ClientType", value);
    }
}

/// Parses a KORE date: RFC 1123 (`Fri, 05 Apr 2024 11:08:14 GMT`, what KORE
/// sends) or RFC 3339 (`2024-04-05T11:08:14Z`, what its spec once declared).
///
/// ```
/// let a = kore_clients::parse_kore_date("Fri, 05 Apr 2024 11:08:14 GMT").unwrap();
/// let b = kore_clients::parse_kore_date("2024-04-05T11:08:14Z").unwrap();
/// assert_eq!(a, b);
/// assert!(kore_clients::parse_kore_date("yesterday").is_none());
/// ```
pub fn parse_kore_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc2822(text)
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// An API client of a KORE account, as `list` and `get` return it.
#[derive(Debug, Clone)]
pub struct Client(types::Client);

impl Client {
    pub(crate) fn from_raw(raw: types::Client) -> Self {
        note_client("Client", &raw.extra, raw.client_type.as_ref());
        Self(raw)
    }

    /// The client's id (`apiclient_…`).
    pub fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }

    /// The account it belongs to (`acct_…`).
    pub fn account_id(&self) -> Option<&str> {
        self.0.account_id.as_deref()
    }

    /// Its name.
    pub fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// The owner's email address.
    pub fn client_owner(&self) -> Option<&str> {
        self.0.client_owner.as_deref()
    }

    /// `admin` or `standard` — or a type KORE added after this SDK was
    /// built, kept as [`Open::Unknown`] with KORE's text.
    pub fn client_type(&self) -> Option<&Open<ClientType>> {
        self.0.client_type.as_ref()
    }

    /// The fields KORE sent that the spec does not name, with KORE's names
    /// and values (also in this client's [`Serialize`] output).
    pub fn extra(&self) -> &Extra {
        &self.0.extra
    }

    /// `Some(true)` locked, `Some(false)` unlocked, `None` never locked.
    pub fn locked(&self) -> Option<bool> {
        self.0.locked
    }

    /// When it was created, parsed from RFC 1123 or RFC 3339; `None` when
    /// absent or in neither format (the text is in [`Client::date_created_raw`]).
    pub fn date_created(&self) -> Option<DateTime<Utc>> {
        self.0.date_created.as_deref().and_then(parse_kore_date)
    }

    /// `date_created` exactly as KORE sent it.
    pub fn date_created_raw(&self) -> Option<&str> {
        self.0.date_created.as_deref()
    }

    /// The generated type with every field KORE sent.
    pub fn raw(&self) -> &types::Client {
        &self.0
    }

    /// Unwraps into the generated type.
    pub fn into_raw(self) -> types::Client {
        self.0
    }
}

impl Serialize for Client {
    /// Serializes with KORE's field names, as the API sent them.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Paging information of one page of clients, as integers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PageMeta {
    /// Clients in this page.
    pub count: Option<u64>,
    /// This page's number (1-based).
    pub page_number: Option<u64>,
    /// The page size the server applied.
    pub page_size: Option<u64>,
    /// The previous page's URL, if there is one. Informational: the SDK never
    /// sends credentials to URLs taken from a response.
    pub previous_page_url: Option<String>,
    /// The next page's URL, if there is one (same caveat).
    pub next_page_url: Option<String>,
    /// The fields of `meta` that the spec does not name, as KORE sent them.
    #[serde(flatten)]
    pub extra: Extra,
}

/// KORE sends page numbers as JSON numbers (`type: number` in its spec);
/// only non-negative whole values are page numbers.
fn whole(value: Option<f64>) -> Option<u64> {
    value
        .filter(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0 && *v <= u64::MAX as f64)
        .map(|v| v as u64)
}

/// One page of clients with its paging information.
#[derive(Debug, Clone)]
pub struct Page {
    clients: Vec<Client>,
    meta: PageMeta,
    raw_meta: Option<types::ClientListMeta>,
    extra: Extra,
}

impl Page {
    pub(crate) fn from_raw(raw: types::ClientList) -> Self {
        let meta = raw.meta.as_ref();
        if !raw.extra.is_empty() {
            drift::note_unknown_fields("ClientList", &raw.extra);
        }
        if let Some(meta) = meta.filter(|m| !m.extra.is_empty()) {
            drift::note_unknown_fields("ClientList.meta", &meta.extra);
        }
        Self {
            meta: PageMeta {
                count: whole(meta.and_then(|m| m.count)),
                page_number: whole(meta.and_then(|m| m.page_number)),
                page_size: whole(meta.and_then(|m| m.page_size)),
                previous_page_url: meta
                    .and_then(|m| m.previous_page_url.clone())
                    .filter(|u| !u.is_empty()),
                next_page_url: meta
                    .and_then(|m| m.next_page_url.clone())
                    .filter(|u| !u.is_empty()),
                extra: meta.map(|m| m.extra.clone()).unwrap_or_default(),
            },
            raw_meta: raw.meta,
            extra: raw.extra,
            clients: raw.clients.into_iter().map(Client::from_raw).collect(),
        }
    }

    /// The clients of this page.
    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    /// Takes the clients out of the page.
    pub fn into_clients(self) -> Vec<Client> {
        self.clients
    }

    /// Paging information.
    pub fn meta(&self) -> &PageMeta {
        &self.meta
    }

    /// The `meta` object exactly as decoded (numbers as KORE sent them).
    pub fn raw_meta(&self) -> Option<&types::ClientListMeta> {
        self.raw_meta.as_ref()
    }

    /// The fields of the page's envelope (beside `clients` and `meta`) that
    /// the spec does not name, as KORE sent them.
    pub fn extra(&self) -> &Extra {
        &self.extra
    }

    /// Whether the server says there is a next page.
    pub fn has_next(&self) -> bool {
        self.meta.next_page_url.is_some()
    }
}

/// A client to create.
///
/// ```
/// use kore_clients::{NewClient, Product};
///
/// let request = NewClient::new("ci-bot")
///     .product(Product::SuperSim)
///     .locked(false);
/// # let _ = request;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NewClient {
    name: String,
    locked: bool,
    products: Vec<Open<Product>>,
    account_id: Option<String>,
}

impl NewClient {
    /// A new, unlocked client named `name`, with no product scopes yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            locked: false,
            products: Vec::new(),
            account_id: None,
        }
    }

    /// The name it will be created with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Grants access to `product` (repeat for several).
    ///
    /// A product KORE added after this SDK was built can be sent as
    /// [`Open::parse`]`("KORE's name")` — the one way to send a value the SDK
    /// does not list; nothing checks it before KORE does.
    ///
    /// ```
    /// use kore_clients::{NewClient, Open, Product};
    ///
    /// let request = NewClient::new("ci-bot")
    ///     .product(Product::SuperSim)
    ///     .product(Open::parse("IoTConnect"));
    /// # let _ = request;
    /// ```
    pub fn product(mut self, product: impl Into<Open<Product>>) -> Self {
        let product = product.into();
        if !self.products.contains(&product) {
            self.products.push(product);
        }
        self
    }

    setters! {
        /// Whether the client starts out locked (default `false`).
        locked(locked: bool) => locked = locked;

        /// The account to create it in; KORE defaults to the caller's account.
        account_id(account_id: impl Into<String>) => account_id = Some(account_id.into());
    }

    /// Checks the request and builds the API body.
    pub(crate) fn to_body(&self) -> Result<types::CreateClient, String> {
        if self.name.trim().is_empty() {
            return Err("the client name must not be empty".into());
        }
        if let Some(account) = &self.account_id
            && account.trim().is_empty()
        {
            return Err("account_id, when given, must not be empty".into());
        }
        if let Some(blank) = self
            .products
            .iter()
            .filter_map(Open::unknown)
            .find(|p| p.trim().is_empty() || p.trim() != *p)
        {
            return Err(format!(
                "the product {blank:?} is empty or has surrounding spaces: give KORE's exact name"
            ));
        }
        Ok(types::CreateClient {
            account_id: self.account_id.clone(),
            locked: self.locked,
            name: self.name.clone(),
            scopes: types::CreateClientScopes {
                products: self.products.clone(),
            },
        })
    }
}

/// A client just created, with its one-time secret.
///
/// KORE shows the secret only in this response. It is a [`SecretString`]:
/// `Debug` redacts it, and serializing a `CreatedClient` leaves it out.
#[derive(Clone)]
pub struct CreatedClient {
    raw: types::CreatedClient,
    client_secret: SecretString,
}

impl CreatedClient {
    /// Takes the secret out of the generated type so that no plain `String`
    /// copy of it stays reachable. Without a (non-empty) secret, the error
    /// is the new client's id, if KORE sent one.
    pub(crate) fn from_raw(mut raw: types::CreatedClient) -> Result<Self, Option<String>> {
        note_client("CreatedClient", &raw.extra, raw.client_type.as_ref());
        match raw.client_secret.take().filter(|s| !s.is_empty()) {
            Some(secret) => Ok(Self {
                raw,
                client_secret: SecretString::from(secret),
            }),
            None => Err(raw.client_id),
        }
    }

    /// The new client's id.
    pub fn client_id(&self) -> Option<&str> {
        self.raw.client_id.as_deref()
    }

    /// The one-time secret. Store it now: KORE will not show it again.
    pub fn client_secret(&self) -> &SecretString {
        &self.client_secret
    }

    /// KORE's status message.
    pub fn message(&self) -> Option<&str> {
        self.raw.message.as_deref()
    }

    /// The account it was created in.
    pub fn account_id(&self) -> Option<&str> {
        self.raw.account_id.as_deref()
    }

    /// Its name.
    pub fn name(&self) -> Option<&str> {
        self.raw.name.as_deref()
    }

    /// The owner's email address.
    pub fn client_owner(&self) -> Option<&str> {
        self.raw.client_owner.as_deref()
    }

    /// Its type (KORE documents `standard`; another value is kept as
    /// [`Open::Unknown`]).
    pub fn client_type(&self) -> Option<&Open<ClientType>> {
        self.raw.client_type.as_ref()
    }

    /// The fields KORE sent that the spec does not name, as KORE sent them.
    ///
    /// A created client's answer is the one that carries a secret, and a
    /// field KORE adds to it must not reach a log or stdout by accident:
    /// `Debug` shows only their names, and [`Serialize`] leaves out, at any
    /// depth, every field whose name suggests a credential (`…secret…`,
    /// `…token…`, `…password…`, `…private…`, `…key`, …). They are all here.
    pub fn extra(&self) -> &Extra {
        &self.raw.extra
    }

    /// Whether it is locked.
    pub fn locked(&self) -> Option<bool> {
        self.raw.locked
    }

    /// When it was created, parsed from RFC 1123 or RFC 3339.
    pub fn date_created(&self) -> Option<DateTime<Utc>> {
        self.raw.date_created.as_deref().and_then(parse_kore_date)
    }

    /// `date_created` exactly as KORE sent it.
    pub fn date_created_raw(&self) -> Option<&str> {
        self.raw.date_created.as_deref()
    }

    /// Every field KORE sent except the secret.
    pub fn raw_without_secret(&self) -> &types::CreatedClient {
        &self.raw
    }
}

impl fmt::Debug for CreatedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedClient")
            .field("client_id", &self.raw.client_id)
            .field("client_secret", &"[redacted]")
            .field("name", &self.raw.name)
            .field("account_id", &self.raw.account_id)
            .field("client_type", &self.raw.client_type)
            .field("client_owner", &self.raw.client_owner)
            .field("locked", &self.raw.locked)
            .field("date_created", &self.raw.date_created)
            .field("message", &self.raw.message)
            .field("extra_fields", &ExtraNames(&self.raw.extra))
            .finish()
    }
}

/// Whether a field's name suggests it holds a credential.
fn may_be_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "secret",
        "token",
        "password",
        "passwd",
        "credential",
        "private",
        "bearer",
        "jwt",
        "authorization",
        "apikey",
        "api_key",
        "signature",
        "cert",
    ]
    .iter()
    .any(|word| name.contains(word))
        || name.ends_with("key")
}

/// Whether `value` holds, at any depth, a field that may be a credential.
fn holds_credential(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(name, child)| may_be_credential(name) || holds_credential(child)),
        Value::Array(items) => items.iter().any(holds_credential),
        _ => false,
    }
}

/// `value` without the fields that may be credentials, at any depth.
fn without_credentials(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|name, _| !may_be_credential(name));
            map.values_mut().for_each(without_credentials);
        }
        Value::Array(items) => items.iter_mut().for_each(without_credentials),
        _ => {}
    }
}

/// The names of a created client's extra fields, for `Debug`: never their
/// values, which may hold anything KORE added to the one answer that carries
/// a secret.
struct ExtraNames<'a>(&'a Extra);

impl fmt::Debug for ExtraNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Serialize for CreatedClient {
    /// KORE's fields, without `client_secret` (and without unknown fields
    /// that may be credentials, see [`CreatedClient::extra`]): write the
    /// secret where it belongs deliberately, with
    /// [`CreatedClient::client_secret`].
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self
            .raw
            .extra
            .iter()
            .any(|(name, value)| may_be_credential(name) || holds_credential(value))
        {
            let mut shown = self.raw.clone();
            shown.extra.retain(|name, _| !may_be_credential(name));
            shown.extra.values_mut().for_each(without_credentials);
            shown.serialize(serializer)
        } else {
            self.raw.serialize(serializer)
        }
    }
}
