//! The near-miss hints' word similarity against the `strsim` crate as the oracle: the same
//! Damerau–Levenshtein distance and, bit for bit, the same Jaro–Winkler similarity on random
//! words (short alphabets, so that matches, transpositions and shared prefixes are common).

use govproof_core::policy::similar;
use proptest::prelude::*;

fn agree(a: &str, b: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        similar::damerau_levenshtein(a, b),
        strsim::damerau_levenshtein(a, b)
    );
    prop_assert_eq!(
        similar::jaro_winkler(a, b).to_bits(),
        strsim::jaro_winkler(a, b).to_bits()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn distances_and_similarities_are_strsims(a in "[abcé_-]{0,9}", b in "[abcé_-]{0,9}") {
        agree(&a, &b)?;
    }

    #[test]
    fn longer_words_agree_too(a in "[a-f_]{0,24}", b in "[a-f_]{0,24}") {
        agree(&a, &b)?;
    }
}

#[test]
fn known_values() {
    assert_eq!(similar::damerau_levenshtein("ca", "abc"), 2);
    assert_eq!(similar::damerau_levenshtein("valid_to", "valid_until"), 4);
    assert_eq!(similar::damerau_levenshtein("", "abc"), 3);
    assert!((similar::jaro_winkler("cheeseburger", "cheese fries") - 0.866).abs() < 0.001);
    assert_eq!(similar::jaro_winkler("", ""), 1.0);
}
