//! Import never panics on outside input: mutated and truncated ONNX files, CSV and schema text
//! either import or fail with an error.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use proptest::prelude::*;

use govproof::model::calibration::Calibration;
use govproof::model::{import, FeatureSchema, ImportRequest, ModelFile};

const CASES: [&str; 5] = [
    "logistic_sklearn",
    "mlp_sklearn_scaler",
    "gbt_sklearn",
    "xgboost",
    "tree_regressor_average",
];

fn dir(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/models/accepted")
        .join(name)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mutated_onnx_files_import_or_fail_cleanly(
        case in 0usize..CASES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let d = dir(CASES[case]);
        let mut onnx = fs::read(d.join("model.onnx")).unwrap();
        for (at, byte) in edits {
            let i = at.index(onnx.len());
            onnx[i] = byte;
        }
        if truncate {
            onnx.truncate(cut.index(onnx.len()));
        }
        let schema = FeatureSchema::read(&d.join("schema.toml")).unwrap();
        let calibration = Calibration::read(&d.join("calibration.csv"), &schema).unwrap();
        let result = import(&ImportRequest {
            onnx_name: "mutated.onnx",
            onnx: &onnx,
            schema: &schema,
            calibration: &calibration,
            policy: None,
            profile: None,
            model_id: "m",
            version: "1",
            max_bound: None,
        });
        if let Ok((file, _)) = result {
            // Whatever imported is a valid model file.
            prop_assert!(ModelFile::from_bytes("m", &file.to_bytes()).is_ok());
        }
    }

    #[test]
    fn arbitrary_schema_and_calibration_text_is_refused_or_read(
        schema in "\\PC{0,200}",
        csv in "[0-9a-z,.\\-\\n ]{0,200}",
    ) {
        let _ = FeatureSchema::from_toml("s.toml", &schema);
        let s = FeatureSchema::read(&dir("gbt_sklearn").join("schema.toml")).unwrap();
        let _ = Calibration::from_csv(&csv, &s);
    }

    #[test]
    fn arbitrary_model_file_bytes_are_refused_or_read(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = ModelFile::from_bytes("m.govproof", &bytes);
    }
}
