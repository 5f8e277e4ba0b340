//! bb's verification key, parsed and checked once: header, 28 precomputed commitments, and the key
//! hash the transcript starts from.

use ark_bn254::{Fr, G1Affine};

use crate::error::{Malformed, Part, VerifyError};
use crate::field::{fr, limbs, Word};
use crate::layout::{read_point, sized_words};
use crate::poseidon2;
use crate::transcript::keccak_fr;
use crate::{Target, PAIRING_POINTS_SIZE};

/// Number of precomputed commitments in a key.
pub(crate) const KEY_COMMITMENTS: usize = 28;
/// Header fields: log circuit size, number of public inputs (with the pairing fields), offset.
const HEADER: usize = 3;
/// The largest circuit bb 5.0.0's proofs are padded for: `CONST_PROOF_SIZE_LOG_N`.
pub(crate) const MAX_LOG_N: u64 = 25;
/// Upper bound on the public inputs and offset a key may declare (a sanity bound well above any
/// circuit bb can prove, so lengths derived from it cannot overflow).
const MAX_HEADER_VALUE: u64 = 1 << 32;

/// A verification key for one circuit and one target, as bb 5.0.0 writes it (`bb write_vk`),
/// parsed and checked: every field canonical, every commitment on the curve or the identity
/// `(0, 0)` (bb writes unused selectors and tables so), a header within bb's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    pub(crate) target: Target,
    pub(crate) log_n: u64,
    /// Public inputs including the 8 pairing-point fields.
    pub(crate) num_public_inputs: u64,
    pub(crate) pub_inputs_offset: u64,
    pub(crate) commitments: [G1Affine; KEY_COMMITMENTS],
    pub(crate) hash: Fr,
}

impl VerificationKey {
    /// The key's size in bytes for a target: 3,680 for `noir-recursive`, 1,888 for `evm`.
    pub fn size(target: Target) -> usize {
        (HEADER + KEY_COMMITMENTS * target.fields_per_point()) * 32
    }

    /// Parses and checks a key for `target` from bb's bytes.
    pub fn from_bytes(target: Target, bytes: &[u8]) -> Result<Self, VerifyError> {
        let words = sized_words(Part::Key, Self::size(target), bytes)?;
        let header = |i: usize, name: &'static str, ok: fn(u64) -> bool, expected: &'static str| {
            let l = limbs(&words[i]);
            let small = l[1] == 0 && l[2] == 0 && l[3] == 0;
            if small && ok(l[0]) {
                Ok(l[0])
            } else {
                Err(Malformed::KeyHeader {
                    field: i,
                    name,
                    value: if small {
                        l[0].to_string()
                    } else {
                        format!("0x{}", hex_word(&words[i]))
                    },
                    expected,
                })
            }
        };
        let log_n = header(
            0,
            "log circuit size",
            |v| (1..=MAX_LOG_N).contains(&v),
            "1 to 25",
        )?;
        let num_public_inputs = header(
            1,
            "number of public inputs",
            |v| (PAIRING_POINTS_SIZE as u64..MAX_HEADER_VALUE).contains(&v),
            "at least 8 (the pairing-point fields) and below 2^32",
        )?;
        let pub_inputs_offset = header(
            2,
            "public-input offset",
            |v| v < MAX_HEADER_VALUE,
            "below 2^32",
        )?;
        let mut commitments = [G1Affine::identity(); KEY_COMMITMENTS];
        let g = target.fields_per_point();
        for (i, c) in commitments.iter_mut().enumerate() {
            let first = HEADER + g * i;
            *c =
                read_point(target, &words[first..first + g]).map_err(|e| e.at(Part::Key, first))?;
        }
        let hash = match target {
            Target::NoirRecursive => {
                // Every key field is a scalar here (the points travel as limbs).
                let mut elements = Vec::with_capacity(words.len());
                for (i, w) in words.iter().enumerate() {
                    elements.push(fr(w).ok_or(Malformed::NonCanonical {
                        part: Part::Key,
                        field: i,
                    })?);
                }
                poseidon2::hash(&elements)
            }
            Target::Evm => keccak_fr(bytes),
        };
        Ok(VerificationKey {
            target,
            log_n,
            num_public_inputs,
            pub_inputs_offset,
            commitments,
            hash,
        })
    }

    /// The target the key is for.
    pub fn target(&self) -> Target {
        self.target
    }

    /// `log2` of the circuit size.
    pub fn log_circuit_size(&self) -> u32 {
        // At most 25 by construction.
        self.log_n as u32
    }

    /// Public inputs a proof for this key takes (the circuit's own, without the 8 pairing-point
    /// fields bb appends).
    pub fn num_public_inputs(&self) -> usize {
        (self.num_public_inputs as usize).saturating_sub(PAIRING_POINTS_SIZE)
    }

    /// The key hash the transcript starts from, as a big-endian word (bb's `vk_hash`).
    pub fn hash(&self) -> [u8; 32] {
        crate::field::fr_to_word(&self.hash)
    }
}

fn hex_word(w: &Word) -> String {
    w.iter().map(|b| format!("{b:02x}")).collect()
}
