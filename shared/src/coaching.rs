//! The team coaching view behind `GET /v1/coaching`: per case owner and per team (the
//! value of the answer property the owner rules route on, `store` by default), over a
//! period — cases handled, median time to first contact, SLA met, win-back rate, and
//! the NPS of their customers.
//!
//! Definitions, all over the cases opened in the period:
//! - first contact: the case's first change away from `open` (to contacted, or
//!   resolved straight away), from its timeline;
//! - SLA met: first contact at or before the case's due time, as a share of the cases
//!   whose SLA is decided (contacted, or past due uncontacted);
//! - win-back rate: cases whose customer answered again with a promoter's score, as a
//!   share of those who answered again (`case::win_back`);
//! - customers' NPS: the answers of the period with the team's property value; for an
//!   owner, those of the teams whose answers the survey's owner rules route to them.
//!
//! The practices of the best performers are their playbook entries
//! ([`crate::cause::PlaybookEntry`]): the solutions they offered in the cases of the
//! period they resolved, grouped per cause and ranked as the playbook ranks.
//!
//! Pure: counts in, rates out. No clock, no storage, no `serde_json`.

use crate::cause::PlaybookEntry;
use crate::nps::Tally;
use crate::report::NpsSummary;
use serde::{Deserialize, Serialize};

/// The property teams are told apart by when no owner rule names one.
pub const DEFAULT_TEAM_PROPERTY: &str = "store";

/// What the storage counts of the cases of one owner or team.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseCounts {
    pub cases: u64,
    pub contacted: u64,
    pub resolved: u64,
    /// Contacted, or past due without contact: cases whose SLA is decided.
    pub sla_decided: u64,
    pub sla_met: u64,
    /// Cases whose customer answered again.
    pub reasked: u64,
    pub won_back: u64,
    /// Median of (first contact − opening) over the contacted cases, in ms.
    pub median_contact_ms: Option<f64>,
}

/// One row of the view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoachingRow {
    /// The owner (`(unassigned)` for cases without one) or the team's property value
    /// (trimmed, lower case; `(none)` for answers without it).
    pub name: String,
    pub cases: u64,
    pub contacted: u64,
    pub resolved: u64,
    pub median_hours_to_first_contact: Option<f64>,
    /// 0–100; `null` while no case's SLA is decided.
    pub sla_met_percent: Option<f64>,
    /// 0–100 of the customers who answered again; `null` while none did.
    pub win_back_percent: Option<f64>,
    /// Cases whose customer answered again.
    pub answered_again: u64,
    /// NPS of their customers' answers in the period, with its margin of error.
    pub customers: NpsSummary,
}

impl CoachingRow {
    pub fn new(name: String, counts: CaseCounts, customers: Tally) -> CoachingRow {
        let percent = |part: u64, of: u64| (of > 0).then(|| 100.0 * part as f64 / of as f64);
        CoachingRow {
            name,
            cases: counts.cases,
            contacted: counts.contacted,
            resolved: counts.resolved,
            median_hours_to_first_contact: counts.median_contact_ms.map(|ms| ms / 3_600_000.0),
            sla_met_percent: percent(counts.sla_met, counts.sla_decided),
            win_back_percent: percent(counts.won_back, counts.reasked),
            answered_again: counts.reasked,
            customers: NpsSummary::from(customers),
        }
    }
}

/// `GET /v1/coaching`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Coaching {
    /// RFC 3339, included.
    pub from: String,
    /// RFC 3339, not included.
    pub to: String,
    pub survey_id: Option<String>,
    /// The answer property teams are told apart by.
    pub team_property: String,
    /// By cases handled, most first (ties by name).
    pub owners: Vec<CoachingRow>,
    pub teams: Vec<CoachingRow>,
    /// The owners with the best win-back rate (at least [`MIN_ANSWERED_AGAIN`]
    /// customers answered again), best first: whose practices to share.
    pub best_performers: Vec<String>,
    /// What the best performers offered in the cases of the period they resolved:
    /// at most [`PRACTICES_PER_PERFORMER`] each, in the order of `best_performers`,
    /// each owner's best first.
    #[serde(default)]
    pub practices: Vec<Practice>,
}

/// How many practices the view lists per best performer.
pub const PRACTICES_PER_PERFORMER: u32 = 3;

/// One practice of a best performer: a solution they offered for a cause, how often,
/// and how often the customer was won back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Practice {
    pub owner: String,
    /// The cause key of the cases it was offered in.
    pub cause: String,
    #[serde(flatten)]
    pub entry: PlaybookEntry,
}

