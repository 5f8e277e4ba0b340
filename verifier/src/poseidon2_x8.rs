//! Eight Poseidon2 permutations at once with AVX-512 IFMA, for checking many proofs: each lane of
//! a 512-bit register holds one proof's transcript, so the hash chains of eight proofs advance
//! together (one proof's chain is sequential: every challenge hashes the one before it).
//!
//! The arithmetic: a field element is five 52-bit limbs, limb `j` of all eight lanes in one
//! register, in Montgomery form with `R = 2^260` (`x` is held as any value `< 2^260` congruent to
//! `x R`). A product is Montgomery's operand-scanning reduction with the 52-bit multiply-adds
//! (`vpmadd52luq`/`vpmadd52huq`); nothing is reduced below `2^260` until the end, so additions are
//! plain limb additions followed by carry propagation. The bounds that make this safe are worked
//! out at each step below, in multiples of `p` (`2^260` is about `84.3 p`): the product of `a` and
//! `b` is below `p + a b / 2^260`.
//!
//! The CPU features are detected at run time through `pulp`'s safe feature tokens (this crate has
//! no `unsafe`); without them [`hash_chains`] answers `None` and the caller hashes one lane at a
//! time with [`crate::poseidon2`]. Tested lane for lane against that scalar permutation.

use core::arch::x86_64::__m512i;
use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{BigInt, BigInteger, Field, PrimeField};
use pulp::core_arch::x86::{Avx512f, Avx512ifma};

use crate::poseidon2_constants::{INTERNAL_DIAGONAL, ROUND_CONSTANTS};

pulp::simd_type!({
    /// The features the eight-lane arithmetic needs.
    struct Ifma {
        avx512f: f!("avx512f"),
        avx512vl: f!("avx512vl"),
        avx512ifma: f!("avx512ifma"),
    }
});

/// Lanes a register holds.
pub(crate) const LANES: usize = 8;
const MASK: u64 = (1 << 52) - 1;
const FULL_ROUNDS_HALF: usize = 4;
const PARTIAL_ROUNDS: usize = 56;

/// A scalar in five 52-bit limbs.
type Limbs = [u64; 5];

/// Eight field elements, limb by limb.
#[derive(Clone, Copy)]
struct Vector([__m512i; 5]);

/// The constants in limbs, Montgomery form where they are multiplied.
struct Tables {
    p: Limbs,
    /// `-p^-1 mod 2^52`.
    p_inv: u64,
    /// Round constants in Montgomery form (added to Montgomery-form values).
    round: [[Limbs; 4]; 64],
    diagonal: [Limbs; 4],
    /// `2^260 mod p`: a product with it reduces a value and keeps its element.
    reduce: Limbs,
    /// `2^264 mod p`: takes arkworks' form (`x 2^256`) to ours (`x 2^260`).
    from_ark: Limbs,
    /// `2^256 mod p`: takes ours back to arkworks'.
    to_ark: Limbs,
}

fn to_limbs(x: &BigInt<4>) -> Limbs {
    let l = x.0;
    [
        l[0] & MASK,
        ((l[0] >> 52) | (l[1] << 12)) & MASK,
        ((l[1] >> 40) | (l[2] << 24)) & MASK,
        ((l[2] >> 28) | (l[3] << 36)) & MASK,
        l[3] >> 16,
    ]
}

/// Limbs of a value below `2^256` (the caller knows it is) back to 64-bit words.
fn from_limbs(x: &Limbs) -> BigInt<4> {
    BigInt([
        x[0] | (x[1] << 52),
        (x[1] >> 12) | (x[2] << 40),
        (x[2] >> 24) | (x[3] << 28),
        (x[3] >> 36) | (x[4] << 16),
    ])
}

/// The limbs of `x 2^260 mod p`.
fn montgomery(x: Fr) -> Limbs {
    to_limbs(&(x * Fr::from(2u64).pow([260u64])).into_bigint())
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let p0 = Fr::MODULUS.0[0];
        // Newton's iteration doubles the correct low bits of the inverse each step: 1, 2, 4, ... 64.
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p0.wrapping_mul(inv)));
        }
        let two = Fr::from(2u64);
        Tables {
            p: to_limbs(&Fr::MODULUS),
            p_inv: inv.wrapping_neg() & MASK,
            round: ROUND_CONSTANTS.map(|r| r.map(montgomery)),
            diagonal: INTERNAL_DIAGONAL.map(montgomery),
            reduce: to_limbs(&two.pow([260u64]).into_bigint()),
            from_ark: to_limbs(&two.pow([264u64]).into_bigint()),
            to_ark: to_limbs(&two.pow([256u64]).into_bigint()),
        }
    })
}

