//! Themes: the synonym groups, words and word pairs that most set detractors'
//! comments apart from promoters' comments, and the other way round, in German and
//! English; each with its share of either side, its trend and its comments.
//!
//! This is deliberately light text mining that runs inside the worker on every report:
//! lower-casing, splitting on everything that is not a letter (so `äöüß` stay inside
//! words), built-in stop words for both languages, synonym groups
//! ([`crate::synonyms`]), a light suffix stripper instead of a real stemmer, a
//! log-odds ratio to rank what is left, and a merge of terms that cover the same
//! comments. It must not depend on `serde_json`, a clock, or any language model or
//! dictionary data: it builds without the `server` feature and gives the same answer
//! for the same comments, always.
//!
//! # What is counted
//!
//! A *term* is a word key or a pair of adjacent word keys (`late delivery`). A word's
//! key is its synonym group (`delivery`, `Lieferung`, `parcel` and `Versand` are all
//! `=delivery`; see [`crate::synonyms`] for typos) or, outside every group, its stem
//! (`invoices` → `invoic`). Pairs never span punctuation (`fast. bad` is no pair), two
//! content words are one pair in either order (`late delivery` = `delivery late`), two
//! words of one group make no pair, and a pair may start with a negation (`not
//! arrived`, `nicht erreichbar`) even though a negation on its own is a stop word.
//! Counts are *comments*, not occurrences: "bad bad bad" is one comment saying "bad",
//! so one loud customer cannot make a theme.
//!
//! Each comment is stemmed as German or English according to which language's stop
//! words it uses more; a tie goes to German if the comment has an umlaut or `ß`, else to
//! English. A group is shown by its key (`delivery`), anything else by its most
//! frequent written form.
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
//! outranking a word said by twenty. A theme list considers only terms that lean its
//! way (score > 0 for that side) and that at least `min_comments` comments of that side
//! contain, the best [`MAX_CANDIDATES`] of them; each list reports its own side's
//! score, so both lists are positive. Without comments on both sides nothing leans
//! anywhere (every δ is 0), so both lists are empty: a contrast needs two sides.
//!
//! # Merging: one theme per set of comments
//!
//! Two terms are *nearly the same* when the sets of comments (of both sides) that
//! contain them have a Jaccard index |A ∩ B| / |A ∪ B| of at least [`MERGE_JACCARD`]
//! (0.8): "came", "came late", "delivery", "delivery came" and "late" said by the same
//! twelve comments are one theme. Going down a side's candidates by score, a term
//! joins the first cluster whose first (best) term is nearly the same, else opens a
//! new one (at most twice `top_n`). Each cluster is shown by its most specific term —
//! the first pair, else the first word of a department's group
//! ([`crate::synonyms::DEPARTMENTS`]), else its best term — and the others are listed
//! in `merged`. A cluster whose shown term is nearly the same as that of a better
//! cluster is dropped, so **no two themes of a list cover nearly the same comments**;
//! clusters rank by their best term's score, and the first `top_n` are the themes.
//! A theme's counts, shares, trend and comments are those of its shown term.
//!
//! # What a theme carries
//!
//! `detractor_share` and `promoter_share`: the theme's comments of that side over all
//! comments of that side. `trend`: its comments per bucket of the report's trend
//! (index for index, the caller says which bucket each comment is in), counting the
//! comments of the theme's own side: what detractors (or promoters) said over time;
//! beside `detractor_buckets` / `promoter_buckets`, all comments of that side per
//! bucket, for a share. `comments`: the newest
//! [`MAX_LISTED_COMMENTS`] with their answer's id, score and time, to click through.
//! Examples are the shortest comments of that side containing the term (up to
//! [`MAX_EXAMPLES`], ties by text): the quickest to read on a dashboard.

use crate::score::{Category, Score};
use crate::synonyms;
use crate::time::rfc3339;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many themes per side a report shows unless asked otherwise.
pub const DEFAULT_TOP_N: usize = 10;
/// In how many comments of its side a term must appear unless asked otherwise.
pub const DEFAULT_MIN_COMMENTS: u64 = 2;
/// Example comments per theme.
pub const MAX_EXAMPLES: usize = 3;
/// Two terms whose comment sets have at least this Jaccard index are one theme.
pub const MERGE_JACCARD: f64 = 0.8;
/// Comments listed with a theme, newest first.
pub const MAX_LISTED_COMMENTS: usize = 25;
/// Terms of one side considered for merging, best first: bounds the work of a report
/// on thousands of comments.
pub const MAX_CANDIDATES: usize = 400;
/// Shorter stems are not stripped further: `used` stays `used`, not `us`.
const MIN_STEM_CHARS: usize = 3;
/// What marks a synonym group's key among stems (`=delivery`).
const GROUP_MARK: char = '=';

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

