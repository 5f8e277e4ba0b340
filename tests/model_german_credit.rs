//! The German Credit example's models (`examples/german_credit/`): each imports under its policy,
//! its float reference reproduces onnxruntime on all 1,000 applicants, its quantized scores stay
//! within the certificate's bound, and every certificate number (errors, paths, band agreement) is
//! recomputed here; the policies protect `personal_status_sex` and `foreign_worker`, which only
//! the unrestricted scorecard uses; real applicants' decisions prove and verify in the generated
//! composites, and the unrestricted scorecard's cannot be made; `policy check --model` accepts a
//! model file as it is written.

#![allow(clippy::unwrap_used)]

use crate::circuits_support;

use std::fs;
use std::path::{Path, PathBuf};

use clap::Parser;

use govproof::artifact::Artifact;
use govproof::circuits::fixed::SCORE_SCALE_BITS;
use govproof::circuits::generate::compile_cached;
use govproof::circuits::{CircuitDecision, Constraint, DecisionWitness, PublicStatement};
use govproof::commit::{label, ScopeLabels};
use govproof::field::Field;
use govproof::model::calibration::Calibration;
use govproof::model::certificate::{float_outcome, quantize_row};
use govproof::model::file::Family;
use govproof::model::{import, FeatureSchema, ImportPolicy, ImportRequest, ModelFile};
use govproof::policy::{check, Policy, SourceFile};
use govproof::registry::entry::{Digest, QuantizationCertificate};
use govproof::registry::names::{ModelId, ModelVersion, Note, ProfileName, ScopePart};
use govproof::registry::{Entry, EntryDraft, EntrySet, Scope, Status, Timestamp};
use govproof::toolchain::InstallPolicy;
use govproof::witness::{execute, WitnessError};
use govproof_cli::{run, Cli, Exit};

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/german_credit")
}

/// The example policy that governs a model.
fn policy_path(model: &str) -> PathBuf {
    let policy = match model {
        "mlp" => "german-credit-mlp",
        "gbt" => "german-credit-gbt",
        _ => "german-credit-scorecard",
    };
    here().join("policies").join(format!("{policy}.toml"))
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
        let policy = ImportPolicy::read(&policy_path(name)).unwrap();
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
        let policy = ImportPolicy::read(&policy_path(name)).unwrap();
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
        &ImportPolicy::read(&policy_path("mlp")).unwrap(),
    );
    let path = dir.path().join("mlp.govproof");
    mlp.write(&path).unwrap();
    let (exit, text) = check(&path);
    assert_ne!(exit, Exit::Success, "{text}");
    assert!(text.contains("mlp-20x16-d20-b8-s16-p8-m4"), "{text}");
}

/// Registry entries for the example's model files, approved for the example's scope (also used
/// by the proven-reasons tests).
pub(crate) fn registry(files: &[&ModelFile]) -> EntrySet {
    let t = |s: &str| Timestamp::parse(s).unwrap();
    let entries = files
        .iter()
        .map(|f| {
            Entry::new(EntryDraft {
                model_id: f.model_id.clone(),
                version: f.version.clone(),
                weights_commitment: f.weights_commitment(),
                model_digest: Digest::from_bytes(*blake3::hash(&f.to_bytes()).as_bytes()),
                profile: ProfileName::new(&f.profile.name()).unwrap(),
                scope_capacity: f.profile.scopes() as u32,
                fixed_point_scale: 1 << 16,
                scopes: vec![Scope {
                    purpose: ScopePart::new("consumer-credit").unwrap(),
                    jurisdiction: ScopePart::new("EU-DE").unwrap(),
                    product: ScopePart::new("instalment-loan").unwrap(),
                }],
                valid_from: t("2026-01-01T00:00:00Z"),
                valid_until: t("2029-01-01T00:00:00Z"),
                status: Status::Approved,
                approved_by: Note::new("Credit Risk Committee (example)").unwrap(),
                approved_at: t("2025-12-15T10:00:00Z"),
                quantization_certificate: Some(QuantizationCertificate(
                    f.certificate.to_json_object(),
                )),
                circuit: None,
            })
            .unwrap()
        })
        .collect();
    EntrySet::new(entries).unwrap()
}

/// Applicant `row`'s decision with `file` under `policy`, as the example makes it, its input
/// committed with `salt` (also used by the proven-reasons tests).
pub(crate) fn decision(
    file: &ModelFile,
    policy: &Policy,
    set: &EntrySet,
    data: &Calibration,
    row: usize,
    salt: Field,
) -> CircuitDecision {
    let slot = set.position(&file.model_id, &file.version).unwrap();
    let entry = &set.entries()[slot];
    let tree = set.tree();
    let features = quantize_row(&data.rows()[row]).unwrap();
    let encoding = policy.encoding().clone();
    let outcome = encoding
        .spec()
        .rule
        .outcome(file.model.score(&features).unwrap())
        .unwrap();
    let statement = PublicStatement {
        registry_root: tree.root(),
        policy_hash: policy.hash(),
        model_id: file.model_id.label(),
        model_version: file.version.label(),
        scope: ScopeLabels::new("consumer-credit", "EU-DE", "instalment-loan"),
        decision_time: 1_780_304_400,
        input_commitment: features.commitment(salt),
        decision_id: label(&format!("german-credit-{row}")),
        outcome,
    };
    let witness = DecisionWitness {
        model: file.model.clone(),
        features,
        salt,
        entry: entry.leaf(),
        entry_path: tree.path(slot as u64).unwrap(),
        entry_scopes: entry.fields().scopes.iter().map(Scope::id).collect(),
        policy: encoding,
    };
    CircuitDecision::new(file.profile, statement, witness).unwrap()
}

