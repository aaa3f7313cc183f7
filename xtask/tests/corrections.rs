//! The corrections file: reasons are required, and stale corrections fail loudly.

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

fn apply(corrections: serde_json::Value) -> Result<serde_json::Value, String> {
    let parsed = Corrections::parse("corrections.json", &corrections.to_string())
        .map_err(|e| e.to_string())?;
    parsed.apply(doc()).map_err(|e| e.to_string())
}

#[test]
fn corrections_apply_in_order() {
    let out = apply(json!([
        {"op": "move", "from": "/components/schemas/201Thing", "path": "/components/schemas/Thing", "reason": "digit-leading name"},
        {"op": "test", "path": "/paths/~1t/post/responses/201/content/application~1json/schema/$ref", "value": "#/components/schemas/201Thing", "reason": "guard"},
        {"op": "replace", "path": "/paths/~1t/post/responses/201/content/application~1json/schema/$ref", "value": "#/components/schemas/Thing", "reason": "follow the rename"},
        {"op": "remove", "path": "/components/schemas/Thing/properties/at/format", "reason": "server sends RFC 1123"}
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
    let message = apply(json!([{"op": "remove", "path": "/components"}])).unwrap_err();
    assert!(
        message.contains("correction #0 has no `reason`"),
        "{message}"
    );
    let message =
        apply(json!([{"op": "remove", "path": "/components", "reason": "  "}])).unwrap_err();
    assert!(
        message.contains("correction #0 has no `reason`"),
        "{message}"
    );
}

#[test]
fn unknown_operations_are_rejected() {
    let message = apply(json!([{"op": "rename", "path": "/x", "reason": "r"}])).unwrap_err();
    assert!(
        message.contains("correction #0 is not a JSON Patch operation"),
        "{message}"
    );
}

#[test]
fn a_failed_test_means_the_correction_is_stale() {
    let message = apply(json!([
        {"op": "test", "path": "/components/schemas/201Thing/properties/at/format", "value": "date", "reason": "guard: still date"}
    ]))
    .unwrap_err();
    assert!(
        message.contains("correction #0 no longer applies"),
        "{message}"
    );
    assert!(
        message.contains("the fragments now have \"date-time\""),
        "{message}"
    );
    assert!(
        message.contains("reason it existed: guard: still date"),
        "{message}"
    );
    assert!(message.contains("delete this correction"), "{message}");
}

#[test]
fn removing_what_upstream_already_removed_is_stale() {
    let message = apply(json!([
        {"op": "remove", "path": "/components/schemas/201Thing/properties/at/pattern", "reason": "bad pattern"}
    ]))
    .unwrap_err();
    assert!(
        message.contains("correction #0 no longer applies"),
        "{message}"
    );
    assert!(
        message.contains("/components/schemas/201Thing/properties/at/pattern"),
        "{message}"
    );
}

#[test]
fn moving_a_schema_upstream_renamed_is_stale() {
    let message = apply(json!([
        {"op": "move", "from": "/components/schemas/200Gone", "path": "/components/schemas/Gone", "reason": "rename"}
    ]))
    .unwrap_err();
    assert!(message.contains("no longer applies"), "{message}");
}

#[test]
fn add_never_overwrites_what_the_fragments_define() {
    let message = apply(json!([
        {"op": "add", "path": "/components/schemas/201Thing", "value": {}, "reason": "extract a schema"}
    ]))
    .unwrap_err();
    assert!(
        message.contains("`add` would overwrite /components/schemas/201Thing"),
        "{message}"
    );
    // Adding something new is fine.
    apply(json!([{"op": "add", "path": "/components/schemas/New", "value": {"type": "string"}, "reason": "extract"}]))
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
            &json!([{"op": op, "from": "/components/schemas/201Thing", "path": "/components/schemas/Thing", "reason": "rename"}]).to_string(),
        )
        .unwrap();
        corrections.apply(doc).unwrap_err().to_string()
    };
    for op in ["move", "copy"] {
        let message = with_target(op);
        assert!(
            message.contains(&format!("`{op}` would overwrite /components/schemas/Thing")),
            "{message}"
        );
    }
}
