//! The measured impact of an action plan: the NPS of the answers it aims at in two
//! equal windows before and after it went live, each with its 95% margin of error,
//! and whether the difference is more than chance (a two-sample test at 95%).
//!
//! # Windows
//!
//! With `live` the instant the plan went live and `now` the instant of the reading,
//! the window length is `min(now − live, max_window)` ([`DEFAULT_WINDOW_DAYS`] by
//! default): before is `[live − len, live)`, after is `[live, live + len)`. Equal
//! lengths, so a weekly rhythm or a campaign does not weigh on one side only; the
//! after-window never reaches past `now`. A plan that is not live yet (or goes live
//! in the future) has no windows.
//!
//! # The test
//!
//! Each window's margin is [`margin_of_error`] — the report's formula, not a copy of
//! it: `1.96 × SE × 100` with `SE = sqrt(variance / n)` per answer scored +1/0/−1.
//! The two windows are independent samples, so the standard error of the difference
//! is `sqrt(SE_before² + SE_after²)` and `z = difference / that`. In NPS points that
//! is: the difference is significant at 95% when `|difference| > sqrt(m_before² +
//! m_after²)` with `m` the two margins, i.e. `|z| > 1.96`. Without a margin on
//! either side (fewer than two answers) nothing is significant. The normal
//! approximation is rough for small or lopsided windows, as the report's margins are.
//!
//! # The cause's share among detractors
//!
//! Beside the NPS, each window counts the detractor answers whose case names the
//! plan's cause (`with_cause` of `detractors`): the share `p = with_cause /
//! detractors` in percent, with its 95% margin `1.96 × sqrt(p (1 − p) / n) × 100`
//! (the normal approximation of a proportion, as rough as the NPS margin for small
//! or extreme windows; `null` with fewer than two detractors). Whether it moved is
//! the two-proportion z-test with the pooled share `P = (k₁ + k₂) / (n₁ + n₂)`:
//! `z = (p_after − p_before) / sqrt(P (1 − P) (1/n₁ + 1/n₂))`, significant when
//! `|z| > 1.96`; without a margin on either side, or when every detractor of both
//! windows has (or lacks) the cause, nothing is significant. Detractors whose case
//! has no cause yet (not resolved) count as without it: the share is of the causes
//! named so far.
//!
//! Pure arithmetic over counts: the caller reads the tallies (in the worker, one
//! `COUNT … GROUP BY` over the answers) and passes the clock in.

use super::summary::{NpsSummary, Z_95, margin_of_error};
use crate::nps::Tally;
use crate::time::rfc3339;
use serde::{Deserialize, Serialize};

/// How long each window is at most, in days.
pub const DEFAULT_WINDOW_DAYS: i64 = 28;

const MS_PER_DAY: i64 = 86_400_000;

/// The two windows, Unix ms, each `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    pub before: (i64, i64),
    pub after: (i64, i64),
}

impl Windows {
    /// The windows around `live_ms` as read at `now_ms`, each at most
    /// `max_window_days` long; `None` until the plan has been live for a millisecond.
    pub fn around(live_ms: i64, now_ms: i64, max_window_days: i64) -> Option<Windows> {
        let len = now_ms
            .checked_sub(live_ms)?
            .min(max_window_days.saturating_mul(MS_PER_DAY));
        if len <= 0 {
            return None;
        }
        Some(Windows {
            before: (live_ms.saturating_sub(len), live_ms),
            after: (live_ms, live_ms.saturating_add(len)),
        })
    }

    /// The span both windows cover, `[before.0, after.1)`: what one query reads.
    pub fn span(&self) -> (i64, i64) {
        (self.before.0, self.after.1)
    }
}

/// One window's NPS as the impact panel shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowNps {
    /// RFC 3339 UTC, included.
    pub from: String,
    /// RFC 3339 UTC, not included.
    pub to: String,
    pub responses: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// `null` without answers.
    pub nps: Option<f64>,
    /// ± NPS points at 95%; `null` with fewer than two answers.
    pub margin_of_error: Option<f64>,
}

impl WindowNps {
    fn new((from, to): (i64, i64), tally: Tally) -> WindowNps {
        let summary = NpsSummary::from(tally);
        WindowNps {
            from: rfc3339(from),
            to: rfc3339(to),
            responses: summary.responses,
            promoters: summary.promoters,
            passives: summary.passives,
            detractors: summary.detractors,
            nps: summary.nps,
            margin_of_error: summary.margin_of_error,
        }
    }
}

