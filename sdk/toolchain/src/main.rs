//! `govproof-toolchain`: installs the pinned toolchain and rebuilds the project's circuits. It does
//! not depend on the SDK, so it works when the SDK does not build (for example after editing a
//! circuit without the toolchain installed).

use std::path::PathBuf;
use std::process::ExitCode;

use govproof_toolchain::{ensure, home, sources, Compiler, InstallPolicy};

fn usage() -> ExitCode {
    eprintln!("usage: govproof-toolchain setup | build-circuits [--check] [CIRCUITS_DIR]");
    ExitCode::from(1)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => home()
            .and_then(|h| {
                ensure(&h, InstallPolicy::InstallIfMissing, &mut |m| {
                    eprintln!("{m}")
                })
            })
            .map(|i| println!("toolchain ready at {}", i.dir().display()))
            .map_err(|e| e.to_string()),
        Some("build-circuits") => {
            let check = args.iter().any(|a| a == "--check");
            let dir = args
                .iter()
                .skip(1)
                .find(|a| !a.starts_with("--"))
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../circuits")
                });
            home()
                .and_then(|h| {
                    ensure(&h, InstallPolicy::InstallIfMissing, &mut |m| {
                        eprintln!("{m}")
                    })
                })
                .map_err(|e| e.to_string())
                .and_then(|i| {
                    sources::build_all(&Compiler::choose(&i), &dir, check)
                        .map_err(|e| e.to_string())
                })
                .map(|reports| {
                    for r in reports {
                        let what = if r.changed { "rebuilt" } else { "up to date" };
                        println!("{}: {what}", r.name);
                    }
                })
        }
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
