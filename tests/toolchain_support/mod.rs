//! Finding bb and the real Ignition points, shared by every test that proves.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// bb from `GOVPROOF_BB`, else from the pinned toolchain, installed on first use (a failure to
/// install is a test failure, not a skip). `None` only when `GOVPROOF_BB` names no file.
pub fn bb() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GOVPROOF_BB") {
        if Path::new(&p).is_file() {
            return Some(PathBuf::from(p));
        }
        eprintln!(
            "skipped: GOVPROOF_BB={} is not a file",
            Path::new(&p).display()
        );
        return None;
    }
    let installed = govproof::toolchain::home()
        .and_then(|home| {
            govproof::toolchain::ensure(
                &home,
                govproof::toolchain::InstallPolicy::InstallIfMissing,
                &mut |m| eprintln!("{m}"),
            )
        })
        .unwrap_or_else(|e| panic!("cannot install the pinned toolchain: {e}"));
    Some(installed.bb())
}

/// `shared/crs/ignition-513` (the first 513 real Ignition points) in the nearest folder above the
/// repository that has one; `None`, with the reason printed, when there is none.
pub fn ignition_513() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = repo
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared").join("crs").join("ignition-513"))
        .find(|p| p.join("bn254_g1.dat").is_file());
    if found.is_none() {
        eprintln!("skipped: ../shared/crs/ignition-513 (real Ignition points) is not present");
    }
    found
}
