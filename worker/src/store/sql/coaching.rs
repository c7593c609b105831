//! The coaching view's aggregates, computed in SQL so that the rows read do not grow
//! with the cases or answers of the period: the cases opened in it per owner and per
//! team (first contact read from each case's timeline with `json_each`, the median by
//! window functions), the counted answers per survey, team and category, and the
//! best performers' practices (their playbook entries, the top few per owner by a
//! window function).

use super::SqlStore;
use crate::query;
use crate::store::db::Database;
use crate::store::{
    CaseGroup, CoachingStore, Dimension, StoreError, StoreResult, SurveyCache, TeamTally,
};
use nps_shared::cause::PlaybookEntry;
use nps_shared::coaching::{CaseCounts, Practice};
use nps_shared::nps::Tally;
use serde::Deserialize;

/// The value of the team property (`?4`) of an answer's properties (`props`), trimmed
/// and lower case; NULL when absent or blank. Property names are letters, digits and
/// `_ - .` (checked by the service), so quoting them as a JSON path member is safe.
const TEAM: &str =
    "NULLIF(lower(trim(COALESCE(json_extract(props, '$.\"' || ?4 || '\"'), ''))), '')";

#[derive(Deserialize)]
struct GroupRow {
    dimension: String,
    name: Option<String>,
    cases: u64,
    contacted: u64,
    resolved: u64,
    sla_decided: u64,
    sla_met: u64,
    reasked: u64,
    won_back: u64,
    median_contact_ms: Option<f64>,
}

#[derive(Deserialize)]
struct TallyRow {
    survey_id: String,
    team: Option<String>,
    category: String,
    n: u64,
}

#[derive(Deserialize)]
struct PracticeRow {
    owner: String,
    cause: String,
    solution: String,
    used: u32,
    won_back: u32,
}

impl<D: Database, C: SurveyCache> CoachingStore for SqlStore<D, C> {
    async fn case_groups(
        &self,
        from: &str,
        to: &str,
        survey_id: Option<&str>,
        team_property: &str,
        now: &str,
    ) -> StoreResult<Vec<CaseGroup>> {
        let team = TEAM.replace("props", "r.properties");
        let rows: Vec<GroupRow> = self
            .db
            .all(query!(
                format!(
                    "WITH base AS (\
                       SELECT c.owner AS owner, {team} AS team, c.status AS status, c.due_at AS due_at, \
                         c.reasked_score AS reasked_score, c.created_at AS created_at, \
                         (SELECT MIN(json_extract(t.value, '$.at')) FROM json_each(c.timeline) t \
                          WHERE json_extract(t.value, '$.kind') = 'status_changed' \
                          AND json_extract(t.value, '$.from') = 'open') AS contacted_at \
                       FROM cases c LEFT JOIN responses r ON r.id = c.response_id \
                       WHERE c.created_at >= ?1 AND c.created_at < ?2 AND (?3 IS NULL OR c.survey_id = ?3)), \
                     timed AS (SELECT *, ROUND((julianday(contacted_at) - julianday(created_at)) * 86400000.0) \
                       AS contact_ms FROM base), \
                     keyed AS (SELECT 'owner' AS dimension, owner AS name, * FROM timed \
                       UNION ALL SELECT 'team' AS dimension, team AS name, * FROM timed), \
                     ranked AS (SELECT *, \
                       ROW_NUMBER() OVER (PARTITION BY dimension, name ORDER BY contact_ms IS NULL, contact_ms) AS rn, \
                       COUNT(contact_ms) OVER (PARTITION BY dimension, name) AS timed_n FROM keyed) \
                     SELECT dimension, name, COUNT(*) AS cases, \
                       SUM(CASE WHEN contacted_at IS NOT NULL THEN 1 ELSE 0 END) AS contacted, \
                       SUM(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END) AS resolved, \
                       SUM(CASE WHEN contacted_at IS NOT NULL OR due_at < ?5 THEN 1 ELSE 0 END) AS sla_decided, \
                       SUM(CASE WHEN contacted_at <= due_at THEN 1 ELSE 0 END) AS sla_met, \
                       SUM(CASE WHEN reasked_score IS NOT NULL THEN 1 ELSE 0 END) AS reasked, \
                       SUM(CASE WHEN reasked_score >= 9 THEN 1 ELSE 0 END) AS won_back, \
                       AVG(CASE WHEN contact_ms IS NOT NULL AND rn IN ((timed_n + 1) / 2, (timed_n + 2) / 2) \
                         THEN contact_ms END) AS median_contact_ms \
                     FROM ranked GROUP BY dimension, name"
                ),
                from,
                to,
                survey_id,
                team_property,
                now,
            ))
            .await?;
        rows.into_iter()
            .map(|row| {
                let dimension = match row.dimension.as_str() {
                    "owner" => Dimension::Owner,
                    "team" => Dimension::Team,
                    other => return Err(StoreError(format!("a coaching group by {other}"))),
                };
                Ok(CaseGroup {
                    dimension,
                    name: row.name,
                    counts: CaseCounts {
                        cases: row.cases,
                        contacted: row.contacted,
                        resolved: row.resolved,
                        sla_decided: row.sla_decided,
                        sla_met: row.sla_met,
                        reasked: row.reasked,
                        won_back: row.won_back,
                        median_contact_ms: row.median_contact_ms,
                    },
                })
            })
            .collect()
    }

