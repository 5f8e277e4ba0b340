//! Crash safety: a writer killed at any step of an update leaves a registry that still verifies,
//! at the old version before the commit point and at the new one after it, and that the next
//! writer can keep using.
//!
//! The writer runs in a child process: this test binary re-invoked on the `crash_child` test, which
//! performs one registry operation. The child gets `GOVPROOF_CRASH_AT=<step>` (test scaffolding in
//! `registry::durable`), which makes it abort at that step as if the power had failed. The steps
//! of each operation are first enumerated by running it once with `GOVPROOF_CRASH_TRACE`.

#![allow(clippy::unwrap_used)]

use crate::registry_support;

use std::path::Path;
use std::process::Command;

use govproof::registry::durable::{CRASH_AT_ENV, CRASH_TRACE_ENV, TEMP_PREFIX};
use govproof::registry::names::{ModelId, ModelVersion, Note};
use govproof::registry::{RegistryDir, TrustState, Version};
use registry_support::*;

/// Names the operation and folder the child runs (`<op>|<dir>`); unset in normal test runs.
const CHILD_ENV: &str = "GOVPROOF_TEST_CRASH_CHILD";

const NOW: &str = "2025-03-01T00:00:00Z";

fn run_op(op: &str, dir: &Path) {
    let reg = RegistryDir::at(dir);
    let now = t(NOW);
    match op {
        "add" => {
            reg.add(entry("credit-risk", "2.0.0", 7), days(30), now)
                .unwrap();
        }
        "revoke" => {
            reg.revoke(
                &ModelId::new("fraud-score").unwrap(),
                &ModelVersion::new("3.0.0").unwrap(),
                Note::new("superseded").unwrap(),
                days(30),
                now,
            )
            .unwrap();
        }
        "rotate" => {
            reg.rotate(root_keys(&[1, 2, 4]), 2, days(365), days(30), now)
                .unwrap();
        }
        "sign-alice" => {
            reg.sign(&key(1)).unwrap();
        }
        "sign-bob" => {
            reg.sign(&key(2)).unwrap();
        }
        other => panic!("unknown operation {other}"),
    }
}

/// The child side: does nothing unless re-invoked by `run_child`.
#[test]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (op, dir) = spec.split_once('|').unwrap();
    run_op(op, Path::new(dir));
}

/// Runs `op` on `dir` in a child process, with an extra environment variable; returns whether it
/// exited successfully.
fn run_child(op: &str, dir: &Path, env: (&str, &str)) -> bool {
    // The test's name as libtest knows it: its module path without the crate's name.
    let test_name = match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::crash_child"),
        None => "crash_child".to_owned(),
    };
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            test_name.as_str(),
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, format!("{op}|{}", dir.display()))
        .env(env.0, env.1)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    status.success()
}

/// Published version 2: two entries, keys alice, bob, carol, 2 of 3.
fn base(dir: &Path) {
    let (reg, _) = RegistryDir::init(
        dir,
        root_keys(&[1, 2, 3]),
        2,
        days(1826),
        days(365),
        t("2025-01-01T00:00:00Z"),
    )
    .unwrap();
    reg.sign(&key(1)).unwrap();
    reg.sign(&key(2)).unwrap();
    let now = t("2025-01-10T00:00:00Z");
    reg.add(entry("credit-risk", "1.0.0", 1), days(365), now)
        .unwrap();
    reg.add(entry("fraud-score", "3.0.0", 2), days(365), now)
        .unwrap();
    reg.sign(&key(1)).unwrap();
    reg.sign(&key(2)).unwrap();
}

/// Verifies `dir` as a fresh client trusting root 1 would; returns the snapshot version.
fn verified_version(dir: &Path) -> u64 {
    let reg = RegistryDir::at(dir);
    let trust = TrustState::bootstrap(reg.read_root(Version::FIRST).unwrap()).unwrap();
    let (verified, _) = reg
        .verify(&trust, t(NOW))
        .unwrap_or_else(|e| panic!("the registry no longer verifies: {e}"));
    verified.snapshot().snapshot().version().get()
}

fn temp_files(dir: &Path) -> Vec<String> {
    tree_contents(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.rsplit('/').next().unwrap().starts_with(TEMP_PREFIX))
        .collect()
}

/// Kills each step of `ops` at each of its crash points and checks what is left.
fn crash_every_step(ops: &[&str]) -> usize {
    let work = tempfile::tempdir().unwrap();
    let base_dir = work.path().join("base");
    base(&base_dir);
    assert_eq!(verified_version(&base_dir), 2);
    let mut killed = 0;
    for (s, op) in ops.iter().enumerate() {
        // The state before step `s`.
        let pre = work.path().join(format!("pre-{s}"));
        copy_tree(&base_dir, &pre);
        for done in &ops[..s] {
            run_op(done, &pre);
        }
        // Enumerate the step's crash points.
        let traced = work.path().join(format!("traced-{s}"));
        copy_tree(&pre, &traced);
        let trace = work.path().join(format!("trace-{s}.txt"));
        assert!(
            run_child(op, &traced, (CRASH_TRACE_ENV, trace.to_str().unwrap())),
            "`{op}` failed without a crash"
        );
        let points: Vec<String> = std::fs::read_to_string(&trace)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        assert!(!points.is_empty(), "`{op}` reached no crash point");
        let commit = points.iter().position(|p| p == "registry.json@renamed");
        for (i, point) in points.iter().enumerate() {
            let dir = work.path().join(format!("crash-{s}-{i}"));
            copy_tree(&pre, &dir);
            assert!(
                !run_child(op, &dir, (CRASH_AT_ENV, point)),
                "`{op}` did not die at `{point}`"
            );
            killed += 1;
            let committed = commit.is_some_and(|c| i >= c);
            let expected = if committed { 3 } else { 2 };
            assert_eq!(
                verified_version(&dir),
                expected,
                "`{op}` killed at `{point}`"
            );
            // The next writer cleans up and carries on.
            let reg = RegistryDir::at(&dir);
            reg.add(entry("recovery", "1", 99), days(30), t(NOW))
                .unwrap();
            reg.sign(&key(1)).unwrap();
            assert!(
                reg.sign(&key(2)).unwrap().published,
                "`{op}` killed at `{point}`"
            );
            assert_eq!(
                verified_version(&dir),
                expected + 1,
                "`{op}` killed at `{point}`"
            );
            assert_eq!(
                temp_files(&dir),
                Vec::<String>::new(),
                "`{op}` killed at `{point}`"
            );
            std::fs::remove_dir_all(&dir).unwrap();
        }
        // Without a crash, the step completes.
        assert_eq!(
            verified_version(&traced),
            if commit.is_some() { 3 } else { 2 }
        );
    }
    killed
}

#[test]
fn adding_an_entry_survives_a_crash_at_every_step() {
    let killed = crash_every_step(&["add", "sign-alice", "sign-bob"]);
    assert!(killed >= 20, "only {killed} crash points");
}

#[test]
fn revoking_survives_a_crash_at_every_step() {
    crash_every_step(&["revoke", "sign-alice", "sign-bob"]);
}

#[test]
fn rotating_keys_survives_a_crash_at_every_step() {
    crash_every_step(&["rotate", "sign-alice", "sign-bob"]);
}
