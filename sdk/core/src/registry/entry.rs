//! Registry entries: one approved (or revoked) model version, and the leaf the circuits check.
//!
//! An entry's **leaf** is [`RegistryLeaf`] from [`crate::commit`]: labels of the model id, version
//! and circuit profile, the weights commitment, the scope-set hash, the validity window in Unix
//! seconds, the status, and a **meta digest** covering everything else in the entry:
//! `digest_to_field(blake3("govproof/entry-meta/v1\0" || canonical JSON of {approved_at,
//! approved_by, fixed_point_scale, model_digest, quantization_certificate (when present), status}))`.
//! The status object repeats the state the leaf holds and adds the revocation time and reason.
//! An entry that names its circuit ([`CircuitDigests`]: the bytecode digest and the verification
//! key digests per setup and target) adds `circuit` to that object; an entry without it (every
//! entry written before the field existed) has the very meta digest it always had.
//! So no byte of an entry can change without changing its leaf, hence the registry's Merkle root.
//!
//! Scopes are kept sorted by (purpose, jurisdiction, product), comparing bytes, without duplicates;
//! the scope-set hash takes their scope ids in that order, zero-padded to the entry's scope
//! capacity (which must be the capacity of the circuit profile, as the hash depends on it).
//!
//! An entry's **digest** is `blake3("govproof/entry/v1\0" || canonical JSON of the whole entry)`;
//! it names the entry's file, so an entry document is never changed in place.

use std::cmp::Ordering;
use std::fmt;
use std::io::Read;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::canonical::{self, ENTRY_DOMAIN, ENTRY_META_DOMAIN};
use super::names::{ModelId, ModelVersion, NameError, Note, ProfileName, ScopePart};
use super::time::Timestamp;
use crate::commit::{
    digest_to_field, scope_id, scope_set_hash, EntryStatus, RegistryLeaf, ScopeLabels,
};
use crate::deserialize_by_reader;
use crate::field::Field;
use crate::json::{Error as JsonError, FromJson, Node};
use crate::proof::ProofTarget;
use crate::setup::SetupId;

/// The largest scope capacity an entry may name.
pub const MAX_SCOPE_CAPACITY: u32 = 256;

/// The most verification key digests an entry may name (one per setup and target).
pub const MAX_ENTRY_KEYS: usize = 8;

/// Why an entry is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// The scope capacity is 0 or too large.
    #[error("the scope capacity must be between 1 and {MAX_SCOPE_CAPACITY}, got {0}")]
    ScopeCapacity(u32),
    /// The fixed-point scale is 0.
    #[error("the fixed-point scale must be at least 1")]
    Scale,
    /// No scopes.
    #[error("an entry must approve at least one scope")]
    NoScopes,
    /// More scopes than the capacity.
    #[error("{given} scopes do not fit the scope capacity of {capacity}")]
    TooManyScopes {
        /// Scopes given.
        given: usize,
        /// The capacity.
        capacity: u32,
    },
    /// A scope listed twice.
    #[error("scope `{0}` is listed twice")]
    DuplicateScope(Scope),
    /// The validity window is empty.
    #[error("the validity window is empty: it starts at {from} and ends at {until}")]
    Window {
        /// Start.
        from: Timestamp,
        /// End (exclusive).
        until: Timestamp,
    },
    /// Revoked before it was approved.
    #[error("revocation at {revoked_at} precedes the approval at {approved_at}")]
    RevokedBeforeApproval {
        /// Approval time.
        approved_at: Timestamp,
        /// Revocation time.
        revoked_at: Timestamp,
    },
    /// A `circuit` object with no verification key digests, or more than [`MAX_ENTRY_KEYS`].
    #[error("an entry's circuit names 1 to {MAX_ENTRY_KEYS} verification key digests, got {0}")]
    KeyCount(usize),
    /// Two key digests for one setup and target.
    #[error("the entry's circuit names two verification keys for the {setup} setup and target `{target}`")]
    DuplicateKey {
        /// The setup.
        setup: SetupId,
        /// The target.
        target: ProofTarget,
    },
    /// Revoking an entry that is already revoked.
    #[error("`{model_id}` version `{version}` is already revoked")]
    AlreadyRevoked {
        /// The model.
        model_id: ModelId,
        /// The version.
        version: ModelVersion,
    },
}

/// A 32-byte blake3 digest, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; 32]);

