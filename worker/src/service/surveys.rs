//! Survey definitions (admin) and the public config the widget renders from, in the
//! best language for the visitor. The built-in words (`nps_shared::words`) fill what a
//! survey leaves out when it is stored, and speak every built-in language it has no
//! texts in when its config is asked for.

use super::{ServiceError, check_origin, new_id};
use crate::store::SurveyStore;
use nps_shared::api::{CreateSurvey, SurveyConfig, SurveyPatch, SurveyView};
use nps_shared::locale;
use nps_shared::time::rfc3339;
use nps_shared::validate::{check_survey, is_survey_id};
use nps_shared::words;

/// A new survey: what it leaves out of its texts is filled from the built-in words
/// (with only a `name`, it asks in its default language and every built-in one).
pub async fn create(
    store: &impl SurveyStore,
    mut request: CreateSurvey,
    now_ms: i64,
) -> Result<SurveyView, ServiceError> {
    words::complete(&mut request.definition);
    check_survey(&request.definition).map_err(ServiceError::Invalid)?;
    let id = match request.id {
        Some(id) if is_survey_id(&id) => id,
        Some(_) => {
            return Err(ServiceError::invalid(
                "id",
                "must be s_ followed by lower-case letters, digits, _ or -",
            ));
        }
        None => new_id("s_", now_ms)?,
    };
    let now = rfc3339(now_ms);
    let survey = SurveyView {
        id,
        definition: request.definition,
        created_at: now.clone(),
        updated_at: now,
    };
    if !store.insert_survey(&survey).await? {
        return Err(ServiceError::Conflict(format!(
            "survey {} already exists",
            survey.id
        )));
    }
    Ok(survey)
}

/// The survey `id`. Something that cannot be a survey id is not looked up at all:
/// made-up paths cost neither a KV nor a D1 read.
pub async fn get(store: &impl SurveyStore, id: &str) -> Result<SurveyView, ServiceError> {
    if !is_survey_id(id) {
        return Err(ServiceError::NotFound(format!("survey {id}")));
    }
    store
        .get_survey(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("survey {id}")))
}

pub async fn list(store: &impl SurveyStore) -> Result<Vec<SurveyView>, ServiceError> {
    Ok(store.list_surveys().await?)
}

pub async fn update(
    store: &impl SurveyStore,
    id: &str,
    patch: SurveyPatch,
    now_ms: i64,
) -> Result<SurveyView, ServiceError> {
    let mut survey = get(store, id).await?;
    patch.apply_to(&mut survey.definition);
    words::complete(&mut survey.definition);
    check_survey(&survey.definition).map_err(ServiceError::Invalid)?;
    survey.updated_at = rfc3339(now_ms);
    store.update_survey(&survey).await?;
    Ok(survey)
}

