//! Quantized tree ensembles (gradient-boosted trees, random forests), bit-exact with
//! `circuits/lib/tree_ensemble`.
//!
//! An ensemble of `T` trees on `N` features, each tree complete of depth `D`: `I = 2^D - 1`
//! internal nodes in breadth-first order (node `k` has children `2k + 1` and `2k + 2`) and
//! `L = 2^D` leaves. The flat layout (`W = 2 T I + T L + 1 + N` values):
//! - feature indices of the internal nodes (`T * I`, tree after tree), each in `[0, N]`; index `N`
//!   reads the constant 0 and pads shallower trees;
//! - thresholds (`T * I`), at the feature scale `2^16`, within the feature bound;
//! - leaf values (`T * L`), at the weight scale `2^16`, within the weight bound;
//! - the base value, within the weight bound;
//! - one flag per feature (0 or 1), set for every feature a node splits on: the ensemble's weight
//!   mass, which the policy's protected-feature check reads.
//!
//! At node `k` the path goes to `2k + 1` when `x[index] <= threshold`, else to `2k + 2`. The score
//! is `(base + sum of the reached leaves) * 2^32`, at the common score scale `2^48`.

use crate::field::Field;
use crate::hash::{hash, Domain};

use super::fixed::{
    pack_signed, Score, FEATURES_PER_FIELD, FEATURE_BITS, FEATURE_MAX, FEATURE_MIN, MAX_WIDTH,
    WEIGHTS_PER_FIELD, WEIGHT_BITS, WEIGHT_MAX, WEIGHT_MIN,
};

/// The most trees an ensemble may have.
pub const MAX_TREES: usize = 256;
/// The deepest a tree may be.
pub const MAX_TREE_DEPTH: usize = 8;
/// Bits of a packed feature index (indices lie in `[0, 256]`).
pub const INDEX_BITS: u32 = 9;
/// Feature indices packed into one field element of the commitment.
pub const INDICES_PER_FIELD: usize = 28;

/// The shape of an ensemble: how many trees, and their (common, padded) depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TreeShape {
    trees: usize,
    depth: usize,
}

/// Why an ensemble is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The shape is outside what the circuits support.
    #[error("a tree ensemble needs 1 to {MAX_TREES} trees of depth 1 to {MAX_TREE_DEPTH} on 1 to {MAX_WIDTH} features, got {trees} trees of depth {depth} on {features} features")]
    Shape {
        /// Trees.
        trees: usize,
        /// Depth.
        depth: usize,
        /// Features.
        features: usize,
    },
    /// The flat layout has the wrong length.
    #[error("an ensemble of {trees} trees of depth {depth} has {expected} values, got {given}")]
    Count {
        /// Trees.
        trees: usize,
        /// Depth.
        depth: usize,
        /// Values the shape needs.
        expected: usize,
        /// Values given.
        given: usize,
    },
    /// A node splits on a feature whose flag is not set.
    #[error("a node splits on feature {0}, which the ensemble does not flag")]
    Unflagged(usize),
    /// A value outside its bound.
    #[error("{what} {index} is `{value}`, outside [{min}, {max}]")]
    Value {
        /// Which kind of value.
        what: &'static str,
        /// Its position in the flat layout.
        index: usize,
        /// The value.
        value: i64,
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
}

impl TreeShape {
    /// A shape: `trees` in `1..=256`, `depth` in `1..=8`.
    pub fn new(trees: usize, depth: usize) -> Option<Self> {
        ((1..=MAX_TREES).contains(&trees) && (1..=MAX_TREE_DEPTH).contains(&depth))
            .then_some(TreeShape { trees, depth })
    }

    /// Number of trees.
    pub fn trees(&self) -> usize {
        self.trees
    }

    /// Depth of every (padded) tree.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Internal nodes per tree: `2^depth - 1`.
    pub fn internal(&self) -> usize {
        (1 << self.depth) - 1
    }

    /// Leaves per tree: `2^depth`.
    pub fn leaves(&self) -> usize {
        1 << self.depth
    }

    /// Length of the flat layout on `features` features: `2 T I + T L + 1 + N`.
    pub fn weight_count(&self, features: usize) -> usize {
        2 * self.trees * self.internal() + self.trees * self.leaves() + 1 + features
    }

    /// Where the base value sits in the flat layout; the flags follow it.
    pub fn base_index(&self) -> usize {
        2 * self.trees * self.internal() + self.trees * self.leaves()
    }
}

