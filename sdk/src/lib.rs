//! govproof: one zero-knowledge proof that an automated credit decision came from an approved
//! model version in a signed registry, inside the scope a policy authorises, on a committed input.
//!
//! The crate is layered bottom-up:
//! - [`field`]: BN254 field elements that refuse non-canonical values;
//! - [`input_file`]: reading files of outside input, regular files only and within a limit;
//! - [`toolchain`]: the pinned Noir compiler and `bb` prover, installed and checked;
//! - [`noir`]: compiling Noir projects to artifacts;
//! - [`artifact`], [`abi`], [`witness`]: reading artifacts, encoding inputs, solving witnesses with acvm;
//! - [`setup`], [`prover`]: trusted setups (Ignition or development) and the warm `bb` prover;
//! - [`policy`]: policies as TOML, checked, hashed, tested and explained;
//! - [`decide`]: the decision path (prepare, prove on any backend, seal) and its [`load`]ers;
//! - [`bundle`]: proof bundles and the bundled verifier;
//! - [`audit`]: audits of a model on an auditor's applications, proved row by row and checked
//!   without the weights;
//! - [`demo`]: the demonstration's policy, reference model, registry and application.
//!
//! The command line (`govproof ...`) is the separate `govproof-cli` package (`cli/`).
//!
//! The types a service needs to embed govproof are re-exported here. Given a folder as
//! `govproof demo` leaves it (a registry, its trusted root, a policy, a `.govproof` model file and
//! an application), proving one decision is:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let scratch = tempfile::tempdir()?;
//! # let dir = scratch.path().join("demo");
//! # use govproof::demo::{self, Approval};
//! # let now = Timestamp::now();
//! # std::fs::create_dir_all(&dir)?;
//! # let policy = demo::demo_policy(now)?;
//! # std::fs::write(dir.join("policy.toml"), demo::DEMO_POLICY)?;
//! # let model = demo::demo_model(&policy)?;
//! # let model_bytes = govproof::decide::reference::reference_model_file(&policy, &model)?.to_bytes();
//! # std::fs::write(dir.join("model.govproof"), &model_bytes)?;
//! # let model_digest = govproof::registry::entry::Digest::from_bytes(*blake3::hash(&model_bytes).as_bytes());
//! # let keys = demo::governance_keys(&dir.join("keys"))?;
//! # let approval = Approval { model: &model, model_digest, policy: &policy };
//! # let (_, root) = demo::publish_registry(&dir.join("registry"), &keys, demo::DEMO_THRESHOLD, &[approval], now)?;
//! # std::fs::write(dir.join("root.json"), serde_json::to_string_pretty(&root)?)?;
//! # let application = demo::demo_application(&policy, now)?;
//! # std::fs::write(dir.join("application.json"), govproof::decide::reference::application_json(&policy, &application))?;
//! # let home = govproof::toolchain::home()?;
//! # let setup = govproof::setup::dangerous::development_setup(&home.join("setups/development"))?;
//! # prove_one(&dir, setup)?;
//! # assert!(dir.join("bundle-2.json").is_file());
//! # Ok(()) }
//! use std::path::Path;
//! use govproof::{load, Decided, DecisionContext, DecisionParts, Setup, Timestamp};
//!
//! fn prove_one(dir: &Path, setup: Setup) -> Result<(), Box<dyn std::error::Error>> {
//!     let now = Timestamp::now();
//!     let policy = load::policy(&dir.join("policy.toml"), Some(now))?;
//!     let application = load::application(&dir.join("application.json"), &policy, now)?;
//!     let context = DecisionContext::new(DecisionParts {
//!         registry: load::registry(&dir.join("registry"), &dir.join("root.json"), now)?,
//!         model: load::model(&dir.join("model.govproof"))?,
//!         policy,
//!         setup, // `Setup::ignition(..)` in production: the demo's folder uses the development one
//!     })?;
//!     let mut prover = context.prover()?; // or `context.pool(..)` to prove many at once
//!     match context.decide(&application, &mut prover)? {
//!         Decided::Proved(p) => std::fs::write(dir.join("bundle-2.json"), p.bundle.to_json_pretty())?,
//!         Decided::Refused(refusal) => println!("{refusal}"),
//!     }
//!     Ok(())
//! }
//! ```

pub mod abi;
pub mod artifact;
pub mod audit;
pub mod bundle;
pub mod circuits;
pub mod decide;
pub mod demo;
pub mod field;
pub mod input_file;
pub mod model;
pub mod noir;
pub mod policy;
pub mod prover;
pub mod registry;
pub mod setup;
pub mod toolchain;
pub mod translog;
pub mod witness;

// The verification-only crate's modules, under the paths they always had.
pub use govproof_core::{commit, hash, json, merkle};

pub use bundle::{Bundle, BundleVerifier, Report, Verdict, VerifyOptions};
pub use decide::{
    load, Application, ContextOptions, DecideError, Decided, DecisionContext, DecisionParts,
    InputOpening, Model, Preparation, PreparedDecision, ProofBackend, Proved, Refusal,
    TrustedRegistry,
};
pub use policy::Policy;
pub use prover::pool::{PoolConfig, ProverPool};
pub use prover::Prover;
pub use registry::Timestamp;
pub use setup::Setup;

/// The README's examples, compiled as doc tests (the embedding example there is the one above).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
