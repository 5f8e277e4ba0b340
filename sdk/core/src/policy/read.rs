//! Strict, span-keeping reading of TOML documents: every value comes back with the byte range of
//! its text, unknown keys are reported (with a near-miss suggestion), wrong types are reported,
//! and reading goes on after a problem so that one run reports every problem.
//!
//! Parsing is govproof's own TOML reader ([`crate::toml`]), which keeps the span of every key,
//! value, array element and table header, and nothing of the formatting: a table written as `[x]`
//! and one written inline as `x = {..}` read the same way, as do `[[x]]` and `x = [{..}, {..}]`.

use std::ops::Range;

use crate::toml::{Array, Datetime, Item, Key, Value as TomlValue};

use super::diagnostic::{near_miss, Code, Diagnostic, Diagnostics};
use crate::registry::Timestamp;

/// A value and the byte range of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub span: Range<usize>,
}

impl<T> Spanned<T> {
    /// Wraps a value.
    pub fn new(value: T, span: Range<usize>) -> Self {
        Spanned { value, span }
    }
}

/// Largest integer that converts to `f64` exactly; larger integers are refused so that two
/// different integers can never read as the same number.
const EXACT_INT: i64 = 1 << 53;

/// Collects diagnostics while reading one file.
pub(crate) struct Reader<'d> {
    diags: &'d mut Diagnostics,
}

/// A parsed document: its root table.
pub(crate) type Document = crate::toml::Document;

/// A TOML value.
pub(crate) type Value = TomlValue;

/// A table (standard, inline, or one element of an array of tables), with the name used for it in
/// messages and the span to point at when a key is missing from it.
#[derive(Clone, Copy)]
pub(crate) struct Table<'a> {
    inner: &'a crate::toml::Table,
    name: &'a str,
    span: Span,
}

/// A byte range, `Copy` for convenience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: usize,
    end: usize,
}

impl Span {
    pub(crate) fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span {
            start: r.start,
            end: r.end,
        }
    }
}

/// What `v` is, for messages.
fn value_kind(v: &Value) -> &'static str {
    v.kind()
}

/// For an array written as `[[x]]` headers, the span from its first header to its last; `None`
/// for an array written inline (`x = [..]`).
fn array_of_tables_span(a: &Array) -> Option<Range<usize>> {
    let first = &a.items.first()?.span;
    let last = &a.items.last()?.span;
    a.headers.then_some(first.start..last.end)
}

impl<'d> Reader<'d> {
    pub(crate) fn new(diags: &'d mut Diagnostics) -> Self {
        Reader { diags }
    }

    pub(crate) fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Parses `text`; a syntax error is reported and ends reading (TOML has no recovery).
    pub(crate) fn parse(&mut self, text: &str) -> Option<Document> {
        match crate::toml::parse(text) {
            Ok(doc) => Some(doc),
            Err(e) => {
                self.report(Diagnostic::error(
                    Code::Syntax,
                    e.span,
                    format!("invalid TOML: {}", e.message),
                ));
                None
            }
        }
    }

    fn wrong_type(&mut self, span: Range<usize>, key: &str, expected: &str, found: &str) {
        self.report(
            Diagnostic::error(
                Code::WrongType,
                span,
                format!("`{key}` must be {expected}, found {found}"),
            )
            .with_label(format!("expected {expected}")),
        );
    }

    fn invalid(&mut self, span: Range<usize>, msg: String) {
        self.report(Diagnostic::error(Code::InvalidValue, span, msg));
    }
}

/// One entry of a table: its key's span and its value.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub key: &'a str,
    pub key_span: Span,
    pub item: &'a Value,
    /// The value's span (for an implicit or dotted table, the key's; for `[[x]]`, its headers').
    span: Span,
    /// Whether the value is an array written as `[[x]]` headers.
    headers: bool,
}

impl<'a> Entry<'a> {
    fn new(key: &'a Key, value: &'a Item) -> Self {
        let headers = match &value.value {
            TomlValue::Array(a) => array_of_tables_span(a),
            _ => None,
        };
        Entry {
            key: &key.name,
            key_span: key.span.clone().into(),
            item: &value.value,
            span: headers.clone().unwrap_or(value.span.clone()).into(),
            headers: headers.is_some(),
        }
    }

