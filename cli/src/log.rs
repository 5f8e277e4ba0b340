//! `govproof log verify`: the regulator's check of a decision service's transparency log.
//!
//! It reads a signed checkpoint (a file, or `GET /log/checkpoint` of `--url`), checks its
//! signature with the service's verifier key and its origin, checks that it extends the checkpoint
//! last seen (`--state`: same size and root, or a consistency proof from a file, the service or an
//! entry dump), recomputes the root from a full dump of the entries (`--entries`), and checks that
//! each bundle given is in the log with an entry that matches it. Every check is reported; the
//! exit code is 0 valid, 2 invalid, 1 could not check (as `govproof verify`). The state file is
//! replaced, atomically, only when the whole check is valid. Formats: `docs/transparency-log.md`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use govproof::bundle::Bundle;
use govproof::input_file::{read_input, read_input_text};
use govproof::registry::durable::{write_atomic, Replace, DOCUMENT_MODE};
use govproof::translog::{
    parse_verifier_key, verify_consistency, verify_inclusion, ConsistencyResponse, Hash,
    InclusionResponse, LogEntry, SignedCheckpoint, Tree, VerifyingKey, MAX_NOTE_BYTES,
};

use crate::{Exit, Format};

/// The largest entry dump read (about a million entries).
const MAX_DUMP_BYTES: u64 = 256 << 20;
/// The largest proof document or bundle read.
const MAX_DOCUMENT_BYTES: u64 = 4 << 20;
/// How long one HTTP request may take, connection included.
const HTTP_TIMEOUT: Duration = Duration::from_secs(20);

/// `govproof log ...`
#[derive(Debug, Clone, clap::Subcommand)]
pub enum LogCommand {
    /// Check a decision service's transparency log: the checkpoint's signature and origin, that it
    /// extends the one seen before, the entries and the bundles given (exit 0 valid, 2 invalid, 1
    /// could not check).
    Verify(LogVerifyArgs),
}

/// Arguments of `govproof log verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct LogVerifyArgs {
    /// The checkpoint note file (or `--url`).
    #[arg(required_unless_present = "url", conflicts_with = "url")]
    pub checkpoint: Option<PathBuf>,
    /// The decision service, e.g. `http://127.0.0.1:8080` (plain HTTP): its checkpoint, inclusion
    /// and consistency proofs are fetched from it.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The service's verifier key file (`name+keyid+base64`, as the service prints it).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The log's expected origin (default: the state's origin, else the key's name).
    #[arg(long)]
    pub origin: Option<String>,
    /// The checkpoint last seen: the new one must extend it; replaced when the check is valid
    /// (created when missing).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Bundles that must be in the log, each with an entry matching its digest, id and time.
    #[arg(long = "bundle", value_name = "FILE", num_args = 1..)]
    pub bundles: Vec<PathBuf>,
    /// A full dump of the log's entries (JSON Lines, in log order): the root is recomputed.
    #[arg(long, value_name = "FILE")]
    pub entries: Option<PathBuf>,
    /// With `--url`: fetch every entry up to the checkpoint's size from the service
    /// (`GET /log/entries`, in pages) and check them as a dump: the root is recomputed.
    #[arg(long, requires = "url", conflicts_with = "entries")]
    pub all_entries: bool,
    /// Inclusion proofs saved from the service (`GET /decisions/{id}/inclusion`), for bundles.
    #[arg(long = "inclusion", value_name = "FILE", num_args = 1..)]
    pub inclusions: Vec<PathBuf>,
    /// A consistency proof saved from the service (`GET /log/consistency`), from the state's
    /// size to the checkpoint's.
    #[arg(long, value_name = "FILE")]
    pub consistency: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// One check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pass,
    Fail,
    CouldNotCheck,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::CouldNotCheck => "COULD NOT CHECK",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::CouldNotCheck => "could-not-check",
        }
    }
}

