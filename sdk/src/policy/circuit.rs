//! What the policy layer needs from the circuits: profile capacities, the fixed-point conversion
//! of scores and features, and the fixed-capacity policy encoding whose Poseidon2 hash the
//! `policy_scope` circuit checks.
//!
//! TEMPORARY MIRROR. The owner of these definitions is `crate::circuits` (`profile`, `fixed`,
//! `policy`), which is not on this branch yet. This file mirrors the subset the policy layer uses,
//! with the same names and the same semantics, so that switching is deleting this file's body and
//! re-exporting `crate::circuits::{...}`. Nothing outside this file knows the difference: the only
//! caller that builds an encoding is [`super::encoding`].

use crate::commit::label;
use crate::field::Field;
use crate::hash::{hash, Domain};

/// Bits after the binary point of weights and features.
pub const SCALE_BITS: u32 = 16;
/// Bits after the binary point of a score (`score / 2^48` is the model's logit).
pub const SCORE_SCALE_BITS: u32 = 48;
/// Signed bits of a feature and of a policy's feature bounds.
pub const FEATURE_BITS: u32 = 32;
/// Features packed into one field element.
pub const FEATURES_PER_FIELD: usize = 7;
/// Magnitude bits of a band edge or threshold.
pub const EDGE_BITS: u32 = 100;
/// Magnitude bits of any score.
pub const SCORE_BITS: u32 = 97;
/// The smallest feature value (scale `2^16`).
pub const FEATURE_MIN: i64 = -(1 << (FEATURE_BITS - 1));
/// The largest feature value (scale `2^16`).
pub const FEATURE_MAX: i64 = (1 << (FEATURE_BITS - 1)) - 1;
/// The lowest band edge: an open lower end.
pub const EDGE_MIN: i128 = -(1 << EDGE_BITS);
/// The highest band edge: an open upper end.
pub const EDGE_MAX: i128 = 1 << EDGE_BITS;

/// What the public outcome of a decision is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionKind {
    /// The index of the band (of a table of at most `bands`) the score lies in.
    ScoreBand {
        /// Band-table capacity.
        bands: usize,
    },
    /// Whether the score reaches the threshold.
    Gate,
}

impl DecisionKind {
    /// The code hashed into a policy's shape word.
    pub fn code(&self) -> u64 {
        match self {
            DecisionKind::ScoreBand { .. } => 1,
            DecisionKind::Gate => 2,
        }
    }
}

/// The capacities of one composite circuit, parsed from its stable name, e.g.
/// `mlp-24x16-d20-b8-s16-p8-m4` or `linear-24-d20-s16-p8-m4-gate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Profile {
    hidden: Option<usize>,
    features: usize,
    depth: usize,
    kind: DecisionKind,
    scopes: usize,
    protected: usize,
    models: usize,
}

/// A profile name that does not parse or whose capacities are out of bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a profile name (expected e.g. `mlp-24x16-d20-b8-s16-p8-m4` or `linear-24-d20-s16-p8-m4-gate`)")]
pub struct ProfileError(pub String);

impl Profile {
    /// Parses a profile name; capacities must be within the circuits' bounds (features and hidden
    /// units `1..=256`, depth `1..=32`, bands `1..=64`, scopes `1..=256`, protected
    /// `0..=features`, models `1..=64`).
    pub fn from_name(name: &str) -> Result<Self, ProfileError> {
        let bad = || ProfileError(name.to_string());
        let mut parts: Vec<&str> = name.split('-').collect();
        let gate = parts.last() == Some(&"gate");
        if gate {
            parts.pop();
        }
        let number = |s: &str, prefix: &str, min: usize, max: usize| {
            let digits = s.strip_prefix(prefix).ok_or_else(bad)?;
            if digits.is_empty()
                || !digits.bytes().all(|b| b.is_ascii_digit())
                || (digits.len() > 1 && digits.starts_with('0'))
            {
                return Err(bad());
            }
            let n: usize = digits.parse().map_err(|_| bad())?;
            if n < min || n > max {
                return Err(bad());
            }
            Ok(n)
        };
        if parts.len() != if gate { 6 } else { 7 } {
            return Err(bad());
        }
        let (hidden, features) = match parts[0] {
            "linear" => (None, number(parts[1], "", 1, 256)?),
            "mlp" => {
                let (n, h) = parts[1].split_once('x').ok_or_else(bad)?;
                (Some(number(h, "", 1, 256)?), number(n, "", 1, 256)?)
            }
            _ => return Err(bad()),
        };
        let depth = number(parts[2], "d", 1, 32)?;
        let mut rest = parts[3..].iter();
        let mut next = || rest.next().copied().ok_or_else(bad);
        let kind = if gate {
            DecisionKind::Gate
        } else {
            DecisionKind::ScoreBand {
                bands: number(next()?, "b", 1, 64)?,
            }
        };
        let scopes = number(next()?, "s", 1, 256)?;
        let protected = number(next()?, "p", 0, features)?;
        let models = number(next()?, "m", 1, 64)?;
        Ok(Profile {
            hidden,
            features,
            depth,
            kind,
            scopes,
            protected,
            models,
        })
    }

