//! The `govproof registry` and `govproof keygen` commands, run in-process through clap exactly as
//! the binary parses them.

#![allow(clippy::unwrap_used)]

use crate::registry_support;

use std::path::Path;

use clap::Parser;
use govproof::registry::keys::KeyError;
use govproof::registry::store::StoreError;
use govproof::registry::TrustStateFile;
use govproof_cli::registry::{
    run_keygen, run_registry, CliError, Exit, KeygenArgs, RegistryCommand,
};
use registry_support::*;

#[derive(Parser)]
#[command(name = "govproof")]
#[allow(clippy::large_enum_variant)] // parsed once per test command
enum Cli {
    #[command(subcommand)]
    Registry(RegistryCommand),
    Keygen(KeygenArgs),
}

/// Runs one command line; returns the outcome and the report with the temporary folder shown as
/// `[TMP]`.
fn run(tmp: &Path, line: &str) -> (Result<Exit, CliError>, String) {
    let root = tmp.display().to_string();
    let args: Vec<String> = line
        .split_whitespace()
        .map(|a| a.replace("[TMP]", &root))
        .collect();
    let cli = Cli::try_parse_from(std::iter::once("govproof".to_string()).chain(args)).unwrap();
    let mut out = Vec::new();
    let result = match cli {
        Cli::Registry(c) => run_registry(c, &mut out),
        Cli::Keygen(a) => run_keygen(a, &mut out),
    };
    (
        result,
        String::from_utf8(out).unwrap().replace(&root, "[TMP]"),
    )
}

/// Runs a command that must succeed, and appends it and its report to `transcript`.
fn ok(tmp: &Path, transcript: &mut String, line: &str) {
    let (result, text) = run(tmp, line);
    match result {
        Ok(Exit::Success) => {}
        other => panic!("`{line}` gave {other:?}: {text}"),
    }
    transcript.push_str(&format!("$ govproof {line}\n{text}\n"));
}

fn fails(tmp: &Path, line: &str) -> CliError {
    let (result, text) = run(tmp, line);
    match result {
        Err(e) => {
            assert_eq!(e.exit_code(), 1);
            e
        }
        other => panic!("`{line}` should fail, gave {other:?}: {text}"),
    }
}

const ADD_COMMON: &str =
    "--weights-commitment 0x0000000000000000000000000000000000000000000000000000000000000abc \
    --profile small --scope-capacity 4 --fixed-point-scale 65536 \
    --scope consumer-credit/EU-DE/personal-loan --scope consumer-credit/EU-AT/personal-loan \
    --valid-from 2025-01-01T00:00:00Z --valid-until 2027-01-01T00:00:00Z \
    --approved-by Committee-minute-2024-12 --approved-at 2024-12-15T10:00:00Z";

fn setup_keys(tmp: &Path) {
    for i in 1..=4 {
        write_key_files(tmp, i);
    }
    std::fs::write(tmp.join("model.bin"), b"quantized weights").unwrap();
    std::fs::write(
        tmp.join("cert.json"),
        br#"{"scheme": "symmetric-int8", "max_abs_error": 0.0039}"#,
    )
    .unwrap();
}

/// A registry at version 1 (no entries; alice, bob, carol, 2 of 3), after checking that root 1
/// cannot be discarded before it is published.
fn published_v1(tmp: &Path, t: &mut String) {
    setup_keys(tmp);
    ok(tmp, t, "registry init --dir [TMP]/reg --key [TMP]/alice.pub --key [TMP]/bob.pub --key [TMP]/carol.pub --threshold 2 --now 2025-01-01T00:00:00Z");
    let e = fails(tmp, "registry discard --dir [TMP]/reg");
    assert!(
        matches!(e, CliError::Store(StoreError::NotPublished)),
        "{e}"
    );
    for holder in ["alice", "bob"] {
        ok(
            tmp,
            t,
            &format!("registry sign --dir [TMP]/reg --key [TMP]/{holder}.key"),
        );
    }
}

