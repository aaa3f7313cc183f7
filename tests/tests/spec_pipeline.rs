//! The merged spec and the generated client, reviewed as `insta` snapshots.
//!
//! After `cargo xtask merge`, review and accept an intended change with
//! `cargo insta test --review -p kore-clients-tests` (the guide: openapi/README.md).

use std::path::{Path, PathBuf};

use serde_json::Value;

use kore_clients_codegen as codegen;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_owned()
}

/// The spec `kore-clients-gen/build.rs` compiles.
fn compiled_spec() -> String {
    std::fs::read_to_string(workspace().join("kore-clients-gen/kore-clients.json")).unwrap()
}

fn spec_json() -> Value {
    serde_json::from_str(&compiled_spec()).unwrap()
}

#[test]
fn merged_spec_snapshot() {
    let fresh = xtask::build_spec(&xtask::Layout::at(workspace())).unwrap();
    insta::assert_snapshot!("merged_spec", fresh);
}

#[test]
fn generated_client_snapshot() {
    // The same function, on the same file, that build.rs uses: the snapshot
    // is exactly the code that compiles.
    let source = codegen::generate(&compiled_spec()).unwrap();
    insta::assert_snapshot!("generated_client", source);
}

#[test]
fn the_committed_digest_is_that_of_the_snapshotted_code() {
    // kore-clients-gen's build checks what it generates against
    // kore-clients-gen/generated.sha256 (it fails, and this test with it,
    // while the record is stale). This states what the record is: the
    // digest of exactly the text the snapshot above reviews, and the file
    // the build writes is that text.
    let spec = compiled_spec();
    let snapshotted = codegen::generate(&spec).unwrap();
    let files = codegen::generate_files(&spec).unwrap();
    let client = files.iter().find(|f| f.name == "kore_clients.rs").unwrap();
    assert_eq!(client.text, snapshotted);
    let record =
        std::fs::read_to_string(workspace().join("kore-clients-gen/generated.sha256")).unwrap();
    let record = codegen::tested::Record::parse(&record).unwrap();
    assert_eq!(
        record.digests(),
        [(
            "kore_clients.rs".to_owned(),
            codegen::tested::sha256_hex(&snapshotted)
        )],
        "kore-clients-gen/generated.sha256 is not the digest of the snapshotted code: run \
         `cargo xtask merge`, review the snapshot, and commit both"
    );
}

#[test]
fn committed_spec_copies_are_fresh() {
    let report = xtask::check(&xtask::Layout::at(workspace())).unwrap();
    for (path, state) in report {
        assert_eq!(
            state,
            xtask::Freshness::Fresh,
            "{} is out of date: run `cargo xtask merge`",
            path.display()
        );
    }
}

#[test]
fn spec_has_exactly_the_four_kore_operations() {
    let spec = spec_json();
    let mut ids: Vec<&str> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["createClient", "getClient", "getPingStatus", "listClient"]
    );
}

/// The items of the JSON array `value`, each a string.
fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

