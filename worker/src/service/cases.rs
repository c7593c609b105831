//! Detractor cases: a low answer (at or under the survey's threshold) opens a case
//! with an owner from the survey's rules and a due time from its SLA; support works it
//! open → contacted → resolved (or reopens it), each change kept in the timeline and
//! announced as `case.updated`; when the customer answers again, the new score shows
//! on the case — did we win them back? Resolving names the root cause (one of the
//! survey's) and the solution offered; `GET /v1/cases/{id}` suggests a cause from the
//! comment and the playbook's best solutions for it, and `GET /v1/playbook` lists what
//! was offered for a cause with its win-back rate. The rules themselves are
//! `nps_shared::case` and `nps_shared::cause`.

use super::invitations;
use super::webhooks::{case_announcement, dispatch};
use super::{Done, ServiceError, new_id};
use crate::store::{CaseFilter, CaseStore, DeliveryQueue, Storage, StoreError, StoredCase};
use nps_shared::api::{EventType, Invitation, Page, ResponseView, SurveyView};
use nps_shared::case::{
    self, CaseError, CasePatch, CaseState, CaseStatus, CaseView, TimelineEntry, TimelineEvent,
};
use nps_shared::cause::{self, CASE_SUGGESTIONS, Cause, MAX_PLAYBOOK_ENTRIES, Playbook};
use nps_shared::invitation::Claims;
use nps_shared::time::{parse_rfc3339, rfc3339};

/// How often a write that lost an optimistic-lock race is tried again.
const WRITE_ATTEMPTS: usize = 3;

/// The case as of `now_ms`: `overdue` is never stored, always computed.
pub(crate) fn current(mut stored: StoredCase, now_ms: i64) -> CaseView {
    let due = parse_rfc3339(&stored.view.due_at).unwrap_or(i64::MAX);
    stored.view.overdue = case::is_overdue(stored.view.status, due, now_ms);
    stored.view
}

/// The case `response` opens if its score is at or under the survey's threshold, not
/// yet stored: it is stored together with the answer (`ResponseStore::insert_group`).
pub fn new_case(
    survey: &SurveyView,
    response: &ResponseView,
    now_ms: i64,
) -> Result<Option<StoredCase>, StoreError> {
    let settings = &survey.definition.cases;
    if !case::opens_case(settings, response.score) {
        return Ok(None);
    }
    let now = rfc3339(now_ms);
    let stored = StoredCase {
        view: CaseView {
            id: new_id("c_", now_ms)?,
            survey_id: survey.id.clone(),
            response_id: response.id.clone(),
            score: response.score,
            status: CaseStatus::Open,
            owner: case::assign_owner(settings, &response.properties),
            due_at: rfc3339(case::due_at(now_ms, settings)),
            overdue: false,
            created_at: now.clone(),
            updated_at: now.clone(),
            timeline: vec![TimelineEntry::new(
                now,
                None,
                TimelineEvent::Opened {
                    score: response.score,
                },
            )],
            reasked_score: None,
            win_back: None,
            // As the answer has them now; storage reads them from the answer from then
            // on, so a comment added later shows too.
            comment: response.comment.clone(),
            respondent: response.respondent.clone(),
            cause: None,
            solution: None,
            suggested_cause: None,
            suggestions: Vec::new(),
        },
        respondent: response.respondent.clone(),
    };
    Ok(Some(stored))
}

/// Whether `case` is one of the customer's cases that `response` shows on: theirs by
/// who they are, or the one a re-ask invitation names (`linked_case`).
pub fn is_theirs(case: &StoredCase, response: &ResponseView, linked_case: Option<&str>) -> bool {
    let r = &response.respondent;
    let c = &case.respondent;
    let by_id = r.id.is_some() && c.id == r.id;
    let by_email = match (&r.email, &c.email) {
        (Some(a), Some(b)) => {
            nps_shared::validate::normalize_email(a) == nps_shared::validate::normalize_email(b)
        }
        _ => false,
    };
    case.view.survey_id == response.survey_id
        && (by_id || by_email || linked_case == Some(case.view.id.as_str()))
}

/// The most recent cases of a customer a later answer shows on: each is a write (and,
/// at the caller, an announcement), so a customer with thousands of cases costs what
/// one with a few does.
pub const REANSWERED_CASES: usize = 5;

/// A later answer from a customer who has cases in this survey shows on each of them
/// (`theirs`: read for a whole group of answers in one query,
/// `CaseStore::cases_of_respondents`, and picked by [`is_theirs`]) — on their
/// [`REANSWERED_CASES`] most recent. Returns the cases it changed.
pub async fn reanswer(
    cases: &impl CaseStore,
    theirs: Vec<StoredCase>,
    response: &ResponseView,
    now_ms: i64,
) -> Result<Vec<CaseView>, StoreError> {
    let mut theirs: Vec<StoredCase> = theirs
        .into_iter()
        .filter(|c| c.view.response_id != response.id && c.view.created_at <= response.created_at)
        .collect();
    // Ids are time-ordered: the newest last.
    theirs.sort_by(|a, b| a.view.id.cmp(&b.view.id));
    let skip = theirs.len().saturating_sub(REANSWERED_CASES);
    let mut changed = Vec::new();
    for found in theirs.into_iter().skip(skip) {
        let id = found.view.id.clone();
        let saved = save_with_retry(cases, found, now_ms, |c| {
            c.view.reasked_score = Some(response.score);
            c.view.win_back = Some(case::win_back(c.view.score, response.score));
            c.view.timeline.push(TimelineEntry::new(
                rfc3339(now_ms),
                None,
                TimelineEvent::AnsweredAgain {
                    score: response.score,
                },
            ));
            Ok(true)
        })
        .await;
        match saved {
            Ok(Some(case)) => changed.push(case),
            Ok(None) => {}
            Err(SaveError::Store(e)) => return Err(e),
            Err(SaveError::Rule(e)) => return Err(StoreError(format!("case {id}: {e}"))),
            Err(SaveError::Lost) => {
                return Err(StoreError(format!(
                    "case {id} kept changing; the new score is not on it"
                )));
            }
        }
    }
    Ok(changed)
}

