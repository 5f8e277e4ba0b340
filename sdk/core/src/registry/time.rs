//! Registry times: whole seconds in UTC, written as RFC 3339 (`2025-01-31T12:00:00Z`).
//!
//! Every time in a registry document is a [`Timestamp`]: a whole number of seconds since the Unix
//! epoch, between 1970-01-01 and 9999-12-31. Documents carry exactly one text form (the canonical
//! one, with a `Z` and no fraction), so a time never has two encodings under a signature. Command
//! line arguments may use any RFC 3339 offset; they are converted to UTC.
//!
//! Nothing in this module reads the clock except [`Timestamp::now`], which only the command line
//! calls: checks take the time they judge by as an argument.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The last second a registry time can name (9999-12-31T23:59:59Z).
const MAX_UNIX: i64 = 253_402_300_799;

/// Why a text or number is not a registry time or duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not RFC 3339 at all.
    #[error("`{0}` is not an RFC 3339 time (expected e.g. `2025-01-31T12:00:00Z`)")]
    Syntax(String),
    /// RFC 3339, but not the one form documents use.
    #[error("`{0}` is not a canonical registry time: expected UTC with `Z` and whole seconds, e.g. `2025-01-31T12:00:00Z`")]
    NotCanonical(String),
    /// Has a fraction of a second.
    #[error("`{0}` has a fraction of a second: registry times are whole seconds")]
    Fraction(String),
    /// Before 1970 or after 9999.
    #[error("`{0}` is outside the years 1970 to 9999")]
    OutOfRange(String),
    /// A duration that does not parse.
    #[error("`{0}` is not a duration: expected a positive whole number and a unit, e.g. `30d`, `12h`, `90m` or `45s`")]
    Duration(String),
}

/// A point in time: whole seconds since the Unix epoch, in 1970..=9999.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The time `secs` seconds after the Unix epoch; refuses times after 9999-12-31T23:59:59Z.
    pub fn from_unix(secs: u64) -> Result<Self, TimeError> {
        match i64::try_from(secs) {
            Ok(s) if s <= MAX_UNIX => Ok(Timestamp(s)),
            _ => Err(TimeError::OutOfRange(secs.to_string())),
        }
    }

    /// The current time from the system clock, truncated to the second. Only the command line
    /// calls this; library checks take their time as an argument. Not on wasm32, where the
    /// caller passes the time in.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn now() -> Self {
        let secs = Utc::now().timestamp().clamp(0, MAX_UNIX);
        Timestamp(secs)
    }

    /// Reads any RFC 3339 time with whole seconds (any offset) and converts it to UTC: the form
    /// accepted on the command line.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let parsed =
            DateTime::parse_from_rfc3339(text).map_err(|_| TimeError::Syntax(text.to_string()))?;
        if parsed.timestamp_subsec_nanos() != 0 {
            return Err(TimeError::Fraction(text.to_string()));
        }
        let secs = parsed.timestamp();
        if !(0..=MAX_UNIX).contains(&secs) {
            return Err(TimeError::OutOfRange(text.to_string()));
        }
        Ok(Timestamp(secs))
    }

    /// Reads only the canonical form documents use: `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn parse_canonical(text: &str) -> Result<Self, TimeError> {
        let t = Self::parse(text)?;
        if t.to_rfc3339() != text {
            return Err(TimeError::NotCanonical(text.to_string()));
        }
        Ok(t)
    }

    /// Seconds since the Unix epoch (never negative).
    pub fn unix(&self) -> u64 {
        // The constructors keep the value in 0..=MAX_UNIX.
        self.0.unsigned_abs()
    }

    /// The canonical text form, e.g. `2025-01-31T12:00:00Z`.
    pub fn to_rfc3339(&self) -> String {
        self.as_datetime()
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// The time as a chrono value.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        // Every value in 0..=MAX_UNIX is representable.
        DateTime::from_timestamp(self.0, 0).unwrap_or(DateTime::UNIX_EPOCH)
    }

    /// This time plus a duration; refuses results after 9999.
    pub fn checked_add(&self, span: TimeSpan) -> Result<Self, TimeError> {
        let secs = self
            .0
            .checked_add(i64::try_from(span.0).unwrap_or(i64::MAX))
            .filter(|s| *s <= MAX_UNIX)
            .ok_or_else(|| TimeError::OutOfRange(format!("{self} + {span}")))?;
        Ok(Timestamp(secs))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;
    /// Same as [`Timestamp::parse`] (any offset, whole seconds).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    /// Reads only the canonical form.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_canonical(&s).map_err(serde::de::Error::custom)
    }
}

