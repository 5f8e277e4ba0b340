//! The prover API a credit service embeds: one call proves one decision and returns a proof
//! bundle.
//!
//! ```no_run
//! # fn demo(
//! #     registry: govproof::decide::TrustedRegistry,
//! #     policy: govproof::policy::Policy,
//! #     model: govproof::decide::Model,
//! #     setup: govproof::setup::Setup,
//! #     application: govproof::decide::Application,
//! # ) -> Result<(), govproof::decide::DecideError> {
//! use govproof::decide::DecisionProver;
//!
//! let mut prover = DecisionProver::builder()
//!     .registry(registry) // a signed snapshot checked against a trust root
//!     .policy(policy)     // a checked policy file
//!     .model(model)       // the approved model version and its weights
//!     .setup(setup)       // Ignition (or, through `setup::dangerous`, development)
//!     .build()?;          // only compiles once all four are given
//! let proved = prover.prove(&application)?;
//! std::fs::write("bundle.json", proved.bundle.to_json_pretty()).unwrap();
//! // keep `proved.opening` (features and salt) where the applicant can ask for it
//! # Ok(()) }
//! ```
//!
//! A prover missing one of the four parts does not compile (there is no `build` to call), and
//! neither does one given a part twice:
//!
//! ```compile_fail,E0599
//! # fn demo(
//! #     registry: govproof::decide::TrustedRegistry,
//! #     policy: govproof::policy::Policy,
//! #     model: govproof::decide::Model,
//! # ) {
//! let prover = govproof::decide::DecisionProver::builder()
//!     .registry(registry)
//!     .policy(policy)
//!     .model(model)
//!     .build(); // no setup
//! # }
//! ```
//!
//! ```compile_fail,E0599
//! # fn demo(policy: govproof::policy::Policy, other: govproof::policy::Policy) {
//! let builder = govproof::decide::DecisionProver::builder()
//!     .policy(policy)
//!     .policy(other); // a policy was already given
//! # }
//! ```
//!
//! [`DecisionProver::prove`] runs the model natively, checks every constraint of the circuit
//! natively first (a decision the policy or the registry forbids is refused with its reasons, never
//! proved: [`DecideError::Refused`]), solves the witness in-process, proves with a warm bb, and
//! returns a [`crate::bundle::Bundle`] that holds neither the features nor the salt; those come
//! back separately as an [`InputOpening`]. [`DecisionProver::prove_batch`] proves many decisions
//! with the same warm prover, one result per application.
//!
//! [`case::prove_case`] proves one policy test case end to end (for `govproof policy test
//! --prove`); [`reference`] builds the deterministic reference model and application that
//! `govproof demo` proves.

pub mod case;
pub mod reference;

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::artifact::{Artifact, ArtifactError};
use crate::bundle::keys::{pinned, PinError, REGENERATE};
use crate::bundle::{
    BbVersion, Bundle, CircuitClaim, DecisionClaim, DecisionId, ModelClaim, OutcomeClaim,
    PolicyClaim, PolicyName, ProofBytes, PublicInputs, RegistryClaim, FORMAT, FORMAT_VERSION,
};
use crate::circuits::{
    fixed, Constraint, Decision, DecisionError, DecisionWitness, Features, ModelError, Outcome,
    PolicyEncoding, Profile, PublicStatement, QuantizedModel, Score,
};
use crate::field::Field;
use crate::policy::{Decision as PolicyDecision, Policy};
use crate::prover::{
    CircuitBytecode, ProofTarget, Prover, ProverError, VerificationKey, WitnessStack,
};
use crate::registry::entry::Digest;
use crate::registry::names::{ModelId, ModelVersion, ProfileName};
use crate::registry::{
    EntrySet, Membership, RegistryDir, Scope, Signed, Snapshot, Timestamp, TrustState,
    VerifiedRegistry,
};
use crate::setup::{Setup, SetupId};
use crate::toolchain::{self, InstallPolicy, ToolchainError};
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

/// What opens a bundle's input commitment: the features and the salt. The bundle never holds
/// them; the lender keeps this so the applicant (or an auditor) can check the commitment.
#[derive(Clone, PartialEq, Eq)]
pub struct InputOpening {
    features: Features,
    salt: Field,
}

