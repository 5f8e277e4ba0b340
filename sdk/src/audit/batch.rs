//! Audit batch proofs: several audit rows in one proof ([`audit_batch_rows`]: six for a
//! perceptron, twenty for a linear model).
//!
//! An audit's rows share everything but their inputs and outcomes: one registry snapshot, one
//! model entry, one policy, one scope and one decision time. The batch circuit of a profile
//! ([`crate::circuits::generate::audit_batch_main`]) proves the single decision's statement for all
//! its rows at once, paying the registry path, the policy hash, the weights commitment and bb's range
//! tables once, and fits the 2^14 rows one decision pads to: a batch costs about one proof.
//!
//! Its public inputs are the single composite's first eight (registry root, policy hash, model id
//! and version, scope, decision time), then the rows' input commitments, their decision ids and
//! their outcomes. A batch of fewer rows repeats its last row. The verifier takes the first
//! eight from a bundle of the same audit that the bundled verifier accepted (the audit's head:
//! its snapshot signatures, entry, policy and scope checked as for any bundle) and the rest from
//! its own request (commitments recomputed from the rows' features and derived salts, ids derived
//! from the row numbers) and the outcomes the audit file claims; the proof holds only if all of
//! them are what the batch proved.
//!
//! The batch circuits of the reference profiles are embedded and their keys pinned in
//! `batch_keys.json` beside this file (`GOVPROOF_REGENERATE=1 cargo test --test integration
//! audit_batch_keys::` rewrites it). A profile without a pinned batch circuit, or a setup without
//! a pinned batch key, is audited row by row.

use std::sync::{Arc, OnceLock};

use crate::artifact::Artifact;
use crate::bundle::keys::{PinError, PinFile, PinnedCircuit};
use crate::bundle::Bundle;
use crate::circuits::generate::{audit_batch_id, audit_batch_rows};
use crate::circuits::{CircuitDecision, CircuitOutcome, Profile};
use crate::decide::{Application, DecideError, DecisionContext, ProofBackend, Reason};
use crate::field::Field;
use crate::prover::pool::ProofRequest;
use crate::prover::{CircuitBytecode, ProofTarget, WitnessStack};
use govproof_core::setup::{development_fingerprint, SetupId, DEVELOPMENT_G2};

use super::file::AuditBatch;

/// The pinned keys of the audit batch circuits (generated, never edited).
pub const BATCH_KEYS_JSON: &str = include_str!("batch_keys.json");

/// The command that regenerates [`BATCH_KEYS_JSON`].
pub const REGENERATE_BATCH_KEYS: &str =
    "GOVPROOF_REGENERATE=1 cargo test --test integration audit_batch_keys::";

/// Public inputs before the per-row ones: the single composite's shared eight.
pub const SHARED_INPUTS: usize = 8;

/// The batch circuits this build pins.
pub fn batch_pins() -> Result<&'static PinFile, PinError> {
    static PINS: OnceLock<Result<PinFile, PinError>> = OnceLock::new();
    PINS.get_or_init(|| {
        govproof_core::json::from_str(BATCH_KEYS_JSON).map_err(|e| PinError::Corrupt(e.to_string()))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The pinned batch circuit of `profile`, if this build has one.
pub fn batch_pin(profile: &Profile) -> Option<&'static PinnedCircuit> {
    let pins = batch_pins().ok()?;
    pins.circuit(&audit_batch_id(profile))
        .filter(|pin| pin.profile == profile.name())
}

/// One row as the batch prover takes it.
#[derive(Debug, Clone)]
pub struct BatchRow {
    /// The row, from 1.
    pub row: usize,
    /// Its application (derived decision id, the request's time and scope, its features).
    pub application: Application,
    /// Its derived commitment salt.
    pub salt: Field,
}

/// What one batch came to: the proof over the rows every check accepted, and the rows refused.
#[derive(Debug, Clone)]
pub struct BatchResult {
    /// The proof and its rows (`None` when every row was refused).
    pub batch: Option<AuditBatch>,
    /// The outcome (band index or decision bit) of each proved row, in `batch.rows` order.
    pub outcomes: Vec<u32>,
    /// The refused rows, with their reasons.
    pub refused: Vec<(usize, Vec<Reason>)>,
}

/// The batch circuit of one decision context.
pub struct BatchProver {
    id: String,
    rows: usize,
    artifact: Artifact,
    circuit: Arc<CircuitBytecode>,
}

impl std::fmt::Debug for BatchProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BatchProver({})", self.id)
    }
}

