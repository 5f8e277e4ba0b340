//! The verifier's reduction of a proof to one KZG claim: the transcript, sumcheck with the final
//! relation identity, Shplemini with the SmallSubgroupIPA (Libra) claims, and the nested pairing
//! points. What is left is the pairing `e(P0, [1]_2) * e(-W, [tau]_2) == 1`, done by the caller
//! of [`reduce`] for one proof or for a batch.

use ark_bn254::{Fq, Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{batch_inversion, Field, MontFp, One, Zero};

use crate::error::{rejected, Check, Malformed, Part, VerifyError};
use crate::field::{fq_from_limbs, fr, fr_to_word, g1, g1_words, Word};
use crate::key::VerificationKey;
use crate::layout::{witness as wi, Proof, NUM_EVALUATIONS, UNIVARIATE_LENGTH};
use crate::relations::{self, RelationParameters, NUM_ENTITIES};
use crate::transcript::{Hash, Transcript};
use crate::Target;

/// `PERMUTATION_ARGUMENT_VALUE_SEPARATOR`: public inputs are placed at row `2^28 + offset`.
const PERMUTATION_SEPARATOR: u64 = 1 << 28;
/// Size of the SmallSubgroupIPA's multiplicative subgroup.
const SUBGROUP_SIZE: usize = 256;
/// A generator of that subgroup, and its inverse (bb's `SUBGROUP_GENERATOR`).
const SUBGROUP_GENERATOR: Fr =
    MontFp!("3478517300119284901893091970156912948790432420133812234316178878452092729974");
const SUBGROUP_GENERATOR_INVERSE: Fr =
    MontFp!("14607982016670611764231825270871087984049314771307170893064215224383340934614");
/// `1 / 256` in the scalar field.
const SUBGROUP_SIZE_INVERSE: Fr =
    MontFp!("21802741923121153053409505722814863857733722351976909209543133076471996743681");
/// `prod_{j != i} (i - j)` over `{0, ..., 8}`: the barycentric weights of the round univariates.
const BARYCENTRIC_DENOMINATORS: [i64; UNIVARIATE_LENGTH] =
    [40320, -5040, 1440, -720, 576, -720, 1440, -5040, 40320];
/// Entities opened at the sumcheck point unshifted (masking polynomial first), and shifted.
const NUMBER_UNSHIFTED: usize = 37;
const NUMBER_SHIFTED: usize = 5;
/// Where the to-be-shifted commitments (w1..w4, z_perm) sit among the unshifted ones (0-based).
const SHIFTED_START: usize = 29;

/// A KZG claim `e(P0, [1]_2) * e(-W, [tau]_2) == 1`, with `P0` left as the MSM it is so that a
/// batch can fold many into one.
pub(crate) struct Claim {
    pub(crate) bases: Vec<G1Affine>,
    pub(crate) scalars: Vec<Fr>,
    pub(crate) w: G1Affine,
    /// The transcript's last state: binds everything the proof sent (used to derive batch weights).
    pub(crate) binding: Fr,
    /// Where the key's commitments and the generator sit in `bases`, when they do (every claim
    /// but one with nested pairing points): a batch sums their scalars over all proofs of a key.
    pub(crate) shared: Option<SharedBases>,
}

/// Positions in a claim's bases of the key's commitments (`key..key + KEY_COMMITMENTS`, in key
/// order) and of the group generator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SharedBases {
    pub(crate) key: usize,
    pub(crate) generator: usize,
}

impl Claim {
    pub(crate) fn p0(&self) -> G1Projective {
        msm(&self.bases, &self.scalars)
    }
}

/// In the browser verifier, the crate's own MSM (`msm.rs`): a fraction of the size of arkworks'.
#[cfg(target_family = "wasm")]
pub(crate) use crate::msm::msm;

/// Natively, arkworks' MSM: as fast as the crate's own on one proof's 40 points, and about 1.4
/// times faster on a batch's thousands (256 proofs: 92 ms against 130 ms, `benches/verify.rs`).
/// `msm.rs`'s tests check that the two agree.
#[cfg(not(target_family = "wasm"))]
pub(crate) fn msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    use ark_ec::VariableBaseMSM;
    // Lengths are equal by construction; msm_unchecked takes the shorter of the two.
    G1Projective::msm_unchecked(bases, scalars)
}

