//! `deliveries` and `delivery_attempts`: one row per event and endpoint, its state and
//! the log of every attempt.

use super::{SqlStore, all_rows, first_row};
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{Delivery, DeliveryStore, StoreError, StoreResult, SurveyCache};
use nps_shared::api::{AttemptView, DeliveryStatus, DeliveryView, EventType};
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct DeliveryRow {
    id: String,
    endpoint_id: String,
    event_type: String,
    payload: String,
    status: String,
    attempts: u32,
    round_start: u32,
    next_attempt_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;
    fn try_from(row: DeliveryRow) -> StoreResult<Self> {
        let bad = |what: &str| StoreError(format!("delivery {}: bad {what}", row.id));
        Ok(Delivery {
            event_type: EventType::parse(&row.event_type).ok_or_else(|| bad("event type"))?,
            status: DeliveryStatus::parse(&row.status).ok_or_else(|| bad("status"))?,
            id: row.id,
            endpoint_id: row.endpoint_id,
            payload: row.payload,
            attempts: row.attempts,
            round_start: row.round_start,
            next_attempt_at: row.next_attempt_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(Deserialize)]
struct AttemptRow {
    delivery_id: String,
    attempt: u32,
    attempted_at: String,
    status_code: Option<u16>,
    latency_ms: u32,
    response_body: Option<String>,
    error: Option<String>,
    next_attempt_at: Option<String>,
}

pub(super) const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_type, payload, status, attempts, round_start, \
     next_attempt_at, created_at, updated_at";

/// The inserts of many deliveries (a group of new answers' announcements, in the
/// group's batch): one statement for many rows, more only past
/// [`super::MAX_JSON_BYTES`] of payloads.
pub(super) fn insert_many(deliveries: &[&Delivery]) -> Vec<Statement> {
    let rows: Vec<serde_json::Value> = deliveries.iter().map(|d| delivery_json(d, None)).collect();
    super::insert_rows("deliveries", DELIVERY_COLUMNS, &rows, "")
}

fn update(d: &Delivery) -> Statement {
    query!(
        "UPDATE deliveries SET status = ?2, attempts = ?3, round_start = ?4, next_attempt_at = ?5, \
         updated_at = ?6 WHERE id = ?1",
        d.id,
        d.status.as_str(),
        d.attempts,
        d.round_start,
        d.next_attempt_at,
        d.updated_at,
    )
}

/// A delivery as a row of a JSON array for [`insert_from_json`]: its columns in the
/// order of [`DELIVERY_COLUMNS`], then `extra`.
pub(super) fn delivery_json(d: &Delivery, extra: Option<&str>) -> serde_json::Value {
    let mut row = serde_json::json!([
        d.id,
        d.endpoint_id,
        d.event_type.as_str(),
        d.payload,
        d.status.as_str(),
        d.attempts,
        d.round_start,
        d.next_attempt_at,
        d.created_at,
        d.updated_at,
    ]);
    if let (Some(extra), Some(row)) = (extra, row.as_array_mut()) {
        row.push(extra.into());
    }
    row
}

/// One statement inserting every delivery of `array` (rows of [`delivery_json`]),
/// those for which `condition` holds (SQL over `value`, the row; `""`: all).
pub(super) fn insert_from_json(array: String, condition: &str) -> Statement {
    let tail = if condition.is_empty() {
        String::new()
    } else {
        format!("WHERE {condition}")
    };
    super::insert_select("deliveries", DELIVERY_COLUMNS, array, &tail)
}

impl<D: Database, C: SurveyCache> DeliveryStore for SqlStore<D, C> {
    /// One statement per megabyte of deliveries, however many there are.
    async fn insert_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()> {
        let statements = super::json_arrays(deliveries.iter().map(|d| delivery_json(d, None)))
            .into_iter()
            .map(|array| insert_from_json(array, ""))
            .collect();
        self.db.batch(statements).await?;
        Ok(())
    }

    async fn get_delivery(&self, id: &str) -> StoreResult<Option<Delivery>> {
        first_row(
            &self.db,
            query!(
                format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?1"),
                id
            ),
            |row: DeliveryRow| Delivery::try_from(row),
        )
        .await
    }

    async fn update_delivery(&self, delivery: &Delivery) -> StoreResult<()> {
        self.db.run(update(delivery)).await?;
        Ok(())
    }

    async fn record_attempt(&self, delivery: &Delivery, a: &AttemptView) -> StoreResult<()> {
        let insert = query!(
            "INSERT INTO delivery_attempts (delivery_id, attempt, attempted_at, status_code, latency_ms, \
             response_body, error, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT (delivery_id, attempt) DO NOTHING",
            delivery.id,
            a.attempt,
            a.attempted_at,
            a.status_code,
            a.latency_ms,
            a.response_body,
            a.error,
            a.next_attempt_at,
        );
        self.db.batch(vec![insert, update(delivery)]).await?;
        Ok(())
    }

    async fn list_deliveries(
        &self,
        endpoint_id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryView>> {
        let deliveries: Vec<Delivery> = all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE endpoint_id = ?1 AND (?2 IS NULL OR id < ?2) \
                     ORDER BY id DESC LIMIT ?3"
                ),
                endpoint_id,
                before,
                limit
            ),
            |row: DeliveryRow| Delivery::try_from(row),
        )
        .await?;
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        // The attempts of the whole page in one query: its ids as one JSON parameter
        // (a page is at most 201 ids, far below a megabyte).
        let mut attempts: Vec<AttemptRow> = Vec::new();
        for array in super::json_arrays(deliveries.iter().map(|d| d.id.as_str().into())) {
            attempts.extend(
                self.db
                    .all::<AttemptRow>(query!(
                        "SELECT delivery_id, attempt, attempted_at, status_code, latency_ms, response_body, \
                         error, next_attempt_at FROM delivery_attempts \
                         WHERE delivery_id IN (SELECT value FROM json_each(?1)) ORDER BY delivery_id, attempt",
                        array
                    ))
                    .await?,
            );
        }
        Ok(deliveries
            .iter()
            .map(|d| {
                let mine = attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id)
                    .map(|a| AttemptView {
                        attempt: a.attempt,
                        attempted_at: a.attempted_at.clone(),
                        status_code: a.status_code,
                        latency_ms: a.latency_ms,
                        response_body: a.response_body.clone(),
                        error: a.error.clone(),
                        next_attempt_at: a.next_attempt_at.clone(),
                    })
                    .collect();
                d.view(mine)
            })
            .collect())
    }

    async fn overdue_deliveries(&self, due_before: &str, limit: u32) -> StoreResult<Vec<String>> {
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        all_rows(
            &self.db,
            query!(
                "SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at < ?1 \
                 ORDER BY next_attempt_at LIMIT ?2",
                due_before,
                limit
            ),
            |row: Id| Ok(row.id),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{delivery, run, store};
    use crate::store::DeliveryStore;
    use nps_shared::api::{AttemptView, DeliveryStatus};

    fn attempt(n: u32) -> AttemptView {
        AttemptView {
            attempt: n,
            attempted_at: format!("2026-11-01T10:0{n}:00.000Z"),
            status_code: Some(500),
            latency_ms: 12,
            response_body: Some("nope".into()),
            error: None,
            next_attempt_at: Some("2026-11-01T11:00:00.000Z".into()),
        }
    }

    #[test]
    fn attempts_are_logged_once_each_and_listed_with_their_delivery() {
        let s = store();
        let mut d = delivery("dl_1", "wh_1", "{\"a\":1}", "2026-11-01T10:00:00.000Z");
        run(s.insert_deliveries(&[d.clone(), delivery("dl_2", "wh_2", "{}", "x")])).unwrap();
        d.attempts = 1;
        run(s.record_attempt(&d, &attempt(1))).unwrap();
        run(s.record_attempt(&d, &attempt(1))).unwrap(); // a redelivered queue message
        d.attempts = 2;
        d.status = DeliveryStatus::Failed;
        d.next_attempt_at = None;
        run(s.record_attempt(&d, &attempt(2))).unwrap();
        let page = run(s.list_deliveries("wh_1", None, 10)).unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].status, DeliveryStatus::Failed);
        let numbers: Vec<u32> = page[0].attempts.iter().map(|a| a.attempt).collect();
        assert_eq!(numbers, [1, 2]);
        assert_eq!(run(s.get_delivery("dl_1")).unwrap().unwrap(), d);
    }

    #[test]
    fn a_page_of_two_hundred_deliveries_reads_their_attempts_within_d1_s_parameter_limit() {
        // Regression (review): one `IN (?1…?201)` for the whole page; D1 binds 100.
        let s = store();
        let all: Vec<_> = (0..201)
            .map(|i| {
                delivery(
                    &format!("dl_{i:03}"),
                    "wh_1",
                    "{}",
                    "2026-11-01T10:00:00.000Z",
                )
            })
            .collect();
        for chunk in all.chunks(50) {
            run(s.insert_deliveries(chunk)).unwrap();
        }
        let mut first = all[0].clone();
        first.attempts = 1;
        run(s.record_attempt(&first, &attempt(1))).unwrap();
        let page = run(s.list_deliveries("wh_1", None, 201)).unwrap();
        assert_eq!(page.len(), 201);
        let logged: usize = page.iter().map(|d| d.attempts.len()).sum();
        assert_eq!(logged, 1);
    }

    #[test]
    fn the_sweeper_finds_pending_deliveries_that_are_overdue_oldest_first() {
        let s = store();
        let mut sent = delivery("dl_3", "wh_1", "{}", "2026-11-01T08:00:00.000Z");
        sent.status = DeliveryStatus::Delivered;
        run(s.insert_deliveries(&[
            delivery("dl_1", "wh_1", "{}", "2026-11-01T09:00:00.000Z"),
            delivery("dl_2", "wh_1", "{}", "2026-11-01T08:30:00.000Z"),
            delivery("dl_4", "wh_1", "{}", "2026-11-01T12:00:00.000Z"),
            sent,
        ]))
        .unwrap();
        let due = run(s.overdue_deliveries("2026-11-01T10:00:00.000Z", 10)).unwrap();
        assert_eq!(due, ["dl_2", "dl_1"]);
        assert_eq!(
            run(s.overdue_deliveries("2026-11-01T10:00:00.000Z", 1)).unwrap(),
            ["dl_2"]
        );
    }
}
