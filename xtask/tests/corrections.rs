//! The corrections file: reasons are required, and stale corrections fail loudly.

mod common;

use common::{assert_says, workspace_copy};
use serde_json::json;
use xtask::corrections::Corrections;

fn doc() -> serde_json::Value {
    json!({
        "components": {"schemas": {
            "201Thing": {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}
        }},
        "paths": {"/t": {"post": {"responses": {"201": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/201Thing"}
        }}}}}}}
    })
}

/// Why `corrections` fail to parse.
fn parse_error(corrections: serde_json::Value) -> String {
    Corrections::parse("corrections.json", &corrections.to_string())
        .unwrap_err()
        .to_string()
}

fn apply(corrections: serde_json::Value) -> Result<serde_json::Value, String> {
    let parsed = Corrections::parse("corrections.json", &corrections.to_string())
        .map_err(|e| e.to_string())?;
    parsed.apply(doc()).map_err(|e| e.to_string())
}

#[test]
fn corrections_apply_in_order() {
    let out = apply(json!([
        {"correction": "c", "op": "move", "from": "/components/schemas/201Thing", "path": "/components/schemas/Thing", "reason": "digit-leading name"},
        {"correction": "c", "op": "test", "path": "/paths/~1t/post/responses/201/content/application~1json/schema/$ref", "value": "#/components/schemas/201Thing", "reason": "guard"},
        {"correction": "c", "op": "replace", "path": "/paths/~1t/post/responses/201/content/application~1json/schema/$ref", "value": "#/components/schemas/Thing", "reason": "follow the rename"},
        {"correction": "c", "op": "remove", "path": "/components/schemas/Thing/properties/at/format", "reason": "server sends RFC 1123"}
    ]))
    .unwrap();
    assert_eq!(
        out["components"]["schemas"]["Thing"]["properties"]["at"],
        json!({"type": "string"})
    );
    assert_eq!(
        out["paths"]["/t"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Thing"
    );
}

#[test]
fn every_correction_needs_a_reason() {
    let message =
        apply(json!([{"correction": "c", "op": "remove", "path": "/components"}])).unwrap_err();
    assert_says(&message, &["operation #0 has no `reason`"]);
    let message =
        apply(json!([{"correction": "c", "op": "remove", "path": "/components", "reason": "  "}]))
            .unwrap_err();
    assert_says(&message, &["operation #0 has no `reason`"]);
}

#[test]
fn unknown_operations_are_rejected() {
    let message = apply(json!([{"correction": "c", "op": "rename", "path": "/x", "reason": "r"}]))
        .unwrap_err();
    assert_says(
        &message,
        &["operation #0 (correction `c`) is not a JSON Patch operation"],
    );
}

#[test]
fn a_failed_test_means_the_correction_is_stale() {
    let message = apply(json!([
        {"correction": "c", "op": "test", "path": "/components/schemas/201Thing/properties/at/format", "value": "date", "reason": "guard: still date"}
    ]))
    .unwrap_err();
    assert_says(
        &message,
        &[
            "correction `c` no longer applies: operation #0",
            "the fragments now have \"date-time\"",
            "reason it exists: guard: still date",
            "delete these 1 operation(s)",
        ],
    );
}

#[test]
fn removing_what_upstream_already_removed_is_stale() {
    let message = apply(json!([
        {"correction": "c", "op": "remove", "path": "/components/schemas/201Thing/properties/at/pattern", "reason": "bad pattern"}
    ]))
    .unwrap_err();
    assert_says(
        &message,
        &[
            "correction `c` no longer applies: operation #0",
            "/components/schemas/201Thing/properties/at/pattern",
        ],
    );
}

#[test]
fn moving_a_schema_upstream_renamed_is_stale() {
    let message = apply(json!([
        {"correction": "c", "op": "move", "from": "/components/schemas/200Gone", "path": "/components/schemas/Gone", "reason": "rename"}
    ]))
    .unwrap_err();
    assert_says(&message, &["no longer applies"]);
}

#[test]
fn add_never_overwrites_what_the_fragments_define() {
    let message = apply(json!([
        {"correction": "c", "op": "add", "path": "/components/schemas/201Thing", "value": {}, "reason": "extract a schema"}
    ]))
    .unwrap_err();
    assert_says(
        &message,
        &["`add` would overwrite /components/schemas/201Thing"],
    );
    // Adding something new is fine.
    apply(json!([{"correction": "c", "op": "add", "path": "/components/schemas/New", "value": {"type": "string"}, "reason": "extract"}]))
        .unwrap();
}

#[test]
fn malformed_corrections_report_line_and_column() {
    let message = Corrections::parse("corrections.json", "[\n  {\"op\": }\n]")
        .unwrap_err()
        .to_string();
    assert!(message.starts_with("corrections.json:2:"), "{message}");
}

#[test]
fn the_workspace_corrections_all_have_reasons_and_apply() {
    // The real file, against the real fragments: no stale entries.
    let layout = xtask::Layout::workspace();
    let text = std::fs::read_to_string(layout.corrections_file()).unwrap();
    let corrections = Corrections::parse("openapi/corrections.json", &text).unwrap();
    assert!(corrections.entries().len() >= 10);
    xtask::build_spec(&layout).unwrap();
}

#[test]
fn move_and_copy_never_overwrite_what_the_fragments_define() {
    let with_target = |op: &str| {
        let mut doc = doc();
        doc["components"]["schemas"]["Thing"] = json!({"type": "string"});
        let corrections = Corrections::parse(
            "corrections.json",
            &json!([{"correction": "c", "op": op, "from": "/components/schemas/201Thing", "path": "/components/schemas/Thing", "reason": "rename"}]).to_string(),
        )
        .unwrap();
        corrections.apply(doc).unwrap_err().to_string()
    };
    for op in ["move", "copy"] {
        let message = with_target(op);
        assert_says(
            &message,
            &[&format!("`{op}` would overwrite /components/schemas/Thing")],
        );
    }
}

#[test]
fn every_operation_needs_a_correction_id() {
    let message = parse_error(json!([{"op": "remove", "path": "/components", "reason": "r"}]));
    assert_says(&message, &["operation #0 has no `correction` id"]);
}

#[test]
fn the_operations_of_one_correction_stay_together() {
    let message = parse_error(json!([
        {"correction": "a", "op": "test", "path": "/x", "value": 1, "reason": "guard"},
        {"correction": "b", "op": "test", "path": "/y", "value": 1, "reason": "guard"},
        {"correction": "a", "op": "remove", "path": "/x", "reason": "r"}
    ]));
    assert_says(
        &message,
        &["operation #2 belongs to correction `a`, whose operations start at #0"],
    );
}

#[test]
fn a_stale_correction_names_its_reason_and_every_operation_of_it() {
    // The second operation of `date-format` goes stale; the message must name
    // the correction, its reason (not the guard's) and both operations.
    let message = apply(json!([
        {"correction": "rename", "op": "move", "from": "/components/schemas/201Thing", "path": "/components/schemas/Thing", "reason": "digit-leading name"},
        {"correction": "date-format", "op": "test", "path": "/components/schemas/Thing/properties/at/format", "value": "date", "reason": "guard: still date"},
        {"correction": "date-format", "op": "remove", "path": "/components/schemas/Thing/properties/at/format", "reason": "the server sends RFC 1123 dates"}
    ]))
    .unwrap_err();
    assert_says(
        &message,
        &[
            "correction `date-format` no longer applies: operation #1 (test /components/schemas/Thing/properties/at/format)",
            "reason it exists: the server sends RFC 1123 dates",
            "#1 test /components/schemas/Thing/properties/at/format",
            "#2 remove /components/schemas/Thing/properties/at/format",
        ],
    );
    assert!(!message.contains("#0 move"), "{message}");
    assert_says(&message, &["delete these 2 operation(s)"]);
}

#[test]
fn the_provenance_groups_operations_and_keeps_what_they_replaced() {
    let corrections = Corrections::parse(
        "corrections.json",
        &json!([
            {"correction": "rename", "op": "move", "from": "/components/schemas/201Thing", "path": "/components/schemas/Thing", "reason": "digit-leading name"},
            {"correction": "date-format", "op": "test", "path": "/components/schemas/Thing/properties/at/format", "value": "date-time", "reason": "guard"},
            {"correction": "date-format", "op": "remove", "path": "/components/schemas/Thing/properties/at/format", "reason": "RFC 1123"},
            {"correction": "nullable", "op": "add", "path": "/components/schemas/Thing/properties/at/nullable", "value": true, "reason": "null is sent"}
        ])
        .to_string(),
    )
    .unwrap();
    let (_, applied) = corrections.apply_recorded(doc()).unwrap();
    let provenance = corrections.provenance(&applied);
    let ids: Vec<&str> = provenance
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["rename", "date-format", "nullable"]);
    let date = &provenance[1];
    assert_eq!(
        date["reason"], "RFC 1123",
        "the reason of the change, not the guard"
    );
    assert_eq!(date["operations"][0]["op"], "test");
    assert_eq!(date["operations"][1]["op"], "remove");
    assert_eq!(date["operations"][1]["before"], "date-time");
    assert_eq!(provenance[2]["operations"][0]["value"], true);
    assert!(provenance[2]["operations"][0].get("before").is_none());
}

