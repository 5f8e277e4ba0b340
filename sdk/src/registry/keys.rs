//! Governance keys: ed25519 key pairs, their short ids, and their files.
//!
//! - A [`KeyId`] is the first 8 bytes of `blake3("govproof/key-id/v1\0" || public key)`, written as
//!   16 lowercase hex digits: short, stable, and the same wherever the key appears.
//! - A [`SecretKey`] never prints its secret (its `Debug` shows the key id only), is wiped from memory
//!   when dropped (ed25519-dalek's `zeroize`), and lives on disk in a file readable by its owner
//!   only (mode 0600). Loading refuses a secret key file that the group or others can read.
//! - Signatures are checked with `verify_strict`, which refuses small-order keys and non-canonical
//!   signatures, so a signature has exactly one valid encoding.
//!
//! File formats:
//! - secret key (`<name>.key`, mode 0600): two lines, `govproof-secret-key-v1 ed25519 <key id>` and
//!   the 32-byte seed in hex;
//! - public key (`<name>.pub`): JSON `{"holder": "...", "key_id": "...", "public_key": "<hex>"}`
//!   (`holder` optional).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use super::durable::{self, IoError, Replace, DOCUMENT_MODE, SECRET_MODE};
use super::names::Note;

const KEY_ID_DOMAIN: &[u8] = b"govproof/key-id/v1\0";
const SECRET_HEADER: &str = "govproof-secret-key-v1 ed25519";
/// A secret key file is two short lines; anything much longer is not one.
const MAX_SECRET_FILE_LEN: u64 = 4096;
/// Largest public key file read (one key, its id and a holder's note of at most 200 characters).
pub const MAX_PUBLIC_FILE_LEN: u64 = 64 << 10;

/// Why a key could not be made, read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The secret key file can be read by others.
    #[error("secret key `{path}` is readable by its group or others (mode {mode:04o}): restrict it with `chmod 600` and check who may have copied it")]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not a key file of the expected kind.
    #[error("`{path}` is not a govproof {kind} key file: {problem}")]
    Format {
        /// The file.
        path: PathBuf,
        /// `secret` or `public`.
        kind: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A key file to be created already exists.
    #[error("`{0}` already exists: keygen never overwrites a key")]
    Exists(PathBuf),
    /// The operating system's random generator failed.
    #[error("the system random generator failed: {0}")]
    Random(String),
    /// Text that is not a key, key id or signature.
    #[error("`{value}` is not a {what}: {problem}")]
    Syntax {
        /// What it should have been.
        what: &'static str,
        /// The text.
        value: String,
        /// What is wrong.
        problem: &'static str,
    },
}

fn decode_hex<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], KeyError> {
    let syntax = |problem| KeyError::Syntax {
        what,
        value: s.to_string(),
        problem,
    };
    if s.len() != 2 * N {
        return Err(syntax("wrong length"));
    }
    if !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(syntax("expected lowercase hex digits"));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|_| syntax("expected lowercase hex digits"))?;
    Ok(out)
}

/// The short, stable id of a public key: 8 bytes of a domain-separated blake3, in hex.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// The id of a public key.
    pub fn of(key: &PublicKey) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(KEY_ID_DOMAIN);
        h.update(key.0.as_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&h.finalize().as_bytes()[..8]);
        KeyId(id)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = KeyError;
    /// Exactly 16 lowercase hex digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        decode_hex::<8>(s, "key id").map(KeyId)
    }
}

impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An ed25519 public key that is a valid curve point of large order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads 32 bytes; refuses bytes that are not a point and small-order (weak) keys.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        let syntax = |problem| KeyError::Syntax {
            what: "ed25519 public key",
            value: hex::encode(bytes),
            problem,
        };
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| syntax("not a curve point"))?;
        if key.is_weak() {
            return Err(syntax("a small-order (weak) key"));
        }
        Ok(PublicKey(key))
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The key's id.
    pub fn id(&self) -> KeyId {
        KeyId::of(self)
    }

    /// Whether `signature` is this key's strict ed25519 signature on `message`.
    pub fn verifies(&self, message: &[u8], signature: &Signature) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0.verify_strict(message, &sig).is_ok()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;
    /// 64 lowercase hex digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_bytes(&decode_hex::<32>(s, "ed25519 public key")?)
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A 64-byte ed25519 signature (not yet checked against anything).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 64]);

