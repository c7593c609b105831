//! `responses`: answers, stored exactly once per (survey, Idempotency-Key) and at
//! most once per (survey, order), each with its case, its deliveries and its rollup
//! counts in one batch; and the reads of the reports, lists and throttle.

use super::rollups::{Guard, record, rollup_statements};
use super::{SqlStore, all_rows, cases, deliveries, first_row};
use crate::query;
use crate::store::db::Database;
use crate::store::{
    Companions, Inserted, ResponseStore, StoreError, StoreResult, StoredResponse, SurveyCache,
};
use nps_shared::api::{Channel, Respondent, ResponseView};
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
pub(super) async fn response(db: &impl Database, id: &str) -> StoreResult<Option<StoredResponse>> {
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

impl<D: Database, C: SurveyCache> ResponseStore for SqlStore<D, C> {
    async fn insert_response(
        &self,
        response: &StoredResponse,
        with: &Companions,
    ) -> StoreResult<Inserted> {
        let v = &response.view;
        let mut statements = vec![query!(
            format!(
                "INSERT INTO responses ({RESPONSE_COLUMNS}, category) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) \
                 ON CONFLICT DO NOTHING"
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
        let changed = self.db.batch(statements).await?;
        if changed.first() == Some(&1) {
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
        #[derive(Deserialize)]
        struct Found {
            found: u8,
        }
        let row: Option<Found> = self
            .db
            .first(query!(
                "SELECT 1 AS found FROM responses WHERE survey_id = ?1 AND person_key = ?2 AND created_at > ?3 \
                 AND (?4 IS NULL OR idempotency_key IS NOT ?4) LIMIT 1",
                survey_id,
                person_key,
                since,
                except_key
            ))
            .await?;
        Ok(row.is_some_and(|r| r.found == 1))
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
