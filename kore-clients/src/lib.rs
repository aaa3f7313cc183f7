//! Rust SDK for the KORE Wireless Client API: list, create and read the OAuth
//! API clients of a KORE account.
//!
//! ```no_run
//! use futures::TryStreamExt as _;
//! use kore_clients::{ClientType, Kore, NewClient, Product, SecretString};
//!
//! # async fn example() -> Result<(), kore_clients::Error> {
//! let kore = Kore::builder()
//!     .client_id("my-client-id")
//!     .client_secret(SecretString::from("my-client-secret"))
//!     .build()?; // or Kore::from_env()
//!
//! kore.ping().await?;
//!
//! // One page, with its paging information.
//! let page = kore.clients().list().page_size(50).client_type(ClientType::Admin).send().await?;
//! println!("{} admin clients on page 1", page.clients().len());
//!
//! // Every client, fetched page by page as the stream is read.
//! let all: Vec<_> = kore.clients().list().stream().try_collect().await?;
//!
//! let created = kore
//!     .clients()
//!     .create(NewClient::new("ci-bot").product(Product::SuperSim).locked(false))
//!     .await?;
//! // `created.client_secret()` is shown once by KORE; it never appears in Debug output.
//! let again = kore.clients().get(created.client_id()).await?;
//! # let _ = (all, again);
//! # Ok(())
//! # }
//! ```
//!
//! What it does for you:
//! - **Tokens**: OAuth2 client credentials, fetched on first use, shared by
//!   every clone of [`Kore`], refreshed ahead of expiry by exactly one task,
//!   and refreshed once more if KORE answers 401 ([`auth`] explains the rules).
//! - **Pagination**: [`ListClients::stream`] walks pages lazily (optionally
//!   prefetching), stops at the end, and refuses to loop on a repeating server.
//! - **Retries**: reads retry timeouts, connection errors, 429 and gateway
//!   5xx with backoff; `create` is only retried when KORE provably did not
//!   see it ([`RetryPolicy`]).
//! - **Errors**: one [`Error`] enum with KORE's status, code and message.
//! - **Secrets**: the client secret, tokens and created secrets are
//!   [`SecretString`]s and never appear in `Debug`, `Display`, errors or logs.
//! - **Forward compatibility**: an answer KORE changed before this crate was
//!   regenerated still decodes. An enum value it does not list is an
//!   `Unknown` ([`ClientType::Unknown`]) that keeps KORE's text; a field it does not name is kept
//!   in `extra()` ([`Client::extra`], [`PageMeta::extra`], [`Error::extra`], …)
//!   and serialized back. Only a field whose JSON *type* changed is an
//!   [`Error::Decode`], which names it by its JSON pointer.
//!
//! # Stability
//!
//! This crate's public API is its own: no type of the generated crate
//! (`kore-clients-gen`), progenitor or schemars appears in it, so
//! regenerating from a new KORE spec only ever *adds* to it when KORE's change
//! is additive. The enums are `#[non_exhaustive]` and keep unknown values
//! ([`ClientType::Unknown`]); answers expose their fields through methods
//! (a field KORE adds is a new method); request builders gain setters;
//! [`Error`] and its variants are `#[non_exhaustive]`. `cargo xtask semver`
//! checks every regeneration with cargo-semver-checks.
//!
//! The raw generated client stays reachable, outside that promise, with the
//! feature `unstable-raw` (`kore_clients::raw`, `Kore::raw`): it changes
//! with every regeneration.

#![warn(missing_docs)]

/// Builder methods that set one field from their one argument: each entry
/// `name(arg: Type) => field = value;` (after its doc comment) becomes
/// `pub fn name(mut self, arg: Type) -> Self`, setting `self.field = value`,
/// where `value` is `arg` itself, converted (`Some(arg.into())`) or clamped
/// (`arg.max(1)`). Setters that add to a field or take no argument are
/// written out by hand.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) => $field:ident = $value:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name(mut self, $arg: $ty) -> Self {
            self.$field = $value;
            self
        }
    )*};
}

// `accessors` and `generated` are written by `cargo xtask merge`, formatted by
// the generator (prettyplease); rustfmt leaves them as written so that
// `merge --check` and `cargo fmt --check` agree.
#[rustfmt::skip]
mod accessors;
pub mod auth;
mod clients;
mod config;
mod drift;
mod error;
#[rustfmt::skip]
mod generated;
mod kore;
mod limit;
mod models;
mod open;
mod outside;
mod paginate;
mod retry;
mod tls;
pub mod token_store;
mod transport;

/// The date-time crate of [`Client::date_created`] and friends.
pub use chrono;
pub use clients::{Clients, CreateIfAbsent};
pub use config::{DEFAULT_BASE_URL, DEFAULT_MAX_ANSWER_SIZE, DEFAULT_TOKEN_URL, KoreBuilder};
pub use error::{AuthError, AuthErrorKind, Error, Result, UndecodedCreate, check_command, testing};
pub use generated::{ClientType, Operation, Product};
pub use kore::Kore;
pub use models::{
    Client, CreatedClient, Extra, NewClient, Page, PageMeta, PingStatus, parse_kore_date,
};
pub use open::UnknownValue;
pub use outside::{DEFAULT_SECRET_TIME_LIMIT, SecretSource};
pub use paginate::{DEFAULT_PAGE_SIZE, ListClients};
/// The HTTP client crate this SDK uses (for [`KoreBuilder::http_client`]).
pub use reqwest;
pub use retry::{RetryPolicy, parse_retry_after};
pub use secrecy::{ExposeSecret, SecretString};
pub use tls::{CertificateFailure, CertificateProblem};

/// The merged, corrected OpenAPI document this SDK was generated from, as
/// JSON (e.g. to validate live answers against it).
pub const SPEC: &str = kore_clients_gen::SPEC;

/// The spec's `info.version`: the KORE Client API version this SDK speaks.
pub const API_VERSION: &str = kore_clients_gen::API_VERSION;

/// **Unstable**: the generated client and its types, for what this crate
/// does not wrap (feature `unstable-raw`).
///
/// Outside this crate's stability promise: it is regenerated from KORE's
/// spec and changes with every regeneration — a field KORE adds to an answer
/// changes a struct, a value it adds changes an enum — so any release of
/// `kore-clients`, a patch release included, may break code that uses it.
/// Everything else in this crate only grows when the spec does.
#[cfg(feature = "unstable-raw")]
pub use kore_clients_gen as raw;