/// `practices` in the order of `best` (each owner's own order kept), those of owners
/// not in it dropped.
pub fn order_practices(best: &[String], mut practices: Vec<Practice>) -> Vec<Practice> {
    practices.retain(|p| best.contains(&p.owner));
    practices.sort_by_key(|p| best.iter().position(|b| *b == p.owner));
    practices
}

/// Fewest customers answering again for a win-back rate to rank an owner.
pub const MIN_ANSWERED_AGAIN: u64 = 3;
/// How many best performers the view names.
pub const BEST_PERFORMERS: usize = 3;

/// Rows sorted by cases handled, most first, then by name.
pub fn sort_rows(rows: &mut [CoachingRow]) {
    rows.sort_by(|a, b| b.cases.cmp(&a.cases).then_with(|| a.name.cmp(&b.name)));
}

/// The owners whose customers were won back most often, best first (ties by cases
/// handled, then name), among those with at least [`MIN_ANSWERED_AGAIN`] answers again.
pub fn best_performers(owners: &[CoachingRow]) -> Vec<String> {
    let mut ranked: Vec<&CoachingRow> = owners
        .iter()
        .filter(|r| r.answered_again >= MIN_ANSWERED_AGAIN && r.win_back_percent.is_some())
        .collect();
    ranked.sort_by(|a, b| {
        let rate = |r: &CoachingRow| r.win_back_percent.unwrap_or(0.0);
        rate(b)
            .total_cmp(&rate(a))
            .then_with(|| b.cases.cmp(&a.cases))
            .then_with(|| a.name.cmp(&b.name))
    });
    ranked
        .into_iter()
        .take(BEST_PERFORMERS)
        .map(|r| r.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, cases: u64, reasked: u64, won_back: u64) -> CoachingRow {
        let counts = CaseCounts {
            cases,
            reasked,
            won_back,
            ..Default::default()
        };
        CoachingRow::new(name.into(), counts, Tally::default())
    }

    #[test]
    fn rates_are_shares_of_what_they_are_about_and_null_without_any() {
        let counts = CaseCounts {
            cases: 8,
            contacted: 6,
            resolved: 4,
            sla_decided: 7,
            sla_met: 5,
            reasked: 4,
            won_back: 1,
            median_contact_ms: Some(5_400_000.0),
        };
        let tally = Tally {
            promoters: 2,
            passives: 1,
            detractors: 1,
        };
        let r = CoachingRow::new("anna".into(), counts, tally);
        assert_eq!(r.median_hours_to_first_contact, Some(1.5));
        // 5 of 7 decided SLAs = 71.43 %; 1 of 4 answering again = 25 %.
        assert!((r.sla_met_percent.unwrap() - 500.0 / 7.0).abs() < 1e-9);
        assert_eq!(r.win_back_percent, Some(25.0));
        assert_eq!(r.customers.nps, Some(25.0));
        let empty = CoachingRow::new("bo".into(), CaseCounts::default(), Tally::default());
        assert_eq!(empty.sla_met_percent, None);
        assert_eq!(empty.win_back_percent, None);
        assert_eq!(empty.median_hours_to_first_contact, None);
    }

    #[test]
    fn best_performers_rank_by_win_back_among_those_with_enough_answers_again() {
        let owners = [
            row("anna", 10, 4, 3),
            row("bo", 5, 2, 2),
            row("cem", 12, 4, 1),
            row("dana", 3, 3, 3),
        ];
        assert_eq!(best_performers(&owners), ["dana", "anna", "cem"]);
    }

    #[test]
    fn practices_follow_the_best_performers_and_keep_each_owner_s_order() {
        let practice = |owner: &str, solution: &str| Practice {
            owner: owner.into(),
            cause: "delivery".into(),
            entry: PlaybookEntry::new(solution.into(), 2, 1),
        };
        let practices = vec![
            practice("anna", "a1"),
            practice("zoe", "z1"),
            practice("dana", "d1"),
            practice("anna", "a2"),
            practice("dana", "d2"),
        ];
        let ordered = order_practices(&["dana".into(), "anna".into()], practices);
        let solutions: Vec<&str> = ordered.iter().map(|p| p.entry.solution.as_str()).collect();
        assert_eq!(solutions, ["d1", "d2", "a1", "a2"]);
    }

    #[test]
    fn rows_sort_by_cases_then_name() {
        let mut rows = [
            row("bo", 2, 0, 0),
            row("anna", 2, 0, 0),
            row("cem", 9, 0, 0),
        ];
        sort_rows(&mut rows);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["cem", "anna", "bo"]);
    }
}
