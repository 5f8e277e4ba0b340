//! The registry folder: one file per document, written atomically, serialized by a lock.
//!
//! ```text
//! <registry>/
//!   registry.json            which root and snapshot are current: the one file every publication
//!                            replaces last (the commit point)
//!   root/<v>.json            signed root documents 1, 2, ... (never changed once published)
//!   snapshots/<v>.json       signed snapshots 1, 2, ... (never changed once published)
//!   manifests/<v>.json       the entry digests of snapshot <v>, in tree order
//!   entries/<digest>.json    entry documents, named by their digest (so never changed in place)
//!   staged/proposal.json     the next root and/or snapshot, collecting signatures
//!   .lock                    taken by every writer, so writers run one at a time
//! ```
//!
//! A change (`add`, `revoke`, `rotate`, `init`) writes any new entry file and then the proposal;
//! `sign` adds one signature to the proposal, and once the proposal carries every threshold it
//! needs, publishes it: the new root (if any), manifest and snapshot files first (nothing points at
//! them yet), then `registry.json`, then the proposal is removed. Every write is atomic (see
//! [`super::durable`]), so a crash at any moment leaves `registry.json` pointing at a complete,
//! valid version: the old one before the commit point, the new one after. Readers take no lock.
//! Writers first check that the published registry verifies against its own root chain, and
//! refuse to build on one that does not.

use std::fs::File;
use std::path::{Path, PathBuf};

use govproof_core::json::{Error as JsonError, FromJson, Node};
use serde::Serialize;

use super::detached::{Changes, DetachedSignatures};
use super::document::FromInputError;
use super::document::{
    DocumentError, DocumentProblem, Signed, SignedContent, Version, VersionError,
};
use super::durable::{self, IoError, Replace, DOCUMENT_MODE};
use super::entry::{Digest, Entry, EntryError};
use super::keys::{KeyId, SecretKey};
use super::names::{ModelId, ModelVersion, Note};
use super::root::{Root, RootError, RootKey};
use super::snapshot::{EntrySet, Manifest, Snapshot, SnapshotError};
use super::threshold::{Subject, Tally};
use super::time::{TimeError, TimeSpan, Timestamp};
use super::trust::{TrustState, VerifiedRegistry, VerifiedSnapshot, VerifyError};

/// The commit-point file naming the current root and snapshot.
pub const POINTER_FILE: &str = "registry.json";
/// The format tag in [`POINTER_FILE`].
pub const FORMAT: &str = "govproof-registry/v1";
const ROOT_DIR: &str = "root";
const SNAPSHOT_DIR: &str = "snapshots";
const MANIFEST_DIR: &str = "manifests";
const ENTRY_DIR: &str = "entries";
const STAGED_DIR: &str = "staged";
const PROPOSAL_FILE: &str = "staged/proposal.json";
const LOCK_FILE: &str = ".lock";
const DIRS: [&str; 5] = [ROOT_DIR, SNAPSHOT_DIR, MANIFEST_DIR, ENTRY_DIR, STAGED_DIR];

/// Largest root, snapshot, entry or pointer document read.
pub const MAX_DOCUMENT_BYTES: u64 = 1 << 20;
/// Largest manifest or proposal read (a full tree lists 2^20 digests of 67 bytes each).
pub const MAX_LIST_BYTES: u64 = 128 << 20;