    /// The span of the value (of the key, for an implicit table).
    pub(crate) fn span(&self) -> Range<usize> {
        self.span.range()
    }

    /// Whether the value is a table or an array of `[[x]]` tables (not a value written after `=`,
    /// unless an inline table).
    pub(crate) fn is_table(&self) -> bool {
        self.headers || matches!(self.item, TomlValue::Table(_))
    }

    /// What the value is, for messages.
    fn kind(&self) -> &'static str {
        value_kind(self.item)
    }
}

impl<'a> Table<'a> {
    /// The document's root table.
    pub(crate) fn root(doc: &'a Document) -> Self {
        Table {
            inner: &doc.root,
            name: "the top level",
            span: Span { start: 0, end: 0 },
        }
    }

    /// The span to point at for the table as a whole.
    pub(crate) fn span(&self) -> Range<usize> {
        self.span.range()
    }

    fn entry(&self, key: &str) -> Option<Entry<'a>> {
        let (k, v) = self.inner.get_key_value(key)?;
        Some(Entry::new(k, v))
    }

    /// Reports every key not in `known` (with a near-miss suggestion).
    pub(crate) fn deny_unknown(&self, r: &mut Reader<'_>, known: &[&str]) {
        for (k, _) in self.inner.iter() {
            let key: &str = &k.name;
            if known.contains(&key) {
                continue;
            }
            let span = k.span.clone();
            let mut d = Diagnostic::error(
                Code::UnknownKey,
                span,
                format!("unknown key `{key}` in {}", self.name),
            );
            // A key the table still lacks is the likelier meaning (`valid_to` next to a present
            // `valid_from` means `valid_until`).
            let absent: Vec<&str> = known
                .iter()
                .copied()
                .filter(|k| !self.inner.contains_key(k))
                .collect();
            match near_miss(key, &absent).or_else(|| near_miss(key, known)) {
                Some(k) => d = d.with_help(format!("did you mean `{k}`?")),
                None => {
                    d = d.with_help(format!(
                        "{} holds {}",
                        self.name,
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            }
            r.report(d);
        }
    }

    /// The entry for `key`; when absent and `required`, reports it missing.
    pub(crate) fn get(&self, r: &mut Reader<'_>, key: &str, required: bool) -> Option<Entry<'a>> {
        let name = self.name;
        self.get_as(r, key, required, || {
            format!("missing key `{key}` in {name}")
        })
    }

    /// [`Table::get`] with the message to give when the key is missing.
    fn get_as(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        required: bool,
        missing: impl FnOnce() -> String,
    ) -> Option<Entry<'a>> {
        let e = self.entry(key);
        // A misspelt key is reported once, as unknown with a suggestion, not also as missing.
        let misspelt = || {
            self.inner
                .iter()
                .any(|(k, _)| near_miss(&k.name, &[key]).is_some())
        };
        if e.is_none() && required && !misspelt() {
            r.report(
                Diagnostic::error(Code::MissingKey, self.span.range(), missing())
                    .with_label(format!("`{key}` is required here")),
            );
        }
        e
    }

    /// The span of `key` itself, when present.
    pub(crate) fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.inner.get_key_value(key).map(|(k, _)| k.span.clone())
    }

    /// The table's keys, in document order.
    pub(crate) fn keys(&self) -> Vec<String> {
        self.inner.iter().map(|(k, _)| k.name.clone()).collect()
    }

    /// Whether `key` is present.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.inner.contains_key(key)
    }

    /// A sub-table at `key` (written `[name]` or inline); `name` is its name in messages.
    pub(crate) fn table(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        name: &'a str,
        required: bool,
    ) -> Option<Table<'a>> {
        let e = self.get_as(r, key, required, || format!("missing table {name}"))?;
        as_table(r, e, name)
    }

    /// An array of tables at `key` (written `[[name]]` or as an array of inline tables).
    pub(crate) fn tables(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        name: &'a str,
        required: bool,
    ) -> Option<Spanned<Vec<Table<'a>>>> {
        let e = self.get_as(r, key, required, || {
            format!("missing {name}: at least one entry is required")
        })?;
        let whole = e.span();
        match e.item {
            TomlValue::Array(a) => {
                let mut out = Vec::new();
                for v in &a.items {
                    match &v.value {
                        TomlValue::Table(t) => out.push(Table {
                            inner: t,
                            name,
                            span: v.span.clone().into(),
                        }),
                        other => r.wrong_type(v.span.clone(), key, "a table", value_kind(other)),
                    }
                }
                Some(Spanned::new(out, whole))
            }
            _ => {
                r.report(
                    Diagnostic::error(
                        Code::WrongType,
                        whole,
                        format!("`{key}` must be an array of tables, found {}", e.kind()),
                    )
                    .with_help(format!("write each entry as `[[{name}]]`")),
                );
                None
            }
        }
    }

    /// A string at `key`.
    pub(crate) fn string(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        required: bool,
    ) -> Option<Spanned<String>> {
        let e = self.get(r, key, required)?;
        match e.item {
            TomlValue::String(s) => Some(Spanned::new(s.clone(), e.span())),
            _ => {
                r.wrong_type(e.span(), key, "a string", e.kind());
                None
            }
        }
    }

    /// A number at `key` (integer or float, so `600`, `600.0` and `6e2` read the same); NaN is
    /// refused, infinities only when `infinite_ok`.
    pub(crate) fn number(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        required: bool,
        infinite_ok: bool,
    ) -> Option<Spanned<f64>> {
        let e = self.get(r, key, required)?;
        if e.headers {
            r.wrong_type(e.span(), key, "a number", e.kind());
            return None;
        }
        read_number(r, e.item, key, e.span(), infinite_ok)
    }

    /// A boolean at `key`.
    pub(crate) fn boolean(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        required: bool,
    ) -> Option<Spanned<bool>> {
        let e = self.get(r, key, required)?;
        match e.item {
            TomlValue::Boolean(b) => Some(Spanned::new(*b, e.span())),
            _ => {
                r.wrong_type(e.span(), key, "a boolean", e.kind());
                None
            }
        }
    }

    /// An offset date-time at `key` (`2026-01-01T00:00:00Z`), as Unix seconds.
    pub(crate) fn timestamp(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        required: bool,
    ) -> Option<Spanned<Timestamp>> {
        let e = self.get(r, key, required)?;
        match e.item {
            TomlValue::Datetime(d) => match datetime_to_timestamp(d) {
                Ok(t) => Some(Spanned::new(t, e.span())),
                Err(why) => {
                    r.report(
                        Diagnostic::error(
                            Code::InvalidValue,
                            e.span(),
                            format!("`{key}` must be a date-time with a UTC offset: {why}"),
                        )
                        .with_help("write e.g. `2026-01-01T00:00:00Z`"),
                    );
                    None
                }
            },
            other => {
                let mut d = Diagnostic::error(
                    Code::WrongType,
                    e.span(),
                    format!("`{key}` must be a date-time, found {}", e.kind()),
                )
                .with_label("expected a date-time");
                if matches!(other, TomlValue::String(_)) {
                    d = d.with_help(
                        "write the date-time without quotes, e.g. `2026-01-01T00:00:00Z`",
                    );
                }
                r.report(d);
                None
            }
        }
    }

    /// An array at `key` whose elements are read by `each` (which reports its own problems).
    pub(crate) fn array<T>(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        required: bool,
        mut each: impl FnMut(&mut Reader<'_>, &'a Value, Range<usize>) -> Option<T>,
    ) -> Option<Spanned<Vec<T>>> {
        let e = self.get(r, key, required)?;
        match e.item {
            TomlValue::Array(a) if !e.headers => {
                let mut out = Vec::new();
                for v in &a.items {
                    if let Some(x) = each(r, &v.value, v.span.clone()) {
                        out.push(x);
                    }
                }
                Some(Spanned::new(out, e.span()))
            }
            _ => {
                r.wrong_type(e.span(), key, "an array", e.kind());
                None
            }
        }
    }

    /// An array of strings at `key`.
    pub(crate) fn strings(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        required: bool,
    ) -> Option<Spanned<Vec<Spanned<String>>>> {
        let owned_key = key.to_string();
        self.array(r, key, required, |r, v, span| match v {
            TomlValue::String(s) => Some(Spanned::new(s.clone(), span)),
            other => {
                r.wrong_type(span, &owned_key, "an array of strings", value_kind(other));
                None
            }
        })
    }
}