/// Text that is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a digest: expected 64 lowercase hex digits")]
pub struct DigestSyntaxError(pub String);

impl Digest {
    /// Wraps 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Digest(bytes)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The blake3 digest of everything `reader` yields (e.g. a model file).
    pub fn of_reader(reader: &mut impl Read) -> std::io::Result<Self> {
        let mut h = crate::blake3::Hasher::new();
        std::io::copy(reader, &mut h)?;
        Ok(Digest(*h.finalize().as_bytes()))
    }

    /// The blake3 digest of `domain || bytes`.
    pub fn tagged(domain: &[u8], bytes: &[u8]) -> Self {
        let mut h = crate::blake3::Hasher::new();
        h.update(domain);
        h.update(bytes);
        Digest(*h.finalize().as_bytes())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = DigestSyntaxError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DigestSyntaxError(super::names::shorten(s));
        if s.len() != 64 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(err());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| err())?;
        Ok(Digest(out))
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl crate::json::FromJson for Digest {
    fn from_json(node: &crate::json::Node) -> Result<Self, crate::json::Error> {
        node.parse_str("a digest", str::parse)
    }
}

/// One decision scope a model is approved for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Scope {
    /// The purpose, e.g. `consumer-credit`.
    pub purpose: ScopePart,
    /// The jurisdiction, e.g. `EU-DE`.
    pub jurisdiction: ScopePart,
    /// The product, e.g. `personal-loan`.
    pub product: ScopePart,
}

impl FromJson for Scope {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a scope object with `purpose`, `jurisdiction` and `product`",
            &["purpose", "jurisdiction", "product"],
        )?;
        Ok(Scope {
            purpose: o.required("purpose")?,
            jurisdiction: o.required("jurisdiction")?,
            product: o.required("product")?,
        })
    }
}

impl Scope {
    /// The scope's labels, as the circuits see them.
    pub fn labels(&self) -> ScopeLabels {
        ScopeLabels {
            purpose: self.purpose.label(),
            jurisdiction: self.jurisdiction.label(),
            product: self.product.label(),
        }
    }

    /// The field element standing for the scope ([`crate::commit::scope_id`]).
    pub fn id(&self) -> Field {
        scope_id(&self.labels())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.purpose, self.jurisdiction, self.product)
    }
}

/// A scope written as text that is not `purpose/jurisdiction/product`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeSyntaxError {
    /// Not three parts.
    #[error("`{0}` is not a scope: expected `purpose/jurisdiction/product`")]
    Shape(String),
    /// A part is not a valid name.
    #[error(transparent)]
    Part(#[from] NameError),
}

impl FromStr for Scope {
    type Err = ScopeSyntaxError;
    /// Reads `purpose/jurisdiction/product`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let [p, j, r] = parts.as_slice() else {
            return Err(ScopeSyntaxError::Shape(s.to_string()));
        };
        Ok(Scope {
            purpose: ScopePart::new(p)?,
            jurisdiction: ScopePart::new(j)?,
            product: ScopePart::new(r)?,
        })
    }
}

/// Whether an entry may be used. Written `{"state": "approved"}` or
/// `{"reason": "...", "revoked_at": "...", "state": "revoked"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "StatusFields")]
pub enum Status {
    /// Approved: proofs may use it inside its validity window.
    Approved,
    /// Revoked: proofs against it must fail.
    Revoked {
        /// When it was revoked.
        revoked_at: Timestamp,
        /// Why.
        reason: Note,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Approved,
    Revoked,
}

#[derive(Serialize)]
struct StatusFields {
    state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Note>,
}

impl FromJson for StatusFields {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object("a status object", &["state", "revoked_at", "reason"])?;
        let state = match o
            .node_of("state")?
            .variant("a state", &["approved", "revoked"])?
        {
            "approved" => State::Approved,
            _ => State::Revoked,
        };
        Ok(StatusFields {
            state,
            revoked_at: o.optional("revoked_at")?,
            reason: o.optional("reason")?,
        })
    }
}

impl FromJson for Status {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        Status::try_from(StatusFields::from_json(node)?).map_err(|e| node.error(e.to_string()))
    }
}

/// A status object whose fields do not fit its state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// An approved status with revocation fields.
    #[error("an approved status has no `revoked_at` or `reason`")]
    ApprovedWithRevocation,
    /// A revoked status without its time or reason.
    #[error("a revoked status needs both `revoked_at` and `reason`")]
    RevokedIncomplete,
}

