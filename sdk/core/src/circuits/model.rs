//! Quantized models and their native inference, bit-exact with `circuits/lib/inference` (linear,
//! one hidden layer) and `circuits/lib/perceptron` (two or three hidden layers).

use crate::field::Field;
use crate::hash::{hash, Domain};

use super::fixed::{
    pack_signed, Score, FEATURES_PER_FIELD, FEATURE_BITS, FEATURE_MAX, FEATURE_MIN, MAX_WIDTH,
    WEIGHTS_PER_FIELD, WEIGHT_BITS, WEIGHT_MAX, WEIGHT_MIN,
};
use super::profile::{perceptron_weight_count, ModelFamily, Profile, MAX_HIDDEN_LAYERS};
use super::tree_table::{self, TableError, TableShape};
use super::trees::{self, TreeError, TreeShape};

/// Why a model or an input is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The shape is outside what the circuits support.
    #[error("a model needs 1 to {MAX_WIDTH} features and at most {MAX_WIDTH} hidden units, got {features} features and {hidden} hidden units")]
    Shape {
        /// Features.
        features: usize,
        /// Hidden units.
        hidden: usize,
    },
    /// More hidden layers than the circuits prove.
    #[error("the model has {layers} hidden layers; the circuits prove perceptrons with 1 to {MAX_HIDDEN_LAYERS} hidden ReLU layers")]
    Layers {
        /// Hidden layers given.
        layers: usize,
    },
    /// The weight count does not fit the shape.
    #[error("a model with {features} features and {hidden} has {expected} weights, got {given}")]
    WeightCount {
        /// Features.
        features: usize,
        /// The hidden layers, in words (`16 hidden units`, `hidden layers 16 x 8`).
        hidden: String,
        /// Weights the shape needs.
        expected: usize,
        /// Weights given.
        given: usize,
    },
    /// A weight outside `[-2^24, 2^24)`.
    #[error(
        "weight {index} is `{value}`, outside the fixed-point bound [{WEIGHT_MIN}, {WEIGHT_MAX}]"
    )]
    Weight {
        /// Its position in the flat layout.
        index: usize,
        /// Its value.
        value: i64,
    },
    /// A feature outside `[-2^31, 2^31)`.
    #[error("feature {index} is `{value}`, outside the fixed-point bound [{FEATURE_MIN}, {FEATURE_MAX}]")]
    Feature {
        /// Its position.
        index: usize,
        /// Its value.
        value: i64,
    },
    /// An input with the wrong number of features.
    #[error("the model takes {expected} features, got {given}")]
    FeatureCount {
        /// Features the model takes.
        expected: usize,
        /// Features given.
        given: usize,
    },
    /// A matrix with ragged or wrongly sized rows.
    #[error("layer `{layer}` must be {rows} x {cols}")]
    Layer {
        /// Which layer.
        layer: &'static str,
        /// Rows expected.
        rows: usize,
        /// Columns expected.
        cols: usize,
    },
    /// A tree ensemble that breaks a bound or its shape.
    #[error(transparent)]
    Trees(#[from] TreeError),
    /// A tree-table ensemble that breaks a bound or its shape.
    #[error(transparent)]
    TreeTable(#[from] TableError),
    /// A hidden activation too large to feed the next layer (a deep perceptron rescales each
    /// hidden activation to the feature scale, where it must stay below the feature bound).
    #[error("hidden unit {unit} of layer {layer} reaches {} in real terms, beyond the bound 32768 the next layer takes", .units >> 32)]
    Activation {
        /// The hidden layer (1-based).
        layer: usize,
        /// The unit (0-based).
        unit: usize,
        /// The activation at scale `2^32`.
        units: i128,
    },
    /// The model does not fit the circuit profile.
    #[error("the model has {features} features and {hidden}; profile `{profile}` needs {profile_features} and {profile_hidden}")]
    Profile {
        /// Profile name.
        profile: String,
        /// The model's features.
        features: usize,
        /// The model's hidden layers, in words.
        hidden: String,
        /// The profile's features.
        profile_features: usize,
        /// The profile's hidden layers, in words.
        profile_hidden: String,
    },
    /// Node values where the profile needs none, missing where it proves reasons, or asked of a
    /// model that cannot take them.
    #[error("{0}")]
    NodeValues(String),
}

/// A model with integer weights at scale `2^16`, in the circuits' flat layout. Constructed only
/// through checked constructors, so every weight is within the bound the circuits enforce.
///
/// Layout (`N` features, hidden widths `H1 .. HL`; no hidden layer is the linear family):
/// - linear: `[w_0, ..., w_{N-1}, b]`;
/// - perceptron with one hidden layer of `H`: `W1` row-major (`W1[j][i]` at `j * N + i`), `b1`
///   (`H`), `W2` (`H`), `b2`;
/// - perceptron with 2 or 3 hidden layers: per hidden layer `k`, its matrix row-major (`H_k` rows
///   of `H_{k-1}` inputs, `H_0 = N`) then its biases (`H_k`); then the output weights (`H_L`) and
///   the output bias. With one hidden layer this is the layout above;
/// - tree ensemble: feature indices, thresholds, leaf values, base (see [`super::trees`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantizedModel {
    features: usize,
    hidden: Vec<usize>,
    weights: Vec<i64>,
    trees: Option<TreeShape>,
    table: Option<TableShape>,
    /// A node-table ensemble whose weights end with one value per internal slot (for proven
    /// reasons, see [`QuantizedModel::with_node_values`]).
    node_values: bool,
}

