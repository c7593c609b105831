//! `responses`: answers, stored exactly once per (survey, Idempotency-Key) and at
//! most once per (survey, order), each with its case, its deliveries and its rollup
//! counts in one batch; and the reads of the reports, lists and throttle.

use super::rollups::{Guard, record, rollup_statements};
use super::{SqlStore, all_rows, cases, deliveries, email_key, first_row};
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{
    Companions, Inserted, ResponseStore, StoreError, StoreResult, StoredResponse, SurveyCache,
};
use nps_shared::api::{Channel, Respondent, ResponseView};
use nps_shared::identity;
use nps_shared::report::{AnswerRecord, Zone};
use nps_shared::rollup::{self, RangeCounts};
use nps_shared::{Category, Score};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub(super) struct ResponseRow {
    id: String,
    survey_id: String,
    score: u8,
    comment: Option<String>,
    channel: String,
    locale: Option<String>,
    page_url: Option<String>,
    respondent_id: Option<String>,
    respondent_email: Option<String>,
    properties: String,
    edit_token: String,
    idempotency_key: Option<String>,
    fingerprint: Option<String>,
    created_at: String,
    updated_at: String,
    order_id: Option<String>,
    invitation_id: Option<String>,
    flagged: Option<String>,
    person_key: Option<String>,
    // Booleans come as 0/1.
    provisional: u8,
}

impl TryFrom<ResponseRow> for StoredResponse {
    type Error = StoreError;
    fn try_from(row: ResponseRow) -> StoreResult<Self> {
        let score =
            Score::try_from(row.score).map_err(|e| StoreError(format!("row {}: {e}", row.id)))?;
        let channel = Channel::parse(&row.channel)
            .ok_or_else(|| StoreError(format!("row {}: bad channel", row.id)))?;
        let properties: BTreeMap<String, String> = serde_json::from_str(&row.properties)?;
        Ok(StoredResponse {
            view: ResponseView {
                id: row.id,
                survey_id: row.survey_id,
                score,
                category: score.category(),
                comment: row.comment,
                channel,
                locale: row.locale,
                page_url: row.page_url,
                respondent: Respondent {
                    id: row.respondent_id,
                    email: row.respondent_email,
                },
                properties,
                created_at: row.created_at,
                updated_at: row.updated_at,
                order_id: row.order_id,
                flagged: row.flagged,
                provisional: row.provisional == 1,
            },
            invitation_id: row.invitation_id,
            person_key: row.person_key,
            edit_token: row.edit_token,
            idempotency_key: row.idempotency_key,
            fingerprint: row.fingerprint,
        })
    }
}

pub(super) const RESPONSE_COLUMNS: &str = "id, survey_id, score, comment, channel, locale, page_url, respondent_id, \
     respondent_email, properties, edit_token, idempotency_key, fingerprint, created_at, updated_at, \
     order_id, invitation_id, flagged, person_key, provisional";

/// What a report reads of an answer.
#[derive(Deserialize)]
struct AnswerRow {
    score: u8,
    created_at: String,
    comment: Option<String>,
    properties: String,
    flagged: Option<String>,
    provisional: u8,
}

fn answer_record(row: AnswerRow) -> StoreResult<AnswerRecord> {
    Ok(AnswerRecord {
        score: Score::try_from(row.score).map_err(|e| StoreError(e.to_string()))?,
        created_at: nps_shared::time::parse_rfc3339(&row.created_at)
            .ok_or_else(|| StoreError(format!("bad created_at {}", row.created_at)))?,
        comment: row.comment,
        properties: serde_json::from_str(&row.properties)?,
        flagged: row.flagged.is_some() || row.provisional == 1,
    })
}

/// One answer by id.
async fn response(db: &impl Database, id: &str) -> StoreResult<Option<StoredResponse>> {
    first_row(
        db,
        query!(
            format!("SELECT {RESPONSE_COLUMNS} FROM responses WHERE id = ?1"),
            id
        ),
        |row: ResponseRow| StoredResponse::try_from(row),
    )
    .await
}

impl<D: Database, C: SurveyCache> SqlStore<D, C> {
    /// An answer moving between counted and flagged: its counters move under
    /// `guard`, then `update` runs, all in one batch.
    async fn restate(
        &self,
        id: &str,
        flagged_now: bool,
        guard: Guard,
        update: Statement,
    ) -> StoreResult<()> {
        let mut statements = Vec::new();
        if let Some(stored) = response(&self.db, id).await? {
            let mut answer = record(&stored.view)?;
            // The change assumes the state the guard checks, not the one just read:
            // a concurrent write may have moved it since.
            answer.flagged = !flagged_now;
            statements = rollup_statements(
                &stored.view.survey_id,
                id,
                &rollup::reflag(&answer, flagged_now),
                guard,
            );
        }
        statements.push(update);
        self.db.batch(statements).await?;
        Ok(())
    }
}

