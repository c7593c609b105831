//! Themes: the words and word pairs that most set detractors' comments apart from
//! promoters' comments, and the other way round, in German and English.
//!
//! This is deliberately light text mining that runs inside the worker on every report:
//! lower-casing, splitting on everything that is not a letter (so `äöüß` stay inside
//! words), built-in stop words for both languages, a light suffix stripper instead of a
//! real stemmer, and a log-odds ratio to rank what is left. It must not depend on
//! `serde_json`, a clock, or any language model or dictionary data: it builds without
//! the `server` feature and gives the same answer for the same comments, always.
//!
//! # What is counted
//!
//! A *term* is a stemmed word (`lieferung`) or a pair of adjacent words (`late
//! delivery`). Pairs never span punctuation (`fast. bad` is no pair), and a pair may
//! start with a negation (`not arrived`, `nicht erreichbar`) even though a negation on
//! its own is a stop word. Counts are *comments*, not occurrences: "bad bad bad" is one
//! comment saying "bad", so one loud customer cannot make a theme.
//!
//! Each comment is stemmed as German or English according to which language's stop
//! words it uses more; a tie goes to German if the comment has an umlaut or `ß`, else to
//! English. Stems are only keys: every theme is shown with its most frequent surface
//! form (`deliveries` and `delivery` are one theme, shown as whichever was written more).
//!
//! # How terms are ranked
//!
//! The log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn
//! 2008, "Fightin' Words", eq. 22), with the pooled comments as the prior. For a term
//! `w`, with `y_D`, `y_P` the numbers of detractor and promoter comments containing it,
//! `n_D`, `n_P` the sums of those counts over all terms, `α_w = y_D + y_P` and
//! `α_0 = n_D + n_P`:
//!
//! ```text
//! δ_w = ln((y_D + α_w) / (n_D + α_0 − y_D − α_w)) − ln((y_P + α_w) / (n_P + α_0 − y_P − α_w))
//! σ²_w ≈ 1 / (y_D + α_w) + 1 / (y_P + α_w)
//! score_w = δ_w / σ_w      (a z-score: positive leans detractor, negative promoter)
//! ```
//!
//! The z-score rather than the raw ratio keeps a word said once by one detractor from
//! outranking a word said by twenty. A theme list shows only terms that lean its way
//! (score > 0 for that side) and that at least `min_comments` comments of that side
//! contain; each list reports its own side's score, so both lists are positive and
//! sorted descending, ties by stem. Without comments on both sides nothing leans
//! anywhere (every δ is 0), so both lists are empty: a contrast needs two sides.
//!
//! Examples are the shortest comments of that side containing the term (up to
//! [`MAX_EXAMPLES`], ties by text): the quickest to read on a dashboard.

use crate::score::Category;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many themes per side a report shows unless asked otherwise.
pub const DEFAULT_TOP_N: usize = 10;
/// In how many comments of its side a term must appear unless asked otherwise.
pub const DEFAULT_MIN_COMMENTS: u64 = 2;
/// Example comments per theme.
pub const MAX_EXAMPLES: usize = 3;
/// Shorter stems are not stripped further: `used` stays `used`, not `us`.
const MIN_STEM_CHARS: usize = 3;

/// How many themes to find and how much evidence each needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeOptions {
    /// Themes per side.
    pub top_n: usize,
    /// Fewest comments of its side that must contain a term.
    pub min_comments: u64,
}

impl Default for ThemeOptions {
    fn default() -> Self {
        ThemeOptions {
            top_n: DEFAULT_TOP_N,
            min_comments: DEFAULT_MIN_COMMENTS,
        }
    }
}

/// One comment and what its author scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThemeComment<'a> {
    pub category: Category,
    pub text: &'a str,
}

