//! The cron run, every minute (`scheduled` in `lib.rs`): re-queue deliveries and
//! invitation e-mails whose queue message was lost, forget old rate-limit counters,
//! audit entries and shop connector events past their retention, announce invitations
//! whose `send_after` has come. The jobs share
//! one invocation and so one budget of D1 queries: each is bounded per run (what is
//! left waits for the next minute), and together they stay within the free plan's 50
//! whatever the data size (the test below holds them to it).
//! Depends on the services it runs; it neither logs nor reads the environment.

use super::{Done, ServiceError, audit, connectors, deliveries, invitations, limits, mail};
use crate::store::{DeliveryQueue, Storage, StoreError};

/// What each job of a run did, or why it failed; one failing does not stop the rest.
#[derive(Debug)]
pub struct CronRun {
    /// Overdue deliveries re-queued.
    pub requeued: Result<usize, StoreError>,
    pub rate_limits_forgotten: Result<(), ServiceError>,
    /// Audit entries deleted.
    pub audit_forgotten: Result<u32, StoreError>,
    /// Invitations announced.
    pub released: Result<Done<usize>, StoreError>,
    /// Overdue invitation e-mails re-queued.
    pub mail_requeued: Result<usize, StoreError>,
    /// Shop connector events past their retention deleted.
    pub connector_events_forgotten: Result<u32, StoreError>,
}

/// Runs every job once, in order.
pub async fn run(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    now_ms: i64,
    audit_retention_days: u32,
) -> CronRun {
    CronRun {
        requeued: deliveries::requeue_overdue(store, queue, now_ms).await,
        rate_limits_forgotten: limits::forget_old(store, now_ms).await,
        audit_forgotten: audit::forget_old(store, now_ms, audit_retention_days).await,
        released: invitations::release_due(store, queue, now_ms).await,
        mail_requeued: mail::requeue_overdue(store, queue, now_ms).await,
        connector_events_forgotten: connectors::forget_old(store, now_ms).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::store::metered::FREE_PLAN_QUERIES;
    use crate::store::sql::testing::delivery;
    use crate::store::testing::TestStore;
    use crate::store::{
        AuditStore, ConnectorStore, DeliveryStore, InvitationStore, RateLimitStore,
    };
    use nps_shared::staff::{AuditAction, Principal};
    use nps_shared::time::rfc3339;
    use pollster::block_on;

    const NOW: i64 = 1_764_000_000_000;
    const DAY: i64 = 86_400_000;

    /// `n` of everything a run works through: overdue deliveries, old rate-limit
    /// counters, audit entries and connector events, due invitations (to 3 endpoints).
    fn backlog(n: usize) -> TestStore {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        for i in 0..3 {
            let hook = serde_json::from_value(serde_json::json!({
                "url": format!("https://hooks.example/{i}"), "events": ["invitation.due"]
            }))
            .unwrap();
            crate::service::webhooks::create_for_test(&m, hook);
        }
        let overdue: Vec<_> = (0..n)
            .map(|i| delivery(&format!("dl_{i:06}"), "wh_1", "{}", &rfc3339(NOW - DAY)))
            .collect();
        block_on(m.insert_deliveries(&overdue)).unwrap();
        let admin = Principal::bootstrap(Some("anna@shop"));
        for i in 0..n {
            let old = NOW - 400 * DAY + i as i64;
            let change = audit::Change::new(AuditAction::SurveyUpdated, "s_demo", "name");
            block_on(m.insert_audit(&audit::entry(&admin, change, old).unwrap())).unwrap();
            block_on(m.hit(&format!("client-{i}"), 1)).unwrap();
            block_on(m.log_connector_event(&crate::store::ConnectorEvent {
                id: format!("cev_{i:06}"),
                connector_id: "con_1".into(),
                event_id: Some(format!("ev-{i}")),
                topic: Some("orders/create".into()),
                outcome: nps_shared::connector::Outcome::Ignored,
                reason: None,
                order_id: Some(format!("o-{i}")),
                facts: None,
                invitation_id: None,
                received_at: rfc3339(old),
            }))
            .unwrap();
            let request = serde_json::from_value(serde_json::json!({
                "survey_id": "s_demo", "order_id": format!("o-{i}"),
                "respondent": {"id": format!("cust-{i}")}, "send_after": rfc3339(NOW - 1000)
            }))
            .unwrap();
            block_on(invitations::create(
                &m,
                request,
                b"secret",
                "https://nps.example",
                NOW - DAY,
            ))
            .unwrap();
            m.reset_queries();
        }
        m
    }

    #[test]
    fn a_cron_run_stays_within_the_free_plan_and_costs_the_same_at_ten_times_the_backlog() {
        let measure = |n: usize| {
            let m = backlog(n);
            m.reset_queries();
            let done = block_on(run(&m, &m, NOW, audit::DEFAULT_RETENTION_DAYS));
            let queries = m.queries();
            assert_eq!(done.requeued.unwrap(), deliveries::SWEPT_PER_RUN as usize);
            done.rate_limits_forgotten.unwrap();
            assert_eq!(
                done.audit_forgotten.unwrap(),
                audit::FORGET_BATCH.min(n as u32)
            );
            assert_eq!(
                done.connector_events_forgotten.unwrap(),
                connectors::FORGET_BATCH.min(n as u32)
            );
            let released = done.released.unwrap();
            assert_eq!(released.value, invitations::RELEASED_PER_RUN as usize);
            assert!(released.failed_follow_ups.is_empty());
            let left = block_on(m.due_invitations(&rfc3339(NOW), 10_000)).unwrap();
            assert_eq!(left.len(), n - invitations::RELEASED_PER_RUN as usize);
            queries
        };
        let small = measure(500);
        // Invitations as in `invitations::release_due`'s test: 6 for 100.
        assert_eq!(
            small,
            1 + 1 + 1 + 6 + 1 + 1,
            "sweep, two deletes, invitations, the e-mail sweep, the connector events' delete"
        );
        assert_eq!(measure(5_000), small);
        assert!(small <= FREE_PLAN_QUERIES);
    }
}