/// A copy of the workspace's `openapi/` in a temporary root, to change fragments in.
/// Applies `change` to `Client.locked` in every fragment that defines `Client`.
fn change_locked(layout: &xtask::Layout, change: impl Fn(&mut serde_json::Value)) {
    for name in ["listClient.json", "getClient.json"] {
        edit_fragment(layout, name, |doc| {
            change(&mut doc["components"]["schemas"]["Client"]["properties"]["locked"]);
        });
    }
}

#[test]
fn the_locked_correction_guards_the_bug_not_its_wording() {
    // KORE rewording the description is no reason to touch the correction...
    let (_dir, layout) = workspace_copy();
    change_locked(&layout, |locked| {
        locked["description"] =
            json!("Whether the client is locked; null until it is first locked.");
    });
    let spec: serde_json::Value =
        serde_json::from_str(&xtask::build_spec(&layout).unwrap()).unwrap();
    assert_eq!(
        spec["components"]["schemas"]["Client"]["properties"]["locked"]["nullable"],
        true
    );

    // ...but KORE declaring `locked` nullable itself makes it stale.
    let (_dir, layout) = workspace_copy();
    change_locked(&layout, |locked| locked["nullable"] = json!(true));
    let message = xtask::build_spec(&layout).unwrap_err().to_string();
    assert_says(
        &message,
        &["correction `locked-nullable` no longer applies"],
    );
    assert!(
        message.contains(
            "`add` would overwrite /components/schemas/Client/properties/locked/nullable"
        ),
        "{message}"
    );

    // ...and so does a change of its type.
    let (_dir, layout) = workspace_copy();
    change_locked(&layout, |locked| locked["type"] = json!("string"));
    let message = xtask::build_spec(&layout).unwrap_err().to_string();
    assert_says(
        &message,
        &["correction `locked-nullable` no longer applies"],
    );
}

