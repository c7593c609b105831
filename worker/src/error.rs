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
    /// Seconds for `Retry-After` (429, 503).
    retry_after: Option<u32>,
    /// A missing or wrong admin token: counted against the client (token guessing).
    auth_failure: bool,
}

/// `Retry-After` of a 503: storage hiccups on Workers usually pass within seconds.
const UNAVAILABLE_RETRY_AFTER_SECONDS: u32 = 5;

impl ApiError {
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        ApiError {
            problem: Box::new(Problem::new(kind, detail)),
            internal: None,
            retry_after: None,
            auth_failure: false,
        }
    }

    /// 429 with the seconds after which the client may try again.
    pub fn too_many_requests(detail: impl Into<String>, retry_after_seconds: u32) -> Self {
        ApiError {
            retry_after: Some(retry_after_seconds.max(1)),
            ..ApiError::new(ProblemKind::TooManyRequests, detail)
        }
    }

    /// 401 or 403 of an admin endpoint: the token was missing or wrong.
    pub fn auth_failure(kind: ProblemKind, detail: impl Into<String>) -> Self {
        ApiError {
            auth_failure: true,
            ..ApiError::new(kind, detail)
        }
    }

    pub fn is_auth_failure(&self) -> bool {
        self.auth_failure
    }

    #[cfg(test)]
    pub fn status(&self) -> u16 {
        self.problem.status
    }

    /// The fields a 422 names, in order.
    #[cfg(test)]
    pub fn fields(&self) -> Vec<String> {
        self.problem
            .errors
            .iter()
            .map(|e| e.field.clone())
            .collect()
    }

    #[cfg(test)]
    pub fn retry_after(&self) -> Option<u32> {
        self.retry_after
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        ApiError {
            problem: Box::new(Problem::validation(errors)),
            internal: None,
            retry_after: None,
            auth_failure: false,
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
            retry_after: Some(UNAVAILABLE_RETRY_AFTER_SECONDS),
            auth_failure: false,
        }
    }

    /// A bug of this worker: 500, the cause logged.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError {
            internal: Some(cause.to_string()),
            ..ApiError::new(ProblemKind::Internal, "the request could not be answered")
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
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .set("Retry-After", &seconds.to_string())?;
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
            ServiceError::TooManyRequests {
                detail,
                retry_after_seconds,
            } => ApiError::too_many_requests(detail, retry_after_seconds),
            ServiceError::Store(e) => ApiError::unavailable(e),
        }
    }
}

impl From<worker::Error> for ApiError {
    fn from(error: worker::Error) -> Self {
        ApiError::unavailable(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn storage_failures_are_503_with_retry_after_and_no_internals() {
        let error = ApiError::from(ServiceError::Store(StoreError("D1_ERROR: disk I/O".into())));
        assert_eq!(error.status(), 503);
        assert_eq!(error.retry_after(), Some(UNAVAILABLE_RETRY_AFTER_SECONDS));
        let body = serde_json::to_string(&error.problem).unwrap();
        assert!(!body.contains("D1_ERROR"), "{body}");
    }

    #[test]
    fn rate_limits_are_429_with_their_retry_after() {
        let error = ApiError::from(ServiceError::TooManyRequests {
            detail: "slow down".into(),
            retry_after_seconds: 17,
        });
        assert_eq!(error.status(), 429);
        assert_eq!(error.retry_after(), Some(17));
    }
}
