//! Signatures made away from the registry folder, as TUF key holders sign: on their own machine,
//! from a copy of the staged proposal, with keys that never meet the folder.
//!
//! A key holder receives a copy of `staged/proposal.json`, reads what it stages, and runs
//! `govproof registry sign --proposal COPY --key KEY --out SIG` there; the signature file goes
//! back to whoever keeps the folder, who attaches it with `govproof registry attach`. A signature
//! file names the signing key and, for each document it signs, the document's version and the
//! blake3 digest of the exact bytes signed, so that a signature made on an older proposal is
//! recognised as such when attached, instead of being silently counted or silently dropped.
//! Whether a signature counts is decided as for any other signature, by
//! [`super::threshold::Authority`] once the signature is in the proposal.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::document::{KeySignature, SignedContent, Version};
use super::entry::{Digest, Entry, Status};
use super::keys::{KeyId, SecretKey, Signature};
use super::root::Root;
use super::snapshot::{EntrySet, Snapshot};
use super::store::Proposal;
use govproof_core::json::{Error as JsonError, FromJson, Node};

/// The format tag of a signature file.
pub const FORMAT: &str = "govproof-registry-signature/v1";

/// Domain tag of the digest that names the signed bytes (not itself signed).
const DIGEST_DOMAIN: &[u8] = b"govproof/registry/signed-bytes/v1\0";

/// One key holder's signatures on a staged proposal: the snapshot, and the root when one is
/// staged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a registry signature file")]
pub struct DetachedSignatures {
    /// Always [`FORMAT`].
    pub format: String,
    /// The signing key.
    pub key_id: KeyId,
    /// The signature on the staged root, when a root was staged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<DetachedSignature>,
    /// The signature on the staged snapshot.
    pub snapshot: DetachedSignature,
}

/// A signature on one document, with what identifies the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a document signature")]
pub struct DetachedSignature {
    /// The document's version.
    pub version: Version,
    /// The blake3 digest of the bytes signed (see [`signed_bytes_digest`]).
    pub signed_bytes: Digest,
    /// The ed25519 signature over those bytes.
    pub signature: Signature,
}

impl DetachedSignature {
    fn on<T: SignedContent>(version: Version, document: &T, key: &SecretKey) -> Self {
        let bytes = document.signing_bytes();
        DetachedSignature {
            version,
            signed_bytes: signed_bytes_digest(&bytes),
            signature: key.sign(&bytes),
        }
    }

    /// Whether this signature was made on `document` (same version, same signed bytes).
    pub fn is_on<T: SignedContent>(&self, version: Version, document: &T) -> bool {
        self.version == version
            && self.signed_bytes == signed_bytes_digest(&document.signing_bytes())
    }

    /// The signature as it goes into the document's envelope.
    pub fn key_signature(&self, key_id: KeyId) -> KeySignature {
        KeySignature {
            key_id,
            signature: self.signature,
        }
    }
}

/// The digest that names the exact bytes a signature covers.
pub fn signed_bytes_digest(bytes: &[u8]) -> Digest {
    Digest::tagged(DIGEST_DOMAIN, bytes)
}

impl DetachedSignatures {
    /// Signs everything `proposal` stages with `key`: the snapshot, and the root if one is staged.
    /// Whether the key may sign them is checked when the file is attached, against the roots the
    /// registry trusts; a key holder cannot know them from the proposal alone.
    pub fn sign(proposal: &Proposal, key: &SecretKey) -> Self {
        DetachedSignatures {
            format: FORMAT.to_string(),
            key_id: key.key_id(),
            root: proposal
                .root
                .as_ref()
                .map(|r| DetachedSignature::on(r.signed.version(), &r.signed, key)),
            snapshot: DetachedSignature::on(
                proposal.snapshot.signed.version(),
                &proposal.snapshot.signed,
                key,
            ),
        }
    }
}

/// What a key holder is asked to sign, in words, for the summary printed before signing.
pub fn describe(proposal: &Proposal) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(r) = &proposal.root {
        lines.push(describe_root(&r.signed));
    }
    lines.push(describe_snapshot(&proposal.snapshot.signed));
    lines
}

fn describe_root(root: &Root) -> String {
    let keys: Vec<String> = root
        .keys()
        .iter()
        .map(|k| match &k.holder {
            Some(h) => format!("{} ({h})", k.key_id),
            None => k.key_id.to_string(),
        })
        .collect();
    format!(
        "root {}: {} of {} keys must sign [{}], valid {} to {}",
        root.version(),
        root.threshold(),
        keys.len(),
        keys.join(", "),
        root.created(),
        root.expires()
    )
}

