//! The SDK's integration tests, as one test binary: each mutant of a
//! mutation run (and each edit) relinks one binary instead of ten.
//! `secrets.rs` stays a binary of its own: its thread-local tracing
//! subscriber must not share span callsites with tests running beside it.
//!
//! Run one group with its module name, e.g.
//! `cargo test -p kore-clients --test sdk chaos::`.

#[path = "../common/mod.rs"]
mod common;

mod chaos;
mod config;
mod create;
mod errors;
mod forward_compat;
mod load_tokens;
mod log_records;
mod pagination;
mod prop_decoding;
mod resilience;
mod retries;
mod secret_source;
mod token_store;
mod tokens;
