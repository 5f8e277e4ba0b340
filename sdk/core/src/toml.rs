//! The one TOML reader of govproof's policies (and of the model descriptions a policy check
//! reads): TOML 1.0, plus what TOML 1.1 adds and the `toml` crate accepts (inline tables over
//! several lines with a trailing comma, `\e` and `\xHH` escapes, times without seconds).
//!
//! A document is parsed into a tree of [`Table`]s whose keys keep **document order** and every
//! key and value keeps **the byte range of its text**, which is what the policy diagnostics point
//! at. Nothing of the formatting is kept: a table written `[x]` and one written `x = {..}` read
//! the same, as do `[[x]]` and `x = [{..}, {..}]` (an array written as headers says so, see
//! [`Array::headers`]).
//!
//! Every rule of the specification that makes a document invalid is an [`Error`] with the span of
//! the offending text: a key written twice, a table defined twice (by headers, dotted keys or
//! both), an inline table or a static array extended afterwards, integers beyond `i64`, dates
//! that do not exist, control characters, a lone carriage return. Nesting is limited to
//! [`MAX_DEPTH`] levels, so no document can exhaust the stack.
//!
//! Why not the `toml` crate, which read policies before: it and its map types were about 58 KB of
//! the browser verifier, a tenth of it, for one reader (`docs/browser.md`). The crate stays the
//! oracle of this reader's tests (`tests/toml_reader.rs`).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

/// What may follow a value: whitespace, a comment, a newline, or its container's punctuation.
const VALUE_END: [char; 8] = [' ', '\t', '#', '\n', '\r', ',', ']', '}'];

/// How deeply arrays and inline tables may nest.
pub const MAX_DEPTH: usize = 128;

/// Why a document is not valid TOML, and the byte range of the text at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What is wrong, starting lowercase, without the position.
    pub message: String,
    /// Where, in bytes of the text.
    pub span: Range<usize>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// A key of a table and where it is written (quotes included).
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key, escapes resolved.
    pub name: String,
    /// Its text.
    pub span: Range<usize>,
}

/// A value and where it is written.
///
/// The span is the value's text (a string's quotes, an array's brackets, an inline table's
/// braces); for a table defined by a header, the header (`[x]`); for a table only implied (by
/// `[x.y]` or a dotted key `x.y = 1`), the key that first implied it; for an array written as
/// `[[x]]` headers, its first header.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The value.
    pub value: Value,
    /// Where it is written.
    pub span: Range<usize>,
}

/// A TOML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string, escapes resolved.
    String(String),
    /// An integer: its value, or `None` when it is beyond `i64` (an error in TOML, left to the
    /// reader so that it can say what the number means), with its text.
    Integer(Option<i64>, String),
    /// A float and its text (so that `inf` written out can be told from `1e400`).
    Float(f64, String),
    /// `true` or `false`.
    Boolean(bool),
    /// An offset or local date-time, date or time.
    Datetime(Datetime),
    /// An array.
    Array(Array),
    /// A table.
    Table(Table),
}

impl Value {
    /// What the value is, for messages (`a string`, `an array`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(..) => "an integer",
            Value::Float(..) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(a) if a.headers => "an array of tables",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The table, if this is one.
    pub fn as_table(&self) -> Option<&Table> {
        match self {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&Array> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// An array: its elements, and whether it was written as `[[x]]` headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// The elements, each with its span (for `[[x]]`, each element's header).
    pub items: Vec<Item>,
    /// Whether the array was written as `[[x]]` headers (an array of tables) rather than after
    /// `=`.
    pub headers: bool,
}

/// A table: its entries in document order.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    entries: Vec<(Key, Item)>,
    /// Each key's position in `entries`, so that a table of many keys is read in `n log n`.
    index: BTreeMap<String, usize>,
    origin: Origin,
}

/// How a table came to be, which decides what may still be added to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Implied by a header of a table below it (`a` of `[a.b]`): a header may still define it.
    Implied,
    /// Defined by a header (`[a]`) or as an element of `[[a]]`.
    Header,
    /// Defined by dotted keys (`a.b = 1` defines `a`): headers may add tables below it only.
    Dotted,
    /// Written inline (`{..}`), or within one: complete as written.
    Inline,
}

impl Table {
    fn new(origin: Origin) -> Self {
        Table {
            entries: Vec::new(),
            index: BTreeMap::new(),
            origin,
        }
    }

    /// The entries, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Item)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry for `key`.
    pub fn get_key_value(&self, key: &str) -> Option<(&Key, &Item)> {
        let (k, v) = &self.entries[self.position(key)?];
        Some((k, v))
    }

