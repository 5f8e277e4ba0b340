//! The seam between the HTTP service and govproof: an application becomes a prepared decision
//! (native inference, checks and witness), the pool proves it, and the proof becomes a bundle.
//!
//! The lender here is a built-in demonstration deployment: one perceptron on the reference
//! profile, a registry holding its approved entry, and a five-band policy. It is assembled from
//! the SDK's circuit types directly. When the SDK's decision prover (registry, policy and model
//! files in, versioned bundle out) is available, it replaces [`Engine::demo`], [`Engine::prepare`]
//! and [`Engine::seal`]; nothing else in the service depends on how a decision is built.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use govproof::artifact::Artifact;
use govproof::circuits::fixed::{
    edge_from_probability, quantize_feature, quantize_weight, EDGE_MAX, EDGE_MIN,
};
use govproof::circuits::{
    Decision, DecisionRule, DecisionWitness, FeatureRange, Features, ModelRef, Outcome,
    PolicyEncoding, PolicySpec, Profile, PublicStatement, QuantizedModel,
};
use govproof::commit::{label, scope_id, scope_set_hash, EntryStatus, RegistryLeaf, ScopeLabels};
use govproof::field::Field;
use govproof::merkle::{MerklePath, MerkleTree};
use govproof::prover::pool::ProofRequest;
use govproof::prover::{CircuitBytecode, Proof, ProofTarget, Prover, VerificationKey};
use govproof::setup::Setup;
use serde::{Deserialize, Serialize};

/// The bundle format this service writes (until the SDK's bundle format replaces it).
pub const BUNDLE_FORMAT: &str = "credit-service-demo-bundle/1";
/// Longest decision id accepted.
pub const MAX_DECISION_ID: usize = 64;

const MODEL_ID: &str = "demo-scorer";
const MODEL_VERSION: &str = "1.0.0";
const POLICY_ID: &str = "demo-consumer-lending";
const POLICY_VERSION: &str = "2025-01";
const SCOPE: (&str, &str, &str) = ("consumer-credit", "EU-DE", "personal-loan");
/// The demonstration registry entry and policy are valid from 2023-11-14 to 2096-10-02.
const VALID_FROM: u64 = 1_700_000_000;
const VALID_UNTIL: u64 = 4_000_000_000;
/// Features the policy protects (the model gives them zero weight).
const PROTECTED: [u32; 2] = [1, 6];
/// Every feature must lie in `[-FEATURE_BOUND, FEATURE_BOUND]` (real units).
const FEATURE_BOUND: f64 = 100.0;
/// Band edges as default probabilities, and the bands' names.
const BAND_EDGES: [f64; 4] = [0.2, 0.4, 0.6, 0.8];
const BAND_NAMES: [&str; 5] = [
    "decline",
    "refer-high-risk",
    "refer",
    "approve",
    "approve-prime",
];

/// A lender's identifier for one decision: 1 to [`MAX_DECISION_ID`] characters from
/// `A-Z a-z 0-9 . _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DecisionId(String);

impl DecisionId {
    /// Checks `text`.
    pub fn new(text: &str) -> Result<DecisionId, EngineError> {
        let ok = !text.is_empty()
            && text.len() <= MAX_DECISION_ID
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(DecisionId(text.to_string()))
        } else {
            Err(EngineError::BadInput(format!(
                "decision id `{}` must be 1 to {MAX_DECISION_ID} characters of A-Z a-z 0-9 . _ -",
                text.chars().take(80).collect::<String>()
            )))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DecisionId {
    type Error = EngineError;
    fn try_from(s: String) -> Result<DecisionId, EngineError> {
        DecisionId::new(&s)
    }
}

impl From<DecisionId> for String {
    fn from(id: DecisionId) -> String {
        id.0
    }
}

impl fmt::Display for DecisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What `POST /decisions` takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    /// The lender's id for this decision (unique in the decision log).
    pub decision_id: String,
    /// The applicant's features, in the policy's order and units.
    pub features: Vec<f64>,
}

/// Why a decision was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The request is malformed (HTTP 400).
    #[error("{0}")]
    BadInput(String),
    /// The policy or the registry forbid this decision (HTTP 422); each reason names the broken
    /// constraint.
    #[error("the decision is refused: {}", reasons.join("; "))]
    Refused {
        /// Why, in the circuit's order.
        reasons: Vec<String>,
    },
    /// Something failed that is not the caller's fault (HTTP 500).
    #[error("{0}")]
    Internal(String),
}

