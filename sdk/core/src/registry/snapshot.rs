//! Snapshots: a signed statement "registry version `v` is the Merkle tree with this root".
//!
//! The tree is the one the circuits check membership in ([`crate::merkle`], depth [`TREE_DEPTH`]):
//! leaf `i` is [`RegistryLeaf::hash`](crate::commit::RegistryLeaf::hash) of the `i`-th entry in
//! **tree order** (model id bytes, then version bytes, ascending; each (model id, version) at most
//! once), empty slots are zero. Revoked entries stay in the tree with status revoked, so a proof
//! against them fails in the circuit rather than by absence.
//!
//! A snapshot signs the version, the Merkle root, the tree depth, the number of entries, and its
//! creation and expiry times. Which entry documents make up the tree is listed, in tree order, by
//! the version's [`Manifest`]; the manifest is not signed itself, because the entries it names must
//! hash to the signed root, which is checked.

use serde::Serialize;

use super::canonical::SNAPSHOT_DOMAIN;
use super::document::{SignedContent, Version};
use super::entry::{Digest, Entry};
use super::names::{ModelId, ModelVersion};
use super::time::Timestamp;
use crate::deserialize_by_reader;
use crate::field::Field;
use crate::json::{Error as JsonError, FromJson, Node};
use crate::merkle::{MerklePath, MerkleTree};

/// Depth of the registry's Merkle tree: 2^20 (about a million) entry slots. The circuits are
/// compiled for this depth.
pub const TREE_DEPTH: usize = 20;

/// The most entries a registry holds: one per leaf slot.
pub const MAX_ENTRIES: usize = 1 << TREE_DEPTH;

/// Why a snapshot or an entry set is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// A tree depth other than the one the circuits use.
    #[error("the tree depth must be {TREE_DEPTH}, got {0}")]
    Depth(u32),
    /// Expires before it was created.
    #[error("the snapshot expires at {expires}, not after its creation at {created}")]
    Lifetime {
        /// Creation.
        created: Timestamp,
        /// Expiry.
        expires: Timestamp,
    },
    /// More entries than leaf slots.
    #[error("{0} entries do not fit the {MAX_ENTRIES} slots of the tree")]
    TooManyEntries(u64),
    /// The same model version twice.
    #[error("`{model_id}` version `{version}` appears twice")]
    Duplicate {
        /// The model.
        model_id: ModelId,
        /// The version.
        version: ModelVersion,
    },
    /// Entries listed out of tree order.
    #[error("entries are not in tree order: `{model_id}` version `{version}` comes too late")]
    Order {
        /// The model of the first entry out of place.
        model_id: ModelId,
        /// Its version.
        version: ModelVersion,
    },
}

#[derive(Serialize)]
struct SnapshotFields {
    version: Version,
    created: Timestamp,
    expires: Timestamp,
    merkle_root: Field,
    tree_depth: u32,
    entry_count: u64,
}

/// A valid snapshot: depth [`TREE_DEPTH`], at most [`MAX_ENTRIES`] entries, expiring after creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "SnapshotFields")]
pub struct Snapshot {
    version: Version,
    created: Timestamp,
    expires: Timestamp,
    merkle_root: Field,
    entry_count: u64,
}

impl Snapshot {
    /// The snapshot of `entries` as registry version `version`.
    pub fn of(
        version: Version,
        entries: &EntrySet,
        created: Timestamp,
        expires: Timestamp,
    ) -> Result<Self, SnapshotError> {
        Self::from_parts(
            version,
            entries.tree().root(),
            entries.len() as u64,
            created,
            expires,
        )
    }

    /// A snapshot from its signed fields, checked.
    pub fn from_parts(
        version: Version,
        merkle_root: Field,
        entry_count: u64,
        created: Timestamp,
        expires: Timestamp,
    ) -> Result<Self, SnapshotError> {
        if expires <= created {
            return Err(SnapshotError::Lifetime { created, expires });
        }
        if entry_count > MAX_ENTRIES as u64 {
            return Err(SnapshotError::TooManyEntries(entry_count));
        }
        Ok(Snapshot {
            version,
            created,
            expires,
            merkle_root,
            entry_count,
        })
    }

