//! Strict, span-keeping reading of TOML documents: every value comes back with the byte range of
//! its text, unknown keys are reported (with a near-miss suggestion), wrong types are reported,
//! and reading goes on after a problem so that one run reports every problem.
//!
//! Parsing is `toml_edit`'s `Document` (spec 1.1), which keeps the span of every key, value,
//! array element and table header; a table written as `[x]` and one written inline as `x = {..}`
//! read the same way, as do `[[x]]` and `x = [{..}, {..}]`.

use std::ops::Range;

use toml_edit::{Datetime, Item, TableLike, Value};

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

/// A table (standard, inline, or one element of an array of tables), with the name used for it in
/// messages and the span to point at when a key is missing from it.
#[derive(Clone, Copy)]
pub(crate) struct Table<'a> {
    inner: &'a dyn TableLike,
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

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "a table",
    }
}

fn item_kind(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(v) => value_kind(v),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
    }
}

impl<'d> Reader<'d> {
    pub(crate) fn new(diags: &'d mut Diagnostics) -> Self {
        Reader { diags }
    }

    pub(crate) fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Parses `text`; a syntax error is reported and ends reading (TOML has no recovery).
    pub(crate) fn parse(&mut self, text: &str) -> Option<toml_edit::Document<String>> {
        match toml_edit::Document::parse(text.to_string()) {
            Ok(doc) => Some(doc),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let msg = e.message().trim().trim_end_matches('.').to_string();
                let first = msg.lines().next().unwrap_or("invalid TOML").to_string();
                self.report(Diagnostic::error(
                    Code::Syntax,
                    span,
                    format!("invalid TOML: {}", lowercase_first(&first)),
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

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// One entry of a table: its key's span and its item.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub key: &'a str,
    pub key_span: Span,
    pub item: &'a Item,
}

impl<'a> Entry<'a> {
    /// The span of the value (or of the key, when the value has none, e.g. an implicit table).
    pub(crate) fn span(&self) -> Range<usize> {
        self.item.span().unwrap_or(self.key_span.range())
    }
}

impl<'a> Table<'a> {
    /// The document's root table.
    pub(crate) fn root(doc: &'a toml_edit::Document<String>) -> Self {
        Table {
            inner: doc.as_table(),
            name: "the top level",
            span: Span { start: 0, end: 0 },
        }
    }

    /// The span to point at for the table as a whole.
    pub(crate) fn span(&self) -> Range<usize> {
        self.span.range()
    }

    fn entry(&self, key: &str) -> Option<Entry<'a>> {
        let (k, item) = self.inner.get_key_value(key)?;
        let key_span = k.span().map(Span::from).unwrap_or(self.span);
        Some(Entry {
            key: k.get(),
            key_span,
            item,
        })
    }

    /// Reports every key not in `known` (with a near-miss suggestion).
    pub(crate) fn deny_unknown(&self, r: &mut Reader<'_>, known: &[&str]) {
        for (key, _) in self.inner.iter() {
            if known.contains(&key) {
                continue;
            }
            let span = self
                .inner
                .key(key)
                .and_then(|k| k.span())
                .unwrap_or(self.span.range());
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
                .any(|(k, _)| near_miss(k, &[key]).is_some())
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
        self.inner.key(key).and_then(|k| k.span())
    }

    /// The table's keys, in document order.
    pub(crate) fn keys(&self) -> Vec<String> {
        self.inner.iter().map(|(k, _)| k.to_string()).collect()
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
            Item::ArrayOfTables(a) => Some(Spanned::new(
                a.iter()
                    .map(|t| Table {
                        inner: t,
                        name,
                        span: t.span().map(Span::from).unwrap_or(e.key_span),
                    })
                    .collect(),
                whole,
            )),
            Item::Value(Value::Array(a)) => {
                let mut out = Vec::new();
                for v in a.iter() {
                    match v {
                        Value::InlineTable(t) => out.push(Table {
                            inner: t,
                            name,
                            span: t.span().map(Span::from).unwrap_or(e.key_span),
                        }),
                        other => r.wrong_type(
                            other.span().unwrap_or(whole.clone()),
                            key,
                            "a table",
                            value_kind(other),
                        ),
                    }
                }
                Some(Spanned::new(out, whole))
            }
            other => {
                r.report(
                    Diagnostic::error(
                        Code::WrongType,
                        whole,
                        format!(
                            "`{key}` must be an array of tables, found {}",
                            item_kind(other)
                        ),
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
            Item::Value(Value::String(s)) => Some(Spanned::new(s.value().clone(), e.span())),
            other => {
                r.wrong_type(e.span(), key, "a string", item_kind(other));
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
        match e.item {
            Item::Value(v) => read_number(r, v, key, e.span(), infinite_ok),
            other => {
                r.wrong_type(e.span(), key, "a number", item_kind(other));
                None
            }
        }
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
            Item::Value(Value::Boolean(b)) => Some(Spanned::new(*b.value(), e.span())),
            other => {
                r.wrong_type(e.span(), key, "a boolean", item_kind(other));
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
            Item::Value(Value::Datetime(d)) => match datetime_to_timestamp(d.value()) {
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
                    format!("`{key}` must be a date-time, found {}", item_kind(other)),
                )
                .with_label("expected a date-time");
                if matches!(other, Item::Value(Value::String(_))) {
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
            Item::Value(Value::Array(a)) => {
                let mut out = Vec::new();
                for v in a.iter() {
                    let span = v.span().unwrap_or(e.span());
                    if let Some(x) = each(r, v, span) {
                        out.push(x);
                    }
                }
                Some(Spanned::new(out, e.span()))
            }
            other => {
                r.wrong_type(e.span(), key, "an array", item_kind(other));
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
            Value::String(s) => Some(Spanned::new(s.value().clone(), span)),
            other => {
                r.wrong_type(span, &owned_key, "an array of strings", value_kind(other));
                None
            }
        })
    }
}

/// Reads `e` as a table named `name` in messages.
pub(crate) fn as_table<'a>(r: &mut Reader<'_>, e: Entry<'a>, name: &'a str) -> Option<Table<'a>> {
    match e.item.as_table_like() {
        Some(t) => {
            let span = match e.item {
                Item::Table(t) if !t.is_implicit() && !t.is_dotted() => {
                    t.span().map(Span::from).unwrap_or(e.key_span)
                }
                Item::Value(Value::InlineTable(t)) => {
                    t.span().map(Span::from).unwrap_or(e.key_span)
                }
                _ => e.key_span,
            };
            Some(Table {
                inner: t,
                name,
                span,
            })
        }
        None => {
            r.wrong_type(e.span(), e.key, "a table", item_kind(e.item));
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
        Value::Integer(i) => {
            let i = *i.value();
            if !(-EXACT_INT..=EXACT_INT).contains(&i) {
                r.invalid(
                    span,
                    format!("`{key}` is `{i}`, beyond the exactly representable ±2^53"),
                );
                return None;
            }
            // Exact: |i| <= 2^53.
            Some(Spanned::new(i as f64, span))
        }
        Value::Float(f) => {
            let f = *f.value();
            if f.is_nan() {
                r.invalid(span, format!("`{key}` is not a number (`nan`)"));
                None
            } else if f.is_infinite() && !infinite_ok {
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
    if time.nanosecond.unwrap_or(0) != 0 {
        return Err("fractions of a second are not supported".into());
    }
    let minutes = match offset {
        toml_edit::Offset::Z => 0,
        toml_edit::Offset::Custom { minutes } => i64::from(minutes),
    };
    let naive = chrono::NaiveDate::from_ymd_opt(
        i32::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    )
    .and_then(|day| {
        day.and_hms_opt(
            u32::from(time.hour),
            u32::from(time.minute),
            u32::from(time.second.unwrap_or(0)),
        )
    })
    .ok_or_else(|| "it is not a valid date and time".to_string())?;
    let secs = naive.and_utc().timestamp() - minutes * 60;
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
    fn date_times_need_an_offset_and_whole_seconds() {
        let dt = |s: &str| datetime_to_timestamp(&s.parse::<Datetime>().unwrap());
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
