//! The bundle document: its types, its strict reader and its writer.
//!
//! Reading is strict by construction: every object refuses unknown fields, every value has one
//! type and one spelling (field elements only as `0x` + 64 lowercase hex digits below the modulus,
//! times only as `YYYY-MM-DDTHH:MM:SSZ`, digests and the proof only as lowercase hex), every text
//! has a length limit, and the whole document has a size limit checked before parsing. The schema
//! is documented in `docs/bundle.md`.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::deserialize_by_reader;
use crate::json::{self, Error as JsonError, FromJson, Node};

use crate::commit::label;
use crate::field::Field;
use crate::merkle::MerklePath;
use crate::proof::{
    ProofTarget, FIELD_BYTES, NOIR_RECURSIVE_PROOF_FIELDS, NOIR_RECURSIVE_VK_BYTES,
};
use crate::registry::entry::Digest;
use crate::registry::names::{shorten, ModelId, ModelVersion, ProfileName};
use crate::registry::{Entry, Scope, Signed, Snapshot, Timestamp};
use crate::setup::SetupId;

use crate::circuits::profile::MAX_REASONS;

/// The value of the `format` field.
pub const FORMAT: &str = "govproof-bundle";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The largest bundle read, in bytes (a valid one is about 32 KB; the limit is checked before
/// anything is parsed).
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024;
/// The longest decision id, in characters.
pub const MAX_DECISION_ID_LEN: usize = 128;
/// The longest bb version string.
pub const MAX_BB_VERSION_LEN: usize = 64;
/// The most signatures a bundle's registry snapshot may carry (a root holds at most 64 keys).
pub const MAX_SNAPSHOT_SIGNATURES: usize = crate::registry::root::MAX_KEYS;
/// The most bytes a proof may have: the largest proof bb 5.0.0 makes for any target (the
/// `noir-recursive` proof, 458 fields).
pub const MAX_PROOF_BYTES: usize = NOIR_RECURSIVE_PROOF_FIELDS * FIELD_BYTES;
/// The most bytes a carried verification key may have: the largest key bb 5.0.0 writes (the
/// `noir-recursive` key).
pub const MAX_VK_BYTES: usize = NOIR_RECURSIVE_VK_BYTES;

/// Why a bundle could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The document is larger than [`MAX_BUNDLE_BYTES`].
    #[error("the bundle is {0} bytes, more than the {MAX_BUNDLE_BYTES} a bundle may have")]
    TooLarge(usize),
    /// Not JSON, or not a govproof bundle at all.
    #[error("not a govproof bundle: {0}")]
    NotABundle(String),
    /// A bundle of a format version this build does not read.
    #[error("bundle format version {found} is not supported: this verifier reads version {FORMAT_VERSION}")]
    Version {
        /// The version the document declares.
        found: u64,
    },
    /// The document breaks the schema (unknown field, wrong type, oversized or non-canonical
    /// value); the message carries the line and column.
    #[error("the bundle does not follow the format: {0}")]
    Schema(String),
}

/// A lender's identifier for one decision: 1 to 128 printable ASCII characters (no spaces).
/// The circuit binds the proof to `label(id)`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DecisionId(String);

/// Why a text is not a decision id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a decision id: {problem}")]
pub struct DecisionIdError {
    /// The text given (shortened when long).
    pub value: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl DecisionId {
    /// Checks the text: 1 to [`MAX_DECISION_ID_LEN`] characters, each printable ASCII other than
    /// space.
    pub fn new(text: &str) -> Result<Self, DecisionIdError> {
        let err = |problem| DecisionIdError {
            value: shorten(text),
            problem,
        };
        if text.is_empty() {
            return Err(err("it is empty"));
        }
        if text.len() > MAX_DECISION_ID_LEN {
            return Err(err("it is longer than 128 characters"));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(err(
                "only printable ASCII characters other than space are allowed",
            ));
        }
        Ok(DecisionId(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The public input the circuit binds: [`label`] of the text.
    pub fn label(&self) -> Field {
        label(&self.0)
    }
}

impl fmt::Display for DecisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DecisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecisionId({:?})", self.0)
    }
}

impl FromJson for DecisionId {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        node.parse_str("a decision id", DecisionId::new)
    }
}

/// A policy's id, version, or a band's name: the policy layer's name rules (1 to 64 ASCII
/// letters, digits, `-`, `_`, `.` or `+`, starting with a letter or digit).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PolicyName(String);

impl PolicyName {
    /// Checks the text with the policy layer's rules.
    pub fn new(text: &str) -> Result<Self, String> {
        crate::policy::names::Name::new(text)
            .map(|n| PolicyName(n.as_str().to_string()))
            .map_err(|problem| format!("`{}` is not a valid name: {problem}", shorten(text)))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PolicyName({:?})", self.0)
    }
}

impl FromJson for PolicyName {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        node.parse_str("a name", PolicyName::new)
    }
}

