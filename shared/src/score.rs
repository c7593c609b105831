//! `Score` is an answer to "How likely are you to recommend us?" and `Category` is
//! what it means: 9–10 promoter, 7–8 passive, 0–6 detractor.
//!
//! A `Score` cannot hold anything but 0..=10: it is built through `TryFrom`, and serde
//! decodes through the same door, so a decoded score is a valid score.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An NPS answer, 0 to 10 inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Score(u8);

/// Why a number is not a score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("must be an integer from 0 to 10")]
pub struct ScoreError;

impl Score {
    pub const MIN: Score = Score(0);
    pub const MAX: Score = Score(10);

    /// Every score from 0 to 10, in order.
    pub fn all() -> impl Iterator<Item = Score> {
        (0..=10).map(Score)
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn category(self) -> Category {
        Category::from(self)
    }
}

impl TryFrom<i64> for Score {
    type Error = ScoreError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        if (0..=10).contains(&value) {
            Ok(Score(value as u8))
        } else {
            Err(ScoreError)
        }
    }
}

impl TryFrom<u8> for Score {
    type Error = ScoreError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Score::try_from(i64::from(value))
    }
}

impl From<Score> for u8 {
    fn from(score: Score) -> u8 {
        score.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a score says about the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Detractor,
    Passive,
    Promoter,
}

impl From<Score> for Category {
    fn from(score: Score) -> Self {
        match score.0 {
            0..=6 => Category::Detractor,
            7..=8 => Category::Passive,
            _ => Category::Promoter,
        }
    }
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Detractor, Category::Passive, Category::Promoter];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Detractor => "detractor",
            Category::Passive => "passive",
            Category::Promoter => "promoter",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_boundaries_fall_where_nps_puts_them() {
        let at = |n: u8| Category::from(Score::try_from(n).unwrap());
        assert_eq!(at(0), Category::Detractor);
        assert_eq!(at(6), Category::Detractor);
        assert_eq!(at(7), Category::Passive);
        assert_eq!(at(8), Category::Passive);
        assert_eq!(at(9), Category::Promoter);
        assert_eq!(at(10), Category::Promoter);
    }

    #[test]
    fn eleven_and_minus_one_are_not_scores() {
        assert_eq!(Score::try_from(11i64), Err(ScoreError));
        assert_eq!(Score::try_from(-1i64), Err(ScoreError));
        assert_eq!(Score::try_from(255u8), Err(ScoreError));
    }

    #[test]
    fn decoding_is_validating() {
        assert_eq!(serde_json::from_str::<Score>("10").unwrap().value(), 10);
        assert!(serde_json::from_str::<Score>("11").is_err());
        assert!(serde_json::from_str::<Score>("-3").is_err());
        assert!(serde_json::from_str::<Score>("7.5").is_err());
        assert!(serde_json::from_str::<Score>("\"7\"").is_err());
        assert_eq!(
            serde_json::to_string(&Score::try_from(4u8).unwrap()).unwrap(),
            "4"
        );
    }

    #[test]
    fn categories_round_trip_through_their_names() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
        }
        assert_eq!(Category::parse("Promoter"), None);
    }

    proptest! {
        #[test]
        fn every_integer_is_either_a_score_or_refused(n in any::<i64>()) {
            prop_assert_eq!(Score::try_from(n).is_ok(), (0..=10).contains(&n));
        }

        #[test]
        fn category_is_monotonic_in_score(a in 0u8..=10, b in 0u8..=10) {
            let (sa, sb) = (Score::try_from(a).unwrap(), Score::try_from(b).unwrap());
            if sa <= sb {
                prop_assert!(sa.category() <= sb.category());
            }
        }

        #[test]
        fn near_each_boundary_the_category_changes_exactly_once(
            boundary in prop::sample::select(vec![6u8, 8u8])
        ) {
            let below = Score::try_from(boundary).unwrap().category();
            let above = Score::try_from(boundary + 1).unwrap().category();
            prop_assert_ne!(below, above);
            prop_assert_eq!(Score::try_from(boundary - 1).unwrap().category(), below);
        }
    }
}
