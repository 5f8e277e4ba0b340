//! Tree ensembles by their real shape (`circuits/lib/tree_table`, `sdk/src/circuits/tree_table.rs`).
//!
//! - Random node tables (random shapes, thresholds and leaves at the bounds, inputs at the bounds)
//!   compute the same commitment, score and flags in the circuit as in the Rust mirror.
//! - Each tree family imported from ONNX (LightGBM leaf-wise, XGBoost, a scikit-learn random
//!   forest) proves and verifies in its generated composite, and a tampered public input is
//!   rejected; a policy protecting a feature the ensemble splits on is refused by the circuit.
//! - A model whose shape does not fit the profile is refused naming both shapes.

#![allow(clippy::unwrap_used)]

use crate::circuits_support;
use crate::model_circuit::{fixture, score_program, Imported};

use std::fs;
use std::path::Path;

use govproof::abi::{InputValue, Inputs};
use govproof::circuits::fixed::{FEATURE_MAX, FEATURE_MIN, WEIGHT_MAX, WEIGHT_MIN};
use govproof::circuits::tree_table::{self, Split, TableShape};
use govproof::circuits::{Constraint, Features, QuantizedModel};
use govproof::model::calibration::Calibration;
use govproof::model::{import, FeatureSchema, ImportRequest};
use govproof::witness::{execute, WitnessError};

/// A random tree of at most `shape.leaves()` leaves and depth at most `shape.depth()`, as words
/// and leaf values: splits are grown at random leaves (leaf-wise) while the shape allows.
/// One of `choices` half the time, else a value in `[lo, hi]`.
fn pick(rng: &mut circuits_support::Rng, choices: &[i64], lo: i64, hi: i64) -> i64 {
    if rng.chance(50) {
        choices[rng.range(0, choices.len() as i64 - 1) as usize]
    } else {
        rng.range(lo, hi)
    }
}

fn random_tree(
    rng: &mut circuits_support::Rng,
    n: usize,
    shape: TableShape,
) -> (Vec<i64>, Vec<i64>) {
    let internal = shape.internal();
    // Nodes: (feature, threshold, children); a child is `None` while it is a leaf.
    let mut splits: Vec<(usize, i64, [Option<usize>; 2], usize)> = Vec::new();
    // Open leaves: (parent, side, depth).
    let mut open: Vec<(Option<(usize, usize)>, usize)> = vec![(None, 0)];
    let target = rng.range(1, internal as i64) as usize;
    while splits.len() < target {
        let candidates: Vec<usize> = (0..open.len())
            .filter(|&i| open[i].1 < shape.depth())
            .collect();
        if candidates.is_empty() {
            break;
        }
        let i = candidates[rng.range(0, candidates.len() as i64 - 1) as usize];
        let (parent, depth) = open.swap_remove(i);
        let at = splits.len();
        let feature = pick(rng, &[0, n as i64], 0, n as i64) as usize;
        let threshold = pick(rng, &[FEATURE_MIN, FEATURE_MAX, -1, 0], -(1 << 20), 1 << 20);
        splits.push((feature, threshold, [None, None], depth));
        if let Some((p, side)) = parent {
            splits[p].2[side] = Some(at);
        }
        open.push((Some((at, 0)), depth + 1));
        open.push((Some((at, 1)), depth + 1));
    }
    // Leaf codes in the order of the open list.
    let mut leaf_of = std::collections::HashMap::new();
    for (j, (parent, _)) in open.iter().enumerate() {
        if let Some(p) = parent {
            leaf_of.insert(*p, internal + j);
        }
    }
    let cb = shape.code_bits();
    let mut words: Vec<i64> = (0..splits.len())
        .map(|k| {
            let (feature, threshold, children, _) = splits[k];
            let code = |side: usize| children[side].unwrap_or_else(|| leaf_of[&(k, side)]);
            Split {
                feature,
                threshold,
                left: code(0),
                right: code(1),
            }
            .word(cb)
        })
        .collect();
    // Unused slots: anything that decodes (they are never reached).
    while words.len() < internal {
        words.push(
            Split {
                feature: n,
                threshold: 7,
                left: 0,
                right: internal,
            }
            .word(cb),
        );
    }
    let leaves = (0..shape.leaves())
        .map(|_| pick(rng, &[WEIGHT_MIN, WEIGHT_MAX], WEIGHT_MIN, WEIGHT_MAX))
        .collect();
    (words, leaves)
}

