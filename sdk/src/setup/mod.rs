//! Trusted setups: which structured reference string (CRS) a proof is made and checked with.
//!
//! UltraHonk here commits with KZG over BN254, so every proof rests on a setup. There are two:
//! - **Ignition** ([`Setup::ignition`]): Aztec's multi-party ceremony, the only setup whose proofs
//!   mean anything. bb reads its points from a CRS folder; with internet it fetches what is missing
//!   (if the caller allows it), and [`import_crs`] installs a copy on an air-gapped machine.
//! - **Development** ([`dangerous::development_setup`]): a CRS from a publicly known tau, for
//!   offline tests and demos of circuits larger than the few real points available offline.
//!   Anyone can forge proofs against it.
//!
//! The caller must pick one; every proof and verification key records which ([`SetupId`]), and a
//! verifier refuses development proofs unless its [`AcceptancePolicy`] came through the
//! [`dangerous`] door.

mod crs;
mod development;
mod files;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The development setup's `[tau]_2` (128 bytes, the `bn254_g2.dat` encoding). Public by
/// design: its tau is derived from a published seed, so its proofs prove nothing.
pub fn development_g2_bytes() -> [u8; G2_POINT_BYTES] {
    development::g2_bytes()
}

pub use crs::{
    import_crs, ImportedCrs, CANONICAL_IGNITION_G2, CANONICAL_IGNITION_G2_SHA256, G1_FILE,
    G1_GENERATOR_BYTES, G1_POINT_BYTES, G2_FILE, G2_POINT_BYTES, IGNITION_G1_POINT_1,
};
pub(crate) use files::write_atomic;

pub use govproof_core::setup::{SetupFingerprint, SetupId, SetupKind};

/// Whether bb may download Ignition points that the CRS folder lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrsDownloads {
    /// Never: proving a circuit that needs more points than the folder holds is an error
    /// (air-gapped machines, tests).
    Forbidden,
    /// bb fetches missing points from Aztec's servers into the folder (it checks the first two
    /// against the canonical ones).
    Allowed,
}

/// What is wrong with a point in a CRS file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointProblem {
    /// A coordinate is at or above the base-field modulus.
    NonCanonicalCoordinate,
    /// The coordinates do not satisfy the curve equation.
    NotOnCurve,
    /// On the curve but outside the prime-order subgroup.
    NotInSubgroup,
}

impl fmt::Display for PointProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PointProblem::NonCanonicalCoordinate => "a coordinate is not below the field modulus",
            PointProblem::NotOnCurve => "it is not on the BN254 curve",
            PointProblem::NotInSubgroup => "it is not in the prime-order subgroup",
        })
    }
}

/// Errors from reading, checking, generating or installing setups.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A file or folder could not be read or written.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A required CRS file is missing.
    #[error("`{path}` is missing")]
    MissingFile {
        /// The missing file.
        path: PathBuf,
    },
    /// A G1 file holds no points.
    #[error("`{path}` holds no points")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A file is not a whole number of points (cut short).
    #[error("`{path}` is {len} bytes, not a whole number of {unit}-byte points (truncated?)")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: u64,
        /// Bytes per point.
        unit: usize,
    },
    /// Point 0 of a G1 file is not the generator (1, 2).
    #[error("point 0 of `{path}` is not the BN254 generator (1, 2)")]
    NotGenerator {
        /// The file.
        path: PathBuf,
    },
    /// A point is not a valid curve point.
    #[error("point {index} of `{path}` is unusable: {problem}")]
    BadPoint {
        /// The file.
        path: PathBuf,
        /// Index of the first bad point.
        index: usize,
        /// What is wrong with it.
        problem: PointProblem,
    },
    /// The G1 points are not successive powers of the setup's tau.
    #[error("the points of `{path}` are not successive powers of the setup's tau")]
    InconsistentPowers {
        /// The file.
        path: PathBuf,
    },
    /// A G2 file is not 128 bytes.
    #[error("`{path}` is {len} bytes, a G2 point is 128")]
    BadG2Length {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
    /// The G2 point is not the canonical Ignition `[x]_2`.
    #[error("`{path}` is not the canonical Ignition [x]_2")]
    WrongG2 {
        /// The file.
        path: PathBuf,
    },
    /// The folder's point 1 is not Ignition's, so it is some other setup.
    #[error("`{path}` is not the Ignition setup: point 1 differs from Ignition's x*G")]
    NotIgnition {
        /// The file.
        path: PathBuf,
    },
    /// Importing would replace a CRS with a shorter one.
    #[error(
        "`{dir}` already holds {existing} points, more than the {offered} offered; \
         import into an empty folder"
    )]
    WouldShrink {
        /// The destination folder.
        dir: PathBuf,
        /// Points it holds.
        existing: usize,
        /// Points offered.
        offered: usize,
    },
    /// The folder holds fewer points than a circuit needs and downloads are forbidden.
    #[error(
        "the CRS in `{dir}` holds {available} points but the circuit needs {needed}, \
         and downloads are forbidden"
    )]
    NotEnoughPoints {
        /// The CRS folder.
        dir: PathBuf,
        /// Points needed.
        needed: usize,
        /// Points available.
        available: usize,
    },
    /// The bb binary cannot be turned into the development verifier.
    #[error(
        "cannot build the development verifier from `{program}`: expected the canonical [x]_2 \
         and its SHA-256 exactly once each, found {g2_found} and {sha_found}"
    )]
    CannotPatchBb {
        /// The stock bb binary.
        program: PathBuf,
        /// Occurrences of the 128-byte `[x]_2`.
        g2_found: usize,
        /// Occurrences of its SHA-256.
        sha_found: usize,
    },
    /// A verifier was asked to accept a proof from a setup its policy does not accept.
    #[error("this verifier does not accept proofs from the {setup} setup")]
    NotAccepted {
        /// The proof's setup.
        setup: SetupId,
    },
}

