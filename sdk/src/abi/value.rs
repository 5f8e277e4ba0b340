//! Input values for `main`, built from Rust values or read from JSON / `Prover.toml`.

use std::collections::BTreeMap;

use num_bigint::BigInt;

use super::{parse, Abi, AbiError};
use crate::field::Field;

/// One value for a parameter of `main` (or a decoded public value), before it is checked against
/// its ABI type.
///
/// Values are not range-checked when built: [`Abi::encode`] checks every value against its type
/// and names the offending path. Numbers are kept exactly (`Integer` is a big integer), so an
/// out-of-range number is reported as given rather than wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputValue {
    /// A canonical field element; also accepted for integer and boolean types when in range.
    Field(Field),
    /// A mathematical integer, negative ones included; accepted for integer, `Field` (when
    /// `0 <= n < r`) and boolean (0 or 1) types.
    Integer(BigInt),
    /// `true` or `false`.
    Bool(bool),
    /// A string; its UTF-8 bytes are the `str<N>` bytes.
    String(String),
    /// Array elements in order; also accepted for tuples.
    Array(Vec<InputValue>),
    /// Tuple elements in order.
    Tuple(Vec<InputValue>),
    /// Struct fields by name.
    Struct(BTreeMap<String, InputValue>),
}

impl InputValue {
    /// An array of values.
    pub fn array<V: Into<InputValue>>(items: impl IntoIterator<Item = V>) -> Self {
        InputValue::Array(items.into_iter().map(Into::into).collect())
    }

    /// A tuple of values.
    pub fn tuple<V: Into<InputValue>>(items: impl IntoIterator<Item = V>) -> Self {
        InputValue::Tuple(items.into_iter().map(Into::into).collect())
    }

    /// A struct from `(field name, value)` pairs; a repeated name keeps the last value.
    pub fn structure<K: Into<String>, V: Into<InputValue>>(
        fields: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        InputValue::Struct(
            fields
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The JSON form that [`Inputs::from_json`] reads back to an equal value: field elements as
    /// `0x` + 64 hex digits, integers as decimal strings (exact beyond 2^53), booleans, strings,
    /// arrays (for arrays and tuples) and objects.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            InputValue::Field(f) => J::String(f.to_hex()),
            InputValue::Integer(n) => J::String(n.to_string()),
            InputValue::Bool(b) => J::Bool(*b),
            InputValue::String(s) => J::String(s.clone()),
            InputValue::Array(items) | InputValue::Tuple(items) => {
                J::Array(items.iter().map(InputValue::to_json).collect())
            }
            InputValue::Struct(map) => {
                J::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

impl From<Field> for InputValue {
    fn from(f: Field) -> Self {
        InputValue::Field(f)
    }
}

impl From<BigInt> for InputValue {
    fn from(n: BigInt) -> Self {
        InputValue::Integer(n)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for InputValue {
            fn from(v: $t) -> Self {
                InputValue::Integer(BigInt::from(v))
            }
        }
    )*};
}
from_int!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);

impl From<bool> for InputValue {
    fn from(b: bool) -> Self {
        InputValue::Bool(b)
    }
}

impl From<&str> for InputValue {
    fn from(s: &str) -> Self {
        InputValue::String(s.to_string())
    }
}

impl From<String> for InputValue {
    fn from(s: String) -> Self {
        InputValue::String(s)
    }
}

impl<V: Into<InputValue>> From<Vec<V>> for InputValue {
    fn from(items: Vec<V>) -> Self {
        InputValue::array(items)
    }
}

impl<V: Into<InputValue>, const N: usize> From<[V; N]> for InputValue {
    fn from(items: [V; N]) -> Self {
        InputValue::array(items)
    }
}

/// Named values for the parameters of `main`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs(BTreeMap<String, InputValue>);

impl Inputs {
    /// No inputs yet.
    pub fn new() -> Self {
        Inputs(BTreeMap::new())
    }

    /// Adds (or replaces) the value of `name`, builder style.
    pub fn with(mut self, name: &str, value: impl Into<InputValue>) -> Self {
        self.insert(name, value);
        self
    }

    /// Sets the value of `name`, returning the previous one.
    pub fn insert(&mut self, name: &str, value: impl Into<InputValue>) -> Option<InputValue> {
        self.0.insert(name.to_string(), value.into())
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&InputValue> {
        self.0.get(name)
    }

    /// The names that have values, in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// `(name, value)` pairs in sorted name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &InputValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of named values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads a JSON object of inputs (as `noir_js` takes them), guided by the ABI's types.
    ///
    /// Numbers may be JSON integers or strings (decimal, `0x` hex, either with a leading `-`);
    /// values under a `Field` type come out as [`InputValue::Field`] when in range. Nothing is
    /// range-checked here: [`Abi::encode`] does that, naming the path.
    pub fn from_json(abi: &Abi, json: &str) -> Result<Self, AbiError> {
        let doc: serde_json::Value =
            serde_json::from_str(json).map_err(|e| AbiError::Document(format!("JSON: {e}")))?;
        parse::inputs_from_json(abi, &doc)
    }

    /// Reads a `Prover.toml` (nargo's input file), with the same rules as [`Self::from_json`].
    pub fn from_toml(abi: &Abi, toml_text: &str) -> Result<Self, AbiError> {
        let doc: toml::Table = toml_text
            .parse()
            .map_err(|e: toml::de::Error| AbiError::Document(format!("TOML: {}", e.message())))?;
        let json = parse::toml_to_json(&toml::Value::Table(doc), "")?;
        parse::inputs_from_json(abi, &json)
    }

    /// A JSON object that [`Self::from_json`] reads back to equal inputs.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
        )
    }
}

impl<K: Into<String>, V: Into<InputValue>> FromIterator<(K, V)> for Inputs {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Inputs(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}
