//! The 29 subrelations of bb 5.0.0's Ultra flavor, evaluated at the sumcheck point and batched
//! with powers of alpha.
//!
//! Subrelation indices: permutation 0-2, log-derivative lookup 3-5 (4 is not scaled by the pow
//! polynomial: it is a sum over the whole table), arithmetic 6-7, delta range 8-11, elliptic
//! 12-13, memory 14-19, non-native field 20, Poseidon2 external 21-24, internal 25-28.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field, MontFp, One};

use crate::poseidon2_constants::INTERNAL_DIAGONAL;

/// Number of subrelations.
pub(crate) const NUM_SUBRELATIONS: usize = 29;
/// Number of entities the relations read (the evaluations after the masking polynomial's).
pub(crate) const NUM_ENTITIES: usize = 41;

// bb's entity order (`UltraFlavor` `EntityId`).
const SIGMA_1: usize = 0;
const SIGMA_2: usize = 1;
const SIGMA_3: usize = 2;
const SIGMA_4: usize = 3;
const ID_1: usize = 4;
const ID_2: usize = 5;
const ID_3: usize = 6;
const ID_4: usize = 7;
const LAGRANGE_FIRST: usize = 8;
const LAGRANGE_LAST: usize = 9;
const Q_LOOKUP: usize = 10;
const TABLE_1: usize = 11;
const TABLE_2: usize = 12;
const TABLE_3: usize = 13;
const TABLE_4: usize = 14;
const Q_M: usize = 15;
const Q_R: usize = 16;
const Q_O: usize = 17;
const Q_C: usize = 18;
const Q_L: usize = 19;
const Q_4: usize = 20;
const Q_ARITH: usize = 21;
const Q_RANGE: usize = 22;
const Q_ELLIPTIC: usize = 23;
const Q_MEMORY: usize = 24;
const Q_NNF: usize = 25;
const Q_POSEIDON2_EXTERNAL: usize = 26;
const Q_POSEIDON2_INTERNAL: usize = 27;
const W_L: usize = 28;
const W_R: usize = 29;
const W_O: usize = 30;
const W_4: usize = 31;
const Z_PERM: usize = 32;
const LOOKUP_INVERSES: usize = 33;
const LOOKUP_READ_COUNTS: usize = 34;
const LOOKUP_READ_TAGS: usize = 35;
const W_L_SHIFT: usize = 36;
const W_R_SHIFT: usize = 37;
const W_O_SHIFT: usize = 38;
const W_4_SHIFT: usize = 39;
const Z_PERM_SHIFT: usize = 40;

/// `-1/2` modulo the scalar field.
const NEG_HALF: Fr =
    MontFp!("10944121435919637611123202872628637544274182200208017171849102093287904247808");
/// `-b` of Grumpkin's curve equation (`y^2 = x^3 - 17`).
const GRUMPKIN_B_NEG: u64 = 17;

/// The challenges the relations take.
pub(crate) struct RelationParameters {
    pub(crate) eta: Fr,
    pub(crate) beta: Fr,
    pub(crate) gamma: Fr,
    pub(crate) public_input_delta: Fr,
}

/// The batched relation `sum_k alpha^k R_k` at the evaluations `p`, with `pow` the pow
/// polynomial's partial evaluation.
pub(crate) fn batched(p: &[Fr; NUM_ENTITIES], rp: &RelationParameters, alpha: Fr, pow: Fr) -> Fr {
    let e = subrelations(p, rp, pow);
    let mut acc = e[0];
    let mut a = Fr::one();
    for x in &e[1..] {
        a *= alpha;
        acc += *x * a;
    }
    acc
}

