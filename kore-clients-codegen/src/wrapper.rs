//! The spec-shaped part of `kore-clients`' own public API: its enums, the
//! accessors of its answer types, the setters of its request builders and
//! the operation table, written into `kore-clients/src/generated.rs` and
//! `kore-clients/src/accessors.rs` by `cargo xtask merge`.
//!
//! `kore-clients` promises a public API that a regeneration only ever *adds*
//! to, so nothing in it may be a type of the raw crate: a field KORE adds to
//! an answer would otherwise change a struct users build or destructure, and
//! a value it adds to an enum would break their `match`. This module reads
//! the raw crate's generated types (the output of `generate`) and
//! writes, for `kore-clients`:
//! - for each spec enum `E`, a `#[non_exhaustive]` enum of its own with an
//!   `Unknown` variant that keeps what KORE sent, `as_str()` and `parse()`;
//! - for each wrapped answer type, one accessor per field (a field KORE adds
//!   becomes a new method, an additive change);
//! - for each wrapped request, one setter per field, and for the list
//!   operation one setter per query parameter;
//! - `Operation`, one variant per operation.
//!
//! What the wrapper writes by hand (dates parsed, the secret as a
//! `SecretString`, page numbers as integers) is named in [`ANSWERS`],
//! [`REQUESTS`] and [`PARAMETERS`], and only those fields are left out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// An answer type of `kore-clients` and the generated type it wraps.
pub struct Answer {
    /// The `kore-clients` type (it has `fn generated(&self) -> &types::X`).
    pub wrapper: &'static str,
    /// The generated type in `kore_clients_gen::types`.
    pub generated: &'static str,
    /// Fields whose accessors `kore-clients` writes by hand (or that it
    /// keeps elsewhere, such as the created client's secret).
    pub by_hand: &'static [&'static str],
    /// The wrapper's hand-written methods: a field named like one of them
    /// would clash with it.
    pub taken: &'static [&'static str],
}

/// A request builder of `kore-clients` and the generated body it fills (it
/// has a field `body: types::X`, made by the generated `new_body`).
pub struct Request {
    /// The `kore-clients` builder.
    pub wrapper: &'static str,
    /// The generated body type in `kore_clients_gen::types`.
    pub generated: &'static str,
    /// The field the builder's constructor takes (`name`).
    pub argument: &'static str,
    /// Fields that the builder sets by hand (nested ones).
    pub by_hand: &'static [&'static str],
    /// What a new request sends for a required field until a setter changes
    /// it, as a Rust expression. A required field KORE adds has none: that is
    /// breaking by nature, and the merge says so.
    pub defaults: &'static [(&'static str, &'static str)],
    /// The builder's hand-written methods.
    pub taken: &'static [&'static str],
}

/// The query parameters of one operation, set on a `kore-clients` builder
/// (it has a field `params` of the generated `…Params` struct).
pub struct Parameters {
    /// The `kore-clients` builder.
    pub wrapper: &'static str,
    /// The generated request builder in `kore_clients_gen::builder`.
    pub generated: &'static str,
    /// The struct the values are kept in until the request is built.
    pub params: &'static str,
    /// Parameters the builder sets by hand (the pagination's own).
    pub by_hand: &'static [&'static str],
    /// The builder's hand-written methods.
    pub taken: &'static [&'static str],
}

/// Methods every answer wrapper has by hand.
const ANSWER_METHODS: [&str; 4] = ["extra", "generated", "from_raw", "raw"];

/// The answer types `kore-clients` wraps.
pub const ANSWERS: &[Answer] = &[
    Answer {
        wrapper: "Client",
        generated: "Client",
        by_hand: &["date_created"],
        taken: &["date_created_raw"],
    },
    Answer {
        wrapper: "CreatedClient",
        generated: "CreatedClient",
        by_hand: &["client_id", "client_secret", "date_created"],
        taken: &["date_created_raw"],
    },
    Answer {
        wrapper: "Page",
        generated: "ClientList",
        by_hand: &["clients", "meta"],
        taken: &["into_clients", "has_next", "had_meta"],
    },
    Answer {
        wrapper: "PageMeta",
        generated: "ClientListMeta",
        by_hand: &[
            "count",
            "page_number",
            "page_size",
            "next_page_url",
            "previous_page_url",
        ],
        taken: &[],
    },
    Answer {
        wrapper: "PingStatus",
        generated: "PingStatus",
        by_hand: &[],
        taken: &[],
    },
];

