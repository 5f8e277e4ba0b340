//! Fuzzes everything a policy file, a policy test file or a model description can reach: strict
//! parsing, validation, diagnostic rendering (text and JSON), hashing, the reviewer's summary,
//! test-case reading and evaluation against a fixed valid policy, and the `--model` comparison
//! with it. Any panic is a bug: bad input must only ever produce diagnostics.

#![no_main]

use std::sync::OnceLock;

use govproof::policy::cases::{read_cases, run_cases};
use govproof::policy::model_schema::{ModelSchema, ModelSchemaFile};
use govproof::policy::{check, explain, CheckOptions, Policy, SourceFile, Timestamp};
use libfuzzer_sys::fuzz_target;

const FIXTURE: &str = include_str!("../../tests/data/policies/valid/fixture.toml");

fn fixture() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let file = SourceFile::new("fixture.toml", FIXTURE);
        match check(&file, &CheckOptions::default()).policy {
            Some(p) => p,
            None => panic!("the fixture policy must be valid"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = SourceFile::new("input.toml", text);
    let options = CheckOptions {
        now: Timestamp::from_unix(1_780_000_000).ok(),
        model: None,
    };
    let checked = check(&file, &options);
    let _ = checked.diagnostics.render(&file);
    let _ = checked.diagnostics.to_json(&file);
    assert_eq!(checked.policy.is_some(), !checked.diagnostics.has_errors());
    if let Some(policy) = &checked.policy {
        let _ = policy.hash();
        let _ = policy.document_digest();
        let _ = policy.canonical_json();
        let _ = explain(policy);
    }
    let (cases, diags) = read_cases(&file, fixture());
    let _ = diags.render(&file);
    if let Some(cases) = cases {
        let _ = run_cases(fixture(), cases);
    }
    for name in ["input.json", "input.toml"] {
        if let Ok(model) = ModelSchema::from_text(name, text) {
            let fixture = SourceFile::new("fixture.toml", FIXTURE);
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
});