/// What `bb --version` printed for the bb that made the proof: 1 to 64 printable ASCII characters.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct BbVersion(String);

impl BbVersion {
    /// Checks the text.
    pub fn new(text: &str) -> Result<Self, String> {
        if text.is_empty()
            || text.len() > MAX_BB_VERSION_LEN
            || !text.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(format!(
                "`{}` is not a bb version: expected 1 to {MAX_BB_VERSION_LEN} printable characters",
                shorten(text)
            ));
        }
        Ok(BbVersion(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BbVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BbVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BbVersion({:?})", self.0)
    }
}

impl FromJson for BbVersion {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        node.parse_str("a bb version", BbVersion::new)
    }
}

/// Which circuit made the proof, and with what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CircuitClaim {
    /// The circuit's name among govproof's circuits (for the reference composites, the profile
    /// name).
    pub id: ProfileName,
    /// The circuit profile.
    pub profile: ProfileName,
    /// blake3 of the circuit's un-gzipped ACIR bytecode.
    pub artifact_digest: Digest,
    /// blake3 of the verification key the proof verifies under (informational: the verifier uses
    /// the key a pin or the signed registry entry vouches for, and only compares).
    pub vk_hash: Digest,
    /// The bb that proved.
    pub bb_version: BbVersion,
    /// The proof target (transcript hash).
    pub proof_target: ProofTarget,
    /// The verification key itself, carried only for a circuit the verifier's build does not
    /// pin. It is used only once the registry entry of the bundle's model (in
    /// [`RegistryClaim::entry`], inside the signed snapshot's tree) names its blake3 digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_key: Option<KeyBytes>,
}

impl FromJson for CircuitClaim {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a circuit object",
            &[
                "id",
                "profile",
                "artifact_digest",
                "vk_hash",
                "bb_version",
                "proof_target",
                "verification_key",
            ],
        )?;
        Ok(CircuitClaim {
            id: o.required("id")?,
            profile: o.required("profile")?,
            artifact_digest: o.required("artifact_digest")?,
            vk_hash: o.required("vk_hash")?,
            bb_version: o.required("bb_version")?,
            proof_target: o.required("proof_target")?,
            verification_key: o.optional("verification_key")?,
        })
    }
}

/// A verification key carried in a bundle: lowercase hex of at most [`MAX_VK_BYTES`] bytes, whole
/// 32-byte fields. Reading checks only the encoding and the size; whether the registry vouches
/// for it is the `circuit` check's business.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyBytes(Vec<u8>);

impl KeyBytes {
    /// Wraps a key as bb writes it; refuses an empty one, one that is not whole fields, or one
    /// above [`MAX_VK_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.is_empty() || !bytes.len().is_multiple_of(FIELD_BYTES) {
            return Err(format!(
                "a verification key is a non-empty sequence of {FIELD_BYTES}-byte fields, got {} bytes",
                bytes.len()
            ));
        }
        if bytes.len() > MAX_VK_BYTES {
            return Err(format!(
                "the verification key is {} bytes, more than the {MAX_VK_BYTES} of the largest key bb writes",
                bytes.len()
            ));
        }
        Ok(KeyBytes(bytes))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// blake3 of the bytes (what a registry entry names).
    pub fn digest(&self) -> Digest {
        Digest::from_bytes(*crate::blake3::hash(&self.0).as_bytes())
    }
}

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyBytes({} bytes)", self.0.len())
    }
}

impl Serialize for KeyBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl FromJson for KeyBytes {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        node.parse_str("a verification key in hex", |s| {
            KeyBytes::new(lowercase_hex(s, "verification key", 2 * MAX_VK_BYTES)?)
        })
    }
}