/// One line of the report: what was checked, how it came out, why (a stable code for tools)
/// and in words.
#[derive(Debug, Clone)]
struct Check {
    name: &'static str,
    status: Status,
    reason: &'static str,
    detail: String,
}

#[derive(Default)]
struct Report {
    checks: Vec<Check>,
}

impl Report {
    fn pass(&mut self, name: &'static str, detail: String) {
        self.push(name, Status::Pass, "ok", detail);
    }
    fn fail(&mut self, name: &'static str, reason: &'static str, detail: String) {
        self.push(name, Status::Fail, reason, detail);
    }
    fn unable(&mut self, name: &'static str, reason: &'static str, detail: String) {
        self.push(name, Status::CouldNotCheck, reason, detail);
    }
    fn push(&mut self, name: &'static str, status: Status, reason: &'static str, detail: String) {
        self.checks.push(Check {
            name,
            status,
            reason,
            detail,
        });
    }
    fn exit(&self) -> Exit {
        if self.checks.iter().any(|c| c.status == Status::Fail) {
            Exit::Rejected
        } else if self
            .checks
            .iter()
            .any(|c| c.status == Status::CouldNotCheck)
        {
            Exit::Error
        } else {
            Exit::Success
        }
    }
}

/// Where proofs come from.
enum Source {
    Files {
        inclusions: HashMap<String, InclusionResponse>,
        consistency: Option<ConsistencyResponse>,
    },
    Http {
        agent: ureq::Agent,
        base: String,
    },
}

/// Runs `govproof log ...`.
pub fn run_log(command: LogCommand, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    match command {
        LogCommand::Verify(args) => run_verify(&args, out, err),
    }
}

/// Runs `govproof log verify`: the report goes to `out`, and the exit code says the verdict.
pub fn run_verify(args: &LogVerifyArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let mut report = Report::default();
    let checkpoint = verify_into(args, &mut report);
    let exit = report.exit();
    let printed = match args.format {
        Format::Text => print_text(&report, checkpoint.as_ref(), exit, out),
        Format::Json => print_json(&report, checkpoint.as_ref(), exit, out),
    };
    if let Err(e) = printed {
        let _ = writeln!(err, "error: cannot write the report: {e}");
        return Exit::Error;
    }
    exit
}

