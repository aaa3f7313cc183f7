//! One response body against its schema: what a JSON Schema validator
//! rejects, and what it accepts but the generated types keep only untyped.
//!
//! KORE's schemas leave extra properties allowed (and the merge's open-answers
//! rule says so outright, `additionalProperties: {}`), so a validator accepts
//! a field the spec never mentions, and the generated types keep it only as an
//! untyped extra field; a value outside an enum likewise decodes only as an
//! unknown value. [`check_body`] reports what the validator rejects and those
//! unknown fields, each at its JSON pointer: drift, even where nothing fails.
//!
//! Findings never carry a secret: a value is quoted only when it is a
//! scalar under a property the spec declares whose name does not look like
//! a credential ([`is_quotable_name`]); an unknown field's value never is.

use std::collections::BTreeSet;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde::Serialize;
use serde_json::Value;

use crate::spec::{MAX_REF_DEPTH, Spec, SpecError};

/// What is wrong at one place of a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Problem {
    /// A field the schema does not declare: the generated types keep it only
    /// as an untyped extra field (or drop it, where the schema is not open).
    UnknownField,
    /// A value outside the schema's `enum`: the generated types keep it only
    /// as an unknown value (`Open::Unknown`).
    Enum {
        /// The values the schema allows.
        allowed: Vec<String>,
    },
    /// `null` where the schema allows none: an optional field reads as absent.
    Null,
    /// Another JSON type than the schema's.
    Type {
        /// The type(s) the schema allows.
        expected: String,
        /// The JSON type that arrived.
        found: String,
    },
    /// A string that does not match the schema's `format` (e.g. `date-time`).
    Format {
        /// The format.
        format: String,
    },
    /// A required field is missing.
    Missing {
        /// The missing field.
        field: String,
    },
    /// Any other schema rule (`minimum`, `pattern`, ...).
    Rule {
        /// The JSON Schema keyword that failed.
        keyword: String,
    },
}

/// One finding in a body: where, what, and the value when it may be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// JSON pointer into the body (RFC 6901), `""` for the whole body.
    pub pointer: String,
    /// What is wrong there.
    #[serde(flatten)]
    pub problem: Problem,
    /// The value found, only when it is safe to show (see the module docs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl Finding {
    /// One line for humans: `"superuser" is not one of admin, standard`.
    pub fn describe(&self) -> String {
        let value = self
            .value
            .as_ref()
            .map(|v| format!("{v} "))
            .unwrap_or_default();
        match &self.problem {
            Problem::UnknownField => {
                "is not in the schema: kept only as an untyped extra field".to_owned()
            }
            Problem::Enum { allowed } => {
                format!(
                    "{value}is not one of the schema's values ({}): kept as an unknown value",
                    allowed.join(", ")
                )
            }
            Problem::Null => "is null, where the schema allows no null".to_owned(),
            Problem::Type { expected, found } => {
                format!("{value}is a JSON {found}, where the schema says {expected}")
            }
            Problem::Format { format } => format!("{value}is not a {format}"),
            Problem::Missing { field } => format!("lacks the required field {field:?}"),
            Problem::Rule { keyword } => format!("{value}breaks the schema's `{keyword}`"),
        }
    }

    /// A short name of the problem: `unknown-field`, `enum`, `null`, ...
    pub fn kind(&self) -> &str {
        match &self.problem {
            Problem::UnknownField => "unknown-field",
            Problem::Enum { .. } => "enum",
            Problem::Null => "null",
            Problem::Type { .. } => "type",
            Problem::Format { .. } => "format",
            Problem::Missing { .. } => "missing",
            Problem::Rule { .. } => "rule",
        }
    }
}

/// Whether a value under a property called `name` may be quoted: not when
/// the name looks like a credential (`client_secret`, `access_token`,
/// `password`, `api_key`, ...).
pub fn is_quotable_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ![
        "secret",
        "token",
        "password",
        "passwd",
        "key",
        "credential",
        "auth",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// Checks `body` against the OpenAPI schema `schema` of `spec`: every
/// validation error and every field the schema does not declare, ordered by
/// pointer.
pub fn check_body(spec: &Spec, schema: &Value, body: &Value) -> Result<Vec<Finding>, SpecError> {
    let declared = declared_properties(spec);
    let mut findings = validation_findings(spec, schema, body, &declared)?;
    unknown_fields(spec, schema, body, String::new(), &mut findings, 0)?;
    findings.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.kind().cmp(b.kind())));
    findings.dedup();
    Ok(findings)
}

