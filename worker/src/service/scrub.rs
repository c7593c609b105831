//! GDPR: an erased respondent leaves the campaign lists too. The lists live in the
//! object store (`campaigns/{id}/part-NNNNN.ndjson`), up to 100 parts of up to 100,000
//! people per campaign, so the erase request does not touch them: it records the
//! erasure as pending and queues one `JOBS` message ([`begin`]); the consumer scrubs
//! in steps ([`step`]), each at most [`PARTS_PER_STEP`] parts — a read, and a write
//! only of a part that named them — and one D1 query, then queues the next step.
//!
//! An entry becomes a tombstone line in its place (`campaign::scrub_list`), never
//! removed: a run in progress indexes the list by line (`part_sizes`, chunks of 200
//! lines), and removing a line would move the people after it into a chunk already
//! sent. The chunk reader skips tombstones; `recipients` still counts their lines.
//! A part is written back only if nobody wrote it since it was read (R2's etag): two
//! erasures scrubbing the same part at once would otherwise undo one another, and a
//! campaign deleted meanwhile would come back as an orphan part. A step that lost
//! such a race is queued again from that part.
//!
//! Between the erase and the end of the scrub a run must not invite them: the erase
//! keeps a keyed hash of who (`erasures_pending`, HMAC with INVITATION_SECRET; no
//! address) and each chunk skips recipients whose hash is pending, in the throttle's
//! one read. A pending row is written before the erase reads the records, so a chunk
//! either wrote its invitation before (and the erase deletes it) or sees the row. The
//! row goes [`LINGER_SECONDS`] after the last step, by a delayed message: a chunk that
//! read a part just before it was scrubbed still finds the row when it checks.
//! Running the scrub before every further chunk instead would make every chunk of
//! every campaign wait on every erasure; the hash check costs a chunk nothing more.
//!
//! The answer archive is scrubbed by a second chain of the same messages (`archive`
//! set, `service::archive::erase_step`, a few parts a step) that the erase request
//! queues after it erased the records ([`begin_archive`]): an answer the retention
//! cron archived before that read is in a recorded part that names them, and one it
//! read before and tried to record after the erase finds its range changed and is
//! not recorded. That chain ends by itself; the pending erasure is the lists' to end.
//!
//! Depends on `store`, `service::archive` and the shared domain.

use super::archive::{self, ErasedFromArchive};
use super::{Done, ServiceError, new_id};
use crate::store::campaigns::{CampaignQueue, CampaignStore, ErasureStore, ScrubTask};
use crate::store::{ArchiveBucket, ArchiveStore, ObjectStore, StoreError, Who};
use nps_shared::campaign::{self, ErasedPerson};
use nps_shared::time::rfc3339;

use super::campaigns::{LIST_TYPE, part_key};

/// Parts one step reads (and writes back at most): 40 R2 operations.
pub const PARTS_PER_STEP: usize = 20;
/// How long the pending erasure outlives the scrub (a chunk under way meanwhile).
pub const LINGER_SECONDS: u32 = 300;
/// A step that lost a race for a part comes back after this long.
pub const RACED_DELAY_SECONDS: u32 = 5;

impl From<&Who> for ErasedPerson {
    fn from(who: &Who) -> Self {
        match who {
            Who::Email(key) => ErasedPerson::Email(key.clone()),
            Who::Id(id) => ErasedPerson::Id(id.clone()),
        }
    }
}

impl From<&ErasedPerson> for Who {
    fn from(person: &ErasedPerson) -> Self {
        match person {
            ErasedPerson::Email(key) => Who::Email(key.clone()),
            ErasedPerson::Id(id) => Who::Id(id.clone()),
        }
    }
}

