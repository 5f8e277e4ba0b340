#![allow(clippy::unwrap_used, clippy::expect_used)] // a generator run may fail loudly
//! Agreement with bb 5.0.0, the oracle of the pure-Rust verifier, and its speed.
//!
//! The generator proves fresh valid proofs with the SDK's real prover (development setup) for
//! three circuits and both targets, tampers with each of them in every way
//! `verifier/tests/agreement_cases` lists (every proof field flipped, incremented and set to the
//! modulus; out-of-range values; the identity and an off-curve point in place of each
//! commitment; truncated and over-long proofs; each public input changed; every key field
//! changed; a proof paired with another circuit's key) and asks bb about each case: through the
//! SDK's warm [`Verifier`] where the SDK's types can hold the case, otherwise through a raw
//! `bb msgpack run` session on the same binary and one-point CRS. It prints the counts (cases
//! per kind, circuit, target and verdict) and writes every case with bb's answer to
//! `target/tmp/verifier-agreement/cases.txt`. Every case is also given to the Rust verifier
//! (`govproof-verify`); the cases where its verdict differs from bb's are printed and written to
//! `disagreements.txt` beside it.
//!
//! Run it by hand, never in CI (it takes minutes and needs bb):
//! `cargo bench --bench verifier_agreement`. Environment:
//! - `AGREEMENT_PROOFS` (default 3): valid proofs per circuit and target;
//! - `AGREEMENT_MUTATED` (default 2): how many of them get the whole list of mutations;
//! - `AGREEMENT_WRITE_VECTORS=1`: also rewrite the CI sample in `verifier/tests/vectors/`
//!   (with `disagreements.txt`, the sampled cases where the Rust verifier's verdict differs);
//! - `AGREEMENT_SKIP_SPEED=1`: skip the closing criterion comparison of bb's warm verify and the
//!   Rust verifier on the reference circuit.

#[path = "../verifier/tests/agreement_cases/mod.rs"]
mod agreement_cases;
#[path = "../verifier/tests/agreement_cases/rust.rs"]
mod rust_verdict;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use agreement_cases::{Base, Case, Instance, Mutation, Target, Vectors, Verdict};
use barretenberg_rs::generated_types::ProofSystemSettings;
use barretenberg_rs::{Backend, BarretenbergApi, BarretenbergError};
use criterion::Criterion;
use govproof::abi::{InputValue, Inputs};
use govproof::artifact::Artifact;
use govproof::bundle::DecisionId;
use govproof::decide::{ContextOptions, DecisionContext, DecisionParts};
use govproof::demo::{demo_application, demo_model, publish_registry, Approval};
use govproof::field::Field;
use govproof::hash::poseidon2_permutation;
use govproof::policy::{check, CheckOptions, SourceFile};
use govproof::prover::{
    CircuitBytecode, Proof, ProofRejection, ProofTarget, ProofVerifyError, Prover, VerificationKey,
    Verifier, WitnessStack,
};
use govproof::registry::entry::Digest;
use govproof::registry::{SecretKey, Timestamp, TrustState};
use govproof::setup::{dangerous, Setup, SetupId};

/// When the decisions are made: inside both policies' validity windows.
const DECISION_TIME: &str = "2026-04-15T09:30:00Z";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sdk_target(target: Target) -> ProofTarget {
    match target {
        Target::NoirRecursive => ProofTarget::NoirRecursive,
        Target::Evm => ProofTarget::Evm,
    }
}

