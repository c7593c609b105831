//! Locale tags (`de`, `de-AT`, `pt-BR`, `zh-Hant-TW`): their primary language, which
//! of them are written right to left, and choosing which translation of a survey to
//! show for what a browser or an email link asked for.
//!
//! The one list of right-to-left languages ([`RTL_LANGUAGES`]) is here, for the
//! config's `dir` (`crate::words`), the dashboard's editor and preview, and the
//! widget's tests. Depends on nothing in the crate.

/// Languages written right to left: Arabic, Hebrew, Persian, Urdu and the other
/// languages in Arabic or Hebrew script (primary subtags).
pub const RTL_LANGUAGES: [&str; 10] = ["ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"];

/// The primary language subtag of a tag, lower case: `pt-BR` → `pt`, `DE_at` → `de`
/// (an underscore, as some pages write it, separates too). Two or three letters, or
/// `None`; `iw` (the old code for Hebrew) is `he`.
pub fn language(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let primary = primary.to_ascii_lowercase();
    Some(if primary == "iw" {
        "he".into()
    } else {
        primary
    })
}

/// Whether `tag`'s language is written right to left ([`RTL_LANGUAGES`]; `he-IL`,
/// `AR`, `iw` are).
pub fn is_rtl(tag: &str) -> bool {
    language(tag).is_some_and(|l| RTL_LANGUAGES.contains(&l.as_str()))
}

/// Whether `tag` is a well-formed BCP 47 language tag of the common shape: a 2–3
/// letter language, then subtags of 1–8 letters or digits, at most 35 characters.
pub fn is_valid_tag(tag: &str) -> bool {
    if tag.is_empty() || tag.len() > 35 {
        return false;
    }
    let mut parts = tag.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()));
    language_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The best of `available` for `requested`, a tag or a comma-separated list of them
/// in order of preference (`de-AT,en;q=0.8`: weights are ignored, the order counts):
/// for the first tag that has one, an exact match (ignoring case), else the same
/// language (`de-AT` → `de`, `de` → `de-CH`); `default` when no tag has a match.
pub fn best_match<'a>(requested: Option<&str>, available: &[&'a str], default: &'a str) -> &'a str {
    let wanted = requested
        .unwrap_or_default()
        .split(',')
        .map(|tag| tag.split(';').next().unwrap_or_default().trim())
        .filter(|tag| !tag.is_empty())
        // A visitor's list is short; a long one is not worth comparing in full.
        .take(12);
    for requested in wanted {
        if let Some(exact) = available.iter().find(|a| a.eq_ignore_ascii_case(requested)) {
            return exact;
        }
        // `iw`, the old code for Hebrew still sent by some browsers, finds `he`.
        let Some(wanted) = language(requested) else {
            continue;
        };
        if let Some(same) = available
            .iter()
            .find(|a| language(a).as_ref() == Some(&wanted))
        {
            return same;
        }
    }
    default
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_tags_are_valid() {
        for tag in ["de", "en-US", "pt-BR", "zh-Hant-TW", "gsw", "es-419"] {
            assert!(is_valid_tag(tag), "{tag}");
        }
    }

    #[test]
    fn malformed_tags_are_refused() {
        for tag in [
            "",
            "e",
            "english",
            "de_DE",
            "de-",
            "-de",
            "de-toolongsubtag",
            "<script>",
        ] {
            assert!(!is_valid_tag(tag), "{tag}");
        }
    }

    #[test]
    fn the_language_is_the_primary_subtag_in_lower_case() {
        assert_eq!(language("pt-BR").as_deref(), Some("pt"));
        assert_eq!(language("DE_at").as_deref(), Some("de"));
        assert_eq!(language("iw-IL").as_deref(), Some("he"));
        assert_eq!(language("ckb").as_deref(), Some("ckb"));
        assert_eq!(language(""), None);
        assert_eq!(language("english"), None);
    }

    #[test]
    fn right_to_left_is_the_language_not_the_region() {
        for tag in ["ar", "he-IL", "FA", "iw", "ckb-IQ", "ur_PK"] {
            assert!(is_rtl(tag), "{tag}");
        }
        for tag in ["de", "en-GB", "", "arabic", "tr"] {
            assert!(!is_rtl(tag), "{tag}");
        }
    }

    #[test]
    fn empty_items_in_the_list_are_skipped() {
        // The loader sends an absent data-locale or <html lang> as an empty item.
        assert_eq!(best_match(Some(",,de-DE,de"), &["en", "de"], "en"), "de");
        assert_eq!(best_match(Some(",,"), &["en", "de"], "en"), "en");
    }

    #[test]
    fn a_regional_request_falls_back_to_its_language() {
        assert_eq!(best_match(Some("de-AT"), &["en", "de"], "en"), "de");
        assert_eq!(best_match(Some("DE"), &["en", "de"], "en"), "de");
        assert_eq!(best_match(Some("de"), &["en", "de-CH"], "en"), "de-CH");
    }

    #[test]
    fn an_unknown_or_missing_request_gets_the_default() {
        assert_eq!(best_match(Some("fr"), &["en", "de"], "en"), "en");
        assert_eq!(best_match(None, &["en", "de"], "en"), "en");
        assert_eq!(best_match(Some(""), &["en", "de"], "en"), "en");
    }

    #[test]
    fn a_list_is_tried_in_order_and_the_first_tag_with_a_match_wins() {
        assert_eq!(best_match(Some("zh,ko,sv-FI"), &["en", "sv"], "en"), "sv");
        assert_eq!(best_match(Some("fr,de-AT"), &["en", "de"], "en"), "de");
        assert_eq!(best_match(Some("de;q=0.9, en"), &["en", "de"], "en"), "de");
        assert_eq!(best_match(Some("zh, x,"), &["en", "de"], "de"), "de");
        assert_eq!(best_match(Some("iw-IL"), &["en", "he"], "en"), "he");
    }
}
