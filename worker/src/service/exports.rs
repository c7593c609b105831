//! Export jobs: an export of any size, written in chunks that each stay within one
//! Worker invocation's D1 query budget (`nps_shared::export::Chunking`).
//!
//! `start` counts what the export will hold (the answers stored now, up to the newest
//! one), stores the job and queues its chunk 0. Each chunk message (`run_chunk`) reads
//! the job, reads its answers page by page below the job's cursor, writes them as one
//! object `exports/{id}/chunk-NNNNN.csv` (the header in chunk 0; the columns, escaping
//! and formula guard of `nps_shared::csv`, as `export.csv`), records the chunk in the
//! job — only while the job is still at that chunk, so a redelivered message writes the
//! same object again and counts nothing twice — and queues the next one. A chunk that
//! fails is tried again (`handle`) and after [`MAX_ATTEMPTS`] the job is failed.
//! The download reads the chunks in order: one object read (one subrequest) per chunk,
//! at most [`MAX_DOWNLOAD_PARTS`] of them (10,000 answers a chunk: 9.9 M answers).
//!
//! `csv_streamable` is the bound of the one-request `export.csv`: it refuses a survey
//! with more answers than one invocation can stream, instead of failing halfway.
//! Depends on `store` and the shared domain only.

use super::{Done, ServiceError, new_id};
use crate::store::{
    ChunkWritten, ExportJob, ExportRow, ExportStore, ExportTask, JobQueue, ObjectStore, Storage,
    StoreError,
};
use nps_shared::Category;
use nps_shared::export::{Chunking, CreateExport, ExportStatus, ExportView, PAGE_ROWS, chunk_key};
use nps_shared::time::rfc3339;

/// Tries of one chunk before the job is failed.
pub const MAX_ATTEMPTS: u32 = 5;
/// Seconds before a failed chunk is tried again.
pub const RETRY_SECONDS: u32 = 30;
/// Chunks one download streams at most: one R2 read each, and an invocation may make
/// 1,000 subrequests on the paid plan (on the free plan's 50, a download of more than
/// 45 chunks — 450,000 answers — fails; see `docs/scale.md`).
pub const MAX_DOWNLOAD_PARTS: u32 = 990;
/// What a chunk object is.
pub const CSV_TYPE: &str = "text/csv; charset=utf-8";

fn category_of(category: Option<&str>) -> Result<Option<Category>, ServiceError> {
    category
        .map(|c| {
            Category::parse(c).ok_or_else(|| {
                ServiceError::invalid("category", "must be detractor, passive or promoter")
            })
        })
        .transpose()
}

/// Starts an export of the survey's answers as they are now; its chunk 0 is queued.
pub async fn start(
    store: &impl Storage,
    jobs: &impl JobQueue,
    survey_id: &str,
    request: &CreateExport,
    now_ms: i64,
) -> Result<ExportView, ServiceError> {
    let category = category_of(request.category.as_deref())?;
    let format = request.format.as_deref().unwrap_or("csv");
    if format != "csv" {
        return Err(ServiceError::invalid("format", "must be csv"));
    }
    if store.get_survey(survey_id).await?.is_none() {
        return Err(ServiceError::NotFound(format!("survey {survey_id}")));
    }
    let (total, newest_id) = store.export_scope(survey_id, category).await?;
    let now = rfc3339(now_ms);
    let job = ExportJob {
        view: ExportView {
            id: new_id("ex_", now_ms)?,
            survey_id: survey_id.to_owned(),
            status: ExportStatus::Queued,
            format: format.to_owned(),
            category: category.map(|c| c.as_str().to_owned()),
            rows_written: 0,
            rows_total: total,
            parts: 0,
            bytes: 0,
            download_url: None,
            created_at: now.clone(),
            finished_at: None,
            error: None,
        },
        newest_id,
        cursor: None,
    };
    store.insert_export(&job).await?;
    let first = ExportTask {
        export_id: job.view.id.clone(),
        chunk: 0,
        cursor: None,
        attempt: 0,
        resent: false,
    };
    if let Err(e) = jobs.enqueue_job(&first, 0).await {
        // No message, no chunk: say so on the job rather than leave it queued forever.
        store
            .fail_export(&job.view.id, "the export could not be queued", &now)
            .await?;
        return Err(e.into());
    }
    Ok(job.view)
}