/// `GET /v1/surveys/{id}/config?locale=`: every word the widget shows, in the one
/// language that best matches `requested_locale` (a tag or a list of them, in order of
/// preference) among the survey's languages and the built-in ones, else in the
/// survey's default language.
pub async fn config(
    store: &impl SurveyStore,
    id: &str,
    requested_locale: Option<&str>,
    origin: Option<&str>,
) -> Result<SurveyConfig, ServiceError> {
    let survey = get(store, id).await?;
    check_origin(&survey, origin)?;
    let d = survey.definition;
    // The survey's own languages first: its `de-CH` wins over the built-in `de`.
    let available: Vec<&str> = d
        .texts
        .keys()
        .map(String::as_str)
        .chain(words::LANGUAGES)
        .collect();
    let chosen = locale::best_match(requested_locale, &available, &d.default_locale).to_string();
    let own = d.texts.get(&chosen);
    if own.is_none() && words::built_in(&chosen).is_none() {
        return Err(ServiceError::NotFound(format!(
            "texts for {chosen} in survey {id}"
        )));
    }
    let (texts, messages, dir) = words::config_words(&chosen, own);
    Ok(SurveyConfig {
        survey_id: survey.id,
        locale: chosen,
        texts,
        theme: d.theme,
        throttle: d.throttle,
        triggers: d.triggers,
        messages,
        dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::store::testing::TestStore;
    use pollster::block_on;

    fn with_demo() -> TestStore {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        m
    }

    #[test]
    fn config_speaks_the_visitors_language_or_the_default() {
        let m = with_demo();
        let de = block_on(config(&m, "s_demo", Some("de-AT"), None)).unwrap();
        assert_eq!(de.locale, "de");
        assert_eq!(de.texts.follow_up.detractor, "Was lief schief?");
        assert_eq!(de.messages.retry, "Erneut versuchen");
        let fallback = block_on(config(&m, "s_demo", Some("zh"), None)).unwrap();
        assert_eq!(fallback.locale, "en");
        assert_eq!(fallback.texts, demo_survey().definition.texts["en"]);
    }

    #[test]
    fn config_speaks_a_built_in_language_the_survey_has_no_texts_in() {
        let m = with_demo();
        let fr = block_on(config(&m, "s_demo", Some("zh-TW,fr-CA,en"), None)).unwrap();
        assert_eq!(fr.locale, "fr");
        assert_eq!(fr.texts.submit, "Envoyer");
        assert_eq!(
            fr.messages.invalid_link,
            "Ce lien d’enquête n’est plus valide."
        );
        assert_eq!(fr.dir, nps_shared::api::TextDirection::Ltr);
        let he = block_on(config(&m, "s_demo", Some("iw"), None)).unwrap();
        assert_eq!(he.locale, "he");
        assert_eq!(he.dir, nps_shared::api::TextDirection::Rtl);
    }

    #[test]
    fn a_survey_made_with_only_a_name_asks_in_german_naming_the_brand() {
        let m = TestStore::default();
        let request: CreateSurvey =
            serde_json::from_value(serde_json::json!({ "name": "Acme" })).unwrap();
        let made = block_on(create(&m, request, 0)).unwrap();
        assert_eq!(made.definition.default_locale, "en");
        assert_eq!(made.definition.texts.len(), 12);
        let de = block_on(config(&m, &made.id, Some("de-DE"), None)).unwrap();
        assert_eq!(de.locale, "de");
        assert_eq!(
            de.texts.question,
            "Wie wahrscheinlich ist es, dass Sie Acme einem Freund oder Kollegen empfehlen?"
        );
    }

    #[test]
    fn partial_texts_are_filled_and_the_surveys_own_still_win() {
        let m = TestStore::default();
        let request: CreateSurvey = serde_json::from_value(serde_json::json!({
            "name": "Acme",
            "default_locale": "de",
            "texts": { "de": { "thanks": "Danke, Acme!" } },
        }))
        .unwrap();
        let made = block_on(create(&m, request, 0)).unwrap();
        assert_eq!(made.definition.texts.len(), 1);
        let de = &made.definition.texts["de"];
        assert_eq!(de.thanks, "Danke, Acme!");
        assert_eq!(de.submit, "Senden");

        // A language without built-in words must be given in full.
        let request: CreateSurvey = serde_json::from_value(serde_json::json!({
            "name": "Acme",
            "default_locale": "zh",
        }))
        .unwrap();
        let Err(ServiceError::Invalid(errors)) = block_on(create(&m, request, 0)) else {
            panic!("zh has no built-in words");
        };
        assert!(errors.iter().any(|e| e.field == "texts.zh.question"));
    }

    #[test]
    fn config_refuses_origins_the_survey_does_not_list() {
        let m = with_demo();
        assert!(block_on(config(&m, "s_demo", None, Some("https://shop.example"))).is_ok());
        let err = block_on(config(&m, "s_demo", None, Some("https://other.example"))).unwrap_err();
        assert!(matches!(err, ServiceError::OriginNotAllowed { .. }));
    }

    #[test]
    fn a_survey_and_a_page_of_its_answers_cost_the_same_with_five_hundred_or_five_thousand_answers()
    {
        use crate::service::responses;
        use crate::store::ResponseStore as _;
        use crate::store::metered::FREE_PLAN_QUERIES;
        use crate::store::sql::testing::answer;
        let measure = |n: usize| {
            let m = with_demo();
            let hook = serde_json::from_value(serde_json::json!({
                "url": "https://hooks.example/a", "events": ["response.updated"]
            }))
            .unwrap();
            crate::service::webhooks::create_for_test(&m, hook);
            for i in 0..n {
                let mut r = answer(&format!("r_{i:05}"), (i % 11) as u8, &rfc3339(i as i64));
                r.edit_token = "edit-me".into();
                block_on(m.insert_group(&[(r.clone(), Default::default())])).unwrap();
                m.reset_queries();
            }
            let mut costs = Vec::new();
            let mut cost = |m: &TestStore| {
                costs.push(m.queries());
                m.reset_queries();
            };
            block_on(list(&m)).unwrap();
            cost(&m);
            block_on(get(&m, "s_demo")).unwrap();
            cost(&m);
            block_on(config(&m, "s_demo", Some("de"), None)).unwrap();
            cost(&m);
            let patch = SurveyPatch {
                name: Some("Renamed".into()),
                ..Default::default()
            };
            block_on(update(&m, "s_demo", patch, 5)).unwrap();
            cost(&m);
            let request = CreateSurvey {
                id: Some("s_other".into()),
                definition: demo_survey().definition,
            };
            block_on(create(&m, request, 0)).unwrap();
            cost(&m);
            let page = block_on(responses::list(
                &m,
                "s_demo",
                Some("detractor"),
                None,
                Some("200"),
            ))
            .unwrap();
            assert_eq!(page.items.len(), 200);
            cost(&m);
            // PATCH /v1/responses/{id}: a comment on an answer, announced.
            let body = serde_json::json!({"edit_token": "edit-me", "comment": "late"});
            block_on(responses::add_comment(&m, &m, "r_00003", &body, None, 10)).unwrap();
            cost(&m);
            costs
        };
        let small = measure(500);
        // List, get, config, update (read, write), create; the page (its survey,
        // the rows); a comment (answer, survey, write, endpoints, deliveries, …).
        assert_eq!(small, [1, 1, 1, 2, 1, 2, 6]);
        assert_eq!(measure(5_000), small);
        assert!(small.iter().all(|&q| q <= FREE_PLAN_QUERIES), "{small:?}");
    }

    #[test]
    fn a_survey_id_can_be_chosen_once() {
        let m = TestStore::default();
        let request = CreateSurvey {
            id: Some("s_demo".into()),
            definition: demo_survey().definition,
        };
        assert_eq!(
            block_on(create(&m, request.clone(), 0)).unwrap().id,
            "s_demo"
        );
        assert!(matches!(
            block_on(create(&m, request, 0)),
            Err(ServiceError::Conflict(_))
        ));
    }

    #[test]
    fn an_update_that_breaks_the_survey_is_refused_and_changes_nothing() {
        let m = with_demo();
        let patch = SurveyPatch {
            default_locale: Some("fr".into()),
            ..Default::default()
        };
        assert!(matches!(
            block_on(update(&m, "s_demo", patch, 5)),
            Err(ServiceError::Invalid(_))
        ));
        assert_eq!(
            block_on(get(&m, "s_demo"))
                .unwrap()
                .definition
                .default_locale,
            "en"
        );
        let patch = SurveyPatch {
            name: Some("Renamed".into()),
            ..Default::default()
        };
        let updated = block_on(update(&m, "s_demo", patch, 5)).unwrap();
        assert_eq!(updated.definition.name, "Renamed");
        assert_eq!(updated.updated_at, rfc3339(5));
    }
}
