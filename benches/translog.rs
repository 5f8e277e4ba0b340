//! Transparency log costs at one million entries: appending a leaf (a compact-range push), the
//! root, an inclusion and a consistency proof from the held tree, verifying each, signing and
//! checking a checkpoint, and hashing an entry. Also prints the proof sizes and the tree's memory.
//!
//! Run with `cargo bench --bench translog`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use govproof::translog::{
    leaf_hash, verify_consistency, verify_inclusion, Checkpoint, LogEntry, SignedCheckpoint,
    SigningKey, Tree,
};
use govproof::Timestamp;

const ENTRIES: u64 = 1_000_000;

fn bench(c: &mut Criterion) {
    let leaves: Vec<_> = (0..ENTRIES).map(|i| leaf_hash(&i.to_le_bytes())).collect();
    let started = Instant::now();
    let tree = Tree::from_leaves(leaves);
    let built = started.elapsed();
    let index = ENTRIES / 3;
    let old = ENTRIES - 12_345;
    let root = tree.root();
    let inclusion = tree.inclusion_proof(index, ENTRIES).unwrap();
    let consistency = tree.consistency_proof(old, ENTRIES).unwrap();
    let old_root = tree.root_at(old).unwrap();
    println!(
        "{ENTRIES} entries: tree built in {:.2} s ({:.0} ns per push), about {} MB held; inclusion proof {} hashes ({} bytes), consistency proof {} hashes",
        built.as_secs_f64(),
        built.as_nanos() as f64 / ENTRIES as f64,
        ENTRIES * 64 / 1_000_000,
        inclusion.len(),
        inclusion.len() * 32,
        consistency.len()
    );

    let mut g = c.benchmark_group("translog");
    g.measurement_time(Duration::from_secs(5));
    // Pushes into one growing tree: the cost per append, amortized over the vectors' growth.
    let mut growing = tree.clone();
    g.bench_function("push one leaf from 1M on", |b| {
        b.iter(|| black_box(growing.push(black_box([7; 32]))))
    });
    g.bench_function("root at 1M", |b| b.iter(|| black_box(tree.root())));
    g.bench_function("inclusion proof at 1M", |b| {
        b.iter(|| black_box(tree.inclusion_proof(black_box(index), ENTRIES).unwrap()))
    });
    g.bench_function("consistency proof at 1M", |b| {
        b.iter(|| black_box(tree.consistency_proof(black_box(old), ENTRIES).unwrap()))
    });
    let leaf = tree.leaf(index).unwrap();
    g.bench_function("verify inclusion at 1M", |b| {
        b.iter(|| verify_inclusion(&leaf, index, ENTRIES, black_box(&inclusion), &root).unwrap())
    });
    g.bench_function("verify consistency at 1M", |b| {
        b.iter(|| {
            verify_consistency(old, ENTRIES, &old_root, &root, black_box(&consistency)).unwrap()
        })
    });
    let key = SigningKey::from_bytes(&[1; 32]);
    let checkpoint = Checkpoint {
        origin: "lender.example/credit-decisions".to_string(),
        size: ENTRIES,
        root,
        time: Timestamp::parse("2026-04-15T09:50:00Z").unwrap(),
    };
    g.bench_function("sign a checkpoint", |b| {
        b.iter(|| {
            black_box(
                checkpoint
                    .sign(&key, "lender.example/credit-decisions")
                    .to_note(),
            )
        })
    });
    let note = checkpoint
        .sign(&key, "lender.example/credit-decisions")
        .to_note();
    let vk = key.verifying_key();
    g.bench_function("parse and verify a checkpoint", |b| {
        b.iter(|| {
            SignedCheckpoint::parse(black_box(&note))
                .unwrap()
                .verify(&vk)
                .unwrap()
        })
    });
    let entry = LogEntry {
        decision_id: "APP-2026-000042".to_string(),
        bundle_digest: [9; 32],
        decided_at: Timestamp::parse("2026-04-15T09:30:00Z").unwrap(),
        logged_at: Timestamp::parse("2026-04-15T09:30:01Z").unwrap(),
    };
    g.bench_function("hash an entry", |b| b.iter(|| black_box(entry.leaf_hash())));
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