/// The request bodies `kore-clients` builds.
pub const REQUESTS: &[Request] = &[Request {
    wrapper: "NewClient",
    generated: "CreateClient",
    argument: "name",
    by_hand: &["scopes"],
    defaults: &[
        // KORE's default when the field is left out; sent so that the
        // request is valid whatever KORE requires.
        ("locked", "false"),
        // Products are added one by one (`NewClient::product`).
        ("scopes", "::std::default::Default::default()"),
    ],
    taken: &["new", "product", "products", "to_body", "body"],
}];

/// The operations whose query parameters a `kore-clients` builder sets.
pub const PARAMETERS: &[Parameters] = &[Parameters {
    wrapper: "ListClients",
    generated: "ListClient",
    params: "ListClientParams",
    by_hand: &["page_size", "page_number"],
    taken: &[
        "new",
        "limit",
        "concurrency",
        "send",
        "stream",
        "validate",
        "params",
        "kore",
    ],
}];

/// Words in a field's name that suggest it holds a credential, and so must
/// never get a plain accessor or setter (nor be printed or serialized):
/// the SDK keeps such a field by hand, as a `SecretString`. `kore-clients`
/// uses the same list, generated into it, for the fields it does not know.
pub const CREDENTIAL_WORDS: &[&str] = &[
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
];

/// Whether a field's name suggests it holds a credential: one of
/// [`CREDENTIAL_WORDS`] in it, or a name ending in `key`.
pub fn may_be_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_WORDS.iter().any(|word| name.contains(word)) || name.ends_with("key")
}

/// Refuses a generated member whose name clashes with a hand-written method
/// or suggests a credential.
fn check_name(wrapper: &str, field: &str, taken: &[&str], what: &str) -> Result<(), String> {
    if taken.contains(&field) {
        return Err(format!(
            "`{wrapper}` would get a generated {what} `{field}`, but it has a hand-written \
             method of that name: write the field's {what} by hand under another name (add \
             `{field}` to `by_hand` in kore-clients-codegen/src/wrapper.rs)"
        ));
    }
    if may_be_credential(field) {
        return Err(format!(
            "`{wrapper}` would get a plain generated {what} for `{field}`, whose name suggests \
             a credential: keep it by hand as a `SecretString`, out of `Debug` and `Serialize` \
             (add it to `by_hand` in kore-clients-codegen/src/wrapper.rs)"
        ));
    }
    Ok(())
}

/// Refuses a `by_hand` entry the generated type no longer has (KORE renamed
/// or removed the field: the hand-written code must follow).
fn check_by_hand(
    wrapper: &str,
    generated: &str,
    by_hand: &[&str],
    fields: &[Field],
) -> Result<(), String> {
    match by_hand
        .iter()
        .find(|name| !fields.iter().any(|field| field.name == **name))
    {
        Some(stale) => Err(format!(
            "`{generated}` has no field `{stale}` any more, which kore-clients' `{wrapper}` \
             handles by hand: KORE renamed or removed it; change the hand-written code and \
             `by_hand` in kore-clients-codegen/src/wrapper.rs"
        )),
        None => Ok(()),
    }
}

/// What a generated field or parameter holds, as far as the wrapper cares.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// `String`.
    Text,
    /// A `Copy` primitive (`bool`, `i64`, `f64`, …), by its Rust name.
    Primitive(String),
    /// `Open<types::E>`: a spec enum.
    Enum(String),
    /// `Vec<String>`.
    TextList,
    /// `Vec<Open<types::E>>`.
    EnumList(String),
    /// Anything else: an object, an inline enum, a date-time.
    Other(String),
}

/// A field: its shape, and whether the generated type holds it as `Option`.
#[derive(Debug, Clone, PartialEq)]
struct FieldType {
    optional: bool,
    shape: Shape,
}

const PRIMITIVES: &[&str] = &[
    "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
];

