//! `connectors` and `connector_events`: shop connectors with their secrets, and every
//! webhook they received. An accepted event and its invitation are written in one
//! atomic batch, held to once per event and per order by the partial unique indexes
//! of migration 0023, so a platform's retry, or two delivery events of one order
//! racing, store one invitation.

use super::{SqlStore, all_rows, email_key, first_row};
use crate::query;
use crate::store::db::Database;
use crate::store::{
    Connector, ConnectorEvent, ConnectorStore, StoreError, StoreResult, SurveyCache,
};
use nps_shared::api::Invitation;
use nps_shared::connector::{ConnectorEventView, OrderFacts, Outcome, Platform, RememberedOrder};
use nps_shared::invitation::Claims;
use serde::Deserialize;

#[derive(Deserialize)]
struct ConnectorRow {
    id: String,
    platform: String,
    survey_id: String,
    secret: String,
    settings: String,
    created_at: String,
    deleted_at: Option<String>,
}

impl TryFrom<ConnectorRow> for Connector {
    type Error = StoreError;
    fn try_from(row: ConnectorRow) -> StoreResult<Self> {
        let platform = Platform::parse(&row.platform).ok_or_else(|| {
            StoreError(format!("connector {}: platform {:?}", row.id, row.platform))
        })?;
        Ok(Connector {
            id: row.id,
            platform,
            survey_id: row.survey_id,
            secret: row.secret,
            settings: serde_json::from_str(&row.settings)?,
            created_at: row.created_at,
            deleted_at: row.deleted_at,
        })
    }
}

const CONNECTOR_COLUMNS: &str = "id, platform, survey_id, secret, settings, created_at, deleted_at";

#[derive(Deserialize)]
struct EventRow {
    id: String,
    connector_id: String,
    event_id: Option<String>,
    topic: Option<String>,
    outcome: String,
    reason: Option<String>,
    order_id: Option<String>,
    invitation_id: Option<String>,
    invitation_url: Option<String>,
    send_after: Option<String>,
    received_at: String,
}

impl TryFrom<EventRow> for ConnectorEventView {
    type Error = StoreError;
    fn try_from(row: EventRow) -> StoreResult<Self> {
        let outcome = Outcome::parse(&row.outcome)
            .ok_or_else(|| StoreError(format!("event {}: outcome {:?}", row.id, row.outcome)))?;
        Ok(ConnectorEventView {
            id: row.id,
            connector_id: row.connector_id,
            event_id: row.event_id,
            topic: row.topic,
            outcome,
            reason: row.reason,
            order_id: row.order_id,
            invitation_id: row.invitation_id,
            invitation_url: row.invitation_url,
            send_after: row.send_after,
            received_at: row.received_at,
        })
    }
}

#[derive(Deserialize)]
struct FactsRow {
    facts: String,
}

const EVENT_COLUMNS: &str = "id, connector_id, event_id, topic, outcome, reason, order_id, facts, \
                             invitation_id, received_at, email_key, customer_id";

fn facts_json(event: &ConnectorEvent) -> StoreResult<Option<String>> {
    Ok(event
        .facts
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?)
}

/// Whom the event's facts name: the e-mail's key and the shop's customer id, kept
/// beside the facts so that a GDPR export or erase finds them by index.
fn named(event: &ConnectorEvent) -> (Option<String>, Option<String>) {
    let facts = event.facts.as_ref();
    (
        facts
            .and_then(|f| f.email.as_deref())
            .map(nps_shared::validate::normalize_email),
        facts.and_then(|f| f.customer_id.clone()),
    )
}

#[derive(Deserialize)]
struct RememberedRow {
    id: String,
    connector_id: String,
    order_id: Option<String>,
    facts: String,
    received_at: String,
}

