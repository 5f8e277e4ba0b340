//! The decision log: an append-only file of every decision the service returned, hash-chained so
//! that a removed, altered, reordered or inserted entry is detectable.
//!
//! Format (JSON Lines). Line `k` (from 0) is, byte for byte,
//!
//! ```text
//! {"hash":"<64 hex>","entry":<entry JSON>}\n
//! ```
//!
//! where the entry is `{"seq":k,"prev":"<64 hex>","decision_id":...,"recorded_at":...,"bundle":...}`,
//! `prev` is the previous line's hash (64 zeros for the first), and `hash` is
//! `blake3("credit-service/decision-log/v1\0" || entry bytes exactly as written)`. The entry names
//! its predecessor, so the hashes chain: changing, removing or moving any entry breaks every later
//! link. Removing entries from the end leaves a valid shorter chain; that is caught against any
//! receipt (`seq`, `hash`) the service handed out or any published head ([`DecisionLog::head`]).
//!
//! Each append is written and flushed to disk (`fdatasync`) before [`DecisionLog::append`]
//! returns, and the service answers only after that. A final line without its newline is a write
//! that a crash interrupted, never acknowledged: [`DecisionLog::open`] cuts it off and says so.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use govproof::bundle::DecisionId;

const DOMAIN: &[u8] = b"credit-service/decision-log/v1\0";
const PREFIX: &[u8] = b"{\"hash\":\"";
const MIDDLE: &[u8] = b"\",\"entry\":";
const SUFFIX: &[u8] = b"}";
/// Longest line accepted when reading (a bundle is about 20 KB).
const MAX_LINE: usize = 1 << 20;

/// A 32-byte entry hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntryHash([u8; 32]);

impl EntryHash {
    /// The hash that stands before the first entry.
    pub const GENESIS: EntryHash = EntryHash([0; 32]);

    fn of(entry: &[u8]) -> EntryHash {
        let mut h = blake3::Hasher::new();
        h.update(DOMAIN);
        h.update(entry);
        EntryHash(*h.finalize().as_bytes())
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl TryFrom<String> for EntryHash {
    type Error = String;
    fn try_from(s: String) -> Result<EntryHash, String> {
        let mut out = [0u8; 32];
        if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err("an entry hash is 64 lowercase hex digits".to_string());
        }
        hex::decode_to_slice(&s, &mut out).map_err(|e| e.to_string())?;
        Ok(EntryHash(out))
    }
}

impl From<EntryHash> for String {
    fn from(h: EntryHash) -> String {
        h.to_hex()
    }
}

/// What the service hands back for a logged decision: its place in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The entry's position (from 0).
    pub seq: u64,
    /// Its hash.
    pub hash: EntryHash,
}

/// One decision as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Position in the log, from 0.
    pub seq: u64,
    /// The previous entry's hash.
    pub prev: EntryHash,
    /// The decision.
    pub decision_id: DecisionId,
    /// When it was logged (RFC 3339, UTC).
    pub recorded_at: String,
    /// The decision's bundle.
    pub bundle: serde_json::Value,
}

/// Errors from the log. Each names the file, and a broken chain names the line (from 1).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Reading or writing failed.
    #[error("decision log `{path}`: cannot {action}: {source}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not an intact chain.
    #[error("decision log `{path}` line {line}: {reason}")]
    Broken {
        /// The log file.
        path: PathBuf,
        /// The first bad line (from 1).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The decision id is already in the log.
    #[error("decision `{0}` is already in the log")]
    Duplicate(DecisionId),
}

/// What [`DecisionLog::open`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// Entries in the chain.
    pub entries: u64,
    /// Bytes of an interrupted final write that were cut off (0 normally).
    pub torn_bytes: u64,
}

/// The log, open for appending, with an index from decision id to line.
#[derive(Debug)]
pub struct DecisionLog {
    path: PathBuf,
    file: File,
    head: Option<Receipt>,
    /// Bytes of intact entries in the file.
    bytes: u64,
    next_seq: u64,
    index: HashMap<DecisionId, (u64, usize)>,
}

/// Reads and checks every line of a log's bytes: the entries with their (offset, length), and
/// the length of a torn final line.
struct Scan {
    lines: Vec<(Entry, EntryHash, u64, usize)>,
    intact_len: u64,
    torn_bytes: u64,
}

fn broken(path: &Path, line: u64, reason: impl Into<String>) -> LogError {
    LogError::Broken {
        path: path.to_path_buf(),
        line,
        reason: reason.into(),
    }
}