    /// The registry version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// When it was made.
    pub fn created(&self) -> Timestamp {
        self.created
    }

    /// When it stops being valid.
    pub fn expires(&self) -> Timestamp {
        self.expires
    }

    /// The Merkle root the proofs commit to.
    pub fn merkle_root(&self) -> Field {
        self.merkle_root
    }

    /// How many entries the tree holds.
    pub fn entry_count(&self) -> u64 {
        self.entry_count
    }
}

impl FromJson for Snapshot {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a snapshot",
            &[
                "version",
                "created",
                "expires",
                "merkle_root",
                "tree_depth",
                "entry_count",
            ],
        )?;
        let version = o.required("version")?;
        let created = o.required("created")?;
        let expires = o.required("expires")?;
        let merkle_root = o.required("merkle_root")?;
        let tree_depth: u32 = o.required("tree_depth")?;
        let entry_count = o.required("entry_count")?;
        if tree_depth as usize != TREE_DEPTH {
            return Err(node.error(SnapshotError::Depth(tree_depth).to_string()));
        }
        Snapshot::from_parts(version, merkle_root, entry_count, created, expires)
            .map_err(|e| node.error(e.to_string()))
    }
}
deserialize_by_reader!(Snapshot);

impl From<Snapshot> for SnapshotFields {
    fn from(s: Snapshot) -> Self {
        SnapshotFields {
            version: s.version,
            created: s.created,
            expires: s.expires,
            merkle_root: s.merkle_root,
            tree_depth: TREE_DEPTH as u32,
            entry_count: s.entry_count,
        }
    }
}

impl SignedContent for Snapshot {
    const DOMAIN: &'static [u8] = SNAPSHOT_DOMAIN;
}

/// The entry documents of one registry version, by digest, in tree order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// The registry version this manifest belongs to.
    pub version: Version,
    /// Entry digests (names of entry files), in tree order.
    pub entries: Vec<Digest>,
}

impl FromJson for Manifest {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a manifest with `version` and `entries`",
            &["version", "entries"],
        )?;
        Ok(Manifest {
            version: o.required("version")?,
            entries: o.required("entries")?,
        })
    }
}
deserialize_by_reader!(Manifest);

/// Entries in tree order, each (model id, version) once, at most [`MAX_ENTRIES`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntrySet {
    entries: Vec<Entry>,
}

impl EntrySet {
    /// No entries.
    pub fn empty() -> Self {
        EntrySet::default()
    }

    /// Sorts `entries` into tree order; refuses duplicates and overflow.
    pub fn new(mut entries: Vec<Entry>) -> Result<Self, SnapshotError> {
        crate::sort::sort_by(&mut entries, Entry::order);
        Self::in_tree_order(entries)
    }

