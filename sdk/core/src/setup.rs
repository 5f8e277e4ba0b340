//! Which setup made a proof: Ignition, or a development setup named by the fingerprint of its
//! `[tau]_2`.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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

impl<'de> Deserialize<'de> for SetupFingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            serde::de::Error::custom(format!("setup fingerprint `{text}` is not 32 bytes of hex"))
        })?;
        Ok(SetupFingerprint(arr))
    }
}

/// Exactly which setup made a proof or a verification key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetupId {
    /// Aztec Ignition.
    Ignition,
    /// A development setup, named by the fingerprint of its `[tau]_2`.
    Development(SetupFingerprint),
}

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
