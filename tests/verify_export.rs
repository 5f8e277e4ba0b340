//! `govproof export-verifier --solidity`: the contract is bb's for the pinned `evm` key, with the
//! development setup's `[tau]_2` in place of Ignition's when asked for a development contract;
//! an Ignition contract without a pinned key and without Ignition points cannot be made.

#![allow(clippy::unwrap_used)]

use crate::bundle_support;

use bundle_support::*;
use govproof::bundle::solidity::{solidity_verifier, SolidityError};
use govproof::bundle::KeyLookup;
use govproof::setup::{dangerous, SetupId, CANONICAL_IGNITION_G2};
use govproof_cli::Exit;

fn coordinate(g2: &[u8; 128], i: usize) -> String {
    format!("0x{}", hex::encode(&g2[32 * i..32 * (i + 1)]))
}

#[test]
fn a_development_contract_pairs_with_the_development_setup() {
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("Verifier.sol");
    let bb = bb().display().to_string();
    let out_arg = out.display().to_string();
    let export = [
        "export-verifier",
        "--solidity",
        "--dev-setup",
        "-o",
        &out_arg,
        "--bb",
        &bb,
    ];
    let (exit, stdout, err) = govproof(&export);
    assert_eq!(exit, Exit::Success, "{stdout}\n{err}");
    let contract = std::fs::read_to_string(&out).unwrap();
    assert!(contract.starts_with("// DEVELOPMENT SETUP"));
    assert!(contract.contains("contract"));
    let dev = dangerous::development_setup(
        &std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests"),
    )
    .unwrap()
    .g2_bytes();
    for i in 0..4 {
        assert!(
            contract.contains(&coordinate(&dev, i)),
            "dev coordinate {i}"
        );
        assert!(
            !contract.contains(&coordinate(&CANONICAL_IGNITION_G2, i)),
            "Ignition coordinate {i} left in"
        );
    }
    // An existing file is not replaced.
    let (exit, _, err) = govproof(&export);
    assert_eq!(exit, Exit::Error, "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), contract);
}

#[test]
fn an_ignition_contract_needs_a_pinned_key_or_ignition_points() {
    let work = tempfile::tempdir().unwrap();
    let crs = govproof_testkit::ignition_513().unwrap_or_else(|| work.path().join("no-crs"));
    let bb = bb();
    let lookup = KeyLookup {
        bb: Some(&bb),
        work_dir: work.path(),
        ignition_crs: Some(&crs),
    };
    let pins = govproof::bundle::keys::pinned().unwrap();
    let id = "mlp-24x16-d20-b8-s16-p8-m4";
    let pinned = pins
        .circuit(id)
        .unwrap()
        .key(SetupId::Ignition, govproof::prover::ProofTarget::Evm)
        .is_some();
    match solidity_verifier(id, SetupId::Ignition, &CANONICAL_IGNITION_G2, &lookup) {
        Ok(contract) => {
            assert!(pinned, "made without a key");
            assert!(contract.contains(&coordinate(&CANONICAL_IGNITION_G2, 1)));
        }
        Err(SolidityError::Key(detail)) => {
            assert!(!pinned);
            assert!(detail.contains("--import-crs"), "{detail}");
        }
        Err(e) => panic!("{e}"),
    }
    assert!(matches!(
        solidity_verifier(
            "no-such-circuit",
            SetupId::Ignition,
            &CANONICAL_IGNITION_G2,
            &lookup
        ),
        Err(SolidityError::UnknownCircuit { .. })
    ));
}
