//! The service's side of the transparency log (`govproof::translog`): the Merkle tree of every
//! logged decision's leaf hash, kept in memory and caught up from the database before each answer
//! (so replicas sharing one database serve one log), checkpoints signed with the service's
//! ed25519 key and stored (one per size, the same note from every replica), inclusion and
//! consistency proofs.

use std::path::Path;
use std::sync::Mutex;

use ed25519_dalek::SigningKey;
use govproof::registry::Timestamp;
use govproof::translog::{Checkpoint, Hash, LogError, SignedCheckpoint, Tree};
use serde::Serialize;

use crate::store::{Store, StoreError};

/// What a log request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum TransparencyError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A size or index outside the log.
    #[error("{0}")]
    Range(LogError),
    /// The stored checkpoint does not read (the database was changed by hand).
    #[error("the stored checkpoint of size {size} does not read: {why}")]
    Checkpoint {
        /// Its size.
        size: u64,
        /// Why.
        why: String,
    },
}

/// The service's log key: its name in checkpoint notes and the secret key.
pub struct LogKey {
    /// The key name (and the log's origin).
    pub name: String,
    /// The secret key.
    pub key: SigningKey,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LogKey({}, public {})",
            self.name,
            hex::encode(self.key.verifying_key().as_bytes())
        )
    }
}

impl LogKey {
    /// Reads the 32-byte secret key (64 hex digits) at `path`, or creates one there (mode 0600)
    /// when there is none. Creation is atomic: replicas starting at once end up with one key.
    pub fn load_or_create(path: &Path, name: &str) -> anyhow::Result<LogKey> {
        use anyhow::Context;
        if !path.exists() {
            let mut secret = [0u8; 32];
            getrandom::getrandom(&mut secret)
                .map_err(|e| anyhow::anyhow!("no random bytes for the log key: {e}"))?;
            let dir = path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            let tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("cannot write in `{}`", dir.display()))?;
            std::fs::write(tmp.path(), format!("{}\n", hex::encode(secret)))
                .and_then(|()| tmp.as_file().sync_all())
                .with_context(|| format!("cannot write the log key `{}`", path.display()))?;
            // A key that another replica wrote first wins; ours is dropped with `tmp`.
            let _ = tmp.persist_noclobber(path);
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the log key `{}`", path.display()))?;
        let mut secret = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut secret).map_err(|_| {
            anyhow::anyhow!("the log key `{}` is not 64 hex digits", path.display())
        })?;
        Ok(LogKey {
            name: name.to_string(),
            key: SigningKey::from_bytes(&secret),
        })
    }
}

/// Seconds between two checkpoints of a growing log (a checkpoint's time is in whole seconds).
pub const CHECKPOINT_INTERVAL_SECS: u64 = 1;

/// The log as this replica sees it.
pub struct TransparencyLog {
    key: LogKey,
    tree: Mutex<Tree>,
}

impl std::fmt::Debug for TransparencyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TransparencyLog({:?})", self.key)
    }
}

/// `GET /decisions/{id}/inclusion[?size=N]`, in the shape `docs/transparency-log.md` gives
/// (`index`, `size`, `entry`, `proof`), plus the decision id and the leaf hash for readers.
#[derive(Debug, Serialize)]
pub struct InclusionAnswer {
    /// Its leaf's index.
    pub index: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// The log entry whose canonical bytes the leaf hashes.
    pub entry: serde_json::Value,
    /// The decision.
    pub decision_id: String,
    /// The leaf hash.
    #[serde(with = "govproof::translog::hex_hash")]
    pub leaf_hash: Hash,
    /// The audit path, leaf to root.
    #[serde(with = "govproof::translog::hex_hashes")]
    pub proof: Vec<Hash>,
}

/// `GET /log/consistency?from=&to=`.
#[derive(Debug, Serialize)]
pub struct ConsistencyAnswer {
    /// The old size.
    pub from: u64,
    /// The new size.
    pub to: u64,
    /// The proof.
    #[serde(with = "govproof::translog::hex_hashes")]
    pub proof: Vec<Hash>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TransparencyLog {
    /// The log of what `store` holds, signed with `key`.
    pub fn open(key: LogKey, store: &mut dyn Store) -> Result<TransparencyLog, StoreError> {
        let tree = Tree::from_leaves(store.leaves_from(0)?);
        Ok(TransparencyLog {
            key,
            tree: Mutex::new(tree),
        })
    }

    /// The verifier's public key.
    pub fn public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.key.key.verifying_key()
    }

    /// The key's name (the log's origin).
    pub fn name(&self) -> &str {
        &self.key.name
    }

