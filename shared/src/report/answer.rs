//! One answer as the report (and the rollups, which count the same answers) needs it:
//! [`AnswerRecord`].
//!
//! Depends on [`crate::api`] (a stored answer's view), [`crate::themes`] (what its
//! comment is to the themes) and [`super::error`]; nothing else of the report.

use super::error::ReportError;
use crate::api::ResponseView;
use crate::score::Score;
use crate::themes::ThemeComment;
use crate::time::parse_rfc3339;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One answer as the report needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRecord {
    /// The answer's id (`r_…`); empty where a test or benchmark needs none.
    #[serde(default)]
    pub id: String,
    pub score: Score,
    /// Unix milliseconds.
    pub created_at: i64,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Suspected to come from an e-mail scanner following every link; left out of
    /// reports unless `include_flagged`.
    #[serde(default)]
    pub flagged: bool,
}

impl TryFrom<&ResponseView> for AnswerRecord {
    type Error = ReportError;
    /// A stored answer; flagged when the view carries a scanner reason.
    fn try_from(view: &ResponseView) -> Result<Self, Self::Error> {
        Ok(AnswerRecord {
            id: view.id.clone(),
            score: view.score,
            created_at: parse_rfc3339(&view.created_at).ok_or(ReportError::BadTimestamp)?,
            comment: view.comment.clone(),
            properties: view.properties.clone(),
            flagged: view.flagged.is_some() || view.provisional,
        })
    }
}

impl AnswerRecord {
    /// The comment as the themes read it, in that bucket of the trend; `None`
    /// without one.
    pub fn theme_comment(&self, bucket: Option<usize>) -> Option<ThemeComment<'_>> {
        Some(ThemeComment {
            score: self.score,
            text: self.comment.as_deref()?,
            id: &self.id,
            created_at: self.created_at,
            bucket,
        })
    }

    /// The property's value, `None` when absent or blank.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}
