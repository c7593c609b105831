//! The KV cache of survey definitions (hot config): the widget asks for a survey's
//! config on every page view, and KV answers that from the edge without a D1 round
//! trip. Writes go to D1 first, then refresh the cache entry (`sql::surveys`).
//!
//! A `KvSurveys` lives for one event (the worker builds its `App` per request), and
//! keeps the surveys it has read or written for that event: the rate limiter and the
//! handler both need the survey of a public request, and read it once.

use super::{StoreError, SurveyCache};
use nps_shared::api::SurveyView;
use std::cell::RefCell;
use worker::kv::KvStore;

/// Long enough to absorb page-view bursts, short enough that an edit made elsewhere
/// (or a lost cache refresh) shows within minutes. KV's minimum is 60 s.
const TTL_SECONDS: u64 = 300;

pub struct KvSurveys {
    kv: KvStore,
    /// The surveys this event has read or written.
    seen: RefCell<Vec<SurveyView>>,
}

impl KvSurveys {
    pub fn new(kv: KvStore) -> Self {
        KvSurveys {
            kv,
            seen: RefCell::new(Vec::new()),
        }
    }

    fn seen(&self, id: &str) -> Option<SurveyView> {
        self.seen.borrow().iter().find(|s| s.id == id).cloned()
    }

    fn keep(&self, survey: &SurveyView) {
        let mut seen = self.seen.borrow_mut();
        seen.retain(|s| s.id != survey.id);
        seen.push(survey.clone());
    }
}

fn key(id: &str) -> String {
    format!("survey:v1:{id}")
}

impl SurveyCache for KvSurveys {
    async fn get(&self, id: &str) -> Option<SurveyView> {
        if let Some(survey) = self.seen(id) {
            return Some(survey);
        }
        match self.kv.get(&key(id)).json::<SurveyView>().await {
            Ok(Some(survey)) => {
                self.keep(&survey);
                Some(survey)
            }
            Ok(None) => None,
            Err(e) => {
                worker::console_warn!("survey cache read failed: {e}");
                None
            }
        }
    }

    async fn put(&self, survey: &SurveyView) {
        self.keep(survey);
        let put = async {
            self.kv
                .put(&key(&survey.id), serde_json::to_string(survey)?)
                .map_err(|e| StoreError(e.to_string()))?
                .expiration_ttl(TTL_SECONDS)
                .execute()
                .await
                .map_err(|e| StoreError(e.to_string()))
        };
        // A cache that cannot be written only costs speed: D1 stays the truth.
        if let Err(e) = put.await {
            worker::console_warn!("survey cache write failed: {e}");
        }
    }
}
