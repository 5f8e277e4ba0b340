//! Shared helpers for the registry tests: deterministic keys, fixed times, sample entries.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use govproof::field::Field;
use govproof::registry::entry::{Digest, EntryDraft, QuantizationCertificate};
use govproof::registry::keys::PublicKeyFile;
use govproof::registry::names::{ModelId, ModelVersion, Note, ProfileName};
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
