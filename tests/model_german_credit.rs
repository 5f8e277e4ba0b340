//! The German Credit example's models (`examples/german_credit/`): each imports, its float
//! reference reproduces onnxruntime on all 1,000 applicants, its quantized scores stay within the
//! certificate's bound, and every certificate number (errors, paths, band agreement) is recomputed
//! here; the policies protect `personal_status_sex` and `foreign_worker`, which only the
//! unrestricted scorecard uses; `policy check --model` accepts a model file as it is written.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use clap::Parser;

use govproof::circuits::fixed::SCORE_SCALE_BITS;
use govproof::cli::{run, Cli, Exit};
use govproof::model::calibration::Calibration;
use govproof::model::certificate::{float_outcome, quantize_row};
use govproof::model::file::Family;
use govproof::model::{import, FeatureSchema, ImportPolicy, ImportRequest, ModelFile};

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/german_credit")
}

struct Example {
    schema: FeatureSchema,
    data: Calibration,
    bands: ImportPolicy,
    ort: Vec<Vec<f64>>,
    ort_columns: Vec<String>,
}

fn example() -> Example {
    let schema = FeatureSchema::read(&here().join("features.toml")).unwrap();
    let data = Calibration::read(&here().join("data/german_credit.csv"), &schema).unwrap();
    let bands = ImportPolicy::read(&here().join("policies/german-credit-scorecard.toml")).unwrap();
    let text = fs::read_to_string(here().join("models/onnxruntime_scores.csv")).unwrap();
    let mut lines = text.lines();
    let ort_columns = lines
        .next()
        .unwrap()
        .split(',')
        .skip(1)
        .map(String::from)
        .collect();
    let ort = lines
        .map(|l| l.split(',').skip(1).map(|c| c.parse().unwrap()).collect())
        .collect();
    Example {
        schema,
        data,
        bands,
        ort,
        ort_columns,
    }
}

