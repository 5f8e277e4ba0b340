//! `govproof log verify` against a log of real bundle fixtures: a valid log verifies and advances
//! the state; each attack (a removed, changed, reordered or back-dated entry, a fork, a shrunken
//! log, a bad signature, another key, a wrong origin) is refused with its reason named; and the
//! `--url` path against a tiny HTTP server (a std::net thread) serving the endpoints of
//! `docs/transparency-log.md`.

// Test code: a panic with its message is how a case reports failure.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use govproof::translog::{
    verifier_key, Checkpoint, ConsistencyResponse, InclusionResponse, LogEntry, SigningKey, Tree,
};
use govproof::Timestamp;
use govproof_cli::log::{run_verify, LogVerifyArgs};
use govproof_cli::{Exit, Format};
use serde_json::Value;

const ORIGIN: &str = "lender.example/credit-decisions";

/// The three fixture bundles with distinct decision ids.
const BUNDLES: [&str; 3] = [
    "tests/data/bundles/valid/band/bundle.json",
    "tests/data/bundles/valid/gate-with-policy/bundle.json",
    "tests/data/bundles/valid/registry-vouched-key/bundle.json",
];

/// A change to a log's entries.
type Mutation = Box<dyn Fn(&mut Vec<LogEntry>)>;

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

/// Other decisions in the log, around the fixtures: entries only (their bundles are not here).
fn filler(i: u64, logged_at: Timestamp) -> LogEntry {
    LogEntry {
        decision_id: format!("OTHER-{i:04}"),
        bundle_digest: *blake3::hash(&i.to_le_bytes()).as_bytes(),
        decided_at: t("2026-04-15T09:00:00Z"),
        logged_at,
    }
}

/// A log of 11 entries: 4 others, the three fixture bundles at indexes 4, 5 and 6 (each logged
/// a few seconds after its decision), 4 others.
fn honest_entries() -> Vec<LogEntry> {
    let mut entries = Vec::new();
    for i in 0..4 {
        entries.push(filler(i, t(&format!("2026-04-15T09:2{i}:00Z"))));
    }
    for (n, path) in BUNDLES.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        let logged = t(&format!("2026-04-15T09:30:0{}Z", n + 1));
        entries.push(LogEntry::for_bundle(&bytes, logged).unwrap());
    }
    for i in 4..8 {
        entries.push(filler(i, t(&format!("2026-04-15T09:4{i}:00Z"))));
    }
    entries
}

fn tree_of(entries: &[LogEntry]) -> Tree {
    Tree::from_leaves(entries.iter().map(LogEntry::leaf_hash).collect())
}

fn note(tree: &Tree, size: u64, time: &str) -> String {
    Checkpoint {
        origin: ORIGIN.to_string(),
        size,
        root: tree.root_at(size).unwrap(),
        time: t(time),
    }
    .try_sign(&key(), ORIGIN)
    .unwrap()
    .to_note()
}

fn dump(entries: &[LogEntry]) -> String {
    entries
        .iter()
        .map(|e| String::from_utf8(e.canonical_bytes()).unwrap() + "\n")
        .collect()
}

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("log.vkey"),
            verifier_key(ORIGIN, &key().verifying_key()) + "\n",
        )
        .unwrap();
        Case { dir }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn args(&self, checkpoint: &Path) -> LogVerifyArgs {
        LogVerifyArgs {
            checkpoint: Some(checkpoint.to_path_buf()),
            url: None,
            key: self.path("log.vkey"),
            origin: None,
            state: Some(self.path("state.note")),
            bundles: Vec::new(),
            entries: None,
            all_entries: false,
            inclusions: Vec::new(),
            consistency: None,
            format: Format::Json,
        }
    }

    /// Runs the command on the first bundle with one served inclusion response: `entry` claimed
    /// at `index` of the 11 entries, with `tree`'s proof for index 4 (the bundle's own place).
    fn verify_first_bundle(
        &self,
        checkpoint: &Path,
        tree: &Tree,
        index: u64,
        entry: &LogEntry,
    ) -> (Exit, Value) {
        let response = InclusionResponse {
            index,
            size: 11,
            entry: entry.clone(),
            proof: tree.inclusion_proof(4, 11).unwrap(),
        };
        let mut args = self.args(checkpoint);
        args.bundles = vec![PathBuf::from(BUNDLES[0])];
        args.inclusions = vec![self.write("inc.json", &serde_json::to_string(&response).unwrap())];
        verify(&args)
    }
}

