//! The widget's CSS and its theme, and putting it into the shadow root.
//!
//! Everything is scoped to the shadow root: `:host { all: initial }` cuts off what the
//! host page's inherited styles would bring in, every text-bearing rule sets its own
//! font and colour (so even a host `* { color: red !important }` that reaches the host
//! element does not reach the text), and sizes are in `px`, never `rem`, which would
//! follow the host's root font size. Nothing is added to the host document.
//!
//! Theming: the survey's theme (brand colour, corner radius, font) is the default of
//! the CSS custom properties `--nps-brand`, `--nps-radius` and `--nps-font`, so a page
//! can override each one on the `nps-widget` element or any ancestor (custom
//! properties inherit through the shadow boundary; `all: initial` leaves them alone).
//! The theme's values are written into CSS text, so only well-formed ones pass.
//!
//! Layout uses logical properties (`inset-inline-end`, `margin-inline-end`,
//! `text-align: start`), so `dir="rtl"` on the card mirrors the scale and the card.
//!
//! A constructable stylesheet (`adoptedStyleSheets`) is used: it is not subject to a
//! strict CSP `style-src`, unlike a `<style>` element.

use nps_shared::theme::{accent_or_default, font_or_default, radius_or_default};

/// The survey's look, as its config gives it; [`nps_shared::theme`] has the rules and
/// defaults, the same the server checks and the dashboard previews.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Theme {
    pub brand: String,
    pub radius: Option<u8>,
    pub font: String,
}

/// The whole stylesheet for a theme.
pub fn stylesheet(theme: &Theme) -> String {
    let radius = radius_or_default(theme.radius);
    let mut css = String::with_capacity(CSS.len() + 256);
    css.push_str(":host{all:initial;display:block;--nps-b:var(--nps-brand,");
    // Only a hex colour and a list of names get into the CSS text: anything else
    // could close the rule and inject styles.
    css.push_str(accent_or_default(&theme.brand));
    css.push_str(");--nps-r:var(--nps-radius,");
    if radius >= 10 {
        css.push(char::from(b'0' + radius / 10));
    }
    css.push(char::from(b'0' + radius % 10));
    css.push_str("px);--nps-f:var(--nps-font,");
    css.push_str(font_or_default(theme.font.trim()));
    css.push_str(")}");
    css.push_str(CSS);
    css
}

/// Adopts the stylesheet into `root`.
#[cfg(target_arch = "wasm32")]
pub fn install(root: &web_sys::ShadowRoot, theme: &Theme) -> Result<(), wasm_bindgen::JsValue> {
    let sheet = web_sys::CssStyleSheet::new()?;
    sheet.replace_sync(&stylesheet(theme))?;
    root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    Ok(())
}

