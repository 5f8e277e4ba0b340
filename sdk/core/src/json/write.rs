//! Writing JSON: any `serde::Serialize` value into a [`Value`] tree ([`to_value`]), and a tree
//! into text, compact ([`to_string`]) or canonical ([`canonical`], the form signatures and
//! digests cover: keys sorted by their UTF-8 bytes).
//!
//! Byte for byte what serde_json writes for the same value: strings escaped exactly as serde_json
//! escapes them (`"`, `\` and control characters, `\n`-style where JSON has a short form and
//! `\u00XX` otherwise), integers in plain decimal, floats in serde_json's spelling
//! ([`crate::float::json`]). The tests compare every writer with serde_json. Why not serde_json
//! itself: its writer, its value serializer and its float formatting were about 20 KB of the
//! browser verifier (`docs/browser.md`), for the same bytes.

use serde::ser::{self, Serialize};

use super::{Error, Member, Node, Value};

/// A `Serialize` value as a JSON tree, as `serde_json::to_value` makes it: structs and maps are
/// objects in the order their fields are written, `None` and unit are `null`, a newtype variant
/// is `{"Variant": value}`. Fails on a map whose key is not a string, and on a float that is not
/// finite (JSON has no such number).
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(ValueSerializer)
}

/// A tree as compact JSON text (no whitespace, members in their order).
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out, false);
    out
}

/// A tree as canonical JSON: compact, with every object's keys sorted by their UTF-8 bytes.
pub fn canonical(value: &Value) -> Vec<u8> {
    let mut out = String::new();
    write(value, &mut out, true);
    out.into_bytes()
}

/// [`to_value`] of a value that always serializes (no map with non-string keys, no integer beyond
/// 64 bits): a document govproof writes itself.
pub fn value<T: Serialize + ?Sized>(v: &T) -> Value {
    to_value(v).unwrap_or_else(|e| unreachable!("govproof's documents serialize to JSON: {e}"))
}

/// An object of these members, in this order.
pub fn object(members: Vec<(&str, Value)>) -> Value {
    Value::Object(
        members
            .into_iter()
            .map(|(k, v)| member(k.to_string(), v))
            .collect(),
    )
}

/// An array of these values.
pub fn array(items: impl IntoIterator<Item = Value>) -> Value {
    Value::Array(items.into_iter().map(node).collect())
}

impl Value {
    /// Sets member `key` of an object (replacing its value, or appending it); does nothing to
    /// a value that is not an object.
    pub fn insert(&mut self, key: &str, value: Value) {
        if let Value::Object(members) = self {
            set(members, key.to_string(), value);
        }
    }
}

/// Sets member `key` (a later value for a key replaces the earlier one, as in serde_json).
fn set(members: &mut Vec<Member>, key: String, value: Value) {
    match members.iter_mut().find(|m| m.key == key) {
        Some(m) => m.value = node(value),
        None => members.push(member(key, value)),
    }
}

fn write(value: &Value, out: &mut String, sorted: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(n),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(&item.value, out, sorted);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut order: Vec<&Member> = members.iter().collect();
            if sorted {
                crate::sort::sort_by(&mut order, |a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
            }
            out.push('{');
            for (i, m) in order.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(&m.key, out);
                out.push(':');
                write(&m.value.value, out, sorted);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal, escaped as serde_json escapes it.
pub fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let b = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::detached(msg.to_string())
    }
}

fn node(value: Value) -> Node {
    Node::detached(value)
}

fn member(key: String, value: Value) -> Member {
    Member::detached(key, node(value))
}

