//! `mail_sends` and `suppressions` (migration 0022): the log and job of each
//! invitation e-mail, and the addresses no survey mails. Campaigns read `mail_sends`
//! in their own SQL; everything that writes them is here.

use super::{SqlStore, all_rows, first_row};
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{MailJob, MailRecipient, MailStore, StoreError, StoreResult, SurveyCache};
use nps_shared::mail_settings::{
    MailProvider, MailSendView, MailStatus, SuppressionReason, SuppressionView,
};
use serde::Deserialize;

pub(super) const MAIL_COLUMNS: &str = "id, invitation_id, survey_id, campaign_id, email_key, provider, status, \
     attempts, next_attempt_at, provider_message_id, last_error, created_at, updated_at";

#[derive(Deserialize)]
struct MailRow {
    id: String,
    invitation_id: String,
    survey_id: String,
    campaign_id: Option<String>,
    email_key: String,
    provider: String,
    status: String,
    attempts: u32,
    next_attempt_at: Option<String>,
    provider_message_id: Option<String>,
    last_error: Option<String>,
    created_at: String,
    updated_at: String,
}

impl TryFrom<MailRow> for MailSendView {
    type Error = StoreError;
    fn try_from(row: MailRow) -> StoreResult<Self> {
        let bad = |what: &str| StoreError(format!("mail send {}: bad {what}", row.id));
        Ok(MailSendView {
            provider: MailProvider::parse(&row.provider).ok_or_else(|| bad("provider"))?,
            status: MailStatus::parse(&row.status).ok_or_else(|| bad("status"))?,
            id: row.id,
            invitation_id: row.invitation_id,
            survey_id: row.survey_id,
            campaign_id: row.campaign_id,
            email: row.email_key,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            provider_message_id: row.provider_message_id,
            last_error: row.last_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A send as a row of a JSON array for [`insert_from_json`], in the order of
/// [`MAIL_COLUMNS`].
pub(super) fn mail_json(m: &MailSendView) -> serde_json::Value {
    serde_json::json!([
        m.id,
        m.invitation_id,
        m.survey_id,
        m.campaign_id,
        m.email,
        m.provider.as_str(),
        m.status.as_str(),
        m.attempts,
        m.next_attempt_at,
        m.provider_message_id,
        m.last_error,
        m.created_at,
        m.updated_at,
    ])
}

/// One statement inserting the sends of `array` ([`mail_json`] rows) whose
/// invitation is not released yet (the release in the same batch comes after), one
/// per invitation.
pub(super) fn insert_unreleased(array: String) -> Statement {
    super::insert_select(
        "mail_sends",
        MAIL_COLUMNS,
        array,
        "WHERE EXISTS (SELECT 1 FROM invitations WHERE id = json_extract(value, '$[1]') \
         AND released_at IS NULL) ON CONFLICT (invitation_id) DO NOTHING",
    )
}

fn update(m: &MailSendView) -> Statement {
    query!(
        "UPDATE mail_sends SET status = ?2, attempts = ?3, next_attempt_at = ?4, provider_message_id = ?5, \
         last_error = ?6, updated_at = ?7 WHERE id = ?1",
        m.id,
        m.status.as_str(),
        m.attempts,
        m.next_attempt_at,
        m.provider_message_id,
        m.last_error,
        m.updated_at,
    )
}

fn insert_suppression(s: &SuppressionView) -> Statement {
    query!(
        "INSERT INTO suppressions (email_key, reason, source, created_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (email_key) DO NOTHING",
        s.email,
        s.reason.as_str(),
        s.source,
        s.created_at,
    )
}

/// A send with its invitation and whether its address is suppressed (the columns of
/// [`MailRow`], then those; no `serde(flatten)`, which D1's numbers do not survive).
#[derive(Deserialize)]
struct JobRow {
    id: String,
    invitation_id: String,
    survey_id: String,
    campaign_id: Option<String>,
    email_key: String,
    provider: String,
    status: String,
    attempts: u32,
    next_attempt_at: Option<String>,
    provider_message_id: Option<String>,
    last_error: Option<String>,
    created_at: String,
    updated_at: String,
    invitation: Option<String>,
    respondent_email: Option<String>,
    suppressed: Option<String>,
}

impl TryFrom<JobRow> for MailJob {
    type Error = StoreError;
    fn try_from(row: JobRow) -> StoreResult<Self> {
        let send = MailSendView::try_from(MailRow {
            id: row.id,
            invitation_id: row.invitation_id,
            survey_id: row.survey_id,
            campaign_id: row.campaign_id,
            email_key: row.email_key,
            provider: row.provider,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            provider_message_id: row.provider_message_id,
            last_error: row.last_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })?;
        Ok(MailJob {
            send,
            invitation: row
                .invitation
                .map(|json| serde_json::from_str(&json))
                .transpose()?,
            email: row.respondent_email,
            suppressed: row.suppressed.as_deref().and_then(SuppressionReason::parse),
        })
    }
}

#[derive(Deserialize)]
struct RecipientRow {
    id: String,
    respondent_email: Option<String>,
    suppressed: Option<String>,
    campaign_id: Option<String>,
}

#[derive(Deserialize)]
struct SuppressionRow {
    email_key: String,
    reason: String,
    source: String,
    created_at: String,
}

fn suppression_of(row: SuppressionRow) -> StoreResult<SuppressionView> {
    Ok(SuppressionView {
        reason: SuppressionReason::parse(&row.reason)
            .ok_or_else(|| StoreError(format!("suppression: bad reason {:?}", row.reason)))?,
        email: row.email_key,
        source: row.source,
        created_at: row.created_at,
    })
}

/// GDPR: the sends of a respondent's invitations and, found by address, every send
/// to the address; one query.
pub(super) async fn mail_sends_of<D: Database>(
    db: &D,
    who: &crate::store::Who,
) -> StoreResult<Vec<MailSendView>> {
    let (column, by_address) = match who {
        crate::store::Who::Id(_) => ("respondent_id", false),
        crate::store::Who::Email(_) => ("respondent_email_key", true),
    };
    all_rows(
        db,
        query!(
            format!(
                "SELECT {MAIL_COLUMNS} FROM mail_sends WHERE invitation_id IN \
                 (SELECT id FROM invitations WHERE {column} = ?1) OR (?2 AND email_key = ?1) ORDER BY id"
            ),
            who.as_str(),
            by_address
        ),
        |row: MailRow| MailSendView::try_from(row),
    )
    .await
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

impl<D: Database, C: SurveyCache> MailStore for SqlStore<D, C> {
    async fn mail_recipients(&self, invitation_ids: &[String]) -> StoreResult<Vec<MailRecipient>> {
        let mut recipients = Vec::new();
        for array in super::json_arrays(invitation_ids.iter().map(|id| id.as_str().into())) {
            let rows: Vec<RecipientRow> = self
                .db
                .all(query!(
                    "SELECT i.id, i.respondent_email, s.reason AS suppressed, i.campaign_id FROM invitations i \
                     LEFT JOIN suppressions s ON s.email_key = i.respondent_email_key \
                     WHERE i.id IN (SELECT value FROM json_each(?1))",
                    array
                ))
                .await?;
            recipients.extend(rows.into_iter().filter_map(|r| {
                Some(MailRecipient {
                    invitation_id: r.id,
                    email: r.respondent_email?,
                    suppressed: r.suppressed.is_some(),
                    campaign_id: r.campaign_id,
                })
            }));
        }
        Ok(recipients)
    }

    async fn mail_job(&self, id: &str) -> StoreResult<Option<MailJob>> {
        let columns = MAIL_COLUMNS
            .split(", ")
            .map(|c| format!("m.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        first_row(
            &self.db,
            query!(
                format!(
                    "SELECT {columns}, i.invitation, i.respondent_email, s.reason AS suppressed \
                     FROM mail_sends m LEFT JOIN invitations i ON i.id = m.invitation_id \
                     LEFT JOIN suppressions s ON s.email_key = m.email_key WHERE m.id = ?1"
                ),
                id
            ),
            |row: JobRow| MailJob::try_from(row),
        )
        .await
    }

    async fn settle_mail_send(
        &self,
        send: &MailSendView,
        suppress: Option<&SuppressionView>,
    ) -> StoreResult<()> {
        let mut statements = vec![update(send)];
        statements.extend(suppress.map(insert_suppression));
        self.db.batch(statements).await?;
        Ok(())
    }

    async fn suppress(
        &self,
        suppression: &SuppressionView,
        message: Option<(MailProvider, &str)>,
        status: MailStatus,
    ) -> StoreResult<()> {
        let mut statements = vec![insert_suppression(suppression)];
        if let Some((provider, message_id)) = message {
            statements.push(query!(
                "UPDATE mail_sends SET status = ?3, updated_at = ?4 \
                 WHERE provider = ?1 AND provider_message_id = ?2",
                provider.as_str(),
                message_id,
                status.as_str(),
                suppression.created_at,
            ));
        }
        self.db.batch(statements).await?;
        Ok(())
    }

    async fn overdue_mail_sends(&self, before: &str, limit: u32) -> StoreResult<Vec<String>> {
        let rows: Vec<IdRow> = self
            .db
            .all(query!(
                "SELECT id FROM mail_sends WHERE status = 'pending' AND next_attempt_at <= ?1 \
                 ORDER BY next_attempt_at LIMIT ?2",
                before,
                limit
            ))
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    async fn list_mail_sends(
        &self,
        survey_id: Option<&str>,
        status: Option<MailStatus>,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<MailSendView>> {
        all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {MAIL_COLUMNS} FROM mail_sends WHERE (?1 IS NULL OR survey_id = ?1) \
                     AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4"
                ),
                survey_id,
                status.map(MailStatus::as_str),
                before,
                limit
            ),
            |row: MailRow| MailSendView::try_from(row),
        )
        .await
    }

    async fn list_suppressions(
        &self,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<SuppressionView>> {
        all_rows(
            &self.db,
            query!(
                "SELECT email_key, reason, source, created_at FROM suppressions \
                 WHERE (?1 IS NULL OR email_key > ?1) ORDER BY email_key LIMIT ?2",
                before,
                limit
            ),
            suppression_of,
        )
        .await
    }

    async fn lift_suppression(&self, email_key: &str) -> StoreResult<bool> {
        let gone: Vec<serde::de::IgnoredAny> = self
            .db
            .all(query!(
                "DELETE FROM suppressions WHERE email_key = ?1 RETURNING 1 AS done",
                email_key
            ))
            .await?;
        Ok(!gone.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, with_survey};
    use super::*;
    use crate::store::{InvitationStore, Release};
    use nps_shared::api::{Invitation, Respondent};
    use nps_shared::invitation::Claims;

    const NOW: &str = "2026-11-01T00:00:00.000Z";

    fn invitation(id: &str) -> Invitation {
        Invitation {
            id: id.into(),
            survey_id: "s_demo".into(),
            order_id: None,
            case_id: None,
            url: format!("https://nps.example/s/s_demo?token=t&locale=en#{id}"),
            token: "t".into(),
            email_html: String::new(),
            expires_at: "2026-12-01T00:00:00.000Z".into(),
            send_after: Some(NOW.into()),
        }
    }

    fn store_invitation(s: &SqlStore<crate::store::sqlite::Sqlite>, id: &str, email: Option<&str>) {
        let claims = Claims {
            invitation_id: id.into(),
            survey_id: "s_demo".into(),
            order_id: None,
            respondent: Respondent {
                id: None,
                email: email.map(str::to_owned),
            },
            properties: Default::default(),
            case_id: None,
            expires_at: 1_800_000_000,
        };
        run(s.insert_invitation(&invitation(id), &claims, NOW)).unwrap();
    }

    pub(crate) fn send(id: &str, invitation_id: &str, email: &str) -> MailSendView {
        MailSendView {
            id: id.into(),
            invitation_id: invitation_id.into(),
            survey_id: "s_demo".into(),
            campaign_id: None,
            email: email.into(),
            provider: MailProvider::Postmark,
            status: MailStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(NOW.into()),
            provider_message_id: None,
            last_error: None,
            created_at: NOW.into(),
            updated_at: NOW.into(),
        }
    }

    fn suppression(email: &str, reason: SuppressionReason) -> SuppressionView {
        SuppressionView {
            email: email.into(),
            reason,
            source: "link".into(),
            created_at: NOW.into(),
        }
    }

    #[test]
    fn a_release_stores_each_invitations_send_once_and_a_second_release_none() {
        let s = with_survey();
        store_invitation(&s, "inv_1", Some("Kim@Example.com"));
        let release = Release {
            invitation_id: "inv_1".into(),
            deliveries: Vec::new(),
            mail: Some(send("ml_1", "inv_1", "kim@example.com")),
        };
        assert_eq!(
            run(s.release_invitations(std::slice::from_ref(&release), NOW)).unwrap(),
            1
        );
        let mut again = release.clone();
        again.mail = Some(send("ml_2", "inv_1", "kim@example.com"));
        assert_eq!(run(s.release_invitations(&[again], NOW)).unwrap(), 0);
        let job = run(s.mail_job("ml_1")).unwrap().unwrap();
        assert_eq!(job.send, send("ml_1", "inv_1", "kim@example.com"));
        assert_eq!(job.email.as_deref(), Some("Kim@Example.com"));
        assert_eq!(job.invitation.unwrap().id, "inv_1");
        assert_eq!(job.suppressed, None);
        assert!(run(s.mail_job("ml_2")).unwrap().is_none());
    }

    #[test]
    fn recipients_are_read_with_whether_their_address_is_suppressed_in_one_query() {
        let s = with_survey();
        store_invitation(&s, "inv_1", Some("kim@example.com"));
        store_invitation(&s, "inv_2", Some(" JO@example.com"));
        store_invitation(&s, "inv_3", None);
        run(s.suppress(
            &suppression("jo@example.com", SuppressionReason::Unsubscribed),
            None,
            MailStatus::Suppressed,
        ))
        .unwrap();
        let ids: Vec<String> = ["inv_1", "inv_2", "inv_3"].map(String::from).to_vec();
        let mut got = run(s.mail_recipients(&ids)).unwrap();
        got.sort_by(|a, b| a.invitation_id.cmp(&b.invitation_id));
        assert_eq!(
            got,
            vec![
                MailRecipient {
                    invitation_id: "inv_1".into(),
                    email: "kim@example.com".into(),
                    suppressed: false,
                    campaign_id: None,
                },
                MailRecipient {
                    invitation_id: "inv_2".into(),
                    email: " JO@example.com".into(),
                    suppressed: true,
                    campaign_id: None,
                },
            ]
        );
    }

    #[test]
    fn a_bounce_suppresses_the_address_once_and_marks_the_send_it_names() {
        let s = with_survey();
        store_invitation(&s, "inv_1", Some("kim@example.com"));
        let mut sent = send("ml_1", "inv_1", "kim@example.com");
        run(s.release_invitations(
            &[Release {
                invitation_id: "inv_1".into(),
                deliveries: Vec::new(),
                mail: Some(sent.clone()),
            }],
            NOW,
        ))
        .unwrap();
        sent.status = MailStatus::Sent;
        sent.attempts = 1;
        sent.next_attempt_at = None;
        sent.provider_message_id = Some("pm-1".into());
        run(s.settle_mail_send(&sent, None)).unwrap();
        assert!(
            run(s.overdue_mail_sends("2030-01-01T00:00:00.000Z", 10))
                .unwrap()
                .is_empty()
        );
        let bounce = suppression("kim@example.com", SuppressionReason::Bounced);
        run(s.suppress(
            &bounce,
            Some((MailProvider::Postmark, "pm-1")),
            MailStatus::Bounced,
        ))
        .unwrap();
        let later = suppression("kim@example.com", SuppressionReason::Complained);
        run(s.suppress(&later, None, MailStatus::Complained)).unwrap();
        assert_eq!(run(s.list_suppressions(None, 10)).unwrap(), vec![bounce]);
        let job = run(s.mail_job("ml_1")).unwrap().unwrap();
        assert_eq!(job.send.status, MailStatus::Bounced);
        assert_eq!(job.suppressed, Some(SuppressionReason::Bounced));
        let log =
            run(s.list_mail_sends(Some("s_demo"), Some(MailStatus::Bounced), None, 10)).unwrap();
        assert_eq!(log.len(), 1);
        assert!(
            run(s.list_mail_sends(None, Some(MailStatus::Sent), None, 10))
                .unwrap()
                .is_empty()
        );
        assert!(run(s.lift_suppression("kim@example.com")).unwrap());
        assert!(!run(s.lift_suppression("kim@example.com")).unwrap());
    }

    #[test]
    fn pending_sends_past_their_time_are_overdue_oldest_first() {
        let s = with_survey();
        for (i, at) in [
            "2026-11-01T00:00:03.000Z",
            "2026-11-01T00:00:01.000Z",
            "2026-11-02T00:00:00.000Z",
        ]
        .iter()
        .enumerate()
        {
            let inv = format!("inv_{i}");
            store_invitation(&s, &inv, Some("kim@example.com"));
            let mut m = send(&format!("ml_{i}"), &inv, "kim@example.com");
            m.next_attempt_at = Some((*at).into());
            run(s.release_invitations(
                &[Release {
                    invitation_id: inv,
                    deliveries: Vec::new(),
                    mail: Some(m),
                }],
                NOW,
            ))
            .unwrap();
        }
        assert_eq!(
            run(s.overdue_mail_sends("2026-11-01T12:00:00.000Z", 10)).unwrap(),
            ["ml_1", "ml_0"]
        );
    }
}