impl TryFrom<StatusFields> for Status {
    type Error = StatusError;
    fn try_from(f: StatusFields) -> Result<Self, Self::Error> {
        match (f.state, f.revoked_at, f.reason) {
            (State::Approved, None, None) => Ok(Status::Approved),
            (State::Approved, _, _) => Err(StatusError::ApprovedWithRevocation),
            (State::Revoked, Some(revoked_at), Some(reason)) => {
                Ok(Status::Revoked { revoked_at, reason })
            }
            (State::Revoked, _, _) => Err(StatusError::RevokedIncomplete),
        }
    }
}

impl From<Status> for StatusFields {
    fn from(s: Status) -> Self {
        match s {
            Status::Approved => StatusFields {
                state: State::Approved,
                revoked_at: None,
                reason: None,
            },
            Status::Revoked { revoked_at, reason } => StatusFields {
                state: State::Revoked,
                revoked_at: Some(revoked_at),
                reason: Some(reason),
            },
        }
    }
}

impl Status {
    /// The status element of the leaf.
    pub fn circuit_status(&self) -> EntryStatus {
        match self {
            Status::Approved => EntryStatus::Approved,
            Status::Revoked { .. } => EntryStatus::Revoked,
        }
    }
}

/// A quantization certificate, as the model importer produced it. The registry keeps it as an
/// opaque JSON object, covered by the entry's meta digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct QuantizationCertificate(pub Map<String, Value>);

impl FromJson for QuantizationCertificate {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        match Value::from_json(node)? {
            Value::Object(map) => Ok(QuantizationCertificate(map)),
            _ => Err(node.invalid_type("a quantization certificate object")),
        }
    }
}

/// The digest of one verification key of an entry's circuit, for one setup and target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KeyDigest {
    /// The setup whose points the key commits with.
    pub setup: SetupId,
    /// The proof target (transcript hash) it verifies.
    pub target: ProofTarget,
    /// blake3 of the key as bb writes it.
    pub vk_hash: Digest,
}

/// The circuit an entry's model is proved with, by digest: what lets a verifier trust a
/// verification key its build does not pin. Covered by the entry's meta digest, hence by the
/// snapshot's signatures.
impl FromJson for KeyDigest {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a key object with `setup`, `target` and `vk_hash`",
            &["setup", "target", "vk_hash"],
        )?;
        Ok(KeyDigest {
            setup: o.required("setup")?,
            target: o.required("target")?,
            vk_hash: o.required("vk_hash")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CircuitDigests {
    /// blake3 of the profile circuit's un-gzipped ACIR bytecode.
    pub bytecode_digest: Digest,
    /// The digests of its verification keys, one per (setup, target).
    pub verification_keys: Vec<KeyDigest>,
}

impl FromJson for CircuitDigests {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a circuit object with `bytecode_digest` and `verification_keys`",
            &["bytecode_digest", "verification_keys"],
        )?;
        Ok(CircuitDigests {
            bytecode_digest: o.required("bytecode_digest")?,
            verification_keys: o.required("verification_keys")?,
        })
    }
}

impl CircuitDigests {
    /// The key digest for `setup` and `target`, if the entry names one.
    pub fn key(&self, setup: SetupId, target: ProofTarget) -> Option<&KeyDigest> {
        self.verification_keys
            .iter()
            .find(|k| k.setup == setup && k.target == target)
    }

    fn check(&self) -> Result<(), EntryError> {
        let n = self.verification_keys.len();
        if n == 0 || n > MAX_ENTRY_KEYS {
            return Err(EntryError::KeyCount(n));
        }
        for (i, k) in self.verification_keys.iter().enumerate() {
            if self.verification_keys[..i]
                .iter()
                .any(|o| o.setup == k.setup && o.target == k.target)
            {
                return Err(EntryError::DuplicateKey {
                    setup: k.setup,
                    target: k.target,
                });
            }
        }
        Ok(())
    }
}

