//! Where the time of one `noir-recursive` verification goes, stage by stage: the parse of the
//! proof, one Poseidon2 permutation (the transcript takes about 190 of them: 458 proof fields and
//! the public inputs at rate 3, plus one per challenge), the MSM of Shplemini's 67 points and the
//! two-pair pairing, each measured on inputs of the verifier's own shapes; and the whole
//! verification beside them for the sum. Where the CPU has AVX-512 IFMA, also eight permutations
//! at once (`poseidon2_permutation_x8`), as batches hash their transcripts.
//!
//! Run: `cargo bench -p govproof-verify --bench stages` (`GOVPROOF_BENCH_CLOCK=cpu` for CPU time
//! on a loaded machine).

#![allow(clippy::unwrap_used)]

use std::path::Path;

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::UniformRand;
use ark_std::rand::SeedableRng;
use criterion::{criterion_group, criterion_main, Criterion};

#[path = "support/clock.rs"]
mod clock;
use clock::Clock;
use govproof_verify::hash::{poseidon2_hash, poseidon2_permutation};
use govproof_verify::{verify, G2Point, Proof, Target, VerificationKey};

fn read(target: Target, file: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/square_small")
        .join(target.name());
    std::fs::read(dir.join(file)).unwrap()
}

fn stages(c: &mut Criterion<Clock>) {
    let target = Target::NoirRecursive;
    let key = VerificationKey::from_bytes(target, &read(target, "vk")).unwrap();
    let proof = read(target, "proof");
    let public_inputs: Vec<[u8; 32]> = read(target, "public_inputs")
        .chunks(32)
        .map(|c| c.try_into().unwrap())
        .collect();
    let g2 = G2Point::ignition();
    let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(13);

    let mut group = c.benchmark_group("stages");
    group.bench_function("verify", |b| {
        b.iter(|| verify(&key, &proof, &public_inputs, &g2).unwrap())
    });
    group.bench_function("parse", |b| {
        b.iter(|| Proof::from_bytes(target, &proof, key.log_circuit_size()).unwrap())
    });
    let state = [0, 1, 2, 3].map(|_| Fr::rand(&mut rng));
    group.bench_function("poseidon2_permutation", |b| {
        b.iter(|| poseidon2_permutation(std::hint::black_box(state)))
    });
    // Eight lanes at once (AVX-512 IFMA), where the CPU has it: one iteration is eight
    // permutations, so divide by eight to compare with the one above.
    #[cfg(target_arch = "x86_64")]
    {
        let states = [state; 8];
        if govproof_verify::hash::poseidon2_permutation_x8(states).is_some() {
            group.bench_function("poseidon2_permutation_x8", |b| {
                b.iter(|| {
                    govproof_verify::hash::poseidon2_permutation_x8(std::hint::black_box(states))
                })
            });
        }
    }
    // The transcript's absorption in one sponge call of the proof's length (a lower bound of the
    // transcript: the real one also hashes each challenge into the next round).
    let fields: Vec<Fr> = (0..470).map(|_| Fr::rand(&mut rng)).collect();
    group.bench_function("poseidon2_hash_470_fields", |b| {
        b.iter(|| poseidon2_hash(std::hint::black_box(&fields)))
    });
    let bases: Vec<G1Affine> = (0..67)
        .map(|_| G1Projective::rand(&mut rng).into_affine())
        .collect();
    let scalars: Vec<Fr> = (0..67).map(|_| Fr::rand(&mut rng)).collect();
    group.bench_function("msm_67_points", |b| {
        b.iter(|| G1Projective::msm_unchecked(&bases, &scalars))
    });
    let p0 = G1Projective::rand(&mut rng).into_affine();
    let w = G1Projective::rand(&mut rng).into_affine();
    let prepared: [<Bn254 as Pairing>::G2Prepared; 2] = [
        G2Affine::generator().into(),
        G2Affine::from(ark_bn254::G2Projective::rand(&mut rng)).into(),
    ];
    group.bench_function("pairing_2_pairs", |b| {
        b.iter(|| {
            let ml = Bn254::multi_miller_loop([p0, -w], prepared.clone());
            Bn254::final_exponentiation(ml)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = clock::criterion();
    targets = stages
}
criterion_main!(benches);