/// Runs the command; returns the exit and the JSON report.
fn verify(args: &LogVerifyArgs) -> (Exit, Value) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let exit = run_verify(args, &mut out, &mut err);
    let report: Value = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)));
    assert_eq!(report["exit"], exit as u8);
    (exit, report)
}

/// The reasons of the failed checks.
fn failures(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| {
            format!(
                "{}: {}",
                c["reason"].as_str().unwrap(),
                c["detail"].as_str().unwrap()
            )
        })
        .collect()
}

fn has_failure(report: &Value, reason: &str) -> bool {
    failures(report)
        .iter()
        .any(|f| f.starts_with(&format!("{reason}:")))
}

fn bundles() -> Vec<PathBuf> {
    BUNDLES.iter().map(PathBuf::from).collect()
}

#[test]
fn an_honest_log_verifies_and_the_state_advances_only_on_consistent_checkpoints() {
    let case = Case::new();
    let entries = honest_entries();
    let tree = tree_of(&entries);
    // First sight of the log at 7 entries, with a dump and the bundles: trusted on first use.
    let first = case.write("cp7.note", &note(&tree, 7, "2026-04-15T09:31:00Z"));
    let mut args = case.args(&first);
    args.entries = Some(case.write("dump7.jsonl", &dump(&entries[..7])));
    args.bundles = bundles();
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Success, "{report:#}");
    assert_eq!(
        std::fs::read_to_string(case.path("state.note")).unwrap(),
        note(&tree, 7, "2026-04-15T09:31:00Z")
    );

    // Later, 11 entries with a consistency proof saved from the service: valid, state advanced.
    let later = case.write("cp11.note", &note(&tree, 11, "2026-04-15T09:50:00Z"));
    let proof = ConsistencyResponse {
        from: Some(7),
        to: Some(11),
        proof: tree.consistency_proof(7, 11).unwrap(),
    };
    let mut args = case.args(&later);
    args.consistency = Some(case.write("c.json", &serde_json::to_string(&proof).unwrap()));
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Success, "{report:#}");
    assert!(std::fs::read_to_string(case.path("state.note"))
        .unwrap()
        .starts_with(&format!("{ORIGIN}\n11\n")));

    // The bundles through saved inclusion proofs at 11, and the full dump: still valid.
    let mut args = case.args(&later);
    args.bundles = bundles();
    args.inclusions = (4..7)
        .map(|i| {
            let response = InclusionResponse {
                index: i,
                size: 11,
                entry: entries[i as usize].clone(),
                proof: tree.inclusion_proof(i, 11).unwrap(),
            };
            case.write(
                &format!("inc{i}.json"),
                &serde_json::to_string(&response).unwrap(),
            )
        })
        .collect();
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Success, "{report:#}");

    // The text report names each check and the verdict.
    let mut args = case.args(&later);
    args.format = Format::Text;
    args.entries = Some(case.write("dump11.jsonl", &dump(&entries)));
    let mut out = Vec::new();
    let exit = run_verify(&args, &mut out, &mut Vec::new());
    let text = String::from_utf8(out).unwrap();
    assert_eq!(exit, Exit::Success, "{text}");
    assert!(text.contains("PASS  signature"), "{text}");
    assert!(text.contains("PASS  entries"), "{text}");
    assert!(text.ends_with("VALID (exit 0)\n"), "{text}");
}

#[test]
fn a_removed_entry_is_named() {
    let case = Case::new();
    let honest = honest_entries();
    let tree = tree_of(&honest);
    let cp = case.write("cp.note", &note(&tree, 11, "2026-04-15T09:50:00Z"));
    // The dump without entry 5 (the gate bundle's): the root does not match, and the bundle is
    // not in the log.
    let mut removed = honest.clone();
    removed.remove(5);
    let mut args = case.args(&cp);
    args.entries = Some(case.write("dump.jsonl", &dump(&removed)));
    args.bundles = bundles();
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "removed"), "{report:#}");
    assert!(has_failure(&report, "not-in-log"), "{report:#}");
    assert!(
        !case.path("state.note").exists(),
        "an invalid log must not be saved as the state"
    );

    // A log that re-signed itself without the entry: it forks from the checkpoint seen before.
    let seen = case.write("seen.note", &note(&tree, 11, "2026-04-15T09:50:00Z"));
    let (exit, _) = verify(&case.args(&seen));
    assert_eq!(exit, Exit::Success);
    let forged_tree = tree_of(&removed);
    let mut more = removed.clone();
    more.push(filler(99, t("2026-04-15T09:55:00Z")));
    let forged_tree_11 = tree_of(&more);
    let forged = case.write(
        "forged.note",
        &note(&forged_tree_11, 11, "2026-04-15T09:56:00Z"),
    );
    let (exit, report) = verify(&case.args(&forged));
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "fork"), "{report:#}");
    assert_eq!(forged_tree.size(), 10);
}

