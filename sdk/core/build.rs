//! Splits the pinned keys (`src/bundle/verification_keys.json`) for embedding: the keys' bytes go
//! into `pins.bin` in `OUT_DIR` as raw bytes (each with its length, in file order), and the rest of
//! the document, with every `vk` left empty, into `pins.json`. The hex keys are most of the file:
//! embedded as bytes they take half the room (24 KB less in the browser verifier).
//! `bundle::keys::pinned` puts them back, and a unit test checks that the result equals the file
//! read as it is. A file this cannot split (not JSON, a key not in lowercase hex) is embedded whole
//! with an empty `pins.bin`, so that reading it fails at run time with the error it always gave.

use std::path::PathBuf;

const SOURCE: &str = "src/bundle/verification_keys.json";

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let text = std::fs::read_to_string(SOURCE).unwrap_or_default();
    let (json, keys) = split(&text).unwrap_or_else(|| (text.clone(), Vec::new()));
    std::fs::write(out.join("pins.json"), json).expect("OUT_DIR is writable");
    std::fs::write(out.join("pins.bin"), keys).expect("OUT_DIR is writable");
}

fn split(text: &str) -> Option<(String, Vec<u8>)> {
    let mut doc: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut keys = Vec::new();
    for circuit in doc.get_mut("circuits")?.as_array_mut()? {
        for key in circuit.get_mut("keys")?.as_array_mut()? {
            let vk = key.get_mut("vk")?;
            let hex_text = vk.as_str()?;
            let bytes = hex::decode(hex_text).ok()?;
            // Only a key that reads back to the very same text is split.
            if bytes.is_empty() || hex::encode(&bytes) != hex_text {
                return None;
            }
            keys.extend_from_slice(&u32::try_from(bytes.len()).ok()?.to_le_bytes());
            keys.extend_from_slice(&bytes);
            *vk = serde_json::Value::String(String::new());
        }
    }
    Some((serde_json::to_string(&doc).ok()?, keys))
}