/// A registry at version 2 (two entries), for the negative tests.
fn published_v2(tmp: &Path) {
    let mut t = String::new();
    published_v1(tmp, &mut t);
    ok(tmp, &mut t, &format!("registry add --dir [TMP]/reg --model-id credit-risk --model-version 1.0.0 --model-file [TMP]/model.bin {ADD_COMMON} --now 2025-01-10T00:00:00Z"));
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/alice.key",
    );
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/bob.key",
    );
}

#[test]
fn a_registry_lives_through_init_add_revoke_and_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    setup_keys(tmp);
    let mut t = String::new();
    ok(tmp, &mut t, "registry init --dir [TMP]/reg --key [TMP]/alice.pub --key [TMP]/bob.pub --key [TMP]/carol.pub --threshold 2 --root-expires-in 1826d --snapshot-expires-in 365d --now 2025-01-01T00:00:00Z");
    ok(tmp, &mut t, "registry show --dir [TMP]/reg");
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/alice.key",
    );
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/bob.key",
    );
    ok(tmp, &mut t, "registry verify --dir [TMP]/reg --state [TMP]/trust.json --trust [TMP]/reg/root/1.json --now 2025-01-02T00:00:00Z");
    ok(tmp, &mut t, &format!("registry add --dir [TMP]/reg --model-id credit-risk --model-version 1.0.0 --model-file [TMP]/model.bin --certificate [TMP]/cert.json {ADD_COMMON} --snapshot-expires-in 365d --now 2025-01-10T00:00:00Z"));
    ok(tmp, &mut t, &format!("registry add --dir [TMP]/reg --model-id fraud-score --model-version 3.0.0 --model-digest {} {ADD_COMMON} --snapshot-expires-in 365d --now 2025-01-10T00:00:00Z", "ab".repeat(32)));
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/alice.key",
    );
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/carol.key",
    );
    ok(tmp, &mut t, "registry revoke --dir [TMP]/reg --model-id credit-risk --model-version 1.0.0 --reason drift-above-tolerance --snapshot-expires-in 365d --now 2025-02-01T00:00:00Z");
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/bob.key",
    );
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/carol.key",
    );
    ok(tmp, &mut t, "registry show --dir [TMP]/reg");
    ok(
        tmp,
        &mut t,
        "registry verify --dir [TMP]/reg --state [TMP]/trust.json --now 2025-02-02T00:00:00Z",
    );
    ok(tmp, &mut t, "registry rotate --dir [TMP]/reg --key [TMP]/alice.pub --key [TMP]/bob.pub --key [TMP]/dave.pub --threshold 2 --root-expires-in 1826d --snapshot-expires-in 365d --now 2025-03-01T00:00:00Z");
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/dave.key",
    );
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/carol.key",
    );
    ok(tmp, &mut t, "registry show --dir [TMP]/reg");
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/alice.key",
    );
    ok(
        tmp,
        &mut t,
        "registry verify --dir [TMP]/reg --state [TMP]/trust.json --now 2025-03-02T00:00:00Z",
    );
    ok(tmp, &mut t, "registry show --dir [TMP]/reg");
    insta::assert_snapshot!("registry_cli_transcript", t);

    // The trust state advanced to root 2 and snapshot 4.
    let trust = govproof::registry::TrustState::read(&tmp.join("trust.json"), None).unwrap();
    assert_eq!(trust.root().version().get(), 2);
    assert_eq!(trust.last_snapshot().unwrap().version.get(), 4);
    // Carol left with the rotation: nothing is staged, and she could not sign anyway.
    assert!(matches!(
        fails(tmp, "registry sign --dir [TMP]/reg --key [TMP]/carol.key"),
        CliError::Store(StoreError::NothingStaged)
    ));
}

