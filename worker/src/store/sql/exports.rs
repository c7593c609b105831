//! `export_jobs`: export jobs and their progress, and the reads of the answers an
//! export writes (newest first, from the newest answer stored when it started).
//! A chunk is recorded only while the job's `parts` equals its number, in one
//! statement, so a redelivered queue message never counts a chunk twice.

use super::responses::{RESPONSE_COLUMNS, ResponseRow};
use super::{SqlStore, all_rows, first_row};
use crate::query;
use crate::store::db::Database;
use crate::store::{
    ChunkWritten, ExportJob, ExportRow, ExportStore, StoreError, StoreResult, StoredResponse,
    SurveyCache,
};
use nps_shared::Category;
use nps_shared::csv::CaseCells;
use nps_shared::export::{ExportStatus, ExportView};
use serde::Deserialize;

#[derive(Deserialize)]
struct JobRow {
    id: String,
    survey_id: String,
    format: String,
    category: Option<String>,
    status: String,
    newest_id: Option<String>,
    cursor: Option<String>,
    parts: i64,
    rows_written: i64,
    rows_total: i64,
    bytes: i64,
    created_at: String,
    finished_at: Option<String>,
    error: Option<String>,
}

const JOB_COLUMNS: &str = "id, survey_id, format, category, status, newest_id, cursor, parts, \
     rows_written, rows_total, bytes, created_at, finished_at, error";

/// A stored count as the unsigned number it is (a negative one is a broken row).
fn count<T: TryFrom<i64>>(id: &str, n: i64) -> StoreResult<T> {
    T::try_from(n).map_err(|_| StoreError(format!("export {id}: count {n} out of range")))
}

impl TryFrom<JobRow> for ExportJob {
    type Error = StoreError;
    fn try_from(row: JobRow) -> StoreResult<Self> {
        let status = ExportStatus::parse(&row.status)
            .ok_or_else(|| StoreError(format!("export {}: status {}", row.id, row.status)))?;
        let download_url =
            (status == ExportStatus::Done).then(|| format!("/v1/exports/{}/download", row.id));
        Ok(ExportJob {
            view: ExportView {
                parts: count(&row.id, row.parts)?,
                rows_written: count(&row.id, row.rows_written)?,
                rows_total: count(&row.id, row.rows_total)?,
                bytes: count(&row.id, row.bytes)?,
                id: row.id,
                survey_id: row.survey_id,
                status,
                format: row.format,
                category: row.category,
                download_url,
                created_at: row.created_at,
                finished_at: row.finished_at,
                error: row.error,
            },
            newest_id: row.newest_id,
            cursor: row.cursor,
        })
    }
}

#[derive(Deserialize)]
struct ScopeRow {
    n: i64,
    newest: Option<String>,
}

