//! The bundled verifier's hooks (`VerifyHooks`): what a verifier without them reports for a
//! check that needs bb (not run, never passed), and that a verifier with them asks them and uses
//! their answers. The hooks here are fakes, named so; the SDK's real ones (bb) are exercised by
//! the SDK's tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use govproof_core::bundle::keys::PinnedCircuit;
use govproof_core::bundle::{
    BbVerdict, BundleVerifier, CheckName, CheckStatus, Report, Verdict, VerifyConfig, VerifyHooks,
};
use govproof_core::proof::{Proof, ProofTarget, VerificationKey};
use govproof_core::registry::{Root, Signed, TrustState};
use govproof_core::setup::{dangerous, AcceptancePolicy};

fn bundles() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/bundles")
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(bundles().join(path)).unwrap()
}

fn config(acceptance: AcceptancePolicy) -> VerifyConfig {
    let root: Signed<Root> = serde_json::from_slice(&read("trust/root.json")).unwrap();
    VerifyConfig {
        trust: TrustState::bootstrap(root).unwrap(),
        policy: None,
        acceptance,
    }
}

fn status(report: &Report, name: CheckName) -> (CheckStatus, String) {
    let check = report.checks().iter().find(|c| c.name == name).unwrap();
    (check.status, check.detail.clone())
}

/// The valid development-setup gate bundle, claiming the Ignition setup instead: this build pins
/// no Ignition key of its circuit, so its key would have to be computed with bb.
fn ignition_claim() -> Vec<u8> {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&read("valid/gate-with-policy/bundle.json")).unwrap();
    doc["setup"] = serde_json::json!("ignition");
    serde_json::to_vec(&doc).unwrap()
}

#[test]
fn without_hooks_a_key_that_needs_bb_is_a_check_not_run_never_passed() {
    let mut verifier = BundleVerifier::new(config(AcceptancePolicy::ignition_only()));
    let report = verifier.verify(&ignition_claim());
    let (circuit, detail) = status(&report, CheckName::Circuit);
    assert_eq!(circuit, CheckStatus::Error, "{}", report.render_text());
    assert!(detail.contains("runs no bb"), "{detail}");
    assert_eq!(status(&report, CheckName::Proof).0, CheckStatus::Skip);
    assert_eq!(report.verdict(), Verdict::CouldNotCheck);
}

#[test]
fn without_hooks_the_bb_cross_check_is_not_run_never_passed() {
    let bundle = read("valid/gate-with-policy/bundle.json");
    let accept = || config(dangerous::accept_development_proofs());
    // The control: the same bundle without the cross-check is valid (development setup).
    let plain = BundleVerifier::new(accept()).verify(&bundle);
    assert_eq!(plain.verdict(), Verdict::ValidDevelopmentSetup);
    let report = BundleVerifier::new(accept())
        .cross_check_with_bb()
        .verify(&bundle);
    let (proof, detail) = status(&report, CheckName::Proof);
    assert_eq!(proof, CheckStatus::Error, "{}", report.render_text());
    assert!(detail.contains("runs no bb"), "{detail}");
    assert_eq!(report.verdict(), Verdict::CouldNotCheck);
}

/// Hooks that answer as told and count what they were asked.
struct FakeHooks {
    cross_check: Result<(), BbVerdict>,
    seeds_asked: Arc<AtomicUsize>,
    keys_asked: Arc<AtomicUsize>,
}

impl VerifyHooks for FakeHooks {
    fn compute_key(
        &mut self,
        _pin: &PinnedCircuit,
        _target: ProofTarget,
    ) -> Result<VerificationKey, String> {
        self.keys_asked.fetch_add(1, Ordering::SeqCst);
        Err("the fake computes no keys".into())
    }

    fn cross_check(&mut self, _vk: &VerificationKey, _proof: &Proof) -> Result<(), BbVerdict> {
        self.cross_check.clone()
    }

    fn batch_seed(&mut self) -> Option<[u8; 32]> {
        self.seeds_asked.fetch_add(1, Ordering::SeqCst);
        Some([7; 32])
    }
}

fn fake(cross_check: Result<(), BbVerdict>) -> (FakeHooks, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let (seeds, keys) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let hooks = FakeHooks {
        cross_check,
        seeds_asked: seeds.clone(),
        keys_asked: keys.clone(),
    };
    (hooks, seeds, keys)
}

#[test]
fn the_hooks_are_asked_and_their_answers_are_used() {
    let bundle = read("valid/gate-with-policy/bundle.json");
    let accept = || config(dangerous::accept_development_proofs());

    // bb disagreeing with the in-process verifier is an error, not a pass.
    let (hooks, _, _) = fake(Err(BbVerdict::Rejected("the fake says no".into())));
    let report = BundleVerifier::with_hooks(accept(), Some(Box::new(hooks)))
        .cross_check_with_bb()
        .verify(&bundle);
    let (proof, detail) = status(&report, CheckName::Proof);
    assert_eq!(proof, CheckStatus::Error, "{detail}");
    assert!(detail.contains("the fake says no"), "{detail}");
    // Agreeing, it passes.
    let (hooks, _, _) = fake(Ok(()));
    let report = BundleVerifier::with_hooks(accept(), Some(Box::new(hooks)))
        .cross_check_with_bb()
        .verify(&bundle);
    assert_eq!(report.verdict(), Verdict::ValidDevelopmentSetup);

    // An Ignition key that is not pinned is asked of the hooks, and their failure is reported.
    let (hooks, _, keys) = fake(Ok(()));
    let report = BundleVerifier::with_hooks(
        config(AcceptancePolicy::ignition_only()),
        Some(Box::new(hooks)),
    )
    .verify(&ignition_claim());
    let (circuit, detail) = status(&report, CheckName::Circuit);
    assert_eq!(circuit, CheckStatus::Error);
    assert!(detail.contains("the fake computes no keys"), "{detail}");
    assert_eq!(keys.load(Ordering::SeqCst), 1);

    // A batch asks one seed per setup, and judges as bundle-by-bundle checks do, with hooks or
    // without (then every proof is verified on its own).
    let tampered = read("rejected/flipped-proof-byte/bundle.json");
    let docs: Vec<&[u8]> = vec![&bundle, &tampered, &bundle];
    let (hooks, seeds, _) = fake(Ok(()));
    let batched =
        BundleVerifier::with_hooks(accept(), Some(Box::new(hooks))).verify_many(&docs, None);
    assert_eq!(seeds.load(Ordering::SeqCst), 1);
    let unseeded = BundleVerifier::new(accept()).verify_many(&docs, None);
    let one_by_one: Vec<Report> = docs
        .iter()
        .map(|d| BundleVerifier::new(accept()).verify(d))
        .collect();
    for reports in [&batched, &unseeded] {
        let verdicts: Vec<Verdict> = reports.iter().map(Report::verdict).collect();
        assert_eq!(
            verdicts,
            one_by_one.iter().map(Report::verdict).collect::<Vec<_>>()
        );
        assert_eq!(
            reports.iter().map(Report::render_text).collect::<Vec<_>>(),
            one_by_one
                .iter()
                .map(Report::render_text)
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(
        verdicts_of(&one_by_one),
        [
            Verdict::ValidDevelopmentSetup,
            Verdict::Invalid,
            Verdict::ValidDevelopmentSetup
        ]
    );
}

fn verdicts_of(reports: &[Report]) -> Vec<Verdict> {
    reports.iter().map(Report::verdict).collect()
}
