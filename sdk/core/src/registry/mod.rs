//! The signed model registry's verification side: which model versions governance approved, as a
//! Merkle tree whose root the proofs commit to, published in snapshots signed by a threshold of
//! governance keys, and the checks a verifier runs on them.
//!
//! The design follows The Update Framework (TUF) and defends against what it defends against:
//! a root of trust that rotates only with the old and the new threshold ([`root`], [`trust`]);
//! snapshots valid once `k` distinct trusted keys signed them ([`threshold`], the one place that
//! counts signatures); expiry judged at a time the caller passes in; rollback, fork and
//! mix-and-match detection ([`trust`]). The encoding that signatures cover is canonical JSON
//! behind a domain tag ([`canonical`]). `docs/registry.md` explains the choices.
//!
//! Layering, bottom up: [`time`], [`names`], [`keys`], [`canonical`] → [`document`], [`threshold`]
//! → [`entry`], [`root`], [`snapshot`] → [`trust`] (verification). Nothing here reads or writes
//! files: the registry folder, key files and trust state files are the SDK's
//! (`govproof::registry::{store, keys, trust}`), which report their failures as [`io::IoError`].

pub mod canonical;
pub mod document;
pub mod entry;
pub mod io;
pub mod keys;
pub mod names;
pub mod root;
pub mod snapshot;
pub mod threshold;
pub mod time;
pub mod trust;

pub use document::{Signed, Version};
pub use entry::{Entry, EntryDraft, Scope, Status};
pub use keys::{KeyId, PublicKey, SecretKey};
pub use root::{Root, RootKey};
pub use snapshot::{EntrySet, Membership, Snapshot, TREE_DEPTH};
pub use time::{TimeSpan, Timestamp};
pub use trust::{TrustState, VerifiedRegistry, VerifiedSnapshot, VerifyError};
