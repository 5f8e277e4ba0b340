//! govproof's TOML reader against the `toml` crate as the oracle: on every TOML file of the
//! repository and on random documents built from TOML's constructs (and random edits of them),
//! both accept or both refuse, and what both accept reads the same: the same keys in the same
//! order, the same values, and the same span for every key and value.

#![allow(clippy::unwrap_used)]

use std::ops::Range;
use std::path::{Path, PathBuf};

use govproof_core::toml as ours;
use proptest::prelude::*;
use toml::de::{DeTable, DeValue};

/// A value in a form both readers convert to.
#[derive(Debug, PartialEq)]
enum Tree {
    Str(String),
    Int(Option<i64>),
    /// The bits, with every NaN the same.
    Float(u64),
    Bool(bool),
    Date(String),
    /// Elements with their spans, and whether written as `[[x]]` headers.
    Array(Vec<(Tree, Range<usize>)>, bool),
    /// Key, key span, value, value span.
    Table(Vec<(String, Range<usize>, Tree, Range<usize>)>),
}

fn float_bits(f: f64) -> u64 {
    if f.is_nan() {
        f64::NAN.to_bits()
    } else {
        f.to_bits()
    }
}

fn from_ours(v: &ours::Value) -> Tree {
    match v {
        ours::Value::String(s) => Tree::Str(s.clone()),
        ours::Value::Integer(i, _) => Tree::Int(*i),
        ours::Value::Float(f, _) => Tree::Float(float_bits(*f)),
        ours::Value::Boolean(b) => Tree::Bool(*b),
        ours::Value::Datetime(d) => Tree::Date(from_ours_date(d)),
        ours::Value::Array(a) => Tree::Array(
            a.items
                .iter()
                .map(|i| (from_ours(&i.value), i.span.clone()))
                .collect(),
            a.headers,
        ),
        ours::Value::Table(t) => Tree::Table(
            t.iter()
                .map(|(k, v)| {
                    (
                        k.name.clone(),
                        k.span.clone(),
                        from_ours(&v.value),
                        v.span.clone(),
                    )
                })
                .collect(),
        ),
    }
}

/// A date-time spelt out the same way for both readers (seconds and nanoseconds written or not).
fn date_text(
    date: Option<(u16, u8, u8)>,
    time: Option<(u8, u8, u8, u32)>,
    offset: Option<i16>,
) -> String {
    format!("{date:?} {time:?} {offset:?}")
}

fn from_ours_date(d: &ours::Datetime) -> String {
    date_text(
        d.date.map(|d| (d.year, d.month, d.day)),
        d.time.map(|t| (t.hour, t.minute, t.second, t.nanosecond)),
        d.offset,
    )
}

fn from_oracle_date(d: &toml::value::Datetime) -> String {
    use toml::value::Offset;
    date_text(
        d.date.map(|d| (d.year, d.month, d.day)),
        d.time.map(|t| {
            (
                t.hour,
                t.minute,
                t.second.unwrap_or(0),
                t.nanosecond.unwrap_or(0),
            )
        }),
        d.offset.map(|o| match o {
            Offset::Z => 0,
            Offset::Custom { minutes } => minutes,
        }),
    )
}

/// Whether the oracle really accepts what it parsed: its tree keeps the text of numbers, and
/// checks only their characters when they are converted (`1_000T` parses, as an integer).
fn oracle_numbers_valid(v: &DeValue<'_>) -> bool {
    match v {
        DeValue::Integer(i) => {
            let digits = i.as_str().trim_start_matches(['+', '-']);
            !digits.is_empty() && digits.chars().all(|c| c.is_digit(i.radix()))
        }
        DeValue::Float(f) => f.as_str().parse::<f64>().is_ok(),
        DeValue::Array(a) => a.iter().all(|i| oracle_numbers_valid(i.get_ref())),
        DeValue::Table(t) => t.iter().all(|(_, v)| oracle_numbers_valid(v.get_ref())),
        _ => true,
    }
}

