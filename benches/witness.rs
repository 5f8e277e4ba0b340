//! Witness generation time for a circuit of about 20k UltraHonk gates (150 Poseidon2
//! permutations with range checks and truncations; `bb gates` reports 20,298), from encoded
//! inputs to the serialized witness stack, plus the encoding step alone.

// Bench code: a panic with its message is how a broken fixture reports itself.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use govproof::abi::Inputs;
use govproof::artifact::Artifact;
use govproof::witness;

fn fixture() -> (Artifact, Inputs) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/witness");
    let artifact = Artifact::load(&data.join("circuits/poseidon_loop/poseidon_loop.json")).unwrap();
    let toml =
        std::fs::read_to_string(data.join("execution_success/poseidon_loop_20k_gates/Prover.toml"))
            .unwrap();
    let inputs = Inputs::from_toml(artifact.abi(), &toml).unwrap();
    (artifact, inputs)
}

fn bench(c: &mut Criterion) {
    let (artifact, inputs) = fixture();
    let mut group = c.benchmark_group("witness");
    group.sample_size(30);
    group.bench_function("poseidon_loop_20k_gates/execute", |b| {
        b.iter(|| witness::execute(&artifact, &inputs).unwrap())
    });
    group.bench_function("poseidon_loop_20k_gates/encode_inputs", |b| {
        b.iter(|| artifact.abi().encode(&inputs).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