#[derive(Debug, Clone)]
enum Source {
    Ignition {
        dir: PathBuf,
        downloads: CrsDownloads,
    },
    Development {
        cache_dir: PathBuf,
    },
}

/// A chosen trusted setup and where its points live. Cheap to clone; the points stay on disk.
#[derive(Debug, Clone)]
pub struct Setup {
    source: Source,
}

impl Setup {
    /// The Ignition setup whose points are (or, with [`CrsDownloads::Allowed`], will be) in
    /// `crs_dir`. Checks what is present without reading every point: the G2 file, if any, must
    /// be the canonical `[x]_2`; the G1 file, if any, must be whole points starting with the
    /// generator and Ignition's point 1. A missing folder is an error unless downloads are allowed.
    /// (Use [`import_crs`] to check every point of a folder from elsewhere.)
    pub fn ignition(crs_dir: &Path, downloads: CrsDownloads) -> Result<Setup, SetupError> {
        if !crs_dir.is_dir() {
            if downloads == CrsDownloads::Forbidden {
                return Err(SetupError::MissingFile {
                    path: crs_dir.to_path_buf(),
                });
            }
            std::fs::create_dir_all(crs_dir).map_err(|source| SetupError::Io {
                path: crs_dir.to_path_buf(),
                source,
            })?;
        }
        if let Some(g2) = crs::read_g2(crs_dir)? {
            if g2 != CANONICAL_IGNITION_G2 {
                return Err(SetupError::WrongG2 {
                    path: crs_dir.join(G2_FILE),
                });
            }
        }
        let g1_path = crs_dir.join(G1_FILE);
        if let Ok(meta) = std::fs::metadata(&g1_path) {
            if !meta.len().is_multiple_of(G1_POINT_BYTES as u64) {
                return Err(SetupError::Truncated {
                    path: g1_path,
                    len: meta.len(),
                    unit: G1_POINT_BYTES,
                });
            }
            let head = crs::read_g1_prefix(crs_dir, 2)?;
            if head.len() >= G1_POINT_BYTES && head[..G1_POINT_BYTES] != G1_GENERATOR_BYTES {
                return Err(SetupError::NotGenerator { path: g1_path });
            }
            if head.len() == 2 * G1_POINT_BYTES && head[G1_POINT_BYTES..] != IGNITION_G1_POINT_1 {
                return Err(SetupError::NotIgnition { path: g1_path });
            }
        }
        Ok(Setup {
            source: Source::Ignition {
                dir: crs_dir.to_path_buf(),
                downloads,
            },
        })
    }

    /// Which setup this is.
    pub fn id(&self) -> SetupId {
        match &self.source {
            Source::Ignition { .. } => SetupId::Ignition,
            Source::Development { .. } => {
                SetupId::Development(SetupFingerprint::of_g2(&development::g2_bytes()))
            }
        }
    }

    /// The kind of setup.
    pub fn kind(&self) -> SetupKind {
        self.id().kind()
    }

    /// The CRS folder bb is pointed at (`-c DIR`).
    pub fn crs_dir(&self) -> PathBuf {
        match &self.source {
            Source::Ignition { dir, .. } => dir.clone(),
            Source::Development { cache_dir } => development::crs_dir(cache_dir),
        }
    }

    /// The setup's `[tau]_2` in the 128-byte file encoding.
    pub fn g2_bytes(&self) -> [u8; G2_POINT_BYTES] {
        match &self.source {
            Source::Ignition { .. } => CANONICAL_IGNITION_G2,
            Source::Development { .. } => development::g2_bytes(),
        }
    }

    /// How many G1 points bb can read from the folder right now without downloading.
    pub fn available_points(&self) -> Result<usize, SetupError> {
        crs::available_points(&self.crs_dir())
    }

