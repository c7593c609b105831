//! The [`Database`] of the native tests: bundled SQLite (`rusqlite`), in memory, with
//! `worker/migrations/` applied in order — the schema `wrangler d1 migrations apply`
//! gives D1. Rows are handed to serde as JSON objects, as D1 hands them to the worker
//! as JS objects.
//!
//! [`Sqlite::fail_on`] is the fault injection of the tests: every statement whose SQL
//! names a given table then fails, as D1 does when it is down or locked. Statements
//! D1 would refuse and SQLite would take (unbound `?n`, over 100 parameters) fail
//! here too.

use super::db::{Database, MAX_PARAMETERS, Statement, Value};
use super::{StoreError, StoreResult};
use rusqlite::types::ValueRef;
use serde::de::DeserializeOwned;
use std::cell::RefCell;

pub struct Sqlite {
    connection: rusqlite::Connection,
    failing: RefCell<Option<String>>,
    /// Run just before the next batch: another writer getting in between a
    /// caller's reads and its write (`before_next_batch`).
    interloper: RefCell<Option<Statement>>,
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError(format!("sqlite: {e}"))
}

impl Sqlite {
    /// A fresh database with every migration applied.
    pub fn migrated() -> Self {
        Self::migrated_before("9999")
    }

    /// A fresh database with the migrations numbered below `number` (`"0019"`)
    /// applied: the schema a migration's backfill meets. [`Self::migrate_from`] then
    /// applies the rest.
    pub fn migrated_before(number: &str) -> Self {
        let connection = rusqlite::Connection::open_in_memory().expect("sqlite opens in memory");
        let db = Sqlite {
            connection,
            failing: RefCell::new(None),
            interloper: RefCell::new(None),
        };
        db.apply_migrations(|name| name < number);
        db
    }

    /// Applies the migrations numbered `number` and above.
    pub fn migrate_from(&self, number: &str) {
        self.apply_migrations(|name| name >= number);
    }

    fn apply_migrations(&self, wanted: impl Fn(&str) -> bool) {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<_> = std::fs::read_dir(folder)
            .expect("worker/migrations is readable")
            .map(|entry| entry.expect("a migration file").path())
            .filter(|path| path.extension().is_some_and(|e| e == "sql"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no migrations in {folder}");
        for file in files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if !wanted(name) {
                continue;
            }
            let sql = std::fs::read_to_string(&file).expect("a migration is UTF-8");
            // As `wrangler d1 migrations apply` runs them: foreign keys off while a
            // migration rebuilds a table.
            self.connection
                .execute_batch("PRAGMA foreign_keys = OFF")
                .expect("foreign keys switch off");
            self.connection
                .execute_batch(&sql)
                .unwrap_or_else(|e| panic!("{} does not apply: {e}", file.display()));
        }
        // D1 enforces foreign keys; so do the tests.
        self.connection
            .execute_batch("PRAGMA foreign_keys = ON")
            .expect("foreign keys switch on");
    }

    /// From now on every statement that names `table` fails (`None`: none does).
    pub fn fail_on(&self, table: Option<&str>) {
        *self.failing.borrow_mut() = table.map(str::to_owned);
    }

    /// Runs `statement` just before the next batch, as a concurrent writer would.
    pub fn before_next_batch(&self, statement: Statement) {
        *self.interloper.borrow_mut() = Some(statement);
    }

    fn check(&self, statement: &Statement) -> StoreResult<()> {
        match &*self.failing.borrow() {
            Some(table) if statement.sql.contains(table.as_str()) => {
                Err(StoreError(format!("{table} is down (injected)")))
            }
            _ => Ok(()),
        }
    }

    fn prepared(&self, statement: &Statement) -> StoreResult<rusqlite::Statement<'_>> {
        self.check(statement)?;
        let mut prepared = self.connection.prepare(&statement.sql).map_err(failed)?;
        // D1 refuses what SQLite would take: a statement whose `?n` are not all bound
        // (SQLite binds the missing ones as NULL), and more than 100 parameters.
        if prepared.parameter_count() != statement.params.len() {
            return Err(StoreError(format!(
                "{} parameters bound, {} in the SQL (D1 refuses this): {}",
                statement.params.len(),
                prepared.parameter_count(),
                statement.sql
            )));
        }
        if statement.params.len() > MAX_PARAMETERS {
            return Err(StoreError(format!(
                "{} parameters (D1 takes at most {MAX_PARAMETERS})",
                statement.params.len()
            )));
        }
        for (i, value) in statement.params.iter().enumerate() {
            let index = i + 1;
            match value {
                Value::Null => prepared.raw_bind_parameter(index, rusqlite::types::Null),
                Value::Integer(n) => prepared.raw_bind_parameter(index, n),
                Value::Text(text) => prepared.raw_bind_parameter(index, text),
            }
            .map_err(failed)?;
        }
        Ok(prepared)
    }

