//! The audit file (one JSON document: the request's digest, the model and policy, every row's
//! bundle or refusal, and the claimed figures) and the append-only work file `audit prove` keeps
//! beside it while it runs, so a crash loses no proved row.
//!
//! The work file (`<audit file>.work`) is JSON Lines: a header line naming the request digest,
//! the model and the policy, then one line per finished row. Each line is written with one
//! `write` and flushed to disk (`fsync`) before the row counts as done. A restart reads the
//! header (a work file of another audit, model or policy is refused), drops a last line a crash
//! cut short, and proves only the rows not in it. The audit file is then written atomically
//! (temporary file, fsync, rename) and the work file removed.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::input_file::read_input;

use super::request::RequestDigest;
use super::AuditError;

/// The `format` of an audit file.
pub const AUDIT_FORMAT: &str = "govproof-audit";
/// The version of an audit file whose rows are all proved one bundle each.
pub const AUDIT_VERSION: u32 = 1;
/// The version of an audit file with batch proofs ([`AuditFile::batches`]); an older build,
/// which cannot check them, refuses it rather than misread it.
pub const AUDIT_VERSION_BATCHES: u32 = 2;
/// Largest audit file read (about 12,000 rows of 32 KB bundles).
pub const MAX_AUDIT_BYTES: u64 = 400 << 20;
/// The `work` tag of a work file's header line.
const WORK_FORMAT: &str = "govproof-audit-work";

/// The model an audit was proved with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditModel {
    /// The model id.
    pub id: String,
    /// The model version.
    pub version: String,
}

/// The policy an audit was proved under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditPolicy {
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Its hash, as the proofs commit to it.
    pub hash: String,
}

/// One row's result: its bundle, or the reasons the lender's policy or registry refused it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditDecision {
    /// The row, from 1.
    pub row: usize,
    /// The bundle (a JSON object, checked by the verifier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<Value>,
    /// Why the row was not proved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Vec<String>>,
    /// The batch proof (index into [`AuditFile::batches`]) that proves the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<usize>,
    /// The outcome a batch proof claims for the row (band index, or 1/0 for a yes/no decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<u32>,
}

impl AuditDecision {
    /// A row proved by its own bundle.
    pub fn proved(row: usize, bundle: Value) -> Self {
        AuditDecision {
            row,
            bundle: Some(bundle),
            refused: None,
            batch: None,
            outcome: None,
        }
    }

    /// A row the lender's policy or registry refused.
    pub fn refused(row: usize, reasons: Vec<String>) -> Self {
        AuditDecision {
            row,
            bundle: None,
            refused: Some(reasons),
            batch: None,
            outcome: None,
        }
    }
}

/// One batch proof of several rows (see [`super::batch`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditBatch {
    /// The batch circuit's id (`<profile>-audit<rows>`).
    pub circuit: String,
    /// The rows it proves, in its slot order.
    pub rows: Vec<usize>,
    /// The proof as bb writes it, hex.
    pub proof: String,
}

/// An audit file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFile {
    /// Always [`AUDIT_FORMAT`].
    pub format: String,
    /// Always [`AUDIT_VERSION`].
    pub version: u32,
    /// The request it answers.
    pub request_digest: RequestDigest,
    /// blake3 of the request's data file (the data set of a benchmark claim).
    pub data_digest: String,
    /// The model.
    pub model: AuditModel,
    /// The policy.
    pub policy: AuditPolicy,
    /// The request's rows.
    pub rows: usize,
    /// The figures the lender claims (`null` when some row was refused).
    pub claims: Value,
    /// One per row, in row order.
    pub decisions: Vec<AuditDecision>,
    /// The batch proofs (version 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batches: Vec<AuditBatch>,
}

impl AuditFile {
    /// Reads an audit file strictly (format, version, no unknown fields).
    pub fn read(path: &Path) -> Result<AuditFile, AuditError> {
        let bytes = read_input(path, "audit file", MAX_AUDIT_BYTES)?;
        AuditFile::from_json(&bytes).map_err(|problem| AuditError::AuditFile {
            path: path.to_path_buf(),
            problem,
        })
    }

