#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may fail loudly
//! What one credit decision costs on the reference profile (`mlp-24x16-d20-b8-s16-p8-m4`), phase
//! by phase, and what govproof adds to bb's own prove time. Prints a Markdown report.
//!
//! Run: `cargo bench --bench decision` (about two minutes on 2 cores; `GOVPROOF_BENCH_SAMPLES`
//! sets the samples per measurement, default 30). Needs bb (`GOVPROOF_BB` or the installed
//! toolchain). Proofs use the development setup: the reference circuit needs 2^14 points and the
//! real Ignition points available offline stop at 513; bb's prover does the same work whatever
//! the points are.
//!
//! A custom harness rather than criterion, because the numbers wanted are percentiles (p50, p95)
//! of end-to-end latencies with their phase split, throughput under concurrency, peak memory of
//! the bb processes, and a prove-time ratio measured by interleaving govproof and the `bb prove`
//! command sample by sample, none of which criterion reports.
//!
//! Measurements (each sample is one decision for a fresh applicant: new features, salt, id):
//! 1. warm end-to-end latency through the pool, split into native inference (score, outcome,
//!    commitment, native constraint checks), witness generation (acvm), proving (pool) and
//!    bundling (serializing the proof with its statement);
//! 2. cold latency: a new pool (a bb process that has not loaded the CRS) for every decision,
//!    with the verification key on disk; and once with no cached key at all;
//! 3. verification of a proof with a warm verifier;
//! 4. throughput with 1, 2 and 4 concurrent clients, for the default pool (one worker per core,
//!    one bb thread each) and for one worker using every core;
//! 5. govproof's prove time (pool request to proof) against `bb prove` on the same artifact,
//!    gzipped witness, verification key and CRS folder, alternating, with the same thread count;
//! 6. peak resident memory of this process and of the largest bb process.

#[path = "../tests/circuits_support/mod.rs"]
mod circuits_support;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use circuits_support::{bb, Rng, Scenario};
use govproof::artifact::Artifact;
use govproof::circuits::{Decision, DecisionWitness, Features, Profile, PublicStatement};
use govproof::commit::label;
use govproof::field::Field;
use govproof::prover::pool::{available_cores, PoolConfig, ProofRequest, ProverPool};
use govproof::prover::{CircuitBytecode, Proof, ProofTarget, Prover, Verifier, WitnessStack};
use govproof::setup::{dangerous, Setup};

const TARGET: ProofTarget = ProofTarget::NoirRecursive;

/// A lender with one approved model, registry and policy, deciding for new applicants.
struct Lender {
    profile: Profile,
    artifact: Artifact,
    artifact_json: &'static [u8],
    circuit: Arc<CircuitBytecode>,
    statement: PublicStatement,
    witness: DecisionWitness,
}

/// One application: the applicant's features, the commitment salt and the decision's id.
#[derive(Clone)]
struct Application {
    features: Features,
    salt: Field,
    id: String,
}

/// The time of each phase of one decision.
#[derive(Clone, Copy, Default)]
struct Phases {
    native: Duration,
    witness: Duration,
    prove: Duration,
    bundle: Duration,
}

impl Phases {
    fn total(&self) -> Duration {
        self.native + self.witness + self.prove + self.bundle
    }
}