impl crate::json::FromJson for Timestamp {
    /// Reads only the canonical form.
    fn from_json(node: &crate::json::Node) -> Result<Self, crate::json::Error> {
        node.parse_str("a time", Timestamp::parse_canonical)
    }
}

/// A positive length of time in whole seconds, written `30d`, `12h`, `90m` or `45s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeSpan(u64);

impl TimeSpan {
    /// A span of `days` days; refuses zero.
    pub fn days(days: u64) -> Result<Self, TimeError> {
        days.checked_mul(86_400)
            .filter(|s| *s > 0)
            .map(TimeSpan)
            .ok_or_else(|| TimeError::Duration(format!("{days}d")))
    }

    /// The span in seconds.
    pub fn seconds(&self) -> u64 {
        self.0
    }
}

impl FromStr for TimeSpan {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || TimeError::Duration(s.to_string());
        let split = s.len().checked_sub(1).ok_or_else(err)?;
        let (number, unit) = s.split_at(split);
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let n: u64 = number.parse().map_err(|_| err())?;
        let per = match unit {
            "d" => 86_400,
            "h" => 3_600,
            "m" => 60,
            "s" => 1,
            _ => return Err(err()),
        };
        n.checked_mul(per)
            .filter(|v| *v > 0)
            .map(TimeSpan)
            .ok_or_else(err)
    }
}

impl fmt::Display for TimeSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(86_400) {
            write!(f, "{}d", self.0 / 86_400)
        } else {
            write!(f, "{}s", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_round_trips_and_others_are_refused() {
        let t = Timestamp::parse_canonical("2025-01-31T12:00:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-31T12:00:00Z");
        assert_eq!(t.unix(), 1_738_324_800);
        assert!(matches!(
            Timestamp::parse_canonical("2025-01-31T13:00:00+01:00"),
            Err(TimeError::NotCanonical(_))
        ));
        assert_eq!(Timestamp::parse("2025-01-31T13:00:00+01:00").unwrap(), t);
        assert!(matches!(
            Timestamp::parse("2025-01-31T12:00:00.5Z"),
            Err(TimeError::Fraction(_))
        ));
        assert!(matches!(
            Timestamp::parse("1969-12-31T23:59:59Z"),
            Err(TimeError::OutOfRange(_))
        ));
        assert!(matches!(
            Timestamp::parse("yesterday"),
            Err(TimeError::Syntax(_))
        ));
        assert!(serde_json::from_str::<Timestamp>("\"2025-01-31t12:00:00z\"").is_err());
    }

    #[test]
    fn spans_parse_and_add() {
        let t = Timestamp::from_unix(0).unwrap();
        let d: TimeSpan = "30d".parse().unwrap();
        assert_eq!(
            t.checked_add(d).unwrap().to_rfc3339(),
            "1970-01-31T00:00:00Z"
        );
        assert_eq!("90m".parse::<TimeSpan>().unwrap().seconds(), 5_400);
        for bad in ["", "d", "0d", "-1d", "1w", "1.5d", "99999999999999999999d"] {
            assert!(bad.parse::<TimeSpan>().is_err(), "{bad}");
        }
        let late = Timestamp::parse("9999-12-31T00:00:00Z").unwrap();
        assert!(late.checked_add(d).is_err());
    }
}
