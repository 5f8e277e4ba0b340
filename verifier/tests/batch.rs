//! Batch verification: one combined pairing for many proofs, and the failing items named.

mod common;

use common::{development_g2, flipped, valid_bundles, Fixture};
use govproof_verify::{verify_batch, Check, G2Point, Malformed, Target, VerifyError};

const SEED: [u8; 32] = [7u8; 32];

#[test]
fn a_batch_of_valid_proofs_verifies_with_one_pairing() {
    let bundles = valid_bundles();
    let keys: Vec<_> = bundles.iter().map(|b| b.key()).collect();
    let items: Vec<_> = bundles
        .iter()
        .zip(keys.iter())
        .map(|(b, k)| (k, b.proof.as_slice(), b.public_inputs.as_slice()))
        .collect();
    assert_eq!(verify_batch(&items, &development_g2(), SEED), Ok(()));
    assert_eq!(verify_batch(&[], &development_g2(), SEED), Ok(()));
}

#[test]
fn both_targets_batch_together() {
    let nr = Fixture::load(Target::NoirRecursive);
    let evm = Fixture::load(Target::Evm);
    let (knr, kevm) = (nr.key(), evm.key());
    let items = [
        (&knr, nr.proof.as_slice(), nr.public_inputs.as_slice()),
        (&kevm, evm.proof.as_slice(), evm.public_inputs.as_slice()),
        (&knr, nr.proof.as_slice(), nr.public_inputs.as_slice()),
    ];
    assert_eq!(verify_batch(&items, &G2Point::ignition(), SEED), Ok(()));
}

#[test]
fn a_batch_names_every_failing_item_with_its_own_answer() {
    let nr = Fixture::load(Target::NoirRecursive);
    let evm = Fixture::load(Target::Evm);
    let dev = &valid_bundles()[0];
    let (knr, kevm, kdev) = (nr.key(), evm.key(), dev.key());
    let tampered = flipped(&evm.proof, 40);
    let short = &nr.proof[..100];
    let items = [
        (&knr, nr.proof.as_slice(), nr.public_inputs.as_slice()),
        // Passes every check but the pairing (a development proof against Ignition).
        (&kdev, dev.proof.as_slice(), dev.public_inputs.as_slice()),
        (&kevm, tampered.as_slice(), evm.public_inputs.as_slice()),
        (&kevm, evm.proof.as_slice(), evm.public_inputs.as_slice()),
        (&knr, short, nr.public_inputs.as_slice()),
    ];
    let err = verify_batch(&items, &G2Point::ignition(), SEED).unwrap_err();
    let failures = err.failures();
    assert_eq!(
        failures.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1, 2, 4]
    );
    assert_eq!(
        failures[0].1,
        VerifyError::Rejected {
            check: Check::Pairing
        }
    );
    assert!(failures[1].1.is_rejection());
    assert!(matches!(
        failures[2].1,
        VerifyError::Malformed {
            reason: Malformed::Size { .. }
        }
    ));
    assert!(err
        .to_string()
        .starts_with("3 of the batch's proofs do not verify"));
}

#[test]
fn a_batch_whose_only_fault_is_the_pairing_is_caught_whatever_the_seed() {
    let nr = Fixture::load(Target::NoirRecursive);
    let knr = nr.key();
    let items = [
        (&knr, nr.proof.as_slice(), nr.public_inputs.as_slice()),
        (&knr, nr.proof.as_slice(), nr.public_inputs.as_slice()),
    ];
    for seed in [[0u8; 32], [1u8; 32], [0xffu8; 32]] {
        let err = verify_batch(&items, &development_g2(), seed).unwrap_err();
        assert_eq!(err.failures().len(), 2);
    }
}