fn scan(path: &Path, bytes: &[u8]) -> Result<Scan, LogError> {
    let mut lines = Vec::new();
    let mut prev = EntryHash::GENESIS;
    let mut seen: HashMap<DecisionId, u64> = HashMap::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let line_no = lines.len() as u64 + 1;
        let Some(end) = bytes[offset..].iter().position(|&b| b == b'\n') else {
            // A final line without its newline: an interrupted write.
            return Ok(Scan {
                lines,
                intact_len: offset as u64,
                torn_bytes: (bytes.len() - offset) as u64,
            });
        };
        let line = &bytes[offset..offset + end];
        let (claimed, entry_bytes) = split_line(line)
            .ok_or_else(|| broken(path, line_no, "not a `{\"hash\":...,\"entry\":...}` line"))?;
        let hash = EntryHash::of(entry_bytes);
        if hash != claimed {
            return Err(broken(
                path,
                line_no,
                "the entry does not hash to its recorded hash (altered)",
            ));
        }
        let entry: Entry = serde_json::from_slice(entry_bytes)
            .map_err(|e| broken(path, line_no, format!("unreadable entry: {e}")))?;
        if entry.seq != lines.len() as u64 {
            return Err(broken(
                path,
                line_no,
                format!(
                    "entry has seq {}, expected {} (an entry was removed or moved)",
                    entry.seq,
                    lines.len()
                ),
            ));
        }
        if entry.prev != prev {
            return Err(broken(path, line_no, "entry does not follow the previous entry's hash (an entry was removed, inserted or moved)"));
        }
        if let Some(first) = seen.insert(entry.decision_id.clone(), line_no) {
            return Err(broken(
                path,
                line_no,
                format!(
                    "decision `{}` is already logged on line {first}",
                    entry.decision_id
                ),
            ));
        }
        prev = hash;
        lines.push((entry, hash, offset as u64, end));
        offset += end + 1;
    }
    Ok(Scan {
        lines,
        intact_len: bytes.len() as u64,
        torn_bytes: 0,
    })
}

/// Splits a line into its recorded hash and the entry bytes, if it has the fixed framing.
fn split_line(line: &[u8]) -> Option<(EntryHash, &[u8])> {
    let rest = line.strip_prefix(PREFIX)?;
    let (hex_part, rest) = rest.split_at_checked(64)?;
    let entry = rest.strip_prefix(MIDDLE)?.strip_suffix(SUFFIX)?;
    let hash = EntryHash::try_from(String::from_utf8(hex_part.to_vec()).ok()?).ok()?;
    Some((hash, entry))
}

fn read_all(path: &Path) -> Result<Vec<u8>, LogError> {
    match std::fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(LogError::Io {
            path: path.to_path_buf(),
            action: "read it",
            source,
        }),
    }
}

/// Checks a log file without opening it for writing: the entries in order with their receipts,
/// or the first break. A torn final line is reported in the [`OpenReport`], not an error.
pub fn verify_file(path: &Path) -> Result<(Vec<(Entry, Receipt)>, OpenReport), LogError> {
    let bytes = read_all(path)?;
    let scan = scan(path, &bytes)?;
    let report = OpenReport {
        entries: scan.lines.len() as u64,
        torn_bytes: scan.torn_bytes,
    };
    let entries = scan
        .lines
        .into_iter()
        .map(|(e, hash, ..)| {
            let receipt = Receipt { seq: e.seq, hash };
            (e, receipt)
        })
        .collect();
    Ok((entries, report))
}

