#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may fail loudly
//! Bundle costs with the development setup, on the reference score-band circuit
//! (`mlp-24x16-d20-b8-s16-p8-m4`): reading a bundle, verifying it with a warm verifier (all
//! checks, bb included), and proving a decision with a warm prover (native checks, witness, proof).
//!
//! Needs bb: `GOVPROOF_BB`, else the installed toolchain; prints why and measures nothing
//! without it. Run: `cargo bench --bench bundle`.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use govproof::bundle::{Bundle, BundleVerifier, DecisionId, Verdict, VerifyOptions};
use govproof::decide::{ContextOptions, DecisionContext, DecisionParts};
use govproof::demo::demo_application;
use govproof::registry::{Root, Signed, Timestamp, TrustState};
use govproof::setup::dangerous;

fn bench(c: &mut Criterion) {
    let Some(bb) = govproof_testkit::installed_bb() else {
        eprintln!("no bb (set GOVPROOF_BB or run `govproof setup`): nothing measured");
        return;
    };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bundles");
    let bytes = std::fs::read(fixtures.join("valid/band/bundle.json")).unwrap();
    let root: Signed<Root> =
        serde_json::from_slice(&std::fs::read(fixtures.join("trust/root.json")).unwrap()).unwrap();
    let work = tempfile::tempdir().unwrap();

    let mut group = c.benchmark_group("bundle");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("read", |b| b.iter(|| Bundle::from_json(&bytes).unwrap()));

    // With the fixture's policy, so that every check runs (the policy's included).
    let policy_text =
        std::fs::read_to_string(fixtures.join("policies/eu-consumer-credit.toml")).unwrap();
    let source = govproof::policy::SourceFile::new("eu-consumer-credit.toml", policy_text);
    let policy = govproof::policy::check(&source, &govproof::policy::CheckOptions::default())
        .policy
        .unwrap();
    let mut verifier = BundleVerifier::new(VerifyOptions {
        trust: TrustState::bootstrap(root).unwrap(),
        policy: Some(policy),
        acceptance: dangerous::accept_development_proofs(),
        bb: Some(bb.clone()),
        work_dir: work.path().join("verifier"),
        ignition_crs: None,
    });
    assert_eq!(
        verifier.verify(&bytes).verdict(),
        Verdict::ValidDevelopmentSetup
    );
    group.bench_function("verify (warm, every check)", |b| {
        b.iter(|| {
            assert_eq!(
                verifier.verify(&bytes).verdict(),
                Verdict::ValidDevelopmentSetup
            )
        })
    });

    let now = Timestamp::now();
    let govproof_testkit::DemoLender {
        policy,
        model,
        trusted,
        ..
    } = govproof_testkit::demo_lender(work.path(), now).expect("the demonstration lender");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-bench-bundle");
    let context = DecisionContext::with_options(
        DecisionParts {
            registry: trusted,
            policy: policy.clone(),
            model,
            setup: dangerous::development_setup(&cache).unwrap(),
        },
        ContextOptions {
            bb: Some(bb),
            cache_dir: Some(cache.join("vk")),
            ..ContextOptions::default()
        },
    )
    .unwrap();
    let mut prover = context.prover().unwrap();
    let mut application = demo_application(&policy, now).unwrap();
    application.decision_id = DecisionId::new("bench").unwrap();
    let mut decide = move || {
        context
            .decide(&application, &mut prover)
            .unwrap()
            .proved()
            .unwrap()
    };
    decide();
    group.sample_size(20);
    group.bench_function("prove (warm prover)", |b| b.iter(&mut decide));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
