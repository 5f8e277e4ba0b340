//! Shared by the bundle, verify and demo tests: bb, the in-process CLI, the fixture folders and
//! the fixed keys and times the fixtures are made from.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use clap::Parser;
use govproof::policy::{check, CheckOptions, Policy, SourceFile};
use govproof::registry::{SecretKey, Timestamp};
use govproof_cli::{run, Cli, Exit};

/// When the fixtures' registry was published.
pub const REGISTRY_NOW: &str = "2026-04-10T00:00:00Z";
/// When the fixtures' decisions were made.
pub const DECISION_TIME: &str = "2026-04-15T09:30:00Z";
/// The example policies the fixtures are proved under (copied into the fixture folder).
pub const BAND_POLICY: &str = "eu-consumer-credit";
/// The gate policy.
pub const GATE_POLICY: &str = "card-fraud-gate";

/// bb, found the way every proving test finds it (`GOVPROOF_BB`, else the pinned toolchain,
/// installed on first use). These tests cannot mean anything without bb, so a `GOVPROOF_BB` that
/// names no file fails them.
pub fn bb() -> PathBuf {
    govproof_testkit::bb().expect("GOVPROOF_BB names no file")
}

/// Runs `govproof ARGS` in-process: the exit code, stdout and stderr.
pub fn govproof<S: AsRef<str>>(args: &[S]) -> (Exit, String, String) {
    let cli =
        Cli::try_parse_from(std::iter::once("govproof").chain(args.iter().map(AsRef::as_ref)))
            .unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = run(cli, &mut out, &mut err);
    (
        exit,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// `tests/data/bundles`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bundles")
}

/// A time written canonically.
pub fn time(text: &str) -> Timestamp {
    Timestamp::parse_canonical(text).unwrap()
}

/// The fixtures' governance keys (fixed seeds, so every signature is reproducible).
pub fn keys() -> Vec<SecretKey> {
    govproof_testkit::seeded_keys(3)
}

/// Checks a policy text.
pub fn policy_from(name: &str, text: &str) -> Policy {
    let source = SourceFile::new(name, text);
    let checked = check(&source, &CheckOptions::default());
    checked
        .policy
        .unwrap_or_else(|| panic!("{}", checked.diagnostics.render(&source)))
}

/// The fixture copy of policy `name`.
pub fn fixture_policy_text(name: &str) -> String {
    std::fs::read_to_string(fixtures().join("policies").join(format!("{name}.toml"))).unwrap()
}

/// What a fixture folder expects: the extra arguments, the checks that must fail (none for a
/// valid bundle), and, for a valid bundle whose verdict is not plain `valid`, that verdict.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The attack or case, in one line.
    pub why: String,
    /// Extra arguments to `govproof verify`.
    pub args: Vec<String>,
    /// The checks that fail, in report order.
    pub failing: Vec<String>,
    /// The verdict when it is not the folder's default (`valid` for `valid/`, `invalid` for
    /// `rejected/`): `valid-policy-not-checked` for a bundle checked without its policy file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// The exit code when it is not the folder's (1: the verifier could not check, e.g. a trust
    /// state that does not follow the trusted root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<u8>,
}

impl Expect {
    pub fn read(dir: &Path) -> Expect {
        serde_json::from_slice(&std::fs::read(dir.join("expect.json")).unwrap()).unwrap()
    }
}

/// The arguments that verify the fixture in `dir` (the state file, if any, copied into `scratch`
/// so the fixture never changes; `opening.json`, if any, passed as `--opening`).
pub fn verify_args(dir: &Path, scratch: &Path, bb: &Path, json: bool) -> Vec<String> {
    let expect = Expect::read(dir);
    let mut args = vec![
        "verify".to_string(),
        dir.join("bundle.json").display().to_string(),
        "--trust".to_string(),
        fixtures().join("trust/root.json").display().to_string(),
        "--bb".to_string(),
        bb.display().to_string(),
    ];
    if dir.join("policy.toml").exists() {
        args.push("--policy".to_string());
        args.push(dir.join("policy.toml").display().to_string());
    }
    if dir.join("state.json").exists() {
        let copy = scratch.join("state.json");
        std::fs::copy(dir.join("state.json"), &copy).unwrap();
        args.push("--state".to_string());
        args.push(copy.display().to_string());
    }
    if dir.join("opening.json").exists() {
        args.push("--opening".to_string());
        args.push(dir.join("opening.json").display().to_string());
    }
    if json {
        args.push("--format".to_string());
        args.push("json".to_string());
    }
    args.extend(expect.args);
    args
}

/// Every fixture folder: `(expected valid, folder)`, sorted.
pub fn fixture_dirs() -> Vec<(bool, PathBuf)> {
    let mut out = Vec::new();
    for (valid, kind) in [(true, "valid"), (false, "rejected")] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures().join(kind))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        out.extend(dirs.into_iter().map(|d| (valid, d)));
    }
    out
}

/// Replaces machine paths in a report.
pub fn redact(text: &str) -> String {
    text.replace(&fixtures().display().to_string(), "[fixtures]")
}