fn weight_count(features: usize, hidden: &[usize]) -> usize {
    if hidden.is_empty() {
        features + 1
    } else {
        perceptron_weight_count(features, hidden)
    }
}

/// Hidden layers in words: `16 hidden units`, `hidden layers 16 x 8` (`0 hidden units` for none).
pub fn describe_hidden(hidden: &[usize]) -> String {
    match hidden {
        [] => "0 hidden units".to_string(),
        [h] => format!("{h} hidden units"),
        more => {
            let widths: Vec<String> = more.iter().map(usize::to_string).collect();
            format!("hidden layers {}", widths.join(" x "))
        }
    }
}

/// `round(a / 2^16)` (ties up) for a ReLU output `a` at scale `2^32`: the next layer's input at
/// scale `2^16`, or `None` when it reaches the feature bound `2^31` (twin of
/// `perceptron::rescale`).
fn rescale(a: i128) -> Option<i128> {
    let q = (a + (1 << 15)) >> 16;
    (q < 1 << 31).then_some(q)
}

impl QuantizedModel {
    /// A model from its flat weights; `hidden = 0` is the linear family, otherwise a perceptron
    /// with one hidden layer of `hidden` units.
    pub fn new(features: usize, hidden: usize, weights: Vec<i64>) -> Result<Self, ModelError> {
        let layers = if hidden == 0 { vec![] } else { vec![hidden] };
        Self::layered(features, &layers, weights)
    }

    /// A model from its flat weights with hidden layers of the given widths, first layer first:
    /// none is the linear family, 1 to [`MAX_HIDDEN_LAYERS`] a perceptron. Refuses more layers
    /// than that, widths outside `1..=256`, a weight count that does not fit, and weights outside
    /// the fixed-point bound.
    pub fn layered(
        features: usize,
        hidden: &[usize],
        weights: Vec<i64>,
    ) -> Result<Self, ModelError> {
        if hidden.len() > MAX_HIDDEN_LAYERS {
            return Err(ModelError::Layers {
                layers: hidden.len(),
            });
        }
        if features == 0 || features > MAX_WIDTH {
            return Err(ModelError::Shape {
                features,
                hidden: hidden.first().copied().unwrap_or(0),
            });
        }
        if let Some(&h) = hidden.iter().find(|&&h| h == 0 || h > MAX_WIDTH) {
            return Err(ModelError::Shape {
                features,
                hidden: h,
            });
        }
        let expected = weight_count(features, hidden);
        if weights.len() != expected {
            return Err(ModelError::WeightCount {
                features,
                hidden: describe_hidden(hidden),
                expected,
                given: weights.len(),
            });
        }
        if let Some((index, &value)) = weights
            .iter()
            .enumerate()
            .find(|(_, &w)| !(WEIGHT_MIN..=WEIGHT_MAX).contains(&w))
        {
            return Err(ModelError::Weight { index, value });
        }
        Ok(QuantizedModel {
            features,
            hidden: hidden.to_vec(),
            weights,
            trees: None,
            table: None,
            node_values: false,
        })
    }

