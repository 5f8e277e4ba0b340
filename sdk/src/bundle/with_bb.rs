//! The SDK's side of the bundled verifier (`govproof_core::bundle::verify`, every check): the
//! options that also name bb and its folders ([`VerifyOptions`]), and the hooks that run bb
//! (`BbHooks`): computing a pinned circuit's Ignition key that this build does not pin, and
//! `--cross-check-bb`; and the operating system's randomness for batch checks.
//!
//! `BundleVerifier::new(VerifyOptions { .. })` makes a verifier with these hooks; core's checks
//! call them, so each check has one implementation (docs/core.md).

use std::path::{Path, PathBuf};

use super::keys::PinnedCircuit;
use super::verify::{
    key_of_pin, BbVerdict, BundleVerifier, CheckStatus, VerifyConfig, VerifyHooks,
};
use crate::policy::Policy;
use crate::prover::{CircuitBytecode, Proof, ProofTarget, Prover, VerificationKey, Verifier};
use crate::registry::TrustState;
use crate::setup::{AcceptancePolicy, CrsDownloads, Setup, SetupId};

/// What the verifier trusts and accepts, and where bb and its folders are.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The trust root, and the newest snapshot already accepted (for the rollback check).
    pub trust: TrustState,
    /// The policy file to compare with the bundle's policy hash, if any.
    pub policy: Option<Policy>,
    /// Which setups' proofs are accepted.
    pub acceptance: AcceptancePolicy,
    /// The bb binary (`None`: the installed pinned toolchain's, looked up only when needed).
    pub bb: Option<PathBuf>,
    /// Where the verifier keeps its one-point CRS folders (and the development verifier's bb).
    pub work_dir: PathBuf,
    /// A folder of Ignition points, used only to compute an Ignition key that is not pinned.
    pub ignition_crs: Option<PathBuf>,
}

impl From<VerifyOptions> for BundleVerifier {
    /// A verifier whose hooks run bb as the options say (only when a check needs it).
    fn from(o: VerifyOptions) -> BundleVerifier {
        let hooks = BbHooks {
            bb: o.bb,
            work_dir: o.work_dir,
            ignition_crs: o.ignition_crs,
            acceptance: o.acceptance.clone(),
            verifier: None,
        };
        let config = VerifyConfig {
            trust: o.trust,
            policy: o.policy,
            acceptance: o.acceptance,
        };
        BundleVerifier::with_hooks(config, Some(Box::new(hooks)))
    }
}

/// The SDK's [`VerifyHooks`]: bb, started only when a check needs it and kept warm across
/// bundles, and `getrandom` for batch checks.
struct BbHooks {
    bb: Option<PathBuf>,
    work_dir: PathBuf,
    ignition_crs: Option<PathBuf>,
    acceptance: AcceptancePolicy,
    /// bb, started only for `--cross-check-bb`.
    verifier: Option<Verifier>,
}

impl BbHooks {
    fn lookup(&self) -> KeyLookup<'_> {
        KeyLookup {
            bb: self.bb.as_deref(),
            work_dir: &self.work_dir,
            ignition_crs: self.ignition_crs.as_deref(),
        }
    }
}

impl VerifyHooks for BbHooks {
    fn compute_key(
        &mut self,
        pin: &PinnedCircuit,
        target: ProofTarget,
    ) -> Result<VerificationKey, String> {
        self.lookup().compute_ignition_key(pin, target)
    }

    fn cross_check(&mut self, vk: &VerificationKey, proof: &Proof) -> Result<(), BbVerdict> {
        let verifier = match self.verifier {
            Some(ref mut verifier) => verifier,
            None => {
                let bb = self
                    .lookup()
                    .bb_path()
                    .map_err(|e| BbVerdict::CouldNotRun(e.to_string()))?;
                let verifier = Verifier::new(&bb, &self.work_dir, self.acceptance.clone())
                    .map_err(|e| BbVerdict::CouldNotRun(format!("cannot start bb: {e}")))?;
                self.verifier.insert(verifier)
            }
        };
        match verifier.verify(vk, proof) {
            Ok(()) => Ok(()),
            Err(e) if e.is_rejection() => Err(BbVerdict::Rejected(e.to_string())),
            Err(e) => Err(BbVerdict::CouldNotRun(e.to_string())),
        }
    }

    fn batch_seed(&mut self) -> Option<[u8; 32]> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).ok().map(|()| seed)
    }
}

/// Where the verification key of a pinned circuit comes from: the pin, or (for an Ignition key
/// not pinned yet) bb run on the embedded circuit with Ignition points. Never the bundle.
#[derive(Debug, Clone, Copy)]
pub struct KeyLookup<'a> {
    /// The bb binary (`None`: the installed toolchain's).
    pub bb: Option<&'a Path>,
    /// A scratch folder for computed keys.
    pub work_dir: &'a Path,
    /// A folder of Ignition points, for Ignition keys that are not pinned.
    pub ignition_crs: Option<&'a Path>,
}

impl KeyLookup<'_> {
    /// The bb binary to run.
    pub fn bb_path(&self) -> Result<PathBuf, crate::toolchain::ToolchainError> {
        if let Some(p) = self.bb {
            return Ok(p.to_path_buf());
        }
        let home = crate::toolchain::home()?;
        Ok(crate::toolchain::ensure(
            &home,
            crate::toolchain::InstallPolicy::RequireInstalled,
            &mut |_| {},
        )?
        .bb())
    }

    /// The key of `pin` for `setup` and `target`, and whether it was `pinned` or `computed`
    /// ([`key_of_pin`], computing with bb). The error carries the status a check reports:
    /// [`CheckStatus::Fail`] for a setup this build has no key for, [`CheckStatus::Error`] when
    /// the key could not be obtained.
    pub fn key(
        &self,
        pin: &PinnedCircuit,
        setup: SetupId,
        target: ProofTarget,
    ) -> Result<(VerificationKey, &'static str), (CheckStatus, String)> {
        key_of_pin(pin, setup, target, || {
            self.compute_ignition_key(pin, target)
        })
    }

    fn compute_ignition_key(
        &self,
        pin: &PinnedCircuit,
        target: ProofTarget,
    ) -> Result<VerificationKey, String> {
        let dir = self
            .ignition_crs
            .ok_or_else(|| "no Ignition CRS folder is configured".to_string())?;
        let json = crate::noir::embedded(&pin.id)
            .ok_or_else(|| format!("circuit `{}` is not embedded in this build", pin.id))?;
        let artifact =
            crate::artifact::Artifact::from_json_bytes(&pin.id, json).map_err(|e| e.to_string())?;
        if artifact.digest().as_bytes() != pin.artifact_digest.as_bytes() {
            return Err(format!(
                "the embedded circuit `{}` is not the pinned one",
                pin.id
            ));
        }
        let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec())
            .map_err(|e| e.to_string())?;
        let setup = Setup::ignition(dir, CrsDownloads::Forbidden).map_err(|e| e.to_string())?;
        let bb = self.bb_path().map_err(|e| e.to_string())?;
        let cache = self.work_dir.join("vk");
        let mut prover = Prover::new(&bb, &setup, &cache).map_err(|e| e.to_string())?;
        prover
            .verification_key(&circuit, target)
            .map_err(|e| e.to_string())
    }
}