/// `text` as lowercase hex of at most `max_digits` digits.
fn lowercase_hex(text: &str, what: &str, max_digits: usize) -> Result<Vec<u8>, String> {
    if text.len() > max_digits {
        return Err(format!(
            "the {what} is {} hex digits, more than the {max_digits} allowed",
            text.len()
        ));
    }
    if !text.len().is_multiple_of(2)
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!(
            "the {what} must be an even number of lowercase hex digits"
        ));
    }
    hex::decode(text).map_err(|e| e.to_string())
}

/// The registry entry of the bundle's model with its place in the snapshot's tree: carried only
/// with a verification key the verifier's build does not pin, so the verifier can check the
/// entry is in the signed tree and read the key digest it names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryClaim {
    /// The entry document, exactly as the registry holds it.
    pub entry: Entry,
    /// Its leaf's Merkle path to the snapshot's root.
    pub path: MerklePath,
}

impl FromJson for EntryClaim {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "an entry object with `entry` and `path`",
            &["entry", "path"],
        )?;
        Ok(EntryClaim {
            entry: o.required("entry")?,
            path: o.required("path")?,
        })
    }
}

// An entry holds JSON values (the quantization certificate), whose equality is an equivalence:
// JSON numbers are never NaN.
impl Eq for EntryClaim {}

/// The signed registry snapshot the decision was proved against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryClaim {
    /// The snapshot with its signatures, exactly as the registry published it.
    pub snapshot: Signed<Snapshot>,
    /// The model's entry and its Merkle path (only with a carried verification key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryClaim>,
}

impl FromJson for RegistryClaim {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object("a registry object with `snapshot`", &["snapshot", "entry"])?;
        Ok(RegistryClaim {
            snapshot: o.required("snapshot")?,
            entry: o.optional("entry")?,
        })
    }
}

/// The policy the decision was made under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyClaim {
    /// The policy's id.
    pub id: PolicyName,
    /// Its version.
    pub version: PolicyName,
    /// The policy hash the proof commits to.
    pub hash: Field,
}

impl FromJson for PolicyClaim {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a policy object with `id`, `version` and `hash`",
            &["id", "version", "hash"],
        )?;
        Ok(PolicyClaim {
            id: o.required("id")?,
            version: o.required("version")?,
            hash: o.required("hash")?,
        })
    }
}

/// The model that decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelClaim {
    /// The model id, as in the registry.
    pub id: ModelId,
    /// The model version, as in the registry.
    pub version: ModelVersion,
}

impl FromJson for ModelClaim {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object("a model object with `id` and `version`", &["id", "version"])?;
        Ok(ModelClaim {
            id: o.required("id")?,
            version: o.required("version")?,
        })
    }
}

/// What a policy says a decision is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyOutcome {
    /// Approve the application.
    Approve,
    /// Refer it to a person.
    Refer,
    /// Decline it.
    Decline,
}

impl PolicyOutcome {
    /// The name as policies write it.
    pub fn as_str(&self) -> &'static str {
        match self {
            PolicyOutcome::Approve => "approve",
            PolicyOutcome::Refer => "refer",
            PolicyOutcome::Decline => "decline",
        }
    }
}

impl FromJson for PolicyOutcome {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        match node.variant("an outcome", &["approve", "refer", "decline"])? {
            "approve" => Ok(PolicyOutcome::Approve),
            "refer" => Ok(PolicyOutcome::Refer),
            _ => Ok(PolicyOutcome::Decline),
        }
    }
}

impl From<crate::policy::Outcome> for PolicyOutcome {
    fn from(o: crate::policy::Outcome) -> Self {
        match o {
            crate::policy::Outcome::Approve => PolicyOutcome::Approve,
            crate::policy::Outcome::Refer => PolicyOutcome::Refer,
            crate::policy::Outcome::Decline => PolicyOutcome::Decline,
        }
    }
}

impl fmt::Display for PolicyOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The decision's outcome in words: the proved part (band index or decision bit) and the
/// policy's names for it (which the verifier compares with a policy file when given one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutcomeClaim {
    /// A band of a score-band policy.
    ScoreBand {
        /// The band's index, from 0 for the lowest scores: the public input.
        band_index: u32,
        /// The band's name in the policy.
        band: PolicyName,
        /// The band's outcome in the policy.
        outcome: PolicyOutcome,
    },
    /// A gate policy's yes/no decision.
    Gate {
        /// Whether the score reached the threshold: the public input.
        decision: bool,
        /// The outcome the policy gives that side of the threshold.
        outcome: PolicyOutcome,
    },
}

