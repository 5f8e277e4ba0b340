//! The Poseidon2 permutation (t = 4, d = 5, 8 full and 56 partial rounds) over BN254's scalar
//! field, and barretenberg's sponge on it (rate 3, capacity 1, IV `len << 64`), which is the hash
//! of the `noir-recursive` transcript and key hash.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field, Zero};

use crate::poseidon2_constants::{INTERNAL_DIAGONAL, ROUND_CONSTANTS};

const FULL_ROUNDS_HALF: usize = 4;
const PARTIAL_ROUNDS: usize = 56;

fn sbox(x: &mut Fr) {
    let x2 = x.square();
    *x *= x2.square();
}

/// The external matrix `M_E` (barretenberg's 4x4 MDS, in its addition chain).
fn external_matrix(s: &mut [Fr; 4]) {
    let t0 = s[0] + s[1];
    let t1 = s[2] + s[3];
    let t2 = s[1].double() + t1;
    let t3 = s[3].double() + t0;
    let t4 = t1.double().double() + t3;
    let t5 = t0.double().double() + t2;
    let t6 = t3 + t5;
    let t7 = t2 + t4;
    *s = [t6, t5, t7, t4];
}

/// The internal matrix `M_I = 1 + diag(INTERNAL_DIAGONAL)`.
fn internal_matrix(s: &mut [Fr; 4]) {
    let sum = s[0] + s[1] + s[2] + s[3];
    for (x, d) in s.iter_mut().zip(INTERNAL_DIAGONAL.iter()) {
        *x = *x * d + sum;
    }
}

/// The Poseidon2 permutation of a 4-element state.
pub fn permutation(mut s: [Fr; 4]) -> [Fr; 4] {
    external_matrix(&mut s);
    for rc in &ROUND_CONSTANTS[..FULL_ROUNDS_HALF] {
        for (x, c) in s.iter_mut().zip(rc.iter()) {
            *x += c;
            sbox(x);
        }
        external_matrix(&mut s);
    }
    for rc in &ROUND_CONSTANTS[FULL_ROUNDS_HALF..FULL_ROUNDS_HALF + PARTIAL_ROUNDS] {
        s[0] += rc[0];
        sbox(&mut s[0]);
        internal_matrix(&mut s);
    }
    for rc in &ROUND_CONSTANTS[FULL_ROUNDS_HALF + PARTIAL_ROUNDS..] {
        for (x, c) in s.iter_mut().zip(rc.iter()) {
            *x += c;
            sbox(x);
        }
        external_matrix(&mut s);
    }
    s
}

/// barretenberg's fixed-length Poseidon2 sponge hash: state `[0, 0, 0, len << 64]`, absorb three
/// elements a permutation (the last block padded with zeros), output lane 0.
pub fn hash(input: &[Fr]) -> Fr {
    let iv = Fr::from(input.len() as u64) * Fr::from(1u128 << 64);
    let mut state = [Fr::zero(), Fr::zero(), Fr::zero(), iv];
    if input.is_empty() {
        return permutation(state)[0];
    }
    for block in input.chunks(3) {
        for (lane, x) in state.iter_mut().zip(block.iter()) {
            *lane += x;
        }
        state = permutation(state);
    }
    state[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    type Oracle = acir::acir_field::GenericFieldElement<Fr>;

    fn oracle(s: [Fr; 4]) -> [Fr; 4] {
        let inputs: Vec<Oracle> = s.iter().map(|x| Oracle::from_repr(*x)).collect();
        let out = bn254_blackbox_solver::poseidon2_permutation(&inputs).unwrap();
        [0, 1, 2, 3].map(|i| out[i].into_repr())
    }

    #[test]
    fn permutation_matches_bn254_blackbox_solver_bit_for_bit() {
        let mut rng = ark_std_rng();
        let mut cases = vec![
            [Fr::zero(); 4],
            [
                Fr::from(1u64),
                Fr::from(2u64),
                Fr::from(3u64),
                Fr::from(4u64),
            ],
            [-Fr::from(1u64); 4],
        ];
        for _ in 0..200 {
            cases.push([0, 1, 2, 3].map(|_| Fr::rand(&mut rng)));
        }
        for s in cases {
            assert_eq!(permutation(s), oracle(s), "state {s:?}");
        }
    }

    #[test]
    fn sponge_pads_the_last_block_and_binds_the_length() {
        // A sponge that absorbs [a] and one that absorbs [a, 0] must differ (the IV holds the length).
        let a = Fr::from(7u64);
        assert_ne!(hash(&[a]), hash(&[a, Fr::zero()]));
        // Three elements take one permutation of the padded state.
        let iv = Fr::from(3u64) * Fr::from(1u128 << 64);
        let expected = oracle([a, a, a, iv])[0];
        assert_eq!(hash(&[a, a, a]), expected);
        // Four take two.
        let first = oracle([a, a, a, iv + Fr::from(1u128 << 64)]);
        let second = oracle([first[0] + a, first[1], first[2], first[3]]);
        assert_eq!(hash(&[a, a, a, a]), second[0]);
    }

    /// A deterministic generator for test states (seeded, so failures reproduce).
    fn ark_std_rng() -> impl ark_std::rand::RngCore {
        use ark_std::rand::SeedableRng;
        ark_std::rand::rngs::StdRng::seed_from_u64(0x9051_d00f)
    }
}
