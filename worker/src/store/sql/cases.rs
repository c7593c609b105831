//! `cases`: detractor cases, read together with the answer that opened each (its
//! comment and respondent as they are now), saved under optimistic locking; and the
//! playbook, the solutions of a cause's resolved cases grouped in one query.

use super::{SqlStore, all_rows, email_key, first_row};
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{CaseFilter, CaseStore, StoreError, StoreResult, StoredCase, SurveyCache};
use nps_shared::Score;
use nps_shared::api::Respondent;
use nps_shared::case::{CaseStatus, CaseView, win_back};
use nps_shared::cause::{PlaybookEntry, solution_key};
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct CaseRow {
    id: String,
    survey_id: String,
    response_id: String,
    score: u8,
    status: String,
    owner: Option<String>,
    due_at: String,
    respondent_id: Option<String>,
    respondent_email: Option<String>,
    reasked_score: Option<u8>,
    timeline: String,
    created_at: String,
    updated_at: String,
    /// From the answer that opened the case (`LEFT JOIN responses`): `None` only if
    /// that answer is gone.
    answer_id: Option<String>,
    comment: Option<String>,
    answer_respondent_id: Option<String>,
    answer_respondent_email: Option<String>,
    cause: Option<String>,
    solution: Option<String>,
}

impl TryFrom<CaseRow> for StoredCase {
    type Error = StoreError;
    fn try_from(row: CaseRow) -> StoreResult<Self> {
        let bad = |what: &str| StoreError(format!("case {}: bad {what}", row.id));
        let score = Score::try_from(row.score).map_err(|_| bad("score"))?;
        let reasked_score = row
            .reasked_score
            .map(Score::try_from)
            .transpose()
            .map_err(|_| bad("reasked score"))?;
        let kept = Respondent {
            id: row.respondent_id,
            email: row.respondent_email,
        };
        // Who the answer names; the case's own copy (taken from the same answer when
        // it opened) if the answer were ever gone.
        let answered_by = if row.answer_id.is_some() {
            Respondent {
                id: row.answer_respondent_id,
                email: row.answer_respondent_email,
            }
        } else {
            kept.clone()
        };
        Ok(StoredCase {
            view: CaseView {
                status: CaseStatus::parse(&row.status).ok_or_else(|| bad("status"))?,
                timeline: serde_json::from_str(&row.timeline)?,
                id: row.id,
                survey_id: row.survey_id,
                response_id: row.response_id,
                score,
                owner: row.owner,
                due_at: row.due_at,
                overdue: false,
                created_at: row.created_at,
                updated_at: row.updated_at,
                reasked_score,
                win_back: reasked_score.map(|after| win_back(score, after)),
                comment: row.comment,
                respondent: answered_by,
                cause: row.cause,
                solution: row.solution,
                suggested_cause: None,
                suggestions: Vec::new(),
            },
            respondent: kept,
        })
    }
}

const CASE_COLUMNS: &str = "id, survey_id, response_id, score, status, owner, due_at, respondent_id, \
     respondent_email, reasked_score, timeline, created_at, updated_at, respondent_email_key, \
     cause, solution, solution_key";

/// Reads cases (`c`) with the comment and respondent of the answer that opened each
/// (`r`), in one query: the comment as it is now, also when it was added after the
/// case opened; once that answer is archived, the comment the case kept of it. Conditions after it name the case's columns as `c.…`.
pub(super) const CASE_SELECT: &str = "SELECT c.id AS id, c.survey_id AS survey_id, c.response_id AS response_id, \
     c.score AS score, c.status AS status, c.owner AS owner, c.due_at AS due_at, \
     c.respondent_id AS respondent_id, c.respondent_email AS respondent_email, \
     c.reasked_score AS reasked_score, c.timeline AS timeline, c.created_at AS created_at, \
     c.updated_at AS updated_at, r.id AS answer_id, COALESCE(r.comment, c.archived_comment) AS comment, \
     r.respondent_id AS answer_respondent_id, r.respondent_email AS answer_respondent_email, \
     c.cause AS cause, c.solution AS solution \
     FROM cases c LEFT JOIN responses r ON r.id = c.response_id";