const CSS: &str = concat!(
    ".card{box-sizing:border-box;position:relative;width:100%;max-width:420px;margin:0;",
    "padding:18px 18px 16px;background:#fff;color:#1f2937;",
    "font:400 15px/1.45 var(--nps-f);",
    "text-align:start;letter-spacing:normal;text-transform:none;",
    "border:1px solid #e5e7eb;border-radius:var(--nps-r);",
    "box-shadow:0 12px 32px rgba(17,24,39,.16),0 2px 6px rgba(17,24,39,.08);",
    "animation:nps-in .22s ease-out}",
    ".card *{box-sizing:border-box;font-family:inherit}",
    ".br,.bl{position:fixed;bottom:16px;z-index:2147483000;width:calc(100vw - 32px)}",
    ".br{inset-inline-end:16px}.bl{inset-inline-start:16px}",
    ".q{margin:0;margin-inline-end:32px;margin-bottom:14px;font-size:16px;font-weight:600;line-height:1.35;color:#111827}",
    ".scale{display:grid;grid-template-columns:repeat(11,minmax(0,1fr));gap:4px}",
    ".r{min-width:0;min-height:24px;height:40px;margin:0;padding:0;border:1px solid #6b7280;",
    "border-radius:calc(var(--nps-r)/2);",
    "background:#f9fafb;color:#111827;font-size:14px;font-weight:600;line-height:1;font-variant-numeric:tabular-nums;",
    "cursor:pointer;transition:background-color .12s,border-color .12s}",
    ".r:hover{border-color:var(--nps-b);background:#fff}",
    ".r[aria-checked=true]{background:var(--nps-b);border-color:var(--nps-b);color:#fff}",
    ".r[aria-disabled=true]{cursor:default}",
    ".ends{display:flex;justify-content:space-between;gap:12px;margin-top:6px;font-size:12px;color:#4b5563}",
    ".ends span:last-child{text-align:end}",
    "button:focus-visible,textarea:focus-visible{outline:3px solid var(--nps-b);outline-offset:2px}",
    ".x{position:absolute;top:8px;inset-inline-end:8px;width:32px;height:32px;margin:0;padding:0;border:0;",
    "border-radius:8px;background:transparent;color:#4b5563;font-size:22px;font-weight:400;line-height:1;cursor:pointer}",
    ".x:hover{background:#f3f4f6;color:#111827}",
    "label.q{display:block}",
    "textarea{display:block;width:100%;min-height:84px;margin:0;padding:8px 10px;resize:vertical;",
    "border:1px solid #6b7280;border-radius:calc(var(--nps-r)/2);background:#fff;color:#111827;font-size:15px;font-weight:400;line-height:1.4}",
    "textarea::placeholder{color:#4b5563}",
    ".send{min-height:24px;margin-top:10px;padding:9px 18px;border:0;border-radius:calc(var(--nps-r)/2);background:var(--nps-b);",
    "color:#fff;font-size:15px;font-weight:600;line-height:1.2;cursor:pointer}",
    ".send:disabled{opacity:.6;cursor:default}",
    ".err{margin:12px 0 0;color:#b91c1c;font-size:14px}",
    ".err.queued{color:#374151}",
    ".retry{min-height:24px;margin:0;margin-inline-start:8px;padding:2px 4px;border:0;background:none;color:inherit;",
    "font-size:14px;font-weight:600;line-height:1.4;text-decoration:underline;cursor:pointer}",
    ".thanks{margin:0;margin-inline-end:32px;font-size:16px;font-weight:600;color:#111827}",
    "@keyframes nps-in{from{opacity:0;transform:translateY(8px)}}",
    // Small screens: a bottom sheet, the full width of the viewport at its bottom edge.
    "@media (max-width:480px){.br,.bl{left:0;right:0;bottom:0;width:auto;max-width:none;",
    "border-width:1px 0 0;border-radius:16px 16px 0 0;",
    "padding-inline:12px;padding-bottom:calc(16px + env(safe-area-inset-bottom,0px));animation-name:nps-up}",
    // 11 targets of at least 24 px even on a 320 px screen.
    ".scale{gap:2px}.r{height:44px;font-size:13px}}",
    "@keyframes nps-up{from{transform:translateY(100%)}}",
    // Last, so that it also stops the bottom sheet's slide.
    "@media (prefers-reduced-motion:reduce){.card,.br,.bl{animation:none}.r{transition:none}}",
);

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(brand: &str, radius: Option<u8>, font: &str) -> Theme {
        Theme {
            brand: brand.into(),
            radius,
            font: font.into(),
        }
    }

    #[test]
    fn a_colour_or_font_that_could_escape_the_rule_falls_back() {
        let css = stylesheet(&theme("red)}*{display:none", None, "x);}*{color:red"));
        assert!(css.contains("--nps-brand,#2563eb)"), "{css}");
        assert!(
            !css.contains("display:none") && !css.contains("color:red"),
            "{css}"
        );
        assert!(stylesheet(&theme("#0a7", None, "")).contains("--nps-brand,#0a7)"));
    }

    #[test]
    fn the_theme_is_the_default_of_the_custom_properties() {
        let css = stylesheet(&theme("#ff0000", Some(6), "Georgia, serif"));
        assert!(css.starts_with(":host{all:initial;"));
        assert!(css.contains("--nps-b:var(--nps-brand,#ff0000);"), "{css}");
        assert!(css.contains("--nps-r:var(--nps-radius,6px);"), "{css}");
        assert!(
            css.contains("--nps-f:var(--nps-font,Georgia, serif)}"),
            "{css}"
        );
    }

    #[test]
    fn no_theme_is_the_default_theme_and_radii_are_capped() {
        let css = stylesheet(&Theme::default());
        assert!(css.contains("--nps-brand,#2563eb)"));
        assert!(css.contains("--nps-radius,14px)"));
        assert!(css.contains(nps_shared::theme::DEFAULT_FONT));
        assert!(stylesheet(&theme("", Some(200), "")).contains("--nps-radius,32px)"));
        assert!(stylesheet(&theme("", Some(0), "")).contains("--nps-radius,0px)"));
    }

    #[test]
    fn the_layout_mirrors_for_right_to_left() {
        // No physical left/right in the card's layout, except the bottom sheet, which
        // spans the whole width either way.
        let layout = CSS.split("@media").next().unwrap_or("");
        assert!(!layout.contains("left"), "{layout}");
        assert!(!layout.contains("right"), "{layout}");
    }
}
