//! The storage traits of `store`, in SQL, once: [`SqlStore`] runs over any
//! [`Database`] — D1 in the worker, SQLite in the native tests — so the statements the
//! tests run are the ones production runs. One module per table (or group of tables),
//! each with its SQL, its row types and the tests of its SQL beside it.
//!
//! Depends on `store` (traits, records, the statement interface) and the shared domain;
//! nothing here knows which database it talks to.

mod actions;
mod api_keys;
mod archive;
mod audit;
mod campaigns;
mod cases;
mod coaching;
mod connectors;
mod deliveries;
mod erasures;
mod exports;
mod invitations;
mod mail;
mod rate_limits;
mod respondents;
mod responses;
mod rollups;
mod surveys;
mod webhooks;

use super::db::Database;
use super::{StoreResult, SurveyCache};
use serde::de::DeserializeOwned;

/// Every store, over one database; survey reads go through `cache` first.
pub struct SqlStore<D, C = super::NoCache> {
    db: D,
    cache: C,
}

impl<D: Database> SqlStore<D> {
    pub fn new(db: D) -> Self {
        SqlStore {
            db,
            cache: super::NoCache,
        }
    }
}

impl<D: Database, C: SurveyCache> SqlStore<D, C> {
    pub fn with_cache(db: D, cache: C) -> Self {
        SqlStore { db, cache }
    }

    #[cfg(test)]
    pub fn db(&self) -> &D {
        &self.db
    }

    #[cfg(test)]
    pub fn cache_for_tests(&self) -> &C {
        &self.cache
    }
}

impl<D, C> SqlStore<super::metered::Metered<D>, C> {
    /// D1 queries this invocation has run so far (each statement of a batch counts).
    pub fn queries(&self) -> u32 {
        self.db.queries()
    }
}

/// The key a respondent's e-mail address is matched by (`respondent_email_key`
/// columns): one normalisation, `validate::normalize_email`, for every table.
fn email_key(respondent: &nps_shared::api::Respondent) -> Option<String> {
    respondent
        .email
        .as_deref()
        .map(nps_shared::validate::normalize_email)
}

/// D1 keeps a string to 2,000,000 bytes (D1 limits: "maximum string, BLOB or table
/// row size"); a JSON array bound as one parameter is cut at half of that.
pub(super) const JSON_PARAM_BYTES: usize = 1_000_000;

/// `rows` as JSON arrays of at most [`JSON_PARAM_BYTES`] each (a longer row alone),
/// each to be bound as one parameter and read with `json_each`: one statement for a
/// whole list instead of one per row, within D1's 100 bound parameters. A list up to
/// a megabyte is one array, so the statements a path runs do not grow with its rows
/// below that.
pub(super) fn json_arrays(rows: impl IntoIterator<Item = serde_json::Value>) -> Vec<String> {
    json_arrays_within(rows, JSON_PARAM_BYTES)
}

/// [`json_arrays`] cut at `max_bytes` an array.
fn json_arrays_within(
    rows: impl IntoIterator<Item = serde_json::Value>,
    max_bytes: usize,
) -> Vec<String> {
    let mut arrays = Vec::new();
    let mut current = String::from("[");
    for row in rows {
        let row = row.to_string();
        if current.len() > 1 && current.len() + row.len() + 2 > max_bytes {
            current.push(']');
            arrays.push(std::mem::replace(&mut current, String::from("[")));
        }
        if current.len() > 1 {
            current.push(',');
        }
        current.push_str(&row);
    }
    if current.len() > 1 {
        current.push(']');
        arrays.push(current);
    }
    arrays
}

/// The most JSON one statement of a group write binds: well inside D1's 100 KB per
/// statement, so a group of any size is written in a few statements.
pub(super) const MAX_JSON_BYTES: usize = 90_000;

/// `INSERT INTO {table} ({columns}) SELECT … FROM json_each(?1) {tail}` with `array`
/// (a JSON array of arrays, one per row, values in the order of `columns`) bound to
/// `?1`: many rows in one statement with one bound parameter. `tail` follows the
/// SELECT (`WHERE …`, `ON CONFLICT …`, or nothing).
pub(super) fn insert_select(
    table: &str,
    columns: &str,
    array: String,
    tail: &str,
) -> super::db::Statement {
    let width = columns.split(',').count();
    let picks = (0..width)
        .map(|i| format!("json_extract(value, '$[{i}]')"))
        .collect::<Vec<_>>()
        .join(", ");
    crate::query!(
        format!("INSERT INTO {table} ({columns}) SELECT {picks} FROM json_each(?1) {tail}"),
        array
    )
}

/// `columns` (comma-separated) read from the table aliased `table`, each under its own
/// name (`r.id AS id, …`): the columns a row type reads, through a join.
pub(super) fn qualified(columns: &str, table: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{table}.{0} AS {0}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`insert_select`] of `rows`, split into as few statements as keep each within
/// [`MAX_JSON_BYTES`].
fn insert_rows(
    table: &str,
    columns: &str,
    rows: &[serde_json::Value],
    tail: &str,
) -> Vec<super::db::Statement> {
    json_arrays_within(rows.iter().cloned(), MAX_JSON_BYTES)
        .into_iter()
        .map(|array| insert_select(table, columns, array, tail))
        .collect()
}

