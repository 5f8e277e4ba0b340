//! The seam between the HTTP service and govproof: an application becomes a prepared decision
//! through the SDK's decision path ([`DecisionContext::prepare`]: registry, model, policy and
//! every circuit constraint checked natively, then the witness solved), the prover pool proves it,
//! and [`DecisionContext::seal`] checks the proof against the prepared public inputs and seals it
//! into the bundle `govproof verify` checks. The service holds no bundle code of its own.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use govproof::bundle::{BundleVerifier, DecisionId, VerifyOptions};
use govproof::decide::{
    quantize_features, reference, Application, ContextOptions, DecideError, DecisionContext,
    DecisionParts, Preparation, PreparedDecision, Proved,
};
use govproof::policy::Policy;
use govproof::prover::Proof;
use govproof::registry::{Root, Scope, Signed, Timestamp, TrustState};
use govproof::setup::{dangerous, AcceptancePolicy, Setup, SetupKind};
use serde::{Deserialize, Serialize};

use crate::deployment::Deployment;

/// Longest decision id the service accepts (the bundle format allows 128).
pub const MAX_DECISION_ID: usize = 128;

/// Checks that `text` is a decision id the service accepts: the bundle format's rules, further
/// limited to `A-Z a-z 0-9 . _ -` so that every id is a plain URL path segment.
pub fn decision_id(text: &str) -> Result<DecisionId, EngineError> {
    let url_safe = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !url_safe || text.is_empty() || text.len() > MAX_DECISION_ID {
        return Err(EngineError::BadInput(format!(
            "decision id `{}` must be 1 to {MAX_DECISION_ID} characters of A-Z a-z 0-9 . _ -",
            text.chars().take(80).collect::<String>()
        )));
    }
    DecisionId::new(text).map_err(|e| EngineError::BadInput(e.to_string()))
}

/// The applicant's features: by name (`{"age": 35, ...}`, every policy feature exactly once) or
/// in the policy's input order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FeaturesInput {
    /// By name.
    Named(BTreeMap<String, f64>),
    /// In the policy's order.
    Ordered(Vec<f64>),
}

/// What `POST /decisions` takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    /// The lender's id for this decision (unique in the decision log).
    pub decision_id: String,
    /// `purpose/jurisdiction/product`, one of the policy's scopes (default: its first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The applicant's features, in the policy's units.
    pub features: FeaturesInput,
}

/// Why a decision was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The request is malformed (HTTP 400).
    #[error("{0}")]
    BadInput(String),
    /// The policy or the registry forbid this decision (HTTP 422); each reason names the broken
    /// constraint in the policy's words.
    #[error("the decision is refused: {}", reasons.join("; "))]
    Refused {
        /// Why, in the circuit's order.
        reasons: Vec<String>,
    },
    /// Something failed that is not the caller's fault (HTTP 500).
    #[error("{0}")]
    Internal(String),
}

impl From<DecideError> for EngineError {
    fn from(e: DecideError) -> EngineError {
        match e {
            e @ (DecideError::FeatureValue { .. } | DecideError::Model(_)) => {
                EngineError::BadInput(e.to_string())
            }
            e => EngineError::Internal(e.to_string()),
        }
    }
}

/// The lender's decision pipeline for one deployment.
pub struct Engine {
    context: DecisionContext,
    root: Signed<Root>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Engine({:?})", self.context)
    }
}

fn internal(e: impl ToString) -> EngineError {
    EngineError::Internal(e.to_string())
}

impl Engine {
    /// Builds the decision context for `deployment` (which checks that policy, model, registry
    /// entry, circuit and its pinned verification key all fit) with `bb`, `setup` and keys cached
    /// in `keys_dir`.
    pub fn new(
        deployment: Deployment,
        bb: &Path,
        setup: &Setup,
        keys_dir: &Path,
    ) -> Result<Engine, EngineError> {
        let context = DecisionContext::with_options(
            DecisionParts {
                registry: deployment.registry,
                policy: deployment.policy,
                model: deployment.model,
                setup: setup.clone(),
            },
            ContextOptions {
                bb: Some(bb.to_path_buf()),
                cache_dir: Some(keys_dir.to_path_buf()),
                ..ContextOptions::default()
            },
        )?;
        Ok(Engine {
            context,
            root: deployment.root,
        })
    }

    /// The SDK's decision context (shared by every request).
    pub fn context(&self) -> &DecisionContext {
        &self.context
    }

