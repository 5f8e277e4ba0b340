//! Registry costs at 10,000 entries: building a snapshot (leaves + Merkle root), extracting a
//! membership path, signing, verifying a snapshot's signatures, and verifying the whole folder
//! (reading and hashing every entry). Also prints the sizes of the documents.
//!
//! Run with `cargo bench --bench registry`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, Criterion};
use govproof::field::Field;
use govproof::registry::document::{Signed, SignedContent};
use govproof::registry::entry::{Digest, EntryDraft};
use govproof::registry::names::{ModelId, ModelVersion, Note, ProfileName};
use govproof::registry::{
    Entry, EntrySet, RegistryDir, RootKey, SecretKey, Snapshot, Status, TimeSpan, Timestamp,
    TrustState, Version,
};

const ENTRIES: usize = 10_000;

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn key(i: u8) -> SecretKey {
    govproof_testkit::seeded_key(i)
}

fn entries() -> Vec<Entry> {
    (0..ENTRIES as u64)
        .map(|i| {
            Entry::new(EntryDraft {
                model_id: ModelId::new(&format!("model-{:04}", i / 4)).unwrap(),
                version: ModelVersion::new(&format!("1.{}.0", i % 4)).unwrap(),
                weights_commitment: Field::from(i),
                model_digest: Digest::from_bytes(*blake3::hash(&i.to_be_bytes()).as_bytes()),
                profile: ProfileName::new("small").unwrap(),
                scope_capacity: 4,
                fixed_point_scale: 65_536,
                scopes: vec![
                    "consumer-credit/EU-DE/personal-loan".parse().unwrap(),
                    "consumer-credit/EU-AT/personal-loan".parse().unwrap(),
                ],
                valid_from: t("2025-01-01T00:00:00Z"),
                valid_until: t("2027-01-01T00:00:00Z"),
                status: Status::Approved,
                approved_by: Note::new("Model Risk Committee, minute 2024-12").unwrap(),
                approved_at: t("2024-12-15T10:00:00Z"),
                quantization_certificate: None,
                circuit: None,
            })
            .unwrap()
        })
        .collect()
}

/// A published 10,000-entry registry (keys 1..=3, 2 must sign) in `dir`.
fn published(dir: &Path, all: Vec<Entry>) -> RegistryDir {
    let now = t("2025-01-01T00:00:00Z");
    let year = TimeSpan::days(365).unwrap();
    let keys = (1..=3)
        .map(|i| RootKey::new(key(i).public_key(), None))
        .collect();
    let (reg, _) = RegistryDir::init(dir, keys, 2, year, year, now).unwrap();
    reg.sign(&key(1)).unwrap();
    reg.sign(&key(2)).unwrap();
    reg.add_many(all, year, now).unwrap();
    reg.sign(&key(1)).unwrap();
    assert!(reg.sign(&key(2)).unwrap().published);
    reg
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().len()
}

fn report_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = published(tmp.path(), entries());
    let d = reg.path();
    let entry_bytes: u64 = std::fs::read_dir(d.join("entries"))
        .unwrap()
        .map(|e| size(&e.unwrap().path()))
        .sum();
    println!("registry of {ENTRIES} entries (2 of 3 signatures):");
    println!(
        "  signed snapshot (snapshots/2.json): {} bytes",
        size(&d.join("snapshots/2.json"))
    );
    println!("  snapshot signing bytes: {} bytes", {
        let s: Signed<Snapshot> =
            serde_json::from_slice(&std::fs::read(d.join("snapshots/2.json")).unwrap()).unwrap();
        s.signed.signing_bytes().len()
    });
    println!(
        "  manifest (manifests/2.json): {} bytes",
        size(&d.join("manifests/2.json"))
    );
    println!(
        "  entry files: {entry_bytes} bytes in total, {} bytes on average",
        entry_bytes / ENTRIES as u64
    );
    println!(
        "  root (root/1.json): {} bytes",
        size(&d.join("root/1.json"))
    );
}

fn bench(c: &mut Criterion) {
    let all = entries();
    let set = EntrySet::new(all.clone()).unwrap();
    let now = t("2025-01-01T00:00:00Z");
    let expires = t("2026-01-01T00:00:00Z");

    let mut g = c.benchmark_group("registry-10k");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("one poseidon2 permutation", |b| {
        let state = [
            Field::from(1u64),
            Field::from(2u64),
            Field::from(3u64),
            Field::from(4u64),
        ];
        b.iter(|| black_box(govproof::hash::poseidon2_permutation(black_box(state))))
    });
    let one = set.entries()[0].clone();
    g.bench_function("one entry's meta digest", |b| {
        b.iter(|| black_box(one.meta_digest()))
    });
    g.bench_function("one entry's leaf hash", |b| {
        b.iter(|| black_box(one.leaf().hash()))
    });
    g.bench_function("leaf hashes", |b| b.iter(|| black_box(set.leaves())));
    g.bench_function("snapshot build (sort, leaves, merkle root)", |b| {
        b.iter(|| {
            let set = EntrySet::new(black_box(all.clone())).unwrap();
            black_box(Snapshot::of(Version::FIRST, &set, now, expires).unwrap())
        })
    });

    let tree = set.tree();
    g.bench_function("merkle path of one entry", |b| {
        b.iter(|| black_box(tree.path(black_box(6_789)).unwrap()))
    });

    let snapshot = Snapshot::of(Version::FIRST, &set, now, expires).unwrap();
    g.bench_function("sign snapshot (one key)", |b| {
        b.iter(|| {
            let mut s = Signed::unsigned(snapshot.clone());
            s.sign_with(&key(1));
            black_box(s)
        })
    });
    g.finish();

    let tmp = tempfile::tempdir().unwrap();
    let reg = published(tmp.path(), all);
    let trust = TrustState::bootstrap(reg.read_root(Version::FIRST).unwrap()).unwrap();
    let signed: Signed<Snapshot> =
        serde_json::from_slice(&std::fs::read(tmp.path().join("snapshots/2.json")).unwrap())
            .unwrap();
    let at = t("2025-06-01T00:00:00Z");
    let mut g = c.benchmark_group("registry-10k-verify");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("verify snapshot signatures (2 of 3)", |b| {
        b.iter(|| black_box(trust.check_snapshot(&signed, at).unwrap()))
    });
    g.bench_function(
        "verify folder (root chain, snapshot, 10k entry files, merkle root)",
        |b| b.iter(|| black_box(reg.verify(&trust, at).unwrap())),
    );
    let (verified, _) = reg.verify(&trust, at).unwrap();
    let (m, v) = (
        ModelId::new("model-1234").unwrap(),
        ModelVersion::new("1.2.0").unwrap(),
    );
    g.bench_function("membership proof from a verified registry", |b| {
        b.iter(|| black_box(verified.membership(&m, &v).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    report_sizes();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
