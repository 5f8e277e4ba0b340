//! Key files: the SDK's side of [`govproof_core::registry::keys`] (re-exported here), which reads
//! and writes secret and public key files and generates keys from the operating system's random
//! generator. The keys, ids and signatures themselves, and the text of a secret key file, are
//! core's.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use govproof_core::registry::keys::*;

use super::durable::{self, IoError, Replace, DOCUMENT_MODE, SECRET_MODE};
use super::names::Note;

/// A secret key's file operations and its generation (the SDK's, beside core's in-memory key).
pub trait SecretKeyFile: Sized {
    /// A fresh key from the operating system's random generator.
    fn generate() -> Result<Self, KeyError>;
    /// Reads a secret key file; refuses one that its group or others can read.
    fn read(path: &Path) -> Result<Self, KeyError>;
    /// Writes the key to a new file with mode 0600; never replaces an existing file.
    fn write_new(&self, path: &Path) -> Result<(), KeyError>;
}

impl SecretKeyFile for SecretKey {
    fn generate() -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(seed.as_mut_slice()).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self::from_seed(&seed))
    }

    fn read(path: &Path) -> Result<Self, KeyError> {
        let format = |problem: &str| KeyError::Format {
            path: path.to_path_buf(),
            kind: "secret",
            problem: problem.to_string(),
        };
        // Opened without blocking, so a FIFO in place of the key file is refused, not waited on.
        let mut file =
            crate::input_file::open_nonblocking(path).map_err(|e| IoError::new("open", path, e))?;
        let meta = file
            .metadata()
            .map_err(|e| IoError::new("inspect", path, e))?;
        if !meta.is_file() {
            return Err(format("not a regular file"));
        }
        check_private(path, &meta)?;
        if meta.len() > MAX_SECRET_FILE_LEN {
            return Err(format("the file is far too long"));
        }
        // Sized up front so the buffer never moves (a move would leave an unwiped copy behind).
        let mut text = Zeroizing::new(Vec::with_capacity(MAX_SECRET_FILE_LEN as usize + 1));
        (&mut file)
            .take(MAX_SECRET_FILE_LEN)
            .read_to_end(&mut text)
            .map_err(|e| IoError::new("read", path, e))?;
        let text = std::str::from_utf8(&text).map_err(|_| format("not text"))?;
        SecretKey::from_file_text(text).map_err(|problem| format(&problem))
    }

    fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        if path.exists() {
            return Err(KeyError::Exists(path.to_path_buf()));
        }
        let text = self.to_file_text();
        durable::write_atomic(
            path,
            "secret-key",
            text.as_bytes(),
            SECRET_MODE,
            Replace::Never,
        )
        .map_err(|e| {
            if e.source.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::Exists(path.to_path_buf())
            } else {
                KeyError::Io(e)
            }
        })
    }
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Exposed {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), KeyError> {
    Ok(())
}

/// The contents of a public key file: the key, its id, and optionally who holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a public key file")]
pub struct PublicKeyFile {
    /// Who holds the matching secret key (e.g. a committee member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<Note>,
    /// The key's id (checked against the key when read).
    pub key_id: KeyId,
    /// The key.
    pub public_key: PublicKey,
}

impl PublicKeyFile {
    /// The file contents for `key`.
    pub fn new(public_key: PublicKey, holder: Option<Note>) -> Self {
        PublicKeyFile {
            holder,
            key_id: public_key.id(),
            public_key,
        }
    }

    /// Reads a public key file and checks that its id matches its key.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let bytes = crate::input_file::read_input(path, "public key file", MAX_PUBLIC_FILE_LEN)
            .map_err(|e| KeyError::Format {
                path: path.to_path_buf(),
                kind: "public",
                problem: e.to_string(),
            })?;
        let file: PublicKeyFile = serde_json::from_slice(&bytes).map_err(|e| KeyError::Format {
            path: path.to_path_buf(),
            kind: "public",
            problem: e.to_string(),
        })?;
        if file.public_key.id() != file.key_id {
            return Err(KeyError::Format {
                path: path.to_path_buf(),
                kind: "public",
                problem: format!(
                    "it names key id `{}` but the key's id is `{}`",
                    file.key_id,
                    file.public_key.id()
                ),
            });
        }
        Ok(file)
    }

    /// Writes the file (pretty JSON, world-readable); never replaces an existing file.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        if path.exists() {
            return Err(KeyError::Exists(path.to_path_buf()));
        }
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("a public key file always serializes: {e}"));
        text.push('\n');
        durable::write_atomic(
            path,
            "public-key",
            text.as_bytes(),
            DOCUMENT_MODE,
            Replace::Never,
        )?;
        Ok(())
    }
}

/// What [`keygen`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedKey {
    /// The new key's id.
    pub key_id: KeyId,
    /// The secret key file (mode 0600).
    pub secret_path: PathBuf,
    /// The public key file.
    pub public_path: PathBuf,
}

/// Generates a key pair and writes `<prefix>.key` (secret, mode 0600) and `<prefix>.pub`. Refuses
/// to replace either file. The secret never leaves this function except into its file.
pub fn keygen(prefix: &Path, holder: Option<Note>) -> Result<GeneratedKey, KeyError> {
    let secret_path = with_suffix(prefix, "key");
    let public_path = with_suffix(prefix, "pub");
    for p in [&secret_path, &public_path] {
        if p.exists() {
            return Err(KeyError::Exists(p.clone()));
        }
    }
    let key = SecretKey::generate()?;
    key.write_new(&secret_path)?;
    PublicKeyFile::new(key.public_key(), holder).write_new(&public_path)?;
    Ok(GeneratedKey {
        key_id: key.key_id(),
        secret_path,
        public_path,
    })
}

fn with_suffix(prefix: &Path, ext: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_os_string();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_fifo_in_place_of_a_secret_key_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("signer.key");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = SecretKey::read(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn secret_files_round_trip_are_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let g = keygen(&dir.path().join("alice"), Some(Note::new("Alice").unwrap())).unwrap();
        let k = SecretKey::read(&g.secret_path).unwrap();
        assert_eq!(k.key_id(), g.key_id);
        let p = PublicKeyFile::read(&g.public_path).unwrap();
        assert_eq!(p.public_key, k.public_key());
        assert!(matches!(
            keygen(&dir.path().join("alice"), None),
            Err(KeyError::Exists(_))
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&g.secret_path)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&g.secret_path, std::fs::Permissions::from_mode(0o640))
                .unwrap();
            let err = SecretKey::read(&g.secret_path).unwrap_err();
            assert!(
                matches!(err, KeyError::Exposed { mode: 0o640, .. }),
                "{err}"
            );
        }
    }

    #[test]
    fn damaged_secret_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.key");
        let k = SecretKey::from_seed(&[3u8; 32]);
        k.write_new(&p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        let other = text.replacen(&k.key_id().to_string(), "0000000000000000", 1);
        #[cfg(unix)]
        use std::os::unix::fs::OpenOptionsExt;
        let write = |body: &str| {
            let q = dir.path().join("bad.key");
            let _ = std::fs::remove_file(&q);
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create_new(true);
            #[cfg(unix)]
            o.mode(0o600);
            std::io::Write::write_all(&mut o.open(&q).unwrap(), body.as_bytes()).unwrap();
            q
        };
        for body in [other.as_str(), "", "govproof-secret-key-v1 ed25519 x\nzz\n"] {
            let err = SecretKey::read(&write(body)).unwrap_err();
            assert!(matches!(err, KeyError::Format { .. }), "{err}");
        }
    }
}