/// `impact` of `GET /v1/actions/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Impact {
    pub before: WindowNps,
    pub after: WindowNps,
    /// `after.nps − before.nps` in NPS points; `null` when a window has no answers.
    pub difference: Option<f64>,
    /// ± NPS points at 95% of the difference: `sqrt(m_before² + m_after²)`.
    pub margin_of_error: Option<f64>,
    /// `difference / (margin_of_error / 1.96)`; `null` without both margins or when
    /// both windows have no spread at all.
    pub z: Option<f64>,
    /// `|z| > 1.96`: the NPS moved by more than chance explains, at 95%.
    pub significant: bool,
    /// The plan's cause among the detractors of each window.
    #[serde(default)]
    pub cause_share: CauseShare,
}

/// One window's share of detractor answers whose case names the plan's cause.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowShare {
    /// The window's detractor answers.
    pub detractors: u64,
    /// Those whose case names the plan's cause.
    pub with_cause: u64,
    /// `with_cause / detractors` in percent; `null` without detractors.
    pub percent: Option<f64>,
    /// ± percentage points at 95%; `null` with fewer than two detractors.
    pub margin_of_error: Option<f64>,
}

impl WindowShare {
    fn new(detractors: u64, with_cause: u64) -> WindowShare {
        let with_cause = with_cause.min(detractors);
        let p = (detractors > 0).then(|| with_cause as f64 / detractors as f64);
        WindowShare {
            detractors,
            with_cause,
            percent: p.map(|p| 100.0 * p),
            margin_of_error: p
                .filter(|_| detractors >= 2)
                .map(|p| Z_95 * (p * (1.0 - p) / detractors as f64).sqrt() * 100.0),
        }
    }
}

/// `impact.cause_share`: the cause's share among detractors before and after.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CauseShare {
    pub before: WindowShare,
    pub after: WindowShare,
    /// `after.percent − before.percent` in percentage points.
    pub difference: Option<f64>,
    /// The two-proportion z with the pooled share; `null` without both margins or
    /// when the pooled share is 0 or 100%.
    pub z: Option<f64>,
    /// `|z| > 1.96`: the share moved by more than chance explains, at 95%.
    pub significant: bool,
}

impl CauseShare {
    /// The share of `before_with_cause` of `before_detractors`, and so after.
    pub fn measure(
        (before_detractors, before_with_cause): (u64, u64),
        (after_detractors, after_with_cause): (u64, u64),
    ) -> CauseShare {
        let before = WindowShare::new(before_detractors, before_with_cause);
        let after = WindowShare::new(after_detractors, after_with_cause);
        let difference = after.percent.zip(before.percent).map(|(a, b)| a - b);
        let z = before
            .margin_of_error
            .and(after.margin_of_error)
            .and(difference)
            .and_then(|difference| {
                let (n1, n2) = (before.detractors as f64, after.detractors as f64);
                let pooled = (before.with_cause + after.with_cause) as f64 / (n1 + n2);
                let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt() * 100.0;
                (se > 0.0).then(|| difference / se)
            });
        CauseShare {
            before,
            after,
            difference,
            significant: z.is_some_and(|z| z.abs() > Z_95),
            z,
        }
    }
}

impl Impact {
    /// The impact of the answers counted in each window.
    pub fn measure(windows: &Windows, before: Tally, after: Tally) -> Impact {
        let difference = after.nps().zip(before.nps()).map(|(a, b)| a - b);
        let combined = margin_of_error(&before)
            .zip(margin_of_error(&after))
            .map(|(b, a)| b.hypot(a));
        let z = difference
            .zip(combined)
            .filter(|(_, margin)| *margin > 0.0)
            .map(|(difference, margin)| difference / (margin / Z_95));
        // Both windows without spread (each all one category) yet apart: no sampling
        // error explains a difference that every answer shows.
        let flat_apart = combined == Some(0.0) && difference.is_some_and(|d| d != 0.0);
        Impact {
            before: WindowNps::new(windows.before, before),
            after: WindowNps::new(windows.after, after),
            difference,
            margin_of_error: combined,
            significant: flat_apart || z.is_some_and(|z| z.abs() > Z_95),
            z,
            cause_share: CauseShare::measure((before.detractors, 0), (after.detractors, 0)),
        }
    }

