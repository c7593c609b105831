//! `campaigns`: relationship surveys and the progress of their runs; the invitations a
//! chunk of a run creates (multi-row, tagged with `campaign_id`); and the reads their
//! progress needs from `invitations`, `mail_sends` (read only: the mail path owns
//! it), `responses` and `suppressions`. A chunk is written only while its campaign is
//! at that chunk of that run, in one atomic write, so a redelivered queue message never
//! invites anyone twice nor counts twice.

use super::{SqlStore, all_rows, email_key, first_row};
use crate::query;
use crate::store::StoreResult;
use crate::store::campaigns::{Campaign, CampaignStore, ChunkWrite, Skipped, Tallies};
use crate::store::db::{Database, Statement};
use crate::store::{StoreError, SurveyCache};
use nps_shared::campaign::{CampaignStatus, Schedule};
use serde::Deserialize;

#[derive(Deserialize)]
struct CampaignRow {
    id: String,
    survey_id: String,
    name: String,
    schedule: String,
    status: String,
    throttle_days: i64,
    base_url: String,
    part_sizes: String,
    run: i64,
    run_started_at: Option<String>,
    next_run_at: Option<String>,
    chunks_total: i64,
    chunks_done: i64,
    invited: i64,
    throttled: i64,
    suppressed: i64,
    created_at: String,
    updated_at: String,
    #[serde(default)]
    sent: Option<i64>,
    #[serde(default)]
    bounced: Option<i64>,
    #[serde(default)]
    mail_suppressed: Option<i64>,
    #[serde(default)]
    answered: Option<i64>,
}

const COLUMNS: &str = "c.id, c.survey_id, c.name, c.schedule, c.status, c.throttle_days, \
     c.base_url, c.part_sizes, c.run, c.run_started_at, c.next_run_at, c.chunks_total, \
     c.chunks_done, c.invited, c.throttled, c.suppressed, c.created_at, c.updated_at";

/// The tallies of campaign `c`, as columns: each a count over an index
/// (`invitations_by_campaign`, `mail_sends_one_per_invitation`,
/// `responses_by_invitation`). Mail rows are found through the campaign's
/// invitations, so they count whether or not the mail path filled in their
/// `campaign_id`.
const TALLIES: &str = "\
    (SELECT COUNT(*) FROM invitations i LEFT JOIN mail_sends m ON m.invitation_id = i.id \
      WHERE i.campaign_id = c.id AND i.released_at IS NOT NULL \
      AND (m.id IS NULL OR m.status IN ('sent', 'bounced', 'complained'))) AS sent, \
    (SELECT COUNT(*) FROM invitations i JOIN mail_sends m ON m.invitation_id = i.id \
      WHERE i.campaign_id = c.id AND m.status = 'bounced') AS bounced, \
    (SELECT COUNT(*) FROM invitations i JOIN mail_sends m ON m.invitation_id = i.id \
      WHERE i.campaign_id = c.id AND m.status = 'suppressed') AS mail_suppressed, \
    (SELECT COUNT(*) FROM responses r WHERE r.invitation_id IN \
      (SELECT i.id FROM invitations i WHERE i.campaign_id = c.id)) AS answered";

fn count<T: TryFrom<i64>>(id: &str, n: i64) -> StoreResult<T> {
    T::try_from(n).map_err(|_| StoreError(format!("campaign {id}: count {n} out of range")))
}