/// One comment, who wrote it with what score and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThemeComment<'a> {
    pub score: Score,
    pub text: &'a str,
    /// The answer's id, listed with the themes it has.
    pub id: &'a str,
    /// Unix ms.
    pub created_at: i64,
    /// Which bucket of the report's trend the answer is in; `None` leaves it off the
    /// themes' trends.
    pub bucket: Option<usize>,
}

/// One comment of a theme, to click through to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeMention {
    /// The answer's id.
    pub id: String,
    pub score: Score,
    /// RFC 3339.
    pub created_at: String,
    pub comment: String,
}

/// A word, word pair or synonym group that sets one side's comments apart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommentTheme {
    /// What to show: a synonym group's key (`delivery`), else the most frequent
    /// written form (`late delivery`).
    pub term: String,
    /// The stable key behind it (`=late =delivery`); not meant for display.
    pub stem: String,
    /// Detractor comments containing the term.
    pub detractors: u64,
    /// Promoter comments containing the term.
    pub promoters: u64,
    /// The z-score of the log-odds ratio, towards this theme's side (> 0).
    pub score: f64,
    /// Up to three of this side's comments containing the term, shortest first.
    pub examples: Vec<String>,
    /// The synonym group the theme is about (`delivery`, `price`, …): its own, or that
    /// of a word of it, or of a term merged into it; `None` when no word has one.
    #[serde(default)]
    pub group: Option<String>,
    /// The other terms that covered nearly the same comments and were merged into
    /// this one (`came`, `came late`), best first.
    #[serde(default)]
    pub merged: Vec<String>,
    /// `detractors` / the detractor comments (0 without any).
    #[serde(default)]
    pub detractor_share: f64,
    /// `promoters` / the promoter comments (0 without any).
    #[serde(default)]
    pub promoter_share: f64,
    /// Comments of this theme's side with the term per bucket of the report's trend,
    /// index for index; divide by the themes' `detractor_buckets` (or
    /// `promoter_buckets`) for a share.
    #[serde(default)]
    pub trend: Vec<u64>,
    /// The comments (of both sides) containing the term, newest first, at most
    /// [`MAX_LISTED_COMMENTS`]; `detractors + promoters` says how many there are.
    #[serde(default)]
    pub comments: Vec<ThemeMention>,
}

/// What sets detractors apart (`detractor`) and what sets promoters apart (`promoter`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Themes {
    /// Detractor comments the themes were drawn from.
    pub detractor_comments: u64,
    /// Promoter comments the themes were drawn from.
    pub promoter_comments: u64,
    /// Detractor comments per bucket of the report's trend.
    #[serde(default)]
    pub detractor_buckets: Vec<u64>,
    /// Promoter comments per bucket of the report's trend.
    #[serde(default)]
    pub promoter_buckets: Vec<u64>,
    pub detractor: Vec<CommentTheme>,
    pub promoter: Vec<CommentTheme>,
}

/// The languages with built-in stop words and suffix rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    English,
    German,
}

/// A comment of one side, as the themes keep it.
struct Entry<'a> {
    side: usize,
    comment: ThemeComment<'a>,
}

