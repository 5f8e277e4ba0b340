//! Verification: what a client trusts, and the checks that let it trust something newer.
//!
//! A client keeps a [`TrustState`]: the root document it trusts and the newest snapshot it has
//! accepted (version and Merkle root). From there:
//!
//! 1. **Root updates** ([`TrustState::with_root`]): root `v + 1` is accepted only when signed by the
//!    threshold of the trusted root `v` **and** by its own threshold; roots are walked one version
//!    at a time.
//! 2. **Snapshots** ([`TrustState::check_snapshot`]), against the newest trusted root: the root must
//!    not have expired; the snapshot must carry the threshold of valid signatures from distinct
//!    keys of that root (unknown and removed keys are ignored, one key counts once); its version
//!    must not be lower than one already accepted (**rollback**), and the same version must have the
//!    same Merkle root (**fork**); it must not have expired.
//! 3. **Entries** ([`VerifiedSnapshot::check_entries`]): the entry documents must hash to the signed
//!    Merkle root (**mix-and-match**), or a single entry's leaf and path must lead to it
//!    ([`VerifiedSnapshot::check_membership`]).
//!
//! All signature counting goes through [`super::threshold::Authority::require`]. Expiry is judged
//! at a time the caller passes in (the bundled verifier passes the decision time); nothing here
//! reads the clock.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::document::{DocumentError, DocumentProblem, Signed, SignedContent, Version};
use super::durable::{self, IoError, Replace, DOCUMENT_MODE};
use super::names::{ModelId, ModelVersion};
use super::root::Root;
use super::snapshot::{EntrySet, Membership, Snapshot, SnapshotError, TREE_DEPTH};
use super::threshold::{Subject, ThresholdError};
use super::time::Timestamp;
use crate::commit::RegistryLeaf;
use crate::field::Field;
use crate::merkle::{MerklePath, MerkleTree};

/// Why a registry (or part of one) is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not enough valid signatures from distinct trusted keys (unknown, removed, repeated and
    /// invalid signatures are ignored).
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    /// A root that does not follow the trusted one.
    #[error(
        "root {found} cannot follow trusted root {trusted}: roots advance one version at a time"
    )]
    RootSequence {
        /// The trusted root's version.
        trusted: Version,
        /// The version offered.
        found: Version,
    },
    /// The registry names a root older than the trusted one.
    #[error("rollback: the registry is at root {found}, older than root {trusted}, which this client already trusts")]
    RootRollback {
        /// The trusted root's version.
        trusted: Version,
        /// The version offered.
        found: Version,
    },
    /// The newest root has expired.
    #[error("root {version} expired at {expires} (checked at {now})")]
    RootExpired {
        /// The root's version.
        version: Version,
        /// Its expiry.
        expires: Timestamp,
        /// The time checked at.
        now: Timestamp,
    },
    /// The snapshot has expired.
    #[error("snapshot {version} expired at {expires} (checked at {now})")]
    SnapshotExpired {
        /// The snapshot's version.
        version: Version,
        /// Its expiry.
        expires: Timestamp,
        /// The time checked at.
        now: Timestamp,
    },
    /// A snapshot older than one already accepted.
    #[error("rollback: snapshot {found} is older than snapshot {seen}, which this client already accepted")]
    Rollback {
        /// The newest version accepted before.
        seen: Version,
        /// The version offered.
        found: Version,
    },
    /// The same version as one already accepted, with a different tree.
    #[error("fork: snapshot {version} has merkle root {found}, but this client accepted snapshot {version} with merkle root {seen}")]
    Fork {
        /// The version.
        version: Version,
        /// The root accepted before.
        seen: Field,
        /// The root offered now.
        found: Field,
    },
    /// The entries do not hash to the signed root.
    #[error("mix-and-match: the entries offered for snapshot {version} hash to merkle root {computed}, but the snapshot signs {signed}")]
    RootMismatch {
        /// The snapshot's version.
        version: Version,
        /// The root the snapshot signs.
        signed: Field,
        /// The root of the entries offered.
        computed: Field,
    },
    /// A different number of entries than the snapshot signs.
    #[error("mix-and-match: snapshot {version} signs {signed} entries, but {offered} are offered")]
    EntryCount {
        /// The snapshot's version.
        version: Version,
        /// The count it signs.
        signed: u64,
        /// The count offered.
        offered: u64,
    },
    /// A membership path of the wrong length or leading elsewhere.
    #[error("the membership path does not lead to the merkle root of snapshot {version}")]
    PathMismatch {
        /// The snapshot's version.
        version: Version,
    },
    /// An entry file whose content is not the one its name (its digest) says.
    #[error("`{path}` was altered: its content has digest {actual}, not the one its name says")]
    EntryTampered {
        /// The file, relative to the registry.
        path: String,
        /// The digest of what it holds.
        actual: String,
    },
    /// The entries break the tree's rules (duplicates, wrong order).
    #[error("the entries of snapshot {version} are not a valid tree: {source}")]
    Entries {
        /// The snapshot's version.
        version: Version,
        /// What is wrong.
        source: SnapshotError,
    },
    /// A file that is missing, unreadable or malformed.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// Nothing has been published yet.
    #[error("the registry has no published snapshot yet (its first root and snapshot still need signatures)")]
    Unpublished,
}

