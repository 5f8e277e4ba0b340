//! Checkpoints (C2SP `tlog-checkpoint`) signed as C2SP `signed-note`s with ed25519.
//!
//! A checkpoint note, byte for byte:
//!
//! ```text
//! example.com/credit-decisions
//! 42
//! qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=
//! time 2026-01-31T12:00:00Z
//!
//! — example.com/credit-decisions Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
//! ```
//!
//! The body is the origin, the tree size in decimal, the root in standard base64, and one
//! extension line (which the checkpoint format allows) with the checkpoint's time, so the time is
//! signed. A blank line ends the body; each signature line is an em dash, a space, the key name, a
//! space and base64 of the 4-byte key id followed by the 64-byte ed25519 signature of the body.
//! The key id is the first four bytes of `SHA-256(key name || 0x0A || 0x01 || public key)`, as
//! the signed-note spec says for ed25519.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::tree::Hash;
use super::LogError;
use crate::registry::Timestamp;

/// The longest note [`SignedCheckpoint::parse`] reads.
pub const MAX_NOTE_BYTES: usize = 16 * 1024;
/// The most signature lines [`SignedCheckpoint::parse`] reads.
pub const MAX_SIGNATURES: usize = 16;
/// The signed-note signature type of ed25519.
const ED25519: u8 = 0x01;
/// What starts each signature line.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// The extension line that carries the checkpoint's time.
const TIME_PREFIX: &str = "time ";

/// A log checkpoint: the tree's size and root at a time, for one log (its origin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name, e.g. `lender.example/credit-decisions` (one line, no control characters).
    pub origin: String,
    /// The number of entries.
    pub size: u64,
    /// The root of the tree of those entries.
    pub root: Hash,
    /// When the log signed it.
    pub time: Timestamp,
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's key name.
    pub key_name: String,
    /// The first four bytes of the key's hash (see the module documentation).
    pub key_id: [u8; 4],
    /// The signature bytes (64 for ed25519; other algorithms' lengths are kept as read).
    pub signature: Vec<u8>,
}

/// A checkpoint with the log's ed25519 signature, and any further signature lines (such as
/// witnesses' cosignatures), kept but not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// What was signed.
    pub checkpoint: Checkpoint,
    /// The log key's name (the first signature line).
    pub key_name: String,
    /// The log key's id.
    pub key_id: [u8; 4],
    /// The ed25519 signature of the checkpoint's body.
    pub signature: [u8; 64],
    /// Signature lines after the first, in order.
    pub other_signatures: Vec<NoteSignature>,
}

/// The signed-note key id of an ed25519 key under a name.
pub fn key_id(key_name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(key_name.as_bytes());
    h.update([b'\n', ED25519]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The C2SP verifier key text of an ed25519 key: `<name>+<8 hex key id>+<base64(0x01 || key)>`.
pub fn verifier_key(key_name: &str, key: &VerifyingKey) -> String {
    let mut bytes = vec![ED25519];
    bytes.extend_from_slice(key.as_bytes());
    format!(
        "{key_name}+{}+{}",
        hex::encode(key_id(key_name, key)),
        STANDARD.encode(bytes)
    )
}

/// Reads a C2SP verifier key (`<name>+<8 hex key id>+<base64(0x01 || key)>`, as
/// [`verifier_key`] writes it) into its name and ed25519 key, checking the id.
pub fn parse_verifier_key(text: &str) -> Result<(String, VerifyingKey), LogError> {
    let bad = |why: &str| LogError::VerifierKey(why.to_string());
    let text = text.trim();
    // Names have no `+`, but base64 may: split at the first two.
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("expected `name+keyid+key`"));
    };
    check_key_name(name)?;
    let bytes = STANDARD
        .decode(key_b64)
        .map_err(|_| bad("the key is not base64"))?;
    let [ED25519, key @ ..] = bytes.as_slice() else {
        return Err(bad("not an ed25519 key (type byte 0x01)"));
    };
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| bad("an ed25519 key is 32 bytes"))?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| bad("not a curve point"))?;
    if id_hex != hex::encode(key_id(name, &key)) {
        return Err(bad("the key id does not match the name and key"));
    }
    Ok((name.to_string(), key))
}

