//! The pure parts of `cargo xtask semver`: versions and bumps, the choice of
//! baseline, cargo-semver-checks' output, the verdict from the facts, the
//! arguments, and the scenario file.

mod common;

use common::assert_says;
use xtask::scenario::Scenario;
use xtask::semver::{
    Baseline, Bump, ChecksReport, Facts, Options, Outcome, Release, Version, choose_baseline,
    decide, explain, parse_args, parse_semver_checks, render,
};

fn v(text: &str) -> Version {
    Version::parse(text).expect("a version")
}

#[test]
fn versions_parse_order_and_reject_what_is_not_one() {
    assert_eq!(
        v("0.2.0-rc.1+build.5"),
        Version {
            major: 0,
            minor: 2,
            patch: 0,
            pre: "rc.1".into()
        }
    );
    assert_eq!(v("1.2.3").to_string(), "1.2.3");
    assert_eq!(v("0.2.0-rc.1").to_string(), "0.2.0-rc.1");
    assert!(
        v("0.2.0-rc.1") < v("0.2.0"),
        "a pre-release precedes its release"
    );
    assert!(v("0.10.0") > v("0.9.9"), "numbers, not text");
    for bad in ["1.2", "v1.2.3", "1.2.x", ""] {
        let error = Version::parse(bad).unwrap_err();
        assert_says(&error, &["is not a version"]);
    }
}

#[test]
fn the_next_version_follows_cargo_s_0_x_convention() {
    let cases = [
        ("0.1.0", Bump::Major, "0.2.0"),
        ("0.1.3", Bump::Minor, "0.1.4"),
        ("0.1.3", Bump::None, "0.1.3"),
        ("0.0.4", Bump::Major, "0.0.5"),
        ("0.0.4", Bump::Minor, "0.0.5"),
        ("1.4.2", Bump::Major, "2.0.0"),
        ("1.4.2", Bump::Minor, "1.5.0"),
    ];
    for (from, bump, to) in cases {
        assert_eq!(v(from).bumped(bump), v(to), "{from} + {bump}");
    }
}

#[test]
fn a_version_change_releases_what_cargo_reads_in_it() {
    let cases = [
        ("0.1.0", "0.1.0", Release::Unchanged),
        ("0.1.0", "0.1.1", Release::Minor),
        ("0.1.0", "0.2.0", Release::Major),
        ("0.0.1", "0.0.2", Release::Major),
        ("1.2.0", "1.2.1", Release::Patch),
        ("1.2.0", "1.3.0", Release::Minor),
        ("1.2.0", "2.0.0", Release::Major),
        ("0.2.0-rc.1", "0.2.0", Release::Major),
    ];
    for (from, to, release) in cases {
        assert_eq!(
            Release::between(&v(from), &v(to)),
            Ok(release),
            "{from} -> {to}"
        );
    }
    let error = Release::between(&v("0.2.0"), &v("0.1.9")).unwrap_err();
    assert_says(&error, &["went down from 0.2.0 to 0.1.9"]);
    assert!(Release::Minor.allows(Bump::Minor) && !Release::Minor.allows(Bump::Major));
    assert!(!Release::Patch.allows(Bump::Minor) && Release::Unchanged.allows(Bump::None));
    assert!(Release::Major.allows(Bump::Major));
}

fn tags(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(name, commit)| ((*name).to_owned(), (*commit).to_owned()))
        .collect()
}

