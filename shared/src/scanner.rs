//! Telling e-mail security scanners from people. Mail gateways (Microsoft Safe Links,
//! Mimecast, Proofpoint, Barracuda, …) open every link of an e-mail, some in a real
//! browser that runs scripts, within seconds of delivery. An answer that looks like
//! such a visit is stored but flagged, and reports leave flagged answers out unless
//! asked to include them. The hosted page never records on a bare GET or HEAD: the
//! score is posted by the page's script in the visitor's browser.

/// Substrings (lower case) of user agents that are scanners or tools, not people.
const SCANNER_AGENTS: [&str; 24] = [
    "barracuda",
    "mimecast",
    "proofpoint",
    "safelinks",
    "safe links",
    "microsoft office",
    "ms-office",
    "headlesschrome",
    "phantomjs",
    "python-requests",
    "python-urllib",
    "curl/",
    "wget",
    "go-http-client",
    "libwww",
    "symantec",
    "trendmicro",
    "forcepoint",
    "sophos",
    "fireeye",
    "zscaler",
    "bot/",
    "crawler",
    "spider",
];

/// An answer this soon after its invitation was made is faster than a person reads mail.
pub const FAST_AFTER_INVITATION_MS: i64 = 10_000;
/// A second, different score for the same order this soon after the first means a
/// scanner opened several links; the first answer gets flagged.
pub const SCORE_BURST_MS: i64 = 30_000;

/// Why an answer looks like a scanner's, if it does.
pub fn assess(
    user_agent: Option<&str>,
    invitation_made_ms: Option<i64>,
    now_ms: i64,
) -> Option<String> {
    let agent = user_agent.map(str::to_ascii_lowercase).unwrap_or_default();
    if agent.trim().is_empty() {
        return Some("no user agent".into());
    }
    if let Some(known) = SCANNER_AGENTS.iter().find(|s| agent.contains(*s)) {
        return Some(format!("scanner user agent ({known})"));
    }
    match invitation_made_ms {
        Some(made) if now_ms - made < FAST_AFTER_INVITATION_MS => Some(format!(
            "answered {} ms after the invitation was made",
            now_ms - made
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

    #[test]
    fn a_person_in_a_browser_a_minute_later_is_not_flagged() {
        assert_eq!(assess(Some(CHROME), Some(0), 60_000), None);
        assert_eq!(assess(Some(CHROME), None, 0), None);
    }

    #[test]
    fn known_scanners_and_tools_are_flagged() {
        for agent in [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36",
            "Barracuda Sentinel (EE)",
            "python-requests/2.31",
            "curl/8.5.0",
        ] {
            assert!(assess(Some(agent), None, 0).is_some(), "{agent}");
        }
        assert_eq!(assess(None, None, 0).as_deref(), Some("no user agent"));
    }

    #[test]
    fn an_answer_seconds_after_the_invitation_is_flagged() {
        assert!(
            assess(Some(CHROME), Some(1_000), 5_000)
                .unwrap()
                .contains("4000 ms")
        );
        assert_eq!(
            assess(Some(CHROME), Some(1_000), 1_000 + FAST_AFTER_INVITATION_MS),
            None
        );
    }
}