/// Why a registry operation failed (verification failures are [`VerifyError`]s).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file could not be written, removed or listed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A registry file is missing or malformed.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The folder holds no registry.
    #[error("`{0}` is not a registry: it has neither `registry.json` nor a staged proposal (create one with `govproof registry init`)")]
    NotARegistry(PathBuf),
    /// `init` on a folder that is not empty.
    #[error("`{0}` is not empty: a registry is created in a new or empty folder")]
    NotEmpty(PathBuf),
    /// `sign` with nothing to sign.
    #[error("nothing is staged: `add`, `revoke` or `rotate` stage a new snapshot to sign")]
    NothingStaged,
    /// `rotate` before anything is published.
    #[error(
        "nothing is published yet: finish signing the first root and snapshot first (or delete the folder to start over)"
    )]
    NotPublished,
    /// A signer whose key no staged document asks for.
    #[error("key `{key_id}` is not a governance key of {}: nothing was signed", roots_note(.published_root, .staged_root))]
    NotInvolved {
        /// The signer's key id.
        key_id: KeyId,
        /// The published root's version, if any.
        published_root: Option<Version>,
        /// The staged root's version, if a root is staged.
        staged_root: Option<Version>,
    },
    /// A detached signature made on another proposal than the one staged.
    #[error("the signature file of key `{key_id}` signs {signed}, but what is staged is a different {subject}: it was made on another proposal (sign the current `staged/proposal.json` again); nothing was attached")]
    StaleSignature {
        /// The signer's key id.
        key_id: KeyId,
        /// The staged document it should have signed.
        subject: Subject,
        /// What it signed.
        signed: Subject,
    },
    /// A detached signature that does not verify under the key it names.
    #[error("the signature of key `{key_id}` on {subject} does not verify: the file is damaged or was not made with that key; nothing was attached")]
    BadSignature {
        /// The key it claims.
        key_id: KeyId,
        /// The document.
        subject: Subject,
    },
    /// The published registry does not verify against its own root chain.
    #[error("the published registry does not verify, refusing to build on it: {0}")]
    Inconsistent(VerifyError),
    /// The staged proposal does not match its entries or the published registry.
    #[error("the staged proposal is not consistent, refusing to use it (`govproof registry discard` drops it): {0}")]
    StagedInconsistent(String),
    /// No entry for this model version.
    #[error("the registry has no entry for `{model_id}` version `{version}`")]
    NoSuchEntry {
        /// The model.
        model_id: ModelId,
        /// The version.
        version: ModelVersion,
    },
    /// The change breaks an entry rule.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// The change breaks a tree rule (e.g. a duplicate model version).
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The change breaks a root rule.
    #[error(transparent)]
    Root(#[from] RootError),
    /// A time out of range.
    #[error(transparent)]
    Time(#[from] TimeError),
    /// Versions ran out.
    #[error(transparent)]
    Version(#[from] VersionError),
}

fn roots_note(published: &Option<Version>, staged: &Option<Version>) -> String {
    match (published, staged) {
        (Some(p), Some(s)) => format!("root {p} or of the staged root {s}"),
        (Some(p), None) => format!("root {p}"),
        (None, Some(s)) => format!("the staged root {s}"),
        (None, None) => "any root".to_string(),
    }
}

/// The roots a proposal's signatures answer to: the published root (absent before the first
/// publication) and the root that signs the staged snapshot (the staged root, if any, else the
/// published one).
fn signing_roots(
    current: Option<&Current>,
    proposal: &Proposal,
) -> Result<(Option<Root>, Root), StoreError> {
    let old_root = current.map(|c| c.trust.root().clone());
    let new_root = match (&proposal.root, &old_root) {
        (Some(r), _) => r.signed.clone(),
        (None, Some(o)) => o.clone(),
        (None, None) => {
            return Err(StoreError::StagedInconsistent(
                "nothing is published and no root is staged".into(),
            ))
        }
    };
    Ok((old_root, new_root))
}

/// A staged root is signed by the keys of the old root and of the new one.
fn may_sign_root(old_root: Option<&Root>, staged: &Root, key_id: &KeyId) -> bool {
    old_root.is_some_and(|o| o.key(key_id).is_some()) || staged.key(key_id).is_some()
}

/// The commit point: which root and snapshot are current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pointer {
    /// Always [`FORMAT`].
    pub format: String,
    /// The newest published root.
    pub root_version: Version,
    /// The newest published snapshot.
    pub snapshot_version: Version,
}

/// The next root and/or snapshot, collecting signatures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// A new root (at `init`, or a key rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<Signed<Root>>,
    /// The next snapshot.
    pub snapshot: Signed<Snapshot>,
    /// Its entries' digests, in tree order.
    pub entries: Vec<Digest>,
    /// What it changes in the published registry, for key holders signing a copy (absent in
    /// proposals staged by an older govproof).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
}

impl FromJson for Pointer {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "a registry pointer",
            &["format", "root_version", "snapshot_version"],
        )?;
        Ok(Pointer {
            format: o.required("format")?,
            root_version: o.required("root_version")?,
            snapshot_version: o.required("snapshot_version")?,
        })
    }
}

impl FromJson for Proposal {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object("a proposal", &["root", "snapshot", "entries", "changes"])?;
        Ok(Proposal {
            root: o.optional("root")?,
            snapshot: o.required("snapshot")?,
            entries: o.required("entries")?,
            changes: o.optional("changes")?,
        })
    }
}
govproof_core::deserialize_by_reader!(Pointer, Proposal);