/// Every check, in order; returns the checkpoint when one was read.
fn verify_into(args: &LogVerifyArgs, report: &mut Report) -> Option<SignedCheckpoint> {
    // The key and the inputs: anything unreadable means the log could not be checked.
    let key = match read_input_text(&args.key, "verifier key", 4096)
        .map_err(|e| e.to_string())
        .and_then(|text| parse_verifier_key(&text).map_err(|e| e.to_string()))
    {
        Ok(key) => key,
        Err(e) => {
            report.unable("key", "unreadable-input", e);
            return None;
        }
    };
    let source = match source(args) {
        Ok(s) => s,
        Err(e) => {
            report.unable("inputs", "unreadable-input", e);
            return None;
        }
    };
    let note = match &source {
        Source::Http { agent, base } => http_get(agent, base, "/log/checkpoint").and_then(|r| {
            r.ok_or_else(|| "the service has no checkpoint (`GET /log/checkpoint`: 404)".into())
        }),
        Source::Files { .. } => match &args.checkpoint {
            Some(path) => read_input_text(path, "checkpoint", MAX_NOTE_BYTES as u64)
                .map_err(|e| e.to_string()),
            None => Err("give a checkpoint file or `--url`".to_string()),
        },
    };
    let note = match note {
        Ok(n) => n,
        Err(e) => {
            report.unable("checkpoint", "unreadable-input", e);
            return None;
        }
    };
    let signed = match SignedCheckpoint::parse(&note) {
        Ok(s) => s,
        Err(e) => {
            report.fail("checkpoint", "malformed", e.to_string());
            return None;
        }
    };
    let cp = signed.checkpoint.clone();
    report.pass(
        "checkpoint",
        format!(
            "a checkpoint of `{}`: {} entries, root {}, signed at {}",
            cp.origin,
            cp.size,
            hex::encode(cp.root),
            cp.time
        ),
    );
    match signed.verify(&key.1) {
        Ok(()) => report.pass(
            "signature",
            format!("signed by the service's key `{}`", key.0),
        ),
        Err(govproof::translog::LogError::UnknownKey { key_name }) => report.fail(
            "signature",
            "unknown-key",
            format!(
                "the checkpoint is signed by a key `{key_name}` that is not the service's key `{}`",
                key.0
            ),
        ),
        Err(e) => report.fail("signature", "bad-signature", e.to_string()),
    }

    // The state: the checkpoint seen before, checked with the same key.
    let previous = match read_state(args, &key.1) {
        Ok(p) => p,
        Err(e) => {
            report.unable("state", "unreadable-state", e);
            return Some(signed);
        }
    };
    let expected_origin = args
        .origin
        .clone()
        .or_else(|| previous.as_ref().map(|p| p.checkpoint.origin.clone()))
        .unwrap_or_else(|| key.0.clone());
    if cp.origin == expected_origin {
        report.pass("origin", format!("the log is `{}`", cp.origin));
    } else {
        report.fail(
            "origin",
            "wrong-origin",
            format!(
                "the checkpoint is of log `{}`, not `{expected_origin}`",
                cp.origin
            ),
        );
    }
    if let (Some(state_origin), Some(given)) = (
        previous.as_ref().map(|p| &p.checkpoint.origin),
        &args.origin,
    ) {
        if state_origin != given {
            report.unable(
                "state",
                "state-of-another-log",
                format!("the state is of log `{state_origin}`, not `{given}`"),
            );
        }
    }

    // The entry dump: read (or fetched) whole before it is used for consistency or inclusion.
    let read = match (&args.entries, &source) {
        (Some(path), _) => Some(read_dump(path)),
        (None, Source::Http { agent, base }) if args.all_entries => {
            Some(fetch_dump(agent, base, cp.size))
        }
        _ => None,
    };
    let dump = match read {
        Some(Ok(entries)) => Some(entries),
        Some(Err(DumpError::Unreadable(e))) => {
            report.unable("entries", "unreadable-input", e);
            None
        }
        Some(Err(DumpError::Malformed(e))) => {
            report.fail("entries", "malformed", e);
            None
        }
        None => None,
    };
    let tree = dump
        .as_ref()
        .map(|entries| Tree::from_leaves(entries.iter().map(LogEntry::leaf_hash).collect()));

    check_extension(&signed, previous.as_ref(), &source, tree.as_ref(), report);
    if let (Some(entries), Some(tree)) = (&dump, &tree) {
        check_dump(&signed, entries, tree, report);
    }
    for path in &args.bundles {
        check_bundle(
            path,
            &signed,
            &source,
            dump.as_deref(),
            tree.as_ref(),
            report,
        );
    }

    if report.exit() == Exit::Success {
        if let Some(path) = &args.state {
            let unchanged = previous
                .as_ref()
                .is_some_and(|p| p.to_note() == signed.to_note());
            if !unchanged {
                match write_atomic(
                    path,
                    "log-state",
                    signed.to_note().as_bytes(),
                    DOCUMENT_MODE,
                    Replace::Allow,
                ) {
                    Ok(()) => report.pass(
                        "state",
                        format!(
                            "`{}` now holds this checkpoint ({} entries)",
                            path.display(),
                            cp.size
                        ),
                    ),
                    Err(e) => report.unable(
                        "state",
                        "state-not-written",
                        format!("cannot write the state `{}`: {e}", path.display()),
                    ),
                }
            }
        }
    }
    Some(signed)
}

