//! Stable sorting with one sorting routine for every element type.
//!
//! `slice::sort_by` is monomorphized for each element type and comparison: about 4.5 KB of code
//! each in the browser verifier, a dozen times over. These functions sort a list of indices
//! instead (one instance, comparing through a `dyn` closure) and then move the elements into
//! place along the permutation's cycles, so each element type costs only that small loop. The
//! result is exactly `slice::sort_by`'s: stable, O(n log n) comparisons, O(n) moves. For the
//! short lists core sorts (checks, diagnostics, scopes, keys, registry entries) the extra
//! indirection does not matter.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`, as `v.sort_by(cmp)` does.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let mut order = {
        let items: &[T] = v;
        sorted_order(items.len(), &mut |a, b| cmp(&items[a], &items[b]))
    };
    // `order[i]` is the index of the element that belongs at `i`; follow each cycle once.
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start || from == at {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

/// Sorts `v` stably by `key`, as `v.sort_by_key(key)` does.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably, as `v.sort()` does.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The indices `0..n` in the stable order `cmp` gives them: the one instance of the sort.
#[inline(never)]
fn sorted_order(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same result as the standard library's stable sort, ties included.
        #[test]
        fn sorts_as_the_standard_library_does(v in proptest::collection::vec((0u8..6, any::<u16>()), 0..200)) {
            let mut ours = v.clone();
            sort_by_key(&mut ours, |x| x.0);
            let mut std_sorted = v.clone();
            std_sorted.sort_by_key(|x| x.0);
            prop_assert_eq!(&ours, &std_sorted);
            let mut ours = v.clone();
            sort(&mut ours);
            let mut std_sorted = v;
            std_sorted.sort();
            prop_assert_eq!(ours, std_sorted);
        }
    }

    #[test]
    fn sorts_owned_values_in_place() {
        let mut v: Vec<String> = ["d", "a", "c", "b", "a"].map(String::from).to_vec();
        sort(&mut v);
        assert_eq!(v, ["a", "a", "b", "c", "d"]);
        let mut empty: Vec<String> = Vec::new();
        sort(&mut empty);
        assert!(empty.is_empty());
    }
}
