//! The development setup: a CRS made from a publicly known tau, for offline tests and demos.
//!
//! Anyone can compute this tau, so anyone can forge proofs against it: a development proof proves
//! nothing. It exists because the real Ignition points are large and, offline, unavailable beyond
//! the first few hundred. Reach it only through [`crate::setup::dangerous`].
//!
//! How it is made:
//! - `tau` = the first 64 bytes of BLAKE3's extendable output in `derive_key` mode with context
//!   [`DEVELOPMENT_TAU_CONTEXT`] and empty key material, read little-endian and reduced modulo the
//!   BN254 scalar modulus;
//! - G1 point `i` = `tau^i * G1` (fixed-base batch multiplication, batch normalization), written to
//!   `bn254_g1.dat` in a cache folder, grown on demand to the next power of two that a circuit
//!   needs;
//! - G2 = `tau * G2`.
//!
//! Stock bb 5.0.0 verifies only against Ignition's built-in `[x]_2`, and its `SrsInitSrs` command
//! refuses any other setup ("g1_points[1] does not match the canonical trusted-setup tau",
//! "g2_point bytes do not match the canonical Aztec [x]_2 SHA-256"). So development proofs are
//! verified by a copy of bb, kept in the cache, in which the canonical `[x]_2` and its SHA-256
//! (each present exactly once) are replaced by this setup's. That copy is never committed and
//! never used for an Ignition setup.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ark_bn254::{Fr, G1Projective};
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::{Field, PrimeField};

use super::crs::{
    encode_g1, g2_sha256, read_g2, CANONICAL_IGNITION_G2, CANONICAL_IGNITION_G2_SHA256, G1_FILE,
    G1_GENERATOR_BYTES, G1_POINT_BYTES, G2_FILE, G2_POINT_BYTES,
};
use super::files::{write_atomic, DirLock};
use super::SetupError;

/// The BLAKE3 `derive_key` context from which the development tau is derived. Changing it makes a
/// different (equally public) setup.
pub const DEVELOPMENT_TAU_CONTEXT: &str =
    "govproof development setup v1: this tau is public and proofs made with it prove nothing";

/// Fewest points a development CRS holds (bb's zero-knowledge prover reads 512 even for tiny
/// circuits).
pub(crate) const MIN_POINTS: usize = 1024;

/// The development tau (public by design).
pub(crate) fn tau() -> Fr {
    let mut xof = blake3::Hasher::new_derive_key(DEVELOPMENT_TAU_CONTEXT).finalize_xof();
    let mut wide = [0u8; 64];
    xof.fill(&mut wide);
    Fr::from_le_bytes_mod_order(&wide)
}

// The development `[tau]_2` is govproof-core's (a verifier needs it to check development proofs);
// `development_g2_is_tau_times_the_generator` below recomputes it from the tau.
use govproof_core::setup::DEVELOPMENT_G2;

/// The development `[tau]_2` in the 128-byte file encoding.
pub(crate) fn g2_bytes() -> [u8; G2_POINT_BYTES] {
    DEVELOPMENT_G2
}

/// Folder of the development CRS inside a cache folder.
pub(crate) fn crs_dir(cache_dir: &Path) -> PathBuf {
    cache_dir.join("setups").join("development-v1")
}