#[test]
fn random_tree_tables_at_the_bounds_score_alike_in_the_circuit() {
    circuits_support::bb();
    let (n, shape) = (5, TableShape::new(4, 7, 4).unwrap());
    let mut rng = circuits_support::Rng::new(1515);
    let mut artifact = None;
    for _ in 0..6 {
        let mut words = Vec::new();
        let mut leaves = Vec::new();
        for _ in 0..shape.trees() {
            let (w, l) = random_tree(&mut rng, n, shape);
            words.extend(w);
            leaves.extend(l);
        }
        let flags = tree_table::flags_for(n, shape, &words);
        let mut flat = words;
        flat.extend(leaves);
        flat.push(pick(
            &mut rng,
            &[WEIGHT_MIN, WEIGHT_MAX],
            WEIGHT_MIN,
            WEIGHT_MAX,
        ));
        // Every split feature is flagged; an unused feature may be flagged too.
        flat.extend(flags.iter().map(|&f| f.max(pick(&mut rng, &[0, 1], 0, 1))));
        let model = QuantizedModel::tree_table(n, shape, flat).unwrap();
        let artifact = artifact.get_or_insert_with(|| score_program(&model));
        for _ in 0..4 {
            let x: Vec<i64> = (0..n)
                .map(|_| {
                    pick(
                        &mut rng,
                        &[FEATURE_MIN, FEATURE_MAX, 0, -1, 1],
                        -(1 << 20),
                        1 << 20,
                    )
                })
                .collect();
            let x = Features::new(x).unwrap();
            let inputs = Inputs::new()
                .with("weights", InputValue::array(model.weight_fields()))
                .with("features", InputValue::array(x.to_fields()));
            let out = execute(artifact, &inputs).unwrap().public_inputs().to_vec();
            assert_eq!(out[0], model.commitment());
            assert_eq!(out[1], model.score(&x).unwrap().to_field());
            assert_eq!(&out[2..], model.feature_weight_mass().as_slice());
        }
    }
}

#[test]
fn a_table_deeper_than_its_depth_or_splitting_on_an_unflagged_feature_fails_in_the_circuit() {
    circuits_support::bb();
    // One tree of 3 leaves on 2 features, depth 2: root x0 <= 1 ? (x1 <= 0 ? 10 : 20) : 30.
    let shape = TableShape::new(1, 3, 2).unwrap();
    let cb = shape.code_bits();
    let root = Split {
        feature: 0,
        threshold: 1,
        left: 1,
        right: 4,
    };
    let inner = Split {
        feature: 1,
        threshold: 0,
        left: 2,
        right: 3,
    };
    let flat = vec![root.word(cb), inner.word(cb), 10, 20, 30, 5, 1, 1];
    let model = QuantizedModel::tree_table(2, shape, flat.clone()).unwrap();
    let artifact = score_program(&model);
    let run = |flat: Vec<i64>, x: [i64; 2]| {
        let weights: Vec<_> = flat
            .iter()
            .map(|&w| govproof::field::Field::from_i128(w.into()))
            .collect();
        let inputs = Inputs::new()
            .with("weights", InputValue::array(weights))
            .with(
                "features",
                InputValue::array(Features::new(x.to_vec()).unwrap().to_fields()),
            );
        // Err(true) when an assertion failed.
        execute(&artifact, &inputs)
            .map(|_| ())
            .map_err(|e| matches!(e, WitnessError::AssertionFailed { .. }))
    };
    assert!(run(flat.clone(), [0, 0]).is_ok());
    // Unflagged feature 1 on the path: the circuit refuses (the mirror's check does too).
    let mut unflagged = flat.clone();
    unflagged[7] = 0;
    assert!(QuantizedModel::tree_table(2, shape, unflagged.clone()).is_err());
    assert_eq!(run(unflagged.clone(), [0, 0]), Err(true));
    // Off the path it is never read: x0 = 5 goes right at the root.
    assert!(run(unflagged, [5, 0]).is_ok());
    // A cycle back to the root never reaches a leaf in 2 steps.
    let mut cycle = flat;
    cycle[1] = Split { left: 0, ..inner }.word(cb);
    assert!(QuantizedModel::tree_table(2, shape, cycle.clone()).is_err());
    // The circuit refuses it (the leaf index underflows: a failed constraint, which acvm may
    // report without an assertion message).
    assert!(run(cycle, [0, -1]).is_err());
}

/// Imports a fixture, proves and verifies one calibration row's decision in the generated
/// composite (tampering the decision id must be rejected), and checks that protecting a feature
/// the ensemble splits on is refused by the circuit.
fn proves_and_refuses_a_protected_split(name: &str, profile_prefix: &str) {
    circuits_support::bb();
    let imported = Imported::new(name, 1, 15);
    let profile = imported.file.profile.name();
    assert!(profile.starts_with(profile_prefix), "{name}: {profile}");
    assert!(imported.file.model.table_shape().is_some(), "{name}");
    let Imported {
        file,
        artifact,
        mut sc,
        solved,
        ..
    } = imported;
    circuits_support::proving::prove_and_verify(&artifact, &solved, Some(9));

    let n = file.model.features();
    let used = (0..n as u32)
        .find(|&i| file.model.uses_feature(i as usize))
        .unwrap();
    sc.policy.protected = vec![used];
    let refused = sc.build();
    assert_eq!(
        refused.first_violation(),
        Some(Constraint::ProtectedFeature)
    );
    match execute(&artifact, &refused.inputs()) {
        Err(WitnessError::AssertionFailed { message, .. }) => {
            assert_eq!(message, Constraint::ProtectedFeature.message())
        }
        other => panic!("{name}: expected the protected split to be refused, got {other:?}"),
    }
}

