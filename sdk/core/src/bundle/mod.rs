//! Proof bundles: one proved credit decision as a self-describing JSON document.
//!
//! - [`document`]: the versioned format ([`document::Bundle`]), read strictly
//!   ([`document::Bundle::from_json`]).
//!
//! The pinned keys and the bundled verifier are still the SDK's (`govproof::bundle::{keys,
//! verify}`; docs/core.md says what holds them). The SDK re-exports this module under
//! `govproof::bundle::document`.

pub mod document;
