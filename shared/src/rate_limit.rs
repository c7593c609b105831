//! Fixed-window rate limits: which one-minute window an instant falls in, whose
//! counter a request counts against, and what to answer once a counter passes its
//! limit. Counting is the worker's: exact counters in D1 for answers and failed admin
//! authentications, the Workers Rate Limiting binding (approximate, per Cloudflare
//! location) for public reads and comments. Nothing here reads a clock or the network.
//!
//! Windows are whole UTC minutes. A fixed window lets a client send up to twice its
//! limit across a window boundary; in exchange a limit costs one row per client and
//! minute, is exact, and behaves the same under `wrangler dev` as on Cloudflare.

use std::net::IpAddr;

/// The length of a window.
pub const WINDOW_MS: i64 = 60_000;

/// The largest `rate_limit_per_minute` a survey may set.
pub const MAX_PER_MINUTE: u32 = 100_000_000;

/// The number of the window `now_ms` (Unix milliseconds) falls in.
pub fn window(now_ms: i64) -> i64 {
    now_ms.div_euclid(WINDOW_MS)
}

/// Whole seconds until the window of `now_ms` ends, at least 1: the `Retry-After`.
pub fn retry_after_seconds(now_ms: i64) -> u32 {
    let left_ms = (window(now_ms) + 1) * WINDOW_MS - now_ms;
    // left_ms is in 1..=WINDOW_MS, so this is 1..=60.
    u32::try_from((left_ms + 999) / 1000).unwrap_or(60).max(1)
}

/// What to do with a request that made a counter reach `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Limited { retry_after_seconds: u32 },
}

/// A request is allowed while its window's count (itself included) is within `limit`.
pub fn decide(count: u32, limit: u32, now_ms: i64) -> Decision {
    if count <= limit {
        Decision::Allowed
    } else {
        Decision::Limited {
            retry_after_seconds: retry_after_seconds(now_ms),
        }
    }
}

/// The client a request counts against: its IP address (from `CF-Connecting-IP`,
/// which Cloudflare sets and overwrites), in canonical form so that one address has
/// one counter however it is spelt. An IPv6 client counts by its /64, the block one
/// subscriber or host is given (counting per address would hand anyone 2^64
/// counters); an IPv4 address written as IPv6 (`::ffff:a.b.c.d`) counts as itself.
/// Anything else (missing, garbage, a list) counts against the shared client
/// `unknown`.
pub fn client(header: Option<&str>) -> String {
    match header.map(str::trim).and_then(|h| h.parse::<IpAddr>().ok()) {
        None => "unknown".to_string(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let block = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{block}/64")
            }
        },
    }
}

/// Parses a configured limit (`ADMIN_AUTH_FAILURES_PER_MINUTE`): a whole number from 1 to
/// [`MAX_PER_MINUTE`].
pub fn parse_limit(text: &str) -> Option<u32> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PER_MINUTE).contains(n))
}

/// What a counter counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Answers of one client for one survey (exact, the survey's own limit).
    Survey,
    /// Public reads of one client for one survey: its config, its hosted page (the
    /// flood limiter).
    Read,
    /// Comments of one client, on any answer: counted before the answer is read, so
    /// the survey is not known yet (the flood limiter).
    Comments,
    /// Failed admin authentications of one client.
    AdminAuth,
    /// Unsigned or wrongly signed webhooks of one client to any shop connector: each
    /// is logged, so the flood limiter bounds what a forger writes (the limiter).
    Unsigned,
}

/// What the public requests of one client for surveys that do not exist count
/// against, together: not a survey id, so it never shares a counter with one.
pub const UNKNOWN_SURVEY: &str = "-";

/// The storage key of a counter. Survey ids are checked before they get here; the
/// client is an address, a /64 or `unknown`, so keys stay short and unambiguous.
pub fn key(scope: Scope, client: &str, subject: &str) -> String {
    match scope {
        Scope::Survey => format!("s|{client}|{subject}"),
        Scope::Read => format!("r|{client}|{subject}"),
        Scope::Comments => format!("c|{client}"),
        Scope::AdminAuth => format!("a|{client}"),
        Scope::Unsigned => format!("u|{client}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_whole_minutes() {
        assert_eq!(window(0), 0);
        assert_eq!(window(59_999), 0);
        assert_eq!(window(60_000), 1);
        assert_eq!(window(-1), -1);
    }

    #[test]
    fn retry_after_counts_the_seconds_left_in_the_window() {
        assert_eq!(retry_after_seconds(0), 60);
        assert_eq!(retry_after_seconds(59_999), 1);
        assert_eq!(retry_after_seconds(59_000), 1);
        assert_eq!(retry_after_seconds(58_999), 2);
        assert_eq!(retry_after_seconds(30_500), 30);
    }

    #[test]
    fn the_limit_itself_is_allowed_and_one_more_is_not() {
        assert_eq!(decide(5, 5, 0), Decision::Allowed);
        assert_eq!(
            decide(6, 5, 10_000),
            Decision::Limited {
                retry_after_seconds: 50
            }
        );
    }

    #[test]
    fn clients_are_canonical_addresses_or_unknown() {
        assert_eq!(client(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(client(Some(" 2001:DB8::1 ")), "2001:db8::/64");
        assert_eq!(client(Some("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(client(Some("203.0.113.7, 10.0.0.1")), "unknown");
        assert_eq!(client(Some("x|y")), "unknown");
        assert_eq!(client(None), "unknown");
    }

    #[test]
    fn limits_are_positive_and_bounded() {
        assert_eq!(parse_limit("120"), Some(120));
        assert_eq!(parse_limit("0"), None);
        assert_eq!(parse_limit("-5"), None);
        assert_eq!(parse_limit("1.5"), None);
        assert_eq!(parse_limit("100000001"), None);
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_block() {
        // Regression (review): each address of a /64 was a counter of its own.
        let one = client(Some("2001:db8:1:2:aaaa::1"));
        assert_eq!(one, "2001:db8:1:2::/64");
        assert_eq!(client(Some("2001:db8:1:2:ffff:ffff:ffff:ffff")), one);
        assert_ne!(
            client(Some("2001:db8:1:3::1")),
            one,
            "the next /64 is someone else"
        );
    }

    #[test]
    fn keys_separate_scopes_clients_and_surveys() {
        assert_eq!(key(Scope::Survey, "1.2.3.4", "s_demo"), "s|1.2.3.4|s_demo");
        assert_eq!(key(Scope::AdminAuth, "1.2.3.4", "ignored"), "a|1.2.3.4");
        assert_eq!(key(Scope::Read, "1.2.3.4", "s_demo"), "r|1.2.3.4|s_demo");
        assert_eq!(key(Scope::Comments, "1.2.3.4", "ignored"), "c|1.2.3.4");
        assert_ne!(
            key(Scope::Read, "1.2.3.4", "s_demo"),
            key(Scope::Survey, "1.2.3.4", "s_demo"),
            "reads never use up an answer's exact counter"
        );
        assert_ne!(
            key(Scope::Survey, "1.2.3.4", "s_a"),
            key(Scope::Survey, "1.2.3.4", "s_b")
        );
    }
}
