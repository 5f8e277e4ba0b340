//! The decision path a credit service embeds, in three steps:
//!
//! 1. [`DecisionContext::prepare`] runs the model natively and checks every constraint of the
//!    circuit natively (registry snapshot at the decision time, policy scope and window, allowed
//!    model, protected features, feature ranges, band). A decision the policy or the registry
//!    forbids comes back as a [`Refusal`] with every reason, a value and never proved; one that
//!    passes comes back as a [`PreparedDecision`]: the witness (solved in-process), the public
//!    inputs and the opening of the input commitment.
//! 2. Any [`ProofBackend`] proves it: one warm [`crate::prover::Prover`], the
//!    [`crate::prover::pool::ProverPool`], or the service's own.
//! 3. [`DecisionContext::seal`] checks the proof's setup, target and public inputs against the
//!    prepared ones and assembles the [`crate::bundle::Bundle`] (which holds neither the features
//!    nor the salt; those are the [`InputOpening`] the lender keeps).
//!
//! [`DecisionContext::decide`] does all three. The context is built once from [`DecisionParts`],
//! whose four fields are all required, so a context without a registry, a policy, a model or a
//! setup does not compile:
//!
//! ```compile_fail,E0063
//! # fn demo(
//! #     registry: govproof::decide::TrustedRegistry,
//! #     policy: govproof::policy::Policy,
//! #     model: govproof::decide::Model,
//! # ) {
//! let parts = govproof::decide::DecisionParts { registry, policy, model }; // no setup
//! # }
//! ```
//!
//! The context is `Send + Sync` and every method takes `&self`: share one (in an `Arc`, or by
//! reference in scoped threads) across a service's threads. [`load`] reads its parts from files
//! with errors that name the file and the problem.
//!
//! [`case::prove_case`] proves one policy test case end to end (for `govproof policy test
//! --prove`); [`reference`] builds the deterministic reference model and application that
//! `govproof demo` proves.

pub mod backend;
pub mod case;
pub mod context;
pub mod load;
pub mod reference;

pub use backend::ProofBackend;
// The opening is read by verifiers too: it lives in govproof-core (docs/core.md).
pub use context::{
    ContextOptions, Decided, DecisionContext, DecisionParts, Preparation, PreparedDecision,
};
pub use govproof_core::opening::{InputOpening, OpeningError, MAX_OPENING_BYTES};

use std::fmt;
use std::time::Duration;

use crate::artifact::ArtifactError;
use crate::bundle::keys::{PinError, REGENERATE};
use crate::bundle::{Bundle, DecisionId, OutcomeClaim, PolicyName};
use crate::circuits::{
    fixed, CircuitOutcome, Constraint, DecisionError, Features, ModelError, PolicyEncoding,
    Profile, QuantizedModel, Score,
};
use crate::policy::{Decision as PolicyDecision, Policy};
use crate::prover::ProverError;
use crate::registry::names::{ModelId, ModelVersion};
use crate::registry::{
    EntrySet, RegistryDir, Scope, Signed, Snapshot, Timestamp, TrustState, VerifiedRegistry,
};
use crate::toolchain::ToolchainError;
use crate::witness::WitnessError;

/// A model version as the registry approved it: its id, its version and its quantized weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    id: ModelId,
    version: ModelVersion,
    weights: QuantizedModel,
}

impl Model {
    /// The model `id` at `version` with these weights.
    pub fn new(id: ModelId, version: ModelVersion, weights: QuantizedModel) -> Self {
        Model {
            id,
            version,
            weights,
        }
    }

    /// The model id.
    pub fn id(&self) -> &ModelId {
        &self.id
    }

    /// The model version.
    pub fn version(&self) -> &ModelVersion {
        &self.version
    }

    /// The quantized weights.
    pub fn weights(&self) -> &QuantizedModel {
        &self.weights
    }
}

/// A registry version checked against a trust root: the signed snapshot (which goes into every
/// bundle), its entries (checked against the signed Merkle root) and the trust state after
/// accepting it.
#[derive(Debug, Clone)]
pub struct TrustedRegistry {
    snapshot: Signed<Snapshot>,
    registry: VerifiedRegistry,
    trust: TrustState,
}

impl TrustedRegistry {
    /// Verifies the registry folder `dir` for a client that trusts `trust`, judging expiry at
    /// `now` (see [`RegistryDir::verify`]), and keeps its signed snapshot.
    pub fn open(
        dir: &RegistryDir,
        trust: &TrustState,
        now: Timestamp,
    ) -> Result<TrustedRegistry, DecideError> {
        let (registry, trust) = dir.verify(trust, now)?;
        // The snapshot as verified, not read again from the folder (which may have changed).
        let snapshot = registry.snapshot().signed();
        Ok(TrustedRegistry {
            snapshot,
            registry,
            trust,
        })
    }

