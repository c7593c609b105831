//! Wire types of the HTTP contract, `worker/public/openapi.json`.
//!
//! These are what travels as JSON between the widget, shops, the dashboard and the
//! worker. Incoming response bodies are *not* decoded straight into these types by the
//! worker: `validate` reads them loosely first so that every wrong field can be named
//! in one 422. The widget uses them as they are.

pub use crate::respondent::{IdentityPolicy, Respondent};
use crate::score::{Category, Score};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where an answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    #[default]
    Web,
    Email,
    Link,
    Api,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Web, Channel::Email, Channel::Link, Channel::Api];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Email => "email",
            Channel::Link => "link",
            Channel::Api => "api",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// `POST /v1/responses` as a well-behaved client (the widget) sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubmitResponse {
    pub survey_id: String,
    pub score: Score,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default)]
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Respondent::is_empty")]
    pub respondent: Respondent,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `201` (or `200` on an idempotent replay) of `POST /v1/responses`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseCreated {
    pub id: String,
    pub category: Category,
    /// Lets the same browser add its comment later with `PATCH /v1/responses/{id}`.
    pub edit_token: String,
}

/// `PATCH /v1/responses/{id}`: the follow-up comment after the score was stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateResponse {
    pub edit_token: String,
    pub comment: String,
}

/// A stored answer as the admin API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponseView {
    pub id: String,
    pub survey_id: String,
    pub score: Score,
    pub category: Category,
    pub comment: Option<String>,
    pub channel: Channel,
    pub locale: Option<String>,
    pub page_url: Option<String>,
    pub respondent: Respondent,
    pub properties: BTreeMap<String, String>,
    pub created_at: String,
    pub updated_at: String,
    /// The order an invitation tied this answer to (one answer per order).
    #[serde(default)]
    pub order_id: Option<String>,
    /// Why this looks like an e-mail scanner's visit rather than a person's answer;
    /// reports leave flagged answers out by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged: Option<String>,
    /// An e-mail answer no person has confirmed yet (by a tap, a key or a comment on
    /// the page): it may be a mail scanner's visit. Reports leave it out by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
}

/// One page of a list; pass `next_cursor` back as `cursor` for the next one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The words of a survey in one language. A survey being created or changed may leave
/// any of them out (or blank): they are filled from the built-in words of that
/// language (`crate::words`) before it is stored, so a stored survey has them all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SurveyTexts {
    /// "How likely are you to recommend us to a friend or colleague?"
    pub question: String,
    /// The follow-up question, worded for what the score said.
    pub follow_up: FollowUp,
    pub thanks: String,
    /// Under 0 and under 10 on the scale.
    pub low_label: String,
    pub high_label: String,
    pub comment_placeholder: String,
    pub submit: String,
    pub dismiss: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FollowUp {
    pub detractor: String,
    pub passive: String,
    pub promoter: String,
}

impl FollowUp {
    pub fn for_category(&self, category: Category) -> &str {
        match category {
            Category::Detractor => &self.detractor,
            Category::Passive => &self.passive,
            Category::Promoter => &self.promoter,
        }
    }
}

/// How the widget looks on the host page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    /// CSS colour of the selected score and the buttons (the widget's `--nps-brand`
    /// unless the page sets it): `#rrggbb`, or `#rgb`, which is decoded as `#rrggbb`
    /// ([`crate::theme`] has the rules of the whole theme).
    #[serde(deserialize_with = "crate::theme::deserialize_accent")]
    pub accent: String,
    pub position: Position,
    /// Corner radius of the card in px, 0–32 (`--nps-radius`); 14 when absent
    /// ([`crate::theme::DEFAULT_RADIUS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius: Option<u8>,
    /// CSS font-family list (`--nps-font`), e.g. `Georgia, serif`: names of letters,
    /// digits, spaces, hyphens and paired single quotes; the system font when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            accent: crate::theme::DEFAULT_ACCENT.into(),
            position: Position::BottomRight,
            radius: None,
            font: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    #[default]
    BottomRight,
    BottomLeft,
    /// In the page flow, where the script tag stands.
    Inline,
}

/// How often one browser may be asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttle {
    /// Days to wait after an answer before asking again.
    pub days: u32,
    /// Days to wait after the survey was dismissed unanswered (usually shorter).
    #[serde(default = "default_dismissed_days")]
    pub dismissed_days: u32,
}