enum SaveError {
    Store(StoreError),
    Rule(CaseError),
    /// Others kept writing the case; gave up after [`WRITE_ATTEMPTS`].
    Lost,
}

/// Applies `change` and saves with optimistic locking, re-reading and re-applying
/// when someone else wrote the case in between. `change` says whether it changed
/// anything; `Ok(None)` when it did not.
async fn save_with_retry(
    cases: &impl CaseStore,
    mut stored: StoredCase,
    now_ms: i64,
    change: impl Fn(&mut StoredCase) -> Result<bool, CaseError>,
) -> Result<Option<CaseView>, SaveError> {
    for _ in 0..WRITE_ATTEMPTS {
        let before = stored.view.updated_at.clone();
        if !change(&mut stored).map_err(SaveError::Rule)? {
            return Ok(None);
        }
        stored.view.updated_at = rfc3339(now_ms);
        if stored.view.updated_at == before {
            // Same millisecond as the last write: keep the lock token distinct.
            stored.view.updated_at = rfc3339(now_ms + 1);
        }
        if cases
            .update_case(&stored, &before)
            .await
            .map_err(SaveError::Store)?
        {
            return Ok(Some(current(stored, now_ms)));
        }
        let id = stored.view.id.clone();
        stored = cases
            .get_case(&id)
            .await
            .map_err(SaveError::Store)?
            .ok_or_else(|| SaveError::Store(StoreError(format!("case {id} vanished"))))?;
    }
    Err(SaveError::Lost)
}

/// Queues `case.opened` / `case.updated` for the endpoints that want it. The answer
/// that opened the case travels with it; it is read when not at hand.
pub async fn announce(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    event_type: EventType,
    survey: &SurveyView,
    case: &CaseView,
    response: Option<&ResponseView>,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let fetched;
    let response = match response {
        Some(r) => r,
        None => {
            fetched = store
                .get_response(&case.response_id)
                .await?
                .ok_or_else(|| StoreError(format!("case {}: its response is gone", case.id)))?;
            &fetched.view
        }
    };
    let announcement = case_announcement(event_type, survey, case, response, now_ms)?;
    dispatch(store, queue, &announcement, now_ms).await
}

/// The stored case, or the 404 that says there is none.
async fn load(cases: &impl CaseStore, id: &str) -> Result<StoredCase, ServiceError> {
    cases
        .get_case(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("case {id}")))
}

/// The causes a case of `survey` is resolved with.
fn causes_of(survey: &SurveyView) -> Vec<Cause> {
    survey
        .definition
        .cases
        .causes_for(&survey.definition.default_locale)
}

/// The cause the case's comment suggests among `causes`.
fn suggested_cause(causes: &[Cause], case: &CaseView) -> Option<String> {
    let comment = case.comment.as_deref()?;
    cause::suggest(causes, comment).map(|c| c.key.clone())
}

/// `GET /v1/cases/{id}`: the case with the cause its comment suggests and the
/// [`CASE_SUGGESTIONS`] best solutions of its survey's playbook for its cause (the
/// suggested one while it has none): causes are a survey's own, so another survey's
/// `delivery` teaches nothing here. Three queries: the case, its survey, the playbook.
pub async fn get(store: &impl Storage, id: &str, now_ms: i64) -> Result<CaseView, ServiceError> {
    let mut case = current(load(store, id).await?, now_ms);
    if let Some(survey) = store.get_survey(&case.survey_id).await? {
        case.suggested_cause = suggested_cause(&causes_of(&survey), &case);
    }
    if let Some(key) = case.cause.clone().or_else(|| case.suggested_cause.clone()) {
        case.suggestions = store
            .playbook(&key, Some(&case.survey_id), CASE_SUGGESTIONS as u32)
            .await?;
    }
    Ok(case)
}

/// `GET /v1/playbook?cause=&survey_id=`: what was offered for a cause in resolved
/// cases (of one survey, or of all), grouped by the solution's normalised text, with
/// how often it won the customer back, best first. One query.
pub async fn playbook(
    cases: &impl CaseStore,
    cause: Option<&str>,
    survey_id: Option<&str>,
) -> Result<Playbook, ServiceError> {
    let cause = cause
        .filter(|c| cause::is_cause_key(c))
        .ok_or_else(|| ServiceError::invalid("cause", "must be a cause key, like delivery"))?;
    let entries = cases
        .playbook(cause, survey_id, MAX_PLAYBOOK_ENTRIES)
        .await?;
    Ok(Playbook {
        cause: cause.to_string(),
        survey_id: survey_id.map(str::to_string),
        entries,
    })
}

/// `GET /v1/cases?status=&owner=&survey_id=&cursor=&limit=`: newest first.
pub async fn list(
    cases: &impl CaseStore,
    status: Option<&str>,
    owner: Option<&str>,
    survey_id: Option<&str>,
    cursor: Option<&str>,
    limit: Option<&str>,
    now_ms: i64,
) -> Result<Page<CaseView>, ServiceError> {
    let status = status
        .map(|s| {
            CaseStatus::parse(s).ok_or_else(|| {
                ServiceError::invalid("status", "must be open, contacted or resolved")
            })
        })
        .transpose()?;
    let limit = super::page::parse_limit(limit)?;
    if cursor.is_some_and(|c| !nps_shared::ids::is_id("c_", c)) {
        return Err(ServiceError::invalid(
            "cursor",
            "must be a next_cursor from an earlier page",
        ));
    }
    let filter = CaseFilter {
        status,
        owner: owner.map(str::to_string),
        survey_id: survey_id.map(str::to_string),
    };
    let mut items: Vec<CaseView> = cases
        .list_cases(&filter, cursor, limit + 1)
        .await?
        .into_iter()
        .map(|c| current(c, now_ms))
        .collect();
    let next_cursor = super::page::cut(&mut items, limit, |c| c.id.clone());
    Ok(Page { items, next_cursor })
}