/// The erase request's part, before it reads the records: marks the erasure pending
/// (when campaigns can run at all: they need `secret`) and queues the first step.
/// Two queries at most and one message; a queue that refuses fails the erase (503:
/// erase again), since nothing else would scrub the lists.
pub async fn begin(
    store: &impl ErasureStore,
    jobs: &impl CampaignQueue,
    who: &Who,
    secret: Option<&[u8]>,
    now_ms: i64,
) -> Result<String, ServiceError> {
    let person = ErasedPerson::from(who);
    let id = new_id("er_", now_ms)?;
    if let Some(secret) = secret {
        store
            .insert_pending_erasure(&id, &person.pending_hash(secret), &rfc3339(now_ms))
            .await?;
    }
    if let Err(e) = jobs.enqueue_scrub(&first_step(&id, person, false), 0).await {
        // Nothing will end it: a pending row would hold them back forever.
        let _ = store.end_pending_erasure(&id).await;
        return Err(e.into());
    }
    Ok(id)
}

/// The erase request's last part, after it erased the records: queues the first
/// step in the archive of the erasure `id` ([`begin`]'s). A queue that refuses fails
/// the erase (503: erase again — the records are gone, the archive is queued again).
pub async fn begin_archive(
    jobs: &impl CampaignQueue,
    who: &Who,
    id: &str,
) -> Result<(), ServiceError> {
    jobs.enqueue_scrub(&first_step(id, ErasedPerson::from(who), true), 0)
        .await?;
    Ok(())
}

/// The first message of a chain of the erasure `id`: the lists', or the archive's.
fn first_step(id: &str, who: ErasedPerson, archive: bool) -> ScrubTask {
    ScrubTask {
        scrub: id.to_owned(),
        who,
        from_campaign: None,
        from_part: 0,
        finished: false,
        archive,
    }
}

/// What a scrub message did.
#[derive(Debug, PartialEq, Eq)]
pub enum Scrubbed {
    /// Read `parts` parts, wrote back `rewritten` of them (`entries` entries
    /// tombstoned); `next` is queued (`false`: every list is done, the end queued).
    Step {
        parts: usize,
        rewritten: usize,
        entries: usize,
        next: bool,
    },
    /// A part changed between its read and its write: queued again from it.
    Raced { parts: usize },
    /// A step in the archive; queued again unless it was the last.
    Archive(ErasedFromArchive),
    /// The pending erasure is over.
    Ended,
}

