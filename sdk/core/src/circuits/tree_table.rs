//! Tree ensembles by their real shape, bit-exact with `circuits/lib/tree_table`: a node table read
//! along each tree's path, so a circuit's cost grows with the nodes a model has, not with
//! `2^depth` (leaf-wise LightGBM trees, XGBoost, random forests).
//!
//! An ensemble of `T` trees on `N` features, each with at most `L` leaves (`I = L - 1` internal
//! slots), walked `D` steps. A child is a code in `[0, C)`, `C = 2L - 1`: `c < I` is internal slot
//! `c`, `c >= I` is leaf `c - I`; the root is internal slot 0. An internal node is one word
//! ([`Split::word`]): `f + 2^9 left + 2^(9 + CB) right + 2^(9 + 2 CB) (t + 2^31)`, with `CB` the
//! bits of a code ([`TableShape::code_bits`]), `f` in `[0, N]` (`N` reads the constant 0) and `t`
//! the threshold at the feature scale. The flat layout (`W = T I + T L + 1 + N` values): the
//! words (tree after tree), the leaf values (weight scale), the base value, one flag per feature.
//!
//! The walk goes left at a node when `x[f] <= t` and stays on a leaf once it reaches one; after
//! `D` steps it must be on a leaf. The score is `(base + sum of reached leaves) * 2^32` (scale
//! `2^48`). Every split on the path must read a flagged feature (or the constant 0).

use crate::field::Field;
use crate::hash::{hash, Domain};

use super::fixed::{
    pack_signed, Score, FEATURE_MAX, FEATURE_MIN, WEIGHTS_PER_FIELD, WEIGHT_BITS, WEIGHT_MAX,
    WEIGHT_MIN,
};

/// The most trees an ensemble may have.
pub const MAX_TABLE_TREES: usize = 4096;
/// The most leaves one tree may have (child codes then fit in 11 bits).
pub const MAX_TABLE_LEAVES: usize = 1024;
/// The deepest a tree may be (the walk's steps).
pub const MAX_TABLE_DEPTH: usize = 64;
/// The most features a table ensemble may read (feature indices are `u8` in the circuit, and
/// index `N` is the constant 0).
pub const MAX_TABLE_FEATURES: usize = 255;
/// Bits of a feature index in a node word.
pub const INDEX_BITS: u32 = 9;
/// Node words packed per field element of the commitment (4 x 63 = 252 bits).
pub const WORDS_PER_FIELD: usize = 4;
/// Flags packed per field element of the commitment (one bit each).
pub const FLAGS_PER_FIELD: usize = 250;

/// The shape of a table ensemble: trees, leaves per tree (at most), walk depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableShape {
    trees: usize,
    leaves: usize,
    depth: usize,
}

/// One internal node: split on `feature` at `threshold`, children by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Feature index, in `[0, N]` (`N` reads the constant 0).
    pub feature: usize,
    /// Threshold at the feature scale: go left when `x <= threshold`.
    pub threshold: i64,
    /// Code of the left child.
    pub left: usize,
    /// Code of the right child.
    pub right: usize,
}

