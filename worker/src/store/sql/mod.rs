//! The storage traits of `store`, in SQL, once: [`SqlStore`] runs over any
//! [`Database`] — D1 in the worker, SQLite in the native tests — so the statements the
//! tests run are the ones production runs. One module per table (or group of tables),
//! each with its SQL, its row types and the tests of its SQL beside it.
//!
//! Depends on `store` (traits, records, the statement interface) and the shared domain;
//! nothing here knows which database it talks to.

mod cases;
mod deliveries;
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
    //! Records for the SQL tests of each table module.
    use super::SqlStore;
    use crate::store::sqlite::Sqlite;

    pub fn store() -> SqlStore<Sqlite> {
        SqlStore::new(Sqlite::migrated())
    }

    pub fn run<T>(future: impl std::future::IntoFuture<Output = T>) -> T {
        pollster::block_on(future.into_future())
    }
}
