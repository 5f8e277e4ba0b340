//! Shared helpers for the registry tests: deterministic keys, fixed times, sample entries.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use govproof::field::Field;
use govproof::registry::entry::{Digest, EntryDraft, QuantizationCertificate};
use govproof::registry::keys::PublicKeyFile;
use govproof::registry::names::{ModelId, ModelVersion, Note, ProfileName};
use govproof::registry::SecretKeyFile;
use govproof::registry::{Entry, RootKey, SecretKey, Status, TimeSpan, Timestamp};

pub const HOLDERS: [&str; 7] = ["", "alice", "bob", "carol", "dave", "erin", "frank"];

/// Key `i` (1 = alice, 2 = bob, 3 = carol, 4 = dave, ...): seed `[i; 32]`.
pub fn key(i: u8) -> SecretKey {
    govproof_testkit::seeded_key(i)
}

pub fn holder(i: u8) -> Note {
    Note::new(HOLDERS.get(i as usize).copied().unwrap_or("someone")).unwrap()
}

pub fn root_keys(ids: &[u8]) -> Vec<RootKey> {
    ids.iter()
        .map(|&i| RootKey::new(key(i).public_key(), Some(holder(i))))
        .collect()
}

pub fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

pub fn days(n: u64) -> TimeSpan {
    TimeSpan::days(n).unwrap()
}

/// Writes `<dir>/<name>.key` (0600) and `<dir>/<name>.pub` for key `i`.
pub fn write_key_files(dir: &Path, i: u8) -> (std::path::PathBuf, std::path::PathBuf) {
    let name = HOLDERS[i as usize];
    let secret = dir.join(format!("{name}.key"));
    let public = dir.join(format!("{name}.pub"));
    key(i).write_new(&secret).unwrap();
    PublicKeyFile::new(key(i).public_key(), Some(holder(i)))
        .write_new(&public)
        .unwrap();
    (secret, public)
}

/// A sample entry; `n` varies the weights commitment and model digest.
pub fn entry(model: &str, version: &str, n: u64) -> Entry {
    let mut cert = serde_json::Map::new();
    cert.insert("scheme".into(), "symmetric-int8".into());
    cert.insert("max_abs_error".into(), serde_json::json!(0.0039));
    Entry::new(EntryDraft {
        model_id: ModelId::new(model).unwrap(),
        version: ModelVersion::new(version).unwrap(),
        weights_commitment: Field::from(1000 + n),
        model_digest: Digest::from_bytes(*blake3::hash(&n.to_be_bytes()).as_bytes()),
        profile: ProfileName::new("small").unwrap(),
        scope_capacity: 4,
        fixed_point_scale: 65_536,
        scopes: vec![
            "consumer-credit/EU-DE/personal-loan".parse().unwrap(),
            "consumer-credit/EU-AT/personal-loan".parse().unwrap(),
        ],
        valid_from: t("2025-01-01T00:00:00Z"),
        valid_until: t("2027-01-01T00:00:00Z"),
        status: Status::Approved,
        approved_by: Note::new("Model Risk Committee, minute 2024-12").unwrap(),
        approved_at: t("2024-12-15T10:00:00Z"),
        quantization_certificate: n.is_multiple_of(2).then_some(QuantizationCertificate(cert)),
        circuit: None,
    })
    .unwrap()
}

/// Every file under `dir` (relative path, bytes), sorted: to check that nothing changed.
pub fn tree_contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut items: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        items.sort_by_key(|e| e.file_name());
        for e in items {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// Copies a folder tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A registry made through the command line, as a lender makes one: `registry init` in
/// `<dir>/registry` with alice, bob and carol (threshold 2) at `now`, signed by alice and bob.
pub struct CliRegistry {
    /// The registry folder.
    pub dir: std::path::PathBuf,
    /// The secret key files that sign (alice's and bob's).
    pub signers: Vec<std::path::PathBuf>,
}

fn cli_ok(args: &[&str]) -> String {
    let (exit, out, err) = crate::bundle_support::govproof(args);
    assert_eq!(exit, govproof_cli::Exit::Success, "{args:?}: {out}\n{err}");
    out
}

impl CliRegistry {
    pub fn init(dir: &Path, now: &str) -> CliRegistry {
        let registry = dir.join("registry");
        let reg = registry.display().to_string();
        let (mut signers, mut publics) = (Vec::new(), Vec::new());
        for i in 1..=3 {
            let (secret, public) = write_key_files(dir, i);
            signers.push(secret);
            publics.push(public.display().to_string());
        }
        signers.truncate(2);
        let mut args = vec!["registry", "init", "--dir", &reg, "--threshold", "2"];
        args.extend(["--now", now]);
        for p in &publics {
            args.extend(["--key", p.as_str()]);
        }
        cli_ok(&args);
        let made = CliRegistry {
            dir: registry,
            signers,
        };
        made.sign();
        made
    }

    /// Signs what the registry stages with each signer.
    pub fn sign(&self) {
        let reg = self.dir.display().to_string();
        for k in &self.signers {
            cli_ok(&[
                "registry",
                "sign",
                "--dir",
                &reg,
                "--key",
                &k.display().to_string(),
            ]);
        }
    }

    /// `registry add --model` for the example's one scope and validity (the entry names its
    /// circuit's digests, derived with `bb`), then signed; returns what `add` printed.
    pub fn add_model(&self, model: &Path, bb: &Path, now: &str) -> String {
        let out = cli_ok(&[
            "registry",
            "add",
            "--dir",
            &self.dir.display().to_string(),
            "--model",
            &model.display().to_string(),
            "--scope",
            "consumer-credit/EU-DE/instalment-loan",
            "--valid-from",
            "2026-01-01T00:00:00Z",
            "--valid-until",
            "2029-01-01T00:00:00Z",
            "--approved-by",
            "Credit Risk Committee (example)",
            "--approved-at",
            "2025-12-15T10:00:00Z",
            "--now",
            now,
            "--bb",
            &bb.display().to_string(),
        ]);
        self.sign();
        out
    }
}
