//! Relationship surveys (campaigns): a survey sent to a customer list once, or every
//! quarter or half-year.
//!
//! An upload (`create`, `add_recipients`) reads the list (`nps_shared::campaign`),
//! keeps it as one object in the object store (`campaigns/{id}/part-NNNNN.ndjson`, a
//! part an upload) and writes one campaign row — never a row per person, so a list of
//! 100,000 costs the request a few queries. A run turns the kept list into invitations
//! chunk by chunk, one `JOBS` queue message a chunk (`run_chunk`, at most
//! [`CHUNK_RECIPIENTS`] people): it reads its slice of the list, skips the people the
//! per-person throttle rules out (suppressed; invited by any survey within the
//! campaign's `throttle_days`, or already by this run) in one read, writes the
//! chunk's invitations and the progress in one atomic write guarded by the chunk's
//! number, announces them at once with `invitations::release` (the mail path sends
//! the e-mail there; without a mail provider the `invitation.due` webhook goes out),
//! and queues the next chunk. A chunk costs a fixed number of queries whatever the
//! list's length (the test below counts them). The same read finds recipients whose
//! GDPR erase is pending (their list entries not yet scrubbed, `service::scrub`):
//! they are skipped and counted as nobody, as the tombstone lines the scrub leaves.
//!
//! Invitations are written due at once (`send_after` = now): should the release after
//! the write fail, the cron's `release_due` announces them a minute later. The cron
//! (`wake`) starts due runs of scheduled campaigns and re-queues the next chunk of a
//! run whose message was lost.
//!
//! Depends on `store`, the `invitations` service and the shared domain.

use super::invitations::{self, DEFAULT_DAYS};
use super::{Done, ServiceError, new_id};
use crate::store::campaigns::{
    Campaign, CampaignQueue, CampaignStore, CampaignTask, ChunkWrite, Tallies,
};
use crate::store::{DeliveryQueue, ObjectStore, Storage, StoreError};
use nps_shared::api::Respondent;
use nps_shared::campaign::{
    self, CampaignList, CampaignStatus, CampaignView, MAX_NAME_CHARS, MAX_THROTTLE_DAYS, Recipient,
    RecipientList, Schedule, UpdateCampaign,
};
use nps_shared::invitation::Claims;
use nps_shared::time::{parse_rfc3339, rfc3339};
use nps_shared::validate::{FieldError, is_survey_id};

/// People a chunk message turns into invitations at most: their invitations (a few kB
/// of JSON each, with the e-mail HTML) stay within one statement of a megabyte.
pub const CHUNK_RECIPIENTS: u32 = 200;
/// Campaigns a cron run wakes at most (one queue message each).
pub const WOKEN_PER_RUN: u32 = 10;
/// A queuing run with no progress for this long lost its message: the cron queues
/// its next chunk again.
pub const STALLED_AFTER_MS: i64 = 10 * 60_000;
/// Parts one campaign's list may have (uploads of up to 100,000 people each).
pub const MAX_PARTS: usize = 100;
/// Campaigns `GET /v1/campaigns` lists (newest first).
pub const LISTED: u32 = 100;
/// How uploaded lists are kept.
pub const LIST_TYPE: &str = "application/x-ndjson";

/// How the list of an upload is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Csv,
    JsonLines,
}

impl ListFormat {
    /// From the body's media type: `text/csv` or `application/x-ndjson`.
    pub fn from_media_type(media_type: &str) -> Option<ListFormat> {
        match media_type {
            "text/csv" => Some(ListFormat::Csv),
            "application/x-ndjson" | "application/jsonl" => Some(ListFormat::JsonLines),
            _ => None,
        }
    }
}

/// The settings of a new campaign (`POST /v1/campaigns?survey_id=…&name=…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCampaign {
    pub survey_id: String,
    pub name: String,
    pub schedule: Schedule,
    /// Unix ms of the first run; `None`: now.
    pub starts_at: Option<i64>,
    pub throttle_days: u32,
}

impl NewCampaign {
    /// The settings from the query string's parameters, every problem named.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<NewCampaign, ServiceError> {
        let mut errors = Vec::new();
        let survey_id = get("survey_id").unwrap_or_default();
        if !is_survey_id(&survey_id) {
            errors.push(FieldError::new(
                "survey_id",
                "must be a survey id like \"s_demo\"",
            ));
        }
        let name = get("name").unwrap_or_default().trim().to_string();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            errors.push(FieldError::new(
                "name",
                format!("must be 1 to {MAX_NAME_CHARS} characters, no control characters"),
            ));
        }
        let schedule = get("schedule").unwrap_or_else(|| "once".into());
        let schedule = Schedule::parse(&schedule).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "schedule",
                "must be once, quarterly or half_yearly",
            ));
            Schedule::Once
        });
        let starts_at = get("starts_at").map(|t| {
            parse_rfc3339(&t).ok_or_else(|| {
                FieldError::new(
                    "starts_at",
                    "must be an RFC 3339 UTC time like 2026-12-01T09:00:00Z",
                )
            })
        });
        let starts_at = match starts_at.transpose() {
            Ok(at) => at,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let throttle_days = match get("throttle_days") {
            None => campaign::DEFAULT_THROTTLE_DAYS,
            Some(d) => match d.trim().parse::<u32>() {
                Ok(d) if d <= MAX_THROTTLE_DAYS => d,
                _ => {
                    errors.push(FieldError::new(
                        "throttle_days",
                        format!("must be a number of days from 0 to {MAX_THROTTLE_DAYS}"),
                    ));
                    0
                }
            },
        };
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        Ok(NewCampaign {
            survey_id,
            name,
            schedule,
            starts_at,
            throttle_days,
        })
    }
}

