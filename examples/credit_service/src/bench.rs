//! `credit-service bench-store`: what the database and the log cost per decision, measured on
//! this machine (the figures behind `docs/scaling.md`). Not a test: it prints timings.
//!
//! - appends: `count` decisions with a bundle of realistic size (`bundle_bytes`), from
//!   `connections` threads at once, each append one transaction (index, decision, opening);
//! - the log: a tree of `tree_leaves` leaves built from scratch (what a replica does at start),
//!   one root, one inclusion proof, one consistency proof and one signed checkpoint.

use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use govproof::bundle::DecisionId;
use govproof::registry::Timestamp;
use govproof::translog::{leaf_hash, Checkpoint, Tree};

use crate::store::{DatabaseUrl, NewDecision, StoreError};

/// What was measured.
#[derive(Debug, Clone)]
pub struct StoreBench {
    /// Appends made.
    pub appends: u64,
    /// Threads (connections) appending at once.
    pub connections: usize,
    /// Decisions per transaction.
    pub batch: usize,
    /// Wall time of all appends.
    pub append_wall: Duration,
    /// Median and 99th percentile of one transaction.
    pub append_p50_p99: (Duration, Duration),
    /// Leaves in the tree.
    pub tree_leaves: u64,
    /// Building the tree from its leaves.
    pub tree_build: Duration,
    /// One root, one inclusion proof, one consistency proof, one signature.
    pub root: Duration,
    /// One inclusion proof.
    pub inclusion: Duration,
    /// One consistency proof.
    pub consistency: Duration,
    /// Signing one checkpoint.
    pub sign: Duration,
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs the measurement against `database` (which should be empty: ids are made unique by a
/// run tag, so a used one is fine too).
pub fn run(
    database: &DatabaseUrl,
    count: u64,
    connections: usize,
    batch: usize,
    bundle_bytes: usize,
    tree_leaves: u64,
) -> Result<StoreBench, StoreError> {
    let batch = batch.max(1);
    let tag = std::process::id();
    let connections = connections.max(1);
    let per = count / connections as u64;
    let bundle = format!(
        "{{\"pad\":\"{}\"}}",
        "a".repeat(bundle_bytes.saturating_sub(10))
    );
    let started = Instant::now();
    let handles: Vec<_> = (0..connections)
        .map(|t| {
            let url = database.clone();
            let bundle = bundle.clone();
            std::thread::spawn(move || -> Result<Vec<Duration>, StoreError> {
                let mut store = url.open()?;
                let mut times = Vec::new();
                let mut pending = Vec::with_capacity(batch);
                for k in 0..per {
                    let id = format!("bench-{tag}-{t}-{k}");
                    pending.push(NewDecision {
                        decision_id: DecisionId::new(&id)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        logged_at: Timestamp::now().to_rfc3339(),
                        log_entry: id.as_bytes().to_vec(),
                        leaf_hash: leaf_hash(id.as_bytes()),
                        bundle: bundle.clone(),
                        opening: Some("{\"salt\":\"0x00\"}".to_string()),
                    });
                    if pending.len() == batch || k + 1 == per {
                        let t0 = Instant::now();
                        store.append_batch(&pending)?;
                        times.push(t0.elapsed());
                        pending.clear();
                    }
                }
                Ok(times)
            })
        })
        .collect();
    let mut times = Vec::new();
    for h in handles {
        let got = h
            .join()
            .map_err(|_| StoreError::Database("a bench thread panicked".to_string()))??;
        times.extend(got);
    }
    let appends = per * connections as u64;
    let append_wall = started.elapsed();
    times.sort();

    let leaves: Vec<_> = (0..tree_leaves)
        .map(|i| leaf_hash(&i.to_be_bytes()))
        .collect();
    let t0 = Instant::now();
    let tree = Tree::from_leaves(leaves);
    let tree_build = t0.elapsed();
    let size = tree.size();
    let t0 = Instant::now();
    let root = tree.root();
    let root_time = t0.elapsed();
    let t0 = Instant::now();
    let _ = tree.inclusion_proof(size / 3, size);
    let inclusion = t0.elapsed();
    let t0 = Instant::now();
    let _ = tree.consistency_proof(size / 2, size);
    let consistency = t0.elapsed();
    let mut secret = [7u8; 32];
    let _ = getrandom::getrandom(&mut secret);
    let key = SigningKey::from_bytes(&secret);
    let t0 = Instant::now();
    let _ = Checkpoint {
        origin: "bench/decisions".to_string(),
        size,
        root,
        time: Timestamp::now(),
    }
    .sign(&key, "bench/decisions")
    .to_note();
    let sign = t0.elapsed();
    Ok(StoreBench {
        appends,
        connections,
        batch,
        append_wall,
        append_p50_p99: (pct(&times, 50.0), pct(&times, 99.0)),
        tree_leaves: size,
        tree_build,
        root: root_time,
        inclusion,
        consistency,
        sign,
    })
}

impl StoreBench {
    /// The figures as Markdown.
    pub fn to_markdown(&self, database: &str) -> String {
        let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1000.0);
        format!(
            "| measure ({database}) | value |\n| --- | --- |\n\
             | appends (index, decision, opening) | {} from {} connection(s), {} per transaction |\n\
             | appends per second, all connections | {:.0} |\n\
             | one transaction p50 / p99 | {} / {} |\n\
             | tree of {} leaves built from the database's leaf hashes | {} |\n\
             | its root | {} |\n\
             | one inclusion proof | {} |\n\
             | one consistency proof | {} |\n\
             | signing one checkpoint | {} |\n",
            self.appends,
            self.connections,
            self.batch,
            self.appends as f64 / self.append_wall.as_secs_f64().max(1e-9),
            ms(self.append_p50_p99.0),
            ms(self.append_p50_p99.1),
            self.tree_leaves,
            ms(self.tree_build),
            ms(self.root),
            ms(self.inclusion),
            ms(self.consistency),
            ms(self.sign),
        )
    }
}
