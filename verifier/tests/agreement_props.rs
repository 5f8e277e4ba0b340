#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may fail loudly
//! Property tests over random mutations of the valid proofs in `tests/vectors/`: whatever is
//! changed in a proof, its public inputs or its key (bytes flipped, fields overwritten, fields
//! swapped, lengths changed, several at once), this crate never accepts the result and never
//! panics; and arbitrary bytes as key or proof are only ever refused.

mod agreement_cases;
#[path = "agreement_cases/rust.rs"]
mod rust_verdict;

use std::sync::OnceLock;

use agreement_cases::{Instance, Mutation, Vectors, Verdict, FIELD};
use govproof_verify::{G2Point, VerificationKey};
use proptest::prelude::*;
use proptest::sample::Index;

fn vectors() -> &'static Vectors {
    static VECTORS: OnceLock<Vectors> = OnceLock::new();
    VECTORS.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
        Vectors::read(&dir).unwrap()
    })
}

fn g2() -> G2Point {
    G2Point::from_bytes(&vectors().g2).unwrap()
}

/// One random change.
#[derive(Debug, Clone)]
enum Change {
    XorProofByte(Index, u8),
    SetProofField(Index, [u8; FIELD]),
    SwapProofFields(Index, Index),
    ResizeProof(Index),
    AppendToProof(Vec<u8>),
    SetPublicInput(Index, [u8; FIELD]),
    XorPublicInputByte(Index, u8),
    XorKeyByte(Index, u8),
    SetKeyField(Index, [u8; FIELD]),
}

fn field() -> impl Strategy<Value = [u8; FIELD]> {
    prop_oneof![
        any::<[u8; FIELD]>(),
        // Small values and values just below the modulus reach deeper than random ones, which
        // are mostly refused as non-canonical.
        any::<u8>().prop_map(|v| {
            let mut f = [0u8; FIELD];
            f[FIELD - 1] = v;
            f
        }),
        any::<u8>().prop_map(|v| {
            let mut f = agreement_cases::MODULUS;
            f[FIELD - 1] = f[FIELD - 1].wrapping_sub(1 + v % 2);
            f
        }),
    ]
}

fn change() -> impl Strategy<Value = Change> {
    let mask = 1u8..=255;
    prop_oneof![
        3 => (any::<Index>(), mask.clone()).prop_map(|(i, m)| Change::XorProofByte(i, m)),
        3 => (any::<Index>(), field()).prop_map(|(i, f)| Change::SetProofField(i, f)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Change::SwapProofFields(a, b)),
        1 => any::<Index>().prop_map(Change::ResizeProof),
        1 => proptest::collection::vec(any::<u8>(), 1..100).prop_map(Change::AppendToProof),
        1 => (any::<Index>(), field()).prop_map(|(i, f)| Change::SetPublicInput(i, f)),
        1 => (any::<Index>(), mask.clone()).prop_map(|(i, m)| Change::XorPublicInputByte(i, m)),
        2 => (any::<Index>(), mask).prop_map(|(i, m)| Change::XorKeyByte(i, m)),
        1 => (any::<Index>(), field()).prop_map(|(i, f)| Change::SetKeyField(i, f)),
    ]
}

fn apply(case: &mut Instance, change: &Change) {
    let fields = case.proof.len() / FIELD;
    match change {
        Change::XorProofByte(i, m) if !case.proof.is_empty() => {
            let at = i.index(case.proof.len());
            case.proof[at] ^= m;
        }
        Change::SetProofField(i, f) if fields > 0 => {
            let at = i.index(fields) * FIELD;
            case.proof[at..at + FIELD].copy_from_slice(f);
        }
        Change::SwapProofFields(a, b) if fields > 0 => {
            let (a, b) = (a.index(fields), b.index(fields));
            for k in 0..FIELD {
                case.proof.swap(a * FIELD + k, b * FIELD + k);
            }
        }
        Change::ResizeProof(n) => {
            let len = n.index(case.proof.len() + 1);
            case.proof.truncate(len);
        }
        Change::AppendToProof(bytes) => case.proof.extend_from_slice(bytes),
        Change::SetPublicInput(i, f) if !case.public_inputs.is_empty() => {
            let k = i.index(case.public_inputs.len());
            case.public_inputs[k] = *f;
        }
        Change::XorPublicInputByte(i, m) if !case.public_inputs.is_empty() => {
            let k = i.index(case.public_inputs.len() * FIELD);
            case.public_inputs[k / FIELD][k % FIELD] ^= m;
        }
        Change::XorKeyByte(i, m) => {
            let at = i.index(case.vk.len());
            case.vk[at] ^= m;
        }
        Change::SetKeyField(i, f) => {
            let at = i.index(case.vk.len() / FIELD) * FIELD;
            case.vk[at..at + FIELD].copy_from_slice(f);
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn a_mutated_proof_key_or_public_input_is_never_accepted(
        base in any::<Index>(),
        changes in proptest::collection::vec(change(), 1..4),
    ) {
        let v = vectors();
        let base = &v.bases[base.index(v.bases.len())];
        let original = Mutation::Valid.apply(base, &v.bases).unwrap();
        let mut case = original.clone();
        for c in &changes {
            apply(&mut case, c);
        }
        prop_assume!(case != original);
        let (verdict, why) = rust_verdict::verdict(&case, &g2());
        prop_assert_ne!(verdict, Verdict::Verified, "accepted after {:?} ({})", changes, why);
    }

    #[test]
    fn arbitrary_bytes_as_a_key_are_refused_without_panicking(
        target in prop_oneof![
            Just(govproof_verify::Target::NoirRecursive),
            Just(govproof_verify::Target::Evm)
        ],
        bytes in proptest::collection::vec(any::<u8>(), 0..4_000),
    ) {
        // Any answer is fine except a panic; a key of random bytes is never well formed in size.
        let _ = VerificationKey::from_bytes(target, &bytes);
    }

    #[test]
    fn arbitrary_bytes_as_a_proof_are_never_accepted(
        base in any::<Index>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..16_000),
    ) {
        let v = vectors();
        let base = &v.bases[base.index(v.bases.len())];
        let mut case = Mutation::Valid.apply(base, &v.bases).unwrap();
        prop_assume!(bytes != case.proof);
        case.proof = bytes;
        let (verdict, _) = rust_verdict::verdict(&case, &g2());
        prop_assert_ne!(verdict, Verdict::Verified);
    }
}
