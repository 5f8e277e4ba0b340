//! Quantizing a float model for the circuits, and the error bound that provably holds.
//!
//! The circuits fix the scale: weights, biases, leaf values, features and thresholds are integers
//! at `2^16` ([`crate::circuits::fixed`]), and the circuit's arithmetic on them is exact (no
//! rounding after the inputs). Quantization rounds every constant to the nearest multiple of
//! `2^-16`, refusing values outside the circuits' bounds (weights in `[-256, 256)`) rather than
//! clipping them.
//!
//! The bound compares the quantized model on the quantized input with the float model on the
//! float input, for every input in the schema's declared ranges:
//!
//! - **linear**: `|q - f| <= |db| + sum_i (|w^_i| e_i + |dw_i| M_i)`, where `dw` is each weight's
//!   rounding, `e_i` the input rounding of feature `i` (half a quantum plus `float32` rounding; 0
//!   for integer features) and `M_i` its largest magnitude in range;
//! - **perceptron**: each hidden pre-activation is off by at most
//!   `E_j = |db1_j| + sum_i (|W^1_ji| e_i + |dW1_ji| M_i)`; ReLU is 1-Lipschitz, so each hidden
//!   output is off by at most `E_j`; with `H_j` the largest hidden output in range (interval
//!   arithmetic), `|q - f| <= |db2| + sum_j (|W^2_j| E_j + |dW2_j| H_j)`;
//! - **deeper perceptron** (two or three hidden layers): the same step per layer, each layer's
//!   inputs being the previous layer's outputs with their errors `E` plus `2^-17` for rounding
//!   them to the feature scale between layers, and their magnitudes the interval bounds `H`. The
//!   circuit refuses an input on which an activation that feeds another layer reaches 32768; when
//!   the interval bounds cannot exclude that, the bound says it holds only for the other inputs;
//! - **trees**: when every split compares the same way on both sides, the error is the leaf and
//!   base rounding, at most `|dbase| + sum_t max_leaf |dleaf|`. A split compares the same way for
//!   any input on the `2^-16` grid that `float32` holds exactly (every whole number): then
//!   `x <= t` exactly when `x 2^16 <= floor(t 2^16)`. A non-integer feature within its input
//!   rounding of a threshold can take the other branch; the bound then does not hold, and says so.
//!
//! A scaler in the graph is folded into the first layer in `f64`. Every bound is inflated by a
//! relative `1e-9` (plus `1e-12`) to cover floating-point rounding in the folding and in the
//! bound's own arithmetic.

use crate::circuits::fixed::{quantize_weight, FixedError, FEATURE_MAX, FEATURE_MIN, SCALE_BITS};
use crate::circuits::model::{ModelError, QuantizedModel};
use crate::circuits::profile::MAX_HIDDEN_LAYERS;
use crate::circuits::profile::{ModelFamily, Profile};
use crate::circuits::tree_table::{
    self, Split, TableShape, MAX_TABLE_DEPTH, MAX_TABLE_LEAVES, MAX_TABLE_TREES,
};
use crate::circuits::trees::{TreeShape, MAX_TREES, MAX_TREE_DEPTH};

use super::float::{Architecture, Dense, Ensemble, FloatModel, Node, Rule, Tree};
use super::schema::FeatureSchema;

const SCALE: f64 = (1u64 << SCALE_BITS) as f64;

/// Why a model cannot be quantized for the circuits.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuantizeError {
    /// A constant outside the circuits' bound.
    #[error("{what} is {value}, outside the circuits' weight range [-256, 256): rescale the model's inputs or outputs")]
    Weight {
        /// Which constant.
        what: String,
        /// Its value.
        value: f64,
    },
    /// A constant that is not a finite number.
    #[error("{0} is not a finite number")]
    NotFinite(String),
    /// More hidden layers than the circuits prove.
    #[error("the model has {0} hidden layers; the circuits prove linear models and perceptrons with 1 to {MAX_HIDDEN_LAYERS} hidden ReLU layers")]
    Depth(usize),
    /// More hidden units than the circuits prove.
    #[error("the model has {0} hidden units; the circuits prove at most 256")]
    Hidden(usize),
    /// A tree ensemble too large for the circuits.
    #[error("the ensemble has {trees} trees of depth up to {depth}; the circuits prove at most {MAX_TREES} trees of depth at most {MAX_TREE_DEPTH}")]
    Ensemble {
        /// Trees.
        trees: usize,
        /// Deepest tree.
        depth: usize,
    },
    /// A tree ensemble whose real shape does not fit a tree table (or the profile's).
    #[error(
        "the ensemble has {trees} trees of up to {leaves} leaves and depth up to {depth}; {fits}"
    )]
    Table {
        /// Trees.
        trees: usize,
        /// Most leaves of one tree.
        leaves: usize,
        /// Deepest tree.
        depth: usize,
        /// What the circuits or the profile hold.
        fits: String,
    },
    /// The model's feature count differs from the schema's.
    #[error("the model takes {model} features, the feature schema lists {schema}")]
    Features {
        /// The model's.
        model: usize,
        /// The schema's.
        schema: usize,
    },
    /// The quantized model breaks a circuit bound (not expected after the checks above).
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// The bound on `|quantized score - float score|`, in score units (log-odds or raw).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    /// The largest possible error.
    pub max_abs: f64,
    /// For which inputs it holds.
    pub holds_for: String,
    /// Whether it holds for every input in the declared ranges (otherwise `holds_for` states the
    /// condition).
    pub all_inputs: bool,
}