/// Checks a flat ensemble against its shape and every bound (see the module docs).
pub fn check(features: usize, shape: TreeShape, flat: &[i64]) -> Result<(), TreeError> {
    if features == 0 || features > MAX_WIDTH {
        return Err(TreeError::Shape {
            trees: shape.trees,
            depth: shape.depth,
            features,
        });
    }
    if flat.len() != shape.weight_count(features) {
        return Err(TreeError::Count {
            trees: shape.trees,
            depth: shape.depth,
            expected: shape.weight_count(features),
            given: flat.len(),
        });
    }
    let nodes = shape.trees * shape.internal();
    let flags = shape.base_index() + 1;
    let bounds = |index: usize| -> (&'static str, i64, i64) {
        if index < nodes {
            ("feature index", 0, features as i64)
        } else if index < 2 * nodes {
            ("threshold", FEATURE_MIN, FEATURE_MAX)
        } else if index < flags {
            ("leaf value", WEIGHT_MIN, WEIGHT_MAX)
        } else {
            ("feature flag", 0, 1)
        }
    };
    for (index, &value) in flat.iter().enumerate() {
        let (what, min, max) = bounds(index);
        if value < min || value > max {
            return Err(TreeError::Value {
                what,
                index,
                value,
                min,
                max,
            });
        }
    }
    if let Some(&f) = flat[..nodes]
        .iter()
        .find(|&&f| (f as usize) < features && flat[flags + f as usize] != 1)
    {
        return Err(TreeError::Unflagged(f as usize));
    }
    Ok(())
}

/// The flags of the features the nodes split on (what import writes), from the layout above up to
/// the base value.
pub fn flags_for(features: usize, shape: TreeShape, nodes_and_values: &[i64]) -> Vec<i64> {
    let mut flags = vec![0; features];
    for &f in &nodes_and_values[..shape.trees * shape.internal()] {
        if (f as usize) < features {
            flags[f as usize] = 1;
        }
    }
    flags
}

/// The ensemble's commitment (twin of `tree_ensemble::commitment`): Poseidon2 ([`Domain::Weights`])
/// over the feature indices and then the flags packed 28 to an element (9 bits each), the
/// thresholds packed 7 to an element (as `t + 2^31` in 32 bits) and the leaf values and base
/// packed 10 to an element (as `v + 2^24` in 25 bits). The caller has checked the values
/// ([`check`]).
pub fn commitment(shape: TreeShape, flat: &[i64]) -> Field {
    let nodes = shape.trees * shape.internal();
    let base = shape.base_index();
    let small: Vec<i64> = flat[..nodes]
        .iter()
        .chain(&flat[base + 1..])
        .copied()
        .collect();
    let mut fields: Vec<Field> = small
        .chunks(INDICES_PER_FIELD)
        .map(|chunk| {
            chunk.iter().rev().fold(Field::zero(), |acc, &f| {
                acc * Field::from(1u64 << INDEX_BITS) + Field::from(f as u64)
            })
        })
        .collect();
    fields.extend(pack_signed(
        &flat[nodes..2 * nodes],
        FEATURE_BITS,
        FEATURES_PER_FIELD,
    ));
    fields.extend(pack_signed(
        &flat[2 * nodes..=base],
        WEIGHT_BITS,
        WEIGHTS_PER_FIELD,
    ));
    hash(Domain::Weights, &fields)
}

/// The leaf index (in `0..L`) each tree's path reaches on `features` (scale `2^16`).
pub fn leaf_indices(features: usize, shape: TreeShape, flat: &[i64], x: &[i64]) -> Vec<usize> {
    let internal = shape.internal();
    let nodes = shape.trees * internal;
    (0..shape.trees)
        .map(|t| {
            let mut node = 0usize;
            for _ in 0..shape.depth {
                let at = t * internal + node;
                let f = flat[at] as usize;
                let value = if f == features { 0 } else { x[f] };
                let right = value > flat[nodes + at];
                node = 2 * node + 1 + usize::from(right);
            }
            node - internal
        })
        .collect()
}

