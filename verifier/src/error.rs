//! What can go wrong, in bb's two kinds of answer: input that is refused before any check runs
//! ([`VerifyError::Malformed`]), and a well-formed proof that does not verify
//! ([`VerifyError::Rejected`]).

use std::fmt;

/// Which input a [`Malformed`] problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Part {
    /// The proof bytes.
    Proof,
    /// The verification key bytes.
    Key,
    /// The public inputs given by the caller.
    PublicInput,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Proof => "proof",
            Part::Key => "key",
            Part::PublicInput => "public input",
        })
    }
}

/// Why an input was refused before verification (bb answers these with an error, not `false`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The input has the wrong length.
    #[error("{part} is {actual} bytes, expected {expected}")]
    Size {
        /// The input.
        part: Part,
        /// The length its layout requires.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A field element at or above its modulus (the scalar field for scalars and limbs, the base
    /// field for the coordinates of the `evm` layout).
    #[error("non-canonical field element at {part} field {field}")]
    NonCanonical {
        /// The input.
        part: Part,
        /// The index of the 32-byte field.
        field: usize,
    },
    /// A coordinate limb wider than bb's encoding allows (low limbs hold 136 bits).
    #[error("limb out of range at {part} field {field}")]
    LimbOutOfRange {
        /// The input.
        part: Part,
        /// The index of the 32-byte field.
        field: usize,
    },
    /// A point that is neither on the curve nor the identity `(0, 0)`.
    #[error("point at {part} fields {first}..{last} is not on the curve")]
    NotOnCurve {
        /// The input.
        part: Part,
        /// The first field of the point.
        first: usize,
        /// The last field of the point (inclusive).
        last: usize,
    },
    /// A key header value outside what bb produces.
    #[error("key field {field} ({name}) is `{value}`, expected {expected}")]
    KeyHeader {
        /// The index of the field.
        field: usize,
        /// What the field means.
        name: &'static str,
        /// The value found (hex when it does not fit 64 bits).
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The caller gave a different number of public inputs than the key declares.
    #[error("the key expects {expected} public inputs, got {actual}")]
    PublicInputCount {
        /// Public inputs the key declares (without the 8 pairing-point fields).
        expected: usize,
        /// Public inputs given.
        actual: usize,
    },
    /// A proof parsed for one target given with a key for the other.
    #[error("the proof is for `{proof}` and the key for `{key}`")]
    TargetMismatch {
        /// The key's target.
        key: crate::Target,
        /// The proof's target.
        proof: crate::Target,
    },
    /// The G2 point given for the pairing is not a valid `[tau]_2`.
    #[error("the setup's G2 point is {0}")]
    G2(&'static str),
}

/// A check of the protocol that a well-formed proof failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// Sumcheck round `i` (0-based): `S_i(0) + S_i(1)` differs from the running target.
    SumcheckRound(usize),
    /// The relation identity at the sumcheck point (all 29 subrelations and the Libra term).
    FinalRelation,
    /// The SmallSubgroupIPA consistency of the Libra evaluations.
    LibraConsistency,
    /// A Shplemini challenge fell on a pole (a division by zero; negligible for honest proofs).
    DegenerateChallenge,
    /// The nested pairing points carried in the public inputs are the identity.
    NestedPairingPoints,
    /// The final KZG pairing `e(P0, [1]_2) * e(-W, [tau]_2) == 1`.
    Pairing,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::SumcheckRound(i) => write!(f, "sumcheck round {i}"),
            Check::FinalRelation => f.write_str("final relation"),
            Check::LibraConsistency => f.write_str("libra consistency"),
            Check::DegenerateChallenge => f.write_str("degenerate shplemini challenge"),
            Check::NestedPairingPoints => f.write_str("nested pairing points"),
            Check::Pairing => f.write_str("pairing"),
        }
    }
}

/// The answer of [`crate::verify`] when the proof is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The input was refused before any check: wrong size, a value out of range, a point off the
    /// curve, a key that does not match the target.
    #[error("{reason}")]
    Malformed {
        /// What was wrong.
        reason: Malformed,
    },
    /// The input is well formed but the proof does not verify.
    #[error("proof does not verify: {check} check failed")]
    Rejected {
        /// The first check that failed.
        check: Check,
    },
}

impl VerifyError {
    /// True for a proof that was parsed and then failed a check (bb's `false`), false for input
    /// that was refused (bb's error).
    pub fn is_rejection(&self) -> bool {
        matches!(self, VerifyError::Rejected { .. })
    }
}

impl From<Malformed> for VerifyError {
    fn from(reason: Malformed) -> Self {
        VerifyError::Malformed { reason }
    }
}

pub(crate) fn rejected(check: Check) -> VerifyError {
    VerifyError::Rejected { check }
}

/// The answer of [`crate::verify_batch`] when some item is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError {
    failures: Vec<(usize, VerifyError)>,
}

impl BatchError {
    pub(crate) fn new(failures: Vec<(usize, VerifyError)>) -> Self {
        BatchError { failures }
    }

    /// Each failing item's index in the batch and its own answer, in batch order.
    pub fn failures(&self) -> &[(usize, VerifyError)] {
        &self.failures
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failures.first() {
            None => f.write_str("the batch does not verify"),
            Some((index, error)) => write!(
                f,
                "{} of the batch's proofs do not verify, the first is item {index}: {error}",
                self.failures.len()
            ),
        }
    }
}

impl std::error::Error for BatchError {}
