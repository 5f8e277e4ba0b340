//! One verification on two cores (natively; wasm32 has no threads): the Miller loop of
//! `(-W, [tau]_2)` needs only the proof's `W`, so it runs beside the transcript, sumcheck and
//! Shplemini; then Shplemini's MSM is split in two halves, one per core. The checks are exactly
//! those of the one-core path (the same [`protocol::reduce`], the same pairing equation); only the
//! order of independent work changes. A worker that cannot be joined (it cannot panic) has its
//! part redone on the calling thread.

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::CurveGroup;

use crate::error::{rejected, Check, VerifyError};
use crate::key::VerificationKey;
use crate::layout::Proof;
use crate::pairing::G2Point;
use crate::protocol::{self, msm};

/// The number of cores the standard library reports (1 when it cannot tell).
pub(crate) fn available() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

pub(crate) fn verify(
    key: &VerificationKey,
    proof: &Proof,
    public_inputs: &[[u8; 32]],
    g2: &G2Point,
) -> Result<(), VerifyError> {
    let w = proof.kzg_w;
    std::thread::scope(|s| {
        let early = s.spawn(move || g2.miller_loop_w(w));
        let claim = protocol::reduce(key, proof, public_inputs)?;
        let p0 = split_msm(&claim.bases, &claim.scalars).into_affine();
        // The nested pairing points change W; the early loop is then of no use.
        let loop_w = match early.join() {
            Ok(l) if claim.w == w => l,
            _ => g2.miller_loop_w(claim.w),
        };
        if g2.kzg_holds_with(p0, loop_w) {
            Ok(())
        } else {
            Err(rejected(Check::Pairing))
        }
    })
}

/// The MSM as two halves, the second on another thread.
fn split_msm(bases: &[G1Affine], scalars: &[ark_bn254::Fr]) -> G1Projective {
    let mid = bases.len().min(scalars.len()) / 2;
    let (b1, b2) = bases.split_at(mid);
    let (s1, s2) = scalars.split_at(mid);
    std::thread::scope(|s| {
        let second = s.spawn(move || msm(b2, s2));
        let first = msm(b1, s1);
        match second.join() {
            Ok(p) => first + p,
            Err(_) => first + msm(b2, s2),
        }
    })
}
