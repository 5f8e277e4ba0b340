//! `govproof model import | inspect | certificate`, run in-process: what they print (snapshots),
//! the exit codes, and that a refused import leaves the disk as it was.

#![allow(clippy::unwrap_used)]

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use clap::Parser;

use govproof::model::Certificate;
use govproof_cli::{run, Cli, Exit};

fn fixture(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/models")
        .join(kind)
        .join(name)
}

fn govproof(args: &[OsString]) -> (Exit, String, String) {
    let mut all = vec![OsString::from("govproof")];
    all.extend_from_slice(args);
    let cli = Cli::try_parse_from(all).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = run(cli, &mut out, &mut err);
    (
        exit,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn import_args(dir: &Path, out: &Path) -> Vec<OsString> {
    vec![
        "model".into(),
        "import".into(),
        dir.join("model.onnx").into(),
        "--features".into(),
        dir.join("schema.toml").into(),
        "--calibration".into(),
        dir.join("calibration.csv").into(),
        "--out".into(),
        out.into(),
        "--id".into(),
        "credit-gbt".into(),
        "--version".into(),
        "2.0.0".into(),
        "--no-compile".into(),
    ]
}

#[test]
fn import_then_inspect_and_extract_the_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("gbt.govproof");
    let (exit, stdout, stderr) = govproof(&import_args(&fixture("accepted", "gbt_sklearn"), &out));
    assert_eq!(exit, Exit::Success, "{stderr}");
    assert!(stdout.starts_with("recognised: tree ensemble, 4 features, 8 trees of depth up to 3"));

    let (exit, inspect, _) = govproof(&["model".into(), "inspect".into(), out.clone().into()]);
    assert_eq!(exit, Exit::Success);
    insta::assert_snapshot!("inspect_gbt", inspect);

    let cert = tmp.path().join("cert.json");
    let (exit, _, stderr) = govproof(&[
        "model".into(),
        "certificate".into(),
        out.into(),
        "--out".into(),
        cert.clone().into(),
    ]);
    assert_eq!(exit, Exit::Success, "{stderr}");
    let value: serde_json::Value = serde_json::from_slice(&fs::read(&cert).unwrap()).unwrap();
    assert!(value.is_object());
    let parsed: Certificate = serde_json::from_value(value).unwrap();
    assert_eq!(parsed.calibration.rows, 60);
}

#[test]
fn a_refused_import_exits_2_and_leaves_the_output_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("model.govproof");
    fs::write(&out, "previous contents").unwrap();
    for (case, message) in [
        ("unsupported_operator_tanh", "operator `Tanh`"),
        ("shape_mismatch_with_schema", "takes 5 features"),
        ("malformed_truncated", "not an ONNX model"),
    ] {
        let (exit, _, stderr) = govproof(&import_args(&fixture("refused", case), &out));
        assert_eq!(exit, Exit::Rejected, "{case}: {stderr}");
        assert!(stderr.contains(message), "{case}: {stderr}");
        assert_eq!(fs::read_to_string(&out).unwrap(), "previous contents");
    }
    // An error that is not about the model (a missing file) exits 1.
    let mut args = import_args(&fixture("accepted", "gbt_sklearn"), &out);
    args[4] = tmp.path().join("missing.toml").into();
    let (exit, _, stderr) = govproof(&args);
    assert_eq!(exit, Exit::Error, "{stderr}");
    assert!(stderr.contains("missing.toml"), "{stderr}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "previous contents");
}

#[test]
fn inspect_refuses_a_tampered_model_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.govproof");
    let (exit, _, _) = govproof(&import_args(&fixture("accepted", "logistic_sklearn"), &out));
    assert_eq!(exit, Exit::Success);
    let mut doc: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    doc["weights"][0] = (doc["weights"][0].as_i64().unwrap() + 1).into();
    fs::write(&out, serde_json::to_vec(&doc).unwrap()).unwrap();
    let (exit, _, stderr) = govproof(&["model".into(), "inspect".into(), out.clone().into()]);
    assert_eq!(exit, Exit::Error);
    assert!(
        stderr.contains("the weights commitment does not match the weights"),
        "{stderr}"
    );
    doc["surprise"] = true.into();
    fs::write(&out, serde_json::to_vec(&doc).unwrap()).unwrap();
    let (_, _, stderr) = govproof(&["model".into(), "inspect".into(), out.into()]);
    assert!(stderr.contains("unknown field `surprise`"), "{stderr}");
}

#[test]
fn a_profile_other_than_the_policys_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/german_credit");
    let out = tmp.path().join("gbt.govproof");
    let (exit, _, stderr) = govproof(&[
        "model".into(),
        "import".into(),
        example.join("models/gbt.onnx").into(),
        "--features".into(),
        example.join("features.toml").into(),
        "--calibration".into(),
        example.join("data/german_credit.csv").into(),
        "--policy".into(),
        example.join("policies/german-credit-gbt.toml").into(),
        "--profile".into(),
        "trees-20-30x3-d20-b4-s4-p2-m2".into(),
        "--out".into(),
        out.clone().into(),
        "--no-compile".into(),
    ]);
    assert_eq!(exit, Exit::Error, "{stderr}");
    assert!(
        stderr.contains("is for profile `trees-20-30x3-d20-b8-s16-p8-m4`"),
        "{stderr}"
    );
    assert!(!out.exists());
}
