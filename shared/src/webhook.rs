//! Standard Webhooks (standardwebhooks.com) signatures: the receiver recomputes
//! `base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}"))` with the
//! endpoint's `whsec_` secret and compares. The timestamp is signed too, so a captured
//! request cannot be replayed later (receivers reject old timestamps).
//!
//! A secret is rotated with an overlap: for a while a request carries one signature per
//! secret, space-separated in one header (the specification allows several, and a
//! receiver accepts the request when any of them matches its secret), so a receiver can
//! switch to the new secret at its own pace.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SECRET_PREFIX: &str = "whsec_";

/// How long a receiver accepts a signed timestamp either side of its clock.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the secret is not whsec_ followed by base64")]
    BadSecret,
    #[error("no signature matches")]
    NoMatch,
    #[error("the timestamp is too far from now")]
    Stale,
}

/// A new endpoint secret from 24 random bytes: `whsec_` + base64.
pub fn new_secret(random: [u8; 24]) -> String {
    format!("{SECRET_PREFIX}{}", BASE64.encode(random))
}

fn key(secret: &str) -> Result<Vec<u8>, SignatureError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    BASE64
        .decode(encoded)
        .map_err(|_| SignatureError::BadSecret)
}

fn mac(key: &[u8], msg_id: &str, timestamp: i64, body: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac
}

/// The `webhook-signature` header value: `v1,<base64>`.
pub fn sign(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, SignatureError> {
    let tag = mac(&key(secret)?, msg_id, timestamp, body)
        .finalize()
        .into_bytes();
    Ok(format!("v1,{}", BASE64.encode(tag)))
}

/// The `webhook-signature` header value with one `v1,<base64>` per secret, in the
/// order given, space-separated.
pub fn sign_all(
    secrets: &[&str],
    msg_id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, SignatureError> {
    let signatures: Result<Vec<String>, SignatureError> = secrets
        .iter()
        .map(|secret| sign(secret, msg_id, timestamp, body))
        .collect();
    Ok(signatures?.join(" "))
}

/// The longest a replaced secret may keep signing after a rotation: a week.
pub const MAX_OVERLAP_HOURS: u32 = 7 * 24;
/// How long a replaced secret keeps signing when the rotation does not say.
pub const DEFAULT_OVERLAP_HOURS: u32 = 24;

/// Whether a replaced secret whose overlap ends at `expires_at` still signs at `now`
/// (both RFC 3339 UTC with milliseconds, as `time::rfc3339` writes them, so that
/// they compare as text): up to the instant before, not at it.
pub fn still_signs(expires_at: &str, now: &str) -> bool {
    now < expires_at
}

/// Checks a `webhook-signature` header (space-separated `v1,<base64>` entries, any of
/// which may match, to allow secret rotation) and the timestamp's freshness.
pub fn verify(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &str,
    header: &str,
    now: i64,
) -> Result<(), SignatureError> {
    if (now - timestamp).abs() > DEFAULT_TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let key = key(secret)?;
    let matched = header
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|b64| BASE64.decode(b64).ok())
        .any(|tag| {
            mac(&key, msg_id, timestamp, body)
                .verify_slice(&tag)
                .is_ok()
        });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

/// When to try a failed delivery again. The default spreads 10 attempts over about a
/// day; tests and local setups pass a short schedule (`WEBHOOK_RETRY_SCHEDULE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule {
    /// Seconds to wait after attempt 1, 2, …; its length is the number of retries.
    delays: Vec<u32>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        // 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 6 h, 8 h: about 22 h in all.
        RetrySchedule {
            delays: vec![30, 120, 600, 1800, 3600, 7200, 14_400, 21_600, 28_800],
        }
    }
}

impl RetrySchedule {
    /// Parses `"5,30,120"` (seconds). Queues cap a delay at 12 hours.
    pub fn parse(text: &str) -> Option<RetrySchedule> {
        let delays: Option<Vec<u32>> = text
            .split(',')
            .map(|part| part.trim().parse::<u32>().ok().filter(|d| *d <= 43_200))
            .collect();
        delays
            .filter(|d| !d.is_empty() && d.len() <= 50)
            .map(|delays| RetrySchedule { delays })
    }

    /// Total attempts, the first one included.
    pub fn max_attempts(&self) -> u32 {
        self.delays.len() as u32 + 1
    }

