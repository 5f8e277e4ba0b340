//! Gate budgets of the embedded circuits, measured with the pinned `bb`.
//!
//! `bb` comes from `GOVPROOF_BB` or the installed pinned toolchain; without either the test prints
//! why and passes without measuring.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use govproof::circuits::info::embedded_infos;
use govproof::circuits::Profile;

fn bb() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GOVPROOF_BB") {
        return Some(PathBuf::from(p));
    }
    let home = govproof::toolchain::home().ok()?;
    let installed =
        govproof::toolchain::find_installed(&home, govproof::toolchain::PINNED).ok()??;
    Some(installed.bb())
}

#[test]
fn reference_composites_fit_the_gate_budget() {
    let Some(bb) = bb() else {
        eprintln!("skipped: no bb (set GOVPROOF_BB or run `govproof setup`)");
        return;
    };
    let infos = embedded_infos(&bb).unwrap();
    for profile in Profile::references() {
        let info = infos
            .iter()
            .find(|i| i.name == profile.name())
            .unwrap_or_else(|| panic!("`{}` is embedded", profile.name()));
        assert_eq!(info.profile, Some(profile));
        eprintln!("{}: {} gates", info.name, info.gates);
        assert!(info.gates <= 1 << 15, "{} exceeds 2^15 gates", info.name);
        assert!(info.gates <= 1 << 14, "{} misses the 2^14 aim", info.name);
    }
    let text = govproof::circuits::info::render(&infos);
    assert!(text.contains("mlp-24x16-d20-b8-s16-p8-m4"));
}
