//! Which corrections of KORE's spec live traffic still needs.
//!
//! `cargo xtask merge` records every correction of `openapi/corrections.json`
//! in the merged spec (`x-kore-corrections`): its id, its reason and its
//! operations, each `remove` and `replace` with the value it took away. That
//! is enough to undo any one correction on the merged spec
//! ([`RecordedCorrection::undo`]) and so to ask, for every correction, two
//! questions without a hand-written rule per correction:
//!
//! 1. **Can live traffic tell?** ([`effect`]) Compare the spec with and
//!    without the correction, every `$ref` followed and annotations
//!    (`description`, `example`, ...) ignored: a correction that changes no
//!    response schema and no query or path parameter (a rename, the removed
//!    `Authorization` header parameter, an extracted enum) is
//!    [`Status::NotApplicable`].
//! 2. **Does it?** ([`assess`]) Validate what was observed against both
//!    specs. A response body (or a parameter value the server accepted)
//!    that only the corrected spec allows shows the correction is
//!    [`Status::Needed`]; the evidence names each place.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::check::{Finding, check_body, is_quotable_name};
use crate::spec::{MAX_REF_DEPTH, Response, Spec, SpecError};

/// The merged spec's extension that records the corrections.
pub const PROVENANCE_KEY: &str = "x-kore-corrections";

/// One correction as the merged spec records it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCorrection {
    /// Its id (the `correction` member of its operations in `corrections.json`).
    pub id: String,
    /// Why it exists.
    pub reason: String,
    /// Its JSON Patch operations, as in the file, plus `before` values.
    pub operations: Vec<Value>,
}

/// The corrections recorded in `spec`, in file order (none if it records none).
pub fn recorded(spec: &Spec) -> Vec<RecordedCorrection> {
    spec.document()
        .get(PROVENANCE_KEY)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|entry| RecordedCorrection {
            id: text(entry, "id"),
            reason: text(entry, "reason"),
            operations: entry
                .get("operations")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        })
        .collect()
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl RecordedCorrection {
    /// The spec as it would be without this correction: its operations
    /// undone, last first. Later corrections stay applied; where one refers
    /// by `$ref` to something this correction created, the reference is
    /// replaced by the value it named. Fails when an operation cannot be
    /// undone (an append to an array, a path that a later correction moved
    /// away).
    pub fn undo(&self, spec: &Spec) -> Result<Spec, SpecError> {
        let mut inverse = Vec::new();
        for operation in self.operations.iter().rev() {
            let path = text(operation, "path");
            let undo = match operation.get("op").and_then(Value::as_str) {
                Some("test") => continue,
                Some("add") if path.ends_with("/-") => {
                    return Err(SpecError(format!(
                        "correction `{}` appends to {path}, which cannot be undone",
                        self.id
                    )));
                }
                Some("add" | "copy") => json!({"op": "remove", "path": path}),
                Some(op @ ("remove" | "replace")) => {
                    let before = operation.get("before").cloned().ok_or_else(|| {
                        SpecError(format!(
                            "correction `{}`: the merged spec does not record what `{op} {path}` \
                             replaced; run `cargo xtask merge`",
                            self.id
                        ))
                    })?;
                    let undo = if op == "remove" { "add" } else { "replace" };
                    json!({"op": undo, "path": path, "value": before})
                }
                Some("move") => {
                    json!({"op": "move", "from": path, "path": text(operation, "from")})
                }
                other => {
                    return Err(SpecError(format!(
                        "correction `{}` holds an unknown operation {other:?}",
                        self.id
                    )));
                }
            };
            inverse.push(undo);
        }
        let patch: json_patch::Patch = serde_json::from_value(Value::Array(inverse))
            .map_err(|e| SpecError(format!("correction `{}`: {e}", self.id)))?;
        let mut doc = spec.document().clone();
        json_patch::patch(&mut doc, &patch).map_err(|e| {
            SpecError(format!(
                "correction `{}` cannot be undone on the merged spec: {e}",
                self.id
            ))
        })?;
        // A later correction may refer to what this one created (the
        // component `client-type-schema` extracts is where
        // `created-client-type-widened` points). Undone alone, this
        // correction must not leave that `$ref` dangling: the reference gets
        // the value it named, so the later correction keeps its meaning.
        for created in self.created() {
            if doc.pointer(&created).is_none()
                && let Some(value) = spec.document().pointer(&created)
            {
                inline_refs(&mut doc, &format!("#{created}"), value);
            }
        }
        Ok(Spec::from_value(doc))
    }

    /// The paths this correction's `add`, `copy` and `move` operations wrote.
    fn created(&self) -> Vec<String> {
        self.operations
            .iter()
            .filter(|op| {
                matches!(
                    op.get("op").and_then(Value::as_str),
                    Some("add" | "copy" | "move")
                )
            })
            .map(|op| text(op, "path"))
            .collect()
    }
}

