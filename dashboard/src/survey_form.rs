//! The survey editor's model: a [`SurveyForm`] holds what the form fields show (numbers
//! as the text typed), turns into a [`SurveyDefinition`] or says which fields cannot be
//! read, and into the smallest [`SurveyPatch`] or a [`CreateSurvey`] body. The
//! server's problem+json field errors are kept in [`FieldErrors`] under the same paths
//! the server uses (`texts.de.question`, `allowed_origins[1]`, `cases.sla_hours`), so
//! each message can be shown next to its field. [`preview`] picks what the live
//! preview shows.
//!
//! Pure: no Leptos, no DOM, no I/O. The checks here are only those a typed body cannot
//! express (a number field holding "ten"); everything else is the server's to judge,
//! so the dashboard and the API never disagree about what a valid survey is. A new
//! language starts from the same built-in words the API fills a survey's texts from
//! (`nps_shared::words`).

use std::collections::BTreeMap;

use nps_shared::api::{
    CreateSurvey, IdentityPolicy, Position, SurveyDefinition, SurveyPatch, SurveyTexts, Theme,
    Throttle, Triggers, UrlMatch, UrlRule,
};
use nps_shared::case::{CaseSettings, OwnerRule};
use nps_shared::locale;
use nps_shared::retention;
use nps_shared::theme;
use nps_shared::words;
use nps_shared::{Category, Score};

/// What the editor's fields hold. Lists typed as text (origins one per line, event
/// names separated by commas or spaces) stay text until saved, so typing is never
/// fought by a parser.
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyForm {
    /// A new survey's chosen id (empty: the server picks one); fixed once created.
    pub id: String,
    pub name: String,
    pub default_locale: String,
    pub texts: BTreeMap<String, SurveyTexts>,
    pub accent: String,
    /// Corner radius in px (blank: the widget's own).
    pub radius: String,
    /// CSS font-family list (blank: the system font).
    pub font: String,
    pub position: Position,
    /// One origin per line.
    pub allowed_origins: String,
    pub throttle_days: String,
    /// Answers per visitor (IP address) and minute; blank: the worker's default.
    pub rate_limit: String,
    /// Days answers are kept before they are archived and deleted; blank: forever.
    pub retention_days: String,
    /// Hours a shop connector's invitation waits after delivery: set through the
    /// API, carried as it is.
    pub delay_after_delivery_hours: Option<u32>,
    pub dismissed_days: String,
    pub delay_seconds: String,
    pub scroll_percent: String,
    pub sample_percent: String,
    pub exit_intent: bool,
    pub manual: bool,
    /// Tracked event names, separated by commas or white space.
    pub events: String,
    pub url_rules: Vec<UrlRule>,
    pub case_threshold: String,
    pub sla_hours: String,
    pub default_owner: String,
    pub owner_rules: Vec<OwnerRule>,
    /// Not edited here (the API sets them); kept so that saving the form keeps them.
    pub causes: Vec<nps_shared::cause::Cause>,
    /// Not edited here (the API sets them); kept so that saving the form keeps them.
    pub identity: IdentityPolicy,
    pub extend_invitation_properties: bool,
    /// The mail provider (`postmark`, `resend`; blank: the worker sends no e-mail).
    pub mail_provider: String,
    pub mail_from_address: String,
    pub mail_from_name: String,
    pub mail_reply_to: String,
    /// Not edited here (message stream, subjects); kept so that saving keeps them.
    pub mail_kept: Option<nps_shared::mail_settings::MailSettings>,
}

/// The texts to start a language from: its built-in words (`nps_shared::words`, the
/// question naming `brand` when there is one), `None` for a language without them.
pub fn starter_texts(tag: &str, brand: &str) -> Option<SurveyTexts> {
    let brand = Some(brand).filter(|b| !b.trim().is_empty());
    words::built_in(tag).map(|w| w.texts(brand))
}

impl SurveyForm {
    /// The form of a stored survey.
    pub fn from_definition(id: &str, d: &SurveyDefinition) -> SurveyForm {
        SurveyForm {
            id: id.to_owned(),
            name: d.name.clone(),
            default_locale: d.default_locale.clone(),
            texts: d.texts.clone(),
            accent: d.theme.accent.clone(),
            radius: d.theme.radius.map(|r| r.to_string()).unwrap_or_default(),
            font: d.theme.font.clone().unwrap_or_default(),
            position: d.theme.position,
            allowed_origins: d.allowed_origins.join("\n"),
            throttle_days: d.throttle.days.to_string(),
            rate_limit: d
                .rate_limit_per_minute
                .map(|n| n.to_string())
                .unwrap_or_default(),
            retention_days: d.retention_days.map(|n| n.to_string()).unwrap_or_default(),
            delay_after_delivery_hours: d.delay_after_delivery_hours,
            dismissed_days: d.throttle.dismissed_days.to_string(),
            delay_seconds: d.triggers.delay_seconds.to_string(),
            scroll_percent: d.triggers.scroll_percent.to_string(),
            sample_percent: d.triggers.sample_percent.to_string(),
            exit_intent: d.triggers.exit_intent,
            manual: d.triggers.manual,
            events: d.triggers.events.join(", "),
            url_rules: d.triggers.url_rules.clone(),
            case_threshold: d.cases.threshold.value().to_string(),
            sla_hours: d.cases.sla_hours.to_string(),
            default_owner: d.cases.default_owner.clone().unwrap_or_default(),
            owner_rules: d.cases.owner_rules.clone(),
            causes: d.cases.causes.clone(),
            identity: d.identity,
            extend_invitation_properties: d.extend_invitation_properties,
            mail_provider: d
                .mail
                .as_ref()
                .map(|m| m.provider.as_str().to_owned())
                .unwrap_or_default(),
            mail_from_address: d
                .mail
                .as_ref()
                .map(|m| m.from_address.clone())
                .unwrap_or_default(),
            mail_from_name: d
                .mail
                .as_ref()
                .and_then(|m| m.from_name.clone())
                .unwrap_or_default(),
            mail_reply_to: d
                .mail
                .as_ref()
                .and_then(|m| m.reply_to.clone())
                .unwrap_or_default(),
            mail_kept: d.mail.clone(),
        }
    }

