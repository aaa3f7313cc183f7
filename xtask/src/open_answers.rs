//! The open-answers rule: every object KORE answers with keeps the fields the
//! spec does not name.
//!
//! KORE adds fields to its answers before anyone regenerates (its published
//! spec added `client_type` to the created client on 6 March 2025). progenitor's
//! types, like serde's default, drop a field they do not declare — unless the
//! schema says `additionalProperties` is a schema, when typify adds a flattened
//! `extra` map that keeps every other field and serializes it back. So after
//! the corrections, the merge gives every object schema reachable from a
//! response `additionalProperties: {}` (any value), wherever the schema says
//! nothing about additional properties.
//!
//! Requests stay as KORE wrote them: an object reachable from a request body
//! or a parameter is never opened, and one reachable from both a request and an
//! answer fails the merge, because opening it would let requests carry
//! arbitrary fields. (Enums are opened by the generator instead, per use: see
//! `kore-clients-codegen`.)
//!
//! The merged spec records the rule and every schema it opened as its
//! `x-kore-open-answers` extension (the generator reads it to keep the opened
//! types' `Default`). `kore-conformance` reports a field that only an empty
//! `additionalProperties` schema lets through as an unknown field all the
//! same: kept is not documented, and drift stays visible.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::merge::escape;
use crate::{Result, err};

/// The top-level extension of the merged spec that records the rule.
pub const RECORD_KEY: &str = "x-kore-open-answers";

/// Why the rule exists, as recorded in the merged spec.
pub const REASON: &str = "KORE adds answer fields before clients regenerate: every object \
     schema reachable from a response keeps fields the spec does not name \
     (additionalProperties: {}), so no answer field is dropped silently; request schemas \
     are left as KORE wrote them";

/// Where the walk is: a JSON pointer into the document.
type Pointer = String;

/// Applies the rule to `doc` and returns the record to store under
/// [`RECORD_KEY`]: the reason and the pointer of every schema it opened.
pub fn apply(doc: &mut Value) -> Result<Value> {
    check_enums(doc)?;
    let answers = reachable(doc, Side::Answer)?;
    let requests = reachable(doc, Side::Request)?;
    if let Some(shared) = answers.iter().find(|p| requests.contains(*p)) {
        return Err(err(format!(
            "the object schema at {shared} is used in a request and in an answer: the \
             open-answers rule would let requests carry fields KORE does not define. Give \
             the request its own schema (a correction in openapi/corrections.json)"
        )));
    }
    let mut opened = Vec::new();
    for pointer in &answers {
        let Some(Value::Object(schema)) = doc.pointer_mut(pointer) else {
            continue;
        };
        if !schema.contains_key("additionalProperties") {
            schema.insert("additionalProperties".into(), Value::Object(Map::new()));
            opened.push(Value::String(pointer.clone()));
        }
    }
    Ok(json!({ "reason": REASON, "opened": opened }))
}

/// The generator opens an enum per use, by matching a bare `$ref` to a
/// string-enum component. So every string enum must be a component, and every
/// use of one a bare `$ref` (no `allOf` around it, no `nullable` beside it):
/// anything else would be generated closed, and one new value KORE sends
/// would fail the whole answer again. Refused here, naming where and what to do.
fn check_enums(doc: &Value) -> Result<()> {
    let components = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let is_string_enum = |schema: &Value| {
        schema.get("enum").is_some() && schema.get("type").and_then(Value::as_str) == Some("string")
    };
    let enum_refs: BTreeSet<String> = components
        .into_iter()
        .flatten()
        .filter(|(_, schema)| is_string_enum(schema))
        .map(|(name, _)| format!("#/components/schemas/{name}"))
        .collect();
    let mut problems = Vec::new();
    scan_enums(
        doc,
        String::new(),
        &enum_refs,
        &is_string_enum,
        &mut problems,
    );
    if problems.is_empty() {
        return Ok(());
    }
    Err(err(format!(
        "{}; the generator keeps unknown enum values only for a bare `$ref` to a string-enum \
         component: extract the enum into `#/components/schemas/…` with a correction in \
         openapi/corrections.json (as `client-type-schema` does), and refer to it alone",
        problems.join("; ")
    )))
}