    /// The stable name.
    pub fn name(&self) -> String {
        let mut s = match self.hidden {
            None => format!("linear-{}", self.features),
            Some(h) => format!("mlp-{}x{h}", self.features),
        };
        s += &format!("-d{}", self.depth);
        if let DecisionKind::ScoreBand { bands } = self.kind {
            s += &format!("-b{bands}");
        }
        s += &format!("-s{}-p{}-m{}", self.scopes, self.protected, self.models);
        if self.kind == DecisionKind::Gate {
            s += "-gate";
        }
        s
    }

    /// Number of input features.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Decision kind.
    pub fn kind(&self) -> DecisionKind {
        self.kind
    }

    /// Scope capacity.
    pub fn scopes(&self) -> usize {
        self.scopes
    }

    /// Protected-feature capacity.
    pub fn protected(&self) -> usize {
        self.protected
    }

    /// Allowed-model capacity.
    pub fn models(&self) -> usize {
        self.models
    }

    /// Length of the decision rule: `bands + 2` for a band table, `1` for a gate.
    pub fn rule_len(&self) -> usize {
        match self.kind {
            DecisionKind::ScoreBand { bands } => bands + 2,
            DecisionKind::Gate => 1,
        }
    }
}

/// Why a number cannot be represented in the circuits' fixed point.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FixedError {
    /// NaN or infinite.
    #[error("`{0}` is not a finite number")]
    NotFinite(f64),
    /// Outside the representable range.
    #[error("`{value}` is outside the fixed-point range of {what} [{min}, {max}]")]
    OutOfRange {
        /// What the value was meant to be.
        what: &'static str,
        /// The value.
        value: f64,
        /// Smallest allowed.
        min: f64,
        /// Largest allowed.
        max: f64,
    },
}

/// Quantizes a real feature value to the nearest multiple of `2^-16`; refuses values outside
/// `[-32768, 32768)`.
pub fn quantize_feature(value: f64) -> Result<i64, FixedError> {
    if !value.is_finite() {
        return Err(FixedError::NotFinite(value));
    }
    let scale = f64::from(1u32 << SCALE_BITS);
    let scaled = (value * scale).round();
    if scaled < FEATURE_MIN as f64 || scaled > FEATURE_MAX as f64 {
        return Err(FixedError::OutOfRange {
            what: "a feature",
            value,
            min: FEATURE_MIN as f64 / scale,
            max: FEATURE_MAX as f64 / scale,
        });
    }
    // In range of i64 by the check above.
    Ok(scaled as i64)
}

/// A model's score in circuit units: the logit times `2^48`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(i128);

impl Score {
    /// Wraps a score in circuit units; refuses magnitudes at or above `2^97`.
    pub fn new(units: i128) -> Option<Self> {
        (units.unsigned_abs() < 1u128 << SCORE_BITS).then_some(Score(units))
    }

    /// The score in circuit units.
    pub fn units(&self) -> i128 {
        self.0
    }
}

/// The band edge (or threshold) in score units that a logit boundary becomes:
/// `ceil(logit * 2^48)`, so `score >= edge` exactly when `score / 2^48 >= logit`. Refuses
/// boundaries beyond `±2^52`.
pub fn edge_from_logit(logit: f64) -> Result<i128, FixedError> {
    if !logit.is_finite() {
        return Err(FixedError::NotFinite(logit));
    }
    let limit = (EDGE_MAX >> SCORE_SCALE_BITS) as f64;
    if logit.abs() > limit {
        return Err(FixedError::OutOfRange {
            what: "a logit boundary",
            value: logit,
            min: -limit,
            max: limit,
        });
    }
    // |units| <= 2^100, which fits i128.
    Ok((logit * (1u64 << SCORE_SCALE_BITS) as f64).ceil() as i128)
}

