#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may fail loudly
//! What tree ensembles cost in the composite circuit, by their real shape (`tree_table`) and, where
//! the old layout can hold them, as complete trees (`tree_ensemble`) in the same run. Prints a
//! Markdown table: gates, rows, first compile, witness, prove and verify time per model.
//!
//! Run: `GOVPROOF_TREE_MODELS=DIR cargo bench --bench tree_tables`, where every folder of `DIR`
//! holds `model.onnx`, `schema.toml` and `calibration.csv` (as `tests/data/models/
//! regenerate_trees.py --large DIR` writes them); without it, the small tree fixtures of
//! `tests/data/models/accepted/`. Compiles are cached by source hash under the target directory.
//! Proofs use the development setup (bb does the same work whatever the points are);
//! `GOVPROOF_BENCH_SAMPLES` sets the samples per timing (default 3).
//!
//! Each model is imported with `model::import` (default profile: its own node-table shape), a
//! decision is built on calibration row 0 under an open policy, and the witness (acvm), the proof
//! (one warm bb) and the verification (bb, and the pure-Rust `govproof-verify`) are timed; the
//! proof must verify under both, and the same proof with one byte changed must be refused by both.

#[path = "../tests/circuits_support/mod.rs"]
mod circuits_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use govproof::artifact::Artifact;
use govproof::circuits::generate::compile_cached;
use govproof::circuits::{FeatureRange, Profile};
use govproof::model::calibration::Calibration;
use govproof::model::certificate::quantize_row;
use govproof::model::{import, FeatureSchema, ImportRequest, ModelFile};
use govproof::prover::{CircuitBytecode, ProofTarget, Prover, Verifier, WitnessStack};
use govproof::setup::dangerous;
use govproof::toolchain::InstallPolicy;
use govproof::witness::execute;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

struct Bench {
    prover: Prover,
    verifier: Verifier,
    bb: PathBuf,
    g2: [u8; govproof_verify::G2_POINT_BYTES],
    cache: PathBuf,
    samples: usize,
    _work: tempfile::TempDir,
}

impl Bench {
    fn row(&mut self, label: &str, file: &ModelFile, calibration: &Calibration) {
        let profile = file.profile;
        let started = Instant::now();
        let json = compile_cached(
            &profile,
            &self.cache,
            InstallPolicy::InstallIfMissing,
            &mut |m| eprintln!("{m}"),
        )
        .unwrap();
        let compile = started.elapsed();
        let gates = govproof::circuits::info::measure(&self.bb, &profile.name(), &json)
            .map(|m| m.gates)
            .unwrap_or(0);
        let artifact = Artifact::from_json_bytes(&profile.name(), &json).unwrap();
        let n = file.model.features();
        let linear = Profile::from_name(&format!("linear-{n}-d20-b8-s16-p1-m4")).unwrap();
        let mut sc = circuits_support::Scenario::valid(linear, 15);
        sc.profile = profile;
        sc.entry_profile = profile.id();
        sc.model = file.model.clone();
        sc.features = quantize_row(&calibration.rows()[0]).unwrap();
        sc.policy.ranges = vec![FeatureRange::unbounded(); n];
        sc.policy.protected = vec![];
        let decision = sc.build();
        assert_eq!(decision.first_violation(), None);
        let inputs = decision.inputs();
        let mut witness = Vec::new();
        let mut solved = None;
        for _ in 0..self.samples {
            let t = Instant::now();
            solved = Some(execute(&artifact, &inputs).unwrap());
            witness.push(t.elapsed());
        }
        let solved = solved.unwrap();
        let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec()).unwrap();
        let stack = WitnessStack::from_msgpack(solved.msgpack().to_vec()).unwrap();
        let vk = self
            .prover
            .verification_key(&circuit, ProofTarget::NoirRecursive)
            .unwrap();
        let key = govproof_verify::VerificationKey::from_bytes(
            govproof_verify::Target::NoirRecursive,
            vk.as_bytes(),
        )
        .unwrap();
        let g2 = govproof_verify::G2Point::from_bytes(&self.g2).unwrap();
        let (mut prove, mut verify, mut rust) = (Vec::new(), Vec::new(), Vec::new());
        let mut last = None;
        for _ in 0..self.samples {
            let t = Instant::now();
            let proof = self
                .prover
                .prove(&circuit, &stack, ProofTarget::NoirRecursive)
                .unwrap();
            prove.push(t.elapsed());
            let t = Instant::now();
            self.verifier.verify(&vk, &proof).unwrap();
            verify.push(t.elapsed());
            let inputs: Vec<[u8; 32]> = proof
                .public_inputs()
                .iter()
                .map(|f| f.to_be_bytes())
                .collect();
            let t = Instant::now();
            govproof_verify::verify(&key, &proof.to_bytes(), &inputs, &g2).unwrap();
            rust.push(t.elapsed());
            last = Some((proof, inputs));
        }
        // The negative twin: one byte of the proof changed is refused by bb and by the Rust
        // verifier alike.
        let (proof, inputs) = last.unwrap();
        let mut bytes = proof.to_bytes();
        let at = bytes.len() / 2;
        bytes[at] ^= 1;
        let tampered = govproof::prover::Proof::from_bytes(
            &bytes,
            proof.public_inputs().to_vec(),
            proof.setup(),
            proof.target(),
        )
        .unwrap();
        assert!(
            self.verifier.verify(&vk, &tampered).is_err(),
            "bb accepted a tampered proof"
        );
        assert!(
            govproof_verify::verify(&key, &bytes, &inputs, &g2).is_err(),
            "the Rust verifier accepted a tampered proof"
        );
        let rows = (gates.max(1) as f64).log2().ceil() as u32;
        let (w, p) = (median(witness), median(prove));
        println!(
            "| {label} | `{}` | {} | {gates} | 2^{rows} | {} | {} ({:.0} %) | {} | {} | {} | yes |",
            profile.name(),
            file.model.weights().len(),
            secs(compile),
            secs(w),
            100.0 * w.as_secs_f64() / p.as_secs_f64(),
            secs(p),
            secs(median(verify)),
            secs(median(rust)),
        );
    }
}