/// The feature token, detected once. `GOVPROOF_VERIFY_SCALAR=1` in the environment turns the
/// eight-lane path off (to measure what it gains, or to rule it out).
fn token() -> Option<Ifma> {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    let available = AVAILABLE.get_or_init(|| {
        Ifma::try_new().is_some()
            && std::env::var_os("GOVPROOF_VERIFY_SCALAR").is_none_or(|v| v.is_empty() || v == "0")
    });
    if *available {
        Ifma::try_new()
    } else {
        None
    }
}

/// Whether this CPU runs the eight-lane permutation.
pub(crate) fn available() -> bool {
    token().is_some()
}

#[derive(Clone, Copy)]
struct Ops {
    f: Avx512f,
    m: Avx512ifma,
}

impl Ops {
    // No closures below: a closure is a function of its own, compiled without the features the
    // vectorized caller has, so every intrinsic in it would become a call.

    #[inline(always)]
    fn splat(self, x: &Limbs) -> Vector {
        let f = self.f;
        Vector([
            f._mm512_set1_epi64(x[0] as i64),
            f._mm512_set1_epi64(x[1] as i64),
            f._mm512_set1_epi64(x[2] as i64),
            f._mm512_set1_epi64(x[3] as i64),
            f._mm512_set1_epi64(x[4] as i64),
        ])
    }

    /// Limb additions; the caller normalizes before the sum is multiplied.
    #[inline(always)]
    fn add(self, a: &Vector, b: &Vector) -> Vector {
        let f = self.f;
        Vector([
            f._mm512_add_epi64(a.0[0], b.0[0]),
            f._mm512_add_epi64(a.0[1], b.0[1]),
            f._mm512_add_epi64(a.0[2], b.0[2]),
            f._mm512_add_epi64(a.0[3], b.0[3]),
            f._mm512_add_epi64(a.0[4], b.0[4]),
        ])
    }

    #[inline(always)]
    fn double(self, a: &Vector) -> Vector {
        self.add(a, a)
    }

    /// Carries every limb above 52 bits into the next; the value must be below `2^260`.
    #[inline(always)]
    fn normalize(self, a: &Vector) -> Vector {
        let mask = self.f._mm512_set1_epi64(MASK as i64);
        let mut t = a.0;
        for j in 0..4 {
            let carry = self.f._mm512_srli_epi64::<52>(t[j]);
            t[j] = self.f._mm512_and_si512(t[j], mask);
            t[j + 1] = self.f._mm512_add_epi64(t[j + 1], carry);
        }
        Vector(t)
    }

    /// `a b / 2^260 mod p`, below `p + a b / 2^260`, normalized. Both inputs normalized.
    #[inline(always)]
    fn mul(self, t: &Tables, a: &Vector, b: &Vector) -> Vector {
        let Ops { f, m } = self;
        let zero = f._mm512_setzero_si512();
        let p = self.splat(&t.p).0;
        let p_inv = f._mm512_set1_epi64(t.p_inv as i64);
        // Each accumulator takes at most 4 products of 52 bits an iteration and a carry, 21 in
        // all: below 2^57, far from 2^64.
        let mut acc = [zero; 6];
        for i in 0..5 {
            let ai = a.0[i];
            for j in 0..5 {
                acc[j] = m._mm512_madd52lo_epu64(acc[j], ai, b.0[j]);
                acc[j + 1] = m._mm512_madd52hi_epu64(acc[j + 1], ai, b.0[j]);
            }
            // q makes the low 52 bits of acc[0] zero (the multiply-add reads only those bits).
            let q = m._mm512_madd52lo_epu64(zero, acc[0], p_inv);
            for j in 0..5 {
                acc[j] = m._mm512_madd52lo_epu64(acc[j], q, p[j]);
                acc[j + 1] = m._mm512_madd52hi_epu64(acc[j + 1], q, p[j]);
            }
            let carry = f._mm512_srli_epi64::<52>(acc[0]);
            acc = [
                f._mm512_add_epi64(acc[1], carry),
                acc[2],
                acc[3],
                acc[4],
                acc[5],
                zero,
            ];
        }
        self.normalize(&Vector([acc[0], acc[1], acc[2], acc[3], acc[4]]))
    }

    #[inline(always)]
    fn sbox(self, t: &Tables, x: &Vector) -> Vector {
        let x2 = self.mul(t, x, x);
        let x4 = self.mul(t, &x2, &x2);
        self.mul(t, &x4, x)
    }

