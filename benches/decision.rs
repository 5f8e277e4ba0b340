#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may fail loudly
//! What one credit decision costs on the reference profile (`mlp-24x16-d20-b8-s16-p8-m4`), phase
//! by phase, and what govproof adds to bb's own prove time. Prints a Markdown report.
//!
//! Run: `cargo bench --bench decision` (about three minutes on 2 cores; `GOVPROOF_BENCH_SAMPLES`
//! sets the samples per measurement, default 30). Needs bb (`GOVPROOF_BB` or the toolchain,
//! installed on first use). Proofs use the development setup: the reference circuit needs 2^14
//! points and the real Ignition points available offline stop at 513; bb's prover does the same
//! work whatever the points are.
//!
//! A custom harness rather than criterion, because the numbers wanted are percentiles (p50, p95)
//! of end-to-end latencies with their phase split, throughput under concurrency, peak memory of
//! the bb processes, and a prove-time ratio measured by alternating govproof and the `bb prove`
//! command sample by sample; criterion reports none of these.
//!
//! The lender is the SDK's demonstration deployment (`govproof demo`: the example policy, the
//! reference model, a registry signed by two of three keys). Each sample decides a fresh
//! applicant (features drawn inside the policy's ranges, a new id, a new salt). Measurements:
//! 1. warm latency of `DecisionContext::decide` on one warm `Prover` (one bb using every core),
//!    split into native checks (registry, model, policy, every circuit constraint), witness
//!    generation (acvm), proving (bb) and sealing (the rest: public-input check, bundle assembly);
//! 2. warm latency of `DecisionContext::decide` on the prover pool (the path a service and
//!    `govproof prove --applications` take), for the default pool and for one worker using every
//!    core;
//! 3. cold latency: a decision context built from scratch (the key is read from the disk cache)
//!    with its prover (bb starts), and its first decision (bb loads its CRS);
//! 4. verification: the SDK's bundle verifier on each bundle, every check (registry signatures,
//!    policy, public inputs, proof), warm, and bb's proof check alone;
//! 5. throughput with 1, 2 and 4 concurrent clients through each pool;
//! 6. govproof's prove time (pool request to proof) against `bb prove` on the same artifact,
//!    gzipped witness, verification key and CRS folder with the same thread count, alternating;
//! 7. peak resident memory of this process and of the largest bb process.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use govproof::bundle::{BundleVerifier, DecisionId, Verdict, VerifyOptions};
use govproof::decide::{
    quantize_features, Application, ContextOptions, DecisionContext, DecisionParts, Preparation,
    ProofBackend, TrustedRegistry,
};
use govproof::field::Field;
use govproof::policy::Policy;
use govproof::prover::pool::{available_cores, PoolConfig, ProofRequest, ProverPool};
use govproof::prover::{ProofTarget, Prover, Verifier};
use govproof::registry::{Root, Signed, Timestamp, TrustState};
use govproof::setup::{dangerous, Setup};

const TARGET: ProofTarget = ProofTarget::NoirRecursive;

/// The demonstration lender: policy, model, signed registry, and the circuit's artifact.
struct Lender {
    policy: Policy,
    root: Signed<Root>,
    trusted: TrustedRegistry,
    model: govproof::decide::Model,
    artifact_json: &'static [u8],
    _registry_dir: tempfile::TempDir,
}

impl Lender {
    fn new(now: Timestamp) -> Lender {
        let dir = tempfile::tempdir().unwrap();
        let govproof_testkit::DemoLender {
            policy,
            model,
            root,
            trusted,
        } = govproof_testkit::demo_lender(dir.path(), now).expect("the demonstration lender");
        let name = policy.profile().name();
        let artifact_json = govproof::noir::embedded(&name).unwrap();
        Lender {
            policy,
            root,
            trusted,
            model,
            artifact_json,
            _registry_dir: dir,
        }
    }

    fn context(&self, env: &Env) -> DecisionContext {
        DecisionContext::with_options(
            DecisionParts {
                registry: self.trusted.clone(),
                policy: self.policy.clone(),
                model: self.model.clone(),
                setup: env.setup.clone(),
            },
            ContextOptions {
                bb: Some(env.bb.clone()),
                cache_dir: Some(env.keys.clone()),
                ..ContextOptions::default()
            },
        )
        .unwrap()
    }

    /// Applicants with features drawn inside the policy's ranges.
    fn applications(&self, n: usize, seed: u64, now: Timestamp) -> Vec<Application> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        };
        (0..n)
            .map(|k| {
                let values: Vec<f64> = self
                    .policy
                    .features()
                    .iter()
                    .map(|f| (f.min + next() * (f.max - f.min)).round())
                    .collect();
                Application {
                    decision_id: DecisionId::new(&format!("bench-{seed}-{k}")).unwrap(),
                    time: now,
                    scope: self.policy.scopes()[0].clone(),
                    features: quantize_features(&values).unwrap(),
                }
            })
            .collect()
    }

    /// `DecisionContext::prepare` for `application`: the pool request and the gzipped witness
    /// (for the `bb prove` command).
    fn prepare(
        &self,
        context: &DecisionContext,
        application: &Application,
    ) -> (ProofRequest, Vec<u8>) {
        let Preparation::Ready(prepared) = context
            .prepare_with_salt(application, salt(application))
            .unwrap()
        else {
            panic!("a bench applicant was refused")
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, prepared.request().witness().as_bytes()).unwrap();
        (prepared.request().clone(), gz.finish().unwrap())
    }
}

