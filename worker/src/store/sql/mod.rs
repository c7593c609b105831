//! The storage traits of `store`, in SQL, once: [`SqlStore`] runs over any
//! [`Database`] — D1 in the worker, SQLite in the native tests — so the statements the
//! tests run are the ones production runs. One module per table (or group of tables),
//! each with its SQL, its row types and the tests of its SQL beside it.
//!
//! Depends on `store` (traits, records, the statement interface) and the shared domain;
//! nothing here knows which database it talks to.

mod api_keys;
mod audit;
mod cases;
mod deliveries;
mod exports;
mod invitations;
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
}

/// The key a respondent's e-mail address is matched by (`respondent_email_key`
/// columns): one normalisation, `validate::normalize_email`, for every table.
fn email_key(respondent: &nps_shared::api::Respondent) -> Option<String> {
    respondent
        .email
        .as_deref()
        .map(nps_shared::validate::normalize_email)
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
pub(crate) mod testing {
    //! Records for the SQL tests of each table module: a fresh migrated database that
    //! holds the demo survey, and answers, cases and deliveries built field by field.
    use super::SqlStore;
    use crate::store::sqlite::Sqlite;
    use crate::store::{Delivery, StoredCase, StoredResponse, SurveyStore};
    use nps_shared::Score;
    use nps_shared::api::{
        Channel, DeliveryStatus, EventType, Respondent, ResponseView, SurveyView,
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
            },
            respondent: v.respondent.clone(),
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
