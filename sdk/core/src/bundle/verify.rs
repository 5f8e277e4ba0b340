//! The bundled verifier: every check a regulator's `govproof verify` runs on a bundle, each
//! reported by name with pass, fail, skip or error and a reason.
//!
//! The checks, in report order:
//!
//! | check | passes when |
//! | --- | --- |
//! | `format` | the document reads strictly as a bundle of this format version |
//! | `setup` | the proof was made with Ignition, or with the development setup and the verifier was told to accept it |
//! | `circuit` | the circuit is one this build pins, or the bundle's registry entry (in the verified snapshot's tree) names it and the digest of the key the bundle carries; its profile, artifact digest and bb version are the trusted ones, and the bundle's verification-key hash is the trusted key's |
//! | `registry` | the snapshot carries the trust root's threshold of distinct valid signatures, neither it nor the root had expired at the decision time, it was created before the decision, it is no fork of a snapshot the trust state accepted, and no snapshot the trust state verified in full revoked the model at or before the decision time |
//! | `policy` | (with a policy file) the file is the policy the proof commits to: same id, version, hash and profile, and the bundle's band or gate names are the policy's |
//! | `public-inputs` | every public input equals the value the bundle claims in words (labels of the ids and scope, the decision time, the snapshot's Merkle root, the policy hash, the commitment, the outcome) |
//! | `proof` | the proof verifies against the pinned key and the public inputs, checked in-process by `govproof-verify` (and by bb too when asked: [`BundleVerifier::cross_check_with_bb`]) |
//! | `opening` | (with the applicant's opening) its features and salt hash to the bundle's input commitment, so the proved decision was made on those features |
//!
//! A bundle is valid when no check fails and none could not be run ([`Verdict`]); without a
//! policy file it is at most [`Verdict::ValidPolicyNotChecked`]: the proof binds the policy hash
//! and the band index (or gate bit), but the policy's id and version and the outcome's names are
//! the lender's words until a policy file that hashes to that hash settles them. The report lists
//! those words as unchecked ([`Report::unchecked`]) and never prints them as facts. The verifier
//! needs no bb, no compiler, no node, no witness solving and no network: the proof is checked by
//! the pure-Rust `govproof-verify` against the setup's `[tau]_2`. The verification key
//! comes from the pins ([`super::keys`]); for an Ignition proof of a pinned circuit whose Ignition
//! key is not pinned yet, it is computed by the verifier's [`VerifyHooks`] (the SDK's run bb on
//! the embedded circuit with the Ignition points in the CRS folder given), and the check cannot be
//! completed without them. For a circuit this build does not pin, the key is the one the bundle
//! carries, used only once the registry check verified the snapshot and the bundle's entry, in
//! that snapshot's tree, names the key's digest for the bundle's setup and target (see
//! `docs/threat-model.md`).
//!
//! Everything here is pure code: what needs a process (bb) or the operating system (randomness
//! for batch checks) is asked of the [`VerifyHooks`] a verifier is made with. A verifier without
//! hooks (the browser page) reports a check that needed them as one that could not be run, never
//! as passed (`docs/core.md`).

use std::fmt::Write as _;

use serde_json::Value;

use super::document::{Bundle, OutcomeClaim, PolicyOutcome, PublicOutcome};
use super::keys::{pinned, PinnedCircuit, REGENERATE};
use crate::circuits::{DecisionKind, Profile};
use crate::field::Field;
use crate::opening::InputOpening;
use crate::policy::{Decision as PolicyDecision, Policy};
use crate::proof::{Proof, ProofTarget, VerificationKey, SUPPORTED_BB_VERSION};
use crate::registry::entry::{CircuitDigests, Digest};
use crate::registry::{Entry, TrustState, VerifiedSnapshot};
use crate::setup::{development_fingerprint, AcceptancePolicy, SetupId, DEVELOPMENT_G2};

/// The checks, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckName {
    /// The document reads as a bundle.
    Format,
    /// The setup is accepted.
    Setup,
    /// The circuit and its verification key are pinned.
    Circuit,
    /// The registry snapshot is signed, fresh at the decision time, and not rolled back.
    Registry,
    /// The policy file (when given) is the committed policy.
    Policy,
    /// The public inputs equal the bundle's claims.
    PublicInputs,
    /// The proof verifies.
    Proof,
    /// The applicant's features and salt (when given) open the input commitment.
    Opening,
}

impl CheckName {
    /// Every check, in report order.
    pub const ALL: [CheckName; 8] = [
        CheckName::Format,
        CheckName::Setup,
        CheckName::Circuit,
        CheckName::Registry,
        CheckName::Policy,
        CheckName::PublicInputs,
        CheckName::Proof,
        CheckName::Opening,
    ];

    /// The stable name used in reports and fixtures.
    pub fn as_str(&self) -> &'static str {
        match self {
            CheckName::Format => "format",
            CheckName::Setup => "setup",
            CheckName::Circuit => "circuit",
            CheckName::Registry => "registry",
            CheckName::Policy => "policy",
            CheckName::PublicInputs => "public-inputs",
            CheckName::Proof => "proof",
            CheckName::Opening => "opening",
        }
    }

    /// Reads a name produced by [`CheckName::as_str`].
    pub fn parse(text: &str) -> Option<CheckName> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// How one check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckStatus {
    /// It held.
    Pass,
    /// It failed: the bundle is invalid.
    Fail,
    /// It was not run (not applicable, or an earlier failure made it moot).
    Skip,
    /// It could not be run (a missing tool or input): no verdict.
    Error,
}

impl CheckStatus {
    /// `pass`, `fail`, `skip` or `error`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::Skip => "skip",
            CheckStatus::Error => "error",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// How it went.
    pub status: CheckStatus,
    /// Why, in one line.
    pub detail: String,
}

/// The verdict on a bundle; the process exit code is the discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed, the policy's included: everything the report states was checked.
    Valid = 0,
    /// Some check could not be run, and none failed.
    CouldNotCheck = 1,
    /// Some check failed.
    Invalid = 2,
    /// Every check that ran passed, but no policy file was given: the proof holds, and the
    /// policy's id and version and the outcome's names ([`Report::unchecked`]) are the lender's
    /// unchecked words.
    ValidPolicyNotChecked = 3,
    /// Every check that ran passed, but the proof was made with the development setup, whose
    /// secret is public: anyone can forge such a proof, so it is not evidence of anything (the
    /// verifier accepted it only because development proofs were allowed).
    ValidDevelopmentSetup = 4,
}

impl Verdict {
    /// `valid`, `could-not-check`, `invalid`, `valid-policy-not-checked` or
    /// `valid-development-setup`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::CouldNotCheck => "could-not-check",
            Verdict::Invalid => "invalid",
            Verdict::ValidPolicyNotChecked => "valid-policy-not-checked",
            Verdict::ValidDevelopmentSetup => "valid-development-setup",
        }
    }

    /// The verdict as reports print it: `VALID`, `VALID (policy not checked)`,
    /// `VALID (development setup: not evidence)`, `INVALID` or `COULD NOT CHECK`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Valid => "VALID",
            Verdict::CouldNotCheck => "COULD NOT CHECK",
            Verdict::Invalid => "INVALID",
            Verdict::ValidPolicyNotChecked => "VALID (policy not checked)",
            Verdict::ValidDevelopmentSetup => "VALID (development setup: not evidence)",
        }
    }

    /// Whether the proof, the registry and every other check that ran held (with or without
    /// the policy's words checked): what a trust state may advance on.
    pub fn proof_holds(&self) -> bool {
        matches!(
            self,
            Verdict::Valid | Verdict::ValidPolicyNotChecked | Verdict::ValidDevelopmentSetup
        )
    }

    /// How bad the verdict is, for the worst of several: invalid, then could not check, then
    /// valid with the development setup (not evidence), then valid with the policy not
    /// checked, then valid.
    pub fn severity(&self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::ValidPolicyNotChecked => 1,
            Verdict::ValidDevelopmentSetup => 2,
            Verdict::CouldNotCheck => 3,
            Verdict::Invalid => 4,
        }
    }

    /// Every verdict, from the best to the worst.
    pub const ALL: [Verdict; 5] = [
        Verdict::Valid,
        Verdict::ValidPolicyNotChecked,
        Verdict::ValidDevelopmentSetup,
        Verdict::CouldNotCheck,
        Verdict::Invalid,
    ];
}

/// One thing a bundle says that no check verified, with the value it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked {
    /// Where in the bundle: `policy.id`, `policy.version`, `decision.outcome.band`,
    /// `decision.outcome.outcome`.
    pub claim: &'static str,
    /// What the bundle says.
    pub value: String,
}