struct Challenges {
    eta: Fr,
    beta: Fr,
    gamma: Fr,
    alpha: Fr,
    gates: Vec<Fr>,
    libra: Fr,
    u: Vec<Fr>,
    rho: Fr,
    gemini_r: Fr,
    nu: Fr,
    z: Fr,
    last: Fr,
}

fn transcript_hash(target: Target) -> Hash {
    match target {
        Target::NoirRecursive => Hash::Poseidon2,
        Target::Evm => Hash::Keccak,
    }
}

/// Draws every challenge of the proof from `t`. What is absorbed never depends on a challenge,
/// which is what lets a batch record the data first and hash many proofs' chains together.
fn transcript(
    vk: &VerificationKey,
    proof: &Proof,
    public_inputs: &[Fr],
    t: &mut Transcript,
) -> Challenges {
    let s = proof.sections();
    let w = &proof.words;
    t.absorb_fr(&vk.hash);
    for x in public_inputs {
        t.absorb_fr(x);
    }
    // The pairing-point fields are public inputs bb appends after the circuit's own.
    t.absorb_words(&w[..s.eta_end]);
    let eta = t.challenge();
    t.absorb_words(&w[s.eta_end..s.beta_end]);
    let (beta, gamma) = t.challenges();
    t.absorb_words(&w[s.beta_end..s.alpha_end]);
    let alpha = t.challenge();
    let mut gates = Vec::with_capacity(proof.rounds);
    let mut g = t.challenge();
    for _ in 0..proof.rounds {
        gates.push(g);
        g.square_in_place();
    }
    t.absorb_words(&w[s.alpha_end..s.libra_end]);
    let libra = t.challenge();
    let mut u = Vec::with_capacity(proof.rounds);
    for r in 0..proof.rounds {
        let start = s.libra_end + UNIVARIATE_LENGTH * r;
        t.absorb_words(&w[start..start + UNIVARIATE_LENGTH]);
        u.push(t.challenge());
    }
    t.absorb_words(&w[s.univariates_end..s.rho_end]);
    let rho = t.challenge();
    t.absorb_words(&w[s.rho_end..s.r_end]);
    let gemini_r = t.challenge();
    t.absorb_words(&w[s.r_end..s.nu_end]);
    let nu = t.challenge();
    t.absorb_words(&w[s.nu_end..s.z_end]);
    let z = t.challenge();
    Challenges {
        eta,
        beta,
        gamma,
        alpha,
        gates,
        libra,
        u,
        rho,
        gemini_r,
        nu,
        z,
        last: t.state(),
    }
}

fn inverse(x: Fr) -> Result<Fr, VerifyError> {
    x.inverse().ok_or(rejected(Check::DegenerateChallenge))
}

/// The public-input delta of the permutation argument.
fn public_input_delta(
    inputs: impl Iterator<Item = Fr>,
    beta: Fr,
    gamma: Fr,
    offset: u64,
) -> Result<Fr, VerifyError> {
    let mut num = Fr::one();
    let mut den = Fr::one();
    let mut num_acc = gamma + beta * Fr::from(PERMUTATION_SEPARATOR + offset);
    let mut den_acc = gamma - beta * Fr::from(offset + 1);
    for x in inputs {
        num *= num_acc + x;
        den *= den_acc + x;
        num_acc += beta;
        den_acc -= beta;
    }
    Ok(num * inverse(den)?)
}

/// Each round univariate (given by its values at 0..=8) evaluated at that round's challenge,
/// with one inversion for all rounds.
fn barycentric_all(univariates: &[[Fr; UNIVARIATE_LENGTH]], xs: &[Fr]) -> Vec<Fr> {
    let mut dens = Vec::with_capacity(UNIVARIATE_LENGTH * xs.len());
    let mut numerators = Vec::with_capacity(xs.len());
    let mut exact = Vec::with_capacity(xs.len());
    for x in xs {
        let mut numerator = Fr::one();
        let mut hit = None;
        for (i, d) in BARYCENTRIC_DENOMINATORS.iter().enumerate() {
            let diff = *x - Fr::from(i as u64);
            if diff.is_zero() {
                hit = Some(i);
            }
            numerator *= diff;
            // A zero stays zero through batch inversion and is not used below.
            dens.push(Fr::from(*d) * diff);
        }
        numerators.push(numerator);
        exact.push(hit);
    }
    batch_inversion(&mut dens);
    univariates
        .iter()
        .zip(dens.chunks(UNIVARIATE_LENGTH))
        .zip(numerators.iter().zip(exact.iter()))
        .map(|((values, d), (numerator, hit))| match hit {
            Some(i) => values[*i],
            None => values.iter().zip(d.iter()).map(|(v, d)| *v * d).sum::<Fr>() * numerator,
        })
        .collect()
}