/// D1 binds integers as JS numbers: counts and byte sizes stay far below 2^53.
fn bound(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl<D: Database, C: SurveyCache> ExportStore for SqlStore<D, C> {
    async fn insert_export(&self, job: &ExportJob) -> StoreResult<()> {
        let v = &job.view;
        self.db
            .run(query!(
                "INSERT INTO export_jobs (id, survey_id, format, category, status, newest_id, \
                 cursor, parts, rows_written, rows_total, bytes, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
                v.id,
                v.survey_id,
                v.format,
                v.category,
                v.status.as_str(),
                job.newest_id,
                job.cursor,
                v.parts,
                bound(v.rows_written),
                bound(v.rows_total),
                bound(v.bytes),
                v.created_at
            ))
            .await
    }

    async fn get_export(&self, id: &str) -> StoreResult<Option<ExportJob>> {
        first_row(
            &self.db,
            query!(
                format!("SELECT {JOB_COLUMNS} FROM export_jobs WHERE id = ?1"),
                id
            ),
            |row: JobRow| ExportJob::try_from(row),
        )
        .await
    }

    async fn export_scope(
        &self,
        survey_id: &str,
        category: Option<Category>,
    ) -> StoreResult<(u64, Option<String>)> {
        let row: Option<ScopeRow> = self
            .db
            .first(query!(
                "SELECT COUNT(*) AS n, MAX(id) AS newest FROM responses \
                 WHERE survey_id = ?1 AND (?2 IS NULL OR category = ?2)",
                survey_id,
                category.map(Category::as_str)
            ))
            .await?;
        Ok(match row {
            Some(row) => (count(survey_id, row.n)?, row.newest),
            None => (0, None),
        })
    }

    async fn more_answers_than(
        &self,
        survey_id: &str,
        category: Option<Category>,
        limit: u32,
    ) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "SELECT 1 WHERE (SELECT COUNT(*) FROM (SELECT 1 FROM responses \
                 WHERE survey_id = ?1 AND (?2 IS NULL OR category = ?2) LIMIT ?3)) > ?4",
                survey_id,
                category.map(Category::as_str),
                limit.saturating_add(1),
                limit
            ))
            .await
    }

    async fn export_page(
        &self,
        survey_id: &str,
        category: Option<Category>,
        newest_id: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<ExportRow>> {
        // The answer's columns named as the row type reads them; the case's through
        // its UNIQUE (response_id) index.
        let columns = super::qualified(RESPONSE_COLUMNS, "r");
        all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {columns}, c.status AS case_status, c.cause AS case_cause, \
                     c.solution AS case_solution FROM responses r LEFT JOIN cases c ON c.response_id = r.id \
                     WHERE r.survey_id = ?1 AND (?2 IS NULL OR r.category = ?2) AND (?3 IS NULL OR r.id <= ?3) \
                     AND (?4 IS NULL OR r.id < ?4) ORDER BY r.id DESC LIMIT ?5"
                ),
                survey_id,
                category.map(Category::as_str),
                newest_id,
                cursor,
                limit
            ),
            |mut row: ResponseRow| {
                let case = row.case_status.take().map(|status| CaseCells {
                    status,
                    cause: row.case_cause.take(),
                    solution: row.case_solution.take(),
                });
                StoredResponse::try_from(row).map(|r| ExportRow {
                    response: r.view,
                    case,
                })
            },
        )
        .await
    }

    async fn record_chunk(&self, id: &str, w: &ChunkWritten) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "UPDATE export_jobs SET parts = parts + 1, \
                 cursor = COALESCE(?3, cursor), rows_written = rows_written + ?4, \
                 bytes = bytes + ?5, \
                 status = CASE WHEN ?6 = 1 THEN 'done' ELSE 'running' END, \
                 finished_at = CASE WHEN ?6 = 1 THEN ?7 END, updated_at = ?7 \
                 WHERE id = ?1 AND parts = ?2 AND status IN ('queued', 'running') \
                 RETURNING 1",
                id,
                w.chunk,
                w.cursor,
                bound(w.rows),
                bound(w.bytes),
                w.last,
                w.at
            ))
            .await
    }

    async fn fail_export(&self, id: &str, error: &str, at: &str) -> StoreResult<()> {
        self.db
            .run(query!(
                "UPDATE export_jobs SET status = 'failed', error = ?2, finished_at = ?3, \
                 updated_at = ?3 WHERE id = ?1 AND status IN ('queued', 'running')",
                id,
                error,
                at
            ))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{answer, run, with_survey};
    use crate::store::{
        ChunkWritten, Companions, ExportJob, ExportStore, ResponseStore, StoredResponse,
    };
    use nps_shared::Category;
    use nps_shared::export::{ExportStatus, ExportView};

    const T0: &str = "2026-11-01T10:00:00.000Z";

    fn job(id: &str, newest_id: Option<&str>, total: u64) -> ExportJob {
        ExportJob {
            view: ExportView {
                id: id.into(),
                survey_id: "s_demo".into(),
                status: ExportStatus::Queued,
                format: "csv".into(),
                category: None,
                rows_written: 0,
                rows_total: total,
                parts: 0,
                bytes: 0,
                download_url: None,
                created_at: T0.into(),
                finished_at: None,
                error: None,
            },
            newest_id: newest_id.map(str::to_owned),
            cursor: None,
        }
    }

    fn store_answers(s: &impl ResponseStore, scores: &[u8]) -> Vec<StoredResponse> {
        scores
            .iter()
            .enumerate()
            .map(|(i, score)| {
                let a = answer(&format!("r_{i:03}"), *score, T0);
                run(s.insert_group(&[(a.clone(), Companions::default())])).unwrap();
                a
            })
            .collect()
    }

    fn written(chunk: u32, cursor: &str, rows: u64, last: bool) -> ChunkWritten {
        ChunkWritten {
            chunk,
            cursor: Some(cursor.into()),
            rows,
            bytes: rows * 10,
            last,
            at: "2026-11-01T11:00:00.000Z".into(),
        }
    }

    #[test]
    fn a_job_reads_back_as_stored_and_shows_its_link_only_when_done() {
        let s = with_survey();
        run(s.insert_export(&job("ex_1", Some("r_009"), 10))).unwrap();
        let stored = run(s.get_export("ex_1")).unwrap().unwrap();
        assert_eq!(stored, job("ex_1", Some("r_009"), 10));
        assert!(run(s.record_chunk("ex_1", &written(0, "r_000", 10, true))).unwrap());
        let done = run(s.get_export("ex_1")).unwrap().unwrap();
        assert_eq!(done.view.status, ExportStatus::Done);
        assert_eq!(
            done.view.download_url.as_deref(),
            Some("/v1/exports/ex_1/download")
        );
        assert_eq!(
            done.view.finished_at.as_deref(),
            Some("2026-11-01T11:00:00.000Z")
        );
        assert!(run(s.get_export("ex_2")).unwrap().is_none());
    }

    #[test]
    fn the_scope_counts_the_answers_and_names_the_newest() {
        let s = with_survey();
        assert_eq!(run(s.export_scope("s_demo", None)).unwrap(), (0, None));
        store_answers(&s, &[1, 9, 10, 3]);
        assert_eq!(
            run(s.export_scope("s_demo", None)).unwrap(),
            (4, Some("r_003".into()))
        );
        assert_eq!(
            run(s.export_scope("s_demo", Some(Category::Promoter))).unwrap(),
            (2, Some("r_002".into()))
        );
    }

    #[test]
    fn more_answers_than_tells_the_boundary_exactly() {
        let s = with_survey();
        store_answers(&s, &[1, 2, 3]);
        assert!(run(s.more_answers_than("s_demo", None, 2)).unwrap());
        assert!(!run(s.more_answers_than("s_demo", None, 3)).unwrap());
        assert!(!run(s.more_answers_than("s_demo", Some(Category::Promoter), 0)).unwrap());
        assert!(run(s.more_answers_than("s_demo", Some(Category::Detractor), 0)).unwrap());
    }

    #[test]
    fn pages_go_newest_first_below_the_cursor_and_never_above_the_start() {
        let s = with_survey();
        store_answers(&s, &[1, 2, 3, 4, 5]);
        let ids = |page: Vec<crate::store::ExportRow>| {
            page.into_iter().map(|r| r.response.id).collect::<Vec<_>>()
        };
        // r_004 came after the export started at r_003: it is not in it.
        let first = run(s.export_page("s_demo", None, Some("r_003"), None, 2)).unwrap();
        assert_eq!(ids(first), ["r_003", "r_002"]);
        let next = run(s.export_page("s_demo", None, Some("r_003"), Some("r_002"), 2)).unwrap();
        assert_eq!(ids(next), ["r_001", "r_000"]);
        let end = run(s.export_page("s_demo", None, Some("r_003"), Some("r_000"), 2)).unwrap();
        assert!(end.is_empty());
        let newest = run(s.export_page("s_demo", None, None, None, 1)).unwrap();
        assert_eq!(ids(newest), ["r_004"], "no start: from the newest");
    }

    #[test]
    fn an_exported_answer_carries_the_case_it_opened_with_its_cause_and_solution() {
        let s = with_survey();
        let plain = answer("r_001", 9, T0);
        run(s.insert_group(&[(plain, Companions::default())])).unwrap();
        let low = answer("r_002", 2, T0);
        let mut c = super::super::testing::case("c_002", &low, None);
        c.view.status = nps_shared::case::CaseStatus::Resolved;
        c.view.cause = Some("delivery".into());
        c.view.solution = Some("Refunded the shipping".into());
        let with = Companions {
            case: Some(c),
            deliveries: Vec::new(),
        };
        run(s.insert_group(&[(low, with)])).unwrap();
        let rows = run(s.export_page("s_demo", None, None, None, 10)).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].case,
            Some(nps_shared::csv::CaseCells {
                status: "resolved".into(),
                cause: Some("delivery".into()),
                solution: Some("Refunded the shipping".into()),
            })
        );
        assert_eq!(rows[0].response.score.value(), 2);
        assert_eq!(rows[1].case, None, "a promoter opened no case");
        assert!(
            rows[0]
                .csv_record()
                .ends_with(",resolved,delivery,Refunded the shipping\r\n")
        );
        assert!(rows[1].csv_record().ends_with(",,,\r\n"));
    }

    #[test]
    fn a_chunk_is_recorded_once_even_when_its_message_comes_twice() {
        let s = with_survey();
        run(s.insert_export(&job("ex_1", Some("r_009"), 10))).unwrap();
        assert!(run(s.record_chunk("ex_1", &written(0, "r_005", 5, false))).unwrap());
        assert!(
            !run(s.record_chunk("ex_1", &written(0, "r_005", 5, false))).unwrap(),
            "the redelivered chunk 0 changes nothing"
        );
        let running = run(s.get_export("ex_1")).unwrap().unwrap();
        assert_eq!(running.view.status, ExportStatus::Running);
        assert_eq!((running.view.parts, running.view.rows_written), (1, 5));
        assert_eq!(running.cursor.as_deref(), Some("r_005"));
        assert!(running.view.download_url.is_none());
        assert!(run(s.record_chunk("ex_1", &written(1, "r_000", 5, true))).unwrap());
        let done = run(s.get_export("ex_1")).unwrap().unwrap();
        assert_eq!((done.view.parts, done.view.rows_written), (2, 10));
        assert_eq!(done.view.bytes, 100);
        assert!(
            !run(s.record_chunk("ex_1", &written(2, "r_000", 0, true))).unwrap(),
            "a finished job takes no more chunks"
        );
    }

    #[test]
    fn a_failed_job_keeps_its_error_and_a_finished_one_is_not_failed_later() {
        let s = with_survey();
        run(s.insert_export(&job("ex_1", None, 0))).unwrap();
        run(s.fail_export("ex_1", "R2 is down", "2026-11-01T12:00:00.000Z")).unwrap();
        let failed = run(s.get_export("ex_1")).unwrap().unwrap();
        assert_eq!(failed.view.status, ExportStatus::Failed);
        assert_eq!(failed.view.error.as_deref(), Some("R2 is down"));
        run(s.insert_export(&job("ex_2", None, 0))).unwrap();
        assert!(run(s.record_chunk("ex_2", &written(0, "r_000", 0, true))).unwrap());
        run(s.fail_export("ex_2", "late", "2026-11-01T12:00:00.000Z")).unwrap();
        let done = run(s.get_export("ex_2")).unwrap().unwrap();
        assert_eq!(done.view.status, ExportStatus::Done);
        assert!(done.view.error.is_none());
    }
}
