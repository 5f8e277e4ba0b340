//! The `print` foreign call (Noir's `print` and `println`), and the rendering of values the way
//! Noir shows them: fields as short hex (`0x05`), integers in decimal, structs as
//! `Name { a: 1, b: true }`, arrays as `[1, 2]`.
//!
//! A `print` call's inputs are: a newline flag; then either the value's fields followed by its type
//! as JSON text, or (for a format string) the template, the number of values, the values' fields,
//! one JSON type per value; and last a flag saying which of the two it is.

use acir::brillig::ForeignCallParam;
use acir::{AcirField, FieldElement};
use serde::Deserialize;

use crate::abi::{AbiType, Sign};

/// A type descriptor as the compiler embeds it in `print` calls (JSON with a `kind` tag).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum PrintType {
    Field,
    Array {
        length: u32,
        #[serde(rename = "type")]
        typ: Box<PrintType>,
    },
    Slice {
        #[serde(rename = "type")]
        typ: Box<PrintType>,
    },
    Tuple {
        types: Vec<PrintType>,
    },
    SignedInteger {
        width: u32,
    },
    UnsignedInteger {
        width: u32,
    },
    Boolean,
    Struct {
        name: String,
        fields: Vec<(String, PrintType)>,
    },
    Enum {
        name: String,
        variants: Vec<(String, Vec<PrintType>)>,
    },
    String {
        length: u32,
    },
    FmtString {
        length: u32,
        typ: Box<PrintType>,
    },
    Function {
        env: Box<PrintType>,
    },
    Reference {
        typ: Box<PrintType>,
        #[serde(default)]
        mutable: bool,
    },
    Unit,
}

impl From<&AbiType> for PrintType {
    fn from(t: &AbiType) -> Self {
        match t {
            AbiType::Field => PrintType::Field,
            AbiType::Integer {
                sign: Sign::Unsigned,
                width,
            } => PrintType::UnsignedInteger { width: *width },
            AbiType::Integer {
                sign: Sign::Signed,
                width,
            } => PrintType::SignedInteger { width: *width },
            AbiType::Boolean => PrintType::Boolean,
            AbiType::Array { length, typ } => PrintType::Array {
                length: *length,
                typ: Box::new(typ.as_ref().into()),
            },
            AbiType::String { length } => PrintType::String { length: *length },
            AbiType::Struct { path, fields } => PrintType::Struct {
                name: path.rsplit("::").next().unwrap_or(path).to_string(),
                fields: fields
                    .iter()
                    .map(|f| (f.name.clone(), (&f.typ).into()))
                    .collect(),
            },
            AbiType::Tuple { fields } => PrintType::Tuple {
                types: fields.iter().map(Into::into).collect(),
            },
        }
    }
}

/// Why a `print` call's arguments could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrintError(pub(crate) String);

fn short(what: &str) -> PrintError {
    PrintError(format!("ran out of values while reading {what}"))
}

/// Renders the arguments of one `print` call (newline included when requested).
pub(crate) fn render_print_call(
    inputs: &[ForeignCallParam<FieldElement>],
) -> Result<String, PrintError> {
    let (newline, rest) = inputs
        .split_first()
        .ok_or_else(|| short("the newline flag"))?;
    let (is_fmt, rest) = rest.split_last().ok_or_else(|| short("the format flag"))?;
    let mut text = if single(is_fmt)?.is_one() {
        render_fmt_call(rest)?
    } else {
        let (meta, values) = rest.split_last().ok_or_else(|| short("the type"))?;
        let typ = parse_type(meta)?;
        let mut fields = values.iter().flat_map(ForeignCallParam::fields);
        render(&mut fields, &typ)?
    };
    if !single(newline)?.is_zero() {
        text.push('\n');
    }
    Ok(text)
}

fn single(p: &ForeignCallParam<FieldElement>) -> Result<FieldElement, PrintError> {
    match p {
        ForeignCallParam::Single(f) => Ok(*f),
        ForeignCallParam::Array(_) => Err(PrintError(
            "expected a single flag value, got an array".to_string(),
        )),
    }
}

