//! The threshold check: the one place that decides whether k distinct trusted keys signed.
//!
//! Everything that needs "signed by the governance keys" calls [`Authority::require`] (or reads the
//! same [`Authority::tally`] to report progress): snapshot verification, root rotation (once with
//! the old root's keys, once with the new root's), bootstrapping trust in a root, and deciding when a
//! staged document may be published. Rules, applied signature by signature in document order:
//!
//! 1. a signature whose key id is not one of the authority's keys is **ignored** (unknown keys, and
//!    keys removed by a rotation, which are no longer in the root);
//! 2. a signature claiming a key id that is already counted is **ignored** as a repeat, so one key
//!    is never counted twice;
//! 3. otherwise it is checked with ed25519 `verify_strict` against the trusted public key for the
//!    id over the document's domain-separated canonical bytes; if it fails it is **ignored**, and a
//!    later signature claiming the same id is still looked at (an invalid signature placed first
//!    cannot hide a valid one: anyone can put anything in the envelope);
//! 4. the document is signed when the number of counted keys reaches the threshold.
//!
//! Verifications are bounded by the number of signatures in the envelope, which the size limit of
//! the file that holds it bounds.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::document::{KeySignature, Version};
use super::keys::{KeyId, PublicKey};

/// A threshold `k`: at least 1, and at most the number of keys it applies to (checked by the root
/// document that holds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Threshold(u32);

impl Threshold {
    /// A threshold of `k` signatures out of `n` keys; refuses `k = 0` and `k > n`.
    pub fn new(k: u32, n: usize) -> Result<Self, ThresholdRangeError> {
        if k == 0 || k as usize > n {
            return Err(ThresholdRangeError { k, n });
        }
        Ok(Threshold(k))
    }

    /// `k`.
    pub fn get(&self) -> u32 {
        self.0
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A threshold outside `1..=n`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a threshold must be between 1 and the number of keys ({n}), got {k}")]
pub struct ThresholdRangeError {
    /// The threshold asked for.
    pub k: u32,
    /// The number of keys.
    pub n: usize,
}

/// What is being checked, for messages: `snapshot 3`, `root 2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A snapshot of this version.
    Snapshot(Version),
    /// A root document of this version.
    Root(Version),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Snapshot(v) => write!(f, "snapshot {v}"),
            Subject::Root(v) => write!(f, "root {v}"),
        }
    }
}

/// Why a signature was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// The key is not one of the authority's keys (unknown, or removed by a rotation).
    NotTrusted,
    /// A valid signature by this key was already counted.
    Repeated,
    /// The signature does not verify under the key.
    Invalid,
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ignored::NotTrusted => "not a trusted key",
            Ignored::Repeated => "the same key again, counted once",
            Ignored::Invalid => "signature does not verify",
        })
    }
}

/// The keys of one root document and how many of them must sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    root_version: Version,
    keys: BTreeMap<KeyId, PublicKey>,
    threshold: Threshold,
}

/// The outcome of counting signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Keys whose valid signature was counted, in document order.
    pub counted: Vec<KeyId>,
    /// Signatures not counted, and why.
    pub ignored: Vec<(KeyId, Ignored)>,
    /// The threshold that applies.
    pub threshold: Threshold,
    /// The root whose keys were counted.
    pub root_version: Version,
}

impl Tally {
    /// Whether at least `threshold` distinct trusted keys signed.
    pub fn is_met(&self) -> bool {
        self.counted.len() >= self.threshold.get() as usize
    }
}

/// A document without enough valid signatures from distinct trusted keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject} has {} valid signature(s) from distinct keys of root {}, {} needed{}", .tally.counted.len(), .tally.root_version, .tally.threshold, ignored_note(&.tally.ignored))]
pub struct ThresholdError {
    /// What was checked.
    pub subject: Subject,
    /// The count (with the root whose keys were asked for).
    pub tally: Tally,
}

fn ignored_note(ignored: &[(KeyId, Ignored)]) -> String {
    if ignored.is_empty() {
        return String::new();
    }
    let items: Vec<String> = ignored
        .iter()
        .map(|(id, why)| format!("`{id}` ({why})"))
        .collect();
    format!(" (ignored: {})", items.join(", "))
}

impl Authority {
    /// The authority of a root document: its version, keys and threshold. The root document
    /// guarantees the threshold is between 1 and the number of keys.
    pub(crate) fn new(
        root_version: Version,
        keys: impl IntoIterator<Item = PublicKey>,
        threshold: Threshold,
    ) -> Self {
        // Inserted one by one rather than collected: `BTreeMap`'s `FromIterator` sorts, which
        // is one more instance of the standard sort in the browser verifier.
        let mut by_id = BTreeMap::new();
        for k in keys {
            by_id.insert(k.id(), k);
        }
        Authority {
            root_version,
            keys: by_id,
            threshold,
        }
    }

    /// The version of the root these keys come from.
    pub fn root_version(&self) -> Version {
        self.root_version
    }

