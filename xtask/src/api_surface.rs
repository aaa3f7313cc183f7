//! What a merged spec makes of `kore-clients`' public API: the public
//! signatures of its generated part (`kore_clients_codegen::wrapper`), to
//! compare two specs by what they do to the SDK's users.
//!
//! The hand-written part of `kore-clients` does not change with the spec, so
//! the generated part is where a regeneration can add to or break the API.
//! A signature that disappears or changes is breaking; one that appears is
//! an addition. (cargo-semver-checks judges the built crate, `cargo xtask
//! semver`; this is the same question asked of the spec alone, fast enough
//! for every step of the history replay.)

use std::collections::BTreeSet;

use crate::{Result, err};

/// The public items of the generated part, one line each: `enum ClientType`,
/// `ClientType::Admin`, `Client::name(&self) -> Option<&str>`, …
pub fn of_spec(spec: &str) -> Result<BTreeSet<String>> {
    let wrapper = kore_clients_codegen::wrapper(spec)
        .map_err(|e| err(format!("kore-clients' generated part: {e}")))?;
    let mut items = BTreeSet::new();
    for source in [&wrapper.types, &wrapper.accessors] {
        let file = syn::parse_file(source)
            .map_err(|e| err(format!("kore-clients' generated part is not Rust: {e}")))?;
        for item in &file.items {
            collect(item, &mut items);
        }
    }
    Ok(items)
}

fn public(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn text(tokens: &impl quote::ToTokens) -> String {
    let text = quote::ToTokens::to_token_stream(tokens).to_string();
    // Spelled as a reader would, without the generator's absolute paths.
    text.replace(":: std :: option :: ", "")
        .replace(":: std :: string :: ", "")
        .replace(":: std :: vec :: ", "")
        .replace(":: std :: convert :: ", "")
        .replace(":: std :: iter :: ", "")
        .replace(" :: ", "::")
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("& ", "&")
        .replace(" ,", ",")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" : ", ": ")
        .replace(",)", ")")
        .replace(":: ", "")
}

fn collect(item: &syn::Item, items: &mut BTreeSet<String>) {
    match item {
        syn::Item::Enum(item) if public(&item.vis) => {
            items.insert(format!("enum {}", item.ident));
            for variant in &item.variants {
                items.insert(format!("{}::{}", item.ident, variant.ident));
            }
        }
        syn::Item::Struct(item) if public(&item.vis) => {
            items.insert(format!("struct {}", item.ident));
        }
        syn::Item::Impl(item) if item.trait_.is_none() => {
            let owner = text(&item.self_ty).replace("crate::", "");
            for member in &item.items {
                match member {
                    syn::ImplItem::Fn(method) if public(&method.vis) => {
                        let signature = &method.sig;
                        let inputs = text(&signature.inputs);
                        let inputs = inputs.trim_end_matches(',').trim_end();
                        let output = match &signature.output {
                            syn::ReturnType::Default => String::new(),
                            syn::ReturnType::Type(_, ty) => format!(" -> {}", text(ty)),
                        };
                        items.insert(format!("{owner}::{}({inputs}){output}", signature.ident));
                    }
                    syn::ImplItem::Const(constant) if public(&constant.vis) => {
                        items.insert(format!(
                            "{owner}::{}: {}",
                            constant.ident,
                            text(&constant.ty)
                        ));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// How the generated public API changed from one spec to the next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// Items only the newer spec has: additions.
    pub added: Vec<String>,
    /// Items only the older spec has: removed, or changed (a changed
    /// signature is the old one gone and a new one added).
    pub gone: Vec<String>,
}

impl Delta {
    /// The difference between `before` and `after`.
    pub fn between(before: &BTreeSet<String>, after: &BTreeSet<String>) -> Self {
        Self {
            added: after.difference(before).cloned().collect(),
            gone: before.difference(after).cloned().collect(),
        }
    }

    /// Whether every item of before is still there, unchanged.
    pub fn only_grows(&self) -> bool {
        self.gone.is_empty()
    }
}
