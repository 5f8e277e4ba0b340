//! `govproof verify` on every fixture folder under `tests/data/bundles/`: each `valid/` bundle
//! verifies (exit 0), each `rejected/` bundle is rejected (exit 2) with exactly the failing checks
//! its `expect.json` names, and nothing is left unchecked. Plus snapshots of the human and JSON
//! reports.

#![allow(clippy::unwrap_used)]

use crate::bundle_support;

use bundle_support::*;
use govproof_cli::Exit;

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
        let verdict = expect
            .verdict
            .clone()
            .unwrap_or_else(|| if valid { "valid" } else { "invalid" }.to_string());
        // Every fixture is a development-setup proof: one that passes is never plain valid,
        // its verdict says that it is not evidence (exit 4), with or without its policy.
        let development = report["setup"]
            .as_object()
            .is_some_and(|s| s.contains_key("development"));
        assert!(
            development || !valid,
            "{name}: the fixtures are development proofs\n{out}"
        );
        let verdict = if valid {
            "valid-development-setup".to_string()
        } else {
            verdict
        };
        assert_eq!(report["result"], verdict.as_str(), "{name}: verdict\n{out}");
        let want = match verdict.as_str() {
            "valid" => Exit::Success,
            "valid-policy-not-checked" => Exit::PolicyNotChecked,
            "valid-development-setup" => Exit::DevelopmentSetup,
            "invalid" => Exit::Rejected,
            other => panic!("{name}: unknown verdict `{other}`"),
        };
        assert_eq!(exit, want, "{name}: exit code\n{out}\n{err}");
        // The policy's words are facts exactly when the policy check passed; a plain `valid`
        // needs that, a valid bundle without its policy lists them as unchecked.
        let policy_passed = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "policy" && c["status"] == "pass");
        assert_eq!(report["policy_checked"], policy_passed, "{name}\n{out}");
        let stated = expect
            .verdict
            .clone()
            .unwrap_or_else(|| if valid { "valid" } else { "invalid" }.to_string());
        match stated.as_str() {
            "valid" => assert!(policy_passed, "{name}: valid without the policy\n{out}"),
            "valid-policy-not-checked" => {
                let unchecked: Vec<&str> = report["unchecked"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["claim"].as_str().unwrap())
                    .collect();
                assert!(unchecked.contains(&"policy.id"), "{name}: {unchecked:?}");
                assert!(unchecked.contains(&"decision.outcome.outcome"), "{name}");
                assert!(report["policy"].get("id").is_none(), "{name}\n{out}");
                assert!(
                    report["decision"]["outcome"].get("outcome").is_none(),
                    "{name}"
                );
            }
            _ => {}
        }
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
    assert!(seen >= 31, "only {seen} fixture folders");
}

#[test]
fn a_valid_bundle_advances_the_trust_state_and_a_rejected_one_does_not() {
    let bb = bb();
    let scratch = tempfile::tempdir().unwrap();
    let state = scratch.path().join("state.json");
    let dir = fixtures().join("valid/band");
    let mut args = verify_args(&dir, scratch.path(), &bb, false);
    args.extend(["--state".to_string(), state.display().to_string()]);
    // A development proof (exit 4: not evidence), checked without its policy file; the registry
    // held, so the state advances all the same.
    let (exit, out, err) = govproof(&args);
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}\n{err}");
    assert!(err.contains("updated: newest accepted snapshot 2"), "{err}");
    let written = std::fs::read(&state).unwrap();
    // The same bundle again: not a rollback.
    let (exit, out, _) = govproof(&args);
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
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
    // Verifying needs no bb: with a bb that does not exist the proof is still checked in-process.
    let (exit, out, _) = govproof(&[
        "verify",
        &bundle,
        "--trust",
        &root,
        "--dev-setup",
        "--bb",
        &missing,
    ]);
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    assert!(out.contains("PASS  proof"), "{out}");
    assert!(out.contains("bb not used"), "{out}");
    // Asked to cross-check with a bb that does not exist: the proof check cannot be completed
    // (exit 1), the rest is reported.
    let (exit, out, _) = govproof(&[
        "verify",
        &bundle,
        "--trust",
        &root,
        "--dev-setup",
        "--cross-check-bb",
        "--bb",
        &missing,
    ]);
    assert_eq!(exit, Exit::Error, "{out}");
    assert!(out.contains("ERROR proof"), "{out}");
    assert!(out.contains("COULD NOT CHECK: proof"), "{out}");
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 1);
}

