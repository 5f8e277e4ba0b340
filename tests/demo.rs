//! `govproof demo`, in-process, with the development setup (offline): it writes everything under
//! the folder it is given, the bundle it made verifies with `govproof verify` run on those files,
//! and it refuses to write into a folder that is not empty.

#![allow(clippy::unwrap_used)]

use crate::bundle_support;

use bundle_support::*;
use govproof::cli::Exit;

#[test]
fn demo_proves_verifies_and_leaves_files_a_regulator_can_check_again() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("demo");
    let dir_arg = dir.display().to_string();
    let (exit, out, err) = govproof(&["demo", "--dev-setup", "--dir", &dir_arg]);
    assert_eq!(exit, Exit::Success, "{out}\n{err}");
    assert!(out.contains("!! DEVELOPMENT SETUP"), "{out}");
    assert!(out.contains("VALID: every check passed"), "{out}");
    assert!(out.contains("10. tamper"), "{out}");
    assert!(out.contains("INVALID (failed proof)"), "{out}");
    for file in [
        "bundle.json",
        "opening.json",
        "policy.toml",
        "reference-model.json",
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
        "--allow-dev-setup",
        "--bb",
        &bb,
    ]);
    assert_eq!(exit, Exit::Success, "{out}");

    // A folder that is not empty is refused, and left as it was.
    let before = std::fs::read_dir(&dir).unwrap().count();
    let (exit, _, err) = govproof(&["demo", "--dev-setup", "--dir", &dir_arg]);
    assert_eq!(exit, Exit::Error);
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before);
}
