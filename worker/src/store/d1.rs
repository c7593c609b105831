//! The D1 (SQLite) implementation of the storage traits. SQL lives here and nowhere
//! else; rows are decoded into the shared wire types. D1 hands integers over as JS
//! numbers, so only small integers (scores, limits) are bound.

use super::{
    CaseFilter, CaseStore, Companions, Delivery, DeliveryStore, Endpoint, Inserted,
    InvitationStore, RateLimitStore, RespondentRecords, RespondentStore, ResponseStore, StoreError,
    StoreResult, StoredCase, StoredResponse, SurveyStore, WebhookStore, Who,
};
use nps_shared::api::{
    AttemptView, Channel, DeliveryStatus, DeliveryView, EventType, Invitation, Respondent,
    ResponseView, SurveyView, WebhookFormat, WebhookView,
};
use nps_shared::case::{CaseStatus, CaseView, win_back};
use nps_shared::report::{AnswerRecord, Distribution, Zone};
use nps_shared::rollup::{self, RangeCounts};
use nps_shared::{Category, Score};
use serde::Deserialize;
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;
use worker::D1Database;

pub struct D1Store {
    db: D1Database,
}

impl D1Store {
    pub fn new(db: D1Database) -> Self {
        D1Store { db }
    }
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn nullable(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// Every row `statement` returns, each turned into a `T` by `convert` (the row types'
/// checks): how lists are read from D1.
async fn all_rows<Row: serde::de::DeserializeOwned, T>(
    statement: worker::D1PreparedStatement,
    convert: impl Fn(Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    statement
        .all()
        .await?
        .results::<Row>()?
        .into_iter()
        .map(convert)
        .collect()
}

#[derive(Deserialize)]
struct SurveyRow {
    id: String,
    definition: String,
    created_at: String,
    updated_at: String,
}

impl TryFrom<SurveyRow> for SurveyView {
    type Error = StoreError;
    fn try_from(row: SurveyRow) -> StoreResult<Self> {
        Ok(SurveyView {
            id: row.id,
            definition: serde_json::from_str(&row.definition)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(Deserialize)]
struct ResponseRow {
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
    // D1 hands booleans over as 0/1.
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

#[derive(Deserialize)]
struct EndpointRow {
    id: String,
    url: String,
    format: String,
    secret: String,
    events: String,
    filter: String,
    description: Option<String>,
    created_at: String,
}

impl TryFrom<EndpointRow> for Endpoint {
    type Error = StoreError;
    fn try_from(row: EndpointRow) -> StoreResult<Self> {
        let format = WebhookFormat::parse(&row.format)
            .ok_or_else(|| StoreError(format!("endpoint {}: bad format", row.id)))?;
        Ok(Endpoint {
            view: WebhookView {
                id: row.id,
                url: row.url,
                format,
                events: serde_json::from_str(&row.events)?,
                filter: serde_json::from_str(&row.filter)?,
                description: row.description,
                created_at: row.created_at,
            },
            secret: row.secret,
        })
    }
}

const RESPONSE_COLUMNS: &str = "id, survey_id, score, comment, channel, locale, page_url, respondent_id, \
     respondent_email, properties, edit_token, idempotency_key, fingerprint, created_at, updated_at, \
     order_id, invitation_id, flagged, person_key, provisional";

impl SurveyStore for D1Store {
    async fn get_survey(&self, id: &str) -> StoreResult<Option<SurveyView>> {
        let row: Option<SurveyRow> = self
            .db
            .prepare("SELECT id, definition, created_at, updated_at FROM surveys WHERE id = ?1")
            .bind(&[text(id)])?
            .first(None)
            .await?;
        row.map(SurveyView::try_from).transpose()
    }

    async fn list_surveys(&self) -> StoreResult<Vec<SurveyView>> {
        all_rows::<SurveyRow, _>(
            self.db
                .prepare("SELECT id, definition, created_at, updated_at FROM surveys ORDER BY created_at, id"),
            SurveyView::try_from,
        )
        .await
    }

    async fn insert_survey(&self, survey: &SurveyView) -> StoreResult<bool> {
        let result = self
            .db
            .prepare(
                "INSERT INTO surveys (id, definition, created_at, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&[
                text(&survey.id),
                text(&serde_json::to_string(&survey.definition)?),
                text(&survey.created_at),
                text(&survey.updated_at),
            ])?
            .run()
            .await?;
        Ok(changes(&result)? == 1)
    }

    async fn update_survey(&self, survey: &SurveyView) -> StoreResult<()> {
        self.db
            .prepare("UPDATE surveys SET definition = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(&[
                text(&survey.id),
                text(&serde_json::to_string(&survey.definition)?),
                text(&survey.updated_at),
            ])?
            .run()
            .await?;
        Ok(())
    }
}

fn changes(result: &worker::D1Result) -> StoreResult<usize> {
    if let Some(error) = result.error() {
        return Err(StoreError(error));
    }
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

/// The SQL condition under which a rollup change applies, checked inside the same
/// batch as the write: `?G` is the answer's id, `?S` its flagged state (0 or 1).
#[derive(Clone, Copy)]
enum Guard {
    /// The answer is stored (after its insert).
    Stored,
    /// The answer is stored and its flagged state is `?S` (before the write).
    InState(bool),
    /// The answer is counted and not flagged (before a flag).
    Counted,
    /// The answer is provisional and not flagged (before a confirm).
    ProvisionalOnly,
}

impl Guard {
    fn sql(self, g: usize) -> String {
        let state = "(flagged IS NOT NULL OR provisional = 1)";
        match self {
            Guard::Stored => format!("EXISTS (SELECT 1 FROM responses WHERE id = ?{g})"),
            Guard::InState(_) => {
                format!(
                    "EXISTS (SELECT 1 FROM responses WHERE id = ?{g} AND {state} = ?{})",
                    g + 1
                )
            }
            Guard::Counted => format!(
                "EXISTS (SELECT 1 FROM responses WHERE id = ?{g} AND flagged IS NULL AND provisional = 0)"
            ),
            Guard::ProvisionalOnly => format!(
                "EXISTS (SELECT 1 FROM responses WHERE id = ?{g} AND flagged IS NULL AND provisional = 1)"
            ),
        }
    }

    fn binds(self, id: &str) -> Vec<JsValue> {
        match self {
            Guard::InState(flagged) => vec![text(id), JsValue::from(u8::from(flagged))],
            _ => vec![text(id)],
        }
    }
}

fn number(n: i64) -> JsValue {
    // Days and quarter-hours since 1970 are far inside a double's exact integers.
    JsValue::from_f64(n as f64)
}

impl D1Store {
    /// One statement per counter change, each applied only under `guard` (see
    /// [`Guard`]), to go into the same batch as the answer's write.
    fn rollup_statements(
        &self,
        survey_id: &str,
        id: &str,
        changes: &[rollup::Change],
        guard: Guard,
    ) -> StoreResult<Vec<worker::D1PreparedStatement>> {
        changes
            .iter()
            .map(|c| {
                let s = format!("s{}", c.score.value());
                let (sql, mut binds) = match &c.cell {
                    rollup::Cell::Time { quarter } => (
                        format!(
                            "INSERT INTO rollup_time (survey_id, quarter, flagged, {s})                              SELECT ?1, ?2, ?3, ?4 WHERE {}                              ON CONFLICT (survey_id, quarter, flagged) DO UPDATE SET {s} = {s} + excluded.{s}",
                            guard.sql(5)
                        ),
                        vec![
                            text(survey_id),
                            number(*quarter),
                            JsValue::from(u8::from(c.flagged)),
                            number(c.delta),
                        ],
                    ),
                    rollup::Cell::Property { key, value, day } => (
                        format!(
                            "INSERT INTO rollup_property (survey_id, key, day, value, flagged, {s})                              SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE {}                              ON CONFLICT (survey_id, key, day, value, flagged) DO UPDATE SET {s} = {s} + excluded.{s}",
                            guard.sql(7)
                        ),
                        vec![
                            text(survey_id),
                            text(key),
                            number(*day),
                            text(value),
                            JsValue::from(u8::from(c.flagged)),
                            number(c.delta),
                        ],
                    ),
                };
                binds.extend(guard.binds(id));
                Ok(self.db.prepare(sql).bind(&binds)?)
            })
            .collect()
    }

    /// An answer moving between counted and flagged: its counters move under
    /// `guard`, then `update` runs, all in one batch.
    async fn restate(
        &self,
        id: &str,
        flagged_now: bool,
        guard: Guard,
        update: worker::D1PreparedStatement,
    ) -> StoreResult<()> {
        let mut statements = Vec::new();
        if let Some(stored) = self.get_response(id).await? {
            let mut answer = AnswerRecord::try_from(&stored.view)
                .map_err(|e| StoreError(format!("answer {id}: {e}")))?;
            // The change assumes the state the guard checks, not the one just read:
            // a concurrent write may have moved it since.
            answer.flagged = !flagged_now;
            statements = self.rollup_statements(
                &stored.view.survey_id,
                id,
                &rollup::reflag(&answer, flagged_now),
                guard,
            )?;
        }
        statements.push(update);
        self.run_batch(statements).await
    }
}

impl D1Store {
    async fn run_batch(&self, statements: Vec<worker::D1PreparedStatement>) -> StoreResult<()> {
        for result in self.db.batch(statements).await? {
            if let Some(error) = result.error() {
                return Err(StoreError(error));
            }
        }
        Ok(())
    }
}

const SUMS: &str = "SUM(s0) AS s0, SUM(s1) AS s1, SUM(s2) AS s2, SUM(s3) AS s3, SUM(s4) AS s4, \
     SUM(s5) AS s5, SUM(s6) AS s6, SUM(s7) AS s7, SUM(s8) AS s8, SUM(s9) AS s9, SUM(s10) AS s10";

/// A row of summed counters: a local day's (`quarter`) or a value's. Fields are
/// spelt out: `serde(flatten)` would buffer D1's numbers as floats.
#[derive(Deserialize)]
struct Sums {
    #[serde(default)]
    quarter: Option<i64>,
    #[serde(default)]
    value: Option<String>,
    flagged: u8,
    s0: u64,
    s1: u64,
    s2: u64,
    s3: u64,
    s4: u64,
    s5: u64,
    s6: u64,
    s7: u64,
    s8: u64,
    s9: u64,
    s10: u64,
}

impl From<&Sums> for Distribution {
    fn from(s: &Sums) -> Self {
        Distribution([
            s.s0, s.s1, s.s2, s.s3, s.s4, s.s5, s.s6, s.s7, s.s8, s.s9, s.s10,
        ])
    }
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

#[derive(Deserialize)]
struct AnswerRow {
    score: u8,
    created_at: String,
    comment: Option<String>,
    properties: String,
    flagged: Option<String>,
    provisional: u8,
}

impl ResponseStore for D1Store {
    async fn insert_response(
        &self,
        response: &StoredResponse,
        with: &Companions,
    ) -> StoreResult<Inserted> {
        let v = &response.view;
        let record =
            AnswerRecord::try_from(v).map_err(|e| StoreError(format!("answer {}: {e}", v.id)))?;
        let insert = self
            .db
            .prepare(format!(
                "INSERT INTO responses ({RESPONSE_COLUMNS}, category) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) \
                 ON CONFLICT DO NOTHING"
            ))
            .bind(&[
                text(&v.id),
                text(&v.survey_id),
                JsValue::from(v.score.value()),
                nullable(v.comment.as_deref()),
                text(v.channel.as_str()),
                nullable(v.locale.as_deref()),
                nullable(v.page_url.as_deref()),
                nullable(v.respondent.id.as_deref()),
                nullable(v.respondent.email.as_deref()),
                text(&serde_json::to_string(&v.properties)?),
                text(&response.edit_token),
                nullable(response.idempotency_key.as_deref()),
                nullable(response.fingerprint.as_deref()),
                text(&v.created_at),
                text(&v.updated_at),
                nullable(v.order_id.as_deref()),
                nullable(response.invitation_id.as_deref()),
                nullable(v.flagged.as_deref()),
                nullable(response.person_key.as_deref()),
                JsValue::from(u8::from(v.provisional)),
                text(v.category.as_str()),
            ])?;
        let mut statements = vec![insert];
        // Counted only if the insert above stored this id: a replay or a taken order
        // stores nothing and counts nothing.
        statements.extend(self.rollup_statements(
            &v.survey_id,
            &v.id,
            &rollup::changes(&record, 1),
            Guard::Stored,
        )?);
        if let Some(case) = &with.case {
            statements.push(self.case_insert(case)?);
        }
        for d in &with.deliveries {
            statements.push(self.delivery_insert_if_stored(d, &v.id)?);
        }
        let results = self.db.batch(statements).await?;
        let result = results
            .first()
            .ok_or_else(|| StoreError("the insert batch returned nothing".into()))?;
        if changes(result)? == 1 {
            return Ok(Inserted::New);
        }
        // Nothing was inserted: which unique rule held it back? The same
        // Idempotency-Key is a replay; otherwise the order was answered before.
        if let Some(key) = response.idempotency_key.as_deref() {
            let existing: Option<ResponseRow> = self
                .db
                .prepare(format!(
                    "SELECT {RESPONSE_COLUMNS} FROM responses WHERE survey_id = ?1 AND idempotency_key = ?2"
                ))
                .bind(&[text(&v.survey_id), text(key)])?
                .first(None)
                .await?;
            if let Some(existing) = existing {
                return Ok(Inserted::Existing(Box::new(existing.try_into()?)));
            }
        }
        if v.order_id.is_some() {
            return Ok(Inserted::OrderTaken);
        }
        Err(StoreError(format!("insert of {} changed nothing", v.id)))
    }

    async fn get_response(&self, id: &str) -> StoreResult<Option<StoredResponse>> {
        let row: Option<ResponseRow> = self
            .db
            .prepare(format!(
                "SELECT {RESPONSE_COLUMNS} FROM responses WHERE id = ?1"
            ))
            .bind(&[text(id)])?
            .first(None)
            .await?;
        row.map(StoredResponse::try_from).transpose()
    }

    async fn answer_for_order(
        &self,
        survey_id: &str,
        order_id: &str,
    ) -> StoreResult<Option<StoredResponse>> {
        let row: Option<ResponseRow> = self
            .db
            .prepare(format!(
                "SELECT {RESPONSE_COLUMNS} FROM responses WHERE survey_id = ?1 AND order_id = ?2"
            ))
            .bind(&[text(survey_id), text(order_id)])?
            .first(None)
            .await?;
        row.map(StoredResponse::try_from).transpose()
    }

    async fn report_answers(
        &self,
        survey_id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<AnswerRecord>> {
        all_rows::<AnswerRow, _>(
            self.db
                .prepare(
                    "SELECT score, created_at, comment, properties, flagged, provisional FROM responses WHERE survey_id = ?1 \
                     AND (?2 IS NULL OR created_at >= ?2) AND (?3 IS NULL OR created_at < ?3) ORDER BY created_at, id",
                )
                .bind(&[text(survey_id), nullable(from), nullable(to)])?,
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
        let days = [
            first_day.map_or(JsValue::NULL, number),
            end_day.map_or(JsValue::NULL, number),
        ];
        // Merged per local day in SQL (the +10 days keep the dividend positive, so
        // SQLite's truncating division floors): one row per day, not per quarter-hour.
        let times: Vec<Sums> = self
            .db
            .prepare(format!(
                "SELECT MIN(quarter) AS quarter, flagged, {SUMS} FROM rollup_time WHERE survey_id = ?1 \
                 AND (?2 IS NULL OR quarter >= ?2 * 96) AND (?3 IS NULL OR quarter < ?3 * 96) \
                 GROUP BY (quarter * 900 + {offset} + 864000) / 86400, flagged",
                offset = offset_seconds_sql(zone),
            ))
            .bind(&[text(survey_id), days[0].clone(), days[1].clone()])?
            .all()
            .await?
            .results()?;
        let mut counts = RangeCounts::default();
        for row in &times {
            let quarter = row
                .quarter
                .ok_or_else(|| StoreError("a day of rollups without its quarter".into()))?;
            counts
                .times
                .entry((quarter * rollup::QUARTER_MS, row.flagged == 1))
                .or_default()
                .merge(&Distribution::from(row));
        }
        if let Some(key) = group_key.filter(|k| rollup::is_rolled_up(k)) {
            let values: Vec<Sums> = self
                .db
                .prepare(format!(
                    "SELECT value, flagged, {SUMS} FROM rollup_property WHERE survey_id = ?1 AND key = ?2 \
                     AND (?3 IS NULL OR day >= ?3) AND (?4 IS NULL OR day < ?4) GROUP BY value, flagged"
                ))
                .bind(&[text(survey_id), text(key), days[0].clone(), days[1].clone()])?
                .all()
                .await?
                .results()?;
            for row in &values {
                let value = row.value.clone().unwrap_or_default();
                counts
                    .values
                    .entry((value, row.flagged == 1))
                    .or_default()
                    .merge(&Distribution::from(row));
            }
        }
        Ok(counts)
    }

    async fn first_answer_at(&self, survey_id: &str) -> StoreResult<Option<i64>> {
        #[derive(serde::Deserialize)]
        struct First {
            quarter: Option<i64>,
        }
        let first: Option<First> = self
            .db
            .prepare("SELECT MIN(quarter) AS quarter FROM rollup_time WHERE survey_id = ?1")
            .bind(&[text(survey_id)])?
            .first(None)
            .await?;
        Ok(first
            .and_then(|f| f.quarter)
            .map(|quarter| quarter * rollup::QUARTER_MS))
    }
    async fn report_sample(
        &self,
        survey_id: &str,
        from: Option<&str>,
        to: Option<&str>,
        include_flagged: bool,
        limit: u32,
    ) -> StoreResult<Vec<AnswerRecord>> {
        let mut answers = all_rows::<AnswerRow, _>(
            self.db
                .prepare(
                    "SELECT score, created_at, comment, properties, flagged, provisional FROM responses WHERE survey_id = ?1 \
                     AND (?2 IS NULL OR created_at >= ?2) AND (?3 IS NULL OR created_at < ?3) \
                     AND (?4 = 1 OR (flagged IS NULL AND provisional = 0)) \
                     ORDER BY created_at DESC, id DESC LIMIT ?5",
                )
                .bind(&[
                    text(survey_id),
                    nullable(from),
                    nullable(to),
                    JsValue::from(u8::from(include_flagged)),
                    JsValue::from(limit),
                ])?,
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
            .prepare(
                "SELECT 1 AS found FROM responses WHERE survey_id = ?1 AND person_key = ?2 AND created_at > ?3 \
                 AND (?4 IS NULL OR idempotency_key IS NOT ?4) LIMIT 1",
            )
            .bind(&[text(survey_id), text(person_key), text(since), nullable(except_key)])?
            .first(None)
            .await?;
        Ok(row.is_some_and(|r| r.found == 1))
    }

    async fn confirm(&self, id: &str) -> StoreResult<()> {
        let update = self
            .db
            .prepare("UPDATE responses SET provisional = 0 WHERE id = ?1")
            .bind(&[text(id)])?;
        self.restate(id, false, Guard::ProvisionalOnly, update)
            .await
    }

    async fn flag(&self, id: &str, reason: &str) -> StoreResult<()> {
        let update = self
            .db
            .prepare("UPDATE responses SET flagged = ?2 WHERE id = ?1 AND flagged IS NULL")
            .bind(&[text(id), text(reason)])?;
        self.restate(id, true, Guard::Counted, update).await
    }

    async fn set_comment(
        &self,
        id: &str,
        comment: Option<&str>,
        updated_at: &str,
    ) -> StoreResult<()> {
        self.db
            .prepare("UPDATE responses SET comment = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(&[text(id), nullable(comment), text(updated_at)])?
            .run()
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
        all_rows::<ResponseRow, _>(
            self.db
                .prepare(format!(
                    "SELECT {RESPONSE_COLUMNS} FROM responses WHERE survey_id = ?1 \
                     AND (?2 IS NULL OR category = ?2) AND (?3 IS NULL OR id < ?3) \
                     ORDER BY id DESC LIMIT ?4"
                ))
                .bind(&[
                    text(survey_id),
                    nullable(category.map(Category::as_str)),
                    nullable(before),
                    JsValue::from(limit),
                ])?,
            |row| StoredResponse::try_from(row).map(|r| r.view),
        )
        .await
    }
}

const ENDPOINT_COLUMNS: &str = "id, url, secret, events, filter, description, created_at, format";

impl WebhookStore for D1Store {
    async fn insert_endpoint(&self, endpoint: &Endpoint) -> StoreResult<()> {
        let v = &endpoint.view;
        self.db
            .prepare(format!(
                "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ))
            .bind(&[
                text(&v.id),
                text(&v.url),
                text(&endpoint.secret),
                text(&serde_json::to_string(&v.events)?),
                text(&serde_json::to_string(&v.filter)?),
                nullable(v.description.as_deref()),
                text(&v.created_at),
                text(v.format.as_str()),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn list_endpoints(&self) -> StoreResult<Vec<Endpoint>> {
        all_rows::<EndpointRow, _>(
            self.db.prepare(format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id"
            )),
            Endpoint::try_from,
        )
        .await
    }

    async fn get_endpoint(&self, id: &str) -> StoreResult<Option<Endpoint>> {
        let row: Option<EndpointRow> = self
            .db
            .prepare(format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"
            ))
            .bind(&[text(id)])?
            .first(None)
            .await?;
        row.map(Endpoint::try_from).transpose()
    }

    async fn delete_endpoint(&self, id: &str) -> StoreResult<bool> {
        let result = self
            .db
            .prepare("DELETE FROM webhook_endpoints WHERE id = ?1")
            .bind(&[text(id)])?
            .run()
            .await?;
        Ok(changes(&result)? == 1)
    }
}

#[derive(Deserialize)]
struct DeliveryRow {
    id: String,
    endpoint_id: String,
    event_type: String,
    payload: String,
    status: String,
    attempts: u32,
    round_start: u32,
    next_attempt_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;
    fn try_from(row: DeliveryRow) -> StoreResult<Self> {
        let bad = |what: &str| StoreError(format!("delivery {}: bad {what}", row.id));
        Ok(Delivery {
            event_type: EventType::parse(&row.event_type).ok_or_else(|| bad("event type"))?,
            status: DeliveryStatus::parse(&row.status).ok_or_else(|| bad("status"))?,
            id: row.id,
            endpoint_id: row.endpoint_id,
            payload: row.payload,
            attempts: row.attempts,
            round_start: row.round_start,
            next_attempt_at: row.next_attempt_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(Deserialize)]
struct AttemptRow {
    delivery_id: String,
    attempt: u32,
    attempted_at: String,
    status_code: Option<u16>,
    latency_ms: u32,
    response_body: Option<String>,
    error: Option<String>,
    next_attempt_at: Option<String>,
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_type, payload, status, attempts, round_start, \
     next_attempt_at, created_at, updated_at";

fn delivery_values(d: &Delivery) -> Vec<JsValue> {
    vec![
        text(&d.id),
        text(&d.endpoint_id),
        text(d.event_type.as_str()),
        text(&d.payload),
        text(d.status.as_str()),
        JsValue::from(d.attempts),
        JsValue::from(d.round_start),
        nullable(d.next_attempt_at.as_deref()),
        text(&d.created_at),
        text(&d.updated_at),
    ]
}

impl D1Store {
    fn update_delivery_statement(&self, d: &Delivery) -> StoreResult<worker::D1PreparedStatement> {
        Ok(self
            .db
            .prepare(
                "UPDATE deliveries SET status = ?2, attempts = ?3, round_start = ?4, next_attempt_at = ?5, \
                 updated_at = ?6 WHERE id = ?1",
            )
            .bind(&[
                text(&d.id),
                text(d.status.as_str()),
                JsValue::from(d.attempts),
                JsValue::from(d.round_start),
                nullable(d.next_attempt_at.as_deref()),
                text(&d.updated_at),
            ])?)
    }
}

impl DeliveryStore for D1Store {
    async fn insert_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()> {
        let statements = deliveries
            .iter()
            .map(|d| {
                self.db
                    .prepare(format!(
                        "INSERT INTO deliveries ({DELIVERY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                    ))
                    .bind(&delivery_values(d))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !statements.is_empty() {
            self.db.batch(statements).await?;
        }
        Ok(())
    }

    async fn get_delivery(&self, id: &str) -> StoreResult<Option<Delivery>> {
        let row: Option<DeliveryRow> = self
            .db
            .prepare(format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?1"
            ))
            .bind(&[text(id)])?
            .first(None)
            .await?;
        row.map(Delivery::try_from).transpose()
    }

    async fn update_delivery(&self, delivery: &Delivery) -> StoreResult<()> {
        self.update_delivery_statement(delivery)?.run().await?;
        Ok(())
    }

    async fn record_attempt(&self, delivery: &Delivery, a: &AttemptView) -> StoreResult<()> {
        let insert = self
            .db
            .prepare(
                "INSERT INTO delivery_attempts (delivery_id, attempt, attempted_at, status_code, latency_ms, \
                 response_body, error, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (delivery_id, attempt) DO NOTHING",
            )
            .bind(&[
                text(&delivery.id),
                JsValue::from(a.attempt),
                text(&a.attempted_at),
                a.status_code.map_or(JsValue::NULL, JsValue::from),
                JsValue::from(a.latency_ms),
                nullable(a.response_body.as_deref()),
                nullable(a.error.as_deref()),
                nullable(a.next_attempt_at.as_deref()),
            ])?;
        self.db
            .batch(vec![insert, self.update_delivery_statement(delivery)?])
            .await?;
        Ok(())
    }

    async fn list_deliveries(
        &self,
        endpoint_id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryView>> {
        let deliveries: Vec<Delivery> = all_rows::<DeliveryRow, _>(
            self.db
                .prepare(format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE endpoint_id = ?1 AND (?2 IS NULL OR id < ?2) \
                     ORDER BY id DESC LIMIT ?3"
                ))
                .bind(&[text(endpoint_id), nullable(before), JsValue::from(limit)])?,
            Delivery::try_from,
        )
        .await?;
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        // One query for the attempts of the whole page (ids are bound, never spliced in).
        let placeholders: Vec<String> = (1..=deliveries.len()).map(|i| format!("?{i}")).collect();
        let ids: Vec<JsValue> = deliveries.iter().map(|d| text(&d.id)).collect();
        let attempts: Vec<AttemptRow> = self
            .db
            .prepare(format!(
                "SELECT delivery_id, attempt, attempted_at, status_code, latency_ms, response_body, error, \
                 next_attempt_at FROM delivery_attempts WHERE delivery_id IN ({}) ORDER BY delivery_id, attempt",
                placeholders.join(", ")
            ))
            .bind(&ids)?
            .all()
            .await?
            .results()?;
        Ok(deliveries
            .iter()
            .map(|d| {
                let mine = attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id)
                    .map(|a| AttemptView {
                        attempt: a.attempt,
                        attempted_at: a.attempted_at.clone(),
                        status_code: a.status_code,
                        latency_ms: a.latency_ms,
                        response_body: a.response_body.clone(),
                        error: a.error.clone(),
                        next_attempt_at: a.next_attempt_at.clone(),
                    })
                    .collect();
                d.view(mine)
            })
            .collect())
    }

    async fn overdue_deliveries(&self, due_before: &str, limit: u32) -> StoreResult<Vec<String>> {
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        all_rows::<Id, _>(
            self.db
                .prepare(
                    "SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at < ?1 \
                     ORDER BY next_attempt_at LIMIT ?2",
                )
                .bind(&[text(due_before), JsValue::from(limit)])?,
            |row| Ok(row.id),
        )
        .await
    }
}

#[derive(Deserialize)]
struct CaseRow {
    id: String,
    survey_id: String,
    response_id: String,
    score: u8,
    status: String,
    owner: Option<String>,
    due_at: String,
    respondent_id: Option<String>,
    respondent_email: Option<String>,
    reasked_score: Option<u8>,
    timeline: String,
    created_at: String,
    updated_at: String,
    /// From the answer that opened the case (`LEFT JOIN responses`): `None` only if
    /// that answer is gone.
    answer_id: Option<String>,
    comment: Option<String>,
    answer_respondent_id: Option<String>,
    answer_respondent_email: Option<String>,
}

impl TryFrom<CaseRow> for StoredCase {
    type Error = StoreError;
    fn try_from(row: CaseRow) -> StoreResult<Self> {
        let bad = |what: &str| StoreError(format!("case {}: bad {what}", row.id));
        let score = Score::try_from(row.score).map_err(|_| bad("score"))?;
        let reasked_score = row
            .reasked_score
            .map(Score::try_from)
            .transpose()
            .map_err(|_| bad("reasked score"))?;
        let kept = Respondent {
            id: row.respondent_id,
            email: row.respondent_email,
        };
        // Who the answer names; the case's own copy (taken from the same answer when
        // it opened) if the answer were ever gone.
        let answered_by = if row.answer_id.is_some() {
            Respondent {
                id: row.answer_respondent_id,
                email: row.answer_respondent_email,
            }
        } else {
            kept.clone()
        };
        Ok(StoredCase {
            view: CaseView {
                status: CaseStatus::parse(&row.status).ok_or_else(|| bad("status"))?,
                timeline: serde_json::from_str(&row.timeline)?,
                id: row.id,
                survey_id: row.survey_id,
                response_id: row.response_id,
                score,
                owner: row.owner,
                due_at: row.due_at,
                overdue: false,
                created_at: row.created_at,
                updated_at: row.updated_at,
                reasked_score,
                win_back: reasked_score.map(|after| win_back(score, after)),
                comment: row.comment,
                respondent: answered_by,
            },
            respondent: kept,
        })
    }
}

const CASE_COLUMNS: &str = "id, survey_id, response_id, score, status, owner, due_at, respondent_id, \
     respondent_email, reasked_score, timeline, created_at, updated_at";

/// Reads cases (`c`) with the comment and respondent of the answer that opened each
/// (`r`), in one query: the comment as it is now, also when it was added after the
/// case opened. Conditions after it name the case's columns as `c.…`.
const CASE_SELECT: &str = "SELECT c.id AS id, c.survey_id AS survey_id, c.response_id AS response_id, \
     c.score AS score, c.status AS status, c.owner AS owner, c.due_at AS due_at, \
     c.respondent_id AS respondent_id, c.respondent_email AS respondent_email, \
     c.reasked_score AS reasked_score, c.timeline AS timeline, c.created_at AS created_at, \
     c.updated_at AS updated_at, r.id AS answer_id, r.comment AS comment, \
     r.respondent_id AS answer_respondent_id, r.respondent_email AS answer_respondent_email \
     FROM cases c LEFT JOIN responses r ON r.id = c.response_id";

impl D1Store {
    /// The insert of the case an answer opens, only if that answer is stored (in the
    /// answer's own batch).
    fn case_insert(&self, case: &StoredCase) -> StoreResult<worker::D1PreparedStatement> {
        let v = &case.view;
        let mut binds = vec![
            text(&v.id),
            text(&v.survey_id),
            text(&v.response_id),
            JsValue::from(v.score.value()),
            text(v.status.as_str()),
            nullable(v.owner.as_deref()),
            text(&v.due_at),
            nullable(case.respondent.id.as_deref()),
            nullable(case.respondent.email.as_deref()),
            v.reasked_score
                .map_or(JsValue::NULL, |s| JsValue::from(s.value())),
            text(&serde_json::to_string(&v.timeline)?),
            text(&v.created_at),
            text(&v.updated_at),
        ];
        binds.push(text(&v.response_id));
        Ok(self
            .db
            .prepare(format!(
                "INSERT INTO cases ({CASE_COLUMNS}) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 \
                 WHERE EXISTS (SELECT 1 FROM responses WHERE id = ?14)"
            ))
            .bind(&binds)?)
    }

    /// The insert of a delivery, only if the answer it announces is stored.
    fn delivery_insert_if_stored(
        &self,
        d: &Delivery,
        response_id: &str,
    ) -> StoreResult<worker::D1PreparedStatement> {
        let mut binds = delivery_values(d);
        binds.push(text(response_id));
        Ok(self
            .db
            .prepare(format!(
                "INSERT INTO deliveries ({DELIVERY_COLUMNS}) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 \
                 WHERE EXISTS (SELECT 1 FROM responses WHERE id = ?11)"
            ))
            .bind(&binds)?)
    }
}

impl CaseStore for D1Store {
    async fn get_case(&self, id: &str) -> StoreResult<Option<StoredCase>> {
        let row: Option<CaseRow> = self
            .db
            .prepare(format!("{CASE_SELECT} WHERE c.id = ?1"))
            .bind(&[text(id)])?
            .first(None)
            .await?;
        row.map(StoredCase::try_from).transpose()
    }

    async fn case_for_response(&self, response_id: &str) -> StoreResult<Option<StoredCase>> {
        let row: Option<CaseRow> = self
            .db
            .prepare(format!("{CASE_SELECT} WHERE c.response_id = ?1"))
            .bind(&[text(response_id)])?
            .first(None)
            .await?;
        row.map(StoredCase::try_from).transpose()
    }

    async fn update_case(&self, case: &StoredCase, expected_updated_at: &str) -> StoreResult<bool> {
        let v = &case.view;
        let result = self
            .db
            .prepare(
                "UPDATE cases SET status = ?2, owner = ?3, reasked_score = ?4, timeline = ?5, updated_at = ?6 \
                 WHERE id = ?1 AND updated_at = ?7",
            )
            .bind(&[
                text(&v.id),
                text(v.status.as_str()),
                nullable(v.owner.as_deref()),
                v.reasked_score.map_or(JsValue::NULL, |s| JsValue::from(s.value())),
                text(&serde_json::to_string(&v.timeline)?),
                text(&v.updated_at),
                text(expected_updated_at),
            ])?
            .run()
            .await?;
        Ok(changes(&result)? == 1)
    }

    async fn list_cases(
        &self,
        filter: &CaseFilter,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<StoredCase>> {
        all_rows::<CaseRow, _>(
            self.db
                .prepare(format!(
                    "{CASE_SELECT} WHERE (?1 IS NULL OR c.status = ?1) AND (?2 IS NULL OR c.owner = ?2) \
                     AND (?3 IS NULL OR c.survey_id = ?3) AND (?4 IS NULL OR c.id < ?4) ORDER BY c.id DESC LIMIT ?5"
                ))
                .bind(&[
                    nullable(filter.status.map(CaseStatus::as_str)),
                    nullable(filter.owner.as_deref()),
                    nullable(filter.survey_id.as_deref()),
                    nullable(before),
                    JsValue::from(limit),
                ])?,
            StoredCase::try_from,
        )
        .await
    }

    async fn cases_of_respondent(
        &self,
        survey_id: &str,
        respondent: &Respondent,
    ) -> StoreResult<Vec<StoredCase>> {
        if respondent.is_empty() {
            return Ok(Vec::new());
        }
        all_rows::<CaseRow, _>(
            self.db
                .prepare(format!(
                    "{CASE_SELECT} WHERE c.survey_id = ?1 AND \
                     ((?2 IS NOT NULL AND c.respondent_id = ?2) OR (?3 IS NOT NULL AND c.respondent_email = ?3)) \
                     ORDER BY c.id"
                ))
                .bind(&[text(survey_id), nullable(respondent.id.as_deref()), nullable(respondent.email.as_deref())])?,
            StoredCase::try_from,
        )
        .await
    }
}

/// An invitation as stored: its JSON in one column.
#[derive(Deserialize)]
struct InvitationRow {
    invitation: String,
}

fn invitation_of(row: InvitationRow) -> StoreResult<Invitation> {
    Ok(serde_json::from_str(&row.invitation)?)
}

impl InvitationStore for D1Store {
    async fn insert_invitation(
        &self,
        inv: &Invitation,
        respondent: &Respondent,
        created_at: &str,
    ) -> StoreResult<()> {
        self.db
            .prepare(
                "INSERT INTO invitations (id, survey_id, order_id, case_id, invitation, send_after, released_at, \
                 created_at, respondent_id, respondent_email) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9)",
            )
            .bind(&[
                text(&inv.id),
                text(&inv.survey_id),
                nullable(inv.order_id.as_deref()),
                nullable(inv.case_id.as_deref()),
                text(&serde_json::to_string(inv)?),
                nullable(inv.send_after.as_deref()),
                text(created_at),
                nullable(respondent.id.as_deref()),
                nullable(respondent.email.as_deref()),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn due_invitations(&self, now: &str, limit: u32) -> StoreResult<Vec<Invitation>> {
        all_rows(
            self.db
                .prepare(
                    "SELECT invitation FROM invitations WHERE released_at IS NULL AND send_after IS NOT NULL \
                     AND send_after <= ?1 ORDER BY send_after LIMIT ?2",
                )
                .bind(&[text(now), JsValue::from(limit)])?,
            invitation_of,
        )
        .await
    }

    async fn mark_released(&self, id: &str, at: &str) -> StoreResult<bool> {
        let result = self
            .db
            .prepare(
                "UPDATE invitations SET released_at = ?2 WHERE id = ?1 AND released_at IS NULL",
            )
            .bind(&[text(id), text(at)])?
            .run()
            .await?;
        Ok(changes(&result)? == 1)
    }
}

/// D1 binds at most 100 parameters per statement: delivery payloads are searched for
/// this many needles at a time.
const NEEDLES_PER_QUERY: usize = 50;

impl RespondentStore for D1Store {
    async fn respondent_records(&self, who: &Who) -> StoreResult<RespondentRecords> {
        // The same column of `responses`, and of `cases` as `CASE_SELECT` names it.
        let (column, case_column, needle) = match who {
            Who::Id(id) => ("respondent_id", "c.respondent_id", id.as_str()),
            Who::Email(email) => (
                "lower(respondent_email)",
                "lower(c.respondent_email)",
                email.as_str(),
            ),
        };
        let answers = all_rows::<ResponseRow, _>(
            self.db
                .prepare(format!(
                    "SELECT {RESPONSE_COLUMNS} FROM responses WHERE {column} = ?1 ORDER BY id"
                ))
                .bind(&[text(needle)])?,
            StoredResponse::try_from,
        )
        .await?;
        let cases = all_rows::<CaseRow, _>(
            self.db
                .prepare(format!(
                    "{CASE_SELECT} WHERE {case_column} = ?1 \
                     OR c.response_id IN (SELECT id FROM responses WHERE {column} = ?1) ORDER BY c.id"
                ))
                .bind(&[text(needle)])?,
            StoredCase::try_from,
        )
        .await?;
        let invitations = all_rows(
            self.db
                .prepare(format!(
                    "SELECT invitation FROM invitations WHERE {column} = ?1 ORDER BY id"
                ))
                .bind(&[text(needle)])?,
            invitation_of,
        )
        .await?;
        let mut records = RespondentRecords {
            answers,
            cases,
            invitations,
            deliveries: Vec::new(),
        };
        let mut seen = std::collections::BTreeSet::new();
        for chunk in records.needles(who).chunks(NEEDLES_PER_QUERY) {
            let condition = (1..=chunk.len())
                .map(|i| format!("instr(payload, ?{i}) > 0"))
                .collect::<Vec<_>>()
                .join(" OR ");
            let deliveries = all_rows::<DeliveryRow, _>(
                self.db
                    .prepare(format!(
                        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE {condition} ORDER BY id"
                    ))
                    .bind(&chunk.iter().map(|n| text(n)).collect::<Vec<_>>())?,
                Delivery::try_from,
            )
            .await?;
            for delivery in deliveries {
                if seen.insert(delivery.id.clone()) {
                    records.deliveries.push(delivery);
                }
            }
        }
        Ok(records)
    }

    async fn erase_records(&self, records: &RespondentRecords) -> StoreResult<()> {
        let mut statements = Vec::new();
        for d in &records.deliveries {
            statements.push(
                self.db
                    .prepare("DELETE FROM delivery_attempts WHERE delivery_id = ?1")
                    .bind(&[text(&d.id)])?,
            );
            statements.push(
                self.db
                    .prepare("DELETE FROM deliveries WHERE id = ?1")
                    .bind(&[text(&d.id)])?,
            );
        }
        for i in &records.invitations {
            statements.push(
                self.db
                    .prepare("DELETE FROM invitations WHERE id = ?1")
                    .bind(&[text(&i.id)])?,
            );
        }
        // Before the answers they point at.
        for c in &records.cases {
            statements.push(
                self.db
                    .prepare("DELETE FROM cases WHERE id = ?1")
                    .bind(&[text(&c.view.id)])?,
            );
        }
        if !statements.is_empty() {
            self.run_batch(statements).await?;
        }
        // One batch per answer: its rollups and its row go together or not at all.
        for answer in &records.answers {
            let v = &answer.view;
            let mut record = AnswerRecord::try_from(v)
                .map_err(|e| StoreError(format!("answer {}: {e}", v.id)))?;
            let mut statements = Vec::new();
            // Whatever its flagged state is by now, exactly one of these applies.
            for flagged in [false, true] {
                record.flagged = flagged;
                statements.extend(self.rollup_statements(
                    &v.survey_id,
                    &v.id,
                    &rollup::changes(&record, -1),
                    Guard::InState(flagged),
                )?);
            }
            statements.push(
                self.db
                    .prepare("DELETE FROM cases WHERE response_id = ?1")
                    .bind(&[text(&v.id)])?,
            );
            statements.push(
                self.db
                    .prepare("DELETE FROM responses WHERE id = ?1")
                    .bind(&[text(&v.id)])?,
            );
            self.run_batch(statements).await?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct CountRow {
    count: f64,
}

/// A D1 count (a JS number) as a `u32`, saturating.
fn count_of(row: Option<CountRow>) -> u32 {
    row.map_or(0, |r| r.count.clamp(0.0, f64::from(u32::MAX)) as u32)
}

impl RateLimitStore for D1Store {
    async fn hit(&self, key: &str, window: i64) -> StoreResult<u32> {
        // One statement: concurrent requests serialise on the row, none is lost.
        let row: Option<CountRow> = self
            .db
            .prepare(
                "INSERT INTO rate_limits (key, window, count) VALUES (?1, ?2, 1) \
                 ON CONFLICT (key, window) DO UPDATE SET count = count + 1 RETURNING count",
            )
            .bind(&[text(key), JsValue::from_f64(window as f64)])?
            .first(None)
            .await?;
        Ok(count_of(row).max(1))
    }

    async fn count(&self, key: &str, window: i64) -> StoreResult<u32> {
        let row: Option<CountRow> = self
            .db
            .prepare("SELECT count FROM rate_limits WHERE key = ?1 AND window = ?2")
            .bind(&[text(key), JsValue::from_f64(window as f64)])?
            .first(None)
            .await?;
        Ok(count_of(row))
    }

    async fn forget_before(&self, window: i64) -> StoreResult<u32> {
        let result = self
            .db
            .prepare("DELETE FROM rate_limits WHERE window < ?1")
            .bind(&[JsValue::from_f64(window as f64)])?
            .run()
            .await?;
        Ok(u32::try_from(changes(&result)?).unwrap_or(u32::MAX))
    }
}

/// The zone's offset in seconds as an SQL expression of `quarter` (a UTC quarter-hour):
/// a constant, or a CASE over the zone's changes. Only integers we computed go in.
fn offset_seconds_sql(zone: &Zone) -> String {
    let seconds = |offset: nps_shared::report::UtcOffset| i64::from(offset.minutes()) * 60;
    if zone.changes().is_empty() {
        return seconds(zone.base()).to_string();
    }
    let mut sql = String::from("CASE");
    let mut before = zone.base();
    for (at, offset) in zone.changes() {
        sql.push_str(&format!(
            " WHEN quarter < {} THEN {}",
            at.div_euclid(rollup::QUARTER_MS),
            seconds(before)
        ));
        before = *offset;
    }
    sql.push_str(&format!(" ELSE {} END", seconds(before)));
    sql
}
