//! The proof layout of both targets, and the reading of points in each target's encoding.
//!
//! Sizes in 32-byte fields, with `L` sumcheck rounds and `G` fields per point:
//! `8 + (13 + L) G + 9 L + 42 + 1 + 1 + L + 4 = 56 + 10 L + (13 + L) G`.

use ark_bn254::{Fr, G1Affine};

use crate::error::{Malformed, Part, VerifyError};
use crate::field::{fq, fq_from_limbs, fr, g1, LimbError, Word};
use crate::key::MAX_LOG_N;
use crate::{Target, PAIRING_POINTS_SIZE};

/// `bytes` as 32-byte words, refused unless exactly `expected` bytes long.
pub(crate) fn sized_words(
    part: Part,
    expected: usize,
    bytes: &[u8],
) -> Result<Vec<Word>, VerifyError> {
    if bytes.len() != expected {
        return Err(Malformed::Size {
            part,
            expected,
            actual: bytes.len(),
        }
        .into());
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            let mut w = [0u8; 32];
            w.copy_from_slice(c);
            w
        })
        .collect())
}

/// Evaluations sent after sumcheck: the masking polynomial, then bb's 41 entities.
pub(crate) const NUM_EVALUATIONS: usize = 42;
/// Values of each round's univariate (degree 8 with zero knowledge).
pub(crate) const UNIVARIATE_LENGTH: usize = 9;
/// Evaluations of the SmallSubgroupIPA polynomials.
pub(crate) const LIBRA_EVALUATIONS: usize = 4;

impl Target {
    /// Fields per G1 point: 4 limbs (`x_lo, x_hi, y_lo, y_hi`) for `noir-recursive`, `x, y` for
    /// `evm`.
    pub(crate) fn fields_per_point(self) -> usize {
        match self {
            Target::NoirRecursive => 4,
            Target::Evm => 2,
        }
    }

    /// Sumcheck rounds in a proof for a circuit of `2^log_n` rows: always 25 for
    /// `noir-recursive` (padded), `log_n` for `evm`.
    pub(crate) fn rounds(self, log_n: u64) -> usize {
        match self {
            Target::NoirRecursive => MAX_LOG_N as usize,
            Target::Evm => log_n as usize,
        }
    }

    /// The size in bytes of a proof for a circuit of `2^log_n` rows (`log_n` at most 25).
    pub fn proof_size(self, log_n: u32) -> usize {
        let l = self.rounds(u64::from(log_n.min(MAX_LOG_N as u32)));
        (56 + 10 * l + (13 + l) * self.fields_per_point()) * 32
    }
}

/// Why the words of one point were refused (`k` = the word within the point).
pub(crate) enum PointError {
    NonCanonical(usize),
    Limb(usize),
    /// Off the curve; the point has this many words.
    NotOnCurve(usize),
}

impl PointError {
    /// The [`Malformed`] problem for a point whose first word is `first` in `part`.
    pub(crate) fn at(self, part: Part, first: usize) -> Malformed {
        match self {
            PointError::NonCanonical(k) => Malformed::NonCanonical {
                part,
                field: first + k,
            },
            PointError::Limb(k) => Malformed::LimbOutOfRange {
                part,
                field: first + k,
            },
            PointError::NotOnCurve(n) => Malformed::NotOnCurve {
                part,
                first,
                last: first + n - 1,
            },
        }
    }
}

/// The point encoded by `words` (4 limbs or 2 coordinates, by target).
pub(crate) fn read_point(target: Target, words: &[Word]) -> Result<G1Affine, PointError> {
    let (x, y) = match target {
        Target::NoirRecursive => {
            for (k, w) in words.iter().enumerate() {
                if fr(w).is_none() {
                    return Err(PointError::NonCanonical(k));
                }
            }
            let coordinate = |k: usize| {
                fq_from_limbs(&words[k], &words[k + 1]).map_err(|e| match e {
                    LimbError::Low => PointError::Limb(k),
                    LimbError::Value => PointError::NonCanonical(k + 1),
                })
            };
            (coordinate(0)?, coordinate(2)?)
        }
        Target::Evm => (
            fq(&words[0]).ok_or(PointError::NonCanonical(0))?,
            fq(&words[1]).ok_or(PointError::NonCanonical(1))?,
        ),
    };
    g1(x, y).ok_or(PointError::NotOnCurve(words.len()))
}

/// A proof parsed and checked against its layout: every scalar canonical, every point on the
/// curve or the identity. Word offsets are kept so the transcript can absorb exactly what was
/// sent.
#[derive(Debug, Clone)]
pub struct Proof {
    pub(crate) target: Target,
    pub(crate) words: Vec<Word>,
    pub(crate) rounds: usize,
    pub(crate) pairing_points: [Fr; PAIRING_POINTS_SIZE],
    /// masking, w1, w2, w3, read_counts, read_tags, w4, lookup_inverses, z_perm, libra_concat.
    pub(crate) witness: [G1Affine; 10],
    pub(crate) libra_sum: Fr,
    pub(crate) univariates: Vec<[Fr; UNIVARIATE_LENGTH]>,
    pub(crate) evaluations: [Fr; NUM_EVALUATIONS],
    pub(crate) libra_evaluation: Fr,
    pub(crate) libra_grand_sum: G1Affine,
    pub(crate) libra_quotient: G1Affine,
    pub(crate) fold_commitments: Vec<G1Affine>,
    pub(crate) gemini_evaluations: Vec<Fr>,
    pub(crate) libra_poly_evals: [Fr; LIBRA_EVALUATIONS],
    pub(crate) shplonk_q: G1Affine,
    pub(crate) kzg_w: G1Affine,
}