/// The job, as it is now.
pub async fn get(store: &impl ExportStore, id: &str) -> Result<ExportView, ServiceError> {
    match store.get_export(id).await? {
        Some(job) => Ok(job.view),
        None => Err(ServiceError::NotFound(format!("export {id}"))),
    }
}

/// The objects of a finished export, in order; 409 while it is being written.
pub async fn download(
    store: &impl ExportStore,
    id: &str,
) -> Result<(ExportView, Vec<String>), ServiceError> {
    let view = get(store, id).await?;
    match view.status {
        ExportStatus::Done if view.parts <= MAX_DOWNLOAD_PARTS => {
            let keys = (0..view.parts).map(|n| chunk_key(id, n)).collect();
            Ok((view, keys))
        }
        ExportStatus::Done => Err(ServiceError::Conflict(format!(
            "export {id} has {} chunks; one download streams at most {MAX_DOWNLOAD_PARTS}",
            view.parts
        ))),
        ExportStatus::Failed => Err(ServiceError::Conflict(format!(
            "export {id} failed; start a new one"
        ))),
        _ => Err(ServiceError::Conflict(format!(
            "export {id} is not done yet ({} of {} answers written)",
            view.rows_written, view.rows_total
        ))),
    }
}

/// What a chunk message did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Wrote and recorded chunk `chunk`; `last` ends the job, otherwise the next is queued.
    Wrote { chunk: u32, rows: u64, last: bool },
    /// This chunk was recorded before (a redelivered message): nothing counted again.
    AlreadyWritten,
    /// The job is gone or finished, or the message is not the job's next chunk.
    Skipped(&'static str),
}

/// Writes the chunk a message names, within `chunking`'s queries (its pages, plus
/// reading and recording the job).
pub async fn run_chunk(
    store: &impl Storage,
    objects: &impl ObjectStore,
    jobs: &impl JobQueue,
    task: &ExportTask,
    chunking: Chunking,
    now_ms: i64,
) -> Result<Step, StoreError> {
    let Some(job) = store.get_export(&task.export_id).await? else {
        return Ok(Step::Skipped("no such export"));
    };
    if job.view.status.is_finished() {
        return Ok(Step::Skipped("the export is finished"));
    }
    if task.chunk < job.view.parts {
        // Recorded before. If this is the chunk just before the job's next one, its
        // next message may have been lost with the failure that brought this one back:
        // queue it again, once (a copy that finds its chunk written sends no other).
        if task.chunk + 1 == job.view.parts && !task.resent {
            jobs.enqueue_job(&next_task(&job), 0).await?;
        }
        return Ok(Step::AlreadyWritten);
    }
    if task.chunk > job.view.parts {
        return Ok(Step::Skipped("a chunk from ahead of the job"));
    }
    let mut csv = String::new();
    if task.chunk == 0 {
        csv.push_str(&nps_shared::csv::header());
    }
    let category = job.view.category.as_deref().and_then(Category::parse);
    let mut cursor = job.cursor.clone();
    let mut rows = 0u64;
    let mut last = job.newest_id.is_none();
    if let Some(newest_id) = &job.newest_id {
        for _ in 0..chunking.pages {
            let page = store
                .export_page(
                    &job.view.survey_id,
                    category,
                    Some(newest_id),
                    cursor.as_deref(),
                    chunking.page_rows,
                )
                .await?;
            rows += page.len() as u64;
            csv.extend(page.iter().map(ExportRow::csv_record));
            if let Some(r) = page.last() {
                cursor = Some(r.response.id.clone());
            }
            if page.len() < chunking.page_rows as usize {
                last = true;
                break;
            }
        }
    }
    let bytes = csv.len() as u64;
    objects
        .put_object(
            &chunk_key(&job.view.id, task.chunk),
            csv.into_bytes(),
            CSV_TYPE,
        )
        .await?;
    let written = ChunkWritten {
        chunk: task.chunk,
        cursor: cursor.clone(),
        rows,
        bytes,
        last,
        at: rfc3339(now_ms),
    };
    if !store.record_chunk(&job.view.id, &written).await? {
        return Ok(Step::AlreadyWritten);
    }
    if !last {
        let next = ExportTask {
            export_id: job.view.id.clone(),
            chunk: task.chunk + 1,
            cursor,
            attempt: 0,
            resent: false,
        };
        jobs.enqueue_job(&next, 0).await?;
    }
    Ok(Step::Wrote {
        chunk: task.chunk,
        rows,
        last,
    })
}

