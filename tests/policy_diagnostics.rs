//! Diagnostics of `policy check`, snapshotted: one broken policy per problem class under
//! `tests/data/policies/broken/` (the file name, up to `--`, is the expected diagnostic code),
//! policies that pass with warnings under `warnings/`, and a file with many problems that must
//! all be reported in one run. Files are shown under their path relative to
//! `tests/data/policies/`, so no machine path reaches a snapshot.

// Test code: a panic with its message is how a case reports failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use govproof::policy::model_schema::{ModelSchema, ModelSchemaFile};
use govproof::policy::{check, CheckOptions, Checked, Code, Severity, SourceFile, Timestamp};
use govproof_cli::policy::{run_policy, Format, PolicyCommand};
use govproof_cli::Exit;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/policies")
}

fn now() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

fn source(rel: &str) -> SourceFile {
    let text = std::fs::read_to_string(data().join(rel)).unwrap();
    SourceFile::new(rel, text)
}

fn run(rel: &str, model: Option<ModelSchema>) -> (Checked, String) {
    let file = source(rel);
    let checked = check(
        &file,
        &CheckOptions {
            now: Some(now()),
            model,
        },
    );
    let text = checked.diagnostics.render(&file);
    (checked, text)
}

fn files(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(data().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    v.sort();
    v
}

fn code_named(name: &str) -> Code {
    *Code::all()
        .iter()
        .find(|c| c.as_str() == name)
        .unwrap_or_else(|| panic!("no diagnostic code `{name}`"))
}

#[test]
fn broken_policies_are_refused_with_one_problem_class_each() {
    let broken = files("broken");
    assert!(broken.len() >= 30, "{} broken fixtures", broken.len());
    let mut covered = BTreeSet::new();
    for rel in broken {
        let stem = rel
            .trim_start_matches("broken/")
            .trim_end_matches(".toml")
            .to_string();
        let expected = code_named(stem.split("--").next().unwrap());
        let (checked, text) = run(&rel, None);
        assert!(checked.policy.is_none(), "{rel} was accepted");
        let codes: BTreeSet<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            BTreeSet::from([expected]),
            "{rel} should report exactly one problem class:\n{text}"
        );
        covered.insert(expected);
        insta::assert_snapshot!(format!("broken__{stem}"), text);
    }
    // Every error class except the model comparisons (which need `--model`) has a fixture.
    for code in Code::all() {
        if !matches!(
            code,
            Code::ModelMismatch
                | Code::WindowNotStarted
                | Code::BandUncovered
                | Code::BandUnreachable
                | Code::GateConstant
        ) {
            assert!(covered.contains(code), "no broken fixture for `{code}`");
        }
    }
}

#[test]
fn warnings_leave_the_policy_valid() {
    for rel in files("warnings") {
        let stem = rel
            .trim_start_matches("warnings/")
            .trim_end_matches(".toml")
            .to_string();
        let (checked, text) = run(&rel, None);
        assert!(checked.policy.is_some(), "{rel} was refused:\n{text}");
        assert!(checked.diagnostics.warnings() > 0, "{rel}: no warning");
        assert!(checked
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning && d.code == code_named(&stem)));
        insta::assert_snapshot!(format!("warnings__{stem}"), text);
    }
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let (checked, text) = run("many-problems.toml", None);
    assert!(checked.policy.is_none());
    let codes: BTreeSet<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    for expected in [
        "invalid-value",
        "window-inverted",
        "unknown-key",
        "empty-list",
        "band-overlap",
        "band-gap",
        "unknown-feature",
        "range-inverted",
        "capacity",
    ] {
        assert!(codes.contains(expected), "`{expected}` missing:\n{text}");
    }
    assert!(checked.diagnostics.errors() >= 12, "{text}");
    insta::assert_snapshot!("many_problems", text);
}