/// Reads `e` as a table named `name` in messages. Its span is its header's (`[x]`), its braces'
/// (inline), or its key's (a table only implied by `[x.y]` or a dotted key).
pub(crate) fn as_table<'a>(r: &mut Reader<'_>, e: Entry<'a>, name: &'a str) -> Option<Table<'a>> {
    match e.item {
        TomlValue::Table(t) => Some(Table {
            inner: t,
            name,
            span: e.span,
        }),
        _ => {
            r.wrong_type(e.span(), e.key, "a table", e.kind());
            None
        }
    }
}

/// Reads a number from a value (see [`Table::number`]).
pub(crate) fn read_number(
    r: &mut Reader<'_>,
    v: &Value,
    key: &str,
    span: Range<usize>,
    infinite_ok: bool,
) -> Option<Spanned<f64>> {
    match v {
        TomlValue::Integer(i, text) => {
            // `None` is beyond `i64`.
            let Some(i) = i.filter(|i| (-EXACT_INT..=EXACT_INT).contains(i)) else {
                r.invalid(
                    span,
                    format!("`{key}` is `{text}`, beyond the exactly representable ±2^53"),
                );
                return None;
            };
            // Exact: |i| <= 2^53.
            Some(Spanned::new(i as f64, span))
        }
        TomlValue::Float(f, text) => {
            let f = *f;
            if f.is_nan() {
                r.invalid(span, format!("`{key}` is not a number (`nan`)"));
                None
            } else if f.is_infinite() && (!infinite_ok || !text.contains("inf")) {
                // `1e400` overflows to infinity: never what was meant.
                r.invalid(span, format!("`{key}` must be finite"));
                None
            } else {
                // `-0.0` and `0.0` mean the same.
                Some(Spanned::new(if f == 0.0 { 0.0 } else { f }, span))
            }
        }
        other => {
            r.wrong_type(span, key, "a number", value_kind(other));
            None
        }
    }
}