impl<D: Database, C: SurveyCache> ResponseStore for SqlStore<D, C> {
    async fn insert_response(
        &self,
        response: &StoredResponse,
        with: &Companions,
    ) -> StoreResult<Inserted> {
        let v = &response.view;
        let mut statements = vec![query!(
            format!(
                "INSERT INTO responses ({RESPONSE_COLUMNS}, category, respondent_email_key, claimed_id, \
                 claimed_email_key) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, \
                 ?23, ?24) \
                 ON CONFLICT DO NOTHING RETURNING 1 AS done"
            ),
            v.id,
            v.survey_id,
            v.score.value(),
            v.comment,
            v.channel.as_str(),
            v.locale,
            v.page_url,
            v.respondent.id,
            v.respondent.email,
            serde_json::to_string(&v.properties)?,
            response.edit_token,
            response.idempotency_key,
            response.fingerprint,
            v.created_at,
            v.updated_at,
            v.order_id,
            response.invitation_id,
            v.flagged,
            response.person_key,
            v.provisional,
            v.category.as_str(),
            email_key(&v.respondent),
            v.properties.get(identity::CLAIMED_ID),
            v.properties
                .get(identity::CLAIMED_EMAIL)
                .map(|e| nps_shared::validate::normalize_email(e)),
        )];
        // Counted, and its companions stored, only if the insert above stored this
        // id: a replay or a taken order stores nothing and counts nothing.
        statements.extend(rollup_statements(
            &v.survey_id,
            &v.id,
            &rollup::changes(&record(v)?, 1),
            Guard::Stored,
        ));
        if let Some(case) = &with.case {
            statements.push(cases::insert_if_answer_stored(case)?);
        }
        for d in &with.deliveries {
            statements.push(deliveries::insert_if_answer_stored(d, &v.id));
        }
        // The insert returns its row only if it stored one.
        let returned = self.db.batch(statements).await?;
        if returned.first() == Some(&1) {
            return Ok(Inserted::New);
        }
        // Nothing was inserted: which unique rule held it back? The same
        // Idempotency-Key is a replay; otherwise the order was answered before.
        if let Some(key) = response.idempotency_key.as_deref() {
            let existing = first_row(
                &self.db,
                query!(
                    format!(
                        "SELECT {RESPONSE_COLUMNS} FROM responses WHERE survey_id = ?1 AND idempotency_key = ?2"
                    ),
                    v.survey_id,
                    key
                ),
                |row: ResponseRow| StoredResponse::try_from(row),
            )
            .await?;
            if let Some(existing) = existing {
                return Ok(Inserted::Existing(Box::new(existing)));
            }
        }
        if v.order_id.is_some() {
            return Ok(Inserted::OrderTaken);
        }
        Err(StoreError(format!("insert of {} changed nothing", v.id)))
    }

    async fn get_response(&self, id: &str) -> StoreResult<Option<StoredResponse>> {
        response(&self.db, id).await
    }

    async fn answer_for_order(
        &self,
        survey_id: &str,
        order_id: &str,
    ) -> StoreResult<Option<StoredResponse>> {
        first_row(
            &self.db,
            query!(
                format!(
                    "SELECT {RESPONSE_COLUMNS} FROM responses WHERE survey_id = ?1 AND order_id = ?2"
                ),
                survey_id,
                order_id
            ),
            |row: ResponseRow| StoredResponse::try_from(row),
        )
        .await
    }