/// The exact version the pinned bb prints (the binary itself is pinned by its package's
/// SHA-512): a bundle must name exactly this build, not a string that starts like it.
pub const PINNED_BB_BUILD: &str = "5.0.0-nightly.20260710";

/// The verifier's report on one bundle.
#[derive(Debug, Clone)]
pub struct Report {
    bundle: Option<Bundle>,
    /// The document's size, when it is known (not for one refused as too large).
    size: Option<usize>,
    checks: Vec<Check>,
    signed_by: Option<(usize, u32, u64)>,
    signers: Vec<Signer>,
    next_trust: Option<TrustState>,
    state_error: Option<String>,
}

/// What the registry check found: the verified snapshot, (signatures counted, threshold, root
/// version) and the signers, when it passed.
type RegistryOutcome = (
    Option<VerifiedSnapshot>,
    Option<(usize, u32, u64)>,
    Vec<Signer>,
);

/// Picks the policy a bundle document is compared with ([`BundleVerifier::verify_many`]).
pub type PolicyPicker<'a> = &'a mut dyn FnMut(&[u8]) -> Option<Policy>;

/// A governance key whose signature on the bundle's registry snapshot was counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The key's id.
    pub key_id: String,
    /// Who holds the key, as the trusted root names them (`holder`), when it does.
    pub holder: Option<String>,
}

impl Signer {
    /// `holder (key id)`, or `key id` for a key the root names no holder of.
    pub fn name(&self) -> String {
        match &self.holder {
            Some(h) => format!("{h} ({})", self.key_id),
            None => format!("key {}", self.key_id),
        }
    }
}

/// What the verifier trusts and accepts. (The SDK's `govproof::bundle::VerifyOptions` adds the
/// bb binary and folders its [`VerifyHooks`] use.)
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// The trust root, and the newest snapshot already accepted (for the rollback check).
    pub trust: TrustState,
    /// The policy file to compare with the bundle's policy hash, if any.
    pub policy: Option<Policy>,
    /// Which setups' proofs are accepted.
    pub acceptance: AcceptancePolicy,
}

/// What the bundled verifier cannot do in pure code, done by whoever can: the SDK's hooks run bb
/// and ask the operating system for randomness. Without hooks, what needed them is a check that
/// could not be run (or, for batch checks, each proof verified on its own), never one that passed.
pub trait VerifyHooks: Send {
    /// The Ignition verification key of `pin` for `target`, for a circuit this build pins
    /// without that key: computed from the embedded circuit (the SDK runs bb on it with
    /// Ignition points). `Err` says why it could not be.
    fn compute_key(
        &mut self,
        pin: &PinnedCircuit,
        target: ProofTarget,
    ) -> Result<VerificationKey, String>;

    /// bb's answer on `proof` against `vk`, for [`BundleVerifier::cross_check_with_bb`].
    fn cross_check(&mut self, vk: &VerificationKey, proof: &Proof) -> Result<(), BbVerdict>;

    /// 32 unpredictable bytes for the random coefficients of one batch check (`None`: there is
    /// no randomness, and each proof of the batch is verified on its own).
    fn batch_seed(&mut self) -> Option<[u8; 32]>;
}

/// Verifies bundles; keeps what its hooks hold (the SDK's: one warm bb verifier) across bundles.
pub struct BundleVerifier {
    options: VerifyConfig,
    /// What needs bb or the operating system (`None`: nothing does; see [`VerifyHooks`]).
    hooks: Option<Box<dyn VerifyHooks>>,
    /// Whether bb checks every proof too, beside the in-process verifier.
    cross_check_bb: bool,
    /// Pinned keys parsed for the in-process verifier, by blake3 of their bytes.
    native_keys: std::collections::BTreeMap<[u8; 32], govproof_verify::VerificationKey>,
    /// While [`BundleVerifier::verify_many`] runs: the proofs waiting for one batch check.
    deferred: Option<Vec<PendingProof>>,
}

/// A proof whose other checks passed, waiting in [`BundleVerifier::verify_many`] for the batch.
struct PendingProof {
    key: govproof_verify::VerificationKey,
    proof: Vec<u8>,
    inputs: Vec<[u8; 32]>,
    setup: SetupId,
    g2: govproof_verify::G2Point,
    what: String,
}

/// The detail of the `proof` check while it waits for the batch (never seen in a finished report).
const DEFERRED: &str = "not run yet: waiting for the batch check";

impl std::fmt::Debug for BundleVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BundleVerifier({:?})", self.options)
    }
}

struct Recorder {
    checks: Vec<Check>,
}

impl Recorder {
    fn put(&mut self, name: CheckName, status: CheckStatus, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            status,
            detail: one_line(&detail.into()),
        });
    }

    fn status(&self, name: CheckName) -> Option<CheckStatus> {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.status)
    }
}

/// The `opening` check. The report names neither the features nor the salt: it may be shared.
fn check_opening(b: &Bundle, opening: Option<&InputOpening>, r: &mut Recorder) {
    let Some(opening) = opening else {
        r.put(
            CheckName::Opening,
            CheckStatus::Skip,
            "no opening given (the applicant's features and salt: `--opening FILE`)",
        );
        return;
    };
    let computed = opening.commitment();
    if computed == b.input_commitment {
        r.put(
            CheckName::Opening,
            CheckStatus::Pass,
            format!(
                "the opening's {} features and salt hash to the input commitment {}: the decision \
                 was proved on these features{}",
                opening.features().len(),
                b.input_commitment,
                reasons_beside_features(b, opening)
            ),
        );
    } else {
        r.put(
            CheckName::Opening,
            CheckStatus::Fail,
            format!(
                "the opening's features and salt hash to {computed}, not to the bundle's input \
                 commitment {}: this decision was not made on these features",
                b.input_commitment
            ),
        );
    }
}

/// The proven reasons with the applicant's values of their features (for the applicant's own
/// `--opening` check; empty without reasons).
fn reasons_beside_features(b: &Bundle, opening: &InputOpening) -> String {
    if b.reasons.is_empty() {
        return String::new();
    }
    let values = opening.features().values();
    let shown: Vec<String> = b
        .reasons
        .iter()
        .map(|c| match values.get(c.index as usize) {
            Some(&v) => format!(
                "{} `{}` = {} ({})",
                c.code,
                c.feature,
                crate::policy::check::fmt_num(v as f64 / 65536.0),
                c.text
            ),
            None => format!("{} `{}` ({})", c.code, c.feature, c.text),
        })
        .collect();
    format!(
        "; the proven reasons, with your values: {}",
        shown.join("; ")
    )
}

/// Keeps a detail on one line and bounded, whatever a bundle put in it.
fn one_line(text: &str) -> String {
    const MAX: usize = 600;
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > MAX {
        let head: String = flat.chars().take(MAX).collect();
        format!("{head}...")
    } else {
        flat
    }
}

impl From<VerifyConfig> for BundleVerifier {
    /// A verifier without hooks ([`BundleVerifier::with_hooks`]).
    fn from(config: VerifyConfig) -> BundleVerifier {
        BundleVerifier::with_hooks(config, None)
    }
}

impl BundleVerifier {
    /// A verifier with these options: a [`VerifyConfig`] (no hooks), or the SDK's
    /// `govproof::bundle::VerifyOptions` (with its bb hooks). Proofs are checked in-process by
    /// `govproof-verify`; bb is started only to cross-check
    /// ([`BundleVerifier::cross_check_with_bb`]) or to compute a key this build does not pin.
    pub fn new(options: impl Into<BundleVerifier>) -> BundleVerifier {
        options.into()
    }

    /// A verifier with this configuration and these hooks (`None`: what needs them could not
    /// be run; see [`VerifyHooks`]).
    pub fn with_hooks(config: VerifyConfig, hooks: Option<Box<dyn VerifyHooks>>) -> BundleVerifier {
        BundleVerifier {
            options: config,
            hooks,
            cross_check_bb: false,
            native_keys: std::collections::BTreeMap::new(),
            deferred: None,
        }
    }

    /// Compares the following bundles with `policy` (or with none) instead of the policy the
    /// options gave: a portfolio driver picks each bundle's policy by the hash its proof commits
    /// to.
    pub fn set_policy(&mut self, policy: Option<Policy>) {
        self.options.policy = policy;
    }

