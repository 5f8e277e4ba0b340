//! The Rust verifier's answer to an agreement case, in bb's three words (shared by the
//! agreement tests and the root crate's generator, which include this file by path next to
//! `agreement_cases`).

use crate::agreement_cases::{Instance, Target, Verdict};

/// The crate's target for a case's target.
pub fn target(t: Target) -> govproof_verify::Target {
    match t {
        Target::NoirRecursive => govproof_verify::Target::NoirRecursive,
        Target::Evm => govproof_verify::Target::Evm,
    }
}

/// What `govproof_verify` answers for `case`: `Verified` for `Ok`, `Rejected` for a failed check,
/// `Refused` for input refused before any check (a key that does not parse included); with the
/// error's text.
pub fn verdict(case: &Instance, g2: &govproof_verify::G2Point) -> (Verdict, String) {
    let key = match govproof_verify::VerificationKey::from_bytes(target(case.target), &case.vk) {
        Ok(key) => key,
        Err(e) => return (classify(&e), e.to_string()),
    };
    match govproof_verify::verify(&key, &case.proof, &case.public_inputs, g2) {
        Ok(()) => (Verdict::Verified, String::new()),
        Err(e) => (classify(&e), e.to_string()),
    }
}

fn classify(e: &govproof_verify::VerifyError) -> Verdict {
    if e.is_rejection() {
        Verdict::Rejected
    } else {
        Verdict::Refused
    }
}