/// A published version as read from disk, not verified (for display).
#[derive(Debug, Clone)]
pub struct Published {
    /// The commit point.
    pub pointer: Pointer,
    /// The current root.
    pub root: Signed<Root>,
    /// The current snapshot.
    pub snapshot: Signed<Snapshot>,
    /// Its entries.
    pub entries: EntrySet,
}

/// What a change staged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    /// The staged snapshot's version.
    pub snapshot_version: Version,
    /// The staged root's version, when a root is staged.
    pub root_version: Option<Version>,
    /// Entries in the staged snapshot.
    pub entry_count: u64,
    /// Its Merkle root.
    pub merkle_root: crate::field::Field,
    /// Signatures on an earlier staged snapshot that no longer apply.
    pub dropped_signatures: usize,
}

/// What `discard` removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discarded {
    /// The staged snapshot's version.
    pub snapshot_version: Version,
    /// The staged root's version, when a root was staged.
    pub root_version: Option<Version>,
    /// Signatures it had collected (on the snapshot and the root).
    pub signatures: usize,
}

/// What `sign` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignReport {
    /// The signer.
    pub key_id: KeyId,
    /// The documents signed.
    pub signed: Vec<Subject>,
    /// The staged snapshot's version.
    pub snapshot_version: Version,
    /// The staged root's version, when a root is staged.
    pub root_version: Option<Version>,
    /// The staged snapshot's signatures, counted by the root that must sign it.
    pub snapshot_tally: Tally,
    /// The staged root's signatures, counted by the old root (absent at `init`) and by itself.
    pub root_tallies: Option<(Option<Tally>, Tally)>,
    /// Whether the proposal was published.
    pub published: bool,
}

/// The state a writer builds on.
struct Current {
    trust: TrustState,
    registry: VerifiedRegistry,
}

/// Holds the registry's write lock until dropped.
struct WriteLock {
    _file: File,
}

/// A registry folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryDir {
    path: PathBuf,
}

impl RegistryDir {
    /// The registry in folder `path` (nothing is read yet).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        RegistryDir { path: path.into() }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates a registry in a new or empty folder: stages root 1 (these keys, `k` of them must
    /// sign) and an empty snapshot 1, both waiting for signatures.
    pub fn init(
        path: impl Into<PathBuf>,
        keys: Vec<RootKey>,
        threshold: u32,
        root_lifetime: TimeSpan,
        snapshot_lifetime: TimeSpan,
        now: Timestamp,
    ) -> Result<(Self, Staged), StoreError> {
        let path = path.into();
        let root = Root::new(
            Version::FIRST,
            keys,
            threshold,
            now,
            now.checked_add(root_lifetime)?,
        )?;
        let snapshot = Snapshot::of(
            Version::FIRST,
            &EntrySet::empty(),
            now,
            now.checked_add(snapshot_lifetime)?,
        )?;
        if path.exists() {
            let mut listing =
                std::fs::read_dir(&path).map_err(|e| IoError::new("list", &path, e))?;
            if listing.next().is_some() {
                return Err(StoreError::NotEmpty(path));
            }
        }
        durable::create_dir_durable(&path)?;
        let dir = RegistryDir { path };
        let _lock = dir.lock()?;
        // Another `init` may have won the race between the emptiness check and the lock.
        if dir.path.join(POINTER_FILE).exists() || dir.path.join(PROPOSAL_FILE).exists() {
            return Err(StoreError::NotEmpty(dir.path));
        }
        let proposal = Proposal {
            root: Some(Signed::unsigned(root)),
            snapshot: Signed::unsigned(snapshot),
            entries: Vec::new(),
            changes: Some(Changes::between(None, &EntrySet::empty())),
        };
        dir.write_proposal(&proposal)?;
        let staged = Staged {
            snapshot_version: Version::FIRST,
            root_version: Some(Version::FIRST),
            entry_count: 0,
            merkle_root: proposal.snapshot.signed.merkle_root(),
            dropped_signatures: 0,
        };
        Ok((dir, staged))
    }

    /// Stages a snapshot with `entry` added.
    pub fn add(
        &self,
        entry: Entry,
        snapshot_lifetime: TimeSpan,
        now: Timestamp,
    ) -> Result<Staged, StoreError> {
        self.add_many(vec![entry], snapshot_lifetime, now)
    }

