//! Survey definitions (admin) and the public config the widget renders from, in the
//! best language for the visitor.

use super::{ServiceError, check_origin, new_id};
use crate::store::SurveyStore;
use nps_shared::api::{CreateSurvey, SurveyConfig, SurveyPatch, SurveyView};
use nps_shared::locale;
use nps_shared::time::rfc3339;
use nps_shared::validate::{check_survey, is_survey_id};

pub async fn create(
    store: &impl SurveyStore,
    request: CreateSurvey,
    now_ms: i64,
) -> Result<SurveyView, ServiceError> {
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

pub async fn get(store: &impl SurveyStore, id: &str) -> Result<SurveyView, ServiceError> {
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
    check_survey(&survey.definition).map_err(ServiceError::Invalid)?;
    survey.updated_at = rfc3339(now_ms);
    store.update_survey(&survey).await?;
    Ok(survey)
}

/// `GET /v1/surveys/{id}/config?locale=`: the texts in the best-matching language.
pub async fn config(
    store: &impl SurveyStore,
    id: &str,
    requested_locale: Option<&str>,
    origin: Option<&str>,
) -> Result<SurveyConfig, ServiceError> {
    let survey = get(store, id).await?;
    check_origin(&survey, origin)?;
    let d = survey.definition;
    let available: Vec<&str> = d.texts.keys().map(String::as_str).collect();
    let chosen = locale::best_match(requested_locale, &available, &d.default_locale).to_string();
    let texts = d
        .texts
        .get(&chosen)
        .cloned()
        .ok_or_else(|| ServiceError::NotFound(format!("texts for {chosen} in survey {id}")))?;
    Ok(SurveyConfig {
        survey_id: survey.id,
        locale: chosen,
        texts,
        theme: d.theme,
        throttle: d.throttle,
        triggers: d.triggers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::store::memory::Memory;
    use pollster::block_on;

    fn with_demo() -> Memory {
        let m = Memory::default();
        m.surveys.borrow_mut().push(demo_survey());
        m
    }

    #[test]
    fn config_speaks_the_visitors_language_or_the_default() {
        let m = with_demo();
        let de = block_on(config(&m, "s_demo", Some("de-AT"), None)).unwrap();
        assert_eq!(de.locale, "de");
        assert_eq!(de.texts.follow_up.detractor, "Was lief schief?");
        let fallback = block_on(config(&m, "s_demo", Some("fr"), None)).unwrap();
        assert_eq!(fallback.locale, "en");
    }

    #[test]
    fn config_refuses_origins_the_survey_does_not_list() {
        let m = with_demo();
        assert!(block_on(config(&m, "s_demo", None, Some("https://shop.example"))).is_ok());
        let err = block_on(config(&m, "s_demo", None, Some("https://other.example"))).unwrap_err();
        assert!(matches!(err, ServiceError::OriginNotAllowed { .. }));
    }

    #[test]
    fn a_survey_id_can_be_chosen_once() {
        let m = Memory::default();
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