fn from_oracle(v: &DeValue<'_>, span: Range<usize>) -> (Tree, Range<usize>) {
    let tree = match v {
        DeValue::String(s) => Tree::Str(s.to_string()),
        DeValue::Integer(i) => Tree::Int(i64::from_str_radix(i.as_str(), i.radix()).ok()),
        DeValue::Float(f) => Tree::Float(float_bits(f.as_str().parse().unwrap())),
        DeValue::Boolean(b) => Tree::Bool(*b),
        DeValue::Datetime(d) => Tree::Date(from_oracle_date(d)),
        DeValue::Array(a) => {
            // The crate gives an array of `[[x]]` tables its first header's span.
            let headers = a.first().is_some_and(|f| f.span() == span)
                && a.iter().all(|i| i.get_ref().is_table());
            let items = a
                .iter()
                .map(|i| from_oracle(i.get_ref(), i.span()))
                .collect();
            return (Tree::Array(items, headers), span);
        }
        DeValue::Table(t) => table_from_oracle(t),
    };
    (tree, span)
}

fn table_from_oracle(t: &DeTable<'_>) -> Tree {
    Tree::Table(
        t.iter()
            .map(|(k, v)| {
                let (tree, span) = from_oracle(v.get_ref(), v.span());
                (k.get_ref().to_string(), k.span(), tree, span)
            })
            .collect(),
    )
}

/// Both readers on `text`: `Ok` with the tree when both accept and agree, `Err` when both
/// refuse; a disagreement fails the test.
fn agree(text: &str) -> Result<Tree, ()> {
    let mine = ours::parse(text);
    let oracle = DeTable::parse(text)
        .map_err(|e| e.to_string())
        .and_then(|t| {
            if oracle_numbers_valid(&DeValue::Table(t.get_ref().clone())) {
                Ok(t)
            } else {
                Err("a number of invalid characters".to_string())
            }
        });
    match (mine, oracle) {
        (Ok(m), Ok(o)) => {
            let m = from_ours(&ours::Value::Table(m.root));
            let o = table_from_oracle(o.get_ref());
            assert_eq!(m, o, "the readers read {text:?} differently");
            Ok(m)
        }
        (Err(_), Err(_)) => Err(()),
        // TOML forbids dotted keys that add to an array of tables (toml-test's
        // `invalid/table/append-to-array-with-dotted-keys`); the crate lets them add to its last
        // element.
        (Err(e), Ok(_))
            if e.message
                .ends_with("is already defined as an array of tables") =>
        {
            Err(())
        }
        (Ok(_), Err(e)) => panic!("{text:?}: accepted, but the oracle refuses it: {e}"),
        (Err(e), Ok(_)) => panic!("{text:?}: refused ({e:?}), but the oracle accepts it"),
    }
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

#[test]
fn every_toml_file_of_the_repository_reads_as_the_oracle_reads_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["policies", "tests/data", "examples", "registry"] {
        if root.join(dir).is_dir() {
            toml_files(&root.join(dir), &mut files);
        }
    }
    assert!(files.len() > 20, "found only {} TOML files", files.len());
    let mut valid = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if agree(&text).is_ok() {
            valid += 1;
        }
    }
    assert!(
        valid > 20,
        "only {valid} of {} files are valid",
        files.len()
    );
}

