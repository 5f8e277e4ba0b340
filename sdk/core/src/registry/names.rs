//! Names and short texts in registry documents, checked once at construction.
//!
//! - **Names** (model ids, model versions, circuit profiles, the three parts of a scope) are 1 to 64
//!   ASCII letters, digits, `-`, `_`, `.` or `+`, starting with a letter or digit. They become field
//!   elements through [`crate::commit::label`], so their bytes are part of the commitments.
//! - **Notes** (who approved an entry, why it was revoked, who holds a key) are one line of 1 to 200
//!   characters, without control characters or surrounding spaces, and without characters that
//!   change how the text around them shows while showing nothing themselves ([`is_hidden`]):
//!   bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069), which can make
//!   `registry show` display text in another order than it is stored, zero-width and other format
//!   characters, spaces other than the plain one, line and paragraph separators, variation
//!   selectors and tag characters.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Longest name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Longest note, in characters.
pub const MAX_NOTE_LEN: usize = 200;

/// Why a text is not a valid name or note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {what}: {problem}")]
pub struct NameError {
    /// What the text was meant to be (e.g. `model id`).
    pub what: &'static str,
    /// The text given.
    pub value: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

fn check_name(s: &str, what: &'static str) -> Result<(), NameError> {
    let err = |problem| NameError {
        what,
        value: s.to_string(),
        problem,
    };
    let first = s.bytes().next().ok_or_else(|| err("it is empty"))?;
    if s.len() > MAX_NAME_LEN {
        return Err(err("it is longer than 64 bytes"));
    }
    if !first.is_ascii_alphanumeric() {
        return Err(err("it must start with a letter or digit"));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
    {
        return Err(err(
            "only ASCII letters, digits, `-`, `_`, `.` and `+` are allowed",
        ));
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks the text against the naming rules.
            pub fn new(text: &str) -> Result<Self, NameError> {
                check_name(text, $what)?;
                Ok($name(text.to_string()))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The field element the circuits see ([`crate::commit::label`] of the text).
            pub fn label(&self) -> crate::field::Field {
                crate::commit::label(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(&s).map_err(serde::de::Error::custom)
            }
        }

        impl crate::json::FromJson for $name {
            fn from_json(node: &crate::json::Node) -> Result<Self, crate::json::Error> {
                node.parse_str(concat!("a ", $what), Self::new)
            }
        }
    };
}

name_type!(
    /// A model's identifier, e.g. `credit-risk-gbm`.
    ModelId,
    "model id"
);
name_type!(
    /// A model's version, e.g. `2.1.0`.
    ModelVersion,
    "model version"
);
name_type!(
    /// The name of the circuit profile a model is proved with, e.g. `small`.
    ProfileName,
    "circuit profile name"
);
name_type!(
    /// One part of a decision scope: a purpose, jurisdiction or product, e.g. `EU-DE`.
    ScopePart,
    "scope part"
);

/// One line of human text: who approved, why something was revoked, who holds a key.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Note(String);

impl Note {
    /// Checks the text: 1 to 200 characters, no control characters, no surrounding spaces.
    pub fn new(text: &str) -> Result<Self, NameError> {
        let err = |problem| NameError {
            what: "note",
            value: text.to_string(),
            problem,
        };
        if text.is_empty() {
            return Err(err("it is empty"));
        }
        if text.chars().count() > MAX_NOTE_LEN {
            return Err(err("it is longer than 200 characters"));
        }
        if text.chars().any(char::is_control) {
            return Err(err("it contains a control character such as a line break"));
        }
        if text.trim() != text {
            return Err(err("it starts or ends with a space"));
        }
        if let Some(c) = text.chars().find(|&c| is_hidden(c)) {
            return Err(NameError {
                what: "note",
                value: escape_hidden(text),
                problem: hidden_problem(c),
            });
        }
        Ok(Note(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Note {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Note({:?})", self.0)
    }
}

impl<'de> Deserialize<'de> for Note {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

impl crate::json::FromJson for Note {
    fn from_json(node: &crate::json::Node) -> Result<Self, crate::json::Error> {
        node.parse_str("a note", Self::new)
    }
}

/// Whether `c` is a character that shows nothing itself but can change how the text around it is
/// shown: the Unicode format characters (general category Cf, which holds the bidirectional
/// controls and the zero-width characters), line and paragraph separators, spaces other than
/// U+0020, fillers that render blank, variation selectors, and tag characters.
pub fn is_hidden(c: char) -> bool {
    matches!(
        c as u32,
        // Format characters (Cf), as of Unicode 15.
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
            // Separators other than the plain space (Zs, Zl, Zp).
            | 0x00A0
            | 0x1680
            | 0x2000..=0x200A
            | 0x2028..=0x2029
            | 0x202F
            | 0x205F
            | 0x3000
            // Blank fillers, the combining grapheme joiner, variation selectors.
            | 0x034F
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180D
            | 0x180F
            | 0x3164
            | 0xFFA0
            | 0xFE00..=0xFE0F
            | 0xE0100..=0xE01EF
    )
}

fn hidden_problem(c: char) -> &'static str {
    match c as u32 {
        0x202A..=0x202E | 0x2066..=0x2069 | 0x200E | 0x200F | 0x061C => {
            "it contains a bidirectional control character, which can make the text show in another order than it is stored"
        }
        0x00A0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 => {
            "it contains a space other than the plain space"
        }
        _ => "it contains an invisible or formatting character",
    }
}

/// `text` with its hidden characters written as `\u{...}`, so an error message shows where they
/// are instead of acting on the terminal that shows it.
fn escape_hidden(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_hidden(c) {
                format!("\\u{{{:04x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Text quoted in an error message, cut to its first 40 characters (with the full length said)
/// so that an oversized value from a file cannot flood the message.
pub fn shorten(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        let head: String = text.chars().take(SHOWN).collect();
        format!("{head}... ({} characters)", text.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules() {
        assert!(ModelId::new("credit-risk_gbm.v2+b").is_ok());
        for bad in ["", "-x", "a b", "a/b", "é", &"a".repeat(65)] {
            assert!(ModelId::new(bad).is_err(), "{bad:?}");
        }
        let e = ModelVersion::new("a/b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`a/b` is not a valid model version: only ASCII letters, digits, `-`, `_`, `.` and `+` are allowed"
        );
        assert!(serde_json::from_str::<ScopePart>("\"EU DE\"").is_err());
    }

    #[test]
    fn notes_are_one_trimmed_line() {
        assert!(Note::new("Model Risk Committee, minute 2025-14 (Müller)").is_ok());
        for bad in ["", " x", "x ", "a\nb", &"x".repeat(201)] {
            assert!(Note::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn notes_refuse_bidi_controls_and_invisible_characters() {
        let e = Note::new("Approved by \u{202e}eettimmoc ksir").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`Approved by \\u{202e}eettimmoc ksir` is not a valid note: it contains a bidirectional \
             control character, which can make the text show in another order than it is stored"
        );
        for c in [
            '\u{202a}',
            '\u{202d}',
            '\u{2066}',
            '\u{2069}',
            '\u{200b}',
            '\u{200d}',
            '\u{feff}',
            '\u{00ad}',
            '\u{00a0}',
            '\u{2028}',
            '\u{fe0f}',
            '\u{e0041}',
            '\u{061c}',
        ] {
            let text = format!("a{c}b");
            assert!(Note::new(&text).is_err(), "{:04x}", c as u32);
            let json = serde_json::to_string(&text).unwrap();
            assert!(
                serde_json::from_str::<Note>(&json).is_err(),
                "{:04x}",
                c as u32
            );
        }
        assert!(Note::new("Müller, Ørsted & Zhāng (风险委员会)").is_ok());
    }
}
