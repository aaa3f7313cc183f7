//! The operation table: one `Operation` variant per operation of the spec.
//!
//! What the SDK needs to know about an operation — its id, the generated
//! method that sends it, its HTTP method and path, whether repeating it is
//! safe — is all in the spec, so it is generated next to the client rather
//! than listed by hand: an operation KORE adds gets tokens, retries by its
//! HTTP method, spans and error names on regeneration. The table is part of
//! `kore-clients`' own API (written by [`crate::wrapper()`]), not of the
//! raw crate's.

use std::fmt::Write as _;

/// HTTP methods whose requests change nothing on the server and may be
/// repeated (RFC 9110's safe methods); every other method is treated as a
/// write and never repeated blindly.
const READ_METHODS: [&str; 3] = ["get", "head", "options"];

/// One row of the table.
struct Row {
    variant: String,
    operation_id: String,
    method_name: String,
    http_method: String,
    path: String,
    words: String,
    summary: Option<String>,
}

/// Splits an identifier into lowercase words at case changes, digits-to-letters
/// boundaries and any non-alphanumeric character (`getPingStatus` → get, ping,
/// status; `client_type` → client, type; `HTTPStatus` → http, status).
pub(crate) fn words(identifier: &str) -> Vec<String> {
    let chars: Vec<char> = identifier.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let boundary = match previous {
            Some(p) if c.is_uppercase() => {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            }
            _ => false,
        };
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

pub(crate) fn pascal(words: &[String]) -> String {
    words
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect()
}

fn rows(spec: &openapiv3::OpenAPI) -> Result<Vec<Row>, String> {
    let mut rows: Vec<Row> = Vec::new();
    for (path, method, operation) in spec.operations() {
        let operation_id = operation
            .operation_id
            .clone()
            .ok_or_else(|| format!("{} {path} has no operationId", method.to_uppercase()))?;
        let words = words(&operation_id);
        let variant = pascal(&words);
        if variant.is_empty() {
            return Err(format!("operationId {operation_id:?} has no letters"));
        }
        if let Some(clash) = rows.iter().find(|row| row.variant == variant) {
            return Err(format!(
                "operationIds {:?} and {operation_id:?} both become `{variant}`",
                clash.operation_id
            ));
        }
        rows.push(Row {
            method_name: words.join("_"),
            words: words.join(" "),
            variant,
            operation_id,
            http_method: method.to_uppercase(),
            path: path.to_owned(),
            summary: operation.summary.clone(),
        });
    }
    Ok(rows)
}

/// `text` as one line of Markdown that means what it says: whitespace
/// (line breaks, a carriage return) folded to single spaces, and the
/// characters rustdoc would read as links, HTML or emphasis escaped.
pub(crate) fn doc_text(text: &str) -> String {
    let mut out = String::new();
    for c in text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
    {
        if matches!(c, '\\' | '[' | ']' | '<' | '>' | '`' | '*' | '_' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Checks that progenitor generated, for each operation of the table, the
/// method `method_name` names and told its hooks that name: the table's own
/// word splitting must agree with progenitor's, or an operation would reach
/// the SDK under a name it does not know (and be treated as a write).
pub(crate) fn check_methods(spec: &openapiv3::OpenAPI, generated: &str) -> Result<(), String> {
    for row in rows(spec)? {
        let method = format!("pub fn {}(", row.method_name);
        let hooks = format!("operation_id: \"{}\"", row.method_name);
        if !generated.contains(&method) || !generated.contains(&hooks) {
            return Err(format!(
                "operationId {:?}: progenitor generated no method `{}` (the operation table \
                 splits the id into words differently from progenitor; fix `words` in \
                 kore-clients-codegen/src/operations.rs)",
                row.operation_id, row.method_name
            ));
        }
    }
    Ok(())
}

/// The discriminant of an operation's variant: the 32-bit FNV-1a hash of
/// its `operationId`, less the top bit (it fits an `i32`, Rust's default
/// `isize` on every target). A number of its own per operation, rather than
/// its position, because cargo-semver-checks counts a changed discriminant
/// of a field-less enum as breaking (`as` casts read it), and an operation
/// KORE adds sorts among the others.
fn discriminant(operation_id: &str) -> u32 {
    let hash = operation_id.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash & 0x7fff_ffff
}

/// The `Operation` enum and its impls, as Rust source.
pub(crate) fn source(spec: &openapiv3::OpenAPI) -> Result<String, String> {
    let rows = rows(spec)?;
    let mut out = String::new();
    let arms = |value: &dyn Fn(&Row) -> String| {
        rows.iter()
            .map(|row| format!("Operation::{} => {},", row.variant, value(row)))
            .collect::<String>()
    };
    let back = |key: &dyn Fn(&Row) -> &str| {
        rows.iter()
            .map(|row| format!("{:?} => Operation::{},", key(row), row.variant))
            .collect::<String>()
    };

    out.push_str(
        "/// An operation of the KORE Client API, one per operation of the merged spec \
         (generated with it: an operation added to the spec needs no hand-written line).\n\
         ///\n/// Each variant's discriminant is derived from its `operationId` alone, so an \
         operation KORE adds never renumbers the others (`Operation::ListClient as i64` stays \
         what it was).\n\
         ///\n/// Ordered by `operationId`, not by position: an operation KORE adds takes its place \
         among the others without reordering them.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n\
         #[non_exhaustive]\npub enum Operation {\n",
    );
    let mut taken: Vec<(u32, &str)> = Vec::new();
    for row in &rows {
        let discriminant = discriminant(&row.operation_id);
        if let Some((_, other)) = taken.iter().find(|(d, _)| *d == discriminant) {
            return Err(format!(
                "operationIds {other:?} and {:?} hash to the same discriminant {discriminant}; \
                 change `discriminant` in kore-clients-codegen/src/operations.rs",
                row.operation_id
            ));
        }
        taken.push((discriminant, &row.operation_id));
        let summary = row
            .summary
            .as_deref()
            .map(|s| format!(": {}", doc_text(s)))
            .filter(|s| s.len() > 2)
            .unwrap_or_default();
        writeln!(
            out,
            "/// `{} {}` (`{}`){summary}\n{} = {discriminant},",
            row.http_method, row.path, row.operation_id, row.variant
        )
        .expect("writing to a String");
    }
    out.push_str("}\n\nimpl Operation {\n");
    writeln!(
        out,
        "/// Every operation, in the spec's order.\npub const ALL: &'static [Operation] = &[{}];",
        rows.iter()
            .map(|row| format!("Operation::{}", row.variant))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .expect("writing to a String");
    let string_fn = |name: &str, doc: &str, value: &dyn Fn(&Row) -> String| {
        format!(
            "/// {doc}\npub const fn {name}(self) -> &'static str {{ match self {{ {} }} }}\n",
            arms(value)
        )
    };
    out.push_str(&string_fn(
        "operation_id",
        "The spec's `operationId` (`\"listClient\"`).",
        &|row| format!("{:?}", row.operation_id),
    ));
    out.push_str(&string_fn(
        "method_name",
        "The generated `Client` method that sends it (`\"list_client\"`): the name \
         the hooks receive as `operation_id`.",
        &|row| format!("{:?}", row.method_name),
    ));
    out.push_str(&string_fn(
        "http_method",
        "The HTTP method, upper case (`\"GET\"`).",
        &|row| format!("{:?}", row.http_method),
    ));
    out.push_str(&string_fn(
        "path",
        "The path template (`\"/v1/clients/{client_id}\"`).",
        &|row| format!("{:?}", row.path),
    ));
    out.push_str(&string_fn(
        "words",
        "The operation id in words (`\"list client\"`), for messages.",
        &|row| format!("{:?}", row.words),
    ));
    writeln!(
        out,
        "/// Whether the HTTP method is a read (GET, HEAD, OPTIONS), safe to repeat; \
         every other method is a write, which KORE has no idempotency key for.\n\
         pub const fn is_read(self) -> bool {{ match self {{ {} }} }}",
        arms(&|row| READ_METHODS
            .contains(&row.http_method.to_lowercase().as_str())
            .to_string())
    )
    .expect("writing to a String");
    out.push_str(
        "/// Whether repeating the request could change server state (not a read).\n\
         pub const fn is_write(self) -> bool { !self.is_read() }\n",
    );
    writeln!(
        out,
        "/// The operation whose generated method is `name` (`\"list_client\"`).\n\
         pub fn from_method_name(name: &str) -> Option<Self> {{ Some(match name {{ {} _ => return None, }}) }}",
        back(&|row| &row.method_name)
    )
    .expect("writing to a String");
    writeln!(
        out,
        "/// The operation whose `operationId` is `id` (`\"listClient\"`).\n\
         pub fn from_operation_id(id: &str) -> Option<Self> {{ Some(match id {{ {} _ => return None, }}) }}",
        back(&|row| &row.operation_id)
    )
    .expect("writing to a String");
    out.push_str("}\n\n");
    out.push_str(
        "impl PartialOrd for Operation {\n\
         fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> { Some(self.cmp(other)) }\n}\n\n\
         impl Ord for Operation {\n\
         /// By `operationId`.\n\
         fn cmp(&self, other: &Self) -> std::cmp::Ordering { self.operation_id().cmp(other.operation_id()) }\n}\n\n",
    );
    out.push_str(
        "impl std::fmt::Display for Operation {\n\
         /// `list client (GET /v1/clients)`: the operation id in words, then the request.\n\
         fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n\
         write!(f, \"{} ({} {})\", self.words(), self.http_method(), self.path())\n}\n}\n",
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_split_into_words() {
        let cases = [
            ("getPingStatus", "get ping status"),
            ("listClient", "list client"),
            ("client_type", "client type"),
            ("HTTPStatus", "http status"),
            ("v1Clients", "v1 clients"),
            ("SuperSIM", "super sim"),
            ("get-client", "get client"),
        ];
        for (identifier, expected) in cases {
            assert_eq!(words(identifier).join(" "), expected, "{identifier}");
        }
    }

    #[test]
    fn summaries_become_one_line_of_plain_markdown() {
        assert_eq!(doc_text(" List\r\n  clients "), "List clients");
        assert_eq!(
            doc_text("a [b] <c> `d` *e* f_g"),
            "a \\[b\\] \\<c\\> \\`d\\` \\*e\\* f\\_g"
        );
        let spec: openapiv3::OpenAPI = serde_json::from_value(serde_json::json!({
            "openapi": "3.0.1", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"operationId": "getA", "summary": "Get\r\nA [v2]", "responses": {}}}}
        }))
        .unwrap();
        let source = source(&spec).unwrap();
        assert!(
            source.contains("/// `GET /a` (`getA`): Get A \\[v2\\]\n"),
            "{source}"
        );
        syn::parse_str::<syn::File>(&source).expect("valid Rust");
    }

    #[test]
    fn an_operation_whose_method_progenitor_named_otherwise_is_refused() {
        let spec: openapiv3::OpenAPI = serde_json::from_value(serde_json::json!({
            "openapi": "3.0.1", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"operationId": "getA", "responses": {}}}}
        }))
        .unwrap();
        assert!(check_methods(&spec, "pub fn get_a( operation_id: \"get_a\"").is_ok());
        let error = check_methods(&spec, "pub fn geta( operation_id: \"geta\"").unwrap_err();
        assert!(error.contains("no method `get_a`"), "{error}");
    }

    #[test]
    fn clashing_operation_ids_are_refused() {
        let spec: openapiv3::OpenAPI = serde_json::from_value(serde_json::json!({
            "openapi": "3.0.1", "info": {"title": "t", "version": "1"},
            "paths": {
                "/a": {"get": {"operationId": "getA", "responses": {}}},
                "/b": {"get": {"operationId": "get_a", "responses": {}}}
            }
        }))
        .unwrap();
        let error = source(&spec).unwrap_err();
        assert!(error.contains("both become `GetA`"), "{error}");
    }

    #[test]
    fn a_discriminant_depends_on_the_operation_id_alone() {
        let spec = |ids: &[&str]| -> openapiv3::OpenAPI {
            let paths: serde_json::Map<String, serde_json::Value> = ids
                .iter()
                .map(|id| {
                    (
                        format!("/{id}"),
                        serde_json::json!({"get": {"operationId": id, "responses": {}}}),
                    )
                })
                .collect();
            serde_json::from_value(serde_json::json!({
                "openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": paths
            }))
            .unwrap()
        };
        let line = |source: &str, variant: &str| {
            source
                .lines()
                .find(|line| line.trim_start().starts_with(&format!("{variant} = ")))
                .map(str::to_owned)
        };
        let before = source(&spec(&["getA", "getC"])).unwrap();
        let after = source(&spec(&["getA", "getB", "getC"])).unwrap();
        assert_eq!(line(&before, "GetC"), line(&after, "GetC"));
        assert_eq!(line(&before, "GetA"), line(&after, "GetA"));
        assert!(line(&after, "GetB").is_some());
        // FNV-1a of "listClient" (0x9b27_b68a), top bit cleared: fixed for
        // good, whatever else the spec holds.
        assert_eq!(discriminant("listClient"), 455_571_850);
        assert!(line(&after, "ListClient").is_none());
    }

    #[test]
    fn only_get_head_and_options_are_reads() {
        let spec: openapiv3::OpenAPI = serde_json::from_value(serde_json::json!({
            "openapi": "3.0.1", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {
                "get": {"operationId": "readA", "responses": {}},
                "head": {"operationId": "peekA", "responses": {}},
                "options": {"operationId": "askA", "responses": {}},
                "put": {"operationId": "putA", "responses": {}},
                "delete": {"operationId": "dropA", "responses": {}}
            }}
        }))
        .unwrap();
        let rows = rows(&spec).unwrap();
        let reads: Vec<_> = rows
            .iter()
            .filter(|row| READ_METHODS.contains(&row.http_method.to_lowercase().as_str()))
            .map(|row| row.operation_id.as_str())
            .collect();
        assert_eq!(
            reads,
            ["readA", "askA", "peekA"],
            "in the spec's order: get, options, head"
        );
        assert!(source(&spec).unwrap().contains("Operation::DropA => false"));
    }
}
