//! Fuzzes the pure-Rust verifier's readers of outside input (`govproof-verify`): key parsing and
//! proof parsing for both targets, and whole verification of fuzzed proofs and public inputs
//! against a real key (the reference circuit's, from the agreement vectors). Any panic is a bug;
//! and nothing but the one valid proof may verify.
//!
//! The first byte picks the target and what is fuzzed; the rest is the input.

#![no_main]

use std::sync::OnceLock;

use govproof_verify::{verify, G2Point, Proof, Target, VerificationKey};
use libfuzzer_sys::fuzz_target;

struct Known {
    key: VerificationKey,
    proof: &'static [u8],
    public_inputs: Vec<[u8; 32]>,
}

fn public_inputs(bytes: &[u8]) -> Vec<[u8; 32]> {
    bytes
        .chunks_exact(32)
        .map(|c| {
            let mut f = [0u8; 32];
            f.copy_from_slice(c);
            f
        })
        .collect()
}

fn known(target: Target) -> &'static Known {
    static RECURSIVE: OnceLock<Known> = OnceLock::new();
    static EVM: OnceLock<Known> = OnceLock::new();
    let (cell, key, proof, pi): (_, &[u8], &'static [u8], &[u8]) = match target {
        Target::NoirRecursive => (
            &RECURSIVE,
            include_bytes!(concat!(
                "../../verifier/tests/vectors/bases/",
                "mlp-24x16-d20-b8-s16-p8-m4.noir-recursive.0.vk"
            )),
            include_bytes!(concat!(
                "../../verifier/tests/vectors/bases/",
                "mlp-24x16-d20-b8-s16-p8-m4.noir-recursive.0.proof"
            )),
            include_bytes!(concat!(
                "../../verifier/tests/vectors/bases/",
                "mlp-24x16-d20-b8-s16-p8-m4.noir-recursive.0.pi"
            )),
        ),
        _ => (
            &EVM,
            include_bytes!(concat!(
                "../../verifier/tests/vectors/bases/",
                "mlp-24x16-d20-b8-s16-p8-m4.evm.0.vk"
            )),
            include_bytes!(concat!(
                "../../verifier/tests/vectors/bases/",
                "mlp-24x16-d20-b8-s16-p8-m4.evm.0.proof"
            )),
            include_bytes!(concat!(
                "../../verifier/tests/vectors/bases/",
                "mlp-24x16-d20-b8-s16-p8-m4.evm.0.pi"
            )),
        ),
    };

    cell.get_or_init(|| Known {
        key: match VerificationKey::from_bytes(target, key) {
            Ok(k) => k,
            Err(e) => panic!("the vectors' key must parse: {e}"),
        },
        proof,
        public_inputs: public_inputs(pi),
    })
}

fn g2() -> &'static G2Point {
    static G2: OnceLock<G2Point> = OnceLock::new();
    G2.get_or_init(|| {
        let bytes = include_bytes!("../../verifier/tests/vectors/g2.bin");
        match G2Point::from_bytes(bytes) {
            Ok(g) => g,
            Err(e) => panic!("the vectors' g2 must parse: {e}"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let target = if selector & 1 == 0 {
        Target::NoirRecursive
    } else {
        Target::Evm
    };
    match (selector >> 1) % 4 {
        // A key from the input; if it parses, a proof of its size is read too.
        0 => {
            if let Ok(key) = VerificationKey::from_bytes(target, input) {
                let _ = Proof::from_bytes(target, input, key.log_circuit_size());
            }
        }
        // A proof from the input, for any circuit size.
        1 => {
            let log_n = u32::from(input.first().copied().unwrap_or(0) % 32);
            let _ = Proof::from_bytes(target, input, log_n);
        }
        // A whole verification of the input as the proof, against the real key.
        2 => {
            let k = known(target);
            if verify(&k.key, input, &k.public_inputs, g2()).is_ok() {
                assert_eq!(input, k.proof, "a proof other than the valid one verified");
            }
        }
        // The valid proof with the input as its public inputs.
        _ => {
            let k = known(target);
            let inputs = public_inputs(input);
            if verify(&k.key, k.proof, &inputs, g2()).is_ok() {
                assert_eq!(inputs, k.public_inputs, "other public inputs verified");
            }
        }
    }
});