fn sidecar(dir: &Path) -> PathBuf {
    dir.join("bn254_g1.dat.blake3")
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SetupError + '_ {
    move |source| SetupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `tau^start * G1, ..., tau^(end-1) * G1` in the file encoding, spread over the available cores.
fn generate_points(tau: Fr, start: usize, end: usize) -> Vec<u8> {
    let n = end.saturating_sub(start);
    if n == 0 {
        return Vec::new();
    }
    let mut powers = Vec::with_capacity(n);
    let mut cur = tau.pow([start as u64]);
    for _ in 0..n {
        powers.push(cur);
        cur *= tau;
    }
    let table = BatchMulPreprocessing::new(G1Projective::generator(), n);
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        .clamp(1, 16);
    let per = n.div_ceil(threads);
    let parts: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = powers
            .chunks(per)
            .map(|chunk| {
                let table = &table;
                s.spawn(move || {
                    let mut out = Vec::with_capacity(chunk.len() * G1_POINT_BYTES);
                    for p in table.batch_mul(chunk) {
                        out.extend_from_slice(&encode_g1(&p));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    parts.concat()
}

/// Number of points of a development CRS folder that is intact: the G1 file matches its BLAKE3
/// sidecar, starts with `G1, tau*G1`, ends with `tau^(n-1)*G1`, and the G2 file is `tau*G2`.
/// `None` when anything is missing or wrong (the folder is a cache and is then regenerated).
fn intact_points(dir: &Path) -> Result<Option<(usize, Vec<u8>)>, SetupError> {
    let g1_path = dir.join(G1_FILE);
    let g1 = match fs::read(&g1_path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SetupError::Io {
                path: g1_path,
                source,
            })
        }
    };
    let recorded = fs::read_to_string(sidecar(dir)).unwrap_or_default();
    if recorded.trim() != blake3::hash(&g1).to_hex().as_str() {
        return Ok(None);
    }
    if !g1.len().is_multiple_of(G1_POINT_BYTES) || g1.len() < 2 * G1_POINT_BYTES {
        return Ok(None);
    }
    let n = g1.len() / G1_POINT_BYTES;
    let t = tau();
    let expected =
        |i: usize| encode_g1(&(G1Projective::generator() * t.pow([i as u64])).into_affine());
    let at = |i: usize| &g1[i * G1_POINT_BYTES..(i + 1) * G1_POINT_BYTES];
    if at(0) != G1_GENERATOR_BYTES || at(1) != expected(1) || at(n - 1) != expected(n - 1) {
        return Ok(None);
    }
    match read_g2(dir) {
        Ok(Some(g2)) if g2 == g2_bytes() => Ok(Some((n, g1))),
        _ => Ok(None),
    }
}

/// Makes sure the development CRS under `cache_dir` holds at least `needed` points, generating or
/// growing it (to the next power of two, at least [`MIN_POINTS`]) under a lock. Returns the folder.
pub(crate) fn ensure_points(cache_dir: &Path, needed: usize) -> Result<PathBuf, SetupError> {
    let dir = crs_dir(cache_dir);
    let lock_path = cache_dir.join("setups").join("development-v1.lock");
    let _lock = DirLock::acquire(&lock_path).map_err(io_err(&lock_path))?;
    let existing = intact_points(&dir)?;
    if let Some((n, _)) = &existing {
        if *n >= needed {
            return Ok(dir);
        }
    }
    let target = needed.max(MIN_POINTS).next_power_of_two();
    let (start, mut g1) = match existing {
        Some((n, bytes)) => (n, bytes),
        None => (0, Vec::new()),
    };
    g1.reserve((target - start) * G1_POINT_BYTES);
    g1.extend_from_slice(&generate_points(tau(), start, target));
    let g2_path = dir.join(G2_FILE);
    write_atomic(&g2_path, &g2_bytes(), None).map_err(io_err(&g2_path))?;
    // Sidecar last: a crash in between leaves a mismatch, which regenerates next time.
    let g1_path = dir.join(G1_FILE);
    write_atomic(&g1_path, &g1, None).map_err(io_err(&g1_path))?;
    let side = sidecar(&dir);
    write_atomic(&side, blake3::hash(&g1).to_hex().as_bytes(), None).map_err(io_err(&side))?;
    Ok(dir)
}

/// Occurrences of `needle` in `hay`.
fn count_occurrences(hay: &[u8], needle: &[u8]) -> usize {
    let first = needle[0];
    let mut count = 0;
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..hay.len() - needle.len() + 1]
            .iter()
            .position(|&b| b == first)
        {
            None => break,
            Some(off) => {
                let at = i + off;
                if &hay[at..at + needle.len()] == needle {
                    count += 1;
                }
                i = at + 1;
            }
        }
    }
    count
}

fn replace_once(hay: &mut [u8], needle: &[u8], with: &[u8]) {
    if let Some(at) = hay.windows(needle.len()).position(|w| w == needle) {
        hay[at..at + needle.len()].copy_from_slice(with);
    }
}

/// The test-only bb that verifies against the development `[tau]_2`: a copy of `stock_bb` under
/// `cache_dir` in which the canonical Ignition `[x]_2` and its SHA-256 are replaced by the
/// development setup's. Fails clearly unless each occurs exactly once in `stock_bb`. The copy is
/// rebuilt whenever it differs by a single byte from what patching `stock_bb` gives now.
pub(crate) fn development_bb(stock_bb: &Path, cache_dir: &Path) -> Result<PathBuf, SetupError> {
    let stock = fs::read(stock_bb).map_err(io_err(stock_bb))?;
    let g2_found = count_occurrences(&stock, &CANONICAL_IGNITION_G2);
    let sha_found = count_occurrences(&stock, &CANONICAL_IGNITION_G2_SHA256);
    if g2_found != 1 || sha_found != 1 {
        return Err(SetupError::CannotPatchBb {
            program: stock_bb.to_path_buf(),
            g2_found,
            sha_found,
        });
    }
    let dev_g2 = g2_bytes();
    let dev_sha = g2_sha256(&dev_g2);
    let folder = cache_dir.join("bb-development").join(format!(
        "{}-{}",
        &blake3::hash(&stock).to_hex().as_str()[..16],
        &hex::encode(dev_sha)[..16]
    ));
    let mut patched = stock;
    replace_once(&mut patched, &CANONICAL_IGNITION_G2, &dev_g2);
    replace_once(&mut patched, &CANONICAL_IGNITION_G2_SHA256, &dev_sha);
    let out = folder.join("bb");
    let current = fs::read(&out).ok();
    if current.as_deref() != Some(patched.as_slice()) {
        write_atomic(&out, &patched, Some(0o755)).map_err(io_err(&out))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::crs::{check_g1_points, parse_g2};

    #[test]
    fn development_g2_is_tau_times_the_generator() {
        use crate::setup::crs::encode_g2;
        use ark_bn254::G2Projective;
        let computed = encode_g2(&(G2Projective::generator() * tau()).into_affine());
        assert_eq!(computed, DEVELOPMENT_G2);
        assert!(parse_g2(&DEVELOPMENT_G2).is_ok());
    }

    #[test]
    fn tau_is_fixed_and_not_trivial() {
        assert_eq!(tau(), tau());
        assert_ne!(tau(), Fr::ONE);
        assert_ne!(g2_bytes(), CANONICAL_IGNITION_G2);
    }

    #[test]
    fn generated_points_are_consistent_powers_of_tau() {
        let g1 = generate_points(tau(), 0, 40);
        let g2 = parse_g2(&g2_bytes()).unwrap();
        assert_eq!(check_g1_points(Path::new("dev"), &g1, &g2).unwrap(), 40);
        // Extending from the middle gives the same bytes as generating at once.
        let tail = generate_points(tau(), 17, 40);
        assert_eq!(&g1[17 * G1_POINT_BYTES..], &tail[..]);
    }

    #[test]
    fn ensure_points_grows_and_repairs() {
        let cache = tempfile::tempdir().unwrap();
        let dir = ensure_points(cache.path(), 10).unwrap();
        let n = fs::metadata(dir.join(G1_FILE)).unwrap().len() as usize / G1_POINT_BYTES;
        assert_eq!(n, MIN_POINTS);
        ensure_points(cache.path(), MIN_POINTS + 1).unwrap();
        let grown = fs::read(dir.join(G1_FILE)).unwrap();
        assert_eq!(grown.len() / G1_POINT_BYTES, 2 * MIN_POINTS);
        // Corrupt one point in the middle: the sidecar catches it and the folder is regenerated.
        let mut bad = grown.clone();
        bad[100 * G1_POINT_BYTES + 5] ^= 1;
        fs::write(dir.join(G1_FILE), &bad).unwrap();
        ensure_points(cache.path(), 10).unwrap();
        let repaired = fs::read(dir.join(G1_FILE)).unwrap();
        assert_eq!(
            &repaired[..MIN_POINTS * G1_POINT_BYTES],
            &grown[..MIN_POINTS * G1_POINT_BYTES]
        );
    }

    /// A stand-in for the bb binary: bytes around the pinned G2 and its hash.
    fn fake_bb(g2_copies: usize, sha_copies: usize) -> Vec<u8> {
        let mut b = b"\x7fELF fake bb".to_vec();
        for _ in 0..g2_copies {
            b.extend_from_slice(&CANONICAL_IGNITION_G2);
            b.extend_from_slice(b"--");
        }
        for _ in 0..sha_copies {
            b.extend_from_slice(&CANONICAL_IGNITION_G2_SHA256);
            b.extend_from_slice(b"..");
        }
        b
    }

    #[test]
    fn development_bb_replaces_the_pinned_g2_and_its_hash_once() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("FakeBb");
        fs::write(&fake, fake_bb(1, 1)).unwrap();
        let patched_path = development_bb(&fake, dir.path()).unwrap();
        let patched = fs::read(&patched_path).unwrap();
        assert_eq!(count_occurrences(&patched, &CANONICAL_IGNITION_G2), 0);
        assert_eq!(
            count_occurrences(&patched, &CANONICAL_IGNITION_G2_SHA256),
            0
        );
        assert_eq!(count_occurrences(&patched, &g2_bytes()), 1);
        assert_eq!(count_occurrences(&patched, &g2_sha256(&g2_bytes())), 1);
        assert_eq!(patched.len(), fake_bb(1, 1).len());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&patched_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o111, 0o111);
        }
        // The stock file is untouched, and a second call reuses the copy.
        assert_eq!(fs::read(&fake).unwrap(), fake_bb(1, 1));
        assert_eq!(development_bb(&fake, dir.path()).unwrap(), patched_path);
        // A tampered copy is rebuilt rather than trusted.
        fs::write(&patched_path, b"tampered").unwrap();
        development_bb(&fake, dir.path()).unwrap();
        assert_eq!(fs::read(&patched_path).unwrap(), patched);
    }

    #[test]
    fn development_bb_refuses_a_binary_without_exactly_one_of_each() {
        for (g2, sha) in [(0, 1), (1, 0), (2, 1), (1, 2)] {
            let dir = tempfile::tempdir().unwrap();
            let fake = dir.path().join("FakeBb");
            fs::write(&fake, fake_bb(g2, sha)).unwrap();
            match development_bb(&fake, dir.path()) {
                Err(SetupError::CannotPatchBb {
                    g2_found,
                    sha_found,
                    ..
                }) => assert_eq!((g2_found, sha_found), (g2, sha)),
                other => panic!("expected CannotPatchBb, got {other:?}"),
            }
            assert!(!dir.path().join("bb-development").exists());
        }
    }

    #[test]
    fn count_occurrences_counts_overlaps_and_edges() {
        assert_eq!(count_occurrences(b"abcabc", b"abc"), 2);
        assert_eq!(count_occurrences(b"aaaa", b"aa"), 3);
        assert_eq!(count_occurrences(b"xyz", b"xyzw"), 0);
    }
}