/// `PATCH /v1/cases/{id}`: a status change, a new owner, a note, the root cause
/// (one of the survey's; required to resolve) and/or the solution offered, each
/// written to the timeline and announced as `case.updated`.
pub async fn update(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    id: &str,
    patch: CasePatch,
    actor: Option<&str>,
    now_ms: i64,
) -> Result<Done<CaseView>, ServiceError> {
    let stored = load(store, id).await?;
    let survey = store
        .get_survey(&stored.view.survey_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("survey {}", stored.view.survey_id)))?;
    let causes = causes_of(&survey);
    let mut unchanged = current(stored.clone(), now_ms);
    unchanged.suggested_cause = suggested_cause(&causes, &unchanged);
    let saved = save_with_retry(store, stored, now_ms, |c| {
        let state = CaseState {
            status: c.view.status,
            owner: c.view.owner.clone(),
            cause: c.view.cause.clone(),
            solution: c.view.solution.clone(),
        };
        let (next, entries) = case::apply_patch(&state, &patch, &causes, actor, &rfc3339(now_ms))?;
        c.view.status = next.status;
        c.view.owner = next.owner;
        c.view.cause = next.cause;
        c.view.solution = next.solution;
        let changed = !entries.is_empty();
        c.view.timeline.extend(entries);
        Ok(changed)
    })
    .await;
    let mut case = match saved {
        Ok(Some(case)) => case,
        Ok(None) => return Ok(Done::new(unchanged)),
        Err(SaveError::Store(e)) => return Err(e.into()),
        Err(SaveError::Rule(e)) if e.is_conflict() => {
            return Err(ServiceError::Conflict(e.to_string()));
        }
        Err(SaveError::Rule(e)) => return Err(ServiceError::invalid(e.field(), &e.to_string())),
        Err(SaveError::Lost) => {
            return Err(ServiceError::Conflict(
                "the case is being changed by someone else; try again".into(),
            ));
        }
    };
    let announced = announce(
        store,
        queue,
        EventType::CaseUpdated,
        &survey,
        &case,
        None,
        now_ms,
    )
    .await;
    case.suggested_cause = suggested_cause(&causes, &case);
    Ok(Done::new(case).unless(announced))
}

