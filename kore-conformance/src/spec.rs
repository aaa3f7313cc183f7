//! The OpenAPI document, its operations, and its schemas as JSON Schema.
//!
//! OpenAPI 3.0's schema objects are almost JSON Schema draft 4. The one
//! difference that matters for KORE is `nullable: true`, which JSON Schema
//! spells `"type": [T, "null"]` (and, on an enum, `null` among the values);
//! [`to_json_schema`] translates it and drops OpenAPI's annotations.

use jsonschema::Validator;
use serde_json::{Map, Value, json};

/// A spec that cannot be used: not JSON, or a schema `jsonschema` refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

/// The HTTP methods an OpenAPI 3.0 path item may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// An OpenAPI 3.0 document, ready to validate bodies against.
#[derive(Debug, Clone)]
pub struct Spec {
    doc: Value,
    /// `{"schemas": {...}}` with every schema translated to JSON Schema.
    components: Value,
}

impl Spec {
    /// The merged, corrected spec `kore-clients-gen` was generated from
    /// ([`kore_clients_gen::SPEC`]), embedded at build time.
    pub fn merged() -> Self {
        Self::parse(kore_clients_gen::SPEC).expect("the embedded merged spec is valid JSON")
    }

    /// Parses a spec from its JSON text.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        serde_json::from_str(text)
            .map(Self::from_value)
            .map_err(|e| SpecError(format!("the spec is not JSON: {e}")))
    }

    /// A spec from an already parsed document.
    pub fn from_value(doc: Value) -> Self {
        let schemas: Map<_, _> = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, schema)| (name.clone(), to_json_schema(schema)))
            .collect();
        Self {
            components: json!({ "schemas": schemas }),
            doc,
        }
    }

    /// The document as parsed.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// The spec's `info.version`.
    pub fn version(&self) -> Option<&str> {
        self.doc.pointer("/info/version").and_then(Value::as_str)
    }

    /// Every operation, in path order.
    pub fn operations(&self) -> Vec<Operation<'_>> {
        let mut out = Vec::new();
        let Some(paths) = self.doc.get("paths").and_then(Value::as_object) else {
            return out;
        };
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, value) in item {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                if let Some(id) = value.get("operationId").and_then(Value::as_str) {
                    out.push(Operation {
                        spec: self,
                        id,
                        method: method.to_ascii_uppercase(),
                        path,
                        value,
                    });
                }
            }
        }
        out
    }

    /// The operation with this `operationId`.
    pub fn operation(&self, id: &str) -> Option<Operation<'_>> {
        self.operations().into_iter().find(|op| op.id == id)
    }

    /// `value` with a local `$ref` (`#/...`) followed, possibly several times.
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> Result<&'a Value, SpecError> {
        for _ in 0..MAX_REF_DEPTH {
            match value.get("$ref").and_then(Value::as_str) {
                None => return Ok(value),
                Some(reference) => {
                    value = reference
                        .strip_prefix('#')
                        .and_then(|pointer| self.doc.pointer(pointer))
                        .ok_or_else(|| {
                            SpecError(format!("`$ref: {reference}` points nowhere in the spec"))
                        })?;
                }
            }
        }
        Err(SpecError("a `$ref` chain does not end".into()))
    }

    /// A validator for values of the OpenAPI schema `schema` (inline or a
    /// `$ref` into this spec's components). Formats (`date-time`) are checked.
    pub fn validator(&self, schema: &Value) -> Result<Validator, SpecError> {
        let mut root = Map::new();
        // `allOf` rather than the schema itself: in draft 4 a `$ref` hides
        // its siblings, and `components` must stay visible to resolve it.
        root.insert("allOf".into(), Value::Array(vec![to_json_schema(schema)]));
        root.insert("components".into(), self.components.clone());
        jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .map_err(|e| SpecError(format!("the schema cannot be compiled: {e}")))
    }
}

/// How many `$ref`s in a row are followed before giving up on a cycle.
pub(crate) const MAX_REF_DEPTH: usize = 32;

/// One operation of a [`Spec`].
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    spec: &'a Spec,
    /// Its `operationId`.
    pub id: &'a str,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path template, e.g. `/v1/clients/{client_id}`.
    pub path: &'a str,
    value: &'a Value,
}

/// What the spec says about one response status of an operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Response<'a> {
    /// The status is documented with a JSON body schema.
    Json(&'a Value),
    /// The status is documented without a JSON body.
    NoJsonBody,
    /// The operation does not document this status (nor a matching `4XX` or `default`).
    Undocumented,
}

