//! A deployment that decides with a lender's own `.govproof` model file (`--model`), as the
//! service loads it: the German Credit scorecard imported from its ONNX file, approved by a
//! registry published for it; and the same folder refusing a model file the registry did not
//! approve.

use std::path::{Path, PathBuf};

use credit_service::deployment::{Deployment, POLICY_FILE, REGISTRY_DIR, ROOT_FILE};
use govproof::demo::{governance_keys, publish_registry, Approval, DEMO_THRESHOLD};
use govproof::model::calibration::Calibration;
use govproof::model::{import, FeatureSchema, ImportPolicy, ImportRequest};
use govproof::policy::{check, CheckOptions, SourceFile};
use govproof::registry::entry::Digest;
use govproof::registry::Timestamp;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../german_credit")
}

#[test]
fn a_deployment_decides_with_the_govproof_file_its_registry_approved_and_no_other() {
    let now = Timestamp::now();
    let dir = tempfile::tempdir().unwrap();
    let deployment = dir.path().join("deployment");
    std::fs::create_dir_all(&deployment).unwrap();
    let policy_path = example().join("policies/german-credit-scorecard.toml");
    std::fs::copy(&policy_path, deployment.join(POLICY_FILE)).unwrap();

    // The lender imports its scorecard (`govproof model import`).
    let schema = FeatureSchema::read(&example().join("features.toml")).unwrap();
    let data = Calibration::read(&example().join("data/german_credit.csv"), &schema).unwrap();
    let bands = ImportPolicy::read(&policy_path).unwrap();
    let onnx = std::fs::read(example().join("models/scorecard.onnx")).unwrap();
    let (file, _) = import(&ImportRequest {
        onnx_name: "scorecard",
        onnx: &onnx,
        schema: &schema,
        calibration: &data,
        policy: Some(&bands),
        profile: None,
        model_id: "german-credit-scorecard",
        version: "1.0.0",
        max_bound: None,
    })
    .unwrap();
    let model_path = dir.path().join("scorecard.govproof");
    let bytes = file.to_bytes();
    std::fs::write(&model_path, &bytes).unwrap();

    // The registry approves exactly those bytes for the policy's scopes.
    let text = std::fs::read_to_string(&policy_path).unwrap();
    let policy = check(
        &SourceFile::new("german-credit-scorecard.toml", text),
        &CheckOptions::default(),
    )
    .policy
    .unwrap();
    let model = govproof::decide::load::model(&model_path).unwrap();
    let keys = governance_keys(&dir.path().join("keys")).unwrap();
    let (_, root) = publish_registry(
        &deployment.join(REGISTRY_DIR),
        &keys,
        DEMO_THRESHOLD,
        &[Approval {
            model: &model,
            model_digest: Digest::from_bytes(*blake3::hash(&bytes).as_bytes()),
            policy: &policy,
        }],
        now,
    )
    .unwrap();
    std::fs::write(
        deployment.join(ROOT_FILE),
        serde_json::to_vec_pretty(&root).unwrap(),
    )
    .unwrap();

    let loaded = Deployment::load_with_model(&deployment, Some(&model_path), now).unwrap();
    assert_eq!(loaded.model.id().as_str(), "german-credit-scorecard");
    assert_eq!(loaded.model.version().as_str(), "1.0.0");
    assert_eq!(loaded.policy.id().as_str(), "german-credit-scorecard");

    // The negative twins: a model file that differs from the approved one by a byte (still a
    // valid file) is refused, and without `--model` the folder has no reference model at all.
    let other = dir.path().join("other.govproof");
    let mut changed = bytes.clone();
    changed.push(b'\n');
    std::fs::write(&other, &changed).unwrap();
    let Err(refused) = Deployment::load_with_model(&deployment, Some(&other), now) else {
        panic!("a model file the registry did not approve was loaded");
    };
    assert!(
        format!("{refused:#}").contains("is not the model file the registry approved"),
        "{refused:#}"
    );
    assert!(Deployment::load(&deployment, now).is_err());
}