impl DecisionLog {
    /// Opens (or creates) the log at `path`, checks the whole chain, and indexes it. Refuses a
    /// broken chain; cuts off (and reports) a torn final line.
    pub fn open(path: &Path) -> Result<(DecisionLog, OpenReport), LogError> {
        let io = |action: &'static str| {
            move |source| LogError::Io {
                path: path.to_path_buf(),
                action,
                source,
            }
        };
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(io("open it"))?;
        if !existed {
            sync_parent(path).map_err(io("record its creation"))?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io("read it"))?;
        let scan = scan(path, &bytes)?;
        if scan.torn_bytes > 0 {
            file.set_len(scan.intact_len)
                .map_err(io("cut off a torn final line"))?;
            file.sync_data().map_err(io("flush it"))?;
        }
        let head = scan.lines.last().map(|(e, h, ..)| Receipt {
            seq: e.seq,
            hash: *h,
        });
        let report = OpenReport {
            entries: scan.lines.len() as u64,
            torn_bytes: scan.torn_bytes,
        };
        let index = scan
            .lines
            .iter()
            .map(|(e, _, offset, len)| (e.decision_id.clone(), (*offset, *len)))
            .collect();
        Ok((
            DecisionLog {
                path: path.to_path_buf(),
                file,
                head,
                bytes: scan.intact_len,
                next_seq: scan.lines.len() as u64,
                index,
            },
            report,
        ))
    }

    /// The latest entry's receipt; `None` while the log is empty.
    pub fn head(&self) -> Option<Receipt> {
        self.head
    }

    /// Entries in the log.
    pub fn len(&self) -> u64 {
        self.next_seq
    }

    /// Whether the log has no entries.
    pub fn is_empty(&self) -> bool {
        self.next_seq == 0
    }

    /// Whether `id` is logged.
    pub fn contains(&self, id: &DecisionId) -> bool {
        self.index.contains_key(id)
    }

    /// Appends a decision and flushes it to disk before returning its receipt. Refuses an id
    /// already logged. If the write fails, the file is cut back to its last intact entry.
    pub fn append(
        &mut self,
        decision_id: &DecisionId,
        recorded_at: String,
        bundle: serde_json::Value,
    ) -> Result<Receipt, LogError> {
        if self.contains(decision_id) {
            return Err(LogError::Duplicate(decision_id.clone()));
        }
        let prev = self.head.map_or(EntryHash::GENESIS, |h| h.hash);
        let entry = Entry {
            seq: self.next_seq,
            prev,
            decision_id: decision_id.clone(),
            recorded_at,
            bundle,
        };
        let entry_bytes = serde_json::to_vec(&entry).map_err(|e| LogError::Io {
            path: self.path.clone(),
            action: "encode an entry",
            source: std::io::Error::other(e),
        })?;
        let hash = EntryHash::of(&entry_bytes);
        let mut line = Vec::with_capacity(entry_bytes.len() + 100);
        line.extend_from_slice(PREFIX);
        line.extend_from_slice(hash.to_hex().as_bytes());
        line.extend_from_slice(MIDDLE);
        line.extend_from_slice(&entry_bytes);
        line.extend_from_slice(SUFFIX);
        let body_len = line.len();
        line.push(b'\n');
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            // Leave no partial entry behind for the next append to build on.
            let _ = self.file.set_len(self.bytes);
            return Err(LogError::Io {
                path: self.path.clone(),
                action: "append an entry",
                source,
            });
        }
        self.index
            .insert(decision_id.clone(), (self.bytes, body_len));
        self.bytes += line.len() as u64;
        let receipt = Receipt {
            seq: self.next_seq,
            hash,
        };
        self.head = Some(receipt);
        self.next_seq += 1;
        Ok(receipt)
    }

    /// The logged entry of `id` and its receipt, read back from disk and re-checked against its
    /// hash.
    pub fn get(&mut self, id: &DecisionId) -> Result<Option<(Entry, Receipt)>, LogError> {
        let Some(&(offset, len)) = self.index.get(id) else {
            return Ok(None);
        };
        if len > MAX_LINE {
            return Err(broken(&self.path, 0, "an entry is too long"));
        }
        let mut line = vec![0u8; len];
        let io = |action: &'static str| {
            let path = self.path.clone();
            move |source| LogError::Io {
                path,
                action,
                source,
            }
        };
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut line))
            .map_err(io("read an entry"))?;
        let (claimed, entry_bytes) = split_line(&line).ok_or_else(|| {
            broken(
                &self.path,
                0,
                format!("the entry of `{id}` changed on disk"),
            )
        })?;
        if EntryHash::of(entry_bytes) != claimed {
            return Err(broken(
                &self.path,
                0,
                format!("the entry of `{id}` changed on disk"),
            ));
        }
        let entry: Entry = serde_json::from_slice(entry_bytes)
            .map_err(|e| broken(&self.path, 0, format!("unreadable entry of `{id}`: {e}")))?;
        let receipt = Receipt {
            seq: entry.seq,
            hash: claimed,
        };
        Ok(Some((entry, receipt)))
    }
}

#[cfg(unix)]
fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => File::open(dir)?.sync_all(),
        None => File::open(".")?.sync_all(),
    }
}