    /// The mail settings the fields hold: none without a provider.
    fn mail_settings(&self) -> Option<nps_shared::mail_settings::MailSettings> {
        let provider = nps_shared::mail_settings::MailProvider::parse(self.mail_provider.trim())?;
        let optional = |v: &str| Some(v.trim()).filter(|v| !v.is_empty()).map(str::to_owned);
        let kept = self.mail_kept.clone().unwrap_or_default();
        Some(nps_shared::mail_settings::MailSettings {
            provider,
            from_address: self.mail_from_address.trim().to_owned(),
            from_name: optional(&self.mail_from_name),
            reply_to: optional(&self.mail_reply_to),
            message_stream: kept
                .message_stream
                .filter(|_| provider == nps_shared::mail_settings::MailProvider::Postmark),
            subject: kept.subject,
        })
    }

    /// A new survey: English texts, the API's defaults for everything else, shown on
    /// `origin` (the dashboard's own, so it can be tried on the demo page at once).
    pub fn new_survey(origin: &str) -> SurveyForm {
        let definition = SurveyDefinition {
            name: String::new(),
            default_locale: "en".into(),
            texts: BTreeMap::from([("en".to_owned(), english(""))]),
            theme: Theme::default(),
            allowed_origins: if origin.is_empty() {
                Vec::new()
            } else {
                vec![origin.trim_end_matches('/').to_owned()]
            },
            throttle: Throttle::default(),
            triggers: Triggers::default(),
            cases: CaseSettings::default(),
            rate_limit_per_minute: None,
            retention_days: None,
            delay_after_delivery_hours: None,
            identity: IdentityPolicy::default(),
            extend_invitation_properties: false,
            mail: None,
        };
        SurveyForm::from_definition("", &definition)
    }

    /// The origins as a list: one per non-blank line, trimmed.
    pub fn origin_list(&self) -> Vec<String> {
        self.allowed_origins
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The event names as a list.
    pub fn event_list(&self) -> Vec<String> {
        self.events
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Adds a language, starting from the default language's texts (a translator
    /// overwrites them); refused when the tag is malformed or already there.
    pub fn add_locale(&mut self, tag: &str) -> Result<(), String> {
        let tag = tag.trim();
        if !locale::is_valid_tag(tag) {
            return Err(format!(
                "“{tag}” is not a language tag like de, fr or pt-BR."
            ));
        }
        if self.texts.keys().any(|t| t.eq_ignore_ascii_case(tag)) {
            return Err(format!("{tag} is already there."));
        }
        // Its built-in words, else a copy of the default language's to translate.
        let start = starter_texts(tag, &self.name)
            .or_else(|| self.texts.get(&self.default_locale).cloned())
            .unwrap_or_else(|| english(&self.name));
        self.texts.insert(tag.to_owned(), start);
        Ok(())
    }

    /// Removes a language; the default language stays (choose another default first).
    pub fn remove_locale(&mut self, tag: &str) -> Result<(), String> {
        if tag == self.default_locale {
            return Err(format!(
                "{tag} is the default language: make another one the default first."
            ));
        }
        self.texts.remove(tag);
        Ok(())
    }

    /// The definition these fields describe, or every field that cannot be read.
    pub fn to_definition(&self) -> Result<SurveyDefinition, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut number = |field: &str, text: &str, max: u32| -> u32 {
            match text.trim().parse::<u32>() {
                Ok(n) if n <= max => n,
                _ => {
                    errors.add(field, format!("must be a whole number from 0 to {max}"));
                    0
                }
            }
        };
        let days = number("throttle.days", &self.throttle_days, 3650);
        let dismissed_days = number("throttle.dismissed_days", &self.dismissed_days, 3650);
        let delay_seconds = number("triggers.delay_seconds", &self.delay_seconds, 3600);
        let scroll_percent = number("triggers.scroll_percent", &self.scroll_percent, 100) as u8;
        let sample_percent = number("triggers.sample_percent", &self.sample_percent, 100) as u8;
        let sla_hours = number("cases.sla_hours", &self.sla_hours, 100_000);
        let rate_limit_per_minute = (!self.rate_limit.trim().is_empty())
            .then(|| number("rate_limit_per_minute", &self.rate_limit, 10_000_000));
        let radius = (!self.radius.trim().is_empty())
            .then(|| number("theme.radius", &self.radius, u32::from(theme::MAX_RADIUS)) as u8);
        let retention_days = (!self.retention_days.trim().is_empty()).then(|| {
            let days = self.retention_days.trim().parse::<u32>().unwrap_or(0);
            if !retention::is_valid_days(days) {
                errors.add(
                    "retention_days",
                    format!(
                        "must be from {} to {} days, or blank to keep answers forever",
                        retention::MIN_DAYS,
                        retention::MAX_DAYS
                    ),
                );
            }
            days
        });
        let threshold = self
            .case_threshold
            .trim()
            .parse::<u8>()
            .ok()
            .and_then(|n| Score::try_from(n).ok());
        if threshold.is_none() {
            errors.add("cases.threshold", "must be a score from 0 to 10");
        }
        let (Some(threshold), true) = (threshold, errors.is_empty()) else {
            return Err(errors);
        };
        let default_owner = self.default_owner.trim();
        Ok(SurveyDefinition {
            name: self.name.clone(),
            default_locale: self.default_locale.clone(),
            texts: self.texts.clone(),
            theme: Theme {
                accent: self.accent.trim().to_owned(),
                position: self.position,
                radius,
                font: Some(self.font.trim())
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned),
            },
            allowed_origins: self.origin_list(),
            throttle: Throttle {
                days,
                dismissed_days,
            },
            triggers: Triggers {
                delay_seconds,
                scroll_percent,
                exit_intent: self.exit_intent,
                url_rules: self.url_rules.clone(),
                events: self.event_list(),
                sample_percent,
                manual: self.manual,
            },
            cases: CaseSettings {
                threshold,
                sla_hours,
                default_owner: (!default_owner.is_empty()).then(|| default_owner.to_owned()),
                owner_rules: self.owner_rules.clone(),
                causes: self.causes.clone(),
            },
            rate_limit_per_minute,
            identity: self.identity,
            extend_invitation_properties: self.extend_invitation_properties,
            retention_days,
            delay_after_delivery_hours: self.delay_after_delivery_hours,
            mail: self.mail_settings(),
        })
    }

