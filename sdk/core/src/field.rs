//! BN254 scalar-field elements that are canonical by construction.
//!
//! Every value that crosses into a circuit (inputs, commitments, hashes, public inputs in a bundle)
//! is a [`Field`]. Constructors refuse values at or above the BN254 scalar modulus instead of
//! reducing them silently, so two different encodings can never stand for the same element.

use std::fmt;
use std::str::FromStr;

use ark_bn254::Fr;
use ark_ff::{BigInteger, One, PrimeField, Zero};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The BN254 scalar modulus `r`, big-endian.
pub const MODULUS_BE: [u8; 32] = [
    0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58, 0x5d,
    0x28, 0x33, 0xe8, 0x48, 0x79, 0xb9, 0x70, 0x91, 0x43, 0xe1, 0xf5, 0x93, 0xf0, 0x00, 0x00, 0x01,
];

/// Why a value is not a canonical field element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The value is at or above the BN254 scalar modulus.
    #[error("`{0}` is not below the BN254 scalar modulus")]
    NotCanonical(String),
    /// The text is not a number in a form we read.
    #[error("`{0}` is not a field element: expected a decimal number or 0x-prefixed hex")]
    Syntax(String),
    /// A byte string had the wrong length.
    #[error("a field element is 32 bytes, got {0}")]
    Length(usize),
}

/// A canonical element of the BN254 scalar field (the field Noir's `Field` lives in).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Field(Fr);

impl Field {
    /// The additive identity.
    pub fn zero() -> Self {
        Field(Fr::zero())
    }

    /// The multiplicative identity.
    pub fn one() -> Self {
        Field(Fr::one())
    }

    /// Reads 32 big-endian bytes; refuses values `>= r`.
    pub fn from_be_bytes(bytes: &[u8; 32]) -> Result<Self, FieldError> {
        if bytes.as_slice() >= MODULUS_BE.as_slice() {
            return Err(FieldError::NotCanonical(format!(
                "0x{}",
                hex::encode(bytes)
            )));
        }
        Ok(Field(Fr::from_be_bytes_mod_order(bytes)))
    }

    /// Reads a big-endian byte slice that must be exactly 32 bytes long; refuses values `>= r`.
    pub fn from_be_slice(bytes: &[u8]) -> Result<Self, FieldError> {
        let arr: &[u8; 32] = bytes
            .try_into()
            .map_err(|_| FieldError::Length(bytes.len()))?;
        Self::from_be_bytes(arr)
    }

    /// Reduces 64 bytes of uniform randomness (or a wide hash) into the field. This is the only
    /// reducing constructor, meant for deriving values (salts, challenges), never for parsing input.
    pub fn from_wide_bytes_reduce(bytes: &[u8; 64]) -> Self {
        Field(Fr::from_be_bytes_mod_order(bytes))
    }

    /// The canonical 32-byte big-endian encoding.
    pub fn to_be_bytes(&self) -> [u8; 32] {
        let v = self.0.into_bigint().to_bytes_be();
        let mut out = [0u8; 32];
        out[32 - v.len()..].copy_from_slice(&v);
        out
    }

    /// `0x` followed by exactly 64 lowercase hex digits: the canonical text form.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.to_be_bytes()))
    }

    /// Parses `0x`-prefixed hex (1 to 64 digits); refuses values `>= r`.
    pub fn from_hex(s: &str) -> Result<Self, FieldError> {
        let digits = s
            .strip_prefix("0x")
            .ok_or_else(|| FieldError::Syntax(s.to_string()))?;
        if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(FieldError::Syntax(s.to_string()));
        }
        let padded = format!("{digits:0>64}");
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(&padded, &mut bytes).map_err(|_| FieldError::Syntax(s.to_string()))?;
        Self::from_be_bytes(&bytes)
    }

    /// Parses an unsigned decimal number; refuses values `>= r`.
    pub fn from_decimal(s: &str) -> Result<Self, FieldError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::Syntax(s.to_string()));
        }
        // `bytes = bytes * 10 + digit`, big-endian, as long as it fits in 256 bits (a value that
        // does not is above the modulus too). No big-integer crate: this is the one decimal
        // conversion core needs, and the browser verifier pays for every crate it links.
        let mut bytes = [0u8; 32];
        for digit in s.bytes() {
            let mut carry = u32::from(digit - b'0');
            for byte in bytes.iter_mut().rev() {
                let v = u32::from(*byte) * 10 + carry;
                *byte = (v & 0xff) as u8;
                carry = v >> 8;
            }
            if carry != 0 {
                return Err(FieldError::NotCanonical(s.to_string()));
            }
        }
        Self::from_be_bytes(&bytes).map_err(|_| FieldError::NotCanonical(s.to_string()))
    }

    /// Embeds an unsigned integer.
    pub fn from_u128(v: u128) -> Self {
        Field(Fr::from(v))
    }

    /// Embeds a signed integer: negative values become `r - |v|`, as in Noir's `Field` arithmetic.
    pub fn from_i128(v: i128) -> Self {
        let m = Field::from_u128(v.unsigned_abs());
        if v < 0 {
            Field(-m.0)
        } else {
            m
        }
    }

    /// The value as a `u128`, when it fits.
    pub fn to_u128(&self) -> Option<u128> {
        let be = self.to_be_bytes();
        if be[..16].iter().any(|&b| b != 0) {
            return None;
        }
        let mut low = [0u8; 16];
        low.copy_from_slice(&be[16..]);
        Some(u128::from_be_bytes(low))
    }

    /// Number of significant bits.
    pub fn num_bits(&self) -> u32 {
        self.0.into_bigint().num_bits()
    }

    /// The underlying arkworks element (always reduced).
    pub fn to_fr(self) -> Fr {
        self.0
    }

    /// Wraps an arkworks element; these are always reduced, so this cannot fail.
    pub fn from_fr(fr: Fr) -> Self {
        Field(fr)
    }
}

