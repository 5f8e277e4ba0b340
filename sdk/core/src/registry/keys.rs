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
use std::path::PathBuf;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use super::io::IoError;

const KEY_ID_DOMAIN: &[u8] = b"govproof/key-id/v1\0";
pub const SECRET_HEADER: &str = "govproof-secret-key-v1 ed25519";
/// A secret key file is two short lines; anything much longer is not one.
pub const MAX_SECRET_FILE_LEN: u64 = 4096;
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
        let mut h = crate::blake3::Hasher::new();
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

impl crate::json::FromJson for KeyId {
    fn from_json(node: &crate::json::Node) -> Result<Self, crate::json::Error> {
        node.parse_str("a key id", str::parse)
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
    ///
    /// A signature that verified is remembered for the rest of the process (by the blake3 of
    /// key, signature and message; a bounded set), so a portfolio of bundles that carry the same
    /// signed snapshot pays each signature check once rather than once a bundle. Only successes
    /// are remembered: a bad signature is checked, and refused, every time.
    pub fn verifies(&self, message: &[u8], signature: &Signature) -> bool {
        let mut h = crate::blake3::Hasher::new_derive_key("govproof verified ed25519 signature v1");
        h.update(self.0.as_bytes());
        h.update(&signature.0);
        h.update(message);
        let id = *h.finalize().as_bytes();
        let lock = || {
            VERIFIED
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if lock().contains(&id) {
            return true;
        }
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        let ok = self.0.verify_strict(message, &sig).is_ok();
        if ok {
            let mut verified = lock();
            if verified.len() >= VERIFIED_CAPACITY {
                verified.clear();
            }
            verified.insert(id);
        }
        ok
    }
}

/// Signatures [`PublicKey::verifies`] has verified, by the blake3 of key, signature and message.
static VERIFIED: std::sync::Mutex<std::collections::BTreeSet<[u8; 32]>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());
const VERIFIED_CAPACITY: usize = 4096;

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

impl crate::json::FromJson for PublicKey {
    fn from_json(node: &crate::json::Node) -> Result<Self, crate::json::Error> {
        node.parse_str("an ed25519 public key", str::parse)
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

impl crate::json::FromJson for Signature {
    fn from_json(node: &crate::json::Node) -> Result<Self, crate::json::Error> {
        node.parse_str("an ed25519 signature", |s| {
            decode_hex::<64>(s, "ed25519 signature").map(Signature)
        })
    }
}

/// An ed25519 secret key. Its fields are private, its `Debug` shows only the key id, and its bytes
/// are wiped from memory when it is dropped.
pub struct SecretKey {
    signing: SigningKey,
}

impl SecretKey {
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

    /// Reads the text of a secret key file (two lines: `govproof-secret-key-v1 ed25519 <key id>`
    /// and the 32-byte seed in lowercase hex); the error says what is wrong with the text.
    pub fn from_file_text(text: &str) -> Result<Self, String> {
        let format = |problem: &str| problem.to_string();
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

    /// The text of the key's secret key file (what [`SecretKey::from_file_text`] reads), in
    /// memory that is wiped when dropped.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(256));
        text.push_str(SECRET_HEADER);
        text.push(' ');
        text.push_str(&self.key_id().to_string());
        text.push('\n');
        let seed = Zeroizing::new(self.signing.to_bytes());
        let mut seed_hex = Zeroizing::new([0u8; 64]);
        hex::encode_to_slice(seed.as_slice(), seed_hex.as_mut_slice())
            .unwrap_or_else(|e| unreachable!("64 hex digits fit 64 bytes: {e}"));
        for &b in seed_hex.iter() {
            text.push(char::from(b));
        }
        text.push('\n');
        text
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_wiped_on_drop() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<SigningKey>();
        wiped_on_drop::<SecretKey>();
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
    fn a_remembered_signature_vouches_for_its_own_message_and_key_only() {
        let a = SecretKey::from_seed(&[3u8; 32]);
        let b = SecretKey::from_seed(&[4u8; 32]);
        let sig = a.sign(b"snapshot");
        // Verified twice (the second from memory), then each change refused as before.
        assert!(a.public_key().verifies(b"snapshot", &sig));
        assert!(a.public_key().verifies(b"snapshot", &sig));
        assert!(!a.public_key().verifies(b"snapshot!", &sig));
        assert!(!b.public_key().verifies(b"snapshot", &sig));
        let mut flipped = sig;
        flipped.0[5] ^= 1;
        assert!(!a.public_key().verifies(b"snapshot", &flipped));
        assert!(!a.public_key().verifies(b"snapshot", &flipped));
    }

    #[test]
    fn secret_key_text_round_trips_and_damage_is_refused() {
        let k = SecretKey::from_seed(&[5u8; 32]);
        let text = k.to_file_text();
        assert_eq!(
            SecretKey::from_file_text(&text).unwrap().key_id(),
            k.key_id()
        );
        let other = text.replacen(&k.key_id().to_string(), "0000000000000000", 1);
        for body in [other.as_str(), "", "govproof-secret-key-v1 ed25519 x\nzz\n"] {
            assert!(SecretKey::from_file_text(body).is_err(), "{body:?}");
        }
    }
}