    /// Every row as a JSON object of its columns.
    fn rows(&self, statement: &Statement) -> StoreResult<Vec<serde_json::Value>> {
        let mut prepared = self.prepared(statement)?;
        let names: Vec<String> = prepared
            .column_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut rows = prepared.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let mut object = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let value = match row.get_ref(i).map_err(failed)? {
                    ValueRef::Null => serde_json::Value::Null,
                    ValueRef::Integer(n) => n.into(),
                    ValueRef::Real(x) => x.into(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                    ValueRef::Blob(_) => return Err(StoreError(format!("{name}: a blob"))),
                };
                object.insert(name.clone(), value);
            }
            out.push(serde_json::Value::Object(object));
        }
        Ok(out)
    }

    /// Runs a statement to its end; how many rows it returned.
    fn execute(&self, statement: &Statement) -> StoreResult<usize> {
        let mut prepared = self.prepared(statement)?;
        let mut rows = prepared.raw_query();
        let mut returned = 0;
        while rows.next().map_err(failed)?.is_some() {
            returned += 1;
        }
        Ok(returned)
    }

    /// Test helper: every row of a query, decoded.
    pub fn select<T: DeserializeOwned>(&self, sql: &str) -> Vec<T> {
        self.rows(&Statement::new(sql, Vec::new()))
            .expect("test query runs")
            .into_iter()
            .map(|row| serde_json::from_value(row).expect("test row decodes"))
            .collect()
    }
}

impl Database for Sqlite {
    async fn first<T: DeserializeOwned>(&self, statement: Statement) -> StoreResult<Option<T>> {
        let row = self.rows(&statement)?.into_iter().next();
        Ok(row.map(serde_json::from_value).transpose()?)
    }

    async fn all<T: DeserializeOwned>(&self, statement: Statement) -> StoreResult<Vec<T>> {
        self.rows(&statement)?
            .into_iter()
            .map(|row| Ok(serde_json::from_value(row)?))
            .collect()
    }

    async fn run(&self, statement: Statement) -> StoreResult<()> {
        self.execute(&statement).map(drop)
    }

    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<usize>> {
        // Checked before anything runs: an injected failure fails the whole batch, as
        // D1 rolls back a batch in which one statement fails.
        for statement in &statements {
            self.check(statement)?;
        }
        let interloper = self.interloper.borrow_mut().take();
        if let Some(other) = interloper {
            self.execute(&other)?;
        }
        let transaction = self.connection.unchecked_transaction().map_err(failed)?;
        let changes = statements
            .iter()
            .map(|s| self.execute(s))
            .collect::<StoreResult<Vec<_>>>()?;
        transaction.commit().map_err(failed)?;
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_applies_in_order() {
        let db = Sqlite::migrated();
        #[derive(serde::Deserialize)]
        struct Table {
            name: String,
        }
        let tables: Vec<String> = db
            .select::<Table>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .into_iter()
            .map(|t| t.name)
            .collect();
        for table in [
            "surveys",
            "responses",
            "cases",
            "deliveries",
            "invitations",
            "rate_limits",
        ] {
            assert!(
                tables.iter().any(|t| t == table),
                "{table} missing: {tables:?}"
            );
        }
    }

    #[test]
    fn a_batch_is_all_or_nothing() {
        let db = Sqlite::migrated();
        let insert = |id: &str| {
            crate::query!(
                "INSERT INTO rate_limits (key, window, count) VALUES (?1, 1, 1)",
                id
            )
        };
        let result = pollster::block_on(db.batch(vec![insert("a"), insert("a")]));
        assert!(result.is_err(), "the second insert breaks the unique key");
        #[derive(serde::Deserialize)]
        struct Count {
            n: i64,
        }
        assert_eq!(
            db.select::<Count>("SELECT COUNT(*) AS n FROM rate_limits")[0].n,
            0
        );
    }
}
