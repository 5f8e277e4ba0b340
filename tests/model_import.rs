//! Model import, one test per fixture folder kind under `tests/data/models/`:
//!
//! - `accepted/<case>`: the import succeeds; the float reference in Rust reproduces onnxruntime's
//!   scores (`expected.csv`, recorded by `regenerate.py`); on every calibration row the quantized
//!   score is within the certificate's bound of the float score; and every number of the
//!   certificate is recomputed here from the two models, independently of `certify`;
//! - `refused/<case>`: the import fails with an error containing `error.txt`, and writes nothing.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use govproof::circuits::fixed::SCALE_BITS;
use govproof::model::calibration::Calibration;
use govproof::model::certificate::quantize_row;
use govproof::model::float::ScoreKind;
use govproof::model::{import, FeatureSchema, ImportRequest, ModelFile};

fn cases(kind: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/models")
        .join(kind);
    let mut out: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", root.display());
    out
}

struct Case {
    name: String,
    onnx: Vec<u8>,
    schema: FeatureSchema,
    calibration: Calibration,
}

fn load(dir: &Path) -> Case {
    let schema = FeatureSchema::read(&dir.join("schema.toml")).unwrap();
    let calibration = Calibration::read(&dir.join("calibration.csv"), &schema).unwrap();
    Case {
        name: dir.file_name().unwrap().to_string_lossy().into_owned(),
        onnx: fs::read(dir.join("model.onnx")).unwrap(),
        schema,
        calibration,
    }
}

fn request<'a>(c: &'a Case) -> ImportRequest<'a> {
    ImportRequest {
        onnx_name: &c.name,
        onnx: &c.onnx,
        schema: &c.schema,
        calibration: &c.calibration,
        policy: None,
        profile: None,
        model_id: "fixture",
        version: "1",
        max_bound: None,
    }
}

#[test]
fn accepted_models_import_within_their_certified_bound() {
    for dir in cases("accepted") {
        let c = load(&dir);
        let (file, recognised) = import(&request(&c)).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let float = &recognised.model;

        // The Rust float reference reproduces onnxruntime (float32 arithmetic) closely.
        let expected = fs::read_to_string(dir.join("expected.csv")).unwrap();
        for (row, line) in c.calibration.rows().iter().zip(expected.lines().skip(1)) {
            let want: f64 = line.split(',').nth(1).unwrap().parse().unwrap();
            let got = match float.score_kind {
                ScoreKind::LogOdds => float.probability(row).unwrap(),
                ScoreKind::Raw => float.score(row),
            };
            assert!(
                (got - want).abs() <= 2e-5 * (1.0 + want.abs()),
                "{}: reference {got} vs onnxruntime {want}",
                c.name
            );
        }

        // Recompute the certificate's numbers from the two models.
        let cert = &file.certificate;
        let mut max: f64 = 0.0;
        let mut sum = 0.0;
        let mut worst = 0;
        for (r, row) in c.calibration.rows().iter().enumerate() {
            let x = quantize_row(row).unwrap();
            let q = file.model.score(&x).unwrap().units() as f64 / 2f64.powi(48);
            let err = (q - float.score(row)).abs();
            if err > max {
                max = err;
                worst = r;
            }
            sum += err;
            if cert.bound.all_inputs {
                assert!(
                    err <= cert.bound.max_abs,
                    "{}: row {r} error {err} above the bound {}",
                    c.name,
                    cert.bound.max_abs
                );
            }
        }
        let mean = sum / c.calibration.len() as f64;
        assert_eq!(cert.calibration.rows, c.calibration.len(), "{}", c.name);
        assert!(
            (cert.score_error.max_abs - max).abs() <= 1e-12,
            "{}",
            c.name
        );
        assert!(
            (cert.score_error.mean_abs - mean).abs() <= 1e-12,
            "{}",
            c.name
        );
        assert_eq!(cert.score_error.worst_row, worst, "{}", c.name);
        assert!(
            max <= cert.bound.max_abs || !cert.bound.all_inputs,
            "{}",
            c.name
        );
        assert_eq!(cert.scale_bits, SCALE_BITS);

        // The model file round-trips through its strict reader.
        let back = ModelFile::from_bytes("fixture.govproof", &file.to_bytes()).unwrap();
        assert_eq!(back, file, "{}", c.name);
    }
}

#[test]
fn refused_models_name_the_reason() {
    for dir in cases("refused") {
        let c = load(&dir);
        let want = fs::read_to_string(dir.join("error.txt")).unwrap();
        let e = match import(&request(&c)) {
            Ok(_) => panic!("{}: imported, expected a refusal", c.name),
            Err(e) => e.to_string(),
        };
        assert!(
            e.contains(want.trim()),
            "{}: error `{e}` does not contain `{}`",
            c.name,
            want.trim()
        );
        assert!(
            !e.contains('\n'),
            "{}: one-line error expected: {e}",
            c.name
        );
    }
}