    /// This impact with the cause's share among the detractors of each window:
    /// `with_cause` of them per window, before and after.
    pub fn with_cause(mut self, before_with_cause: u64, after_with_cause: u64) -> Impact {
        self.cause_share = CauseShare::measure(
            (self.before.detractors, before_with_cause),
            (self.after.detractors, after_with_cause),
        );
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = MS_PER_DAY;
    /// 2026-11-01T00:00:00Z.
    const LIVE: i64 = 1_793_491_200_000;

    fn tally(promoters: u64, passives: u64, detractors: u64) -> Tally {
        Tally {
            promoters,
            passives,
            detractors,
        }
    }

    fn close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a value");
        assert!(
            (actual - expected).abs() < 1e-3,
            "{actual} is not {expected}"
        );
    }

    fn windows() -> Windows {
        Windows::around(LIVE, LIVE + 40 * DAY, DEFAULT_WINDOW_DAYS).unwrap()
    }

    #[test]
    fn windows_are_equal_and_as_long_as_the_plan_has_been_live_up_to_the_default() {
        let ten_days = Windows::around(LIVE, LIVE + 10 * DAY, 28).unwrap();
        assert_eq!(ten_days.before, (LIVE - 10 * DAY, LIVE));
        assert_eq!(ten_days.after, (LIVE, LIVE + 10 * DAY), "clipped to now");
        let long_ago = Windows::around(LIVE, LIVE + 400 * DAY, 28).unwrap();
        assert_eq!(long_ago.before, (LIVE - 28 * DAY, LIVE));
        assert_eq!(long_ago.after, (LIVE, LIVE + 28 * DAY));
        assert_eq!(long_ago.span(), (LIVE - 28 * DAY, LIVE + 28 * DAY));
    }

    #[test]
    fn a_plan_not_live_yet_has_no_windows() {
        assert_eq!(Windows::around(LIVE, LIVE, 28), None);
        assert_eq!(Windows::around(LIVE, LIVE - DAY, 28), None);
        assert_eq!(Windows::around(LIVE, LIVE + DAY, 0), None);
    }

    #[test]
    fn a_small_rise_within_both_margins_is_not_significant() {
        // Before: 5 promoters, 3 passives, 2 detractors of 10 → NPS 30.
        //   p = .5, d = .2, variance = p + d − (p − d)² = .7 − .09 = .61,
        //   SE = sqrt(.61 / 10) = .246982, margin = 1.96 × .246982 × 100 = 48.4085.
        // After: 14, 4, 2 of 20 → NPS 60.
        //   p = .7, d = .1, variance = .8 − .36 = .44,
        //   SE = sqrt(.44 / 20) = .148324, margin = 1.96 × .148324 × 100 = 29.0715.
        // Difference 30; SE of it = sqrt(.061 + .022) = .288097 → 28.8097 points;
        // z = 30 / 28.8097 = 1.04132 < 1.96; combined margin = 1.96 × 28.8097 = 56.467.
        let impact = Impact::measure(&windows(), tally(5, 3, 2), tally(14, 4, 2));
        close(impact.before.nps, 30.0);
        close(impact.before.margin_of_error, 48.4085);
        close(impact.after.nps, 60.0);
        close(impact.after.margin_of_error, 29.0715);
        close(impact.difference, 30.0);
        close(impact.z, 1.04132);
        close(impact.margin_of_error, 56.467);
        assert_eq!((impact.before.responses, impact.after.responses), (10, 20));
        assert!(!impact.significant);
    }

    #[test]
    fn the_same_rise_on_ten_times_the_answers_is_significant() {
        // Before 50, 30, 20 of 100: SE = sqrt(.61 / 100) = .0781025, margin 15.3081.
        // After 140, 40, 20 of 200: SE = sqrt(.44 / 200) = .0469042, margin 9.19322.
        // SE of the difference = sqrt(.0061 + .0022) = .0911043 → 9.11043 points;
        // z = 30 / 9.11043 = 3.29293 > 1.96.
        let impact = Impact::measure(&windows(), tally(50, 30, 20), tally(140, 40, 20));
        close(impact.before.margin_of_error, 15.3081);
        close(impact.after.margin_of_error, 9.19322);
        close(impact.z, 3.29293);
        assert!(impact.significant);
    }

    #[test]
    fn a_fall_is_significant_too_with_a_negative_z() {
        // The windows of the test above swapped: z = −3.29293.
        let impact = Impact::measure(&windows(), tally(140, 40, 20), tally(50, 30, 20));
        close(impact.difference, -30.0);
        close(impact.z, -3.29293);
        assert!(impact.significant);
    }

    #[test]
    fn a_window_without_answers_has_no_difference_and_nothing_is_significant() {
        let impact = Impact::measure(&windows(), Tally::default(), tally(3, 0, 0));
        assert_eq!(impact.before.nps, None);
        assert_eq!(impact.difference, None);
        assert_eq!(impact.z, None);
        assert!(!impact.significant);
        let one_each = Impact::measure(&windows(), tally(0, 0, 1), tally(1, 0, 0));
        assert_eq!(
            one_each.before.margin_of_error, None,
            "one answer, no spread"
        );
        close(one_each.difference, 200.0);
        assert!(!one_each.significant);
    }

