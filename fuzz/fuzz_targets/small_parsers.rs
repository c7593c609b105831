//! The small parsers of query strings, headers and settings: rate-limit clients and
//! limits, report intervals, groupings and time-zone names (and a zone resolved from
//! offsets the input makes up), case statuses, owners and notes, categories.
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
    // "unknown", an IPv4 address, or an IPv6 /64 block (its host bits zero).
    let block = client
        .strip_suffix("/64")
        .and_then(|a| a.parse::<std::net::Ipv6Addr>().ok());
    assert!(
        client == "unknown"
            || client.parse::<std::net::Ipv4Addr>().is_ok()
            || block.is_some_and(|b| b.segments()[4..] == [0, 0, 0, 0]),
        "{client}"
    );
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
    if nps_shared::zone::is_zone_name(text) {
        assert!(text.len() <= nps_shared::zone::MAX_NAME_LEN && !text.contains(['.', '\0', ' ']));
        // Offsets from the input's bytes, changing wherever they say: the resolved
        // zone must agree with them at every sampled instant, or refuse.
        let bytes = text.as_bytes();
        let offset_at = |at: i64| {
            let i = usize::try_from(at.rem_euclid(97)).unwrap_or(0) % bytes.len();
            Some(i32::from(bytes[i]) * 15 - 900)
        };
        if let Ok(zone) = nps_shared::zone::Zone::resolve(text, 0, 400 * 86_400_000, offset_at) {
            for (at, offset) in zone.changes() {
                assert_eq!(Some(offset.minutes()), offset_at(*at));
            }
            let day = zone.local_day(200 * 86_400_000);
            assert_eq!(zone.local_day(zone.start_of_day(day)), day);
        }
    }
    if data.len() >= 8 {
        let now = i64::from_le_bytes(data[..8].try_into().unwrap_or_default());
        let seconds = rate_limit::retry_after_seconds(now);
        assert!((1..=60).contains(&seconds));
    }
});