#[test]
fn a_changed_entry_is_named_with_its_index() {
    let case = Case::new();
    let honest = honest_entries();
    let tree = tree_of(&honest);
    let cp = case.write("cp.note", &note(&tree, 11, "2026-04-15T09:50:00Z"));
    let mut changed = honest.clone();
    changed[4].bundle_digest[0] ^= 1;
    let mut args = case.args(&cp);
    args.entries = Some(case.write("dump.jsonl", &dump(&changed)));
    args.bundles = vec![PathBuf::from(BUNDLES[0])];
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "root-mismatch"), "{report:#}");
    let named = failures(&report)
        .into_iter()
        .any(|f| f.starts_with("entry-mismatch:") && f.contains("at index 4"));
    assert!(named, "{report:#}");

    // The same change served as an inclusion proof: the proof does not lead to the root.
    let (exit, report) = case.verify_first_bundle(&cp, &tree, 4, &changed[4]);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "inclusion-failed"), "{report:#}");
    assert!(has_failure(&report, "entry-mismatch"), "{report:#}");

    // A changed bundle (one byte) against the honest log: its digest does not match the entry.
    let mut bytes = std::fs::read(BUNDLES[0]).unwrap();
    let end = bytes.iter().rposition(|b| *b == b'}').unwrap();
    bytes.insert(end, b' ');
    let altered = case.path("altered.json");
    std::fs::write(&altered, &bytes).unwrap();
    let mut args = case.args(&cp);
    args.entries = Some(case.write("honest.jsonl", &dump(&honest)));
    args.bundles = vec![altered];
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "entry-mismatch"), "{report:#}");
}

#[test]
fn a_reordered_entry_is_named() {
    let case = Case::new();
    let honest = honest_entries();
    let tree = tree_of(&honest);
    let cp = case.write("cp.note", &note(&tree, 11, "2026-04-15T09:50:00Z"));
    let mut reordered = honest.clone();
    reordered.swap(4, 6);
    let mut args = case.args(&cp);
    args.entries = Some(case.write("dump.jsonl", &dump(&reordered)));
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "root-mismatch"), "{report:#}");
    assert!(has_failure(&report, "back-dated"), "{report:#}");

    // The entry served at another index than the one it was proved at.
    let (exit, report) = case.verify_first_bundle(&cp, &tree, 6, &honest[4]);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "inclusion-failed"), "{report:#}");
}

#[test]
fn back_dated_entries_are_named_even_in_a_consistent_log() {
    let case = Case::new();
    // A log whose own root is right but whose times cannot be: each case is signed honestly.
    let cases: [(&str, Mutation); 3] = [
        (
            "before it was decided",
            Box::new(|e| e[4].logged_at = t("2026-04-15T09:29:59Z")),
        ),
        (
            "earlier than entry",
            Box::new(|e| e[8].logged_at = t("2026-04-15T09:25:00Z")),
        ),
        (
            "after the checkpoint",
            Box::new(|e| e[10].logged_at = t("2026-04-15T10:00:00Z")),
        ),
    ];
    for (words, mutate) in cases {
        let mut entries = honest_entries();
        mutate(&mut entries);
        let tree = tree_of(&entries);
        let cp = case.write("cp.note", &note(&tree, 11, "2026-04-15T09:50:00Z"));
        let mut args = case.args(&cp);
        args.state = None;
        args.entries = Some(case.write("dump.jsonl", &dump(&entries)));
        let (exit, report) = verify(&args);
        assert_eq!(exit, Exit::Rejected, "{words}: {report:#}");
        let named = failures(&report)
            .iter()
            .any(|f| f.starts_with("back-dated:") && f.contains(words));
        assert!(named, "{words}: {report:#}");
    }
    // Through a bundle's inclusion proof (no dump): logged before its decision.
    let mut entries = honest_entries();
    entries[4].logged_at = t("2026-04-15T09:00:00Z");
    let tree = tree_of(&entries);
    let cp = case.write("cp.note", &note(&tree, 11, "2026-04-15T09:50:00Z"));
    let (exit, report) = case.verify_first_bundle(&cp, &tree, 4, &entries[4]);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "back-dated"), "{report:#}");
}