/// How the weights fared in rounding.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundingStats {
    /// Constants quantized (weights and biases, or leaf values and the base).
    pub count: usize,
    /// Non-zero constants that became zero.
    pub rounded_to_zero: usize,
    /// The largest rounding of one constant.
    pub max_rounding: f64,
}

/// A quantized model with its bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantized {
    /// The circuit model.
    pub model: QuantizedModel,
    /// The provable error bound.
    pub bound: Bound,
    /// Rounding statistics.
    pub rounding: RoundingStats,
    /// For tree ensembles: per tree, for each leaf slot of the padded tree, the index of the
    /// float tree's node it stands for (to compare paths on calibration rows).
    pub leaf_origins: Vec<Vec<usize>>,
}

struct Rounder {
    stats: RoundingStats,
}

impl Rounder {
    fn new() -> Self {
        Rounder {
            stats: RoundingStats {
                count: 0,
                rounded_to_zero: 0,
                max_rounding: 0.0,
            },
        }
    }

    /// Quantizes one constant; returns the integer and the rounding `q / 2^16 - v`.
    fn round(
        &mut self,
        value: f64,
        what: impl Fn() -> String,
    ) -> Result<(i64, f64), QuantizeError> {
        let q = quantize_weight(value).map_err(|e| match e {
            FixedError::NotFinite(_) => QuantizeError::NotFinite(what()),
            _ => QuantizeError::Weight {
                what: what(),
                value,
            },
        })?;
        let delta = q as f64 / SCALE - value;
        self.stats.count += 1;
        if q == 0 && value != 0.0 {
            self.stats.rounded_to_zero += 1;
        }
        self.stats.max_rounding = self.stats.max_rounding.max(delta.abs());
        Ok((q, delta))
    }
}

fn inflate(bound: f64) -> f64 {
    bound * (1.0 + 1e-9) + 1e-12
}

/// Quantizes `model` for the circuits and bounds its error over `schema`'s ranges; a tree
/// ensemble becomes a node table of its own shape ([`tree_table`]).
pub fn quantize(model: &FloatModel, schema: &FeatureSchema) -> Result<Quantized, QuantizeError> {
    quantize_for(model, schema, None)
}

/// As [`quantize`], for the circuit `profile` when one is chosen: a tree ensemble becomes complete
/// trees for a complete-tree profile (`trees-N-TxD-...`), else a node table padded to the
/// profile's trees, leaves and depth (refused, naming both shapes, when it does not fit).
pub fn quantize_for(
    model: &FloatModel,
    schema: &FeatureSchema,
    profile: Option<&Profile>,
) -> Result<Quantized, QuantizeError> {
    if model.features != schema.len() {
        return Err(QuantizeError::Features {
            model: model.features,
            schema: schema.len(),
        });
    }
    match &model.architecture {
        Architecture::Layers(layers) => quantize_layers(model, layers, schema),
        Architecture::Trees(ensemble) => match profile.map(Profile::family) {
            Some(ModelFamily::Trees { .. }) => quantize_trees(model.features, ensemble, schema),
            _ => quantize_table(
                model.features,
                ensemble,
                schema,
                profile.and_then(Profile::table_shape),
            ),
        },
    }
}

/// The layers with the scaler folded into the first: `W (diag(s) (x - o)) + b`
/// `= (W diag(s)) x + (b - W diag(s) o)`.
fn folded(model: &FloatModel, layers: &[Dense]) -> Vec<Dense> {
    let mut out = layers.to_vec();
    if let (Some(s), Some(first)) = (&model.scaler, out.first_mut()) {
        for j in 0..first.outputs {
            let mut shift = 0.0;
            for i in 0..first.inputs {
                let w = first.weights[j * first.inputs + i] * s.scale[i];
                first.weights[j * first.inputs + i] = w;
                shift += w * s.offset[i];
            }
            first.bias[j] -= shift;
        }
    }
    out
}

