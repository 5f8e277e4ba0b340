//! Proof bundles: one proved credit decision as a self-describing JSON document, and the bundled
//! verifier that regulators run on it.
//!
//! - [`document`]: the versioned format ([`Bundle`]), read strictly ([`Bundle::from_json`]);
//! - [`keys`]: the verification keys pinned per circuit, setup and target (a key a bundle carries
//!   is used only when the signed registry entry of its model names the key's digest);
//! - [`solidity`]: the Solidity verifier contract of a pinned circuit, for `evm` proofs;
//! - [`verify`]: every check, by name, with pass or fail and a reason ([`verify::Report`]), as
//!   `govproof verify` prints it.
//!
//! Bundles are made by [`crate::decide::DecisionProver`]. The verification path needs bb and
//! nothing else: no Noir compiler, no node, no witness solving, no network. The schema and the
//! checks are documented in `docs/bundle.md`.

pub mod bytes;
pub mod portfolio;
pub mod solidity;
pub mod verify;

// The format and the pinned keys are govproof-core's (docs/core.md); these are their old paths.
pub use govproof_core::bundle::{document, keys};

pub use bytes::{check_bytes, BytesInput};
pub use document::{
    BbVersion, Bundle, BundleError, CircuitClaim, DecisionClaim, DecisionId, DecisionIdError,
    EntryClaim, KeyBytes, ModelClaim, OutcomeClaim, PolicyClaim, PolicyName, PolicyOutcome,
    ProofBytes, PublicInputs, PublicOutcome, ReasonClaim, ReasonWords, RegistryClaim, FORMAT,
    FORMAT_VERSION, MAX_BUNDLE_BYTES,
};
pub use verify::{
    BundleVerifier, Check, CheckName, CheckStatus, KeyLookup, Report, Signer, Unchecked, Verdict,
    VerifyOptions, PINNED_BB_BUILD,
};