/// The fields of an entry, unchecked: what a caller fills in to make an [`Entry`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryDraft {
    /// The model.
    pub model_id: ModelId,
    /// The model version.
    pub version: ModelVersion,
    /// Poseidon2 commitment to the quantized weights, as the circuits compute it.
    pub weights_commitment: Field,
    /// blake3 of the model file.
    pub model_digest: Digest,
    /// The circuit profile the model is proved with.
    pub profile: ProfileName,
    /// The profile's scope capacity (part of the scope-set hash).
    pub scope_capacity: u32,
    /// The fixed-point scale of the quantized model (a real value `x` is the integer `x * scale`).
    pub fixed_point_scale: u64,
    /// The scopes the model is approved for.
    pub scopes: Vec<Scope>,
    /// Start of validity (inclusive).
    pub valid_from: Timestamp,
    /// End of validity (exclusive).
    pub valid_until: Timestamp,
    /// Approved or revoked.
    pub status: Status,
    /// Who approved it (e.g. the committee and its minute).
    pub approved_by: Note,
    /// When it was approved.
    pub approved_at: Timestamp,
    /// The quantization certificate, when the model was imported with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantization_certificate: Option<QuantizationCertificate>,
    /// The circuit's bytecode and verification key digests (`registry add --model` fills them
    /// in); absent from entries written before the field existed, which then vouch for no key
    /// that is not pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit: Option<CircuitDigests>,
}

impl FromJson for EntryDraft {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "an entry document",
            &[
                "model_id",
                "version",
                "weights_commitment",
                "model_digest",
                "profile",
                "scope_capacity",
                "fixed_point_scale",
                "scopes",
                "valid_from",
                "valid_until",
                "status",
                "approved_by",
                "approved_at",
                "quantization_certificate",
                "circuit",
            ],
        )?;
        Ok(EntryDraft {
            model_id: o.required("model_id")?,
            version: o.required("version")?,
            weights_commitment: o.required("weights_commitment")?,
            model_digest: o.required("model_digest")?,
            profile: o.required("profile")?,
            scope_capacity: o.required("scope_capacity")?,
            fixed_point_scale: o.required("fixed_point_scale")?,
            scopes: o.required("scopes")?,
            valid_from: o.required("valid_from")?,
            valid_until: o.required("valid_until")?,
            status: o.required("status")?,
            approved_by: o.required("approved_by")?,
            approved_at: o.required("approved_at")?,
            quantization_certificate: o.optional("quantization_certificate")?,
            circuit: o.optional("circuit")?,
        })
    }
}

impl FromJson for Entry {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        Entry::new(EntryDraft::from_json(node)?).map_err(|e| node.error(e.to_string()))
    }
}
deserialize_by_reader!(
    Scope,
    Status,
    QuantizationCertificate,
    KeyDigest,
    CircuitDigests,
    EntryDraft,
    Entry
);

/// A checked entry: scopes sorted and within capacity, a non-empty validity window, a revocation
/// (if any) after the approval.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "EntryDraft")]
pub struct Entry {
    fields: EntryDraft,
}

#[derive(Serialize)]
struct EntryMeta<'a> {
    approved_at: Timestamp,
    approved_by: &'a Note,
    #[serde(skip_serializing_if = "Option::is_none")]
    circuit: Option<&'a CircuitDigests>,
    fixed_point_scale: u64,
    model_digest: Digest,
    #[serde(skip_serializing_if = "Option::is_none")]
    quantization_certificate: Option<&'a QuantizationCertificate>,
    status: &'a Status,
}

impl Entry {
    /// Checks a draft; sorts its scopes.
    pub fn new(mut fields: EntryDraft) -> Result<Self, EntryError> {
        let cap = fields.scope_capacity;
        if cap == 0 || cap > MAX_SCOPE_CAPACITY {
            return Err(EntryError::ScopeCapacity(cap));
        }
        if fields.fixed_point_scale == 0 {
            return Err(EntryError::Scale);
        }
        if fields.scopes.is_empty() {
            return Err(EntryError::NoScopes);
        }
        if fields.scopes.len() > cap as usize {
            return Err(EntryError::TooManyScopes {
                given: fields.scopes.len(),
                capacity: cap,
            });
        }
        crate::sort::sort(&mut fields.scopes);
        if let Some(w) = fields.scopes.windows(2).find(|w| w[0] == w[1]) {
            return Err(EntryError::DuplicateScope(w[0].clone()));
        }
        if fields.valid_from >= fields.valid_until {
            return Err(EntryError::Window {
                from: fields.valid_from,
                until: fields.valid_until,
            });
        }
        if let Some(c) = &fields.circuit {
            c.check()?;
        }
        if let Status::Revoked { revoked_at, .. } = &fields.status {
            if *revoked_at < fields.approved_at {
                return Err(EntryError::RevokedBeforeApproval {
                    approved_at: fields.approved_at,
                    revoked_at: *revoked_at,
                });
            }
        }
        Ok(Entry { fields })
    }

