//! Proven reasons: the native twin of `circuits/lib/reasons`, bit-exact with it.
//!
//! Feature `i` of a linear model contributes `c_i = w_i * (x_i - b_i)` to the score (weight times
//! the feature's distance from the policy's baseline `b_i`; scale `2^32`, exact integers). The
//! reasons of a decision are the features with the most negative contributions, most negative
//! first, ties broken by feature order, at most the profile's reason count of them and fewer when
//! fewer contributions are negative; the remaining slots hold the none code (the feature count).
//! See `docs/reasons.md` for what this proves and what it does not.

use crate::field::Field;
use crate::hash::{hash, Domain};

use super::fixed::{pack_signed, FEATURES_PER_FIELD, FEATURE_BITS, FEATURE_MAX, FEATURE_MIN};
use super::model::{Features, QuantizedModel};

/// Why reasons cannot be computed for a model and an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonsError {
    /// The model is not linear.
    #[error("only a linear model has the exact additive attribution proven reasons need")]
    NotLinear,
    /// The model, the features and the baselines do not have one value per feature.
    #[error("reasons need one baseline per feature: the model has {model}, the input {features}, the explanation {baselines}")]
    Shape {
        /// The model's feature count.
        model: usize,
        /// The input's feature count.
        features: usize,
        /// The explanation's baseline count.
        baselines: usize,
    },
    /// A baseline outside the feature bound.
    #[error("baseline {index} (`{value}`) is outside the fixed-point feature bound")]
    Baseline {
        /// The feature index.
        index: usize,
        /// Its value (scale `2^16`).
        value: i64,
    },
}

/// The baselines of an explanation, one per feature, at scale `2^16`, each within the feature
/// bound (checked in [`Baselines::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Baselines(Vec<i64>);

impl Baselines {
    /// Checks every baseline against the feature bound.
    pub fn new(values: Vec<i64>) -> Result<Self, ReasonsError> {
        if let Some((index, &value)) = values
            .iter()
            .enumerate()
            .find(|(_, v)| !(FEATURE_MIN..=FEATURE_MAX).contains(*v))
        {
            return Err(ReasonsError::Baseline { index, value });
        }
        Ok(Baselines(values))
    }

    /// The values (scale `2^16`).
    pub fn values(&self) -> &[i64] {
        &self.0
    }

    /// The values as the circuit's field elements.
    pub fn to_fields(&self) -> Vec<Field> {
        self.0.iter().map(|&v| Field::from_i128(v.into())).collect()
    }
}

/// The public policy hash of a policy with an explanation: Poseidon2 ([`Domain::Explained`]) over
/// the policy's own hash and its baselines packed seven to a field element (`b + 2^31`, 32 bits).
pub fn explained_policy_hash(core: Field, baselines: &Baselines) -> Field {
    let mut fields = vec![core];
    fields.extend(pack_signed(&baselines.0, FEATURE_BITS, FEATURES_PER_FIELD));
    hash(Domain::Explained, &fields)
}

/// Each feature's contribution `w_i * (x_i - b_i)` to a linear model's score (scale `2^32`).
pub fn contributions(
    model: &QuantizedModel,
    features: &Features,
    baselines: &Baselines,
) -> Result<Vec<i128>, ReasonsError> {
    if !model.hidden_layers().is_empty()
        || model.tree_shape().is_some()
        || model.table_shape().is_some()
    {
        return Err(ReasonsError::NotLinear);
    }
    let n = model.features();
    if features.len() != n || baselines.0.len() != n {
        return Err(ReasonsError::Shape {
            model: n,
            features: features.len(),
            baselines: baselines.0.len(),
        });
    }
    Ok(model.weights()[..n]
        .iter()
        .zip(features.values())
        .zip(&baselines.0)
        .map(|((&w, &x), &b)| i128::from(w) * (i128::from(x) - i128::from(b)))
        .collect())
}

/// The reason codes for `slots` slots: the indices of the features with the most negative
/// contributions, most negative first, ties by feature order, then the none code
/// (`contributions.len()`) for the slots left when fewer contributions are negative.
pub fn reason_codes(contributions: &[i128], slots: usize) -> Vec<u32> {
    let none = contributions.len() as u32;
    let mut negative: Vec<(i128, usize)> = contributions
        .iter()
        .enumerate()
        .filter(|(_, &c)| c < 0)
        .map(|(i, &c)| (c, i))
        .collect();
    negative.sort_unstable();
    let mut codes: Vec<u32> = negative
        .iter()
        .take(slots)
        .map(|&(_, i)| i as u32)
        .collect();
    codes.resize(slots, none);
    codes
}

/// The reason codes of a linear `model` on `features` against `baselines`, for `slots` slots.
pub fn reasons(
    model: &QuantizedModel,
    features: &Features,
    baselines: &Baselines,
    slots: usize,
) -> Result<Vec<u32>, ReasonsError> {
    Ok(reason_codes(
        &contributions(model, features, baselines)?,
        slots,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_negative_first_ties_by_feature_order_padded_with_none() {
        assert_eq!(reason_codes(&[-5, 3, -7, -5, 0], 3), vec![2, 0, 3]);
        assert_eq!(reason_codes(&[-5, 3, -7, -5, 0], 2), vec![2, 0]);
        assert_eq!(reason_codes(&[1, -1, 0], 3), vec![1, 3, 3]);
        assert_eq!(reason_codes(&[0, 0], 2), vec![2, 2]);
    }

    #[test]
    fn contributions_are_measured_from_the_baselines() {
        let model = QuantizedModel::linear(&[2, -3, 0], 9).unwrap();
        let x = Features::new(vec![10, 10, 10]).unwrap();
        let b = Baselines::new(vec![12, 4, -100]).unwrap();
        assert_eq!(contributions(&model, &x, &b).unwrap(), vec![-4, -18, 0]);
        assert_eq!(reasons(&model, &x, &b, 2).unwrap(), vec![1, 0]);
        let short = Baselines::new(vec![0, 0]).unwrap();
        assert!(matches!(
            contributions(&model, &x, &short),
            Err(ReasonsError::Shape { .. })
        ));
        assert!(Baselines::new(vec![FEATURE_MAX + 1]).is_err());
    }
}
