//! `govproof policy test`, `hash` and `explain`, run in-process. The example policies in
//! `policies/` must check clean and pass their own tests: this is how CI keeps them honest.
//! Paths are relative to the package root (where cargo runs tests), so outputs hold no machine
//! paths.

// Test code: a panic with its message is how a case reports failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use govproof_cli::policy::{default_cases_path, run_policy, Format, PolicyCommand};
use govproof_cli::Exit;

fn cli(cmd: PolicyCommand) -> (Exit, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let exit = run_policy(cmd, &mut out, &mut err).unwrap();
    (
        exit,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn test_cmd(policy: &str, cases: Option<&str>, format: Format) -> PolicyCommand {
    PolicyCommand::Test {
        file: PathBuf::from(policy),
        cases: cases.map(PathBuf::from),
        prove: false,
        format,
    }
}

const EXAMPLES: [&str; 2] = [
    "policies/eu-consumer-credit.toml",
    "policies/card-fraud-gate.toml",
];

#[test]
fn the_example_policies_check_clean_and_pass_their_tests() {
    for policy in EXAMPLES {
        let (exit, out, err) = cli(PolicyCommand::Check {
            files: vec![policy.into()],
            model: None,
            now: Some("2026-06-01T00:00:00Z".parse().unwrap()),
            format: Format::Text,
        });
        assert_eq!(exit, Exit::Success, "{out}{err}");
        assert!(out.ends_with("ok (0 errors, 0 warnings)\n"), "{out}");
        let (exit, out, err) = cli(test_cmd(policy, None, Format::Text));
        assert_eq!(exit, Exit::Success, "{out}{err}");
        assert!(out.ends_with(" passed, 0 failed\n"), "{out}");
        assert!(!out.contains("FAIL"), "{out}");
    }
}

#[test]
fn check_skips_test_files_so_globs_work() {
    let (exit, out, err) = cli(PolicyCommand::Check {
        files: vec![
            "policies/card-fraud-gate.test.toml".into(),
            "policies/card-fraud-gate.toml".into(),
        ],
        model: None,
        now: Some("2026-06-01T00:00:00Z".parse().unwrap()),
        format: Format::Text,
    });
    assert_eq!(exit, Exit::Success, "{out}{err}");
    assert_eq!(
        out,
        "policies/card-fraud-gate.test.toml: skipped (a test file: run `govproof policy test` on \
         its policy)\npolicies/card-fraud-gate.toml: ok (0 errors, 0 warnings)\n"
    );
}

#[test]
fn test_files_sit_next_to_their_policy() {
    assert_eq!(
        default_cases_path("policies/eu-consumer-credit.toml".as_ref()),
        PathBuf::from("policies/eu-consumer-credit.test.toml")
    );
    assert_eq!(
        default_cases_path("p/policy".as_ref()),
        PathBuf::from("p/policy.test.toml")
    );
}

#[test]
fn failing_cases_fail_with_the_decision_log() {
    let policy = "tests/data/policies/valid/fixture.toml";
    let (exit, out, err) = cli(test_cmd(policy, None, Format::Text));
    assert_eq!(exit, Exit::Success, "{out}{err}");

    let failing = "tests/data/policies/cases/failing.test.toml";
    let (exit, out, err) = cli(test_cmd(policy, Some(failing), Format::Text));
    assert_eq!(exit, Exit::Rejected);
    assert_eq!(err, "");
    assert!(out.ends_with("1 passed, 3 failed\n"), "{out}");
    insta::assert_snapshot!("test_failing_text", out);

    let (exit, out, _) = cli(test_cmd(policy, Some(failing), Format::Json));
    assert_eq!(exit, Exit::Rejected);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["passed"], 1);
    assert_eq!(json["failed"], 3);
    assert_eq!(json["cases"][1]["actual"]["band"], "middle");
    insta::assert_snapshot!("test_failing_json", out);
}

#[test]
fn mistakes_in_a_test_file_are_diagnosed_in_place() {
    let (exit, out, err) = cli(test_cmd(
        "tests/data/policies/valid/fixture.toml",
        Some("tests/data/policies/cases/malformed.test.toml"),
        Format::Text,
    ));
    assert_eq!(exit, Exit::Rejected);
    assert_eq!(out, "");
    insta::assert_snapshot!("test_malformed", err);
}

#[test]
fn a_broken_policy_is_not_tested_hashed_or_explained() {
    let broken = "tests/data/policies/broken/band-gap.toml";
    for cmd in [
        test_cmd(
            broken,
            Some("tests/data/policies/valid/fixture.test.toml"),
            Format::Text,
        ),
        PolicyCommand::Hash {
            file: broken.into(),
            format: Format::Text,
        },
        PolicyCommand::Explain {
            file: broken.into(),
        },
    ] {
        let (exit, out, err) = cli(cmd);
        assert_eq!(exit, Exit::Rejected);
        assert_eq!(out, "");
        assert!(err.contains("error[band-gap]"), "{err}");
    }
}

#[test]
fn refusals_are_one_json_document_with_format_json() {
    let broken = "tests/data/policies/broken/band-gap.toml";
    for cmd in [
        PolicyCommand::Hash {
            file: broken.into(),
            format: Format::Json,
        },
        test_cmd(
            broken,
            Some("tests/data/policies/valid/fixture.test.toml"),
            Format::Json,
        ),
    ] {
        let (exit, out, err) = cli(cmd);
        assert_eq!(exit, Exit::Rejected);
        assert_eq!(err, "");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["ok"], false);
        assert_eq!(json["file"], broken);
        assert_eq!(json["diagnostics"][0]["code"], "band-gap");
    }
    // A malformed test file is reported the same way, under its own name.
    let cases = "tests/data/policies/cases/malformed.test.toml";
    let (exit, out, err) = cli(test_cmd(
        "tests/data/policies/valid/fixture.toml",
        Some(cases),
        Format::Json,
    ));
    assert_eq!(exit, Exit::Rejected);
    assert_eq!(err, "");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["file"], cases);
    assert!(json["errors"].as_u64().unwrap() > 1, "{out}");
}