/// Reads an uploaded list; a list with bad lines is refused whole (422), naming the
/// first of them by line number (`recipients.line.12`), so nobody is left out in
/// silence.
pub fn read_list(format: ListFormat, text: &str) -> Result<Vec<Recipient>, ServiceError> {
    let read = match format {
        ListFormat::Csv => campaign::parse_csv(text),
        ListFormat::JsonLines => campaign::parse_json_lines(text),
    };
    let list: RecipientList =
        read.map_err(|e| ServiceError::invalid("recipients", &e.to_string()))?;
    if list.bad_lines > 0 {
        let mut errors: Vec<FieldError> = list
            .errors
            .iter()
            .map(|e| FieldError::new(format!("recipients.line.{}", e.line), e.message.clone()))
            .collect();
        let unshown = list.bad_lines - list.errors.len() as u64;
        if unshown > 0 {
            errors.push(FieldError::new(
                "recipients",
                format!("{unshown} more bad lines"),
            ));
        }
        return Err(ServiceError::Invalid(errors));
    }
    Ok(list.recipients)
}

/// The key of part `part` of a campaign's kept list.
pub fn part_key(campaign_id: &str, part: usize) -> String {
    format!("campaigns/{campaign_id}/part-{part:05}.ndjson")
}

fn chunks_of(size: u32) -> u32 {
    size.div_ceil(CHUNK_RECIPIENTS)
}

/// Where chunk `chunk` of a run lies: its part, and the first person and count in it.
fn locate(part_sizes: &[u32], chunk: u32) -> Option<(usize, usize, usize)> {
    let mut chunk = chunk;
    for (part, &size) in part_sizes.iter().enumerate() {
        let chunks = chunks_of(size);
        if chunk < chunks {
            let from = chunk * CHUNK_RECIPIENTS;
            let count = CHUNK_RECIPIENTS.min(size - from);
            return Some((part, from as usize, count as usize));
        }
        chunk -= chunks;
    }
    None
}

fn no_tallies(campaign: &Campaign) -> CampaignView {
    campaign.view(&Tallies::default())
}

/// `POST /v1/campaigns`: keeps the list and the campaign; a first run due now starts
/// at once (its chunk 0 queued), a later one waits for the cron.
pub async fn create(
    store: &(impl Storage + CampaignStore),
    objects: &impl ObjectStore,
    jobs: &impl CampaignQueue,
    settings: NewCampaign,
    recipients: &[Recipient],
    base_url: &str,
    now_ms: i64,
) -> Result<CampaignView, ServiceError> {
    if store.get_survey(&settings.survey_id).await?.is_none() {
        return Err(ServiceError::NotFound(format!(
            "survey {}",
            settings.survey_id
        )));
    }
    let now = rfc3339(now_ms);
    let id = new_id("cmp_", now_ms)?;
    let size = u32::try_from(recipients.len()).unwrap_or(u32::MAX);
    objects
        .put_object(
            &part_key(&id, 0),
            campaign::to_json_lines(recipients).into_bytes(),
            LIST_TYPE,
        )
        .await?;
    let starts_at = settings.starts_at.unwrap_or(now_ms);
    let starts_now = starts_at <= now_ms;
    let campaign = Campaign {
        id,
        survey_id: settings.survey_id,
        name: settings.name,
        schedule: settings.schedule,
        status: if starts_now {
            CampaignStatus::Queuing
        } else {
            CampaignStatus::Scheduled
        },
        throttle_days: settings.throttle_days,
        base_url: base_url.to_string(),
        part_sizes: vec![size],
        run: u32::from(starts_now),
        run_started_at: starts_now.then(|| now.clone()),
        next_run_at: if starts_now {
            settings.schedule.next_run(starts_at).map(rfc3339)
        } else {
            Some(rfc3339(starts_at))
        },
        chunks_total: chunks_of(size),
        chunks_done: 0,
        invited: 0,
        throttled: 0,
        suppressed: 0,
        created_at: now.clone(),
        updated_at: now,
    };
    store.insert_campaign(&campaign).await?;
    if starts_now {
        // Should the queue refuse, the cron finds the run stalled and queues it then.
        let _ = jobs.enqueue_campaign(&first_task(&campaign), 0).await;
    }
    Ok(no_tallies(&campaign))
}