#[test]
fn the_fixture_and_the_example_policies_are_clean() {
    for fixture in ["valid/fixture.toml", "valid/explained.toml"] {
        let (checked, text) = run(fixture, None);
        assert!(
            checked.policy.is_some() && checked.diagnostics.is_empty(),
            "{fixture}: {text}"
        );
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    for name in ["eu-consumer-credit.toml", "card-fraud-gate.toml"] {
        let file = SourceFile::new(name, std::fs::read_to_string(root.join(name)).unwrap());
        let checked = check(
            &file,
            &CheckOptions {
                now: Some(now()),
                model: None,
            },
        );
        assert!(
            checked.policy.is_some() && checked.diagnostics.is_empty(),
            "{name}:\n{}",
            checked.diagnostics.render(&file)
        );
    }
}

fn model(rel: &str) -> ModelSchema {
    ModelSchema::from_file(&data().join(rel)).unwrap()
}

#[test]
fn a_matching_model_passes_and_mismatches_point_at_the_policy() {
    let (checked, text) = run(
        "valid/fixture.toml",
        Some(model("models/scorer-1.0.0.json")),
    );
    assert!(
        checked.policy.is_some() && checked.diagnostics.is_empty(),
        "{text}"
    );

    let (checked, text) = run(
        "valid/fixture.toml",
        Some(model("models/scorer-1.0.0-reordered.json")),
    );
    assert!(checked.policy.is_none());
    assert!(checked
        .diagnostics
        .iter()
        .all(|d| d.code == Code::ModelMismatch));
    assert_eq!(checked.diagnostics.errors(), 2, "{text}");
    insta::assert_snapshot!("model_mismatch__reordered", text);

    let (checked, text) = run(
        "valid/fixture.toml",
        Some(model("models/scorer-2.0.0-other-profile.json")),
    );
    assert!(checked.policy.is_none());
    // Other profile, a version the policy does not allow, one feature too many.
    assert_eq!(checked.diagnostics.errors(), 3, "{text}");
    insta::assert_snapshot!("model_mismatch__other_profile", text);

    // A registry entry whose importer certificate declares narrower input ranges than the
    // policy allows: the policy would let inputs the model does not accept reach it.
    let entry =
        std::fs::read_to_string(data().join("models/scorer-1.0.0-entry-narrower-ranges.json"))
            .unwrap();
    let _: govproof::registry::Entry = serde_json::from_str(&entry).unwrap();
    let (checked, text) = run(
        "valid/fixture.toml",
        Some(model("models/scorer-1.0.0-entry-narrower-ranges.json")),
    );
    assert!(checked.policy.is_none());
    assert_eq!(checked.diagnostics.errors(), 2, "{text}");
    insta::assert_snapshot!("model_mismatch__narrower_ranges", text);
}

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

/// A fixture path relative to the package root, which is where cargo runs tests: diagnostics
/// then show this relative path.
fn rel(p: &str) -> PathBuf {
    PathBuf::from("tests/data/policies").join(p)
}

#[test]
fn check_exits_by_outcome_and_speaks_json() {
    let (exit, out, err) = cli(PolicyCommand::Check {
        files: vec![rel("valid/fixture.toml")],
        model: None,
        now: Some(now()),
        format: Format::Text,
    });
    assert_eq!(exit, Exit::Success);
    assert_eq!(
        out,
        "tests/data/policies/valid/fixture.toml: ok (0 errors, 0 warnings)\n"
    );
    assert_eq!(err, "");

    let (exit, out, err) = cli(PolicyCommand::Check {
        files: vec![rel("valid/fixture.toml"), rel("broken/band-gap.toml")],
        model: None,
        now: Some(now()),
        format: Format::Text,
    });
    assert_eq!(exit, Exit::Rejected);
    insta::assert_snapshot!("cli_check_text_out", out);
    insta::assert_snapshot!("cli_check_text_err", err);

    let (exit, out, err) = cli(PolicyCommand::Check {
        files: vec![rel("broken/band-overlap.toml")],
        model: Some(rel("models/scorer-1.0.0.json")),
        now: Some(now()),
        format: Format::Json,
    });
    assert_eq!(exit, Exit::Rejected);
    assert_eq!(err, "");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["files"][0]["diagnostics"][0]["code"], "band-overlap");
    insta::assert_snapshot!("cli_check_json", out);
}

#[test]
fn check_uses_the_clock_unless_told_the_time() {
    // `window-ended` expired in 2021: refused today as with `--now`; with a `--now` before the
    // end it is fine.
    let (exit, _, _) = cli(PolicyCommand::Check {
        files: vec![rel("broken/window-ended.toml")],
        model: None,
        now: None,
        format: Format::Text,
    });
    assert_eq!(exit, Exit::Rejected);
    let (exit, _, err) = cli(PolicyCommand::Check {
        files: vec![rel("broken/window-ended.toml")],
        model: None,
        now: Some("2020-06-01T00:00:00Z".parse().unwrap()),
        format: Format::Text,
    });
    assert_eq!(exit, Exit::Success, "{err}");
}