    /// Stages a snapshot with all of `entries` added (one staging for a batch, e.g. an import);
    /// refuses the whole batch if any model version is already present or appears twice.
    pub fn add_many(
        &self,
        entries: Vec<Entry>,
        snapshot_lifetime: TimeSpan,
        now: Timestamp,
    ) -> Result<Staged, StoreError> {
        let _lock = self.lock()?;
        let (current, proposal, base) = self.base_for_change()?;
        let mut all = base.entries().to_vec();
        all.extend(entries.iter().cloned());
        let set = EntrySet::new(all)?;
        for e in &entries {
            self.write_entry(e)?;
        }
        self.stage(
            current.as_ref(),
            proposal,
            None,
            set,
            snapshot_lifetime,
            now,
        )
    }

    /// Stages a snapshot in which `model_id` at `version` is revoked as of `now`.
    pub fn revoke(
        &self,
        model_id: &ModelId,
        version: &ModelVersion,
        reason: Note,
        snapshot_lifetime: TimeSpan,
        now: Timestamp,
    ) -> Result<Staged, StoreError> {
        let _lock = self.lock()?;
        let (current, proposal, base) = self.base_for_change()?;
        let index = base
            .position(model_id, version)
            .ok_or_else(|| StoreError::NoSuchEntry {
                model_id: model_id.clone(),
                version: version.clone(),
            })?;
        let revoked = base.entries()[index].revoked(now, reason)?;
        let entries =
            base.with_replaced(revoked.clone())
                .ok_or_else(|| StoreError::NoSuchEntry {
                    model_id: model_id.clone(),
                    version: version.clone(),
                })?;
        self.write_entry(&revoked)?;
        self.stage(
            current.as_ref(),
            proposal,
            None,
            entries,
            snapshot_lifetime,
            now,
        )
    }

    /// Stages a key rotation: root `v + 1` with these keys and threshold, and a snapshot re-issued
    /// for the new keys to sign. It publishes once the old root's threshold and the new root's
    /// threshold have signed the root, and the new root's threshold has signed the snapshot.
    pub fn rotate(
        &self,
        keys: Vec<RootKey>,
        threshold: u32,
        root_lifetime: TimeSpan,
        snapshot_lifetime: TimeSpan,
        now: Timestamp,
    ) -> Result<Staged, StoreError> {
        let _lock = self.lock()?;
        let (current, proposal, base) = self.base_for_change()?;
        let current = current.ok_or(StoreError::NotPublished)?;
        let root = Root::new(
            current.trust.root().version().next()?,
            keys,
            threshold,
            now,
            now.checked_add(root_lifetime)?,
        )?;
        self.stage(
            Some(&current),
            proposal,
            Some(Signed::unsigned(root)),
            base,
            snapshot_lifetime,
            now,
        )
    }

    /// Signs whatever is staged that `key` may sign; publishes the proposal when every threshold
    /// it needs is met.
    pub fn sign(&self, key: &SecretKey) -> Result<SignReport, StoreError> {
        let _lock = self.lock()?;
        let (mut proposal, old_root, new_root) = self.staged_for_signing()?;
        let key_id = key.key_id();
        let mut signed = Vec::new();
        if let Some(r) = proposal.root.as_mut() {
            if may_sign_root(old_root.as_ref(), &r.signed, &key_id) {
                r.sign_with(key);
                signed.push(Subject::Root(r.signed.version()));
            }
        }
        if new_root.key(&key_id).is_some() {
            proposal.snapshot.sign_with(key);
            signed.push(Subject::Snapshot(proposal.snapshot.signed.version()));
        }
        self.conclude(proposal, key_id, signed, old_root, new_root)
    }

    /// Discards what is staged (a change governance decided against), with the signatures it
    /// collected; the published registry is untouched. Entry files the change wrote stay: they
    /// are named by their digest and nothing points at them. Refuses while nothing is published,
    /// since root 1 is then all there is (delete the folder to start over).
    pub fn discard(&self) -> Result<Discarded, StoreError> {
        let _lock = self.lock()?;
        let current = self.current()?;
        let proposal = self
            .live_proposal(current.as_ref())?
            .ok_or(StoreError::NothingStaged)?;
        if current.is_none() {
            return Err(StoreError::NotPublished);
        }
        durable::remove_durable(&self.path.join(PROPOSAL_FILE), PROPOSAL_FILE)?;
        Ok(Discarded {
            snapshot_version: proposal.snapshot.signed.version(),
            root_version: proposal.root.as_ref().map(|r| r.signed.version()),
            signatures: proposal.snapshot.signatures.len()
                + proposal.root.as_ref().map_or(0, |r| r.signatures.len()),
        })
    }

