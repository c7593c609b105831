//! Action plans (`/v1/actions`): created for a survey's cause and segment, worked
//! planned → in progress → done, and read with their measured impact — the NPS of the
//! matching answers in equal windows before and after the plan went live, and the
//! share of their detractors whose case names the plan's cause, each with whether the
//! difference is significant (`nps_shared::report::impact`). The rules are
//! `nps_shared::action`; this module stores and measures.
//!
//! A plan's cause is one of its survey's causes (`CaseSettings::causes_for`: the
//! survey's own list, else the defaults in its language), checked on create and on a
//! patch that changes it.
//!
//! D1 queries: a create is 2 (survey, insert) + 1 when created live; a read 2 (plan,
//! tallies); a patch 3 (plan, save, tallies; + the survey when it changes the cause;
//! a lost race re-reads); a list 1. None grows with the answers measured: the tallies
//! are one `COUNT … GROUP BY`.

use super::{ServiceError, new_id};
use crate::store::{ActionFilter, ActionStore, Storage};
use nps_shared::action::{self, ActionError, ActionPatch, ActionStatus, ActionView, NewAction};
use nps_shared::api::{Page, SurveyView};
use nps_shared::report::impact::{DEFAULT_WINDOW_DAYS, Impact, Windows};
use nps_shared::time::{parse_rfc3339, rfc3339};

/// How often a write that lost an optimistic-lock race is tried again.
const WRITE_ATTEMPTS: usize = 3;

impl From<ActionError> for ServiceError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Invalid(errors) => ServiceError::Invalid(errors),
            conflict => ServiceError::Conflict(conflict.to_string()),
        }
    }
}

/// The plan's impact as of `now_ms`: `None` until it has been live a moment.
pub async fn impact(
    store: &impl ActionStore,
    plan: &ActionView,
    now_ms: i64,
) -> Result<Option<Impact>, ServiceError> {
    let live = plan.fields.live_at.as_deref().and_then(parse_rfc3339);
    let Some(windows) = live.and_then(|live| Windows::around(live, now_ms, DEFAULT_WINDOW_DAYS))
    else {
        return Ok(None);
    };
    let counts = store
        .segment_tallies(
            &plan.fields.survey_id,
            &plan.fields.segment,
            &plan.fields.cause,
            &windows,
        )
        .await?;
    Ok(Some(
        Impact::measure(&windows, counts.before, counts.after)
            .with_cause(counts.before_with_cause, counts.after_with_cause),
    ))
}

async fn measured(
    store: &impl ActionStore,
    mut plan: ActionView,
    now_ms: i64,
) -> Result<ActionView, ServiceError> {
    plan.impact = impact(store, &plan, now_ms).await?;
    Ok(plan)
}

/// `POST /v1/actions`.
pub async fn create(
    store: &impl Storage,
    request: NewAction,
    now_ms: i64,
) -> Result<ActionView, ServiceError> {
    let fields = request.fields(now_ms)?;
    let survey = store
        .get_survey(&fields.survey_id)
        .await?
        .ok_or_else(|| ServiceError::invalid("survey_id", "no such survey"))?;
    check_cause(&survey, &fields.cause)?;
    let now = rfc3339(now_ms);
    let plan = ActionView {
        id: new_id("act_", now_ms)?,
        fields,
        created_at: now.clone(),
        updated_at: now,
        impact: None,
    };
    store.insert_action(&plan).await?;
    measured(store, plan, now_ms).await
}

/// 422 on `cause` unless `cause` is one of `survey`'s causes.
fn check_cause(survey: &SurveyView, cause: &str) -> Result<(), ServiceError> {
    let causes = survey
        .definition
        .cases
        .causes_for(&survey.definition.default_locale);
    if causes.iter().any(|c| c.key == cause) {
        return Ok(());
    }
    let keys: Vec<&str> = causes.iter().map(|c| c.key.as_str()).collect();
    Err(ServiceError::invalid(
        "cause",
        &format!("must be one of the survey's causes: {}", keys.join(", ")),
    ))
}

/// `GET /v1/actions/{id}`, with its impact.
pub async fn get(
    store: &impl ActionStore,
    id: &str,
    now_ms: i64,
) -> Result<ActionView, ServiceError> {
    let plan = load(store, id).await?;
    measured(store, plan, now_ms).await
}

async fn load(store: &impl ActionStore, id: &str) -> Result<ActionView, ServiceError> {
    store
        .get_action(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("action plan {id}")))
}