/// Reads a generated type (as printed tokens without spaces).
fn field_type(text: &str) -> FieldType {
    let (optional, inner) = match ["::std::option::Option<", "Option<"]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))
        .and_then(|rest| rest.strip_suffix('>'))
    {
        Some(inner) => (true, inner),
        None => (false, text),
    };
    let open = |text: &str| {
        text.strip_prefix("crate::Open<crate::types::")
            .and_then(|rest| rest.strip_suffix('>'))
            .filter(|name| name.chars().all(char::is_alphanumeric))
            .map(str::to_owned)
    };
    let shape = if inner == "::std::string::String" {
        Shape::Text
    } else if PRIMITIVES.contains(&inner) {
        Shape::Primitive(inner.to_owned())
    } else if let Some(name) = open(inner) {
        Shape::Enum(name)
    } else if inner == "::std::vec::Vec<::std::string::String>" {
        Shape::TextList
    } else if let Some(name) = inner
        .strip_prefix("::std::vec::Vec<")
        .and_then(|rest| rest.strip_suffix('>'))
        .and_then(open)
    {
        Shape::EnumList(name)
    } else {
        Shape::Other(inner.to_owned())
    };
    FieldType { optional, shape }
}

/// A named field of a generated struct.
struct Field {
    name: String,
    /// The field's doc comment, one line per attribute.
    doc: Vec<String>,
    ty: FieldType,
}

/// A string enum of the spec, as the raw crate generated it.
struct SpecEnum {
    name: String,
    doc: Vec<String>,
    /// (variant, KORE's spelling)
    values: Vec<(String, String)>,
}

/// What the wrapper generation reads from the raw crate's source.
#[derive(Default)]
struct RawItems {
    structs: BTreeMap<String, Vec<Field>>,
    enums: BTreeMap<String, SpecEnum>,
    builders: BTreeMap<String, Vec<Field>>,
}

fn doc_lines(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value()),
            _ => None,
        })
        .collect()
}

/// KORE's spelling of a variant: its `#[serde(rename = "…")]`.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut rename = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                rename = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    rename
}

/// A type as text without spaces (`::std::option::Option<bool>`).
fn type_text(ty: &syn::Type) -> String {
    let tokens: proc_macro2::TokenStream = quote::ToTokens::to_token_stream(ty);
    tokens
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The named fields of a struct. A request builder keeps each value as
/// `Result<T, String>` (`in_result`): the field's type is then `T`.
fn named_fields(fields: &syn::Fields, in_result: bool) -> Vec<Field> {
    fields
        .iter()
        .filter_map(|field| {
            let text = type_text(&field.ty);
            let text = if in_result {
                text.strip_prefix("Result<")?
                    .strip_suffix(",String>")?
                    .to_owned()
            } else {
                text
            };
            Some(Field {
                name: field.ident.as_ref()?.to_string(),
                doc: doc_lines(&field.attrs),
                ty: field_type(&text),
            })
        })
        .collect()
}

fn read_raw(source: &str) -> Result<RawItems, String> {
    let file = syn::parse_file(source).map_err(|e| format!("the raw client is not Rust: {e}"))?;
    let mut items = RawItems::default();
    let module = |name: &str| {
        file.items.iter().find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == name => {
                module.content.as_ref().map(|(_, items)| items)
            }
            _ => None,
        })
    };
    let types = module("types").ok_or("the raw client has no `types` module")?;
    for item in types {
        match item {
            syn::Item::Struct(item) => {
                items
                    .structs
                    .insert(item.ident.to_string(), named_fields(&item.fields, false));
            }
            syn::Item::Enum(item) => {
                let values: Option<Vec<_>> = item
                    .variants
                    .iter()
                    .map(|variant| {
                        // A variant spelled as KORE spells it has no rename.
                        variant.fields.is_empty().then(|| {
                            let ident = variant.ident.to_string();
                            let text =
                                serde_rename(&variant.attrs).unwrap_or_else(|| ident.clone());
                            (ident, text)
                        })
                    })
                    .collect();
                if let Some(values) = values {
                    items.enums.insert(
                        item.ident.to_string(),
                        SpecEnum {
                            name: item.ident.to_string(),
                            doc: doc_lines(&item.attrs),
                            values,
                        },
                    );
                }
            }
            _ => {}
        }
    }
    let builder = module("builder").ok_or("the raw client has no `builder` module")?;
    for item in builder {
        if let syn::Item::Struct(item) = item {
            // `client` is the builder's reference to the client, not a value.
            let fields = named_fields(&item.fields, true);
            items.builders.insert(item.ident.to_string(), fields);
        }
    }
    Ok(items)
}

