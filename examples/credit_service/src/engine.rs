//! The seam between the HTTP service and govproof: an application becomes a prepared decision
//! (registry, model, policy and every circuit constraint checked natively by the SDK's
//! [`DecisionProver`], then the witness solved), the prover pool proves it, and the proof is sealed
//! into the SDK's bundle format, which `govproof verify` checks.
//!
//! [`DecisionProver::prove`] does all of this with one bb process; a service proving many
//! decisions at once needs the proving step to go through the pool instead. So this engine uses
//! the decision prover for everything but proving ([`DecisionProver::check`]), proves through the
//! pool, and assembles the bundle from the SDK's public bundle types exactly as
//! `DecisionProver::prove` does (see [`Engine::seal`]; the service's tests verify every bundle
//! with the SDK's bundle verifier, so the two cannot drift apart unnoticed). The decision
//! prover's own bb process stays idle.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use govproof::artifact::Artifact;
use govproof::bundle::{
    BbVersion, Bundle, BundleVerifier, CircuitClaim, DecisionClaim, DecisionId, ModelClaim,
    OutcomeClaim, PolicyClaim, PolicyName, ProofBytes, PublicInputs, RegistryClaim, VerifyOptions,
    FORMAT, FORMAT_VERSION,
};
use govproof::circuits::{Decision, Outcome};
use govproof::decide::{
    outcome_claim, quantize_features, reference, Application, DecideError, DecisionProver,
};
use govproof::field::Field;
use govproof::policy::Policy;
use govproof::prover::pool::ProofRequest;
use govproof::prover::{CircuitBytecode, Proof, ProofTarget, WitnessStack};
use govproof::registry::entry::Digest;
use govproof::registry::names::ProfileName;
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
            DecideError::Refused(refusal) => EngineError::Refused {
                reasons: refusal.reasons.iter().map(ToString::to_string).collect(),
            },
            e @ (DecideError::FeatureValue { .. } | DecideError::Model(_)) => {
                EngineError::BadInput(e.to_string())
            }
            e => EngineError::Internal(e.to_string()),
        }
    }
}

/// A decision ready to prove.
pub struct Prepared {
    application: Application,
    salt: Field,
    decision: Decision,
    request: ProofRequest,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prepared({})", self.application.decision_id)
    }
}

impl Prepared {
    /// The decision's id.
    pub fn id(&self) -> &DecisionId {
        &self.application.decision_id
    }

    /// What to hand the prover pool.
    pub fn request(&self) -> ProofRequest {
        self.request.clone()
    }
}

/// What the applicant needs to open the bundle's input commitment (the same fields as the SDK's
/// `InputOpening`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Opening {
    /// The features as committed (fixed point, scale 2^16).
    pub features_fixed_point: Vec<i64>,
    /// The commitment's random salt.
    pub salt: Field,
    /// The commitment (equal to the bundle's `input_commitment`).
    pub commitment: Field,
}

/// A proved decision.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The bundle, for anyone to verify (`govproof verify`).
    pub bundle: Bundle,
    /// The input commitment's opening, for the applicant only (never logged).
    pub opening: Opening,
}

/// The lender's decision pipeline for one deployment.
pub struct Engine {
    decider: DecisionProver,
    root: Signed<Root>,
    artifact: Artifact,
    circuit: Arc<CircuitBytecode>,
    setup: Setup,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Engine({:?})", self.decider)
    }
}

fn internal(e: impl ToString) -> EngineError {
    EngineError::Internal(e.to_string())
}

