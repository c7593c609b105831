//! Opaque, prefixed, time-ordered ids (`r_01jd…`), made from a millisecond timestamp
//! and random bytes that the caller supplies (the worker reads them from
//! `crypto.getRandomValues`). Ids sort by creation time, which lets lists page by id.

/// Crockford's base32, lower case: no i, l, o, u to misread.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Length of the part after the prefix: 10 characters of time, 16 of randomness.
pub const BODY_LEN: usize = 26;

/// `prefix` + 48 bits of `unix_ms` + 80 random bits, base32 encoded (like a ULID).
pub fn new_id(prefix: &str, unix_ms: u64, random: [u8; 10]) -> String {
    let mut value: u128 = u128::from(unix_ms & 0xFFFF_FFFF_FFFF) << 80;
    for (i, byte) in random.iter().enumerate() {
        value |= u128::from(*byte) << (72 - 8 * i);
    }
    let mut out = String::with_capacity(prefix.len() + BODY_LEN);
    out.push_str(prefix);
    for i in (0..BODY_LEN).rev() {
        let index = ((value >> (5 * i)) & 31) as usize;
        out.push(ALPHABET[index] as char);
    }
    out
}

/// When an id of ours was made (Unix milliseconds), read back from its first ten
/// characters; `None` for anything that is not one of our ids.
pub fn timestamp_ms(prefix: &str, id: &str) -> Option<u64> {
    if !is_id(prefix, id) {
        return None;
    }
    let body = &id.as_bytes()[prefix.len()..prefix.len() + 10];
    body.iter().try_fold(0u64, |acc, b| {
        let digit = ALPHABET.iter().position(|a| a == b)? as u64;
        Some(acc << 5 | digit)
    })
}

/// Whether `id` looks like one of ours with this prefix (cheap check before a lookup).
pub fn is_id(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|body| body.len() == BODY_LEN && body.bytes().all(|b| ALPHABET.contains(&b)))
}

/// A random secret of `N` bytes rendered as base32 (for edit tokens).
pub fn token<const N: usize>(random: [u8; N]) -> String {
    let mut out = String::with_capacity(N * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in random {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_prefix_and_fixed_length() {
        let id = new_id("r_", 1_764_000_000_000, [7; 10]);
        assert!(id.starts_with("r_"));
        assert_eq!(id.len(), 2 + BODY_LEN);
        assert!(is_id("r_", &id));
        assert!(!is_id("s_", &id));
        assert!(!is_id("r_", "r_short"));
    }

    #[test]
    fn an_ids_time_can_be_read_back() {
        let id = new_id("inv_", 1_764_000_123_456, [9; 10]);
        assert_eq!(timestamp_ms("inv_", &id), Some(1_764_000_123_456));
        assert_eq!(timestamp_ms("inv_", "inv_short"), None);
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let a = new_id("r_", 1_000, [255; 10]);
        let b = new_id("r_", 1_001, [0; 10]);
        assert!(a < b);
    }

    #[test]
    fn different_randomness_gives_different_ids() {
        assert_ne!(new_id("r_", 5, [1; 10]), new_id("r_", 5, [2; 10]));
    }

    #[test]
    fn tokens_encode_every_bit() {
        assert_eq!(token([0u8; 5]), "00000000");
        assert_eq!(token([255u8; 5]), "zzzzzzzz");
        assert_eq!(token([0u8; 20]).len(), 32);
    }
}
