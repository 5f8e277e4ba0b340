//! The canonical encoding that signatures and digests cover.
//!
//! A registry document is encoded as **canonical JSON**: object keys sorted by their UTF-8 bytes, no
//! whitespace, strings escaped as JSON requires and nothing more (`"`, `\` and control characters;
//! everything else is written as UTF-8), integers in plain decimal. Times are RFC 3339 UTC strings,
//! field elements `0x` + 64 lowercase hex digits, keys and digests lowercase hex, so documents hold
//! no floating-point numbers (a quantization certificate, kept opaque, may: those are written in
//! the shortest form that reads back to the same number).
//!
//! What gets signed or hashed is a **domain tag**, a NUL byte, then the canonical JSON:
//! `govproof/snapshot/v1\0{...}`. The tag names the kind of document, so a signature on one kind can
//! never be replayed as a signature on another. The same bytes are produced by, for example,
//! Python's `json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` on the
//! document's JSON, which lets anyone re-derive what a key holder signed.

use serde::Serialize;
use serde_json::Value;

/// Domain tag of a signed snapshot.
pub const SNAPSHOT_DOMAIN: &[u8] = b"govproof/snapshot/v1\0";
/// Domain tag of a signed root document.
pub const ROOT_DOMAIN: &[u8] = b"govproof/root/v1\0";
/// Domain tag of an entry's digest (the name of its file).
pub const ENTRY_DOMAIN: &[u8] = b"govproof/entry/v1\0";
/// Domain tag of an entry's meta digest (the leaf element covering what the leaf does not hold).
pub const ENTRY_META_DOMAIN: &[u8] = b"govproof/entry-meta/v1\0";

/// Writes a JSON value in canonical form.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(value, &mut out);
    out
}

/// The canonical JSON of one of the registry's own document types.
///
/// Registry documents serialize only strings, integers, booleans, arrays and string-keyed objects,
/// so turning them into a JSON value cannot fail.
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let value = serde_json::to_value(value)
        .unwrap_or_else(|e| unreachable!("registry documents always serialize to JSON: {e}"));
    canonical_json(&value)
}

/// `domain || canonical_json(value)`: the bytes a signature or digest covers.
pub(crate) fn tagged<T: Serialize>(domain: &[u8], value: &T) -> Vec<u8> {
    let mut out = domain.to_vec();
    out.extend_from_slice(&encode(value));
    out
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // serde_json escapes exactly `"`, `\` and control characters, and writes the rest as UTF-8.
    let quoted = serde_json::to_string(s)
        .unwrap_or_else(|e| unreachable!("a string always serializes: {e}"));
    out.extend_from_slice(quoted.as_bytes());
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sorted here, whatever order the map keeps (serde_json may preserve insertion order).
            let mut keys: Vec<&String> = map.keys().collect();
            crate::sort::sort_by(&mut keys, |a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_value(&map[key], out);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_sorted_no_whitespace_minimal_escapes() {
        let v = json!({"b": [1, {"z": null, "a": true}], "a": "é\"\\\n", "A": -3});
        assert_eq!(
            String::from_utf8(canonical_json(&v)).unwrap(),
            r#"{"A":-3,"a":"é\"\\\n","b":[1,{"a":true,"z":null}]}"#
        );
    }

    #[test]
    fn encoding_is_stable_under_reparsing() {
        let v = json!({"x": 0.1, "y": 1e300, "k": [3, 2, 1], "s": "\u{1f}"});
        let once = canonical_json(&v);
        let again: Value = serde_json::from_slice(&once).unwrap();
        assert_eq!(canonical_json(&again), once);
    }

    #[test]
    fn tags_prefix_the_encoding() {
        let bytes = tagged(SNAPSHOT_DOMAIN, &json!({"v": 1}));
        assert_eq!(bytes, b"govproof/snapshot/v1\0{\"v\":1}".to_vec());
    }
}
