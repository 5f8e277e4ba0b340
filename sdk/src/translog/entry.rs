//! The log entry of one decision and its canonical bytes.

use serde::{Deserialize, Serialize};

use super::tree::{leaf_hash, Hash};
use super::LogError;
use crate::bundle::Bundle;
use crate::registry::Timestamp;

/// The log entry for one decision; its canonical bytes are what the leaf hashes.
///
/// As JSON (the form of the service's responses and of `--entries` dumps):
/// `{"decision_id":"APP-1","bundle_digest":"<64 lowercase hex>","decided_at":"2026-01-31T12:00:00Z","logged_at":"2026-01-31T12:00:01Z"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a log entry object")]
pub struct LogEntry {
    /// The bundle's decision id (`decision.id`).
    pub decision_id: String,
    /// blake3 of the bundle's bytes, exactly as the service returned and stored them.
    #[serde(with = "hex_hash")]
    pub bundle_digest: Hash,
    /// The bundle's decision time (`decision.time`).
    pub decided_at: Timestamp,
    /// When the service appended the entry.
    pub logged_at: Timestamp,
}

impl LogEntry {
    /// The entry of a bundle, read strictly (`Bundle::from_json`), logged at `logged_at`.
    pub fn for_bundle(bundle_bytes: &[u8], logged_at: Timestamp) -> Result<LogEntry, LogError> {
        let bundle = Bundle::from_json(bundle_bytes).map_err(LogError::Bundle)?;
        Ok(LogEntry {
            decision_id: bundle.decision.id.as_str().to_string(),
            bundle_digest: *blake3::hash(bundle_bytes).as_bytes(),
            decided_at: bundle.decision.time,
            logged_at,
        })
    }

    /// The bytes the leaf hashes: the entry as compact JSON, fields in the order above, strings
    /// escaped as `serde_json` escapes them (one encoding for one entry).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // A struct of strings and timestamps always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// `SHA-256(0x00 || canonical_bytes)`.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.canonical_bytes())
    }

    /// Reads one entry from JSON, refusing unknown fields and non-canonical times and digests.
    pub fn from_json(text: &[u8]) -> Result<LogEntry, LogError> {
        serde_json::from_slice(text).map_err(|e| LogError::Entry(e.to_string()))
    }
}

/// Hashes as 64 lowercase hex digits in JSON.
pub mod hex_hash {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Hash;

    /// Writes lowercase hex.
    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(hash))
    }

    /// Reads exactly 64 lowercase hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    /// Reads exactly 64 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Hash, String> {
        let mut out = [0u8; 32];
        if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "`{}` is not a hash (64 lowercase hex digits)",
                text.chars().take(80).collect::<String>()
            ));
        }
        hex::decode_to_slice(text, &mut out).map_err(|_| {
            format!(
                "`{}` is not a hash (64 lowercase hex digits)",
                text.chars().take(80).collect::<String>()
            )
        })?;
        Ok(out)
    }
}

/// Lists of hashes (proofs) as arrays of 64 lowercase hex digits in JSON.
pub mod hex_hashes {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Hash;

    /// Writes an array of lowercase hex strings.
    pub fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        hashes
            .iter()
            .map(hex::encode)
            .collect::<Vec<_>>()
            .serialize(s)
    }

    /// Reads an array of at most 64 hashes (a proof over any tree of up to 2^64 leaves).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        if texts.len() > 128 {
            return Err(serde::de::Error::custom(format!(
                "a proof of {} hashes is longer than any tree needs",
                texts.len()
            )));
        }
        texts
            .iter()
            .map(|t| super::hex_hash::parse(t).map_err(serde::de::Error::custom))
            .collect()
    }
}
