//! The Solidity verifier of a pinned circuit, for on-chain verification of `evm`-target proofs
//! (`govproof export-verifier --solidity`).
//!
//! The contract is what bb's `write_solidity_verifier` writes for the circuit's `evm`
//! verification key (the pinned key, or for Ignition one computed from the embedded circuit; see
//! [`super::verify::KeyLookup`]). bb's template hard-codes Ignition's `[x]_2` in the pairing, so
//! a contract for the development setup gets that setup's `[tau]_2` substituted for it (each of
//! the four coordinates must occur exactly once), and a banner saying that such a contract
//! accepts forged proofs.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::keys::pinned;
use super::verify::KeyLookup;
use crate::prover::ProofTarget;
use crate::setup::{SetupId, CANONICAL_IGNITION_G2, G2_POINT_BYTES};

/// Why no contract could be written.
#[derive(Debug, thiserror::Error)]
pub enum SolidityError {
    /// The circuit is not pinned.
    #[error("unknown circuit `{circuit}`: known are {known}")]
    UnknownCircuit {
        /// The circuit asked for.
        circuit: String,
        /// The pinned circuits.
        known: String,
    },
    /// No key for the setup.
    #[error("{0}")]
    Key(String),
    /// bb failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    Bb {
        /// The command line.
        command: String,
        /// How it ended.
        status: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// bb's contract does not hold the Ignition `[x]_2` exactly once per coordinate.
    #[error("bb's contract does not hold Ignition's [x]_2 coordinate {0} exactly once, so the development setup's cannot be put in its place")]
    Template(usize),
    /// A file could not be used.
    #[error("cannot use `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The four coordinates of a 128-byte G2 point (`x.c0, x.c1, y.c0, y.c1`) in the order bb's
/// contract lists them (`x.c1, x.c0, y.c1, y.c0`), as `0x` + 64 hex digits.
fn contract_coordinates(g2: &[u8; G2_POINT_BYTES]) -> [String; 4] {
    let c = |i: usize| format!("0x{}", hex::encode(&g2[32 * i..32 * (i + 1)]));
    [c(1), c(0), c(3), c(2)]
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SolidityError + '_ {
    move |source| SolidityError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The Solidity verifier contract for `circuit` under `setup` (`development_g2` is the
/// development setup's `[tau]_2`, used only for a development `setup`).
pub fn solidity_verifier(
    circuit: &str,
    setup: SetupId,
    development_g2: &[u8; G2_POINT_BYTES],
    lookup: &KeyLookup<'_>,
) -> Result<String, SolidityError> {
    let pins = pinned().map_err(|e| SolidityError::Key(e.to_string()))?;
    let pin = pins
        .circuit(circuit)
        .ok_or_else(|| SolidityError::UnknownCircuit {
            circuit: circuit.to_string(),
            known: pins.ids().join(", "),
        })?;
    let (vk, _) = lookup
        .key(pin, setup, ProofTarget::Evm)
        .map_err(|(_, detail)| SolidityError::Key(detail))?;
    let bb = lookup
        .bb_path()
        .map_err(|e| SolidityError::Key(e.to_string()))?;
    let scratch = tempfile::tempdir().map_err(io(&std::env::temp_dir()))?;
    let vk_path = scratch.path().join("vk");
    let out_path = scratch.path().join("Verifier.sol");
    std::fs::write(&vk_path, vk.as_bytes()).map_err(io(&vk_path))?;
    let mut command = Command::new(&bb);
    command
        .arg("write_solidity_verifier")
        .arg("-k")
        .arg(&vk_path)
        .arg("-o")
        .arg(&out_path)
        .arg("-t")
        .arg("evm");
    let shown = format!(
        "{} write_solidity_verifier -k {} -o {} -t evm",
        bb.display(),
        vk_path.display(),
        out_path.display()
    );
    let output = command.output().map_err(|e| SolidityError::Bb {
        command: shown.clone(),
        status: "not started".to_string(),
        stderr: e.to_string(),
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String = stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" | ");
        return Err(SolidityError::Bb {
            command: shown,
            status: output.status.to_string(),
            stderr: tail,
        });
    }
    let contract = std::fs::read_to_string(&out_path).map_err(io(&out_path))?;
    match setup {
        SetupId::Ignition => Ok(contract),
        SetupId::Development(_) => {
            let mut text = contract;
            let ignition = contract_coordinates(&CANONICAL_IGNITION_G2);
            let development = contract_coordinates(development_g2);
            for (i, (from, to)) in ignition.iter().zip(&development).enumerate() {
                if text.matches(from.as_str()).count() != 1 {
                    return Err(SolidityError::Template(i));
                }
                text = text.replacen(from.as_str(), to, 1);
            }
            Ok(format!(
                "// DEVELOPMENT SETUP: this contract checks proofs against a setup whose secret is \
                 public.\n// Anyone can forge a proof it accepts. Use it on a local test chain \
                 only.\n{text}"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_listed_as_the_contract_lists_them() {
        let c = contract_coordinates(&CANONICAL_IGNITION_G2);
        assert_eq!(
            c[0],
            "0x260e01b251f6f1c7e7ff4e580791dee8ea51d87a358e038b4efe30fac09383c1"
        );
        assert_eq!(
            c[1],
            "0x0118c4d5b837bcc2bc89b5b398b5974e9f5944073b32078b7e231fec938883b0"
        );
        assert_eq!(
            c[3],
            "0x22febda3c0c0632a56475b4214e5615e11e6dd3f96e6cea2854a87d4dacc5e55"
        );
    }
}