impl Lender {
    fn new() -> Lender {
        let profile = Profile::reference_mlp_band();
        let name = profile.name();
        let artifact_json = govproof::noir::embedded(&name).unwrap();
        let artifact = Artifact::from_json_bytes(&name, artifact_json).unwrap();
        let circuit =
            Arc::new(CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec()).unwrap());
        let (statement, witness) = Scenario::valid(profile, 1).parts();
        Lender {
            profile,
            artifact,
            artifact_json,
            circuit,
            statement,
            witness,
        }
    }

    /// Applicants with features inside the policy's declared ranges.
    fn applications(&self, n: usize, seed: u64) -> Vec<Application> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|k| {
                let features = self
                    .witness
                    .policy
                    .spec()
                    .ranges
                    .iter()
                    .map(|r| rng.range(r.lo, r.hi))
                    .collect();
                Application {
                    features: Features::new(features).unwrap(),
                    salt: rng.field(),
                    id: format!("bench-{seed}-{k}"),
                }
            })
            .collect()
    }

    /// Native inference and checks: the decision the circuit will prove.
    fn decide(&self, app: &Application) -> Decision {
        let score = self.witness.model.score(&app.features).unwrap();
        let outcome = self.witness.policy.spec().rule.outcome(score).unwrap();
        let statement = PublicStatement {
            input_commitment: app.features.commitment(app.salt),
            decision_id: label(&app.id),
            outcome,
            ..self.statement.clone()
        };
        let witness = DecisionWitness {
            features: app.features.clone(),
            salt: app.salt,
            ..self.witness.clone()
        };
        let decision = Decision::new(self.profile, statement, witness).unwrap();
        assert_eq!(decision.first_violation(), None);
        decision
    }

    /// The solved witness (acvm) in the form bb takes, and its gzipped form for `bb prove`.
    fn solve(&self, decision: &Decision) -> (WitnessStack, Vec<u8>) {
        let solved = govproof::witness::execute(&self.artifact, &decision.inputs()).unwrap();
        (
            WitnessStack::from_msgpack(solved.msgpack().to_vec()).unwrap(),
            solved.gzipped().to_vec(),
        )
    }

    fn request(&self, witness: WitnessStack) -> ProofRequest {
        ProofRequest::new(Arc::clone(&self.circuit), witness, TARGET)
    }

    /// One decision end to end through `pool`, with the time of each phase.
    fn run(&self, pool: &ProverPool, app: &Application) -> (Phases, Proof, Vec<u8>) {
        let t = Instant::now();
        let decision = self.decide(app);
        let native = t.elapsed();
        let t = Instant::now();
        let (witness, _) = self.solve(&decision);
        let witness_time = t.elapsed();
        let t = Instant::now();
        let proof = pool.prove(self.request(witness)).unwrap().proof;
        let prove = t.elapsed();
        let t = Instant::now();
        let bundle = bundle(&decision, &proof);
        let bundle_time = t.elapsed();
        (
            Phases {
                native,
                witness: witness_time,
                prove,
                bundle: bundle_time,
            },
            proof,
            bundle,
        )
    }
}