    /// A tree ensemble in the flat layout of [`super::trees`], checked against every bound.
    pub fn trees(features: usize, shape: TreeShape, flat: Vec<i64>) -> Result<Self, ModelError> {
        trees::check(features, shape, &flat)?;
        Ok(QuantizedModel {
            features,
            hidden: Vec::new(),
            weights: flat,
            trees: Some(shape),
            table: None,
            node_values: false,
        })
    }

    /// A tree ensemble in the node-table layout of [`super::tree_table`], checked against every
    /// bound and its depth.
    pub fn tree_table(
        features: usize,
        shape: TableShape,
        flat: Vec<i64>,
    ) -> Result<Self, ModelError> {
        tree_table::check(features, shape, &flat)?;
        Ok(QuantizedModel {
            features,
            hidden: Vec::new(),
            weights: flat,
            trees: None,
            table: Some(shape),
            node_values: false,
        })
    }

    /// A node-table ensemble with node values: the layout of [`QuantizedModel::tree_table`]
    /// followed by one value per internal slot (weight scale), checked
    /// ([`tree_table::check_explained`]). Its commitment also binds the node values.
    pub fn tree_table_explained(
        features: usize,
        shape: TableShape,
        flat: Vec<i64>,
    ) -> Result<Self, ModelError> {
        tree_table::check_explained(features, shape, &flat)?;
        Ok(QuantizedModel {
            features,
            hidden: Vec::new(),
            weights: flat,
            trees: None,
            table: Some(shape),
            node_values: true,
        })
    }

    /// This node-table ensemble with every internal node's expected value over `rows` appended
    /// ([`tree_table::expected_node_values`]), for a profile with proven reasons. Refuses other
    /// models, an ensemble that has node values already and rows of the wrong width.
    pub fn with_node_values(self, rows: &[Features]) -> Result<Self, ModelError> {
        let Some(shape) = self.table.filter(|_| !self.node_values) else {
            return Err(ModelError::NodeValues(
                "only a node-table tree ensemble without node values takes them".into(),
            ));
        };
        if let Some(bad) = rows.iter().find(|r| r.len() != self.features) {
            return Err(ModelError::FeatureCount {
                expected: self.features,
                given: bad.len(),
            });
        }
        let x: Vec<Vec<i64>> = rows.iter().map(|r| r.values().to_vec()).collect();
        let mut flat = self.weights;
        flat.extend(tree_table::expected_node_values(
            self.features,
            shape,
            &flat,
            &x,
        ));
        Self::tree_table_explained(self.features, shape, flat)
    }

    /// Whether the weights end with node values (a node-table ensemble for proven reasons).
    pub fn has_node_values(&self) -> bool {
        self.node_values
    }

    /// Every feature's path contribution on `features` (weight scale `2^16`, see
    /// [`tree_table::contributions`]); `None` unless the model is a node-table ensemble with node
    /// values and `features` has its width.
    pub fn path_contributions(&self, features: &Features) -> Option<Vec<i128>> {
        let shape = self.table.filter(|_| self.node_values)?;
        (features.len() == self.features).then(|| {
            tree_table::contributions(self.features, shape, &self.weights, features.values())
        })
    }

    /// The ensemble's shape, for a tree-table ensemble.
    pub fn table_shape(&self) -> Option<TableShape> {
        self.table
    }

    /// The model's shape in words, as the profile-mismatch error gives it: `0 hidden units`,
    /// `hidden layers 16 x 8`, `30 trees of depth 3`, `500 trees of at most 31 leaves and depth 12`.
    pub fn describe_shape(&self) -> String {
        if let Some(s) = self.trees {
            return format!("{} trees of depth {}", s.trees(), s.depth());
        }
        if let Some(s) = self.table {
            return format!(
                "{} trees of at most {} leaves and depth {}",
                s.trees(),
                s.leaves(),
                s.depth()
            );
        }
        describe_hidden(&self.hidden)
    }

    /// The ensemble's shape, for a tree ensemble.
    pub fn tree_shape(&self) -> Option<TreeShape> {
        self.trees
    }

