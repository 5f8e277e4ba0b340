//! `govproof::bundle::check_bytes`, the byte-level entry point the browser page calls: every
//! fixture folder without a trust state is judged exactly as `govproof verify` judges it (same
//! failing checks, same verdict), from bytes alone; and inputs that cannot be used are reports of
//! checks that could not run, never a panic.

#![allow(clippy::unwrap_used)]

use crate::bundle_support;

use bundle_support::*;
use govproof::bundle::{check_bytes, BytesInput, CheckName, CheckStatus, Report, Verdict};

fn read(dir: &std::path::Path, name: &str) -> Option<Vec<u8>> {
    let path = dir.join(name);
    path.exists().then(|| std::fs::read(path).unwrap())
}

fn root() -> Vec<u8> {
    std::fs::read(fixtures().join("trust/root.json")).unwrap()
}

fn band() -> Vec<u8> {
    std::fs::read(fixtures().join("valid/band/bundle.json")).unwrap()
}

fn input<'a>(bundle: &'a [u8], root: &'a [u8]) -> BytesInput<'a> {
    BytesInput {
        bundle,
        trust_root: root,
        policy: None,
        opening: None,
        now: time(DECISION_TIME),
        dev_setup: true,
    }
}

fn status(report: &Report, name: CheckName) -> CheckStatus {
    report
        .checks()
        .iter()
        .find(|c| c.name == name)
        .unwrap()
        .status
}

#[test]
fn every_fixture_without_a_state_is_judged_as_the_command_line_judges_it() {
    let root = root();
    let mut seen = 0;
    for (valid, dir) in fixture_dirs() {
        if dir.join("state.json").exists() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let expect = Expect::read(&dir);
        let bundle = std::fs::read(dir.join("bundle.json")).unwrap();
        let policy = read(&dir, "policy.toml");
        let opening = read(&dir, "opening.json");
        let report = check_bytes(&BytesInput {
            policy: policy.as_deref(),
            opening: opening.as_deref(),
            dev_setup: expect.args.iter().any(|a| a == "--dev-setup"),
            ..input(&bundle, &root)
        });
        let failed: Vec<&str> = report.failed().iter().map(CheckName::as_str).collect();
        assert_eq!(failed, expect.failing, "{name} ({})", expect.why);
        let want = if valid {
            Verdict::ValidDevelopmentSetup
        } else {
            Verdict::Invalid
        };
        assert_eq!(report.verdict(), want, "{name}\n{}", report.render_text());
        assert!(
            !report
                .checks()
                .iter()
                .any(|c| c.status == CheckStatus::Error),
            "{name}: a check could not run\n{}",
            report.render_text()
        );
        assert_eq!(
            report.to_json()["result"],
            report.verdict().as_str(),
            "{name}"
        );
        seen += 1;
    }
    assert!(seen >= 30, "only {seen} fixtures checked");
}

#[test]
fn a_development_proof_is_refused_without_dev_setup() {
    let (bundle, root) = (band(), root());
    let report = check_bytes(&BytesInput {
        dev_setup: false,
        ..input(&bundle, &root)
    });
    assert_eq!(report.verdict(), Verdict::Invalid);
    assert_eq!(report.failed(), vec![CheckName::Setup]);
}

#[test]
fn a_root_that_cannot_be_used_is_a_registry_check_that_could_not_run() {
    let bundle = band();
    let mut unsigned: serde_json::Value = serde_json::from_slice(&root()).unwrap();
    unsigned["signatures"] = serde_json::json!([]);
    let unsigned = serde_json::to_vec(&unsigned).unwrap();
    for (why, bad) in [
        ("empty", Vec::new()),
        ("not json", b"{not json".to_vec()),
        ("a bundle, not a root", band()),
        ("unsigned", unsigned),
        ("oversized", vec![b' '; (1 << 20) + 1]),
    ] {
        let report = check_bytes(&input(&bundle, &bad));
        assert_eq!(report.verdict(), Verdict::CouldNotCheck, "{why}");
        assert_eq!(
            status(&report, CheckName::Format),
            CheckStatus::Pass,
            "{why}"
        );
        assert_eq!(
            status(&report, CheckName::Registry),
            CheckStatus::Error,
            "{why}"
        );
        assert_eq!(
            status(&report, CheckName::Proof),
            CheckStatus::Skip,
            "{why}"
        );
        assert!(report.render_text().contains("trusted root"), "{why}");
        assert_eq!(report.to_json()["result"], "could-not-check", "{why}");
    }
}

#[test]
fn a_bundle_that_cannot_be_read_fails_the_format_check_whatever_else_is_given() {
    let root = root();
    for bad in [&b""[..], b"\xff\xfe", b"[]", b"{\"format\": 1}"] {
        for root in [&root[..], b"nonsense"] {
            let report = check_bytes(&BytesInput {
                policy: Some(b"\xff"),
                opening: Some(b"{"),
                ..input(bad, root)
            });
            assert_eq!(report.verdict(), Verdict::Invalid);
            assert_eq!(report.failed(), vec![CheckName::Format]);
        }
    }
}

#[test]
fn a_policy_or_opening_that_cannot_be_used_is_a_check_that_could_not_run() {
    let (bundle, root) = (band(), root());
    let broken_policy = b"[policy]\nid = 3\n".to_vec();
    for (why, policy) in [
        ("not utf-8", b"\xff\xfe".to_vec()),
        ("errors", broken_policy),
    ] {
        let report = check_bytes(&BytesInput {
            policy: Some(&policy),
            ..input(&bundle, &root)
        });
        assert_eq!(report.verdict(), Verdict::CouldNotCheck, "{why}");
        assert_eq!(
            status(&report, CheckName::Policy),
            CheckStatus::Error,
            "{why}"
        );
        // The proof itself was still checked.
        assert_eq!(
            status(&report, CheckName::Proof),
            CheckStatus::Pass,
            "{why}"
        );
    }
    let report = check_bytes(&BytesInput {
        opening: Some(b"{\"salt\": 1}"),
        ..input(&bundle, &root)
    });
    assert_eq!(report.verdict(), Verdict::CouldNotCheck);
    assert_eq!(status(&report, CheckName::Opening), CheckStatus::Error);
    assert!(report.render_text().contains("opening"));
}
