#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may fail loudly
//! The prover pool against real bb 5.0.0 on the reference composite decision circuit
//! (development setup: these proofs prove nothing outside tests).
//!
//! Every test is deterministic: instead of racing the clock, the tests freeze a worker's bb with
//! SIGSTOP (so a request stays in flight as long as the test needs) and kill it with SIGKILL.
//! No test asserts a duration. Signals are only sent to a process that is a bb `msgpack run` child
//! of this test process.

use crate::circuits_support;

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use circuits_support::{bb, Scenario};
use govproof::artifact::Artifact;
use govproof::circuits::Profile;
use govproof::field::Field;
use govproof::prover::pool::{
    PoolConfig, PoolError, PoolResult, ProofRequest, ProverPool, RequestId, TimeoutPhase,
};
use govproof::prover::{
    BbError, CircuitBytecode, ProofTarget, Prover, VerificationKey, Verifier, WitnessStack,
};
use govproof::setup::{dangerous, Setup};

/// Shared with the circuit tests, so the development points are generated once.
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests")
}

fn setup() -> Setup {
    govproof_testkit::development_setup()
}

/// One reference decision, ready to prove, with the public inputs its proof must carry.
struct Case {
    request: ProofRequest,
    public_inputs: Vec<Field>,
}

struct Fixture {
    bb: PathBuf,
    cases: Vec<Case>,
    vk: VerificationKey,
}

/// bb, the reference composite circuit, six decisions with distinct public inputs, and the key.
fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let bb = bb()?;
            let profile = Profile::reference_mlp_band();
            let name = profile.name();
            let json = govproof::noir::embedded(&name).unwrap();
            let artifact = Artifact::from_json(&name, std::str::from_utf8(json).unwrap()).unwrap();
            let circuit = Arc::new(
                CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec()).unwrap(),
            );
            let cases = (1..=6)
                .map(|seed| {
                    let decision = Scenario::valid(profile, seed).build();
                    let solved = govproof::witness::execute(&artifact, &decision.inputs()).unwrap();
                    Case {
                        request: ProofRequest::new(
                            Arc::clone(&circuit),
                            WitnessStack::from_msgpack(solved.msgpack().to_vec()).unwrap(),
                            ProofTarget::NoirRecursive,
                        ),
                        public_inputs: solved.public_inputs().to_vec(),
                    }
                })
                .collect();
            let mut prover = Prover::new(&bb, &setup(), &cache().join("vk")).unwrap();
            let vk = prover
                .verification_key(&circuit, ProofTarget::NoirRecursive)
                .unwrap();
            Some(Fixture { bb, cases, vk })
        })
        .as_ref()
}

fn verifier() -> (Verifier, tempfile::TempDir) {
    let fx = fixture().unwrap();
    let work = tempfile::tempdir().unwrap();
    let v = Verifier::new(&fx.bb, work.path(), dangerous::accept_development_proofs()).unwrap();
    (v, work)
}

fn start(config: PoolConfig) -> ProverPool {
    let fx = fixture().unwrap();
    let config = config.warm_up(fx.cases[0].request.clone());
    ProverPool::start(&fx.bb, &setup(), &cache().join("vk"), config).unwrap()
}

fn one() -> NonZeroUsize {
    NonZeroUsize::MIN
}

/// Sends `signal` to `pid` only if it is a bb `msgpack run` child of this process; returns
/// whether it was sent.
fn signal_bb(pid: u32, signal: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // Field 4 is the parent pid; the command name (field 2) may hold spaces, so split after it.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let parent: Option<u32> = after_name
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok());
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline);
    if parent != Some(std::process::id()) || !cmdline.contains("msgpack") {
        return false;
    }
    Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn only_pid(pool: &ProverPool) -> u32 {
    pool.bb_pids()[0].expect("the worker's bb is running")
}

