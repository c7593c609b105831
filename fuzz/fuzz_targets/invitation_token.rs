//! Invitation tokens from e-mail links: `invitation::verify` on any text never panics
//! and never accepts a token that differs from a genuine one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::invitation::{self, Claims};

const SECRET: &[u8] = b"fuzzing-secret-of-some-length";
const NOW: i64 = 1_764_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = invitation::verify(SECRET, text, NOW);
    // A genuine token with the fuzz input as its order id verifies; changing any one
    // character of it does not.
    let claims: Claims = match serde_json::from_value(serde_json::json!({
        "i": "inv_01jd0000000000000000000000", "s": "s_demo", "o": text, "e": NOW + 3600
    })) {
        Ok(claims) => claims,
        Err(_) => return,
    };
    let Ok(token) = invitation::sign(SECRET, &claims) else {
        return;
    };
    let verified = invitation::verify(SECRET, &token, NOW);
    if token.len() <= 1024 {
        assert_eq!(
            verified.ok().and_then(|c| c.order_id).as_deref(),
            Some(text)
        );
    }
    if !token.is_empty() {
        let position = data.len() % token.len();
        let mut tampered = token.clone().into_bytes();
        tampered[position] = if tampered[position] == b'A' {
            b'B'
        } else {
            b'A'
        };
        if let Ok(tampered) = String::from_utf8(tampered)
            && tampered != token
        {
            assert!(invitation::verify(SECRET, &tampered, NOW).is_err());
        }
    }
});
