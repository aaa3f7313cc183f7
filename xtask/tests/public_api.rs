//! The public-API walker on small rustdoc JSON documents written by hand in
//! the shape rustdoc gives them (format 57: numeric ids, `use` items for
//! re-exports, foreign items only in `paths`).

use serde_json::{Value, json};
use xtask::public_api::{GENERATED_CRATES, Leak, Surface, surface};

/// Crate ids of the external crates the documents below name.
const CORE: u64 = 1;
const GEN: u64 = 2;
const PROGENITOR_CLIENT: u64 = 3;
const SCHEMARS: u64 = 4;
const SERDE: u64 = 5;

/// A rustdoc JSON document of crate `demo`: `items` (id, item) form the
/// index, root module 0 lists `root_items`, `paths` are (id, crate id, path).
fn document(root_items: &[u64], items: Vec<(u64, Value)>, paths: &[(u64, u64, &str)]) -> Value {
    let mut index = serde_json::Map::new();
    index.insert(
        "0".into(),
        json!({"id": 0, "crate_id": 0, "name": "demo", "visibility": "public", "docs": null,
               "links": {}, "inner": {"module": {"is_crate": true, "items": root_items,
               "is_stripped": false}}}),
    );
    for (id, item) in items {
        index.insert(id.to_string(), item);
    }
    let paths: serde_json::Map<String, Value> = paths
        .iter()
        .map(|(id, krate, path)| {
            let segments: Vec<&str> = path.split("::").collect();
            (
                id.to_string(),
                json!({"crate_id": krate, "path": segments, "kind": "struct"}),
            )
        })
        .collect();
    json!({
        "root": 0,
        "crate_version": "0.1.0",
        "includes_private": false,
        "index": index,
        "paths": paths,
        "external_crates": {
            CORE.to_string(): {"name": "core"},
            GEN.to_string(): {"name": "kore_clients_gen"},
            PROGENITOR_CLIENT.to_string(): {"name": "progenitor_client"},
            SCHEMARS.to_string(): {"name": "schemars"},
            SERDE.to_string(): {"name": "serde_core"},
        },
        "format_version": 57
    })
}

fn item(id: u64, name: Option<&str>, inner: Value) -> (u64, Value) {
    (
        id,
        json!({"id": id, "crate_id": 0, "name": name, "visibility": "public", "docs": null,
               "links": {}, "attrs": [], "deprecation": null, "inner": inner}),
    )
}

/// An item whose visibility rustdoc gives as `default` (variants, trait
/// items, the items of trait impls).
fn member(id: u64, name: &str, inner: Value) -> (u64, Value) {
    let (id, mut value) = item(id, Some(name), inner);
    value["visibility"] = json!("default");
    (id, value)
}

fn path_type(id: u64, path: &str) -> Value {
    json!({"resolved_path": {"path": path, "id": id, "args": null}})
}

fn function(inputs: Value, output: Value) -> Value {
    json!({"function": {"sig": {"inputs": inputs, "output": output, "is_c_variadic": false},
           "generics": {"params": [], "where_predicates": []},
           "header": {"is_const": false, "is_unsafe": false, "is_async": false, "abi": "Rust"},
           "has_body": true}})
}

fn self_ref() -> Value {
    json!([["self", {"borrowed_ref": {"lifetime": null, "is_mutable": false,
                     "type": {"generic": "Self"}}}]])
}

fn plain_struct(fields: &[u64], impls: &[u64]) -> Value {
    json!({"struct": {"kind": {"plain": {"fields": fields, "has_stripped_fields": false}},
           "generics": {"params": [], "where_predicates": []}, "impls": impls}})
}

fn impl_of(trait_: Option<Value>, for_: Value, items: &[u64], blanket: Option<&str>) -> Value {
    json!({"impl": {"is_unsafe": false,
           "generics": {"params": [], "where_predicates": []},
           "provided_trait_methods": [], "trait": trait_, "for": for_, "items": items,
           "is_negative": false, "is_synthetic": false,
           "blanket_impl": blanket.map(|g| json!({"generic": g}))}})
}

