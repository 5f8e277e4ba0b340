//! Reading bundles is strict and total: the valid fixtures round-trip byte for byte, every
//! strictness rule has an example with its message, and no input (random bytes, truncations,
//! random edits of a valid bundle) makes the reader or the verifier's format check panic.

#![allow(clippy::unwrap_used)]

use crate::bundle_support;

use bundle_support::*;
use govproof::bundle::{Bundle, BundleError};
use proptest::prelude::*;

fn valid() -> String {
    std::fs::read_to_string(fixtures().join("valid/band/bundle.json")).unwrap()
}

#[test]
fn valid_bundles_round_trip_byte_for_byte() {
    for rel in [
        "valid/band/bundle.json",
        "valid/gate-with-policy/bundle.json",
    ] {
        let text = std::fs::read_to_string(fixtures().join(rel)).unwrap();
        let b = Bundle::from_json(text.as_bytes()).unwrap();
        assert_eq!(b.to_json_pretty(), text, "{rel}");
    }
}

type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;

fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Bundle, BundleError> {
    let mut v: serde_json::Value = serde_json::from_str(&valid()).unwrap();
    edit(&mut v);
    Bundle::from_json(serde_json::to_string(&v).unwrap().as_bytes())
}

#[test]
fn every_strictness_rule_has_its_message() {
    use serde_json::json;
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|v| v["extra"] = json!(1)), "unknown field `extra`"),
        (
            Box::new(|v| v["version"] = json!(2)),
            "format version 2 is not supported",
        ),
        (
            Box::new(|v| v["format"] = json!("other")),
            "not a govproof bundle",
        ),
        (
            Box::new(|v| v["version"] = json!("1")),
            "`version` must be a whole number",
        ),
        (
            Box::new(|v| v["decision"]["time"] = json!("2026-04-15T11:30:00+02:00")),
            "2026-04-15T11:30:00+02:00",
        ),
        (Box::new(|v| v["input_commitment"] = json!("0x1")), "0x1"),
        (
            Box::new(|v| v["circuit"]["vk_hash"] = json!("AB".repeat(32))),
            "is not a digest",
        ),
        (
            Box::new(|v| v["circuit"]["proof_target"] = json!("starknet")),
            "unknown variant `starknet`",
        ),
        (
            Box::new(|v| v["decision"]["id"] = json!("has space")),
            "is not a decision id",
        ),
        (
            Box::new(|v| v["proof"] = json!("0x00")),
            "lowercase hex digits",
        ),
        (
            Box::new(|v| {
                v["public_inputs"]
                    .as_object_mut()
                    .unwrap()
                    .remove("decision_id")
                    .map(|_| ())
                    .unwrap()
            }),
            "missing field `decision_id`",
        ),
        (
            Box::new(|v| v["registry"]["snapshot"]["signed"]["tree_depth"] = json!(16)),
            "tree depth must be 20",
        ),
    ];
    for (edit, want) in cases {
        let e = edited(edit).unwrap_err().to_string();
        assert!(e.contains(want), "`{e}` should mention `{want}`");
        assert!(!e.contains('\n'), "one line: {e}");
    }
}

/// `text` with `insert` written right after the first occurrence of `after`.
fn inserted(text: &str, after: &str, insert: &str) -> String {
    let at = text.find(after).unwrap() + after.len();
    format!("{}{insert}{}", &text[..at], &text[at..])
}

#[test]
fn a_key_written_twice_is_refused_wherever_it_is() {
    // A document that two JSON readers could read differently (first or last value wins) is
    // not a document: refused at the top level, inside the signed snapshot, and inside the
    // public inputs, naming the key and its line.
    let text = valid();
    for (after, insert, key) in [
        ("{\n", "  \"proof\": \"00\",\n", "proof"),
        (
            "\"signed\": {\n",
            "        \"entry_count\": 1,\n",
            "entry_count",
        ),
        (
            "\"public_inputs\": {\n",
            "    \"decision_id\": \"0x0000000000000000000000000000000000000000000000000000000000000000\",\n",
            "decision_id",
        ),
    ] {
        let twice = inserted(&text, after, insert);
        let e = Bundle::from_json(twice.as_bytes()).unwrap_err().to_string();
        assert!(e.contains(&format!("duplicate field `{key}`")), "{e}");
        assert!(e.contains(" at line "), "{e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The reader against serde_json as an oracle, on random edits of a valid bundle: whatever
    /// one reads the other reads to the same value, and it refuses only what serde_json refuses
    /// or what holds a key twice.
    #[test]
    fn the_reader_agrees_with_serde_json_on_edited_documents(edits in proptest::collection::vec((0usize..32_000, any::<u8>()), 1..4)) {
        let mut text = valid().into_bytes();
        for (at, byte) in edits {
            let at = at.min(text.len() - 1);
            text[at] = byte;
        }
        let ours = govproof::json::parse(&text);
        let theirs = serde_json::from_slice::<serde_json::Value>(&text);
        match (ours, theirs) {
            (Ok(node), Ok(value)) => {
                prop_assert_eq!(<serde_json::Value as govproof::json::FromJson>::from_json(&node).unwrap(), value);
            }
            (Err(_), Err(_)) => {}
            (Ok(_), Err(e)) => prop_assert!(false, "read what serde_json refuses: {}", e),
            (Err(e), Ok(_)) => prop_assert!(e.message().starts_with("duplicate field"), "refused what serde_json reads: {}", e),
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = Bundle::from_json(&bytes);
    }

    #[test]
    fn truncations_and_byte_edits_never_panic_and_are_refused(cut in 0usize..32_000, at in 0usize..32_000, byte in any::<u8>()) {
        let text = valid().into_bytes();
        let cut = cut.min(text.len() - 2); // the last byte is a newline
        prop_assert!(Bundle::from_json(&text[..cut]).is_err());
        let mut edited = text.clone();
        let at = at.min(edited.len() - 1);
        edited[at] = byte;
        // An edit may keep the bundle readable (e.g. a hex digit of the proof), never panics.
        let _ = Bundle::from_json(&edited);
    }
}
