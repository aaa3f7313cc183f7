//! The change classifier: each kind of change between two merged specs, and its class.

mod common;

use serde_json::{Value, json};
use xtask::spec_diff::{Change, Class, compare, overall, render};

/// A small merged spec: `createThing` sends a `NewThing` and answers a
/// `Thing`; `listThings` filters by `kind`. `Kind` is used on both sides.
fn spec() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Things", "version": "1.0.0"},
        "paths": {"/things": {
            "get": {
                "operationId": "listThings",
                "parameters": [
                    {"name": "kind", "in": "query", "required": false, "schema": {"$ref": "#/components/schemas/Kind"}}
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}
                }}}}
            },
            "post": {
                "operationId": "createThing",
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewThing"}
                }}},
                "responses": {"201": {"description": "created", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Thing"}
                }}}}
            }
        }},
        "components": {"schemas": {
            "Kind": {"type": "string", "enum": ["a", "b"], "description": "Kind of a thing."},
            "NewThing": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "Its name."},
                    "size": {"type": "integer"},
                    "kind": {"$ref": "#/components/schemas/Kind"}
                },
                "required": ["name"]
            },
            "Thing": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "made": {"type": "string", "format": "date-time"},
                    "kind": {"$ref": "#/components/schemas/Kind"},
                    "label": {"type": "string"}
                },
                "required": ["id"],
                "additionalProperties": {}
            }
        }},
        "x-kore-corrections": []
    })
}

/// The changes from [`spec`] to `spec` changed by `edit`.
fn changes_after(edit: impl FnOnce(&mut Value)) -> Vec<Change> {
    let old = spec();
    let mut new = old.clone();
    edit(&mut new);
    compare(&old, &new)
}

/// `changes` as `(class, pointer)` pairs, to compare whole lists.
fn classes(changes: &[Change]) -> Vec<(Class, &str)> {
    changes.iter().map(|c| (c.class, c.at.as_str())).collect()
}

fn schema<'v>(spec: &'v mut Value, name: &str) -> &'v mut Value {
    &mut spec["components"]["schemas"][name]
}

#[test]
fn the_same_spec_has_no_changes() {
    assert_eq!(compare(&spec(), &spec()), []);
    assert_eq!(overall(&[]), None);
    assert!(render(&[]).starts_with("no change to the API"));
}

#[test]
fn a_value_added_to_an_enum_is_additive_where_it_is_sent_and_received() {
    let changes = changes_after(|s| schema(s, "Kind")["enum"] = json!(["a", "b", "c"]));
    assert_eq!(
        classes(&changes),
        [
            (Class::Additive, "/components/schemas/Kind/enum"),
            (Class::Additive, "/components/schemas/Kind/enum"),
        ]
    );
    assert!(
        changes[0].what.contains("`c` added in a request"),
        "{changes:?}"
    );
    assert!(
        changes[1].what.contains("`c` added in an answer"),
        "{changes:?}"
    );
    assert!(changes[1].reason.contains("Open::Unknown"), "{changes:?}");
}

#[test]
fn an_enum_value_removed_is_breaking() {
    let changes = changes_after(|s| schema(s, "Kind")["enum"] = json!(["a"]));
    assert_eq!(overall(&changes), Some(Class::Breaking));
    assert!(
        changes.iter().all(|c| c.what.contains("`b` removed")),
        "{changes:?}"
    );
    assert!(
        changes[0].reason.contains("no longer compiles"),
        "{changes:?}"
    );
}

#[test]
fn an_optional_property_added_to_a_request_or_an_answer_is_additive() {
    let changes = changes_after(|s| {
        schema(s, "NewThing")["properties"]["colour"] = json!({"type": "string"});
        schema(s, "Thing")["properties"]["colour"] = json!({"type": "string"});
    });
    assert_eq!(
        classes(&changes),
        [
            (
                Class::Additive,
                "/components/schemas/Thing/properties/colour"
            ),
            (
                Class::Additive,
                "/components/schemas/NewThing/properties/colour"
            ),
        ]
    );
    assert_eq!(
        changes[1].what,
        "optional property `colour` added in a request"
    );
}

