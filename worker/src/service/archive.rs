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
//! If step 3 finds the answers changed (an erase took some since step 1), the object is
//! marked as garbage (`discard_part`: it may hold the erased lines) and its number is
//! not used again; garbage older than [`GARBAGE_AFTER_MS`] is deleted by the next cron
//! run or erase step ([`sweep_garbage`]) — by then no run that could write that key is
//! still going.
//!
//! A cron run is bounded whatever the data: it looks at [`SURVEYS_PER_RUN`] surveys at
//! most (taking turns from minute to minute) and tries [`PARTS_PER_RUN`] parts at
//! most — at most `3 + SURVEYS_PER_RUN + 7 × PARTS_PER_RUN` = 41 D1 queries (within
//! even the free plan's 50 with the cron's other jobs), and one part's answers in
//! memory at a time (about 1 MB of JSON). That is 4,000 answers a minute, 5.8 million
//! a day: a month of a million answers is a thousand parts, archived over 4.2 hours.
//!
//! GDPR: step 3 also records who the part's answers name (`archive_people`). An
//! erase (a `JOBS` chain the erase request queues once D1 is erased:
//! `scrub::begin_archive`) then takes them out of the parts that name them,
//! [`ERASE_PARTS_PER_STEP`] parts a step ([`erase_step`]): read the part, write the
//! lines of everybody else under a new key (`retention::rewritten_part_key`, the same
//! for a retry of that erase) and check it, then one D1 batch that holds only while
//! the part is still at its old key — the removed answers leave the rollups (property
//! values left at zero go) and take the cases they opened, the part points at the new
//! object, the name goes, the old object is recorded as garbage — then the old object
//! is deleted and forgotten. A crash before the batch leaves the part as it was (the
//! retry writes the same key again); after it, the garbage is deleted an hour on
//! ([`sweep_garbage`]). Two erases rewriting one part at once: one batch applies, the
//! other finds the key moved, deletes its own object and tries again later. Parts
//! archived before names were recorded (migration 0027: `named` = 0) are named by the
//! first erase steps that find them, from their objects, before any step looks for a
//! person.

use super::ServiceError;
use crate::store::{
    ArchiveBucket, ArchivePart, ArchiveStore, PartRewrite, Storage, StoreError, Stored, Who,
};
use nps_shared::api::{ArchiveList, ArchivePartView, ResponseView, SurveyView};
use nps_shared::identity;
use nps_shared::retention::{self, PART_ANSWERS};
use nps_shared::time::{parse_rfc3339, rfc3339};
use nps_shared::validate::normalize_email;

/// Parts tried per cron run at most (across surveys).
pub const PARTS_PER_RUN: u32 = 4;
/// How old garbage is before it is deleted: longer than any run that could still be
/// writing its key lives.
pub const GARBAGE_AFTER_MS: i64 = 3_600_000;
/// Parts one erase step rewrites at most: 4 object operations (read, write, check,
/// delete) and 8 D1 statements each (its batch, the garbage it forgets), plus 4
/// queries and [`GARBAGE_PER_STEP`] operations for the garbage, old parts to name and
/// the parts naming them — within the free plan's 50 of each.
pub const ERASE_PARTS_PER_STEP: u32 = 5;
/// Replaced objects one erase step deletes at most before its own parts.
pub const GARBAGE_PER_STEP: u32 = 10;
/// Parts archived before their names were recorded (migration 0027) that one erase
/// step names at most, before it looks for its own: a read and 1 D1 batch each.
pub const NAME_PARTS_PER_STEP: u32 = 3;
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
    /// recorded or deleted, the object written discarded; the next run tries again
    /// under the next number.
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
    sweep_garbage(store, bucket, now_ms).await?;
    if surveys.is_empty() {
        return Ok(done);
    }
    // Taking turns: with more surveys than a run looks at, each minute starts further on.
    let start = (now_ms.div_euclid(60_000) as usize) % surveys.len();
    // Parts written or discarded: a discarded one costs its queries too.
    let mut tried = 0;
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
        while tried < max_parts {
            match archive_part(store, bucket, &survey.id, &before, now_ms).await? {
                Step::Archived(answers) => {
                    tried += 1;
                    done.parts += 1;
                    done.answers += answers;
                }
                Step::Changed => {
                    tried += 1;
                    break;
                }
                Step::Done => break,
            }
        }
        if tried >= max_parts {
            break;
        }
    }
    Ok(done)
}

