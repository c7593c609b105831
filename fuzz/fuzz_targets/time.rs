//! RFC 3339 times from query strings and bodies: whatever `parse_rfc3339` accepts
//! prints back (in our canonical form) to the same instant.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::time::{parse_rfc3339, rfc3339};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(ms) = parse_rfc3339(text) {
        let printed = rfc3339(ms);
        assert_eq!(parse_rfc3339(&printed), Some(ms), "{text:?} -> {printed}");
    }
});
