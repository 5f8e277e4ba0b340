//! Verification keys cached on disk, one file per (bb version, setup, target, circuit).
//!
//! A file holds the BLAKE3 of the key (32 bytes) followed by the key. A file whose digest or
//! length does not match is reported as corrupt and recomputed, never trusted. Writes are atomic.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{CircuitHash, ProofTarget, ProverError};
use crate::setup::{write_atomic, SetupId};

/// What a cache lookup found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// An intact key.
    Hit(Vec<u8>),
    /// No file.
    Miss,
    /// A file whose digest or length is wrong.
    Corrupt,
}

/// The cache folder for one bb version and one setup.
#[derive(Debug, Clone)]
pub(crate) struct VkCache {
    dir: PathBuf,
}

/// Turns a version string into a safe folder name.
fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl VkCache {
    /// The cache under `cache_dir` for keys made by bb `bb_version` with `setup`.
    pub(crate) fn new(cache_dir: &Path, bb_version: &str, setup: SetupId) -> VkCache {
        VkCache {
            dir: cache_dir
                .join("vk")
                .join(format!("bb-{}", slug(bb_version)))
                .join(setup.slug()),
        }
    }

    /// Where the key for `circuit` and `target` lives.
    pub(crate) fn path(&self, circuit: &CircuitHash, target: ProofTarget) -> PathBuf {
        self.dir.join(target.name()).join(format!("{circuit}.vk"))
    }

    /// Looks the key up.
    pub(crate) fn load(
        &self,
        circuit: &CircuitHash,
        target: ProofTarget,
    ) -> Result<Lookup, ProverError> {
        let path = self.path(circuit, target);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Lookup::Miss),
            Err(source) => return Err(ProverError::Cache { path, source }),
        };
        if bytes.len() != 32 + target.vk_bytes() {
            return Ok(Lookup::Corrupt);
        }
        let (digest, vk) = bytes.split_at(32);
        if digest != blake3::hash(vk).as_bytes() {
            return Ok(Lookup::Corrupt);
        }
        Ok(Lookup::Hit(vk.to_vec()))
    }

    /// Stores the key atomically.
    pub(crate) fn store(
        &self,
        circuit: &CircuitHash,
        target: ProofTarget,
        vk: &[u8],
    ) -> Result<(), ProverError> {
        let path = self.path(circuit, target);
        let mut bytes = Vec::with_capacity(32 + vk.len());
        bytes.extend_from_slice(blake3::hash(vk).as_bytes());
        bytes.extend_from_slice(vk);
        write_atomic(&path, &bytes, None).map_err(|source| ProverError::Cache { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_load_and_detect_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VkCache::new(dir.path(), "5.0.0-nightly/x", SetupId::Ignition);
        let circuit = CircuitHash::of(b"circuit");
        let target = ProofTarget::Evm;
        assert_eq!(cache.load(&circuit, target).unwrap(), Lookup::Miss);
        let vk = vec![7u8; target.vk_bytes()];
        cache.store(&circuit, target, &vk).unwrap();
        assert_eq!(
            cache.load(&circuit, target).unwrap(),
            Lookup::Hit(vk.clone())
        );
        let path = cache.path(&circuit, target);
        assert!(path.to_string_lossy().contains("bb-5.0.0-nightly_x"));
        let mut bytes = fs::read(&path).unwrap();
        bytes[40] ^= 1;
        fs::write(&path, &bytes).unwrap();
        assert_eq!(cache.load(&circuit, target).unwrap(), Lookup::Corrupt);
        fs::write(&path, &bytes[..100]).unwrap();
        assert_eq!(cache.load(&circuit, target).unwrap(), Lookup::Corrupt);
    }
}
