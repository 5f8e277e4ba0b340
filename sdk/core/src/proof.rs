//! Proof targets: where a proof will be verified, which fixes its transcript hash, and the sizes
//! bb 5.0.0 gives proofs and keys of each; and the byte types of a [`VerificationKey`] and a
//! [`Proof`], whose sizes are checked on construction (the SDK's prover makes them, the verifier
//! reads them; `govproof::prover::{VerificationKey, Proof}` re-export them).

use std::fmt;

use serde::Serialize;

use crate::deserialize_by_reader;
use crate::json::{Error as JsonError, FromJson, Node};

use crate::field::Field;
use crate::setup::SetupId;

/// The bb version whose proofs and keys these sizes are, and whose proofs the verifier checks.
pub const SUPPORTED_BB_VERSION: &str = "5.0.0";

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProofTarget {
    /// Verified by Noir circuits or by bb (Poseidon2 transcript). The default.
    #[default]
    NoirRecursive,
    /// Verified by a Solidity contract (Keccak transcript).
    Evm,
}

impl FromJson for ProofTarget {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        match node.variant("a proof target", &["noir-recursive", "evm"])? {
            "evm" => Ok(ProofTarget::Evm),
            _ => Ok(ProofTarget::NoirRecursive),
        }
    }
}
deserialize_by_reader!(ProofTarget, Proof);

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

/// A verification key with the setup and target it was made for.
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationKey {
    bytes: Vec<u8>,
    setup: SetupId,
    target: ProofTarget,
}

impl VerificationKey {
    /// A key read from elsewhere; refuses a length bb does not produce for `target`.
    pub fn from_parts(
        bytes: Vec<u8>,
        setup: SetupId,
        target: ProofTarget,
    ) -> Result<VerificationKey, ProofDataError> {
        if bytes.len() != target.vk_bytes() {
            return Err(ProofDataError::VkLength {
                target,
                expected: target.vk_bytes(),
                found: bytes.len(),
            });
        }
        Ok(VerificationKey {
            bytes,
            setup,
            target,
        })
    }

    /// The key as bb writes it.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The setup whose points the key commits with.
    pub fn setup(&self) -> SetupId {
        self.setup
    }

    /// The target it verifies.
    pub fn target(&self) -> ProofTarget {
        self.target
    }

    /// BLAKE3 of the key bytes.
    pub fn hash(&self) -> [u8; 32] {
        *crate::blake3::hash(&self.bytes).as_bytes()
    }
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "VerificationKey({} bytes, {}, {}, {})",
            self.bytes.len(),
            self.setup,
            self.target,
            hex::encode(self.hash())
        )
    }
}

/// A proof: its field elements, its public inputs (each 32 bytes big-endian), and the setup and
/// target that made it. Sizes are checked on construction.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(into = "ProofRepr")]
pub struct Proof {
    fields: Vec<[u8; FIELD_BYTES]>,
    public_inputs: Vec<Field>,
    setup: SetupId,
    target: ProofTarget,
}

/// Serialized form of a [`Proof`]: the proof as one hex string.
#[derive(Serialize)]
struct ProofRepr {
    setup: SetupId,
    target: ProofTarget,
    public_inputs: Vec<Field>,
    proof: String,
}

/// `{"setup", "target", "public_inputs", "proof"}`, the proof as one hex string.
impl FromJson for Proof {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a proof object",
            &["setup", "target", "public_inputs", "proof"],
        )?;
        let setup = o.required("setup")?;
        let target = o.required("target")?;
        let public_inputs = o.required("public_inputs")?;
        let text: String = o.required("proof")?;
        let bytes = hex::decode(&text)
            .map_err(|_| node.error(ProofDataError::ProofEncoding.to_string()))?;
        Proof::from_bytes(&bytes, public_inputs, setup, target)
            .map_err(|e| node.error(e.to_string()))
    }
}

impl From<Proof> for ProofRepr {
    fn from(p: Proof) -> ProofRepr {
        ProofRepr {
            proof: hex::encode(p.to_bytes()),
            setup: p.setup,
            target: p.target,
            public_inputs: p.public_inputs,
        }
    }
}

impl Proof {
    /// A proof from its parts; refuses a field count bb does not produce for `target`.
    pub fn from_parts(
        fields: Vec<[u8; FIELD_BYTES]>,
        public_inputs: Vec<Field>,
        setup: SetupId,
        target: ProofTarget,
    ) -> Result<Proof, ProofDataError> {
        if !target.is_proof_length(fields.len()) {
            return Err(ProofDataError::ProofLength {
                target,
                found: fields.len(),
            });
        }
        Ok(Proof {
            fields,
            public_inputs,
            setup,
            target,
        })
    }

    /// A proof from bb's byte form (fields concatenated, as `bb prove` writes the `proof` file).
    pub fn from_bytes(
        bytes: &[u8],
        public_inputs: Vec<Field>,
        setup: SetupId,
        target: ProofTarget,
    ) -> Result<Proof, ProofDataError> {
        if !bytes.len().is_multiple_of(FIELD_BYTES) {
            return Err(ProofDataError::ProofEncoding);
        }
        let fields = bytes
            .chunks_exact(FIELD_BYTES)
            .map(|c| {
                let mut f = [0u8; FIELD_BYTES];
                f.copy_from_slice(c);
                f
            })
            .collect();
        Proof::from_parts(fields, public_inputs, setup, target)
    }

    /// The proof's field elements.
    pub fn fields(&self) -> &[[u8; FIELD_BYTES]] {
        &self.fields
    }

    /// The proof in bb's byte form.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.fields.concat()
    }

    /// The public inputs, in the circuit's order.
    pub fn public_inputs(&self) -> &[Field] {
        &self.public_inputs
    }

    /// The setup that made it.
    pub fn setup(&self) -> SetupId {
        self.setup
    }

    /// The target it was made for.
    pub fn target(&self) -> ProofTarget {
        self.target
    }

    /// The same proof claiming different public inputs (for tests that show tampering is caught).
    pub fn with_public_inputs(&self, public_inputs: Vec<Field>) -> Proof {
        Proof {
            public_inputs,
            ..self.clone()
        }
    }
}

impl fmt::Debug for Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Proof({} fields, {} public inputs, {}, {})",
            self.fields.len(),
            self.public_inputs.len(),
            self.setup,
            self.target
        )
    }
}

/// Why bytes are not a verification key or a proof of a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofDataError {
    /// A verification key has the wrong size.
    #[error("a verification key for target `{target}` is {expected} bytes, got {found}")]
    VkLength {
        /// Its target.
        target: ProofTarget,
        /// The size bb produces.
        expected: usize,
        /// The size given.
        found: usize,
    },
    /// A proof has a field count bb does not produce for its target.
    #[error("a proof for target `{target}` cannot have {found} fields")]
    ProofLength {
        /// Its target.
        target: ProofTarget,
        /// The count given.
        found: usize,
    },
    /// A proof's bytes are not a whole number of 32-byte fields (or not hex).
    #[error("a proof is a sequence of 32-byte fields")]
    ProofEncoding,
}
