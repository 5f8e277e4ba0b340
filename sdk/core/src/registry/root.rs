//! The root of trust: which governance keys exist and how many of them must sign.
//!
//! A root document lists the committee's ed25519 keys (sorted by key id) and a threshold `k` of
//! `n`. Root 1 is signed by `k` of its own keys. Rotating keys makes root `v + 1`, which is valid
//! only when signed by the threshold of root `v`'s keys **and** by the threshold of its own, so
//! neither the old committee alone nor the new one alone can rewrite the root of trust. Roots also
//! expire: a client refuses a root whose expiry has passed (it can still walk *through* an expired
//! root to a newer one).

use serde::Serialize;

use super::canonical::ROOT_DOMAIN;
use super::document::{SignedContent, Version};
use super::keys::{KeyId, PublicKey};
use super::names::Note;
use super::threshold::{Authority, Threshold, ThresholdRangeError};
use super::time::Timestamp;
use crate::deserialize_by_reader;
use crate::json::{Error as JsonError, FromJson, Node};

/// The most keys a root may list.
pub const MAX_KEYS: usize = 64;

/// Why a root document is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RootError {
    /// No keys.
    #[error("a root must list at least one key")]
    NoKeys,
    /// Too many keys.
    #[error("a root lists at most {MAX_KEYS} keys, got {0}")]
    TooManyKeys(usize),
    /// A key listed twice.
    #[error("key `{0}` is listed twice")]
    DuplicateKey(KeyId),
    /// A key id that is not the id of its key.
    #[error("key id `{claimed}` does not match its public key, whose id is `{actual}`")]
    KeyIdMismatch {
        /// The id written in the document.
        claimed: KeyId,
        /// The key's real id.
        actual: KeyId,
    },
    /// A threshold outside `1..=n`.
    #[error(transparent)]
    Threshold(#[from] ThresholdRangeError),
    /// Expires before it was created.
    #[error("the root expires at {expires}, not after its creation at {created}")]
    Lifetime {
        /// Creation time.
        created: Timestamp,
        /// Expiry.
        expires: Timestamp,
    },
}

/// One governance key in a root document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootKey {
    /// Who holds the key, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<Note>,
    /// The key's id (must be the id of `public_key`).
    pub key_id: KeyId,
    /// The ed25519 public key.
    pub public_key: PublicKey,
}

impl RootKey {
    /// A root key entry for `public_key`, with its id filled in.
    pub fn new(public_key: PublicKey, holder: Option<Note>) -> Self {
        RootKey {
            holder,
            key_id: public_key.id(),
            public_key,
        }
    }
}

#[derive(Serialize)]
struct RootFields {
    version: Version,
    created: Timestamp,
    expires: Timestamp,
    threshold: u32,
    keys: Vec<RootKey>,
}

/// A valid root document: keys with matching ids, no duplicates, `1 <= k <= n`, a lifetime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "RootFields")]
pub struct Root {
    version: Version,
    created: Timestamp,
    expires: Timestamp,
    threshold: Threshold,
    keys: Vec<RootKey>,
}

