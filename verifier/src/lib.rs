//! Verification of Barretenberg 5.0.0 zero-knowledge UltraHonk proofs in pure Rust, without bb.
//!
//! Two targets, as bb names them: [`Target::NoirRecursive`] (Poseidon2 transcript, proofs padded
//! to 25 sumcheck rounds, 458 fields) and [`Target::Evm`] (Keccak transcript, `log n` rounds, the
//! proofs bb's Solidity verifier takes). Every check bb makes is made here, in bb's order: the
//! layout and size, every field element canonical, every point on the curve (`(0, 0)` is the
//! identity), the key hash, the transcript, sumcheck round by round, the relation identity of all
//! 29 subrelations, Shplemini with the Libra (SmallSubgroupIPA) claims, and the KZG pairing
//! against the setup's `[tau]_2`.
//!
//! ```no_run
//! use govproof_verify::{verify, G2Point, Target, VerificationKey};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (key_bytes, proof_bytes, public_inputs): (Vec<u8>, Vec<u8>, Vec<[u8; 32]>) =
//! #     (Vec::new(), Vec::new(), Vec::new());
//! let key = VerificationKey::from_bytes(Target::NoirRecursive, &key_bytes)?;
//! verify(&key, &proof_bytes, &public_inputs, &G2Point::ignition())?;
//! # Ok(()) }
//! ```
//!
//! Answers mirror bb's two kinds: [`VerifyError::Malformed`] for input refused before any check
//! (bb's error), [`VerifyError::Rejected`] for a proof that does not verify (bb's `false`), with
//! the check that failed. Parsing is total: no input makes it panic.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod batch;
mod error;
mod field;
mod key;
mod layout;
mod msm;
mod pairing;
mod poseidon2;
mod poseidon2_constants;
#[cfg(target_arch = "x86_64")]
mod poseidon2_x8;
mod protocol;
mod relations;
#[cfg(not(target_family = "wasm"))]
mod threads;
mod transcript;

pub use batch::{verify_batch, BatchItem};
pub use error::{BatchError, Check, Malformed, Part, VerifyError};
pub use key::VerificationKey;
pub use layout::Proof;
pub use pairing::{G2Point, G2_POINT_BYTES, IGNITION_G2_BYTES};

/// The Poseidon2 permutation and sponge the `noir-recursive` transcript uses (exposed for tests
/// that compare it with other implementations).
pub mod hash {
    pub use crate::poseidon2::{hash as poseidon2_hash, permutation as poseidon2_permutation};

    /// Eight permutations at once, one a lane, with AVX-512 IFMA, as batches hash their
    /// transcripts; `None` when the CPU lacks the features (or `GOVPROOF_VERIFY_SCALAR=1`).
    #[cfg(target_arch = "x86_64")]
    pub fn poseidon2_permutation_x8(
        states: [[ark_bn254::Fr; 4]; 8],
    ) -> Option<[[ark_bn254::Fr; 4]; 8]> {
        crate::poseidon2_x8::permutation_x8(states)
    }
}

/// Fields bb appends to every circuit's public inputs: the nested pairing-point object.
pub const PAIRING_POINTS_SIZE: usize = 8;

/// The proof system flavour bb was asked for (`bb prove -t ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// `noir-recursive` (bb's default): Poseidon2 transcript, proofs padded to 25 rounds.
    NoirRecursive,
    /// `evm`: Keccak-256 transcript, proofs of `log n` rounds, for bb's Solidity verifier.
    Evm,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Target {
    /// The name bb gives the target (`-t`).
    pub fn name(self) -> &'static str {
        match self {
            Target::NoirRecursive => "noir-recursive",
            Target::Evm => "evm",
        }
    }
}

/// Verifies one proof against a key, the circuit's public inputs (32-byte big-endian, without
/// the 8 pairing-point fields bb appends: those travel in the proof) and the setup's `[tau]_2`.
pub fn verify(
    key: &VerificationKey,
    proof: &[u8],
    public_inputs: &[[u8; 32]],
    g2: &G2Point,
) -> Result<(), VerifyError> {
    let proof = Proof::from_bytes(key.target(), proof, key.log_circuit_size())?;
    verify_parsed(key, &proof, public_inputs, g2)
}

/// [`verify`] for a proof already parsed with [`Proof::from_bytes`].
pub fn verify_parsed(
    key: &VerificationKey,
    proof: &Proof,
    public_inputs: &[[u8; 32]],
    g2: &G2Point,
) -> Result<(), VerifyError> {
    if proof.target() != key.target() {
        return Err(Malformed::TargetMismatch {
            key: key.target(),
            proof: proof.target(),
        }
        .into());
    }
    #[cfg(not(target_family = "wasm"))]
    if threads::available() > 1 {
        return threads::verify(key, proof, public_inputs, g2);
    }
    let claim = protocol::reduce(key, proof, public_inputs)?;
    use ark_ec::CurveGroup;
    if g2.kzg_holds(claim.p0().into_affine(), claim.w) {
        Ok(())
    } else {
        Err(error::rejected(Check::Pairing))
    }
}
