//! RFC 9457 problem details: the one shape every error of the API takes.

use crate::field::FieldError;
use serde::{Deserialize, Serialize};

/// The kinds of failure the API reports, each with its status and stable `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    MalformedJson,
    UnsupportedMediaType,
    PayloadTooLarge,
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    TooManyRequests,
    Internal,
    Unavailable,
}

impl ProblemKind {
    pub fn status(self) -> u16 {
        match self {
            ProblemKind::MalformedJson => 400,
            ProblemKind::Unauthorized => 401,
            ProblemKind::Forbidden => 403,
            ProblemKind::NotFound => 404,
            ProblemKind::MethodNotAllowed => 405,
            ProblemKind::Conflict => 409,
            ProblemKind::PayloadTooLarge => 413,
            ProblemKind::UnsupportedMediaType => 415,
            ProblemKind::Validation => 422,
            ProblemKind::TooManyRequests => 429,
            ProblemKind::Internal => 500,
            ProblemKind::Unavailable => 503,
        }
    }

    /// The last segment of the `type` URI.
    pub fn slug(self) -> &'static str {
        match self {
            ProblemKind::MalformedJson => "malformed-json",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::Validation => "validation",
            ProblemKind::Unauthorized => "unauthorized",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::Conflict => "conflict",
            ProblemKind::TooManyRequests => "too-many-requests",
            ProblemKind::Internal => "internal",
            ProblemKind::Unavailable => "unavailable",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::MalformedJson => "The body is not valid JSON",
            ProblemKind::UnsupportedMediaType => "The body must be application/json",
            ProblemKind::PayloadTooLarge => "The body is too large",
            ProblemKind::Validation => "Some fields are not valid",
            ProblemKind::Unauthorized => "An admin token is required",
            ProblemKind::Forbidden => "Not allowed",
            ProblemKind::NotFound => "Not found",
            ProblemKind::MethodNotAllowed => "Method not allowed",
            ProblemKind::Conflict => "Conflict",
            ProblemKind::TooManyRequests => "Too many requests",
            ProblemKind::Internal => "Internal error",
            ProblemKind::Unavailable => "Storage is unavailable, try again",
        }
    }
}

/// An `application/problem+json` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Where the `type` URIs point; each kind's page explains it.
pub const PROBLEM_BASE: &str = "/problems/";

impl Problem {
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Problem {
            problem_type: format!("{PROBLEM_BASE}{}", kind.slug()),
            title: kind.title().to_string(),
            status: kind.status(),
            detail: Some(detail.into()),
            errors: Vec::new(),
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => "1 field is not valid".to_string(),
            n => format!("{n} fields are not valid"),
        };
        Problem {
            errors,
            ..Problem::new(ProblemKind::Validation, detail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_problem_lists_its_fields() {
        let p = Problem::validation(vec![FieldError::new(
            "score",
            "must be an integer from 0 to 10",
        )]);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["status"], 422);
        assert_eq!(json["type"], "/problems/validation");
        assert_eq!(json["errors"][0]["field"], "score");
    }

    #[test]
    fn other_problems_leave_errors_out() {
        let json =
            serde_json::to_value(Problem::new(ProblemKind::NotFound, "no survey s_x")).unwrap();
        assert_eq!(json["status"], 404);
        assert!(json.get("errors").is_none());
    }

    #[test]
    fn statuses_match_the_contract() {
        use ProblemKind::*;
        let pairs = [
            (MalformedJson, 400),
            (UnsupportedMediaType, 415),
            (PayloadTooLarge, 413),
            (Validation, 422),
            (NotFound, 404),
            (Forbidden, 403),
            (Unauthorized, 401),
            (Conflict, 409),
            (TooManyRequests, 429),
        ];
        for (kind, status) in pairs {
            assert_eq!(kind.status(), status, "{kind:?}");
        }
    }
}