fn default_dismissed_days() -> u32 {
    14
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            days: 90,
            dismissed_days: default_dismissed_days(),
        }
    }
}

/// How a URL rule compares the page URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UrlMatch {
    Exact,
    Contains,
    /// A JavaScript regular expression, tested against the full URL.
    Regex,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlRule {
    #[serde(rename = "match")]
    pub kind: UrlMatch,
    pub value: String,
}

/// When the script-tag widget shows itself. The loader decides this before it
/// downloads the wasm, so a page that shows no survey pays only for the loader.
///
/// Gates (all must pass): `url_rules` (any rule matches; none = every page),
/// `sample_percent`, and `events` (if any, the page must have called
/// `nps('track', name)` with one of them). Then the survey shows at the first of the
/// configured moments — `delay_seconds`, `scroll_percent`, `exit_intent` — or at once
/// when none is set. `manual` shows it only on `nps('show')`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triggers {
    #[serde(default)]
    pub delay_seconds: u32,
    /// 1–100: how far down the page the visitor has scrolled; 0 = not a trigger.
    #[serde(default)]
    pub scroll_percent: u8,
    /// The pointer leaves through the top of the window (desktop only).
    #[serde(default)]
    pub exit_intent: bool,
    #[serde(default)]
    pub url_rules: Vec<UrlRule>,
    #[serde(default)]
    pub events: Vec<String>,
    /// 1–100: the share of eligible visitors who are asked.
    #[serde(default = "default_sample")]
    pub sample_percent: u8,
    #[serde(default)]
    pub manual: bool,
}

fn default_sample() -> u8 {
    100
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers {
            delay_seconds: 0,
            scroll_percent: 0,
            exit_intent: false,
            url_rules: Vec::new(),
            events: Vec::new(),
            sample_percent: default_sample(),
            manual: false,
        }
    }
}

/// What an admin sends to create a survey (and gets back inside [`SurveyView`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyDefinition {
    /// Also the brand the built-in question names.
    pub name: String,
    /// `en` when absent.
    #[serde(default = "default_locale")]
    pub default_locale: String,
    /// Translations by locale tag; must include `default_locale`. Absent or empty: the
    /// default locale and every built-in language, in the built-in words; a language
    /// partly given is filled from its built-in words.
    #[serde(default)]
    pub texts: BTreeMap<String, SurveyTexts>,
    #[serde(default)]
    pub theme: Theme,
    /// Browser origins allowed to show the survey: `https://shop.example`,
    /// `https://*.shop.example`, `http://localhost:*`, or `*` for any.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    #[serde(default)]
    pub throttle: Throttle,
    #[serde(default)]
    pub triggers: Triggers,
    /// When a low answer opens a detractor case, who owns it, and its SLA.
    #[serde(default)]
    pub cases: crate::case::CaseSettings,
    /// Answers one client (IP address, IPv6 /64) may send to this survey per minute,
    /// counted exactly; absent: 300. Config reads, the hosted page and comments are
    /// limited by the worker's flood limiter instead (`PUBLIC_LIMITER`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
    /// Whether a claimed respondent needs a valid `user_hash` (`crate::identity`):
    /// `optional` (the default) keeps an unproven claim as properties that link to
    /// nobody; `required` refuses it.
    #[serde(default, skip_serializing_if = "IdentityPolicy::is_optional")]
    pub identity: IdentityPolicy,
    /// Whether an answer through an invitation may add properties the invitation did
    /// not set. Never those it set: the invitation's values stand. Off by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extend_invitation_properties: bool,
    /// Days an answer is kept in the database (`crate::retention`): older ones are
    /// archived (R2) and deleted by the cron, their counts staying in the rollups.
    /// Absent: kept forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Hours a shop connector's invitation waits after the order's delivery before it
    /// is sent (`crate::connector`); absent: 72. From 0 to 2160 (90 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_after_delivery_hours: Option<u32>,
    /// How the worker mails this survey's invitations when they are due (issue 16);
    /// absent: it does not, the shop does on `invitation.due`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<crate::mail_settings::MailSettings>,
}

fn default_locale() -> String {
    "en".into()
}