#[test]
fn keygen_writes_a_private_key_and_never_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let (result, text) = run(tmp, "keygen --out [TMP]/erin --holder Erin");
    assert_eq!(result.unwrap(), Exit::Success);
    let secret = std::fs::read_to_string(tmp.join("erin.key")).unwrap();
    let seed_hex = secret.lines().nth(1).unwrap();
    assert_eq!(seed_hex.len(), 64);
    assert!(!text.contains(seed_hex), "keygen printed the secret");
    let key_id = secret.lines().next().unwrap().rsplit(' ').next().unwrap();
    assert!(
        text.starts_with(&format!("generated key {key_id}\n")),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.join("erin.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Never overwrites.
    assert!(matches!(
        fails(tmp, "keygen --out [TMP]/erin"),
        CliError::Key(KeyError::Exists(_))
    ));
    assert_eq!(
        std::fs::read_to_string(tmp.join("erin.key")).unwrap(),
        secret
    );
}

#[cfg(unix)]
#[test]
fn a_secret_key_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    published_v2(tmp);
    let before = tree_contents(&tmp.join("reg"));
    std::fs::set_permissions(
        tmp.join("alice.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let e = fails(tmp, "registry sign --dir [TMP]/reg --key [TMP]/alice.key");
    assert!(
        matches!(e, CliError::Key(KeyError::Exposed { mode: 0o644, .. })),
        "{e}"
    );
    assert!(e.to_string().contains("chmod 600"), "{e}");
    assert_eq!(tree_contents(&tmp.join("reg")), before);
}

#[test]
fn bad_input_changes_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    published_v2(tmp);
    std::fs::write(tmp.join("list.json"), b"[1, 2]").unwrap();
    let before = tree_contents(&tmp.join("reg"));
    let add = |rest: &str| {
        format!("registry add --dir [TMP]/reg --model-id credit-risk --model-version 1.0.0 --model-file [TMP]/model.bin {ADD_COMMON} {rest}")
    };
    let cases: Vec<(String, &str)> = vec![
        (add(""), "appears twice"),
        (add("--certificate [TMP]/list.json").replace("1.0.0", "2.0.0"), "expected a JSON object"),
        (add("--certificate [TMP]/missing.json").replace("1.0.0", "2.0.0"), "could not read"),
        (
            add("").replace("1.0.0", "2.0.0").replace("--scope-capacity 4", "--scope-capacity 1"),
            "do not fit the scope capacity",
        ),
        (
            add("").replace("1.0.0", "2.0.0").replace("--valid-until 2027-01-01T00:00:00Z", "--valid-until 2024-01-01T00:00:00Z"),
            "validity window is empty",
        ),
        (
            "registry revoke --dir [TMP]/reg --model-id credit-risk --model-version 9.9.9 --reason x".into(),
            "has no entry",
        ),
        ("registry sign --dir [TMP]/reg --key [TMP]/alice.key".into(), "nothing is staged"),
        (
            "registry rotate --dir [TMP]/reg --key [TMP]/alice.pub --threshold 2".into(),
            "threshold must be between 1 and the number of keys",
        ),
        (
            "registry init --dir [TMP]/reg --key [TMP]/alice.pub --threshold 1".into(),
            "is not empty",
        ),
        ("registry show --dir [TMP]/nowhere".into(), "is not a registry"),
    ];
    for (line, expected) in cases {
        let e = fails(tmp, &line);
        assert!(e.to_string().contains(expected), "`{line}`: {e}");
        assert_eq!(
            tree_contents(&tmp.join("reg")),
            before,
            "`{line}` changed the registry"
        );
    }

    // A key the root does not list signs nothing.
    ok(tmp, &mut String::new(), "registry revoke --dir [TMP]/reg --model-id credit-risk --model-version 1.0.0 --reason drift --now 2025-02-01T00:00:00Z");
    let staged = tree_contents(&tmp.join("reg"));
    let e = fails(tmp, "registry sign --dir [TMP]/reg --key [TMP]/dave.key");
    assert!(
        e.to_string().contains("is not a governance key of root 1"),
        "{e}"
    );
    assert_eq!(tree_contents(&tmp.join("reg")), staged);
}

#[test]
fn writers_refuse_to_build_on_a_tampered_registry() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    published_v2(tmp);
    let entries = tmp.join("reg/entries");
    let file = std::fs::read_dir(&entries)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
    )
    .unwrap();
    let before = tree_contents(&tmp.join("reg"));
    let e = fails(tmp, &format!("registry add --dir [TMP]/reg --model-id other --model-version 1 --model-file [TMP]/model.bin {ADD_COMMON}"));
    assert!(
        matches!(e, CliError::Store(StoreError::Inconsistent(_))),
        "{e}"
    );
    assert!(e.to_string().contains("was altered"), "{e}");
    assert_eq!(tree_contents(&tmp.join("reg")), before);
}

