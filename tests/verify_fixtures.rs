//! `govproof verify` on every fixture folder under `tests/data/bundles/`: each `valid/` bundle
//! verifies (exit 0), each `rejected/` bundle is rejected (exit 2) with exactly the failing checks
//! its `expect.json` names, and nothing is left unchecked. Plus snapshots of the human and JSON
//! reports.

#![allow(clippy::unwrap_used)]

use crate::bundle_support;

use crate::toolchain_support;
use bundle_support::*;
use govproof::cli::Exit;

#[test]
fn every_fixture_is_judged_as_its_folder_says() {
    let bb = bb();
    let mut seen = 0;
    for (valid, dir) in fixture_dirs() {
        let scratch = tempfile::tempdir().unwrap();
        let expect = Expect::read(&dir);
        let (exit, out, err) = govproof(&verify_args(&dir, scratch.path(), &bb, true));
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if expect.exit == Some(1) {
            assert_eq!(exit, Exit::Error, "{name}: exit code\n{out}\n{err}");
            assert!(err.contains("trust state"), "{name}: {err}");
            seen += 1;
            continue;
        }
        let report: serde_json::Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{name}: not JSON ({e}):\n{out}\n{err}"));
        let failed: Vec<String> = report["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let errors: Vec<&serde_json::Value> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "error")
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: checks could not run: {errors:?}"
        );
        assert_eq!(
            failed, expect.failing,
            "{name} ({}): failing checks\n{out}",
            expect.why
        );
        let want = if valid { Exit::Success } else { Exit::Rejected };
        assert_eq!(exit, want, "{name}: exit code\n{out}\n{err}");
        if valid {
            assert!(
                report["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| c["name"] == "proof")
                    .all(|c| c["status"] == "pass"),
                "{name}: the proof must have been checked"
            );
        }
        seen += 1;
    }
    assert!(seen >= 25, "only {seen} fixture folders");
}

#[test]
fn a_valid_bundle_advances_the_trust_state_and_a_rejected_one_does_not() {
    let bb = bb();
    let scratch = tempfile::tempdir().unwrap();
    let state = scratch.path().join("state.json");
    let dir = fixtures().join("valid/band");
    let mut args = verify_args(&dir, scratch.path(), &bb, false);
    args.extend(["--state".to_string(), state.display().to_string()]);
    let (exit, out, err) = govproof(&args);
    assert_eq!(exit, Exit::Success, "{out}\n{err}");
    assert!(err.contains("updated: newest accepted snapshot 2"), "{err}");
    let written = std::fs::read(&state).unwrap();
    // The same bundle again: not a rollback.
    let (exit, out, _) = govproof(&args);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains("newest snapshot accepted: 2"), "{out}");
    // A rejected bundle leaves the state alone.
    let bad = fixtures().join("rejected/flipped-proof-byte");
    let mut args = verify_args(&bad, scratch.path(), &bb, false);
    args.extend(["--state".to_string(), state.display().to_string()]);
    let (exit, _, err) = govproof(&args);
    assert_eq!(exit, Exit::Rejected);
    assert!(!err.contains("updated"), "{err}");
    assert_eq!(std::fs::read(&state).unwrap(), written);
}

#[test]
fn inputs_that_cannot_be_used_exit_1_and_change_nothing() {
    let bb = bb();
    let scratch = tempfile::tempdir().unwrap();
    let dir = fixtures().join("valid/band");
    let bundle = dir.join("bundle.json").display().to_string();
    let root = fixtures().join("trust/root.json").display().to_string();
    let bb = bb.display().to_string();
    // A missing bundle, a missing root, a root that is not a root, a policy with errors.
    let missing = scratch.path().join("missing.json").display().to_string();
    let not_root = fixtures()
        .join("valid/band-with-policy-and-state/state.json")
        .display()
        .to_string();
    let broken_policy = scratch.path().join("broken.toml");
    std::fs::write(&broken_policy, "[policy]\nid = 3\n").unwrap();
    let broken_policy = broken_policy.display().to_string();
    for args in [
        vec!["verify", &missing, "--trust", &root, "--bb", &bb],
        vec!["verify", &bundle, "--trust", &missing, "--bb", &bb],
        vec!["verify", &bundle, "--trust", &not_root, "--bb", &bb],
        vec![
            "verify",
            &bundle,
            "--trust",
            &root,
            "--policy",
            &broken_policy,
            "--bb",
            &bb,
        ],
    ] {
        let (exit, out, err) = govproof(&args);
        assert_eq!(exit, Exit::Error, "{args:?}\n{out}\n{err}");
        assert!(
            err.starts_with("error: ") || err.contains("\nerror: "),
            "{err}"
        );
    }
    // A bb that does not exist: the proof check cannot run (exit 1), the rest is reported.
    let (exit, out, _) = govproof(&[
        "verify",
        &bundle,
        "--trust",
        &root,
        "--allow-dev-setup",
        "--bb",
        &missing,
    ]);
    assert_eq!(exit, Exit::Error, "{out}");
    assert!(out.contains("ERROR proof"), "{out}");
    assert!(out.contains("COULD NOT CHECK: proof"), "{out}");
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 1);
}