#[test]
fn prove_proves_each_case_and_the_circuit_agrees_with_the_native_verdicts() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let exit = run_policy(
        PolicyCommand::Test {
            file: EXAMPLES[0].into(),
            cases: None,
            prove: true,
            format: Format::Text,
        },
        &mut out,
        &mut err,
    )
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains("proved with the development setup"), "{out}");
    assert!(out.contains(" 0 disagree"), "{out}");
    assert!(out.contains("the circuit refuses it"), "{out}");
    assert!(
        out.contains("checked by the bundled verifier: valid"),
        "{out}"
    );
}

#[test]
fn hash_prints_the_circuit_hash_and_json_adds_the_encoding() {
    let (exit, text, _) = cli(PolicyCommand::Hash {
        file: EXAMPLES[0].into(),
        format: Format::Text,
    });
    assert_eq!(exit, Exit::Success);
    let (_, json, _) = cli(PolicyCommand::Hash {
        file: EXAMPLES[0].into(),
        format: Format::Json,
    });
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(format!("{}\n", json["policy_hash"].as_str().unwrap()), text);
    // 5 + 2*4 models + 16 scopes + 8 protected + ceil(48/7) packed ranges + 10 rule fields
    // + meta, which is the document digest as a field element.
    let encoding = json["encoding"].as_array().unwrap();
    assert_eq!(encoding.len(), 5 + 8 + 16 + 8 + 7 + 10 + 1);
    let digest: [u8; 32] = hex::decode(json["document_digest"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(
        encoding.last().unwrap().as_str().unwrap(),
        govproof::commit::digest_to_field(&digest).to_hex()
    );
    assert_eq!(json["profile"], "mlp-24x16-d20-b8-s16-p8-m4");
}

#[test]
fn explain_reads_like_a_summary() {
    for (name, policy) in ["eu_consumer_credit", "card_fraud_gate"]
        .into_iter()
        .zip(EXAMPLES)
    {
        let (exit, out, err) = cli(PolicyCommand::Explain {
            file: policy.into(),
        });
        assert_eq!(exit, Exit::Success, "{err}");
        insta::assert_snapshot!(format!("explain_{name}"), out);
    }
}