impl VerifyError {
    /// A short, stable name for the kind of rejection (used by fixtures and reports).
    pub fn kind(&self) -> &'static str {
        match self {
            VerifyError::Threshold(_) => "below-threshold",
            VerifyError::RootSequence { .. } => "root-sequence",
            VerifyError::RootRollback { .. } => "root-rollback",
            VerifyError::RootExpired { .. } => "root-expired",
            VerifyError::SnapshotExpired { .. } => "expired",
            VerifyError::Rollback { .. } => "rollback",
            VerifyError::Fork { .. } => "fork",
            VerifyError::RootMismatch { .. } => "mix-and-match",
            VerifyError::EntryCount { .. } => "entry-count",
            VerifyError::PathMismatch { .. } => "path-mismatch",
            VerifyError::EntryTampered { .. } => "tampered-entry",
            VerifyError::Entries { .. } => "entry-order",
            VerifyError::Document(d) => match d.problem {
                DocumentProblem::Missing => "missing-file",
                DocumentProblem::Unreadable(_) => "unreadable-file",
                DocumentProblem::TooLarge(_) => "oversized-file",
                DocumentProblem::Malformed { .. } => "malformed-file",
                DocumentProblem::Misplaced(_) => "misplaced-file",
            },
            VerifyError::Unpublished => "unpublished",
        }
    }
}

/// The newest snapshot a client has accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a seen snapshot with `version` and `merkle_root`"
)]
pub struct SeenSnapshot {
    /// Its version.
    pub version: Version,
    /// Its Merkle root.
    pub merkle_root: Field,
}

/// What a client trusts: a root document, and the newest snapshot it has accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a trust state")]
pub struct TrustState {
    root: Signed<Root>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_snapshot: Option<SeenSnapshot>,
}

impl TrustState {
    /// Starts trusting a root obtained out of band (e.g. shipped with the verifier), after checking
    /// that the threshold of its own keys signed it.
    pub fn bootstrap(root: Signed<Root>) -> Result<Self, VerifyError> {
        let authority = root.signed.authority();
        authority.require(
            Subject::Root(root.signed.version()),
            &root.signed.signing_bytes(),
            &root.signatures,
        )?;
        Ok(TrustState {
            root,
            last_snapshot: None,
        })
    }

    /// The trusted root.
    pub fn root(&self) -> &Root {
        &self.root.signed
    }

    /// The trusted root with its signatures.
    pub fn signed_root(&self) -> &Signed<Root> {
        &self.root
    }

    /// The newest snapshot accepted so far.
    pub fn last_snapshot(&self) -> Option<&SeenSnapshot> {
        self.last_snapshot.as_ref()
    }

    /// Trusts the next root: it must be the next version, signed by the threshold of the trusted
    /// root's keys and by the threshold of its own.
    pub fn with_root(&self, next: Signed<Root>) -> Result<TrustState, VerifyError> {
        let trusted = self.root().version();
        let found = next.signed.version();
        if trusted.next().ok() != Some(found) {
            return Err(VerifyError::RootSequence { trusted, found });
        }
        let message = next.signed.signing_bytes();
        self.root()
            .authority()
            .require(Subject::Root(found), &message, &next.signatures)?;
        next.signed
            .authority()
            .require(Subject::Root(found), &message, &next.signatures)?;
        Ok(TrustState {
            root: next,
            last_snapshot: self.last_snapshot,
        })
    }

    /// Checks a snapshot against the trusted root at time `now` (see the module documentation).
    pub fn check_snapshot(
        &self,
        snapshot: &Signed<Snapshot>,
        now: Timestamp,
    ) -> Result<VerifiedSnapshot, VerifyError> {
        self.check_snapshot_inner(snapshot, Some(now))
    }

    /// The snapshot check with expiry optionally left out: only the registry's own writers leave it
    /// out, to build the next snapshot on top of one that may have expired.
    pub(crate) fn check_snapshot_inner(
        &self,
        snapshot: &Signed<Snapshot>,
        now: Option<Timestamp>,
    ) -> Result<VerifiedSnapshot, VerifyError> {
        let root = self.root();
        if let Some(now) = now {
            if root.expires() <= now {
                return Err(VerifyError::RootExpired {
                    version: root.version(),
                    expires: root.expires(),
                    now,
                });
            }
        }
        let s = &snapshot.signed;
        root.authority().require(
            Subject::Snapshot(s.version()),
            &s.signing_bytes(),
            &snapshot.signatures,
        )?;
        if let Some(seen) = &self.last_snapshot {
            if s.version() < seen.version {
                return Err(VerifyError::Rollback {
                    seen: seen.version,
                    found: s.version(),
                });
            }
            if s.version() == seen.version && s.merkle_root() != seen.merkle_root {
                return Err(VerifyError::Fork {
                    version: s.version(),
                    seen: seen.merkle_root,
                    found: s.merkle_root(),
                });
            }
        }
        if let Some(now) = now {
            if s.expires() <= now {
                return Err(VerifyError::SnapshotExpired {
                    version: s.version(),
                    expires: s.expires(),
                    now,
                });
            }
        }
        Ok(VerifiedSnapshot {
            snapshot: s.clone(),
            root_version: root.version(),
        })
    }