    /// The value at `key`.
    pub fn get(&self, key: &str) -> Option<&Item> {
        self.get_key_value(key).map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get_key_value(key).is_some()
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Moves entry `i` after the others; returns its new position.
    fn move_to_end(&mut self, i: usize) -> usize {
        let entry = self.entries.remove(i);
        self.entries.push(entry);
        for (j, (k, _)) in self.entries.iter().enumerate().skip(i) {
            self.index.insert(k.name.clone(), j);
        }
        self.entries.len() - 1
    }

    /// Appends an entry whose key is not in the table yet; returns its position.
    fn push(&mut self, key: Key, item: Item) -> usize {
        let i = self.entries.len();
        self.index.insert(key.name.clone(), i);
        self.entries.push((key, item));
        i
    }

    /// Marks this table and every table within it complete (an inline table's).
    fn freeze(&mut self) {
        self.origin = Origin::Inline;
        for (_, item) in &mut self.entries {
            freeze(&mut item.value);
        }
    }
}

fn freeze(v: &mut Value) {
    match v {
        Value::Table(t) => t.freeze(),
        Value::Array(a) => a.items.iter_mut().for_each(|i| freeze(&mut i.value)),
        _ => {}
    }
}

/// A date-time as written: a date, a time, or both; an offset only with both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datetime {
    /// Year, month and day.
    pub date: Option<Date>,
    /// Hour, minute, second and nanoseconds.
    pub time: Option<Time>,
    /// The offset from UTC in minutes (`Z` is 0).
    pub offset: Option<i16>,
}

/// A calendar date (checked to exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// 0 to 9999.
    pub year: u16,
    /// 1 to 12.
    pub month: u8,
    /// 1 to the month's length.
    pub day: u8,
}

/// A time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// 0 to 23.
    pub hour: u8,
    /// 0 to 59.
    pub minute: u8,
    /// 0 to 60 (a leap second), 0 when not written.
    pub second: u8,
    /// The fraction of a second, in nanoseconds (digits beyond the ninth are dropped).
    pub nanosecond: u32,
}

impl fmt::Display for Datetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = self.date {
            write!(f, "{:04}-{:02}-{:02}", d.year, d.month, d.day)?;
            if self.time.is_some() {
                f.write_str("T")?;
            }
        }
        if let Some(t) = self.time {
            write!(f, "{:02}:{:02}:{:02}", t.hour, t.minute, t.second)?;
            if t.nanosecond != 0 {
                let frac = format!("{:09}", t.nanosecond);
                write!(f, ".{}", frac.trim_end_matches('0'))?;
            }
        }
        match self.offset {
            Some(0) => f.write_str("Z"),
            Some(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                let m = m.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", m / 60, m % 60)
            }
            None => Ok(()),
        }
    }
}

/// A parsed document: its root table.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The top-level table.
    pub root: Table,
}

/// Parses `text` as a TOML document.
pub fn parse(text: &str) -> Result<Document, Error> {
    let mut p = Parser {
        text,
        s: text.as_bytes(),
        pos: 0,
    };
    // A byte order mark is not part of the document.
    if text.starts_with('\u{feff}') {
        p.pos = 3;
    }
    let mut root = Table::new(Origin::Header);
    // The table key-values go into: a path of entry indices from the root (an array of tables
    // stands for its last element).
    let mut current: Vec<usize> = Vec::new();
    loop {
        p.skip_blank_lines()?;
        match p.peek() {
            None => break,
            Some(b'[') => {
                let start = p.pos;
                let array = p.s.get(p.pos + 1) == Some(&b'[');
                p.pos += if array { 2 } else { 1 };
                p.skip_ws();
                let keys = p.key_path()?;
                p.skip_ws();
                let close: &[u8] = if array { b"]]" } else { b"]" };
                if !p.s[p.pos..].starts_with(close) {
                    let what = if array { "`]]`" } else { "`]`" };
                    return Err(p.expected(what, "to close the table header"));
                }
                p.pos += close.len();
                let header = start..p.pos;
                p.end_of_line()?;
                current = define_header(&mut root, &keys, header, array)?;
            }
            Some(_) => {
                let table = table_at(&mut root, &current);
                p.key_value(table, 0)?;
                p.end_of_line()?;
            }
        }
    }
    Ok(Document { root })
}

/// The table a path of entry indices leads to.
fn table_at<'r>(root: &'r mut Table, path: &[usize]) -> &'r mut Table {
    let mut t = root;
    for &i in path {
        t = child_mut(&mut t.entries[i].1.value);
    }
    t
}

/// A table, or an array of tables' last element: what a key path passes through.
fn child_mut(v: &mut Value) -> &mut Table {
    match v {
        Value::Table(t) => t,
        Value::Array(a) => match a.items.last_mut().map(|i| &mut i.value) {
            Some(Value::Table(t)) => t,
            _ => unreachable!("a path only passes arrays of tables"),
        },
        _ => unreachable!("a path only passes tables"),
    }
}