    /// `POST /v1/surveys` for a new survey.
    pub fn create_body(&self) -> Result<CreateSurvey, FieldErrors> {
        let id = self.id.trim();
        Ok(CreateSurvey {
            id: (!id.is_empty()).then(|| id.to_owned()),
            definition: self.to_definition()?,
        })
    }
}

/// Only what changed between the stored definition and the edited one, so that a
/// save never overwrites a part someone else changed meanwhile through the API.
pub fn survey_patch(saved: &SurveyDefinition, edited: &SurveyDefinition) -> SurveyPatch {
    fn changed<T: PartialEq + Clone>(before: &T, after: &T) -> Option<T> {
        (before != after).then(|| after.clone())
    }
    SurveyPatch {
        name: changed(&saved.name, &edited.name),
        default_locale: changed(&saved.default_locale, &edited.default_locale),
        texts: changed(&saved.texts, &edited.texts),
        theme: changed(&saved.theme, &edited.theme),
        allowed_origins: changed(&saved.allowed_origins, &edited.allowed_origins),
        throttle: changed(&saved.throttle, &edited.throttle),
        triggers: changed(&saved.triggers, &edited.triggers),
        cases: changed(&saved.cases, &edited.cases),
        // The API can set a limit but not unset one: a cleared field sends nothing.
        rate_limit_per_minute: changed(&saved.rate_limit_per_minute, &edited.rate_limit_per_minute)
            .flatten(),
        identity: changed(&saved.identity, &edited.identity),
        extend_invitation_properties: changed(
            &saved.extend_invitation_properties,
            &edited.extend_invitation_properties,
        ),
        // Cleared: `null`, keep answers forever.
        retention_days: changed(&saved.retention_days, &edited.retention_days),
        // Set through the API (no field in the form): carried as it was.
        delay_after_delivery_hours: changed(
            &saved.delay_after_delivery_hours,
            &edited.delay_after_delivery_hours,
        )
        .flatten(),
        // Cleared provider: `null`, the worker stops mailing.
        mail: changed(&saved.mail, &edited.mail),
    }
}

/// Whether a patch would change nothing.
pub fn is_empty_patch(patch: &SurveyPatch) -> bool {
    patch == &SurveyPatch::default()
}

