//! Pinned verification keys: the keys the bundled verifier uses, never the bundle's word.
//!
//! `verification_keys.json` (next to this file, embedded at build time) lists, for each circuit a
//! bundle may name, the blake3 digest of its bytecode and its verification keys per (setup,
//! target), as bb computed them from the embedded artifact. The verifier looks a bundle's circuit
//! up here; a circuit that is not listed is unknown, and a bundle whose `vk_hash` differs from the
//! pinned key's hash is refused.
//!
//! The file is generated, never edited: `GOVPROOF_REGENERATE=1 cargo test --test integration verify_keys::`
//! recomputes every key it can (development keys always; Ignition keys when
//! `GOVPROOF_IGNITION_CRS` names a folder with enough Ignition points) and rewrites it, and the
//! same test without the variable fails when any pinned key differs from a fresh computation or
//! any artifact digest from the embedded circuit's.

use std::sync::OnceLock;

use serde::Serialize;

use crate::circuits::Profile;
use crate::deserialize_by_reader;
use crate::json::{self, Error as JsonError, FromJson, Node};
use crate::proof::{ProofTarget, VerificationKey};
use crate::registry::entry::Digest;
use crate::setup::SetupId;

/// The checked-in pin file.
pub const PINNED_KEYS_JSON: &str = include_str!("verification_keys.json");

/// The pin file as embedded: `build.rs` moves the keys out into [`PINNED_KEY_BYTES`] and leaves
/// each `vk` empty (or, for a file it cannot split, leaves the file whole).
const PINNED_KEYS_SPLIT_JSON: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pins.json"));

/// The pinned keys' bytes, in file order, each after its length (4 bytes, little-endian); empty
/// when the file was embedded whole.
const PINNED_KEY_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pins.bin"));

/// One pinned key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinnedKey {
    /// The setup whose points the key commits with.
    pub setup: SetupId,
    /// The target it verifies.
    pub target: ProofTarget,
    /// blake3 of the key.
    pub vk_hash: Digest,
    /// The key as bb writes it, hex.
    pub vk: String,
}

impl PinnedKey {
    /// A pin for `vk`.
    pub fn of(vk: &VerificationKey) -> PinnedKey {
        PinnedKey {
            setup: vk.setup(),
            target: vk.target(),
            vk_hash: Digest::from_bytes(vk.hash()),
            vk: hex::encode(vk.as_bytes()),
        }
    }

    /// The key, checked against its recorded hash and size.
    pub fn key(&self) -> Result<VerificationKey, PinError> {
        let bytes =
            hex::decode(&self.vk).map_err(|_| PinError::Corrupt("key is not hex".into()))?;
        if crate::blake3::hash(&bytes).as_bytes() != self.vk_hash.as_bytes() {
            return Err(PinError::Corrupt(format!(
                "the pinned key {} does not hash to its recorded hash",
                self.vk_hash
            )));
        }
        VerificationKey::from_parts(bytes, self.setup, self.target)
            .map_err(|e| PinError::Corrupt(e.to_string()))
    }
}

/// One circuit's pins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinnedCircuit {
    /// The circuit's name (for the reference composites, the profile name).
    pub id: String,
    /// Its profile.
    pub profile: String,
    /// blake3 of its un-gzipped bytecode.
    pub artifact_digest: Digest,
    /// Its keys.
    pub keys: Vec<PinnedKey>,
}

impl PinnedCircuit {
    /// The pinned key for `setup` and `target`, if any.
    pub fn key(&self, setup: SetupId, target: ProofTarget) -> Option<&PinnedKey> {
        self.keys
            .iter()
            .find(|k| k.setup == setup && k.target == target)
    }

    /// The profile, parsed.
    pub fn parsed_profile(&self) -> Result<Profile, PinError> {
        Profile::from_name(&self.profile).map_err(|e| PinError::Corrupt(e.to_string()))
    }
}

/// The pin file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinFile {
    /// How to regenerate it.
    pub generated_by: String,
    /// The bb version that computed the keys.
    pub bb_version: String,
    /// The circuits.
    pub circuits: Vec<PinnedCircuit>,
}

impl FromJson for PinnedKey {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object("a pinned key", &["setup", "target", "vk_hash", "vk"])?;
        Ok(PinnedKey {
            setup: o.required("setup")?,
            target: o.required("target")?,
            vk_hash: o.required("vk_hash")?,
            vk: o.required("vk")?,
        })
    }
}

