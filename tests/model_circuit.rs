//! Imported models in the circuits.
//!
//! - For every accepted fixture (perceptrons with one to three hidden layers among them), a program
//!   generated for the model's shape (the same library functions the composite calls) computes the
//!   weights commitment, the score and the feature weight mass on every calibration row: each
//!   equals the Rust mirror's exactly.
//! - A tree profile's generated composite proves and verifies a decision made with an imported
//!   gradient-boosted ensemble (and rejects a tampered public input), and refuses a policy that
//!   protects a feature the ensemble splits on.
//!
//! The pinned toolchain is installed on first use; compiled programs are cached by source hash
//! under the target directory.

#![allow(clippy::unwrap_used)]

use crate::circuits_support;

use std::fs;
use std::path::{Path, PathBuf};

use govproof::abi::{InputValue, Inputs};
use govproof::artifact::Artifact;
use govproof::circuits::fixed::{FEATURE_MAX, FEATURE_MIN, WEIGHT_MAX, WEIGHT_MIN};
use govproof::circuits::generate::{compile_cached, LIBRARIES};
use govproof::circuits::trees::TreeShape;
use govproof::circuits::{Constraint, FeatureRange, Features, Profile, QuantizedModel};
use govproof::model::calibration::Calibration;
use govproof::model::certificate::quantize_row;
use govproof::model::{import, FeatureSchema, ImportRequest, ModelFile};
use govproof::toolchain::sources::source_hash;
use govproof::toolchain::InstallPolicy;
use govproof::witness::{execute, WitnessError};

pub(crate) fn fixture(name: &str) -> (ModelFile, Calibration) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/models/accepted")
        .join(name);
    let schema = FeatureSchema::read(&dir.join("schema.toml")).unwrap();
    let calibration = Calibration::read(&dir.join("calibration.csv"), &schema).unwrap();
    let onnx = fs::read(dir.join("model.onnx")).unwrap();
    let (file, _) = import(&ImportRequest {
        onnx_name: name,
        onnx: &onnx,
        schema: &schema,
        calibration: &calibration,
        policy: None,
        profile: None,
        model_id: "fixture",
        version: "1",
        max_bound: None,
    })
    .unwrap();
    (file, calibration)
}

/// An imported model fixture's profile compiled (cached), and a valid decision of it on one
/// calibration row: a scenario of the linear profile with the same capacities, moved to the
/// model's profile (open ranges, nothing protected), solved, its public inputs checked against
/// the statement.
pub(crate) struct Imported {
    pub(crate) file: ModelFile,
    pub(crate) artifact: Artifact,
    pub(crate) sc: circuits_support::Scenario,
    pub(crate) decision: govproof::circuits::CircuitDecision,
    pub(crate) solved: govproof::witness::SolvedWitness,
}

impl Imported {
    pub(crate) fn new(name: &str, row: usize, seed: u64) -> Imported {
        let (file, calibration) = fixture(name);
        let profile = file.profile;
        let json = compile_cached(
            &profile,
            &cache_dir(),
            InstallPolicy::InstallIfMissing,
            &mut |m| eprintln!("{m}"),
        )
        .unwrap();
        let artifact = Artifact::from_json_bytes(&profile.name(), &json).unwrap();
        let n = file.model.features();
        let linear = Profile::from_name(&format!("linear-{n}-d20-b8-s16-p4-m4")).unwrap();
        let mut sc = circuits_support::Scenario::valid(linear, seed);
        sc.profile = profile;
        sc.entry_profile = profile.id();
        sc.model = file.model.clone();
        sc.features = quantize_row(&calibration.rows()[row]).unwrap();
        sc.policy.ranges = vec![FeatureRange::unbounded(); n];
        sc.policy.protected = vec![];
        let decision = sc.build();
        assert_eq!(decision.first_violation(), None);
        let solved = execute(&artifact, &decision.inputs()).unwrap();
        assert_eq!(
            solved.public_inputs(),
            decision.statement().to_fields().as_slice()
        );
        Imported {
            file,
            artifact,
            sc,
            decision,
            solved,
        }
    }
}