fn source(args: &LogVerifyArgs) -> Result<Source, String> {
    if let Some(url) = &args.url {
        let base = url.trim_end_matches('/').to_string();
        if !base.starts_with("http://") {
            return Err(format!(
                "`{url}` is not a plain `http://` address (this command has no TLS: use a local mirror or tunnel for https)"
            ));
        }
        if !args.inclusions.is_empty() || args.consistency.is_some() {
            return Err(
                "`--inclusion` and `--consistency` are for files; with `--url` the proofs come from the service"
                    .to_string(),
            );
        }
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(HTTP_TIMEOUT))
            .http_status_as_error(false)
            .build();
        return Ok(Source::Http {
            agent: config.into(),
            base,
        });
    }
    let mut inclusions = HashMap::new();
    for path in &args.inclusions {
        let bytes =
            read_input(path, "inclusion proof", MAX_DOCUMENT_BYTES).map_err(|e| e.to_string())?;
        let proof: InclusionResponse = serde_json::from_slice(&bytes)
            .map_err(|e| format!("`{}` is not an inclusion proof: {e}", path.display()))?;
        inclusions.insert(proof.entry.decision_id.clone(), proof);
    }
    let consistency = match &args.consistency {
        Some(path) => {
            let bytes = read_input(path, "consistency proof", MAX_DOCUMENT_BYTES)
                .map_err(|e| e.to_string())?;
            Some(
                serde_json::from_slice(&bytes)
                    .map_err(|e| format!("`{}` is not a consistency proof: {e}", path.display()))?,
            )
        }
        None => None,
    };
    Ok(Source::Files {
        inclusions,
        consistency,
    })
}