/// The spec's description as one line of doc comment that means what it
/// says (folded whitespace, Markdown escaped: a description never becomes
/// code or a broken link), or nothing.
fn doc_comment(lines: &[String]) -> String {
    let text = crate::operations::doc_text(&lines.join(" "));
    if text.is_empty() {
        String::new()
    } else {
        format!("/// {text}\n")
    }
}

fn enum_path(name: &str) -> String {
    format!("::kore_clients_gen::types::{name}")
}

/// The `kore-clients` enum for a spec enum.
fn enum_source(spec_enum: &SpecEnum, out: &mut String) -> Result<(), String> {
    let SpecEnum { name, doc, values } = spec_enum;
    if let Some((_, text)) = values.iter().find(|(variant, _)| variant == "Unknown") {
        return Err(format!(
            "the spec's `{name}` lists the value {text:?}, whose variant `Unknown` would be \
             the one kore-clients keeps unlisted values in: rename the generated variant (a \
             correction giving the value another name is not possible; change `enum_source` \
             in kore-clients-codegen/src/wrapper.rs)"
        ));
    }
    let raw = enum_path(name);
    let mut doc = doc_comment(doc);
    if doc.is_empty() {
        doc = format!("/// A value of KORE's `{name}`.\n");
    }
    write!(
        out,
        "{doc}///\n\
         /// KORE may send a value this SDK does not list yet: it is kept as \
         [`{name}::Unknown`], with KORE's spelling in [`{name}::as_str`], and serialized back \
         unchanged. The enum is `#[non_exhaustive]`: a value KORE adds becomes a new variant \
         when the SDK is regenerated, which is not a breaking change. Match with a wildcard \
         arm, and compare `as_str()` rather than matching `Unknown` for a value you expect: \
         once it gets a variant of its own, `Unknown` no longer holds it.\n\
         ///\n/// Not ordered (`Ord`): a value's place would change when it moves from \
         `Unknown` to a variant of its own.\n\
         #[derive(Debug, Clone, PartialEq, Eq, Hash)]\n\
         #[non_exhaustive]\npub enum {name} {{\n"
    )
    .expect("writing to a String");
    for (variant, text) in values {
        writeln!(out, "/// `{text}`\n{variant},").expect("writing to a String");
    }
    writeln!(
        out,
        "/// A value this SDK does not list, as KORE spelled it.\nUnknown(crate::UnknownValue),\n}}\n"
    )
    .expect("writing to a String");

    let listed: Vec<String> = values.iter().map(|(_, text)| format!("{text:?}")).collect();
    let as_str: String = values
        .iter()
        .map(|(variant, text)| format!("Self::{variant} => {text:?},"))
        .collect();
    let parse: String = values
        .iter()
        .map(|(variant, text)| format!("{text:?} => Self::{variant},"))
        .collect();
    let from_raw: String = values
        .iter()
        .map(|(variant, _)| {
            format!("::kore_clients_gen::Open::Known({raw}::{variant}) => Self::{variant},")
        })
        .collect();
    let to_raw: String = values
        .iter()
        .map(|(variant, _)| {
            format!("Self::{variant} => ::kore_clients_gen::Open::Known({raw}::{variant}),")
        })
        .collect();
    let example = values.first().map_or_else(String::new, |(variant, text)| {
        format!(
            "///\n/// ```\n/// use kore_clients::{name};\n///\n\
             /// assert_eq!({name}::parse({text:?}), {name}::{variant});\n\
             /// assert_eq!({name}::{variant}.as_str(), {text:?});\n\
             /// assert!(!{name}::parse(\"not-a-kore-value\").is_known());\n/// ```\n"
        )
    });
    write!(
        out,
        "impl {name} {{\n\
         /// Every value this SDK lists, as KORE spells them.\n\
         pub const VALUES: &'static [&'static str] = &[{listed}];\n\n\
         /// KORE's spelling of the value.\n\
         pub fn as_str(&self) -> &str {{ match self {{ {as_str} Self::Unknown(value) => value.as_str(), }} }}\n\n\
         /// The value KORE spells `text`: a listed variant, or [`{name}::Unknown`] — the one \
         way to send a value this SDK does not list yet (nothing checks it before KORE does).\n\
         {example}\
         pub fn parse(text: &str) -> Self {{ match text {{ {parse} other => Self::Unknown(crate::UnknownValue::new(other)), }} }}\n\n\
         /// Whether this SDK lists the value (it is not [`{name}::Unknown`]).\n\
         pub fn is_known(&self) -> bool {{ !matches!(self, Self::Unknown(_)) }}\n\n\
         pub(crate) fn from_generated(raw: &::kore_clients_gen::Open<{raw}>) -> Self {{\n\
         match raw {{ {from_raw} ::kore_clients_gen::Open::Unknown(value) => Self::Unknown(crate::UnknownValue::new(value.as_str())), }} }}\n\n\
         pub(crate) fn to_generated(&self) -> ::kore_clients_gen::Open<{raw}> {{\n\
         match self {{ {to_raw} Self::Unknown(value) => ::kore_clients_gen::Open::parse(value.as_str()), }} }}\n\
         }}\n\ncrate::open::open_enum_traits!({name});\n\n",
        listed = listed.join(", ")
    )
    .expect("writing to a String");
    Ok(())
}

