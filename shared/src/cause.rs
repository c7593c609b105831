//! Root causes and the playbook: the learning step after a detractor was called back.
//!
//! A survey has a list of [`Cause`]s (key, label, the department that owns it, and
//! keywords); a case is resolved with one of their keys and the [`Solution`] that was
//! offered. The keywords [`suggest`] a cause from the answer's comment, stemmed as
//! [`crate::themes`] stems words, in English and German. The playbook groups resolved
//! cases of a cause by their solution's [`solution_key`] and ranks what was offered by
//! how often it won the customer back ([`PlaybookEntry`]).
//!
//! Pure and small, like [`crate::case`], which builds on it: no clock, no storage, no
//! `serde_json`, so the dashboard runs the same checks and suggestion. It must not
//! depend on [`crate::case`] or [`crate::api`] (both carry its types); it uses
//! [`crate::themes`]' public `stem` and `guess_language` only.

use crate::field::FieldError;
use crate::themes::{Language, guess_language, stem};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Most causes per survey.
pub const MAX_CAUSES: usize = 30;
/// Longest cause key (`delivery`).
pub const MAX_CAUSE_KEY_CHARS: usize = 40;
/// Longest label or department.
pub const MAX_CAUSE_LABEL_CHARS: usize = 80;
/// Most keywords per cause.
pub const MAX_KEYWORDS: usize = 60;
/// Longest keyword.
pub const MAX_KEYWORD_CHARS: usize = 40;
/// Longest solution text.
pub const MAX_SOLUTION_CHARS: usize = 2000;
/// Solutions a case shows from the playbook.
pub const CASE_SUGGESTIONS: usize = 3;
/// Solutions the playbook lists for a cause at most.
pub const MAX_PLAYBOOK_ENTRIES: u32 = 100;

/// One root cause of a survey: `delivery`, owned by logistics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// What a case and an action plan name: lower-case ASCII letters, digits, `_`, `-`.
    pub key: String,
    /// What people read.
    pub label: String,
    /// Who owns the cause (logistics, pricing, training …).
    pub department: String,
    /// Single words that suggest the cause in a comment, in any language the survey's
    /// customers write; matched stemmed (`shipping` finds "shipped").
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// Whether `key` can name a cause: 1 to [`MAX_CAUSE_KEY_CHARS`] lower-case ASCII
/// letters, digits, `_` or `-`.
pub fn is_cause_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_CAUSE_KEY_CHARS
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'))
}

fn is_text(text: &str, max: usize) -> bool {
    let count = text.trim().chars().count();
    count > 0 && count <= max && !text.chars().any(char::is_control)
}

fn is_keyword(word: &str) -> bool {
    let count = word.chars().count();
    (2..=MAX_KEYWORD_CHARS).contains(&count) && word.chars().all(char::is_alphabetic)
}