/// `count` fresh proofs of one composite decision circuit (a policy from `policies/`), each with
/// a fresh random salt, hence a fresh witness.
fn decision_proofs(
    policy_file: &str,
    target: Target,
    count: usize,
    setup: &Setup,
    bb: &Path,
    cache: &Path,
) -> Vec<Base> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("policies").join(policy_file)).unwrap();
    let now: Timestamp = DECISION_TIME.parse().unwrap();
    let source = SourceFile::new(policy_file, &text);
    let checked = check(
        &source,
        &CheckOptions {
            now: Some(now),
            model: None,
        },
    );
    let policy = checked
        .policy
        .unwrap_or_else(|| panic!("{}", checked.diagnostics.render(&source)));
    let model = demo_model(&policy).unwrap();
    let keys: Vec<SecretKey> = govproof_testkit::seeded_keys(3);
    let dir = tempfile::tempdir().unwrap();
    let (registry, root_doc) = publish_registry(
        &dir.path().join("registry"),
        &keys,
        2,
        &[Approval {
            model: &model,
            model_digest: Digest::from_bytes([0; 32]),
            policy: &policy,
        }],
        now,
    )
    .unwrap();
    let trust = TrustState::bootstrap(root_doc).unwrap();
    let trusted = govproof::decide::TrustedRegistry::open(&registry, &trust, now).unwrap();
    let context = DecisionContext::with_options(
        DecisionParts {
            registry: trusted,
            policy: policy.clone(),
            model,
            setup: setup.clone(),
        },
        ContextOptions {
            target: sdk_target(target),
            bb: Some(bb.to_path_buf()),
            cache_dir: Some(cache.join("vk")),
            ..ContextOptions::default()
        },
    )
    .unwrap();
    let mut prover = context.prover().unwrap();
    let circuit = policy.profile().name().to_string();
    let vk = context.verification_key().as_bytes().to_vec();
    let mut application = demo_application(&policy, now).unwrap();
    (0..count)
        .map(|n| {
            application.decision_id = DecisionId::new(&format!("agreement-{n}")).unwrap();
            let proved = context
                .decide(&application, &mut prover)
                .unwrap()
                .proved()
                .unwrap();
            Base {
                name: Base::name_for(&circuit, target, n),
                circuit: circuit.clone(),
                target,
                vk: vk.clone(),
                proof: proved.bundle.proof.as_bytes().to_vec(),
                public_inputs: proved
                    .bundle
                    .public_inputs
                    .to_fields()
                    .iter()
                    .map(Field::to_be_bytes)
                    .collect(),
            }
        })
        .collect()
}

/// `count` fresh proofs of the standalone `hello_gate` circuit: random features, weights and salt
/// (so the public commitment and the decision bit change from proof to proof).
fn hello_gate_proofs(target: Target, count: usize, prover: &mut Prover) -> Vec<Base> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let artifact = Artifact::load(&root.join("circuits/artifacts/hello_gate.json")).unwrap();
    let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec()).unwrap();
    let vk = prover
        .verification_key(&circuit, sdk_target(target))
        .unwrap();
    (0..count)
        .map(|n| {
            let mut random = [0u8; 64 + 16 + 8];
            getrandom::getrandom(&mut random).unwrap();
            let salt = Field::from_wide_bytes_reduce(random[..64].try_into().unwrap());
            let features: Vec<u32> = random[64..80]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap()) >> 8)
                .collect();
            let weights: Vec<u16> = random[80..88]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes(c.try_into().unwrap()))
                .collect();
            let mut packed = Field::zero();
            let mut base = Field::one();
            for &f in &features {
                packed = packed + Field::from(u64::from(f)) * base;
                base = base * Field::from(1u64 << 32);
            }
            let commitment = poseidon2_permutation([salt, packed, Field::zero(), Field::zero()])[0];
            let inputs = Inputs::new()
                .with(
                    "features",
                    InputValue::array(features.iter().map(|&f| InputValue::from(f))),
                )
                .with(
                    "weights",
                    InputValue::array(weights.iter().map(|&w| InputValue::from(w))),
                )
                .with("salt", salt)
                .with("commitment", commitment)
                .with("threshold", 1u64 << 40);
            let solved = govproof::witness::execute(&artifact, &inputs).unwrap();
            let witness = WitnessStack::from_msgpack(solved.msgpack().to_vec()).unwrap();
            let proof = prover
                .prove(&circuit, &witness, sdk_target(target))
                .unwrap();
            Base {
                name: Base::name_for("hello_gate", target, n),
                circuit: "hello_gate".to_string(),
                target,
                vk: vk.as_bytes().to_vec(),
                proof: proof.to_bytes(),
                public_inputs: proof
                    .public_inputs()
                    .iter()
                    .map(Field::to_be_bytes)
                    .collect(),
            }
        })
        .collect()
}

