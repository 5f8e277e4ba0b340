//! The prover API: proved decisions become bundles that verify and hold neither the features nor
//! the salt; decisions the policy or the registry forbid are refused with their reasons before
//! anything is proved; batches through one warm prover; the context's checks; policy test cases
//! proved end to end.

#![allow(clippy::unwrap_used)]

use crate::bundle_support;

use std::path::Path;

use bundle_support::*;
use govproof::bundle::{BundleVerifier, DecisionId, Verdict, VerifyOptions};
use govproof::circuits::{Constraint, QuantizedModel};
use govproof::decide::case::{prove_case, CaseKit, CaseProof};
use govproof::decide::{
    quantize_features, reference, Application, ContextOptions, DecideError, DecisionContext,
    DecisionParts, Model, Preparation, Proved, Reason, TrustedRegistry,
};
use govproof::demo::{demo_model, publish_registry, Approval};
use govproof::policy::evaluate::DecisionInput;
use govproof::policy::Policy;
use govproof::registry::entry::Digest;
use govproof::registry::names::ModelVersion;
use govproof::registry::{RegistryDir, Scope, TrustState};
use govproof::setup::{dangerous, Setup};
use govproof_cli::Exit;

struct World {
    _dir: tempfile::TempDir,
    registry: RegistryDir,
    trust: TrustState,
    policy: Policy,
    model: Model,
    /// Approved in the registry too, but it weights the protected feature `age`.
    weighting_age: Model,
    setup: Setup,
}

fn dev_cache() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests")
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_from("band", &fixture_policy_text(BAND_POLICY));
    let model = demo_model(&policy).unwrap();
    let age = policy.feature_index("age").unwrap();
    let mut weights = model.weights().weights().to_vec();
    weights[age] = 1 << 10; // W1[0][age]
    let weighting_age = Model::new(
        model.id().clone(),
        ModelVersion::new("3.1.0").unwrap(),
        QuantizedModel::new(24, 16, weights).unwrap(),
    );
    let (registry, root) = publish_registry(
        &dir.path().join("registry"),
        &keys(),
        2,
        &[
            Approval {
                model: &model,
                model_digest: Digest::from_bytes([1; 32]),
                policy: &policy,
            },
            Approval {
                model: &weighting_age,
                model_digest: Digest::from_bytes([2; 32]),
                policy: &policy,
            },
        ],
        time(REGISTRY_NOW),
    )
    .unwrap();
    World {
        _dir: dir,
        registry,
        trust: TrustState::bootstrap(root).unwrap(),
        policy,
        model,
        weighting_age,
        setup: govproof_testkit::development_setup(),
    }
}

impl World {
    fn context(&self, model: &Model) -> Result<DecisionContext, DecideError> {
        let trusted =
            TrustedRegistry::open(&self.registry, &self.trust, time(DECISION_TIME)).unwrap();
        self.context_on(trusted, model, govproof::prover::ProofTarget::default())
    }

    fn context_on(
        &self,
        registry: TrustedRegistry,
        model: &Model,
        target: govproof::prover::ProofTarget,
    ) -> Result<DecisionContext, DecideError> {
        DecisionContext::with_options(
            DecisionParts {
                registry,
                policy: self.policy.clone(),
                model: model.clone(),
                setup: self.setup.clone(),
            },
            ContextOptions {
                target,
                bb: Some(bb()),
                cache_dir: Some(dev_cache().join("vk")),
                ..ContextOptions::default()
            },
        )
    }

    fn application(&self, id: &str, change: impl FnOnce(&mut Vec<f64>)) -> Application {
        let mut values = reference::reference_applicant(&self.policy);
        change(&mut values);
        Application {
            decision_id: DecisionId::new(id).unwrap(),
            time: time(DECISION_TIME),
            scope: "consumer-credit/EU-NL/personal-loan".parse().unwrap(),
            features: quantize_features(&values).unwrap(),
        }
    }

    fn verifier(&self) -> BundleVerifier {
        BundleVerifier::new(VerifyOptions {
            trust: self.trust.clone(),
            policy: Some(self.policy.clone()),
            acceptance: dangerous::accept_development_proofs(),
            bb: Some(bb()),
            work_dir: self._dir.path().join("verifier"),
            ignition_crs: None,
        })
    }
}

