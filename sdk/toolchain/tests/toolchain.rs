#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may fail loudly
//! The toolchain installs from the pinned packages (fetched by npm), refuses tampered ones,
//! serializes concurrent installs and reports compile errors with their place in the source.

use std::path::{Path, PathBuf};
use std::process::Command;

use govproof_toolchain::{
    compile_package, ensure, home, install, CompileError, Compiler, InstallPolicy, PinnedPackage,
    ToolchainError, PINNED,
};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn shared_install() -> govproof_toolchain::Installed {
    let home = home().unwrap();
    ensure(&home, InstallPolicy::InstallIfMissing, &mut |_| {}).unwrap()
}

#[test]
fn tampered_package_hash_is_refused_and_nothing_is_installed() {
    let home = tempfile::tempdir().unwrap();
    let mut pins: Vec<PinnedPackage> = PINNED.to_vec();
    // Same package, another recorded hash: as if the tarball had been replaced upstream.
    pins[2].integrity = "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
    let err = install(home.path(), &pins, &mut |_| {}).unwrap_err();
    match &err {
        ToolchainError::HashMismatch { package, .. } => assert_eq!(package, "pako@3.0.1"),
        other => panic!("expected a hash mismatch, got {other}"),
    }
    assert!(err.to_string().contains("nothing was installed"));
    let left: Vec<_> = std::fs::read_dir(home.path().join("toolchains"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".install.lock")
        .collect();
    assert!(left.is_empty(), "install left {left:?} behind");
    assert!(govproof_toolchain::find_installed(home.path(), &pins)
        .unwrap()
        .is_none());
}

#[test]
fn concurrent_setups_wait_for_each_other_and_both_succeed() {
    let home = tempfile::tempdir().unwrap();
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_govproof-toolchain"))
            .arg("setup")
            .env("GOVPROOF_HOME", home.path())
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap(), b.join().unwrap())
    });
    for out in [&a, &b] {
        assert!(
            out.status.success(),
            "setup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let installs: Vec<_> = std::fs::read_dir(home.path().join("toolchains"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(installs.len(), 1, "{installs:?}");
    let installed = govproof_toolchain::find_installed(home.path(), PINNED)
        .unwrap()
        .expect("a complete install");
    assert!(installed.manifest().bb_version.starts_with("5.0.0"));
    // A third run finds the install and does no work.
    let (_, outcome) = install(home.path(), PINNED, &mut |_| {}).unwrap();
    assert_eq!(outcome, govproof_toolchain::InstallOutcome::AlreadyPresent);
}

#[test]
fn require_installed_refuses_an_empty_home() {
    let home = tempfile::tempdir().unwrap();
    let err = ensure(home.path(), InstallPolicy::RequireInstalled, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("govproof setup"), "{err}");
}

#[test]
fn a_valid_package_compiles_to_a_reproducible_artifact() {
    let installed = shared_install();
    let compiler = Compiler::choose(&installed);
    let a = compile_package(&compiler, &data("compile_success/square")).unwrap();
    let b = compile_package(&compiler, &data("compile_success/square")).unwrap();
    assert_eq!(a, b, "compiling twice gives different bytes");
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(
        v["noir_version"]
            .as_str()
            .unwrap()
            .split('+')
            .next()
            .unwrap(),
        govproof_toolchain::NOIR_VERSION
    );
    assert!(v.get("file_map").is_none() && v.get("debug_symbols").is_none());
}

#[test]
fn compile_errors_point_at_file_line_and_column() {
    let installed = shared_install();
    let compiler = Compiler::choose(&installed);
    let err = compile_package(&compiler, &data("compile_failure/type_mismatch")).unwrap_err();
    let CompileError::Source { diagnostics, .. } = &err else {
        panic!("expected source diagnostics, got {err}");
    };
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    assert_eq!(d.file, PathBuf::from("src/main.nr"));
    assert_eq!((d.line, d.column), (2, 17));
    assert!(
        d.message.contains("Expected type u8, found type Field"),
        "{}",
        d.message
    );
}

#[test]
fn setup_without_node_or_npm_says_what_to_install_and_installs_nothing() {
    let home = tempfile::tempdir().unwrap();
    let empty_path = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_govproof-toolchain"))
        .arg("setup")
        .env("GOVPROOF_HOME", home.path())
        .env("PATH", empty_path.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`node` was not found") && stderr.contains("install node 18+ and npm"),
        "{stderr}"
    );
    assert!(govproof_toolchain::find_installed(home.path(), PINNED)
        .unwrap()
        .is_none());
}