/// `POST /v1/surveys`: a definition and, optionally, a chosen id (`s_…`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSurvey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(flatten)]
    pub definition: SurveyDefinition,
}

/// `PATCH /v1/surveys/{id}`: only the fields present change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub texts: Option<BTreeMap<String, SurveyTexts>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<Theme>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<Throttle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Triggers>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases: Option<crate::case::CaseSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_invitation_properties: Option<bool>,
    /// Absent: unchanged; `null`: keep answers forever; a number: that many days.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub retention_days: Option<Option<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_after_delivery_hours: Option<u32>,
    /// Absent: unchanged; `null`: the worker stops mailing; settings: replaced.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub mail: Option<Option<crate::mail_settings::MailSettings>>,
}

/// A field that is present, `null` included: `Some(None)` for `null`, so a patch can
/// clear a setting (absent fields stay `None` through `#[serde(default)]`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl SurveyPatch {
    pub fn apply_to(self, definition: &mut SurveyDefinition) {
        if let Some(v) = self.name {
            definition.name = v;
        }
        if let Some(v) = self.default_locale {
            definition.default_locale = v;
        }
        if let Some(v) = self.texts {
            definition.texts = v;
        }
        if let Some(v) = self.theme {
            definition.theme = v;
        }
        if let Some(v) = self.allowed_origins {
            definition.allowed_origins = v;
        }
        if let Some(v) = self.throttle {
            definition.throttle = v;
        }
        if let Some(v) = self.triggers {
            definition.triggers = v;
        }
        if let Some(v) = self.cases {
            definition.cases = v;
        }
        if let Some(v) = self.rate_limit_per_minute {
            definition.rate_limit_per_minute = Some(v);
        }
        if let Some(v) = self.identity {
            definition.identity = v;
        }
        if let Some(v) = self.extend_invitation_properties {
            definition.extend_invitation_properties = v;
        }
        if let Some(v) = self.retention_days {
            definition.retention_days = v;
        }
        if let Some(v) = self.delay_after_delivery_hours {
            definition.delay_after_delivery_hours = Some(v);
        }
        if let Some(v) = self.mail {
            definition.mail = v;
        }
    }
}