/// Waits (without a time limit: the test harness has one) until `done` holds.
fn wait_until(mut done: impl FnMut() -> bool) {
    while !done() {
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn check_proof(result: &PoolResult, case: &Case, verifier: &mut Verifier) {
    let proved = result.as_ref().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(proved.proof.public_inputs(), case.public_inputs.as_slice());
    verifier
        .verify(&fixture().unwrap().vk, &proved.proof)
        .unwrap();
}

#[test]
fn every_request_is_answered_once_when_bb_processes_are_killed_mid_load() {
    let Some(fx) = fixture() else {
        return;
    };
    let two = NonZeroUsize::new(2).unwrap();
    let pool = start(
        PoolConfig::new()
            .workers(two)
            .queue_capacity(16)
            .request_timeout(Duration::from_secs(600)),
    );
    let answers: Arc<Mutex<Vec<(RequestId, PoolResult)>>> = Arc::default();
    let mut submitted = Vec::new();
    for round in 0..2 {
        for (k, case) in fx.cases.iter().enumerate() {
            let sink = Arc::clone(&answers);
            let id = pool
                .submit_with(case.request.clone(), move |r| {
                    sink.lock().unwrap().push((r_id(&r), r))
                })
                .unwrap();
            submitted.push((id, k, round));
        }
    }
    // Kill both bb processes while each holds a request.
    wait_until(|| pool.stats().in_flight == 2);
    let pids: Vec<u32> = pool.bb_pids().into_iter().flatten().collect();
    assert_eq!(pids.len(), 2);
    for pid in &pids {
        assert!(signal_bb(*pid, "-KILL"), "bb {pid} was not killed");
    }
    // And again, later, whatever they are running then.
    wait_until(|| pool.stats().completed >= 3);
    for pid in pool.bb_pids().into_iter().flatten() {
        signal_bb(pid, "-KILL");
    }
    let stats = pool.shutdown();

    let answers = answers.lock().unwrap();
    assert_eq!(answers.len(), submitted.len(), "one answer per request");
    let ids: HashSet<RequestId> = answers.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), answers.len(), "no request answered twice");
    assert_eq!(stats.accepted, submitted.len() as u64);
    assert_eq!(stats.completed + stats.failed, stats.accepted);
    assert!(stats.retries >= 2, "{stats:?}");
    assert!(stats.bb_restarts >= 2, "{stats:?}");
    let (mut verifier, _work) = verifier();
    for (id, k, _) in &submitted {
        let (_, result) = answers.iter().find(|(a, _)| a == id).unwrap();
        match result {
            Ok(_) => check_proof(result, &fx.cases[*k], &mut verifier),
            // A request killed again during its retry fails, with bb's words.
            Err(PoolError::WorkerDied {
                retried: true,
                reason,
                ..
            }) => {
                assert!(matches!(**reason, BbError::Died { .. }));
                eprintln!("failed with a reason: {}", result.as_ref().unwrap_err());
            }
            Err(e) => panic!("request {id}: unexpected failure: {e}"),
        }
    }
    eprintln!("{stats:?}");
}

/// The request id of an answer (every answer names its request).
fn r_id(r: &PoolResult) -> RequestId {
    match r {
        Ok(p) => p.request,
        Err(
            PoolError::Timeout { request, .. }
            | PoolError::WorkerDied { request, .. }
            | PoolError::Prover { request, .. }
            | PoolError::WorkerStopped { request },
        ) => *request,
        Err(e) => panic!("an answer without a request: {e}"),
    }
}

#[test]
fn a_full_queue_refuses_with_a_retry_estimate_then_drains() {
    let Some(fx) = fixture() else {
        return;
    };
    let pool = start(
        PoolConfig::new()
            .workers(one())
            .queue_capacity(1)
            .request_timeout(Duration::from_secs(600)),
    );
    let pid = only_pid(&pool);
    assert!(signal_bb(pid, "-STOP"));
    let first = pool.submit(fx.cases[1].request.clone()).unwrap();
    let second = pool.submit(fx.cases[2].request.clone()).unwrap();
    match pool.submit(fx.cases[3].request.clone()) {
        Err(PoolError::QueueFull { retry_after, held }) => {
            assert_eq!(held, 2);
            assert!(retry_after > Duration::ZERO);
        }
        other => panic!("expected a full queue, got {other:?}"),
    }
    let stats = pool.stats();
    assert_eq!((stats.accepted, stats.rejected_full), (2, 1));
    assert!(signal_bb(pid, "-CONT"));
    let (mut verifier, _work) = verifier();
    check_proof(&first.wait(), &fx.cases[1], &mut verifier);
    check_proof(&second.wait(), &fx.cases[2], &mut verifier);
    // Room again.
    check_proof(
        &pool.prove(fx.cases[3].request.clone()),
        &fx.cases[3],
        &mut verifier,
    );
}

