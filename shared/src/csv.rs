//! CSV export of answers (RFC 4180: comma-separated, CRLF line ends, fields quoted when
//! they hold a comma, semicolon, tab, quote or line break, or start or end with a space;
//! quotes doubled).
//!
//! Cells that a spreadsheet could run as a formula get a leading `'` (OWASP, "CSV
//! Injection"), so an answer cannot smuggle a formula into someone's Excel. A cell is
//! neutralised when it starts with a tab or carriage return, or when the text or any
//! part of it that a reader might split off (at `,`, `;`, tab or a line break) starts,
//! after leading whitespace, with `=`, `+`, `-` or `@`, or their full-width forms
//! `＝ ＋ － ＠`. Such a cell also holds a separator and so is quoted, which keeps it
//! one field for readers that split on `;` or tab too. A `-` or `+` inside a word
//! (`e-mail`, `1+1`) is harmless and left alone.

use crate::api::ResponseView;

pub const HEADER: [&str; 16] = [
    "id",
    "survey_id",
    "created_at",
    "score",
    "category",
    "comment",
    "channel",
    "locale",
    "page_url",
    "respondent_id",
    "respondent_email",
    "order_id",
    "properties",
    "case_status",
    "case_cause",
    "case_solution",
];

/// The detractor case an answer opened, as its export row shows it: its status, root
/// cause and the solution offered (empty cells when the answer opened none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseCells {
    pub status: String,
    pub cause: Option<String>,
    pub solution: Option<String>,
}

/// What a spreadsheet takes as the start of a formula: ASCII and full-width
/// (U+FF1D, U+FF0B, U+FF0D, U+FF20) forms.
const FORMULA_STARTS: [char; 8] = [
    '=', '+', '-', '@', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}',
];

/// Where some reader or locale splits a line into cells (Excel with a `;` list
/// separator, tab-separated pastes) or a record into lines.
const SPLITS: [char; 5] = [',', ';', '\t', '\r', '\n'];

/// Whether a spreadsheet could take the text, or a cell split off from it, for a
/// formula.
fn could_run_as_formula(text: &str) -> bool {
    text.starts_with(['\t', '\r'])
        || text
            .split(SPLITS)
            .any(|part| part.trim_start().starts_with(FORMULA_STARTS))
}

/// One field, neutralised and quoted as needed.
pub fn cell(text: &str) -> String {
    let neutral = if could_run_as_formula(text) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if neutral.contains([',', ';', '\t', '"', '\n', '\r'])
        || neutral.starts_with(' ')
        || neutral.ends_with(' ')
    {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// One record with its CRLF.
pub fn record<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut line = fields.into_iter().map(cell).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

pub fn header() -> String {
    record(HEADER)
}

/// An answer as a record, with the case it opened; properties as one JSON object.
pub fn response_record(r: &ResponseView, case: Option<&CaseCells>) -> String {
    let score = r.score.to_string();
    let properties = serde_json::to_string(&r.properties).unwrap_or_default();
    record([
        r.id.as_str(),
        r.survey_id.as_str(),
        r.created_at.as_str(),
        score.as_str(),
        r.category.as_str(),
        r.comment.as_deref().unwrap_or_default(),
        r.channel.as_str(),
        r.locale.as_deref().unwrap_or_default(),
        r.page_url.as_deref().unwrap_or_default(),
        r.respondent.id.as_deref().unwrap_or_default(),
        r.respondent.email.as_deref().unwrap_or_default(),
        r.order_id.as_deref().unwrap_or_default(),
        properties.as_str(),
        case.map(|c| c.status.as_str()).unwrap_or_default(),
        case.and_then(|c| c.cause.as_deref()).unwrap_or_default(),
        case.and_then(|c| c.solution.as_deref()).unwrap_or_default(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_stay_plain_and_special_ones_are_quoted() {
        assert_eq!(cell("berlin"), "berlin");
        assert_eq!(cell("late, broken"), "\"late, broken\"");
        assert_eq!(cell("she said \"no\""), "\"she said \"\"no\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell(" padded"), "\" padded\"");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            cell("=HYPERLINK(\"http://evil\",\"x\")"),
            "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""
        );
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tcmd"), "\"'\tcmd\"");
    }

    #[test]
    fn a_formula_after_a_separator_or_leading_whitespace_is_neutralised() {
        for (text, expected) in [
            ("ok;=1+1", "\"'ok;=1+1\""),
            ("ok,=1+1", "\"'ok,=1+1\""),
            ("ok, =1+1", "\"'ok, =1+1\""),
            ("ok\t=1+1", "\"'ok\t=1+1\""),
            ("ok\n@SUM(A1)", "\"'ok\n@SUM(A1)\""),
            ("ok\r\n+1", "\"'ok\r\n+1\""),
            (" =1+1", "' =1+1"),
            ("\u{3000}=1+1", "'\u{3000}=1+1"),
            ("a;-2", "\"'a;-2\""),
        ] {
            assert_eq!(cell(text), expected, "{text:?}");
        }
    }

    #[test]
    fn full_width_formula_characters_are_neutralised() {
        for text in ["＝1+1", "＋1", "－2", "＠SUM(A1)", " ＝1", "ok;＝1"] {
            assert!(
                cell(text).trim_start_matches('"').starts_with('\''),
                "{text:?} gave {:?}",
                cell(text)
            );
        }
    }

    #[test]
    fn a_dash_or_sign_inside_a_word_is_left_alone() {
        for text in [
            "e-mail",
            "well-known, not bad",
            "1+1",
            "a=b",
            "mail@example.com",
        ] {
            assert!(!cell(text).contains('\''), "{text:?} gave {:?}", cell(text));
        }
    }

    #[test]
    fn a_semicolon_or_tab_keeps_the_cell_in_one_field_for_readers_that_split_on_it() {
        assert_eq!(cell("a;b"), "\"a;b\"");
        assert_eq!(cell("a\tb"), "\"a\tb\"");
    }

    #[test]
    fn a_response_is_one_crlf_record_with_every_column() {
        let r: ResponseView = serde_json::from_value(serde_json::json!({
            "id": "r_1", "survey_id": "s_demo", "score": 3, "category": "detractor", "comment": "late, again",
            "channel": "web", "locale": "de", "page_url": null, "respondent": {"id": "c1"},
            "properties": {"store": "berlin"}, "created_at": "2026-11-25T00:00:00.000Z", "updated_at": "x"
        }))
        .unwrap();
        let line = response_record(&r, None);
        assert!(line.ends_with("\r\n"));
        assert_eq!(
            line,
            "r_1,s_demo,2026-11-25T00:00:00.000Z,3,detractor,\"late, again\",web,de,,c1,,,\"{\"\"store\"\":\"\"berlin\"\"}\",,,\r\n"
        );
        assert_eq!(header().split(',').count(), HEADER.len());
        let case = CaseCells {
            status: "resolved".into(),
            cause: Some("delivery".into()),
            solution: Some("=refund, and a voucher".into()),
        };
        assert!(
            response_record(&r, Some(&case))
                .ends_with(",resolved,delivery,\"'=refund, and a voucher\"\r\n"),
            "the case's cells, a solution neutralised like every cell"
        );
    }
}