/// Names every wrong field of a survey's causes, with paths relative to the case
/// settings (`causes[2].key`); an empty list is fine (it means the defaults).
pub fn check_causes(causes: &[Cause]) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if causes.len() > MAX_CAUSES {
        problems.push(FieldError::new(
            "causes",
            format!("must have at most {MAX_CAUSES} entries"),
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, cause) in causes.iter().enumerate() {
        let field = |name: &str| format!("causes[{i}].{name}");
        if !is_cause_key(&cause.key) {
            problems.push(FieldError::new(
                field("key"),
                format!("must be 1 to {MAX_CAUSE_KEY_CHARS} lower-case letters, digits, _ or -"),
            ));
        } else if !seen.insert(cause.key.as_str()) {
            problems.push(FieldError::new(field("key"), "must be unique"));
        }
        for (name, text) in [("label", &cause.label), ("department", &cause.department)] {
            if !is_text(text, MAX_CAUSE_LABEL_CHARS) {
                problems.push(FieldError::new(
                    field(name),
                    format!("must be 1 to {MAX_CAUSE_LABEL_CHARS} characters"),
                ));
            }
        }
        if cause.keywords.len() > MAX_KEYWORDS {
            problems.push(FieldError::new(
                field("keywords"),
                format!("must have at most {MAX_KEYWORDS} entries"),
            ));
        }
        for (k, word) in cause.keywords.iter().enumerate() {
            if !is_keyword(word) {
                problems.push(FieldError::new(
                    format!("causes[{i}].keywords[{k}]"),
                    format!("must be one word of 2 to {MAX_KEYWORD_CHARS} letters"),
                ));
            }
        }
    }
    problems
}

/// (key, English label, German label, English department, German department, keywords
/// in both languages).
type DefaultCause = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

const DEFAULTS: [DefaultCause; 6] = [
    (
        "delivery",
        "Delivery",
        "Lieferung",
        "Logistics",
        "Logistik",
        &[
            "delivery",
            "deliver",
            "shipping",
            "shipment",
            "parcel",
            "package",
            "late",
            "courier",
            "tracking",
            "arrived",
            "lieferung",
            "liefern",
            "geliefert",
            "versand",
            "paket",
            "spät",
            "zusteller",
            "kurier",
            "sendung",
            "lieferzeit",
        ],
    ),
    (
        "product",
        "Product",
        "Produkt",
        "Product management",
        "Produktmanagement",
        &[
            "product",
            "quality",
            "broken",
            "defect",
            "defective",
            "damaged",
            "size",
            "fit",
            "material",
            "produkt",
            "qualität",
            "kaputt",
            "defekt",
            "beschädigt",
            "größe",
            "passform",
            "verarbeitung",
        ],
    ),
    (
        "price",
        "Price",
        "Preis",
        "Pricing",
        "Preisgestaltung",
        &[
            "price",
            "expensive",
            "cost",
            "overpriced",
            "fee",
            "fees",
            "preis",
            "teuer",
            "kosten",
            "gebühr",
            "gebühren",
            "überteuert",
        ],
    ),
    (
        "service",
        "Customer service",
        "Kundenservice",
        "Customer service",
        "Kundenservice",
        &[
            "service",
            "support",
            "staff",
            "rude",
            "unfriendly",
            "hotline",
            "reply",
            "agent",
            "kundenservice",
            "mitarbeiter",
            "unfreundlich",
            "hotline",
            "antwort",
            "erreichbar",
            "beratung",
            "kundendienst",
        ],
    ),
    (
        "website",
        "Website",
        "Website",
        "Web team",
        "Webteam",
        &[
            "website",
            "site",
            "checkout",
            "login",
            "app",
            "password",
            "payment",
            "webseite",
            "anmeldung",
            "bezahlung",
            "passwort",
            "kasse",
            "onlineshop",
        ],
    ),
    (
        "other",
        "Other",
        "Sonstiges",
        "Management",
        "Geschäftsleitung",
        &[],
    ),
];

/// The causes a survey has when it names none: delivery, product, price, service,
/// website and other, labelled in German for a German survey and in English
/// otherwise, with keywords in both languages.
pub fn default_causes(locale: &str) -> Vec<Cause> {
    let german = crate::locale::language(locale).as_deref() == Some("de");
    DEFAULTS
        .iter()
        .map(
            |&(key, label_en, label_de, dept_en, dept_de, keywords)| Cause {
                key: key.into(),
                label: if german { label_de } else { label_en }.into(),
                department: if german { dept_de } else { dept_en }.into(),
                keywords: keywords.iter().map(|k| k.to_string()).collect(),
            },
        )
        .collect()
}

/// Lower-cased words of two or more letters.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .collect()
}

/// The cause whose keywords the comment uses most (each keyword counted once), the
/// earlier cause on a tie; `None` when no keyword occurs. The comment is stemmed in
/// the language it looks like ([`guess_language`]), a keyword in both, so a keyword
/// needs no language of its own: `shipping` matches "shipped", `spät` "später".
pub fn suggest<'c>(causes: &'c [Cause], comment: &str) -> Option<&'c Cause> {
    let words = words(comment);
    let language = guess_language(words.iter().map(String::as_str));
    let stems: BTreeSet<String> = words.iter().map(|w| stem(w, language)).collect();
    let hits = |cause: &Cause| {
        cause
            .keywords
            .iter()
            .filter(|k| {
                let k = k.to_lowercase();
                [Language::English, Language::German]
                    .into_iter()
                    .any(|l| stems.contains(&stem(&k, l)))
            })
            .count()
    };
    let mut best: Option<(usize, &Cause)> = None;
    for cause in causes {
        let n = hits(cause);
        if n > 0 && best.is_none_or(|(most, _)| n > most) {
            best = Some((n, cause));
        }
    }
    best.map(|(_, cause)| cause)
}

/// What was offered to the customer, as a patch names it: trimmed, 1 to
/// [`MAX_SOLUTION_CHARS`] characters, no control characters but line breaks and tabs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Solution(String);

