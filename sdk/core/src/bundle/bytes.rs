//! One entry point on bytes alone, for callers that hold documents rather than files (the
//! browser page's wasm bindings): the bundle, the trusted root, and optionally the policy file and
//! the applicant's opening, all as bytes, and the time as a value. Nothing is read from disk, no
//! clock is asked, no process is started and no network is used.
//!
//! Every problem is a check in the [`Report`], never an error or a panic: a bundle that cannot be
//! read fails the `format` check (as [`BundleVerifier::verify`] reports it); a trusted root,
//! policy or opening that cannot be used makes its check (`registry`, `policy`, `opening`) one
//! that could not be run, so the verdict is "could not check" -- the regulator's file is at
//! fault, not necessarily the bundle.

use super::document::Bundle;
use super::verify::{BundleVerifier, CheckName, CheckStatus, Report, VerifyConfig};
use crate::opening::InputOpening;
use crate::policy::{check, CheckOptions, Policy, SourceFile, MAX_POLICY_BYTES};
use crate::registry::trust::MAX_ROOT_BYTES;
use crate::registry::{Root, Signed, Timestamp, TrustState};
use crate::setup::{dangerous, AcceptancePolicy};

/// What [`check_bytes`] checks, all as bytes.
#[derive(Debug, Clone, Copy)]
pub struct BytesInput<'a> {
    /// The bundle document (JSON).
    pub bundle: &'a [u8],
    /// The trusted root (`root.json`, obtained out of band).
    pub trust_root: &'a [u8],
    /// The policy file (TOML), to check the policy's words against the proof's policy hash.
    pub policy: Option<&'a [u8]>,
    /// The applicant's opening (JSON), to check the proof was made on those features.
    pub opening: Option<&'a [u8]>,
    /// The time the caller verifies at. The checks judge expiry at the bundle's decision time,
    /// so this is recorded for the caller's report rather than compared with anything yet.
    pub now: Timestamp,
    /// Whether proofs of this build's development setup (whose secret is public) are checked
    /// rather than refused, as `govproof verify --dev-setup`.
    pub dev_setup: bool,
}

/// Runs every check on `input.bundle`, as `govproof verify --trust ROOT [--policy P]
/// [--opening O]` does, and returns the report; bad input of any kind is a report of checks that
/// failed or could not be run, never a panic.
pub fn check_bytes(input: &BytesInput<'_>) -> Report {
    let trust = match trust_state(input.trust_root) {
        Ok(t) => t,
        Err(detail) => return Report::input_failure(input.bundle, CheckName::Registry, detail),
    };
    let (policy, policy_problem) = match input.policy.map(read_policy) {
        None => (None, None),
        Some(Ok(p)) => (Some(p), None),
        Some(Err(detail)) => (None, Some(detail)),
    };
    let (opening, opening_problem) = match input.opening.map(InputOpening::from_json) {
        None => (None, None),
        Some(Ok(o)) => (Some(o), None),
        Some(Err(e)) => (None, Some(format!("the opening cannot be used: {e}"))),
    };
    let acceptance = if input.dev_setup {
        dangerous::accept_development_proofs()
    } else {
        AcceptancePolicy::ignition_only()
    };
    // No hooks (no bb, no CRS folder): a key that is not pinned and would need bb to compute is
    // a check that could not be run.
    let mut verifier = BundleVerifier::new(VerifyConfig {
        trust,
        policy,
        acceptance,
    });
    let mut report = verifier.verify_opened(input.bundle, opening.as_ref());
    if report.bundle().is_some() {
        if let Some(detail) = policy_problem {
            report.set_check(CheckName::Policy, CheckStatus::Error, detail);
        }
        if let Some(detail) = opening_problem {
            report.set_check(CheckName::Opening, CheckStatus::Error, detail);
        }
    }
    report
}

/// The trust state of a root document given as bytes: read strictly, and signed by the
/// threshold of its own keys.
fn trust_state(bytes: &[u8]) -> Result<TrustState, String> {
    if bytes.len() as u64 > MAX_ROOT_BYTES {
        return Err(format!(
            "the trusted root cannot be used: it is larger than {MAX_ROOT_BYTES} bytes"
        ));
    }
    let root: Signed<Root> = crate::json::from_slice(bytes)
        .map_err(|e| format!("the trusted root is not a root document: {e}"))?;
    TrustState::bootstrap(root)
        .map_err(|e| format!("the trusted root is not signed by its own threshold: {e}"))
}

/// The policy of a policy file given as bytes, or why it cannot be used (its first error, with
/// the count of all).
fn read_policy(bytes: &[u8]) -> Result<Policy, String> {
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(format!(
            "the policy file cannot be used: it is larger than {MAX_POLICY_BYTES} bytes"
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("the policy file cannot be used: it is not UTF-8 text: {e}"))?;
    let source = SourceFile::new("policy", text);
    let checked = check(&source, &CheckOptions::default());
    match checked.policy {
        Some(p) => Ok(p),
        None => {
            let first = checked
                .diagnostics
                .iter()
                .find(|d| d.severity == crate::policy::Severity::Error)
                .map(|d| {
                    let at = source.position(d.span.start);
                    format!(
                        "; the first at line {}, column {}: {}",
                        at.line, at.column, d.message
                    )
                })
                .unwrap_or_default();
            Err(format!(
                "the policy file has errors ({}){first}",
                checked.diagnostics.summary()
            ))
        }
    }
}

impl Report {
    /// The report when the verifier cannot be set up for `bundle` because the input that `check`
    /// needs cannot be used (`detail` says why): a bundle that cannot be read fails `format` as
    /// always; otherwise `format` passes, `check` could not be run, and nothing else runs.
    pub fn input_failure(bundle: &[u8], check: CheckName, detail: String) -> Report {
        match Bundle::from_json(bundle) {
            Err(e) => Report::format_failure(e.to_string(), Some(bundle.len())),
            Ok(b) => Report::not_run(b, bundle.len(), check, detail),
        }
    }
}
