//! The decision path in three steps: [`DecisionContext::prepare`] (native checks and the witness),
//! proving on any [`ProofBackend`], and [`DecisionContext::seal`] (the bundle).
//!
//! A context is built once from its [`DecisionParts`] (every part is a required field, so a context
//! without a registry, a policy, a model or a setup does not compile) and is then shared: every
//! method takes `&self`, and the context is `Send + Sync`, so one context serves every thread of a
//! service. It owns no bb process; proofs are made by whatever backend the caller hands it (one
//! [`crate::prover::Prover`], a [`crate::prover::pool::ProverPool`], or anything implementing
//! [`ProofBackend`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::artifact::Artifact;
use crate::bundle::keys::pinned;
use crate::bundle::{
    BbVersion, Bundle, CircuitClaim, DecisionClaim, DecisionId, EntryClaim, KeyBytes, ModelClaim,
    PolicyClaim, PolicyName, ProofBytes, PublicInputs, ReasonClaim, ReasonWords, RegistryClaim,
    FORMAT, FORMAT_VERSION,
};
use crate::circuits::{
    CircuitDecision, CircuitOutcome, Constraint, DecisionWitness, PolicyEncoding, Profile,
    PublicStatement, Score,
};
use crate::field::Field;
use crate::policy::Policy;
use crate::prover::pool::{PoolConfig, ProofRequest, ProverPool};
use crate::prover::{
    CircuitBytecode, Proof, ProofDataError, ProofTarget, Prover, ProverError, VerificationKey,
    WitnessStack,
};
use crate::registry::entry::Digest;
use crate::registry::names::ProfileName;
use crate::registry::{Membership, Scope};
use crate::setup::{Setup, SetupId};
use crate::toolchain::{self, InstallPolicy};
use crate::witness::WitnessError;

use super::backend::ProofBackend;
use super::{
    outcome_claim, policy_encoding, Application, DecideError, InputOpening, Model, ProveTimings,
    Proved, Reason, Refusal, TrustedRegistry,
};

/// Everything a decision is made from. Every field is required: a context cannot be built without
/// one of them.
#[derive(Debug, Clone)]
pub struct DecisionParts {
    /// The registry version the model is approved in, checked against a trust root.
    pub registry: TrustedRegistry,
    /// The checked policy decisions are made under.
    pub policy: Policy,
    /// The approved model version and its weights.
    pub model: Model,
    /// The trusted setup proofs are made with (Ignition, or through `setup::dangerous` the
    /// development setup).
    pub setup: Setup,
}

/// How a context proves; the defaults suit a service: the `noir-recursive` target, the installed
/// toolchain's bb, keys cached in the govproof home, only pinned circuits.
#[derive(Debug, Clone, Default)]
pub struct ContextOptions {
    /// The proof target (default `noir-recursive`; `evm` for the Solidity verifier).
    pub target: ProofTarget,
    /// The bb binary (default: the installed pinned toolchain's).
    pub bb: Option<PathBuf>,
    /// Where verification keys are cached (default: `<govproof home>/cache`).
    pub cache_dir: Option<PathBuf>,
    /// Also accept a profile whose circuit is not pinned and whose registry entry names no key for
    /// this setup and target. (A circuit whose entry names its digests needs no flag: its
    /// composite is generated and compiled with the pinned toolchain, once, then cached, and its
    /// bundles carry the key and the entry that vouches for it.) Bundles made under this flag
    /// without such an entry are refused by `govproof verify`. For testing policies and models,
    /// not for decisions anyone relies on.
    pub allow_unpinned_circuit: bool,
}