/// Replaces every `{"$ref": reference}` in `doc` by `value`.
fn inline_refs(doc: &mut Value, reference: &str, value: &Value) {
    match doc {
        Value::Object(map) => {
            if map.get("$ref").and_then(Value::as_str) == Some(reference) {
                *doc = value.clone();
                return;
            }
            for child in map.values_mut() {
                inline_refs(child, reference, value);
            }
        }
        Value::Array(items) => {
            for item in items {
                inline_refs(item, reference, value);
            }
        }
        _ => {}
    }
}

/// What a correction changes that live traffic can show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Effect {
    /// `(operationId, status)` of every response whose schema it changes.
    pub responses: Vec<(String, String)>,
    /// `(operationId, parameter)` of every query or path parameter it changes.
    pub parameters: Vec<(String, String)>,
}

impl Effect {
    /// Whether it changes nothing live traffic can show.
    pub fn is_empty(&self) -> bool {
        self.responses.is_empty() && self.parameters.is_empty()
    }

    /// `listClient 200`, `listClient page_number`, ... for messages.
    pub fn describe(&self) -> Vec<String> {
        self.responses
            .iter()
            .map(|(op, status)| format!("{op} {status}"))
            .chain(self.parameters.iter().map(|(op, p)| format!("{op} ?{p}")))
            .collect()
    }
}

/// What differs between `with` and `without` in response schemas and query
/// or path parameters, every `$ref` followed and annotations ignored.
pub fn effect(with: &Spec, without: &Spec) -> Result<Effect, SpecError> {
    let mut effect = Effect::default();
    for operation in with.operations() {
        let other = without.operation(operation.id);
        for status in operation.documented_statuses() {
            let mine = response_schema(with, &operation, status)?;
            let theirs = match &other {
                Some(other) => response_schema(without, other, status)?,
                None => None,
            };
            if mine != theirs {
                effect
                    .responses
                    .push((operation.id.to_owned(), status.to_owned()));
            }
        }
        for parameter in operation.parameters()? {
            let Some(name) = parameter.get("name").and_then(Value::as_str) else {
                continue;
            };
            if !matches!(
                parameter.get("in").and_then(Value::as_str),
                Some("query" | "path")
            ) {
                continue;
            }
            let mine = parameter_schema(with, Some(parameter))?;
            let theirs = match &other {
                Some(other) => parameter_schema(without, other.parameter(name)?)?,
                None => None,
            };
            if mine != theirs {
                effect
                    .parameters
                    .push((operation.id.to_owned(), name.to_owned()));
            }
        }
    }
    Ok(effect)
}

fn response_schema(
    spec: &Spec,
    operation: &crate::spec::Operation<'_>,
    status: &str,
) -> Result<Option<Value>, SpecError> {
    let Ok(code) = status.parse::<u16>() else {
        return Ok(None);
    };
    match operation.response(code)? {
        Response::Json(schema) => normalize(spec, schema, 0).map(Some),
        _ => Ok(None),
    }
}

fn parameter_schema(spec: &Spec, parameter: Option<&Value>) -> Result<Option<Value>, SpecError> {
    let Some(parameter) = parameter else {
        return Ok(None);
    };
    let schema = match parameter.get("schema") {
        Some(schema) => normalize(spec, schema, 0)?,
        None => Value::Null,
    };
    Ok(Some(json!({
        "required": parameter.get("required").cloned().unwrap_or(Value::Bool(false)),
        "schema": schema
    })))
}

