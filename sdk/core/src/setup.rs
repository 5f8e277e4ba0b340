//! Which setup made a proof: Ignition, or a development setup named by the fingerprint of its
//! `[tau]_2`.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::deserialize_by_reader;
use crate::json::{self, Error as JsonError, FromJson, Node, Value};

/// Bytes in a G2 point as `bn254_g2.dat` holds it.
pub const G2_POINT_BYTES: usize = govproof_verify::G2_POINT_BYTES;

/// Which kind of setup made a proof: the one thing a reader of a proof must check first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetupKind {
    /// Aztec Ignition: proofs are sound as long as one ceremony participant was honest.
    Ignition,
    /// A publicly known tau: proofs prove nothing.
    Development,
}

impl fmt::Display for SetupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetupKind::Ignition => "ignition",
            SetupKind::Development => "development",
        })
    }
}

/// SHA-256 of a setup's 128-byte `[tau]_2`: the value bb pins to decide which setup it verifies
/// against, so it names a setup exactly.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SetupFingerprint([u8; 32]);

impl SetupFingerprint {
    /// The fingerprint of a 128-byte G2 point.
    pub fn of_g2(g2: &[u8; G2_POINT_BYTES]) -> SetupFingerprint {
        SetupFingerprint(Sha256::digest(g2).into())
    }

    /// The fingerprint with these 32 digest bytes (as a bundle or cache names it).
    pub fn from_bytes(bytes: [u8; 32]) -> SetupFingerprint {
        SetupFingerprint(bytes)
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SetupFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SetupFingerprint({})", hex::encode(self.0))
    }
}

impl fmt::Display for SetupFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl Serialize for SetupFingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl SetupFingerprint {
    /// Reads 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text).map_err(|e| e.to_string())?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("setup fingerprint `{text}` is not 32 bytes of hex"))?;
        Ok(SetupFingerprint(arr))
    }
}

impl<'de> Deserialize<'de> for SetupFingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SetupFingerprint::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

impl FromJson for SetupFingerprint {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        node.parse_str("a setup fingerprint", SetupFingerprint::from_hex)
    }
}

/// Exactly which setup made a proof or a verification key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetupId {
    /// Aztec Ignition.
    Ignition,
    /// A development setup, named by the fingerprint of its `[tau]_2`.
    Development(SetupFingerprint),
}

/// `"ignition"` or `{"development": "<fingerprint>"}`.
impl FromJson for SetupId {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        const VARIANTS: &[&str] = &["ignition", "development"];
        match &node.value {
            Value::String(_) => match node.variant("a setup", VARIANTS)? {
                "ignition" => Ok(SetupId::Ignition),
                _ => Err(node.error("invalid type: unit variant, expected newtype variant")),
            },
            Value::Object(members) if members.len() == 1 => {
                let m = &members[0];
                match m.key.as_str() {
                    "development" => {
                        Ok(SetupId::Development(SetupFingerprint::from_json(&m.value)?))
                    }
                    "ignition" => Err(node.error("invalid type: map, expected unit variant")),
                    other => Err(node.error(json::unknown_variant(other, VARIANTS))),
                }
            }
            _ => Err(node.invalid_type("a setup: `\"ignition\"` or `{\"development\": ...}`")),
        }
    }
}
deserialize_by_reader!(SetupId);

impl SetupId {
    /// The kind of setup.
    pub fn kind(&self) -> SetupKind {
        match self {
            SetupId::Ignition => SetupKind::Ignition,
            SetupId::Development(_) => SetupKind::Development,
        }
    }

    /// A short name usable as a folder name in caches (`ignition`, `development-<16 hex>`).
    pub fn slug(&self) -> String {
        match self {
            SetupId::Ignition => "ignition".to_string(),
            SetupId::Development(fp) => format!("development-{}", &fp.to_string()[..16]),
        }
    }
}

impl fmt::Display for SetupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupId::Ignition => f.write_str("ignition"),
            SetupId::Development(fp) => write!(f, "development ({fp})"),
        }
    }
}