    /// barretenberg's `M_E` addition chain; every row of the matrix sums to at most 16, so
    /// inputs below `B p` give outputs below `16 B p`. Normalized.
    #[inline(always)]
    fn external(self, s: &mut [Vector; 4]) {
        let t0 = self.add(&s[0], &s[1]);
        let t1 = self.add(&s[2], &s[3]);
        let t2 = self.add(&self.double(&s[1]), &t1);
        let t3 = self.add(&self.double(&s[3]), &t0);
        let t4 = self.add(&self.double(&self.double(&t1)), &t3);
        let t5 = self.add(&self.double(&self.double(&t0)), &t2);
        let t6 = self.add(&t3, &t5);
        let t7 = self.add(&t2, &t4);
        *s = [
            self.normalize(&t6),
            self.normalize(&t5),
            self.normalize(&t7),
            self.normalize(&t4),
        ];
    }

    /// A full round: constants, the S-box on every lane, `M_E`. Over the four full rounds of
    /// either half the bound grows from `17 p` to below `25 p` (at most `s + c < 26 p`, then
    /// `x^2 < 9 p`, `x^4 < 2 p`, `x^5 < 1.6 p`, and `M_E`'s rows sum to at most 16), far below
    /// `2^260`.
    #[inline(always)]
    fn full_round(self, t: &Tables, s: &mut [Vector; 4], rc: &[Limbs; 4]) {
        for (x, c) in s.iter_mut().zip(rc.iter()) {
            let y = self.normalize(&self.add(x, &self.splat(c)));
            *x = self.sbox(t, &y);
        }
        self.external(s);
    }

    /// A partial round: the constant and S-box on lane 0, then `M_I = 1 + diag`. The sum of the
    /// lanes (below `1.6 p + 3 * 25 p < 77 p < 2^260`) is reduced by one product with
    /// `2^260 mod p` (to below `1.92 p`), so lanes stay below `p (1 + 25 / 84.3) + 1.92 p < 3.3 p`
    /// and settle near `2.2 p` instead of growing fourfold a round.
    #[inline(always)]
    fn partial_round(self, t: &Tables, s: &mut [Vector; 4], rc: &Limbs, reduce: &Vector) {
        let y = self.normalize(&self.add(&s[0], &self.splat(rc)));
        s[0] = self.sbox(t, &y);
        let sum = self.add(&self.add(&s[0], &s[1]), &self.add(&s[2], &s[3]));
        let sum = self.mul(t, &self.normalize(&sum), reduce);
        for (x, d) in s.iter_mut().zip(t.diagonal.iter()) {
            let product = self.mul(t, x, &self.splat(d));
            *x = self.normalize(&self.add(&product, &sum));
        }
    }

    #[inline(always)]
    fn permutation(self, t: &Tables, s: &mut [Vector; 4]) {
        let reduce = self.splat(&t.reduce);
        // Inputs are below 1.02 p (from arkworks' canonical form), so M_E leaves them below 17 p.
        self.external(s);
        for rc in &t.round[..FULL_ROUNDS_HALF] {
            self.full_round(t, s, rc);
        }
        for rc in &t.round[FULL_ROUNDS_HALF..FULL_ROUNDS_HALF + PARTIAL_ROUNDS] {
            self.partial_round(t, s, &rc[0], &reduce);
        }
        for rc in &t.round[FULL_ROUNDS_HALF + PARTIAL_ROUNDS..] {
            self.full_round(t, s, rc);
        }
    }
}

/// Element `i` of each lane's state in arkworks' Montgomery form (`x 2^256`, below `p`), limb by
/// limb: the registers' contents before conversion.
fn columns(states: &[[Fr; 4]; LANES], i: usize) -> [[u64; LANES]; 5] {
    let mut out = [[0u64; LANES]; 5];
    for (l, state) in states.iter().enumerate() {
        for (j, limb) in to_limbs(&state[i].0).into_iter().enumerate() {
            out[j][l] = limb;
        }
    }
    out
}

/// One lane's element from registers' contents holding arkworks' form below `2 p`.
fn element(columns: &[[u64; LANES]; 5], l: usize) -> Fr {
    let mut words = from_limbs(&[
        columns[0][l],
        columns[1][l],
        columns[2][l],
        columns[3][l],
        columns[4][l],
    ]);
    if words >= Fr::MODULUS {
        words.sub_with_borrow(&Fr::MODULUS);
    }
    ark_ff::Fp::new_unchecked(words)
}