/// A word or word pair that sets one side's comments apart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommentTheme {
    /// What to show: the most frequent written form (`late delivery`).
    pub term: String,
    /// The stable key behind it (`lat delivery`); not meant for display.
    pub stem: String,
    /// Detractor comments containing the term.
    pub detractors: u64,
    /// Promoter comments containing the term.
    pub promoters: u64,
    /// The z-score of the log-odds ratio, towards this theme's side (> 0).
    pub score: f64,
    /// Up to three of this side's comments containing the term, shortest first.
    pub examples: Vec<String>,
}

/// What sets detractors apart (`detractor`) and what sets promoters apart (`promoter`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Themes {
    /// Detractor comments the themes were drawn from.
    pub detractor_comments: u64,
    /// Promoter comments the themes were drawn from.
    pub promoter_comments: u64,
    pub detractor: Vec<CommentTheme>,
    pub promoter: Vec<CommentTheme>,
}

/// The languages with built-in stop words and suffix rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    English,
    German,
}

/// The themes of detractors' versus promoters' comments. Passives' comments and blank
/// comments are ignored.
pub fn themes<'a>(
    comments: impl IntoIterator<Item = ThemeComment<'a>>,
    options: &ThemeOptions,
) -> Themes {
    let mut sides: [Vec<&str>; 2] = [Vec::new(), Vec::new()];
    let mut stats: BTreeMap<String, TermStats> = BTreeMap::new();
    for comment in comments {
        let side = match comment.category {
            Category::Detractor => DETRACTOR,
            Category::Promoter => PROMOTER,
            Category::Passive => continue,
        };
        let text = comment.text.trim();
        if text.is_empty() {
            continue;
        }
        let index = sides[side].len();
        sides[side].push(text);
        for (stem, surface) in comment_terms(text) {
            let entry = stats.entry(stem).or_default();
            entry.comments[side] += 1;
            entry.examples[side].push(index);
            *entry.surfaces.entry(surface).or_default() += 1;
        }
    }

    let totals = [DETRACTOR, PROMOTER]
        .map(|side| stats.values().map(|s| s.comments[side] as f64).sum::<f64>());
    let mut lists: [Vec<(f64, &String, &TermStats)>; 2] = [Vec::new(), Vec::new()];
    for (stem, term) in &stats {
        let Some(z) = log_odds_z(term.comments, totals) else {
            continue;
        };
        for (side, score) in [(DETRACTOR, z), (PROMOTER, -z)] {
            if score > 0.0 && term.comments[side] >= options.min_comments.max(1) {
                lists[side].push((score, stem, term));
            }
        }
    }

    let [detractor, promoter] = [DETRACTOR, PROMOTER].map(|side| {
        let list = &mut lists[side];
        // Stems are unique, so this order is total.
        list.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        list.iter()
            .take(options.top_n)
            .map(|&(score, stem, term)| CommentTheme {
                term: term.display(),
                stem: stem.clone(),
                detractors: term.comments[DETRACTOR],
                promoters: term.comments[PROMOTER],
                score,
                examples: examples(&sides[side], &term.examples[side]),
            })
            .collect()
    });
    Themes {
        detractor_comments: sides[DETRACTOR].len() as u64,
        promoter_comments: sides[PROMOTER].len() as u64,
        detractor,
        promoter,
    }
}

const DETRACTOR: usize = 0;
const PROMOTER: usize = 1;

#[derive(Default)]
struct TermStats {
    /// Comments containing the term, per side.
    comments: [u64; 2],
    /// Indexes of those comments, per side.
    examples: [Vec<usize>; 2],
    /// How often each written form stood for the term.
    surfaces: BTreeMap<String, u64>,
}

impl TermStats {
    /// The most frequent written form; the alphabetically first among equals.
    fn display(&self) -> String {
        let mut best: Option<(&String, u64)> = None;
        for (surface, &count) in &self.surfaces {
            if best.is_none_or(|(_, c)| count > c) {
                best = Some((surface, count));
            }
        }
        best.map(|(s, _)| s.clone()).unwrap_or_default()
    }
}