    /// Attaches a key holder's signatures made away from the folder (see [`super::detached`]),
    /// then publishes the proposal when every threshold it needs is met. Refuses, changing
    /// nothing, a signature made on another proposal than the one staged, a signature that does
    /// not verify under the key it names, and a file from a key that may sign nothing staged.
    pub fn attach(&self, detached: &DetachedSignatures) -> Result<SignReport, StoreError> {
        let _lock = self.lock()?;
        let (mut proposal, old_root, new_root) = self.staged_for_signing()?;
        let key_id = detached.key_id;
        let mut signed = Vec::new();
        match (&mut proposal.root, &detached.root) {
            (Some(r), Some(sig)) => {
                let subject = Subject::Root(r.signed.version());
                if !sig.is_on(r.signed.version(), &r.signed) {
                    return Err(StoreError::StaleSignature {
                        key_id,
                        subject,
                        signed: Subject::Root(sig.version),
                    });
                }
                if may_sign_root(old_root.as_ref(), &r.signed, &key_id) {
                    let key = [old_root.as_ref(), Some(&r.signed)]
                        .into_iter()
                        .flatten()
                        .find_map(|root| root.key(&key_id))
                        .map(|k| k.public_key);
                    let message = r.signed.signing_bytes();
                    if !key.is_some_and(|k| k.verifies(&message, &sig.signature)) {
                        return Err(StoreError::BadSignature { key_id, subject });
                    }
                    r.add_signature(sig.key_signature(key_id));
                    signed.push(subject);
                }
            }
            (None, Some(sig)) => {
                return Err(StoreError::StaleSignature {
                    key_id,
                    subject: Subject::Snapshot(proposal.snapshot.signed.version()),
                    signed: Subject::Root(sig.version),
                });
            }
            (_, None) => {}
        }
        let snapshot = &mut proposal.snapshot;
        let subject = Subject::Snapshot(snapshot.signed.version());
        if !detached
            .snapshot
            .is_on(snapshot.signed.version(), &snapshot.signed)
        {
            return Err(StoreError::StaleSignature {
                key_id,
                subject,
                signed: Subject::Snapshot(detached.snapshot.version),
            });
        }
        if let Some(k) = new_root.key(&key_id) {
            let message = snapshot.signed.signing_bytes();
            if !k
                .public_key
                .verifies(&message, &detached.snapshot.signature)
            {
                return Err(StoreError::BadSignature { key_id, subject });
            }
            snapshot.add_signature(detached.snapshot.key_signature(key_id));
            signed.push(subject);
        }
        self.conclude(proposal, key_id, signed, old_root, new_root)
    }

    /// What a signer signs (the caller holds the lock): the live proposal, checked against the
    /// published registry and its entries, with the roots its signatures answer to.
    fn staged_for_signing(&self) -> Result<(Proposal, Option<Root>, Root), StoreError> {
        let current = self.current()?;
        let proposal = self
            .live_proposal(current.as_ref())?
            .ok_or(StoreError::NothingStaged)?;
        self.check_proposal(current.as_ref(), &proposal)?;
        let (old_root, new_root) = signing_roots(current.as_ref(), &proposal)?;
        Ok((proposal, old_root, new_root))
    }

    /// Writes the newly signed proposal, counts every threshold, and publishes when all are met.
    fn conclude(
        &self,
        proposal: Proposal,
        key_id: KeyId,
        signed: Vec<Subject>,
        old_root: Option<Root>,
        new_root: Root,
    ) -> Result<SignReport, StoreError> {
        if signed.is_empty() {
            return Err(StoreError::NotInvolved {
                key_id,
                published_root: old_root.as_ref().map(Root::version),
                staged_root: proposal.root.as_ref().map(|r| r.signed.version()),
            });
        }
        self.write_proposal(&proposal)?;

        let snapshot_tally = new_root.authority().tally(
            &proposal.snapshot.signed.signing_bytes(),
            &proposal.snapshot.signatures,
        );
        let root_tallies = proposal.root.as_ref().map(|r| {
            let message = r.signed.signing_bytes();
            let by_old = old_root
                .as_ref()
                .map(|o| o.authority().tally(&message, &r.signatures));
            (by_old, r.signed.authority().tally(&message, &r.signatures))
        });
        let complete = snapshot_tally.is_met()
            && root_tallies.as_ref().is_none_or(|(by_old, by_new)| {
                by_new.is_met() && by_old.as_ref().is_none_or(Tally::is_met)
            });
        if complete {
            self.publish(&proposal, new_root.version())?;
        }
        Ok(SignReport {
            key_id,
            signed,
            snapshot_version: proposal.snapshot.signed.version(),
            root_version: proposal.root.as_ref().map(|r| r.signed.version()),
            snapshot_tally,
            root_tallies,
            published: complete,
        })
    }