    /// Seconds to wait before the attempt after `attempt` failed, or `None` when that
    /// was the last. `jitter` (any byte, random in production) spreads retries by up
    /// to ±20 % so that endpoints coming back are not hit by a thundering herd.
    pub fn delay_after(&self, attempt: u32, jitter: u8) -> Option<u32> {
        let base = *self.delays.get(attempt.checked_sub(1)? as usize)?;
        let spread = base / 5;
        let offset = (u64::from(spread) * 2 * u64::from(jitter) / 255) as u32;
        Some((base - spread + offset).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test vector published with the Standard Webhooks specification.
    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TS: i64 = 1_649_367_553;
    const BODY: &str = r#"{"email":"test@example.com","username":"test_user"}"#;
    const SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    #[test]
    fn signing_reproduces_the_specification_vector() {
        assert_eq!(sign(SECRET, ID, TS, BODY).unwrap(), SIGNATURE);
    }

    #[test]
    fn the_vector_verifies_and_any_change_breaks_it() {
        assert_eq!(verify(SECRET, ID, TS, BODY, SIGNATURE, TS + 10), Ok(()));
        assert_eq!(
            verify(
                SECRET,
                ID,
                TS,
                &BODY.replace("test_user", "x"),
                SIGNATURE,
                TS
            ),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(SECRET, "msg_other", TS, BODY, SIGNATURE, TS),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(SECRET, ID, TS + 1, BODY, SIGNATURE, TS),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn old_timestamps_are_refused() {
        assert_eq!(
            verify(SECRET, ID, TS, BODY, SIGNATURE, TS + 3600),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn one_matching_signature_among_several_is_enough() {
        let header = format!("v1,AAAA v1a,zzz {SIGNATURE}");
        assert_eq!(verify(SECRET, ID, TS, BODY, &header, TS), Ok(()));
    }

    #[test]
    fn two_secrets_give_two_signatures_and_each_secret_verifies_the_header() {
        let old = new_secret([1; 24]);
        let new = new_secret([2; 24]);
        let header = sign_all(&[&new, &old], ID, TS, BODY).unwrap();
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign(&new, ID, TS, BODY).unwrap());
        assert_eq!(parts[1], sign(&old, ID, TS, BODY).unwrap());
        assert_eq!(verify(&old, ID, TS, BODY, &header, TS), Ok(()));
        assert_eq!(verify(&new, ID, TS, BODY, &header, TS), Ok(()));
        let other = new_secret([3; 24]);
        assert_eq!(
            verify(&other, ID, TS, BODY, &header, TS),
            Err(SignatureError::NoMatch)
        );
        // One secret: exactly the single signature.
        assert_eq!(sign_all(&[SECRET], ID, TS, BODY).unwrap(), SIGNATURE);
        assert_eq!(
            sign_all(&[SECRET, "whsec_???"], ID, TS, BODY),
            Err(SignatureError::BadSecret)
        );
    }

    #[test]
    fn a_replaced_secret_signs_until_the_instant_its_overlap_ends() {
        let ends = crate::time::rfc3339(1_000_000);
        assert!(still_signs(&ends, &crate::time::rfc3339(999_999)));
        assert!(!still_signs(&ends, &crate::time::rfc3339(1_000_000)));
        assert!(!still_signs(&ends, &crate::time::rfc3339(1_000_001)));
    }

    #[test]
    fn new_secrets_round_trip() {
        let secret = new_secret([9; 24]);
        assert!(secret.starts_with("whsec_"));
        let sig = sign(&secret, ID, TS, BODY).unwrap();
        assert_eq!(verify(&secret, ID, TS, BODY, &sig, TS), Ok(()));
        assert_eq!(
            sign("whsec_???", ID, TS, BODY),
            Err(SignatureError::BadSecret)
        );
    }

    #[test]
    fn the_default_schedule_spans_about_a_day() {
        let s = RetrySchedule::default();
        let total: u32 = (1..s.max_attempts())
            .map(|a| s.delay_after(a, 127).unwrap())
            .sum();
        assert!((20 * 3600..=26 * 3600).contains(&total), "{total}");
        assert_eq!(s.delay_after(s.max_attempts(), 0), None);
    }

    #[test]
    fn jitter_stays_within_a_fifth_of_the_delay() {
        let s = RetrySchedule::parse("100, 1000").unwrap();
        assert_eq!(s.max_attempts(), 3);
        assert_eq!(s.delay_after(1, 0), Some(80));
        assert_eq!(s.delay_after(1, 255), Some(120));
        assert_eq!(s.delay_after(2, 0), Some(800));
        assert_eq!(s.delay_after(3, 0), None);
        assert_eq!(s.delay_after(0, 0), None);
        assert_eq!(
            RetrySchedule::parse("1").unwrap().delay_after(1, 0),
            Some(1)
        );
    }

    #[test]
    fn schedules_that_make_no_sense_are_refused() {
        for bad in ["", "a", "1,,2", "-5", "50000"] {
            assert_eq!(RetrySchedule::parse(bad), None, "{bad}");
        }
    }
}