/// Why a table ensemble is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// The shape is outside what the circuits support.
    #[error("a tree table needs 1 to {MAX_TABLE_TREES} trees of 2 to {MAX_TABLE_LEAVES} leaves, depth 1 to {MAX_TABLE_DEPTH} (at most the leaves minus one) on 1 to {MAX_TABLE_FEATURES} features, got {trees} trees of up to {leaves} leaves and depth {depth} on {features} features")]
    Shape {
        /// Trees.
        trees: usize,
        /// Leaves per tree.
        leaves: usize,
        /// Depth.
        depth: usize,
        /// Features.
        features: usize,
    },
    /// The flat layout has the wrong length.
    #[error("a table of {trees} trees of {leaves} leaves on {features} features has {expected} values, got {given}")]
    Count {
        /// Trees.
        trees: usize,
        /// Leaves.
        leaves: usize,
        /// Features.
        features: usize,
        /// Values the shape needs.
        expected: usize,
        /// Values given.
        given: usize,
    },
    /// A node word that does not decode.
    #[error("node {index} is not a valid node word (feature at most {features}, child codes below {codes})")]
    Word {
        /// Its position in the flat layout.
        index: usize,
        /// Features.
        features: usize,
        /// Codes per tree.
        codes: usize,
    },
    /// A path longer than the shape's depth.
    #[error("tree {tree} is deeper than {depth} along some path")]
    Deep {
        /// The tree.
        tree: usize,
        /// The shape's depth.
        depth: usize,
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

impl TableShape {
    /// A shape: `trees` in `1..=4096`, `leaves` in `2..=1024`, `depth` in `1..=64` and below
    /// `leaves` (a tree of `L` leaves is at most `L - 1` deep).
    pub fn new(trees: usize, leaves: usize, depth: usize) -> Option<Self> {
        ((1..=MAX_TABLE_TREES).contains(&trees)
            && (2..=MAX_TABLE_LEAVES).contains(&leaves)
            && (1..=MAX_TABLE_DEPTH.min(leaves - 1)).contains(&depth))
        .then_some(TableShape {
            trees,
            leaves,
            depth,
        })
    }

    /// Number of trees.
    pub fn trees(&self) -> usize {
        self.trees
    }

    /// Leaves per tree (at most).
    pub fn leaves(&self) -> usize {
        self.leaves
    }

    /// Steps of the walk (the deepest path).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Internal node slots per tree: `L - 1`.
    pub fn internal(&self) -> usize {
        self.leaves - 1
    }

    /// Child codes per tree: `2L - 1`.
    pub fn codes(&self) -> usize {
        2 * self.leaves - 1
    }

    /// Bits of a child code: the least `CB` with `2^CB >= 2L - 1`.
    pub fn code_bits(&self) -> u32 {
        usize::BITS - (self.codes() - 1).leading_zeros()
    }

    /// Bits of a node word: `41 + 2 CB`.
    pub fn word_bits(&self) -> u32 {
        INDEX_BITS + 32 + 2 * self.code_bits()
    }

    /// Length of the flat layout on `features` features: `T I + T L + 1 + N`.
    pub fn weight_count(&self, features: usize) -> usize {
        self.trees * self.internal() + self.trees * self.leaves + 1 + features
    }

    /// Where the leaf values start in the flat layout.
    pub fn leaves_index(&self) -> usize {
        self.trees * self.internal()
    }

    /// Where the base value sits in the flat layout; the flags follow it.
    pub fn base_index(&self) -> usize {
        self.leaves_index() + self.trees * self.leaves
    }

    /// Length of the flat layout with node values (for proven reasons, `circuits/lib/tree_reasons`):
    /// the plain layout, then one value per internal slot, `T I + T L + 1 + N + T I`.
    pub fn explained_weight_count(&self, features: usize) -> usize {
        self.weight_count(features) + self.trees * self.internal()
    }
}

impl Split {
    /// The node's word for code bits `cb`.
    pub fn word(&self, cb: u32) -> i64 {
        let threshold = (self.threshold + (1 << 31)) as u64;
        (self.feature as u64
            | (self.left as u64) << INDEX_BITS
            | (self.right as u64) << (INDEX_BITS + cb)
            | threshold << (INDEX_BITS + 2 * cb)) as i64
    }

    /// The node a word stands for, `None` when it is negative or too wide.
    pub fn from_word(word: i64, cb: u32) -> Option<Self> {
        let v = u64::try_from(word).ok()?;
        if v >> (INDEX_BITS + 32 + 2 * cb) != 0 {
            return None;
        }
        let mask = (1u64 << cb) - 1;
        Some(Split {
            feature: (v & 511) as usize,
            left: ((v >> INDEX_BITS) & mask) as usize,
            right: ((v >> (INDEX_BITS + cb)) & mask) as usize,
            threshold: ((v >> (INDEX_BITS + 2 * cb)) as i64) - (1 << 31),
        })
    }
}

fn splits(shape: TableShape, flat: &[i64]) -> impl Iterator<Item = Split> + '_ {
    let cb = shape.code_bits();
    flat[..shape.leaves_index()].iter().map(move |&w| {
        Split::from_word(w, cb).unwrap_or_else(|| unreachable!("check decoded every word"))
    })
}

