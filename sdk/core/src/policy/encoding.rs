//! A policy's two fingerprints.
//!
//! - The **document digest** covers everything the policy says, including what the circuit never
//!   checks (title, owner, band names and outcomes, feature names, the score scale, the profile's
//!   model family): blake3 of `"govproof/policy-document/v2\0"` and the canonical JSON of
//!   [`canonical_json`], in the registry's canonical form ([`crate::registry::canonical`]).
//! - The **policy hash** is what the composite circuit commits to: Poseidon2
//!   ([`Domain::Policy`]) over the circuits' fixed-capacity encoding ([`PolicyEncoding`]), whose
//!   last element `meta` is the document digest as a field element, so the hash changes with any
//!   change in the policy's meaning. [`circuit_spec`] is the one function that maps a [`Policy`]
//!   to that encoding's fields; nothing else in the policy layer knows the encoding.
//!
//! Both are computed from the validated policy, never from the text, so comments, whitespace, key
//! order, the order of list entries that are sets (scopes, models, protected features, bands) and
//! the spelling of numbers (`600`, `600.0`, `6e2`, `0x258`) change neither.
//!
//! [`Domain::Policy`]: crate::hash::Domain::Policy

use serde::Serialize;

use crate::commit::{digest_to_field, label};
use crate::field::Field;
use crate::registry::Timestamp;

use super::model::{Decision, Parts, Policy, ScoreScale};
use crate::circuits::reasons::Baselines;
use crate::circuits::{
    DecisionRule, FeatureRange, ModelRef, PolicyEncoding, PolicyError, PolicySpec,
};

/// Domain separator of the document digest.
pub const DOCUMENT_DOMAIN: &[u8] = b"govproof/policy-document/v2\0";

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
        meta: digest_to_field(&document_digest_of(policy)),
    }
}

/// The circuits' encoding of the policy for its profile (with the explanation's baselines for a
/// profile with proven reasons).
pub(crate) fn encode(policy: &Parts) -> Result<PolicyEncoding, PolicyError> {
    match &policy.explanation {
        // A tree ensemble's reasons need no baselines: the public hash is the policy's own.
        Some(_) if policy.profile.table_shape().is_some() => {
            PolicyEncoding::new(&policy.profile, circuit_spec(policy))
        }
        Some(e) => {
            let baselines = Baselines::new(e.features.iter().map(|f| f.fixed).collect())
                .map_err(|e| PolicyError::Explanation(e.to_string()))?;
            PolicyEncoding::explained(&policy.profile, circuit_spec(policy), baselines)
        }
        None => PolicyEncoding::new(&policy.profile, circuit_spec(policy)),
    }
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
    } else if v == 0.0 {
        // `-0.0` and `0.0` mean the same (the reader already folds them; this keeps it so).
        Num::Finite(0.0)
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
struct CanonicalReason<'a> {
    feature: &'a str,
    code: &'a str,
    text: &'a str,
    /// Absent for a tree ensemble (its contributions need no baseline).
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<Num>,
}

#[derive(Serialize)]
struct CanonicalExplanation<'a> {
    reasons: usize,
    features: Vec<CanonicalReason<'a>>,
}

#[derive(Serialize)]
struct CanonicalFeature<'a> {
    name: &'a str,
    min: Num,
    max: Num,
}

/// The policy document: every field of the schema, with what has several spellings reduced to
/// one (the registry's canonical JSON then fixes key order, whitespace and number form).
#[derive(Serialize)]
struct CanonicalPolicy<'a> {
    id: &'a str,
    version: &'a str,
    title: &'a str,
    owner: &'a str,
    profile: String,
    valid_from: Timestamp,
    valid_until: Timestamp,
    scopes: Vec<[&'a str; 3]>,
    models: Vec<[&'a str; 2]>,
    score_scale: CanonicalScale,
    decision: CanonicalDecision<'a>,
    features: Vec<CanonicalFeature<'a>>,
    protected: Vec<&'a str>,
    /// Absent for a policy without an explanation, so such a policy's document is what it was
    /// before explanations existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<CanonicalExplanation<'a>>,
}

fn canonical_document(policy: &Parts) -> CanonicalPolicy<'_> {
    CanonicalPolicy {
        id: policy.id.as_str(),
        version: policy.version.as_str(),
        title: policy.title.as_str(),
        owner: policy.owner.as_str(),
        profile: policy.profile.name(),
        valid_from: policy.valid_from,
        valid_until: policy.valid_until,
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
        explanation: policy.explanation.as_ref().map(|e| CanonicalExplanation {
            reasons: e.reasons,
            features: e
                .features
                .iter()
                .map(|r| CanonicalReason {
                    feature: policy.features[r.feature].name.as_str(),
                    code: r.code.as_str(),
                    text: r.text.as_str(),
                    baseline: policy
                        .profile
                        .table_shape()
                        .is_none()
                        .then(|| num(r.baseline)),
                })
                .collect(),
        }),
    }
}

/// The canonical JSON of a policy's contents (see [`canonical_json`]).
pub(crate) fn canonical_json_of(policy: &Parts) -> Vec<u8> {
    // The document holds strings, finite floats, RFC 3339 times, arrays and string-keyed
    // objects: turning it into a JSON value cannot fail.
    crate::registry::canonical::canonical_json(&canonical_document(policy))
}

/// The blake3 document digest of a policy's contents (see [`document_digest`]).
pub(crate) fn document_digest_of(policy: &Parts) -> [u8; 32] {
    let mut h = crate::blake3::Hasher::new();
    h.update(DOCUMENT_DOMAIN);
    h.update(&canonical_json_of(policy));
    *h.finalize().as_bytes()
}