fn sumcheck(proof: &Proof, c: &Challenges, rp: &RelationParameters) -> Result<(), VerifyError> {
    let mut target = c.libra * proof.libra_sum;
    let mut pow = Fr::one();
    let next_targets = barycentric_all(&proof.univariates, &c.u);
    for (r, univariate) in proof.univariates.iter().enumerate() {
        if univariate[0] + univariate[1] != target {
            return Err(rejected(Check::SumcheckRound(r)));
        }
        target = next_targets[r];
        pow *= Fr::one() + c.u[r] * (c.gates[r] - Fr::one());
    }
    let mut entities = [Fr::zero(); NUM_ENTITIES];
    entities.copy_from_slice(&proof.evaluations[1..]);
    let relation = relations::batched(&entities, rp, c.alpha, pow);
    // The first four rows are disabled: the identity holds times `1 - prod_{i >= 2} (1 - u_i)`.
    let disabled: Fr = c.u.iter().skip(2).map(|u| Fr::one() - u).product();
    let full = relation * (Fr::one() - disabled) + proof.libra_evaluation * c.libra;
    if full != target {
        return Err(rejected(Check::FinalRelation));
    }
    Ok(())
}

/// The SmallSubgroupIPA check that the Libra evaluations are consistent with the claimed sum.
fn libra_consistency(proof: &Proof, c: &Challenges) -> Result<(), VerifyError> {
    let r = c.gemini_r;
    let vanishing = r.pow([SUBGROUP_SIZE as u64]) - Fr::one();
    if vanishing.is_zero() {
        return Err(rejected(Check::LibraConsistency));
    }
    let mut lagrange = [Fr::zero(); SUBGROUP_SIZE];
    lagrange[0] = Fr::one();
    for (round, u) in c.u.iter().enumerate() {
        let start = 1 + UNIVARIATE_LENGTH * round;
        lagrange[start] = Fr::one();
        for i in start + 1..start + UNIVARIATE_LENGTH {
            lagrange[i] = lagrange[i - 1] * u;
        }
    }
    let mut dens = [Fr::zero(); SUBGROUP_SIZE];
    let mut root = Fr::one();
    for d in dens.iter_mut() {
        *d = root * r - Fr::one();
        root *= SUBGROUP_GENERATOR_INVERSE;
    }
    // r^256 != 1 so no denominator is zero.
    batch_inversion(&mut dens);
    let challenge_eval: Fr = lagrange.iter().zip(dens.iter()).map(|(l, d)| *l * d).sum();
    let numerator = vanishing * SUBGROUP_SIZE_INVERSE;
    let challenge_eval = challenge_eval * numerator;
    let lagrange_first = dens[0] * numerator;
    let lagrange_last = dens[SUBGROUP_SIZE - 1] * numerator;
    let e = &proof.libra_poly_evals;
    let diff = lagrange_first * e[2]
        + (r - SUBGROUP_GENERATOR_INVERSE) * (e[1] - e[2] - e[0] * challenge_eval)
        + lagrange_last * (e[2] - proof.libra_evaluation)
        - vanishing * e[3];
    if !diff.is_zero() {
        return Err(rejected(Check::LibraConsistency));
    }
    Ok(())
}