    /// Makes sure bb will find `needed` points without downloading behind the caller's back:
    /// a development setup grows its cached CRS; an Ignition setup with too few points is an
    /// error unless downloads are allowed. Returns the number of points now on disk.
    pub fn ensure_points(&self, needed: usize) -> Result<usize, SetupError> {
        match &self.source {
            Source::Development { cache_dir } => {
                // Fast path: the folder was checked when the setup was opened; only its size is
                // looked at here. Growing it re-checks everything under the lock.
                let available = self.available_points()?;
                if available >= needed {
                    return Ok(available);
                }
                let dir = development::ensure_points(cache_dir, needed)?;
                let available = self.available_points()?;
                if available < needed {
                    return Err(SetupError::NotEnoughPoints {
                        dir,
                        needed,
                        available,
                    });
                }
                Ok(available)
            }
            Source::Ignition { dir, downloads } => {
                let available = self.available_points()?;
                if available < needed && *downloads == CrsDownloads::Forbidden {
                    return Err(SetupError::NotEnoughPoints {
                        dir: dir.clone(),
                        needed,
                        available,
                    });
                }
                Ok(available)
            }
        }
    }
}

/// The bb binary that verifies proofs of setup `id`: `stock_bb` itself for Ignition; for this
/// build's development setup, the patched copy built in `cache_dir` (see [`dangerous`]). Any other
/// development fingerprint is refused.
pub(crate) fn verifier_bb_for(
    id: SetupId,
    stock_bb: &Path,
    cache_dir: &Path,
) -> Result<PathBuf, SetupError> {
    match id {
        SetupId::Ignition => Ok(stock_bb.to_path_buf()),
        SetupId::Development(fp) if fp == development_fingerprint() => {
            development::development_bb(stock_bb, cache_dir)
        }
        SetupId::Development(_) => Err(SetupError::NotAccepted { setup: id }),
    }
}

/// Writes the one-point CRS folder that verifies proofs of setup `id` (generator plus the setup's
/// `[tau]_2`) under `base` and returns it.
pub(crate) fn verifier_crs_for(id: SetupId, base: &Path) -> Result<PathBuf, SetupError> {
    let g2 = match id {
        SetupId::Ignition => CANONICAL_IGNITION_G2,
        SetupId::Development(fp) if fp == development_fingerprint() => development::g2_bytes(),
        SetupId::Development(_) => return Err(SetupError::NotAccepted { setup: id }),
    };
    let dir = base.join("verifier-crs").join(id.slug());
    crs::write_verifier_crs(&dir, &g2)?;
    Ok(dir)
}

use govproof_core::setup::development_fingerprint;

// The acceptance policy is govproof-core's (the bundled verifier applies it); this is its old
// path. `AcceptanceCheck::check` gives its answer as the SDK's setup error.
pub use govproof_core::setup::AcceptancePolicy;

/// [`AcceptancePolicy::accepts`] as a [`SetupError`], for the SDK's bb verifier.
pub trait AcceptanceCheck {
    /// `Ok` when proofs from `setup` are accepted, otherwise [`SetupError::NotAccepted`].
    fn check(&self, setup: SetupId) -> Result<(), SetupError>;
}

impl AcceptanceCheck for AcceptancePolicy {
    fn check(&self, setup: SetupId) -> Result<(), SetupError> {
        if self.accepts(setup) {
            Ok(())
        } else {
            Err(SetupError::NotAccepted { setup })
        }
    }
}

/// The door to the development setup. Everything here produces or accepts proofs that prove
/// nothing: use it for offline tests and demos only, never for a decision anyone relies on.
pub mod dangerous {
    use std::path::Path;

    use super::{development, Setup, SetupError, Source};

    pub use super::development::DEVELOPMENT_TAU_CONTEXT;

    /// The development setup, with its CRS cached under `cache_dir` (generated on first use,
    /// checked on every open, grown when a circuit needs more points). Its tau is public: see
    /// [`DEVELOPMENT_TAU_CONTEXT`] for how it is derived.
    pub fn development_setup(cache_dir: &Path) -> Result<Setup, SetupError> {
        development::ensure_points(cache_dir, development::MIN_POINTS)?;
        Ok(Setup {
            source: Source::Development {
                cache_dir: cache_dir.to_path_buf(),
            },
        })
    }

    pub use govproof_core::setup::dangerous::accept_development_proofs;

    /// The development tau itself (public by design), for tests that forge proofs on purpose.
    pub fn development_tau() -> ark_bn254::Fr {
        development::tau()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignition_only_refuses_development() {
        let dev = SetupId::Development(development_fingerprint());
        let policy = AcceptancePolicy::ignition_only();
        assert!(policy.accepts(SetupId::Ignition));
        assert!(matches!(
            policy.check(dev),
            Err(SetupError::NotAccepted { .. })
        ));
        assert!(dangerous::accept_development_proofs().accepts(dev));
        let other = SetupId::Development(SetupFingerprint::from_bytes([7; 32]));
        assert!(!dangerous::accept_development_proofs().accepts(other));
    }

    #[test]
    fn setup_id_serializes_readably() {
        assert_eq!(
            serde_json::to_string(&SetupId::Ignition).unwrap(),
            "\"ignition\""
        );
        let dev = SetupId::Development(SetupFingerprint::from_bytes([0xab; 32]));
        let json = serde_json::to_string(&dev).unwrap();
        assert_eq!(json, format!("{{\"development\":\"{}\"}}", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<SetupId>(&json).unwrap(), dev);
    }
}
