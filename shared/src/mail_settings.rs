//! A survey's mail settings (`SurveyDefinition::mail`): which provider sends its
//! invitation e-mails, from whom, and the subject per language when the built-in one
//! will not do. Wire types only, so the dashboard (wasm, without the `server`
//! feature) edits them; the message and the provider requests are `crate::mail`'s.
//! The provider's API key is never here: it is a `wrangler secret` of the worker.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The e-mail APIs the worker sends through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailProvider {
    /// `POST https://api.postmarkapp.com/email`, `X-Postmark-Server-Token`.
    #[default]
    Postmark,
    /// `POST https://api.resend.com/emails`, `Authorization: Bearer`.
    Resend,
}

impl MailProvider {
    pub const ALL: [MailProvider; 2] = [MailProvider::Postmark, MailProvider::Resend];

    pub fn as_str(self) -> &'static str {
        match self {
            MailProvider::Postmark => "postmark",
            MailProvider::Resend => "resend",
        }
    }

    pub fn parse(text: &str) -> Option<MailProvider> {
        MailProvider::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// How a survey's invitations are mailed. A survey without it leaves sending to the
/// shop (the `invitation.due` webhook).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSettings {
    pub provider: MailProvider,
    /// The sender address; the provider must know it (a Postmark sender signature, a
    /// Resend verified domain).
    pub from_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Postmark's message stream (absent: Postmark's default, `outbound`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_stream: Option<String>,
    /// The subject per language tag, instead of the built-in one; `{brand}` stands
    /// for the survey's name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subject: BTreeMap<String, String>,
}

/// The status of one invitation e-mail (`mail_sends.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// The provider accepted it.
    Sent,
    /// Failed for good (after the last attempt, or refused as never deliverable).
    Failed,
    /// Not sent: the address is suppressed.
    Suppressed,
    /// Sent, then reported bounced by the provider.
    Bounced,
    /// Sent, then reported as spam by the recipient.
    Complained,
}

impl MailStatus {
    pub const ALL: [MailStatus; 6] = [
        MailStatus::Pending,
        MailStatus::Sent,
        MailStatus::Failed,
        MailStatus::Suppressed,
        MailStatus::Bounced,
        MailStatus::Complained,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
            MailStatus::Suppressed => "suppressed",
            MailStatus::Bounced => "bounced",
            MailStatus::Complained => "complained",
        }
    }

    pub fn parse(text: &str) -> Option<MailStatus> {
        MailStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One invitation e-mail as the send log shows it (`GET /v1/mail-sends`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSendView {
    /// `ml_…`
    pub id: String,
    pub invitation_id: String,
    pub survey_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    /// The recipient's address key (trimmed, lower case).
    pub email: String,
    pub provider: MailProvider,
    pub status: MailStatus,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Why an address gets no survey e-mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionReason {
    Unsubscribed,
    Bounced,
    Complained,
}

impl SuppressionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionReason::Unsubscribed => "unsubscribed",
            SuppressionReason::Bounced => "bounced",
            SuppressionReason::Complained => "complained",
        }
    }

    pub fn parse(text: &str) -> Option<SuppressionReason> {
        [
            SuppressionReason::Unsubscribed,
            SuppressionReason::Bounced,
            SuppressionReason::Complained,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

/// An address no survey mails (`GET /v1/suppressions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionView {
    /// The address key (trimmed, lower case).
    pub email: String,
    pub reason: SuppressionReason,
    /// `link`, `one-click`, `postmark`, `resend`.
    pub source: String,
    pub created_at: String,
}
