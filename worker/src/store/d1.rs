//! The [`Database`] of the worker: Cloudflare D1. Statements are prepared and bound
//! here and nowhere else; `db.batch` is D1's atomic batch (one transaction).

use super::db::{Database, MAX_PARAMETERS, Statement, Value};
use super::{StoreError, StoreResult};
use serde::de::{DeserializeOwned, IgnoredAny};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

pub struct D1 {
    db: D1Database,
}

impl D1 {
    pub fn new(db: D1Database) -> Self {
        D1 { db }
    }

    /// The statement bound; one D1 would refuse for its parameter count is refused
    /// here, with the SQL named in the log.
    fn prepare(&self, statement: Statement) -> StoreResult<D1PreparedStatement> {
        if statement.params.len() > MAX_PARAMETERS {
            return Err(StoreError(format!(
                "{} parameters (D1 takes at most {MAX_PARAMETERS}): {}",
                statement.params.len(),
                statement.sql
            )));
        }
        let params: Vec<JsValue> = statement.params.iter().map(js).collect();
        Ok(self.db.prepare(statement.sql).bind(&params)?)
    }
}

fn js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        // Days, quarter-hours and counts are far inside a double's exact integers.
        Value::Integer(n) => JsValue::from_f64(*n as f64),
        Value::Text(text) => JsValue::from_str(text),
    }
}

/// The error D1 reported for this statement, if any. Its metadata is never decoded
/// (see `db::Database`).
fn succeeded(result: &D1Result) -> StoreResult<()> {
    match result.error() {
        Some(error) => Err(StoreError(error)),
        None => Ok(()),
    }
}

impl Database for D1 {
    async fn first<T: DeserializeOwned>(&self, statement: Statement) -> StoreResult<Option<T>> {
        Ok(self.prepare(statement)?.first(None).await?)
    }

    async fn all<T: DeserializeOwned>(&self, statement: Statement) -> StoreResult<Vec<T>> {
        Ok(self.prepare(statement)?.all().await?.results()?)
    }

    async fn all_pair<A: DeserializeOwned, B: DeserializeOwned>(
        &self,
        first: Statement,
        second: Statement,
    ) -> StoreResult<(Vec<A>, Vec<B>)> {
        let prepared = vec![self.prepare(first)?, self.prepare(second)?];
        let mut results = self.db.batch(prepared).await?.into_iter();
        match (results.next(), results.next()) {
            (Some(a), Some(b)) => {
                succeeded(&a)?;
                succeeded(&b)?;
                Ok((a.results()?, b.results()?))
            }
            _ => Err(StoreError(
                "D1 answered a batch of two reads with fewer results".into(),
            )),
        }
    }

    async fn run(&self, statement: Statement) -> StoreResult<()> {
        succeeded(&self.prepare(statement)?.run().await?)
    }

    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<usize>> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let prepared = statements
            .into_iter()
            .map(|s| self.prepare(s))
            .collect::<StoreResult<Vec<_>>>()?;
        let mut returned = Vec::new();
        for result in self.db.batch(prepared).await? {
            succeeded(&result)?;
            returned.push(result.results::<IgnoredAny>()?.len());
        }
        Ok(returned)
    }
}
