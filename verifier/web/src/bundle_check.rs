//! A decision bundle checked as `govproof verify` checks it: every check of
//! `govproof_core::bundle::check_bytes` (format, setup, circuit, registry, policy, public
//! inputs, proof, opening), at the browser's time, with the same report and verdict.

use crate::answer::Answer;
use govproof_core::bundle::{check_bytes, BytesInput};
use govproof_core::registry::Timestamp;

/// Checks `bundle` against the trusted root `trust_root` (and the policy file and the
/// applicant's opening when given) at `now_unix_seconds`, accepting development-setup proofs
/// only when `dev_setup` (as `--dev-setup`). The verdict, exit status and both reports are those
/// of `govproof verify --trust ROOT [--policy P] [--opening O] [--dev-setup]`.
pub fn check_bundle(
    bundle: &[u8],
    trust_root: &[u8],
    policy: Option<&[u8]>,
    opening: Option<&[u8]>,
    now_unix_seconds: i64,
    dev_setup: bool,
) -> Answer {
    let Some(now) = u64::try_from(now_unix_seconds)
        .ok()
        .and_then(|secs| Timestamp::from_unix(secs).ok())
    else {
        return Answer::error(format!(
            "the clock reads `{now_unix_seconds}` seconds, not a time from 1970 to 9999"
        ));
    };
    let report = check_bytes(&BytesInput {
        bundle,
        trust_root,
        policy,
        opening,
        now,
        dev_setup,
    });
    let verdict = report.verdict();
    Answer {
        verdict: verdict.label().to_string(),
        exit_code: verdict as u8,
        text: report.render_text(),
        // Keys sorted, as serde_json writes the command line's report.
        report_json: String::from_utf8(govproof_core::json::canonical(&report.to_json_value()))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/bundles");
        std::fs::read(format!("{dir}/{path}")).unwrap()
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_valid_development_bundle_is_valid_but_not_evidence() {
        let answer = check_bundle(
            &fixture("valid/gate-with-policy/bundle.json"),
            &fixture("trust/root.json"),
            Some(&fixture("valid/gate-with-policy/policy.toml")),
            None,
            NOW,
            true,
        );
        assert_eq!(
            answer.verdict, "VALID (development setup: not evidence)",
            "{}",
            answer.text
        );
        assert_eq!(answer.exit_code, 4);
        let report: serde_json::Value = serde_json::from_str(&answer.report_json).unwrap();
        assert_eq!(report["result"], "valid-development-setup");
    }

    #[test]
    fn a_flipped_proof_byte_fails_the_proof_check() {
        let answer = check_bundle(
            &fixture("rejected/flipped-proof-byte/bundle.json"),
            &fixture("trust/root.json"),
            None,
            None,
            NOW,
            true,
        );
        assert_eq!(
            (answer.verdict.as_str(), answer.exit_code),
            ("INVALID", 2),
            "{}",
            answer.text
        );
        assert!(
            answer.text.contains("INVALID: failed proof"),
            "{}",
            answer.text
        );
    }

    #[test]
    fn unusable_inputs_are_answers_not_panics() {
        let bundle = fixture("valid/gate-with-policy/bundle.json");
        let root = fixture("trust/root.json");
        // Without --dev-setup a development proof is refused.
        let answer = check_bundle(&bundle, &root, None, None, NOW, false);
        assert_eq!(answer.exit_code, 2, "{}", answer.text);
        for (bundle, root, policy, opening) in [
            (&b"{"[..], &root[..], None, None),
            (&bundle[..], &b"not a root"[..], None, None),
            (&bundle[..], &root[..], Some(&b"\xff\xfe"[..]), None),
            (&bundle[..], &root[..], None, Some(&b"[]"[..])),
        ] {
            let answer = check_bundle(bundle, root, policy, opening, NOW, true);
            assert!(matches!(answer.exit_code, 1 | 2), "{}", answer.text);
            serde_json::from_str::<serde_json::Value>(&answer.report_json).unwrap();
        }
        let answer = check_bundle(&bundle, &root, None, None, -1, true);
        assert_eq!(answer.exit_code, 1);
        assert_eq!(
            answer.text,
            "error: the clock reads `-1` seconds, not a time from 1970 to 9999\n"
        );
    }
}