#[test]
fn trust_must_start_from_a_root_signed_by_its_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    published_v2(tmp);
    let e = fails(
        tmp,
        "registry verify --dir [TMP]/reg --state [TMP]/trust.json",
    );
    assert!(e.to_string().contains("pass `--trust <root.json>`"), "{e}");
    // Root 1 with one of its two signatures.
    let mut root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.join("reg/root/1.json")).unwrap()).unwrap();
    root["signatures"].as_array_mut().unwrap().truncate(1);
    std::fs::write(tmp.join("weak-root.json"), root.to_string()).unwrap();
    let (result, text) = run(
        tmp,
        "registry verify --dir [TMP]/reg --state [TMP]/trust.json --trust [TMP]/weak-root.json",
    );
    assert_eq!(result.unwrap(), Exit::Rejected);
    assert!(text.contains("root 1 has 1 valid signature(s)"), "{text}");
    assert!(!tmp.join("trust.json").exists());
}

#[test]
fn concurrent_writers_are_serialized() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    published_v2(tmp);
    let reg = govproof::registry::RegistryDir::at(tmp.join("reg"));
    std::thread::scope(|s| {
        for w in 0..2u64 {
            let reg = reg.clone();
            s.spawn(move || {
                for i in 0..4u64 {
                    let e = entry(&format!("model-{w}"), &format!("{i}"), w * 10 + i);
                    reg.add(e, days(30), t("2025-02-01T00:00:00Z")).unwrap();
                }
            });
        }
    });
    // Every add landed: none overwrote another's proposal.
    let proposal = reg.proposal().unwrap().unwrap();
    assert_eq!(proposal.entries.len(), 1 + 8);
    assert_eq!(proposal.snapshot.signed.entry_count(), 9);
}

#[test]
fn show_prints_the_published_registry() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/registry/accepted");
    let mut report = String::new();
    for name in ["current", "after-rotation"] {
        let (result, text) = run(
            &fixtures,
            &format!("registry show --dir [TMP]/{name}/registry"),
        );
        assert_eq!(result.unwrap(), Exit::Success);
        report.push_str(&format!(
            "$ govproof registry show --dir {name}/registry\n{text}\n"
        ));
    }
    insta::assert_snapshot!("registry_show", report);
}

/// Copies the registry's staged proposal to where a key holder works (away from the folder).
fn hand_out_proposal(tmp: &Path, holder: &str) {
    let away = tmp.join(holder);
    std::fs::create_dir_all(&away).unwrap();
    std::fs::copy(
        tmp.join("reg/staged/proposal.json"),
        away.join("proposal.json"),
    )
    .unwrap();
}