    /// The threshold.
    pub fn threshold(&self) -> Threshold {
        self.threshold
    }

    /// Whether `id` is one of the keys.
    pub fn has_key(&self, id: &KeyId) -> bool {
        self.keys.contains_key(id)
    }

    /// Counts the signatures on `message` by the rules in the module documentation.
    pub fn tally(&self, message: &[u8], signatures: &[KeySignature]) -> Tally {
        let mut counted_keys = BTreeSet::new();
        let mut counted = Vec::new();
        let mut ignored = Vec::new();
        for s in signatures {
            let Some(key) = self.keys.get(&s.key_id) else {
                ignored.push((s.key_id, Ignored::NotTrusted));
                continue;
            };
            if counted_keys.contains(&s.key_id) {
                ignored.push((s.key_id, Ignored::Repeated));
                continue;
            }
            if key.verifies(message, &s.signature) {
                counted_keys.insert(s.key_id);
                counted.push(s.key_id);
            } else {
                ignored.push((s.key_id, Ignored::Invalid));
            }
        }
        Tally {
            counted,
            ignored,
            threshold: self.threshold,
            root_version: self.root_version,
        }
    }

    /// The threshold check: `Ok` with the tally when at least `k` distinct trusted keys signed
    /// `message`, an error naming what was ignored and why otherwise.
    pub fn require(
        &self,
        subject: Subject,
        message: &[u8],
        signatures: &[KeySignature],
    ) -> Result<Tally, ThresholdError> {
        let tally = self.tally(message, signatures);
        if tally.is_met() {
            Ok(tally)
        } else {
            Err(ThresholdError { subject, tally })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::keys::SecretKey;

    fn key(i: u8) -> SecretKey {
        SecretKey::from_seed(&[i; 32])
    }

    fn sig(k: &SecretKey, m: &[u8]) -> KeySignature {
        KeySignature {
            key_id: k.key_id(),
            signature: k.sign(m),
        }
    }

    fn authority(k: u32) -> Authority {
        Authority::new(
            Version::FIRST,
            [key(1), key(2), key(3)].iter().map(|s| s.public_key()),
            Threshold::new(k, 3).unwrap(),
        )
    }

    #[test]
    fn distinct_trusted_valid_signatures_are_counted() {
        let m = b"message";
        let a = authority(2);
        assert!(a
            .require(
                Subject::Snapshot(Version::FIRST),
                m,
                &[sig(&key(1), m), sig(&key(3), m)]
            )
            .is_ok());
    }

    #[test]
    fn the_same_key_twice_counts_once() {
        let m = b"message";
        let a = authority(2);
        let s = sig(&key(1), m);
        let err = a
            .require(Subject::Snapshot(Version::FIRST), m, &[s.clone(), s])
            .unwrap_err();
        assert_eq!(err.tally.counted.len(), 1);
        assert_eq!(
            err.tally.ignored,
            vec![(key(1).key_id(), Ignored::Repeated)]
        );
    }

    #[test]
    fn an_invalid_signature_first_does_not_hide_a_valid_one_under_the_same_id() {
        let m = b"message";
        let a = authority(2);
        let mut forged = sig(&key(9), m);
        forged.key_id = key(1).key_id(); // claims alice's id, signed by another key
        let t = a
            .require(
                Subject::Snapshot(Version::FIRST),
                m,
                &[forged, sig(&key(1), m), sig(&key(1), m), sig(&key(2), m)],
            )
            .unwrap();
        assert_eq!(t.counted, vec![key(1).key_id(), key(2).key_id()]);
        assert_eq!(
            t.ignored,
            vec![
                (key(1).key_id(), Ignored::Invalid),
                (key(1).key_id(), Ignored::Repeated),
            ]
        );
    }

    #[test]
    fn unknown_keys_and_bad_signatures_are_ignored() {
        let m = b"message";
        let a = authority(2);
        let mut forged = sig(&key(2), b"other message");
        forged.key_id = key(2).key_id();
        let mut claimed = sig(&key(9), m);
        claimed.key_id = key(3).key_id(); // claims a trusted id, signed by another key
        let err = a
            .require(
                Subject::Snapshot(Version::FIRST),
                m,
                &[sig(&key(1), m), sig(&key(9), m), forged, claimed],
            )
            .unwrap_err();
        assert_eq!(err.tally.counted, vec![key(1).key_id()]);
        assert_eq!(
            err.tally.ignored,
            vec![
                (key(9).key_id(), Ignored::NotTrusted),
                (key(2).key_id(), Ignored::Invalid),
                (key(3).key_id(), Ignored::Invalid),
            ]
        );
        let msg = err.to_string();
        assert!(msg.starts_with("snapshot 1 has 1 valid signature(s) from distinct keys of root 1, 2 needed (ignored: `"), "{msg}");
    }

    #[test]
    fn thresholds_outside_one_to_n_are_refused() {
        assert!(Threshold::new(0, 3).is_err());
        assert!(Threshold::new(4, 3).is_err());
        assert!(Threshold::new(3, 3).is_ok());
    }
}