#[test]
fn lightgbm_leaf_wise_proves_and_refuses_a_protected_split() {
    proves_and_refuses_a_protected_split("lightgbm_leaf_wise", "trees-4-10l12h");
}

#[test]
fn xgboost_proves_and_refuses_a_protected_split() {
    proves_and_refuses_a_protected_split("xgboost", "trees-4-6l");
}

#[test]
fn random_forest_proves_and_refuses_a_protected_split() {
    proves_and_refuses_a_protected_split("random_forest_sklearn", "trees-4-");
}

#[test]
fn a_shape_that_does_not_fit_the_profile_is_refused_naming_it() {
    let name = "lightgbm_leaf_wise";
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/models/accepted")
        .join(name);
    let schema = FeatureSchema::read(&dir.join("schema.toml")).unwrap();
    let calibration = Calibration::read(&dir.join("calibration.csv"), &schema).unwrap();
    let onnx = fs::read(dir.join("model.onnx")).unwrap();
    let (file, _) = fixture(name);
    let shape = file.model.table_shape().unwrap();
    let request = |profile: &str| {
        import(&ImportRequest {
            onnx_name: name,
            onnx: &onnx,
            schema: &schema,
            calibration: &calibration,
            policy: None,
            profile: Some(profile),
            model_id: "fixture",
            version: "1",
            max_bound: None,
        })
    };
    // Too shallow.
    let shallow = format!(
        "trees-4-{}l{}h{}-d20-b8-s16-p4-m4",
        shape.trees(),
        shape.leaves(),
        shape.depth() - 1
    );
    let e = request(&shallow).unwrap_err().to_string();
    assert!(
        e.contains(&format!("depth up to {}", shape.depth()))
            && e.contains(&format!("depth {}", shape.depth() - 1)),
        "{e}"
    );
    assert!(!e.contains("hidden units"), "{e}");
    // A complete-tree profile of a depth below the model's.
    let e = request("trees-4-10x2-d20-b8-s16-p4-m4")
        .unwrap_err()
        .to_string();
    assert!(e.contains("depth"), "{e}");
    assert!(!e.contains("hidden units"), "{e}");
    // A larger table holds it, padded: more trees, leaves and depth; same scores.
    let larger = format!(
        "trees-4-{}l{}h{}-d20-b8-s16-p4-m4",
        shape.trees() + 2,
        shape.leaves() + 3,
        shape.depth() + 1
    );
    let (padded, _) = request(&larger).unwrap();
    assert_eq!(padded.profile.name(), larger);
    for row in calibration.rows().iter().take(20) {
        let x = govproof::model::certificate::quantize_row(row).unwrap();
        assert_eq!(
            padded.model.score(&x).unwrap(),
            file.model.score(&x).unwrap()
        );
    }
}

#[test]
fn score_bounds_of_imported_tables_hold_every_calibration_score() {
    for name in [
        "lightgbm_leaf_wise",
        "xgboost",
        "random_forest_sklearn",
        "gbt_sklearn",
    ] {
        let (file, calibration) = fixture(name);
        let schema = &file.schema;
        let lo: Vec<i64> = schema
            .features()
            .iter()
            .map(|f| (f.min * 65536.0).floor() as i64)
            .collect();
        let hi: Vec<i64> = schema
            .features()
            .iter()
            .map(|f| (f.max * 65536.0).ceil() as i64)
            .collect();
        let (min, max) = file.model.score_bounds(&lo, &hi).unwrap();
        assert!(min <= max, "{name}");
        for row in calibration.rows() {
            let x = govproof::model::certificate::quantize_row(row).unwrap();
            let s = file.model.score(&x).unwrap().units();
            assert!(min <= s && s <= max, "{name}: {s} outside [{min}, {max}]");
        }
        // A box that pins every feature bounds the score exactly.
        let x = govproof::model::certificate::quantize_row(&calibration.rows()[0]).unwrap();
        let s = file.model.score(&x).unwrap().units();
        assert_eq!(
            file.model.score_bounds(x.values(), x.values()),
            Some((s, s)),
            "{name}"
        );
    }
}
