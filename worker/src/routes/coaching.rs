//! `GET /v1/coaching?from=&to=&survey_id=&team=`: the team coaching view.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::coaching;
use worker::{Request, Response};

pub async fn get(req: &Request, app: &App) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let get = |name: &str| http::param(&query, name);
    let view = coaching::coaching(
        &app.store,
        get("from"),
        get("to"),
        get("survey_id"),
        get("team"),
        now_ms(),
    )
    .await?;
    http::json(200, &view)
}
