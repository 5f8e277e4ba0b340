#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may fail loudly
//! Issue 13's process target: `govproof verify` of one bundle as a whole process (start, read
//! the bundle, root and policy, every check, the proof in-process, the report, exit) in at most
//! 15 ms. The release binary is run on two fixture bundles (the reference score band and the
//! gate with its policy, development setup), and, for scale, `govproof --version` (the floor a
//! process of this binary costs) and, when bb is there, the same verification with
//! `--cross-check-bb` (bb started and stopped as well, the way every verification went before
//! the in-process verifier). Wall-clock median and 90th percentile of 60 runs after 5 warm-up
//! runs each, all in one run.
//!
//! Run: `cargo bench --bench verify_process`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

fn runs(args: &[&str], expect: i32) -> (f64, f64) {
    let exe = env!("CARGO_BIN_EXE_govproof");
    let run = || {
        let started = Instant::now();
        let status = Command::new(exe)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(expect), "govproof {args:?}");
        started.elapsed().as_secs_f64() * 1e3
    };
    for _ in 0..5 {
        run();
    }
    let mut times: Vec<f64> = (0..60).map(|_| run()).collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() * 9 / 10])
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bundles");
    let s = |p: &str| dir.join(p).to_string_lossy().into_owned();
    let root = s("trust/root.json");
    let band = s("valid/band/bundle.json");
    let band_policy = s("policies/eu-consumer-credit.toml");
    let gate = s("valid/gate-with-policy/bundle.json");
    let gate_policy = s("valid/gate-with-policy/policy.toml");
    // Exit 4: valid, development setup (not evidence).
    let verify = |bundle: &str, policy: &str, extra: &[&str]| {
        let mut args = vec![
            "verify",
            bundle,
            "--trust",
            &root,
            "--policy",
            policy,
            "--dev-setup",
        ];
        args.extend_from_slice(extra);
        runs(&args, 4)
    };
    let mut rows = vec![
        ("`govproof --version`", runs(&["--version"], 0)),
        (
            "`govproof verify`, score band and its policy",
            verify(&band, &band_policy, &[]),
        ),
        (
            "`govproof verify`, gate and its policy",
            verify(&gate, &gate_policy, &[]),
        ),
    ];
    if let Some(bb) = govproof_testkit::bb() {
        let bb = bb.to_string_lossy().into_owned();
        rows.push((
            "`govproof verify --cross-check-bb`, gate (bb started too)",
            verify(&gate, &gate_policy, &["--cross-check-bb", "--bb", &bb]),
        ));
    }
    println!("## govproof verify as a process (60 runs each, one run of this bench)\n");
    println!("| process | median | p90 | target |");
    println!("| --- | --- | --- | --- |");
    for (what, (median, p90)) in rows {
        let target = if what.starts_with("`govproof verify`") {
            "<= 15 ms"
        } else {
            ""
        };
        println!("| {what} | {median:.1} ms | {p90:.1} ms | {target} |");
    }
}