/// What a JSON Schema validator rejects in `body` (an `additionalProperties:
/// false` violation becomes one [`Problem::UnknownField`] per field).
pub fn validation_findings(
    spec: &Spec,
    schema: &Value,
    body: &Value,
    declared: &BTreeSet<String>,
) -> Result<Vec<Finding>, SpecError> {
    let validator = spec.validator(schema)?;
    let mut out = Vec::new();
    for error in validator.iter_errors(body) {
        let pointer = error.instance_path().as_str().to_owned();
        let instance = error.instance().as_ref();
        let quote = |pointer: &str| quotable(pointer, instance, declared);
        let problem = match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for field in unexpected {
                    out.push(Finding {
                        pointer: format!("{pointer}/{}", escape(field)),
                        problem: Problem::UnknownField,
                        value: None,
                    });
                }
                continue;
            }
            _ if instance.is_null()
                && matches!(
                    error.kind(),
                    ValidationErrorKind::Type { .. } | ValidationErrorKind::Enum { .. }
                ) =>
            {
                Problem::Null
            }
            ValidationErrorKind::Enum { options } => Problem::Enum {
                allowed: options
                    .as_array()
                    .map(|values| values.iter().map(plain).collect())
                    .unwrap_or_default(),
            },
            ValidationErrorKind::Type { kind } => Problem::Type {
                expected: match kind {
                    TypeKind::Single(t) => t.to_string(),
                    TypeKind::Multiple(set) => set
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(" or "),
                },
                found: json_type(instance).to_owned(),
            },
            ValidationErrorKind::Format { format } => Problem::Format {
                format: format.clone(),
            },
            ValidationErrorKind::Required { property } => Problem::Missing {
                field: plain(property),
            },
            other => Problem::Rule {
                keyword: other.keyword().to_owned(),
            },
        };
        let value = quote(&pointer);
        out.push(Finding {
            pointer,
            problem,
            value,
        });
    }
    Ok(out)
}

/// Every property name the spec's schemas declare.
pub fn declared_properties(spec: &Spec) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect_property_names(spec.document(), &mut names);
    names
}

fn collect_property_names(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "properties"
                    && let Value::Object(properties) = child
                {
                    names.extend(properties.keys().cloned());
                }
                collect_property_names(child, names);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_property_names(v, names)),
        _ => {}
    }
}

/// The instance value, when [`is_quotable_name`] allows its property name,
/// the spec declares that property, and it is a scalar.
fn quotable(pointer: &str, value: &Value, declared: &BTreeSet<String>) -> Option<Value> {
    let name = pointer
        .rsplit('/')
        .find(|segment| !segment.chars().all(|c| c.is_ascii_digit()))
        .map(unescape)?;
    let scalar = matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_));
    (scalar && declared.contains(&name) && is_quotable_name(&name)).then(|| match value {
        Value::String(text) if text.chars().count() > 80 => {
            Value::String(format!("{}…", text.chars().take(80).collect::<String>()))
        }
        other => other.clone(),
    })
}