fn use_of(name: &str, source: &str, target: Option<u64>, glob: bool) -> Value {
    json!({"use": {"source": source, "name": name, "id": target, "is_glob": glob}})
}

fn walk(doc: &Value) -> Surface {
    surface(doc, &GENERATED_CRATES).expect("a rustdoc JSON document")
}

fn leak(item: &str, names: &str, reexport: bool) -> Leak {
    Leak {
        item: item.into(),
        names: names.into(),
        reexport,
    }
}

/// `demo::Thing { pub name: String }` with `new`, `Clone` (and the clone
/// method), an auto-trait impl rustdoc synthesized and a blanket impl of a
/// generated crate's trait, which holds for every type.
fn clean_crate() -> Value {
    document(
        &[10],
        vec![
            item(10, Some("Thing"), plain_struct(&[11], &[12, 14, 16, 17])),
            item(
                11,
                Some("name"),
                json!({"struct_field": path_type(100, "String")}),
            ),
            item(12, None, impl_of(None, path_type(10, "Thing"), &[13], None)),
            item(13, Some("new"), function(json!([]), path_type(10, "Thing"))),
            item(
                14,
                None,
                impl_of(
                    Some(json!({"path": "Clone", "id": 101, "args": null})),
                    path_type(10, "Thing"),
                    &[15],
                    None,
                ),
            ),
            member(15, "clone", function(self_ref(), path_type(10, "Thing"))),
            (16, {
                let (_, mut synthetic) = item(
                    16,
                    None,
                    impl_of(
                        Some(json!({"path": "Send", "id": 102, "args": null})),
                        path_type(10, "Thing"),
                        &[],
                        None,
                    ),
                );
                synthetic["inner"]["impl"]["is_synthetic"] = json!(true);
                synthetic
            }),
            item(
                17,
                None,
                impl_of(
                    Some(json!({"path": "QueryParam", "id": 103, "args": null})),
                    json!({"generic": "T"}),
                    &[],
                    Some("T"),
                ),
            ),
        ],
        &[
            (100, CORE, "alloc::string::String"),
            (101, CORE, "core::clone::Clone"),
            (102, CORE, "core::marker::Send"),
            (103, PROGENITOR_CLIENT, "progenitor_client::QueryParam"),
        ],
    )
}

#[test]
fn a_clean_crate_has_no_leaks_and_lists_every_public_path() {
    let api = walk(&clean_crate());
    assert_eq!(api.leaks, vec![]);
    assert_eq!(api.crate_name, "demo");
    assert_eq!(api.crate_version.as_deref(), Some("0.1.0"));
    let items: Vec<&str> = api.items.iter().map(String::as_str).collect();
    assert_eq!(
        items,
        [
            "<demo::Thing as core::clone::Clone>::clone",
            "demo",
            "demo::Thing",
            "demo::Thing::name",
            "demo::Thing::new",
            "impl core::clone::Clone for demo::Thing",
        ],
        "synthetic (auto-trait) and blanket impls are not this crate's API"
    );
}

#[test]
fn a_reexport_of_a_generated_crate_or_of_its_item_is_reported_at_its_path() {
    let doc = document(
        &[10, 11, 12],
        vec![
            item(
                10,
                None,
                use_of("raw", "kore_clients_gen", Some(100), false),
            ),
            item(
                11,
                None,
                use_of(
                    "PingStatus",
                    "kore_clients_gen::types::PingStatus",
                    Some(101),
                    false,
                ),
            ),
            item(12, None, use_of("Thing", "inner::Thing", Some(13), false)),
            item(13, Some("Thing"), plain_struct(&[], &[])),
        ],
        &[
            (100, GEN, "kore_clients_gen"),
            (101, GEN, "kore_clients_gen::generated::types::PingStatus"),
        ],
    );
    let api = walk(&doc);
    assert_eq!(
        api.leaks,
        vec![
            leak(
                "demo::PingStatus",
                "kore_clients_gen::generated::types::PingStatus",
                true
            ),
            leak("demo::raw", "kore_clients_gen", true),
        ]
    );
    assert_eq!(
        api.leaks[1].to_string(),
        "demo::raw re-exports kore_clients_gen"
    );
    assert!(api.items.contains("demo::raw") && api.items.contains("demo::PingStatus"));
    // A local item re-exported from a private module takes the `use`'s path.
    assert!(api.items.contains("demo::Thing"), "{:?}", api.items);
}

