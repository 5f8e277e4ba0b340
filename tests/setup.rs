#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may fail loudly
//! Trusted setups: importing Ignition points for air-gapped machines, opening setups, and what
//! bb's own `SrsInitSrs` command does with a development setup.
//!
//! The real points come from `shared/crs/ignition-513` beside the repository; bb from
//! `GOVPROOF_BB` or the installed toolchain. Each test prints why and returns when what it needs
//! is missing.

use govproof_testkit::{bb, ignition_513};

use std::fs;
use std::path::Path;

use govproof::setup::{
    dangerous, import_crs, CrsDownloads, PointProblem, Setup, SetupError, SetupKind,
    CANONICAL_IGNITION_G2, G1_FILE, G1_POINT_BYTES, G2_FILE,
};

/// A copy of the Ignition folder with its G1 and G2 bytes passed through `edit`.
fn tampered(src: &Path, edit: impl FnOnce(&mut Vec<u8>, &mut Vec<u8>)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut g1 = fs::read(src.join(G1_FILE)).unwrap();
    let mut g2 = fs::read(src.join(G2_FILE)).unwrap();
    edit(&mut g1, &mut g2);
    fs::write(dir.path().join(G1_FILE), g1).unwrap();
    fs::write(dir.path().join(G2_FILE), g2).unwrap();
    dir
}

/// Imports `src` into a fresh folder and checks the refusal left that folder empty.
fn import_refused(src: &Path) -> SetupError {
    let dest = tempfile::tempdir().unwrap();
    let target = dest.path().join("crs");
    let err = import_crs(src, &target).unwrap_err();
    assert!(!target.exists(), "a refused import wrote to disk");
    err
}

#[test]
fn import_accepts_ignition_513_and_the_result_opens_as_ignition() {
    let Some(src) = ignition_513() else {
        return;
    };
    let dest = tempfile::tempdir().unwrap();
    let target = dest.path().join("crs");
    let imported = import_crs(&src, &target).unwrap();
    assert_eq!(imported.points, 513);
    assert_eq!(
        fs::read(target.join(G1_FILE)).unwrap(),
        fs::read(src.join(G1_FILE)).unwrap()
    );
    assert_eq!(
        fs::read(target.join(G2_FILE)).unwrap(),
        CANONICAL_IGNITION_G2
    );
    let setup = Setup::ignition(&target, CrsDownloads::Forbidden).unwrap();
    assert_eq!(setup.kind(), SetupKind::Ignition);
    assert_eq!(setup.available_points().unwrap(), 513);
    // Importing again over the same points is fine (idempotent).
    assert_eq!(import_crs(&src, &target).unwrap().points, 513);
}

#[test]
fn import_refuses_a_folder_whose_point_0_is_not_the_generator() {
    let Some(src) = ignition_513() else {
        return;
    };
    // Drop point 0: the file now starts with x*G, still a valid point on the curve.
    let bad = tampered(&src, |g1, _| {
        g1.drain(..G1_POINT_BYTES);
    });
    assert!(matches!(
        import_refused(bad.path()),
        SetupError::NotGenerator { .. }
    ));
}

#[test]
fn import_refuses_a_wrong_g2() {
    let Some(src) = ignition_513() else {
        return;
    };
    let bad = tampered(&src, |_, g2| g2[100] ^= 0x01);
    assert!(matches!(
        import_refused(bad.path()),
        SetupError::WrongG2 { .. }
    ));
    let short = tampered(&src, |_, g2| g2.truncate(64));
    assert!(matches!(
        import_refused(short.path()),
        SetupError::BadG2Length { len: 64, .. }
    ));
}

#[test]
fn import_refuses_a_truncated_file() {
    let Some(src) = ignition_513() else {
        return;
    };
    let bad = tampered(&src, |g1, _| {
        let n = g1.len();
        g1.truncate(n - 10);
    });
    match import_refused(bad.path()) {
        SetupError::Truncated { len, unit, .. } => {
            assert_eq!(len, 513 * 64 - 10);
            assert_eq!(unit, 64);
        }
        other => panic!("expected Truncated, got {other}"),
    }
}

#[test]
fn import_refuses_a_point_off_the_curve() {
    let Some(src) = ignition_513() else {
        return;
    };
    let bad = tampered(&src, |g1, _| g1[300 * G1_POINT_BYTES + 63] ^= 0x01);
    match import_refused(bad.path()) {
        SetupError::BadPoint { index, problem, .. } => {
            assert_eq!(index, 300);
            assert_eq!(problem, PointProblem::NotOnCurve);
        }
        other => panic!("expected BadPoint, got {other}"),
    }
}

