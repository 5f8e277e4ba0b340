//! `govproof verify` over a whole portfolio: a mixed set of fixture bundles (development proofs
//! that pass, a rejected one, one whose policy was not given, a document that is no bundle, a
//! missing file, repeated decision ids) rendered in every format and snapshotted with machine
//! paths stripped; several policies matched by hash; a policy id and version given with two
//! contents; the batch pairing naming each failing proof exactly as one-by-one verification
//! does; folders and glob patterns expanded by govproof itself.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use crate::bundle_support;

use bundle_support::*;
use govproof_cli::Exit;

fn root() -> String {
    fixtures().join("trust/root.json").display().to_string()
}

fn fixture(name: &str) -> String {
    fixtures()
        .join(name)
        .join("bundle.json")
        .display()
        .to_string()
}

fn band_policy() -> String {
    fixtures()
        .join("policies/eu-consumer-credit.toml")
        .display()
        .to_string()
}

/// The mixed portfolio: two passing development proofs (one whose policy is given, one whose
/// policy is not), a bundle with a changed band (rejected), a document too large to be a bundle,
/// a missing file. The band fixtures share one decision id, so it is repeated.
/// The files are named relative to the package root (where cargo runs tests), so the reports
/// hold no machine path and the text table's columns stay aligned in the snapshots.
fn mixed() -> Vec<String> {
    [
        "valid/band/bundle.json",
        "valid/gate-with-policy/bundle.json",
        "rejected/changed-band/bundle.json",
        "rejected/oversized-document/bundle.json",
        "no-such-bundle.json",
    ]
    .iter()
    .map(|f| format!("tests/data/bundles/{f}"))
    .collect()
}

/// The band policy, named relative to the package root.
fn band_policy_relative() -> String {
    "tests/data/bundles/policies/eu-consumer-credit.toml".to_string()
}

fn verify(bundles: &[String], extra: &[&str]) -> (Exit, String, String) {
    let bb = bb();
    let root = root();
    let mut args: Vec<&str> = vec!["verify"];
    args.extend(bundles.iter().map(String::as_str));
    args.extend(["--trust", &root, "--dev-setup"]);
    let bb = bb.display().to_string();
    args.extend(["--bb", &bb]);
    args.extend_from_slice(extra);
    govproof(&args)
}

fn strip(text: &str, scratch: &Path) -> String {
    redact(text).replace(&scratch.display().to_string(), "[tmp]")
}

#[test]
fn the_portfolio_table_is_stable_in_every_format() {
    let scratch = tempfile::tempdir().unwrap();
    let bundles = mixed();
    let policy = band_policy_relative();
    for format in ["text", "csv", "markdown", "json", "html"] {
        let (exit, out, err) = verify(&bundles, &["--policy", &policy, "--format", format]);
        // The worst bundle is rejected (changed band, oversized document).
        assert_eq!(exit, Exit::Rejected, "{format}\n{out}\n{err}");
        insta::assert_snapshot!(format!("portfolio-{format}"), strip(&out, scratch.path()));
    }
    // `--html FILE` writes the same page as `--format html`, beside any format.
    let page = scratch.path().join("report.html");
    let page_arg = page.display().to_string();
    let (_, html_out, _) = verify(&bundles, &["--policy", &policy, "--format", "html"]);
    let (_, _, _) = verify(&bundles, &["--policy", &policy, "--html", &page_arg]);
    assert_eq!(std::fs::read_to_string(&page).unwrap(), html_out);
}