fn quantize_layers(
    model: &FloatModel,
    layers: &[Dense],
    schema: &FeatureSchema,
) -> Result<Quantized, QuantizeError> {
    let layers = folded(model, layers);
    let n = model.features;
    let magnitude: Vec<f64> = (0..n)
        .map(|i| schema.magnitude(i) * (1.0 + f64::from(f32::EPSILON)))
        .collect();
    let rounding: Vec<f64> = (0..n).map(|i| schema.input_rounding(i)).collect();
    let mut r = Rounder::new();
    match layers.as_slice() {
        [only] => {
            let mut w = Vec::with_capacity(n);
            let mut bound = 0.0;
            for i in 0..n {
                let (q, d) = r.round(only.w(0, i), || format!("weight {i}"))?;
                bound += (q as f64 / SCALE).abs() * rounding[i] + d.abs() * magnitude[i];
                w.push(q);
            }
            let (b, db) = r.round(only.bias[0], || "the bias".to_string())?;
            bound += db.abs();
            Ok(Quantized {
                model: QuantizedModel::linear(&w, b)?,
                bound: Bound {
                    max_abs: inflate(bound),
                    holds_for: "every input in the declared feature ranges".into(),
                    all_inputs: true,
                },
                rounding: r.stats,
                leaf_origins: Vec::new(),
            })
        }
        [hidden, out] => {
            let h = hidden.outputs;
            if h > crate::circuits::fixed::MAX_WIDTH {
                return Err(QuantizeError::Hidden(h));
            }
            let mut w1 = vec![vec![0i64; n]; h];
            let mut b1 = vec![0i64; h];
            let mut err = vec![0.0; h];
            let mut high = vec![0.0; h];
            for j in 0..h {
                let mut upper = hidden.bias[j];
                for i in 0..n {
                    let v = hidden.w(j, i);
                    let (q, d) = r.round(v, || format!("hidden layer weight [{j}][{i}]"))?;
                    w1[j][i] = q;
                    err[j] += (q as f64 / SCALE).abs() * rounding[i] + d.abs() * magnitude[i];
                    // The float model reads float32(x), which may sit a float32 rounding
                    // outside the declared range.
                    let f = &schema.features()[i];
                    upper += (v * f.min).max(v * f.max)
                        + v.abs() * schema.magnitude(i) * f64::from(f32::EPSILON);
                }
                let (q, d) = r.round(hidden.bias[j], || format!("hidden layer bias [{j}]"))?;
                b1[j] = q;
                err[j] += d.abs();
                high[j] = upper.max(0.0);
            }
            let mut w2 = vec![0i64; h];
            let mut bound = 0.0;
            for j in 0..h {
                let (q, d) = r.round(out.w(0, j), || format!("output layer weight [{j}]"))?;
                w2[j] = q;
                bound += (q as f64 / SCALE).abs() * err[j] + d.abs() * high[j];
            }
            let (b2, db2) = r.round(out.bias[0], || "the output bias".to_string())?;
            bound += db2.abs();
            Ok(Quantized {
                model: QuantizedModel::mlp(&w1, &b1, &w2, b2)?,
                bound: Bound {
                    max_abs: inflate(bound),
                    holds_for: "every input in the declared feature ranges".into(),
                    all_inputs: true,
                },
                rounding: r.stats,
                leaf_origins: Vec::new(),
            })
        }
        deep if deep.len() <= MAX_HIDDEN_LAYERS + 1 => {
            quantize_deep(n, deep, schema, &magnitude, &rounding, r)
        }
        more => Err(QuantizeError::Depth(more.len().saturating_sub(1))),
    }
}

/// The largest real activation a hidden layer may hand to the next one: the feature bound
/// `2^15`, since the circuit rescales activations to the feature scale between layers.
const ACTIVATION_LIMIT: f64 = 32768.0;

