//! Audits in batch proofs (`govproof::audit::batch`): the demonstration lender's reference model
//! (`mlp-24x16-d20-b8-s16-p8-m4`, whose six-row batch circuit this build pins) audits nine rows as
//! one head bundle and two batch proofs (six rows, then two padded to six), proved for real on
//! the development setup. The audit verifies and every batch row's proved outcome is the one the
//! model gives natively; then a changed outcome, two rows swapped inside a batch, a proof byte
//! flipped, a batch row claimed by another batch, a row listed twice, and an audit without its
//! head bundle are each refused with the rows named.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use govproof::audit::{self, AuditCheck, AuditFile, FindingKind, Request};
use govproof::bundle::VerifyOptions;
use govproof::circuits::CircuitOutcome;
use govproof::decide::{Application, ContextOptions, DecisionContext, DecisionParts};
use govproof::prover::pool::PoolConfig;
use govproof::registry::{Timestamp, TrustState};
use govproof::setup::dangerous;
use govproof_cli::Exit;
use govproof_testkit::DemoLender;

use crate::audit::CountingPoolFailingAfter;
use crate::bundle_support::govproof;

const ROWS: usize = 9;

struct World {
    dir: tempfile::TempDir,
    lender: DemoLender,
    context: DecisionContext,
    request: PathBuf,
    audit: AuditFile,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let now = Timestamp::now();
        let lender = govproof_testkit::demo_lender(dir.path(), now).unwrap();
        build(dir, lender, now)
    })
}

/// The card-fraud gate policy (`linear-24-d20-s16-p8-m4-gate`) with the reference weights for
/// it, approved in a registry published now.
fn gate_world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let now = Timestamp::now();
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/card-fraud-gate.toml"),
        )
        .unwrap();
        let policy = crate::bundle_support::policy_from("card-fraud-gate.toml", &text);
        let model = govproof::demo::demo_model(&policy).unwrap();
        let (registry, root) = govproof::demo::publish_registry(
            &dir.path().join("registry"),
            &govproof_testkit::seeded_keys(3),
            2,
            &[govproof::demo::Approval {
                model: &model,
                model_digest: govproof::registry::entry::Digest::from_bytes([0; 32]),
                policy: &policy,
            }],
            now,
        )
        .unwrap();
        let trust = TrustState::bootstrap(root.clone()).unwrap();
        let trusted = govproof::decide::TrustedRegistry::open(&registry, &trust, now).unwrap();
        let lender = DemoLender {
            policy,
            model,
            root,
            trusted,
        };
        build(dir, lender, now)
    })
}

/// Proves the nine-row request of `lender` at `now` into `dir`.
fn build(dir: tempfile::TempDir, lender: DemoLender, now: Timestamp) -> World {
    {
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests");
        let context = DecisionContext::with_options(
            DecisionParts {
                registry: lender.trusted.clone(),
                policy: lender.policy.clone(),
                model: lender.model.clone(),
                setup: dangerous::development_setup(&cache).unwrap(),
            },
            ContextOptions {
                bb: Some(crate::bundle_support::bb()),
                cache_dir: Some(cache.join("vk")),
                ..ContextOptions::default()
            },
        )
        .unwrap();
        // Nine rows spread over the policy's ranges, labels and two groups.
        let policy = &lender.policy;
        let mut csv = String::new();
        for f in policy.features() {
            let _ = write!(csv, "{},", f.name.as_str());
        }
        csv.push_str("good,group\n");
        for r in 0..ROWS {
            let row: Vec<String> = policy
                .features()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let t = 0.05 + 0.9 * ((r * 7 + i * 3) % 11) as f64 / 10.0;
                    format!("{:.3}", f.min + t * (f.max - f.min))
                })
                .collect();
            let _ = writeln!(
                csv,
                "{},{},{}",
                row.join(","),
                r % 3 != 0,
                if r % 2 == 0 { "a" } else { "b" }
            );
        }
        let csv = csv.replace(",true,", ",1,").replace(",false,", ",0,");
        std::fs::write(dir.path().join("rows.csv"), csv).unwrap();
        let request = dir.path().join("request.toml");
        std::fs::write(
            &request,
            format!(
                "data = \"rows.csv\"\nnonce = \"{}\"\ntime = \"{}\"\nscope = \"{}\"\n\
                 label = \"good\"\ngroups = [\"group\"]\n",
                "3c".repeat(16),
                now.to_rfc3339(),
                policy.scopes()[0]
            ),
        )
        .unwrap();
        let parsed = Request::read(&request).unwrap();
        let pool = context.pool(PoolConfig::new()).unwrap();
        let out = dir.path().join("audit.json");
        let proved = audit::prove(&context, &parsed, &pool, 2, &out, &mut |_| {}).unwrap();
        assert!(proved.refused.is_empty(), "{:?}", proved.refused);
        let audit = AuditFile::read(&out).unwrap();
        World {
            dir,
            lender,
            context,
            request,
            audit,
        }
    }
}

