//! Problems found in a policy (or test) file, each pointing at the text that causes it.
//!
//! A [`Diagnostic`] carries a stable [`Code`] (its problem class, for tools), a one-line message
//! (lowercase, no trailing period, user text in backticks), the byte span of the offending text,
//! an optional label under it, related spans elsewhere in the file and an optional help line (a
//! near-miss suggestion, or what to write instead).
//!
//! Rendering: text through `annotate-snippets` (the renderer rustc and cargo use, so the output
//! looks like the compiler diagnostics Rust users already read: `file:line:column`, the line, the
//! offending text underlined); JSON through [`Diagnostics::to_json`] with 1-based lines and
//! columns counted in characters.

use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::names::is_invisible;
use serde_json::{json, Value};

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The policy (or test file) is refused.
    Error,
    /// Worth a look; the policy is still usable.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// The class of a problem: stable names that tools can match on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// The stable kebab-case name, e.g. `band-overlap`.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            /// Every code, in declaration order.
            pub fn all() -> &'static [Code] {
                &[$(Code::$variant,)*]
            }
        }
    };
}

codes! {
    /// The file is not valid TOML.
    Syntax = "syntax",
    /// A key the schema does not know.
    UnknownKey = "unknown-key",
    /// A required key is absent.
    MissingKey = "missing-key",
    /// A value of the wrong type.
    WrongType = "wrong-type",
    /// A value of the right type that is not allowed (bad name, NaN, out of range, ...).
    InvalidValue = "invalid-value",
    /// The same name listed twice.
    Duplicate = "duplicate",
    /// A list that must not be empty is empty.
    EmptyList = "empty-list",
    /// The validity window ends before (or when) it starts.
    WindowInverted = "window-inverted",
    /// The validity window has already ended.
    WindowEnded = "window-ended",
    /// The validity window has not started yet.
    WindowNotStarted = "window-not-started",
    /// A band whose lower bound is above (or at) its upper bound.
    BandInverted = "band-inverted",
    /// Two bands that share scores.
    BandOverlap = "band-overlap",
    /// Scores between two bands that no band holds.
    BandGap = "band-gap",
    /// Scores below the lowest or above the highest band, which no band holds.
    BandUncovered = "band-uncovered",
    /// Band edges closer than the circuit's score resolution.
    BandResolution = "band-resolution",
    /// A protected feature that is not in the feature schema.
    UnknownFeature = "unknown-feature",
    /// A feature range whose minimum is above its maximum.
    RangeInverted = "range-inverted",
    /// More (or fewer) items than the circuit profile holds.
    Capacity = "capacity",
    /// The decision kind is not the one the circuit profile proves.
    KindMismatch = "kind-mismatch",
    /// A model whose feature schema, profile or identity does not match the policy.
    ModelMismatch = "model-mismatch",
    /// A band no input in the declared feature ranges can reach with the given model.
    BandUnreachable = "band-unreachable",
    /// A gate the given model decides the same way for every input in the declared ranges.
    GateConstant = "gate-constant",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A span elsewhere in the file that explains a diagnostic (e.g. the other of two overlapping
/// bands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// Byte range in the file.
    pub span: Range<usize>,
    /// What that text has to do with the problem.
    pub label: String,
}

/// One problem in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Problem class.
    pub code: Code,
    /// One line: what is wrong.
    pub message: String,
    /// Byte range of the offending text.
    pub span: Range<usize>,
    /// Text shown under the offending text, if any.
    pub label: Option<String>,
    /// Other places in the file involved.
    pub related: Vec<Related>,
    /// A suggestion, e.g. ``did you mean `owner`?``.
    pub help: Option<String>,
}

