//! Names and short texts in policies, checked once at construction.
//!
//! The rules are the registry's, so that a model id or scope part written in a policy is byte for
//! byte the one written in a registry entry (both become [`crate::commit::label`]s):
//! - a **name** (policy id and version, model ids and versions, purposes, jurisdictions, products,
//!   feature and band names) is 1 to 64 ASCII letters, digits, `-`, `_`, `.` or `+`, starting
//!   with a letter or digit;
//! - a **note** (title, owner) is one line of 1 to 200 characters, without control characters or
//!   surrounding spaces.

use std::fmt;

/// Longest name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Longest note, in characters.
pub const MAX_NOTE_LEN: usize = 200;

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

/// A checked name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(String);

/// A checked note.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Note(String);

impl Name {
    /// Checks `text` against the naming rules; the error says what is wrong (lowercase).
    pub fn new(text: &str) -> Result<Self, &'static str> {
        let first = text.bytes().next().ok_or("it is empty")?;
        if text.len() > MAX_NAME_LEN {
            return Err("it is longer than 64 bytes");
        }
        if !first.is_ascii_alphanumeric() {
            return Err("it must start with a letter or digit");
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
        {
            return Err("only ASCII letters, digits, `-`, `_`, `.` and `+` are allowed");
        }
        Ok(Name(text.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Note {
    /// Checks `text` against the note rules; the error says what is wrong (lowercase).
    pub fn new(text: &str) -> Result<Self, &'static str> {
        if text.is_empty() {
            return Err("it is empty");
        }
        if text.chars().count() > MAX_NOTE_LEN {
            return Err("it is longer than 200 characters");
        }
        if text.chars().any(char::is_control) {
            return Err("it must be one line without control characters");
        }
        if text.chars().any(is_invisible) {
            return Err("it must not contain invisible or text-direction characters");
        }
        if text.trim() != text {
            return Err("it must not start or end with spaces");
        }
        Ok(Note(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_registry_rules() {
        for ok in ["a", "EU-DE", "3.2.0+build.7", "debt_to_income"] {
            assert!(Name::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", "a b", "é", &"x".repeat(65)] {
            assert!(Name::new(bad).is_err(), "{bad}");
        }
        assert!(Note::new("Credit Risk Committee").is_ok());
        assert!(Note::new(" x").is_err());
        assert!(Note::new("a\nb").is_err());
        assert!(Note::new("Risk \u{202e}eettimmoC").is_err());
        assert!(Note::new("Comité des risques").is_ok());
    }
}