/// The accessor of one answer field: its name, return type and expression.
/// A field of a type this generator does not model is read as JSON by
/// `{field}_json`, so that a typed `{field}` can be added later without
/// changing a signature.
fn accessor(field: &Field) -> (String, String, String) {
    let (ty, expr) = accessor_type(field);
    let name = match field.ty.shape {
        Shape::Other(_) => format!("{}_json", field.name),
        _ => field.name.clone(),
    };
    (name, ty, expr)
}

fn accessor_type(field: &Field) -> (String, String) {
    let place = format!("self.generated().{}", field.name);
    let optional = field.ty.optional;
    let wrap = |ty: &str| {
        if optional {
            format!("::std::option::Option<{ty}>")
        } else {
            ty.to_owned()
        }
    };
    match &field.ty.shape {
        Shape::Text if optional => (wrap("&str"), format!("{place}.as_deref()")),
        Shape::Text => ("&str".into(), format!("{place}.as_str()")),
        Shape::Primitive(ty) => (wrap(ty), place),
        Shape::Enum(name) if optional => (
            wrap(name),
            format!("{place}.as_ref().map({name}::from_generated)"),
        ),
        Shape::Enum(name) => (name.clone(), format!("{name}::from_generated(&{place})")),
        Shape::TextList if optional => (
            wrap("&[::std::string::String]"),
            format!("{place}.as_deref()"),
        ),
        Shape::TextList => ("&[::std::string::String]".into(), format!("&{place}")),
        Shape::EnumList(name) if optional => (
            wrap(&format!("::std::vec::Vec<{name}>")),
            format!(
                "{place}.as_ref().map(|values| values.iter().map({name}::from_generated).collect())"
            ),
        ),
        Shape::EnumList(name) => (
            format!("::std::vec::Vec<{name}>"),
            format!("{place}.iter().map({name}::from_generated).collect()"),
        ),
        Shape::Other(_) => (
            "::serde_json::Value".into(),
            format!("::serde_json::to_value(&{place}).unwrap_or(::serde_json::Value::Null)"),
        ),
    }
}

/// Setter of one request field or parameter: the argument type and how it
/// becomes the stored value; `None` when the wrapper cannot take it typed.
fn setter(ty: &FieldType, arg: &str) -> Option<(String, String)> {
    let (arg_ty, value) = match &ty.shape {
        Shape::Text => (
            "impl ::std::convert::Into<::std::string::String>".to_owned(),
            format!("{arg}.into()"),
        ),
        Shape::Primitive(ty) => (ty.clone(), arg.to_owned()),
        Shape::Enum(name) => (name.clone(), format!("{arg}.to_generated()")),
        Shape::TextList => (
            "impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<::std::string::String>>"
                .to_owned(),
            format!("{arg}.into_iter().map(::std::convert::Into::into).collect()"),
        ),
        Shape::EnumList(name) => (
            format!("impl ::std::iter::IntoIterator<Item = {name}>"),
            format!("{arg}.into_iter().map(|value| value.to_generated()).collect()"),
        ),
        Shape::Other(_) => return None,
    };
    Some(if ty.optional {
        (arg_ty, format!("::std::option::Option::Some({value})"))
    } else {
        (arg_ty, value)
    })
}