    /// A linear (or logistic) scoring model: `score = bias + sum_i weights[i] * x_i`.
    pub fn linear(weights: &[i64], bias: i64) -> Result<Self, ModelError> {
        let mut flat = weights.to_vec();
        flat.push(bias);
        Self::new(weights.len(), 0, flat)
    }

    /// A perceptron: `w1` is `H x N` (one row per hidden unit), `b1` and `w2` have `H` entries.
    pub fn mlp(w1: &[Vec<i64>], b1: &[i64], w2: &[i64], b2: i64) -> Result<Self, ModelError> {
        let hidden = w1.len();
        let features = w1.first().map_or(0, Vec::len);
        if hidden == 0 || w1.iter().any(|row| row.len() != features) {
            return Err(ModelError::Layer {
                layer: "w1",
                rows: hidden,
                cols: features,
            });
        }
        for (layer, v) in [("b1", b1), ("w2", w2)] {
            if v.len() != hidden {
                return Err(ModelError::Layer {
                    layer,
                    rows: hidden,
                    cols: 1,
                });
            }
        }
        let mut flat: Vec<i64> = w1.iter().flatten().copied().collect();
        flat.extend_from_slice(b1);
        flat.extend_from_slice(w2);
        flat.push(b2);
        Self::new(features, hidden, flat)
    }

    /// Number of input features.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Hidden units of the first hidden layer (0 for a linear model and a tree ensemble); see
    /// [`QuantizedModel::hidden_layers`] for every layer.
    pub fn hidden(&self) -> usize {
        self.hidden.first().copied().unwrap_or(0)
    }

    /// The hidden layers' widths, first layer first (empty for a linear model and a tree
    /// ensemble).
    pub fn hidden_layers(&self) -> &[usize] {
        &self.hidden
    }

    /// The flat weights.
    pub fn weights(&self) -> &[i64] {
        &self.weights
    }

    /// The weights as the field elements the circuit takes (for a tree table with node values,
    /// one entry per internal node in place of its word and value: [`tree_table::entry_fields`]).
    pub fn weight_fields(&self) -> Vec<Field> {
        if let (Some(shape), true) = (self.table, self.node_values) {
            return tree_table::entry_fields(self.features, shape, &self.weights);
        }
        self.weights
            .iter()
            .map(|&w| Field::from_i128(w.into()))
            .collect()
    }

    /// Checks that this model is the shape `profile` proves.
    pub fn check_profile(&self, profile: &Profile) -> Result<(), ModelError> {
        let family_ok = match (profile.family(), self.trees) {
            (ModelFamily::Trees { .. }, shape) => shape.is_some() && shape == profile.tree_shape(),
            (ModelFamily::TreeTable { .. }, _) => {
                self.table.is_some() && self.table == profile.table_shape()
            }
            (_, Some(_)) => false,
            (_, None) if self.table.is_some() => false,
            (family, None) => matches!(
                (family, self.hidden.len()),
                (ModelFamily::Linear, 0)
                    | (ModelFamily::Mlp { .. }, 1)
                    | (ModelFamily::DeepMlp { .. }, 2..)
            ),
        };
        let profile_hidden = profile.hidden_layers();
        if !family_ok || profile.features() != self.features || profile_hidden != self.hidden {
            let profile_shape = match (profile.tree_shape(), profile.table_shape()) {
                (Some(s), _) => format!("{} trees of depth {}", s.trees(), s.depth()),
                (_, Some(s)) => format!(
                    "{} trees of at most {} leaves and depth {}",
                    s.trees(),
                    s.leaves(),
                    s.depth()
                ),
                _ => describe_hidden(&profile_hidden),
            };
            return Err(ModelError::Profile {
                profile: profile.name(),
                features: self.features,
                hidden: self.describe_shape(),
                profile_features: profile.features(),
                profile_hidden: profile_shape,
            });
        }
        if self.table.is_some() && profile.table_shape().is_some() {
            let wanted = profile.reasons() > 0;
            if wanted && !self.node_values {
                return Err(ModelError::NodeValues(format!(
                    "profile `{}` proves reasons, which need the ensemble's node values, and the model has none: import it again with this profile",
                    profile.name()
                )));
            }
            if !wanted && self.node_values {
                return Err(ModelError::NodeValues(format!(
                    "the model carries node values for proven reasons, and profile `{}` proves none: use its `-rK` profile",
                    profile.name()
                )));
            }
        }
        Ok(())
    }