/// Writes `ndjson` as the gzip object `key` and checks that the bucket holds what
/// was written (`head`: size and etag) before anything relies on it.
async fn put_checked(
    bucket: &impl ArchiveBucket,
    key: &str,
    ndjson: &str,
) -> Result<Stored, StoreError> {
    let written = bucket.put_gzip(key, ndjson).await?;
    match bucket.head(key).await? {
        Some(found) if found == written => Ok(written),
        found => Err(StoreError(format!(
            "archive {key}: wrote {written:?}, the bucket holds {found:?}"
        ))),
    }
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
    let written = put_checked(bucket, &key, &ndjson).await?;
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
        store.discard_part(&part).await?;
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

/// Who an archived answer is about, given or claimed, as `Who::tag`s: what
/// `RespondentStore::respondent_records` matches on for an answer still stored (and
/// what step 3 records from the same answer's columns).
pub fn tags(view: &ResponseView) -> Vec<String> {
    let ids = [
        view.respondent.id.as_deref(),
        view.properties
            .get(identity::CLAIMED_ID)
            .map(String::as_str),
    ];
    let emails = [
        view.respondent.email.as_deref(),
        view.properties
            .get(identity::CLAIMED_EMAIL)
            .map(String::as_str),
    ];
    let mut tags: Vec<String> = ids
        .into_iter()
        .flatten()
        .map(|id| Who::Id(id.to_owned()).tag())
        .chain(
            emails
                .into_iter()
                .flatten()
                .map(|email| Who::Email(normalize_email(email)).tag()),
        )
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Whether an archived answer is about `who` ([`tags`]).
pub fn names(view: &ResponseView, who: &Who) -> bool {
    tags(view).contains(&who.tag())
}

/// What one erase step did in the archive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErasedFromArchive {
    /// Parts that named them, looked at.
    pub parts: u32,
    /// Of those, written anew without their answers.
    pub rewritten: u32,
    /// Answers taken out.
    pub answers: u32,
    /// Replaced objects of earlier steps deleted.
    pub garbage: u32,
    /// Parts from before migration 0027 whose names this step recorded.
    pub named: u32,
    /// A part moved to another object between its read and the write (another
    /// erase): this step stopped there; try again later.
    pub raced: bool,
    /// More to do: parts from before migration 0027 still to name, or more parts
    /// name them than this step took.
    pub more: bool,
}

/// A recorded part's answers, each with its line as stored; none when its object is
/// gone (deleted from the bucket by hand): there is nothing in it to name or erase,
/// and an erase must not stop there.
async fn part_lines(
    bucket: &impl ArchiveBucket,
    part: &ArchivePart,
) -> Result<Vec<(String, ResponseView)>, StoreError> {
    let Some(text) = bucket.read_ndjson(&part.key).await? else {
        return Ok(Vec::new());
    };
    text.lines()
        .map(|line| Ok((line.to_owned(), serde_json::from_str(line)?)))
        .collect()
}

/// Deletes garbage marked over [`GARBAGE_AFTER_MS`] ago (at most
/// [`GARBAGE_PER_STEP`]) — an object a part was recorded under after all stays —
/// and forgets it; how many objects it deleted.
pub async fn sweep_garbage(
    store: &impl ArchiveStore,
    bucket: &impl ArchiveBucket,
    now_ms: i64,
) -> Result<u32, StoreError> {
    let before = rfc3339(now_ms - GARBAGE_AFTER_MS);
    let garbage = store.archive_garbage(&before, GARBAGE_PER_STEP).await?;
    let mut deleted = 0;
    for g in garbage.iter().filter(|g| !g.recorded) {
        bucket.delete(&g.key).await?;
        deleted += 1;
    }
    if !garbage.is_empty() {
        let keys: Vec<String> = garbage.into_iter().map(|g| g.key).collect();
        store.forget_garbage(&keys).await?;
    }
    Ok(deleted)
}

/// One step of the erase `erasure` (its `er_…` id) in the archive, as the module
/// describes: the garbage first; then, while parts from before migration 0027 are not
/// named yet, up to [`NAME_PARTS_PER_STEP`] of them are (and the step ends, `more`);
/// then up to [`ERASE_PARTS_PER_STEP`] parts that name `who`. Idempotent: a repeated
/// step finds the parts done no longer naming them.
pub async fn erase_step(
    store: &impl ArchiveStore,
    bucket: &impl ArchiveBucket,
    who: &Who,
    erasure: &str,
    now_ms: i64,
) -> Result<ErasedFromArchive, StoreError> {
    let mut done = ErasedFromArchive {
        garbage: sweep_garbage(store, bucket, now_ms).await?,
        ..ErasedFromArchive::default()
    };
    let unnamed = store.unnamed_parts(NAME_PARTS_PER_STEP).await?;
    if !unnamed.is_empty() {
        for part in &unnamed {
            let mut named: Vec<String> = part_lines(bucket, part)
                .await?
                .iter()
                .flat_map(|(_, view)| tags(view))
                .collect();
            named.sort();
            named.dedup();
            // `false`: another erase named it meanwhile (or moved it: then it read
            // the part named already). Named either way.
            store.name_part(part, &named).await?;
            done.named += 1;
        }
        // The next step names more of them, or looks for theirs.
        done.more = true;
        return Ok(done);
    }
    let mut parts = store.parts_naming(who, ERASE_PARTS_PER_STEP + 1).await?;
    done.more = parts.len() > ERASE_PARTS_PER_STEP as usize;
    parts.truncate(ERASE_PARTS_PER_STEP as usize);
    for part in parts {
        done.parts += 1;
        let (mut kept, mut removed) = (String::new(), Vec::new());
        for (line, view) in part_lines(bucket, &part).await? {
            if names(&view, who) {
                removed.push(view);
            } else {
                kept.push_str(&line);
                kept.push('\n');
            }
        }
        let written = if removed.is_empty() {
            None
        } else {
            let key =
                retention::rewritten_part_key(&part.survey_id, &part.month, part.part, erasure);
            let stored = put_checked(bucket, &key, &kept).await?;
            Some((key, stored))
        };
        let rewrite = PartRewrite {
            part,
            who: who.clone(),
            removed,
            written,
            at: rfc3339(now_ms),
        };
        if !store.rewrite_part(&rewrite).await? {
            // Another erase moved the part first. Our object was made from the old one,
            // which still held that erase's person: it goes now (the retry writes it
            // again from the part as it is), unless the part points at it — a copy of
            // this very step that applied first.
            if let Some((key, _)) = &rewrite.written {
                let part = &rewrite.part;
                let now = store
                    .archive_part(&part.survey_id, &part.month, part.part)
                    .await?;
                if now.is_none_or(|p| p.key != *key) {
                    bucket.delete(key).await?;
                }
            }
            done.raced = true;
            break;
        }
        if rewrite.written.is_some() {
            let old = rewrite.part.key.clone();
            bucket.delete(&old).await?;
            store.forget_garbage(&[old]).await?;
            done.rewritten += 1;
            done.answers += u32::try_from(rewrite.removed.len()).unwrap_or(u32::MAX);
        }
    }
    Ok(done)
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
        let bound = 3 + SURVEYS_PER_RUN as u32 + 7 * PARTS_PER_RUN;
        assert!(
            m.queries() <= bound,
            "{} queries (bound {bound})",
            m.queries()
        );
        assert!(
            bound <= 41,
            "the free plan's 50 per invocation, with the cron's 9: {bound}"
        );
        m.reset_queries();
        let done = block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN)).unwrap();
        assert_eq!(done.parts, 1, "the rest, on the next run");
        assert!(m.responses().is_empty());
    }

    /// A store with s_demo, without its per-person throttle.
    fn unthrottled() -> TestStore {
        let m = TestStore::default();
        let mut survey = demo_survey();
        survey.definition.throttle.days = 0;
        m.add_survey(survey);
        m
    }

    /// [`kim_and_others`] from `start` (RFC 3339), with a retention of 30 days, after
    /// one archive run.
    fn archived_kim_and_others(start: &str, n: i64) -> (TestStore, TestBucket) {
        let m = kim_and_others(parse_rfc3339(start).unwrap(), n);
        with_retention(&m, Some(30));
        let bucket = TestBucket::default();
        block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN)).unwrap();
        (m, bucket)
    }

    /// s_demo without its per-person throttle, and `n` answers to it an hour apart
    /// from `start`: of every four, Kim's (id cust-42, verified), one claiming Kim's
    /// address without proof, and two of other people.
    fn kim_and_others(start: i64, n: i64) -> TestStore {
        let m = unthrottled();
        for i in 0..n {
            let at = start + i * 3_600_000;
            let score = (i % 11) as u8;
            let store = if i % 2 == 0 { "berlin" } else { "hamburg" };
            let body = |respondent: serde_json::Value| {
                json!({"survey_id": "s_demo", "score": score, "comment": format!("answer {i}"),
                       "properties": {"store": store}, "respondent": respondent})
            };
            match i % 4 {
                0 => {
                    let mut body = body(json!({"id": "cust-42"}));
                    body["properties"]["city"] = json!("Kimtown");
                    crate::service::fixtures::answer(&m, &body, at)
                }
                1 => crate::service::fixtures::answer_unverified(
                    &m,
                    &body(json!({"email": "Kim@Example.com"})),
                    at,
                ),
                _ => crate::service::fixtures::answer(
                    &m,
                    &body(json!({"id": format!("other-{i}")})),
                    at,
                ),
            };
            m.reset_queries();
        }
        m
    }

    /// Every line of every part the survey's archive lists now.
    fn archived(m: &TestStore, bucket: &TestBucket) -> Vec<ResponseView> {
        block_on(m.archive_parts("s_demo"))
            .unwrap()
            .iter()
            .flat_map(|p| lines(&bucket.get_now(&p.key).expect("a recorded part's object")))
            .collect()
    }

    /// Runs erase steps for `who` until none is left; each step's result and queries.
    fn erase_all(
        m: &TestStore,
        bucket: &TestBucket,
        who: &Who,
        erasure: &str,
    ) -> Vec<(ErasedFromArchive, u32)> {
        let mut steps = Vec::new();
        loop {
            m.reset_queries();
            let done = block_on(erase_step(m, bucket, who, erasure, NOW)).unwrap();
            let more = done.more || done.raced;
            steps.push((done, m.queries()));
            if !more {
                return steps;
            }
        }
    }

    #[test]
    fn an_erase_takes_their_answers_out_of_every_archived_part_and_out_of_the_report() {
        // 10 days of answers from 2026-09-25: two months, two parts.
        let (m, bucket) = archived_kim_and_others("2026-09-25T00:00:00.000Z", 240);
        assert_eq!(block_on(m.archive_parts("s_demo")).unwrap().len(), 2);
        let report_before = report_of(&m, &[]);
        let all = archived(&m, &bucket);
        assert_eq!(all.len(), 240);
        let kim = Who::Id("cust-42".into());
        let theirs = |who: &Who| all.iter().filter(|v| names(v, who)).count();
        assert_eq!(theirs(&kim), 60);
        let address = Who::Email("kim@example.com".into());
        assert_eq!(
            theirs(&address),
            60,
            "claimed without proof, still about Kim"
        );

        #[derive(serde::Deserialize)]
        struct N {
            n: u32,
        }
        let count = |sql: &str| m.select::<N>(sql)[0].n;
        let cases_of = |answers: &[&ResponseView]| {
            let ids: Vec<String> = answers.iter().map(|v| format!("'{}'", v.id)).collect();
            count(&format!(
                "SELECT COUNT(*) AS n FROM cases WHERE response_id IN ({})",
                ids.join(", ")
            ))
        };
        let kimtown = "SELECT COUNT(*) AS n FROM rollup_property WHERE value = 'Kimtown'";
        assert!(count(kimtown) > 0);
        let claimed: Vec<&ResponseView> = all
            .iter()
            .filter(|v| names(v, &address) && !names(v, &kim))
            .collect();
        assert!(cases_of(&claimed) > 0, "detractors among them opened cases");
        let steps = erase_all(&m, &bucket, &kim, "er_1");
        assert_eq!(steps.len(), 1);
        assert_eq!(count(kimtown), 0, "a value only their answers had goes");
        let kims: Vec<&ResponseView> = all.iter().filter(|v| names(v, &kim)).collect();
        assert_eq!(cases_of(&kims), 0);
        assert_eq!(
            steps[0].0,
            ErasedFromArchive {
                parts: 2,
                rewritten: 2,
                answers: 60,
                ..ErasedFromArchive::default()
            }
        );
        let left = archived(&m, &bucket);
        let expected: Vec<ResponseView> = all.iter().filter(|v| !names(v, &kim)).cloned().collect();
        assert_eq!(left, expected, "everybody else's lines, as they were");
        // The parts point at the new objects; the old ones are gone, nothing is garbage.
        let parts = block_on(m.archive_parts("s_demo")).unwrap();
        assert_eq!(parts.iter().map(|p| p.count).sum::<u32>(), 180);
        assert_eq!(
            bucket.keys(),
            parts.iter().map(|p| p.key.clone()).collect::<Vec<_>>()
        );
        assert!(parts.iter().all(|p| p.key.ends_with(".er_1.ndjson.gz")));
        assert!(
            block_on(m.archive_garbage(&rfc3339(NOW + 2 * GARBAGE_AFTER_MS), 10))
                .unwrap()
                .is_empty()
        );
        for p in &parts {
            let (record, gzip) =
                block_on(read_part(&m, &bucket, "s_demo", &p.month, p.part)).unwrap();
            assert_eq!(
                (record.bytes, record.etag.clone()),
                (gzip.len() as u64, p.etag.clone())
            );
        }
        // The report lost exactly their answers.
        let report_after = report_of(&m, &[]);
        let kims = all.iter().filter(|v| names(v, &kim));
        let (mut promoters, mut detractors) = (0, 0);
        for v in kims {
            match v.category {
                nps_shared::Category::Promoter => promoters += 1,
                nps_shared::Category::Detractor => detractors += 1,
                nps_shared::Category::Passive => {}
            }
        }
        assert_eq!(
            report_after.overall.responses,
            report_before.overall.responses - 60
        );
        assert_eq!(
            (
                report_after.overall.promoters,
                report_after.overall.detractors
            ),
            (
                report_before.overall.promoters - promoters,
                report_before.overall.detractors - detractors
            )
        );
        // Done: a second erase by id finds nothing.
        assert_eq!(
            erase_all(&m, &bucket, &kim, "er_2")[0].0,
            ErasedFromArchive::default()
        );
        // By address: the claimed answers go too.
        let steps = erase_all(&m, &bucket, &address, "er_3");
        assert_eq!(steps[0].0.answers, 60);
        assert_eq!(cases_of(&claimed), 0, "their cases name them nowhere else");
        assert_eq!(archived(&m, &bucket).len(), 120);
        assert!(archived(&m, &bucket).iter().all(|v| !names(v, &address)));
        assert_eq!(
            report_of(&m, &[]).overall.responses,
            report_before.overall.responses - 120
        );
    }

    #[test]
    fn an_erase_step_stays_within_the_free_plan_however_many_parts_name_them() {
        // Kim in 12 parts: 12 months of 4 answers, archived.
        let m = unthrottled();
        let start = parse_rfc3339("2025-10-01T00:00:00.000Z").unwrap();
        for month in 0..12 {
            for i in 0..4 {
                let at = start + month * 31 * DAY + i * DAY;
                let respondent = if i == 0 {
                    "cust-42".to_string()
                } else {
                    format!("p-{i}")
                };
                crate::service::fixtures::answer(
                    &m,
                    &json!({"survey_id": "s_demo", "score": 3, "respondent": {"id": respondent}}),
                    at,
                );
            }
        }
        with_retention(&m, Some(30));
        let bucket = TestBucket::default();
        while block_on(archive_due(&m, &bucket, NOW, PARTS_PER_RUN))
            .unwrap()
            .parts
            > 0
        {}
        assert_eq!(block_on(m.archive_parts("s_demo")).unwrap().len(), 12);
        let steps = erase_all(&m, &bucket, &Who::Id("cust-42".into()), "er_1");
        assert_eq!(steps.len(), 3, "5 parts a step");
        for (done, queries) in &steps {
            assert!(
                *queries <= 5 + 8 * ERASE_PARTS_PER_STEP,
                "{done:?}: {queries} queries"
            );
        }
        const { assert!(5 + 8 * ERASE_PARTS_PER_STEP <= 50) };
        assert_eq!(steps.iter().map(|(d, _)| d.answers).sum::<u32>(), 12);
        assert_eq!(archived(&m, &bucket).len(), 36);
    }

    #[test]
    fn parts_archived_before_names_were_recorded_are_named_by_an_erase_and_then_found() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Name {
            who: String,
            month: String,
            part: u32,
        }
        let names_of = |m: &TestStore| {
            m.select::<Name>(
                "SELECT who, month, part FROM archive_people ORDER BY who, month, part",
            )
        };
        let start = "2026-09-25T00:00:00.000Z";
        // As recorded with the parts.
        let recorded = names_of(&archived_kim_and_others(start, 240).0);
        assert!(recorded.len() > 100, "{}", recorded.len());
        // As migration 0027 finds parts archived before it: recorded, not named.
        let (m, bucket) = archived_kim_and_others(start, 240);
        for sql in [
            "DELETE FROM archive_people",
            "UPDATE archive_parts SET named = 0",
        ] {
            m.exec(sql);
        }
        let kim = Who::Email("kim@example.com".into());
        let steps = erase_all(&m, &bucket, &kim, "er_1");
        assert_eq!(steps[0].0.named, 2, "{steps:?}");
        assert_eq!(steps.iter().map(|(d, _)| d.answers).sum::<u32>(), 60);
        assert!(archived(&m, &bucket).iter().all(|v| !names(v, &kim)));
        // Named from the objects as step 3 names from the rows (but Kim's address, erased).
        let expected: Vec<Name> = recorded
            .into_iter()
            .filter(|n| n.who != kim.tag())
            .collect();
        assert_eq!(names_of(&m), expected);
    }

    #[test]
    fn a_crash_before_the_batch_leaves_the_part_whole_and_the_retry_finishes_it() {
        let (m, bucket) = archived_kim_and_others("2026-10-01T00:00:00.000Z", 20);
        let before = archived(&m, &bucket);
        let kim = Who::Id("cust-42".into());
        // The new object is written, then D1 fails the batch (the only statement
        // naming `archive_garbage` is in it).
        m.fail_on(Some("INSERT OR IGNORE INTO archive_garbage"));
        assert!(block_on(erase_step(&m, &bucket, &kim, "er_1", NOW)).is_err());
        assert_eq!(archived(&m, &bucket), before, "the part as it was");
        assert_eq!(
            bucket.keys().len(),
            2,
            "the old object and the unused new one"
        );
        m.fail_on(None);
        let done = block_on(erase_step(&m, &bucket, &kim, "er_1", NOW)).unwrap();
        assert_eq!((done.rewritten, done.answers), (1, 5));
        assert_eq!(bucket.keys().len(), 1, "the same new key, written again");
        assert_eq!(archived(&m, &bucket).len(), 15);
    }

    /// A bucket that runs `hook` once, right after its first write: another erase
    /// moving the part between a step's read and its batch.
    struct MovedMeanwhile<'a> {
        inner: &'a TestBucket,
        hook: std::cell::RefCell<Option<Box<dyn FnOnce() + 'a>>>,
    }

    impl ArchiveBucket for MovedMeanwhile<'_> {
        async fn put_gzip(&self, key: &str, ndjson: &str) -> Result<Stored, StoreError> {
            let stored = self.inner.put_gzip(key, ndjson).await?;
            if let Some(hook) = self.hook.borrow_mut().take() {
                hook();
            }
            Ok(stored)
        }
        async fn head(&self, key: &str) -> Result<Option<Stored>, StoreError> {
            self.inner.head(key).await
        }
        async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            self.inner.get(key).await
        }
        async fn read_ndjson(&self, key: &str) -> Result<Option<String>, StoreError> {
            self.inner.read_ndjson(key).await
        }
        async fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.inner.delete(key).await
        }
    }

    #[test]
    fn two_erases_of_one_part_at_once_both_take_effect_and_leave_no_copy_behind() {
        let (m, bucket) = archived_kim_and_others("2026-10-01T00:00:00.000Z", 20);
        let other = Who::Id("other-2".into());
        let kim = Who::Id("cust-42".into());
        let report_before = report_of(&m, &[]).overall.responses;
        // The other erase reads the part, writes its version — and Kim's erase moves
        // the part meanwhile: the other's batch is refused, its object (which still
        // holds Kim's answers) deleted, nothing counted.
        let moving = MovedMeanwhile {
            inner: &bucket,
            hook: std::cell::RefCell::new(Some(Box::new(|| {
                erase_all(&m, &bucket, &kim, "er_kim");
            }))),
        };
        let first = block_on(erase_step(&m, &moving, &other, "er_other", NOW)).unwrap();
        assert!(first.raced && first.answers == 0, "{first:?}");
        assert!(
            !bucket.keys().iter().any(|k| k.contains("er_other")),
            "{:?}",
            bucket.keys()
        );
        assert_eq!(archived(&m, &bucket).len(), 15, "Kim's rewrite stands");
        let after_kim = report_of(&m, &[]).overall.responses;
        assert!(after_kim < report_before);
        // Its retry reads the part as it is now; the counters lose its answer once.
        let steps = erase_all(&m, &bucket, &other, "er_other");
        assert_eq!(steps[0].0.answers, 1);
        assert_eq!(report_of(&m, &[]).overall.responses, after_kim - 1);
        let left = archived(&m, &bucket);
        assert_eq!(left.len(), 14);
        assert!(!left.iter().any(|v| names(v, &kim) || names(v, &other)));
        assert_eq!(bucket.keys().len(), 1);
    }

    #[test]
    fn a_refused_rewrite_changes_no_counter() {
        let (m, bucket) = archived_kim_and_others("2026-10-01T00:00:00.000Z", 20);
        let other = Who::Id("other-2".into());
        let stale = block_on(m.parts_naming(&other, 1)).unwrap().remove(0);
        let theirs: Vec<ResponseView> = archived(&m, &bucket)
            .into_iter()
            .filter(|v| names(v, &other))
            .collect();
        assert_eq!(theirs.len(), 1);
        erase_all(&m, &bucket, &Who::Id("cust-42".into()), "er_kim");
        let before = report_of(&m, &[]);
        let refused = PartRewrite {
            part: stale,
            who: other,
            removed: theirs,
            written: Some((
                "archive/s_demo/2026-10/part-0001.er_other.ndjson.gz".into(),
                Stored {
                    bytes: 1,
                    etag: "x".into(),
                },
            )),
            at: rfc3339(NOW),
        };
        assert!(!block_on(m.rewrite_part(&refused)).unwrap());
        let after = report_of(&m, &[]);
        assert_eq!(
            (after.overall, after.distribution),
            (before.overall, before.distribution),
            "nothing counted off"
        );
        assert_eq!(archived(&m, &bucket).len(), 15);
    }

    #[test]
    fn garbage_a_crash_left_is_deleted_by_the_next_erase_step() {
        let (m, bucket) = archived_kim_and_others("2026-10-01T00:00:00.000Z", 8);
        let part = block_on(m.archive_parts("s_demo")).unwrap().remove(0);
        let old = part.key.clone();
        // As if a step crashed right after its batch: the part moved, the old object stayed.
        let new = "archive/s_demo/2026-10/part-0001.er_x.ndjson.gz".to_string();
        let stored = block_on(bucket.put_gzip(&new, "")).unwrap();
        let moved = PartRewrite {
            part,
            who: Who::Id("nobody".into()),
            removed: Vec::new(),
            written: Some((new.clone(), stored)),
            at: rfc3339(NOW),
        };
        assert!(block_on(m.rewrite_part(&moved)).unwrap());
        let later = rfc3339(NOW + 2 * GARBAGE_AFTER_MS);
        let marked = block_on(m.archive_garbage(&later, 10)).unwrap();
        assert_eq!(marked.iter().map(|g| &g.key).collect::<Vec<_>>(), [&old]);
        assert!(bucket.get_now(&old).is_some());
        let nobody = Who::Id("nobody".into());
        // Within the hour it stays (a run that could write it might still be going).
        let soon = block_on(erase_step(&m, &bucket, &nobody, "er_y", NOW + 60_000)).unwrap();
        assert_eq!(soon.garbage, 0);
        assert!(bucket.get_now(&old).is_some());
        let done = block_on(erase_step(
            &m,
            &bucket,
            &nobody,
            "er_y",
            NOW + 2 * GARBAGE_AFTER_MS,
        ))
        .unwrap();
        assert_eq!(done.garbage, 1);
        assert!(bucket.get_now(&old).is_none());
        assert_eq!(bucket.keys(), [new]);
        assert!(block_on(m.archive_garbage(&later, 10)).unwrap().is_empty());
    }

    #[test]
    fn a_part_the_cron_could_not_record_because_of_an_erase_is_discarded_and_deleted() {
        let m = kim_and_others(parse_rfc3339("2026-10-01T00:00:00.000Z").unwrap(), 20);
        with_retention(&m, Some(30));
        let bucket = TestBucket::default();
        // Kim is erased between the run's read and its record: the object it wrote
        // holds Kim's answers and is recorded nowhere.
        let erasing = MovedMeanwhile {
            inner: &bucket,
            hook: std::cell::RefCell::new(Some(Box::new(|| {
                block_on(crate::service::respondents::erase(
                    &m, &m, "cust-42", None, NOW,
                ))
                .unwrap();
            }))),
        };
        let first = block_on(archive_due(&m, &erasing, NOW, PARTS_PER_RUN)).unwrap();
        assert_eq!(first.parts, 0);
        let discarded = "archive/s_demo/2026-10/part-0001.ndjson.gz";
        assert!(bucket.get_now(discarded).is_some());
        // The next run does not write that key again: the part is number 2.
        let second = block_on(archive_due(&m, &bucket, NOW + 60_000, PARTS_PER_RUN)).unwrap();
        assert_eq!((second.parts, second.answers), (1, 15));
        let parts = block_on(m.archive_parts("s_demo")).unwrap();
        assert_eq!(parts.iter().map(|p| p.part).collect::<Vec<_>>(), [2]);
        // An hour on, a run deletes the discarded object; Kim is in no object.
        block_on(archive_due(
            &m,
            &bucket,
            NOW + 2 * GARBAGE_AFTER_MS,
            PARTS_PER_RUN,
        ))
        .unwrap();
        assert_eq!(bucket.keys(), [parts[0].key.clone()]);
        assert!(
            !archived(&m, &bucket)
                .iter()
                .any(|v| names(v, &Who::Id("cust-42".into())))
        );
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