/// The message of the job's next chunk, from what the job recorded.
fn next_task(job: &ExportJob) -> ExportTask {
    ExportTask {
        export_id: job.view.id.clone(),
        chunk: job.view.parts,
        cursor: job.cursor.clone(),
        attempt: 0,
        resent: true,
    }
}

/// Runs a chunk message to an end: a chunk that fails is queued again with its try
/// counted, and the job is failed after [`MAX_ATTEMPTS`] tries. `Err` only when even
/// that could not be done: the queue then brings the message back.
pub async fn handle(
    store: &impl Storage,
    objects: &impl ObjectStore,
    jobs: &impl JobQueue,
    task: &ExportTask,
    chunking: Chunking,
    now_ms: i64,
) -> Result<Done<Step>, StoreError> {
    let failure = match run_chunk(store, objects, jobs, task, chunking, now_ms).await {
        Ok(step) => return Ok(Done::new(step)),
        Err(e) => e,
    };
    let tries = task.attempt + 1;
    if tries >= MAX_ATTEMPTS {
        let error = format!(
            "chunk {} could not be written after {tries} tries",
            task.chunk
        );
        store
            .fail_export(&task.export_id, &error, &rfc3339(now_ms))
            .await?;
        return Ok(Done {
            value: Step::Skipped("failed for good"),
            failed_follow_ups: vec![failure],
        });
    }
    let again = ExportTask {
        attempt: tries,
        ..task.clone()
    };
    jobs.enqueue_job(&again, RETRY_SECONDS).await?;
    Ok(Done {
        value: Step::Skipped("to be tried again"),
        failed_follow_ups: vec![failure],
    })
}

/// Checks that `export.csv` can stream the survey's answers (of `category`) within an
/// invocation of `budget` queries; otherwise 422 pointing at the export jobs. Runs one
/// query (it checks the survey too).
pub async fn csv_streamable(
    store: &impl Storage,
    survey_id: &str,
    category: Option<&str>,
    budget: u32,
) -> Result<(), ServiceError> {
    let category = category_of(category)?;
    if store.get_survey(survey_id).await?.is_none() {
        return Err(ServiceError::NotFound(format!("survey {survey_id}")));
    }
    let limit = csv_stream_limit(budget);
    if store.more_answers_than(survey_id, category, limit).await? {
        return Err(ServiceError::invalid(
            "survey",
            &format!(
                "has more than {limit} answers, more than one request can stream within D1's \
                 {budget} queries per invocation: use POST /v1/surveys/{survey_id}/exports"
            ),
        ));
    }
    Ok(())
}

/// Queries `export.csv` spends before its pages: the survey, this check.
const CSV_OVERHEAD_QUERIES: u32 = 2;

