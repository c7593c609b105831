//! `invitations`: each as its JSON, with who it is for (GDPR) and, for those held
//! back, when the cron announced it.

use super::{SqlStore, all_rows};
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
                 created_at, respondent_id, respondent_email) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9)",
                inv.id,
                inv.survey_id,
                inv.order_id,
                inv.case_id,
                serde_json::to_string(inv)?,
                inv.send_after,
                created_at,
                respondent.id,
                respondent.email,
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
        Ok(self
            .db
            .run(query!(
                "UPDATE invitations SET released_at = ?2 WHERE id = ?1 AND released_at IS NULL",
                id,
                at
            ))
            .await?
            == 1)
    }
}