fn scan_enums(
    value: &Value,
    at: String,
    enum_refs: &BTreeSet<String>,
    is_string_enum: &dyn Fn(&Value) -> bool,
    problems: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            let component = at.matches('/').count() == 3 && at.starts_with("/components/schemas/");
            if is_string_enum(value) && !component && !at.ends_with("/example") {
                problems.push(format!("{at} is an inline string enum"));
            }
            if let Some(target) = map.get("$ref").and_then(Value::as_str)
                && enum_refs.contains(target)
                && map.len() > 1
            {
                problems.push(format!(
                    "{at} refers to the enum {target} with siblings ({})",
                    map.keys()
                        .filter(|k| *k != "$ref")
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            for (key, child) in map {
                if key == "example" || key == "examples" || key.starts_with("x-") {
                    continue;
                }
                scan_enums(
                    child,
                    format!("{at}/{}", escape(key)),
                    enum_refs,
                    is_string_enum,
                    problems,
                );
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                scan_enums(
                    item,
                    format!("{at}/{i}"),
                    enum_refs,
                    is_string_enum,
                    problems,
                );
            }
        }
        _ => {}
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Answer,
    Request,
}

/// The pointers of every object schema reachable from the answers (or the
/// requests) of every operation.
fn reachable(doc: &Value, side: Side) -> Result<BTreeSet<Pointer>> {
    let mut roots: Vec<Pointer> = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Ok(BTreeSet::new());
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        let item_at = format!("/paths/{}", escape(path));
        for (method, operation) in item {
            let at = format!("{item_at}/{}", escape(method));
            match side {
                Side::Answer => {
                    if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
                        for status in responses.keys() {
                            roots.extend(media_schemas(
                                doc,
                                &format!("{at}/responses/{}", escape(status)),
                            ));
                        }
                    }
                }
                Side::Request => {
                    roots.extend(media_schemas(doc, &format!("{at}/requestBody")));
                    if let Some(parameters) = operation.get("parameters").and_then(Value::as_array)
                    {
                        for i in 0..parameters.len() {
                            roots.push(format!("{at}/parameters/{i}/schema"));
                        }
                    }
                }
            }
            if method == "parameters" && side == Side::Request {
                // Path-level parameters: an array directly under the path item.
                if let Some(parameters) = operation.as_array() {
                    for i in 0..parameters.len() {
                        roots.push(format!("{item_at}/parameters/{i}/schema"));
                    }
                }
            }
        }
    }
    let mut objects = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for root in roots {
        walk(doc, root, &mut seen, &mut objects)?;
    }
    Ok(objects)
}

/// The schema pointers of a response's or request body's media types (the
/// response itself may be a `$ref` to `#/components/responses/…`).
fn media_schemas(doc: &Value, at: &str) -> Vec<Pointer> {
    let mut at = at.to_owned();
    let mut value = doc.pointer(&at);
    for _ in 0..8 {
        match value.and_then(|v| v.get("$ref")).and_then(Value::as_str) {
            Some(target) => {
                at = target.trim_start_matches('#').to_owned();
                value = doc.pointer(&at);
            }
            None => break,
        }
    }
    value
        .and_then(|v| v.get("content"))
        .and_then(Value::as_object)
        .map(|content| {
            content
                .keys()
                .map(|media| format!("{at}/content/{}/schema", escape(media)))
                .collect()
        })
        .unwrap_or_default()
}