fn answers_source(items: &RawItems, out: &mut String) -> Result<(), String> {
    for answer in ANSWERS {
        let fields = items.structs.get(answer.generated).ok_or_else(|| {
            format!(
                "the raw client has no type `{}` for kore-clients' `{}` (see ANSWERS in \
                 kore-clients-codegen/src/wrapper.rs)",
                answer.generated, answer.wrapper
            )
        })?;
        check_by_hand(answer.wrapper, answer.generated, answer.by_hand, fields)?;
        let generated: Vec<&Field> = fields
            .iter()
            .filter(|field| field.name != "extra" && !answer.by_hand.contains(&field.name.as_str()))
            .collect();
        if generated.is_empty() {
            continue;
        }
        writeln!(out, "impl crate::{} {{", answer.wrapper).expect("writing to a String");
        for field in generated {
            let (name, ty, expr) = accessor(field);
            let taken: Vec<&str> = answer
                .taken
                .iter()
                .chain(&ANSWER_METHODS)
                .copied()
                .collect();
            check_name(answer.wrapper, &name, &taken, "accessor")?;
            let mut doc = doc_comment(&field.doc);
            if doc.is_empty() {
                writeln!(doc, "/// KORE's `{}`.", field.name).expect("writing to a String");
            }
            if matches!(field.ty.shape, Shape::Other(_)) {
                doc.push_str(
                    "///\n/// As JSON (`null` when absent): this SDK does not model its type yet.\n",
                );
            }
            writeln!(out, "{doc}pub fn {name}(&self) -> {ty} {{ {expr} }}\n")
                .expect("writing to a String");
        }
        out.push_str("}\n\n");
    }
    Ok(())
}

/// Each request's setters (into `out`) and the constructor of its body,
/// `new_{body}` (into `body_out`, the lower file the wrapper builds on).
fn requests_source(
    items: &RawItems,
    out: &mut String,
    body_out: &mut String,
) -> Result<(), String> {
    for request in REQUESTS {
        let fields = items.structs.get(request.generated).ok_or_else(|| {
            format!(
                "the raw client has no type `{}` for kore-clients' `{}` (see REQUESTS in \
                 kore-clients-codegen/src/wrapper.rs)",
                request.generated, request.wrapper
            )
        })?;
        let by_hand: Vec<&str> = request
            .by_hand
            .iter()
            .chain(std::iter::once(&request.argument))
            .copied()
            .collect();
        check_by_hand(request.wrapper, request.generated, &by_hand, fields)?;
        let body = format!("::kore_clients_gen::types::{}", request.generated);
        let mut init = String::new();
        for field in fields {
            let name = &field.name;
            let value = if *name == request.argument {
                name.clone()
            } else if let Some((_, default)) = request.defaults.iter().find(|(f, _)| f == name) {
                (*default).to_owned()
            } else if field.ty.optional {
                "::std::option::Option::None".to_owned()
            } else if matches!(field.ty.shape, Shape::TextList | Shape::EnumList(_)) {
                "::std::vec::Vec::new()".to_owned()
            } else {
                return Err(format!(
                    "`{}` has a required field `{name}` that kore-clients' `{}` has no value \
                     for: a breaking change by nature (every request without it is refused). \
                     Give it the value a new request sends (`defaults` in REQUESTS, \
                     kore-clients-codegen/src/wrapper.rs) so that callers who do not set it \
                     keep working, and say so in CHANGELOG.md",
                    request.generated, request.wrapper
                ));
            };
            if value == *name {
                writeln!(init, "{name},").expect("writing to a String");
            } else {
                writeln!(init, "{name}: {value},").expect("writing to a String");
            }
        }
        writeln!(
            body_out,
            "/// A new `{generated}` body with `{argument}`, every optional field left out \
             and every other field at the value a new [`{wrapper}`](crate::{wrapper}) sends.\n\
             pub(crate) fn new_{snake}({argument}: ::std::string::String) -> {body} {{ {body} {{ {init} }} }}\n",
            generated = request.generated,
            argument = request.argument,
            wrapper = request.wrapper,
            snake = crate::operations::words(request.generated).join("_"),
        )
        .expect("writing to a String");

        writeln!(out, "impl crate::{} {{", request.wrapper).expect("writing to a String");
        let mut untyped = Vec::new();
        for field in fields {
            if by_hand.contains(&field.name.as_str()) {
                continue;
            }
            check_name(request.wrapper, &field.name, request.taken, "setter")?;
            let Some((arg_ty, value)) = setter(&field.ty, &field.name) else {
                untyped.push(field.name.clone());
                continue;
            };
            let doc = doc_comment(&field.doc);
            writeln!(
                out,
                "{doc}pub fn {name}(mut self, {name}: {arg_ty}) -> Self {{ self.body.{name} = {value}; self }}\n",
                name = field.name
            )
            .expect("writing to a String");
        }
        out.push_str("}\n\n");
        if !untyped.is_empty() {
            return Err(format!(
                "`{}` has fields kore-clients' `{}` cannot set typed: {} — give them a \
                 setter by hand (add them to `by_hand` in REQUESTS, \
                 kore-clients-codegen/src/wrapper.rs)",
                request.generated,
                request.wrapper,
                untyped.join(", ")
            ));
        }
    }
    Ok(())
}