impl InputOpening {
    /// The features committed to.
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// The commitment's salt.
    pub fn salt(&self) -> Field {
        self.salt
    }

    /// The commitment these open (equal to the bundle's `input_commitment`).
    pub fn commitment(&self) -> Field {
        self.features.commitment(self.salt)
    }

    /// `{"features": [...], "salt": "0x..."}` with features in fixed point (scale `2^16`).
    pub fn to_json_pretty(&self) -> String {
        let doc = serde_json::json!({
            "features_fixed_point": self.features.values(),
            "salt": self.salt,
            "commitment": self.commitment(),
        });
        let mut text = serde_json::to_string_pretty(&doc)
            .unwrap_or_else(|e| unreachable!("an opening always serializes: {e}"));
        text.push('\n');
        text
    }
}

/// Why an opening file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpeningError {
    /// Not the JSON document [`InputOpening::to_json_pretty`] writes (unknown fields, wrong
    /// types, a salt that is not a canonical field element, ...).
    #[error("not an input opening: {0}")]
    Malformed(String),
    /// A feature value the circuits cannot take.
    #[error("the opening's features are not valid: {0}")]
    Features(String),
}

/// Largest opening file read (features of the largest profile, with room to spare).
pub const MAX_OPENING_BYTES: usize = 64 << 10;

impl InputOpening {
    /// Reads what [`InputOpening::to_json_pretty`] wrote, strictly: no unknown fields, whole
    /// numbers for the features, a canonical field element for the salt and for the stated
    /// commitment.
    ///
    /// The stated commitment is informational and is not compared here: the opening is its
    /// features and salt, and whether they open a bundle's commitment is the verifier's `opening`
    /// check to judge. An applicant who puts their true features into the lender's file (which
    /// then no longer hash to the commitment it states) must hear "this decision was not made on
    /// these features", not "the file is damaged".
    pub fn from_json(bytes: &[u8]) -> Result<InputOpening, OpeningError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            features_fixed_point: Vec<i64>,
            salt: Field,
            commitment: Field,
        }
        if bytes.len() > MAX_OPENING_BYTES {
            return Err(OpeningError::Malformed(format!(
                "it is larger than {MAX_OPENING_BYTES} bytes"
            )));
        }
        let doc: Doc =
            serde_json::from_slice(bytes).map_err(|e| OpeningError::Malformed(e.to_string()))?;
        let features = Features::new(doc.features_fixed_point)
            .map_err(|e| OpeningError::Features(e.to_string()))?;
        // Read for strictness (a canonical field element), judged by the `opening` check.
        let _stated = doc.commitment;
        Ok(InputOpening {
            features,
            salt: doc.salt,
        })
    }
}

impl fmt::Debug for InputOpening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "InputOpening({} features, salt hidden)",
            self.features.len()
        )
    }
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
    /// The decision breaks the policy or the registry: it is not proved.
    #[error("{0}")]
    Refused(Refusal),
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
    /// No verification key is pinned for the profile, so no verifier could check its bundles.
    #[error("profile `{profile}` has no pinned circuit (pinned: {known}); bundles can be made only for circuits the bundled verifier knows")]
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
    /// The registry changed between verifying it and reading its snapshot.
    #[error("the registry changed while it was being read; try again")]
    RegistryChanged,
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
pub fn outcome_claim(policy: &Policy, outcome: Outcome) -> Option<OutcomeClaim> {
    match (policy.decision(), outcome) {
        (PolicyDecision::ScoreBand { bands, .. }, Outcome::Band(k)) => {
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
            Outcome::Decision(d),
        ) => Some(OutcomeClaim::Gate {
            decision: d,
            outcome: if d { *at_or_above } else { *below }.into(),
        }),
        _ => None,
    }
}

/// Marks a part the builder has not been given yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct Missing;

/// Builds a [`DecisionProver`]. [`Builder::build`] exists only once the registry, the policy,
/// the model and the setup are all given, so a prover without one of them does not compile.
#[derive(Debug)]
pub struct Builder<R, P, M, S> {
    registry: R,
    policy: P,
    model: M,
    setup: S,
    target: ProofTarget,
    bb: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    unpinned: bool,
}