fn first_task(campaign: &Campaign) -> CampaignTask {
    CampaignTask {
        campaign_id: campaign.id.clone(),
        run: campaign.run,
        chunk: 0,
        resent: false,
    }
}

/// `POST /v1/campaigns/{id}/recipients`: one more part of the list (a list longer than
/// one upload). A run under way reaches it too; the throttle keeps anyone on two parts
/// from being invited twice.
pub async fn add_recipients(
    store: &(impl Storage + CampaignStore),
    objects: &impl ObjectStore,
    id: &str,
    recipients: &[Recipient],
    now_ms: i64,
) -> Result<CampaignView, ServiceError> {
    let campaign = store
        .get_campaign(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("campaign {id}")))?;
    let parts = campaign.part_sizes.len();
    if parts >= MAX_PARTS {
        return Err(ServiceError::Conflict(format!(
            "campaign {id} has {MAX_PARTS} parts, the most one may have"
        )));
    }
    let size = u32::try_from(recipients.len()).unwrap_or(u32::MAX);
    objects
        .put_object(
            &part_key(id, parts),
            campaign::to_json_lines(recipients).into_bytes(),
            LIST_TYPE,
        )
        .await?;
    if !store
        .add_campaign_part(id, parts, size, chunks_of(size), &rfc3339(now_ms))
        .await?
    {
        return Err(ServiceError::Conflict(format!(
            "campaign {id} changed during the upload (another part or a delete): upload again"
        )));
    }
    get(store, id).await
}

/// The campaign and its progress.
pub async fn get(
    store: &(impl Storage + CampaignStore),
    id: &str,
) -> Result<CampaignView, ServiceError> {
    match store.campaign_progress(id).await? {
        Some((campaign, tallies)) => Ok(campaign.view(&tallies)),
        None => Err(ServiceError::NotFound(format!("campaign {id}"))),
    }
}

/// The newest [`LISTED`] campaigns with their progress.
pub async fn list(store: &(impl Storage + CampaignStore)) -> Result<CampaignList, ServiceError> {
    let campaigns = store.list_campaigns(LISTED).await?;
    Ok(CampaignList {
        campaigns: campaigns.iter().map(|(c, t)| c.view(t)).collect(),
    })
}

/// `PATCH`: `paused` stops a campaign (a chunk under way finishes, no further one
/// starts, no run is started); `active` resumes it: a run stopped halfway carries on
/// from its next chunk, otherwise it waits for its next run (or is done).
pub async fn update(
    store: &(impl Storage + CampaignStore),
    jobs: &impl CampaignQueue,
    id: &str,
    request: &UpdateCampaign,
    now_ms: i64,
) -> Result<CampaignView, ServiceError> {
    let campaign = store
        .get_campaign(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("campaign {id}")))?;
    let now = rfc3339(now_ms);
    let from = campaign.status;
    let to = match (request.status.as_str(), from) {
        ("paused", CampaignStatus::Done) => {
            return Err(ServiceError::Conflict(format!("campaign {id} is done")));
        }
        ("paused", _) => CampaignStatus::Paused,
        ("active", CampaignStatus::Paused) => {
            if campaign.run > 0 && campaign.chunks_done < campaign.chunks_total {
                CampaignStatus::Queuing
            } else if campaign.next_run_at.is_some() {
                CampaignStatus::Scheduled
            } else {
                CampaignStatus::Done
            }
        }
        ("active", other) => other,
        _ => return Err(ServiceError::invalid("status", "must be paused or active")),
    };
    if from != to {
        if !store.set_campaign_status(id, from, to, &now).await? {
            return Err(ServiceError::Conflict(format!(
                "campaign {id} changed meanwhile: try again"
            )));
        }
        if to == CampaignStatus::Queuing {
            let task = CampaignTask {
                campaign_id: campaign.id.clone(),
                run: campaign.run,
                chunk: campaign.chunks_done,
                resent: false,
            };
            // Lost, the cron finds the run stalled and queues it again.
            let _ = jobs.enqueue_campaign(&task, 0).await;
        }
    }
    get(store, id).await
}

/// `DELETE`: the campaign and its kept list go; the invitations it created stay valid
/// (their links were sent), and a chunk message still queued finds no campaign.
pub async fn delete(
    store: &(impl Storage + CampaignStore),
    objects: &impl ObjectStore,
    id: &str,
) -> Result<(), ServiceError> {
    let campaign = store
        .get_campaign(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("campaign {id}")))?;
    if !store.delete_campaign(id).await? {
        return Err(ServiceError::NotFound(format!("campaign {id}")));
    }
    let keys: Vec<String> = (0..campaign.part_sizes.len())
        .map(|p| part_key(id, p))
        .collect();
    objects.delete_objects(&keys).await?;
    Ok(())
}