#[test]
fn a_large_batch_splits_its_msm_over_cores_and_still_catches_a_bad_pairing() {
    // 20 proofs x 67 points: the combined MSM is large enough to be split across threads.
    let nr = Fixture::load(Target::NoirRecursive);
    let dev = &valid_bundles()[0];
    let (knr, kdev) = (nr.key(), dev.key());
    let mut items: Vec<_> = (0..20)
        .map(|_| (&knr, nr.proof.as_slice(), nr.public_inputs.as_slice()))
        .collect();
    assert_eq!(verify_batch(&items, &G2Point::ignition(), SEED), Ok(()));
    items[13] = (&kdev, dev.proof.as_slice(), dev.public_inputs.as_slice());
    let err = verify_batch(&items, &G2Point::ignition(), SEED).unwrap_err();
    assert_eq!(
        err.failures(),
        &[(
            13,
            VerifyError::Rejected {
                check: Check::Pairing
            }
        )]
    );
}

#[test]
fn proofs_sharing_a_key_have_its_terms_summed_and_a_bad_pairing_among_them_is_still_named() {
    // Each bundle twice with its key object and once with an equal copy at another address: the
    // combined MSM sums the key's terms per key object, which must change no verdict.
    let bundles = valid_bundles();
    let keys: Vec<_> = bundles.iter().map(|b| b.key()).collect();
    let copies: Vec<_> = bundles.iter().map(|b| b.key()).collect();
    let mut items = Vec::new();
    for ((b, k), c) in bundles.iter().zip(&keys).zip(&copies) {
        for key in [k, c, k] {
            items.push((key, b.proof.as_slice(), b.public_inputs.as_slice()));
        }
    }
    assert_eq!(verify_batch(&items, &development_g2(), SEED), Ok(()));
    // A real-setup proof passes every check but the development setup's pairing.
    let nr = Fixture::load(Target::NoirRecursive);
    let knr = nr.key();
    let bad = items.len() / 2;
    items.insert(
        bad,
        (&knr, nr.proof.as_slice(), nr.public_inputs.as_slice()),
    );
    items.push((&knr, nr.proof.as_slice(), nr.public_inputs.as_slice()));
    let err = verify_batch(&items, &development_g2(), SEED).unwrap_err();
    let failing: Vec<_> = err.failures().iter().map(|(i, _)| *i).collect();
    assert_eq!(failing, vec![bad, items.len() - 1]);
}

#[test]
fn lanes_hashed_together_fail_alone_and_give_the_answers_of_one_by_one() {
    // Where the CPU has AVX-512 IFMA, the transcripts of eight proofs are hashed together; a
    // tampered proof must fail on its own lane and leave the others valid, with exactly the answer
    // the single-proof verifier gives it. 19 items: two full groups of eight and a partial one.
    let nr = Fixture::load(Target::NoirRecursive);
    let dev = &valid_bundles()[0];
    let (knr, kdev) = (nr.key(), dev.key());
    // A sumcheck univariate (field 200), a commitment limb (field 20: the point leaves the curve,
    // so that item is refused before its transcript), a public input.
    let sumcheck = flipped(&nr.proof, 200);
    let commitment = flipped(&nr.proof, 20);
    let mut inputs = nr.public_inputs.clone();
    inputs[0][31] ^= 1;
    let mut items: Vec<_> = (0..19)
        .map(|_| (&knr, nr.proof.as_slice(), nr.public_inputs.as_slice()))
        .collect();
    items[3] = (&knr, sumcheck.as_slice(), nr.public_inputs.as_slice());
    items[8] = (&knr, commitment.as_slice(), nr.public_inputs.as_slice());
    items[12] = (&knr, nr.proof.as_slice(), inputs.as_slice());
    // A development proof of another circuit in the same group: only its pairing fails.
    items[17] = (&kdev, dev.proof.as_slice(), dev.public_inputs.as_slice());
    let g2 = G2Point::ignition();
    let err = verify_batch(&items, &g2, SEED).unwrap_err();
    let failures = err.failures();
    assert_eq!(
        failures.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![3, 8, 12, 17]
    );
    for (i, e) in failures {
        let (key, proof, inputs) = items[*i];
        assert_eq!(
            Err(e.clone()),
            govproof_verify::verify(key, proof, inputs, &g2),
            "item {i}"
        );
        assert_eq!(e.is_rejection(), *i != 8, "item {i}: {e}");
    }
}
