//! `noir-recursive` proofs: the repository's real bundles (development setup) and a real-setup
//! proof (Ignition) verify; tampered ones are refused or rejected with the check that failed.

mod common;

use common::{development_g2, flipped, fr_modulus, incremented, replaced, valid_bundles, Fixture};
use govproof_verify::{
    verify, Check, G2Point, Malformed, Part, Proof, Target, VerificationKey, VerifyError,
};

fn rejected(check: Check) -> Result<(), VerifyError> {
    Err(VerifyError::Rejected { check })
}

fn malformed(reason: Malformed) -> Result<(), VerifyError> {
    Err(VerifyError::Malformed { reason })
}

#[test]
fn real_bundles_verify_against_the_development_setup() {
    let g2 = development_g2();
    for b in valid_bundles() {
        let r = verify(&b.key(), &b.proof, &b.public_inputs, &g2);
        assert_eq!(r, Ok(()), "{} ({})", b.name, b.circuit);
    }
}

#[test]
fn development_proofs_fail_the_pairing_against_ignition() {
    for b in valid_bundles() {
        let r = verify(&b.key(), &b.proof, &b.public_inputs, &G2Point::ignition());
        assert_eq!(r, rejected(Check::Pairing), "{}", b.name);
    }
}

#[test]
fn real_setup_proof_verifies_and_key_hash_matches_bb() {
    let f = Fixture::load(Target::NoirRecursive);
    let key = f.key();
    assert_eq!(key.hash(), f.key_hash);
    assert_eq!(key.num_public_inputs(), 2);
    assert_eq!(
        verify(&key, &f.proof, &f.public_inputs, &G2Point::ignition()),
        Ok(())
    );
    // Against the development setup the same proof fails the pairing only.
    assert_eq!(
        verify(&key, &f.proof, &f.public_inputs, &development_g2()),
        rejected(Check::Pairing)
    );
}

#[test]
fn a_changed_public_input_is_rejected_by_sumcheck() {
    let g2 = development_g2();
    for b in valid_bundles() {
        for k in [0, b.public_inputs.len() - 1] {
            let mut inputs = b.public_inputs.clone();
            inputs[k][31] ^= 1;
            let r = verify(&b.key(), &b.proof, &inputs, &g2);
            assert_eq!(r, rejected(Check::SumcheckRound(0)), "{} input {k}", b.name);
        }
    }
}

#[test]
fn public_inputs_of_the_wrong_count_or_not_canonical_are_refused() {
    let f = Fixture::load(Target::NoirRecursive);
    let key = f.key();
    let g2 = G2Point::ignition();
    assert_eq!(
        verify(&key, &f.proof, &f.public_inputs[..1], &g2),
        malformed(Malformed::PublicInputCount {
            expected: 2,
            actual: 1
        })
    );
    let mut inputs = f.public_inputs.clone();
    inputs[1] = fr_modulus();
    assert_eq!(
        verify(&key, &f.proof, &inputs, &g2),
        malformed(Malformed::NonCanonical {
            part: Part::PublicInput,
            field: 1
        })
    );
}

/// Sections of the 458-field proof (4 limbs a point, 25 rounds).
const MASKING: usize = 8;
const LIBRA_SUM: usize = 8 + 10 * 4;
const FIRST_UNIVARIATE: usize = LIBRA_SUM + 1;
const EVALUATIONS: usize = FIRST_UNIVARIATE + 25 * 9;
const KZG_W: usize = 458 - 4;

#[test]
fn tampered_fields_are_rejected_at_the_check_they_break() {
    let f = Fixture::load(Target::NoirRecursive);
    let key = f.key();
    let g2 = G2Point::ignition();
    let check = |proof: Vec<u8>| verify(&key, &proof, &f.public_inputs, &g2);
    // A round value: that round's sum check.
    assert_eq!(
        check(flipped(&f.proof, FIRST_UNIVARIATE + 9 * 7)),
        rejected(Check::SumcheckRound(7))
    );
    // The claimed Libra sum: round 0.
    assert_eq!(
        check(flipped(&f.proof, LIBRA_SUM)),
        rejected(Check::SumcheckRound(0))
    );
    // An evaluation: the final relation.
    assert_eq!(
        check(incremented(&f.proof, EVALUATIONS + 30)),
        rejected(Check::FinalRelation)
    );
    // A Libra polynomial evaluation: the Libra consistency check.
    assert_eq!(
        check(incremented(&f.proof, KZG_W - 4 - 1)),
        rejected(Check::LibraConsistency)
    );
}