#[test]
fn a_new_required_request_property_is_breaking_but_not_in_an_answer() {
    let changes = changes_after(|s| {
        schema(s, "NewThing")["properties"]["owner"] = json!({"type": "string"});
        schema(s, "NewThing")["required"] = json!(["name", "owner"]);
        schema(s, "Thing")["properties"]["owner"] = json!({"type": "string"});
        schema(s, "Thing")["required"] = json!(["id", "owner"]);
    });
    assert_eq!(
        classes(&changes),
        [
            (
                Class::Breaking,
                "/components/schemas/NewThing/properties/owner"
            ),
            (
                Class::Additive,
                "/components/schemas/Thing/properties/owner"
            ),
        ]
    );
    assert!(changes[0].reason.contains("are refused"), "{changes:?}");
}

#[test]
fn a_property_becoming_required_is_breaking_on_either_side() {
    let changes = changes_after(|s| {
        schema(s, "NewThing")["required"] = json!(["name", "size"]);
        schema(s, "Thing")["required"] = json!(["id", "name"]);
    });
    assert_eq!(
        classes(&changes),
        [
            (Class::Breaking, "/components/schemas/Thing/required"),
            (Class::Breaking, "/components/schemas/NewThing/required"),
        ]
    );
    assert_eq!(
        changes[1].what,
        "property `size` became required in a request"
    );
    assert!(
        changes[1].reason.contains("callers that leave it out"),
        "{changes:?}"
    );
    assert!(
        changes[0].reason.contains("optional to required"),
        "{changes:?}"
    );
}

#[test]
fn a_property_no_longer_required_loosens_a_request_and_breaks_an_answer() {
    let changes = changes_after(|s| {
        schema(s, "NewThing")["required"] = json!([]);
        schema(s, "Thing")["required"] = json!([]);
    });
    assert_eq!(
        classes(&changes),
        [
            (Class::Breaking, "/components/schemas/Thing/required"),
            (Class::Additive, "/components/schemas/NewThing/required"),
        ]
    );
}

#[test]
fn a_property_removed_is_breaking() {
    let changes = changes_after(|s| {
        schema(s, "Thing")["properties"]
            .as_object_mut()
            .unwrap()
            .remove("label");
    });
    assert_eq!(
        classes(&changes),
        [(
            Class::Breaking,
            "/components/schemas/Thing/properties/label"
        )]
    );
    assert!(changes[0].reason.contains("find nothing"), "{changes:?}");
}

#[test]
fn a_changed_type_or_format_is_breaking() {
    let changes = changes_after(|s| {
        schema(s, "NewThing")["properties"]["size"]["type"] = json!("string");
        schema(s, "Thing")["properties"]["made"]["format"] = json!("date");
    });
    assert_eq!(
        classes(&changes),
        [
            (Class::Breaking, "/components/schemas/Thing/properties/made"),
            (
                Class::Breaking,
                "/components/schemas/NewThing/properties/size"
            ),
        ]
    );
    assert!(
        changes[1].what.contains("\"integer\" to \"string\""),
        "{changes:?}"
    );
}

#[test]
fn additional_properties_false_newly_set_on_a_request_object_is_breaking() {
    let changes = changes_after(|s| schema(s, "NewThing")["additionalProperties"] = json!(false));
    assert_eq!(
        classes(&changes),
        [(Class::Breaking, "/components/schemas/NewThing")]
    );
    assert!(
        changes[0].reason.contains("accepted until now, is refused"),
        "{changes:?}"
    );
    // ...and dropping it again accepts more.
    let mut strict = spec();
    schema(&mut strict, "NewThing")["additionalProperties"] = json!(false);
    let loosened = compare(&strict, &spec());
    assert_eq!(
        classes(&loosened),
        [(Class::Additive, "/components/schemas/NewThing")]
    );
}

#[test]
fn an_enum_newly_set_on_an_answer_string_is_breaking() {
    let changes = changes_after(|s| {
        schema(s, "Thing")["properties"]["label"]["enum"] = json!(["standard"]);
    });
    assert_eq!(
        classes(&changes),
        [(
            Class::Breaking,
            "/components/schemas/Thing/properties/label/enum"
        )]
    );
    assert!(
        changes[0].reason.contains("from a string to an enum"),
        "{changes:?}"
    );
}