/// The Monroe et al. z-score of a term (see the module doc); `None` when the term is
/// the only one there is and nothing can be contrasted.
fn log_odds_z(comments: [u64; 2], totals: [f64; 2]) -> Option<f64> {
    let [y_d, y_p] = comments.map(|c| c as f64);
    let alpha_w = y_d + y_p;
    let alpha_0 = totals[DETRACTOR] + totals[PROMOTER];
    let rest_d = totals[DETRACTOR] + alpha_0 - y_d - alpha_w;
    let rest_p = totals[PROMOTER] + alpha_0 - y_p - alpha_w;
    if alpha_w <= 0.0 || rest_d <= 0.0 || rest_p <= 0.0 {
        return None;
    }
    let delta = ((y_d + alpha_w) / rest_d).ln() - ((y_p + alpha_w) / rest_p).ln();
    let variance = 1.0 / (y_d + alpha_w) + 1.0 / (y_p + alpha_w);
    Some(delta / variance.sqrt())
}

fn examples(texts: &[&str], indexes: &[usize]) -> Vec<String> {
    let mut chosen: Vec<&str> = indexes
        .iter()
        .filter_map(|&i| texts.get(i).copied())
        .collect();
    chosen.sort_by(|a, b| {
        a.chars()
            .count()
            .cmp(&b.chars().count())
            .then_with(|| a.cmp(b))
    });
    chosen.dedup();
    chosen
        .into_iter()
        .take(MAX_EXAMPLES)
        .map(str::to_owned)
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WordKind {
    Stop,
    Negation,
    Content,
}

/// The distinct terms of one comment, each as (stem key, written form).
fn comment_terms(text: &str) -> BTreeMap<String, String> {
    let phrases = phrases(text);
    let language = guess_language(phrases.iter().flatten().map(String::as_str));
    let mut terms = BTreeMap::new();
    for phrase in &phrases {
        let words: Vec<(WordKind, &str, String)> = phrase
            .iter()
            .map(|word| {
                let kind = if is_negation(word) {
                    WordKind::Negation
                } else if is_stop_word(word) {
                    WordKind::Stop
                } else {
                    WordKind::Content
                };
                let key = match kind {
                    WordKind::Content => stem(word, language),
                    _ => word.clone(),
                };
                (kind, word.as_str(), key)
            })
            .collect();
        for (kind, surface, key) in &words {
            if *kind == WordKind::Content {
                terms
                    .entry(key.clone())
                    .or_insert_with(|| (*surface).to_owned());
            }
        }
        for pair in words.windows(2) {
            let [
                (first_kind, first, first_key),
                (WordKind::Content, second, second_key),
            ] = pair
            else {
                continue;
            };
            if *first_kind != WordKind::Stop {
                terms
                    .entry(format!("{first_key} {second_key}"))
                    .or_insert_with(|| format!("{first} {second}"));
            }
        }
    }
    terms
}

/// Lower-cased words of two or more letters, in runs that punctuation does not break.
fn phrases(text: &str) -> Vec<Vec<String>> {
    let mut phrases = vec![Vec::new()];
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphabetic() {
            word.extend(c.to_lowercase());
            continue;
        }
        end_word(&mut word, &mut phrases);
        // Spaces, digits and the marks inside words (don't, e-mail) separate words;
        // every other mark ends the phrase.
        let inside_phrase =
            c.is_whitespace() || c.is_numeric() || matches!(c, '\'' | '’' | '-' | '‐' | '/');
        if !inside_phrase && phrases.last().is_some_and(|p| !p.is_empty()) {
            phrases.push(Vec::new());
        }
    }
    end_word(&mut word, &mut phrases);
    phrases.retain(|p| !p.is_empty());
    phrases
}

fn end_word(word: &mut String, phrases: &mut [Vec<String>]) {
    let word = std::mem::take(word);
    if word.chars().count() >= 2
        && let Some(phrase) = phrases.last_mut()
    {
        phrase.push(word);
    }
}