/// Packs signed values of `bits` bits, `per` to a field element, each as `v + 2^(bits-1)` at bit
/// offset `bits * (i % per)`; the caller guarantees every value is within `bits` signed bits.
fn pack_signed(values: &[i64], bits: u32, per: usize) -> Vec<Field> {
    let offset = 1i128 << (bits - 1);
    let step = Field::from_u128(1u128 << bits);
    values
        .chunks(per)
        .map(|chunk| {
            let mut acc = Field::zero();
            let mut shift = Field::one();
            for &v in chunk {
                acc = acc + Field::from_i128(i128::from(v) + offset) * shift;
                shift = shift * step;
            }
            acc
        })
        .collect()
}

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
            id: label(id),
            version: label(version),
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

/// How a score becomes the public outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DecisionRule {
    /// Bands `[edges[k], edges[k+1])` in score units, strictly increasing.
    ScoreBand {
        /// Band edges.
        edges: Vec<i128>,
    },
    /// Yes when `score >= threshold`.
    Gate {
        /// The threshold.
        threshold: i128,
    },
}

/// The fields of a policy as the circuit sees them.
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
    /// Protected feature indices.
    pub protected: Vec<u32>,
    /// One range per feature.
    pub ranges: Vec<FeatureRange>,
    /// The decision rule.
    pub rule: DecisionRule,
}

/// Why a policy cannot be encoded for a profile. The policy layer checks all of this first, with
/// diagnostics that point at the text; this is the encoding's own last line of defence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the policy does not fit profile `{profile}`: {what}")]
pub struct PolicyError {
    /// Profile name.
    pub profile: String,
    /// What does not fit.
    pub what: &'static str,
}

/// A policy checked against a profile, with its field encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEncoding {
    profile: Profile,
    spec: PolicySpec,
}

impl PolicyEncoding {
    /// Checks `spec` against `profile` (capacities, window, rule kind, edges, ranges).
    pub fn new(profile: &Profile, spec: PolicySpec) -> Result<Self, PolicyError> {
        let fail = |what| {
            Err(PolicyError {
                profile: profile.name(),
                what,
            })
        };
        if spec.valid_from >= spec.valid_until {
            return fail("empty validity window");
        }
        if spec.models.is_empty() || spec.models.len() > profile.models() {
            return fail("allowed models");
        }
        if spec.scopes.is_empty() || spec.scopes.len() > profile.scopes() {
            return fail("scopes");
        }
        if spec.protected.len() > profile.protected()
            || spec
                .protected
                .iter()
                .any(|&i| i as usize >= profile.features())
        {
            return fail("protected features");
        }
        if spec.ranges.len() != profile.features()
            || spec
                .ranges
                .iter()
                .any(|r| r.lo > r.hi || r.lo < FEATURE_MIN || r.hi > FEATURE_MAX)
        {
            return fail("feature ranges");
        }
        match (&spec.rule, profile.kind()) {
            (DecisionRule::ScoreBand { edges }, DecisionKind::ScoreBand { bands }) => {
                let count = edges.len().saturating_sub(1);
                if count == 0
                    || count > bands
                    || edges.iter().any(|e| !(EDGE_MIN..=EDGE_MAX).contains(e))
                    || edges.windows(2).any(|w| w[0] >= w[1])
                {
                    return fail("band edges");
                }
            }
            (DecisionRule::Gate { threshold }, DecisionKind::Gate) => {
                if !(EDGE_MIN..=EDGE_MAX).contains(threshold) {
                    return fail("threshold");
                }
            }
            _ => return fail("decision kind"),
        }
        Ok(PolicyEncoding {
            profile: *profile,
            spec,
        })
    }

