//! Decoding bb's 32-byte big-endian words into field elements and curve points, refusing every
//! value that is not canonical.

use ark_bn254::{Fq, Fr, G1Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, PrimeField};

/// One 32-byte big-endian word of a proof, key or public input.
pub(crate) type Word = [u8; 32];

/// The word as a 256-bit integer (little-endian limbs).
pub(crate) fn limbs(w: &Word) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (i, limb) in out.iter_mut().enumerate() {
        let start = 32 - 8 * (i + 1);
        let mut b = [0u8; 8];
        b.copy_from_slice(&w[start..start + 8]);
        *limb = u64::from_be_bytes(b);
    }
    out
}

/// The scalar-field element the word encodes, if it is below the modulus.
pub(crate) fn fr(w: &Word) -> Option<Fr> {
    Fr::from_bigint(BigInt(limbs(w)))
}

/// The base-field element the word encodes, if it is below the modulus.
pub(crate) fn fq(w: &Word) -> Option<Fq> {
    Fq::from_bigint(BigInt(limbs(w)))
}

/// A scalar as a big-endian word.
pub(crate) fn fr_to_word(x: &Fr) -> Word {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

/// A base-field element as a big-endian word.
pub(crate) fn fq_to_word(x: &Fq) -> Word {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

/// Why two words could not be made into one coordinate.
pub(crate) enum LimbError {
    /// The low limb holds more than 136 bits.
    Low,
    /// The coordinate is at or above the base-field modulus.
    Value,
}

/// A base-field coordinate from bb's two-limb form: `lo + hi * 2^136` with `lo < 2^136`.
pub(crate) fn fq_from_limbs(lo: &Word, hi: &Word) -> Result<Fq, LimbError> {
    let l = limbs(lo);
    let h = limbs(hi);
    if l[3] != 0 || l[2] >> 8 != 0 {
        return Err(LimbError::Low);
    }
    // hi * 2^136 fits 256 bits only when hi < 2^120; above that the value exceeds the modulus.
    if h[2] != 0 || h[3] != 0 || h[1] >> 56 != 0 {
        return Err(LimbError::Value);
    }
    let value = [l[0], l[1], l[2] | (h[0] << 8), (h[0] >> 56) | (h[1] << 8)];
    Fq::from_bigint(BigInt(value)).ok_or(LimbError::Value)
}

/// The point with affine coordinates `(x, y)`; `(0, 0)` is bb's encoding of the identity. `None`
/// when the point is off the curve (BN254's G1 has cofactor 1, so on the curve means in the group).
pub(crate) fn g1(x: Fq, y: Fq) -> Option<G1Affine> {
    use ark_ff::Zero;
    if x.is_zero() && y.is_zero() {
        return Some(G1Affine::identity());
    }
    let p = G1Affine::new_unchecked(x, y);
    p.is_on_curve().then_some(p)
}

/// The two coordinates of a point as words (the identity as `(0, 0)`).
pub(crate) fn g1_words(p: &G1Affine) -> (Word, Word) {
    match p.xy() {
        Some((x, y)) => (fq_to_word(&x), fq_to_word(&y)),
        None => ([0u8; 32], [0u8; 32]),
    }
}

/// The low 127 bits and the bits from 127 up of a scalar (bb's challenge split).
pub(crate) fn split_challenge(x: &Fr) -> (Fr, Fr) {
    let v = x.into_bigint().0;
    let lo = BigInt([v[0], v[1] & (u64::MAX >> 1), 0, 0]);
    let hi = BigInt([
        (v[1] >> 63) | (v[2] << 1),
        (v[2] >> 63) | (v[3] << 1),
        v[3] >> 63,
        0,
    ]);
    // Both halves are below 2^128, far below the modulus.
    (
        Fr::from_bigint(lo).unwrap_or_default(),
        Fr::from_bigint(hi).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{One, Zero};

    fn word_of(v: u128) -> Word {
        let mut w = [0u8; 32];
        w[16..].copy_from_slice(&v.to_be_bytes());
        w
    }

    #[test]
    fn modulus_is_refused_and_modulus_minus_one_accepted() {
        let mut m = [0u8; 32];
        m.copy_from_slice(&Fr::MODULUS.to_bytes_be());
        assert!(fr(&m).is_none());
        let mut below = m;
        below[31] -= 1;
        assert_eq!(fr(&below), Some(-Fr::one()));
        m.copy_from_slice(&Fq::MODULUS.to_bytes_be());
        assert!(fq(&m).is_none());
    }

    #[test]
    fn limbs_recombine_and_refuse_wide_low_limbs() {
        let lo = word_of(5);
        let hi = word_of(1);
        let x = fq_from_limbs(&lo, &hi).ok().unwrap();
        let two_136 = Fq::from(2u64).pow_by_square(136);
        assert_eq!(x, Fq::from(5u64) + two_136);
        let mut wide = [0u8; 32];
        wide[14] = 1; // 2^136
        assert!(matches!(fq_from_limbs(&wide, &hi), Err(LimbError::Low)));
        assert!(matches!(
            fq_from_limbs(&lo, &[0xff; 32]),
            Err(LimbError::Value)
        ));
    }

    trait PowBySquare {
        fn pow_by_square(self, e: u64) -> Self;
    }
    impl PowBySquare for Fq {
        fn pow_by_square(self, e: u64) -> Self {
            ark_ff::Field::pow(&self, [e])
        }
    }

    #[test]
    fn identity_is_zero_zero_and_off_curve_points_are_refused() {
        assert!(g1(Fq::zero(), Fq::zero()).unwrap().is_zero());
        assert!(g1(Fq::one(), Fq::from(2u64)).is_some());
        assert!(g1(Fq::one(), Fq::from(3u64)).is_none());
    }

    #[test]
    fn challenge_split_matches_the_definition() {
        let x = -Fr::one();
        let (lo, hi) = split_challenge(&x);
        let two127 = ark_ff::Field::pow(&Fr::from(2u64), [127u64]);
        assert_eq!(lo + hi * two127, x);
        assert!(lo.into_bigint().num_bits() <= 127);
    }
}
