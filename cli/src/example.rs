//! `govproof example`: a check of the toolchain end to end on the project's small example circuit
//! (`circuits/hello_gate`): install the toolchain if needed, solve the witness in-process, prove
//! with a warm bb, verify, and show that a tampered public input is rejected.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use govproof::abi::{InputValue, Inputs};
use govproof::artifact::Artifact;
use govproof::field::Field;
use govproof::hash::poseidon2_permutation;
use govproof::prover::{CircuitBytecode, Proof, ProofTarget, Prover, Verifier, WitnessStack};
use govproof::setup::{dangerous, AcceptancePolicy, CrsDownloads, Setup, SetupKind};
use govproof::toolchain::{self, InstallPolicy};

use crate::Exit;

/// Which setup the example proves with.
#[derive(Debug, Clone)]
pub enum SetupChoice {
    /// Ignition points from a folder; bb may download missing points when `downloads` allows.
    Ignition {
        /// The CRS folder.
        dir: PathBuf,
        /// Whether bb may fetch missing points.
        downloads: CrsDownloads,
    },
    /// The development setup (known tau): offline, proves nothing.
    Development,
}

/// The Ignition CRS folder in the govproof home (filled by `govproof setup --import-crs` or by bb
/// downloads).
pub fn ignition_dir(home: &Path) -> PathBuf {
    home.join("crs").join("ignition")
}

fn example_inputs(salt: Field) -> (Inputs, Field) {
    let features: [u32; 4] = [5_200, 31, 2, 18];
    let weights: [u16; 4] = [3, 120, 900, 40];
    let mut packed = Field::zero();
    let mut base = Field::one();
    for f in features {
        packed = packed + Field::from(u64::from(f)) * base;
        base = base * Field::from(1u64 << 32);
    }
    let commitment = poseidon2_permutation([salt, packed, Field::zero(), Field::zero()])[0];
    let inputs = Inputs::new()
        .with(
            "features",
            InputValue::array(features.iter().map(|&f| InputValue::from(f))),
        )
        .with(
            "weights",
            InputValue::array(weights.iter().map(|&w| InputValue::from(w))),
        )
        .with("salt", salt)
        .with("commitment", commitment)
        .with("threshold", 18_000u64);
    (inputs, commitment)
}

fn random_salt() -> anyhow::Result<Field> {
    let mut wide = [0u8; 64];
    getrandom::getrandom(&mut wide)
        .map_err(|e| anyhow::anyhow!("no randomness for the commitment salt: {e}"))?;
    Ok(Field::from_wide_bytes_reduce(&wide))
}

/// Runs the example end to end and prints what happened.
pub fn run(choice: SetupChoice, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Exit> {
    let home = toolchain::home()?;
    let installed = toolchain::ensure(&home, InstallPolicy::InstallIfMissing, &mut |m| {
        let _ = writeln!(err, "{m}");
    })?;
    let setup = match &choice {
        SetupChoice::Ignition { dir, downloads } => Setup::ignition(dir, *downloads).context(
            "no usable Ignition points: import them with `govproof setup --import-crs DIR`, \
             let bb download them (omit --offline), or run with --dev-setup",
        )?,
        SetupChoice::Development => {
            writeln!(
                out,
                "setup: DEVELOPMENT (publicly known tau; this proof demonstrates the pipeline and proves nothing)"
            )?;
            dangerous::development_setup(&home.join("setups").join("development"))?
        }
    };
    let policy = match setup.kind() {
        SetupKind::Ignition => AcceptancePolicy::ignition_only(),
        SetupKind::Development => dangerous::accept_development_proofs(),
    };

    let json = govproof::noir::embedded("hello_gate")
        .context("the example circuit `hello_gate` is not embedded in this build")?;
    let artifact = Artifact::from_json_bytes("hello_gate", json)?;
    let (inputs, commitment) = example_inputs(random_salt()?);

    let t = Instant::now();
    let solved = govproof::witness::execute(&artifact, &inputs)?;
    let witness_time = t.elapsed();
    let approved = solved.public_inputs().last().copied() == Some(Field::one());

    let circuit = CircuitBytecode::from_msgpack(artifact.bytecode_msgpack().to_vec())?;
    let witness = WitnessStack::from_msgpack(solved.msgpack().to_vec())?;
    let mut prover = Prover::new(&installed.bb(), &setup, &home.join("cache"))?;
    let stats = prover.gate_count(&circuit)?;
    let t = Instant::now();
    let vk = prover.verification_key(&circuit, ProofTarget::default())?;
    let vk_time = t.elapsed();
    let t = Instant::now();
    let proof = prover.prove(&circuit, &witness, ProofTarget::default())?;
    let prove_time = t.elapsed();

    let mut verifier = Verifier::new(&installed.bb(), &home.join("verifier"), policy)?;
    let t = Instant::now();
    verifier.verify(&vk, &proof)?;
    let verify_time = t.elapsed();

    let tampered = tamper_commitment(&proof);
    let tampered_rejected = matches!(verifier.verify(&vk, &tampered), Err(e) if e.is_rejection());

    writeln!(
        out,
        "circuit: hello_gate ({} gates, padded to {})",
        stats.gates, stats.dyadic_size
    )?;
    writeln!(out, "input commitment: {commitment}")?;
    writeln!(
        out,
        "decision (public): {}",
        if approved { "approve" } else { "decline" }
    )?;
    writeln!(
        out,
        "witness: {:.1} ms (in-process, acvm)",
        ms(witness_time)
    )?;
    writeln!(
        out,
        "verification key: {:.1} ms (cached on disk after the first run)",
        ms(vk_time)
    )?;
    writeln!(
        out,
        "proof: {} bytes, {} public inputs, {:.0} ms ({} setup, {} target)",
        proof.to_bytes().len(),
        proof.public_inputs().len(),
        ms(prove_time),
        setup.kind(),
        ProofTarget::default().name()
    )?;
    writeln!(out, "verify: valid ({:.1} ms)", ms(verify_time))?;
    writeln!(
        out,
        "tampered commitment: {}",
        if tampered_rejected {
            "rejected"
        } else {
            "ACCEPTED (this is a bug)"
        }
    )?;
    Ok(if tampered_rejected {
        Exit::Success
    } else {
        Exit::Rejected
    })
}

fn tamper_commitment(proof: &Proof) -> Proof {
    let mut inputs = proof.public_inputs().to_vec();
    if let Some(first) = inputs.first_mut() {
        *first = *first + Field::one();
    }
    proof.with_public_inputs(inputs)
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
