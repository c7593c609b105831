//! The survey's look — accent colour, corner radius, font — and the one rule for each:
//! what the server accepts (`validate::check_survey`), what the widget writes into its
//! stylesheet and what the dashboard's editor and preview show, with their defaults.
//!
//! The values end up inside CSS text (the widget's custom properties, the dashboard's
//! preview, the e-mail's inline styles), so a rule here is also what keeps a value
//! from closing a declaration and injecting styles: an accent is hex digits only, a
//! font a list of names.
//!
//! Not to be confused with [`crate::themes`], the topics of comments. Depends on
//! nothing in the crate (serde only); small enough for the widget to carry.

/// The accent when none (or no valid one) is given. On white, and white on it: 5.2:1,
/// above WCAG AA's 4.5:1 for normal text.
pub const DEFAULT_ACCENT: &str = "#2563eb";
/// The card's corner radius in px when the survey sets none.
pub const DEFAULT_RADIUS: u8 = 14;
/// The largest corner radius in px.
pub const MAX_RADIUS: u8 = 32;
/// The font when the survey sets none: the system's.
pub const DEFAULT_FONT: &str =
    "system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif";
/// The longest font-family list, in bytes.
pub const MAX_FONT_LEN: usize = 120;

/// Whether `text` is an accent colour: `#rgb` or `#rrggbb` (hex digits, either case),
/// nothing around it.
pub fn is_accent(text: &str) -> bool {
    text.strip_prefix('#')
        .is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// An accent as `#rrggbb` (`#0a7` → `#00aa77`, digits kept as written): how the server
/// stores it and what an `<input type="color">` takes. `None` for a non-accent.
pub fn expand_accent(text: &str) -> Option<String> {
    if !is_accent(text) {
        return None;
    }
    if text.len() == 7 {
        return Some(text.to_owned());
    }
    let mut long = String::with_capacity(7);
    long.push('#');
    for digit in text[1..].chars() {
        long.push(digit);
        long.push(digit);
    }
    Some(long)
}

/// `text` when it is an accent, else [`DEFAULT_ACCENT`].
pub fn accent_or_default(text: &str) -> &str {
    if is_accent(text) {
        text
    } else {
        DEFAULT_ACCENT
    }
}

/// The corner radius to draw: the survey's, at most [`MAX_RADIUS`], else
/// [`DEFAULT_RADIUS`].
pub fn radius_or_default(radius: Option<u8>) -> u8 {
    radius.unwrap_or(DEFAULT_RADIUS).min(MAX_RADIUS)
}

/// Whether `text` is a font-family list: names of ASCII letters, digits, spaces and
/// hyphens, separated by commas, single quotes in pairs, at most [`MAX_FONT_LEN`] bytes
/// (`'Open Sans', Georgia, serif`). Callers trim first (the server, the widget and the
/// dashboard all do): trimming here would put a second copy of `str::trim` in the
/// widget.
pub fn is_font(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_FONT_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b',' | b'-' | b'\''))
        && text.bytes().filter(|b| *b == b'\'').count() % 2 == 0
}

/// `text` when it is a font-family list ([`is_font`]), else [`DEFAULT_FONT`].
pub fn font_or_default(text: &str) -> &str {
    if is_font(text) { text } else { DEFAULT_FONT }
}

/// Decodes an accent, writing a `#rgb` one as `#rrggbb`; anything else is kept as sent,
/// for the survey check to name (`theme.accent`) rather than fail the whole body.
pub(crate) fn deserialize_accent<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    Ok(expand_accent(&text).unwrap_or(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accent_is_three_or_six_hex_digits_after_a_hash() {
        for good in ["#2563eb", "#0A7", "#abc", "#FFFFFF"] {
            assert!(is_accent(good), "{good}");
            assert_eq!(accent_or_default(good), good);
        }
        for bad in [
            "",
            "#",
            "blue",
            "2563eb",
            "#2563e",
            "#12345g",
            "#abcd",
            "#16a34aff",
            " #2563eb",
            "#2563eb ",
            "red)}*{display:none",
        ] {
            assert!(!is_accent(bad), "{bad:?}");
            assert_eq!(accent_or_default(bad), DEFAULT_ACCENT, "{bad:?}");
        }
        assert!(is_accent(DEFAULT_ACCENT));
    }

    #[test]
    fn a_short_accent_expands_digit_by_digit() {
        assert_eq!(expand_accent("#0a7").as_deref(), Some("#00aa77"));
        assert_eq!(expand_accent("#ABC").as_deref(), Some("#AABBCC"));
        assert_eq!(expand_accent("#2563eb").as_deref(), Some("#2563eb"));
        assert_eq!(expand_accent("#abcd"), None);
        assert_eq!(expand_accent("blue"), None);
    }

    #[test]
    fn a_font_is_a_list_of_names_without_anything_that_escapes_css() {
        for good in ["Georgia, serif", "'Open Sans', sans-serif", "system-ui"] {
            assert!(is_font(good), "{good}");
            assert_eq!(font_or_default(good), good);
        }
        for bad in [
            "",
            "Georgia;color:red",
            "'Open Sans, serif",
            "a\"b",
            "x)}*{display:none",
            "Arial\\",
            "a\nb",
        ] {
            assert!(!is_font(bad), "{bad:?}");
            assert_eq!(font_or_default(bad), DEFAULT_FONT, "{bad:?}");
        }
        assert!(is_font(&"a".repeat(MAX_FONT_LEN)));
        assert!(!is_font(&"a".repeat(MAX_FONT_LEN + 1)));
    }

    #[test]
    fn the_radius_defaults_to_14_and_stops_at_32() {
        assert_eq!(radius_or_default(None), DEFAULT_RADIUS);
        assert_eq!(radius_or_default(Some(0)), 0);
        assert_eq!(radius_or_default(Some(6)), 6);
        assert_eq!(radius_or_default(Some(200)), MAX_RADIUS);
    }
}
