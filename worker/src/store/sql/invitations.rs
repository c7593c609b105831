//! `invitations`: each as its JSON, with who it is for (GDPR) and, for those held
//! back, when the cron announced it.

use super::{SqlStore, all_rows, email_key};
use crate::query;
use crate::store::db::Database;
use crate::store::{InvitationStore, StoreResult, SurveyCache};
use nps_shared::api::{Invitation, Respondent};
use serde::Deserialize;

/// An invitation as stored: its JSON in one column.
#[derive(Deserialize)]
pub(super) struct InvitationRow {
    invitation: String,
}

pub(super) fn invitation_of(row: InvitationRow) -> StoreResult<Invitation> {
    Ok(serde_json::from_str(&row.invitation)?)
}

impl<D: Database, C: SurveyCache> InvitationStore for SqlStore<D, C> {
    async fn insert_invitation(
        &self,
        inv: &Invitation,
        respondent: &Respondent,
        created_at: &str,
    ) -> StoreResult<()> {
        self.db
            .run(query!(
                "INSERT INTO invitations (id, survey_id, order_id, case_id, invitation, send_after, released_at, \
                 created_at, respondent_id, respondent_email, respondent_email_key) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9, ?10)",
                inv.id,
                inv.survey_id,
                inv.order_id,
                inv.case_id,
                serde_json::to_string(inv)?,
                inv.send_after,
                created_at,
                respondent.id,
                respondent.email,
                email_key(respondent),
            ))
            .await?;
        Ok(())
    }

    async fn due_invitations(&self, now: &str, limit: u32) -> StoreResult<Vec<Invitation>> {
        all_rows(
            &self.db,
            query!(
                "SELECT invitation FROM invitations WHERE released_at IS NULL AND send_after IS NOT NULL \
                 AND send_after <= ?1 ORDER BY send_after LIMIT ?2",
                now,
                limit
            ),
            invitation_of,
        )
        .await
    }

    async fn mark_released(&self, id: &str, at: &str) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "UPDATE invitations SET released_at = ?2 WHERE id = ?1 AND released_at IS NULL \
                 RETURNING 1 AS done",
                id,
                at
            ))
            .await
    }

    async fn invitation_exists(&self, id: &str) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "SELECT 1 AS found FROM invitations WHERE id = ?1",
                id
            ))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, with_survey};
    use crate::store::InvitationStore;
    use nps_shared::api::{Invitation, Respondent};

    fn invitation(id: &str, send_after: Option<&str>) -> Invitation {
        Invitation {
            id: id.into(),
            survey_id: "s_demo".into(),
            order_id: Some(format!("order-{id}")),
            case_id: None,
            url: format!("https://nps.example/s/s_demo?t={id}"),
            token: format!("t-{id}"),
            email_html: "<table></table>".into(),
            expires_at: "2026-12-01T00:00:00.000Z".into(),
            send_after: send_after.map(str::to_owned),
        }
    }

    #[test]
    fn held_back_invitations_come_due_in_order_and_are_released_once() {
        let s = with_survey();
        let kim = Respondent {
            id: Some("cust-1".into()),
            email: Some("kim@example.com".into()),
        };
        let now = "2026-11-01T00:00:00.000Z";
        for inv in [
            invitation("inv_1", Some("2026-11-02T00:00:00.000Z")),
            invitation("inv_2", Some("2026-11-01T12:00:00.000Z")),
            invitation("inv_3", None),
            invitation("inv_4", Some("2026-11-05T00:00:00.000Z")),
        ] {
            run(s.insert_invitation(&inv, &kim, now)).unwrap();
        }
        let due = run(s.due_invitations("2026-11-03T00:00:00.000Z", 10)).unwrap();
        let ids: Vec<&str> = due.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["inv_2", "inv_1"]);
        assert_eq!(
            due[1],
            invitation("inv_1", Some("2026-11-02T00:00:00.000Z"))
        );
        assert!(run(s.mark_released("inv_2", now)).unwrap());
        assert!(
            !run(s.mark_released("inv_2", now)).unwrap(),
            "another run did it"
        );
        assert!(run(s.invitation_exists("inv_2")).unwrap());
        assert!(!run(s.invitation_exists("inv_9")).unwrap());
        let due = run(s.due_invitations("2026-11-03T00:00:00.000Z", 10)).unwrap();
        assert_eq!(due.len(), 1);
    }
}
