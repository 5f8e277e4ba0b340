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

use serde::{Deserialize, Serialize};

use super::document::{KeySignature, Signed, SignedContent, Version};
use super::entry::Digest;
use super::keys::{KeyId, SecretKey, Signature};
use super::root::Root;
use super::snapshot::Snapshot;
use super::store::Proposal;

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

impl<T: SignedContent> Signed<T> {
    /// Adds a signature, replacing any earlier one claiming the same key id.
    pub fn add_signature(&mut self, signature: KeySignature) {
        self.signatures.retain(|s| s.key_id != signature.key_id);
        self.signatures.push(signature);
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