#[test]
fn every_single_field_flip_is_refused_or_rejected() {
    let f = Fixture::load(Target::NoirRecursive);
    let key = f.key();
    let g2 = G2Point::ignition();
    for i in 0..458 {
        let r = verify(&key, &flipped(&f.proof, i), &f.public_inputs, &g2);
        assert!(r.is_err(), "flipping field {i} was accepted");
    }
}

#[test]
fn non_canonical_fields_and_off_curve_points_are_refused() {
    let f = Fixture::load(Target::NoirRecursive);
    let key = f.key();
    let g2 = G2Point::ignition();
    let check = |proof: Vec<u8>| verify(&key, &proof, &f.public_inputs, &g2);
    assert_eq!(
        check(replaced(&f.proof, 212, fr_modulus())),
        malformed(Malformed::NonCanonical {
            part: Part::Proof,
            field: 212
        })
    );
    // A limb changed by one moves the masking commitment off the curve.
    assert_eq!(
        check(incremented(&f.proof, MASKING)),
        malformed(Malformed::NotOnCurve {
            part: Part::Proof,
            first: 8,
            last: 11
        })
    );
    // A low limb of more than 136 bits.
    let mut wide = [0u8; 32];
    wide[14] = 1;
    assert_eq!(
        check(replaced(&f.proof, MASKING, wide)),
        malformed(Malformed::LimbOutOfRange {
            part: Part::Proof,
            field: 8
        })
    );
}

#[test]
fn the_identity_in_place_of_a_commitment_parses_and_is_rejected() {
    let f = Fixture::load(Target::NoirRecursive);
    let key = f.key();
    let mut proof = f.proof.clone();
    // w1 (fields 12..=15) set to (0, 0).
    proof[32 * 12..32 * 16].fill(0);
    let r = verify(&key, &proof, &f.public_inputs, &G2Point::ignition());
    assert!(matches!(r, Err(VerifyError::Rejected { .. })), "{r:?}");
    // The KZG quotient as the identity: only the pairing can notice.
    let mut proof = f.proof.clone();
    proof[32 * KZG_W..].fill(0);
    assert_eq!(
        verify(&key, &proof, &f.public_inputs, &G2Point::ignition()),
        rejected(Check::Pairing)
    );
}

#[test]
fn truncated_and_over_long_proofs_are_refused() {
    let f = Fixture::load(Target::NoirRecursive);
    let key = f.key();
    let g2 = G2Point::ignition();
    for len in [0, 31, 32, 14_624, 14_655] {
        assert_eq!(
            verify(&key, &f.proof[..len], &f.public_inputs, &g2),
            malformed(Malformed::Size {
                part: Part::Proof,
                expected: 14_656,
                actual: len
            })
        );
    }
    let mut long = f.proof.clone();
    long.extend_from_slice(&[0u8; 32]);
    assert!(matches!(
        verify(&key, &long, &f.public_inputs, &g2),
        Err(VerifyError::Malformed {
            reason: Malformed::Size { actual: 14_688, .. }
        })
    ));
}

#[test]
fn a_proof_with_another_circuits_key_is_rejected() {
    let bundles = valid_bundles();
    let f = Fixture::load(Target::NoirRecursive);
    let other = bundles[0].key();
    // Different public-input counts are refused before any check.
    assert!(matches!(
        verify(&other, &f.proof, &f.public_inputs, &G2Point::ignition()),
        Err(VerifyError::Malformed { .. })
    ));
    // Same count, other circuit: the transcript differs and sumcheck fails.
    let gate = bundles.iter().find(|b| {
        b.circuit != bundles[0].circuit && b.public_inputs.len() == bundles[0].public_inputs.len()
    });
    if let Some(g) = gate {
        let r = verify(
            &g.key(),
            &bundles[0].proof,
            &bundles[0].public_inputs,
            &development_g2(),
        );
        assert!(matches!(r, Err(VerifyError::Rejected { .. })), "{r:?}");
    }
}