#[test]
fn the_baseline_is_the_newest_release_tag_not_on_head_else_the_previous_commit() {
    assert_eq!(choose_baseline(None, &[], "h"), Baseline::Parent);
    assert_eq!(Baseline::Parent.rev(), "HEAD~1");
    let listed = tags(&[
        ("v0.1.0", "a"),
        ("v0.10.0", "c"),
        ("v0.9.0", "b"),
        ("v0.11.0", "h"),
        ("vendor-drop", "d"),
        ("v1.0.0-rc.1", "e"),
    ]);
    let chosen = choose_baseline(None, &listed, "h");
    assert_eq!(
        chosen,
        Baseline::Tag {
            name: "v1.0.0-rc.1".into(),
            version: v("1.0.0-rc.1")
        },
        "highest version wins; v0.11.0 is on HEAD itself; vendor-drop is no release"
    );
    assert_eq!(chosen.rev(), "v1.0.0-rc.1");
    let without_rc = tags(&[("v0.1.0", "a"), ("v0.10.0", "c"), ("v0.9.0", "b")]);
    assert_eq!(choose_baseline(None, &without_rc, "h").rev(), "v0.10.0");
    let given = choose_baseline(Some("main~3"), &listed, "h");
    assert_eq!(given, Baseline::Given("main~3".into()));
    assert_says(&given.reason(), &["main~3", "--baseline-rev"]);
    assert_says(&Baseline::Parent.reason(), &["HEAD~1", "no release tag"]);
}

/// cargo-semver-checks 0.51's output, stdout and stderr in the order
/// written, when a method was removed and a function deprecated.
const BREAKING: &str = "\
     Cloning 4e572aa2f2ddeedb5150cd39f037ff42d8d29fc8
    Building kore-clients v0.1.0 (current)
       Built [  10.351s] (current)
     Parsing kore-clients v0.1.0 (current)
      Parsed [   0.091s] (current)
    Building kore-clients v0.1.0 (baseline)
       Built [   9.528s] (baseline)
     Parsing kore-clients v0.1.0 (baseline)
      Parsed [   0.032s] (baseline)
    Checking kore-clients v0.1.0 -> v0.1.0 (assume patch change)
     Checked [   0.137s] 229 checks: 227 pass, 1 fail, 1 warn, 31 skip

--- failure inherent_method_missing: pub method removed or renamed ---

Description:
A publicly-visible method or associated fn is no longer available under its prior name. It may have been renamed or removed entirely.
        ref: https://doc.rust-lang.org/cargo/reference/semver.html#item-remove
       impl: https://github.com/obi1kenobi/cargo-semver-checks/tree/v0.51.0/src/lints/inherent_method_missing.ron

Failed in:
  Kore::base_url, previously in file /t/kore-clients/src/kore.rs:43
  Kore::token_url, previously in file /t/kore-clients/src/kore.rs:48

--- warning function_marked_deprecated: function #[deprecated] added ---

Description:
A function is now #[deprecated]. Downstream crates will get a compiler warning when using this function.
        ref: https://doc.rust-lang.org/rustdoc/write-documentation/the-doc-attribute.html#deprecated
       impl: https://github.com/obi1kenobi/cargo-semver-checks/tree/v0.51.0/src/lints/function_marked_deprecated.ron

Failed in:
  function kore_clients::parse_retry_after in /t/kore-clients/src/retry.rs:120

     Summary semver requires new major version: 1 major and 0 minor checks failed
     Warning produced 0 major and 1 minor level warnings
    Finished [  25.948s] kore-clients
";

const CLEAN: &str = "\
     Cloning 8ed2c1f83a83f3e7653ff65b017b4976f3c48e30
    Building kore-mock v0.1.0 (current)
       Built [  32.183s] (current)
    Checking kore-mock v0.1.0 -> v0.2.0 (assume patch change)
     Checked [   0.123s] 229 checks: 229 pass, 31 skip
     Summary no semver update required
    Finished [  38.851s] kore-mock
";

