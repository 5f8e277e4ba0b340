//! govproof-core: what a verifier of govproof bundles needs, and nothing else.
//!
//! - [`blake3`]: BLAKE3, the crate natively and a compact implementation in the wasm32 build;
//! - [`field`]: BN254 field elements that refuse non-canonical values;
//! - [`float`]: numbers in messages, spelt as Rust spells them, without `core::fmt`'s float code;
//! - [`hash`]: the circuits' Poseidon2 sponge, on `govproof-verify`'s permutation;
//! - [`json`]: the one strict JSON reader of every document;
//! - [`toml`]: the one TOML reader (of policies), keeping the span of every key and value;
//! - [`commit`], [`merkle`]: labels, scopes, registry leaves and the registry's Merkle tree;
//! - [`proof`], [`setup`]: proof targets and their sizes, and which setup made a proof;
//! - [`bundle`]: the bundle format, read strictly;
//! - [`circuits`]: fixed point, profiles, models, reasons and the policy encoding, bit-exact
//!   with the Noir libraries;
//! - [`opening`]: the input opening (features and salt) a bundle's commitment is checked with;
//! - [`policy`]: policies as TOML: reading, checking at file:line, hashing, cases, explanations;
//! - [`registry`]: the signed model registry's documents and the trust checks on them.
//!
//! No prover, acvm, bb, node or toolchain is in its dependency tree, and it builds for
//! `wasm32-unknown-unknown`. The SDK (`govproof`) depends on it and re-exports every module under
//! its old path (`govproof::field`, ...); see `docs/core.md`.

#![forbid(unsafe_code)]

pub mod blake3;
pub mod bundle;
pub mod circuits;
pub mod commit;
pub mod field;
pub mod float;
pub mod hash;
pub mod json;
pub mod merkle;
pub mod opening;
pub mod policy;
pub mod proof;
pub mod registry;
pub mod setup;
pub(crate) mod sort;
pub mod toml;
