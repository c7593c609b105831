//! Rate limits, two kinds:
//! - exact, in D1 (`RateLimitStore`): answers per client and survey (the survey's
//!   `rate_limit_per_minute`), and failed admin authentications per client (token
//!   guessing, written only on a failure);
//! - approximate, through the Workers Rate Limiting binding (`FloodLimiter`): flood
//!   protection for public reads (a survey's config, its hosted page), comments and
//!   ids that name no survey. These run on every page view that shows the widget, so
//!   they must cost no D1 write (and a known survey's read no D1 query at all).
//!
//! The arithmetic is in `nps_shared::rate_limit`.

use super::ServiceError;
use crate::store::{FloodLimiter, RateLimitStore, StoreError, SurveyStore};
use nps_shared::rate_limit::{self, Decision, Scope};
use nps_shared::validate::is_survey_id;

/// How a public request was let through.
#[derive(Debug)]
pub enum Admission {
    /// Counted, and within the limit.
    Counted,
    /// Let through without counting: the counter could not be written (or the
    /// limiter answered no verdict). Storage being down must not hide a survey whose
    /// config lives in KV (the widget would vanish from every page); an answer's own
    /// write fails with its 503 anyway and the widget keeps it for later. The error is
    /// for the log.
    Uncounted(StoreError),
}

/// Counts a public read of `client` for `survey_id` (its config, its hosted page)
/// with the flood limiter; 429 once the limiter says the client is over. Whether the
/// survey exists is asked of the cache only (KV in the worker): a known survey counts
/// on its own key, anything else (a made-up id, a survey the cache lost) on the
/// client's key for surveys that do not exist, before the handler may read D1 for it.
pub async fn admit_read(
    store: &impl SurveyStore,
    limiter: &impl FloodLimiter,
    client: &str,
    survey_id: &str,
    now_ms: i64,
) -> Result<Admission, ServiceError> {
    let known = is_survey_id(survey_id) && store.cached_survey(survey_id).await.is_some();
    let subject = if known {
        survey_id
    } else {
        rate_limit::UNKNOWN_SURVEY
    };
    let key = rate_limit::key(Scope::Read, client, subject);
    let detail = if known {
        format!("too many requests for survey {survey_id} from one client this minute")
    } else {
        "too many requests for surveys that do not exist from one client this minute".into()
    };
    flood_check(limiter, &key, detail, now_ms).await
}

/// Counts a webhook to a shop connector that carries no valid signature (a bad one,
/// or WooCommerce's unsigned ping) with the flood limiter, before it is logged: a
/// forger past the limit gets 429 and costs no D1 write.
pub async fn admit_unsigned(
    limiter: &impl FloodLimiter,
    client: &str,
    now_ms: i64,
) -> Result<Admission, ServiceError> {
    let key = rate_limit::key(Scope::Unsigned, client, "");
    let detail = "too many unsigned or wrongly signed webhooks from one client this minute".into();
    flood_check(limiter, &key, detail, now_ms).await
}

/// Counts a comment of `client` with the flood limiter, before its answer is read:
/// a made-up answer id past the limit costs no D1 read.
pub async fn admit_comment(
    limiter: &impl FloodLimiter,
    client: &str,
    now_ms: i64,
) -> Result<Admission, ServiceError> {
    let key = rate_limit::key(Scope::Comments, client, "");
    let detail = "too many comments from one client this minute".to_string();
    flood_check(limiter, &key, detail, now_ms).await
}

/// The limiter's verdict on `key`. A limiter that fails lets the request through
/// uncounted: flood protection being down must not hide the widget.
async fn flood_check(
    limiter: &impl FloodLimiter,
    key: &str,
    detail: String,
    now_ms: i64,
) -> Result<Admission, ServiceError> {
    match limiter.allow(key).await {
        Ok(true) => Ok(Admission::Counted),
        // The binding says no more than that; its windows are a minute long (`period =
        // 60`), so the rest of this minute is the wait (exact under `wrangler dev`,
        // whose windows are whole minutes of the wall clock; on Cloudflare at most a
        // minute).
        Ok(false) => Err(ServiceError::TooManyRequests {
            detail,
            retry_after_seconds: rate_limit::retry_after_seconds(now_ms),
        }),
        Err(e) => Ok(Admission::Uncounted(e)),
    }
}