/// The shared, immutable half of the decision path (see the module documentation).
pub struct DecisionContext {
    profile: Profile,
    encoding: PolicyEncoding,
    policy: Policy,
    model: Model,
    registry: TrustedRegistry,
    membership: Membership,
    setup: Setup,
    artifact: Artifact,
    circuit: Arc<CircuitBytecode>,
    vk: VerificationKey,
    target: ProofTarget,
    circuit_claim: CircuitClaim,
    /// The entry a bundle carries when its circuit is not pinned.
    carried_entry: Option<EntryClaim>,
    vk_pinned: bool,
    bb: PathBuf,
    bb_version: String,
    cache_dir: PathBuf,
}

impl fmt::Debug for DecisionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DecisionContext({} {} under policy {} {}, {}, {})",
            self.model.id(),
            self.model.version(),
            self.policy.id().as_str(),
            self.policy.version().as_str(),
            self.profile.name(),
            self.setup.id()
        )
    }
}

/// A decision every native check accepted, with its witness solved: ready to prove.
pub struct PreparedDecision {
    decision_id: DecisionId,
    application: Application,
    decision: CircuitDecision,
    request: ProofRequest,
    opening: InputOpening,
    circuit_hash: crate::prover::CircuitHash,
    timings: ProveTimings,
}

impl fmt::Debug for PreparedDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PreparedDecision({})", self.decision_id)
    }
}

impl PreparedDecision {
    /// The decision's id.
    pub fn decision_id(&self) -> &DecisionId {
        &self.decision_id
    }

    /// The application it decides.
    pub fn application(&self) -> &Application {
        &self.application
    }

    /// What to hand a prover: the circuit, the solved witness and the target.
    pub fn request(&self) -> &ProofRequest {
        &self.request
    }

    /// The public inputs a proof of this decision must carry, in the circuit's order.
    pub fn public_inputs(&self) -> Vec<Field> {
        self.decision.public_inputs()
    }

    /// What opens the input commitment (features and salt); never part of the bundle.
    pub fn opening(&self) -> &InputOpening {
        &self.opening
    }

    /// The model's score (private; for the lender's own records).
    pub fn score(&self) -> Score {
        self.decision.score()
    }

    /// Time spent on the native checks and the witness.
    pub fn timings(&self) -> ProveTimings {
        self.timings
    }
}

/// What [`DecisionContext::prepare`] found: a decision ready to prove, or a refusal with every
/// reason. A refusal is an answer, not an error.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per decision, moved once: the size does not matter
pub enum Preparation {
    /// Every native check passed and the witness is solved.
    Ready(PreparedDecision),
    /// The policy or the registry forbids the decision; nothing is proved.
    Refused(Refusal),
}

/// What [`DecisionContext::decide`] did: proved the decision, or refused it.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per decision, moved once: the size does not matter
pub enum Decided {
    /// The bundle, the opening, the score and the timings.
    Proved(Proved),
    /// The policy or the registry forbids the decision; nothing is proved.
    Refused(Refusal),
}

impl Decided {
    /// The proved decision, or the refusal as an error value.
    pub fn proved(self) -> Result<Proved, Refusal> {
        match self {
            Decided::Proved(p) => Ok(p),
            Decided::Refused(r) => Err(r),
        }
    }
}

fn random_salt() -> Result<Field, DecideError> {
    let mut wide = [0u8; 64];
    getrandom::getrandom(&mut wide).map_err(|e| DecideError::Randomness(e.to_string()))?;
    Ok(Field::from_wide_bytes_reduce(&wide))
}

impl DecisionContext {
    /// [`DecisionContext::with_options`] with the default options.
    pub fn new(parts: DecisionParts) -> Result<DecisionContext, DecideError> {
        DecisionContext::with_options(parts, ContextOptions::default())
    }

