//! How govproof's objects become field elements: the encoding contract shared by the circuits, the
//! registry and the policies. Every function here has a twin in `circuits/` and the two must agree
//! bit for bit; changing anything here changes every commitment, root and hash.
//!
//! - **Labels** (model ids, versions, purposes, jurisdictions, products, profile names, feature
//!   names) become a field element by [`label`]: the first 31 bytes of
//!   `blake3("govproof/label/v1\0" || utf8)` read big-endian (248 bits, always below the modulus).
//! - **Scopes** `(purpose, jurisdiction, product)` become [`scope_id`], one element each.
//! - **Scope sets** of at most `capacity` scopes become [`scope_set_hash`] over the scope ids,
//!   zero-padded to `capacity` (the circuit profile's scope capacity, which is part of the hash).
//! - **Registry leaves** are [`RegistryLeaf::hash`].
//! - **Digests** (blake3 of documents or files) enter circuits through [`digest_to_field`].

use crate::field::Field;
use crate::hash::{hash, Domain};

const LABEL_DOMAIN: &[u8] = b"govproof/label/v1\0";

/// Maps a text label to a field element (248 bits of blake3, domain-separated).
pub fn label(text: &str) -> Field {
    let mut h = crate::blake3::Hasher::new();
    h.update(LABEL_DOMAIN);
    h.update(text.as_bytes());
    digest_to_field(h.finalize().as_bytes())
}

/// Reads the first 31 bytes of a 32-byte digest as a field element (248 bits, so never reduced).
pub fn digest_to_field(digest: &[u8; 32]) -> Field {
    let mut bytes = [0u8; 32];
    bytes[1..].copy_from_slice(&digest[..31]);
    // 248-bit values are below the 254-bit modulus, so this cannot fail.
    Field::from_be_bytes(&bytes).unwrap_or_else(|_| unreachable!("248-bit value is canonical"))
}

/// One decision scope, each part already a [`label`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeLabels {
    /// The purpose of the decision (e.g. `consumer-credit`).
    pub purpose: Field,
    /// The jurisdiction (e.g. `EU-DE`).
    pub jurisdiction: Field,
    /// The product (e.g. `personal-loan`).
    pub product: Field,
}

impl ScopeLabels {
    /// Labels a scope from its three names.
    pub fn new(purpose: &str, jurisdiction: &str, product: &str) -> Self {
        ScopeLabels {
            purpose: label(purpose),
            jurisdiction: label(jurisdiction),
            product: label(product),
        }
    }
}

/// The field element that stands for a scope.
pub fn scope_id(scope: &ScopeLabels) -> Field {
    hash(
        Domain::Scope,
        &[scope.purpose, scope.jurisdiction, scope.product],
    )
}

/// Why a scope set cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// More scopes than the circuit profile holds.
    #[error("{given} scopes do not fit the profile's capacity of {capacity}")]
    TooManyScopes {
        /// Scopes given.
        given: usize,
        /// What the profile holds.
        capacity: usize,
    },
}

/// Hash of a set of scope ids, zero-padded to `capacity` slots.
pub fn scope_set_hash(scope_ids: &[Field], capacity: usize) -> Result<Field, EncodingError> {
    if scope_ids.len() > capacity {
        return Err(EncodingError::TooManyScopes {
            given: scope_ids.len(),
            capacity,
        });
    }
    let mut padded = scope_ids.to_vec();
    padded.resize(capacity, Field::zero());
    Ok(hash(Domain::ScopeSet, &padded))
}

/// Status of a registry entry as the circuit sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// Approved for use.
    Approved = 1,
    /// Revoked: proofs against it must fail.
    Revoked = 2,
}

/// The fields of a registry entry that the circuit sees, in leaf order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryLeaf {
    /// `label(model id)`.
    pub model_id: Field,
    /// `label(model version)`.
    pub model_version: Field,
    /// Poseidon2 commitment to the quantized weights ([`Domain::Weights`]).
    pub weights_commitment: Field,
    /// `label(circuit profile name)`.
    pub profile_id: Field,
    /// [`scope_set_hash`] of the approved scopes.
    pub scopes_hash: Field,
    /// Start of validity, Unix seconds (inclusive).
    pub valid_from: u64,
    /// End of validity, Unix seconds (exclusive).
    pub valid_until: u64,
    /// Approved or revoked.
    pub status: EntryStatus,
    /// [`digest_to_field`] of the blake3 of everything else in the entry document (model file
    /// digest, approvals, certificate), so no part of an entry can change without changing its leaf.
    pub meta_digest: Field,
}

impl RegistryLeaf {
    /// The leaf's elements in hashing order.
    pub fn to_fields(&self) -> [Field; 9] {
        [
            self.model_id,
            self.model_version,
            self.weights_commitment,
            self.profile_id,
            self.scopes_hash,
            Field::from(self.valid_from),
            Field::from(self.valid_until),
            Field::from(self.status as u64),
            self.meta_digest,
        ]
    }

    /// The leaf value placed in the registry's Merkle tree.
    pub fn hash(&self) -> Field {
        hash(Domain::RegistryLeaf, &self.to_fields())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_stable_and_248_bits() {
        let a = label("consumer-credit");
        assert_eq!(a, label("consumer-credit"));
        assert_ne!(a, label("consumer-credit "));
        assert!(a.num_bits() <= 248);
    }

    #[test]
    fn scope_sets_pad_and_refuse_overflow() {
        let s = scope_id(&ScopeLabels::new(
            "consumer-credit",
            "EU-DE",
            "personal-loan",
        ));
        assert_eq!(
            scope_set_hash(&[s], 4).unwrap(),
            scope_set_hash(&[s, Field::zero()], 4).unwrap()
        );
        assert_ne!(
            scope_set_hash(&[s], 4).unwrap(),
            scope_set_hash(&[s], 8).unwrap()
        );
        assert!(scope_set_hash(&[s; 5], 4).is_err());
    }
}