/// `{"kind": "score_band", "band_index", "band", "outcome"}` or
/// `{"kind": "gate", "decision", "outcome"}`.
impl FromJson for OutcomeClaim {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        const EXPECTING: &str = "an outcome object with `kind` `score_band` or `gate`";
        node.members(EXPECTING)?;
        let kind = match node.member("kind") {
            Some(k) => k.variant("an outcome kind", &["score_band", "gate"])?,
            None => return Err(node.error("missing field `kind`")),
        };
        if kind == "score_band" {
            let o = node.object(EXPECTING, &["kind", "band_index", "band", "outcome"])?;
            Ok(OutcomeClaim::ScoreBand {
                band_index: o.required("band_index")?,
                band: o.required("band")?,
                outcome: o.required("outcome")?,
            })
        } else {
            let o = node.object(EXPECTING, &["kind", "decision", "outcome"])?;
            Ok(OutcomeClaim::Gate {
                decision: o.required("decision")?,
                outcome: o.required("outcome")?,
            })
        }
    }
}

impl OutcomeClaim {
    /// The policy's outcome (approve, refer, decline).
    pub fn outcome(&self) -> PolicyOutcome {
        match self {
            OutcomeClaim::ScoreBand { outcome, .. } | OutcomeClaim::Gate { outcome, .. } => {
                *outcome
            }
        }
    }

    /// The public input this outcome stands for.
    pub fn public_input(&self) -> PublicOutcome {
        match self {
            OutcomeClaim::ScoreBand { band_index, .. } => {
                PublicOutcome::BandIndex(Field::from(u64::from(*band_index)))
            }
            OutcomeClaim::Gate { decision, .. } => PublicOutcome::Decision(Field::from(*decision)),
        }
    }
}

impl fmt::Display for OutcomeClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutcomeClaim::ScoreBand {
                band_index,
                band,
                outcome,
            } => write!(f, "band {band_index} `{band}` ({outcome})"),
            OutcomeClaim::Gate { decision, outcome } => {
                let side = if *decision {
                    "at or above the threshold"
                } else {
                    "below the threshold"
                };
                write!(f, "{side} ({outcome})")
            }
        }
    }
}

/// The decision, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionClaim {
    /// The lender's identifier for the decision.
    pub id: DecisionId,
    /// When it was made.
    pub time: Timestamp,
    /// Its scope.
    pub scope: Scope,
    /// Its outcome.
    pub outcome: OutcomeClaim,
}

impl FromJson for DecisionClaim {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object("a decision object", &["id", "time", "scope", "outcome"])?;
        Ok(DecisionClaim {
            id: o.required("id")?,
            time: o.required("time")?,
            scope: o.required("scope")?,
            outcome: o.required("outcome")?,
        })
    }
}

/// The public input that carries the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicOutcome {
    /// `band_index` (score-band circuits).
    BandIndex(Field),
    /// `decision` (gate circuits).
    Decision(Field),
}

impl PublicOutcome {
    /// The input's name in the circuit.
    pub fn name(&self) -> &'static str {
        match self {
            PublicOutcome::BandIndex(_) => "band_index",
            PublicOutcome::Decision(_) => "decision",
        }
    }

    /// Its value.
    pub fn value(&self) -> Field {
        match self {
            PublicOutcome::BandIndex(v) | PublicOutcome::Decision(v) => *v,
        }
    }
}

/// The proof's public inputs by name, in the circuit's order (see `docs/circuits.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicInputs {
    /// `registry_root`.
    pub registry_root: Field,
    /// `policy_hash`.
    pub policy_hash: Field,
    /// `model_id`.
    pub model_id: Field,
    /// `model_version`.
    pub model_version: Field,
    /// `purpose`.
    pub purpose: Field,
    /// `jurisdiction`.
    pub jurisdiction: Field,
    /// `product`.
    pub product: Field,
    /// `decision_time`.
    pub decision_time: Field,
    /// `input_commitment`.
    pub input_commitment: Field,
    /// `decision_id`.
    pub decision_id: Field,
    /// `band_index` or `decision`.
    pub outcome: PublicOutcome,
    /// `reasons`: the proven reason codes of a profile with reasons (`-rK`), empty otherwise.
    pub reasons: Vec<Field>,
}