    /// Runs every check on each bundle, as [`BundleVerifier::verify`] does, but checks the proofs
    /// of all of them together with [`govproof_verify::verify_batch`] (one combined pairing per
    /// setup); when the batch does not hold, each of its proofs is checked on its own, so every
    /// failing proof is named with its own reason. The reports are the ones
    /// [`BundleVerifier::verify`] gives, bundle for bundle. With the bb cross-check on, each proof
    /// is checked on its own. `policy_for` picks the policy each bundle is compared with (see
    /// [`BundleVerifier::set_policy`]); `None` keeps the options' policy.
    pub fn verify_many(
        &mut self,
        bundles: &[&[u8]],
        mut policy_for: Option<PolicyPicker<'_>>,
    ) -> Vec<Report> {
        self.deferred = (!self.cross_check_bb).then(Vec::new);
        let mut reports = Vec::with_capacity(bundles.len());
        let mut waiting: Vec<usize> = Vec::new();
        for bytes in bundles {
            if let Some(pick) = policy_for.as_mut() {
                let policy = pick(bytes);
                self.set_policy(policy);
            }
            let before = self.deferred.as_ref().map_or(0, Vec::len);
            let report = self.verify(bytes);
            if self.deferred.as_ref().map_or(0, Vec::len) > before {
                waiting.push(reports.len());
            }
            reports.push(report);
        }
        let pending = self.deferred.take().unwrap_or_default();
        let hooks = &mut self.hooks;
        let outcomes = batch_outcomes(&pending, &mut || hooks.as_mut()?.batch_seed());
        for ((index, p), result) in waiting.into_iter().zip(&pending).zip(outcomes) {
            let (status, detail) = proof_outcome(&p.what, result, None);
            if let Some(check) = reports[index]
                .checks
                .iter_mut()
                .find(|c| c.name == CheckName::Proof)
            {
                check.status = status;
                check.detail = one_line(&detail);
            }
        }
        reports
    }

    /// Also has bb verify every proof, and reports a disagreement between bb and the in-process
    /// verifier as a check that could not be completed. Needs hooks that run bb (the SDK's: the
    /// installed bb, or `VerifyOptions::bb`); without hooks the `proof` check could not be
    /// completed. Without this, verifying starts no process.
    pub fn cross_check_with_bb(mut self) -> BundleVerifier {
        self.cross_check_bb = true;
        self
    }

    /// What the verifier trusts and accepts.
    pub fn options(&self) -> &VerifyConfig {
        &self.options
    }

    /// Runs every check on the bundle `bytes` (never fails: problems are checks that fail or
    /// could not be run); the `opening` check is skipped.
    pub fn verify(&mut self, bytes: &[u8]) -> Report {
        self.verify_opened(bytes, None)
    }

    /// Runs every check on the bundle `bytes` and, when `opening` is given (the features and
    /// salt the lender handed the applicant), checks that it opens the bundle's input commitment.
    pub fn verify_opened(&mut self, bytes: &[u8], opening: Option<&InputOpening>) -> Report {
        let mut r = Recorder { checks: Vec::new() };
        let bundle = match Bundle::from_json(bytes) {
            Ok(b) => {
                r.put(
                    CheckName::Format,
                    CheckStatus::Pass,
                    format!(
                        "a govproof bundle, format version {}, {} bytes",
                        b.version,
                        bytes.len()
                    ),
                );
                b
            }
            Err(e) => {
                return Report::format_failure(e.to_string(), Some(bytes.len()));
            }
        };

        self.check_setup(&bundle, &mut r);
        // The registry runs before the circuit: a key the bundle carries is trusted only through
        // an entry of the snapshot the registry check verified. The report keeps its order.
        let (verified, signed_by, signers) = self.check_registry(&bundle, &mut r);
        let known = self.check_circuit(&bundle, verified.as_ref(), &mut r);
        self.check_policy(&bundle, &mut r);
        let profile = known.as_ref().map(|(p, _)| *p);
        self.check_public_inputs(&bundle, profile, &mut r);
        self.check_proof(&bundle, known.map(|(_, vk)| vk), &mut r);
        check_opening(&bundle, opening, &mut r);
        crate::sort::sort_by_key(&mut r.checks, |c| c.name);

        let next_trust = verified.map(|v| self.options.trust.after(&v));
        Report {
            bundle: Some(bundle),
            size: Some(bytes.len()),
            checks: r.checks,
            signed_by,
            signers,
            next_trust,
            state_error: None,
        }
    }

    fn check_setup(&self, b: &Bundle, r: &mut Recorder) {
        match b.setup {
            SetupId::Ignition => r.put(
                CheckName::Setup,
                CheckStatus::Pass,
                "the Ignition setup (Aztec's ceremony)",
            ),
            SetupId::Development(_) if self.options.acceptance.accepts(b.setup) => r.put(
                CheckName::Setup,
                CheckStatus::Pass,
                "the DEVELOPMENT setup, accepted because development proofs were allowed \
                 (--dev-setup): its secret is public, so this proof demonstrates the \
                 pipeline and proves nothing",
            ),
            SetupId::Development(_) => r.put(
                CheckName::Setup,
                CheckStatus::Fail,
                format!(
                    "made with the {} setup, whose secret is public: anyone can forge such a \
                     proof (pass --dev-setup to check it anyway)",
                    b.setup
                ),
            ),
        }
    }

    /// The circuit check; on success, the circuit's profile and the key to verify with.
    ///
    /// Which circuit and key are trusted comes from what the regulator trusts, never from the
    /// bundle's word: the pins of this build, or (for a circuit not pinned) the registry entry of
    /// the bundle's model, once the registry check verified its snapshot and the entry is shown
    /// to be in that snapshot's tree. From there on both paths share every check: the bundle's
    /// profile and bytecode digest, the bb build, the key's hash.
    fn check_circuit(
        &mut self,
        b: &Bundle,
        verified: Option<&VerifiedSnapshot>,
        r: &mut Recorder,
    ) -> Option<(Profile, VerificationKey)> {
        let c = &b.circuit;
        let pins = match pinned() {
            Ok(p) => p,
            Err(e) => {
                r.put(CheckName::Circuit, CheckStatus::Error, e.to_string());
                return None;
            }
        };
        let outcome = match pins.circuit(c.id.as_str()) {
            Some(pin) => Ok(Voucher::Pin(pin)),
            None => vouching_entry(b, verified, pins.ids()),
        }
        .and_then(|voucher| self.trusted_key(b, &voucher).map(|found| (voucher, found)));
        let (voucher, (profile, vk, how)) = match outcome {
            Ok(found) => found,
            Err((status, detail)) => {
                r.put(CheckName::Circuit, status, detail);
                return None;
            }
        };
        if &vk.hash() != c.vk_hash.as_bytes() {
            r.put(
                CheckName::Circuit,
                CheckStatus::Fail,
                format!(
                    "the bundle names verification key {}, but the {how} key of `{}` for the {} \
                     setup and target `{}` is {}",
                    c.vk_hash,
                    voucher.id(),
                    b.setup.kind(),
                    c.proof_target,
                    hex::encode(vk.hash())
                ),
            );
            return None;
        }
        r.put(
            CheckName::Circuit,
            CheckStatus::Pass,
            format!(
                "circuit `{}` (proves {}; bytecode digest {}), {how} verification key {} for \
                 the {} setup and target `{}`{}",
                voucher.id(),
                describe_kind(&profile),
                voucher.artifact_digest(),
                hex::encode(vk.hash()),
                b.setup.kind(),
                c.proof_target,
                voucher.source()
            ),
        );
        Some((profile, vk))
    }

    /// The checks after "which circuit" that both vouchers share, and the key itself: the
    /// profile, bytecode digest and bb build the bundle names must be the trusted ones, then the
    /// key comes from the pin (or is computed from the embedded circuit) or is the bundle's own
    /// key once its digest is the one the entry names. The error carries the status to report.
    fn trusted_key(
        &mut self,
        b: &Bundle,
        voucher: &Voucher<'_>,
    ) -> Result<(Profile, VerificationKey, &'static str), (CheckStatus, String)> {
        let c = &b.circuit;
        let fail = |detail: String| (CheckStatus::Fail, detail);
        let profile = voucher.profile()?;
        if c.profile.as_str() != voucher.profile_name() {
            return Err(fail(format!(
                "circuit `{}` proves profile `{}`, the bundle says `{}`",
                voucher.id(),
                voucher.profile_name(),
                c.profile
            )));
        }
        if c.artifact_digest != voucher.artifact_digest() {
            return Err(fail(format!(
                "the bundle's circuit has digest {}, but circuit `{}` is {}{}",
                c.artifact_digest,
                voucher.id(),
                voucher.artifact_digest(),
                voucher.source()
            )));
        }
        // Exactly the pinned build: a prefix test would take `5.0.0.evil` for bb 5.0.0.
        if c.bb_version.as_str() != PINNED_BB_BUILD {
            return Err(fail(format!(
                "proved with bb `{}`, but this verifier checks proofs of bb \
                 {SUPPORTED_BB_VERSION} (`{PINNED_BB_BUILD}`) only",
                c.bb_version
            )));
        }
        let (vk, how) = match voucher {
            Voucher::Pin(pin) => {
                let hooks = &mut self.hooks;
                key_of_pin(pin, b.setup, c.proof_target, || match hooks.as_mut() {
                    Some(h) => h.compute_key(pin, c.proof_target),
                    None => Err("this verifier runs no bb to compute it with".to_string()),
                })?
            }
            Voucher::Entry { entry, circuit } => {
                (entry_key(b, entry, circuit)?, "registry-vouched")
            }
        };
        Ok((profile, vk, how))
    }