impl<R, P, M, S> Builder<R, P, M, S> {
    /// Also accept a profile whose circuit is not pinned (not one of the reference profiles): its
    /// composite is generated and compiled with the pinned toolchain (node and the Noir compiler,
    /// once, then cached), and its bundles name a circuit that `govproof verify` does not know, so
    /// only a verifier given this prover's key can check them. For testing policies
    /// ([`case::prove_case`]), not for decisions anyone relies on.
    pub fn allow_unpinned_circuit(mut self) -> Self {
        self.unpinned = true;
        self
    }

    /// The proof target (default `noir-recursive`; `evm` for the Solidity verifier).
    pub fn target(mut self, target: ProofTarget) -> Self {
        self.target = target;
        self
    }

    /// The bb binary to prove with (default: the installed pinned toolchain's).
    pub fn bb(mut self, path: impl Into<PathBuf>) -> Self {
        self.bb = Some(path.into());
        self
    }

    /// Where verification keys are cached (default: `<govproof home>/cache`).
    pub fn cache_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(path.into());
        self
    }
}

impl<P, M, S> Builder<Missing, P, M, S> {
    /// The registry the model is approved in.
    pub fn registry(self, registry: TrustedRegistry) -> Builder<TrustedRegistry, P, M, S> {
        Builder {
            registry,
            policy: self.policy,
            model: self.model,
            setup: self.setup,
            target: self.target,
            bb: self.bb,
            cache_dir: self.cache_dir,
            unpinned: self.unpinned,
        }
    }
}

impl<R, M, S> Builder<R, Missing, M, S> {
    /// The policy decisions are made under.
    pub fn policy(self, policy: Policy) -> Builder<R, Policy, M, S> {
        Builder {
            registry: self.registry,
            policy,
            model: self.model,
            setup: self.setup,
            target: self.target,
            bb: self.bb,
            cache_dir: self.cache_dir,
            unpinned: self.unpinned,
        }
    }
}

impl<R, P, S> Builder<R, P, Missing, S> {
    /// The model that decides.
    pub fn model(self, model: Model) -> Builder<R, P, Model, S> {
        Builder {
            registry: self.registry,
            policy: self.policy,
            model,
            setup: self.setup,
            target: self.target,
            bb: self.bb,
            cache_dir: self.cache_dir,
            unpinned: self.unpinned,
        }
    }
}

impl<R, P, M> Builder<R, P, M, Missing> {
    /// The trusted setup proofs are made with.
    pub fn setup(self, setup: Setup) -> Builder<R, P, M, Setup> {
        Builder {
            registry: self.registry,
            policy: self.policy,
            model: self.model,
            setup,
            target: self.target,
            bb: self.bb,
            cache_dir: self.cache_dir,
            unpinned: self.unpinned,
        }
    }
}

