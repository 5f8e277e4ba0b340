//! `govproof demo`, in-process, with the development setup (offline): it writes everything under
//! the folder it is given, the bundle it made verifies with `govproof verify` run on those files,
//! and it refuses to write into a folder that is not empty.

#![allow(clippy::unwrap_used)]

use crate::bundle_support;

use bundle_support::*;
use govproof_cli::Exit;

#[test]
fn demo_proves_verifies_and_leaves_files_a_regulator_can_check_again() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("demo");
    let dir_arg = dir.display().to_string();
    let (exit, out, err) = govproof(&["demo", "--dev-setup", "--dir", &dir_arg]);
    assert_eq!(exit, Exit::Success, "{out}\n{err}");
    assert!(out.contains("!! DEVELOPMENT SETUP"), "{out}");
    assert!(
        out.contains("VALID (development setup: not evidence): every check that ran passed"),
        "{out}"
    );
    assert!(out.contains("10. tamper"), "{out}");
    assert!(out.contains("INVALID (failed proof)"), "{out}");
    for file in [
        "bundle.json",
        "opening.json",
        "policy.toml",
        "model.govproof",
        "application.json",
        "report.txt",
        "report.json",
        "root.json",
        "keys/governance-1.key",
        "registry/registry.json",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("opening.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the opening must be private");
    }
    let bb = bb().display().to_string();
    let (exit, out, _) = govproof(&[
        "verify",
        &dir.join("bundle.json").display().to_string(),
        "--trust",
        &dir.join("root.json").display().to_string(),
        "--policy",
        &dir.join("policy.toml").display().to_string(),
        "--dev-setup",
        "--bb",
        &bb,
    ]);
    // The demo proves with the development setup: valid, and never reported as evidence.
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    assert!(out.contains("SKIP  opening"), "{out}");

    // The applicant's opening: the decision was proved on these features. An opening of other
    // features (consistent in itself) fails the check, and so does the lender's file with the
    // features edited (the applicant's true ones): "not made on these features", exit 2.
    let verify_with_opening = |opening: &std::path::Path| {
        govproof(&[
            "verify",
            &dir.join("bundle.json").display().to_string(),
            "--trust",
            &dir.join("root.json").display().to_string(),
            "--policy",
            &dir.join("policy.toml").display().to_string(),
            "--dev-setup",
            "--bb",
            &bb,
            "--opening",
            &opening.display().to_string(),
        ])
    };
    let (exit, out, _) = verify_with_opening(&dir.join("opening.json"));
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    assert!(out.contains("PASS  opening"), "{out}");
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("opening.json")).unwrap()).unwrap();
    let mut values: Vec<i64> = original["features_fixed_point"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    values[0] += 1;
    let salt: govproof::field::Field = serde_json::from_value(original["salt"].clone()).unwrap();
    let other = govproof::circuits::Features::new(values.clone()).unwrap();
    let forged = serde_json::json!({
        "features_fixed_point": values,
        "salt": salt,
        "commitment": other.commitment(salt),
    });
    let forged_path = scratch.path().join("other-features.json");
    std::fs::write(&forged_path, forged.to_string()).unwrap();
    let (exit, out, _) = verify_with_opening(&forged_path);
    assert_eq!(exit, Exit::Rejected, "{out}");
    assert!(out.contains("FAIL  opening"), "{out}");
    let mut damaged = original.clone();
    damaged["features_fixed_point"][0] = forged["features_fixed_point"][0].clone();
    let damaged_path = scratch.path().join("damaged.json");
    std::fs::write(&damaged_path, damaged.to_string()).unwrap();
    let (exit, out, _) = verify_with_opening(&damaged_path);
    assert_eq!(exit, Exit::Rejected, "{out}");
    assert!(
        out.contains("this decision was not made on these features"),
        "{out}"
    );

    // A folder that is not empty is refused, and left as it was.
    let before = std::fs::read_dir(&dir).unwrap().count();
    let (exit, _, err) = govproof(&["demo", "--dev-setup", "--dir", &dir_arg]);
    assert_eq!(exit, Exit::Error);
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before);
}
