//! The checked-in circuit sources are what the SDK generates and embeds.
//!
//! The reference profiles' composite packages under `circuits/profiles/` must be byte-identical to
//! the generator's output (set `GOVPROOF_REGENERATE=1` to rewrite them after changing the
//! generator), and every one must be listed in the artifact manifest with its current source hash.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use govproof::circuits::generate::{
    audit_batch_id, audit_batch_main, audit_batch_manifest, audit_batch_path, composite_main,
    composite_manifest, project_path, LIBRARIES,
};
use govproof::circuits::Profile;
use govproof::toolchain::sources::{read_manifest, source_hash};

fn circuits_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits")
}

#[test]
fn reference_packages_are_what_the_generator_writes() {
    let regenerate = std::env::var_os("GOVPROOF_REGENERATE").is_some();
    let mut packages = Vec::new();
    for profile in Profile::references() {
        packages.push((
            project_path(&profile),
            composite_manifest(&profile),
            composite_main(&profile),
        ));
        // Every reference profile has an audit batch circuit, checked in beside it.
        packages.push((
            audit_batch_path(&profile),
            audit_batch_manifest(&profile).unwrap(),
            audit_batch_main(&profile).unwrap(),
        ));
    }
    for (package, manifest, main) in packages {
        let dir = circuits_root().join(package);
        for (rel, expected) in [("Nargo.toml", manifest), ("src/main.nr", main)] {
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
    expected.extend(Profile::references().iter().map(audit_batch_id));
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

/// The texts passed to the circuits' prover-side checks (`fixed_point::check_below`): constant
/// byte arrays among a Brillig call's inputs. Their assertion is a Brillig one, so the ABI records
/// only the message's type (`str<L>`) and the text travels in the bytecode.
fn brillig_call_texts(program: &acir::circuit::Program<acir::FieldElement>) -> Vec<String> {
    use acir::circuit::brillig::BrilligInputs;
    use acir::circuit::Opcode;
    use acir::AcirField;
    let mut texts = Vec::new();
    for opcode in &program.functions[0].opcodes {
        let Opcode::BrilligCall { inputs, .. } = opcode else {
            continue;
        };
        for input in inputs {
            let BrilligInputs::Array(items) = input else {
                continue;
            };
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|e| {
                    e.to_const()
                        .and_then(|c| c.try_to_u64())
                        .and_then(|b| u8::try_from(b).ok())
                        .filter(|b| b.is_ascii_graphic() || *b == b' ')
                })
                .collect();
            if let Some(text) = bytes.and_then(|b| String::from_utf8(b).ok()) {
                texts.push(text);
            }
        }
    }
    texts
}

#[test]
fn composite_messages_and_constraints_are_the_same_list() {
    use govproof::abi::{AbiErrorType, AbiType};
    use govproof::artifact::Artifact;
    use govproof::circuits::Constraint;
    let mut seen = std::collections::BTreeSet::new();
    for profile in Profile::references() {
        let name = profile.name();
        let json = govproof::noir::embedded(&name).unwrap();
        let artifact = Artifact::from_json(&name, std::str::from_utf8(json).unwrap()).unwrap();
        let texts = brillig_call_texts(artifact.program());
        let mut messages = Vec::new();
        for t in artifact.abi().error_types().values() {
            match t {
                AbiErrorType::String { string } => messages.push(string.clone()),
                // A message handed to a prover-side check: its text is among the call inputs.
                AbiErrorType::Custom(AbiType::String { length }) => assert!(
                    texts.iter().any(|m| m.len() == *length as usize),
                    "`{name}` has a message of {length} bytes that no prover-side check passes"
                ),
                other => panic!("`{name}` has a non-constant assertion message: {other:?}"),
            }
        }
        messages.extend(texts);
        for string in messages {
            if let Some(c) = Constraint::from_message(&string) {
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
