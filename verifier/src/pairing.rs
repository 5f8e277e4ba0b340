//! The setup's G2 point and the final KZG pairing check.

use ark_bn254::{Bn254, Fq, Fq2, G1Affine, G2Affine};
#[cfg(not(target_family = "wasm"))]
use ark_ec::pairing::MillerLoopOutput;
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::AffineRepr;
use ark_ff::{MontFp, Zero};

use std::sync::{Arc, Mutex, OnceLock};

use crate::error::Malformed;
use crate::field::fq;

/// The 128-byte encoding of a G2 point bb uses in `bn254_g2.dat`: `x.c0, x.c1, y.c0, y.c1`, each
/// 32 bytes big-endian.
pub const G2_POINT_BYTES: usize = 128;

/// Aztec Ignition's `[x]_2` (the setup every real bb 5.0.0 proof is checked against), in the
/// 128-byte file encoding. The same bytes bb has built in and its Solidity verifier hard-codes.
pub const IGNITION_G2_BYTES: [u8; G2_POINT_BYTES] = [
    0x01, 0x18, 0xc4, 0xd5, 0xb8, 0x37, 0xbc, 0xc2, 0xbc, 0x89, 0xb5, 0xb3, 0x98, 0xb5, 0x97, 0x4e,
    0x9f, 0x59, 0x44, 0x07, 0x3b, 0x32, 0x07, 0x8b, 0x7e, 0x23, 0x1f, 0xec, 0x93, 0x88, 0x83, 0xb0,
    0x26, 0x0e, 0x01, 0xb2, 0x51, 0xf6, 0xf1, 0xc7, 0xe7, 0xff, 0x4e, 0x58, 0x07, 0x91, 0xde, 0xe8,
    0xea, 0x51, 0xd8, 0x7a, 0x35, 0x8e, 0x03, 0x8b, 0x4e, 0xfe, 0x30, 0xfa, 0xc0, 0x93, 0x83, 0xc1,
    0x22, 0xfe, 0xbd, 0xa3, 0xc0, 0xc0, 0x63, 0x2a, 0x56, 0x47, 0x5b, 0x42, 0x14, 0xe5, 0x61, 0x5e,
    0x11, 0xe6, 0xdd, 0x3f, 0x96, 0xe6, 0xce, 0xa2, 0x85, 0x4a, 0x87, 0xd4, 0xda, 0xcc, 0x5e, 0x55,
    0x04, 0xfc, 0x63, 0x69, 0xf7, 0x11, 0x0f, 0xe3, 0xd2, 0x51, 0x56, 0xc1, 0xbb, 0x9a, 0x72, 0x85,
    0x9c, 0xf2, 0xa0, 0x46, 0x41, 0xf9, 0x9b, 0xa4, 0xee, 0x41, 0x3c, 0x80, 0xda, 0x6a, 0x5f, 0xe4,
];

/// A setup's `[tau]_2`, checked (canonical coordinates, on the twist, in the prime-order
/// subgroup, not the identity) and prepared for pairings.
///
/// Cheap to clone (the prepared line coefficients are shared), and checked and prepared once per
/// process for each point: [`G2Point::ignition`] and [`G2Point::from_bytes`] remember the points
/// they have built, so verifying many bundles of one setup does not repeat the subgroup check and
/// the preparation (which cost more than a third of a millisecond a bundle).
#[derive(Clone, Debug)]
pub struct G2Point {
    affine: G2Affine,
    prepared: Arc<<Bn254 as Pairing>::G2Prepared>,
    generator: Arc<<Bn254 as Pairing>::G2Prepared>,
}

/// Points [`G2Point::from_bytes`] has checked, by their bytes (a process sees one or two setups;
/// the list is bounded all the same).
static CHECKED: Mutex<Vec<([u8; G2_POINT_BYTES], G2Point)>> = Mutex::new(Vec::new());
const CHECKED_CAPACITY: usize = 8;

impl PartialEq for G2Point {
    fn eq(&self, other: &Self) -> bool {
        self.affine == other.affine
    }
}

impl Eq for G2Point {}

impl G2Point {
    /// Aztec Ignition's `[x]_2`: the point real proofs verify against.
    pub fn ignition() -> Self {
        static IGNITION: OnceLock<G2Point> = OnceLock::new();
        IGNITION.get_or_init(Self::build_ignition).clone()
    }

    fn build_ignition() -> Self {
        // The coordinates of `IGNITION_G2_BYTES`; a test checks that they are that constant and a
        // valid point of the subgroup, so no check (and no fallback) is needed here.
        const X_C0: Fq =
            MontFp!("496075682290949347282619629729389528669750910289829251317610107342504362928");
        const X_C1: Fq = MontFp!(
            "17212635814319756364507010169094758005397460366678210664966334781961899574209"
        );
        const Y_C0: Fq = MontFp!(
            "15828724851114720558251891430452666121603726704878231219287131634746610441813"
        );
        const Y_C1: Fq =
            MontFp!("2255182984359105691812395885056400739448730162863181907784180250290003009508");
        Self::new(G2Affine::new_unchecked(
            Fq2::new(X_C0, X_C1),
            Fq2::new(Y_C0, Y_C1),
        ))
    }

