//! Why a report cannot be made as asked: one error for the whole report, so the
//! worker maps each case to the query parameter at fault in one `match`.
//!
//! Below every other part of the report; depends only on [`super::interval`] (the
//! interval named in a refusal) and [`crate::zone`] (whose errors it repeats), never
//! on the parts that return it.

use super::interval::Interval;
use crate::zone::ZoneError;

/// Why a report cannot be made as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("utc_offset_minutes must be between -1080 and 1080")]
    OffsetOutOfRange,
    #[error("from must be before to")]
    EmptyRange,
    #[error(
        "more than {max} {interval} buckets between the first and the last answer; choose a longer interval or a shorter range"
    )]
    TooManyBuckets { interval: Interval, max: usize },
    #[error("created_at is not an RFC 3339 UTC timestamp")]
    BadTimestamp,
    #[error("time_zone must be an IANA time zone name such as Europe/Berlin")]
    UnknownTimeZone,
    #[error(
        "the time zone changes its offset more than {max} times in the range; choose a shorter range"
    )]
    TooManyZoneChanges { max: usize },
}

impl From<ZoneError> for ReportError {
    fn from(error: ZoneError) -> Self {
        match error {
            ZoneError::OffsetOutOfRange => ReportError::OffsetOutOfRange,
            ZoneError::UnknownTimeZone => ReportError::UnknownTimeZone,
            ZoneError::TooManyZoneChanges { max } => ReportError::TooManyZoneChanges { max },
        }
    }
}