/// `--cross-check-bb`: bb agrees with the in-process verifier on a valid bundle and on every
/// rejected fixture whose proof check fails.
#[test]
fn bb_agrees_with_the_in_process_verifier_when_asked_to_cross_check() {
    let bb = bb().display().to_string();
    let root = fixtures().join("trust/root.json").display().to_string();
    for (case, want_pass) in [
        ("valid/band", true),
        ("rejected/flipped-proof-byte", false),
        ("rejected/changed-band", false),
    ] {
        let bundle = fixtures()
            .join(case)
            .join("bundle.json")
            .display()
            .to_string();
        let (_, out, err) = govproof(&[
            "verify",
            &bundle,
            "--trust",
            &root,
            "--dev-setup",
            "--cross-check-bb",
            "--bb",
            &bb,
        ]);
        let line = out
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some("proof"))
            .unwrap_or_else(|| panic!("{case}: no proof line\n{out}\n{err}"));
        if want_pass {
            assert!(
                line.contains("PASS") && line.contains("bb alike"),
                "{case}: {line}"
            );
        } else {
            assert!(line.contains("FAIL"), "{case}: {line}");
        }
    }
}

#[test]
fn reports_are_stable() {
    let bb = bb();
    let scratch = tempfile::tempdir().unwrap();
    for (name, json) in [
        ("valid/relabelled-words-without-policy", false),
        ("valid/relabelled-words-without-policy", true),
        ("rejected/opening-features-edited", false),
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
    use govproof::bundle::{BundleVerifier, CheckName, CheckStatus, Verdict, VerifyOptions};
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
    let crs = govproof_testkit::ignition_513().unwrap_or_else(|| work.path().join("no-crs"));
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
        assert_eq!(circuit.status, CheckStatus::Error);
        assert!(circuit.detail.contains("not pinned"), "{}", circuit.detail);
        assert_eq!(status(CheckName::Proof).status, CheckStatus::Skip);
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

/// Runs `govproof ARGS` in-process on another thread, failing (instead of hanging the suite) if
/// it does not return: a guard against a read that blocks, not a timing.
fn govproof_or_hang(args: Vec<String>) -> (Exit, String, String) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(govproof(&args));
    });
    rx.recv_timeout(std::time::Duration::from_secs(120))
        .expect("govproof verify blocked on an input file")
}

