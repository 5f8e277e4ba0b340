#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may fail loudly
//! SHORT LOAD TESTS (about 30 s each): the `credit-service` binary on loopback under a steady
//! rate and two bursts above its capacity (one replica on SQLite; two replicas on PostgreSQL with
//! a replica and a bb killed; one replica with PostgreSQL restarted), stopped with SIGTERM, then
//! the database and the transparency log audited. The
//! minutes-long run the README reports is `credit-service load-test` (see the README).
//!
//! What must hold whatever the machine's speed: no decision answered 201 is missing from the log,
//! none is logged twice or without a 201, every logged bundle verifies, every repeated id is
//! refused with 409, bursts beyond the queue get 429 with `Retry-After`, and the service exits
//! cleanly. Nothing here asserts a duration.

use std::path::{Path, PathBuf};
use std::time::Duration;

use credit_service::deployment::create_demo;
use credit_service::loadtest::{run, Faults, LoadPlan, ServerSpec};
use credit_service::store::DatabaseUrl;
use govproof::registry::Timestamp;
use govproof::setup::dangerous;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("credit-service-tests")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_with_bursts_loses_and_duplicates_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("decisions.db").display());
    let Some(report) = load(dir.path(), &database, 1, Faults::default()).await else {
        return;
    };
    // 16 requests at once against 2 workers and 4 queue slots: some must be turned away.
    assert!(report.rejected_busy > 0, "{}", report.to_markdown());
    assert_eq!(report.logged, report.completed);
}

/// Two replicas (two processes) sharing one PostgreSQL, loaded round robin; half way, the
/// second is SIGKILLed mid-request and one bb process of the first is killed. Whatever the
/// killed replica had accepted is either logged whole or absent; the log stays one log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgres_survive_a_killed_replica_and_a_killed_bb() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(database) =
        tokio::task::spawn_blocking(|| credit_service::testdb::fresh_postgres("load_two_replicas"))
            .await
            .unwrap()
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = match &database {
        DatabaseUrl::Postgres(u) => u.clone(),
        DatabaseUrl::Sqlite(_) => unreachable!(),
    };
    let faults = Faults {
        kill_replica_after: Some(Duration::from_secs(12)),
        kill_bb_after: Some(Duration::from_secs(6)),
        restart_database: None,
    };
    let Some(report) = load(dir.path(), &url, 2, faults).await else {
        return;
    };
    assert_eq!(report.replicas, 2);
    assert_eq!(report.fault_costs.len(), 2, "{}", report.to_markdown());
}

/// PostgreSQL restarted during the load (when `.ci/run` says how to restart it): requests fail
/// cleanly or are retried, nothing is half-written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_during_load_fails_cleanly_or_retries() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (Ok(pg_ctl), Ok(data), Ok(user)) = (
        std::env::var("GOVPROOF_TEST_PG_CTL"),
        std::env::var("GOVPROOF_TEST_PG_DATA"),
        std::env::var("GOVPROOF_TEST_PG_USER"),
    ) else {
        eprintln!(
            "skipped: GOVPROOF_TEST_PG_CTL, _PG_DATA and _PG_USER are not set (.ci/run sets them)"
        );
        return;
    };
    let Some(DatabaseUrl::Postgres(url)) =
        tokio::task::spawn_blocking(|| credit_service::testdb::fresh_postgres("load_restart"))
            .await
            .unwrap()
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let command = format!("su {user} -s /bin/sh -c \"'{pg_ctl}' -D '{data}' -m fast -w restart\"");
    let faults = Faults {
        restart_database: Some((Duration::from_secs(8), command)),
        ..Faults::default()
    };
    let Some(report) = load(dir.path(), &url, 1, faults).await else {
        return;
    };
    assert_eq!(report.fault_costs.len(), 1, "{}", report.to_markdown());
}

/// One load test at a time: each loads the whole machine, and one restarts the shared server.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The short load against `replicas` service processes on `database`; the report, checked to
/// pass.
async fn load(
    dir: &Path,
    database: &str,
    replicas: usize,
    faults: Faults,
) -> Option<credit_service::loadtest::LoadReport> {
    let bb = govproof_testkit::bb()?;
    let deployment = dir.join("deployment");
    create_demo(&deployment, Timestamp::now()).unwrap();
    let data = shared();
    let setup = dangerous::development_setup(&data.join("setup")).unwrap();
    let log_key = dir.join("log-key");
    let args: Vec<String> = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--setup",
        "development",
        "--workers",
        "1",
        "--queue",
        "2",
        "--timeout-secs",
        "120",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        "--data".to_string(),
        data.display().to_string(),
        "--database".to_string(),
        database.to_string(),
        "--log-key".to_string(),
        log_key.display().to_string(),
        "--deployment".to_string(),
        deployment.display().to_string(),
        "--bb".to_string(),
        bb.display().to_string(),
    ])
    .collect();
    let server = ServerSpec {
        exe: PathBuf::from(env!("CARGO_BIN_EXE_credit-service")),
        args,
        replicas,
        database: DatabaseUrl::parse(database).unwrap(),
        log_key,
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
        faults,
    };
    let report = run(&server, plan, &mut |line| eprintln!("{line}"))
        .await
        .unwrap();
    eprintln!("{}", report.to_markdown());
    assert!(report.passed(), "{}", report.to_markdown());
    assert!(report.completed > 0);
    assert_eq!(report.bundles_verified, report.logged);
    assert_eq!(report.inclusion_checked, report.completed);
    Some(report)
}
