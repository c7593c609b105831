//! The report's tests: each part's rules and the whole report, through the
//! re-exports of [`super`].

use super::segments::recency_days;
use super::*;
use crate::api::ResponseView;
use crate::score::Score;
use crate::time::days_from_civil;
use proptest::prelude::*;
use std::collections::BTreeMap;

const MS_PER_DAY: i64 = 86_400_000;

fn score(n: u8) -> Score {
    Score::try_from(n).unwrap()
}

fn tally(promoters: u64, passives: u64, detractors: u64) -> Tally {
    Tally {
        promoters,
        passives,
        detractors,
    }
}

fn answer(n: u8, created_at: i64, properties: &[(&str, &str)]) -> AnswerRecord {
    AnswerRecord {
        id: format!("r_{created_at}"),
        score: score(n),
        created_at,
        comment: None,
        properties: properties
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        flagged: false,
    }
}

fn close(actual: Option<f64>, expected: f64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() < 1e-9)
}

// --- NPS and margin -----------------------------------------------------------

#[test]
fn the_margin_of_two_promoters_a_passive_and_a_detractor_is_81_points() {
    // p = 2/4 = 0.5, d = 1/4 = 0.25; variance = 0.5 + 0.25 − 0.25² = 0.6875;
    // SE = sqrt(0.6875 / 4) = sqrt(0.171875) = 0.4145781;
    // margin = 1.96 × 0.4145781 × 100 = 81.2573074.
    let summary = NpsSummary::from(tally(2, 1, 1));
    assert_eq!(summary.nps, Some(25.0));
    assert!(close(summary.margin_of_error, 81.257_307_363_707_3));
    assert_eq!(summary.responses, 4);
}

#[test]
fn the_margin_of_a_hundred_answers_is_15_points() {
    // 50 promoters, 30 passives, 20 detractors: NPS 30; variance = 0.5 + 0.2 − 0.3²
    // = 0.61; SE = sqrt(0.61 / 100) = 0.0781025; margin = 196 × 0.0781025 = 15.3081.
    let summary = NpsSummary::from(tally(50, 30, 20));
    assert_eq!(summary.nps, Some(30.0));
    assert!(close(summary.margin_of_error, 15.308_089_364_777_04));
}

#[test]
fn one_promoter_and_one_detractor_are_as_uncertain_as_can_be() {
    // p = d = 0.5: variance = 1 − 0 = 1; SE = sqrt(1/2) = 0.7071068; margin =
    // 138.59: wider than the whole scale's half, which is honest for two answers.
    assert!(close(
        margin_of_error(&tally(1, 0, 1)),
        138.592_929_112_563_33
    ));
}

#[test]
fn nobody_answering_has_neither_nps_nor_margin() {
    let summary = NpsSummary::from(Tally::default());
    assert_eq!((summary.nps, summary.margin_of_error), (None, None));
}

#[test]
fn one_answer_has_an_nps_but_no_margin() {
    // One answer has no spread to measure; the formula would say ±0.
    for t in [tally(1, 0, 0), tally(0, 1, 0), tally(0, 0, 1)] {
        let summary = NpsSummary::from(t);
        assert!(summary.nps.is_some());
        assert_eq!(summary.margin_of_error, None);
    }
}

#[test]
fn identical_answers_have_a_zero_margin() {
    // Three promoters: variance = 1 + 0 − 1² = 0.
    assert_eq!(margin_of_error(&tally(3, 0, 0)), Some(0.0));
    assert_eq!(margin_of_error(&tally(0, 7, 0)), Some(0.0));
    assert_eq!(margin_of_error(&tally(0, 0, 2)), Some(0.0));
}

#[test]
fn the_distribution_counts_each_score() {
    let d: Distribution = [0, 10, 10, 7, 3].map(score).into_iter().collect();
    assert_eq!(d.0, [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 2]);
    assert_eq!(d.tally(), tally(2, 1, 2));
}

// --- Trend ------------------------------------------------------------------------