fn check(w: &World) -> AuditCheck {
    AuditCheck {
        verify: VerifyOptions {
            trust: TrustState::bootstrap(w.lender.root.clone()).unwrap(),
            policy: None,
            acceptance: dangerous::accept_development_proofs(),
            bb: None,
            work_dir: w.dir.path().join("verifier"),
            ignition_crs: None,
        },
        stated_accuracy: None,
    }
}

fn verify(w: &World, audit: &AuditFile) -> audit::AuditReport {
    let request = Request::read(&w.request).unwrap();
    audit::verify(&request, &w.lender.policy, audit, &check(w))
}

fn findings(w: &World, audit: &AuditFile) -> Vec<(FindingKind, Vec<usize>, String)> {
    verify(w, audit)
        .findings
        .into_iter()
        .map(|f| (f.kind, f.rows, f.detail))
        .collect()
}

#[test]
fn a_batched_audit_verifies_and_every_batch_row_has_the_models_own_outcome() {
    let w = world();
    let a = &w.audit;
    assert_eq!(a.version, 2);
    assert_eq!(a.batches.len(), 2, "one head bundle, then 6 + 2 rows");
    assert_eq!(a.batches[0].rows, (2..=7).collect::<Vec<_>>());
    assert_eq!(a.batches[1].rows, vec![8, 9]);
    assert!(a.decisions[0].bundle.is_some() && a.decisions[0].batch.is_none());
    let report = verify(w, a);
    assert!(report.findings.is_empty(), "{}", report.render_text());
    assert_eq!(
        (
            report.bundles_valid,
            report.batches_valid,
            report.batch_rows_valid
        ),
        (1, 2, 8)
    );
    assert!(report.figures.is_some());
    assert!(report
        .render_text()
        .contains("8 more rows in 2 batch proofs"));

    // Each batch row's outcome is the model's, computed natively from the request's row.
    let request = Request::read(&w.request).unwrap();
    let features = request.features(&w.lender.policy).unwrap();
    let digest = request.digest();
    for d in &a.decisions[1..] {
        let application = Application {
            decision_id: digest.decision_id(d.row),
            time: request.settings().time,
            scope: request.settings().scope.clone(),
            features: features[d.row - 1].clone(),
        };
        let decision = w
            .context
            .assess_row(&application, digest.salt(d.row))
            .unwrap()
            .unwrap();
        let CircuitOutcome::Band(band) = decision.statement().outcome else {
            panic!("the reference profile decides bands")
        };
        assert_eq!(d.outcome, Some(band), "row {}", d.row);
    }
}

#[test]
fn a_changed_outcome_is_refused_with_its_batch() {
    let w = world();
    let mut a = w.audit.clone();
    let o = a.decisions[3].outcome.unwrap();
    a.decisions[3].outcome = Some((o + 1) % 8);
    let f = findings(w, &a);
    let bad = f
        .iter()
        .find(|(k, _, d)| *k == FindingKind::Bundle && d.contains("does not verify"))
        .unwrap_or_else(|| panic!("{f:?}"));
    assert_eq!(bad.1, (2..=7).collect::<Vec<_>>());
}