/// Shplemini: the batched opening of all evaluations, Gemini folds and Libra claims, as the
/// bases and scalars of `P0`.
fn shplemini(
    vk: &VerificationKey,
    proof: &Proof,
    c: &Challenges,
) -> Result<(Vec<G1Affine>, Vec<Fr>), VerifyError> {
    let l = proof.rounds;
    let mut powers = Vec::with_capacity(l);
    let mut x = c.gemini_r;
    for _ in 0..l {
        powers.push(x);
        x.square_in_place();
    }
    let size = 1 + NUMBER_UNSHIFTED + l.saturating_sub(1) + 3 + 2;
    let mut bases = Vec::with_capacity(size);
    let mut scalars = Vec::with_capacity(size);

    // Every denominator of Shplemini, inverted at once: 1/(z - r^(2^i)), 1/(z + r^(2^i)),
    // 1/(r^(2^i) (1 - u_i) + u_i), 1/r, 1/(z - g r), 1/(z - 1).
    let mut inv = Vec::with_capacity(3 * l + 3);
    inv.extend(powers.iter().map(|p| c.z - p));
    inv.extend(powers.iter().map(|p| c.z + p));
    inv.extend(
        powers
            .iter()
            .zip(c.u.iter())
            .map(|(p, u)| *p * (Fr::one() - u) + u),
    );
    inv.push(c.gemini_r);
    inv.push(c.z - SUBGROUP_GENERATOR * c.gemini_r);
    inv.push(c.z - Fr::one());
    if inv.iter().any(|x| x.is_zero()) {
        return Err(rejected(Check::DegenerateChallenge));
    }
    batch_inversion(&mut inv);
    let (pos_invs, rest) = inv.split_at(l);
    let (neg_invs, rest) = rest.split_at(l);
    let (fold_invs, rest) = rest.split_at(l);
    let (r_inv, z_minus_gr_inv, z_minus_one_inv) = (rest[0], rest[1], rest[2]);

    let pos_inv = pos_invs[0];
    let neg_inv = neg_invs[0];
    let unshifted_scalar = pos_inv + c.nu * neg_inv;
    let shifted_scalar = r_inv * (pos_inv - c.nu * neg_inv);

    bases.push(proof.shplonk_q);
    scalars.push(Fr::one());

    // Unshifted commitments in evaluation order: masking, the key's 28, then the proof's 8.
    let w = &proof.witness;
    bases.push(w[wi::MASKING]);
    bases.extend_from_slice(&vk.commitments);
    for i in [
        wi::W1,
        wi::W2,
        wi::W3,
        wi::W4,
        wi::Z_PERM,
        wi::LOOKUP_INVERSES,
        wi::READ_COUNTS,
        wi::READ_TAGS,
    ] {
        bases.push(w[i]);
    }
    let mut batching = Fr::one();
    let mut batched_eval = Fr::zero();
    for e in &proof.evaluations[..NUMBER_UNSHIFTED] {
        scalars.push(-unshifted_scalar * batching);
        batched_eval += *e * batching;
        batching *= c.rho;
    }
    for i in 0..NUMBER_SHIFTED {
        scalars[1 + SHIFTED_START + i] -= shifted_scalar * batching;
        batched_eval += proof.evaluations[NUMBER_UNSHIFTED + i] * batching;
        batching *= c.rho;
    }
    debug_assert_eq!(NUMBER_UNSHIFTED + NUMBER_SHIFTED, NUM_EVALUATIONS);

    // Gemini: the positive fold evaluations A_l(r^(2^l)), solved back from the last round.
    let a = &proof.gemini_evaluations;
    let mut fold_pos = vec![Fr::zero(); l];
    let mut acc = batched_eval;
    for i in (1..=l).rev() {
        let cp = powers[i - 1];
        let u = c.u[i - 1];
        let num = cp * acc * Fr::from(2u64) - a[i - 1] * (cp * (Fr::one() - u) - u);
        acc = num * fold_invs[i - 1];
        fold_pos[i - 1] = acc;
    }
    let mut constant = fold_pos[0] * pos_inv + a[0] * c.nu * neg_inv;
    let mut batching = c.nu.square();
    for i in 0..l.saturating_sub(1) {
        let pos = pos_invs[i + 1];
        let neg = neg_invs[i + 1];
        let scale_pos = batching * pos;
        let scale_neg = batching * c.nu * neg;
        scalars.push(-scale_neg - scale_pos);
        bases.push(proof.fold_commitments[i]);
        constant += scale_neg * a[i + 1] + scale_pos * fold_pos[i + 1];
        batching *= c.nu.square();
    }

    // SmallSubgroupIPA: five claims at {r, g r, r, 1, r} on [G], [A], [A], [A], [Q]; the value at
    // 1 is zero and not sent.
    let d0 = pos_invs[0];
    let dens = [d0, z_minus_gr_inv, d0, z_minus_one_inv, d0];
    let e = &proof.libra_poly_evals;
    let values = [e[0], e[1], e[2], Fr::zero(), e[3]];
    let mut claim_scalars = [Fr::zero(); 5];
    for k in 0..5 {
        let scale = dens[k] * batching;
        claim_scalars[k] = -scale;
        batching *= c.nu;
        constant += scale * values[k];
    }
    bases.push(w[wi::LIBRA_CONCAT]);
    scalars.push(claim_scalars[0]);
    bases.push(proof.libra_grand_sum);
    scalars.push(claim_scalars[1] + claim_scalars[2] + claim_scalars[3]);
    bases.push(proof.libra_quotient);
    scalars.push(claim_scalars[4]);

    bases.push(G1Affine::generator());
    scalars.push(constant);
    bases.push(proof.kzg_w);
    scalars.push(c.z);
    Ok((bases, scalars))
}

