//! `surveys`: definitions as JSON, read through the survey cache (KV in the worker).

use super::{SqlStore, all_rows, first_row};
use crate::query;
use crate::store::db::Database;
use crate::store::{StoreError, StoreResult, SurveyCache, SurveyStore};
use nps_shared::api::SurveyView;
use serde::Deserialize;

#[derive(Deserialize)]
struct SurveyRow {
    id: String,
    definition: String,
    created_at: String,
    updated_at: String,
}

impl TryFrom<SurveyRow> for SurveyView {
    type Error = StoreError;
    fn try_from(row: SurveyRow) -> StoreResult<Self> {
        Ok(SurveyView {
            id: row.id,
            definition: serde_json::from_str(&row.definition)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl<D: Database, C: SurveyCache> SurveyStore for SqlStore<D, C> {
    async fn get_survey(&self, id: &str) -> StoreResult<Option<SurveyView>> {
        let cached = self.cache.get(id).await;
        match &cached {
            Some(_) if !self.cache.claim_refresh(id) => return Ok(cached),
            None if self.cache.known_absent(id) => return Ok(None),
            _ => {}
        }
        let read = first_row(
            &self.db,
            query!(
                "SELECT id, definition, created_at, updated_at FROM surveys WHERE id = ?1",
                id
            ),
            |row: SurveyRow| SurveyView::try_from(row),
        )
        .await;
        let survey = match (read, cached) {
            (Ok(survey), _) => survey,
            // A refresh that fails serves what the cache has: D1 being down must not
            // hide a survey the edge knows.
            (Err(_), Some(cached)) => return Ok(Some(cached)),
            (Err(e), None) => return Err(e),
        };
        match &survey {
            Some(survey) => self.cache.put(survey).await,
            None => self.cache.absent(id),
        }
        Ok(survey)
    }

    async fn cached_survey(&self, id: &str) -> Option<SurveyView> {
        self.cache.get(id).await
    }

    async fn list_surveys(&self) -> StoreResult<Vec<SurveyView>> {
        all_rows(
            &self.db,
            query!(
                "SELECT id, definition, created_at, updated_at FROM surveys ORDER BY created_at, id"
            ),
            |row: SurveyRow| SurveyView::try_from(row),
        )
        .await
    }

    async fn insert_survey(&self, survey: &SurveyView) -> StoreResult<bool> {
        let inserted = self
            .db
            .exists(query!(
                "INSERT INTO surveys (id, definition, created_at, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (id) DO NOTHING RETURNING 1 AS done",
                survey.id,
                serde_json::to_string(&survey.definition)?,
                survey.created_at,
                survey.updated_at,
            ))
            .await?;
        if inserted {
            self.cache.put(survey).await;
        }
        Ok(inserted)
    }

    async fn update_survey(&self, survey: &SurveyView) -> StoreResult<()> {
        self.db
            .run(query!(
                "UPDATE surveys SET definition = ?2, updated_at = ?3 WHERE id = ?1",
                survey.id,
                serde_json::to_string(&survey.definition)?,
                survey.updated_at,
            ))
            .await?;
        self.cache.put(survey).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, store};
    use crate::service::fixtures::demo_survey;
    use crate::store::SurveyStore;

    #[test]
    fn a_survey_is_stored_once_read_back_and_updated() {
        let s = store();
        let mut survey = demo_survey();
        assert!(run(s.insert_survey(&survey)).unwrap());
        assert!(!run(s.insert_survey(&survey)).unwrap(), "the id is taken");
        assert_eq!(run(s.get_survey("s_demo")).unwrap(), Some(survey.clone()));
        survey.definition.name = "Renamed".into();
        survey.updated_at = "2026-11-02T00:00:00.000Z".into();
        run(s.update_survey(&survey)).unwrap();
        assert_eq!(run(s.list_surveys()).unwrap(), vec![survey]);
        assert_eq!(run(s.get_survey("s_other")).unwrap(), None);
    }

    #[test]
    fn an_old_cache_entry_is_read_from_the_database_once_and_meanwhile_served() {
        use crate::store::db::Database;
        use crate::store::kv::REFRESH_MS;
        let s = crate::store::testing::cached_store();
        let mut survey = demo_survey();
        assert!(run(s.insert_survey(&survey)).unwrap());
        // Changed behind the worker's back: the cache does not know.
        survey.definition.name = "Renamed in D1".into();
        run(s.db().run(crate::query!(
            "UPDATE surveys SET definition = ?2 WHERE id = ?1",
            survey.id,
            serde_json::to_string(&survey.definition).unwrap(),
        )))
        .unwrap();
        s.db().reset();
        let cache = s.cache_for_tests();
        cache.now_ms.set(REFRESH_MS - 1);
        let read = run(s.get_survey("s_demo")).unwrap().unwrap();
        assert_eq!(read.definition.name, demo_survey().definition.name);
        assert_eq!(s.db().queries(), 0, "young enough: from the cache");
        cache.now_ms.set(REFRESH_MS);
        for _ in 0..100 {
            let read = run(s.get_survey("s_demo")).unwrap().unwrap();
            assert_eq!(read.definition.name, "Renamed in D1");
        }
        assert_eq!(s.db().queries(), 1, "one refresh, then the cache again");
    }

    #[test]
    fn a_refresh_that_fails_serves_the_cache_entry() {
        use crate::store::kv::REFRESH_MS;
        let s = crate::store::testing::cached_store();
        assert!(run(s.insert_survey(&demo_survey())).unwrap());
        s.db().inner().fail_on(Some("surveys"));
        s.cache_for_tests().now_ms.set(REFRESH_MS);
        assert_eq!(run(s.get_survey("s_demo")).unwrap(), Some(demo_survey()));
    }
}