/// `GET /v1/actions?status=&survey_id=&cursor=&limit=`: newest first, without impact
/// (one query for the page; each plan's impact is one more, so it is read singly).
pub async fn list(
    store: &impl ActionStore,
    status: Option<&str>,
    survey_id: Option<&str>,
    cursor: Option<&str>,
    limit: Option<&str>,
) -> Result<Page<ActionView>, ServiceError> {
    let status = status
        .map(|s| {
            ActionStatus::parse(s).ok_or_else(|| {
                ServiceError::invalid("status", "must be planned, in_progress or done")
            })
        })
        .transpose()?;
    let limit = super::page::parse_limit(limit)?;
    if cursor.is_some_and(|c| !nps_shared::ids::is_id("act_", c)) {
        return Err(ServiceError::invalid(
            "cursor",
            "must be a next_cursor from an earlier page",
        ));
    }
    let filter = ActionFilter {
        status,
        survey_id: survey_id.map(str::to_string),
    };
    let mut items = store.list_actions(&filter, cursor, limit + 1).await?;
    let next_cursor = super::page::cut(&mut items, limit, |a| a.id.clone());
    Ok(Page { items, next_cursor })
}

/// `PATCH /v1/actions/{id}`: fields and/or a status change (going live sets
/// `live_at`), saved under optimistic locking; with its impact as it is now.
pub async fn update(
    store: &impl Storage,
    id: &str,
    patch: ActionPatch,
    now_ms: i64,
) -> Result<ActionView, ServiceError> {
    let mut plan = load(store, id).await?;
    if let Some(cause) = patch.cause.as_deref().filter(|c| action::is_cause_key(c)) {
        // A malformed key is refused by `apply_patch` below with its shape's message.
        let survey = store
            .get_survey(&plan.fields.survey_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("the survey of action plan {id}")))?;
        check_cause(&survey, cause)?;
    }
    for _ in 0..WRITE_ATTEMPTS {
        let seen = plan.updated_at.clone();
        let mut next = plan.clone();
        next.fields = action::apply_patch(&plan.fields, patch.clone(), now_ms)?;
        // Strictly later than what it replaces, so the lock tells two saves apart.
        next.updated_at = rfc3339(parse_rfc3339(&seen).map_or(now_ms, |last| now_ms.max(last + 1)));
        if store.update_action(&next, &seen).await? {
            return measured(store, next, now_ms).await;
        }
        plan = load(store, id).await?;
    }
    Err(ServiceError::Conflict(
        "the plan is being changed by someone else; try again".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::{answer, demo_survey};
    use crate::store::ResponseStore;
    use crate::store::testing::TestStore;
    use serde_json::json;

    const DAY: i64 = 86_400_000;
    /// 2026-11-01T00:00:00Z.
    const LIVE: i64 = 1_793_491_200_000;

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        pollster::block_on(f)
    }

    fn with_survey() -> TestStore {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        m
    }

    fn new_action(body: serde_json::Value) -> NewAction {
        serde_json::from_value(body).unwrap()
    }

    fn berlin_plan() -> NewAction {
        new_action(json!({
            "title": "Faster parcels in Berlin", "survey_id": "s_demo", "cause": "delivery",
            "owner": "logistics", "segment": {"store": "Berlin"}, "due_date": "2026-12-31"
        }))
    }

    fn answer_at(m: &TestStore, score: u8, store: &str, at: i64) {
        answer(
            m,
            &json!({"survey_id": "s_demo", "score": score, "properties": {"store": store}}),
            at,
        );
    }

    fn start(m: &TestStore, id: &str, at: i64) -> ActionView {
        let patch = ActionPatch {
            status: Some(ActionStatus::InProgress),
            ..Default::default()
        };
        run(update(m, id, patch, at)).unwrap()
    }

    #[test]
    fn a_plan_is_created_planned_without_impact_and_listed() {
        let m = with_survey();
        let plan = run(create(&m, berlin_plan(), LIVE)).unwrap();
        assert!(plan.id.starts_with("act_"));
        assert_eq!(plan.fields.status, ActionStatus::Planned);
        assert_eq!(plan.impact, None);
        let page = run(list(&m, Some("planned"), Some("s_demo"), None, None)).unwrap();
        assert_eq!(page.items, [plan]);
        assert!(matches!(
            run(list(&m, Some("started"), None, None, None)),
            Err(ServiceError::Invalid(_))
        ));
    }

    #[test]
    fn a_plan_for_a_survey_that_does_not_exist_is_refused() {
        let m = with_survey();
        let mut request = berlin_plan();
        request.survey_id = "s_nope".into();
        match run(create(&m, request, LIVE)) {
            Err(ServiceError::Invalid(errors)) => assert_eq!(errors[0].field, "survey_id"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_plan_s_cause_must_be_one_of_its_survey_s_causes_on_create_and_on_patch() {
        let m = with_survey();
        let mut request = berlin_plan();
        request.cause = "weather".into();
        match run(create(&m, request, LIVE)) {
            Err(ServiceError::Invalid(errors)) => {
                assert_eq!(errors[0].field, "cause");
                assert!(
                    errors[0].message.contains("delivery, product, price"),
                    "{errors:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        let plan = run(create(&m, berlin_plan(), LIVE)).unwrap();
        let to = |cause: &str| ActionPatch {
            cause: Some(cause.into()),
            ..Default::default()
        };
        match run(update(&m, &plan.id, to("weather"), LIVE + 1)) {
            Err(ServiceError::Invalid(errors)) => assert_eq!(errors[0].field, "cause"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            run(get(&m, &plan.id, LIVE + 1)).unwrap().fields.cause,
            "delivery"
        );
        let moved = run(update(&m, &plan.id, to("price"), LIVE + 2)).unwrap();
        assert_eq!(moved.fields.cause, "price");
    }

    #[test]
    fn a_survey_s_own_causes_replace_the_defaults_for_its_plans() {
        let m = TestStore::default();
        let mut survey = demo_survey();
        survey.definition.cases.causes = vec![nps_shared::cause::Cause {
            key: "late".into(),
            label: "Late".into(),
            department: "logistics".into(),
            keywords: Vec::new(),
        }];
        m.add_survey(survey);
        assert!(matches!(
            run(create(&m, berlin_plan(), LIVE)),
            Err(ServiceError::Invalid(_))
        ));
        let mut request = berlin_plan();
        request.cause = "late".into();
        assert_eq!(run(create(&m, request, LIVE)).unwrap().fields.cause, "late");
    }

    #[test]
    fn impact_compares_the_segment_s_nps_before_and_after_going_live() {
        let m = with_survey();
        let plan = run(create(&m, berlin_plan(), LIVE - 30 * DAY)).unwrap();
        // Before (within 10 days of going live): Berlin 10, 9, 3, 2 → NPS 0.
        for (score, days) in [(10, 9), (9, 5), (3, 3), (2, 1)] {
            answer_at(&m, score, "Berlin", LIVE - days * DAY);
        }
        // After: Berlin 10, 10, 9, 7 → NPS 75. Hamburg's answers are not the segment's.
        for (score, days) in [(10, 1), (10, 2), (9, 3), (7, 4)] {
            answer_at(&m, score, "Berlin", LIVE + days * DAY);
        }
        answer_at(&m, 0, "Hamburg", LIVE + DAY);
        // Older than the window: 10 days live means 10-day windows.
        answer_at(&m, 0, "Berlin", LIVE - 11 * DAY);
        start(&m, &plan.id, LIVE);
        m.reset_queries();
        let read = run(get(&m, &plan.id, LIVE + 10 * DAY)).unwrap();
        assert_eq!(m.queries(), 2, "the plan and one count");
        let impact = read.impact.expect("live for 10 days");
        assert_eq!(impact.before.responses, 4);
        assert_eq!(impact.before.nps, Some(0.0));
        assert_eq!(impact.after.responses, 4);
        assert_eq!(impact.after.nps, Some(75.0));
        assert_eq!(impact.difference, Some(75.0));
        assert_eq!(impact.before.from, rfc3339(LIVE - 10 * DAY));
        assert_eq!(impact.after.to, rfc3339(LIVE + 10 * DAY));
        // Before: p = d = .5, variance 1, margin 1.96 × sqrt(1/4) × 100 = 98.
        // After: p = .75, d = 0, variance .75 − .5625 = .1875,
        //   margin 1.96 × sqrt(.1875/4) × 100 = 42.4352.
        // Combined sqrt(98² + 42.4352²) = 106.793 > 75: not significant.
        assert!((impact.before.margin_of_error.unwrap() - 98.0).abs() < 1e-9);
        assert!((impact.after.margin_of_error.unwrap() - 42.4352).abs() < 1e-3);
        assert!(!impact.significant);
    }

    #[test]
    fn the_impact_read_is_one_query_however_many_answers() {
        let m = with_survey();
        let plan = run(create(&m, berlin_plan(), LIVE - DAY)).unwrap();
        // 3,000 answers, as the ingest stores them, in groups of 500.
        for chunk in 0..6 {
            let group: Vec<_> = (0..500)
                .map(|i| {
                    let n = chunk * 500 + i;
                    let at = LIVE - 20 * DAY + n * 1000 * 60 * 15;
                    let mut a = crate::store::sql::testing::answer(
                        &format!("r_{n:05}"),
                        (n % 11) as u8,
                        &rfc3339(at),
                    );
                    a.view.properties.insert(
                        "store".into(),
                        if n % 2 == 0 { "Berlin" } else { "Hamburg" }.into(),
                    );
                    // Every detractor has a case; one in three names delivery.
                    let case = (n % 11 <= 6).then(|| {
                        let mut c =
                            crate::store::sql::testing::case(&format!("c_{n:05}"), &a, None);
                        c.view.cause = Some(if n % 3 == 0 { "delivery" } else { "price" }.into());
                        c
                    });
                    let with = crate::store::Companions {
                        case,
                        deliveries: Vec::new(),
                    };
                    (a, with)
                })
                .collect();
            run(m.insert_group(&group)).unwrap();
        }
        start(&m, &plan.id, LIVE);
        m.reset_queries();
        let read = run(get(&m, &plan.id, LIVE + 40 * DAY)).unwrap();
        assert_eq!(
            m.queries(),
            2,
            "the plan and one count, with the cause's share"
        );
        let impact = read.impact.unwrap();
        assert!(impact.before.responses > 500 && impact.after.responses > 500);
        // Berlin's (even) detractors naming delivery: n ≡ 0 (mod 6) among n % 11 ≤ 6.
        let share = &impact.cause_share;
        assert!(share.before.detractors > 200 && share.after.detractors > 200);
        assert!(share.before.with_cause > 50 && share.before.with_cause < share.before.detractors);
        let percent = share.before.percent.unwrap();
        assert!((percent - 100.0 / 3.0).abs() < 5.0, "{percent}");
    }

    /// Every key of `value` is a property of the schema `name`, and each is required.
    fn documented(value: &serde_json::Value, name: &str) {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../public/openapi.json")).unwrap();
        let schema = &doc["components"]["schemas"][name];
        let required = schema["required"].as_array().unwrap();
        for key in value.as_object().unwrap().keys() {
            assert!(
                schema["properties"].get(key).is_some(),
                "{key} is not in {name}"
            );
            assert!(
                required.iter().any(|r| r == key),
                "{key} is not required in {name}"
            );
        }
    }

    #[test]
    fn the_openapi_impact_schemas_name_every_field_the_impact_has() {
        let m = with_survey();
        let plan = run(create(&m, berlin_plan(), LIVE - DAY)).unwrap();
        answer_at(&m, 2, "Berlin", LIVE - 3_600_000);
        start(&m, &plan.id, LIVE);
        let read = run(get(&m, &plan.id, LIVE + DAY)).unwrap();
        let impact = serde_json::to_value(read.impact.unwrap()).unwrap();
        documented(&impact, "Impact");
        documented(&impact["before"], "ImpactWindow");
        documented(&impact["cause_share"], "ImpactCauseShare");
        documented(&impact["cause_share"]["before"], "ImpactShareWindow");
        assert_eq!(impact["cause_share"]["before"]["detractors"], 1);
    }

    #[test]
    fn going_live_twice_is_a_conflict_and_a_bad_patch_names_its_field() {
        let m = with_survey();
        let plan = run(create(&m, berlin_plan(), LIVE)).unwrap();
        let live = start(&m, &plan.id, LIVE + 1000);
        assert_eq!(live.fields.live_at, Some(rfc3339(LIVE + 1000)));
        let again = ActionPatch {
            status: Some(ActionStatus::InProgress),
            ..Default::default()
        };
        assert!(matches!(
            run(update(&m, &plan.id, again, LIVE + 2000)),
            Err(ServiceError::Conflict(_))
        ));
        let bad = ActionPatch {
            cause: Some("Not A Key".into()),
            ..Default::default()
        };
        match run(update(&m, &plan.id, bad, LIVE + 2000)) {
            Err(ServiceError::Invalid(errors)) => assert_eq!(errors[0].field, "cause"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            run(get(&m, "act_nope", LIVE)),
            Err(ServiceError::NotFound(_))
        ));
    }
}
