#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may fail loudly
//! A portfolio of bundles verified one by one (`BundleVerifier::verify`, one full UltraHonk
//! verification each) against the same bundles verified together (`BundleVerifier::verify_many`:
//! every check per bundle, the proofs' KZG claims combined into one pairing). The bundles are
//! the band and gate fixtures (development setup), 128 of them alternating, every check run,
//! the policies' included. Needs no bb. Run: `cargo bench --bench portfolio`.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use govproof::bundle::portfolio::{GivenPolicy, PolicySet};
use govproof::bundle::{BundleVerifier, Verdict, VerifyOptions};
use govproof::registry::{Root, Signed, TrustState};
use govproof::setup::dangerous;

const BUNDLES: usize = 128;

fn policy(fixtures: &Path, name: &str) -> GivenPolicy {
    let text = std::fs::read_to_string(fixtures.join(format!("policies/{name}.toml"))).unwrap();
    let source = govproof::policy::SourceFile::new(name, text);
    GivenPolicy {
        file: name.to_string(),
        policy: govproof::policy::check(&source, &govproof::policy::CheckOptions::default())
            .policy
            .unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bundles");
    let band = std::fs::read(fixtures.join("valid/band/bundle.json")).unwrap();
    let gate = std::fs::read(fixtures.join("valid/gate-with-policy/bundle.json")).unwrap();
    let docs: Vec<&[u8]> = (0..BUNDLES)
        .map(|i| if i % 2 == 0 { &band[..] } else { &gate[..] })
        .collect();
    let root: Signed<Root> =
        serde_json::from_slice(&std::fs::read(fixtures.join("trust/root.json")).unwrap()).unwrap();
    let policies = PolicySet::new(vec![
        policy(&fixtures, "eu-consumer-credit"),
        policy(&fixtures, "card-fraud-gate"),
    ]);
    let work = tempfile::tempdir().unwrap();
    let mut verifier = BundleVerifier::new(VerifyOptions {
        trust: TrustState::bootstrap(root).unwrap(),
        policy: None,
        acceptance: dangerous::accept_development_proofs(),
        bb: None,
        work_dir: work.path().join("verifier"),
        ignition_crs: None,
    });
    let mut pick = |bytes: &[u8]| policies.for_document(bytes);
    for r in verifier.verify_many(&docs, Some(&mut pick)) {
        assert_eq!(r.verdict(), Verdict::ValidDevelopmentSetup);
        assert!(r.policy_checked());
    }

    let mut group = c.benchmark_group("portfolio");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(format!("{BUNDLES} bundles, one by one"), |b| {
        b.iter(|| {
            for d in &docs {
                verifier.set_policy(policies.for_document(d));
                assert!(verifier.verify(d).verdict().proof_holds());
            }
        })
    });
    group.bench_function(format!("{BUNDLES} bundles, batch pairing"), |b| {
        b.iter(|| {
            let mut pick = |bytes: &[u8]| policies.for_document(bytes);
            let reports = verifier.verify_many(&docs, Some(&mut pick));
            assert!(reports.iter().all(|r| r.verdict().proof_holds()));
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
