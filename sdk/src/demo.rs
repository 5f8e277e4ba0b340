//! The demonstration's material: the example policy, the reference model, a signed registry that
//! approves it and the reference application. `govproof demo` writes them into a folder and proves
//! one decision from them; benches and tests build the same material in memory.
//!
//! Nothing here is a credit model: the weights are deterministic demonstration values.

use std::path::Path;

use crate::bundle::{DecisionId, DecisionIdError};
use crate::decide::{reference, Application, DecideError, Model};
use crate::policy::{check, CheckOptions, Policy, SourceFile};
use crate::registry::document::DocumentError;
use crate::registry::entry::{Digest, EntryDraft, EntryError};
use crate::registry::keys::{keygen, KeyError, PublicKeyFile, SecretKeyFile};
use crate::registry::names::{NameError, Note, ProfileName};
use crate::registry::store::StoreError;
use crate::registry::time::TimeError;
use crate::registry::{
    Entry, RegistryDir, Root, RootKey, SecretKey, Signed, Status, TimeSpan, Timestamp, Version,
};

/// Why the demonstration's material could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The demo policy does not check (its diagnostics, rendered).
    #[error("the demo policy does not check at {now}:\n{diagnostics}")]
    Policy {
        /// When it was checked.
        now: Timestamp,
        /// The rendered diagnostics.
        diagnostics: String,
    },
    /// The policy allows no model or no scope.
    #[error("the policy allows no {0}")]
    Empty(&'static str),
    /// A folder could not be created.
    #[error("cannot create `{path}`: {source}")]
    CreateDir {
        /// The folder.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key could not be made or read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A name or note is not valid.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A time span or instant is out of range.
    #[error(transparent)]
    Time(#[from] TimeError),
    /// The registry could not be created or published.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A registry document could not be read.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A registry entry is not valid.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// The policy's encoding, the reference weights or the features could not be made.
    #[error(transparent)]
    Decide(#[from] DecideError),
    /// The decision id is not valid.
    #[error(transparent)]
    DecisionId(#[from] DecisionIdError),
    /// The profile's scope capacity does not fit a registry entry.
    #[error("the profile's scope capacity {0} does not fit a registry entry")]
    ScopeCapacity(usize),
}

/// The policy the demo decides under: the project's example `policies/eu-consumer-credit.toml`.
pub const DEMO_POLICY: &str = include_str!("../../policies/eu-consumer-credit.toml");
/// The file name of the demo's policy copy.
pub const POLICY_FILE: &str = "policy.toml";
/// The file name of the demo's model file (the reference model, a `.govproof` file).
pub const MODEL_FILE: &str = "model.govproof";
/// The file name of the demo's application (features by name; private to the lender, 0600).
pub const APPLICATION_FILE: &str = "application.json";
/// Governance keys the demo creates, and how many must sign.
pub const DEMO_KEYS: usize = 3;
/// Signatures a demo snapshot needs.
pub const DEMO_THRESHOLD: u32 = 2;

/// Reads and checks the demo policy text at `now`.
pub fn demo_policy(now: Timestamp) -> Result<Policy, DemoError> {
    let source = SourceFile::new(POLICY_FILE, DEMO_POLICY);
    let checked = check(
        &source,
        &CheckOptions {
            now: Some(now),
            model: None,
        },
    );
    checked.policy.ok_or_else(|| DemoError::Policy {
        now,
        diagnostics: checked.diagnostics.render(&source),
    })
}

/// The reference model for `policy`: the highest allowed version of its first allowed model id,
/// with [`reference::reference_weights`].
pub fn demo_model(policy: &Policy) -> Result<Model, DemoError> {
    let first = policy.models().first().ok_or(DemoError::Empty("model"))?;
    let allowed = policy
        .models()
        .iter()
        .rfind(|m| m.id == first.id)
        .unwrap_or(first);
    let weights = reference::reference_weights(policy, reference::REFERENCE_SEED)?;
    Ok(Model::new(
        allowed.id.clone(),
        allowed.version.clone(),
        weights,
    ))
}

/// The model file the demo writes (the reference weights in fixed point, with the feature names),
/// whose blake3 the registry entry records.
pub fn model_file(policy: &Policy, model: &Model) -> Vec<u8> {
    let doc = serde_json::json!({
        "model_id": model.id(),
        "version": model.version(),
        "profile": policy.profile().name(),
        "description": "govproof reference model (deterministic demonstration weights, not a credit model)",
        "features": policy.features().iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        "hidden_units": model.weights().hidden(),
        "fixed_point_scale": 1u64 << 16,
        "weights": model.weights().weights(),
    });
    let mut text = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| unreachable!("a model file always serializes: {e}"));
    text.push('\n');
    text.into_bytes()
}

/// Creates `keys_dir` and the demonstration's [`DEMO_KEYS`] governance key pairs in it
/// (`governance-<i>.key`, 0600, and `.pub`), and reads each back.
pub fn governance_keys(keys_dir: &Path) -> Result<Vec<SecretKey>, DemoError> {
    std::fs::create_dir_all(keys_dir).map_err(|source| DemoError::CreateDir {
        path: keys_dir.to_path_buf(),
        source,
    })?;
    (1..=DEMO_KEYS)
        .map(|i| {
            let made = keygen(
                &keys_dir.join(format!("governance-{i}")),
                Some(Note::new(&format!("governance key {i}"))?),
            )?;
            PublicKeyFile::read(&made.public_path)?;
            Ok(SecretKey::read(&made.secret_path)?)
        })
        .collect()
}

/// One model version a registry approves, for every scope of a policy.
#[derive(Debug, Clone, Copy)]
pub struct Approval<'a> {
    /// The model.
    pub model: &'a Model,
    /// blake3 of its model file.
    pub model_digest: Digest,
    /// The policy whose scopes and profile the entry gets.
    pub policy: &'a Policy,
}

/// Creates a registry in `dir` whose root holds `keys` (the first `threshold` sign), publishes
/// it, then publishes a snapshot approving each of `approvals` for every scope of its policy from
/// `now` for a year. Returns the registry and its signed root 1.
pub fn publish_registry(
    dir: &Path,
    keys: &[SecretKey],
    threshold: u32,
    approvals: &[Approval<'_>],
    now: Timestamp,
) -> Result<(RegistryDir, Signed<Root>), DemoError> {
    let root_keys = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            Ok(RootKey::new(
                k.public_key(),
                Some(Note::new(&format!("governance key {}", i + 1))?),
            ))
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    let (registry, _) = RegistryDir::init(
        dir,
        root_keys,
        threshold,
        TimeSpan::days(365)?,
        TimeSpan::days(30)?,
        now,
    )?;
    for k in keys.iter().take(threshold as usize) {
        registry.sign(k)?;
    }
    let entries = approvals
        .iter()
        .map(|a| entry(a, now))
        .collect::<Result<Vec<_>, DemoError>>()?;
    registry.add_many(entries, TimeSpan::days(30)?, now)?;
    for k in keys.iter().take(threshold as usize) {
        registry.sign(k)?;
    }
    let root = registry.read_root(Version::FIRST)?;
    Ok((registry, root))
}

fn entry(a: &Approval<'_>, now: Timestamp) -> Result<Entry, DemoError> {
    let profile = *crate::decide::policy_encoding(a.policy)?.profile();
    Ok(Entry::new(EntryDraft {
        model_id: a.model.id().clone(),
        version: a.model.version().clone(),
        weights_commitment: a.model.weights().commitment(),
        model_digest: a.model_digest,
        profile: ProfileName::new(&profile.name())?,
        scope_capacity: u32::try_from(profile.scopes())
            .map_err(|_| DemoError::ScopeCapacity(profile.scopes()))?,
        fixed_point_scale: 1 << 16,
        scopes: a.policy.scopes().to_vec(),
        valid_from: now,
        valid_until: now.checked_add(TimeSpan::days(365)?)?,
        status: Status::Approved,
        approved_by: Note::new("Model Risk Committee (govproof demo)")?,
        approved_at: now,
        quantization_certificate: None,
        circuit: None,
    })?)
}

/// The demo's application: the reference applicant, decided now in the policy's first scope.
pub fn demo_application(policy: &Policy, now: Timestamp) -> Result<Application, DemoError> {
    let scope = policy.scopes().first().ok_or(DemoError::Empty("scope"))?;
    Ok(Application {
        decision_id: DecisionId::new("demo-0001")?,
        time: now,
        scope: scope.clone(),
        features: crate::decide::quantize_features(&reference::reference_applicant(policy))?,
    })
}
