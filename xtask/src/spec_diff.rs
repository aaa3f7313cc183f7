//! What changed between two merged specs, and what it means for callers.
//!
//! [`compare`] walks two merged specs (the one committed and a fresh merge)
//! operation by operation, follows every `$ref`, and lists each change with a
//! [`Class`] and the reason for it:
//!
//! - [`Class::Additive`]: the API offers more and everything that worked
//!   still works — a value added to an enum, an optional property added to a
//!   request or an answer object, an optional parameter, a new operation, a
//!   new response status;
//! - [`Class::Breaking`]: breaking by nature — something a caller may rely
//!   on goes away or tightens: a new required request property or a
//!   property/parameter becoming required; a property, parameter, enum value
//!   or operation removed; a changed JSON type or format; an enum set on a
//!   free string; `additionalProperties: false` newly set on a request
//!   object. A change this walk has no rule for is classified here too, and
//!   says so: the maintainer reviews it rather than trusting a guess;
//! - [`Class::Neutral`]: documentation only — descriptions, examples,
//!   titles, summaries.
//!
//! A schema is judged by where it is used: in a request (a request body or a
//! parameter) a property becoming required breaks callers who leave it out;
//! in an answer a new property the server always sends breaks nobody. A
//! component used on both sides is judged once per side. Our own records
//! (`x-kore-*`) are ignored; components no operation uses are not compared.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use crate::merge::{METHODS, escape};

/// How a change affects callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Something callers may rely on goes away or tightens.
    Breaking,
    /// The API offers more; everything that worked still works.
    Additive,
    /// Documentation only.
    Neutral,
}

impl Class {
    /// The label printed by `cargo xtask merge` and `cargo xtask replay`.
    pub fn label(self) -> &'static str {
        match self {
            Class::Breaking => "BREAKING BY NATURE",
            Class::Additive => "ADDITIVE",
            Class::Neutral => "NEUTRAL",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where a schema is used: what callers send, or what they receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// A request body or a parameter.
    Request,
    /// A response body or header.
    Answer,
}

impl Side {
    fn phrase(self) -> &'static str {
        match self {
            Side::Request => "in a request",
            Side::Answer => "in an answer",
        }
    }
}

/// One change between two merged specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// How it affects callers.
    pub class: Class,
    /// The JSON pointer of the change: in the new spec, or in the old one
    /// for something removed. Inside a shared component, the component's own
    /// pointer (`/components/schemas/CreateClient/required`).
    pub at: String,
    /// What changed, in a few words.
    pub what: String,
    /// Why that is its class: what it does to callers.
    pub reason: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<18}  {} ({})\n{:<18}  why: {}",
            self.class.label(),
            self.what,
            self.at,
            "",
            self.reason
        )
    }
}

/// Every change from `old` to `new`, the breaking ones first, then the
/// additive, then the neutral ones (each group in walk order).
pub fn compare(old: &Value, new: &Value) -> Vec<Change> {
    let mut walker = Walker {
        old,
        new,
        changes: Vec::new(),
        seen: BTreeSet::new(),
    };
    walker.document();
    let mut changes = Vec::new();
    for change in walker.changes {
        if !changes.contains(&change) {
            changes.push(change);
        }
    }
    changes.sort_by_key(|c| c.class);
    changes
}

/// The class of a list of changes as a whole: the most severe one's, or
/// `None` when nothing changed.
pub fn overall(changes: &[Change]) -> Option<Class> {
    changes.iter().map(|c| c.class).min()
}

/// `changes` as `cargo xtask merge` prints them: one block per change and a
/// count per class.
pub fn render(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no change to the API: operations, parameters and schemas are as before\n"
            .to_owned();
    }
    let mut out = String::new();
    for change in changes {
        out.push_str(&change.to_string());
        out.push('\n');
    }
    let count = |class| changes.iter().filter(|c| c.class == class).count();
    out.push_str(&format!(
        "{} breaking by nature, {} additive, {} neutral\n",
        count(Class::Breaking),
        count(Class::Additive),
        count(Class::Neutral)
    ));
    out
}

/// Schema keywords that only document: they never change which values a
/// schema accepts.
const ANNOTATIONS: [&str; 7] = [
    "description",
    "title",
    "example",
    "examples",
    "externalDocs",
    "deprecated",
    "xml",
];