/// A salt that differs per application (the API draws its own; the pool path needs one).
fn salt(application: &Application) -> Field {
    let mut wide = [0u8; 64];
    wide[..32]
        .copy_from_slice(blake3::hash(application.decision_id.as_str().as_bytes()).as_bytes());
    Field::from_wide_bytes_reduce(&wide)
}

/// One decision through the SDK's public path, expected to be proved.
fn decide<B: ProofBackend>(
    context: &DecisionContext,
    application: &Application,
    backend: &mut B,
) -> govproof::Proved {
    context
        .decide(application, backend)
        .unwrap()
        .proved()
        .unwrap()
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

fn load_average() -> String {
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
    let Some(bb) = govproof_testkit::bb() else {
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
    let now = Timestamp::now();
    let lender = Lender::new(now);
    let load_before = load_average();
    let started = Instant::now();
    let cores = available_cores();
    let all_cores = PoolConfig::new().workers(NonZeroUsize::MIN);
    let default = PoolConfig::new();
    let default_name = format!(
        "{} workers x {} bb thread{}",
        default.worker_count(),
        default.threads_per_bb(),
        if default.threads_per_bb().get() == 1 {
            ""
        } else {
            "s"
        }
    );
    let api = lender.context(&env);
    let mut warm = api.prover().unwrap();
    let warm_up = lender.prepare(&api, &lender.applications(1, 99, now)[0]).0;
    let bb_version = Prover::new(&env.bb, &env.setup, &env.keys)
        .unwrap()
        .bb_version()
        .to_string();

    println!("# govproof decision benchmark\n");
    println!(
        "Profile `{}`, development setup, bb `{bb_version}`, {cores} cores, {samples} samples per \
         row, load average before: {load_before}.\n",
        lender.policy.profile().name(),
    );

    // 1. The SDK's API on one warm prover.
    let mut bundles = Vec::new();
    let (mut native, mut witness, mut prove, mut bundling, mut total) =
        (vec![], vec![], vec![], vec![], vec![]);
    decide(&api, &lender.applications(1, 98, now)[0], &mut warm);
    for application in lender.applications(samples, 1, now) {
        let t = Instant::now();
        let proved = decide(&api, &application, &mut warm);
        let all = t.elapsed();
        let timings = proved.timings;
        native.push(timings.checks);
        witness.push(timings.witness);
        prove.push(timings.proof);
        bundling.push(all.saturating_sub(timings.checks + timings.witness + timings.proof));
        total.push(all);
        bundles.push(proved.bundle.to_json_pretty().into_bytes());
    }
    println!("## Warm decision latency (ms)\n");
    println!("| phase | p50 | p95 | samples |\n| --- | --- | --- | --- |");
    row(
        "**end to end**, `DecisionContext::decide` on one `Prover` (one bb, every core)",
        total,
    );
    row(
        "- native checks (registry, model, policy, constraints)",
        native,
    );
    row("- witness generation", witness);
    row("- proving", prove);
    row("- sealing (public-input check, bundle)", bundling);

    // 2. Through the pool, warm.
    let mut bb_peak: f64 = 0.0;
    for (name, config) in [
        (default_name.clone(), default.clone()),
        ("1 worker x every core".to_string(), all_cores.clone()),
    ] {
        let pool = env.pool(config.warm_up(warm_up.clone()));
        let (mut native, mut witness, mut proving, mut total) = (vec![], vec![], vec![], vec![]);
        for application in lender.applications(samples, 2, now) {
            let t = Instant::now();
            let proved = decide(&api, &application, &mut &pool);
            total.push(t.elapsed());
            native.push(proved.timings.checks);
            witness.push(proved.timings.witness);
            proving.push(proved.timings.proof);
        }
        row(
            &format!("**end to end through the pool**, `DecisionContext::decide` on `&ProverPool`, {name}"),
            total,
        );
        row("- native checks", native);
        row("- witness generation", witness);
        row("- proving (pool request to proof)", proving);
        bb_peak = bb_peak.max(bb_peak_mib(&pool));
        pool.shutdown();
    }
    println!();

    // 3. Cold: a decision context and its prover built from scratch, then its first decision.
    println!("## Cold decision latency (ms)\n");
    println!("| case | p50 | p95 | samples |\n| --- | --- | --- | --- |");
    let (mut build, mut first) = (vec![], vec![]);
    for application in lender.applications(samples.div_ceil(3).max(2), 3, now) {
        let t = Instant::now();
        let cold = lender.context(&env);
        let mut prover = cold.prover().unwrap();
        build.push(t.elapsed());
        let t = Instant::now();
        decide(&cold, &application, &mut prover);
        first.push(t.elapsed());
    }
    row(
        "build a decision context and its prover (checks, key from the disk cache, starts bb)",
        build,
    );
    row("its first decision (bb loads the CRS)", first);
    println!();

    // 4. Verification.
    let work = tempfile::tempdir().unwrap();
    let mut verifier = BundleVerifier::new(VerifyOptions {
        trust: TrustState::bootstrap(lender.root.clone()).unwrap(),
        policy: Some(lender.policy.clone()),
        acceptance: dangerous::accept_development_proofs(),
        bb: Some(env.bb.clone()),
        work_dir: work.path().join("bundle-verifier"),
        ignition_crs: None,
    });
    assert_eq!(
        verifier.verify(&bundles[0]).verdict(),
        Verdict::ValidDevelopmentSetup
    );
    let mut full = Vec::new();
    for bundle in &bundles {
        let t = Instant::now();
        assert_eq!(
            verifier.verify(bundle).verdict(),
            Verdict::ValidDevelopmentSetup
        );
        full.push(t.elapsed());
    }
    let mut proof_only = Vec::new();
    let mut raw_verifier = Verifier::new(
        &env.bb,
        &work.path().join("verifier"),
        dangerous::accept_development_proofs(),
    )
    .unwrap();
    let vk = api.verification_key().clone();
    let pool = env.pool(all_cores.clone().warm_up(warm_up.clone()));
    let proofs: Vec<_> = lender
        .applications(samples, 5, now)
        .iter()
        .map(|a| pool.prove(lender.prepare(&api, a).0).unwrap().proof)
        .collect();
    raw_verifier.verify(&vk, &proofs[0]).unwrap();
    for proof in &proofs {
        let t = Instant::now();
        raw_verifier.verify(&vk, proof).unwrap();
        proof_only.push(t.elapsed());
    }
    pool.shutdown();
    println!("## Verification (ms)\n");
    println!("| case | p50 | p95 | samples |\n| --- | --- | --- | --- |");
    row(
        "verify a bundle, every check (`BundleVerifier`, warm)",
        full,
    );
    row("verify the proof alone (bb, warm)", proof_only);
    println!();

    // 5. Throughput under concurrency.
    println!("## Throughput (decisions per second: native checks, witness, proof)\n");
    println!("| pool | 1 client | 2 clients | 4 clients |\n| --- | --- | --- | --- |");
    for (name, config) in [
        (format!("{default_name} (default)"), default.clone()),
        ("1 worker x every core".to_string(), all_cores.clone()),
    ] {
        let pool = env.pool(config.queue_capacity(8).warm_up(warm_up.clone()));
        let mut cells = Vec::new();
        for clients in [1usize, 2, 4] {
            let per_client = (samples / 2).max(2);
            let t = Instant::now();
            std::thread::scope(|s| {
                for c in 0..clients {
                    let (pool, lender, api) = (&pool, &lender, &api);
                    s.spawn(move || {
                        for application in lender.applications(per_client, 100 + c as u64, now) {
                            pool.prove(lender.prepare(api, &application).0).unwrap();
                        }
                    });
                }
            });
            let rate = (clients * per_client) as f64 / t.elapsed().as_secs_f64();
            cells.push(format!("{rate:.2}"));
        }
        bb_peak = bb_peak.max(bb_peak_mib(&pool));
        println!("| {name} | {} |", cells.join(" | "));
        pool.shutdown();
    }
    println!();

    // 6. govproof against `bb prove`, alternating, same inputs and thread count.
    let files = tempfile::tempdir().unwrap();
    let artifact_path = files.path().join("circuit.json");
    let vk_path = files.path().join("vk");
    std::fs::write(&artifact_path, lender.artifact_json).unwrap();
    std::fs::write(&vk_path, vk.as_bytes()).unwrap();
    let pool = env.pool(all_cores.clone().warm_up(warm_up.clone()));
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for (k, application) in lender.applications(samples, 4, now).iter().enumerate() {
        let (request, gz) = lender.prepare(&api, application);
        let witness_path = files.path().join("witness.gz");
        std::fs::write(&witness_path, gz).unwrap();
        let out = files.path().join(format!("out-{k}"));
        std::fs::create_dir_all(&out).unwrap();
        let raw_prove = |raw: &mut Vec<Duration>| {
            let t = Instant::now();
            let output = Command::new(&env.bb)
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
            assert!(output.status.success(), "{output:?}");
        };
        let ours_prove = |ours: &mut Vec<Duration>| {
            let t = Instant::now();
            pool.prove(request.clone()).unwrap();
            ours.push(t.elapsed());
        };
        // Alternate which goes first, so neither always runs right after the other.
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
        "## govproof prove against `bb prove` (ms; same artifact, witness, key, CRS, threads)\n"
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

    // 7. Memory.
    println!("## Peak memory\n");
    println!(
        "- this process (decision provers, witness generation, pools, clients): {:.0} MiB",
        peak_mib("self").unwrap_or(f64::NAN)
    );
    println!("- largest pool bb process: {bb_peak:.0} MiB\n");
    println!(
        "Took {:.0} s; load average after: {}.",
        started.elapsed().as_secs_f64(),
        load_average()
    );
}