/// GETs `path` of the service: `Ok(None)` for a 404, the body for a 200, an error otherwise.
fn http_get(agent: &ureq::Agent, base: &str, path: &str) -> Result<Option<String>, String> {
    let url = format!("{base}{path}");
    let mut response = agent
        .get(&url)
        .call()
        .map_err(|e| format!("cannot fetch `{url}`: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_DOCUMENT_BYTES)
        .read_to_string()
        .map_err(|e| format!("cannot read `{url}`: {e}"))?;
    match status {
        200 => Ok(Some(body)),
        404 => Ok(None),
        _ => Err(format!(
            "`{url}` answered {status}: {}",
            body.chars().take(200).collect::<String>().trim()
        )),
    }
}

/// The checkpoint in the state file, checked with the key (`None` when the file does not exist).
fn read_state(
    args: &LogVerifyArgs,
    key: &VerifyingKey,
) -> Result<Option<SignedCheckpoint>, String> {
    let Some(path) = &args.state else {
        return Ok(None);
    };
    if !path.exists() {
        return Ok(None);
    }
    let text =
        read_input_text(path, "log state", MAX_NOTE_BYTES as u64).map_err(|e| e.to_string())?;
    let signed = SignedCheckpoint::parse(&text)
        .map_err(|e| format!("the state `{}` is not a checkpoint: {e}", path.display()))?;
    signed.verify(key).map_err(|e| {
        format!(
            "the state `{}` is not signed by the service's key: {e}",
            path.display()
        )
    })?;
    Ok(Some(signed))
}

/// That the checkpoint extends the one seen before: not smaller, the same root at the same size,
/// a consistency proof from the old size otherwise, and a time not earlier.
fn check_extension(
    signed: &SignedCheckpoint,
    previous: Option<&SignedCheckpoint>,
    source: &Source,
    tree: Option<&Tree>,
    report: &mut Report,
) {
    let new = &signed.checkpoint;
    let Some(previous) = previous else {
        report.pass(
            "consistency",
            "no checkpoint seen before: this one is the first (trusted on first use)".to_string(),
        );
        return;
    };
    let old = &previous.checkpoint;
    if new.size < old.size {
        report.fail(
            "consistency",
            "shrank",
            format!(
                "the log shrank: {} entries now, {} in the checkpoint seen before (signed at {})",
                new.size, old.size, old.time
            ),
        );
        return;
    }
    if new.time < old.time {
        report.fail(
            "time",
            "checkpoint-back-dated",
            format!(
                "the checkpoint is signed at {}, before the one seen before ({})",
                new.time, old.time
            ),
        );
    }
    if new.size == old.size {
        if new.root == old.root {
            report.pass(
                "consistency",
                format!(
                    "the same {} entries as the checkpoint seen before",
                    new.size
                ),
            );
        } else {
            report.fail(
                "consistency",
                "fork",
                format!(
                    "fork: {} entries with root {} now, root {} in the checkpoint seen before",
                    new.size,
                    hex::encode(new.root),
                    hex::encode(old.root)
                ),
            );
        }
        return;
    }
    let (proof, from) = match source {
        Source::Http { agent, base } => {
            let path = format!("/log/consistency?from={}&to={}", old.size, new.size);
            match http_get(agent, base, &path).and_then(|body| {
                let body = body.ok_or_else(|| format!("`{path}` answered 404"))?;
                serde_json::from_str::<ConsistencyResponse>(&body)
                    .map_err(|e| format!("`{path}` is not a consistency proof: {e}"))
            }) {
                Ok(response) => (Some(response), "the service"),
                Err(e) => {
                    report.unable("consistency", "unreadable-input", e);
                    return;
                }
            }
        }
        Source::Files { consistency, .. } => (consistency.clone(), "the consistency file"),
    };
    if let Some(response) = proof {
        if response.from.is_some_and(|f| f != old.size)
            || response.to.is_some_and(|t| t != new.size)
        {
            report.fail(
                "consistency",
                "fork",
                format!(
                    "the consistency proof from {from} is between other sizes than {} and {}",
                    old.size, new.size
                ),
            );
            return;
        }
        match verify_consistency(old.size, new.size, &old.root, &new.root, &response.proof) {
            Ok(()) => report.pass(
                "consistency",
                format!(
                    "extends the checkpoint seen before ({} to {} entries; proof of {} hashes from {from})",
                    old.size,
                    new.size,
                    response.proof.len()
                ),
            ),
            Err(_) => report.fail(
                "consistency",
                "fork",
                format!(
                    "fork: the proof from {from} does not show that the {}-entry log extends the {}-entry log seen before (root {})",
                    new.size,
                    old.size,
                    hex::encode(old.root)
                ),
            ),
        }
        return;
    }
    match tree {
        Some(tree) if tree.size() >= new.size => match tree.root_at(old.size) {
            Ok(root) if root == old.root => report.pass(
                "consistency",
                format!(
                    "the dump's first {} entries have the root of the checkpoint seen before",
                    old.size
                ),
            ),
            _ => report.fail(
                "consistency",
                "fork",
                format!(
                    "fork: the dump's first {} entries do not have the root {} of the checkpoint seen before: an entry in them was removed, changed or reordered",
                    old.size,
                    hex::encode(old.root)
                ),
            ),
        },
        _ => report.unable(
            "consistency",
            "no-consistency-proof",
            format!(
                "the log grew from {} to {} entries; give `--consistency`, `--entries` or `--url` to check that it extends the checkpoint seen before",
                old.size, new.size
            ),
        ),
    }
}

enum DumpError {
    Unreadable(String),
    Malformed(String),
}

fn read_dump(path: &Path) -> Result<Vec<LogEntry>, DumpError> {
    let bytes = read_input(path, "entry dump", MAX_DUMP_BYTES)
        .map_err(|e| DumpError::Unreadable(e.to_string()))?;
    let mut entries = Vec::new();
    parse_dump(&bytes, &format!("`{}`", path.display()), 0, &mut entries)?;
    Ok(entries)
}

/// Entries a page of `fetch_dump` asks for (a page stays far below the response size limit).
const ENTRIES_PAGE: u64 = 2_000;

/// Every entry of the service's log below `size`, fetched `ENTRIES_PAGE` at a time: each page
/// must hold exactly the entries asked for.
fn fetch_dump(agent: &ureq::Agent, base: &str, size: u64) -> Result<Vec<LogEntry>, DumpError> {
    if size > MAX_DUMP_BYTES / 64 {
        return Err(DumpError::Unreadable(format!(
            "the log holds {size} entries, more than this command fetches; save a dump and give `--entries`"
        )));
    }
    let mut entries = Vec::new();
    let mut start = 0;
    while start < size {
        let end = size.min(start + ENTRIES_PAGE);
        let path = format!("/log/entries?start={start}&end={end}");
        let page = http_get(agent, base, &path)
            .map_err(DumpError::Unreadable)?
            .ok_or_else(|| DumpError::Unreadable(format!("`{base}{path}` answered 404")))?;
        let before = entries.len() as u64;
        parse_dump(
            page.as_bytes(),
            &format!("`{base}{path}`"),
            start,
            &mut entries,
        )?;
        let got = entries.len() as u64 - before;
        if got != end - start {
            return Err(DumpError::Malformed(format!(
                "`{base}{path}` returned {got} entries, not {}",
                end - start
            )));
        }
        start = end;
    }
    Ok(entries)
}

/// The JSON Lines of `bytes` (from `what`, whose first line is entry `first`) appended to
/// `entries`.
fn parse_dump(
    bytes: &[u8],
    what: &str,
    first: u64,
    entries: &mut Vec<LogEntry>,
) -> Result<(), DumpError> {
    let mut index = first;
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let entry = LogEntry::from_json(line).map_err(|e| {
            DumpError::Malformed(format!("{what} line {} (entry {index}): {e}", n + 1))
        })?;
        entries.push(entry);
        index += 1;
    }
    Ok(())
}

/// The dump against the checkpoint: its root, its times and its ids.
fn check_dump(signed: &SignedCheckpoint, entries: &[LogEntry], tree: &Tree, report: &mut Report) {
    let cp = &signed.checkpoint;
    if tree.size() < cp.size {
        report.fail(
            "entries",
            "removed",
            format!(
                "the dump has {} entries, the checkpoint {}: entries were removed",
                tree.size(),
                cp.size
            ),
        );
    } else {
        match tree.root_at(cp.size) {
            Ok(root) if root == cp.root => report.pass(
                "entries",
                format!(
                    "the dump's first {} entries hash to the checkpoint's root{}",
                    cp.size,
                    if tree.size() > cp.size {
                        format!(" ({} later entries not covered)", tree.size() - cp.size)
                    } else {
                        String::new()
                    }
                ),
            ),
            _ => report.fail(
                "entries",
                "root-mismatch",
                format!(
                    "the dump's first {} entries hash to {}, the checkpoint's root is {}: an entry was removed, changed or reordered",
                    cp.size,
                    hex::encode(tree.root_at(cp.size).unwrap_or_default()),
                    hex::encode(cp.root)
                ),
            ),
        }
    }
    let covered = entries
        .len()
        .min(usize::try_from(cp.size).unwrap_or(usize::MAX));
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut problems = 0usize;
    for (i, entry) in entries[..covered].iter().enumerate() {
        if let Some(reason) = entry_time_problem(entry, cp.time) {
            report.fail("entries", "back-dated", format!("entry {i}: {reason}"));
            problems += 1;
        }
        if i > 0 && entry.logged_at < entries[i - 1].logged_at {
            report.fail(
                "entries",
                "back-dated",
                format!(
                    "entry {i} (`{}`) is logged at {}, earlier than entry {} ({}): back-dated or reordered",
                    entry.decision_id,
                    entry.logged_at,
                    i - 1,
                    entries[i - 1].logged_at
                ),
            );
            problems += 1;
        }
        if let Some(first) = seen.insert(&entry.decision_id, i) {
            report.fail(
                "entries",
                "duplicate-decision",
                format!(
                    "decision `{}` is logged twice, at entries {first} and {i}",
                    entry.decision_id
                ),
            );
            problems += 1;
        }
        if problems >= 20 {
            report.fail(
                "entries",
                "back-dated",
                "more problems in the dump not listed".to_string(),
            );
            break;
        }
    }
}

/// Why an entry's times cannot be right, if they cannot.
fn entry_time_problem(entry: &LogEntry, checkpoint_time: govproof::Timestamp) -> Option<String> {
    if entry.logged_at < entry.decided_at {
        return Some(format!(
            "decision `{}` is logged at {}, before it was decided ({}): back-dated",
            entry.decision_id, entry.logged_at, entry.decided_at
        ));
    }
    if entry.logged_at > checkpoint_time {
        return Some(format!(
            "decision `{}` is logged at {}, after the checkpoint that includes it was signed ({})",
            entry.decision_id, entry.logged_at, checkpoint_time
        ));
    }
    None
}

/// One bundle: in the log at the checkpoint, with an entry that matches it.
fn check_bundle(
    path: &Path,
    signed: &SignedCheckpoint,
    source: &Source,
    dump: Option<&[LogEntry]>,
    tree: Option<&Tree>,
    report: &mut Report,
) {
    let cp = &signed.checkpoint;
    let name = path.display().to_string();
    let bytes = match read_input(path, "bundle", MAX_DOCUMENT_BYTES) {
        Ok(b) => b,
        Err(e) => return report.unable("bundle", "unreadable-input", e.to_string()),
    };
    let bundle = match Bundle::from_json(&bytes) {
        Ok(b) => b,
        Err(e) => {
            return report.unable(
                "bundle",
                "unreadable-input",
                format!("`{name}` is not a bundle: {e}"),
            )
        }
    };
    let id = bundle.decision.id.as_str().to_string();
    let digest: Hash = *blake3::hash(&bytes).as_bytes();
    let found: Result<Option<InclusionResponse>, String> = match source {
        Source::Http { agent, base } => {
            let path = format!(
                "/decisions/{}/inclusion?size={}",
                percent_encode(&id),
                cp.size
            );
            http_get(agent, base, &path).and_then(|body| match body {
                None => Ok(None),
                Some(body) => serde_json::from_str(&body)
                    .map(Some)
                    .map_err(|e| format!("`{path}` is not an inclusion proof: {e}")),
            })
        }
        Source::Files { inclusions, .. } => match (inclusions.get(&id), dump, tree) {
            (Some(proof), _, _) => Ok(Some(proof.clone())),
            (None, Some(entries), Some(tree)) => {
                let limit = usize::try_from(cp.size).unwrap_or(usize::MAX);
                match entries
                    .iter()
                    .take(limit)
                    .position(|e| e.decision_id == id)
                {
                    None => Ok(None),
                    Some(index) => tree
                        .inclusion_proof(index as u64, cp.size)
                        .map(|proof| {
                            Some(InclusionResponse {
                                index: index as u64,
                                size: cp.size,
                                entry: entries[index].clone(),
                                proof,
                            })
                        })
                        .map_err(|e| e.to_string()),
                }
            }
            _ => Err(format!(
                "no inclusion proof for decision `{id}` (`{name}`): give `--inclusion`, `--entries` or `--url`"
            )),
        },
    };
    let found = match found {
        Ok(f) => f,
        Err(e) => return report.unable("bundle", "no-inclusion-proof", e),
    };
    let Some(found) = found else {
        return report.fail(
            "bundle",
            "not-in-log",
            format!(
                "decision `{id}` (`{name}`) is not in the log of {} entries: removed or never logged",
                cp.size
            ),
        );
    };
    let entry = &found.entry;
    let at = found.index;
    if found.size != cp.size {
        return report.fail(
            "bundle",
            "inclusion-failed",
            format!(
                "the inclusion proof of decision `{id}` is against {} entries, not the checkpoint's {}",
                found.size, cp.size
            ),
        );
    }
    let mut ok = true;
    if entry.decision_id != id {
        report.fail(
            "bundle",
            "entry-mismatch",
            format!(
                "the entry at index {at} is of decision `{}`, not `{id}` (`{name}`)",
                entry.decision_id
            ),
        );
        ok = false;
    }
    if entry.bundle_digest != digest {
        report.fail(
            "bundle",
            "entry-mismatch",
            format!(
                "the entry of decision `{id}` at index {at} has bundle digest {}, `{name}` has {}: the bundle or the entry was changed",
                hex::encode(entry.bundle_digest),
                hex::encode(digest)
            ),
        );
        ok = false;
    }
    if entry.decided_at != bundle.decision.time {
        report.fail(
            "bundle",
            "entry-mismatch",
            format!(
                "the entry of decision `{id}` at index {at} says it was decided at {}, the bundle at {}",
                entry.decided_at, bundle.decision.time
            ),
        );
        ok = false;
    }
    if let Some(reason) = entry_time_problem(entry, cp.time) {
        report.fail("bundle", "back-dated", format!("index {at}: {reason}"));
        ok = false;
    }
    if verify_inclusion(&entry.leaf_hash(), at, cp.size, &found.proof, &cp.root).is_err() {
        report.fail(
            "bundle",
            "inclusion-failed",
            format!(
                "the entry of decision `{id}` at index {at} is not in the checkpoint's tree: the inclusion proof fails (an entry was removed, changed or reordered)"
            ),
        );
        ok = false;
    }
    if ok {
        report.pass(
            "bundle",
            format!(
                "decision `{id}` (`{name}`) is entry {at} of {}, logged at {}",
                cp.size, entry.logged_at
            ),
        );
    }
}

/// Percent-encodes a decision id for a URL path (everything but unreserved characters).
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn verdict(exit: Exit) -> &'static str {
    match exit {
        Exit::Success => "VALID",
        Exit::Rejected => "INVALID",
        _ => "COULD NOT CHECK",
    }
}