/// Schema keywords that constrain nothing.
const ANNOTATIONS: [&str; 7] = [
    "description",
    "example",
    "examples",
    "title",
    "externalDocs",
    "xml",
    "deprecated",
];

/// `schema` with every `$ref` replaced by its target and annotations
/// dropped: two schemas that accept the same values (up to naming) compare equal.
fn normalize(spec: &Spec, schema: &Value, depth: usize) -> Result<Value, SpecError> {
    if depth > MAX_REF_DEPTH {
        return Err(SpecError(
            "schemas nest too deeply (a `$ref` cycle?)".into(),
        ));
    }
    let schema = spec.resolve(schema)?;
    let Value::Object(map) = schema else {
        return Ok(schema.clone());
    };
    let mut out = Map::new();
    for (key, value) in map {
        if ANNOTATIONS.contains(&key.as_str()) || key.starts_with("x-") {
            continue;
        }
        let normalized = match key.as_str() {
            "properties" | "patternProperties" => match value {
                Value::Object(members) => Value::Object(
                    members
                        .iter()
                        .map(|(name, s)| Ok((name.clone(), normalize(spec, s, depth + 1)?)))
                        .collect::<Result<_, SpecError>>()?,
                ),
                other => other.clone(),
            },
            "items" | "additionalProperties" | "not" if value.is_object() => {
                normalize(spec, value, depth + 1)?
            }
            "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(schemas) => Value::Array(
                    schemas
                        .iter()
                        .map(|s| normalize(spec, s, depth + 1))
                        .collect::<Result<_, _>>()?,
                ),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), normalized);
    }
    Ok(Value::Object(out))
}

/// One call that was observed: what was asked and what came back.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The spec's `operationId`.
    pub operation: String,
    /// The query and path parameters sent, by name.
    pub parameters: Vec<(String, String)>,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The body, if it was JSON.
    pub body: Option<Value>,
}

/// Whether the observed traffic needs a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Something observed is valid only with the correction.
    Needed,
    /// The affected operations were observed, and everything seen is valid
    /// without the correction (values not seen may still need it).
    NotObserved,
    /// The server refused a request that only the correction allows: it
    /// behaves as KORE's uncorrected spec says.
    Contradicted,
    /// No operation the correction affects was observed.
    NotChecked,
    /// It changes no response and no query or path parameter (a name, a
    /// header parameter, an extracted enum): live traffic cannot tell.
    NotApplicable,
    /// It cannot be undone alone to compare (see the evidence).
    Unknown,
}

impl Status {
    /// The status as written in reports (`needed`, `not-observed`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Needed => "needed",
            Status::NotObserved => "not-observed",
            Status::Contradicted => "contradicted",
            Status::NotChecked => "not-checked",
            Status::NotApplicable => "not-applicable",
            Status::Unknown => "unknown",
        }
    }
}

/// One observation behind a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The operation.
    pub operation: String,
    /// The status of its answer.
    pub status: u16,
    /// A JSON pointer into the body, or `?name` for a parameter.
    pub at: String,
    /// What was seen (values only where safe to show).
    pub message: String,
}

/// One correction and what the observed traffic says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// The correction's id.
    pub id: String,
    /// Why it exists.
    pub reason: String,
    /// The verdict.
    pub status: Status,
    /// What it affects: `listClient 200`, `listClient ?page_number`.
    pub affects: Vec<String>,
    /// The observations behind the verdict (empty for `not-applicable`).
    pub evidence: Vec<Evidence>,
}

/// Assesses every correction recorded in `spec` against `exchanges`.
pub fn assess(spec: &Spec, exchanges: &[Exchange]) -> Vec<Assessment> {
    recorded(spec)
        .into_iter()
        .map(|correction| assess_one(spec, &correction, exchanges))
        .collect()
}

