//! The one strict JSON reader of govproof's documents (bundles, registry documents, trusted
//! roots, openings, the pinned keys).
//!
//! A document is parsed once into a [`Node`] tree (RFC 8259 exactly: no comments, no trailing
//! commas, no leading zeros, no control characters or lone surrogates in strings, nothing after
//! the value, at most [`MAX_DEPTH`] levels), in which **a key written twice in one object is
//! refused** wherever it is. Each document type then reads itself from its node with
//! [`FromJson`]: an [`Object`] names the fields it knows, so an unknown field, a missing one and a
//! value of the wrong type are errors that say which and where (`at line L column C`, the start
//! of the offending value).
//!
//! Why not serde's derived deserializers: they are one instance of serde_json's reader and of each
//! type's visitor per document type, about 170 KB of the browser verifier (`docs/browser.md`).
//! The types keep their `serde::Deserialize` impls, which go through this reader
//! ([`crate::deserialize_by_reader`]), so a document means the same whichever way it is read.
//! Writing goes through serde's `Serialize` into the same tree ([`to_value`]), and from the tree
//! into compact or canonical text ([`to_string`], [`canonical`]), byte for byte as serde_json
//! writes it (`write.rs`).

use std::fmt;

mod write;
pub use write::{array, canonical, object, to_string, to_value, value, write_string};

/// How deeply arrays and objects may nest (serde_json's limit too).
pub const MAX_DEPTH: usize = 128;

/// The most values (of any kind, at any depth) one document may hold. The tree costs about 50
/// bytes a value, so a file of tiny values (`[0,0,0,...]`) could otherwise take about 25 times its
/// size in memory before any type is checked: this bounds that at about 200 MB. The largest
/// document govproof reads holds far fewer (a full manifest of 2^20 entry digests about 2^20).
pub const MAX_VALUES: usize = 1 << 22;

/// Why a document cannot be read, and where: `line` and `column` (1-based, columns in bytes) of
/// the start of the offending value, or 0 when the value did not come from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
    line: u32,
    column: u32,
}

impl Error {
    /// An error about a value that did not come from text.
    pub(crate) fn detached(message: String) -> Self {
        Error {
            message,
            line: 0,
            column: 0,
        }
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 1-based line of the offending value, 0 when unknown.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The 1-based column (in bytes) of the offending value, 0 when unknown.
    pub fn column(&self) -> u32 {
        self.column
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(
                f,
                "{} at line {} column {}",
                self.message, self.line, self.column
            )
        }
    }
}

impl std::error::Error for Error {}

/// A parsed JSON value and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    line: u32,
    column: u32,
}

/// A JSON value. Numbers keep their text, so that every reader converts them exactly.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as written (RFC 8259 grammar, already checked).
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Node>),
    /// An object's members in document order; no key appears twice.
    Object(Vec<Member>),
}

/// One member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key, unescaped.
    pub key: String,
    key_line: u32,
    key_column: u32,
    /// The value.
    pub value: Node,
}

impl Member {
    /// A member that did not come from text.
    pub(crate) fn detached(key: String, value: Node) -> Self {
        Member {
            key,
            key_line: 0,
            key_column: 0,
            value,
        }
    }
}

/// Parses `bytes` as one JSON document.
pub fn parse(bytes: &[u8]) -> Result<Node, Error> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            // Placed by counting lines over the valid part.
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let mut p = Parser::new(valid);
            p.advance_to(valid.len());
            return Err(p.error_here("invalid UTF-8"));
        }
    };
    let mut p = Parser::new(text);
    p.skip_whitespace();
    let node = p.value(0)?;
    p.skip_whitespace();
    if p.pos < p.bytes.len() {
        return Err(p.error_here("trailing characters"));
    }
    Ok(node)
}

/// Parses `bytes` and reads a `T` from the document.
pub fn from_slice<T: FromJson>(bytes: &[u8]) -> Result<T, Error> {
    T::from_json(&parse(bytes)?)
}

/// Parses `text` and reads a `T` from the document.
pub fn from_str<T: FromJson>(text: &str) -> Result<T, Error> {
    from_slice(text.as_bytes())
}