/// bb's answer, and what it said when it refused.
struct Answer {
    verdict: Verdict,
    message: Option<String>,
    /// Whether the SDK's `Verifier` asked (otherwise the raw session).
    through_sdk: bool,
}

/// One `bb -c <crs> msgpack run` child spoken to directly, for the cases the SDK's types refuse
/// to build (proof lengths bb never produces, public inputs at or above the modulus).
struct RawBb {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    program: PathBuf,
    crs: PathBuf,
    restarts: usize,
}

impl RawBb {
    fn start(program: &Path, crs: &Path) -> RawBb {
        let mut child = Command::new(program)
            .arg("-c")
            .arg(crs)
            .args(["msgpack", "run"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        RawBb {
            child,
            stdin,
            stdout,
            program: program.to_path_buf(),
            crs: crs.to_path_buf(),
            restarts: 0,
        }
    }

    fn verify(&mut self, case: &Instance) -> Answer {
        let settings = ProofSystemSettings {
            ipa_accumulation: false,
            oracle_hash_type: sdk_target(case.target).oracle_hash_type().to_string(),
            disable_zk: false,
            optimized_solidity_verifier: false,
        };
        let fields: Vec<Vec<u8>> = case.proof.chunks(32).map(<[u8]>::to_vec).collect();
        let inputs: Vec<Vec<u8>> = case.public_inputs.iter().map(|f| f.to_vec()).collect();
        let result =
            BarretenbergApi::new(Pipe(self)).circuit_verify(&case.vk, inputs, fields, settings);
        let answer = |verdict, message| Answer {
            verdict,
            message,
            through_sdk: false,
        };
        match result {
            Ok(r) if r.verified => answer(Verdict::Verified, None),
            Ok(_) => answer(Verdict::Rejected, None),
            Err(BarretenbergError::Backend(message)) => answer(Verdict::Refused, Some(message)),
            Err(other) => {
                // bb died or the stream broke on this input: a refusal, and a fresh process.
                let _ = self.child.kill();
                let _ = self.child.wait();
                let restarts = self.restarts + 1;
                *self = RawBb::start(&self.program.clone(), &self.crs.clone());
                self.restarts = restarts;
                answer(Verdict::Refused, Some(format!("bb failed: {other}")))
            }
        }
    }
}

impl Drop for RawBb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Pipe<'a>(&'a mut RawBb);

impl Backend for Pipe<'_> {
    fn call(&mut self, input: &[u8]) -> barretenberg_rs::Result<Vec<u8>> {
        use std::io::Read;
        let io = |e: std::io::Error| BarretenbergError::Ipc(e.to_string());
        let len = u32::try_from(input.len()).map_err(|e| BarretenbergError::Ipc(e.to_string()))?;
        self.0.stdin.write_all(&len.to_le_bytes()).map_err(io)?;
        self.0.stdin.write_all(input).map_err(io)?;
        self.0.stdin.flush().map_err(io)?;
        let mut prefix = [0u8; 4];
        self.0.stdout.read_exact(&mut prefix).map_err(io)?;
        let mut out = vec![0u8; u32::from_le_bytes(prefix) as usize];
        self.0.stdout.read_exact(&mut out).map_err(io)?;
        Ok(out)
    }

    fn destroy(&mut self) -> barretenberg_rs::Result<()> {
        Ok(())
    }
}

/// The SDK's objects for a case, when its types can hold it.
fn sdk_objects(case: &Instance, setup: SetupId) -> Option<(VerificationKey, Proof)> {
    let target = sdk_target(case.target);
    let vk = VerificationKey::from_parts(case.vk.clone(), setup, target).ok()?;
    let inputs = case
        .public_inputs
        .iter()
        .map(Field::from_be_bytes)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let proof = Proof::from_bytes(&case.proof, inputs, setup, target).ok()?;
    Some((vk, proof))
}