/// Two or three hidden layers (`layers` holds them and the output layer), in the flat layout of
/// [`QuantizedModel::layered`]. The bound chains the one-layer argument: per unit of hidden layer
/// `k`, with `E_i` and `M_i` its inputs' error and largest float magnitude, the pre-activation is
/// off by at most `|db_j| + sum_i (|W^_ji| E_i + |dW_ji| M_i)`; ReLU keeps that; rescaling to the
/// next layer's input adds at most `2^-17`; and the next layer's `M` is the interval upper bound of
/// the float activations. The output layer then adds its own terms as for one hidden layer.
fn quantize_deep(
    n: usize,
    layers: &[Dense],
    schema: &FeatureSchema,
    magnitude: &[f64],
    rounding: &[f64],
    mut r: Rounder,
) -> Result<Quantized, QuantizeError> {
    let Some((out, hidden)) = layers.split_last() else {
        return Err(QuantizeError::Depth(0));
    };
    let mut flat = Vec::new();
    let mut widths = Vec::with_capacity(hidden.len());
    // The current layer's inputs: their error and largest float magnitude, and the float range
    // (the schema's for the features, `[0, high]` for activations).
    let mut err_in: Vec<f64> = rounding.to_vec();
    let mut mag_in: Vec<f64> = magnitude.to_vec();
    let mut range_in: Vec<(f64, f64)> = schema.features().iter().map(|f| (f.min, f.max)).collect();
    let mut slack_in: Vec<f64> = (0..n)
        .map(|i| schema.magnitude(i) * f64::from(f32::EPSILON))
        .collect();
    let mut peak: f64 = 0.0;
    for (k, layer) in hidden.iter().enumerate() {
        let h = layer.outputs;
        if h > crate::circuits::fixed::MAX_WIDTH {
            return Err(QuantizeError::Hidden(h));
        }
        let inputs = layer.inputs;
        let mut biases = Vec::with_capacity(h);
        let mut err = vec![0.0; h];
        let mut high = vec![0.0; h];
        for j in 0..h {
            let mut upper = layer.bias[j];
            for i in 0..inputs {
                let v = layer.w(j, i);
                let (q, d) = r.round(v, || format!("hidden layer {} weight [{j}][{i}]", k + 1))?;
                flat.push(q);
                err[j] += (q as f64 / SCALE).abs() * err_in[i] + d.abs() * mag_in[i];
                let (lo, hi) = range_in[i];
                // The float model reads float32(x), which may sit a float32 rounding outside
                // the declared range (no slack for activations, which the float model computes).
                upper += (v * lo).max(v * hi) + v.abs() * slack_in[i];
            }
            let (q, d) = r.round(layer.bias[j], || {
                format!("hidden layer {} bias [{j}]", k + 1)
            })?;
            biases.push(q);
            err[j] += d.abs();
            high[j] = upper.max(0.0);
        }
        flat.extend(biases);
        if k + 1 < hidden.len() {
            for (e, &top) in err.iter_mut().zip(&high) {
                peak = peak.max(top + *e);
                // Rounding the activation to the next layer's scale.
                *e += 1.0 / (2.0 * SCALE);
            }
        }
        widths.push(h);
        range_in = high.iter().map(|&u| (0.0, u)).collect();
        slack_in = vec![0.0; h];
        mag_in = high;
        err_in = err;
    }
    let mut bound = 0.0;
    for j in 0..out.inputs {
        let (q, d) = r.round(out.w(0, j), || format!("output layer weight [{j}]"))?;
        flat.push(q);
        bound += (q as f64 / SCALE).abs() * err_in[j] + d.abs() * mag_in[j];
    }
    let (b, db) = r.round(out.bias[0], || "the output bias".to_string())?;
    flat.push(b);
    bound += db.abs();
    // An activation below 32768 - 2^-17 rounds to below 32768, which the next layer takes.
    let (holds_for, all_inputs) = if peak + 1.0 / (2.0 * SCALE) < ACTIVATION_LIMIT {
        (
            "every input in the declared feature ranges".to_string(),
            true,
        )
    } else {
        (
            format!(
                "inputs on which every hidden activation that feeds another layer stays below {ACTIVATION_LIMIT} (interval arithmetic over the declared ranges only bounds them by {peak:.1}); the circuit refuses the other inputs"
            ),
            false,
        )
    };
    Ok(Quantized {
        model: QuantizedModel::layered(n, &widths, flat)?,
        bound: Bound {
            max_abs: inflate(bound),
            holds_for,
            all_inputs,
        },
        rounding: r.stats,
        leaf_origins: Vec::new(),
    })
}

/// A padded tree's arrays, in the circuits' breadth-first layout.
struct Padded {
    indices: Vec<i64>,
    thresholds: Vec<i64>,
    leaves: Vec<f64>,
    origins: Vec<usize>,
}

/// The circuit threshold and the (left, right) children of a branch: the path goes left when
/// `x^ <= threshold`. `None` as the threshold when no representable feature goes left.
fn split(threshold: f32, rule: Rule, yes: usize, no: usize) -> (Option<i64>, usize, usize) {
    let t = f64::from(threshold) * SCALE;
    // x <= t  <=>  x^ <= floor(t);  x < t  <=>  x^ <= ceil(t) - 1, for x^ = x 2^16 an integer.
    let (limit, left, right) = match rule {
        Rule::Leq => (t.floor(), yes, no),
        Rule::Lt => (t.ceil() - 1.0, yes, no),
        Rule::Gte => (t.ceil() - 1.0, no, yes),
        Rule::Gt => (t.floor(), no, yes),
    };
    if limit < FEATURE_MIN as f64 {
        (None, left, right)
    } else {
        // Every representable feature is at most FEATURE_MAX, so clamping keeps the comparison.
        (Some(limit.min(FEATURE_MAX as f64) as i64), left, right)
    }
}

