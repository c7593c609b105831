//! When a failed answer is sent again: which failures are worth a retry, and how long
//! to wait before the next one (exponential backoff with jitter, so that many
//! browsers coming back online at once do not all knock at the same moment).
//! Pure, tested natively; `api.rs` and `app.rs` act on it.

/// Whether a POST that failed with `status` (0: no response at all — offline, DNS,
/// CORS, a dropped connection) may succeed later unchanged: no response, 408, 425,
/// 429 and 5xx. Any other 4xx will be refused again, so the answer is not kept.
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 0 | 408 | 425 | 429) || status >= 500
}

/// Automatic retries while the page is open; after them the answer waits in the
/// outbox for the `online` event or the next page load.
pub const MAX_RETRIES: u32 = 8;

/// The wait before retry number `attempt` (0-based) in milliseconds: 1 s, 2 s, 4 s …
/// capped at 60 s, each ±20 % by `jitter` (0 ≤ jitter < 1, e.g. `Math.random()`).
pub fn backoff_ms(attempt: u32, jitter: f64) -> u32 {
    let base = 1000u32.saturating_mul(1u32 << attempt.min(16)).min(60_000);
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    (f64::from(base) * factor) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_that_can_pass_later_are_retried() {
        for status in [0, 408, 425, 429, 500, 502, 503, 504] {
            assert!(is_retryable(status), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 413, 422] {
            assert!(!is_retryable(status), "{status}");
        }
    }

    #[test]
    fn the_wait_doubles_up_to_a_minute_within_twenty_percent() {
        assert_eq!(backoff_ms(0, 0.5), 1000);
        assert_eq!(backoff_ms(1, 0.5), 2000);
        assert_eq!(backoff_ms(3, 0.5), 8000);
        assert_eq!(backoff_ms(6, 0.5), 60_000);
        assert_eq!(backoff_ms(40, 0.5), 60_000);
        assert_eq!(backoff_ms(2, 0.0), 3200);
        assert_eq!(backoff_ms(2, 1.0), 4800);
        for attempt in 0..MAX_RETRIES {
            let (low, high) = (backoff_ms(attempt, 0.0), backoff_ms(attempt, 0.999));
            assert!(low < high && high <= 72_000, "{attempt}");
        }
    }
}
