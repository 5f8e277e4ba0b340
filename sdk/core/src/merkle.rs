//! Fixed-depth binary Merkle trees over Poseidon2, mirrored by the circuits' membership check.
//!
//! A tree of depth `d` has `2^d` leaf slots. Leaves are placed left to right from slot 0; empty
//! slots hold the zero element. Inner nodes are [`hash_node`]`(left, right)`, so the root of an
//! empty subtree of height `h` is a fixed value (`zero_hashes()[h]`), which lets a sparse tree be
//! built in time linear in the number of leaves.
//!
//! A [`MerklePath`] holds the leaf index and the `d` siblings from the leaf upwards; bit `i` of
//! the index says whether the node at height `i` is a right child.

use crate::field::Field;
use crate::hash::hash_node;

/// The deepest tree supported: 2^32 leaves is far beyond any registry.
pub const MAX_DEPTH: usize = 32;

/// Why a tree or path could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The depth is zero or above [`MAX_DEPTH`].
    #[error("a merkle tree depth must be between 1 and {MAX_DEPTH}, got {0}")]
    Depth(usize),
    /// More leaves than slots.
    #[error("{leaves} leaves do not fit in a tree of depth {depth} ({} slots)", 1u64 << depth)]
    TooManyLeaves {
        /// Leaves given.
        leaves: usize,
        /// Tree depth.
        depth: usize,
    },
    /// A path was asked for a slot that holds no leaf.
    #[error("no leaf at index {index}: the tree has {leaves} leaves")]
    NoSuchLeaf {
        /// The index asked for.
        index: u64,
        /// Leaves in the tree.
        leaves: usize,
    },
}

/// The roots of empty subtrees: `zero_hashes(d)[h]` is the root of an empty subtree of height `h`,
/// for `h` in `0..=d`.
pub fn zero_hashes(depth: usize) -> Vec<Field> {
    let mut z = Vec::with_capacity(depth + 1);
    z.push(Field::zero());
    for h in 0..depth {
        z.push(hash_node(z[h], z[h]));
    }
    z
}

/// A Merkle tree with all its levels kept, so paths are cheap to read.
#[derive(Debug, Clone)]
pub struct MerkleTree {
    depth: usize,
    /// `levels[h]` holds the non-empty nodes at height `h`, left to right.
    levels: Vec<Vec<Field>>,
    zeros: Vec<Field>,
}

impl MerkleTree {
    /// Builds the tree of the given depth over `leaves` (slot `i` holds `leaves[i]`).
    pub fn new(depth: usize, leaves: Vec<Field>) -> Result<Self, MerkleError> {
        if depth == 0 || depth > MAX_DEPTH {
            return Err(MerkleError::Depth(depth));
        }
        if (leaves.len() as u128) > (1u128 << depth) {
            return Err(MerkleError::TooManyLeaves {
                leaves: leaves.len(),
                depth,
            });
        }
        let zeros = zero_hashes(depth);
        let mut levels = Vec::with_capacity(depth + 1);
        levels.push(leaves);
        for h in 0..depth {
            let below = &levels[h];
            let above: Vec<Field> = below
                .chunks(2)
                .map(|pair| hash_node(pair[0], pair.get(1).copied().unwrap_or(zeros[h])))
                .collect();
            levels.push(above);
        }
        Ok(MerkleTree {
            depth,
            levels,
            zeros,
        })
    }

    /// The tree's depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaves placed in the tree.
    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    /// Whether the tree holds no leaves.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The root: the empty-tree root when there are no leaves.
    pub fn root(&self) -> Field {
        self.levels[self.depth]
            .first()
            .copied()
            .unwrap_or(self.zeros[self.depth])
    }

    /// The authentication path of the leaf at `index`.
    pub fn path(&self, index: u64) -> Result<MerklePath, MerkleError> {
        let leaves = self.len();
        if index >= leaves as u64 {
            return Err(MerkleError::NoSuchLeaf { index, leaves });
        }
        let mut siblings = Vec::with_capacity(self.depth);
        let mut i = index as usize;
        for h in 0..self.depth {
            let sibling = self.levels[h].get(i ^ 1).copied().unwrap_or(self.zeros[h]);
            siblings.push(sibling);
            i >>= 1;
        }
        Ok(MerklePath { index, siblings })
    }
}

/// A leaf's position and its siblings from the leaf up to (not including) the root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MerklePath {
    /// The leaf slot; bit `h` is 1 when the node at height `h` is a right child.
    pub index: u64,
    /// One sibling per level, leaf level first.
    pub siblings: Vec<Field>,
}

impl crate::json::FromJson for MerklePath {
    fn from_json(node: &crate::json::Node) -> Result<Self, crate::json::Error> {
        let o = node.object(
            "a Merkle path with `index` and `siblings`",
            &["index", "siblings"],
        )?;
        Ok(MerklePath {
            index: o.required("index")?,
            siblings: o.required("siblings")?,
        })
    }
}
crate::deserialize_by_reader!(MerklePath);

impl MerklePath {
    /// The root this path leads to from `leaf`.
    pub fn root_from(&self, leaf: Field) -> Field {
        let mut node = leaf;
        for (h, sibling) in self.siblings.iter().enumerate() {
            node = if (self.index >> h) & 1 == 1 {
                hash_node(*sibling, node)
            } else {
                hash_node(node, *sibling)
            };
        }
        node
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Field> {
        (1..=n).map(|v| Field::from(v * 7 + 1)).collect()
    }

    #[test]
    fn every_path_leads_to_the_root() {
        for n in [1u64, 2, 3, 5, 8, 13] {
            let tree = MerkleTree::new(4, leaves(n)).unwrap();
            for i in 0..n {
                let p = tree.path(i).unwrap();
                assert_eq!(p.siblings.len(), 4);
                assert_eq!(
                    p.root_from(leaves(n)[i as usize]),
                    tree.root(),
                    "n={n} i={i}"
                );
            }
        }
    }

    #[test]
    fn sparse_build_equals_full_build() {
        let mut full = leaves(5);
        full.resize(16, Field::zero());
        let sparse = MerkleTree::new(4, leaves(5)).unwrap();
        let dense = MerkleTree::new(4, full).unwrap();
        assert_eq!(sparse.root(), dense.root());
        assert_eq!(
            MerkleTree::new(4, vec![]).unwrap().root(),
            zero_hashes(4)[4]
        );
    }

    #[test]
    fn wrong_leaf_or_index_gives_another_root() {
        let tree = MerkleTree::new(3, leaves(6)).unwrap();
        let mut p = tree.path(2).unwrap();
        assert_ne!(p.root_from(Field::from(999u64)), tree.root());
        p.index = 3;
        assert_ne!(p.root_from(leaves(6)[2]), tree.root());
    }

    #[test]
    fn limits_are_refused() {
        assert_eq!(
            MerkleTree::new(0, vec![]).unwrap_err(),
            MerkleError::Depth(0)
        );
        assert!(matches!(
            MerkleTree::new(2, leaves(5)),
            Err(MerkleError::TooManyLeaves { .. })
        ));
        let tree = MerkleTree::new(2, leaves(3)).unwrap();
        assert!(matches!(tree.path(3), Err(MerkleError::NoSuchLeaf { .. })));
    }
}
