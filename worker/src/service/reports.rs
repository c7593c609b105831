//! `GET /v1/surveys/{id}/report`: the outer loop's numbers — NPS with its 95% margin,
//! distribution, trend, groups or RFM segments, NPS by revenue band and comment
//! themes.
//!
//! By default it reads the rollups kept on write (`nps_shared::rollup`): counters for
//! the whole days of the range, the answers of its ragged edges, and the most recent
//! answers for the sections no counter gives (RFM, revenue bands, themes), so its cost
//! does not grow with the number of answers. `?source=scan` builds the same report
//! from every answer in range, the way it was made before rollups: the benchmark's
//! reference, and the fallback for UTC offsets that are not a multiple of 15 minutes.
//! For a fixed whole-hour offset (the common case: UTC, CET, …) the whole days come
//! from the day and hour counters; other zones merge quarter-hours.
//!
//! Answers that retention archived and deleted (`service::archive`) are still in the
//! rollups: whole days come from them as always, and a part-day edge of the archived
//! period is counted from its quarter-hour counters instead of its answers. What reads
//! single answers cannot include them; the report's `archived` says which sections
//! those are, and whether a bound that cut an archived quarter-hour was rounded.
//!
//! The trend is in local time: a fixed `utc_offset_minutes`, or a `time_zone` (IANA
//! name) whose offsets over the range — daylight saving included — come from
//! [`ZoneRules`] (the runtime's `Intl` in the worker) through [`resolve_zone`].

use super::ServiceError;
use crate::store::{ArchiveStore, ResponseStore, SurveyStore};
use nps_shared::report::{
    Archived, GroupBy, Interval, Report, ReportError, ReportQuery, UtcOffset, Zone,
};
use nps_shared::rollup::{self, RangeCounts};
use nps_shared::time::{parse_rfc3339, rfc3339};
use nps_shared::validate::FieldError;
use nps_shared::zone;
use std::collections::HashMap;

/// Where a report's numbers come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// Rollups, edges and a bounded sample: cost independent of the answer count.
    #[default]
    Rollups,
    /// Every answer in range (`?source=scan`): the reference the rollups must equal.
    Scan,
}

/// Where the offsets of a named time zone come from.
pub trait ZoneRules {
    /// The offset from UTC in minutes of `zone` at the instant `at_ms`; `None` when
    /// there is no such zone.
    fn offset_minutes(&self, zone: &str, at_ms: i64) -> Option<i32>;
}

/// Reads `source` (`rollups`, the default, or `scan`).
pub fn parse_source(query: &HashMap<String, String>) -> Result<Source, ServiceError> {
    match query.get("source").map(String::as_str) {
        None | Some("") | Some("rollups") => Ok(Source::Rollups),
        Some("scan") => Ok(Source::Scan),
        Some(_) => Err(ServiceError::invalid("source", "must be rollups or scan")),
    }
}