struct Parser<'a> {
    /// The document, already checked to be UTF-8: every slice the parser takes starts and ends
    /// at an ASCII byte, so it is whole text and is not checked again.
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
    values: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            values: 0,
        }
    }

    fn column(&self) -> u32 {
        u32::try_from(self.pos - self.line_start + 1).unwrap_or(u32::MAX)
    }

    /// Moves to `to`, counting lines (used to place an error found by another scan).
    fn advance_to(&mut self, to: usize) {
        while self.pos < to {
            if self.bytes[self.pos] == b'\n' {
                self.line = self.line.saturating_add(1);
                self.line_start = self.pos + 1;
            }
            self.pos += 1;
        }
    }

    fn error_here(&self, message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            line: self.line,
            column: self.column(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line = self.line.saturating_add(1);
                    self.line_start = self.pos;
                }
                _ => break,
            }
        }
    }

    fn eof_error(&self, what: &str) -> Error {
        self.error_here(format!("EOF while parsing {what}"))
    }

    fn value(&mut self, depth: usize) -> Result<Node, Error> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(
                self.error_here(format!("the document holds more than {MAX_VALUES} values"))
            );
        }
        let (line, column) = (self.line, self.column());
        let value = match self.peek() {
            None => return Err(self.eof_error("a value")),
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.error_here("recursion limit exceeded"));
                }
                self.array(depth + 1)?
            }
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.error_here("recursion limit exceeded"));
                }
                self.object(depth + 1)?
            }
            Some(_) => return Err(self.error_here("expected value")),
        };
        Ok(Node {
            value,
            line,
            column,
        })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, Error> {
        for &b in word.as_bytes() {
            match self.peek() {
                None => return Err(self.eof_error("a value")),
                Some(c) if c == b => self.pos += 1,
                Some(_) => return Err(self.error_here("expected value")),
            }
        }
        Ok(value)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<String, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.error_here("invalid number: a leading zero"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            None => return Err(self.eof_error("a number")),
            Some(_) => return Err(self.error_here("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(match self.peek() {
                    None => self.eof_error("a number"),
                    Some(_) => self.error_here("invalid number"),
                });
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(match self.peek() {
                    None => self.eof_error("a number"),
                    Some(_) => self.error_here("invalid number"),
                });
            }
        }
        // Only ASCII digits, signs, `.` and `e` were consumed.
        Ok(self
            .text
            .get(start..self.pos)
            .unwrap_or_default()
            .to_owned())
    }

    fn hex4(&mut self) -> Result<u16, Error> {
        let mut v: u16 = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                None => return Err(self.eof_error("a string")),
                Some(b) => match (b as char).to_digit(16) {
                    Some(d) => d as u16,
                    None => return Err(self.error_here("invalid escape")),
                },
            };
            self.pos += 1;
            v = (v << 4) | d;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, Error> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            // The plain run up to the next quote, backslash or control character.
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The run starts after and stops at ASCII bytes only, so it is whole text.
            out.push_str(self.text.get(start..self.pos).unwrap_or_default());
            match self.peek() {
                None => return Err(self.eof_error("a string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.peek() {
                        None => return Err(self.eof_error("a string")),
                        Some(c) => c,
                    };
                    self.pos += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            let code = match first {
                                0xD800..=0xDBFF => {
                                    if self.peek() != Some(b'\\') {
                                        return Err(
                                            self.error_here("lone leading surrogate in hex escape")
                                        );
                                    }
                                    self.pos += 1;
                                    if self.peek() != Some(b'u') {
                                        return Err(
                                            self.error_here("lone leading surrogate in hex escape")
                                        );
                                    }
                                    self.pos += 1;
                                    let second = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&second) {
                                        return Err(
                                            self.error_here("lone leading surrogate in hex escape")
                                        );
                                    }
                                    0x10000
                                        + ((u32::from(first) - 0xD800) << 10)
                                        + (u32::from(second) - 0xDC00)
                                }
                                0xDC00..=0xDFFF => {
                                    return Err(
                                        self.error_here("lone trailing surrogate in hex escape")
                                    )
                                }
                                _ => u32::from(first),
                            };
                            match char::from_u32(code) {
                                Some(ch) => out.push(ch),
                                None => return Err(self.error_here("invalid unicode code point")),
                            }
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.error_here("invalid escape"));
                        }
                    }
                }
                Some(_) => {
                    return Err(self.error_here(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ))
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, Error> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            if self.peek() == Some(b']') {
                return Err(self.error_here("trailing comma"));
            }
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                None => return Err(self.eof_error("a list")),
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                Some(_) => return Err(self.error_here("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Error> {
        self.pos += 1;
        let mut members: Vec<Member> = Vec::new();
        // Keys seen so far, for objects too large for a linear search.
        let mut seen: Option<std::collections::BTreeSet<String>> = None;
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            let (key_line, key_column) = (self.line, self.column());
            match self.peek() {
                None => return Err(self.eof_error("an object")),
                Some(b'"') => {}
                Some(b'}') => return Err(self.error_here("trailing comma")),
                Some(_) => return Err(self.error_here("key must be a string")),
            }
            let key = self.string()?;
            let duplicate = match &mut seen {
                Some(set) => !set.insert(key.clone()),
                None => members.iter().any(|m| m.key == key),
            };
            if duplicate {
                return Err(Error {
                    message: format!("duplicate field `{key}`"),
                    line: key_line,
                    column: key_column,
                });
            }
            if seen.is_none() && members.len() >= 16 {
                // Inserted one by one: collecting into a `BTreeSet` sorts, one more instance of
                // the standard sort in the browser verifier.
                let mut set = std::collections::BTreeSet::new();
                for m in &members {
                    set.insert(m.key.clone());
                }
                set.insert(key.clone());
                seen = Some(set);
            }
            self.skip_whitespace();
            match self.peek() {
                None => return Err(self.eof_error("an object")),
                Some(b':') => self.pos += 1,
                Some(_) => return Err(self.error_here("expected `:`")),
            }
            self.skip_whitespace();
            let value = self.value(depth)?;
            members.push(Member {
                key,
                key_line,
                key_column,
                value,
            });
            self.skip_whitespace();
            match self.peek() {
                None => return Err(self.eof_error("an object")),
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                Some(_) => return Err(self.error_here("expected `,` or `}`")),
            }
        }
    }
}

