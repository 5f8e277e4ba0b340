//! Membership proofs: the SDK hands the prover an entry's leaf and its depth-20 Merkle path, which
//! lead to the signed root; anything else does not.

#![allow(clippy::unwrap_used)]

use crate::registry_support;

use govproof::commit::EntryStatus;
use govproof::field::Field;
use govproof::registry::names::{ModelId, ModelVersion, Note};
use govproof::registry::{RegistryDir, TrustState, VerifyError, TREE_DEPTH};
use registry_support::*;

fn id(s: &str) -> ModelId {
    ModelId::new(s).unwrap()
}

fn ver(s: &str) -> ModelVersion {
    ModelVersion::new(s).unwrap()
}

#[test]
fn every_entry_has_a_path_to_the_signed_root() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2025-01-01T00:00:00Z");
    let (reg, _) = RegistryDir::init(
        dir.path().join("reg"),
        root_keys(&[1, 2]),
        2,
        days(365),
        days(30),
        now,
    )
    .unwrap();
    let models = [
        ("credit-risk", "1.0.0"),
        ("credit-risk", "1.1.0"),
        ("fraud-score", "3.0.0"),
        ("affordability", "0.9.1"),
        ("pd-model", "12"),
    ];
    for (i, (m, v)) in models.iter().enumerate() {
        reg.add(entry(m, v, i as u64), days(30), now).unwrap();
    }
    reg.revoke(
        &id("credit-risk"),
        &ver("1.0.0"),
        Note::new("drift").unwrap(),
        days(30),
        now,
    )
    .unwrap();
    reg.sign(&key(1)).unwrap();
    assert!(reg.sign(&key(2)).unwrap().published);

    let root1 = reg.read_root(govproof::registry::Version::FIRST).unwrap();
    let (verified, _) = reg
        .verify(&TrustState::bootstrap(root1).unwrap(), now)
        .unwrap();
    let snapshot = verified.snapshot();
    let signed_root = snapshot.snapshot().merkle_root();
    for (m, v) in models {
        let proof = verified.membership(&id(m), &ver(v)).unwrap();
        assert_eq!(proof.path.siblings.len(), TREE_DEPTH);
        assert_eq!(proof.merkle_root, signed_root);
        assert_eq!(proof.leaf, proof.entry.leaf());
        assert_eq!(
            proof.path.root_from(proof.leaf.hash()),
            signed_root,
            "{m} {v}"
        );
        snapshot.check_membership(&proof.leaf, &proof.path).unwrap();
    }

    // The revoked entry is still in the tree, with status revoked.
    let revoked = verified
        .membership(&id("credit-risk"), &ver("1.0.0"))
        .unwrap();
    assert_eq!(revoked.leaf.status, EntryStatus::Revoked);
    // Claiming it approved, or moving its validity, gives another leaf: the path no longer fits.
    let mut forged = revoked.leaf.clone();
    forged.status = EntryStatus::Approved;
    assert!(matches!(
        snapshot.check_membership(&forged, &revoked.path),
        Err(VerifyError::PathMismatch { .. })
    ));
    let mut forged = revoked.leaf.clone();
    forged.valid_until += 1;
    assert!(snapshot.check_membership(&forged, &revoked.path).is_err());
    // Another entry's path, or a path cut short, does not fit either.
    let other = verified
        .membership(&id("fraud-score"), &ver("3.0.0"))
        .unwrap();
    assert!(snapshot
        .check_membership(&revoked.leaf, &other.path)
        .is_err());
    let mut short = revoked.path.clone();
    short.siblings.pop();
    assert!(snapshot.check_membership(&revoked.leaf, &short).is_err());
    let mut wrong = revoked.path.clone();
    wrong.siblings[TREE_DEPTH - 1] = Field::one();
    assert!(snapshot.check_membership(&revoked.leaf, &wrong).is_err());

    assert!(verified
        .membership(&id("credit-risk"), &ver("9.9.9"))
        .is_none());
}