impl Builder<TrustedRegistry, Policy, Model, Setup> {
    /// Checks that the parts fit together (profile, pinned circuit, registry entry, weights) and
    /// starts the warm prover. Computes (or reads from the cache) the verification key and checks
    /// it against the pinned one.
    pub fn build(self) -> Result<DecisionProver, DecideError> {
        let encoding = policy_encoding(&self.policy)?;
        let profile = *encoding.profile();
        self.model.weights.check_profile(&profile)?;

        let pins = pinned()?;
        let pin = pins.circuit(&profile.name());
        let (circuit_id, artifact) = match pin {
            Some(pin) => {
                let json =
                    crate::noir::embedded(&pin.id).ok_or_else(|| DecideError::PinsStale {
                        what: format!(
                            "circuit `{}` is pinned but not embedded in this build",
                            pin.id
                        ),
                    })?;
                let artifact = Artifact::from_json_bytes(&pin.id, json)?;
                if artifact.digest().as_bytes() != pin.artifact_digest.as_bytes() {
                    return Err(DecideError::PinsStale {
                        what: format!(
                            "the embedded circuit `{}` has digest {}, the pin says {}",
                            pin.id,
                            artifact.digest(),
                            pin.artifact_digest
                        ),
                    });
                }
                (pin.id.clone(), artifact)
            }
            None if self.unpinned => {
                let json = crate::circuits::generate::profile_artifact(
                    &profile,
                    InstallPolicy::InstallIfMissing,
                    &mut |_| {},
                )
                .map_err(|e| DecideError::Circuit(e.to_string()))?;
                (
                    profile.name(),
                    Artifact::from_json_bytes(&profile.name(), &json)?,
                )
            }
            None => {
                return Err(DecideError::UnpinnedCircuit {
                    profile: profile.name(),
                    known: pins.ids().join(", "),
                })
            }
        };

        let membership = self
            .registry
            .registry
            .membership(&self.model.id, &self.model.version)
            .ok_or_else(|| DecideError::NotInRegistry {
                model_id: self.model.id.clone(),
                version: self.model.version.clone(),
            })?;
        let mismatch = |problem: String| DecideError::EntryMismatch {
            model_id: self.model.id.clone(),
            version: self.model.version.clone(),
            problem,
        };
        let entry = membership.entry.fields();
        if entry.weights_commitment != self.model.weights.commitment() {
            return Err(mismatch(format!(
                "commits to weights {}, but the model's weights commit to {}",
                entry.weights_commitment,
                self.model.weights.commitment()
            )));
        }
        if entry.profile.as_str() != profile.name() {
            return Err(mismatch(format!(
                "is for profile `{}`, but the policy proves with `{}`",
                entry.profile,
                profile.name()
            )));
        }

        let home = toolchain::home()?;
        let bb = match self.bb {
            Some(p) => p,
            None => toolchain::ensure(&home, InstallPolicy::RequireInstalled, &mut |_| {})?.bb(),
        };
        let cache = self.cache_dir.unwrap_or_else(|| home.join("cache"));
        let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec())?;
        let mut prover = Prover::new(&bb, &self.setup, &cache)?;
        let vk = prover.verification_key(&circuit, self.target)?;
        let pinned_key = pin.and_then(|p| p.key(self.setup.id(), self.target));
        if let Some(k) = pinned_key {
            if k.vk_hash.as_bytes() != &vk.hash() {
                return Err(DecideError::PinsStale {
                    what: format!(
                        "bb computes verification key {} for `{circuit_id}`, the pin says {}",
                        hex::encode(vk.hash()),
                        k.vk_hash
                    ),
                });
            }
        }
        let bb_version = BbVersion::new(prover.bb_version()).map_err(|e| {
            DecideError::Prover(ProverError::Bb(crate::prover::BbError::Version {
                command: bb.display().to_string(),
                detail: e,
            }))
        })?;
        let circuit_id = ProfileName::new(&circuit_id).map_err(|e| DecideError::PinsStale {
            what: e.to_string(),
        })?;
        let profile_name = ProfileName::new(&profile.name()).map_err(|e| DecideError::Profile {
            profile: profile.name(),
            reason: e.to_string(),
        })?;
        Ok(DecisionProver {
            circuit_claim: CircuitClaim {
                id: circuit_id,
                profile: profile_name,
                artifact_digest: Digest::from_bytes(*artifact.digest().as_bytes()),
                vk_hash: Digest::from_bytes(vk.hash()),
                bb_version,
                proof_target: self.target,
            },
            vk_pinned: pinned_key.is_some(),
            profile,
            encoding,
            policy: self.policy,
            model: self.model,
            registry: self.registry,
            membership,
            artifact,
            circuit,
            prover,
            vk,
            target: self.target,
        })
    }
}

/// A warm prover for one registry version, policy, model and setup (see the module docs).
pub struct DecisionProver {
    profile: Profile,
    encoding: PolicyEncoding,
    policy: Policy,
    model: Model,
    registry: TrustedRegistry,
    membership: Membership,
    artifact: Artifact,
    circuit: CircuitBytecode,
    prover: Prover,
    vk: VerificationKey,
    target: ProofTarget,
    circuit_claim: CircuitClaim,
    vk_pinned: bool,
}

