//! The standalone programs: each concern's statement on its own, solved from a valid decision,
//! proved and verified (and rejected once its first public input is tampered), and refused for a
//! broken one.

#![allow(clippy::unwrap_used)]

use crate::circuits_support;

use govproof::abi::{InputValue, Inputs};
use govproof::artifact::Artifact;
use govproof::circuits::decision::{entry_input, policy_input};
use govproof::circuits::{CircuitDecision, CircuitOutcome, Profile};
use govproof::field::Field;
use govproof::witness::{execute, WitnessError};

use circuits_support::{mutated, proving};

fn program(name: &str) -> Artifact {
    let json = govproof::noir::embedded(name).unwrap_or_else(|| panic!("`{name}` is embedded"));
    Artifact::from_json(name, std::str::from_utf8(json).unwrap()).unwrap()
}

fn fields(v: &[Field]) -> InputValue {
    InputValue::array(v.iter().copied())
}

fn outcome(d: &CircuitDecision) -> InputValue {
    match d.statement().outcome {
        CircuitOutcome::Band(k) => InputValue::Field(Field::from(u64::from(k))),
        CircuitOutcome::Decision(b) => InputValue::Bool(b),
    }
}

fn commitments(d: &CircuitDecision) -> Inputs {
    let w = d.witness();
    // The registered commitment, which a tampered model no longer opens.
    Inputs::new()
        .with("weights_commitment", w.entry.weights_commitment)
        .with("input_commitment", d.statement().input_commitment)
        .with("weights", fields(&w.model.weight_fields()))
        .with("features", fields(&w.features.to_fields()))
        .with("salt", w.salt)
}

pub fn inference_gate_inputs(d: &CircuitDecision) -> Inputs {
    commitments(d)
        .with("threshold", d.witness().policy.rule_fields()[0])
        .with("decision", outcome(d))
}

pub fn score_infer_inputs(d: &CircuitDecision) -> Inputs {
    commitments(d)
        .with("rule", fields(&d.witness().policy.rule_fields()))
        .with("band_index", outcome(d))
}

pub fn registry_membership_inputs(d: &CircuitDecision) -> Inputs {
    let s = d.statement();
    let w = d.witness();
    let mut scopes = w.entry_scopes.clone();
    scopes.resize(d.profile().scopes(), Field::zero());
    Inputs::new()
        .with("registry_root", s.registry_root)
        .with("model_id", s.model_id)
        .with("model_version", s.model_version)
        .with("weights_commitment", w.model.commitment())
        .with("profile_id", d.profile().id())
        .with("purpose", s.scope.purpose)
        .with("jurisdiction", s.scope.jurisdiction)
        .with("product", s.scope.product)
        .with("decision_time", Field::from(s.decision_time))
        .with("entry", entry_input(&w.entry))
        .with("entry_index", Field::from(w.entry_path.index))
        .with("entry_path", fields(&w.entry_path.siblings))
        .with("entry_scopes", fields(&scopes))
}

pub fn policy_scope_inputs(d: &CircuitDecision) -> Inputs {
    let s = d.statement();
    commitments(d)
        .with("policy_hash", s.policy_hash)
        .with("model_id", s.model_id)
        .with("model_version", s.model_version)
        .with("purpose", s.scope.purpose)
        .with("jurisdiction", s.scope.jurisdiction)
        .with("product", s.scope.product)
        .with("decision_time", Field::from(s.decision_time))
        .with("policy", policy_input(&d.witness().policy))
}

fn refused(artifact: &Artifact, inputs: &Inputs) -> String {
    match execute(artifact, inputs) {
        Err(WitnessError::AssertionFailed { message, .. }) => message,
        other => panic!("expected a failed assertion, got {other:?}"),
    }
}

#[test]
fn inference_gate_program_decides_and_refuses_the_wrong_bit() {
    let artifact = program("inference_gate_program");
    let profile = Profile::reference_mlp_gate();
    let good = mutated(profile, 7, "none");
    let solved = execute(&artifact, &inference_gate_inputs(&good)).unwrap();
    proving::prove_and_verify(&artifact, &solved, Some(0));
    let bad = mutated(profile, 7, "wrong_decision_bit");
    assert_eq!(
        refused(&artifact, &inference_gate_inputs(&bad)),
        "decision bit does not match the score and the threshold"
    );
}

#[test]
fn score_infer_program_bands_and_refuses_the_wrong_band() {
    let artifact = program("score_infer_program");
    let profile = Profile::reference_linear_band();
    let good = mutated(profile, 8, "none");
    let solved = execute(&artifact, &score_infer_inputs(&good)).unwrap();
    proving::prove_and_verify(&artifact, &solved, Some(0));
    let bad = mutated(profile, 8, "wrong_band");
    assert_eq!(
        refused(&artifact, &score_infer_inputs(&bad)),
        "score is outside the claimed band"
    );
    let bad = mutated(profile, 8, "tamper_weight");
    assert_eq!(
        refused(&artifact, &score_infer_inputs(&bad)),
        "weights do not match the committed weights"
    );
}

#[test]
fn registry_membership_program_admits_and_refuses_a_revoked_entry() {
    let artifact = program("registry_membership_program");
    let profile = Profile::reference_mlp_band();
    let good = mutated(profile, 9, "none");
    let solved = execute(&artifact, &registry_membership_inputs(&good)).unwrap();
    proving::prove_and_verify(&artifact, &solved, Some(0));
    let bad = mutated(profile, 9, "revoke_entry");
    assert_eq!(
        refused(&artifact, &registry_membership_inputs(&bad)),
        "entry is revoked"
    );
    let bad = mutated(profile, 9, "tamper_path");
    assert_eq!(
        refused(&artifact, &registry_membership_inputs(&bad)),
        "entry is not in the registry"
    );
}

#[test]
fn policy_scope_program_allows_and_refuses_a_weighted_protected_feature() {
    let artifact = program("policy_scope_program");
    let profile = Profile::reference_mlp_band();
    let good = mutated(profile, 10, "none");
    let solved = execute(&artifact, &policy_scope_inputs(&good)).unwrap();
    proving::prove_and_verify(&artifact, &solved, Some(0));
    for (mutation, message) in [
        (
            "protected_feature_weighted",
            "protected feature has non-zero weight",
        ),
        ("scope_not_in_policy", "scope is not allowed by the policy"),
        (
            "feature_above_range",
            "feature is outside its declared range",
        ),
    ] {
        let bad = mutated(profile, 10, mutation);
        assert_eq!(refused(&artifact, &policy_scope_inputs(&bad)), message);
    }
}
