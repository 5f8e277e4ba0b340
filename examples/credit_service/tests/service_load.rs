#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may fail loudly
//! SHORT LOAD TEST (about 30 s): the `credit-service` binary on loopback under a steady rate and
//! two bursts above its capacity, stopped with SIGTERM, then its decision log audited. The
//! minutes-long run the README reports is `credit-service load-test` (see the README).
//!
//! What must hold whatever the machine's speed: no decision answered 201 is missing from the log,
//! none is logged twice or without a 201, every logged bundle verifies, every repeated id is
//! refused with 409, bursts beyond the queue get 429 with `Retry-After`, and the service exits
//! cleanly. Nothing here asserts a duration.

use std::path::{Path, PathBuf};
use std::time::Duration;

use credit_service::deployment::create_demo;
use credit_service::loadtest::{run, LoadPlan, ServerSpec};
use govproof::registry::Timestamp;
use govproof::setup::dangerous;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("credit-service-tests")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_with_bursts_loses_and_duplicates_nothing() {
    let Some(bb) = govproof_testkit::bb() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let deployment = dir.path().join("deployment");
    create_demo(&deployment, Timestamp::now()).unwrap();
    let data = shared();
    let setup = dangerous::development_setup(&data.join("setup")).unwrap();
    let args: Vec<String> = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--setup",
        "development",
        "--workers",
        "2",
        "--queue",
        "4",
        "--timeout-secs",
        "120",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        "--data".to_string(),
        data.display().to_string(),
        "--log".to_string(),
        log.display().to_string(),
        "--deployment".to_string(),
        deployment.display().to_string(),
        "--bb".to_string(),
        bb.display().to_string(),
    ])
    .collect();
    let server = ServerSpec {
        exe: PathBuf::from(env!("CARGO_BIN_EXE_credit-service")),
        args,
        log_path: log,
        keys_dir: data.join("keys"),
        deployment,
        bb,
        setup,
    };
    let plan = LoadPlan {
        duration: Duration::from_secs(20),
        rate: Some(1.0),
        burst_every: Duration::from_secs(8),
        burst_size: 16,
        max_in_flight: 32,
    };
    let report = run(&server, plan, &mut |line| eprintln!("{line}"))
        .await
        .unwrap();
    eprintln!("{}", report.to_markdown());
    assert!(report.passed(), "{}", report.to_markdown());
    assert!(report.completed > 0);
    // 16 requests at once against 2 workers and 4 queue slots: some must be turned away.
    assert!(report.rejected_busy > 0, "{}", report.to_markdown());
    assert_eq!(report.logged, report.completed);
    assert_eq!(report.bundles_verified, report.completed);
}