/// The themes of detractors' versus promoters' comments, with trends over `buckets`
/// buckets. Passives' comments and blank comments are ignored.
pub fn themes<'a>(
    comments: impl IntoIterator<Item = ThemeComment<'a>>,
    options: &ThemeOptions,
    buckets: usize,
) -> Themes {
    let mut entries: Vec<Entry<'a>> = Vec::new();
    let mut sides = [0u64; 2];
    let mut bucket_comments = [vec![0u64; buckets], vec![0u64; buckets]];
    let mut stats: BTreeMap<String, TermStats> = BTreeMap::new();
    let mut groups = GroupCache::new();
    for comment in comments {
        let side = match comment.score.category() {
            Category::Detractor => DETRACTOR,
            Category::Promoter => PROMOTER,
            Category::Passive => continue,
        };
        let text = comment.text.trim();
        if text.is_empty() {
            continue;
        }
        let index = entries.len();
        sides[side] += 1;
        if let Some(count) = comment
            .bucket
            .and_then(|b| bucket_comments[side].get_mut(b))
        {
            *count += 1;
        }
        for (stem, surface) in comment_terms(text, &mut groups) {
            let entry = stats.entry(stem).or_default();
            entry.comments[side] += 1;
            entry.members.push(index);
            *entry.surfaces.entry(surface).or_default() += 1;
        }
        entries.push(Entry {
            side,
            comment: ThemeComment { text, ..comment },
        });
    }

    let totals = [DETRACTOR, PROMOTER]
        .map(|side| stats.values().map(|s| s.comments[side] as f64).sum::<f64>());
    let mut lists: [Vec<Candidate>; 2] = [Vec::new(), Vec::new()];
    for (stem, term) in &stats {
        let Some(z) = log_odds_z(term.comments, totals) else {
            continue;
        };
        for (side, score) in [(DETRACTOR, z), (PROMOTER, -z)] {
            if score > 0.0 && term.comments[side] >= options.min_comments.max(1) {
                lists[side].push(Candidate { score, stem, term });
            }
        }
    }

    let [detractor, promoter] = [DETRACTOR, PROMOTER].map(|side| {
        let list = &mut lists[side];
        // Stems are unique, so this order is total.
        list.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.stem.cmp(b.stem)));
        list.truncate(MAX_CANDIDATES);
        merged(list, options.top_n)
            .into_iter()
            .map(|cluster| {
                let theme = &list[cluster[0]];
                let members = &theme.term.members;
                let on_side = |i: &&usize| entries.get(**i).is_some_and(|e| e.side == side);
                let side_texts: Vec<&str> = members
                    .iter()
                    .filter(on_side)
                    .filter_map(|&i| entries.get(i).map(|e| e.comment.text))
                    .collect();
                let mut trend = vec![0u64; buckets];
                for e in members.iter().filter_map(|&i| entries.get(i)) {
                    if e.side != side {
                        continue;
                    }
                    if let Some(count) = e.comment.bucket.and_then(|b| trend.get_mut(b)) {
                        *count += 1;
                    }
                }
                let share = |count: u64, of: u64| {
                    if of == 0 {
                        0.0
                    } else {
                        count as f64 / of as f64
                    }
                };
                CommentTheme {
                    term: theme.display(),
                    stem: theme.stem.clone(),
                    detractors: theme.term.comments[DETRACTOR],
                    promoters: theme.term.comments[PROMOTER],
                    score: theme.score,
                    examples: examples(&side_texts),
                    group: cluster
                        .iter()
                        .filter_map(|&i| list[i].group())
                        .find(|g| synonyms::DEPARTMENTS.contains(g))
                        .or_else(|| cluster.iter().find_map(|&i| list[i].group()))
                        .map(str::to_owned),
                    merged: cluster[1..].iter().map(|&i| list[i].display()).collect(),
                    detractor_share: share(theme.term.comments[DETRACTOR], sides[DETRACTOR]),
                    promoter_share: share(theme.term.comments[PROMOTER], sides[PROMOTER]),
                    trend,
                    comments: mentions(&entries, members),
                }
            })
            .collect()
    });
    Themes {
        detractor_comments: sides[DETRACTOR],
        promoter_comments: sides[PROMOTER],
        detractor_buckets: std::mem::take(&mut bucket_comments[DETRACTOR]),
        promoter_buckets: std::mem::take(&mut bucket_comments[PROMOTER]),
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
    /// Indexes of those comments (of both sides), ascending.
    members: Vec<usize>,
    /// How often each written form stood for the term.
    surfaces: BTreeMap<String, u64>,
}

/// A term that leans one side, with its z-score towards that side.
struct Candidate<'s> {
    score: f64,
    stem: &'s String,
    term: &'s TermStats,
}

impl Candidate<'_> {
    fn is_pair(&self) -> bool {
        self.stem.contains(' ')
    }

    /// A group's key; else the most frequent written form, the alphabetically first
    /// among equals.
    fn display(&self) -> String {
        if let Some(key) = self.stem.strip_prefix(GROUP_MARK)
            && !self.is_pair()
        {
            return key.to_owned();
        }
        let mut best: Option<(&String, u64)> = None;
        for (surface, &count) in &self.term.surfaces {
            if best.is_none_or(|(_, c)| count > c) {
                best = Some((surface, count));
            }
        }
        best.map(|(s, _)| s.clone()).unwrap_or_default()
    }

    /// The synonym group of the term or of its first word that has one.
    fn group(&self) -> Option<&str> {
        self.stem
            .split(' ')
            .find_map(|key| key.strip_prefix(GROUP_MARK))
    }
}

