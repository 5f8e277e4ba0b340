#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may fail loudly
//! The warm prover and the verifier against real bb 5.0.0.
//!
//! bb is found through `GOVPROOF_BB` or the installed toolchain; the real Ignition points through
//! `shared/crs/ignition-513` beside the repository. Each test prints why and returns when what it
//! needs is missing.

use govproof_testkit::{bb, ignition_513};

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use govproof::field::Field;
use govproof::prover::{
    BbError, CircuitBytecode, Proof, ProofRejection, ProofTarget, ProofVerifyError, Prover,
    ProverError, RequestKind, VerificationKey, Verifier, WitnessStack, EVM_VK_BYTES,
    NOIR_RECURSIVE_VK_BYTES,
};
use govproof::setup::{dangerous, AcceptancePolicy, CrsDownloads, Setup, SetupError, SetupKind};

/// A cache shared by the tests of this file (the development CRS is generated once).
fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("govproof-prover-tests")
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn fixture(name: &str) -> (CircuitBytecode, WitnessStack) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/circuits")
        .join(name);
    let artifact: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("artifact.json")).unwrap()).unwrap();
    let gz = base64::engine::general_purpose::STANDARD
        .decode(artifact["bytecode"].as_str().unwrap())
        .unwrap();
    let circuit = CircuitBytecode::from_msgpack(gunzip(&gz)).unwrap();
    let witness =
        WitnessStack::from_msgpack(gunzip(&std::fs::read(dir.join("witness.gz")).unwrap()))
            .unwrap();
    (circuit, witness)
}

fn development_setup() -> Setup {
    dangerous::development_setup(&shared_cache()).unwrap()
}