/// Checks a flat ensemble against its shape and every bound (see the module docs): every word
/// decodes, every leaf and the base are within the weight bound, every flag is 0 or 1, every path
/// from a root reaches a leaf within the depth, and every split a path can reach reads a flagged
/// feature.
pub fn check(features: usize, shape: TableShape, flat: &[i64]) -> Result<(), TableError> {
    if features == 0 || features > MAX_TABLE_FEATURES {
        return Err(TableError::Shape {
            trees: shape.trees,
            leaves: shape.leaves,
            depth: shape.depth,
            features,
        });
    }
    let expected = shape.weight_count(features);
    if flat.len() != expected {
        return Err(TableError::Count {
            trees: shape.trees,
            leaves: shape.leaves,
            features,
            expected,
            given: flat.len(),
        });
    }
    let cb = shape.code_bits();
    let codes = shape.codes();
    for (index, &w) in flat[..shape.leaves_index()].iter().enumerate() {
        match Split::from_word(w, cb) {
            Some(s) if s.feature <= features && s.left < codes && s.right < codes => {}
            _ => {
                return Err(TableError::Word {
                    index,
                    features,
                    codes,
                })
            }
        }
    }
    let flags = shape.base_index() + 1;
    for (index, &value) in flat.iter().enumerate().skip(shape.leaves_index()) {
        let (what, min, max) = if index < flags {
            ("leaf value", WEIGHT_MIN, WEIGHT_MAX)
        } else {
            ("feature flag", 0, 1)
        };
        if value < min || value > max {
            return Err(TableError::Value {
                what,
                index,
                value,
                min,
                max,
            });
        }
    }
    let nodes: Vec<Split> = splits(shape, flat).collect();
    let internal = shape.internal();
    for t in 0..shape.trees {
        // Depth-first over the reachable nodes: (code, steps taken to reach it).
        let mut stack = vec![(0usize, 0usize)];
        while let Some((code, steps)) = stack.pop() {
            if code >= internal {
                continue;
            }
            if steps == shape.depth {
                return Err(TableError::Deep {
                    tree: t,
                    depth: shape.depth,
                });
            }
            let s = nodes[t * internal + code];
            if s.feature < features && flat[flags + s.feature] != 1 {
                return Err(TableError::Unflagged(s.feature));
            }
            stack.push((s.left, steps + 1));
            stack.push((s.right, steps + 1));
        }
    }
    Ok(())
}

/// The flags of the features the reachable splits read (what import writes), from the words.
pub fn flags_for(features: usize, shape: TableShape, words: &[i64]) -> Vec<i64> {
    let cb = shape.code_bits();
    let mut flags = vec![0; features];
    for s in words.iter().filter_map(|&w| Split::from_word(w, cb)) {
        if s.feature < features {
            flags[s.feature] = 1;
        }
    }
    flags
}

/// The ensemble's commitment (twin of `tree_table::commitment`): Poseidon2 ([`Domain::Weights`])
/// over the node words packed 4 to an element (`41 + 2 CB` bits each), the flags packed 250 to an
/// element (one bit each), then the leaf values and base packed 10 to an element (as `v + 2^24`
/// in 25 bits). The caller has checked the values ([`check`]).
pub fn commitment(features: usize, shape: TableShape, flat: &[i64]) -> Field {
    let step = Field::from_u128(1u128 << shape.word_bits());
    let mut fields: Vec<Field> = flat[..shape.leaves_index()]
        .chunks(WORDS_PER_FIELD)
        .map(|chunk| {
            chunk
                .iter()
                .rev()
                .fold(Field::zero(), |acc, &w| acc * step + Field::from(w as u64))
        })
        .collect();
    let flags = shape.base_index() + 1;
    fields.extend(
        flat[flags..flags + features]
            .chunks(FLAGS_PER_FIELD)
            .map(|chunk| {
                chunk.iter().rev().fold(Field::zero(), |acc, &f| {
                    acc * Field::from(2u64) + Field::from(f as u64)
                })
            }),
    );
    fields.extend(pack_signed(
        &flat[shape.leaves_index()..=shape.base_index()],
        WEIGHT_BITS,
        WEIGHTS_PER_FIELD,
    ));
    hash(Domain::Weights, &fields)
}