/// What connectors remember about `who`'s orders not delivered yet (GDPR export and
/// erase): one query over the partial indexes of the names beside the facts.
pub(super) async fn remembered_orders_of<D: Database>(
    db: &D,
    who: &crate::store::Who,
) -> StoreResult<Vec<RememberedOrder>> {
    let column = match who {
        crate::store::Who::Id(_) => "customer_id",
        crate::store::Who::Email(_) => "email_key",
    };
    all_rows(
        db,
        query!(
            format!(
                "SELECT id, connector_id, order_id, facts, received_at FROM connector_events \
                 WHERE {column} = ?1 AND facts IS NOT NULL ORDER BY id"
            ),
            who.as_str()
        ),
        |row: RememberedRow| {
            Ok(RememberedOrder {
                event_id: row.id,
                connector_id: row.connector_id,
                order_id: row.order_id,
                facts: serde_json::from_str(&row.facts)?,
                received_at: row.received_at,
            })
        },
    )
    .await
}

/// Forgets the facts of these events (`cev_…` ids as one JSON array); the events stay
/// in the connector's log, naming nobody.
pub(super) const FORGET_FACTS: &str = "UPDATE connector_events SET facts = NULL, email_key = NULL, \
     customer_id = NULL WHERE id IN (SELECT value FROM json_each(?1))";