#[test]
fn rows_swapped_inside_a_batch_or_a_flipped_proof_byte_are_refused() {
    let w = world();
    let mut a = w.audit.clone();
    a.batches[0].rows.swap(0, 1);
    let f = findings(w, &a);
    assert!(
        f.iter()
            .any(|(k, _, d)| *k == FindingKind::Bundle && d.contains("does not verify")),
        "{f:?}"
    );

    let mut a = w.audit.clone();
    let mut proof = hex_bytes(&a.batches[1].proof);
    proof[200] ^= 1;
    a.batches[1].proof = hex_string(&proof);
    let f = findings(w, &a);
    let bad = f
        .iter()
        .find(|(k, _, _)| *k == FindingKind::Bundle)
        .unwrap_or_else(|| panic!("{f:?}"));
    assert_eq!(bad.1, vec![8, 9]);
}

#[test]
fn a_row_claimed_by_another_batch_or_listed_twice_is_refused() {
    let w = world();
    let mut a = w.audit.clone();
    a.decisions[8].batch = Some(0);
    let f = findings(w, &a);
    assert!(
        f.iter().any(|(k, rows, d)| *k == FindingKind::Bundle
            && rows.contains(&9)
            && d.contains("does not prove it")),
        "{f:?}"
    );

    let mut a = w.audit.clone();
    a.batches[1].rows = vec![8, 8];
    let f = findings(w, &a);
    assert!(
        f.iter()
            .any(|(k, _, d)| *k == FindingKind::Bundle && d.contains("lists a row twice")),
        "{f:?}"
    );
}

#[test]
fn an_audit_without_its_head_bundle_checks_no_batch() {
    let w = world();
    let mut a = w.audit.clone();
    a.decisions.remove(0);
    let report = verify(w, &a);
    assert_eq!(report.batches_valid, 0);
    let kinds: Vec<FindingKind> = report.findings.iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&FindingKind::MissingRow), "{kinds:?}");
    let unchecked = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::CouldNotCheck)
        .unwrap();
    assert_eq!(unchecked.rows, (2..=9).collect::<Vec<_>>());
    assert!(report.figures.is_none());
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The command line on the demonstration's own files: `govproof demo` writes a registry, a root,
/// a policy and the reference model file; `audit prove` batches the request's nine rows, and
/// `audit verify` accepts the audit (development setup: exit 4) and refuses it with one batch
/// row's outcome changed (exit 2).
#[test]
fn the_command_line_batches_an_audit_of_the_demos_files_and_verifies_it() {
    let w = world();
    let scratch = tempfile::tempdir().unwrap();
    let demo = scratch.path().join("demo");
    let (exit, _, err) = govproof(&["demo", "--dev-setup", "--dir", &s(&demo)]);
    assert_eq!(exit, Exit::Success, "{err}");
    // The world's request, at the demo's own time (the demo registry was signed just now).
    let request_dir = scratch.path().join("request");
    std::fs::create_dir_all(&request_dir).unwrap();
    std::fs::copy(w.dir.path().join("rows.csv"), request_dir.join("rows.csv")).unwrap();
    let request = request_dir.join("request.toml");
    let now = Timestamp::now().to_rfc3339();
    let text: Vec<String> = std::fs::read_to_string(&w.request)
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("time = ") {
                format!("time = \"{now}\"")
            } else {
                l.replace("3c3c", "4d4d")
            }
        })
        .collect();
    std::fs::write(&request, text.join("\n") + "\n").unwrap();
    let out = scratch.path().join("audit.json");
    let (exit, text, err) = govproof(&[
        "audit",
        "prove",
        "--request",
        &s(&request),
        "--registry",
        &s(&demo.join("registry")),
        "--trust",
        &s(&demo.join("root.json")),
        "--policy",
        &s(&demo.join("policy.toml")),
        "--model",
        &s(&demo.join("model.govproof")),
        "--dev-setup",
        "--bb",
        &s(&crate::bundle_support::bb()),
        "-o",
        &s(&out),
    ]);
    assert_eq!(exit, Exit::Success, "{text}{err}");
    assert!(
        text.contains("9 rows, 9 proved now, 0 from the work file, 0 refused")
            && text.contains("; 2 batch proofs")
            && !text.contains("refused:"),
        "{text}"
    );
    let verify = |audit: &Path| {
        govproof(&[
            "audit",
            "verify",
            "--request",
            &s(&request),
            "--audit",
            &s(audit),
            "--trust",
            &s(&demo.join("root.json")),
            "--policy",
            &s(&demo.join("policy.toml")),
            "--dev-setup",
        ])
    };
    let (exit, text, _) = verify(&out);
    assert_eq!(exit, Exit::DevelopmentSetup, "{text}");
    assert!(text.contains("8 more rows in 2 batch proofs"), "{text}");

    let mut tampered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let o = tampered["decisions"][4]["outcome"].as_u64().unwrap();
    tampered["decisions"][4]["outcome"] = serde_json::json!((o + 1) % 5);
    let bad = scratch.path().join("tampered.json");
    std::fs::write(&bad, serde_json::to_vec(&tampered).unwrap()).unwrap();
    let (exit, text, _) = verify(&bad);
    assert_eq!(exit, Exit::Rejected, "{text}");
    assert!(text.contains("does not verify"), "{text}");
}