/// The most answers `export.csv` streams in `budget` queries: one page of
/// [`PAGE_ROWS`] a query, and the last (short or empty) page that ends it.
pub fn csv_stream_limit(budget: u32) -> u32 {
    budget
        .saturating_sub(CSV_OVERHEAD_QUERIES + 1)
        .saturating_mul(PAGE_ROWS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::store::testing::TestStore;
    use crate::store::{Companions, ResponseStore};
    use pollster::block_on;

    const NOW: i64 = 1_793_000_000_000;
    const T0: &str = "2026-11-01T10:00:00.000Z";

    /// `n` answers to `s_demo` straight into storage, ids in order, every seventh a
    /// detractor whose comment starts like a formula.
    fn seeded(n: usize) -> TestStore {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        for i in 0..n {
            let score = if i % 7 == 0 { 2 } else { 9 };
            let mut a = crate::store::sql::testing::answer(&format!("r_{i:06}"), score, T0);
            if score == 2 {
                a.view.comment = Some(format!("=HYPERLINK(\"x\",{i})"));
            }
            block_on(m.insert_group(&[(a.clone(), Companions::default())])).expect("seeded");
            m.reset_queries();
        }
        m.reset_queries();
        m
    }

    /// Runs the job's messages in order, as the queue would, each as one invocation
    /// under `budget` queries; the most queries one of them ran.
    fn drain(m: &TestStore, chunking: Chunking, budget: u32) -> u32 {
        let mut most = 0;
        loop {
            let mut queued = m.queue().jobs.borrow_mut();
            if queued.is_empty() {
                return most;
            }
            let (task, _) = queued.remove(0);
            drop(queued);
            m.set_budget(budget);
            block_on(handle(m, m, m, &task, chunking, NOW)).expect("a chunk");
            most = most.max(m.queries());
        }
    }

    fn download_text(m: &TestStore, id: &str) -> String {
        let (_, keys) = block_on(download(m, id)).expect("done");
        keys.iter()
            .map(|k| {
                let body = block_on(m.get_object(k))
                    .unwrap()
                    .expect("the chunk is there");
                String::from_utf8(body).unwrap()
            })
            .collect()
    }

    fn ids_of(csv: &str) -> Vec<String> {
        csv.split("\r\n")
            .skip(1)
            .filter(|line| line.starts_with("r_"))
            .map(|line| line.split(',').next().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn five_thousand_answers_come_out_once_each_newest_first_in_chunks_within_the_budget() {
        let m = seeded(5_000);
        let view = block_on(start(&m, &m, "s_demo", &CreateExport::default(), NOW)).unwrap();
        assert_eq!(
            (view.status, view.rows_total),
            (ExportStatus::Queued, 5_000)
        );
        // A budget of 6 queries an invocation: 3 pages of 500, 1,500 answers a chunk.
        let chunking = Chunking::new(6, None).unwrap();
        assert_eq!((chunking.page_rows, chunking.pages), (500, 3));
        let most = drain(&m, chunking, 6);
        assert!(most <= 6, "a chunk ran {most} queries");
        let job = block_on(get(&m, &view.id)).unwrap();
        assert_eq!(job.status, ExportStatus::Done);
        assert_eq!(job.rows_written, 5_000);
        // 3 full chunks, and a 4th of 500 that finds the end.
        assert_eq!(job.parts, 4);
        let csv = download_text(&m, &view.id);
        assert_eq!(job.bytes, csv.len() as u64);
        assert!(csv.starts_with(&nps_shared::csv::header()));
        assert_eq!(csv.matches("id,survey_id,").count(), 1, "one header");
        let expected: Vec<String> = (0..5_000).rev().map(|i| format!("r_{i:06}")).collect();
        assert_eq!(ids_of(&csv), expected);
        assert!(
            csv.contains("\"'=HYPERLINK(\"\"x\"\",4998)\""),
            "the formula guard of export.csv"
        );
    }

    #[test]
    fn starting_following_and_downloading_a_job_take_a_few_queries_at_any_size() {
        let m = seeded(3_000);
        let view = block_on(start(&m, &m, "s_demo", &CreateExport::default(), NOW)).unwrap();
        assert!(m.queries() <= 4, "start ran {}", m.queries());
        drain(&m, Chunking::new(1_000, Some(100)).unwrap(), 1_000);
        m.reset_queries();
        block_on(get(&m, &view.id)).unwrap();
        assert_eq!(m.queries(), 1);
        m.reset_queries();
        let (done, keys) = block_on(download(&m, &view.id)).unwrap();
        assert_eq!(m.queries(), 1);
        assert_eq!(keys.len() as u32, done.parts);
        assert_eq!(
            done.parts, 31,
            "30 chunks of 100 and the one that finds the end"
        );
    }

    #[test]
    fn the_free_plan_s_budget_holds_every_chunk_of_the_default_size() {
        let m = seeded(1_200);
        let view = block_on(start(&m, &m, "s_demo", &CreateExport::default(), NOW)).unwrap();
        let chunking = Chunking::new(50, None).unwrap();
        let most = drain(&m, chunking, 50);
        assert!(most <= 50);
        let job = block_on(get(&m, &view.id)).unwrap();
        assert_eq!(
            (job.status, job.rows_written, job.parts),
            (ExportStatus::Done, 1_200, 1)
        );
    }

    #[test]
    fn a_redelivered_chunk_writes_the_same_object_and_counts_nothing_twice() {
        let m = seeded(30);
        let view = block_on(start(&m, &m, "s_demo", &CreateExport::default(), NOW)).unwrap();
        let chunking = Chunking::new(1_000, Some(10)).unwrap();
        let (first, _) = m.queue().jobs.borrow_mut().remove(0);
        let step = block_on(run_chunk(&m, &m, &m, &first, chunking, NOW)).unwrap();
        assert_eq!(
            step,
            Step::Wrote {
                chunk: 0,
                rows: 10,
                last: false
            }
        );
        let chunk0 = block_on(m.get_object(&chunk_key(&view.id, 0))).unwrap();
        // The same message again: its next message is queued again (it may have been
        // lost), nothing is counted twice, the object is the same.
        let again = block_on(run_chunk(&m, &m, &m, &first, chunking, NOW)).unwrap();
        assert_eq!(again, Step::AlreadyWritten);
        assert_eq!(
            block_on(m.get_object(&chunk_key(&view.id, 0))).unwrap(),
            chunk0
        );
        assert_eq!(m.queue().jobs.borrow().len(), 2, "chunk 1, twice");
        assert!(m.queue().jobs.borrow()[1].0.resent);
        drain(&m, chunking, 1_000);
        let job = block_on(get(&m, &view.id)).unwrap();
        assert_eq!((job.status, job.rows_written), (ExportStatus::Done, 30));
        let ids = ids_of(&download_text(&m, &view.id));
        assert_eq!(ids.len(), 30);
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(unique, ids);
    }

    #[test]
    fn answers_given_after_the_start_are_not_in_the_export() {
        let m = seeded(25);
        let view = block_on(start(&m, &m, "s_demo", &CreateExport::default(), NOW)).unwrap();
        let later = crate::store::sql::testing::answer("r_999999", 9, T0);
        block_on(m.insert_group(&[(later.clone(), Companions::default())])).unwrap();
        drain(&m, Chunking::new(1_000, Some(10)).unwrap(), 1_000);
        let csv = download_text(&m, &view.id);
        assert_eq!(ids_of(&csv).len(), 25);
        assert!(!csv.contains("r_999999"));
    }

    #[test]
    fn the_category_filter_is_kept_and_an_empty_export_is_its_header() {
        let m = seeded(70);
        let detractors = CreateExport {
            category: Some("detractor".into()),
            format: None,
        };
        let view = block_on(start(&m, &m, "s_demo", &detractors, NOW)).unwrap();
        assert_eq!(view.rows_total, 10);
        drain(&m, Chunking::new(1_000, Some(4)).unwrap(), 1_000);
        let csv = download_text(&m, &view.id);
        assert_eq!(ids_of(&csv).len(), 10);
        assert!(csv.lines().skip(1).all(|l| l.contains(",detractor,")));

        let empty = seeded(0);
        let view = block_on(start(
            &empty,
            &empty,
            "s_demo",
            &CreateExport::default(),
            NOW,
        ))
        .unwrap();
        drain(&empty, Chunking::new(1_000, None).unwrap(), 1_000);
        assert_eq!(download_text(&empty, &view.id), nps_shared::csv::header());
    }

    #[test]
    fn bad_filters_an_unknown_survey_and_an_unfinished_download_are_refused() {
        let m = seeded(3);
        let bad = CreateExport {
            category: Some("fans".into()),
            format: None,
        };
        assert!(matches!(
            block_on(start(&m, &m, "s_demo", &bad, NOW)),
            Err(ServiceError::Invalid(_))
        ));
        let xml = CreateExport {
            category: None,
            format: Some("xml".into()),
        };
        assert!(matches!(
            block_on(start(&m, &m, "s_demo", &xml, NOW)),
            Err(ServiceError::Invalid(_))
        ));
        assert!(matches!(
            block_on(start(&m, &m, "s_nope", &CreateExport::default(), NOW)),
            Err(ServiceError::NotFound(_))
        ));
        let view = block_on(start(&m, &m, "s_demo", &CreateExport::default(), NOW)).unwrap();
        assert!(matches!(
            block_on(download(&m, &view.id)),
            Err(ServiceError::Conflict(_))
        ));
        assert!(matches!(
            block_on(get(&m, "ex_nope")),
            Err(ServiceError::NotFound(_))
        ));
    }

    #[test]
    fn a_job_whose_first_message_cannot_be_queued_is_failed_not_left_queued() {
        let m = seeded(3);
        m.queue().down.set(true);
        assert!(block_on(start(&m, &m, "s_demo", &CreateExport::default(), NOW)).is_err());
        m.queue().down.set(false);
        assert_eq!(m.export_statuses(), ["failed"]);
    }

    #[test]
    fn a_chunk_that_keeps_failing_is_tried_again_then_fails_the_job() {
        let m = seeded(5);
        let view = block_on(start(&m, &m, "s_demo", &CreateExport::default(), NOW)).unwrap();
        m.queue().objects_down.set(true);
        let chunking = Chunking::new(1_000, None).unwrap();
        for tries in 1..MAX_ATTEMPTS {
            let (task, _) = m.queue().jobs.borrow_mut().remove(0);
            block_on(handle(&m, &m, &m, &task, chunking, NOW)).unwrap();
            let queued = m.queue().jobs.borrow();
            assert_eq!(queued[0].0.attempt, tries);
            assert_eq!(queued[0].1, RETRY_SECONDS);
        }
        let (task, _) = m.queue().jobs.borrow_mut().remove(0);
        block_on(handle(&m, &m, &m, &task, chunking, NOW)).unwrap();
        assert!(m.queue().jobs.borrow().is_empty());
        let job = block_on(get(&m, &view.id)).unwrap();
        assert_eq!(job.status, ExportStatus::Failed);
        assert!(job.error.unwrap().contains("after 5 tries"));
    }

    #[test]
    fn export_csv_refuses_a_survey_larger_than_one_invocation_can_stream() {
        assert_eq!(csv_stream_limit(1_000), 498_500);
        assert_eq!(csv_stream_limit(50), 23_500);
        let m = seeded(1_501);
        // A budget of 6: 3 pages of 500 after the checks.
        assert_eq!(csv_stream_limit(6), 1_500);
        m.set_budget(6);
        let refused = block_on(csv_streamable(&m, "s_demo", None, 6));
        match refused {
            Err(ServiceError::Invalid(errors)) => {
                assert!(
                    errors[0]
                        .message
                        .contains("POST /v1/surveys/s_demo/exports")
                )
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(m.queries() <= 2);
        // 215 detractors fit.
        block_on(csv_streamable(&m, "s_demo", Some("detractor"), 6)).unwrap();
    }
}
