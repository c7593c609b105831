//! The NPS question as e-mail HTML: a row of eleven 0–10 links, each to the hosted
//! survey page with that score. Tables and inline styles only, because that is what
//! Outlook, Gmail and Apple Mail all render; every text and URL is escaped. The cells
//! carry classes (`nps-cell`, `nps-score`) that a whole e-mail's media query narrows on
//! small screens (`crate::mail`).

use crate::api::SurveyTexts;

/// Escapes text for HTML content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The question, the eleven score links (`link(score)` gives each URL), and the
/// end labels. `accent` must already be a checked accent (`crate::theme::is_accent`;
/// a stored survey's is `#rrggbb`).
pub fn score_row(texts: &SurveyTexts, accent: &str, link: impl Fn(u8) -> String) -> String {
    let cells: String = (0..=10u8)
        .map(|n| {
            format!(
                r#"<td class="nps-cell" align="center" style="padding:2px"><a class="nps-score" href="{href}" style="display:block;width:36px;border:1px solid {accent};border-radius:4px;color:{accent};font:bold 16px Arial,Helvetica,sans-serif;line-height:36px;text-decoration:none" aria-label="{n}">{n}</a></td>"#,
                href = escape(&link(n)),
            )
        })
        .collect();
    format!(
        concat!(
            r#"<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-family:Arial,Helvetica,sans-serif">"#,
            r#"<tr><td colspan="11" style="padding:0 2px 12px;font-size:16px;color:#111827">{question}</td></tr>"#,
            r#"<tr>{cells}</tr>"#,
            r#"<tr><td colspan="5" style="padding:6px 2px 0;font-size:12px;color:#4b5563">{low}</td>"#,
            r#"<td></td><td colspan="5" align="right" style="padding:6px 2px 0;font-size:12px;color:#4b5563">{high}</td></tr>"#,
            r#"</table>"#
        ),
        question = escape(&texts.question),
        cells = cells,
        low = escape(&texts.low_label),
        high = escape(&texts.high_label),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::FollowUp;

    fn texts() -> SurveyTexts {
        SurveyTexts {
            question: "How likely <b>are</b> you to recommend us?".into(),
            follow_up: FollowUp {
                detractor: "a".into(),
                passive: "b".into(),
                promoter: "c".into(),
            },
            thanks: "t".into(),
            low_label: "Not likely".into(),
            high_label: "Very likely".into(),
            comment_placeholder: "p".into(),
            submit: "Send".into(),
            dismiss: "Close".into(),
        }
    }

    #[test]
    fn the_row_has_eleven_links_in_order_with_escaped_urls() {
        let html = score_row(&texts(), "#0f766e", |n| {
            format!("https://x.example/s/s_demo?score={n}&token=a\"b")
        });
        let hrefs: Vec<&str> = html
            .split("href=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap())
            .collect();
        assert_eq!(hrefs.len(), 11);
        for (n, href) in hrefs.iter().enumerate() {
            assert_eq!(
                *href,
                format!("https://x.example/s/s_demo?score={n}&amp;token=a&quot;b")
            );
        }
    }

    #[test]
    fn survey_texts_cannot_inject_markup() {
        let html = score_row(&texts(), "#0f766e", |n| n.to_string());
        assert!(html.contains("How likely &lt;b&gt;are&lt;/b&gt; you"));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn the_buttons_line_height_comes_after_the_font_shorthand_that_would_reset_it() {
        let html = score_row(&texts(), "#0f766e", |n| n.to_string());
        let style = html.split("class=\"nps-score\"").nth(1).unwrap();
        let font = style.find("font:").unwrap();
        let line_height = style.find("line-height:36px").unwrap();
        assert!(
            font < line_height,
            "a buttons' height of 36 px, not the font's"
        );
    }

    #[test]
    fn tags_are_balanced() {
        let html = score_row(&texts(), "#0f766e", |n| n.to_string());
        for tag in ["table", "tr", "td", "a"] {
            let open = html.matches(&format!("<{tag} ")).count()
                + html.matches(&format!("<{tag}>")).count();
            assert_eq!(open, html.matches(&format!("</{tag}>")).count(), "<{tag}>");
        }
    }
}
