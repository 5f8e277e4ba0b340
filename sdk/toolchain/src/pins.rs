//! The pinned npm packages and their integrity hashes.
//!
//! Noir's compiler, the ACIR format acvm reads and bb's prover only work as a set (see
//! `docs/toolchain.md`), so every version here is exact and every tarball is checked against the
//! SHA-512 recorded below before anything from it is unpacked. Updating a pin means updating the
//! version and the hash together, and the acvm/barretenberg-rs crate pins in `Cargo.toml` with them.

/// The Noir version every artifact must come from.
pub const NOIR_VERSION: &str = "1.0.0-beta.26";

/// The bb version (`bb --version` prints this, possibly followed by `-nightly...`).
pub const BB_VERSION: &str = "5.0.0";

/// What to take from a package once its tarball is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpack {
    /// The whole package, as `node_modules/<name>`.
    NodeModule,
    /// Only the `bb` binary for this platform, as `bin/bb`.
    BbBinary,
}

/// One npm package at an exact version with the SRI integrity of its tarball.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedPackage {
    /// npm package name.
    pub name: &'static str,
    /// Exact version.
    pub version: &'static str,
    /// `sha512-<base64>`, as npm records it.
    pub integrity: &'static str,
    /// What the install takes from it.
    pub unpack: Unpack,
}

impl PinnedPackage {
    /// `name@version`, the spec handed to npm.
    pub fn spec(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// The packages govproof installs.
pub const PINNED: &[PinnedPackage] = &[
    PinnedPackage {
        name: "@noir-lang/noir_wasm",
        version: NOIR_VERSION,
        integrity: "sha512-DNVgnw7ri08yP1G0e+4Otx8Ef2VDHa0NDAugnIFzX8Z+0MBe7vOPky+FUeX8BN+GNO2Gr2vSW9pCS76zxAH8Uw==",
        unpack: Unpack::NodeModule,
    },
    PinnedPackage {
        name: "@noir-lang/types",
        version: NOIR_VERSION,
        integrity: "sha512-TFJMafp32koXf3TFVAfPBirwkVdlRHzSTM1nVAkRJDTQQNnI7qoAjvzXWXjgpE65kwjukQyzcmaucOegruawPw==",
        unpack: Unpack::NodeModule,
    },
    PinnedPackage {
        name: "pako",
        version: "3.0.1",
        integrity: "sha512-GupotUUI0mlhugKjUs4bjOwLt3nrehy9Ys2dxC0GtgVef5cnKggkDMmf2bq2poCCuVXopWPmqsc9VDT2iJUy+w==",
        unpack: Unpack::NodeModule,
    },
    PinnedPackage {
        name: "@aztec/bb.js",
        version: BB_VERSION,
        integrity: "sha512-O4HDjzrjXMvM44+VbgDG1GaDUztWGEVujbBmwZAEVJh6BHpmJfMxBB2/69h1oi4kX2adgaowlJNFhpzcz1MHSA==",
        unpack: Unpack::BbBinary,
    },
];

/// The folder name inside bb.js's `build/` for this machine, if bb ships one.
pub fn bb_platform() -> Option<&'static str> {
    match (std::env::consts::ARCH, std::env::consts::OS) {
        ("x86_64", "linux") => Some("amd64-linux"),
        ("aarch64", "linux") => Some("arm64-linux"),
        ("x86_64", "macos") => Some("amd64-macos"),
        ("aarch64", "macos") => Some("arm64-macos"),
        _ => None,
    }
}

/// A short, stable id of a pin set: the install folder's name, so a change of pins never reuses
/// an install made from other pins.
pub fn pin_set_id(pins: &[PinnedPackage]) -> String {
    let mut h = blake3::Hasher::new();
    for p in pins {
        h.update(p.name.as_bytes());
        h.update(b"\0");
        h.update(p.version.as_bytes());
        h.update(b"\0");
        h.update(p.integrity.as_bytes());
        h.update(b"\n");
    }
    let hex = h.finalize().to_hex();
    format!("noir-{NOIR_VERSION}_bb-{BB_VERSION}_{}", &hex[..12])
}