    /// Checks that the parts fit together (profile, pinned circuit, registry entry, weights),
    /// and computes (or reads from the cache) the verification key with a short-lived bb, checked
    /// against the pinned one. No bb process outlives the call.
    pub fn with_options(
        parts: DecisionParts,
        options: ContextOptions,
    ) -> Result<DecisionContext, DecideError> {
        let DecisionParts {
            registry,
            policy,
            model,
            setup,
        } = parts;
        let encoding = policy_encoding(&policy)?;
        let profile = *encoding.profile();
        model.weights().check_profile(&profile)?;

        let membership = registry
            .registry()
            .membership(model.id(), model.version())
            .ok_or_else(|| DecideError::NotInRegistry {
                model_id: model.id().clone(),
                version: model.version().clone(),
            })?;
        let mismatch = |problem: String| DecideError::EntryMismatch {
            model_id: model.id().clone(),
            version: model.version().clone(),
            problem,
        };
        let entry = membership.entry.fields();
        if entry.weights_commitment != model.weights().commitment() {
            return Err(mismatch(format!(
                "commits to weights {}, but the model's weights commit to {}",
                entry.weights_commitment,
                model.weights().commitment()
            )));
        }
        if entry.profile.as_str() != profile.name() {
            return Err(mismatch(format!(
                "is for profile `{}`, but the policy proves with `{}`",
                entry.profile,
                profile.name()
            )));
        }

        // An entry that names its circuit vouches for a key this build does not pin.
        let vouched = membership.entry.fields().circuit.clone();
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
            None if vouched.is_some() || options.allow_unpinned_circuit => {
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

        let (bb, cache_dir) = match (options.bb, options.cache_dir) {
            (Some(bb), Some(cache)) => (bb, cache),
            (bb, cache) => {
                let home = toolchain::home()?;
                let bb = match bb {
                    Some(p) => p,
                    None => {
                        toolchain::ensure(&home, InstallPolicy::RequireInstalled, &mut |_| {})?.bb()
                    }
                };
                (bb, cache.unwrap_or_else(|| home.join("cache")))
            }
        };
        let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec())?;
        let target = options.target;
        let mut prover = Prover::new(&bb, &setup, &cache_dir)?;
        let vk = prover.verification_key(&circuit, target)?;
        let bb_version = prover.bb_version().to_string();
        drop(prover);
        let pinned_key = pin.and_then(|p| p.key(setup.id(), target));
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
        if let (None, Some(named)) = (pin, &vouched) {
            if named.bytecode_digest.as_bytes() != artifact.digest().as_bytes() {
                return Err(mismatch(format!(
                    "names circuit bytecode {}, but profile `{}` compiles to {}",
                    named.bytecode_digest,
                    profile.name(),
                    artifact.digest()
                )));
            }
            match named.key(setup.id(), target) {
                Some(k) if k.vk_hash.as_bytes() != &vk.hash() => {
                    return Err(mismatch(format!(
                        "names verification key {} for the {} setup and target `{target}`, but bb \
                         computes {}",
                        k.vk_hash,
                        setup.id(),
                        hex::encode(vk.hash())
                    )))
                }
                None if !options.allow_unpinned_circuit => {
                    return Err(mismatch(format!(
                        "names no verification key for the {} setup and target `{target}`, so no \
                         verifier could check its proofs (add the entry again with `registry add \
                         --model` on a machine with that setup's points)",
                        setup.id()
                    )))
                }
                _ => {}
            }
        }
        // A circuit the verifier's build does not pin travels with its key and the entry (with
        // its Merkle path) whose signed digests vouch for it.
        let (carried_key, carried_entry) = if pin.is_none() {
            let key = KeyBytes::new(vk.as_bytes().to_vec()).map_err(|e| {
                DecideError::Circuit(format!(
                    "bb wrote a verification key a bundle cannot hold: {e}"
                ))
            })?;
            let claim = EntryClaim {
                entry: membership.entry.clone(),
                path: membership.path.clone(),
            };
            (Some(key), Some(claim))
        } else {
            (None, None)
        };
        let bb_claim = BbVersion::new(&bb_version).map_err(|e| {
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
        Ok(DecisionContext {
            circuit_claim: CircuitClaim {
                id: circuit_id,
                profile: profile_name,
                artifact_digest: Digest::from_bytes(*artifact.digest().as_bytes()),
                vk_hash: Digest::from_bytes(vk.hash()),
                bb_version: bb_claim,
                proof_target: target,
                verification_key: carried_key,
            },
            carried_entry,
            vk_pinned: pinned_key.is_some(),
            profile,
            encoding,
            policy,
            model,
            registry,
            membership,
            setup,
            artifact,
            circuit: Arc::new(circuit),
            vk,
            target,
            bb,
            bb_version,
            cache_dir,
        })
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
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// The setup's identity (recorded in every proof and bundle).
    pub fn setup_id(&self) -> SetupId {
        self.setup.id()
    }

    /// The proof target.
    pub fn target(&self) -> ProofTarget {
        self.target
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

    /// The bb binary the context computed its key with (and [`DecisionContext::prover`] and
    /// [`DecisionContext::pool`] start).
    pub fn bb_path(&self) -> &Path {
        &self.bb
    }

    /// What that bb printed as its version.
    pub fn bb_version(&self) -> &str {
        &self.bb_version
    }

    /// The compiled circuit (shared by every proof request).
    pub fn circuit(&self) -> &Arc<CircuitBytecode> {
        &self.circuit
    }

    /// One warm prover (one bb process using every core) on this context's setup, bb and key
    /// cache: the simplest backend.
    pub fn prover(&self) -> Result<Prover, DecideError> {
        Ok(Prover::new(&self.bb, &self.setup, &self.cache_dir)?)
    }

    /// A pool of warm provers on this context's setup, bb and key cache, sized by `config` (one
    /// worker per core by default): the backend for a service proving several decisions at once.
    pub fn pool(&self, config: PoolConfig) -> Result<ProverPool, DecideError> {
        ProverPool::start(&self.bb, &self.setup, &self.cache_dir, config)
            .map_err(|e| DecideError::Backend(Box::new(e)))
    }

    /// Step one: the native checks and, when they pass, the witness, with a fresh random salt for
    /// the input commitment. A decision the policy or the registry forbids comes back as
    /// [`Preparation::Refused`] with every reason; errors are for what is not the applicant's
    /// doing (a bug, a failed randomness source).
    pub fn prepare(&self, application: &Application) -> Result<Preparation, DecideError> {
        self.prepare_with_salt(application, random_salt()?)
    }

    /// [`DecisionContext::prepare`] with the given commitment salt (for reproducible tests; a
    /// service must use a fresh random salt for every decision, or commitments become linkable).
    pub fn prepare_with_salt(
        &self,
        application: &Application,
        salt: Field,
    ) -> Result<Preparation, DecideError> {
        let started = Instant::now();
        let (decision, reasons) = self.assess(application, salt)?;
        if !reasons.is_empty() {
            return Ok(Preparation::Refused(Refusal {
                decision_id: application.decision_id.clone(),
                reasons,
            }));
        }
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
        Ok(Preparation::Ready(PreparedDecision {
            decision_id: application.decision_id.clone(),
            application: application.clone(),
            request: ProofRequest::new(Arc::clone(&self.circuit), witness, self.target),
            opening: InputOpening::new(application.features.clone(), salt),
            circuit_hash: self.circuit.hash(),
            decision,
            timings: ProveTimings {
                checks,
                witness: started.elapsed(),
                proof: Duration::ZERO,
            },
        }))
    }

    /// The native checks of one decision without its witness: the circuit's inputs, or every
    /// reason it is refused. For provers that put several decisions in one circuit (the audit
    /// batch proofs of [`crate::audit::batch`]).
    pub fn assess_row(
        &self,
        application: &Application,
        salt: Field,
    ) -> Result<Result<CircuitDecision, Vec<Reason>>, DecideError> {
        let (decision, reasons) = self.assess(application, salt)?;
        Ok(if reasons.is_empty() {
            Ok(decision)
        } else {
            Err(reasons)
        })
    }

    /// Step two: proves `prepared` on `backend` and seals the proof ([`DecisionContext::seal`]).
    /// The backend must run the bb this context computed its key with.
    pub fn prove<B: ProofBackend + ?Sized>(
        &self,
        prepared: PreparedDecision,
        backend: &mut B,
    ) -> Result<Proved, DecideError> {
        if backend.bb_version() != self.bb_version {
            return Err(DecideError::BackendMismatch(format!(
                "the backend runs bb `{}`, the context's key was computed by bb `{}`",
                backend.bb_version(),
                self.bb_version
            )));
        }
        let started = Instant::now();
        let proof = backend
            .prove(prepared.request())
            .map_err(|e| DecideError::Backend(Box::new(e)))?;
        let proof_time = started.elapsed();
        let mut proved = self.seal(prepared, proof)?;
        proved.timings.proof = proof_time;
        Ok(proved)
    }

    /// Step three: checks that `proof` was made for this context's circuit, setup and target and
    /// proves exactly `prepared`'s public inputs, then assembles the bundle (the one place bundles
    /// are assembled) and returns it with the opening. The proof time in the timings is zero:
    /// whoever proved measures it.
    pub fn seal(&self, prepared: PreparedDecision, proof: Proof) -> Result<Proved, DecideError> {
        if prepared.circuit_hash != self.circuit.hash() {
            return Err(DecideError::BackendMismatch(
                "the decision was prepared by a context with another circuit".to_string(),
            ));
        }
        if proof.setup() != self.setup.id() {
            return Err(DecideError::BackendMismatch(format!(
                "the proof was made with the {} setup, the context proves with the {} setup",
                proof.setup(),
                self.setup.id()
            )));
        }
        if proof.target() != self.target {
            return Err(DecideError::BackendMismatch(format!(
                "the proof is for target `{}`, the context proves for `{}`",
                proof.target(),
                self.target
            )));
        }
        let statement = prepared.decision.statement();
        if proof.public_inputs() != prepared.decision.public_inputs().as_slice() {
            return Err(DecideError::PublicInputsDiffer);
        }
        let is_band = matches!(statement.outcome, CircuitOutcome::Band(_));
        let public_inputs = PublicInputs::from_fields(proof.public_inputs(), is_band)
            .ok_or(DecideError::PublicInputsDiffer)?;
        let outcome = outcome_claim(&self.policy, statement.outcome).ok_or_else(|| {
            DecideError::PolicyEncoding("the policy has no name for the proved outcome".to_string())
        })?;
        let policy_name =
            |n: &str| PolicyName::new(n).map_err(|e| DecideError::PolicyEncoding(e.to_string()));
        let application = &prepared.application;
        let reasons = self.reason_claims(&prepared.decision)?;
        let bundle = Bundle {
            format: FORMAT.to_string(),
            version: FORMAT_VERSION,
            circuit: self.circuit_claim.clone(),
            setup: proof.setup(),
            registry: RegistryClaim {
                snapshot: self.registry.snapshot().clone(),
                entry: self.carried_entry.clone(),
            },
            policy: PolicyClaim {
                id: policy_name(self.policy.id().as_str())?,
                version: policy_name(self.policy.version().as_str())?,
                hash: self.policy.hash(),
            },
            model: ModelClaim {
                id: self.model.id().clone(),
                version: self.model.version().clone(),
            },
            decision: DecisionClaim {
                id: application.decision_id.clone(),
                time: application.time,
                scope: application.scope.clone(),
                outcome,
            },
            input_commitment: statement.input_commitment,
            public_inputs,
            reasons,
            proof: ProofBytes::new(proof.to_bytes())
                .map_err(|_| DecideError::Prover(ProofDataError::ProofEncoding.into()))?,
        };
        Ok(Proved {
            bundle,
            score: prepared.decision.score(),
            opening: prepared.opening,
            timings: prepared.timings,
        })
    }

    /// The decision's proven reasons in the policy's words (none for a profile without reasons).
    fn reason_claims(&self, decision: &CircuitDecision) -> Result<Vec<ReasonClaim>, DecideError> {
        let codes = decision.reasons();
        let Some(explanation) = self.policy.explanation() else {
            return Ok(Vec::new());
        };
        let words = |t: &str| {
            ReasonWords::new(t).ok_or_else(|| {
                DecideError::PolicyEncoding(format!("the reason words `{t}` cannot be in a bundle"))
            })
        };
        codes
            .iter()
            .filter_map(|&c| explanation.reason(c))
            .map(|line| {
                Ok(ReasonClaim {
                    // The explanation has one line per feature, and features are at most 256.
                    index: line.feature as u32,
                    code: words(&line.code)?,
                    feature: words(self.policy.features()[line.feature].name.as_str())?,
                    text: words(&line.text)?,
                })
            })
            .collect()
    }

    /// The three steps at once: prepares `application`, and proves and seals it on `backend`
    /// unless it is refused.
    pub fn decide<B: ProofBackend + ?Sized>(
        &self,
        application: &Application,
        backend: &mut B,
    ) -> Result<Decided, DecideError> {
        match self.prepare(application)? {
            Preparation::Refused(r) => Ok(Decided::Refused(r)),
            Preparation::Ready(p) => Ok(Decided::Proved(self.prove(p, backend)?)),
        }
    }

    /// The decision for `application` (with a placeholder band when no band holds the score)
    /// and every reason it would be refused, in the circuit's order.
    fn assess(
        &self,
        application: &Application,
        salt: Field,
    ) -> Result<(CircuitDecision, Vec<Reason>), DecideError> {
        let mut reasons = Vec::new();
        let snapshot = self.registry.snapshot();
        // The verifier's own check of a decision's snapshot (signatures, expiry, revocations the
        // trust state knows), after the clearer reason for a snapshot newer than the decision.
        if snapshot.signed.created() > application.time {
            reasons.push(Reason::SnapshotAfterDecision {
                created: snapshot.signed.created(),
                time: application.time,
            });
        } else if let Err(e) = self.registry.trust().check_decision(
            snapshot,
            self.model.id(),
            self.model.version(),
            application.time,
        ) {
            reasons.push(Reason::Registry(e));
        }
        let score = self.model.weights().score(&application.features)?;
        let outcome = match self.encoding.spec().rule.outcome(score) {
            Some(o) => o,
            None => {
                reasons.push(Reason::NoBand {
                    logit: format!("{:.6}", score.logit()),
                });
                CircuitOutcome::Band(0)
            }
        };
        let no_band = matches!(reasons.last(), Some(Reason::NoBand { .. }));
        let statement = PublicStatement {
            registry_root: snapshot.signed.merkle_root(),
            policy_hash: self.policy.hash(),
            model_id: self.model.id().label(),
            model_version: self.model.version().label(),
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
            model: self.model.weights().clone(),
            features: application.features.clone(),
            salt,
            entry: self.membership.leaf.clone(),
            entry_path: self.membership.path.clone(),
            entry_scopes,
            policy: self.encoding.clone(),
        };
        let decision = CircuitDecision::new(self.profile, statement, witness)?;
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
                self.model.id(),
                self.model.version(),
                self.registry.snapshot().signed.version()
            ),
            Constraint::EntryWindow => format!(
                "the entry is valid from {} until {}, the decision is at {}",
                entry.valid_from, entry.valid_until, app.time
            ),
            Constraint::ScopeNotApproved => format!(
                "the registry approves `{}` for {}, not for `{}`",
                self.model.id(),
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
                self.model.id(),
                self.model.version()
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
                let w = self.model.weights();
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_and_its_prepared_decisions_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        fn sent<T: Send>() {}
        shared::<DecisionContext>();
        sent::<PreparedDecision>();
        sent::<Proved>();
    }
}