fn ask_bb(verifier: &mut Verifier, raw: &mut RawBb, case: &Instance, setup: SetupId) -> Answer {
    let Some((vk, proof)) = sdk_objects(case, setup) else {
        return raw.verify(case);
    };
    let answer = |verdict, message| Answer {
        verdict,
        message,
        through_sdk: true,
    };
    match verifier.verify(&vk, &proof) {
        Ok(()) => answer(Verdict::Verified, None),
        Err(ProofVerifyError::Rejected(ProofRejection::CheckFailed)) => {
            answer(Verdict::Rejected, None)
        }
        Err(ProofVerifyError::Rejected(ProofRejection::Refused { message })) => {
            answer(Verdict::Refused, Some(message))
        }
        Err(other) => panic!("the SDK's verifier reached no answer: {other}"),
    }
}

/// The development verifier's patched bb and one-point CRS, as the SDK's `Verifier` prepared
/// them under `work` on its first development proof.
fn development_verifier_files(work: &Path, setup: SetupId) -> (PathBuf, PathBuf) {
    let patched = std::fs::read_dir(work.join("bb-development"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("bb"))
        .find(|p| p.is_file())
        .expect("the verifier prepared a development bb");
    (patched, work.join("verifier-crs").join(setup.slug()))
}

/// A stable hash of a line, to pick the CI sample deterministically.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Kinds with one case per field: only a fifth of them go into the CI sample.
const BULK_KINDS: [&str; 6] = [
    "proof-flip",
    "proof-increment",
    "proof-set",
    "key-flip",
    "key-increment",
    "key-set",
];

fn in_ci_sample(case: &Case, base_index: usize) -> bool {
    if case.mutation == Mutation::Valid {
        return base_index < 2;
    }
    if base_index != 0 {
        return false;
    }
    !BULK_KINDS.contains(&case.mutation.kind()) || fnv(&case.to_string()).is_multiple_of(8)
}

fn main() {
    let Some(bb) = govproof_testkit::installed_bb() else {
        eprintln!("skipped: no bb (set GOVPROOF_BB or run `govproof setup`)");
        return;
    };
    let proofs = env_usize("AGREEMENT_PROOFS", 3).max(1);
    let mutated = env_usize("AGREEMENT_MUTATED", 2).min(proofs);
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("verifier-agreement");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-bench-agreement");
    std::fs::create_dir_all(&out_dir).unwrap();
    let setup = dangerous::development_setup(&cache).unwrap();

    // 1. Valid proofs with fresh witnesses.
    let started = Instant::now();
    let mut prover = Prover::new(&bb, &setup, &cache).unwrap();
    let mut bases: Vec<Vec<Base>> = Vec::new();
    for target in Target::ALL {
        for policy in ["eu-consumer-credit.toml", "card-fraud-gate.toml"] {
            bases.push(decision_proofs(policy, target, proofs, &setup, &bb, &cache));
        }
        bases.push(hello_gate_proofs(target, proofs, &mut prover));
    }
    drop(prover);
    let all: Vec<Base> = bases.iter().flatten().cloned().collect();
    eprintln!(
        "proved {} valid proofs in {:.1} s",
        all.len(),
        started.elapsed().as_secs_f64()
    );

    // 2. bb's verdicts.
    let work = tempfile::tempdir().unwrap();
    let mut verifier =
        Verifier::new(&bb, work.path(), dangerous::accept_development_proofs()).unwrap();
    let first = &all[0];
    let (vk, proof) = sdk_objects(&Mutation::Valid.apply(first, &all).unwrap(), setup.id())
        .expect("a valid proof fits the SDK's types");
    verifier.verify(&vk, &proof).unwrap();
    let (patched, crs) = development_verifier_files(work.path(), setup.id());
    let mut raw = RawBb::start(&patched, &crs);

    let g2 = govproof_verify::G2Point::from_bytes(&setup.g2_bytes()).unwrap();
    let mut rust_time = Duration::ZERO;
    let mut disagreements: Vec<String> = Vec::new();
    let started = Instant::now();
    let mut cases: Vec<(Case, usize, String, Answer)> = Vec::new();
    let mut rust_verdicts: Vec<Verdict> = Vec::new();
    for group in &bases {
        for (index, base) in group.iter().enumerate() {
            let mutations = if index < mutated {
                let others: Vec<&Base> = bases
                    .iter()
                    .filter_map(|g| g.first())
                    .filter(|b| b.target == base.target && b.circuit != base.circuit)
                    .collect();
                Mutation::all_for(base, &others)
            } else {
                vec![Mutation::Valid]
            };
            for mutation in mutations {
                let Some(instance) = mutation.apply(base, &all) else {
                    panic!("mutation `{mutation}` does not fit `{}`", base.name);
                };
                let answer = ask_bb(&mut verifier, &mut raw, &instance, setup.id());
                let t = Instant::now();
                let (rust, why) = rust_verdict::verdict(&instance, &g2);
                rust_time += t.elapsed();
                rust_verdicts.push(rust);
                if rust != answer.verdict {
                    disagreements.push(format!(
                        "{} {mutation}: bb {} ({}), Rust {rust} ({why})",
                        base.name,
                        answer.verdict,
                        answer.message.as_deref().unwrap_or("-")
                    ));
                }
                let case = Case {
                    base: base.name.clone(),
                    mutation,
                    verdict: answer.verdict,
                };
                cases.push((case, index, base.circuit.clone(), answer));
            }
        }
    }
    let bb_time = started.elapsed().saturating_sub(rust_time);

    // 3. Counts.
    let mut per_kind: BTreeMap<(&str, Verdict), usize> = BTreeMap::new();
    let mut per_circuit: BTreeMap<(&str, Verdict), usize> = BTreeMap::new();
    let mut per_target: BTreeMap<(&str, Verdict), usize> = BTreeMap::new();
    let mut messages: BTreeMap<String, usize> = BTreeMap::new();
    let mut through_raw = 0;
    let mut accepted_tampered = Vec::new();
    for (case, _, circuit, answer) in &cases {
        let target = case.base.split('.').nth(1).unwrap_or("?");
        *per_kind
            .entry((case.mutation.kind(), case.verdict))
            .or_default() += 1;
        *per_circuit
            .entry((circuit.as_str(), case.verdict))
            .or_default() += 1;
        *per_target.entry((target, case.verdict)).or_default() += 1;
        if let Some(m) = &answer.message {
            *messages.entry(m.clone()).or_default() += 1;
        }
        through_raw += usize::from(!answer.through_sdk);
        if case.mutation != Mutation::Valid && case.verdict == Verdict::Verified {
            accepted_tampered.push(case.to_string());
        }
    }
    let print = |title: &str, table: &BTreeMap<(&str, Verdict), usize>| {
        println!("\n{title}: (verified / rejected / refused)");
        let mut names: Vec<&str> = table.keys().map(|(n, _)| *n).collect();
        names.dedup();
        for name in names {
            let n = |v| table.get(&(name, v)).copied().unwrap_or(0);
            println!(
                "  {name:<34} {:>6} {:>6} {:>6}",
                n(Verdict::Verified),
                n(Verdict::Rejected),
                n(Verdict::Refused)
            );
        }
    };
    println!(
        "\n{} cases from {} valid proofs, {} circuits, 2 targets; bb answered in {:.1} s \
         ({} through the raw session, {} bb restarts)",
        cases.len(),
        all.len(),
        bases.len() / 2,
        bb_time.as_secs_f64(),
        through_raw,
        raw.restarts
    );
    println!(
        "the Rust verifier agrees with bb on {} of {} cases ({:.1} s for all of them)",
        cases.len() - disagreements.len(),
        cases.len(),
        rust_time.as_secs_f64()
    );
    print("per kind", &per_kind);
    print("per circuit", &per_circuit);
    print("per target", &per_target);
    println!("\nbb's refusals:");
    for (m, n) in &messages {
        println!("  {n:>6}  {m}");
    }
    if !accepted_tampered.is_empty() {
        println!("\ntampered cases bb accepts ({}):", accepted_tampered.len());
        for c in accepted_tampered.iter().take(50) {
            println!("  {c}");
        }
    }

    if !disagreements.is_empty() {
        println!("\ndisagreements ({}):", disagreements.len());
        let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
        for d in &disagreements {
            let kind = d.split_whitespace().nth(1).unwrap_or("?");
            let kind = kind.split(':').next().unwrap_or("?").to_string();
            *per_kind.entry(kind).or_default() += 1;
        }
        for (k, n) in &per_kind {
            println!("  {k:<34} {n:>6}");
        }
        for d in disagreements.iter().take(40) {
            println!("  {}", d.replace('\n', " "));
        }
        std::fs::write(out_dir.join("disagreements.txt"), disagreements.join("\n")).unwrap();
    }

    let mut text = String::new();
    for (case, _, _, answer) in &cases {
        text.push_str(&case.to_string());
        if let Some(m) = &answer.message {
            text.push_str(" # ");
            text.push_str(&m.replace('\n', " "));
        }
        text.push('\n');
    }
    std::fs::write(out_dir.join("cases.txt"), text).unwrap();
    println!("\nevery case: {}", out_dir.join("cases.txt").display());

    // 4. The CI sample.
    if std::env::var_os("AGREEMENT_WRITE_VECTORS").is_some() {
        let sample: Vec<Case> = cases
            .iter()
            .filter(|(case, index, _, _)| in_ci_sample(case, *index))
            .map(|(case, ..)| case.clone())
            .collect();
        let used: Vec<Base> = all
            .iter()
            .filter(|b| sample.iter().any(|c| c.base == b.name))
            .cloned()
            .collect();
        // The sampled cases where the Rust verifier's verdict differs from bb's, written down
        // so the agreement test holds it to exactly these until they are resolved.
        let known: Vec<String> = cases
            .iter()
            .zip(&rust_verdicts)
            .filter(|((case, index, _, _), rust)| {
                in_ci_sample(case, *index) && **rust != case.verdict
            })
            .map(|((case, ..), rust)| format!("{} {} {rust}", case.base, case.mutation))
            .collect();
        let vectors = Vectors {
            bases: used,
            g2: setup.g2_bytes(),
            cases: sample,
            disagreements: known,
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("verifier/tests/vectors");
        let header = format!(
            "bb 5.0.0's verdicts, written by `AGREEMENT_WRITE_VECTORS=1 cargo bench --bench \
             verifier_agreement`\n{} cases sampled from a run of {}; development setup",
            vectors.cases.len(),
            cases.len()
        );
        vectors.write(&dir, &header).unwrap();
        println!(
            "wrote {} CI vectors over {} bases",
            vectors.cases.len(),
            vectors.bases.len()
        );
    }

    // 5. Speed, side by side, on the reference circuit's first valid proof.
    if std::env::var_os("AGREEMENT_SKIP_SPEED").is_some() {
        return;
    }
    let reference = &bases[0][0];
    let instance = Mutation::Valid.apply(reference, &all).unwrap();
    let (vk, proof) = sdk_objects(&instance, setup.id()).unwrap();
    let key = govproof_verify::VerificationKey::from_bytes(
        rust_verdict::target(instance.target),
        &instance.vk,
    )
    .unwrap();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    let mut group = c.benchmark_group(format!("verify {}", reference.circuit));
    group.bench_function("bb warm (SDK Verifier)", |b| {
        b.iter(|| verifier.verify(&vk, &proof).unwrap())
    });
    group.bench_function("Rust (govproof-verify)", |b| {
        b.iter(|| {
            govproof_verify::verify(&key, &instance.proof, &instance.public_inputs, &g2).unwrap()
        })
    });
    group.bench_function("Rust, key parsed each time", |b| {
        b.iter(|| assert_eq!(rust_verdict::verdict(&instance, &g2).0, Verdict::Verified))
    });
    group.finish();
    c.final_summary();
}
