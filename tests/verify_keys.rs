//! The pinned verification keys (`sdk/core/src/bundle/verification_keys.json`) are what bb computes
//! from the embedded circuits, recomputed here from scratch.
//!
//! - Development keys are always recomputed (the development setup is generated offline).
//! - Ignition keys are recomputed when `GOVPROOF_IGNITION_CRS` names a folder with enough real
//!   Ignition points (a reference composite needs 2^14); otherwise pinned Ignition keys are kept
//!   only for circuits whose bytecode is unchanged, and the test says they were not re-checked.
//!
//! `GOVPROOF_REGENERATE=1 cargo test --test integration verify_keys::` rewrites the file; without it, any
//! difference fails the test.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use govproof::artifact::Artifact;
use govproof::bundle::keys::{pinned, PinFile, PinnedCircuit, PinnedKey, REGENERATE};
use govproof::circuits::Profile;
use govproof::prover::{CircuitBytecode, ProofTarget, Prover};
use govproof::registry::entry::Digest;
use govproof::setup::{dangerous, CrsDownloads, Setup, SetupId};

fn bb() -> PathBuf {
    govproof_testkit::bb().expect("GOVPROOF_BB names no file")
}

fn keys_for(setup: &Setup, circuit: &CircuitBytecode) -> Vec<PinnedKey> {
    let cache = tempfile::tempdir().unwrap();
    let mut prover = Prover::new(&bb(), setup, cache.path()).unwrap();
    [ProofTarget::NoirRecursive, ProofTarget::Evm]
        .into_iter()
        .map(|t| PinnedKey::of(&prover.verification_key(circuit, t).unwrap()))
        .collect()
}

#[test]
fn pinned_keys_are_what_bb_computes_from_the_embedded_circuits() {
    let regenerate = std::env::var("GOVPROOF_REGENERATE").is_ok_and(|v| v == "1");
    let dev_cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests");
    let development = dangerous::development_setup(&dev_cache).unwrap();
    let ignition = std::env::var_os("GOVPROOF_IGNITION_CRS")
        .map(|d| Setup::ignition(Path::new(&d), CrsDownloads::Forbidden).unwrap());
    let old = pinned().unwrap();
    let mut unchecked = Vec::new();
    let mut circuits = Vec::new();
    for profile in Profile::references() {
        let id = profile.name();
        let json = govproof::noir::embedded(&id).unwrap();
        let artifact = Artifact::from_json_bytes(&id, json).unwrap();
        let digest = Digest::from_bytes(*artifact.digest().as_bytes());
        let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec()).unwrap();
        let mut keys = keys_for(&development, &circuit);
        match &ignition {
            Some(setup) => keys.extend(keys_for(setup, &circuit)),
            None => {
                let kept = old
                    .circuit(&id)
                    .filter(|c| c.artifact_digest == digest)
                    .map(|c| {
                        c.keys
                            .iter()
                            .filter(|k| k.setup == SetupId::Ignition)
                            .cloned()
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                if !kept.is_empty() {
                    unchecked.push(id.clone());
                }
                keys.extend(kept);
            }
        }
        circuits.push(PinnedCircuit {
            id: id.clone(),
            profile: id,
            artifact_digest: digest,
            keys,
        });
    }
    let fresh = PinFile {
        generated_by: REGENERATE.to_string(),
        bb_version: govproof::prover::SUPPORTED_BB_VERSION.to_string(),
        circuits,
    };
    if !unchecked.is_empty() {
        eprintln!(
            "Ignition keys of {} kept without re-checking: set GOVPROOF_IGNITION_CRS to a folder \
             of Ignition points to recompute them",
            unchecked.join(", ")
        );
    }
    if regenerate {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sdk/core/src/bundle/verification_keys.json");
        std::fs::write(&path, fresh.to_json_pretty()).unwrap();
        eprintln!("rewrote {}", path.display());
        return;
    }
    assert!(
        fresh == *old,
        "the pinned verification keys differ from the ones bb computes from the embedded \
         circuits; run `{REGENERATE}` (and regenerate the bundle fixtures) if the circuits changed \
         on purpose"
    );
}