/// Escapes control and invisible characters (`\n`, `\t`, `\u{0}`, `\u{202e}`, ...), so that
/// user text quoted in a message can never break it over lines or hide in the terminal.
fn one_line(text: impl Into<String>) -> String {
    let text = text.into();
    if !text.chars().any(is_invisible) {
        return text;
    }
    text.chars()
        .map(|c| {
            if is_invisible(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(code: Code, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: one_line(message),
            span,
            label: None,
            related: Vec::new(),
            help: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(code: Code, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// Adds a label under the offending text.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(one_line(label));
        self
    }

    /// Adds a related span.
    pub fn with_related(mut self, span: Range<usize>, label: impl Into<String>) -> Self {
        self.related.push(Related {
            span,
            label: one_line(label),
        });
        self
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(one_line(help));
        self
    }
}

/// A file's text and the name to show for it (the path as the user gave it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

/// A 1-based position in a file; `column` counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl SourceFile {
    /// A file named `name` (as shown in diagnostics) holding `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The name shown in diagnostics.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line and column of byte offset `offset` (clamped to the text, and moved back to a
    /// character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        Position {
            line,
            column: self.text[start..offset].chars().count() + 1,
        }
    }

    /// The span clamped to the text and to character boundaries, so rendering never slices
    /// inside a character.
    fn clamp(&self, span: &Range<usize>) -> Range<usize> {
        let fix = |mut o: usize| {
            o = o.min(self.text.len());
            while !self.text.is_char_boundary(o) {
                o -= 1;
            }
            o
        };
        let start = fix(span.start);
        start..fix(span.end).max(start)
    }
}

/// The diagnostics of one file, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// All of them.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.errors() > 0
    }

    /// Sorts by position in the file (stable, so diagnostics at one place keep their order).
    pub fn sort(&mut self) {
        crate::sort::sort_by_key(&mut self.0, |d| d.span.start);
    }

    /// Renders every diagnostic as text, rustc style, followed by nothing else.
    pub fn render(&self, file: &SourceFile) -> String {
        let renderer = Renderer::plain();
        let mut out = String::new();
        for d in &self.0 {
            let level = match d.severity {
                Severity::Error => Level::ERROR,
                Severity::Warning => Level::WARNING,
            };
            let mut primary = AnnotationKind::Primary.span(file.clamp(&d.span));
            if let Some(label) = &d.label {
                primary = primary.label(label.as_str());
            }
            let mut snippet = Snippet::source(file.text())
                .path(file.name())
                .line_start(1)
                .annotation(primary);
            for r in &d.related {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(file.clamp(&r.span))
                        .label(r.label.as_str()),
                );
            }
            let mut report: Vec<Group<'_>> = vec![level
                .primary_title(d.message.as_str())
                .id(d.code.as_str())
                .element(snippet)];
            if let Some(help) = &d.help {
                report.push(Group::with_title(
                    Level::HELP.secondary_title(help.as_str()),
                ));
            }
            out.push_str(&renderer.render(&report));
            out.push_str("\n\n");
        }
        out
    }

    /// A one-line summary, e.g. `2 errors, 1 warning`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, what: &str| {
            if n == 1 {
                format!("1 {what}")
            } else {
                format!("{n} {what}s")
            }
        };
        format!(
            "{}, {}",
            plural(self.errors(), "error"),
            plural(self.warnings(), "warning")
        )
    }

    /// The diagnostics as JSON objects (`severity`, `code`, `message`, `file`, `line`, `column`,
    /// `end_line`, `end_column`, `label`, `help`, `related`).
    pub fn to_json(&self, file: &SourceFile) -> Value {
        let place = |span: &Range<usize>| {
            let span = file.clamp(span);
            let a = file.position(span.start);
            let b = file.position(span.end);
            (a, b)
        };
        Value::Array(
            self.0
                .iter()
                .map(|d| {
                    let (a, b) = place(&d.span);
                    json!({
                        "severity": d.severity.as_str(),
                        "code": d.code.as_str(),
                        "message": d.message,
                        "file": file.name(),
                        "line": a.line,
                        "column": a.column,
                        "end_line": b.line,
                        "end_column": b.column,
                        "label": d.label,
                        "help": d.help,
                        "related": d.related.iter().map(|r| {
                            let (a, _) = place(&r.span);
                            json!({"line": a.line, "column": a.column, "label": r.label})
                        }).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        )
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<T: IntoIterator<Item = Diagnostic>>(&mut self, iter: T) {
        self.0.extend(iter);
    }
}

/// The known word closest to `given`, if it is a near miss (a typo, a different case, a missing
/// or extra letter), for ``did you mean `...`?`` hints.
pub fn near_miss<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = given.to_ascii_lowercase().replace('-', "_");
    known
        .iter()
        .map(|&k| {
            let d = super::similar::damerau_levenshtein(&lower, &k.to_ascii_lowercase());
            let jw = super::similar::jaro_winkler(&lower, &k.to_ascii_lowercase());
            (k, d, jw)
        })
        .filter(|&(k, d, jw)| d <= (k.len() / 3).max(1) || jw >= 0.9)
        .min_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)))
        .map(|(k, _, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let f = SourceFile::new("x.toml", "a = 1\nb = \"é\" # x\n");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(6), Position { line: 2, column: 1 });
        // The byte after `é` (two bytes) is column 7.
        let after = f.text().find('"').unwrap() + 1 + 'é'.len_utf8();
        assert_eq!(f.position(after), Position { line: 2, column: 7 });
        // Inside `é`: moved back to its start.
        assert_eq!(f.position(after - 1).column, 6);
        assert_eq!(f.position(10_000).line, 3);
    }

    #[test]
    fn near_misses_are_suggested_and_strangers_are_not() {
        let known = ["owner", "title", "valid_from", "valid_until"];
        assert_eq!(near_miss("ower", &known), Some("owner"));
        assert_eq!(near_miss("Owner", &known), Some("owner"));
        assert_eq!(near_miss("valid-from", &known), Some("valid_from"));
        assert_eq!(near_miss("validuntil", &known), Some("valid_until"));
        assert_eq!(near_miss("colour", &known), None);
    }

    #[test]
    fn messages_stay_on_one_line() {
        let d = Diagnostic::error(Code::InvalidValue, 0..1, "`a\nb\u{0}` is bad")
            .with_label("x\ty")
            .with_help("h\r");
        assert_eq!(d.message, "`a\\nb\\u{0}` is bad");
        assert_eq!(d.label.as_deref(), Some("x\\ty"));
        assert_eq!(d.help.as_deref(), Some("h\\r"));
    }

    #[test]
    fn rendering_points_at_the_line() {
        let f = SourceFile::new("p.toml", "[policy]\nownr = \"x\"\n");
        let mut ds = Diagnostics::new();
        ds.push(
            Diagnostic::error(Code::UnknownKey, 9..13, "unknown key `ownr` in `[policy]`")
                .with_help("did you mean `owner`?"),
        );
        let text = ds.render(&f);
        assert!(text.contains("p.toml:2:1"), "{text}");
        assert!(text.contains("^^^^"), "{text}");
        assert!(text.contains("error[unknown-key]"), "{text}");
        let json = ds.to_json(&f);
        assert_eq!(json[0]["line"], 2);
        assert_eq!(json[0]["end_column"], 5);
    }
}