#[test]
fn cargo_semver_checks_output_is_read_into_findings_and_a_required_bump() {
    let report = parse_semver_checks(BREAKING).expect("a report");
    assert_eq!(report.crate_name, "kore-clients");
    assert_eq!(
        (
            report.baseline_version.as_str(),
            report.current_version.as_str()
        ),
        ("0.1.0", "0.1.0")
    );
    assert_eq!(report.required, Bump::Major);
    assert_eq!(report.failures.len(), 1);
    let failure = &report.failures[0];
    assert_eq!(failure.id, "inherent_method_missing");
    assert_eq!(failure.title, "pub method removed or renamed");
    assert_eq!(
        failure.places,
        [
            "Kore::base_url, previously in file /t/kore-clients/src/kore.rs:43",
            "Kore::token_url, previously in file /t/kore-clients/src/kore.rs:48",
        ]
    );
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].id, "function_marked_deprecated");
    assert_eq!(
        report.warnings[0].places,
        ["function kore_clients::parse_retry_after in /t/kore-clients/src/retry.rs:120"]
    );

    let clean = parse_semver_checks(CLEAN).expect("a report");
    assert_eq!(clean.crate_name, "kore-mock");
    assert_eq!(clean.current_version, "0.2.0");
    assert_eq!(clean.required, Bump::None);
    assert!(clean.failures.is_empty() && clean.warnings.is_empty());

    let minor = CLEAN.replace(
        "no semver update required",
        "semver requires new minor version: 0 major and 1 minor checks failed",
    );
    assert_eq!(
        parse_semver_checks(&minor).map(|r| r.required),
        Ok(Bump::Minor)
    );
}

#[test]
fn output_without_a_verdict_is_an_error_that_points_at_it() {
    let crashed = "error: `cargo metadata` exited with an error: failed to select a version\n";
    let error = parse_semver_checks(crashed).unwrap_err();
    assert_says(&error, &["did not check the crate", "read its error above"]);
    let unknown = CLEAN.replace("no semver update required", "the moon is made of cheese");
    let error = parse_semver_checks(&unknown).unwrap_err();
    assert_says(&error, &["the moon is made of cheese", "does not know"]);
}

fn facts(checks: Bump, added: &[&str], removed: &[&str], from: &str, to: &str) -> Facts {
    Facts {
        crate_name: "kore-clients".into(),
        baseline_version: v(from),
        current_version: v(to),
        checks_required: checks,
        added: added.iter().map(|s| (*s).to_owned()).collect(),
        removed: removed.iter().map(|s| (*s).to_owned()).collect(),
    }
}

#[test]
fn the_verdict_is_the_largest_bump_any_fact_needs() {
    let none = decide(&facts(Bump::None, &[], &[], "0.1.0", "0.1.0")).expect("a verdict");
    assert_eq!((none.needed, none.unmatched_break), (Bump::None, false));

    let grew = decide(&facts(
        Bump::None,
        &["kore_clients::ClientType::Readonly"],
        &[],
        "0.1.0",
        "0.1.0",
    ))
    .expect("a verdict");
    assert_eq!(grew.needed, Bump::Minor);
    assert_eq!(grew.next, v("0.1.1"));
    assert!(
        !grew.unmatched_break,
        "an unreleased addition does not fail"
    );

    let gone = decide(&facts(
        Bump::None,
        &["a"],
        &["kore_clients::raw"],
        "0.1.0",
        "0.1.0",
    ))
    .expect("a verdict");
    assert_eq!(
        (gone.needed, gone.unmatched_break),
        (Bump::Major, true),
        "a public path that is gone breaks, even where cargo-semver-checks cannot see it"
    );

    let broke = decide(&facts(Bump::Major, &[], &[], "0.1.0", "0.1.1")).expect("a verdict");
    assert_eq!((broke.needed, broke.unmatched_break), (Bump::Major, true));
    assert_eq!(broke.next, v("0.2.0"));

    let bumped = decide(&facts(Bump::Major, &[], &[], "0.1.0", "0.2.0")).expect("a verdict");
    assert_eq!(bumped.release, Release::Major);
    assert!(!bumped.unmatched_break);

    let minor_lint = decide(&facts(Bump::Minor, &[], &[], "1.0.0", "1.0.0")).expect("a verdict");
    assert_eq!(
        (minor_lint.needed, minor_lint.next.to_string().as_str()),
        (Bump::Minor, "1.1.0")
    );

    let error = decide(&facts(Bump::None, &[], &[], "0.2.0", "0.1.0")).unwrap_err();
    assert_says(&error, &["kore-clients", "went down"]);
}