/// The names of the reason codes among the public inputs, slot by slot.
pub const REASON_INPUT_NAMES: [&str; MAX_REASONS] = [
    "reasons[0]",
    "reasons[1]",
    "reasons[2]",
    "reasons[3]",
    "reasons[4]",
    "reasons[5]",
    "reasons[6]",
    "reasons[7]",
];

/// The names of the public inputs every composite has, in order, before the outcome.
pub const COMMON_INPUT_NAMES: [&str; 10] = [
    "registry_root",
    "policy_hash",
    "model_id",
    "model_version",
    "purpose",
    "jurisdiction",
    "product",
    "decision_time",
    "input_commitment",
    "decision_id",
];

impl PublicInputs {
    /// The inputs from their values in the circuit's order; `outcome_is_band` names the
    /// eleventh. `None` unless there are eleven values, then at most [`MAX_REASONS`] reason
    /// codes.
    pub fn from_fields(values: &[Field], outcome_is_band: bool) -> Option<Self> {
        if values.len() < 11 || values.len() > 11 + MAX_REASONS {
            return None;
        }
        let (head, reasons) = values.split_at(11);
        let [registry_root, policy_hash, model_id, model_version, purpose, jurisdiction, product, decision_time, input_commitment, decision_id, outcome] =
            *head
        else {
            return None;
        };
        Some(PublicInputs {
            registry_root,
            policy_hash,
            model_id,
            model_version,
            purpose,
            jurisdiction,
            product,
            decision_time,
            input_commitment,
            decision_id,
            outcome: if outcome_is_band {
                PublicOutcome::BandIndex(outcome)
            } else {
                PublicOutcome::Decision(outcome)
            },
            reasons: reasons.to_vec(),
        })
    }

    /// `(name, value)` in the circuit's order.
    pub fn named(&self) -> Vec<(&'static str, Field)> {
        let common = [
            self.registry_root,
            self.policy_hash,
            self.model_id,
            self.model_version,
            self.purpose,
            self.jurisdiction,
            self.product,
            self.decision_time,
            self.input_commitment,
            self.decision_id,
        ];
        let mut out: Vec<(&'static str, Field)> =
            COMMON_INPUT_NAMES.iter().copied().zip(common).collect();
        out.push((self.outcome.name(), self.outcome.value()));
        out.extend(
            REASON_INPUT_NAMES
                .iter()
                .copied()
                .zip(self.reasons.iter().copied()),
        );
        out
    }

    /// The values in the circuit's order (what bb verifies against).
    pub fn to_fields(&self) -> Vec<Field> {
        self.named().into_iter().map(|(_, v)| v).collect()
    }
}

impl Serialize for PublicInputs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let named = self.named();
        let reasons = !self.reasons.is_empty();
        let mut map = s.serialize_map(Some(11 + usize::from(reasons)))?;
        for (name, value) in named.into_iter().take(11) {
            map.serialize_entry(name, &value)?;
        }
        if reasons {
            map.serialize_entry("reasons", &self.reasons)?;
        }
        map.end()
    }
}