#[test]
fn a_method_returning_a_generated_type_is_reported() {
    let doc = document(
        &[10],
        vec![
            item(10, Some("Kore"), plain_struct(&[], &[11])),
            item(
                11,
                None,
                impl_of(None, path_type(10, "Kore"), &[12, 13], None),
            ),
            item(
                12,
                Some("raw"),
                function(
                    self_ref(),
                    json!({"borrowed_ref": {"lifetime": null, "is_mutable": false,
                           "type": path_type(100, "kore_clients_gen::Client")}}),
                ),
            ),
            item(
                13,
                Some("name"),
                function(self_ref(), path_type(101, "String")),
            ),
        ],
        &[
            (100, GEN, "kore_clients_gen::Client"),
            (101, CORE, "alloc::string::String"),
        ],
    );
    let api = walk(&doc);
    assert_eq!(
        api.leaks,
        vec![leak("demo::Kore::raw", "kore_clients_gen::Client", false)]
    );
    assert_eq!(
        api.leaks[0].to_string(),
        "demo::Kore::raw names kore_clients_gen::Client"
    );
}

#[test]
fn a_trait_impl_of_a_generated_crate_s_trait_is_reported() {
    let doc = document(
        &[10],
        vec![
            item(10, Some("Kore"), plain_struct(&[], &[11])),
            item(
                11,
                None,
                impl_of(
                    Some(json!({"path": "ClientInfo", "id": 100, "args": null})),
                    path_type(10, "Kore"),
                    &[12],
                    None,
                ),
            ),
            member(
                12,
                "api_version",
                function(json!([]), json!({"primitive": "str"})),
            ),
        ],
        &[(100, PROGENITOR_CLIENT, "progenitor_client::ClientInfo")],
    );
    let api = walk(&doc);
    assert_eq!(
        api.leaks,
        vec![leak(
            "impl progenitor_client::ClientInfo for demo::Kore",
            "progenitor_client::ClientInfo",
            false
        )]
    );
    assert!(
        api.items
            .contains("<demo::Kore as progenitor_client::ClientInfo>::api_version")
    );
}