/// Counts an answer of `client` for `survey_id` (or for
/// [`rate_limit::UNKNOWN_SURVEY`]: any survey that does not exist); 429 once the limit
/// for this minute is used up.
pub async fn admit_public(
    store: &impl RateLimitStore,
    client: &str,
    survey_id: &str,
    per_minute: u32,
    now_ms: i64,
) -> Result<Admission, ServiceError> {
    let key = rate_limit::key(Scope::Survey, client, survey_id);
    let count = match store.hit(&key, rate_limit::window(now_ms)).await {
        Ok(count) => count,
        Err(e) => return Ok(Admission::Uncounted(e)),
    };
    match rate_limit::decide(count, per_minute, now_ms) {
        Decision::Allowed => Ok(Admission::Counted),
        Decision::Limited {
            retry_after_seconds,
        } => Err(ServiceError::TooManyRequests {
            detail: if survey_id == rate_limit::UNKNOWN_SURVEY {
                format!(
                    "at most {per_minute} requests a minute for surveys that do not exist from one client"
                )
            } else {
                format!(
                    "at most {per_minute} requests a minute for survey {survey_id} from one client"
                )
            },
            retry_after_seconds,
        }),
    }
}

/// 429 while `client` has used up its failed admin authentications this minute. The
/// router asks only for requests without the right token: a guesser is slowed down,
/// the admin (or anyone holding the token) is never locked out.
pub async fn check_admin_failures(
    store: &impl RateLimitStore,
    client: &str,
    per_minute: u32,
    now_ms: i64,
) -> Result<(), ServiceError> {
    let key = rate_limit::key(Scope::AdminAuth, client, "");
    let count = store.count(&key, rate_limit::window(now_ms)).await?;
    // `count` failures so far: the next request would be failure count + 1 at most.
    match rate_limit::decide(count.saturating_add(1), per_minute, now_ms) {
        Decision::Allowed => Ok(()),
        Decision::Limited {
            retry_after_seconds,
        } => Err(ServiceError::TooManyRequests {
            detail: format!(
                "too many failed admin authentications (at most {per_minute} a minute)"
            ),
            retry_after_seconds,
        }),
    }
}

/// Counts one failed admin authentication of `client`.
pub async fn record_admin_failure(
    store: &impl RateLimitStore,
    client: &str,
    now_ms: i64,
) -> Result<(), ServiceError> {
    let key = rate_limit::key(Scope::AdminAuth, client, "");
    store.hit(&key, rate_limit::window(now_ms)).await?;
    Ok(())
}