    async fn report_answers(
        &self,
        survey_id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<AnswerRecord>> {
        all_rows(
            &self.db,
            query!(
                "SELECT score, created_at, comment, properties, flagged, provisional FROM responses WHERE survey_id = ?1 \
                 AND (?2 IS NULL OR created_at >= ?2) AND (?3 IS NULL OR created_at < ?3) ORDER BY created_at, id",
                survey_id,
                from,
                to
            ),
            answer_record,
        )
        .await
    }

    async fn report_quarter_counts(
        &self,
        survey_id: &str,
        first: Option<i64>,
        end: Option<i64>,
        zone: &Zone,
    ) -> StoreResult<RangeCounts> {
        self.quarter_counts(survey_id, first, end, zone).await
    }

    async fn report_counts(
        &self,
        survey_id: &str,
        first_day: Option<i64>,
        end_day: Option<i64>,
        zone: &Zone,
        group_key: Option<&str>,
    ) -> StoreResult<RangeCounts> {
        self.counts(survey_id, first_day, end_day, zone, group_key)
            .await
    }

    async fn first_answer_at(&self, survey_id: &str) -> StoreResult<Option<i64>> {
        self.first_quarter(survey_id).await
    }

    async fn report_sample(
        &self,
        survey_id: &str,
        from: Option<&str>,
        to: Option<&str>,
        include_flagged: bool,
        limit: u32,
    ) -> StoreResult<Vec<AnswerRecord>> {
        let mut answers = all_rows(
            &self.db,
            query!(
                "SELECT score, created_at, comment, properties, flagged, provisional FROM responses WHERE survey_id = ?1 \
                 AND (?2 IS NULL OR created_at >= ?2) AND (?3 IS NULL OR created_at < ?3) \
                 AND (?4 = 1 OR (flagged IS NULL AND provisional = 0)) \
                 ORDER BY created_at DESC, id DESC LIMIT ?5",
                survey_id,
                from,
                to,
                include_flagged,
                limit
            ),
            answer_record,
        )
        .await?;
        answers.reverse();
        Ok(answers)
    }

    async fn answered_since(
        &self,
        survey_id: &str,
        person_key: &str,
        since: &str,
        except_key: Option<&str>,
    ) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "SELECT 1 FROM responses WHERE survey_id = ?1 AND person_key = ?2 AND created_at > ?3 \
                 AND (?4 IS NULL OR idempotency_key IS NOT ?4) LIMIT 1",
                survey_id,
                person_key,
                since,
                except_key
            ))
            .await
    }

    async fn confirm(&self, id: &str) -> StoreResult<()> {
        let update = query!("UPDATE responses SET provisional = 0 WHERE id = ?1", id);
        self.restate(id, false, Guard::ProvisionalOnly, update)
            .await
    }

    async fn flag(&self, id: &str, reason: &str) -> StoreResult<()> {
        let update = query!(
            "UPDATE responses SET flagged = ?2 WHERE id = ?1 AND flagged IS NULL",
            id,
            reason
        );
        self.restate(id, true, Guard::Counted, update).await
    }

    async fn set_comment(
        &self,
        id: &str,
        comment: Option<&str>,
        updated_at: &str,
    ) -> StoreResult<()> {
        self.db
            .run(query!(
                "UPDATE responses SET comment = ?2, updated_at = ?3 WHERE id = ?1",
                id,
                comment,
                updated_at
            ))
            .await?;
        Ok(())
    }

    async fn list_responses(
        &self,
        survey_id: &str,
        category: Option<Category>,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<ResponseView>> {
        all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {RESPONSE_COLUMNS} FROM responses WHERE survey_id = ?1 \
                     AND (?2 IS NULL OR category = ?2) AND (?3 IS NULL OR id < ?3) \
                     ORDER BY id DESC LIMIT ?4"
                ),
                survey_id,
                category.map(Category::as_str),
                before,
                limit
            ),
            |row: ResponseRow| StoredResponse::try_from(row).map(|r| r.view),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{answer, case, delivery, run, with_survey};
    use crate::store::{CaseStore, Companions, DeliveryStore, Inserted, ResponseStore};
    use nps_shared::Category;

    const T0: &str = "2026-11-01T10:00:00.000Z";

    #[test]
    fn an_answer_is_stored_once_per_key_with_its_case_and_deliveries() {
        let s = with_survey();
        let mut first = answer("r_1", 2, T0);
        first.idempotency_key = Some("key-1".into());
        let with = Companions {
            case: Some(case("c_1", &first, Some("anna"))),
            deliveries: vec![delivery("dl_1", "wh_1", "{}", T0)],
        };
        assert_eq!(
            run(s.insert_response(&first, &with)).unwrap(),
            Inserted::New
        );
        // The same key again, under another id: nothing more is stored.
        let mut again = answer("r_2", 2, T0);
        again.idempotency_key = Some("key-1".into());
        let replay = Companions {
            case: Some(case("c_2", &again, None)),
            deliveries: vec![delivery("dl_2", "wh_1", "{}", T0)],
        };
        match run(s.insert_response(&again, &replay)).unwrap() {
            Inserted::Existing(previous) => assert_eq!(previous.view.id, "r_1"),
            other => panic!("expected the earlier answer, got {other:?}"),
        }
        assert!(run(s.get_response("r_2")).unwrap().is_none());
        assert!(
            run(s.get_case("c_2")).unwrap().is_none(),
            "no case without its answer"
        );
        assert!(run(s.get_delivery("dl_2")).unwrap().is_none());
        assert_eq!(
            run(s.case_for_response("r_1")).unwrap().unwrap().view.id,
            "c_1"
        );
        assert!(run(s.get_delivery("dl_1")).unwrap().is_some());
    }

    #[test]
    fn an_order_takes_one_answer() {
        let s = with_survey();
        let mut first = answer("r_1", 9, T0);
        first.view.order_id = Some("1001".into());
        let mut second = answer("r_2", 3, T0);
        second.view.order_id = Some("1001".into());
        let none = Companions::default();
        assert_eq!(
            run(s.insert_response(&first, &none)).unwrap(),
            Inserted::New
        );
        assert_eq!(
            run(s.insert_response(&second, &none)).unwrap(),
            Inserted::OrderTaken
        );
        let taken = run(s.answer_for_order("s_demo", "1001")).unwrap().unwrap();
        assert_eq!(taken.view.id, "r_1");
    }

    #[test]
    fn lists_are_newest_first_filtered_and_continued_after_a_cursor() {
        let s = with_survey();
        for (id, score) in [("r_1", 1), ("r_2", 9), ("r_3", 2), ("r_4", 10)] {
            run(s.insert_response(&answer(id, score, T0), &Companions::default())).unwrap();
        }
        let ids = |items: Vec<nps_shared::api::ResponseView>| {
            items.into_iter().map(|r| r.id).collect::<Vec<_>>()
        };
        let all = run(s.list_responses("s_demo", None, None, 10)).unwrap();
        assert_eq!(ids(all), ["r_4", "r_3", "r_2", "r_1"]);
        let detractors = run(s.list_responses("s_demo", Some(Category::Detractor), None, 10));
        assert_eq!(ids(detractors.unwrap()), ["r_3", "r_1"]);
        let after = run(s.list_responses("s_demo", None, Some("r_3"), 1)).unwrap();
        assert_eq!(ids(after), ["r_2"]);
    }

    #[test]
    fn the_throttle_finds_a_person_s_earlier_answer_but_not_the_replayed_one() {
        let s = with_survey();
        let mut kim = answer("r_1", 7, T0);
        kim.person_key = Some("p-kim".into());
        kim.idempotency_key = Some("key-1".into());
        run(s.insert_response(&kim, &Companions::default())).unwrap();
        let since = "2026-10-01T00:00:00.000Z";
        assert!(run(s.answered_since("s_demo", "p-kim", since, None)).unwrap());
        assert!(!run(s.answered_since("s_demo", "p-kim", since, Some("key-1"))).unwrap());
        assert!(!run(s.answered_since("s_demo", "p-ben", since, None)).unwrap());
        assert!(
            !run(s.answered_since("s_demo", "p-kim", T0, None)).unwrap(),
            "after, not at"
        );
    }

    #[test]
    fn flagged_and_provisional_answers_leave_the_sample_until_confirmed() {
        let s = with_survey();
        let none = Companions::default();
        run(s.insert_response(&answer("r_1", 9, T0), &none)).unwrap();
        let mut mail = answer("r_2", 3, "2026-11-01T11:00:00.000Z");
        mail.view.provisional = true;
        run(s.insert_response(&mail, &none)).unwrap();
        let sample = |flagged| run(s.report_sample("s_demo", None, None, flagged, 10)).unwrap();
        assert_eq!(sample(false).len(), 1);
        assert_eq!(
            sample(true).len(),
            2,
            "oldest first, flagged ones included on request"
        );
        run(s.confirm("r_2")).unwrap();
        assert_eq!(sample(false).len(), 2);
        run(s.flag("r_1", "scanner")).unwrap();
        run(s.flag("r_1", "a second reason is not kept")).unwrap();
        assert_eq!(sample(false).len(), 1);
        let r1 = run(s.get_response("r_1")).unwrap().unwrap();
        assert_eq!(r1.view.flagged.as_deref(), Some("scanner"));
        run(s.set_comment("r_2", Some("late"), "2026-11-01T12:00:00.000Z")).unwrap();
        let r2 = run(s.get_response("r_2")).unwrap().unwrap();
        assert_eq!(r2.view.comment.as_deref(), Some("late"));
        assert!(!r2.view.provisional);
    }
}
