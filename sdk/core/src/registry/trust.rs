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
//! 4. **Decisions** ([`TrustState::check_decision`]), for the bundled verifier: the snapshot a
//!    bundle carries is checked as in 2, except that an older snapshot than one accepted is not a
//!    rollback by itself; instead the model must not have been revoked at the decision time by any
//!    snapshot this client verified in full (the [`Revocation`]s the state records).
//!
//! Every check of a snapshot at a time `now` also refuses a snapshot created after `now`.
//!
//! A trust state file keeps the whole chain of roots from the one it was started with, and is
//! re-walked whenever it is read ([`TrustState::from_json`]): each root must carry the threshold
//! of the previous one and its own, and, given the root the caller trusts out of band, that root
//! must be in the chain. So an edited state can hold no root that the trusted root did not reach
//! through signed rotations; what it holds besides (the newest snapshot seen, the revocations)
//! only ever refuses more, so the worst an edited state can do is to be no better than none.
//!
//! All signature counting goes through [`super::threshold::Authority::require`]. Expiry is judged
//! at a time the caller passes in (the bundled verifier passes the decision time); nothing here
//! reads the clock.

use serde::Serialize;

use super::document::{DocumentError, DocumentProblem, Signed, SignedContent, Version};
use super::entry::Status;
use super::names::{ModelId, ModelVersion};
use super::root::Root;
use super::snapshot::{EntrySet, Membership, Snapshot, SnapshotError, TREE_DEPTH};
use super::threshold::{Subject, ThresholdError};
use super::time::Timestamp;
use crate::commit::RegistryLeaf;
use crate::deserialize_by_reader;
use crate::field::Field;
use crate::json::{self, Error as JsonError, FromJson, Node};
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
    /// A snapshot created after the time it is judged at.
    #[error("snapshot {version} was created at {created}, after {now}: it did not exist yet at that time")]
    SnapshotFromFuture {
        /// The snapshot's version.
        version: Version,
        /// When it was created.
        created: Timestamp,
        /// The time checked at.
        now: Timestamp,
    },
    /// The model of a decision was revoked at or before the decision time, as a snapshot this
    /// client verified in full shows.
    #[error("model `{model_id}` version `{version}` was revoked at {revoked_at} (seen revoked in snapshot {revoked_in}, which this client verified), not after the decision time {decision_time}")]
    Revoked {
        /// The model.
        model_id: ModelId,
        /// Its version.
        version: ModelVersion,
        /// When the revocation took effect.
        revoked_at: Timestamp,
        /// The snapshot in which this client saw it revoked.
        revoked_in: Version,
        /// The decision's time.
        decision_time: Timestamp,
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
            VerifyError::SnapshotFromFuture { .. } => "created-after-now",
            VerifyError::Revoked { .. } => "revoked",
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SeenSnapshot {
    /// Its version.
    pub version: Version,
    /// Its Merkle root.
    pub merkle_root: Field,
}

impl FromJson for SeenSnapshot {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a seen snapshot with `version` and `merkle_root`",
            &["version", "merkle_root"],
        )?;
        Ok(SeenSnapshot {
            version: o.required("version")?,
            merkle_root: o.required("merkle_root")?,
        })
    }
}

/// The format tag of a trust state file.
pub const TRUST_STATE_FORMAT: &str = "govproof-trust-state/v2";
/// Largest trust state file read (a chain of roots, the newest snapshot seen, and the revocations
/// of a registry of up to about 100,000 revoked entries).
pub const MAX_TRUST_STATE_BYTES: u64 = 32 << 20;
/// Largest root document read from outside a registry folder (`--trust`).
pub const MAX_ROOT_BYTES: u64 = 1 << 20;

/// A model version that a snapshot this client verified in full shows revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revocation {
    /// The model.
    pub model_id: ModelId,
    /// Its version.
    pub version: ModelVersion,
    /// The entry's signed `revoked_at`.
    pub revoked_at: Timestamp,
    /// The first snapshot in which this client saw the entry revoked.
    pub snapshot_version: Version,
    /// When that snapshot was created.
    pub snapshot_created: Timestamp,
}

impl FromJson for Revocation {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a revocation",
            &[
                "model_id",
                "version",
                "revoked_at",
                "snapshot_version",
                "snapshot_created",
            ],
        )?;
        Ok(Revocation {
            model_id: o.required("model_id")?,
            version: o.required("version")?,
            revoked_at: o.required("revoked_at")?,
            snapshot_version: o.required("snapshot_version")?,
            snapshot_created: o.required("snapshot_created")?,
        })
    }
}
deserialize_by_reader!(SeenSnapshot, Revocation);