impl BatchProver {
    /// The batch prover for `context`: `None` when this build pins no batch circuit for its
    /// profile, or no batch key for its setup and target (its audits are then proved row by row,
    /// and verify without batch keys).
    pub fn for_context(context: &DecisionContext) -> Result<Option<BatchProver>, DecideError> {
        let Some(pin) = batch_pin(context.profile()) else {
            return Ok(None);
        };
        if pin.key(context.setup_id(), context.target()).is_none() {
            return Ok(None);
        }
        let stale = |what: String| DecideError::PinsStale { what };
        let json = crate::noir::embedded(&pin.id).ok_or_else(|| {
            stale(format!(
                "audit batch circuit `{}` is pinned but not embedded in this build",
                pin.id
            ))
        })?;
        let artifact = Artifact::from_json_bytes(&pin.id, json)?;
        if artifact.digest().as_bytes() != pin.artifact_digest.as_bytes() {
            return Err(stale(format!(
                "the embedded audit batch circuit `{}` has digest {}, the pin says {}; run `{}`",
                pin.id,
                artifact.digest(),
                pin.artifact_digest,
                REGENERATE_BATCH_KEYS
            )));
        }
        let circuit = Arc::new(CircuitBytecode::from_msgpack(
            artifact.bytecode_msgpack().to_vec(),
        )?);
        Ok(Some(BatchProver {
            id: pin.id.clone(),
            rows: audit_batch_rows(context.profile()) as usize,
            artifact,
            circuit,
        }))
    }