/// Converts a TOML date-time with a date, a time and an offset to Unix seconds; refuses local
/// date-times (no offset), fractions of a second and times before 1970.
pub(crate) fn datetime_to_timestamp(d: &Datetime) -> Result<Timestamp, String> {
    let (Some(date), Some(time)) = (d.date, d.time) else {
        return Err("a date and a time are both required".into());
    };
    let Some(offset) = d.offset else {
        return Err("the offset (`Z` or `+01:00`) is missing".into());
    };
    if time.nanosecond != 0 {
        return Err("fractions of a second are not supported".into());
    }
    let minutes = i64::from(offset);
    // The reader checked that the date exists and the time is of a day; a leap second is not a
    // Unix time.
    if time.second > 59 {
        return Err("it is not a valid date and time".to_string());
    }
    let secs = crate::registry::time::days_from_civil(
        i64::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    ) * 86_400
        + i64::from(time.hour) * 3600
        + i64::from(time.minute) * 60
        + i64::from(time.second)
        - minutes * 60;
    let secs = u64::try_from(secs).map_err(|_| "it is before 1970".to_string())?;
    Timestamp::from_unix(secs).map_err(|_| "it is after the year 9999".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Diagnostics, Option<f64>) {
        let mut ds = Diagnostics::new();
        let mut r = Reader::new(&mut ds);
        let doc = r.parse(text).unwrap();
        let root = Table::root(&doc);
        let x = root.number(&mut r, "x", true, false).map(|s| s.value);
        root.deny_unknown(&mut r, &["x"]);
        (ds, x)
    }

    #[test]
    fn numbers_read_the_same_however_spelled() {
        for text in [
            "x = 600",
            "x = 600.0",
            "x = 6e2",
            "x = 0x258",
            "x = 6_00",
            "x = +600",
        ] {
            let (ds, x) = read(text);
            assert!(ds.is_empty(), "{text}");
            assert_eq!(x, Some(600.0), "{text}");
        }
        assert_eq!(read("x = -0.0").1.map(f64::to_bits), Some(0f64.to_bits()));
    }

    #[test]
    fn a_near_miss_suggests_the_key_that_is_missing() {
        let mut ds = Diagnostics::new();
        let mut r = Reader::new(&mut ds);
        let doc = r.parse("valid_from = 1\nvalid_to = 2\n").unwrap();
        let root = Table::root(&doc);
        root.deny_unknown(&mut r, &["valid_from", "valid_until"]);
        let missing = root.get(&mut r, "valid_until", true);
        assert!(missing.is_none());
        let d: Vec<&Diagnostic> = ds.iter().collect();
        assert_eq!(d.len(), 1, "reported once, as unknown: {d:?}");
        assert_eq!(d[0].help.as_deref(), Some("did you mean `valid_until`?"));
    }

    #[test]
    fn every_problem_is_reported() {
        let (ds, x) = read("x = \"1\"\ny = 2\nz = 3\n");
        assert_eq!(x, None);
        let codes: Vec<Code> = ds.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::WrongType, Code::UnknownKey, Code::UnknownKey]);
        let (ds, _) = read("x = nan");
        assert_eq!(ds.iter().next().unwrap().code, Code::InvalidValue);
        let (ds, _) = read("x = 9007199254740993");
        assert_eq!(ds.iter().next().unwrap().code, Code::InvalidValue);
    }

    #[test]
    fn numbers_out_of_range_are_invalid_values_at_their_span() {
        for text in ["x = 99999999999999999999", "x = 1e400", "x = -1e400"] {
            let (ds, x) = read(text);
            assert_eq!(x, None, "{text}");
            let d = ds.iter().next().unwrap();
            assert_eq!(d.code, Code::InvalidValue, "{text}");
            assert_eq!(d.span, 4..text.len(), "{text}");
        }
        let (ds, x) = read("x = -inf");
        assert_eq!(
            (ds.iter().next().map(|d| d.code), x),
            (Some(Code::InvalidValue), None)
        );
    }

    #[test]
    fn an_array_of_tables_spans_its_headers_and_says_what_it_is() {
        let text = "[[x]]\na = 1\n[[x]]\na = 2\n";
        let mut ds = Diagnostics::new();
        let mut r = Reader::new(&mut ds);
        let doc = r.parse(text).unwrap();
        let root = Table::root(&doc);
        let tables = root.tables(&mut r, "x", "`[[x]]`", true).unwrap();
        assert_eq!(tables.value.len(), 2);
        assert_eq!(tables.span, 0..17);
        assert_eq!(tables.value[1].span(), 12..17);
        assert!(root.number(&mut r, "x", true, false).is_none());
        let d: Vec<&Diagnostic> = ds.iter().collect();
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].message,
            "`x` must be a number, found an array of tables"
        );
        assert_eq!(d[0].span, 0..17);
        // Written inline, the same tables; its span is the brackets.
        let text = "x = [{ a = 1 }, { a = 2 }]";
        let mut ds = Diagnostics::new();
        let mut r = Reader::new(&mut ds);
        let doc = r.parse(text).unwrap();
        let tables = Table::root(&doc)
            .tables(&mut r, "x", "`[[x]]`", true)
            .unwrap();
        assert_eq!((tables.value.len(), tables.span), (2, 4..text.len()));
        assert!(ds.is_empty());
    }

    #[test]
    fn date_times_need_an_offset_and_whole_seconds() {
        let dt = |s: &str| {
            let doc = crate::toml::parse(&format!("t = {s}")).unwrap();
            match &doc.root.get("t").unwrap().value {
                TomlValue::Datetime(d) => datetime_to_timestamp(d),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(dt("1970-01-01T00:00:00Z").unwrap().unix(), 0);
        assert_eq!(
            dt("2026-01-01T01:00:00+01:00").unwrap(),
            dt("2026-01-01T00:00:00Z").unwrap()
        );
        assert!(dt("2026-01-01T00:00:00").is_err());
        assert!(dt("2026-01-01").is_err());
        assert!(dt("2026-01-01T00:00:00.5Z").is_err());
        assert!(dt("1969-12-31T23:59:59Z").is_err());
    }
}
