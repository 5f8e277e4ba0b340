//! govproof's pinned toolchain: the Noir compiler (noir_wasm under node) and the `bb` prover, as
//! one checked, versioned install in the govproof home folder, plus compiling the project's circuits.
//!
//! This crate is small on purpose: `build.rs` of the SDK uses it to recompile circuits whose sources
//! changed, and its own binary (`govproof-toolchain`) can install and rebuild even when the SDK does
//! not build.

pub mod atomic;
pub mod compile;
pub mod error;
pub mod install;
pub mod pins;
pub mod sources;

use std::path::{Path, PathBuf};

pub use compile::{compile_package, CompileError, Compiler, Diagnostic};
pub use error::ToolchainError;
pub use install::{find_installed, install, InstallOutcome, Installed};
pub use pins::{PinnedPackage, BB_VERSION, NOIR_VERSION, PINNED};

/// The govproof home folder: `$GOVPROOF_HOME`, else `govproof` in the user's cache folder.
pub fn home() -> Result<PathBuf, ToolchainError> {
    if let Some(h) = std::env::var_os("GOVPROOF_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(h));
    }
    dirs::cache_dir()
        .map(|d| d.join("govproof"))
        .ok_or(ToolchainError::NoHome)
}

/// Whether a missing toolchain may be installed on first use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallPolicy {
    /// Fetch and install it (needs npm and access to the package registry).
    InstallIfMissing,
    /// Fail with [`ToolchainError::NotInstalled`].
    RequireInstalled,
}

/// The installed toolchain for the pinned packages, installing it first when allowed.
pub fn ensure(
    home: &Path,
    policy: InstallPolicy,
    progress: &mut dyn FnMut(&str),
) -> Result<Installed, ToolchainError> {
    if let Some(found) = find_installed(home, PINNED)? {
        return Ok(found);
    }
    match policy {
        InstallPolicy::InstallIfMissing => install(home, PINNED, progress).map(|(i, _)| i),
        InstallPolicy::RequireInstalled => Err(ToolchainError::NotInstalled {
            home: home.to_path_buf(),
        }),
    }
}
