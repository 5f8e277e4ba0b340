//! The policy, test-file and model-description readers never panic, whatever the bytes: random
//! input, and valid files mutated at random (bytes deleted, inserted, lines duplicated or
//! swapped), go through checking, diagnostic rendering (text and JSON), hashing, explaining, test
//! evaluation and the `--model` comparison.
//! This runs on stable in CI; `fuzz/` holds the coverage-guided `cargo fuzz` target
//! (`policy_parse`) over the same entry points.

// Test code: a panic with its message is how a case reports failure.
#![allow(clippy::unwrap_used)]

use govproof::policy::cases::{read_cases, run_cases};
use govproof::policy::model_schema::{ModelSchema, ModelSchemaFile};
use govproof::policy::{check, explain, CheckOptions, Policy, SourceFile, Timestamp};
use proptest::prelude::*;

const POLICIES: [&str; 3] = [
    include_str!("../policies/eu-consumer-credit.toml"),
    include_str!("../policies/card-fraud-gate.toml"),
    include_str!("data/policies/valid/fixture.toml"),
];
const MODELS: [&str; 2] = [
    include_str!("data/policies/models/scorer-2.0.0-other-profile.json"),
    include_str!("data/policies/models/scorer-1.0.0-entry-narrower-ranges.json"),
];
const CASES: [&str; 2] = [
    include_str!("../policies/eu-consumer-credit.test.toml"),
    include_str!("data/policies/valid/fixture.test.toml"),
];

fn fixture() -> Policy {
    let file = SourceFile::new("fixture.toml", POLICIES[2]);
    check(&file, &CheckOptions::default()).policy.unwrap()
}

/// Everything a user can make the policy layer do with one file's text.
fn exercise(text: &str, as_cases_for: &Policy) {
    let file = SourceFile::new("input.toml", text);
    let options = CheckOptions {
        now: Some(Timestamp::from_unix(1_780_000_000).unwrap()),
        model: None,
    };
    let checked = check(&file, &options);
    let rendered = checked.diagnostics.render(&file);
    let json = checked.diagnostics.to_json(&file);
    assert_eq!(
        json.as_array().map(Vec::len),
        Some(checked.diagnostics.len())
    );
    for d in checked.diagnostics.iter() {
        assert!(
            rendered.contains(&d.message),
            "{:?} not in {rendered}",
            d.message
        );
        let p = file.position(d.span.start);
        assert!(p.line >= 1 && p.line <= text.lines().count() + 1);
    }
    assert_eq!(checked.policy.is_some(), !checked.diagnostics.has_errors());
    if let Some(policy) = &checked.policy {
        let _ = policy.hash();
        let _ = policy.document_digest();
        let _ = explain(policy);
    }
    let (cases, diags) = read_cases(&file, as_cases_for);
    let _ = diags.render(&file);
    if let Some(cases) = cases {
        let _ = run_cases(as_cases_for, cases);
    }
    // The same text as a model description (`policy check --model`), compared with the fixture.
    for name in ["input.json", "input.toml"] {
        if let Ok(model) = ModelSchema::from_text(name, text) {
            let fixture = SourceFile::new("fixture.toml", POLICIES[2]);
            let checked = check(
                &fixture,
                &CheckOptions {
                    now: None,
                    model: Some(model),
                },
            );
            let _ = checked.diagnostics.render(&fixture);
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (
            any::<usize>(),
            prop_oneof![
                "[\\[\\]{}=,.\"'#\n -]{1,4}",
                "(inf|-inf|nan|0x|1e400|-0|9999999999999999999|2026-13-01T00:00:00Z|\\\\u0000)",
                "[a-z_]{1,8} = [0-9]{1,3}\n",
                ".{1,6}",
            ]
        )
            .prop_map(|(at, text)| Edit::Insert { at, text }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines { a, b }),
    ]
}

fn boundary(s: &str, at: usize) -> usize {
    let mut at = at % (s.len() + 1);
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, e: &Edit) -> String {
    match e {
        Edit::Delete { at, len } => {
            let a = boundary(text, *at);
            let b = boundary(text, (a + len).min(text.len()));
            format!("{}{}", &text[..a], &text[b.max(a)..])
        }
        Edit::Insert { at, text: t } => {
            let a = boundary(text, *at);
            format!("{}{t}{}", &text[..a], &text[a..])
        }
        Edit::DuplicateLine { line } => {
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let i = line % lines.len();
                lines.insert(i, lines[i]);
            }
            lines.join("\n")
        }
        Edit::SwapLines { a, b } => {
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let n = lines.len();
                lines.swap(a % n, b % n);
            }
            lines.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        exercise(&text, &fixture());
    }

    #[test]
    fn mutated_policies_never_panic(
        which in 0usize..POLICIES.len(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let mut text = POLICIES[which].to_string();
        for e in &edits {
            text = apply(&text, e);
        }
        exercise(&text, &fixture());
    }

    #[test]
    fn mutated_model_descriptions_never_panic(
        which in 0usize..MODELS.len(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let mut text = MODELS[which].to_string();
        for e in &edits {
            text = apply(&text, e);
        }
        exercise(&text, &fixture());
    }

    #[test]
    fn mutated_test_files_never_panic(
        which in 0usize..CASES.len(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let mut text = CASES[which].to_string();
        for e in &edits {
            text = apply(&text, e);
        }
        let policy = if which == 0 {
            let file = SourceFile::new("p.toml", POLICIES[0]);
            check(&file, &CheckOptions::default()).policy.unwrap()
        } else {
            fixture()
        };
        exercise(&text, &policy);
    }
}

#[test]
fn hostile_inputs_are_refused_cleanly() {
    let policy = fixture();
    for text in [
        "",
        "\u{feff}",
        "[policy]\nid = \"\u{0}\"",
        "a = 1\na = 2",
        "[[policy]]\n[[policy]]",
        "policy = 3",
        "[features]\nschema = [1, 2, {}]\nprotected = [[]]",
        "[decision]\nkind = \"score_band\"\nbands = [{ lower = nan, upper = -inf }]",
        "[score_scale]\nkind = \"points\"\noffset = 1e308\nfactor = 1e-308",
        &"[a]\n".repeat(2000),
        &format!("x = {}", "[".repeat(100_000)),
        &format!("x = {}", "{a=".repeat(100_000)),
    ] {
        exercise(text, &policy);
        let file = SourceFile::new("hostile.toml", text);
        assert!(check(&file, &CheckOptions::default()).policy.is_none());
    }
}
