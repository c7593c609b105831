//! How the dashboard writes numbers, times, queries and case steps for people: NPS
//! rounded to whole points, shares in percent, RFC 3339 instants as short local times
//! (at an offset the caller gets from the browser), the report's query string, the
//! embed snippet, which status buttons a case gets, and whom a case is about.
//!
//! Pure: no Leptos, no DOM, no clock (callers pass what they know), so it is tested
//! natively.

use nps_shared::api::Respondent;
use nps_shared::case::{CaseStatus, TimelineEvent, transition};
use nps_shared::time::{days_from_civil, parse_rfc3339, rfc3339};

/// NPS for display: whole points, halves away from zero, never "-0".
pub fn round_nps(nps: f64) -> i64 {
    nps.round() as i64
}

/// "NPS 12 ± 9", "NPS 12" (one answer, no margin) or "No answers yet".
pub fn nps_headline(nps: Option<f64>, margin: Option<f64>) -> String {
    match (nps, margin) {
        (Some(n), Some(m)) => format!("NPS {} ± {}", round_nps(n), m.round() as i64),
        (Some(n), None) => format!("NPS {}", round_nps(n)),
        (None, _) => "No answers yet".to_owned(),
    }
}

/// "12 ± 9" for a table cell; "—" without answers.
pub fn nps_cell(nps: Option<f64>, margin: Option<f64>) -> String {
    match (nps, margin) {
        (Some(n), Some(m)) => format!("{} ± {}", round_nps(n), m.round() as i64),
        (Some(n), None) => round_nps(n).to_string(),
        (None, _) => "—".to_owned(),
    }
}

/// `part` of `total` in whole percent: "45%"; "0%" of nothing.
pub fn percent(part: u64, total: u64) -> String {
    if total == 0 {
        return "0%".to_owned();
    }
    format!("{}%", (part as f64 * 100.0 / total as f64).round() as u64)
}

/// A theme's reach on both sides: "42% of detractors · 6% of promoters".
pub fn theme_shares(detractor_share: f64, promoter_share: f64) -> String {
    let whole = |share: f64| (share.clamp(0.0, 1.0) * 100.0).round() as u64;
    format!(
        "{}% of detractors · {}% of promoters",
        whole(detractor_share),
        whole(promoter_share)
    )
}

