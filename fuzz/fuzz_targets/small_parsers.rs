//! The small parsers of query strings, headers and settings: rate-limit clients and
//! limits, report intervals and groupings, case statuses, owners and notes,
//! categories.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::case::{CaseStatus, Note, Owner};
use nps_shared::rate_limit;
use nps_shared::report::{GroupBy, Interval};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let client = rate_limit::client(Some(text));
    assert!(client == "unknown" || client.parse::<std::net::IpAddr>().is_ok());
    assert!(!client.contains('|'));
    if let Some(n) = rate_limit::parse_limit(text) {
        assert!((1..=rate_limit::MAX_PER_MINUTE).contains(&n));
    }
    let _ = Interval::parse(text);
    let _ = GroupBy::parse(text);
    let _ = CaseStatus::parse(text);
    let _ = Owner::parse(text);
    let _ = Note::parse(text);
    let _ = nps_shared::Category::parse(text);
    if data.len() >= 8 {
        let now = i64::from_le_bytes(data[..8].try_into().unwrap_or_default());
        let seconds = rate_limit::retry_after_seconds(now);
        assert!((1..=60).contains(&seconds));
    }
});
