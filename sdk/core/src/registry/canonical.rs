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

/// Domain tag of a signed snapshot.
pub const SNAPSHOT_DOMAIN: &[u8] = b"govproof/snapshot/v1\0";
/// Domain tag of a signed root document.
pub const ROOT_DOMAIN: &[u8] = b"govproof/root/v1\0";
/// Domain tag of an entry's digest (the name of its file).
pub const ENTRY_DOMAIN: &[u8] = b"govproof/entry/v1\0";
/// Domain tag of an entry's meta digest (the leaf element covering what the leaf does not hold).
pub const ENTRY_META_DOMAIN: &[u8] = b"govproof/entry-meta/v1\0";

/// Writes a JSON value (any `Serialize` value: a `serde_json::Value`, a document type) in
/// canonical form, by [`crate::json::canonical`].
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    crate::json::canonical(&crate::json::value(value))
}

/// `domain || canonical_json(value)`: the bytes a signature or digest covers.
pub(crate) fn tagged<T: Serialize>(domain: &[u8], value: &T) -> Vec<u8> {
    let mut out = domain.to_vec();
    out.extend_from_slice(&canonical_json(value));
    out
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
        let again: serde_json::Value = serde_json::from_slice(&once).unwrap();
        assert_eq!(canonical_json(&again), once);
    }

    #[test]
    fn tags_prefix_the_encoding() {
        let bytes = tagged(SNAPSHOT_DOMAIN, &json!({"v": 1}));
        assert_eq!(bytes, b"govproof/snapshot/v1\0{\"v\":1}".to_vec());
    }
}