/// A survey as the admin API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyView {
    pub id: String,
    #[serde(flatten)]
    pub definition: SurveyDefinition,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /v1/surveys/{id}/config`: what the widget needs to render, in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyConfig {
    pub survey_id: String,
    /// The locale the texts are in (the best match for what was asked).
    pub locale: String,
    /// The survey's texts in `locale`, or the built-in words of that language where
    /// the survey has none.
    pub texts: SurveyTexts,
    pub theme: Theme,
    pub throttle: Throttle,
    #[serde(default)]
    pub triggers: Triggers,
    /// The widget's own lines in `locale` (only this one language is sent).
    #[serde(default)]
    pub messages: Messages,
    /// How `locale` is written: `rtl` for Arabic and Hebrew.
    #[serde(default)]
    pub dir: TextDirection,
}

/// The lines the widget shows besides a survey's texts, in one language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Messages {
    /// A failure the server will not get past by itself (a retry is offered).
    pub error: String,
    pub retry: String,
    /// No connection (or the server is down): the answer is kept and sent later.
    pub queued: String,
    pub already_answered: String,
    pub invalid_link: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextDirection {
    #[default]
    Ltr,
    Rtl,
}

/// `POST /v1/invitations`: ask one customer, usually after an order was delivered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    pub survey_id: String,
    /// At most one answer is stored per order and survey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default)]
    pub respondent: Respondent,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// When the invitation stops working; default 30 days from now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    /// Language of the e-mail HTML and the survey page; default the survey's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// RFC 3339: hold the invitation until then, then announce it as
    /// `invitation.due` (e.g. a few days after delivery). We never send mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_after: Option<String>,
}

/// An invitation: the link, its token, and ready-made e-mail HTML.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// `inv_…`
    pub id: String,
    pub survey_id: String,
    pub order_id: Option<String>,
    pub case_id: Option<String>,
    /// The hosted survey page for this customer.
    pub url: String,
    pub token: String,
    /// A table of eleven score links to paste into the shop's e-mail.
    pub email_html: String,
    pub expires_at: String,
    /// When `invitation.due` is (or was) announced; `None` when it was not held back.
    #[serde(default)]
    pub send_after: Option<String>,
}

/// Kinds of webhook events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "response.created")]
    ResponseCreated,
    #[serde(rename = "response.updated")]
    ResponseUpdated,
    #[serde(rename = "case.opened")]
    CaseOpened,
    #[serde(rename = "case.updated")]
    CaseUpdated,
    /// An invitation's `send_after` has come: the shop's mail tool sends it now.
    #[serde(rename = "invitation.due")]
    InvitationDue,
    /// Sent to one endpoint on request (`POST /v1/webhooks/{id}/test`) to try it out;
    /// no answer, case or invitation is behind it, and no endpoint subscribes to it.
    #[serde(rename = "webhook.test")]
    WebhookTest,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::ResponseCreated,
        EventType::ResponseUpdated,
        EventType::CaseOpened,
        EventType::CaseUpdated,
        EventType::InvitationDue,
        EventType::WebhookTest,
    ];

    /// What an endpoint may subscribe to: every type but the test event.
    pub const SUBSCRIBABLE: [EventType; 5] = [
        EventType::ResponseCreated,
        EventType::ResponseUpdated,
        EventType::CaseOpened,
        EventType::CaseUpdated,
        EventType::InvitationDue,
    ];

    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ResponseCreated => "response.created",
            EventType::ResponseUpdated => "response.updated",
            EventType::CaseOpened => "case.opened",
            EventType::CaseUpdated => "case.updated",
            EventType::InvitationDue => "invitation.due",
            EventType::WebhookTest => "webhook.test",
        }
    }
}

/// Which events of a type an endpoint wants. Empty lists mean "all" — so a misspelled
/// key in a request must be refused, not ignored: `{"survey_id": [...]}` would
/// otherwise send every survey's answers to the endpoint ([`CreateWebhook`] checks;
/// reading a filter back stays lenient, so a field added later breaks no reader).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookFilter {
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_min: Option<Score>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_max: Option<Score>,
    #[serde(default)]
    pub survey_ids: Vec<String>,
}

impl WebhookFilter {
    /// Whether an answer to `survey_id` with `score` passes this filter.
    pub fn matches(&self, survey_id: &str, score: Score) -> bool {
        self.admits(survey_id, Some(score))
    }

    /// Whether an event about `survey_id` passes; events without a score (an
    /// invitation coming due) are filtered by survey only.
    pub fn admits(&self, survey_id: &str, score: Option<Score>) -> bool {
        let score_ok = score.is_none_or(|score| {
            (self.categories.is_empty() || self.categories.contains(&score.category()))
                && self.score_min.is_none_or(|min| score >= min)
                && self.score_max.is_none_or(|max| score <= max)
        });
        score_ok && (self.survey_ids.is_empty() || self.survey_ids.iter().any(|s| s == survey_id))
    }
}

fn default_events() -> Vec<EventType> {
    vec![EventType::ResponseCreated]
}

/// What a webhook request's body looks like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// The event as JSON, signed per Standard Webhooks.
    #[default]
    Standard,
    /// A Slack incoming-webhook message (`text` + `blocks`), so an alert can go
    /// straight into a channel. Signed the same way; Slack ignores the headers.
    Slack,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Standard => "standard",
            WebhookFormat::Slack => "slack",
        }
    }

    pub fn parse(text: &str) -> Option<WebhookFormat> {
        [WebhookFormat::Standard, WebhookFormat::Slack]
            .into_iter()
            .find(|f| f.as_str() == text)
    }
}

/// `POST /v1/webhooks`. Unknown fields are refused (a misspelled `filter` would
/// subscribe the endpoint to everything).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
    #[serde(default = "default_events")]
    pub events: Vec<EventType>,
    #[serde(default, deserialize_with = "strict_filter")]
    pub filter: WebhookFilter,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A [`WebhookFilter`] as a request must spell it: no other keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictFilter {
    #[serde(default)]
    categories: Vec<Category>,
    #[serde(default)]
    score_min: Option<Score>,
    #[serde(default)]
    score_max: Option<Score>,
    #[serde(default)]
    survey_ids: Vec<String>,
}

/// A request's filter, refusing keys a [`WebhookFilter`] does not have, named with
/// their path (`filter.survey_id`) so the 422 points at them.
fn strict_filter<'de, D: serde::Deserializer<'de>>(d: D) -> Result<WebhookFilter, D::Error> {
    use serde::de::Error;
    let f = StrictFilter::deserialize(d).map_err(|e| {
        D::Error::custom(
            e.to_string()
                .replace("unknown field `", "unknown field `filter."),
        )
    })?;
    Ok(WebhookFilter {
        categories: f.categories,
        score_min: f.score_min,
        score_max: f.score_max,
        survey_ids: f.survey_ids,
    })
}

/// A webhook endpoint as listed (without its secrets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub format: WebhookFormat,
    pub events: Vec<EventType>,
    pub filter: WebhookFilter,
    pub description: Option<String>,
    pub created_at: String,
    /// A disabled endpoint is sent nothing: no new events, no retries, no replays.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// After a secret rotation, when the replaced secret stops signing (RFC 3339):
    /// until then every request carries a signature with each secret.
    #[serde(default)]
    pub previous_secret_expires_at: Option<String>,
}

fn enabled() -> bool {
    true
}

/// `PATCH /v1/webhooks/{id}`. Unknown fields are refused and named.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// `POST /v1/webhooks/{id}/rotate-secret` (the body is optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    /// How long the replaced secret keeps signing, in hours (0 to 168, default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_hours: Option<u32>,
}

/// `200` of `POST /v1/webhooks/{id}/rotate-secret`: the only time the new secret is
/// shown; `previous_secret_expires_at` says when the replaced one stops signing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRotated {
    #[serde(flatten)]
    pub endpoint: WebhookView,
    pub secret: String,
}

/// `data` of `webhook.test`: which endpoint asked, and that nothing is behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEventData {
    pub endpoint_id: String,
    /// Always `true`: a receiver can drop the event on this alone.
    pub test: bool,
    pub message: String,
}

/// `201` of `POST /v1/webhooks`: the only time the secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub endpoint: WebhookView,
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Queued, or waiting for its next attempt.
    Pending,
    /// A 2xx ended it.
    Delivered,
    /// Every attempt failed; it went to the dead-letter queue. Replay sends it again.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One try to deliver, as logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub attempt: u32,
    pub attempted_at: String,
    /// The receiver's HTTP status, or `None` when there was no response.
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    /// The first KiB of what the receiver answered.
    pub response_body: Option<String>,
    /// Why there was no response (timeout, refused connection, refused target).
    pub error: Option<String>,
    pub next_attempt_at: Option<String>,
}

/// A delivery of one event to one endpoint, with its attempts (`GET …/deliveries`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// Also the `webhook-id` header of every attempt.
    pub id: String,
    pub endpoint_id: String,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The exact body sent.
    pub payload: String,
    pub attempts: Vec<AttemptView>,
}

/// The body of every webhook request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent<T> {
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub timestamp: String,
    pub data: T,
}

/// `data` of `response.created` and `response.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponseEventData {
    #[serde(flatten)]
    pub response: ResponseView,
    pub survey: SurveyRef,
    /// The detractor case opened for this answer, once cases exist.
    pub case_id: Option<String>,
}