impl Signature {
    /// Wraps 64 bytes.
    pub fn from_bytes(bytes: [u8; 64]) -> Self {
        Signature(bytes)
    }

    /// The 64 bytes.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        decode_hex::<64>(&s, "ed25519 signature")
            .map(Signature)
            .map_err(serde::de::Error::custom)
    }
}

/// An ed25519 secret key. Its fields are private, its `Debug` shows only the key id, and its bytes
/// are wiped from memory when it is dropped.
pub struct SecretKey {
    signing: SigningKey,
}

impl SecretKey {
    /// A fresh key from the operating system's random generator.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(seed.as_mut_slice()).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self::from_seed(&seed))
    }

    /// The key with this 32-byte seed (deterministic: for tests and reproducible fixtures).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SecretKey {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }

    /// The id of the matching public key.
    pub fn key_id(&self) -> KeyId {
        self.public_key().id()
    }

    /// Signs `message` (deterministic ed25519).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing.sign(message).to_bytes())
    }

    /// Reads a secret key file; refuses one that its group or others can read.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
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
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        let claimed_id = header
            .strip_prefix(SECRET_HEADER)
            .and_then(|rest| rest.strip_prefix(' '))
            .ok_or_else(|| {
                format(&format!(
                    "the first line must be `{SECRET_HEADER} <key id>`"
                ))
            })?;
        let seed_hex = lines
            .next()
            .ok_or_else(|| format("the second line must hold the 32-byte seed in hex"))?;
        if lines.next().is_some() {
            return Err(format("expected exactly two lines"));
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        if seed_hex.len() != 64
            || !seed_hex
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            || hex::decode_to_slice(seed_hex, seed.as_mut_slice()).is_err()
        {
            return Err(format(
                "the second line must be 64 lowercase hex digits (the 32-byte seed)",
            ));
        }
        let key = Self::from_seed(&seed);
        if key.key_id().to_string() != claimed_id {
            return Err(format(&format!(
                "the header names key `{claimed_id}` but the seed is key `{}`: the file is damaged",
                key.key_id()
            )));
        }
        Ok(key)
    }

    /// Writes the key to a new file with mode 0600; never replaces an existing file.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        if path.exists() {
            return Err(KeyError::Exists(path.to_path_buf()));
        }
        let mut text = Zeroizing::new(String::with_capacity(256));
        text.push_str(SECRET_HEADER);
        text.push(' ');
        text.push_str(&self.key_id().to_string());
        text.push('\n');
        let seed = Zeroizing::new(self.signing.to_bytes());
        let mut seed_hex = Zeroizing::new([0u8; 64]);
        hex::encode_to_slice(seed.as_slice(), seed_hex.as_mut_slice())
            .map_err(|e| KeyError::Random(e.to_string()))?;
        for &b in seed_hex.iter() {
            text.push(char::from(b));
        }
        text.push('\n');
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

// The only field is an ed25519-dalek `SigningKey`, which wipes itself when dropped.
impl zeroize::ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
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

    #[test]
    fn secret_keys_are_wiped_on_drop() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<SigningKey>();
        wiped_on_drop::<SecretKey>();
    }

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
    fn key_ids_are_stable_and_parse_back() {
        let k = SecretKey::from_seed(&[7u8; 32]);
        let id = k.key_id();
        assert_eq!(id.to_string().len(), 16);
        assert_eq!(id, SecretKey::from_seed(&[7u8; 32]).key_id());
        assert_eq!(id.to_string().parse::<KeyId>().unwrap(), id);
        assert!("ABCDEF0123456789".parse::<KeyId>().is_err());
        let dbg = format!("{k:?}");
        assert!(dbg.contains(&id.to_string()));
        assert!(!dbg.contains(&hex::encode([7u8; 32])));
    }

    #[test]
    fn strict_verification_refuses_other_messages_and_keys() {
        let a = SecretKey::from_seed(&[1u8; 32]);
        let b = SecretKey::from_seed(&[2u8; 32]);
        let sig = a.sign(b"m");
        assert!(a.public_key().verifies(b"m", &sig));
        assert!(!a.public_key().verifies(b"n", &sig));
        assert!(!b.public_key().verifies(b"m", &sig));
        // The identity point is a small-order key: refused at construction.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::from_bytes(&identity).is_err());
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