/// The decision's statement with its proof, serialized: what a bundle carries besides the
/// registry snapshot and the policy's name.
fn bundle(decision: &Decision, proof: &Proof) -> Vec<u8> {
    assert_eq!(
        proof.public_inputs(),
        decision.statement().to_fields().as_slice()
    );
    serde_json::to_vec(&serde_json::json!({ "proof": proof })).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (percentile(&samples, 50.0), percentile(&samples, 95.0))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn row(name: &str, samples: Vec<Duration>) {
    let n = samples.len();
    let (p50, p95) = stats(samples);
    println!("| {name} | {} | {} | {n} |", ms(p50), ms(p95));
}

/// Peak resident memory (`VmHWM`) of process `pid`, in MiB; Linux only.
fn peak_mib(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn bb_peak_mib(pool: &ProverPool) -> f64 {
    pool.bb_pids()
        .into_iter()
        .flatten()
        .filter_map(|pid| peak_mib(&pid.to_string()))
        .fold(0.0, f64::max)
}

fn uptime() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

struct Env {
    bb: PathBuf,
    setup: Setup,
    keys: PathBuf,
}

impl Env {
    fn pool(&self, config: PoolConfig) -> ProverPool {
        ProverPool::start(&self.bb, &self.setup, &self.keys, config).unwrap()
    }
}

fn main() {
    let Some(bb) = bb() else {
        eprintln!("skipped: no bb");
        return;
    };
    let samples: usize = std::env::var("GOVPROOF_BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
        .max(2);
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-decision-bench");
    let env = Env {
        setup: dangerous::development_setup(&cache).unwrap(),
        keys: cache.join("vk"),
        bb,
    };
    let lender = Lender::new();
    let load_before = uptime();
    let started = Instant::now();
    let cores = available_cores();
    let all_cores = PoolConfig::new().workers(NonZeroUsize::MIN);
    let default = PoolConfig::new();
    let warm_up = {
        let d = lender.decide(&lender.applications(1, 99)[0]);
        lender.request(lender.solve(&d).0)
    };

    let (bb_version, vk) = {
        let mut prover = Prover::new(&env.bb, &env.setup, &env.keys).unwrap();
        let vk = prover.verification_key(&lender.circuit, TARGET).unwrap();
        (prover.bb_version().to_string(), vk)
    };

    println!("# govproof decision benchmark\n");
    println!(
        "Profile `{}`, development setup, bb `{bb_version}`, {cores} cores, {samples} samples per \
         row, load average before: {load_before}.\n",
        lender.profile.name(),
    );

    // 1. Warm end-to-end, with the default pool and with one worker on every core.
    let mut proofs = Vec::new();
    let mut bb_peak: f64 = 0.0;
    println!("## Warm decision latency (ms)\n");
    println!("| phase | p50 | p95 | samples |\n| --- | --- | --- | --- |");
    for (label_text, config) in [
        (
            format!(
                "{} workers x {} bb threads",
                default.worker_count(),
                default.threads_per_bb()
            ),
            default.clone(),
        ),
        ("1 worker x every core".to_string(), all_cores.clone()),
    ] {
        let pool = env.pool(config.warm_up(warm_up.clone()));
        let mut phases = Vec::new();
        for app in lender.applications(samples, 1) {
            let (p, proof, _) = lender.run(&pool, &app);
            phases.push(p);
            proofs.push(proof);
        }
        let pick = |f: fn(&Phases) -> Duration| phases.iter().map(f).collect::<Vec<_>>();
        row(
            &format!("**end to end**, {label_text}"),
            pick(|p| p.total()),
        );
        row("- native inference and checks", pick(|p| p.native));
        row("- witness generation", pick(|p| p.witness));
        row("- proving", pick(|p| p.prove));
        row("- bundling", pick(|p| p.bundle));
        bb_peak = bb_peak.max(bb_peak_mib(&pool));
        pool.shutdown();
    }
    println!();

    // 2. Cold: a fresh bb per decision (key cached on disk), and once with no key cached.
    println!("## Cold decision latency (ms)\n");
    println!("| case | p50 | p95 | samples |\n| --- | --- | --- | --- |");
    let cold_samples = samples.div_ceil(3).max(2);
    let mut cold = Vec::new();
    for app in lender.applications(cold_samples, 2) {
        let t = Instant::now();
        let pool = env.pool(all_cores.clone());
        lender.run(&pool, &app);
        cold.push(t.elapsed());
        pool.shutdown();
    }
    row(
        "new bb process (starts, loads the CRS), key cached on disk",
        cold,
    );
    let empty = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let pool = ProverPool::start(&env.bb, &env.setup, empty.path(), all_cores.clone()).unwrap();
    lender.run(&pool, &lender.applications(1, 3)[0]);
    row(
        "new bb process and no cached key (bb computes it)",
        vec![t.elapsed()],
    );
    pool.shutdown();
    println!();

    // 3. Verification.
    let work = tempfile::tempdir().unwrap();
    let mut verifier =
        Verifier::new(&env.bb, work.path(), dangerous::accept_development_proofs()).unwrap();
    verifier.verify(&vk, &proofs[0]).unwrap();
    let mut verify = Vec::new();
    for proof in proofs.iter().take(samples) {
        let t = Instant::now();
        verifier.verify(&vk, proof).unwrap();
        verify.push(t.elapsed());
    }
    println!("## Verification (ms)\n");
    println!("| case | p50 | p95 | samples |\n| --- | --- | --- | --- |");
    row("verify one proof, warm verifier", verify);
    println!();

    // 4. Throughput under concurrency.
    println!("## Throughput (decisions per second, end to end)\n");
    println!("| pool | 1 client | 2 clients | 4 clients |\n| --- | --- | --- | --- |");
    for (label_text, config) in [
        (
            format!(
                "{} workers x {} bb threads (default)",
                default.worker_count(),
                default.threads_per_bb()
            ),
            default.clone(),
        ),
        ("1 worker x every core".to_string(), all_cores.clone()),
    ] {
        let pool = env.pool(config.queue_capacity(8).warm_up(warm_up.clone()));
        let mut cells = Vec::new();
        for clients in [1usize, 2, 4] {
            let per_client = (samples / 2).max(2);
            let t = Instant::now();
            std::thread::scope(|s| {
                for c in 0..clients {
                    let (pool, lender) = (&pool, &lender);
                    s.spawn(move || {
                        for app in lender.applications(per_client, 100 + c as u64) {
                            lender.run(pool, &app);
                        }
                    });
                }
            });
            let rate = (clients * per_client) as f64 / t.elapsed().as_secs_f64();
            cells.push(format!("{rate:.2}"));
        }
        bb_peak = bb_peak.max(bb_peak_mib(&pool));
        println!("| {label_text} | {} |", cells.join(" | "));
        pool.shutdown();
    }
    println!();

    // 5. govproof against `bb prove`, alternating, same inputs and thread count.
    let files = tempfile::tempdir().unwrap();
    let artifact_path = files.path().join("circuit.json");
    let vk_path = files.path().join("vk");
    std::fs::write(&artifact_path, lender.artifact_json).unwrap();
    std::fs::write(&vk_path, vk.as_bytes()).unwrap();
    let pool = env.pool(all_cores.clone().warm_up(warm_up.clone()));
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for (k, app) in lender.applications(samples, 4).iter().enumerate() {
        let (witness, gz) = lender.solve(&lender.decide(app));
        let witness_path = files.path().join("witness.gz");
        std::fs::write(&witness_path, gz).unwrap();
        let out = files.path().join(format!("out-{k}"));
        std::fs::create_dir_all(&out).unwrap();
        let raw_prove = |raw: &mut Vec<Duration>| {
            let t = Instant::now();
            let status = Command::new(&env.bb)
                .arg("prove")
                .arg("-c")
                .arg(env.setup.crs_dir())
                .arg("-b")
                .arg(&artifact_path)
                .arg("-w")
                .arg(&witness_path)
                .arg("-k")
                .arg(&vk_path)
                .arg("-o")
                .arg(&out)
                .args(["-t", TARGET.name()])
                .output()
                .unwrap();
            raw.push(t.elapsed());
            assert!(status.status.success(), "{status:?}");
        };
        let ours_prove = |ours: &mut Vec<Duration>| {
            let t = Instant::now();
            pool.prove(lender.request(witness.clone())).unwrap();
            ours.push(t.elapsed());
        };
        // Alternate which goes first, so neither always runs on a just-warmed cache.
        if k % 2 == 0 {
            raw_prove(&mut raw);
            ours_prove(&mut ours);
        } else {
            ours_prove(&mut ours);
            raw_prove(&mut raw);
        }
    }
    bb_peak = bb_peak.max(bb_peak_mib(&pool));
    pool.shutdown();
    let (ours50, ours95) = stats(ours);
    let (raw50, raw95) = stats(raw);
    println!(
        "## govproof prove against `bb prove` (ms, same artifact, witness, key, CRS, threads)\n"
    );
    println!("| prover | p50 | p95 |\n| --- | --- | --- |");
    println!(
        "| govproof pool request to proof | {} | {} |",
        ms(ours50),
        ms(ours95)
    );
    println!("| `bb prove` command | {} | {} |", ms(raw50), ms(raw95));
    println!(
        "\nRatio of medians govproof / bb: **{:.2}**\n",
        ours50.as_secs_f64() / raw50.as_secs_f64()
    );

    // 6. Memory.
    println!("## Peak memory\n");
    println!(
        "- this process (witness generation, pool, clients): {:.0} MiB",
        peak_mib("self").unwrap_or(f64::NAN)
    );
    println!("- largest bb process: {bb_peak:.0} MiB\n");
    println!(
        "Took {:.0} s; load average after: {}.",
        started.elapsed().as_secs_f64(),
        uptime()
    );
}
