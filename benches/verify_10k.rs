#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may fail loudly
//! Issue 14's portfolio target: 10,000 bundles verified in-process, every check (format, setup,
//! circuit pin, registry signatures and trust, policy, public inputs, the proof by
//! `govproof-verify`), in under 15 s on the 2-core machine.
//!
//! The repository holds two distinct proved bundles with their policies (`valid/band`, a score
//! band, and `valid/gate-with-policy`, a yes/no gate, development setup): they are copied to
//! 10,000 files (5,000 each) in a temporary folder, and the files are read and verified 256 at
//! a time with `BundleVerifier::verify_many` (one batch pairing each), as `govproof verify` does
//! over a portfolio, on as many threads as there are cores (each with its own verifiers), every
//! report asserted valid (development setup). One timed pass (no repetition: it is long).
//!
//! Run: `cargo bench --bench verify_10k` (`VERIFY_10K_BUNDLES=n` for another count).

use std::path::Path;
use std::time::Instant;

use govproof::bundle::{BundleVerifier, Verdict, VerifyOptions};
use govproof::registry::{Root, Signed, TrustState};
use govproof::setup::dangerous;

fn policy(path: &Path) -> govproof::policy::Policy {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let source = govproof::policy::SourceFile::new(&name, text);
    govproof::policy::check(&source, &govproof::policy::CheckOptions::default())
        .policy
        .unwrap()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let total: usize = std::env::var("VERIFY_10K_BUNDLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bundles");
    let root: Signed<Root> =
        serde_json::from_slice(&std::fs::read(fixtures.join("trust/root.json")).unwrap()).unwrap();
    let kinds = [
        (
            fixtures.join("valid/band/bundle.json"),
            policy(&fixtures.join("policies/eu-consumer-credit.toml")),
        ),
        (
            fixtures.join("valid/gate-with-policy/bundle.json"),
            policy(&fixtures.join("valid/gate-with-policy/policy.toml")),
        ),
    ];
    let work = tempfile::tempdir().unwrap();
    let files: Vec<(usize, std::path::PathBuf)> = (0..total)
        .map(|i| {
            let kind = i % kinds.len();
            let path = work.path().join(format!("bundle-{i:05}.json"));
            std::fs::copy(&kinds[kind].0, &path).unwrap();
            (kind, path)
        })
        .collect();
    let verifier = |kind: usize, dir: &str| {
        BundleVerifier::new(VerifyOptions {
            trust: TrustState::bootstrap(root.clone()).unwrap(),
            policy: Some(kinds[kind].1.clone()),
            acceptance: dangerous::accept_development_proofs(),
            bb: None,
            work_dir: work.path().join(dir),
            ignition_crs: None,
        })
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let chunk = files.len().div_ceil(threads);

    let start = Instant::now();
    std::thread::scope(|s| {
        for (t, part) in files.chunks(chunk).enumerate() {
            let mut verifiers = [
                verifier(0, &format!("v{t}-0")),
                verifier(1, &format!("v{t}-1")),
            ];
            s.spawn(move || {
                // As `govproof verify` over a portfolio does: bundles read and checked 256 at a
                // time, their proofs with one batch pairing (per kind: one policy per batch).
                for (kind, verifier) in verifiers.iter_mut().enumerate() {
                    let mine: Vec<&std::path::PathBuf> = part
                        .iter()
                        .filter(|(k, _)| *k == kind)
                        .map(|(_, path)| path)
                        .collect();
                    for batch in mine.chunks(256) {
                        let bytes: Vec<Vec<u8>> =
                            batch.iter().map(|p| std::fs::read(p).unwrap()).collect();
                        let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
                        for report in verifier.verify_many(&refs, None) {
                            // Fixtures are development proofs: valid, and never plain `VALID`.
                            assert_eq!(report.verdict(), Verdict::ValidDevelopmentSetup);
                        }
                    }
                }
            });
        }
    });
    let elapsed = start.elapsed();
    println!(
        "verify_10k: {total} bundles, every check, {threads} threads: {:.2} s ({:.0} bundles/s, \
         target 15 s for 10,000)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
}