#[test]
fn fields_variants_bounds_and_associated_types_are_all_looked_at() {
    let bound = json!({"trait_bound": {"trait": {"path": "JsonSchema", "id": 102, "args": null},
                       "generic_params": [], "modifier": "none"}});
    let doc = document(
        &[10, 20, 30, 40],
        vec![
            // A public field of a generated type.
            item(10, Some("Page"), plain_struct(&[11], &[])),
            item(
                11,
                Some("meta"),
                json!({"struct_field": path_type(100, "ClientListMeta")}),
            ),
            // A variant's field.
            item(
                20,
                Some("Error"),
                json!({"enum": {"generics": {"params": [], "where_predicates": []},
                       "has_stripped_variants": false, "variants": [21], "impls": []}}),
            ),
            member(
                21,
                "Api",
                json!({"variant": {"kind": {"struct": {"fields": [22], "has_stripped_fields": false}},
                       "discriminant": null}}),
            ),
            member(
                22,
                "operation",
                json!({"struct_field": path_type(101, "Operation")}),
            ),
            // A generic bound.
            item(
                30,
                Some("schema_of"),
                json!({"function": {"sig": {"inputs": [], "output": null, "is_c_variadic": false},
                       "generics": {"params": [{"name": "T", "kind": {"type": {
                           "bounds": [bound], "default": null, "is_synthetic": false}}}],
                           "where_predicates": []},
                       "header": {"is_const": false, "is_unsafe": false, "is_async": false,
                                  "abi": "Rust"},
                       "has_body": true}}),
            ),
            // An associated type of a trait impl.
            item(40, Some("Pages"), plain_struct(&[], &[41])),
            item(
                41,
                None,
                impl_of(
                    Some(json!({"path": "Iterator", "id": 103, "args": null})),
                    path_type(40, "Pages"),
                    &[42],
                    None,
                ),
            ),
            member(
                42,
                "Item",
                json!({"assoc_type": {"generics": {"params": [], "where_predicates": []},
                       "bounds": [], "type": path_type(104, "Client")}}),
            ),
        ],
        &[
            (100, GEN, "kore_clients_gen::types::ClientListMeta"),
            (101, GEN, "kore_clients_gen::Operation"),
            (102, SCHEMARS, "schemars::JsonSchema"),
            (103, CORE, "core::iter::Iterator"),
            (104, GEN, "kore_clients_gen::types::Client"),
        ],
    );
    let leaks: Vec<String> = walk(&doc).leaks.iter().map(ToString::to_string).collect();
    assert_eq!(
        leaks,
        [
            "<demo::Pages as core::iter::Iterator>::Item names kore_clients_gen::types::Client",
            "demo::Error::Api::operation names kore_clients_gen::Operation",
            "demo::Page::meta names kore_clients_gen::types::ClientListMeta",
            "demo::schema_of names schemars::JsonSchema",
        ]
    );
}

#[test]
fn private_items_and_documentation_links_are_not_the_api() {
    let (_, mut private) = item(
        11,
        Some("raw_client"),
        function(json!([]), path_type(100, "Client")),
    );
    private["visibility"] = json!("crate");
    let (_, mut linked) = item(12, Some("documented"), function(json!([]), json!(null)));
    linked["links"] = json!({"kore_clients_gen::Client": 100});
    let doc = document(
        &[11, 12],
        vec![(11, private), (12, linked)],
        &[(100, GEN, "kore_clients_gen::Client")],
    );
    let api = walk(&doc);
    assert_eq!(api.leaks, vec![]);
    assert!(!api.items.contains("demo::raw_client"));
    assert!(api.items.contains("demo::documented"));
}

#[test]
fn an_impl_no_module_leads_to_is_still_found() {
    // impl From<demo::Thing> for kore_clients_gen::Client: reachable only
    // through the foreign type and trait, which the walk does not enter.
    let doc = document(
        &[10],
        vec![
            item(10, Some("Thing"), plain_struct(&[], &[])),
            item(
                20,
                None,
                impl_of(
                    Some(
                        json!({"path": "From", "id": 101, "args": {"angle_bracketed": {
                        "args": [{"type": path_type(10, "Thing")}], "constraints": []}}}),
                    ),
                    path_type(100, "kore_clients_gen::Client"),
                    &[],
                    None,
                ),
            ),
        ],
        &[
            (10, 0, "demo::Thing"),
            (100, GEN, "kore_clients_gen::Client"),
            (101, CORE, "core::convert::From"),
        ],
    );
    let api = walk(&doc);
    assert_eq!(
        api.leaks
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "impl core::convert::From<demo::Thing> for kore_clients_gen::Client names kore_clients_gen::Client"
        ]
    );
}

#[test]
fn globs_and_unresolved_reexports_are_judged_by_their_source() {
    let doc = document(
        &[10, 11],
        vec![
            item(
                10,
                None,
                use_of("types", "kore_clients_gen::types", Some(100), true),
            ),
            item(
                11,
                None,
                use_of("generate_api", "progenitor::generate_api", None, false),
            ),
        ],
        &[(100, GEN, "kore_clients_gen::types")],
    );
    let leaks: Vec<String> = walk(&doc).leaks.iter().map(ToString::to_string).collect();
    assert_eq!(
        leaks,
        [
            "demo::* re-exports kore_clients_gen::types",
            "demo::generate_api re-exports progenitor::generate_api",
        ]
    );
}