fn unknown_fields(
    spec: &Spec,
    schema: &Value,
    instance: &Value,
    pointer: String,
    out: &mut Vec<Finding>,
    depth: usize,
) -> Result<(), SpecError> {
    if depth > MAX_REF_DEPTH * 4 {
        return Ok(());
    }
    let schema = spec.resolve(schema)?;
    match instance {
        Value::Object(fields) => {
            let mut properties: Vec<(&String, &Value)> = Vec::new();
            let mut declares = false;
            for part in std::iter::once(schema).chain(
                schema
                    .get("allOf")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            ) {
                let part = spec.resolve(part)?;
                if let Some(map) = part.get("properties").and_then(Value::as_object) {
                    declares = true;
                    properties.extend(map.iter());
                }
            }
            let additional = schema.get("additionalProperties");
            for (name, value) in fields {
                let at = format!("{pointer}/{}", escape(name));
                match properties.iter().find(|(p, _)| *p == name) {
                    Some((_, property)) => {
                        unknown_fields(spec, property, value, at, out, depth + 1)?
                    }
                    None => match additional {
                        // `{}`: the open-answers rule of the merge keeps the
                        // field (in the generated `extra` map), but the spec
                        // does not name it: drift all the same.
                        Some(Value::Object(extra)) if extra.is_empty() && declares => {
                            out.push(Finding {
                                pointer: at,
                                problem: Problem::UnknownField,
                                value: None,
                            })
                        }
                        Some(extra @ Value::Object(_)) => {
                            unknown_fields(spec, extra, value, at, out, depth + 1)?;
                        }
                        // `false`: the validator reports the field already.
                        Some(Value::Bool(false)) => {}
                        _ if declares => out.push(Finding {
                            pointer: at,
                            problem: Problem::UnknownField,
                            value: None,
                        }),
                        // A free-form object keeps every field.
                        _ => {}
                    },
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    unknown_fields(
                        spec,
                        item_schema,
                        item,
                        format!("{pointer}/{i}"),
                        out,
                        depth + 1,
                    )?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The JSON type name of a value.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Spec {
        Spec::from_value(json!({
            "components": {"schemas": {
                "Kind": {"type": "string", "enum": ["admin", "standard"]},
                "Client": {"type": "object", "properties": {
                    "name": {"type": "string"},
                    "kind": {"$ref": "#/components/schemas/Kind"},
                    "locked": {"type": "boolean"},
                    "created": {"type": "string", "format": "date-time"},
                    "client_secret": {"type": "string", "enum": ["never-shown"]}
                }},
                "Page": {"type": "object", "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Client"}},
                    "extra": {"type": "object"}
                }}
            }}
        }))
    }

    #[test]
    fn a_field_only_the_open_answers_rule_lets_through_is_still_unknown() {
        let spec = Spec::from_value(json!({"components": {"schemas": {"Open": {
            "type": "object", "additionalProperties": {},
            "properties": {"name": {"type": "string"}, "any": {"type": "object"}}
        }}}}));
        let findings = check_body(
            &spec,
            &json!({"$ref": "#/components/schemas/Open"}),
            &json!({"name": "n", "scopes": {"products": ["X"]}, "any": {"free": 1}}),
        )
        .unwrap();
        let found: Vec<_> = findings
            .iter()
            .map(|f| (f.pointer.as_str(), f.kind()))
            .collect();
        assert_eq!(
            found,
            [("/scopes", "unknown-field")],
            "a free-form object keeps its fields"
        );
        assert_eq!(findings[0].value, None);
        assert_eq!(
            findings[0].describe(),
            "is not in the schema: kept only as an untyped extra field"
        );
    }

    fn check(body: Value) -> Vec<Finding> {
        check_body(
            &spec(),
            &json!({"$ref": "#/components/schemas/Page"}),
            &body,
        )
        .unwrap()
    }

    #[test]
    fn a_conforming_body_has_no_findings() {
        assert_eq!(
            check(
                json!({"items": [{"name": "a", "kind": "admin", "locked": false, "created": "2024-04-05T11:08:14Z"}], "extra": {"anything": 1}})
            ),
            []
        );
    }

    #[test]
    fn each_problem_is_found_at_its_pointer() {
        let findings = check(json!({"items": [
            {"name": "a", "kind": "superuser", "locked": null, "created": "Fri, 05 Apr 2024 11:08:14 GMT", "nickname": "x"},
            {"name": 7}
        ]}));
        let found: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f.pointer.as_str(), f.kind()))
            .collect();
        assert_eq!(
            found,
            [
                ("/items/0/created", "format"),
                ("/items/0/kind", "enum"),
                ("/items/0/locked", "null"),
                ("/items/0/nickname", "unknown-field"),
                ("/items/1/name", "type"),
            ]
        );
        assert_eq!(findings[1].value, Some(json!("superuser")));
        assert_eq!(
            findings[1].describe(),
            "\"superuser\" is not one of the schema's values (admin, standard): kept as an unknown value"
        );
        assert_eq!(findings[3].value, None, "unknown fields are never quoted");
    }

    #[test]
    fn secret_values_are_never_quoted() {
        let findings = check(json!({"items": [{"client_secret": "s3cr3t-value"}]}));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind(), "enum");
        assert_eq!(findings[0].value, None);
        assert!(!format!("{findings:?}").contains("s3cr3t-value"));
        assert!(!is_quotable_name("access_token"));
        assert!(is_quotable_name("date_created"));
    }
}