/// The parameters' struct (into `out`, the lower file) and the builders'
/// setters (into `setters_out`).
fn parameters_source(
    items: &RawItems,
    out: &mut String,
    setters_out: &mut String,
) -> Result<(), String> {
    for parameters in PARAMETERS {
        let fields = items.builders.get(parameters.generated).ok_or_else(|| {
            format!(
                "the raw client has no request builder `{}` for kore-clients' `{}` (see \
                 PARAMETERS in kore-clients-codegen/src/wrapper.rs)",
                parameters.generated, parameters.wrapper
            )
        })?;
        check_by_hand(
            parameters.wrapper,
            parameters.generated,
            parameters.by_hand,
            fields,
        )?;
        let fields: Vec<&Field> = fields
            .iter()
            .filter(|field| !parameters.by_hand.contains(&field.name.as_str()))
            .collect();
        for field in &fields {
            check_name(parameters.wrapper, &field.name, parameters.taken, "setter")?;
        }
        if let Some(required) = fields.iter().find(|field| !field.ty.optional) {
            return Err(format!(
                "`{}` has a required parameter `{}` that kore-clients' `{}` does not set: a \
                 breaking change by nature. Set it by hand (add it to `by_hand` in PARAMETERS, \
                 kore-clients-codegen/src/wrapper.rs)",
                parameters.generated, required.name, parameters.wrapper
            ));
        }
        let builder = format!("::kore_clients_gen::builder::{}", parameters.generated);
        writeln!(
            out,
            "/// The query parameters of [`{0}`](crate::{0}) that the pagination does not set itself.\n\
             #[derive(Debug, Clone, Default, PartialEq)]\npub(crate) struct {1} {{",
            parameters.wrapper, parameters.params
        )
        .expect("writing to a String");
        let mut setters = String::new();
        let mut apply = String::new();
        for field in &fields {
            let name = &field.name;
            let stored = FieldType {
                optional: false,
                shape: field.ty.shape.clone(),
            };
            let (arg_ty, value) = setter(&stored, name).ok_or_else(|| {
                format!(
                    "parameter `{name}` of `{}` has a type kore-clients cannot take typed; \
                     set it by hand (PARAMETERS in kore-clients-codegen/src/wrapper.rs)",
                    parameters.generated
                )
            })?;
            // The wrapper keeps its own type; the generated one is made when
            // the request is.
            let (kept_ty, kept_value, sent) = match &field.ty.shape {
                Shape::Enum(name_ty) => (name_ty.clone(), name.clone(), "value.to_generated()"),
                _ => (value_type(&field.ty.shape), value, "value.clone()"),
            };
            writeln!(out, "pub(crate) {name}: ::std::option::Option<{kept_ty}>,")
                .expect("writing to a String");
            let mut doc = doc_comment(&field.doc);
            if doc.is_empty() {
                writeln!(doc, "/// KORE's `{name}` query parameter.").expect("writing to a String");
            }
            if let Shape::Enum(enum_name) = &field.ty.shape {
                writeln!(
                    doc,
                    "///\n/// A value KORE added after this SDK was built can be given as \
                     [`{enum_name}::parse`]; KORE's answer, not the SDK, then decides whether it exists."
                )
                .expect("writing to a String");
            }
            writeln!(
                setters,
                "{doc}pub fn {name}(mut self, {name}: {arg_ty}) -> Self {{ self.params.{name} = ::std::option::Option::Some({kept_value}); self }}\n"
            )
            .expect("writing to a String");
            writeln!(
                apply,
                "if let ::std::option::Option::Some(value) = &self.{name} {{ request = request.{name}({sent}); }}"
            )
            .expect("writing to a String");
        }
        writeln!(
            out,
            "}}\n\nimpl {params} {{\n\
             /// Puts the parameters on the generated request.\n\
             pub(crate) fn apply<'a>(&self, request: {builder}<'a>) -> {builder}<'a> {{\n\
             #[allow(unused_mut)] let mut request = request;\n{apply}request\n}}\n}}\n",
            params = parameters.params,
        )
        .expect("writing to a String");
        writeln!(
            setters_out,
            "impl crate::{wrapper} {{\n{setters}}}\n",
            wrapper = parameters.wrapper
        )
        .expect("writing to a String");
    }
    Ok(())
}