/// The canonical JSON of the whole policy, in the registry's canonical form
/// ([`crate::registry::canonical`]: keys sorted by their UTF-8 bytes, no whitespace, minimal string
/// escapes, floats in serde_json's shortest round-trip form), of the object
/// `{id, version, title, owner, profile, valid_from, valid_until, scopes, models, score_scale,
/// decision, features, protected}` (and `explanation`, `{reasons, features: [{feature, code,
/// text, baseline}]}` in input order, when the policy has one): times as RFC 3339 UTC strings, scopes as sorted
/// `[purpose, jurisdiction, product]` triples, models as sorted `[id, version]` pairs, a points
/// scale always as `offset` and `factor` (`pdo` converted), bands sorted by score, features in
/// input order, protected features by name in input order, open ends as `"inf"` and `"-inf"`.
pub fn canonical_json(policy: &Policy) -> Vec<u8> {
    canonical_json_of(&policy.parts)
}

/// blake3 of the document domain tag and the canonical JSON.
pub fn document_digest(policy: &Policy) -> [u8; 32] {
    document_digest_of(&policy.parts)
}

impl Policy {
    /// The hash the composite circuit commits to (see the module documentation).
    pub fn hash(&self) -> Field {
        self.hash
    }

    /// The circuits' field encoding of the policy, in hashing order.
    pub fn encoding_fields(&self) -> Vec<Field> {
        self.encoding.to_fields()
    }

    /// The circuits' encoding of the policy: what a prover passes to the composite circuit as
    /// its private `policy` input ([`crate::circuits::decision::policy_input`]).
    pub fn encoding(&self) -> &PolicyEncoding {
        &self.encoding
    }

    /// The blake3 digest of the canonical document (see the module documentation).
    pub fn document_digest(&self) -> [u8; 32] {
        document_digest(self)
    }

    /// The canonical document the digest covers (see [`canonical_json`]).
    pub fn canonical_json(&self) -> Vec<u8> {
        canonical_json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{check, CheckOptions, SourceFile};

    const FIXTURE: &str = include_str!("../../../../tests/data/policies/valid/fixture.toml");

    fn load(text: &str) -> Policy {
        let file = SourceFile::new("p.toml", text);
        let checked = check(&file, &CheckOptions::default());
        checked
            .policy
            .unwrap_or_else(|| panic!("{}", checked.diagnostics.render(&file)))
    }

    #[test]
    fn canonical_document_is_pinned() {
        // The exact bytes the document digest covers: keys sorted, no whitespace, times as RFC
        // 3339 UTC, `pdo = 20` as its factor, bands by score, open ends as strings.
        let p = load(FIXTURE);
        let json = String::from_utf8(p.canonical_json()).unwrap();
        let expected = concat!(
            r#"{"decision":{"bands":["#,
            r#"{"lower":"-inf","name":"low","outcome":"decline","upper":600.0},"#,
            r#"{"lower":600.0,"name":"middle","outcome":"refer","upper":650.0},"#,
            r#"{"lower":650.0,"name":"high","outcome":"approve","upper":"inf"}],"kind":"score_band"},"#,
            r#""features":[{"max":100.0,"min":18.0,"name":"age"},"#,
            r#"{"max":1000.0,"min":0.0,"name":"income_k"},"#,
            r#"{"max":10.0,"min":0.0,"name":"debt_to_income"}],"#,
            r#""id":"fixture","models":[["scorer","1.0.0"]],"owner":"Test Owner","#,
            r#""profile":"linear-3-d4-b4-s4-p2-m2","protected":["age"],"#,
            r#""scopes":[["consumer-credit","EU-DE","personal-loan"],"#,
            r#"["consumer-credit","EU-FR","personal-loan"]],"#,
            r#""score_scale":{"factor":28.85390081777927,"kind":"points","offset":600.0},"#,
            r#""title":"Fixture policy","valid_from":"2026-01-01T00:00:00Z","#,
            r#""valid_until":"2030-01-01T00:00:00Z","version":"1"}"#,
        );
        assert_eq!(json, expected);
        let mut h = crate::blake3::Hasher::new();
        h.update(b"govproof/policy-document/v2\0");
        h.update(expected.as_bytes());
        assert_eq!(p.document_digest(), *h.finalize().as_bytes());
    }

    #[test]
    fn spellings_of_the_same_text_and_numbers_give_the_same_document() {
        let base = load(FIXTURE);
        for (from, to) in [
            // Escapes and literal strings are the same text.
            (
                r#"title = "Fixture policy""#,
                r#"title = "Fixture \u0070olicy""#,
            ),
            (r#"title = "Fixture policy""#, r#"title = 'Fixture policy'"#),
            (r#"owner = "Test Owner""#, r#"owner = """Test Owner""""#),
            // Signed zero, explicit plus signs, exponents, underscores.
            ("min = 0, max = 1000", "min = -0.0, max = 1_000"),
            ("min = 0, max = 10 ", "min = +0, max = 1e1 "),
            ("upper = inf", "upper = +inf"),
            // The same instant in another offset.
            (
                "valid_until = 2030-01-01T00:00:00Z",
                "valid_until = 2029-12-31T19:00:00-05:00",
            ),
        ] {
            assert!(FIXTURE.contains(from), "{from}");
            let other = load(&FIXTURE.replacen(from, to, 1));
            assert_eq!(
                base.canonical_json(),
                other.canonical_json(),
                "{from} -> {to}"
            );
            assert_eq!(base.hash(), other.hash(), "{from} -> {to}");
        }
    }
}
