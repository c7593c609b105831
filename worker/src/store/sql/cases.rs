//! `cases`: detractor cases, read together with the answer that opened each (its
//! comment and respondent as they are now), saved under optimistic locking.

use super::{SqlStore, all_rows, email_key, first_row};
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{CaseFilter, CaseStore, StoreError, StoreResult, StoredCase, SurveyCache};
use nps_shared::Score;
use nps_shared::api::Respondent;
use nps_shared::case::{CaseStatus, CaseView, win_back};
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
            },
            respondent: kept,
        })
    }
}

const CASE_COLUMNS: &str = "id, survey_id, response_id, score, status, owner, due_at, respondent_id, \
     respondent_email, reasked_score, timeline, created_at, updated_at, respondent_email_key";

/// Reads cases (`c`) with the comment and respondent of the answer that opened each
/// (`r`), in one query: the comment as it is now, also when it was added after the
/// case opened; once that answer is archived, the comment the case kept of it. Conditions after it name the case's columns as `c.…`.
pub(super) const CASE_SELECT: &str = "SELECT c.id AS id, c.survey_id AS survey_id, c.response_id AS response_id, \
     c.score AS score, c.status AS status, c.owner AS owner, c.due_at AS due_at, \
     c.respondent_id AS respondent_id, c.respondent_email AS respondent_email, \
     c.reasked_score AS reasked_score, c.timeline AS timeline, c.created_at AS created_at, \
     c.updated_at AS updated_at, r.id AS answer_id, COALESCE(r.comment, c.archived_comment) AS comment, \
     r.respondent_id AS answer_respondent_id, r.respondent_email AS answer_respondent_email \
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
                "UPDATE cases SET status = ?2, owner = ?3, reasked_score = ?4, timeline = ?5, updated_at = ?6 \
                 WHERE id = ?1 AND updated_at = ?7 RETURNING 1 AS done",
                v.id,
                v.status.as_str(),
                v.owner,
                v.reasked_score.map(|s| s.value()),
                serde_json::to_string(&v.timeline)?,
                v.updated_at,
                expected_updated_at,
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
}