/// Whether a schema keyword only documents (see `ANNOTATIONS`; extensions
/// `x-…` too).
pub fn is_annotation(key: &str) -> bool {
    ANNOTATIONS.contains(&key) || key.starts_with("x-")
}

/// `schema` without its annotations, at every level of nesting (property
/// names are kept, even one called `description`).
pub fn without_annotations(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        if is_annotation(key) {
            continue;
        }
        let kept = match (key.as_str(), value) {
            ("properties", Value::Object(members)) => Value::Object(
                members
                    .iter()
                    .map(|(name, s)| (name.clone(), without_annotations(s)))
                    .collect(),
            ),
            ("items" | "additionalProperties" | "not", Value::Object(_)) => {
                without_annotations(value)
            }
            ("allOf" | "anyOf" | "oneOf", Value::Array(schemas)) => {
                Value::Array(schemas.iter().map(without_annotations).collect())
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), kept);
    }
    Value::Object(out)
}

/// How deep the walk follows nested schemas whose `$ref`s differ between the
/// two specs (a cycle through such schemas ends here).
const MAX_DEPTH: usize = 64;

const NEUTRAL_REASON: &str = "documentation only: what callers send and receive is unchanged";

struct Walker<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
    /// `(component pointer, side)` already compared.
    seen: BTreeSet<(String, Side)>,
}

/// The members of `value` if it is an object, else none.
fn members(value: Option<&Value>) -> &Map<String, Value> {
    static NONE: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
    value.and_then(Value::as_object).unwrap_or(&NONE)
}

/// The keys of two objects, each once, in order.
fn keys<'m>(a: &'m Map<String, Value>, b: &'m Map<String, Value>) -> Vec<&'m String> {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Whether an `additionalProperties` value lets any member through: absent,
/// `true` and `{}` all do.
fn open_members(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Bool(true)) => true,
        Some(Value::Object(schema)) => schema.is_empty(),
        Some(_) => false,
    }
}

fn ref_of(value: &Value) -> Option<&str> {
    value.get("$ref").and_then(Value::as_str)
}

/// `value` with its `$ref`s followed (to the end of a chain) in `doc`.
fn resolve<'v>(doc: &'v Value, mut value: &'v Value) -> Option<&'v Value> {
    for _ in 0..MAX_DEPTH {
        match ref_of(value) {
            None => return Some(value),
            Some(reference) => value = doc.pointer(reference.strip_prefix('#')?)?,
        }
    }
    None
}

/// One parameter of an operation, resolved.
struct Parameter<'v> {
    name: String,
    location: String,
    value: &'v Value,
    /// Its pointer: in the operation, or in the path item for a path-level one.
    at: String,
}

/// The parameters of an operation: the path item's, then the operation's
/// own, which win over a path-level one of the same name and location.
fn parameters<'v>(
    doc: &'v Value,
    item_at: &str,
    operation_at: &str,
    path_level: Option<&'v Value>,
    operation: &'v Value,
) -> Vec<Parameter<'v>> {
    let mut out: Vec<Parameter<'v>> = Vec::new();
    for (list, at) in [
        (path_level, item_at),
        (operation.get("parameters"), operation_at),
    ] {
        for (i, parameter) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(value) = resolve(doc, parameter) else {
                continue;
            };
            let text = |key: &str| {
                value
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let (name, location) = (text("name"), text("in"));
            out.retain(|p| !(p.name == name && p.location == location));
            out.push(Parameter {
                name,
                location,
                value,
                at: format!("{at}/parameters/{i}"),
            });
        }
    }
    out
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .collect()
}

fn quoted(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "nothing".to_owned(), Value::to_string)
}