    /// The weights commitment a registry entry records: Poseidon2 ([`Domain::Weights`]) over the
    /// weights packed ten to a field element (each as `w + 2^24` in 25 bits).
    pub fn commitment(&self) -> Field {
        if let Some(shape) = self.trees {
            return trees::commitment(shape, &self.weights);
        }
        if let Some(shape) = self.table {
            if self.node_values {
                return tree_table::commitment_explained(self.features, shape, &self.weights);
            }
            return tree_table::commitment(self.features, shape, &self.weights);
        }
        hash(
            Domain::Weights,
            &pack_signed(&self.weights, WEIGHT_BITS, WEIGHTS_PER_FIELD),
        )
    }

    /// Bounds on the score (in [`Score`] units) of every input whose fixed-point features lie in
    /// `[lo[i], hi[i]]`: interval arithmetic over [`QuantizedModel::score`]'s exact integer
    /// steps, so the true scores always lie within (the bounds may be wider than what inputs
    /// reach). `None` for complete-tree ensembles, for a box of the wrong length or inverted, and when an
    /// activation's bound passes what the circuit accepts (such inputs are refused, not scored).
    pub fn score_bounds(&self, lo: &[i64], hi: &[i64]) -> Option<(i128, i128)> {
        let n = self.features;
        if self.trees.is_some() || lo.len() != n || hi.len() != n {
            return None;
        }
        if lo.iter().zip(hi).any(|(l, h)| l > h) {
            return None;
        }
        if let Some(shape) = self.table {
            return Some(tree_table::score_bounds(n, shape, &self.weights, lo, hi));
        }
        let w: Vec<i128> = self.weights.iter().map(|&v| v.into()).collect();
        // The bounds of `sum_i w_i * x_i` for `x_i` in `[l_i, h_i]`.
        let dot = |weights: &[i128], l: &[i128], h: &[i128]| -> (i128, i128) {
            weights
                .iter()
                .zip(l.iter().zip(h))
                .fold((0, 0), |(min, max), (&wi, (&li, &hi))| {
                    let (a, b) = (wi * li, wi * hi);
                    (min + a.min(b), max + a.max(b))
                })
        };
        let x_lo: Vec<i128> = lo.iter().map(|&v| v.into()).collect();
        let x_hi: Vec<i128> = hi.iter().map(|&v| v.into()).collect();
        if self.hidden.is_empty() {
            let (min, max) = dot(&w[..n], &x_lo, &x_hi);
            let b = w[n] << 16;
            return Some(((b + min) << 16, (b + max) << 16));
        }
        let (mut in_lo, mut in_hi) = (x_lo, x_hi);
        let (mut act_lo, mut act_hi): (Vec<i128>, Vec<i128>) = (Vec::new(), Vec::new());
        let mut offset = 0;
        let mut inputs = n;
        for (k, &h) in self.hidden.iter().enumerate() {
            if k > 0 {
                // `rescale` is monotone: the bounds map to bounds.
                in_lo = act_lo.iter().map(|&a| rescale(a)).collect::<Option<_>>()?;
                in_hi = act_hi.iter().map(|&a| rescale(a)).collect::<Option<_>>()?;
            }
            let (mut next_lo, mut next_hi) = (Vec::with_capacity(h), Vec::with_capacity(h));
            for j in 0..h {
                let row = offset + j * inputs;
                let bias = w[offset + h * inputs + j] << 16;
                let (min, max) = dot(&w[row..row + inputs], &in_lo, &in_hi);
                next_lo.push((bias + min).max(0));
                next_hi.push((bias + max).max(0));
            }
            (act_lo, act_hi) = (next_lo, next_hi);
            offset += h * inputs + h;
            inputs = h;
        }
        let (min, max) = dot(&w[offset..offset + inputs], &act_lo, &act_hi);
        let b = w[offset + inputs] << 32;
        Some((b + min, b + max))
    }

