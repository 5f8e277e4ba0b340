//! Gate budgets of the embedded circuits, measured with the pinned `bb`.
//!
//! `bb` comes from `GOVPROOF_BB` or the pinned toolchain, installed on first use.

#![allow(clippy::unwrap_used)]

use crate::circuits_support;

use govproof::circuits::info::embedded_infos;
use govproof::circuits::Profile;

#[test]
fn reference_composites_fit_the_gate_budget() {
    let Some(bb) = circuits_support::bb() else {
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