/// German if a comment uses more German than English stop words, English if the
/// other way round; a tie goes to German when a word has an umlaut or `ß`.
pub fn guess_language<'a>(words: impl IntoIterator<Item = &'a str>) -> Language {
    let (mut english, mut german, mut umlaut) = (0u32, 0u32, false);
    for word in words {
        english += u32::from(ENGLISH_STOP_WORDS.binary_search(&word).is_ok());
        german += u32::from(GERMAN_STOP_WORDS.binary_search(&word).is_ok());
        umlaut |= word.contains(['ä', 'ö', 'ü', 'ß']);
    }
    if german > english || (german == english && umlaut) {
        Language::German
    } else {
        Language::English
    }
}

/// A stop word of either language (lower-case), not counting negations.
pub fn is_stop_word(word: &str) -> bool {
    ENGLISH_STOP_WORDS.binary_search(&word).is_ok()
        || GERMAN_STOP_WORDS.binary_search(&word).is_ok()
        || NEGATIONS.binary_search(&word).is_ok()
}

fn is_negation(word: &str) -> bool {
    NEGATIONS.binary_search(&word).is_ok()
}

/// A light, readable stem of a lower-case word: one suffix off, never below three
/// letters. English: `-ies`→`-y`, `-es` after s/x/z/ch/sh, `-s`; then `-ing`, `-ed`
/// (undoubling `shipped`→`ship`), `-ly`; then a final `-e`, so that `arrive`,
/// `arrived` and `arriving` meet at `arriv`. German: the first of `-en`, `-er`, `-es`,
/// `-e`, `-n`, `-s` that fits (`lieferungen`→`lieferung`, `später`→`spät`).
pub fn stem(word: &str, language: Language) -> String {
    match language {
        Language::English => stem_english(word),
        Language::German => stem_german(word),
    }
}

fn chars_without(word: &str, suffix: &str) -> usize {
    word.chars().count() - suffix.chars().count()
}

/// `word` without `suffix` if what remains is long enough.
fn strip<'w>(word: &'w str, suffix: &str) -> Option<&'w str> {
    word.strip_suffix(suffix)
        .filter(|_| chars_without(word, suffix) >= MIN_STEM_CHARS)
}

fn stem_english(word: &str) -> String {
    let mut w = word.to_owned();
    if let Some(base) = strip(&w, "ies").filter(|b| b.chars().count() > MIN_STEM_CHARS) {
        w = format!("{base}y");
    } else if let Some(base) = w.strip_suffix("sses") {
        w = format!("{base}ss");
    } else if let Some(base) =
        strip(&w, "es").filter(|b| ["s", "x", "z", "ch", "sh"].iter().any(|s| b.ends_with(s)))
    {
        w = base.to_owned();
    } else if let Some(base) =
        strip(&w, "s").filter(|b| !(b.ends_with('s') || b.ends_with('u') || b.ends_with('i')))
    {
        w = base.to_owned();
    }

    if let Some(base) = strip(&w, "ing") {
        w = undouble(base);
    } else if let Some(base) = strip(&w, "ed").filter(|b| !b.ends_with('e')) {
        w = undouble(base);
    } else if let Some(base) = strip(&w, "ly")
        .filter(|b| b.chars().count() > MIN_STEM_CHARS && !b.ends_with('i') && !b.ends_with('p'))
    {
        w = base.to_owned();
    }

    if let Some(base) = strip(&w, "e") {
        w = base.to_owned();
    }
    w
}

/// `shipp` → `ship`, but `fall` stays `fall` and `pass` stays `pass`.
fn undouble(base: &str) -> String {
    let mut chars = base.chars().rev();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a == b && !"aeioulsz".contains(a) => {
            base[..base.len() - a.len_utf8()].to_owned()
        }
        _ => base.to_owned(),
    }
}

fn stem_german(word: &str) -> String {
    for suffix in ["en", "er", "es", "e", "n"] {
        if let Some(base) = strip(word, suffix) {
            return base.to_owned();
        }
    }
    // `preis` and `haus` are not plurals.
    strip(word, "s")
        .filter(|b| !(b.ends_with('s') || b.ends_with('i') || b.ends_with('u')))
        .unwrap_or(word)
        .to_owned()
}