    fn check_registry(&self, b: &Bundle, r: &mut Recorder) -> RegistryOutcome {
        let trust = &self.options.trust;
        let snapshot = &b.registry.snapshot;
        let time = b.decision.time;
        let verified = match trust.check_decision(snapshot, &b.model.id, &b.model.version, time) {
            Ok(v) => v,
            Err(e) => {
                r.put(
                    CheckName::Registry,
                    CheckStatus::Fail,
                    format!("{} (judged at the decision time {time})", e),
                );
                return (None, None, Vec::new());
            }
        };
        let s = &snapshot.signed;
        let root = trust.root();
        let tally = root.authority().tally(
            &crate::registry::document::SignedContent::signing_bytes(s),
            &snapshot.signatures,
        );
        let rollback = match trust.last_snapshot() {
            Some(seen) => format!(
                "and the model was not revoked at the decision time by any snapshot this trust \
                 state verified in full (newest snapshot accepted: {})",
                seen.version
            ),
            None => "revocation by later snapshots not checked (no trust state with an accepted \
                     snapshot)"
                .to_string(),
        };
        r.put(
            CheckName::Registry,
            CheckStatus::Pass,
            format!(
                "snapshot {} is signed by {} of the {} keys of trusted root {} (threshold {}), \
                 was valid at the decision time {time} (expires {}), {rollback}",
                s.version(),
                tally.counted.len(),
                root.keys().len(),
                root.version(),
                root.threshold(),
                s.expires()
            ),
        );
        let signed_by = (
            tally.counted.len(),
            root.threshold().get(),
            root.version().get(),
        );
        let signers = tally
            .counted
            .iter()
            .map(|id| Signer {
                key_id: id.to_string(),
                holder: root
                    .keys()
                    .iter()
                    .find(|k| k.key_id == *id)
                    .and_then(|k| k.holder.as_ref())
                    .map(|h| h.as_str().to_string()),
            })
            .collect();
        (Some(verified), Some(signed_by), signers)
    }

    fn check_policy(&self, b: &Bundle, r: &mut Recorder) {
        let Some(policy) = &self.options.policy else {
            r.put(
                CheckName::Policy,
                CheckStatus::Skip,
                format!(
                    "no policy file given (--policy): the proof binds the policy hash {} and the \
                     {}, but the policy's id and version and the outcome's names are the \
                     lender's words, not checked",
                    b.policy.hash,
                    match b.decision.outcome {
                        OutcomeClaim::ScoreBand { .. } => "band index",
                        OutcomeClaim::Gate { .. } => "gate decision",
                    }
                ),
            );
            return;
        };
        let mut problems = Vec::new();
        let claim = &b.policy;
        if policy.id().as_str() != claim.id.as_str()
            || policy.version().as_str() != claim.version.as_str()
        {
            problems.push(format!(
                "the file is policy `{}` version `{}`, the bundle names `{}` version `{}`",
                policy.id().as_str(),
                policy.version().as_str(),
                claim.id,
                claim.version
            ));
        }
        if policy.hash() != claim.hash {
            problems.push(format!(
                "the file hashes to {}, the bundle's policy hash is {}",
                policy.hash(),
                claim.hash
            ));
        }
        if policy.profile().name() != b.circuit.profile.as_str() {
            problems.push(format!(
                "the policy is proved with profile `{}`, the bundle's circuit is `{}`",
                policy.profile().name(),
                b.circuit.profile
            ));
        }
        if let Some(p) = outcome_problem(policy, &b.decision.outcome) {
            problems.push(p);
        }
        if problems.is_empty() {
            r.put(
                CheckName::Policy,
                CheckStatus::Pass,
                format!(
                    "the policy file is `{}` version `{}` with hash {}, and names the outcome as \
                     the bundle does",
                    claim.id, claim.version, claim.hash
                ),
            );
        } else {
            r.put(CheckName::Policy, CheckStatus::Fail, problems.join("; "));
        }
    }

    fn check_public_inputs(&self, b: &Bundle, profile: Option<Profile>, r: &mut Recorder) {
        let d = &b.decision;
        let expected = [
            (
                "registry_root",
                b.registry.snapshot.signed.merkle_root(),
                "the snapshot's merkle root".to_string(),
            ),
            ("policy_hash", b.policy.hash, "the policy hash".to_string()),
            (
                "model_id",
                b.model.id.label(),
                format!("label(`{}`)", b.model.id),
            ),
            (
                "model_version",
                b.model.version.label(),
                format!("label(`{}`)", b.model.version),
            ),
            (
                "purpose",
                d.scope.purpose.label(),
                format!("label(`{}`)", d.scope.purpose),
            ),
            (
                "jurisdiction",
                d.scope.jurisdiction.label(),
                format!("label(`{}`)", d.scope.jurisdiction),
            ),
            (
                "product",
                d.scope.product.label(),
                format!("label(`{}`)", d.scope.product),
            ),
            (
                "decision_time",
                Field::from(d.time.unix()),
                format!("{} as Unix seconds", d.time),
            ),
            (
                "input_commitment",
                b.input_commitment,
                "the input commitment".to_string(),
            ),
            ("decision_id", d.id.label(), format!("label(`{}`)", d.id)),
        ];
        let mut problems = Vec::new();
        let actual = b.public_inputs.named();
        for ((name, want, what), (_, got)) in expected.iter().zip(actual.iter()) {
            if want != got {
                problems.push(format!("`{name}` is {got}, but {what} is {want}"));
            }
        }
        let claimed = d.outcome.public_input();
        match (b.public_inputs.outcome, claimed) {
            (PublicOutcome::BandIndex(got), PublicOutcome::BandIndex(want))
            | (PublicOutcome::Decision(got), PublicOutcome::Decision(want)) => {
                if got != want {
                    problems.push(format!(
                        "`{}` is {got}, but the claimed outcome ({}) is {want}",
                        claimed.name(),
                        d.outcome
                    ));
                }
            }
            (got, _) => problems.push(format!(
                "the public inputs carry `{}`, but the claimed outcome is a {}",
                got.name(),
                match d.outcome {
                    OutcomeClaim::ScoreBand { .. } => "band",
                    OutcomeClaim::Gate { .. } => "gate decision",
                }
            )),
        }
        problems.extend(self.reason_problems(b, profile));
        if let Some(p) = profile {
            let band_circuit = matches!(p.kind(), DecisionKind::ScoreBand { .. });
            let band_inputs = matches!(b.public_inputs.outcome, PublicOutcome::BandIndex(_));
            if band_circuit != band_inputs {
                problems.push(format!(
                    "circuit `{}` proves {}, but the public inputs carry `{}`",
                    b.circuit.id,
                    describe_kind(&p),
                    b.public_inputs.outcome.name()
                ));
            }
        }
        if problems.is_empty() {
            r.put(
                CheckName::PublicInputs,
                CheckStatus::Pass,
                if b.reasons.is_empty() {
                    format!(
                        "all {} public inputs equal the bundle's claims",
                        actual.len()
                    )
                } else {
                    format!(
                        "all {} public inputs equal the bundle's claims, its {} reasons ({}) \
                         included{}",
                        actual.len(),
                        b.reasons.len(),
                        b.reasons
                            .iter()
                            .map(|c| format!("`{}`", c.code))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if self.options.policy.is_some() {
                            ", in the policy file's words"
                        } else {
                            " (their words are the lender's: no policy file)"
                        }
                    )
                },
            );
        } else {
            r.put(
                CheckName::PublicInputs,
                CheckStatus::Fail,
                problems.join("; "),
            );
        }
    }