/// `data` of `case.opened` and `case.updated`: the case as `GET /v1/cases/{id}` shows
/// it (with its `comment` and `respondent` when there are any), its survey, and the
/// answer that opened it. `case.opened` goes out with the answer itself, so a comment
/// added later first shows on the next `case.updated` (and on `response.updated`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseEventData {
    #[serde(flatten)]
    pub case: crate::case::CaseView,
    pub survey: SurveyRef,
    /// The answer that opened the case (score, comment, respondent, properties).
    pub response: ResponseView,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyRef {
    pub id: String,
    pub name: String,
}

/// `GET /v1/surveys/{id}/archive`: the parts retention archived, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveList {
    /// The time of the newest archived answer: the survey's answers given before it
    /// are only in the archive. Absent: nothing archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_until: Option<String>,
    pub items: Vec<ArchivePartView>,
}

/// One archive object: NDJSON (one answer per line, as `ResponseView`), gzip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivePartView {
    /// `YYYY-MM` (UTC) of its answers.
    pub month: String,
    /// 1, 2, … within the month.
    pub part: u32,
    /// The R2 object's key.
    pub key: String,
    /// Answers (lines) in it.
    pub count: u32,
    /// Size of the gzip object.
    pub bytes: u64,
    /// Its oldest and newest answer's `created_at`.
    pub first_created_at: String,
    pub last_created_at: String,
    pub written_at: String,
    /// Where to download it (`GET`).
    pub href: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(n: u8) -> Score {
        Score::try_from(n).unwrap()
    }

    #[test]
    fn a_patch_sets_clears_or_leaves_the_retention() {
        let patch = |json: &str| serde_json::from_str::<SurveyPatch>(json).unwrap();
        assert_eq!(
            patch(r#"{"retention_days":90}"#).retention_days,
            Some(Some(90))
        );
        assert_eq!(
            patch(r#"{"retention_days":null}"#).retention_days,
            Some(None)
        );
        assert_eq!(patch("{}").retention_days, None);
        let mut d: SurveyDefinition = serde_json::from_str(r#"{"name":"Shop"}"#).unwrap();
        patch(r#"{"retention_days":90}"#).apply_to(&mut d);
        assert_eq!(d.retention_days, Some(90));
        patch(r#"{"name":"Shop 2"}"#).apply_to(&mut d);
        assert_eq!(d.retention_days, Some(90));
        patch(r#"{"retention_days":null}"#).apply_to(&mut d);
        assert_eq!(d.retention_days, None);
    }

    #[test]
    fn a_misspelled_webhook_filter_key_is_refused_not_ignored() {
        // Regression (review): `survey_id` for `survey_ids` was dropped, and the
        // endpoint then received every survey's answers.
        let body = r#"{"url":"https://hooks.example","filter":{"survey_id":["s_demo"]}}"#;
        let error = serde_json::from_str::<CreateWebhook>(body)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("unknown field `filter.survey_id`"),
            "{error}"
        );
        let error =
            serde_json::from_str::<CreateWebhook>(r#"{"url":"https://x.example","filters":{}}"#)
                .unwrap_err()
                .to_string();
        assert!(error.contains("unknown field `filters`"), "{error}");
        let ok = r#"{"url":"https://hooks.example","filter":{"survey_ids":["s_demo"]}}"#;
        assert_eq!(
            serde_json::from_str::<CreateWebhook>(ok)
                .unwrap()
                .filter
                .survey_ids,
            ["s_demo"]
        );
        // Read back, a filter takes what it does not know (a newer server's field).
        let later: WebhookFilter =
            serde_json::from_str(r#"{"survey_ids":[],"tags":["vip"]}"#).unwrap();
        assert!(later.survey_ids.is_empty());
    }

    #[test]
    fn webhook_patches_and_rotations_refuse_fields_they_do_not_have() {
        let error = serde_json::from_str::<WebhookPatch>(r#"{"enabled":false,"url":"x"}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `url`"), "{error}");
        let error = serde_json::from_str::<RotateSecret>(r#"{"overlap":3}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `overlap`"), "{error}");
        let patch: WebhookPatch = serde_json::from_str(r#"{"enabled":false}"#).unwrap();
        assert_eq!(patch.enabled, Some(false));
        // An endpoint stored before the switch existed reads as enabled.
        let old: WebhookView = serde_json::from_str(
            r#"{"id":"wh_1","url":"https://x.example","format":"standard","events":[],
                "filter":{},"description":null,"created_at":"x"}"#,
        )
        .unwrap();
        assert!(old.enabled && old.previous_secret_expires_at.is_none());
    }

    #[test]
    fn a_minimal_submission_decodes_with_defaults() {
        let s: SubmitResponse =
            serde_json::from_str(r#"{"survey_id":"s_demo","score":3}"#).unwrap();
        assert_eq!(s.channel, Channel::Web);
        assert!(s.properties.is_empty() && s.respondent.is_empty());
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"survey_id":"s_demo","score":3,"channel":"web"}"#
        );
    }

    #[test]
    fn an_empty_filter_lets_everything_through() {
        let f = WebhookFilter::default();
        assert!(Score::all().all(|s| f.matches("s_any", s)));
    }

    #[test]
    fn a_detractor_filter_passes_only_detractors_of_its_surveys() {
        let f = WebhookFilter {
            categories: vec![Category::Detractor],
            survey_ids: vec!["s_demo".into()],
            ..Default::default()
        };
        assert!(f.matches("s_demo", score(6)));
        assert!(!f.matches("s_demo", score(7)));
        assert!(!f.matches("s_other", score(0)));
    }

    #[test]
    fn score_bounds_are_inclusive() {
        let f = WebhookFilter {
            score_min: Some(score(3)),
            score_max: Some(score(5)),
            ..Default::default()
        };
        let passed: Vec<u8> = Score::all()
            .filter(|s| f.matches("s", *s))
            .map(Score::value)
            .collect();
        assert_eq!(passed, vec![3, 4, 5]);
    }

    #[test]
    fn event_types_use_their_dotted_names() {
        let json = serde_json::to_string(&vec![EventType::ResponseCreated, EventType::CaseOpened])
            .unwrap();
        assert_eq!(json, r#"["response.created","case.opened"]"#);
        let c: CreateWebhook = serde_json::from_str(r#"{"url":"https://x.example/h"}"#).unwrap();
        assert_eq!(c.events, vec![EventType::ResponseCreated]);
        assert_eq!(c.format, WebhookFormat::Standard);
        let slack: CreateWebhook =
            serde_json::from_str(r#"{"url":"https://x.example/h","format":"slack"}"#).unwrap();
        assert_eq!(slack.format, WebhookFormat::Slack);
        assert!(
            serde_json::from_str::<CreateWebhook>(
                r#"{"url":"https://x.example/h","format":"teams"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let mut def: SurveyDefinition = serde_json::from_value(serde_json::json!({
            "name": "Shop", "default_locale": "en", "texts": {}, "allowed_origins": ["https://a.example"]
        }))
        .unwrap();
        SurveyPatch {
            name: Some("Shop 2".into()),
            ..Default::default()
        }
        .apply_to(&mut def);
        assert_eq!(def.name, "Shop 2");
        assert_eq!(def.allowed_origins, vec!["https://a.example".to_string()]);
    }
}

/// `GET /v1/respondents/{id}`: everything stored about one respondent (GDPR export).
/// `{id}` is the shop's respondent id, or an e-mail address (matched without regard
/// to case); a respondent known by both is found by each separately.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RespondentExport {
    /// The `{id}` as matched (an e-mail address lower-cased).
    pub respondent: String,
    /// `id` or `email`: which stored field `respondent` was matched against.
    pub matched_by: String,
    /// Their answers, with comments and properties, oldest first.
    pub answers: Vec<ResponseView>,
    /// The detractor cases about them or their answers, with notes and timeline.
    pub cases: Vec<crate::case::CaseView>,
    /// Invitations issued for them (e-mail links, order pages, case re-asks).
    pub invitations: Vec<Invitation>,
    /// Webhook deliveries whose payload carried their data, with the exact payload.
    pub deliveries: Vec<DeliveryView>,
    /// The invitation e-mails to them (the send log). Whether their address is
    /// suppressed is not personal data of theirs to erase: it stays.
    #[serde(default)]
    pub mail_sends: Vec<crate::mail_settings::MailSendView>,
    /// What shop connectors remember about their orders not delivered yet (an order
    /// event named them; the invitation comes with the delivery).
    #[serde(default)]
    pub remembered_orders: Vec<crate::connector::RememberedOrder>,
}

/// `DELETE /v1/respondents/{id}`: how many records were erased (0s when none were
/// left). Answers leave the report rollups in the same atomic write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RespondentErased {
    pub answers: u64,
    pub cases: u64,
    pub invitations: u64,
    pub deliveries: u64,
    #[serde(default)]
    pub mail_sends: u64,
    /// Orders a shop connector remembered about them, forgotten.
    #[serde(default)]
    pub remembered_orders: u64,
    /// The campaign lists (kept in the object store) still name them until a
    /// background job has scrubbed every list: `queued` when that job was queued.
    /// Meanwhile no campaign run invites them.
    #[serde(default)]
    pub campaign_lists: ListScrub,
}

/// Whether an erase queued the scrub of the campaign lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListScrub {
    /// Nothing was queued (a response of a server before campaign lists were scrubbed).
    #[default]
    None,
    /// The scrub of every campaign list is queued.
    Queued,
}