fn print_text(
    report: &Report,
    signed: Option<&SignedCheckpoint>,
    exit: Exit,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if let Some(s) = signed {
        let cp = &s.checkpoint;
        writeln!(
            out,
            "log `{}`: {} entries, root {}, signed at {}",
            cp.origin,
            cp.size,
            hex::encode(cp.root),
            cp.time
        )?;
    }
    writeln!(out, "checks")?;
    for c in &report.checks {
        // Details quote the log's own strings (decision ids): no control character reaches the
        // terminal, so a crafted id cannot forge a report line.
        let detail: String = c
            .detail
            .chars()
            .map(|ch| if ch.is_control() { '?' } else { ch })
            .collect();
        writeln!(out, "  {:<5} {:<12} {detail}", c.status.label(), c.name)?;
    }
    let first = report
        .checks
        .iter()
        .find(|c| c.status == Status::Fail)
        .or_else(|| {
            report
                .checks
                .iter()
                .find(|c| c.status == Status::CouldNotCheck)
        });
    match first {
        Some(c) => writeln!(
            out,
            "\n{} ({}: {}) (exit {})",
            verdict(exit),
            c.name,
            c.reason,
            exit as u8
        ),
        None => writeln!(out, "\n{} (exit {})", verdict(exit), exit as u8),
    }
}

fn print_json(
    report: &Report,
    signed: Option<&SignedCheckpoint>,
    exit: Exit,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let checkpoint = signed.map(|s| {
        json!({
            "origin": s.checkpoint.origin,
            "size": s.checkpoint.size,
            "root": hex::encode(s.checkpoint.root),
            "time": s.checkpoint.time.to_rfc3339(),
            "key_name": s.key_name,
        })
    });
    let checks: Vec<_> = report
        .checks
        .iter()
        .map(|c| {
            json!({
                "check": c.name,
                "status": c.status.code(),
                "reason": c.reason,
                "detail": c.detail,
            })
        })
        .collect();
    let doc = json!({
        "verdict": verdict(exit),
        "exit": exit as u8,
        "checkpoint": checkpoint,
        "checks": checks,
    });
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}