/// `POST /v1/cases/{id}/reask`: after a case is resolved, ask the customer again
/// with an invitation linked to the case; their answer shows on it as `reasked_score`
/// and `win_back`.
pub async fn reask(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    id: &str,
    actor: Option<&str>,
    secret: &[u8],
    base_url: &str,
    now_ms: i64,
) -> Result<Done<Invitation>, ServiceError> {
    let stored = load(store, id).await?;
    if stored.view.status != CaseStatus::Resolved {
        return Err(ServiceError::Conflict(format!(
            "case {id} is {}; resolve it before asking the customer again",
            stored.view.status
        )));
    }
    let survey = store
        .get_survey(&stored.view.survey_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("survey {}", stored.view.survey_id)))?;
    let opening = store
        .get_response(&stored.view.response_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("response {}", stored.view.response_id)))?;
    let claims = Claims {
        invitation_id: new_id("inv_", now_ms)?,
        survey_id: survey.id.clone(),
        order_id: None,
        respondent: stored.respondent.clone(),
        properties: opening.view.properties.clone(),
        case_id: Some(id.to_string()),
        expires_at: now_ms / 1000 + i64::from(invitations::DEFAULT_DAYS) * 86_400,
    };
    let invitation = invitations::issue(
        &survey,
        &claims,
        opening.view.locale.as_deref(),
        secret,
        base_url,
    )?;
    // Kept like every invitation: an erase finds it, and its link works while it is.
    store
        .insert_invitation(&invitation, &claims, &rfc3339(now_ms))
        .await?;
    let saved = save_with_retry(store, stored, now_ms, |c| {
        c.view.timeline.push(TimelineEntry::new(
            rfc3339(now_ms),
            actor,
            TimelineEvent::Reasked,
        ));
        Ok(true)
    })
    .await;
    let case = match saved {
        Ok(Some(case)) => case,
        Ok(None) | Err(SaveError::Lost) | Err(SaveError::Rule(_)) => {
            return Err(ServiceError::Conflict(
                "the case is being changed by someone else; try again".into(),
            ));
        }
        Err(SaveError::Store(e)) => return Err(e.into()),
    };
    let announced = announce(
        store,
        queue,
        EventType::CaseUpdated,
        &survey,
        &case,
        Some(&opening.view),
        now_ms,
    )
    .await;
    Ok(Done::new(invitation).unless(announced))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::{self, demo_survey};
    use crate::service::webhooks;
    use crate::store::testing::TestStore;
    use nps_shared::api::CreateWebhook;
    use nps_shared::case::{Note, Owner, WinBack};
    use pollster::block_on;
    use serde_json::json;

    /// The kinds of a case's timeline entries, in order, as the wire names them.
    fn timeline_kinds(case: &CaseView) -> Vec<String> {
        case.timeline
            .iter()
            .map(|e| {
                serde_json::to_value(e).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    const NOW: i64 = 1_764_000_000_000;
    const HOUR: i64 = 3_600_000;

    fn demo_store() -> TestStore {
        let m = TestStore::default();
        let mut survey = demo_survey();
        survey.definition.cases = serde_json::from_value(json!({
            "threshold": 6, "sla_hours": 24, "default_owner": "support@shop.example",
            "owner_rules": [{"property": "store", "equals": "berlin", "owner": "anna@shop.example"}]
        }))
        .unwrap();
        // Customers answer again in these tests; the per-person throttle would refuse it.
        survey.definition.throttle.days = 0;
        m.add_survey(survey);
        m
    }

    fn answer(m: &TestStore, score: u8, store: &str, customer: &str, at: i64) -> String {
        let body = json!({"survey_id": "s_demo", "score": score, "properties": {"store": store},
                          "respondent": {"id": customer}});
        fixtures::answer(m, &body, at).id
    }

    /// `n` detractor answers of `n` customers, each with its open case (stored as
    /// `responses::submit` stores them), and 3 endpoints that want `case.updated`.
    fn many_cases(n: usize) -> TestStore {
        use crate::store::sql::testing::{answer, case};
        use crate::store::{Companions, ResponseStore as _};
        let m = demo_store();
        for i in 0..3 {
            let hook: CreateWebhook = serde_json::from_value(json!({
                "url": format!("https://hooks.example/{i}"), "events": ["case.updated"]
            }))
            .unwrap();
            webhooks::create_for_test(&m, hook);
        }
        for i in 0..n {
            let mut r = answer(&format!("r_{i:05}"), 2, &rfc3339(NOW + i as i64 * 1000));
            r.view.respondent.id = Some(format!("cust-{i}"));
            let with = Companions {
                case: Some(case(&format!("c_{i:05}"), &r, None)),
                deliveries: Vec::new(),
            };
            block_on(m.insert_group(&[(r, with)])).unwrap();
            m.reset_queries();
        }
        m
    }

    #[test]
    fn a_later_answer_of_a_customer_with_three_hundred_cases_shows_on_the_most_recent_few() {
        use crate::store::sql::testing::{answer, case};
        use crate::store::{Companions, ResponseStore as _};
        let measure = |n: usize| {
            let m = demo_store();
            for i in 0..n {
                let mut r = answer(&format!("r_{i:05}"), 2, &rfc3339(NOW + i as i64 * 1000));
                r.view.respondent.id = Some("cust-1".into());
                let with = Companions {
                    case: Some(case(&format!("c_{i:05}"), &r, None)),
                    deliveries: Vec::new(),
                };
                block_on(m.insert_group(&[(r, with)])).unwrap();
                m.reset_queries();
            }
            let mut later = answer("r_later", 9, &rfc3339(NOW + HOUR)).view;
            later.respondent.id = Some("cust-1".into());
            let who = vec![("s_demo".to_string(), later.respondent.clone())];
            let theirs = block_on(m.cases_of_respondents(&who, &[])).unwrap();
            let changed = block_on(reanswer(&m, theirs, &later, NOW + HOUR)).unwrap();
            let ids: Vec<String> = changed.iter().map(|c| c.id.clone()).collect();
            let newest: Vec<String> = (n - REANSWERED_CASES..n)
                .map(|i| format!("c_{i:05}"))
                .collect();
            assert_eq!(ids, newest);
            m.queries()
        };
        let small = measure(30);
        assert_eq!(
            small,
            1 + REANSWERED_CASES as u32,
            "the read, a write per case"
        );
        assert_eq!(measure(300), small);
    }

    #[test]
    fn listing_reading_changing_and_reasking_a_case_cost_the_same_among_five_thousand_cases() {
        use crate::store::metered::FREE_PLAN_QUERIES;
        let measure = |n: usize| {
            let m = many_cases(n);
            let mut costs = Vec::new();
            let mut cost = |m: &TestStore| {
                costs.push(m.queries());
                m.reset_queries();
            };
            m.reset_queries();
            let page = block_on(list(
                &m,
                Some("open"),
                None,
                Some("s_demo"),
                None,
                Some("200"),
                NOW,
            ))
            .unwrap();
            assert_eq!(page.items.len(), 200);
            cost(&m);
            block_on(get(&m, "c_00007", NOW)).unwrap();
            cost(&m);
            resolve(&m, "c_00007", NOW + HOUR);
            cost(&m);
            let reasked = block_on(reask(
                &m,
                &m,
                "c_00007",
                None,
                b"secret",
                "https://nps.example",
                NOW + 2 * HOUR,
            ))
            .unwrap();
            assert!(reasked.failed_follow_ups.is_empty());
            cost(&m);
            costs
        };
        let small = measure(500);
        // List; get: the case and its survey (no comment, so no cause to look up in
        // the playbook); a change: read, its survey, write, answer and endpoints, the
        // deliveries; a re-ask also stores its invitation.
        assert_eq!(small, [1, 2, 6, 7]);
        assert_eq!(measure(5_000), small);
        assert!(small.iter().all(|&q| q <= FREE_PLAN_QUERIES), "{small:?}");
    }

    fn patch(value: serde_json::Value) -> CasePatch {
        serde_json::from_value(value).unwrap()
    }

    /// Support resolves case `id` at `at`.
    fn resolve(m: &TestStore, id: &str, at: i64) {
        block_on(update(
            m,
            m,
            id,
            patch(json!({"status": "resolved", "cause": "delivery"})),
            None,
            at,
        ))
        .unwrap();
    }

    #[test]
    fn a_detractor_opens_a_case_owned_by_the_matching_rule_and_due_by_the_sla() {
        let m = demo_store();
        let response_id = answer(&m, 3, "berlin", "cust-1", NOW);
        let cases = m.cases();
        assert_eq!(cases.len(), 1);
        let c = &cases[0].view;
        assert_eq!(c.response_id, response_id);
        assert_eq!(c.owner.as_deref(), Some("anna@shop.example"));
        assert_eq!(c.due_at, rfc3339(NOW + 24 * HOUR));
        assert_eq!(c.status, CaseStatus::Open);
        assert!(matches!(c.timeline[0].event, TimelineEvent::Opened { .. }));
    }

    #[test]
    fn passives_and_promoters_open_no_case_and_other_stores_get_the_default_owner() {
        let m = demo_store();
        answer(&m, 7, "berlin", "cust-1", NOW);
        answer(&m, 10, "berlin", "cust-2", NOW);
        assert!(m.cases().is_empty());
        answer(&m, 0, "munich", "cust-3", NOW);
        assert_eq!(
            m.cases()[0].view.owner.as_deref(),
            Some("support@shop.example")
        );
    }

    #[test]
    fn the_response_webhook_names_the_case_and_case_opened_is_announced() {
        let m = demo_store();
        let hook: CreateWebhook = serde_json::from_value(json!({
            "url": "https://h.example/x", "events": ["response.created", "case.opened", "case.updated"]
        }))
        .unwrap();
        block_on(webhooks::create(&m, hook, false, NOW)).unwrap();
        answer(&m, 2, "berlin", "cust-1", NOW);
        let case_id = m.cases()[0].view.id.clone();
        let bodies: Vec<serde_json::Value> = m
            .deliveries()
            .iter()
            .map(|d| serde_json::from_str(&d.payload).unwrap())
            .collect();
        assert_eq!(bodies.len(), 2);
        assert_eq!(bodies[0]["type"], "response.created");
        assert_eq!(bodies[0]["data"]["case_id"], case_id.as_str());
        assert_eq!(bodies[1]["type"], "case.opened");
        assert_eq!(bodies[1]["data"]["owner"], "anna@shop.example");
        assert_eq!(bodies[1]["data"]["response"]["score"], 2);
    }

    #[test]
    fn the_comment_event_names_the_case_the_answer_opened() {
        let m = demo_store();
        let hook: CreateWebhook = serde_json::from_value(
            json!({"url": "https://h.example/x", "events": ["response.updated"]}),
        )
        .unwrap();
        block_on(webhooks::create(&m, hook, false, NOW)).unwrap();
        let body = json!({"survey_id": "s_demo", "score": 1, "respondent": {"id": "c9"}});
        let created = fixtures::answer(&m, &body, NOW);
        fixtures::comment(&m, &created, "Still waiting", NOW + 1);
        let case_id = m.cases()[0].view.id.clone();
        let event: serde_json::Value = serde_json::from_str(&m.deliveries()[0].payload).unwrap();
        assert_eq!(event["type"], "response.updated");
        assert_eq!(event["data"]["case_id"], case_id.as_str());
        assert_eq!(event["data"]["comment"], "Still waiting");
    }

    #[test]
    fn a_case_shows_its_customer_and_the_comment_added_after_it_opened() {
        let m = demo_store();
        let hook: CreateWebhook = serde_json::from_value(
            json!({"url": "https://h.example/x", "events": ["case.opened", "case.updated"]}),
        )
        .unwrap();
        block_on(webhooks::create(&m, hook, false, NOW)).unwrap();
        let body = json!({"survey_id": "s_demo", "score": 2,
                          "respondent": {"id": "cust-7", "email": "kim@example.com"}});
        let created = fixtures::answer(&m, &body, NOW);
        let id = m.cases()[0].view.id.clone();
        let before = block_on(get(&m, &id, NOW)).unwrap();
        assert_eq!(
            before.comment, None,
            "the score came first, without a comment"
        );
        // The page's user_hash verified the id; the e-mail beside it stays a claim,
        // kept with the answer, not on the case.
        assert_eq!(before.respondent.id.as_deref(), Some("cust-7"));
        assert_eq!(before.respondent.email, None);
        assert_eq!(
            m.responses()[0].view.properties["claimed_email"],
            "kim@example.com"
        );

        fixtures::comment(&m, &created, "Still <b>waiting</b>", NOW + 1);
        let after = block_on(get(&m, &id, NOW + 2)).unwrap();
        assert_eq!(after.comment.as_deref(), Some("Still <b>waiting</b>"));
        assert_eq!(after.respondent, before.respondent);
        let listed = block_on(list(&m, None, None, Some("s_demo"), None, None, NOW + 2)).unwrap();
        assert_eq!(listed.items, vec![after.clone()], "the list reads the same");

        let worked = block_on(update(
            &m,
            &m,
            &id,
            patch(json!({"status": "contacted"})),
            Some("anna"),
            NOW + 3,
        ))
        .unwrap()
        .value;
        assert_eq!(worked.comment.as_deref(), Some("Still <b>waiting</b>"));
        let events: Vec<serde_json::Value> = m
            .deliveries()
            .iter()
            .map(|d| serde_json::from_str(&d.payload).unwrap())
            .collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["type"], "case.opened");
        assert!(
            events[0]["data"].get("comment").is_none(),
            "case.opened went out with the answer, before its comment"
        );
        assert_eq!(events[0]["data"]["respondent"]["id"], "cust-7");
        assert_eq!(events[1]["type"], "case.updated");
        assert_eq!(events[1]["data"]["comment"], "Still <b>waiting</b>");
        assert_eq!(events[1]["data"]["respondent"]["id"], "cust-7");
        assert_eq!(
            events[1]["data"]["response"]["comment"],
            "Still <b>waiting</b>"
        );
    }

    #[test]
    fn a_resolved_case_is_re_asked_with_a_kept_invitation_whose_answer_shows_on_the_case() {
        const SECRET: &[u8] = b"test secret";
        let m = demo_store();
        answer(&m, 2, "berlin", "cust-1", NOW);
        let id = m.cases()[0].view.id.clone();
        let early = block_on(reask(&m, &m, &id, None, SECRET, "https://nps.example", NOW));
        assert!(
            matches!(early, Err(ServiceError::Conflict(_))),
            "resolve first"
        );
        resolve(&m, &id, NOW + HOUR);
        let asked = block_on(reask(
            &m,
            &m,
            &id,
            Some("anna"),
            SECRET,
            "https://nps.example",
            NOW + 2 * HOUR,
        ))
        .unwrap();
        // Kept like every invitation: an erase finds it, and its link works while it is.
        use crate::store::InvitationStore;
        assert!(block_on(m.invitation_claims(&asked.id)).unwrap().is_some());
        let body =
            json!({"survey_id": "s_demo", "score": 9, "token": asked.token, "channel": "link"});
        let submission = crate::service::responses::Submission {
            invitation_secret: Some(SECRET),
            ..crate::service::responses::Submission::new(&body)
        };
        block_on(crate::service::responses::submit(
            &m,
            &m,
            &submission,
            NOW + 3 * HOUR,
        ))
        .unwrap();
        let c = block_on(get(&m, &id, NOW + 3 * HOUR)).unwrap();
        assert_eq!(c.reasked_score.map(|s| s.value()), Some(9));
        assert!(
            c.timeline
                .iter()
                .any(|e| matches!(e.event, TimelineEvent::Reasked))
        );
    }

    #[test]
    fn an_anonymous_answer_with_its_comment_opens_a_case_that_carries_both() {
        let m = demo_store();
        let body = json!({"survey_id": "s_demo", "score": 0, "comment": "Never again"});
        fixtures::answer(&m, &body, NOW);
        let id = m.cases()[0].view.id.clone();
        let c = block_on(get(&m, &id, NOW)).unwrap();
        assert_eq!(c.comment.as_deref(), Some("Never again"));
        assert!(c.respondent.is_empty());
        let wire = serde_json::to_value(&c).unwrap();
        assert!(wire.get("respondent").is_none(), "nobody to name: left out");
    }

    #[test]
    fn the_openapi_case_schema_names_every_field_a_case_has_and_requires_only_the_old_ones() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../public/openapi.json")).unwrap();
        let schema = &doc["components"]["schemas"]["Case"];
        let m = demo_store();
        let body = json!({"survey_id": "s_demo", "score": 1, "comment": "Late",
                          "respondent": {"id": "cust-1", "email": "kim@example.com"}});
        fixtures::answer(&m, &body, NOW);
        let id = m.cases()[0].view.id.clone();
        let full = serde_json::to_value(block_on(get(&m, &id, NOW)).unwrap()).unwrap();
        let documented = schema["properties"].as_object().unwrap();
        for key in full.as_object().unwrap().keys() {
            assert!(
                documented.contains_key(key),
                "{key} is not in the Case schema"
            );
        }
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert!(!required.contains(&"comment") && !required.contains(&"respondent"));
        assert_eq!(
            documented["respondent"]["$ref"],
            "#/components/schemas/Respondent"
        );
    }

    #[test]
    fn support_works_a_case_through_its_statuses_and_every_step_is_on_the_timeline() {
        let m = demo_store();
        answer(&m, 4, "berlin", "cust-1", NOW);
        let id = m.cases()[0].view.id.clone();
        let run = |p: serde_json::Value, at: i64| {
            block_on(update(&m, &m, &id, patch(p), Some("anna"), at))
        };

        let c = run(
            json!({"status": "contacted", "note": "Called, sending a new box"}),
            NOW + HOUR,
        )
        .unwrap()
        .value;
        assert_eq!(c.status, CaseStatus::Contacted);
        let c = run(
            json!({"status": "resolved", "owner": "ben@shop.example", "cause": "product"}),
            NOW + 2 * HOUR,
        )
        .unwrap()
        .value;
        assert_eq!(c.status, CaseStatus::Resolved);
        assert_eq!(c.owner.as_deref(), Some("ben@shop.example"));
        assert!(matches!(
            run(json!({"status": "contacted"}), NOW + 3 * HOUR),
            Err(ServiceError::Conflict(_))
        ));
        let c = run(json!({"status": "open"}), NOW + 4 * HOUR)
            .unwrap()
            .value;
        assert_eq!(
            c.status,
            CaseStatus::Open,
            "a resolved case can be reopened"
        );
        let kinds = timeline_kinds(&c);
        assert_eq!(
            kinds,
            [
                "opened",
                "status_changed",
                "note",
                "status_changed",
                "owner_changed",
                "cause_set",
                "status_changed"
            ]
        );
        assert!(
            c.timeline[1..]
                .iter()
                .all(|e| e.actor.as_deref() == Some("anna"))
        );
    }

    #[test]
    fn a_case_is_overdue_after_its_sla_until_resolved() {
        let m = demo_store();
        answer(&m, 1, "berlin", "cust-1", NOW);
        let id = m.cases()[0].view.id.clone();
        assert!(!block_on(get(&m, &id, NOW + 24 * HOUR)).unwrap().overdue);
        assert!(block_on(get(&m, &id, NOW + 25 * HOUR)).unwrap().overdue);
        resolve(&m, &id, NOW + 26 * HOUR);
        assert!(!block_on(get(&m, &id, NOW + 27 * HOUR)).unwrap().overdue);
    }

    #[test]
    fn the_customers_next_answer_shows_whether_we_won_them_back() {
        let m = demo_store();
        answer(&m, 3, "berlin", "cust-1", NOW);
        let id = m.cases()[0].view.id.clone();
        resolve(&m, &id, NOW + HOUR);
        answer(&m, 9, "berlin", "cust-1", NOW + 48 * HOUR);
        let c = block_on(get(&m, &id, NOW + 49 * HOUR)).unwrap();
        assert_eq!(c.reasked_score.map(|s| s.value()), Some(9));
        assert_eq!(c.win_back, Some(WinBack::WonBack));
        assert!(matches!(
            c.timeline.last().unwrap().event,
            TimelineEvent::AnsweredAgain { .. }
        ));
        assert_eq!(m.cases().len(), 1, "a promoter opens no new case");
        answer(&m, 10, "berlin", "someone-else", NOW + 50 * HOUR);
        assert_eq!(
            block_on(get(&m, &id, NOW + 51 * HOUR))
                .unwrap()
                .reasked_score
                .map(|s| s.value()),
            Some(9)
        );
    }

    #[test]
    fn lists_filter_by_status_and_owner() {
        let m = demo_store();
        answer(&m, 3, "berlin", "a", NOW);
        answer(&m, 2, "munich", "b", NOW + 1);
        answer(&m, 1, "berlin", "c", NOW + 2);
        let anna = block_on(list(
            &m,
            Some("open"),
            Some("anna@shop.example"),
            None,
            None,
            None,
            NOW + 3,
        ))
        .unwrap();
        assert_eq!(anna.items.len(), 2);
        assert!(anna.items[0].id > anna.items[1].id, "newest first");
        assert!(matches!(
            block_on(list(&m, Some("closed"), None, None, None, None, NOW)),
            Err(ServiceError::Invalid(_))
        ));
    }

    #[test]
    fn an_empty_or_unchanged_patch_changes_nothing() {
        let m = demo_store();
        answer(&m, 3, "berlin", "a", NOW);
        let id = m.cases()[0].view.id.clone();
        let empty = CasePatch {
            status: None,
            owner: None,
            note: None,
            ..CasePatch::default()
        };
        assert!(matches!(
            block_on(update(&m, &m, &id, empty, None, NOW)),
            Err(ServiceError::Invalid(_))
        ));
        let same_owner = CasePatch {
            status: None,
            owner: Some(Some(Owner::parse("anna@shop.example").unwrap())),
            note: None,
            ..CasePatch::default()
        };
        let c = block_on(update(&m, &m, &id, same_owner, None, NOW + 5))
            .unwrap()
            .value;
        assert_eq!(c.timeline.len(), 1);
        let note = CasePatch {
            status: None,
            owner: None,
            note: Some(Note::parse("left a voicemail").unwrap()),
            ..CasePatch::default()
        };
        let c = block_on(update(&m, &m, &id, note, None, NOW + 6))
            .unwrap()
            .value;
        assert_eq!(c.timeline.len(), 2);
    }

    #[test]
    fn resolving_without_a_cause_or_with_one_the_survey_lacks_is_refused_naming_cause() {
        let m = demo_store();
        answer(&m, 2, "berlin", "cust-1", NOW);
        let id = m.cases()[0].view.id.clone();
        for body in [
            json!({"status": "resolved"}),
            json!({"status": "resolved", "cause": "weather"}),
        ] {
            match block_on(update(&m, &m, &id, patch(body.clone()), None, NOW)) {
                Err(ServiceError::Invalid(errors)) => {
                    assert_eq!(errors[0].field, "cause", "{body}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        assert_eq!(m.cases()[0].view.status, CaseStatus::Open, "nothing saved");
    }

    #[test]
    fn a_resolved_solution_is_suggested_on_the_next_case_with_the_same_cause() {
        let m = demo_store();
        let hook: CreateWebhook = serde_json::from_value(
            json!({"url": "https://h.example/x", "events": ["case.updated"]}),
        )
        .unwrap();
        block_on(webhooks::create(&m, hook, false, NOW)).unwrap();
        let late = json!({"survey_id": "s_demo", "score": 2, "comment": "The parcel came a week late",
                          "respondent": {"id": "cust-1"}});
        fixtures::answer(&m, &late, NOW);
        let first = m.cases()[0].view.id.clone();
        let seen = block_on(get(&m, &first, NOW)).unwrap();
        assert_eq!(seen.suggested_cause.as_deref(), Some("delivery"));
        assert!(seen.suggestions.is_empty(), "nothing learnt yet");

        let resolved = block_on(update(
            &m,
            &m,
            &first,
            patch(json!({"status": "resolved", "cause": "delivery",
                         "solution": "Refunded the shipping and sent a voucher"})),
            Some("anna"),
            NOW + HOUR,
        ))
        .unwrap()
        .value;
        assert_eq!(resolved.cause.as_deref(), Some("delivery"));
        let kinds = timeline_kinds(&resolved);
        assert_eq!(
            kinds,
            ["opened", "status_changed", "cause_set", "solution_set"]
        );
        let event: serde_json::Value = serde_json::from_str(&m.deliveries()[0].payload).unwrap();
        assert_eq!(event["type"], "case.updated");
        assert_eq!(event["data"]["cause"], "delivery");
        assert_eq!(
            event["data"]["solution"],
            "Refunded the shipping and sent a voucher"
        );
        // The customer comes back as a promoter: won back.
        answer(&m, 10, "berlin", "cust-1", NOW + 48 * HOUR);

        let german = json!({"survey_id": "s_demo", "score": 1, "comment": "Das Paket kam viel zu spät",
                            "respondent": {"id": "cust-2"}});
        fixtures::answer(&m, &german, NOW + 49 * HOUR);
        let next = m
            .cases()
            .into_iter()
            .map(|c| c.view.id)
            .find(|c| c != &first)
            .unwrap();
        let shown = block_on(get(&m, &next, NOW + 50 * HOUR)).unwrap();
        assert_eq!(shown.suggested_cause.as_deref(), Some("delivery"));
        assert_eq!(shown.suggestions.len(), 1);
        let s = &shown.suggestions[0];
        assert_eq!(s.solution, "Refunded the shipping and sent a voucher");
        assert_eq!((s.used, s.won_back), (1, 1));
        assert_eq!(s.win_back_rate, 1.0);

        let book = block_on(playbook(&m, Some("delivery"), Some("s_demo"))).unwrap();
        assert_eq!(book.entries, shown.suggestions);

        // Another survey's case of the same cause learnt nothing from this one.
        let mut other = demo_survey();
        other.id = "s_other".into();
        other.definition.throttle.days = 0;
        m.add_survey(other);
        let elsewhere = json!({"survey_id": "s_other", "score": 1, "comment": "The parcel never came",
                               "respondent": {"id": "cust-3"}});
        fixtures::answer(&m, &elsewhere, NOW + 51 * HOUR);
        let third = m
            .cases()
            .into_iter()
            .find(|c| c.view.survey_id == "s_other")
            .unwrap()
            .view
            .id;
        let shown = block_on(get(&m, &third, NOW + 52 * HOUR)).unwrap();
        assert_eq!(shown.suggested_cause.as_deref(), Some("delivery"));
        assert!(shown.suggestions.is_empty(), "{:?}", shown.suggestions);
        assert!(
            block_on(playbook(&m, Some("price"), None))
                .unwrap()
                .entries
                .is_empty()
        );
        for bad in [None, Some(""), Some("Delivery!")] {
            match block_on(playbook(&m, bad, None)) {
                Err(ServiceError::Invalid(errors)) => assert_eq!(errors[0].field, "cause"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_cause_and_solution_stay_changeable_after_resolving() {
        let m = demo_store();
        answer(&m, 2, "berlin", "cust-1", NOW);
        let id = m.cases()[0].view.id.clone();
        resolve(&m, &id, NOW + 1);
        let c = block_on(update(
            &m,
            &m,
            &id,
            patch(json!({"cause": "price", "solution": "Price match"})),
            None,
            NOW + 2,
        ))
        .unwrap()
        .value;
        assert_eq!(c.status, CaseStatus::Resolved);
        assert_eq!(
            (c.cause.as_deref(), c.solution.as_deref()),
            (Some("price"), Some("Price match"))
        );
        let book = block_on(playbook(&m, Some("price"), None)).unwrap();
        assert_eq!(book.entries[0].solution, "Price match");
    }

    #[test]
    fn a_survey_s_own_causes_replace_the_defaults() {
        let m = TestStore::default();
        let mut survey = demo_survey();
        survey.definition.cases = serde_json::from_value(json!({
            "causes": [{"key": "returns", "label": "Returns", "department": "Warehouse",
                        "keywords": ["refund", "return"]}]
        }))
        .unwrap();
        m.add_survey(survey);
        let body = json!({"survey_id": "s_demo", "score": 0, "comment": "Still no refund"});
        fixtures::answer(&m, &body, NOW);
        let id = m.cases()[0].view.id.clone();
        assert_eq!(
            block_on(get(&m, &id, NOW))
                .unwrap()
                .suggested_cause
                .as_deref(),
            Some("returns")
        );
        let refused = block_on(update(
            &m,
            &m,
            &id,
            patch(json!({"status": "resolved", "cause": "delivery"})),
            None,
            NOW,
        ));
        assert!(matches!(refused, Err(ServiceError::Invalid(_))));
        let done = block_on(update(
            &m,
            &m,
            &id,
            patch(json!({"status": "resolved", "cause": "returns"})),
            None,
            NOW,
        ));
        assert!(done.is_ok());
    }

    #[test]
    fn reading_a_case_with_suggestions_and_the_playbook_cost_the_same_among_five_thousand_resolved_cases()
     {
        use crate::store::sql::testing::{answer, case};
        use crate::store::{Companions, ResponseStore as _};
        let measure = |n: usize| {
            let m = demo_store();
            let rows: Vec<_> = (0..n)
                .map(|i| {
                    let r = answer(&format!("r_{i:05}"), 2, &rfc3339(NOW + i as i64));
                    let mut c = case(&format!("c_{i:05}"), &r, None);
                    c.view.status = CaseStatus::Resolved;
                    c.view.cause = Some("delivery".into());
                    c.view.solution = Some(format!("Solution {}", i % 40));
                    c.view.reasked_score =
                        (i % 3 == 0).then(|| nps_shared::Score::try_from(9u8).unwrap());
                    let with = Companions {
                        case: Some(c),
                        deliveries: Vec::new(),
                    };
                    (r, with)
                })
                .collect();
            for chunk in rows.chunks(500) {
                block_on(m.insert_group(chunk)).unwrap();
            }
            let mut open = answer("r_open", 1, &rfc3339(NOW + HOUR));
            open.view.comment = Some("parcel late again".into());
            let with = Companions {
                case: Some(case("c_open", &open, None)),
                deliveries: Vec::new(),
            };
            block_on(m.insert_group(&[(open, with)])).unwrap();
            m.reset_queries();
            let c = block_on(get(&m, "c_open", NOW + HOUR)).unwrap();
            assert_eq!(c.suggestions.len(), 3);
            let get_cost = m.queries();
            m.reset_queries();
            let book = block_on(playbook(&m, Some("delivery"), None)).unwrap();
            assert_eq!(book.entries.len(), 40);
            assert_eq!(
                book.entries.iter().map(|e| e.used as usize).sum::<usize>(),
                n
            );
            (get_cost, m.queries())
        };
        let small = measure(500);
        assert_eq!(
            small,
            (3, 1),
            "the case, its survey, the playbook; one GROUP BY"
        );
        assert_eq!(measure(5_000), small);
    }
}
