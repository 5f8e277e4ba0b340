//! bb's Fiat-Shamir transcript: each challenge is the hash of the previous challenge followed by
//! the data sent since, reduced into the scalar field; a challenge is its low 127 bits (two are
//! drawn from one hash as its low and high parts).
//!
//! `noir-recursive` hashes field elements with Poseidon2 (points as their four limbs, exactly as
//! the proof carries them); `evm` hashes the 32-byte words with Keccak-256 (points as `x, y`).

use ark_bn254::Fr;
use ark_ff::Zero;
use tiny_keccak::{Hasher, Keccak};

use crate::field::{fr, fr_to_word, split_challenge, Word};
use crate::poseidon2;

/// The hash a transcript uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Poseidon2,
    Keccak,
}

/// Where a Poseidon2 transcript's hashes come from.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // the batch's eight-lane path
enum Source {
    /// Computed as the challenges are drawn.
    Live,
    /// Not computed: each challenge's new data (without the previous hash it chains from) is
    /// kept, so that many proofs' chains can be hashed together, and the challenges are zero.
    Record(Vec<Vec<Fr>>),
    /// Computed before, from the recorded segments: the hashes in order, and the next one.
    Replay(Vec<Fr>, usize),
}

/// A transcript being replayed by the verifier.
pub(crate) struct Transcript {
    hash: Hash,
    previous: Option<Fr>,
    /// Field elements absorbed since the last challenge (Poseidon2).
    elements: Vec<Fr>,
    /// Bytes absorbed since the last challenge (Keccak).
    bytes: Vec<u8>,
    source: Source,
}

impl Transcript {
    pub(crate) fn new(hash: Hash) -> Self {
        Transcript {
            hash,
            previous: None,
            elements: Vec::with_capacity(64),
            bytes: Vec::with_capacity(64 * 32),
            source: Source::Live,
        }
    }

    /// A Poseidon2 transcript that records what each hash absorbs instead of hashing it: the
    /// challenges it gives are zero, and [`Transcript::segments`] returns the record.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // the batch's eight-lane path
    pub(crate) fn recording() -> Self {
        Transcript {
            source: Source::Record(Vec::with_capacity(40)),
            ..Transcript::new(Hash::Poseidon2)
        }
    }

    /// A Poseidon2 transcript whose hashes were computed from a recording of the same data (the
    /// caller records and replays one and the same proof; a hash the recording lacks is
    /// computed).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // the batch's eight-lane path
    pub(crate) fn replaying(hashes: Vec<Fr>) -> Self {
        Transcript {
            source: Source::Replay(hashes, 0),
            ..Transcript::new(Hash::Poseidon2)
        }
    }

    /// What each hash of a recording absorbed, in order.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // the batch's eight-lane path
    pub(crate) fn segments(self) -> Vec<Vec<Fr>> {
        match self.source {
            Source::Record(segments) => segments,
            _ => Vec::new(),
        }
    }

    /// Absorbs a scalar.
    pub(crate) fn absorb_fr(&mut self, x: &Fr) {
        match self.hash {
            Hash::Poseidon2 => self.elements.push(*x),
            Hash::Keccak => self.bytes.extend_from_slice(&fr_to_word(x)),
        }
    }

    /// Absorbs words of the proof as sent. For Poseidon2 every word must be a canonical scalar,
    /// which the proof parser has already checked.
    pub(crate) fn absorb_words(&mut self, words: &[Word]) {
        match self.hash {
            Hash::Poseidon2 => self
                .elements
                .extend(words.iter().map(|w| fr(w).unwrap_or_default())),
            Hash::Keccak => {
                for w in words {
                    self.bytes.extend_from_slice(w);
                }
            }
        }
    }

    /// Hashes the previous challenge and everything absorbed since, and returns the low and high
    /// parts of the result.
    pub(crate) fn challenges(&mut self) -> (Fr, Fr) {
        // The data since the last challenge is preceded by that challenge's full hash, which
        // `challenges` leaves at the front of the buffer.
        let h = match (self.hash, &mut self.source) {
            (Hash::Poseidon2, Source::Live) => {
                let h = poseidon2::hash(&self.elements);
                self.elements.clear();
                self.elements.push(h);
                h
            }
            (Hash::Poseidon2, Source::Record(segments)) => {
                segments.push(std::mem::take(&mut self.elements));
                Fr::zero()
            }
            (Hash::Poseidon2, Source::Replay(hashes, next)) => {
                // The buffer is kept as a live transcript keeps it, so a hash the recording
                // lacks is computed here rather than assumed.
                let h = match hashes.get(*next) {
                    Some(h) => *h,
                    None => poseidon2::hash(&self.elements),
                };
                *next += 1;
                self.elements.clear();
                self.elements.push(h);
                h
            }
            (Hash::Keccak, _) => {
                let h = keccak_fr(&self.bytes);
                self.bytes.clear();
                self.bytes.extend_from_slice(&fr_to_word(&h));
                h
            }
        };
        self.previous = Some(h);
        split_challenge(&h)
    }

    /// The full hash of the previous challenge and everything absorbed since (no split).
    pub(crate) fn challenges_full(&mut self) -> Fr {
        self.challenges();
        self.state()
    }

    /// The low part of the next challenge.
    pub(crate) fn challenge(&mut self) -> Fr {
        self.challenges().0
    }

    /// The last hash output (the full value the next challenge chains from).
    pub(crate) fn state(&self) -> Fr {
        self.previous.unwrap_or_default()
    }
}

/// Keccak-256 of the bytes read as a big-endian integer, reduced modulo the scalar field.
pub(crate) fn keccak_fr(bytes: &[u8]) -> Fr {
    use ark_ff::PrimeField;
    let mut k = Keccak::v256();
    k.update(bytes);
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    Fr::from_be_bytes_mod_order(&out)
}
