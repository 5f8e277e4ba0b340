//! Perceptrons with more than one hidden ReLU layer, end to end:
//!
//! - imported from ONNX (`tests/data/models/accepted/mlp_*_hidden_layers`, written by
//!   `regenerate.py --deep`), every calibration row's quantized score lies within the certificate's
//!   bound of the float score, and the profile names every hidden width;
//! - the circuit's score equals the Rust mirror's exactly, on the calibration rows and on random
//!   models and inputs at the bounds, and the circuit refuses exactly the inputs on which the
//!   mirror finds a hidden activation too large for the next layer;
//! - the generated composite proves and verifies a decision with the imported two-hidden-layer
//!   model through the development setup, rejects the proof against a tampered public input, and
//!   refuses weights (of the second layer) that do not open the registered commitment;
//! - four hidden layers, and a width beyond the limit, are refused with errors naming them.

#![allow(clippy::unwrap_used)]

use crate::circuits_support;
use crate::model_circuit::{fixture, score_program, Imported};

use std::fs;
use std::path::Path;

use govproof::abi::{InputValue, Inputs};
use govproof::circuits::fixed::{FEATURE_MAX, FEATURE_MIN, WEIGHT_MAX, WEIGHT_MIN};
use govproof::circuits::model::ModelError;
use govproof::circuits::profile::perceptron_weight_count;
use govproof::circuits::{
    Constraint, Features, HiddenLayers, ModelFamily, Profile, QuantizedModel,
};
use govproof::model::calibration::Calibration;
use govproof::model::certificate::quantize_row;
use govproof::model::graph::recognise;
use govproof::model::{import, onnx, FeatureSchema, ImportRequest};
use govproof::witness::{execute, WitnessError};

fn case_dir(kind: &str, name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/models")
        .join(kind)
        .join(name)
}

#[test]
fn deep_perceptrons_import_within_their_certified_bound() {
    for (name, profile, widths) in [
        (
            "mlp_two_hidden_layers",
            "mlp-4x6x4-d20-b8-s16-p4-m4",
            &[6, 4][..],
        ),
        (
            "mlp_sklearn_two_hidden_layers",
            "mlp-4x8x4-d20-b8-s16-p4-m4",
            &[8, 4][..],
        ),
        (
            "mlp_three_hidden_layers",
            "mlp-4x5x4x3-d20-b8-s16-p4-m4",
            &[5, 4, 3][..],
        ),
    ] {
        let (file, calibration) = fixture(name);
        assert_eq!(file.profile.name(), profile, "{name}");
        assert_eq!(
            file.profile.family(),
            ModelFamily::DeepMlp {
                hidden: HiddenLayers::new(widths).unwrap()
            }
        );
        assert_eq!(file.model.hidden_layers(), widths, "{name}");
        let cert = &file.certificate;
        assert!(cert.bound.all_inputs, "{name}: {}", cert.bound.holds_for);
        assert!(
            cert.bound.max_abs > 0.0 && cert.bound.max_abs < 0.1,
            "{name}: bound {}",
            cert.bound.max_abs
        );

        // The float reference, read again from the ONNX file.
        let onnx_bytes = fs::read(case_dir("accepted", name).join("model.onnx")).unwrap();
        let float = recognise(&onnx::decode(&onnx_bytes).unwrap())
            .unwrap()
            .model;
        let mut worst: f64 = 0.0;
        for (r, row) in calibration.rows().iter().enumerate() {
            let x = quantize_row(row).unwrap();
            let q = file.model.score(&x).unwrap().logit();
            let err = (q - float.score(row)).abs();
            assert!(
                err <= cert.bound.max_abs,
                "{name}: row {r} error {err} above the bound {}",
                cert.bound.max_abs
            );
            worst = worst.max(err);
        }
        assert!((cert.score_error.max_abs - worst).abs() <= 1e-12, "{name}");
        eprintln!(
            "{name}: {profile}, bound {:.3e}, measured max {:.3e}, mean {:.3e}",
            cert.bound.max_abs, cert.score_error.max_abs, cert.score_error.mean_abs
        );

        // The model file names the layers and round-trips through its strict reader.
        let bytes = file.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"deep_mlp\""), "{name}");
        let back = govproof::model::ModelFile::from_bytes("deep.govproof", &bytes).unwrap();
        assert_eq!(back, file, "{name}");
    }
}

#[test]
fn deep_circuit_scores_equal_the_rust_mirror_on_the_calibration_rows() {
    circuits_support::bb();
    for name in ["mlp_two_hidden_layers", "mlp_three_hidden_layers"] {
        let (file, calibration) = fixture(name);
        let model = &file.model;
        let artifact = score_program(model);
        let weights = InputValue::array(model.weight_fields());
        for row in calibration.rows() {
            let x = quantize_row(row).unwrap();
            let inputs = Inputs::new()
                .with("weights", weights.clone())
                .with("features", InputValue::array(x.to_fields()));
            let out = execute(&artifact, &inputs)
                .unwrap()
                .public_inputs()
                .to_vec();
            assert_eq!(out[0], model.commitment(), "{name}: commitment");
            assert_eq!(out[1], model.score(&x).unwrap().to_field(), "{name}: score");
            assert_eq!(&out[2..], model.feature_weight_mass().as_slice(), "{name}");
        }
    }
}