/// The leaf index (in `0..L`) each tree's walk ends on, for features `x` (scale `2^16`). The
/// caller has checked the ensemble, so every walk ends on a leaf.
pub fn leaf_indices(features: usize, shape: TableShape, flat: &[i64], x: &[i64]) -> Vec<usize> {
    let nodes: Vec<Split> = splits(shape, flat).collect();
    let internal = shape.internal();
    (0..shape.trees)
        .map(|t| {
            let mut code = 0usize;
            for _ in 0..shape.depth {
                if code >= internal {
                    break;
                }
                let s = nodes[t * internal + code];
                let value = if s.feature == features {
                    0
                } else {
                    x[s.feature]
                };
                code = if value > s.threshold { s.right } else { s.left };
            }
            code - internal
        })
        .collect()
}

/// The score the circuit computes (scale `2^48`): `(base + sum of reached leaves) * 2^32`. The
/// caller has checked the ensemble and that `x` has `features` values within the feature bound.
pub fn score(features: usize, shape: TableShape, flat: &[i64], x: &[i64]) -> Score {
    let leaves = &flat[shape.leaves_index()..shape.base_index()];
    let mut acc = i128::from(flat[shape.base_index()]);
    for (t, leaf) in leaf_indices(features, shape, flat, x)
        .into_iter()
        .enumerate()
    {
        acc += i128::from(leaves[t * shape.leaves + leaf]);
    }
    // |acc| <= (4096 + 1) * 2^24 < 2^37, so the score is below 2^69 in magnitude.
    Score::new(acc << 32).unwrap_or_else(|| unreachable!("tree scores stay below 2^69"))
}

/// Bounds on the score (in score units, `2^48`) of every input whose fixed-point features lie in
/// `[lo[i], hi[i]]`: per tree the least and greatest leaf a path can reach when a split whose
/// outcome the box decides follows only that side, summed with the base. Sound (every score lies
/// within), possibly wider than what inputs reach. The caller has checked the ensemble and the
/// box's length.
pub fn score_bounds(
    features: usize,
    shape: TableShape,
    flat: &[i64],
    lo: &[i64],
    hi: &[i64],
) -> (i128, i128) {
    let nodes: Vec<Split> = splits(shape, flat).collect();
    let internal = shape.internal();
    let leaves = &flat[shape.leaves_index()..shape.base_index()];
    let base = i128::from(flat[shape.base_index()]);
    let (mut min, mut max) = (base, base);
    for t in 0..shape.trees {
        let (mut tmin, mut tmax) = (i128::MAX, i128::MIN);
        let mut stack = vec![0usize];
        let mut seen = vec![false; shape.codes()];
        while let Some(code) = stack.pop() {
            if std::mem::replace(&mut seen[code], true) {
                continue;
            }
            if code >= internal {
                let v = i128::from(leaves[t * shape.leaves + code - internal]);
                (tmin, tmax) = (tmin.min(v), tmax.max(v));
                continue;
            }
            let s = nodes[t * internal + code];
            let (l, h) = if s.feature == features {
                (0, 0)
            } else {
                (lo[s.feature], hi[s.feature])
            };
            if l <= s.threshold {
                stack.push(s.left);
            }
            if h > s.threshold {
                stack.push(s.right);
            }
        }
        min += tmin;
        max += tmax;
    }
    (min << 32, max << 32)
}

/// Per feature, its flag, then a final zero (twin of `tree_table::feature_weight_mass`).
pub fn feature_weight_mass(features: usize, shape: TableShape, flat: &[i64]) -> Vec<Field> {
    let flags = shape.base_index() + 1;
    let mut mass: Vec<Field> = flat[flags..flags + features]
        .iter()
        .map(|&f| Field::from(f as u64))
        .collect();
    mass.push(Field::zero());
    mass
}

/// Checks a flat ensemble with node values (see [`TableShape::explained_weight_count`]): the plain
/// part as [`check`], and every node value within the weight bound.
pub fn check_explained(features: usize, shape: TableShape, flat: &[i64]) -> Result<(), TableError> {
    let plain = shape.weight_count(features);
    let expected = shape.explained_weight_count(features);
    if flat.len() != expected {
        return Err(TableError::Count {
            trees: shape.trees,
            leaves: shape.leaves,
            features,
            expected,
            given: flat.len(),
        });
    }
    check(features, shape, &flat[..plain])?;
    for (index, &value) in flat.iter().enumerate().skip(plain) {
        if !(WEIGHT_MIN..=WEIGHT_MAX).contains(&value) {
            return Err(TableError::Value {
                what: "node value",
                index,
                value,
                min: WEIGHT_MIN,
                max: WEIGHT_MAX,
            });
        }
    }
    Ok(())
}