/// The development setup's `[tau]_2` in the 128-byte file encoding: `tau` times the generator of
/// G2, where tau is public (the SDK derives it from a published seed, and its test
/// `development_g2_is_tau_times_the_generator` recomputes this value from it). Written out so
/// that no process pays the scalar multiplication (about 0.8 ms per run).
pub const DEVELOPMENT_G2: [u8; G2_POINT_BYTES] = [
    0x14, 0xc0, 0xc9, 0xf6, 0x84, 0x4c, 0xe5, 0x90, 0xff, 0xa6, 0xd2, 0x67, 0x15, 0x42, 0x4f, 0xaf,
    0x4d, 0x84, 0x76, 0xd5, 0xbb, 0xb6, 0xb2, 0x85, 0x54, 0xc3, 0xcd, 0x42, 0x2f, 0x23, 0x04, 0xe0,
    0x17, 0x7d, 0xcd, 0x76, 0x3b, 0xd0, 0xef, 0x3f, 0x82, 0x1b, 0x1e, 0x75, 0xc3, 0x01, 0x91, 0x15,
    0x94, 0xb9, 0x27, 0xb5, 0x1d, 0xa4, 0x5d, 0x09, 0x85, 0xac, 0xb3, 0x90, 0x33, 0x37, 0x47, 0x8a,
    0x12, 0x71, 0xe5, 0x4e, 0x61, 0xb1, 0x0c, 0xa9, 0x11, 0x3f, 0x41, 0x66, 0x3c, 0x7e, 0xbd, 0x1f,
    0x45, 0xde, 0xc1, 0x8a, 0x30, 0x34, 0x31, 0xfa, 0x9f, 0xbc, 0x77, 0xff, 0x5f, 0x99, 0xf8, 0x71,
    0x23, 0x36, 0x07, 0xab, 0x66, 0x0b, 0x18, 0x88, 0xdd, 0xb2, 0x6d, 0xe7, 0xa8, 0x89, 0x2b, 0x38,
    0xe7, 0xc7, 0x93, 0x21, 0x53, 0x88, 0xa2, 0x58, 0xfe, 0xe4, 0xb9, 0x30, 0xf8, 0x2d, 0x1d, 0x74,
];

/// The fingerprint of the development setup ([`DEVELOPMENT_G2`]).
pub fn development_fingerprint() -> SetupFingerprint {
    SetupFingerprint::of_g2(&DEVELOPMENT_G2)
}

/// Which setups a verifier accepts. The only public constructor accepts Ignition alone; accepting
/// development proofs takes [`dangerous::accept_development_proofs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptancePolicy {
    development: Option<SetupFingerprint>,
}

impl AcceptancePolicy {
    /// Accept Ignition proofs only: the policy for anything that matters.
    pub fn ignition_only() -> AcceptancePolicy {
        AcceptancePolicy { development: None }
    }

    /// Whether proofs from `setup` are accepted.
    pub fn accepts(&self, setup: SetupId) -> bool {
        match setup {
            SetupId::Ignition => true,
            SetupId::Development(fp) => self.development == Some(fp),
        }
    }
}

/// The door to the development setup: a policy that accepts proofs that prove nothing. For
/// offline tests and demos only, never for a decision anyone relies on.
pub mod dangerous {
    use super::{development_fingerprint, AcceptancePolicy};

    /// A policy that accepts Ignition proofs and proofs from the development setup
    /// ([`super::DEVELOPMENT_G2`]).
    pub fn accept_development_proofs() -> AcceptancePolicy {
        AcceptancePolicy {
            development: Some(development_fingerprint()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignition_only_refuses_development() {
        let dev = SetupId::Development(development_fingerprint());
        assert!(AcceptancePolicy::ignition_only().accepts(SetupId::Ignition));
        assert!(!AcceptancePolicy::ignition_only().accepts(dev));
        assert!(dangerous::accept_development_proofs().accepts(dev));
        let other = SetupId::Development(SetupFingerprint::from_bytes([7; 32]));
        assert!(!dangerous::accept_development_proofs().accepts(other));
    }
}