#[test]
fn reports_are_stable() {
    let bb = bb();
    let scratch = tempfile::tempdir().unwrap();
    for (name, json) in [
        ("valid/band-with-policy-and-state", false),
        ("valid/band-with-policy-and-state", true),
        ("valid/gate-with-policy", false),
        ("rejected/changed-band", false),
        ("rejected/development-setup-without-flag", false),
        ("rejected/malformed-json", true),
    ] {
        let dir = fixtures().join(name);
        let (_, out, _) = govproof(&verify_args(&dir, scratch.path(), &bb, json));
        let kind = if json { "json" } else { "text" };
        insta::assert_snapshot!(format!("{}-{kind}", name.replace('/', "-")), redact(&out));
    }
}

#[test]
fn an_ignition_claim_is_never_valid_for_a_development_proof() {
    use govproof::bundle::{BundleVerifier, CheckName, Status, Verdict, VerifyOptions};
    use govproof::registry::{Signed, TrustState};
    // The band bundle relabelled as an Ignition proof.
    let text = std::fs::read_to_string(fixtures().join("valid/band/bundle.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["setup"] = serde_json::json!("ignition");
    let relabelled = serde_json::to_vec(&v).unwrap();
    let root: Signed<govproof::registry::Root> =
        serde_json::from_slice(&std::fs::read(fixtures().join("trust/root.json")).unwrap())
            .unwrap();
    let work = tempfile::tempdir().unwrap();
    let crs = toolchain_support::ignition_513().unwrap_or_else(|| work.path().join("no-crs"));
    let mut verifier = BundleVerifier::new(VerifyOptions {
        trust: TrustState::bootstrap(root).unwrap(),
        policy: None,
        acceptance: govproof::setup::AcceptancePolicy::ignition_only(),
        bb: Some(bb()),
        work_dir: work.path().to_path_buf(),
        ignition_crs: Some(crs),
    });
    let report = verifier.verify(&relabelled);
    let status = |name| report.checks().iter().find(|c| c.name == name).unwrap();
    let pins = govproof::bundle::keys::pinned().unwrap();
    let pinned = pins
        .circuit("mlp-24x16-d20-b8-s16-p8-m4")
        .unwrap()
        .key(
            govproof::setup::SetupId::Ignition,
            govproof::prover::ProofTarget::NoirRecursive,
        )
        .is_some();
    if pinned {
        // The Ignition key is not the development key the bundle names.
        assert_eq!(
            report.verdict(),
            Verdict::Invalid,
            "{}",
            report.render_text()
        );
    } else {
        // Without the key, and without the 2^14 Ignition points to compute it, there is no
        // verdict: exit 1, and the proof is not even looked at.
        assert_eq!(
            report.verdict(),
            Verdict::CouldNotCheck,
            "{}",
            report.render_text()
        );
        let circuit = status(CheckName::Circuit);
        assert_eq!(circuit.status, Status::Error);
        assert!(circuit.detail.contains("not pinned"), "{}", circuit.detail);
        assert_eq!(status(CheckName::Proof).status, Status::Skip);
    }
}

#[test]
fn the_binary_exits_1_on_usage_errors_and_2_on_invalid_bundles() {
    let bin = env!("CARGO_BIN_EXE_govproof");
    let dir = fixtures().join("rejected/malformed-json");
    let root = fixtures().join("trust/root.json");
    // No --trust: a usage error is "could not check", never "invalid".
    let status = std::process::Command::new(bin)
        .args(["verify", &dir.join("bundle.json").display().to_string()])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1), "{status:?}");
    let status = std::process::Command::new(bin)
        .args([
            "verify",
            &dir.join("bundle.json").display().to_string(),
            "--trust",
            &root.display().to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(2), "{status:?}");
    let help = std::process::Command::new(bin)
        .args(["verify", "--help"])
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0));
}
