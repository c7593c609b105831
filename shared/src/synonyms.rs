//! Synonym groups: the words in English and German that name one thing a manager can
//! act on (`delivery`: delivery, shipping, parcel, courier, Lieferung, Versand, Paket,
//! Zustellung …), so that [`crate::themes`] counts them as one theme.
//!
//! A compiled-in table, pure: no dictionary file, no external service. Each group has
//! a stable key; the keys `delivery`, `product`, `price`, `service` and `website` are
//! the departments that own a cause ([`DEPARTMENTS`]), the others (`expensive`,
//! `late`, `fast`, `friendly`, `rude`, `refund`, `recommend`) are what customers say
//! about them: "expensive" is its own group because it is a complaint where "price"
//! is praised as often as blamed.
//!
//! # Matching
//!
//! A word is lower-case letters (as [`crate::themes`] splits them). A pattern matches
//! it exactly, or, ending in `*`, as a prefix (`liefer*` takes `lieferung`,
//! `lieferzeit`, `geliefert` is listed on its own). Prefixes match from the start only,
//! so `unfreundlich` is no `freundlich*`. When no pattern matches, a word of at least
//! [`MIN_TYPO_CHARS`] letters that is one edit (a letter changed, added, dropped, or
//! two neighbours swapped) from a pattern of at least that length takes its group:
//! `delivry`, `qualty` (for a prefix, one of the word's prefixes that long, give or
//! take one letter, must be one edit away). Exact matches of every group are tried
//! before any typo, and groups in table order, so the answer is always the same.
//! Depends on nothing else in the crate.

/// Words shorter than this are never read as a typo of a group word: short words are
/// too often another real word (`late`/`rate`).
pub const MIN_TYPO_CHARS: usize = 6;

/// One group: its stable key and its patterns (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynonymGroup {
    pub key: &'static str,
    pub patterns: &'static [&'static str],
}

/// The groups that name a department owning a cause, the keys of the default causes.
pub const DEPARTMENTS: [&str; 5] = ["delivery", "product", "price", "service", "website"];

/// Real words one edit away from a group word; never read as its typo.
const NOT_TYPOS: &[&str] = &["lieber", "liebe", "shopping"];

/// The groups, in the order a word is matched against them.
pub const GROUPS: &[SynonymGroup] = &[
    SynonymGroup {
        key: "delivery",
        patterns: &[
            "deliver*",
            "ship",
            "ships",
            "shipped",
            "shipping",
            "shipment*",
            "parcel*",
            "package*",
            "packaging",
            "courier*",
            "arrive*",
            "arrival",
            "tracking",
            "dhl",
            "dpd",
            "hermes",
            "liefer*",
            "geliefert",
            "versand*",
            "versendet",
            "verschickt",
            "paket*",
            "zustell*",
            "sendung*",
            "sendungsverfolgung",
            "bote",
            "verpack*",
            "verpackt",
        ],
    },
    SynonymGroup {
        key: "price",
        patterns: &[
            "price*",
            "pricing",
            "cost",
            "costs",
            "cheap*",
            "afford*",
            "value",
            "money",
            "fee",
            "fees",
            "discount*",
            "preis*",
            "kosten*",
            "günstig*",
            "billig*",
            "geld",
            "rabatt*",
            "gebühr*",
        ],
    },
    SynonymGroup {
        key: "expensive",
        patterns: &[
            "expensive",
            "pricey",
            "overpriced",
            "costly",
            "teuer*",
            "teur*",
            "überteuert*",
        ],
    },
    SynonymGroup {
        key: "service",
        patterns: &[
            "service*",
            "staff",
            "support*",
            "hotline*",
            "employee*",
            "agent*",
            "advice",
            "team",
            "people",
            "mitarbeiter*",
            "beratung*",
            "berater*",
            "kundenservice*",
            "kundendienst*",
            "personal",
            "verkäufer*",
        ],
    },
    SynonymGroup {
        key: "product",
        patterns: &[
            "product*",
            "quality",
            "broken",
            "broke",
            "defect*",
            "faulty",
            "damaged",
            "material*",
            "item",
            "items",
            "zipper",
            "seams",
            "qualität*",
            "defekt*",
            "kaputt*",
            "beschädigt*",
            "mangelhaft*",
            "produkt*",
            "ware",
            "waren",
            "artikel*",
            "naht",
        ],
    },
    SynonymGroup {
        key: "website",
        patterns: &[
            "website*",
            "site",
            "app",
            "apps",
            "checkout*",
            "login",
            "log",
            "password*",
            "online",
            "crash*",
            "webseite*",
            "onlineshop*",
            "passwort*",
            "bezahlen",
            "stürzt",
        ],
    },
    SynonymGroup {
        key: "late",
        patterns: &[
            "late",
            "later",
            "delay*",
            "slow*",
            "wait*",
            "forever",
            "week",
            "weeks",
            "woche*",
            "spät*",
            "verspät*",
            "verzöger*",
            "langsam*",
            "warte*",
            "gewartet",
            "ewig*",
            "dauert*",
            "gedauert",
        ],
    },
    SynonymGroup {
        key: "fast",
        patterns: &[
            "fast",
            "faster",
            "quick*",
            "prompt*",
            "speedy",
            "schnell*",
            "zügig*",
            "pünktlich*",
        ],
    },
    SynonymGroup {
        key: "friendly",
        patterns: &[
            "friendly",
            "helpful",
            "kind",
            "polite",
            "nice",
            "freundlich*",
            "nett*",
            "hilfsbereit*",
            "höflich*",
            "kompetent*",
        ],
    },
    SynonymGroup {
        key: "rude",
        patterns: &[
            "rude",
            "unfriendly",
            "impolite",
            "unfreundlich*",
            "unhöflich*",
            "frech*",
        ],
    },
    SynonymGroup {
        key: "refund",
        patterns: &[
            "refund*",
            "return*",
            "rückerstattung*",
            "erstattung*",
            "retoure*",
            "rücksendung*",
        ],
    },
    SynonymGroup {
        key: "recommend",
        patterns: &["recommend*", "empfehl*", "empfohlen"],
    },
];

