//! The ABI of a Noir program's `main`, and the typed encoder from named inputs to the initial
//! witness.
//!
//! Noir lays `main`'s parameters out as consecutive witnesses starting at index 0, in ABI order,
//! each parameter flattened depth first (struct fields in declaration order, array elements in
//! index order, one witness per string byte). The return value, when there is one, follows
//! directly after the last parameter.
//!
//! Encoding never reduces or truncates: a value out of range for its type (`u8 = 300`,
//! `i8 = -129`, `bool = 2`, a `Field` at or above the modulus), an array of the wrong length, or a
//! struct with a missing or extra field is an error naming the input's path, such as
//! `application.applicant.features[3]`. Signed integers are stored as Noir stores them: a negative
//! `v` of width `w` becomes `2^w + v` (two's complement in `w` bits), so `i8 = -1` is the field
//! element 255.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use acir::native_types::{Witness, WitnessMap};
use acir::FieldElement;
use num_bigint::{BigInt, Sign as BigSign};
use serde::{Deserialize, Serialize};

use crate::field::{AcvmField, Field};

mod parse;
mod value;

pub use value::{InputValue, Inputs};

/// Why inputs could not be encoded or decoded, or why an ABI is malformed.
///
/// Input errors carry the path of the offending value, e.g. `application.features[3]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbiError {
    /// The ABI itself is inconsistent (duplicate names, unsupported integer widths, too large).
    #[error("invalid ABI: {0}")]
    InvalidAbi(String),
    /// A parameter of `main` has no value.
    #[error("missing input `{0}`")]
    MissingParameter(String),
    /// A value was given for a name that is not a parameter of `main`.
    #[error("unexpected input `{0}`: the program has no parameter of that name")]
    UnexpectedParameter(String),
    /// A number does not fit the type at `path`.
    #[error("input `{path}`: `{value}` is out of range for {typ} ({range})")]
    OutOfRange {
        /// Where the value sits in the inputs.
        path: String,
        /// The value as given, in decimal.
        value: String,
        /// The Noir type expected there.
        typ: String,
        /// The admissible range, in words.
        range: String,
    },
    /// A value of the wrong kind (a string where a number belongs, an array for a struct...).
    #[error("input `{path}`: expected {expected}, got {found}")]
    TypeMismatch {
        /// Where the value sits in the inputs.
        path: String,
        /// The Noir type expected there.
        expected: String,
        /// What kind of value was given.
        found: String,
    },
    /// An array, tuple or string has the wrong number of elements.
    #[error("input `{path}`: expected {expected} {unit} for {typ}, got {found}")]
    LengthMismatch {
        /// Where the value sits in the inputs.
        path: String,
        /// The Noir type expected there.
        typ: String,
        /// The required length.
        expected: u64,
        /// The length given.
        found: u64,
        /// What is being counted (`elements` or `bytes`).
        unit: &'static str,
    },
    /// A struct value lacks one of the struct's fields.
    #[error("input `{path}`: missing field `{field}` of {typ}")]
    MissingField {
        /// Where the struct sits in the inputs.
        path: String,
        /// The missing field's name.
        field: String,
        /// The struct type.
        typ: String,
    },
    /// A struct value has a field the struct does not declare.
    #[error("input `{path}`: unexpected field `{field}`, {typ} has no such field")]
    UnexpectedField {
        /// Where the struct sits in the inputs.
        path: String,
        /// The unknown field's name.
        field: String,
        /// The struct type.
        typ: String,
    },
    /// A text value is not a number in a form we read.
    #[error(
        "input `{path}`: `{text}` is not an integer (expected decimal, 0x-prefixed hex, or either with a leading minus)"
    )]
    NumberSyntax {
        /// Where the value sits in the inputs.
        path: String,
        /// The text given.
        text: String,
    },
    /// The input document is not valid JSON or TOML, or its top level is not a table of inputs.
    #[error("cannot read inputs: {0}")]
    Document(String),
    /// A solved witness lacks a value the ABI says is there.
    #[error("the solved witness has no value for `{path}` (witness {index})")]
    MissingWitness {
        /// The parameter or return value being decoded.
        path: String,
        /// The missing witness index.
        index: u32,
    },
    /// A solved value is not a valid value of its ABI type (e.g. a `bool` witness equal to 2).
    #[error("the solved value of `{path}` is not a valid {typ}: {value}")]
    InvalidSolvedValue {
        /// The parameter or return value being decoded.
        path: String,
        /// The Noir type expected.
        typ: String,
        /// The field element found.
        value: String,
    },
    /// A list of public inputs has the wrong length for this ABI.
    #[error("expected {expected} public input fields, got {found}")]
    PublicInputCount {
        /// The number the ABI implies.
        expected: usize,
        /// The number given.
        found: usize,
    },
}

