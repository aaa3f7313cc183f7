//! Rust SDK for the KORE Wireless Client API.
//!
//! This crate is the hand-written layer over [`kore_clients_gen`], the raw
//! client generated from KORE's spec. For now it re-exports the generated
//! client and its types; authentication, pagination and retries arrive here.

pub use kore_clients_gen as raw;
pub use kore_clients_gen::types;