fn assess_one(spec: &Spec, correction: &RecordedCorrection, exchanges: &[Exchange]) -> Assessment {
    let mut assessment = Assessment {
        id: correction.id.clone(),
        reason: correction.reason.clone(),
        status: Status::Unknown,
        affects: Vec::new(),
        evidence: Vec::new(),
    };
    let without = match correction.undo(spec) {
        Ok(without) => without,
        Err(e) => {
            assessment.evidence.push(unknown(e));
            return assessment;
        }
    };
    let effect = match effect(spec, &without) {
        Ok(effect) => effect,
        Err(e) => {
            assessment.evidence.push(unknown(e));
            return assessment;
        }
    };
    assessment.affects = effect.describe();
    if effect.is_empty() {
        assessment.status = Status::NotApplicable;
        return assessment;
    }
    let mut observed = false;
    let mut needed = Vec::new();
    let mut refused = Vec::new();
    for exchange in exchanges {
        for (op, status) in &effect.responses {
            if *op != exchange.operation || *status != exchange.status.to_string() {
                continue;
            }
            let Some(body) = &exchange.body else {
                continue;
            };
            observed = true;
            match only_valid_with(spec, &without, op, exchange.status, body) {
                Ok(findings) => needed.extend(findings.into_iter().map(|f| Evidence {
                    operation: op.clone(),
                    status: exchange.status,
                    at: f.pointer.clone(),
                    message: format!("{} (KORE's schema without this correction)", f.describe()),
                })),
                Err(e) => {
                    assessment.evidence.push(unknown(e));
                    return assessment;
                }
            }
        }
        for (op, name) in &effect.parameters {
            if *op != exchange.operation {
                continue;
            }
            let Some((_, value)) = exchange.parameters.iter().find(|(n, _)| n == name) else {
                continue;
            };
            observed = true;
            match parameter_only_valid_with(spec, &without, op, name, value) {
                Ok(false) => {}
                Ok(true) => {
                    let shown = if is_quotable_name(name) {
                        value.as_str()
                    } else {
                        "…"
                    };
                    let evidence = |message: String| Evidence {
                        operation: op.clone(),
                        status: exchange.status,
                        at: format!("?{name}"),
                        message,
                    };
                    if (200..300).contains(&exchange.status) {
                        needed.push(evidence(format!(
                            "the server accepted {name}={shown} (HTTP {}), which KORE's schema without this correction forbids",
                            exchange.status
                        )));
                    } else if (400..500).contains(&exchange.status) {
                        refused.push(evidence(format!(
                            "the server refused {name}={shown} (HTTP {}), as the uncorrected schema says",
                            exchange.status
                        )));
                    }
                }
                Err(e) => {
                    assessment.evidence.push(unknown(e));
                    return assessment;
                }
            }
        }
    }
    assessment.status = if !needed.is_empty() {
        assessment.evidence = needed;
        Status::Needed
    } else if !refused.is_empty() {
        assessment.evidence = refused;
        Status::Contradicted
    } else if observed {
        Status::NotObserved
    } else {
        Status::NotChecked
    };
    assessment
}

fn unknown(error: SpecError) -> Evidence {
    Evidence {
        operation: String::new(),
        status: 0,
        at: String::new(),
        message: error.0,
    }
}

/// Findings against `without` that `with` does not have, for one body.
fn only_valid_with(
    with: &Spec,
    without: &Spec,
    operation: &str,
    status: u16,
    body: &Value,
) -> Result<Vec<Finding>, SpecError> {
    let findings = |spec: &Spec| -> Result<Vec<Finding>, SpecError> {
        let Some(op) = spec.operation(operation) else {
            return Ok(Vec::new());
        };
        match op.response(status)? {
            Response::Json(schema) => check_body(spec, schema, body),
            _ => Ok(Vec::new()),
        }
    };
    let corrected = findings(with)?;
    Ok(findings(without)?
        .into_iter()
        .filter(|f| {
            !corrected
                .iter()
                .any(|c| c.pointer == f.pointer && c.kind() == f.kind())
        })
        .collect())
}

/// Whether `value` of parameter `name` is valid in `with` but not in `without`.
fn parameter_only_valid_with(
    with: &Spec,
    without: &Spec,
    operation: &str,
    name: &str,
    value: &str,
) -> Result<bool, SpecError> {
    let valid = |spec: &Spec| -> Result<bool, SpecError> {
        let Some(op) = spec.operation(operation) else {
            return Ok(true);
        };
        let Some(schema) = op.parameter(name)?.and_then(|p| p.get("schema")) else {
            return Ok(true);
        };
        let typed = typed_parameter(spec, schema, value)?;
        Ok(spec.validator(schema)?.is_valid(&typed))
    };
    Ok(valid(with)? && !valid(without)?)
}