    /// Parses an audit file's bytes.
    pub fn from_json(bytes: &[u8]) -> Result<AuditFile, String> {
        let file: AuditFile =
            serde_json::from_slice(bytes).map_err(|e| format!("is not an audit file: {e}"))?;
        if file.format != AUDIT_FORMAT {
            return Err(format!(
                "has format `{}`, not `{AUDIT_FORMAT}`",
                super::request::shorten(&file.format)
            ));
        }
        if file.version != AUDIT_VERSION && file.version != AUDIT_VERSION_BATCHES {
            return Err(format!(
                "is format version {}, this build reads versions {AUDIT_VERSION} and \
                 {AUDIT_VERSION_BATCHES}",
                file.version
            ));
        }
        if file.version == AUDIT_VERSION && !file.batches.is_empty() {
            return Err(format!(
                "is format version {AUDIT_VERSION} but holds batch proofs (version \
                 {AUDIT_VERSION_BATCHES})"
            ));
        }
        Ok(file)
    }

    /// The document, pretty-printed, with a final newline.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("an audit file always serializes: {e}"));
        text.push('\n');
        text
    }

    /// Writes the file atomically and durably (mode 0644).
    pub fn write(&self, path: &Path) -> Result<(), AuditError> {
        crate::toolchain::atomic::write_atomic(path, self.to_json_pretty().as_bytes(), Some(0o644))
            .map_err(|e| AuditError::Write {
                path: path.to_path_buf(),
                reason: e.source.to_string(),
            })
    }
}

/// What a work file's header line holds: the audit it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkHeader {
    /// Always `govproof-audit-work`.
    pub work: String,
    /// The request.
    pub request_digest: RequestDigest,
    /// The model.
    pub model: AuditModel,
    /// The policy's hash.
    pub policy_hash: String,
}

impl WorkHeader {
    /// The header of the audit of `request_digest` by `model` under the policy `policy_hash`.
    pub fn new(request_digest: RequestDigest, model: AuditModel, policy_hash: String) -> Self {
        WorkHeader {
            work: WORK_FORMAT.to_string(),
            request_digest,
            model,
            policy_hash,
        }
    }
}

/// A work file line of a batch: the proof and every row of the batch's share of the request
/// (the proved rows with their outcomes, the refused ones with their reasons), written at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkBatch {
    /// The proof (`None` when every row was refused).
    pub batch: Option<AuditBatch>,
    /// Every row of the batch.
    pub decisions: Vec<AuditDecision>,
}

/// One line of a work file after its header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum WorkLine {
    Row(AuditDecision),
    Batch(WorkBatch),
}

/// The append-only work file of one audit.
#[derive(Debug)]
pub struct WorkFile {
    path: PathBuf,
    file: File,
    done: BTreeMap<usize, AuditDecision>,
    batches: Vec<AuditBatch>,
}

/// Where the work file of the audit file `out` lives: `<out>.work`.
pub fn work_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".work");
    out.with_file_name(name)
}

