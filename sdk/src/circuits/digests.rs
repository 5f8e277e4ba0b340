//! The digests a registry entry names for its model's circuit: the bytecode digest of the
//! profile's composite and the blake3 of its verification key for each setup and target.
//!
//! `govproof registry add --model` derives them ([`derive`]) from the circuit the SDK compiles
//! for the profile (generated and compiled once, then cached), and `govproof registry reproduce`
//! derives them again from a fresh compile to confirm what an entry names. Keys come from bb on
//! the development setup and, when its points are on the machine, on Ignition.

use std::path::Path;

use crate::artifact::Artifact;
use crate::prover::{CircuitBytecode, ProofTarget, Prover, VerificationKey};
use crate::registry::entry::{CircuitDigests, Digest, KeyDigest};
use crate::setup::Setup;

/// Every proof target an entry names a key for.
pub const TARGETS: [ProofTarget; 2] = [ProofTarget::NoirRecursive, ProofTarget::Evm];

/// Why the digests could not be derived.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// The compiled circuit is not a usable artifact.
    #[error("the circuit of profile `{profile}` cannot be read: {reason}")]
    Artifact {
        /// The profile.
        profile: String,
        /// Why.
        reason: String,
    },
    /// bb could not compute a key.
    #[error("bb could not compute the {setup} key of profile `{profile}` for target `{target}`: {source}")]
    Key {
        /// The profile.
        profile: String,
        /// The setup.
        setup: String,
        /// The target.
        target: ProofTarget,
        /// bb's error.
        source: Box<crate::prover::ProverError>,
    },
}

/// A circuit's digests and the keys they were derived from.
#[derive(Debug, Clone)]
pub struct Derived {
    /// What the entry names.
    pub digests: CircuitDigests,
    /// The keys, in the order of `digests.verification_keys`.
    pub keys: Vec<VerificationKey>,
}

/// The bytecode digest of the compiled artifact `json` of `profile`, and its bytecode.
pub fn bytecode(profile: &str, json: &[u8]) -> Result<(Digest, CircuitBytecode), DigestError> {
    let err = |reason: String| DigestError::Artifact {
        profile: profile.to_string(),
        reason,
    };
    let artifact = Artifact::from_json_bytes(profile, json).map_err(|e| err(e.to_string()))?;
    let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec())
        .map_err(|e| err(e.to_string()))?;
    Ok((Digest::from_bytes(*artifact.digest().as_bytes()), circuit))
}

/// The key of `circuit` for `setup` and `target`, computed by `bb` (or read from the key cache
/// under `cache`, which bb filled for this very circuit, setup and bb version).
pub fn key(
    profile: &str,
    circuit: &CircuitBytecode,
    bb: &Path,
    setup: &Setup,
    target: ProofTarget,
    cache: &Path,
) -> Result<VerificationKey, DigestError> {
    let err = |e: crate::prover::ProverError| DigestError::Key {
        profile: profile.to_string(),
        setup: setup.id().kind().to_string(),
        target,
        source: Box::new(e),
    };
    let mut prover = Prover::new(bb, setup, cache).map_err(err)?;
    prover.verification_key(circuit, target).map_err(err)
}

/// The digests of the circuit `json` of `profile` for every setup in `setups` and every target
/// in [`TARGETS`].
pub fn derive(
    profile: &str,
    json: &[u8],
    bb: &Path,
    setups: &[Setup],
    cache: &Path,
) -> Result<Derived, DigestError> {
    let (bytecode_digest, circuit) = bytecode(profile, json)?;
    let mut keys = Vec::new();
    let mut named = Vec::new();
    for setup in setups {
        for target in TARGETS {
            let vk = key(profile, &circuit, bb, setup, target, cache)?;
            named.push(KeyDigest {
                setup: setup.id(),
                target,
                vk_hash: Digest::from_bytes(vk.hash()),
            });
            keys.push(vk);
        }
    }
    Ok(Derived {
        digests: CircuitDigests {
            bytecode_digest,
            verification_keys: named,
        },
        keys,
    })
}