const FEB_29_2330_UTC: i64 = 1_709_249_400_000; // 2024-02-29T23:30:00Z
const FEB_29_2259_UTC: i64 = 1_709_247_540_000; // 2024-02-29T22:59:00Z
const DEC_29_2330_UTC: i64 = 1_735_515_000_000; // 2024-12-29T23:30:00Z, a Sunday
const DEC_29_2200_UTC: i64 = 1_735_509_600_000; // 2024-12-29T22:00:00Z
const JAN_20_1200_UTC: i64 = 1_737_374_400_000; // 2025-01-20T12:00:00Z, a Monday

fn labels(buckets: &[TrendBucket]) -> Vec<&str> {
    buckets.iter().map(|b| b.label.as_str()).collect()
}

#[test]
fn half_past_eleven_utc_on_leap_day_is_march_in_cet() {
    let cet = UtcOffset::try_from(60).unwrap();
    let answers = [(FEB_29_2259_UTC, score(10)), (FEB_29_2330_UTC, score(0))];
    let months = trend(answers, Interval::Month, &Zone::fixed(cet)).unwrap();
    assert_eq!(labels(&months), ["2024-02", "2024-03"]);
    assert_eq!(months[0].start, "2024-01-31T23:00:00.000Z");
    assert_eq!(months[1].start, "2024-02-29T23:00:00.000Z");
    assert_eq!(months[0].summary.nps, Some(100.0));
    assert_eq!(months[1].summary.nps, Some(-100.0));
    // In UTC both are in February.
    let utc = trend(answers, Interval::Month, &Zone::fixed(UtcOffset::UTC)).unwrap();
    assert_eq!(labels(&utc), ["2024-02"]);
    assert_eq!(utc[0].summary.responses, 2);
}

#[test]
fn the_bucket_keys_are_the_trends_buckets_and_find_each_answers_bucket() {
    const DAY: i64 = 86_400_000;
    let cet = Zone::fixed(UtcOffset::try_from(60).unwrap());
    // 22:59 and 23:30 UTC on leap day, then three days later: four local days apart.
    let at = [FEB_29_2259_UTC, FEB_29_2330_UTC, FEB_29_2330_UTC + 3 * DAY];
    let days = trend(at.map(|a| (a, score(9))), Interval::Day, &cet).unwrap();
    let keys = bucket_keys(at, Interval::Day, &cet);
    assert_eq!(keys.len(), days.len());
    assert_eq!(keys.len(), 5, "{}", labels(&days).join(" "));
    let found: Vec<Option<usize>> = at
        .iter()
        .map(|&a| bucket_of(&keys, a, Interval::Day, &cet))
        .collect();
    assert_eq!(found, [Some(0), Some(1), Some(4)]);
    assert_eq!(
        bucket_of(&keys, FEB_29_2330_UTC + 30 * DAY, Interval::Day, &cet),
        None
    );
    assert!(bucket_keys([], Interval::Week, &cet).is_empty());
}

#[test]
fn days_start_at_local_midnight() {
    let cet = UtcOffset::try_from(60).unwrap();
    let days = trend(
        [(FEB_29_2330_UTC, score(9))],
        Interval::Day,
        &Zone::fixed(cet),
    )
    .unwrap();
    assert_eq!(labels(&days), ["2024-03-01"]);
    assert_eq!(days[0].start, "2024-02-29T23:00:00.000Z");
    // West of Greenwich the same instant is still the 29th.
    let new_york = UtcOffset::try_from(-300).unwrap();
    let days = trend(
        [(FEB_29_2330_UTC, score(9))],
        Interval::Day,
        &Zone::fixed(new_york),
    )
    .unwrap();
    assert_eq!(labels(&days), ["2024-02-29"]);
    assert_eq!(days[0].start, "2024-02-29T05:00:00.000Z");
}