#[test]
fn forks_and_shrinking_against_the_state_are_refused_and_the_state_kept() {
    let case = Case::new();
    let honest = honest_entries();
    let tree = tree_of(&honest);
    let seen = note(&tree, 8, "2026-04-15T09:45:00Z");
    case.write("state.note", &seen);

    // Same size, another root.
    let mut other = honest.clone();
    other[1].bundle_digest[31] ^= 0x80;
    let other_tree = tree_of(&other);
    let fork = case.write("fork.note", &note(&other_tree, 8, "2026-04-15T09:46:00Z"));
    let (exit, report) = verify(&case.args(&fork));
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "fork"), "{report:#}");
    let mut text_args = case.args(&fork);
    text_args.format = Format::Text;
    let mut out = Vec::new();
    assert_eq!(
        run_verify(&text_args, &mut out, &mut Vec::new()),
        Exit::Rejected
    );
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("FAIL  consistency  fork: 8 entries with root "),
        "{text}"
    );
    assert!(
        text.ends_with("INVALID (consistency: fork) (exit 2)\n"),
        "{text}"
    );

    // Larger, with the forked log's own consistency proof: it does not join the roots.
    let grown = case.write("grown.note", &note(&other_tree, 11, "2026-04-15T09:50:00Z"));
    let proof = ConsistencyResponse {
        from: Some(8),
        to: Some(11),
        proof: other_tree.consistency_proof(8, 11).unwrap(),
    };
    let mut args = case.args(&grown);
    args.consistency = Some(case.write("c.json", &serde_json::to_string(&proof).unwrap()));
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "fork"), "{report:#}");

    // Larger with the forked dump: its first 8 entries do not have the seen root.
    let mut args = case.args(&grown);
    args.entries = Some(case.write("d.jsonl", &dump(&other)));
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "fork"), "{report:#}");

    // Smaller.
    let shrunk = case.write("shrunk.note", &note(&tree, 6, "2026-04-15T09:50:00Z"));
    let (exit, report) = verify(&case.args(&shrunk));
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "shrank"), "{report:#}");

    // Larger with no way to check consistency: could not check (exit 1), state unchanged.
    let honest_grown = case.write("hg.note", &note(&tree, 11, "2026-04-15T09:50:00Z"));
    let (exit, report) = verify(&case.args(&honest_grown));
    assert_eq!(exit, Exit::Error, "{report:#}");
    assert_eq!(
        std::fs::read_to_string(case.path("state.note")).unwrap(),
        seen
    );

    // An older time on a larger honest checkpoint: the checkpoint is back-dated.
    let proof = ConsistencyResponse {
        from: Some(8),
        to: Some(11),
        proof: tree.consistency_proof(8, 11).unwrap(),
    };
    let old_time = case.write("ot.note", &note(&tree, 11, "2026-04-15T09:44:00Z"));
    let mut args = case.args(&old_time);
    args.consistency = Some(case.write("c2.json", &serde_json::to_string(&proof).unwrap()));
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "checkpoint-back-dated"), "{report:#}");
    assert_eq!(
        std::fs::read_to_string(case.path("state.note")).unwrap(),
        seen
    );
}

#[test]
fn bad_signatures_other_keys_and_wrong_origins_are_refused() {
    let case = Case::new();
    let tree = tree_of(&honest_entries());
    let good = note(&tree, 11, "2026-04-15T09:50:00Z");

    // One bit of the signature flipped (the last base64 digit before the padding).
    let sig_line = good.lines().last().unwrap().to_string();
    let mut chars: Vec<char> = sig_line.chars().collect();
    let at = chars.len() - 3;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    let bad = good.replace(&sig_line, &chars.into_iter().collect::<String>());
    let (exit, report) = verify(&case.args(&case.write("bad.note", &bad)));
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "bad-signature"), "{report:#}");

    // The body changed under a good signature.
    let bigger = good.replacen("\n11\n", "\n12\n", 1);
    let (exit, report) = verify(&case.args(&case.write("bigger.note", &bigger)));
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "bad-signature"), "{report:#}");

    // Signed by another key under the service's key name.
    let other = Checkpoint {
        origin: ORIGIN.to_string(),
        size: 11,
        root: tree.root(),
        time: t("2026-04-15T09:50:00Z"),
    }
    .sign(&SigningKey::from_bytes(&[7; 32]), ORIGIN)
    .to_note();
    let (exit, report) = verify(&case.args(&case.write("other.note", &other)));
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "unknown-key"), "{report:#}");

    // A checkpoint of another log, signed by the service's key.
    let elsewhere = Checkpoint {
        origin: "lender.example/other-log".to_string(),
        size: 11,
        root: tree.root(),
        time: t("2026-04-15T09:50:00Z"),
    }
    .sign(&key(), ORIGIN)
    .to_note();
    let (exit, report) = verify(&case.args(&case.write("elsewhere.note", &elsewhere)));
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "wrong-origin"), "{report:#}");

    // Not a note at all: refused, and nothing written.
    let (exit, report) = verify(&case.args(&case.write("junk.note", "hello\n")));
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "malformed"), "{report:#}");
    assert!(!case.path("state.note").exists());

    // An unreadable key: could not check.
    let mut args = case.args(&case.write("good.note", &good));
    args.key = case.write("bad.vkey", "not a key");
    let (exit, _) = verify(&args);
    assert_eq!(exit, Exit::Error);
}