impl Walker<'_> {
    fn push(&mut self, class: Class, at: &str, what: String, reason: impl Into<String>) {
        self.changes.push(Change {
            class,
            at: at.to_owned(),
            what,
            reason: reason.into(),
        });
    }

    fn neutral(&mut self, at: &str, what: String) {
        self.push(Class::Neutral, at, what, NEUTRAL_REASON);
    }

    /// A difference no rule covers: breaking until a person says otherwise.
    fn unruled(&mut self, at: &str, key: &str, old: Option<&Value>, new: Option<&Value>) {
        self.push(
            Class::Breaking,
            at,
            format!("`{key}` changed from {} to {}", shown(old), shown(new)),
            "a change this classifier has no rule for, so it counts as breaking: review \
             whether it narrows what callers may send or widens what they may receive",
        );
    }

    fn document(&mut self) {
        // Equal path items may still refer to components that changed.
        self.paths();
        let (old, new) = (members(Some(self.old)), members(Some(self.new)));
        for key in keys(old, new) {
            let (a, b) = (old.get(key), new.get(key));
            if key.starts_with("x-kore-") || key == "paths" || a == b {
                continue;
            }
            let at = format!("/{}", escape(key));
            match key.as_str() {
                "components" => {
                    // Schemas, parameters, responses are compared where they
                    // are used; the security schemes say how callers log in.
                    let at = format!("{at}/securitySchemes");
                    let (a, b) = (
                        a.and_then(|c| c.get("securitySchemes")),
                        b.and_then(|c| c.get("securitySchemes")),
                    );
                    if a != b {
                        self.push(
                            Class::Breaking,
                            &at,
                            "the security schemes changed".into(),
                            "how callers authenticate changes; credentials or token requests \
                             that worked may not any more",
                        );
                    }
                }
                "servers" | "security" => self.push(
                    Class::Breaking,
                    &at,
                    format!("`{key}` changed"),
                    "where or how callers reach the API changes; requests that worked may not \
                     any more",
                ),
                "openapi" | "info" | "tags" | "externalDocs" => {
                    self.neutral(&at, format!("`{key}` changed"));
                }
                _ if key.starts_with("x-") => self.neutral(&at, format!("`{key}` changed")),
                _ => self.unruled(&at, key, a, b),
            }
        }
    }

    fn paths(&mut self) {
        let (old, new) = (
            members(self.old.get("paths")),
            members(self.new.get("paths")),
        );
        for path in keys(old, new) {
            let (a, b) = (members(old.get(path)), members(new.get(path)));
            let item_at = format!("/paths/{}", escape(path));
            for member in keys(a, b) {
                if METHODS.contains(&member.as_str()) || member == "parameters" {
                    continue;
                }
                if a.get(member) != b.get(member) {
                    if is_annotation(member) || member == "summary" {
                        self.neutral(&item_at, format!("`{member}` of {path} changed"));
                    } else {
                        self.unruled(&item_at, member, a.get(member), b.get(member));
                    }
                }
            }
            for method in METHODS {
                let at = format!("{item_at}/{method}");
                let name = |op: &Value| {
                    op.get("operationId")
                        .and_then(Value::as_str)
                        .map_or_else(String::new, |id| format!("`{id}` "))
                };
                match (a.get(method), b.get(method)) {
                    (None, None) => {}
                    (None, Some(op)) => self.push(
                        Class::Additive,
                        &at,
                        format!(
                            "operation {}({} {path}) added",
                            name(op),
                            method.to_uppercase()
                        ),
                        "a new operation: nothing callers use changes",
                    ),
                    (Some(op), None) => self.push(
                        Class::Breaking,
                        &at,
                        format!(
                            "operation {}({} {path}) removed",
                            name(op),
                            method.to_uppercase()
                        ),
                        "callers of it fail, and its generated method disappears",
                    ),
                    (Some(o), Some(n)) => {
                        let old_params =
                            parameters(self.old, &item_at, &at, a.get("parameters"), o);
                        let new_params =
                            parameters(self.new, &item_at, &at, b.get("parameters"), n);
                        self.operation(&at, o, n, [&old_params, &new_params]);
                    }
                }
            }
        }
    }

    fn operation(&mut self, at: &str, old: &Value, new: &Value, params: [&[Parameter<'_>]; 2]) {
        let (o, n) = (members(Some(old)), members(Some(new)));
        for key in keys(o, n) {
            let (a, b) = (o.get(key), n.get(key));
            if a == b || key.starts_with("x-kore-") {
                continue;
            }
            match key.as_str() {
                "parameters" | "requestBody" | "responses" => {}
                "operationId" => self.push(
                    Class::Breaking,
                    at,
                    format!("operationId changed from {} to {}", shown(a), shown(b)),
                    "the generated method is renamed: code that calls it no longer compiles",
                ),
                "summary" | "tags" => self.neutral(at, format!("`{key}` changed")),
                _ if is_annotation(key) => self.neutral(at, format!("`{key}` changed")),
                _ => self.unruled(at, key, a, b),
            }
        }
        self.compare_parameters(at, params[0], params[1]);
        self.request_body(at, o.get("requestBody"), n.get("requestBody"));
        self.responses(at, o.get("responses"), n.get("responses"));
    }

    fn compare_parameters(&mut self, at: &str, old: &[Parameter<'_>], new: &[Parameter<'_>]) {
        let required = |p: &Value| p.get("required").and_then(Value::as_bool) == Some(true);
        for parameter in new {
            let (name, location, here) = (&parameter.name, &parameter.location, &parameter.at);
            let Some(before) = old
                .iter()
                .find(|p| p.name == *name && p.location == *location)
            else {
                if required(parameter.value) {
                    self.push(
                        Class::Breaking,
                        here,
                        format!("required {location} parameter `{name}` added"),
                        "callers that do not send it — every caller until now — are refused, \
                         and the generated method needs a new argument",
                    );
                } else {
                    self.push(
                        Class::Additive,
                        here,
                        format!("optional {location} parameter `{name}` added"),
                        "callers may leave it out, as they all do today",
                    );
                }
                continue;
            };
            match (required(before.value), required(parameter.value)) {
                (false, true) => self.push(
                    Class::Breaking,
                    here,
                    format!("{location} parameter `{name}` became required"),
                    "callers that leave it out, as they could until now, are refused",
                ),
                (true, false) => self.push(
                    Class::Additive,
                    here,
                    format!("{location} parameter `{name}` is no longer required"),
                    "callers may leave it out; sending it still works",
                ),
                _ => {}
            }
            let (b, p) = (members(Some(before.value)), members(Some(parameter.value)));
            for key in keys(b, p) {
                let (x, y) = (b.get(key), p.get(key));
                if x == y || matches!(key.as_str(), "name" | "in" | "required" | "schema") {
                    continue;
                }
                if is_annotation(key) {
                    self.neutral(here, format!("`{key}` of parameter `{name}` changed"));
                } else {
                    self.unruled(here, key, x, y);
                }
            }
            if let (Some(x), Some(y)) = (before.value.get("schema"), parameter.value.get("schema"))
            {
                self.schema(x, y, &format!("{here}/schema"), Side::Request, 0);
            }
        }
        for parameter in old {
            if !new
                .iter()
                .any(|p| p.name == parameter.name && p.location == parameter.location)
            {
                self.push(
                    Class::Breaking,
                    &format!("{at}/parameters"),
                    format!(
                        "{} parameter `{}` removed",
                        parameter.location, parameter.name
                    ),
                    "callers that send it are refused or ignored, and its generated setter \
                     disappears",
                );
            }
        }
    }

    fn request_body(&mut self, at: &str, old: Option<&Value>, new: Option<&Value>) {
        let at = format!("{at}/requestBody");
        let old = old.and_then(|b| resolve(self.old, b));
        let new = new.and_then(|b| resolve(self.new, b));
        let required = |b: &Value| b.get("required").and_then(Value::as_bool) == Some(true);
        match (old, new) {
            (None, None) => {}
            (None, Some(body)) if required(body) => self.push(
                Class::Breaking,
                &at,
                "a required request body added".into(),
                "callers that send no body — every caller until now — are refused",
            ),
            (None, Some(_)) => self.push(
                Class::Additive,
                &at,
                "an optional request body added".into(),
                "callers may send none, as they all do today",
            ),
            (Some(_), None) => self.push(
                Class::Breaking,
                &at,
                "the request body removed".into(),
                "what callers send is no longer described or accepted, and the generated \
                 body type disappears",
            ),
            (Some(o), Some(n)) => {
                match (required(o), required(n)) {
                    (false, true) => self.push(
                        Class::Breaking,
                        &at,
                        "the request body became required".into(),
                        "callers that send no body, as they could until now, are refused",
                    ),
                    (true, false) => self.push(
                        Class::Additive,
                        &at,
                        "the request body is no longer required".into(),
                        "callers may send none; sending one still works",
                    ),
                    _ => {}
                }
                if o.get("description") != n.get("description") {
                    self.neutral(&at, "the request body's `description` changed".into());
                }
                self.content(&at, o.get("content"), n.get("content"), Side::Request);
            }
        }
    }

    fn responses(&mut self, at: &str, old: Option<&Value>, new: Option<&Value>) {
        let (old, new) = (members(old), members(new));
        for status in keys(old, new) {
            let here = format!("{at}/responses/{}", escape(status));
            let o = old.get(status).and_then(|r| resolve(self.old, r));
            let n = new.get(status).and_then(|r| resolve(self.new, r));
            match (o, n) {
                (None, None) => {}
                (None, Some(_)) => self.push(
                    Class::Additive,
                    &here,
                    format!("response status {status} added"),
                    "a newly documented outcome; the outcomes callers handle are unchanged",
                ),
                (Some(_), None) => self.push(
                    Class::Breaking,
                    &here,
                    format!("response status {status} removed"),
                    "callers that handle it lose its documented body, and the generated \
                     response types change",
                ),
                (Some(o), Some(n)) => {
                    if o.get("description") != n.get("description") {
                        self.neutral(&here, format!("the description of {status} changed"));
                    }
                    self.content(&here, o.get("content"), n.get("content"), Side::Answer);
                    let (oh, nh) = (members(o.get("headers")), members(n.get("headers")));
                    for header in keys(oh, nh) {
                        let header_at = format!("{here}/headers/{}", escape(header));
                        match (oh.get(header), nh.get(header)) {
                            (None, Some(_)) => self.push(
                                Class::Additive,
                                &header_at,
                                format!("header `{header}` added to {status}"),
                                "the server sends one more header; nothing callers read changes",
                            ),
                            (Some(_), None) => self.push(
                                Class::Breaking,
                                &header_at,
                                format!("header `{header}` removed from {status}"),
                                "callers that read it find nothing",
                            ),
                            (Some(x), Some(y)) => {
                                let x = resolve(self.old, x).and_then(|h| h.get("schema"));
                                let y = resolve(self.new, y).and_then(|h| h.get("schema"));
                                if let (Some(x), Some(y)) = (x, y) {
                                    self.schema(
                                        x,
                                        y,
                                        &format!("{header_at}/schema"),
                                        Side::Answer,
                                        0,
                                    );
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }

    fn content(&mut self, at: &str, old: Option<&Value>, new: Option<&Value>, side: Side) {
        let (old, new) = (members(old), members(new));
        for media in keys(old, new) {
            let here = format!("{at}/content/{}", escape(media));
            match (old.get(media), new.get(media)) {
                (None, Some(_)) => self.push(
                    Class::Additive,
                    &here,
                    format!("media type {media} added {}", side.phrase()),
                    "one more representation; the existing ones are unchanged",
                ),
                (Some(_), None) => self.push(
                    Class::Breaking,
                    &here,
                    format!("media type {media} removed {}", side.phrase()),
                    "callers that use it are refused or receive something else",
                ),
                (Some(o), Some(n)) => {
                    if let (Some(x), Some(y)) = (o.get("schema"), n.get("schema")) {
                        self.schema(x, y, &format!("{here}/schema"), side, 0);
                    }
                }
                (None, None) => {}
            }
        }
    }

    /// Compares two schemas used on `side`. The same `$ref` on both sides is
    /// compared once (per side) where the component is defined; otherwise
    /// both are resolved and compared at `at`.
    fn schema(&mut self, old: &Value, new: &Value, at: &str, side: Side, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        if let (Some(a), Some(b)) = (ref_of(old), ref_of(new))
            && a == b
        {
            if self.seen.insert((a.to_owned(), side))
                && let (Some(o), Some(n)) = (resolve(self.old, old), resolve(self.new, new))
            {
                let component = a.strip_prefix('#').unwrap_or(a).to_owned();
                self.schema_body(o, n, &component, side, depth + 1);
            }
            return;
        }
        if let (Some(o), Some(n)) = (resolve(self.old, old), resolve(self.new, new)) {
            self.schema_body(o, n, at, side, depth + 1);
        }
    }

    fn schema_body(&mut self, old: &Value, new: &Value, at: &str, side: Side, depth: usize) {
        let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
            if old != new {
                self.unruled(at, "schema", Some(old), Some(new));
            }
            return;
        };
        for key in keys(o, n) {
            let (a, b) = (o.get(key), n.get(key));
            // Equal subschemas may still refer to components that changed.
            let nested = matches!(
                key.as_str(),
                "items" | "not" | "additionalProperties" | "allOf" | "anyOf" | "oneOf"
            );
            if key.starts_with("x-kore-") || (a == b && !nested) {
                continue;
            }
            match key.as_str() {
                "properties" | "required" => {}
                "type" | "format" => self.push(
                    Class::Breaking,
                    at,
                    format!(
                        "`{key}` changed from {} to {} {}",
                        shown(a),
                        shown(b),
                        side.phrase()
                    ),
                    "values of the old form are not valid in the new one, and the generated \
                     Rust type changes: code that reads or sets it no longer compiles",
                ),
                "enum" => self.enumeration(at, a, b, side),
                "nullable" => {
                    let truthy = |v: Option<&Value>| v == Some(&Value::Bool(true));
                    if truthy(a) != truthy(b) {
                        self.nullable(at, truthy(b), side);
                    }
                }
                "additionalProperties" => match (open_members(a), open_members(b)) {
                    (true, true) => {}
                    _ if a.is_some_and(Value::is_object) && b.is_some_and(Value::is_object) => {
                        let (x, y) = (a.unwrap_or(&Value::Null), b.unwrap_or(&Value::Null));
                        self.schema(x, y, &format!("{at}/additionalProperties"), side, depth);
                    }
                    (true, false) if b == Some(&Value::Bool(false)) && side == Side::Request => {
                        self.push(
                            Class::Breaking,
                            at,
                            "`additionalProperties: false` newly set on a request object".into(),
                            "a request with members the schema does not name, which the API \
                         accepted until now, is refused: callers who send an extra or newer \
                         field fail",
                        )
                    }
                    (false, true) if a == Some(&Value::Bool(false)) && side == Side::Request => {
                        self.push(
                            Class::Additive,
                            at,
                            "`additionalProperties: false` dropped from a request object".into(),
                            "the request accepts members the schema does not name; what callers \
                         send today still works",
                        )
                    }
                    _ if a != b => self.unruled(at, key, a, b),
                    _ => {}
                },
                "items" | "not" => match (a, b) {
                    (Some(x), Some(y)) => {
                        self.schema(x, y, &format!("{at}/{key}"), side, depth);
                    }
                    _ => self.unruled(at, key, a, b),
                },
                "allOf" | "anyOf" | "oneOf" => {
                    match (a.and_then(Value::as_array), b.and_then(Value::as_array)) {
                        (Some(x), Some(y)) if x.len() == y.len() => {
                            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                                self.schema(x, y, &format!("{at}/{key}/{i}"), side, depth);
                            }
                        }
                        _ if a != b => self.unruled(at, key, a, b),
                        _ => {}
                    }
                }
                _ if is_annotation(key) => {
                    self.neutral(at, format!("`{key}` changed {}", side.phrase()));
                }
                _ => self.unruled(at, key, a, b),
            }
        }
        self.properties(o, n, at, side, depth);
    }

    fn enumeration(&mut self, at: &str, old: Option<&Value>, new: Option<&Value>, side: Side) {
        let here = format!("{at}/enum");
        match (old, new) {
            (None, Some(values)) => self.push(
                Class::Breaking,
                &here,
                format!("an enum {values} newly set on a string {}", side.phrase()),
                match side {
                    Side::Request => {
                        "callers that send any other value, as they could until now, are \
                         refused, and the generated type changes from a string to an enum"
                    }
                    Side::Answer => {
                        "the generated type changes from a string to an enum, so code that \
                         reads it as text no longer compiles, and a strict client rejects any \
                         value outside the list"
                    }
                },
            ),
            (Some(values), None) => self.push(
                Class::Breaking,
                &here,
                format!("the enum {values} dropped {}", side.phrase()),
                "any string is allowed now, and the generated type changes from an enum to a \
                 string: code that matches on its values no longer compiles",
            ),
            (Some(o), Some(n)) => {
                let (o, n) = (strings(Some(o)), strings(Some(n)));
                let added: Vec<&String> = n.iter().filter(|v| !o.contains(v)).collect();
                let removed: Vec<&String> = o.iter().filter(|v| !n.contains(v)).collect();
                if !removed.is_empty() {
                    self.push(
                        Class::Breaking,
                        &here,
                        format!(
                            "enum value(s) {} removed {}",
                            quoted(&removed),
                            side.phrase()
                        ),
                        match side {
                            Side::Request => {
                                "callers that send it are refused, and the generated variant \
                                 disappears: code that names it no longer compiles"
                            }
                            Side::Answer => {
                                "the generated variant disappears: code that matches on it no \
                                 longer compiles"
                            }
                        },
                    );
                }
                if !added.is_empty() {
                    self.push(
                        Class::Additive,
                        &here,
                        format!("enum value(s) {} added {}", quoted(&added), side.phrase()),
                        match side {
                            Side::Request => {
                                "callers may send a value they could not before; every value \
                                 they send today still works"
                            }
                            Side::Answer => {
                                "the server may send a value older SDKs do not list; they keep it \
                                 as `Open::Unknown` (enums are generated open), and every value \
                                 they know keeps its meaning"
                            }
                        },
                    );
                }
                if added.is_empty() && removed.is_empty() {
                    self.neutral(&here, format!("enum values reordered {}", side.phrase()));
                }
            }
            (None, None) => {}
        }
    }

    fn nullable(&mut self, at: &str, now_nullable: bool, side: Side) {
        let here = format!("{at}/nullable");
        match (now_nullable, side) {
            (true, Side::Answer) => self.push(
                Class::Breaking,
                &here,
                "became nullable in an answer".into(),
                "the server may send null where it promised a value: code that expects a value \
                 fails, and the generated field's type changes",
            ),
            (true, Side::Request) => self.push(
                Class::Additive,
                &here,
                "became nullable in a request".into(),
                "callers may send null; every value they send today still works",
            ),
            (false, Side::Request) => self.push(
                Class::Breaking,
                &here,
                "no longer nullable in a request".into(),
                "callers that send null, as they could until now, are refused",
            ),
            (false, Side::Answer) => self.push(
                Class::Additive,
                &here,
                "no longer nullable in an answer".into(),
                "the server promises a value where it allowed null; code that handles null \
                 still works",
            ),
        }
    }

    fn properties(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        at: &str,
        side: Side,
        depth: usize,
    ) {
        let (op, np) = (
            members(old.get("properties")),
            members(new.get("properties")),
        );
        let (or, nr) = (strings(old.get("required")), strings(new.get("required")));
        for name in keys(op, np) {
            let here = format!("{at}/properties/{}", escape(name));
            match (op.get(name), np.get(name)) {
                (Some(x), Some(y)) => self.schema(x, y, &here, side, depth),
                (None, Some(_)) => match (nr.contains(name), side) {
                    (true, Side::Request) => self.push(
                        Class::Breaking,
                        &here,
                        format!("required property `{name}` added in a request"),
                        "callers that do not send it — every caller until now — are refused",
                    ),
                    (true, Side::Answer) => self.push(
                        Class::Additive,
                        &here,
                        format!("property `{name}` added in an answer, always sent"),
                        "the server sends one more field; nothing callers read changes",
                    ),
                    (false, Side::Request) => self.push(
                        Class::Additive,
                        &here,
                        format!("optional property `{name}` added in a request"),
                        "callers may leave it out, as they all do today",
                    ),
                    (false, Side::Answer) => self.push(
                        Class::Additive,
                        &here,
                        format!("optional property `{name}` added in an answer"),
                        "the server may send one more field; older SDKs keep it in `extra` \
                         (the open-answers rule), and nothing they read changes",
                    ),
                },
                (Some(_), None) => self.push(
                    Class::Breaking,
                    &here,
                    format!("property `{name}` removed {}", side.phrase()),
                    match side {
                        Side::Request => {
                            "callers that send it are refused or lose it, and its generated \
                             setter disappears"
                        }
                        Side::Answer => {
                            "callers that read it find nothing, and its generated field \
                             disappears"
                        }
                    },
                ),
                (None, None) => {}
            }
        }
        let here = format!("{at}/required");
        for name in nr.iter().filter(|n| !or.contains(n)) {
            if !op.contains_key(name) && np.contains_key(name) {
                continue; // a new property: judged above
            }
            self.push(
                Class::Breaking,
                &here,
                format!("property `{name}` became required {}", side.phrase()),
                match side {
                    Side::Request => {
                        "callers that leave it out, as they could until now, are refused"
                    }
                    Side::Answer => {
                        "its generated field changes from optional to required: code that \
                         handles its absence no longer compiles"
                    }
                },
            );
        }
        for name in or.iter().filter(|n| !nr.contains(n)) {
            if !np.contains_key(name) {
                continue; // removed: judged above
            }
            match side {
                Side::Request => self.push(
                    Class::Additive,
                    &here,
                    format!("property `{name}` is no longer required in a request"),
                    "callers may leave it out; sending it still works",
                ),
                Side::Answer => self.push(
                    Class::Breaking,
                    &here,
                    format!("property `{name}` is no longer required in an answer"),
                    "the server may leave it out: code that relies on it fails, and its \
                     generated field becomes optional",
                ),
            }
        }
    }
}
