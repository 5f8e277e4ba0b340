//! The fixed-capacity field encoding of a policy, whose Poseidon2 hash is the public policy hash
//! (twin of `Policy::hash` in `circuits/lib/policy_scope`).
//!
//! The encoding, in hashing order ([`Domain::Policy`]):
//!
//! 1. `shape = N + 2^16 M + 2^32 S + 2^48 P + 2^64 K + 2^80 kind + 2^96 format`, where `N` is the
//!    profile's feature count, `M`, `S`, `P` its model, scope and protected-feature capacities, `K`
//!    the rule length, `kind` 1 (score band) or 2 (gate) and `format` the encoding's version
//!    ([`POLICY_FORMAT`]), so policies for different circuits or formats never share a preimage
//!    layout;
//! 2. `label(policy id)`, `label(policy version)`, `valid_from`, `valid_until` (Unix seconds,
//!    `[from, until)`);
//! 3. `M` pairs `(label(model id), label(model version))`, zero-padded;
//! 4. `S` scope ids ([`crate::commit::scope_id`]), zero-padded;
//! 5. `P` protected feature indices, padded with `N` (no feature);
//! 6. the `2N` feature bounds `lo_0, hi_0, lo_1, hi_1, ...` (scale `2^16`, inclusive), as 32-bit
//!    signed values packed seven to a field element (each as `v + 2^31`);
//! 7. the rule: for score bands `[count, e_0, ..., e_B]` (unused edges zero), for a gate
//!    `[threshold]`, in score units (logit `* 2^48`, see [`super::fixed::edge_from_logit`]);
//! 8. `meta`: [`crate::commit::digest_to_field`] of the digest of the whole policy document, which
//!    covers what the elements above do not hold (band names and outcomes, feature names, title,
//!    owner, score scale, the profile's model family), so the hash changes with any change in the
//!    policy's meaning.

use crate::field::Field;
use crate::hash::{hash, Domain};

use super::fixed::Score;
use super::fixed::{
    pack_signed, EDGE_MAX, EDGE_MIN, FEATURES_PER_FIELD, FEATURE_BITS, FEATURE_MAX, FEATURE_MIN,
};
use super::model::{Features, QuantizedModel};
use super::profile::{DecisionKind, Profile};
use super::reasons::{explained_policy_hash, Baselines};

/// Version of the policy encoding, in the shape word (`POLICY_FORMAT` in `policy_scope`). 2: the
/// encoding ends with `meta`; 1 was the encoding without it, which carried no version.
pub const POLICY_FORMAT: u64 = 2;

/// A model a policy allows: both parts are labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModelRef {
    /// `label(model id)`.
    pub id: Field,
    /// `label(model version)`.
    pub version: Field,
}

impl ModelRef {
    /// Labels a model reference from its id and version.
    pub fn new(id: &str, version: &str) -> Self {
        ModelRef {
            id: crate::commit::label(id),
            version: crate::commit::label(version),
        }
    }
}

/// The inclusive range `[lo, hi]` a feature must lie in (scale `2^16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeatureRange {
    /// Lowest allowed value.
    pub lo: i64,
    /// Highest allowed value.
    pub hi: i64,
}

impl FeatureRange {
    /// The widest range: every value the circuits can represent.
    pub fn unbounded() -> Self {
        FeatureRange {
            lo: FEATURE_MIN,
            hi: FEATURE_MAX,
        }
    }
}

/// How a score becomes the public outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DecisionRule {
    /// Bands `[edges[k], edges[k+1])` in score units; `edges` strictly increasing, at least two.
    /// Use [`super::fixed::EDGE_MIN`] / [`super::fixed::EDGE_MAX`] for open ends.
    ScoreBand {
        /// Band edges.
        edges: Vec<i128>,
    },
    /// Yes when `score >= threshold` (score units).
    Gate {
        /// The threshold.
        threshold: i128,
    },
}

/// The public outcome of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CircuitOutcome {
    /// The score lies in this band.
    Band(u32),
    /// The yes/no decision.
    Decision(bool),
}

impl DecisionRule {
    /// The outcome this rule gives `score` (the band holding it, or whether it reaches the
    /// threshold); `None` when no band holds the score.
    pub fn outcome(&self, score: Score) -> Option<CircuitOutcome> {
        let s = score.units();
        match self {
            DecisionRule::ScoreBand { edges } => edges
                .windows(2)
                .position(|w| w[0] <= s && s < w[1])
                .and_then(|k| u32::try_from(k).ok())
                .map(CircuitOutcome::Band),
            DecisionRule::Gate { threshold } => Some(CircuitOutcome::Decision(s >= *threshold)),
        }
    }
}

