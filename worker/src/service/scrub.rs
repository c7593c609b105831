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
//! Depends on `store` and the shared domain.

use super::{Done, ServiceError, new_id};
use crate::store::campaigns::{CampaignQueue, CampaignStore, ErasureStore, ScrubTask};
use crate::store::{ObjectStore, StoreError, Who};
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
) -> Result<(), ServiceError> {
    let person = ErasedPerson::from(who);
    let id = new_id("er_", now_ms)?;
    if let Some(secret) = secret {
        store
            .insert_pending_erasure(&id, &person.pending_hash(secret), &rfc3339(now_ms))
            .await?;
    }
    let task = ScrubTask {
        scrub: id.clone(),
        who: person,
        from_campaign: None,
        from_part: 0,
        finished: false,
    };
    if let Err(e) = jobs.enqueue_scrub(&task, 0).await {
        // Nothing will end it: a pending row would hold them back forever.
        let _ = store.end_pending_erasure(&id).await;
        return Err(e.into());
    }
    Ok(())
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
    /// The pending erasure is over.
    Ended,
}

/// One step of the scrub, as the module describes: at most [`PARTS_PER_STEP`] parts
/// (2 R2 operations each) and one D1 query. An error leaves the message to come
/// back; the step is idempotent (a scrubbed part is not written again).
pub async fn step(
    store: &(impl CampaignStore + ErasureStore),
    objects: &impl ObjectStore,
    jobs: &impl CampaignQueue,
    task: &ScrubTask,
) -> Result<Done<Scrubbed>, StoreError> {
    if task.finished {
        store.end_pending_erasure(&task.scrub).await?;
        return Ok(Done::new(Scrubbed::Ended));
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