impl fmt::Debug for DecisionProver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DecisionProver({} {} under policy {} {}, {}, {})",
            self.model.id,
            self.model.version,
            self.policy.id().as_str(),
            self.policy.version().as_str(),
            self.profile.name(),
            self.prover.setup().id()
        )
    }
}

fn random_salt() -> Result<Field, DecideError> {
    let mut wide = [0u8; 64];
    getrandom::getrandom(&mut wide).map_err(|e| DecideError::Randomness(e.to_string()))?;
    Ok(Field::from_wide_bytes_reduce(&wide))
}

impl DecisionProver {
    /// A builder with nothing given yet.
    pub fn builder() -> Builder<Missing, Missing, Missing, Missing> {
        Builder {
            registry: Missing,
            policy: Missing,
            model: Missing,
            setup: Missing,
            target: ProofTarget::default(),
            bb: None,
            cache_dir: None,
            unpinned: false,
        }
    }

    /// The circuit profile decisions are proved with.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The registry.
    pub fn registry(&self) -> &TrustedRegistry {
        &self.registry
    }

    /// The setup proofs are made with.
    pub fn setup_id(&self) -> SetupId {
        self.prover.setup().id()
    }

    /// The verification key proofs verify under.
    pub fn verification_key(&self) -> &VerificationKey {
        &self.vk
    }

    /// Whether that key is pinned in this build (always for the development setup; for Ignition
    /// only once the Ignition keys were generated).
    pub fn key_is_pinned(&self) -> bool {
        self.vk_pinned
    }

    /// What the circuit would do with `application`: the decision (statement and witness) when
    /// every native check passes, otherwise the refusal with every reason. Nothing is proved.
    pub fn check(&self, application: &Application, salt: Field) -> Result<Decision, DecideError> {
        let (decision, reasons) = self.assess(application, salt)?;
        if reasons.is_empty() {
            Ok(decision)
        } else {
            Err(DecideError::Refused(Refusal {
                decision_id: application.decision_id.clone(),
                reasons,
            }))
        }
    }

    /// The decision for `application` (with a placeholder band when no band holds the score)
    /// and every reason it would be refused, in the circuit's order.
    fn assess(
        &self,
        application: &Application,
        salt: Field,
    ) -> Result<(Decision, Vec<Reason>), DecideError> {
        let mut reasons = Vec::new();
        let snapshot = &self.registry.snapshot;
        // The verifier's own check of a decision's snapshot (signatures, expiry, revocations the
        // trust state knows), after the clearer reason for a snapshot newer than the decision.
        if snapshot.signed.created() > application.time {
            reasons.push(Reason::SnapshotAfterDecision {
                created: snapshot.signed.created(),
                time: application.time,
            });
        } else if let Err(e) = self.registry.trust.check_decision(
            snapshot,
            &self.model.id,
            &self.model.version,
            application.time,
        ) {
            reasons.push(Reason::Registry(e));
        }
        let score = self.model.weights.score(&application.features)?;
        let outcome = match self.encoding.spec().rule.outcome(score) {
            Some(o) => o,
            None => {
                reasons.push(Reason::NoBand {
                    logit: format!("{:.6}", score.logit()),
                });
                Outcome::Band(0)
            }
        };
        let no_band = !reasons.is_empty() && matches!(reasons.last(), Some(Reason::NoBand { .. }));
        let statement = PublicStatement {
            registry_root: snapshot.signed.merkle_root(),
            policy_hash: self.policy.hash(),
            model_id: self.model.id.label(),
            model_version: self.model.version.label(),
            scope: application.scope.labels(),
            decision_time: application.time.unix(),
            input_commitment: application.features.commitment(salt),
            decision_id: application.decision_id.label(),
            outcome,
        };
        let entry_scopes = self
            .membership
            .entry
            .fields()
            .scopes
            .iter()
            .map(Scope::id)
            .collect();
        let witness = DecisionWitness {
            model: self.model.weights.clone(),
            features: application.features.clone(),
            salt,
            entry: self.membership.leaf.clone(),
            entry_path: self.membership.path.clone(),
            entry_scopes,
            policy: self.encoding.clone(),
        };
        let decision = Decision::new(self.profile, statement, witness)?;
        for c in decision.violations() {
            // The placeholder band of a score outside every band fails its band check; the
            // reason already says why.
            if no_band && matches!(c, Constraint::WrongBand | Constraint::BandIndex) {
                continue;
            }
            reasons.push(Reason::Constraint {
                constraint: c,
                detail: self.explain(c, application),
            });
        }
        Ok((decision, reasons))
    }

