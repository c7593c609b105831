//! What the campaign service needs from storage: campaigns as kept, the counts of their
//! progress read from other tables, the per-person throttle's one read, the atomic
//! write of one chunk of a run, and the queue message of a chunk; and for the GDPR
//! scrub of the lists, the pending erasures (keyed hashes) and the scrub's queue
//! message. The SQL is `sql::campaigns` and `sql::erasures`; the list itself lives in
//! the object store (`ObjectStore`).

use super::StoreResult;
use nps_shared::api::Invitation;
use nps_shared::campaign::{CampaignStatus, CampaignView, ErasedPerson, Schedule, response_rate};
use nps_shared::invitation::Claims;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A campaign as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    pub id: String,
    pub survey_id: String,
    pub name: String,
    pub schedule: Schedule,
    pub status: CampaignStatus,
    pub throttle_days: u32,
    /// The origin invitation links point at (the API's, as the upload reached it).
    pub base_url: String,
    /// Recipients of each uploaded part of the list, in order.
    pub part_sizes: Vec<u32>,
    pub run: u32,
    pub run_started_at: Option<String>,
    pub next_run_at: Option<String>,
    pub chunks_total: u32,
    pub chunks_done: u32,
    pub invited: u64,
    pub throttled: u64,
    pub suppressed: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl Campaign {
    pub fn recipients(&self) -> u64 {
        self.part_sizes.iter().map(|&n| u64::from(n)).sum()
    }

    /// The view with the counts read from the invitations, mail log and answers.
    pub fn view(&self, tallies: &Tallies) -> CampaignView {
        CampaignView {
            id: self.id.clone(),
            survey_id: self.survey_id.clone(),
            name: self.name.clone(),
            schedule: self.schedule,
            status: self.status,
            throttle_days: self.throttle_days,
            next_run_at: self.next_run_at.clone(),
            run: self.run,
            recipients: self.recipients(),
            chunks_done: self.chunks_done,
            chunks_total: self.chunks_total,
            invited: self.invited,
            throttled: self.throttled,
            suppressed: self.suppressed + tallies.mail_suppressed,
            sent: tallies.sent,
            bounced: tallies.bounced,
            answered: tallies.answered,
            response_rate: response_rate(tallies.answered, tallies.sent),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

/// A campaign's counts kept in other tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tallies {
    /// E-mails the provider accepted (`mail_sends` sent, bounced or complained later),
    /// plus invitations announced without an e-mail (no `mail_sends` row: the
    /// survey has no mail provider, the webhook `invitation.due` is the path).
    pub sent: u64,
    pub bounced: u64,
    /// `mail_sends` the mail path marked suppressed (the person was suppressed
    /// between the chunk's check and the send).
    pub mail_suppressed: u64,
    /// Answers through the campaign's invitations.
    pub answered: u64,
}

/// Who of a chunk the throttle skips: e-mail keys suppressed, and those invited
/// lately (by any survey since the throttle began, or by this run).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    pub suppressed: BTreeSet<String>,
    pub recently_invited: BTreeSet<String>,
    /// Of the hashes asked about, those of a pending erase.
    pub erased: BTreeSet<String>,
}

/// One chunk of a run, written at once: its invitations (with what each fixed) and
/// the progress. Written only while the campaign is queuing this run at this chunk.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkWrite {
    pub campaign_id: String,
    pub run: u32,
    pub chunk: u32,
    pub invitations: Vec<(Invitation, Claims)>,
    /// Beside each invitation, its person's keyed hashes (`campaign::recipient_hashes`):
    /// an invitation whose person's erase became pending since the chunk's read is not
    /// written (missing: no check).
    pub erasure_hashes: Vec<Vec<String>>,
    pub throttled: u64,
    pub suppressed: u64,
    /// What the campaign becomes: `Queuing` while chunks remain, then `Done` (once)
    /// or `Scheduled` (a next run is set).
    pub status: CampaignStatus,
    pub at: String,
}

/// The queue message of a campaign: "turn chunk `chunk` of run `run` into
/// invitations". The campaign row is the truth; a message that does not match it is
/// dropped. Carries a field no export message has (`campaign_id`), so the consumer of
/// the `JOBS` queue tells the two apart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignTask {
    pub campaign_id: String,
    pub run: u32,
    pub chunk: u32,
    /// Sent again for a chunk recorded before (a redelivered message, or the cron's
    /// sweep of a stalled run): it sends no further copy.
    #[serde(default)]
    pub resent: bool,
}

