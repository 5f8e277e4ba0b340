//! Embeds the project's own compiled circuits in the SDK.
//!
//! Every circuit in `circuits/artifacts/manifest.json` is embedded after two checks: the artifact
//! file hashes to its recorded hash, and the sources hash to the recorded source hash. When the
//! sources changed, the circuit is recompiled with the installed pinned toolchain into OUT_DIR (and
//! a warning asks to update the checked-in artifact); without a toolchain the build stops with the
//! command to run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use govproof_toolchain::sources::{read_manifest, source_hash, CircuitManifest};
use govproof_toolchain::{compile_package, find_installed, home, Compiler, PINNED};

const REBUILD: &str = "cargo run -p govproof-toolchain -- build-circuits";

fn fail(msg: String) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1)
}

fn main() {
    // The library's package is `sdk/`; this script and the circuits it embeds are at the root.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let circuits = root.join("../circuits");
    println!("cargo:rerun-if-changed=../circuits");
    println!("cargo:rerun-if-changed=../build.rs");
    println!("cargo:rerun-if-env-changed=GOVPROOF_HOME");

    let manifest = if circuits.join("artifacts/manifest.json").exists() {
        read_manifest(&circuits).unwrap_or_else(|e| fail(e.to_string()))
    } else {
        CircuitManifest::default()
    };
    let mut generated = String::from(
        "/// The project's circuits (name, artifact JSON), checked against their sources at build time.\n\
         pub static EMBEDDED_CIRCUITS: &[(&str, &[u8])] = &[\n",
    );
    for entry in &manifest.circuits {
        let package = circuits.join(&entry.package);
        let artifact = circuits.join("artifacts").join(&entry.artifact);
        let bytes = std::fs::read(&artifact)
            .unwrap_or_else(|e| fail(format!("`{}`: {e}", artifact.display())));
        if blake3::hash(&bytes).to_hex().as_str() != entry.artifact_hash {
            fail(format!(
                "`{}` does not match its recorded hash; run `{REBUILD}`",
                artifact.display()
            ));
        }
        let current = source_hash(&package).unwrap_or_else(|e| fail(e.to_string()));
        let embedded: PathBuf = if current == entry.source_hash {
            artifact
        } else {
            recompile(&entry.name, &package, &out_dir)
        };
        let _ = writeln!(
            generated,
            "    ({:?}, include_bytes!({:?})),",
            entry.name,
            embedded.display().to_string()
        );
    }
    generated.push_str("];\n");
    let dest = out_dir.join("embedded_circuits.rs");
    std::fs::write(&dest, generated).unwrap_or_else(|e| fail(format!("`{}`: {e}", dest.display())));
}

fn recompile(name: &str, package: &Path, out_dir: &Path) -> PathBuf {
    let installed = home()
        .ok()
        .and_then(|h| find_installed(&h, PINNED).ok().flatten())
        .unwrap_or_else(|| {
            fail(format!(
                "the sources of circuit `{name}` changed since its artifact was compiled, and the \
                 pinned toolchain is not installed to recompile it; run `{REBUILD}`"
            ))
        });
    let json = compile_package(&Compiler::choose(&installed), package)
        .unwrap_or_else(|e| fail(e.to_string()));
    let dest = out_dir.join(format!("{name}.json"));
    std::fs::write(&dest, json).unwrap_or_else(|e| fail(format!("`{}`: {e}", dest.display())));
    println!(
        "cargo:warning=circuit `{name}` changed since its checked-in artifact was compiled; \
         embedded a fresh compile. Run `{REBUILD}` to update the artifact"
    );
    dest
}
