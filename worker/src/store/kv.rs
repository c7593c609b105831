//! The KV cache of survey definitions (hot config): the widget asks for a survey's
//! config on every page view, and KV answers that from the edge without a D1 round
//! trip. Writes go to D1 first, then refresh the cache entry (`sql::surveys`), so a
//! known survey's config, hosted page and answers read no D1 while its entry lives.
//!
//! A `KvSurveys` lives for one event (the worker builds its `App` per request), and
//! keeps the surveys it has read or written for that event, and the ids KV did not
//! have: the flood limiter and the handler both need the survey of a public request,
//! and read it once.
//!
//! Ids that D1 did not have either are remembered by the isolate for
//! [`ABSENT_FOR_MS`] ([`Absences`], at most [`MAX_ABSENT`] of them): a made-up id asked
//! for again reads neither KV twice nor D1 again. Only a KV miss consults them, and
//! creating a survey writes KV, so a new survey is found at once (where KV has
//! propagated) even by an isolate that remembers its id as absent.

use super::{StoreError, SurveyCache};
use nps_shared::api::SurveyView;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use worker::kv::KvStore;

/// How long an entry lives. Every survey write refreshes it, so the TTL only bounds
/// how long a survey changed behind the worker's back (`wrangler d1 execute`) or a
/// lost refresh stays stale, and how often each survey is read from D1 again: once an
/// hour per survey, at any traffic.
const TTL_SECONDS: u64 = 3_600;

/// How long an isolate remembers that D1 had no survey of an id.
pub const ABSENT_FOR_MS: i64 = 60_000;

/// The most ids an isolate remembers as absent; the oldest go first.
pub const MAX_ABSENT: usize = 1_024;

thread_local! {
    /// Workers run one thread per isolate: this is the isolate's memory, shared by
    /// its requests, gone when the isolate is.
    static ABSENT: RefCell<Absences> = RefCell::new(Absences::default());
}

pub struct KvSurveys {
    kv: KvStore,
    /// The surveys this event has read or written.
    seen: RefCell<Vec<SurveyView>>,
    /// The ids this event found no KV entry for.
    missed: RefCell<Vec<String>>,
}

impl KvSurveys {
    pub fn new(kv: KvStore) -> Self {
        KvSurveys {
            kv,
            seen: RefCell::new(Vec::new()),
            missed: RefCell::new(Vec::new()),
        }
    }

    fn seen(&self, id: &str) -> Option<SurveyView> {
        self.seen.borrow().iter().find(|s| s.id == id).cloned()
    }

    fn keep(&self, survey: &SurveyView) {
        let mut seen = self.seen.borrow_mut();
        seen.retain(|s| s.id != survey.id);
        seen.push(survey.clone());
        self.missed.borrow_mut().retain(|id| *id != survey.id);
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
        if self.missed.borrow().iter().any(|m| m == id) {
            return None;
        }
        match self.kv.get(&key(id)).json::<SurveyView>().await {
            Ok(Some(survey)) => {
                self.keep(&survey);
                Some(survey)
            }
            Ok(None) => {
                self.missed.borrow_mut().push(id.to_string());
                None
            }
            Err(e) => {
                worker::console_warn!("survey cache read failed: {e}");
                None
            }
        }
    }

    async fn put(&self, survey: &SurveyView) {
        self.keep(survey);
        ABSENT.with_borrow_mut(|absent| absent.forget(&survey.id));
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

    fn known_absent(&self, id: &str) -> bool {
        let now = now_ms();
        ABSENT.with_borrow(|absent| absent.contains(id, now))
    }

    fn absent(&self, id: &str) {
        let now = now_ms();
        ABSENT.with_borrow_mut(|absent| absent.remember(id, now));
    }
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

/// Ids the database did not have, each until it expires ([`ABSENT_FOR_MS`]), at most
/// [`MAX_ABSENT`]: a flood of ever new made-up ids costs a bounded memory, and pushes
/// out the oldest.
#[derive(Debug, Default)]
pub struct Absences {
    /// Id → when it stops counting as absent (Unix ms).
    until: HashMap<String, i64>,
    /// The ids in the order they were remembered, for evicting the oldest.
    order: VecDeque<String>,
}

impl Absences {
    pub fn contains(&self, id: &str, now_ms: i64) -> bool {
        self.until.get(id).is_some_and(|until| now_ms < *until)
    }

    pub fn remember(&mut self, id: &str, now_ms: i64) {
        if self
            .until
            .insert(id.to_string(), now_ms + ABSENT_FOR_MS)
            .is_some()
        {
            self.order.retain(|o| o != id);
        }
        self.order.push_back(id.to_string());
        while self.order.len() > MAX_ABSENT {
            if let Some(oldest) = self.order.pop_front() {
                self.until.remove(&oldest);
            }
        }
    }

    pub fn forget(&mut self, id: &str) {
        if self.until.remove(id).is_some() {
            self.order.retain(|o| o != id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_764_000_000_000;

    #[test]
    fn an_absent_id_is_remembered_for_a_minute() {
        let mut absent = Absences::default();
        absent.remember("s_nope", T0);
        assert!(absent.contains("s_nope", T0 + ABSENT_FOR_MS - 1));
        assert!(!absent.contains("s_nope", T0 + ABSENT_FOR_MS));
        assert!(!absent.contains("s_other", T0));
    }

    #[test]
    fn a_survey_written_is_no_longer_absent() {
        let mut absent = Absences::default();
        absent.remember("s_new", T0);
        absent.forget("s_new");
        assert!(!absent.contains("s_new", T0));
        assert!(absent.until.is_empty() && absent.order.is_empty());
    }

    #[test]
    fn a_flood_of_new_ids_keeps_the_newest_and_a_bounded_number() {
        let mut absent = Absences::default();
        for i in 0..(3 * MAX_ABSENT) {
            absent.remember(&format!("s_made-up-{i}"), T0);
        }
        assert_eq!(absent.until.len(), MAX_ABSENT);
        assert_eq!(absent.order.len(), MAX_ABSENT);
        assert!(!absent.contains("s_made-up-0", T0), "the oldest went first");
        assert!(absent.contains(&format!("s_made-up-{}", 3 * MAX_ABSENT - 1), T0));
    }

    #[test]
    fn remembering_an_id_again_renews_it_without_a_second_entry() {
        let mut absent = Absences::default();
        absent.remember("s_nope", T0);
        absent.remember("s_nope", T0 + ABSENT_FOR_MS - 1);
        assert_eq!(absent.order.len(), 1);
        assert!(absent.contains("s_nope", T0 + ABSENT_FOR_MS + 1));
    }
}