    /// Rows one proof holds.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Checks every row as a single decision would be checked (registry, policy, ranges, band)
    /// and proves the accepted ones (at most [`BatchProver::rows`]) in one proof on `backend`.
    pub fn prove<B: ProofBackend + ?Sized>(
        &self,
        context: &DecisionContext,
        rows: &[BatchRow],
        backend: &mut B,
    ) -> Result<BatchResult, DecideError> {
        if rows.is_empty() || rows.len() > self.rows() {
            return Err(DecideError::Circuit(format!(
                "an audit batch holds 1 to {} rows, not {}",
                self.rows(),
                rows.len()
            )));
        }
        if backend.bb_version() != context.bb_version() {
            return Err(DecideError::BackendMismatch(format!(
                "the backend runs bb `{}`, the context's key was computed by bb `{}`",
                backend.bb_version(),
                context.bb_version()
            )));
        }
        let mut accepted: Vec<(usize, CircuitDecision)> = Vec::new();
        let mut refused = Vec::new();
        for r in rows {
            match context.assess_row(&r.application, r.salt)? {
                Ok(decision) => accepted.push((r.row, decision)),
                Err(reasons) => refused.push((r.row, reasons)),
            }
        }
        let Some((_, first)) = accepted.first() else {
            return Ok(BatchResult {
                batch: None,
                outcomes: Vec::new(),
                refused,
            });
        };
        let slots: Vec<&CircuitDecision> = (0..self.rows())
            .map(|k| &accepted[k.min(accepted.len() - 1)].1)
            .collect();
        let mut inputs = first.inputs();
        let per_row = [
            "input_commitment",
            "decision_id",
            match first.statement().outcome {
                CircuitOutcome::Band(_) => "band_index",
                CircuitOutcome::Decision(_) => "decision",
            },
            "features",
            "salt",
        ];
        let row_inputs: Vec<_> = slots.iter().map(|d| d.inputs()).collect();
        for name in per_row {
            let values = row_inputs
                .iter()
                .map(|i| {
                    i.get(name).cloned().ok_or_else(|| {
                        DecideError::Circuit(format!("a decision has no `{name}` input"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            inputs.insert(name, crate::abi::InputValue::Array(values));
        }
        let solved = crate::witness::execute(&self.artifact, &inputs).map_err(|e| {
            DecideError::CircuitRefused {
                decision_id: rows[0].application.decision_id.clone(),
                constraint: format!(
                    "the audit batch of rows {}",
                    accepted
                        .iter()
                        .map(|(r, _)| r.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                source: Box::new(e),
            }
        })?;
        let witness = WitnessStack::from_msgpack(solved.msgpack().to_vec())?;
        let request = ProofRequest::new(Arc::clone(&self.circuit), witness, context.target());
        let proof = backend
            .prove(&request)
            .map_err(|e| DecideError::Backend(Box::new(e)))?;
        let outcomes: Vec<u32> = slots.iter().map(|d| outcome_value(d)).collect();
        let expected = batch_inputs(
            &first.public_inputs()[..SHARED_INPUTS],
            &slots
                .iter()
                .zip(&outcomes)
                .map(|(d, &o)| {
                    let s = d.statement();
                    (s.input_commitment, s.decision_id, o)
                })
                .collect::<Vec<_>>(),
        );
        if proof.setup() != context.setup_id() || proof.target() != context.target() {
            return Err(DecideError::BackendMismatch(format!(
                "the batch proof was made with the {} setup for `{}`, the context proves with the \
                 {} setup for `{}`",
                proof.setup(),
                proof.target(),
                context.setup_id(),
                context.target()
            )));
        }
        if proof.public_inputs() != expected.as_slice() {
            return Err(DecideError::PublicInputsDiffer);
        }
        Ok(BatchResult {
            batch: Some(AuditBatch {
                circuit: self.id.clone(),
                rows: accepted.iter().map(|(r, _)| *r).collect(),
                proof: hex::encode(proof.to_bytes()),
            }),
            outcomes: outcomes[..accepted.len()].to_vec(),
            refused,
        })
    }
}

/// A decision's outcome as its public input: the band index, or 1 for yes and 0 for no.
fn outcome_value(d: &CircuitDecision) -> u32 {
    match d.statement().outcome {
        CircuitOutcome::Band(k) => k,
        CircuitOutcome::Decision(yes) => u32::from(yes),
    }
}

/// A batch's public inputs: the shared eight, then every slot's commitment, every slot's
/// decision id label, every slot's outcome (the order of the circuit's parameters).
pub fn batch_inputs(shared: &[Field], slots: &[(Field, Field, u32)]) -> Vec<Field> {
    let mut out = shared.to_vec();
    out.extend(slots.iter().map(|s| s.0));
    out.extend(slots.iter().map(|s| s.1));
    out.extend(slots.iter().map(|s| Field::from(u64::from(s.2))));
    out
}

/// Checks `batch` against `head`, a bundle of the same audit the bundled verifier accepted:
/// the batch circuit must be this build's pinned one for the head's profile, its key the pinned
/// one for the head's setup and target, and the proof must hold for the head's shared public
/// inputs and `slots` (commitment, decision id label, outcome of each row, in the batch's
/// order; fewer rows than the circuit holds repeat the last). `Err` says why not.
pub fn verify_batch(
    batch: &AuditBatch,
    head: &Bundle,
    slots: &[(Field, Field, u32)],
) -> Result<(), String> {
    let profile = Profile::from_name(head.circuit.profile.as_str())
        .map_err(|e| format!("the head bundle's profile is not one this build reads: {e}"))?;
    let pin = batch_pin(&profile)
        .filter(|pin| pin.id == batch.circuit)
        .ok_or_else(|| {
            format!(
                "`{}` is not the audit batch circuit this build pins for profile `{}`",
                super::request::shorten(&batch.circuit),
                profile.name()
            )
        })?;
    let rows = audit_batch_rows(&profile) as usize;
    if slots.is_empty() || slots.len() > rows {
        return Err(format!(
            "a batch holds 1 to {rows} rows, this one {}",
            slots.len()
        ));
    }
    let target = head.circuit.proof_target;
    let pinned = pin.key(head.setup, target).ok_or_else(|| {
        format!(
            "this build pins no key of `{}` for the {} setup and target `{target}`",
            pin.id, head.setup
        )
    })?;
    let vk = pinned.key().map_err(|e| e.to_string())?;
    let key = govproof_verify::VerificationKey::from_bytes(
        match target {
            ProofTarget::NoirRecursive => govproof_verify::Target::NoirRecursive,
            ProofTarget::Evm => govproof_verify::Target::Evm,
        },
        vk.as_bytes(),
    )
    .map_err(|e| format!("the pinned key does not parse: {e}"))?;
    let g2 = match head.setup {
        SetupId::Ignition => govproof_verify::G2Point::ignition(),
        SetupId::Development(fp) if fp == development_fingerprint() => {
            govproof_verify::G2Point::from_bytes(&DEVELOPMENT_G2)
                .map_err(|e| format!("the development setup's point does not parse: {e}"))?
        }
        SetupId::Development(_) => {
            return Err("the head bundle's development setup is not this build's".to_string())
        }
    };
    let shared = head.public_inputs.to_fields();
    let padded: Vec<(Field, Field, u32)> =
        (0..rows).map(|k| slots[k.min(slots.len() - 1)]).collect();
    let inputs: Vec<[u8; 32]> = batch_inputs(&shared[..SHARED_INPUTS], &padded)
        .iter()
        .map(Field::to_be_bytes)
        .collect();
    let proof = hex::decode(&batch.proof).map_err(|_| "the batch proof is not hex".to_string())?;
    govproof_verify::verify(&key, &proof, &inputs, &g2)
        .map_err(|e| format!("the batch proof does not verify: {e}"))
}