/// Whether an integer type is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sign {
    /// `u1` .. `u128`.
    Unsigned,
    /// `i8` .. `i128`, two's complement.
    Signed,
}

/// A named field of a struct type, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StructField {
    /// The field's name.
    pub name: String,
    /// The field's type.
    #[serde(rename = "type")]
    pub typ: AbiType,
}

/// The type of an ABI value, as the nargo artifact spells it (`{"kind": "integer", ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AbiType {
    /// A BN254 scalar-field element.
    Field,
    /// A fixed-width integer; `width` is 1 to 128 bits.
    Integer {
        /// Signed or unsigned.
        sign: Sign,
        /// Width in bits.
        width: u32,
    },
    /// `bool`: 0 or 1.
    Boolean,
    /// `[T; length]`.
    Array {
        /// Number of elements.
        length: u32,
        /// Element type.
        #[serde(rename = "type")]
        typ: Box<AbiType>,
    },
    /// `str<length>`: `length` bytes, one witness each.
    String {
        /// Number of bytes.
        length: u32,
    },
    /// A struct; `path` is its Noir path (`module::Name`).
    Struct {
        /// The struct's path.
        path: String,
        /// The fields in declaration order.
        fields: Vec<StructField>,
    },
    /// A tuple `(A, B, ...)`.
    Tuple {
        /// Element types in order.
        fields: Vec<AbiType>,
    },
}

impl AbiType {
    /// A `Field`.
    pub fn field() -> Self {
        AbiType::Field
    }

    /// An unsigned integer of `width` bits (`u8` is `unsigned(8)`).
    pub fn unsigned(width: u32) -> Self {
        AbiType::Integer {
            sign: Sign::Unsigned,
            width,
        }
    }

    /// A signed integer of `width` bits (`i8` is `signed(8)`).
    pub fn signed(width: u32) -> Self {
        AbiType::Integer {
            sign: Sign::Signed,
            width,
        }
    }

    /// `[typ; length]`.
    pub fn array(length: u32, typ: AbiType) -> Self {
        AbiType::Array {
            length,
            typ: Box::new(typ),
        }
    }

    /// A struct with the given path and fields in declaration order.
    pub fn structure<S: Into<String>>(
        path: impl Into<String>,
        fields: impl IntoIterator<Item = (S, AbiType)>,
    ) -> Self {
        AbiType::Struct {
            path: path.into(),
            fields: fields
                .into_iter()
                .map(|(name, typ)| StructField {
                    name: name.into(),
                    typ,
                })
                .collect(),
        }
    }

    /// Number of field elements (witnesses) a value of this type occupies.
    pub fn field_count(&self) -> u64 {
        match self {
            AbiType::Field | AbiType::Integer { .. } | AbiType::Boolean => 1,
            AbiType::Array { length, typ } => u64::from(*length).saturating_mul(typ.field_count()),
            AbiType::String { length } => u64::from(*length),
            AbiType::Struct { fields, .. } => fields
                .iter()
                .fold(0u64, |acc, f| acc.saturating_add(f.typ.field_count())),
            AbiType::Tuple { fields } => fields
                .iter()
                .fold(0u64, |acc, t| acc.saturating_add(t.field_count())),
        }
    }

