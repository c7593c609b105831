//! Ids from paths and cursors, and locale tags from query strings and bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::{ids, locale};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for prefix in ["r_", "s_", "wh_", "dl_", "c_", "inv_"] {
        if ids::timestamp_ms(prefix, text).is_some() {
            assert!(ids::is_id(prefix, text));
        }
    }
    if data.len() >= 18 {
        // Ids hold 48 bits of milliseconds (until the year 10889).
        let ms = u64::from_le_bytes(data[..8].try_into().unwrap_or_default()) >> 16;
        let random: [u8; 10] = data[8..18].try_into().unwrap_or_default();
        let id = ids::new_id("r_", ms, random);
        assert!(ids::is_id("r_", &id));
        assert_eq!(ids::timestamp_ms("r_", &id), Some(ms));
    }
    let valid = locale::is_valid_tag(text);
    let available = ["en", "de", "de-AT", "pt-BR"];
    let chosen = locale::best_match(Some(text), &available, "en");
    assert!(available.contains(&chosen));
    if valid && available.contains(&text) {
        assert_eq!(chosen, text);
    }
});
