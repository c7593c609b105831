//! A fixed corpus of realistic shop comments with the score each came with: English
//! and German, detractors, passives and promoters, short and long, typos and mixed
//! languages included. What the themes are tested on ([`crate::themes`]) and what the
//! demo survey's comments are drawn from (the `nps-seed` crate), so the demo shows
//! what the tests hold.
//!
//! The text lives in `corpus.txt`, one comment a line: the score, a tab, the comment.
//! A test holds every line to that shape. Depends on [`crate::score`] only.

use crate::score::Score;

const TEXT: &str = include_str!("corpus.txt");

/// Every comment of the corpus with its score, in file order; a line that is not
/// `score<TAB>comment` is skipped (and fails the corpus's test).
pub fn comments() -> impl Iterator<Item = (Score, &'static str)> {
    TEXT.lines().filter_map(|line| {
        let (score, text) = line.split_once('\t')?;
        let score = Score::try_from(score.parse::<u8>().ok()?).ok()?;
        let text = text.trim();
        (!text.is_empty()).then_some((score, text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Category;

    #[test]
    fn every_line_is_a_score_and_a_comment() {
        assert_eq!(comments().count(), TEXT.lines().count());
    }

    #[test]
    fn the_corpus_has_hundreds_of_distinct_comments_of_every_category() {
        let all: Vec<(Score, &str)> = comments().collect();
        let distinct: std::collections::BTreeSet<&str> = all.iter().map(|(_, t)| *t).collect();
        assert!(all.len() >= 300, "{} comments", all.len());
        assert_eq!(distinct.len(), all.len(), "a comment is listed twice");
        for category in [Category::Detractor, Category::Passive, Category::Promoter] {
            let n = all.iter().filter(|(s, _)| s.category() == category).count();
            assert!(n >= 50, "{category:?}: {n}");
        }
        let german = all
            .iter()
            .filter(|(_, t)| {
                let words: Vec<String> = t
                    .split(|c: char| !c.is_alphabetic())
                    .map(str::to_lowercase)
                    .collect();
                crate::themes::guess_language(words.iter().map(String::as_str))
                    == crate::themes::Language::German
            })
            .count();
        assert!(german >= 60, "{german} German comments");
    }
}