#[test]
fn no_schema_name_starts_with_a_digit() {
    let spec = spec_json();
    let names: Vec<&String> = spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with(|c: char| c.is_ascii_digit())),
        "{names:?}"
    );
    for expected in [
        "ClientList",
        "ClientEnvelope",
        "CreatedClient",
        "ClientType",
        "Product",
    ] {
        assert!(
            names.iter().any(|n| *n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[test]
fn no_operation_declares_an_authorization_parameter() {
    let text = compiled_spec();
    let spec: Value = serde_json::from_str(&text).unwrap();
    for item in spec["paths"].as_object().unwrap().values() {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                assert_ne!(
                    param["name"]
                        .as_str()
                        .map(str::to_ascii_lowercase)
                        .as_deref(),
                    Some("authorization"),
                    "{method}: {param}"
                );
            }
        }
    }
    // The scheme itself stays, so documentation still says how to authenticate.
    assert_eq!(
        spec["components"]["securitySchemes"]["Auth"]["type"],
        "oauth2"
    );
}

#[test]
fn page_parameters_have_an_inclusive_minimum_of_1() {
    let spec = spec_json();
    let params = spec["paths"]["/v1/clients"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["page_size", "page_number"] {
        let param = params.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(param["schema"]["minimum"], 1, "{name}");
        assert!(
            param["schema"]
                .get("exclusiveMinimum")
                .is_none_or(|v| v == false),
            "{name}: {param}"
        );
        assert_eq!(param["required"], true, "{name}");
    }
}

#[test]
fn created_client_date_is_a_plain_string() {
    let spec = spec_json();
    let date = &spec["components"]["schemas"]["CreatedClient"]["properties"]["date_created"];
    assert_eq!(date["type"], "string");
    assert!(date.get("format").is_none(), "{date}");
}

#[test]
fn snapshot_test_fails_when_a_fragment_changes() {
    // Copy the pipeline's inputs, change one fragment as KORE might, merge.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&workspace().join("openapi"), &root.join("openapi"));
    std::fs::create_dir_all(root.join("kore-clients-gen")).unwrap();
    let fragment = root.join("openapi/fragments/getClient.json");
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&fragment).unwrap()).unwrap();
    doc["components"]["schemas"]["Client"]["properties"]["sim_count"] = serde_json::json!({"type": "integer", "description": "Number of SIMs this client manages."});
    // The same schema lives in listClient.json; a conflicting copy must not merge...
    std::fs::write(&fragment, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let layout = xtask::Layout::at(root);
    let conflict = xtask::build_spec(&layout).unwrap_err().to_string();
    assert!(
        conflict.contains("component `schemas/Client` differs"),
        "{conflict}"
    );
    // ...so change it in both, as a real upstream change would.
    let list = root.join("openapi/fragments/listClient.json");
    let mut list_doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&list).unwrap()).unwrap();
    list_doc["components"]["schemas"]["Client"] = doc["components"]["schemas"]["Client"].clone();
    std::fs::write(&list, serde_json::to_string_pretty(&list_doc).unwrap()).unwrap();

    // `merge --check` now reports the committed spec, the digest of the code
    // generated from it and the wrapper's accessors as stale...
    for file in [
        "kore-clients-gen/kore-clients.json",
        "kore-clients-gen/generated.sha256",
        "Cargo.lock",
        "kore-clients/src/generated.rs",
        "kore-clients/src/accessors.rs",
    ] {
        std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
        std::fs::copy(workspace().join(file), root.join(file)).unwrap();
    }
    let report = xtask::check(&layout).unwrap();
    let stale: Vec<_> = report
        .iter()
        .filter(|(_, state)| *state == xtask::Freshness::Stale)
        .map(|(path, _)| path.strip_prefix(root).unwrap().to_owned())
        .collect();
    // The merged spec's two copies, the wrapper's accessors (a new method
    // for the new field; its enums and operations are unchanged) and the
    // digest of the generated code.
    assert_eq!(
        stale,
        [
            "openapi/kore-clients.json",
            "kore-clients-gen/kore-clients.json",
            "kore-clients/src/accessors.rs",
            "kore-clients-gen/generated.sha256",
        ]
        .map(std::path::PathBuf::from),
        "{report:?}"
    );

    // ...and both snapshot tests would get other content than the workspace's
    // own inputs give them: the merged spec and the generated code change.
    // (This compares with what the snapshot tests snapshot, not with the
    // committed .snap files, so it stays green while a maintainer regenerates:
    // then the snapshot tests are the ones that fail, and
    // `cargo insta test --review` shows their diff instead of skipping the
    // review because another test failed.)
    let snapshotted_spec = xtask::build_spec(&xtask::Layout::at(workspace())).unwrap();
    let snapshotted_code = codegen::generate(&compiled_spec()).unwrap();
    let spec = xtask::build_spec(&layout).unwrap();
    assert_ne!(spec, snapshotted_spec);
    let source = codegen::generate(&spec).unwrap();
    assert_ne!(source, snapshotted_code);
    assert!(
        source.contains("pub sim_count: ::std::option::Option<i64>"),
        "new field not generated"
    );
    assert!(!snapshotted_code.contains("sim_count"));
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_operation_table_is_the_spec_s_operations_with_their_generated_methods() {
    use kore_clients::Operation;
    let spec = spec_json();
    let source = codegen::generate(&compiled_spec()).unwrap();
    let mut in_spec = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            in_spec.push((
                operation["operationId"].as_str().unwrap().to_owned(),
                method.to_uppercase(),
                path.clone(),
            ));
        }
    }
    let table: Vec<_> = Operation::ALL
        .iter()
        .map(|op| {
            (
                op.operation_id().to_owned(),
                op.http_method().to_owned(),
                op.path().to_owned(),
            )
        })
        .collect();
    assert_eq!(table, in_spec);
    for operation in Operation::ALL {
        // The name the hooks receive is the generated method's name.
        assert!(
            source.contains(&format!("pub fn {}(", operation.method_name())),
            "no generated method {} for {operation:?}",
            operation.method_name()
        );
        assert!(
            source.contains(&format!("operation_id: \"{}\"", operation.method_name())),
            "the hooks of {operation:?} are not told {:?}",
            operation.method_name()
        );
        assert_eq!(operation.is_read(), operation.http_method() == "GET");
    }
}