fn describe_snapshot(s: &Snapshot) -> String {
    format!(
        "snapshot {}: {} entries, merkle root {}, issued {}, expires {}",
        s.version(),
        s.entry_count(),
        s.merkle_root(),
        s.created(),
        s.expires()
    )
}

/// What a staged proposal changes in the published registry, carried in the proposal so that a
/// key holder signing a copy away from the folder sees the entries being approved, not only their
/// count and Merkle root: the published snapshot it builds on, that snapshot's entry digests, and
/// the full document of every entry that differs (each staged entry the published snapshot lacks,
/// and each published entry no longer staged).
///
/// A key holder with only the copy can check that the list is complete with respect to the
/// digests it names (every staged digest is either in the base or has its document here), but
/// not that the base is really the published snapshot, nor that the entries hash to the staged
/// Merkle root: both need the other entries, which `govproof registry show` on a copy of the
/// folder gives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changes {
    /// The published snapshot the proposal builds on (none before the first publication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<Version>,
    /// That snapshot's entry digests, in tree order.
    pub base_entries: Vec<Digest>,
    /// The entries that differ: added or replaced, and replaced or removed.
    pub documents: Vec<Entry>,
}

/// One change, by model version.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<'a> {
    /// A model version the base does not have.
    Added(&'a Entry),
    /// An approved entry now revoked.
    Revoked {
        /// The entry as staged.
        after: &'a Entry,
    },
    /// Any other change to an entry of the base.
    Changed {
        /// The entry as published.
        before: &'a Entry,
        /// The entry as staged.
        after: &'a Entry,
    },
    /// A model version the proposal no longer has.
    Removed(&'a Entry),
}

impl FromJson for Changes {
    fn from_json(node: &Node) -> Result<Self, JsonError> {
        let o = node.object(
            "the changes of a proposal",
            &["base_version", "base_entries", "documents"],
        )?;
        Ok(Changes {
            base_version: o.optional("base_version")?,
            base_entries: o.required("base_entries")?,
            documents: o.required("documents")?,
        })
    }
}
govproof_core::deserialize_by_reader!(Changes);

impl Changes {
    /// The changes from `base` (the published snapshot's version and entries, if any) to `staged`.
    pub fn between(base: Option<(Version, &EntrySet)>, staged: &EntrySet) -> Changes {
        let base_entries = base.map_or_else(Vec::new, |(_, b)| b.digests());
        let in_base: BTreeSet<Digest> = base_entries.iter().copied().collect();
        let staged_digests: BTreeSet<Digest> = staged.digests().into_iter().collect();
        let mut documents: Vec<Entry> = staged
            .entries()
            .iter()
            .filter(|e| !in_base.contains(&e.digest()))
            .cloned()
            .collect();
        if let Some((_, b)) = base {
            documents.extend(
                b.entries()
                    .iter()
                    .filter(|e| !staged_digests.contains(&e.digest()))
                    .cloned(),
            );
        }
        Changes {
            base_version: base.map(|(v, _)| v),
            base_entries,
            documents,
        }
    }

    /// The changes, by model version in tree order, after checking that the documents are
    /// exactly the entries by which `staged` (the proposal's digests) and the base differ.
    pub fn list(&self, staged: &[Digest]) -> Result<Vec<Change<'_>>, String> {
        let base: BTreeSet<Digest> = self.base_entries.iter().copied().collect();
        let now: BTreeSet<Digest> = staged.iter().copied().collect();
        let docs: BTreeMap<Digest, &Entry> =
            self.documents.iter().map(|e| (e.digest(), e)).collect();
        let differing: BTreeSet<Digest> = base.symmetric_difference(&now).copied().collect();
        if let Some(d) = differing.iter().find(|d| !docs.contains_key(d)) {
            return Err(format!(
                "entry {d} differs from the base snapshot but its document is not in the list of changes"
            ));
        }
        if let Some(d) = docs.keys().find(|d| !differing.contains(d)) {
            return Err(format!(
                "the list of changes holds entry {d}, which does not differ from the base snapshot"
            ));
        }
        let key = |e: &Entry| (e.model_id().clone(), e.version().clone());
        let mut before: BTreeMap<_, &Entry> = BTreeMap::new();
        let mut after: BTreeMap<_, &Entry> = BTreeMap::new();
        for (d, e) in &docs {
            let side = if now.contains(d) {
                &mut after
            } else {
                &mut before
            };
            if side.insert(key(e), *e).is_some() {
                return Err(format!(
                    "the list of changes holds `{}` version `{}` twice on one side",
                    e.model_id(),
                    e.version()
                ));
            }
        }
        let keys: BTreeSet<_> = before.keys().chain(after.keys()).cloned().collect();
        Ok(keys
            .into_iter()
            .filter_map(|k| match (before.get(&k), after.get(&k)) {
                (None, Some(a)) => Some(Change::Added(a)),
                (Some(b), None) => Some(Change::Removed(b)),
                (Some(b), Some(a)) => {
                    let revoked = matches!(b.status(), Status::Approved)
                        && matches!(a.status(), Status::Revoked { .. })
                        && {
                            let mut same = a.fields().clone();
                            same.status = Status::Approved;
                            &same == b.fields()
                        };
                    Some(if revoked {
                        Change::Revoked { after: a }
                    } else {
                        Change::Changed {
                            before: b,
                            after: a,
                        }
                    })
                }
                (None, None) => None,
            })
            .collect())
    }
}