    /// A registry held in memory: `snapshot` is checked against `trust` at `now`, and `entries`
    /// against the snapshot's Merkle root.
    pub fn from_parts(
        snapshot: Signed<Snapshot>,
        entries: EntrySet,
        trust: &TrustState,
        now: Timestamp,
    ) -> Result<TrustedRegistry, DecideError> {
        let verified = trust.check_snapshot(&snapshot, now)?;
        let registry = verified.check_entries(entries)?;
        let next = trust.after_registry(&registry);
        Ok(TrustedRegistry {
            snapshot,
            registry,
            trust: next,
        })
    }

    /// The signed snapshot bundles carry.
    pub fn snapshot(&self) -> &Signed<Snapshot> {
        &self.snapshot
    }

    /// The verified entries.
    pub fn registry(&self) -> &VerifiedRegistry {
        &self.registry
    }

    /// The trust state after accepting this snapshot.
    pub fn trust(&self) -> &TrustState {
        &self.trust
    }
}

/// One application to decide: the decision's identity, time and scope, and the applicant's
/// features (in the policy's input order, in the circuits' fixed point).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The lender's identifier for this decision.
    pub decision_id: DecisionId,
    /// When the decision is made.
    pub time: Timestamp,
    /// What it is for, where, for which product.
    pub scope: Scope,
    /// The applicant's features.
    pub features: Features,
}

/// Quantizes real feature values (in the policy's units and input order) to the circuits' fixed
/// point, `round(x * 2^16)`: the rounding the policy's ranges use.
pub fn quantize_features(values: &[f64]) -> Result<Features, DecideError> {
    let quantized = values
        .iter()
        .enumerate()
        .map(|(index, &v)| {
            fixed::quantize_feature(v).map_err(|e| DecideError::FeatureValue {
                index,
                reason: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Features::new(quantized)?)
}

/// Where the time of one proof went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProveTimings {
    /// Registry, policy and native constraint checks.
    pub checks: Duration,
    /// Witness generation (acvm, in-process).
    pub witness: Duration,
    /// Proving (bb).
    pub proof: Duration,
}

/// A proved decision.
#[derive(Debug, Clone)]
pub struct Proved {
    /// The bundle to publish or hand to a regulator.
    pub bundle: Bundle,
    /// What opens the input commitment; never part of the bundle.
    pub opening: InputOpening,
    /// The model's score (private; for the lender's own records).
    pub score: Score,
    /// Where the time went.
    pub timings: ProveTimings,
}

/// Why a decision is refused rather than proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The registry snapshot is not valid at the decision time (expired, or its root expired).
    Registry(crate::registry::VerifyError),
    /// The snapshot was created after the decision time.
    SnapshotAfterDecision {
        /// When the snapshot was created.
        created: Timestamp,
        /// The decision time.
        time: Timestamp,
    },
    /// No band of the policy holds the model's score.
    NoBand {
        /// The score as a logit.
        logit: String,
    },
    /// A constraint of the circuit fails, with the details that make it fail.
    Constraint {
        /// The constraint (its message is the circuit's).
        constraint: Constraint,
        /// What in this decision breaks it.
        detail: String,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Registry(e) => write!(f, "the registry snapshot is not valid: {e}"),
            Reason::SnapshotAfterDecision { created, time } => write!(
                f,
                "the registry snapshot was created at {created}, after the decision time {time}"
            ),
            Reason::NoBand { logit } => {
                write!(
                    f,
                    "no band of the policy holds the score (log-odds {logit})"
                )
            }
            Reason::Constraint { constraint, detail } if detail.is_empty() => {
                write!(f, "{constraint}")
            }
            Reason::Constraint { constraint, detail } => write!(f, "{constraint} ({detail})"),
        }
    }
}

/// A decision that was refused, with every reason found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The decision.
    pub decision_id: DecisionId,
    /// Why, in the circuit's order.
    pub reasons: Vec<Reason>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "decision `{}` refused: ", self.decision_id)?;
        let reasons: Vec<String> = self.reasons.iter().map(ToString::to_string).collect();
        f.write_str(&reasons.join("; "))
    }
}