/// Messages by field path, as the server's problem+json `errors[]` name them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// From `(field, message)` pairs; two messages for one field are joined.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> FieldErrors {
        let mut errors = FieldErrors::default();
        for (field, message) in pairs {
            errors.add(&field, message);
        }
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let message = message.into();
        self.0
            .entry(field.to_owned())
            .and_modify(|m| {
                m.push_str("; ");
                m.push_str(&message);
            })
            .or_insert(message);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The message for exactly this field.
    pub fn get(&self, field: &str) -> Option<String> {
        self.0.get(field).cloned()
    }

    /// Whether this field or anything inside it (`texts.de` → `texts.de.question`,
    /// `allowed_origins` → `allowed_origins[2]`) has a problem.
    pub fn any_under(&self, prefix: &str) -> bool {
        self.0.keys().any(|f| {
            f == prefix
                || f.strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    }

    /// `(i, message)` for `prefix[i]` (`suffix` empty) or `prefix[i].suffix`.
    pub fn indexed(&self, prefix: &str, suffix: &str) -> Vec<(usize, String)> {
        self.0
            .iter()
            .filter_map(|(field, message)| {
                let rest = field.strip_prefix(prefix)?.strip_prefix('[')?;
                let (index, after) = rest.split_once(']')?;
                let wanted = if suffix.is_empty() {
                    after.is_empty()
                } else {
                    after.strip_prefix('.') == Some(suffix)
                };
                wanted
                    .then(|| index.parse().ok().map(|i| (i, message.clone())))
                    .flatten()
            })
            .collect()
    }

    /// Every problem, in field order, for the summary at the top of the form.
    pub fn all(&self) -> Vec<(String, String)> {
        self.0.iter().map(|(f, m)| (f.clone(), m.clone())).collect()
    }
}

/// What a field path is called on the form, for the error summary: "German ·
/// Question", "Allowed origins, line 2".
pub fn field_label(field: &str) -> String {
    let (base, index) = match field.split_once('[') {
        Some((base, rest)) => (base, rest.split_once(']')),
        None => (field, None),
    };
    let simple = match base {
        "" => Some("The survey"),
        "id" => Some("Survey id"),
        "name" => Some("Name"),
        "default_locale" => Some("Default language"),
        "theme.accent" => Some("Brand colour"),
        "theme.radius" => Some("Corner radius"),
        "rate_limit_per_minute" => Some("Answers per visitor and minute"),
        "retention_days" => Some("Keep answers (days)"),
        "theme.font" => Some("Font"),
        "theme.position" => Some("Position"),
        "theme" => Some("Look"),
        "allowed_origins" => Some("Allowed origins"),
        "throttle.days" => Some("Ask again after (days)"),
        "throttle.dismissed_days" => Some("After a dismissal (days)"),
        "triggers.delay_seconds" => Some("Delay (seconds)"),
        "triggers.scroll_percent" => Some("Scroll depth (%)"),
        "triggers.sample_percent" => Some("Sample (%)"),
        "triggers.events" => Some("Tracked events"),
        "triggers.url_rules" => Some("URL rules"),
        "cases.threshold" => Some("Open a case at or below"),
        "cases.sla_hours" => Some("SLA (hours)"),
        "cases.default_owner" => Some("Default owner"),
        "cases.owner_rules" => Some("Owner rules"),
        _ => None,
    };
    if let Some(label) = simple {
        return match index {
            Some((i, _)) => match i.parse::<usize>() {
                Ok(i) if base == "allowed_origins" => format!("{label}, line {}", i + 1),
                Ok(i) => format!("{label}, row {}", i + 1),
                Err(_) => label.to_owned(),
            },
            None => label.to_owned(),
        };
    }
    if let Some(rest) = field.strip_prefix("texts.") {
        let (tag, part) = rest.split_once('.').unwrap_or((rest, ""));
        let part = match part {
            "" => "language tag",
            "question" => "Question",
            "follow_up.detractor" => "Follow-up for detractors",
            "follow_up.passive" => "Follow-up for passives",
            "follow_up.promoter" => "Follow-up for promoters",
            "thanks" => "Thank-you message",
            "low_label" => "Label under 0",
            "high_label" => "Label under 10",
            "comment_placeholder" => "Comment placeholder",
            "submit" => "Send button",
            "dismiss" => "Close button",
            other => other,
        };
        return format!("{} · {part}", language_name(tag));
    }
    field.to_owned()
}

/// Where the form shows `field`: the language tab to open first (for a text) and the
/// id of the input to focus, so each line of the error summary can lead to its field.
pub fn field_target(field: &str) -> Option<(Option<String>, String)> {
    if let Some(rest) = field.strip_prefix("texts.") {
        let (tag, part) = rest.split_once('.')?;
        return Some((Some(tag.to_owned()), format!("f-texts.{part}")));
    }
    let base = field.split('[').next().unwrap_or(field);
    let id = match base {
        "theme.accent" => "accent-text".to_owned(),
        "default_locale" => "f-new-locale".to_owned(),
        "name"
        | "id"
        | "allowed_origins"
        | "throttle.days"
        | "throttle.dismissed_days"
        | "triggers.delay_seconds"
        | "triggers.scroll_percent"
        | "triggers.sample_percent"
        | "triggers.events"
        | "cases.threshold"
        | "cases.sla_hours"
        | "cases.default_owner"
        | "theme.radius"
        | "rate_limit_per_minute"
        | "retention_days"
        | "theme.font"
        | "theme.position" => format!("f-{base}"),
        _ => return None,
    };
    Some((None, id))
}

/// A language's name in English for the tags a shop most often has; the tag itself
/// otherwise.
pub fn language_name(tag: &str) -> String {
    let language = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    let name = match language.as_str() {
        "en" => "English",
        "de" => "German",
        "fr" => "French",
        "es" => "Spanish",
        "it" => "Italian",
        "nl" => "Dutch",
        "pt" => "Portuguese",
        "pl" => "Polish",
        "sv" => "Swedish",
        "da" => "Danish",
        "fi" => "Finnish",
        "no" | "nb" => "Norwegian",
        "cs" => "Czech",
        "tr" => "Turkish",
        "ar" => "Arabic",
        "he" => "Hebrew",
        "fa" => "Persian",
        "ur" => "Urdu",
        "ja" => "Japanese",
        "zh" => "Chinese",
        "ko" => "Korean",
        "ru" => "Russian",
        "uk" => "Ukrainian",
        _ => return tag.to_owned(),
    };
    if tag.contains('-') {
        format!("{name} ({tag})")
    } else {
        name.to_owned()
    }
}

/// The built-in English words, the question naming `brand` when there is one.
fn english(brand: &str) -> SurveyTexts {
    starter_texts("en", brand).unwrap_or_default()
}

/// The accent for the colour picker: an `<input type="color">` takes `#rrggbb` only,
/// so a `#rgb` accent is shown expanded and anything else as the default.
pub fn picker_accent(accent: &str) -> String {
    theme::expand_accent(accent.trim()).unwrap_or_else(|| theme::DEFAULT_ACCENT.to_owned())
}

/// Which state of the widget the preview shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreviewStep {
    /// The question and the 0–10 scale.
    Question,
    /// After a score: the follow-up question worded for its category.
    FollowUp(Score),
    Thanks,
}