    /// What is wrong with the bundle's proven reasons: their codes against the reason codes among
    /// the public inputs (the rest of the slots must hold the none code, the feature count), their
    /// number against the circuit's, and with a policy file their words against its explanation.
    fn reason_problems(&self, b: &Bundle, profile: Option<Profile>) -> Vec<String> {
        let mut problems = Vec::new();
        let slots = &b.public_inputs.reasons;
        // Without a trusted circuit, the profile the bundle names still says what its none code is.
        let profile = profile.or_else(|| Profile::from_name(b.circuit.profile.as_str()).ok());
        if let Some(p) = profile {
            if slots.len() != p.reasons() {
                problems.push(format!(
                    "circuit `{}` proves {} reasons, the public inputs carry {}",
                    b.circuit.id,
                    p.reasons(),
                    slots.len()
                ));
            }
        }
        if b.reasons.len() > slots.len() {
            problems.push(format!(
                "the bundle states {} reasons, the public inputs carry {} reason codes",
                b.reasons.len(),
                slots.len()
            ));
            return problems;
        }
        for (j, (claim, &code)) in b.reasons.iter().zip(slots).enumerate() {
            if Field::from(u64::from(claim.index)) != code {
                problems.push(format!(
                    "reason {} is feature {} (`{}`), but `reasons[{j}]` is {code}",
                    j + 1,
                    claim.index,
                    claim.feature
                ));
            }
        }
        if let Some(p) = profile {
            let none = Field::from(p.features() as u64);
            if let Some(j) = (b.reasons.len()..slots.len()).find(|&j| slots[j] != none) {
                problems.push(format!(
                    "`reasons[{j}]` is {}, but the bundle states only {} reasons (the none code \
                     is {none})",
                    slots[j],
                    b.reasons.len()
                ));
            }
        }
        let Some(policy) = &self.options.policy else {
            return problems;
        };
        let Some(explanation) = policy.explanation() else {
            if !b.reasons.is_empty() {
                problems.push(
                    "the bundle states reasons, but the policy file has no explanation".into(),
                );
            }
            return problems;
        };
        for (j, claim) in b.reasons.iter().enumerate() {
            let Some(line) = explanation.reason(claim.index) else {
                problems.push(format!(
                    "reason {} names feature {}, which the policy does not have",
                    j + 1,
                    claim.index
                ));
                continue;
            };
            let feature = policy.features()[line.feature].name.as_str();
            if claim.code.as_str() != line.code
                || claim.text.as_str() != line.text
                || claim.feature.as_str() != feature
            {
                problems.push(format!(
                    "reason {} is `{}` `{}` ({}) in the bundle, but the policy calls feature {} \
                     `{}` `{feature}` ({})",
                    j + 1,
                    claim.code,
                    claim.feature,
                    claim.text,
                    claim.index,
                    line.code,
                    line.text
                ));
            }
        }
        problems
    }

    fn check_proof(&mut self, b: &Bundle, vk: Option<VerificationKey>, r: &mut Recorder) {
        if r.status(CheckName::Setup) != Some(CheckStatus::Pass) {
            r.put(
                CheckName::Proof,
                CheckStatus::Skip,
                "not run: proofs from this setup are not accepted",
            );
            return;
        }
        let Some(vk) = vk else {
            r.put(
                CheckName::Proof,
                CheckStatus::Skip,
                "not run: there is no trusted verification key for this circuit",
            );
            return;
        };
        let Some(g2) = setup_g2(b.setup) else {
            r.put(
                CheckName::Proof,
                CheckStatus::Error,
                format!(
                    "not run: the {} setup is not one this verifier knows the `[tau]_2` of",
                    b.setup
                ),
            );
            return;
        };
        let fields = b.public_inputs.to_fields();
        let inputs: Vec<[u8; 32]> = fields.iter().map(Field::to_be_bytes).collect();
        let proof_bytes = b.proof.as_bytes();
        let what = format!(
            "the {}-byte UltraHonk proof (zero-knowledge, target `{}`) with its {} public \
             inputs",
            proof_bytes.len(),
            b.circuit.proof_target,
            fields.len()
        );
        let key = self.native_key(&vk);
        if let (Some(pending), Ok(key)) = (self.deferred.as_mut(), &key) {
            pending.push(PendingProof {
                key: key.clone(),
                proof: proof_bytes.to_vec(),
                inputs,
                setup: b.setup,
                g2,
                what,
            });
            r.put(CheckName::Proof, CheckStatus::Error, DEFERRED);
            return;
        }
        let native = key.and_then(|key| govproof_verify::verify(&key, proof_bytes, &inputs, &g2));
        let cross = self.cross_check_bb.then(|| self.bb_verdict(b, &vk));
        let (status, detail) = proof_outcome(&what, native, cross);
        r.put(CheckName::Proof, status, detail);
    }

    /// The pinned key parsed for the in-process verifier (cached by the key's bytes).
    fn native_key(
        &mut self,
        vk: &VerificationKey,
    ) -> Result<govproof_verify::VerificationKey, govproof_verify::VerifyError> {
        let digest = *crate::blake3::hash(vk.as_bytes()).as_bytes();
        if let Some(key) = self.native_keys.get(&digest) {
            return Ok(key.clone());
        }
        let target = match vk.target() {
            ProofTarget::NoirRecursive => govproof_verify::Target::NoirRecursive,
            ProofTarget::Evm => govproof_verify::Target::Evm,
        };
        let key = govproof_verify::VerificationKey::from_bytes(target, vk.as_bytes())?;
        self.native_keys.insert(digest, key.clone());
        Ok(key)
    }

    /// bb's answer on the same proof, for `--cross-check-bb`.
    fn bb_verdict(&mut self, b: &Bundle, vk: &VerificationKey) -> Result<(), BbVerdict> {
        let proof = Proof::from_bytes(
            b.proof.as_bytes(),
            b.public_inputs.to_fields(),
            b.setup,
            b.circuit.proof_target,
        )
        .map_err(|e| BbVerdict::Rejected(e.to_string()))?;
        match self.hooks.as_mut() {
            Some(hooks) => hooks.cross_check(vk, &proof),
            None => Err(BbVerdict::CouldNotRun(
                "this verifier runs no bb to cross-check with".into(),
            )),
        }
    }
}

/// The `proof` check's status and detail from the in-process verifier's answer on `what` and,
/// when asked for, bb's.
fn proof_outcome(
    what: &str,
    native: Result<(), govproof_verify::VerifyError>,
    cross: Option<Result<(), BbVerdict>>,
) -> (CheckStatus, String) {
    match (native, cross) {
        (Ok(()), None) => (
            CheckStatus::Pass,
            format!(
                "verified {what} in-process: sumcheck, all 29 subrelations, Shplemini and the \
                 KZG pairing (govproof-verify; bb not used)"
            ),
        ),
        (Ok(()), Some(Ok(()))) => (
            CheckStatus::Pass,
            format!("verified {what} in-process (govproof-verify) and by bb alike"),
        ),
        // A refused input (bb's error, not its "false") fails the check as a proof that
        // does not verify does: either way it is not a proof of these public inputs.
        (Err(e), None) | (Err(e), Some(Err(BbVerdict::Rejected(_)))) => {
            (CheckStatus::Fail, format!("{what} does not verify: {e}"))
        }
        (Ok(()), Some(Err(bb))) => (
            CheckStatus::Error,
            format!(
                "the in-process verifier accepts {what} but bb does not ({bb}): the two \
                 verifiers disagree, report this bundle"
            ),
        ),
        (Err(e), Some(Ok(()))) => (
            CheckStatus::Error,
            format!(
                "bb accepts {what} but the in-process verifier does not ({e}): the two \
                 verifiers disagree, report this bundle"
            ),
        ),
        (Err(e), Some(Err(BbVerdict::CouldNotRun(why)))) => (
            CheckStatus::Error,
            format!("{what} does not verify in-process ({e}), and bb could not check it: {why}"),
        ),
    }
}

/// The in-process verifier's answer on each pending proof: one [`govproof_verify::verify_batch`]
/// per setup, with a fresh `seed()`, and, for a setup whose batch does not hold (or when no
/// random seed can be had), each of its proofs verified on its own, so that the answers are
/// exactly [`govproof_verify::verify`]'s.
fn batch_outcomes(
    pending: &[PendingProof],
    seed: &mut dyn FnMut() -> Option<[u8; 32]>,
) -> Vec<Result<(), govproof_verify::VerifyError>> {
    let mut holds: Vec<(SetupId, bool)> = Vec::new();
    for p in pending {
        if holds.iter().any(|(s, _)| *s == p.setup) {
            continue;
        }
        let items: Vec<govproof_verify::BatchItem<'_>> = pending
            .iter()
            .filter(|q| q.setup == p.setup)
            .map(|q| (&q.key, q.proof.as_slice(), q.inputs.as_slice()))
            .collect();
        let held =
            seed().is_some_and(|seed| govproof_verify::verify_batch(&items, &p.g2, seed).is_ok());
        holds.push((p.setup, held));
    }
    pending
        .iter()
        .map(|p| {
            if holds.iter().any(|(s, held)| *s == p.setup && *held) {
                Ok(())
            } else {
                govproof_verify::verify(&p.key, &p.proof, &p.inputs, &p.g2)
            }
        })
        .collect()
}