#[test]
fn the_json_document_counts_and_flags_what_the_table_shows() {
    let bundles = mixed();
    let policy = band_policy();
    let (_, out, _) = verify(&bundles, &["--policy", &policy, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["format"], "govproof-portfolio");
    let totals = &doc["totals"];
    assert_eq!(totals["bundles"], 5);
    assert_eq!(totals["valid_development_setup"], 2);
    assert_eq!(totals["invalid"], 2);
    assert_eq!(totals["could_not_check"], 1);
    assert_eq!(totals["valid"], 0);
    assert_eq!(totals["result"], "invalid");
    assert_eq!(totals["exit_code"], 2);
    let rows = doc["rows"].as_array().unwrap();
    // The band bundle: matched to its policy by hash, development setup, its id repeated by the
    // changed-band bundle.
    assert_eq!(rows[0]["verdict"], "valid-development-setup");
    assert_eq!(rows[0]["policy"]["checked"], true);
    let flags = |i: usize| -> Vec<String> {
        rows[i]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    assert!(flags(0).contains(&"development-setup".to_string()));
    assert!(flags(0).contains(&"repeated-decision-id".to_string()));
    // The gate bundle: its policy was not given.
    assert_eq!(rows[1]["policy"]["checked"], false);
    assert!(flags(1).contains(&"policy-not-checked".to_string()));
    assert_eq!(rows[2]["verdict"], "invalid");
    assert!(rows[2]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["check"] == "public-inputs" || r["check"] == "proof"));
    assert_eq!(rows[4]["verdict"], "could-not-check");
    let repeated = totals["repeated_decision_ids"].as_array().unwrap();
    assert_eq!(repeated.len(), 1, "{out}");
    // The registry's signers by name, in the header and in each row.
    let keys = doc["about"]["registry"]["keys"].as_array().unwrap();
    assert!(keys.iter().any(|k| k["holder"] == "governance key 1"));
    assert!(rows[0]["signers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().starts_with("governance key")));
}

#[test]
fn several_policies_are_matched_to_each_bundle_by_hash() {
    let scratch = tempfile::tempdir().unwrap();
    let bundles = vec![fixture("valid/band"), fixture("valid/gate-with-policy")];
    let folder = fixtures().join("policies").display().to_string();
    let gate = fixtures()
        .join("policies/card-fraud-gate.toml")
        .display()
        .to_string();
    // A folder of policies, and the same policies as repeated files (in the other order): each
    // bundle is compared with its own.
    for args in [
        vec!["--policy", folder.as_str()],
        vec!["--policy", gate.as_str(), "--policy", band_policy().leak()],
    ] {
        let mut all = args.clone();
        all.extend(["--format", "json"]);
        let (exit, out, err) = verify(&bundles, &all);
        assert_eq!(exit, Exit::DevelopmentSetup, "{out}\n{err}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        for row in doc["rows"].as_array().unwrap() {
            assert_eq!(row["policy"]["checked"], true, "{row}");
            assert_eq!(row["verdict"], "valid-development-setup", "{row}");
        }
        assert_eq!(doc["about"]["policies"].as_array().unwrap().len(), 2);
    }

    // The band policy's id and version with other contents: reported as a conflict; the band
    // bundle is still matched to the file with its hash, and passes.
    let edited = scratch.path().join("eu-consumer-credit-edited.toml");
    let text = std::fs::read_to_string(band_policy()).unwrap();
    let changed =
        text.replacen("lower = 700", "lower = 710", 1)
            .replacen("upper = 700", "upper = 710", 1);
    assert_ne!(changed, text, "the policy has a prime band to move");
    std::fs::write(&edited, changed).unwrap();
    let edited_arg = edited.display().to_string();
    let band = band_policy();
    let (exit, out, _) = verify(
        &bundles,
        &[
            "--policy",
            &band,
            "--policy",
            &edited_arg,
            "--format",
            "json",
        ],
    );
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let conflicts = doc["totals"]["policy_conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{out}");
    assert_eq!(conflicts[0]["id"], "eu-consumer-credit");
    assert_eq!(doc["rows"][0]["policy"]["checked"], true);
    assert!(doc["rows"][0]["flags"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("policy-version-conflict")));
    let (_, text_out, _) = verify(&bundles, &["--policy", &band, "--policy", &edited_arg]);
    assert!(
        text_out.contains("POLICY CONFLICT: policy `eu-consumer-credit` version"),
        "{text_out}"
    );

    // Only the edited file: it names the band bundle's policy id and version but not its hash,
    // so the comparison runs and fails (the bundle claims a policy it was not proved under).
    let (exit, out, _) = verify(&bundles[..1], &["--policy", &edited_arg]);
    assert_eq!(exit, Exit::Rejected, "{out}");
    assert!(out.contains("FAIL  policy"), "{out}");
}

#[test]
fn the_batch_names_each_failing_proof_as_one_by_one_verification_does() {
    let bundles: Vec<String> = [
        "valid/band",
        "rejected/changed-scope",
        "valid/gate-with-policy",
        "rejected/changed-policy-hash",
        "rejected/non-canonical-field",
    ]
    .iter()
    .map(|n| fixture(n))
    .collect();
    let (_, out, _) = verify(&bundles, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    for (bundle, row) in bundles.iter().zip(rows) {
        let (_, one, _) = verify(std::slice::from_ref(bundle), &["--format", "json"]);
        let one: serde_json::Value = serde_json::from_str(&one).unwrap();
        assert_eq!(row["verdict"], one["result"], "{bundle}");
        let proof = one["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "proof")
            .unwrap()
            .clone();
        let batch_reason = row["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["check"] == "proof")
            .map(|r| r["detail"].clone());
        match proof["status"].as_str().unwrap() {
            "fail" | "error" => {
                assert_eq!(batch_reason, Some(proof["detail"].clone()), "{bundle}")
            }
            _ => assert_eq!(batch_reason, None, "{bundle}"),
        }
    }
    assert!(rows.iter().filter(|r| r["verdict"] == "invalid").count() >= 3);
}

#[test]
fn folders_and_patterns_are_expanded_by_govproof() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("april");
    std::fs::create_dir_all(dir.join("week-1")).unwrap();
    std::fs::copy(fixture("valid/band"), dir.join("week-1/a.json")).unwrap();
    std::fs::copy(fixture("valid/gate-with-policy"), dir.join("b.json")).unwrap();
    // An applicant's opening beside the bundles is neither read nor reported.
    std::fs::write(dir.join("b.opening.json"), "{}").unwrap();
    let policies = fixtures().join("policies").display().to_string();
    let json = |args: &[String]| {
        let (exit, out, err) = verify(args, &["--policy", &policies, "--format", "json"]);
        assert_eq!(exit, Exit::DevelopmentSetup, "{out}\n{err}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        doc["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| strip(r["file"].as_str().unwrap(), scratch.path()))
            .collect::<Vec<_>>()
    };
    let want = vec![
        "[tmp]/april/b.json".to_string(),
        "[tmp]/april/week-1/a.json".to_string(),
    ];
    assert_eq!(json(&[dir.display().to_string()]), want);
    let pattern = format!("{}/**/*.json", dir.display());
    assert_eq!(json(&[pattern]), want);
    let (exit, _, err) = verify(&[format!("{}/*.nothing", dir.display())], &[]);
    assert_eq!(exit, Exit::Error);
    assert!(err.contains("no bundle matches the pattern"), "{err}");
}

#[test]
fn a_development_proof_alone_is_never_plain_valid() {
    let (exit, out, _) = verify(
        &[fixture("valid/gate-with-policy")],
        &[
            "--policy",
            fixtures()
                .join("valid/gate-with-policy/policy.toml")
                .display()
                .to_string()
                .leak(),
        ],
    );
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    assert_eq!(Exit::DevelopmentSetup as u8, 4);
    assert!(
        out.contains("VALID (development setup: not evidence)"),
        "{out}"
    );
    assert!(!out.contains("VALID: every check passed"), "{out}");
    // The header: what a valid bundle proves and does not, and the signers by name.
    assert!(out.contains("what it does not prove:"), "{out}");
    assert!(out.contains("governance key 1 (aa7665f5a74d677a)"), "{out}");
}
