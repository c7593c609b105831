//! The one error type at the HTTP edge. Every failure becomes an RFC 9457
//! problem+json response here and nowhere else; internal details are logged, never
//! returned.

use crate::service::ServiceError;
use nps_shared::problem::{Problem, ProblemKind};
use nps_shared::validate::FieldError;
use worker::{Response, console_error};

#[derive(Debug)]
pub struct ApiError {
    problem: Box<Problem>,
    /// What went wrong inside, for the log only.
    internal: Option<String>,
}

impl ApiError {
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        ApiError {
            problem: Box::new(Problem::new(kind, detail)),
            internal: None,
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        ApiError {
            problem: Box::new(Problem::validation(errors)),
            internal: None,
        }
    }

    /// Storage or the platform failed: 503, the cause logged.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        ApiError {
            problem: Box::new(Problem::new(
                ProblemKind::Unavailable,
                "the request was not completed; it is safe to retry",
            )),
            internal: Some(cause.to_string()),
        }
    }

    pub fn into_response(self) -> worker::Result<Response> {
        if let Some(cause) = &self.internal {
            console_error!("{} {}: {cause}", self.problem.status, self.problem.title);
        }
        let body = serde_json::to_string(&self.problem)?;
        let mut response = Response::ok(body)?.with_status(self.problem.status);
        response
            .headers_mut()
            .set("Content-Type", "application/problem+json")?;
        if self.problem.status == 401 {
            response.headers_mut().set("WWW-Authenticate", "Bearer")?;
        }
        Ok(response)
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound(what) => {
                ApiError::new(ProblemKind::NotFound, format!("{what} does not exist"))
            }
            ServiceError::OriginNotAllowed { origin, survey_id } => ApiError::new(
                ProblemKind::Forbidden,
                format!("origin {origin} is not in the allowed origins of survey {survey_id}"),
            ),
            ServiceError::Invalid(errors) => ApiError::validation(errors),
            ServiceError::Conflict(detail) => ApiError::new(ProblemKind::Conflict, detail),
            ServiceError::Forbidden(detail) => ApiError::new(ProblemKind::Forbidden, detail),
            ServiceError::Store(e) => ApiError::unavailable(e),
        }
    }
}

impl From<worker::Error> for ApiError {
    fn from(error: worker::Error) -> Self {
        ApiError::unavailable(error)
    }
}