    /// All fields.
    pub fn fields(&self) -> &EntryDraft {
        &self.fields
    }

    /// The model id.
    pub fn model_id(&self) -> &ModelId {
        &self.fields.model_id
    }

    /// The model version.
    pub fn version(&self) -> &ModelVersion {
        &self.fields.version
    }

    /// The status.
    pub fn status(&self) -> &Status {
        &self.fields.status
    }

    /// The entry's place in the tree order: model id bytes, then version bytes.
    pub fn order(&self, other: &Entry) -> Ordering {
        (
            self.model_id().as_str().as_bytes(),
            self.version().as_str().as_bytes(),
        )
            .cmp(&(
                other.model_id().as_str().as_bytes(),
                other.version().as_str().as_bytes(),
            ))
    }

    /// Whether this is the entry for `model_id` at `version`.
    pub fn is(&self, model_id: &ModelId, version: &ModelVersion) -> bool {
        self.model_id() == model_id && self.version() == version
    }

    /// The same entry, revoked at `at` for `reason`.
    pub fn revoked(&self, at: Timestamp, reason: Note) -> Result<Entry, EntryError> {
        if matches!(self.fields.status, Status::Revoked { .. }) {
            return Err(EntryError::AlreadyRevoked {
                model_id: self.model_id().clone(),
                version: self.version().clone(),
            });
        }
        let mut fields = self.fields.clone();
        fields.status = Status::Revoked {
            revoked_at: at,
            reason,
        };
        Entry::new(fields)
    }

    /// The canonical JSON encoding of the entry.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonical::canonical_json(self)
    }

    /// The entry's digest: the name of its file.
    pub fn digest(&self) -> Digest {
        Digest::tagged(ENTRY_DOMAIN, &self.canonical_bytes())
    }

    /// The leaf element covering the fields the leaf does not hold (see the module docs).
    pub fn meta_digest(&self) -> Field {
        let f = &self.fields;
        let meta = EntryMeta {
            approved_at: f.approved_at,
            approved_by: &f.approved_by,
            circuit: f.circuit.as_ref(),
            fixed_point_scale: f.fixed_point_scale,
            model_digest: f.model_digest,
            quantization_certificate: f.quantization_certificate.as_ref(),
            status: &f.status,
        };
        let d = Digest::tagged(ENTRY_META_DOMAIN, &canonical::canonical_json(&meta));
        digest_to_field(d.as_bytes())
    }

    /// The scope-set hash: scope ids in sorted order, zero-padded to the scope capacity.
    pub fn scopes_hash(&self) -> Field {
        let ids: Vec<Field> = self.fields.scopes.iter().map(Scope::id).collect();
        // `new` keeps the number of scopes within the capacity.
        scope_set_hash(&ids, self.fields.scope_capacity as usize)
            .unwrap_or_else(|e| unreachable!("entry scopes fit their capacity: {e}"))
    }

    /// The leaf the circuits check for this entry.
    pub fn leaf(&self) -> RegistryLeaf {
        let f = &self.fields;
        RegistryLeaf {
            model_id: f.model_id.label(),
            model_version: f.version.label(),
            weights_commitment: f.weights_commitment,
            profile_id: f.profile.label(),
            scopes_hash: self.scopes_hash(),
            valid_from: f.valid_from.unix(),
            valid_until: f.valid_until.unix(),
            status: f.status.circuit_status(),
            meta_digest: self.meta_digest(),
        }
    }
}

impl TryFrom<EntryDraft> for Entry {
    type Error = EntryError;
    fn try_from(d: EntryDraft) -> Result<Self, Self::Error> {
        Entry::new(d)
    }
}