    #[test]
    fn windows_without_spread_apart_are_significant_and_alike_are_not() {
        let apart = Impact::measure(&windows(), tally(0, 0, 5), tally(5, 0, 0));
        assert_eq!(apart.margin_of_error, Some(0.0));
        assert_eq!(apart.z, None);
        assert!(apart.significant);
        let alike = Impact::measure(&windows(), tally(5, 0, 0), tally(4, 0, 0));
        assert!(!alike.significant);
    }

    #[test]
    fn a_cause_falling_from_half_to_a_fifth_of_the_detractors_is_significant() {
        // Before: 10 of 20 detractors name the cause, p = .5,
        //   margin = 1.96 × sqrt(.5 × .5 / 20) × 100 = 1.96 × .111803 × 100 = 21.9135.
        // After: 6 of 30, p = .2, margin = 1.96 × sqrt(.2 × .8 / 30) × 100 = 14.3138.
        // Pooled P = 16 / 50 = .32; SE = sqrt(.32 × .68 × (1/20 + 1/30))
        //   = sqrt(.2176 × .083333) = .134660; z = −.3 / .134660 = −2.22783.
        let before = tally(5, 5, 20);
        let after = tally(10, 5, 30);
        let impact = Impact::measure(&windows(), before, after).with_cause(10, 6);
        let share = &impact.cause_share;
        assert_eq!((share.before.detractors, share.before.with_cause), (20, 10));
        assert_eq!((share.after.detractors, share.after.with_cause), (30, 6));
        close(share.before.percent, 50.0);
        close(share.before.margin_of_error, 21.9135);
        close(share.after.percent, 20.0);
        close(share.after.margin_of_error, 14.3138);
        close(share.difference, -30.0);
        close(share.z, -2.22783);
        assert!(share.significant);
    }

    #[test]
    fn a_smaller_fall_on_few_detractors_is_not_significant() {
        // Before 4 of 8 (p = .5): margin 1.96 × sqrt(.25 / 8) × 100 = 34.6482.
        // After 3 of 10 (p = .3): margin 1.96 × sqrt(.21 / 10) × 100 = 28.4031.
        // P = 7 / 18 = .388889; SE = sqrt(.388889 × .611111 × (1/8 + 1/10)) = .231241;
        // z = −.2 / .231241 = −.864900.
        let impact = Impact::measure(&windows(), tally(2, 0, 8), tally(2, 0, 10)).with_cause(4, 3);
        let share = &impact.cause_share;
        close(share.before.margin_of_error, 34.6482);
        close(share.after.margin_of_error, 28.4031);
        close(share.z, -0.8649);
        assert!(!share.significant);
    }

    #[test]
    fn a_share_without_detractors_or_without_spread_is_never_significant() {
        let none = Impact::measure(&windows(), tally(3, 0, 0), tally(0, 0, 4)).with_cause(0, 4);
        assert_eq!(none.cause_share.before.percent, None);
        assert_eq!(none.cause_share.difference, None);
        assert!(!none.cause_share.significant);
        let one = Impact::measure(&windows(), tally(0, 0, 1), tally(0, 0, 5)).with_cause(1, 0);
        assert_eq!(
            one.cause_share.before.margin_of_error, None,
            "one detractor"
        );
        assert!(!one.cause_share.significant);
        let all = Impact::measure(&windows(), tally(0, 0, 5), tally(0, 0, 6)).with_cause(5, 6);
        assert_eq!(all.cause_share.before.margin_of_error, Some(0.0));
        assert_eq!(all.cause_share.z, None, "pooled share 100%");
        assert!(!all.cause_share.significant);
        let clamped = Impact::measure(&windows(), tally(0, 0, 2), tally(0, 0, 2)).with_cause(9, 0);
        assert_eq!(
            clamped.cause_share.before.with_cause, 2,
            "no more than the detractors"
        );
    }

    #[test]
    fn windows_say_their_bounds_as_rfc3339() {
        let impact = Impact::measure(&windows(), Tally::default(), Tally::default());
        assert_eq!(impact.before.from, "2026-10-04T00:00:00.000Z");
        assert_eq!(impact.before.to, "2026-11-01T00:00:00.000Z");
        assert_eq!(impact.after.to, "2026-11-29T00:00:00.000Z");
    }
}