impl Revocation {
    /// When the revocation took effect: the entry's `revoked_at`, or the creation of the snapshot
    /// that published it if that is earlier (govproof never makes it so, but a signed snapshot
    /// that says so is believed).
    pub fn effective(&self) -> Timestamp {
        self.revoked_at.min(self.snapshot_created)
    }
}

/// What a client trusts: the chain of root documents from the one it started with to the newest
/// (each signed by the previous one's threshold and its own), the newest snapshot it has accepted,
/// and the revocations it has seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustState {
    /// Never empty; `roots[i + 1]` follows `roots[i]`.
    roots: Vec<Signed<Root>>,
    last_snapshot: Option<SeenSnapshot>,
    /// Sorted by model id, then version; one record each.
    revocations: Vec<Revocation>,
}

/// The file form of a [`TrustState`].
#[derive(Serialize)]
struct StateFileOut<'a> {
    format: &'static str,
    roots: &'a [Signed<Root>],
    #[serde(skip_serializing_if = "Option::is_none")]
    last_snapshot: &'a Option<SeenSnapshot>,
    #[serde(skip_serializing_if = "<[Revocation]>::is_empty")]
    revocations: &'a [Revocation],
}

struct StateFileIn {
    roots: Vec<Signed<Root>>,
    last_snapshot: Option<SeenSnapshot>,
    revocations: Vec<Revocation>,
}

impl FromJson for StateFileIn {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a trust state",
            &["format", "roots", "last_snapshot", "revocations"],
        )?;
        // The format was judged before (`TrustState::from_json`); it must still be a string.
        let _format: String = o.required("format")?;
        Ok(StateFileIn {
            roots: o.required("roots")?,
            last_snapshot: o.optional("last_snapshot")?,
            revocations: o.or_default("revocations")?,
        })
    }
}

impl Serialize for TrustState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StateFileOut {
            format: TRUST_STATE_FORMAT,
            roots: &self.roots,
            last_snapshot: &self.last_snapshot,
            revocations: &self.revocations,
        }
        .serialize(s)
    }
}

/// Why a trust state file cannot be used (the caller cannot check anything with it: exit 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustStateError {
    /// Missing, unreadable, too large or not JSON of the right shape.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A file of the first format, which kept one root and no chain.
    #[error("the trust state `{path}` has an old format that keeps no chain of roots and cannot be checked: remove it and start a new state (`govproof registry verify --trust ROOT --state FILE`, or `govproof verify --state FILE`, which creates it)")]
    OldFormat {
        /// The file.
        path: String,
    },
    /// A file of a format this build does not know.
    #[error("the trust state `{path}` has format `{format}`, not `{TRUST_STATE_FORMAT}`: remove it and start a new state (`govproof registry verify --trust ROOT --state FILE`)")]
    UnknownFormat {
        /// The file.
        path: String,
        /// The format it names.
        format: String,
    },
    /// The chain of roots does not hold: a root not signed by the one before it, or a first root
    /// not signed by its own threshold.
    #[error("the trust state `{path}` holds root {version}, which does not follow from the roots before it ({source}): the file was edited or damaged; remove it and start a new state")]
    Chain {
        /// The file.
        path: String,
        /// The root that does not follow.
        version: Version,
        /// Why.
        source: Box<VerifyError>,
    },
    /// The chain does not contain the root the caller trusts.
    #[error("the trust state `{path}` was not reached from the trusted root {anchor} ({why}): remove it and start a new state from that root")]
    NotFromAnchor {
        /// The file.
        path: String,
        /// The trusted root's version.
        anchor: Version,
        /// What the chain holds instead.
        why: String,
    },
}

