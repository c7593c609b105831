//! [`Respondent`]: who answered, as far as the sender knows — carried by answers
//! ([`crate::api`]) and by the detractor cases they open ([`crate::case`]).
//!
//! Below both so that neither has to import the other for it; depends on nothing in
//! the crate.

use serde::{Deserialize, Serialize};

/// Who answered, as far as the sender knows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Respondent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Respondent {
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.email.is_none()
    }
}