fn check_key_name(name: &str) -> Result<(), LogError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
    {
        return Err(LogError::KeyName(name.chars().take(80).collect()));
    }
    Ok(())
}

impl Checkpoint {
    /// Checks that the checkpoint can be written as a note: the origin is one non-empty line of
    /// printable text with no leading or trailing space.
    pub fn validate(&self) -> Result<(), LogError> {
        let o = &self.origin;
        if o.is_empty() || o.chars().any(char::is_control) || o.trim() != o {
            return Err(LogError::Origin(o.chars().take(80).collect()));
        }
        Ok(())
    }

    /// The note body that is signed: origin, size, base64 root, the time line, each ending in a
    /// newline.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n{TIME_PREFIX}{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root),
            self.time.to_rfc3339()
        )
    }

    /// Signs the body with the log's key under `key_name`. A checkpoint that fails
    /// [`Checkpoint::validate`] or a key name with a space or `+` makes a note no reader accepts:
    /// [`Checkpoint::try_sign`] refuses both.
    pub fn sign(&self, key: &SigningKey, key_name: &str) -> SignedCheckpoint {
        let signature = key.sign(self.body().as_bytes()).to_bytes();
        SignedCheckpoint {
            checkpoint: self.clone(),
            key_name: key_name.to_string(),
            key_id: key_id(key_name, &key.verifying_key()),
            signature,
            other_signatures: Vec::new(),
        }
    }

    /// [`Checkpoint::sign`] after checking the origin and the key name.
    pub fn try_sign(&self, key: &SigningKey, key_name: &str) -> Result<SignedCheckpoint, LogError> {
        self.validate()?;
        check_key_name(key_name)?;
        Ok(self.sign(key, key_name))
    }

    /// Reads a note body (as [`Checkpoint::body`] writes it).
    fn parse_body(body: &str) -> Result<Checkpoint, LogError> {
        let bad = |why: String| LogError::Note(why);
        let lines: Vec<&str> = body
            .strip_suffix('\n')
            .ok_or_else(|| bad("the body does not end in a newline".to_string()))?
            .split('\n')
            .collect();
        let [origin, size, root, time] = lines.as_slice() else {
            return Err(bad(format!(
                "the body has {} lines, expected 4 (origin, size, root, `time ...`)",
                lines.len()
            )));
        };
        let size_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (*size == "0" || !size.starts_with('0'));
        let size: u64 = size.parse().ok().filter(|_| size_ok).ok_or_else(|| {
            bad(format!(
                "the size `{}` is not a decimal number",
                short(size)
            ))
        })?;
        let root_bytes = STANDARD
            .decode(root)
            .map_err(|_| bad(format!("the root `{}` is not base64", short(root))))?;
        let root: Hash = root_bytes
            .try_into()
            .map_err(|_| bad(format!("the root `{}` is not 32 bytes", short(root))))?;
        let time = time.strip_prefix(TIME_PREFIX).ok_or_else(|| {
            bad(format!(
                "the fourth line `{}` is not `time ...`",
                short(time)
            ))
        })?;
        let time = Timestamp::parse_canonical(time).map_err(|e| bad(e.to_string()))?;
        let checkpoint = Checkpoint {
            origin: (*origin).to_string(),
            size,
            root,
            time,
        };
        checkpoint.validate()?;
        // One encoding per checkpoint: the body must be exactly what `body` writes.
        if checkpoint.body() != body {
            return Err(bad("the body is not in canonical form".to_string()));
        }
        Ok(checkpoint)
    }
}

fn short(text: &str) -> String {
    text.chars().take(80).collect()
}

