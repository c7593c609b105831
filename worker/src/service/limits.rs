//! Rate limits: public requests per client and survey, and failed admin
//! authentications per client (token guessing). The arithmetic is in
//! `nps_shared::rate_limit`; the counters are a `RateLimitStore` (D1 in the worker).

use super::ServiceError;
use crate::store::{RateLimitStore, StoreError};
use nps_shared::rate_limit::{self, Decision, Scope};

/// How a public request was let through.
#[derive(Debug)]
pub enum Admission {
    /// Counted, and within the limit.
    Counted,
    /// Let through without counting: the counter could not be written. Storage being
    /// down must not hide a survey whose config lives in KV (the widget would vanish
    /// from every page); an answer's own write fails with its 503 anyway and the
    /// widget keeps it for later. The error is for the log.
    Uncounted(StoreError),
}

/// Counts a public request of `client` for `survey_id` (or for
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

/// An `admit` for the services' tests: counts nothing, refuses nothing.
#[cfg(test)]
pub async fn uncounted(_: &nps_shared::api::SurveyView) -> Result<(), ServiceError> {
    Ok(())
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
    use crate::store::testing::TestStore;
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
}