#[test]
fn unreadable_inputs_are_errors_not_verdicts() {
    // An unreadable file among others: the others are still checked, and the run is an error
    // (exit 1), not a verdict on the policies.
    let files = vec![
        PathBuf::from("tests/data/policies/no-such-policy.toml"),
        PathBuf::from("tests/data/policies/broken/band-gap.toml"),
        PathBuf::from("tests/data/policies/valid/fixture.toml"),
    ];
    let mut out = Vec::new();
    let mut err = Vec::new();
    let exit = run_policy(
        PolicyCommand::Check {
            files: files.clone(),
            model: None,
            now: Some(now()),
            format: Format::Text,
        },
        &mut out,
        &mut err,
    )
    .unwrap();
    assert_eq!(exit, Exit::Error);
    let (out, err) = (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    );
    assert!(
        err.starts_with("error: cannot read `tests/data/policies/no-such-policy.toml`: "),
        "{err}"
    );
    assert!(err.contains("error[band-gap]"), "{err}");
    assert!(out.contains("band-gap.toml: refused"), "{out}");
    assert!(out.contains("fixture.toml: ok"), "{out}");

    let mut out = Vec::new();
    let exit = run_policy(
        PolicyCommand::Check {
            files,
            model: None,
            now: Some(now()),
            format: Format::Json,
        },
        &mut out,
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(exit, Exit::Error);
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["ok"], false);
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert!(files[0]["error"]
        .as_str()
        .unwrap()
        .starts_with("cannot read"));
    assert_eq!(files[1]["ok"], false);
    assert_eq!(files[2]["ok"], true);

    let mut out = Vec::new();
    let mut err = Vec::new();
    let e = run_policy(
        PolicyCommand::Check {
            files: vec![data().join("valid/fixture.toml")],
            model: Some(data().join("valid/fixture.toml")),
            now: Some(now()),
            format: Format::Text,
        },
        &mut out,
        &mut err,
    )
    .unwrap_err();
    assert!(e.to_string().contains("has no `features` list"), "{e}");
}

/// With a model's weights, `policy check --model` warns about bands no input in the declared
/// ranges can reach and gates decided one way for all of them; the policy stays valid.
#[test]
fn a_model_with_weights_shows_bands_it_can_never_reach() {
    use govproof::circuits::QuantizedModel;
    use govproof::policy::model_schema::ModelFeature;

    // Every weight zero: the score is the bias, log-odds 0, 600 points: only `middle` is reached.
    let mut flat = model("models/scorer-1.0.0.json");
    flat.weights = Some(QuantizedModel::linear(&[0, 0, 0], 0).unwrap());
    let (checked, text) = run("valid/fixture.toml", Some(flat.clone()));
    assert!(checked.policy.is_some(), "{text}");
    let unreachable: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::BandUnreachable)
        .collect();
    assert_eq!(unreachable.len(), 2, "{text}");
    assert!(checked
        .diagnostics
        .iter()
        .all(|d| d.severity == Severity::Warning));
    insta::assert_snapshot!("model_weights__unreachable_bands", text);

    // Up with income, down with debt: -1000 to 1000 log-odds, every band reachable.
    flat.weights = Some(QuantizedModel::linear(&[0, 1 << 16, -100 << 16], 0).unwrap());
    let (checked, text) = run("valid/fixture.toml", Some(flat));
    assert!(checked.diagnostics.is_empty(), "{text}");

    // A fraud gate whose model can never reach the threshold probability stops no payment.
    let policy = "../../../policies/card-fraud-gate.toml";
    let (plain, _) = run(policy, None);
    let names: Vec<ModelFeature> = plain
        .policy
        .unwrap()
        .features()
        .iter()
        .map(|f| ModelFeature {
            name: f.name.to_string(),
            min: None,
            max: None,
        })
        .collect();
    let n = names.len();
    let fraud = ModelSchema {
        source: "fraud-model.json".into(),
        id: None,
        version: None,
        profile: None,
        features: names,
        weights: Some(QuantizedModel::linear(&vec![0; n], -5 << 16).unwrap()),
    };
    let (checked, text) = run(policy, Some(fraud));
    assert!(checked.policy.is_some(), "{text}");
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::GateConstant], "{text}");
    assert!(text.contains("every decision is `approve`"), "{text}");
}
