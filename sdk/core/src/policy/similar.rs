//! How alike two words are, for the ``did you mean `...`?`` hints: the Damerau–Levenshtein
//! distance and the Jaro–Winkler similarity, both over characters, exactly as the `strsim` crate
//! computes them (it is the oracle of `tests/similar.rs`, bit for bit).
//!
//! Why not the crate: it was one more dependency of the browser verifier for two small
//! algorithms (about 3 KB, `docs/browser.md`).

/// The Damerau–Levenshtein distance (insertions, deletions, substitutions and transpositions of
/// adjacent characters, with no restriction on editing a transposed pair again), by the
/// Lowrance–Wagner recurrence.
pub fn damerau_levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let far = n + m;
    // `d[(i + 1) * w + j + 1]` is the distance of `a[..i]` and `b[..j]`; row and column 0 stand
    // for "-1" and hold `far`.
    let w = m + 2;
    let mut d = vec![far; (n + 2) * w];
    for i in 0..=n {
        d[(i + 1) * w + 1] = i;
    }
    for j in 0..=m {
        d[w + j + 1] = j;
    }
    // The last row (1-based) in which each character of `a` was seen.
    let mut last_row: Vec<(char, usize)> = Vec::new();
    for i in 1..=n {
        let mut last_col = 0;
        for j in 1..=m {
            let k = last_row
                .iter()
                .find(|(c, _)| *c == b[j - 1])
                .map_or(0, |&(_, r)| r);
            let l = last_col;
            let cost = if a[i - 1] == b[j - 1] {
                last_col = j;
                0
            } else {
                1
            };
            let transposed = d[k * w + l] + (i - k - 1) + 1 + (j - l - 1);
            d[(i + 1) * w + j + 1] = (d[i * w + j] + cost)
                .min(d[(i + 1) * w + j] + 1)
                .min(d[i * w + j + 1] + 1)
                .min(transposed);
        }
        match last_row.iter_mut().find(|(c, _)| *c == a[i - 1]) {
            Some(entry) => entry.1 = i,
            None => last_row.push((a[i - 1], i)),
        }
    }
    d[(n + 1) * w + m + 1]
}

/// The Jaro similarity: characters match within half the longer length, less one; half the
/// matched characters out of order are transpositions.
fn jaro(a: &[char], b: &[char]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let range = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_matched = vec![false; a.len()];
    let mut b_matched = vec![false; b.len()];
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = b.len().min(i + range + 1);
        for j in lo..hi {
            if !b_matched[j] && *ca == b[j] {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let in_b = b
        .iter()
        .zip(&b_matched)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c);
    let in_a = a
        .iter()
        .zip(&a_matched)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c);
    let transpositions = in_a.zip(in_b).filter(|(x, y)| x != y).count() / 2;
    ((matches as f64 / a.len() as f64)
        + (matches as f64 / b.len() as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

/// The Jaro–Winkler similarity: above 0.7, the Jaro similarity raised by a tenth of the gap to 1
/// for each of the first (up to) four characters the words share.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let sim = jaro(&a, &b);
    if sim > 0.7 {
        let prefix = a.iter().take(4).zip(&b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}
