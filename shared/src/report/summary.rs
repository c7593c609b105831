//! NPS with its 95% margin of error ([`NpsSummary`], [`margin_of_error`]; the formula
//! is in the [`crate::report`] doc) and the score distribution: the numbers every part
//! of the report is made of.
//!
//! Depends only on [`crate::nps`] and [`crate::score`]; nothing else of the report.

use crate::nps::Tally;
use crate::score::{Category, Score};
use serde::{Deserialize, Serialize};

/// The normal quantile of a two-sided 95% interval.
pub const Z_95: f64 = 1.96;

/// Counts, NPS and its 95% margin of error, for any set of answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NpsSummary {
    pub responses: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// −100 to 100; `null` without answers.
    pub nps: Option<f64>,
    /// ± NPS points at 95%; `null` with fewer than two answers.
    pub margin_of_error: Option<f64>,
}

impl From<Tally> for NpsSummary {
    fn from(tally: Tally) -> Self {
        NpsSummary {
            responses: tally.total(),
            promoters: tally.promoters,
            passives: tally.passives,
            detractors: tally.detractors,
            nps: tally.nps(),
            margin_of_error: margin_of_error(&tally),
        }
    }
}

impl NpsSummary {
    pub fn tally(&self) -> Tally {
        Tally {
            promoters: self.promoters,
            passives: self.passives,
            detractors: self.detractors,
        }
    }
}

/// The 95% margin of error of `tally.nps()` in NPS points (see the module doc);
/// `None` for fewer than two answers.
pub fn margin_of_error(tally: &Tally) -> Option<f64> {
    let n = tally.total();
    if n < 2 {
        return None;
    }
    // n² × variance = (P + D)·n − (P − D)², exact in integers and never negative
    // because |P − D| ≤ P + D ≤ n; so no float can make the variance dip below 0.
    let n_wide = u128::from(n);
    let extremes = u128::from(tally.promoters) + u128::from(tally.detractors);
    let lead = u128::from(tally.promoters.abs_diff(tally.detractors));
    let spread = extremes * n_wide - lead * lead;
    let variance_over_n = spread as f64 / (n as f64).powi(3);
    Some(Z_95 * variance_over_n.sqrt() * 100.0)
}

// ---------------------------------------------------------------------------------------
// Score distribution

/// How many answers gave each score; index = score. JSON: an array of 11 counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Distribution(pub [u64; 11]);

impl Distribution {
    pub fn add(&mut self, score: Score) {
        self.0[usize::from(score.value())] += 1;
    }

    pub fn count(&self, score: Score) -> u64 {
        self.0[usize::from(score.value())]
    }

    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for score in Score::all() {
            let n = self.count(score);
            match score.category() {
                Category::Promoter => tally.promoters += n,
                Category::Passive => tally.passives += n,
                Category::Detractor => tally.detractors += n,
            }
        }
        tally
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    pub fn merge(&mut self, other: &Distribution) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }
}

impl FromIterator<Score> for Distribution {
    fn from_iter<I: IntoIterator<Item = Score>>(iter: I) -> Self {
        let mut distribution = Distribution::default();
        for score in iter {
            distribution.add(score);
        }
        distribution
    }
}