/// A query or path value (always text on the wire) as the JSON value its
/// schema's type describes, so that `minimum` and friends apply.
fn typed_parameter(spec: &Spec, schema: &Value, value: &str) -> Result<Value, SpecError> {
    let schema = spec.resolve(schema)?;
    let parsed = match schema.get("type").and_then(Value::as_str) {
        Some("integer" | "number") => serde_json::from_str::<Value>(value)
            .ok()
            .filter(Value::is_number),
        Some("boolean") => match value {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    Ok(parsed.unwrap_or_else(|| Value::String(value.to_owned())))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn client(locked: Value) -> Value {
        json!({"client_id": "apiclient_1", "account_id": "acct_1", "name": "n", "client_owner": "o@example.com",
               "client_type": "admin", "locked": locked, "date_created": "Fri, 05 Apr 2024 11:08:14 GMT"})
    }

    fn list(status: u16, page_number: &str, body: Option<Value>) -> Exchange {
        Exchange {
            operation: "listClient".into(),
            parameters: vec![
                ("page_size".into(), "100".into()),
                ("page_number".into(), page_number.into()),
            ],
            status,
            body,
        }
    }

    fn page(previous: Value, locked: Value) -> Value {
        json!({"meta": {"count": 1, "page_number": 1, "page_size": 100, "previous_page_url": previous, "next_page_url": "url"},
               "clients": [client(locked)]})
    }

    fn created(date: &str, client_type: &str) -> Exchange {
        Exchange {
            operation: "createClient".into(),
            parameters: Vec::new(),
            status: 201,
            body: Some(
                json!({"message": "created", "client_id": "apiclient_2", "client_secret": "s3cr3t-created",
                              "client_type": client_type, "account_id": "acct_1", "name": "n",
                              "date_created": date, "client_owner": "o@example.com", "locked": true}),
            ),
        }
    }

    fn statuses(exchanges: &[Exchange]) -> Vec<(String, Status)> {
        assess(&Spec::merged(), exchanges)
            .into_iter()
            .map(|a| (a.id, a.status))
            .collect()
    }

    fn status_of(exchanges: &[Exchange], id: &str) -> Status {
        statuses(exchanges)
            .into_iter()
            .find(|(i, _)| i == id)
            .unwrap_or_else(|| panic!("no correction {id}"))
            .1
    }

    #[test]
    fn every_recorded_correction_is_undone_and_classified_by_what_it_changes() {
        let spec = Spec::merged();
        let effects: Vec<(String, Vec<String>)> = recorded(&spec)
            .iter()
            .map(|c| {
                let without = c.undo(&spec).unwrap_or_else(|e| panic!("{}: {e}", c.id));
                (c.id.clone(), effect(&spec, &without).unwrap().describe())
            })
            .collect();
        let expected: Vec<(&str, Vec<&str>)> = vec![
            ("page-size-inclusive-minimum", vec!["listClient ?page_size"]),
            (
                "page-number-inclusive-minimum",
                vec!["listClient ?page_number"],
            ),
            ("no-authorization-parameter", vec![]),
            ("name-client-list", vec![]),
            ("name-client-envelope", vec![]),
            ("name-created-client", vec![]),
            ("name-ping-status", vec![]),
            ("created-date-not-date-time", vec!["createClient 201"]),
            ("client-type-schema", vec![]),
            ("created-client-type-widened", vec!["createClient 201"]),
            ("product-schema", vec![]),
            ("page-urls-nullable", vec!["listClient 200"]),
            ("locked-nullable", vec!["listClient 200", "getClient 200"]),
        ];
        let expected: Vec<(String, Vec<String>)> = expected
            .into_iter()
            .map(|(id, e)| (id.to_owned(), e.into_iter().map(str::to_owned).collect()))
            .collect();
        assert_eq!(effects, expected);
    }

    #[test]
    fn undoing_a_correction_restores_kore_s_own_schema() {
        let spec = Spec::merged();
        let date = recorded(&spec)
            .into_iter()
            .find(|c| c.id == "created-date-not-date-time")
            .unwrap();
        let without = date.undo(&spec).unwrap();
        assert_eq!(
            without.document()["components"]["schemas"]["CreatedClient"]["properties"]["date_created"]
                ["format"],
            "date-time"
        );
        assert!(
            spec.document()["components"]["schemas"]["CreatedClient"]["properties"]["date_created"]
                .get("format")
                .is_none()
        );
    }

    #[test]
    fn undoing_an_extraction_inlines_what_later_corrections_refer_to() {
        let spec = Spec::merged();
        let extraction = recorded(&spec)
            .into_iter()
            .find(|c| c.id == "client-type-schema")
            .unwrap();
        let without = extraction.undo(&spec).unwrap();
        let schemas = &without.document()["components"]["schemas"];
        assert!(schemas.get("ClientType").is_none());
        // KORE's inline copy is back...
        assert_eq!(
            schemas["Client"]["properties"]["client_type"]["enum"],
            json!(["admin", "standard"])
        );
        // ...and `created-client-type-widened`, still applied, keeps every
        // client type, now inline.
        assert_eq!(
            schemas["CreatedClient"]["properties"]["client_type"],
            spec.document()["components"]["schemas"]["ClientType"]
        );
    }

    #[test]
    fn what_a_spec_faithful_answer_needs_is_needed_and_the_rest_is_said_so() {
        let exchanges = [list(200, "1", Some(page(Value::Null, Value::Null)))];
        let found = statuses(&exchanges);
        let expect = |id: &str, status: Status| {
            assert!(
                found.contains(&(id.to_owned(), status)),
                "{id} should be {status:?}: {found:?}"
            );
        };
        expect("page-number-inclusive-minimum", Status::Needed);
        expect("page-size-inclusive-minimum", Status::NotObserved);
        expect("page-urls-nullable", Status::Needed);
        expect("locked-nullable", Status::Needed);
        expect("created-date-not-date-time", Status::NotChecked);
        expect("created-client-type-widened", Status::NotChecked);
        expect("name-client-list", Status::NotApplicable);

        let quiet = [list(200, "2", Some(page(json!("url"), json!(true))))];
        assert_eq!(status_of(&quiet, "page-urls-nullable"), Status::NotObserved);
        assert_eq!(status_of(&quiet, "locked-nullable"), Status::NotObserved);
        assert_eq!(
            status_of(&quiet, "page-number-inclusive-minimum"),
            Status::NotObserved
        );
    }

    #[test]
    fn the_evidence_names_each_place() {
        let exchanges = [list(200, "1", Some(page(Value::Null, Value::Null)))];
        let assessment = assess(&Spec::merged(), &exchanges)
            .into_iter()
            .find(|a| a.id == "locked-nullable")
            .unwrap();
        assert_eq!(assessment.evidence.len(), 1);
        let evidence = &assessment.evidence[0];
        assert_eq!(
            (
                evidence.operation.as_str(),
                evidence.status,
                evidence.at.as_str()
            ),
            ("listClient", 200, "/clients/0/locked")
        );
        assert_eq!(
            evidence.message,
            "is null, where the schema allows no null (KORE's schema without this correction)"
        );
    }

    #[test]
    fn the_create_corrections_are_judged_by_the_create_answer() {
        let rfc1123 = [created("Fri, 05 Apr 2024 11:08:14 GMT", "admin")];
        let as_published = [created("2024-04-05T11:08:14Z", "standard")];
        for (answers, status) in [
            (&rfc1123, Status::Needed),
            (&as_published, Status::NotObserved),
        ] {
            for id in ["created-date-not-date-time", "created-client-type-widened"] {
                assert_eq!(status_of(answers, id), status, "{id}");
            }
        }
        let report = format!("{:?}", assess(&Spec::merged(), &rfc1123));
        assert!(!report.contains("s3cr3t-created"), "{report}");
        assert!(report.contains("Fri, 05 Apr 2024 11:08:14 GMT"), "{report}");
    }

    #[test]
    fn a_refused_page_1_contradicts_the_correction() {
        let refused = [list(
            400,
            "1",
            Some(json!({"status": 400, "message": "bad"})),
        )];
        assert_eq!(
            status_of(&refused, "page-number-inclusive-minimum"),
            Status::Contradicted
        );
    }
}