/// The service's log endpoints over a tree, for the `--url` path.
struct Served {
    entries: Vec<LogEntry>,
    tree: Tree,
    note: String,
    /// `GET /log/entries` leaves out the last entry of every page it serves (an attack).
    short_pages: bool,
}

fn respond(stream: &mut std::net::TcpStream, status: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn query(path: &str, name: &str) -> Option<u64> {
    let (_, q) = path.split_once('?')?;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
}

/// Serves `state` on a local port until the test ends; returns the base URL.
fn serve(state: Arc<Mutex<Served>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Skip the headers.
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                    break;
                }
            }
            let path = line.split(' ').nth(1).unwrap_or("").to_string();
            let served = state.lock().unwrap();
            if path == "/log/checkpoint" {
                respond(&mut stream, "200 OK", &served.note);
            } else if path.starts_with("/log/consistency") {
                let (from, to) = (query(&path, "from"), query(&path, "to"));
                match (from, to) {
                    (Some(from), Some(to)) => match served.tree.consistency_proof(from, to) {
                        Ok(proof) => respond(
                            &mut stream,
                            "200 OK",
                            &serde_json::to_string(&ConsistencyResponse {
                                from: Some(from),
                                to: Some(to),
                                proof,
                            })
                            .unwrap(),
                        ),
                        Err(e) => respond(
                            &mut stream,
                            "400 Bad Request",
                            &format!("{{\"error\":\"{e}\"}}"),
                        ),
                    },
                    _ => respond(&mut stream, "400 Bad Request", "{}"),
                }
            } else if path.starts_with("/log/entries") {
                let (start, end) = (query(&path, "start"), query(&path, "end"));
                match (start, end) {
                    (Some(start), Some(end))
                        if start <= end && end as usize <= served.entries.len() =>
                    {
                        let cut = usize::from(served.short_pages && end > start);
                        let page = &served.entries[start as usize..end as usize - cut];
                        respond(&mut stream, "200 OK", &dump(page));
                    }
                    _ => respond(&mut stream, "400 Bad Request", "{}"),
                }
            } else if let Some(rest) = path.strip_prefix("/decisions/") {
                let id = rest.split('/').next().unwrap_or("");
                let size = query(&path, "size").unwrap_or(served.tree.size());
                match served.entries.iter().position(|e| e.decision_id == id) {
                    Some(index) => {
                        let response = InclusionResponse {
                            index: index as u64,
                            size,
                            entry: served.entries[index].clone(),
                            proof: served.tree.inclusion_proof(index as u64, size).unwrap(),
                        };
                        respond(
                            &mut stream,
                            "200 OK",
                            &serde_json::to_string(&response).unwrap(),
                        );
                    }
                    None => respond(
                        &mut stream,
                        "404 Not Found",
                        "{\"error\":\"unknown decision\"}",
                    ),
                }
            } else {
                respond(&mut stream, "404 Not Found", "{}");
            }
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    });
    url
}

