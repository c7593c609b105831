//! D1 allows a Worker invocation a fixed number of queries (Cloudflare's D1 limits:
//! 1,000 on the paid plan, 50 on the free one), and `wrangler dev` does not enforce it.
//! [`Metered`] counts every statement a database runs — each statement of a batch
//! counts — and refuses the one past its budget with a [`StoreError`] before sending
//! it, so a path that would exceed the limit fails the same way here, in the tests and
//! on Cloudflare. The worker builds one per invocation (`app::App`) and reports
//! [`Metered::queries`] on every response (`X-D1-Queries`, `router`); the native tests
//! read it to hold every path to its bound at any data size.

use super::db::{Database, Statement};
use super::{StoreError, StoreResult};
use serde::de::DeserializeOwned;
use std::cell::Cell;

/// Queries per invocation on Cloudflare's paid plan (D1 limits).
pub const PAID_PLAN_QUERIES: u32 = 1_000;
/// Queries per invocation on Cloudflare's free plan (D1 limits): the bound every
/// request path, cron run and queue batch is held to in the native tests, whatever
/// the data size.
pub const FREE_PLAN_QUERIES: u32 = 50;

/// A database that counts its statements and stops at `budget`.
pub struct Metered<D> {
    db: D,
    budget: Cell<u32>,
    used: Cell<u32>,
}

impl<D> Metered<D> {
    pub fn new(db: D, budget: u32) -> Self {
        Metered {
            db,
            budget: Cell::new(budget),
            used: Cell::new(0),
        }
    }

    /// Statements run so far (refused ones are not counted).
    pub fn queries(&self) -> u32 {
        self.used.get()
    }

    /// Starts counting again (a test measuring one call after its set-up).
    #[cfg(test)]
    pub fn reset(&self) {
        self.used.set(0);
    }

    /// A new budget, counted from zero (a test's set-up ran under the old one).
    #[cfg(test)]
    pub fn set_budget(&self, budget: u32) {
        self.budget.set(budget);
        self.used.set(0);
    }

    #[cfg(test)]
    pub fn inner(&self) -> &D {
        &self.db
    }

    fn take(&self, n: usize) -> StoreResult<()> {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        let after = self.used.get().saturating_add(n);
        if after > self.budget.get() {
            return Err(StoreError(format!(
                "this invocation would run {after} D1 queries, over its budget of {}",
                self.budget.get()
            )));
        }
        self.used.set(after);
        Ok(())
    }
}

impl<D: Database> Database for Metered<D> {
    async fn first<T: DeserializeOwned>(&self, statement: Statement) -> StoreResult<Option<T>> {
        self.take(1)?;
        self.db.first(statement).await
    }

    async fn all<T: DeserializeOwned>(&self, statement: Statement) -> StoreResult<Vec<T>> {
        self.take(1)?;
        self.db.all(statement).await
    }

    async fn all_pair<A: DeserializeOwned, B: DeserializeOwned>(
        &self,
        first: Statement,
        second: Statement,
    ) -> StoreResult<(Vec<A>, Vec<B>)> {
        self.take(2)?;
        self.db.all_pair(first, second).await
    }

    async fn run(&self, statement: Statement) -> StoreResult<()> {
        self.take(1)?;
        self.db.run(statement).await
    }

    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<usize>> {
        self.take(statements.len())?;
        self.db.batch(statements).await
    }
}

/// The budget `D1_QUERIES_PER_INVOCATION` names (a whole number from 1), else the paid
/// plan's.
pub fn parse_budget(value: &str) -> Option<u32> {
    value.trim().parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::Sqlite;

    #[test]
    fn every_statement_of_a_batch_counts_and_the_one_past_the_budget_is_refused() {
        let db = Metered::new(Sqlite::migrated(), 3);
        pollster::block_on(db.run(crate::query!("SELECT 1"))).expect("one");
        let two = vec![crate::query!("SELECT 1"), crate::query!("SELECT 2")];
        pollster::block_on(db.batch(two)).expect("two more");
        assert_eq!(db.queries(), 3);
        let refused = pollster::block_on(db.run(crate::query!("SELECT 1")));
        assert!(refused.is_err_and(|e| e.0.contains("over its budget of 3")));
        assert_eq!(db.queries(), 3, "a refused statement is not run");
        db.reset();
        assert_eq!(db.queries(), 0);
    }

    #[test]
    fn a_pair_of_reads_is_two_statements_and_gives_each_read_its_rows() {
        let db = Metered::new(Sqlite::migrated(), 3);
        let (a, b) = pollster::block_on(db.all_pair::<serde_json::Value, serde_json::Value>(
            crate::query!("SELECT 1 AS n UNION ALL SELECT 2"),
            crate::query!("SELECT 'x' AS s"),
        ))
        .expect("a pair");
        assert_eq!(
            a,
            [serde_json::json!({"n": 1}), serde_json::json!({"n": 2})]
        );
        assert_eq!(b, [serde_json::json!({"s": "x"})]);
        assert_eq!(db.queries(), 2);
        let refused = pollster::block_on(db.all_pair::<serde_json::Value, serde_json::Value>(
            crate::query!("SELECT 1"),
            crate::query!("SELECT 2"),
        ));
        assert!(refused.is_err_and(|e| e.0.contains("over its budget of 3")));
    }

    #[test]
    fn a_batch_that_would_cross_the_budget_runs_none_of_its_statements() {
        let db = Metered::new(Sqlite::migrated(), 2);
        let three = vec![
            crate::query!("INSERT INTO rate_limits (key, window, count) VALUES ('k', 1, 1)"),
            crate::query!("SELECT 1"),
            crate::query!("SELECT 2"),
        ];
        assert!(pollster::block_on(db.batch(three)).is_err());
        assert_eq!(db.queries(), 0);
    }

    #[test]
    fn the_budget_setting_is_a_whole_number_from_one() {
        assert_eq!(parse_budget("50"), Some(50));
        assert_eq!(parse_budget(" 1000 "), Some(1000));
        assert_eq!(parse_budget("0"), None);
        assert_eq!(parse_budget("lots"), None);
    }
}
