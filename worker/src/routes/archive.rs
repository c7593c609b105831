//! `GET /v1/surveys/{id}/archive` and `GET /v1/surveys/{id}/archive/{month}/{part}`:
//! what retention archived (`service::archive`), listed and downloaded.

use crate::app::App;
use crate::error::ApiError;
use crate::http;
use crate::service::{ServiceError, archive};
use worker::Response;

pub async fn list(app: &App, id: &str) -> Result<Response, ApiError> {
    http::json(200, &archive::list(&app.store, id).await?)
}

/// The part as stored: gzip (`application/gzip`, a download), not a
/// `Content-Encoding` that clients would undo on the way — what is saved is the
/// `.ndjson.gz` the archive holds, byte for byte.
pub async fn part(app: &App, id: &str, month: &str, part: &str) -> Result<Response, ApiError> {
    let number = part
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=9999).contains(n))
        .ok_or_else(|| ServiceError::invalid("part", "must be a part number from 1 to 9999"))?;
    let bucket = app.archive()?;
    let (record, bytes) = archive::read_part(&app.store, &bucket, id, month, number).await?;
    let mut response = Response::from_bytes(bytes)?;
    let headers = response.headers_mut();
    headers.set("Content-Type", "application/gzip")?;
    headers.set(
        "Content-Disposition",
        &format!(
            "attachment; filename=\"{id}-{month}-part-{number:04}.ndjson.gz\"",
            month = record.month
        ),
    )?;
    headers.set("ETag", &format!("\"{}\"", record.etag))?;
    // Archived answers do not change.
    headers.set("Cache-Control", "private, max-age=86400, immutable")?;
    Ok(response)
}