impl Node {
    /// A node that did not come from text (position 0).
    pub fn detached(value: Value) -> Self {
        Node {
            value,
            line: 0,
            column: 0,
        }
    }

    /// An error about this value, placed at its start.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            line: self.line,
            column: self.column,
        }
    }

    /// What this value is, as serde words it in `invalid type: ..., expected ...`.
    pub fn unexpected(&self) -> String {
        match &self.value {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => format!("boolean `{b}`"),
            Value::Number(n) if is_integer(n) => format!("integer `{n}`"),
            Value::Number(n) => format!("floating point `{n}`"),
            Value::String(s) => format!("string {s:?}"),
            Value::Array(_) => "sequence".to_owned(),
            Value::Object(_) => "map".to_owned(),
        }
    }

    /// `invalid type: <this value>, expected <expected>`.
    pub fn invalid_type(&self, expected: &str) -> Error {
        self.error(format!(
            "invalid type: {}, expected {expected}",
            self.unexpected()
        ))
    }

    /// This value as a string, or an error naming `expected`.
    pub fn str(&self, expected: &str) -> Result<&str, Error> {
        match &self.value {
            Value::String(s) => Ok(s),
            _ => Err(self.invalid_type(expected)),
        }
    }

    /// This value as a string made into a `T` by `make`, whose error is placed at the string.
    pub fn parse_str<T, E: fmt::Display>(
        &self,
        expected: &str,
        make: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, Error> {
        make(self.str(expected)?).map_err(|e| self.error(e.to_string()))
    }

    /// This value as an array, or an error naming `expected`.
    pub fn array(&self, expected: &str) -> Result<&[Node], Error> {
        match &self.value {
            Value::Array(items) => Ok(items),
            _ => Err(self.invalid_type(expected)),
        }
    }

    /// This value as an object with exactly the fields `fields` may name (any may be absent; the
    /// reader says which it needs), or an error naming `expecting`.
    pub fn object<'a>(
        &'a self,
        expecting: &str,
        fields: &'static [&'static str],
    ) -> Result<Object<'a>, Error> {
        let members = match &self.value {
            Value::Object(m) => m,
            _ => return Err(self.invalid_type(expecting)),
        };
        if let Some(m) = members.iter().find(|m| !fields.contains(&m.key.as_str())) {
            return Err(Error {
                message: unknown_field(&m.key, fields),
                line: m.key_line,
                column: m.key_column,
            });
        }
        Ok(Object {
            node: self,
            members,
        })
    }

    /// The value of the member `name` when this value is an object that has one, whatever its
    /// other keys (to look at a document before reading it as its type).
    pub fn member(&self, name: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(members) => find(members, name),
            _ => None,
        }
    }

    /// This value as an object's members in document order, whatever its keys (for maps).
    pub fn members(&self, expected: &str) -> Result<&[Member], Error> {
        match &self.value {
            Value::Object(m) => Ok(m),
            _ => Err(self.invalid_type(expected)),
        }
    }

    /// This value as a whole number that fits a `T`, with messages that say "a whole number".
    pub fn whole<T: TryFrom<u64>>(&self) -> Result<T, Error> {
        let text = match &self.value {
            Value::Number(n) if is_integer(n) => n,
            _ => return Err(self.invalid_type("a whole number")),
        };
        if text.starts_with('-') {
            return Err(self.error(format!("`{text}` is negative: expected a whole number")));
        }
        let v: u64 = text
            .parse()
            .map_err(|_| self.error(format!("`{text}` is too large")))?;
        T::try_from(v).map_err(|_| self.error(format!("`{v}` is too large")))
    }

    /// This value as a string naming one of `variants`; `Err` words an unknown one as serde does.
    pub fn variant<'v>(&self, expected: &str, variants: &[&'v str]) -> Result<&'v str, Error> {
        let s = self.str(expected)?;
        variants
            .iter()
            .find(|v| **v == s)
            .copied()
            .ok_or_else(|| self.error(unknown_variant(s, variants)))
    }
}