    /// The shape word: `N + 2^16 M + 2^32 S + 2^48 P + 2^64 K + 2^80 kind`.
    pub fn shape(&self) -> Field {
        let p = &self.profile;
        let mut word: u128 = p.kind().code().into();
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

    /// The rule as field elements (length `profile.rule_len()`).
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
        let p = &self.profile;
        let mut out = vec![
            self.shape(),
            s.id,
            s.version,
            Field::from(s.valid_from),
            Field::from(s.valid_until),
        ];
        for k in 0..p.models() {
            let m = s.models.get(k);
            out.push(m.map_or(Field::zero(), |m| m.id));
            out.push(m.map_or(Field::zero(), |m| m.version));
        }
        for k in 0..p.scopes() {
            out.push(s.scopes.get(k).copied().unwrap_or(Field::zero()));
        }
        for k in 0..p.protected() {
            let i = s.protected.get(k).copied().unwrap_or(p.features() as u32);
            out.push(Field::from(u64::from(i)));
        }
        let bounds: Vec<i64> = s.ranges.iter().flat_map(|r| [r.lo, r.hi]).collect();
        out.extend(pack_signed(&bounds, FEATURE_BITS, FEATURES_PER_FIELD));
        out.extend(self.rule_fields());
        out
    }

    /// The public policy hash.
    pub fn hash(&self) -> Field {
        hash(Domain::Policy, &self.to_fields())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_round_trip() {
        for name in [
            "mlp-24x16-d20-b8-s16-p8-m4",
            "mlp-24x16-d20-s16-p8-m4-gate",
            "linear-24-d20-b8-s16-p8-m4",
            "linear-24-d20-s16-p8-m4-gate",
        ] {
            assert_eq!(Profile::from_name(name).unwrap().name(), name);
        }
        for bad in [
            "",
            "linear-24-d20-b8-s16-p25-m4",
            "mlp-24-d20-b8-s16-p8-m4",
            "linear-024-d20-b8-s16-p8-m4",
        ] {
            assert!(Profile::from_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn edges_round_up() {
        assert_eq!(edge_from_logit(0.25).unwrap(), 1i128 << 46);
        assert_eq!(edge_from_logit(1e-20).unwrap(), 1);
        assert_eq!(edge_from_logit(-1e-20).unwrap(), 0);
        assert!(edge_from_logit(1e20).is_err());
    }

    #[test]
    fn the_mirror_reproduces_the_circuits_frozen_policy_hash() {
        // The frozen vector of `crate::circuits` (policy-hash format): this mirror must agree
        // with it bit for bit until it is replaced by the real module.
        let p = Profile::from_name("mlp-24x16-d20-b8-s16-p8-m4").unwrap();
        let spec = PolicySpec {
            id: label("policy"),
            version: label("1"),
            valid_from: 1,
            valid_until: 2,
            models: vec![ModelRef::new("model", "1")],
            scopes: vec![crate::commit::scope_id(&crate::commit::ScopeLabels::new(
                "p", "j", "x",
            ))],
            protected: vec![0],
            ranges: vec![FeatureRange { lo: -1, hi: 1 }; 24],
            rule: DecisionRule::ScoreBand {
                edges: vec![EDGE_MIN, 0, EDGE_MAX],
            },
        };
        assert_eq!(
            PolicyEncoding::new(&p, spec).unwrap().hash().to_hex(),
            "0x0f726d1ab4e04139b0093121ef08a05943e09fd622106804010e91996fcc01a8"
        );
    }

    #[test]
    fn encoding_has_the_documented_length() {
        let p = Profile::from_name("mlp-24x16-d20-b8-s16-p8-m4").unwrap();
        let spec = PolicySpec {
            id: label("p"),
            version: label("1"),
            valid_from: 1,
            valid_until: 2,
            models: vec![ModelRef::new("m", "1")],
            scopes: vec![label("s")],
            protected: vec![3],
            ranges: vec![FeatureRange { lo: 0, hi: 1 }; 24],
            rule: DecisionRule::ScoreBand {
                edges: vec![EDGE_MIN, 0, EDGE_MAX],
            },
        };
        let e = PolicyEncoding::new(&p, spec).unwrap();
        assert_eq!(e.to_fields().len(), 5 + 8 + 16 + 8 + 7 + 10);
        assert_eq!(
            e.shape(),
            Field::from_u128(24 + (4 << 16) + (16 << 32) + (8 << 48) + (10 << 64) + (1 << 80))
        );
    }
}
