//! `cargo xtask vendor`: extracting fragments from a KORE docs page.

mod common;

use common::assert_says;
use xtask::vendor::{Outcome, extract, write};

const PAGE: &str = r#"# Things

Some prose, then a shell example:

```bash
curl -L "https://api.example.invalid/v1/things"
```

## List Things

```json
{"openapi":"3.0.1","info":{"title":"T","version":"1"},"paths":{"/v1/things":{"get":{"operationId":"listThings","responses":{}}}}}
```

A request body example is JSON too, but not an OpenAPI document:

```json
{"name": "not a fragment"}
```

## Create Thing

```json
{"openapi":"3.0.1","info":{"title":"T","version":"1"},"paths":{"/v1/things":{"post":{"operationId":"createThing","responses":{}}}}}
```
"#;

#[test]
fn extracts_each_openapi_block_named_by_operation_id() {
    let found = extract("things.md", PAGE).unwrap();
    let ids: Vec<&str> = found.iter().map(|f| f.operation_id.as_str()).collect();
    assert_eq!(ids, ["listThings", "createThing"]);
    assert_eq!(found[0].line, 11);
}

#[test]
fn reindents_but_keeps_key_order() {
    let found = extract("things.md", PAGE).unwrap();
    let text = &found[0].text;
    assert!(
        text.starts_with("{\n  \"openapi\": \"3.0.1\",\n  \"info\": {"),
        "{text}"
    );
    // "paths" stays after "info", unlike a sorted re-serialisation.
    assert!(text.find("\"info\"").unwrap() < text.find("\"paths\"").unwrap());
    assert!(text.find("\"operationId\"").unwrap() < text.find("\"responses\"").unwrap());
    assert!(text.ends_with("}\n"));
}

#[test]
fn reports_added_changed_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let found = extract("things.md", PAGE).unwrap();
    let outcomes =
        |w: Vec<(std::path::PathBuf, Outcome)>| w.into_iter().map(|(_, o)| o).collect::<Vec<_>>();
    assert_eq!(
        outcomes(write(dir.path(), &found).unwrap()),
        [Outcome::Added, Outcome::Added]
    );
    assert_eq!(
        outcomes(write(dir.path(), &found).unwrap()),
        [Outcome::Unchanged, Outcome::Unchanged]
    );
    let changed = PAGE.replace("\"title\":\"T\"", "\"title\":\"T2\"");
    let found = extract("things.md", &changed).unwrap();
    assert_eq!(
        outcomes(write(dir.path(), &found).unwrap()),
        [Outcome::Changed, Outcome::Changed]
    );
    assert!(dir.path().join("listThings.json").exists());
}

#[test]
fn a_block_without_operation_id_is_an_error_with_its_line() {
    let page = "intro\n\n```json\n{\"openapi\":\"3.0.1\",\"paths\":{\"/x\":{\"get\":{}}}}\n```\n";
    let message = extract("p.md", page).unwrap_err().to_string();
    assert!(
        message.starts_with("p.md:3: OpenAPI block has no operation"),
        "{message}"
    );
}

#[test]
fn a_block_with_two_operations_is_an_error() {
    let page = "```json\n{\"openapi\":\"3.0.1\",\"paths\":{\"/x\":{\"get\":{\"operationId\":\"a\"},\"post\":{\"operationId\":\"b\"}}}}\n```\n";
    let message = extract("p.md", page).unwrap_err().to_string();
    assert_says(&message, &["holds 2 operations (a, b)"]);
}

#[test]
fn malformed_json_in_a_block_names_the_line() {
    let page = "# t\n```json\n{\"openapi\": \n```\n";
    let message = extract("p.md", page).unwrap_err().to_string();
    assert!(message.starts_with("p.md:"), "{message}");
    assert_says(&message, &["code block starting at line 2"]);
}

#[test]
fn a_page_without_fragments_is_an_error() {
    let message = extract("p.md", "# nothing here\n").unwrap_err().to_string();
    assert_says(&message, &["no OpenAPI JSON code blocks"]);
}

#[test]
fn vendoring_the_kore_docs_page_reproduces_the_committed_fragments() {
    let layout = xtask::Layout::workspace();
    let page = layout.root().join("openapi/source/clients.md");
    let found = extract("clients.md", &std::fs::read_to_string(page).unwrap()).unwrap();
    let ids: Vec<&str> = found.iter().map(|f| f.operation_id.as_str()).collect();
    assert_eq!(ids, ["listClient", "createClient", "getClient"]);
    for fragment in &found {
        let committed = std::fs::read_to_string(
            layout
                .fragments_dir()
                .join(format!("{}.json", fragment.operation_id)),
        )
        .unwrap();
        assert_eq!(
            fragment.text, committed,
            "{} drifted from the docs page",
            fragment.operation_id
        );
    }
}
