//! A policy's two fingerprints.
//!
//! - The **policy hash** is what the composite circuit commits to: Poseidon2 ([`Domain::Policy`])
//!   over the circuits' fixed-capacity encoding ([`PolicyEncoding`]). [`circuit_spec`] is the one
//!   function that maps a [`Policy`] to that encoding's fields; nothing else in the policy layer
//!   knows the encoding.
//! - The **document digest** covers everything the policy says, including what the circuit never
//!   sees (title, owner, band names and outcomes, feature names, the score scale): blake3 of
//!   `"govproof/policy-document/v1\0"` and the canonical JSON of [`canonical_json`].
//!
//! Both are computed from the validated policy, never from the text, so comments, whitespace, key
//! order, the order of list entries that are sets (scopes, models, protected features, bands) and
//! the spelling of numbers (`600`, `600.0`, `6e2`, `0x258`) change neither.
//!
//! [`Domain::Policy`]: crate::hash::Domain::Policy

use serde::Serialize;

use crate::commit::label;
use crate::field::Field;

use super::model::{Decision, Parts, Policy, ScoreScale};
use crate::circuits::{
    DecisionRule, FeatureRange, ModelRef, PolicyEncoding, PolicyError, PolicySpec,
};

/// Domain separator of the document digest.
pub const DOCUMENT_DOMAIN: &[u8] = b"govproof/policy-document/v1\0";

/// The circuit's view of a policy: labels, Unix seconds, scope ids, protected indices, feature
/// ranges and band edges in fixed point. This is the single mapping from the TOML layer to the
/// circuits' encoding.
pub(crate) fn circuit_spec(policy: &Parts) -> PolicySpec {
    PolicySpec {
        id: label(policy.id.as_str()),
        version: label(policy.version.as_str()),
        valid_from: policy.valid_from.unix(),
        valid_until: policy.valid_until.unix(),
        models: policy
            .models
            .iter()
            .map(|m| ModelRef {
                id: m.id.label(),
                version: m.version.label(),
            })
            .collect(),
        scopes: policy.scopes.iter().map(|s| s.id()).collect(),
        // Feature counts are bounded by the profile (at most 256), so indices fit in u32.
        protected: policy.protected.iter().map(|&i| i as u32).collect(),
        ranges: policy
            .features
            .iter()
            .map(|f| FeatureRange { lo: f.lo, hi: f.hi })
            .collect(),
        rule: match &policy.decision {
            Decision::ScoreBand { edges, .. } => DecisionRule::ScoreBand {
                edges: edges.clone(),
            },
            Decision::Gate { edge, .. } => DecisionRule::Gate { threshold: *edge },
        },
    }
}

/// The circuits' encoding of the policy for its profile.
pub(crate) fn encode(policy: &Parts) -> Result<PolicyEncoding, PolicyError> {
    PolicyEncoding::new(&policy.profile, circuit_spec(policy))
}

/// A number in the canonical document: finite values as JSON numbers (shortest round-trip form),
/// infinities as the strings `"inf"` and `"-inf"`.
#[derive(Serialize)]
#[serde(untagged)]
enum Num {
    Finite(f64),
    Open(&'static str),
}

fn num(v: f64) -> Num {
    if v == f64::INFINITY {
        Num::Open("inf")
    } else if v == f64::NEG_INFINITY {
        Num::Open("-inf")
    } else {
        Num::Finite(v)
    }
}

#[derive(Serialize)]
struct CanonicalBand<'a> {
    name: &'a str,
    lower: Num,
    upper: Num,
    outcome: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum CanonicalDecision<'a> {
    ScoreBand {
        bands: Vec<CanonicalBand<'a>>,
    },
    Gate {
        threshold: Num,
        at_or_above: &'a str,
        below: &'a str,
    },
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum CanonicalScale {
    Points { offset: Num, factor: Num },
    LogOdds,
    Probability,
}

#[derive(Serialize)]
struct CanonicalFeature<'a> {
    name: &'a str,
    min: Num,
    max: Num,
}

