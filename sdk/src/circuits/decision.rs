//! One credit decision as the composite circuit sees it: the public statement, the private
//! witness, the circuit's inputs, and a native evaluation of every constraint (same order, same
//! messages as the circuit), so a bad decision is refused with a precise reason before proving.

use crate::abi::{InputValue, Inputs};
use crate::commit::{scope_id, scope_set_hash, EntryStatus, RegistryLeaf, ScopeLabels};
use crate::field::Field;
use crate::merkle::MerklePath;

use super::fixed::Score;
use super::model::{Features, QuantizedModel};
use super::policy::{CircuitOutcome, DecisionRule, PolicyEncoding};
use super::profile::{DecisionKind, Profile};

/// A constraint of the composite circuit, named by the message the circuit fails with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Constraint {
    /// A weight outside the fixed-point bound.
    #[error("weight is outside the fixed-point bound")]
    WeightBound,
    /// A feature outside the fixed-point bound.
    #[error("feature is outside the fixed-point bound")]
    FeatureBound,
    /// The features and salt do not open the public input commitment.
    #[error("input commitment does not match the features and salt")]
    InputCommitment,
    /// The entry names another model id.
    #[error("entry is for another model id")]
    EntryModelId,
    /// The entry names another model version.
    #[error("entry is for another model version")]
    EntryModelVersion,
    /// The weights do not open the entry's weights commitment.
    #[error("weights do not match the committed weights")]
    WeightsCommitment,
    /// The entry was built for another circuit profile.
    #[error("entry is for another circuit profile")]
    EntryProfile,
    /// The entry and path do not lead to the public registry root.
    #[error("entry is not in the registry")]
    NotInRegistry,
    /// The entry is revoked.
    #[error("entry is revoked")]
    Revoked,
    /// The entry's status is neither approved nor revoked.
    #[error("entry is not approved")]
    NotApproved,
    /// The decision time is outside the entry's validity window.
    #[error("decision time is outside the entry's validity window")]
    EntryWindow,
    /// The approved scope list does not open the entry's scopes hash.
    #[error("approved scope list does not match the entry's scopes hash")]
    EntryScopes,
    /// The scope is not one the entry approves.
    #[error("scope is not among the entry's approved scopes")]
    ScopeNotApproved,
    /// A policy range bound outside the fixed-point bound.
    #[error("policy feature range is outside the fixed-point bound")]
    PolicyRangeBound,
    /// The policy fields do not open the public policy hash.
    #[error("policy does not match the policy hash")]
    PolicyHash,
    /// The public model id is zero, the label that pads a policy's unused model slots.
    #[error("model id is the empty label")]
    EmptyModelId,
    /// The policy does not allow the model.
    #[error("model is not allowed by the policy")]
    ModelNotAllowed,
    /// The policy does not allow the scope.
    #[error("scope is not allowed by the policy")]
    ScopeNotAllowed,
    /// The decision time is outside the policy's validity window.
    #[error("decision time is outside the policy's validity window")]
    PolicyWindow,
    /// The model gives weight to a feature the policy protects.
    #[error("protected feature has non-zero weight")]
    ProtectedFeature,
    /// A feature outside the range the policy declares.
    #[error("feature is outside its declared range")]
    FeatureRange,
    /// The claimed band is not in the policy's table.
    #[error("band index is beyond the policy's band table")]
    BandIndex,
    /// The score is not in the claimed band.
    #[error("score is outside the claimed band")]
    WrongBand,
    /// The decision bit is not `score >= threshold`.
    #[error("decision bit does not match the score and the threshold")]
    WrongDecision,
}