/// Everything the preview card shows, in one language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    /// The language shown (the default one when the chosen one is gone).
    pub locale: String,
    pub rtl: bool,
    pub accent: String,
    /// Corner radius in px, when the form holds a valid one.
    pub radius: Option<u8>,
    /// Font-family list, when the form holds one the server would take.
    pub font: Option<String>,
    pub texts: SurveyTexts,
    /// The selected score, if the step has one.
    pub selected: Option<Score>,
    /// The follow-up question for the selected score's category.
    pub follow_up: Option<String>,
    pub thanks: bool,
}

/// What the preview shows of `form` in `locale` at `step`; `None` when the form has no
/// texts at all.
pub fn preview(form: &SurveyForm, locale: &str, step: PreviewStep) -> Option<Preview> {
    let (locale, texts) = form
        .texts
        .get_key_value(locale)
        .or_else(|| form.texts.get_key_value(&form.default_locale))
        .or_else(|| form.texts.iter().next())?;
    let selected = match step {
        PreviewStep::FollowUp(score) => Some(score),
        _ => None,
    };
    Some(Preview {
        locale: locale.clone(),
        rtl: locale::is_rtl(locale),
        // Both go into a style attribute: only what the widget would take may pass.
        accent: theme::accent_or_default(form.accent.trim()).to_owned(),
        radius: form
            .radius
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|r| *r <= theme::MAX_RADIUS),
        font: Some(form.font.trim())
            .filter(|f| theme::is_font(f))
            .map(str::to_owned),
        follow_up: selected.map(|s| texts.follow_up.for_category(Category::from(s)).to_owned()),
        texts: texts.clone(),
        selected,
        thanks: step == PreviewStep::Thanks,
    })
}

