//! The checked-in circuit sources are what the SDK generates and embeds.
//!
//! The reference profiles' composite packages under `circuits/profiles/` must be byte-identical to
//! the generator's output (set `GOVPROOF_REGENERATE=1` to rewrite them after changing the
//! generator), and every one must be listed in the artifact manifest with its current source hash.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use govproof::circuits::generate::{composite_main, composite_manifest, project_path, LIBRARIES};
use govproof::circuits::Profile;
use govproof::toolchain::sources::{read_manifest, source_hash};

fn circuits_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits")
}

#[test]
fn reference_packages_are_what_the_generator_writes() {
    let regenerate = std::env::var_os("GOVPROOF_REGENERATE").is_some();
    for profile in Profile::references() {
        let dir = circuits_root().join(project_path(&profile));
        for (rel, expected) in [
            ("Nargo.toml", composite_manifest(&profile)),
            ("src/main.nr", composite_main(&profile)),
        ] {
            let path = dir.join(rel);
            if regenerate {
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(&path, &expected).unwrap();
            }
            let found = fs::read_to_string(&path).unwrap_or_default();
            assert!(
                found == expected,
                "`{}` differs from the generator's output; rerun with GOVPROOF_REGENERATE=1",
                path.display()
            );
        }
    }
}

#[test]
fn embedded_libraries_are_the_repository_libraries() {
    for lib in LIBRARIES {
        let dir = circuits_root().join("lib").join(lib.name);
        assert_eq!(
            fs::read_to_string(dir.join("Nargo.toml")).unwrap(),
            lib.manifest
        );
        assert_eq!(
            fs::read_to_string(dir.join("src/lib.nr")).unwrap(),
            lib.source
        );
    }
}

#[test]
fn every_circuit_is_in_the_manifest_with_its_current_sources() {
    let manifest = read_manifest(&circuits_root()).unwrap();
    let mut expected: Vec<String> = Profile::references().iter().map(|p| p.name()).collect();
    expected.extend(
        [
            "inference_gate_program",
            "score_infer_program",
            "registry_membership_program",
            "policy_scope_program",
            "mirror_outputs",
        ]
        .map(String::from),
    );
    for name in &expected {
        let entry = manifest
            .circuits
            .iter()
            .find(|c| &c.name == name)
            .unwrap_or_else(|| panic!("`{name}` is not in the manifest"));
        let hash = source_hash(&circuits_root().join(&entry.package)).unwrap();
        assert_eq!(
            hash, entry.source_hash,
            "`{name}` changed since it was compiled; run `govproof circuits build`"
        );
    }
    for profile in Profile::references() {
        let entry = manifest
            .circuits
            .iter()
            .find(|c| c.name == profile.name())
            .unwrap();
        assert_eq!(
            govproof::circuits::generate::source_hash(&profile).unwrap(),
            entry.source_hash,
            "a generated package must hash like the checked-in one"
        );
    }
}

/// Assertion messages that name no decision constraint: the toolchain's own checks, and bounds no
/// input within the fixed-point ranges can reach.
const INTERNAL_MESSAGES: [&str; 6] = [
    "call to assert_max_bit_size",
    "attempt to add with overflow",
    "attempt to subtract with overflow",
    "Index out of bounds",
    "hidden activation exceeds its fixed-point bound",
    "sponge absorbed a different count than it declared",
];

#[test]
fn composite_messages_and_constraints_are_the_same_list() {
    use govproof::abi::AbiErrorType;
    use govproof::artifact::Artifact;
    use govproof::circuits::Constraint;
    let mut seen = std::collections::BTreeSet::new();
    for profile in Profile::references() {
        let name = profile.name();
        let json = govproof::noir::embedded(&name).unwrap();
        let artifact = Artifact::from_json(&name, std::str::from_utf8(json).unwrap()).unwrap();
        for t in artifact.abi().error_types().values() {
            let AbiErrorType::String { string } = t else {
                panic!("`{name}` has a non-constant assertion message: {t:?}")
            };
            if let Some(c) = Constraint::from_message(string) {
                seen.insert(c.message());
            } else {
                assert!(
                    INTERNAL_MESSAGES.contains(&string.as_str())
                        || string.starts_with("Field failed to decompose"),
                    "`{name}` asserts `{string}`, which no Constraint names"
                );
            }
        }
    }
    for c in Constraint::ALL {
        assert!(
            seen.contains(&c.message()),
            "no reference composite asserts `{c}`"
        );
    }
}
