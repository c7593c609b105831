//! The team coaching view (`GET /v1/coaching?from=&to=&survey_id=&team=`): per case
//! owner and per team (the answer property the owner rules route on), the cases opened
//! in the period — handled, median time to first contact, SLA met, win-back — and the
//! NPS of their customers; the rules and rates are `nps_shared::coaching`.
//!
//! An owner's customers are the answers of the teams the survey's owner rules route to
//! them (`case::assign_owner` on the team property alone; rules on other properties do
//! not route a team, so its answers go to the default owner).
//!
//! The best performers' practices are their playbook entries over the cases of the
//! period they resolved with a cause and a solution (`nps_shared::coaching::Practice`).
//!
//! Four D1 queries whatever the period holds: the survey(s), the case groups, the
//! team tallies and the practices (none without best performers), each aggregated
//! in SQL.

use super::ServiceError;
use crate::store::{CaseGroup, Dimension, Storage};
use nps_shared::api::SurveyView;
use nps_shared::case::assign_owner;
use nps_shared::coaching::{
    CaseCounts, Coaching, CoachingRow, DEFAULT_TEAM_PROPERTY, PRACTICES_PER_PERFORMER,
    best_performers, order_practices, sort_rows,
};
use nps_shared::nps::Tally;
use nps_shared::time::{days_from_civil, parse_rfc3339, rfc3339};
use std::collections::{BTreeMap, BTreeSet};

const DAY_MS: i64 = 86_400_000;
/// The period when `from` is not given: the 30 days before `to`.
const DEFAULT_DAYS: i64 = 30;
/// The longest period.
const MAX_DAYS: i64 = 366;
/// The name of the cases without an owner, and of the answers no rule routes.
pub const UNASSIGNED: &str = "(unassigned)";
/// The name of the team of answers without the team property.
pub const NO_TEAM: &str = "(none)";

/// An instant given as RFC 3339 or as a date `YYYY-MM-DD` (its UTC midnight; as
/// `to`, the midnight after it, so the day is included).
fn instant(text: &str, field: &str, end_of_day: bool) -> Result<i64, ServiceError> {
    if nps_shared::action::is_date(text) {
        let (y, m, d) = (&text[0..4], &text[5..7], &text[8..10]);
        let days = days_from_civil(
            y.parse().unwrap_or_default(),
            m.parse().unwrap_or_default(),
            d.parse().unwrap_or_default(),
        );
        return Ok((days + i64::from(end_of_day)) * DAY_MS);
    }
    parse_rfc3339(text).ok_or_else(|| {
        ServiceError::invalid(field, "must be an RFC 3339 time or a date YYYY-MM-DD")
    })
}

/// The property the surveys' owner rules route on (the first rule's), else `store`.
fn routing_property(surveys: &[SurveyView]) -> String {
    surveys
        .iter()
        .find_map(|s| s.definition.cases.owner_rules.first())
        .map_or_else(|| DEFAULT_TEAM_PROPERTY.to_string(), |r| r.property.clone())
}

fn is_property_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 40
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// `GET /v1/coaching`.
pub async fn coaching(
    store: &impl Storage,
    from: Option<&str>,
    to: Option<&str>,
    survey_id: Option<&str>,
    team: Option<&str>,
    now_ms: i64,
) -> Result<Coaching, ServiceError> {
    let to_ms = to.map_or(Ok(now_ms), |t| instant(t, "to", true))?;
    let from_ms = from.map_or(Ok(to_ms - DEFAULT_DAYS * DAY_MS), |f| {
        instant(f, "from", false)
    })?;
    if from_ms >= to_ms {
        return Err(ServiceError::invalid("from", "must be before to"));
    }
    if to_ms - from_ms > MAX_DAYS * DAY_MS {
        return Err(ServiceError::invalid(
            "from",
            &format!("the period may be at most {MAX_DAYS} days"),
        ));
    }
    if team.is_some_and(|t| !is_property_key(t)) {
        return Err(ServiceError::invalid(
            "team",
            "must be a property name: 1 to 40 letters, digits, _ - or .",
        ));
    }
    let surveys = match survey_id {
        Some(id) => vec![
            store
                .get_survey(id)
                .await?
                .ok_or_else(|| ServiceError::invalid("survey_id", "no such survey"))?,
        ],
        None => store.list_surveys().await?,
    };
    let team_property = team.map_or_else(|| routing_property(&surveys), str::to_string);
    let (from, to, now) = (rfc3339(from_ms), rfc3339(to_ms), rfc3339(now_ms));
    let groups = store
        .case_groups(&from, &to, survey_id, &team_property, &now)
        .await?;
    let tallies = store
        .team_tallies(&from, &to, survey_id, &team_property)
        .await?;

    let settings: BTreeMap<&str, &SurveyView> =
        surveys.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut owner_customers: BTreeMap<String, Tally> = BTreeMap::new();
    let mut team_customers: BTreeMap<String, Tally> = BTreeMap::new();
    for t in &tallies {
        let team_name = t.team.clone().unwrap_or_else(|| NO_TEAM.to_string());
        team_customers.entry(team_name).or_default().merge(&t.tally);
        let routed = t.team.as_ref().and_then(|value| {
            let survey = settings.get(t.survey_id.as_str())?;
            let properties = BTreeMap::from([(team_property.clone(), value.clone())]);
            assign_owner(&survey.definition.cases, &properties)
        });
        let routed = routed.or_else(|| {
            let survey = settings.get(t.survey_id.as_str())?;
            survey.definition.cases.default_owner.clone()
        });
        let owner = routed.unwrap_or_else(|| UNASSIGNED.to_string());
        owner_customers.entry(owner).or_default().merge(&t.tally);
    }

    let owners = rows(&groups, Dimension::Owner, UNASSIGNED, &owner_customers);
    let teams = rows(&groups, Dimension::Team, NO_TEAM, &team_customers);
    let best_performers = best_performers(&owners);
    let practices = store
        .practices(
            &best_performers,
            &from,
            &to,
            survey_id,
            PRACTICES_PER_PERFORMER,
        )
        .await?;
    Ok(Coaching {
        from,
        to,
        survey_id: survey_id.map(str::to_string),
        team_property,
        owners,
        teams,
        practices: order_practices(&best_performers, practices),
        best_performers,
    })
}