/// bb's answer when it does not accept a proof ([`VerifyHooks::cross_check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BbVerdict {
    /// bb says the proof does not verify (or refuses it as input).
    Rejected(String),
    /// bb could not be run.
    CouldNotRun(String),
}

impl std::fmt::Display for BbVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BbVerdict::Rejected(why) => write!(f, "bb rejects it: {why}"),
            BbVerdict::CouldNotRun(why) => write!(f, "bb could not check it: {why}"),
        }
    }
}

/// The `[tau]_2` of a setup the verifier knows: Ignition's, built in, or this build's
/// development setup's (whose fingerprint the bundle must name).
fn setup_g2(setup: SetupId) -> Option<govproof_verify::G2Point> {
    match setup {
        SetupId::Ignition => Some(govproof_verify::G2Point::ignition()),
        SetupId::Development(fingerprint) => (development_fingerprint() == fingerprint)
            .then(|| govproof_verify::G2Point::from_bytes(&DEVELOPMENT_G2).ok())
            .flatten(),
    }
}

/// The key of `pin` for `setup` and `target`, and whether it was `pinned` or `computed`: the
/// pinned one, or (for an Ignition key this build does not pin) the one `compute` gives from the
/// embedded circuit; never the bundle's. The error carries the status a check reports:
/// [`CheckStatus::Fail`] for a setup this build has no key for, [`CheckStatus::Error`] when the
/// key could not be obtained.
pub fn key_of_pin(
    pin: &PinnedCircuit,
    setup: SetupId,
    target: ProofTarget,
    compute: impl FnOnce() -> Result<VerificationKey, String>,
) -> Result<(VerificationKey, &'static str), (CheckStatus, String)> {
    if let Some(k) = pin.key(setup, target) {
        return k
            .key()
            .map(|vk| (vk, "pinned"))
            .map_err(|e| (CheckStatus::Error, e.to_string()));
    }
    if setup != SetupId::Ignition {
        return Err((
            CheckStatus::Fail,
            format!(
                "no verification key of `{}` for the {setup} setup: the only development \
                 setup this build knows is its own",
                pin.id
            ),
        ));
    }
    compute().map(|vk| (vk, "computed")).map_err(|e| {
        (
            CheckStatus::Error,
            format!(
                "the Ignition key of `{}` for target `{target}` is not pinned in this \
                 build, and it could not be computed: {e}; import Ignition points with \
                 `govproof setup --import-crs DIR` (or pin the key with `{REGENERATE}` \
                 on a machine that has them)",
                pin.id
            ),
        )
    })
}

/// What vouches for a bundle's circuit and key: a pin of this build, or the registry entry of the
/// bundle's model (in the verified snapshot's tree) with the digests it names.
enum Voucher<'a> {
    /// A pinned circuit.
    Pin(&'a PinnedCircuit),
    /// A registry entry that names its circuit.
    Entry {
        entry: &'a Entry,
        circuit: &'a CircuitDigests,
    },
}

impl Voucher<'_> {
    /// The trusted circuit's name.
    fn id(&self) -> &str {
        match self {
            Voucher::Pin(pin) => &pin.id,
            Voucher::Entry { entry, .. } => entry.fields().profile.as_str(),
        }
    }

    /// The trusted profile's name.
    fn profile_name(&self) -> &str {
        match self {
            Voucher::Pin(pin) => &pin.profile,
            Voucher::Entry { entry, .. } => entry.fields().profile.as_str(),
        }
    }

    /// The trusted profile (which fixes the public-input layout).
    fn profile(&self) -> Result<Profile, (CheckStatus, String)> {
        match self {
            Voucher::Pin(pin) => pin
                .parsed_profile()
                .map_err(|e| (CheckStatus::Error, e.to_string())),
            Voucher::Entry { entry, .. } => Profile::from_name(entry.fields().profile.as_str())
                .map_err(|e| {
                    (
                        CheckStatus::Fail,
                        format!(
                            "registry entry `{}` version `{}` names profile `{}`, which is not a \
                             circuit profile this verifier knows: {e}",
                            entry.model_id(),
                            entry.version(),
                            entry.fields().profile
                        ),
                    )
                }),
        }
    }

    /// The trusted bytecode digest.
    fn artifact_digest(&self) -> Digest {
        match self {
            Voucher::Pin(pin) => pin.artifact_digest,
            Voucher::Entry { circuit, .. } => circuit.bytecode_digest,
        }
    }

    /// Where the trust comes from, for a pass (empty for a pin, as before entries named keys).
    fn source(&self) -> String {
        match self {
            Voucher::Pin(_) => String::new(),
            Voucher::Entry { entry, .. } => format!(
                " (as the signed registry entry of `{}` version `{}` names them)",
                entry.model_id(),
                entry.version()
            ),
        }
    }
}

