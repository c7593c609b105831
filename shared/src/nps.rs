//! The Net Promoter Score of a set of answers: % promoters − % detractors.
//!
//! Counts are kept as integers so that summaries can be merged (per day, per store)
//! without rounding drift; percentages are computed only at the end.

use crate::score::{Category, Score};
use serde::{Deserialize, Serialize};

/// How many answers fell into each category, and the NPS they make.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

impl Tally {
    pub fn add(&mut self, score: Score) {
        match score.category() {
            Category::Promoter => self.promoters += 1,
            Category::Passive => self.passives += 1,
            Category::Detractor => self.detractors += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    /// NPS from −100 to 100, or `None` when nobody answered (0 would be a lie).
    pub fn nps(&self) -> Option<f64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let diff = self.promoters as f64 - self.detractors as f64;
        Some(100.0 * diff / total as f64)
    }

    pub fn merge(&mut self, other: &Tally) {
        self.promoters += other.promoters;
        self.passives += other.passives;
        self.detractors += other.detractors;
    }
}

impl FromIterator<Score> for Tally {
    fn from_iter<I: IntoIterator<Item = Score>>(iter: I) -> Self {
        let mut tally = Tally::default();
        for score in iter {
            tally.add(score);
        }
        tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scores(values: &[u8]) -> Vec<Score> {
        values
            .iter()
            .map(|&v| Score::try_from(v).unwrap())
            .collect()
    }

    #[test]
    fn nobody_answering_has_no_nps() {
        assert_eq!(Tally::default().nps(), None);
    }

    #[test]
    fn nps_is_promoters_minus_detractors_in_percent() {
        // 2 promoters, 1 passive, 1 detractor of 4 → 50 % − 25 % = 25.
        let tally: Tally = scores(&[10, 9, 7, 3]).into_iter().collect();
        assert_eq!(
            tally,
            Tally {
                promoters: 2,
                passives: 1,
                detractors: 1
            }
        );
        assert_eq!(tally.nps(), Some(25.0));
    }

    #[test]
    fn all_promoters_is_100_and_all_detractors_is_minus_100() {
        let up: Tally = scores(&[9, 10, 9]).into_iter().collect();
        let down: Tally = scores(&[0, 6, 5]).into_iter().collect();
        assert_eq!(up.nps(), Some(100.0));
        assert_eq!(down.nps(), Some(-100.0));
    }

    proptest! {
        #[test]
        fn nps_stays_within_bounds(values in prop::collection::vec(0u8..=10, 1..200)) {
            let tally: Tally = scores(&values).into_iter().collect();
            let nps = tally.nps().unwrap();
            prop_assert!((-100.0..=100.0).contains(&nps));
            prop_assert_eq!(tally.total(), values.len() as u64);
        }

        #[test]
        fn merging_tallies_equals_tallying_the_union(
            a in prop::collection::vec(0u8..=10, 0..50),
            b in prop::collection::vec(0u8..=10, 0..50),
        ) {
            let mut merged: Tally = scores(&a).into_iter().collect();
            merged.merge(&scores(&b).into_iter().collect());
            let union: Tally = scores(&[a, b].concat()).into_iter().collect();
            prop_assert_eq!(merged, union);
        }
    }
}