/// The themes of one side: clusters of candidates (indexes, the shown one first), best
/// first, at most `top_n`. See "Merging" in the module doc.
fn merged(list: &[Candidate], top_n: usize) -> Vec<Vec<usize>> {
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for (i, candidate) in list.iter().enumerate() {
        let seed = clusters.iter().position(|c| {
            jaccard(&list[c[0]].term.members, &candidate.term.members) >= MERGE_JACCARD
        });
        if let Some(cluster) = seed.and_then(|at| clusters.get_mut(at)) {
            cluster.push(i);
        } else if clusters.len() < top_n.saturating_mul(2) {
            clusters.push(vec![i]);
        }
    }
    let mut themes: Vec<Vec<usize>> = Vec::new();
    for mut cluster in clusters {
        // The most specific term is shown: a pair over a word, then a department's
        // group over another word, then the better score (the cluster is in score
        // order, so the first such).
        let department = |i: usize| {
            list[i]
                .group()
                .is_some_and(|g| synonyms::DEPARTMENTS.contains(&g))
        };
        let shown = cluster
            .iter()
            .position(|&i| list[i].is_pair())
            .or_else(|| cluster.iter().position(|&i| department(i)));
        if let Some(at) = shown
            && at > 0
        {
            let shown = cluster.remove(at);
            cluster.insert(0, shown);
        }
        let shown = &list[cluster[0]].term.members;
        if themes
            .iter()
            .all(|t| jaccard(&list[t[0]].term.members, shown) < MERGE_JACCARD)
        {
            themes.push(cluster);
        }
        if themes.len() == top_n {
            break;
        }
    }
    themes
}