// The lists below are sorted by bytes (a test holds them to it) for binary search.

const ENGLISH_STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "down",
    "during",
    "each",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "get",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "ll",
    "me",
    "more",
    "most",
    "much",
    "my",
    "myself",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "re",
    "really",
    "same",
    "she",
    "should",
    "so",
    "some",
    "still",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "ve",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

const GERMAN_STOP_WORDS: &[&str] = &[
    "aber", "alle", "allem", "allen", "aller", "alles", "als", "also", "am", "an", "andere",
    "anderen", "auch", "auf", "aus", "bei", "beim", "bin", "bis", "bist", "bzw", "da", "dabei",
    "dadurch", "dafür", "damit", "dann", "das", "dass", "dein", "deine", "dem", "den", "denn",
    "der", "des", "deshalb", "dessen", "die", "dies", "diese", "diesem", "diesen", "dieser",
    "dieses", "doch", "dort", "du", "durch", "eben", "ein", "eine", "einem", "einen", "einer",
    "eines", "er", "es", "etwas", "euch", "euer", "für", "gab", "ganz", "gegen", "gewesen", "gibt",
    "hab", "habe", "haben", "halt", "hat", "hatte", "hatten", "hier", "hin", "ich", "ihm", "ihn",
    "ihnen", "ihr", "ihre", "im", "immer", "in", "ins", "ist", "ja", "jede", "jedem", "jeden",
    "jeder", "jedes", "jetzt", "kann", "können", "könnte", "mal", "man", "mein", "meine", "meinem",
    "meinen", "meiner", "mich", "mir", "mit", "muss", "musste", "nach", "noch", "nun", "nur", "ob",
    "oder", "ohne", "schon", "sehr", "sein", "seine", "sich", "sie", "sind", "so", "soll",
    "sollte", "um", "und", "uns", "unser", "unsere", "unter", "vom", "von", "vor", "war", "waren",
    "warum", "was", "weil", "welche", "wenn", "wer", "werde", "werden", "wie", "wieder", "wir",
    "wird", "wo", "wurde", "wurden", "zu", "zum", "zur", "zwar", "zwischen", "über",
];

