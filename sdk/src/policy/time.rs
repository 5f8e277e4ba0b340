//! Points in time as the circuits see them: whole Unix seconds.

use std::fmt;
use std::str::FromStr;

/// A point in time, whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// Why a text is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 3339 date-time with an offset at or after 1970 (e.g. `2026-01-01T00:00:00Z`)")]
pub struct TimestampError(pub String);

impl Timestamp {
    /// The time `secs` seconds after the Unix epoch.
    pub fn from_unix(secs: u64) -> Self {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> u64 {
        self.0
    }

    /// The current time from the system clock (truncated to whole seconds).
    pub fn now() -> Self {
        let secs = chrono::Utc::now().timestamp();
        Timestamp(u64::try_from(secs).unwrap_or(0))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, e.g. `2026-01-01T00:00:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match i64::try_from(self.0)
            .ok()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        {
            Some(t) => write!(f, "{}", t.format("%Y-%m-%dT%H:%M:%SZ")),
            None => write!(f, "@{}", self.0),
        }
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    /// Reads RFC 3339 with an offset; fractions of a second are refused.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TimestampError(s.to_string());
        let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| bad())?;
        if t.timestamp_subsec_nanos() != 0 {
            return Err(bad());
        }
        u64::try_from(t.timestamp())
            .map(Timestamp)
            .map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_rfc3339() {
        let t: Timestamp = "2026-03-01T12:30:00+01:00".parse().unwrap();
        assert_eq!(t.to_string(), "2026-03-01T11:30:00Z");
        assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
        assert!("2026-03-01T12:30:00".parse::<Timestamp>().is_err());
        assert!("1960-01-01T00:00:00Z".parse::<Timestamp>().is_err());
        assert!("2026-03-01T12:30:00.25Z".parse::<Timestamp>().is_err());
    }
}
