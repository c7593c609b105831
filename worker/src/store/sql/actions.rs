//! `action_plans`: action plans, saved under optimistic locking; and the one query
//! their impact is measured with — the survey's counted answers matching the plan's
//! segment, counted per window and category over `responses_by_time`, with the
//! detractors among them whose case names the plan's cause (one probe of the
//! `cases.response_id` unique index per detractor).

use super::{SqlStore, all_rows, first_row};
use crate::query;
use crate::store::db::Database;
use crate::store::{
    ActionFilter, ActionStore, SegmentTallies, StoreError, StoreResult, SurveyCache,
};
use nps_shared::action::{ActionFields, ActionStatus, ActionView};
use nps_shared::report::impact::Windows;
use nps_shared::time::rfc3339;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct ActionRow {
    id: String,
    survey_id: String,
    title: String,
    cause: String,
    owner: Option<String>,
    segment: String,
    due_date: Option<String>,
    status: String,
    live_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl TryFrom<ActionRow> for ActionView {
    type Error = StoreError;
    fn try_from(row: ActionRow) -> StoreResult<Self> {
        let status = ActionStatus::parse(&row.status)
            .ok_or_else(|| StoreError(format!("action {}: bad status", row.id)))?;
        Ok(ActionView {
            fields: ActionFields {
                title: row.title,
                survey_id: row.survey_id,
                cause: row.cause,
                owner: row.owner,
                segment: serde_json::from_str(&row.segment)?,
                due_date: row.due_date,
                status,
                live_at: row.live_at,
            },
            id: row.id,
            created_at: row.created_at,
            updated_at: row.updated_at,
            impact: None,
        })
    }
}

const SELECT: &str = "SELECT id, survey_id, title, cause, owner, segment, due_date, status, live_at, \
     created_at, updated_at FROM action_plans";

#[derive(Deserialize)]
struct WindowCount {
    after: u8,
    category: String,
    n: u64,
    with_cause: u64,
}

impl<D: Database, C: SurveyCache> ActionStore for SqlStore<D, C> {
    async fn insert_action(&self, action: &ActionView) -> StoreResult<()> {
        let f = &action.fields;
        self.db
            .run(query!(
                "INSERT INTO action_plans (id, survey_id, title, cause, owner, segment, due_date, status, \
                 live_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                action.id,
                f.survey_id,
                f.title,
                f.cause,
                f.owner,
                serde_json::to_string(&f.segment)?,
                f.due_date,
                f.status.as_str(),
                f.live_at,
                action.created_at,
                action.updated_at,
            ))
            .await
    }

    async fn get_action(&self, id: &str) -> StoreResult<Option<ActionView>> {
        first_row(
            &self.db,
            query!(format!("{SELECT} WHERE id = ?1"), id),
            |row: ActionRow| ActionView::try_from(row),
        )
        .await
    }

    async fn update_action(
        &self,
        action: &ActionView,
        expected_updated_at: &str,
    ) -> StoreResult<bool> {
        let f = &action.fields;
        self.db
            .exists(query!(
                "UPDATE action_plans SET title = ?2, cause = ?3, owner = ?4, segment = ?5, due_date = ?6, \
                 status = ?7, live_at = ?8, updated_at = ?9 WHERE id = ?1 AND updated_at = ?10 RETURNING 1 AS done",
                action.id,
                f.title,
                f.cause,
                f.owner,
                serde_json::to_string(&f.segment)?,
                f.due_date,
                f.status.as_str(),
                f.live_at,
                action.updated_at,
                expected_updated_at,
            ))
            .await
    }

    async fn list_actions(
        &self,
        filter: &ActionFilter,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<ActionView>> {
        all_rows(
            &self.db,
            query!(
                format!(
                    "{SELECT} WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR survey_id = ?2) \
                     AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4"
                ),
                filter.status.map(ActionStatus::as_str),
                filter.survey_id,
                before,
                limit,
            ),
            |row: ActionRow| ActionView::try_from(row),
        )
        .await
    }

    async fn segment_tallies(
        &self,
        survey_id: &str,
        segment: &BTreeMap<String, String>,
        cause: &str,
        windows: &Windows,
    ) -> StoreResult<SegmentTallies> {
        let (from, to) = windows.span();
        // Property names are letters, digits, `_ - .` (`action::check`), so quoting
        // them as a JSON path member is safe; values compare as owner rules compare.
        let rows: Vec<WindowCount> = self
            .db
            .all(query!(
                "SELECT CASE WHEN created_at < ?3 THEN 0 ELSE 1 END AS after, category, COUNT(*) AS n, \
                 SUM(CASE WHEN category = 'detractor' AND EXISTS (SELECT 1 FROM cases c \
                   WHERE c.response_id = responses.id AND c.cause = ?6) THEN 1 ELSE 0 END) AS with_cause \
                 FROM responses WHERE survey_id = ?1 AND created_at >= ?2 AND created_at < ?4 \
                 AND flagged IS NULL AND provisional = 0 \
                 AND NOT EXISTS (SELECT 1 FROM json_each(?5) f WHERE \
                   lower(trim(COALESCE(json_extract(responses.properties, '$.\"' || f.key || '\"'), ''))) \
                   <> lower(trim(f.value))) \
                 GROUP BY 1, 2",
                survey_id,
                rfc3339(from),
                rfc3339(windows.after.0),
                rfc3339(to),
                serde_json::to_string(segment)?,
                cause,
            ))
            .await?;
        let mut counts = SegmentTallies::default();
        for row in rows {
            let (tally, with_cause) = if row.after == 1 {
                (&mut counts.after, &mut counts.after_with_cause)
            } else {
                (&mut counts.before, &mut counts.before_with_cause)
            };
            *with_cause += row.with_cause;
            match row.category.as_str() {
                "promoter" => tally.promoters += row.n,
                "passive" => tally.passives += row.n,
                "detractor" => tally.detractors += row.n,
                other => return Err(StoreError(format!("an answer of category {other}"))),
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{answer, case, run, with_survey};
    use super::*;
    use crate::store::{CaseStore, Companions, ResponseStore, StoredResponse};
    use nps_shared::time::parse_rfc3339;

    fn plan(id: &str, status: ActionStatus) -> ActionView {
        ActionView {
            id: id.into(),
            fields: ActionFields {
                title: "Faster parcels".into(),
                survey_id: "s_demo".into(),
                cause: "delivery".into(),
                owner: Some("logistics".into()),
                segment: BTreeMap::from([("store".into(), "Berlin".into())]),
                due_date: Some("2026-12-31".into()),
                status,
                live_at: status
                    .is_live()
                    .then(|| "2026-11-10T00:00:00.000Z".to_string()),
            },
            created_at: "2026-11-01T00:00:00.000Z".into(),
            updated_at: "2026-11-01T00:00:00.000Z".into(),
            impact: None,
        }
    }

    fn in_store(id: &str, score: u8, at: &str, store: Option<&str>) -> StoredResponse {
        let mut a = answer(id, score, at);
        if let Some(store) = store {
            a.view.properties.insert("store".into(), store.into());
        }
        a
    }

    #[test]
    fn a_plan_is_stored_read_and_saved_under_optimistic_locking() {
        let s = with_survey();
        let p = plan("act_1", ActionStatus::Planned);
        run(s.insert_action(&p)).unwrap();
        assert_eq!(run(s.get_action("act_1")).unwrap(), Some(p.clone()));
        let mut live = plan("act_1", ActionStatus::InProgress);
        live.updated_at = "2026-11-10T00:00:00.000Z".into();
        assert!(run(s.update_action(&live, &p.updated_at)).unwrap());
        assert!(
            !run(s.update_action(&live, &p.updated_at)).unwrap(),
            "saved since"
        );
        assert_eq!(run(s.get_action("act_1")).unwrap(), Some(live));
        assert_eq!(run(s.get_action("act_2")).unwrap(), None);
    }

    #[test]
    fn lists_filter_by_status_and_survey_newest_first() {
        let s = with_survey();
        for (id, status) in [
            ("act_1", ActionStatus::Planned),
            ("act_2", ActionStatus::InProgress),
            ("act_3", ActionStatus::Planned),
        ] {
            run(s.insert_action(&plan(id, status))).unwrap();
        }
        let ids = |filter: ActionFilter, before: Option<&str>| {
            run(s.list_actions(&filter, before, 10))
                .unwrap()
                .into_iter()
                .map(|a| a.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(ActionFilter::default(), None),
            ["act_3", "act_2", "act_1"]
        );
        let planned = ActionFilter {
            status: Some(ActionStatus::Planned),
            ..Default::default()
        };
        assert_eq!(ids(planned.clone(), None), ["act_3", "act_1"]);
        assert_eq!(ids(planned, Some("act_3")), ["act_1"]);
        let elsewhere = ActionFilter {
            survey_id: Some("s_other".into()),
            ..Default::default()
        };
        assert!(ids(elsewhere, None).is_empty());
    }

    #[test]
    fn segment_tallies_count_the_matching_answers_of_each_window() {
        let s = with_survey();
        let group: Vec<(StoredResponse, Companions)> = [
            // Before [11-03, 11-10): two Berlin answers (one spelt differently).
            in_store("r_1", 10, "2026-11-03T00:00:00.000Z", Some("Berlin")),
            in_store("r_2", 3, "2026-11-09T23:59:59.999Z", Some(" berlin ")),
            // Outside both windows, another store, no store.
            in_store("r_3", 0, "2026-11-02T23:59:59.999Z", Some("Berlin")),
            in_store("r_4", 0, "2026-11-12T00:00:00.000Z", Some("Hamburg")),
            in_store("r_5", 0, "2026-11-12T00:00:00.000Z", None),
            // After [11-10, 11-17).
            in_store("r_6", 9, "2026-11-10T00:00:00.000Z", Some("BERLIN")),
            in_store("r_7", 8, "2026-11-16T00:00:00.000Z", Some("Berlin")),
            in_store("r_8", 10, "2026-11-17T00:00:00.000Z", Some("Berlin")),
        ]
        .into_iter()
        .map(|a| {
            // r_2 (Berlin, before) and r_4 (Hamburg, after) are detractors with a case.
            let case = ["r_2", "r_4"]
                .contains(&a.view.id.as_str())
                .then(|| case(&format!("c_{}", a.view.id), &a, None));
            let with = Companions {
                case,
                deliveries: Vec::new(),
            };
            (a, with)
        })
        .collect();
        run(s.insert_group(&group)).unwrap();
        for (answer, with) in &group {
            if let Some(c) = &with.case {
                // Resolved as delivery: the cause is set by an update, as the service does.
                let mut named = c.clone();
                named.view.cause = Some("delivery".into());
                assert!(
                    run(s.update_case(&named, &c.view.updated_at)).unwrap(),
                    "{}",
                    answer.view.id
                );
            }
        }
        let live = parse_rfc3339("2026-11-10T00:00:00.000Z").unwrap();
        let windows = Windows::around(live, live + 7 * 86_400_000, 28).unwrap();
        let berlin = BTreeMap::from([("store".to_string(), "Berlin".to_string())]);
        let counts = run(s.segment_tallies("s_demo", &berlin, "delivery", &windows)).unwrap();
        let (before, after) = (counts.before, counts.after);
        assert_eq!((counts.before_with_cause, counts.after_with_cause), (1, 0));
        let other = run(s.segment_tallies("s_demo", &berlin, "price", &windows)).unwrap();
        assert_eq!(other.before_with_cause, 0, "another cause");
        assert_eq!(
            (before.promoters, before.passives, before.detractors),
            (1, 0, 1)
        );
        assert_eq!(
            (after.promoters, after.passives, after.detractors),
            (1, 1, 0)
        );
        let all = run(s.segment_tallies("s_demo", &BTreeMap::new(), "delivery", &windows)).unwrap();
        let (all_before, all_after) = (all.before, all.after);
        assert_eq!(
            all.after_with_cause, 1,
            "Hamburg's detractor without a segment"
        );
        assert_eq!(all_before.total(), 2);
        assert_eq!(
            all_after.total(),
            4,
            "every store's answers without a segment"
        );
    }
}