/// Stop words on their own, but they may open a pair (`not arrived`).
const NEGATIONS: &[&str] = &[
    "aren", "cannot", "couldn", "didn", "doesn", "don", "hadn", "hasn", "haven", "isn", "kein",
    "keine", "keinem", "keinen", "keiner", "keines", "never", "nicht", "nichts", "nie", "niemals",
    "no", "nor", "not", "nothing", "shouldn", "wasn", "weren", "won", "wouldn",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn comment(category: Category, text: &str) -> ThemeComment<'_> {
        ThemeComment { category, text }
    }

    fn corpus() -> Vec<ThemeComment<'static>> {
        use Category::*;
        vec![
            comment(Detractor, "Lieferung kam zu spät"),
            comment(
                Detractor,
                "Die Lieferung war zu spät, und der Support antwortet nicht.",
            ),
            comment(Detractor, "Late delivery, again."),
            comment(Detractor, "The delivery was late and the box was damaged"),
            comment(Detractor, "Very late delivery!"),
            comment(Detractor, "Nobody called back. Support not reachable"),
            comment(Promoter, "Great quality, friendly support"),
            comment(Promoter, "Tolle Qualität und super Beratung"),
            comment(Promoter, "Great prices and great quality"),
            comment(Promoter, "Super Qualität, gerne wieder"),
            comment(Promoter, "Friendly staff and fast delivery"),
            comment(Passive, "Late delivery late delivery late delivery"),
        ]
    }

    fn terms(list: &[CommentTheme]) -> Vec<&str> {
        list.iter().map(|t| t.term.as_str()).collect()
    }

    #[test]
    fn late_deliveries_set_detractors_apart_in_both_languages() {
        let found = themes(corpus(), &ThemeOptions::default());
        let top = terms(&found.detractor);
        assert_eq!(found.detractor_comments, 6);
        assert_eq!(found.promoter_comments, 5);
        // Three detractors and no promoter say "late": the strongest evidence.
        assert_eq!(top[0], "late");
        for expected in ["late", "late delivery", "lieferung", "spät"] {
            assert!(top.contains(&expected), "{expected} not in {top:?}");
        }
        // `delivery` is said by a promoter too, so it ranks below the purely
        // detractor terms but still leans detractor: 3 of 6 against 1 of 5.
        let delivery = found
            .detractor
            .iter()
            .find(|t| t.term == "delivery")
            .unwrap();
        assert_eq!((delivery.detractors, delivery.promoters), (3, 1));
        let late = found.detractor.iter().find(|t| t.term == "late").unwrap();
        assert!(late.score > delivery.score);
        for stop in ["zu", "the", "was", "und", "der", "nicht", "kam zu"] {
            assert!(!top.contains(&stop), "stop word {stop} in {top:?}");
        }
    }

    #[test]
    fn praise_sets_promoters_apart() {
        let found = themes(corpus(), &ThemeOptions::default());
        let top = terms(&found.promoter);
        for expected in ["great", "quality", "qualität", "super", "friendly"] {
            assert!(top.contains(&expected), "{expected} not in {top:?}");
        }
        assert!(!top.contains(&"late"));
        assert!(found.promoter.iter().all(|t| t.score > 0.0));
    }

    #[test]
    fn passives_and_repetition_do_not_count() {
        // The passive's triple "late delivery" adds nothing; each detractor comment
        // counts once.
        let found = themes(corpus(), &ThemeOptions::default());
        let late = found.detractor.iter().find(|t| t.term == "late").unwrap();
        assert_eq!((late.detractors, late.promoters), (3, 0));
    }

    #[test]
    fn examples_are_the_shortest_comments_of_that_side() {
        let found = themes(corpus(), &ThemeOptions::default());
        let delivery = found
            .detractor
            .iter()
            .find(|t| t.term == "delivery")
            .unwrap();
        assert_eq!(
            delivery.examples,
            [
                "Very late delivery!",
                "Late delivery, again.",
                "The delivery was late and the box was damaged",
            ]
        );
    }

    #[test]
    fn the_lists_are_sorted_by_score_then_stem_and_cut_to_top_n() {
        let found = themes(
            corpus(),
            &ThemeOptions {
                top_n: 3,
                min_comments: 1,
            },
        );
        assert_eq!(found.detractor.len(), 3);
        for list in [&found.detractor, &found.promoter] {
            for pair in list.windows(2) {
                assert!(
                    pair[0].score > pair[1].score
                        || (pair[0].score == pair[1].score && pair[0].stem < pair[1].stem)
                );
            }
        }
    }

    #[test]
    fn a_negation_opens_a_pair_but_is_no_theme_alone() {
        let found = themes(
            corpus(),
            &ThemeOptions {
                top_n: 100,
                min_comments: 1,
            },
        );
        let all = terms(&found.detractor);
        assert!(all.contains(&"not reachable"), "{all:?}");
        assert!(!all.contains(&"not") && !all.contains(&"nicht"));
        // Pairs stop at punctuation: "back. Support" is no pair.
        assert!(!all.contains(&"back support"));
    }

    #[test]
    fn without_two_sides_there_is_nothing_to_contrast() {
        let found = themes(
            [
                comment(Category::Detractor, "late delivery"),
                comment(Category::Detractor, "late delivery again"),
            ],
            &ThemeOptions::default(),
        );
        assert!(found.detractor.is_empty() && found.promoter.is_empty());
        assert!(themes([], &ThemeOptions::default()).detractor.is_empty());
        let lone = themes(
            [comment(Category::Detractor, "late")],
            &ThemeOptions::default(),
        );
        assert!(lone.detractor.is_empty());
    }

    #[test]
    fn the_most_written_form_is_shown() {
        use Category::*;
        let found = themes(
            [
                comment(Detractor, "deliveries late"),
                comment(Detractor, "delivery slow"),
                comment(Detractor, "delivery broken"),
                comment(Promoter, "great"),
                comment(Promoter, "great staff"),
            ],
            &ThemeOptions::default(),
        );
        let theme = &found.detractor[0];
        assert_eq!(
            (theme.term.as_str(), theme.stem.as_str()),
            ("delivery", "delivery")
        );
        assert_eq!(theme.detractors, 3);
    }

    #[test]
    fn english_suffixes_come_off_readably() {
        let en = |w: &str| stem(w, Language::English);
        assert_eq!(en("deliveries"), "delivery");
        assert_eq!(en("delivered"), "deliver");
        assert_eq!(en("orders"), "order");
        assert_eq!(en("boxes"), "box");
        assert_eq!(en("shipping"), "ship");
        assert_eq!(en("shipped"), "ship");
        assert_eq!(en("quickly"), "quick");
        assert_eq!(en("arrive"), en("arrived"));
        assert_eq!(en("arriving"), en("arrived"));
        assert_eq!(en("price"), en("prices"));
        // Too short to strip, or not a suffix at all.
        assert_eq!(en("used"), "used");
        assert_eq!(en("speed"), "speed");
        assert_eq!(en("status"), "status");
        assert_eq!(en("family"), "family");
        assert_eq!(en("class"), "class");
    }

    #[test]
    fn german_suffixes_come_off_readably() {
        let de = |w: &str| stem(w, Language::German);
        assert_eq!(de("lieferungen"), "lieferung");
        assert_eq!(de("lieferung"), "lieferung");
        assert_eq!(de("später"), "spät");
        assert_eq!(de("späte"), "spät");
        assert_eq!(de("pakete"), "paket");
        assert_eq!(de("paketes"), "paket");
        assert_eq!(de("pakets"), "paket");
        assert_eq!(de("freundlichen"), "freundlich");
        assert_eq!(de("preis"), "preis");
        assert_eq!(de("gut"), "gut");
    }

    #[test]
    fn the_language_follows_the_stop_words() {
        let guess = |t: &str| guess_language(t.split(' '));
        assert_eq!(guess("lieferung kam zu spät"), Language::German);
        assert_eq!(guess("the delivery was late"), Language::English);
        assert_eq!(guess("lieferung spät"), Language::German);
        assert_eq!(guess("late delivery"), Language::English);
    }

    #[test]
    fn words_split_on_non_letters_and_keep_umlauts() {
        assert_eq!(
            phrases("Größe: 2x falsch!! Über-teuert; don't"),
            [
                vec!["größe".to_owned()],
                vec!["falsch".to_owned()],
                vec!["über".to_owned(), "teuert".to_owned()],
                vec!["don".to_owned()],
            ]
        );
    }

    #[test]
    fn the_word_lists_are_sorted_for_binary_search() {
        for list in [ENGLISH_STOP_WORDS, GERMAN_STOP_WORDS, NEGATIONS] {
            for pair in list.windows(2) {
                assert!(pair[0] < pair[1], "{} before {}", pair[0], pair[1]);
            }
        }
    }

    proptest! {
        #[test]
        fn themes_are_deterministic_and_lean_their_way(
            texts in prop::collection::vec(("[a-zäöü ,.]{0,40}", 0u8..=10), 0..30)
        ) {
            let comments: Vec<ThemeComment> = texts
                .iter()
                .map(|(t, s)| ThemeComment {
                    category: crate::score::Score::try_from(*s).unwrap().category(),
                    text: t,
                })
                .collect();
            let options = ThemeOptions { top_n: 5, min_comments: 1 };
            let once = themes(comments.clone(), &options);
            prop_assert_eq!(&once, &themes(comments, &options));
            for theme in once.detractor.iter().chain(&once.promoter) {
                prop_assert!(theme.score > 0.0 && theme.score.is_finite());
                prop_assert!(theme.examples.len() <= MAX_EXAMPLES);
                prop_assert!(!theme.examples.is_empty());
            }
            prop_assert!(once.detractor.len() <= 5 && once.promoter.len() <= 5);
        }
    }
}