#[test]
fn the_merged_spec_records_every_correction_of_the_file() {
    let layout = xtask::Layout::workspace();
    let text = std::fs::read_to_string(layout.corrections_file()).unwrap();
    let corrections = Corrections::parse("openapi/corrections.json", &text).unwrap();
    let spec: serde_json::Value =
        serde_json::from_str(&xtask::build_spec(&layout).unwrap()).unwrap();
    let recorded = spec[xtask::corrections::PROVENANCE_KEY].as_array().unwrap();
    let mut ids: Vec<&str> = corrections
        .entries()
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    ids.dedup();
    let recorded_ids: Vec<&str> = recorded.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(recorded_ids, ids);
    let operations: usize = recorded
        .iter()
        .map(|c| c["operations"].as_array().unwrap().len())
        .sum();
    assert_eq!(operations, corrections.entries().len());
}

/// Two objects that each write the same `kind` enum inline, `a_kind` and `b_kind` their schemas.
fn two_copies(a_kind: serde_json::Value, b_kind: serde_json::Value) -> serde_json::Value {
    json!({"components": {"schemas": {
        "A": {"type": "object", "properties": {"kind": a_kind}},
        "B": {"type": "object", "properties": {"kind": b_kind}}
    }}})
}

/// The extraction of `kind` into the component `Kind`, as `client-type-schema` does it.
fn extract_kind() -> Corrections {
    let reference = json!({"$ref": "#/components/schemas/Kind"});
    Corrections::parse(
        "corrections.json",
        &json!([
            {"correction": "kind-schema", "op": "test", "path": "/components/schemas/A/properties/kind/type", "value": "string", "reason": "guard"},
            {"correction": "kind-schema", "op": "add", "path": "/components/schemas/Kind", "value": {"type": "string", "description": "Kind of a thing."}, "reason": "one named enum"},
            {"correction": "kind-schema", "op": "copy", "from": "/components/schemas/A/properties/kind/enum", "path": "/components/schemas/Kind/enum", "reason": "KORE's values"},
            {"correction": "kind-schema", "op": "replace", "path": "/components/schemas/A/properties/kind", "value": reference, "reason": "use it"},
            {"correction": "kind-schema", "op": "replace", "path": "/components/schemas/B/properties/kind", "value": reference, "reason": "use it"}
        ])
        .to_string(),
    )
    .unwrap()
}

