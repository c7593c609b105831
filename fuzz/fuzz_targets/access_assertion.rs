//! Cloudflare Access assertions and key sets: `Assertion::parse`, its claim checks and
//! `Jwks::parse` on any input never panic; what parses is RS256 with a key id, and a
//! key set never yields a key it cannot sign with.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::access::{Assertion, Jwks, Team};

const NOW: i64 = 1_764_000_000;

fuzz_target!(|data: &[u8]| {
    if let Ok(jwks) = Jwks::parse(data) {
        for kid in jwks.key_ids() {
            assert!(!kid.is_empty());
            assert!(jwks.key(kid).is_some());
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(team) = Team::new("acme.cloudflareaccess.com", "aud-tag") else {
        unreachable!("a valid team is refused")
    };
    if let Ok(assertion) = Assertion::parse(text) {
        assert!(!assertion.key_id().is_empty());
        assert!(!assertion.signature().is_empty());
        assert!(text.trim().starts_with(assertion.signing_input()));
        let _ = assertion.check(&team, NOW);
        let _ = assertion.identity();
    }
    // The team settings themselves: what is accepted is an http(s) origin.
    let (domain, aud) = text.split_once('\n').unwrap_or((text, "aud-tag"));
    if let Ok(team) = Team::new(domain, aud) {
        assert!(team.issuer.starts_with("https://") || team.issuer.starts_with("http://"));
        assert_eq!(team.certs_url, format!("{}/cdn-cgi/access/certs", team.issuer));
    }
});
