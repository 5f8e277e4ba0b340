//! Proving and verifying for the circuit tests: one warm prover and one verifier per test binary,
//! on the development setup (a publicly known trapdoor: such proofs prove nothing outside tests).
//!
//! bb comes from `GOVPROOF_BB` or the pinned toolchain, installed on first use (see
//! [`super::bb`]).

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use govproof::artifact::Artifact;
use govproof::field::Field;
use govproof::prover::{CircuitBytecode, ProofTarget, Prover, Verifier, WitnessStack};
use govproof::setup::dangerous;
use govproof::witness::SolvedWitness;

struct Kit {
    prover: Mutex<Prover>,
    verifier: Mutex<Verifier>,
    _work: tempfile::TempDir,
}

fn kit() -> Option<&'static Kit> {
    static KIT: OnceLock<Option<Kit>> = OnceLock::new();
    KIT.get_or_init(|| {
        let bb = super::bb()?;
        // Shared by every test binary, so the development points are generated once.
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests");
        let setup = govproof_testkit::development_setup();
        let work = tempfile::tempdir().unwrap();
        let prover = Prover::new(&bb, &setup, &cache.join("vk")).unwrap();
        let verifier =
            Verifier::new(&bb, work.path(), dangerous::accept_development_proofs()).unwrap();
        Some(Kit {
            prover: Mutex::new(prover),
            verifier: Mutex::new(verifier),
            _work: work,
        })
    })
    .as_ref()
}

/// Proves `solved` for `artifact` and checks the proof verifies with the solved public inputs.
/// With `tamper = Some(i)`, also checks that the same proof is rejected once public input `i` is
/// changed.
pub fn prove_and_verify(artifact: &Artifact, solved: &SolvedWitness, tamper: Option<usize>) {
    let Some(kit) = kit() else {
        eprintln!("skipped proving: GOVPROOF_BB names no file");
        return;
    };
    let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec()).unwrap();
    let witness = WitnessStack::from_msgpack(solved.msgpack().to_vec()).unwrap();
    let (vk, proof) = {
        let mut prover = kit.prover.lock().unwrap_or_else(|p| p.into_inner());
        let proof = prover
            .prove(&circuit, &witness, ProofTarget::NoirRecursive)
            .unwrap();
        let vk = prover
            .verification_key(&circuit, ProofTarget::NoirRecursive)
            .unwrap();
        (vk, proof)
    };
    assert_eq!(proof.public_inputs(), solved.public_inputs());
    let mut verifier = kit.verifier.lock().unwrap_or_else(|p| p.into_inner());
    verifier.verify(&vk, &proof).unwrap();
    if let Some(i) = tamper {
        let mut inputs = proof.public_inputs().to_vec();
        // 0 and 1 swap (a decision bit flips), anything else moves by one.
        inputs[i] = if inputs[i] == Field::zero() {
            Field::one()
        } else if inputs[i] == Field::one() {
            Field::zero()
        } else {
            inputs[i] + Field::one()
        };
        let forged = proof.with_public_inputs(inputs);
        match verifier.verify(&vk, &forged) {
            Err(e) if e.is_rejection() => {}
            other => panic!("public input {i} tampered: expected a rejection, got {other:?}"),
        }
        // The honest proof still verifies.
        verifier.verify(&vk, &proof).unwrap();
    }
}

/// Proves `solved` for `artifact`, checks the proof verifies, and that the same proof is rejected
/// with each of `forgeries` as its public inputs (the honest proof still verifying after each).
/// Returns `false` (and proves nothing) when no bb is available.
pub fn prove_and_reject_forgeries(
    artifact: &Artifact,
    solved: &SolvedWitness,
    forgeries: &[Vec<Field>],
) -> bool {
    let Some(kit) = kit() else {
        eprintln!("skipped proving: GOVPROOF_BB names no file");
        return false;
    };
    let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec()).unwrap();
    let witness = WitnessStack::from_msgpack(solved.msgpack().to_vec()).unwrap();
    let (vk, proof) = {
        let mut prover = kit.prover.lock().unwrap_or_else(|p| p.into_inner());
        let proof = prover
            .prove(&circuit, &witness, ProofTarget::NoirRecursive)
            .unwrap();
        let vk = prover
            .verification_key(&circuit, ProofTarget::NoirRecursive)
            .unwrap();
        (vk, proof)
    };
    assert_eq!(proof.public_inputs(), solved.public_inputs());
    let mut verifier = kit.verifier.lock().unwrap_or_else(|p| p.into_inner());
    verifier.verify(&vk, &proof).unwrap();
    for (k, inputs) in forgeries.iter().enumerate() {
        let forged = proof.with_public_inputs(inputs.clone());
        match verifier.verify(&vk, &forged) {
            Err(e) if e.is_rejection() => {}
            other => panic!("forgery {k}: expected a rejection, got {other:?}"),
        }
        verifier.verify(&vk, &proof).unwrap();
    }
    true
}