#[cfg(unix)]
#[test]
fn inputs_that_are_not_regular_files_are_refused_at_once() {
    let bb = bb().display().to_string();
    let scratch = tempfile::tempdir().unwrap();
    let zero = scratch.path().join("bundle-to-dev-zero.json");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let fifo = scratch.path().join("fifo.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (zero, fifo) = (zero.display().to_string(), fifo.display().to_string());
    let bundle = fixtures()
        .join("valid/band/bundle.json")
        .display()
        .to_string();
    let root = fixtures().join("trust/root.json").display().to_string();
    let policy = fixtures()
        .join(format!("policies/{BAND_POLICY}.toml"))
        .display()
        .to_string();
    let dir = scratch.path().display().to_string();
    let base = |b: &str, t: &str| {
        vec![
            "verify".to_string(),
            b.to_string(),
            "--trust".to_string(),
            t.to_string(),
            "--dev-setup".to_string(),
            "--bb".to_string(),
            bb.clone(),
        ]
    };
    let with = |mut args: Vec<String>, flag: &str, value: &str| {
        args.extend([flag.to_string(), value.to_string()]);
        args
    };
    for (args, what) in [
        (base(&zero, &root), "a character device"),
        (base(&fifo, &root), "a FIFO"),
        (base(&bundle, &zero), "a character device"),
        (base(&bundle, &fifo), "a FIFO"),
        (
            with(base(&bundle, &root), "--policy", &zero),
            "a character device",
        ),
        (with(base(&bundle, &root), "--policy", &fifo), "a FIFO"),
        (
            with(base(&bundle, &root), "--opening", &zero),
            "a character device",
        ),
        (with(base(&bundle, &root), "--opening", &fifo), "a FIFO"),
    ] {
        let (exit, out, err) = govproof_or_hang(args.clone());
        assert_eq!(exit, Exit::Error, "{args:?}\n{out}\n{err}");
        assert!(
            err.contains(&format!("is not a regular file ({what})")),
            "{args:?}\n{err}"
        );
    }
    // A folder is a folder of bundles: the device link and the FIFO in it are each one bundle
    // that could not be checked, refused at once.
    let (exit, out, err) = govproof_or_hang(base(&dir, &root));
    assert_eq!(exit, Exit::Error, "{out}\n{err}");
    assert!(out.contains("is not a regular file (a FIFO)"), "{out}");
    assert!(
        out.contains("is not a regular file (a character device)"),
        "{out}"
    );
    // In a batch, a bundle that is not a regular file is one bundle that could not be checked.
    let (exit, out, _) = govproof_or_hang(
        with(base(&bundle, &root), "--policy", &policy)
            .into_iter()
            .chain([zero.clone(), fifo.clone()])
            .collect(),
    );
    assert_eq!(exit, Exit::Error, "{out}");
    assert!(
        out.contains(
            "3 bundles: 0 valid, 0 valid (policy not checked), 1 valid (development setup: not \
             evidence), 2 could not check, 0 invalid"
        ),
        "{out}"
    );
    assert!(out.contains("is not a regular file (a FIFO)"), "{out}");
}

#[test]
fn a_policy_file_above_its_limit_is_refused() {
    let bb = bb().display().to_string();
    let scratch = tempfile::tempdir().unwrap();
    // The real policy, padded with a comment past the limit: refused before it is parsed.
    let mut text = fixture_policy_text(BAND_POLICY);
    text.push('#');
    text.push_str(&"x".repeat(govproof::policy::MAX_POLICY_BYTES as usize));
    text.push('\n');
    let padded = scratch.path().join("padded.toml");
    std::fs::write(&padded, text).unwrap();
    let (exit, out, err) = govproof(&[
        "verify",
        &fixtures()
            .join("valid/band/bundle.json")
            .display()
            .to_string(),
        "--trust",
        &fixtures().join("trust/root.json").display().to_string(),
        "--policy",
        &padded.display().to_string(),
        "--dev-setup",
        "--bb",
        &bb,
    ]);
    assert_eq!(exit, Exit::Error, "{out}\n{err}");
    assert!(
        err.contains(&format!(
            "is larger than the limit of {} bytes",
            govproof::policy::MAX_POLICY_BYTES
        )),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");
}

#[test]
fn a_trust_state_that_cannot_be_written_is_the_outcome_not_a_valid_report() {
    let bb = bb();
    let scratch = tempfile::tempdir().unwrap();
    let dir = fixtures().join("valid/band-with-policy-and-state");
    let state = scratch.path().join("no-such-folder/state.json");
    let mut args = verify_args(&dir, scratch.path(), &bb, false);
    // Replace the fixture's state with one in a folder that does not exist.
    let at = args.iter().position(|a| a == "--state").unwrap();
    args[at + 1] = state.display().to_string();
    let (exit, out, err) = govproof(&args);
    assert_eq!(exit, Exit::Error, "{out}\n{err}");
    assert!(!out.contains("VALID"), "{out}");
    assert!(
        out.contains(
            "COULD NOT CHECK: the trust state was not written (cannot write the trust state"
        ),
        "{out}"
    );
    assert!(!state.exists());
    // The same in JSON: one result, one exit code.
    let mut json_args = args.clone();
    json_args.extend(["--format".to_string(), "json".to_string()]);
    let (exit, out, _) = govproof(&json_args);
    assert_eq!(exit, Exit::Error);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["result"], "could-not-check");
    assert_eq!(doc["exit_code"], 1);
    assert!(
        doc["state_error"].as_str().unwrap().contains("trust state"),
        "{doc}"
    );
    // A state that can be written is written before the report says valid.
    let ok = scratch.path().join("state.json");
    args[at + 1] = ok.display().to_string();
    let (exit, out, _) = govproof(&args);
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    assert!(
        out.contains("VALID (development setup: not evidence): every check that ran passed"),
        "{out}"
    );
    assert!(ok.exists());
}

#[test]
fn the_pinned_bb_prints_exactly_the_build_bundles_must_name() {
    let out = std::process::Command::new(bb())
        .arg("--version")
        .output()
        .unwrap();
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed.trim(), govproof::bundle::PINNED_BB_BUILD);
}
