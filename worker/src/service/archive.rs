//! Retention and the archive: answers past a survey's `retention_days` are written to
//! the archive bucket (R2) and then deleted, part by part, by the cron; the parts are
//! listed and read back by the API (and by anything else that needs the old answers:
//! [`read_part`]).
//!
//! One part is at most `retention::PART_ANSWERS` answers of one survey and one UTC
//! month, the oldest first. Its order of operations makes a crash at any step safe:
//! 1. read the part's answers (still in D1);
//! 2. write them as NDJSON.gz under the part's key, and check the object (`head`);
//! 3. record the part and delete exactly its answers, in one D1 batch.
//!
//! A crash before 3 leaves the answers in D1 and no record: the next run reads the
//! same answers, gets the same part number and overwrites the same key with the same
//! lines. Step 3 is all or nothing, and records nothing if the answers changed since
//! step 1. Rollups are not touched, so reports keep counting what was archived
//! (`service::reports`); the cases those answers opened stay, keeping their comment.
//!
//! A cron run is bounded whatever the data: it looks at [`SURVEYS_PER_RUN`] surveys at
//! most (taking turns from minute to minute) and writes [`PARTS_PER_RUN`] parts at
//! most — at most `1 + SURVEYS_PER_RUN + 5 × PARTS_PER_RUN` = 41 D1 queries (within
//! even the free plan's 50), and one part's answers in memory at a time (about 1 MB
//! of JSON). That is 6,000 answers a minute, 8.6 million a day: a month of a million
//! answers is a thousand parts, archived over three hours of runs.

use super::ServiceError;
use crate::store::{ArchiveBucket, ArchivePart, Storage, StoreError};
use nps_shared::api::{ArchiveList, ArchivePartView, SurveyView};
use nps_shared::retention::{self, PART_ANSWERS};
use nps_shared::time::{parse_rfc3339, rfc3339};

/// Parts written per cron run at most (across surveys).
pub const PARTS_PER_RUN: u32 = 6;
/// Surveys looked at per cron run at most.
pub const SURVEYS_PER_RUN: usize = 10;

/// What one cron run archived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Archived {
    pub parts: u32,
    pub answers: u32,
}

/// What became of one part.
enum Step {
    /// Nothing past retention is left.
    Done,
    /// Written, recorded and deleted.
    Archived(u32),
    /// The answers changed between the read and the delete (an erase): nothing
    /// recorded or deleted; the next run tries again.
    Changed,
}

/// One cron run: archives and deletes the answers past retention of the surveys that
/// have one, at most `max_parts` parts in all.
pub async fn archive_due(
    store: &impl Storage,
    bucket: &impl ArchiveBucket,
    now_ms: i64,
    max_parts: u32,
) -> Result<Archived, ServiceError> {
    let surveys: Vec<SurveyView> = store
        .list_surveys()
        .await?
        .into_iter()
        .filter(|s| s.definition.retention_days.is_some())
        .collect();
    let mut done = Archived::default();
    if surveys.is_empty() {
        return Ok(done);
    }
    // Taking turns: with more surveys than a run looks at, each minute starts further on.
    let start = (now_ms.div_euclid(60_000) as usize) % surveys.len();
    let turn = surveys
        .iter()
        .cycle()
        .skip(start)
        .take(surveys.len().min(SURVEYS_PER_RUN));
    for survey in turn {
        let Some(days) = survey.definition.retention_days else {
            continue;
        };
        let before = rfc3339(retention::cutoff(now_ms, days));
        while done.parts < max_parts {
            match archive_part(store, bucket, &survey.id, &before, now_ms).await? {
                Step::Archived(answers) => {
                    done.parts += 1;
                    done.answers += answers;
                }
                Step::Done | Step::Changed => break,
            }
        }
        if done.parts >= max_parts {
            break;
        }
    }
    Ok(done)
}

