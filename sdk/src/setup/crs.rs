//! CRS folders in the layout `bb` reads (`-c DIR`): `bn254_g1.dat` holds G1 points of 64 bytes
//! (x then y, each 32-byte big-endian, not Montgomery; point `i` is `tau^i * G`, so point 0 is the
//! generator (1, 2)); `bn254_g2.dat` holds `[tau]_2` in 128 bytes (x.c0, x.c1, y.c0, y.c1, each
//! 32-byte big-endian).
//!
//! Everything that reads points from outside checks them here, in one place.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{BigInt, BigInteger, PrimeField};
use sha2::{Digest, Sha256};

use super::files::write_atomic;
use super::{PointProblem, SetupError};

/// File name of the uncompressed G1 points.
pub const G1_FILE: &str = "bn254_g1.dat";
/// File name bb uses for G1 points it downloaded in compressed form (32 bytes a point).
pub const G1_COMPRESSED_FILE: &str = "bn254_g1_compressed.dat";
/// File name of the G2 point `[tau]_2`.
pub const G2_FILE: &str = "bn254_g2.dat";
/// Bytes per uncompressed G1 point.
pub const G1_POINT_BYTES: usize = 64;
/// Bytes per compressed G1 point.
pub const G1_COMPRESSED_POINT_BYTES: usize = 32;
/// Bytes of the G2 point.
pub const G2_POINT_BYTES: usize = govproof_verify::G2_POINT_BYTES;

/// The canonical Aztec Ignition `[x]_2`, as `bn254_g2.dat` holds it. bb 5.0.0 carries the same
/// 128 bytes (and [`CANONICAL_IGNITION_G2_SHA256`]) built in and verifies against them; the
/// in-process verifier's constant, so the prover and the verifier cannot disagree on it.
pub const CANONICAL_IGNITION_G2: [u8; G2_POINT_BYTES] = govproof_verify::IGNITION_G2_BYTES;

/// SHA-256 of [`CANONICAL_IGNITION_G2`].
pub const CANONICAL_IGNITION_G2_SHA256: [u8; 32] = [
    0x01, 0x79, 0x7b, 0xfc, 0x4d, 0xe5, 0xa9, 0x6f, 0x0e, 0x51, 0x6a, 0x9e, 0xa4, 0x53, 0x7d, 0x18,
    0x78, 0x6d, 0xc3, 0x0c, 0xb9, 0x91, 0xac, 0xa4, 0x27, 0x4c, 0x95, 0x82, 0x2b, 0x69, 0xc3, 0x2f,
];

/// Ignition's point 1, `x * G`: a folder whose point 1 differs is not the Ignition setup.
pub const IGNITION_G1_POINT_1: [u8; G1_POINT_BYTES] = [
    0x2d, 0x36, 0x06, 0x28, 0x28, 0x9f, 0xf9, 0x43, 0xff, 0x6b, 0xd1, 0xa8, 0x7b, 0xbe, 0x4e, 0x62,
    0xab, 0xe7, 0xfb, 0x61, 0xba, 0x83, 0xef, 0xfd, 0x26, 0x6f, 0x22, 0xbd, 0xcf, 0x31, 0xe6, 0xf9,
    0x26, 0xb9, 0x2a, 0x79, 0xe5, 0x63, 0xc3, 0xf4, 0x82, 0x52, 0xcc, 0xe7, 0xfe, 0xec, 0xa2, 0xf0,
    0xf8, 0xd3, 0x3d, 0xcb, 0x4e, 0xf7, 0xb0, 0x64, 0x3b, 0xf0, 0x7b, 0xd4, 0x05, 0x70, 0x0a, 0xaa,
];

/// The BN254 G1 generator (1, 2) in the 64-byte file encoding: every CRS starts with it.
pub const G1_GENERATOR_BYTES: [u8; G1_POINT_BYTES] = {
    let mut b = [0u8; G1_POINT_BYTES];
    b[31] = 1;
    b[63] = 2;
    b
};

/// SHA-256 of a 128-byte G2 point, the fingerprint bb pins and proofs record.
pub(crate) fn g2_sha256(g2: &[u8; G2_POINT_BYTES]) -> [u8; 32] {
    Sha256::digest(g2).into()
}

fn fq_from_be(bytes: &[u8]) -> Option<Fq> {
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let end = 32 - 8 * i;
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[end - 8..end]);
        *limb = u64::from_be_bytes(word);
    }
    Fq::from_bigint(BigInt::new(limbs))
}