#[test]
fn weeks_start_on_monday_and_take_the_iso_year_of_their_thursday() {
    // Sunday 2024-12-29 23:30 UTC is Monday 2024-12-30 00:30 in CET: ISO week
    // 2025-W01, which starts on 2024-12-30. 22:00 UTC is 23:00 Sunday CET: 2024-W52.
    let cet = UtcOffset::try_from(60).unwrap();
    let weeks = trend(
        [
            (DEC_29_2200_UTC, score(3)),
            (DEC_29_2330_UTC, score(9)),
            (JAN_20_1200_UTC, score(8)),
        ],
        Interval::Week,
        &Zone::fixed(cet),
    )
    .unwrap();
    // Then the empty W02 and W03, and Monday 20 January opens W04.
    assert_eq!(
        labels(&weeks),
        ["2024-W52", "2025-W01", "2025-W02", "2025-W03", "2025-W04"]
    );
    assert_eq!(weeks[0].start, "2024-12-22T23:00:00.000Z");
    assert_eq!(weeks[1].start, "2024-12-29T23:00:00.000Z");
    assert_eq!(weeks[4].start, "2025-01-19T23:00:00.000Z");
    assert_eq!(weeks[0].summary.detractors, 1);
    assert_eq!(weeks[1].summary.promoters, 1);
    assert_eq!(weeks[4].summary.passives, 1);
}

#[test]
fn empty_buckets_fill_the_gaps_with_zero_counts() {
    let weeks = trend(
        [(DEC_29_2330_UTC, score(9)), (JAN_20_1200_UTC, score(8))],
        Interval::Week,
        &Zone::fixed(UtcOffset::UTC),
    )
    .unwrap();
    assert_eq!(
        labels(&weeks),
        ["2024-W52", "2025-W01", "2025-W02", "2025-W03", "2025-W04"]
    );
    let gap = &weeks[2].summary;
    assert_eq!(
        (gap.responses, gap.nps, gap.margin_of_error),
        (0, None, None)
    );
}

#[test]
fn months_roll_over_the_year() {
    let months = trend(
        [
            (DEC_29_2330_UTC, score(9)),
            (JAN_20_1200_UTC + 45 * MS_PER_DAY, score(8)),
        ],
        Interval::Month,
        &Zone::fixed(UtcOffset::UTC),
    )
    .unwrap();
    assert_eq!(
        labels(&months),
        ["2024-12", "2025-01", "2025-02", "2025-03"]
    );
    assert_eq!(months[3].start, "2025-03-01T00:00:00.000Z");
}

#[test]
fn iso_weeks_at_year_ends_are_numbered_right() {
    // 2020-12-31 is a Thursday of 2020-W53; 2026-01-01 is a Thursday of 2026-W01.
    let week_of = |y, m, d| Interval::Week.label(Interval::Week.start_of(days_from_civil(y, m, d)));
    assert_eq!(week_of(2020, 12, 31), "2020-W53");
    assert_eq!(week_of(2021, 1, 3), "2020-W53");
    assert_eq!(week_of(2026, 1, 1), "2026-W01");
    assert_eq!(week_of(2025, 12, 29), "2026-W01");
}

#[test]
fn a_daily_trend_over_decades_is_refused() {
    let result = trend(
        [(0, score(9)), (40 * 365 * MS_PER_DAY, score(9))],
        Interval::Day,
        &Zone::fixed(UtcOffset::UTC),
    );
    assert_eq!(
        result,
        Err(ReportError::TooManyBuckets {
            interval: Interval::Day,
            max: MAX_TREND_BUCKETS
        })
    );
}

#[test]
fn offsets_beyond_eighteen_hours_are_refused() {
    assert_eq!(
        UtcOffset::try_from(1081).map_err(ReportError::from),
        Err(ReportError::OffsetOutOfRange)
    );
    assert_eq!(
        UtcOffset::try_from(-1081).map_err(ReportError::from),
        Err(ReportError::OffsetOutOfRange)
    );
    assert_eq!(UtcOffset::try_from(-1080).unwrap().minutes(), -1080);
    assert!(serde_json::from_str::<UtcOffset>("2000").is_err());
}

// --- Groups -----------------------------------------------------------------------

fn stores(spec: &[(&str, u8)]) -> Vec<AnswerRecord> {
    spec.iter()
        .map(|&(store, n)| {
            if store.is_empty() {
                answer(n, 0, &[])
            } else {
                answer(n, 0, &[("store", store)])
            }
        })
        .collect()
}