/// The cron's clean-up: counters of windows before the previous one are no longer read.
pub async fn forget_old(store: &impl RateLimitStore, now_ms: i64) -> Result<(), ServiceError> {
    Ok(store.forget_before(rate_limit::window(now_ms) - 1).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::service::surveys;
    use crate::store::testing::{TestLimiter, TestStore, cached_store};
    use pollster::block_on;

    const MINUTE: i64 = 60_000;
    const T0: i64 = 1_764_000_000_000; // a whole minute

    fn limited<T: std::fmt::Debug>(result: Result<T, ServiceError>) -> Option<u32> {
        match result {
            Err(ServiceError::TooManyRequests {
                retry_after_seconds,
                ..
            }) => Some(retry_after_seconds),
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) => None,
        }
    }

    #[test]
    fn requests_for_surveys_that_do_not_exist_share_one_counter_per_client() {
        // Regression (review): made-up survey ids were never counted.
        let m = TestStore::default();
        let unknown = rate_limit::UNKNOWN_SURVEY;
        for _ in 0..2 {
            assert!(limited(block_on(admit_public(&m, "1.2.3.4", unknown, 2, T0))).is_none());
        }
        match block_on(admit_public(&m, "1.2.3.4", unknown, 2, T0)) {
            Err(ServiceError::TooManyRequests { detail, .. }) => {
                assert!(detail.contains("surveys that do not exist"), "{detail}");
            }
            other => panic!("expected a 429, got {other:?}"),
        }
        assert!(limited(block_on(admit_public(&m, "5.6.7.8", unknown, 2, T0))).is_none());
    }

    #[test]
    fn a_counter_that_cannot_be_written_lets_the_request_through_uncounted() {
        let m = TestStore::default();
        m.fail_on(Some("rate_limits"));
        for _ in 0..3 {
            let admitted = block_on(admit_public(&m, "1.2.3.4", "s_a", 1, T0)).unwrap();
            assert!(matches!(admitted, Admission::Uncounted(_)), "{admitted:?}");
        }
        m.fail_on(None);
        assert!(matches!(
            block_on(admit_public(&m, "1.2.3.4", "s_a", 1, T0)).unwrap(),
            Admission::Counted
        ));
        assert!(limited(block_on(admit_public(&m, "1.2.3.4", "s_a", 1, T0))).is_some());
    }

    #[test]
    fn a_client_gets_its_limit_then_429_until_the_next_minute() {
        let m = TestStore::default();
        for i in 0..3 {
            assert_eq!(
                limited(block_on(admit_public(&m, "1.2.3.4", "s_a", 3, T0 + i))),
                None
            );
        }
        assert_eq!(
            limited(block_on(admit_public(&m, "1.2.3.4", "s_a", 3, T0 + 15_000))),
            Some(45)
        );
        assert_eq!(
            limited(block_on(admit_public(&m, "1.2.3.4", "s_a", 3, T0 + MINUTE))),
            None
        );
    }

    #[test]
    fn clients_and_surveys_have_their_own_counters() {
        let m = TestStore::default();
        assert_eq!(
            limited(block_on(admit_public(&m, "1.2.3.4", "s_a", 1, T0))),
            None
        );
        assert!(limited(block_on(admit_public(&m, "1.2.3.4", "s_a", 1, T0))).is_some());
        assert_eq!(
            limited(block_on(admit_public(&m, "5.6.7.8", "s_a", 1, T0))),
            None
        );
        assert_eq!(
            limited(block_on(admit_public(&m, "1.2.3.4", "s_b", 1, T0))),
            None
        );
    }

    #[test]
    fn failed_admin_authentications_lock_the_client_out_for_the_minute() {
        let m = TestStore::default();
        for _ in 0..2 {
            assert_eq!(
                limited(block_on(check_admin_failures(&m, "9.9.9.9", 2, T0))),
                None
            );
            block_on(record_admin_failure(&m, "9.9.9.9", T0)).unwrap();
        }
        assert_eq!(
            limited(block_on(check_admin_failures(&m, "9.9.9.9", 2, T0 + 1_000))),
            Some(59)
        );
        assert_eq!(
            limited(block_on(check_admin_failures(&m, "8.8.8.8", 2, T0))),
            None
        );
        assert_eq!(
            limited(block_on(check_admin_failures(
                &m,
                "9.9.9.9",
                2,
                T0 + MINUTE
            ))),
            None
        );
    }

    #[test]
    fn the_cleanup_keeps_the_current_and_previous_window() {
        let m = TestStore::default();
        block_on(admit_public(&m, "1.2.3.4", "s_a", 9, T0 - 2 * MINUTE)).unwrap();
        block_on(admit_public(&m, "1.2.3.4", "s_a", 9, T0 - MINUTE)).unwrap();
        block_on(admit_public(&m, "1.2.3.4", "s_a", 9, T0)).unwrap();
        assert_eq!(m.rate_limit_rows(), 3);
        block_on(forget_old(&m, T0)).unwrap();
        assert_eq!(m.rate_limit_rows(), 2);
    }

    /// A config read as `GET /v1/surveys/{id}/config` makes it: the flood limiter,
    /// then the survey's config.
    fn read_config(
        store: &crate::store::testing::CachedTestStore,
        limiter: &TestLimiter,
        client: &str,
        id: &str,
    ) -> Result<(), ServiceError> {
        block_on(admit_read(store, limiter, client, id, T0))?;
        block_on(surveys::config(store, id, Some("en"), None)).map(|_| ())
    }

    #[test]
    fn reads_of_a_known_survey_run_no_d1_query_however_many() {
        let store = cached_store();
        assert!(block_on(store.insert_survey(&demo_survey())).unwrap());
        let limiter = TestLimiter::new(u32::MAX);
        store.db().reset();
        for i in 0..1_000 {
            read_config(
                &store,
                &limiter,
                &format!("10.0.{}.{}", i / 250, i % 250),
                "s_demo",
            )
            .expect("a config");
        }
        assert_eq!(store.db().queries(), 0);
    }

    #[test]
    fn a_survey_the_cache_lost_is_read_from_d1_once_and_cached_again() {
        let store = cached_store();
        assert!(block_on(store.insert_survey(&demo_survey())).unwrap());
        let limiter = TestLimiter::new(u32::MAX);
        store.cache_for_tests().evict("s_demo");
        store.db().reset();
        for _ in 0..50 {
            read_config(&store, &limiter, "1.2.3.4", "s_demo").expect("a config");
        }
        assert_eq!(store.db().queries(), 1);
        // Until it is cached again it counted with the unknown surveys: at most one
        // request of the client's.
        assert_eq!(limiter.keys(), ["r|1.2.3.4|-", "r|1.2.3.4|s_demo"]);
    }

    #[test]
    fn a_made_up_id_reads_d1_once_a_minute_and_a_malformed_one_never() {
        let store = cached_store();
        let limiter = TestLimiter::new(u32::MAX);
        for _ in 0..20 {
            let read = read_config(&store, &limiter, "1.2.3.4", "s_made-up");
            assert!(matches!(read, Err(ServiceError::NotFound(_))), "{read:?}");
            let read = read_config(&store, &limiter, "1.2.3.4", "<script>");
            assert!(matches!(read, Err(ServiceError::NotFound(_))), "{read:?}");
        }
        assert_eq!(store.db().queries(), 1);
        store
            .cache_for_tests()
            .now_ms
            .set(crate::store::kv::ABSENT_FOR_MS);
        assert!(read_config(&store, &limiter, "1.2.3.4", "s_made-up").is_err());
        assert_eq!(store.db().queries(), 2, "asked again after a minute");
        assert_eq!(limiter.keys(), ["r|1.2.3.4|-"], "all on one key");
    }

    #[test]
    fn a_survey_created_after_its_id_was_asked_for_is_found_at_once() {
        let store = cached_store();
        let limiter = TestLimiter::new(u32::MAX);
        assert!(read_config(&store, &limiter, "1.2.3.4", "s_demo").is_err());
        assert!(block_on(store.insert_survey(&demo_survey())).unwrap());
        read_config(&store, &limiter, "1.2.3.4", "s_demo").expect("found at once");
    }

    #[test]
    fn a_flood_of_reads_from_one_client_is_refused_and_others_go_on() {
        let store = cached_store();
        assert!(block_on(store.insert_survey(&demo_survey())).unwrap());
        let limiter = TestLimiter::new(3);
        for _ in 0..3 {
            read_config(&store, &limiter, "1.2.3.4", "s_demo").expect("within the limit");
        }
        match read_config(&store, &limiter, "1.2.3.4", "s_demo") {
            Err(ServiceError::TooManyRequests {
                detail,
                retry_after_seconds,
            }) => {
                assert!(detail.contains("survey s_demo"), "{detail}");
                assert_eq!(retry_after_seconds, 60, "T0 is a whole minute");
            }
            other => panic!("expected a 429, got {other:?}"),
        }
        read_config(&store, &limiter, "5.6.7.8", "s_demo").expect("another client");
    }

    #[test]
    fn reads_for_surveys_that_do_not_exist_share_one_key_per_client() {
        let store = cached_store();
        assert!(block_on(store.insert_survey(&demo_survey())).unwrap());
        let limiter = TestLimiter::new(2);
        for id in ["s_one", "s_two"] {
            assert!(matches!(
                read_config(&store, &limiter, "1.2.3.4", id),
                Err(ServiceError::NotFound(_))
            ));
        }
        match read_config(&store, &limiter, "1.2.3.4", "s_three") {
            Err(ServiceError::TooManyRequests { detail, .. }) => {
                assert!(detail.contains("surveys that do not exist"), "{detail}");
            }
            other => panic!("expected a 429, got {other:?}"),
        }
        read_config(&store, &limiter, "1.2.3.4", "s_demo").expect("a known survey goes on");
    }

    #[test]
    fn a_limiter_that_fails_lets_reads_and_comments_through_uncounted() {
        let store = cached_store();
        assert!(block_on(store.insert_survey(&demo_survey())).unwrap());
        let limiter = TestLimiter::new(0);
        limiter.down.set(true);
        let read = block_on(admit_read(&store, &limiter, "1.2.3.4", "s_demo", T0)).unwrap();
        assert!(matches!(read, Admission::Uncounted(_)), "{read:?}");
        let comment = block_on(admit_comment(&limiter, "1.2.3.4", T0)).unwrap();
        assert!(matches!(comment, Admission::Uncounted(_)), "{comment:?}");
        limiter.down.set(false);
        assert!(
            limited(block_on(admit_read(
                &store, &limiter, "1.2.3.4", "s_demo", T0
            )))
            .is_some()
        );
    }

    #[test]
    fn comments_count_per_client_without_reading_anything() {
        let store = TestStore::default();
        let limiter = TestLimiter::new(2);
        for _ in 0..2 {
            assert!(limited(block_on(admit_comment(&limiter, "1.2.3.4", T0 + 30_000))).is_none());
        }
        assert_eq!(
            limited(block_on(admit_comment(&limiter, "1.2.3.4", T0 + 30_000))),
            Some(30)
        );
        assert!(limited(block_on(admit_comment(&limiter, "5.6.7.8", T0))).is_none());
        assert_eq!(limiter.keys(), ["c|1.2.3.4", "c|5.6.7.8"]);
        assert_eq!(store.queries(), 0);
        assert_eq!(store.rate_limit_rows(), 0, "no counter in D1");
    }
}