fn already(key: &Key, what: &str) -> Error {
    Error {
        message: format!("`{}` is already defined {what}", key.name),
        span: key.span.clone(),
    }
}

/// Defines the table (or the next element of the array of tables) a header names, and returns
/// the path to it.
fn define_header(
    root: &mut Table,
    keys: &[Key],
    header: Range<usize>,
    array: bool,
) -> Result<Vec<usize>, Error> {
    let (last, parents) = keys.split_last().expect("a key path has a key");
    let mut path = Vec::new();
    let mut t = root;
    for key in parents {
        let i = match t.position(&key.name) {
            Some(i) => i,
            None => t.push(
                key.clone(),
                Item {
                    value: Value::Table(Table::new(Origin::Implied)),
                    span: key.span.clone(),
                },
            ),
        };
        path.push(i);
        // Headers pass any table not written inline, and an array of tables' last element.
        match &t.entries[i].1.value {
            Value::Table(sub) if sub.origin == Origin::Inline => {
                return Err(already(key, "as an inline table, complete as written"))
            }
            Value::Table(_) => {}
            Value::Array(a) if a.headers => {}
            other => return Err(already(key, &format!("as {}", other.kind()))),
        }
        t = child_mut(&mut t.entries[i].1.value);
    }
    let element = || Item {
        value: Value::Table(Table::new(Origin::Header)),
        span: header.clone(),
    };
    match t.position(&last.name) {
        None => {
            let value = if array {
                Value::Array(Array {
                    items: vec![element()],
                    headers: true,
                })
            } else {
                Value::Table(Table::new(Origin::Header))
            };
            let i = t.push(
                last.clone(),
                Item {
                    value,
                    span: header.clone(),
                },
            );
            path.push(i);
        }
        Some(i) => {
            let (key, item) = &mut t.entries[i];
            match (&mut item.value, array) {
                (Value::Array(a), true) if a.headers => a.items.push(element()),
                (Value::Table(sub), false) if sub.origin == Origin::Implied => {
                    // Defined now: the header is where it is written, and its place in document
                    // order (as the `toml` crate has it).
                    sub.origin = Origin::Header;
                    item.span = header.clone();
                    key.span = last.span.clone();
                    path.push(t.move_to_end(i));
                    return Ok(path);
                }
                (Value::Table(sub), _) => {
                    let how = match sub.origin {
                        Origin::Inline => "as an inline table, complete as written",
                        Origin::Dotted => "by dotted keys",
                        _ => "by a header",
                    };
                    return Err(Error {
                        message: format!("table `{}` is already defined {how}", dotted(keys)),
                        span: header,
                    });
                }
                (other, _) => {
                    let message =
                        format!("`{}` is already defined as {}", dotted(keys), other.kind());
                    return Err(Error {
                        message,
                        span: header,
                    });
                }
            }
            path.push(i);
        }
    }
    Ok(path)
}

