#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may fail loudly
//! The service's HTTP contract against a real prover pool (development setup: these proofs
//! prove nothing outside tests), served in-process on loopback.
//!
//! Backpressure and shutdown are made deterministic by freezing the pool's bb with SIGSTOP, so
//! a decision stays in flight as long as the test needs; no test asserts a duration.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use credit_service::deployment::create_demo;
use credit_service::service::{Service, ServiceConfig};
use credit_service::store::{DatabaseUrl, StoredDecision};
use credit_service::transparency::LogKey;
use govproof::bundle::Verdict;
use govproof::circuits::Features;
use govproof::demo::demo_policy;
use govproof::field::Field;
use govproof::prover::pool::PoolConfig;
use govproof::registry::Timestamp;
use govproof::setup::dangerous;
use govproof::translog::{verify_consistency, verify_inclusion, SignedCheckpoint};
use serde_json::{json, Value};

/// Setup and keys shared by the tests (generated once); each test has its own log.
fn shared() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("credit-service-tests")
}

struct Running {
    service: Arc<Service>,
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
    database: DatabaseUrl,
    key: ed25519_dalek::VerifyingKey,
    bb: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Running {
    /// Stops the HTTP server gracefully, drains the service, and reads back the database.
    async fn stop(mut self) -> Vec<StoredDecision> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.await.unwrap();
        self.service.drain().await;
        let url = self.database.clone();
        tokio::task::spawn_blocking(move || url.open().unwrap().all().unwrap())
            .await
            .unwrap()
    }