#[test]
fn import_refuses_valid_points_in_the_wrong_order() {
    let Some(src) = ignition_513() else {
        return;
    };
    // Every point is still on the curve, but P[201] is no longer x * P[200].
    let bad = tampered(&src, |g1, _| {
        let (a, b) = (200 * G1_POINT_BYTES, 201 * G1_POINT_BYTES);
        for i in 0..G1_POINT_BYTES {
            g1.swap(a + i, b + i);
        }
    });
    assert!(matches!(
        import_refused(bad.path()),
        SetupError::InconsistentPowers { .. }
    ));
}

#[test]
fn import_refuses_a_folder_without_g2() {
    let Some(src) = ignition_513() else {
        return;
    };
    let bad = tampered(&src, |_, _| {});
    fs::remove_file(bad.path().join(G2_FILE)).unwrap();
    assert!(matches!(
        import_refused(bad.path()),
        SetupError::MissingFile { .. }
    ));
}

#[test]
fn the_development_crs_is_not_ignition() {
    let cache = tempfile::tempdir().unwrap();
    let dev = dangerous::development_setup(cache.path()).unwrap();
    assert_eq!(dev.kind(), SetupKind::Development);
    assert!(dev.available_points().unwrap() >= 1024);
    // Its folder cannot be imported or opened as Ignition.
    assert!(matches!(
        import_refused(&dev.crs_dir()),
        SetupError::WrongG2 { .. }
    ));
    assert!(matches!(
        Setup::ignition(&dev.crs_dir(), CrsDownloads::Forbidden),
        Err(SetupError::WrongG2 { .. })
    ));
    fs::remove_file(dev.crs_dir().join(G2_FILE)).unwrap();
    assert!(matches!(
        Setup::ignition(&dev.crs_dir(), CrsDownloads::Forbidden),
        Err(SetupError::NotIgnition { .. })
    ));
}

#[test]
fn an_ignition_setup_needs_its_folder_unless_downloads_are_allowed() {
    let base = tempfile::tempdir().unwrap();
    let missing = base.path().join("crs");
    assert!(matches!(
        Setup::ignition(&missing, CrsDownloads::Forbidden),
        Err(SetupError::MissingFile { .. })
    ));
    let setup = Setup::ignition(&missing, CrsDownloads::Allowed).unwrap();
    assert_eq!(setup.available_points().unwrap(), 0);
    assert!(setup.ensure_points(1 << 20).is_ok());
    let forbidden = Setup::ignition(&missing, CrsDownloads::Forbidden).unwrap();
    assert!(matches!(
        forbidden.ensure_points(1),
        Err(SetupError::NotEnoughPoints { available: 0, .. })
    ));
}

/// Records what bb 5.0.0's `SrsInitSrs` does, the reason development proofs need a patched
/// verifier: it accepts the real Ignition points but refuses a development CRS outright.
#[test]
fn bb_srs_init_srs_accepts_ignition_and_refuses_a_development_crs() {
    let (Some(bb), Some(src)) = (bb(), ignition_513()) else {
        return;
    };
    use barretenberg_rs::backends::PipeBackend;
    use barretenberg_rs::BarretenbergApi;

    let cache = tempfile::tempdir().unwrap();
    let dev = dangerous::development_setup(cache.path()).unwrap();
    let dev_g1 = fs::read(dev.crs_dir().join(G1_FILE)).unwrap();
    let real_g1 = fs::read(src.join(G1_FILE)).unwrap();
    let mut api = BarretenbergApi::new(PipeBackend::new(&bb, None).unwrap());

    api.srs_init_srs(&real_g1, 513, &CANONICAL_IGNITION_G2)
        .unwrap();
    let dev_points = api
        .srs_init_srs(&dev_g1[..513 * 64], 513, &dev.g2_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        dev_points.contains("does not match the canonical trusted-setup tau"),
        "{dev_points}"
    );
    let dev_g2 = api
        .srs_init_srs(&real_g1, 513, &dev.g2_bytes())
        .unwrap_err()
        .to_string();
    assert!(dev_g2.contains("canonical Aztec [x]_2"), "{dev_g2}");
    api.destroy().unwrap();
}