    /// Loads the leaves other replicas (or this one) appended since the last look; the size.
    pub fn catch_up(&self, store: &mut dyn Store) -> Result<u64, StoreError> {
        let mut tree = lock(&self.tree);
        for leaf in store.leaves_from(tree.size())? {
            tree.push(leaf);
        }
        Ok(tree.size())
    }

    /// Entries loaded (without asking the database).
    pub fn size(&self) -> u64 {
        lock(&self.tree).size()
    }

    /// The newest signed checkpoint: the stored one of the current size if one was issued for
    /// it already (by any replica); else the newest stored one if it was signed less than
    /// [`CHECKPOINT_INTERVAL_SECS`] ago (so a busy log signs and stores at most one checkpoint
    /// per interval, whatever the number of requests); else a new one over the current size,
    /// signed now and stored.
    pub fn checkpoint(&self, store: &mut dyn Store) -> Result<String, TransparencyError> {
        let size = self.catch_up(store)?;
        if let Some(note) = store.stored_checkpoint(size)? {
            return Ok(note);
        }
        if let Some(latest) = store.latest_checkpoint()? {
            let recent = SignedCheckpoint::parse(&latest).is_ok_and(|c| {
                c.checkpoint.size <= size
                    && c.checkpoint.time.unix() + CHECKPOINT_INTERVAL_SECS > Timestamp::now().unix()
            });
            if recent {
                return Ok(latest);
            }
        }
        let root = lock(&self.tree)
            .root_at(size)
            .map_err(TransparencyError::Range)?;
        let note = Checkpoint {
            origin: self.key.name.clone(),
            size,
            root,
            time: Timestamp::now(),
        }
        .try_sign(&self.key.key, &self.key.name)
        .map_err(|e| TransparencyError::Checkpoint {
            size,
            why: e.to_string(),
        })?
        .to_note();
        Ok(store.checkpoint(size, &root, &note)?)
    }

    /// The stored checkpoint of `size`, parsed.
    pub fn stored(
        &self,
        store: &mut dyn Store,
        size: u64,
    ) -> Result<Option<SignedCheckpoint>, TransparencyError> {
        store
            .stored_checkpoint(size)?
            .map(|n| {
                SignedCheckpoint::parse(&n).map_err(|e| TransparencyError::Checkpoint {
                    size,
                    why: e.to_string(),
                })
            })
            .transpose()
    }

    /// The inclusion proof of the decision `id` in the tree of `size` (default: the newest
    /// checkpoint's size, as `docs/transparency-log.md` says); `None` if the decision is not
    /// logged.
    pub fn inclusion(
        &self,
        store: &mut dyn Store,
        id: &str,
        size: Option<u64>,
    ) -> Result<Option<InclusionAnswer>, TransparencyError> {
        let Some(decision) = store.get(id)? else {
            return Ok(None);
        };
        let tree_size = match size {
            Some(size) => {
                self.catch_up(store)?;
                size
            }
            None => {
                let note = self.checkpoint(store)?;
                SignedCheckpoint::parse(&note)
                    .map_err(|e| TransparencyError::Checkpoint {
                        size: 0,
                        why: e.to_string(),
                    })?
                    .checkpoint
                    .size
            }
        };
        let proof = lock(&self.tree)
            .inclusion_proof(decision.log_index, tree_size)
            .map_err(TransparencyError::Range)?;
        let entry = serde_json::from_slice(&decision.log_entry)
            .map_err(|e| StoreError::Corrupt(format!("the log entry of `{id}`: {e}")))?;
        Ok(Some(InclusionAnswer {
            decision_id: decision.decision_id,
            index: decision.log_index,
            size: tree_size,
            leaf_hash: decision.leaf_hash,
            entry,
            proof,
        }))
    }

    /// The entries of indexes `start..end` as JSON Lines (the dump `govproof log verify
    /// --entries` reads); `end` at most the log's size.
    pub fn entries(
        &self,
        store: &mut dyn Store,
        start: u64,
        end: u64,
    ) -> Result<String, TransparencyError> {
        let size = self.catch_up(store)?;
        if start > end || end > size {
            return Err(TransparencyError::Range(LogError::SizeBeyondTree {
                size: end.max(start),
                tree_size: size,
            }));
        }
        let mut out = String::new();
        for entry in store.entries(start, end)? {
            out.push_str(&String::from_utf8_lossy(&entry));
            out.push('\n');
        }
        Ok(out)
    }

    /// The consistency proof between the trees of sizes `from` and `to`.
    pub fn consistency(
        &self,
        store: &mut dyn Store,
        from: u64,
        to: u64,
    ) -> Result<ConsistencyAnswer, TransparencyError> {
        self.catch_up(store)?;
        let proof = lock(&self.tree)
            .consistency_proof(from, to)
            .map_err(TransparencyError::Range)?;
        Ok(ConsistencyAnswer { from, to, proof })
    }
}