#[test]
fn small_groups_are_merged_into_other_and_missing_values_into_none() {
    let mut spec = vec![("berlin", 10); 6];
    spec.extend([("hamburg", 0); 5]);
    spec.extend([("köln", 9), ("köln", 9), ("bonn", 3), ("", 8), ("  ", 7)]);
    let answers = stores(&spec);
    let refs: Vec<&AnswerRecord> = answers.iter().collect();
    let groups = groups_by_property(&refs, "store", DEFAULT_MIN_GROUP_SIZE);
    let shown: Vec<(&str, GroupKind, u64, u64)> = groups
        .iter()
        .map(|g| {
            (
                g.value.as_str(),
                g.kind,
                g.summary.responses,
                g.merged_values,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("berlin", GroupKind::Value, 6, 0),
            ("hamburg", GroupKind::Value, 5, 0),
            (OTHER, GroupKind::Other, 3, 2),
            (NONE, GroupKind::None, 2, 0),
        ]
    );
    // köln 9, 9 and bonn 3: 2 promoters, 1 detractor → NPS 33.3.
    assert_eq!(groups[2].summary.tally(), tally(2, 0, 1));
}

#[test]
fn equal_groups_are_ordered_by_value_and_size_one_keeps_everything() {
    let answers = stores(&[("b", 9), ("a", 9), ("c", 9), ("c", 0)]);
    let refs: Vec<&AnswerRecord> = answers.iter().collect();
    let groups = groups_by_property(&refs, "store", 1);
    let values: Vec<&str> = groups.iter().map(|g| g.value.as_str()).collect();
    assert_eq!(values, ["c", "a", "b"]);
}

// --- RFM --------------------------------------------------------------------------

#[test]
fn quintiles_of_distinct_values_use_mid_ranks() {
    // Ten values: mid-rank shares 0.05, 0.15, …, 0.95 → 1,1,2,2,3,3,4,4,5,5.
    let values: Vec<f64> = (1..=10).map(f64::from).rev().collect();
    assert_eq!(quintiles(&values), [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
    assert_eq!(quintiles(&[3.0, 1.0, 2.0, 5.0, 4.0]), [3, 1, 2, 5, 4]);
    assert!(quintiles(&[]).is_empty());
}

#[test]
fn tied_values_share_a_quintile() {
    // All equal: q = (0 + 4/2)/4 = 0.5 → 3.
    assert_eq!(quintiles(&[7.0; 4]), [3, 3, 3, 3]);
    // 1, 1, 1, 9: the ones have q = (0 + 1.5)/4 = 0.375 → 2; the nine
    // q = (3 + 0.5)/4 = 0.875 → 5.
    assert_eq!(quintiles(&[1.0, 9.0, 1.0, 1.0]), [2, 5, 2, 2]);
}

#[test]
fn the_segment_grid_has_all_eleven_segments() {
    let mut seen: Vec<RfmSegment> = (1..=5)
        .flat_map(|r| (1..=5).map(move |fm| RfmSegment::from_scores(r, fm)))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, RfmSegment::ALL);
    assert_eq!(RfmSegment::from_scores(5, 5), RfmSegment::Champions);
    assert_eq!(RfmSegment::from_scores(5, 1), RfmSegment::NewCustomers);
    assert_eq!(RfmSegment::from_scores(1, 5), RfmSegment::CantLoseThem);
    assert_eq!(RfmSegment::from_scores(1, 1), RfmSegment::Lost);
    assert_eq!(
        serde_json::to_string(&RfmSegment::CantLoseThem).unwrap(),
        "\"cant_lose_them\""
    );
}

fn customers() -> Vec<AnswerRecord> {
    let day = MS_PER_DAY;
    let at = 100 * day;
    vec![
        // Recent, many orders, high revenue.
        answer(
            10,
            at,
            &[
                ("recency_days", "1"),
                ("order_count", "20"),
                ("revenue", "2000"),
            ],
        ),
        // Recent, one order, little revenue: last order given as a timestamp
        // (3 days before the answer).
        answer(
            9,
            at,
            &[
                ("last_order_at", &rfc3339(at - 3 * day)),
                ("order_count", "1"),
                ("revenue", "10"),
            ],
        ),
        // Middling.
        answer(
            7,
            at,
            &[
                ("recency_days", "30"),
                ("order_count", "5"),
                ("revenue", "300"),
            ],
        ),
        // Long ago, many orders, high revenue.
        answer(
            3,
            at,
            &[
                ("recency_days", "300"),
                ("order_count", "15"),
                ("revenue", "1500"),
            ],
        ),
        // Long ago, one order, little revenue.
        answer(
            0,
            at,
            &[
                ("recency_days", "400"),
                ("order_count", "1"),
                ("revenue", "5"),
            ],
        ),
        // No revenue: unknown.
        answer(8, at, &[("recency_days", "2"), ("order_count", "3")]),
        // Nothing at all: unknown.
        answer(6, at, &[]),
    ]
}

#[test]
fn rfm_scores_rank_five_customers_into_quintiles() {
    let answers = customers();
    let refs: Vec<&AnswerRecord> = answers.iter().collect();
    let scores = rfm_scores(&refs, &RfmProperties::default());
    let rfm = |r, f, m| {
        Some(RfmScore {
            recency: r,
            frequency: f,
            monetary: m,
        })
    };
    // Recency days 1, 3, 30, 300, 400 → R 5, 4, 3, 2, 1.
    // Orders 20, 1, 5, 15, 1: the two ones tie, q = (0 + 1)/5 = 0.2 → 2;
    // 5 → q = (2 + 0.5)/5 = 0.5 → 3; 15 → 0.7 → 4; 20 → 0.9 → 5.
    // Revenue 2000, 10, 300, 1500, 5 → 5, 2, 3, 4, 1.
    assert_eq!(
        scores,
        [
            rfm(5, 5, 5),
            rfm(4, 2, 2),
            rfm(3, 3, 3),
            rfm(2, 4, 4),
            rfm(1, 2, 1),
            None,
            None
        ]
    );
    // FM: 5, 2, 3, 4, ⌈1.5⌉ = 2.
    let segments: Vec<Option<RfmSegment>> =
        scores.iter().map(|s| s.map(RfmScore::segment)).collect();
    use RfmSegment::*;
    assert_eq!(
        segments,
        [
            Some(Champions),
            Some(PotentialLoyalists),
            Some(NeedAttention),
            Some(AtRisk),
            Some(Hibernating),
            None,
            None
        ]
    );
}

#[test]
fn rfm_groups_list_every_segment_with_revenue_and_unknowns_last() {
    let answers = customers();
    let refs: Vec<&AnswerRecord> = answers.iter().collect();
    let groups = rfm_groups(&refs, &RfmProperties::default());
    assert_eq!(groups.len(), 12);
    assert_eq!(groups[0].value, "champions");
    assert_eq!(groups[0].revenue, Some(2000.0));
    assert_eq!(groups[0].summary.promoters, 1);
    let unknown = &groups[11];
    assert_eq!(
        (unknown.value.as_str(), unknown.kind),
        (UNKNOWN, GroupKind::Unknown)
    );
    assert_eq!(unknown.summary.responses, 2);
    let lost = groups.iter().find(|g| g.value == "lost").unwrap();
    assert_eq!((lost.summary.responses, lost.revenue), (0, Some(0.0)));
}

#[test]
fn a_last_order_after_the_answer_counts_as_today() {
    let a = answer(9, 0, &[("last_order_at", "1970-01-05T00:00:00Z")]);
    assert_eq!(recency_days(&a, &RfmProperties::default()), Some(0.0));
    let b = answer(9, 0, &[("recency_days", "-3")]);
    assert_eq!(recency_days(&b, &RfmProperties::default()), None);
}

#[test]
fn revenue_bands_give_nps_per_revenue_quintile() {
    let answers = customers();
    let refs: Vec<&AnswerRecord> = answers.iter().collect();
    let bands = revenue_bands(&refs, "revenue");
    // Revenues 5, 10, 300, 1500, 2000 fall one per band.
    let shown: Vec<(u8, f64, Option<f64>)> = bands
        .iter()
        .map(|b| (b.band, b.revenue, b.summary.nps))
        .collect();
    assert_eq!(
        shown,
        [
            (1, 5.0, Some(-100.0)),
            (2, 10.0, Some(100.0)),
            (3, 300.0, Some(0.0)),
            (4, 1500.0, Some(-100.0)),
            (5, 2000.0, Some(100.0)),
        ]
    );
}

// --- The whole report ---------------------------------------------------------

#[test]
fn the_report_filters_by_range_and_leaves_flagged_answers_out() {
    let mut answers = vec![
        answer(10, 1_000, &[("store", "berlin")]),
        answer(9, 2_000, &[("store", "berlin")]),
        answer(3, 3_000, &[]),
        answer(0, 9_000, &[]),
    ];
    answers[0].comment = Some("Great support".into());
    answers[2].comment = Some("Late delivery".into());
    let mut scanner = answer(10, 2_500, &[]);
    scanner.flagged = true;
    answers.push(scanner);
    let query = ReportQuery {
        from: Some(1_000),
        to: Some(9_000),
        group_by: GroupBy::parse("store"),
        min_group_size: 1,
        ..ReportQuery::default()
    };
    let report = Report::build(&answers, &query).unwrap();
    assert_eq!(report.overall.tally(), tally(2, 0, 1));
    assert_eq!(report.flagged_excluded, 1);
    assert_eq!(report.distribution.0[10], 1);
    assert_eq!(report.groups.len(), 2);
    assert_eq!(report.themes.detractor_comments, 1);
    assert_eq!(
        report.scope.from.as_deref(),
        Some("1970-01-01T00:00:01.000Z")
    );

    let with_flagged = Report::build(
        &answers,
        &ReportQuery {
            include_flagged: true,
            ..query.clone()
        },
    )
    .unwrap();
    assert_eq!(with_flagged.overall.responses, 4);
    assert_eq!(with_flagged.flagged_excluded, 0);
}

#[test]
fn an_empty_range_is_refused() {
    let query = ReportQuery {
        from: Some(5),
        to: Some(5),
        ..ReportQuery::default()
    };
    assert_eq!(Report::build(&[], &query), Err(ReportError::EmptyRange));
}

#[test]
fn the_report_serialises_flat_for_a_dashboard() {
    let answers = [answer(10, 0, &[("store", "berlin")]), answer(3, 0, &[])];
    let query = ReportQuery {
        group_by: Some(GroupBy::Property("store".into())),
        min_group_size: 1,
        zone: Zone::fixed(UtcOffset::try_from(60).unwrap()),
        ..ReportQuery::default()
    };
    let report = Report::build(&answers, &query).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["interval"], "week");
    assert_eq!(json["utc_offset_minutes"], 60);
    assert_eq!(json["group_by"], "store");
    assert_eq!(json["overall"]["responses"], 2);
    assert_eq!(json["overall"]["nps"], 0.0);
    assert_eq!(json["distribution"].as_array().unwrap().len(), 11);
    assert_eq!(json["trend"][0]["label"], "1970-W01");
    assert_eq!(json["trend"][0]["start"], "1969-12-28T23:00:00.000Z");
    assert_eq!(json["trend"][0]["promoters"], 1);
    assert_eq!(json["groups"][0]["kind"], "value");
    assert_eq!(json["groups"][1]["value"], "(none)");
    assert!(json["groups"][0]["revenue"].is_null());
    assert_eq!(json["revenue_bands"], serde_json::json!([]));
    assert!(json["themes"]["detractor"].is_array());
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn a_stored_answer_becomes_a_record() {
    let view: ResponseView = serde_json::from_value(serde_json::json!({
        "id": "r_1", "survey_id": "s_1", "score": 4, "category": "detractor",
        "comment": "zu teuer", "channel": "web", "locale": "de", "page_url": null,
        "respondent": {}, "properties": {"store": "berlin"},
        "created_at": "2022-04-07T21:39:13.000Z", "updated_at": "2022-04-07T21:39:13.000Z"
    }))
    .unwrap();
    let record = AnswerRecord::try_from(&view).unwrap();
    assert_eq!(record.created_at, 1_649_367_553_000);
    assert_eq!(record.property("store"), Some("berlin"));
    let bad = ResponseView {
        created_at: "yesterday".into(),
        ..view
    };
    assert_eq!(AnswerRecord::try_from(&bad), Err(ReportError::BadTimestamp));
}

// --- Properties ---------------------------------------------------------------

fn arb_answers() -> impl Strategy<Value = Vec<AnswerRecord>> {
    prop::collection::vec(
        (
            0u8..=10,
            // 2020-09 to 2027-01: a daily trend stays under the bucket limit.
            1_600_000_000_000i64..1_800_000_000_000,
            prop::option::of(prop::sample::select(vec!["a", "b", "c", "d", "e", "f"])),
            prop::option::of(0u32..500),
            prop::option::of(0u32..30),
            prop::option::of(0u32..5000),
        ),
        0..80,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(n, at, store, days, orders, revenue)| {
                let mut properties = BTreeMap::new();
                let mut put = |k: &str, v: Option<String>| {
                    if let Some(v) = v {
                        properties.insert(k.to_owned(), v);
                    }
                };
                put("store", store.map(str::to_owned));
                put("recency_days", days.map(|d| d.to_string()));
                put("order_count", orders.map(|o| o.to_string()));
                put("revenue", revenue.map(|r| format!("{r}.50")));
                AnswerRecord {
                    id: format!("r_{at}"),
                    score: score(n),
                    created_at: at,
                    comment: None,
                    properties,
                    flagged: false,
                }
            })
            .collect()
    })
}