/// Archives the oldest part of `survey_id`'s answers given before `before`.
async fn archive_part(
    store: &impl Storage,
    bucket: &impl ArchiveBucket,
    survey_id: &str,
    before: &str,
    now_ms: i64,
) -> Result<Step, ServiceError> {
    let mut answers = store
        .oldest_answers(survey_id, before, PART_ANSWERS)
        .await?;
    let Some(first) = answers.first() else {
        return Ok(Step::Done);
    };
    let first_at = parse_rfc3339(&first.view.created_at)
        .ok_or_else(|| StoreError(format!("answer {}: bad created_at", first.view.id)))?;
    let month = retention::month_of(first_at);
    // One month per part: the rest waits for the next part.
    let next_month = rfc3339(retention::next_month_start(first_at));
    answers.retain(|a| a.view.created_at < next_month);
    // The number after the answers: a run that read them after another run deleted
    // them would otherwise reuse that run's key for other answers.
    let number = store.next_part(survey_id, &month).await?;
    let key = retention::part_key(survey_id, &month, number);
    let mut ndjson = String::new();
    for answer in &answers {
        ndjson.push_str(&serde_json::to_string(&answer.view).map_err(StoreError::from)?);
        ndjson.push('\n');
    }
    let written = bucket.put_gzip(&key, &ndjson).await?;
    match bucket.head(&key).await? {
        Some(found) if found == written => {}
        found => {
            return Err(StoreError(format!(
                "archive {key}: wrote {written:?}, the bucket holds {found:?}"
            ))
            .into());
        }
    }
    let (first, last) = match (answers.first(), answers.last()) {
        (Some(first), Some(last)) => (&first.view, &last.view),
        _ => return Ok(Step::Done),
    };
    let part = ArchivePart {
        survey_id: survey_id.to_owned(),
        month,
        part: number,
        key,
        first_created_at: first.created_at.clone(),
        first_id: first.id.clone(),
        last_created_at: last.created_at.clone(),
        last_id: last.id.clone(),
        count: answers.len() as u32,
        bytes: written.bytes,
        etag: written.etag,
        written_at: rfc3339(now_ms),
    };
    Ok(if store.record_part_and_delete(&part).await? {
        Step::Archived(part.count)
    } else {
        Step::Changed
    })
}

/// `GET /v1/surveys/{id}/archive`.
pub async fn list(store: &impl Storage, survey_id: &str) -> Result<ArchiveList, ServiceError> {
    if store.get_survey(survey_id).await?.is_none() {
        return Err(ServiceError::NotFound(format!("survey {survey_id}")));
    }
    let items = store
        .archive_parts(survey_id)
        .await?
        .into_iter()
        .map(|p| ArchivePartView {
            href: format!("/v1/surveys/{survey_id}/archive/{}/{}", p.month, p.part),
            month: p.month,
            part: p.part,
            key: p.key,
            count: p.count,
            bytes: p.bytes,
            first_created_at: p.first_created_at,
            last_created_at: p.last_created_at,
            written_at: p.written_at,
        })
        .collect();
    Ok(ArchiveList {
        archived_until: store.archived_until(survey_id).await?,
        items,
    })
}

