//! The verification-only crate stays verification-only: its normal dependency tree (what a
//! regulator builds) holds no prover, witness solver, bb, toolchain, process or OS-specific
//! crate, and no randomness source that wasm32 would need JavaScript for. Read from
//! `cargo tree`, so a dependency added anywhere below it (in `govproof-verify` too) is caught.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Command;

/// Crates that must never be in the tree, with why.
const FORBIDDEN: &[(&str, &str)] = &[
    ("acvm", "the witness solver belongs to the prover"),
    ("acir", "circuits are the prover's"),
    ("acir_field", "the field is arkworks' Fr"),
    ("brillig", "the witness solver's VM"),
    ("brillig_vm", "the witness solver's VM"),
    (
        "bn254_blackbox_solver",
        "the hash is govproof-verify's Poseidon2",
    ),
    ("barretenberg-rs", "proofs are checked in pure Rust"),
    ("govproof", "the SDK depends on core, never the reverse"),
    ("govproof-toolchain", "no compiler, bb or node"),
    ("tempfile", "no files on the verification path"),
    ("libc", "nothing OS-specific"),
    ("prost", "model import is the SDK's"),
    ("getrandom", "wasm32 would need its JavaScript backend"),
];

/// The crate names in the normal dependency tree of `package`.
fn normal_tree(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_normal_dependency_tree_has_no_prover_toolchain_or_process_crate() {
    let tree = normal_tree("govproof-core");
    assert!(tree.contains("govproof-core"), "{tree:?}");
    assert!(tree.contains("govproof-verify"), "{tree:?}");
    let found: Vec<String> = FORBIDDEN
        .iter()
        .filter(|(name, _)| tree.contains(*name))
        .map(|(name, why)| format!("`{name}` ({why})"))
        .collect();
    assert!(
        found.is_empty(),
        "govproof-core depends on {}",
        found.join(", ")
    );
}

/// The negative twin: the same reading of `cargo tree` finds the prover's crates in the SDK's tree.
#[test]
fn the_check_sees_the_prover_crates_in_the_sdk_tree() {
    let tree = normal_tree("govproof");
    for name in [
        "acvm",
        "barretenberg-rs",
        "govproof-toolchain",
        "govproof-core",
    ] {
        assert!(tree.contains(name), "`{name}` not seen in {tree:?}");
    }
}
