#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may fail loudly
//! Agreement with bb 5.0.0 without bb: for every CI vector in `tests/vectors/` (valid proofs of
//! three circuits and both targets, and tampered cases derived from them), this crate gives the
//! verdict bb gave. The vectors are a sample of the cases the root crate's generator asks bb about
//! (`AGREEMENT_WRITE_VECTORS=1 cargo bench --bench verifier_agreement` rewrites them).

mod agreement_cases;
#[path = "agreement_cases/rust.rs"]
mod rust_verdict;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use agreement_cases::{Mutation, Target, Vectors, Verdict};
use govproof_verify::G2Point;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn vectors() -> Vectors {
    Vectors::read(&vectors_dir()).unwrap()
}

#[test]
fn every_vector_gets_the_verdict_bb_gave() {
    let v = vectors();
    let g2 = G2Point::from_bytes(&v.g2).unwrap();
    let known: BTreeSet<&str> = v.disagreements.iter().map(String::as_str).collect();
    let mut disagreements = Vec::new();
    let mut still_known = BTreeSet::new();
    let mut counts: BTreeMap<(&str, Verdict), usize> = BTreeMap::new();
    for case in &v.cases {
        let base = v
            .base(&case.base)
            .unwrap_or_else(|| panic!("case `{case}` names no base"));
        let instance = case
            .mutation
            .apply(base, &v.bases)
            .unwrap_or_else(|| panic!("case `{case}` does not fit its base"));
        let (verdict, why) = rust_verdict::verdict(&instance, &g2);
        *counts.entry((case.mutation.kind(), verdict)).or_default() += 1;
        if verdict == case.verdict {
            continue;
        }
        // The verdict must be bb's, except for the cases listed in `disagreements.txt` with
        // the verdict given there; and even those never accept a tampered proof or refuse a
        // valid one.
        let line = format!("{} {} {verdict}", case.base, case.mutation);
        let listable = verdict != Verdict::Verified && case.mutation != Mutation::Valid;
        if listable && known.contains(line.as_str()) {
            still_known.insert(line);
            continue;
        }
        disagreements.push(format!("{case}: this crate says {verdict} ({why})"));
    }
    eprintln!(
        "{} vectors; per kind and verdict: {counts:?}",
        v.cases.len()
    );
    eprintln!(
        "{} known disagreements on the kind of \"no\" (disagreements.txt)",
        still_known.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} vectors disagree with bb:\n{}",
        disagreements.len(),
        v.cases.len(),
        disagreements.join("\n")
    );
    let resolved: Vec<&&str> = known
        .iter()
        .filter(|k| !still_known.contains(**k))
        .collect();
    assert!(
        resolved.is_empty(),
        "these lines of disagreements.txt no longer hold (the case now agrees with bb): delete \
         them\n{resolved:#?}"
    );
}

#[test]
fn the_vectors_cover_three_circuits_both_targets_every_kind_and_every_verdict() {
    let v = vectors();
    assert!(v.cases.len() >= 1_000, "{} vectors", v.cases.len());
    let circuits: BTreeSet<&str> = v.bases.iter().map(|b| b.circuit.as_str()).collect();
    assert!(circuits.len() >= 3, "{circuits:?}");
    let targets: BTreeSet<Target> = v.bases.iter().map(|b| b.target).collect();
    assert_eq!(targets.len(), 2);
    let verdicts: BTreeSet<Verdict> = v.cases.iter().map(|c| c.verdict).collect();
    assert_eq!(verdicts.len(), 3, "{verdicts:?}");
    let kinds: BTreeSet<&str> = v.cases.iter().map(|c| c.mutation.kind()).collect();
    for kind in [
        "valid",
        "proof-flip",
        "proof-increment",
        "proof-set",
        "point-identity",
        "point-off-curve",
        "truncate",
        "extend",
        "truncate-bytes",
        "public-input-increment",
        "public-input-set",
        "public-input-drop",
        "public-input-extra",
        "key-flip",
        "key-increment",
        "key-set",
        "key-point-identity",
        "key-point-off-curve",
        "other-key",
    ] {
        assert!(kinds.contains(kind), "no `{kind}` vector");
    }
    // Every valid proof verifies, and each tampered case really changes its base.
    for case in &v.cases {
        let base = v.base(&case.base).unwrap();
        let tampered = case.mutation.apply(base, &v.bases).unwrap();
        let original = Mutation::Valid.apply(base, &v.bases).unwrap();
        if case.mutation == Mutation::Valid {
            assert_eq!(case.verdict, Verdict::Verified, "{case}");
        } else {
            assert_ne!(tampered, original, "{case} changes nothing");
        }
    }
}

#[test]
fn the_vectors_stay_small() {
    fn size(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    size(&e.path())
                } else {
                    e.metadata().unwrap().len()
                }
            })
            .sum()
    }
    let bytes = size(&vectors_dir());
    assert!(bytes < 1_000_000, "the vectors take {bytes} bytes");
}