    fn validate(&self, at: &str) -> Result<(), AbiError> {
        match self {
            AbiType::Field | AbiType::Boolean | AbiType::String { .. } => Ok(()),
            AbiType::Integer { width, .. } => {
                if (1..=128).contains(width) {
                    Ok(())
                } else {
                    Err(AbiError::InvalidAbi(format!(
                        "`{at}` has an integer width of {width} bits; widths are 1 to 128"
                    )))
                }
            }
            AbiType::Array { typ, .. } => typ.validate(at),
            AbiType::Tuple { fields } => fields.iter().try_for_each(|t| t.validate(at)),
            AbiType::Struct { path, fields } => {
                let mut seen = BTreeSet::new();
                for f in fields {
                    if !seen.insert(f.name.as_str()) {
                        return Err(AbiError::InvalidAbi(format!(
                            "struct `{path}` declares field `{}` twice",
                            f.name
                        )));
                    }
                    f.typ.validate(at)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for AbiType {
    /// Noir syntax: `Field`, `u8`, `i32`, `bool`, `[u8; 4]`, `str<5>`, `(u8, Field)`, or the
    /// struct's path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbiType::Field => f.write_str("Field"),
            AbiType::Integer {
                sign: Sign::Unsigned,
                width,
            } => write!(f, "u{width}"),
            AbiType::Integer {
                sign: Sign::Signed,
                width,
            } => write!(f, "i{width}"),
            AbiType::Boolean => f.write_str("bool"),
            AbiType::Array { length, typ } => write!(f, "[{typ}; {length}]"),
            AbiType::String { length } => write!(f, "str<{length}>"),
            AbiType::Struct { path, .. } => f.write_str(path),
            AbiType::Tuple { fields } => {
                f.write_str("(")?;
                for (i, t) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Who sees a parameter or the return value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Part of the proof's public inputs.
    Public,
    /// Known only to the prover.
    Private,
    /// Passed on the data bus (`call_data`/`return_data`); not a public input of an UltraHonk proof.
    #[serde(rename = "databus")]
    DataBus,
}

/// One parameter of `main`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AbiParameter {
    /// The parameter's name.
    pub name: String,
    /// The parameter's type.
    #[serde(rename = "type")]
    pub typ: AbiType,
    /// Whether it is a public input.
    pub visibility: Visibility,
}

/// The return type of `main`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AbiReturnType {
    /// The returned type.
    pub abi_type: AbiType,
    /// Whether the returned value is a public input (`-> pub T`).
    pub visibility: Visibility,
}

/// What a failed assertion's error selector stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "error_kind", rename_all = "lowercase")]
pub enum AbiErrorType {
    /// A constant message: `assert(x, "message")`.
    String {
        /// The message.
        string: String,
    },
    /// A format string `f"..."` of `length` bytes whose placeholders take values of `item_types`.
    FmtString {
        /// Byte length of the template.
        length: u32,
        /// Types of the interpolated values, in order.
        item_types: Vec<AbiType>,
    },
    /// A value of a custom type passed to `assert`.
    Custom(AbiType),
}

#[derive(Deserialize)]
struct RawAbi {
    parameters: Vec<AbiParameter>,
    return_type: Option<AbiReturnType>,
    #[serde(default)]
    error_types: BTreeMap<u64, AbiErrorType>,
}

/// The checked ABI of `main`: parameter names are unique, integer widths are 1 to 128 bits,
/// struct field names are unique, and all parameters plus the return value fit in `u32` witnesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawAbi")]
pub struct Abi {
    parameters: Vec<AbiParameter>,
    return_type: Option<AbiReturnType>,
    error_types: BTreeMap<u64, AbiErrorType>,
}

impl TryFrom<RawAbi> for Abi {
    type Error = AbiError;
    fn try_from(raw: RawAbi) -> Result<Self, AbiError> {
        Abi::new(raw.parameters, raw.return_type, raw.error_types)
    }
}

impl Abi {
    /// Builds an ABI, checking it as described on [`Abi`].
    pub fn new(
        parameters: Vec<AbiParameter>,
        return_type: Option<AbiReturnType>,
        error_types: BTreeMap<u64, AbiErrorType>,
    ) -> Result<Self, AbiError> {
        let mut names = BTreeSet::new();
        let mut total: u64 = 0;
        for p in &parameters {
            if !names.insert(p.name.as_str()) {
                return Err(AbiError::InvalidAbi(format!(
                    "parameter `{}` is declared twice",
                    p.name
                )));
            }
            p.typ.validate(&p.name)?;
            total = total.saturating_add(p.typ.field_count());
        }
        if let Some(r) = &return_type {
            r.abi_type.validate("return value")?;
            total = total.saturating_add(r.abi_type.field_count());
        }
        for t in error_types.values() {
            match t {
                AbiErrorType::String { .. } => {}
                AbiErrorType::FmtString { item_types, .. } => item_types
                    .iter()
                    .try_for_each(|t| t.validate("error type"))?,
                AbiErrorType::Custom(t) => t.validate("error type")?,
            }
        }
        if total > u64::from(u32::MAX) {
            return Err(AbiError::InvalidAbi(format!(
                "parameters and return value need {total} witnesses, more than a circuit can index"
            )));
        }
        Ok(Abi {
            parameters,
            return_type,
            error_types,
        })
    }

    /// The parameters of `main`, in order.
    pub fn parameters(&self) -> &[AbiParameter] {
        &self.parameters
    }

    /// The return type of `main`, if it returns a value.
    pub fn return_type(&self) -> Option<&AbiReturnType> {
        self.return_type.as_ref()
    }

    /// Error selectors and what they stand for.
    pub fn error_types(&self) -> &BTreeMap<u64, AbiErrorType> {
        &self.error_types
    }

    /// Number of witnesses the parameters occupy (the return value starts at this index).
    pub fn parameter_field_count(&self) -> u32 {
        // `new` checked that the total fits in u32.
        let total: u64 = self.parameters.iter().map(|p| p.typ.field_count()).sum();
        u32::try_from(total).unwrap_or(u32::MAX)
    }

    /// The witness indices of the public inputs, in the order a proof lists them: public
    /// parameters in ABI order, then the return value when it is public.
    pub fn public_witness_indices(&self) -> Vec<u32> {
        self.public_layout()
            .into_iter()
            .flat_map(|s| s.start..s.start + s.count)
            .collect()
    }

    /// Encodes named inputs into the initial witness map: parameter fields at witnesses `0..n`.
    pub fn encode(&self, inputs: &Inputs) -> Result<WitnessMap<FieldElement>, AbiError> {
        let mut fields = Vec::new();
        for p in &self.parameters {
            let v = inputs
                .get(&p.name)
                .ok_or_else(|| AbiError::MissingParameter(p.name.clone()))?;
            let mut path = p.name.clone();
            encode_value(v, &p.typ, &mut path, &mut fields)?;
        }
        if let Some(extra) = inputs
            .names()
            .find(|n| !self.parameters.iter().any(|p| p.name == *n))
        {
            return Err(AbiError::UnexpectedParameter(extra.to_string()));
        }
        let mut map = WitnessMap::new();
        for (i, f) in (0u32..).zip(fields) {
            map.insert(Witness(i), f.into_inner());
        }
        Ok(map)
    }

    /// Decodes every parameter of `main` from a solved (or initial) witness map.
    pub fn decode_parameters(
        &self,
        witness: &WitnessMap<FieldElement>,
    ) -> Result<Inputs, AbiError> {
        let mut start = 0u32;
        let mut out = Inputs::new();
        for p in &self.parameters {
            let count = count_u32(&p.typ);
            let fields = read_witnesses(witness, &p.name, start, count)?;
            out.insert(&p.name, decode_fields(&fields, &p.typ, &p.name)?);
            start += count;
        }
        Ok(out)
    }

    /// Decodes `main`'s return value from a solved witness map; `None` when `main` returns nothing.
    pub fn decode_return(
        &self,
        witness: &WitnessMap<FieldElement>,
    ) -> Result<Option<InputValue>, AbiError> {
        let Some(r) = &self.return_type else {
            return Ok(None);
        };
        let fields = read_witnesses(
            witness,
            "return",
            self.parameter_field_count(),
            count_u32(&r.abi_type),
        )?;
        decode_fields(&fields, &r.abi_type, "return").map(Some)
    }

    /// Reads the public values out of a solved witness, in proof order (see
    /// [`Self::public_witness_indices`]).
    pub fn public_input_fields(
        &self,
        witness: &WitnessMap<FieldElement>,
    ) -> Result<Vec<Field>, AbiError> {
        let mut out = Vec::new();
        for s in self.public_layout() {
            out.extend(read_witnesses(witness, s.name, s.start, s.count)?);
        }
        Ok(out)
    }

    /// Decodes a proof's public inputs (in proof order) into the public parameters by name and the
    /// return value, if it is public. This is what a verifier, who holds no witness, can read.
    pub fn decode_public_inputs(
        &self,
        public_inputs: &[Field],
    ) -> Result<(Inputs, Option<InputValue>), AbiError> {
        let layout = self.public_layout();
        let expected: usize = layout.iter().map(|s| s.count as usize).sum();
        if public_inputs.len() != expected {
            return Err(AbiError::PublicInputCount {
                expected,
                found: public_inputs.len(),
            });
        }
        let mut rest = public_inputs;
        let mut params = Inputs::new();
        let mut ret = None;
        for s in layout {
            let (mine, tail) = rest.split_at(s.count as usize);
            rest = tail;
            let v = decode_fields(mine, s.typ, s.name)?;
            if s.is_return {
                ret = Some(v);
            } else {
                params.insert(s.name, v);
            }
        }
        Ok((params, ret))
    }

    /// Where each public value sits, in proof order.
    fn public_layout(&self) -> Vec<Slot<'_>> {
        let mut out = Vec::new();
        let mut start = 0u32;
        for p in &self.parameters {
            let count = count_u32(&p.typ);
            if p.visibility == Visibility::Public {
                out.push(Slot {
                    name: &p.name,
                    typ: &p.typ,
                    start,
                    count,
                    is_return: false,
                });
            }
            start += count;
        }
        if let Some(r) = &self.return_type {
            if r.visibility == Visibility::Public {
                out.push(Slot {
                    name: "return",
                    typ: &r.abi_type,
                    start,
                    count: count_u32(&r.abi_type),
                    is_return: true,
                });
            }
        }
        out
    }
}

/// A public value's place in the witness.
struct Slot<'a> {
    name: &'a str,
    typ: &'a AbiType,
    start: u32,
    count: u32,
    is_return: bool,
}

/// Field count of a type inside a checked ABI, where it is known to fit in `u32`.
fn count_u32(typ: &AbiType) -> u32 {
    u32::try_from(typ.field_count()).unwrap_or(u32::MAX)
}

fn read_witnesses(
    witness: &WitnessMap<FieldElement>,
    path: &str,
    start: u32,
    count: u32,
) -> Result<Vec<Field>, AbiError> {
    (start..start.saturating_add(count))
        .map(|i| {
            witness
                .get_index(i)
                .map(|f| Field::from_inner(*f))
                .ok_or_else(|| AbiError::MissingWitness {
                    path: path.to_string(),
                    index: i,
                })
        })
        .collect()
}

fn big_of_field(f: &Field) -> BigInt {
    BigInt::from_bytes_be(BigSign::Plus, &f.to_be_bytes())
}

/// `n` must satisfy `0 <= n < r`.
fn field_of_big(n: &BigInt) -> Option<Field> {
    let (sign, bytes) = n.to_bytes_be();
    if sign == BigSign::Minus || bytes.len() > 32 {
        return None;
    }
    let mut be = [0u8; 32];
    be[32 - bytes.len()..].copy_from_slice(&bytes);
    Field::from_be_bytes(&be).ok()
}

fn kind_of(v: &InputValue) -> &'static str {
    match v {
        InputValue::Field(_) => "a field element",
        InputValue::Integer(_) => "an integer",
        InputValue::Bool(_) => "a boolean",
        InputValue::String(_) => "a string",
        InputValue::Array(_) => "an array",
        InputValue::Tuple(_) => "a tuple",
        InputValue::Struct(_) => "a struct",
    }
}

fn mismatch(path: &str, typ: &AbiType, v: &InputValue) -> AbiError {
    AbiError::TypeMismatch {
        path: path.to_string(),
        expected: typ.to_string(),
        found: kind_of(v).to_string(),
    }
}

fn integer_range(sign: Sign, width: u32) -> (BigInt, BigInt) {
    let one = BigInt::from(1u8);
    match sign {
        Sign::Unsigned => (BigInt::from(0u8), (&one << width) - &one),
        Sign::Signed => {
            let half = &one << (width - 1);
            (-half.clone(), half - one)
        }
    }
}

/// The numeric value of a scalar input, as a mathematical integer.
fn numeric(v: &InputValue) -> Option<BigInt> {
    match v {
        InputValue::Field(f) => Some(big_of_field(f)),
        InputValue::Integer(n) => Some(n.clone()),
        _ => None,
    }
}

fn encode_value(
    v: &InputValue,
    typ: &AbiType,
    path: &mut String,
    out: &mut Vec<Field>,
) -> Result<(), AbiError> {
    match typ {
        AbiType::Field => {
            let n = numeric(v).ok_or_else(|| mismatch(path, typ, v))?;
            let f = field_of_big(&n).ok_or_else(|| AbiError::OutOfRange {
                path: path.clone(),
                value: n.to_string(),
                typ: typ.to_string(),
                range: "0 to the BN254 scalar modulus minus 1".to_string(),
            })?;
            out.push(f);
        }
        AbiType::Integer { sign, width } => {
            let n = numeric(v).ok_or_else(|| mismatch(path, typ, v))?;
            let (lo, hi) = integer_range(*sign, *width);
            if n < lo || n > hi {
                return Err(AbiError::OutOfRange {
                    path: path.clone(),
                    value: n.to_string(),
                    typ: typ.to_string(),
                    range: format!("{lo} to {hi}"),
                });
            }
            let stored = if n.sign() == BigSign::Minus {
                (BigInt::from(1u8) << *width) + n
            } else {
                n
            };
            // In range for at most 128 bits, so always below the modulus.
            out.push(field_of_big(&stored).unwrap_or_default());
        }
        AbiType::Boolean => {
            let b = match v {
                InputValue::Bool(b) => *b,
                _ => {
                    let n = numeric(v).ok_or_else(|| mismatch(path, typ, v))?;
                    if n == BigInt::from(0u8) {
                        false
                    } else if n == BigInt::from(1u8) {
                        true
                    } else {
                        return Err(AbiError::OutOfRange {
                            path: path.clone(),
                            value: n.to_string(),
                            typ: typ.to_string(),
                            range: "true, false, 1 or 0".to_string(),
                        });
                    }
                }
            };
            out.push(Field::from(b));
        }
        AbiType::String { length } => {
            let InputValue::String(s) = v else {
                return Err(mismatch(path, typ, v));
            };
            if s.len() as u64 != u64::from(*length) {
                return Err(AbiError::LengthMismatch {
                    path: path.clone(),
                    typ: typ.to_string(),
                    expected: u64::from(*length),
                    found: s.len() as u64,
                    unit: "bytes",
                });
            }
            out.extend(s.bytes().map(|b| Field::from(u64::from(b))));
        }
        AbiType::Array { length, typ: elem } => {
            let InputValue::Array(items) = v else {
                return Err(mismatch(path, typ, v));
            };
            check_len(path, typ, u64::from(*length), items.len())?;
            for (i, item) in items.iter().enumerate() {
                let keep = path.len();
                path.push_str(&format!("[{i}]"));
                encode_value(item, elem, path, out)?;
                path.truncate(keep);
            }
        }
        AbiType::Tuple { fields } => {
            let items = match v {
                InputValue::Tuple(items) | InputValue::Array(items) => items,
                _ => return Err(mismatch(path, typ, v)),
            };
            check_len(path, typ, fields.len() as u64, items.len())?;
            for (i, (item, t)) in items.iter().zip(fields).enumerate() {
                let keep = path.len();
                path.push_str(&format!(".{i}"));
                encode_value(item, t, path, out)?;
                path.truncate(keep);
            }
        }
        AbiType::Struct {
            path: struct_path,
            fields,
        } => {
            let InputValue::Struct(map) = v else {
                return Err(mismatch(path, typ, v));
            };
            for f in fields {
                let item = map.get(&f.name).ok_or_else(|| AbiError::MissingField {
                    path: path.clone(),
                    field: f.name.clone(),
                    typ: struct_path.clone(),
                })?;
                let keep = path.len();
                path.push('.');
                path.push_str(&f.name);
                encode_value(item, &f.typ, path, out)?;
                path.truncate(keep);
            }
            if let Some(extra) = map.keys().find(|k| !fields.iter().any(|f| f.name == **k)) {
                return Err(AbiError::UnexpectedField {
                    path: path.clone(),
                    field: extra.clone(),
                    typ: struct_path.clone(),
                });
            }
        }
    }
    Ok(())
}

fn check_len(path: &str, typ: &AbiType, expected: u64, found: usize) -> Result<(), AbiError> {
    if expected != found as u64 {
        return Err(AbiError::LengthMismatch {
            path: path.to_string(),
            typ: typ.to_string(),
            expected,
            found: found as u64,
            unit: "elements",
        });
    }
    Ok(())
}

/// Decodes exactly `typ.field_count()` fields into a value of `typ`; `path` names it in errors.
/// Types an [`Abi`] would refuse (integer widths outside 1 to 128) are refused here too.
pub fn decode_fields(fields: &[Field], typ: &AbiType, path: &str) -> Result<InputValue, AbiError> {
    typ.validate(path)?;
    if fields.len() as u64 != typ.field_count() {
        return Err(AbiError::LengthMismatch {
            path: path.to_string(),
            typ: typ.to_string(),
            expected: typ.field_count(),
            found: fields.len() as u64,
            unit: "fields",
        });
    }
    let mut path = path.to_string();
    decode_value(&mut fields.iter(), typ, &mut path)
}

fn decode_value<'f>(
    it: &mut impl Iterator<Item = &'f Field>,
    typ: &AbiType,
    path: &mut String,
) -> Result<InputValue, AbiError> {
    let mut next = |path: &str| {
        it.next().copied().ok_or_else(|| AbiError::LengthMismatch {
            path: path.to_string(),
            typ: typ.to_string(),
            expected: typ.field_count(),
            found: 0,
            unit: "fields",
        })
    };
    let invalid = |path: &str, f: &Field| AbiError::InvalidSolvedValue {
        path: path.to_string(),
        typ: typ.to_string(),
        value: f.to_hex(),
    };
    Ok(match typ {
        AbiType::Field => InputValue::Field(next(path)?),
        AbiType::Integer { sign, width } => {
            let f = next(path)?;
            let n = big_of_field(&f);
            if n.bits() > u64::from(*width) {
                return Err(invalid(path, &f));
            }
            let n = match sign {
                Sign::Signed if n.bit(u64::from(*width) - 1) => n - (BigInt::from(1u8) << *width),
                _ => n,
            };
            InputValue::Integer(n)
        }
        AbiType::Boolean => {
            let f = next(path)?;
            if f == Field::zero() {
                InputValue::Bool(false)
            } else if f == Field::one() {
                InputValue::Bool(true)
            } else {
                return Err(invalid(path, &f));
            }
        }
        AbiType::String { length } => {
            let mut bytes = Vec::with_capacity(*length as usize);
            for _ in 0..*length {
                let f = next(path)?;
                match f.to_u128() {
                    Some(b) if b < 256 => bytes.push(b as u8),
                    _ => return Err(invalid(path, &f)),
                }
            }
            let s = String::from_utf8(bytes).map_err(|_| AbiError::InvalidSolvedValue {
                path: path.to_string(),
                typ: typ.to_string(),
                value: "bytes that are not UTF-8".to_string(),
            })?;
            InputValue::String(s)
        }
        AbiType::Array { length, typ: elem } => {
            let mut items = Vec::new();
            for i in 0..*length {
                let keep = path.len();
                path.push_str(&format!("[{i}]"));
                items.push(decode_value(it, elem, path)?);
                path.truncate(keep);
            }
            InputValue::Array(items)
        }
        AbiType::Tuple { fields } => {
            let mut items = Vec::new();
            for (i, t) in fields.iter().enumerate() {
                let keep = path.len();
                path.push_str(&format!(".{i}"));
                items.push(decode_value(it, t, path)?);
                path.truncate(keep);
            }
            InputValue::Tuple(items)
        }
        AbiType::Struct { fields, .. } => {
            let mut map = BTreeMap::new();
            for f in fields {
                let keep = path.len();
                path.push('.');
                path.push_str(&f.name);
                map.insert(f.name.clone(), decode_value(it, &f.typ, path)?);
                path.truncate(keep);
            }
            InputValue::Struct(map)
        }
    })
}

/// The canonical form of a numeric input under a `Field` type: `Field` when it is in range.
pub(crate) fn canonical_field(n: BigInt) -> InputValue {
    match field_of_big(&n) {
        Some(f) => InputValue::Field(f),
        None => InputValue::Integer(n),
    }
}

#[cfg(test)]
mod tests;