impl Engine {
    /// Builds the decision prover for `deployment` (which checks that policy, model, registry
    /// entry, circuit and its pinned verification key all fit) with `bb`, `setup` and keys cached
    /// in `keys_dir`.
    pub fn new(
        deployment: Deployment,
        bb: &Path,
        setup: &Setup,
        keys_dir: &Path,
    ) -> Result<Engine, EngineError> {
        let decider = DecisionProver::builder()
            .registry(deployment.registry)
            .policy(deployment.policy)
            .model(deployment.model)
            .setup(setup.clone())
            .bb(bb)
            .cache_dir(keys_dir)
            .build()?;
        let name = decider.profile().name();
        let json = govproof::noir::embedded(&name)
            .ok_or_else(|| internal(format!("circuit `{name}` is not embedded in this build")))?;
        let artifact = Artifact::from_json_bytes(&name, json).map_err(internal)?;
        let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec())
            .map_err(internal)?;
        Ok(Engine {
            decider,
            root: deployment.root,
            artifact,
            circuit: Arc::new(circuit),
            setup: setup.clone(),
        })
    }

    /// The policy decisions are made under.
    pub fn policy(&self) -> &Policy {
        self.decider.policy()
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
            "model": { "id": self.decider.model().id(), "version": self.decider.model().version() },
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
    /// every circuit constraint: a refusal lists every reason) and solves the witness with salt
    /// `salt`. Nothing is proved yet.
    pub fn prepare(&self, application: Application, salt: Field) -> Result<Prepared, EngineError> {
        let decision = self.decider.check(&application, salt)?;
        let solved =
            govproof::witness::execute(&self.artifact, &decision.inputs()).map_err(|e| {
                internal(format!(
                    "the circuit refused decision `{}`, which every native check accepted: {e}",
                    application.decision_id
                ))
            })?;
        let witness = WitnessStack::from_msgpack(solved.msgpack().to_vec()).map_err(internal)?;
        Ok(Prepared {
            request: ProofRequest::new(
                Arc::clone(&self.circuit),
                witness,
                ProofTarget::NoirRecursive,
            ),
            application,
            salt,
            decision,
        })
    }

    /// Checks that `proof` proves exactly the prepared decision's statement and seals it into a
    /// bundle (the document `DecisionProver::prove` makes), with the applicant's opening.
    /// `bb_version` is what the proving bb printed.
    pub fn seal(
        &self,
        prepared: Prepared,
        proof: &Proof,
        bb_version: &str,
    ) -> Result<Sealed, EngineError> {
        let statement = prepared.decision.statement();
        if proof.public_inputs() != statement.to_fields().as_slice() {
            return Err(internal(
                "the proof's public inputs differ from the decision's statement",
            ));
        }
        let is_band = matches!(statement.outcome, Outcome::Band(_));
        let public_inputs = PublicInputs::from_fields(proof.public_inputs(), is_band)
            .ok_or_else(|| internal("the proof's public inputs are not a decision's"))?;
        let policy = self.policy();
        let outcome: OutcomeClaim = outcome_claim(policy, statement.outcome)
            .ok_or_else(|| internal("the policy has no name for the proved outcome"))?;
        let name = |n: &str| PolicyName::new(n).map_err(internal);
        let profile = ProfileName::new(&self.decider.profile().name()).map_err(internal)?;
        let bundle = Bundle {
            format: FORMAT.to_string(),
            version: FORMAT_VERSION,
            circuit: CircuitClaim {
                // The reference composites are named after their profile.
                id: profile.clone(),
                profile,
                artifact_digest: Digest::from_bytes(*self.artifact.digest().as_bytes()),
                vk_hash: Digest::from_bytes(self.decider.verification_key().hash()),
                bb_version: BbVersion::new(bb_version).map_err(internal)?,
                proof_target: ProofTarget::NoirRecursive,
            },
            setup: proof.setup(),
            registry: RegistryClaim {
                snapshot: self.decider.registry().snapshot().clone(),
            },
            policy: PolicyClaim {
                id: name(policy.id().as_str())?,
                version: name(policy.version().as_str())?,
                hash: policy.hash(),
            },
            model: ModelClaim {
                id: self.decider.model().id().clone(),
                version: self.decider.model().version().clone(),
            },
            decision: DecisionClaim {
                id: prepared.application.decision_id.clone(),
                time: prepared.application.time,
                scope: prepared.application.scope.clone(),
                outcome,
            },
            input_commitment: statement.input_commitment,
            public_inputs,
            proof: ProofBytes::new(proof.to_bytes()).map_err(internal)?,
        };
        Ok(Sealed {
            bundle,
            opening: Opening {
                features_fixed_point: prepared.application.features.values().to_vec(),
                salt: prepared.salt,
                commitment: statement.input_commitment,
            },
        })
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
        let acceptance = match self.setup.kind() {
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

/// A fresh commitment salt from the operating system's randomness.
pub fn random_salt() -> Result<Field, EngineError> {
    let mut wide = [0u8; 64];
    getrandom::getrandom(&mut wide)
        .map_err(|e| internal(format!("no randomness for the commitment salt: {e}")))?;
    Ok(Field::from_wide_bytes_reduce(&wide))
}
