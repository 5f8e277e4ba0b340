//! The one-time import of the former JSON Lines decision log (`decisions.jsonl`, see [`crate::log`])
//! into the database: nothing the old log holds may be lost when the service moves to a database.
//!
//! The chain is checked first (a broken log is refused whole, before anything is written). Each
//! entry is then appended in its order, with a transparency-log entry for its bundle as logged
//! (re-encoded compactly, which is the form the service stores and returns) and its recorded time
//! as `logged_at`. Openings were never logged, so none is imported. A database that already holds
//! any of the log's decisions is refused before anything is written, so the import cannot run
//! twice or interleave with a live log's own decisions by accident.

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use govproof::registry::Timestamp;
use govproof::translog::LogEntry;

use crate::log::verify_file;
use crate::store::{DatabaseUrl, NewDecision};

/// Imports the log at `path` into `database`; the number of decisions imported.
pub fn import_jsonl(path: &Path, database: &DatabaseUrl) -> anyhow::Result<u64> {
    let (entries, report) = verify_file(path)?;
    if report.torn_bytes > 0 {
        eprintln!(
            "`{}`: ignoring {} bytes of a torn final write (never acknowledged)",
            path.display(),
            report.torn_bytes
        );
    }
    let mut records = Vec::with_capacity(entries.len());
    for (entry, receipt) in &entries {
        let bundle = serde_json::to_string(&entry.bundle)?;
        // The old log kept milliseconds; log entries keep whole seconds.
        let logged_at = chrono::DateTime::parse_from_rfc3339(&entry.recorded_at)
            .ok()
            .and_then(|t| u64::try_from(t.timestamp()).ok())
            .and_then(|secs| Timestamp::from_unix(secs).ok())
            .ok_or_else(|| {
                anyhow!(
                    "entry {}: recorded at `{}`, not an RFC 3339 time",
                    receipt.seq,
                    entry.recorded_at
                )
            })?;
        let log_entry = LogEntry::for_bundle(bundle.as_bytes(), logged_at)
            .with_context(|| format!("entry {} (`{}`)", receipt.seq, entry.decision_id))?;
        records.push(NewDecision {
            decision_id: entry.decision_id.clone(),
            logged_at: log_entry.logged_at.to_rfc3339(),
            log_entry: log_entry.canonical_bytes(),
            leaf_hash: log_entry.leaf_hash(),
            bundle,
            opening: None,
        });
    }
    let mut store = database.open()?;
    for r in &records {
        if store.get(r.decision_id.as_str())?.is_some() {
            bail!(
                "`{}` already holds decision `{}`: nothing imported",
                store.describe(),
                r.decision_id
            );
        }
    }
    for r in &records {
        store.append(r)?;
    }
    Ok(records.len() as u64)
}