#[test]
fn a_copy_that_agrees_with_the_component_its_correction_extracted_is_shared() {
    // Descriptions (and examples) may differ between the copies, or be missing.
    let doc = two_copies(
        json!({"type": "string", "enum": ["x", "y"]}),
        json!({"type": "string", "enum": ["x", "y"], "description": "Kind of B.", "example": "x"}),
    );
    let out = extract_kind().apply(doc).unwrap();
    assert_eq!(
        out["components"]["schemas"]["Kind"],
        json!({"type": "string", "description": "Kind of a thing.", "enum": ["x", "y"]})
    );
    for owner in ["A", "B"] {
        assert_eq!(
            out["components"]["schemas"][owner]["properties"]["kind"],
            json!({"$ref": "#/components/schemas/Kind"})
        );
    }
}

#[test]
fn a_copy_that_differs_from_the_component_its_correction_extracted_is_refused() {
    let doc = two_copies(
        json!({"type": "string", "enum": ["x", "y", "z"]}),
        json!({"type": "string", "enum": ["x", "y"]}),
    );
    let message = extract_kind().apply(doc).unwrap_err().to_string();
    assert_says(
        &message,
        &[
            "correction `kind-schema` would share one schema between copies that KORE's fragments define differently",
            "operation #4 (replace /components/schemas/B/properties/kind)",
            "`enum`: [\"x\",\"y\",\"z\"] at /components/schemas/A/properties/kind/enum (copied to /components/schemas/Kind/enum), but [\"x\",\"y\"] at /components/schemas/B/properties/kind/enum",
            "reason it exists: one named enum",
            "#4 replace /components/schemas/B/properties/kind",
            "the merge picks no side",
        ],
    );
}

#[test]
fn a_keyword_only_one_copy_has_is_a_difference_too() {
    let doc = two_copies(
        json!({"type": "string", "enum": ["x", "y"]}),
        json!({"type": "string", "enum": ["x", "y"], "nullable": true}),
    );
    let message = extract_kind().apply(doc).unwrap_err().to_string();
    assert_says(
        &message,
        &[
            "`nullable`: nothing at /components/schemas/Kind/nullable (written by this correction), but true at /components/schemas/B/properties/kind/nullable",
        ],
    );
}

