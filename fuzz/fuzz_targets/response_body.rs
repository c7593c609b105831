//! `POST /v1/responses` and `PATCH` bodies: any bytes through serde_json into
//! `validate::parse_response`, `parse_properties`, `parse_respondent` and
//! `parse_comment`. Nothing may panic; whatever is accepted must hold its invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::validate::{self, MAX_COMMENT_CHARS, MAX_PROPERTIES};

fuzz_target!(|data: &[u8]| {
    if data.len() > validate::MAX_BODY_BYTES {
        return;
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(Some(comment)) = validate::parse_comment(text)
    {
        assert!(comment.chars().count() <= MAX_COMMENT_CHARS);
        assert_eq!(comment.trim(), comment);
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(answer) = validate::parse_response(&value) {
        assert!(validate::is_survey_id(&answer.survey_id));
        assert!(u8::from(answer.score) <= 10);
        assert!(answer.properties.len() <= MAX_PROPERTIES);
        for (key, value) in &answer.properties {
            assert!(!key.is_empty() && !key.chars().any(char::is_control));
            assert!(!value.chars().any(char::is_control));
        }
    }
    let mut errors = Vec::new();
    let properties = validate::parse_properties(Some(&value), &mut errors);
    assert!(properties.len() <= MAX_PROPERTIES);
    let _ = validate::parse_respondent(Some(&value), &mut errors);
});
