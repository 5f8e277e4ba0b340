//! Proof targets: where a proof will be verified, which fixes its transcript hash, and the sizes
//! bb 5.0.0 gives proofs and keys of each.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Bytes in one proof field or public input.
pub const FIELD_BYTES: usize = 32;
/// Fields in a [`ProofTarget::NoirRecursive`] proof (bb pads it to a fixed size).
pub const NOIR_RECURSIVE_PROOF_FIELDS: usize = 458;
/// Bytes in a [`ProofTarget::NoirRecursive`] verification key.
pub const NOIR_RECURSIVE_VK_BYTES: usize = 3680;
/// Bytes in a [`ProofTarget::Evm`] verification key.
pub const EVM_VK_BYTES: usize = 1888;
/// Fields in an [`ProofTarget::Evm`] proof besides the per-round ones.
pub(crate) const EVM_PROOF_BASE_FIELDS: usize = 82;
/// Fields an [`ProofTarget::Evm`] proof gains per doubling of the circuit size.
pub(crate) const EVM_PROOF_FIELDS_PER_ROUND: usize = 12;
/// Largest log2 circuit size bb supports.
pub(crate) const MAX_LOG_CIRCUIT_SIZE: usize = 28;

/// Where a proof will be verified, which fixes its transcript hash. Always zero-knowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProofTarget {
    /// Verified by Noir circuits or by bb (Poseidon2 transcript). The default.
    #[default]
    NoirRecursive,
    /// Verified by a Solidity contract (Keccak transcript).
    Evm,
}

impl ProofTarget {
    /// bb's name for the target (`noir-recursive`, `evm`).
    pub fn name(&self) -> &'static str {
        match self {
            ProofTarget::NoirRecursive => "noir-recursive",
            ProofTarget::Evm => "evm",
        }
    }

    /// The `oracle_hash_type` bb 5.0.0 expects in its msgpack settings.
    pub fn oracle_hash_type(&self) -> &'static str {
        match self {
            ProofTarget::NoirRecursive => "poseidon2",
            ProofTarget::Evm => "keccak",
        }
    }

    /// Size of a verification key for this target.
    pub fn vk_bytes(&self) -> usize {
        match self {
            ProofTarget::NoirRecursive => NOIR_RECURSIVE_VK_BYTES,
            ProofTarget::Evm => EVM_VK_BYTES,
        }
    }

    /// Whether a proof of `fields` field elements has a size bb produces for this target.
    pub fn is_proof_length(&self, fields: usize) -> bool {
        match self {
            ProofTarget::NoirRecursive => fields == NOIR_RECURSIVE_PROOF_FIELDS,
            ProofTarget::Evm => {
                fields > EVM_PROOF_BASE_FIELDS
                    && (fields - EVM_PROOF_BASE_FIELDS).is_multiple_of(EVM_PROOF_FIELDS_PER_ROUND)
                    && (fields - EVM_PROOF_BASE_FIELDS) / EVM_PROOF_FIELDS_PER_ROUND
                        <= MAX_LOG_CIRCUIT_SIZE
            }
        }
    }
}

impl fmt::Display for ProofTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