/// One archived part as stored: its record and its gzip bytes (NDJSON, one
/// `ResponseView` a line). Not found unless the part is recorded and its object there.
pub async fn read_part(
    store: &impl Storage,
    bucket: &impl ArchiveBucket,
    survey_id: &str,
    month: &str,
    part: u32,
) -> Result<(ArchivePart, Vec<u8>), ServiceError> {
    let missing = || ServiceError::NotFound(format!("archive part {survey_id}/{month}/{part}"));
    if !retention::is_month(month) {
        return Err(ServiceError::invalid(
            "month",
            "must be a month like 2026-11",
        ));
    }
    let record = store
        .archive_part(survey_id, month, part)
        .await?
        .ok_or_else(missing)?;
    let bytes = bucket.get(&record.key).await?.ok_or_else(missing)?;
    Ok((record, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::store::testing::{TestBucket, TestStore};
    use crate::store::{ArchiveStore, CaseStore, ResponseStore, SurveyStore};
    use nps_shared::api::ResponseView;
    use pollster::block_on;
    use serde_json::json;

    const DAY: i64 = 86_400_000;
    /// 2026-12-03T10:00:00Z.
    const NOW: i64 = 1_796_292_000_000;

    fn with_retention(m: &TestStore, days: Option<u32>) {
        let mut survey = block_on(m.get_survey("s_demo")).unwrap().unwrap();
        survey.definition.retention_days = days;
        block_on(m.update_survey(&survey)).unwrap();
    }

    /// `n` answers to s_demo, one an hour from `start`; every fifth a detractor with a
    /// comment (which opens a case).
    fn answers(m: &TestStore, start: i64, n: i64) {
        for i in 0..n {
            let score = if i % 5 == 0 { 2 } else { 9 };
            let body = json!({"survey_id": "s_demo", "score": score, "comment": format!("answer {i}"),
                              "properties": {"store": if i % 2 == 0 { "berlin" } else { "hamburg" }}});
            crate::service::fixtures::answer(m, &body, start + i * 3_600_000);
            // Set-up, not the invocation under test.
            m.reset_queries();
        }
    }

    /// `n` answers to s_demo a minute apart from `start`, written straight to storage.
    fn many(m: &TestStore, start: i64, n: u32) {
        for i in 0..n {
            let at = rfc3339(start + i64::from(i) * 60_000);
            let answer =
                crate::store::sql::testing::answer(&format!("r_{i:06}"), (i % 11) as u8, &at);
            block_on(m.insert_group(&[(answer.clone(), Default::default())])).unwrap();
            m.reset_queries();
        }
    }

    fn lines(gzip: &[u8]) -> Vec<ResponseView> {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(gzip)
            .read_to_string(&mut text)
            .expect("gzip");
        text.lines()
            .map(|line| serde_json::from_str(line).expect("a ResponseView a line"))
            .collect()
    }

    #[test]
    fn answers_past_retention_go_to_the_archive_and_only_they_leave_the_database() {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        // 60 hours of answers ending 40 days ago, and 10 from yesterday.
        answers(&m, NOW - 42 * DAY, 60);
        answers(&m, NOW - DAY, 10);
        let before: Vec<ResponseView> = m.responses().into_iter().map(|r| r.view).collect();
        let bucket = TestBucket::default();

        // No retention: nothing happens.
        assert_eq!(
            block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN)).unwrap(),
            Archived::default()
        );
        with_retention(&m, Some(30));
        let done = block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN)).unwrap();
        assert_eq!(
            done,
            Archived {
                parts: 1,
                answers: 60
            }
        );
        let kept: Vec<ResponseView> = m.responses().into_iter().map(|r| r.view).collect();
        assert_eq!(kept, before[60..]);

        let parts = block_on(list(&m, "s_demo")).unwrap();
        assert_eq!(parts.items.len(), 1);
        let month = retention::month_of(NOW - 42 * DAY);
        assert_eq!(parts.items[0].month, month);
        assert_eq!(parts.items[0].count, 60);
        assert_eq!(
            parts.archived_until.as_deref(),
            Some(before[59].created_at.as_str())
        );
        let (record, gzip) = block_on(read_part(&m, &bucket, "s_demo", &month, 1)).unwrap();
        assert_eq!(record.bytes, gzip.len() as u64);
        assert_eq!(
            lines(&gzip),
            before[..60],
            "the archive holds exactly the deleted answers"
        );

        // The detractors' cases stay, with their answer's comment.
        let cases = m.cases();
        assert_eq!(cases.len(), 14);
        let first = block_on(m.get_case(&cases[0].view.id)).unwrap().unwrap();
        assert_eq!(first.view.comment.as_deref(), Some("answer 0"));

        // A second run finds nothing more to do.
        assert_eq!(
            block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN)).unwrap(),
            Archived::default()
        );
    }

    #[test]
    fn a_part_holds_one_month_and_a_bounded_number_of_answers() {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        // 2026-08-31T23:56Z on: 4 answers in August, the rest in September.
        let start = parse_rfc3339("2026-08-31T23:56:00.000Z").unwrap();
        many(&m, start, 4 + PART_ANSWERS + 5);
        with_retention(&m, Some(30));
        let bucket = TestBucket::default();
        let done = block_on(archive_due(&m, &bucket, NOW, 2)).unwrap();
        assert_eq!(
            done,
            Archived {
                parts: 2,
                answers: 4 + PART_ANSWERS
            }
        );
        let parts = block_on(list(&m, "s_demo")).unwrap();
        let listed: Vec<(&str, u32, u32)> = parts
            .items
            .iter()
            .map(|p| (p.month.as_str(), p.part, p.count))
            .collect();
        assert_eq!(listed, [("2026-08", 1, 4), ("2026-09", 1, PART_ANSWERS)]);
        assert_eq!(
            bucket.keys(),
            [
                "archive/s_demo/2026-08/part-0001.ndjson.gz",
                "archive/s_demo/2026-09/part-0001.ndjson.gz"
            ]
        );
        block_on(archive_due(&m, &bucket, NOW, 2)).unwrap();
        let parts = block_on(list(&m, "s_demo")).unwrap();
        assert_eq!(parts.items.last().map(|p| (p.part, p.count)), Some((2, 5)));
        assert!(m.responses().is_empty());
    }

    #[test]
    fn a_crash_before_the_record_repeats_the_same_part_under_the_same_key() {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        answers(&m, NOW - 42 * DAY, 12);
        with_retention(&m, Some(30));
        let bucket = TestBucket::default();
        // The object is written, then D1 fails the batch that records and deletes
        // (the only statements naming `archived_comment`).
        m.fail_on(Some("archived_comment"));
        assert!(block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN)).is_err());
        assert_eq!(m.responses().len(), 12, "nothing deleted");
        let first_write = bucket.get_now("archive/s_demo/2026-10/part-0001.ndjson.gz");
        assert!(first_write.is_some(), "{:?}", bucket.keys());
        m.fail_on(None);
        let done = block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN)).unwrap();
        assert_eq!(
            done,
            Archived {
                parts: 1,
                answers: 12
            }
        );
        assert_eq!(bucket.keys().len(), 1, "the same key, overwritten");
        assert_eq!(
            lines(
                &bucket
                    .get_now("archive/s_demo/2026-10/part-0001.ndjson.gz")
                    .unwrap()
            ),
            lines(&first_write.unwrap())
        );
    }

    #[test]
    fn a_bucket_that_does_not_hold_what_was_written_stops_the_delete() {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        answers(&m, NOW - 42 * DAY, 3);
        with_retention(&m, Some(30));
        let bucket = TestBucket::default();
        bucket.lose_writes.set(true);
        assert!(block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN)).is_err());
        assert_eq!(m.responses().len(), 3);
        assert!(block_on(m.archive_parts("s_demo")).unwrap().is_empty());
    }

    #[test]
    fn a_run_stays_within_its_query_budget_however_many_answers_are_due() {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        // More than a run may archive, in one month.
        let start = parse_rfc3339("2026-09-01T00:00:00.000Z").unwrap();
        many(&m, start, (PARTS_PER_RUN + 1) * PART_ANSWERS);
        with_retention(&m, Some(30));
        let bucket = TestBucket::default();
        m.reset_queries();
        let done = block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN)).unwrap();
        assert_eq!(done.parts, PARTS_PER_RUN);
        let bound = 1 + SURVEYS_PER_RUN as u32 + 5 * PARTS_PER_RUN;
        assert!(
            m.queries() <= bound,
            "{} queries (bound {bound})",
            m.queries()
        );
        assert!(bound <= 50, "the free plan's 50 per invocation: {bound}");
        m.reset_queries();
        let done = block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN)).unwrap();
        assert_eq!(done.parts, 1, "the rest, on the next run");
        assert!(m.responses().is_empty());
    }

    /// The report of `pairs` on s_demo.
    fn report_of(m: &TestStore, pairs: &[(&str, &str)]) -> nps_shared::report::Report {
        use crate::service::reports;
        let query: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let q = reports::parse_query(&query).unwrap();
        block_on(reports::report(m, "s_demo", &q, reports::Source::Rollups)).unwrap()
    }

    #[test]
    fn the_report_of_an_archived_period_keeps_its_numbers_and_says_what_it_lacks() {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        // Answers every hour at :20 over 60 hours ending 40 days ago, and yesterday.
        answers(&m, NOW - 42 * DAY + 20 * 60_000, 60);
        answers(&m, NOW - DAY, 10);
        let ranges: Vec<Vec<(&str, String)>> = {
            let day = |ms: i64| rfc3339(ms - ms.rem_euclid(DAY));
            let start = NOW - 42 * DAY;
            vec![
                vec![],
                // Whole days.
                vec![("from", day(start)), ("to", day(start + 2 * DAY))],
                // Part-days, on quarter-hours: from the rollups' quarter-hours.
                vec![
                    ("from", day(start)),
                    (
                        "to",
                        rfc3339(start - start.rem_euclid(DAY) + DAY + 13 * 3_600_000),
                    ),
                ],
                vec![
                    ("from", rfc3339(start + 5 * 3_600_000 + 15 * 60_000)),
                    ("to", rfc3339(NOW)),
                ],
            ]
        };
        let shape = |r: &nps_shared::report::Report| {
            (
                r.overall.responses,
                r.overall.nps,
                r.distribution,
                r.trend.clone(),
                r.groups.clone(),
            )
        };
        let mut before = Vec::new();
        for range in &ranges {
            let mut pairs: Vec<(&str, &str)> =
                range.iter().map(|(k, v)| (*k, v.as_str())).collect();
            pairs.extend([
                ("interval", "day"),
                ("group_by", "store"),
                ("min_group_size", "1"),
            ]);
            let r = report_of(&m, &pairs);
            assert!(r.archived.is_none());
            before.push(shape(&r));
        }
        with_retention(&m, Some(30));
        let done = block_on(archive_due(&m, &TestBucket::default(), NOW, PARTS_PER_RUN)).unwrap();
        assert_eq!(done.answers, 60);
        for (range, before) in ranges.iter().zip(&before) {
            let mut pairs: Vec<(&str, &str)> =
                range.iter().map(|(k, v)| (*k, v.as_str())).collect();
            pairs.extend([
                ("interval", "day"),
                ("group_by", "store"),
                ("min_group_size", "1"),
            ]);
            let r = report_of(&m, &pairs);
            let archived = r
                .archived
                .clone()
                .expect("the range reaches the archived period");
            assert!(!archived.rounded, "{range:?}");
            let part_day =
                range.len() == 2 && !range.iter().all(|(_, v)| v.ends_with("T00:00:00.000Z"));
            if part_day {
                // Groups of an archived part-day cannot come from day counters.
                assert_eq!(
                    archived.sections_without_archived,
                    ["groups", "revenue_bands", "themes"]
                );
                let (n, nps, distribution, trend, _) = shape(&r);
                assert_eq!(
                    (n, nps, distribution, trend),
                    (before.0, before.1, before.2, before.3.clone()),
                    "{range:?}"
                );
            } else {
                assert_eq!(
                    archived.sections_without_archived,
                    ["revenue_bands", "themes"]
                );
                assert_eq!(&shape(&r), before, "{range:?}");
            }
        }
        // A bound inside an archived quarter-hour: said, not hidden.
        let cut = rfc3339(NOW - 42 * DAY + 5 * 3_600_000 + 7 * 60_000);
        let r = report_of(&m, &[("from", &cut)]);
        assert!(r.archived.expect("archived").rounded);
        // A scan reads answers only: it says every section lacks the archived ones.
        let q = crate::service::reports::parse_query(&Default::default()).unwrap();
        let scan = block_on(crate::service::reports::report(
            &m,
            "s_demo",
            &q,
            crate::service::reports::Source::Scan,
        ))
        .unwrap();
        assert_eq!(scan.overall.responses, 10, "only the answers still stored");
        assert_eq!(
            scan.archived
                .expect("archived")
                .sections_without_archived
                .len(),
            6
        );
        // A range after the archived period has no note.
        let recent = rfc3339(NOW - 2 * DAY);
        assert!(report_of(&m, &[("from", &recent)]).archived.is_none());
    }

    #[test]
    fn an_unrecorded_or_malformed_part_is_not_found_or_refused() {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        let bucket = TestBucket::default();
        assert!(matches!(
            block_on(read_part(&m, &bucket, "s_demo", "2026-09", 1)),
            Err(ServiceError::NotFound(_))
        ));
        assert!(matches!(
            block_on(read_part(&m, &bucket, "s_demo", "2026-9", 1)),
            Err(ServiceError::Invalid(_))
        ));
        assert!(matches!(
            block_on(list(&m, "s_nope")),
            Err(ServiceError::NotFound(_))
        ));
    }
}
