//! Slack incoming-webhook messages for response events, so a team can point an alert
//! straight at a channel. Slack wants `text` (the notification and fallback) and may
//! take `blocks`; user text is escaped as Slack asks (`&`, `<`, `>`), so a comment
//! cannot ping `@channel` or forge links.

use crate::api::{EventType, ResponseEventData};
use crate::score::Category;
use serde_json::{Value, json};

/// Slack's limit for the text of one section block.
const SECTION_LIMIT: usize = 3000;

/// Escapes text for Slack's mrkdwn.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The Slack message for a `response.created` or `response.updated` event.
pub fn response_message(event_type: EventType, data: &ResponseEventData) -> Value {
    let r = &data.response;
    let (emoji, label) = match r.category {
        Category::Detractor => (":rotating_light:", "Detractor"),
        Category::Passive => (":neutral_face:", "Passive"),
        Category::Promoter => (":tada:", "Promoter"),
    };
    let what = match event_type {
        EventType::ResponseUpdated => "comment added",
        _ => "new answer",
    };
    let survey = escape(&data.survey.name);
    let headline = format!("{emoji} {label} ({}/10) on {survey}: {what}", r.score);
    let mut body = format!("*{label}* · score *{}*/10 · {survey}", r.score);
    if let Some(comment) = &r.comment {
        let quoted: Vec<String> = escape(comment).lines().map(|l| format!(">{l}")).collect();
        body.push('\n');
        body.push_str(&quoted.join("\n"));
    }
    let mut context: Vec<String> = r
        .properties
        .iter()
        .map(|(k, v)| format!("{}: {}", escape(k), escape(v)))
        .collect();
    if let Some(email) = &r.respondent.email {
        context.push(escape(email));
    } else if let Some(id) = &r.respondent.id {
        context.push(format!("customer {}", escape(id)));
    }
    context.push(format!("{} · {}", r.id, r.channel.as_str()));
    json!({
        "text": headline,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(&body, SECTION_LIMIT)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(&context.join(" · "), SECTION_LIMIT)}]}
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Channel, Respondent, ResponseView, SurveyRef};
    use crate::score::Score;

    fn data(score: u8, comment: Option<&str>) -> ResponseEventData {
        let score = Score::try_from(score).unwrap();
        ResponseEventData {
            response: ResponseView {
                id: "r_1".into(),
                survey_id: "s_demo".into(),
                score,
                category: score.category(),
                comment: comment.map(str::to_string),
                channel: Channel::Web,
                locale: None,
                page_url: None,
                respondent: Respondent {
                    id: None,
                    email: Some("kim@example.com".into()),
                },
                properties: [("store".to_string(), "berlin".to_string())].into(),
                created_at: "2026-11-25T00:00:00.000Z".into(),
                updated_at: "2026-11-25T00:00:00.000Z".into(),
            },
            survey: SurveyRef {
                id: "s_demo".into(),
                name: "Demo <shop>".into(),
            },
            case_id: None,
        }
    }

    #[test]
    fn a_detractor_message_has_text_and_blocks_slack_accepts() {
        let m = response_message(EventType::ResponseCreated, &data(3, Some("Late & broken")));
        assert_eq!(
            m["text"],
            ":rotating_light: Detractor (3/10) on Demo &lt;shop&gt;: new answer"
        );
        assert_eq!(m["blocks"][0]["type"], "section");
        assert_eq!(m["blocks"][0]["text"]["type"], "mrkdwn");
        assert!(
            m["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .contains(">Late &amp; broken")
        );
        let context = m["blocks"][1]["elements"][0]["text"].as_str().unwrap();
        assert!(context.contains("store: berlin") && context.contains("kim@example.com"));
    }

    #[test]
    fn a_comment_cannot_mention_the_channel_or_forge_links() {
        let m = response_message(
            EventType::ResponseCreated,
            &data(0, Some("<!channel> <https://evil.example|click>")),
        );
        let text = m["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(!text.contains('<') && !text.contains("<!channel>"));
    }

    #[test]
    fn long_comments_are_cut_to_slacks_limit() {
        let long = "x".repeat(5000);
        let m = response_message(EventType::ResponseUpdated, &data(9, Some(&long)));
        assert!(
            m["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .chars()
                .count()
                <= SECTION_LIMIT
        );
        assert!(m["text"].as_str().unwrap().ends_with("comment added"));
    }
}
