//! The KV cache of survey definitions (hot config): the widget asks for a survey's
//! config on every page view, and KV answers that from the edge without a D1 round
//! trip. Writes go to D1 first, then refresh the cache entry (`sql::surveys`), so a
//! known survey's config, hosted page and answers read no D1.
//!
//! An entry carries when it was cached. Older than [`REFRESH_MS`], it is still served,
//! and the isolate that sees it so reads D1 once and puts it back (at most once per
//! [`REFRESH_MS`] per isolate and survey): a survey changed behind the worker's back
//! (`wrangler d1 execute`) or a lost cache write shows within the hour, and a survey
//! that is read never expires — an expiring key would send every request of every
//! location to D1 until KV has the new entry there (KV also caches a miss, up to a
//! minute). Entries expire after [`TTL_SECONDS`] unread.
//!
//! The isolate also holds the surveys it read from KV (fresh ones) or wrote, for
//! [`HOT_FOR_MS`]: in a burst, a survey's answers and config reads ask KV once every
//! few seconds per isolate, not once each.
//!
//! A `KvSurveys` lives for one event (the worker builds its `App` per request), and
//! keeps the surveys it has read or written for that event, and the ids KV did not
//! have: the flood limiter and the handler both need the survey of a public request,
//! and read it once.
//!
//! Ids that D1 did not have either are remembered by the isolate for
//! [`ABSENT_FOR_MS`] ([`RecentIds`], at most [`MAX_REMEMBERED`] of them): a made-up id
//! asked for again reads D1 no more. Only a KV miss consults them, and creating a
//! survey writes KV, so a new survey is found at once (where KV has propagated) even by
//! an isolate that remembers its id as absent.

use super::{StoreError, SurveyCache};
use nps_shared::api::SurveyView;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use worker::kv::KvStore;

/// How long an entry lives unread: a day (every refresh renews it).
const TTL_SECONDS: u64 = 86_400;

/// How old an entry may be before an isolate reads D1 for it again.
pub const REFRESH_MS: i64 = 3_600_000;

/// How long an isolate remembers that D1 had no survey of an id.
pub const ABSENT_FOR_MS: i64 = 60_000;

/// How long an isolate serves a survey from its own memory before it asks KV again:
/// under a burst, the answers and config reads of a survey cost no KV read each. A
/// survey changed through another isolate shows here within this time (KV itself takes
/// up to a minute to show a change in another location); one changed through this
/// isolate shows at once (`put`).
pub const HOT_FOR_MS: i64 = 5_000;

/// The most ids an isolate remembers (as absent, as refreshed); the oldest go first.
pub const MAX_REMEMBERED: usize = 1_024;

thread_local! {
    /// Workers run one thread per isolate: these are the isolate's memory, shared by
    /// its requests, gone when the isolate is.
    static ABSENT: RefCell<RecentIds> = RefCell::new(RecentIds::new(ABSENT_FOR_MS));
    static REFRESHED: RefCell<RecentIds> = RefCell::new(RecentIds::new(REFRESH_MS));
    static HOT: RefCell<Recent<SurveyView>> = RefCell::new(Recent::new(HOT_FOR_MS));
}

/// What KV holds for a survey.
#[derive(Serialize, Deserialize)]
struct Entry {
    survey: SurveyView,
    /// When it was read from or written to D1 (Unix ms).
    cached_at: i64,
}

pub struct KvSurveys {
    kv: KvStore,
    /// The surveys this event has read or written.
    seen: RefCell<Vec<SurveyView>>,
    /// The ids this event found no KV entry for.
    missed: RefCell<Vec<String>>,
    /// The ids whose entry this event found older than [`REFRESH_MS`].
    stale: RefCell<Vec<String>>,
}

