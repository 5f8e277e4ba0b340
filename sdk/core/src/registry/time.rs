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
        let secs = chrono::Utc::now().timestamp().clamp(0, MAX_UNIX);
        Timestamp(secs)
    }

    /// Reads any RFC 3339 time with whole seconds (any offset) and converts it to UTC: the form
    /// accepted on the command line. RFC 3339's grammar exactly: `T`, `t` or a space between the
    /// date and the time (RFC 3339 section 5.6 allows the space), `Z`, `z` or `±HH:MM`; a leap
    /// second (`:60`) is refused, since Unix time has none.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let syntax = || TimeError::Syntax(text.to_string());
        let t = Rfc3339::parse(text).ok_or_else(syntax)?;
        if t.fraction {
            return Err(TimeError::Fraction(text.to_string()));
        }
        let secs = days_from_civil(t.year, t.month, t.day) * 86_400
            + i64::from(t.hour) * 3600
            + i64::from(t.minute) * 60
            + i64::from(t.second)
            - i64::from(t.offset_minutes) * 60;
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
        let (days, secs) = (self.0.div_euclid(86_400), self.0.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }

    /// The time as a chrono value (not on wasm32, whose build has no chrono).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn as_datetime(&self) -> chrono::DateTime<chrono::Utc> {
        // Every value in 0..=MAX_UNIX is representable.
        chrono::DateTime::from_timestamp(self.0, 0).unwrap_or(chrono::DateTime::UNIX_EPOCH)
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

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`, exact for every year).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The days of a month.
pub(crate) fn month_days(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 0,
    }
}

/// An RFC 3339 `date-time`, its fields checked (the day exists, the time is of a day).
struct Rfc3339 {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    fraction: bool,
    offset_minutes: i32,
}

impl Rfc3339 {
    fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let num = |at: usize, n: usize| -> Option<u32> {
            let d = b.get(at..at + n)?;
            d.iter()
                .all(u8::is_ascii_digit)
                .then(|| d.iter().fold(0, |a, &c| a * 10 + u32::from(c - b'0')))
        };
        let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
        if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
            return None;
        }
        let (year, month, day) = (i64::from(num(0, 4)?), num(5, 2)?, num(8, 2)?);
        let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
        if !(1..=12).contains(&month)
            || day == 0
            || day > month_days(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        let mut i = 19;
        let mut fraction = false;
        if at(i, b".") {
            let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            fraction = b[i + 1..i + 1 + n].iter().any(|&c| c != b'0');
            i += 1 + n;
        }
        let offset_minutes = match b.get(i) {
            Some(b'Z' | b'z') if b.len() == i + 1 => 0,
            Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && at(i + 3, b":") => {
                let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
                if h > 23 || m > 59 {
                    return None;
                }
                let minutes = (h * 60 + m) as i32;
                if sign == b'-' {
                    -minutes
                } else {
                    minutes
                }
            }
            _ => return None,
        };
        Some(Rfc3339 {
            year,
            month,
            day,
            hour,
            minute,
            second,
            fraction,
            offset_minutes,
        })
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
    fn the_calendar_agrees_with_chrono() {
        use chrono::{DateTime, Datelike, NaiveDate};
        // Every day of 1970 to 9999, both ways.
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for days in 0..=days_from_civil(9999, 12, 31) {
            let d = epoch + chrono::Days::new(days as u64);
            let (y, m, dd) = civil_from_days(days);
            assert_eq!((y, m, dd), (i64::from(d.year()), d.month(), d.day()));
            assert_eq!(days_from_civil(y, m, dd), days);
        }
        // Times read as chrono reads them (which allows leap seconds and any fraction).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = (x % 253_402_300_800) as i64;
            let off = (x >> 40) as i32 % (24 * 60);
            let sep = ["T", "t", " "][(x >> 20) as usize % 3];
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let local = t + chrono::Duration::minutes(i64::from(off));
            let text = format!(
                "{}{sep}{}{}{:02}:{:02}",
                local.format("%Y-%m-%d"),
                local.format("%H:%M:%S"),
                if off < 0 { '-' } else { '+' },
                off.unsigned_abs() / 60,
                off.unsigned_abs() % 60
            );
            let ours = Timestamp::parse(&text).map(|t| t.unix() as i64).ok();
            let theirs = DateTime::parse_from_rfc3339(&text)
                .ok()
                .map(|t| t.timestamp())
                .filter(|s| (0..=MAX_UNIX).contains(s));
            assert_eq!(ours, theirs, "{text}");
            if let Some(s) = ours {
                assert_eq!(
                    Timestamp(s).to_rfc3339(),
                    DateTime::from_timestamp(s, 0)
                        .unwrap()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
            }
        }
        for bad in [
            "2025-02-29T00:00:00Z",
            "2025-01-31T24:00:00Z",
            "2025-01-31T12:00:60Z",
            "2025-01-31T12:00:00",
            "2025-01-31T12:00:00+01",
            "2025-01-31T12:00Z",
            "2025-1-31T12:00:00Z",
            "2025-01-31T12:00:00.Z",
            "2025-01-31T12:00:00Zx",
            "+2025-01-31T12:00:00Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
        assert!(Timestamp::parse("2024-02-29T00:00:00.000Z").is_ok());
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