#[test]
fn a_ref_to_a_component_another_correction_made_is_a_change_of_its_own() {
    // Widening B to the shared enum is what a later correction is for: its
    // guards, not the sharing rule, say what it expects.
    let doc = two_copies(
        json!({"type": "string", "enum": ["x", "y"]}),
        json!({"type": "string", "enum": ["y"]}),
    );
    let corrections = Corrections::parse(
        "corrections.json",
        &json!([
            {"correction": "kind-schema", "op": "copy", "from": "/components/schemas/A/properties/kind", "path": "/components/schemas/Kind", "reason": "one named enum"},
            {"correction": "kind-schema", "op": "replace", "path": "/components/schemas/A/properties/kind", "value": {"$ref": "#/components/schemas/Kind"}, "reason": "use it"},
            {"correction": "b-widened", "op": "test", "path": "/components/schemas/B/properties/kind/enum", "value": ["y"], "reason": "guard: B still allows only y"},
            {"correction": "b-widened", "op": "replace", "path": "/components/schemas/B/properties/kind", "value": {"$ref": "#/components/schemas/Kind"}, "reason": "accept every kind"}
        ])
        .to_string(),
    )
    .unwrap();
    let out = corrections.apply(doc).unwrap();
    assert_eq!(
        out["components"]["schemas"]["Kind"]["enum"],
        json!(["x", "y"])
    );
}

