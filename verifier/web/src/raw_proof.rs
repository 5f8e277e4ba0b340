//! One bare bb proof (bb's `proof`, `vk` and `public_inputs` files) checked against Aztec
//! Ignition's `[x]_2`, the only setup whose proofs are evidence. The target follows from the key's
//! size (3,680 bytes `noir-recursive`, 1,888 `evm`).

use govproof_core::json::write_string;

use crate::answer::Answer;
use govproof_verify::{verify, G2Point, Target, VerificationKey, VerifyError};

const NOIR_RECURSIVE_KEY_BYTES: usize = 3680;
const EVM_KEY_BYTES: usize = 1888;

/// Checks `proof` against the key `vk` and the circuit's `public_inputs` (bb's file: 32-byte
/// big-endian fields, without the 8 pairing-point fields) with Ignition's setup. Input that is
/// not a key or not a list of fields is an error (exit 1); a proof that is refused or does not
/// verify is `INVALID` (exit 2), naming the step that failed.
pub fn check_raw_proof(proof: &[u8], vk: &[u8], public_inputs: &[u8]) -> Answer {
    let target = match vk.len() {
        NOIR_RECURSIVE_KEY_BYTES => Target::NoirRecursive,
        EVM_KEY_BYTES => Target::Evm,
        other => {
            return Answer::error(format!(
                "the key file is {other} bytes, expected {NOIR_RECURSIVE_KEY_BYTES} \
                 (`noir-recursive`) or {EVM_KEY_BYTES} (`evm`)"
            ))
        }
    };
    let key = match VerificationKey::from_bytes(target, vk) {
        Ok(key) => key,
        Err(e) => return Answer::error(format!("the key file is not a `{target}` key: {e}")),
    };
    if !public_inputs.len().is_multiple_of(32) {
        return Answer::error(format!(
            "the public inputs file is {} bytes, not a whole number of 32-byte fields",
            public_inputs.len()
        ));
    }
    let fields: Vec<[u8; 32]> = public_inputs
        .chunks_exact(32)
        .map(|chunk| {
            let mut field = [0u8; 32];
            field.copy_from_slice(chunk);
            field
        })
        .collect();
    let outcome = verify(&key, proof, &fields, &G2Point::ignition());
    let detail = match &outcome {
        Ok(()) => format!(
            "verified the {}-byte UltraHonk proof (zero-knowledge, target `{target}`) with its {} \
             public inputs against the Ignition setup: sumcheck, all 29 subrelations, Shplemini \
             and the KZG pairing (govproof-verify in WebAssembly)",
            proof.len(),
            fields.len()
        ),
        Err(e) => describe(e),
    };
    let passed = outcome.is_ok();
    let (verdict, exit_code, meaning) = if passed {
        ("VALID", 0, "the proof verifies")
    } else {
        ("INVALID", 2, "failed proof")
    };
    let status = if passed { "PASS" } else { "FAIL" };
    let text =
        format!("checks\n  {status}  proof  {detail}\n\n{verdict}: {meaning} (exit {exit_code})\n");
    let mut report = String::from("{\"result\":");
    write_string(if passed { "valid" } else { "invalid" }, &mut report);
    report.push_str(",\"checks\":[{\"name\":\"proof\",\"status\":");
    write_string(if passed { "pass" } else { "fail" }, &mut report);
    report.push_str(",\"detail\":");
    write_string(&detail, &mut report);
    report.push_str("}],\"failed\":[");
    if !passed {
        report.push_str("\"proof\"");
    }
    report.push_str("]}");
    Answer {
        verdict: verdict.to_string(),
        exit_code,
        text,
        report_json: report,
    }
}

fn describe(e: &VerifyError) -> String {
    if e.is_rejection() {
        format!("the proof does not verify: {e}")
    } else {
        format!("the proof was refused before any check: {e}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fixture(target: &str, file: &str) -> Vec<u8> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/square_small");
        std::fs::read(format!("{dir}/{target}/{file}")).unwrap()
    }

    #[test]
    fn real_ignition_proofs_of_both_targets_are_valid() {
        for target in ["noir-recursive", "evm"] {
            let answer = check_raw_proof(
                &fixture(target, "proof"),
                &fixture(target, "vk"),
                &fixture(target, "public_inputs"),
            );
            assert_eq!(
                (answer.verdict.as_str(), answer.exit_code),
                ("VALID", 0),
                "{target}: {}",
                answer.text
            );
            let report: serde_json::Value = serde_json::from_str(&answer.report_json).unwrap();
            assert_eq!(report["result"], "valid");
        }
    }

    #[test]
    fn a_flipped_proof_byte_or_a_changed_input_is_invalid() {
        let mut proof = fixture("noir-recursive", "proof");
        proof[32 * 100 + 31] ^= 1;
        let answer = check_raw_proof(
            &proof,
            &fixture("noir-recursive", "vk"),
            &fixture("noir-recursive", "public_inputs"),
        );
        assert_eq!(
            (answer.verdict.as_str(), answer.exit_code),
            ("INVALID", 2),
            "{}",
            answer.text
        );
        assert!(answer.text.contains("FAIL  proof"), "{}", answer.text);
        let mut inputs = fixture("evm", "public_inputs");
        inputs[31] ^= 1;
        let answer = check_raw_proof(&fixture("evm", "proof"), &fixture("evm", "vk"), &inputs);
        assert_eq!(answer.exit_code, 2, "{}", answer.text);
    }

    #[test]
    fn files_that_are_not_a_key_or_fields_are_errors() {
        let proof = fixture("evm", "proof");
        let answer = check_raw_proof(&proof, b"not a key", &[]);
        assert_eq!(answer.exit_code, 1);
        assert_eq!(
            answer.text,
            "error: the key file is 9 bytes, expected 3680 (`noir-recursive`) or 1888 (`evm`)\n"
        );
        let answer = check_raw_proof(&proof, &fixture("evm", "vk"), &[0; 33]);
        assert_eq!(answer.exit_code, 1, "{}", answer.text);
        let answer = check_raw_proof(&proof, &[0xff; EVM_KEY_BYTES], &[]);
        assert_eq!(answer.exit_code, 1, "{}", answer.text);
        let report: serde_json::Value = serde_json::from_str(&answer.report_json).unwrap();
        assert_eq!(report["result"], "error");
    }
}
