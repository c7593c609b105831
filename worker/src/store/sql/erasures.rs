//! `erasures_pending`: GDPR erasures whose scrub of the campaign lists is under way,
//! as keyed hashes only (the chunk's check against them is part of the throttle read
//! in `sql::campaigns`).

use super::SqlStore;
use crate::query;
use crate::store::StoreResult;
use crate::store::SurveyCache;
use crate::store::campaigns::ErasureStore;
use crate::store::db::Database;

impl<D: Database, C: SurveyCache> ErasureStore for SqlStore<D, C> {
    async fn insert_pending_erasure(&self, id: &str, key_hash: &str, at: &str) -> StoreResult<()> {
        self.db
            .run(query!(
                "INSERT INTO erasures_pending (id, key_hash, created_at) VALUES (?1, ?2, ?3)",
                id,
                key_hash,
                at
            ))
            .await
    }

    async fn end_pending_erasure(&self, id: &str) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "DELETE FROM erasures_pending WHERE id = ?1 RETURNING 1 AS done",
                id
            ))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, with_survey};
    use super::*;
    use crate::store::campaigns::CampaignStore;

    #[test]
    fn a_pending_erasure_is_found_by_its_hash_until_it_ends() {
        let s = with_survey();
        run(s.insert_pending_erasure("er_1", "h-kim", "2026-11-01T10:00:00.000Z")).unwrap();
        run(s.insert_pending_erasure("er_2", "h-kim", "2026-11-01T10:00:01.000Z")).unwrap();
        let erased = |s: &SqlStore<_>| {
            run(s.skipped_people(
                &["ann@x.example".into()],
                &["h-ann".into(), "h-kim".into()],
                "2026-10-01T00:00:00.000Z",
                "cmp_1",
                "2026-10-01T00:00:00.000Z",
            ))
            .unwrap()
            .erased
            .into_iter()
            .collect::<Vec<_>>()
        };
        assert_eq!(erased(&s), ["h-kim"]);
        assert!(run(s.end_pending_erasure("er_1")).unwrap());
        assert!(!run(s.end_pending_erasure("er_1")).unwrap(), "ended once");
        assert_eq!(
            erased(&s),
            ["h-kim"],
            "the second erase of kim is still pending"
        );
        assert!(run(s.end_pending_erasure("er_2")).unwrap());
        assert!(erased(&s).is_empty());
    }
}