/// The registry entry that vouches for a circuit this build does not pin: the bundle's entry,
/// for the bundle's model, in the tree of the snapshot the registry check verified, naming its
/// circuit. The error is the `circuit` check's status and detail.
fn vouching_entry<'a>(
    b: &'a Bundle,
    verified: Option<&VerifiedSnapshot>,
    pinned_ids: Vec<&str>,
) -> Result<Voucher<'a>, (CheckStatus, String)> {
    let fail = |detail: String| (CheckStatus::Fail, detail);
    let c = &b.circuit;
    let Some(claim) = &b.registry.entry else {
        return Err(fail(format!(
            "unknown circuit `{}`: this verifier pins {}, and the bundle carries no registry \
             entry to vouch for its key",
            c.id,
            pinned_ids
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let Some(verified) = verified else {
        return Err(fail(format!(
            "circuit `{}` is not pinned in this build, and its key can only be vouched for by a \
             registry snapshot that verifies, which this one does not (see the registry check)",
            c.id
        )));
    };
    let entry = &claim.entry;
    if !entry.is(&b.model.id, &b.model.version) {
        return Err(fail(format!(
            "the bundle's registry entry is for `{}` version `{}`, but the bundle's model is `{}` \
             version `{}`",
            entry.model_id(),
            entry.version(),
            b.model.id,
            b.model.version
        )));
    }
    if verified
        .check_membership(&entry.leaf(), &claim.path)
        .is_err()
    {
        return Err(fail(format!(
            "the bundle's registry entry of `{}` version `{}` is not in the tree of snapshot {} \
             (merkle root {}): the signatures do not cover it",
            entry.model_id(),
            entry.version(),
            verified.snapshot().version(),
            verified.snapshot().merkle_root()
        )));
    }
    let Some(circuit) = &entry.fields().circuit else {
        return Err(fail(format!(
            "circuit `{}` is not pinned in this build, and the registry entry of `{}` version \
             `{}` names no circuit digests (it was written before entries named them), so it \
             cannot vouch for a key",
            c.id,
            entry.model_id(),
            entry.version()
        )));
    };
    if entry.fields().profile.as_str() != c.id.as_str() {
        return Err(fail(format!(
            "the registry entry of `{}` version `{}` is proved with circuit `{}`, the bundle \
             names circuit `{}`",
            entry.model_id(),
            entry.version(),
            entry.fields().profile,
            c.id
        )));
    }
    Ok(Voucher::Entry { entry, circuit })
}

/// The bundle's own key, once its digest is the one `entry` names for the bundle's setup and
/// target; only then is it parsed.
fn entry_key(
    b: &Bundle,
    entry: &Entry,
    circuit: &CircuitDigests,
) -> Result<VerificationKey, (CheckStatus, String)> {
    let fail = |detail: String| (CheckStatus::Fail, detail);
    let (setup, target) = (b.setup, b.circuit.proof_target);
    let Some(named) = circuit.key(setup, target) else {
        return Err(fail(format!(
            "the registry entry of `{}` version `{}` names no verification key for the {setup} \
             setup and target `{target}` (it names {})",
            entry.model_id(),
            entry.version(),
            circuit
                .verification_keys
                .iter()
                .map(|k| format!("the {} setup and target `{}`", k.setup.kind(), k.target))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let Some(carried) = &b.circuit.verification_key else {
        return Err(fail(format!(
            "circuit `{}` is not pinned in this build and the bundle carries no verification key \
             (the registry entry names {})",
            b.circuit.id, named.vk_hash
        )));
    };
    if carried.digest() != named.vk_hash {
        return Err(fail(format!(
            "the bundle's verification key hashes to {}, but the registry entry of `{}` version \
             `{}` names {} for the {} setup and target `{target}`",
            carried.digest(),
            entry.model_id(),
            entry.version(),
            named.vk_hash,
            setup.kind()
        )));
    }
    VerificationKey::from_parts(carried.as_bytes().to_vec(), setup, target).map_err(|e| {
        fail(format!(
            "the bundle's verification key, whose digest the registry names, is not a key for \
             target `{target}`: {e}"
        ))
    })
}

fn describe_kind(p: &Profile) -> String {
    match p.kind() {
        DecisionKind::ScoreBand { bands } => format!("score bands (up to {bands})"),
        DecisionKind::Gate => "a yes/no gate".to_string(),
    }
}

/// Whether the bundle names its outcome as the policy does.
fn outcome_problem(policy: &Policy, claim: &OutcomeClaim) -> Option<String> {
    match (policy.decision(), claim) {
        (
            PolicyDecision::ScoreBand { bands, .. },
            OutcomeClaim::ScoreBand {
                band_index,
                band,
                outcome,
            },
        ) => match bands.get(*band_index as usize) {
            None => Some(format!(
                "the policy has {} bands, the bundle claims band {band_index}",
                bands.len()
            )),
            Some(p) if p.name.as_str() != band.as_str() || PolicyOutcome::from(p.outcome) != *outcome => {
                Some(format!(
                    "the policy calls band {band_index} `{}` ({}), the bundle calls it `{band}` ({outcome})",
                    p.name.as_str(),
                    p.outcome
                ))
            }
            Some(_) => None,
        },
        (
            PolicyDecision::Gate {
                at_or_above, below, ..
            },
            OutcomeClaim::Gate { decision, outcome },
        ) => {
            let want: PolicyOutcome = if *decision { *at_or_above } else { *below }.into();
            (want != *outcome).then(|| {
                format!(
                    "the policy's outcome for this side of the threshold is {want}, the bundle says {outcome}"
                )
            })
        }
        _ => Some("the policy's decision kind is not the bundle's outcome kind".to_string()),
    }
}

impl Report {
    /// The report on a document that is not a bundle (unreadable as one, or larger than
    /// [`super::document::MAX_BUNDLE_BYTES`]): the `format` check fails with `detail`, nothing else runs.
    /// `size` is the document's size when it is known.
    pub fn format_failure(detail: impl Into<String>, size: Option<usize>) -> Report {
        let mut r = Recorder { checks: Vec::new() };
        r.put(CheckName::Format, CheckStatus::Fail, detail);
        for name in &CheckName::ALL[1..] {
            r.put(
                *name,
                CheckStatus::Skip,
                "not run: the bundle cannot be read",
            );
        }
        Report {
            bundle: None,
            size,
            checks: r.checks,
            signed_by: None,
            signers: Vec::new(),
            next_trust: None,
            state_error: None,
        }
    }

    /// The report on a bundle that was read but not checked, because the input `check` needs
    /// cannot be used (`detail`): `format` passes, `check` could not be run, the rest is skipped.
    pub(super) fn not_run(bundle: Bundle, size: usize, check: CheckName, detail: String) -> Report {
        let mut r = Recorder { checks: Vec::new() };
        r.put(
            CheckName::Format,
            CheckStatus::Pass,
            format!(
                "a govproof bundle, format version {}, {size} bytes",
                bundle.version
            ),
        );
        for name in &CheckName::ALL[1..] {
            if *name == check {
                r.put(*name, CheckStatus::Error, detail.as_str());
            } else {
                r.put(
                    *name,
                    CheckStatus::Skip,
                    format!(
                        "not run: the input of the `{}` check cannot be used",
                        check.as_str()
                    ),
                );
            }
        }
        Report {
            bundle: Some(bundle),
            size: Some(size),
            checks: r.checks,
            signed_by: None,
            signers: Vec::new(),
            next_trust: None,
            state_error: None,
        }
    }

    /// Replaces the result of check `name` (for an input of that check that cannot be used).
    pub(super) fn set_check(&mut self, name: CheckName, status: CheckStatus, detail: String) {
        if let Some(c) = self.checks.iter_mut().find(|c| c.name == name) {
            c.status = status;
            c.detail = one_line(&detail);
        }
    }

    /// The bundle, when it could be read.
    pub fn bundle(&self) -> Option<&Bundle> {
        self.bundle.as_ref()
    }

    /// Every check, in report order.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The names of the checks that failed.
    pub fn failed(&self) -> Vec<CheckName> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .map(|c| c.name)
            .collect()
    }

    /// Whether a policy file was compared with the bundle and matched it: only then are the
    /// policy's id and version and the outcome's names facts rather than the lender's words.
    pub fn policy_checked(&self) -> bool {
        self.checks
            .iter()
            .any(|c| c.name == CheckName::Policy && c.status == CheckStatus::Pass)
    }

    /// What the bundle says that no check verified (empty once the policy check passed): the
    /// policy's id and version and the outcome's names. Everything else the report states is
    /// bound by the proof's public inputs or by the registry's signatures.
    pub fn unchecked(&self) -> Vec<Unchecked> {
        let Some(b) = &self.bundle else {
            return Vec::new();
        };
        if self.policy_checked() {
            return Vec::new();
        }
        let mut out = vec![
            Unchecked {
                claim: "policy.id",
                value: b.policy.id.to_string(),
            },
            Unchecked {
                claim: "policy.version",
                value: b.policy.version.to_string(),
            },
        ];
        if let OutcomeClaim::ScoreBand { band, .. } = &b.decision.outcome {
            out.push(Unchecked {
                claim: "decision.outcome.band",
                value: band.to_string(),
            });
        }
        out.push(Unchecked {
            claim: "decision.outcome.outcome",
            value: b.decision.outcome.outcome().to_string(),
        });
        out
    }

    /// Records that the trust state could not be written after this bundle: the run could not
    /// do what it was asked, so the verdict becomes "could not check" (unless a check failed).
    pub fn set_state_error(&mut self, detail: impl Into<String>) {
        self.state_error = Some(one_line(&detail.into()));
    }

    /// Why the trust state could not be written, if it could not.
    pub fn state_error(&self) -> Option<&str> {
        self.state_error.as_deref()
    }

    /// The governance keys whose signatures on the bundle's snapshot were counted, with their
    /// holders' names from the trusted root (empty when the registry check did not pass).
    pub fn signers(&self) -> &[Signer] {
        &self.signers
    }

    /// Whether the bundle says it was proved with a development setup.
    pub fn development_setup(&self) -> bool {
        self.bundle
            .as_ref()
            .is_some_and(|b| matches!(b.setup, SetupId::Development(_)))
    }

    /// The verdict. A development-setup proof that passes every check is
    /// [`Verdict::ValidDevelopmentSetup`] whether or not the policy was checked: such a proof is
    /// no evidence, so nothing else about it matters as much.
    pub fn verdict(&self) -> Verdict {
        if self.checks.iter().any(|c| c.status == CheckStatus::Fail) {
            Verdict::Invalid
        } else if self.checks.iter().any(|c| c.status == CheckStatus::Error)
            || self.state_error.is_some()
        {
            Verdict::CouldNotCheck
        } else if self.development_setup() {
            Verdict::ValidDevelopmentSetup
        } else if !self.policy_checked() {
            Verdict::ValidPolicyNotChecked
        } else {
            Verdict::Valid
        }
    }

    /// The trust state to keep after a bundle whose proof holds (its snapshot becomes the newest
    /// accepted; whether the policy was checked does not matter to the registry); `None`
    /// otherwise.
    pub fn next_trust(&self) -> Option<&TrustState> {
        if self.verdict().proof_holds() {
            self.next_trust.as_ref()
        } else {
            None
        }
    }

    /// The verdict's line, as the text report ends.
    pub fn verdict_line(&self) -> String {
        let failed: Vec<&str> = self.failed().iter().map(CheckName::as_str).collect();
        match self.verdict() {
            Verdict::Valid => "VALID: every check passed".to_string(),
            Verdict::ValidPolicyNotChecked => format!(
                "VALID (policy not checked): the proof and every other check passed, but without \
                 the policy file (--policy) these are the lender's words, not checked: {} (exit {})",
                self.unchecked()
                    .iter()
                    .map(|u| format!("{} `{}`", u.claim, u.value))
                    .collect::<Vec<_>>()
                    .join(", "),
                Verdict::ValidPolicyNotChecked as u8
            ),
            Verdict::ValidDevelopmentSetup => format!(
                "VALID (development setup: not evidence): every check that ran passed, but the \
                 proof was made with the development setup, whose secret is public: anyone can \
                 forge it, so it proves nothing{} (exit {})",
                if self.policy_checked() {
                    ""
                } else {
                    "; the policy was not checked either (no policy file)"
                },
                Verdict::ValidDevelopmentSetup as u8
            ),
            Verdict::Invalid => format!("INVALID: failed {}", failed.join(", ")),
            Verdict::CouldNotCheck => {
                let mut what: Vec<String> = self
                    .checks
                    .iter()
                    .filter(|c| c.status == CheckStatus::Error)
                    .map(|c| c.name.as_str().to_string())
                    .collect();
                if let Some(e) = &self.state_error {
                    what.push(format!("the trust state was not written ({e})"));
                }
                format!("COULD NOT CHECK: {}", what.join(", "))
            }
        }
    }

    /// The human report: what was decided (model, registry version, policy, band), then each
    /// check, then the verdict. Words no check verified are shown as the lender's, never as facts.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        if let Some(b) = &self.bundle {
            let d = &b.decision;
            let snap = &b.registry.snapshot.signed;
            let checked = self.policy_checked();
            let line = |s: &mut String, k: &str, v: String| {
                let _ = writeln!(s, "{k:<10} {v}");
            };
            line(&mut s, "decision", format!("`{}` at {}", d.id, d.time));
            line(&mut s, "scope", d.scope.to_string());
            line(
                &mut s,
                "outcome",
                if checked {
                    d.outcome.to_string()
                } else {
                    format!(
                        "{} (the lender calls it {}: not checked, no policy file)",
                        proved_outcome(&d.outcome),
                        outcome_words(&d.outcome)
                    )
                },
            );
            if !b.reasons.is_empty() {
                let words: Vec<String> = b
                    .reasons
                    .iter()
                    .map(|c| format!("{} `{}` ({})", c.code, c.feature, c.text))
                    .collect();
                line(
                    &mut s,
                    "reasons",
                    if checked {
                        words.join("; ")
                    } else {
                        format!("{} (the lender's words: no policy file)", words.join("; "))
                    },
                );
            }
            line(
                &mut s,
                "model",
                format!("`{}` version `{}`", b.model.id, b.model.version),
            );
            let signed = match self.signed_by {
                Some((n, k, root)) => {
                    format!(
                        ", signed by {n} keys of root {root} (threshold {k}: {})",
                        self.signers
                            .iter()
                            .map(Signer::name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
                None => String::new(),
            };
            line(
                &mut s,
                "registry",
                format!(
                    "snapshot {}{signed}, merkle root {}",
                    snap.version(),
                    snap.merkle_root()
                ),
            );
            line(
                &mut s,
                "policy",
                if checked {
                    format!(
                        "`{}` version `{}`, hash {}",
                        b.policy.id, b.policy.version, b.policy.hash
                    )
                } else {
                    format!(
                        "hash {} (the lender calls it `{}` version `{}`: not checked, no policy \
                         file)",
                        b.policy.hash, b.policy.id, b.policy.version
                    )
                },
            );
            line(
                &mut s,
                "circuit",
                format!(
                    "`{}`, target `{}`, bb {}",
                    b.circuit.id, b.circuit.proof_target, b.circuit.bb_version
                ),
            );
            line(
                &mut s,
                "setup",
                match b.setup {
                    SetupId::Ignition => "Ignition".to_string(),
                    SetupId::Development(_) => {
                        "DEVELOPMENT (publicly known secret: this proof proves nothing)".to_string()
                    }
                },
            );
            line(&mut s, "commitment", b.input_commitment.to_string());
            s.push('\n');
        }
        s.push_str("checks\n");
        for c in &self.checks {
            let _ = writeln!(
                s,
                "  {:<5} {:<14} {}",
                // ASCII: Unicode's case tables would cost the browser verifier 20 KB.
                c.status.as_str().to_ascii_uppercase(),
                c.name.as_str(),
                c.detail
            );
        }
        s.push('\n');
        s.push_str(&self.verdict_line());
        s.push('\n');
        s
    }

    /// The report as JSON (the same content as [`Report::render_text`]): `policy_checked`, and
    /// the words no check verified under `unchecked` (then absent from `decision.outcome` and
    /// `policy`, which hold only what was checked). As serde_json's value, for the command line;
    /// [`Report::to_json_value`] is the same document in core's own tree.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.to_json_value()).unwrap_or(Value::Null)
    }

    /// [`Report::to_json`] as core's JSON tree (which the browser module writes without
    /// serde_json): members in the order listed here, sorted when written canonically.
    pub fn to_json_value(&self) -> crate::json::Value {
        use crate::json::{array, object, value, Value as J};
        let str = |s: &str| J::String(s.to_string());
        let checks = array(self.checks.iter().map(|c| {
            object(vec![
                ("name", str(c.name.as_str())),
                ("status", str(c.status.as_str())),
                ("detail", str(&c.detail)),
            ])
        }));
        let unchecked = array(
            self.unchecked()
                .iter()
                .map(|u| object(vec![("claim", value(&u.claim)), ("value", value(&u.value))])),
        );
        let mut doc = object(vec![
            ("result", str(self.verdict().as_str())),
            ("exit_code", value(&(self.verdict() as u8))),
            ("bundle_bytes", value(&self.size)),
            (
                "failed",
                array(self.failed().iter().map(|c| str(c.as_str()))),
            ),
            ("checks", checks),
            ("policy_checked", J::Bool(self.policy_checked())),
            ("unchecked", unchecked),
        ]);
        if let Some(e) = &self.state_error {
            doc.insert("state_error", value(e));
        }
        if let Some(b) = &self.bundle {
            let snap = &b.registry.snapshot.signed;
            let checked = self.policy_checked();
            let outcome = if checked {
                value(&b.decision.outcome)
            } else {
                match &b.decision.outcome {
                    OutcomeClaim::ScoreBand { band_index, .. } => object(vec![
                        ("kind", str("score_band")),
                        ("band_index", value(band_index)),
                    ]),
                    OutcomeClaim::Gate { decision, .. } => {
                        object(vec![("kind", str("gate")), ("decision", value(decision))])
                    }
                }
            };
            doc.insert(
                "decision",
                object(vec![
                    ("id", value(&b.decision.id)),
                    ("time", value(&b.decision.time)),
                    ("scope", value(&b.decision.scope)),
                    ("outcome", outcome),
                ]),
            );
            doc.insert("model", value(&b.model));
            doc.insert(
                "registry",
                object(vec![
                    ("snapshot_version", value(&snap.version())),
                    ("merkle_root", value(&snap.merkle_root())),
                    ("expires", value(&snap.expires())),
                    ("signed_by", value(&self.signed_by.map(|(n, _, _)| n))),
                    ("threshold", value(&self.signed_by.map(|(_, k, _)| k))),
                    ("root_version", value(&self.signed_by.map(|(_, _, v)| v))),
                    (
                        "signers",
                        array(self.signers.iter().map(|s| {
                            object(vec![
                                ("key_id", value(&s.key_id)),
                                ("holder", value(&s.holder)),
                            ])
                        })),
                    ),
                ]),
            );
            doc.insert(
                "policy",
                if checked {
                    value(&b.policy)
                } else {
                    object(vec![("hash", value(&b.policy.hash))])
                },
            );
            doc.insert("circuit", value(&b.circuit));
            doc.insert("setup", value(&b.setup));
            doc.insert("input_commitment", value(&b.input_commitment));
        }
        doc
    }
}

/// The part of an outcome the proof binds: the band index or the gate's side.
pub(crate) fn proved_outcome(claim: &OutcomeClaim) -> String {
    match claim {
        OutcomeClaim::ScoreBand { band_index, .. } => format!("band {band_index}"),
        OutcomeClaim::Gate { decision: true, .. } => "at or above the threshold".to_string(),
        OutcomeClaim::Gate {
            decision: false, ..
        } => "below the threshold".to_string(),
    }
}

/// The outcome's names, which only the policy file settles.
pub(crate) fn outcome_words(claim: &OutcomeClaim) -> String {
    match claim {
        OutcomeClaim::ScoreBand { band, outcome, .. } => format!("`{band}` (`{outcome}`)"),
        OutcomeClaim::Gate { outcome, .. } => format!("`{outcome}`"),
    }
}
