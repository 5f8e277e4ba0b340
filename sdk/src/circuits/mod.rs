//! The circuits: profiles, the native mirrors of every circuit computation, the composite
//! decision's inputs, and the generator of a profile's composite Noir package.
//!
//! The Noir sources live in the repository's `circuits/` folder (one library per concern, a
//! standalone program per library, and one composite package per reference profile); this module
//! is their bit-exact twin:
//! - [`fixed`]: fixed-point scale, bounds, quantization and band-edge conversion;
//! - [`model`]: quantized models (linear, perceptrons with 1 to 3 hidden layers), weights and input
//!   commitments, inference;
//! - [`policy`]: a policy's field encoding and hash, decision rules and outcomes;
//! - [`profile`]: circuit profiles and their stable names;
//! - [`trees`]: quantized tree ensembles (scores, commitments), bit-exact with
//!   `circuits/lib/tree_ensemble`;
//! - [`reasons`]: proven reasons (contributions against baselines, the reason codes), bit-exact
//!   with `circuits/lib/reasons`;
//! - [`decision`]: one decision's public statement and witness, a native check of every
//!   constraint, and the composite's inputs;
//! - [`generate`]: the composite package for a profile, from the embedded libraries;
//! - [`info`]: gate counts of the embedded circuits (`govproof circuits info`).

pub mod decision;
pub mod digests;
pub mod generate;
pub mod info;

// The pure part lives in govproof-core (docs/core.md); these are its old paths.
pub use govproof_core::circuits::{fixed, model, policy, profile, reasons, tree_table, trees};

pub use decision::{CircuitDecision, Constraint, DecisionError, DecisionWitness, PublicStatement};
pub use fixed::{FixedError, Score};
pub use info::circuits_info;
pub use model::{Features, ModelError, QuantizedModel};
pub use policy::{
    CircuitOutcome, DecisionRule, FeatureRange, ModelRef, PolicyEncoding, PolicyError, PolicySpec,
};
pub use profile::{DecisionKind, HiddenLayers, ModelFamily, Profile, ProfileError};

#[cfg(test)]
mod tests {
    //! Frozen vectors: the commitment and policy-hash formats are contracts with the registry, the
    //! policies and every proof already made. If one of these changes, every circuit and every
    //! stored commitment changes with it; update them only together with a format version bump.
    //! The policy hash is of format 2 (`policy::POLICY_FORMAT`: the encoding ends with `meta`).

    use super::*;
    use crate::commit::{label, scope_id, ScopeLabels};
    use crate::field::Field;

    fn vector_policy() -> PolicyEncoding {
        let profile = Profile::reference_mlp_band();
        let spec = PolicySpec {
            id: label("policy"),
            version: label("1"),
            valid_from: 1,
            valid_until: 2,
            models: vec![ModelRef::new("model", "1")],
            scopes: vec![scope_id(&ScopeLabels::new("p", "j", "x"))],
            protected: vec![0],
            ranges: vec![FeatureRange { lo: -1, hi: 1 }; 24],
            rule: DecisionRule::ScoreBand {
                edges: vec![fixed::EDGE_MIN, 0, fixed::EDGE_MAX],
            },
            meta: label("document"),
        };
        PolicyEncoding::new(&profile, spec).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn encoding_vectors_are_frozen() {
        let weights: Vec<i64> = (0..25).map(|i| (i - 12) * 1000).collect();
        let model = QuantizedModel::new(24, 0, weights).unwrap_or_else(|e| panic!("{e}"));
        let features = Features::new((0..24).map(|i| i * 70_000 - 800_000).collect())
            .unwrap_or_else(|e| panic!("{e}"));
        let vectors = [
            ("weights commitment", model.commitment()),
            ("input commitment", features.commitment(Field::from(7u64))),
            ("policy hash", vector_policy().hash()),
        ];
        let expected = [
            "0x2243e0a2954bdd9cd917812c2dad1a14512007df890964f111fde91c53a4b39f",
            "0x0a8114e2b52880d2bc48f6edd80399da602966f82f31f4d352d0c793e6f372b0",
            "0x199f53ff6db8daec73b9adcb50221a3d1241a86fb3b010d0500ae7e3234b14fa",
        ];
        for ((what, value), want) in vectors.iter().zip(expected) {
            assert_eq!(value.to_hex(), want, "{what} changed");
        }
    }
}
