//! What every signed registry document shares: a version number, and the `signed` / `signatures`
//! envelope (as in The Update Framework): `{"signatures": [...], "signed": {...}}`.
//!
//! The envelope is untrusted data: anyone can put anything in `signatures`. Only
//! [`super::threshold::Authority::require`] decides whether a document is signed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::canonical;
use super::keys::{KeyId, SecretKey, Signature};
use crate::deserialize_by_reader;
use crate::json::{Error as JsonError, FromJson, Node};

/// A document version: 1, 2, 3, ... Snapshots and roots each count from 1 and only go up.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Version(u64);

/// Why a number is not a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Versions start at 1.
    #[error("versions start at 1, got 0")]
    Zero,
    /// No version follows the largest one.
    #[error("version {0} has no successor")]
    Exhausted(u64),
}

impl Version {
    /// The first version.
    pub const FIRST: Version = Version(1);

    /// A version number; refuses 0.
    pub fn new(v: u64) -> Result<Self, VersionError> {
        if v == 0 {
            Err(VersionError::Zero)
        } else {
            Ok(Version(v))
        }
    }

    /// The number.
    pub fn get(&self) -> u64 {
        self.0
    }

    /// The version after this one.
    pub fn next(&self) -> Result<Self, VersionError> {
        self.0
            .checked_add(1)
            .map(Version)
            .ok_or(VersionError::Exhausted(self.0))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({})", self.0)
    }
}

impl FromJson for Version {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        Version::new(node.whole()?).map_err(|e| node.error(e.to_string()))
    }
}
deserialize_by_reader!(Version, KeySignature);

/// A document kind that key holders sign.
pub trait SignedContent: Serialize + Sized {
    /// The domain tag in front of the canonical encoding (see [`super::canonical`]).
    const DOMAIN: &'static [u8];

    /// The exact bytes a signature covers: the domain tag, then the canonical JSON.
    fn signing_bytes(&self) -> Vec<u8> {
        canonical::tagged(Self::DOMAIN, self)
    }
}

/// One key holder's signature, with the id of the key it claims to be from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeySignature {
    /// The signing key's id (a claim, checked against the trusted keys).
    pub key_id: KeyId,
    /// The signature over [`SignedContent::signing_bytes`].
    pub signature: Signature,
}

/// A document and the signatures collected on it so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signed<T> {
    /// The signatures, in the order they were added.
    pub signatures: Vec<KeySignature>,
    /// The signed content.
    pub signed: T,
}

impl FromJson for KeySignature {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a signature object with `key_id` and `signature`",
            &["key_id", "signature"],
        )?;
        Ok(KeySignature {
            key_id: o.required("key_id")?,
            signature: o.required("signature")?,
        })
    }
}

impl<T: FromJson> FromJson for Signed<T> {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a signed document with `signatures` and `signed`",
            &["signatures", "signed"],
        )?;
        Ok(Signed {
            signatures: o.required("signatures")?,
            signed: o.required("signed")?,
        })
    }
}

impl<'de, T: FromJson> Deserialize<'de> for Signed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let node = Node::deserialize(d)?;
        Signed::from_json(&node).map_err(|e| serde::de::Error::custom(e.message()))
    }
}

impl<T: SignedContent> Signed<T> {
    /// The document with no signatures yet.
    pub fn unsigned(content: T) -> Self {
        Signed {
            signatures: Vec::new(),
            signed: content,
        }
    }

    /// Signs the document with `key`, replacing any earlier signature claiming the same key id.
    pub fn sign_with(&mut self, key: &SecretKey) {
        let key_id = key.key_id();
        let signature = key.sign(&self.signed.signing_bytes());
        self.signatures.retain(|s| s.key_id != key_id);
        self.signatures.push(KeySignature { key_id, signature });
    }
}

impl<T: SignedContent> Signed<T> {
    /// Adds a signature, replacing any earlier one claiming the same key id.
    pub fn add_signature(&mut self, signature: KeySignature) {
        self.signatures.retain(|s| s.key_id != signature.key_id);
        self.signatures.push(signature);
    }
}

/// A registry file that could not be used: missing, unreadable, too large, or not the document it
/// should be. The path is relative to the registry folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` {problem}")]
pub struct DocumentError {
    /// The file, relative to the registry folder (or as given, for files outside it).
    pub path: String,
    /// What is wrong with it.
    pub problem: DocumentProblem,
}

/// What is wrong with a registry file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentProblem {
    /// The file does not exist.
    #[error("is missing")]
    Missing,
    /// The file could not be read.
    #[error("could not be read: {0}")]
    Unreadable(String),
    /// The file is larger than any valid document of its kind.
    #[error("is larger than {0} bytes, the limit for its kind")]
    TooLarge(u64),
    /// The file does not parse as the document it should be (truncated, wrong JSON types, unknown
    /// fields, values that break a rule).
    #[error("is not a valid {what}: {detail}")]
    Malformed {
        /// The kind of document expected.
        what: &'static str,
        /// The parser's message (with line and column).
        detail: String,
    },
    /// The file parses but is not the document its name says.
    #[error("{0}")]
    Misplaced(String),
}