    /// Runs a decision the native checks refuse through the circuit's witness solver and returns
    /// the circuit's refusal message (for tests of the policy against the circuit). A circuit
    /// that accepts it is an error: the native mirror and the circuit disagree.
    pub fn circuit_refusal(&self, application: &Application) -> Result<String, DecideError> {
        let (decision, _) = self.assess(application, random_salt()?)?;
        match crate::witness::execute(&self.artifact, &decision.inputs()) {
            Err(WitnessError::AssertionFailed { message, .. }) => Ok(message),
            Err(e) => Ok(e.to_string()),
            Ok(_) => Err(DecideError::CircuitAccepted {
                decision_id: application.decision_id.clone(),
            }),
        }
    }

    /// The details that make constraint `c` fail for `application`, in the policy's words.
    fn explain(&self, c: Constraint, app: &Application) -> String {
        let entry = self.membership.entry.fields();
        let names = |indices: Vec<usize>| {
            indices
                .iter()
                .map(|&i| {
                    self.policy
                        .features()
                        .get(i)
                        .map_or_else(|| format!("#{i}"), |f| format!("`{}`", f.name.as_str()))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match c {
            Constraint::Revoked => format!(
                "`{}` version `{}` is revoked in registry snapshot {}",
                self.model.id,
                self.model.version,
                self.registry.snapshot.signed.version()
            ),
            Constraint::EntryWindow => format!(
                "the entry is valid from {} until {}, the decision is at {}",
                entry.valid_from, entry.valid_until, app.time
            ),
            Constraint::ScopeNotApproved => format!(
                "the registry approves `{}` for {}, not for `{}`",
                self.model.id,
                entry
                    .scopes
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                app.scope
            ),
            Constraint::ModelNotAllowed => format!(
                "policy `{}` does not allow `{}@{}`",
                self.policy.id().as_str(),
                self.model.id,
                self.model.version
            ),
            Constraint::ScopeNotAllowed => format!(
                "policy `{}` does not allow scope `{}`",
                self.policy.id().as_str(),
                app.scope
            ),
            Constraint::PolicyWindow => format!(
                "the policy is valid from {} until {}, the decision is at {}",
                self.policy.valid_from(),
                self.policy.valid_until(),
                app.time
            ),
            Constraint::ProtectedFeature => {
                let w = &self.model.weights;
                let weighted = self
                    .policy
                    .protected()
                    .iter()
                    .copied()
                    .filter(|&i| w.uses_feature(i))
                    .collect();
                format!("the model weights {}", names(weighted))
            }
            Constraint::FeatureRange => {
                let outside = self
                    .policy
                    .features()
                    .iter()
                    .zip(app.features.values())
                    .enumerate()
                    .filter(|(_, (f, &x))| x < f.lo || x > f.hi)
                    .map(|(i, _)| i)
                    .collect();
                format!("outside the declared range: {}", names(outside))
            }
            _ => String::new(),
        }
    }

    /// Proves one decision: refuses it with its reasons when the policy or the registry forbid it,
    /// otherwise returns its bundle, the commitment's opening, the score and the timings.
    pub fn prove(&mut self, application: &Application) -> Result<Proved, DecideError> {
        let started = Instant::now();
        let salt = random_salt()?;
        let decision = self.check(application, salt)?;
        let checks = started.elapsed();

        let started = Instant::now();
        let solved = crate::witness::execute(&self.artifact, &decision.inputs()).map_err(|e| {
            let constraint = match &e {
                WitnessError::AssertionFailed { message, .. } => Constraint::from_message(message)
                    .map_or_else(|| format!("`{message}`"), |c| c.to_string()),
                _ => "no named constraint".to_string(),
            };
            DecideError::CircuitRefused {
                decision_id: application.decision_id.clone(),
                constraint,
                source: Box::new(e),
            }
        })?;
        let witness = WitnessStack::from_msgpack(solved.msgpack().to_vec())?;
        let witness_time = started.elapsed();

        let started = Instant::now();
        let proof = self.prover.prove(&self.circuit, &witness, self.target)?;
        let proof_time = started.elapsed();
        let statement = decision.statement();
        if proof.public_inputs() != statement.to_fields().as_slice() {
            return Err(DecideError::PublicInputsDiffer);
        }
        let is_band = matches!(statement.outcome, Outcome::Band(_));
        let public_inputs = PublicInputs::from_fields(proof.public_inputs(), is_band)
            .ok_or(DecideError::PublicInputsDiffer)?;
        let outcome = outcome_claim(&self.policy, statement.outcome).ok_or_else(|| {
            DecideError::PolicyEncoding("the policy has no name for the proved outcome".to_string())
        })?;
        let policy_name =
            |n: &str| PolicyName::new(n).map_err(|e| DecideError::PolicyEncoding(e.to_string()));
        let bundle = Bundle {
            format: FORMAT.to_string(),
            version: FORMAT_VERSION,
            circuit: self.circuit_claim.clone(),
            setup: proof.setup(),
            registry: RegistryClaim {
                snapshot: self.registry.snapshot.clone(),
            },
            policy: PolicyClaim {
                id: policy_name(self.policy.id().as_str())?,
                version: policy_name(self.policy.version().as_str())?,
                hash: self.policy.hash(),
            },
            model: ModelClaim {
                id: self.model.id.clone(),
                version: self.model.version.clone(),
            },
            decision: DecisionClaim {
                id: application.decision_id.clone(),
                time: application.time,
                scope: application.scope.clone(),
                outcome,
            },
            input_commitment: statement.input_commitment,
            public_inputs,
            proof: ProofBytes::new(proof.to_bytes())
                .map_err(|_| DecideError::Prover(ProverError::ProofEncoding))?,
        };
        Ok(Proved {
            bundle,
            opening: InputOpening {
                features: application.features.clone(),
                salt,
            },
            score: decision.score(),
            timings: ProveTimings {
                checks,
                witness: witness_time,
                proof: proof_time,
            },
        })
    }

    /// Proves many decisions with the same warm prover: one result per application, in order (a
    /// refused decision does not stop the others).
    pub fn prove_batch(
        &mut self,
        applications: &[Application],
    ) -> Vec<Result<Proved, DecideError>> {
        applications.iter().map(|a| self.prove(a)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opening() -> InputOpening {
        InputOpening {
            features: Features::new(vec![65_536, -131_072, 0, 7]).unwrap(),
            salt: Field::from(0x5a17u64),
        }
    }

    #[test]
    fn an_opening_reads_back_what_it_wrote_and_nothing_else() {
        let o = opening();
        let text = o.to_json_pretty();
        assert_eq!(InputOpening::from_json(text.as_bytes()).unwrap(), o);

        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["extra"] = serde_json::json!(1);
        assert!(matches!(
            InputOpening::from_json(doc.to_string().as_bytes()),
            Err(OpeningError::Malformed(m)) if m.contains("unknown field")
        ));

        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["features_fixed_point"][0] = serde_json::json!(1.5);
        assert!(matches!(
            InputOpening::from_json(doc.to_string().as_bytes()),
            Err(OpeningError::Malformed(_))
        ));

        // A salt at or above the field's modulus is not canonical.
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["salt"] =
            serde_json::json!("0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001");
        assert!(matches!(
            InputOpening::from_json(doc.to_string().as_bytes()),
            Err(OpeningError::Malformed(_))
        ));

        // Features edited after the lender wrote the file read as they are: the verifier's
        // `opening` check, not the reader, says they do not open the commitment.
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["features_fixed_point"][3] = serde_json::json!(8);
        let edited = InputOpening::from_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(edited.features().values()[3], 8);
        assert_ne!(edited.commitment(), o.commitment());

        let big = vec![b' '; MAX_OPENING_BYTES + 1];
        assert!(matches!(
            InputOpening::from_json(&big),
            Err(OpeningError::Malformed(m)) if m.contains("larger than")
        ));
    }
}