impl Constraint {
    /// Every constraint, in the order the composite circuit checks them.
    pub const ALL: [Constraint; 24] = [
        Constraint::WeightBound,
        Constraint::FeatureBound,
        Constraint::InputCommitment,
        Constraint::EntryModelId,
        Constraint::EntryModelVersion,
        Constraint::WeightsCommitment,
        Constraint::EntryProfile,
        Constraint::NotInRegistry,
        Constraint::Revoked,
        Constraint::NotApproved,
        Constraint::EntryWindow,
        Constraint::EntryScopes,
        Constraint::ScopeNotApproved,
        Constraint::PolicyRangeBound,
        Constraint::PolicyHash,
        Constraint::EmptyModelId,
        Constraint::ModelNotAllowed,
        Constraint::ScopeNotAllowed,
        Constraint::PolicyWindow,
        Constraint::ProtectedFeature,
        Constraint::FeatureRange,
        Constraint::BandIndex,
        Constraint::WrongBand,
        Constraint::WrongDecision,
    ];

    /// The exact message the circuit's assertion carries.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The constraint a circuit assertion message names, so a refused witness can be reported as
    /// a typed reason.
    pub fn from_message(message: &str) -> Option<Constraint> {
        Self::ALL.into_iter().find(|c| c.message() == message)
    }
}

/// The public statement: what a verifier sees and checks the proof against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicStatement {
    /// Root of the signed registry's Merkle tree.
    pub registry_root: Field,
    /// Hash of the policy's field encoding.
    pub policy_hash: Field,
    /// `label(model id)`.
    pub model_id: Field,
    /// `label(model version)`.
    pub model_version: Field,
    /// The decision's scope.
    pub scope: ScopeLabels,
    /// Decision time, Unix seconds.
    pub decision_time: u64,
    /// Commitment to the features and salt.
    pub input_commitment: Field,
    /// The lender's identifier for the decision.
    pub decision_id: Field,
    /// The band index or the yes/no bit.
    pub outcome: CircuitOutcome,
}

impl PublicStatement {
    /// The public inputs in the circuit's order, as field elements (what `bb verify` checks).
    pub fn to_fields(&self) -> Vec<Field> {
        let outcome = match self.outcome {
            CircuitOutcome::Band(k) => Field::from(u64::from(k)),
            CircuitOutcome::Decision(d) => Field::from(d),
        };
        vec![
            self.registry_root,
            self.policy_hash,
            self.model_id,
            self.model_version,
            self.scope.purpose,
            self.scope.jurisdiction,
            self.scope.product,
            Field::from(self.decision_time),
            self.input_commitment,
            self.decision_id,
            outcome,
        ]
    }
}

/// Everything the prover keeps secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionWitness {
    /// The model's quantized weights.
    pub model: QuantizedModel,
    /// The application's features.
    pub features: Features,
    /// The input commitment's salt.
    pub salt: Field,
    /// The model's registry entry.
    pub entry: RegistryLeaf,
    /// Its path in the registry tree.
    pub entry_path: MerklePath,
    /// The scope ids the entry approves (unpadded).
    pub entry_scopes: Vec<Field>,
    /// The policy.
    pub policy: PolicyEncoding,
}

/// Why a decision cannot be turned into circuit inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    /// The model is not the profile's shape.
    #[error(transparent)]
    Model(#[from] super::model::ModelError),
    /// The feature count is not the profile's.
    #[error("profile `{profile}` takes {expected} features, got {given}")]
    Features {
        /// Profile name.
        profile: String,
        /// Expected.
        expected: usize,
        /// Given.
        given: usize,
    },
    /// The policy was encoded for another profile.
    #[error("the policy was encoded for profile `{policy}`, the decision uses `{profile}`")]
    PolicyProfile {
        /// The policy's profile.
        policy: String,
        /// The decision's profile.
        profile: String,
    },
    /// The Merkle path has the wrong depth or its index does not fit it.
    #[error("the registry path must have {depth} siblings and an index below 2^{depth}")]
    PathDepth {
        /// The profile's depth.
        depth: usize,
    },
    /// More approved scopes than the profile holds.
    #[error(transparent)]
    Scopes(#[from] crate::commit::EncodingError),
    /// A band index for a gate profile, or a decision bit for a band profile.
    #[error("profile `{profile}` proves {expected} outcomes")]
    OutcomeKind {
        /// Profile name.
        profile: String,
        /// What the profile's outcome is.
        expected: &'static str,
    },
}

/// A decision ready for the composite circuit of `profile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitDecision {
    profile: Profile,
    statement: PublicStatement,
    witness: DecisionWitness,
}