    async fn practices(
        &self,
        owners: &[String],
        from: &str,
        to: &str,
        survey_id: Option<&str>,
        per_owner: u32,
    ) -> StoreResult<Vec<Practice>> {
        if owners.is_empty() {
            return Ok(Vec::new());
        }
        // As `CaseStore::playbook`: the latest wording per solution_key (SQLite's bare
        // column beside MAX), ranked by the win-back rate with one win and one loss added.
        self.db
            .all(query!(
                "SELECT owner, cause, solution, used, won_back FROM (\
                   SELECT owner, cause, solution, used, won_back, ROW_NUMBER() OVER (PARTITION BY owner \
                     ORDER BY (won_back + 1.0) / (used + 2.0) DESC, used DESC, latest DESC) AS place \
                   FROM (SELECT owner, cause, solution, MAX(id) AS latest, COUNT(*) AS used, \
                     SUM(CASE WHEN reasked_score >= 9 THEN 1 ELSE 0 END) AS won_back \
                     FROM cases WHERE created_at >= ?2 AND created_at < ?3 AND (?4 IS NULL OR survey_id = ?4) \
                     AND owner IN (SELECT value FROM json_each(?1)) AND status = 'resolved' \
                     AND cause IS NOT NULL AND solution_key IS NOT NULL \
                     GROUP BY owner, cause, solution_key)) \
                 WHERE place <= ?5 ORDER BY owner, place",
                serde_json::to_string(owners)?,
                from,
                to,
                survey_id,
                per_owner,
            ))
            .await
            .map(|rows: Vec<PracticeRow>| {
                rows.into_iter()
                    .map(|row| Practice {
                        owner: row.owner,
                        cause: row.cause,
                        entry: PlaybookEntry::new(row.solution, row.used, row.won_back),
                    })
                    .collect()
            })
    }

