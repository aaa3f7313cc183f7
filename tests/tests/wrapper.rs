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
    let surface = xtask::api_surface::of_spec(&merged_spec().to_string()).unwrap();
    assert!(surface.contains("enum ClientType"), "{surface:?}");
    for item in &surface {
        assert!(
            !item.contains("kore_clients_gen"),
            "a public item names the generated crate: {item}"
        );
    }
}

#[test]
fn additive_spec_changes_only_add_to_the_wrapper() {
    let before = xtask::api_surface::of_spec(&merged_spec().to_string()).unwrap();
    let after = xtask::api_surface::of_spec(&with_additive_changes().to_string()).unwrap();
    let delta = xtask::api_surface::Delta::between(&before, &after);
    assert!(delta.only_grows(), "lost or changed: {:?}", delta.gone);
    assert_eq!(
        delta.added,
        [
            // An optional field of both answers: a new accessor on each.
            "Client::description(&self) -> Option<&str>",
            // A value added to each enum: a new variant.
            "ClientType::Service",
            "CreatedClient::description(&self) -> Option<&str>",
            // An optional query parameter: a new setter on the list builder.
            "ListClients::owner(mut self, owner: impl Into<String>) -> Self",
            // An optional field of the create request: a new setter.
            "NewClient::description(mut self, description: impl Into<String>) -> Self",
            // A new operation: a new variant of the non-exhaustive table.
            "Operation::GetClientUsage",
            "Product::IoTConnect",
        ]
    );
    // And the new variants say what KORE calls them.
    let source = wrapper_of(&with_additive_changes()).unwrap();
    assert!(
        source.contains("    /// `service`\n    Service,"),
        "{source}"
    );
}

/// The merged spec with `change` applied, and what the generator says.
fn refusal(change: impl FnOnce(&mut Value)) -> String {
    let mut spec = merged_spec();
    change(&mut spec);
    wrapper_of(&spec).unwrap_err()
}

fn add_property(spec: &mut Value, schema: &str, name: &str, value: Value) {
    pointer_mut(spec, &format!("/components/schemas/{schema}/properties"))
        .as_object_mut()
        .unwrap()
        .insert(name.into(), value);
}

#[test]
fn a_new_required_query_parameter_is_refused_as_breaking_by_nature() {
    let error = refusal(|spec| {
        pointer_mut(spec, "/paths/~1v1~1clients/get/parameters")
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "region", "in": "query", "required": true,
                         "schema": {"type": "string"}}));
    });
    assert!(
        error.contains("required parameter `region`") && error.contains("breaking change"),
        "{error}"
    );
}

#[test]
fn a_new_required_request_field_without_a_default_is_refused_as_breaking_by_nature() {
    let error = refusal(|spec| {
        add_property(spec, "CreateClient", "region", json!({"type": "string"}));
        pointer_mut(spec, "/components/schemas/CreateClient/required")
            .as_array_mut()
            .unwrap()
            .push(json!("region"));
    });
    assert!(
        error.contains("required field `region`")
            && error.contains("breaking change by nature")
            && error.contains("defaults"),
        "{error}"
    );
}

#[test]
fn a_field_named_like_a_credential_gets_no_plain_accessor_or_setter() {
    for schema in ["CreatedClient", "Client", "CreateClient"] {
        let error = refusal(|spec| {
            add_property(spec, schema, "refresh_token", json!({"type": "string"}));
        });
        assert!(
            error.contains("`refresh_token`") && error.contains("SecretString"),
            "{schema}: {error}"
        );
    }
}

#[test]
fn a_field_named_like_a_hand_written_method_is_refused() {
    let error = refusal(|spec| {
        pointer_mut(spec, "/paths/~1v1~1clients/get/parameters")
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "limit", "in": "query", "schema": {"type": "integer"}}));
    });
    assert!(
        error.contains("`ListClients`") && error.contains("hand-written method"),
        "{error}"
    );
    let error = refusal(|spec| {
        add_property(
            spec,
            "Client",
            "date_created_raw",
            json!({"type": "string"}),
        );
    });
    assert!(
        error.contains("`Client`") && error.contains("hand-written method"),
        "{error}"
    );
}

#[test]
fn an_enum_value_spelled_unknown_is_refused() {
    let error = refusal(|spec| {
        pointer_mut(spec, "/components/schemas/ClientType/enum")
            .as_array_mut()
            .unwrap()
            .push(json!("unknown"));
    });
    assert!(
        error.contains("\"unknown\"") && error.contains("`Unknown`"),
        "{error}"
    );
}

#[test]
fn a_field_the_wrapper_writes_by_hand_that_kore_removed_is_refused() {
    let error = refusal(|spec| {
        pointer_mut(spec, "/components/schemas/Client/properties")
            .as_object_mut()
            .unwrap()
            .remove("date_created");
    });
    assert!(
        error.contains("no field `date_created` any more") && error.contains("`Client`"),
        "{error}"
    );
}

#[test]
fn a_field_of_a_type_the_generator_does_not_model_is_read_as_json() {
    let mut spec = merged_spec();
    add_property(
        &mut spec,
        "Client",
        "quota",
        json!({"type": "object", "properties": {"sims": {"type": "integer"}}}),
    );
    let surface = xtask::api_surface::of_spec(&spec.to_string()).unwrap();
    assert!(
        surface.contains("Client::quota_json(&self) -> serde_json::Value"),
        "{surface:?}"
    );
}

#[test]
fn a_multi_line_description_stays_one_doc_line() {
    let mut spec = merged_spec();
    add_property(
        &mut spec,
        "Client",
        "region",
        json!({"type": "string", "description": "Where it runs.\nfn evil() {}\n[link] <b>"}),
    );
    let source = wrapper_of(&spec).unwrap();
    assert!(
        source.contains("/// Where it runs. fn evil() {} \\[link\\] \\<b\\>\n"),
        "{source}"
    );
}
