//! Standard Webhooks signatures: `webhook::verify` on any header and body never
//! panics, and a signature made with `sign` always verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::webhook;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const NOW: i64 = 1_649_367_553;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\n');
    let header = parts.next().unwrap_or_default();
    let msg_id = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let _ = webhook::verify(SECRET, msg_id, NOW, body, header, NOW);
    let _ = webhook::verify(header, msg_id, NOW, body, header, NOW);
    let _ = webhook::sign(header, msg_id, NOW, body);
    let signature = webhook::sign(SECRET, msg_id, NOW, body).expect("a valid secret signs");
    assert!(webhook::verify(SECRET, msg_id, NOW, body, &signature, NOW).is_ok());
    let _ = webhook::RetrySchedule::parse(text);
});
