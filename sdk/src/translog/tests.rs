//! The tree against the published RFC 6962/9162 test vectors, property tests of every proof, and
//! the checkpoint note's round trip and signature.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;

use super::*;
use crate::registry::Timestamp;

fn h(text: &str) -> Hash {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).unwrap();
    out
}

// The eight leaves, the roots of their first 1..=8 and the inclusion and consistency proofs below
// are the well-known Certificate Transparency test vectors, as published in
// transparency-dev/merkle, `proof/verify_test.go` (originally from Google's CT `merkle_tree_test`).
const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf index from 0, tree size, proof).
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (0, 1, &[]),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, proof).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn vector_tree() -> Tree {
    Tree::from_leaves(
        LEAVES
            .iter()
            .map(|l| leaf_hash(&hex::decode(l).unwrap()))
            .collect(),
    )
}

fn hashes(texts: &[&str]) -> Vec<Hash> {
    texts.iter().map(|t| h(t)).collect()
}

#[test]
fn roots_match_the_published_vectors() {
    let tree = vector_tree();
    for (size, root) in ROOTS.iter().enumerate() {
        assert_eq!(
            tree.root_at(size as u64 + 1).unwrap(),
            h(root),
            "size {}",
            size + 1
        );
    }
    assert_eq!(tree.root(), h(ROOTS[7]));
    assert_eq!(
        Tree::new().root(),
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
}

#[test]
fn inclusion_proofs_match_the_published_vectors_and_verify() {
    let tree = vector_tree();
    for (index, size, proof) in INCLUSION {
        let proof = hashes(proof);
        assert_eq!(
            tree.inclusion_proof(index, size).unwrap(),
            proof,
            "{index}/{size}"
        );
        let leaf = tree.leaf(index).unwrap();
        let root = h(ROOTS[size as usize - 1]);
        verify_inclusion(&leaf, index, size, &proof, &root).unwrap();
        // The corruptions of the same file's `corruptInclusionProof`: each must fail.
        let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (index.wrapping_sub(1), size, leaf, root, proof.clone()),
            (index + 1, size, leaf, root, proof.clone()),
            (index ^ 2, size, leaf, root, proof.clone()),
            (index, size * 2, leaf, root, proof.clone()),
            (index, size / 2, leaf, root, proof.clone()),
            (index, size, some, root, proof.clone()),
            (index, size, leaf, empty_root(), proof.clone()),
            (index, size, leaf, some, proof.clone()),
            (
                index,
                size,
                leaf,
                root,
                [proof.clone(), vec![root]].concat(),
            ),
            (
                index,
                size,
                leaf,
                root,
                [vec![root], proof.clone()].concat(),
            ),
        ];
        for i in 0..proof.len() {
            let mut wrong = proof.clone();
            wrong[i][0] ^= 8;
            probes.push((index, size, leaf, root, wrong));
        }
        if !proof.is_empty() {
            probes.push((index, size, leaf, root, proof[..proof.len() - 1].to_vec()));
        }
        if proof.len() > 1 {
            let inserted = [vec![proof[0], some], proof[1..].to_vec()].concat();
            probes.push((index, size, leaf, root, inserted));
        }
        for (n, (i, s, l, r, p)) in probes.into_iter().enumerate() {
            assert!(
                verify_inclusion(&l, i, s, &p, &r).is_err(),
                "probe {n} of {index}/{size} verified"
            );
        }
    }
}

#[test]
fn consistency_proofs_match_the_published_vectors_and_verify() {
    let tree = vector_tree();
    for (old, new, proof) in CONSISTENCY {
        let proof = hashes(proof);
        assert_eq!(
            tree.consistency_proof(old, new).unwrap(),
            proof,
            "{old}->{new}"
        );
        let r1 = h(ROOTS[old as usize - 1]);
        let r2 = h(ROOTS[new as usize - 1]);
        verify_consistency(old, new, &r1, &r2, &proof).unwrap();
        if proof.is_empty() {
            continue;
        }
        let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (old - 1, new, r1, r2, proof.clone()),
            (old + 1, new, r1, r2, proof.clone()),
            (old ^ 2, new, r1, r2, proof.clone()),
            (old, new * 2, r1, r2, proof.clone()),
            (old, new / 2, r1, r2, proof.clone()),
            (old, new, some, r2, proof.clone()),
            (old, new, r1, some, proof.clone()),
            (old, new, r2, r1, proof.clone()),
            (old, new, r1, r2, Vec::new()),
            (old, new, r1, r2, [proof.clone(), vec![r1]].concat()),
            (old, new, r1, r2, [proof.clone(), vec![r2]].concat()),
            (old, new, r1, r2, [vec![r1], proof.clone()].concat()),
            (old, new, r1, r2, [vec![r2], proof.clone()].concat()),
            (old, new, r1, r2, [vec![proof[0]], proof.clone()].concat()),
            (old, new, r1, r2, proof[..proof.len() - 1].to_vec()),
        ];
        for i in 0..proof.len() {
            let mut wrong = proof.clone();
            wrong[i][0] ^= 16;
            probes.push((old, new, r1, r2, wrong));
        }
        for (n, (o, s, a, b, p)) in probes.into_iter().enumerate() {
            assert!(
                verify_consistency(o, s, &a, &b, &p).is_err(),
                "probe {n} of {old}->{new} verified"
            );
        }
    }
}