/// Errors from building a prover or proving a decision.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// The policy names a profile the circuits do not know.
    #[error("the policy's profile `{profile}` is not a circuit profile: {reason}")]
    Profile {
        /// The profile name.
        profile: String,
        /// Why.
        reason: String,
    },
    /// The policy cannot be encoded for its circuit, or its encoding disagrees with its hash.
    #[error("the policy cannot be encoded for its circuit: {0}")]
    PolicyEncoding(String),
    /// No verification key is pinned for the profile and the model's registry entry names none,
    /// so no verifier could check its bundles.
    #[error("profile `{profile}` has no pinned circuit (pinned: {known}) and the model's registry entry names no circuit digests; add the model to the registry with `govproof registry add --model FILE`, which records them")]
    UnpinnedCircuit {
        /// The profile.
        profile: String,
        /// The pinned circuits.
        known: String,
    },
    /// The embedded circuit or its key differs from the pinned one (the pins are stale).
    #[error(
        "the pinned verification keys are stale ({what}); regenerate them with `{REGENERATE}`"
    )]
    PinsStale {
        /// What differs.
        what: String,
    },
    /// The profile's circuit could not be generated or compiled.
    #[error("cannot make the circuit: {0}")]
    Circuit(String),
    /// The pin file is unusable.
    #[error(transparent)]
    Pins(#[from] PinError),
    /// The model does not fit the profile, or an input is out of bounds.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A feature value cannot be put in fixed point.
    #[error("feature {index}: {reason}")]
    FeatureValue {
        /// Its position.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The registry has no entry for the model.
    #[error("the registry has no entry for model `{model_id}` version `{version}`")]
    NotInRegistry {
        /// The model id.
        model_id: ModelId,
        /// The version.
        version: ModelVersion,
    },
    /// The registry entry is for other weights or another profile.
    #[error("the registry entry for `{model_id}` version `{version}` {problem}")]
    EntryMismatch {
        /// The model id.
        model_id: ModelId,
        /// The version.
        version: ModelVersion,
        /// What differs.
        problem: String,
    },
    /// The registry could not be verified.
    #[error("the registry does not verify: {0}")]
    Registry(#[from] crate::registry::VerifyError),
    /// The parts of the decision do not fit the profile.
    #[error(transparent)]
    Decision(#[from] DecisionError),
    /// The circuit refused a decision the native checks accepted (the native mirror and the
    /// circuit disagree: a bug).
    #[error("the circuit refused decision `{decision_id}` although every native check passed ({constraint}): {source}")]
    CircuitRefused {
        /// The decision.
        decision_id: DecisionId,
        /// The constraint the circuit named, if it named one.
        constraint: String,
        /// The solver's error.
        source: Box<WitnessError>,
    },
    /// The circuit accepted a decision the native checks refuse (the mirror and the circuit
    /// disagree: a bug).
    #[error("the circuit accepts decision `{decision_id}`, which the native checks refuse")]
    CircuitAccepted {
        /// The decision.
        decision_id: DecisionId,
    },
    /// The proof's public inputs are not the statement's (a bug).
    #[error("the proof's public inputs differ from the decision's statement")]
    PublicInputsDiffer,
    /// The embedded artifact could not be read.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// The toolchain (bb) is missing.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    /// bb failed.
    #[error(transparent)]
    Prover(#[from] ProverError),
    /// No randomness for the salt.
    #[error("no randomness for the commitment salt: {0}")]
    Randomness(String),
    /// The proof backend failed (its error is the source: a [`crate::prover::ProverError`] for one
    /// prover, a [`crate::prover::pool::PoolError`] for a pool).
    #[error("proving failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A proof or a backend that does not belong to this context (another setup, target, bb or
    /// circuit).
    #[error("{0}")]
    BackendMismatch(String),
    /// A file given to a loader cannot be used.
    #[error(transparent)]
    Load(#[from] load::LoadError),
}

impl From<crate::registry::document::DocumentError> for DecideError {
    fn from(e: crate::registry::document::DocumentError) -> Self {
        DecideError::Registry(e.into())
    }
}

/// The circuits' encoding of `policy` for its profile (the policy layer's, the one place that
/// builds it), checked to be for a profile the circuits know and to hash to [`Policy::hash`].
pub fn policy_encoding(policy: &Policy) -> Result<PolicyEncoding, DecideError> {
    let encoding = policy.encoding().clone();
    let name = policy.profile().name();
    Profile::from_name(&name).map_err(|e| DecideError::Profile {
        profile: name.clone(),
        reason: e.to_string(),
    })?;
    if encoding.hash() != policy.hash() {
        return Err(DecideError::PolicyEncoding(format!(
            "the circuit encoding hashes to {} but the policy hash is {}",
            encoding.hash(),
            policy.hash()
        )));
    }
    Ok(encoding)
}

/// The policy's words for a proved outcome: band name and outcome, or the gate's outcome.
pub fn outcome_claim(policy: &Policy, outcome: CircuitOutcome) -> Option<OutcomeClaim> {
    match (policy.decision(), outcome) {
        (PolicyDecision::ScoreBand { bands, .. }, CircuitOutcome::Band(k)) => {
            let band = bands.get(k as usize)?;
            Some(OutcomeClaim::ScoreBand {
                band_index: k,
                band: PolicyName::new(band.name.as_str()).ok()?,
                outcome: band.outcome.into(),
            })
        }
        (
            PolicyDecision::Gate {
                at_or_above, below, ..
            },
            CircuitOutcome::Decision(d),
        ) => Some(OutcomeClaim::Gate {
            decision: d,
            outcome: if d { *at_or_above } else { *below }.into(),
        }),
        _ => None,
    }
}