/// The two points of the nested pairing object, if it is not all zero (bb's default: no
/// recursive verification happened inside the circuit).
fn nested_pairing_points(proof: &Proof) -> Result<Option<(G1Affine, G1Affine)>, VerifyError> {
    let p = &proof.pairing_points;
    if p.iter().all(|x| x.is_zero()) {
        return Ok(None);
    }
    let word = |i: usize| fr_to_word(&p[i]);
    let point = |k: usize| -> Result<G1Affine, VerifyError> {
        let coordinate = |i: usize| -> Result<Fq, VerifyError> {
            fq_from_limbs(&word(i), &word(i + 1)).map_err(|_| {
                VerifyError::from(Malformed::NonCanonical {
                    part: Part::Proof,
                    field: i + 1,
                })
            })
        };
        let (x, y) = (coordinate(4 * k)?, coordinate(4 * k + 2)?);
        let pt = g1(x, y).ok_or(Malformed::NotOnCurve {
            part: Part::Proof,
            first: 4 * k,
            last: 4 * k + 3,
        })?;
        if pt.is_zero() {
            return Err(rejected(Check::NestedPairingPoints));
        }
        Ok(pt)
    };
    Ok(Some((point(0)?, point(1)?)))
}

/// Reduces a parsed proof to its KZG claim, checking everything but the pairing.
pub(crate) fn reduce(
    vk: &VerificationKey,
    proof: &Proof,
    public_inputs: &[Word],
) -> Result<Claim, VerifyError> {
    let inputs = parse_public_inputs(vk, public_inputs)?;
    let mut t = Transcript::new(transcript_hash(proof.target));
    reduce_in(vk, proof, &inputs, &mut t)
}

/// What a `noir-recursive` proof's transcript hashes, challenge by challenge, without hashing it
/// (`None` for the Keccak transcript of `evm` proofs).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // the batch's eight-lane path
pub(crate) fn transcript_segments(
    vk: &VerificationKey,
    proof: &Proof,
    inputs: &[Fr],
) -> Option<Vec<Vec<Fr>>> {
    if transcript_hash(proof.target) != Hash::Poseidon2 {
        return None;
    }
    let mut t = Transcript::recording();
    transcript(vk, proof, inputs, &mut t);
    Some(t.segments())
}

/// [`reduce`] with the transcript's hashes computed beforehand from [`transcript_segments`].
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // the batch's eight-lane path
pub(crate) fn reduce_with_hashes(
    vk: &VerificationKey,
    proof: &Proof,
    inputs: &[Fr],
    hashes: Vec<Fr>,
) -> Result<Claim, VerifyError> {
    let mut t = Transcript::replaying(hashes);
    reduce_in(vk, proof, inputs, &mut t)
}

/// The public inputs as scalars, after checking their number and that each is canonical.
pub(crate) fn parse_public_inputs(
    vk: &VerificationKey,
    public_inputs: &[Word],
) -> Result<Vec<Fr>, VerifyError> {
    let expected = vk.num_public_inputs();
    if public_inputs.len() != expected {
        return Err(Malformed::PublicInputCount {
            expected,
            actual: public_inputs.len(),
        }
        .into());
    }
    let mut inputs = Vec::with_capacity(public_inputs.len());
    for (i, w) in public_inputs.iter().enumerate() {
        inputs.push(fr(w).ok_or(Malformed::NonCanonical {
            part: Part::PublicInput,
            field: i,
        })?);
    }
    Ok(inputs)
}