fn assert_rejected(result: Result<(), ProofVerifyError>) {
    match result {
        Err(e) if e.is_rejection() => eprintln!("rejected: {e}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn real_setup_small_circuit_proves_with_stock_bb_and_verifies_offline() {
    let (Some(bb), Some(crs)) = (bb(), ignition_513()) else {
        return;
    };
    let (circuit, witness) = fixture("square_small");
    let setup = Setup::ignition(&crs, CrsDownloads::Forbidden).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut prover = Prover::new(&bb, &setup, cache.path()).unwrap();
    let stats = prover.gate_count(&circuit).unwrap();
    assert!(stats.gates < 500, "{stats:?}");

    let proof = prover
        .prove(&circuit, &witness, ProofTarget::NoirRecursive)
        .unwrap();
    assert_eq!(proof.setup().kind(), SetupKind::Ignition);
    assert_eq!(proof.to_bytes().len(), 14_656);
    assert_eq!(
        proof.public_inputs(),
        &[Field::from(9u64), Field::from(4u64)][..]
    );
    let vk = prover
        .verification_key(&circuit, ProofTarget::NoirRecursive)
        .unwrap();
    assert_eq!(vk.as_bytes().len(), NOIR_RECURSIVE_VK_BYTES);

    let work = tempfile::tempdir().unwrap();
    let mut verifier = Verifier::new(&bb, work.path(), AcceptancePolicy::ignition_only()).unwrap();
    verifier.verify(&vk, &proof).unwrap();
    // The verifier used its own folder holding the generator alone.
    let one_point = work.path().join("verifier-crs/ignition/bn254_g1.dat");
    assert_eq!(std::fs::read(one_point).unwrap().len(), 64);

    // The same proof claiming y = 10 instead of 9 is rejected.
    let forged = proof.with_public_inputs(vec![Field::from(10u64), Field::from(4u64)]);
    assert_rejected(verifier.verify(&vk, &forged));
}

#[test]
fn real_setup_evm_target_has_keccak_sizes_and_verifies() {
    let (Some(bb), Some(crs)) = (bb(), ignition_513()) else {
        return;
    };
    let (circuit, witness) = fixture("square_small");
    let setup = Setup::ignition(&crs, CrsDownloads::Forbidden).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut prover = Prover::new(&bb, &setup, cache.path()).unwrap();
    let proof = prover.prove(&circuit, &witness, ProofTarget::Evm).unwrap();
    let vk = prover.verification_key(&circuit, ProofTarget::Evm).unwrap();
    assert_eq!(vk.as_bytes().len(), EVM_VK_BYTES);
    // 82 + 12 * log2(32) fields for this 2^5 circuit.
    assert_eq!(proof.fields().len(), 142);
    let work = tempfile::tempdir().unwrap();
    let mut verifier = Verifier::new(&bb, work.path(), AcceptancePolicy::ignition_only()).unwrap();
    verifier.verify(&vk, &proof).unwrap();
    // A key for the other target does not verify it.
    let recursive_vk = prover
        .verification_key(&circuit, ProofTarget::NoirRecursive)
        .unwrap();
    assert!(matches!(
        verifier.verify(&recursive_vk, &proof),
        Err(ProofVerifyError::TargetMismatch { .. })
    ));
}

#[test]
fn real_setup_refuses_a_circuit_larger_than_its_points_instead_of_downloading() {
    let (Some(bb), Some(crs)) = (bb(), ignition_513()) else {
        return;
    };
    let (circuit, witness) = fixture("poseidon_chain");
    let setup = Setup::ignition(&crs, CrsDownloads::Forbidden).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut prover = Prover::new(&bb, &setup, cache.path()).unwrap();
    let err = prover
        .prove(&circuit, &witness, ProofTarget::NoirRecursive)
        .unwrap_err();
    match err {
        ProverError::Setup(SetupError::NotEnoughPoints {
            needed, available, ..
        }) => {
            assert_eq!(needed, 1 << 15);
            assert_eq!(available, 513);
        }
        other => panic!("expected NotEnoughPoints, got {other}"),
    }
}

#[test]
fn development_setup_proves_and_verifies_a_20k_gate_circuit_and_catches_tampering() {
    let Some(bb) = bb() else {
        return;
    };
    let (circuit, witness) = fixture("poseidon_chain");
    let setup = development_setup();
    let cache = tempfile::tempdir().unwrap();
    let mut prover = Prover::new(&bb, &setup, cache.path()).unwrap();
    let stats = prover.gate_count(&circuit).unwrap();
    assert!(stats.gates >= 20_000, "{stats:?}");

    let proof = prover
        .prove(&circuit, &witness, ProofTarget::NoirRecursive)
        .unwrap();
    assert_eq!(proof.setup().kind(), SetupKind::Development);
    assert_eq!(proof.to_bytes().len(), 14_656);
    assert_eq!(proof.public_inputs().len(), 1);
    let vk = prover
        .verification_key(&circuit, ProofTarget::NoirRecursive)
        .unwrap();

    let work = tempfile::tempdir().unwrap();
    let mut verifier =
        Verifier::new(&bb, work.path(), dangerous::accept_development_proofs()).unwrap();
    verifier.verify(&vk, &proof).unwrap();

    // Flipped proof bytes are rejected, wherever they are.
    for position in [100usize, 7_000, 14_600] {
        let mut bytes = proof.to_bytes();
        bytes[position] ^= 0x01;
        let flipped = Proof::from_bytes(
            &bytes,
            proof.public_inputs().to_vec(),
            proof.setup(),
            proof.target(),
        )
        .unwrap();
        assert_rejected(verifier.verify(&vk, &flipped));
    }
    // A changed public input is rejected.
    let digest = proof.public_inputs()[0];
    let forged = proof.with_public_inputs(vec![digest + Field::one()]);
    assert_rejected(verifier.verify(&vk, &forged));
    // The honest proof still verifies afterwards (the verifier process survived).
    verifier.verify(&vk, &proof).unwrap();

    // A verifier that was not told to accept development proofs refuses it before running bb.
    let mut strict = Verifier::new(&bb, work.path(), AcceptancePolicy::ignition_only()).unwrap();
    match strict.verify(&vk, &proof) {
        Err(ProofVerifyError::Setup(SetupError::NotAccepted { setup })) => {
            assert_eq!(setup.kind(), SetupKind::Development)
        }
        other => panic!("expected NotAccepted, got {other:?}"),
    }
}

#[test]
fn development_setup_evm_target_has_measured_sizes() {
    let Some(bb) = bb() else {
        return;
    };
    let (circuit, witness) = fixture("poseidon_chain");
    let setup = development_setup();
    let cache = tempfile::tempdir().unwrap();
    let mut prover = Prover::new(&bb, &setup, cache.path()).unwrap();
    let proof = prover.prove(&circuit, &witness, ProofTarget::Evm).unwrap();
    let vk = prover.verification_key(&circuit, ProofTarget::Evm).unwrap();
    assert_eq!(proof.to_bytes().len(), 8_384);
    assert_eq!(vk.as_bytes().len(), 1_888);
    let work = tempfile::tempdir().unwrap();
    let mut verifier =
        Verifier::new(&bb, work.path(), dangerous::accept_development_proofs()).unwrap();
    verifier.verify(&vk, &proof).unwrap();
    let forged = proof.with_public_inputs(vec![Field::from(1u64)]);
    assert_rejected(verifier.verify(&vk, &forged));
}

#[test]
fn vk_cache_misses_then_hits_and_recomputes_a_corrupted_file() {
    let Some(bb) = bb() else {
        return;
    };
    let (circuit, _) = fixture("square_small");
    let setup = development_setup();
    let cache = tempfile::tempdir().unwrap();
    let target = ProofTarget::NoirRecursive;

    let mut first = Prover::new(&bb, &setup, cache.path()).unwrap();
    let vk = first.verification_key(&circuit, target).unwrap();
    assert_eq!(first.stats().vk_computed, 1);
    assert_eq!(first.stats().vk_cache_hits, 0);

    // A new prover (new bb process) finds it on disk and does not ask bb.
    let mut second = Prover::new(&bb, &setup, cache.path()).unwrap();
    assert_eq!(second.verification_key(&circuit, target).unwrap(), vk);
    assert_eq!(second.stats().vk_computed, 0);
    assert_eq!(second.stats().vk_cache_hits, 1);

    // One flipped bit in the cached key: detected, recomputed, rewritten.
    let path = second.vk_cache_path(&circuit, target);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0x04;
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(second.verification_key(&circuit, target).unwrap(), vk);
    assert_eq!(second.stats().vk_cache_corrupt, 1);
    assert_eq!(second.stats().vk_computed, 1);
    // A truncated file too.
    std::fs::write(&path, &bytes[..50]).unwrap();
    assert_eq!(second.verification_key(&circuit, target).unwrap(), vk);
    assert_eq!(second.stats().vk_cache_corrupt, 2);
    // And the rewritten file is a hit again.
    assert_eq!(second.verification_key(&circuit, target).unwrap(), vk);
    assert_eq!(second.stats().vk_cache_hits, 2);
}

#[test]
fn killed_bb_is_reported_and_the_next_call_restarts_it() {
    let Some(bb) = bb() else {
        return;
    };
    let (circuit, witness) = fixture("square_small");
    let setup = development_setup();
    let cache = tempfile::tempdir().unwrap();
    let mut prover = Prover::new(&bb, &setup, cache.path()).unwrap();
    let target = ProofTarget::NoirRecursive;
    prover.prove(&circuit, &witness, target).unwrap();
    let pid = prover.bb_pid().unwrap();

    // Kill exactly the child this prover started.
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    match prover.prove(&circuit, &witness, target) {
        Err(ProverError::Bb(BbError::Died {
            request, status, ..
        })) => {
            assert_eq!(request, RequestKind::Prove);
            let text = status.to_string();
            assert!(text.contains('9'), "{text}");
            eprintln!("died: {text}");
        }
        other => panic!("expected the death of bb to be reported, got {other:?}"),
    }
    // The next call starts a new bb and succeeds.
    let proof = prover.prove(&circuit, &witness, target).unwrap();
    assert_eq!(prover.stats().bb_starts, 2);
    assert_ne!(prover.bb_pid(), Some(pid));
    let vk = prover.verification_key(&circuit, target).unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut verifier =
        Verifier::new(&bb, work.path(), dangerous::accept_development_proofs()).unwrap();
    verifier.verify(&vk, &proof).unwrap();
}

#[test]
fn a_witness_for_another_circuit_is_refused_with_bb_s_words() {
    let Some(bb) = bb() else {
        return;
    };
    let (circuit, witness) = fixture("square_small");
    let (_, wrong_witness) = fixture("poseidon_chain");
    let setup = development_setup();
    let cache = tempfile::tempdir().unwrap();
    let mut prover = Prover::new(&bb, &setup, cache.path()).unwrap();
    let err = prover
        .prove(&circuit, &wrong_witness, ProofTarget::NoirRecursive)
        .unwrap_err();
    match &err {
        ProverError::Bb(BbError::Refused { request, .. } | BbError::Died { request, .. }) => {
            assert_eq!(*request, RequestKind::Prove)
        }
        other => panic!("expected bb to refuse, got {other}"),
    }
    assert!(err.to_string().contains("prove"), "{err}");
    eprintln!("refused: {err}");
    // The prover is still usable.
    prover
        .prove(&circuit, &witness, ProofTarget::NoirRecursive)
        .unwrap();
}

#[test]
fn a_key_from_one_setup_does_not_verify_a_proof_from_another() {
    let (Some(bb), Some(crs)) = (bb(), ignition_513()) else {
        return;
    };
    let (circuit, witness) = fixture("square_small");
    let cache = tempfile::tempdir().unwrap();
    let real = Setup::ignition(&crs, CrsDownloads::Forbidden).unwrap();
    let mut real_prover = Prover::new(&bb, &real, cache.path()).unwrap();
    let mut dev_prover = Prover::new(&bb, &development_setup(), cache.path()).unwrap();
    let target = ProofTarget::NoirRecursive;
    let dev_proof = dev_prover.prove(&circuit, &witness, target).unwrap();
    let real_vk = real_prover.verification_key(&circuit, target).unwrap();
    let dev_vk = dev_prover.verification_key(&circuit, target).unwrap();
    // The keys differ: a key commits with its setup's points.
    assert_ne!(real_vk.as_bytes(), dev_vk.as_bytes());
    let work = tempfile::tempdir().unwrap();
    let mut verifier =
        Verifier::new(&bb, work.path(), dangerous::accept_development_proofs()).unwrap();
    assert!(matches!(
        verifier.verify(&real_vk, &dev_proof),
        Err(ProofVerifyError::SetupMismatch { .. })
    ));
    // Relabelling the development proof and key as Ignition ones sends them to stock bb, which
    // checks against Ignition's [x]_2 and rejects them at the pairing.
    let relabelled = Proof::from_bytes(
        &dev_proof.to_bytes(),
        dev_proof.public_inputs().to_vec(),
        real_vk.setup(),
        target,
    )
    .unwrap();
    let relabelled_vk =
        VerificationKey::from_parts(dev_vk.as_bytes().to_vec(), real_vk.setup(), target).unwrap();
    match verifier.verify(&relabelled_vk, &relabelled) {
        Err(ProofVerifyError::Rejected(ProofRejection::CheckFailed)) => {}
        other => panic!("expected stock bb to reject a development proof, got {other:?}"),
    }
}

#[test]
fn a_development_crs_grown_for_a_bigger_circuit_restarts_bb_on_the_new_points() {
    let Some(bb) = bb() else {
        return;
    };
    let (small, small_witness) = fixture("square_small");
    let (big, big_witness) = fixture("poseidon_chain");
    // A fresh cache: the development CRS starts at 1,024 points.
    let cache = tempfile::tempdir().unwrap();
    let setup = dangerous::development_setup(cache.path()).unwrap();
    assert_eq!(setup.available_points().unwrap(), 1024);
    let mut prover = Prover::new(&bb, &setup, cache.path()).unwrap();
    let target = ProofTarget::NoirRecursive;
    let small_proof = prover.prove(&small, &small_witness, target).unwrap();
    assert_eq!(prover.stats().bb_starts, 1);
    let big_proof = prover.prove(&big, &big_witness, target).unwrap();
    assert_eq!(setup.available_points().unwrap(), 1 << 15);
    assert_eq!(prover.stats().bb_starts, 2);
    let work = tempfile::tempdir().unwrap();
    let mut verifier =
        Verifier::new(&bb, work.path(), dangerous::accept_development_proofs()).unwrap();
    for (circuit, proof) in [(&small, &small_proof), (&big, &big_proof)] {
        let vk = prover.verification_key(circuit, target).unwrap();
        verifier.verify(&vk, proof).unwrap();
    }
}

/// The in-process witness solver feeds the prover directly: the witness it solves from
/// `Prover.toml` is byte-identical to the one recorded with noir_js, and a proof made from it
/// carries the public inputs the solver reports.
#[test]
fn a_witness_solved_in_process_proves_and_matches_the_recorded_one() {
    let Some(bb) = bb() else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/circuits/poseidon_chain");
    let artifact = govproof::artifact::Artifact::load(&dir.join("artifact.json")).unwrap();
    let toml = std::fs::read_to_string(dir.join("Prover.toml")).unwrap();
    let inputs = govproof::abi::Inputs::from_toml(artifact.abi(), &toml).unwrap();
    let solved = govproof::witness::execute(&artifact, &inputs).unwrap();
    let (circuit, recorded) = fixture("poseidon_chain");
    assert_eq!(solved.msgpack(), recorded.as_bytes());

    let circuit_from_artifact =
        CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec()).unwrap();
    assert_eq!(circuit_from_artifact.hash(), circuit.hash());
    let witness = WitnessStack::from_msgpack(solved.msgpack().to_vec()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut prover = Prover::new(&bb, &development_setup(), cache.path()).unwrap();
    let proof = prover
        .prove(&circuit_from_artifact, &witness, ProofTarget::NoirRecursive)
        .unwrap();
    assert_eq!(proof.public_inputs(), solved.public_inputs());
}