fn fq_to_be(x: &Fq) -> [u8; 32] {
    let v = x.into_bigint().to_bytes_be();
    let mut out = [0u8; 32];
    out[32 - v.len()..].copy_from_slice(&v);
    out
}

/// Reads one 64-byte G1 point and checks it is on the curve.
pub(crate) fn parse_g1(bytes: &[u8]) -> Result<G1Affine, PointProblem> {
    let x = fq_from_be(&bytes[..32]).ok_or(PointProblem::NonCanonicalCoordinate)?;
    let y = fq_from_be(&bytes[32..64]).ok_or(PointProblem::NonCanonicalCoordinate)?;
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(PointProblem::NotOnCurve);
    }
    Ok(p)
}

/// Encodes a G1 point (not the identity) in the 64-byte file form.
pub(crate) fn encode_g1(p: &G1Affine) -> [u8; G1_POINT_BYTES] {
    let mut out = [0u8; G1_POINT_BYTES];
    if let Some((x, y)) = p.xy() {
        out[..32].copy_from_slice(&fq_to_be(&x));
        out[32..].copy_from_slice(&fq_to_be(&y));
    }
    out
}

/// Reads the 128-byte G2 point and checks it is on the curve and in the prime-order subgroup.
pub(crate) fn parse_g2(bytes: &[u8; G2_POINT_BYTES]) -> Result<G2Affine, PointProblem> {
    let c = |i: usize| {
        fq_from_be(&bytes[32 * i..32 * (i + 1)]).ok_or(PointProblem::NonCanonicalCoordinate)
    };
    let x = Fq2::new(c(0)?, c(1)?);
    let y = Fq2::new(c(2)?, c(3)?);
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(PointProblem::NotOnCurve);
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PointProblem::NotInSubgroup);
    }
    Ok(p)
}