pub trait CampaignStore {
    async fn insert_campaign(&self, campaign: &Campaign) -> StoreResult<()>;
    async fn get_campaign(&self, id: &str) -> StoreResult<Option<Campaign>>;
    /// The campaign with its tallies, in one query.
    async fn campaign_progress(&self, id: &str) -> StoreResult<Option<(Campaign, Tallies)>>;
    /// Newest first, each with its tallies, in one query.
    async fn list_campaigns(&self, limit: u32) -> StoreResult<Vec<(Campaign, Tallies)>>;
    /// Adds an uploaded part of `size` recipients that makes `chunks` chunks, if the
    /// campaign still has exactly `parts_before` parts; `false` otherwise.
    async fn add_campaign_part(
        &self,
        id: &str,
        parts_before: usize,
        size: u32,
        chunks: u32,
        at: &str,
    ) -> StoreResult<bool>;
    /// Moves the campaign from `from` to `to`;
    /// `false` if it was not at `from`.
    async fn set_campaign_status(
        &self,
        id: &str,
        from: CampaignStatus,
        to: CampaignStatus,
        at: &str,
    ) -> StoreResult<bool>;
    /// `false` if there was no such campaign.
    async fn delete_campaign(&self, id: &str) -> StoreResult<bool>;
    /// Of `keys`, the suppressed ones and those invited (by any survey) since
    /// `since`, or by `campaign_id` since `run_started_at`; and of `hashes` (see
    /// `campaign::recipient_hashes`), those of a pending erase; one query.
    async fn skipped_people(
        &self,
        keys: &[String],
        hashes: &[String],
        since: &str,
        campaign_id: &str,
        run_started_at: &str,
    ) -> StoreResult<Skipped>;
    /// Campaigns by id from `from_id` on (inclusive), each with how many parts its
    /// list has; at most `limit`, one query.
    async fn campaign_parts_from(
        &self,
        from_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<(String, usize)>>;
    /// Writes the chunk in one atomic write; `false` (nothing written) when the
    /// campaign is no longer queuing run `write.run` at chunk `write.chunk`.
    async fn record_campaign_chunk(&self, write: &ChunkWrite) -> StoreResult<bool>;
    /// Campaigns whose next run is due at `now`, and runs queuing without a change
    /// since `stalled_before` (their message was lost); at most `limit`, one query.
    async fn campaigns_to_wake(
        &self,
        now: &str,
        stalled_before: &str,
        limit: u32,
    ) -> StoreResult<Vec<Campaign>>;
    /// Starts run `campaign.run + 1` if the campaign is still scheduled at run
    /// `campaign.run`: queuing from chunk 0, the next run set to `next_run_at`.
    async fn start_campaign_run(
        &self,
        campaign: &Campaign,
        next_run_at: Option<&str>,
        at: &str,
    ) -> StoreResult<bool>;
}

/// The queue message the cron sends every minute: "start the campaign runs that are
/// due, re-queue stalled ones" (`service::campaigns::wake`). It is done in the `JOBS`
/// consumer's own invocation, so it costs the cron's D1 budget nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeTask {
    /// When the cron sent it (Unix ms), for the logs.
    pub wake_campaigns: i64,
}

/// Where chunk messages go (the `JOBS` queue in the worker, beside export chunks).
pub trait CampaignQueue {
    async fn enqueue_campaign(&self, task: &CampaignTask, delay_seconds: u32) -> StoreResult<()>;
    async fn enqueue_wake(&self, task: &WakeTask) -> StoreResult<()>;
    async fn enqueue_scrub(&self, task: &ScrubTask, delay_seconds: u32) -> StoreResult<()>;
}

/// GDPR erasures whose scrub of the campaign lists is under way
/// (`erasures_pending`): only a keyed hash of who ([`ErasedPerson::pending_hash`]).
pub trait ErasureStore {
    async fn insert_pending_erasure(&self, id: &str, key_hash: &str, at: &str) -> StoreResult<()>;
    /// The scrub `id` is over; `false` if it was not pending.
    async fn end_pending_erasure(&self, id: &str) -> StoreResult<bool>;
}

/// The queue message of the GDPR scrub of the campaign lists: "remove `who` from the
/// lists, from part `from_part` of campaign `from_campaign` on (campaigns in id order;
/// `None`: the first)". `finished`: every list is scrubbed; this (delayed) message
/// ends the pending erasure. Carries a field no other `JOBS` message has (`scrub`).
/// It names the person in the clear while it is queued: the scrub must find them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScrubTask {
    /// The erasure (`er_…`), the id of its `erasures_pending` row.
    pub scrub: String,
    pub who: ErasedPerson,
    #[serde(default)]
    pub from_campaign: Option<String>,
    #[serde(default)]
    pub from_part: u32,
    #[serde(default)]
    pub finished: bool,
    /// The lists are done; the archive's parts are next (`service::archive::erase_step`).
    #[serde(default)]
    pub archive: bool,
}