fn load(dir: &Path, profile: Option<&str>) -> Option<(ModelFile, Calibration)> {
    let schema = FeatureSchema::read(&dir.join("schema.toml")).unwrap();
    let calibration = Calibration::read(&dir.join("calibration.csv"), &schema).unwrap();
    let onnx = fs::read(dir.join("model.onnx")).unwrap();
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    match import(&ImportRequest {
        onnx_name: &name,
        onnx: &onnx,
        schema: &schema,
        calibration: &calibration,
        policy: None,
        profile,
        model_id: "bench",
        version: "1",
        max_bound: None,
    }) {
        Ok((file, _)) => Some((file, calibration)),
        Err(e) => {
            eprintln!("{name}: {e}");
            None
        }
    }
}

fn main() {
    let bb = govproof_testkit::bb().expect("bb");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-tree-bench");
    let setup = dangerous::development_setup(&cache).unwrap();
    let work = tempfile::tempdir().unwrap();
    let prover = Prover::new(&bb, &setup, &cache.join("vk")).unwrap();
    let verifier = Verifier::new(&bb, work.path(), dangerous::accept_development_proofs()).unwrap();
    let samples = std::env::var("GOVPROOF_BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let mut bench = Bench {
        prover,
        verifier,
        bb,
        g2: setup.g2_bytes(),
        cache: cache.join("circuits"),
        samples,
        _work: work,
    };
    let root = std::env::var_os("GOVPROOF_TREE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/models/accepted")
        });
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.onnx").is_file())
        .collect();
    dirs.sort();
    println!("| model | profile | weights | gates | rows | first compile | witness (of prove) | prove | verify (bb) | verify (Rust) | tampered proof refused |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Some((file, calibration)) = load(&dir, None) else {
            continue;
        };
        if file.model.table_shape().is_none() {
            continue;
        }
        bench.row(&format!("{name} (table)"), &file, &calibration);
        // The same model as complete trees, when the old layout holds it.
        let shape = file.model.table_shape().unwrap();
        let p = file.profile.name();
        let complete = p.replacen(
            &format!("{}l{}h{}", shape.trees(), shape.leaves(), shape.depth()),
            &format!("{}x{}", shape.trees(), shape.depth()),
            1,
        );
        if shape.trees() <= 256 && shape.depth() <= 8 {
            if let Some((file, calibration)) = load(&dir, Some(&complete)) {
                bench.row(&format!("{name} (complete)"), &file, &calibration);
            }
        }
    }
}
