//! What a lender deploys, read from one folder and checked before the service starts:
//!
//! | file | what |
//! | --- | --- |
//! | `root.json` | the model registry's signed root: the trust anchor |
//! | `registry/` | the signed model registry (snapshot and entries) |
//! | `policy.toml` | the decision policy |
//! | `reference-model.json` | the model (fixed-point weights, feature names) |
//!
//! This is the layout `govproof demo --dir DIR` writes, so a demo folder can be served as is;
//! [`create_demo`] writes the same files without proving anything. Loading checks the registry
//! against its root at the given time, the policy (`govproof policy check`), and that the model
//! file is byte for byte the one the registry entry approved (its blake3 is in the entry).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use govproof::circuits::QuantizedModel;
use govproof::decide::{Model, TrustedRegistry};
use govproof::demo::{
    demo_model, demo_policy, governance_keys, model_file, publish_registry, Approval, DEMO_POLICY,
    DEMO_THRESHOLD,
};
use govproof::policy::{check, CheckOptions, Policy, SourceFile};
use govproof::registry::entry::Digest;
use govproof::registry::names::{ModelId, ModelVersion};
use govproof::registry::{RegistryDir, Root, Signed, Timestamp, TrustState};
use serde::Deserialize;

/// The registry root file.
pub const ROOT_FILE: &str = "root.json";
/// The registry folder.
pub const REGISTRY_DIR: &str = "registry";
/// The policy file.
pub const POLICY_FILE: &str = "policy.toml";
/// The model file.
pub const MODEL_FILE: &str = "reference-model.json";

/// A checked deployment.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The folder it was read from.
    pub dir: PathBuf,
    /// The registry's root (what verifiers of this lender's bundles trust).
    pub root: Signed<Root>,
    /// The registry, verified against the root.
    pub registry: TrustedRegistry,
    /// The policy.
    pub policy: Policy,
    /// The model the registry approved.
    pub model: Model,
}

/// The model file's fields the service reads (others, like the description, are ignored; the
/// registry's digest covers the whole file anyway).
#[derive(Debug, Deserialize)]
struct ModelFile {
    model_id: String,
    version: String,
    profile: String,
    features: Vec<String>,
    hidden_units: usize,
    fixed_point_scale: u64,
    weights: Vec<i64>,
}

/// Largest deployment file read (the model file's own limit; roots and policies are far smaller).
const MAX_DEPLOYMENT_FILE_BYTES: u64 = govproof::model::file::MAX_FILE_BYTES;

/// Reads a deployment file: regular files only, bounded (a FIFO or `/dev/zero` is refused).
fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    Ok(govproof::input_file::read_input(
        path,
        "deployment file",
        MAX_DEPLOYMENT_FILE_BYTES,
    )?)
}

impl Deployment {
    /// Reads and checks the deployment in `dir` at time `now`.
    pub fn load(dir: &Path, now: Timestamp) -> anyhow::Result<Deployment> {
        Deployment::load_with_model(dir, None, now)
    }