impl WorkFile {
    /// Opens the work file at `path`, or creates it with `header`. An existing file must carry the
    /// same header; a last line a crash cut short is dropped (the file is truncated to the end of
    /// the last whole line).
    pub fn open(path: &Path, header: &WorkHeader) -> Result<WorkFile, AuditError> {
        let bad = |problem: String| AuditError::WorkFile {
            path: path.to_path_buf(),
            problem,
        };
        let io = |e: std::io::Error| bad(e.to_string());
        if !path.exists() {
            let mut file = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(path)
                .map_err(io)?;
            let mut line = serde_json::to_vec(header)
                .unwrap_or_else(|e| unreachable!("a header serializes: {e}"));
            line.push(b'\n');
            file.write_all(&line)
                .and_then(|()| file.sync_all())
                .map_err(io)?;
            crate::toolchain::atomic::sync_dir(crate::toolchain::atomic::parent_dir(path))
                .map_err(io)?;
            return Ok(WorkFile {
                path: path.to_path_buf(),
                file,
                done: BTreeMap::new(),
                batches: Vec::new(),
            });
        }
        let bytes = read_input(path, "audit work file", MAX_AUDIT_BYTES)?;
        let mut done = BTreeMap::new();
        let mut batches = Vec::new();
        let mut good_end = 0usize;
        let mut offset = 0usize;
        let mut first = true;
        for piece in bytes.split_inclusive(|&b| b == b'\n') {
            let start = offset;
            offset += piece.len();
            let whole = piece.ends_with(b"\n");
            if first {
                let found: WorkHeader = serde_json::from_slice(piece)
                    .map_err(|e| bad(format!("its first line is not a work file header: {e}")))?;
                if &found != header {
                    return Err(bad(format!(
                        "belongs to another audit (request {}, model `{}` version `{}`, policy \
                         hash {}); remove it to start over",
                        found.request_digest,
                        super::request::shorten(&found.model.id),
                        super::request::shorten(&found.model.version),
                        super::request::shorten(&found.policy_hash)
                    )));
                }
                first = false;
                good_end = offset;
                continue;
            }
            match serde_json::from_slice::<WorkLine>(piece) {
                Ok(line) if whole => {
                    let decisions = match line {
                        WorkLine::Row(d) => vec![d],
                        WorkLine::Batch(b) => {
                            batches.extend(b.batch);
                            b.decisions
                        }
                    };
                    for d in decisions {
                        if done.insert(d.row, d).is_some() {
                            return Err(bad(format!("line at byte {start} repeats a row")));
                        }
                    }
                    good_end = offset;
                }
                // A last line without its newline, or that does not parse, is a write a crash
                // cut short: it is dropped and the row proved again.
                _ if offset == bytes.len() => break,
                Err(e) => return Err(bad(format!("the line at byte {start} is damaged: {e}"))),
                Ok(_) => unreachable!("only the last piece can lack its newline"),
            }
        }
        if first {
            return Err(bad("it is empty; remove it to start over".to_string()));
        }
        let mut file = OpenOptions::new().write(true).open(path).map_err(io)?;
        if good_end < bytes.len() {
            file.set_len(good_end as u64)
                .and_then(|()| file.sync_all())
                .map_err(io)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        Ok(WorkFile {
            path: path.to_path_buf(),
            file,
            done,
            batches,
        })
    }

    /// The rows already done, by row.
    pub fn done(&self) -> &BTreeMap<usize, AuditDecision> {
        &self.done
    }

    /// The batch proofs already done.
    pub fn batches(&self) -> &[AuditBatch] {
        &self.batches
    }

    /// Appends `decision` as one line and flushes it to disk; only then does the row count.
    pub fn append(&mut self, decision: AuditDecision) -> Result<(), AuditError> {
        self.write_line(&WorkLine::Row(decision.clone()))?;
        self.done.insert(decision.row, decision);
        Ok(())
    }

    /// Appends a batch (its proof and all its rows) as one line and flushes it to disk; only
    /// then do its rows count.
    pub fn append_batch(&mut self, batch: WorkBatch) -> Result<(), AuditError> {
        self.write_line(&WorkLine::Batch(batch.clone()))?;
        self.batches.extend(batch.batch);
        for d in batch.decisions {
            self.done.insert(d.row, d);
        }
        Ok(())
    }

    fn write_line(&mut self, line: &WorkLine) -> Result<(), AuditError> {
        let mut bytes =
            serde_json::to_vec(line).unwrap_or_else(|e| unreachable!("a line serializes: {e}"));
        bytes.push(b'\n');
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| AuditError::WorkFile {
                path: self.path.clone(),
                problem: e.to_string(),
            })
    }

