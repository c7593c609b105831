//! `rate_limits`: fixed-window counters, one row per key and window.

use super::SqlStore;
use crate::query;
use crate::store::db::Database;
use crate::store::{RateLimitStore, StoreResult, SurveyCache};
use serde::Deserialize;

#[derive(Deserialize)]
struct CountRow {
    count: f64,
}

/// A count (a JS number from D1) as a `u32`, saturating.
fn count_of(row: Option<CountRow>) -> u32 {
    row.map_or(0, |r| r.count.clamp(0.0, f64::from(u32::MAX)) as u32)
}

impl<D: Database, C: SurveyCache> RateLimitStore for SqlStore<D, C> {
    async fn hit(&self, key: &str, window: i64) -> StoreResult<u32> {
        // One statement: concurrent requests serialise on the row, none is lost.
        let row: Option<CountRow> = self
            .db
            .first(query!(
                "INSERT INTO rate_limits (key, window, count) VALUES (?1, ?2, 1) \
                 ON CONFLICT (key, window) DO UPDATE SET count = count + 1 RETURNING count",
                key,
                window
            ))
            .await?;
        Ok(count_of(row).max(1))
    }

    async fn count(&self, key: &str, window: i64) -> StoreResult<u32> {
        let row: Option<CountRow> = self
            .db
            .first(query!(
                "SELECT count FROM rate_limits WHERE key = ?1 AND window = ?2",
                key,
                window
            ))
            .await?;
        Ok(count_of(row))
    }

    async fn forget_before(&self, window: i64) -> StoreResult<()> {
        self.db
            .run(query!("DELETE FROM rate_limits WHERE window < ?1", window))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, store};
    use crate::store::RateLimitStore;

    #[test]
    fn hits_count_per_key_and_window_and_old_windows_are_forgotten() {
        let s = store();
        assert_eq!(run(s.hit("ip:1", 10)).unwrap(), 1);
        assert_eq!(run(s.hit("ip:1", 10)).unwrap(), 2);
        assert_eq!(run(s.hit("ip:2", 10)).unwrap(), 1);
        assert_eq!(run(s.hit("ip:1", 11)).unwrap(), 1);
        assert_eq!(run(s.count("ip:1", 10)).unwrap(), 2);
        assert_eq!(run(s.count("ip:3", 10)).unwrap(), 0);
        run(s.forget_before(11)).unwrap();
        assert_eq!(run(s.count("ip:2", 10)).unwrap(), 0);
        assert_eq!(run(s.count("ip:1", 10)).unwrap(), 0);
        assert_eq!(run(s.count("ip:1", 11)).unwrap(), 1);
    }
}