    async fn team_tallies(
        &self,
        from: &str,
        to: &str,
        survey_id: Option<&str>,
        team_property: &str,
    ) -> StoreResult<Vec<TeamTally>> {
        let team = TEAM.replace("props", "properties");
        let rows: Vec<TallyRow> = self
            .db
            .all(query!(
                format!(
                    "SELECT survey_id, {team} AS team, category, COUNT(*) AS n FROM responses \
                     WHERE created_at >= ?1 AND created_at < ?2 AND (?3 IS NULL OR survey_id = ?3) \
                     AND flagged IS NULL AND provisional = 0 GROUP BY 1, 2, 3 ORDER BY 1, 2"
                ),
                from,
                to,
                survey_id,
                team_property,
            ))
            .await?;
        let mut tallies: Vec<TeamTally> = Vec::new();
        for row in rows {
            let same = tallies
                .last()
                .is_some_and(|t| t.survey_id == row.survey_id && t.team == row.team);
            if !same {
                tallies.push(TeamTally {
                    survey_id: row.survey_id.clone(),
                    team: row.team.clone(),
                    tally: Tally::default(),
                });
            }
            let Some(last) = tallies.last_mut() else {
                continue;
            };
            match row.category.as_str() {
                "promoter" => last.tally.promoters += row.n,
                "passive" => last.tally.passives += row.n,
                "detractor" => last.tally.detractors += row.n,
                other => return Err(StoreError(format!("an answer of category {other}"))),
            }
        }
        Ok(tallies)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{answer, case, run, with_survey};
    use super::*;
    use crate::store::{Companions, ResponseStore, StoredCase, StoredResponse};
    use nps_shared::case::{CaseStatus, TimelineEntry, TimelineEvent};

    const NOW: &str = "2026-11-20T00:00:00.000Z";

    /// A case opened at `opened` by an answer from `store`, owned by `owner`, due a
    /// day later, first contacted at `contacted` (then resolved), answered again with
    /// `again`.
    fn worked(
        n: u32,
        owner: Option<&str>,
        store: Option<&str>,
        opened: &str,
        contacted: Option<&str>,
        again: Option<u8>,
    ) -> (StoredResponse, Companions) {
        let mut a = answer(&format!("r_{n:03}"), 2, opened);
        if let Some(store) = store {
            a.view.properties.insert("store".into(), store.into());
        }
        let mut c: StoredCase = case(&format!("c_{n:03}"), &a, owner);
        let opened_ms = nps_shared::time::parse_rfc3339(opened).unwrap();
        c.view.due_at = nps_shared::time::rfc3339(opened_ms + 86_400_000);
        c.view.timeline = vec![TimelineEntry::new(
            opened,
            None,
            TimelineEvent::Opened {
                score: a.view.score,
            },
        )];
        if let Some(at) = contacted {
            c.view.status = CaseStatus::Resolved;
            c.view.timeline.push(TimelineEntry::new(
                at,
                owner,
                TimelineEvent::StatusChanged {
                    from: CaseStatus::Open,
                    to: CaseStatus::Contacted,
                },
            ));
            c.view.timeline.push(TimelineEntry::new(
                "2026-11-19T00:00:00.000Z",
                owner,
                TimelineEvent::StatusChanged {
                    from: CaseStatus::Contacted,
                    to: CaseStatus::Resolved,
                },
            ));
        }
        c.view.reasked_score = again.map(|s| nps_shared::Score::try_from(s).unwrap());
        (
            a,
            Companions {
                case: Some(c),
                deliveries: Vec::new(),
            },
        )
    }

    fn group<'g>(
        groups: &'g [CaseGroup],
        dimension: Dimension,
        name: Option<&str>,
    ) -> &'g CaseCounts {
        &groups
            .iter()
            .find(|g| g.dimension == dimension && g.name.as_deref() == name)
            .unwrap_or_else(|| panic!("no group {dimension:?} {name:?}"))
            .counts
    }

    #[test]
    fn practices_are_the_best_few_solutions_each_owner_resolved_in_the_period() {
        let s = with_survey();
        let d = "2026-11-10T";
        let contacted = format!("{d}01:00:00.000Z");
        let mut group = Vec::new();
        // anna: "Refund" twice (both won back), "Voucher" once (lost), "Call" once
        // open; bo: "Refund" once; anna's case of October is outside the period.
        for (n, owner, solution, again, opened) in [
            (1, "anna", Some("Refund"), Some(10), d),
            (2, "anna", Some("refund "), Some(9), d),
            (3, "anna", Some("Voucher"), Some(3), d),
            (4, "anna", None, None, d),
            (5, "bo", Some("Refund"), Some(10), d),
            (6, "anna", Some("Old trick"), Some(10), "2026-10-10T"),
        ] {
            let opened = format!("{opened}00:00:00.000Z");
            let (a, mut with) = worked(n, Some(owner), None, &opened, Some(&contacted), again);
            if let Some(c) = with.case.as_mut() {
                c.view.cause = Some("delivery".into());
                c.view.solution = solution.map(str::to_string);
            }
            group.push((a, with));
        }
        run(s.insert_group(&group)).unwrap();
        let owners = ["anna".to_string()];
        let (from, to) = ("2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z");
        let practices = run(s.practices(&owners, from, to, Some("s_demo"), 3)).unwrap();
        let seen: Vec<(&str, &str, u32, u32)> = practices
            .iter()
            .map(|p| {
                (
                    p.owner.as_str(),
                    p.entry.solution.as_str(),
                    p.entry.used,
                    p.entry.won_back,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [("anna", "refund ", 2, 2), ("anna", "Voucher", 1, 0)],
            "grouped by the solution's key, best first, bo's not asked for"
        );
        assert_eq!(practices[0].cause, "delivery");
        let one = run(s.practices(&owners, from, to, None, 1)).unwrap();
        assert_eq!(one.len(), 1, "at most per_owner each");
        assert!(run(s.practices(&[], from, to, None, 3)).unwrap().is_empty());
    }

    #[test]
    fn cases_are_counted_per_owner_and_team_with_the_median_first_contact() {
        let s = with_survey();
        let d = "2026-11-10T";
        run(s.insert_group(&[
            // anna: contacted after 1 h, 3 h and 30 h (late), one uncontacted and
            // overdue; two answered again, one a promoter.
            worked(
                1,
                Some("anna"),
                Some("Berlin"),
                &format!("{d}00:00:00.000Z"),
                Some(&format!("{d}01:00:00.000Z")),
                Some(10),
            ),
            worked(
                2,
                Some("anna"),
                Some("berlin "),
                &format!("{d}00:00:00.000Z"),
                Some(&format!("{d}03:00:00.000Z")),
                Some(4),
            ),
            worked(
                3,
                Some("anna"),
                Some("Hamburg"),
                &format!("{d}00:00:00.000Z"),
                Some("2026-11-11T06:00:00.000Z"),
                None,
            ),
            worked(
                4,
                Some("anna"),
                None,
                &format!("{d}00:00:00.000Z"),
                None,
                None,
            ),
            // bo: contacted after 2 h and 4 h: the median is their mean, 3 h.
            worked(
                5,
                Some("bo"),
                Some("Hamburg"),
                &format!("{d}00:00:00.000Z"),
                Some(&format!("{d}02:00:00.000Z")),
                None,
            ),
            worked(
                6,
                Some("bo"),
                Some("Hamburg"),
                &format!("{d}00:00:00.000Z"),
                Some(&format!("{d}04:00:00.000Z")),
                None,
            ),
            // Unassigned, not yet due as of NOW: its SLA is not decided.
            worked(
                7,
                None,
                Some("Berlin"),
                "2026-11-19T12:00:00.000Z",
                None,
                None,
            ),
            // Outside the period.
            worked(
                8,
                Some("anna"),
                Some("Berlin"),
                "2026-11-01T00:00:00.000Z",
                None,
                None,
            ),
        ]))
        .unwrap();
        let groups = run(s.case_groups(
            "2026-11-05T00:00:00.000Z",
            NOW,
            Some("s_demo"),
            "store",
            NOW,
        ))
        .unwrap();
        let anna = group(&groups, Dimension::Owner, Some("anna"));
        assert_eq!(
            (
                anna.cases,
                anna.contacted,
                anna.resolved,
                anna.sla_decided,
                anna.sla_met
            ),
            (4, 3, 3, 4, 2)
        );
        assert_eq!((anna.reasked, anna.won_back), (2, 1));
        assert_eq!(anna.median_contact_ms, Some(3.0 * 3_600_000.0));
        let bo = group(&groups, Dimension::Owner, Some("bo"));
        assert_eq!(bo.median_contact_ms, Some(3.0 * 3_600_000.0));
        let nobody = group(&groups, Dimension::Owner, None);
        assert_eq!(
            (nobody.cases, nobody.sla_decided, nobody.median_contact_ms),
            (1, 0, None)
        );
        let berlin = group(&groups, Dimension::Team, Some("berlin"));
        assert_eq!((berlin.cases, berlin.contacted), (3, 2));
        assert_eq!(berlin.median_contact_ms, Some(2.0 * 3_600_000.0));
        let hamburg = group(&groups, Dimension::Team, Some("hamburg"));
        assert_eq!(hamburg.cases, 3);
        assert_eq!(group(&groups, Dimension::Team, None).cases, 1);
        assert_eq!(
            groups.len(),
            6,
            "owners anna, bo, none; teams berlin, hamburg, none"
        );
    }

    #[test]
    fn team_tallies_count_the_period_s_answers_per_survey_and_team() {
        let s = with_survey();
        let mut answers = Vec::new();
        for (i, (score, store, at)) in [
            (10, Some("Berlin"), "2026-11-10T00:00:00.000Z"),
            (9, Some(" berlin"), "2026-11-11T00:00:00.000Z"),
            (3, Some("Berlin"), "2026-11-12T00:00:00.000Z"),
            (7, Some("Hamburg"), "2026-11-12T00:00:00.000Z"),
            (10, None, "2026-11-12T00:00:00.000Z"),
            (0, Some("Berlin"), "2026-11-30T00:00:00.000Z"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut a = answer(&format!("r_{i}"), score, at);
            if let Some(store) = store {
                a.view.properties.insert("store".into(), store.into());
            }
            answers.push((a, Companions::default()));
        }
        run(s.insert_group(&answers)).unwrap();
        let tallies = run(s.team_tallies("2026-11-01T00:00:00.000Z", NOW, None, "store")).unwrap();
        let of = |team: Option<&str>| {
            tallies
                .iter()
                .find(|t| t.team.as_deref() == team)
                .map(|t| t.tally)
                .unwrap()
        };
        assert_eq!(
            of(Some("berlin")),
            Tally {
                promoters: 2,
                passives: 0,
                detractors: 1
            }
        );
        assert_eq!(of(Some("hamburg")).passives, 1);
        assert_eq!(of(None).promoters, 1);
        assert_eq!(tallies.len(), 3);
    }
}