impl KvSurveys {
    pub fn new(kv: KvStore) -> Self {
        KvSurveys {
            kv,
            seen: RefCell::new(Vec::new()),
            missed: RefCell::new(Vec::new()),
            stale: RefCell::new(Vec::new()),
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
    format!("survey:v2:{id}")
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

impl SurveyCache for KvSurveys {
    async fn get(&self, id: &str) -> Option<SurveyView> {
        if let Some(survey) = self.seen(id) {
            return Some(survey);
        }
        if self.missed.borrow().iter().any(|m| m == id) {
            return None;
        }
        let now = now_ms();
        if let Some(survey) = HOT.with_borrow(|hot| hot.get(id, now).cloned()) {
            self.keep(&survey);
            return Some(survey);
        }
        // The text, parsed by serde_json: the binding's `json` would walk a parsed
        // JavaScript object one property call at a time (several times slower).
        let read = self.kv.get(&key(id)).text().await.map(|text| {
            text.map(|text| serde_json::from_str::<Entry>(&text))
                .transpose()
        });
        match read {
            Ok(Ok(Some(entry))) => {
                if now - entry.cached_at >= REFRESH_MS {
                    self.stale.borrow_mut().push(id.to_string());
                } else {
                    // A stale entry is not held: the next request asks KV again,
                    // and one of them refreshes it from D1 (`claim_refresh`).
                    HOT.with_borrow_mut(|hot| hot.keep(id, entry.survey.clone(), now));
                }
                self.keep(&entry.survey);
                Some(entry.survey)
            }
            Ok(Ok(None)) => {
                self.missed.borrow_mut().push(id.to_string());
                None
            }
            Ok(Err(e)) => {
                worker::console_warn!("survey cache entry unreadable: {e}");
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
        HOT.with_borrow_mut(|hot| hot.keep(&survey.id, survey.clone(), now_ms()));
        self.stale.borrow_mut().retain(|s| *s != survey.id);
        ABSENT.with_borrow_mut(|absent| absent.forget(&survey.id));
        let entry = Entry {
            survey: survey.clone(),
            cached_at: now_ms(),
        };
        let put = async {
            self.kv
                .put(&key(&survey.id), serde_json::to_string(&entry)?)
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

    fn claim_refresh(&self, id: &str) -> bool {
        if !self.stale.borrow().iter().any(|s| s == id) {
            return false;
        }
        let now = now_ms();
        REFRESHED.with_borrow_mut(|refreshed| {
            let claimed = !refreshed.contains(id, now);
            if claimed {
                refreshed.remember(id, now);
            }
            claimed
        })
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

/// Ids remembered for a while (`for_ms` each), each with a value (`()` for a bare
/// id), at most [`MAX_REMEMBERED`]: a flood of ever new made-up ids costs a bounded
/// memory, and pushes out the oldest.
#[derive(Debug)]
pub struct Recent<V> {
    for_ms: i64,
    /// Id → when it is forgotten (Unix ms), and its value.
    until: HashMap<String, (i64, V)>,
    /// The ids in the order they were remembered, for forgetting the oldest.
    order: VecDeque<String>,
}

/// Ids remembered for a while, without a value.
pub type RecentIds = Recent<()>;

impl<V> Recent<V> {
    pub fn new(for_ms: i64) -> Self {
        Recent {
            for_ms,
            until: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn contains(&self, id: &str, now_ms: i64) -> bool {
        self.get(id, now_ms).is_some()
    }

    /// The value kept for `id`, unless it was forgotten or its time is up.
    pub fn get(&self, id: &str, now_ms: i64) -> Option<&V> {
        self.until
            .get(id)
            .and_then(|(until, value)| (now_ms < *until).then_some(value))
    }

    /// Keeps `value` for `id` from `now_ms` on, in place of what was kept.
    pub fn keep(&mut self, id: &str, value: V, now_ms: i64) {
        if self
            .until
            .insert(id.to_string(), (now_ms + self.for_ms, value))
            .is_some()
        {
            self.order.retain(|o| o != id);
        }
        self.order.push_back(id.to_string());
        while self.order.len() > MAX_REMEMBERED {
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

impl RecentIds {
    pub fn remember(&mut self, id: &str, now_ms: i64) {
        self.keep(id, (), now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_764_000_000_000;

    #[test]
    fn an_absent_id_is_remembered_for_a_minute() {
        let mut absent = RecentIds::new(ABSENT_FOR_MS);
        absent.remember("s_nope", T0);
        assert!(absent.contains("s_nope", T0 + ABSENT_FOR_MS - 1));
        assert!(!absent.contains("s_nope", T0 + ABSENT_FOR_MS));
        assert!(!absent.contains("s_other", T0));
    }

    #[test]
    fn a_survey_written_is_no_longer_absent() {
        let mut absent = RecentIds::new(ABSENT_FOR_MS);
        absent.remember("s_new", T0);
        absent.forget("s_new");
        assert!(!absent.contains("s_new", T0));
        assert!(absent.until.is_empty() && absent.order.is_empty());
    }

    #[test]
    fn a_flood_of_new_ids_keeps_the_newest_and_a_bounded_number() {
        let mut absent = RecentIds::new(ABSENT_FOR_MS);
        for i in 0..(3 * MAX_REMEMBERED) {
            absent.remember(&format!("s_made-up-{i}"), T0);
        }
        assert_eq!(absent.until.len(), MAX_REMEMBERED);
        assert_eq!(absent.order.len(), MAX_REMEMBERED);
        assert!(!absent.contains("s_made-up-0", T0), "the oldest went first");
        assert!(absent.contains(&format!("s_made-up-{}", 3 * MAX_REMEMBERED - 1), T0));
    }

    #[test]
    fn remembering_an_id_again_renews_it_without_a_second_entry() {
        let mut absent = RecentIds::new(ABSENT_FOR_MS);
        absent.remember("s_nope", T0);
        absent.remember("s_nope", T0 + ABSENT_FOR_MS - 1);
        assert_eq!(absent.order.len(), 1);
        assert!(absent.contains("s_nope", T0 + ABSENT_FOR_MS + 1));
    }

    #[test]
    fn a_kept_value_is_served_until_its_time_is_up_and_replaced_in_place() {
        let mut hot = Recent::new(HOT_FOR_MS);
        hot.keep("s_demo", 1, T0);
        assert_eq!(hot.get("s_demo", T0 + HOT_FOR_MS - 1), Some(&1));
        assert_eq!(hot.get("s_demo", T0 + HOT_FOR_MS), None);
        hot.keep("s_demo", 2, T0 + 10);
        assert_eq!(hot.get("s_demo", T0 + 11), Some(&2));
        assert_eq!(hot.order.len(), 1);
        assert_eq!(hot.get("s_other", T0), None);
    }

    #[test]
    fn an_entry_is_the_survey_and_when_it_was_cached() {
        let entry = Entry {
            survey: crate::service::fixtures::demo_survey(),
            cached_at: T0,
        };
        let json = serde_json::to_string(&entry).unwrap();
        let back: Entry = serde_json::from_str(&json).unwrap();
        assert_eq!(back.survey, entry.survey);
        assert_eq!(back.cached_at, T0);
    }
}