/// Reads the query string into a [`ReportQuery`], naming every bad parameter.
pub fn parse_query(query: &HashMap<String, String>) -> Result<ReportQuery, ServiceError> {
    let mut errors = Vec::new();
    let get = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let mut q = ReportQuery::default();
    for (name, slot) in [("from", &mut q.from), ("to", &mut q.to)] {
        if let Some(text) = get(name) {
            match parse_rfc3339(text) {
                Some(ms) => *slot = Some(ms),
                None => errors.push(FieldError::new(
                    name,
                    "must be an RFC 3339 UTC time like 2026-11-01T00:00:00Z",
                )),
            }
        }
    }
    if let Some(text) = get("interval") {
        match Interval::parse(text) {
            Some(interval) => q.interval = interval,
            None => errors.push(FieldError::new("interval", "must be day, week or month")),
        }
    }
    if let Some(text) = get("utc_offset_minutes") {
        match text
            .parse::<i32>()
            .ok()
            .and_then(|m| UtcOffset::try_from(m).ok())
        {
            Some(offset) => q.zone = Zone::fixed(offset),
            None => errors.push(FieldError::new(
                "utc_offset_minutes",
                "must be minutes from -1080 to 1080",
            )),
        }
    }
    if let Some(name) = get("time_zone") {
        if !zone::is_zone_name(name) {
            errors.push(FieldError::new(
                "time_zone",
                ReportError::UnknownTimeZone.to_string(),
            ));
        } else if get("utc_offset_minutes").is_some() {
            errors.push(FieldError::new(
                "time_zone",
                "give time_zone or utc_offset_minutes, not both",
            ));
        }
    }
    if let Some(text) = get("group_by") {
        match GroupBy::parse(text) {
            Some(group_by) => q.group_by = Some(group_by),
            None => errors.push(FieldError::new(
                "group_by",
                "must be a property name or rfm",
            )),
        }
    }
    if let Some(text) = get("min_group_size") {
        match text
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
        {
            Some(n) => q.min_group_size = n,
            None => errors.push(FieldError::new(
                "min_group_size",
                "must be an integer from 1 to 10000",
            )),
        }
    }
    if let Some(text) = get("include_flagged") {
        match text {
            "true" => q.include_flagged = true,
            "false" => q.include_flagged = false,
            _ => errors.push(FieldError::new("include_flagged", "must be true or false")),
        }
    }
    if errors.is_empty() {
        Ok(q)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// Sets `query`'s zone to `name`'s offsets over the part of the report's range that
/// can hold answers: from the survey's first answer (or `from`, if later) to a day
/// after `now_ms` (or `to`, if earlier), never before 1970. That bounds the work by the
/// survey's age, whatever range is asked for.
pub async fn resolve_zone(
    responses: &impl ResponseStore,
    survey_id: &str,
    query: &mut ReportQuery,
    name: &str,
    rules: &impl ZoneRules,
    now_ms: i64,
) -> Result<(), ServiceError> {
    const DAY_MS: i64 = 86_400_000;
    let to = query
        .to
        .map_or(now_ms + DAY_MS, |to| to.min(now_ms + DAY_MS))
        .max(0);
    let first = responses.first_answer_at(survey_id).await?.unwrap_or(to);
    let from = query
        .from
        .map_or(first, |from| from.max(first))
        .clamp(0, to);
    // The first bucket starts up to a month before the first answer (a month or a
    // week bucket); the last local day reaches a day past the range.
    query.zone = Zone::resolve(name, from - 32 * DAY_MS, to + DAY_MS, |at| {
        rules.offset_minutes(name, at)
    })
    .map_err(|e| ServiceError::invalid("time_zone", &e.to_string()))?;
    Ok(())
}

pub async fn report(
    store: &(impl SurveyStore + ResponseStore + ArchiveStore),
    survey_id: &str,
    query: &ReportQuery,
    source: Source,
) -> Result<Report, ServiceError> {
    // Both reads at once: on D1 each is a round trip.
    let (survey, archived_until) =
        futures_util::future::join(store.get_survey(survey_id), store.archived_until(survey_id))
            .await;
    if survey?.is_none() {
        return Err(ServiceError::NotFound(format!("survey {survey_id}")));
    }
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from >= to
    {
        return Err(ServiceError::invalid(
            "to",
            &ReportError::EmptyRange.to_string(),
        ));
    }
    // Answers before `horizon` may be archived: a whole quarter-hour past the newest
    // archived one, so that the quarter-hour it lies in comes from the counters.
    let horizon = archived_until?
        .and_then(|until| parse_rfc3339(&until))
        .map(|until| (rollup::quarter_of(until) + 1) * rollup::QUARTER_MS)
        .filter(|horizon| query.from.is_none_or(|from| from < *horizon));
    // The counters give the trend only where no quarter-hour straddles a local midnight.
    let built = if source == Source::Scan || !query.zone.quarter_hours_only() {
        let from = query.from.map(rfc3339);
        let to = query.to.map(rfc3339);
        let answers = store
            .report_answers(survey_id, from.as_deref(), to.as_deref())
            .await?;
        Report::build(&answers, query).map(|mut r| {
            r.archived = horizon.map(|h| Archived {
                before: rfc3339(h),
                sections_without_archived: [
                    "overall",
                    "distribution",
                    "trend",
                    "groups",
                    "revenue_bands",
                    "themes",
                ]
                .map(str::to_owned)
                .to_vec(),
                rounded: false,
            });
            r
        })
    } else {
        from_rollups(store, survey_id, query, horizon).await?
    };
    built.map_err(|e| match e {
        ReportError::EmptyRange => ServiceError::invalid("to", &e.to_string()),
        ReportError::OffsetOutOfRange => {
            ServiceError::invalid("utc_offset_minutes", &e.to_string())
        }
        ReportError::TooManyBuckets { .. } => ServiceError::invalid("interval", &e.to_string()),
        ReportError::UnknownTimeZone | ReportError::TooManyZoneChanges { .. } => {
            ServiceError::invalid("time_zone", &e.to_string())
        }
        ReportError::BadTimestamp => ServiceError::Store(crate::store::StoreError(e.to_string())),
    })
}

/// Counters for the whole days, the answers of the edges, the most recent answers for
/// the sampled sections. Before `horizon` (answers possibly archived) the edges come
/// from the quarter-hour counters.
async fn from_rollups(
    responses: &impl ResponseStore,
    survey_id: &str,
    query: &ReportQuery,
    horizon: Option<i64>,
) -> Result<Result<Report, ReportError>, ServiceError> {
    let group_key = match &query.group_by {
        Some(GroupBy::Property(key)) => Some(key.as_str()),
        _ => None,
    };
    let split = rollup::split(query.from, query.to);
    let (from, to) = (query.from.map(rfc3339), query.to.map(rfc3339));
    let keys = rollup::sampled_properties(query);
    let days = async {
        match split.days {
            Some((first, end)) => {
                responses
                    .report_counts(survey_id, first, end, &query.zone, group_key)
                    .await
            }
            None => Ok(RangeCounts::default()),
        }
    };
    // The counters and the sample at once: neither needs the other, and on D1 the
    // worker decodes one while the database still works on the other.
    let sample = responses.report_sample(
        survey_id,
        from.as_deref(),
        to.as_deref(),
        query.include_flagged,
        rollup::SAMPLE_LIMIT as u32,
        &keys,
    );
    let (mut counts, sample) = futures_util::future::try_join(days, sample).await?;
    let mut rounded = false;
    let mut archived_edge = false;
    for (from, to) in split.edges {
        let (mut from, to) = (from, to);
        if let (Some(horizon), Some(start), Some(end)) = (horizon, from, to)
            && start < horizon
        {
            // The archived stretch: the whole quarter-hours inside it.
            let stop = end.min(horizon);
            let first = start.div_euclid(rollup::QUARTER_MS)
                + i64::from(start.rem_euclid(rollup::QUARTER_MS) != 0);
            let last = stop.div_euclid(rollup::QUARTER_MS);
            rounded |= start.rem_euclid(rollup::QUARTER_MS) != 0
                || stop.rem_euclid(rollup::QUARTER_MS) != 0;
            archived_edge = true;
            if first < last {
                let quarters = responses
                    .report_quarter_counts(survey_id, Some(first), Some(last), &query.zone)
                    .await?;
                for (at, d) in quarters.times {
                    counts.times.entry(at).or_default().merge(&d);
                }
            }
            if end <= horizon {
                continue;
            }
            from = Some(horizon);
        }
        let (from, to) = (from.map(rfc3339), to.map(rfc3339));
        for answer in responses
            .report_answers(survey_id, from.as_deref(), to.as_deref())
            .await?
        {
            counts.add_answer(&answer, group_key);
        }
    }
    Ok(
        Report::from_counts(&counts, &sample, query).map(|mut report| {
            report.archived = horizon.map(|horizon| {
                let from_answers = match &query.group_by {
                    Some(GroupBy::Property(key)) => !rollup::is_rolled_up(key) || archived_edge,
                    Some(GroupBy::Rfm) => true,
                    None => false,
                };
                let sections = from_answers
                    .then_some("groups")
                    .into_iter()
                    .chain(["revenue_bands", "themes"])
                    .map(str::to_owned)
                    .collect();
                Archived {
                    before: rfc3339(horizon),
                    sections_without_archived: sections,
                    rounded,
                }
            });
            report
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::service::responses;
    use crate::store::testing::TestStore;
    use pollster::block_on;
    use serde_json::json;

    const DAY: i64 = 86_400_000;
    const NOW: i64 = 1_764_000_000_000;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_report_by_store_over_two_years_costs_what_one_over_two_months_does() {
        use crate::store::ResponseStore as _;
        use crate::store::metered::FREE_PLAN_QUERIES;
        use crate::store::sql::testing::answer;
        // 20 answers a day, each in one of 20 stores.
        let measure = |days: i64| {
            let m = TestStore::default();
            m.add_survey(demo_survey());
            for day in 0..days {
                for i in 0..20 {
                    let at = NOW + day * DAY + i * 4_000_000;
                    let mut r = answer(&format!("r_{day:04}_{i:02}"), (i % 11) as u8, &rfc3339(at));
                    r.view
                        .properties
                        .insert("store".into(), format!("store-{i}"));
                    block_on(m.insert_group(&[(r.clone(), Default::default())])).unwrap();
                    m.reset_queries();
                }
            }
            let mut q = parse_query(&query(&[
                ("interval", "week"),
                ("group_by", "store"),
                ("time_zone", "Test/Summer"),
            ]))
            .unwrap();
            q.from = Some(NOW + 7_777_777);
            q.to = Some(NOW + days * DAY - 1_234_567);
            m.reset_queries();
            block_on(resolve_zone(
                &m,
                "s_demo",
                &mut q,
                "Test/Summer",
                &Summer,
                NOW + days * DAY,
            ))
            .unwrap();
            let r = block_on(report(&m, "s_demo", &q, Source::Rollups)).unwrap();
            assert!(r.overall.responses > 19 * days as u64 - 40);
            m.queries()
        };
        let small = measure(60);
        assert_eq!(
            small, 8,
            "first answer; survey, archived until, days, values, two edges, sample"
        );
        assert_eq!(measure(600), small);
        assert!(small <= FREE_PLAN_QUERIES);
    }

    #[test]
    fn a_report_in_a_whole_hour_zone_reads_days_and_costs_the_same_over_ten_times_the_days() {
        use crate::store::ResponseStore as _;
        use crate::store::metered::FREE_PLAN_QUERIES;
        use crate::store::sql::testing::answer;
        // 24 answers a day, one an hour, each in one of 6 stores.
        let measure = |days: i64| {
            let m = TestStore::default();
            m.add_survey(demo_survey());
            for day in 0..days {
                let group: Vec<_> = (0..24)
                    .map(|i| {
                        let at = NOW + day * DAY + i * 3_600_000 + 123_456;
                        let mut r =
                            answer(&format!("r_{day:04}_{i:02}"), (i % 11) as u8, &rfc3339(at));
                        r.view
                            .properties
                            .insert("store".into(), format!("store-{}", i % 6));
                        (r, Default::default())
                    })
                    .collect();
                block_on(m.insert_group(&group)).unwrap();
            }
            let mut q = parse_query(&query(&[
                ("interval", "week"),
                ("group_by", "store"),
                ("utc_offset_minutes", "60"),
            ]))
            .unwrap();
            q.from = Some(NOW + 7_777_777);
            q.to = Some(NOW + days * DAY - 1_234_567);
            m.reset_queries();
            let r = block_on(report(&m, "s_demo", &q, Source::Rollups)).unwrap();
            m.reset_queries();
            // Past the sample limit only `sample` differs (no comments, no revenue).
            let scanned = block_on(report(&m, "s_demo", &q, Source::Scan)).unwrap();
            assert!(
                r == scanned
                    || (r.sample.is_some()
                        && Report {
                            sample: None,
                            ..r.clone()
                        } == scanned)
            );
            assert!(r.overall.responses > 24 * days as u64 - 48);
            m.reset_queries();
            block_on(report(&m, "s_demo", &q, Source::Rollups)).unwrap();
            m.queries()
        };
        let small = measure(30);
        assert_eq!(
            small, 7,
            "survey, archived until, days, values, two edges, sample"
        );
        assert_eq!(measure(300), small);
        assert!(small <= FREE_PLAN_QUERIES);
    }

    #[test]
    fn every_whole_hour_zone_gets_from_days_and_hours_the_report_a_scan_gives() {
        use crate::store::ResponseStore as _;
        use crate::store::sql::testing::answer;
        let m = TestStore::default();
        m.add_survey(demo_survey());
        // Three days with an answer in every UTC hour (the days either side of each
        // local midnight), some flagged, then one erased back to zero.
        let mut flagged = Vec::new();
        for day in 0..3 {
            let group: Vec<_> = (0..24)
                .map(|h| {
                    let id = format!("r_{day}_{h:02}");
                    if (day + h) % 7 == 0 {
                        flagged.push(id.clone());
                    }
                    let at = NOW + day * DAY + h * 3_600_000 + 60_000;
                    let mut r = answer(&id, ((day * 5 + h) % 11) as u8, &rfc3339(at));
                    r.view
                        .properties
                        .insert("store".into(), format!("store-{}", h % 3));
                    (r, Default::default())
                })
                .collect();
            block_on(m.insert_group(&group)).unwrap();
        }
        block_on(m.flag_all(&flagged, "scanner")).unwrap();
        m.assert_days_and_hours_follow_quarters("s_demo");
        let ragged = NOW + DAY / 3;
        for minutes in (-1080..=1080).step_by(60) {
            for (from, to) in [
                (None, None),
                (Some(ragged), Some(ragged + DAY + 7_654_321)),
                (Some(NOW + DAY), None),
            ] {
                for include_flagged in [false, true] {
                    let mut q = parse_query(&query(&[
                        ("interval", "day"),
                        ("group_by", "store"),
                        ("min_group_size", "1"),
                        ("utc_offset_minutes", &minutes.to_string()),
                    ]))
                    .unwrap();
                    (q.from, q.to, q.include_flagged) = (from, to, include_flagged);
                    m.reset_queries();
                    let rolled = block_on(report(&m, "s_demo", &q, Source::Rollups)).unwrap();
                    let scanned = block_on(report(&m, "s_demo", &q, Source::Scan)).unwrap();
                    assert_eq!(rolled, scanned, "{minutes} min, {from:?}..{to:?}");
                }
            }
        }
    }

    fn seeded() -> TestStore {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        // Day 0: 10, 9, 3 (berlin); day 1: 7, 0 (hamburg).
        for (day, score, store) in [
            (0, 10, "berlin"),
            (0, 9, "berlin"),
            (0, 3, "berlin"),
            (1, 7, "hamburg"),
            (1, 0, "hamburg"),
        ] {
            let body = json!({"survey_id": "s_demo", "score": score, "properties": {"store": store},
                              "comment": if score < 7 { "late delivery" } else { "fast delivery friendly staff" }});
            block_on(responses::submit(
                &m,
                &m,
                &responses::Submission::new(&body),
                NOW + day * DAY,
            ))
            .unwrap();
        }
        m
    }

    #[test]
    fn the_report_counts_every_answer_and_splits_it_by_day_and_store() {
        let m = seeded();
        let q = parse_query(&query(&[
            ("interval", "day"),
            ("group_by", "store"),
            ("min_group_size", "1"),
        ]))
        .unwrap();
        let r = block_on(report(&m, "s_demo", &q, Source::Rollups)).unwrap();
        assert_eq!(r.overall.responses, 5);
        // 2 promoters, 1 passive, 2 detractors of 5: NPS 0.
        assert_eq!(r.overall.nps, Some(0.0));
        assert_eq!(r.trend.len(), 2);
        assert_eq!(
            r.trend
                .iter()
                .map(|b| b.summary.responses)
                .collect::<Vec<_>>(),
            vec![3, 2]
        );
        let stores: Vec<(&str, u64)> = r
            .groups
            .iter()
            .map(|g| (g.value.as_str(), g.summary.responses))
            .collect();
        assert_eq!(stores, vec![("berlin", 3), ("hamburg", 2)]);
    }

    #[test]
    fn the_themes_list_the_stored_answers_and_count_them_per_trend_bucket_from_either_source() {
        let m = seeded();
        let q = parse_query(&query(&[("interval", "day")])).unwrap();
        let mut seen = Vec::new();
        for source in [Source::Rollups, Source::Scan] {
            let r = block_on(report(&m, "s_demo", &q, source)).unwrap();
            // "late" and "late delivery" cover the same two detractors: one theme.
            let late = &r.themes.detractor[0];
            assert_eq!(late.term, "late delivery", "{source:?}");
            assert_eq!(late.merged, ["late"]);
            assert_eq!((late.detractors, late.detractor_share), (2, 1.0));
            // One detractor each day, the trend's two buckets.
            assert_eq!(late.trend, [1, 1]);
            assert_eq!(r.themes.detractor_buckets, [1, 1]);
            assert_eq!(r.themes.promoter_buckets, [2, 0]);
            let listed: Vec<(&str, u8)> = late
                .comments
                .iter()
                .map(|c| (c.comment.as_str(), u8::from(c.score)))
                .collect();
            assert_eq!(listed, [("late delivery", 0), ("late delivery", 3)]);
            assert!(late.comments.iter().all(|c| c.id.starts_with("r_")));
            seen.push(late.comments.clone());
        }
        assert_eq!(seen[0], seen[1], "rollups and scan list the same answers");
    }

    #[test]
    fn a_range_keeps_only_its_answers() {
        let m = seeded();
        let from = rfc3339(NOW + DAY);
        let q = parse_query(&query(&[("from", &from)])).unwrap();
        assert_eq!(
            block_on(report(&m, "s_demo", &q, Source::Rollups))
                .unwrap()
                .overall
                .responses,
            2
        );
    }

    /// A zone at +01:00 that moves to +02:00 at `NOW + 2 days + 1 h` (like Europe in
    /// March); no other zone exists.
    struct Summer;
    const CHANGE: i64 = NOW - NOW % DAY + 2 * DAY + 3_600_000;
    impl ZoneRules for Summer {
        fn offset_minutes(&self, zone: &str, at_ms: i64) -> Option<i32> {
            (zone == "Test/Summer").then_some(if at_ms < CHANGE { 60 } else { 120 })
        }
    }

    /// The query `pairs` say, in Test/Summer resolved at `now`.
    fn in_summer_zone(m: &TestStore, pairs: &[(&str, &str)], now: i64) -> ReportQuery {
        let mut q = parse_query(&query(pairs)).unwrap();
        block_on(resolve_zone(
            m,
            "s_demo",
            &mut q,
            "Test/Summer",
            &Summer,
            now,
        ))
        .unwrap();
        q
    }

    #[test]
    fn a_time_zone_puts_each_answer_on_its_local_day_across_the_change() {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        let midnight = NOW - NOW % DAY; // a UTC midnight
        // 23:30 UTC the day before the change: 00:30 local (+01:00), the next day.
        // 22:30 UTC the day after the change: 00:30 local (+02:00), the next day.
        for at in [midnight + DAY - 1_800_000, midnight + 3 * DAY - 5_400_000] {
            crate::service::fixtures::answer(&m, &json!({"survey_id": "s_demo", "score": 9}), at);
        }
        // The parameter alone is accepted; the route resolves it (`resolve_zone`).
        parse_query(&query(&[("interval", "day"), ("time_zone", "Test/Summer")])).unwrap();
        let q = in_summer_zone(&m, &[("interval", "day")], NOW + 10 * DAY);
        assert_eq!(
            q.zone.changes(),
            [(CHANGE, UtcOffset::try_from(120).unwrap())]
        );
        for source in [Source::Rollups, Source::Scan] {
            let r = block_on(report(&m, "s_demo", &q, source)).unwrap();
            assert_eq!(r.scope.time_zone.as_deref(), Some("Test/Summer"));
            assert_eq!(r.scope.utc_offset_minutes.minutes(), 120);
            let days: Vec<(&str, u64)> = r
                .trend
                .iter()
                .map(|b| (b.start.as_str(), b.summary.responses))
                .collect();
            let start = |ms: i64| rfc3339(ms);
            assert_eq!(
                days,
                [
                    (start(midnight + DAY - 3_600_000).as_str(), 1),
                    (start(midnight + 2 * DAY - 3_600_000).as_str(), 0),
                    (start(midnight + 3 * DAY - 7_200_000).as_str(), 1),
                ],
                "{source:?}"
            );
        }
        // The same answers at a fixed +01:00: the second one is still on its UTC day.
        let fixed =
            parse_query(&query(&[("interval", "day"), ("utc_offset_minutes", "60")])).unwrap();
        let r = block_on(report(&m, "s_demo", &fixed, Source::Rollups)).unwrap();
        assert_eq!(r.scope.time_zone, None);
        assert_eq!(r.trend.len(), 2);
    }

    #[test]
    fn a_month_bucket_starts_at_its_local_midnight_even_before_the_first_answer() {
        // One answer after the change; its month began before it, at +01:00.
        let m = TestStore::default();
        m.add_survey(demo_survey());
        crate::service::fixtures::answer(
            &m,
            &json!({"survey_id": "s_demo", "score": 8}),
            CHANGE + DAY,
        );
        let q = in_summer_zone(&m, &[("interval", "month")], NOW + 10 * DAY);
        let r = block_on(report(&m, "s_demo", &q, Source::Rollups)).unwrap();
        assert_eq!(r.trend.len(), 1);
        assert_eq!(r.trend[0].label, "2025-11");
        assert_eq!(r.trend[0].start, "2025-10-31T23:00:00.000Z");
        // The offset at the end of a range that ends before the change.
        let early = in_summer_zone(&m, &[("to", &rfc3339(CHANGE - 1000))], NOW + 10 * DAY);
        let r = block_on(report(&m, "s_demo", &early, Source::Rollups)).unwrap();
        assert_eq!(r.scope.utc_offset_minutes.minutes(), 60);
        // A range before 1970 or before every answer resolves without asking about year 0.
        let mut ancient = parse_query(&query(&[("to", "0001-01-01T00:00:00Z")])).unwrap();
        let asked = std::cell::Cell::new(i64::MAX);
        struct Watch<'a>(&'a std::cell::Cell<i64>);
        impl ZoneRules for Watch<'_> {
            fn offset_minutes(&self, _: &str, at_ms: i64) -> Option<i32> {
                self.0.set(self.0.get().min(at_ms));
                Some(60)
            }
        }
        block_on(resolve_zone(
            &m,
            "s_demo",
            &mut ancient,
            "Test/Summer",
            &Watch(&asked),
            NOW,
        ))
        .unwrap();
        assert!(asked.get() >= -40 * DAY, "asked about {}", asked.get());
    }

    #[test]
    fn unknown_time_zones_and_both_ways_of_saying_local_time_are_refused() {
        let m = seeded();
        let invalid = |result: Result<ReportQuery, ServiceError>| match result {
            Err(ServiceError::Invalid(errors)) => {
                errors.iter().map(|e| e.field.clone()).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            invalid(parse_query(&query(&[("time_zone", "../etc/passwd")]))),
            ["time_zone"]
        );
        assert_eq!(
            invalid(parse_query(&query(&[
                ("time_zone", "Test/Summer"),
                ("utc_offset_minutes", "60")
            ]))),
            ["time_zone"]
        );
        let mut q = parse_query(&query(&[("time_zone", "Mars/Olympus")])).unwrap();
        let err = block_on(resolve_zone(
            &m,
            "s_demo",
            &mut q,
            "Mars/Olympus",
            &Summer,
            NOW,
        ))
        .unwrap_err();
        assert!(
            matches!(err, ServiceError::Invalid(ref e) if e[0].field == "time_zone"),
            "{err:?}"
        );
    }

    #[test]
    fn bad_parameters_are_all_named() {
        let err = parse_query(&query(&[
            ("from", "yesterday"),
            ("interval", "hourly"),
            ("utc_offset_minutes", "5000"),
            ("min_group_size", "0"),
            ("include_flagged", "maybe"),
        ]))
        .unwrap_err();
        let ServiceError::Invalid(errors) = err else {
            panic!()
        };
        assert_eq!(errors.len(), 5);
        let m = seeded();
        assert!(matches!(
            block_on(report(
                &m,
                "s_nope",
                &ReportQuery::default(),
                Source::Rollups
            )),
            Err(ServiceError::NotFound(_))
        ));
    }
}