/// The fields of a policy as written by its author, before capacity checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySpec {
    /// `label(policy id)`.
    pub id: Field,
    /// `label(policy version)`.
    pub version: Field,
    /// Start of validity, Unix seconds, inclusive.
    pub valid_from: u64,
    /// End of validity, Unix seconds, exclusive.
    pub valid_until: u64,
    /// Allowed models.
    pub models: Vec<ModelRef>,
    /// Allowed scope ids.
    pub scopes: Vec<Field>,
    /// Protected feature indices: the model must give these features zero weight.
    pub protected: Vec<u32>,
    /// One range per feature.
    pub ranges: Vec<FeatureRange>,
    /// The decision rule.
    pub rule: DecisionRule,
    /// [`crate::commit::digest_to_field`] of the policy document's digest: binds the parts of the
    /// policy the circuit does not check (band names, outcomes, titles, ...) to the hash.
    pub meta: Field,
}

/// Why a policy cannot be encoded for a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// More entries than the profile holds, or none where one is needed.
    #[error("a policy for profile `{profile}` holds {min} to {max} {what}, got {given}")]
    Capacity {
        /// Profile name.
        profile: String,
        /// What is counted.
        what: &'static str,
        /// Least allowed.
        min: usize,
        /// Most allowed.
        max: usize,
        /// Given.
        given: usize,
    },
    /// The validity window is empty.
    #[error("the validity window [{from}, {until}) is empty")]
    Window {
        /// Start.
        from: u64,
        /// End.
        until: u64,
    },
    /// A zero model id, version or scope id, which would match the padding.
    #[error("{0} is the zero element, which pads unused slots")]
    Zero(&'static str),
    /// The same item listed twice.
    #[error("{0} is listed twice")]
    Duplicate(&'static str),
    /// A protected feature index past the last feature.
    #[error("protected feature index `{index}` is not below the feature count {features}")]
    ProtectedIndex {
        /// The index.
        index: u32,
        /// Feature count.
        features: usize,
    },
    /// A feature range that is empty or outside the feature bound.
    #[error("range of feature {index} is [{lo}, {hi}]: it must be non-empty and inside [{FEATURE_MIN}, {FEATURE_MAX}]")]
    Range {
        /// Feature index.
        index: usize,
        /// Low bound.
        lo: i64,
        /// High bound.
        hi: i64,
    },
    /// The rule's kind is not the profile's.
    #[error("profile `{profile}` proves {expected} decisions, the policy's rule is a {given}")]
    Kind {
        /// Profile name.
        profile: String,
        /// The profile's kind.
        expected: &'static str,
        /// The rule's kind.
        given: &'static str,
    },
    /// Band edges not strictly increasing or outside `[-2^100, 2^100]`.
    #[error("band edges must be strictly increasing and within [-2^100, 2^100]")]
    Edges,
    /// A threshold outside `[-2^100, 2^100]`.
    #[error("the threshold `{0}` is outside [-2^100, 2^100]")]
    Threshold(i128),
    /// A profile with proven reasons without an explanation, or the other way round, or baselines
    /// that are not one per feature.
    #[error("{0}")]
    Explanation(String),
}

/// A policy checked against a profile's capacities, with its field encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEncoding {
    profile: Profile,
    spec: PolicySpec,
    /// The explanation's baselines, exactly for a profile with proven reasons.
    baselines: Option<Baselines>,
}

fn kind_name(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::ScoreBand { .. } => "score-band",
        DecisionKind::Gate => "gate",
    }
}

fn has_duplicates<T: Ord + Clone>(items: &[T]) -> bool {
    let mut sorted = items.to_vec();
    crate::sort::sort(&mut sorted);
    sorted.windows(2).any(|w| w[0] == w[1])
}

impl PolicyEncoding {
    /// Checks `spec` against `profile`: 1 to `M` distinct non-zero models, 1 to `S` distinct
    /// non-zero scopes, at most `P` distinct protected indices below `N`, exactly `N` non-empty
    /// ranges inside the feature bound, a non-empty window, and a rule of the profile's kind
    /// (1 to `B` bands with strictly increasing edges in `[-2^100, 2^100]`, or a threshold there).
    /// A linear profile with proven reasons needs baselines: see [`PolicyEncoding::explained`]; a
    /// node-table tree profile with proven reasons takes none.
    pub fn new(profile: &Profile, spec: PolicySpec) -> Result<Self, PolicyError> {
        // A node-table tree ensemble's reasons are measured from its committed node values, so
        // its policy takes no baselines.
        if profile.reasons() > 0 && profile.table_shape().is_none() {
            return Err(PolicyError::Explanation(format!(
                "profile `{}` proves reasons, so its policy needs an explanation with a baseline per feature",
                profile.name()
            )));
        }
        Self::checked(profile, spec, None)
    }

