//! govproof's JSON writer against serde_json as the oracle: on random JSON values (floats of
//! every magnitude, strings with every control character, nested arrays and objects), the
//! compact text is serde_json's byte for byte, and the canonical text is serde_json's with every
//! object's keys sorted. Signatures and policy hashes cover the canonical text, so the two must
//! never differ.

#![allow(clippy::unwrap_used)]

use govproof_core::json;
use proptest::prelude::*;
use serde_json::Value;

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<_> = m.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[\\u{0}-\\u{7f}é😀\\u{2028}]{0,12}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z_é\"\\\\\\u{1}]{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn compact_and_canonical_text_are_serde_jsons(v in value()) {
        let tree = json::to_value(&v).unwrap();
        prop_assert_eq!(json::to_string(&tree), serde_json::to_string(&v).unwrap());
        let canonical = String::from_utf8(json::canonical(&tree)).unwrap();
        prop_assert_eq!(canonical, serde_json::to_string(&sorted(&v)).unwrap());
        // And the tree serializes back through serde to the same value.
        prop_assert_eq!(serde_json::to_value(&tree).unwrap(), v);
    }
}
