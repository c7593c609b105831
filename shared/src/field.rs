//! [`FieldError`]: one thing wrong with one field of a request, the unit of every 422
//! (`errors` in problem+json) and of every check that names fields — the response
//! validation, the survey check and the case settings check alike.
//!
//! At the bottom of the crate so that a check outside the `server` feature (the case
//! settings, which the dashboard runs too) returns the same type as the server's; it
//! depends on nothing in the crate and needs no `serde_json`.

use serde::{Deserialize, Serialize};

/// One thing wrong with one field of a request. `field` is a path into the body
/// (`theme.accent`, `owner_rules[2].owner`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}