#[cfg(not(unix))]
fn sync_parent(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id(s: &str) -> DecisionId {
        DecisionId::new(s).unwrap()
    }

    fn filled(dir: &Path, n: usize) -> PathBuf {
        let path = dir.join("decisions.jsonl");
        let (mut log, _) = DecisionLog::open(&path).unwrap();
        for k in 0..n {
            log.append(
                &id(&format!("d-{k}")),
                "2025-01-01T00:00:00Z".into(),
                serde_json::json!({ "k": k }),
            )
            .unwrap();
        }
        path
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn write_lines(path: &Path, lines: &[String]) {
        let mut text = lines.join("\n");
        text.push('\n');
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn appends_chain_and_reopen_finds_every_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = filled(dir.path(), 3);
        let (mut log, report) = DecisionLog::open(&path).unwrap();
        assert_eq!(
            report,
            OpenReport {
                entries: 3,
                torn_bytes: 0
            }
        );
        assert_eq!(log.head().map(|h| h.seq), Some(2));
        let (entry, receipt) = log.get(&id("d-1")).unwrap().unwrap();
        assert_eq!((entry.seq, receipt.seq), (1, 1));
        assert_eq!(entry.bundle["k"], 1);
        assert!(log.get(&id("nope")).unwrap().is_none());
        assert!(matches!(
            log.append(&id("d-1"), "t".into(), serde_json::json!({})),
            Err(LogError::Duplicate(_))
        ));
        let r = log
            .append(&id("d-3"), "t".into(), serde_json::json!({}))
            .unwrap();
        assert_eq!(r.seq, 3);
        let (entries, _) = verify_file(&path).unwrap();
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[3].0.prev, entries_hash(&path, 2));
        assert_eq!(entries[3].1, r);
    }

    fn entries_hash(path: &Path, k: usize) -> EntryHash {
        let line = &lines(path)[k];
        split_line(line.as_bytes()).unwrap().0
    }

    fn expect_broken(path: &Path, line: u64, words: &str) {
        match verify_file(path) {
            Err(LogError::Broken {
                line: l, reason, ..
            }) => {
                assert_eq!(l, line, "{reason}");
                assert!(reason.contains(words), "{reason}");
            }
            other => panic!("expected a broken chain, got {other:?}"),
        }
        assert!(DecisionLog::open(path).is_err());
    }

    #[test]
    fn an_altered_entry_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = filled(dir.path(), 4);
        let mut l = lines(&path);
        l[2] = l[2].replace("\"k\":2", "\"k\":7");
        write_lines(&path, &l);
        expect_broken(&path, 3, "altered");
    }

    #[test]
    fn a_removed_entry_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = filled(dir.path(), 4);
        let mut l = lines(&path);
        l.remove(1);
        write_lines(&path, &l);
        expect_broken(&path, 2, "removed");
    }

    #[test]
    fn swapped_entries_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = filled(dir.path(), 4);
        let mut l = lines(&path);
        l.swap(1, 2);
        write_lines(&path, &l);
        expect_broken(&path, 2, "moved");
    }

    #[test]
    fn a_rehashed_forgery_still_breaks_the_next_link() {
        // Change entry 1 and recompute its own hash: entry 2 still names the old one.
        let dir = tempfile::tempdir().unwrap();
        let path = filled(dir.path(), 3);
        let mut l = lines(&path);
        let (_, entry) = split_line(l[1].as_bytes()).unwrap();
        let forged = String::from_utf8(entry.to_vec())
            .unwrap()
            .replace("\"k\":1", "\"k\":9");
        let hash = EntryHash::of(forged.as_bytes());
        l[1] = format!("{{\"hash\":\"{}\",\"entry\":{forged}}}", hash.to_hex());
        write_lines(&path, &l);
        expect_broken(&path, 3, "previous entry's hash");
    }

    #[test]
    fn a_torn_final_line_is_cut_off_and_appending_continues() {
        let dir = tempfile::tempdir().unwrap();
        let path = filled(dir.path(), 2);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"{\"hash\":\"00");
        std::fs::write(&path, &bytes).unwrap();
        let (_, report) = verify_file(&path).unwrap();
        assert_eq!(report.torn_bytes, 11);
        let (mut log, report) = DecisionLog::open(&path).unwrap();
        assert_eq!(
            report,
            OpenReport {
                entries: 2,
                torn_bytes: 11
            }
        );
        log.append(&id("d-2"), "t".into(), serde_json::json!({}))
            .unwrap();
        assert_eq!(verify_file(&path).unwrap().1.entries, 3);
    }

    #[test]
    fn a_duplicated_decision_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = filled(dir.path(), 2);
        let mut l = lines(&path);
        // Rebuild entry 1 with entry 0's id, chained correctly: only the duplicate is wrong.
        let (_, entry) = split_line(l[1].as_bytes()).unwrap();
        let forged = String::from_utf8(entry.to_vec())
            .unwrap()
            .replace("\"d-1\"", "\"d-0\"");
        let hash = EntryHash::of(forged.as_bytes());
        l[1] = format!("{{\"hash\":\"{}\",\"entry\":{forged}}}", hash.to_hex());
        write_lines(&path, &l);
        expect_broken(&path, 2, "already logged on line 1");
    }
}