/// Every row of `statement`, each turned into a `T` by `convert` (the row types'
/// checks): how lists are read.
async fn all_rows<D: Database, Row: DeserializeOwned, T>(
    db: &D,
    statement: super::db::Statement,
    convert: impl Fn(Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    db.all::<Row>(statement)
        .await?
        .into_iter()
        .map(convert)
        .collect()
}

/// The first row of `statement` turned into a `T`, if there is one.
async fn first_row<D: Database, Row: DeserializeOwned, T>(
    db: &D,
    statement: super::db::Statement,
    convert: impl Fn(Row) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    db.first::<Row>(statement).await?.map(convert).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_one_json_array_until_it_would_pass_the_size_d1_keeps() {
        assert!(json_arrays(Vec::new()).is_empty());
        let small = json_arrays((0..3).map(serde_json::Value::from));
        assert_eq!(small, ["[0,1,2]"]);
        let row = "x".repeat(300_000);
        let big = json_arrays((0..7).map(|_| serde_json::Value::from(row.as_str())));
        assert_eq!(big.len(), 3, "three rows of 300 kB to an array");
        for array in &big {
            assert!(array.len() <= JSON_PARAM_BYTES);
            let parsed: Vec<String> = serde_json::from_str(array).unwrap();
            assert!(!parsed.is_empty());
        }
        let whole: usize = big
            .iter()
            .map(|a| serde_json::from_str::<Vec<String>>(a).unwrap().len())
            .sum();
        assert_eq!(whole, 7);
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Records for the SQL tests of each table module: a fresh migrated database that
    //! holds the demo survey, and answers, cases, endpoints and deliveries built field
    //! by field.
    use super::SqlStore;
    use crate::store::sqlite::Sqlite;
    use crate::store::{Delivery, Endpoint, StoredCase, StoredResponse, SurveyStore};
    use nps_shared::Score;
    use nps_shared::api::{
        Channel, DeliveryStatus, EventType, Respondent, ResponseView, SurveyView, WebhookFormat,
        WebhookView,
    };
    use nps_shared::case::{CaseStatus, CaseView};

    pub fn store() -> SqlStore<Sqlite> {
        SqlStore::new(Sqlite::migrated())
    }

    /// A fresh database holding the demo survey (`s_demo`).
    pub fn with_survey() -> SqlStore<Sqlite> {
        let s = store();
        let survey: SurveyView = crate::service::fixtures::demo_survey();
        assert!(run(s.insert_survey(&survey)).unwrap());
        s
    }

    pub fn run<T>(future: impl std::future::IntoFuture<Output = T>) -> T {
        pollster::block_on(future.into_future())
    }

    /// An answer to `s_demo` given at `created_at` (RFC 3339).
    pub fn answer(id: &str, score: u8, created_at: &str) -> StoredResponse {
        let score = Score::try_from(score).unwrap();
        StoredResponse {
            view: ResponseView {
                id: id.into(),
                survey_id: "s_demo".into(),
                score,
                category: score.category(),
                comment: None,
                channel: Channel::Web,
                locale: Some("en".into()),
                page_url: None,
                respondent: Respondent::default(),
                properties: Default::default(),
                created_at: created_at.into(),
                updated_at: created_at.into(),
                order_id: None,
                flagged: None,
                provisional: false,
            },
            edit_token: format!("token-{id}"),
            idempotency_key: None,
            fingerprint: None,
            invitation_id: None,
            person_key: None,
        }
    }

    /// The open case `answer` opens, owned by `owner`.
    pub fn case(id: &str, answer: &StoredResponse, owner: Option<&str>) -> StoredCase {
        let v = &answer.view;
        StoredCase {
            view: CaseView {
                id: id.into(),
                survey_id: v.survey_id.clone(),
                response_id: v.id.clone(),
                score: v.score,
                status: CaseStatus::Open,
                owner: owner.map(str::to_owned),
                due_at: "2026-11-02T00:00:00.000Z".into(),
                overdue: false,
                created_at: v.created_at.clone(),
                updated_at: v.created_at.clone(),
                timeline: Vec::new(),
                reasked_score: None,
                win_back: None,
                comment: None,
                respondent: v.respondent.clone(),
                cause: None,
                solution: None,
                suggested_cause: None,
                suggestions: Vec::new(),
            },
            respondent: v.respondent.clone(),
        }
    }

    /// A switched-on endpoint `id` for every answer (`response.created`, no filter).
    pub fn endpoint(id: &str) -> Endpoint {
        Endpoint {
            view: WebhookView {
                id: id.into(),
                url: "https://hooks.example/nps".into(),
                format: WebhookFormat::Standard,
                events: vec![EventType::ResponseCreated],
                filter: Default::default(),
                description: None,
                created_at: "2026-11-01T00:00:00.000Z".into(),
                enabled: true,
                previous_secret_expires_at: None,
            },
            secret: "whsec_first".into(),
            previous_secret: None,
        }
    }

    /// A pending delivery of `payload` to `endpoint_id`, due at `next_attempt_at`.
    pub fn delivery(id: &str, endpoint_id: &str, payload: &str, next_attempt_at: &str) -> Delivery {
        Delivery {
            id: id.into(),
            endpoint_id: endpoint_id.into(),
            event_type: EventType::ResponseCreated,
            payload: payload.into(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            round_start: 0,
            next_attempt_at: Some(next_attempt_at.into()),
            created_at: "2026-11-01T00:00:00.000Z".into(),
            updated_at: "2026-11-01T00:00:00.000Z".into(),
        }
    }
}