fn pad(tree: &Tree, depth: usize, features: usize) -> Padded {
    let internal = (1usize << depth) - 1;
    let mut slots = vec![0usize; 2 * internal + 1];
    let mut out = Padded {
        indices: Vec::with_capacity(internal),
        thresholds: Vec::with_capacity(internal),
        leaves: Vec::with_capacity(internal + 1),
        origins: Vec::with_capacity(internal + 1),
    };
    let none = features as i64;
    for p in 0..internal {
        let k = slots[p];
        let (index, threshold, left, right) = match &tree.nodes[k] {
            Node::Branch {
                feature,
                threshold,
                rule,
                yes,
                no,
            } => match split(*threshold, *rule, *yes, *no) {
                (Some(t), left, right) => (*feature as i64, t, left, right),
                // No representable input goes left: read the constant 0 against -1.
                (None, _, right) => (none, -1, right, right),
            },
            // A leaf above the last level: read the constant 0 against 0 (left), and repeat the
            // leaf on both sides.
            Node::Leaf { .. } => (none, 0, k, k),
        };
        out.indices.push(index);
        out.thresholds.push(threshold);
        slots[2 * p + 1] = left;
        slots[2 * p + 2] = right;
    }
    for &k in &slots[internal..] {
        // The padded depth is the deepest tree's, so the last level holds leaves only.
        let value = match &tree.nodes[k] {
            Node::Leaf { value } => *value,
            Node::Branch { .. } => 0.0,
        };
        out.leaves.push(value);
        out.origins.push(k);
    }
    out
}

/// One tree as a node table: internal codes in discovery order, leaf codes after them.
struct TableTree {
    splits: Vec<(usize, i64, Child, Child)>,
    leaves: Vec<(usize, f64)>,
    depth: usize,
}

#[derive(Clone, Copy)]
enum Child {
    Internal(usize),
    Leaf(usize),
}

/// Which side of its parent a node is written to.
#[derive(Clone, Copy)]
enum Side {
    Left,
    Right,
    /// Both sides: the parent's left side is never taken.
    Both,
}

/// The reachable part of `tree` as splits and leaves: a branch no representable input takes to
/// the left becomes a split on the constant 0 against -1 whose both sides are the right child;
/// a tree with no split becomes one split on the constant 0 whose both sides are its leaf.
fn table_tree(tree: &Tree) -> TableTree {
    let none = usize::MAX;
    let mut out = TableTree {
        splits: Vec::new(),
        leaves: Vec::new(),
        depth: 1,
    };
    if let Some(Node::Leaf { value }) = tree.nodes.first() {
        out.leaves.push((0, *value));
        out.splits.push((none, 0, Child::Leaf(0), Child::Leaf(0)));
        return out;
    }
    // (float node, its depth, its parent split and side).
    type Pending = (usize, usize, Option<(usize, Side)>);
    let mut stack: Vec<Pending> = vec![(0, 0, None)];
    while let Some((k, d, parent)) = stack.pop() {
        let child = match &tree.nodes[k] {
            Node::Leaf { value } => {
                out.leaves.push((k, *value));
                out.depth = out.depth.max(d);
                Child::Leaf(out.leaves.len() - 1)
            }
            Node::Branch {
                feature,
                threshold,
                rule,
                yes,
                no,
            } => {
                let at = out.splits.len();
                match split(*threshold, *rule, *yes, *no) {
                    (Some(t), left, right) => {
                        out.splits
                            .push((*feature, t, Child::Leaf(0), Child::Leaf(0)));
                        stack.push((right, d + 1, Some((at, Side::Right))));
                        stack.push((left, d + 1, Some((at, Side::Left))));
                    }
                    (None, _, right) => {
                        out.splits.push((none, -1, Child::Leaf(0), Child::Leaf(0)));
                        stack.push((right, d + 1, Some((at, Side::Both))));
                    }
                }
                Child::Internal(at)
            }
        };
        if let Some((p, side)) = parent {
            match side {
                Side::Left => out.splits[p].2 = child,
                Side::Right => out.splits[p].3 = child,
                Side::Both => {
                    out.splits[p].2 = child;
                    out.splits[p].3 = child;
                }
            }
        }
    }
    out
}

