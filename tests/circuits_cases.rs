//! One test per fixture folder under `tests/data/circuits_cases/<expected outcome>/<case>/`.
//!
//! Each folder's `case.toml` names a circuit profile, a seed and a mutation applied to the valid
//! decision that seed builds (see `circuits_support::mutated`). The folder's parent says what must
//! happen:
//! - `proves`: the native check finds no violation, the witness solves with exactly the
//!   statement's public inputs, and the proof verifies;
//! - `fails_witness`: both the native check and the circuit refuse the decision, with the message
//!   the case names (the circuit's assertion message);
//! - `fails_verification`: a valid proof is checked against one tampered public input and rejected
//!   (and still verifies with the true inputs).

#![allow(clippy::unwrap_used)]

use crate::circuits_support;

use std::fs;
use std::path::PathBuf;

use govproof::artifact::Artifact;
use govproof::circuits::{CircuitDecision, Profile};
use govproof::witness::{execute, WitnessError};

use circuits_support::{mutated, proving};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    profile: String,
    seed: u64,
    mutation: String,
    message: Option<String>,
    public_input: Option<String>,
}

fn cases_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/circuits_cases")
}

fn composite(profile: &Profile) -> Artifact {
    let name = profile.name();
    let json = govproof::noir::embedded(&name)
        .unwrap_or_else(|| panic!("the reference circuit `{name}` is embedded"));
    Artifact::from_json(&name, std::str::from_utf8(json).unwrap()).unwrap()
}

fn load(outcome: &str, name: &str) -> (Case, Profile, CircuitDecision) {
    let path = cases_root().join(outcome).join(name).join("case.toml");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let case: Case = toml::from_str(&text).unwrap();
    assert!(!case.description.is_empty());
    let profile = Profile::from_name(&case.profile).unwrap();
    let decision = mutated(profile, case.seed, &case.mutation);
    (case, profile, decision)
}

fn run_case(outcome: &str, name: &str) {
    let (case, profile, decision) = load(outcome, name);
    let artifact = composite(&profile);
    let inputs = decision.inputs();
    match outcome {
        "proves" => {
            assert_eq!(decision.first_violation(), None, "{name}: native check");
            let solved = execute(&artifact, &inputs).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                solved.public_inputs(),
                decision.statement().to_fields().as_slice(),
                "{name}: public inputs"
            );
            proving::prove_and_verify(&artifact, &solved, None);
        }
        "fails_witness" => {
            let message = case
                .message
                .expect("a fails_witness case names its message");
            let native = decision.first_violation().map(|c| c.message());
            assert_eq!(
                native.as_deref(),
                Some(message.as_str()),
                "{name}: native check"
            );
            match execute(&artifact, &inputs) {
                Err(WitnessError::AssertionFailed { message: got, .. }) => {
                    assert_eq!(got, message, "{name}: circuit message")
                }
                other => panic!("{name}: expected the assertion `{message}`, got {other:?}"),
            }
        }
        "fails_verification" => {
            let input = case
                .public_input
                .expect("a fails_verification case names the public input it tampers");
            // The composites' public inputs: the common ones, then the outcome.
            let position = govproof::bundle::document::COMMON_INPUT_NAMES
                .iter()
                .chain(&["outcome"])
                .position(|n| *n == input)
                .unwrap_or_else(|| panic!("{name}: unknown public input `{input}`"));
            assert_eq!(
                decision.first_violation(),
                None,
                "{name}: the base is valid"
            );
            let solved = execute(&artifact, &inputs).unwrap_or_else(|e| panic!("{name}: {e}"));
            proving::prove_and_verify(&artifact, &solved, Some(position));
        }
        other => panic!("unknown expected outcome folder `{other}`"),
    }
}

macro_rules! cases {
    ($($outcome:ident / $name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_case(stringify!($outcome), stringify!($name));
            }
        )*

        #[test]
        fn every_case_folder_has_a_test() {
            let listed: Vec<(&str, &str)> = vec![$((stringify!($outcome), stringify!($name))),*];
            let mut found = Vec::new();
            for outcome in fs::read_dir(cases_root()).unwrap() {
                let outcome = outcome.unwrap();
                for case in fs::read_dir(outcome.path()).unwrap() {
                    found.push((
                        outcome.file_name().to_string_lossy().into_owned(),
                        case.unwrap().file_name().to_string_lossy().into_owned(),
                    ));
                }
            }
            found.sort();
            let mut listed: Vec<(String, String)> =
                listed.into_iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
            listed.sort();
            assert_eq!(found, listed, "every fixture folder needs exactly one test");
        }
    };
}

cases! {
    proves / mlp_score_band,
    proves / mlp_gate_yes,
    proves / mlp_gate_no,
    proves / linear_score_band,
    proves / linear_score_lowest_open_band,
    proves / linear_gate,
    fails_witness / weights_not_matching_commitment,
    fails_witness / entry_not_in_registry,
    fails_witness / entry_at_another_slot,
    fails_witness / revoked_entry,
    fails_witness / decision_before_entry_window,
    fails_witness / decision_after_entry_window,
    fails_witness / decision_after_policy_window,
    fails_witness / decision_before_policy_window,
    fails_witness / model_not_allowed_by_policy,
    fails_witness / model_version_not_allowed_by_policy,
    fails_witness / scope_not_allowed_by_policy,
    fails_witness / scope_not_approved_by_entry,
    fails_witness / protected_feature_with_weight,
    fails_witness / protected_feature_with_weight_linear,
    fails_witness / feature_above_declared_range,
    fails_witness / feature_below_declared_range,
    fails_witness / wrong_band,
    fails_witness / wrong_band_linear,
    fails_witness / band_beyond_table,
    fails_witness / wrong_decision_bit,
    fails_witness / wrong_decision_bit_linear,
    fails_witness / input_commitment_wrong_salt,
    fails_witness / input_commitment_wrong_features,
    fails_witness / policy_not_matching_hash,
    fails_witness / policy_document_not_matching_hash,
    fails_witness / entry_for_other_profile,
    fails_verification / tampered_decision_id,
    fails_verification / tampered_band_index,
    fails_verification / tampered_decision_bit,
    fails_verification / tampered_registry_root,
    fails_verification / tampered_policy_hash,
    fails_verification / tampered_input_commitment,
    fails_verification / tampered_model_version,
}

#[test]
fn a_decision_refuses_an_outcome_of_the_other_kind() {
    use govproof::circuits::{CircuitOutcome, DecisionError};
    let mut sc = circuits_support::Scenario::valid(Profile::reference_mlp_gate(), 1);
    sc.outcome = Some(CircuitOutcome::Band(0));
    let (statement, witness) = sc.parts();
    let r = CircuitDecision::new(sc.profile, statement, witness);
    assert!(matches!(r, Err(DecisionError::OutcomeKind { .. })), "{r:?}");
}
