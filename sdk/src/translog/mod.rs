//! The decision service's transparency log: an RFC 9162 Merkle tree of one entry per decision,
//! signed checkpoints (C2SP `tlog-checkpoint` as a C2SP `signed-note`), inclusion proofs per
//! decision and consistency proofs between checkpoints.
//!
//! Pure: no file system, no network, no prover. The service keeps the leaf hashes in its database
//! and loads them into a [`Tree`]; the regulator's `govproof log verify` checks what the service
//! serves with [`verify_inclusion`], [`verify_consistency`] and [`SignedCheckpoint::verify`]. The
//! formats and the HTTP shapes are in `docs/transparency-log.md`.

mod entry;
mod note;
mod tree;
mod wire;

/// The ed25519 key types checkpoints are signed and checked with.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use entry::{hex_hash, hex_hashes, LogEntry};
pub use note::{
    key_id, parse_verifier_key, verifier_key, Checkpoint, NoteSignature, SignedCheckpoint,
    MAX_NOTE_BYTES, MAX_SIGNATURES,
};
pub use tree::{
    empty_root, leaf_hash, node_hash, verify_consistency, verify_inclusion, Hash, Tree,
};
pub use wire::{ConsistencyResponse, InclusionResponse};

use crate::bundle::BundleError;

/// Why a log operation or check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A leaf index at or past the tree size.
    #[error("index {index} is not in a tree of {size} entries")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A size larger than the tree holds.
    #[error("size {size} is larger than the log's {tree_size} entries")]
    SizeBeyondTree {
        /// The size asked for.
        size: u64,
        /// The tree's size.
        tree_size: u64,
    },
    /// A consistency proof asked from a larger size to a smaller one.
    #[error("the old size {old_size} is larger than the new size {new_size}")]
    SizesOutOfOrder {
        /// The old size.
        old_size: u64,
        /// The new size.
        new_size: u64,
    },
    /// An inclusion proof that does not lead to the root.
    #[error(
        "the inclusion proof of index {index} does not lead to the root of the {size}-entry tree"
    )]
    InclusionFailed {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof that does not join the two roots.
    #[error(
        "the consistency proof from size {old_size} to {new_size} does not join the two roots"
    )]
    ConsistencyFailed {
        /// The old size.
        old_size: u64,
        /// The new size.
        new_size: u64,
    },
    /// A bundle that could not be read.
    #[error("the bundle is not readable: {0}")]
    Bundle(BundleError),
    /// A log entry that could not be read.
    #[error("not a log entry: {0}")]
    Entry(String),
    /// A note that is not a checkpoint note.
    #[error("not a checkpoint note: {0}")]
    Note(String),
    /// An origin that cannot stand in a note.
    #[error("`{0}` is not a log origin (one line of printable text, no surrounding space)")]
    Origin(String),
    /// A key name that cannot stand in a note.
    #[error("`{0}` is not a key name (no spaces, no `+`)")]
    KeyName(String),
    /// A verifier key text that does not read.
    #[error("not a verifier key: {0}")]
    VerifierKey(String),
    /// The note's signature line is by another key.
    #[error("the checkpoint is signed by key `{key_name}` with an id that is not the given key's")]
    UnknownKey {
        /// The key name on the note.
        key_name: String,
    },
    /// The signature does not verify.
    #[error("the signature of key `{key_name}` on the checkpoint does not verify")]
    BadSignature {
        /// The key name on the note.
        key_name: String,
    },
}

#[cfg(test)]
mod tests;
