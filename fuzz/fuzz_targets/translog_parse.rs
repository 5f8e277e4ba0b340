//! Fuzzes the transparency log's readers of outside input: checkpoint notes, verifier keys, log
//! entries and the service's inclusion and consistency responses. A note that parses must write
//! back to exactly the bytes read (one encoding per checkpoint), and an entry that parses must
//! re-encode to its own canonical bytes. Any panic is a bug: bad input must only ever be refused.

#![no_main]

use govproof::translog::{
    parse_verifier_key, ConsistencyResponse, InclusionResponse, LogEntry, SignedCheckpoint,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(note) = SignedCheckpoint::parse(text) {
            assert_eq!(note.to_note(), text, "a parsed note must write back unchanged");
        }
        let _ = parse_verifier_key(text);
    }
    if let Ok(entry) = LogEntry::from_json(data) {
        let bytes = entry.canonical_bytes();
        assert_eq!(LogEntry::from_json(&bytes).ok(), Some(entry));
    }
    let _ = serde_json::from_slice::<InclusionResponse>(data);
    let _ = serde_json::from_slice::<ConsistencyResponse>(data);
});