pub(crate) fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-model-tests")
}

/// A program returning `(weights commitment, score, feature weight mass)` for `model`'s shape.
pub(crate) fn score_program(model: &QuantizedModel) -> Artifact {
    let n = model.features();
    let w = model.weights().len();
    if let Some(s) = model.table_shape() {
        let (globals, _) = govproof::circuits::tree_table::composite_parts(s);
        return program(
            n,
            w,
            &globals,
            [
                "tree_table::commitment::<N, T, L, TD, CB, W>(weights)",
                "tree_table::score::<N, T, L, TD, CB, W>(weights, features)",
                "tree_table::feature_weight_mass::<N, T, L, TD, CB, W>(weights)",
            ],
            "tree_table",
        );
    }
    let (globals, calls, deps) = match model.tree_shape() {
        Some(s) => (
            format!(
                "global T: u32 = {};\nglobal TD: u32 = {};\nglobal I: u32 = {};\nglobal L: u32 = {};\n",
                s.trees(),
                s.depth(),
                s.internal(),
                s.leaves()
            ),
            [
                "tree_ensemble::commitment::<N, T, TD, I, L, W>(weights)",
                "tree_ensemble::score::<N, T, TD, I, L, W>(weights, features)",
                "tree_ensemble::feature_weight_mass::<N, T, TD, I, L, W>(weights)",
            ],
            "tree_ensemble",
        ),
        None if model.hidden_layers().len() >= 2 => {
            let layers = model.hidden_layers();
            let mut globals = format!("global H: u32 = {};\n", layers[0]);
            for (k, h) in layers.iter().enumerate().skip(1) {
                globals.push_str(&format!("global H{}: u32 = {h};\n", k + 1));
            }
            let score = if layers.len() == 2 {
                "perceptron::score2::<N, H, H2, W>(weights, features)"
            } else {
                "perceptron::score3::<N, H, H2, H3, W>(weights, features)"
            };
            (
                globals,
                [
                    "inference::weights_commitment(weights)",
                    score,
                    "perceptron::feature_weight_mass::<N, H, W>(weights)",
                ],
                "perceptron",
            )
        }
        None => (
            format!("global H: u32 = {};\n", model.hidden()),
            [
                "inference::weights_commitment(weights)",
                "inference::score::<N, H, W>(weights, features)",
                "inference::feature_weight_mass::<N, H, W>(weights)",
            ],
            "inference",
        ),
    };
    program(n, w, &globals, calls, deps)
}

/// The program of [`score_program`] for a shape's globals and calls, compiled once (cached).
fn program(n: usize, w: usize, globals: &str, calls: [&str; 3], deps: &str) -> Artifact {
    let main = format!(
        "global N: u32 = {n};\n{globals}global W: u32 = {w};\n\n\
         fn main(weights: [Field; W], features: [Field; N]) -> pub (Field, Field, [Field; N + 1]) {{\n    \
         let commitment = {};\n    \
         // Bounds the features, as the composite's input commitment does.\n    \
         let _ = inference::input_commitment(features, 0);\n    \
         (commitment, {}, {})\n}}\n",
        calls[0], calls[1], calls[2]
    );
    let dir = tempfile::tempdir().unwrap();
    for lib in LIBRARIES {
        let d = dir.path().join("lib").join(lib.name);
        fs::create_dir_all(d.join("src")).unwrap();
        fs::write(d.join("Nargo.toml"), lib.manifest).unwrap();
        fs::write(d.join("src/lib.nr"), lib.source).unwrap();
    }
    let extra = if deps == "inference" {
        String::new()
    } else {
        format!("{deps} = {{ path = \"../../lib/{deps}\" }}\n")
    };
    let package = dir.path().join("programs/model_score");
    fs::create_dir_all(package.join("src")).unwrap();
    fs::write(
        package.join("Nargo.toml"),
        format!(
            "[package]\nname = \"model_score\"\ntype = \"bin\"\nauthors = [\"govproof\"]\n\n\
             [dependencies]\ninference = {{ path = \"../../lib/inference\" }}\n{extra}"
        ),
    )
    .unwrap();
    fs::write(package.join("src/main.nr"), main).unwrap();
    let cached = cache_dir().join(format!(
        "model_score-{}.json",
        source_hash(&package).unwrap()
    ));
    let json = match fs::read(&cached) {
        Ok(bytes) => bytes,
        Err(_) => {
            let json =
                govproof::noir::compile(&package, InstallPolicy::InstallIfMissing, &mut |m| {
                    eprintln!("{m}")
                })
                .unwrap();
            govproof::toolchain::sources::write_atomic(&cached, &json).unwrap();
            json
        }
    };
    Artifact::from_json_bytes("model_score", &json).unwrap()
}