fn quantize_table(
    features: usize,
    ensemble: &Ensemble,
    schema: &FeatureSchema,
    target: Option<TableShape>,
) -> Result<Quantized, QuantizeError> {
    let mut trees: Vec<TableTree> = Vec::with_capacity(ensemble.trees.len());
    let mut split_features = vec![false; features];
    for (t, tree) in ensemble.trees.iter().enumerate() {
        for node in &tree.nodes {
            if let Node::Branch { threshold, .. } = node {
                if threshold.is_nan() {
                    return Err(QuantizeError::NotFinite(format!("a threshold of tree {t}")));
                }
            }
        }
        let table = table_tree(tree);
        for &(f, ..) in &table.splits {
            if f < features {
                split_features[f] = true;
            }
        }
        trees.push(table);
    }
    // A split whose left side is never taken has one child, so a tree may need more internal
    // slots than its leaves minus one: size the table by both.
    let leaves = trees
        .iter()
        .map(|t| t.leaves.len().max(t.splits.len() + 1))
        .max()
        .unwrap_or(0)
        .max(2);
    let depth = trees.iter().map(|t| t.depth).max().unwrap_or(0).max(1);
    let count = trees.len();
    let refuse = |fits: String| QuantizeError::Table {
        trees: count,
        leaves,
        depth,
        fits,
    };
    let shape = match target {
        Some(s) if s.trees() >= count && s.leaves() >= leaves && s.depth() >= depth => s,
        Some(s) => {
            return Err(refuse(format!(
                "the profile's circuit holds {} trees of at most {} leaves and depth {}",
                s.trees(),
                s.leaves(),
                s.depth()
            )))
        }
        None => TableShape::new(count, leaves, depth)
            .filter(|_| features <= tree_table::MAX_TABLE_FEATURES)
            .ok_or_else(|| {
                refuse(format!(
                    "the circuits prove 1 to {MAX_TABLE_TREES} trees of at most {MAX_TABLE_LEAVES} leaves and depth at most {MAX_TABLE_DEPTH} on at most {} features",
                    tree_table::MAX_TABLE_FEATURES
                ))
            })?,
    };
    let cb = shape.code_bits();
    let internal = shape.internal();
    let code = |c: Child| match c {
        Child::Internal(k) => k,
        Child::Leaf(j) => internal + j,
    };
    // Padding: a split on the constant 0 whose both sides are leaf 0 (value 0 in padding trees).
    let pad = Split {
        feature: features,
        threshold: 0,
        left: internal,
        right: internal,
    }
    .word(cb);
    let mut words = Vec::with_capacity(shape.trees() * internal);
    let mut values = Vec::with_capacity(shape.trees() * shape.leaves());
    let mut origins = Vec::with_capacity(count);
    let mut r = Rounder::new();
    let mut bound = 0.0;
    for t in 0..shape.trees() {
        let Some(tree) = trees.get(t) else {
            words.extend(std::iter::repeat_n(pad, internal));
            values.extend(std::iter::repeat_n(0, shape.leaves()));
            continue;
        };
        for &(f, threshold, left, right) in &tree.splits {
            let feature = if f == usize::MAX { features } else { f };
            words.push(
                Split {
                    feature,
                    threshold,
                    left: code(left),
                    right: code(right),
                }
                .word(cb),
            );
        }
        words.extend(std::iter::repeat_n(pad, internal - tree.splits.len()));
        let mut worst: f64 = 0.0;
        let mut slots = Vec::with_capacity(shape.leaves());
        for (slot, &(k, v)) in tree.leaves.iter().enumerate() {
            let (q, d) = r.round(v, || format!("leaf value {slot} of tree {t}"))?;
            values.push(q);
            slots.push(k);
            worst = worst.max(d.abs());
        }
        values.extend(std::iter::repeat_n(0, shape.leaves() - tree.leaves.len()));
        slots.extend(std::iter::repeat_n(
            usize::MAX,
            shape.leaves() - tree.leaves.len(),
        ));
        origins.push(slots);
        bound += worst;
    }
    let (base, db) = r.round(ensemble.base, || "the base value".to_string())?;
    bound += db.abs();
    let flags = tree_table::flags_for(features, shape, &words);
    let mut flat = words;
    flat.extend(values);
    flat.push(base);
    flat.extend(flags);
    let (holds_for, all_inputs) = tree_bound_scope(schema, &split_features);
    Ok(Quantized {
        model: QuantizedModel::tree_table(features, shape, flat)?,
        bound: Bound {
            max_abs: inflate(bound),
            holds_for,
            all_inputs,
        },
        rounding: r.stats,
        leaf_origins: origins,
    })
}