/// A decision ready to prove.
#[derive(Debug)]
pub struct Prepared {
    id: DecisionId,
    time: u64,
    decision: Decision,
    request: ProofRequest,
}

impl Prepared {
    /// The decision's id.
    pub fn id(&self) -> &DecisionId {
        &self.id
    }

    /// What to hand the prover pool.
    pub fn request(&self) -> ProofRequest {
        self.request.clone()
    }
}

/// The outcome as the service reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeView {
    /// The band's index in the policy's table.
    pub band: u32,
    /// Its name.
    pub name: String,
}

/// What the applicant needs to check that the bundle's input commitment is their application.
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
    /// Its id.
    pub id: DecisionId,
    /// When it was made (Unix seconds).
    pub time: u64,
    /// Its outcome.
    pub outcome: OutcomeView,
    /// The bundle: the public statement and the proof, for anyone to verify.
    pub bundle: serde_json::Value,
    /// The input commitment's opening, for the applicant only (never logged).
    pub opening: Opening,
}

/// The demonstration lender: model, registry entry and path, policy, and the circuit.
pub struct Engine {
    profile: Profile,
    artifact: Artifact,
    circuit: Arc<CircuitBytecode>,
    vk: VerificationKey,
    model: QuantizedModel,
    model_ref: ModelRef,
    scope: ScopeLabels,
    entry: RegistryLeaf,
    path: MerklePath,
    entry_scopes: Vec<Field>,
    registry_root: Field,
    policy: PolicyEncoding,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Engine({MODEL_ID} {MODEL_VERSION}, {})",
            self.profile.name()
        )
    }
}

fn internal(what: &str) -> impl Fn(String) -> EngineError + '_ {
    move |e| EngineError::Internal(format!("{what}: {e}"))
}

/// Deterministic demonstration weights (splitmix64), about +-0.25 in real terms, zero on the
/// protected features.
fn demo_weights(profile: &Profile) -> Result<QuantizedModel, EngineError> {
    let (n, h) = (profile.features(), profile.hidden());
    let mut state = 0x5eed_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % 10_001) as f64 / 20_000.0 - 0.25
    };
    let mut weights = Vec::with_capacity(profile.weight_count());
    for _ in 0..profile.weight_count() {
        weights.push(quantize_weight(next()).map_err(|e| internal("weights")(e.to_string()))?);
    }
    for j in 0..h {
        for &i in &PROTECTED {
            weights[j * n + i as usize] = 0;
        }
    }
    QuantizedModel::new(n, h, weights).map_err(|e| internal("weights")(e.to_string()))
}

