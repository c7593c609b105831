//! [`Respondent`]: who answered, as far as the sender knows, and the survey's
//! [`IdentityPolicy`] for such claims (checked in `crate::identity`) — carried by answers
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

/// A survey's rule for claimed identities (`identity` in its definition).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityPolicy {
    /// A claimed identity without a valid `user_hash` is stored as claimed properties
    /// and links to nobody; the answer is kept.
    #[default]
    Optional,
    /// A claimed identity without a valid `user_hash` is refused (422 naming
    /// `respondent.user_hash`); anonymous answers are still taken.
    Required,
}

impl IdentityPolicy {
    pub fn is_optional(&self) -> bool {
        *self == IdentityPolicy::Optional
    }
}
