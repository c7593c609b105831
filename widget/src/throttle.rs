//! How often one browser is asked: after an answer or a dismissal, not again for
//! `throttle.days` days (unless the embed says `data-force="true"`).
//!
//! [`should_ask`] is the pure rule; [`last_answered`] and [`record`] keep the timestamp
//! in `localStorage` under `nps:<survey_id>`, and swallow every storage error (blocked
//! cookies, Safari private mode, quota): a browser that cannot remember is simply asked.

const DAY_MS: f64 = 86_400_000.0;

/// Whether to show the survey, given when this browser last answered or dismissed it
/// (Unix milliseconds), the time now, and the survey's throttle window in days.
pub fn should_ask(last_answered_ms: Option<f64>, now_ms: f64, days: u32, force: bool) -> bool {
    match last_answered_ms {
        _ if force => true,
        Some(last) if last.is_finite() => now_ms - last >= f64::from(days) * DAY_MS,
        // Never answered, or a value that is not a time: ask.
        _ => true,
    }
}

/// The `localStorage` key of a survey.
pub fn storage_key(survey_id: &str) -> String {
    ["nps:", survey_id].concat()
}

#[cfg(target_arch = "wasm32")]
fn storage() -> Option<web_sys::Storage> {
    // `local_storage()` itself throws when storage is blocked: both layers are errors.
    web_sys::window()?.local_storage().ok().flatten()
}

/// When this browser last answered or dismissed `survey_id`, if it remembers.
#[cfg(target_arch = "wasm32")]
pub fn last_answered(survey_id: &str) -> Option<f64> {
    let text = storage()?.get_item(&storage_key(survey_id)).ok()??;
    // The browser's own number parser keeps float parsing out of the wasm.
    let value = js_sys::Number::parse_float(&text);
    (!value.is_nan()).then_some(value)
}

/// Remembers that this browser answered or dismissed `survey_id` at `now_ms`.
#[cfg(target_arch = "wasm32")]
pub fn record(survey_id: &str, now_ms: f64) {
    if let Some(storage) = storage() {
        let text = js_sys::Number::from(now_ms.floor())
            .to_string_with_radix(10)
            .map(String::from);
        let text = text.unwrap_or_default();
        // A full or blocked storage only means the visitor may be asked again.
        let _ = storage.set_item(&storage_key(survey_id), &text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_764_000_000_000.0;

    #[test]
    fn a_browser_that_never_answered_is_asked() {
        assert!(should_ask(None, NOW, 90, false));
    }

    #[test]
    fn a_browser_that_answered_yesterday_is_not_asked_again() {
        assert!(!should_ask(Some(NOW - DAY_MS), NOW, 90, false));
        assert!(!should_ask(Some(NOW), NOW, 90, false));
    }

    #[test]
    fn the_window_ends_exactly_after_the_given_days() {
        assert!(!should_ask(Some(NOW - 90.0 * DAY_MS + 1.0), NOW, 90, false));
        assert!(should_ask(Some(NOW - 90.0 * DAY_MS), NOW, 90, false));
        assert!(should_ask(Some(NOW - 400.0 * DAY_MS), NOW, 90, false));
    }

    #[test]
    fn force_ignores_the_throttle() {
        assert!(should_ask(Some(NOW), NOW, 90, true));
    }

    #[test]
    fn zero_days_means_always_ask() {
        assert!(should_ask(Some(NOW), NOW, 0, false));
    }

    #[test]
    fn a_garbled_timestamp_does_not_block_forever() {
        assert!(should_ask(Some(f64::NAN), NOW, 90, false));
        assert!(should_ask(Some(f64::INFINITY), NOW, 90, false));
    }

    #[test]
    fn each_survey_has_its_own_key() {
        assert_eq!(storage_key("s_demo"), "nps:s_demo");
    }
}