/// |a ∩ b| / |a ∪ b| of two ascending index lists; 0 for two empty ones.
pub fn jaccard(a: &[usize], b: &[usize]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let either = a.len() + b.len() - both;
    if either == 0 {
        0.0
    } else {
        both as f64 / either as f64
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

fn examples(texts: &[&str]) -> Vec<String> {
    let mut chosen: Vec<&str> = texts.to_vec();
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

/// The newest [`MAX_LISTED_COMMENTS`] of those comments, ties by id.
fn mentions(entries: &[Entry], members: &[usize]) -> Vec<ThemeMention> {
    let mut listed: Vec<&ThemeComment> = members
        .iter()
        .filter_map(|&i| entries.get(i).map(|e| &e.comment))
        .collect();
    listed.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(b.id)));
    listed
        .into_iter()
        .take(MAX_LISTED_COMMENTS)
        .map(|c| ThemeMention {
            id: c.id.to_owned(),
            score: c.score,
            created_at: rfc3339(c.created_at),
            comment: c.text.to_owned(),
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WordKind {
    Stop,
    Negation,
    Content,
}

/// The synonym groups of words already looked up in one [`themes`] call: a typo check
/// runs once per distinct word, not once per occurrence.
type GroupCache = BTreeMap<String, Option<&'static str>>;

/// The key of a content word: its synonym group's (`=delivery`), else its stem.
fn word_key(word: &str, language: Language, groups: &mut GroupCache) -> String {
    let group = match groups.get(word) {
        Some(group) => *group,
        None => {
            let group = synonyms::group_of(word);
            groups.insert(word.to_owned(), group);
            group
        }
    };
    match group {
        Some(key) => format!("{GROUP_MARK}{key}"),
        None => stem(word, language),
    }
}

/// The synonym groups a comment talks about (`delivery`, `price`, …), in table
/// order: what a cause can be suggested from.
pub fn comment_groups(text: &str) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = phrases(text)
        .iter()
        .flatten()
        .filter(|w| !is_stop_word(w))
        .filter_map(|w| synonyms::group_of(w))
        .collect();
    found.sort_by_key(|key| synonyms::GROUPS.iter().position(|g| g.key == *key));
    found.dedup();
    found
}

/// The distinct terms of one comment, each as (stem key, written form).
fn comment_terms(text: &str, groups: &mut GroupCache) -> BTreeMap<String, String> {
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
                    WordKind::Content => word_key(word, language, groups),
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
            // Two content words are one pair in either order (`late delivery`,
            // `delivery late`); a negation stays in front (`not arrived`).
            let key = match first_kind {
                WordKind::Stop => continue,
                WordKind::Content if second_key < first_key => {
                    format!("{second_key} {first_key}")
                }
                _ => format!("{first_key} {second_key}"),
            };
            // The same group twice (`delivery parcel`) is no pair: the group says it.
            if first_key == second_key {
                continue;
            }
            terms
                .entry(key)
                .or_insert_with(|| format!("{first} {second}"));
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
    use std::collections::BTreeSet;

    /// A comment scored like its side (2, 8 or 10), at minute `at`.
    fn comment(category: Category, text: &str) -> ThemeComment<'_> {
        let score = match category {
            Category::Detractor => 2u8,
            Category::Passive => 8,
            Category::Promoter => 10,
        };
        ThemeComment {
            score: Score::try_from(score).unwrap(),
            text,
            id: "",
            created_at: 0,
            bucket: None,
        }
    }

    fn small() -> Vec<ThemeComment<'static>> {
        use Category::*;
        vec![
            comment(Detractor, "Lieferung kam zu spät"),
            comment(
                Detractor,
                "Die Lieferung war zu spät, und der Support antwortet nicht.",
            ),
            comment(Detractor, "Late delivery, again."),
            comment(Detractor, "The delivery was late and the box was damaged"),
            comment(Detractor, "Very late shipping!"),
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

    fn all() -> ThemeOptions {
        ThemeOptions {
            top_n: 100,
            min_comments: 1,
        }
    }

    #[test]
    fn late_deliveries_set_detractors_apart_in_both_languages() {
        let found = themes(small(), &ThemeOptions::default(), 0);
        let top = terms(&found.detractor);
        assert_eq!(found.detractor_comments, 6);
        assert_eq!(found.promoter_comments, 5);
        // Lieferung, delivery, shipping: one theme in both languages, said by five
        // detractors and a promoter; "late"/"spät" covers nearly the same detractors
        // (5 of 6 comments) and is merged into it.
        assert_eq!(top[0], "delivery", "{top:?}");
        let delivery = &found.detractor[0];
        assert_eq!((delivery.detractors, delivery.promoters), (5, 1));
        assert_eq!(delivery.group.as_deref(), Some("delivery"));
        assert_eq!(delivery.merged, ["late"]);
        for word in ["late", "lieferung", "spät", "shipping", "Lieferung"] {
            assert!(
                !top.contains(&word),
                "{word} is no theme of its own: {top:?}"
            );
        }
        for stop in ["zu", "the", "was", "und", "der", "nicht", "kam zu"] {
            assert!(!top.contains(&stop), "stop word {stop} in {top:?}");
        }
    }

    #[test]
    fn praise_sets_promoters_apart() {
        let found = themes(small(), &ThemeOptions::default(), 0);
        let top = terms(&found.promoter);
        assert_eq!(top[..3], ["product", "friendly staff", "great quality"]);
        assert_eq!(found.promoter[0].group.as_deref(), Some("product"));
        assert!(!top.contains(&"late"));
        assert!(found.promoter.iter().all(|t| t.score > 0.0));
    }

    #[test]
    fn shares_are_of_each_sides_comments() {
        let found = themes(small(), &ThemeOptions::default(), 0);
        let delivery = found
            .detractor
            .iter()
            .find(|t| t.term == "delivery")
            .unwrap();
        assert_eq!(delivery.detractor_share, 5.0 / 6.0);
        assert_eq!(delivery.promoter_share, 1.0 / 5.0);
    }

    #[test]
    fn passives_and_repetition_do_not_count() {
        let found = themes(small(), &ThemeOptions::default(), 0);
        let delivery = found
            .detractor
            .iter()
            .find(|t| t.term == "delivery")
            .unwrap();
        assert_eq!((delivery.detractors, delivery.promoters), (5, 1));
        assert_eq!(delivery.comments.len(), 6);
    }

    #[test]
    fn examples_are_the_shortest_comments_of_that_side() {
        let found = themes(small(), &ThemeOptions::default(), 0);
        let delivery = found
            .detractor
            .iter()
            .find(|t| t.term == "delivery")
            .unwrap();
        assert_eq!(
            delivery.examples,
            [
                "Very late shipping!",
                "Late delivery, again.",
                "Lieferung kam zu spät",
            ]
        );
    }

    #[test]
    fn the_lists_are_sorted_by_score_then_stem_and_cut_to_top_n() {
        let options = ThemeOptions {
            top_n: 3,
            min_comments: 1,
        };
        let found = themes(small(), &options, 0);
        assert_eq!(found.detractor.len(), 3);
        for list in [&found.detractor, &found.promoter] {
            for pair in list.windows(2) {
                assert!(pair[0].score >= pair[1].score, "{:?}", terms(list));
            }
        }
    }

    #[test]
    fn a_negation_opens_a_pair_but_is_no_theme_alone() {
        let found = themes(small(), &all(), 0);
        let every: Vec<&str> = found
            .detractor
            .iter()
            .flat_map(|t| {
                std::iter::once(t.term.as_str()).chain(t.merged.iter().map(String::as_str))
            })
            .collect();
        assert!(every.contains(&"not reachable"), "{every:?}");
        assert!(!every.contains(&"not") && !every.contains(&"nicht"));
        // Pairs stop at punctuation: "back. Support" is no pair.
        assert!(
            !every
                .iter()
                .any(|t| t.contains("back support") || t.contains("back Support"))
        );
    }

    #[test]
    fn without_two_sides_there_is_nothing_to_contrast() {
        let found = themes(
            [
                comment(Category::Detractor, "late delivery"),
                comment(Category::Detractor, "late delivery again"),
            ],
            &ThemeOptions::default(),
            0,
        );
        assert!(found.detractor.is_empty() && found.promoter.is_empty());
        assert!(themes([], &ThemeOptions::default(), 0).detractor.is_empty());
        let lone = themes(
            [comment(Category::Detractor, "late")],
            &ThemeOptions::default(),
            0,
        );
        assert!(lone.detractor.is_empty());
    }

    #[test]
    fn a_word_of_no_group_shows_its_most_written_form() {
        use Category::*;
        let found = themes(
            [
                comment(Detractor, "invoices wrong"),
                comment(Detractor, "invoice missing"),
                comment(Detractor, "invoice unclear"),
                comment(Promoter, "great"),
                comment(Promoter, "great staff"),
            ],
            &ThemeOptions::default(),
            0,
        );
        let theme = &found.detractor[0];
        assert_eq!(
            (theme.term.as_str(), theme.stem.as_str()),
            ("invoice", "invoic")
        );
        assert_eq!(theme.detractors, 3);
    }

    #[test]
    fn terms_that_cover_the_same_comments_are_one_theme_shown_by_its_pair() {
        // The issue's demo: "came", "came late", "delivery", "delivery came" and "late"
        // were five themes of the same comments.
        use Category::*;
        let mut comments = vec![
            comment(Detractor, "The delivery came late"),
            comment(Detractor, "delivery came late again"),
            comment(Detractor, "My delivery came late."),
            comment(Detractor, "Delivery came late, twice"),
            comment(Detractor, "delivery came late and wet"),
        ];
        for text in [
            "Great quality",
            "great staff",
            "Great prices",
            "Lovely quality",
        ] {
            comments.push(comment(Promoter, text));
        }
        let found = themes(comments, &all(), 0);
        let shown: Vec<&CommentTheme> = found
            .detractor
            .iter()
            .filter(|t| t.detractors == 5)
            .collect();
        assert_eq!(shown.len(), 1, "{:?}", terms(&found.detractor));
        let theme = shown[0];
        assert!(theme.term.contains(' '), "a pair is shown: {}", theme.term);
        let mut covered: Vec<&str> = theme.merged.iter().map(String::as_str).collect();
        covered.push(&theme.term);
        covered.sort();
        assert_eq!(
            covered,
            ["came", "delivery", "delivery came", "came late", "late"]
                .iter()
                .copied()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_trend_counts_each_themes_comments_per_bucket() {
        use Category::*;
        let texts = [
            (Detractor, "late delivery", 0),
            (Detractor, "delivery late", 0),
            (Detractor, "parcel late", 2),
            (Promoter, "great staff", 1),
            (Promoter, "great staff", 2),
            (Promoter, "friendly staff", 2),
        ];
        let found = themes(
            texts
                .iter()
                .enumerate()
                .map(|(i, (category, text, bucket))| ThemeComment {
                    bucket: Some(*bucket),
                    created_at: i as i64,
                    ..comment(*category, text)
                }),
            &all(),
            3,
        );
        assert_eq!(found.detractor_buckets, [2, 0, 1]);
        assert_eq!(found.promoter_buckets, [0, 1, 2]);
        // Every detractor says delivery and late: one theme, shown by its pair.
        assert_eq!(found.detractor.len(), 1);
        let delivery = &found.detractor[0];
        assert_eq!(
            (delivery.term.as_str(), delivery.merged.len()),
            ("delivery late", 2)
        );
        assert_eq!(delivery.trend, [2, 0, 1]);
        let staff = found.promoter.iter().find(|t| t.term == "service").unwrap();
        assert_eq!(staff.trend, [0, 1, 2]);
    }

    #[test]
    fn a_themes_comments_are_listed_newest_first_and_capped() {
        use Category::*;
        let ids: Vec<String> = (0..40).map(|i| format!("r_{i:02}")).collect();
        let mut comments: Vec<ThemeComment> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| ThemeComment {
                id,
                created_at: i as i64 * 60_000,
                ..comment(Detractor, "parcel late")
            })
            .collect();
        comments.push(comment(Promoter, "great staff"));
        comments.push(comment(Promoter, "great quality"));
        let found = themes(comments, &ThemeOptions::default(), 0);
        let listed = &found.detractor[0].comments;
        assert_eq!(listed.len(), MAX_LISTED_COMMENTS);
        assert_eq!(listed[0].id, "r_39");
        assert_eq!(listed[0].created_at, "1970-01-01T00:39:00.000Z");
        assert_eq!(listed[0].comment, "parcel late");
        assert_eq!(u8::from(listed[0].score), 2);
        assert_eq!(listed[24].id, "r_15");
    }

    #[test]
    fn jaccard_is_shared_over_either() {
        assert_eq!(jaccard(&[1, 2, 3, 4], &[2, 3, 4, 5]), 3.0 / 5.0);
        assert_eq!(jaccard(&[1], &[1]), 1.0);
        assert_eq!(jaccard(&[], &[]), 0.0);
        assert_eq!(jaccard(&[1, 2], &[3]), 0.0);
    }

    #[test]
    fn a_comments_groups_are_what_a_cause_is_suggested_from() {
        assert_eq!(
            comment_groups("Lieferung zu teuer und zu spät"),
            ["delivery", "expensive", "late"]
        );
        assert_eq!(comment_groups("The staff were rude"), ["service", "rude"]);
        assert!(comment_groups("meh").is_empty());
    }

    /// The corpus as the report reads it: ids `r_000`…, a minute apart, in ten
    /// buckets of equal length.
    fn corpus() -> Vec<(String, Score, &'static str)> {
        crate::corpus::comments()
            .enumerate()
            .map(|(i, (score, text))| (format!("r_{i:03}"), score, text))
            .collect()
    }

    fn read<'c>(corpus: &'c [(String, Score, &'static str)]) -> Vec<ThemeComment<'c>> {
        let n = corpus.len().max(1);
        corpus
            .iter()
            .enumerate()
            .map(|(i, (id, score, text))| ThemeComment {
                score: *score,
                text,
                id,
                created_at: i as i64 * 60_000,
                bucket: Some(i * 10 / n),
            })
            .collect()
    }

    /// The corpus's comments (index) that contain a theme's term.
    fn covered(corpus: &[(String, Score, &'static str)], theme: &CommentTheme) -> Vec<usize> {
        let mut groups = GroupCache::new();
        corpus
            .iter()
            .enumerate()
            .filter(|(_, (_, score, _))| score.category() != Category::Passive)
            .filter(|(_, (_, _, text))| comment_terms(text, &mut groups).contains_key(&theme.stem))
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn on_the_corpus_no_two_themes_cover_nearly_the_same_comments() {
        let corpus = corpus();
        let found = themes(read(&corpus), &ThemeOptions::default(), 10);
        let listed: Vec<&CommentTheme> = found.detractor.iter().chain(&found.promoter).collect();
        assert_eq!(listed.len(), 2 * DEFAULT_TOP_N);
        for (i, a) in listed.iter().enumerate() {
            let sa = covered(&corpus, a);
            assert_eq!(sa.len() as u64, a.detractors + a.promoters, "{}", a.term);
            for b in &listed[..i] {
                let overlap = jaccard(&sa, &covered(&corpus, b));
                assert!(
                    overlap < MERGE_JACCARD,
                    "{} and {}: {overlap}",
                    a.term,
                    b.term
                );
            }
        }
    }

    #[test]
    fn on_the_corpus_synonyms_of_both_languages_land_in_one_theme() {
        let corpus = corpus();
        let found = themes(read(&corpus), &ThemeOptions::default(), 10);
        let every: Vec<&str> = found
            .detractor
            .iter()
            .chain(&found.promoter)
            .flat_map(|t| {
                std::iter::once(t.term.as_str()).chain(t.merged.iter().map(String::as_str))
            })
            .collect();
        for word in [
            "shipping",
            "parcel",
            "package",
            "lieferung",
            "Lieferung",
            "versand",
            "paket",
            "teuer",
            "pricey",
            "staff",
            "qualität",
            "Qualität",
        ] {
            assert!(
                !every.contains(&word),
                "{word} is a theme of its own: {every:?}"
            );
        }
        let delivery = found
            .detractor
            .iter()
            .find(|t| t.term == "delivery")
            .unwrap();
        let texts: Vec<&str> = covered(&corpus, delivery)
            .iter()
            .map(|&i| corpus[i].2)
            .collect();
        for word in [
            "Lieferung",
            "Paket",
            "Versand",
            "parcel",
            "package",
            "Shipping",
            "delivry",
        ] {
            assert!(
                texts.iter().any(|t| t.contains(word)),
                "no {word} in the delivery theme"
            );
        }
    }

    #[test]
    fn on_the_corpus_the_top_themes_are_what_a_manager_expects() {
        let corpus = corpus();
        let found = themes(read(&corpus), &ThemeOptions::default(), 10);
        let groups = |list: &[CommentTheme]| -> Vec<String> {
            list.iter()
                .take(4)
                .filter_map(|t| t.group.clone())
                .collect()
        };
        // Late deliveries lead: "late" and "late delivery" only detractors say,
        // "delivery" leans their way though promoters praise fast ones.
        let top: Vec<(&str, Option<&str>)> = found
            .detractor
            .iter()
            .take(4)
            .map(|t| (t.term.as_str(), t.group.as_deref()))
            .collect();
        assert_eq!(
            top,
            [
                ("late", Some("late")),
                ("late delivery", Some("delivery")),
                ("expensive", Some("expensive")),
                ("delivery", Some("delivery"))
            ]
        );
        let delivery = &found.detractor[3];
        assert!(delivery.detractor_share > 0.5 && delivery.promoter_share < 0.3);
        assert!(
            found
                .detractor
                .iter()
                .any(|t| t.group.as_deref() == Some("rude")),
            "rude not among {:?}",
            terms(&found.detractor)
        );
        let promoter = groups(&found.promoter);
        for key in ["fast", "friendly"] {
            assert!(
                promoter.iter().any(|g| g == key),
                "{key} not among {promoter:?}"
            );
        }
        assert_eq!(found.promoter[0].term, "fast");
    }

    #[test]
    fn on_the_corpus_the_output_is_stable() {
        let corpus = corpus();
        let once = themes(read(&corpus), &ThemeOptions::default(), 10);
        assert_eq!(once, themes(read(&corpus), &ThemeOptions::default(), 10));
        // The same comments in the opposite order find the same themes.
        let reversed = themes(
            read(&corpus).into_iter().rev(),
            &ThemeOptions::default(),
            10,
        );
        assert_eq!(terms(&once.detractor), terms(&reversed.detractor));
        assert_eq!(terms(&once.promoter), terms(&reversed.promoter));
        // A trend counts the comments of its own side.
        for theme in &once.detractor {
            assert_eq!(theme.trend.iter().sum::<u64>(), theme.detractors);
        }
        for theme in &once.promoter {
            assert_eq!(theme.trend.iter().sum::<u64>(), theme.promoters);
        }
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
                .enumerate()
                .map(|(i, (t, s))| ThemeComment {
                    score: Score::try_from(*s).unwrap(),
                    text: t,
                    id: "",
                    created_at: i as i64,
                    bucket: Some(i % 3),
                })
                .collect();
            let options = ThemeOptions { top_n: 5, min_comments: 1 };
            let once = themes(comments.clone(), &options, 3);
            prop_assert_eq!(&once, &themes(comments, &options, 3));
            for theme in once.detractor.iter().chain(&once.promoter) {
                prop_assert!(theme.score > 0.0 && theme.score.is_finite());
                prop_assert!(theme.examples.len() <= MAX_EXAMPLES);
                prop_assert!(!theme.examples.is_empty());
            }
            for theme in &once.detractor {
                prop_assert_eq!(theme.trend.iter().sum::<u64>(), theme.detractors);
            }
            for theme in &once.promoter {
                prop_assert_eq!(theme.trend.iter().sum::<u64>(), theme.promoters);
            }
            prop_assert!(once.detractor.len() <= 5 && once.promoter.len() <= 5);
        }
    }
}