impl Root {
    /// Checks and builds a root document; the keys are sorted by key id.
    pub fn new(
        version: Version,
        mut keys: Vec<RootKey>,
        threshold: u32,
        created: Timestamp,
        expires: Timestamp,
    ) -> Result<Self, RootError> {
        if keys.is_empty() {
            return Err(RootError::NoKeys);
        }
        if keys.len() > MAX_KEYS {
            return Err(RootError::TooManyKeys(keys.len()));
        }
        for k in &keys {
            let actual = k.public_key.id();
            if actual != k.key_id {
                return Err(RootError::KeyIdMismatch {
                    claimed: k.key_id,
                    actual,
                });
            }
        }
        crate::sort::sort_by_key(&mut keys, |k| k.key_id);
        if let Some(w) = keys.windows(2).find(|w| w[0].key_id == w[1].key_id) {
            return Err(RootError::DuplicateKey(w[0].key_id));
        }
        let threshold = Threshold::new(threshold, keys.len())?;
        if expires <= created {
            return Err(RootError::Lifetime { created, expires });
        }
        Ok(Root {
            version,
            created,
            expires,
            threshold,
            keys,
        })
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// When it was made.
    pub fn created(&self) -> Timestamp {
        self.created
    }

    /// When it stops being trusted.
    pub fn expires(&self) -> Timestamp {
        self.expires
    }

    /// How many keys must sign.
    pub fn threshold(&self) -> Threshold {
        self.threshold
    }

    /// The keys, sorted by key id.
    pub fn keys(&self) -> &[RootKey] {
        &self.keys
    }

    /// The key with this id, if listed.
    pub fn key(&self, id: &KeyId) -> Option<&RootKey> {
        self.keys.iter().find(|k| &k.key_id == id)
    }

    /// These keys and threshold, for [`Authority::require`].
    pub fn authority(&self) -> Authority {
        Authority::new(
            self.version,
            self.keys.iter().map(|k| k.public_key),
            self.threshold,
        )
    }
}

impl FromJson for RootKey {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object("a root key object", &["holder", "key_id", "public_key"])?;
        Ok(RootKey {
            holder: o.optional("holder")?,
            key_id: o.required("key_id")?,
            public_key: o.required("public_key")?,
        })
    }
}

impl FromJson for Root {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a root document",
            &["version", "created", "expires", "threshold", "keys"],
        )?;
        Root::new(
            o.required("version")?,
            o.required("keys")?,
            o.required("threshold")?,
            o.required("created")?,
            o.required("expires")?,
        )
        .map_err(|e| node.error(e.to_string()))
    }
}
deserialize_by_reader!(RootKey, Root);

impl From<Root> for RootFields {
    fn from(r: Root) -> Self {
        RootFields {
            version: r.version,
            created: r.created,
            expires: r.expires,
            threshold: r.threshold.get(),
            keys: r.keys,
        }
    }
}

impl SignedContent for Root {
    const DOMAIN: &'static [u8] = ROOT_DOMAIN;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::keys::SecretKey;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn keys(n: u8) -> Vec<RootKey> {
        (1..=n)
            .map(|i| RootKey::new(SecretKey::from_seed(&[i; 32]).public_key(), None))
            .collect()
    }

    #[test]
    fn roots_check_their_invariants() {
        let (c, e) = (t("2025-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z"));
        let r = Root::new(Version::FIRST, keys(3), 2, c, e).unwrap();
        assert!(r.keys().windows(2).all(|w| w[0].key_id < w[1].key_id));
        assert_eq!(
            Root::new(Version::FIRST, vec![], 1, c, e),
            Err(RootError::NoKeys)
        );
        let mut dup = keys(2);
        dup.push(dup[0].clone());
        assert!(matches!(
            Root::new(Version::FIRST, dup, 1, c, e),
            Err(RootError::DuplicateKey(_))
        ));
        assert!(matches!(
            Root::new(Version::FIRST, keys(2), 3, c, e),
            Err(RootError::Threshold(_))
        ));
        assert!(matches!(
            Root::new(Version::FIRST, keys(2), 1, e, c),
            Err(RootError::Lifetime { .. })
        ));
        let mut wrong = keys(2);
        wrong[0].key_id = wrong[1].key_id;
        assert!(matches!(
            Root::new(Version::FIRST, wrong, 1, c, e),
            Err(RootError::KeyIdMismatch { .. })
        ));
    }

    #[test]
    fn serde_goes_through_the_checks() {
        let (c, e) = (t("2025-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z"));
        let r = Root::new(Version::FIRST, keys(2), 2, c, e).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(serde_json::from_value::<Root>(json.clone()).unwrap(), r);
        let mut bad = json;
        bad["threshold"] = 5.into();
        let err = serde_json::from_value::<Root>(bad).unwrap_err().to_string();
        assert!(
            err.contains("threshold must be between 1 and the number of keys"),
            "{err}"
        );
    }
}