    /// Takes entries that must already be in tree order (as a manifest lists them).
    pub fn in_tree_order(entries: Vec<Entry>) -> Result<Self, SnapshotError> {
        if entries.len() > MAX_ENTRIES {
            return Err(SnapshotError::TooManyEntries(entries.len() as u64));
        }
        for w in entries.windows(2) {
            match w[0].order(&w[1]) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => {
                    return Err(SnapshotError::Duplicate {
                        model_id: w[1].model_id().clone(),
                        version: w[1].version().clone(),
                    })
                }
                std::cmp::Ordering::Greater => {
                    return Err(SnapshotError::Order {
                        model_id: w[1].model_id().clone(),
                        version: w[1].version().clone(),
                    })
                }
            }
        }
        Ok(EntrySet { entries })
    }

    /// The entries, in tree order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The leaf slot of `model_id` at `version`, if present.
    pub fn position(&self, model_id: &ModelId, version: &ModelVersion) -> Option<usize> {
        let key = (model_id.as_str().as_bytes(), version.as_str().as_bytes());
        self.entries
            .binary_search_by(|e| {
                (
                    e.model_id().as_str().as_bytes(),
                    e.version().as_str().as_bytes(),
                )
                    .cmp(&key)
            })
            .ok()
    }

    /// The digests of the entries, in tree order (the manifest's list).
    pub fn digests(&self) -> Vec<Digest> {
        self.entries.iter().map(Entry::digest).collect()
    }

    /// The leaves, in tree order.
    pub fn leaves(&self) -> Vec<Field> {
        self.entries.iter().map(|e| e.leaf().hash()).collect()
    }

    /// The Merkle tree of depth [`TREE_DEPTH`] over the leaves.
    pub fn tree(&self) -> MerkleTree {
        // The set never holds more than MAX_ENTRIES = 2^TREE_DEPTH entries, and the depth is valid.
        MerkleTree::new(TREE_DEPTH, self.leaves())
            .unwrap_or_else(|e| unreachable!("an entry set always fits its tree: {e}"))
    }

    /// The set with `entry` added; refuses a second entry for the same model version.
    pub fn with_added(&self, entry: Entry) -> Result<Self, SnapshotError> {
        if self.position(entry.model_id(), entry.version()).is_some() {
            return Err(SnapshotError::Duplicate {
                model_id: entry.model_id().clone(),
                version: entry.version().clone(),
            });
        }
        let mut entries = self.entries.clone();
        entries.push(entry);
        Self::new(entries)
    }

    /// The set with the entry for the same model version replaced by `entry`, if there is one.
    pub fn with_replaced(&self, entry: Entry) -> Option<Self> {
        let i = self.position(entry.model_id(), entry.version())?;
        let mut entries = self.entries.clone();
        entries[i] = entry;
        Some(EntrySet { entries })
    }
}

/// What a prover needs to show that an entry is in a signed registry.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// The registry version.
    pub version: Version,
    /// The Merkle root the snapshot signs.
    pub merkle_root: Field,
    /// The entry.
    pub entry: Entry,
    /// Its leaf, as the circuit checks it.
    pub leaf: crate::commit::RegistryLeaf,
    /// The leaf's path to the root (depth [`TREE_DEPTH`]).
    pub path: MerklePath,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::entry::tests::draft;

    fn entry(m: &str, v: &str) -> Entry {
        Entry::new(draft(m, v)).unwrap()
    }

    #[test]
    fn tree_order_is_model_then_version_bytewise() {
        let set = EntrySet::new(vec![
            entry("b", "1"),
            entry("a", "2"),
            entry("a", "10"),
            entry("B", "1"),
        ])
        .unwrap();
        let keys: Vec<String> = set
            .entries()
            .iter()
            .map(|e| format!("{}@{}", e.model_id(), e.version()))
            .collect();
        assert_eq!(keys, ["B@1", "a@10", "a@2", "b@1"]);
        assert!(EntrySet::new(vec![entry("a", "1"), entry("a", "1")]).is_err());
        assert!(matches!(
            EntrySet::in_tree_order(vec![entry("b", "1"), entry("a", "1")]),
            Err(SnapshotError::Order { .. })
        ));
        assert_eq!(
            set.position(
                &ModelId::new("a").unwrap(),
                &ModelVersion::new("2").unwrap()
            ),
            Some(2)
        );
    }

    #[test]
    fn snapshots_refuse_other_depths() {
        let set = EntrySet::new(vec![entry("a", "1")]).unwrap();
        let t = |s| Timestamp::parse(s).unwrap();
        let s = Snapshot::of(
            Version::FIRST,
            &set,
            t("2025-01-01T00:00:00Z"),
            t("2025-02-01T00:00:00Z"),
        )
        .unwrap();
        let mut v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["tree_depth"], 20);
        assert_eq!(serde_json::from_value::<Snapshot>(v.clone()).unwrap(), s);
        v["tree_depth"] = 16.into();
        assert!(serde_json::from_value::<Snapshot>(v).is_err());
    }
}