fn walk(
    doc: &Value,
    at: Pointer,
    seen: &mut BTreeSet<Pointer>,
    objects: &mut BTreeSet<Pointer>,
) -> Result<()> {
    if !seen.insert(at.clone()) {
        return Ok(());
    }
    let Some(schema) = doc.pointer(&at) else {
        return Ok(());
    };
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let Some(local) = target.strip_prefix('#') else {
            return Err(err(format!(
                "{at}: `$ref` {target:?} points outside the document; the merged spec must be \
                 self-contained"
            )));
        };
        return walk(doc, local.to_owned(), seen, objects);
    }
    let Some(map) = schema.as_object() else {
        return Ok(());
    };
    let is_object =
        map.get("type").and_then(Value::as_str) == Some("object") || map.contains_key("properties");
    if is_object {
        objects.insert(at.clone());
    }
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        for name in properties.keys() {
            walk(
                doc,
                format!("{at}/properties/{}", escape(name)),
                seen,
                objects,
            )?;
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if map.get(key).is_some_and(Value::is_object) {
            walk(doc, format!("{at}/{key}"), seen, objects)?;
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(parts) = map.get(key).and_then(Value::as_array) {
            for i in 0..parts.len() {
                walk(doc, format!("{at}/{key}/{i}"), seen, objects)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(schemas: Value, request: Value, answer: Value) -> Value {
        json!({
            "openapi": "3.0.1",
            "paths": {"/x": {"post": {
                "operationId": "makeX",
                "requestBody": {"content": {"application/json": {"schema": request}}},
                "responses": {
                    "201": {"content": {"application/json": {"schema": answer}}},
                    "400": {"$ref": "#/components/responses/Bad"}
                }
            }}},
            "components": {
                "schemas": schemas,
                "responses": {"Bad": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}
                }}}}
            }
        })
    }

    /// What `apply` refuses the document of [`doc`] with.
    fn merge_error(schemas: Value, request: Value, answer: Value) -> String {
        apply(&mut doc(schemas, request, answer))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn answer_objects_at_every_depth_are_opened_and_recorded() {
        let mut spec = doc(
            json!({
                "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
                "X": {"type": "object", "properties": {
                    "meta": {"type": "object", "properties": {"n": {"type": "number"}}},
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
                }},
                "Item": {"properties": {"id": {"type": "string"}}},
                "Closed": {"type": "object", "additionalProperties": false, "properties": {}},
                "NewX": {"type": "object", "properties": {"name": {"type": "string"}}}
            }),
            json!({"$ref": "#/components/schemas/NewX"}),
            json!({"allOf": [{"$ref": "#/components/schemas/X"}]}),
        );
        let record = apply(&mut spec).unwrap();
        let opened: Vec<&str> = record["opened"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            opened,
            [
                "/components/schemas/Error",
                "/components/schemas/Item",
                "/components/schemas/X",
                "/components/schemas/X/properties/meta",
            ]
        );
        assert_eq!(
            spec["components"]["schemas"]["X"]["additionalProperties"],
            json!({})
        );
        assert_eq!(
            spec.pointer("/components/schemas/NewX/additionalProperties"),
            None,
            "requests stay as KORE wrote them"
        );
        assert_eq!(record["reason"], REASON);
    }

    #[test]
    fn a_schema_that_says_something_about_extra_fields_is_left_alone() {
        let mut spec = doc(
            json!({
                "Error": {"type": "object", "additionalProperties": false, "properties": {}},
                "X": {"type": "object", "additionalProperties": {"type": "string"}}
            }),
            json!({"type": "string"}),
            json!({"$ref": "#/components/schemas/X"}),
        );
        let record = apply(&mut spec).unwrap();
        assert_eq!(record["opened"], json!([]));
        assert_eq!(
            spec["components"]["schemas"]["Error"]["additionalProperties"],
            json!(false)
        );
    }

    #[test]
    fn an_object_shared_by_a_request_and_an_answer_fails_the_merge() {
        let error = merge_error(
            json!({
                "Error": {"type": "object", "properties": {}},
                "X": {"type": "object", "properties": {"name": {"type": "string"}}}
            }),
            json!({"$ref": "#/components/schemas/X"}),
            json!({"$ref": "#/components/schemas/X"}),
        );
        assert!(
            error.contains("/components/schemas/X is used in a request and in an answer"),
            "{error}"
        );
    }

    #[test]
    fn an_enum_the_generator_could_not_open_fails_the_merge() {
        let error = merge_error(
            json!({
                "Error": {"type": "object", "properties": {}},
                "Kind": {"type": "string", "enum": ["a", "b"]},
                "X": {"type": "object", "properties": {
                    "inline": {"type": "string", "enum": ["x"]},
                    "wrapped": {"$ref": "#/components/schemas/Kind", "nullable": true},
                    "fine": {"$ref": "#/components/schemas/Kind"}
                }}
            }),
            json!({"type": "string"}),
            json!({"$ref": "#/components/schemas/X"}),
        );
        assert!(
            error.contains("/components/schemas/X/properties/inline is an inline string enum"),
            "{error}"
        );
        assert!(
            error.contains(
                "/components/schemas/X/properties/wrapped refers to the enum \
                 #/components/schemas/Kind with siblings (nullable)"
            ),
            "{error}"
        );
        assert!(!error.contains("/fine"), "{error}");
        assert!(error.contains("extract the enum"), "{error}");
    }

    #[test]
    fn a_reference_outside_the_document_is_refused() {
        let error = merge_error(
            json!({"Error": {"type": "object"}}),
            json!({"type": "string"}),
            json!({"$ref": "other.json#/X"}),
        );
        assert!(error.contains("points outside the document"), "{error}");
    }
}