    /// Removes the work file (after the audit file is in place).
    pub fn remove(self) -> Result<(), AuditError> {
        drop(self.file);
        std::fs::remove_file(&self.path).map_err(|e| AuditError::WorkFile {
            path: self.path.clone(),
            problem: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(model: &str) -> WorkHeader {
        WorkHeader::new(
            RequestDigest::from_hex(&"ab".repeat(32)).unwrap(),
            AuditModel {
                id: model.into(),
                version: "1.0.0".into(),
            },
            "0x01".into(),
        )
    }

    fn decision(row: usize) -> AuditDecision {
        AuditDecision::proved(row, serde_json::json!({"row": row}))
    }

    #[test]
    fn batch_proofs_need_version_two_and_an_unknown_version_is_refused() {
        let file = |version: u32, batches: &str| {
            format!(
                r#"{{"format":"govproof-audit","version":{version},"request_digest":"{}",
                "data_digest":"00","model":{{"id":"m","version":"1"}},
                "policy":{{"id":"p","version":"1","hash":"0x01"}},"rows":1,"claims":null,
                "decisions":[{{"row":1,"batch":0,"outcome":2}}]{batches}}}"#,
                "ab".repeat(32)
            )
        };
        let batches = r#","batches":[{"circuit":"c-audit6","rows":[1],"proof":"00"}]"#;
        let read = AuditFile::from_json(file(2, batches).as_bytes()).unwrap();
        assert_eq!(read.batches.len(), 1);
        assert_eq!(read.decisions[0].outcome, Some(2));
        let e = AuditFile::from_json(file(1, batches).as_bytes()).unwrap_err();
        assert!(e.contains("holds batch proofs"), "{e}");
        let e = AuditFile::from_json(file(3, "").as_bytes()).unwrap_err();
        assert!(e.contains("reads versions 1 and 2"), "{e}");
        let extra = r#","batches":[{"circuit":"c","rows":[1],"proof":"00","key":"00"}]"#;
        let e = AuditFile::from_json(file(2, extra).as_bytes()).unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
    }

    #[test]
    fn a_work_file_resumes_with_its_whole_lines_and_drops_a_torn_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = work_path(&dir.path().join("audit.json"));
        assert!(path.ends_with("audit.json.work"));
        let mut w = WorkFile::open(&path, &header("m")).unwrap();
        w.append(decision(1)).unwrap();
        w.append(decision(3)).unwrap();
        drop(w);
        // A crash in the middle of the next line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"row":2,"bund"#).unwrap();
        drop(f);
        let mut w = WorkFile::open(&path, &header("m")).unwrap();
        assert_eq!(w.done().keys().copied().collect::<Vec<_>>(), vec![1, 3]);
        w.append(decision(2)).unwrap();
        drop(w);
        let w = WorkFile::open(&path, &header("m")).unwrap();
        assert_eq!(w.done().keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
        drop(w);

        // A batch line counts all its rows at once, and its proof comes back on resume.
        let mut w = WorkFile::open(&path, &header("m")).unwrap();
        let batch = AuditBatch {
            circuit: "c-audit6".into(),
            rows: vec![4, 6],
            proof: "00".into(),
        };
        let outcome = |row| AuditDecision {
            row,
            bundle: None,
            refused: None,
            batch: None,
            outcome: Some(1),
        };
        w.append_batch(WorkBatch {
            batch: Some(batch.clone()),
            decisions: vec![
                outcome(4),
                AuditDecision::refused(5, vec!["no".into()]),
                outcome(6),
            ],
        })
        .unwrap();
        drop(w);
        let w = WorkFile::open(&path, &header("m")).unwrap();
        assert_eq!(
            w.done().keys().copied().collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5, 6]
        );
        assert_eq!(w.batches(), std::slice::from_ref(&batch));
        drop(w);

        // Another model's work file is refused, and left alone.
        let before = std::fs::read(&path).unwrap();
        let e = WorkFile::open(&path, &header("other"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("belongs to another audit"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}
