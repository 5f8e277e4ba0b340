//! Fixed-point numbers as the circuits see them, and the bounds that keep every intermediate far
//! from wrapping in the field (twin of `circuits/lib/fixed_point`).
//!
//! Weights and features are integers at scale `2^16` (a real `r` is `round(r * 2^16)`). Scores
//! carry scale `2^48` and are never rescaled, so the circuit's arithmetic is exact integer
//! arithmetic; the bounds below, enforced in-circuit by range checks on every weight and feature,
//! keep all magnitudes below `2^97`, against a field half-size of about `2^253`.

use crate::field::Field;
use crate::float::Num;

/// Bits after the binary point of weights and features.
pub const SCALE_BITS: u32 = 16;
/// Bits after the binary point of a score (`score / 2^48` is the model's logit).
pub const SCORE_SCALE_BITS: u32 = 48;
/// Signed bits of a weight (biases included): weights lie in `[-2^24, 2^24)`.
pub const WEIGHT_BITS: u32 = 25;
/// Weights packed into one field element of the weights commitment.
pub const WEIGHTS_PER_FIELD: usize = 10;
/// Signed bits of a feature and of a policy's feature bounds: values in `[-2^31, 2^31)`.
pub const FEATURE_BITS: u32 = 32;
/// Features packed into one field element of the input commitment (and policy ranges).
pub const FEATURES_PER_FIELD: usize = 7;
/// Magnitude bits of a hidden pre-activation: `|pre| < 2^64`.
pub const HIDDEN_BITS: u32 = 64;
/// Magnitude bits of any score: `|score| < 2^97`.
pub const SCORE_BITS: u32 = 97;
/// Magnitude bits of a band edge or threshold: `|edge| <= 2^100`.
pub const EDGE_BITS: u32 = 100;
/// The most features and hidden units a model may have (the bounds above assume it).
pub const MAX_WIDTH: usize = 256;

/// The smallest weight.
pub const WEIGHT_MIN: i64 = -(1 << (WEIGHT_BITS - 1));
/// The largest weight.
pub const WEIGHT_MAX: i64 = (1 << (WEIGHT_BITS - 1)) - 1;
/// The smallest feature value.
pub const FEATURE_MIN: i64 = -(1 << (FEATURE_BITS - 1));
/// The largest feature value.
pub const FEATURE_MAX: i64 = (1 << (FEATURE_BITS - 1)) - 1;
/// The lowest band edge: stands for an open lower end (every score is above it).
pub const EDGE_MIN: i128 = -(1 << EDGE_BITS);
/// The highest band edge: stands for an open upper end (every score is below it).
pub const EDGE_MAX: i128 = 1 << EDGE_BITS;

/// Why a number cannot be represented in the circuits' fixed point.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FixedError {
    /// The value is NaN or infinite.
    #[error("`{}` is not a finite number", Num(*.0))]
    NotFinite(f64),
    /// The value is outside the representable range.
    #[error(
        "`{}` is outside the fixed-point range of {what} [{}, {}]",
        Num(*.value),
        Num(*.min),
        Num(*.max)
    )]
    OutOfRange {
        /// What the value was meant to be.
        what: &'static str,
        /// The value given.
        value: f64,
        /// Smallest allowed real value.
        min: f64,
        /// Largest allowed real value.
        max: f64,
    },
    /// A probability outside `(0, 1)`.
    #[error("probability `{}` must lie strictly between 0 and 1", Num(*.0))]
    Probability(f64),
    /// A score scale whose factor is not positive.
    #[error("points-per-log-odds factor `{}` must be positive and finite", Num(*.0))]
    Factor(f64),
}

fn quantize(value: f64, what: &'static str, min: i64, max: i64) -> Result<i64, FixedError> {
    if !value.is_finite() {
        return Err(FixedError::NotFinite(value));
    }
    let scaled = (value * f64::from(1u32 << SCALE_BITS)).round();
    let scale = f64::from(1u32 << SCALE_BITS);
    if scaled < min as f64 || scaled > max as f64 {
        return Err(FixedError::OutOfRange {
            what,
            value,
            min: min as f64 / scale,
            max: max as f64 / scale,
        });
    }
    // In range of i64 by the check above.
    Ok(scaled as i64)
}

/// Quantizes a real weight (or bias) to the nearest multiple of `2^-16`; refuses values outside
/// `[-256, 256)`.
pub fn quantize_weight(value: f64) -> Result<i64, FixedError> {
    quantize(value, "a weight", WEIGHT_MIN, WEIGHT_MAX)
}

/// Quantizes a real feature value to the nearest multiple of `2^-16`; refuses values outside
/// `[-32768, 32768)`.
pub fn quantize_feature(value: f64) -> Result<i64, FixedError> {
    quantize(value, "a feature", FEATURE_MIN, FEATURE_MAX)
}

/// A model's score in circuit units: the logit times `2^48`, exactly as the circuit computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(i128);