/// Field order here is the canonical order (serde writes struct fields in declaration order).
#[derive(Serialize)]
struct CanonicalPolicy<'a> {
    format: &'static str,
    id: &'a str,
    version: &'a str,
    title: &'a str,
    owner: &'a str,
    profile: String,
    valid_from: u64,
    valid_until: u64,
    scopes: Vec<[&'a str; 3]>,
    models: Vec<[&'a str; 2]>,
    score_scale: CanonicalScale,
    decision: CanonicalDecision<'a>,
    features: Vec<CanonicalFeature<'a>>,
    protected: Vec<&'a str>,
}

/// The canonical JSON of the whole policy: compact, fields in a fixed order, scopes and models
/// sorted by their names' bytes, bands by score, protected features in input order, numbers in
/// shortest round-trip form, times as Unix seconds, a points scale always as `offset` and
/// `factor` (`pdo` converted).
pub fn canonical_json(policy: &Policy) -> Vec<u8> {
    let policy = &policy.parts;
    let doc = CanonicalPolicy {
        format: "govproof-policy/v1",
        id: policy.id.as_str(),
        version: policy.version.as_str(),
        title: policy.title.as_str(),
        owner: policy.owner.as_str(),
        profile: policy.profile.name(),
        valid_from: policy.valid_from.unix(),
        valid_until: policy.valid_until.unix(),
        scopes: policy
            .scopes
            .iter()
            .map(|s| {
                [
                    s.purpose.as_str(),
                    s.jurisdiction.as_str(),
                    s.product.as_str(),
                ]
            })
            .collect(),
        models: policy
            .models
            .iter()
            .map(|m| [m.id.as_str(), m.version.as_str()])
            .collect(),
        score_scale: match policy.scale {
            ScoreScale::Points { offset, factor } => CanonicalScale::Points {
                offset: num(offset),
                factor: num(factor),
            },
            ScoreScale::LogOdds => CanonicalScale::LogOdds,
            ScoreScale::Probability => CanonicalScale::Probability,
        },
        decision: match &policy.decision {
            Decision::ScoreBand { bands, .. } => CanonicalDecision::ScoreBand {
                bands: bands
                    .iter()
                    .map(|b| CanonicalBand {
                        name: b.name.as_str(),
                        lower: num(b.lower),
                        upper: num(b.upper),
                        outcome: b.outcome.as_str(),
                    })
                    .collect(),
            },
            Decision::Gate {
                threshold,
                at_or_above,
                below,
                ..
            } => CanonicalDecision::Gate {
                threshold: num(*threshold),
                at_or_above: at_or_above.as_str(),
                below: below.as_str(),
            },
        },
        features: policy
            .features
            .iter()
            .map(|f| CanonicalFeature {
                name: f.name.as_str(),
                min: num(f.min),
                max: num(f.max),
            })
            .collect(),
        protected: policy
            .protected
            .iter()
            .map(|&i| policy.features[i].name.as_str())
            .collect(),
    };
    // Serializing plain structs, strings and finite floats to JSON cannot fail.
    serde_json::to_vec(&doc).unwrap_or_else(|_| unreachable!("canonical policy serializes"))
}

/// blake3 of the document domain and the canonical JSON.
pub fn document_digest(policy: &Policy) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(DOCUMENT_DOMAIN);
    h.update(&canonical_json(policy));
    *h.finalize().as_bytes()
}

impl Policy {
    /// The hash the composite circuit commits to (see the module documentation).
    pub fn hash(&self) -> Field {
        self.encoding.hash()
    }

    /// The circuits' field encoding of the policy, in hashing order.
    pub fn encoding_fields(&self) -> Vec<Field> {
        self.encoding.to_fields()
    }

    /// The blake3 digest of the canonical document (see the module documentation).
    pub fn document_digest(&self) -> [u8; 32] {
        document_digest(self)
    }
}