#[test]
fn an_item_another_crate_s_rustdoc_inlined_is_a_reexport() {
    // rustdoc may inline a foreign item into the index (crate_id ≠ 0).
    let (_, mut inlined) = item(10, Some("PingStatus"), plain_struct(&[], &[]));
    inlined["crate_id"] = json!(GEN);
    let doc = document(
        &[10],
        vec![(10, inlined)],
        &[(10, GEN, "kore_clients_gen::types::PingStatus")],
    );
    assert_eq!(
        walk(&doc).leaks,
        vec![leak(
            "demo::PingStatus",
            "kore_clients_gen::types::PingStatus",
            true
        )]
    );
}

#[test]
fn old_formats_with_string_ids_are_walked_the_same_way() {
    let doc = json!({
        "root": "0:0",
        "crate_version": "0.1.0",
        "index": {
            "0:0": {"crate_id": 0, "name": "demo", "visibility": "public",
                    "inner": {"module": {"items": ["0:1"]}}},
            "0:1": {"crate_id": 0, "name": "raw", "visibility": "public",
                    "inner": {"function": {"decl": {"output": {"resolved_path": {
                        "name": "Client", "id": "2:7", "args": null}}}}}}
        },
        "paths": {"2:7": {"crate_id": 2, "path": ["kore_clients_gen", "Client"], "kind": "struct"}},
        "external_crates": {"2": {"name": "kore_clients_gen"}},
        "format_version": 20
    });
    assert_eq!(
        walk(&doc).leaks,
        vec![leak("demo::raw", "kore_clients_gen::Client", false)]
    );
}

#[test]
fn a_document_that_is_not_rustdoc_s_says_so() {
    let error = surface(&json!({"openapi": "3.0.1"}), &GENERATED_CRATES).unwrap_err();
    assert!(error.contains("not a rustdoc JSON document"), "{error}");
    assert!(error.contains("no `root`"), "{error}");
    let error = surface(
        &json!({"root": 5, "index": {}, "paths": {}}),
        &GENERATED_CRATES,
    )
    .unwrap_err();
    assert!(error.contains("root item 5 is not in the index"), "{error}");
}

#[test]
fn an_item_with_two_public_paths_has_both_with_its_members_and_cycles_end() {
    // pub use inner::Thing; pub mod api { pub use crate::inner::Thing as Widget; pub use crate::*; }
    let doc = document(
        &[10, 20],
        vec![
            item(10, None, use_of("Thing", "inner::Thing", Some(30), false)),
            item(
                20,
                Some("api"),
                json!({"module": {"is_crate": false, "items": [21, 22], "is_stripped": false}}),
            ),
            item(
                21,
                None,
                use_of("Widget", "crate::inner::Thing", Some(30), false),
            ),
            item(22, None, use_of("*", "crate", Some(0), true)),
            item(30, Some("Thing"), plain_struct(&[31], &[])),
            item(
                31,
                Some("size"),
                json!({"struct_field": {"primitive": "u32"}}),
            ),
        ],
        &[],
    );
    let api = walk(&doc);
    for path in [
        "demo::Thing",
        "demo::Thing::size",
        "demo::api::Widget",
        "demo::api::Widget::size",
        // The glob re-exports the root into `api`, and `api` into itself:
        // each level once, as deep as the walk goes.
        "demo::api::Thing",
        "demo::api::api::Widget::size",
    ] {
        assert!(
            api.items.contains(path),
            "{path} missing from {:?}",
            api.items
        );
    }
    assert!(api.items.iter().all(|p| p.matches("::").count() < 64));
    assert_eq!(api.leaks, vec![]);
}
