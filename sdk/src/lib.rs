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
//! - [`decide`]: the prover API (one call proves one decision into a bundle);
//! - [`bundle`]: proof bundles and the bundled verifier.

pub mod abi;
pub mod artifact;
pub mod bundle;
pub mod circuits;
pub mod cli;
pub mod commit;
pub mod decide;
pub mod field;
pub mod hash;
pub mod input_file;
pub mod merkle;
pub mod model;
pub mod noir;
pub mod policy;
pub mod prover;
pub mod registry;
pub mod setup;
pub mod toolchain;
pub mod witness;