    /// The score the circuit computes on `features` (scale `2^48`). Refuses a feature count
    /// other than the model's and, for two or more hidden layers, a hidden activation beyond the
    /// bound the next layer takes (the circuit fails on it too).
    pub fn score(&self, features: &Features) -> Result<Score, ModelError> {
        if features.len() != self.features {
            return Err(ModelError::FeatureCount {
                expected: self.features,
                given: features.len(),
            });
        }
        if let Some(shape) = self.trees {
            return Ok(trees::score(
                self.features,
                shape,
                &self.weights,
                features.values(),
            ));
        }
        if let Some(shape) = self.table {
            return Ok(tree_table::score(
                self.features,
                shape,
                &self.weights,
                features.values(),
            ));
        }
        let x: Vec<i128> = features.values().iter().map(|&v| v.into()).collect();
        let w: Vec<i128> = self.weights.iter().map(|&v| v.into()).collect();
        let n = self.features;
        let units = if self.hidden.is_empty() {
            let acc: i128 = (w[n] << 16) + (0..n).map(|i| w[i] * x[i]).sum::<i128>();
            acc << 16
        } else {
            // Each hidden layer's ReLU outputs (scale 2^32); the next layer reads them rescaled.
            let mut input = x;
            let mut active: Vec<i128> = Vec::new();
            let mut offset = 0;
            let mut inputs = n;
            for (k, &h) in self.hidden.iter().enumerate() {
                if k > 0 {
                    input = active
                        .iter()
                        .enumerate()
                        .map(|(unit, &a)| {
                            rescale(a).ok_or(ModelError::Activation {
                                layer: k,
                                unit,
                                units: a,
                            })
                        })
                        .collect::<Result<_, _>>()?;
                }
                active = (0..h)
                    .map(|j| {
                        let row = offset + j * inputs;
                        let pre: i128 = (w[offset + h * inputs + j] << 16)
                            + (0..inputs).map(|i| w[row + i] * input[i]).sum::<i128>();
                        pre.max(0)
                    })
                    .collect();
                offset += h * inputs + h;
                inputs = h;
            }
            let mut acc = w[offset + inputs] << 32;
            for (j, &a) in active.iter().enumerate() {
                acc += w[offset + j] * a;
            }
            acc
        };
        // The bounds on weights, features, shape and (between layers) activations keep
        // |units| < 2^97 (see `fixed`).
        Ok(Score::new(units).unwrap_or_else(|| unreachable!("score bound holds by construction")))
    }

    /// Per feature, zero exactly when the model gives that feature no weight at all (linear: the
    /// weight; perceptron: the sum of squares of its column of the first layer, at any depth;
    /// trees: the number of nodes that split on it), then a final zero.
    pub fn feature_weight_mass(&self) -> Vec<Field> {
        if let Some(shape) = self.trees {
            return trees::feature_weight_mass(self.features, shape, &self.weights);
        }
        if let Some(shape) = self.table {
            return tree_table::feature_weight_mass(self.features, shape, &self.weights);
        }
        let n = self.features;
        let mut mass: Vec<Field> = (0..n)
            .map(|i| {
                if self.hidden.is_empty() {
                    Field::from_i128(self.weights[i].into())
                } else {
                    // Only the first layer reads the features.
                    let sum: i128 = (0..self.hidden[0])
                        .map(|j| {
                            let w = i128::from(self.weights[j * n + i]);
                            w * w
                        })
                        .sum();
                    Field::from_i128(sum)
                }
            })
            .collect();
        mass.push(Field::zero());
        mass
    }

    /// Whether feature `index` influences the model at all.
    pub fn uses_feature(&self, index: usize) -> bool {
        index < self.features && self.feature_weight_mass()[index] != Field::zero()
    }
}

/// One application's input: feature values at scale `2^16`, each within `[-2^31, 2^31)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features(Vec<i64>);

impl Features {
    /// Checks every value against the feature bound.
    pub fn new(values: Vec<i64>) -> Result<Self, ModelError> {
        if let Some((index, &value)) = values
            .iter()
            .enumerate()
            .find(|(_, &v)| !(FEATURE_MIN..=FEATURE_MAX).contains(&v))
        {
            return Err(ModelError::Feature { index, value });
        }
        Ok(Features(values))
    }