/// What a chunk message did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Invited `invited` people (and skipped the others), released `released` of them;
    /// `last` ends the run, otherwise the next chunk is queued.
    Wrote {
        chunk: u32,
        invited: usize,
        released: usize,
        last: bool,
    },
    /// The chunk was written before (a redelivered message): nothing again.
    AlreadyWritten,
    /// The campaign is gone, paused or elsewhere: the message is dropped.
    Skipped(&'static str),
}

/// Turns the chunk a message names into invitations, as the module describes; a
/// fixed number of queries.
pub async fn run_chunk(
    store: &(impl Storage + CampaignStore),
    objects: &impl ObjectStore,
    jobs: &impl CampaignQueue,
    queue: &impl DeliveryQueue,
    task: &CampaignTask,
    secret: &[u8],
    now_ms: i64,
) -> Result<Done<Step>, StoreError> {
    let Some(campaign) = store.get_campaign(&task.campaign_id).await? else {
        return Ok(Done::new(Step::Skipped("no such campaign")));
    };
    if campaign.run != task.run {
        return Ok(Done::new(Step::Skipped("a message of another run")));
    }
    if task.chunk < campaign.chunks_done {
        // Written before. If it is the chunk just before the run's next one, that
        // one's message may have been lost with the failure that brought this one
        // back: queue it again, once.
        if task.chunk + 1 == campaign.chunks_done
            && campaign.status == CampaignStatus::Queuing
            && !task.resent
        {
            jobs.enqueue_campaign(&next_task(&campaign, true), 0)
                .await?;
        }
        return Ok(Done::new(Step::AlreadyWritten));
    }
    if campaign.status != CampaignStatus::Queuing {
        return Ok(Done::new(Step::Skipped("the campaign is not queuing")));
    }
    if task.chunk > campaign.chunks_done {
        return Ok(Done::new(Step::Skipped("a chunk from ahead of the run")));
    }
    let now = rfc3339(now_ms);
    let Some((part, from, count)) = locate(&campaign.part_sizes, task.chunk) else {
        return Ok(Done::new(Step::Skipped("a chunk past the list")));
    };
    let Some(survey) = store.get_survey(&campaign.survey_id).await? else {
        store
            .set_campaign_status(
                &campaign.id,
                CampaignStatus::Queuing,
                CampaignStatus::Paused,
                &now,
            )
            .await?;
        return Ok(Done::new(Step::Skipped("the survey is gone: paused")));
    };
    let key = part_key(&campaign.id, part);
    let list = objects
        .get_object(&key)
        .await?
        .ok_or_else(|| StoreError(format!("{key} is missing")))?;
    let list = String::from_utf8(list).map_err(|e| StoreError(format!("{key}: {e}")))?;
    let people = campaign::kept_slice(&list, from, count).map_err(StoreError)?;
    let keys: Vec<String> = people.iter().map(Recipient::email_key).collect();
    // Who of them an erase is pending for (their list entries not yet scrubbed).
    let hashes: Vec<Vec<String>> = people
        .iter()
        .map(|p| campaign::recipient_hashes(secret, p))
        .collect();
    let all_hashes: Vec<String> = hashes.iter().flatten().cloned().collect();
    let since = rfc3339(campaign::throttle_since(now_ms, campaign.throttle_days));
    let run_started_at = campaign
        .run_started_at
        .clone()
        .unwrap_or_else(|| now.clone());
    let skipped = store
        .skipped_people(&keys, &all_hashes, &since, &campaign.id, &run_started_at)
        .await?;
    let people: Vec<(Recipient, Vec<String>)> = people
        .into_iter()
        .zip(hashes)
        .filter(|(_, h)| !h.iter().any(|h| skipped.erased.contains(h)))
        .collect();
    let sorted = campaign::sort_chunk(
        people,
        |(p, _)| p.email_key(),
        &skipped.suppressed,
        &skipped.recently_invited,
    );
    let expires_at = now_ms / 1000 + i64::from(DEFAULT_DAYS) * 86_400;
    let mut created = Vec::with_capacity(sorted.invite.len());
    let mut erasure_hashes = Vec::with_capacity(sorted.invite.len());
    for (person, hashes) in sorted.invite {
        erasure_hashes.push(hashes);
        let claims = Claims {
            invitation_id: new_id("inv_", now_ms)?,
            survey_id: survey.id.clone(),
            order_id: None,
            respondent: Respondent {
                id: person.id.clone(),
                email: Some(person.email.clone()),
            },
            properties: person.properties.clone(),
            case_id: None,
            expires_at,
        };
        let mut invitation = invitations::issue(
            &survey,
            &claims,
            person.locale.as_deref(),
            secret,
            &campaign.base_url,
        )
        .map_err(|e| match e {
            ServiceError::Store(e) => e,
            other => StoreError(other.to_string()),
        })?;
        // Due now: if the release below fails, the cron's release_due sends them.
        invitation.send_after = Some(now.clone());
        created.push((invitation, claims));
    }
    let last = task.chunk + 1 >= campaign.chunks_total;
    let status = match (last, campaign.next_run_at.is_some()) {
        (false, _) => CampaignStatus::Queuing,
        (true, true) => CampaignStatus::Scheduled,
        (true, false) => CampaignStatus::Done,
    };
    let write = ChunkWrite {
        campaign_id: campaign.id.clone(),
        run: campaign.run,
        chunk: task.chunk,
        invitations: created,
        erasure_hashes,
        throttled: sorted.throttled,
        suppressed: sorted.suppressed,
        status,
        at: now,
    };
    if !store.record_campaign_chunk(&write).await? {
        return Ok(Done::new(Step::Skipped(
            "the campaign moved on while the chunk was read",
        )));
    }
    let invited = write.invitations.len();
    let chunk_invitations: Vec<_> = write.invitations.into_iter().map(|(i, _)| i).collect();
    let released = invitations::release(store, queue, &chunk_invitations, now_ms).await;
    let mut done = match released {
        Ok(released) => {
            let mut done = Done::new(Step::Wrote {
                chunk: task.chunk,
                invited,
                released: released.value,
                last,
            });
            done.failed_follow_ups = released.failed_follow_ups;
            done
        }
        // Written and due: the cron releases them.
        Err(e) => Done::new(Step::Wrote {
            chunk: task.chunk,
            invited,
            released: 0,
            last,
        })
        .unless(Err::<(), StoreError>(e)),
    };
    if !last {
        let mut after = campaign.clone();
        after.chunks_done += 1;
        if let Err(e) = jobs.enqueue_campaign(&next_task(&after, false), 0).await {
            // The cron finds the run stalled and queues the chunk then.
            done.failed_follow_ups.push(e);
        }
    }
    Ok(done)
}