/// The application `govproof prove` reads for applicant `row` of `data`: decision `decision_id`
/// at `time` in the example's scope, the features named as `policy` names them.
pub(crate) fn application_json(
    policy: &Policy,
    data: &Calibration,
    row: usize,
    decision_id: &str,
    time: &str,
) -> serde_json::Value {
    let features: serde_json::Map<String, serde_json::Value> = policy
        .features()
        .iter()
        .zip(&data.rows()[row])
        .map(|(f, v)| (f.name.as_str().to_string(), serde_json::json!(v)))
        .collect();
    serde_json::json!({
        "decision_id": decision_id,
        "time": time,
        "scope": "consumer-credit/EU-DE/instalment-loan",
        "features": features,
    })
}

/// A `govproof prove` run of the command-line path for an applicant of the example data: the
/// registry a `CliRegistry` made (its first root as trust), the policy and model files, `bb`, and
/// the decision time (also `--now`), all under `--dev-setup`.
pub(crate) struct CliProve<'a> {
    /// Where `application.json` and `bundle.json` are written.
    pub dir: &'a Path,
    pub registry: &'a Path,
    pub policy: &'a Path,
    pub model: &'a Path,
    pub bb: &'a Path,
    pub at: &'a str,
}

impl CliProve<'_> {
    /// Writes applicant `row` of `data` as the application `decision_id` in the example's scope
    /// (features named as `policy` names them), proves it, and returns the bundle's path; the
    /// command must succeed (also used by the proven-reasons tests).
    pub(crate) fn applicant(
        &self,
        policy: &Policy,
        data: &Calibration,
        row: usize,
        decision_id: &str,
    ) -> PathBuf {
        let s = |p: &Path| p.display().to_string();
        let application = self.dir.join("application.json");
        fs::write(
            &application,
            serde_json::to_vec(&application_json(policy, data, row, decision_id, self.at)).unwrap(),
        )
        .unwrap();
        let bundle = self.dir.join("bundle.json");
        let args = [
            "prove",
            "--registry",
            &s(self.registry),
            "--trust",
            &s(&self.registry.join("root/1.json")),
            "--policy",
            &s(self.policy),
            "--model",
            &s(self.model),
            "--application",
            &s(&application),
            "--dev-setup",
            "--now",
            self.at,
            "--bb",
            &s(self.bb),
            "-o",
            &s(&bundle),
        ];
        let (exit, out, err) = crate::bundle_support::govproof(&args);
        assert_eq!(exit, Exit::Success, "{args:?}: {out}\n{err}");
        bundle
    }
}

fn read_policy(path: &Path) -> Policy {
    let file = SourceFile::new(
        path.display().to_string(),
        fs::read_to_string(path).unwrap(),
    );
    check(&file, &Default::default()).policy.unwrap()
}

#[test]
fn applicants_prove_under_the_policies_and_the_unrestricted_scorecard_cannot() {
    circuits_support::bb();
    let ex = example();
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-model-tests");
    let imported: Vec<(ModelFile, Policy)> = ["scorecard", "gbt", "scorecard_unrestricted"]
        .iter()
        .map(|name| {
            let mut file =
                import_model(&ex, name, &ImportPolicy::read(&policy_path(name)).unwrap()).0;
            if *name == "scorecard_unrestricted" {
                file.model_id = ModelId::new("german-credit-scorecard").unwrap();
                file.version = ModelVersion::new("2.0.0").unwrap();
            } else {
                file.model_id = ModelId::new(&format!("german-credit-{name}")).unwrap();
                file.version = ModelVersion::new("1.0.0").unwrap();
            }
            (file, read_policy(&policy_path(name)))
        })
        .collect();
    let set = registry(&imported.iter().map(|(f, _)| f).collect::<Vec<_>>());
    for (k, (file, policy)) in imported.iter().enumerate() {
        let json = compile_cached(
            &file.profile,
            &cache,
            InstallPolicy::InstallIfMissing,
            &mut |m| eprintln!("{m}"),
        )
        .unwrap();
        let artifact = Artifact::from_json_bytes(&file.profile.name(), &json).unwrap();
        let d = decision(
            file,
            policy,
            &set,
            &ex.data,
            k,
            Field::from(k as u64 + 1000),
        );
        if k < 2 {
            assert_eq!(d.first_violation(), None, "{}", file.model_id);
            let solved = execute(&artifact, &d.inputs()).unwrap();
            assert_eq!(solved.public_inputs(), d.statement().to_fields().as_slice());
            circuits_support::proving::prove_and_verify(&artifact, &solved, Some(1));
        } else {
            // The policy allows version 2.0.0, but it weights protected features.
            assert_eq!(d.first_violation(), Some(Constraint::ProtectedFeature));
            match execute(&artifact, &d.inputs()) {
                Err(WitnessError::AssertionFailed { message, .. }) => {
                    assert_eq!(message, Constraint::ProtectedFeature.message())
                }
                other => panic!("expected the protected feature to be refused, got {other:?}"),
            }
        }
    }
}
