//! `GET /v1/surveys/{id}/config` (public, CORS) and the admin survey endpoints.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::audit::{self, Change};
use crate::service::surveys;
use nps_shared::api::{CreateSurvey, SurveyPatch};
use nps_shared::staff::{AuditAction, Principal};
use nps_shared::validate::FieldError;
use worker::{Request, Response};

pub async fn config(req: &Request, app: &App, id: &str) -> Result<Response, ApiError> {
    super::limits::read(req, app, id).await?;
    let query = http::query(req)?;
    let origin = http::origin(req);
    let config = surveys::config(
        &app.store,
        id,
        query.get("locale").map(String::as_str),
        origin.as_deref(),
    )
    .await?;
    let mut response = http::json(200, &config)?;
    // Browsers may reuse it briefly; edits show within a minute.
    response
        .headers_mut()
        .set("Cache-Control", "public, max-age=60")?;
    Ok(response)
}

pub async fn create(req: &mut Request, app: &App, who: &Principal) -> Result<Response, ApiError> {
    let request = create_request(http::read_json(req).await?)?;
    let survey = surveys::create(&app.store, request, now_ms()).await?;
    let summary = format!("created {:?}", survey.definition.name);
    super::audit(
        app,
        who,
        Change::new(AuditAction::SurveyCreated, &survey.id, summary),
    )
    .await;
    let mut response = http::json(201, &survey)?;
    response
        .headers_mut()
        .set("Location", &format!("/v1/surveys/{}", survey.id))?;
    Ok(response)
}

/// `POST /v1/surveys`'s body: the definition flattened beside an optional `id`, decoded
/// apart so that a key neither of them knows is named (serde cannot see unknown keys
/// through `flatten`).
fn create_request(mut body: serde_json::Value) -> Result<CreateSurvey, ApiError> {
    let id = match body.as_object_mut().and_then(|fields| fields.remove("id")) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(id)) => Some(id),
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "id",
                "must be a string",
            )]));
        }
    };
    Ok(CreateSurvey {
        id,
        definition: http::decode(body)?,
    })
}

pub async fn list(app: &App) -> Result<Response, ApiError> {
    http::json(200, &surveys::list(&app.store).await?)
}

pub async fn get(app: &App, id: &str) -> Result<Response, ApiError> {
    http::json(200, &surveys::get(&app.store, id).await?)
}

pub async fn update(
    req: &mut Request,
    app: &App,
    id: &str,
    who: &Principal,
) -> Result<Response, ApiError> {
    let patch: SurveyPatch = http::decode(http::read_json(req).await?)?;
    let summary = audit::survey_summary(&patch);
    let survey = surveys::update(&app.store, id, patch, now_ms()).await?;
    super::audit(
        app,
        who,
        Change::new(AuditAction::SurveyUpdated, id, summary),
    )
    .await;
    http::json(200, &survey)
}

pub async fn report(req: &Request, app: &App, id: &str) -> Result<Response, ApiError> {
    use crate::service::reports;
    let params = http::query(req)?;
    let mut query = reports::parse_query(&params)?;
    let source = reports::parse_source(&params)?;
    if let Some(name) = http::param(&params, "time_zone") {
        let zones = crate::intl::IntlZones;
        reports::resolve_zone(&app.store, id, &mut query, name, &zones, now_ms()).await?;
    }
    http::json(200, &reports::report(&app.store, id, &query, source).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_survey_is_created_from_its_definition_and_an_optional_id() {
        let request = create_request(json!({"id": "s_shop", "name": "Shop"})).unwrap();
        assert_eq!(request.id.as_deref(), Some("s_shop"));
        assert_eq!(request.definition.name, "Shop");
        assert_eq!(create_request(json!({"name": "Shop"})).unwrap().id, None);
    }

    #[test]
    fn a_key_the_definition_does_not_know_is_named_at_any_depth() {
        let error = create_request(json!({"name": "Shop", "colour": "#fff"})).unwrap_err();
        assert_eq!(error.status(), 422);
        assert_eq!(error.fields(), ["colour"]);
        let error = create_request(json!({
            "name": "Shop",
            "theme": {"accent": "#123456", "position": "bottom-right", "colour": "#fff"},
            "texts": {"en": {"question": "Q?", "questoin": "typo"}},
        }))
        .unwrap_err();
        assert_eq!(error.fields(), ["texts.en.questoin", "theme.colour"]);
    }

    #[test]
    fn a_survey_view_sent_back_whole_is_refused_for_its_read_only_fields() {
        let error = create_request(json!({
            "id": "s_shop", "name": "Shop", "created_at": "2026-01-01T00:00:00Z",
        }))
        .unwrap_err();
        assert_eq!(error.fields(), ["created_at"]);
    }

    #[test]
    fn an_id_that_is_not_a_string_is_named() {
        let error = create_request(json!({"id": 7, "name": "Shop"})).unwrap_err();
        assert_eq!(error.fields(), ["id"]);
    }
}