/// Applies `change` to fragment `name` of `layout`.
fn edit_fragment(layout: &xtask::Layout, name: &str, change: impl FnOnce(&mut serde_json::Value)) {
    let path = layout.fragments_dir().join(name);
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    change(&mut doc);
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

/// Adds `value` to `Client.client_type`'s enum in both fragments that define `Client`.
fn add_client_type(layout: &xtask::Layout, value: &str) {
    for name in ["listClient.json", "getClient.json"] {
        edit_fragment(layout, name, |doc| {
            doc["components"]["schemas"]["Client"]["properties"]["client_type"]["enum"]
                .as_array_mut()
                .unwrap()
                .push(json!(value));
        });
    }
}

/// Adds `value` to listClient's `client_type` filter.
fn add_filter_type(layout: &xtask::Layout, value: &str) {
    edit_fragment(layout, "listClient.json", |doc| {
        let filter = &mut doc["paths"]["/v1/clients"]["get"]["parameters"][2];
        assert_eq!(filter["name"], "client_type");
        filter["schema"]["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!(value));
    });
}

fn merged(layout: &xtask::Layout) -> serde_json::Value {
    serde_json::from_str(&xtask::build_spec(layout).unwrap()).unwrap()
}

#[test]
fn a_value_added_to_every_copy_of_an_enum_reaches_the_component_with_no_edit() {
    let (_dir, layout) = workspace_copy();
    add_client_type(&layout, "service");
    add_filter_type(&layout, "service");
    let spec = merged(&layout);
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["ClientType"]["enum"],
        json!(["admin", "standard", "service"])
    );
    let reference = json!({"$ref": "#/components/schemas/ClientType"});
    assert_eq!(schemas["Client"]["properties"]["client_type"], reference);
    assert_eq!(
        schemas["CreatedClient"]["properties"]["client_type"],
        reference
    );
    assert_eq!(
        spec["paths"]["/v1/clients"]["get"]["parameters"][2]["schema"],
        reference
    );
}

#[test]
fn a_product_added_by_kore_reaches_the_product_component_with_no_edit() {
    let (_dir, layout) = workspace_copy();
    edit_fragment(&layout, "createClient.json", |doc| {
        doc["components"]["schemas"]["CreateClient"]["properties"]["scopes"]["properties"]
            ["products"]["items"]["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("IoTConnect"));
    });
    let spec = merged(&layout);
    assert_eq!(
        spec["components"]["schemas"]["Product"]["enum"],
        json!(["SuperSIM", "ProgrammableWireless", "IoTConnect"])
    );
}

#[test]
fn a_value_added_to_only_one_copy_of_an_enum_is_refused_naming_both_pointers() {
    let (_dir, layout) = workspace_copy();
    add_client_type(&layout, "service");
    let message = xtask::build_spec(&layout).unwrap_err().to_string();
    assert_says(
        &message,
        &[
            "correction `client-type-schema` would share one schema between copies that KORE's fragments define differently",
            "(replace /paths/~1v1~1clients/get/parameters/2/schema)",
            "`enum`: [\"admin\",\"standard\",\"service\"] at /components/schemas/Client/properties/client_type/enum (copied to /components/schemas/ClientType/enum), but [\"admin\",\"standard\"] at /paths/~1v1~1clients/get/parameters/2/schema/enum",
            "Read KORE's docs page to decide which copy is right",
        ],
    );

    // The other way round: only the filter has the new value.
    let (_dir, layout) = workspace_copy();
    add_filter_type(&layout, "service");
    let message = xtask::build_spec(&layout).unwrap_err().to_string();
    assert_says(
        &message,
        &[
            "[\"admin\",\"standard\"] at /components/schemas/Client/properties/client_type/enum (copied to /components/schemas/ClientType/enum), but [\"admin\",\"standard\",\"service\"] at /paths/~1v1~1clients/get/parameters/2/schema/enum",
        ],
    );
}

#[test]
fn an_optional_property_added_to_an_answer_object_and_to_create_client_merges() {
    let (_dir, layout) = workspace_copy();
    let sim_limit = json!({"type": "integer", "description": "Most SIMs the client may manage."});
    edit_fragment(&layout, "createClient.json", |doc| {
        let schemas = &mut doc["components"]["schemas"];
        schemas["201CreateClient"]["properties"]["sim_limit"] = sim_limit.clone();
        schemas["CreateClient"]["properties"]["sim_limit"] = sim_limit.clone();
    });
    let spec = merged(&layout);
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["CreatedClient"]["properties"]["sim_limit"],
        sim_limit
    );
    assert_eq!(
        schemas["CreateClient"]["properties"]["sim_limit"],
        sim_limit
    );
    assert_eq!(
        schemas["CreateClient"]["required"],
        json!(["name", "locked", "scopes"])
    );
}

#[test]
fn the_create_answer_is_widened_to_the_shared_client_type_until_kore_fixes_it() {
    // The widening follows the shared type: a type added to every copy
    // reaches the create answer too.
    let (_dir, layout) = workspace_copy();
    add_client_type(&layout, "service");
    add_filter_type(&layout, "service");
    let spec = merged(&layout);
    let correction = spec[xtask::corrections::PROVENANCE_KEY]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "created-client-type-widened")
        .unwrap();
    assert_eq!(
        correction["operations"][1]["before"]["enum"],
        json!(["standard"])
    );

    // Whatever values KORE lists in the create answer itself (a type added
    // there too, say), the answer takes the shared type: no hand edit.
    let (_dir, layout) = workspace_copy();
    add_client_type(&layout, "service");
    add_filter_type(&layout, "service");
    edit_fragment(&layout, "createClient.json", |doc| {
        doc["components"]["schemas"]["201CreateClient"]["properties"]["client_type"]["enum"] =
            json!(["standard", "service"]);
    });
    let spec = merged(&layout);
    assert_eq!(
        spec["components"]["schemas"]["CreatedClient"]["properties"]["client_type"],
        json!({"$ref": "#/components/schemas/ClientType"})
    );
    assert_eq!(
        spec["components"]["schemas"]["ClientType"]["enum"],
        json!(["admin", "standard", "service"])
    );

    // KORE referring to a shared type itself is the fix of what the
    // correction fixes: the merge stops there and names it.
    let (_dir, layout) = workspace_copy();
    edit_fragment(&layout, "createClient.json", |doc| {
        doc["components"]["schemas"]["201CreateClient"]["properties"]["client_type"] =
            json!({"$ref": "#/components/schemas/ClientType"});
    });
    let message = xtask::build_spec(&layout).unwrap_err().to_string();
    assert_says(
        &message,
        &["correction `created-client-type-widened` no longer applies"],
    );
}