#[test]
fn all_entries_fetches_the_served_log_in_pages_and_refuses_a_changed_or_short_one() {
    let case = Case::new();
    // More entries than one page (2,000) holds, so the dump is fetched in three pages.
    let mut entries = honest_entries();
    let last = entries.last().unwrap().logged_at;
    for i in 0..4_100u64 {
        entries.push(filler(1_000 + i, last));
    }
    let tree = tree_of(&entries);
    let served = Arc::new(Mutex::new(Served {
        entries: entries.clone(),
        tree: tree.clone(),
        note: note(&tree, entries.len() as u64, "2026-04-15T09:59:00Z"),
        short_pages: false,
    }));
    let url = serve(served.clone());
    let args = LogVerifyArgs {
        checkpoint: None,
        url: Some(url.clone()),
        key: case.path("log.vkey"),
        origin: Some(ORIGIN.to_string()),
        state: None,
        bundles: bundles(),
        entries: None,
        all_entries: true,
        inclusions: Vec::new(),
        consistency: None,
        format: Format::Json,
    };
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Success, "{report:#}");
    assert!(
        report.to_string().contains(&format!(
            "the dump's first {} entries hash to the checkpoint's root",
            entries.len()
        )),
        "{report:#}"
    );

    // The served entries differ from what the signed root covers (one changed): the recomputed
    // root gives it away.
    {
        let mut s = served.lock().unwrap();
        s.entries[3000].decision_id = "changed".to_string();
    }
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "root-mismatch"), "{report:#}");

    // Pages that leave entries out are refused as a malformed dump, not accepted as shorter.
    {
        let mut s = served.lock().unwrap();
        s.entries = entries.clone();
        s.short_pages = true;
    }
    let (exit, report) = verify(&args);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "malformed"), "{report:#}");
}

#[test]
fn the_url_path_checks_a_served_log_and_its_attacks() {
    let case = Case::new();
    let entries = honest_entries();
    let tree = tree_of(&entries[..8]);
    let served = Arc::new(Mutex::new(Served {
        entries: entries[..8].to_vec(),
        tree: tree.clone(),
        note: note(&tree, 8, "2026-04-15T09:45:00Z"),
        short_pages: false,
    }));
    let url = serve(served.clone());
    let args = |bundles: Vec<PathBuf>| LogVerifyArgs {
        checkpoint: None,
        url: Some(url.clone()),
        key: case.path("log.vkey"),
        origin: Some(ORIGIN.to_string()),
        state: Some(case.path("state.note")),
        bundles,
        entries: None,
        all_entries: false,
        inclusions: Vec::new(),
        consistency: None,
        format: Format::Json,
    };
    let (exit, report) = verify(&args(bundles()));
    assert_eq!(exit, Exit::Success, "{report:#}");

    // The log grows honestly: the consistency proof comes from the service.
    {
        let mut s = served.lock().unwrap();
        s.entries = entries.clone();
        s.tree = tree_of(&entries);
        s.note = note(&s.tree, 11, "2026-04-15T09:50:00Z");
    }
    let (exit, report) = verify(&args(bundles()));
    assert_eq!(exit, Exit::Success, "{report:#}");
    assert!(std::fs::read_to_string(case.path("state.note"))
        .unwrap()
        .starts_with(&format!("{ORIGIN}\n11\n")));

    // The service rewrites entry 2 and re-signs: a fork from the state.
    {
        let mut s = served.lock().unwrap();
        let mut forged = entries.clone();
        forged[2].logged_at = t("2026-04-15T09:22:30Z");
        forged.push(filler(50, t("2026-04-15T09:51:00Z")));
        s.tree = tree_of(&forged);
        s.entries = forged;
        s.note = note(&s.tree, 12, "2026-04-15T09:52:00Z");
    }
    let (exit, report) = verify(&args(bundles()));
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "fork"), "{report:#}");
    assert!(std::fs::read_to_string(case.path("state.note"))
        .unwrap()
        .starts_with(&format!("{ORIGIN}\n11\n")));

    // The service drops the gate bundle's entry (and signs the shorter log freshly, no state):
    // the bundle is not in the log.
    {
        let mut s = served.lock().unwrap();
        let mut dropped = entries.clone();
        dropped.remove(5);
        s.tree = tree_of(&dropped);
        s.entries = dropped;
        s.note = note(&s.tree, 10, "2026-04-15T09:52:00Z");
    }
    let mut fresh = args(bundles());
    fresh.state = None;
    let (exit, report) = verify(&fresh);
    assert_eq!(exit, Exit::Rejected, "{report:#}");
    assert!(has_failure(&report, "not-in-log"), "{report:#}");

    // A service that is not there: could not check.
    let mut gone = args(Vec::new());
    gone.url = Some("http://127.0.0.1:9".to_string());
    gone.state = None;
    let (exit, _) = verify(&gone);
    assert_eq!(exit, Exit::Error);
}