#[test]
fn a_stuck_proof_times_out_its_bb_is_replaced_and_the_queue_behind_it_times_out_too() {
    let Some(fx) = fixture() else {
        return;
    };
    let pool = start(
        PoolConfig::new()
            .workers(one())
            .queue_capacity(1)
            .request_timeout(Duration::from_secs(2)),
    );
    let pid = only_pid(&pool);
    assert!(signal_bb(pid, "-STOP"));
    let stuck = pool.submit(fx.cases[1].request.clone()).unwrap();
    let behind = pool.submit(fx.cases[2].request.clone()).unwrap();
    match stuck.wait() {
        Err(PoolError::Timeout {
            phase: TimeoutPhase::Proving,
            ..
        }) => {}
        other => panic!("expected a timeout while proving, got {other:?}"),
    }
    match behind.wait() {
        Err(PoolError::Timeout { .. }) => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
    // The frozen bb was killed and replaced; the next request is proved by the new one.
    let (mut verifier, _work) = verifier();
    check_proof(
        &pool.prove(fx.cases[3].request.clone()),
        &fx.cases[3],
        &mut verifier,
    );
    assert_ne!(pool.bb_pids()[0], Some(pid));
    let stats = pool.shutdown();
    assert_eq!((stats.timed_out, stats.completed), (2, 1), "{stats:?}");
    assert!(stats.bb_restarts >= 1);
}

#[test]
fn shutdown_refuses_new_work_and_finishes_what_it_accepted() {
    let Some(fx) = fixture() else {
        return;
    };
    let pool = start(
        PoolConfig::new()
            .workers(one())
            .queue_capacity(2)
            .request_timeout(Duration::from_secs(600)),
    );
    let pid = only_pid(&pool);
    assert!(signal_bb(pid, "-STOP"));
    let tickets: Vec<_> = (1..=2)
        .map(|k| pool.submit(fx.cases[k].request.clone()).unwrap())
        .collect();
    let stats = std::thread::scope(|s| {
        let closing = s.spawn(|| pool.shutdown());
        wait_until(|| pool.is_shutting_down());
        assert!(matches!(
            pool.submit(fx.cases[3].request.clone()),
            Err(PoolError::ShuttingDown)
        ));
        assert!(signal_bb(pid, "-CONT"));
        closing.join().unwrap()
    });
    assert_eq!(
        (stats.completed, stats.failed, stats.rejected_shutdown),
        (2, 0, 1)
    );
    let (mut verifier, _work) = verifier();
    for (k, ticket) in (1..=2).zip(tickets) {
        check_proof(&ticket.wait(), &fx.cases[k], &mut verifier);
    }
    // Shutting down twice is harmless.
    pool.shutdown();
}

/// A stand-in for bb that reports bb's version but crashes on every request.
fn fake_bb_that_always_crashes(real: &Path, dir: &Path) -> PathBuf {
    let path = dir.join("crashing-bb");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = \"--version\" ]; then exec '{}' --version; fi\n\
         echo 'fake bb: crashing on purpose' >&2\nexit 3\n",
        real.display()
    );
    std::fs::write(&path, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

#[test]
fn a_bb_that_keeps_dying_fails_the_request_after_one_retry_with_its_stderr() {
    let Some(fx) = fixture() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let crashing = fake_bb_that_always_crashes(&fx.bb, dir.path());
    let keys = tempfile::tempdir().unwrap();
    let config = PoolConfig::new().workers(one());
    let pool = ProverPool::start(&crashing, &setup(), keys.path(), config).unwrap();
    let err = pool.prove(fx.cases[0].request.clone()).unwrap_err();
    match &err {
        PoolError::WorkerDied {
            retried: true,
            reason,
            ..
        } => assert!(matches!(**reason, BbError::Died { .. })),
        other => panic!("expected the worker to die twice, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("crashing on purpose"), "{text}");
    assert!(text.contains("after a retry"), "{text}");
    let stats = pool.shutdown();
    assert_eq!((stats.retries, stats.failed), (1, 1), "{stats:?}");

    // With a warm-up request, the same bb stops the pool from starting at all.
    let config = PoolConfig::new()
        .workers(one())
        .warm_up(fx.cases[0].request.clone());
    match ProverPool::start(&crashing, &setup(), keys.path(), config) {
        Err(e @ PoolError::Start { .. }) => assert!(e.to_string().contains("crashing"), "{e}"),
        other => panic!("expected the pool not to start, got {other:?}"),
    }
}

#[test]
fn a_missing_bb_stops_the_pool_from_starting() {
    let Some(fx) = fixture() else {
        return;
    };
    let keys = tempfile::tempdir().unwrap();
    let missing = Path::new("no-such-folder").join("bb");
    let config = PoolConfig::new()
        .workers(NonZeroUsize::new(2).unwrap())
        .warm_up(fx.cases[0].request.clone());
    match ProverPool::start(&missing, &setup(), keys.path(), config) {
        Err(e @ PoolError::Start { .. }) => {
            assert!(e.to_string().contains("no-such-folder"), "{e}")
        }
        other => panic!("expected the pool not to start, got {other:?}"),
    }
}
