//! The widget's CSS, and putting it into the shadow root.
//!
//! Everything is scoped to the shadow root: `:host { all: initial }` cuts off what the
//! host page's inherited styles would bring in, every text-bearing rule sets its own
//! font and colour (so even a host `* { color: red !important }` that reaches the host
//! element does not reach the text), and sizes are in `px`, never `rem`, which would
//! follow the host's root font size. Nothing is added to the host document.
//!
//! A constructable stylesheet (`adoptedStyleSheets`) is used where the browser has
//! one: it is not subject to a strict CSP `style-src`, unlike a `<style>` element.

/// The accent colour when the configured one is not a plain `#rgb`/`#rrggbb` colour.
pub const DEFAULT_ACCENT: &str = "#2563eb";

/// The accent goes into CSS text, so only a hex colour is let through: anything else
/// could close the rule and inject styles.
pub fn accent_or_default(accent: &str) -> &str {
    let hex = accent.strip_prefix('#').unwrap_or("");
    let valid = matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if valid { accent } else { DEFAULT_ACCENT }
}

/// The whole stylesheet for a given accent colour.
pub fn stylesheet(accent: &str) -> String {
    [
        ":host{all:initial;display:block;--nps-accent:",
        accent_or_default(accent),
        "}",
        CSS,
    ]
    .concat()
}

/// Adopts the stylesheet into `root` (a `<style>` child where that is not supported).
#[cfg(target_arch = "wasm32")]
pub fn install(root: &web_sys::ShadowRoot, accent: &str) {
    let css = stylesheet(accent);
    if let Ok(sheet) = web_sys::CssStyleSheet::new()
        && sheet.replace_sync(&css).is_ok()
    {
        root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
        return;
    }
    let style = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("style").ok());
    if let Some(style) = style {
        style.set_text_content(Some(&css));
        let _ = root.append_child(&style);
    }
}

const CSS: &str = concat!(
    ".card{box-sizing:border-box;position:relative;width:100%;max-width:420px;margin:0;",
    "padding:18px 18px 16px;background:#fff;color:#1f2937;",
    "font:400 15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;",
    "text-align:left;letter-spacing:normal;text-transform:none;",
    "border:1px solid #e5e7eb;border-radius:14px;",
    "box-shadow:0 12px 32px rgba(17,24,39,.16),0 2px 6px rgba(17,24,39,.08);",
    "animation:nps-in .22s ease-out}",
    ".card *{box-sizing:border-box;font-family:inherit}",
    ".br,.bl{position:fixed;bottom:16px;z-index:2147483000;width:calc(100vw - 32px)}",
    ".br{right:16px}.bl{left:16px}",
    ".q{margin:0 32px 14px 0;font-size:16px;font-weight:600;line-height:1.35;color:#111827}",
    ".scale{display:grid;grid-template-columns:repeat(11,minmax(0,1fr));gap:4px}",
    ".r{min-width:0;height:40px;margin:0;padding:0;border:1px solid #d1d5db;border-radius:8px;",
    "background:#f9fafb;color:#111827;font-size:14px;font-weight:600;line-height:1;font-variant-numeric:tabular-nums;",
    "cursor:pointer;transition:background-color .12s,border-color .12s}",
    ".r:hover{border-color:var(--nps-accent);background:#fff}",
    ".r[aria-checked=true]{background:var(--nps-accent);border-color:var(--nps-accent);color:#fff}",
    ".r[aria-disabled=true]{cursor:default}",
    ".ends{display:flex;justify-content:space-between;gap:12px;margin-top:6px;font-size:12px;color:#4b5563}",
    ".ends span:last-child{text-align:right}",
    "button:focus-visible,textarea:focus-visible{outline:3px solid var(--nps-accent);outline-offset:2px}",
    ".x{position:absolute;top:8px;right:8px;width:32px;height:32px;margin:0;padding:0;border:0;",
    "border-radius:8px;background:transparent;color:#6b7280;font-size:22px;font-weight:400;line-height:1;cursor:pointer}",
    ".x:hover{background:#f3f4f6;color:#111827}",
    "label.q{display:block}",
    "textarea{display:block;width:100%;min-height:84px;margin:0;padding:8px 10px;resize:vertical;",
    "border:1px solid #d1d5db;border-radius:8px;background:#fff;color:#111827;font-size:15px;font-weight:400;line-height:1.4}",
    "textarea::placeholder{color:#6b7280}",
    ".send{margin-top:10px;padding:9px 18px;border:0;border-radius:8px;background:var(--nps-accent);",
    "color:#fff;font-size:15px;font-weight:600;line-height:1.2;cursor:pointer}",
    ".send:disabled{opacity:.6;cursor:default}",
    ".err{margin:12px 0 0;color:#b91c1c;font-size:14px}",
    ".retry{margin:0 0 0 8px;padding:2px 4px;border:0;background:none;color:inherit;",
    "font-size:14px;font-weight:600;line-height:1.4;text-decoration:underline;cursor:pointer}",
    ".thanks{margin:0 32px 0 0;font-size:16px;font-weight:600;color:#111827}",
    "@keyframes nps-in{from{opacity:0;transform:translateY(8px)}}",
    // Small screens: a bottom sheet, the full width of the viewport at its bottom edge.
    "@media (max-width:480px){.br,.bl{left:0;right:0;bottom:0;width:auto;max-width:none;",
    "border-width:1px 0 0;border-radius:16px 16px 0 0;",
    "padding-bottom:calc(16px + env(safe-area-inset-bottom,0px));animation-name:nps-up}",
    ".scale{gap:3px}.r{height:44px;font-size:13px}}",
    "@keyframes nps-up{from{transform:translateY(100%)}}",
    // Last, so that it also stops the bottom sheet's slide.
    "@media (prefers-reduced-motion:reduce){.card,.br,.bl{animation:none}.r{transition:none}}",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_colours_pass() {
        assert_eq!(accent_or_default("#0a7"), "#0a7");
        assert_eq!(accent_or_default("#16a34aff"), "#16a34aff");
    }

    #[test]
    fn anything_that_could_escape_the_rule_falls_back() {
        assert_eq!(accent_or_default("red}*{display:none"), DEFAULT_ACCENT);
        assert_eq!(accent_or_default("#12345g"), DEFAULT_ACCENT);
        assert_eq!(accent_or_default(""), DEFAULT_ACCENT);
    }

    #[test]
    fn the_stylesheet_starts_by_resetting_the_host() {
        let css = stylesheet("#ff0000");
        assert!(css.starts_with(":host{all:initial;"));
        assert!(css.contains("--nps-accent:#ff0000}"));
    }
}