/// Builds a [`Value`] from serde's data model.
struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Seq;
    type SerializeTupleVariant = Variant<Seq>;
    type SerializeMap = Map;
    type SerializeStruct = Map;
    type SerializeStructVariant = Variant<Map>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(Value::Number(v.to_string()))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        // As serde_json's value: integers beyond 64 bits are refused.
        match (i64::try_from(v), u64::try_from(v)) {
            (Err(_), Err(_)) => Err(Error::detached("number out of range".to_string())),
            _ => Ok(Value::Number(v.to_string())),
        }
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(Value::Number(v.to_string()))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        match u64::try_from(v) {
            Ok(v) => self.serialize_u64(v),
            Err(_) => Err(Error::detached("number out of range".to_string())),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        if v.is_finite() {
            Ok(Value::Number(crate::float::json(v)))
        } else {
            // serde_json writes `null` for these; a document govproof signs never holds one.
            Ok(Value::Null)
        }
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::Array(
            v.iter()
                .map(|b| node(Value::Number(b.to_string())))
                .collect(),
        ))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(Value::String(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        Ok(Value::Object(vec![member(
            variant.to_string(),
            to_value(value)?,
        )]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq, Error> {
        Ok(Seq(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Seq>, Error> {
        Ok(Variant(variant, self.serialize_seq(Some(len))?))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map, Error> {
        Ok(Map {
            members: Vec::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Map, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Map>, Error> {
        Ok(Variant(variant, self.serialize_map(Some(len))?))
    }
}

/// The elements of an array being built.
struct Seq(Vec<Node>);

impl Seq {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0.push(node(to_value(value)?));
        Ok(())
    }
}

/// `SerializeSeq`, `SerializeTuple` and `SerializeTupleStruct` for [`Seq`]: the same three
/// methods under serde's three names.
macro_rules! seq_impl {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Seq {
            type Ok = Value;
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.push(value)
            }
            fn end(self) -> Result<Value, Error> {
                Ok(Value::Array(self.0))
            }
        }
    };
}

seq_impl!(SerializeSeq, serialize_element);
seq_impl!(SerializeTuple, serialize_element);
seq_impl!(SerializeTupleStruct, serialize_field);

/// The members of an object being built (and a map's key waiting for its value).
struct Map {
    members: Vec<Member>,
    key: Option<String>,
}

impl ser::SerializeMap for Map {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        match to_value(key)? {
            Value::String(s) => {
                self.key = Some(s);
                Ok(())
            }
            // serde_json writes integer and boolean keys as strings.
            Value::Number(n) => {
                self.key = Some(n);
                Ok(())
            }
            Value::Bool(b) => {
                self.key = Some(b.to_string());
                Ok(())
            }
            _ => Err(Error::detached("a map key must be a string".to_string())),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error::detached("a map value without its key".to_string()))?;
        let value = to_value(value)?;
        set(&mut self.members, key, value);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Object(self.members))
    }
}

impl ser::SerializeStruct for Map {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let value = to_value(value)?;
        set(&mut self.members, key.to_string(), value);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Object(self.members))
    }
}

/// An enum variant with fields: `{"Variant": fields}`.
struct Variant<S>(&'static str, S);

impl ser::SerializeTupleVariant for Variant<Seq> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.1.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Object(vec![member(
            self.0.to_string(),
            Value::Array(self.1 .0),
        )]))
    }
}

impl ser::SerializeStructVariant for Variant<Map> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(&mut self.1, key, value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Object(vec![member(
            self.0.to_string(),
            Value::Object(self.1.members),
        )]))
    }
}

impl Serialize for Value {
    /// The tree as serde's data model, so that any serde format (serde_json's pretty writer in
    /// the command line) can write it.
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => {
                if let Ok(i) = n.parse::<i64>() {
                    s.serialize_i64(i)
                } else if let Ok(u) = n.parse::<u64>() {
                    s.serialize_u64(u)
                } else {
                    s.serialize_f64(n.parse::<f64>().map_err(ser::Error::custom)?)
                }
            }
            Value::String(v) => s.serialize_str(v),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(&i.value)?;
                }
                seq.end()
            }
            Value::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for m in members {
                    map.serialize_entry(&m.key, &m.value.value)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_json's value with every object's keys sorted (whatever map serde_json was built
    /// with), written by serde_json: the canonical text.
    fn sorted(v: serde_json::Value) -> String {
        fn sort(v: serde_json::Value) -> serde_json::Value {
            match v {
                serde_json::Value::Object(m) => {
                    let mut entries: Vec<_> = m.into_iter().collect();
                    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                    serde_json::Value::Object(
                        entries.into_iter().map(|(k, v)| (k, sort(v))).collect(),
                    )
                }
                serde_json::Value::Array(a) => {
                    serde_json::Value::Array(a.into_iter().map(sort).collect())
                }
                other => other,
            }
        }
        serde_json::to_string(&sort(v)).unwrap()
    }

    fn both<T: Serialize>(v: &T) {
        let ours = to_string(&to_value(v).unwrap());
        let theirs = serde_json::to_string(v).unwrap();
        assert_eq!(ours, theirs);
        let value: serde_json::Value = serde_json::to_value(v).unwrap();
        assert_eq!(
            String::from_utf8(canonical(&to_value(v).unwrap())).unwrap(),
            sorted(value)
        );
    }

    #[derive(serde::Serialize)]
    enum E {
        Unit,
        New(u8),
        Tuple(u8, String),
        Struct { a: f64, b: Option<bool> },
    }

    #[derive(serde::Serialize)]
    struct S {
        z: &'static str,
        a: Vec<E>,
        m: std::collections::BTreeMap<u32, i64>,
        t: (u8, char),
        f: [f64; 6],
        u: (),
        n: Option<u8>,
        big: u128,
    }

    #[test]
    fn writes_what_serde_json_writes() {
        both(&S {
            z: "q\"\\\u{1}\u{1f}\n\r\t\u{8}\u{c}\u{7f}é😀",
            a: vec![
                E::Unit,
                E::New(7),
                E::Tuple(1, "x".into()),
                E::Struct { a: -0.5, b: None },
            ],
            m: [(3, -1), (1, 2)].into_iter().collect(),
            t: (255, 'c'),
            f: [0.1, 1e21, 1e-7, 600.0, 5e-324, f64::MAX],
            u: (),
            n: None,
            big: u128::from(u64::MAX),
        });
        for s in ["", "plain", "\u{0}\u{1b}", "tab\tend", "\u{2028}\u{2029}"] {
            both(&s);
        }
        assert!(to_value(&u128::MAX).is_err() && serde_json::to_value(u128::MAX).is_err());
    }

    #[test]
    fn a_tree_serializes_back_to_the_same_text() {
        let v = to_value(&vec![(1u8, "a"), (2, "b")]).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), to_string(&v));
    }
}
