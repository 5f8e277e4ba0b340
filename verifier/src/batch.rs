//! Many proofs checked with one pairing: each proof is reduced to its KZG claim
//! `e(P0_i, [1]_2) e(-W_i, [tau]_2) == 1` (every other check is made per proof), and the claims
//! are combined with random weights `r_i` into `e(sum r_i P0_i, [1]_2) e(-sum r_i W_i, [tau]_2)
//! == 1`. A false claim survives the combination only with probability about 2^-128 over the
//! weights, which are derived from a caller's secret seed and every claim, so a prover cannot
//! aim at them. When the combined pairing fails, each claim is paired on its own to name the
//! failing proofs.

use std::collections::HashMap;

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{PrimeField, Zero};

use crate::error::{rejected, BatchError, Check, VerifyError};
use crate::field::{fr_to_word, g1_words};
use crate::key::VerificationKey;
use crate::layout::Proof;
use crate::pairing::G2Point;
use crate::protocol::{msm, reduce, Claim};
use crate::transcript::keccak_fr;

/// One proof of a batch: its key, its bytes and its public inputs (as for [`crate::verify`]).
pub type BatchItem<'a> = (&'a VerificationKey, &'a [u8], &'a [[u8; 32]]);

/// Verifies many proofs against one setup with one combined pairing.
///
/// `rng_seed` must be unpredictable to whoever made the proofs (32 bytes from the operating
/// system's generator); the weights are derived from it and from every proof's claim. Returns
/// every failing item with its own answer.
pub fn verify_batch(
    items: &[BatchItem<'_>],
    g2: &G2Point,
    rng_seed: [u8; 32],
) -> Result<(), BatchError> {
    let results = reduce_all(items);
    let mut failures = Vec::new();
    let mut claims = Vec::with_capacity(items.len());
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(c) => claims.push((i, c)),
            Err(e) => failures.push((i, e)),
        }
    }
    if !claims.is_empty() && !combined_holds(items, &claims, g2, &rng_seed) {
        for (i, c) in &claims {
            if !g2.kzg_holds(c.p0().into_affine(), c.w) {
                failures.push((*i, rejected(Check::Pairing)));
            }
        }
        failures.sort_by_key(|(i, _)| *i);
        if failures.is_empty() {
            // Each claim holds, so the combination does too except with negligible chance; a
            // failure here means a weight was degenerate. Report it rather than accept.
            failures.push((claims[0].0, rejected(Check::Pairing)));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(BatchError::new(failures))
    }
}

fn reduce_one(item: &BatchItem<'_>) -> Result<Claim, VerifyError> {
    let (key, bytes, inputs) = *item;
    let proof = Proof::from_bytes(key.target(), bytes, key.log_circuit_size())?;
    reduce(key, &proof, inputs)
}