    /// [`PolicyEncoding::new`] for a profile with proven reasons (`-rK`), with the explanation's
    /// baselines (one per feature): the public hash then covers them (see
    /// [`PolicyEncoding::hash`]).
    pub fn explained(
        profile: &Profile,
        spec: PolicySpec,
        baselines: Baselines,
    ) -> Result<Self, PolicyError> {
        if profile.reasons() == 0 {
            return Err(PolicyError::Explanation(format!(
                "profile `{}` proves no reasons: an explanation needs a profile with reasons (`-rK`)",
                profile.name()
            )));
        }
        if baselines.values().len() != profile.features() {
            return Err(PolicyError::Explanation(format!(
                "profile `{}` takes {} baselines, one per feature, got {}",
                profile.name(),
                profile.features(),
                baselines.values().len()
            )));
        }
        Self::checked(profile, spec, Some(baselines))
    }

    fn checked(
        profile: &Profile,
        spec: PolicySpec,
        baselines: Option<Baselines>,
    ) -> Result<Self, PolicyError> {
        let capacity = |what, min, max, given| {
            if given < min || given > max {
                Err(PolicyError::Capacity {
                    profile: profile.name(),
                    what,
                    min,
                    max,
                    given,
                })
            } else {
                Ok(())
            }
        };
        if spec.valid_from >= spec.valid_until {
            return Err(PolicyError::Window {
                from: spec.valid_from,
                until: spec.valid_until,
            });
        }
        capacity("allowed models", 1, profile.models(), spec.models.len())?;
        if spec
            .models
            .iter()
            .any(|m| m.id == Field::zero() || m.version == Field::zero())
        {
            return Err(PolicyError::Zero("a model id or version"));
        }
        let pairs: Vec<(Field, Field)> = spec.models.iter().map(|m| (m.id, m.version)).collect();
        if has_duplicates(&pairs) {
            return Err(PolicyError::Duplicate("a model"));
        }
        capacity("scopes", 1, profile.scopes(), spec.scopes.len())?;
        if spec.scopes.contains(&Field::zero()) {
            return Err(PolicyError::Zero("a scope id"));
        }
        if has_duplicates(&spec.scopes) {
            return Err(PolicyError::Duplicate("a scope"));
        }
        capacity(
            "protected features",
            0,
            profile.protected(),
            spec.protected.len(),
        )?;
        if let Some(&index) = spec
            .protected
            .iter()
            .find(|&&i| i as usize >= profile.features())
        {
            return Err(PolicyError::ProtectedIndex {
                index,
                features: profile.features(),
            });
        }
        if has_duplicates(&spec.protected) {
            return Err(PolicyError::Duplicate("a protected feature"));
        }
        capacity(
            "feature ranges",
            profile.features(),
            profile.features(),
            spec.ranges.len(),
        )?;
        if let Some((index, r)) = spec
            .ranges
            .iter()
            .enumerate()
            .find(|(_, r)| r.lo > r.hi || r.lo < FEATURE_MIN || r.hi > FEATURE_MAX)
        {
            return Err(PolicyError::Range {
                index,
                lo: r.lo,
                hi: r.hi,
            });
        }
        match (&spec.rule, profile.kind()) {
            (DecisionRule::ScoreBand { edges }, DecisionKind::ScoreBand { bands }) => {
                capacity("bands", 1, bands, edges.len().saturating_sub(1))?;
                let in_range = edges.iter().all(|e| (EDGE_MIN..=EDGE_MAX).contains(e));
                if !in_range || edges.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(PolicyError::Edges);
                }
            }
            (DecisionRule::Gate { threshold }, DecisionKind::Gate) => {
                if !(EDGE_MIN..=EDGE_MAX).contains(threshold) {
                    return Err(PolicyError::Threshold(*threshold));
                }
            }
            (rule, kind) => {
                let given = match rule {
                    DecisionRule::ScoreBand { .. } => "score-band rule",
                    DecisionRule::Gate { .. } => "gate rule",
                };
                return Err(PolicyError::Kind {
                    profile: profile.name(),
                    expected: kind_name(kind),
                    given,
                });
            }
        }
        Ok(PolicyEncoding {
            profile: *profile,
            spec,
            baselines,
        })
    }

    /// The explanation's baselines (for a profile with proven reasons).
    pub fn baselines(&self) -> Option<&Baselines> {
        self.baselines.as_ref()
    }

    /// The profile this encoding is for.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The policy's fields.
    pub fn spec(&self) -> &PolicySpec {
        &self.spec
    }

    /// The shape word (first element of the encoding).
    pub fn shape(&self) -> Field {
        let p = &self.profile;
        let mut word: u128 = (u128::from(POLICY_FORMAT) << 16) | u128::from(p.kind().code());
        for part in [
            p.rule_len(),
            p.protected(),
            p.scopes(),
            p.models(),
            p.features(),
        ] {
            word = (word << 16) | part as u128;
        }
        Field::from_u128(word)
    }

    /// Allowed models, zero-padded to the profile's capacity.
    pub fn padded_models(&self) -> Vec<ModelRef> {
        let mut v = self.spec.models.clone();
        v.resize(
            self.profile.models(),
            ModelRef {
                id: Field::zero(),
                version: Field::zero(),
            },
        );
        v
    }

    /// Scope ids, zero-padded to the profile's capacity.
    pub fn padded_scopes(&self) -> Vec<Field> {
        let mut v = self.spec.scopes.clone();
        v.resize(self.profile.scopes(), Field::zero());
        v
    }

    /// Protected indices, padded with the feature count (no feature) to the profile's capacity.
    pub fn padded_protected(&self) -> Vec<u32> {
        let mut v = self.spec.protected.clone();
        // Profile::new bounds the feature count by 256.
        v.resize(self.profile.protected(), self.profile.features() as u32);
        v
    }

    /// The rule as the circuit's field elements (length `profile.rule_len()`).
    pub fn rule_fields(&self) -> Vec<Field> {
        match &self.spec.rule {
            DecisionRule::ScoreBand { edges } => {
                let mut v = vec![Field::from((edges.len() - 1) as u64)];
                v.extend(edges.iter().map(|&e| Field::from_i128(e)));
                v.resize(self.profile.rule_len(), Field::zero());
                v
            }
            DecisionRule::Gate { threshold } => vec![Field::from_i128(*threshold)],
        }
    }

    /// The full field encoding, in hashing order.
    pub fn to_fields(&self) -> Vec<Field> {
        let s = &self.spec;
        let mut out = vec![
            self.shape(),
            s.id,
            s.version,
            Field::from(s.valid_from),
            Field::from(s.valid_until),
        ];
        for m in self.padded_models() {
            out.push(m.id);
            out.push(m.version);
        }
        out.extend(self.padded_scopes());
        out.extend(
            self.padded_protected()
                .iter()
                .map(|&i| Field::from(u64::from(i))),
        );
        let bounds: Vec<i64> = s.ranges.iter().flat_map(|r| [r.lo, r.hi]).collect();
        out.extend(pack_signed(&bounds, FEATURE_BITS, FEATURES_PER_FIELD));
        out.extend(self.rule_fields());
        out.push(s.meta);
        out
    }

    /// The public policy hash: [`PolicyEncoding::core_hash`], and for a profile with proven
    /// reasons [`super::reasons::explained_policy_hash`] of it and the baselines.
    pub fn hash(&self) -> Field {
        match &self.baselines {
            Some(b) => explained_policy_hash(self.core_hash(), b),
            None => self.core_hash(),
        }
    }

    /// Poseidon2 ([`Domain::Policy`]) of [`PolicyEncoding::to_fields`]: the public hash of a
    /// policy without an explanation.
    pub fn core_hash(&self) -> Field {
        hash(Domain::Policy, &self.to_fields())
    }

    /// Whether the policy allows this model.
    pub fn allows_model(&self, model: &ModelRef) -> bool {
        self.spec.models.contains(model)
    }

    /// Whether the policy allows this scope id.
    pub fn allows_scope(&self, scope_id: &Field) -> bool {
        self.spec.scopes.contains(scope_id)
    }

    /// Whether `time` lies in the policy's validity window.
    pub fn valid_at(&self, time: u64) -> bool {
        self.spec.valid_from <= time && time < self.spec.valid_until
    }

    /// The protected features the model gives non-zero weight to.
    pub fn violated_protections(&self, model: &QuantizedModel) -> Vec<u32> {
        self.spec
            .protected
            .iter()
            .copied()
            .filter(|&i| model.uses_feature(i as usize))
            .collect()
    }

    /// The features outside their declared ranges.
    pub fn out_of_range_features(&self, features: &Features) -> Vec<usize> {
        features
            .values()
            .iter()
            .zip(&self.spec.ranges)
            .enumerate()
            .filter(|(_, (&x, r))| x < r.lo || x > r.hi)
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::{label, scope_id, ScopeLabels};

    pub(crate) fn spec(profile: &Profile) -> PolicySpec {
        let rule = match profile.kind() {
            DecisionKind::ScoreBand { .. } => DecisionRule::ScoreBand {
                edges: vec![EDGE_MIN, -(1 << 48), 0, 1 << 48, EDGE_MAX],
            },
            DecisionKind::Gate => DecisionRule::Gate { threshold: 0 },
        };
        PolicySpec {
            id: label("credit-policy"),
            version: label("2025-01"),
            valid_from: 1_700_000_000,
            valid_until: 1_800_000_000,
            models: vec![ModelRef::new("scorer", "1.0.0")],
            scopes: vec![scope_id(&ScopeLabels::new(
                "consumer-credit",
                "EU-DE",
                "loan",
            ))],
            protected: vec![3, 7],
            ranges: vec![FeatureRange::unbounded(); profile.features()],
            rule,
            meta: label("policy document"),
        }
    }

    #[test]
    fn encodes_to_the_documented_length() {
        let p = Profile::reference_mlp_band();
        let e = PolicyEncoding::new(&p, spec(&p)).unwrap();
        // 5 + 2*4 + 16 + 8 + ceil(48/7) + 10 + 1
        assert_eq!(e.to_fields().len(), 5 + 8 + 16 + 8 + 7 + 10 + 1);
        assert_eq!(e.to_fields().last(), Some(&label("policy document")));
        assert_eq!(e.padded_protected(), vec![3, 7, 24, 24, 24, 24, 24, 24]);
        let g = Profile::reference_mlp_gate();
        let eg = PolicyEncoding::new(&g, spec(&g)).unwrap();
        assert_ne!(e.hash(), eg.hash());
        assert_eq!(
            e.shape(),
            Field::from_u128(
                24 + (4 << 16) + (16 << 32) + (8 << 48) + (10 << 64) + (1 << 80) + (2 << 96)
            )
        );
    }

    #[test]
    fn meta_is_part_of_the_hash() {
        let p = Profile::reference_mlp_band();
        let a = PolicyEncoding::new(&p, spec(&p)).unwrap();
        let mut other = spec(&p);
        other.meta = label("another policy document");
        let b = PolicyEncoding::new(&p, other).unwrap();
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn refuses_what_the_circuit_cannot_hold() {
        let p = Profile::reference_linear_band();
        let mut s = spec(&p);
        s.protected = vec![24];
        assert!(matches!(
            PolicyEncoding::new(&p, s),
            Err(PolicyError::ProtectedIndex { .. })
        ));
        let mut s = spec(&p);
        s.rule = DecisionRule::ScoreBand { edges: vec![0, 0] };
        assert_eq!(PolicyEncoding::new(&p, s), Err(PolicyError::Edges));
        let mut s = spec(&p);
        s.rule = DecisionRule::ScoreBand {
            edges: (0..10).collect(),
        };
        assert!(matches!(
            PolicyEncoding::new(&p, s),
            Err(PolicyError::Capacity { what: "bands", .. })
        ));
        let mut s = spec(&p);
        s.rule = DecisionRule::Gate { threshold: 0 };
        assert!(matches!(
            PolicyEncoding::new(&p, s),
            Err(PolicyError::Kind { .. })
        ));
        let mut s = spec(&p);
        s.scopes.push(s.scopes[0]);
        assert_eq!(
            PolicyEncoding::new(&p, s),
            Err(PolicyError::Duplicate("a scope"))
        );
        let mut s = spec(&p);
        s.ranges[2] = FeatureRange { lo: 5, hi: 4 };
        assert!(matches!(
            PolicyEncoding::new(&p, s),
            Err(PolicyError::Range { index: 2, .. })
        ));
        let mut s = spec(&p);
        s.valid_until = s.valid_from;
        assert!(matches!(
            PolicyEncoding::new(&p, s),
            Err(PolicyError::Window { .. })
        ));
    }

    #[test]
    fn outcomes_follow_the_rule() {
        let bands = DecisionRule::ScoreBand {
            edges: vec![-10, 0, 10],
        };
        let s = |v| Score::new(v).unwrap();
        assert_eq!(bands.outcome(s(-10)), Some(CircuitOutcome::Band(0)));
        assert_eq!(bands.outcome(s(0)), Some(CircuitOutcome::Band(1)));
        assert_eq!(bands.outcome(s(10)), None);
        let gate = DecisionRule::Gate { threshold: 5 };
        assert_eq!(gate.outcome(s(5)), Some(CircuitOutcome::Decision(true)));
        assert_eq!(gate.outcome(s(4)), Some(CircuitOutcome::Decision(false)));
    }
}