    /// The current checkpoint, its signature checked.
    async fn checkpoint(&self) -> SignedCheckpoint {
        let text = reqwest::get(format!("{}/log/checkpoint", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let note = SignedCheckpoint::parse(&text).unwrap();
        note.verify(&self.key).unwrap();
        note
    }
}

/// A service storing in `database`, serving the demonstration deployment in `dir` (made on
/// first use) and signing with the log key there.
async fn start_with(pool: PoolConfig, database: DatabaseUrl, dir: &Path) -> Option<Running> {
    let bb = govproof_testkit::bb()?;
    let deployment = dir.join("deployment");
    if !deployment.exists() {
        create_demo(&deployment, Timestamp::now()).unwrap();
    }
    let log_key = LogKey::load_or_create(&dir.join("log-key"), "test.example/decisions").unwrap();
    let key = log_key.key.verifying_key();
    let config = ServiceConfig {
        deployment,
        model: None,
        bb: bb.clone(),
        setup: dangerous::development_setup(&shared().join("setup")).unwrap(),
        keys_dir: shared().join("keys"),
        database: database.clone(),
        log_key: Arc::new(log_key),
        pool,
    };
    let (service, _) = tokio::task::spawn_blocking(move || Service::start(config))
        .await
        .unwrap()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = service.router();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Some(Running {
        service,
        base,
        stop: Some(tx),
        server,
        database,
        key,
        bb,
        _dir: None,
    })
}

fn sqlite_in(dir: &Path) -> DatabaseUrl {
    DatabaseUrl::parse(&format!("sqlite:{}", dir.join("decisions.db").display())).unwrap()
}

/// A service with a fresh SQLite database in its own temporary folder.
async fn start(pool: PoolConfig) -> Option<Running> {
    let dir = tempfile::tempdir().unwrap();
    let mut run = start_with(pool, sqlite_in(dir.path()), dir.path()).await?;
    run._dir = Some(dir);
    Some(run)
}

fn one_worker() -> PoolConfig {
    PoolConfig::new()
        .workers(NonZeroUsize::MIN)
        .queue_capacity(0)
        .request_timeout(Duration::from_secs(600))
}

/// The demonstration policy's feature ranges.
fn ranges() -> &'static [(f64, f64)] {
    static RANGES: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    RANGES.get_or_init(|| {
        let policy = demo_policy(Timestamp::now()).unwrap();
        policy.features().iter().map(|f| (f.min, f.max)).collect()
    })
}

/// An application whose features spread over their declared ranges, varying with `seed`.
fn application(id: &str, seed: u64) -> Value {
    let features: Vec<f64> = ranges()
        .iter()
        .enumerate()
        .map(|(i, &(min, max))| {
            let t = ((i as u64 * 7 + seed * 13) % 101) as f64 / 100.0;
            (min + t * (max - min)).round()
        })
        .collect();
    json!({ "decision_id": id, "features": features })
}

async fn post(base: &str, body: &Value) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/decisions"))
        .json(body)
        .send()
        .await
        .unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    let r = reqwest::get(format!("{base}{path}")).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Sends `signal` to the pool's only bb, which must be a child of this test process.
fn signal_bb(service: &Service, signal: &str) {
    let pid = service.pool().bb_pids()[0].unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let parent: u32 = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(parent, std::process::id(), "bb {pid} is not ours");
    let ok = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

async fn wait_until(mut done: impl FnMut() -> bool) {
    while !done() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The regulator's verdict on a bundle: the SDK's bundle verifier, trusting the deployment's
/// registry root and reading its policy.
fn verdict(run: &Running, bundle: &Value) -> Verdict {
    let work = tempfile::tempdir().unwrap();
    let mut verifier = run
        .service
        .engine()
        .bundle_verifier(&run.bb, work.path())
        .unwrap();
    let report = verifier.verify(&serde_json::to_vec(bundle).unwrap());
    if !matches!(
        report.verdict(),
        Verdict::Valid | Verdict::ValidDevelopmentSetup
    ) {
        eprintln!("failed checks: {:?}", report.failed());
    }
    report.verdict()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_is_proved_logged_returned_and_fetchable() {
    let Some(run) = start(one_worker()).await else {
        return;
    };
    let (status, _, body) = post(&run.base, &application("loan-0001", 1)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["decision_id"], "loan-0001");
    assert_eq!(body["receipt"]["index"], 0);
    assert_eq!(body["outcome"]["kind"], "score_band");
    assert!(body["outcome"]["band"].is_string());
    assert_eq!(body["bundle"]["decision"]["outcome"], body["outcome"]);

    // The opening opens the bundle's input commitment.
    let opening = &body["opening"];
    let features: Vec<i64> =
        serde_json::from_value(opening["features_fixed_point"].clone()).unwrap();
    let salt: Field = serde_json::from_value(opening["salt"].clone()).unwrap();
    let commitment = Features::new(features).unwrap().commitment(salt);
    assert_eq!(json!(commitment), body["bundle"]["input_commitment"]);
    // The salt is the applicant's alone: it is not in the bundle.
    assert!(!body["bundle"].to_string().contains(&salt.to_hex()[2..]));

    // GET returns the logged bundle, identical, with the same receipt.
    let (status, fetched) = get(&run.base, "/decisions/loan-0001").await;
    assert_eq!(status, 200);
    assert_eq!(fetched["bundle"], body["bundle"]);
    assert_eq!(fetched["receipt"], body["receipt"]);
    // The log: a signed checkpoint of size 1 whose root the decision's inclusion proof reaches.
    let checkpoint = run.checkpoint().await;
    assert_eq!(checkpoint.checkpoint.size, 1);
    let (status, inclusion) = get(&run.base, "/decisions/loan-0001/inclusion").await;
    assert_eq!(status, 200, "{inclusion}");
    let leaf =
        govproof::translog::hex_hash::parse(inclusion["leaf_hash"].as_str().unwrap()).unwrap();
    assert_eq!(json!(hex::encode(leaf)), body["receipt"]["leaf_hash"]);
    verify_inclusion(&leaf, 0, 1, &[], &checkpoint.checkpoint.root).unwrap();
    // The entry is the bundle's, byte for byte as returned.
    #[derive(serde::Deserialize)]
    struct Raw {
        bundle: Box<serde_json::value::RawValue>,
    }
    let raw: Raw = serde_json::from_str(
        &reqwest::get(format!("{}/decisions/loan-0001", run.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let bundle_text = raw.bundle.get();
    let entry = govproof::translog::LogEntry::for_bundle(
        bundle_text.as_bytes(),
        serde_json::from_value(body["receipt"]["entry"]["logged_at"].clone()).unwrap(),
    )
    .unwrap();
    assert_eq!(entry.leaf_hash(), leaf);
    assert_eq!(get(&run.base, "/decisions/nope/inclusion").await.0, 404);
    assert_eq!(get(&run.base, "/log/consistency?from=2&to=1").await.0, 400);

    // Operations: health names the setup and warns of the development one; ready; metrics.
    let (status, health) = get(&run.base, "/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["setup"], "development");
    assert!(health["setup_warning"]
        .as_str()
        .unwrap()
        .contains("prove nothing"));
    assert_eq!(get(&run.base, "/ready").await.0, 200);
    let metrics = reqwest::get(format!("{}/metrics", run.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("credit_service_requests_total{status=\"201\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("credit_service_decision_seconds_count 1"),
        "{metrics}"
    );
    assert!(metrics.contains("credit_service_log_size 1"), "{metrics}");
    assert!(
        metrics.contains("credit_service_bb_restarts_total 0"),
        "{metrics}"
    );

    // The bundle verifies as a regulator would check it, and a copy that claims another
    // decision id does not.
    // The test deployment proves with the development setup: valid, and said to be no evidence.
    assert!(matches!(
        verdict(&run, &body["bundle"]),
        Verdict::Valid | Verdict::ValidDevelopmentSetup
    ));
    let mut forged = body["bundle"].clone();
    forged["decision"]["id"] = json!("loan-0002");
    assert_eq!(verdict(&run, &forged), Verdict::Invalid);

    // The former JSON Lines log imports once, in order, each decision with its log entry.
    let old_dir = tempfile::tempdir().unwrap();
    let old_log = old_dir.path().join("decisions.jsonl");
    {
        let (mut log, _) = credit_service::log::DecisionLog::open(&old_log).unwrap();
        let id = govproof::bundle::DecisionId::new("loan-0001").unwrap();
        log.append(
            &id,
            "2026-12-07T01:02:03.456Z".to_string(),
            body["bundle"].clone(),
        )
        .unwrap();
    }
    let target = sqlite_in(old_dir.path());
    let (imported, again, rows) = tokio::task::spawn_blocking({
        let target = target.clone();
        move || {
            let n = credit_service::import::import_jsonl(&old_log, &target).unwrap();
            let again = credit_service::import::import_jsonl(&old_log, &target);
            (n, again, target.open().unwrap().all().unwrap())
        }
    })
    .await
    .unwrap();
    assert_eq!(imported, 1);
    assert!(again.unwrap_err().to_string().contains("already holds"));
    assert_eq!(rows.len(), 1);
    let entry = govproof::translog::LogEntry::from_json(&rows[0].log_entry).unwrap();
    assert_eq!(entry.logged_at.to_rfc3339(), "2026-12-07T01:02:03Z");
    assert_eq!(
        entry,
        govproof::translog::LogEntry::for_bundle(rows[0].bundle.as_bytes(), entry.logged_at)
            .unwrap()
    );

    let entries = run.stop().await;
    assert_eq!(entries.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_duplicate_and_refused_applications_get_clear_answers_and_are_not_logged() {
    let Some(run) = start(one_worker()).await else {
        return;
    };
    // Malformed: wrong feature count, bad id, not JSON, unknown field.
    let mut short = application("loan-a", 2);
    short["features"] = json!([1.0, 2.0]);
    let (s, _, b) = post(&run.base, &short).await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["error"]
            .as_str()
            .unwrap()
            .contains("expected 24 features"),
        "{b}"
    );
    let (s, _, b) = post(&run.base, &application("no spaces/allowed", 2)).await;
    assert_eq!(s, 400, "{b}");
    let mut extra = application("loan-b", 2);
    extra["score"] = json!(1);
    assert_eq!(post(&run.base, &extra).await.0, 400);
    let (s, _, _) = post(&run.base, &json!("not an application")).await;
    assert_eq!(s, 400);

    // Refused by the policy: a feature outside its declared range.
    let mut out_of_range = application("loan-c", 2);
    out_of_range["features"][0] = json!(ranges()[0].1 + 50.0);
    let (s, _, b) = post(&run.base, &out_of_range).await;
    assert_eq!(s, 422, "{b}");
    assert!(b["reasons"].to_string().contains("range"), "{b}");

    // A decision id is decided once.
    assert_eq!(post(&run.base, &application("loan-d", 3)).await.0, 201);
    let (s, _, b) = post(&run.base, &application("loan-d", 4)).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(get(&run.base, "/decisions/loan-x").await.0, 404);

    let entries = run.stop().await;
    let ids: Vec<&str> = entries.iter().map(|e| e.decision_id.as_str()).collect();
    assert_eq!(ids, ["loan-d"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_prover_queue_answers_429_with_retry_after() {
    let Some(run) = start(one_worker()).await else {
        return;
    };
    signal_bb(&run.service, "-STOP");
    let base = run.base.clone();
    let first = tokio::spawn(async move { post(&base, &application("loan-q1", 5)).await });
    let service = Arc::clone(&run.service);
    wait_until(|| service.pool().stats().in_flight == 1).await;
    let (s, headers, b) = post(&run.base, &application("loan-q2", 6)).await;
    assert_eq!(s, 429, "{b}");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    signal_bb(&run.service, "-CONT");
    assert_eq!(first.await.unwrap().0, 201);
    // The refused id was not used up: it can be decided now.
    assert_eq!(post(&run.base, &application("loan-q2", 6)).await.0, 201);
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_refuses_new_decisions_and_finishes_and_logs_accepted_ones() {
    let Some(mut run) = start(one_worker().queue_capacity(1)).await else {
        return;
    };
    signal_bb(&run.service, "-STOP");
    let base = run.base.clone();
    let accepted = tokio::spawn(async move { post(&base, &application("loan-s1", 7)).await });
    let service = Arc::clone(&run.service);
    wait_until(|| service.pool().stats().in_flight == 1).await;
    // A signal arrives: new decisions are refused while the accepted one continues.
    run.service.begin_shutdown();
    let (s, _, b) = post(&run.base, &application("loan-s2", 8)).await;
    assert_eq!(s, 503, "{b}");
    let _ = run.stop.take().map(|tx| tx.send(()));
    signal_bb(&run.service, "-CONT");
    let (s, _, b) = accepted.await.unwrap();
    assert_eq!(s, 201, "{b}");
    let entries = run.stop().await;
    let ids: Vec<&str> = entries.iter().map(|e| e.decision_id.as_str()).collect();
    assert_eq!(ids, ["loan-s1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_service_keeps_its_log_and_still_refuses_decided_ids() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_in(dir.path());
    let Some(run) = start_with(one_worker(), db.clone(), dir.path()).await else {
        return;
    };
    let (s, _, first) = post(&run.base, &application("loan-r1", 9)).await;
    assert_eq!(s, 201);
    assert_eq!(run.stop().await.len(), 1);

    let run = start_with(one_worker(), db, dir.path()).await.unwrap();
    let (s, fetched) = get(&run.base, "/decisions/loan-r1").await;
    assert_eq!(s, 200);
    assert_eq!(fetched["bundle"], first["bundle"]);
    assert_eq!(post(&run.base, &application("loan-r1", 10)).await.0, 409);
    let (s, _, second) = post(&run.base, &application("loan-r2", 11)).await;
    assert_eq!(s, 201);
    assert_eq!(second["receipt"]["index"], 1);
    assert_eq!(run.stop().await.len(), 2);
}

/// Two replicas in one process sharing one PostgreSQL database: decisions made on either get
/// one sequence of log indexes, an id decided on one is refused on the other, both serve the
/// same checkpoint, and a later checkpoint is provably consistent with an earlier one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_serve_one_log() {
    let Some(db) =
        tokio::task::spawn_blocking(|| credit_service::testdb::fresh_postgres("two_replicas"))
            .await
            .unwrap()
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(a) = start_with(one_worker(), db.clone(), dir.path()).await else {
        return;
    };
    let b = start_with(one_worker(), db, dir.path()).await.unwrap();
    let (s, _, first) = post(&a.base, &application("pg-1", 21)).await;
    assert_eq!(s, 201, "{first}");
    let early = b.checkpoint().await;
    assert_eq!(early.checkpoint.size, 1);
    // The same size: the same stored note from the other replica.
    assert_eq!(a.checkpoint().await, early);
    let (s, _, second) = post(&b.base, &application("pg-2", 22)).await;
    assert_eq!(s, 201, "{second}");
    let (s, _, third) = post(&a.base, &application("pg-3", 23)).await;
    assert_eq!(s, 201, "{third}");
    let indexes: Vec<u64> = [&first, &second, &third]
        .iter()
        .map(|b| b["receipt"]["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [0, 1, 2]);
    // Decided on a: refused on b.
    assert_eq!(post(&b.base, &application("pg-1", 24)).await.0, 409);

    // A new checkpoint is signed at most once a second: ask until it covers all three.
    let mut late = b.checkpoint().await;
    for _ in 0..50 {
        if late.checkpoint.size == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        late = b.checkpoint().await;
    }
    assert_eq!(late.checkpoint.size, 3);
    let (s, c) = get(&a.base, "/log/consistency?from=1&to=3").await;
    assert_eq!(s, 200, "{c}");
    let proof: Vec<_> = c["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| govproof::translog::hex_hash::parse(h.as_str().unwrap()).unwrap())
        .collect();
    verify_consistency(1, 3, &early.checkpoint.root, &late.checkpoint.root, &proof).unwrap();
    // A checkpoint of another history does not pass for this one.
    assert!(verify_consistency(1, 3, &[7; 32], &late.checkpoint.root, &proof).is_err());
    for (id, body) in [("pg-1", &first), ("pg-2", &second), ("pg-3", &third)] {
        let (s, inc) = get(&a.base, &format!("/decisions/{id}/inclusion?size=3")).await;
        assert_eq!(s, 200, "{inc}");
        let proof: Vec<_> = inc["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| govproof::translog::hex_hash::parse(h.as_str().unwrap()).unwrap())
            .collect();
        let leaf =
            govproof::translog::hex_hash::parse(body["receipt"]["leaf_hash"].as_str().unwrap())
                .unwrap();
        let index = body["receipt"]["index"].as_u64().unwrap();
        verify_inclusion(&leaf, index, 3, &proof, &late.checkpoint.root).unwrap();
        assert!(
            verify_inclusion(&leaf, (index + 1) % 3, 3, &proof, &late.checkpoint.root).is_err()
        );
    }
    b.stop().await;
    let rows = a.stop().await;
    let ids: Vec<&str> = rows.iter().map(|r| r.decision_id.as_str()).collect();
    assert_eq!(ids, ["pg-1", "pg-2", "pg-3"]);
}

/// The body of `GET /decisions/{id}`'s bundle, byte for byte as the service returned it.
async fn bundle_bytes(base: &str, id: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Raw {
        bundle: Box<serde_json::value::RawValue>,
    }
    let text = reqwest::get(format!("{base}/decisions/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let raw: Raw = serde_json::from_str(&text).unwrap();
    raw.bundle.get().to_string()
}

/// Runs the regulator's `govproof log verify --url` (the command's own code, in process) on
/// a blocking thread, since it makes blocking HTTP requests to the service under test.
async fn log_verify(
    url: &str,
    key: &Path,
    state: &Path,
    bundles: Vec<PathBuf>,
    all_entries: bool,
) -> (govproof_cli::Exit, String) {
    let args = govproof_cli::log::LogVerifyArgs {
        checkpoint: None,
        url: Some(url.to_string()),
        key: key.to_path_buf(),
        origin: None,
        state: Some(state.to_path_buf()),
        bundles,
        entries: None,
        all_entries,
        inclusions: Vec::new(),
        consistency: None,
        format: govproof_cli::prove::Format::Text,
    };
    tokio::task::spawn_blocking(move || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let exit = govproof_cli::log::run_verify(&args, &mut out, &mut err);
        out.extend(err);
        (exit, String::from_utf8_lossy(&out).into_owned())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govproof_log_verify_checks_the_live_service_log_and_refuses_a_bundle_it_never_logged() {
    let Some(run) = start(one_worker()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (status, health) = get(&run.base, "/health").await;
    assert_eq!(status, 200);
    let key = dir.path().join("service.key");
    std::fs::write(&key, health["log"]["verifier_key"].as_str().unwrap()).unwrap();
    let state = dir.path().join("log-state");

    // One decision: its bundle is in the log; the state file records the checkpoint seen.
    let (status, _, body) = post(&run.base, &application("loan-0101", 3)).await;
    assert_eq!(status, 201, "{body}");
    let first = dir.path().join("first.json");
    std::fs::write(&first, bundle_bytes(&run.base, "loan-0101").await).unwrap();
    let (exit, report) = log_verify(&run.base, &key, &state, vec![first.clone()], false).await;
    assert_eq!(exit, govproof_cli::Exit::Success, "{report}");
    assert!(state.exists());

    // A second decision, a newer checkpoint (at most one a second): the service's consistency
    // proof from the state's checkpoint is fetched and checked, and both bundles are found.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, body) = post(&run.base, &application("loan-0102", 4)).await;
    assert_eq!(status, 201, "{body}");
    let second = dir.path().join("second.json");
    let second_text = bundle_bytes(&run.base, "loan-0102").await;
    std::fs::write(&second, &second_text).unwrap();
    // With `--all-entries` every entry is fetched too (`GET /log/entries`) and the root
    // recomputed from them.
    let (exit, report) = log_verify(
        &run.base,
        &key,
        &state,
        vec![first.clone(), second.clone()],
        true,
    )
    .await;
    assert_eq!(exit, govproof_cli::Exit::Success, "{report}");
    assert!(
        report.contains("the dump's first 2 entries hash to the checkpoint's root"),
        "{report}"
    );

    // The negative twins: a bundle changed after it was logged is not the logged one, and a
    // key that is not the service's refuses the checkpoint; the state is left as it was.
    let before = std::fs::read(&state).unwrap();
    let changed = dir.path().join("changed.json");
    std::fs::write(&changed, second_text.replacen("loan-0102", "loan-0199", 1)).unwrap();
    let (exit, report) = log_verify(&run.base, &key, &state, vec![changed], false).await;
    assert_eq!(exit, govproof_cli::Exit::Rejected, "{report}");
    let other =
        LogKey::load_or_create(&dir.path().join("other-key"), "test.example/decisions").unwrap();
    let other_key = dir.path().join("other.key");
    std::fs::write(
        &other_key,
        govproof::translog::verifier_key("test.example/decisions", &other.key.verifying_key()),
    )
    .unwrap();
    let (exit, report) = log_verify(&run.base, &other_key, &state, vec![first], false).await;
    assert_eq!(exit, govproof_cli::Exit::Rejected, "{report}");
    assert_eq!(std::fs::read(&state).unwrap(), before);
}