#[inline(always)]
fn vector(c: &[[u64; LANES]; 5]) -> Vector {
    Vector([
        pulp::cast(c[0]),
        pulp::cast(c[1]),
        pulp::cast(c[2]),
        pulp::cast(c[3]),
        pulp::cast(c[4]),
    ])
}

#[inline(always)]
fn unvector(v: &Vector) -> [[u64; LANES]; 5] {
    [
        pulp::cast(v.0[0]),
        pulp::cast(v.0[1]),
        pulp::cast(v.0[2]),
        pulp::cast(v.0[3]),
        pulp::cast(v.0[4]),
    ]
}

/// The vectorized body of [`permutation_x8`]: registers in and out. A struct rather than a
/// closure, because the closure's `FnOnce` shim is a function of its own that is not always
/// inlined into pulp's feature-enabled frame, and outside it every intrinsic becomes a call.
struct Permute<'a> {
    ifma: Ifma,
    t: &'a Tables,
    input: [[[u64; LANES]; 5]; 4],
}

impl pulp::NullaryFnOnce for Permute<'_> {
    type Output = [[[u64; LANES]; 5]; 4];

    #[inline(always)]
    fn call(self) -> Self::Output {
        let Permute { ifma, t, input } = self;
        let ops = Ops {
            f: ifma.avx512f,
            m: ifma.avx512ifma,
        };
        // In: (x 2^256)(2^264) / 2^260 = x 2^260, below p + p * p / 2^260 < 1.02 p.
        let from_ark = ops.splat(&t.from_ark);
        let mut s = [
            ops.mul(t, &vector(&input[0]), &from_ark),
            ops.mul(t, &vector(&input[1]), &from_ark),
            ops.mul(t, &vector(&input[2]), &from_ark),
            ops.mul(t, &vector(&input[3]), &from_ark),
        ];
        ops.permutation(t, &mut s);
        // Out: X 2^256 / 2^260, below p + X / 84.3 < 1.4 p for the X < 26 p a permutation
        // leaves, so one subtraction of p (in `element`) makes it canonical.
        let to_ark = ops.splat(&t.to_ark);
        [
            unvector(&ops.mul(t, &s[0], &to_ark)),
            unvector(&ops.mul(t, &s[1], &to_ark)),
            unvector(&ops.mul(t, &s[2], &to_ark)),
            unvector(&ops.mul(t, &s[3], &to_ark)),
        ]
    }
}

/// Eight permutations, one a lane; `None` when the CPU lacks the features.
pub(crate) fn permutation_x8(states: [[Fr; 4]; LANES]) -> Option<[[Fr; 4]; LANES]> {
    Some(permute(token()?, states))
}

/// [`permutation_x8`] with the features' token in hand.
fn permute(ifma: Ifma, states: [[Fr; 4]; LANES]) -> [[Fr; 4]; LANES] {
    let output = ifma.vectorize(Permute {
        ifma,
        t: tables(),
        input: [0, 1, 2, 3].map(|i| columns(&states, i)),
    });
    let mut out = [[Fr::from(0u64); 4]; LANES];
    for (l, state) in out.iter_mut().enumerate() {
        for (i, x) in state.iter_mut().enumerate() {
            *x = element(&output[i], l);
        }
    }
    out
}

/// One lane's hash chain: hash `k` is barretenberg's sponge over hash `k - 1` (absent for the
/// first) followed by segment `k`, as [`crate::transcript`] chains its challenges.
struct Chain<'a> {
    segments: &'a [Vec<Fr>],
    /// The segment being hashed, and the next block of it to absorb.
    segment: usize,
    block: usize,
    state: [Fr; 4],
    hashes: Vec<Fr>,
}

impl<'a> Chain<'a> {
    fn new(segments: &'a [Vec<Fr>]) -> Self {
        let mut chain = Chain {
            segments,
            segment: 0,
            block: 0,
            state: [Fr::from(0u64); 4],
            hashes: Vec::with_capacity(segments.len()),
        };
        chain.start();
        chain
    }

    fn len(&self) -> usize {
        usize::from(self.segment > 0) + self.segments[self.segment].len()
    }

    fn start(&mut self) {
        if self.segment < self.segments.len() {
            let iv = Fr::from(self.len() as u64) * Fr::from(1u128 << 64);
            self.state = [Fr::from(0u64), Fr::from(0u64), Fr::from(0u64), iv];
            self.block = 0;
        }
    }

    fn done(&self) -> bool {
        self.segment == self.segments.len()
    }