#[test]
fn the_constructs_of_toml_read_as_the_oracle_reads_them() {
    let valid = [
        "a = 1\nb = 'x'\n[t]\nc = 2\n[t.u]\nd = [1, 2,]\n[[arr]]\nx = 1\n[[arr]]\nx = 2\n",
        "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true\n",
        "[a.b.c]\nx = 1\n[a]\ny = 2\n",
        "[[a]]\n[a.b]\nc = 1\n[[a]]\n[a.b]\nc = 2\n",
        "[[a.b]]\n[[a.b]]\n[a]\nc = 1\n",
        "x = \"\"\"\n  one\\\n    two \\\n\n  three\"\"\"\"\"\ny = '''\n'q'\n'''''\n",
        "x = \"\\b\\t\\n\\f\\r\\\"\\\\\\u00e9\\U0001F600\"\ny = 'C:\\path'\n",
        "a = 1979-05-27T07:32:00Z\nb = 1979-05-27t07:32:00.999999999+01:00\nc = 1979-05-27 07:32:00\nd = 1979-05-27\ne = 07:32:00.5\nf = 2000-02-29\n",
        "n = [0, -0, +1, 0xDEAD_beef, 0o755, 0b1101, 1_000, 9223372036854775807, -9223372036854775808]\n",
        "f = [0.0, -0.0, +1.5, 1e10, 1E-10, 6.626e-34, 1_000.000_1, inf, +inf, -inf, nan, +nan, -nan]\n",
        "\"quoted key\" = 1\n'literal key' = 2\n\"\" = 3\n1234 = 4\n-_- = 5\na . b . \"c\" = 6\n",
        "t = { a = 1, b.c = 2, d = { e = [ { f = 1 } ] } }\n",
        "a = [\n  1, # one\n  2,\n  # nothing\n]\n",
        "\u{feff}a = 1\n",
        "a = 1 # comment with \t tab and ünïcödé\r\nb = 2\r\n",
        "[ spaced . \"header\" ]\n[[ spaced . arr ]]\n",
        "a = []\nb = {}\nc = [[], [[]], [{}]]\n",
        "a = \"\\e\\x41\"\nb = 07:32\nc = { x = 1,\n  y = 2,\n}\n",
        // Beyond `i64`: read, as `None`, for the policy reader to say what the number means.
        "a = 9223372036854775808\n",
    ];
    for text in valid {
        assert!(agree(text).is_ok(), "{text:?} should be valid");
    }
    let invalid = [
        "a = 1\na = 2\n",
        "[a]\n[a]\n",
        "a.b = 1\n[a]\n",
        "a.b = 1\n[a.b]\n",
        "a = {b = 1}\n[a.c]\n",
        "a = {b = 1}\na.c = 2\n",
        "a = [1]\n[[a]]\n",
        "[[a]]\n[a]\n",
        "[a]\n[[a]]\n",
        "[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n",
        "[a.b]\nx = 1\n[a]\nb.y = 1\n",
        "a = 01\n",
        "a = 1__0\n",
        "a = _1\n",
        "a = 1_\n",
        "a = 1.\n",
        "a = .5\n",
        "a = 1.e5\n",
        "a = 0x\n",
        "a = +0x1\n",
        "a = 0xG\n",
        "a = 2026-02-30\n",
        "a = 2025-02-29\n",
        "a = 2026-13-01\n",
        "a = 24:00:00\n",
        "a = 1979-05-27T07:32:00+24:00\n",
        "a = 1979-05-27T07:32:00.\n",
        "a = \"x\ny\"\n",
        "a = 'x\ny'\n",
        "a = \"\\q\"\n",
        "a = \"\\uD800\"\n",
        "a = \"\\u00\"\n",
        "a = \"tab\u{1}\"\n",
        "a = \"\"\"never closed\n",
        "a = 1 b = 2\n",
        "a = 1\r\n\rb = 2\n",
        "a = truer\n",
        "a = tru\n",
        "[a\n",
        "[[a]\n",
        "= 1\n",
        "a =\n",
        "a\n",
        "a = [1 2]\n",
        "a = [1,,]\n",
        "a = {b = 1,,}\n",
        "a = { b = 1 } c = 2\n",
        "a = 1 # \u{7f}\n",
        "\"\"\"a\"\"\" = 1\n",
        "a.b = 1\na.b.c = 2\n",
        "a = [{b = 1}]\n[a.c]\n",
        "[a]\nb = 1\n[a.b]\n",
    ];
    for text in invalid {
        assert!(agree(text).is_err(), "{text:?} should be invalid");
    }
}

