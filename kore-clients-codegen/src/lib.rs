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
//! The crates that write the code are pinned to exact releases in this
//! crate's `Cargo.toml`, and [`tested`] holds the record of the code we
//! tested that `kore-clients-gen`'s build checks what it generated against.
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

/// The generic type every use of a spec enum is generated as; defined by hand
/// in `kore-clients-gen/src/open.rs`.
const OPEN_TYPE: &str = "crate::Open";

mod names;
mod operations;
mod wrapper;

use names::{rust_type_name, string_enums};
pub use wrapper::{
    ANSWERS, Answer, CREDENTIAL_WORDS, PARAMETERS, Parameters, REQUESTS, Request, WrapperSource,
    may_be_credential,
};

/// The spec-shaped part of `kore-clients`' own public API for the merged
/// spec `spec_json` (its enums, answer accessors, request setters and the
/// operation table), read from what [`generate`] makes of the same spec:
/// see [`WrapperSource`].
pub fn wrapper(spec_json: &str) -> Result<WrapperSource, Box<dyn Error + Send + Sync>> {
    let raw = generate(spec_json)?;
    wrapper::source(spec_json, &raw)
}

pub mod tested;

/// One file of generated code: its name in `kore-clients-gen`'s `OUT_DIR`
/// and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The file name (`kore_clients.rs`).
    pub name: &'static str,
    /// The Rust source, exactly as written.
    pub text: String,
}

/// Everything `kore-clients-gen`'s build script generates from the spec,
/// one entry per file it writes to `OUT_DIR`: today the client of
/// [`generate`], as `kore_clients.rs`.
///
/// This is the one list of what the generator produces. The build script
/// writes each file, and the digest record ([`tested`]) covers each, so a
/// file generated at build time is added here and nowhere else.
pub fn generate_files(spec_json: &str) -> Result<Vec<GeneratedFile>, Box<dyn Error + Send + Sync>> {
    Ok(vec![GeneratedFile {
        name: "kore_clients.rs",
        text: generate(spec_json)?,
    }])
}

/// Generates the prettyplease-formatted client source for an OpenAPI 3.0
/// document given as JSON text.
///
/// Settings: builder-style operations (`client.list_client().page_size(..).send()`),
/// every generated type also derives `schemars::JsonSchema`, and the
/// `ClientHooks` implementation is required (not defaulted) so that the
/// hand-written one in `hooks.rs` is always the one in force.
///
/// Every use of a string-enum component `E` is generated as `Open<E>`
/// (`kore-clients-gen/src/open.rs`), so a value KORE adds before anyone
/// regenerates decodes as an unknown value instead of failing the answer;
/// `E` stays a closed enum of the listed values. Objects keep fields the spec
/// does not name where the merged spec says `additionalProperties: {}`
/// (typify's flattened `extra` map; the merge's open-answers rule).
///
/// The operation table (`Operation`) is not here but in `kore-clients`'
/// own generated part ([`wrapper()`]); this checks that each operation's
/// method is where the table will look for it.
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
    for name in string_enums(&spec) {
        // Every *use* of the enum (a `$ref` to it) becomes `Open<E>`; the
        // enum itself is still generated, closed, as the known values.
        let reference = schemars::schema::SchemaObject {
            reference: Some(format!("#/components/schemas/{name}")),
            ..Default::default()
        };
        let rust_name = rust_type_name(&name);
        settings.with_conversion(
            reference,
            format!("{OPEN_TYPE}<crate::types::{rust_name}>"),
            [progenitor::TypeImpl::Display].into_iter(),
        );
    }

    // A flattened `extra` map costs the opened answer types typify's
    // `Default` derive; they had it, and every field still has a default.
    let mut default = progenitor::TypePatch::default();
    default.with_derive("Default");
    for name in opened_types(&spec)? {
        settings.with_patch(name, &default);
    }

    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor could not generate a client: {e}"))?;
    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("progenitor produced tokens that are not a Rust file: {e}"))?;
    // Formatted once: the check reads the same text the build writes.
    let source = prettyplease::unparse(&file);
    operations::check_methods(&spec, &source)?;
    Ok(source)
}

/// The Rust names of the object types the merge's open-answers rule opened
/// (its `x-kore-open-answers` record): a component `X`, or an object in a
/// property of one, `X` + the property's name (`ClientList` + `meta`).
fn opened_types(spec: &openapiv3::OpenAPI) -> Result<Vec<String>, String> {
    let Some(opened) = spec
        .extensions
        .get("x-kore-open-answers")
        .and_then(|record| record.get("opened"))
        .and_then(serde_json::Value::as_array)
    else {
        return Ok(Vec::new());
    };
    opened
        .iter()
        .map(|pointer| {
            let name = pointer.as_str().and_then(|pointer| {
                let rest = pointer.strip_prefix("/components/schemas/")?;
                let mut segments = rest.split('/');
                let mut name = rust_type_name(segments.next()?);
                while let Some(kind) = segments.next() {
                    (kind == "properties").then_some(())?;
                    name.push_str(&rust_type_name(segments.next()?));
                }
                Some(name)
            });
            name.ok_or_else(|| {
                format!(
                    "x-kore-open-answers opened {pointer}, whose generated type name the \
                     generator cannot tell (only components and objects in their properties \
                     are named): give it a component of its own with a correction"
                )
            })
        })
        .collect()
}