impl SignedCheckpoint {
    /// The note: body, blank line, one signature line per signature.
    pub fn to_note(&self) -> String {
        let mut note = self.checkpoint.body();
        note.push('\n');
        let mut first = self.key_id.to_vec();
        first.extend_from_slice(&self.signature);
        note.push_str(&format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.key_name,
            STANDARD.encode(first)
        ));
        for other in &self.other_signatures {
            let mut bytes = other.key_id.to_vec();
            bytes.extend_from_slice(&other.signature);
            note.push_str(&format!(
                "{SIGNATURE_PREFIX}{} {}\n",
                other.key_name,
                STANDARD.encode(bytes)
            ));
        }
        note
    }

    /// Reads a checkpoint note strictly: at most [`MAX_NOTE_BYTES`], a canonical body, and at
    /// least one signature line, the first of which must be ed25519 (64 bytes).
    pub fn parse(text: &str) -> Result<Self, LogError> {
        let bad = |why: String| LogError::Note(why);
        if text.len() > MAX_NOTE_BYTES {
            return Err(bad(format!(
                "the note is {} bytes, more than the {MAX_NOTE_BYTES} a checkpoint needs",
                text.len()
            )));
        }
        if text.chars().any(|c| c != '\n' && c.is_control()) {
            return Err(bad("the note has a control character".to_string()));
        }
        let Some(split) = text.find("\n\n") else {
            return Err(bad(
                "there is no blank line between the body and the signatures".to_string(),
            ));
        };
        let (body, signatures) = (&text[..=split], &text[split + 2..]);
        let checkpoint = Checkpoint::parse_body(body)?;
        let lines: Vec<&str> = signatures
            .strip_suffix('\n')
            .ok_or_else(|| bad("the note does not end in a newline".to_string()))?
            .split('\n')
            .collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(bad(format!(
                "the note has {} signature lines, more than {MAX_SIGNATURES}",
                lines.len()
            )));
        }
        let mut parsed = Vec::with_capacity(lines.len());
        for line in lines {
            let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(|| {
                bad(format!(
                    "`{}` is not a signature line (`\u{2014} name signature`)",
                    short(line)
                ))
            })?;
            let (name, sig) = rest.split_once(' ').ok_or_else(|| {
                bad(format!(
                    "the signature line `{}` has no signature",
                    short(line)
                ))
            })?;
            check_key_name(name)?;
            let bytes = STANDARD.decode(sig).map_err(|_| {
                bad(format!(
                    "the signature of key `{}` is not base64",
                    short(name)
                ))
            })?;
            if bytes.len() < 5 {
                return Err(bad(format!(
                    "the signature of key `{}` is too short",
                    short(name)
                )));
            }
            parsed.push(NoteSignature {
                key_name: name.to_string(),
                key_id: [bytes[0], bytes[1], bytes[2], bytes[3]],
                signature: bytes[4..].to_vec(),
            });
        }
        let mut parsed = parsed.into_iter();
        let Some(first) = parsed.next() else {
            return Err(bad("the note has no signature".to_string()));
        };
        let signature: [u8; 64] = first.signature.as_slice().try_into().map_err(|_| {
            bad(format!(
                "the signature of key `{}` is not a 64-byte ed25519 signature",
                short(&first.key_name)
            ))
        })?;
        Ok(SignedCheckpoint {
            checkpoint,
            key_name: first.key_name,
            key_id: first.key_id,
            signature,
            other_signatures: parsed.collect(),
        })
    }

    /// Checks the log's signature (the first line) with `key`: the line's key id must be the id
    /// of `key` under the line's name, and the ed25519 signature must verify strictly.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), LogError> {
        if self.key_id != key_id(&self.key_name, key) {
            return Err(LogError::UnknownKey {
                key_name: self.key_name.clone(),
            });
        }
        let signature = Signature::from_bytes(&self.signature);
        key.verify_strict(self.checkpoint.body().as_bytes(), &signature)
            .map_err(|_| LogError::BadSignature {
                key_name: self.key_name.clone(),
            })
    }
}
