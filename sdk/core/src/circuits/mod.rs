//! The pure part of the circuits: the native, bit-exact twins of the Noir libraries that a
//! verifier needs to read a bundle's public inputs and a policy's encoding.
//!
//! - [`fixed`]: fixed-point scale, bounds, quantization and band-edge conversion;
//! - [`profile`]: circuit profiles and their stable names;
//! - [`model`], [`trees`], [`tree_table`]: quantized models, tree ensembles and tree tables
//!   (profiles name their shapes; policies are checked against their weights);
//! - [`reasons`]: proven reasons (contributions against baselines, the reason codes);
//! - [`policy`]: a policy's field encoding and hash, decision rules and outcomes.
//!
//! The SDK re-exports each module under `govproof::circuits::...` and keeps what needs the
//! toolchain or the prover there: the composite decision, the generator and gate counts.

pub mod fixed;
pub mod model;
pub mod policy;
pub mod profile;
pub mod reasons;
pub mod tree_table;
pub mod trees;

pub use fixed::{FixedError, Score};
pub use model::{Features, ModelError, QuantizedModel};
pub use policy::{
    CircuitOutcome, DecisionRule, FeatureRange, ModelRef, PolicyEncoding, PolicyError, PolicySpec,
};
pub use profile::{DecisionKind, HiddenLayers, ModelFamily, Profile, ProfileError};