#[test]
fn nullable_loosens_a_request_and_breaks_an_answer() {
    let changes = changes_after(|s| {
        schema(s, "NewThing")["properties"]["size"]["nullable"] = json!(true);
        schema(s, "Thing")["properties"]["label"]["nullable"] = json!(true);
    });
    assert_eq!(
        classes(&changes),
        [
            (
                Class::Breaking,
                "/components/schemas/Thing/properties/label/nullable"
            ),
            (
                Class::Additive,
                "/components/schemas/NewThing/properties/size/nullable"
            ),
        ]
    );
    // `nullable: false` says what saying nothing says.
    assert_eq!(
        changes_after(|s| schema(s, "Thing")["properties"]["label"]["nullable"] = json!(false)),
        []
    );
}

#[test]
fn parameters_optional_added_is_additive_required_or_removed_is_breaking() {
    let at = "/paths/~1things/get/parameters";
    let optional = changes_after(|s| {
        s["paths"]["/things"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "page", "in": "query", "schema": {"type": "integer"}}));
    });
    assert_eq!(classes(&optional), [(Class::Additive, &*format!("{at}/1"))]);
    assert_eq!(optional[0].what, "optional query parameter `page` added");

    let required = changes_after(|s| {
        s["paths"]["/things"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "page", "in": "query", "required": true, "schema": {"type": "integer"}}));
    });
    assert_eq!(classes(&required), [(Class::Breaking, &*format!("{at}/1"))]);

    let now_required =
        changes_after(|s| s["paths"]["/things"]["get"]["parameters"][0]["required"] = json!(true));
    assert_eq!(
        classes(&now_required),
        [(Class::Breaking, &*format!("{at}/0"))]
    );
    assert_eq!(
        now_required[0].what,
        "query parameter `kind` became required"
    );

    let removed = changes_after(|s| s["paths"]["/things"]["get"]["parameters"] = json!([]));
    assert_eq!(classes(&removed), [(Class::Breaking, at)]);
}

#[test]
fn operations_added_are_additive_and_removed_are_breaking() {
    let added = changes_after(|s| {
        s["paths"]["/things/{id}"] = json!({"get": {"operationId": "getThing", "responses": {}}});
    });
    assert_eq!(
        classes(&added),
        [(Class::Additive, "/paths/~1things~1{id}/get")]
    );
    assert_eq!(
        added[0].what,
        "operation `getThing` (GET /things/{id}) added"
    );
    let removed = changes_after(|s| {
        s["paths"]["/things"]
            .as_object_mut()
            .unwrap()
            .remove("post");
    });
    assert_eq!(
        classes(&removed),
        [(Class::Breaking, "/paths/~1things/post")]
    );
}

#[test]
fn a_new_response_status_is_additive() {
    let changes = changes_after(|s| {
        s["paths"]["/things"]["post"]["responses"]["409"] = json!({"description": "conflict"});
    });
    assert_eq!(
        classes(&changes),
        [(Class::Additive, "/paths/~1things/post/responses/409")]
    );
}

#[test]
fn descriptions_and_examples_are_neutral() {
    let changes = changes_after(|s| {
        schema(s, "Kind")["description"] = json!("What sort of thing it is.");
        schema(s, "NewThing")["properties"]["name"]["example"] = json!("Example");
        s["info"]["description"] = json!("Things, documented.");
        s["paths"]["/things"]["post"]["summary"] = json!("Create a thing");
    });
    assert!(!changes.is_empty());
    assert!(
        changes.iter().all(|c| c.class == Class::Neutral),
        "{changes:?}"
    );
    assert_eq!(overall(&changes), Some(Class::Neutral));
}

#[test]
fn our_own_records_are_ignored() {
    let changes = changes_after(|s| {
        s["x-kore-corrections"] = json!([{"id": "new-correction"}]);
        s["x-kore-open-answers"] = json!({"opened": []});
    });
    assert_eq!(changes, []);
}

#[test]
fn an_inline_schema_replaced_by_an_equal_ref_is_no_change() {
    // What an extracting correction does: the same values, now named.
    let mut inline = spec();
    schema(&mut inline, "Thing")["properties"]["kind"] =
        json!({"type": "string", "enum": ["a", "b"], "description": "Kind of a thing."});
    assert_eq!(compare(&inline, &spec()), []);
}