    /// The policy decisions are made under.
    pub fn policy(&self) -> &Policy {
        self.context.policy()
    }

    /// What a client needs to build applications: the policy's identity, its features with
    /// their ranges, and its scopes.
    pub fn schema(&self) -> serde_json::Value {
        let p = self.policy();
        let features: Vec<serde_json::Value> = p
            .features()
            .iter()
            .map(|f| serde_json::json!({ "name": f.name.as_str(), "min": f.min, "max": f.max }))
            .collect();
        serde_json::json!({
            "policy": { "id": p.id().as_str(), "version": p.version().as_str(), "hash": p.hash() },
            "model": { "id": self.context.model().id(), "version": self.context.model().version() },
            "profile": p.profile().name(),
            "scopes": p.scopes().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "features": features,
        })
    }

    /// The application for `input`, decided at `time`.
    pub fn application(
        &self,
        input: &ApplicationInput,
        time: Timestamp,
    ) -> Result<Application, EngineError> {
        let policy = self.policy();
        let values = match &input.features {
            FeaturesInput::Ordered(v) => {
                if v.len() != policy.features().len() {
                    return Err(EngineError::BadInput(format!(
                        "expected {} features, got {}",
                        policy.features().len(),
                        v.len()
                    )));
                }
                v.clone()
            }
            FeaturesInput::Named(named) => {
                if let Some(unknown) = named.keys().find(|k| policy.feature_index(k).is_none()) {
                    return Err(EngineError::BadInput(format!(
                        "the policy has no feature `{unknown}`"
                    )));
                }
                policy
                    .features()
                    .iter()
                    .map(|f| {
                        named.get(f.name.as_str()).copied().ok_or_else(|| {
                            EngineError::BadInput(format!("feature `{}` is missing", f.name))
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
        };
        let scope = match &input.scope {
            Some(text) => text
                .parse::<Scope>()
                .map_err(|e| EngineError::BadInput(format!("scope `{text}`: {e}")))?,
            None => policy
                .scopes()
                .first()
                .cloned()
                .ok_or_else(|| internal("the policy allows no scope"))?,
        };
        Ok(Application {
            decision_id: decision_id(&input.decision_id)?,
            time,
            scope,
            features: quantize_features(&values)?,
        })
    }

    /// Checks `application` natively (registry snapshot at the decision time, model, policy rule,
    /// every circuit constraint: a refusal lists every reason) and solves the witness with a fresh
    /// random salt. Nothing is proved yet.
    pub fn prepare(&self, application: &Application) -> Result<PreparedDecision, EngineError> {
        match self.context.prepare(application)? {
            Preparation::Ready(prepared) => Ok(prepared),
            Preparation::Refused(refusal) => Err(EngineError::Refused {
                reasons: refusal.reasons.iter().map(ToString::to_string).collect(),
            }),
        }
    }

    /// Checks that `proof` proves exactly the prepared decision and seals it into its bundle,
    /// with the applicant's opening (the SDK's [`DecisionContext::seal`]).
    pub fn seal(&self, prepared: PreparedDecision, proof: Proof) -> Result<Proved, EngineError> {
        Ok(self.context.seal(prepared, proof)?)
    }

    /// A typical applicant under the policy (the SDK's reference applicant), for warming up.
    pub fn sample_application(&self, decision_id: &str) -> ApplicationInput {
        ApplicationInput {
            decision_id: decision_id.to_string(),
            scope: None,
            features: FeaturesInput::Ordered(reference::reference_applicant(self.policy())),
        }
    }

    /// The verifier a regulator would run on this lender's bundles: the registry root, the
    /// policy file, and the setup's proofs accepted (development proofs only for a development
    /// deployment).
    pub fn bundle_verifier(
        &self,
        bb: &Path,
        work_dir: &Path,
    ) -> Result<BundleVerifier, EngineError> {
        let trust = TrustState::bootstrap(self.root.clone()).map_err(internal)?;
        let acceptance = match self.context.setup().kind() {
            SetupKind::Development => dangerous::accept_development_proofs(),
            _ => AcceptancePolicy::ignition_only(),
        };
        Ok(BundleVerifier::new(VerifyOptions {
            trust,
            policy: Some(self.policy().clone()),
            acceptance,
            bb: Some(bb.to_path_buf()),
            work_dir: work_dir.to_path_buf(),
            ignition_crs: None,
        }))
    }
}
