//! CSV export of answers (RFC 4180: comma-separated, CRLF line ends, fields quoted when
//! they hold a comma, quote or line break, quotes doubled). Cells that a spreadsheet
//! would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) get a
//! leading `'`, so an answer cannot smuggle a formula into someone's Excel.

use crate::api::ResponseView;

pub const HEADER: [&str; 13] = [
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
];

/// One field, neutralised and quoted as needed.
pub fn cell(text: &str) -> String {
    let neutral = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if neutral.contains([',', '"', '\n', '\r'])
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

/// An answer as a record; properties as one JSON object.
pub fn response_record(r: &ResponseView) -> String {
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
        assert_eq!(cell("\tcmd"), "'\tcmd");
    }

    #[test]
    fn a_response_is_one_crlf_record_with_every_column() {
        let r: ResponseView = serde_json::from_value(serde_json::json!({
            "id": "r_1", "survey_id": "s_demo", "score": 3, "category": "detractor", "comment": "late, again",
            "channel": "web", "locale": "de", "page_url": null, "respondent": {"id": "c1"},
            "properties": {"store": "berlin"}, "created_at": "2026-11-25T00:00:00.000Z", "updated_at": "x"
        }))
        .unwrap();
        let line = response_record(&r);
        assert!(line.ends_with("\r\n"));
        assert_eq!(
            line,
            "r_1,s_demo,2026-11-25T00:00:00.000Z,3,detractor,\"late, again\",web,de,,c1,,,\"{\"\"store\"\":\"\"berlin\"\"}\"\r\n"
        );
        assert_eq!(header().split(',').count(), HEADER.len());
    }
}