    /// The element at position `i` of the current hash's input.
    fn element(&self, i: usize) -> Option<Fr> {
        let previous = self.hashes.last().copied().filter(|_| self.segment > 0);
        match previous {
            Some(h) if i == 0 => Some(h),
            Some(_) => self.segments[self.segment].get(i - 1).copied(),
            None => self.segments[self.segment].get(i).copied(),
        }
    }

    /// The next permutation's input (the state with the next block absorbed).
    fn input(&self) -> [Fr; 4] {
        let mut s = self.state;
        for (k, lane) in s.iter_mut().take(3).enumerate() {
            if let Some(x) = self.element(3 * self.block + k) {
                *lane += x;
            }
        }
        s
    }

    fn output(&mut self, s: [Fr; 4]) {
        self.state = s;
        self.block += 1;
        // An empty input still takes one permutation.
        if 3 * self.block >= self.len() {
            self.hashes.push(s[0]);
            self.segment += 1;
            self.start();
        }
    }
}

/// Every chain's hashes, eight chains at a time; `None` when the CPU lacks the features.
pub(crate) fn hash_chains(chains: &[Vec<Vec<Fr>>]) -> Option<Vec<Vec<Fr>>> {
    let ifma = token()?;
    let mut out = Vec::with_capacity(chains.len());
    for group in chains.chunks(LANES) {
        let mut lanes: Vec<Chain<'_>> = group.iter().map(|c| Chain::new(c)).collect();
        while lanes.iter().any(|c| !c.done()) {
            let inputs: [[Fr; 4]; LANES] = core::array::from_fn(|l| match lanes.get(l) {
                Some(c) if !c.done() => c.input(),
                _ => [Fr::from(0u64); 4],
            });
            let outputs = permute(ifma, inputs);
            for (c, s) in lanes.iter_mut().zip(outputs) {
                if !c.done() {
                    c.output(s);
                }
            }
        }
        out.extend(lanes.into_iter().map(|c| c.hashes));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poseidon2;
    use ark_ff::UniformRand;
    use ark_std::rand::{Rng, SeedableRng};

    fn rng() -> ark_std::rand::rngs::StdRng {
        ark_std::rand::rngs::StdRng::seed_from_u64(0x1f3a_8e52)
    }

    #[test]
    fn eight_lanes_match_the_scalar_permutation() {
        if !available() {
            eprintln!("this CPU has no AVX-512 IFMA: the eight-lane permutation is not used here");
            assert!(permutation_x8([[Fr::from(0u64); 4]; LANES]).is_none());
            return;
        }
        let mut rng = rng();
        let minus_one = -Fr::from(1u64);
        // Edge values (0, 1, p - 1) and random ones, mixed across lanes.
        let mut cases = vec![
            [[Fr::from(0u64); 4]; LANES],
            [[minus_one; 4]; LANES],
            core::array::from_fn(|l| [Fr::from(l as u64); 4]),
        ];
        for _ in 0..300 {
            cases.push(core::array::from_fn(|_| {
                core::array::from_fn(|_| match rng.gen_range(0..8) {
                    0 => Fr::from(0u64),
                    1 => minus_one,
                    _ => Fr::rand(&mut rng),
                })
            }));
        }
        for states in cases {
            let got = permutation_x8(states).expect("available");
            for l in 0..LANES {
                assert_eq!(got[l], poseidon2::permutation(states[l]), "lane {l}");
            }
        }
    }

    /// The scalar chain, as the transcript computes it.
    fn scalar_chain(segments: &[Vec<Fr>]) -> Vec<Fr> {
        let mut out: Vec<Fr> = Vec::new();
        for s in segments {
            let mut input: Vec<Fr> = out.last().copied().into_iter().collect();
            input.extend_from_slice(s);
            out.push(poseidon2::hash(&input));
        }
        out
    }

    #[test]
    fn chains_of_any_shape_match_the_scalar_sponge() {
        if !available() {
            assert!(hash_chains(&[vec![vec![]]]).is_none());
            return;
        }
        let mut rng = rng();
        // Chains of different lengths and segment sizes (empty ones included), more than eight
        // so that a group is partly empty.
        let chains: Vec<Vec<Vec<Fr>>> = (0..19)
            .map(|_| {
                (0..rng.gen_range(0..12))
                    .map(|_| {
                        (0..rng.gen_range(0..11))
                            .map(|_| Fr::rand(&mut rng))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let got = hash_chains(&chains).expect("available");
        assert_eq!(got.len(), chains.len());
        for (c, h) in chains.iter().zip(got.iter()) {
            assert_eq!(h, &scalar_chain(c));
        }
    }
}