/// A theme's trend as points of a sparkline `width` × `height` (SVG `points`): its
/// share of each bucket's comments, 0 at the bottom, the largest share at the top;
/// empty buckets sit at 0. Empty for fewer than two buckets.
pub fn sparkline(trend: &[u64], bucket_comments: &[u64], width: f64, height: f64) -> String {
    if trend.len() < 2 || trend.len() != bucket_comments.len() {
        return String::new();
    }
    let shares: Vec<f64> = trend
        .iter()
        .zip(bucket_comments)
        .map(|(&n, &of)| if of == 0 { 0.0 } else { n as f64 / of as f64 })
        .collect();
    let top = shares.iter().copied().fold(0.0, f64::max);
    let step = width / (shares.len() - 1) as f64;
    shares
        .iter()
        .enumerate()
        .map(|(i, share)| {
            let y = if top > 0.0 {
                height - share / top * height
            } else {
                height
            };
            format!("{:.1},{:.1}", i as f64 * step, y)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a sparkline says, for its `aria-label`: "Comments by bucket: 4, 6, 0".
pub fn trend_label(trend: &[u64]) -> String {
    let counts: Vec<String> = trend.iter().map(u64::to_string).collect();
    format!("Comments by bucket: {}", counts.join(", "))
}

/// A count with thousands separators: "991,993".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What a report computed from its most recent answers only (see `shared/src/rollup.rs`):
/// "Segments, revenue bands and themes: the latest 5,000 of 991,993 answers."
pub fn sample_note(sample: &nps_shared::report::Sample) -> String {
    let names: Vec<&str> = sample
        .sections
        .iter()
        .map(|s| match s.as_str() {
            "groups" => "segments",
            "revenue_bands" => "revenue bands",
            other => other,
        })
        .collect();
    let list = match names.as_slice() {
        [] => "Some sections".to_owned(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    let mut list = list;
    if let Some(first) = list.get(..1) {
        list = first.to_uppercase() + &list[1..];
    }
    format!(
        "{list}: the latest {} of {} answers.",
        count(sample.answers),
        count(sample.of)
    )
}

/// An amount with thousands separators and cents: "12,345.60".
pub fn money(amount: f64) -> String {
    let cents = (amount * 100.0).round() as i64;
    let (sign, cents) = if cents < 0 {
        ("-", -cents)
    } else {
        ("", cents)
    };
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}.{:02}", cents % 100)
}

/// A compact amount for chart labels: "950", "1.2k", "15k", "2.5M".
pub fn money_short(amount: f64) -> String {
    let abs = amount.abs();
    let sign = if amount < 0.0 { "-" } else { "" };
    let scaled = |value: f64, unit: &str| {
        if value < 10.0 {
            let text = format!("{value:.1}");
            format!("{sign}{}{unit}", text.trim_end_matches(".0"))
        } else {
            format!("{sign}{}{unit}", value.round() as i64)
        }
    };
    if abs >= 999_500.0 {
        scaled(abs / 1_000_000.0, "M")
    } else if abs >= 999.5 {
        scaled(abs / 1000.0, "k")
    } else {
        format!("{sign}{}", abs.round() as i64)
    }
}

/// "2026-10-03 16:05" for "2026-10-03T14:05:22.000Z" at `utc_offset_minutes` = 120
/// (minutes east of UTC, as the browser's clock has it at that instant); anything that
/// is not such a timestamp as it came.
pub fn local_time(rfc3339_utc: &str, utc_offset_minutes: i32) -> String {
    match parse_rfc3339(rfc3339_utc) {
        Some(ms) => {
            let local = rfc3339(ms + i64::from(utc_offset_minutes) * 60_000);
            match (local.get(..10), local.get(11..16)) {
                (Some(date), Some(time)) => format!("{date} {time}"),
                _ => rfc3339_utc.to_owned(),
            }
        }
        None => rfc3339_utc.to_owned(),
    }
}

/// "UTC+1", "UTC−3:30", "UTC": the offset a page's times are shown in.
pub fn offset_name(utc_offset_minutes: i32) -> String {
    if utc_offset_minutes == 0 {
        return "UTC".to_owned();
    }
    let sign = if utc_offset_minutes < 0 { '−' } else { '+' };
    let minutes = utc_offset_minutes.unsigned_abs();
    match minutes % 60 {
        0 => format!("UTC{sign}{}", minutes / 60),
        m => format!("UTC{sign}{}:{m:02}", minutes / 60),
    }
}

/// The UTC instant of local midnight on `date` (`YYYY-MM-DD`, as an `<input
/// type="date">` gives it) at `utc_offset_minutes`; `None` if it is not such a date.
pub fn local_midnight(date: &str, utc_offset_minutes: i32) -> Option<String> {
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(rfc3339(
        days * 86_400_000 - i64::from(utc_offset_minutes) * 60_000,
    ))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// What the overview asks the report for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportControls {
    /// `day`, `week` or `month`.
    pub interval: String,
    /// A property name (`store`) or `rfm`.
    pub group_by: String,
    /// `YYYY-MM-DD` or empty for "since the first answer".
    pub from: String,
    /// The browser's offset now: the trend's, when there is no zone.
    pub utc_offset_minutes: i32,
    /// The browser's offset at `from`'s midnight (daylight saving may differ from
    /// now's); `utc_offset_minutes` when not known.
    pub from_utc_offset_minutes: Option<i32>,
    /// The browser's IANA time zone: the trend's days follow its daylight saving.
    pub time_zone: Option<String>,
}

impl Default for ReportControls {
    fn default() -> Self {
        ReportControls {
            interval: "week".into(),
            group_by: "store".into(),
            from: String::new(),
            utc_offset_minutes: 0,
            from_utc_offset_minutes: None,
            time_zone: None,
        }
    }
}

/// `/v1/surveys/{id}/report?…` for these controls.
pub fn report_path(survey_id: &str, controls: &ReportControls) -> String {
    let local = match &controls.time_zone {
        Some(zone) => format!("time_zone={}", encode_component(zone)),
        None => format!("utc_offset_minutes={}", controls.utc_offset_minutes),
    };
    let mut path = format!(
        "/v1/surveys/{}/report?interval={}&group_by={}&{local}",
        encode_component(survey_id),
        encode_component(&controls.interval),
        encode_component(&controls.group_by),
    );
    let from_offset = controls
        .from_utc_offset_minutes
        .unwrap_or(controls.utc_offset_minutes);
    if let Some(from) = local_midnight(&controls.from, from_offset) {
        path.push_str("&from=");
        path.push_str(&encode_component(&from));
    }
    path
}

/// The tag a marketer pastes into their site.
pub fn embed_snippet(origin: &str, survey_id: &str) -> String {
    let origin = origin.trim_end_matches('/');
    format!(r#"<script async src="{origin}/widget/nps.js" data-survey="{survey_id}"></script>"#)
}

/// The statuses a case in `from` may move to, in the order their buttons appear.
pub fn next_statuses(from: CaseStatus) -> Vec<CaseStatus> {
    CaseStatus::ALL
        .into_iter()
        .filter(|to| transition(from, *to).is_ok())
        .collect()
}

/// The button that moves a case to `to`.
pub fn status_action(to: CaseStatus) -> &'static str {
    match to {
        CaseStatus::Open => "Reopen",
        CaseStatus::Contacted => "Mark contacted",
        CaseStatus::Resolved => "Resolve",
    }
}

/// Whom a case is about, for support to reach: the e-mail address first (what they
/// write to), then the shop's customer id; "Anonymous customer" when the answer named
/// nobody.
pub fn customer(respondent: &Respondent) -> String {
    match (&respondent.email, &respondent.id) {
        (Some(email), Some(id)) => format!("{email} ({id})"),
        (Some(email), None) => email.clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => "Anonymous customer".to_owned(),
    }
}

/// One timeline entry in words.
pub fn timeline_text(event: &TimelineEvent) -> String {
    match event {
        TimelineEvent::Opened { score } => format!("Opened by a score of {}", score.value()),
        TimelineEvent::StatusChanged { from, to } => {
            format!("Status {} → {}", from.as_str(), to.as_str())
        }
        TimelineEvent::OwnerChanged { to: Some(to), .. } => format!("Assigned to {to}"),
        TimelineEvent::OwnerChanged { to: None, .. } => "Unassigned".to_owned(),
        TimelineEvent::Note { note } => format!("Note: {note}"),
        TimelineEvent::Reasked => "Customer asked again".to_owned(),
        TimelineEvent::AnsweredAgain { score } => {
            format!("Customer answered again: {}", score.value())
        }
        TimelineEvent::CauseSet { to, .. } => format!("Cause: {to}"),
        TimelineEvent::SolutionSet { solution } => format!("Solution: {solution}"),
    }
}

/// A playbook entry's win-back rate (0 to 1) in whole percent: "67%".
pub fn rate(rate: f64) -> String {
    format!("{:.0}%", (rate * 100.0).clamp(0.0, 100.0))
}

/// A response rate (`answered / sent`) to one decimal: "12.5%"; "—" before anything
/// was sent.
pub fn response_rate(share: Option<f64>) -> String {
    match share {
        Some(share) => format!("{:.1}%", share.clamp(0.0, 1.0) * 100.0),
        None => "—".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_themes_shares_are_whole_percent_of_each_side() {
        assert_eq!(
            theme_shares(0.4166, 0.06),
            "42% of detractors · 6% of promoters"
        );
        assert_eq!(
            theme_shares(0.0, 1.0),
            "0% of detractors · 100% of promoters"
        );
    }

    #[test]
    fn a_sparkline_plots_each_buckets_share_with_the_largest_at_the_top() {
        // Shares 0.5, 0.25, 0 (an empty bucket) over 100 × 20.
        assert_eq!(
            sparkline(&[2, 1, 0], &[4, 4, 0], 100.0, 20.0),
            "0.0,0.0 50.0,10.0 100.0,20.0"
        );
        assert_eq!(sparkline(&[0, 0], &[3, 3], 10.0, 4.0), "0.0,4.0 10.0,4.0");
        assert_eq!(sparkline(&[1], &[1], 10.0, 4.0), "");
        assert_eq!(sparkline(&[1, 2], &[1], 10.0, 4.0), "");
        assert_eq!(trend_label(&[4, 6, 0]), "Comments by bucket: 4, 6, 0");
    }
    use nps_shared::Score;

    #[test]
    fn a_customer_is_named_by_e_mail_then_id_or_as_anonymous() {
        let who = |id: Option<&str>, email: Option<&str>| Respondent {
            id: id.map(str::to_owned),
            email: email.map(str::to_owned),
        };
        assert_eq!(
            customer(&who(Some("cust-42"), Some("kim@example.com"))),
            "kim@example.com (cust-42)"
        );
        assert_eq!(
            customer(&who(None, Some("kim@example.com"))),
            "kim@example.com"
        );
        assert_eq!(customer(&who(Some("cust-42"), None)), "cust-42");
        assert_eq!(customer(&who(None, None)), "Anonymous customer");
    }

    #[test]
    fn nps_rounds_halves_away_from_zero_and_never_shows_minus_zero() {
        assert_eq!(round_nps(12.5), 13);
        assert_eq!(round_nps(-12.5), -13);
        assert_eq!(round_nps(-0.4), 0);
        assert_eq!(nps_headline(Some(-0.4), Some(3.2)), "NPS 0 ± 3");
    }

    #[test]
    fn the_headline_says_what_is_known() {
        assert_eq!(nps_headline(Some(12.3), Some(9.4)), "NPS 12 ± 9");
        assert_eq!(nps_headline(Some(100.0), None), "NPS 100");
        assert_eq!(nps_headline(None, None), "No answers yet");
        assert_eq!(nps_cell(None, None), "—");
        assert_eq!(nps_cell(Some(-33.3), Some(40.0)), "-33 ± 40");
    }

    #[test]
    fn a_sampled_report_says_which_sections_and_how_many_answers() {
        let sample = nps_shared::report::Sample {
            answers: 5000,
            of: 991_993,
            sections: vec!["groups".into(), "revenue_bands".into(), "themes".into()],
        };
        assert_eq!(
            sample_note(&sample),
            "Segments, revenue bands and themes: the latest 5,000 of 991,993 answers."
        );
        assert_eq!(count(0), "0");
        assert_eq!(count(1000), "1,000");
    }

    #[test]
    fn win_back_rates_are_whole_percent() {
        assert_eq!(rate(2.0 / 3.0), "67%");
        assert_eq!(rate(1.0), "100%");
        assert_eq!(rate(0.0), "0%");
    }

    #[test]
    fn percentages_are_whole_and_safe_on_nothing() {
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(2, 3), "67%");
        assert_eq!(percent(0, 0), "0%");
    }

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(12345.6), "12,345.60");
        assert_eq!(money(0.0), "0.00");
        assert_eq!(money(999.999), "1,000.00");
        assert_eq!(money(-1234.5), "-1,234.50");
    }

    #[test]
    fn chart_amounts_are_short() {
        assert_eq!(money_short(950.4), "950");
        assert_eq!(money_short(1234.0), "1.2k");
        assert_eq!(money_short(2000.0), "2k");
        assert_eq!(money_short(15_400.0), "15k");
        assert_eq!(money_short(2_500_000.0), "2.5M");
        assert_eq!(money_short(0.0), "0");
        assert_eq!(money_short(-1500.0), "-1.5k");
    }

    #[test]
    fn local_times_move_by_the_offset_across_midnight() {
        assert_eq!(
            local_time("2026-10-03T14:05:22.000Z", 120),
            "2026-10-03 16:05"
        );
        assert_eq!(local_time("2026-10-03T23:30:00Z", 60), "2026-10-04 00:30");
        assert_eq!(
            local_time("2026-01-01T02:00:00.000Z", -300),
            "2025-12-31 21:00"
        );
        assert_eq!(
            local_time("2026-10-03T14:05:22.000Z", 0),
            "2026-10-03 14:05"
        );
        assert_eq!(local_time("soon", 60), "soon");
    }

    #[test]
    fn offsets_are_named_like_clocks() {
        assert_eq!(offset_name(0), "UTC");
        assert_eq!(offset_name(60), "UTC+1");
        assert_eq!(offset_name(-210), "UTC−3:30");
        assert_eq!(offset_name(345), "UTC+5:45");
    }

    #[test]
    fn local_midnight_moves_by_the_offset() {
        assert_eq!(
            local_midnight("2025-03-01", 60).as_deref(),
            Some("2025-02-28T23:00:00.000Z")
        );
        assert_eq!(
            local_midnight("2025-03-01", 0).as_deref(),
            Some("2025-03-01T00:00:00.000Z")
        );
        assert_eq!(local_midnight("", 0), None);
        assert_eq!(local_midnight("2025-13-01", 0), None);
    }

    #[test]
    fn the_report_path_carries_every_control() {
        let controls = ReportControls {
            interval: "month".into(),
            group_by: "rfm".into(),
            from: "2025-03-01".into(),
            utc_offset_minutes: 60,
            from_utc_offset_minutes: None,
            time_zone: None,
        };
        assert_eq!(
            report_path("s_demo", &controls),
            "/v1/surveys/s_demo/report?interval=month&group_by=rfm&utc_offset_minutes=60&from=2025-02-28T23%3A00%3A00.000Z"
        );
        // In a zone, `from` is that date's midnight at the offset it had then (summer
        // time in July while it is winter now).
        let zoned = ReportControls {
            time_zone: Some("Europe/Berlin".into()),
            from: "2025-07-01".into(),
            from_utc_offset_minutes: Some(120),
            ..controls
        };
        assert_eq!(
            report_path("s_demo", &zoned),
            "/v1/surveys/s_demo/report?interval=month&group_by=rfm&time_zone=Europe%2FBerlin&from=2025-06-30T22%3A00%3A00.000Z"
        );
        let path = report_path("s demo", &ReportControls::default());
        assert!(path.starts_with("/v1/surveys/s%20demo/report?interval=week&group_by=store"));
        assert!(!path.contains("from="));
    }

    #[test]
    fn the_snippet_points_at_the_widget_of_this_origin() {
        assert_eq!(
            embed_snippet("https://nps.example/", "s_demo"),
            r#"<script async src="https://nps.example/widget/nps.js" data-survey="s_demo"></script>"#
        );
    }

    #[test]
    fn a_case_offers_exactly_its_allowed_transitions() {
        assert_eq!(
            next_statuses(CaseStatus::Open),
            vec![CaseStatus::Contacted, CaseStatus::Resolved]
        );
        assert_eq!(
            next_statuses(CaseStatus::Contacted),
            vec![CaseStatus::Resolved]
        );
        assert_eq!(next_statuses(CaseStatus::Resolved), vec![CaseStatus::Open]);
    }

    #[test]
    fn timeline_entries_read_as_sentences() {
        let score = Score::try_from(3u8).expect("3 is a score");
        assert_eq!(
            timeline_text(&TimelineEvent::Opened { score }),
            "Opened by a score of 3"
        );
        assert_eq!(
            timeline_text(&TimelineEvent::StatusChanged {
                from: CaseStatus::Open,
                to: CaseStatus::Contacted
            }),
            "Status open → contacted"
        );
        assert_eq!(
            timeline_text(&TimelineEvent::Note {
                note: "Called".into()
            }),
            "Note: Called"
        );
    }

    #[test]
    fn a_response_rate_shows_one_decimal_and_a_dash_before_anything_was_sent() {
        assert_eq!(response_rate(None), "—");
        assert_eq!(response_rate(Some(1.0 / 999.0)), "0.1%");
        assert_eq!(response_rate(Some(0.25)), "25.0%");
    }
}