    /// Verifies the published registry for a client that trusts `trust`, judging expiry at `now`.
    /// Returns the verified registry and the client's new trust state (newer root, newest snapshot
    /// seen), which the client should store.
    pub fn verify(
        &self,
        trust: &TrustState,
        now: Timestamp,
    ) -> Result<(VerifiedRegistry, TrustState), VerifyError> {
        self.verify_inner(trust, Some(now))
    }

    /// Reads root document `version`.
    pub fn read_root(&self, version: Version) -> Result<Signed<Root>, DocumentError> {
        let rel = format!("{ROOT_DIR}/{version}.json");
        let root: Signed<Root> = self.read_doc(&rel, "root document", MAX_DOCUMENT_BYTES)?;
        if root.signed.version() != version {
            return Err(misplaced(
                &rel,
                format!("holds root {}, not root {version}", root.signed.version()),
            ));
        }
        Ok(root)
    }

    /// Reads the current published version without verifying it (for display); `None` when
    /// nothing is published yet.
    pub fn published(&self) -> Result<Option<Published>, VerifyError> {
        let Some(pointer) = self.read_pointer()? else {
            return Ok(None);
        };
        let root = self.read_root(pointer.root_version)?;
        let snapshot = self.read_snapshot(pointer.snapshot_version)?;
        let entries = self.read_manifest_entries(pointer.snapshot_version, None)?;
        Ok(Some(Published {
            pointer,
            root,
            snapshot,
            entries,
        }))
    }

    /// Reads the staged proposal, if any (it may be stale: older than what is published).
    pub fn proposal(&self) -> Result<Option<Proposal>, DocumentError> {
        if !self.path.join(PROPOSAL_FILE).exists() {
            return Ok(None);
        }
        self.read_doc(PROPOSAL_FILE, "proposal", MAX_LIST_BYTES)
            .map(Some)
    }

    /// Reads entry documents by digest, in the order given, checking each against its name.
    pub fn read_entries(&self, digests: &[Digest]) -> Result<Vec<Entry>, VerifyError> {
        digests
            .iter()
            .map(|d| {
                let rel = format!("{ENTRY_DIR}/{d}.json");
                let entry: Entry = self.read_doc(&rel, "entry document", MAX_DOCUMENT_BYTES)?;
                let actual = entry.digest();
                if actual != *d {
                    return Err(VerifyError::EntryTampered {
                        path: rel,
                        actual: actual.to_string(),
                    });
                }
                Ok(entry)
            })
            .collect()
    }

    fn verify_inner(
        &self,
        trust: &TrustState,
        expiry: Option<Timestamp>,
    ) -> Result<(VerifiedRegistry, TrustState), VerifyError> {
        let pointer = self.read_pointer()?.ok_or(VerifyError::Unpublished)?;
        let trusted = trust.root().version();
        if pointer.root_version < trusted {
            return Err(VerifyError::RootRollback {
                trusted,
                found: pointer.root_version,
            });
        }
        let mut state = trust.clone();
        while state.root().version() < pointer.root_version {
            let next = state
                .root()
                .version()
                .next()
                .map_err(|e| misplaced(POINTER_FILE, e.to_string()))?;
            state = state.with_root(self.read_root(next)?)?;
        }
        let v = pointer.snapshot_version;
        let snapshot = self.read_snapshot(v)?;
        let verified = state.check_snapshot_inner(&snapshot, expiry)?;
        let entries = self.read_manifest_entries(v, Some(&verified))?;
        let registry = verified.check_entries(entries)?;
        let state = state.after_registry(&registry);
        Ok((registry, state))
    }

    fn read_pointer(&self) -> Result<Option<Pointer>, DocumentError> {
        if !self.path.join(POINTER_FILE).exists() {
            return Ok(None);
        }
        let pointer: Pointer =
            self.read_doc(POINTER_FILE, "registry pointer", MAX_DOCUMENT_BYTES)?;
        if pointer.format != FORMAT {
            return Err(misplaced(
                POINTER_FILE,
                format!("has format `{}`, expected `{FORMAT}`", pointer.format),
            ));
        }
        Ok(Some(pointer))
    }

