//! The circuits: profiles, the native mirrors of every circuit computation, the composite
//! decision's inputs, and the generator of a profile's composite Noir package.
//!
//! The Noir sources live in the repository's `circuits/` folder (one library per concern, a
//! standalone program per library, and one composite package per reference profile); this module
//! is their bit-exact twin:
//! - [`fixed`]: fixed-point scale, bounds, quantization and band-edge conversion;
//! - [`model`]: quantized models (linear, one-hidden-layer perceptron), weights and input
//!   commitments, inference;
//! - [`policy`]: a policy's field encoding and hash, decision rules and outcomes;
//! - [`profile`]: circuit profiles and their stable names;
//! - [`decision`]: one decision's public statement and witness, a native check of every
//!   constraint, and the composite's inputs;
//! - [`generate`]: the composite package for a profile, from the embedded libraries;
//! - [`info`]: gate counts of the embedded circuits (`govproof circuits info`).

pub mod decision;
pub mod fixed;
pub mod generate;
pub mod info;
pub mod model;
pub mod policy;
pub mod profile;

pub use decision::{Constraint, Decision, DecisionError, DecisionWitness, PublicStatement};
pub use fixed::{FixedError, Score};
pub use info::circuits_info;
pub use model::{Features, ModelError, QuantizedModel};
pub use policy::{
    DecisionRule, FeatureRange, ModelRef, Outcome, PolicyEncoding, PolicyError, PolicySpec,
};
pub use profile::{DecisionKind, ModelFamily, Profile, ProfileError};
