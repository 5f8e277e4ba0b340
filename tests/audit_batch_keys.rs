//! The pinned keys of the audit batch circuits (`sdk/src/audit/batch_keys.json`) are what bb
//! computes from the embedded batch circuits, recomputed here from scratch with the development
//! setup (Ignition keys need 2^14 Ignition points, which these machines do not hold: a batch
//! audit under Ignition is proved row by row until they are pinned).
//!
//! `GOVPROOF_REGENERATE=1 cargo test --test integration audit_batch_keys::` rewrites the file;
//! without it, any difference fails the test.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use govproof::artifact::Artifact;
use govproof::audit::batch::{batch_pins, REGENERATE_BATCH_KEYS};
use govproof::bundle::keys::{PinFile, PinnedCircuit, PinnedKey};
use govproof::circuits::generate::audit_batch_id;
use govproof::circuits::Profile;
use govproof::prover::{CircuitBytecode, ProofTarget, Prover};
use govproof::registry::entry::Digest;
use govproof::setup::dangerous;

#[test]
fn pinned_batch_keys_are_what_bb_computes_from_the_embedded_batch_circuits() {
    let regenerate = std::env::var("GOVPROOF_REGENERATE").is_ok_and(|v| v == "1");
    let dev_cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-circuits-tests");
    let development = dangerous::development_setup(&dev_cache).unwrap();
    let bb = govproof_testkit::bb().expect("GOVPROOF_BB names no file");
    let cache = tempfile::tempdir().unwrap();
    let mut prover = Prover::new(&bb, &development, cache.path()).unwrap();
    let mut circuits = Vec::new();
    for profile in Profile::references() {
        let id = audit_batch_id(&profile);
        let json = govproof::noir::embedded(&id)
            .unwrap_or_else(|| panic!("the batch circuit `{id}` is not embedded"));
        let artifact = Artifact::from_json_bytes(&id, json).unwrap();
        let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec()).unwrap();
        let keys = [ProofTarget::NoirRecursive, ProofTarget::Evm]
            .into_iter()
            .map(|t| PinnedKey::of(&prover.verification_key(&circuit, t).unwrap()))
            .collect();
        circuits.push(PinnedCircuit {
            id,
            profile: profile.name(),
            artifact_digest: Digest::from_bytes(*artifact.digest().as_bytes()),
            keys,
        });
    }
    let fresh = PinFile {
        generated_by: REGENERATE_BATCH_KEYS.to_string(),
        bb_version: govproof::prover::SUPPORTED_BB_VERSION.to_string(),
        circuits,
    };
    if regenerate {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk/src/audit/batch_keys.json");
        std::fs::write(&path, fresh.to_json_pretty()).unwrap();
        eprintln!("rewrote {}", path.display());
        return;
    }
    assert!(
        fresh == *batch_pins().unwrap(),
        "the pinned batch keys differ from the ones bb computes from the embedded batch \
         circuits; run `{REGENERATE_BATCH_KEYS}` if the circuits changed on purpose"
    );
}