/// A key path as it would be written (quoting left out).
fn dotted(keys: &[Key]) -> String {
    keys.iter()
        .map(|k| k.name.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

struct Parser<'t> {
    text: &'t str,
    s: &'t [u8],
    pos: usize,
}

fn is_bare(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn err(&self, span: Range<usize>, message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            span,
        }
    }

    /// An error at the current position: `expected X WHY, found Y`.
    fn expected(&self, what: &str, why: &str) -> Error {
        let found = match self.text[self.pos..].chars().next() {
            None => "the end of the file".to_string(),
            Some('\n') | Some('\r') => "the end of the line".to_string(),
            Some(c) if c.is_control() => format!("U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
        };
        // The end of a line is pointed at, not spanned (a span over the newline would reach into
        // the next line).
        let end = match self.text[self.pos..].chars().next() {
            Some('\n' | '\r') | None => self.pos,
            Some(c) => self.pos + c.len_utf8(),
        };
        let why = if why.is_empty() {
            String::new()
        } else {
            format!(" {why}")
        };
        self.err(
            self.pos..end,
            format!("expected {what}{why}, found {found}"),
        )
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Skips a comment, if one starts here (control characters other than tab are refused in it).
    fn skip_comment(&mut self) -> Result<(), Error> {
        if self.peek() != Some(b'#') {
            return Ok(());
        }
        while let Some(c) = self.peek() {
            match c {
                b'\n' => break,
                b'\r' if self.s.get(self.pos + 1) == Some(&b'\n') => break,
                b'\t' => {}
                c if c < 0x20 || c == 0x7f => {
                    return Err(self.err(
                        self.pos..self.pos + 1,
                        format!("control character U+{c:04X} in a comment"),
                    ))
                }
                _ => {}
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// Consumes a newline (`\n` or `\r\n`) if one is here.
    fn newline(&mut self) -> Result<bool, Error> {
        match self.peek() {
            Some(b'\n') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b'\r') if self.s.get(self.pos + 1) == Some(&b'\n') => {
                self.pos += 2;
                Ok(true)
            }
            Some(b'\r') => Err(self.err(
                self.pos..self.pos + 1,
                "a carriage return must be followed by a line feed",
            )),
            _ => Ok(false),
        }
    }

    /// Skips whitespace, comments and newlines (between lines, and inside arrays and inline
    /// tables).
    fn skip_blank_lines(&mut self) -> Result<(), Error> {
        loop {
            self.skip_ws();
            self.skip_comment()?;
            if !self.newline()? {
                return Ok(());
            }
        }
    }

    /// Skips whitespace, and newlines and comments too when `lines`.
    fn skip_space(&mut self, lines: bool) -> Result<(), Error> {
        if lines {
            self.skip_blank_lines()
        } else {
            self.skip_ws();
            Ok(())
        }
    }

    /// After a key-value or header: whitespace, a comment, then a newline or the end.
    fn end_of_line(&mut self) -> Result<(), Error> {
        self.skip_ws();
        self.skip_comment()?;
        if self.pos == self.s.len() || self.newline()? {
            Ok(())
        } else {
            Err(self.expected("a new line", "after a value"))
        }
    }

    /// A dotted key path: `a`, `a.b`, `"a b".'c'`, with whitespace around the dots.
    fn key_path(&mut self) -> Result<Vec<Key>, Error> {
        let mut keys = vec![self.key()?];
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.peek() == Some(b'.') {
                self.pos += 1;
                self.skip_ws();
                keys.push(self.key()?);
            } else {
                self.pos = save;
                return Ok(keys);
            }
        }
    }

    /// One key: bare, basic-quoted or literal-quoted (not multi-line).
    fn key(&mut self) -> Result<Key, Error> {
        let start = self.pos;
        let name = match self.peek() {
            Some(q @ (b'"' | b'\'')) => {
                if self.s[self.pos..].starts_with(&[q; 3]) {
                    return Err(self.err(start..start + 3, "a key cannot be a multi-line string"));
                }
                self.string(q, false)?
            }
            Some(c) if is_bare(c) => {
                while self.peek().is_some_and(is_bare) {
                    self.pos += 1;
                }
                self.text[start..self.pos].to_string()
            }
            _ => return Err(self.expected("a key", "")),
        };
        Ok(Key {
            name,
            span: start..self.pos,
        })
    }

    /// `key = value` into `table`.
    ///
    /// Within an inline table (`depth` above 0), newlines and comments may stand around the `=`
    /// too, as the `toml` crate, which read policies before this reader, allows.
    fn key_value(&mut self, table: &mut Table, depth: usize) -> Result<(), Error> {
        let keys = self.key_path()?;
        self.skip_space(depth > 0)?;
        if self.peek() != Some(b'=') {
            return Err(self.expected("`=`", "after a key"));
        }
        self.pos += 1;
        self.skip_space(depth > 0)?;
        let item = self.value(depth)?;
        insert_dotted(table, keys, item)
    }

    /// A value.
    fn value(&mut self, depth: usize) -> Result<Item, Error> {
        if depth >= MAX_DEPTH {
            return Err(self.err(
                self.pos..self.pos + 1,
                format!("arrays and inline tables nest more than {MAX_DEPTH} levels deep"),
            ));
        }
        let start = self.pos;
        let value = match self.peek() {
            Some(q @ (b'"' | b'\'')) => {
                let multiline = self.s[self.pos..].starts_with(&[q; 3]);
                Value::String(self.string(q, multiline)?)
            }
            Some(b'[') => Value::Array(self.array(depth)?),
            Some(b'{') => Value::Table(self.inline_table(depth)?),
            Some(b't') if self.s[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Value::Boolean(true)
            }
            Some(b'f') if self.s[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Value::Boolean(false)
            }
            Some(c) if c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'i' | b'n') => {
                self.number_or_datetime()?
            }
            _ => return Err(self.expected("a value", "")),
        };
        let span = start..self.pos;
        // A value ends at whitespace, a comment, a newline, or the punctuation of its container.
        if !matches!(
            self.peek(),
            None | Some(b' ' | b'\t' | b'#' | b'\n' | b'\r' | b',' | b']' | b'}')
        ) {
            let end = self.text[self.pos..]
                .find(VALUE_END)
                .map_or(self.s.len(), |i| self.pos + i);
            return Err(self.err(
                start..end,
                format!("invalid value `{}`", &self.text[start..end]),
            ));
        }
        Ok(Item { value, span })
    }

    fn array(&mut self, depth: usize) -> Result<Array, Error> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_blank_lines()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                break;
            }
            items.push(self.value(depth + 1)?);
            self.skip_blank_lines()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.expected("`,` or `]`", "in an array")),
            }
        }
        Ok(Array {
            items,
            headers: false,
        })
    }

    fn inline_table(&mut self, depth: usize) -> Result<Table, Error> {
        self.pos += 1;
        let mut t = Table::new(Origin::Dotted);
        loop {
            self.skip_blank_lines()?;
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            self.key_value(&mut t, depth + 1)?;
            self.skip_blank_lines()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.expected("`,` or `}`", "in an inline table")),
            }
        }
        t.freeze();
        Ok(t)
    }

    /// A character of a string that is not an escape: control characters other than tab are
    /// refused (newlines too, unless `multiline`).
    fn plain_char(&mut self, out: &mut String, multiline: bool) -> Result<(), Error> {
        let c = self.text[self.pos..]
            .chars()
            .next()
            .expect("not at the end");
        if multiline && (c == '\n' || (c == '\r' && self.s.get(self.pos + 1) == Some(&b'\n'))) {
            // Kept as written (`\r\n` stays `\r\n`), as the `toml` crate keeps it.
            let n = if c == '\r' { 2 } else { 1 };
            out.push_str(&self.text[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(());
        }
        if (c < ' ' && c != '\t') || c == '\u{7f}' {
            return Err(self.err(
                self.pos..self.pos + 1,
                format!("control character U+{:04X} in a string", c as u32),
            ));
        }
        out.push(c);
        self.pos += c.len_utf8();
        Ok(())
    }

    /// A string, at its opening quote: basic (`"`, with escapes) or literal (`'`), on one line,
    /// or multi-line when `multiline` (three quotes).
    fn string(&mut self, quote: u8, multiline: bool) -> Result<String, Error> {
        let open = self.pos;
        let q = char::from(quote);
        let close = format!("`{q}`");
        self.pos += if multiline { 3 } else { 1 };
        if multiline {
            // A newline straight after the opening quotes is not part of the string.
            self.newline()?;
        }
        let mut out = String::new();
        loop {
            match self.peek() {
                None if multiline => {
                    return Err(self.err(open..open + 3, "this multi-line string is never closed"))
                }
                None => return Err(self.expected(&close, "to close the string")),
                Some(b'\n' | b'\r') if !multiline => {
                    return Err(self.expected(&close, "to close the string"))
                }
                Some(c) if c == quote && !multiline => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(c) if c == quote && self.s[self.pos..].starts_with(&[quote; 3]) => {
                    // Up to two more quotes belong to the string: `""""a"""""` is `"a""`.
                    let mut n = 3;
                    while self.s.get(self.pos + n) == Some(&quote) && n < 5 {
                        n += 1;
                    }
                    out.extend(std::iter::repeat_n(q, n - 3));
                    self.pos += n;
                    return Ok(out);
                }
                Some(b'\\') if quote == b'"' => {
                    if !(multiline && self.line_ending_backslash()?) {
                        self.escape(&mut out)?;
                    }
                }
                Some(_) => self.plain_char(&mut out, multiline)?,
            }
        }
    }

    /// In a multi-line basic string, a backslash at the end of a line trims the newline and the
    /// whitespace after it: skips them and says so, or says no and moves nothing.
    fn line_ending_backslash(&mut self) -> Result<bool, Error> {
        let mut j = self.pos + 1;
        while matches!(self.s.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        if !(matches!(self.s.get(j), Some(b'\n')) || self.s[j..].starts_with(b"\r\n")) {
            return Ok(false);
        }
        self.pos = j;
        loop {
            self.skip_ws();
            if !self.newline()? {
                return Ok(true);
            }
        }
    }

    /// An escape sequence of a basic string, at its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        let start = self.pos;
        let c = self.s.get(self.pos + 1).copied();
        self.pos += 2;
        let simple = match c {
            Some(b'b') => Some('\u{8}'),
            Some(b't') => Some('\t'),
            Some(b'n') => Some('\n'),
            Some(b'f') => Some('\u{c}'),
            Some(b'r') => Some('\r'),
            Some(b'e') => Some('\u{1b}'),
            Some(b'"') => Some('"'),
            Some(b'\\') => Some('\\'),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            return Ok(());
        }
        let digits = match c {
            Some(b'x') => 2,
            Some(b'u') => 4,
            Some(b'U') => 8,
            _ => {
                let end = start
                    + 1
                    + self.text[start + 1..]
                        .chars()
                        .next()
                        .map_or(0, char::len_utf8);
                self.pos = start;
                return Err(self.err(
                    start..end,
                    format!("unknown escape `{}`", &self.text[start..end]),
                ));
            }
        };
        let hex = self
            .s
            .get(self.pos..self.pos + digits)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        let Some(hex) = hex else {
            return Err(self.err(
                start..(self.pos + digits).min(self.s.len()),
                format!(
                    "an escape `{}` needs {digits} hexadecimal digits",
                    &self.text[start..start + 2]
                ),
            ));
        };
        let code = hex
            .iter()
            .fold(0u32, |a, &h| a * 16 + (h as char).to_digit(16).unwrap_or(0));
        self.pos += digits;
        match char::from_u32(code) {
            Some(ch) => {
                out.push(ch);
                Ok(())
            }
            None => Err(self.err(
                start..self.pos,
                format!(
                    "`{}` is not a Unicode scalar value",
                    &self.text[start..self.pos]
                ),
            )),
        }
    }

    /// A number, or a date-time (which starts with four digits and `-`, or two and `:`).
    fn number_or_datetime(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        let s = &self.s[start..];
        let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
        if (digits == 4 && s.get(4) == Some(&b'-')) || (digits == 2 && s.get(2) == Some(&b':')) {
            return self.datetime().map(Value::Datetime);
        }
        // The number's text: everything up to where a value ends.
        let end = self.text[start..]
            .find(VALUE_END)
            .map_or(self.s.len(), |i| start + i);
        let text = &self.text[start..end];
        self.pos = end;
        let invalid = || Error {
            message: format!("invalid number `{text}`"),
            span: start..end,
        };
        let (sign, body) = match text.as_bytes().first() {
            Some(b'+') => ("", &text[1..]),
            Some(b'-') => ("-", &text[1..]),
            _ => ("", text),
        };
        if matches!(body, "inf" | "nan") {
            let v = if body == "inf" {
                f64::INFINITY
            } else {
                f64::NAN
            };
            let v = if sign == "-" { -v } else { v };
            return Ok(Value::Float(v, text.to_string()));
        }
        // Hexadecimal, octal and binary: no sign.
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(rest) = text.strip_prefix(prefix) {
                if !underscored(rest, |c| c.is_digit(radix)) {
                    return Err(invalid());
                }
                let clean: String = rest.chars().filter(|&c| c != '_').collect();
                let value = i64::from_str_radix(&clean, radix).ok();
                return Ok(Value::Integer(value, text.to_string()));
            }
        }
        // Decimal: an integer part without leading zeros, then a fraction and an exponent.
        let b = body.as_bytes();
        let int_len = b
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'_')
            .count();
        let int = &body[..int_len];
        if !underscored(int, |c| c.is_ascii_digit()) || (int.len() > 1 && int.starts_with('0')) {
            return Err(invalid());
        }
        let mut rest = &body[int_len..];
        let mut float = false;
        if let Some(r) = rest.strip_prefix('.') {
            let n = r
                .bytes()
                .take_while(|c| c.is_ascii_digit() || *c == b'_')
                .count();
            if !underscored(&r[..n], |c| c.is_ascii_digit()) {
                return Err(invalid());
            }
            rest = &r[n..];
            float = true;
        }
        if let Some(r) = rest.strip_prefix(['e', 'E']) {
            let r = r.strip_prefix(['+', '-']).unwrap_or(r);
            if !underscored(r, |c| c.is_ascii_digit()) {
                return Err(invalid());
            }
            rest = "";
            float = true;
        }
        if !rest.is_empty() {
            return Err(invalid());
        }
        let clean: String = text.chars().filter(|&c| c != '_').collect();
        if float {
            let v: f64 = clean.parse().map_err(|_| invalid())?;
            Ok(Value::Float(v, text.to_string()))
        } else {
            Ok(Value::Integer(clean.parse().ok(), text.to_string()))
        }
    }

    /// `n` decimal digits.
    fn digits(&mut self, n: usize, what: &str) -> Result<u32, Error> {
        let d = self.s.get(self.pos..self.pos + n);
        match d.filter(|d| d.iter().all(u8::is_ascii_digit)) {
            Some(d) => {
                self.pos += n;
                Ok(d.iter().fold(0, |a, &c| a * 10 + u32::from(c - b'0')))
            }
            None => Err(self.expected(&format!("{n} digits of the {what}"), "")),
        }
    }

    fn datetime(&mut self) -> Result<Datetime, Error> {
        let start = self.pos;
        let mut dt = Datetime {
            date: None,
            time: None,
            offset: None,
        };
        if self.s.get(self.pos + 4) == Some(&b'-') {
            let year = self.digits(4, "year")?;
            self.pos += 1;
            let month = self.digits(2, "month")?;
            if self.peek() != Some(b'-') {
                return Err(self.expected("`-`", "in a date"));
            }
            self.pos += 1;
            let day = self.digits(2, "day")?;
            let days = crate::registry::time::month_days(i64::from(year), month);
            if day == 0 || day > days {
                return Err(self.err(
                    start..self.pos,
                    format!("`{}` is not a date", &self.text[start..self.pos]),
                ));
            }
            dt.date = Some(Date {
                year: year as u16,
                month: month as u8,
                day: day as u8,
            });
            // A time follows after `T`, `t` or a space (then only if a time is really there).
            let time_follows = match self.peek() {
                Some(b'T' | b't') => true,
                Some(b' ') => {
                    let s = &self.s[self.pos + 1..];
                    s.len() >= 3 && s[..2].iter().all(u8::is_ascii_digit) && s[2] == b':'
                }
                _ => false,
            };
            if !time_follows {
                return Ok(dt);
            }
            self.pos += 1;
        }
        let t0 = self.pos;
        let hour = self.digits(2, "hour")?;
        if self.peek() != Some(b':') {
            return Err(self.expected("`:`", "in a time"));
        }
        self.pos += 1;
        let minute = self.digits(2, "minute")?;
        let mut second = 0;
        let mut nanosecond = 0;
        if self.peek() == Some(b':') {
            self.pos += 1;
            second = self.digits(2, "second")?;
            if self.peek() == Some(b'.') {
                self.pos += 1;
                let n = self.s[self.pos..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if n == 0 {
                    return Err(self.expected("digits", "of a fraction of a second"));
                }
                let frac = &self.s[self.pos..self.pos + n];
                nanosecond = (0..9).fold(0u32, |a, i| {
                    a * 10 + frac.get(i).map_or(0, |c| u32::from(c - b'0'))
                });
                self.pos += n;
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return Err(self.err(
                t0..self.pos,
                format!("`{}` is not a time of day", &self.text[t0..self.pos]),
            ));
        }
        dt.time = Some(Time {
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            nanosecond,
        });
        if dt.date.is_none() {
            return Ok(dt);
        }
        match self.peek() {
            Some(b'Z' | b'z') => {
                self.pos += 1;
                dt.offset = Some(0);
            }
            Some(c @ (b'+' | b'-')) => {
                let o0 = self.pos;
                self.pos += 1;
                let h = self.digits(2, "offset's hours")?;
                if self.peek() != Some(b':') {
                    return Err(self.expected("`:`", "in an offset"));
                }
                self.pos += 1;
                let m = self.digits(2, "offset's minutes")?;
                if h > 23 || m > 59 {
                    return Err(self.err(
                        o0..self.pos,
                        format!("`{}` is not an offset", &self.text[o0..self.pos]),
                    ));
                }
                let minutes = (h * 60 + m) as i16;
                dt.offset = Some(if c == b'-' { -minutes } else { minutes });
            }
            _ => {}
        }
        Ok(dt)
    }
}

/// Whether `s` is digits (by `digit`) with single underscores only between digits.
fn underscored(s: &str, digit: impl Fn(char) -> bool) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && digit(b[0] as char)
        && digit(b[b.len() - 1] as char)
        && b.windows(2).all(|w| w != b"__")
        && b.iter().all(|&c| c == b'_' || digit(c as char))
}