/// Bits of a node entry with its value (`circuits/lib/tree_reasons`): the word's `41 + 2 CB`
/// bits and the value plus `2^24` in 25 bits.
pub fn entry_bits(shape: TableShape) -> u32 {
    shape.word_bits() + WEIGHT_BITS
}

/// Where the value sits in a node entry: above the feature index and the two child codes
/// (`9 + 2 CB` bits), below the threshold, which is on top so that the entry's own range check
/// bounds it.
pub fn entry_value_shift(shape: TableShape) -> u32 {
    INDEX_BITS + 2 * shape.code_bits()
}

/// Node entries packed per field element of the explained commitment: 3 of at most 84 bits
/// (`CB <= 9`), else 2.
pub fn entries_per_field(shape: TableShape) -> usize {
    if shape.code_bits() <= 9 {
        3
    } else {
        2
    }
}

/// Each internal slot's entry ([`entry_bits`] bits): its word's feature index and child codes,
/// then its node value plus `2^24` ([`entry_value_shift`]), then its word's threshold on top. The
/// caller has checked the values ([`check_explained`]).
fn entries(features: usize, shape: TableShape, flat: &[i64]) -> Vec<u128> {
    let at = entry_value_shift(shape);
    let low = (1u128 << at) - 1;
    let values = &flat[shape.weight_count(features)..];
    flat[..shape.leaves_index()]
        .iter()
        .zip(values)
        .map(|(&w, &v)| {
            let w = w as u128;
            (w & low) | ((v - WEIGHT_MIN) as u128) << at | (w >> at) << (at + WEIGHT_BITS)
        })
        .collect()
}

/// The weights a circuit with proven reasons takes (`tree_reasons`): the plain layout with each
/// internal slot's word replaced by its entry, so `shape.weight_count(features)` fields; the node
/// values travel inside the entries. The caller has checked the values ([`check_explained`]).
pub fn entry_fields(features: usize, shape: TableShape, flat: &[i64]) -> Vec<Field> {
    entries(features, shape, flat)
        .into_iter()
        .map(Field::from_u128)
        .chain(
            flat[shape.leaves_index()..shape.weight_count(features)]
                .iter()
                .map(|&w| Field::from_i128(w.into())),
        )
        .collect()
}

/// The commitment to an ensemble with node values (twin of `tree_reasons::commitment`):
/// Poseidon2 ([`Domain::Weights`]) over the node entries (each word with its node value plus
/// `2^24` on top, [`entry_bits`] bits) packed [`entries_per_field`] to an element, the flags
/// packed 250 to an element, then the leaf values and base packed 10 to an element. The caller
/// has checked the values ([`check_explained`]).
pub fn commitment_explained(features: usize, shape: TableShape, flat: &[i64]) -> Field {
    let step = Field::from_u128(1u128 << entry_bits(shape));
    let mut fields: Vec<Field> = entries(features, shape, flat)
        .chunks(entries_per_field(shape))
        .map(|chunk| {
            chunk
                .iter()
                .rev()
                .fold(Field::zero(), |acc, &e| acc * step + Field::from_u128(e))
        })
        .collect();
    let flags = shape.base_index() + 1;
    fields.extend(
        flat[flags..flags + features]
            .chunks(FLAGS_PER_FIELD)
            .map(|chunk| {
                chunk.iter().rev().fold(Field::zero(), |acc, &f| {
                    acc * Field::from(2u64) + Field::from(f as u64)
                })
            }),
    );
    fields.extend(pack_signed(
        &flat[shape.leaves_index()..=shape.base_index()],
        WEIGHT_BITS,
        WEIGHTS_PER_FIELD,
    ));
    hash(Domain::Weights, &fields)
}

/// The value of child code `code` of tree `t`: its node value, or its leaf value for a leaf code.
fn slot_value(features: usize, shape: TableShape, flat: &[i64], t: usize, code: usize) -> i64 {
    let internal = shape.internal();
    if code < internal {
        flat[shape.weight_count(features) + t * internal + code]
    } else {
        flat[shape.leaves_index() + t * shape.leaves + code - internal]
    }
}

