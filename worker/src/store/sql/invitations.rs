//! `invitations`: each as its JSON, with what it fixed for the answer (order, case,
//! who it is for, properties: links carry only a reference to them) and, for those held
//! back, when the cron announced it.

use super::deliveries::{delivery_json, insert_from_json};
use super::{SqlStore, all_rows, email_key, first_row};
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{InvitationStore, Release, StoreError, StoreResult, SurveyCache};
use nps_shared::api::{Invitation, Respondent};
use nps_shared::invitation::Claims;
use serde::Deserialize;
use std::collections::BTreeMap;

/// An invitation as stored: its JSON in one column.
#[derive(Deserialize)]
pub(super) struct InvitationRow {
    invitation: String,
}

pub(super) fn invitation_of(row: InvitationRow) -> StoreResult<Invitation> {
    Ok(serde_json::from_str(&row.invitation)?)
}

/// What an answer through the invitation is tied to.
#[derive(Deserialize)]
struct ClaimsRow {
    id: String,
    survey_id: String,
    order_id: Option<String>,
    case_id: Option<String>,
    respondent_id: Option<String>,
    respondent_email: Option<String>,
    properties: Option<String>,
    invitation: String,
}

fn claims_of(row: ClaimsRow) -> StoreResult<Claims> {
    let invitation: Invitation = serde_json::from_str(&row.invitation)?;
    let expires_ms = nps_shared::time::parse_rfc3339(&invitation.expires_at).ok_or_else(|| {
        StoreError(format!(
            "invitation {}: expires_at {:?} is not a time",
            row.id, invitation.expires_at
        ))
    })?;
    let properties: BTreeMap<String, String> = match row.properties {
        Some(json) => serde_json::from_str(&json)?,
        None => BTreeMap::new(),
    };
    Ok(Claims {
        invitation_id: row.id,
        survey_id: row.survey_id,
        order_id: row.order_id,
        respondent: Respondent {
            id: row.respondent_id,
            email: row.respondent_email,
        },
        properties,
        case_id: row.case_id,
        expires_at: expires_ms.div_euclid(1000),
    })
}

impl<D: Database, C: SurveyCache> InvitationStore for SqlStore<D, C> {
    async fn insert_invitation(
        &self,
        inv: &Invitation,
        claims: &Claims,
        created_at: &str,
    ) -> StoreResult<()> {
        let respondent = &claims.respondent;
        self.db
            .run(query!(
                "INSERT INTO invitations (id, survey_id, order_id, case_id, invitation, send_after, released_at, \
                 created_at, respondent_id, respondent_email, respondent_email_key, properties) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9, ?10, ?11)",
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
                serde_json::to_string(&claims.properties)?,
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

    async fn release_invitations(&self, releases: &[Release], at: &str) -> StoreResult<usize> {
        if releases.is_empty() {
            return Ok(0);
        }
        // The deliveries first, each under its invitation's release still to come;
        // then the releases, whose RETURNING rows are counted.
        let unreleased = "EXISTS (SELECT 1 FROM invitations WHERE id = json_extract(value, '$[10]') \
                          AND released_at IS NULL)";
        let deliveries = releases.iter().flat_map(|r| {
            r.deliveries
                .iter()
                .map(|d| delivery_json(d, Some(&r.invitation_id)))
        });
        let mut statements: Vec<Statement> = super::json_arrays(deliveries)
            .into_iter()
            .map(|array| insert_from_json(array, unreleased))
            .collect();
        // The e-mails the worker sends, under the same condition.
        let mails = releases
            .iter()
            .filter_map(|r| r.mail.as_ref())
            .map(super::mail::mail_json);
        statements.extend(
            super::json_arrays(mails)
                .into_iter()
                .map(super::mail::insert_unreleased),
        );
        let inserts = statements.len();
        let ids = releases.iter().map(|r| r.invitation_id.as_str().into());
        statements.extend(super::json_arrays(ids).into_iter().map(|array| {
            query!(
                "UPDATE invitations SET released_at = ?2 WHERE id IN (SELECT value FROM json_each(?1)) \
                 AND released_at IS NULL RETURNING 1 AS done",
                array,
                at
            )
        }));
        let returned = self.db.batch(statements).await?;
        Ok(returned.iter().skip(inserts).sum())
    }

    async fn invitation_claims(&self, id: &str) -> StoreResult<Option<Claims>> {
        first_row(
            &self.db,
            query!(
                "SELECT id, survey_id, order_id, case_id, respondent_id, respondent_email, properties, \
                 invitation FROM invitations WHERE id = ?1",
                id
            ),
            claims_of,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{delivery, run, with_survey};
    use crate::store::{DeliveryStore, InvitationStore, Release};
    use nps_shared::api::{Invitation, Respondent};
    use nps_shared::invitation::Claims;

    fn claims(id: &str, respondent: Respondent) -> Claims {
        Claims {
            invitation_id: id.into(),
            survey_id: "s_demo".into(),
            order_id: Some(format!("order-{id}")),
            respondent,
            properties: [("store".to_string(), "berlin".to_string())].into(),
            case_id: None,
            // 2026-12-01T00:00:00Z, as `invitation` says.
            expires_at: 1_796_083_200,
        }
    }

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
            run(s.insert_invitation(&inv, &claims(&inv.id, kim.clone()), now)).unwrap();
        }
        let due = run(s.due_invitations("2026-11-03T00:00:00.000Z", 10)).unwrap();
        let ids: Vec<&str> = due.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["inv_2", "inv_1"]);
        assert_eq!(
            due[1],
            invitation("inv_1", Some("2026-11-02T00:00:00.000Z"))
        );
        let release = |id: &str| Release {
            invitation_id: id.into(),
            deliveries: vec![delivery(&format!("dl_{id}"), "wh_1", "{}", now)],
            mail: None,
        };
        assert_eq!(
            run(s.release_invitations(&[release("inv_2")], now)).unwrap(),
            1
        );
        assert_eq!(
            run(s.release_invitations(&[release("inv_2")], now)).unwrap(),
            0,
            "another run did it"
        );
        assert!(run(s.get_delivery("dl_inv_2")).unwrap().is_some());
        let due = run(s.due_invitations("2026-11-03T00:00:00.000Z", 10)).unwrap();
        assert_eq!(due.len(), 1);
    }

    #[test]
    fn what_an_invitation_fixed_is_read_back_by_its_id_and_an_unknown_one_is_none() {
        let s = with_survey();
        let kim = Respondent {
            id: Some("cust-1".into()),
            email: Some("kim@example.com".into()),
        };
        let inv = invitation("inv_1", None);
        run(s.insert_invitation(
            &inv,
            &claims("inv_1", kim.clone()),
            "2026-11-01T00:00:00.000Z",
        ))
        .unwrap();
        assert_eq!(
            run(s.invitation_claims("inv_1")).unwrap(),
            Some(claims("inv_1", kim))
        );
        assert_eq!(run(s.invitation_claims("inv_9")).unwrap(), None);
    }

    #[test]
    fn an_invitation_stored_before_its_properties_were_kept_reads_with_none() {
        let s = with_survey();
        let inv = invitation("inv_1", None);
        run(s.insert_invitation(
            &inv,
            &claims("inv_1", Respondent::default()),
            "2026-11-01T00:00:00.000Z",
        ))
        .unwrap();
        use crate::store::db::Database;
        run(s
            .db()
            .run(crate::query!("UPDATE invitations SET properties = NULL")))
        .unwrap();
        let read = run(s.invitation_claims("inv_1")).unwrap().unwrap();
        assert!(read.properties.is_empty());
        assert!(read.respondent.is_empty());
    }
}