/// The key of the group `word` (lower-case) belongs to, `None` for a word of no group.
pub fn group_of(word: &str) -> Option<&'static str> {
    let exact = GROUPS
        .iter()
        .find(|g| g.patterns.iter().any(|p| matches_exactly(p, word)));
    if let Some(group) = exact {
        return Some(group.key);
    }
    if word.chars().count() < MIN_TYPO_CHARS || NOT_TYPOS.contains(&word) {
        return None;
    }
    GROUPS
        .iter()
        .find(|g| g.patterns.iter().any(|p| matches_with_typo(p, word)))
        .map(|g| g.key)
}

/// The group with that key.
pub fn group(key: &str) -> Option<&'static SynonymGroup> {
    GROUPS.iter().find(|g| g.key == key)
}

fn matches_exactly(pattern: &str, word: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => word.starts_with(prefix),
        None => word == pattern,
    }
}

fn matches_with_typo(pattern: &str, word: &str) -> bool {
    let (core, prefix) = match pattern.strip_suffix('*') {
        Some(core) => (core, true),
        None => (pattern, false),
    };
    let core: Vec<char> = core.chars().collect();
    if core.len() < MIN_TYPO_CHARS - 1 {
        return false;
    }
    let word: Vec<char> = word.chars().collect();
    if !prefix {
        return one_edit_apart(&core, &word);
    }
    (core.len() - 1..=core.len() + 1)
        .filter(|&n| n <= word.len())
        .any(|n| one_edit_apart(&core, &word[..n]))
}

/// Whether `a` and `b` differ by exactly one change, insertion, deletion or swap of
/// neighbours.
fn one_edit_apart(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let differ: Vec<usize> = (0..short.len()).filter(|&i| short[i] != long[i]).collect();
            match differ.as_slice() {
                [_] => true,
                [i, j] => *j == i + 1 && short[*i] == long[*j] && short[*j] == long[*i],
                _ => false,
            }
        }
        1 => {
            let first = (0..short.len())
                .find(|&i| short[i] != long[i])
                .unwrap_or(short.len());
            short[first..] == long[first + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_words_of_both_languages_are_one_group() {
        for word in [
            "delivery",
            "deliveries",
            "delivered",
            "shipping",
            "parcel",
            "package",
            "courier",
            "lieferung",
            "lieferzeit",
            "geliefert",
            "versand",
            "paket",
            "zustellung",
        ] {
            assert_eq!(group_of(word), Some("delivery"), "{word}");
        }
    }

    #[test]
    fn the_cause_departments_have_their_words() {
        let cases = [
            ("expensive", "expensive"),
            ("teuer", "expensive"),
            ("preise", "price"),
            ("staff", "service"),
            ("kundenservice", "service"),
            ("beratung", "service"),
            ("quality", "product"),
            ("kaputt", "product"),
            ("qualität", "product"),
            ("checkout", "website"),
            ("webseite", "website"),
            ("login", "website"),
        ];
        for (word, key) in cases {
            assert_eq!(group_of(word), Some(key), "{word}");
        }
    }

    #[test]
    fn a_typo_of_a_long_word_finds_its_group_and_a_short_word_does_not() {
        assert_eq!(group_of("delivry"), Some("delivery"));
        assert_eq!(group_of("deliverey"), Some("delivery"));
        assert_eq!(group_of("qualty"), Some("product"));
        assert_eq!(group_of("liferung"), Some("delivery"));
        assert_eq!(group_of("rate"), None);
        assert_eq!(group_of("lieber"), None);
    }

    #[test]
    fn prefixes_match_from_the_start_only() {
        assert_eq!(group_of("unfreundlich"), Some("rude"));
        assert_eq!(group_of("freundlichen"), Some("friendly"));
        assert_eq!(group_of("apple"), None);
        assert_eq!(group_of("happy"), None);
    }

    #[test]
    fn one_edit_is_one_change_insertion_deletion_or_swap() {
        let apart = |a: &str, b: &str| {
            one_edit_apart(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert!(apart("quality", "qualtiy"));
        assert!(apart("quality", "qualty"));
        assert!(apart("quality", "qualitty"));
        assert!(apart("quality", "qualiby"));
        assert!(!apart("quality", "quality"));
        assert!(!apart("quality", "qaulity2x"));
        assert!(!apart("abcd", "badc"));
    }

    #[test]
    fn keys_are_unique_and_patterns_lower_case() {
        for (i, g) in GROUPS.iter().enumerate() {
            assert!(GROUPS[..i].iter().all(|h| h.key != g.key), "{}", g.key);
            for p in g.patterns {
                assert_eq!(*p, p.to_lowercase(), "{p}");
            }
        }
        for key in ["delivery", "product", "price", "service", "website"] {
            assert!(group(key).is_some(), "{key}");
        }
    }
}
