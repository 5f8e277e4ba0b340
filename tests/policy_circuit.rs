//! From a policy file to a proof: the example policies, read by `policy::check`, are the policies
//! a composite circuit opens. A decision made under each proves and verifies with the file's
//! `policy hash` as its public input; and a copy of the file that changes only what the circuit
//! does not check (a band's name, a gate's outcome) no longer opens that hash, so the names and
//! outcomes a verifier shows from the file are the ones the proof committed to.
//!
//! Proving uses the development setup (see `circuits_support::proving`).

#![allow(clippy::unwrap_used)]

use crate::circuits_support;

use std::path::Path;

use govproof::artifact::Artifact;
use govproof::circuits::{CircuitDecision, CircuitOutcome, Constraint, Features, ModelRef};
use govproof::commit::{scope_id, ScopeLabels};
use govproof::policy::{check, CheckOptions, Policy, SourceFile};
use govproof::witness::{execute, WitnessError};

use circuits_support::{proving, rebuild, sample_model, Rng, Scenario};

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn load(text: &str) -> Policy {
    let file = SourceFile::new("policy.toml", text);
    let checked = check(&file, &CheckOptions::default());
    checked
        .policy
        .unwrap_or_else(|| panic!("{}", checked.diagnostics.render(&file)))
}

fn composite(policy: &Policy) -> Artifact {
    let name = policy.profile().name();
    let json = govproof::noir::embedded(&name).unwrap();
    Artifact::from_json(&name, std::str::from_utf8(json).unwrap()).unwrap()
}

/// A valid decision under `policy`: one of its models and scopes, a day into its window, every
/// feature at its declared minimum, a model that gives its protected features zero weight.
fn decision_under(
    policy: &Policy,
    model: (&str, &str),
    scope: (&str, &str, &str),
) -> CircuitDecision {
    let profile = *policy.profile();
    let mut sc = Scenario::valid(profile, 11);
    sc.policy = policy.encoding().spec().clone();
    sc.model_ref = ModelRef::new(model.0, model.1);
    sc.scope = ScopeLabels::new(scope.0, scope.1, scope.2);
    sc.entry_scopes = vec![scope_id(&sc.scope)];
    sc.decision_time = policy.valid_from().unix() + 86_400;
    sc.entry_window = (sc.decision_time - 1_000, sc.decision_time + 1_000);
    sc.features = Features::new(policy.features().iter().map(|f| f.lo).collect()).unwrap();
    let protected: Vec<u32> = policy.protected().iter().map(|&i| i as u32).collect();
    sc.model = sample_model(&profile, &mut Rng::new(5), &protected);
    let decision = sc.build();
    assert_eq!(decision.first_violation(), None);
    decision
}

/// Proves the decision for real, and checks that `changed` (the same policy with one thing the
/// circuit does not check changed) cannot stand in for the policy behind the public hash.
fn proves_and_refuses_the_changed_document(policy: &Policy, changed: &Policy, d: &CircuitDecision) {
    assert_eq!(d.statement().policy_hash, policy.hash());
    let artifact = composite(policy);
    let solved = execute(&artifact, &d.inputs()).unwrap();
    assert_eq!(
        solved.public_inputs()[1],
        policy.hash(),
        "public policy hash"
    );
    proving::prove_and_verify(&artifact, &solved, Some(1));

    // Everything the circuit checks is the same; only `meta`, the document digest, differs.
    let (a, b) = (policy.encoding_fields(), changed.encoding_fields());
    assert_eq!(a[..a.len() - 1], b[..b.len() - 1]);
    assert_ne!(a.last(), b.last());
    assert_ne!(policy.hash(), changed.hash());
    let swapped = rebuild(d, |_, w| w.policy = changed.encoding().clone());
    assert_eq!(swapped.first_violation(), Some(Constraint::PolicyHash));
    match execute(&artifact, &swapped.inputs()) {
        Err(WitnessError::AssertionFailed { message, .. }) => {
            assert_eq!(message, Constraint::PolicyHash.message())
        }
        other => panic!("expected the policy hash assertion, got {other:?}"),
    }
}

#[test]
fn a_band_decision_proves_under_the_eu_policy_and_a_renamed_band_does_not_open_its_hash() {
    let text = example("eu-consumer-credit.toml");
    let policy = load(&text);
    let d = decision_under(
        &policy,
        ("acme-credit-mlp", "3.2.0"),
        ("consumer-credit", "EU-NL", "credit-card"),
    );
    // The public band index names a band of the file.
    let CircuitOutcome::Band(index) = d.statement().outcome else {
        panic!("a band profile proves a band")
    };
    let govproof::policy::Decision::ScoreBand { bands, .. } = policy.decision() else {
        panic!("the EU policy has score bands")
    };
    assert!((index as usize) < bands.len());
    let renamed = text.replacen("name = \"prime\"", "name = \"premium\"", 1);
    assert_ne!(renamed, text);
    proves_and_refuses_the_changed_document(&policy, &load(&renamed), &d);
}

#[test]
fn a_gate_decision_proves_under_the_fraud_policy_and_another_outcome_does_not_open_its_hash() {
    let text = example("card-fraud-gate.toml");
    let policy = load(&text);
    let d = decision_under(
        &policy,
        ("sentinel-fraud-linear", "2.1.0"),
        ("fraud-screening", "EU-IT", "instant-transfer"),
    );
    assert!(matches!(d.statement().outcome, CircuitOutcome::Decision(_)));
    let changed = text.replacen("at_or_above = \"decline\"", "at_or_above = \"refer\"", 1);
    assert_ne!(changed, text);
    proves_and_refuses_the_changed_document(&policy, &load(&changed), &d);
}