#[test]
fn every_answer_object_is_open_and_every_request_object_is_as_kore_wrote_it() {
    let spec = spec_json();
    let opened = strings(&spec["x-kore-open-answers"]["opened"]);
    assert_eq!(
        opened,
        [
            "/components/schemas/Client",
            "/components/schemas/ClientEnvelope",
            "/components/schemas/ClientList",
            "/components/schemas/ClientList/properties/meta",
            "/components/schemas/CreatedClient",
            "/components/schemas/Error",
            "/components/schemas/PingStatus",
        ]
    );
    for pointer in &opened {
        assert_eq!(
            spec.pointer(&format!("{pointer}/additionalProperties")),
            Some(&serde_json::json!({})),
            "{pointer}"
        );
    }
    assert_eq!(
        spec.pointer("/components/schemas/CreateClient/additionalProperties"),
        Some(&Value::Bool(false)),
        "the request stays closed"
    );
    assert_eq!(
        spec.pointer("/components/schemas/CreateClient/properties/scopes/additionalProperties"),
        None
    );
}

#[test]
fn every_use_of_an_enum_is_generated_open_and_every_answer_object_keeps_extra_fields() {
    let source = codegen::generate(&compiled_spec()).unwrap();
    for enum_name in ["ClientType", "Product"] {
        assert!(
            source.contains(&format!("pub enum {enum_name} {{")),
            "{enum_name}"
        );
        assert!(
            source.contains(&format!("crate::Open<crate::types::{enum_name}>")),
            "{enum_name} is used closed"
        );
        assert!(
            !source.contains(&format!("Option<types::{enum_name}>"))
                && !source.contains(&format!("Vec<types::{enum_name}>")),
            "a use of {enum_name} is not open"
        );
    }
    for answer in [
        "Client",
        "ClientEnvelope",
        "ClientList",
        "ClientListMeta",
        "CreatedClient",
        "Error",
        "PingStatus",
    ] {
        let start = source
            .find(&format!("pub struct {answer} {{"))
            .unwrap_or_else(|| panic!("no struct {answer}"));
        let body = &source[start..start + source[start..].find("\n    }").unwrap()];
        assert!(
            body.contains("#[serde(flatten)]") && body.contains("pub extra: ::serde_json::Map"),
            "{answer} drops unknown fields:\n{body}"
        );
    }
    let start = source.find("pub struct CreateClient {").unwrap();
    let body = &source[start..start + source[start..].find("\n    }").unwrap()];
    assert!(
        !body.contains("extra"),
        "the request type is closed:\n{body}"
    );
}