/// Inserts `item` at a dotted key path in `table`, defining the tables the dots imply.
fn insert_dotted(table: &mut Table, keys: Vec<Key>, item: Item) -> Result<(), Error> {
    let mut keys = keys;
    let last = keys.pop().expect("a key path has a key");
    let mut t = table;
    for key in keys {
        let i = match t.position(&key.name) {
            Some(i) => i,
            None => {
                let span = key.span.clone();
                t.push(
                    key.clone(),
                    Item {
                        value: Value::Table(Table::new(Origin::Dotted)),
                        span,
                    },
                )
            }
        };
        // Dotted keys pass tables that dotted keys defined, and define tables that were only
        // implied by a header below them (as the `toml` crate does).
        match &mut t.entries[i].1.value {
            Value::Table(sub) if sub.origin == Origin::Dotted => {}
            Value::Table(sub) if sub.origin == Origin::Implied => sub.origin = Origin::Dotted,
            Value::Table(sub) => {
                let how = match sub.origin {
                    Origin::Inline => "as an inline table, complete as written",
                    _ => "by a header",
                };
                return Err(already(
                    &key,
                    &format!("{how}; dotted keys cannot add to it"),
                ));
            }
            other => return Err(already(&key, &format!("as {}", other.kind()))),
        }
        t = child_mut(&mut t.entries[i].1.value);
    }
    if t.position(&last.name).is_some() {
        return Err(already(&last, "in this table"));
    }
    t.push(last, item);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Table {
        parse(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
            .root
    }

    fn error(text: &str) -> Error {
        parse(text).expect_err(text)
    }

    #[test]
    fn values_of_every_kind() {
        let t = root(
            "a = \"x\\ty\\u00e9\"\nb = 'c:\\d'\nc = 0xffff_ffff_ffff_ffff\nd = -1_000\ne = 6.5e-1\nf = -inf\n\
             g = true\nh = 1979-05-27 07:32:00.5-07:00\ni = [1, [2], {x = 1}]\nj = 07:32\n",
        );
        let get = |k| &t.get(k).unwrap().value;
        assert_eq!(get("a"), &Value::String("x\ty\u{e9}".into()));
        assert_eq!(get("b"), &Value::String("c:\\d".into()));
        assert!(matches!(get("c"), Value::Integer(None, _)), "beyond i64");
        assert_eq!(get("d"), &Value::Integer(Some(-1000), "-1_000".into()));
        assert_eq!(get("e"), &Value::Float(0.65, "6.5e-1".into()));
        assert!(matches!(get("f"), Value::Float(v, _) if *v == f64::NEG_INFINITY));
        assert_eq!(get("g"), &Value::Boolean(true));
        let Value::Datetime(h) = get("h") else {
            panic!()
        };
        assert_eq!(h.to_string(), "1979-05-27T07:32:00.5-07:00");
        assert_eq!(get("i").kind(), "an array");
        let Value::Datetime(j) = get("j") else {
            panic!()
        };
        assert_eq!((j.date, j.offset, j.time.unwrap().minute), (None, None, 32));
    }

    #[test]
    fn spans_are_the_text_of_keys_values_and_headers() {
        let text = "[a]\n\"k\" = [1, 2] # c\n[[b]]\n[[b]]\n[c.d]\n";
        let t = root(text);
        let (k, v) = t
            .get("a")
            .unwrap()
            .value
            .as_table()
            .unwrap()
            .iter()
            .next()
            .unwrap();
        assert_eq!(
            (&text[k.span.clone()], &text[v.span.clone()]),
            ("\"k\"", "[1, 2]")
        );
        assert_eq!(&text[t.get("a").unwrap().span.clone()], "[a]");
        let b = t.get("b").unwrap();
        assert_eq!(b.span, 21..26);
        assert_eq!(b.value.as_array().unwrap().items[1].span, 27..32);
        assert_eq!(b.value.kind(), "an array of tables");
        // `c` is only implied: its span is its key in the header.
        assert_eq!(&text[t.get("c").unwrap().span.clone()], "c");
    }

    #[test]
    fn what_toml_refuses_is_refused_where_it_is_written() {
        for (text, at) in [
            ("a = 1\na = 2\n", "a"),
            ("[a]\n[a]\n", "[a]"),
            ("a.b = 1\n[a]\n", "[a]"),
            ("a = {b = 1}\n[a.c]\n", "a"),
            ("a = {b = 1}\na.c = 1\n", "a"),
            ("a = [1]\n[[a]]\n", "[[a]]"),
            ("[a.b]\nx = 1\n[a]\nb.y = 1\n", "b"),
            ("a = 01\n", "01"),
            ("a = 1__0\n", "1__0"),
            ("a = 1.\n", "1."),
            ("a = .5\n", ""),
            ("a = 2026-02-30\n", "2026-02-30"),
            ("a = \"x\ny\"\n", "@6"),
            ("a = \"\\q\"\n", "\\q"),
            ("a = \"\\uD800\"\n", "\\uD800"),
            ("a = 1 b = 2\n", "b"),
            ("a = 1\r\n\rb = 2\n", "\r"),
            ("a = truer\n", "truer"),
            ("[a\n", "@2"),
            ("= 1\n", "="),
        ] {
            let e = error(text);
            // `@N`: an empty span at byte N (the end of a line).
            match at.strip_prefix('@') {
                Some(n) => assert_eq!(e.span, n.parse().unwrap()..n.parse().unwrap(), "{text:?}"),
                None if !at.is_empty() => assert_eq!(&text[e.span.clone()], at, "{text:?}: {e}"),
                None => {}
            }
        }
    }

    #[test]
    fn nesting_is_limited() {
        let deep = format!(
            "a = {}{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(error(&deep).message.contains("nest"));
        let ok = format!("a = {}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        root(&ok);
    }

    #[test]
    fn multi_line_strings() {
        let t = root("a = \"\"\"\nx\\\n   y\"\"\"\"\nb = '''\n'x'\n'''\n");
        assert_eq!(t.get("a").unwrap().value.as_str(), Some("xy\""));
        assert_eq!(t.get("b").unwrap().value.as_str(), Some("'x'\n"));
    }
}
