#![allow(clippy::unwrap_used)] // test helpers fail loudly
//! The toolchain check (`govproof example`), in-process: compile-time embedded circuit,
//! in-process witness, warm bb, development setup, verification, and a tampered public input
//! rejected.

use clap::Parser;
use govproof_cli::{run, Cli, Exit};

fn govproof(args: &[&str]) -> (Exit, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("govproof").chain(args.iter().copied())).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = run(cli, &mut out, &mut err);
    (
        exit,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn example_proves_verifies_and_rejects_a_tampered_commitment() {
    let (exit, out, err) = govproof(&["example", "--dev-setup"]);
    assert_eq!(exit, Exit::Success, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("setup: DEVELOPMENT"), "{out}");
    assert!(out.contains("decision (public): approve"), "{out}");
    assert!(out.contains("verify: valid"), "{out}");
    assert!(out.contains("tampered commitment: rejected"), "{out}");
}
