//! The API's data as users see it: clients, pages, new-client requests, created clients.
//!
//! Each model keeps the generated type privately, so every field KORE sent is
//! kept — fields the spec does not name in [`Client::extra`], enum values it
//! does not list as [`ClientType::Unknown`] — and reads it through methods:
//! the accessors of the spec's fields are generated with the spec
//! (`accessors.rs`), so a field KORE adds is a new method, never a changed
//! struct. This file adds what the spec cannot say: integer page numbers,
//! dates parsed from either of KORE's formats, and a secret that never prints.

use std::fmt;

use chrono::{DateTime, Utc};
use kore_clients_gen::types;
use secrecy::SecretString;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::drift;
use crate::generated::{Product, may_be_credential};

/// Fields the spec does not name, as KORE sent them.
pub type Extra = Map<String, Value>;

/// Logs (once each, at DEBUG) what a decoded client holds that the spec does
/// not know.
fn note_client(
    schema: &'static str,
    extra: &Extra,
    client_type: Option<&kore_clients_gen::Open<types::ClientType>>,
) {
    if !extra.is_empty() {
        drift::note_unknown_fields(schema, extra);
    }
    if let Some(value) = client_type.and_then(kore_clients_gen::Open::unknown) {
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
///
/// Its fields are methods: [`client_id`](Client::client_id),
/// [`name`](Client::name), [`client_type`](Client::client_type), … — one per
/// field of KORE's spec.
#[derive(Debug, Clone)]
pub struct Client(types::Client);

impl Client {
    pub(crate) fn from_raw(raw: types::Client) -> Self {
        note_client("Client", &raw.extra, raw.client_type.as_ref());
        Self(raw)
    }

    pub(crate) fn generated(&self) -> &types::Client {
        &self.0
    }

    /// The fields KORE sent that the spec does not name, with KORE's names
    /// and values (also in this client's [`Serialize`] output).
    pub fn extra(&self) -> &Extra {
        &self.0.extra
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

    /// **Unstable** (feature `unstable-raw`): the generated type with every
    /// field KORE sent. It changes with every regeneration.
    #[cfg(feature = "unstable-raw")]
    pub fn raw(&self) -> &types::Client {
        &self.0
    }
}

impl Serialize for Client {
    /// Serializes with KORE's field names, as the API sent them.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Paging information of one page of clients, with page numbers as integers.
#[derive(Debug, Clone, Default)]
pub struct PageMeta {
    count: Option<u64>,
    page_number: Option<u64>,
    page_size: Option<u64>,
    previous_page_url: Option<String>,
    next_page_url: Option<String>,
    /// Every field of `meta` as KORE sent it (the ones above read from it).
    generated: types::ClientListMeta,
}

/// What a [`PageMeta`] serializes as: the facts it reads, as it reads them
/// (`null` when absent), then every other field KORE sent.
#[derive(Serialize, PartialEq)]
struct ShownMeta<'a> {
    count: Option<u64>,
    page_number: Option<u64>,
    page_size: Option<u64>,
    previous_page_url: Option<&'a str>,
    next_page_url: Option<&'a str>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

impl PageMeta {
    /// What [`Serialize`] writes: the page numbers as the integers this type
    /// reads them as, the URLs without empty ones, and every other field
    /// with KORE's name (a field the spec learns in a later regeneration
    /// included).
    fn shown(&self) -> ShownMeta<'_> {
        let mut rest = match serde_json::to_value(&self.generated) {
            Ok(Value::Object(fields)) => fields,
            _ => self.generated.extra.clone(),
        };
        for read in [
            "count",
            "page_number",
            "page_size",
            "previous_page_url",
            "next_page_url",
        ] {
            rest.remove(read);
        }
        ShownMeta {
            count: self.count,
            page_number: self.page_number,
            page_size: self.page_size,
            previous_page_url: self.previous_page_url.as_deref(),
            next_page_url: self.next_page_url.as_deref(),
            rest,
        }
    }
}

impl Serialize for PageMeta {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.shown().serialize(serializer)
    }
}

impl PartialEq for PageMeta {
    /// Equal when they serialize the same: the same facts, the same fields.
    fn eq(&self, other: &Self) -> bool {
        self.shown() == other.shown()
    }
}

/// KORE sends page numbers as JSON numbers (`type: number` in its spec);
/// only non-negative whole values are page numbers.
fn whole(value: Option<f64>) -> Option<u64> {
    value
        .filter(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0 && *v <= u64::MAX as f64)
        .map(|v| v as u64)
}

impl PageMeta {
    fn from_raw(meta: types::ClientListMeta) -> Self {
        if !meta.extra.is_empty() {
            drift::note_unknown_fields("ClientList.meta", &meta.extra);
        }
        Self {
            count: whole(meta.count),
            page_number: whole(meta.page_number),
            page_size: whole(meta.page_size),
            previous_page_url: meta.previous_page_url.clone().filter(|u| !u.is_empty()),
            next_page_url: meta.next_page_url.clone().filter(|u| !u.is_empty()),
            generated: meta,
        }
    }

    // The generated accessors of fields KORE adds to `meta` read it (none today).
    #[allow(dead_code)]
    pub(crate) fn generated(&self) -> &types::ClientListMeta {
        &self.generated
    }

    /// Clients in this page, when KORE sent a whole number.
    pub fn count(&self) -> Option<u64> {
        self.count
    }

    /// This page's number (1-based), when KORE sent a whole number.
    pub fn page_number(&self) -> Option<u64> {
        self.page_number
    }

    /// The page size the server applied, when KORE sent a whole number.
    pub fn page_size(&self) -> Option<u64> {
        self.page_size
    }

    /// The previous page's URL, if there is one (`null` and `""` are none).
    /// Informational: the SDK never sends credentials to URLs taken from a
    /// response.
    pub fn previous_page_url(&self) -> Option<&str> {
        self.previous_page_url.as_deref()
    }

    /// The next page's URL, if there is one (same caveat).
    pub fn next_page_url(&self) -> Option<&str> {
        self.next_page_url.as_deref()
    }

    /// The fields of `meta` that the spec does not name, as KORE sent them.
    pub fn extra(&self) -> &Extra {
        &self.generated.extra
    }
}

/// One page of clients with its paging information.
#[derive(Debug, Clone)]
pub struct Page {
    clients: Vec<Client>,
    meta: PageMeta,
    /// Whether the answer had a `meta` object at all.
    had_meta: bool,
    /// The envelope, without `clients` and `meta` (taken out above).
    generated: types::ClientList,
}

impl Page {
    pub(crate) fn from_raw(mut raw: types::ClientList) -> Self {
        if !raw.extra.is_empty() {
            drift::note_unknown_fields("ClientList", &raw.extra);
        }
        Self {
            had_meta: raw.meta.is_some(),
            meta: raw.meta.take().map(PageMeta::from_raw).unwrap_or_default(),
            clients: std::mem::take(&mut raw.clients)
                .into_iter()
                .map(Client::from_raw)
                .collect(),
            generated: raw,
        }
    }

    // The generated accessors of fields KORE adds to the page read it (none today).
    #[allow(dead_code)]
    pub(crate) fn generated(&self) -> &types::ClientList {
        &self.generated
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

    /// The fields of the page's envelope (beside `clients` and `meta`) that
    /// the spec does not name, as KORE sent them.
    pub fn extra(&self) -> &Extra {
        &self.generated.extra
    }

    /// Whether the answer had a `meta` object (else nothing says whether
    /// more pages follow).
    pub(crate) fn had_meta(&self) -> bool {
        self.had_meta
    }

    /// Whether the server says there is a next page.
    pub fn has_next(&self) -> bool {
        self.meta.next_page_url.is_some()
    }
}

/// The API gateway's answer to [`Kore::ping`](crate::Kore::ping).
#[derive(Debug, Clone)]
pub struct PingStatus(types::PingStatus);

impl PingStatus {
    pub(crate) fn from_raw(raw: types::PingStatus) -> Self {
        if !raw.extra.is_empty() {
            drift::note_unknown_fields("PingStatus", &raw.extra);
        }
        Self(raw)
    }

    pub(crate) fn generated(&self) -> &types::PingStatus {
        &self.0
    }

    /// The fields KORE sent that the spec does not name, as KORE sent them.
    pub fn extra(&self) -> &Extra {
        &self.0.extra
    }
}

impl Serialize for PingStatus {
    /// Serializes with KORE's field names, as the API sent them.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
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
#[derive(Clone)]
pub struct NewClient {
    pub(crate) body: types::CreateClient,
}

impl NewClient {
    /// A new, unlocked client named `name`, with no product scopes yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            body: crate::generated::new_create_client(name.into()),
        }
    }

    /// The body as KORE will receive it.
    fn shown(&self) -> Value {
        serde_json::to_value(&self.body).unwrap_or(Value::Null)
    }

    /// The name it will be created with.
    pub fn name(&self) -> &str {
        &self.body.name
    }

    /// Grants access to `product` (repeat for several).
    ///
    /// A product KORE added after this SDK was built can be sent as
    /// [`Product::parse`]`("KORE's name")` — the one way to send a value the
    /// SDK does not list; nothing checks it before KORE does.
    ///
    /// ```
    /// use kore_clients::{NewClient, Product};
    ///
    /// let request = NewClient::new("ci-bot")
    ///     .product(Product::SuperSim)
    ///     .product(Product::parse("IoTConnect"));
    /// # let _ = request;
    /// ```
    pub fn product(mut self, product: Product) -> Self {
        let product = product.to_generated();
        if !self.body.scopes.products.contains(&product) {
            self.body.scopes.products.push(product);
        }
        self
    }

    /// The products it will be granted, in the order given.
    pub fn products(&self) -> Vec<Product> {
        self.body
            .scopes
            .products
            .iter()
            .map(Product::from_generated)
            .collect()
    }

    /// Checks the request and builds the API body.
    pub(crate) fn to_body(&self) -> Result<types::CreateClient, String> {
        if self.body.name.trim().is_empty() {
            return Err("the client name must not be empty".into());
        }
        if let Some(account) = &self.body.account_id
            && account.trim().is_empty()
        {
            return Err("account_id, when given, must not be empty".into());
        }
        if let Some(blank) = self
            .body
            .scopes
            .products
            .iter()
            .filter_map(kore_clients_gen::Open::unknown)
            .find(|p| p.trim().is_empty() || p.trim() != *p)
        {
            return Err(format!(
                "the product {blank:?} is empty or has surrounding spaces: give KORE's exact name"
            ));
        }
        Ok(self.body.clone())
    }
}

impl fmt::Debug for NewClient {
    /// The request body as JSON, with KORE's names. (No field of it can be a
    /// credential: the generator gives such a field no plain setter.)
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NewClient").field(&self.shown()).finish()
    }
}

impl PartialEq for NewClient {
    /// Equal when they send the same body.
    fn eq(&self, other: &Self) -> bool {
        self.shown() == other.shown()
    }
}

/// A client just created, with its one-time secret.
///
/// KORE shows the secret only in this response. It is a [`SecretString`]:
/// `Debug` redacts it, and serializing a `CreatedClient` leaves it out.
#[derive(Clone)]
pub struct CreatedClient {
    generated: types::CreatedClient,
    client_id: String,
    client_secret: SecretString,
}

/// What a create answer lacks for a [`CreatedClient`].
pub(crate) struct NotCreated {
    /// The missing field and why it matters.
    pub(crate) reason: &'static str,
}

impl CreatedClient {
    /// Takes the secret out of the generated type so that no plain `String`
    /// copy of it stays reachable. Without a (non-empty) secret or id, the
    /// answer is no usable created client: the caller keeps it whole.
    pub(crate) fn from_raw(mut raw: types::CreatedClient) -> Result<Self, NotCreated> {
        note_client("CreatedClient", &raw.extra, raw.client_type.as_ref());
        let Some(secret) = raw.client_secret.take().filter(|s| !s.is_empty()) else {
            return Err(NotCreated {
                reason: "it has no `client_secret` where the spec puts it",
            });
        };
        let secret = SecretString::from(secret);
        match raw.client_id.clone().filter(|id| !id.trim().is_empty()) {
            Some(client_id) => Ok(Self {
                generated: raw,
                client_id,
                client_secret: secret,
            }),
            None => Err(NotCreated {
                reason: "it has no `client_id`, which every later call about the client needs",
            }),
        }
    }

    pub(crate) fn generated(&self) -> &types::CreatedClient {
        &self.generated
    }

    /// The new client's id (`apiclient_…`): what [`Clients::get`](crate::Clients::get)
    /// takes. A create answer without one is an
    /// [`Error::CreatedButUndecodable`](crate::Error::CreatedButUndecodable).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The one-time secret. Store it now: KORE will not show it again.
    pub fn client_secret(&self) -> &SecretString {
        &self.client_secret
    }

    /// The fields KORE sent that the spec does not name, as KORE sent them.
    ///
    /// A created client's answer is the one that carries a secret, and a
    /// field KORE adds to it must not reach a log or stdout by accident:
    /// `Debug` shows only their names, and [`Serialize`] leaves out, at any
    /// depth, every field whose name suggests a credential (`…secret…`,
    /// `…token…`, `…password…`, `…private…`, `…key`, …). They are all here.
    pub fn extra(&self) -> &Extra {
        &self.generated.extra
    }

    /// When it was created, parsed from RFC 1123 or RFC 3339.
    pub fn date_created(&self) -> Option<DateTime<Utc>> {
        self.generated
            .date_created
            .as_deref()
            .and_then(parse_kore_date)
    }

    /// `date_created` exactly as KORE sent it.
    pub fn date_created_raw(&self) -> Option<&str> {
        self.generated.date_created.as_deref()
    }
}

impl fmt::Debug for CreatedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = &self.generated;
        f.debug_struct("CreatedClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("name", &raw.name)
            .field("account_id", &raw.account_id)
            .field("client_type", &self.client_type())
            .field("client_owner", &raw.client_owner)
            .field("locked", &raw.locked)
            .field("date_created", &raw.date_created)
            .field("message", &raw.message)
            .field("extra_fields", &ExtraNames(&raw.extra))
            .finish()
    }
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
        // Every field, typed or not: a credential KORE adds is only ever
        // written by hand, deliberately.
        let mut shown = serde_json::to_value(&self.generated).map_err(serde::ser::Error::custom)?;
        if holds_credential(&shown) {
            without_credentials(&mut shown);
        }
        shown.serialize(serializer)
    }
}