#[test]
fn keys_are_checked_when_parsed() {
    let f = Fixture::load(Target::NoirRecursive);
    assert!(matches!(
        VerificationKey::from_bytes(Target::NoirRecursive, &f.key_bytes[..3648]),
        Err(VerifyError::Malformed {
            reason: Malformed::Size {
                part: Part::Key,
                ..
            }
        })
    ));
    // An evm-sized key is not a noir-recursive key.
    assert!(VerificationKey::from_bytes(Target::Evm, &f.key_bytes).is_err());
    let mut bad = f.key_bytes.clone();
    bad[31] = 26; // log n 26
    assert!(matches!(
        VerificationKey::from_bytes(Target::NoirRecursive, &bad),
        Err(VerifyError::Malformed {
            reason: Malformed::KeyHeader { field: 0, .. }
        })
    ));
    let mut bad = f.key_bytes.clone();
    bad[32 * 3 + 31] ^= 1; // sigma_1's x low limb: off the curve
    assert_eq!(
        VerificationKey::from_bytes(Target::NoirRecursive, &bad),
        Err(VerifyError::Malformed {
            reason: Malformed::NotOnCurve {
                part: Part::Key,
                first: 3,
                last: 6
            }
        })
    );
    let mut bad = f.key_bytes.clone();
    bad[32 * 5..32 * 6].copy_from_slice(&fr_modulus());
    assert_eq!(
        VerificationKey::from_bytes(Target::NoirRecursive, &bad),
        Err(VerifyError::Malformed {
            reason: Malformed::NonCanonical {
                part: Part::Key,
                field: 5
            }
        })
    );
}

#[test]
fn a_parsed_proof_can_be_kept_and_verified() {
    let f = Fixture::load(Target::NoirRecursive);
    let key = f.key();
    let proof = Proof::from_bytes(Target::NoirRecursive, &f.proof, key.log_circuit_size()).unwrap();
    assert_eq!(
        govproof_verify::verify_parsed(&key, &proof, &f.public_inputs, &G2Point::ignition()),
        Ok(())
    );
}

#[test]
fn a_proof_parsed_for_the_other_target_is_refused() {
    let nr = Fixture::load(Target::NoirRecursive);
    let evm = Fixture::load(Target::Evm);
    let proof = Proof::from_bytes(Target::Evm, &evm.proof, 5).unwrap();
    assert_eq!(
        govproof_verify::verify_parsed(&nr.key(), &proof, &nr.public_inputs, &G2Point::ignition()),
        malformed(Malformed::TargetMismatch {
            key: Target::NoirRecursive,
            proof: Target::Evm
        })
    );
}

#[test]
fn random_corruption_never_panics_and_is_never_accepted() {
    // A small deterministic generator (xorshift), so a failure reproduces.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let g2 = G2Point::ignition();
    for target in [Target::NoirRecursive, Target::Evm] {
        let f = Fixture::load(target);
        let key = f.key();
        for _ in 0..150 {
            let mut proof = f.proof.clone();
            let mut key_bytes = f.key_bytes.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % proof.len();
                proof[i] = next() as u8;
            }
            if proof != f.proof {
                assert!(verify(&key, &proof, &f.public_inputs, &g2).is_err());
            }
            let i = (next() as usize) % key_bytes.len();
            key_bytes[i] ^= 1 << (next() % 8);
            if let Ok(k) = VerificationKey::from_bytes(target, &key_bytes) {
                assert!(verify(&k, &f.proof, &f.public_inputs, &g2).is_err());
            }
            let cut = (next() as usize) % (proof.len() + 64);
            let mut resized = proof.clone();
            resized.resize(cut, 0);
            let _ = Proof::from_bytes(target, &resized, (next() % 30) as u32);
            let _ = VerificationKey::from_bytes(target, &key_bytes[..cut.min(key_bytes.len())]);
        }
    }
}