/// Every feature's path contribution on `x` (twin of `tree_reasons::score_and_contributions`, at
/// the weight scale `2^16`): along each tree's walk, the step from a node to its child credits the
/// child's value minus the node's to the feature the node splits on. The sum telescopes, so
/// `base + sum of root values + sum of contributions` is exactly the ensemble's score (divided by
/// `2^32`). The caller has checked the ensemble ([`check_explained`]) and `x`.
pub fn contributions(features: usize, shape: TableShape, flat: &[i64], x: &[i64]) -> Vec<i128> {
    let nodes: Vec<Split> = splits(shape, flat).collect();
    let internal = shape.internal();
    let mut out = vec![0i128; features + 1];
    for t in 0..shape.trees {
        let mut code = 0usize;
        let mut value = slot_value(features, shape, flat, t, 0);
        for _ in 0..shape.depth {
            if code >= internal {
                break;
            }
            let s = nodes[t * internal + code];
            let v = if s.feature == features {
                0
            } else {
                x[s.feature]
            };
            code = if v > s.threshold { s.right } else { s.left };
            let next = slot_value(features, shape, flat, t, code);
            out[s.feature] += i128::from(next - value);
            value = next;
        }
    }
    out.truncate(features);
    out
}

/// The sum of the trees' root values (the ensemble's expected value before the base, weight
/// scale): with the base and the contributions it makes up the score exactly.
pub fn root_values(features: usize, shape: TableShape, flat: &[i64]) -> i128 {
    (0..shape.trees)
        .map(|t| i128::from(slot_value(features, shape, flat, t, 0)))
        .sum()
}

/// Each internal slot's expected value over `rows` (fixed-point inputs), to append to a checked
/// plain ensemble `flat`: the mean, rounded to the nearest integer (halves away from zero), of the
/// leaf values the rows that pass through the node reach. A node no row passes through gets the
/// mean of its children's values (so its value is still a convex mix of its leaves), and an
/// unused slot 0. Every value lies between the least and the greatest leaf value, so within the
/// weight bound.
pub fn expected_node_values(
    features: usize,
    shape: TableShape,
    flat: &[i64],
    rows: &[Vec<i64>],
) -> Vec<i64> {
    let nodes: Vec<Split> = splits(shape, flat).collect();
    let internal = shape.internal();
    let leaves = &flat[shape.leaves_index()..shape.base_index()];
    // Per internal slot: (sum of reached leaf values, rows).
    let mut sums = vec![(0i128, 0i128); shape.trees * internal];
    for x in rows {
        for t in 0..shape.trees {
            let mut path = Vec::with_capacity(shape.depth);
            let mut code = 0usize;
            for _ in 0..shape.depth {
                if code >= internal {
                    break;
                }
                path.push(code);
                let s = nodes[t * internal + code];
                let v = if s.feature == features {
                    0
                } else {
                    x[s.feature]
                };
                code = if v > s.threshold { s.right } else { s.left };
            }
            let leaf = i128::from(leaves[t * shape.leaves + code - internal]);
            for c in path {
                let e = &mut sums[t * internal + c];
                e.0 += leaf;
                e.1 += 1;
            }
        }
    }
    let mut out = vec![0i64; shape.trees * internal];
    for t in 0..shape.trees {
        // Post-order over the reachable internal slots, children before parents.
        let mut order = Vec::new();
        let mut stack = vec![0usize];
        while let Some(code) = stack.pop() {
            if code >= internal {
                continue;
            }
            order.push(code);
            let s = nodes[t * internal + code];
            stack.push(s.left);
            stack.push(s.right);
        }
        for &code in order.iter().rev() {
            let (sum, count) = sums[t * internal + code];
            out[t * internal + code] = if count > 0 {
                round_div(sum, count)
            } else {
                let s = nodes[t * internal + code];
                let child = |c: usize| {
                    if c < internal {
                        i128::from(out[t * internal + c])
                    } else {
                        i128::from(leaves[t * shape.leaves + c - internal])
                    }
                };
                round_div(child(s.left) + child(s.right), 2)
            };
        }
    }
    out
}

/// `a / b` rounded to the nearest integer, halves away from zero (`b > 0`, the result within
/// `i64` because it is a mean of `i64` values).
fn round_div(a: i128, b: i128) -> i64 {
    let q = (2 * a.abs() + b) / (2 * b);
    (if a < 0 { -q } else { q }) as i64
}

