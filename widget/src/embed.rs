//! What an embed may preset besides the survey, as the hosted survey page and e-mail
//! invitations use it: a score chosen before the page loaded (`data-score`), the
//! channel, the position, and the idempotency keys of answers.
//!
//! Pure (no DOM, no clock), so it is tested natively. Unknown values are no preset:
//! the widget then behaves as a plain embed would.

use nps_shared::Score;
use nps_shared::api::{Channel, Position};

/// `data-score`: 0 to 10 in decimal digits ("3", "10"); anything else is ignored.
pub fn preset_score(text: &str) -> Option<Score> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = text.bytes().fold(0u8, |n, b| n * 10 + (b - b'0'));
    Score::try_from(value).ok()
}

/// `data-channel`: `email` and `link` as given; anything else (also `api`, which is
/// no browser's channel) is `web`.
pub fn channel(text: &str) -> Channel {
    match text {
        "email" => Channel::Email,
        "link" => Channel::Link,
        _ => Channel::Web,
    }
}

/// `data-position`, overriding the survey theme's.
pub fn position(text: &str) -> Option<Position> {
    match text {
        "inline" => Some(Position::Inline),
        "bottom-right" => Some(Position::BottomRight),
        "bottom-left" => Some(Position::BottomLeft),
        _ => None,
    }
}

/// The Idempotency-Key of an invitation's answer: `tok-` and the FNV-1a 64 hash of
/// `token:score` in hex. Derived, not drawn, so a reload of the hosted page or a
/// second tab sending the same score gets the stored answer back (HTTP 200, same
/// edit token) instead of storing another one; another score is another request.
pub fn token_key(token: &str, score: Score) -> String {
    let value = score.value();
    let digits: &[u8] = if value >= 10 { b"10" } else { &[b'0' + value] };
    let hash = fnv1a64(token.bytes().chain([b':']).chain(digits.iter().copied()));
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut key = String::with_capacity(20);
    key.push_str("tok-");
    for shift in (0..16).rev() {
        key.push(char::from(HEX[((hash >> (shift * 4)) & 0xf) as usize]));
    }
    key
}

/// A UUID v4 from 16 random bytes (version and variant bits set), lower-case hex.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut key = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            key.push('-');
        }
        key.push(char::from(HEX[usize::from(b >> 4)]));
        key.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    key
}

fn fnv1a64(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(n: u8) -> Score {
        Score::try_from(n).expect("a score")
    }

    #[test]
    fn a_preset_score_is_an_integer_from_0_to_10() {
        for (text, value) in [
            ("0", 0),
            ("6", 6),
            ("7", 7),
            ("9", 9),
            ("10", 10),
            ("03", 3),
        ] {
            assert_eq!(preset_score(text), Some(score(value)), "{text}");
        }
        for text in ["", "11", "-1", "3.0", " 3", "3 ", "100", "x", "1e1", "+3"] {
            assert_eq!(preset_score(text), None, "{text:?}");
        }
    }

    #[test]
    fn only_email_and_link_change_the_channel() {
        assert_eq!(channel("email"), Channel::Email);
        assert_eq!(channel("link"), Channel::Link);
        for text in ["", "web", "api", "EMAIL"] {
            assert_eq!(channel(text), Channel::Web, "{text}");
        }
    }

    #[test]
    fn a_position_is_one_of_the_themes() {
        assert_eq!(position("inline"), Some(Position::Inline));
        assert_eq!(position("bottom-left"), Some(Position::BottomLeft));
        assert_eq!(position("bottom-right"), Some(Position::BottomRight));
        assert_eq!(position("top"), None);
    }

    #[test]
    fn a_uuid_has_its_version_and_variant() {
        assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    }

    #[test]
    fn the_hash_is_fnv1a_64() {
        assert_eq!(fnv1a64("".bytes()), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64("a".bytes()), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64("foobar".bytes()), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_token_key_is_stable_per_token_and_score() {
        let key = token_key("inv.abc", score(3));
        assert_eq!(key, token_key("inv.abc", score(3)));
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("tok-"));
        assert!(key[4..].bytes().all(|b| b.is_ascii_hexdigit()));
        let hash = fnv1a64("inv.abc:3".bytes());
        assert_eq!(u64::from_str_radix(&key[4..], 16), Ok(hash));
        assert_eq!(
            u64::from_str_radix(&token_key("inv.abc", score(10))[4..], 16),
            Ok(fnv1a64("inv.abc:10".bytes()))
        );
        assert_ne!(key, token_key("inv.abc", score(4)));
        assert_ne!(key, token_key("inv.abd", score(3)));
    }
}