#[test]
fn key_holders_sign_away_from_the_folder_and_the_signatures_are_attached() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    setup_keys(tmp);
    let mut t = String::new();
    ok(tmp, &mut t, "registry init --dir [TMP]/reg --key [TMP]/alice.pub --key [TMP]/bob.pub --key [TMP]/carol.pub --threshold 2 --root-expires-in 1826d --snapshot-expires-in 365d --now 2025-01-01T00:00:00Z");
    for holder in ["alice", "bob"] {
        hand_out_proposal(tmp, holder);
        ok(tmp, &mut t, &format!("registry sign --proposal [TMP]/{holder}/proposal.json --key [TMP]/{holder}.key --out [TMP]/{holder}/signature.json"));
    }
    ok(
        tmp,
        &mut t,
        "registry attach --dir [TMP]/reg [TMP]/alice/signature.json [TMP]/bob/signature.json",
    );
    ok(tmp, &mut t, "registry verify --dir [TMP]/reg --state [TMP]/trust.json --trust [TMP]/reg/root/1.json --now 2025-01-02T00:00:00Z");

    // A key rotation: the staged root needs the old threshold (alice, bob, carol) and the new one
    // (alice, bob, dave), the re-issued snapshot the new one.
    ok(tmp, &mut t, "registry rotate --dir [TMP]/reg --key [TMP]/alice.pub --key [TMP]/bob.pub --key [TMP]/dave.pub --threshold 2 --root-expires-in 1826d --snapshot-expires-in 365d --now 2025-03-01T00:00:00Z");
    for holder in ["carol", "dave", "alice"] {
        hand_out_proposal(tmp, holder);
        ok(tmp, &mut t, &format!("registry sign --proposal [TMP]/{holder}/proposal.json --key [TMP]/{holder}.key --out [TMP]/{holder}/rotation.json"));
    }
    ok(tmp, &mut t, "registry attach --dir [TMP]/reg [TMP]/carol/rotation.json [TMP]/dave/rotation.json [TMP]/alice/rotation.json");
    ok(
        tmp,
        &mut t,
        "registry verify --dir [TMP]/reg --state [TMP]/trust.json --now 2025-03-02T00:00:00Z",
    );
    insta::assert_snapshot!("registry_detached_transcript", t);

    let trust = govproof::registry::TrustState::read(&tmp.join("trust.json"), None).unwrap();
    assert_eq!(trust.root().version().get(), 2);
    assert_eq!(trust.last_snapshot().unwrap().version.get(), 2);
}