#[test]
fn edge_sizes_of_consistency() {
    let tree = vector_tree();
    let empty = empty_root();
    verify_consistency(0, 0, &empty, &empty, &[]).unwrap();
    verify_consistency(0, 5, &empty, &tree.root_at(5).unwrap(), &[]).unwrap();
    assert!(verify_consistency(0, 5, &h(ROOTS[0]), &tree.root_at(5).unwrap(), &[]).is_err());
    assert!(verify_consistency(0, 5, &empty, &tree.root_at(5).unwrap(), &[empty]).is_err());
    assert!(verify_consistency(3, 3, &h(ROOTS[2]), &h(ROOTS[3]), &[]).is_err());
    assert!(matches!(
        verify_consistency(4, 3, &h(ROOTS[3]), &h(ROOTS[2]), &[]),
        Err(LogError::SizesOutOfOrder { .. })
    ));
    assert!(tree.consistency_proof(3, 9).is_err());
    assert!(tree.inclusion_proof(8, 8).is_err());
    assert!(tree.root_at(9).is_err());
    assert!(verify_inclusion(&h(ROOTS[0]), 0, 0, &[], &empty).is_err());
}

fn random_tree(size: u64) -> Tree {
    Tree::from_leaves((0..size).map(|i| leaf_hash(&i.to_le_bytes())).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_inclusion_proof_verifies_and_any_flipped_bit_fails(
        size in 1u64..300, index_seed: u64, bit in 0usize..256, which: usize,
    ) {
        let tree = random_tree(size);
        let index = index_seed % size;
        let root = tree.root();
        let proof = tree.inclusion_proof(index, size).unwrap();
        let leaf = tree.leaf(index).unwrap();
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
        // The proof against any earlier size verifies against that size's root.
        let earlier = index + 1 + (index_seed >> 32) % (size - index);
        let earlier_proof = tree.inclusion_proof(index, earlier).unwrap();
        prop_assert!(verify_inclusion(&leaf, index, earlier, &earlier_proof, &tree.root_at(earlier).unwrap()).is_ok());
        // One bit flipped anywhere: in the leaf, the root or a proof hash.
        let slots = proof.len() + 2;
        let (mut leaf2, mut root2, mut proof2) = (leaf, root, proof.clone());
        match which % slots {
            0 => leaf2[bit / 8] ^= 1 << (bit % 8),
            1 => root2[bit / 8] ^= 1 << (bit % 8),
            k => proof2[k - 2][bit / 8] ^= 1 << (bit % 8),
        }
        prop_assert!(verify_inclusion(&leaf2, index, size, &proof2, &root2).is_err());
    }

    #[test]
    fn every_consistency_proof_verifies_and_any_flipped_bit_fails(
        new_size in 1u64..300, old_seed: u64, bit in 0usize..256, which: usize,
    ) {
        let tree = random_tree(new_size);
        let old_size = 1 + old_seed % new_size;
        let (r1, r2) = (tree.root_at(old_size).unwrap(), tree.root());
        let proof = tree.consistency_proof(old_size, new_size).unwrap();
        prop_assert!(verify_consistency(old_size, new_size, &r1, &r2, &proof).is_ok());
        let slots = proof.len() + 2;
        let (mut a, mut b, mut p) = (r1, r2, proof.clone());
        match which % slots {
            0 => a[bit / 8] ^= 1 << (bit % 8),
            1 => b[bit / 8] ^= 1 << (bit % 8),
            k => p[k - 2][bit / 8] ^= 1 << (bit % 8),
        }
        prop_assert!(verify_consistency(old_size, new_size, &a, &b, &p).is_err());
    }

    #[test]
    fn pushing_one_by_one_equals_the_recursive_definition(size in 0u64..200) {
        let tree = random_tree(size);
        fn mth(leaves: &[Hash]) -> Hash {
            match leaves.len() {
                0 => empty_root(),
                1 => leaves[0],
                n => {
                    let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                    node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
                }
            }
        }
        let leaves: Vec<Hash> = (0..size).map(|i| tree.leaf(i).unwrap()).collect();
        for s in 0..=size {
            prop_assert_eq!(tree.root_at(s).unwrap(), mth(&leaves[..s as usize]));
        }
    }
}

fn sample_checkpoint() -> Checkpoint {
    let tree = vector_tree();
    Checkpoint {
        origin: "lender.example/credit-decisions".to_string(),
        size: 8,
        root: tree.root(),
        time: Timestamp::parse("2026-01-31T12:00:00Z").unwrap(),
    }
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

#[test]
fn a_checkpoint_note_round_trips_and_verifies() {
    let signed = sample_checkpoint().sign(&key(7), "lender.example/credit-decisions");
    let note = signed.to_note();
    assert!(note.starts_with("lender.example/credit-decisions\n8\n"));
    assert!(
        note.contains("\ntime 2026-01-31T12:00:00Z\n\n\u{2014} lender.example/credit-decisions ")
    );
    let parsed = SignedCheckpoint::parse(&note).unwrap();
    assert_eq!(parsed, signed);
    parsed.verify(&key(7).verifying_key()).unwrap();
    assert!(matches!(
        parsed.verify(&key(8).verifying_key()),
        Err(LogError::UnknownKey { .. })
    ));
}

#[test]
fn a_changed_body_or_signature_fails() {
    let signed = sample_checkpoint().sign(&key(7), "log");
    let vk = key(7).verifying_key();
    let mut bigger = signed.clone();
    bigger.checkpoint.size = 9;
    assert!(matches!(
        bigger.verify(&vk),
        Err(LogError::BadSignature { .. })
    ));
    let mut later = signed.clone();
    later.checkpoint.time = Timestamp::parse("2026-01-31T12:00:01Z").unwrap();
    assert!(later.verify(&vk).is_err());
    let mut sig = signed.clone();
    sig.signature[10] ^= 1;
    assert!(sig.verify(&vk).is_err());
    // The same through the text: any changed body byte fails to parse or to verify.
    let note = signed.to_note();
    for (i, _) in note.char_indices().take(note.find("\n\n").unwrap()) {
        let mut bytes = note.clone().into_bytes();
        bytes[i] ^= 1;
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if let Ok(parsed) = SignedCheckpoint::parse(&text) {
            assert!(parsed.verify(&vk).is_err(), "byte {i} changed and verified");
        }
    }
}

#[test]
fn malformed_notes_are_refused() {
    let note = sample_checkpoint().sign(&key(7), "log").to_note();
    let cases = [
        note.replace("\n\n", "\n"),
        note.replace("\n8\n", "\n08\n"),
        note.replace("\n8\n", "\n+8\n"),
        note.replace("time ", "when "),
        note.replace("12:00:00Z", "12:00:00+00:00"),
        note.trim_end().to_string(),
        note.replace("\u{2014} ", "- "),
        format!("{note}extra\n"),
        note.split("\n\n").next().unwrap().to_string() + "\n\n",
        "x".repeat(MAX_NOTE_BYTES + 1),
        note.replace("lender", "len\rder"),
        note.replace("\ntime", "\nextension\ntime"),
    ];
    for (i, case) in cases.iter().enumerate() {
        assert!(SignedCheckpoint::parse(case).is_err(), "case {i} parsed");
    }
}

#[test]
fn cosignatures_are_kept_and_the_log_key_still_verifies() {
    let signed = sample_checkpoint().sign(&key(7), "log");
    let witness = sample_checkpoint().sign(&key(9), "witness");
    let note = format!(
        "{}{}",
        signed.to_note(),
        witness.to_note().split("\n\n").nth(1).unwrap()
    );
    let parsed = SignedCheckpoint::parse(&note).unwrap();
    assert_eq!(parsed.other_signatures.len(), 1);
    assert_eq!(parsed.to_note(), note);
    parsed.verify(&key(7).verifying_key()).unwrap();
}

#[test]
fn bad_origins_and_key_names_are_refused_by_try_sign() {
    let mut c = sample_checkpoint();
    assert!(c.try_sign(&key(1), "has space").is_err());
    assert!(c.try_sign(&key(1), "plus+sign").is_err());
    assert!(c.try_sign(&key(1), "").is_err());
    c.origin = "two\nlines".to_string();
    assert!(matches!(
        c.try_sign(&key(1), "log"),
        Err(LogError::Origin(_))
    ));
    c.origin = String::new();
    assert!(c.try_sign(&key(1), "log").is_err());
}

#[test]
fn verifier_keys_round_trip_and_check_their_id() {
    let vk = key(3).verifying_key();
    let text = verifier_key("lender.example/log", &vk);
    assert_eq!(
        parse_verifier_key(&text).unwrap(),
        ("lender.example/log".to_string(), vk)
    );
    let other = verifier_key("other", &vk);
    let forged = format!("lender.example/log+{}", other.split_once('+').unwrap().1);
    assert!(parse_verifier_key(&forged).is_err());
    assert!(parse_verifier_key("nonsense").is_err());
}

#[test]
fn entries_have_one_canonical_encoding() {
    let entry = LogEntry {
        decision_id: "APP-1".to_string(),
        bundle_digest: [0xab; 32],
        decided_at: Timestamp::parse("2026-01-31T12:00:00Z").unwrap(),
        logged_at: Timestamp::parse("2026-01-31T12:00:01Z").unwrap(),
    };
    let bytes = entry.canonical_bytes();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        format!(
            "{{\"decision_id\":\"APP-1\",\"bundle_digest\":\"{}\",\"decided_at\":\"2026-01-31T12:00:00Z\",\"logged_at\":\"2026-01-31T12:00:01Z\"}}",
            "ab".repeat(32)
        )
    );
    assert_eq!(LogEntry::from_json(&bytes).unwrap(), entry);
    assert_eq!(entry.leaf_hash(), leaf_hash(&bytes));
    let upper = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("abab", "ABAB");
    assert!(LogEntry::from_json(upper.as_bytes()).is_err());
    let offset = String::from_utf8(bytes)
        .unwrap()
        .replace("12:00:01Z", "12:00:01+00:00");
    assert!(LogEntry::from_json(offset.as_bytes()).is_err());
    assert!(LogEntry::for_bundle(b"{}", entry.logged_at).is_err());
}

#[test]
fn the_go_sumdb_note_vector_checks() {
    // The example of golang.org/x/mod `sumdb/note/note.go` (its package documentation): the
    // verifier key's id is recomputed by `parse_verifier_key`, and the signature line carries the
    // same id before an ed25519 signature of the text.
    use base64::Engine as _;
    let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    let text = "If you think cryptography is the answer to your problem,\n\
                then you don't know what your problem is.\n";
    let line = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
    let (name, key) = parse_verifier_key(vkey).unwrap();
    assert_eq!(name, "PeterNeumann");
    assert_eq!(verifier_key(&name, &key), vkey);
    let blob = base64::engine::general_purpose::STANDARD
        .decode(line)
        .unwrap();
    assert_eq!(blob[..4], key_id(&name, &key));
    let signature = ed25519_dalek::Signature::from_slice(&blob[4..]).unwrap();
    key.verify_strict(text.as_bytes(), &signature).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Outside input never panics the readers: random text, and notes with one byte changed.
    #[test]
    fn readers_refuse_garbage_without_panicking(text in ".{0,400}", at: usize, byte: u8) {
        let _ = SignedCheckpoint::parse(&text);
        let _ = LogEntry::from_json(text.as_bytes());
        let _ = parse_verifier_key(&text);
        let _ = serde_json::from_str::<InclusionResponse>(&text);
        let note = sample_checkpoint().sign(&key(7), "log").to_note();
        let mut bytes = note.into_bytes();
        let i = at % bytes.len();
        bytes[i] = byte;
        if let Ok(changed) = String::from_utf8(bytes) {
            if let Ok(parsed) = SignedCheckpoint::parse(&changed) {
                // Whatever still parses either is the same note or fails the signature.
                let verified = parsed.verify(&key(7).verifying_key()).is_ok();
                prop_assert!(!verified || parsed.to_note() == changed);
            }
        }
    }
}
