#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may fail loudly
//! Prover costs on the 21,279-gate `poseidon_chain` fixture with the development setup:
//! cold prove (new bb process), warm prove (reused process), verify, and the verification key
//! from the disk cache versus computed by bb.
//!
//! Needs bb: `GOVPROOF_BB`, else the installed toolchain; prints why and measures nothing
//! without it. Run: `cargo bench --bench prover`.

use std::io::Read;

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use govproof::prover::{CircuitBytecode, ProofTarget, Prover, Verifier, WitnessStack};
use govproof::setup::dangerous;

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn fixture(name: &str) -> (CircuitBytecode, WitnessStack) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/circuits")
        .join(name);
    let artifact: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("artifact.json")).unwrap()).unwrap();
    let gz = base64::engine::general_purpose::STANDARD
        .decode(artifact["bytecode"].as_str().unwrap())
        .unwrap();
    (
        CircuitBytecode::from_msgpack(gunzip(&gz)).unwrap(),
        WitnessStack::from_msgpack(gunzip(&std::fs::read(dir.join("witness.gz")).unwrap()))
            .unwrap(),
    )
}

fn bench(c: &mut Criterion) {
    let Some(bb) = govproof_testkit::installed_bb() else {
        eprintln!("skipped: no bb (set GOVPROOF_BB or run `govproof setup`)");
        return;
    };
    let (circuit, witness) = fixture("poseidon_chain");
    let target = ProofTarget::NoirRecursive;
    let cache = tempfile::tempdir().unwrap();
    let setup = dangerous::development_setup(cache.path()).unwrap();

    // Grow the CRS and fill the key cache once, outside the measurements.
    let mut warm = Prover::new(&bb, &setup, cache.path()).unwrap();
    let proof = warm.prove(&circuit, &witness, target).unwrap();
    let vk = warm.verification_key(&circuit, target).unwrap();

    let mut group = c.benchmark_group("poseidon_chain_21k_gates");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));

    group.bench_function("cold_prove_new_bb_process", |b| {
        b.iter(|| {
            let mut prover = Prover::new(&bb, &setup, cache.path()).unwrap();
            prover.prove(&circuit, &witness, target).unwrap()
        })
    });

    group.bench_function("warm_prove_reused_bb_process", |b| {
        b.iter(|| warm.prove(&circuit, &witness, target).unwrap())
    });

    let work = tempfile::tempdir().unwrap();
    let mut verifier =
        Verifier::new(&bb, work.path(), dangerous::accept_development_proofs()).unwrap();
    verifier.verify(&vk, &proof).unwrap();
    group.bench_function("verify_warm", |b| {
        b.iter(|| verifier.verify(&vk, &proof).unwrap())
    });

    group.bench_function("vk_cache_hit", |b| {
        b.iter(|| warm.verification_key(&circuit, target).unwrap())
    });

    let cached = warm.vk_cache_path(&circuit, target);
    group.bench_function("vk_cache_miss_bb_computes", |b| {
        b.iter_batched(
            || std::fs::remove_file(&cached).unwrap(),
            |_| warm.verification_key(&circuit, target).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