fn reduce_in(
    vk: &VerificationKey,
    proof: &Proof,
    inputs: &[Fr],
    t: &mut Transcript,
) -> Result<Claim, VerifyError> {
    let c = transcript(vk, proof, inputs, t);
    let public_input_delta = public_input_delta(
        inputs.iter().chain(proof.pairing_points.iter()).copied(),
        c.beta,
        c.gamma,
        vk.pub_inputs_offset,
    )?;
    let rp = RelationParameters {
        eta: c.eta,
        beta: c.beta,
        gamma: c.gamma,
        public_input_delta,
    };
    sumcheck(proof, &c, &rp)?;
    let (mut bases, mut scalars) = shplemini(vk, proof, &c)?;
    libra_consistency(proof, &c)?;
    let mut w = proof.kzg_w;
    // shplemini's order: Q, masking, the key's commitments, ..., the generator, W.
    let mut shared = Some(SharedBases {
        key: 2,
        generator: bases.len() - 2,
    });
    debug_assert!(bases[2..2 + vk.commitments.len()] == vk.commitments[..]);
    debug_assert!(bases[bases.len() - 2] == G1Affine::generator());
    if let Some((p0_nested, p1_nested)) = nested_pairing_points(proof)? {
        shared = None;
        // Aggregate the nested claim with a separator that hashes both claims, as bb's Solidity
        // verifier does: P0' = s P0 + P0_nested, P1' = s P1 + P1_nested with P1 = -W.
        let p0 = msm(&bases, &scalars).into_affine();
        let p1 = (-proof.kzg_w.into_group()).into_affine();
        let mut t = Transcript::new(transcript_hash(proof.target));
        for pt in [p0_nested, p1_nested, p0, p1] {
            let (x, y) = g1_words(&pt);
            match proof.target {
                Target::Evm => t.absorb_words(&[x, y]),
                Target::NoirRecursive => {
                    for coordinate in [x, y] {
                        let (lo, hi) = split_limbs(&coordinate);
                        t.absorb_words(&[lo, hi]);
                    }
                }
            }
        }
        let s = t.challenges_full();
        bases = vec![p0, p0_nested];
        scalars = vec![s, Fr::one()];
        // -W' = s P1 + P1_nested, so W' = s W - P1_nested.
        w = (msm(&[proof.kzg_w], &[s]) - p1_nested.into_group()).into_affine();
    }
    Ok(Claim {
        bases,
        scalars,
        w,
        binding: c.last,
        shared,
    })
}

/// A base-field coordinate as bb's two limbs: the low 136 bits and the rest.
fn split_limbs(w: &Word) -> (Word, Word) {
    let mut lo = [0u8; 32];
    let mut hi = [0u8; 32];
    // 136 bits = the last 17 bytes.
    lo[15..].copy_from_slice(&w[15..]);
    hi[17..].copy_from_slice(&w[..15]);
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subgroup_generator_has_order_256_and_its_inverse_is_right() {
        assert_eq!(SUBGROUP_GENERATOR * SUBGROUP_GENERATOR_INVERSE, Fr::one());
        assert_eq!(SUBGROUP_GENERATOR.pow([256u64]), Fr::one());
        assert_ne!(SUBGROUP_GENERATOR.pow([128u64]), Fr::one());
        assert_eq!(SUBGROUP_SIZE_INVERSE * Fr::from(256u64), Fr::one());
    }

    #[test]
    fn barycentric_weights_are_the_products_of_differences() {
        for (i, d) in BARYCENTRIC_DENOMINATORS.iter().enumerate() {
            let expected: i64 = (0..9i64)
                .filter(|j| *j != i as i64)
                .map(|j| i as i64 - j)
                .product();
            assert_eq!(*d, expected);
        }
        // A degree-8 polynomial through its values at 0..=8 is recovered anywhere.
        let f = |x: Fr| x.pow([8u64]) + Fr::from(3u64) * x + Fr::one();
        let values = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(|i| f(Fr::from(i as u64)));
        let x = Fr::from(123_456_789u64);
        let at = barycentric_all(&[values, values], &[x, Fr::from(4u64)]);
        assert_eq!(at, vec![f(x), values[4]]);
    }
}
