//! What govproof's tests, benches and examples share, in one place instead of copies: finding bb
//! and the real Ignition points, governance keys from public seeds, and the demonstration lender
//! (the demo's policy and model approved in a freshly published registry).
//!
//! A dev-dependency only: the library never depends on it. Its keys come from public seeds, so
//! anything signed with them proves nothing; they exist to make fixtures reproducible.

use std::path::{Path, PathBuf};

use govproof::decide::{Model, TrustedRegistry};
use govproof::demo::{demo_model, demo_policy, publish_registry, Approval, DemoError};
use govproof::policy::Policy;
use govproof::registry::entry::Digest;
use govproof::registry::{Root, SecretKey, Signed, Timestamp, TrustState};
use govproof::setup::{dangerous, Setup};

/// The repository's root (the folder of `circuits/`, `policies/`, `tests/data/`).
pub fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// bb from `GOVPROOF_BB`, else from the pinned toolchain, installed on first use (a failure to
/// install panics: a test that proves cannot mean anything without bb). `None` only when
/// `GOVPROOF_BB` names no file.
pub fn bb() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GOVPROOF_BB") {
        if Path::new(&p).is_file() {
            return Some(PathBuf::from(p));
        }
        eprintln!(
            "skipped: GOVPROOF_BB={} is not a file",
            Path::new(&p).display()
        );
        return None;
    }
    let installed = govproof::toolchain::home()
        .and_then(|home| {
            govproof::toolchain::ensure(
                &home,
                govproof::toolchain::InstallPolicy::InstallIfMissing,
                &mut |m| eprintln!("{m}"),
            )
        })
        .unwrap_or_else(|e| panic!("cannot install the pinned toolchain: {e}"));
    Some(installed.bb())
}

/// bb from `GOVPROOF_BB`, else the installed pinned toolchain's, never installing (benchmarks
/// measure nothing rather than install); `None` when neither is there.
pub fn installed_bb() -> Option<PathBuf> {
    std::env::var_os("GOVPROOF_BB")
        .map(PathBuf::from)
        .or_else(|| {
            let home = govproof::toolchain::home().ok()?;
            let found = govproof::toolchain::find_installed(&home, govproof::toolchain::PINNED);
            found.ok().flatten().map(|t| t.bb())
        })
}

/// `shared/crs/ignition-513` (the first 513 real Ignition points) in the nearest folder above the
/// repository that has one; `None`, with the reason printed, when there is none.
pub fn ignition_513() -> Option<PathBuf> {
    let found = repo_root()
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared").join("crs").join("ignition-513"))
        .find(|p| p.join("bn254_g1.dat").is_file());
    if found.is_none() {
        eprintln!("skipped: ../shared/crs/ignition-513 (real Ignition points) is not present");
    }
    found
}

/// The development setup (its secret is public: its proofs prove nothing), its points cached
/// where `govproof demo --dev-setup` keeps them (`<govproof home>/setups/development`), so every
/// test, bench and example generates them once. Panics, naming why, when that fails: nothing that
/// proves can run without it.
pub fn development_setup() -> Setup {
    let home = govproof::toolchain::home()
        .unwrap_or_else(|e| panic!("no govproof home for the development setup: {e}"));
    dangerous::development_setup(&home.join("setups").join("development"))
        .unwrap_or_else(|e| panic!("cannot make the development setup: {e}"))
}

/// Key `i` from the public seed `[i; 32]`: reproducible signatures for fixtures, no secrecy.
pub fn seeded_key(i: u8) -> SecretKey {
    SecretKey::from_seed(&[i; 32])
}

/// Keys 1 to `n` from public seeds ([`seeded_key`]).
pub fn seeded_keys(n: u8) -> Vec<SecretKey> {
    (1..=n).map(seeded_key).collect()
}

/// The demo's policy and model, approved (for every scope of the policy, with an all-zero model
/// digest) in a registry published under `dir` by two of three [`seeded_keys`], opened at `now`.
pub struct DemoLender {
    /// The demo policy, checked at `now`.
    pub policy: Policy,
    /// The reference model.
    pub model: Model,
    /// The registry's signed root 1.
    pub root: Signed<Root>,
    /// The registry, verified against that root at `now`.
    pub trusted: TrustedRegistry,
}

/// Why the demonstration lender could not be set up.
#[derive(Debug)]
pub struct LenderError(pub String);

impl std::fmt::Display for LenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LenderError {}

impl From<DemoError> for LenderError {
    fn from(e: DemoError) -> Self {
        LenderError(e.to_string())
    }
}

/// Publishes the [`DemoLender`]'s registry under `dir` and opens it at `now`.
pub fn demo_lender(dir: &Path, now: Timestamp) -> Result<DemoLender, LenderError> {
    let policy = demo_policy(now)?;
    let model = demo_model(&policy)?;
    let (registry, root) = publish_registry(
        &dir.join("registry"),
        &seeded_keys(3),
        2,
        &[Approval {
            model: &model,
            model_digest: Digest::from_bytes([0; 32]),
            policy: &policy,
        }],
        now,
    )?;
    let trust =
        TrustState::bootstrap(root.clone()).map_err(|e| LenderError(format!("root: {e}")))?;
    let trusted = TrustedRegistry::open(&registry, &trust, now)
        .map_err(|e| LenderError(format!("registry: {e}")))?;
    Ok(DemoLender {
        policy,
        model,
        root,
        trusted,
    })
}
