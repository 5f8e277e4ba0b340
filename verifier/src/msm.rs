//! Multi-scalar multiplication on BN254's G1: Pippenger's bucket method with signed digits.
//!
//! The verifier's MSMs have full-size scalars (challenge products, and in a batch products with
//! random weights), so one code path serves them all: arkworks' `msm_unchecked` sorts scalars
//! into eleven size classes with an MSM instance each, and scalar multiplication goes through GLV
//! with `num-bigint`, which together weigh about 66 KB in the browser verifier (887,503 bytes
//! with them, 821,548 without) for nothing these scalars need. The browser verifier uses this
//! one; native builds keep arkworks' (about 1.4 times faster on a batch's thousands of points, as
//! fast on one proof). Checked against arkworks' MSM in the tests below.

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ff::{AdditiveGroup, PrimeField, Zero};
use std::ops::AddAssign;

/// Bits of a scalar: elements of `Fr` are below `2^254`.
const SCALAR_BITS: usize = 254;

/// The window, in bits, for `n` points: about `log2 n + 2` (as arkworks and bb choose), at least 3.
fn window_bits(n: usize) -> usize {
    if n < 32 {
        3
    } else {
        (usize::BITS - n.leading_zeros()) as usize + 1
    }
}

/// The scalar's signed digits in base `2^c`, lowest first: each in `[-2^(c-1), 2^(c-1))`, and
/// `sum d_i 2^(c i)` is the scalar when the top window lies above bit 254 (its digit is then the
/// last carry, 0 or 1).
fn signed_digits(scalar: &Fr, c: usize, windows: usize) -> Vec<i32> {
    let limbs = scalar.into_bigint().0;
    let bit = |i: usize| -> u64 {
        if i >= 256 {
            0
        } else {
            (limbs[i / 64] >> (i % 64)) & 1
        }
    };
    let half = 1i64 << (c - 1);
    let full = 1i64 << c;
    let mut digits = Vec::with_capacity(windows);
    let mut carry = 0i64;
    for w in 0..windows {
        let mut v = carry;
        for j in 0..c {
            v += (bit(w * c + j) as i64) << j;
        }
        if v >= half {
            digits.push((v - full) as i32);
            carry = 1;
        } else {
            digits.push(v as i32);
            carry = 0;
        }
    }
    digits
}

/// `sum scalars[i] * bases[i]`, over the shorter of the two slices.
#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
pub(crate) fn msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let n = bases.len().min(scalars.len());
    if n == 0 {
        return G1Projective::zero();
    }
    let c = window_bits(n);
    // The top window lies above bit 254, so it holds only the carry of the digit below.
    let windows = SCALAR_BITS.div_ceil(c) + 1;
    let digits: Vec<Vec<i32>> = scalars[..n]
        .iter()
        .map(|s| signed_digits(s, c, windows))
        .collect();
    let mut buckets = vec![G1Projective::zero(); 1 << (c - 1)];
    let mut total = G1Projective::zero();
    for w in (0..windows).rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        for b in buckets.iter_mut() {
            *b = G1Projective::zero();
        }
        for (base, d) in bases[..n].iter().zip(&digits) {
            let digit = d[w];
            if digit > 0 {
                buckets[(digit - 1) as usize].add_assign(base);
            } else if digit < 0 {
                buckets[(-digit - 1) as usize].add_assign(-*base);
            }
        }
        // sum_k (k + 1) bucket_k, by running sums from the top bucket down.
        let mut running = G1Projective::zero();
        let mut window_sum = G1Projective::zero();
        for b in buckets.iter().rev() {
            running += b;
            window_sum += running;
        }
        total += window_sum;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
    use ark_ff::{Field, One, UniformRand};
    use ark_std::test_rng;

    fn points(n: usize) -> Vec<G1Affine> {
        let mut rng = test_rng();
        (0..n)
            .map(|_| (G1Affine::generator() * Fr::rand(&mut rng)).into_affine())
            .collect()
    }

    #[test]
    fn agrees_with_arkworks_on_random_scalars() {
        let mut rng = test_rng();
        for n in [1, 2, 3, 7, 31, 32, 33, 100, 300] {
            let bases = points(n);
            let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            assert_eq!(
                msm(&bases, &scalars),
                G1Projective::msm_unchecked(&bases, &scalars),
                "n = {n}"
            );
        }
    }

    #[test]
    fn agrees_with_arkworks_on_edge_scalars() {
        let bases = points(6);
        let minus_one = -Fr::one();
        let big = Fr::from(2u64).pow([253u64]);
        let scalars = [Fr::zero(), Fr::one(), minus_one, big, -big, Fr::from(7u64)];
        assert_eq!(
            msm(&bases, &scalars),
            G1Projective::msm_unchecked(&bases, &scalars)
        );
        // The identity as a base, and the empty sum.
        let with_identity = [G1Affine::identity(), bases[1]];
        assert_eq!(
            msm(&with_identity, &[Fr::from(5u64), Fr::from(3u64)]),
            bases[1] * Fr::from(3u64)
        );
        assert_eq!(msm(&[], &[]), G1Projective::zero());
    }

    #[test]
    fn signed_digits_recompose() {
        let mut rng = test_rng();
        for c in [3, 4, 8, 13, 16] {
            let windows = SCALAR_BITS.div_ceil(c) + 1;
            for _ in 0..20 {
                let s = Fr::rand(&mut rng);
                let digits = signed_digits(&s, c, windows);
                let mut back = Fr::zero();
                for d in digits.iter().rev() {
                    back *= Fr::from(1u64 << c);
                    back += if *d < 0 {
                        -Fr::from((-*d) as u64)
                    } else {
                        Fr::from(*d as u64)
                    };
                }
                assert_eq!(back, s);
                assert!(digits
                    .iter()
                    .all(|d| (-(1 << (c - 1))..(1 << (c - 1))).contains(d)));
            }
        }
    }
}