impl Engine {
    /// The demonstration lender on the reference profile, with the circuit's verification key
    /// under `setup` (read from the cache in `keys_dir` or computed by `bb`; its hash goes into
    /// every bundle).
    pub fn demo(bb: &Path, setup: &Setup, keys_dir: &Path) -> Result<Engine, EngineError> {
        let profile = Profile::reference_mlp_band();
        let name = profile.name();
        let json = govproof::noir::embedded(&name)
            .ok_or_else(|| EngineError::Internal(format!("circuit `{name}` is not embedded")))?;
        let artifact = Artifact::from_json_bytes(&name, json)
            .map_err(|e| internal("artifact")(e.to_string()))?;
        let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec())
            .map_err(|e| internal("circuit")(e.to_string()))?;
        let vk = Prover::new(bb, setup, keys_dir)
            .and_then(|mut p| p.verification_key(&circuit, ProofTarget::NoirRecursive))
            .map_err(|e| internal("verification key")(e.to_string()))?;
        let model = demo_weights(&profile)?;
        let model_ref = ModelRef::new(MODEL_ID, MODEL_VERSION);
        let scope = ScopeLabels::new(SCOPE.0, SCOPE.1, SCOPE.2);
        let entry_scopes = vec![scope_id(&scope)];
        let entry = RegistryLeaf {
            model_id: model_ref.id,
            model_version: model_ref.version,
            weights_commitment: model.commitment(),
            profile_id: profile.id(),
            scopes_hash: scope_set_hash(&entry_scopes, profile.scopes())
                .map_err(|e| internal("scopes")(e.to_string()))?,
            valid_from: VALID_FROM,
            valid_until: VALID_UNTIL,
            status: EntryStatus::Approved,
            meta_digest: label("demo-scorer-1.0.0-entry"),
        };
        let tree = MerkleTree::new(profile.depth(), vec![entry.hash()])
            .map_err(|e| internal("registry")(e.to_string()))?;
        let path = tree
            .path(0)
            .map_err(|e| internal("registry")(e.to_string()))?;
        let bound =
            quantize_feature(FEATURE_BOUND).map_err(|e| internal("policy")(e.to_string()))?;
        let mut edges = vec![EDGE_MIN];
        for p in BAND_EDGES {
            edges.push(edge_from_probability(p).map_err(|e| internal("policy")(e.to_string()))?);
        }
        edges.push(EDGE_MAX);
        let spec = PolicySpec {
            id: label(POLICY_ID),
            version: label(POLICY_VERSION),
            valid_from: VALID_FROM,
            valid_until: VALID_UNTIL,
            models: vec![model_ref],
            scopes: vec![scope_id(&scope)],
            protected: PROTECTED.to_vec(),
            ranges: vec![
                FeatureRange {
                    lo: -bound,
                    hi: bound
                };
                profile.features()
            ],
            rule: DecisionRule::ScoreBand { edges },
            meta: label("demo-consumer-lending-2025-01-document"),
        };
        let policy =
            PolicyEncoding::new(&profile, spec).map_err(|e| internal("policy")(e.to_string()))?;
        Ok(Engine {
            profile,
            artifact,
            circuit: Arc::new(circuit),
            vk,
            model,
            model_ref,
            scope,
            entry,
            path,
            entry_scopes,
            registry_root: tree.root(),
            policy,
        })
    }

    /// The circuit every decision is proved with.
    pub fn circuit(&self) -> &CircuitBytecode {
        &self.circuit
    }

    /// The circuit's verification key under the service's setup.
    pub fn verification_key(&self) -> &VerificationKey {
        &self.vk
    }

    /// How many features an application has.
    pub fn feature_count(&self) -> usize {
        self.profile.features()
    }

    /// Turns `input` into a decision at `time` with commitment salt `salt`: checks the input,
    /// runs the model, applies the policy, checks every constraint natively, and solves the
    /// circuit's witness. Nothing is proved yet.
    pub fn prepare(
        &self,
        input: &ApplicationInput,
        time: u64,
        salt: Field,
    ) -> Result<Prepared, EngineError> {
        let id = DecisionId::new(&input.decision_id)?;
        if input.features.len() != self.profile.features() {
            return Err(EngineError::BadInput(format!(
                "expected {} features, got {}",
                self.profile.features(),
                input.features.len()
            )));
        }
        let values = input
            .features
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                quantize_feature(x)
                    .map_err(|e| EngineError::BadInput(format!("feature {i} (`{x}`): {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let features = Features::new(values).map_err(|e| EngineError::BadInput(e.to_string()))?;
        let score = self
            .model
            .score(&features)
            .map_err(|e| EngineError::BadInput(e.to_string()))?;
        let outcome =
            self.policy
                .spec()
                .rule
                .outcome(score)
                .ok_or_else(|| EngineError::Refused {
                    reasons: vec!["no band of the policy holds the score".to_string()],
                })?;
        let statement = PublicStatement {
            registry_root: self.registry_root,
            policy_hash: self.policy.hash(),
            model_id: self.model_ref.id,
            model_version: self.model_ref.version,
            scope: self.scope,
            decision_time: time,
            input_commitment: features.commitment(salt),
            decision_id: label(id.as_str()),
            outcome,
        };
        let witness = DecisionWitness {
            model: self.model.clone(),
            features,
            salt,
            entry: self.entry.clone(),
            entry_path: self.path.clone(),
            entry_scopes: self.entry_scopes.clone(),
            policy: self.policy.clone(),
        };
        let decision = Decision::new(self.profile, statement, witness)
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let violations = decision.violations();
        if !violations.is_empty() {
            return Err(EngineError::Refused {
                reasons: violations.iter().map(ToString::to_string).collect(),
            });
        }
        let solved =
            govproof::witness::execute(&self.artifact, &decision.inputs()).map_err(|e| {
                internal("the circuit refused a decision every native check accepted")(
                    e.to_string(),
                )
            })?;
        let witness = govproof::prover::WitnessStack::from_msgpack(solved.msgpack().to_vec())
            .map_err(|e| internal("witness")(e.to_string()))?;
        Ok(Prepared {
            id,
            time,
            request: ProofRequest::new(
                Arc::clone(&self.circuit),
                witness,
                ProofTarget::NoirRecursive,
            ),
            decision,
        })
    }

    /// Binds `proof` to the prepared decision: checks that it proves exactly the decision's
    /// statement and assembles the bundle and the applicant's opening.
    pub fn seal(&self, prepared: Prepared, proof: Proof) -> Result<Sealed, EngineError> {
        let statement = prepared.decision.statement();
        if proof.public_inputs() != statement.to_fields().as_slice() {
            return Err(EngineError::Internal(
                "the proof's public inputs differ from the decision's statement".to_string(),
            ));
        }
        let band = match statement.outcome {
            Outcome::Band(k) => k,
            Outcome::Decision(_) => {
                return Err(EngineError::Internal(
                    "a band profile proved a yes/no outcome".into(),
                ))
            }
        };
        let outcome = OutcomeView {
            band,
            name: BAND_NAMES
                .get(band as usize)
                .unwrap_or(&"unnamed")
                .to_string(),
        };
        let bundle = serde_json::json!({
            "format": BUNDLE_FORMAT,
            "decision_id": prepared.id,
            "decision_time": prepared.time,
            "circuit": self.profile.name(),
            "vk_hash": hex::encode(self.vk.hash()),
            "model": { "id": MODEL_ID, "version": MODEL_VERSION },
            "policy": { "id": POLICY_ID, "version": POLICY_VERSION, "hash": statement.policy_hash },
            "scope": { "purpose": SCOPE.0, "jurisdiction": SCOPE.1, "product": SCOPE.2 },
            "registry_root": statement.registry_root,
            "input_commitment": statement.input_commitment,
            "outcome": outcome,
            "proof": proof,
        });
        let witness = prepared.decision.witness();
        Ok(Sealed {
            id: prepared.id.clone(),
            time: prepared.time,
            outcome,
            bundle,
            opening: Opening {
                features_fixed_point: witness.features.values().to_vec(),
                salt: witness.salt,
                commitment: statement.input_commitment,
            },
        })
    }

    /// The public statement a bundle claims, recomputed from its readable fields, and its proof;
    /// for checking a bundle with a verifier. Refuses a bundle whose proof claims other public
    /// inputs than its fields say.
    pub fn bundle_proof(&self, bundle: &serde_json::Value) -> Result<Proof, String> {
        if bundle["format"] != BUNDLE_FORMAT {
            return Err(format!("not a `{BUNDLE_FORMAT}` bundle"));
        }
        if bundle["vk_hash"] != hex::encode(self.vk.hash()) {
            return Err("the bundle names another verification key".to_string());
        }
        let proof: Proof = serde_json::from_value(bundle["proof"].clone())
            .map_err(|e| format!("unreadable proof: {e}"))?;
        let field = |key: &str| -> Result<Field, String> {
            serde_json::from_value(bundle[key].clone()).map_err(|e| format!("`{key}`: {e}"))
        };
        let id = bundle["decision_id"].as_str().ok_or("no decision id")?;
        let time = bundle["decision_time"].as_u64().ok_or("no decision time")?;
        let band = bundle["outcome"]["band"]
            .as_u64()
            .ok_or("no outcome band")?;
        let band = u32::try_from(band).map_err(|_| "band out of range".to_string())?;
        let claimed = PublicStatement {
            registry_root: field("registry_root")?,
            policy_hash: serde_json::from_value(bundle["policy"]["hash"].clone())
                .map_err(|e| format!("`policy.hash`: {e}"))?,
            model_id: label(bundle["model"]["id"].as_str().ok_or("no model id")?),
            model_version: label(
                bundle["model"]["version"]
                    .as_str()
                    .ok_or("no model version")?,
            ),
            scope: ScopeLabels::new(
                bundle["scope"]["purpose"].as_str().ok_or("no purpose")?,
                bundle["scope"]["jurisdiction"]
                    .as_str()
                    .ok_or("no jurisdiction")?,
                bundle["scope"]["product"].as_str().ok_or("no product")?,
            ),
            decision_time: time,
            input_commitment: field("input_commitment")?,
            decision_id: label(id),
            outcome: Outcome::Band(band),
        };
        if proof.public_inputs() != claimed.to_fields().as_slice() {
            return Err("the proof's public inputs differ from the bundle's statement".to_string());
        }
        Ok(proof)
    }

    /// A valid application (all features zero), for warming the pool up.
    pub fn sample_application(&self, decision_id: &str) -> ApplicationInput {
        ApplicationInput {
            decision_id: decision_id.to_string(),
            features: vec![0.0; self.profile.features()],
        }
    }
}

/// A fresh commitment salt from the operating system's randomness.
pub fn random_salt() -> Result<Field, EngineError> {
    let mut wide = [0u8; 64];
    getrandom::getrandom(&mut wide).map_err(|e| {
        EngineError::Internal(format!("no randomness for the commitment salt: {e}"))
    })?;
    Ok(Field::from_wide_bytes_reduce(&wide))
}