impl FromJson for PinnedCircuit {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a pinned circuit",
            &["id", "profile", "artifact_digest", "keys"],
        )?;
        Ok(PinnedCircuit {
            id: o.required("id")?,
            profile: o.required("profile")?,
            artifact_digest: o.required("artifact_digest")?,
            keys: o.required("keys")?,
        })
    }
}

impl FromJson for PinFile {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object("a pin file", &["generated_by", "bb_version", "circuits"])?;
        Ok(PinFile {
            generated_by: o.required("generated_by")?,
            bb_version: o.required("bb_version")?,
            circuits: o.required("circuits")?,
        })
    }
}
deserialize_by_reader!(PinnedKey, PinnedCircuit, PinFile);

/// The command that regenerates the pin file.
pub const REGENERATE: &str = "GOVPROOF_REGENERATE=1 cargo test --test integration verify_keys::";

impl PinFile {
    /// The circuit called `id`.
    pub fn circuit(&self, id: &str) -> Option<&PinnedCircuit> {
        self.circuits.iter().find(|c| c.id == id)
    }

    /// The ids of the pinned circuits.
    pub fn ids(&self) -> Vec<&str> {
        self.circuits.iter().map(|c| c.id.as_str()).collect()
    }

    /// The file's text (pretty JSON, newline-terminated).
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("a pin file always serializes: {e}"));
        text.push('\n');
        text
    }
}

/// A pin file that cannot be used (a build problem, not a bundle problem).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// The embedded pin file is damaged.
    #[error("the pinned verification keys are damaged ({0}); regenerate them with `{REGENERATE}`")]
    Corrupt(String),
}

/// The pins embedded in this build.
pub fn pinned() -> Result<&'static PinFile, PinError> {
    static PINS: OnceLock<Result<PinFile, PinError>> = OnceLock::new();
    PINS.get_or_init(|| read_embedded(PINNED_KEYS_SPLIT_JSON, PINNED_KEY_BYTES))
        .as_ref()
        .map_err(Clone::clone)
}

/// The pin file from its embedded parts: the document, then each key's bytes put back as hex.
fn read_embedded(json: &[u8], mut keys: &[u8]) -> Result<PinFile, PinError> {
    let mut file: PinFile = json::from_slice(json).map_err(|e| PinError::Corrupt(e.to_string()))?;
    if keys.is_empty() {
        return Ok(file);
    }
    let short = || PinError::Corrupt("the embedded keys are shorter than the pin file".into());
    for key in file.circuits.iter_mut().flat_map(|c| c.keys.iter_mut()) {
        let (len, rest) = keys.split_first_chunk::<4>().ok_or_else(short)?;
        let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| short())?;
        if rest.len() < len || !key.vk.is_empty() {
            return Err(short());
        }
        key.vk = hex::encode(&rest[..len]);
        keys = &rest[len..];
    }
    if !keys.is_empty() {
        return Err(PinError::Corrupt(
            "the embedded keys are longer than the pin file".into(),
        ));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_embedding_reads_back_to_the_pin_file() {
        let whole: PinFile = serde_json::from_str(PINNED_KEYS_JSON).unwrap();
        assert_eq!(pinned().unwrap(), &whole);
        // The keys did move out of the embedded document.
        assert!(!PINNED_KEY_BYTES.is_empty());
        assert!(PINNED_KEYS_SPLIT_JSON.len() * 4 < PINNED_KEYS_JSON.len());
        // A file embedded whole (one build.rs could not split) reads as it is.
        assert_eq!(
            read_embedded(PINNED_KEYS_JSON.as_bytes(), &[]).unwrap(),
            whole
        );
        // Key bytes that do not fit the document are an error, never a wrong key.
        let n = PINNED_KEY_BYTES.len();
        for keys in [&PINNED_KEY_BYTES[..n - 1], &PINNED_KEY_BYTES[..3]] {
            assert!(read_embedded(PINNED_KEYS_SPLIT_JSON, keys).is_err());
        }
        let mut longer = PINNED_KEY_BYTES.to_vec();
        longer.push(0);
        assert!(read_embedded(PINNED_KEYS_SPLIT_JSON, &longer).is_err());
        assert!(read_embedded(PINNED_KEYS_JSON.as_bytes(), PINNED_KEY_BYTES).is_err());
    }

    #[test]
    fn embedded_pins_parse_and_every_key_matches_its_hash() {
        let pins = pinned().unwrap();
        assert!(!pins.circuits.is_empty());
        for c in &pins.circuits {
            c.parsed_profile().unwrap();
            for k in &c.keys {
                k.key().unwrap();
            }
        }
    }
}