/// D1 binds integers as JS numbers: counts stay far below 2^53.
fn bound(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn campaign_of(row: CampaignRow) -> StoreResult<(Campaign, Tallies)> {
    let bad = |what: &str, value: &str| StoreError(format!("campaign {}: {what} {value}", row.id));
    let schedule = Schedule::parse(&row.schedule).ok_or_else(|| bad("schedule", &row.schedule))?;
    let status = CampaignStatus::parse(&row.status).ok_or_else(|| bad("status", &row.status))?;
    let tallies = Tallies {
        sent: count(&row.id, row.sent.unwrap_or(0))?,
        bounced: count(&row.id, row.bounced.unwrap_or(0))?,
        mail_suppressed: count(&row.id, row.mail_suppressed.unwrap_or(0))?,
        answered: count(&row.id, row.answered.unwrap_or(0))?,
    };
    let campaign = Campaign {
        schedule,
        status,
        throttle_days: count(&row.id, row.throttle_days)?,
        part_sizes: serde_json::from_str(&row.part_sizes)?,
        run: count(&row.id, row.run)?,
        chunks_total: count(&row.id, row.chunks_total)?,
        chunks_done: count(&row.id, row.chunks_done)?,
        invited: count(&row.id, row.invited)?,
        throttled: count(&row.id, row.throttled)?,
        suppressed: count(&row.id, row.suppressed)?,
        id: row.id,
        survey_id: row.survey_id,
        name: row.name,
        base_url: row.base_url,
        run_started_at: row.run_started_at,
        next_run_at: row.next_run_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    };
    Ok((campaign, tallies))
}

/// The invitations of a chunk as one statement per megabyte of JSON (one for a chunk
/// of a few hundred), each inserted only while the campaign is at this chunk, and
/// only if no erase of its person became pending since the chunk's read (the erase
/// writes that row before it reads what to delete, so it deletes an invitation
/// written before it, and this condition holds back one written after).
fn insert_invitations(write: &ChunkWrite) -> StoreResult<Vec<Statement>> {
    let mut rows = Vec::with_capacity(write.invitations.len());
    for (i, (inv, claims)) in write.invitations.iter().enumerate() {
        let hashes = write.erasure_hashes.get(i).cloned().unwrap_or_default();
        rows.push(serde_json::json!([
            inv.id,
            inv.survey_id,
            inv.order_id,
            inv.case_id,
            serde_json::to_string(inv)?,
            inv.send_after,
            write.at,
            claims.respondent.id,
            claims.respondent.email,
            email_key(&claims.respondent),
            serde_json::to_string(&claims.properties)?,
            write.campaign_id,
            hashes,
        ]));
    }
    let columns = "id, survey_id, order_id, case_id, invitation, send_after, created_at, \
                   respondent_id, respondent_email, respondent_email_key, properties, campaign_id";
    let picks = (0..12)
        .map(|i| format!("json_extract(row.value, '$[{i}]')"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(super::json_arrays(rows)
        .into_iter()
        .map(|array| {
            query!(
                format!(
                    "INSERT INTO invitations ({columns}) SELECT {picks} FROM json_each(?1) AS row \
                     WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = ?2 AND run = ?3 \
                     AND chunks_done = ?4 AND status = 'queuing') \
                     AND NOT EXISTS (SELECT 1 FROM erasures_pending WHERE key_hash IN \
                     (SELECT h.value FROM json_each(row.value, '$[12]') AS h))"
                ),
                array,
                write.campaign_id,
                write.run,
                write.chunk
            )
        })
        .collect())
}

#[derive(Deserialize)]
struct SkipRow {
    why: String,
    key: String,
}

impl<D: Database, C: SurveyCache> CampaignStore for SqlStore<D, C> {
    async fn insert_campaign(&self, c: &Campaign) -> StoreResult<()> {
        self.db
            .run(query!(
                "INSERT INTO campaigns (id, survey_id, name, schedule, status, throttle_days, \
                 base_url, part_sizes, recipients, run, run_started_at, next_run_at, chunks_total, \
                 chunks_done, invited, throttled, suppressed, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
                 ?17, ?18, ?19)",
                c.id,
                c.survey_id,
                c.name,
                c.schedule.as_str(),
                c.status.as_str(),
                c.throttle_days,
                c.base_url,
                serde_json::to_string(&c.part_sizes)?,
                bound(c.recipients()),
                c.run,
                c.run_started_at,
                c.next_run_at,
                c.chunks_total,
                c.chunks_done,
                bound(c.invited),
                bound(c.throttled),
                bound(c.suppressed),
                c.created_at,
                c.updated_at
            ))
            .await
    }

    async fn get_campaign(&self, id: &str) -> StoreResult<Option<Campaign>> {
        first_row(
            &self.db,
            query!(
                format!("SELECT {COLUMNS} FROM campaigns c WHERE c.id = ?1"),
                id
            ),
            |row: CampaignRow| campaign_of(row).map(|(c, _)| c),
        )
        .await
    }

    async fn campaign_progress(&self, id: &str) -> StoreResult<Option<(Campaign, Tallies)>> {
        first_row(
            &self.db,
            query!(
                format!("SELECT {COLUMNS}, {TALLIES} FROM campaigns c WHERE c.id = ?1"),
                id
            ),
            campaign_of,
        )
        .await
    }

    async fn list_campaigns(&self, limit: u32) -> StoreResult<Vec<(Campaign, Tallies)>> {
        all_rows(
            &self.db,
            query!(
                format!("SELECT {COLUMNS}, {TALLIES} FROM campaigns c ORDER BY c.id DESC LIMIT ?1"),
                limit
            ),
            campaign_of,
        )
        .await
    }

    async fn add_campaign_part(
        &self,
        id: &str,
        parts_before: usize,
        size: u32,
        chunks: u32,
        at: &str,
    ) -> StoreResult<bool> {
        let parts_before = u32::try_from(parts_before).unwrap_or(u32::MAX);
        self.db
            .exists(query!(
                "UPDATE campaigns SET part_sizes = json_insert(part_sizes, '$[#]', ?3), \
                 recipients = recipients + ?3, chunks_total = chunks_total + ?4, updated_at = ?5 \
                 WHERE id = ?1 AND json_array_length(part_sizes) = ?2 RETURNING 1 AS done",
                id,
                parts_before,
                size,
                chunks,
                at
            ))
            .await
    }

    async fn set_campaign_status(
        &self,
        id: &str,
        from: CampaignStatus,
        to: CampaignStatus,
        at: &str,
    ) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "UPDATE campaigns SET status = ?3, updated_at = ?4 WHERE id = ?1 AND status = ?2 \
                 RETURNING 1 AS done",
                id,
                from.as_str(),
                to.as_str(),
                at
            ))
            .await
    }

    async fn delete_campaign(&self, id: &str) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "DELETE FROM campaigns WHERE id = ?1 RETURNING 1 AS done",
                id
            ))
            .await
    }

    async fn skipped_people(
        &self,
        keys: &[String],
        hashes: &[String],
        since: &str,
        campaign_id: &str,
        run_started_at: &str,
    ) -> StoreResult<Skipped> {
        let mut skipped = Skipped::default();
        if keys.is_empty() {
            return Ok(skipped);
        }
        let keys = serde_json::to_string(keys)?;
        let hashes = serde_json::to_string(hashes)?;
        let rows: Vec<SkipRow> = self
            .db
            .all(query!(
                "SELECT 'suppressed' AS why, email_key AS key FROM suppressions \
                 WHERE email_key IN (SELECT value FROM json_each(?1)) \
                 UNION \
                 SELECT 'invited' AS why, respondent_email_key AS key FROM invitations \
                 WHERE respondent_email_key IN (SELECT value FROM json_each(?1)) \
                 AND (created_at >= ?2 OR (campaign_id = ?3 AND created_at >= ?4)) \
                 UNION \
                 SELECT 'erased' AS why, key_hash AS key FROM erasures_pending \
                 WHERE key_hash IN (SELECT value FROM json_each(?5))",
                keys,
                since,
                campaign_id,
                run_started_at,
                hashes
            ))
            .await?;
        for row in rows {
            match row.why.as_str() {
                "suppressed" => skipped.suppressed.insert(row.key),
                "erased" => skipped.erased.insert(row.key),
                _ => skipped.recently_invited.insert(row.key),
            };
        }
        Ok(skipped)
    }

    async fn record_campaign_chunk(&self, write: &ChunkWrite) -> StoreResult<bool> {
        let mut statements = insert_invitations(write)?;
        let inserts = statements.len();
        statements.push(query!(
            "UPDATE campaigns SET chunks_done = chunks_done + 1, invited = invited + ?5, \
             throttled = throttled + ?6, suppressed = suppressed + ?7, status = ?8, \
             updated_at = ?9 \
             WHERE id = ?1 AND run = ?2 AND chunks_done = ?3 AND status = ?4 RETURNING 1 AS done",
            write.campaign_id,
            write.run,
            write.chunk,
            CampaignStatus::Queuing.as_str(),
            bound(write.invitations.len() as u64),
            bound(write.throttled),
            bound(write.suppressed),
            write.status.as_str(),
            write.at
        ));
        let returned = self.db.batch(statements).await?;
        Ok(returned.get(inserts).is_some_and(|&n| n > 0))
    }

    async fn campaign_parts_from(
        &self,
        from_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<(String, usize)>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            parts: i64,
        }
        let rows: Vec<Row> = self
            .db
            .all(query!(
                "SELECT id, json_array_length(part_sizes) AS parts FROM campaigns \
                 WHERE id >= ?1 ORDER BY id LIMIT ?2",
                from_id,
                limit
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.id, usize::try_from(r.parts).unwrap_or(0)))
            .collect())
    }

    async fn campaigns_to_wake(
        &self,
        now: &str,
        stalled_before: &str,
        limit: u32,
    ) -> StoreResult<Vec<Campaign>> {
        all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {COLUMNS} FROM campaigns c \
                     WHERE (c.status = 'scheduled' AND c.next_run_at <= ?1) \
                     OR (c.status = 'queuing' AND c.updated_at < ?2) \
                     ORDER BY c.next_run_at LIMIT ?3"
                ),
                now,
                stalled_before,
                limit
            ),
            |row: CampaignRow| campaign_of(row).map(|(c, _)| c),
        )
        .await
    }

    async fn start_campaign_run(
        &self,
        c: &Campaign,
        next_run_at: Option<&str>,
        at: &str,
    ) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "UPDATE campaigns SET run = run + 1, status = 'queuing', chunks_done = 0, \
                 run_started_at = ?3, next_run_at = ?4, updated_at = ?3 \
                 WHERE id = ?1 AND run = ?2 AND status = 'scheduled' RETURNING 1 AS done",
                c.id,
                c.run,
                at,
                next_run_at
            ))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, with_survey};
    use super::*;
    use crate::store::InvitationStore;
    use nps_shared::api::{Invitation, Respondent};
    use nps_shared::invitation::Claims;
    use std::collections::BTreeMap;

    const T0: &str = "2026-11-01T10:00:00.000Z";
    const T1: &str = "2026-11-01T11:00:00.000Z";

    fn campaign(id: &str, status: CampaignStatus) -> Campaign {
        Campaign {
            id: id.into(),
            survey_id: "s_demo".into(),
            name: "Q4".into(),
            schedule: Schedule::Quarterly,
            status,
            throttle_days: 90,
            base_url: "https://nps.example".into(),
            part_sizes: vec![3],
            run: u32::from(status == CampaignStatus::Queuing),
            run_started_at: Some(T0.into()),
            next_run_at: Some(T0.into()),
            chunks_total: 1,
            chunks_done: 0,
            invited: 0,
            throttled: 0,
            suppressed: 0,
            created_at: T0.into(),
            updated_at: T0.into(),
        }
    }

    fn invitation(id: &str, email: &str) -> (Invitation, Claims) {
        let inv = Invitation {
            id: id.into(),
            survey_id: "s_demo".into(),
            order_id: None,
            case_id: None,
            url: "https://nps.example/s/s_demo?token=t".into(),
            token: "t".into(),
            email_html: String::new(),
            expires_at: "2026-12-01T10:00:00.000Z".into(),
            send_after: Some(T1.into()),
        };
        let claims = Claims {
            invitation_id: id.into(),
            survey_id: "s_demo".into(),
            order_id: None,
            respondent: Respondent {
                id: None,
                email: Some(email.into()),
            },
            properties: BTreeMap::new(),
            case_id: None,
            expires_at: 1_764_583_200,
        };
        (inv, claims)
    }

    fn chunk(chunk: u32, invitations: Vec<(Invitation, Claims)>) -> ChunkWrite {
        ChunkWrite {
            campaign_id: "cmp_1".into(),
            run: 1,
            chunk,
            invitations,
            erasure_hashes: vec![],
            throttled: 2,
            suppressed: 1,
            status: CampaignStatus::Scheduled,
            at: T1.into(),
        }
    }

    #[test]
    fn a_chunk_is_written_once_and_its_invitations_carry_the_campaign() {
        let s = with_survey();
        run(s.insert_campaign(&campaign("cmp_1", CampaignStatus::Queuing))).unwrap();
        let write = chunk(
            0,
            vec![
                invitation("inv_a", "A@x.example"),
                invitation("inv_b", "b@x.example"),
            ],
        );
        assert!(run(s.record_campaign_chunk(&write)).unwrap());
        assert!(
            !run(s.record_campaign_chunk(&write)).unwrap(),
            "the same chunk again writes nothing"
        );
        let c = run(s.get_campaign("cmp_1")).unwrap().unwrap();
        assert_eq!(
            (c.chunks_done, c.invited, c.throttled, c.suppressed),
            (1, 2, 2, 1)
        );
        assert_eq!(c.status, CampaignStatus::Scheduled);
        assert!(run(s.invitation_claims("inv_a")).unwrap().is_some());
        let skipped = run(s.skipped_people(
            &["a@x.example".into(), "c@x.example".into()],
            &[],
            "2026-10-01T00:00:00.000Z",
            "cmp_1",
            T0,
        ))
        .unwrap();
        assert_eq!(
            skipped.recently_invited.into_iter().collect::<Vec<_>>(),
            ["a@x.example"]
        );
    }

    #[test]
    fn an_invitation_whose_person_became_pending_erasure_after_the_read_is_not_written() {
        use crate::store::campaigns::ErasureStore;
        let s = with_survey();
        run(s.insert_campaign(&campaign("cmp_1", CampaignStatus::Queuing))).unwrap();
        let mut write = chunk(
            0,
            vec![
                invitation("inv_a", "a@x.example"),
                invitation("inv_k", "kim@x.example"),
            ],
        );
        write.erasure_hashes = vec![vec!["h-a".into()], vec!["h-kim".into(), "h-42".into()]];
        run(s.insert_pending_erasure("er_1", "h-42", T0)).unwrap();
        assert!(run(s.record_campaign_chunk(&write)).unwrap());
        assert!(run(s.invitation_claims("inv_a")).unwrap().is_some());
        assert!(run(s.invitation_claims("inv_k")).unwrap().is_none());
    }

    #[test]
    fn the_throttle_read_finds_suppressed_people_and_this_runs_invitations_before_the_window() {
        let s = with_survey();
        run(s.insert_campaign(&campaign("cmp_1", CampaignStatus::Queuing))).unwrap();
        run(s.record_campaign_chunk(&chunk(0, vec![invitation("inv_a", "a@x.example")]))).unwrap();
        run(s.db().run(query!(
            "INSERT INTO suppressions (email_key, reason, source, created_at) VALUES (?1, 'bounced', 'postmark', ?2)",
            "s@x.example",
            T0
        )))
        .unwrap();
        let keys = [
            "a@x.example".to_string(),
            "s@x.example".into(),
            "n@x.example".into(),
        ];
        // A throttle window that began after the invitation: only the run finds it.
        let skipped =
            run(s.skipped_people(&keys, &[], "2027-01-01T00:00:00.000Z", "cmp_1", T0)).unwrap();
        assert_eq!(
            skipped.suppressed.into_iter().collect::<Vec<_>>(),
            ["s@x.example"]
        );
        assert_eq!(
            skipped.recently_invited.into_iter().collect::<Vec<_>>(),
            ["a@x.example"]
        );
        let later_run = run(s.skipped_people(
            &keys,
            &[],
            "2027-01-01T00:00:00.000Z",
            "cmp_1",
            "2027-01-01T00:00:00.000Z",
        ))
        .unwrap();
        assert!(later_run.recently_invited.is_empty());
    }

    #[test]
    fn progress_counts_sent_bounced_and_answered_from_the_other_tables() {
        let s = with_survey();
        run(s.insert_campaign(&campaign("cmp_1", CampaignStatus::Queuing))).unwrap();
        let invitations = (0..4)
            .map(|i| invitation(&format!("inv_{i}"), &format!("p{i}@x.example")))
            .collect();
        run(s.record_campaign_chunk(&chunk(0, invitations))).unwrap();
        let releases: Vec<_> = (0..4)
            .map(|i| crate::store::Release {
                invitation_id: format!("inv_{i}"),
                deliveries: vec![],
                mail: None,
            })
            .collect();
        run(s.release_invitations(&releases, T1)).unwrap();
        // inv_0 had no e-mail sent (no provider); inv_1 sent, inv_2 bounced, inv_3 pending.
        for (i, status) in [(1, "sent"), (2, "bounced"), (3, "pending")] {
            run(s.db().run(query!(
                "INSERT INTO mail_sends (id, invitation_id, survey_id, campaign_id, email_key, provider, status, created_at, updated_at) \
                 VALUES (?1, ?2, 's_demo', 'cmp_1', ?3, 'postmark', ?4, ?5, ?5)",
                format!("ml_{i}"), format!("inv_{i}"), format!("p{i}@x.example"), status, T1
            ))).unwrap();
        }
        let mut answer = super::super::testing::answer("r_1", 9, T1);
        answer.invitation_id = Some("inv_1".into());
        run(crate::store::ResponseStore::insert_group(
            &s,
            &[(answer, crate::store::Companions::default())],
        ))
        .unwrap();
        let (c, tallies) = run(s.campaign_progress("cmp_1")).unwrap().unwrap();
        assert_eq!(
            tallies,
            Tallies {
                sent: 3,
                bounced: 1,
                mail_suppressed: 0,
                answered: 1
            }
        );
        let view = c.view(&tallies);
        assert_eq!(view.response_rate, Some(1.0 / 3.0));
        assert_eq!(run(s.list_campaigns(10)).unwrap()[0].1, tallies);
    }

    #[test]
    fn a_due_run_starts_once_and_a_stalled_one_is_found() {
        let s = with_survey();
        run(s.insert_campaign(&campaign("cmp_1", CampaignStatus::Scheduled))).unwrap();
        run(s.insert_campaign(&campaign("cmp_2", CampaignStatus::Queuing))).unwrap();
        let woken = run(s.campaigns_to_wake(T1, T0, 10)).unwrap();
        assert_eq!(
            woken.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["cmp_1"]
        );
        let woken = run(s.campaigns_to_wake(T1, T1, 10)).unwrap();
        assert_eq!(woken.len(), 2, "cmp_2 unchanged since T0 is stalled at T1");
        let c = &woken.iter().find(|c| c.id == "cmp_1").unwrap();
        assert!(run(s.start_campaign_run(c, Some("2027-02-01T10:00:00.000Z"), T1)).unwrap());
        assert!(
            !run(s.start_campaign_run(c, None, T1)).unwrap(),
            "started once"
        );
        let c = run(s.get_campaign("cmp_1")).unwrap().unwrap();
        assert_eq!(
            (c.run, c.status, c.chunks_done),
            (1, CampaignStatus::Queuing, 0)
        );
        assert!(run(s.add_campaign_part("cmp_1", 1, 500, 3, T1)).unwrap());
        assert!(
            !run(s.add_campaign_part("cmp_1", 1, 500, 3, T1)).unwrap(),
            "parts moved on"
        );
        let c = run(s.get_campaign("cmp_1")).unwrap().unwrap();
        assert_eq!((c.part_sizes, c.chunks_total), (vec![3, 500], 4));
        assert!(
            run(s.set_campaign_status(
                "cmp_1",
                CampaignStatus::Queuing,
                CampaignStatus::Paused,
                T1
            ))
            .unwrap()
        );
        assert!(run(s.delete_campaign("cmp_1")).unwrap());
        assert!(!run(s.delete_campaign("cmp_1")).unwrap());
    }
}