/// Indices into [`Proof::witness`].
pub(crate) mod witness {
    pub(crate) const MASKING: usize = 0;
    pub(crate) const W1: usize = 1;
    pub(crate) const W2: usize = 2;
    pub(crate) const W3: usize = 3;
    pub(crate) const READ_COUNTS: usize = 4;
    pub(crate) const READ_TAGS: usize = 5;
    pub(crate) const W4: usize = 6;
    pub(crate) const LOOKUP_INVERSES: usize = 7;
    pub(crate) const Z_PERM: usize = 8;
    pub(crate) const LIBRA_CONCAT: usize = 9;
}

struct Reader<'a> {
    target: Target,
    words: &'a [Word],
    pos: usize,
}

impl Reader<'_> {
    fn scalar(&mut self) -> Result<Fr, Malformed> {
        let i = self.pos;
        self.pos += 1;
        fr(&self.words[i]).ok_or(Malformed::NonCanonical {
            part: Part::Proof,
            field: i,
        })
    }

    fn scalars<const N: usize>(&mut self) -> Result<[Fr; N], Malformed> {
        let mut out = [Fr::from(0u64); N];
        for x in out.iter_mut() {
            *x = self.scalar()?;
        }
        Ok(out)
    }

    fn point(&mut self) -> Result<G1Affine, Malformed> {
        let g = self.target.fields_per_point();
        let first = self.pos;
        self.pos += g;
        read_point(self.target, &self.words[first..first + g]).map_err(|e| e.at(Part::Proof, first))
    }
}

impl Proof {
    /// Parses and checks a proof for `target` and a circuit of `2^log_n` rows (the key's
    /// [`crate::VerificationKey::log_circuit_size`]).
    pub fn from_bytes(target: Target, bytes: &[u8], log_n: u32) -> Result<Self, VerifyError> {
        if log_n == 0 || u64::from(log_n) > MAX_LOG_N {
            return Err(Malformed::KeyHeader {
                field: 0,
                name: "log circuit size",
                value: log_n.to_string(),
                expected: "1 to 25",
            }
            .into());
        }
        let words = sized_words(Part::Proof, target.proof_size(log_n), bytes)?;
        let rounds = target.rounds(u64::from(log_n));
        let mut r = Reader {
            target,
            words: &words,
            pos: 0,
        };
        let pairing_points = r.scalars::<PAIRING_POINTS_SIZE>()?;
        // bb's limbs of the nested pairing points: low limbs 136 bits, high limbs 120.
        for (i, x) in pairing_points.iter().enumerate() {
            let bits = if i % 2 == 0 { 136 } else { 120 };
            if ark_ff::BigInteger::num_bits(&ark_ff::PrimeField::into_bigint(*x)) > bits {
                return Err(Malformed::LimbOutOfRange {
                    part: Part::Proof,
                    field: i,
                }
                .into());
            }
        }
        let mut witness = [G1Affine::identity(); 10];
        for w in witness.iter_mut() {
            *w = r.point()?;
        }
        let libra_sum = r.scalar()?;
        let mut univariates = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            univariates.push(r.scalars::<UNIVARIATE_LENGTH>()?);
        }
        let evaluations = r.scalars::<NUM_EVALUATIONS>()?;
        let libra_evaluation = r.scalar()?;
        let libra_grand_sum = r.point()?;
        let libra_quotient = r.point()?;
        let mut fold_commitments = Vec::with_capacity(rounds.saturating_sub(1));
        for _ in 1..rounds {
            fold_commitments.push(r.point()?);
        }
        let mut gemini_evaluations = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            gemini_evaluations.push(r.scalar()?);
        }
        let libra_poly_evals = r.scalars::<LIBRA_EVALUATIONS>()?;
        let shplonk_q = r.point()?;
        let kzg_w = r.point()?;
        debug_assert_eq!(r.pos, words.len());
        Ok(Proof {
            target,
            rounds,
            pairing_points,
            witness,
            libra_sum,
            univariates,
            evaluations,
            libra_evaluation,
            libra_grand_sum,
            libra_quotient,
            fold_commitments,
            gemini_evaluations,
            libra_poly_evals,
            shplonk_q,
            kzg_w,
            words,
        })
    }

    /// The target the proof was parsed for.
    pub fn target(&self) -> Target {
        self.target
    }

    /// Word offsets of the transcript's sections, in proof order.
    pub(crate) fn sections(&self) -> Sections {
        let g = self.target.fields_per_point();
        let l = self.rounds;
        let eta_end = PAIRING_POINTS_SIZE + 4 * g; // masking, w1, w2, w3
        let beta_end = eta_end + 3 * g; // read counts, read tags, w4
        let alpha_end = beta_end + 2 * g; // lookup inverses, z_perm
        let libra_end = alpha_end + g + 1; // libra concatenation, libra sum
        let univariates_end = libra_end + UNIVARIATE_LENGTH * l;
        let rho_end = univariates_end + NUM_EVALUATIONS + 1 + 2 * g;
        let r_end = rho_end + l.saturating_sub(1) * g;
        let nu_end = r_end + l + LIBRA_EVALUATIONS;
        let z_end = nu_end + g;
        Sections {
            eta_end,
            beta_end,
            alpha_end,
            libra_end,
            univariates_end,
            rho_end,
            r_end,
            nu_end,
            z_end,
        }
    }
}

/// Where each transcript round's data ends (exclusive word offsets).
pub(crate) struct Sections {
    pub(crate) eta_end: usize,
    pub(crate) beta_end: usize,
    pub(crate) alpha_end: usize,
    pub(crate) libra_end: usize,
    pub(crate) univariates_end: usize,
    pub(crate) rho_end: usize,
    pub(crate) r_end: usize,
    pub(crate) nu_end: usize,
    pub(crate) z_end: usize,
}