/// The snippet for the survey being edited; `data-locale` when a language other than
/// the default is previewed (a site in that language would set it, or its `<html
/// lang>`), and `data-position="inline"` with a target for an inline survey.
pub fn editor_snippet(origin: &str, survey_id: &str, locale: Option<&str>, inline: bool) -> String {
    let origin = origin.trim_end_matches('/');
    let mut tag =
        format!(r#"<script async src="{origin}/widget/nps.js" data-survey="{survey_id}""#);
    if let Some(locale) = locale {
        tag.push_str(&format!(r#" data-locale="{locale}""#));
    }
    if inline {
        tag = format!(
            "<div id=\"nps-survey\"></div>\n{tag} data-target=\"#nps-survey\" data-position=\"inline\""
        );
    }
    tag.push_str("></script>");
    tag
}

/// The kinds of URL rule, in the order the select offers them.
pub const URL_MATCHES: [UrlMatch; 3] = [UrlMatch::Contains, UrlMatch::Exact, UrlMatch::Regex];

pub fn url_match_name(kind: UrlMatch) -> &'static str {
    match kind {
        UrlMatch::Exact => "exact",
        UrlMatch::Contains => "contains",
        UrlMatch::Regex => "regex",
    }
}

pub fn parse_url_match(text: &str) -> UrlMatch {
    URL_MATCHES
        .into_iter()
        .find(|k| url_match_name(*k) == text)
        .unwrap_or(UrlMatch::Contains)
}

pub const POSITIONS: [Position; 3] = [
    Position::BottomRight,
    Position::BottomLeft,
    Position::Inline,
];

pub fn position_name(position: Position) -> &'static str {
    match position {
        Position::BottomRight => "bottom-right",
        Position::BottomLeft => "bottom-left",
        Position::Inline => "inline",
    }
}

pub fn parse_position(text: &str) -> Position {
    POSITIONS
        .into_iter()
        .find(|p| position_name(*p) == text)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> SurveyDefinition {
        let mut de = english("");
        de.question = "Wie wahrscheinlich ist es, dass Sie uns empfehlen?".into();
        de.follow_up.detractor = "Das tut uns leid. Was ist schiefgelaufen?".into();
        SurveyDefinition {
            name: "Demo shop".into(),
            default_locale: "en".into(),
            texts: BTreeMap::from([("en".into(), english("")), ("de".into(), de)]),
            theme: Theme {
                accent: "#0f766e".into(),
                position: Position::BottomRight,
                radius: Some(6),
                font: None,
            },
            allowed_origins: vec!["http://localhost:*".into(), "https://shop.example".into()],
            throttle: Throttle::default(),
            triggers: Triggers {
                events: vec!["checkout".into(), "signup".into()],
                ..Triggers::default()
            },
            cases: CaseSettings {
                default_owner: Some("support@shop.example".into()),
                causes: vec![nps_shared::cause::Cause {
                    key: "returns".into(),
                    label: "Returns".into(),
                    department: "Warehouse".into(),
                    keywords: vec!["refund".into()],
                }],
                ..CaseSettings::default()
            },
            rate_limit_per_minute: None,
            retention_days: None,
            delay_after_delivery_hours: None,
            identity: IdentityPolicy::default(),
            extend_invitation_properties: false,
            mail: None,
        }
    }

    #[test]
    fn a_rate_limit_is_sent_when_set_and_a_blank_keeps_the_default() {
        let saved = demo();
        let mut form = SurveyForm::from_definition("s", &saved);
        assert_eq!(form.rate_limit, "");
        form.rate_limit = "1200".into();
        let edited = form.to_definition().expect("valid");
        assert_eq!(edited.rate_limit_per_minute, Some(1200));
        let patch = serde_json::to_value(survey_patch(&saved, &edited)).expect("json");
        assert_eq!(patch["rate_limit_per_minute"], 1200);
        form.rate_limit = "many".into();
        let errors = form.to_definition().expect_err("not a number");
        assert!(errors.get("rate_limit_per_minute").is_some());
    }

    #[test]
    fn retention_is_sent_as_days_cleared_as_null_and_checked_in_the_form() {
        let saved = demo();
        let mut form = SurveyForm::from_definition("s", &saved);
        assert_eq!(form.retention_days, "");
        form.retention_days = "365".into();
        let edited = form.to_definition().expect("valid");
        let patch = serde_json::to_value(survey_patch(&saved, &edited)).expect("json");
        assert_eq!(patch["retention_days"], 365);
        // Back to blank: the patch clears it (null), not "no change".
        let kept = SurveyForm::from_definition("s", &edited);
        let mut cleared = kept.clone();
        cleared.retention_days = " ".into();
        let forever = cleared.to_definition().expect("valid");
        let patch = serde_json::to_value(survey_patch(&edited, &forever)).expect("json");
        assert_eq!(patch.get("retention_days"), Some(&serde_json::Value::Null));
        form.retention_days = "7".into();
        let errors = form.to_definition().expect_err("under a month");
        assert!(errors.get("retention_days").is_some());
    }

    fn score(n: u8) -> Score {
        Score::try_from(n).expect("a score")
    }

    #[test]
    fn a_stored_survey_survives_the_form_unchanged() {
        let d = demo();
        let form = SurveyForm::from_definition("s_demo", &d);
        assert_eq!(
            form.allowed_origins,
            "http://localhost:*\nhttps://shop.example"
        );
        assert_eq!(form.events, "checkout, signup");
        assert_eq!(form.to_definition(), Ok(d.clone()));
        assert!(is_empty_patch(&survey_patch(&d, &d)));
    }

    #[test]
    fn the_patch_carries_only_what_was_edited() {
        let saved = demo();
        let mut form = SurveyForm::from_definition("s_demo", &saved);
        if let Some(de) = form.texts.get_mut("de") {
            de.question = "Würden Sie uns weiterempfehlen?".into();
        }
        form.accent = "#ff5500".into();
        let edited = form.to_definition().expect("readable");
        let patch = survey_patch(&saved, &edited);
        let json = serde_json::to_value(&patch).expect("serialises");
        let keys: Vec<&String> = json.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["texts", "theme"]);
        assert_eq!(json["theme"]["accent"], "#ff5500");
        assert_eq!(
            json["texts"]["de"]["question"],
            "Würden Sie uns weiterempfehlen?"
        );
        assert_eq!(json["texts"]["en"]["question"], saved.texts["en"].question);
    }

    #[test]
    fn lists_typed_as_text_are_split_and_trimmed() {
        let mut form = SurveyForm::from_definition("s", &demo());
        form.allowed_origins = " https://a.example \n\n https://*.b.example\n".into();
        form.events = "checkout,signup  paid\n".into();
        let d = form.to_definition().expect("readable");
        assert_eq!(
            d.allowed_origins,
            ["https://a.example", "https://*.b.example"]
        );
        assert_eq!(d.triggers.events, ["checkout", "signup", "paid"]);
    }

    #[test]
    fn numbers_that_cannot_be_read_are_named_by_their_server_field() {
        let mut form = SurveyForm::from_definition("s", &demo());
        form.throttle_days = "ninety".into();
        form.sample_percent = "101".into();
        form.case_threshold = "11".into();
        form.sla_hours = "-1".into();
        let errors = form.to_definition().expect_err("unreadable");
        let fields: Vec<String> = errors.all().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "cases.sla_hours",
                "cases.threshold",
                "throttle.days",
                "triggers.sample_percent"
            ]
        );
        assert_eq!(
            errors.get("throttle.days").as_deref(),
            Some("must be a whole number from 0 to 3650")
        );
    }

    #[test]
    fn a_blank_default_owner_means_unassigned() {
        let mut form = SurveyForm::from_definition("s", &demo());
        form.default_owner = "   ".into();
        assert_eq!(
            form.to_definition().expect("readable").cases.default_owner,
            None
        );
    }

    #[test]
    fn a_new_survey_starts_valid_in_english_on_this_origin() {
        let mut form = SurveyForm::new_survey("http://localhost:8787/");
        form.name = "Checkout".into();
        let body = form.create_body().expect("readable");
        assert_eq!(body.id, None);
        assert_eq!(body.definition.allowed_origins, ["http://localhost:8787"]);
        assert_eq!(body.definition.default_locale, "en");
        assert!(nps_shared::validate::check_survey(&body.definition).is_ok());
        form.id = " s_checkout ".into();
        assert_eq!(
            form.create_body().expect("readable").id.as_deref(),
            Some("s_checkout")
        );
    }

    #[test]
    fn a_language_is_added_from_its_built_in_words_and_the_default_cannot_be_removed() {
        let mut form = SurveyForm::from_definition("s", &demo());
        form.add_locale("fr").expect("added");
        assert_eq!(
            form.texts["fr"].question,
            "Quelle est la probabilité que vous recommandiez Demo shop à un ami ou un collègue\u{a0}?"
        );
        assert_eq!(form.texts["fr"].submit, "Envoyer");
        // Without built-in words: the default language's texts, to translate.
        form.add_locale("zh").expect("added");
        assert_eq!(form.texts["zh"], form.texts["en"]);
        assert!(form.add_locale("FR").is_err(), "already there");
        assert!(form.add_locale("français").is_err(), "not a tag");
        assert!(form.remove_locale("en").is_err());
        form.remove_locale("fr").expect("removed");
        assert!(!form.texts.contains_key("fr"));
        assert_eq!(
            SurveyForm::new_survey("").texts["en"].question,
            "How likely are you to recommend us to a friend or colleague?"
        );
    }

    #[test]
    fn field_errors_are_found_by_path_prefix_and_index() {
        let errors = FieldErrors::from_pairs([
            (
                "texts.de.question".to_owned(),
                "must be 1 to 300 characters".to_owned(),
            ),
            (
                "allowed_origins[1]".to_owned(),
                "must be an origin".to_owned(),
            ),
            (
                "cases.owner_rules[0].owner".to_owned(),
                "must be an e-mail".to_owned(),
            ),
            (
                "theme.accent".to_owned(),
                "must be a colour like #2563eb".to_owned(),
            ),
            ("theme.accent".to_owned(), "is too dark".to_owned()),
        ]);
        assert_eq!(errors.len(), 4);
        assert!(errors.any_under("texts.de"));
        assert!(!errors.any_under("texts.d"));
        assert!(!errors.any_under("texts.en"));
        assert!(errors.any_under("allowed_origins"));
        assert_eq!(
            errors.indexed("allowed_origins", ""),
            [(1, "must be an origin".to_owned())]
        );
        assert_eq!(
            errors.indexed("cases.owner_rules", "owner"),
            [(0, "must be an e-mail".to_owned())]
        );
        assert!(errors.indexed("cases.owner_rules", "property").is_empty());
        assert_eq!(
            errors.get("theme.accent").as_deref(),
            Some("must be a colour like #2563eb; is too dark")
        );
    }

    #[test]
    fn field_paths_read_as_labels() {
        assert_eq!(field_label("texts.de.question"), "German · Question");
        assert_eq!(
            field_label("texts.pt-BR.thanks"),
            "Portuguese (pt-BR) · Thank-you message"
        );
        assert_eq!(field_label("allowed_origins[1]"), "Allowed origins, line 2");
        assert_eq!(
            field_label("cases.owner_rules[0].owner"),
            "Owner rules, row 1"
        );
        assert_eq!(field_label("theme.accent"), "Brand colour");
        assert_eq!(field_label("something.new"), "something.new");
    }

    #[test]
    fn summary_lines_lead_to_their_inputs() {
        assert_eq!(
            field_target("texts.de.follow_up.detractor"),
            Some((
                Some("de".to_owned()),
                "f-texts.follow_up.detractor".to_owned()
            ))
        );
        assert_eq!(
            field_target("allowed_origins[3]"),
            Some((None, "f-allowed_origins".to_owned()))
        );
        assert_eq!(
            field_target("theme.accent"),
            Some((None, "accent-text".to_owned()))
        );
        assert_eq!(field_target("cases.owner_rules[0].owner"), None);
        assert_eq!(field_target("texts.de"), None);
    }

    #[test]
    fn arabic_and_hebrew_are_mirrored() {
        let mut form = SurveyForm::from_definition("s", &demo());
        for tag in ["ar", "he-IL"] {
            let texts = form.texts["en"].clone();
            form.texts.insert(tag.to_owned(), texts);
            assert!(
                preview(&form, tag, PreviewStep::Question)
                    .expect("texts")
                    .rtl
            );
        }
        assert!(
            !preview(&form, "de", PreviewStep::Question)
                .expect("texts")
                .rtl
        );
    }

    #[test]
    fn the_colour_picker_gets_six_hex_digits() {
        assert_eq!(picker_accent("#ff5500"), "#ff5500");
        assert_eq!(picker_accent(" #abc "), "#aabbcc");
        assert_eq!(
            picker_accent("red;background:url(x)"),
            theme::DEFAULT_ACCENT
        );
        assert_eq!(picker_accent("#12345g"), theme::DEFAULT_ACCENT);
    }

    #[test]
    fn radius_and_font_round_trip_and_a_blank_is_the_widget_default() {
        let mut form = SurveyForm::from_definition("s", &demo());
        assert_eq!(form.radius, "6");
        assert_eq!(form.font, "");
        form.font = "Georgia, serif".into();
        let edited = form.to_definition().expect("valid");
        assert_eq!(edited.theme.radius, Some(6));
        assert_eq!(edited.theme.font.as_deref(), Some("Georgia, serif"));
        let p = preview(&form, "en", PreviewStep::Question).expect("texts");
        assert_eq!(
            (p.radius, p.font.as_deref()),
            (Some(6), Some("Georgia, serif"))
        );
        form.radius = " ".into();
        assert_eq!(form.to_definition().expect("valid").theme.radius, None);
        form.radius = "40".into();
        let errors = form.to_definition().expect_err("over 32");
        assert!(errors.get("theme.radius").is_some());
    }

    #[test]
    fn the_preview_words_the_follow_up_for_the_chosen_score() {
        let form = SurveyForm::from_definition("s", &demo());
        let p = preview(&form, "de", PreviewStep::FollowUp(score(3))).expect("texts");
        assert_eq!(p.locale, "de");
        assert_eq!(
            p.follow_up.as_deref(),
            Some("Das tut uns leid. Was ist schiefgelaufen?")
        );
        assert_eq!(p.selected, Some(score(3)));
        assert_eq!(p.accent, "#0f766e");
        let p = preview(&form, "en", PreviewStep::FollowUp(score(9))).expect("texts");
        assert_eq!(p.follow_up.as_deref(), Some("What do you like most?"));
        let p = preview(&form, "en", PreviewStep::Thanks).expect("texts");
        assert!(p.thanks && p.selected.is_none());
    }

    #[test]
    fn a_removed_language_previews_in_the_default_one() {
        let form = SurveyForm::from_definition("s", &demo());
        let p = preview(&form, "fr", PreviewStep::Question).expect("texts");
        assert_eq!(p.locale, "en");
        assert!(!p.rtl);
        let mut empty = form.clone();
        empty.texts.clear();
        assert_eq!(preview(&empty, "en", PreviewStep::Question), None);
    }

    #[test]
    fn the_snippet_names_the_survey_language_and_inline_target() {
        assert_eq!(
            editor_snippet("https://nps.example/", "s_demo", None, false),
            r#"<script async src="https://nps.example/widget/nps.js" data-survey="s_demo"></script>"#
        );
        assert_eq!(
            editor_snippet("https://nps.example", "s_demo", Some("de"), true),
            "<div id=\"nps-survey\"></div>\n<script async src=\"https://nps.example/widget/nps.js\" data-survey=\"s_demo\" data-locale=\"de\" data-target=\"#nps-survey\" data-position=\"inline\"></script>"
        );
    }

    #[test]
    fn select_values_round_trip() {
        for p in POSITIONS {
            assert_eq!(parse_position(position_name(p)), p);
        }
        for k in URL_MATCHES {
            assert_eq!(parse_url_match(url_match_name(k)), k);
        }
    }

    #[test]
    fn the_mail_fields_round_trip_and_clearing_the_provider_stops_the_mailing() {
        let mut saved = demo();
        saved.mail = Some(nps_shared::mail_settings::MailSettings {
            provider: nps_shared::mail_settings::MailProvider::Resend,
            from_address: "nps@shop.example".into(),
            subject: BTreeMap::from([("de".into(), "Ihre Meinung".into())]),
            ..Default::default()
        });
        let mut form = SurveyForm::from_definition("s_demo", &saved);
        assert_eq!(form.mail_provider, "resend");
        assert_eq!(
            form.to_definition().unwrap(),
            saved,
            "saving unchanged keeps the subjects"
        );
        form.mail_reply_to = " help@shop.example ".into();
        let edited = form.to_definition().unwrap();
        let patch = survey_patch(&saved, &edited);
        assert_eq!(
            patch.mail.unwrap().unwrap().reply_to.as_deref(),
            Some("help@shop.example")
        );
        form.mail_provider.clear();
        let cleared = survey_patch(&saved, &form.to_definition().unwrap());
        assert_eq!(cleared.mail, Some(None), "null: the worker stops mailing");
    }
}
