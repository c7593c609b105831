//! The statement interface between the SQL of `store::sql` and a database: a
//! [`Statement`] is SQL with its numbered parameters (`?1`, `?2`, …) bound to
//! [`Value`]s, and a [`Database`] runs it. D1 implements it in the worker
//! (`store::d1`), bundled SQLite (`rusqlite`) in native tests (`store::sqlite`), so
//! the tests run the very statements production runs, on the real migrations.
//!
//! Rows come back as serde-decoded structs: D1 hands them over as JS objects, SQLite
//! as JSON objects; integers are whole numbers in both, booleans 0/1.
//! Depends on nothing above `store`.

use super::StoreResult;
use serde::de::DeserializeOwned;

/// D1 binds at most this many parameters per statement (D1's limits): longer lists
/// are queried in chunks.
pub const MAX_PARAMETERS: usize = 100;

/// A bound parameter. D1 takes integers as JS numbers: only values well inside a
/// double's exact integers (scores, counts, days, quarter-hours) are bound.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Text(String),
}

/// What can be bound to a `?n`: text, small integers, booleans (0/1), and `None` as
/// SQL NULL.
pub trait Param {
    fn value(&self) -> Value;
}

impl Param for str {
    fn value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl Param for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value {
        (**self).value()
    }
}

impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}

impl Param for bool {
    fn value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}

macro_rules! integer_params {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value {
                Value::Integer(i64::from(*self))
            }
        }
    )*};
}
integer_params!(u8, u16, u32, i32, i64);

/// SQL and what its `?1`, `?2`, … are bound to. Build it with [`query!`](crate::query).
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<String>, params: Vec<Value>) -> Self {
        Statement {
            sql: sql.into(),
            params,
        }
    }
}

/// `query!("… WHERE id = ?1 AND owner = ?2", id, owner.as_deref())`: the statement
/// with each argument bound, in order, to `?1`, `?2`, …
#[macro_export]
macro_rules! query {
    ($sql:expr $(, $param:expr)* $(,)?) => {
        $crate::store::db::Statement::new($sql, $crate::params!($($param),*))
    };
}

/// `params!(a, b)`: the values `query!` binds, for SQL built around them.
#[macro_export]
macro_rules! params {
    ($($param:expr),* $(,)?) => {
        vec![$($crate::store::db::Param::value(&$param)),*]
    };
}

/// A SQLite database as the stores use it. Worker futures are not `Send`.
///
/// Whether a write changed a row is asked with `RETURNING` (a row back, or none; read
/// as `serde::de::IgnoredAny`), not
/// read from D1's result metadata: worker 0.8 decodes that metadata whole, and its
/// `size_after` (the database size) no longer fits wasm32's `usize` past 4 GiB.
#[allow(async_fn_in_trait)]
pub trait Database {
    /// The first row, if any.
    async fn first<T: DeserializeOwned>(&self, statement: Statement) -> StoreResult<Option<T>>;
    /// Every row.
    async fn all<T: DeserializeOwned>(&self, statement: Statement) -> StoreResult<Vec<T>>;
    /// Whether the statement returns a row: a match found, or a write that happened
    /// (`… RETURNING 1`).
    async fn exists(&self, statement: Statement) -> StoreResult<bool> {
        Ok(self
            .first::<serde::de::IgnoredAny>(statement)
            .await?
            .is_some())
    }
    /// Every row of two reads, in one round trip where the database allows it (D1: one
    /// batch); two statements against the budget either way.
    async fn all_pair<A: DeserializeOwned, B: DeserializeOwned>(
        &self,
        first: Statement,
        second: Statement,
    ) -> StoreResult<(Vec<A>, Vec<B>)> {
        Ok((self.all(first).await?, self.all(second).await?))
    }
    /// Runs a write.
    async fn run(&self, statement: Statement) -> StoreResult<()>;
    /// Runs the writes in order as one transaction: all or none. How many rows each
    /// returned (its `RETURNING` rows; 0 without).
    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<usize>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_bind_in_order_with_none_as_null() {
        let owner: Option<String> = None;
        let s = crate::query!("?1 ?2 ?3 ?4", "kim", owner.as_deref(), 7u8, true);
        assert_eq!(
            s.params,
            [
                Value::Text("kim".into()),
                Value::Null,
                Value::Integer(7),
                Value::Integer(1)
            ]
        );
    }
}
