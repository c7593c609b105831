//! What the card says, in the one language the worker chose for the visitor.
//!
//! The widget carries no language tables: `GET /v1/surveys/{id}/config` sends every
//! word it shows (the survey's texts in that language or the built-in words,
//! `nps_shared::words`, its own lines under `messages`, and `dir`). The widget only
//! says which languages the visitor reads, best first (`data-locale`, the page's
//! `<html lang>`, `navigator.languages`), and the worker's best match decides. Pure:
//! no DOM, so it is tested natively.

use nps_shared::api::FollowUp;

/// Every string the card shows, as the config sent it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Texts {
    /// The language subtag spoken (`de`), for `lang` and the answer's `locale`.
    pub language: String,
    pub rtl: bool,
    pub question: String,
    pub low: String,
    pub high: String,
    /// The follow-up question per category ([`FollowUp::for_category`]).
    pub follow_up: FollowUp,
    pub placeholder: String,
    pub send: String,
    pub close: String,
    pub thanks: String,
    /// A failure the server will not get past by itself (a retry is offered).
    pub error: String,
    pub retry: String,
    /// No connection (or the server is down): the answer is kept and sent later.
    pub queued: String,
    pub already: String,
    pub invalid_link: String,
}

/// The primary language subtag of the config's locale, lower case (`de-CH` → `de`),
/// as the answer's `locale`; `en` for none. Not `nps_shared::locale::language`: the
/// locale is the worker's pick among a survey's valid tags, so the shared function's
/// checks buy nothing here, and calling it measured about 290 B gzip more widget.
pub fn language(tag: &str) -> String {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
    if primary.is_empty() {
        "en".into()
    } else {
        primary.to_ascii_lowercase()
    }
}

/// The visitor's languages as the config's `locale` query asks for them: best first,
/// comma-separated, blanks and repeats left out (`de-AT,de,en-US`).
pub fn locale_query<'a>(locales: impl IntoIterator<Item = &'a str>) -> String {
    let mut tags: Vec<&str> = Vec::new();
    for tag in locales.into_iter().map(str::trim) {
        if !tag.is_empty() && !tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            tags.push(tag);
        }
    }
    tags.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_is_the_primary_subtag_in_lower_case() {
        assert_eq!(language("de-CH"), "de");
        assert_eq!(language("PT_br"), "pt");
        assert_eq!(language("ar"), "ar");
        assert_eq!(language(""), "en");
    }

    #[test]
    fn data_locale_then_the_page_then_the_browser_without_blanks_or_repeats() {
        assert_eq!(
            locale_query(["de-AT", "", "de-AT", "en-US", "EN-us"]),
            "de-AT,en-US"
        );
        assert_eq!(locale_query([]), "");
    }
}