impl<'a> Operation<'a> {
    /// The response the spec documents for `status`: the exact code, else
    /// its range (`4XX`), else `default`.
    pub fn response(&self, status: u16) -> Result<Response<'a>, SpecError> {
        let Some(responses) = self.value.get("responses").and_then(Value::as_object) else {
            return Ok(Response::Undocumented);
        };
        let range = format!("{}XX", status / 100);
        let found = responses
            .get(&status.to_string())
            .or_else(|| responses.get(&range))
            .or_else(|| responses.get(&range.to_ascii_lowercase()))
            .or_else(|| responses.get("default"));
        let Some(response) = found else {
            return Ok(Response::Undocumented);
        };
        let response = self.spec.resolve(response)?;
        let schema = response
            .get("content")
            .and_then(Value::as_object)
            .and_then(|content| {
                content
                    .iter()
                    .find(|(media, _)| media.starts_with("application/json"))
                    .map(|(_, media)| media)
            })
            .and_then(|media| media.get("schema"));
        Ok(schema.map_or(Response::NoJsonBody, Response::Json))
    }

    /// The statuses the operation documents, as written (`200`, `4XX`, `default`).
    pub fn documented_statuses(&self) -> Vec<&'a str> {
        self.value
            .get("responses")
            .and_then(Value::as_object)
            .map(|r| r.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The parameter objects (each `$ref` resolved), in order.
    pub fn parameters(&self) -> Result<Vec<&'a Value>, SpecError> {
        self.value
            .get("parameters")
            .and_then(Value::as_array)
            .map(|params| params.iter().map(|p| self.spec.resolve(p)).collect())
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// The query or path parameter called `name`.
    pub fn parameter(&self, name: &str) -> Result<Option<&'a Value>, SpecError> {
        Ok(self.parameters()?.into_iter().find(|p| {
            p.get("name").and_then(Value::as_str) == Some(name)
                && matches!(p.get("in").and_then(Value::as_str), Some("query" | "path"))
        }))
    }
}

/// OpenAPI 3.0 keywords that are annotations, not constraints, or that
/// JSON Schema does not know; dropped by [`to_json_schema`].
const OPENAPI_ONLY: [&str; 8] = [
    "nullable",
    "example",
    "discriminator",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
    "deprecated",
];

/// Translates an OpenAPI 3.0 schema object into JSON Schema draft 4:
/// `nullable: true` becomes `null` among the allowed types (and enum
/// values); OpenAPI-only keywords and `x-` extensions are dropped; nested
/// schemas are translated too. `$ref`s are kept as they are.
pub fn to_json_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        let translated = match key.as_str() {
            k if OPENAPI_ONLY.contains(&k) || k.starts_with("x-") => continue,
            "properties" | "patternProperties" => match value {
                Value::Object(members) => Value::Object(
                    members
                        .iter()
                        .map(|(name, s)| (name.clone(), to_json_schema(s)))
                        .collect(),
                ),
                other => other.clone(),
            },
            "items" | "additionalProperties" | "not" => to_json_schema(value),
            "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(schemas) => Value::Array(schemas.iter().map(to_json_schema).collect()),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), translated);
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        match out.get_mut("type") {
            Some(Value::String(kind)) => {
                let kind = std::mem::take(kind);
                out.insert(
                    "type".into(),
                    Value::Array(vec![Value::String(kind), "null".into()]),
                );
            }
            Some(Value::Array(kinds)) if !kinds.iter().any(|k| k == "null") => {
                kinds.push("null".into());
            }
            _ => {}
        }
        if let Some(Value::Array(options)) = out.get_mut("enum")
            && !options.contains(&Value::Null)
        {
            options.push(Value::Null);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nullable_becomes_a_null_type_and_enum_value() {
        assert_eq!(
            to_json_schema(&json!({"type": "string", "nullable": true, "example": "url"})),
            json!({"type": ["string", "null"]})
        );
        assert_eq!(
            to_json_schema(&json!({"type": "string", "enum": ["a"], "nullable": true})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(
            to_json_schema(
                &json!({"type": "object", "properties": {"nullable": {"type": "boolean", "nullable": true}}})
            ),
            json!({"type": "object", "properties": {"nullable": {"type": ["boolean", "null"]}}}),
            "a property named like a keyword is a property"
        );
    }

    #[test]
    fn the_merged_spec_has_kore_s_four_operations() {
        let spec = Spec::merged();
        let mut ids: Vec<&str> = spec.operations().iter().map(|op| op.id).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            ["createClient", "getClient", "getPingStatus", "listClient"]
        );
        let list = spec.operation("listClient").unwrap();
        assert_eq!((list.method.as_str(), list.path), ("GET", "/v1/clients"));
        assert!(matches!(list.response(200), Ok(Response::Json(_))));
        assert!(matches!(list.response(500), Ok(Response::Json(_))));
        assert_eq!(list.response(418), Ok(Response::Undocumented));
        assert!(list.parameter("page_number").unwrap().is_some());
    }

    #[test]
    fn validators_follow_refs_and_check_formats() {
        let spec = Spec::from_value(json!({
            "components": {"schemas": {
                "At": {"type": "string", "format": "date-time"},
                "Thing": {"type": "object", "properties": {"at": {"$ref": "#/components/schemas/At"}, "n": {"type": "integer", "nullable": true}}}
            }}
        }));
        let validator = spec
            .validator(&json!({"$ref": "#/components/schemas/Thing"}))
            .unwrap();
        assert!(validator.is_valid(&json!({"at": "2024-04-05T11:08:14Z", "n": null})));
        assert!(!validator.is_valid(&json!({"at": "Fri, 05 Apr 2024 11:08:14 GMT"})));
        assert!(!validator.is_valid(&json!({"n": "1"})));
    }
}
