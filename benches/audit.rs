#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may fail loudly
//! Issue 16's audit target: 1,000 audit rows proved with the reference model
//! (`mlp-24x16-d20-b8-s16-p8-m4`) through `govproof::audit::prove` on the warm prover pool (one
//! worker per core), in at most 5 minutes on the 2-core machine, and the audit file verified by
//! `govproof::audit::verify` (the head bundle's checks, every batch proof, inputs opened against
//! the request, the figures recomputed) in at most 10 s. The reference profile has a pinned
//! audit batch circuit, so the first row is a bundle and the others are proved six to a proof.
//!
//! Run: `cargo bench --bench audit` (about three minutes; `GOVPROOF_AUDIT_ROWS` sets the rows,
//! default 1,000). Needs bb (`GOVPROOF_BB` or the toolchain). Proofs use the development setup (the
//! reference circuit needs 2^14 points; bb does the same work whatever the points are). One timed
//! pass each, not criterion: the numbers wanted are one long run's wall times.
//!
//! The lender is the demonstration deployment (`govproof demo`'s policy, reference model and
//! registry); the request holds applicants with features drawn inside the policy's ranges, a
//! label, two groups and 10 counterfactual pairs (a row repeated), all written as CSV.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use govproof::audit::{self, AuditCheck, Request};
use govproof::bundle::VerifyOptions;
use govproof::decide::{ContextOptions, DecisionContext, DecisionParts};
use govproof::prover::pool::PoolConfig;
use govproof::registry::{Timestamp, TrustState};
use govproof::setup::dangerous;

fn main() {
    let Some(bb) = govproof_testkit::bb() else {
        eprintln!("skipped: no bb");
        return;
    };
    let rows: usize = std::env::var("GOVPROOF_AUDIT_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
        .max(20);
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-decision-bench");
    let setup = dangerous::development_setup(&cache).unwrap();
    let now = Timestamp::now();
    let dir = tempfile::tempdir().unwrap();
    let lender = govproof_testkit::demo_lender(dir.path(), now).unwrap();
    let context = DecisionContext::with_options(
        DecisionParts {
            registry: lender.trusted.clone(),
            policy: lender.policy.clone(),
            model: lender.model.clone(),
            setup,
        },
        ContextOptions {
            bb: Some(bb),
            cache_dir: Some(cache.join("vk")),
            ..ContextOptions::default()
        },
    )
    .unwrap();

    // The request: features inside the ranges (splitmix64), a label, a group, 10 pairs.
    let policy = &lender.policy;
    let mut state = 16u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    };
    let mut csv = String::new();
    for f in policy.features() {
        let _ = write!(csv, "{},", f.name.as_str());
    }
    csv.push_str("good,group,pair\n");
    let mut previous = String::new();
    for r in 1..=rows {
        let pair = if r % 100 == 0 {
            format!("p{r}")
        } else {
            String::new()
        };
        let features = if r % 100 == 0 {
            previous.clone()
        } else {
            policy
                .features()
                .iter()
                .map(|f| format!("{}", (f.min + next() * (f.max - f.min)).round()))
                .collect::<Vec<_>>()
                .join(",")
        };
        let good = u8::from(next() < 0.7);
        let group = if next() < 0.5 { "a" } else { "b" };
        let _ = writeln!(csv, "{features},{good},{group},{pair}");
        if r % 100 == 99 {
            previous = features;
        }
    }
    // Row 99 and row 100 share features: pair them (`p100` marks both).
    let csv = csv
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i > 0 && i % 100 == 99 {
                format!("{line}p{}", i + 1)
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path().join("rows.csv"), format!("{csv}\n")).unwrap();
    let request_path = dir.path().join("request.toml");
    std::fs::write(
        &request_path,
        format!(
            "data = \"rows.csv\"\nnonce = \"{}\"\ntime = \"{}\"\nscope = \"{}\"\nlabel = \"good\"\n\
             groups = [\"group\"]\npair = \"pair\"\n",
            "5e".repeat(16),
            now.to_rfc3339(),
            policy.scopes()[0]
        ),
    )
    .unwrap();
    let request = Request::read(&request_path).unwrap();

    let pool = context.pool(PoolConfig::new()).unwrap();
    let workers = pool.config().worker_count().get();
    let out = dir.path().join("audit.json");
    let started = Instant::now();
    let mut last = 0;
    let proved = audit::prove(&context, &request, &pool, workers, &out, &mut |p| {
        if p.done >= last + 100 || p.done == p.total {
            last = p.done;
            eprintln!(
                "  {}/{} rows, {:.1} s",
                p.done,
                p.total,
                started.elapsed().as_secs_f64()
            );
        }
    })
    .unwrap();
    let prove_time = started.elapsed();
    assert!(
        proved.refused.is_empty(),
        "refused rows: {:?}",
        proved.refused
    );
    let size = std::fs::metadata(&out).unwrap().len();

    let started = Instant::now();
    let file = audit::AuditFile::read(&out).unwrap();
    let check = AuditCheck {
        verify: VerifyOptions {
            trust: TrustState::bootstrap(lender.root.clone()).unwrap(),
            policy: None,
            acceptance: dangerous::accept_development_proofs(),
            bb: None,
            work_dir: dir.path().join("verifier"),
            ignition_crs: None,
        },
        stated_accuracy: None,
    };
    let report = audit::verify(&request, policy, &file, &check);
    let verify_time = started.elapsed();
    assert!(report.findings.is_empty(), "{}", report.render_text());

    println!(
        "## audit bench ({rows} rows, reference profile, development setup, {workers} provers)\n"
    );
    println!("| measure | result | target |");
    println!("| --- | --- | --- |");
    println!(
        "| prove {rows} rows (`audit::prove`, pool of {workers}) | {:.1} s ({:.0} ms a row) | <= 300 s for 1,000 |",
        prove_time.as_secs_f64(),
        prove_time.as_secs_f64() * 1e3 / rows as f64
    );
    println!(
        "| verify the audit file (read, every check, batch proofs, figures) | {:.2} s | <= 10 s for 1,000 |",
        verify_time.as_secs_f64()
    );
    println!(
        "| proofs | {} bundle(s) and {} batch proofs | |",
        file.decisions.iter().filter(|d| d.bundle.is_some()).count(),
        file.batches.len()
    );
    println!(
        "| audit file | {:.1} MB ({:.1} KB a row) | |",
        size as f64 / 1e6,
        size as f64 / 1e3 / rows as f64
    );
}
