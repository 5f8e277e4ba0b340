//! The canonical encodings that signatures and digests cover, pinned by snapshot: changing any of
//! them changes every signature, digest and Merkle root, so it must be a deliberate, visible change.

#![allow(clippy::unwrap_used)]

use crate::registry_support;

use govproof::field::Field;
use govproof::registry::document::{Signed, SignedContent};
use govproof::registry::entry::{Digest, EntryDraft};
use govproof::registry::names::{ModelId, ModelVersion, Note, ProfileName};
use govproof::registry::{Entry, EntrySet, Root, Snapshot, Status, Version};
use proptest::prelude::*;
use registry_support::*;

fn shown(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .replace('\0', "\\0")
}

#[test]
fn canonical_encodings_are_pinned() {
    let root = Root::new(
        Version::FIRST,
        root_keys(&[1, 2, 3]),
        2,
        t("2025-01-01T00:00:00Z"),
        t("2030-01-01T00:00:00Z"),
    )
    .unwrap();
    let approved = entry("credit-risk", "1.0.0", 2);
    let revoked = entry("fraud-score", "3.0.0", 1)
        .revoked(
            t("2025-02-01T00:00:00Z"),
            Note::new("drift above tolerance").unwrap(),
        )
        .unwrap();
    let entries = EntrySet::new(vec![revoked.clone(), approved.clone()]).unwrap();
    let snapshot = Snapshot::of(
        Version::new(7).unwrap(),
        &entries,
        t("2025-02-01T00:00:00Z"),
        t("2025-03-01T00:00:00Z"),
    )
    .unwrap();
    let mut signed = Signed::unsigned(snapshot.clone());
    signed.sign_with(&key(1));

    let mut report = String::new();
    report.push_str("== key ids\n");
    for i in 1..=3 {
        report.push_str(&format!("{}: {}\n", HOLDERS[i as usize], key(i).key_id()));
    }
    report.push_str("\n== root signing bytes\n");
    report.push_str(&shown(&root.signing_bytes()));
    report.push_str("\n\n== snapshot signing bytes\n");
    report.push_str(&shown(&snapshot.signing_bytes()));
    report.push_str("\n\n== alice's signature on the snapshot (deterministic ed25519)\n");
    report.push_str(&signed.signatures[0].signature.to_string());
    for e in [&approved, &revoked] {
        report.push_str(&format!(
            "\n\n== entry {} {}\ncanonical: {}\ndigest: {}\nmeta digest: {}\nscopes hash: {}\nleaf fields:\n",
            e.model_id(),
            e.version(),
            shown(&e.canonical_bytes()),
            e.digest(),
            e.meta_digest(),
            e.scopes_hash(),
        ));
        for f in e.leaf().to_fields() {
            report.push_str(&format!("  {f}\n"));
        }
        report.push_str(&format!("leaf hash: {}", e.leaf().hash()));
    }
    report.push_str(&format!(
        "\n\n== merkle root (depth 20)\n{}\n",
        snapshot.merkle_root()
    ));
    insta::assert_snapshot!("registry_canonical_encodings", report);
}

#[test]
fn signatures_are_bound_to_their_domain() {
    // The same JSON under the root tag is a different message: a snapshot signature never
    // verifies as a root signature.
    let snapshot = Snapshot::of(
        Version::FIRST,
        &EntrySet::empty(),
        t("2025-01-01T00:00:00Z"),
        t("2025-02-01T00:00:00Z"),
    )
    .unwrap();
    let bytes = snapshot.signing_bytes();
    assert!(bytes.starts_with(b"govproof/snapshot/v1\0{"));
    let sig = key(1).sign(&bytes);
    let mut as_root = b"govproof/root/v1\0".to_vec();
    as_root.extend_from_slice(&bytes[b"govproof/snapshot/v1\0".len()..]);
    assert!(key(1).public_key().verifies(&bytes, &sig));
    assert!(!key(1).public_key().verifies(&as_root, &sig));
}

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9._+-]{0,20}"
}

prop_compose! {
    fn any_entry()(
        model in name(),
        version in name(),
        weights in any::<u64>(),
        digest in any::<[u8; 32]>(),
        capacity in 1u32..8,
        scale in 1u64..=u64::MAX,
        scope_parts in proptest::collection::vec((name(), name(), name()), 1..8),
        from in 0u64..4_000_000_000,
        span in 1u64..1_000_000_000,
        approved_after in 0u64..1_000_000,
        revoked in proptest::option::of(("[a-z ]{0,10}[a-z]", 0u64..1_000_000)),
        note in "[A-Za-z][A-Za-z ,.()-]{0,40}[a-z]",
    ) -> Option<Entry> {
        let scopes = scope_parts
            .into_iter()
            .map(|(p, j, r)| format!("{p}/{j}/{r}").parse().unwrap())
            .collect();
        let approved_at = govproof::registry::Timestamp::from_unix(from + approved_after).unwrap();
        let status = match revoked {
            Some((reason, after)) => Status::Revoked {
                revoked_at: govproof::registry::Timestamp::from_unix(approved_at.unix() + after).unwrap(),
                reason: Note::new(&format!("r{reason}")).unwrap(),
            },
            None => Status::Approved,
        };
        Entry::new(EntryDraft {
            model_id: ModelId::new(&model).unwrap(),
            version: ModelVersion::new(&version).unwrap(),
            weights_commitment: Field::from(weights),
            model_digest: Digest::from_bytes(digest),
            profile: ProfileName::new("small").unwrap(),
            scope_capacity: capacity,
            fixed_point_scale: scale,
            scopes,
            valid_from: govproof::registry::Timestamp::from_unix(from).unwrap(),
            valid_until: govproof::registry::Timestamp::from_unix(from + span).unwrap(),
            status,
            approved_by: Note::new(&note).unwrap(),
            approved_at,
            quantization_certificate: None,
            circuit: None,
        })
        .ok()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn entries_round_trip_through_files_and_canonical_bytes(e in any_entry()) {
        let Some(e) = e else { return Ok(()) };
        let file = serde_json::to_vec_pretty(&e).unwrap();
        let back: Entry = serde_json::from_slice(&file).unwrap();
        prop_assert_eq!(&back, &e);
        prop_assert_eq!(back.digest(), e.digest());
        let from_canonical: Entry = serde_json::from_slice(&e.canonical_bytes()).unwrap();
        prop_assert_eq!(from_canonical.canonical_bytes(), e.canonical_bytes());
        prop_assert_eq!(from_canonical.leaf().hash(), e.leaf().hash());
    }
}