/// For which inputs a tree ensemble's bound holds (see `docs/models.md`).
fn tree_bound_scope(schema: &FeatureSchema, split_features: &[bool]) -> (String, bool) {
    let fractional: Vec<String> = schema
        .features()
        .iter()
        .zip(split_features)
        .filter(|(f, &split)| split && !f.integer)
        .map(|(f, _)| format!("`{}`", f.name))
        .collect();
    if fractional.is_empty() {
        (
            "every input in the declared feature ranges (every feature a split reads is a whole number, which the fixed point and float32 hold exactly)".to_string(),
            true,
        )
    } else {
        (
            format!(
                "inputs whose non-integer split features ({}) each lie on the 2^-16 grid in float32, or farther than their input rounding (2^-17 plus float32 rounding) from every threshold on them; closer inputs can take the other branch, which this bound does not cover",
                fractional.join(", ")
            ),
            false,
        )
    }
}

fn quantize_trees(
    features: usize,
    ensemble: &Ensemble,
    schema: &FeatureSchema,
) -> Result<Quantized, QuantizeError> {
    let depth = ensemble
        .trees
        .iter()
        .map(Tree::depth)
        .max()
        .unwrap_or(0)
        .max(1);
    let shape = TreeShape::new(ensemble.trees.len(), depth).ok_or(QuantizeError::Ensemble {
        trees: ensemble.trees.len(),
        depth,
    })?;
    let mut indices = Vec::new();
    let mut thresholds = Vec::new();
    let mut leaves = Vec::new();
    let mut origins = Vec::new();
    let mut r = Rounder::new();
    let mut bound = 0.0;
    let mut split_features = vec![false; features];
    for (t, tree) in ensemble.trees.iter().enumerate() {
        for node in &tree.nodes {
            if let Node::Branch {
                feature, threshold, ..
            } = node
            {
                if threshold.is_nan() {
                    return Err(QuantizeError::NotFinite(format!("a threshold of tree {t}")));
                }
                split_features[*feature] = true;
            }
        }
        let padded = pad(tree, depth, features);
        let mut worst: f64 = 0.0;
        for (slot, &v) in padded.leaves.iter().enumerate() {
            let (q, d) = r.round(v, || format!("leaf value {slot} of tree {t}"))?;
            leaves.push(q);
            worst = worst.max(d.abs());
        }
        bound += worst;
        indices.extend(padded.indices);
        thresholds.extend(padded.thresholds);
        origins.push(padded.origins);
    }
    let (base, db) = r.round(ensemble.base, || "the base value".to_string())?;
    bound += db.abs();
    let mut flat = indices;
    flat.extend(thresholds);
    flat.extend(leaves);
    flat.push(base);
    let flags = crate::circuits::trees::flags_for(features, shape, &flat);
    flat.extend(flags);
    let (holds_for, all_inputs) = tree_bound_scope(schema, &split_features);
    Ok(Quantized {
        model: QuantizedModel::trees(features, shape, flat)?,
        bound: Bound {
            max_abs: inflate(bound),
            holds_for,
            all_inputs,
        },
        rounding: r.stats,
        leaf_origins: origins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::float::ScoreKind;
    use crate::model::schema::FeatureSpec;

    fn dense(inputs: usize, weights: &[f64], bias: &[f64]) -> Dense {
        Dense {
            inputs,
            outputs: bias.len(),
            weights: weights.to_vec(),
            bias: bias.to_vec(),
        }
    }

    fn schema(ranges: &[(f64, f64)]) -> FeatureSchema {
        FeatureSchema::new(
            ranges
                .iter()
                .enumerate()
                .map(|(i, &(min, max))| FeatureSpec {
                    name: format!("x{i}"),
                    min,
                    max,
                    integer: false,
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn trees_become_node_tables_of_their_own_shape() {
        let leaf = |value| Node::Leaf { value };
        // Tree 0: a stump with no split. Tree 1: a branch no input takes left, then a real split
        // (x1 < 0.5) three levels down the right side.
        let trees = vec![
            Tree {
                nodes: vec![leaf(0.25)],
            },
            Tree {
                nodes: vec![
                    Node::Branch {
                        feature: 0,
                        threshold: -1e12,
                        rule: Rule::Leq,
                        yes: 1,
                        no: 2,
                    },
                    leaf(9.0),
                    Node::Branch {
                        feature: 1,
                        threshold: 0.5,
                        rule: Rule::Lt,
                        yes: 3,
                        no: 4,
                    },
                    leaf(-1.0),
                    leaf(2.0),
                ],
            },
        ];
        let model = FloatModel {
            features: 2,
            scaler: None,
            architecture: Architecture::Trees(Ensemble { trees, base: 0.5 }),
            score_kind: ScoreKind::Raw,
        };
        let q = quantize(&model, &schema(&[(-10.0, 10.0), (0.0, 1.0)])).unwrap();
        let shape = q.model.table_shape().unwrap();
        // The unreachable left leaf is dropped; the pass-through split takes a slot: 3 slots of
        // leaves (2 used), depth 2.
        assert_eq!((shape.trees(), shape.leaves(), shape.depth()), (2, 3, 2));
        assert_eq!(
            q.model.feature_weight_mass()[..2],
            [0u64.into(), 1u64.into()]
        );
        let one = 1i64 << 16;
        for (x1, expected) in [(0, 0.25 + 0.5 - 1.0), (one / 2, 0.25 + 0.5 + 2.0)] {
            let x = crate::circuits::Features::new(vec![0, x1]).unwrap();
            assert_eq!(q.model.score(&x).unwrap().logit(), expected);
        }
        // A profile with a shallower table refuses it, naming both shapes.
        let profile = Profile::from_name("trees-2-2l3h1-d4-s2-p1-m1-gate").unwrap();
        let e = quantize_for(
            &model,
            &schema(&[(-10.0, 10.0), (0.0, 1.0)]),
            Some(&profile),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("depth up to 2") && e.contains("depth 1"), "{e}");
    }

    fn deep(first: [f64; 4]) -> FloatModel {
        FloatModel {
            features: 2,
            scaler: None,
            architecture: Architecture::Layers(vec![
                dense(2, &first, &[0.0123, -0.0456]),
                dense(2, &[0.7019, -0.3333, 1.4021, 0.1111], &[0.0999, -0.0001]),
                dense(2, &[0.577_215_66, -1.234_567_89], &[-0.2]),
            ]),
            score_kind: ScoreKind::LogOdds,
        }
    }

    #[test]
    fn the_deep_bound_holds_on_random_inputs_in_range() {
        let ranges = [(-3.0, 5.0), (0.0, 200.0)];
        let model = deep([0.314_159, -0.271_828, 0.111_111, 0.058_823_5]);
        let q = quantize(&model, &schema(&ranges)).unwrap();
        assert!(q.bound.all_inputs, "{}", q.bound.holds_for);
        assert_eq!(q.model.hidden_layers(), &[2, 2]);
        let mut state = 0x1234_5678_u64;
        let mut unit = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut worst: f64 = 0.0;
        for _ in 0..2000 {
            let row: Vec<f64> = ranges
                .iter()
                .map(|&(lo, hi)| lo + (hi - lo) * unit())
                .collect();
            let x = crate::model::certificate::quantize_row(&row).unwrap();
            let err = (q.model.score(&x).unwrap().logit() - model.score(&row)).abs();
            worst = worst.max(err);
            assert!(
                err <= q.bound.max_abs,
                "{row:?}: {err} > {}",
                q.bound.max_abs
            );
        }
        assert!(worst > 0.0);
    }

    #[test]
    fn a_deep_bound_is_conditional_when_an_activation_may_be_refused() {
        // The first unit reaches 2 * 20000 = 40000 in real terms, beyond the 32768 the second
        // layer takes.
        let model = deep([2.0, 0.0, 0.5, 1.0]);
        let q = quantize(&model, &schema(&[(0.0, 20000.0), (-1.0, 1.0)])).unwrap();
        assert!(!q.bound.all_inputs);
        assert!(q.bound.holds_for.contains("32768"), "{}", q.bound.holds_for);
        let x = crate::model::certificate::quantize_row(&[19000.0, 0.0]).unwrap();
        assert!(matches!(
            q.model.score(&x),
            Err(ModelError::Activation {
                layer: 1,
                unit: 0,
                ..
            })
        ));
        let x = crate::model::certificate::quantize_row(&[100.0, 0.0]).unwrap();
        assert!(q.model.score(&x).is_ok());
    }

    #[test]
    fn splits_are_exact_on_the_grid() {
        // x <= 0.3 with x on the grid: the integer threshold is floor(0.3 * 2^16).
        let t = 0.3f32;
        let (limit, l, r) = split(t, Rule::Leq, 1, 2);
        let limit = limit.unwrap();
        assert_eq!((l, r), (1, 2));
        for q in limit - 3..limit + 3 {
            let x = q as f64 / SCALE;
            assert_eq!((x as f32) <= t, q <= limit, "x = {x}");
        }
        // x > 0.3 goes to `yes`, which is now the right child.
        let (g, l, r) = split(t, Rule::Gt, 1, 2);
        assert_eq!((g, l, r), (Some(limit), 2, 1));
        let (lt, _, _) = split(1.0, Rule::Lt, 1, 2);
        assert_eq!(lt, Some(65535));
        assert_eq!(split(f32::INFINITY, Rule::Leq, 1, 2).0, Some(FEATURE_MAX));
        assert_eq!(split(f32::NEG_INFINITY, Rule::Leq, 1, 2).0, None);
    }
}