/// One line per change, then how many entries stay as they were, for a key holder to read before
/// signing; an error when the proposal's list of changes does not match its entries.
pub fn describe_changes(proposal: &Proposal) -> Result<Vec<String>, String> {
    let Some(changes) = &proposal.changes else {
        return Ok(vec![
            "this proposal does not list what it changes (it was staged by an older govproof): \
             review its entries with `govproof registry show` on a copy of the folder"
                .to_string(),
        ]);
    };
    let list = changes.list(&proposal.entries)?;
    let base = match changes.base_version {
        Some(v) => format!("published snapshot {v}"),
        None => "an empty registry".to_string(),
    };
    let mut lines = vec![format!(
        "changes from {base} ({} entries), as the proposal lists them:",
        changes.base_entries.len()
    )];
    if list.is_empty() {
        lines.push("  no entry changes".to_string());
    }
    for c in &list {
        match c {
            Change::Added(e) => {
                lines.push(format!("  adds {}", name(e)));
                lines.extend(details(e));
            }
            Change::Revoked { after } => {
                if let Status::Revoked { revoked_at, reason } = after.status() {
                    lines.push(format!(
                        "  revokes {} as of {revoked_at}: {reason}",
                        name(after)
                    ));
                }
            }
            Change::Changed { before, after } => {
                lines.push(format!(
                    "  changes {} (entry {} becomes {}); as staged:",
                    name(after),
                    before.digest(),
                    after.digest()
                ));
                lines.extend(details(after));
            }
            Change::Removed(e) => lines.push(format!("  removes {}", name(e))),
        }
    }
    let changed_base = list
        .iter()
        .filter(|c| !matches!(c, Change::Added(_)))
        .count();
    lines.push(format!(
        "  {} other entries stay as published",
        changes.base_entries.len().saturating_sub(changed_base)
    ));
    Ok(lines)
}

fn name(e: &Entry) -> String {
    format!("`{}` version `{}`", e.model_id(), e.version())
}

fn details(e: &Entry) -> Vec<String> {
    let f = e.fields();
    let scopes: Vec<String> = f.scopes.iter().map(|s| s.to_string()).collect();
    let status = match &f.status {
        Status::Approved => "approved".to_string(),
        Status::Revoked { revoked_at, reason } => format!("revoked at {revoked_at}: {reason}"),
    };
    let mut lines = vec![
        format!(
            "      {status}, valid {} to {}, scopes {}",
            f.valid_from,
            f.valid_until,
            scopes.join(", ")
        ),
        format!(
            "      profile {} (scope capacity {}), fixed-point scale {}, weights commitment {}",
            f.profile, f.scope_capacity, f.fixed_point_scale, f.weights_commitment
        ),
        format!(
            "      model file blake3 {}, approved by {} at {}{}",
            f.model_digest,
            f.approved_by,
            f.approved_at,
            if f.quantization_certificate.is_some() {
                ", with a quantization certificate"
            } else {
                ""
            }
        ),
    ];
    // What a signer vouches for when a bundle carries a key its verifier does not pin.
    if let Some(c) = &f.circuit {
        lines.push(format!(
            "      circuit bytecode blake3 {}, verification keys {}",
            c.bytecode_digest,
            c.verification_keys
                .iter()
                .map(|k| format!("{} ({}, `{}`)", k.vk_hash, k.setup.kind(), k.target))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    lines
}
