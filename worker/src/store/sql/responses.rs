//! `responses`: answers, stored in groups — exactly once per (survey,
//! Idempotency-Key) and at most once per (survey, order), the unique indexes as the
//! backstop — each group with its cases, its deliveries and its rollup counts in one
//! batch of a fixed number of statements (multi-row inserts through `json_each`); the
//! one read a group is checked against (`standing`); and the reads of the reports and
//! lists.

use super::rollups::{Guard, record, rollup_statements};
use super::webhooks::EndpointRow;
use super::{SqlStore, all_rows, cases, deliveries, email_key, first_row};
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{
    Companions, Endpoint, GroupInserted, Probes, ResponseStore, Standing, StoreError, StoreResult,
    StoredResponse, SurveyCache,
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
    /// Only the export reads these (`LEFT JOIN cases`): the case the answer opened.
    #[serde(default)]
    pub(super) case_status: Option<String>,
    #[serde(default)]
    pub(super) case_cause: Option<String>,
    #[serde(default)]
    pub(super) case_solution: Option<String>,
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
    id: String,
    score: u8,
    created_at: String,
    comment: Option<String>,
    properties: String,
    flagged: Option<String>,
    provisional: u8,
}

fn answer_record(row: AnswerRow) -> StoreResult<AnswerRecord> {
    Ok(AnswerRecord {
        id: row.id,
        score: Score::try_from(row.score).map_err(|e| StoreError(e.to_string()))?,
        created_at: nps_shared::time::parse_rfc3339(&row.created_at)
            .ok_or_else(|| StoreError(format!("bad created_at {}", row.created_at)))?,
        comment: row.comment,
        properties: serde_json::from_str(&row.properties)?,
        flagged: row.flagged.is_some() || row.provisional == 1,
    })
}

/// Answers per row of the sample's result. D1 keeps a string to 2,000,000 bytes; an
/// answer's JSON there is at most about 12.5 KB (a comment of 2,000 characters of up
/// to 4 bytes, and at most five property values of 200: the revenue and RFM's three,
/// or a grouping), so a row stays under 1.3 MB. Written into the SQL, not bound: D1
/// binds a JS number as a REAL, and `row_number() / ?` would then not truncate (a
/// row per answer again).
const SAMPLE_ANSWERS_PER_ROW: u32 = 100;

/// One row of the sample: [`SAMPLE_ANSWERS_PER_ROW`] answers as a JSON array of
/// [`SampledAnswer`]s, built by SQLite. D1 hands a report one string per hundred
/// answers instead of an object of seven fields per answer: at a million answers the
/// sample took 42 ms of a report's 85 in the worker that way (5,000 rows through
/// JavaScript objects and serde, every property parsed), 18 ms this way.
#[derive(Deserialize)]
struct SamplePart {
    answers: String,
}

/// `[id, score, created_at, comment, flagged or provisional (0/1), [values]]`: an
/// answer of the sample, with the values of the properties asked for in their order
/// (`null` where absent).
#[derive(Deserialize)]
struct SampledAnswer(String, u8, String, Option<String>, u8, Vec<Option<String>>);

impl SampledAnswer {
    /// The answer as a report reads it, with the values of `keys` that it has.
    fn record(self, keys: &[&str]) -> StoreResult<AnswerRecord> {
        let SampledAnswer(id, score, created_at, comment, flagged, values) = self;
        Ok(AnswerRecord {
            score: Score::try_from(score).map_err(|e| StoreError(format!("row {id}: {e}")))?,
            created_at: nps_shared::time::parse_rfc3339(&created_at)
                .ok_or_else(|| StoreError(format!("bad created_at {created_at}")))?,
            comment,
            properties: keys
                .iter()
                .zip(values)
                .filter_map(|(key, value)| Some(((*key).to_owned(), value?)))
                .collect(),
            flagged: flagged == 1,
            id,
        })
    }
}