fn render_fmt_call(inputs: &[ForeignCallParam<FieldElement>]) -> Result<String, PrintError> {
    let (message, rest) = inputs.split_first().ok_or_else(|| short("the template"))?;
    let template = decode_string(&message.fields())?;
    let (count, rest) = rest.split_first().ok_or_else(|| short("the value count"))?;
    let count = single(count)?
        .try_into_u128()
        .and_then(|c| usize::try_from(c).ok())
        .filter(|c| *c <= rest.len())
        .ok_or_else(|| PrintError("the value count exceeds the arguments".to_string()))?;
    let (values, metas) = rest.split_at(rest.len() - count);
    let mut fields = values.iter().flat_map(ForeignCallParam::fields);
    let rendered = metas
        .iter()
        .map(|m| render(&mut fields, &parse_type(m)?))
        .collect::<Result<Vec<_>, _>>()?;
    fill_template(&template, rendered)
}

fn parse_type(meta: &ForeignCallParam<FieldElement>) -> Result<PrintType, PrintError> {
    let json = decode_string(&meta.fields())?;
    serde_json::from_str(&json)
        .map_err(|e| PrintError(format!("unreadable type descriptor `{json}`: {e}")))
}

/// One byte per field element.
pub(crate) fn decode_string(fields: &[FieldElement]) -> Result<String, PrintError> {
    let bytes = fields
        .iter()
        .map(|f| {
            f.try_into_u128()
                .and_then(|b| u8::try_from(b).ok())
                .ok_or_else(|| {
                    PrintError(format!("string byte {} is not a byte", f.to_short_hex()))
                })
        })
        .collect::<Result<Vec<u8>, _>>()?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Replaces each `{name}` in a Noir format string with the next rendered value; `{{` and `}}` are
/// literal braces.
pub(crate) fn fill_template(template: &str, values: Vec<String>) -> Result<String, PrintError> {
    let mut out = String::with_capacity(template.len());
    let mut values = values.into_iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                for inner in chars.by_ref() {
                    if inner == '}' {
                        break;
                    }
                }
                let v = values.next().ok_or_else(|| {
                    PrintError(format!(
                        "template `{template}` has more placeholders than values"
                    ))
                })?;
                out.push_str(&v);
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

fn take(
    fields: &mut impl Iterator<Item = FieldElement>,
    what: &str,
) -> Result<FieldElement, PrintError> {
    fields.next().ok_or_else(|| short(what))
}

/// Reads one value of `typ` from `fields` and renders it as Noir does.
pub(crate) fn render(
    fields: &mut impl Iterator<Item = FieldElement>,
    typ: &PrintType,
) -> Result<String, PrintError> {
    Ok(match typ {
        PrintType::Field => take(fields, "a field")?.to_short_hex(),
        PrintType::UnsignedInteger { width } => {
            let f = take(fields, "an integer")?;
            let v = f.try_into_u128().ok_or_else(|| {
                PrintError(format!("u{width} value {} is too large", f.to_short_hex()))
            })?;
            v.to_string()
        }
        PrintType::SignedInteger { width } => {
            let f = take(fields, "an integer")?;
            let v = f
                .try_into_u128()
                .filter(|_| (1..=128).contains(width))
                .ok_or_else(|| {
                    PrintError(format!("i{width} value {} is too large", f.to_short_hex()))
                })?;
            if *width < 128 && v >> (width - 1) == 1 {
                let magnitude = (1u128 << width) - v;
                format!("-{magnitude}")
            } else if *width == 128 && v >> 127 == 1 {
                format!("-{}", v.wrapping_neg())
            } else {
                v.to_string()
            }
        }
        PrintType::Boolean => {
            if take(fields, "a boolean")?.is_one() {
                "true".to_string()
            } else {
                "false".to_string()
            }
        }
        PrintType::Unit => "()".to_string(),
        PrintType::String { length } => {
            let bytes = (0..*length)
                .map(|_| take(fields, "a string"))
                .collect::<Result<Vec<_>, _>>()?;
            decode_string(&bytes)?
        }
        PrintType::Array { length, typ } => {
            let items = (0..*length)
                .map(|_| render(fields, typ))
                .collect::<Result<Vec<_>, _>>()?;
            format!("[{}]", items.join(", "))
        }
        PrintType::Slice { typ } => {
            let len = take(fields, "a slice length")?
                .try_into_u128()
                .and_then(|l| u32::try_from(l).ok())
                .ok_or_else(|| PrintError("slice length is too large".to_string()))?;
            let items = (0..len)
                .map(|_| render(fields, typ))
                .collect::<Result<Vec<_>, _>>()?;
            format!("&[{}]", items.join(", "))
        }
        PrintType::Tuple { types } => {
            let items = types
                .iter()
                .map(|t| render(fields, t))
                .collect::<Result<Vec<_>, _>>()?;
            if items.len() == 1 {
                format!("({},)", items[0])
            } else {
                format!("({})", items.join(", "))
            }
        }
        PrintType::Struct { name, fields: fs } => {
            let items = fs
                .iter()
                .map(|(k, t)| render(fields, t).map(|v| format!("{k}: {v}")))
                .collect::<Result<Vec<_>, _>>()?;
            format!("{name} {{ {} }}", items.join(", "))
        }
        PrintType::Enum { name, variants } => {
            let tag = take(fields, "an enum tag")?
                .try_into_u128()
                .and_then(|t| usize::try_from(t).ok())
                .filter(|t| *t < variants.len())
                .ok_or_else(|| PrintError(format!("enum `{name}` has no such variant")))?;
            let mut shown = Vec::new();
            for (i, (_, types)) in variants.iter().enumerate() {
                for t in types {
                    let v = render(fields, t)?;
                    if i == tag {
                        shown.push(v);
                    }
                }
            }
            let variant = &variants[tag].0;
            if shown.is_empty() {
                format!("{name}::{variant}")
            } else {
                format!("{name}::{variant}({})", shown.join(", "))
            }
        }
        PrintType::FmtString { length, typ } => {
            let bytes = (0..*length)
                .map(|_| take(fields, "a format string"))
                .collect::<Result<Vec<_>, _>>()?;
            let template = decode_string(&bytes)?;
            let _count = take(fields, "a format string's value count")?;
            let PrintType::Tuple { types } = typ.as_ref() else {
                return Err(PrintError(
                    "format string values are not a tuple".to_string(),
                ));
            };
            let values = types
                .iter()
                .map(|t| render(fields, t))
                .collect::<Result<Vec<_>, _>>()?;
            fill_template(&template, values)?
        }
        PrintType::Function { env } => {
            render(fields, env)?;
            take(fields, "a function id")?;
            "<<function>>".to_string()
        }
        PrintType::Reference { typ, mutable } => {
            for _ in 0..reference_size(typ)? {
                take(fields, "a reference")?;
            }
            if *mutable {
                "<<mutable ref>>".to_string()
            } else {
                "<<ref>>".to_string()
            }
        }
    })
}

/// How many fields the compiler passes for a reference to `typ`.
fn reference_size(typ: &PrintType) -> Result<usize, PrintError> {
    Ok(match typ {
        PrintType::Tuple { types } => types.iter().map(reference_size).sum::<Result<usize, _>>()?,
        PrintType::Struct { fields, .. } => fields
            .iter()
            .map(|(_, t)| reference_size(t))
            .sum::<Result<usize, _>>()?,
        PrintType::Reference { typ, .. } => reference_size(typ)?,
        PrintType::Unit => 0,
        PrintType::Slice { .. } => 2,
        PrintType::Enum { .. } => {
            return Err(PrintError(
                "references to enums cannot be printed".to_string(),
            ))
        }
        _ => 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fe(v: u128) -> FieldElement {
        FieldElement::from(v)
    }

    #[test]
    fn templates_fill_placeholders_and_unescape_braces() {
        let out = fill_template("a {x} {{b}} {y}", vec!["1".into(), "2".into()]).unwrap();
        assert_eq!(out, "a 1 {b} 2");
        assert!(fill_template("{x}", vec![]).is_err());
    }

    #[test]
    fn values_render_like_noir() {
        let t = PrintType::Struct {
            name: "P".into(),
            fields: vec![
                ("x".into(), PrintType::Field),
                ("y".into(), PrintType::SignedInteger { width: 8 }),
                (
                    "z".into(),
                    PrintType::Array {
                        length: 2,
                        typ: Box::new(PrintType::Boolean),
                    },
                ),
            ],
        };
        let mut it = [fe(5), fe(253), fe(1), fe(0)].into_iter();
        assert_eq!(
            render(&mut it, &t).unwrap(),
            "P { x: 0x05, y: -3, z: [true, false] }"
        );
        let mut it = [fe(1u128 << 127)].into_iter();
        assert_eq!(
            render(&mut it, &PrintType::SignedInteger { width: 128 }).unwrap(),
            format!("-{}", 1u128 << 127)
        );
        let mut empty = std::iter::empty();
        assert!(render(&mut empty, &PrintType::Field).is_err());
    }
}