    /// The values.
    pub fn values(&self) -> &[i64] {
        &self.0
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no features.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values as the field elements the circuit takes.
    pub fn to_fields(&self) -> Vec<Field> {
        self.0.iter().map(|&v| Field::from_i128(v.into())).collect()
    }

    /// The input commitment: Poseidon2 ([`Domain::Input`]) over the features packed seven to a
    /// field element (each as `x + 2^31` in 32 bits), then `salt`.
    pub fn commitment(&self, salt: Field) -> Field {
        let mut fields = pack_signed(&self.0, FEATURE_BITS, FEATURES_PER_FIELD);
        fields.push(salt);
        hash(Domain::Input, &fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every score of an input inside the box lies within `score_bounds` of the box, for
    /// linear models and perceptrons of one to three layers, and the corners are reached for a
    /// linear model (its bounds are exact).
    #[test]
    fn score_bounds_hold_every_score_in_the_box() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |range: i64| -> i64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % (2 * range as u64 + 1)) as i64 - range
        };
        for shape in [vec![], vec![5], vec![4, 3], vec![3, 3, 2]] {
            let mut checked = 0;
            for _ in 0..20 {
                let n = 4;
                let count = weight_count(n, &shape);
                let weights: Vec<i64> = (0..count).map(|_| next(1 << 17)).collect();
                let model = QuantizedModel::layered(n, &shape, weights).unwrap();
                let lo: Vec<i64> = (0..n).map(|_| next(1 << 18) - (1 << 18)).collect();
                let hi: Vec<i64> = lo.iter().map(|&l| l + next(1 << 18).abs()).collect();
                let Some((min, max)) = model.score_bounds(&lo, &hi) else {
                    continue;
                };
                assert!(min <= max);
                for _ in 0..50 {
                    let x: Vec<i64> = lo
                        .iter()
                        .zip(&hi)
                        .map(|(&l, &h)| l + next(h - l).abs() % (h - l + 1))
                        .collect();
                    if let Ok(score) = model.score(&Features::new(x).unwrap()) {
                        checked += 1;
                        let u = score.units();
                        assert!(
                            min <= u && u <= max,
                            "{shape:?}: {u} outside [{min}, {max}]"
                        );
                    }
                }
                if shape.is_empty() {
                    let corner = |pick_high: &dyn Fn(i64) -> bool| -> i128 {
                        let x: Vec<i64> = (0..n)
                            .map(|i| {
                                if pick_high(model.weights()[i]) {
                                    hi[i]
                                } else {
                                    lo[i]
                                }
                            })
                            .collect();
                        model.score(&Features::new(x).unwrap()).unwrap().units()
                    };
                    assert_eq!(corner(&|w| w < 0), min);
                    assert_eq!(corner(&|w| w >= 0), max);
                }
            }
            assert!(checked > 100, "{shape:?}: only {checked} scores checked");
        }
        assert_eq!(
            QuantizedModel::linear(&[1, 2], 0)
                .unwrap()
                .score_bounds(&[1], &[2]),
            None
        );
        assert_eq!(
            QuantizedModel::linear(&[1], 0)
                .unwrap()
                .score_bounds(&[3], &[2]),
            None
        );
    }

    #[test]
    fn linear_score_is_exact() {
        let m = QuantizedModel::linear(&[1 << 16, -(2 << 16)], 1 << 15).unwrap();
        let x = Features::new(vec![3 << 16, 1 << 16]).unwrap();
        // 0.5 + 3 - 2 = 1.5
        assert_eq!(m.score(&x).unwrap().logit(), 1.5);
    }

    #[test]
    fn mlp_score_applies_relu() {
        let one = 1 << 16;
        // h0 = relu(x0 - x1), h1 = relu(x1 - x0); score = h0 - 2 h1 + 0.25
        let m = QuantizedModel::mlp(
            &[vec![one, -one], vec![-one, one]],
            &[0, 0],
            &[one, -2 * one],
            one / 4,
        )
        .unwrap();
        let x = Features::new(vec![one, 3 * one]).unwrap();
        assert_eq!(m.score(&x).unwrap().logit(), -3.75);
        let x = Features::new(vec![3 * one, one]).unwrap();
        assert_eq!(m.score(&x).unwrap().logit(), 2.25);
    }