/// The Rust type a setter's value has once converted (for parameters kept
/// until the request is built).
fn value_type(shape: &Shape) -> String {
    match shape {
        Shape::Text => "::std::string::String".into(),
        Shape::Primitive(ty) => ty.clone(),
        Shape::Enum(name) => name.clone(),
        Shape::TextList => "::std::vec::Vec<::std::string::String>".into(),
        Shape::EnumList(name) => format!(
            "::std::vec::Vec<::kore_clients_gen::Open<{}>>",
            enum_path(name)
        ),
        Shape::Other(text) => text.clone(),
    }
}

/// The two generated files of `kore-clients`. Two, so that neither `use`s
/// the other's users: `generated.rs` holds types that the hand-written
/// modules build on (enums, `Operation`, the list parameters), and
/// `accessors.rs` adds methods to the hand-written types, above them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrapperSource {
    /// `kore-clients/src/generated.rs`: the enums, the operation table and
    /// the list operation's parameters.
    pub types: String,
    /// `kore-clients/src/accessors.rs`: the answer types' accessors and the
    /// request builders' setters.
    pub accessors: String,
}

/// Both files for the merged spec `spec_json`, whose raw client is `raw`.
pub(crate) fn source(
    spec_json: &str,
    raw: &str,
) -> Result<WrapperSource, Box<dyn std::error::Error + Send + Sync>> {
    let spec: openapiv3::OpenAPI = serde_json::from_str(spec_json)
        .map_err(|e| format!("the merged spec is not a valid OpenAPI 3.0 document: {e}"))?;
    let items = read_raw(raw)?;

    let mut types = String::new();
    for name in crate::names::string_enums(&spec) {
        let rust_name = crate::names::rust_type_name(&name);
        let spec_enum = items.enums.get(&rust_name).ok_or_else(|| {
            format!("the raw client has no enum `{rust_name}` for the spec's `{name}`")
        })?;
        enum_source(spec_enum, &mut types)?;
    }
    types.push_str(&crate::operations::source(&spec)?);
    let mut accessors = String::from("#[allow(unused_imports)]\nuse crate::generated::*;\n\n");
    answers_source(&items, &mut accessors)?;
    requests_source(&items, &mut accessors, &mut types)?;
    write!(
        types,
        "/// Whether a field's name suggests it holds a credential (kore-clients-codegen's \
         `CREDENTIAL_WORDS`, or a name ending in `key`): such a field KORE adds is never \
         printed or serialized.\n\
         pub(crate) fn may_be_credential(name: &str) -> bool {{\n\
         let name = name.to_ascii_lowercase();\n\
         [{}].iter().any(|word| name.contains(word)) || name.ends_with(\"key\")\n}}\n",
        CREDENTIAL_WORDS
            .iter()
            .map(|word| format!("{word:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .expect("writing to a String");
    parameters_source(&items, &mut types, &mut accessors)?;
    Ok(WrapperSource {
        types: formatted(&types)?,
        accessors: formatted(&accessors)?,
    })
}

fn formatted(out: &str) -> Result<String, String> {
    let file: syn::File = syn::parse_str(out)
        .map_err(|e| format!("the generated wrapper source is not valid Rust: {e}\n{out}"))?;
    Ok(format!(
        "// Generated by `cargo xtask merge` (kore_clients_codegen::wrapper) from\n\
         // openapi/kore-clients.json. Do not edit: change the spec, a correction or\n\
         // kore-clients-codegen, and merge again.\n\n{}",
        prettyplease::unparse(&file)
    ))
}