impl FromJson for PublicInputs {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let members =
            node.members("a public inputs object with the circuit's eleven inputs by name")?;
        let mut common: [Option<Field>; 10] = [None; 10];
        let mut outcome: Option<PublicOutcome> = None;
        let mut reasons: Option<Vec<Field>> = None;
        for m in members {
            let key = m.key.as_str();
            if key == "reasons" {
                let codes: Vec<Field> = Vec::from_json(&m.value)?;
                if codes.is_empty() || codes.len() > MAX_REASONS {
                    return Err(m.value.error(format!(
                        "`reasons` holds 1 to {MAX_REASONS} reason codes, got {}",
                        codes.len()
                    )));
                }
                reasons = Some(codes);
                continue;
            }
            if let Some(i) = COMMON_INPUT_NAMES.iter().position(|n| *n == key) {
                common[i] = Some(Field::from_json(&m.value)?);
                continue;
            }
            let make: fn(Field) -> PublicOutcome = match key {
                "band_index" => PublicOutcome::BandIndex,
                "decision" => PublicOutcome::Decision,
                _ => {
                    return Err(m.value.error(format!(
                        "unknown public input `{}`, expected one of {}, and \
                         `band_index` or `decision`",
                        shorten(key),
                        COMMON_INPUT_NAMES
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            };
            if outcome.is_some() {
                return Err(m.value.error(
                    "the outcome appears twice: give exactly one of `band_index` and `decision`",
                ));
            }
            outcome = Some(make(Field::from_json(&m.value)?));
        }
        let mut values = [Field::zero(); 10];
        for (i, slot) in common.iter().enumerate() {
            values[i] = slot
                .ok_or_else(|| node.error(format!("missing field `{}`", COMMON_INPUT_NAMES[i])))?;
        }
        let outcome =
            outcome.ok_or_else(|| node.error("missing the outcome: `band_index` or `decision`"))?;
        let [registry_root, policy_hash, model_id, model_version, purpose, jurisdiction, product, decision_time, input_commitment, decision_id] =
            values;
        Ok(PublicInputs {
            registry_root,
            policy_hash,
            model_id,
            model_version,
            purpose,
            jurisdiction,
            product,
            decision_time,
            input_commitment,
            decision_id,
            outcome,
            reasons: reasons.unwrap_or_default(),
        })
    }
}

/// A proof as bb writes it: 32-byte fields, written as one lowercase hex string. Reading checks
/// only the encoding and the size limit; whether the length suits the target is the proof check's
/// business.
#[derive(Clone, PartialEq, Eq)]
pub struct ProofBytes(Vec<u8>);

impl ProofBytes {
    /// Wraps bb's proof bytes; refuses a length that is not whole fields or exceeds
    /// [`MAX_PROOF_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.is_empty() || !bytes.len().is_multiple_of(FIELD_BYTES) {
            return Err(format!(
                "a proof is a non-empty sequence of {FIELD_BYTES}-byte fields, got {} bytes",
                bytes.len()
            ));
        }
        if bytes.len() > MAX_PROOF_BYTES {
            return Err(format!(
                "the proof is {} bytes, more than the {MAX_PROOF_BYTES} of the largest proof bb makes",
                bytes.len()
            ));
        }
        Ok(ProofBytes(bytes))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ProofBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProofBytes({} bytes)", self.0.len())
    }
}

impl Serialize for ProofBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl FromJson for ProofBytes {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        node.parse_str("a proof in hex", |s| {
            if s.len() > 2 * MAX_PROOF_BYTES {
                return Err(format!(
                    "the proof is {} hex digits, more than the {} of the largest proof bb makes",
                    s.len(),
                    2 * MAX_PROOF_BYTES
                ));
            }
            if !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                || s.len() % 2 != 0
            {
                return Err("the proof must be an even number of lowercase hex digits".to_string());
            }
            let bytes = hex::decode(s).map_err(|e| e.to_string())?;
            ProofBytes::new(bytes)
        })
    }
}

/// Longest reason code, feature name or reason text a bundle may carry.
pub const MAX_REASON_TEXT_LEN: usize = 512;

/// Text of a reason in a bundle: at most [`MAX_REASON_TEXT_LEN`] bytes, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ReasonWords(String);

impl ReasonWords {
    /// Checks the length and that no control character is in it.
    pub fn new(text: &str) -> Option<Self> {
        (text.len() <= MAX_REASON_TEXT_LEN && !text.chars().any(char::is_control))
            .then(|| ReasonWords(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromJson for ReasonWords {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        node.parse_str("a reason's words", |s| {
            ReasonWords::new(s).ok_or_else(|| {
                format!(
                    "a reason's words are at most {MAX_REASON_TEXT_LEN} bytes without control \
                     characters, got `{}`",
                    shorten(s)
                )
            })
        })
    }
}

impl fmt::Display for ReasonWords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One proven reason of a decision, as the bundle states it: the code the proof carries (the
/// feature's index) and the policy's words for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonClaim {
    /// The feature's index: the value of the reason's public input.
    pub index: u32,
    /// The policy's code for the reason.
    pub code: ReasonWords,
    /// The feature's name.
    pub feature: ReasonWords,
    /// The policy's text for the reason.
    pub text: ReasonWords,
}

impl FromJson for ReasonClaim {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object("a reason object", &["index", "code", "feature", "text"])?;
        Ok(ReasonClaim {
            index: o.required("index")?,
            code: o.required("code")?,
            feature: o.required("feature")?,
            text: o.required("text")?,
        })
    }
}

/// A proof bundle: one proved credit decision, self-describing (see `docs/bundle.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bundle {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`FORMAT_VERSION`].
    pub version: u32,
    /// The circuit that made the proof.
    pub circuit: CircuitClaim,
    /// The trusted setup the proof was made with.
    pub setup: SetupId,
    /// The signed registry snapshot it was proved against.
    pub registry: RegistryClaim,
    /// The policy.
    pub policy: PolicyClaim,
    /// The model.
    pub model: ModelClaim,
    /// The decision, in words.
    pub decision: DecisionClaim,
    /// The commitment to the applicant's features and a salt (neither is in the bundle).
    pub input_commitment: Field,
    /// The public inputs by name.
    pub public_inputs: PublicInputs,
    /// The proven reasons, most negative contribution first, in the policy's words (absent for a
    /// circuit without proven reasons, and for slots the none code fills).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<ReasonClaim>,
    /// The proof.
    pub proof: ProofBytes,
}

impl FromJson for Bundle {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a govproof bundle object",
            &[
                "format",
                "version",
                "circuit",
                "setup",
                "registry",
                "policy",
                "model",
                "decision",
                "input_commitment",
                "public_inputs",
                "reasons",
                "proof",
            ],
        )?;
        Ok(Bundle {
            format: o.required("format")?,
            version: o.required("version")?,
            circuit: o.required("circuit")?,
            setup: o.required("setup")?,
            registry: o.required("registry")?,
            policy: o.required("policy")?,
            model: o.required("model")?,
            decision: o.required("decision")?,
            input_commitment: o.required("input_commitment")?,
            public_inputs: o.required("public_inputs")?,
            reasons: o.or_default("reasons")?,
            proof: o.required("proof")?,
        })
    }
}

