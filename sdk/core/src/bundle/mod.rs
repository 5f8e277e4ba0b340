//! Proof bundles: one proved credit decision as a self-describing JSON document.
//!
//! - [`document`]: the versioned format ([`document::Bundle`]), read strictly
//!   ([`document::Bundle::from_json`]);
//! - [`keys`]: the verification keys pinned per circuit, setup and target, embedded at build time.
//!
//! The bundled verifier is still the SDK's (`govproof::bundle::verify`; docs/core.md says what
//! holds it). The SDK re-exports these modules under `govproof::bundle::{document, keys}`.

pub mod document;
pub mod keys;