fn is_integer(n: &str) -> bool {
    !n.contains(['.', 'e', 'E'])
}

fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [a, b] => format!("`{a}` or `{b}`"),
        _ => {
            let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("one of {}", quoted.join(", "))
        }
    }
}

fn unknown_field(key: &str, fields: &[&str]) -> String {
    if fields.is_empty() {
        format!("unknown field `{key}`, there are no fields")
    } else {
        format!("unknown field `{key}`, expected {}", one_of(fields))
    }
}

/// `unknown variant `x`, expected ...`, as serde words it.
pub fn unknown_variant(name: &str, variants: &[&str]) -> String {
    if variants.is_empty() {
        format!("unknown variant `{name}`, there are no variants")
    } else {
        format!("unknown variant `{name}`, expected {}", one_of(variants))
    }
}

/// An object being read: its members were checked against the fields its type knows.
pub struct Object<'a> {
    node: &'a Node,
    members: &'a [Member],
}

/// The value of the member `name` among `members`, if there is one.
fn find<'a>(members: &'a [Member], name: &str) -> Option<&'a Node> {
    members.iter().find(|m| m.key == name).map(|m| &m.value)
}

impl<'a> Object<'a> {
    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&'a Node> {
        find(self.members, name)
    }

    /// The value of `name`, or `missing field `name``.
    pub fn node_of(&self, name: &str) -> Result<&'a Node, Error> {
        self.get(name)
            .ok_or_else(|| self.node.error(format!("missing field `{name}`")))
    }

    /// Reads the required field `name`.
    pub fn required<T: FromJson>(&self, name: &str) -> Result<T, Error> {
        T::from_json(self.node_of(name)?)
    }

    /// Reads the optional field `name`: absent or `null` is `None`.
    pub fn optional<T: FromJson>(&self, name: &str) -> Result<Option<T>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(n) if n.value == Value::Null => Ok(None),
            Some(n) => T::from_json(n).map(Some),
        }
    }

    /// Reads `name` if present (`null` included, for the type to judge), else `T::default()`.
    pub fn or_default<T: FromJson + Default>(&self, name: &str) -> Result<T, Error> {
        match self.get(name) {
            None => Ok(T::default()),
            Some(n) => T::from_json(n),
        }
    }
}