/// Why a solution text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "must be 1 to {MAX_SOLUTION_CHARS} characters without control characters other than line breaks and tabs"
)]
pub struct InvalidSolution;

impl Solution {
    pub fn parse(text: &str) -> Result<Solution, InvalidSolution> {
        let trimmed = text.trim();
        let count = trimmed.chars().count();
        if count == 0
            || count > MAX_SOLUTION_CHARS
            || trimmed
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(InvalidSolution);
        }
        Ok(Solution(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Solution {
    type Error = InvalidSolution;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Solution::parse(&text)
    }
}

impl From<Solution> for String {
    fn from(solution: Solution) -> String {
        solution.0
    }
}

/// What makes two solutions the same one in the playbook: lower case (full Unicode,
/// which SQLite's `lower` is not), every run of non-alphanumeric characters one space,
/// trimmed. "Refund the shipping." and "refund  the shipping" are one solution.
pub fn solution_key(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One solution of the playbook: how often it was offered in resolved cases of a
/// cause, and how often the customer's next answer was a promoter's (won back).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaybookEntry {
    /// The latest wording of the solution.
    pub solution: String,
    pub used: u32,
    pub won_back: u32,
    /// `won_back / used`, 0 to 1.
    pub win_back_rate: f64,
}

// The rate is a quotient of two counts with `used > 0`: never NaN.
impl Eq for PlaybookEntry {}

impl PlaybookEntry {
    pub fn new(solution: String, used: u32, won_back: u32) -> PlaybookEntry {
        let won_back = won_back.min(used);
        let win_back_rate = if used == 0 {
            0.0
        } else {
            f64::from(won_back) / f64::from(used)
        };
        PlaybookEntry {
            solution,
            used,
            won_back,
            win_back_rate,
        }
    }

    /// How the playbook ranks, best first: the win-back rate with one win and one
    /// loss added (Laplace's rule of succession), so 9 won back of 10 ranks above 1
    /// of 1; the storage sorts by the same expression.
    pub fn rank(&self) -> f64 {
        (f64::from(self.won_back) + 1.0) / (f64::from(self.used) + 2.0)
    }
}

/// `GET /v1/playbook?cause=`: what was offered for a cause, best first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Playbook {
    pub cause: String,
    /// The survey it is limited to, when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_id: Option<String>,
    pub entries: Vec<PlaybookEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(causes: &[Cause], comment: &str) -> Option<String> {
        suggest(causes, comment).map(|c| c.key.clone())
    }

    #[test]
    fn the_defaults_are_the_six_causes_labelled_in_the_survey_s_language() {
        let en = default_causes("en");
        let keys: Vec<&str> = en.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "delivery", "product", "price", "service", "website", "other"
            ]
        );
        assert_eq!(en[0].label, "Delivery");
        assert_eq!(en[0].department, "Logistics");
        let de = default_causes("de-AT");
        assert_eq!(de[0].label, "Lieferung");
        assert_eq!(de[5].label, "Sonstiges");
        assert_eq!(de[0].keywords, en[0].keywords, "keywords in both languages");
        assert!(check_causes(&en).is_empty(), "{:?}", check_causes(&en));
        assert!(check_causes(&de).is_empty());
    }

    #[test]
    fn english_comments_suggest_their_cause() {
        let causes = default_causes("en");
        for (comment, expected) in [
            ("The parcel came three days late.", "delivery"),
            (
                "Shipped to the wrong address, courier never called",
                "delivery",
            ),
            ("Far too expensive for what you get", "price"),
            (
                "The zipper was broken after a week, poor quality",
                "product",
            ),
            ("Your support staff was rude on the hotline", "service"),
            (
                "Checkout kept failing, could not log in to the website",
                "website",
            ),
        ] {
            assert_eq!(
                key_of(&causes, comment).as_deref(),
                Some(expected),
                "{comment}"
            );
        }
    }

    #[test]
    fn german_comments_suggest_their_cause() {
        let causes = default_causes("de");
        for (comment, expected) in [
            ("Die Lieferung kam viel zu spät", "delivery"),
            (
                "Das Paket war beschädigt und der Versand dauerte ewig",
                "delivery",
            ),
            ("Viel zu teuer, die Preise sind überteuert", "price"),
            (
                "Die Qualität ist schlecht, nach zwei Tagen kaputt",
                "product",
            ),
            (
                "Der Kundenservice war unfreundlich und nicht erreichbar",
                "service",
            ),
            ("Die Anmeldung auf der Webseite klappt nicht", "website"),
        ] {
            assert_eq!(
                key_of(&causes, comment).as_deref(),
                Some(expected),
                "{comment}"
            );
        }
    }

    #[test]
    fn a_comment_without_keywords_suggests_nothing_and_the_most_hits_win() {
        let causes = default_causes("en");
        assert_eq!(key_of(&causes, "Meh."), None);
        assert_eq!(key_of(&causes, ""), None);
        assert_eq!(
            key_of(
                &causes,
                "Expensive, and the parcel was late and the courier lost the tracking"
            ),
            Some("delivery".into())
        );
        // A tie goes to the earlier cause.
        assert_eq!(key_of(&causes, "expensive parcel"), Some("delivery".into()));
    }

    #[test]
    fn a_survey_s_own_keywords_are_matched_stemmed() {
        let causes = vec![Cause {
            key: "returns".into(),
            label: "Returns".into(),
            department: "Warehouse".into(),
            keywords: vec!["Refund".into()],
        }];
        assert_eq!(
            key_of(&causes, "Still waiting for my refunds").as_deref(),
            Some("returns")
        );
        assert_eq!(key_of(&causes, "refused"), None);
    }

    #[test]
    fn causes_are_checked_field_by_field() {
        let good = Cause {
            key: "delivery".into(),
            label: "Delivery".into(),
            department: "Logistics".into(),
            keywords: vec!["late".into()],
        };
        assert!(check_causes(std::slice::from_ref(&good)).is_empty());
        let bad = vec![
            good.clone(),
            Cause {
                key: "Delivery Team".into(),
                label: " ".into(),
                department: "x".repeat(MAX_CAUSE_LABEL_CHARS + 1),
                keywords: vec!["two words".into(), "ok".into()],
            },
            good.clone(),
        ];
        let fields: Vec<String> = check_causes(&bad).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "causes[1].key",
                "causes[1].label",
                "causes[1].department",
                "causes[1].keywords[0]",
                "causes[2].key"
            ]
        );
        let many = vec![good; MAX_CAUSES + 1];
        assert_eq!(check_causes(&many)[0].field, "causes");
    }

    #[test]
    fn cause_keys_are_lower_case_identifiers() {
        assert!(is_cause_key("delivery"));
        assert!(is_cause_key("after-sales_2"));
        assert!(!is_cause_key(""));
        assert!(!is_cause_key("Delivery"));
        assert!(!is_cause_key(&"a".repeat(MAX_CAUSE_KEY_CHARS + 1)));
    }

    #[test]
    fn solutions_are_trimmed_bounded_and_keyed_by_their_words() {
        assert_eq!(
            Solution::parse("  Refunded the shipping.\n")
                .unwrap()
                .as_str(),
            "Refunded the shipping."
        );
        assert!(Solution::parse(&"a".repeat(MAX_SOLUTION_CHARS)).is_ok());
        assert_eq!(
            Solution::parse(&"a".repeat(MAX_SOLUTION_CHARS + 1)),
            Err(InvalidSolution)
        );
        assert_eq!(Solution::parse(" "), Err(InvalidSolution));
        assert_eq!(Solution::parse("a\u{0}b"), Err(InvalidSolution));
        assert_eq!(solution_key("Refund the shipping."), "refund the shipping");
        assert_eq!(
            solution_key(" refund  THE shipping!"),
            "refund the shipping"
        );
        assert_eq!(solution_key("Gutschein über 10 €"), "gutschein über 10");
        assert_eq!(solution_key("ÜBER"), "über");
    }

    #[test]
    fn the_playbook_ranks_nine_of_ten_above_one_of_one_and_rates_are_plain() {
        let often = PlaybookEntry::new("voucher".into(), 10, 9);
        let once = PlaybookEntry::new("call".into(), 1, 1);
        let never = PlaybookEntry::new("sorry".into(), 5, 0);
        assert_eq!(often.win_back_rate, 0.9);
        assert_eq!(once.win_back_rate, 1.0);
        assert_eq!(never.win_back_rate, 0.0);
        assert!(often.rank() > once.rank());
        assert!(once.rank() > never.rank());
        assert_eq!(PlaybookEntry::new("x".into(), 0, 0).win_back_rate, 0.0);
    }
}