/// Reduces the items of one thread: eight at a time with their Poseidon2 transcripts hashed
/// together where the CPU can (AVX-512 IFMA), one by one otherwise. The answers are the same
/// either way: only where the hashes are computed changes.
fn reduce_part(items: &[BatchItem<'_>]) -> Vec<Result<Claim, VerifyError>> {
    #[cfg(target_arch = "x86_64")]
    if crate::poseidon2_x8::available() {
        return items
            .chunks(crate::poseidon2_x8::LANES)
            .flat_map(reduce_lanes)
            .collect();
    }
    items.iter().map(reduce_one).collect()
}

/// Up to eight items, their transcripts' hash chains computed together.
#[cfg(target_arch = "x86_64")]
fn reduce_lanes(items: &[BatchItem<'_>]) -> Vec<Result<Claim, VerifyError>> {
    use crate::protocol::{parse_public_inputs, reduce_with_hashes, transcript_segments};
    let parsed: Vec<Result<(Proof, Vec<Fr>), VerifyError>> = items
        .iter()
        .map(|(key, bytes, inputs)| {
            let proof = Proof::from_bytes(key.target(), bytes, key.log_circuit_size())?;
            let inputs = parse_public_inputs(key, inputs)?;
            Ok((proof, inputs))
        })
        .collect();
    // Which chain each item's transcript is (none for a malformed item or a Keccak transcript).
    let mut chains = Vec::with_capacity(items.len());
    let mut chain_of = Vec::with_capacity(items.len());
    for ((key, _, _), p) in items.iter().zip(parsed.iter()) {
        let segments = p
            .as_ref()
            .ok()
            .and_then(|(proof, inputs)| transcript_segments(key, proof, inputs));
        chain_of.push(segments.map(|s| {
            chains.push(s);
            chains.len() - 1
        }));
    }
    let mut hashes = crate::poseidon2_x8::hash_chains(&chains).unwrap_or_default();
    items
        .iter()
        .zip(parsed)
        .zip(chain_of)
        .map(|((item, p), chain)| {
            let (key, _, raw_inputs) = *item;
            let (proof, inputs) = p?;
            match chain.and_then(|k| hashes.get_mut(k)) {
                Some(h) => reduce_with_hashes(key, &proof, &inputs, std::mem::take(h)),
                None => reduce(key, &proof, raw_inputs),
            }
        })
        .collect()
}

/// Reduces every item, on all cores where threads exist.
fn reduce_all(items: &[BatchItem<'_>]) -> Vec<Result<Claim, VerifyError>> {
    #[cfg(not(target_family = "wasm"))]
    {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(items.len().max(1));
        if threads > 1 {
            let chunk = items.len().div_ceil(threads);
            let mut out: Vec<Result<Claim, VerifyError>> = Vec::with_capacity(items.len());
            let parts: Vec<Vec<Result<Claim, VerifyError>>> = std::thread::scope(|s| {
                let handles: Vec<_> = items
                    .chunks(chunk)
                    .map(|part| s.spawn(move || reduce_part(part)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_default())
                    .collect()
            });
            for p in parts {
                out.extend(p);
            }
            if out.len() == items.len() {
                return out;
            }
            // A worker died (it cannot: reduction does not panic); redo the work here.
        }
    }
    reduce_part(items)
}

/// The weights: the low 128 bits of Keccak-256 over the seed, the item's index, its transcript
/// binding and its `W`.
fn weight(seed: &[u8; 32], index: usize, claim: &Claim) -> Fr {
    let mut data = Vec::with_capacity(32 + 8 + 32 + 64);
    data.extend_from_slice(seed);
    data.extend_from_slice(&(index as u64).to_be_bytes());
    data.extend_from_slice(&fr_to_word(&claim.binding));
    let (x, y) = g1_words(&claim.w);
    data.extend_from_slice(&x);
    data.extend_from_slice(&y);
    let h = keccak_fr(&data).into_bigint().0;
    Fr::from(u128::from(h[0]) | (u128::from(h[1]) << 64))
}

/// The combined check. Every claim's terms enter one MSM with the claim's weight, except the
/// terms all claims of a key share (the key's commitments) or all claims share (the generator):
/// their weighted scalars are summed first, so a batch of `n` proofs of one circuit has
/// `n (67 - 29) + 29` terms instead of `67 n`.
fn combined_holds(
    items: &[BatchItem<'_>],
    claims: &[(usize, Claim)],
    g2: &G2Point,
    seed: &[u8; 32],
) -> bool {
    let total: usize = claims.iter().map(|(_, c)| c.bases.len()).sum();
    let mut bases: Vec<G1Affine> = Vec::with_capacity(total);
    let mut scalars: Vec<Fr> = Vec::with_capacity(total);
    let mut w_bases = Vec::with_capacity(claims.len());
    let mut w_scalars = Vec::with_capacity(claims.len());
    // Per distinct key (by address: the same key object), the summed scalars of its commitments.
    let mut keys: Vec<(&VerificationKey, Vec<Fr>)> = Vec::new();
    let mut key_slot: HashMap<*const VerificationKey, usize> = HashMap::new();
    let mut generator = Fr::zero();
    for (i, c) in claims {
        let r = weight(seed, *i, c);
        if r.is_zero() {
            return false;
        }
        w_bases.push(c.w);
        w_scalars.push(r);
        let Some(shared) = c.shared else {
            bases.extend_from_slice(&c.bases);
            scalars.extend(c.scalars.iter().map(|s| *s * r));
            continue;
        };
        let key = items[*i].0;
        let slot = *key_slot.entry(key as *const _).or_insert_with(|| {
            keys.push((key, vec![Fr::zero(); key.commitments.len()]));
            keys.len() - 1
        });
        let key_range = shared.key..shared.key + key.commitments.len();
        for (acc, s) in keys[slot].1.iter_mut().zip(&c.scalars[key_range.clone()]) {
            *acc += *s * r;
        }
        generator += c.scalars[shared.generator] * r;
        for (k, (b, s)) in c.bases.iter().zip(&c.scalars).enumerate() {
            if !key_range.contains(&k) && k != shared.generator {
                bases.push(*b);
                scalars.push(*s * r);
            }
        }
    }
    for (key, acc) in keys {
        bases.extend_from_slice(&key.commitments);
        scalars.extend(acc);
    }
    bases.push(G1Affine::generator());
    scalars.push(generator);
    let p0: G1Projective = parallel_msm(&bases, &scalars);
    let w: G1Projective = msm(&w_bases, &w_scalars);
    g2.kzg_holds(p0.into_affine(), w.into_affine())
}

/// The MSM split over the available cores (one large MSM is most of a batch's shared work).
fn parallel_msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    #[cfg(not(target_family = "wasm"))]
    {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        if threads > 1 && bases.len() >= 1024 {
            let chunk = bases.len().div_ceil(threads);
            let parts: Vec<Option<G1Projective>> = std::thread::scope(|s| {
                let handles: Vec<_> = bases
                    .chunks(chunk)
                    .zip(scalars.chunks(chunk))
                    .map(|(b, k)| s.spawn(move || msm(b, k)))
                    .collect();
                handles.into_iter().map(|h| h.join().ok()).collect()
            });
            if parts.iter().all(Option::is_some) {
                return parts.into_iter().flatten().sum();
            }
        }
    }
    msm(bases, scalars)
}