/// The threshold bounds a node word may hold.
pub fn threshold_range() -> (i64, i64) {
    (FEATURE_MIN, FEATURE_MAX)
}

/// The calls a table composite with proven reasons makes (node values committed with the trees,
/// `circuits/lib/tree_reasons`): commitment, feature mass, and the one walk that gives the score
/// and the contributions (its globals are [`composite_parts`]').
pub fn explained_calls() -> [&'static str; 3] {
    [
        "tree_reasons::commitment::<N, T, L, TD, CB, W>(weights)",
        "tree_reasons::feature_weight_mass::<N, T, L, TD, CB, W>(weights)",
        "tree_reasons::score_and_contributions::<N, T, L, TD, CB, W>(weights, features, weights_commitment, input_commitment)",
    ]
}

/// The extra `global`s a table composite declares, and the calls it makes (used by
/// [`super::generate`]).
pub fn composite_parts(shape: TableShape) -> (String, [&'static str; 3]) {
    let globals = format!(
        "global T: u32 = {};\nglobal L: u32 = {};\nglobal TD: u32 = {};\nglobal CB: u32 = {};\n",
        shape.trees,
        shape.leaves,
        shape.depth,
        shape.code_bits()
    );
    (
        globals,
        [
            "tree_table::commitment::<N, T, L, TD, CB, W>(weights)",
            "tree_table::feature_weight_mass::<N, T, L, TD, CB, W>(weights)",
            "tree_table::score::<N, T, L, TD, CB, W>(weights, features)",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One tree of 3 leaves on 2 features: `x0 <= 1 ? (x1 <= 0 ? 10 : 20) : 30`; base 5.
    fn small() -> (TableShape, Vec<i64>) {
        let shape = TableShape::new(1, 3, 2).unwrap();
        let cb = shape.code_bits();
        // Codes: internal 0, 1; leaves 2, 3, 4.
        let root = Split {
            feature: 0,
            threshold: 1,
            left: 1,
            right: 4,
        };
        let inner = Split {
            feature: 1,
            threshold: 0,
            left: 2,
            right: 3,
        };
        (
            shape,
            vec![root.word(cb), inner.word(cb), 10, 20, 30, 5, 1, 1],
        )
    }

    #[test]
    fn walks_by_shape() {
        let (shape, flat) = small();
        assert_eq!(shape.code_bits(), 3);
        check(2, shape, &flat).unwrap();
        assert_eq!(score(2, shape, &flat, &[1, 0]).units(), 15 << 32);
        assert_eq!(score(2, shape, &flat, &[0, 1]).units(), 25 << 32);
        assert_eq!(score(2, shape, &flat, &[2, -7]).units(), 35 << 32);
        assert_eq!(
            feature_weight_mass(2, shape, &flat),
            vec![Field::one(), Field::one(), Field::zero()]
        );
    }

    #[test]
    fn node_values_are_expected_values_and_path_contributions_add_up_to_the_score() {
        let (shape, flat) = small();
        // Rows: two reach leaf 10, one leaf 20, one leaf 30.
        let rows = vec![vec![0, 0], vec![1, -1], vec![0, 5], vec![7, 0]];
        let values = expected_node_values(2, shape, &flat, &rows);
        // Root: mean of 10, 10, 20, 30 = 17.5 -> 18; inner: mean of 10, 10, 20 = 13.33 -> 13.
        assert_eq!(values, vec![18, 13]);
        let mut explained = flat.clone();
        explained.extend(&values);
        check_explained(2, shape, &explained).unwrap();
        assert_eq!(root_values(2, shape, &explained), 18);
        for x in [[1, 0], [0, 1], [2, -7], [-3, 3]] {
            let c = contributions(2, shape, &explained, &x);
            let total = 5 + 18 + c.iter().sum::<i128>();
            assert_eq!(total << 32, score(2, shape, &flat, &x).units(), "{x:?}");
        }
        // x0 <= 1 then x1 <= 0: the root's split moves 18 -> 13, the inner one 13 -> 10.
        assert_eq!(contributions(2, shape, &explained, &[1, 0]), vec![-5, -3]);
        // A node no row reaches takes the mean of its children.
        let none = expected_node_values(2, shape, &flat, &[vec![9, 9]]);
        assert_eq!(none, vec![30, 15]);
        // The commitment binds the node values and differs from the plain one.
        let other = {
            let mut o = explained.clone();
            o[8] += 1;
            o
        };
        assert_ne!(
            commitment_explained(2, shape, &explained),
            commitment_explained(2, shape, &other)
        );
        assert_ne!(
            commitment_explained(2, shape, &explained),
            commitment(2, shape, &flat)
        );
        // The circuit's weights: each internal word's index and codes, its value plus 2^24, its
        // threshold on top; then the plain layout's leaves, base and flags.
        let fields = entry_fields(2, shape, &explained);
        assert_eq!(fields.len(), shape.weight_count(2));
        let at = entry_value_shift(shape);
        for k in 0..shape.leaves_index() {
            let value = (explained[shape.weight_count(2) + k] - WEIGHT_MIN) as u128;
            let node = splits(shape, &flat).nth(k).unwrap();
            let threshold = (node.threshold - i64::from(i32::MIN)) as u128;
            let parts = node.feature as u128
                | (node.left as u128) << INDEX_BITS
                | (node.right as u128) << (INDEX_BITS + shape.code_bits());
            assert_eq!(
                fields[k],
                Field::from_u128(parts | value << at | threshold << (at + WEIGHT_BITS))
            );
        }
        for k in shape.leaves_index()..shape.weight_count(2) {
            assert_eq!(fields[k], Field::from_i128(flat[k].into()));
        }
        let mut wide = explained.clone();
        wide[9] = WEIGHT_MAX + 1;
        assert!(matches!(
            check_explained(2, shape, &wide),
            Err(TableError::Value {
                what: "node value",
                ..
            })
        ));
        assert!(check_explained(2, shape, &flat).is_err());
    }

    #[test]
    fn score_bounds_follow_the_box() {
        let (shape, flat) = small();
        // x0 in [2, 9]: only the right leaf (30).
        assert_eq!(
            score_bounds(2, shape, &flat, &[2, -5], &[9, 5]),
            (35 << 32, 35 << 32)
        );
        // x0 in [0, 1], x1 in [-1, 1]: leaves 10 and 20.
        assert_eq!(
            score_bounds(2, shape, &flat, &[0, -1], &[1, 1]),
            (15 << 32, 25 << 32)
        );
    }

    #[test]
    fn words_round_trip() {
        for cb in [1, 6, 11] {
            let s = Split {
                feature: 256,
                threshold: FEATURE_MIN,
                left: (1 << cb) - 1,
                right: 0,
            };
            assert_eq!(Split::from_word(s.word(cb), cb), Some(s));
            let s = Split {
                threshold: FEATURE_MAX,
                ..s
            };
            assert_eq!(Split::from_word(s.word(cb), cb), Some(s));
        }
        assert_eq!(Split::from_word(-1, 6), None);
        assert_eq!(Split::from_word(1 << 53, 6), None);
    }

    #[test]
    fn bad_tables_are_refused() {
        let (shape, flat) = small();
        let mut deep = flat.clone();
        deep[1] = Split {
            feature: 1,
            threshold: 0,
            left: 1,
            right: 3,
        }
        .word(shape.code_bits());
        assert_eq!(
            check(2, shape, &deep),
            Err(TableError::Deep { tree: 0, depth: 2 })
        );
        let mut unflagged = flat.clone();
        unflagged[7] = 0;
        assert_eq!(check(2, shape, &unflagged), Err(TableError::Unflagged(1)));
        let mut wide = flat.clone();
        wide[0] = Split {
            feature: 3,
            threshold: 0,
            left: 2,
            right: 2,
        }
        .word(shape.code_bits());
        assert!(matches!(
            check(2, shape, &wide),
            Err(TableError::Word { .. })
        ));
        let mut leaf = flat.clone();
        leaf[2] = WEIGHT_MAX + 1;
        assert!(matches!(
            check(2, shape, &leaf),
            Err(TableError::Value { .. })
        ));
        assert!(check(2, shape, &flat[..7]).is_err());
        assert!(TableShape::new(1, 3, 3).is_none());
        assert!(TableShape::new(1, 1, 1).is_none());
        assert_eq!(TableShape::new(500, 31, 12).unwrap().code_bits(), 6);
    }
}