    fn read_snapshot(&self, version: Version) -> Result<Signed<Snapshot>, DocumentError> {
        let rel = format!("{SNAPSHOT_DIR}/{version}.json");
        let s: Signed<Snapshot> = self.read_doc(&rel, "snapshot", MAX_DOCUMENT_BYTES)?;
        if s.signed.version() != version {
            return Err(misplaced(
                &rel,
                format!(
                    "holds snapshot {}, not snapshot {version}",
                    s.signed.version()
                ),
            ));
        }
        Ok(s)
    }

    /// Reads the entries of snapshot `version`; when `verified` is given, first checks that the
    /// manifest lists as many entries as it signs.
    fn read_manifest_entries(
        &self,
        version: Version,
        verified: Option<&VerifiedSnapshot>,
    ) -> Result<EntrySet, VerifyError> {
        let rel = format!("{MANIFEST_DIR}/{version}.json");
        let manifest: Manifest = self.read_doc(&rel, "manifest", MAX_LIST_BYTES)?;
        if manifest.version != version {
            return Err(misplaced(
                &rel,
                format!(
                    "lists the entries of version {}, not {version}",
                    manifest.version
                ),
            )
            .into());
        }
        if let Some(v) = verified {
            v.check_entry_count(manifest.entries.len() as u64)?;
        }
        let entries = self.read_entries(&manifest.entries)?;
        EntrySet::in_tree_order(entries).map_err(|source| VerifyError::Entries { version, source })
    }

    fn read_doc<T: FromJson>(
        &self,
        rel: &str,
        what: &'static str,
        limit: u64,
    ) -> Result<T, DocumentError> {
        let err = |problem| DocumentError {
            path: rel.to_string(),
            problem,
        };
        let full = self.path.join(rel);
        let bytes = crate::input_file::read_input(&full, what, limit)
            .map_err(|e| DocumentError::from_input(rel.to_string(), e))?;
        govproof_core::json::from_slice(&bytes).map_err(|e| {
            err(DocumentProblem::Malformed {
                what,
                detail: e.to_string(),
            })
        })
    }