impl Score {
    /// Wraps a score in circuit units; refuses magnitudes at or above `2^97`, which no model
    /// within the bounds can produce.
    pub fn new(units: i128) -> Option<Self> {
        (units.unsigned_abs() < 1u128 << SCORE_BITS).then_some(Score(units))
    }

    /// The score in circuit units (scale `2^48`).
    pub fn units(&self) -> i128 {
        self.0
    }

    /// The score as a (rounded) real logit.
    pub fn logit(&self) -> f64 {
        self.0 as f64 / (1u64 << SCORE_SCALE_BITS) as f64
    }

    /// The score as the field element the circuit holds.
    pub fn to_field(&self) -> Field {
        Field::from_i128(self.0)
    }
}

/// The band edge (or threshold), in score units, that a logit boundary `logit` becomes:
/// `ceil(logit * 2^48)`. For every score `s`, `s >= edge` exactly when `s / 2^48 >= logit`, so the
/// comparison in the circuit is the comparison on real logits (the multiplication by a power of
/// two and the ceiling are exact in `f64`). Refuses boundaries beyond `±2^52`.
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
    let units = (logit * (1u64 << SCORE_SCALE_BITS) as f64).ceil();
    // |units| <= 2^100 by the check above, which fits i128.
    Ok(units as i128)
}

/// The edge for a probability boundary `p`: the logistic function is increasing, so
/// `sigmoid(logit) >= p` exactly when `logit >= ln(p / (1 - p))`, and the edge is that logit's
/// [`edge_from_logit`]. The logarithm is computed in `f64` (within one unit in the last place),
/// once, when the policy is loaded; the circuit never evaluates a sigmoid.
pub fn edge_from_probability(p: f64) -> Result<i128, FixedError> {
    if !(p > 0.0 && p < 1.0) {
        return Err(FixedError::Probability(p));
    }
    edge_from_logit((p / (1.0 - p)).ln())
}

/// The edge for a credit-score boundary on a scale `points = offset + factor * log_odds`
/// (`factor > 0`): the boundary's log-odds are `(points - offset) / factor`.
pub fn edge_from_points(points: f64, offset: f64, factor: f64) -> Result<i128, FixedError> {
    if !(factor.is_finite() && factor > 0.0) {
        return Err(FixedError::Factor(factor));
    }
    if !offset.is_finite() {
        return Err(FixedError::NotFinite(offset));
    }
    edge_from_logit((points - offset) / factor)
}

/// Packs signed values of `bits` bits, `per` to a field element, each as `v + 2^(bits-1)` at bit
/// offset `bits * (i % per)` of element `i / per` (twin of `fixed_point::pack_signed`). The caller
/// guarantees every value is within `bits` signed bits.
pub(crate) fn pack_signed(values: &[i64], bits: u32, per: usize) -> Vec<Field> {
    let offset = 1i128 << (bits - 1);
    values
        .chunks(per)
        .map(|chunk| {
            let mut acc = Field::zero();
            let mut shift = Field::one();
            let step = Field::from_u128(1u128 << bits);
            for &v in chunk {
                let u = i128::from(v) + offset;
                acc = acc + Field::from_i128(u) * shift;
                shift = shift * step;
            }
            acc
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantization_rounds_and_refuses() {
        assert_eq!(quantize_weight(1.0).unwrap(), 65536);
        assert_eq!(quantize_weight(-0.5).unwrap(), -32768);
        assert_eq!(quantize_weight(-256.0).unwrap(), WEIGHT_MIN);
        assert!(quantize_weight(256.0).is_err());
        assert!(quantize_weight(f64::NAN).is_err());
        assert_eq!(quantize_feature(32767.0).unwrap(), 32767 << 16);
        assert!(quantize_feature(-32768.1).is_err());
    }

    #[test]
    fn edges_compare_like_real_logits() {
        let e = edge_from_logit(0.25).unwrap();
        assert_eq!(e, 1i128 << 46);
        let e = edge_from_logit(1e-20).unwrap();
        assert_eq!(e, 1, "a tiny positive boundary excludes the zero score");
        assert_eq!(edge_from_probability(0.5).unwrap(), 0);
        assert!(edge_from_probability(1.0).is_err());
        assert!(edge_from_points(600.0, 600.0, 0.0).is_err());
        assert_eq!(edge_from_points(620.0, 600.0, 20.0).unwrap(), 1i128 << 48);
        assert!(edge_from_logit(1e20).is_err());
    }

    #[test]
    fn packing_places_offsets() {
        let p = pack_signed(&[0, -1, 1], 25, 10);
        let o = 1u128 << 24;
        let expect = o + ((o - 1) << 25) + ((o + 1) << 50);
        assert_eq!(p, vec![Field::from_u128(expect)]);
        assert_eq!(pack_signed(&[0; 11], 25, 10).len(), 2);
    }
}