#[test]
fn nesting_beyond_the_limit_is_refused_not_a_stack_overflow() {
    let deep = format!("a = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    assert!(ours::parse(&deep).is_err());
    let deep = format!("a = {}1{}\n", "{b = ".repeat(100_000), "}".repeat(100_000));
    assert!(ours::parse(&deep).is_err());
}

const KEYS: &[&str] = &[
    "a", "b", "c", "\"a\"", "'b'", "a.b", "a . c", "b.a", "\"x y\"", "1", "-", "a.b.c",
];
const VALUES: &[&str] = &[
    "1",
    "-0",
    "+7",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "01",
    "1__0",
    "3.5",
    "1e5",
    "-1.5E-3",
    "inf",
    "-nan",
    "true",
    "false",
    "\"s\\n\\u00e9\"",
    "'lit'",
    "\"\"\"\nml\\\n  x\"\"\"",
    "'''\nml'''",
    "1979-05-27T07:32:00Z",
    "1979-05-27 07:32:00.123+01:30",
    "1979-05-27",
    "07:32:00",
    "[]",
    "[1, 2,]",
    "[\n1, # c\n 'a'\n]",
    "{}",
    "{ x = 1, y.z = 2 }",
    "{ x = 1,\n y = 2, }",
    "2026-02-30",
    "99999999999999999999",
    "1e400",
    "[{x = 1}, {y = 2}]",
    "{ a = { b = 1 } }",
    "\"\\x41\\e\\U0001F600\"",
    "\"é ü\"",
    "'''a''''",
    "\"\"\"q\"\"\"\"",
    "[[1], ['a'], [{}]]",
    "1979-05-27T07:32Z",
    "07:32",
    "0.1e-0_1",
    "-0.0",
    "+inf",
    "0o",
    "1979-05-27T07:32:00.",
    "{ a.b = 1, a.c = 2 }",
    "[ { a = [ { b = 1 } ] } ]",
    "\"\\u00e9\\\"\"",
    "''",
    "\"\"",
];
const HEADERS: &[&str] = &[
    "[a]",
    "[b]",
    "[a.b]",
    "[[a]]",
    "[[c]]",
    "[ a . \"b\" ]",
    "[[a.d]]",
    "[c.e]",
    "[b.a]",
    "[[a.b]]",
    "[x]",
    "[a.b.c]",
    "[\"a\".b]",
    "[[a]] # c",
    "[ b ]",
    "[a.x.y]",
    "[[b.a]]",
];

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (
            prop::sample::select(KEYS),
            prop::sample::select(VALUES),
            prop::sample::select(&[" = ", "=", "\t=  "][..]),
            prop::sample::select(&["", " # c", "\t"][..]),
        )
            .prop_map(|(k, v, eq, c)| format!("{k}{eq}{v}{c}")),
        2 => prop::sample::select(HEADERS).prop_map(str::to_string),
        1 => Just("# comment".to_string()),
        1 => Just(String::new()),
    ]
}

fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line(), 0..12),
        prop::sample::select(&["\n", "\r\n"][..]),
    )
        .prop_map(|(lines, nl)| lines.iter().map(|l| format!("{l}{nl}")).collect())
}

/// One random edit: a character inserted, removed or replaced.
fn edited() -> impl Strategy<Value = String> {
    (
        document(),
        any::<prop::sample::Index>(),
        prop::sample::select(
            &[
                "", "\"", "'", "[", "]", "{", "}", "=", ",", ".", "#", "\n", "\r", " ", "_", "0",
                "e", "T", ":", "-", "+", "\\",
            ][..],
        ),
        0usize..2,
    )
        .prop_map(|(doc, at, with, remove)| {
            if doc.is_empty() {
                return with.to_string();
            }
            let mut i = at.index(doc.len());
            while !doc.is_char_boundary(i) {
                i -= 1;
            }
            let mut s = doc[..i].to_string();
            s.push_str(with);
            let mut j = (i + remove).min(doc.len());
            while !doc.is_char_boundary(j) {
                j += 1;
            }
            s.push_str(&doc[j..]);
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20000))]

    #[test]
    fn random_documents_read_as_the_oracle_reads_them(text in document()) {
        let _ = agree(&text);
    }

    #[test]
    fn random_edits_read_as_the_oracle_reads_them(text in edited()) {
        let _ = agree(&text);
    }

    /// Text from TOML's alphabet in any order: nearly always invalid, never a panic, and refused
    /// exactly when the oracle refuses it.
    #[test]
    fn random_text_reads_as_the_oracle_reads_it(
        text in "[a-c0-9 =.,\\[\\]{}\"'#_:+\\-eTZ\n\r\t\\\\é]{0,40}"
    ) {
        let _ = agree(&text);
    }
}
