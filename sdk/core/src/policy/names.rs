//! Names and short texts in policies, checked once at construction.
//!
//! The rules and, where the thing named is the same, the types are the registry's
//! ([`crate::registry::names`]), so that a model id, version or scope written in a policy is byte
//! for byte the one in a registry entry (both become [`crate::commit::label`]s):
//! - model ids, model versions and scope parts are the registry's [`ModelId`], [`ModelVersion`]
//!   and [`ScopePart`] (a scope is the registry's [`crate::registry::Scope`]);
//! - the policy's own names (policy id and version, feature and band names) are [`Name`]s,
//!   checked by the same rule: 1 to 64 ASCII letters, digits, `-`, `_`, `.` or `+`, starting with
//!   a letter or digit;
//! - the title and the owner are the registry's [`Note`] (one line of 1 to 200 characters, no
//!   control characters, no surrounding spaces); a policy also refuses invisible and
//!   text-direction characters in them, and text not in Unicode NFC ([`check_note`]), since a
//!   reviewer reads them and the policy hash covers them byte for byte.

use std::fmt;
use std::str::FromStr;

pub use crate::registry::names::{ModelId, ModelVersion, NameError, Note, ScopePart};

/// Whether `c` is a character that changes how text around it displays without being visible
/// itself: control characters, zero-width characters, the byte-order mark, and the bidirectional
/// controls that let text read differently from what it is ("Trojan Source").
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// A checked name of the policy's own (policy id and version, feature and band names).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(String);

impl Name {
    /// Checks `text` against the registry's naming rule.
    pub fn new(text: &str) -> Result<Self, NameError> {
        // Every registry name type applies the one rule of `registry::names`; going through one
        // of them keeps that rule in one place. The error names what the text was meant to be.
        ScopePart::new(text).map_err(|e| NameError { what: "name", ..e })?;
        Ok(Name(text.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Name {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a title or owner: the registry's note rules, and no invisible or text-direction
/// characters. The error says what is wrong (lowercase).
pub fn check_note(text: &str) -> Result<Note, &'static str> {
    let note = Note::new(text).map_err(|e| e.problem)?;
    if text.chars().any(is_invisible) {
        return Err("it must not contain invisible or text-direction characters");
    }
    // The same text written with composed or decomposed accents would look alike and hash apart.
    // The rule is NFC's quick check (UAX #15): a text is accepted only when the check says "yes".
    // A "maybe" (a combining mark that composes with some characters, such as U+0301 after a
    // letter) is refused as well, even where no composed character exists: that keeps the check
    // to the quick-check tables, without Unicode's composition and decomposition tables, so that
    // the browser verifier stays small (docs/policies.md).
    if !matches!(
        unicode_normalization::is_nfc_quick(text.chars()),
        unicode_normalization::IsNormalized::Yes
    ) {
        return Err("it must be in Unicode NFC without combining accents: write each accented letter as one composed character (e.g. `é`, not `e` followed by a combining accent)");
    }
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The quick-check rule never accepts a text that is not NFC (it may refuse one that is).
        #[test]
        fn an_accepted_note_is_always_nfc(
            chars in proptest::collection::vec(
                prop_oneof![
                    proptest::char::range('a', 'z'),
                    proptest::char::range('\u{c0}', '\u{24f}'),
                    proptest::char::range('\u{300}', '\u{36f}'),
                    proptest::char::range('\u{1100}', '\u{11ff}'),
                    proptest::char::range('\u{ac00}', '\u{ac40}'),
                    proptest::char::range('\u{1e00}', '\u{1fff}'),
                    proptest::char::range('\u{2100}', '\u{214f}'),
                    proptest::char::any(),
                ],
                1..12,
            )
        ) {
            let text: String = chars.into_iter().collect();
            if check_note(&text).is_ok() {
                prop_assert!(unicode_normalization::is_nfc(&text), "{text:?}");
            }
        }
    }

    #[test]
    fn names_follow_the_registry_rules() {
        for ok in ["a", "EU-DE", "3.2.0+build.7", "debt_to_income"] {
            assert!(Name::new(ok).is_ok(), "{ok}");
            assert!(ScopePart::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", "a b", "é", &"x".repeat(65)] {
            assert!(Name::new(bad).is_err(), "{bad}");
            assert!(ModelId::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Name::new("a b").unwrap_err().to_string(),
            "`a b` is not a valid name: only ASCII letters, digits, `-`, `_`, `.` and `+` are allowed"
        );
        assert!(check_note("Credit Risk Committee").is_ok());
        assert!(check_note(" x").is_err());
        assert!(check_note("a\nb").is_err());
        assert!(check_note("Risk \u{202e}eettimmoC").is_err());
        assert!(check_note("Risk\u{200b}Committee").is_err());
        assert!(check_note("Comité des risques").is_ok());
        assert!(check_note("Comite\u{301} des risques").is_err());
        // NFC, but with a combining mark the quick check cannot clear: refused by the rule.
        assert!(unicode_normalization::is_nfc("q\u{307}"));
        assert!(check_note("q\u{307}").is_err());
        // Out of order combining marks (not NFC) and a singleton that NFC replaces.
        assert!(check_note("a\u{300}\u{316}").is_err());
        assert!(check_note("\u{212b}ngstr\u{f6}m").is_err());
        // Text the quick check clears, in other scripts.
        for ok in ["Ångström", "Ελληνικά", "日本語", "한국어", "Đặng Thị"] {
            assert!(check_note(ok).is_ok(), "{ok}");
        }
    }
}