#[test]
fn each_bump_is_explained_for_its_version_line() {
    assert_says(
        &explain(Bump::Major, &v("0.1.0")),
        &["major", "breaking", "0.x: the minor digit", "0.1.0 → 0.2.0"],
    );
    assert_says(
        &explain(Bump::Minor, &v("0.1.0")),
        &["minor", "only grew", "0.x: a patch", "0.1.0 → 0.1.1"],
    );
    assert_says(&explain(Bump::Major, &v("1.2.0")), &["1.2.0 → 2.0.0"]);
    assert_says(&explain(Bump::None, &v("0.1.0")), &["none", "unchanged"]);
}

fn checks(required: Bump) -> ChecksReport {
    ChecksReport {
        crate_name: "kore-clients".into(),
        baseline_version: "0.1.0".into(),
        current_version: "0.1.0".into(),
        required,
        failures: Vec::new(),
        warnings: Vec::new(),
    }
}

#[test]
fn an_unbumped_break_and_a_leak_fail_with_what_to_do() {
    let broke = facts(Bump::Major, &[], &[], "0.1.0", "0.1.0");
    let verdict = decide(&broke).expect("a verdict");
    let leak = xtask::public_api::Leak {
        item: "kore_clients::Kore::raw".into(),
        names: "kore_clients_gen::Client".into(),
        reexport: false,
    };
    let outcome = Outcome {
        crates: vec![(broke, verdict, checks(Bump::Major))],
        leaks: vec![leak],
    };
    let failures = outcome.failures();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert_says(
        &failures[0],
        &[
            "kore-clients",
            "0.1.0 → 0.1.0, which is no major release",
            "bump the workspace version to 0.2.0",
            "[workspace.package]",
            "CHANGELOG.md",
        ],
    );
    assert_says(
        &failures[1],
        &["1 item(s)", "kore_clients_gen", "unstable-raw"],
    );
    let report = render("v0.1.0 = abc", &outcome);
    assert_says(
        &report,
        &[
            "semver verdict against v0.1.0 = abc",
            "kore-clients 0.1.0 -> 0.1.0",
            "bump needed: major",
            "NOT BUMPED",
            "kore_clients::Kore::raw names kore_clients_gen::Client",
        ],
    );

    let grew = facts(
        Bump::None,
        &["kore_clients::Client::description"],
        &[],
        "0.1.0",
        "0.1.0",
    );
    let verdict = decide(&grew).expect("a verdict");
    let outcome = Outcome {
        crates: vec![(grew, verdict, checks(Bump::None))],
        leaks: Vec::new(),
    };
    assert_eq!(outcome.failures(), Vec::<String>::new());
    assert_says(
        &render("HEAD~1 = abc", &outcome),
        &[
            "added to the public API (1):",
            "kore_clients::Client::description",
            "verdict: minor",
            "release it as 0.1.1",
            "names no item of kore_clients_gen",
        ],
    );
}

#[test]
fn arguments_are_parsed_and_bad_ones_named() {
    assert_eq!(parse_args(&[]), Ok(Options::default()));
    assert_eq!(
        parse_args(&["--baseline-rev", "v0.1.0"]).map(|o| o.baseline_rev),
        Ok(Some("v0.1.0".into()))
    );
    assert_eq!(
        parse_args(&["--scenario=additive"]).map(|o| o.scenario),
        Ok(Some("additive".into()))
    );
    let cases: [(&[&str], &str); 5] = [
        (&["--baseline-rev"], "needs a value"),
        (&["--baseline-rev", "--scenario"], "needs a value"),
        (&["--frobnicate"], "unknown argument `--frobnicate`"),
        (&["--scenario", "a", "--scenario", "b"], "given twice"),
        (
            &["--scenario", "a", "--baseline-rev", "v1.0.0"],
            "leave out --baseline-rev",
        ),
    ];
    for (args, message) in cases {
        let error = parse_args(args).unwrap_err();
        assert_says(&error, &[message]);
    }
}