    #[test]
    fn bounds_and_shapes_are_enforced() {
        assert!(matches!(
            QuantizedModel::linear(&[WEIGHT_MAX + 1], 0),
            Err(ModelError::Weight { index: 0, .. })
        ));
        assert!(QuantizedModel::new(2, 1, vec![0; 4]).is_err());
        assert!(QuantizedModel::mlp(&[vec![0, 0], vec![0]], &[0, 0], &[0, 0], 0).is_err());
        assert!(Features::new(vec![FEATURE_MIN - 1]).is_err());
        let m = QuantizedModel::linear(&[0, 5], 0).unwrap();
        assert!(!m.uses_feature(0));
        assert!(m.uses_feature(1));
        assert!(m.score(&Features::new(vec![1]).unwrap()).is_err());
    }

    #[test]
    fn deep_score_rescales_between_layers() {
        let one = 1 << 16;
        // h1 = (relu(x0 + x1), relu(x0 - x1)); h2 = relu(h1_0 - h1_1 + 0.5); score = 2 h2 - 1.
        let w = vec![one, one, one, -one, 0, 0, one, -one, one / 2, 2 * one, -one];
        let m = QuantizedModel::layered(2, &[2, 1], w).unwrap();
        assert_eq!(m.hidden_layers(), &[2, 1]);
        assert_eq!(m.hidden(), 2);
        let x = Features::new(vec![3 * one / 2, one / 4]).unwrap();
        // h1 = (1.75, 1.25), h2 = 1, score = 1.
        assert_eq!(m.score(&x).unwrap().logit(), 1.0);
        let x = Features::new(vec![0, one]).unwrap();
        // h1 = (1, 0), h2 = 1.5, score = 2.
        assert_eq!(m.score(&x).unwrap().logit(), 2.0);
        // One hidden layer through `layered` is the `mlp` model, with its commitment.
        let w1 = vec![vec![one, -one], vec![-one, one]];
        let a = QuantizedModel::mlp(&w1, &[0, 0], &[one, -2 * one], one / 4).unwrap();
        let b = QuantizedModel::layered(2, &[2], a.weights().to_vec()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.commitment(), b.commitment());
    }

    #[test]
    fn rescaling_rounds_to_nearest_and_stops_at_the_feature_bound() {
        assert_eq!(rescale(0), Some(0));
        assert_eq!(rescale((1 << 15) - 1), Some(0));
        assert_eq!(rescale(1 << 15), Some(1), "ties round up");
        assert_eq!(rescale(3 << 16), Some(3));
        let last = (1i128 << 47) - (1 << 15) - 1;
        assert_eq!(rescale(last), Some((1 << 31) - 1));
        assert_eq!(rescale(last + 1), None);
    }

    #[test]
    fn deep_models_refuse_extra_layers_and_oversized_activations() {
        let e = QuantizedModel::layered(2, &[2, 2, 2, 2], vec![0; 25]).unwrap_err();
        assert_eq!(e, ModelError::Layers { layers: 4 });
        assert!(e.to_string().contains("4 hidden layers"), "{e}");
        assert!(QuantizedModel::layered(2, &[2, 0], vec![0; 9]).is_err());
        let e = QuantizedModel::layered(2, &[2, 3], vec![0; 5]).unwrap_err();
        assert!(e.to_string().contains("hidden layers 2 x 3"), "{e}");
        // Every weight and feature at its lowest: the first layer's activations are about 2^31
        // in real terms, beyond what the second layer takes.
        let (n, h) = (256, 256);
        let count = perceptron_weight_count(n, &[h, h]);
        let m = QuantizedModel::layered(n, &[h, h], vec![WEIGHT_MIN; count]).unwrap();
        let x = Features::new(vec![FEATURE_MIN; n]).unwrap();
        assert!(matches!(
            m.score(&x),
            Err(ModelError::Activation { layer: 1, .. })
        ));
    }

    #[test]
    fn extreme_model_stays_within_the_score_bound() {
        let n = 256;
        let h = 256;
        let w1 = vec![vec![WEIGHT_MIN; n]; h];
        let m =
            QuantizedModel::mlp(&w1, &[WEIGHT_MIN; 256], &[WEIGHT_MIN; 256], WEIGHT_MIN).unwrap();
        let x = Features::new(vec![FEATURE_MIN; n]).unwrap();
        let s = m.score(&x).unwrap();
        assert!(s.units().unsigned_abs() < 1 << 97);
    }
}