/// The rows of one dimension: every name with cases or customers.
fn rows(
    groups: &[CaseGroup],
    dimension: Dimension,
    unnamed: &str,
    customers: &BTreeMap<String, Tally>,
) -> Vec<CoachingRow> {
    let counts: BTreeMap<String, CaseCounts> = groups
        .iter()
        .filter(|g| g.dimension == dimension)
        .map(|g| {
            let name = g.name.clone().unwrap_or_else(|| unnamed.to_string());
            (name, g.counts)
        })
        .collect();
    let names: BTreeSet<&String> = counts.keys().chain(customers.keys()).collect();
    let mut rows: Vec<CoachingRow> = names
        .into_iter()
        .map(|name| {
            CoachingRow::new(
                name.clone(),
                counts.get(name).copied().unwrap_or_default(),
                customers.get(name).copied().unwrap_or_default(),
            )
        })
        .collect();
    sort_rows(&mut rows);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::{answer, demo_survey};
    use crate::store::CaseStore;
    use crate::store::testing::TestStore;
    use nps_shared::case::{CasePatch, CaseStatus, OwnerRule};
    use serde_json::json;

    const HOUR: i64 = 3_600_000;
    /// 2026-11-01T00:00:00Z.
    const T0: i64 = 1_793_491_200_000;

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        pollster::block_on(f)
    }

    /// The demo survey routing Berlin to anna, Hamburg to bo, the rest to desk.
    fn routed() -> TestStore {
        let m = TestStore::default();
        let mut survey = demo_survey();
        let rule = |store: &str, owner: &str| OwnerRule {
            property: "store".into(),
            equals: store.into(),
            owner: owner.into(),
        };
        survey.definition.cases.owner_rules = vec![rule("Berlin", "anna"), rule("Hamburg", "bo")];
        survey.definition.cases.default_owner = Some("desk".into());
        m.add_survey(survey);
        m
    }

    fn answer_in(m: &TestStore, score: u8, store: &str, at: i64) -> String {
        answer(
            m,
            &json!({"survey_id": "s_demo", "score": score, "properties": {"store": store}}),
            at,
        )
        .id
    }

    fn contact(m: &TestStore, response_id: &str, at: i64) {
        let case = run(m.case_for_response(response_id)).unwrap().unwrap();
        let patch = CasePatch {
            status: Some(CaseStatus::Contacted),
            ..Default::default()
        };
        run(crate::service::cases::update(
            m,
            m,
            &case.view.id,
            patch,
            Some("x"),
            at,
        ))
        .unwrap();
    }

    #[test]
    fn owners_and_teams_show_their_cases_and_customers() {
        let m = routed();
        // Berlin (anna): a promoter, two detractors contacted after 2 h and 4 h.
        answer_in(&m, 10, "Berlin", T0);
        let b1 = answer_in(&m, 2, "Berlin", T0 + HOUR);
        let b2 = answer_in(&m, 5, "Berlin", T0 + 2 * HOUR);
        contact(&m, &b1, T0 + 3 * HOUR);
        contact(&m, &b2, T0 + 6 * HOUR);
        // Hamburg (bo): a detractor never contacted, past its 24 h SLA.
        answer_in(&m, 0, "Hamburg", T0);
        // Munich: no rule, so desk's.
        answer_in(&m, 9, "Munich", T0);
        let view = run(coaching(
            &m,
            Some("2026-11-01"),
            Some("2026-11-02"),
            Some("s_demo"),
            None,
            T0 + 48 * HOUR,
        ))
        .unwrap();
        assert_eq!(view.team_property, "store", "from the owner rules");
        assert_eq!(view.to, "2026-11-03T00:00:00.000Z", "the whole last day");
        let anna = view.owners.iter().find(|r| r.name == "anna").unwrap();
        assert_eq!((anna.cases, anna.contacted), (2, 2));
        assert_eq!(anna.median_hours_to_first_contact, Some(3.0));
        assert_eq!(anna.sla_met_percent, Some(100.0));
        // 1 promoter and 2 detractors of 3: NPS −33.3.
        assert_eq!(anna.customers.responses, 3);
        assert!((anna.customers.nps.unwrap() + 100.0 / 3.0).abs() < 1e-9);
        let bo = view.owners.iter().find(|r| r.name == "bo").unwrap();
        assert_eq!(
            (bo.cases, bo.contacted, bo.sla_met_percent),
            (1, 0, Some(0.0))
        );
        let desk = view.owners.iter().find(|r| r.name == "desk").unwrap();
        assert_eq!((desk.cases, desk.customers.nps), (0, Some(100.0)));
        assert_eq!(view.owners[0].name, "anna", "most cases first");
        let berlin = view.teams.iter().find(|r| r.name == "berlin").unwrap();
        assert_eq!((berlin.cases, berlin.customers.responses), (2, 3));
        assert!(view.teams.iter().any(|r| r.name == "munich"));
    }

    #[test]
    fn bad_periods_and_properties_are_refused_by_field() {
        let m = routed();
        let field = |from: Option<&str>, to: Option<&str>, team: Option<&str>| match run(coaching(
            &m, from, to, None, team, T0,
        )) {
            Err(ServiceError::Invalid(errors)) => errors[0].field.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(field(Some("yesterday"), None, None), "from");
        assert_eq!(field(None, Some("2026-13-01"), None), "to");
        assert_eq!(field(Some("2026-11-02"), Some("2026-11-01"), None), "from");
        assert_eq!(field(Some("2020-01-01"), Some("2026-11-01"), None), "from");
        assert_eq!(field(None, None, Some("a\"b")), "team");
        assert!(matches!(
            run(coaching(&m, None, None, Some("s_nope"), None, T0)),
            Err(ServiceError::Invalid(_))
        ));
    }

    #[test]
    fn the_view_is_four_queries_however_many_cases() {
        let m = routed();
        let stores = ["Berlin", "Hamburg", "Munich", "Paris"];
        for chunk in 0..4 {
            let group: Vec<_> = (0..500)
                .map(|i| {
                    let n = chunk * 500 + i;
                    let at = rfc3339(T0 + n * 60_000);
                    let mut a = crate::store::sql::testing::answer(&format!("r_{n:05}"), 3, &at);
                    let store = stores[(n % 4) as usize];
                    a.view.properties.insert("store".into(), store.into());
                    let owner = ["anna", "bo", "desk", "desk"][(n % 4) as usize];
                    let mut c =
                        crate::store::sql::testing::case(&format!("c_{n:05}"), &a, Some(owner));
                    // Every case resolved with one of five solutions; two in three
                    // customers won back.
                    c.view.status = CaseStatus::Resolved;
                    c.view.cause = Some("delivery".into());
                    c.view.solution = Some(format!("Solution {}", n % 5));
                    let again: u8 = if n % 3 == 0 { 4 } else { 10 };
                    c.view.reasked_score = nps_shared::Score::try_from(again).ok();
                    let companions = crate::store::Companions {
                        case: Some(c),
                        deliveries: Vec::new(),
                    };
                    (a, companions)
                })
                .collect();
            run(crate::store::ResponseStore::insert_group(&m, &group)).unwrap();
        }
        m.reset_queries();
        let view = run(coaching(
            &m,
            Some("2026-11-01"),
            Some("2026-11-30"),
            None,
            None,
            T0,
        ))
        .unwrap();
        assert_eq!(
            m.queries(),
            4,
            "surveys, case groups, team tallies, practices"
        );
        let cases: u64 = view.owners.iter().map(|r| r.cases).sum();
        assert_eq!(cases, 2000);
        assert_eq!(view.teams.len(), 4);
        assert_eq!(view.best_performers.len(), 3);
        assert_eq!(view.practices.len(), 9, "three of each best performer");
        assert_eq!(view.practices[0].owner, view.best_performers[0]);
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../public/openapi.json")).unwrap();
        let schema = &doc["components"]["schemas"]["CoachingPractice"];
        let wire = serde_json::to_value(&view.practices[0]).unwrap();
        let keys: Vec<&String> = wire.as_object().unwrap().keys().collect();
        let required: Vec<String> = serde_json::from_value(schema["required"].clone()).unwrap();
        assert_eq!(keys.len(), required.len());
        assert!(keys.iter().all(|k| required.contains(k)), "{keys:?}");
        assert!(doc["components"]["schemas"]["Coaching"]["properties"]["practices"].is_object());
        assert!(view.practices.iter().all(|p| p.cause == "delivery"
            && p.entry.used >= 100
            && p.entry.won_back < p.entry.used));
    }
}