fn import_model(
    ex: &Example,
    name: &str,
    policy: &ImportPolicy,
) -> (ModelFile, govproof::model::FloatModel) {
    let onnx = fs::read(here().join("models").join(format!("{name}.onnx"))).unwrap();
    let (file, recognised) = import(&ImportRequest {
        onnx_name: name,
        onnx: &onnx,
        schema: &ex.schema,
        calibration: &ex.data,
        policy: Some(policy),
        profile: None,
        model_id: &format!("german-credit-{}", name.replace('_', "-")),
        version: "1.0.0",
        max_bound: None,
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    (file, recognised.model)
}

#[test]
fn example_models_import_within_their_bounds_and_their_certificates_recompute() {
    let ex = example();
    let expected = [
        ("scorecard", "linear-20-d20-b8-s16-p8-m4"),
        ("mlp", "mlp-20x16-d20-b8-s16-p8-m4"),
        ("gbt", "trees-20-30x3-d20-b8-s16-p8-m4"),
        ("scorecard_unrestricted", "linear-20-d20-b8-s16-p8-m4"),
    ];
    for (name, profile) in expected {
        // The example's policies share one band table; measure every model against it, with the
        // model's own profile.
        let policy = ImportPolicy {
            profile: profile.to_string(),
            ..ex.bands.clone()
        };
        let (file, float) = import_model(&ex, name, &policy);
        assert_eq!(file.profile.name(), profile, "{name}");
        let column = ex.ort_columns.iter().position(|c| c == name).unwrap();
        let cert = &file.certificate;
        let rule = &policy.rule.rule;
        let (mut max, mut sum, mut worst, mut agreeing): (f64, f64, usize, usize) =
            (0.0, 0.0, 0, 0);
        for (r, row) in ex.data.rows().iter().enumerate() {
            // The float reference reproduces onnxruntime (float32 arithmetic).
            let p = float.probability(row).unwrap();
            let want = ex.ort[r][column];
            assert!(
                (p - want).abs() < 2e-6,
                "{name} applicant {}: {p} vs {want}",
                r + 1
            );
            let f = float.score(row);
            let q = file.model.score(&quantize_row(row).unwrap()).unwrap();
            let err = (q.units() as f64 / 2f64.powi(SCORE_SCALE_BITS as i32) - f).abs();
            assert!(
                err <= cert.bound.max_abs,
                "{name} applicant {}: error {err}",
                r + 1
            );
            if err > max {
                max = err;
                worst = r;
            }
            sum += err;
            if float_outcome(rule, f) == rule.outcome(q) {
                agreeing += 1;
            }
        }
        assert!((cert.score_error.max_abs - max).abs() <= 1e-12, "{name}");
        assert!(
            (cert.score_error.mean_abs - sum / 1000.0).abs() <= 1e-12,
            "{name}"
        );
        assert_eq!(cert.score_error.worst_row, worst, "{name}");
        let band = cert.band_agreement.as_ref().unwrap();
        assert_eq!((band.rows, band.agreeing), (1000, agreeing), "{name}");
        assert_eq!(band.policy_hash, policy.rule.hash);
        if let Family::Trees { .. } = file.family() {
            // Whole-number features and amounts far from every threshold: no path changes.
            assert_eq!(
                cert.tree_paths.as_ref().unwrap().rows_with_a_different_path,
                0
            );
        }
        // A model file reads back exactly as written.
        let back = ModelFile::from_bytes(name, &file.to_bytes()).unwrap();
        assert_eq!(back, file);
    }
}

#[test]
fn only_the_unrestricted_scorecard_uses_the_protected_features() {
    let ex = example();
    let protected: Vec<usize> = ["personal_status_sex", "foreign_worker"]
        .iter()
        .map(|n| ex.schema.names().iter().position(|s| s == n).unwrap())
        .collect();
    for name in ["scorecard", "mlp", "gbt", "scorecard_unrestricted"] {
        let profile = match name {
            "mlp" => "mlp-20x16-d20-b8-s16-p8-m4",
            "gbt" => "trees-20-30x3-d20-b8-s16-p8-m4",
            _ => "linear-20-d20-b8-s16-p8-m4",
        };
        let policy = ImportPolicy {
            profile: profile.to_string(),
            ..ex.bands.clone()
        };
        let (file, _) = import_model(&ex, name, &policy);
        let uses: Vec<bool> = protected
            .iter()
            .map(|&i| file.model.uses_feature(i))
            .collect();
        let expect = name == "scorecard_unrestricted";
        assert_eq!(uses, vec![expect; 2], "{name}");
    }
}

#[test]
fn policy_check_reads_a_model_file() {
    let ex = example();
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = import_model(&ex, "scorecard", &ex.bands);
    let path = dir.path().join("scorecard.govproof");
    file.write(&path).unwrap();
    let policy = here().join("policies/german-credit-scorecard.toml");
    let check = |model: &Path| {
        let cli = Cli::try_parse_from([
            "govproof".as_ref(),
            "policy".as_ref(),
            "check".as_ref(),
            policy.as_os_str(),
            "--model".as_ref(),
            model.as_os_str(),
        ])
        .unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let exit = run(cli, &mut out, &mut err);
        (
            exit,
            String::from_utf8_lossy(&out).into_owned() + &String::from_utf8_lossy(&err),
        )
    };
    let (exit, text) = check(&path);
    assert_eq!(exit, Exit::Success, "{text}");
    // The perceptron's file names another profile: the policy refuses it.
    let (mlp, _) = import_model(
        &ex,
        "mlp",
        &ImportPolicy {
            profile: "mlp-20x16-d20-b8-s16-p8-m4".into(),
            ..ex.bands.clone()
        },
    );
    let path = dir.path().join("mlp.govproof");
    mlp.write(&path).unwrap();
    let (exit, text) = check(&path);
    assert_ne!(exit, Exit::Success, "{text}");
    assert!(text.contains("mlp-20x16-d20-b8-s16-p8-m4"), "{text}");
}
