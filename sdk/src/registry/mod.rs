//! The signed model registry: which model versions governance approved, as a Merkle tree whose
//! root the proofs commit to, published in snapshots signed by a threshold of governance keys.
//!
//! The design follows The Update Framework (TUF) and defends against what it defends against:
//! a root of trust that rotates only with the old and the new threshold ([`root`], [`trust`]);
//! snapshots valid once `k` distinct trusted keys signed them ([`threshold`], the one place that
//! counts signatures); expiry judged at a time the caller passes in; rollback, fork and
//! mix-and-match detection ([`trust`]); crash-safe, lock-serialized storage in a folder with one
//! file per document ([`store`], [`durable`]). The encoding that signatures cover is canonical JSON
//! behind a domain tag ([`canonical`]). `docs/registry.md` explains the choices.
//!
//! Layering, bottom up: [`time`], [`names`], [`keys`], [`canonical`] → [`document`], [`threshold`]
//! → [`entry`], [`root`], [`snapshot`] → [`trust`] (verification) → [`store`] (the folder) →
//! [`cli`] (the `govproof registry` and `govproof keygen` commands). Everything up to [`trust`]'s
//! checks is `govproof-core`'s (re-exported here); the files (folder, key files, trust state
//! file, [`durable`] writes) are the SDK's.

// The verification side lives in `govproof-core`; these paths are the ones it always had.
pub use govproof_core::registry::{canonical, entry, io, names, root, snapshot, threshold, time};

pub mod detached;
pub mod document;
pub mod durable;
pub mod keys;
pub mod store;
pub mod trust;

pub use document::{Signed, Version};
pub use entry::{Entry, EntryDraft, Scope, Status};
pub use keys::{KeyId, PublicKey, SecretKey, SecretKeyFile};
pub use root::{Root, RootKey};
pub use snapshot::{EntrySet, Membership, Snapshot, TREE_DEPTH};
pub use store::RegistryDir;
pub use time::{TimeSpan, Timestamp};
pub use trust::{TrustState, TrustStateFile, VerifiedRegistry, VerifiedSnapshot, VerifyError};
