//! `evm` proofs (Keccak transcript, `log n` rounds, 2 fields a point): a real-setup proof
//! verifies; tampered ones are refused or rejected with the check that failed.

mod common;

use common::{development_g2, flipped, fq_modulus, fr_modulus, incremented, replaced, Fixture};
use govproof_verify::{
    verify, Check, G2Point, Malformed, Part, Target, VerificationKey, VerifyError,
};

fn rejected(check: Check) -> Result<(), VerifyError> {
    Err(VerifyError::Rejected { check })
}

fn malformed(reason: Malformed) -> Result<(), VerifyError> {
    Err(VerifyError::Malformed { reason })
}

/// log n of the fixture's circuit (2^5 rows), and the sections of its 142-field proof.
const LOG_N: usize = 5;
const LIBRA_SUM: usize = 8 + 10 * 2;
const FIRST_UNIVARIATE: usize = LIBRA_SUM + 1;
const EVALUATIONS: usize = FIRST_UNIVARIATE + LOG_N * 9;
const PROOF_FIELDS: usize = 142;

#[test]
fn real_setup_proof_verifies_and_key_hash_matches_bb_and_its_solidity_verifier() {
    let f = Fixture::load(Target::Evm);
    let key = f.key();
    assert_eq!(key.log_circuit_size() as usize, LOG_N);
    assert_eq!(f.proof.len(), PROOF_FIELDS * 32);
    assert_eq!(Target::Evm.proof_size(5), f.proof.len());
    assert_eq!(key.hash(), f.key_hash);
    // `VK_HASH` in the contract `bb write_solidity_verifier` writes for this key.
    assert_eq!(
        hex::encode(key.hash()),
        "2bc21f67ffbf72e375db7a7a6e11756b65f298d6b3ee62cfd8bf6810e49cb4db"
    );
    assert_eq!(
        verify(&key, &f.proof, &f.public_inputs, &G2Point::ignition()),
        Ok(())
    );
    assert_eq!(
        verify(&key, &f.proof, &f.public_inputs, &development_g2()),
        rejected(Check::Pairing)
    );
}

#[test]
fn a_changed_public_input_is_rejected() {
    let f = Fixture::load(Target::Evm);
    let key = f.key();
    for k in 0..f.public_inputs.len() {
        let mut inputs = f.public_inputs.clone();
        inputs[k][31] ^= 1;
        assert_eq!(
            verify(&key, &f.proof, &inputs, &G2Point::ignition()),
            rejected(Check::SumcheckRound(0))
        );
    }
}

#[test]
fn tampered_fields_are_rejected_at_the_check_they_break() {
    let f = Fixture::load(Target::Evm);
    let key = f.key();
    let g2 = G2Point::ignition();
    let check = |proof: Vec<u8>| verify(&key, &proof, &f.public_inputs, &g2);
    assert_eq!(
        check(flipped(&f.proof, FIRST_UNIVARIATE + 9 * 3)),
        rejected(Check::SumcheckRound(3))
    );
    assert_eq!(
        check(incremented(&f.proof, EVALUATIONS + 1)),
        rejected(Check::FinalRelation)
    );
    // A round's value at 4 leaves S(0) + S(1) alone: the next round's target notices.
    assert_eq!(
        check(flipped(&f.proof, FIRST_UNIVARIATE + 9 * 3 + 4)),
        rejected(Check::SumcheckRound(4))
    );
    for i in 0..PROOF_FIELDS {
        assert!(
            check(flipped(&f.proof, i)).is_err(),
            "flipping field {i} was accepted"
        );
    }
}

#[test]
fn coordinates_are_checked_against_the_base_field_and_the_curve() {
    let f = Fixture::load(Target::Evm);
    let key = f.key();
    let g2 = G2Point::ignition();
    let check = |proof: Vec<u8>| verify(&key, &proof, &f.public_inputs, &g2);
    // The masking commitment's x at the base-field modulus.
    assert_eq!(
        check(replaced(&f.proof, 8, fq_modulus())),
        malformed(Malformed::NonCanonical {
            part: Part::Proof,
            field: 8
        })
    );
    assert_eq!(
        check(incremented(&f.proof, 9)),
        malformed(Malformed::NotOnCurve {
            part: Part::Proof,
            first: 8,
            last: 9
        })
    );
    // A scalar at the scalar-field modulus.
    assert_eq!(
        check(replaced(&f.proof, EVALUATIONS, fr_modulus())),
        malformed(Malformed::NonCanonical {
            part: Part::Proof,
            field: EVALUATIONS
        })
    );
    // Truncated, over-long.
    assert!(matches!(
        check(f.proof[..f.proof.len() - 32].to_vec()),
        Err(VerifyError::Malformed {
            reason: Malformed::Size { .. }
        })
    ));
}

#[test]
fn a_noir_recursive_key_does_not_verify_an_evm_proof() {
    let evm = Fixture::load(Target::Evm);
    let nr = Fixture::load(Target::NoirRecursive);
    let r = verify(
        &nr.key(),
        &evm.proof,
        &evm.public_inputs,
        &G2Point::ignition(),
    );
    assert!(matches!(
        r,
        Err(VerifyError::Malformed {
            reason: Malformed::Size { .. }
        })
    ));
    assert!(VerificationKey::from_bytes(Target::Evm, &nr.key_bytes).is_err());
}