/// Each subrelation's value (already scaled by `pow` where bb scales it).
pub(crate) fn subrelations(
    p: &[Fr; NUM_ENTITIES],
    rp: &RelationParameters,
    pow: Fr,
) -> [Fr; NUM_SUBRELATIONS] {
    let mut ev = [Fr::from(0u64); NUM_SUBRELATIONS];
    let one = Fr::one();
    let two = Fr::from(2u64);
    let three = Fr::from(3u64);

    // Arithmetic (6, 7).
    let q_arith = p[Q_ARITH];
    let mut acc = (q_arith - three) * (p[Q_M] * p[W_R] * p[W_L]) * NEG_HALF;
    acc += p[Q_L] * p[W_L] + p[Q_R] * p[W_R] + p[Q_O] * p[W_O] + p[Q_4] * p[W_4] + p[Q_C];
    acc += (q_arith - one) * p[W_4_SHIFT];
    ev[6] = acc * q_arith * pow;
    ev[7] = (p[W_L] + p[W_4] - p[W_L_SHIFT] + p[Q_M])
        * (q_arith - two)
        * (q_arith - one)
        * q_arith
        * pow;

    // Permutation (0, 1, 2).
    let (beta, gamma) = (rp.beta, rp.gamma);
    let num = (p[W_L] + p[ID_1] * beta + gamma)
        * (p[W_R] + p[ID_2] * beta + gamma)
        * (p[W_O] + p[ID_3] * beta + gamma)
        * (p[W_4] + p[ID_4] * beta + gamma);
    let den = (p[W_L] + p[SIGMA_1] * beta + gamma)
        * (p[W_R] + p[SIGMA_2] * beta + gamma)
        * (p[W_O] + p[SIGMA_3] * beta + gamma)
        * (p[W_4] + p[SIGMA_4] * beta + gamma);
    ev[0] = ((p[Z_PERM] + p[LAGRANGE_FIRST]) * num
        - (p[Z_PERM_SHIFT] + p[LAGRANGE_LAST] * rp.public_input_delta) * den)
        * pow;
    ev[1] = p[LAGRANGE_LAST] * p[Z_PERM_SHIFT] * pow;
    ev[2] = p[LAGRANGE_FIRST] * p[Z_PERM] * pow;

    // Log-derivative lookup (3, 4, 5).
    let beta_sqr = beta.square();
    let table = p[TABLE_1]
        + gamma
        + p[TABLE_2] * beta
        + p[TABLE_3] * beta_sqr
        + p[TABLE_4] * beta_sqr * beta;
    let lookup = (p[W_L] + gamma + p[Q_R] * p[W_L_SHIFT])
        + (p[W_R] + p[Q_M] * p[W_R_SHIFT]) * beta
        + (p[W_O] + p[Q_C] * p[W_O_SHIFT]) * beta_sqr
        + p[Q_O] * beta_sqr * beta;
    let inverse_exists = p[LOOKUP_READ_TAGS] + p[Q_LOOKUP] - p[LOOKUP_READ_TAGS] * p[Q_LOOKUP];
    ev[3] = (lookup * table * p[LOOKUP_INVERSES] - inverse_exists) * pow;
    ev[4] = p[Q_LOOKUP] * p[LOOKUP_INVERSES] * table
        - p[LOOKUP_READ_COUNTS] * p[LOOKUP_INVERSES] * lookup;
    let tag = p[LOOKUP_READ_TAGS];
    ev[5] = (tag * tag - tag) * pow;

    // Delta range (8..=11).
    let deltas = [
        p[W_R] - p[W_L],
        p[W_O] - p[W_R],
        p[W_4] - p[W_O],
        p[W_L_SHIFT] - p[W_4],
    ];
    for (k, d) in deltas.iter().enumerate() {
        ev[8 + k] = *d * (*d - one) * (*d - two) * (*d - three) * p[Q_RANGE] * pow;
    }

    // Elliptic (12, 13): Grumpkin point addition and doubling.
    let (x1, y1) = (p[W_R], p[W_O]);
    let (x2, y2) = (p[W_L_SHIFT], p[W_4_SHIFT]);
    let (x3, y3) = (p[W_R_SHIFT], p[W_O_SHIFT]);
    let q_sign = p[Q_L];
    let q_double = p[Q_M];
    let q_ell = p[Q_ELLIPTIC];
    let x_diff = x2 - x1;
    let y1_sqr = y1.square();
    let y1y2 = y1 * y2 * q_sign;
    let x_add = (x3 + x2 + x1) * x_diff * x_diff - y2.square() - y1_sqr + y1y2 + y1y2;
    let y_add = (y1 + y3) * x_diff + (x3 - x1) * (y2 * q_sign - y1);
    let not_double = one - q_double;
    let x_pow_4 = (y1_sqr + Fr::from(GRUMPKIN_B_NEG)) * x1;
    let x_double = (x3 + x1 + x1) * y1_sqr.double().double() - x_pow_4 * Fr::from(9u64);
    let y_double = (x1 + x1 + x1) * x1 * (x1 - x3) - (y1 + y1) * (y1 + y3);
    ev[12] = x_add * pow * q_ell * not_double + x_double * pow * q_ell * q_double;
    ev[13] = y_add * pow * q_ell * not_double + y_double * pow * q_ell * q_double;

    // Memory (14..=19).
    let eta = rp.eta;
    let eta_two = eta.square();
    let eta_three = eta_two * eta;
    let partial_record = p[W_O] * eta_three + p[W_R] * eta_two + p[W_L] * eta + p[Q_C];
    let record_check = partial_record - p[W_4];
    let index_delta = p[W_L_SHIFT] - p[W_L];
    let record_delta = p[W_4_SHIFT] - p[W_4];
    let monotonic = index_delta * (index_delta - one);
    let same_index = one - index_delta;
    let adjacent_match = same_index * record_delta;
    let q_mem = p[Q_MEMORY] * pow;
    let q_lr = p[Q_L] * p[Q_R];
    ev[15] = adjacent_match * q_lr * q_mem;
    ev[16] = monotonic * q_lr * q_mem;
    let rom = record_check * q_lr;
    let access = p[W_4] - partial_record;
    let access_check = access * (access - one);
    let next_access =
        p[W_4_SHIFT] - (p[W_O_SHIFT] * eta_three + p[W_R_SHIFT] * eta_two + p[W_L_SHIFT] * eta);
    let value_delta = p[W_O_SHIFT] - p[W_O];
    let read_match = same_index * value_delta * (one - next_access);
    let next_access_boolean = next_access * next_access - next_access;
    ev[17] = read_match * p[Q_O] * q_mem;
    ev[18] = monotonic * p[Q_O] * q_mem;
    ev[19] = next_access_boolean * p[Q_O] * q_mem;
    let ram = access_check * p[Q_O];
    let timestamp = same_index * (p[W_R_SHIFT] - p[W_R]) - p[W_O];
    let memory = rom + timestamp * (p[Q_4] * p[Q_L]) + record_check * (p[Q_M] * p[Q_L]) + ram;
    ev[14] = memory * q_mem;

    // Non-native field (20).
    let limb_size = Fr::from(1u128 << 68);
    let sublimb = Fr::from(1u64 << 14);
    let mut subproduct = p[W_L] * p[W_R_SHIFT] + p[W_L_SHIFT] * p[W_R];
    let gate_2 = ((p[W_L] * p[W_4] + p[W_R] * p[W_O] - p[W_O_SHIFT]) * limb_size - p[W_4_SHIFT]
        + subproduct)
        * p[Q_4];
    subproduct = subproduct * limb_size + p[W_L_SHIFT] * p[W_R_SHIFT];
    let gate_1 = (subproduct - (p[W_O] + p[W_4])) * p[Q_O];
    let gate_3 = (subproduct + p[W_4] - (p[W_O_SHIFT] + p[W_4_SHIFT])) * p[Q_M];
    let nnf = (gate_1 + gate_2 + gate_3) * p[Q_R];
    let limb_acc_1 = ((((p[W_R_SHIFT] * sublimb + p[W_L_SHIFT]) * sublimb + p[W_O]) * sublimb
        + p[W_R])
        * sublimb
        + p[W_L]
        - p[W_4])
        * p[Q_4];
    let limb_acc_2 =
        ((((p[W_O_SHIFT] * sublimb + p[W_R_SHIFT]) * sublimb + p[W_L_SHIFT]) * sublimb + p[W_4])
            * sublimb
            + p[W_O]
            - p[W_4_SHIFT])
            * p[Q_M];
    ev[20] = (nnf + (limb_acc_1 + limb_acc_2) * p[Q_O]) * p[Q_NNF] * pow;

    // Poseidon2 external round (21..=24).
    let pow5 = |x: Fr| {
        let s = x.square();
        s.square() * x
    };
    let u = [
        pow5(p[W_L] + p[Q_L]),
        pow5(p[W_R] + p[Q_R]),
        pow5(p[W_O] + p[Q_O]),
        pow5(p[W_4] + p[Q_4]),
    ];
    let t0 = u[0] + u[1];
    let t1 = u[2] + u[3];
    let t2 = u[1].double() + t1;
    let t3 = u[3].double() + t0;
    let v4 = t1.double().double() + t3;
    let v2 = t0.double().double() + t2;
    let v1 = t3 + v2;
    let v3 = t2 + v4;
    let shifts = [p[W_L_SHIFT], p[W_R_SHIFT], p[W_O_SHIFT], p[W_4_SHIFT]];
    let q_ext = p[Q_POSEIDON2_EXTERNAL] * pow;
    for (k, v) in [v1, v2, v3, v4].iter().enumerate() {
        ev[21 + k] = q_ext * (*v - shifts[k]);
    }

    // Poseidon2 internal round (25..=28).
    let u = [pow5(p[W_L] + p[Q_L]), p[W_R], p[W_O], p[W_4]];
    let u_sum = u[0] + u[1] + u[2] + u[3];
    let q_int = p[Q_POSEIDON2_INTERNAL] * pow;
    for k in 0..4 {
        ev[25 + k] = q_int * (u[k] * INTERNAL_DIAGONAL[k] + u_sum - shifts[k]);
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neg_half_is_minus_one_half() {
        assert_eq!(NEG_HALF.double(), -Fr::one());
    }
}
