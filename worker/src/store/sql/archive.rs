//! `archive_parts`: the record of what retention archived, and the delete of those
//! answers in the same batch — a part is recorded if and only if its answers are gone,
//! so a crash between the two cannot happen, and one before the batch leaves both to
//! the next run. The answers' rollups stay: reports keep counting them. Who a part's
//! answers name is recorded with it (`archive_people`), and an erase's rewrite of a
//! part ([`ArchiveStore::rewrite_part`]) is again one batch, guarded by the part's key.

use super::responses::{RESPONSE_COLUMNS, ResponseRow};
use super::{SqlStore, all_rows, first_row};
use crate::query;
use crate::store::db::{Database, Param, Statement};
use crate::store::{
    ArchivePart, ArchiveStore, Garbage, PartRewrite, StoreError, StoreResult, StoredResponse,
    SurveyCache, Who,
};
use nps_shared::rollup;
use serde::Deserialize;

#[derive(Deserialize)]
struct PartRow {
    survey_id: String,
    month: String,
    part: u32,
    key: String,
    first_created_at: String,
    first_id: String,
    last_created_at: String,
    last_id: String,
    count: u32,
    bytes: u64,
    etag: String,
    written_at: String,
}

fn part_of(row: PartRow) -> StoreResult<ArchivePart> {
    Ok(ArchivePart {
        survey_id: row.survey_id,
        month: row.month,
        part: row.part,
        key: row.key,
        first_created_at: row.first_created_at,
        first_id: row.first_id,
        last_created_at: row.last_created_at,
        last_id: row.last_id,
        count: row.count,
        bytes: row.bytes,
        etag: row.etag,
        written_at: row.written_at,
    })
}

const PART_COLUMNS: &str = "survey_id, month, part, key, first_created_at, first_id, \
     last_created_at, last_id, count, bytes, etag, written_at";

/// The answers of a part: the survey's from (`?2`, `?3`) to (`?4`, `?5`) inclusive in
/// the order (created_at, id) — the index `responses_by_time`. `?1` is the survey.
const IN_PART: &str =
    "survey_id = ?1 AND (created_at, id) >= (?2, ?3) AND (created_at, id) <= (?4, ?5)";

/// Binds `?1`…`?5` of [`IN_PART`] for `part`.
fn range_params(part: &ArchivePart) -> Vec<crate::store::db::Value> {
    crate::params!(
        part.survey_id,
        part.first_created_at,
        part.first_id,
        part.last_created_at,
        part.last_id
    )
}

/// The parts recorded before their names were (`named` = 0), `?1` at most: through
/// the partial index `archive_parts_unnamed`.
fn unnamed_parts_sql() -> String {
    format!(
        "SELECT {PART_COLUMNS} FROM archive_parts WHERE named = 0 \
         ORDER BY survey_id, month, part LIMIT ?1"
    )
}

