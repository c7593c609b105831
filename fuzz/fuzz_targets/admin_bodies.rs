//! Admin bodies: survey definitions and patches, webhooks (with the target guard),
//! invitations and case patches, decoded from any JSON and checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::api::{CreateInvitation, CreateSurvey, CreateWebhook, SurveyPatch};
use nps_shared::validate;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(survey) = serde_json::from_value::<CreateSurvey>(value.clone())
        && validate::check_survey(&survey.definition).is_ok()
    {
        let csp = nps_shared::origin::frame_ancestors(&survey.definition.allowed_origins);
        assert!(!csp.contains(';'));
        assert!(
            survey
                .definition
                .rate_limit_per_minute
                .is_none_or(|n| n >= 1)
        );
    }
    let _ = serde_json::from_value::<SurveyPatch>(value.clone());
    if let Ok(webhook) = serde_json::from_value::<CreateWebhook>(value.clone()) {
        let strict = validate::check_webhook_target("url", &webhook.url, false);
        if strict.is_ok() {
            assert!(validate::check_webhook_target("url", &webhook.url, true).is_ok());
        }
    }
    let _ = serde_json::from_value::<CreateInvitation>(value.clone());
    if let Some(text) = value.as_str() {
        let _ = validate::parse_http_url("url", text);
        let _ = validate::is_email(text);
        let _ = validate::check_webhook_target("url", text, false);
    }
});