deserialize_by_reader!(
    DecisionId,
    PolicyName,
    BbVersion,
    KeyBytes,
    CircuitClaim,
    EntryClaim,
    RegistryClaim,
    PolicyClaim,
    ModelClaim,
    PolicyOutcome,
    OutcomeClaim,
    DecisionClaim,
    PublicInputs,
    ProofBytes,
    ReasonWords,
    ReasonClaim,
    Bundle,
);

impl Bundle {
    /// Reads a bundle strictly: size limit first, then the format and version, then the whole
    /// document (unknown fields, wrong types, oversized and non-canonical values are errors).
    pub fn from_json(bytes: &[u8]) -> Result<Bundle, BundleError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(BundleError::TooLarge(bytes.len()));
        }
        let node = json::parse(bytes).map_err(|e| BundleError::NotABundle(e.to_string()))?;
        node.members("a govproof bundle object")
            .map_err(|e| BundleError::NotABundle(e.to_string()))?;
        match node.member("format") {
            Some(json::Node {
                value: json::Value::String(f),
                ..
            }) if f == FORMAT => {}
            Some(other) => {
                let text = json::to_string(&other.value);
                return Err(BundleError::NotABundle(format!(
                    "`format` is {}, not \"{FORMAT}\"",
                    shorten(&text)
                )));
            }
            None => {
                return Err(BundleError::NotABundle(format!(
                    "there is no `format` field (a bundle starts with \"format\": \"{FORMAT}\")"
                )))
            }
        }
        match node.member("version").and_then(|v| v.whole::<u64>().ok()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(found) => return Err(BundleError::Version { found }),
            None => {
                return Err(BundleError::Schema(
                    "`version` must be a whole number".to_string(),
                ))
            }
        }
        let bundle = <Bundle as FromJson>::from_json(&node)
            .map_err(|e| BundleError::Schema(e.to_string()))?;
        if bundle.registry.snapshot.signatures.len() > MAX_SNAPSHOT_SIGNATURES {
            return Err(BundleError::Schema(format!(
                "the registry snapshot carries {} signatures, more than the {MAX_SNAPSHOT_SIGNATURES} keys a root can have",
                bundle.registry.snapshot.signatures.len()
            )));
        }
        Ok(bundle)
    }

    /// The bundle as pretty-printed JSON, ending in a newline (the form written to disk).
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("a bundle always serializes: {e}"));
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_ids_are_checked() {
        assert!(DecisionId::new("APP-2026-000042").is_ok());
        assert!(DecisionId::new("").is_err());
        assert!(DecisionId::new("has space").is_err());
        assert!(DecisionId::new("é").is_err());
        let long = "x".repeat(MAX_DECISION_ID_LEN + 1);
        let e = DecisionId::new(&long).unwrap_err();
        assert!(e.to_string().len() < 200, "{e}");
        assert!(DecisionId::new(&long[1..]).is_ok());
    }

    #[test]
    fn reason_codes_round_trip_and_are_bounded() {
        let mut values: Vec<Field> = (0..11u64).map(Field::from).collect();
        let plain = PublicInputs::from_fields(&values, true).unwrap();
        let plain_json = serde_json::to_string(&plain).unwrap();
        assert!(!plain_json.contains("reasons"));
        values.extend([Field::from(3u64), Field::from(24u64)]);
        let inputs = PublicInputs::from_fields(&values, true).unwrap();
        assert_eq!(inputs.reasons.len(), 2);
        assert_eq!(inputs.to_fields(), values);
        let json = serde_json::to_string(&inputs).unwrap();
        assert!(json.contains("\"reasons\":["), "{json}");
        let back: PublicInputs = serde_json::from_str(&json).unwrap();
        assert_eq!(back, inputs);
        let too_many: Vec<Field> = (0..11 + MAX_REASONS as u64 + 1).map(Field::from).collect();
        assert!(PublicInputs::from_fields(&too_many, true).is_none());
        let empty = plain_json.replacen('}', ",\"reasons\":[]}", 1);
        assert!(serde_json::from_str::<PublicInputs>(&empty).is_err());
        let twice = json.replacen('}', ",\"reasons\":[\"0x01\"]}", 1);
        assert!(serde_json::from_str::<PublicInputs>(&twice).is_err());
        assert!(ReasonWords::new("Duration of the loan").is_some());
        assert!(ReasonWords::new("two\nlines").is_none());
        assert!(ReasonWords::new(&"x".repeat(MAX_REASON_TEXT_LEN + 1)).is_none());
        assert!(serde_json::from_str::<ReasonWords>("\"a\\u0007b\"").is_err());
    }

    #[test]
    fn digests_and_proofs_have_one_spelling() {
        let d = Digest::from_bytes([0xab; 32]);
        assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        assert!(d.to_string().to_uppercase().parse::<Digest>().is_err());
        assert!(d.to_string()[2..].parse::<Digest>().is_err());
        assert!(ProofBytes::new(vec![0; 31]).is_err());
        assert!(ProofBytes::new(vec![0; MAX_PROOF_BYTES + 32]).is_err());
        assert!(serde_json::from_str::<ProofBytes>("\"0A\"").is_err());
    }

    #[test]
    fn carried_keys_have_one_spelling_and_a_size_limit() {
        let k = KeyBytes::new(vec![0xab; 64]).unwrap();
        let text = serde_json::to_string(&k).unwrap();
        assert_eq!(serde_json::from_str::<KeyBytes>(&text).unwrap(), k);
        assert!(serde_json::from_str::<KeyBytes>(&text.to_uppercase()).is_err());
        assert!(KeyBytes::new(vec![]).is_err());
        assert!(KeyBytes::new(vec![0; 33]).is_err());
        assert!(KeyBytes::new(vec![0; MAX_VK_BYTES + 32]).is_err());
        let long = format!("\"{}\"", "00".repeat(MAX_VK_BYTES + 32));
        assert!(serde_json::from_str::<KeyBytes>(&long).is_err());
        assert_eq!(
            k.digest(),
            Digest::from_bytes(*crate::blake3::hash(&[0xab; 64]).as_bytes())
        );
    }

    #[test]
    fn public_inputs_refuse_duplicates_unknown_and_missing_names() {
        let values: Vec<Field> = (0..11u64).map(Field::from).collect();
        let inputs = PublicInputs::from_fields(&values, true).unwrap();
        let json = serde_json::to_string(&inputs).unwrap();
        let back: PublicInputs = serde_json::from_str(&json).unwrap();
        assert_eq!(back, inputs);
        assert_eq!(back.to_fields(), values);
        let dup = json.replacen("\"policy_hash\"", "\"registry_root\"", 1);
        assert!(serde_json::from_str::<PublicInputs>(&dup).is_err());
        let unknown = json.replacen("\"policy_hash\"", "\"policy_hsah\"", 1);
        assert!(serde_json::from_str::<PublicInputs>(&unknown)
            .unwrap_err()
            .to_string()
            .contains("unknown public input `policy_hsah`"));
        let both = json.replacen('}', &format!(",\"decision\":\"{}\"}}", Field::one()), 1);
        assert!(serde_json::from_str::<PublicInputs>(&both).is_err());
    }
}