    /// The state after accepting `snapshot`: it becomes the newest snapshot seen.
    pub fn after(&self, snapshot: &VerifiedSnapshot) -> TrustState {
        TrustState {
            root: self.root.clone(),
            last_snapshot: Some(SeenSnapshot {
                version: snapshot.snapshot.version(),
                merkle_root: snapshot.snapshot.merkle_root(),
            }),
        }
    }

    /// Reads a trust state file.
    pub fn read(path: &Path) -> Result<Self, DocumentError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| DocumentError {
            path: shown.clone(),
            problem: if e.kind() == std::io::ErrorKind::NotFound {
                DocumentProblem::Missing
            } else {
                DocumentProblem::Unreadable(e.to_string())
            },
        })?;
        serde_json::from_slice(&bytes).map_err(|e| DocumentError {
            path: shown,
            problem: DocumentProblem::Malformed {
                what: "trust state",
                detail: e.to_string(),
            },
        })
    }

    /// Writes the state atomically (temporary file, flush, rename).
    pub fn write(&self, path: &Path) -> Result<(), IoError> {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("a trust state always serializes: {e}"));
        text.push('\n');
        durable::write_atomic(
            path,
            "trust",
            text.as_bytes(),
            DOCUMENT_MODE,
            Replace::Allow,
        )
    }
}

/// A snapshot that passed [`TrustState::check_snapshot`]: only that check makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSnapshot {
    snapshot: Snapshot,
    root_version: Version,
}

impl VerifiedSnapshot {
    /// The snapshot.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The version of the root whose keys signed it.
    pub fn root_version(&self) -> Version {
        self.root_version
    }

    /// Checks that `entries` are exactly the snapshot's tree (the mix-and-match check).
    pub fn check_entries(self, entries: EntrySet) -> Result<VerifiedRegistry, VerifyError> {
        let version = self.snapshot.version();
        self.check_entry_count(entries.len() as u64)?;
        let tree = entries.tree();
        if tree.root() != self.snapshot.merkle_root() {
            return Err(VerifyError::RootMismatch {
                version,
                signed: self.snapshot.merkle_root(),
                computed: tree.root(),
            });
        }
        Ok(VerifiedRegistry {
            snapshot: self,
            entries,
            tree,
        })
    }

    /// Checks that `offered` is the number of entries the snapshot signs (done before reading
    /// entries, so a manifest cannot make a client read more files than the snapshot covers).
    pub fn check_entry_count(&self, offered: u64) -> Result<(), VerifyError> {
        if offered != self.snapshot.entry_count() {
            return Err(VerifyError::EntryCount {
                version: self.snapshot.version(),
                signed: self.snapshot.entry_count(),
                offered,
            });
        }
        Ok(())
    }

    /// Checks that `leaf` sits in the snapshot's tree at the place `path` says.
    pub fn check_membership(
        &self,
        leaf: &RegistryLeaf,
        path: &MerklePath,
    ) -> Result<(), VerifyError> {
        if path.siblings.len() != TREE_DEPTH
            || path.root_from(leaf.hash()) != self.snapshot.merkle_root()
        {
            return Err(VerifyError::PathMismatch {
                version: self.snapshot.version(),
            });
        }
        Ok(())
    }
}

/// A registry version whose snapshot and every entry were verified.
#[derive(Debug, Clone)]
pub struct VerifiedRegistry {
    snapshot: VerifiedSnapshot,
    entries: EntrySet,
    tree: MerkleTree,
}

impl VerifiedRegistry {
    /// The verified snapshot.
    pub fn snapshot(&self) -> &VerifiedSnapshot {
        &self.snapshot
    }

    /// The entries, in tree order.
    pub fn entries(&self) -> &EntrySet {
        &self.entries
    }

    /// The membership proof of `model_id` at `version`: the entry, its leaf and its Merkle path,
    /// for the prover. `None` when the registry has no such entry.
    pub fn membership(&self, model_id: &ModelId, version: &ModelVersion) -> Option<Membership> {
        let index = self.entries.position(model_id, version)?;
        let entry = self.entries.entries()[index].clone();
        // `index` is a filled slot of this very tree.
        let path = self.tree.path(index as u64).ok()?;
        Some(Membership {
            version: self.snapshot.snapshot.version(),
            merkle_root: self.tree.root(),
            leaf: entry.leaf(),
            entry,
            path,
        })
    }
}
