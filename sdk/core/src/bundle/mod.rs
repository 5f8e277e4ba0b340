//! Proof bundles: one proved credit decision as a self-describing JSON document.
//!
//! - [`document`]: the versioned format ([`document::Bundle`]), read strictly
//!   ([`document::Bundle::from_json`]);
//! - [`keys`]: the verification keys pinned per circuit, setup and target, embedded at build time;
//! - [`verify`]: every check, by name, with pass or fail and a reason ([`verify::Report`]), as
//!   `govproof verify` prints it; what needs bb is asked of [`verify::VerifyHooks`];
//! - [`portfolio`]: many reports as one table (text, CSV, Markdown, JSON, HTML);
//! - [`bytes`]: the checks on bytes alone ([`check_bytes`]), for the browser page.
//!
//! The SDK re-exports these modules under `govproof::bundle::...` and fills the hooks with bb.

pub mod bytes;
pub mod document;
pub mod keys;
pub mod portfolio;
pub mod verify;

pub use bytes::{check_bytes, BytesInput};
pub use verify::{
    key_of_pin, BbVerdict, BundleVerifier, Check, CheckName, CheckStatus, Report, Signer,
    Unchecked, Verdict, VerifyConfig, VerifyHooks, PINNED_BB_BUILD,
};
