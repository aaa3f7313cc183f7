//! Every merge rule and error of `cargo xtask merge`, on small fixture fragments.

mod common;

use common::assert_says;
use serde_json::{Value, json};
use xtask::merge::{Fragment, first_difference, merge, render, validate};

/// A minimal valid fragment with one operation and one shared schema.
fn fixture(operation_id: &str, path: &str, method: &str) -> Value {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "Fixture API", "version": "1.0.0"},
        "servers": [{"url": "https://api.example.invalid"}],
        "security": [{"Auth": []}],
        "tags": [{"name": "Things", "description": "Things."}],
        "paths": {
            path: {
                method: {
                    "operationId": operation_id,
                    "tags": ["Things"],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
                        }
                    }
                }
            }
        },
        "components": {
            "securitySchemes": {
                "Auth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://auth.example.invalid/token", "scopes": {}}}}
            },
            "schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}}
        }
    })
}

fn named(name: &str, doc: Value) -> Fragment {
    Fragment {
        name: name.to_owned(),
        doc,
    }
}

/// `a.json` (operation `a`, `GET /a`) merged with `b.json` (operation `b`
/// at `path` and `method`).
fn merged_with_a(path: &str, method: &str) -> Value {
    merge(&[
        named("a.json", fixture("a", "/a", "get")),
        named("b.json", fixture("b", path, method)),
    ])
    .unwrap()
}

fn merge_err(fragments: &[Fragment]) -> String {
    match merge(fragments) {
        Ok(doc) => panic!("expected a merge error, got {doc:#}"),
        Err(e) => e.to_string(),
    }
}

/// `message` starts with the file it blames and says every one of `parts`.
#[track_caller]
fn assert_blames(message: &str, file: &str, parts: &[&str]) {
    assert!(message.starts_with(file), "{message}");
    assert_says(message, parts);
}

#[test]
fn get_and_post_on_one_path_are_merged_by_method() {
    let merged = merge(&[
        named(
            "listThings.json",
            fixture("listThings", "/v1/things", "get"),
        ),
        named(
            "createThing.json",
            fixture("createThing", "/v1/things", "post"),
        ),
    ])
    .unwrap();
    let item = &merged["paths"]["/v1/things"];
    assert_eq!(item["get"]["operationId"], "listThings");
    assert_eq!(item["post"]["operationId"], "createThing");
}

#[test]
fn identical_components_are_kept_once() {
    let merged = merged_with_a("/b", "get");
    let schemas = merged["components"]["schemas"].as_object().unwrap();
    assert_eq!(schemas.keys().collect::<Vec<_>>(), ["Thing"]);
    assert_eq!(merged["tags"].as_array().unwrap().len(), 1);
}

/// Merging the fixture `a.json` with `b` (as `b.json`) fails with a message
/// naming both files and `pointer`, where they disagree.
#[track_caller]
fn assert_conflict_named(b: Value, pointer: &str) {
    let message = merge_err(&[
        named("a.json", fixture("a", "/a", "get")),
        named("b.json", b),
    ]);
    assert_says(&message, &["a.json", "b.json", pointer]);
}

#[test]
fn conflicting_component_names_both_files_and_the_pointer() {
    let mut b = fixture("b", "/b", "get");
    b["components"]["schemas"]["Thing"]["properties"]["id"]["type"] = json!("integer");
    assert_conflict_named(b, "/components/schemas/Thing/properties/id/type");
}

#[test]
fn conflicting_security_schemes_are_an_error_naming_the_files() {
    let mut b = fixture("b", "/b", "get");
    b["components"]["securitySchemes"]["Auth"]["flows"]["clientCredentials"]["tokenUrl"] =
        json!("https://other.example.invalid/token");
    assert_conflict_named(
        b,
        "/components/securitySchemes/Auth/flows/clientCredentials/tokenUrl",
    );
}

#[test]
fn a_second_operation_with_the_same_path_and_method_or_id_is_an_error_naming_both_files() {
    // (case, first fragment, second fragment, what the message must say);
    // the message starts with the second fragment's file.
    let cases = [
        (
            "same path and method",
            ("first.json", fixture("first", "/v1/things", "get")),
            ("second.json", fixture("second", "/v1/things", "get")),
            ["GET /v1/things", "first.json"],
        ),
        (
            "same operationId",
            ("a.json", fixture("sameId", "/a", "get")),
            ("b.json", fixture("sameId", "/b", "get")),
            ["`sameId`", "a.json"],
        ),
    ];
    for (case, (first, a), (second, b), parts) in cases {
        let message = merge_err(&[named(first, a), named(second, b)]);
        assert!(message.starts_with(second), "{case}: {message}");
        for part in parts {
            assert!(
                message.contains(part),
                "{case}: {part:?} is not in {message}"
            );
        }
    }
}

#[test]
fn missing_operation_id_is_an_error_naming_the_file() {
    let mut doc = fixture("x", "/x", "get");
    doc["paths"]["/x"]["get"]
        .as_object_mut()
        .unwrap()
        .remove("operationId");
    let message = merge_err(&[named("noId.json", doc)]);
    assert_blames(&message, "noId.json", &["GET /x has no operationId"]);
}