/// Every file under `dir`, with its bytes.
fn tree(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                files.push((p, bytes));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn a_detached_signature_that_does_not_fit_what_is_staged_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    published_v2(tmp);
    let mut t = String::new();
    ok(tmp, &mut t, &format!("registry add --dir [TMP]/reg --model-id fraud-score --model-version 3.0.0 --model-digest {} {ADD_COMMON} --now 2025-01-20T00:00:00Z", "ab".repeat(32)));
    for holder in ["alice", "dave"] {
        hand_out_proposal(tmp, holder);
        ok(tmp, &mut t, &format!("registry sign --proposal [TMP]/{holder}/proposal.json --key [TMP]/{holder}.key --out [TMP]/{holder}/signature.json"));
    }
    let before = tree(&tmp.join("reg"));

    // One flipped bit in the signature.
    let good = std::fs::read_to_string(tmp.join("alice/signature.json")).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&good).unwrap();
    let sig = file["snapshot"]["signature"].as_str().unwrap().to_string();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    file["snapshot"]["signature"] = flipped.into();
    std::fs::write(tmp.join("bad.json"), file.to_string()).unwrap();
    let e = fails(tmp, "registry attach --dir [TMP]/reg [TMP]/bad.json");
    assert!(
        matches!(e, CliError::Store(StoreError::BadSignature { .. })),
        "{e}"
    );

    // Dave holds no key of root 1.
    let e = fails(
        tmp,
        "registry attach --dir [TMP]/reg [TMP]/dave/signature.json",
    );
    assert!(
        matches!(e, CliError::Store(StoreError::NotInvolved { .. })),
        "{e}"
    );

    // Not a signature file, a file of another format, an unknown field: refused before any
    // file is attached, even a good one given first.
    std::fs::write(tmp.join("garbage.json"), "{\"format\": ").unwrap();
    let e = fails(
        tmp,
        "registry attach --dir [TMP]/reg [TMP]/alice/signature.json [TMP]/garbage.json",
    );
    assert!(matches!(e, CliError::Document(_)), "{e}");
    let other = good.replace(
        "govproof-registry-signature/v1",
        "govproof-registry-signature/v9",
    );
    std::fs::write(tmp.join("other.json"), other).unwrap();
    let e = fails(tmp, "registry attach --dir [TMP]/reg [TMP]/other.json");
    assert!(
        e.to_string()
            .contains("is not `govproof-registry-signature/v1`"),
        "{e}"
    );
    assert_eq!(
        tree(&tmp.join("reg")),
        before,
        "a refused attach changed the registry"
    );

    // Signing again never replaces a signature file.
    let e = fails(tmp, "registry sign --proposal [TMP]/alice/proposal.json --key [TMP]/alice.key --out [TMP]/alice/signature.json");
    assert!(matches!(e, CliError::Io(_)), "{e}");
    assert_eq!(
        std::fs::read_to_string(tmp.join("alice/signature.json")).unwrap(),
        good
    );

    // The same key attached twice counts once.
    ok(
        tmp,
        &mut t,
        "registry attach --dir [TMP]/reg [TMP]/alice/signature.json [TMP]/alice/signature.json",
    );
    assert!(
        t.ends_with("more signatures are needed before it is published\n\n"),
        "{t}"
    );

    // A signature made on the proposal before it was re-staged by another change is stale.
    ok(tmp, &mut t, &format!("registry add --dir [TMP]/reg --model-id fraud-score --model-version 3.1.0 --model-digest {} {ADD_COMMON} --now 2025-01-21T00:00:00Z", "cd".repeat(32)));
    let staged = tree(&tmp.join("reg"));
    let e = fails(
        tmp,
        "registry attach --dir [TMP]/reg [TMP]/alice/signature.json",
    );
    assert!(
        matches!(e, CliError::Store(StoreError::StaleSignature { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("made on another proposal"), "{e}");
    assert_eq!(
        tree(&tmp.join("reg")),
        staged,
        "a refused attach changed the registry"
    );
}

#[test]
fn a_staged_change_can_be_discarded_and_the_published_registry_stays() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let mut t = String::new();
    published_v1(tmp, &mut t);
    let published = tree(&tmp.join("reg"));
    ok(tmp, &mut t, &format!("registry add --dir [TMP]/reg --model-id credit-risk --model-version 1.0.0 --model-file [TMP]/model.bin {ADD_COMMON} --now 2025-01-10T00:00:00Z"));
    ok(
        tmp,
        &mut t,
        "registry sign --dir [TMP]/reg --key [TMP]/alice.key",
    );
    ok(tmp, &mut t, "registry discard --dir [TMP]/reg");
    assert!(
        t.contains("discarded the staged snapshot 2 and the 1 signature(s) it had collected"),
        "{t}"
    );
    // Only the unreferenced entry file remains of the change.
    let after: Vec<_> = tree(&tmp.join("reg"))
        .into_iter()
        .filter(|(p, _)| !p.starts_with(tmp.join("reg/entries")))
        .collect();
    let before: Vec<_> = published
        .into_iter()
        .filter(|(p, _)| !p.starts_with(tmp.join("reg/entries")))
        .collect();
    assert_eq!(after, before);
    let e = fails(tmp, "registry discard --dir [TMP]/reg");
    assert!(
        matches!(e, CliError::Store(StoreError::NothingStaged)),
        "{e}"
    );
    let e = fails(tmp, "registry sign --dir [TMP]/reg --key [TMP]/bob.key");
    assert!(
        matches!(e, CliError::Store(StoreError::NothingStaged)),
        "{e}"
    );
    ok(tmp, &mut t, "registry verify --dir [TMP]/reg --state [TMP]/trust.json --trust [TMP]/reg/root/1.json --now 2025-01-11T00:00:00Z");
}