/// A type read from a parsed JSON value.
pub trait FromJson: Sized {
    /// Reads `Self` from `node`, or says what is wrong and where.
    fn from_json(node: &Node) -> Result<Self, Error>;
}

impl FromJson for String {
    fn from_json(node: &Node) -> Result<Self, Error> {
        node.str("a string").map(str::to_owned)
    }
}

impl FromJson for bool {
    fn from_json(node: &Node) -> Result<Self, Error> {
        match node.value {
            Value::Bool(b) => Ok(b),
            _ => Err(node.invalid_type("a boolean")),
        }
    }
}

macro_rules! unsigned_from_json {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(node: &Node) -> Result<Self, Error> {
                node.whole()
            }
        }
    )*};
}
unsigned_from_json!(u8, u16, u32, u64, usize);

impl FromJson for i64 {
    fn from_json(node: &Node) -> Result<Self, Error> {
        match &node.value {
            Value::Number(n) if is_integer(n) => n
                .parse()
                .map_err(|_| node.error(format!("`{n}` is out of range"))),
            _ => Err(node.invalid_type("an integer")),
        }
    }
}

impl FromJson for f64 {
    /// Exactly (correctly rounded, as `str::parse`); a number too large for an `f64` is refused
    /// rather than read as infinity.
    fn from_json(node: &Node) -> Result<Self, Error> {
        match &node.value {
            Value::Number(n) => match n.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(node.error("number out of range")),
            },
            _ => Err(node.invalid_type("a number")),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(node: &Node) -> Result<Self, Error> {
        node.array("a sequence")?.iter().map(T::from_json).collect()
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(node: &Node) -> Result<Self, Error> {
        match node.value {
            Value::Null => Ok(None),
            _ => T::from_json(node).map(Some),
        }
    }
}

impl FromJson for serde_json::Value {
    /// Numbers convert exactly: integers as integers, others by [`f64`]'s exact reading.
    fn from_json(node: &Node) -> Result<Self, Error> {
        Ok(match &node.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => {
                let number = if let Ok(u) = n.parse::<u64>() {
                    serde_json::Number::from(u)
                } else if let Ok(i) = n.parse::<i64>() {
                    serde_json::Number::from(i)
                } else {
                    serde_json::Number::from_f64(f64::from_json(node)?)
                        .ok_or_else(|| node.error("number out of range"))?
                };
                serde_json::Value::Number(number)
            }
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Array(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(serde_json::Value::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(members) => {
                let mut map = serde_json::Map::new();
                for m in members {
                    map.insert(m.key.clone(), serde_json::Value::from_json(&m.value)?);
                }
                serde_json::Value::Object(map)
            }
        })
    }
}

/// The bridge from serde: a value any serde deserializer gives becomes a [`Node`] (with no
/// position, which the deserializer adds to errors itself), a key written twice in one map being
/// refused as in [`parse`].
impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::detached(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::detached(Value::Null))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                <Node as serde::Deserialize>::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
                Ok(Node::detached(Value::Bool(b)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::detached(Value::Number(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::detached(Value::Number(v.to_string())))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Node, E> {
                if !v.is_finite() {
                    return Err(E::custom("number out of range"));
                }
                // `{:e}` is the shortest text that reads back to `v`, and always has an
                // exponent, so it stays a floating-point number.
                Ok(Node::detached(Value::Number(crate::float::exponential(v))))
            }
            fn visit_str<E>(self, s: &str) -> Result<Node, E> {
                Ok(Node::detached(Value::String(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Node, E> {
                Ok(Node::detached(Value::String(s)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(n) = a.next_element::<Node>()? {
                    items.push(n);
                }
                Ok(Node::detached(Value::Array(items)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut members: Vec<Member> = Vec::new();
                let mut seen = std::collections::BTreeSet::new();
                while let Some(key) = a.next_key::<String>()? {
                    if !seen.insert(key.clone()) {
                        return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
                    }
                    let value = a.next_value::<Node>()?;
                    members.push(Member {
                        key,
                        key_line: 0,
                        key_column: 0,
                        value,
                    });
                }
                Ok(Node::detached(Value::Object(members)))
            }
        }
        d.deserialize_any(V)
    }
}

/// Implements `serde::Deserialize` for types that implement [`FromJson`], through the reader:
/// one implementation of each document's rules however it is read.
#[macro_export]
macro_rules! deserialize_by_reader {
    ($($t:ty),* $(,)?) => {$(
        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let node = <$crate::json::Node as ::serde::Deserialize>::deserialize(d)?;
                <$t as $crate::json::FromJson>::from_json(&node)
                    .map_err(|e| <D::Error as ::serde::de::Error>::custom(e.message()))
            }
        }
    )*};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn reads_every_kind_of_value_with_positions() {
        let n = parse(b"{\"a\": [1, -2.5e3, true, null],\n \"b\": \"x\\u00e9\\ud83d\\ude00\"}")
            .unwrap();
        let o = n.object("a test object", &["a", "b"]).unwrap();
        let a = o.node_of("a").unwrap().array("a list").unwrap();
        assert_eq!(a[0].value, Value::Number("1".into()));
        assert_eq!(f64::from_json(&a[1]).unwrap(), -2500.0);
        assert_eq!(a[2].value, Value::Bool(true));
        assert_eq!(a[3].value, Value::Null);
        assert_eq!(o.required::<String>("b").unwrap(), "x\u{e9}\u{1F600}");
        let b = o.node_of("b").unwrap();
        assert_eq!((b.line, b.column), (2, 7));
    }

    #[test]
    fn refuses_what_rfc_8259_does_not_allow() {
        for (text, want) in [
            ("", "EOF while parsing a value at line 1 column 1"),
            ("{\"a\":1,}", "trailing comma at line 1 column 8"),
            ("[1,]", "trailing comma at line 1 column 4"),
            ("01", "invalid number: a leading zero at line 1 column 2"),
            ("1.", "EOF while parsing a number at line 1 column 3"),
            ("1.e3", "invalid number at line 1 column 3"),
            ("-", "EOF while parsing a number at line 1 column 2"),
            ("+1", "expected value at line 1 column 1"),
            ("NaN", "expected value at line 1 column 1"),
            ("1 2", "trailing characters at line 1 column 3"),
            ("// c\n1", "expected value at line 1 column 1"),
            ("\"a\u{1}\"", "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3"),
            ("\"\\ud800\"", "lone leading surrogate in hex escape at line 1 column 8"),
            ("\"\\udc00\"", "lone trailing surrogate in hex escape at line 1 column 8"),
            ("\"\\x\"", "invalid escape at line 1 column 3"),
            ("{1:2}", "key must be a string at line 1 column 2"),
            ("{\"a\" 1}", "expected `:` at line 1 column 6"),
            ("[1 2]", "expected `,` or `]` at line 1 column 4"),
            ("tru", "EOF while parsing a value at line 1 column 4"),
            ("\"abc", "EOF while parsing a string at line 1 column 5"),
        ] {
            assert_eq!(err(text), want, "{text:?}");
        }
        assert_eq!(
            parse(b"\"\xff\"").unwrap_err().to_string(),
            "invalid UTF-8 at line 1 column 2"
        );
    }

    #[test]
    fn a_key_written_twice_is_refused_at_any_depth_and_size() {
        assert_eq!(
            err("{\"a\": {\"b\": 1,\n \"b\": 2}}"),
            "duplicate field `b` at line 2 column 2"
        );
        // Past the linear search's 16 keys, the set takes over.
        let mut many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        assert!(parse(format!("{{{}}}", many.join(",")).as_bytes()).is_ok());
        many.push("\"k3\": 0".into());
        assert!(err(&format!("{{{}}}", many.join(","))).starts_with("duplicate field `k3`"));
        many.pop();
        many.push("\"k39\": 0".into());
        assert!(err(&format!("{{{}}}", many.join(","))).starts_with("duplicate field `k39`"));
    }

    #[test]
    fn the_number_of_values_is_limited() {
        let at_limit = format!("[{}0]", "0,".repeat(MAX_VALUES - 2));
        assert!(parse(at_limit.as_bytes()).is_ok());
        let over = format!("[{}0]", "0,".repeat(MAX_VALUES - 1));
        assert!(err(&over).starts_with("the document holds more than 4194304 values"));
    }

    #[test]
    fn nesting_is_limited() {
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(deep.as_bytes()).is_ok());
        let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(err(&deeper).starts_with("recursion limit exceeded"));
    }

    #[test]
    fn objects_name_unknown_and_missing_fields() {
        let n = parse(b"{\"a\": 1, \"zz\": 2}").unwrap();
        assert_eq!(
            n.object("x", &["a", "b", "c"]).err().unwrap().to_string(),
            "unknown field `zz`, expected one of `a`, `b`, `c` at line 1 column 10"
        );
        assert_eq!(
            n.object("x", &["a"]).err().unwrap().message(),
            "unknown field `zz`, expected `a`"
        );
        let n = parse(b"{\"a\": 1}").unwrap();
        let o = n.object("x", &["a", "b"]).unwrap();
        assert_eq!(
            o.required::<u32>("b").unwrap_err().to_string(),
            "missing field `b` at line 1 column 1"
        );
        assert_eq!(o.optional::<u32>("b").unwrap(), None);
        assert_eq!(
            parse(b"[]")
                .unwrap()
                .object("a thing", &[])
                .err()
                .unwrap()
                .message(),
            "invalid type: sequence, expected a thing"
        );
    }

    #[test]
    fn whole_numbers_and_floats_read_exactly() {
        let whole = |t: &str| parse(t.as_bytes()).unwrap().whole::<u32>();
        assert_eq!(whole("4294967295").unwrap(), u32::MAX);
        assert_eq!(
            whole("4294967296").unwrap_err().message(),
            "`4294967296` is too large"
        );
        assert_eq!(
            whole("-1").unwrap_err().message(),
            "`-1` is negative: expected a whole number"
        );
        assert_eq!(
            whole("3.0").unwrap_err().message(),
            "invalid type: floating point `3.0`, expected a whole number"
        );
        assert_eq!(
            whole("\"3\"").unwrap_err().message(),
            "invalid type: string \"3\", expected a whole number"
        );
        let float = |t: &str| f64::from_json(&parse(t.as_bytes()).unwrap());
        // The halfway case between two doubles that a fast, inexact reader gets wrong.
        assert_eq!(
            float("2.2250738585072011e-308").unwrap(),
            "2.2250738585072011e-308".parse::<f64>().unwrap()
        );
        assert_eq!(float("0.1").unwrap(), 0.1);
        assert_eq!(float("1e400").unwrap_err().message(), "number out of range");
    }

    #[test]
    fn agrees_with_serde_json_on_values_it_accepts() {
        let text = r#"{"a":[1,-7,18446744073709551615,-9223372036854775808,0.1,1e-7,2.5E+10],
            "b":{"c":"\u00e9\n\"","d":null,"e":false}}"#;
        let ours = serde_json::Value::from_json(&parse(text.as_bytes()).unwrap()).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn the_serde_bridge_refuses_duplicate_keys_and_keeps_floats_floats() {
        let n: Node = serde_json::from_str("{\"a\": [1, 2.0, -3]}").unwrap();
        let a = n.members("m").unwrap()[0].value.array("l").unwrap();
        assert_eq!(a[1].unexpected(), "floating point `2e0`");
        assert_eq!(a[0].whole::<u8>().unwrap(), 1);
        let e = serde_json::from_str::<Node>("{\"a\": 1, \"a\": 2}").unwrap_err();
        assert!(e.to_string().starts_with("duplicate field `a`"), "{e}");
    }
}
