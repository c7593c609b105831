//! Slack incoming-webhook messages for response events, so a team can point an alert
//! straight at a channel. Slack wants `text` (the notification and fallback) and may
//! take `blocks`; user text is escaped as Slack asks (`&`, `<`, `>`), so a comment
//! cannot ping `@channel` or forge links.

use crate::api::{CaseEventData, EventType, ResponseEventData};
use crate::case::{TimelineEntry, TimelineEvent};
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

/// The Slack message for `invitation.due`: who to send the survey to, and the link.
pub fn invitation_message(invitation: &crate::api::Invitation, survey_name: &str) -> Value {
    let who = invitation
        .order_id
        .as_deref()
        .map(|o| format!("order {}", escape(o)))
        .unwrap_or_else(|| "a customer".into());
    json!({
        "text": format!(":envelope: Time to ask {who} about {}: <{}|survey link>", escape(survey_name), invitation.url),
    })
}

/// The Slack message for `webhook.test`: says it is a test, names nobody.
pub fn test_message(data: &crate::api::TestEventData) -> Value {
    json!({
        "text": format!(":white_check_mark: Test event for endpoint {}: {}", escape(&data.endpoint_id), escape(&data.message)),
    })
}

/// What a timeline entry says, in a few words.
fn describe(entry: &TimelineEntry) -> String {
    let who = entry
        .actor
        .as_deref()
        .map(|a| format!(" by {}", escape(a)))
        .unwrap_or_default();
    match &entry.event {
        TimelineEvent::Opened { score } => format!("opened for a {score}/10"),
        TimelineEvent::StatusChanged { to, .. } => format!("now *{to}*{who}"),
        TimelineEvent::OwnerChanged { to, .. } => {
            format!(
                "assigned to {}{who}",
                to.as_deref().map(escape).unwrap_or_else(|| "nobody".into())
            )
        }
        TimelineEvent::Note { note } => format!("note{who}: {}", escape(note)),
        TimelineEvent::Reasked => "customer asked again".into(),
        TimelineEvent::AnsweredAgain { score } => format!("customer answered again: {score}/10"),
        TimelineEvent::CauseSet { to, .. } => format!("cause: {}{who}", escape(to)),
        TimelineEvent::SolutionSet { solution } => format!("solution{who}: {}", escape(solution)),
    }
}

/// The Slack message for a `case.opened` or `case.updated` event.
pub fn case_message(event_type: EventType, data: &CaseEventData) -> Value {
    let c = &data.case;
    let survey = escape(&data.survey.name);
    let latest = c
        .timeline
        .last()
        .map(describe)
        .unwrap_or_else(|| "updated".into());
    let headline = match event_type {
        EventType::CaseOpened => format!(
            ":telephone_receiver: Call back: a {}/10 on {survey}",
            c.score
        ),
        _ => format!(":telephone_receiver: Case {} on {survey}: {latest}", c.id),
    };
    let owner = c
        .owner
        .as_deref()
        .map(escape)
        .unwrap_or_else(|| "nobody yet".into());
    let mut body = format!(
        "*Case {}* · {} · owner {owner} · due {}",
        c.id, c.status, c.due_at
    );
    if let Some(comment) = &data.response.comment {
        body.push_str(&format!("\n>{}", escape(comment).replace('\n', "\n>")));
    }
    body.push_str(&format!("\n_{latest}_"));
    let mut context: Vec<String> = data
        .response
        .properties
        .iter()
        .map(|(k, v)| format!("{}: {}", escape(k), escape(v)))
        .collect();
    if let Some(email) = &data.response.respondent.email {
        context.push(escape(email));
    }
    context.push(data.response.id.clone());
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
                order_id: None,
                flagged: None,
                provisional: false,
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
    fn a_case_message_names_the_owner_and_the_latest_change() {
        use crate::case::{CaseStatus, CaseView};
        let response = data(2, Some("Broken <box>")).response;
        let case = CaseView {
            id: "c_1".into(),
            survey_id: "s_demo".into(),
            response_id: response.id.clone(),
            score: response.score,
            status: CaseStatus::Contacted,
            owner: Some("anna@shop.example".into()),
            due_at: "2026-11-26T00:00:00.000Z".into(),
            overdue: false,
            created_at: "x".into(),
            updated_at: "x".into(),
            timeline: vec![TimelineEntry::new(
                "x",
                Some("ben"),
                TimelineEvent::StatusChanged {
                    from: CaseStatus::Open,
                    to: CaseStatus::Contacted,
                },
            )],
            reasked_score: None,
            win_back: None,
            comment: response.comment.clone(),
            respondent: response.respondent.clone(),
            cause: None,
            solution: None,
            suggested_cause: None,
            suggestions: Vec::new(),
        };
        let d = CaseEventData {
            case,
            survey: SurveyRef {
                id: "s_demo".into(),
                name: "Demo".into(),
            },
            response,
        };
        let m = case_message(EventType::CaseUpdated, &d);
        assert_eq!(
            m["text"],
            ":telephone_receiver: Case c_1 on Demo: now *contacted* by ben"
        );
        let body = m["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(body.contains("owner anna@shop.example") && body.contains(">Broken &lt;box&gt;"));
        let opened = case_message(EventType::CaseOpened, &d);
        assert_eq!(
            opened["text"],
            ":telephone_receiver: Call back: a 2/10 on Demo"
        );
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