impl<D: Database, C: SurveyCache> ArchiveStore for SqlStore<D, C> {
    async fn oldest_answers(
        &self,
        survey_id: &str,
        before: &str,
        limit: u32,
    ) -> StoreResult<Vec<StoredResponse>> {
        all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {RESPONSE_COLUMNS} FROM responses WHERE survey_id = ?1 AND created_at < ?2 \
                     ORDER BY created_at, id LIMIT ?3"
                ),
                survey_id,
                before,
                limit
            ),
            |row: ResponseRow| StoredResponse::try_from(row),
        )
        .await
    }

    async fn next_part(&self, survey_id: &str, month: &str) -> StoreResult<u32> {
        #[derive(Deserialize)]
        struct Next {
            next: u32,
        }
        let next: Option<Next> = self
            .db
            .first(query!(
                "SELECT COALESCE(MAX(part), 0) + 1 AS next FROM (\
                 SELECT part FROM archive_parts WHERE survey_id = ?1 AND month = ?2 \
                 UNION ALL SELECT part FROM archive_garbage WHERE survey_id = ?1 AND month = ?2)",
                survey_id,
                month
            ))
            .await?;
        next.map(|n| n.next)
            .ok_or_else(|| StoreError("no next archive part".into()))
    }

    async fn record_part_and_delete(&self, part: &ArchivePart) -> StoreResult<bool> {
        // Recorded only if the range still holds exactly the answers written; the
        // copy of comments and the delete only if it was recorded in this batch.
        let mut record = Statement::new(
            format!(
                "INSERT INTO archive_parts ({PART_COLUMNS}, named) \
                 SELECT ?1, ?6, ?7, ?8, ?2, ?3, ?4, ?5, ?9, ?10, ?11, ?12, 1 \
                 WHERE (SELECT COUNT(*) FROM responses WHERE {IN_PART}) = ?9 \
                 AND NOT EXISTS (SELECT 1 FROM archive_parts WHERE key = ?8) RETURNING 1"
            ),
            range_params(part),
        );
        record.params.extend(crate::params!(
            part.month,
            part.part,
            part.key,
            part.count,
            i64::try_from(part.bytes).map_err(|_| StoreError("part too large".into()))?,
            part.etag,
            part.written_at
        ));
        let recorded = "EXISTS (SELECT 1 FROM archive_parts WHERE key = ?6 AND written_at = ?7)";
        let mut keep_comments = Statement::new(
            format!(
                "UPDATE cases SET archived_comment = \
                 (SELECT comment FROM responses r WHERE r.id = cases.response_id) \
                 WHERE response_id IN (SELECT id FROM responses WHERE {IN_PART}) AND {recorded}"
            ),
            range_params(part),
        );
        // Who the answers name, given or claimed (the columns an erase matches on,
        // `RespondentStore::respondent_records`), before they go.
        let named = |column: &str, tag: &str| {
            format!(
                "SELECT '{tag}:' || {column} AS who FROM responses \
                 WHERE {IN_PART} AND {column} IS NOT NULL"
            )
        };
        let mut names = Statement::new(
            format!(
                "INSERT OR IGNORE INTO archive_people (who, survey_id, month, part) \
                 SELECT who, ?1, ?8, ?9 FROM ({} UNION {} UNION {} UNION {}) WHERE {recorded}",
                named("respondent_id", "id"),
                named("claimed_id", "id"),
                named("respondent_email_key", "email"),
                named("claimed_email_key", "email"),
            ),
            range_params(part),
        );
        let mut delete = Statement::new(
            format!("DELETE FROM responses WHERE {IN_PART} AND {recorded}"),
            range_params(part),
        );
        names.params.extend(crate::params!(
            part.key,
            part.written_at,
            part.month,
            part.part
        ));
        for statement in [&mut keep_comments, &mut delete] {
            statement
                .params
                .extend([part.key.value(), part.written_at.value()]);
        }
        let returned = self
            .db
            .batch(vec![record, keep_comments, names, delete])
            .await?;
        Ok(returned.first() == Some(&1))
    }

    async fn archive_parts(&self, survey_id: &str) -> StoreResult<Vec<ArchivePart>> {
        all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {PART_COLUMNS} FROM archive_parts WHERE survey_id = ?1 ORDER BY month, part"
                ),
                survey_id
            ),
            part_of,
        )
        .await
    }

    async fn archive_part(
        &self,
        survey_id: &str,
        month: &str,
        part: u32,
    ) -> StoreResult<Option<ArchivePart>> {
        first_row(
            &self.db,
            query!(
                format!(
                    "SELECT {PART_COLUMNS} FROM archive_parts WHERE survey_id = ?1 AND month = ?2 AND part = ?3"
                ),
                survey_id,
                month,
                part
            ),
            part_of,
        )
        .await
    }

    async fn archived_until(&self, survey_id: &str) -> StoreResult<Option<String>> {
        #[derive(Deserialize)]
        struct Until {
            until: Option<String>,
        }
        let until: Option<Until> = self
            .db
            .first(query!(
                "SELECT MAX(last_created_at) AS until FROM archive_parts WHERE survey_id = ?1",
                survey_id
            ))
            .await?;
        Ok(until.and_then(|u| u.until))
    }

    async fn parts_naming(&self, who: &Who, limit: u32) -> StoreResult<Vec<ArchivePart>> {
        let columns = super::qualified(PART_COLUMNS, "p");
        all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {columns} FROM archive_people n JOIN archive_parts p \
                     ON p.survey_id = n.survey_id AND p.month = n.month AND p.part = n.part \
                     WHERE n.who = ?1 ORDER BY n.survey_id, n.month, n.part LIMIT ?2"
                ),
                who.tag(),
                limit
            ),
            part_of,
        )
        .await
    }

    async fn rewrite_part(&self, rewrite: &PartRewrite) -> StoreResult<bool> {
        let part = &rewrite.part;
        let at_key = "EXISTS (SELECT 1 FROM archive_parts \
                      WHERE survey_id = ?2 AND month = ?3 AND part = ?4 AND key = ?5)";
        let mut statements = Vec::new();
        // The answers leave the rollups while the part still holds them.
        let mut changes = Vec::new();
        for view in &rewrite.removed {
            let answer = super::rollups::record(view)?;
            changes.extend(
                rollup::changes(&answer, -1)
                    .into_iter()
                    .map(|c| (view.survey_id.clone(), c)),
            );
        }
        statements.extend(super::rollups::guarded_summed_statements(
            &changes,
            at_key,
            crate::params!(part.survey_id, part.month, part.part, part.key),
        ));
        if !rewrite.removed.is_empty() {
            // Their property values counted by nobody else go too (as `erase_records`).
            for surveys in super::json_arrays([part.survey_id.as_str().into()]) {
                statements.push(query!(super::rollups::FORGET_ZERO_PROPERTIES, surveys));
            }
            // A case an answer opened outlives the answer with its comment; one opened
            // by an answer that only claimed them names them nowhere else.
            let ids = rewrite.removed.iter().map(|v| v.id.as_str().into());
            for array in super::json_arrays(ids) {
                statements.push(query!(
                    format!(
                        "DELETE FROM cases WHERE response_id IN (SELECT value FROM json_each(?1)) \
                         AND {at_key}"
                    ),
                    array,
                    part.survey_id,
                    part.month,
                    part.part,
                    part.key
                ));
            }
        }
        // The statement whose returned row says the rewrite applied.
        let mut applied_at = None;
        let key_now = match &rewrite.written {
            Some((key, stored)) => {
                applied_at = Some(statements.len());
                statements.push(query!(
                    "UPDATE archive_parts SET key = ?5, etag = ?6, bytes = ?7, count = count - ?8 \
                     WHERE survey_id = ?1 AND month = ?2 AND part = ?3 AND key = ?4 RETURNING 1",
                    part.survey_id,
                    part.month,
                    part.part,
                    part.key,
                    key,
                    stored.etag,
                    i64::try_from(stored.bytes).map_err(|_| StoreError("part too large".into()))?,
                    u32::try_from(rewrite.removed.len()).unwrap_or(u32::MAX)
                ));
                statements.push(query!(
                    format!(
                        "INSERT OR IGNORE INTO archive_garbage (key, since, survey_id, month, part) \
                         SELECT ?1, ?6, ?2, ?3, ?4 WHERE {at_key}"
                    ),
                    part.key,
                    part.survey_id,
                    part.month,
                    part.part,
                    key,
                    rewrite.at
                ));
                key
            }
            None => &part.key,
        };
        let applied_at = *applied_at.get_or_insert(statements.len());
        statements.push(query!(
            format!(
                "DELETE FROM archive_people \
                 WHERE who = ?1 AND survey_id = ?2 AND month = ?3 AND part = ?4 AND {at_key} RETURNING 1"
            ),
            rewrite.who.tag(),
            part.survey_id,
            part.month,
            part.part,
            key_now
        ));
        // Written: applied if the part moved to the new object; not: if the name went.
        let returned = self.db.batch(statements).await?;
        Ok(returned.get(applied_at) == Some(&1))
    }

    async fn unnamed_parts(&self, limit: u32) -> StoreResult<Vec<ArchivePart>> {
        all_rows(&self.db, query!(unnamed_parts_sql(), limit), part_of).await
    }

    async fn name_part(&self, part: &ArchivePart, who: &[String]) -> StoreResult<bool> {
        let mut statements = Vec::new();
        let at_key = "EXISTS (SELECT 1 FROM archive_parts \
                      WHERE survey_id = ?2 AND month = ?3 AND part = ?4 AND key = ?5 AND named = 0)";
        for array in super::json_arrays(who.iter().map(|w| w.as_str().into())) {
            statements.push(query!(
                format!(
                    "INSERT OR IGNORE INTO archive_people (who, survey_id, month, part) \
                     SELECT value, ?2, ?3, ?4 FROM json_each(?1) WHERE {at_key}"
                ),
                array,
                part.survey_id,
                part.month,
                part.part,
                part.key
            ));
        }
        let marked = statements.len();
        statements.push(query!(
            "UPDATE archive_parts SET named = 1 \
             WHERE survey_id = ?1 AND month = ?2 AND part = ?3 AND key = ?4 AND named = 0 RETURNING 1",
            part.survey_id,
            part.month,
            part.part,
            part.key
        ));
        let returned = self.db.batch(statements).await?;
        Ok(returned.get(marked) == Some(&1))
    }

    async fn discard_part(&self, part: &ArchivePart) -> StoreResult<()> {
        self.db
            .run(query!(
                "INSERT OR IGNORE INTO archive_garbage (key, since, survey_id, month, part) \
                 SELECT ?1, ?2, ?3, ?4, ?5 \
                 WHERE NOT EXISTS (SELECT 1 FROM archive_parts WHERE key = ?1)",
                part.key,
                part.written_at,
                part.survey_id,
                part.month,
                part.part
            ))
            .await
    }

    async fn archive_garbage(&self, before: &str, limit: u32) -> StoreResult<Vec<Garbage>> {
        #[derive(Deserialize)]
        struct Row {
            key: String,
            recorded: u8,
        }
        Ok(self
            .db
            .all::<Row>(query!(
                "SELECT key, EXISTS (SELECT 1 FROM archive_parts p WHERE p.key = g.key) AS recorded \
                 FROM archive_garbage g WHERE since < ?1 ORDER BY since, key LIMIT ?2",
                before,
                limit
            ))
            .await?
            .into_iter()
            .map(|g| Garbage {
                key: g.key,
                recorded: g.recorded != 0,
            })
            .collect())
    }

    async fn forget_garbage(&self, keys: &[String]) -> StoreResult<()> {
        for array in super::json_arrays(keys.iter().map(|k| k.as_str().into())) {
            self.db
                .run(query!(
                    "DELETE FROM archive_garbage WHERE key IN (SELECT value FROM json_each(?1))",
                    array
                ))
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{answer, case, run, with_survey};
    use crate::store::{ArchivePart, ArchiveStore, CaseStore, Companions, ResponseStore};

    fn part_of(answers: &[crate::store::StoredResponse], part: u32) -> ArchivePart {
        let (first, last) = (&answers[0].view, &answers[answers.len() - 1].view);
        ArchivePart {
            survey_id: "s_demo".into(),
            month: "2026-09".into(),
            part,
            key: nps_shared::retention::part_key("s_demo", "2026-09", part),
            first_created_at: first.created_at.clone(),
            first_id: first.id.clone(),
            last_created_at: last.created_at.clone(),
            last_id: last.id.clone(),
            count: answers.len() as u32,
            bytes: 1234,
            etag: "etag-1".into(),
            written_at: "2026-12-01T00:00:00.000Z".into(),
        }
    }

    /// Four answers in September (two at the same instant), one in December.
    fn seeded() -> crate::store::sql::SqlStore<crate::store::sqlite::Sqlite> {
        let s = with_survey();
        for (id, score, at) in [
            ("r_4", 3, "2026-09-02T10:00:00.000Z"),
            ("r_1", 9, "2026-09-01T10:00:00.000Z"),
            ("r_3", 7, "2026-09-02T10:00:00.000Z"),
            ("r_2", 10, "2026-09-01T11:00:00.000Z"),
            ("r_5", 8, "2026-12-01T10:00:00.000Z"),
        ] {
            let mut a = answer(id, score, at);
            a.view.comment = Some(format!("comment {id}"));
            let with = if score <= 6 {
                Companions {
                    case: Some(case(&format!("c_{id}"), &a, None)),
                    deliveries: Vec::new(),
                }
            } else {
                Companions::default()
            };
            run(s.insert_group(&[(a.clone(), with)])).unwrap();
        }
        s
    }

    fn ids(answers: &[crate::store::StoredResponse]) -> Vec<&str> {
        answers.iter().map(|a| a.view.id.as_str()).collect()
    }

    #[test]
    fn the_oldest_answers_before_the_cut_come_in_time_then_id_order() {
        let s = seeded();
        let oldest = run(s.oldest_answers("s_demo", "2026-11-01T00:00:00.000Z", 3)).unwrap();
        assert_eq!(ids(&oldest), ["r_1", "r_2", "r_3"]);
        let all = run(s.oldest_answers("s_demo", "2026-11-01T00:00:00.000Z", 100)).unwrap();
        assert_eq!(ids(&all), ["r_1", "r_2", "r_3", "r_4"]);
    }

    #[test]
    fn recording_a_part_deletes_exactly_its_answers_and_keeps_rollups_and_cases() {
        let s = seeded();
        let rollups_before = s
            .db()
            .select::<serde_json::Value>("SELECT * FROM rollup_time ORDER BY quarter, flagged");
        assert_eq!(run(s.next_part("s_demo", "2026-09")).unwrap(), 1);
        // The first three: r_4 shares r_3's instant but comes after it, and stays.
        let three = run(s.oldest_answers("s_demo", "2026-11-01T00:00:00.000Z", 3)).unwrap();
        let part = part_of(&three, 1);
        assert!(run(s.record_part_and_delete(&part)).unwrap());
        let left = run(s.oldest_answers("s_demo", "2027-01-01T00:00:00.000Z", 100)).unwrap();
        assert_eq!(ids(&left), ["r_4", "r_5"]);
        assert_eq!(
            s.db()
                .select::<serde_json::Value>("SELECT * FROM rollup_time ORDER BY quarter, flagged"),
            rollups_before,
            "the rollups keep counting archived answers"
        );
        assert_eq!(
            run(s.archive_parts("s_demo")).unwrap(),
            std::slice::from_ref(&part)
        );
        assert_eq!(
            run(s.archive_part("s_demo", "2026-09", 1)).unwrap(),
            Some(part.clone())
        );
        assert_eq!(run(s.archive_part("s_demo", "2026-09", 2)).unwrap(), None);
        assert_eq!(run(s.next_part("s_demo", "2026-09")).unwrap(), 2);
        assert_eq!(
            run(s.archived_until("s_demo")).unwrap().as_deref(),
            Some("2026-09-02T10:00:00.000Z")
        );
        // Recording it again changes nothing: its answers are gone, its key is taken.
        assert!(!run(s.record_part_and_delete(&part)).unwrap());
        assert_eq!(run(s.archive_parts("s_demo")).unwrap().len(), 1);

        // r_4 opened a case, archived next: the case stays, with the answer's comment.
        let rest = run(s.oldest_answers("s_demo", "2026-11-01T00:00:00.000Z", 10)).unwrap();
        assert!(run(s.record_part_and_delete(&part_of(&rest, 2))).unwrap());
        assert_eq!(run(s.get_response("r_4")).unwrap(), None);
        let kept = run(s.get_case("c_r_4")).unwrap().expect("the case stays");
        assert_eq!(kept.view.comment.as_deref(), Some("comment r_4"));
        assert_eq!(kept.view.response_id, "r_4");
    }

    #[test]
    fn a_part_whose_answers_changed_since_they_were_read_is_neither_recorded_nor_deleted() {
        let s = seeded();
        let oldest = run(s.oldest_answers("s_demo", "2026-11-01T00:00:00.000Z", 4)).unwrap();
        let mut part = part_of(&oldest, 1);
        // One more than the range holds: as if an answer had been erased meanwhile.
        part.count += 1;
        assert!(!run(s.record_part_and_delete(&part)).unwrap());
        assert!(run(s.archive_parts("s_demo")).unwrap().is_empty());
        assert_eq!(
            run(s.oldest_answers("s_demo", "2027-01-01T00:00:00.000Z", 100))
                .unwrap()
                .len(),
            5
        );
        assert_eq!(run(s.archived_until("s_demo")).unwrap(), None);
    }

    #[test]
    fn unnamed_parts_are_found_through_their_index_not_a_scan_of_every_part() {
        #[derive(serde::Deserialize)]
        struct Plan {
            detail: String,
        }
        let s = seeded();
        let sql = super::unnamed_parts_sql().replace("?1", "3");
        let plan: Vec<Plan> = s.db().select(&format!("EXPLAIN QUERY PLAN {sql}"));
        let text: Vec<&str> = plan.iter().map(|p| p.detail.as_str()).collect();
        assert!(
            text.iter().any(|d| d.contains("archive_parts_unnamed")),
            "{text:?}"
        );
        assert!(!text.iter().any(|d| d.contains("TEMP B-TREE")), "{text:?}");
    }
}