/// A batched audit stopped by a prover crash resumes with the units it finished (a batch's rows
/// are written as one line) and proves only the unit that failed: one proof call.
#[test]
fn a_stopped_batched_audit_resumes_without_proving_a_finished_batch_again() {
    let w = world();
    let request = Request::read(&w.request).unwrap();
    let pool = w.context.pool(PoolConfig::new()).unwrap();
    let out = w.dir.path().join("resumed.json");
    let calls = AtomicUsize::new(0);
    let crashing = CountingPoolFailingAfter {
        pool: &pool,
        calls: &calls,
        fail_from: Some(3),
    };
    let e = audit::prove(&w.context, &request, crashing, 2, &out, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("simulated prover crash"), "{e}");
    assert!(!out.exists());

    let calls = AtomicUsize::new(0);
    let counting = CountingPoolFailingAfter {
        pool: &pool,
        calls: &calls,
        fail_from: None,
    };
    let proved = audit::prove(&w.context, &request, counting, 2, &out, &mut |_| {}).unwrap();
    assert_eq!(proved.resumed + proved.proved_now, ROWS);
    assert!(proved.resumed >= 2, "two of the three units finished first");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "only the failed unit is proved again"
    );
    let report = verify(w, &proved.audit);
    assert!(report.findings.is_empty(), "{}", report.render_text());
    assert_eq!(proved.audit.claims, w.audit.claims);
}

/// The gate's batch circuit (a linear model: twenty rows a proof): outcomes are decision bits,
/// proved and checked the same way.
#[test]
fn a_batched_audit_of_a_gate_verifies_and_a_flipped_decision_is_refused() {
    let w = gate_world();
    let a = &w.audit;
    assert_eq!(
        a.batches.len(),
        1,
        "one head, then eight rows padded to twenty"
    );
    assert!(a.batches[0].circuit.ends_with("-gate-audit20"));
    let report = verify(w, a);
    assert!(report.findings.is_empty(), "{}", report.render_text());
    assert_eq!(report.batch_rows_valid, 8);
    let mut a = a.clone();
    let bit = a.decisions[8].outcome.unwrap();
    assert!(bit <= 1);
    a.decisions[8].outcome = Some(1 - bit);
    let f = findings(w, &a);
    let bad = f
        .iter()
        .find(|(k, _, d)| *k == FindingKind::Bundle && d.contains("does not verify"))
        .unwrap_or_else(|| panic!("{f:?}"));
    assert_eq!(bad.1, (2..=9).collect::<Vec<_>>());
}

fn s(p: &Path) -> String {
    p.display().to_string()
}
