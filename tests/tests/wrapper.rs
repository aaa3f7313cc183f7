//! `kore-clients/src/generated.rs`: the wrapper's spec-shaped public API,
//! and how it answers KORE's additive changes (new members, never changed
//! ones).

use serde_json::{Value, json};

fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn merged_spec() -> Value {
    let text = std::fs::read_to_string(workspace().join("openapi/kore-clients.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Both generated files of kore-clients, one after the other.
fn wrapper_of(spec: &Value) -> Result<String, String> {
    kore_clients_codegen::wrapper(&spec.to_string())
        .map(|wrapper| wrapper.types + &wrapper.accessors)
        .map_err(|e| e.to_string())
}

fn pointer_mut<'v>(spec: &'v mut Value, pointer: &str) -> &'v mut Value {
    spec.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the merged spec has no {pointer}"))
}

/// The merged spec with one change of every additive kind KORE has made.
fn with_additive_changes() -> Value {
    let mut spec = merged_spec();
    pointer_mut(&mut spec, "/components/schemas/ClientType/enum")
        .as_array_mut()
        .unwrap()
        .push(json!("service"));
    pointer_mut(&mut spec, "/components/schemas/Product/enum")
        .as_array_mut()
        .unwrap()
        .push(json!("IoTConnect"));
    for schema in ["Client", "CreatedClient", "CreateClient"] {
        pointer_mut(
            &mut spec,
            &format!("/components/schemas/{schema}/properties"),
        )
        .as_object_mut()
        .unwrap()
        .insert(
            "description".into(),
            json!({"type": "string", "description": "What the client is for."}),
        );
    }
    pointer_mut(&mut spec, "/paths/~1v1~1clients/get/parameters")
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "owner", "in": "query", "required": false,
                     "schema": {"type": "string"}, "description": "Only clients of this owner."}));
    pointer_mut(&mut spec, "/paths")
        .as_object_mut()
        .unwrap()
        .insert(
            "/v1/clients/{client_id}/usage".into(),
            json!({"get": {
                "operationId": "getClientUsage", "summary": "Get Client Usage",
                "parameters": [{"name": "client_id", "in": "path", "required": true,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"calls": {"type": "integer"}}}}}}}
            }}),
        );
    spec
}

#[test]
fn the_committed_wrapper_is_what_the_merged_spec_generates() {
    let read =
        |file: &str| std::fs::read_to_string(workspace().join("kore-clients/src").join(file));
    let committed = read("generated.rs").unwrap() + &read("accessors.rs").unwrap();
    assert!(
        committed == wrapper_of(&merged_spec()).unwrap(),
        "kore-clients/src/generated.rs or accessors.rs is stale: run `cargo xtask merge` and commit them"
    );
}

#[test]
fn the_wrapper_names_no_generated_type_in_a_public_signature() {
    let source = wrapper_of(&merged_spec()).unwrap();
    for line in source
        .lines()
        .filter(|line| line.trim_start().starts_with("pub "))
    {
        assert!(
            !line.contains("kore_clients_gen"),
            "a public item names the generated crate: {line}"
        );
    }
}

#[test]
fn additive_spec_changes_only_add_to_the_wrapper() {
    let before = wrapper_of(&merged_spec()).unwrap();
    let after = wrapper_of(&with_additive_changes()).unwrap();
    for added in [
        // A value added to an enum: a new variant, the listed spelling.
        "    /// `service`\n    Service,",
        "    IoTConnect,",
        // An optional field of an answer: a new accessor on both answers.
        "impl crate::Client {",
        "pub fn description(&self) -> ::std::option::Option<&str> {",
        // An optional field of the create request: a new setter.
        "        self.body.description = ::std::option::Option::Some(description.into());",
        // An optional query parameter: a new setter on the list builder.
        "        owner: impl ::std::convert::Into<::std::string::String>,",
        "        self.params.owner = ::std::option::Option::Some(owner.into());",
        // A new operation: a new variant of the non-exhaustive table.
        "    GetClientUsage,",
    ] {
        assert!(
            after.contains(added),
            "missing after the change: {added}\n{after}"
        );
    }
    assert_eq!(after.matches("pub fn description(&self)").count(), 2);
    // Nothing that was there changed: every line of before is still there.
    let after_lines: std::collections::HashSet<&str> = after.lines().collect();
    let kept_everything = before
        .lines()
        .filter(|line| {
            line.trim_start().starts_with("pub fn ") || line.trim_start().starts_with("pub enum ")
        })
        .all(|line| after_lines.contains(line));
    assert!(kept_everything, "a public signature changed");
}

#[test]
fn a_new_required_query_parameter_is_refused_as_breaking_by_nature() {
    let mut spec = merged_spec();
    pointer_mut(&mut spec, "/paths/~1v1~1clients/get/parameters")
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "region", "in": "query", "required": true,
                     "schema": {"type": "string"}}));
    let error = wrapper_of(&spec).unwrap_err();
    assert!(
        error.contains("required parameter `region`") && error.contains("breaking change"),
        "{error}"
    );
}
