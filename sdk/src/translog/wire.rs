//! The JSON bodies of the service's log endpoints (`docs/transparency-log.md`), shared by the
//! service that writes them and `govproof log verify` that reads them.

use serde::{Deserialize, Serialize};

use super::entry::hex_hashes;
use super::tree::Hash;
use super::LogEntry;

/// `GET /decisions/{id}/inclusion[?size=N]`: a decision's entry and its inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(expecting = "an inclusion proof object")]
pub struct InclusionResponse {
    /// The entry's index in the log (from 0).
    pub index: u64,
    /// The size of the tree the proof is against.
    pub size: u64,
    /// The entry.
    pub entry: LogEntry,
    /// The proof, leaf side first.
    #[serde(with = "hex_hashes")]
    pub proof: Vec<Hash>,
}

/// `GET /log/consistency?from=A&to=B`: the consistency proof between two tree sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(expecting = "a consistency proof object")]
pub struct ConsistencyResponse {
    /// The old size (optional in what a reader accepts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u64>,
    /// The new size (optional in what a reader accepts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u64>,
    /// The proof.
    #[serde(with = "hex_hashes")]
    pub proof: Vec<Hash>,
}