fn next_task(campaign: &Campaign, resent: bool) -> CampaignTask {
    CampaignTask {
        campaign_id: campaign.id.clone(),
        run: campaign.run,
        chunk: campaign.chunks_done,
        resent,
    }
}

/// The cron's part, sent every minute: a message that runs [`wake`] in the `JOBS`
/// consumer, whose invocation has its own D1 budget (the cron's is spent on its
/// other jobs and the archive).
pub async fn ask_to_wake(jobs: &impl CampaignQueue, now_ms: i64) -> Result<(), StoreError> {
    jobs.enqueue_wake(&crate::store::campaigns::WakeTask {
        wake_campaigns: now_ms,
    })
    .await
}

/// Run by the cron's message ([`ask_to_wake`]): starts the runs that are due (the next run after it set by the
/// schedule, counted from when this one was due) and queues the next chunk of runs
/// stalled for [`STALLED_AFTER_MS`]; at most [`WOKEN_PER_RUN`] campaigns, one read
/// and one write each. How many were woken.
pub async fn wake(
    store: &(impl Storage + CampaignStore),
    jobs: &impl CampaignQueue,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let now = rfc3339(now_ms);
    let stalled_before = rfc3339(now_ms - STALLED_AFTER_MS);
    let campaigns = store
        .campaigns_to_wake(&now, &stalled_before, WOKEN_PER_RUN)
        .await?;
    let mut woken = 0;
    for campaign in campaigns {
        let task = if campaign.status == CampaignStatus::Scheduled {
            let due = campaign
                .next_run_at
                .as_deref()
                .and_then(parse_rfc3339)
                .unwrap_or(now_ms);
            // Runs missed while paused are not made up: the next one after now.
            let mut next = campaign.schedule.next_run(due);
            while let Some(at) = next.filter(|&at| at <= now_ms) {
                next = campaign.schedule.next_run(at);
            }
            let next = next.map(rfc3339);
            if !store
                .start_campaign_run(&campaign, next.as_deref(), &now)
                .await?
            {
                continue;
            }
            CampaignTask {
                campaign_id: campaign.id.clone(),
                run: campaign.run + 1,
                chunk: 0,
                resent: false,
            }
        } else {
            // Stalled: mark it touched, so the next cron run does not queue it again
            // while this message is under way.
            if !store
                .set_campaign_status(
                    &campaign.id,
                    CampaignStatus::Queuing,
                    CampaignStatus::Queuing,
                    &now,
                )
                .await?
            {
                continue;
            }
            next_task(&campaign, true)
        };
        jobs.enqueue_campaign(&task, 0).await?;
        woken += 1;
    }
    Ok(woken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query;
    use crate::service::fixtures::demo_survey;
    use crate::store::InvitationStore;
    use crate::store::campaigns::CampaignStore;
    use crate::store::db::Database;
    use crate::store::testing::TestStore;
    use pollster::block_on;

    const SECRET: &[u8] = b"test secret";
    const NOW: i64 = 1_764_000_000_000;
    const DAY: i64 = 86_400_000;
    const BASE: &str = "https://nps.example";

    fn demo_store() -> TestStore {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        m
    }

    fn csv(n: usize) -> String {
        let mut text = String::from("email,id,name,plan\n");
        for i in 0..n {
            text.push_str(&format!("person{i}@example.com,cust-{i},Person {i},gold\n"));
        }
        text
    }

    fn settings(schedule: Schedule, starts_at: Option<i64>) -> NewCampaign {
        NewCampaign {
            survey_id: "s_demo".into(),
            name: "Q4 relationship".into(),
            schedule,
            starts_at,
            throttle_days: campaign::DEFAULT_THROTTLE_DAYS,
        }
    }

    fn start(m: &TestStore, people: usize, schedule: Schedule) -> CampaignView {
        let list = read_list(ListFormat::Csv, &csv(people)).unwrap();
        block_on(create(m, m, m, settings(schedule, None), &list, BASE, NOW)).unwrap()
    }

    /// The next queued chunk message, run; with the queries it cost.
    fn next_chunk(m: &TestStore, now_ms: i64) -> Option<(Step, u32)> {
        let task = {
            let mut jobs = m.queue().campaign_jobs.borrow_mut();
            if jobs.is_empty() {
                return None;
            }
            jobs.remove(0).0
        };
        m.reset_queries();
        let done = block_on(run_chunk(m, m, m, m, &task, SECRET, now_ms)).unwrap();
        assert!(
            done.failed_follow_ups.is_empty(),
            "{:?}",
            done.failed_follow_ups
        );
        Some((done.value, m.queries()))
    }

    fn run_all(m: &TestStore, now_ms: i64) -> Vec<u32> {
        std::iter::from_fn(|| next_chunk(m, now_ms).map(|(_, q)| q)).collect()
    }

    fn suppress(m: &TestStore, email: &str) {
        block_on(m.db().run(query!(
            "INSERT INTO suppressions (email_key, reason, source, created_at) \
             VALUES (?1, 'unsubscribed', 'link', ?2)",
            email,
            rfc3339(NOW - DAY)
        )))
        .unwrap();
    }

    #[test]
    fn a_list_of_a_thousand_becomes_invitations_in_chunks_each_released_at_once() {
        let m = demo_store();
        m.reset_queries();
        let view = start(&m, 1_000, Schedule::Once);
        assert!(
            m.queries() <= 2,
            "the survey, the campaign row: {}",
            m.queries()
        );
        assert_eq!(
            (view.recipients, view.status),
            (1_000, CampaignStatus::Queuing)
        );
        assert_eq!((view.chunks_done, view.chunks_total), (0, 5));
        assert_eq!(
            m.queue().objects.borrow().len(),
            1,
            "the list kept as one object"
        );
        let costs = run_all(&m, NOW + 1000);
        assert_eq!(costs.len(), 5);
        let view = block_on(get(&m, &view.id)).unwrap();
        assert_eq!(view.status, CampaignStatus::Done);
        assert_eq!((view.chunks_done, view.invited), (5, 1_000));
        assert_eq!(m.count("invitations"), 1_000);
        // No mail provider: each invitation announced is counted as sent.
        assert_eq!(view.sent, 1_000);
        let due = block_on(m.due_invitations(&rfc3339(NOW + DAY), 10)).unwrap();
        assert!(due.is_empty(), "every invitation was released by its chunk");
    }

    #[test]
    fn a_chunk_costs_the_same_queries_for_a_hundred_thousand_people_as_for_a_thousand() {
        let measure = |people: usize| {
            let m = demo_store();
            start(&m, people, Schedule::Once);
            let first = next_chunk(&m, NOW + 1000).unwrap();
            let second = next_chunk(&m, NOW + 2000).unwrap();
            assert!(matches!(
                first.0,
                Step::Wrote {
                    invited: 200,
                    released: 200,
                    last: false,
                    ..
                }
            ));
            (first.1, second.1)
        };
        let small = measure(1_000);
        let large = measure(100_000);
        assert_eq!(small, large);
        // The campaign, the survey, the throttle read; the write: 200 invitations of
        // about 5 kB (their e-mail HTML), a megabyte a statement, so two, and the
        // progress; the release: the endpoints, the survey, its write.
        assert_eq!(small.0, 3 + 3 + 3);
        assert!(small.0 <= crate::store::metered::FREE_PLAN_QUERIES);
    }

    #[test]
    fn suppressed_recently_invited_and_repeated_people_are_skipped_and_counted() {
        let m = demo_store();
        suppress(&m, "person3@example.com");
        // Invited by another path of the shop 10 days ago: within the 90 days.
        let invite = serde_json::from_value(serde_json::json!({
            "survey_id": "s_demo", "respondent": {"email": "Person4@Example.com"}
        }))
        .unwrap();
        block_on(invitations::create(
            &m,
            invite,
            SECRET,
            BASE,
            NOW - 10 * DAY,
        ))
        .unwrap();
        let view = start(&m, 10, Schedule::Once);
        // A second part names person5 again and someone new.
        let more = read_list(
            ListFormat::JsonLines,
            "{\"email\":\"person5@example.com\"}\n{\"email\":\"new@example.com\"}\n",
        )
        .unwrap();
        let view2 = block_on(add_recipients(&m, &m, &view.id, &more, NOW)).unwrap();
        assert_eq!((view2.recipients, view2.chunks_total), (12, 2));
        run_all(&m, NOW + 1000);
        let view = block_on(get(&m, &view.id)).unwrap();
        assert_eq!(view.suppressed, 1);
        assert_eq!(
            view.throttled, 2,
            "person4 lately, person5 twice in the run"
        );
        assert_eq!(view.invited, 9);
        let invited: Vec<String> = m
            .db()
            .all::<serde_json::Value>(query!(
                "SELECT respondent_email_key AS k FROM invitations WHERE campaign_id IS NOT NULL"
            ))
            .pipe(block_on)
            .unwrap()
            .into_iter()
            .map(|v| v["k"].as_str().unwrap().to_string())
            .collect();
        assert!(!invited.contains(&"person3@example.com".to_string()));
        assert!(invited.contains(&"new@example.com".to_string()));
    }

    trait Pipe: Sized {
        fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
            f(self)
        }
    }
    impl<T> Pipe for T {}

    #[test]
    fn a_redelivered_chunk_message_invites_nobody_twice() {
        let m = demo_store();
        start(&m, 300, Schedule::Once);
        let task = m.queue().campaign_jobs.borrow()[0].0.clone();
        let (step, _) = next_chunk(&m, NOW + 1000).unwrap();
        assert!(matches!(step, Step::Wrote { invited: 200, .. }));
        m.queue().campaign_jobs.borrow_mut().clear();
        let again = block_on(run_chunk(&m, &m, &m, &m, &task, SECRET, NOW + 2000)).unwrap();
        assert_eq!(again.value, Step::AlreadyWritten);
        assert_eq!(m.count("invitations"), 200);
        // Its next chunk's message, maybe lost with it, is queued again, once.
        assert_eq!(m.queue().campaign_jobs.borrow().len(), 1);
        run_all(&m, NOW + 3000);
        assert_eq!(m.count("invitations"), 300);
    }

    #[test]
    fn a_paused_campaign_stops_between_chunks_and_resumes_where_it_stopped() {
        let m = demo_store();
        let view = start(&m, 500, Schedule::Once);
        next_chunk(&m, NOW + 1000).unwrap();
        let pause = UpdateCampaign {
            status: "paused".into(),
        };
        let paused = block_on(update(&m, &m, &view.id, &pause, NOW + 1500)).unwrap();
        assert_eq!(paused.status, CampaignStatus::Paused);
        let (step, _) = next_chunk(&m, NOW + 2000).unwrap();
        assert_eq!(step, Step::Skipped("the campaign is not queuing"));
        assert_eq!(m.count("invitations"), 200);
        let resume = UpdateCampaign {
            status: "active".into(),
        };
        let resumed = block_on(update(&m, &m, &view.id, &resume, NOW + 3000)).unwrap();
        assert_eq!(resumed.status, CampaignStatus::Queuing);
        run_all(&m, NOW + 4000);
        let view = block_on(get(&m, &view.id)).unwrap();
        assert_eq!((view.status, view.invited), (CampaignStatus::Done, 500));
        let bad = UpdateCampaign {
            status: "stopped".into(),
        };
        assert!(matches!(
            block_on(update(&m, &m, &view.id, &bad, NOW)),
            Err(ServiceError::Invalid(_))
        ));
    }

    #[test]
    fn a_quarterly_campaign_runs_again_when_due_and_the_throttle_spares_nobody_after_90_days() {
        let m = demo_store();
        let view = start(&m, 250, Schedule::Quarterly);
        let next = view.next_run_at.clone().unwrap();
        assert_eq!(
            Some(parse_rfc3339(&next).unwrap()),
            Schedule::Quarterly.next_run(NOW)
        );
        run_all(&m, NOW + 1000);
        let after_first = block_on(get(&m, &view.id)).unwrap();
        assert_eq!(
            (after_first.status, after_first.invited),
            (CampaignStatus::Scheduled, 250)
        );
        // Not yet due: nothing.
        assert_eq!(block_on(wake(&m, &m, NOW + DAY)).unwrap(), 0);
        let due = parse_rfc3339(&next).unwrap();
        m.reset_queries();
        assert_eq!(block_on(wake(&m, &m, due + 1000)).unwrap(), 1);
        assert_eq!(m.queries(), 2, "the read, the start");
        run_all(&m, due + 2000);
        let after_second = block_on(get(&m, &view.id)).unwrap();
        assert_eq!(after_second.run, 2);
        assert_eq!(after_second.invited, 500, "92 days later, everyone again");
        assert_eq!(
            after_second.next_run_at.as_deref().and_then(parse_rfc3339),
            Schedule::Quarterly.next_run(due)
        );
    }

    #[test]
    fn a_run_whose_message_was_lost_is_queued_again_by_the_cron() {
        let m = demo_store();
        m.queue().down.set(true);
        let view = start(&m, 10, Schedule::Once);
        m.queue().down.set(false);
        assert!(m.queue().campaign_jobs.borrow().is_empty());
        assert_eq!(
            block_on(wake(&m, &m, NOW + 60_000)).unwrap(),
            0,
            "not stalled yet"
        );
        assert_eq!(
            block_on(wake(&m, &m, NOW + STALLED_AFTER_MS + 1)).unwrap(),
            1
        );
        assert_eq!(
            block_on(wake(&m, &m, NOW + STALLED_AFTER_MS + 60_000)).unwrap(),
            0
        );
        run_all(&m, NOW + STALLED_AFTER_MS + 2000);
        assert_eq!(block_on(get(&m, &view.id)).unwrap().invited, 10);
    }

    #[test]
    fn a_later_start_waits_for_the_cron() {
        let m = demo_store();
        let list = read_list(ListFormat::Csv, &csv(3)).unwrap();
        let view = block_on(create(
            &m,
            &m,
            &m,
            settings(Schedule::Once, Some(NOW + DAY)),
            &list,
            BASE,
            NOW,
        ))
        .unwrap();
        assert_eq!((view.status, view.run), (CampaignStatus::Scheduled, 0));
        assert!(m.queue().campaign_jobs.borrow().is_empty());
        assert_eq!(block_on(wake(&m, &m, NOW + DAY)).unwrap(), 1);
        run_all(&m, NOW + DAY);
        let view = block_on(get(&m, &view.id)).unwrap();
        assert_eq!(
            (view.status, view.invited, view.next_run_at),
            (CampaignStatus::Done, 3, None)
        );
    }

    #[test]
    fn an_answer_through_a_campaign_invitation_counts_as_answered() {
        let m = demo_store();
        let view = start(&m, 4, Schedule::Once);
        run_all(&m, NOW + 1000);
        let token: String = block_on(m.db().first::<serde_json::Value>(query!(
            "SELECT json_extract(invitation, '$.token') AS t FROM invitations WHERE campaign_id = ?1",
            view.id
        )))
        .unwrap()
        .unwrap()["t"]
            .as_str()
            .unwrap()
            .to_string();
        let body = serde_json::json!({"survey_id": "s_demo", "score": 9, "token": token, "channel": "email"});
        let submission = crate::service::responses::Submission {
            invitation_secret: Some(SECRET),
            ..crate::service::responses::Submission::new(&body)
        };
        block_on(crate::service::responses::submit(
            &m,
            &m,
            &submission,
            NOW + 5000,
        ))
        .unwrap();
        let view = block_on(get(&m, &view.id)).unwrap();
        assert_eq!((view.answered, view.sent), (1, 4));
        assert_eq!(view.response_rate, Some(0.25));
    }

    #[test]
    fn bad_settings_and_bad_lines_are_named() {
        let get = |q: &'static [(&'static str, &'static str)]| {
            move |k: &str| q.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        let Err(ServiceError::Invalid(errors)) = NewCampaign::parse(get(&[
            ("survey_id", "nope nope"),
            ("schedule", "monthly"),
            ("throttle_days", "900"),
            ("starts_at", "tomorrow"),
        ])) else {
            panic!("refused")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "survey_id",
                "name",
                "schedule",
                "starts_at",
                "throttle_days"
            ]
        );
        let ok = NewCampaign::parse(get(&[("survey_id", "s_demo"), ("name", "Q1")])).unwrap();
        assert_eq!((ok.schedule, ok.throttle_days), (Schedule::Once, 90));
        let Err(ServiceError::Invalid(errors)) =
            read_list(ListFormat::Csv, "email\nok@example.com\nnope\n")
        else {
            panic!("refused")
        };
        assert_eq!(errors[0].field, "recipients.line.3");
        assert!(matches!(
            read_list(ListFormat::Csv, "name\nx\n"),
            Err(ServiceError::Invalid(_))
        ));
    }

    #[test]
    fn deleting_a_campaign_removes_its_kept_list() {
        let m = demo_store();
        let view = start(&m, 3, Schedule::Once);
        block_on(delete(&m, &m, &view.id)).unwrap();
        assert!(m.queue().objects.borrow().is_empty());
        assert!(matches!(
            block_on(get(&m, &view.id)),
            Err(ServiceError::NotFound(_))
        ));
        let (step, _) = next_chunk(&m, NOW + 1000).unwrap();
        assert_eq!(step, Step::Skipped("no such campaign"));
        assert!(block_on(m.get_campaign(&view.id)).unwrap().is_none());
    }
}
