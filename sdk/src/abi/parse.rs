//! Reading input documents (JSON, TOML) into [`InputValue`]s, guided by ABI types.
//!
//! Reading only converts syntax: every range, length and shape check happens once, in
//! [`super::Abi::encode`]. Values whose ABI type is unknown (an unexpected parameter or struct
//! field, an extra array element) are still read, untyped, so that the encoder reports them.

use std::collections::BTreeMap;

use num_bigint::BigInt;
use serde_json::Value as Json;

use super::{canonical_field, Abi, AbiError, AbiType, InputValue, Inputs};

pub(super) fn inputs_from_json(abi: &Abi, doc: &Json) -> Result<Inputs, AbiError> {
    let Json::Object(map) = doc else {
        return Err(AbiError::Document(
            "the inputs must be a table (a JSON object) of parameter names to values".to_string(),
        ));
    };
    let mut out = Inputs::new();
    for (name, v) in map {
        let typ = abi
            .parameters()
            .iter()
            .find(|p| p.name == *name)
            .map(|p| &p.typ);
        let mut path = name.clone();
        out.insert(name, read(v, typ, &mut path)?);
    }
    Ok(out)
}

fn read(v: &Json, typ: Option<&AbiType>, path: &mut String) -> Result<InputValue, AbiError> {
    Ok(match (v, typ) {
        (Json::Null, _) => {
            return Err(AbiError::TypeMismatch {
                path: path.clone(),
                expected: typ.map_or_else(|| "a value".to_string(), ToString::to_string),
                found: "null".to_string(),
            })
        }
        (Json::Bool(b), _) => InputValue::Bool(*b),
        (Json::Number(_), Some(AbiType::Field)) => canonical_field(number(v, path)?),
        (Json::Number(_), _) => InputValue::Integer(number(v, path)?),
        (Json::String(s), Some(AbiType::Field)) => canonical_field(parse_int(s, path)?),
        (Json::String(s), Some(AbiType::Integer { .. })) => {
            InputValue::Integer(parse_int(s, path)?)
        }
        (Json::String(s), Some(AbiType::Boolean)) => match s.as_str() {
            "true" => InputValue::Bool(true),
            "false" => InputValue::Bool(false),
            _ => InputValue::Integer(parse_int(s, path).map_err(|_| AbiError::TypeMismatch {
                path: path.clone(),
                expected: "bool".to_string(),
                found: format!("the string `{s}`"),
            })?),
        },
        (Json::String(s), _) => InputValue::String(s.clone()),
        (Json::Array(items), Some(AbiType::Array { typ, .. })) => {
            InputValue::Array(read_items(items, |_| Some(typ.as_ref()), path, false)?)
        }
        (Json::Array(items), Some(AbiType::Tuple { fields })) => {
            InputValue::Tuple(read_items(items, |i| fields.get(i), path, true)?)
        }
        (Json::Array(items), _) => InputValue::Array(read_items(items, |_| None, path, false)?),
        (Json::Object(map), typ) => {
            let fields = match typ {
                Some(AbiType::Struct { fields, .. }) => Some(fields),
                _ => None,
            };
            let mut out = BTreeMap::new();
            for (k, item) in map {
                let t = fields.and_then(|fs| fs.iter().find(|f| f.name == *k).map(|f| &f.typ));
                let keep = path.len();
                path.push('.');
                path.push_str(k);
                out.insert(k.clone(), read(item, t, path)?);
                path.truncate(keep);
            }
            InputValue::Struct(out)
        }
    })
}

fn read_items<'t>(
    items: &[Json],
    typ_of: impl Fn(usize) -> Option<&'t AbiType>,
    path: &mut String,
    tuple: bool,
) -> Result<Vec<InputValue>, AbiError> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let keep = path.len();
        if tuple {
            path.push_str(&format!(".{i}"));
        } else {
            path.push_str(&format!("[{i}]"));
        }
        out.push(read(item, typ_of(i), path)?);
        path.truncate(keep);
    }
    Ok(out)
}

fn number(v: &Json, path: &str) -> Result<BigInt, AbiError> {
    if let Some(n) = v.as_u64() {
        return Ok(BigInt::from(n));
    }
    if let Some(n) = v.as_i64() {
        return Ok(BigInt::from(n));
    }
    Err(AbiError::NumberSyntax {
        path: path.to_string(),
        text: v.to_string(),
    })
}

/// Decimal, `0x` hex, `-` decimal or `-0x` hex; nothing else (no spaces, no `+`, no empty digits).
fn parse_int(text: &str, path: &str) -> Result<BigInt, AbiError> {
    let syntax = || AbiError::NumberSyntax {
        path: path.to_string(),
        text: text.to_string(),
    };
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (radix, digits) = match body.strip_prefix("0x") {
        Some(hex) => (16, hex),
        None => (10, body),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(syntax());
    }
    let n = BigInt::parse_bytes(digits.as_bytes(), radix).ok_or_else(syntax)?;
    Ok(if negative { -n } else { n })
}

/// Converts TOML to the equivalent JSON; TOML floats and dates are not input values.
pub(super) fn toml_to_json(v: &toml::Value, path: &str) -> Result<Json, AbiError> {
    Ok(match v {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(n) => Json::from(*n),
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Float(f) => {
            return Err(AbiError::NumberSyntax {
                path: path.to_string(),
                text: format!("{f:?}"),
            })
        }
        toml::Value::Datetime(d) => {
            return Err(AbiError::TypeMismatch {
                path: path.to_string(),
                expected: "a number, boolean, string, array or table".to_string(),
                found: format!("the date `{d}`"),
            })
        }
        toml::Value::Array(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| toml_to_json(item, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(t) => Json::Object(
            t.iter()
                .map(|(k, item)| {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    toml_to_json(item, &p).map(|j| (k.clone(), j))
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}