impl std::ops::Add for Field {
    type Output = Field;
    fn add(self, rhs: Field) -> Field {
        Field(self.0 + rhs.0)
    }
}

impl std::ops::Mul for Field {
    type Output = Field;
    fn mul(self, rhs: Field) -> Field {
        Field(self.0 * rhs.0)
    }
}

impl std::ops::Sub for Field {
    type Output = Field;
    fn sub(self, rhs: Field) -> Field {
        Field(self.0 - rhs.0)
    }
}

impl std::ops::Neg for Field {
    type Output = Field;
    fn neg(self) -> Field {
        Field(-self.0)
    }
}

impl From<u64> for Field {
    fn from(v: u64) -> Self {
        Field::from_u128(v.into())
    }
}

impl From<bool> for Field {
    fn from(v: bool) -> Self {
        Field(Fr::from(v))
    }
}

impl FromStr for Field {
    type Err = FieldError;
    /// Accepts `0x`-hex or unsigned decimal.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("0x") {
            Field::from_hex(s)
        } else {
            Field::from_decimal(s)
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Field({})", self.to_hex())
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl Field {
    /// Reads only the canonical form: `0x` + 64 lowercase hex digits, below the modulus.
    pub fn from_canonical_hex(s: &str) -> Result<Self, String> {
        let canonical = s.len() == 66
            && s.starts_with("0x")
            && s[2..]
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !canonical {
            return Err(format!(
                "`{s}` is not a canonical field element (0x followed by 64 lowercase hex digits)"
            ));
        }
        Field::from_hex(s).map_err(|e| e.to_string())
    }
}

impl<'de> Deserialize<'de> for Field {
    /// Reads only the canonical form ([`Field::from_canonical_hex`]).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Field::from_canonical_hex(&s).map_err(serde::de::Error::custom)
    }
}

impl crate::json::FromJson for Field {
    /// Reads only the canonical form ([`Field::from_canonical_hex`]).
    fn from_json(node: &crate::json::Node) -> Result<Self, crate::json::Error> {
        Field::from_canonical_hex(node.str("a field element")?).map_err(|e| node.error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_is_refused_and_modulus_minus_one_accepted() {
        assert!(matches!(
            Field::from_be_bytes(&MODULUS_BE),
            Err(FieldError::NotCanonical(_))
        ));
        let mut below = MODULUS_BE;
        below[31] -= 1;
        let f = Field::from_be_bytes(&below).unwrap();
        assert_eq!(f, -Field::one());
        assert_eq!(f.to_be_bytes(), below);
    }

    #[test]
    fn text_forms_parse_and_refuse() {
        assert_eq!(Field::from_hex("0x2a").unwrap(), Field::from(42u64));
        assert_eq!("42".parse::<Field>().unwrap(), Field::from(42u64));
        assert!(Field::from_hex("2a").is_err());
        assert!(Field::from_hex("0x").is_err());
        assert!(Field::from_decimal("-1").is_err());
        // r, r + 1 and 2^256 (which overflows the accumulator) are all refused as not canonical;
        // r - 1 is the largest element.
        let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
        let r_plus_one =
            "21888242871839275222246405745257275088548364400416034343698204186575808495618";
        let two_256 =
            "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        for big in [r_plus_one, two_256, &format!("{two_256}0")] {
            assert!(matches!(
                Field::from_decimal(big),
                Err(FieldError::NotCanonical(_))
            ));
        }
        assert_eq!(
            Field::from_decimal(
                "21888242871839275222246405745257275088548364400416034343698204186575808495616"
            )
            .unwrap(),
            Field::zero() - Field::one()
        );
        assert_eq!(Field::from_decimal("000042").unwrap(), Field::from(42u64));
        assert!(matches!(
            Field::from_decimal(r),
            Err(FieldError::NotCanonical(_))
        ));
        assert!(Field::from_hex(&format!("0x{}", "f".repeat(65))).is_err());
    }

    #[test]
    fn signed_embedding_wraps_like_noir() {
        assert_eq!(Field::from_i128(-5) + Field::from(5u64), Field::zero());
    }

    #[test]
    fn serde_accepts_only_canonical_text() {
        let f = Field::from(7u64);
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(serde_json::from_str::<Field>(&json).unwrap(), f);
        assert!(serde_json::from_str::<Field>("\"0x7\"").is_err());
        assert!(serde_json::from_str::<Field>(&format!("\"0x{}\"", "A".repeat(64))).is_err());
        let over = format!("\"0x{}\"", hex::encode(MODULUS_BE));
        assert!(serde_json::from_str::<Field>(&over).is_err());
    }
}