#[test]
fn a_change_without_a_rule_is_breaking_and_says_so() {
    let changes =
        changes_after(|s| schema(s, "NewThing")["properties"]["size"]["minimum"] = json!(1));
    assert_eq!(
        classes(&changes),
        [(
            Class::Breaking,
            "/components/schemas/NewThing/properties/size"
        )]
    );
    assert!(changes[0].reason.contains("no rule for"), "{changes:?}");
}

#[test]
fn the_breaking_changes_come_first_and_the_summary_counts_each_class() {
    let changes = changes_after(|s| {
        schema(s, "Kind")["description"] = json!("Sort.");
        schema(s, "Thing")["properties"]["colour"] = json!({"type": "string"});
        schema(s, "NewThing")["additionalProperties"] = json!(false);
    });
    let order: Vec<Class> = changes.iter().map(|c| c.class).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    let text = render(&changes);
    assert!(
        text.starts_with("BREAKING BY NATURE  `additionalProperties: false` newly set on a request object (/components/schemas/NewThing)\n"),
        "{text}"
    );
    assert!(
        text.contains("\n                    why: a request with members"),
        "{text}"
    );
    assert!(
        text.ends_with("1 breaking by nature, 1 additive, 2 neutral\n"),
        "{text}"
    );
}

/// A copy of the workspace's pipeline (fragments, corrections, both merged
/// copies) in a temporary root outside any git checkout.
fn pipeline_copy() -> (tempfile::TempDir, xtask::Layout) {
    let (dir, layout) = common::workspace_copy();
    let from = xtask::Layout::workspace();
    std::fs::create_dir_all(dir.path().join("kore-clients-gen")).unwrap();
    for (source, target) in from.merged_outputs().iter().zip(layout.merged_outputs()) {
        std::fs::copy(source, target).unwrap();
    }
    // The merge also writes kore-clients' generated part and the digest of
    // the generated code, which names versions from the lock file.
    std::fs::create_dir_all(dir.path().join("kore-clients/src")).unwrap();
    std::fs::copy(from.lock_file(), layout.lock_file()).unwrap();
    (dir, layout)
}

#[test]
fn the_merge_classifies_kore_s_change_against_the_spec_it_replaces() {
    let (_dir, layout) = pipeline_copy();
    let fragment = layout.fragments_dir().join("createClient.json");
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&fragment).unwrap()).unwrap();
    let original = doc.clone();
    // A new required request field the SDK has no value for: the merge
    // stops and says that it is breaking by nature, and what to do.
    doc["components"]["schemas"]["CreateClient"]["required"] =
        json!(["name", "locked", "scopes", "account_id"]);
    std::fs::write(&fragment, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let refused = xtask::merge_and_classify(&layout).unwrap_err().to_string();
    assert!(
        refused.contains("required field `account_id`")
            && refused.contains("breaking change by nature"),
        "{refused}"
    );

    // A field whose type changes: merged, and classified as breaking.
    let mut doc = original;
    doc["components"]["schemas"]["CreateClient"]["properties"]["account_id"]["type"] =
        json!("integer");
    std::fs::write(&fragment, serde_json::to_string_pretty(&doc).unwrap()).unwrap();

    let report = xtask::merge_and_classify(&layout).unwrap();
    for merged in layout.merged_outputs() {
        assert!(report.changed.contains(&merged), "{:?}", report.changed);
    }
    // Outside git, the baseline is the file the merge overwrote.
    assert_eq!(
        report.baseline.as_deref(),
        Some("openapi/kore-clients.json as it was before this merge")
    );
    assert_eq!(
        classes(&report.changes),
        [(
            Class::Breaking,
            "/components/schemas/CreateClient/properties/account_id"
        )]
    );
    assert!(
        report.changes[0].what.starts_with("`type` changed from"),
        "{}",
        report.changes[0].what
    );

    // Merged again: nothing left to classify.
    let again = xtask::merge_and_classify(&layout).unwrap();
    assert!(again.changed.is_empty());
    assert_eq!(again.changes, []);
}