#[test]
fn disagreeing_info_servers_or_security_is_an_error_naming_the_file() {
    for (member, value) in [
        ("info", json!({"title": "Other", "version": "1.0.0"})),
        (
            "servers",
            json!([{"url": "https://elsewhere.example.invalid"}]),
        ),
        ("security", json!([{}])),
    ] {
        let mut b = fixture("b", "/b", "get");
        b[member] = value;
        let message = merge_err(&[
            named("a.json", fixture("a", "/a", "get")),
            named("b.json", b),
        ]);
        assert!(message.starts_with("b.json"), "{member}: {message}");
        assert_says(&message, &[&format!("`{member}` disagrees"), "a.json"]);
    }
}

#[test]
fn missing_info_is_an_error() {
    let mut doc = fixture("a", "/a", "get");
    doc.as_object_mut().unwrap().remove("info");
    assert!(merge_err(&[named("a.json", doc)]).contains("a.json: missing `info`"));
}

#[test]
fn conflicting_tags_are_an_error() {
    let mut b = fixture("b", "/b", "get");
    b["tags"][0]["description"] = json!("Different.");
    let message = merge_err(&[
        named("a.json", fixture("a", "/a", "get")),
        named("b.json", b),
    ]);
    assert_says(&message, &["tag `Things`", "a.json"]);
}

#[test]
fn malformed_json_reports_file_line_and_column() {
    let text = "{\n  \"openapi\": \"3.0.1\",\n  \"info\": {\n    \"title\": \"x\",,\n  }\n}\n";
    let message = Fragment::parse("broken.json", text)
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("broken.json:4:18: malformed JSON"),
        "{message}"
    );
}

#[test]
fn non_openapi_30_documents_are_rejected() {
    for (version, expected) in [
        (
            json!("3.1.0"),
            "not an OpenAPI 3.0.x document (openapi is \"3.1.0\")",
        ),
        (json!("3.0"), "not an OpenAPI 3.0.x document"),
        (json!(3.0), "not an OpenAPI 3.0.x document (openapi is 3.0)"),
    ] {
        let mut doc = fixture("a", "/a", "get");
        doc["openapi"] = version;
        let message = Fragment::parse("v.json", &doc.to_string())
            .unwrap_err()
            .to_string();
        assert_blames(&message, "v.json: ", &[expected]);
    }
    let swagger = json!({"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}});
    let message = Fragment::parse("swagger.json", &swagger.to_string())
        .unwrap_err()
        .to_string();
    assert!(message.contains("swagger.json: not an OpenAPI 3.0.x document (no `openapi` member)"));
}

#[test]
fn output_is_deterministic_and_sorted() {
    let fragments = [
        named("b.json", fixture("b", "/b", "post")),
        named("a.json", fixture("a", "/a", "get")),
    ];
    let first = render(&merge(&fragments).unwrap());
    let second = render(&merge(&fragments).unwrap());
    assert_eq!(first, second);
    assert!(first.ends_with("}\n"));
    let top: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(&first)
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut sorted = top.clone();
    sorted.sort();
    // serde_json's default map sorts on parse, so check the text order directly.
    let positions: Vec<usize> = sorted
        .iter()
        .map(|k| first.find(&format!("\n  \"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{first}");
}

#[test]
fn newest_3_0_patch_version_wins() {
    let mut b = fixture("b", "/b", "get");
    b["openapi"] = json!("3.0.3");
    let merged = merge(&[
        named("a.json", fixture("a", "/a", "get")),
        named("b.json", b),
    ])
    .unwrap();
    assert_eq!(merged["openapi"], "3.0.3");
}

#[test]
fn first_difference_points_into_nested_values() {
    let a = json!({"x": {"y": [1, 2, {"z": true}]}});
    let b = json!({"x": {"y": [1, 2, {"z": false}]}});
    assert_eq!(first_difference(&a, &b, ""), "/x/y/2/z");
    assert_eq!(
        first_difference(&json!([1]), &json!([1, 2]), "/list"),
        "/list/1"
    );
    assert_eq!(
        first_difference(&json!({"a/b": 1}), &json!({}), ""),
        "/a~1b"
    );
}

#[test]
fn validation_rejects_dangling_refs() {
    let mut doc = merge(&[named("a.json", fixture("a", "/a", "get"))]).unwrap();
    doc["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] =
        json!("#/components/schemas/Renamed");
    let message = validate(&render(&doc)).unwrap_err().to_string();
    assert_says(
        &message,
        &[
            "#/components/schemas/Renamed",
            "/paths/~1a/get/responses/200",
        ],
    );
}

#[test]
fn validation_rejects_documents_openapiv3_cannot_parse() {
    let mut doc = merge(&[named("a.json", fixture("a", "/a", "get"))]).unwrap();
    doc["paths"]["/a"]["get"]["responses"] = json!("not a map");
    let message = validate(&render(&doc)).unwrap_err().to_string();
    assert_says(&message, &["openapiv3::OpenAPI"]);
}

#[test]
fn validation_runs_the_generator() {
    // openapiv3 accepts a path item given as a $ref; progenitor refuses it.
    let mut doc = merge(&[named("a.json", fixture("a", "/a", "get"))]).unwrap();
    doc["paths"]["/b"] = json!({"$ref": "#/paths/~1a"});
    let message = validate(&render(&doc)).unwrap_err().to_string();
    assert_says(&message, &["progenitor"]);
}

#[test]
fn a_valid_merge_validates() {
    let doc = merged_with_a("/a", "post");
    validate(&render(&doc)).unwrap();
}
