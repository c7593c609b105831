//! Browser origins and a survey's allowed-origin patterns: matching never panics,
//! and the CSP `frame-ancestors` built from stored patterns cannot end its directive.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::origin;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.lines();
    let candidate = lines.next().unwrap_or_default();
    let patterns: Vec<String> = lines.map(str::to_string).collect();
    let _ = origin::is_allowed(&patterns, candidate);
    let _ = origin::is_valid_pattern(candidate);
    let csp = origin::frame_ancestors(&patterns);
    assert!(
        !csp.contains([';', ',', '\n', '\r', '\'']) || csp.starts_with("frame-ancestors 'self'")
    );
    assert_eq!(csp.matches(';').count(), 0, "{csp}");
    assert_eq!(csp.matches('\'').count(), 2, "{csp}");
    assert!(!origin::tokens_match("", candidate));
    assert!(origin::tokens_match(candidate, candidate) || candidate.is_empty());
});