fn sum(summaries: impl IntoIterator<Item = NpsSummary>) -> Tally {
    let mut total = Tally::default();
    for s in summaries {
        total.merge(&s.tally());
    }
    total
}

proptest! {
    #[test]
    fn nps_is_within_bounds_and_the_margin_never_negative(
        p in 0u64..1000, pa in 0u64..1000, d in 0u64..1000
    ) {
        let summary = NpsSummary::from(tally(p, pa, d));
        if let Some(nps) = summary.nps {
            prop_assert!((-100.0..=100.0).contains(&nps));
        }
        if let Some(margin) = summary.margin_of_error {
            prop_assert!(margin >= 0.0 && margin.is_finite());
        }
        prop_assert_eq!(summary.margin_of_error.is_some(), p + pa + d >= 2);
    }

    #[test]
    fn trend_buckets_add_up_to_the_whole(
        answers in arb_answers(),
        interval in prop::sample::select(Interval::ALL.to_vec()),
        offset in -MAX_UTC_OFFSET_MINUTES..=MAX_UTC_OFFSET_MINUTES,
    ) {
        let offset = UtcOffset::try_from(offset).unwrap();
        let whole: Tally = answers.iter().map(|a| a.score).collect();
        let buckets = trend(answers.iter().map(|a| (a.created_at, a.score)), interval, &Zone::fixed(offset)).unwrap();
        prop_assert_eq!(sum(buckets.iter().map(|b| b.summary)), whole);
        for pair in buckets.windows(2) {
            prop_assert!(pair[0].start < pair[1].start);
        }
    }

    #[test]
    fn groups_add_up_to_the_whole(answers in arb_answers(), min in 0u64..8) {
        let refs: Vec<&AnswerRecord> = answers.iter().collect();
        let whole: Tally = answers.iter().map(|a| a.score).collect();
        let groups = groups_by_property(&refs, "store", min);
        prop_assert_eq!(sum(groups.iter().map(|g| g.summary)), whole);
        for g in groups.iter().filter(|g| g.kind == GroupKind::Value) {
            prop_assert!(g.summary.responses >= min);
        }
        let segments = rfm_groups(&refs, &RfmProperties::default());
        prop_assert_eq!(sum(segments.iter().map(|g| g.summary)), whole);
    }

    #[test]
    fn quintile_scores_are_one_to_five_and_monotonic(
        values in prop::collection::vec(0u32..50, 1..60)
    ) {
        let values: Vec<f64> = values.into_iter().map(f64::from).collect();
        let scores = quintiles(&values);
        for (i, &a) in scores.iter().enumerate() {
            prop_assert!((1..=5).contains(&a));
            for (j, &b) in scores.iter().enumerate() {
                if values[i] <= values[j] {
                    prop_assert!(a <= b);
                }
            }
        }
    }
}
