//! Verification speed: one proof warm (key parsed once, as a verifier that checks many bundles
//! holds it), for both targets, and batch throughput.
//!
//! Run: `cargo bench -p govproof-verify --bench verify`.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use govproof_verify::{verify, verify_batch, G2Point, Target, VerificationKey};

struct Fixture {
    key: VerificationKey,
    key_bytes: Vec<u8>,
    proof: Vec<u8>,
    public_inputs: Vec<[u8; 32]>,
}

fn fixture(target: Target) -> Fixture {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/square_small")
        .join(target.name());
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    let key_bytes = read("vk");
    Fixture {
        key: VerificationKey::from_bytes(target, &key_bytes).unwrap(),
        key_bytes,
        proof: read("proof"),
        public_inputs: read("public_inputs")
            .chunks(32)
            .map(|c| c.try_into().unwrap())
            .collect(),
    }
}

fn one_proof(c: &mut Criterion) {
    let g2 = G2Point::ignition();
    let mut group = c.benchmark_group("verify");
    for target in [Target::NoirRecursive, Target::Evm] {
        let f = fixture(target);
        group.bench_function(BenchmarkId::new("warm", target.name()), |b| {
            b.iter(|| verify(&f.key, &f.proof, &f.public_inputs, &g2).unwrap())
        });
        group.bench_function(BenchmarkId::new("with_key_parse", target.name()), |b| {
            b.iter(|| {
                let key = VerificationKey::from_bytes(target, &f.key_bytes).unwrap();
                verify(&key, &f.proof, &f.public_inputs, &g2).unwrap()
            })
        });
    }
    group.finish();
}

fn batch(c: &mut Criterion) {
    let g2 = G2Point::ignition();
    let f = fixture(Target::NoirRecursive);
    let mut group = c.benchmark_group("verify_batch");
    group.sample_size(10);
    for n in [64usize, 256] {
        let items: Vec<_> = (0..n)
            .map(|_| (&f.key, f.proof.as_slice(), f.public_inputs.as_slice()))
            .collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("noir-recursive", n), |b| {
            b.iter(|| verify_batch(&items, &g2, [9u8; 32]).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, one_proof, batch);
criterion_main!(benches);
