//! Compiling Noir projects with the pinned compiler, and the project's own circuits embedded at
//! build time.
//!
//! `build.rs` embeds every circuit listed in `circuits/artifacts/manifest.json` after checking that
//! its recorded source hash matches the sources; [`embedded`] hands them out by name.

use std::path::Path;

pub use govproof_toolchain::compile::{CompileError, Diagnostic};
use govproof_toolchain::{ensure, home, Compiler, InstallPolicy};

include!(concat!(env!("OUT_DIR"), "/embedded_circuits.rs"));

/// Compiles the Noir package at `project_dir` (a folder with `Nargo.toml` and `src/`) to a program
/// artifact (JSON bytes: `noir_version`, `hash`, `abi`, `bytecode`), installing the pinned toolchain
/// first when `policy` allows.
pub fn compile(
    project_dir: &Path,
    policy: InstallPolicy,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<u8>, CompileError> {
    let home = home()?;
    let installed = ensure(&home, policy, progress)?;
    govproof_toolchain::compile_package(&Compiler::choose(&installed), project_dir)
}

/// The artifact JSON of one of the project's own circuits, by name.
pub fn embedded(name: &str) -> Option<&'static [u8]> {
    EMBEDDED_CIRCUITS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}

/// The names of the project's own circuits, in manifest order.
pub fn embedded_names() -> impl Iterator<Item = &'static str> {
    EMBEDDED_CIRCUITS.iter().map(|(n, _)| *n)
}