/// The most recent `limit` answers that [`ResponseStore::report_sample`] reads, in
/// rows of [`SAMPLE_ANSWERS_PER_ROW`], with the values of `keys` (property names as
/// `validate` allows them, so each is a plain JSON path label).
fn sample_statement(
    survey_id: &str,
    from: Option<&str>,
    to: Option<&str>,
    include_flagged: bool,
    limit: u32,
    keys: &[&str],
) -> Statement {
    let values = (0..keys.len())
        .map(|i| format!("json_extract(properties, ?{})", 6 + i))
        .collect::<Vec<_>>()
        .join(", ");
    let mut statement = query!(
        format!(
            "SELECT json_group_array(json_array(id, score, created_at, comment, set_aside, json_array({values}))) AS answers \
             FROM (SELECT (row_number() OVER () - 1) / {SAMPLE_ANSWERS_PER_ROW} AS part, id, score, created_at, comment, \
             flagged IS NOT NULL OR provisional = 1 AS set_aside, properties FROM ( \
             SELECT id, score, created_at, comment, flagged, provisional, properties FROM responses WHERE survey_id = ?1 \
             AND created_at >= COALESCE(?2, '') AND created_at < COALESCE(?3, '~') \
             AND (?4 = 1 OR (flagged IS NULL AND provisional = 0)) \
             ORDER BY created_at DESC, id DESC LIMIT ?5)) GROUP BY part"
        ),
        survey_id,
        from,
        to,
        include_flagged,
        limit
    );
    statement.params.extend(
        keys.iter()
            .map(|key| crate::store::db::Value::Text(format!("$.\"{key}\""))),
    );
    statement
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

/// The columns of a new answer's row, in the order of [`answer_row`].
const INSERT_COLUMNS: &str = "id, survey_id, score, comment, channel, locale, page_url, respondent_id, \
     respondent_email, properties, edit_token, idempotency_key, fingerprint, created_at, updated_at, \
     order_id, invitation_id, flagged, person_key, provisional, category, respondent_email_key, claimed_id, \
     claimed_email_key";

/// A new answer as a row of [`INSERT_COLUMNS`] (a JSON array: `insert_rows`).
fn answer_row(response: &StoredResponse) -> StoreResult<serde_json::Value> {
    let v = &response.view;
    Ok(serde_json::json!([
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
        u8::from(v.provisional),
        v.category.as_str(),
        email_key(&v.respondent),
        v.properties.get(identity::CLAIMED_ID),
        v.properties
            .get(identity::CLAIMED_EMAIL)
            .map(|e| nps_shared::validate::normalize_email(e)),
    ]))
}

/// Whether a failed write was held back by one of the answers' unique rules.
fn unique_rule_broken(e: &StoreError) -> bool {
    e.0.contains("UNIQUE constraint failed: responses.")
}

impl<D: Database, C: SurveyCache> ResponseStore for SqlStore<D, C> {
    async fn standing(&self, probes: &Probes) -> StoreResult<Standing> {
        let endpoints = super::webhooks::every_endpoint();
        let (answers, endpoints) = if probes.keys.is_empty()
            && probes.orders.is_empty()
            && probes.persons.is_empty()
        {
            (Vec::new(), self.db.all::<EndpointRow>(endpoints).await?)
        } else {
            // Three lookups, each through its index (responses_idempotency,
            // responses_one_per_order, responses_by_person), one query; the endpoints
            // in the same round trip.
            let answers = query!(
                format!(
                    "SELECT {RESPONSE_COLUMNS} FROM responses WHERE id IN (\
                     SELECT r.id FROM json_each(?1) j JOIN responses r ON r.survey_id = json_extract(j.value, '$[0]') \
                     AND r.idempotency_key = json_extract(j.value, '$[1]') \
                     UNION SELECT r.id FROM json_each(?2) j JOIN responses r ON r.survey_id = json_extract(j.value, '$[0]') \
                     AND r.order_id = json_extract(j.value, '$[1]') \
                     UNION SELECT r.id FROM json_each(?3) j JOIN responses r ON r.survey_id = json_extract(j.value, '$[0]') \
                     AND r.person_key = json_extract(j.value, '$[1]') AND r.created_at > json_extract(j.value, '$[2]')) \
                     ORDER BY id"
                ),
                serde_json::to_string(&probes.keys)?,
                serde_json::to_string(&probes.orders)?,
                serde_json::to_string(&probes.persons)?,
            );
            self.db
                .all_pair::<ResponseRow, EndpointRow>(answers, endpoints)
                .await?
        };
        Ok(Standing {
            answers: answers
                .into_iter()
                .map(StoredResponse::try_from)
                .collect::<StoreResult<_>>()?,
            endpoints: endpoints
                .into_iter()
                .map(Endpoint::try_from)
                .collect::<StoreResult<_>>()?,
        })
    }

    async fn insert_group(
        &self,
        answers: &[(StoredResponse, Companions)],
    ) -> StoreResult<GroupInserted> {
        if answers.is_empty() {
            return Ok(GroupInserted::Stored);
        }
        let rows = answers
            .iter()
            .map(|(response, _)| answer_row(response))
            .collect::<StoreResult<Vec<_>>>()?;
        // No `ON CONFLICT`: the unique indexes are the backstop, and one answer held
        // back by them fails the whole batch, which the caller reads again.
        let mut statements = super::insert_rows("responses", INSERT_COLUMNS, &rows, "");
        let mut changes = Vec::new();
        for (response, _) in answers {
            let v = &response.view;
            changes.extend(
                rollup::changes(&record(v)?, 1)
                    .into_iter()
                    .map(|c| (v.survey_id.clone(), c)),
            );
        }
        statements.extend(super::rollups::summed_rollup_statements(&changes));
        let opened: Vec<_> = answers
            .iter()
            .filter_map(|(_, w)| w.case.as_ref())
            .collect();
        statements.extend(cases::insert_many(&opened)?);
        let deliveries: Vec<_> = answers.iter().flat_map(|(_, w)| &w.deliveries).collect();
        statements.extend(deliveries::insert_many(&deliveries));
        match self.db.batch(statements).await {
            Ok(_) => Ok(GroupInserted::Stored),
            Err(e) if unique_rule_broken(&e) => Ok(GroupInserted::Raced),
            Err(e) => Err(e),
        }
    }

    async fn get_response(&self, id: &str) -> StoreResult<Option<StoredResponse>> {
        response(&self.db, id).await
    }

    // An open end is the widest bound rather than `?2 IS NULL OR …`, which would keep
    // SQLite from a range search of `responses_by_time`: every answer of the survey
    // read for a part-day edge (430 ms at 1 M answers, 6 ms with the range). Times are
    // RFC 3339 text: after '' and before '~'.
    async fn report_answers(
        &self,
        survey_id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<AnswerRecord>> {
        all_rows(
            &self.db,
            query!(
                "SELECT id, score, created_at, comment, properties, flagged, provisional FROM responses WHERE survey_id = ?1 \
                 AND created_at >= COALESCE(?2, '') AND created_at < COALESCE(?3, '~') ORDER BY created_at, id",
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
        keys: &[&str],
    ) -> StoreResult<Vec<AnswerRecord>> {
        let keys: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|key| nps_shared::validate::is_property_key(key))
            .collect();
        let parts: Vec<SamplePart> = self
            .db
            .all(sample_statement(
                survey_id,
                from,
                to,
                include_flagged,
                limit,
                &keys,
            ))
            .await?;
        let mut sampled = Vec::new();
        for part in parts {
            sampled.extend(serde_json::from_str::<Vec<SampledAnswer>>(&part.answers)?);
        }
        sampled.sort_unstable_by(|a, b| (&a.2, &a.0).cmp(&(&b.2, &b.0)));
        sampled
            .into_iter()
            .map(|answer| answer.record(&keys))
            .collect()
    }

    async fn confirm(&self, id: &str) -> StoreResult<()> {
        let update = query!("UPDATE responses SET provisional = 0 WHERE id = ?1", id);
        self.restate(id, false, Guard::ProvisionalOnly, update)
            .await
    }

    async fn flag_all(&self, ids: &[String], reason: &str) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids = serde_json::to_string(ids)?;
        let answers = all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {RESPONSE_COLUMNS} FROM responses WHERE id IN (SELECT value FROM json_each(?1))"
                ),
                ids
            ),
            |row: ResponseRow| StoredResponse::try_from(row),
        )
        .await?;
        let mut changes = Vec::new();
        for stored in &answers {
            let mut answer = record(&stored.view)?;
            // The change assumes the state the guard checks, not the one just read:
            // a concurrent write may have moved it since.
            answer.flagged = false;
            changes.extend(
                rollup::reflag(&answer, true)
                    .into_iter()
                    .map(|c| (stored.view.survey_id.clone(), stored.view.id.clone(), c)),
            );
        }
        let mut statements = super::rollups::guarded_flag_statements(&changes);
        statements.push(query!(
            "UPDATE responses SET flagged = ?2 WHERE id IN (SELECT value FROM json_each(?1)) AND flagged IS NULL",
            ids,
            reason
        ));
        self.db.batch(statements).await?;
        Ok(())
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
    use super::super::SqlStore;
    use super::super::testing::{answer, case, delivery, endpoint, run, with_survey};
    use super::{SAMPLE_ANSWERS_PER_ROW, SamplePart, sample_statement};
    use crate::store::{
        CaseStore, Companions, DeliveryStore, GroupInserted, Probes, ResponseStore, StoredResponse,
        WebhookStore,
    };
    use nps_shared::Category;

    const T0: &str = "2026-11-01T10:00:00.000Z";

    fn ids(found: Vec<StoredResponse>) -> Vec<String> {
        found.into_iter().map(|r| r.view.id).collect()
    }

    #[test]
    fn a_group_is_stored_with_its_cases_and_deliveries_and_a_second_key_breaks_all_of_it() {
        let s = with_survey();
        let mut first = answer("r_1", 2, T0);
        first.idempotency_key = Some("key-1".into());
        let with = Companions {
            case: Some(case("c_1", &first, Some("anna"))),
            deliveries: vec![delivery("dl_1", "wh_1", "{}", T0)],
        };
        let plain = answer("r_0", 9, T0);
        let stored = run(s.insert_group(&[(first.clone(), with), (plain, Companions::default())]));
        assert_eq!(stored.unwrap(), GroupInserted::Stored);
        // The same key again, under another id, beside a new answer: the unique index
        // holds the group back, and nothing of it is stored.
        let mut again = answer("r_2", 2, T0);
        again.idempotency_key = Some("key-1".into());
        let replay = Companions {
            case: Some(case("c_2", &again, None)),
            deliveries: vec![delivery("dl_2", "wh_1", "{}", T0)],
        };
        let group = [
            (answer("r_3", 7, T0), Companions::default()),
            (again, replay),
        ];
        assert_eq!(run(s.insert_group(&group)).unwrap(), GroupInserted::Raced);
        for id in ["r_2", "r_3"] {
            assert!(run(s.get_response(id)).unwrap().is_none());
        }
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
        let probes = Probes {
            keys: vec![
                ("s_demo".into(), "key-1".into()),
                ("s_demo".into(), "key-9".into()),
            ],
            ..Probes::default()
        };
        assert_eq!(ids(run(s.standing(&probes)).unwrap().answers), ["r_1"]);
    }

    #[test]
    fn the_standing_brings_every_endpoint_with_the_answers_it_found() {
        let s = with_survey();
        let mut first = answer("r_1", 9, T0);
        first.idempotency_key = Some("key-1".into());
        run(s.insert_group(&[(first, Companions::default())])).unwrap();
        let none = run(s.standing(&Probes::default())).unwrap();
        assert!(none.answers.is_empty() && none.endpoints.is_empty());
        for id in ["wh_2", "wh_1"] {
            run(s.insert_endpoint(&endpoint(id))).unwrap();
        }
        let endpoint_ids = |standing: &crate::store::Standing| {
            standing
                .endpoints
                .iter()
                .map(|e| e.view.id.clone())
                .collect::<Vec<_>>()
        };
        // With probes (answers and endpoints in one batch) and without (endpoints only).
        let probes = Probes {
            keys: vec![("s_demo".into(), "key-1".into())],
            ..Probes::default()
        };
        let found = run(s.standing(&probes)).unwrap();
        assert_eq!(endpoint_ids(&found), ["wh_1", "wh_2"]);
        assert_eq!(ids(found.answers), ["r_1"]);
        let none = run(s.standing(&Probes::default())).unwrap();
        assert_eq!(endpoint_ids(&none), ["wh_1", "wh_2"]);
        assert!(none.answers.is_empty());
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
            run(s.insert_group(&[(first, none.clone())])).unwrap(),
            GroupInserted::Stored
        );
        assert_eq!(
            run(s.insert_group(&[(second, none)])).unwrap(),
            GroupInserted::Raced
        );
        let probes = Probes {
            orders: vec![
                ("s_demo".into(), "1001".into()),
                ("s_other".into(), "1001".into()),
            ],
            ..Probes::default()
        };
        assert_eq!(ids(run(s.standing(&probes)).unwrap().answers), ["r_1"]);
    }

    #[test]
    fn the_throttle_probe_finds_a_person_s_answers_after_the_instant_only() {
        let s = with_survey();
        let mut kim = answer("r_1", 7, T0);
        kim.person_key = Some("p-kim".into());
        kim.idempotency_key = Some("key-1".into());
        run(s.insert_group(&[(kim, Companions::default())])).unwrap();
        let person = |who: &str, since: &str| Probes {
            persons: vec![("s_demo".into(), who.into(), since.into())],
            ..Probes::default()
        };
        let since = "2026-10-01T00:00:00.000Z";
        assert_eq!(
            ids(run(s.standing(&person("p-kim", since))).unwrap().answers),
            ["r_1"]
        );
        assert!(
            run(s.standing(&person("p-ben", since)))
                .unwrap()
                .answers
                .is_empty()
        );
        assert!(
            run(s.standing(&person("p-kim", T0)))
                .unwrap()
                .answers
                .is_empty(),
            "after, not at"
        );
        assert!(
            run(s.standing(&Probes::default()))
                .unwrap()
                .answers
                .is_empty()
        );
    }

    #[test]
    fn the_probes_look_answers_up_through_their_indexes() {
        let s = with_survey();
        #[derive(serde::Deserialize)]
        struct Plan {
            detail: String,
        }
        let sql = "EXPLAIN QUERY PLAN SELECT r.id FROM json_each('[]') j JOIN responses r \
                   ON r.survey_id = json_extract(j.value, '$[0]') AND r.idempotency_key = json_extract(j.value, '$[1]') \
                   UNION SELECT r.id FROM json_each('[]') j JOIN responses r ON r.survey_id = json_extract(j.value, '$[0]') \
                   AND r.order_id = json_extract(j.value, '$[1]') \
                   UNION SELECT r.id FROM json_each('[]') j JOIN responses r ON r.survey_id = json_extract(j.value, '$[0]') \
                   AND r.person_key = json_extract(j.value, '$[1]') AND r.created_at > json_extract(j.value, '$[2]')";
        let plan: Vec<Plan> = s.db().select(sql);
        let text: Vec<&str> = plan.iter().map(|p| p.detail.as_str()).collect();
        assert!(
            text.iter().all(|d| !d.starts_with("SCAN r")),
            "a probe scans the answers: {text:?}"
        );
        for index in [
            "responses_idempotency",
            "responses_one_per_order",
            "responses_by_person",
        ] {
            assert!(
                text.iter().any(|d| d.contains(index)),
                "{index} unused: {text:?}"
            );
        }
    }

    #[test]
    fn lists_are_newest_first_filtered_and_continued_after_a_cursor() {
        let s = with_survey();
        for (id, score) in [("r_1", 1), ("r_2", 9), ("r_3", 2), ("r_4", 10)] {
            run(s.insert_group(&[(answer(id, score, T0), Companions::default())])).unwrap();
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
    fn flagged_and_provisional_answers_leave_the_sample_until_confirmed() {
        let s = with_survey();
        let none = Companions::default();
        run(s.insert_group(&[(answer("r_1", 9, T0), none.clone())])).unwrap();
        let mut mail = answer("r_2", 3, "2026-11-01T11:00:00.000Z");
        mail.view.provisional = true;
        run(s.insert_group(&[(mail, none)])).unwrap();
        let sample = |flagged| {
            run(s.report_sample("s_demo", None, None, flagged, 10, &["revenue"])).unwrap()
        };
        assert_eq!(sample(false).len(), 1);
        assert_eq!(
            sample(true).len(),
            2,
            "oldest first, flagged ones included on request"
        );
        run(s.confirm("r_2")).unwrap();
        assert_eq!(sample(false).len(), 2);
        run(s.flag_all(&["r_1".into()], "scanner")).unwrap();
        run(s.flag_all(&["r_1".into()], "a second reason is not kept")).unwrap();
        assert_eq!(sample(false).len(), 1);
        let r1 = run(s.get_response("r_1")).unwrap().unwrap();
        assert_eq!(r1.view.flagged.as_deref(), Some("scanner"));
        run(s.set_comment("r_2", Some("late"), "2026-11-01T12:00:00.000Z")).unwrap();
        let r2 = run(s.get_response("r_2")).unwrap().unwrap();
        assert_eq!(r2.view.comment.as_deref(), Some("late"));
        assert!(!r2.view.provisional);
    }

    /// `n` answers a second apart from `T0` on, every third with a comment, every
    /// fifth flagged, every seventh provisional, pairs sharing their instant; with a
    /// revenue, a store and a plan.
    fn customers(s: &SqlStore<crate::store::sqlite::Sqlite>, n: usize) {
        let group: Vec<_> = (0..n)
            .map(|i| {
                let at = nps_shared::time::rfc3339(
                    nps_shared::time::parse_rfc3339(T0).unwrap() + (i as i64 / 2) * 1000,
                );
                let mut a = answer(&format!("r_{:04}", n - i), (i % 11) as u8, &at);
                a.view.comment = (i % 3 == 0).then(|| format!("comment {i} about delivery"));
                a.view.flagged = (i % 5 == 0).then(|| "scanner".to_owned());
                a.view.provisional = i % 7 == 0;
                let properties = &mut a.view.properties;
                if i % 4 != 0 {
                    properties.insert("revenue".into(), format!("{}.50", i * 3));
                }
                properties.insert("store".into(), format!("store-{}", i % 6));
                properties.insert("plan".into(), "pro".into());
                (a, Companions::default())
            })
            .collect();
        run(s.insert_group(&group)).unwrap();
    }

    #[test]
    fn the_sample_is_the_most_recent_counted_answers_with_only_the_properties_asked_for() {
        let s = with_survey();
        customers(&s, 450);
        let from = Some("2026-11-01T10:00:30.000Z");
        for (from, to) in [(None, None), (from, Some("2026-11-01T10:03:00.000Z"))] {
            let all = run(s.report_answers("s_demo", from, to)).unwrap();
            for include_flagged in [false, true] {
                for limit in [1, 7, 100, 101, 260, 5_000] {
                    for keys in [&["revenue"][..], &["revenue", "plan", "nope"], &[]] {
                        let mut expected: Vec<_> = all
                            .iter()
                            .filter(|a| include_flagged || !a.flagged)
                            .cloned()
                            .map(|mut a| {
                                a.properties.retain(|k, _| keys.contains(&k.as_str()));
                                a
                            })
                            .collect();
                        expected.drain(..expected.len().saturating_sub(limit));
                        let sample = run(s.report_sample(
                            "s_demo",
                            from,
                            to,
                            include_flagged,
                            limit as u32,
                            keys,
                        ))
                        .unwrap();
                        assert_eq!(
                            sample, expected,
                            "{from:?} {include_flagged} {limit} {keys:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_grouping_that_no_property_can_have_samples_no_value_for_it() {
        let s = with_survey();
        customers(&s, 10);
        let sample =
            run(s.report_sample("s_demo", None, None, true, 10, &["a\"b", "$.store", ""])).unwrap();
        assert_eq!(sample.len(), 10);
        assert!(sample.iter().all(|a| a.properties.is_empty()));
    }

    #[test]
    fn the_sample_comes_in_rows_that_d1_can_hold_even_with_the_longest_answers() {
        use nps_shared::validate::{MAX_COMMENT_CHARS, MAX_PROPERTY_VALUE_CHARS};
        let s = with_survey();
        let keys = [
            "revenue",
            "recency_days",
            "last_order_at",
            "order_count",
            "store",
        ];
        // Four bytes a character, the most UTF-8 takes; JSON leaves them as they are.
        let longest = |chars: usize| "\u{1F600}".repeat(chars);
        let group: Vec<_> = (0..2 * SAMPLE_ANSWERS_PER_ROW + 3)
            .map(|i| {
                let mut a = answer(&format!("r_{i:04}"), 3, T0);
                a.view.comment = Some(longest(MAX_COMMENT_CHARS));
                for key in keys {
                    a.view
                        .properties
                        .insert(key.into(), longest(MAX_PROPERTY_VALUE_CHARS));
                }
                (a, Companions::default())
            })
            .collect();
        for chunk in group.chunks(20) {
            run(s.insert_group(chunk)).unwrap();
        }
        let parts: Vec<SamplePart> = run(crate::store::db::Database::all(
            s.db(),
            sample_statement("s_demo", None, None, false, 5_000, &keys),
        ))
        .unwrap();
        assert_eq!(parts.len(), 3);
        for part in &parts {
            // D1's most bytes in a string ("maximum string, BLOB or table row size").
            assert!(
                part.answers.len() < 2_000_000,
                "{} bytes",
                part.answers.len()
            );
        }
        assert!(parts[0].answers.len() > 1_000_000, "the bound is not loose");
        let sample = run(s.report_sample("s_demo", None, None, false, 5_000, &keys)).unwrap();
        assert_eq!(sample.len(), group.len());
        assert_eq!(sample[0].properties.len(), keys.len());
    }

    #[test]
    fn the_sample_reads_the_most_recent_answers_through_the_time_index() {
        let s = with_survey();
        #[derive(serde::Deserialize)]
        struct Plan {
            detail: String,
        }
        let statement = sample_statement("s_demo", None, None, false, 5_000, &["revenue"]);
        let sql = statement
            .sql
            .replace("?1", "'s_demo'")
            .replace("?2", "NULL")
            .replace("?3", "NULL")
            .replace("?4", "0")
            .replace("?5", "5000")
            .replace("?6", "'$.revenue'");
        let plan: Vec<Plan> = s.db().select(&format!("EXPLAIN QUERY PLAN {sql}"));
        let text: Vec<&str> = plan.iter().map(|p| p.detail.as_str()).collect();
        assert!(
            text.iter()
                .any(|d| d.contains("responses USING INDEX responses_by_time")),
            "{text:?}"
        );
        assert!(
            !text.iter().any(|d| d.starts_with("SCAN responses")),
            "{text:?}"
        );
    }
}