impl CircuitDecision {
    /// Checks that the parts have the profile's shapes (not that the decision is valid: see
    /// [`CircuitDecision::first_violation`]).
    pub fn new(
        profile: Profile,
        statement: PublicStatement,
        witness: DecisionWitness,
    ) -> Result<Self, DecisionError> {
        witness.model.check_profile(&profile)?;
        if witness.features.len() != profile.features() {
            return Err(DecisionError::Features {
                profile: profile.name(),
                expected: profile.features(),
                given: witness.features.len(),
            });
        }
        // A perceptron with two or more hidden layers has no score when a hidden activation
        // exceeds the bound the next layer takes; the circuit fails on it too.
        witness.model.score(&witness.features)?;
        if *witness.policy.profile() != profile {
            return Err(DecisionError::PolicyProfile {
                policy: witness.policy.profile().name(),
                profile: profile.name(),
            });
        }
        let depth = profile.depth();
        if witness.entry_path.siblings.len() != depth
            || (depth < 64 && witness.entry_path.index >> depth != 0)
        {
            return Err(DecisionError::PathDepth { depth });
        }
        scope_set_hash(&witness.entry_scopes, profile.scopes())?;
        match (profile.kind(), statement.outcome) {
            (DecisionKind::ScoreBand { .. }, CircuitOutcome::Band(_))
            | (DecisionKind::Gate, CircuitOutcome::Decision(_)) => {}
            (DecisionKind::ScoreBand { .. }, CircuitOutcome::Decision(_)) => {
                return Err(DecisionError::OutcomeKind {
                    profile: profile.name(),
                    expected: "band-index",
                })
            }
            (DecisionKind::Gate, CircuitOutcome::Band(_)) => {
                return Err(DecisionError::OutcomeKind {
                    profile: profile.name(),
                    expected: "yes/no",
                })
            }
        }
        Ok(CircuitDecision {
            profile,
            statement,
            witness,
        })
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The public statement.
    pub fn statement(&self) -> &PublicStatement {
        &self.statement
    }

    /// The private witness.
    pub fn witness(&self) -> &DecisionWitness {
        &self.witness
    }

    /// The model's score on the features (private; for the prover's own records).
    pub fn score(&self) -> Score {
        // Decision::new checked the feature count against the model.
        self.witness
            .model
            .score(&self.witness.features)
            .unwrap_or_else(|_| {
                unreachable!("feature count and activations checked in CircuitDecision::new")
            })
    }

    /// The proven reason codes, feature indices with the most negative contributions first, padded
    /// with the none code (the feature count); empty for a profile without proven reasons.
    pub fn reasons(&self) -> Vec<u32> {
        if self.profile.reasons() == 0 {
            return Vec::new();
        }
        // A node-table ensemble: path contributions through its committed node values
        // (Decision::new checked the model against the profile, which needs node values).
        if let Some(c) = self
            .witness
            .model
            .path_contributions(&self.witness.features)
        {
            return super::reasons::reason_codes(&c, self.profile.reasons());
        }
        let Some(baselines) = self.witness.policy.baselines() else {
            return Vec::new();
        };
        // Decision::new checked the model against the profile (linear for reasons, which
        // Profile::with_reasons guarantees) and the feature count; the policy's encoding checked
        // the baseline count.
        super::reasons::reasons(
            &self.witness.model,
            &self.witness.features,
            baselines,
            self.profile.reasons(),
        )
        .unwrap_or_else(|e| unreachable!("shapes checked in Decision::new: {e}"))
    }

    /// Every public input in the circuit's order: the statement's, then the reason codes.
    pub fn public_inputs(&self) -> Vec<Field> {
        let mut out = self.statement.to_fields();
        out.extend(self.reasons().iter().map(|&r| Field::from(u64::from(r))));
        out
    }

    /// The outcome the policy's rule gives this decision's score.
    pub fn expected_outcome(&self) -> Option<CircuitOutcome> {
        self.witness.policy.spec().rule.outcome(self.score())
    }

    /// Every constraint of the composite circuit, evaluated natively in the circuit's order:
    /// the first one that fails (the one the circuit reports), or `None` when the decision is
    /// valid and would prove.
    pub fn first_violation(&self) -> Option<Constraint> {
        self.violations().into_iter().next()
    }

    /// All failing constraints, in the circuit's order.
    pub fn violations(&self) -> Vec<Constraint> {
        let s = &self.statement;
        let w = &self.witness;
        let p = &self.profile;
        let mut out = Vec::new();
        let mut fail = |c: Constraint, broken: bool| {
            if broken {
                out.push(c);
            }
        };
        let weights_commitment = w.model.commitment();
        fail(
            Constraint::InputCommitment,
            w.features.commitment(w.salt) != s.input_commitment,
        );
        let scope = scope_id(&s.scope);
        // Registry membership.
        let e = &w.entry;
        fail(Constraint::EntryModelId, e.model_id != s.model_id);
        fail(
            Constraint::EntryModelVersion,
            e.model_version != s.model_version,
        );
        fail(
            Constraint::WeightsCommitment,
            e.weights_commitment != weights_commitment,
        );
        fail(Constraint::EntryProfile, e.profile_id != p.id());
        fail(
            Constraint::NotInRegistry,
            w.entry_path.root_from(e.hash()) != s.registry_root,
        );
        fail(Constraint::Revoked, e.status == EntryStatus::Revoked);
        fail(
            Constraint::EntryWindow,
            !(e.valid_from <= s.decision_time && s.decision_time < e.valid_until),
        );
        // Decision::new checked the scope count against the profile.
        let scopes_hash = scope_set_hash(&w.entry_scopes, p.scopes()).unwrap_or_default();
        fail(Constraint::EntryScopes, scopes_hash != e.scopes_hash);
        fail(
            Constraint::ScopeNotApproved,
            !w.entry_scopes.contains(&scope),
        );
        // Policy.
        let policy = &w.policy;
        fail(Constraint::PolicyHash, policy.hash() != s.policy_hash);
        let model = super::policy::ModelRef {
            id: s.model_id,
            version: s.model_version,
        };
        fail(Constraint::EmptyModelId, s.model_id == Field::zero());
        fail(Constraint::ModelNotAllowed, !policy.allows_model(&model));
        fail(Constraint::ScopeNotAllowed, !policy.allows_scope(&scope));
        fail(Constraint::PolicyWindow, !policy.valid_at(s.decision_time));
        fail(
            Constraint::ProtectedFeature,
            !policy.violated_protections(&w.model).is_empty(),
        );
        fail(
            Constraint::FeatureRange,
            !policy.out_of_range_features(&w.features).is_empty(),
        );
        // Outcome.
        let score = self.score();
        match (&policy.spec().rule, s.outcome) {
            (DecisionRule::ScoreBand { edges }, CircuitOutcome::Band(k)) => {
                let k = k as usize;
                if k + 1 >= edges.len() {
                    fail(Constraint::BandIndex, true);
                } else {
                    let inside = edges[k] <= score.units() && score.units() < edges[k + 1];
                    fail(Constraint::WrongBand, !inside);
                }
            }
            (DecisionRule::Gate { threshold }, CircuitOutcome::Decision(d)) => {
                fail(
                    Constraint::WrongDecision,
                    (score.units() >= *threshold) != d,
                );
            }
            // Decision::new refuses an outcome of the other kind.
            _ => {}
        }
        out
    }

    /// The composite circuit's inputs, by parameter name (what [`crate::witness::execute`] takes).
    pub fn inputs(&self) -> Inputs {
        let s = &self.statement;
        let w = &self.witness;
        let mut scopes = w.entry_scopes.clone();
        scopes.resize(self.profile.scopes(), Field::zero());
        let outcome = match s.outcome {
            CircuitOutcome::Band(k) => InputValue::Field(Field::from(u64::from(k))),
            CircuitOutcome::Decision(d) => InputValue::Bool(d),
        };
        let outcome_name = match self.profile.kind() {
            DecisionKind::ScoreBand { .. } => "band_index",
            DecisionKind::Gate => "decision",
        };
        let inputs = Inputs::new()
            .with("registry_root", s.registry_root)
            .with("policy_hash", s.policy_hash)
            .with("model_id", s.model_id)
            .with("model_version", s.model_version)
            .with("purpose", s.scope.purpose)
            .with("jurisdiction", s.scope.jurisdiction)
            .with("product", s.scope.product)
            .with("decision_time", Field::from(s.decision_time))
            .with("input_commitment", s.input_commitment)
            .with("decision_id", s.decision_id)
            .with(outcome_name, outcome)
            .with("weights", fields(&w.model.weight_fields()))
            .with("features", fields(&w.features.to_fields()))
            .with("salt", w.salt)
            .with("entry", entry_input(&w.entry))
            .with("entry_index", Field::from(w.entry_path.index))
            .with("entry_path", fields(&w.entry_path.siblings))
            .with("entry_scopes", fields(&scopes))
            .with("policy", policy_input(&w.policy));
        let reasons = InputValue::array(self.reasons().iter().map(|&r| Field::from(u64::from(r))));
        match w.policy.baselines() {
            Some(baselines) => inputs
                .with("reasons", reasons)
                .with("baselines", fields(&baselines.to_fields()))
                .with("policy_core_hash", w.policy.core_hash()),
            // A tree ensemble's reasons need no baselines (its node values are in the weights).
            None if self.profile.reasons() > 0 => inputs.with("reasons", reasons),
            None => inputs,
        }
    }
}

fn fields(values: &[Field]) -> InputValue {
    InputValue::array(values.iter().copied())
}

/// A registry entry as the circuits' `RegistryEntry` struct input.
pub fn entry_input(e: &RegistryLeaf) -> InputValue {
    InputValue::structure([
        ("model_id", e.model_id),
        ("model_version", e.model_version),
        ("weights_commitment", e.weights_commitment),
        ("profile_id", e.profile_id),
        ("scopes_hash", e.scopes_hash),
        ("valid_from", Field::from(e.valid_from)),
        ("valid_until", Field::from(e.valid_until)),
        ("status", Field::from(e.status as u64)),
        ("meta_digest", e.meta_digest),
    ])
}

/// A policy as the circuits' `Policy` struct input.
pub fn policy_input(policy: &PolicyEncoding) -> InputValue {
    let spec = policy.spec();
    InputValue::structure([
        ("id", InputValue::Field(spec.id)),
        ("version", InputValue::Field(spec.version)),
        (
            "valid_from",
            InputValue::Field(Field::from(spec.valid_from)),
        ),
        (
            "valid_until",
            InputValue::Field(Field::from(spec.valid_until)),
        ),
        (
            "models",
            InputValue::array(
                policy
                    .padded_models()
                    .iter()
                    .map(|m| InputValue::structure([("id", m.id), ("version", m.version)])),
            ),
        ),
        ("scopes", fields(&policy.padded_scopes())),
        (
            "protected",
            InputValue::array(
                policy
                    .padded_protected()
                    .iter()
                    .map(|&i| Field::from(u64::from(i))),
            ),
        ),
        (
            "ranges",
            InputValue::array(spec.ranges.iter().map(|r| {
                InputValue::structure([
                    ("lo", Field::from_i128(r.lo.into())),
                    ("hi", Field::from_i128(r.hi.into())),
                ])
            })),
        ),
        ("rule", fields(&policy.rule_fields())),
        ("meta", InputValue::Field(spec.meta)),
    ])
}