    /// A `[tau]_2` from the 128-byte file encoding (`x.c0, x.c1, y.c0, y.c1`, big-endian).
    pub fn from_bytes(bytes: &[u8; G2_POINT_BYTES]) -> Result<Self, Malformed> {
        let lock = || {
            CHECKED
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((_, p)) = lock().iter().find(|(b, _)| b == bytes) {
            return Ok(p.clone());
        }
        let point = Self::check(bytes)?;
        let mut checked = lock();
        if let Some((_, p)) = checked.iter().find(|(b, _)| b == bytes) {
            return Ok(p.clone());
        }
        if checked.len() < CHECKED_CAPACITY {
            checked.push((*bytes, point.clone()));
        }
        Ok(point)
    }

    fn check(bytes: &[u8; G2_POINT_BYTES]) -> Result<Self, Malformed> {
        let coordinate = |i: usize| -> Result<Fq, Malformed> {
            let mut w = [0u8; 32];
            w.copy_from_slice(&bytes[32 * i..32 * (i + 1)]);
            fq(&w).ok_or(Malformed::G2(
                "not canonical (a coordinate is at or above the modulus)",
            ))
        };
        let x = Fq2::new(coordinate(0)?, coordinate(1)?);
        let y = Fq2::new(coordinate(2)?, coordinate(3)?);
        let p = G2Affine::new_unchecked(x, y);
        if !p.is_on_curve() {
            return Err(Malformed::G2("not on the curve"));
        }
        if !p.is_in_correct_subgroup_assuming_on_curve() {
            return Err(Malformed::G2("not in the prime-order subgroup"));
        }
        if p.is_zero() {
            return Err(Malformed::G2("the identity"));
        }
        Ok(Self::new(p))
    }

    fn new(affine: G2Affine) -> Self {
        static GENERATOR: OnceLock<Arc<<Bn254 as Pairing>::G2Prepared>> = OnceLock::new();
        G2Point {
            affine,
            prepared: Arc::new(affine.into()),
            generator: Arc::clone(GENERATOR.get_or_init(|| Arc::new(G2Affine::generator().into()))),
        }
    }

    /// The point in the 128-byte file encoding.
    pub fn to_bytes(&self) -> [u8; G2_POINT_BYTES] {
        let mut out = [0u8; G2_POINT_BYTES];
        if let Some((x, y)) = self.affine.xy() {
            for (i, c) in [x.c0, x.c1, y.c0, y.c1].iter().enumerate() {
                out[32 * i..32 * (i + 1)].copy_from_slice(&crate::field::fq_to_word(c));
            }
        }
        out
    }

    /// `e(P0, [1]_2) * e(-W, [tau]_2) == 1`.
    pub(crate) fn kzg_holds(&self, p0: G1Affine, w: G1Affine) -> bool {
        let neg_w = -w;
        let ml = Bn254::multi_miller_loop(
            [p0, neg_w],
            [(*self.generator).clone(), (*self.prepared).clone()],
        );
        Bn254::final_exponentiation(ml).is_some_and(|o: PairingOutput<Bn254>| o.is_zero())
    }

    /// The Miller loop of `(-W, [tau]_2)` alone, which needs only the proof's `W` and so can run
    /// beside the transcript; [`Self::kzg_holds_with`] finishes the check.
    #[cfg(not(target_family = "wasm"))]
    pub(crate) fn miller_loop_w(&self, w: G1Affine) -> MillerLoopOutput<Bn254> {
        Bn254::multi_miller_loop([-w], [(*self.prepared).clone()])
    }

    /// [`Self::kzg_holds`] given `miller_loop_w(W)`: the product of the two Miller loops is the
    /// two-pair loop's up to factors the final exponentiation removes.
    #[cfg(not(target_family = "wasm"))]
    pub(crate) fn kzg_holds_with(&self, p0: G1Affine, loop_w: MillerLoopOutput<Bn254>) -> bool {
        let ml = Bn254::multi_miller_loop([p0], [(*self.generator).clone()]);
        Bn254::final_exponentiation(MillerLoopOutput(ml.0 * loop_w.0))
            .is_some_and(|o: PairingOutput<Bn254>| o.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignition_point_is_the_checked_constant() {
        let checked = G2Point::from_bytes(&IGNITION_G2_BYTES).unwrap();
        assert_eq!(G2Point::ignition(), checked);
        assert_eq!(G2Point::ignition().to_bytes(), IGNITION_G2_BYTES);
    }

    #[test]
    fn a_point_parsed_again_is_the_same_checked_point() {
        let first = G2Point::from_bytes(&IGNITION_G2_BYTES).unwrap();
        let again = G2Point::from_bytes(&IGNITION_G2_BYTES).unwrap();
        assert_eq!(first, again);
        assert!(Arc::ptr_eq(&first.prepared, &again.prepared));
        // A refused point is never remembered: it is refused again.
        let mut off = IGNITION_G2_BYTES;
        off[127] ^= 1;
        assert!(G2Point::from_bytes(&off).is_err());
        assert!(G2Point::from_bytes(&off).is_err());
    }

    #[test]
    fn invalid_g2_points_are_refused() {
        let mut off = IGNITION_G2_BYTES;
        off[127] ^= 1;
        assert_eq!(
            G2Point::from_bytes(&off),
            Err(Malformed::G2("not on the curve"))
        );
        assert!(G2Point::from_bytes(&[0u8; G2_POINT_BYTES]).is_err());
        assert!(G2Point::from_bytes(&[0xffu8; G2_POINT_BYTES]).is_err());
    }
}