#[test]
fn a_scenario_patches_fragments_and_creates_new_ones() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("a.json"), r#"{"enum": ["x"]}"#).expect("written");
    let scenario = Scenario::parse(
        "test.json",
        r#"{"description": "d", "expect": {"kore-clients": "minor"},
            "fragments": {
              "a.json": [{"op": "add", "path": "/enum/-", "value": "y", "reason": "why"}],
              "b.json": [{"op": "add", "path": "", "value": {"new": true}}]
            }}"#,
    )
    .expect("a scenario");
    assert_eq!(scenario.expect.get("kore-clients"), Some(&Bump::Minor));
    scenario.apply(dir.path()).expect("applied");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(name)).expect("read"))
            .expect("JSON")
    };
    assert_eq!(read("a.json"), serde_json::json!({"enum": ["x", "y"]}));
    assert_eq!(read("b.json"), serde_json::json!({"new": true}));

    let error = scenario
        .apply(tempfile::tempdir().expect("dir").path())
        .unwrap_err();
    assert_says(&error, &["does not apply to a.json", "update the scenario"]);
}

#[test]
fn a_bad_scenario_file_says_what_is_wrong() {
    let cases = [
        (r#"{"expect": {}, "fragments": {}}"#, "no `description`"),
        (
            r#"{"description": "d", "fragments": {}}"#,
            "no `expect` object",
        ),
        (
            r#"{"description": "d", "expect": {"kore-cli": "none"}, "fragments": {}}"#,
            "`kore-cli`, which the verdict does not cover",
        ),
        (
            r#"{"description": "d", "expect": {"kore-mock": "huge"}, "fragments": {}}"#,
            "`huge` is not a bump",
        ),
        (
            r#"{"description": "d", "expect": {}, "fragments": {"../x.json": []}}"#,
            "not a file name in openapi/fragments/",
        ),
        (
            r#"{"description": "d", "expect": {}, "fragments": {"a.json": [{"op": "nope"}]}}"#,
            "operation #0 is not a JSON Patch operation",
        ),
    ];
    for (text, message) in cases {
        let error = Scenario::parse("s.json", text).unwrap_err();
        assert_says(&error, &["s.json", message]);
    }
}

/// Every string enum in `doc` that lists `member`.
fn enums_with(doc: &serde_json::Value, member: &str, out: &mut Vec<Vec<String>>) {
    match doc {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Array(values)) = map.get("enum") {
                let values: Vec<String> = values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                if values.iter().any(|v| v == member) {
                    out.push(values);
                }
            }
            map.values().for_each(|v| enums_with(v, member, out));
        }
        serde_json::Value::Array(values) => values.iter().for_each(|v| enums_with(v, member, out)),
        _ => {}
    }
}

#[test]
fn the_additive_scenario_adds_to_every_copy_of_both_enums_and_a_fragment() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace");
    let text = std::fs::read_to_string(root.join("xtask/scenarios/additive.json")).expect("read");
    let scenario = Scenario::parse("additive.json", &text).expect("the committed scenario parses");
    assert_eq!(scenario.expect.get("kore-clients"), Some(&Bump::Minor));
    let dir = tempfile::tempdir().expect("a temporary directory");
    for entry in std::fs::read_dir(root.join("openapi/fragments")).expect("fragments") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copied");
    }
    scenario
        .apply(dir.path())
        .expect("applies to today's fragments");
    let mut client_types = Vec::new();
    let mut products = Vec::new();
    let mut fragments = 0;
    for entry in std::fs::read_dir(dir.path()).expect("patched") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        enums_with(&doc, "standard", &mut client_types);
        enums_with(&doc, "SuperSIM", &mut products);
        fragments += 1;
    }
    assert_eq!(fragments, 5, "the four fragments and the new operation's");
    // Client.client_type (listClient, getClient), the list filter, the create answer.
    assert_eq!(client_types.len(), 4, "{client_types:?}");
    assert!(
        client_types
            .iter()
            .all(|e| e.contains(&"readonly".to_owned())),
        "{client_types:?}"
    );
    assert_eq!(products, [["SuperSIM", "ProgrammableWireless", "OmniSIM"]]);
}