/// Encodes a G2 point (not the identity) in the 128-byte file form.
#[cfg(test)]
pub(crate) fn encode_g2(p: &G2Affine) -> [u8; G2_POINT_BYTES] {
    let mut out = [0u8; G2_POINT_BYTES];
    if let Some((x, y)) = p.xy() {
        out[..32].copy_from_slice(&fq_to_be(&x.c0));
        out[32..64].copy_from_slice(&fq_to_be(&x.c1));
        out[64..96].copy_from_slice(&fq_to_be(&y.c0));
        out[96..].copy_from_slice(&fq_to_be(&y.c1));
    }
    out
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SetupError + '_ {
    move |source| SetupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Number of G1 points bb can read from `dir` without downloading: the larger of the
/// uncompressed and compressed files (missing files count as zero points).
pub(crate) fn available_points(dir: &Path) -> Result<usize, SetupError> {
    let count = |name: &str, unit: usize| -> Result<usize, SetupError> {
        let path = dir.join(name);
        match fs::metadata(&path) {
            Ok(m) => Ok(usize::try_from(m.len()).unwrap_or(usize::MAX) / unit),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(source) => Err(SetupError::Io { path, source }),
        }
    };
    Ok(count(G1_FILE, G1_POINT_BYTES)?.max(count(G1_COMPRESSED_FILE, G1_COMPRESSED_POINT_BYTES)?))
}

/// Reads the first `n` points' bytes of `dir/bn254_g1.dat` (fewer if the file is shorter).
pub(crate) fn read_g1_prefix(dir: &Path, n: usize) -> Result<Vec<u8>, SetupError> {
    use std::io::Read;
    let path = dir.join(G1_FILE);
    let file = fs::File::open(&path).map_err(io_err(&path))?;
    let mut out = Vec::with_capacity(n * G1_POINT_BYTES);
    file.take((n * G1_POINT_BYTES) as u64)
        .read_to_end(&mut out)
        .map_err(io_err(&path))?;
    Ok(out)
}

/// Reads `dir/bn254_g2.dat` if present: `None` when missing, an error when not 128 bytes.
pub(crate) fn read_g2(dir: &Path) -> Result<Option<[u8; G2_POINT_BYTES]>, SetupError> {
    let path = dir.join(G2_FILE);
    // Bounded and regular files only: a CRS folder may be handed over by someone else.
    match crate::input_file::read_input(&path, "G2 point file", 64 * G2_POINT_BYTES as u64) {
        Ok(bytes) => {
            let len = bytes.len();
            let arr: [u8; G2_POINT_BYTES] = bytes
                .try_into()
                .map_err(|_| SetupError::BadG2Length { path, len })?;
            Ok(Some(arr))
        }
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(SetupError::Io {
            path,
            source: io::Error::other(e.reason()),
        }),
    }
}

/// The largest G1 file imported: the points of the largest circuit bb proves (2^28 rows).
pub const MAX_G1_FILE_BYTES: u64 = ((1u64 << 28) + 1) * G1_POINT_BYTES as u64;

/// Checks a whole G1 file against the G2 point of its setup:
/// - a non-empty whole number of 64-byte points;
/// - point 0 is the generator;
/// - every point has canonical coordinates and lies on the curve;
/// - the points are successive powers of the tau in `g2` (`P[i+1] = tau * P[i]`), checked with one
///   pairing equation on a random linear combination whose coefficients are derived from the file
///   itself (so they are fixed only after the points are).
///
/// Returns the number of points.
pub(crate) fn check_g1_points(path: &Path, g1: &[u8], g2: &G2Affine) -> Result<usize, SetupError> {
    if g1.is_empty() {
        return Err(SetupError::Empty {
            path: path.to_path_buf(),
        });
    }
    if !g1.len().is_multiple_of(G1_POINT_BYTES) {
        return Err(SetupError::Truncated {
            path: path.to_path_buf(),
            len: g1.len() as u64,
            unit: G1_POINT_BYTES,
        });
    }
    if g1[..G1_POINT_BYTES] != G1_GENERATOR_BYTES {
        return Err(SetupError::NotGenerator {
            path: path.to_path_buf(),
        });
    }
    let n = g1.len() / G1_POINT_BYTES;
    let points = parse_all_g1(path, g1)?;
    if n >= 2 {
        // Coefficients r_i from BLAKE3-XOF over the whole file;
        // A = sum r_i P_i, B = sum r_i P_{i+1}.
        // If every P_{i+1} = tau * P_i then B = tau * A, i.e. e(B, G2) == e(A, [tau]_2).
        let mut xof = blake3::Hasher::new_derive_key("govproof crs consistency coefficients v1")
            .update(g1)
            .finalize_xof();
        let scalars: Vec<Fr> = (0..n - 1)
            .map(|_| {
                let mut wide = [0u8; 64];
                xof.fill(&mut wide);
                Fr::from_le_bytes_mod_order(&wide)
            })
            .collect();
        let a = G1Projective::msm(&points[..n - 1], &scalars).map_err(|_| {
            SetupError::InconsistentPowers {
                path: path.to_path_buf(),
            }
        })?;
        let b = G1Projective::msm(&points[1..], &scalars).map_err(|_| {
            SetupError::InconsistentPowers {
                path: path.to_path_buf(),
            }
        })?;
        let lhs = Bn254::pairing(b.into_affine(), ark_bn254::G2Projective::generator());
        let rhs = Bn254::pairing(a.into_affine(), *g2);
        if lhs != rhs {
            return Err(SetupError::InconsistentPowers {
                path: path.to_path_buf(),
            });
        }
    }
    Ok(n)
}

/// Parses every point of a G1 file (length already a multiple of 64), spreading the work over the
/// available cores; reports the first bad point.
fn parse_all_g1(path: &Path, g1: &[u8]) -> Result<Vec<G1Affine>, SetupError> {
    let n = g1.len() / G1_POINT_BYTES;
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        .clamp(1, 16);
    let per = n.div_ceil(threads).max(1);
    let chunks: Vec<Result<Vec<G1Affine>, (usize, PointProblem)>> = std::thread::scope(|s| {
        let handles: Vec<_> = g1
            .chunks(per * G1_POINT_BYTES)
            .enumerate()
            .map(|(c, chunk)| {
                s.spawn(move || {
                    chunk
                        .chunks_exact(G1_POINT_BYTES)
                        .enumerate()
                        .map(|(i, p)| parse_g1(p).map_err(|e| (c * per + i, e)))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut out = Vec::with_capacity(n);
    for chunk in chunks {
        match chunk {
            Ok(points) => out.extend(points),
            Err((index, err)) => {
                return Err(SetupError::BadPoint {
                    path: path.to_path_buf(),
                    index,
                    problem: err,
                })
            }
        }
    }
    Ok(out)
}

/// What [`import_crs`] installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedCrs {
    /// The folder the CRS now lives in.
    pub dir: PathBuf,
    /// How many G1 points it holds.
    pub points: usize,
}

/// Imports an Ignition CRS for an air-gapped machine: reads `src_dir/bn254_g1.dat` and
/// `src_dir/bn254_g2.dat`, checks that the G2 point is the canonical Ignition `[x]_2`, that point 0
/// is the generator, that every point is on the curve and that the points are successive powers of
/// Ignition's `x`, then installs both files into `dest_dir` atomically. Nothing is written unless
/// every check passes; an existing G1 file in `dest_dir` is replaced only by a longer one.
pub fn import_crs(src_dir: &Path, dest_dir: &Path) -> Result<ImportedCrs, SetupError> {
    let g2_path = src_dir.join(G2_FILE);
    let g2_bytes = read_g2(src_dir)?.ok_or_else(|| SetupError::MissingFile {
        path: g2_path.clone(),
    })?;
    if g2_bytes != CANONICAL_IGNITION_G2 {
        return Err(SetupError::WrongG2 { path: g2_path });
    }
    let g2 = parse_g2(&g2_bytes).map_err(|e| SetupError::BadPoint {
        path: g2_path.clone(),
        index: 0,
        problem: e,
    })?;
    let g1_path = src_dir.join(G1_FILE);
    let g1 = match crate::input_file::read_input(&g1_path, "G1 point file", MAX_G1_FILE_BYTES) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Err(SetupError::MissingFile { path: g1_path }),
        Err(e) => {
            return Err(SetupError::Io {
                path: g1_path,
                source: io::Error::other(e.reason()),
            })
        }
    };
    let points = check_g1_points(&g1_path, &g1, &g2)?;
    if points >= 2 && g1[G1_POINT_BYTES..2 * G1_POINT_BYTES] != IGNITION_G1_POINT_1 {
        // Unreachable when the pairing check passed with the canonical G2, kept as a plain guard.
        return Err(SetupError::NotIgnition { path: g1_path });
    }
    let existing = available_points(dest_dir)?;
    if existing > points {
        return Err(SetupError::WouldShrink {
            dir: dest_dir.to_path_buf(),
            existing,
            offered: points,
        });
    }
    let dest_g2 = dest_dir.join(G2_FILE);
    write_atomic(&dest_g2, &g2_bytes, None).map_err(io_err(&dest_g2))?;
    let dest_g1 = dest_dir.join(G1_FILE);
    write_atomic(&dest_g1, &g1, None).map_err(io_err(&dest_g1))?;
    Ok(ImportedCrs {
        dir: dest_dir.to_path_buf(),
        points,
    })
}

/// Writes the verifier's CRS folder: a `bn254_g1.dat` holding only the generator and the given
/// G2 point. bb needs nothing more to verify, so a verifier never downloads. Leaves the folder
/// untouched when it already holds exactly these bytes.
pub(crate) fn write_verifier_crs(dir: &Path, g2: &[u8; G2_POINT_BYTES]) -> Result<(), SetupError> {
    let g1_path = dir.join(G1_FILE);
    let g2_path = dir.join(G2_FILE);
    let same = |path: &Path, want: &[u8]| fs::read(path).map(|b| b == want).unwrap_or(false);
    if !same(&g2_path, g2) {
        write_atomic(&g2_path, g2, None).map_err(io_err(&g2_path))?;
    }
    if !same(&g1_path, &G1_GENERATOR_BYTES) {
        write_atomic(&g1_path, &G1_GENERATOR_BYTES, None).map_err(io_err(&g1_path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_g2_hash_matches_pinned_g2() {
        assert_eq!(
            g2_sha256(&CANONICAL_IGNITION_G2),
            CANONICAL_IGNITION_G2_SHA256
        );
    }

    #[test]
    fn canonical_g2_parses_in_file_order_and_round_trips() {
        let p = parse_g2(&CANONICAL_IGNITION_G2).unwrap();
        assert_eq!(encode_g2(&p), CANONICAL_IGNITION_G2);
    }

    #[test]
    fn ignition_point_1_is_on_curve_and_generator_round_trips() {
        let p = parse_g1(&IGNITION_G1_POINT_1).unwrap();
        assert_eq!(encode_g1(&p), IGNITION_G1_POINT_1);
        let g = parse_g1(&G1_GENERATOR_BYTES).unwrap();
        assert_eq!(g, G1Affine::generator());
    }

    #[test]
    fn off_curve_and_non_canonical_points_are_refused() {
        let mut bad = G1_GENERATOR_BYTES;
        bad[63] = 3;
        assert_eq!(parse_g1(&bad), Err(PointProblem::NotOnCurve));
        let big = [0xffu8; 64];
        assert_eq!(parse_g1(&big), Err(PointProblem::NonCanonicalCoordinate));
        let mut g2 = CANONICAL_IGNITION_G2;
        g2[127] ^= 1;
        assert!(parse_g2(&g2).is_err());
    }
}