fn collect_keys(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                collect_keys(v, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_keys(v, out)),
        _ => {}
    }
}

fn refusal(result: Result<Preparation, DecideError>) -> Vec<Reason> {
    match result {
        Ok(Preparation::Refused(r)) => r.reasons,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Proves `app` on a fresh warm prover of `context`, expecting it to be proved.
fn prove(context: &DecisionContext, app: &Application) -> Proved {
    let mut prover = context.prover().unwrap();
    context.decide(app, &mut prover).unwrap().proved().unwrap()
}

#[test]
fn a_proved_decision_verifies_and_its_bundle_holds_neither_features_nor_salt() {
    let w = world();
    let context = w.context(&w.model).unwrap();
    let app = w.application("APP-1", |_| {});
    let proved = prove(&context, &app);
    assert_eq!(proved.opening.commitment(), proved.bundle.input_commitment);
    let text = proved.bundle.to_json_pretty();
    // The salt (a random field element) appears nowhere; no object in the bundle has a key for
    // features or salt (the type has no such field).
    assert!(!text.contains(&proved.opening.salt().to_hex()[2..]));
    let mut keys = Vec::new();
    collect_keys(&serde_json::from_str(&text).unwrap(), &mut keys);
    assert!(
        keys.iter()
            .all(|k| !k.contains("feature") && !k.contains("salt")),
        "{keys:?}"
    );
    let report = w.verifier().verify(text.as_bytes());
    assert_eq!(
        report.verdict(),
        Verdict::ValidDevelopmentSetup,
        "{}",
        report.render_text()
    );
    // The opening commits exactly to the features given, salt kept apart.
    assert_eq!(proved.opening.features(), &app.features);
}

#[test]
fn an_evm_target_bundle_verifies_with_the_pinned_evm_key() {
    let w = world();
    let trusted = TrustedRegistry::open(&w.registry, &w.trust, time(DECISION_TIME)).unwrap();
    let context = w
        .context_on(trusted, &w.model, govproof::prover::ProofTarget::Evm)
        .unwrap();
    let proved = prove(&context, &w.application("EVM-1", |_| {}));
    assert_eq!(
        proved.bundle.circuit.proof_target,
        govproof::prover::ProofTarget::Evm
    );
    let report = w
        .verifier()
        .verify(proved.bundle.to_json_pretty().as_bytes());
    assert_eq!(
        report.verdict(),
        Verdict::ValidDevelopmentSetup,
        "{}",
        report.render_text()
    );
}

#[test]
fn decisions_the_policy_or_registry_forbid_are_refused_with_their_reasons() {
    let w = world();
    let prover = w.context(&w.model).unwrap();
    let age = w.policy.feature_index("age").unwrap();
    let salt = govproof::field::Field::from(5u64);

    let under_age = w.application("APP-2", |v| v[age] = 17.0);
    let reasons = refusal(prover.prepare_with_salt(&under_age, salt));
    assert!(
        matches!(
            &reasons[..],
            [Reason::Constraint { constraint: Constraint::FeatureRange, detail }] if detail.contains("`age`")
        ),
        "{reasons:?}"
    );

    let mut spain = w.application("APP-3", |_| {});
    spain.scope = "consumer-credit/EU-ES/personal-loan"
        .parse::<Scope>()
        .unwrap();
    let reasons = refusal(prover.prepare_with_salt(&spain, salt));
    let constraints: Vec<Constraint> = reasons
        .iter()
        .filter_map(|r| match r {
            Reason::Constraint { constraint, .. } => Some(*constraint),
            _ => None,
        })
        .collect();
    assert_eq!(
        constraints,
        [Constraint::ScopeNotApproved, Constraint::ScopeNotAllowed]
    );

    let mut late = w.application("APP-4", |_| {});
    late.time = time("2026-06-01T00:00:00Z");
    let reasons = refusal(prover.prepare_with_salt(&late, salt));
    assert!(
        matches!(&reasons[0], Reason::Registry(e) if e.kind() == "expired"),
        "{reasons:?}"
    );

    let mut early = w.application("APP-5", |_| {});
    early.time = time("2026-04-01T00:00:00Z");
    let reasons = refusal(prover.prepare_with_salt(&early, salt));
    assert!(
        matches!(&reasons[0], Reason::SnapshotAfterDecision { .. }),
        "{reasons:?}"
    );

    let weighted = w.context(&w.weighting_age).unwrap();
    let reasons = refusal(weighted.prepare_with_salt(&w.application("APP-6", |_| {}), salt));
    assert!(
        matches!(
            &reasons[..],
            [Reason::Constraint { constraint: Constraint::ProtectedFeature, detail }] if detail.contains("`age`")
        ),
        "{reasons:?}"
    );
    let message = reasons[0].to_string();
    assert_eq!(
        message,
        "protected feature has non-zero weight (the model weights `age`)"
    );
}

#[test]
fn a_batch_proves_what_it_can_and_refuses_the_rest() {
    let w = world();
    let context = w.context(&w.model).unwrap();
    let mut prover = context.prover().unwrap();
    let age = w.policy.feature_index("age").unwrap();
    let results: Vec<Result<Proved, _>> = [
        w.application("B-1", |_| {}),
        w.application("B-2", |v| v[age] = 101.0),
        w.application("B-3", |v| v[age] = 64.0),
    ]
    .iter()
    .map(|a| context.decide(a, &mut prover).unwrap().proved())
    .collect();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok());
    assert!(matches!(&results[1], Err(r) if r.decision_id.as_str() == "B-2"));
    let third = results[2].as_ref().unwrap();
    assert_eq!(third.bundle.decision.id.as_str(), "B-3");
    let mut verifier = w.verifier();
    for proved in [&results[0], &results[2]] {
        let text = proved.as_ref().unwrap().bundle.to_json_pretty();
        assert_eq!(
            verifier.verify(text.as_bytes()).verdict(),
            Verdict::ValidDevelopmentSetup
        );
    }
}

#[test]
fn the_context_refuses_a_model_the_registry_does_not_approve() {
    let w = world();
    let unknown = Model::new(
        w.model.id().clone(),
        ModelVersion::new("9.9.9").unwrap(),
        w.model.weights().clone(),
    );
    assert!(matches!(
        w.context(&unknown),
        Err(DecideError::NotInRegistry { .. })
    ));
    let other_weights = Model::new(
        w.model.id().clone(),
        w.model.version().clone(),
        w.weighting_age.weights().clone(),
    );
    let e = w.context(&other_weights).unwrap_err();
    assert!(matches!(e, DecideError::EntryMismatch { .. }), "{e}");
    assert!(e.to_string().contains("commits to weights"), "{e}");
}

fn case(score: f64, age: f64, model_version: &str) -> DecisionInput {
    let policy = policy_from("band", &fixture_policy_text(BAND_POLICY));
    let mut features = reference::reference_applicant(&policy);
    features[policy.feature_index("age").unwrap()] = age;
    DecisionInput {
        model_id: "acme-credit-mlp".parse().unwrap(),
        model_version: model_version.parse().unwrap(),
        scope: "consumer-credit/EU-FR/credit-card".parse().unwrap(),
        time: "2026-06-01T09:30:00Z".parse().unwrap(),
        score,
        features: Some(features),
    }
}

#[test]
fn policy_test_cases_prove_and_the_circuit_refuses_the_rejected_ones() {
    let policy = policy_from("band", &fixture_policy_text(BAND_POLICY));
    let work = tempfile::tempdir().unwrap();
    let kit = CaseKit {
        setup: govproof_testkit::development_setup(),
        bb: Some(bb()),
        cache_dir: dev_cache().join("vk"),
        work_dir: work.path().to_path_buf(),
    };
    // A score exactly on the prime band's lower bound proves as prime.
    match prove_case(&policy, &case(700.0, 41.0, "3.2.0"), &kit).unwrap() {
        CaseProof::Proved {
            proved,
            verified,
            detail,
        } => {
            assert!(verified, "{detail}");
            assert!(detail.contains("the bundled verifier: valid"), "{detail}");
            assert!(proved
                .bundle
                .decision
                .outcome
                .to_string()
                .contains("`prime`"));
        }
        other => panic!("expected a proof, got {other:?}"),
    }
    // An applicant under 18: refused natively, and by the circuit with the same constraint.
    match prove_case(&policy, &case(731.0, 17.0, "3.2.0"), &kit).unwrap() {
        CaseProof::Refused {
            reasons, circuit, ..
        } => {
            assert!(matches!(
                &reasons[..],
                [Reason::Constraint {
                    constraint: Constraint::FeatureRange,
                    ..
                }]
            ));
            assert_eq!(circuit, Some(Constraint::FeatureRange));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A model the policy does not allow.
    match prove_case(&policy, &case(731.0, 41.0, "2.0.0"), &kit).unwrap() {
        CaseProof::Refused { circuit, .. } => {
            assert_eq!(circuit, Some(Constraint::ModelNotAllowed));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// `govproof verify` on several bundles: one warm verifier, a report each, a summary, the worst
/// exit code; and a fork that no single bundle shows: two valid bundles proved against two
/// registries the same keys signed under one snapshot version.
#[test]
fn a_batch_of_bundles_is_verified_together_and_a_fork_between_them_is_caught() {
    let w = world();
    let scratch = tempfile::tempdir().unwrap();
    // The same keys and time publish a second registry: root 1 is the same document, snapshot 2
    // approves the model under another file digest, so its Merkle root differs.
    let (forked, forked_root) = publish_registry(
        &scratch.path().join("forked-registry"),
        &keys(),
        2,
        &[Approval {
            model: &w.model,
            model_digest: Digest::from_bytes([9; 32]),
            policy: &w.policy,
        }],
        time(REGISTRY_NOW),
    )
    .unwrap();
    assert_eq!(&forked_root, w.trust.signed_root());
    let forked_trusted = TrustedRegistry::open(&forked, &w.trust, time(DECISION_TIME)).unwrap();
    let forked_context = w
        .context_on(forked_trusted, &w.model, Default::default())
        .unwrap();

    let write = |name: &str, text: String| {
        let path = scratch.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let honest = prove(
        &w.context(&w.model).unwrap(),
        &w.application("BATCH-1", |_| {}),
    );
    let fork = prove(&forked_context, &w.application("BATCH-2", |_| {}));
    let a = write("a.json", honest.bundle.to_json_pretty());
    let b = write("b.json", fork.bundle.to_json_pretty());
    let root = write(
        "root.json",
        serde_json::to_string_pretty(w.trust.signed_root()).unwrap(),
    );
    let rejected = fixtures()
        .join("rejected/flipped-proof-byte/bundle.json")
        .display()
        .to_string();
    let bb = bb().display().to_string();
    let state = scratch.path().join("state.json");
    let policy = fixtures()
        .join(format!("policies/{BAND_POLICY}.toml"))
        .display()
        .to_string();
    let verify_with = |bundles: &[&str], extra: &[&str], policy: Option<&str>| {
        let mut args = vec!["verify"];
        args.extend_from_slice(bundles);
        args.extend_from_slice(&["--trust", &root, "--dev-setup", "--bb", &bb]);
        if let Some(p) = policy {
            args.extend_from_slice(&["--policy", p]);
        }
        args.extend_from_slice(extra);
        govproof(&args)
    };
    let verify = |bundles: &[&str], extra: &[&str]| verify_with(bundles, extra, Some(&policy));

    // Each alone passes (a development proof: exit 4, not evidence).
    for one in [&a, &b] {
        let (exit, out, _) = verify(&[one], &[]);
        assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    }
    // Together they show snapshot 2 with two Merkle roots: rejected, and no state is advanced.
    let state_arg = state.display().to_string();
    let (exit, out, _) = verify(&[&a, &b], &["--state", &state_arg]);
    assert_eq!(exit, Exit::Rejected, "{out}");
    assert!(
        out.contains(
            "2 bundles: 0 valid, 0 valid (policy not checked), 2 valid (development setup: not \
             evidence), 0 could not check, 0 invalid; 0 repeated decision ids, 1 fork; result \
             INVALID (exit 2)"
        ),
        "{out}"
    );
    assert!(
        out.contains("FORK: valid bundles show snapshot 2 with 2 different Merkle roots"),
        "{out}"
    );
    assert!(!state.exists(), "a fork must not advance the trust state");

    // A valid bundle, a tampered one and a missing file: one row each, the reasons name the bad
    // ones, the exit code is the worst.
    let missing = scratch.path().join("missing.json").display().to_string();
    let (exit, out, _) = verify(&[&a, &rejected, &missing], &["--format", "json"]);
    assert_eq!(exit, Exit::Rejected, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["totals"]["bundles"], 3);
    assert_eq!(doc["totals"]["valid_development_setup"], 1);
    assert_eq!(doc["totals"]["invalid"], 1);
    assert_eq!(doc["totals"]["could_not_check"], 1);
    assert_eq!(doc["rows"][1]["reasons"][0]["check"], "proof");
    assert_eq!(doc["rows"][2]["verdict"], "could-not-check");

    // The honest bundle alone advances the state to its snapshot (and, given twice, its
    // decision id is flagged as repeated).
    let (exit, out, err) = verify(&[&a, &a], &["--state", &state_arg]);
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    assert!(err.contains("newest accepted snapshot 2"), "{err}");
    assert!(out.contains("REPEATED DECISION ID: `BATCH-1`"), "{out}");

    // Without the policy file the batch follows the one-bundle rule: the words are unchecked,
    // the rows say so, and the state still advances (the registry held).
    let unchecked_state = scratch.path().join("unchecked-state.json");
    let unchecked_arg = unchecked_state.display().to_string();
    let (exit, out, _) = verify_with(&[&a, &a], &["--state", &unchecked_arg], None);
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}");
    assert!(out.contains("policy-not-checked"), "{out}");
    assert!(out.contains("(not checked)"), "{out}");
    assert!(unchecked_state.exists());
    let (exit, out, _) = verify_with(&[&a, &rejected], &["--format", "json"], None);
    assert_eq!(exit, Exit::Rejected, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["totals"]["valid"], 0);
    assert_eq!(doc["totals"]["valid_development_setup"], 1);
    assert_eq!(doc["totals"]["result"], "invalid");
    assert_eq!(doc["rows"][0]["policy"]["checked"], false);

    // An opening belongs to one bundle.
    let (exit, _, err) = verify(&[&a, &b], &["--opening", &a]);
    assert_eq!(exit, Exit::Error);
    assert!(err.contains("give a single bundle"), "{err}");
}

#[test]
fn the_applicants_opening_passes_and_their_true_features_in_it_fail_the_opening_check() {
    let w = world();
    let proved = prove(
        &w.context(&w.model).unwrap(),
        &w.application("OPEN-1", |_| {}),
    );
    let scratch = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = scratch.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let bundle = write("bundle.json", &proved.bundle.to_json_pretty());
    let opening = proved.opening.to_json_pretty();
    let honest = write("opening.json", &opening);
    // The applicant's true income differs from what the lender proved: they edit the file.
    let mut doc: serde_json::Value = serde_json::from_str(&opening).unwrap();
    let first = doc["features_fixed_point"][0].as_i64().unwrap();
    doc["features_fixed_point"][0] = serde_json::json!(first + (1 << 16));
    let edited = write("edited.json", &serde_json::to_string_pretty(&doc).unwrap());
    let root = write(
        "root.json",
        &serde_json::to_string_pretty(w.trust.signed_root()).unwrap(),
    );
    let policy = fixtures()
        .join(format!("policies/{BAND_POLICY}.toml"))
        .display()
        .to_string();
    let bb = bb().display().to_string();
    let verify = |opening: &str| {
        govproof(&[
            "verify",
            &bundle,
            "--trust",
            &root,
            "--policy",
            &policy,
            "--opening",
            opening,
            "--dev-setup",
            "--bb",
            &bb,
        ])
    };
    let (exit, out, err) = verify(&honest);
    assert_eq!(exit, Exit::DevelopmentSetup, "{out}\n{err}");
    assert!(out.contains("PASS  opening"), "{out}");
    let (exit, out, err) = verify(&edited);
    assert_eq!(exit, Exit::Rejected, "{out}\n{err}");
    assert!(out.contains("INVALID: failed opening"), "{out}");
    assert!(
        out.contains("this decision was not made on these features"),
        "{out}"
    );
}
