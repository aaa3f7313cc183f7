//! `conformance/expected-divergences.json`, the list of what Schemathesis may report
//! against KORE's published spec, stays honest: every entry names a real operation of
//! that spec and a correction that exists in `openapi/corrections.json`.

use std::collections::HashSet;

use serde_json::Value;

fn json(relative_to_workspace: &str) -> Value {
    let path = format!("{}/../{relative_to_workspace}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"))
}

#[test]
fn every_expected_divergence_comes_from_a_documented_correction() {
    let list = json("kore-mock/conformance/expected-divergences.json");
    let spec = json(list["spec"].as_str().expect("the spec the list is about"));
    let corrections = json("openapi/corrections.json");
    let corrected: HashSet<&str> = corrections
        .as_array()
        .unwrap()
        .iter()
        .filter(|op| op["op"] != "test")
        .filter_map(|op| op["path"].as_str())
        .collect();

    let divergences = list["divergences"].as_array().unwrap();
    assert!(!divergences.is_empty());
    let mut seen = HashSet::new();
    for entry in divergences {
        let field = |name: &str| {
            entry[name]
                .as_str()
                .filter(|value| !value.is_empty())
                .unwrap_or_else(|| panic!("{entry}: `{name}` missing"))
        };
        let (operation, check, location) = (field("operation"), field("check"), field("where"));
        assert!(
            seen.insert((operation, check, location)),
            "listed twice: {entry}"
        );
        field("why");

        let (method, path) = operation.split_once(' ').expect("`METHOD /path`");
        assert!(
            spec["paths"][path][method.to_lowercase()].is_object(),
            "{operation} is not an operation of {}",
            list["spec"]
        );
        if location.starts_with("/components/") {
            assert!(
                spec.pointer(location).is_some(),
                "{location} is not in {}",
                list["spec"]
            );
        }
        let correction = field("correction");
        assert!(
            corrected.contains(correction),
            "{entry}: no correction in openapi/corrections.json changes {correction}"
        );
    }
}