/// The score the circuit computes (scale `2^48`): `(base + sum of reached leaves) * 2^32`. The
/// caller has checked the values and that `x` has `features` values within the feature bound.
pub fn score(features: usize, shape: TreeShape, flat: &[i64], x: &[i64]) -> Score {
    let nodes = shape.trees * shape.internal();
    let leaves = &flat[2 * nodes..];
    let mut acc = i128::from(flat[shape.base_index()]);
    for (t, leaf) in leaf_indices(features, shape, flat, x)
        .into_iter()
        .enumerate()
    {
        acc += i128::from(leaves[t * shape.leaves() + leaf]);
    }
    // |acc| <= 257 * 2^24 < 2^33, so the score is below 2^65 in magnitude.
    Score::new(acc << 32).unwrap_or_else(|| unreachable!("tree scores stay below 2^65"))
}

/// Per feature, its flag (zero only when no node splits on it), then a final zero (twin of
/// `tree_ensemble::feature_weight_mass`).
pub fn feature_weight_mass(features: usize, shape: TreeShape, flat: &[i64]) -> Vec<Field> {
    let flags = shape.base_index() + 1;
    let mut mass: Vec<Field> = flat[flags..flags + features]
        .iter()
        .map(|&f| Field::from(f as u64))
        .collect();
    mass.push(Field::zero());
    mass
}

/// The extra `global`s a trees composite declares, and the calls it makes (used by
/// [`super::generate`]).
pub fn composite_parts(shape: TreeShape) -> (String, [&'static str; 3]) {
    let globals = format!(
        "global T: u32 = {};\nglobal TD: u32 = {};\nglobal I: u32 = {};\nglobal L: u32 = {};\n",
        shape.trees,
        shape.depth,
        shape.internal(),
        shape.leaves()
    );
    (
        globals,
        [
            "tree_ensemble::commitment::<N, T, TD, I, L, W>(weights)",
            "tree_ensemble::feature_weight_mass::<N, T, TD, I, L, W>(weights)",
            "tree_ensemble::score::<N, T, TD, I, L, W>(weights, features)",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stump() -> (TreeShape, Vec<i64>) {
        // One tree of depth 1 on 2 features: x1 <= 0.5 ? -1 : 2; base 0.25.
        let shape = TreeShape::new(1, 1).unwrap();
        let one = 1 << 16;
        (shape, vec![1, one / 2, -one, 2 * one, one / 4, 0, 1])
    }

    #[test]
    fn stump_scores_and_masses() {
        let (shape, flat) = stump();
        check(2, shape, &flat).unwrap();
        let one = 1i64 << 16;
        let s = score(2, shape, &flat, &[5 * one, one / 2]);
        assert_eq!(s.logit(), -0.75, "on the threshold goes left");
        let s = score(2, shape, &flat, &[0, one / 2 + 1]);
        assert_eq!(s.logit(), 2.25);
        assert_eq!(
            feature_weight_mass(2, shape, &flat),
            vec![Field::zero(), Field::one(), Field::zero()]
        );
    }

    #[test]
    fn padding_index_reads_zero() {
        let shape = TreeShape::new(1, 1).unwrap();
        // Index 2 = no feature: 0 <= -1 is false, so the path goes right.
        let flat = vec![2, -1, 10, 20, 0, 0, 0];
        check(2, shape, &flat).unwrap();
        assert_eq!(score(2, shape, &flat, &[0, 0]).units(), 20 << 32);
        assert_eq!(feature_weight_mass(2, shape, &flat), vec![Field::zero(); 3]);
    }

    #[test]
    fn bounds_are_checked() {
        let (shape, mut flat) = stump();
        flat[0] = 3;
        assert!(matches!(
            check(2, shape, &flat),
            Err(TreeError::Value {
                what: "feature index",
                ..
            })
        ));
        let (shape, mut flat) = stump();
        flat[2] = WEIGHT_MAX + 1;
        assert!(check(2, shape, &flat).is_err());
        assert!(check(2, shape, &flat[..6]).is_err());
        let (shape, mut flat) = stump();
        flat[6] = 0;
        assert_eq!(check(2, shape, &flat), Err(TreeError::Unflagged(1)));
        flat[6] = 2;
        assert!(check(2, shape, &flat).is_err());
        assert_eq!(flags_for(2, shape, &flat), vec![0, 1]);
        assert!(TreeShape::new(0, 1).is_none());
        assert!(TreeShape::new(1, 9).is_none());
        assert_eq!(
            TreeShape::new(30, 3).unwrap().weight_count(20),
            2 * 30 * 7 + 30 * 8 + 1 + 20
        );
    }
}
