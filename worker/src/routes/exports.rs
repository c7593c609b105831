//! Export jobs: `POST /v1/surveys/{id}/exports` starts one (202), `GET /v1/exports/{id}`
//! shows its progress, `GET /v1/exports/{id}/download` streams the finished CSV from
//! R2, chunk after chunk (`service::exports`).

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::exports;
use crate::store::ObjectStore;
use crate::store::r2::R2;
use nps_shared::export::CreateExport;
use worker::{Request, Response};

pub async fn create(req: &mut Request, app: &App, survey_id: &str) -> Result<Response, ApiError> {
    let request: CreateExport = http::decode(http::read_json(req).await?)?;
    let view = exports::start(&app.store, &app.jobs, survey_id, &request, now_ms()).await?;
    let mut response = http::json(202, &view)?;
    response
        .headers_mut()
        .set("Location", &format!("/v1/exports/{}", view.id))?;
    Ok(response)
}

pub async fn get(app: &App, id: &str) -> Result<Response, ApiError> {
    http::json(200, &exports::get(&app.store, id).await?)
}

pub async fn download(app: &App, id: &str) -> Result<Response, ApiError> {
    let (view, keys) = exports::download(&app.store, id).await?;
    // The stream outlives this call: it owns its own handle on the bucket.
    let objects = R2::new(app.env.bucket("ARCHIVE")?);
    let chunks = futures_util::stream::unfold(
        (objects, keys.into_iter()),
        |(objects, mut keys)| async move {
            let key = keys.next()?;
            let chunk = match objects.get_object(&key).await {
                Ok(Some(bytes)) => Ok(bytes),
                Ok(None) => Err(worker::Error::RustError(format!("{key} is missing"))),
                Err(e) => Err(worker::Error::RustError(e.to_string())),
            };
            Some((chunk, (objects, keys)))
        },
    );
    let mut response = Response::from_stream(chunks)?;
    let headers = response.headers_mut();
    headers.set("Content-Type", "text/csv; charset=utf-8; header=present")?;
    headers.set(
        "Content-Disposition",
        // Ids are [a-z0-9_] only: safe in a header.
        &format!(
            "attachment; filename=\"{}-{}.csv\"",
            view.survey_id, view.id
        ),
    )?;
    Ok(response)
}