/// The inserts of the cases a group of new answers opens (in the group's batch,
/// after its answers): one statement for many cases.
pub(super) fn insert_many(cases: &[&StoredCase]) -> StoreResult<Vec<Statement>> {
    let rows = cases
        .iter()
        .map(|case| {
            let v = &case.view;
            Ok(serde_json::json!([
                v.id,
                v.survey_id,
                v.response_id,
                v.score.value(),
                v.status.as_str(),
                v.owner,
                v.due_at,
                case.respondent.id,
                case.respondent.email,
                v.reasked_score.map(|s| s.value()),
                serde_json::to_string(&v.timeline)?,
                v.created_at,
                v.updated_at,
                email_key(&case.respondent),
                v.cause,
                v.solution,
                v.solution.as_deref().map(solution_key),
            ]))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(super::insert_rows("cases", CASE_COLUMNS, &rows, ""))
}

impl<D: Database, C: SurveyCache> CaseStore for SqlStore<D, C> {
    async fn get_case(&self, id: &str) -> StoreResult<Option<StoredCase>> {
        first_row(
            &self.db,
            query!(format!("{CASE_SELECT} WHERE c.id = ?1"), id),
            |row: CaseRow| StoredCase::try_from(row),
        )
        .await
    }

    async fn case_for_response(&self, response_id: &str) -> StoreResult<Option<StoredCase>> {
        first_row(
            &self.db,
            query!(
                format!("{CASE_SELECT} WHERE c.response_id = ?1"),
                response_id
            ),
            |row: CaseRow| StoredCase::try_from(row),
        )
        .await
    }

    async fn update_case(&self, case: &StoredCase, expected_updated_at: &str) -> StoreResult<bool> {
        let v = &case.view;
        self.db
            .exists(query!(
                "UPDATE cases SET status = ?2, owner = ?3, reasked_score = ?4, timeline = ?5, updated_at = ?6, \
                 cause = ?8, solution = ?9, solution_key = ?10 \
                 WHERE id = ?1 AND updated_at = ?7 RETURNING 1 AS done",
                v.id,
                v.status.as_str(),
                v.owner,
                v.reasked_score.map(|s| s.value()),
                serde_json::to_string(&v.timeline)?,
                v.updated_at,
                expected_updated_at,
                v.cause,
                v.solution,
                v.solution.as_deref().map(solution_key),
            ))
            .await
    }

    async fn list_cases(
        &self,
        filter: &CaseFilter,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<StoredCase>> {
        all_rows(
            &self.db,
            query!(
                format!(
                    "{CASE_SELECT} WHERE (?1 IS NULL OR c.status = ?1) AND (?2 IS NULL OR c.owner = ?2) \
                     AND (?3 IS NULL OR c.survey_id = ?3) AND (?4 IS NULL OR c.id < ?4) ORDER BY c.id DESC LIMIT ?5"
                ),
                filter.status.map(CaseStatus::as_str),
                filter.owner,
                filter.survey_id,
                before,
                limit,
            ),
            |row: CaseRow| StoredCase::try_from(row),
        )
        .await
    }

    async fn cases_of_respondents(
        &self,
        respondents: &[(String, Respondent)],
        ids: &[String],
    ) -> StoreResult<Vec<StoredCase>> {
        let who: Vec<serde_json::Value> = respondents
            .iter()
            .filter(|(_, r)| !r.is_empty())
            .map(|(survey_id, r)| serde_json::json!([survey_id, r.id, email_key(r)]))
            .collect();
        if who.is_empty() && ids.is_empty() {
            return Ok(Vec::new());
        }
        // Each arm finds its rows through an index: (survey_id, respondent_id),
        // respondent_email_key, the primary key.
        all_rows(
            &self.db,
            query!(
                format!(
                    "{CASE_SELECT} WHERE c.id IN (\
                     SELECT k.id FROM json_each(?1) j JOIN cases k ON k.survey_id = json_extract(j.value, '$[0]') \
                     AND k.respondent_id = json_extract(j.value, '$[1]') \
                     UNION SELECT k.id FROM json_each(?1) j JOIN cases k \
                     ON k.respondent_email_key = json_extract(j.value, '$[2]') AND k.survey_id = json_extract(j.value, '$[0]') \
                     UNION SELECT value FROM json_each(?2)) ORDER BY c.id"
                ),
                serde_json::Value::from(who).to_string(),
                serde_json::to_string(ids)?,
            ),
            |row: CaseRow| StoredCase::try_from(row),
        )
        .await
    }

    async fn playbook(
        &self,
        cause: &str,
        survey_id: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<PlaybookEntry>> {
        // `solution` beside `MAX(id)` is SQLite's bare column of the row with the
        // largest id: the latest wording of the solution. The order is
        // `PlaybookEntry::rank`, the win-back rate with one win and one loss added.
        all_rows(
            &self.db,
            query!(
                "SELECT solution, MAX(id) AS latest, COUNT(*) AS used, \
                 SUM(CASE WHEN reasked_score >= 9 THEN 1 ELSE 0 END) AS won_back \
                 FROM cases WHERE cause = ?1 AND solution_key IS NOT NULL AND status = 'resolved' \
                 AND (?2 IS NULL OR survey_id = ?2) GROUP BY solution_key \
                 ORDER BY (won_back + 1.0) / (used + 2.0) DESC, used DESC, latest DESC LIMIT ?3",
                cause,
                survey_id,
                limit,
            ),
            |row: PlaybookRow| Ok(PlaybookEntry::new(row.solution, row.used, row.won_back)),
        )
        .await
    }
}

#[derive(Deserialize)]
struct PlaybookRow {
    solution: String,
    used: u32,
    won_back: u32,
}

#[cfg(test)]
mod tests {
    use super::super::testing::{answer, case, run, with_survey};
    use crate::store::{CaseFilter, CaseStore, Companions, ResponseStore};
    use nps_shared::api::Respondent;
    use nps_shared::case::CaseStatus;

    const T0: &str = "2026-11-01T10:00:00.000Z";

    /// Answers `r_1`…`r_3`, each with its case `c_1`…`c_3` (owner anna, ben, anna).
    fn three_cases() -> crate::store::sql::SqlStore<crate::store::sqlite::Sqlite> {
        let s = with_survey();
        for (i, owner) in [(1, "anna"), (2, "ben"), (3, "anna")] {
            let mut a = answer(&format!("r_{i}"), 2, T0);
            a.view.respondent = Respondent {
                id: Some(format!("cust-{i}")),
                email: Some("kim@example.com".into()),
            };
            a.view.comment = Some(format!("comment {i}"));
            let with = Companions {
                case: Some(case(&format!("c_{i}"), &a, Some(owner))),
                deliveries: Vec::new(),
            };
            run(s.insert_group(&[(a, with)])).unwrap();
        }
        s
    }

    #[test]
    fn a_case_is_read_with_its_answer_s_comment_as_it_is_now() {
        let s = three_cases();
        run(s.set_comment("r_1", Some("called twice"), T0)).unwrap();
        let c = run(s.get_case("c_1")).unwrap().unwrap();
        assert_eq!(c.view.comment.as_deref(), Some("called twice"));
        assert_eq!(c.view.respondent.id.as_deref(), Some("cust-1"));
    }

    #[test]
    fn a_save_over_someone_else_s_is_refused() {
        let s = three_cases();
        let mut c = run(s.get_case("c_1")).unwrap().unwrap();
        let seen = c.view.updated_at.clone();
        c.view.status = CaseStatus::Contacted;
        c.view.updated_at = "2026-11-01T11:00:00.000Z".into();
        assert!(run(s.update_case(&c, &seen)).unwrap());
        c.view.status = CaseStatus::Resolved;
        assert!(!run(s.update_case(&c, &seen)).unwrap(), "saved since");
        let stored = run(s.get_case("c_1")).unwrap().unwrap();
        assert_eq!(stored.view.status, CaseStatus::Contacted);
    }

    #[test]
    fn lists_filter_by_owner_and_status_newest_first() {
        let s = three_cases();
        let ids = |filter: CaseFilter, before: Option<&str>| {
            run(s.list_cases(&filter, before, 10))
                .unwrap()
                .into_iter()
                .map(|c| c.view.id)
                .collect::<Vec<_>>()
        };
        let anna = CaseFilter {
            owner: Some("anna".into()),
            ..Default::default()
        };
        assert_eq!(ids(anna.clone(), None), ["c_3", "c_1"]);
        assert_eq!(ids(anna, Some("c_3")), ["c_1"]);
        let resolved = CaseFilter {
            status: Some(CaseStatus::Resolved),
            ..Default::default()
        };
        assert!(ids(resolved, None).is_empty());
    }

    #[test]
    fn a_customer_s_cases_are_found_by_id_or_by_address() {
        let s = three_cases();
        let by_id = Respondent {
            id: Some("cust-2".into()),
            email: None,
        };
        let of = |who: &[Respondent], ids: &[&str]| {
            let who: Vec<(String, Respondent)> = who
                .iter()
                .map(|r| ("s_demo".to_string(), r.clone()))
                .collect();
            let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            run(s.cases_of_respondents(&who, &ids))
                .unwrap()
                .into_iter()
                .map(|c| c.view.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(of(std::slice::from_ref(&by_id), &[]), ["c_2"]);
        let by_email = Respondent {
            id: None,
            email: Some("KIM@Example.com".into()),
        };
        assert_eq!(of(&[by_email], &[]), ["c_1", "c_2", "c_3"]);
        assert!(of(&[Respondent::default()], &[]).is_empty());
        assert_eq!(of(&[], &["c_3"]), ["c_3"], "a re-ask names its case");
        let elsewhere = vec![("s_other".to_string(), by_id)];
        assert!(
            run(s.cases_of_respondents(&elsewhere, &[]))
                .unwrap()
                .is_empty()
        );
    }

    /// Case `c_{i}` of answer `r_{i}` (customer `cust-{i}`), resolved with `cause` and
    /// `solution`, and `reasked` as the customer's next score.
    fn resolved(
        s: &crate::store::sql::SqlStore<crate::store::sqlite::Sqlite>,
        i: usize,
        cause: &str,
        solution: &str,
        reasked: Option<u8>,
    ) {
        let a = answer(&format!("r_{i:05}"), 2, T0);
        let mut c = case(&format!("c_{i:05}"), &a, None);
        c.view.status = CaseStatus::Resolved;
        c.view.cause = Some(cause.into());
        c.view.solution = Some(solution.into());
        c.view.reasked_score = reasked.map(|n| nps_shared::Score::try_from(n).unwrap());
        let with = Companions {
            case: Some(c),
            deliveries: Vec::new(),
        };
        run(s.insert_group(&[(a, with)])).unwrap();
    }

    fn entries(
        s: &crate::store::sql::SqlStore<crate::store::sqlite::Sqlite>,
        cause: &str,
        survey_id: Option<&str>,
    ) -> Vec<(String, u32, u32)> {
        run(s.playbook(cause, survey_id, 10))
            .unwrap()
            .into_iter()
            .map(|e| (e.solution, e.used, e.won_back))
            .collect()
    }

    #[test]
    fn the_playbook_groups_a_cause_s_solutions_by_their_words_and_ranks_by_win_back() {
        let s = with_survey();
        // Voucher: 3 of 4 won back, written three ways; refund: 1 of 1; sorry: 0 of 2.
        resolved(&s, 1, "delivery", "10 € voucher", Some(9));
        resolved(&s, 2, "delivery", "10 € Voucher.", Some(10));
        resolved(&s, 3, "delivery", "10 €  voucher", Some(4));
        resolved(&s, 4, "delivery", "10 € VOUCHER!", Some(9));
        resolved(&s, 5, "delivery", "Refunded shipping", Some(10));
        resolved(&s, 6, "delivery", "Said sorry", None);
        resolved(&s, 7, "delivery", "said sorry", Some(2));
        resolved(&s, 8, "price", "Price match", Some(9));
        assert_eq!(
            entries(&s, "delivery", None),
            [
                ("10 € VOUCHER!".to_string(), 4, 3),
                ("Refunded shipping".to_string(), 1, 1),
                ("said sorry".to_string(), 2, 0),
            ],
            "grouped ignoring case and punctuation, the latest wording shown, best first"
        );
        assert_eq!(entries(&s, "price", Some("s_demo")).len(), 1);
        assert!(entries(&s, "price", Some("s_other")).is_empty());
        assert!(entries(&s, "website", None).is_empty());
        let top = run(s.playbook("delivery", None, 1)).unwrap();
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].win_back_rate, 0.75);
    }

    #[test]
    fn only_resolved_cases_with_a_solution_count_and_a_saved_case_keeps_both() {
        let s = three_cases();
        let mut c = run(s.get_case("c_1")).unwrap().unwrap();
        let seen = c.view.updated_at.clone();
        c.view.cause = Some("delivery".into());
        c.view.solution = Some("New parcel sent".into());
        c.view.updated_at = "2026-11-01T11:00:00.000Z".into();
        assert!(run(s.update_case(&c, &seen)).unwrap());
        assert!(entries(&s, "delivery", None).is_empty(), "not resolved yet");
        let stored = run(s.get_case("c_1")).unwrap().unwrap();
        assert_eq!(stored.view.cause.as_deref(), Some("delivery"));
        assert_eq!(stored.view.solution.as_deref(), Some("New parcel sent"));
        let seen = stored.view.updated_at.clone();
        let mut c = stored;
        c.view.status = CaseStatus::Resolved;
        c.view.updated_at = "2026-11-01T12:00:00.000Z".into();
        assert!(run(s.update_case(&c, &seen)).unwrap());
        assert_eq!(
            entries(&s, "delivery", None),
            [("New parcel sent".to_string(), 1, 0)]
        );
        let listed = run(s.list_cases(&CaseFilter::default(), None, 10)).unwrap();
        assert_eq!(listed[2].view.cause.as_deref(), Some("delivery"));
    }

    #[test]
    fn the_playbook_reads_a_cause_s_solutions_through_its_index() {
        let s = with_survey();
        #[derive(serde::Deserialize)]
        struct Plan {
            detail: String,
        }
        let sql = "EXPLAIN QUERY PLAN SELECT solution, MAX(id) AS latest, COUNT(*) AS used \
                   FROM cases WHERE cause = 'delivery' AND solution_key IS NOT NULL \
                   AND status = 'resolved' AND (NULL IS NULL OR survey_id = NULL) GROUP BY solution_key";
        let plan: Vec<Plan> = s.db().select(sql);
        let text: Vec<&str> = plan.iter().map(|p| p.detail.as_str()).collect();
        assert!(
            text.iter().any(|d| d.contains("cases_by_cause_solution")),
            "{text:?}"
        );
        assert!(
            !text.iter().any(|d| d.contains("TEMP B-TREE")),
            "the grouping sorts: {text:?}"
        );
    }
}