/// One step of the scrub, as the module describes: at most [`PARTS_PER_STEP`] parts
/// (2 R2 operations each) and one D1 query, or one step in the archive. An error
/// leaves the message to come back; the step is idempotent (a scrubbed part is not
/// written again).
pub async fn step(
    store: &(impl CampaignStore + ErasureStore + ArchiveStore),
    objects: &impl ObjectStore,
    bucket: &impl ArchiveBucket,
    jobs: &impl CampaignQueue,
    task: &ScrubTask,
    now_ms: i64,
) -> Result<Done<Scrubbed>, StoreError> {
    if task.finished {
        store.end_pending_erasure(&task.scrub).await?;
        return Ok(Done::new(Scrubbed::Ended));
    }
    if task.archive {
        let done =
            archive::erase_step(store, bucket, &Who::from(&task.who), &task.scrub, now_ms).await?;
        if done.raced {
            jobs.enqueue_scrub(task, RACED_DELAY_SECONDS).await?;
        } else if done.more {
            jobs.enqueue_scrub(task, 0).await?;
        }
        return Ok(Done::new(Scrubbed::Archive(done)));
    }
    let from = task.from_campaign.clone().unwrap_or_default();
    let limit = u32::try_from(PARTS_PER_STEP + 1).unwrap_or(u32::MAX);
    let campaigns = store.campaign_parts_from(&from, limit).await?;
    let more_campaigns = campaigns.len() == PARTS_PER_STEP + 1;
    let (mut parts, mut rewritten, mut entries) = (0, 0, 0);
    let mut next = None;
    'campaigns: for (id, part_count) in &campaigns {
        let first = if *id == from {
            task.from_part as usize
        } else {
            0
        };
        for part in first..*part_count {
            if parts == PARTS_PER_STEP {
                next = Some((id.clone(), part));
                break 'campaigns;
            }
            parts += 1;
            let key = part_key(id, part);
            // A campaign deleted since the read: nothing to scrub.
            let Some((body, version)) = objects.get_object_version(&key).await? else {
                continue;
            };
            let text = String::from_utf8(body).map_err(|e| StoreError(format!("{key}: {e}")))?;
            let Some((scrubbed, erased)) = campaign::scrub_list(&text, &task.who) else {
                continue;
            };
            if !objects
                .replace_object(&key, scrubbed.into_bytes(), LIST_TYPE, &version)
                .await?
            {
                let again = ScrubTask {
                    from_campaign: Some(id.clone()),
                    from_part: u32::try_from(part).unwrap_or(u32::MAX),
                    ..task.clone()
                };
                jobs.enqueue_scrub(&again, RACED_DELAY_SECONDS).await?;
                return Ok(Done::new(Scrubbed::Raced { parts }));
            }
            rewritten += 1;
            entries += erased;
        }
    }
    if next.is_none() && more_campaigns {
        // Every part of the campaigns read is done; the next step reads on from the
        // last of them (its parts all done).
        if let Some((id, part_count)) = campaigns.last() {
            next = Some((id.clone(), *part_count));
        }
    }
    let queued = match &next {
        Some((id, part)) => ScrubTask {
            from_campaign: Some(id.clone()),
            from_part: u32::try_from(*part).unwrap_or(u32::MAX),
            ..task.clone()
        },
        None => ScrubTask {
            finished: true,
            ..task.clone()
        },
    };
    let delay = if next.is_some() { 0 } else { LINGER_SECONDS };
    jobs.enqueue_scrub(&queued, delay).await?;
    Ok(Done::new(Scrubbed::Step {
        parts,
        rewritten,
        entries,
        next: next.is_some(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::campaigns::{self, ListFormat, NewCampaign, Step, read_list};
    use crate::service::fixtures::demo_survey;
    use crate::service::respondents;
    use crate::store::testing::{TestBucket, TestStore};
    use nps_shared::campaign::{Recipient, Schedule};
    use nps_shared::time::parse_rfc3339;
    use pollster::block_on;

    const SECRET: &[u8] = b"test secret";
    const NOW: i64 = 1_764_000_000_000;
    const BASE: &str = "https://nps.example";

    fn demo_store() -> TestStore {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        m
    }

    /// `n` people `{tag}{i}@example.com` (id `{tag}-{i}`), and Kim (id `cust-42`)
    /// at `kim_at` if given.
    fn people(tag: &str, n: usize, kim_at: Option<usize>) -> Vec<Recipient> {
        let mut text = String::from("email,id,name\n");
        for i in 0..n {
            if Some(i) == kim_at {
                text.push_str("Kim@Example.com,cust-42,Kim Lee\n");
            } else {
                text.push_str(&format!("{tag}{i}@example.com,{tag}-{i},P {i}\n"));
            }
        }
        read_list(ListFormat::Csv, &text).unwrap()
    }

    fn new_campaign(
        m: &TestStore,
        name: &str,
        list: &[Recipient],
        starts_at: Option<i64>,
    ) -> String {
        let settings = NewCampaign {
            survey_id: "s_demo".into(),
            name: name.into(),
            schedule: Schedule::Quarterly,
            starts_at,
            throttle_days: 0,
        };
        block_on(campaigns::create(m, m, m, settings, list, BASE, NOW))
            .unwrap()
            .id
    }

    /// Runs queued scrub messages (their delays passed) until none is left; each
    /// step's D1 queries and R2 operations (of the campaign lists).
    fn scrub_all(m: &TestStore) -> Vec<(Scrubbed, u32, u32)> {
        scrub_all_with(m, &TestBucket::default())
    }

    /// [`scrub_all`] with this answer archive.
    fn scrub_all_with(m: &TestStore, bucket: &TestBucket) -> Vec<(Scrubbed, u32, u32)> {
        let mut steps = Vec::new();
        loop {
            let task = {
                let mut jobs = m.queue().scrub_jobs.borrow_mut();
                if jobs.is_empty() {
                    return steps;
                }
                jobs.remove(0).0
            };
            m.reset_queries();
            m.queue().object_ops.set(0);
            let done = block_on(step(m, m, bucket, m, &task, NOW)).unwrap();
            steps.push((done.value, m.queries(), m.queue().object_ops.get()));
        }
    }

    fn part_text(m: &TestStore, key: &str) -> String {
        String::from_utf8(m.queue().objects.borrow()[key].clone()).unwrap()
    }

    fn all_lists(m: &TestStore) -> String {
        m.queue()
            .objects
            .borrow()
            .values()
            .map(|b| String::from_utf8(b.clone()).unwrap())
            .collect()
    }

    /// Runs every queued chunk of every campaign.
    fn run_chunks(m: &TestStore, now_ms: i64) {
        loop {
            let task = {
                let mut jobs = m.queue().campaign_jobs.borrow_mut();
                if jobs.is_empty() {
                    return;
                }
                jobs.remove(0).0
            };
            let done = block_on(campaigns::run_chunk(m, m, m, m, &task, SECRET, now_ms)).unwrap();
            assert!(!matches!(done.value, Step::Skipped(_)), "{:?}", done.value);
        }
    }

    fn invited_keys(m: &TestStore) -> Vec<String> {
        use crate::store::db::Database;
        block_on(m.db().all::<serde_json::Value>(crate::query!(
            "SELECT respondent_email_key AS k FROM invitations ORDER BY k"
        )))
        .unwrap()
        .into_iter()
        .map(|v| v["k"].as_str().unwrap().to_string())
        .collect()
    }

    #[test]
    fn an_erased_person_leaves_every_part_of_every_campaign_and_nobody_else_does() {
        let m = demo_store();
        let later = Some(NOW + 86_400_000);
        let a = new_campaign(&m, "A", &people("a", 300, Some(250)), later);
        block_on(campaigns::add_recipients(
            &m,
            &m,
            &a,
            &people("b", 5, Some(0)),
            NOW,
        ))
        .unwrap();
        block_on(campaigns::add_recipients(
            &m,
            &m,
            &a,
            &people("c", 5, None),
            NOW,
        ))
        .unwrap();
        let b = new_campaign(&m, "B", &people("d", 3, Some(2)), later);
        let before = [
            part_text(&m, &part_key(&a, 0)),
            part_text(&m, &part_key(&a, 2)),
        ];
        m.reset_queries();
        let erased = block_on(respondents::erase(
            &m,
            &m,
            "kim@EXAMPLE.com",
            Some(SECRET),
            NOW,
        ))
        .unwrap();
        assert_eq!(erased.campaign_lists, nps_shared::api::ListScrub::Queued);
        assert!(!all_lists(&m).is_empty() && all_lists(&m).contains("Kim@Example.com"));
        let steps = scrub_all(&m);
        assert_eq!(
            steps[0].0,
            Scrubbed::Step {
                parts: 4,
                rewritten: 3,
                entries: 3,
                next: false
            }
        );
        assert_eq!(
            steps[1].0,
            Scrubbed::Archive(ErasedFromArchive::default()),
            "then the archive (nothing archived)"
        );
        assert_eq!(
            steps[2].0,
            Scrubbed::Ended,
            "the pending erasure ends after"
        );
        let lists = all_lists(&m);
        assert!(!lists.contains("Kim@Example.com") && !lists.contains("Kim Lee"));
        assert!(!lists.contains("cust-42"));
        // Each line of the others is as it was; Kim's line is a tombstone in place.
        let after = part_text(&m, &part_key(&a, 0));
        for (i, (old, new)) in before[0].lines().zip(after.lines()).enumerate() {
            if i == 250 {
                assert_eq!(new, campaign::TOMBSTONE);
            } else {
                assert_eq!(old, new);
            }
        }
        assert_eq!(after.lines().count(), 300);
        assert_eq!(part_text(&m, &part_key(&a, 2)), before[1], "untouched");
        assert!(part_text(&m, &part_key(&b, 0)).lines().nth(2) == Some(campaign::TOMBSTONE));
    }

    #[test]
    fn a_step_reads_at_most_twenty_parts_in_one_query_whatever_the_number_of_parts() {
        let m = demo_store();
        let mut ids = Vec::new();
        for c in 0..3 {
            let id = new_campaign(&m, "many", &people("x", 4, Some(c)), Some(NOW + 1));
            for p in 1..30 {
                let kim = (p % 7 == 0).then_some(1);
                block_on(campaigns::add_recipients(
                    &m,
                    &m,
                    &id,
                    &people("y", 4, kim),
                    NOW,
                ))
                .unwrap();
            }
            ids.push(id);
        }
        m.queue().campaign_jobs.borrow_mut().clear();
        block_on(respondents::erase(&m, &m, "cust-42", Some(SECRET), NOW)).unwrap();
        let steps = scrub_all(&m);
        // 90 parts: 20 a step, then the archive, then the end.
        assert_eq!(steps.len(), 5 + 1 + 1);
        for (scrubbed, queries, object_ops) in &steps {
            // A step in an empty archive: its garbage, old parts to name, parts naming them.
            let most = if matches!(scrubbed, Scrubbed::Archive(_)) {
                3
            } else {
                1
            };
            assert!(*queries <= most, "{scrubbed:?}: {queries} queries");
            assert!(
                *object_ops <= 40,
                "{scrubbed:?}: {object_ops} R2 operations"
            );
        }
        let entries: usize = steps
            .iter()
            .map(|(s, ..)| match s {
                Scrubbed::Step { entries, .. } => *entries,
                _ => 0,
            })
            .sum();
        // Per campaign: its first part, and parts 7, 14, 21, 28.
        assert_eq!(entries, 3 * 5);
        assert!(!all_lists(&m).contains("cust-42"));
        assert_eq!(all_lists(&m).matches(campaign::TOMBSTONE).count(), 15);
    }

    #[test]
    fn a_run_between_the_erase_and_the_end_of_the_scrub_does_not_invite_them_nor_a_later_one() {
        let m = demo_store();
        let id = new_campaign(&m, "Q", &people("p", 250, Some(220)), None);
        block_on(respondents::erase(
            &m,
            &m,
            "kim@example.com",
            Some(SECRET),
            NOW,
        ))
        .unwrap();
        // The run goes on before any scrub step: the pending erasure holds Kim back.
        run_chunks(&m, NOW + 1000);
        let invited = invited_keys(&m);
        assert_eq!(invited.len(), 249);
        assert!(!invited.contains(&"kim@example.com".to_string()));
        let view = block_on(campaigns::get(&m, &id)).unwrap();
        assert_eq!((view.invited, view.throttled, view.suppressed), (249, 0, 0));
        scrub_all(&m);
        // The next quarter re-reads the scrubbed list: a tombstone, nobody.
        let due = parse_rfc3339(&view.next_run_at.unwrap()).unwrap();
        assert_eq!(block_on(campaigns::wake(&m, &m, due + 1)).unwrap(), 1);
        run_chunks(&m, due + 1000);
        let view = block_on(campaigns::get(&m, &id)).unwrap();
        assert_eq!(view.invited, 2 * 249);
        assert!(!invited_keys(&m).contains(&"kim@example.com".to_string()));
        assert!(invited_keys(&m).contains(&"p221@example.com".to_string()));
    }

    #[test]
    fn a_part_written_by_someone_else_meanwhile_is_scrubbed_again_from_there() {
        let m = demo_store();
        let id = new_campaign(&m, "Q", &people("p", 3, Some(1)), Some(NOW + 1));
        block_on(campaigns::add_recipients(
            &m,
            &m,
            &id,
            &people("q", 3, Some(2)),
            NOW,
        ))
        .unwrap();
        block_on(respondents::erase(&m, &m, "cust-42", Some(SECRET), NOW)).unwrap();
        m.queue().replace_conflicts.set(1);
        let steps: Vec<_> = scrub_all(&m)
            .into_iter()
            .filter(|(s, ..)| !matches!(s, Scrubbed::Archive(_)))
            .collect();
        assert_eq!(steps[0].0, Scrubbed::Raced { parts: 1 });
        assert!(matches!(
            steps[1].0,
            Scrubbed::Step {
                parts: 2,
                rewritten: 2,
                ..
            }
        ));
        assert!(!all_lists(&m).contains("cust-42"));
        // A campaign deleted between the read and the write does not come back.
        let part = part_key(&id, 0);
        let (body, version) = block_on(m.get_object_version(&part)).unwrap().unwrap();
        block_on(campaigns::delete(&m, &m, &id)).unwrap();
        assert!(!block_on(m.replace_object(&part, body, LIST_TYPE, &version)).unwrap());
        assert!(m.queue().objects.borrow().is_empty());
    }

    #[test]
    fn after_the_lists_the_scrub_takes_them_out_of_the_answer_archive() {
        use crate::service::archive;
        use crate::store::{ArchiveStore, SurveyStore};
        const DAY: i64 = 86_400_000;
        let m = demo_store();
        for (who, at) in [("cust-42", NOW - 60 * DAY), ("cust-7", NOW - 59 * DAY)] {
            let body =
                serde_json::json!({"survey_id": "s_demo", "score": 2, "respondent": {"id": who}});
            crate::service::fixtures::answer(&m, &body, at);
        }
        let mut survey = block_on(m.get_survey("s_demo")).unwrap().unwrap();
        survey.definition.retention_days = Some(30);
        block_on(m.update_survey(&survey)).unwrap();
        let bucket = TestBucket::default();
        let done = block_on(archive::archive_due(&m, &bucket, NOW, 1)).unwrap();
        assert_eq!(done.answers, 2);
        let erased = block_on(respondents::erase(&m, &m, "cust-42", Some(SECRET), NOW)).unwrap();
        assert_eq!(erased.answers, 0, "archived already");
        let steps = scrub_all_with(&m, &bucket);
        let archived: Vec<_> = steps
            .iter()
            .filter_map(|(s, ..)| match s {
                Scrubbed::Archive(done) => Some(done.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(archived.len(), 1);
        assert_eq!((archived[0].rewritten, archived[0].answers), (1, 1));
        assert_eq!(steps.last().map(|s| &s.0), Some(&Scrubbed::Ended));
        let part = block_on(m.archive_parts("s_demo")).unwrap().remove(0);
        let text = block_on(bucket.read_ndjson(&part.key)).unwrap().unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(
            text.contains("cust-7") && !text.contains("cust-42"),
            "{text}"
        );
    }

    #[test]
    fn an_erase_whose_scrub_cannot_be_queued_fails_before_erasing_and_leaves_nothing_pending() {
        let m = demo_store();
        new_campaign(&m, "Q", &people("p", 3, Some(1)), Some(NOW + 1));
        m.queue().down.set(true);
        let refused = block_on(respondents::erase(&m, &m, "cust-42", Some(SECRET), NOW));
        assert!(
            matches!(refused, Err(ServiceError::Store(_))),
            "{refused:?}"
        );
        assert_eq!(m.count("erasures_pending"), 0);
        m.queue().down.set(false);
        block_on(respondents::erase(&m, &m, "cust-42", Some(SECRET), NOW)).unwrap();
        assert_eq!(m.count("erasures_pending"), 1);
        scrub_all(&m);
        assert_eq!(m.count("erasures_pending"), 0);
    }
}