    fn lock(&self) -> Result<WriteLock, StoreError> {
        let path = self.path.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| IoError::new("open", &path, e))?;
        file.lock().map_err(|e| IoError::new("lock", &path, e))?;
        for d in DIRS {
            let dir = self.path.join(d);
            durable::create_dir_durable(&dir)?;
            durable::remove_stale_temp_files(&dir)?;
        }
        durable::remove_stale_temp_files(&self.path)?;
        Ok(WriteLock { _file: file })
    }

    /// The published registry, verified against its own root chain (expiry left out: writers must
    /// be able to replace an expired snapshot).
    fn current(&self) -> Result<Option<Current>, StoreError> {
        if self.read_pointer()?.is_none() {
            return Ok(None);
        }
        let first = self.read_root(Version::FIRST)?;
        let trust = TrustState::bootstrap(first).map_err(StoreError::Inconsistent)?;
        let (registry, trust) = self
            .verify_inner(&trust, None)
            .map_err(StoreError::Inconsistent)?;
        Ok(Some(Current { trust, registry }))
    }

    /// The proposal, unless it is stale (already published, left behind by a crash).
    fn live_proposal(&self, current: Option<&Current>) -> Result<Option<Proposal>, StoreError> {
        let Some(p) = self.proposal()? else {
            return Ok(None);
        };
        let stale = current.is_some_and(|c| {
            p.snapshot.signed.version() <= c.registry.snapshot().snapshot().version()
        });
        if stale {
            durable::remove_durable(&self.path.join(PROPOSAL_FILE), PROPOSAL_FILE)?;
            return Ok(None);
        }
        Ok(Some(p))
    }

    /// Checks that a proposal follows the published registry and that its entries hash to its
    /// snapshot; returns those entries.
    fn check_proposal(
        &self,
        current: Option<&Current>,
        p: &Proposal,
    ) -> Result<EntrySet, StoreError> {
        let bad = |m: String| StoreError::StagedInconsistent(m);
        let expected = match current {
            Some(c) => c.registry.snapshot().snapshot().version().next()?,
            None => Version::FIRST,
        };
        let found = p.snapshot.signed.version();
        if found != expected {
            return Err(bad(format!(
                "it stages snapshot {found}, expected {expected}"
            )));
        }
        if let Some(r) = &p.root {
            let expected = match current {
                Some(c) => c.trust.root().version().next()?,
                None => Version::FIRST,
            };
            if r.signed.version() != expected {
                return Err(bad(format!(
                    "it stages root {}, expected {expected}",
                    r.signed.version()
                )));
            }
        }
        let entries = self
            .read_entries(&p.entries)
            .map_err(|e| bad(e.to_string()))?;
        let set = EntrySet::in_tree_order(entries).map_err(|e| bad(e.to_string()))?;
        let s = &p.snapshot.signed;
        if set.len() as u64 != s.entry_count() || set.tree().root() != s.merkle_root() {
            return Err(bad(format!(
                "its entries do not hash to the merkle root {} it stages",
                s.merkle_root()
            )));
        }
        Ok(set)
    }

    /// What a change builds on: the live proposal's entries if one is staged, else the published
    /// entries.
    fn base_for_change(&self) -> Result<(Option<Current>, Option<Proposal>, EntrySet), StoreError> {
        let current = self.current()?;
        let proposal = self.live_proposal(current.as_ref())?;
        let base = match (&proposal, &current) {
            (Some(p), _) => self.check_proposal(current.as_ref(), p)?,
            (None, Some(c)) => c.registry.entries().clone(),
            (None, None) => return Err(StoreError::NotARegistry(self.path.clone())),
        };
        Ok((current, proposal, base))
    }

    fn stage(
        &self,
        current: Option<&Current>,
        previous: Option<Proposal>,
        new_root: Option<Signed<Root>>,
        entries: EntrySet,
        snapshot_lifetime: TimeSpan,
        now: Timestamp,
    ) -> Result<Staged, StoreError> {
        let version = match current {
            Some(c) => c.registry.snapshot().snapshot().version().next()?,
            None => Version::FIRST,
        };
        let snapshot = Snapshot::of(version, &entries, now, now.checked_add(snapshot_lifetime)?)?;
        let dropped_signatures = previous.as_ref().map_or(0, |p| p.snapshot.signatures.len());
        let root = new_root.or(previous.and_then(|p| p.root));
        let proposal = Proposal {
            root,
            snapshot: Signed::unsigned(snapshot),
            entries: entries.digests(),
            changes: Some(Changes::between(
                current.map(|c| {
                    (
                        c.registry.snapshot().snapshot().version(),
                        c.registry.entries(),
                    )
                }),
                &entries,
            )),
        };
        self.write_proposal(&proposal)?;
        Ok(Staged {
            snapshot_version: version,
            root_version: proposal.root.as_ref().map(|r| r.signed.version()),
            entry_count: entries.len() as u64,
            merkle_root: proposal.snapshot.signed.merkle_root(),
            dropped_signatures,
        })
    }

    fn publish(&self, p: &Proposal, root_version: Version) -> Result<(), StoreError> {
        let v = p.snapshot.signed.version();
        if let Some(r) = &p.root {
            self.write_json(&format!("{ROOT_DIR}/{}.json", r.signed.version()), r)?;
        }
        let manifest = Manifest {
            version: v,
            entries: p.entries.clone(),
        };
        self.write_json(&format!("{MANIFEST_DIR}/{v}.json"), &manifest)?;
        self.write_json(&format!("{SNAPSHOT_DIR}/{v}.json"), &p.snapshot)?;
        let pointer = Pointer {
            format: FORMAT.to_string(),
            root_version,
            snapshot_version: v,
        };
        self.write_json(POINTER_FILE, &pointer)?;
        durable::remove_durable(&self.path.join(PROPOSAL_FILE), PROPOSAL_FILE)?;
        Ok(())
    }

    fn write_entry(&self, entry: &Entry) -> Result<(), StoreError> {
        self.write_json(&format!("{ENTRY_DIR}/{}.json", entry.digest()), entry)
    }

    fn write_proposal(&self, p: &Proposal) -> Result<(), StoreError> {
        durable::create_dir_durable(&self.path.join(STAGED_DIR))?;
        self.write_json(PROPOSAL_FILE, p)
    }

    /// Writes a document as pretty JSON (the signed bytes are its canonical form, not the file).
    fn write_json<T: Serialize>(&self, rel: &str, value: &T) -> Result<(), StoreError> {
        let mut text = serde_json::to_string_pretty(value)
            .unwrap_or_else(|e| unreachable!("registry documents always serialize: {e}"));
        text.push('\n');
        durable::write_atomic(
            &self.path.join(rel),
            rel,
            text.as_bytes(),
            DOCUMENT_MODE,
            Replace::Allow,
        )?;
        Ok(())
    }
}

fn misplaced(rel: &str, problem: String) -> DocumentError {
    DocumentError {
        path: rel.to_string(),
        problem: DocumentProblem::Misplaced(problem),
    }
}