    /// [`Deployment::load`], deciding with the `.govproof` model file at `model` (read by the
    /// SDK's loader: format, weights against their commitment, profile) instead of the
    /// deployment's `reference-model.json`. Either way the file must be byte for byte the one the
    /// registry approved (its blake3 is the entry's model digest).
    pub fn load_with_model(
        dir: &Path,
        model_file: Option<&Path>,
        now: Timestamp,
    ) -> anyhow::Result<Deployment> {
        let root_path = dir.join(ROOT_FILE);
        let root: Signed<Root> = govproof::json::from_slice(&read(&root_path)?)
            .with_context(|| format!("`{}` is not a registry root", root_path.display()))?;
        let trust = TrustState::bootstrap(root.clone())
            .with_context(|| format!("`{}` does not verify", root_path.display()))?;
        let registry_dir = RegistryDir::at(dir.join(REGISTRY_DIR));
        let registry = TrustedRegistry::open(&registry_dir, &trust, now)
            .with_context(|| format!("the registry in `{}`", registry_dir.path().display()))?;

        let policy_path = dir.join(POLICY_FILE);
        let text = String::from_utf8(read(&policy_path)?)
            .with_context(|| format!("`{}` is not UTF-8", policy_path.display()))?;
        let source = SourceFile::new(policy_path.display().to_string(), text);
        let checked = check(
            &source,
            &CheckOptions {
                now: Some(now),
                model: None,
            },
        );
        let policy = checked.policy.ok_or_else(|| {
            anyhow!(
                "`{}` does not check:\n{}",
                policy_path.display(),
                checked.diagnostics.render(&source)
            )
        })?;

        let (model_path, bytes, model) = match model_file {
            Some(path) => {
                let model = govproof::decide::load::model(path)?;
                check_model_fits(&model, &policy)
                    .with_context(|| format!("`{}`", path.display()))?;
                (path.to_path_buf(), read(path)?, model)
            }
            None => {
                let model_path = dir.join(MODEL_FILE);
                let bytes = read(&model_path)?;
                let file: ModelFile = serde_json::from_slice(&bytes)
                    .with_context(|| format!("`{}` is not a model file", model_path.display()))?;
                let model = model_from_file(&file, &policy)
                    .with_context(|| format!("`{}`", model_path.display()))?;
                (model_path, bytes, model)
            }
        };
        let membership = registry
            .registry()
            .membership(model.id(), model.version())
            .ok_or_else(|| {
                anyhow!(
                    "the registry has no entry for model `{}` version `{}`",
                    model.id(),
                    model.version()
                )
            })?;
        let approved = membership.entry.fields().model_digest;
        if approved != Digest::from_bytes(*blake3::hash(&bytes).as_bytes()) {
            bail!(
                "`{}` is not the model file the registry approved (its blake3 differs from the \
                 entry's model digest)",
                model_path.display()
            );
        }
        Ok(Deployment {
            dir: dir.to_path_buf(),
            root,
            registry,
            policy,
            model,
        })
    }
}

/// A `.govproof` model must have the policy's number of features.
fn check_model_fits(model: &Model, policy: &Policy) -> anyhow::Result<()> {
    let n = model.weights().features();
    if n != policy.features().len() {
        bail!(
            "the model takes {n} features, the policy names {}",
            policy.features().len()
        );
    }
    Ok(())
}

fn model_from_file(file: &ModelFile, policy: &Policy) -> anyhow::Result<Model> {
    if file.profile != policy.profile().name() {
        bail!(
            "the model is for profile `{}`, the policy proves with `{}`",
            file.profile,
            policy.profile().name()
        );
    }
    let names: Vec<&str> = policy.features().iter().map(|f| f.name.as_str()).collect();
    if file
        .features
        .iter()
        .map(String::as_str)
        .ne(names.iter().copied())
    {
        bail!("the model's features are not the policy's, in the policy's order");
    }
    if file.fixed_point_scale != 1 << 16 {
        bail!("the model's fixed-point scale must be 2^16");
    }
    let weights =
        QuantizedModel::new(file.features.len(), file.hidden_units, file.weights.clone())?;
    Ok(Model::new(
        ModelId::new(&file.model_id)?,
        ModelVersion::new(&file.version)?,
        weights,
    ))
}

/// Writes a demonstration deployment into `dir` (new or empty): three governance keys (in
/// `keys/`, secret keys mode 0600; any two sign), the project's example policy, the reference
/// model, and a registry that approves it for every scope of the policy from `now` for a year
/// (its snapshot for 30 days). Nothing is proved.
pub fn create_demo(dir: &Path, now: Timestamp) -> anyhow::Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("cannot list `{}`", dir.display()))?
            .next()
            .is_some()
    {
        bail!("`{}` is not empty", dir.display());
    }
    let keys = governance_keys(&dir.join("keys"))?;
    let policy = demo_policy(now)?;
    write_new(&dir.join(POLICY_FILE), DEMO_POLICY.as_bytes())?;
    let model = demo_model(&policy)?;
    let model_bytes = model_file(&policy, &model);
    write_new(&dir.join(MODEL_FILE), &model_bytes)?;
    let (_, root) = publish_registry(
        &dir.join(REGISTRY_DIR),
        &keys,
        DEMO_THRESHOLD,
        &[Approval {
            model: &model,
            model_digest: Digest::from_bytes(*blake3::hash(&model_bytes).as_bytes()),
            policy: &policy,
        }],
        now,
    )?;
    let mut root_text = serde_json::to_string_pretty(&root)?;
    root_text.push('\n');
    write_new(&dir.join(ROOT_FILE), root_text.as_bytes())
}

/// Writes a file that must not exist yet, and flushes it.
fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write `{}`", path.display()))
}