impl From<Entry> for EntryDraft {
    fn from(e: Entry) -> Self {
        e.fields
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn draft(model: &str, version: &str) -> EntryDraft {
        EntryDraft {
            model_id: ModelId::new(model).unwrap(),
            version: ModelVersion::new(version).unwrap(),
            weights_commitment: Field::from(42u64),
            model_digest: Digest::from_bytes([9u8; 32]),
            profile: ProfileName::new("small").unwrap(),
            scope_capacity: 4,
            fixed_point_scale: 65_536,
            scopes: vec![
                "consumer-credit/EU-DE/personal-loan".parse().unwrap(),
                "consumer-credit/EU-AT/personal-loan".parse().unwrap(),
            ],
            valid_from: Timestamp::parse("2025-01-01T00:00:00Z").unwrap(),
            valid_until: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
            status: Status::Approved,
            approved_by: Note::new("Model Risk Committee, minute 2025-01").unwrap(),
            approved_at: Timestamp::parse("2024-12-20T00:00:00Z").unwrap(),
            quantization_certificate: None,
            circuit: None,
        }
    }

    #[test]
    fn scopes_are_sorted_and_checked() {
        let e = Entry::new(draft("m", "1")).unwrap();
        assert_eq!(e.fields().scopes[0].jurisdiction.as_str(), "EU-AT");
        let mut d = draft("m", "1");
        d.scopes.push(d.scopes[0].clone());
        assert!(matches!(Entry::new(d), Err(EntryError::DuplicateScope(_))));
        let mut d = draft("m", "1");
        d.scope_capacity = 1;
        assert!(matches!(
            Entry::new(d),
            Err(EntryError::TooManyScopes { .. })
        ));
        let mut d = draft("m", "1");
        d.valid_until = d.valid_from;
        assert!(matches!(Entry::new(d), Err(EntryError::Window { .. })));
    }

    #[test]
    fn every_field_moves_the_leaf() {
        let base = Entry::new(draft("m", "1")).unwrap();
        let leaf = base.leaf().hash();
        type Change = Box<dyn Fn(&mut EntryDraft)>;
        let variants: Vec<Change> = vec![
            Box::new(|d| d.model_id = ModelId::new("n").unwrap()),
            Box::new(|d| d.version = ModelVersion::new("2").unwrap()),
            Box::new(|d| d.weights_commitment = Field::from(43u64)),
            Box::new(|d| d.model_digest = Digest::from_bytes([8u8; 32])),
            Box::new(|d| d.profile = ProfileName::new("large").unwrap()),
            Box::new(|d| d.scope_capacity = 8),
            Box::new(|d| d.fixed_point_scale = 1024),
            Box::new(|d| d.scopes.truncate(1)),
            Box::new(|d| d.valid_from = Timestamp::parse("2025-01-01T00:00:01Z").unwrap()),
            Box::new(|d| d.valid_until = Timestamp::parse("2026-01-01T00:00:01Z").unwrap()),
            Box::new(|d| d.approved_by = Note::new("someone else").unwrap()),
            Box::new(|d| d.approved_at = Timestamp::parse("2024-12-21T00:00:00Z").unwrap()),
            Box::new(|d| {
                let mut m = Map::new();
                m.insert("max_error".into(), Value::from(0.01));
                d.quantization_certificate = Some(QuantizationCertificate(m));
            }),
            Box::new(|d| {
                d.circuit = Some(CircuitDigests {
                    bytecode_digest: Digest::from_bytes([1u8; 32]),
                    verification_keys: vec![KeyDigest {
                        setup: SetupId::Ignition,
                        target: ProofTarget::NoirRecursive,
                        vk_hash: Digest::from_bytes([2u8; 32]),
                    }],
                })
            }),
            Box::new(|d| {
                d.status = Status::Revoked {
                    revoked_at: Timestamp::parse("2025-06-01T00:00:00Z").unwrap(),
                    reason: Note::new("drift").unwrap(),
                }
            }),
        ];
        for (i, change) in variants.iter().enumerate() {
            let mut d = draft("m", "1");
            change(&mut d);
            let e = Entry::new(d).unwrap();
            assert_ne!(e.leaf().hash(), leaf, "change {i} left the leaf unchanged");
            assert_ne!(
                e.digest(),
                base.digest(),
                "change {i} left the digest unchanged"
            );
        }
        let r1 = base
            .revoked(
                Timestamp::parse("2025-06-01T00:00:00Z").unwrap(),
                Note::new("a").unwrap(),
            )
            .unwrap();
        let r2 = base
            .revoked(
                Timestamp::parse("2025-06-01T00:00:00Z").unwrap(),
                Note::new("b").unwrap(),
            )
            .unwrap();
        assert_ne!(r1.leaf().hash(), r2.leaf().hash(), "the reason is covered");
        assert!(r1
            .revoked(r1.fields().approved_at, Note::new("c").unwrap())
            .is_err());
    }

    #[test]
    fn circuit_digests_name_one_to_eight_keys_one_per_setup_and_target() {
        let key = |target| KeyDigest {
            setup: SetupId::Ignition,
            target,
            vk_hash: Digest::from_bytes([3u8; 32]),
        };
        let with = |keys: Vec<KeyDigest>| {
            let mut d = draft("m", "1");
            d.circuit = Some(CircuitDigests {
                bytecode_digest: Digest::from_bytes([1u8; 32]),
                verification_keys: keys,
            });
            Entry::new(d)
        };
        assert!(with(vec![key(ProofTarget::NoirRecursive), key(ProofTarget::Evm)]).is_ok());
        assert_eq!(with(vec![]), Err(EntryError::KeyCount(0)));
        assert!(matches!(
            with(vec![key(ProofTarget::Evm), key(ProofTarget::Evm)]),
            Err(EntryError::DuplicateKey { .. })
        ));
        // Read back strictly, and found by setup and target.
        let e = with(vec![key(ProofTarget::Evm)]).unwrap();
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(serde_json::from_value::<Entry>(v.clone()).unwrap(), e);
        let c = e.fields().circuit.as_ref().unwrap();
        assert!(c.key(SetupId::Ignition, ProofTarget::Evm).is_some());
        assert!(c
            .key(SetupId::Ignition, ProofTarget::NoirRecursive)
            .is_none());
        let mut bad = v;
        bad["circuit"]["extra"] = Value::from(1);
        assert!(serde_json::from_value::<Entry>(bad).is_err());
    }

    #[test]
    fn an_entry_without_circuit_digests_keeps_the_meta_digest_it_always_had() {
        // The meta digest of an entry without `circuit` is computed over exactly the fields it
        // was before the field existed.
        let e = Entry::new(draft("m", "1")).unwrap();
        let f = e.fields();
        let old = serde_json::json!({
            "approved_at": f.approved_at,
            "approved_by": f.approved_by,
            "fixed_point_scale": f.fixed_point_scale,
            "model_digest": f.model_digest,
            "status": f.status,
        });
        let d = Digest::tagged(ENTRY_META_DOMAIN, &canonical::canonical_json(&old));
        assert_eq!(e.meta_digest(), digest_to_field(d.as_bytes()));
        assert!(!serde_json::to_string(&e).unwrap().contains("circuit"));
    }

    #[test]
    fn documents_are_strict() {
        let e = Entry::new(draft("m", "1")).unwrap();
        let mut v = serde_json::to_value(&e).unwrap();
        assert_eq!(serde_json::from_value::<Entry>(v.clone()).unwrap(), e);
        v["extra"] = Value::from(1);
        assert!(serde_json::from_value::<Entry>(v).is_err());
        let mut v = serde_json::to_value(&e).unwrap();
        v["status"] = serde_json::json!({"state": "approved", "reason": "x"});
        assert!(serde_json::from_value::<Entry>(v.clone()).is_err());
        v["status"] = serde_json::json!({"state": "revoked", "reason": "x"});
        assert!(serde_json::from_value::<Entry>(v.clone()).is_err());
        v["status"] = serde_json::json!({"state": "revoked", "reason": "x", "revoked_at": "2025-03-01T00:00:00Z"});
        assert!(serde_json::from_value::<Entry>(v).is_ok());
        let mut v = serde_json::to_value(&e).unwrap();
        v["fixed_point_scale"] = Value::from("65536");
        assert!(serde_json::from_value::<Entry>(v).is_err());
    }

    #[test]
    fn a_certificate_with_a_key_written_twice_is_refused() {
        // The certificate is an open JSON object covered by the signed meta digest: a key
        // written twice would let two readers see two certificates under one signature.
        let mut d = draft("m", "1");
        let mut cert = Map::new();
        cert.insert("max_error".into(), Value::from(0.5));
        d.quantization_certificate = Some(QuantizationCertificate(cert));
        let e = Entry::new(d).unwrap();
        let text = serde_json::to_string_pretty(&e).unwrap();
        assert_eq!(crate::json::from_str::<Entry>(&text).unwrap(), e);
        let twice = text.replacen(
            "\"max_error\": 0.5",
            "\"max_error\": 0.5, \"max_error\": 9",
            1,
        );
        assert_ne!(twice, text);
        let err = crate::json::from_str::<Entry>(&twice)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("duplicate field `max_error` at line "),
            "{err}"
        );
        // Also through serde's door.
        assert!(serde_json::from_str::<Entry>(&twice).is_err());
    }
}
