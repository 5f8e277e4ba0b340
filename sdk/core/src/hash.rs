//! The Poseidon2 sponge that the circuits use, mirrored bit for bit in Rust.
//!
//! Noir 1.0.0-beta.26 exposes only the permutation `std::hash::poseidon2_permutation([Field; 4])`, so
//! govproof's circuits carry their own sponge (`circuits/poseidon2_sponge`), and this module is its
//! native twin. The construction is the one Noir's standard library used before the sponge moved out
//! of `std` (and the one barretenberg's `poseidon2_hash` computes):
//!
//! - state of width 4: rate 3, capacity 1;
//! - the capacity element starts as `len * 2^64 + domain`, where `len` is the number of inputs and
//!   `domain` a small tag that keeps hashes of different kinds of objects apart (`domain = 0` gives
//!   exactly the standard hash);
//! - inputs are absorbed three at a time (added into the rate, then permuted); the output is the first
//!   state element after the final permutation.
//!
//! A fixed-length hash of `n` inputs costs `max(1, ceil(n / 3))` permutations.

use crate::field::Field;

/// Domain tags: one per kind of object hashed, so that no two kinds can collide.
///
/// The values are part of the commitment format: changing one changes every commitment of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Domain {
    /// The plain standard sponge (no separation): used only for cross-checks with other tools.
    Plain = 0,
    /// An inner node of the registry's Merkle tree: `H(left, right)`.
    MerkleNode = 1,
    /// A registry entry (leaf of the Merkle tree).
    RegistryLeaf = 2,
    /// The commitment to a model's quantized weights.
    Weights = 3,
    /// The commitment to an application's input features (with a salt).
    Input = 4,
    /// The canonical encoding of a policy.
    Policy = 5,
    /// A decision scope: `(purpose, jurisdiction, product)`.
    Scope = 6,
    /// A fixed-capacity set of scopes (zero-padded).
    ScopeSet = 7,
    /// A policy hash that also covers an explanation's baselines (profiles with proven reasons).
    Explained = 8,
    /// The challenge at which a tree ensemble's proven reasons check the per-feature credits
    /// (`circuits/lib/tree_reasons`): drawn in the circuit only, never computed natively.
    ReasonsChallenge = 9,
}

const RATE: usize = 3;

fn permute(state: [Field; 4]) -> [Field; 4] {
    // The same permutation the pure-Rust verifier's transcript uses (barretenberg's constants),
    // so the SDK and the verifier share one implementation.
    let out = govproof_verify::hash::poseidon2_permutation(state.map(Field::to_fr));
    out.map(Field::from_fr)
}

/// The Poseidon2 permutation on a width-4 state (Noir's `std::hash::poseidon2_permutation`).
pub fn poseidon2_permutation(state: [Field; 4]) -> [Field; 4] {
    permute(state)
}

/// Hashes a fixed-length sequence of field elements under a domain tag.
pub fn hash(domain: Domain, inputs: &[Field]) -> Field {
    let two_pow_64 = Field::from_u128(1u128 << 64);
    let iv = Field::from(inputs.len() as u64) * two_pow_64 + Field::from(domain as u64);
    let mut state = [Field::zero(), Field::zero(), Field::zero(), iv];
    let mut cache = [Field::zero(); RATE];
    let mut cache_size = 0usize;
    for &x in inputs {
        if cache_size == RATE {
            for (s, c) in state.iter_mut().zip(cache.iter()) {
                *s = *s + *c;
            }
            state = permute(state);
            cache = [x, Field::zero(), Field::zero()];
            cache_size = 1;
        } else {
            cache[cache_size] = x;
            cache_size += 1;
        }
    }
    for (s, c) in state.iter_mut().zip(cache.iter()).take(cache_size) {
        *s = *s + *c;
    }
    permute(state)[0]
}

/// Hashes two children into a Merkle node (one permutation).
pub fn hash_node(left: Field, right: Field) -> Field {
    hash(Domain::MerkleNode, &[left, right])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: u64) -> Field {
        Field::from(v)
    }

    #[test]
    fn permutation_matches_the_published_test_vector() {
        // The Poseidon2 (t = 4, BN254) test vector from the reference implementation's paper repo,
        // also used by barretenberg's and Noir's own tests: permute([0, 1, 2, 3]).
        let out = poseidon2_permutation([f(0), f(1), f(2), f(3)]);
        assert_eq!(
            out[0].to_hex(),
            "0x01bd538c2ee014ed5141b29e9ae240bf8db3fe5b9a38629a9647cf8d76c01737"
        );
    }

    #[test]
    fn domains_separate_and_lengths_separate() {
        let a = hash(Domain::RegistryLeaf, &[f(1), f(2)]);
        let b = hash(Domain::Weights, &[f(1), f(2)]);
        let c = hash(Domain::RegistryLeaf, &[f(1), f(2), f(0)]);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            hash_node(f(1), f(2)),
            hash(Domain::MerkleNode, &[f(1), f(2)])
        );
    }

    #[test]
    fn absorbs_three_at_a_time() {
        // Four inputs take two permutations: the fourth lands in a fresh block.
        let h4 = hash(Domain::Plain, &[f(1), f(2), f(3), f(4)]);
        let iv = f(4) * Field::from_u128(1u128 << 64);
        let s1 = poseidon2_permutation([f(1), f(2), f(3), iv]);
        let s2 = poseidon2_permutation([s1[0] + f(4), s1[1], s1[2], s1[3]]);
        assert_eq!(h4, s2[0]);
    }
}