#[test]
fn circuit_scores_equal_the_rust_mirror_for_every_family() {
    circuits_support::bb();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/models/accepted");
    let mut names: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let (file, calibration) = fixture(&name);
        let model = &file.model;
        let artifact = score_program(model);
        let weights = InputValue::array(model.weight_fields());
        for row in calibration.rows().iter().take(12) {
            let x = quantize_row(row).unwrap();
            let inputs = Inputs::new()
                .with("weights", weights.clone())
                .with("features", InputValue::array(x.to_fields()));
            let solved = execute(&artifact, &inputs).unwrap();
            let out = solved.public_inputs();
            assert_eq!(out[0], model.commitment(), "{name}: commitment");
            assert_eq!(out[1], model.score(&x).unwrap().to_field(), "{name}: score");
            assert_eq!(
                &out[2..],
                model.feature_weight_mass().as_slice(),
                "{name}: mass"
            );
        }
    }
}

#[test]
fn random_ensembles_at_the_bounds_score_alike_in_the_circuit() {
    circuits_support::bb();
    let (n, shape) = (5, TreeShape::new(4, 3).unwrap());
    let nodes = shape.trees() * shape.internal();
    let mut rng = circuits_support::Rng::new(77);
    let mut pick = |choices: &[i64], lo: i64, hi: i64| {
        if rng.chance(50) {
            choices[rng.range(0, choices.len() as i64 - 1) as usize]
        } else {
            rng.range(lo, hi)
        }
    };
    let mut artifact = None;
    for _ in 0..6 {
        let mut flat = Vec::with_capacity(shape.weight_count(n));
        for _ in 0..nodes {
            // Index n is the padding index that reads the constant 0.
            flat.push(pick(&[0, n as i64], 0, n as i64));
        }
        for _ in 0..nodes {
            flat.push(pick(
                &[FEATURE_MIN, FEATURE_MAX, -1, 0],
                -(1 << 20),
                1 << 20,
            ));
        }
        for _ in 0..shape.trees() * shape.leaves() + 1 {
            flat.push(pick(&[WEIGHT_MIN, WEIGHT_MAX], WEIGHT_MIN, WEIGHT_MAX));
        }
        // Every split feature is flagged; an unused feature may be flagged too.
        let flags = govproof::circuits::trees::flags_for(n, shape, &flat);
        flat.extend(flags.iter().map(|&f| f.max(pick(&[0, 1], 0, 1))));
        let model = QuantizedModel::trees(n, shape, flat).unwrap();
        let artifact = artifact.get_or_insert_with(|| score_program(&model));
        for _ in 0..4 {
            let x: Vec<i64> = (0..n)
                .map(|_| pick(&[FEATURE_MIN, FEATURE_MAX, 0, -1, 1], -(1 << 20), 1 << 20))
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
fn tree_composite_proves_an_imported_ensemble_and_refuses_a_protected_split() {
    circuits_support::bb();
    let imported = Imported::new("gbt_sklearn", 0, 5);
    assert_eq!(
        imported.file.profile.name(),
        "trees-4-8l8h3-d20-b8-s16-p4-m4"
    );
    let Imported {
        file,
        artifact,
        mut sc,
        solved,
        ..
    } = imported;
    circuits_support::proving::prove_and_verify(&artifact, &solved, Some(10));

    // A policy that protects a feature the ensemble splits on.
    let used = (0..4u32)
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
        other => panic!("expected the protected split to be refused, got {other:?}"),
    }
}