impl TrustStateError {
    /// A short, stable name for the kind of problem (used by fixtures and reports).
    pub fn kind(&self) -> &'static str {
        match self {
            TrustStateError::Document(_) => "unusable-trust-state",
            TrustStateError::OldFormat { .. } => "old-trust-state-format",
            TrustStateError::UnknownFormat { .. } => "unknown-trust-state-format",
            TrustStateError::Chain { .. } => "trust-state-chain-broken",
            TrustStateError::NotFromAnchor { .. } => "trust-state-not-from-trusted-root",
        }
    }
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
            roots: vec![root],
            last_snapshot: None,
            revocations: Vec::new(),
        })
    }

    /// The newest trusted root.
    pub fn root(&self) -> &Root {
        &self.signed_root().signed
    }

    /// The newest trusted root with its signatures.
    pub fn signed_root(&self) -> &Signed<Root> {
        // `roots` is never empty: every constructor puts a root in it.
        &self.roots[self.roots.len() - 1]
    }

    /// The chain of trusted roots, oldest first.
    pub fn roots(&self) -> &[Signed<Root>] {
        &self.roots
    }

    /// The newest snapshot accepted so far.
    pub fn last_snapshot(&self) -> Option<&SeenSnapshot> {
        self.last_snapshot.as_ref()
    }

    /// The revocations seen in snapshots verified in full, by model id and version.
    pub fn revocations(&self) -> &[Revocation] {
        &self.revocations
    }

    /// The revocation of `model_id` at `version`, if one was seen.
    pub fn revocation(&self, model_id: &ModelId, version: &ModelVersion) -> Option<&Revocation> {
        self.revocations
            .binary_search_by(|r| (&r.model_id, &r.version).cmp(&(model_id, version)))
            .ok()
            .map(|i| &self.revocations[i])
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
        let mut state = self.clone();
        state.roots.push(next);
        Ok(state)
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
    /// out, to build the next snapshot on top of one that may have expired (a verifier always
    /// calls [`TrustState::check_snapshot`]).
    pub fn check_snapshot_inner(
        &self,
        snapshot: &Signed<Snapshot>,
        now: Option<Timestamp>,
    ) -> Result<VerifiedSnapshot, VerifyError> {
        self.check_signed_snapshot(snapshot, now, true)
    }

    /// The snapshot a decision carries, judged at the decision `time`: signed by the newest
    /// trusted root's threshold, that root and the snapshot unexpired at `time`, the snapshot
    /// created no later than `time`, no fork of a snapshot version already accepted, and the
    /// model (`model_id` at `version`) not revoked at `time` by any snapshot this client verified
    /// in full. A snapshot older than the newest accepted is no rollback by itself: a decision
    /// made against it before a revocation stays valid, and one made after is refused.
    pub fn check_decision(
        &self,
        snapshot: &Signed<Snapshot>,
        model_id: &ModelId,
        version: &ModelVersion,
        time: Timestamp,
    ) -> Result<VerifiedSnapshot, VerifyError> {
        let verified = self.check_signed_snapshot(snapshot, Some(time), false)?;
        if let Some(r) = self.revocation(model_id, version) {
            if r.effective() <= time {
                return Err(VerifyError::Revoked {
                    model_id: model_id.clone(),
                    version: version.clone(),
                    revoked_at: r.effective(),
                    revoked_in: r.snapshot_version,
                    decision_time: time,
                });
            }
        }
        Ok(verified)
    }

    fn check_signed_snapshot(
        &self,
        snapshot: &Signed<Snapshot>,
        now: Option<Timestamp>,
        refuse_rollback: bool,
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
            if refuse_rollback && s.version() < seen.version {
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
            if s.created() > now {
                return Err(VerifyError::SnapshotFromFuture {
                    version: s.version(),
                    created: s.created(),
                    now,
                });
            }
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
            signatures: snapshot.signatures.clone(),
            root_version: root.version(),
        })
    }

    /// The state after accepting `snapshot`: it becomes the newest snapshot seen, unless a newer
    /// one was seen already (a decision may carry an older snapshot).
    pub fn after(&self, snapshot: &VerifiedSnapshot) -> TrustState {
        let mut state = self.clone();
        let version = snapshot.snapshot.version();
        if self.last_snapshot.is_none_or(|s| s.version <= version) {
            state.last_snapshot = Some(SeenSnapshot {
                version,
                merkle_root: snapshot.snapshot.merkle_root(),
            });
        }
        state
    }

    /// The state after verifying `registry` in full: [`TrustState::after`] its snapshot, and every
    /// entry it shows revoked recorded (an entry already recorded keeps its first record).
    pub fn after_registry(&self, registry: &VerifiedRegistry) -> TrustState {
        let mut state = self.after(registry.snapshot());
        let s = registry.snapshot().snapshot();
        for e in registry.entries().entries() {
            let Status::Revoked { revoked_at, .. } = e.status() else {
                continue;
            };
            if let Err(i) = state
                .revocations
                .binary_search_by(|r| (&r.model_id, &r.version).cmp(&(e.model_id(), e.version())))
            {
                state.revocations.insert(
                    i,
                    Revocation {
                        model_id: e.model_id().clone(),
                        version: e.version().clone(),
                        revoked_at: *revoked_at,
                        snapshot_version: s.version(),
                        snapshot_created: s.created(),
                    },
                );
            }
        }
        state
    }

    /// Reads a trust state from its file's bytes (`shown` names the file in errors), checking it
    /// again: its format, that its first root carries its own threshold, that each later root
    /// carries the threshold of the one before and its own, and, when `anchor` (the root the
    /// caller trusts out of band) is given, that `anchor` is one of its roots, so every newer root
    /// was reached from it through signed rotations.
    pub fn from_json(
        bytes: &[u8],
        shown: &str,
        anchor: Option<&Signed<Root>>,
    ) -> Result<Self, TrustStateError> {
        let malformed = |detail: String| DocumentError {
            path: shown.to_string(),
            problem: DocumentProblem::Malformed {
                what: "trust state",
                detail,
            },
        };
        let node = json::parse(bytes).map_err(|e| malformed(e.to_string()))?;
        match node.member("format").map(|n| &n.value) {
            None if node.member("root").is_some() => {
                return Err(TrustStateError::OldFormat {
                    path: shown.to_string(),
                })
            }
            Some(json::Value::String(f)) if f == TRUST_STATE_FORMAT => {}
            Some(json::Value::String(f)) => {
                return Err(TrustStateError::UnknownFormat {
                    path: shown.to_string(),
                    format: super::names::shorten(f),
                })
            }
            _ => {
                return Err(malformed(format!(
                    "it has no `format` string (expected `{TRUST_STATE_FORMAT}`)"
                ))
                .into())
            }
        }
        let file = StateFileIn::from_json(&node).map_err(|e| malformed(e.to_string()))?;
        let mut roots = file.roots.into_iter();
        let first = roots
            .next()
            .ok_or_else(|| malformed("it holds no root".to_string()))?;
        let chain_error = |version, source| TrustStateError::Chain {
            path: shown.to_string(),
            version,
            source: Box::new(source),
        };
        let first_version = first.signed.version();
        let mut state = TrustState::bootstrap(first).map_err(|e| chain_error(first_version, e))?;
        for next in roots {
            let version = next.signed.version();
            state = state.with_root(next).map_err(|e| chain_error(version, e))?;
        }
        if let Some(anchor) = anchor {
            if !state.roots.iter().any(|r| r.signed == anchor.signed) {
                let versions: Vec<String> = state
                    .roots
                    .iter()
                    .map(|r| r.signed.version().to_string())
                    .collect();
                let why = if state
                    .roots
                    .iter()
                    .any(|r| r.signed.version() == anchor.signed.version())
                {
                    format!(
                        "its root {} is a different document",
                        anchor.signed.version()
                    )
                } else {
                    format!("it holds roots {}", versions.join(", "))
                };
                return Err(TrustStateError::NotFromAnchor {
                    path: shown.to_string(),
                    anchor: anchor.signed.version(),
                    why,
                });
            }
        }
        let mut revocations = file.revocations;
        crate::sort::sort_by(&mut revocations, |a, b| {
            (&a.model_id, &a.version).cmp(&(&b.model_id, &b.version))
        });
        revocations.dedup_by(|a, b| a.model_id == b.model_id && a.version == b.version);
        state.last_snapshot = file.last_snapshot;
        state.revocations = revocations;
        Ok(state)
    }

    /// The state as its file holds it (pretty JSON, with a final line break).
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("a trust state always serializes: {e}"));
        text.push('\n');
        text
    }
}

/// A snapshot that passed [`TrustState::check_snapshot`]: only that check makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSnapshot {
    snapshot: Snapshot,
    /// The signatures it was verified with.
    signatures: Vec<super::document::KeySignature>,
    root_version: Version,
}

impl VerifiedSnapshot {
    /// The snapshot.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The snapshot with the very signatures that were verified (what a bundle should carry,
    /// instead of reading the snapshot file again).
    pub fn signed(&self) -> Signed<Snapshot> {
        Signed {
            signatures: self.signatures.clone(),
            signed: self.snapshot.clone(),
        }
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
