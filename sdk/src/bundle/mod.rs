//! Proof bundles: one proved credit decision as a self-describing JSON document, and the bundled
//! verifier that regulators run on it.
//!
//! - [`document`]: the versioned format ([`Bundle`]), read strictly ([`Bundle::from_json`]);
//! - [`keys`]: the verification keys pinned per circuit, setup and target (a key a bundle carries
//!   is used only when the signed registry entry of its model names the key's digest);
//! - [`solidity`]: the Solidity verifier contract of a pinned circuit, for `evm` proofs;
//! - [`verify`]: every check, by name, with pass or fail and a reason ([`verify::Report`]), as
//!   `govproof verify` prints it;
//! - [`portfolio`], [`bytes`]: many reports as one table; the checks on bytes alone.
//!
//! All but [`solidity`] are govproof-core's, re-exported here; the SDK adds the bb hooks
//! ([`VerifyOptions`]). Bundles are made by [`crate::decide::DecisionProver`]. The verification
//! path needs nothing else: no Noir compiler, no node, no witness solving, no network, and bb
//! only for `--cross-check-bb` or a key this build does not pin. The schema and the checks are
//! documented in `docs/bundle.md`.

pub mod solidity;
mod with_bb;

// The format, the pinned keys, every check, the portfolio table and the check on bytes are
// govproof-core's (docs/core.md); these are their old paths. The SDK adds bb: `VerifyOptions`
// makes a verifier whose hooks run it, and `KeyLookup` computes a key with it.
pub use govproof_core::bundle::{bytes, document, keys, portfolio};

/// The bundled verifier: govproof-core's checks (`govproof_core::bundle::verify`), and the SDK's
/// options and key lookup that run bb for them.
pub mod verify {
    pub use super::with_bb::{KeyLookup, VerifyOptions};
    pub use govproof_core::bundle::verify::*;
}

pub use bytes::{check_bytes, BytesInput};
pub use document::{
    BbVersion, Bundle, BundleError, CircuitClaim, DecisionClaim, DecisionId, DecisionIdError,
    EntryClaim, KeyBytes, ModelClaim, OutcomeClaim, PolicyClaim, PolicyName, PolicyOutcome,
    ProofBytes, PublicInputs, PublicOutcome, ReasonClaim, ReasonWords, RegistryClaim, FORMAT,
    FORMAT_VERSION, MAX_BUNDLE_BYTES,
};
pub use verify::{
    BbVerdict, BundleVerifier, Check, CheckName, CheckStatus, KeyLookup, Report, Signer, Unchecked,
    Verdict, VerifyConfig, VerifyHooks, VerifyOptions, PINNED_BB_BUILD,
};
