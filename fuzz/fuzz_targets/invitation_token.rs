//! Invitation tokens from e-mail links: `invitation::read` on any text never panics
//! and never accepts a token that differs from a genuine one — neither a v2 reference
//! (`v2.<invitation id>.<mac>`) nor a v1 token still out in e-mails (claims in the link).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::invitation::{self, Claims, Token};

const SECRET: &[u8] = b"fuzzing-secret-of-some-length";
const NOW: i64 = 1_764_000_000;

/// One character of `token` changed (chosen by the input's length); none changed
/// verifies.
fn assert_tampering_is_refused(data: &[u8], token: &str) {
    if token.is_empty() {
        return;
    }
    let position = data.len() % token.len();
    let mut tampered = token.as_bytes().to_vec();
    tampered[position] = if tampered[position] == b'A' { b'B' } else { b'A' };
    if let Ok(tampered) = String::from_utf8(tampered)
        && tampered != token
    {
        assert!(invitation::read(SECRET, &tampered, NOW).is_err(), "{tampered}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = invitation::read(SECRET, text, NOW);

    // v2: the fuzz input as the invitation id, when it is one we could have made.
    if let Ok(token) = invitation::sign(SECRET, text) {
        assert!(!token.contains('@'), "a reference carries no address");
        match invitation::read(SECRET, &token, NOW) {
            Ok(Token::Reference(id)) => assert_eq!(id, text),
            other => panic!("a genuine v2 token read as {other:?}"),
        }
        assert_tampering_is_refused(data, &token);
    }

    // v1: a genuine token with the fuzz input as its order id.
    let claims: Claims = match serde_json::from_value(serde_json::json!({
        "i": "inv_01jd0000000000000000000000", "s": "s_demo", "o": text, "e": NOW + 3600
    })) {
        Ok(claims) => claims,
        Err(_) => return,
    };
    let Ok(token) = invitation::sign_v1(SECRET, &claims) else {
        return;
    };
    match invitation::read(SECRET, &token, NOW) {
        Ok(Token::Legacy(read)) => assert_eq!(read.order_id.as_deref(), Some(text)),
        other => panic!("a genuine v1 token read as {other:?}"),
    }
    assert_tampering_is_refused(data, &token);
});