impl<D: Database, C: SurveyCache> ConnectorStore for SqlStore<D, C> {
    async fn insert_connector(&self, c: &Connector) -> StoreResult<()> {
        self.db
            .run(query!(
                format!("INSERT INTO connectors ({CONNECTOR_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                c.id,
                c.platform.as_str(),
                c.survey_id,
                c.secret,
                serde_json::to_string(&c.settings)?,
                c.created_at,
                c.deleted_at,
            ))
            .await
    }

    async fn get_connector(&self, id: &str) -> StoreResult<Option<Connector>> {
        first_row(
            &self.db,
            query!(
                format!("SELECT {CONNECTOR_COLUMNS} FROM connectors WHERE id = ?1"),
                id
            ),
            |row: ConnectorRow| Connector::try_from(row),
        )
        .await
    }

    async fn list_connectors(&self) -> StoreResult<Vec<Connector>> {
        all_rows(
            &self.db,
            query!(format!(
                "SELECT {CONNECTOR_COLUMNS} FROM connectors WHERE deleted_at IS NULL ORDER BY id DESC"
            )),
            |row: ConnectorRow| Connector::try_from(row),
        )
        .await
    }

    async fn delete_connector(&self, id: &str, at: &str) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "UPDATE connectors SET deleted_at = ?2 WHERE id = ?1 AND deleted_at IS NULL RETURNING 1",
                id,
                at
            ))
            .await
    }

    async fn forget_connector_events_before(&self, before: &str, limit: u32) -> StoreResult<u32> {
        let deleted = self
            .db
            .batch(vec![query!(
                "DELETE FROM connector_events WHERE id IN (SELECT id FROM connector_events \
                 WHERE received_at < ?1 ORDER BY received_at LIMIT ?2) RETURNING 1",
                before,
                limit
            )])
            .await?;
        Ok(deleted.first().copied().unwrap_or(0) as u32)
    }

    async fn log_connector_event(&self, e: &ConnectorEvent) -> StoreResult<()> {
        let (named_email, named_customer) = named(e);
        self.db
            .run(query!(
                format!(
                    "INSERT INTO connector_events ({EVENT_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                ),
                e.id,
                e.connector_id,
                e.event_id,
                e.topic,
                e.outcome.as_str(),
                e.reason,
                e.order_id,
                facts_json(e)?,
                e.invitation_id,
                e.received_at,
                named_email,
                named_customer,
            ))
            .await
    }

    async fn order_facts(
        &self,
        connector_id: &str,
        order_id: &str,
    ) -> StoreResult<Option<OrderFacts>> {
        first_row(
            &self.db,
            query!(
                "SELECT facts FROM connector_events WHERE connector_id = ?1 AND order_id = ?2 \
                 AND facts IS NOT NULL ORDER BY received_at DESC, id DESC LIMIT 1",
                connector_id,
                order_id
            ),
            |row: FactsRow| Ok(serde_json::from_str(&row.facts)?),
        )
        .await
    }

    async fn accept_connector_event(
        &self,
        e: &ConnectorEvent,
        inv: &Invitation,
        claims: &Claims,
    ) -> StoreResult<Outcome> {
        // 1. The event as accepted, unless the unique indexes (one accepted event per
        //    event id and per order) hold an earlier one.
        let (named_email, named_customer) = named(e);
        let accept = query!(
            format!(
                "INSERT OR IGNORE INTO connector_events ({EVENT_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, 'accepted', ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING 1 AS done"
            ),
            e.id,
            e.connector_id,
            e.event_id,
            e.topic,
            e.reason,
            e.order_id,
            facts_json(e)?,
            inv.id,
            e.received_at,
            named_email,
            named_customer,
        );
        // 2. Its invitation, only if (1) was written. The columns of
        //    `InvitationStore::insert_invitation`.
        let respondent = &claims.respondent;
        let invite = query!(
            "INSERT INTO invitations (id, survey_id, order_id, case_id, invitation, send_after, released_at, \
             created_at, respondent_id, respondent_email, respondent_email_key, properties) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9, ?10, ?11 \
             WHERE EXISTS (SELECT 1 FROM connector_events WHERE id = ?12 AND outcome = 'accepted')",
            inv.id,
            inv.survey_id,
            inv.order_id,
            inv.case_id,
            serde_json::to_string(inv)?,
            inv.send_after,
            e.received_at,
            respondent.id,
            respondent.email,
            email_key(respondent),
            serde_json::to_string(&claims.properties)?,
            e.id,
        );
        // 3. Otherwise the event as a duplicate of the accepted one, with its invitation.
        let earlier = "FROM connector_events WHERE connector_id = ?2 AND outcome = 'accepted' \
                       AND (event_id = ?3 OR order_id = ?5)";
        let duplicate = query!(
            format!(
                "INSERT INTO connector_events ({EVENT_COLUMNS}) \
                 SELECT ?1, ?2, ?3, ?4, 'duplicate', \
                   CASE WHEN EXISTS (SELECT 1 FROM connector_events WHERE connector_id = ?2 \
                        AND outcome = 'accepted' AND event_id = ?3) \
                     THEN 'the platform sent this event before' \
                     ELSE 'an invitation for this order was created before' END, \
                   ?5, NULL, (SELECT invitation_id {earlier} LIMIT 1), ?6, NULL, NULL \
                 WHERE NOT EXISTS (SELECT 1 FROM connector_events WHERE id = ?1)"
            ),
            e.id,
            e.connector_id,
            e.event_id,
            e.topic,
            e.order_id,
            e.received_at,
        );
        // 4. What was remembered about the order has done its work: the invitation
        //    keeps the customer now (and is what a GDPR erase removes).
        let forget = query!(
            "UPDATE connector_events SET facts = NULL, email_key = NULL, customer_id = NULL \
             WHERE connector_id = ?1 AND order_id = ?2 AND facts IS NOT NULL",
            e.connector_id,
            e.order_id,
        );
        let returned = self
            .db
            .batch(vec![accept, invite, duplicate, forget])
            .await?;
        Ok(if returned.first().copied().unwrap_or(0) > 0 {
            Outcome::Accepted
        } else {
            Outcome::Duplicate
        })
    }

    async fn list_connector_events(
        &self,
        connector_id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<ConnectorEventView>> {
        all_rows(
            &self.db,
            query!(
                "SELECT e.id, e.connector_id, e.event_id, e.topic, e.outcome, e.reason, e.order_id, \
                 e.invitation_id, json_extract(i.invitation, '$.url') AS invitation_url, \
                 i.send_after, e.received_at \
                 FROM connector_events e LEFT JOIN invitations i ON i.id = e.invitation_id \
                 WHERE e.connector_id = ?1 AND (?2 IS NULL OR e.id < ?2) ORDER BY e.id DESC LIMIT ?3",
                connector_id,
                before,
                limit
            ),
            |row: EventRow| ConnectorEventView::try_from(row),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, with_survey};
    use crate::store::{Connector, ConnectorEvent, ConnectorStore, InvitationStore};
    use nps_shared::api::{Invitation, Respondent};
    use nps_shared::connector::{ConnectorSettings, OrderFacts, Outcome, Platform};
    use nps_shared::invitation::Claims;

    const AT: &str = "2026-11-01T00:00:00.000Z";

    fn connector(id: &str) -> Connector {
        Connector {
            id: id.into(),
            platform: Platform::Shopify,
            survey_id: "s_demo".into(),
            secret: "shpss_1".into(),
            settings: ConnectorSettings {
                days_after_fulfilled: Some(3),
            },
            created_at: AT.into(),
            deleted_at: None,
        }
    }

    fn event(id: &str, event_id: &str, order: &str) -> ConnectorEvent {
        ConnectorEvent {
            id: id.into(),
            connector_id: "con_1".into(),
            event_id: Some(event_id.into()),
            topic: Some("fulfillment_events/create".into()),
            outcome: Outcome::Accepted,
            reason: None,
            order_id: Some(order.into()),
            facts: None,
            invitation_id: None,
            received_at: AT.into(),
        }
    }

    fn invitation(id: &str, order: &str) -> (Invitation, Claims) {
        let invitation = Invitation {
            id: id.into(),
            survey_id: "s_demo".into(),
            order_id: Some(order.into()),
            case_id: None,
            url: format!("https://nps.example/s/s_demo?token={id}"),
            token: format!("t-{id}"),
            email_html: "<table></table>".into(),
            expires_at: "2026-12-01T00:00:00.000Z".into(),
            send_after: Some("2026-11-04T00:00:00.000Z".into()),
        };
        let claims = Claims {
            invitation_id: id.into(),
            survey_id: "s_demo".into(),
            order_id: Some(order.into()),
            respondent: Respondent {
                id: Some("cust-1".into()),
                email: Some("Kim@Example.com".into()),
            },
            properties: [("revenue".to_string(), "403.00".to_string())].into(),
            case_id: None,
            expires_at: 1_796_083_200,
        };
        (invitation, claims)
    }

    #[test]
    fn a_connector_is_kept_with_its_secret_and_a_deleted_one_leaves_the_list() {
        let s = with_survey();
        run(s.insert_connector(&connector("con_1"))).unwrap();
        run(s.insert_connector(&connector("con_2"))).unwrap();
        assert_eq!(
            run(s.get_connector("con_1")).unwrap(),
            Some(connector("con_1"))
        );
        let ids = |s: &crate::store::sql::SqlStore<crate::store::sqlite::Sqlite>| -> Vec<String> {
            run(s.list_connectors())
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect()
        };
        assert_eq!(ids(&s), ["con_2", "con_1"]);
        assert!(run(s.delete_connector("con_2", AT)).unwrap());
        assert!(!run(s.delete_connector("con_2", AT)).unwrap(), "once");
        assert!(!run(s.delete_connector("con_9", AT)).unwrap());
        assert_eq!(ids(&s), ["con_1"]);
        let deleted = run(s.get_connector("con_2")).unwrap().unwrap();
        assert_eq!(deleted.deleted_at.as_deref(), Some(AT));
    }

    #[test]
    fn an_accepted_event_stores_its_invitation_and_a_retry_stores_none() {
        let s = with_survey();
        let (inv, claims) = invitation("inv_1", "820");
        let first = run(s.accept_connector_event(&event("cev_1", "ev-a", "820"), &inv, &claims));
        assert_eq!(first.unwrap(), Outcome::Accepted);
        let kept = run(s.invitation_claims("inv_1")).unwrap().unwrap();
        assert_eq!(kept.properties["revenue"], "403.00");
        assert_eq!(kept.respondent.email.as_deref(), Some("Kim@Example.com"));
        // The platform retries: same event id, a new invitation that must not be stored.
        let (again, again_claims) = invitation("inv_2", "820");
        let retry =
            run(s.accept_connector_event(&event("cev_2", "ev-a", "820"), &again, &again_claims));
        assert_eq!(retry.unwrap(), Outcome::Duplicate);
        assert_eq!(run(s.invitation_claims("inv_2")).unwrap(), None);
        // Another delivery event of the same order: a duplicate too.
        let (third, third_claims) = invitation("inv_3", "820");
        let other =
            run(s.accept_connector_event(&event("cev_3", "ev-b", "820"), &third, &third_claims));
        assert_eq!(other.unwrap(), Outcome::Duplicate);
        assert_eq!(run(s.invitation_claims("inv_3")).unwrap(), None);
        let events = run(s.list_connector_events("con_1", None, 10)).unwrap();
        let seen: Vec<(&str, Outcome, Option<&str>)> = events
            .iter()
            .map(|e| (e.id.as_str(), e.outcome, e.invitation_id.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                ("cev_3", Outcome::Duplicate, Some("inv_1")),
                ("cev_2", Outcome::Duplicate, Some("inv_1")),
                ("cev_1", Outcome::Accepted, Some("inv_1")),
            ]
        );
        assert_eq!(
            events[1].reason.as_deref(),
            Some("the platform sent this event before")
        );
        assert_eq!(
            events[0].reason.as_deref(),
            Some("an invitation for this order was created before")
        );
        assert_eq!(
            events[2].invitation_url.as_deref(),
            Some("https://nps.example/s/s_demo?token=inv_1")
        );
        assert_eq!(
            events[2].send_after.as_deref(),
            Some("2026-11-04T00:00:00.000Z")
        );
        // Another order of the same connector is accepted.
        let (fourth, fourth_claims) = invitation("inv_4", "821");
        let next =
            run(s.accept_connector_event(&event("cev_4", "ev-c", "821"), &fourth, &fourth_claims));
        assert_eq!(next.unwrap(), Outcome::Accepted);
    }

    #[test]
    fn what_an_order_event_told_about_the_customer_is_forgotten_once_the_order_is_invited() {
        let s = with_survey();
        let mut noted = event("cev_1", "ev-order", "820");
        noted.outcome = Outcome::Ignored;
        noted.facts = Some(OrderFacts {
            email: Some("kim@example.com".into()),
            ..OrderFacts::default()
        });
        run(s.log_connector_event(&noted)).unwrap();
        assert!(run(s.order_facts("con_1", "820")).unwrap().is_some());
        let (inv, claims) = invitation("inv_1", "820");
        let mut delivered = event("cev_2", "ev-delivered", "820");
        delivered.facts = noted.facts.clone();
        run(s.accept_connector_event(&delivered, &inv, &claims)).unwrap();
        assert_eq!(run(s.order_facts("con_1", "820")).unwrap(), None);
        let kept = run(s.invitation_claims("inv_1")).unwrap().unwrap();
        assert_eq!(kept.respondent.email.as_deref(), Some("Kim@Example.com"));
    }

    #[test]
    fn the_newest_facts_of_an_order_are_found_and_events_page_newest_first() {
        let s = with_survey();
        for (id, email) in [("cev_1", "old@example.com"), ("cev_2", "new@example.com")] {
            let mut noted = event(id, id, "820");
            noted.outcome = Outcome::Ignored;
            noted.facts = Some(OrderFacts {
                email: Some(email.into()),
                ..OrderFacts::default()
            });
            run(s.log_connector_event(&noted)).unwrap();
        }
        let facts = run(s.order_facts("con_1", "820")).unwrap().unwrap();
        assert_eq!(facts.email.as_deref(), Some("new@example.com"));
        assert_eq!(run(s.order_facts("con_1", "821")).unwrap(), None);
        assert_eq!(run(s.order_facts("con_2", "820")).unwrap(), None);
        let page = run(s.list_connector_events("con_1", Some("cev_2"), 10)).unwrap();
        let ids: Vec<&str> = page.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["cev_1"]);
        assert_eq!(page[0].outcome, Outcome::Ignored);
    }
}