#[test]
fn random_deep_models_at_the_bounds_score_alike_or_fail_alike() {
    circuits_support::bb();
    let mut rng = circuits_support::Rng::new(4242);
    let mut pick = |choices: &[i64], lo: i64, hi: i64| {
        if rng.chance(30) {
            choices[rng.range(0, choices.len() as i64 - 1) as usize]
        } else {
            rng.range(lo, hi)
        }
    };
    let (mut scored, mut refused) = (0, 0);
    for widths in [&[4, 3][..], &[3, 3, 2][..]] {
        let n = 3;
        let mut artifact = None;
        for _ in 0..5 {
            let count = perceptron_weight_count(n, widths);
            let weights: Vec<i64> = (0..count)
                .map(|_| pick(&[WEIGHT_MIN, WEIGHT_MAX, 0, -1, 1], -(1 << 18), 1 << 18))
                .collect();
            let model = QuantizedModel::layered(n, widths, weights).unwrap();
            let artifact = artifact.get_or_insert_with(|| score_program(&model));
            for _ in 0..4 {
                let x: Vec<i64> = (0..n)
                    .map(|_| pick(&[FEATURE_MIN, FEATURE_MAX, 0, -1, 1], -(1 << 20), 1 << 20))
                    .collect();
                let x = Features::new(x).unwrap();
                let inputs = Inputs::new()
                    .with("weights", InputValue::array(model.weight_fields()))
                    .with("features", InputValue::array(x.to_fields()));
                match (model.score(&x), execute(artifact, &inputs)) {
                    (Ok(score), Ok(solved)) => {
                        let out = solved.public_inputs();
                        assert_eq!(out[0], model.commitment());
                        assert_eq!(out[1], score.to_field());
                        scored += 1;
                    }
                    (
                        Err(ModelError::Activation { .. }),
                        Err(WitnessError::AssertionFailed { message, .. }),
                    ) => {
                        assert_eq!(message, "hidden activation exceeds its fixed-point bound");
                        refused += 1;
                    }
                    (mirror, circuit) => panic!(
                        "mirror and circuit disagree: {mirror:?} vs {:?}",
                        circuit.map(|s| s.public_inputs().to_vec())
                    ),
                }
            }
        }
    }
    assert!(
        scored > 0 && refused > 0,
        "scored {scored}, refused {refused}"
    );
}

#[test]
fn deep_composite_proves_an_imported_model_and_rejects_tampering() {
    circuits_support::bb();
    let Imported {
        artifact,
        mut sc,
        decision,
        solved,
        ..
    } = Imported::new("mlp_two_hidden_layers", 3, 9);
    // Public input 10 is the band index: the proof does not verify for another band.
    circuits_support::proving::prove_and_verify(&artifact, &solved, Some(10));

    // A weight of the second hidden layer changed after registration.
    let second_layer = 6 * 4 + 6;
    let tampered = circuits_support::rebuild(&decision, |_, w| {
        let mut weights = w.model.weights().to_vec();
        weights[second_layer] += 1;
        w.model = QuantizedModel::layered(4, &[6, 4], weights).unwrap();
    });
    assert_eq!(
        tampered.first_violation(),
        Some(Constraint::WeightsCommitment)
    );
    match execute(&artifact, &tampered.inputs()) {
        Err(WitnessError::AssertionFailed { message, .. }) => {
            assert_eq!(message, Constraint::WeightsCommitment.message())
        }
        other => panic!("expected the tampered weight to be refused, got {other:?}"),
    }

    // An entry registered for the one-hidden-layer profile of the same capacities is refused.
    let shallow = Profile::from_name("mlp-4x6-d20-b8-s16-p4-m4").unwrap();
    sc.entry_profile = shallow.id();
    let other = sc.build();
    assert_eq!(other.first_violation(), Some(Constraint::EntryProfile));
}

#[test]
fn four_hidden_layers_and_oversized_widths_are_refused_by_name() {
    let dir = case_dir("refused", "four_hidden_layers");
    let schema = FeatureSchema::read(&dir.join("schema.toml")).unwrap();
    let calibration = Calibration::read(&dir.join("calibration.csv"), &schema).unwrap();
    let onnx_bytes = fs::read(dir.join("model.onnx")).unwrap();
    let e = import(&ImportRequest {
        onnx_name: "four_hidden_layers",
        onnx: &onnx_bytes,
        schema: &schema,
        calibration: &calibration,
        policy: None,
        profile: None,
        model_id: "fixture",
        version: "1",
        max_bound: None,
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("the model has 4 hidden layers") && e.contains("1 to 3 hidden ReLU layers"),
        "{e}"
    );

    let e = Profile::from_name("mlp-4x3x3x3x3-d20-b8-s16-p4-m4").unwrap_err();
    assert!(e.to_string().contains("1 to 3 hidden layers, got 4"), "{e}");
    let e = Profile::from_name("mlp-4x8x300-d20-b8-s16-p4-m4").unwrap_err();
    assert!(
        e.to_string()
            .contains("hidden size must be between 1 and 256, got 300"),
        "{e}"
    );
    let e = QuantizedModel::layered(4, &[3, 3, 3, 3], vec![0; 52]).unwrap_err();
    assert!(
        e.to_string().contains("the model has 4 hidden layers"),
        "{e}"
    );
}
