//! KORE's published history, replayed through the merge: what each change
//! did to the fragments, whether the merge took it, and its class.

use serde_json::json;
use xtask::replay::{Edit, EditKind, Outcome, diff, replay};
use xtask::spec_diff::Class;

#[test]
fn the_diff_adds_and_removes_members_and_replaces_anything_else_whole() {
    let old = json!({"a": {"b": 1, "gone": true}, "list": [1, 2]});
    let new = json!({"a": {"b": 2, "new": "x"}, "list": [1, 2, 3]});
    let edit = |kind, path: &str, value: Option<serde_json::Value>| Edit {
        kind,
        path: path.to_owned(),
        value,
    };
    assert_eq!(
        diff(&old, &new),
        [
            edit(EditKind::Replace, "/a/b", Some(json!(2))),
            edit(EditKind::Remove, "/a/gone", None),
            edit(EditKind::Add, "/a/new", Some(json!("x"))),
            edit(EditKind::Replace, "/list", Some(json!([1, 2, 3]))),
        ]
    );
}

#[test]
fn kore_s_history_replays_with_the_classifications_the_readme_states() {
    // `replay` itself fails unless the last step arrives exactly at today's
    // fragments, so this also proves the history translates to them.
    let replay = replay(&xtask::Layout::workspace(), "2025-02-04").unwrap();
    assert_eq!(replay.since, "2025-02-04.08e2ad5");
    let not_yet: Vec<&str> = replay.not_yet.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(not_yet, ["created-client-type-widened"]);

    let steps: Vec<(&str, Option<Class>)> = replay
        .steps
        .iter()
        .map(|s| (s.to.as_str(), s.class()))
        .collect();
    assert_eq!(
        steps,
        [
            ("2025-03-05.7081272", Some(Class::Additive)),
            ("2025-03-06.54a87c2", Some(Class::Breaking)),
            ("2025-03-06.9dd5f5a", Some(Class::Additive)),
            ("2025-03-06.c4522f5", Some(Class::Breaking)),
        ]
    );
    for step in &replay.steps {
        assert_eq!(
            step.kore_class,
            step.class(),
            "{} -> {}",
            step.from,
            step.to
        );
    }
    // What each change does to kore-clients' public API: the additive ones
    // only add to it; the enum on the create answer changes an accessor.
    let api: Vec<(Vec<&str>, Vec<&str>)> = replay
        .steps
        .iter()
        .map(|step| {
            let api = step.api.as_ref().expect("every step merged");
            (
                api.added.iter().map(String::as_str).collect(),
                api.gone.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        api,
        [
            (
                vec!["NewClient::account_id(mut self, account_id: impl Into<String>) -> Self"],
                vec![]
            ),
            (vec![], vec![]),
            (
                vec!["CreatedClient::client_type(&self) -> Option<&str>"],
                vec![]
            ),
            (
                vec!["CreatedClient::client_type(&self) -> Option<ClientType>"],
                vec!["CreatedClient::client_type(&self) -> Option<&str>"]
            ),
        ]
    );
    let [account_id, scopes, client_type, one_type] = &replay.steps[..] else {
        panic!("four steps");
    };
    let whats = |step: &xtask::replay::Step| -> Vec<(Class, String)> {
        step.changes
            .iter()
            .map(|c| (c.class, c.what.clone()))
            .collect()
    };

    // The two additions merge with no hand edit.
    assert_eq!(account_id.outcome, Outcome::NoHandEdit);
    assert_eq!(
        whats(account_id),
        [(
            Class::Additive,
            "optional property `account_id` added in a request".to_owned()
        )]
    );
    assert_eq!(client_type.outcome, Outcome::NoHandEdit);
    assert_eq!(
        whats(client_type),
        [(
            Class::Additive,
            "optional property `client_type` added in an answer".to_owned()
        )]
    );

    // The tightened request merges (nothing in it needs a correction) and
    // is breaking by nature, for both of its reasons.
    assert_eq!(scopes.outcome, Outcome::NoHandEdit);
    assert_eq!(
        whats(scopes),
        [
            (
                Class::Breaking,
                "`additionalProperties: false` newly set on a request object".to_owned()
            ),
            (
                Class::Breaking,
                "property `scopes` became required in a request".to_owned()
            ),
        ]
    );

    // The one-value enum on the answer: refused until a correction decides
    // what the SDK accepts (created-client-type-widened), then breaking by
    // nature: a free string became an enum.
    let Outcome::HandEdit {
        refusal,
        added,
        removed,
    } = &one_type.outcome
    else {
        panic!("{:?}", one_type.outcome);
    };
    assert!(
        refusal.contains(
            "/components/schemas/CreatedClient/properties/client_type is an inline string enum"
        ),
        "{refusal}"
    );
    assert_eq!(added, &["created-client-type-widened"]);
    assert!(removed.is_empty());
    assert_eq!(
        whats(one_type)[0],
        (
            Class::Breaking,
            "an enum [\"admin\",\"standard\"] newly set on a string in an answer".to_owned()
        )
    );
}

#[test]
fn examples_stay_out_of_the_fragments() {
    let replay = replay(&xtask::Layout::workspace(), "2025-02-04").unwrap();
    let skipped: Vec<&str> = replay
        .steps
        .iter()
        .flat_map(|s| &s.edits)
        .filter(|(_, placement)| {
            matches!(placement, xtask::replay::Placement::Skipped(why) if why.starts_with("an example"))
        })
        .map(|(edit, _)| edit.path.as_str())
        .collect();
    assert_eq!(
        skipped,
        [
            "/components/schemas/CreateClient/example/account_id",
            "/components/schemas/201CreateClient/properties/client_type/example",
        ]
    );
}
