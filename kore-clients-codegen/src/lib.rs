//! The one function that turns the merged KORE spec into Rust source.
//!
//! Three callers share it, so that the code the snapshot test reviews is
//! byte-for-byte the code that builds:
//! - `kore-clients-gen/build.rs`, which writes the crate's client;
//! - the workspace's `tests` crate, which snapshots the output with `insta`;
//! - `xtask`, which proves a freshly merged spec still generates.
//!
//! Change generator settings here and nowhere else.
//!
//! ```
//! let spec = r#"{"openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": {}}"#;
//! let source = kore_clients_codegen::generate(spec).unwrap();
//! assert!(source.contains("pub struct Client"));
//! ```

use std::error::Error;

/// The path of the type the generated `Client` carries as its "inner"
/// value. `kore-clients-gen/src/hooks.rs` defines it; its `ClientHooks` impl is what lets `kore-clients` attach
/// authentication and retries.
const INNER_TYPE: &str = "crate::hooks::Hooks";

/// Generates the prettyplease-formatted client source for an OpenAPI 3.0
/// document given as JSON text.
///
/// Settings: builder-style operations (`client.list_client().page_size(..).send()`),
/// every generated type also derives `schemars::JsonSchema`, and the
/// `ClientHooks` implementation is required (not defaulted) so that the
/// hand-written one in `hooks.rs` is always the one in force.
pub fn generate(spec_json: &str) -> Result<String, Box<dyn Error + Send + Sync>> {
    let spec: openapiv3::OpenAPI = serde_json::from_str(spec_json)
        .map_err(|e| format!("the merged spec is not a valid OpenAPI 3.0 document: {e}"))?;

    let inner_type: proc_macro2::TokenStream = INNER_TYPE
        .parse()
        .map_err(|e| format!("invalid inner type path {INNER_TYPE}: {e}"))?;

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(inner_type)
        .with_derive("schemars::JsonSchema");

    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor could not generate a client: {e}"))?;
    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("progenitor produced tokens that are not a Rust file: {e}"))?;
    Ok(prettyplease::unparse(&file))
}
