//! Verification. It needs only the generator as G1 and the setup's `[tau]_2`, so the verifier
//! writes its own one-point CRS folder per setup and never downloads. Which setups it accepts is
//! fixed at construction by an [`AcceptancePolicy`]; development proofs are refused unless that
//! policy came through [`crate::setup::dangerous`].

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::bb::{probe_version, BbError, BbLauncher, BbProcess, RequestKind};
use super::{Proof, ProofTarget, VerificationKey};
use crate::setup::{
    verifier_bb_for, verifier_crs_for, AcceptanceCheck, AcceptancePolicy, SetupError, SetupId,
};

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofRejection {
    /// bb ran the check and it failed.
    CheckFailed,
    /// bb refused the proof or key as malformed.
    Refused {
        /// bb's message.
        message: String,
    },
}

impl fmt::Display for ProofRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofRejection::CheckFailed => f.write_str("the proof does not verify"),
            ProofRejection::Refused { message } => write!(f, "bb refused the proof: {message}"),
        }
    }
}

/// Errors from verifying. [`ProofVerifyError::Rejected`] is the answer "this proof is not valid";
/// every other variant means no answer was reached.
#[derive(Debug, thiserror::Error)]
pub enum ProofVerifyError {
    /// The proof is invalid for this key and these public inputs.
    #[error("proof rejected: {0}")]
    Rejected(ProofRejection),
    /// The proof's setup is not accepted, or its verifier could not be prepared.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// Key and proof come from different setups.
    #[error(
        "the verification key is for the {key} setup but the proof comes from the {proof} setup"
    )]
    SetupMismatch {
        /// The key's setup.
        key: SetupId,
        /// The proof's setup.
        proof: SetupId,
    },
    /// Key and proof are for different targets.
    #[error("the verification key is for target `{key}` but the proof is for `{proof}`")]
    TargetMismatch {
        /// The key's target.
        key: ProofTarget,
        /// The proof's target.
        proof: ProofTarget,
    },
    /// Driving bb failed.
    #[error(transparent)]
    Bb(#[from] BbError),
}

impl ProofVerifyError {
    /// Whether this is a rejection of the proof itself (as opposed to a failure to check it).
    pub fn is_rejection(&self) -> bool {
        matches!(self, ProofVerifyError::Rejected(_))
    }
}

/// Verifies proofs with bb against one-point CRS folders, one warm bb process per setup seen.
pub struct Verifier {
    stock_bb: PathBuf,
    work_dir: PathBuf,
    policy: AcceptancePolicy,
    sessions: HashMap<SetupId, BbProcess>,
}

impl Verifier {
    /// A verifier that runs `bb_path` (checked to be bb 5.0.0), keeps its CRS folders (and, for
    /// development proofs, its patched bb) under `work_dir`, and accepts what `policy` accepts.
    pub fn new(
        bb_path: &Path,
        work_dir: &Path,
        policy: AcceptancePolicy,
    ) -> Result<Verifier, ProofVerifyError> {
        probe_version(bb_path)?;
        Ok(Verifier {
            stock_bb: bb_path.to_path_buf(),
            work_dir: work_dir.to_path_buf(),
            policy,
            sessions: HashMap::new(),
        })
    }

    /// The policy fixed at construction.
    pub fn policy(&self) -> &AcceptancePolicy {
        &self.policy
    }

    /// `Ok(())` when `proof` verifies against `vk`; [`ProofVerifyError::Rejected`] when it does not.
    /// Refuses, before running anything, a proof whose setup the policy does not accept or whose
    /// setup or target differs from the key's.
    pub fn verify(&mut self, vk: &VerificationKey, proof: &Proof) -> Result<(), ProofVerifyError> {
        self.policy.check(proof.setup())?;
        if vk.setup() != proof.setup() {
            return Err(ProofVerifyError::SetupMismatch {
                key: vk.setup(),
                proof: proof.setup(),
            });
        }
        if vk.target() != proof.target() {
            return Err(ProofVerifyError::TargetMismatch {
                key: vk.target(),
                proof: proof.target(),
            });
        }
        let session = self.session(proof.setup())?;
        let key = vk.as_bytes().to_vec();
        let public_inputs: Vec<Vec<u8>> = proof
            .public_inputs()
            .iter()
            .map(|f| f.to_be_bytes().to_vec())
            .collect();
        let fields: Vec<Vec<u8>> = proof.fields().iter().map(|f| f.to_vec()).collect();
        let settings = super::settings(proof.target());
        let outcome = session.call(RequestKind::Verify, |api| {
            api.circuit_verify(&key, public_inputs, fields, settings)
        });
        match outcome {
            Ok(r) if r.verified => Ok(()),
            Ok(_) => Err(ProofVerifyError::Rejected(ProofRejection::CheckFailed)),
            Err(BbError::Refused { message, .. }) => {
                Err(ProofVerifyError::Rejected(ProofRejection::Refused {
                    message,
                }))
            }
            Err(e) => Err(ProofVerifyError::Bb(e)),
        }
    }

    /// The bb process for `setup`, started on first use: stock bb and the canonical G2 for
    /// Ignition, the patched bb and the development G2 for the development setup.
    fn session(&mut self, setup: SetupId) -> Result<&mut BbProcess, ProofVerifyError> {
        match self.sessions.entry(setup) {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(slot) => {
                let program = verifier_bb_for(setup, &self.stock_bb, &self.work_dir)?;
                let crs = verifier_crs_for(setup, &self.work_dir)?;
                let mut process = BbProcess::new(BbLauncher::new(&program, &crs));
                process.start()?;
                Ok(slot.insert(process))
            }
        }
    }
}
