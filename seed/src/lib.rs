//! Synthetic answers for benchmarks and demos: realistic enough to exercise every part
//! of the report (categories in a plausible mix that differs by store, stores, plans
//! and countries, RFM properties, en/de comments from a varied phrase bank, timestamps
//! over a year with a daily rhythm), and deterministic: the same seed gives the same
//! answers, byte for byte.
//!
//! The answers' rollups are counted with `nps_shared::rollup` — the code the worker
//! keeps them with on write — so a seeded survey's report from rollups equals its
//! report from a scan. Output is SQL for the `sqlite3` shell (or `wrangler d1
//! execute --file`), one transaction, multi-row inserts: loading it straight into the
//! local D1's SQLite file is what makes a million answers take seconds, not hours.
//!
//! Pure apart from writing to the given `Write`: no clock, no OS randomness.

use nps_shared::Score;
use nps_shared::report::AnswerRecord;
use nps_shared::rollup::{Cell, Counters};
use nps_shared::time::rfc3339;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// What to make.
#[derive(Clone, Debug)]
pub struct Plan {
    pub survey_id: String,
    pub answers: u64,
    pub seed: u64,
    /// The newest answer is before this instant (Unix ms) ...
    pub end_ms: i64,
    /// ... and the oldest this many days before it.
    pub days: i64,
}

/// SplitMix64: small, fast and good enough for synthetic data; deterministic.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, n)`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index drawn by `weights`.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut pick = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if pick < u64::from(*w) {
                return i;
            }
            pick -= u64::from(*w);
        }
        weights.len() - 1
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Stores, with how many answers each gets and how satisfied its customers are
/// (shifts the score mix).
const STORES: [(&str, u32, i32); 7] = [
    ("berlin", 30, 1),
    ("hamburg", 20, 0),
    ("munich", 18, 2),
    ("cologne", 12, -1),
    ("vienna", 9, 1),
    ("zurich", 7, 2),
    ("online-outlet", 4, -3),
];
const PLANS: [(&str, u32); 4] = [("free", 45), ("basic", 30), ("pro", 20), ("enterprise", 5)];
const COUNTRIES: [(&str, u32); 7] = [
    ("DE", 55),
    ("AT", 12),
    ("CH", 10),
    ("NL", 8),
    ("FR", 6),
    ("GB", 5),
    ("US", 4),
];
/// Scores 0–10: about 55% promoters, 25% passives, 20% detractors (NPS ≈ +35).
const SCORE_WEIGHTS: [u32; 11] = [2, 1, 1, 2, 2, 4, 8, 10, 15, 25, 30];
/// Answers per hour of the day (UTC), a shop's rhythm: quiet at night, busy evenings.
const HOUR_WEIGHTS: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 9, 10, 9, 8, 8, 9, 10, 12, 12, 10, 8, 5, 3,
];

const EN_DETRACTOR: [&str; 12] = [
    "The delivery came late",
    "Package arrived damaged",
    "Customer service never answered my email",
    "Refund took weeks",
    "The size chart is wrong",
    "Checkout kept failing",
    "Shipping costs are too high",
    "Wrong item in the box",
    "Tracking number did not work",
    "Quality was poor for the price",
    "Late delivery again",
    "Nobody picked up the hotline",
];
const EN_PASSIVE: [&str; 8] = [
    "Fine, but delivery could be faster",
    "Okay prices, nothing special",
    "Good products, website is slow",
    "Would like more payment options",
    "Decent, the app is confusing",
    "Returns are a bit complicated",
    "Product was fine",
    "Shipping took a while",
];
const EN_PROMOTER: [&str; 12] = [
    "Fast delivery and friendly staff",
    "Great quality, will order again",
    "Easy returns",
    "Friendly staff in the store",
    "Best prices I found",
    "Delivery was super fast",
    "Excellent customer service",
    "Love the product range",
    "Packaging was nice and careful",
    "Quick help from support",
    "Everything arrived next day",
    "Great value for money",
];
const DE_DETRACTOR: [&str; 10] = [
    "Die Lieferung kam zu spät",
    "Paket war beschädigt",
    "Der Kundenservice hat nie geantwortet",
    "Rückerstattung dauerte Wochen",
    "Falscher Artikel im Paket",
    "Versandkosten sind zu hoch",
    "Die Qualität war schlecht",
    "Sendungsverfolgung funktionierte nicht",
    "Lieferung wieder verspätet",
    "Niemand ging an die Hotline",
];
const DE_PASSIVE: [&str; 6] = [
    "Ganz okay, Lieferung könnte schneller sein",
    "Preise in Ordnung",
    "Gute Produkte, langsame Webseite",
    "Mehr Zahlungsarten wären schön",
    "Rücksendung etwas umständlich",
    "Produkt war in Ordnung",
];
const DE_PROMOTER: [&str; 10] = [
    "Schnelle Lieferung und freundliches Personal",
    "Tolle Qualität, bestelle wieder",
    "Einfache Rücksendung",
    "Freundliche Beratung im Laden",
    "Sehr gute Preise",
    "Lieferung war super schnell",
    "Ausgezeichneter Kundenservice",
    "Tolle Auswahl",
    "Schön verpackt",
    "Alles kam am nächsten Tag",
];

/// One synthetic answer with the columns the report does not need.
#[derive(Clone, Debug, PartialEq)]
pub struct Seeded {
    pub id: String,
    pub record: AnswerRecord,
    pub channel: &'static str,
    pub locale: &'static str,
    pub respondent_id: String,
    pub flagged: Option<&'static str>,
    pub edit_token: String,
}

/// The `n`-th answer of the plan (0-based); answers come out oldest first when `n`
/// increases, each at its own random instant within its slot.
pub fn answer(plan: &Plan, rng: &mut Rng, n: u64) -> Seeded {
    let span = plan.days * 86_400_000;
    let start = plan.end_ms - span;
    // An even spread over the span, moved to an hour drawn by the daily rhythm.
    let slot = start + (span as f64 * (n as f64 + rng.unit()) / plan.answers.max(1) as f64) as i64;
    let day_start = slot.div_euclid(86_400_000) * 86_400_000;
    let hour = rng.weighted(&HOUR_WEIGHTS) as i64;
    let created_at =
        (day_start + hour * 3_600_000 + rng.below(3_600_000) as i64).clamp(start, plan.end_ms - 1);

    let store = rng.weighted(&STORES.map(|s| s.1));
    let mut score = rng.weighted(&SCORE_WEIGHTS) as i32;
    // Happier or grumpier stores nudge some answers.
    if rng.below(3) == 0 {
        score += STORES[store].2;
    }
    let score = Score::try_from(score.clamp(0, 10) as u8).unwrap_or(Score::MAX);
    let german = rng.below(100) < 40;
    let comment = (rng.below(100) < 45).then(|| {
        let bank: &[&str] = match (score.category(), german) {
            (nps_shared::Category::Detractor, false) => &EN_DETRACTOR,
            (nps_shared::Category::Passive, false) => &EN_PASSIVE,
            (nps_shared::Category::Promoter, false) => &EN_PROMOTER,
            (nps_shared::Category::Detractor, true) => &DE_DETRACTOR,
            (nps_shared::Category::Passive, true) => &DE_PASSIVE,
            (nps_shared::Category::Promoter, true) => &DE_PROMOTER,
        };
        let first = rng.pick(bank);
        if rng.below(4) == 0 {
            let second = rng.pick(bank);
            format!("{first}. {second}")
        } else {
            first.to_owned()
        }
    });
    let orders = 1 + (-(1.0 - rng.unit()).ln() * 4.0) as u64;
    let basket = 15.0 + rng.unit() * 120.0;
    let revenue = (orders as f64 * basket * 100.0).round() / 100.0;
    let recency = (-(1.0 - rng.unit()).ln() * 40.0) as u64;
    let mut properties = BTreeMap::new();
    properties.insert("store".to_owned(), STORES[store].0.to_owned());
    properties.insert(
        "plan".to_owned(),
        PLANS[rng.weighted(&PLANS.map(|p| p.1))].0.to_owned(),
    );
    properties.insert(
        "country".to_owned(),
        COUNTRIES[rng.weighted(&COUNTRIES.map(|c| c.1))]
            .0
            .to_owned(),
    );
    properties.insert("order_count".to_owned(), orders.to_string());
    properties.insert("revenue".to_owned(), format!("{revenue:.2}"));
    properties.insert("recency_days".to_owned(), recency.min(720).to_string());
    let flagged = (rng.below(1000) < 8).then_some("seeded: scanner-like visit");
    let mut random = [0u8; 10];
    random.copy_from_slice(&rng.next_u64().to_be_bytes().repeat(2)[..10]);
    let id = nps_shared::ids::new_id("r_", created_at.max(0) as u64, random);
    let edit_token = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
    Seeded {
        record: AnswerRecord {
            id: id.clone(),
            score,
            created_at,
            comment,
            properties,
            flagged: flagged.is_some(),
        },
        id,
        channel: ["web", "web", "web", "email", "link"][rng.below(5) as usize],
        locale: if german { "de" } else { "en" },
        respondent_id: format!("cust-{}", rng.below(plan.answers.max(1) / 3 + 1)),
        flagged,
        edit_token,
    }
}

/// All answers of the plan, oldest first.
pub fn answers(plan: &Plan) -> impl Iterator<Item = Seeded> + '_ {
    let mut rng = Rng::new(plan.seed);
    (0..plan.answers).map(move |n| answer(plan, &mut rng, n))
}

/// A survey definition for seeded surveys (validated in the tests).
pub fn survey_definition(name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "default_locale": "en",
        "texts": {
            "en": {
                "question": "How likely are you to recommend us to a friend or colleague?",
                "thanks": "Thank you!", "low_label": "Not at all likely", "high_label": "Extremely likely",
                "comment_placeholder": "Tell us in a few words (optional)", "submit": "Send", "dismiss": "Close",
                "follow_up": {"detractor": "What went wrong?", "passive": "What would make it a 10?", "promoter": "What did you like most?"}
            },
            "de": {
                "question": "Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen?",
                "thanks": "Danke!", "low_label": "Unwahrscheinlich", "high_label": "Äußerst wahrscheinlich",
                "comment_placeholder": "In wenigen Worten (optional)", "submit": "Senden", "dismiss": "Schließen",
                "follow_up": {"detractor": "Was lief schief?", "passive": "Was würde es zu einer 10 machen?", "promoter": "Was hat Ihnen gefallen?"}
            }
        },
        "allowed_origins": ["http://localhost:*"]
    })
}

/// SQL text literal.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn category(score: Score) -> &'static str {
    score.category().as_str()
}

/// Rows per multi-row `INSERT`: far below SQLite's statement limits, large enough to
/// parse fast.
const ROWS_PER_INSERT: usize = 500;

/// Writes the plan as SQL: the survey (kept if it exists), the answers, and their
/// rollups added to any already there, in one transaction. Returns the counters
/// written.
pub fn write_sql(plan: &Plan, out: &mut impl Write) -> io::Result<Counters> {
    let now = rfc3339(plan.end_ms);
    writeln!(out, "BEGIN;")?;
    writeln!(
        out,
        "INSERT INTO surveys (id, definition, created_at, updated_at) VALUES ({}, {}, {}, {}) ON CONFLICT DO NOTHING;",
        quote(&plan.survey_id),
        quote(&survey_definition(&format!("Seeded {}", plan.survey_id)).to_string()),
        quote(&now),
        quote(&now)
    )?;
    let mut counters = Counters::default();
    let mut in_statement = 0;
    for seeded in answers(plan) {
        if in_statement == 0 {
            writeln!(
                out,
                "INSERT INTO responses (id, survey_id, score, category, comment, channel, locale, page_url, \
                 respondent_id, properties, edit_token, created_at, updated_at, flagged, provisional) VALUES"
            )?;
        } else {
            writeln!(out, ",")?;
        }
        let r = &seeded.record;
        let at = quote(&rfc3339(r.created_at));
        let properties = serde_json::to_string(&r.properties).map_err(io::Error::other)?;
        write!(
            out,
            "({}, {}, {}, {}, {}, {}, {}, 'https://shop.example/thanks', {}, {}, {}, {at}, {at}, {}, 0)",
            quote(&seeded.id),
            quote(&plan.survey_id),
            r.score.value(),
            quote(category(r.score)),
            r.comment.as_deref().map_or("NULL".to_owned(), quote),
            quote(seeded.channel),
            quote(seeded.locale),
            quote(&seeded.respondent_id),
            quote(&properties),
            quote(&seeded.edit_token),
            seeded.flagged.map_or("NULL".to_owned(), quote),
        )?;
        in_statement += 1;
        if in_statement == ROWS_PER_INSERT {
            writeln!(out, ";")?;
            in_statement = 0;
        }
        counters.add(r);
    }
    if in_statement > 0 {
        writeln!(out, ";")?;
    }
    write_rollups(&plan.survey_id, &counters, out)?;
    writeln!(out, "COMMIT;")?;
    Ok(counters)
}

/// The counters as upserts into `rollup_time` and `rollup_property` (migration 0009).
pub fn write_rollups(survey_id: &str, counters: &Counters, out: &mut impl Write) -> io::Result<()> {
    let columns = (0..=10)
        .map(|s| format!("s{s}"))
        .collect::<Vec<_>>()
        .join(", ");
    let adds = (0..=10)
        .map(|s| format!("s{s} = s{s} + excluded.s{s}"))
        .collect::<Vec<_>>()
        .join(", ");
    let survey = quote(survey_id);
    for ((cell, flagged), d) in &counters.0 {
        let counts = d.0.map(|n| n.to_string()).join(", ");
        let flagged = u8::from(*flagged);
        match cell {
            Cell::Time { quarter } => writeln!(
                out,
                "INSERT INTO rollup_time (survey_id, quarter, flagged, {columns}) VALUES ({survey}, {quarter}, {flagged}, {counts}) \
                 ON CONFLICT (survey_id, quarter, flagged) DO UPDATE SET {adds};"
            )?,
            Cell::Property { key, value, day } => writeln!(
                out,
                "INSERT INTO rollup_property (survey_id, key, day, value, flagged, {columns}) VALUES ({survey}, {}, {day}, {}, {flagged}, {counts}) \
                 ON CONFLICT (survey_id, key, day, value, flagged) DO UPDATE SET {adds};",
                quote(key),
                quote(value)
            )?,
        }
    }
    Ok(())
}

/// The demo's comment pools, from the corpus (`nps_shared::corpus`), as the SQL of
/// a common table expression `pools(pool, list)` that `worker/seed/demo.sql` picks its
/// comments from: `delivery` (detractors whose comment has a word of the `delivery`
/// synonym group: late, lost, damaged parcels), `detractor` (the other detractors),
/// `passive` and
/// `promoter`, each a JSON array of comments in corpus order. `nps-seed
/// --demo-comments` prints it; a test holds `demo.sql` to it.
pub fn demo_comment_pools() -> String {
    let mut pools: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (score, text) in nps_shared::corpus::comments() {
        let groups = nps_shared::themes::comment_groups(text);
        let pool = match score.category() {
            nps_shared::Category::Detractor if groups.contains(&"delivery") => "delivery",
            nps_shared::Category::Detractor => "detractor",
            nps_shared::Category::Passive => "passive",
            nps_shared::Category::Promoter => "promoter",
        };
        pools.entry(pool).or_default().push(text);
    }
    let rows: Vec<String> = ["delivery", "detractor", "passive", "promoter"]
        .iter()
        .map(|pool| {
            let list = serde_json::to_string_pretty(pools.get(pool).map_or(&[][..], Vec::as_slice))
                .unwrap_or_else(|_| "[]".to_owned());
            format!("  ('{pool}', json({}))", quote(&list))
        })
        .collect();
    format!("pools(pool, list) AS (VALUES\n{}\n)", rows.join(",\n"))
}

/// The solutions the demo's support team offered per cause, and how many of every four
/// customers each won back (their next answer a promoter's): several per cause with
/// different rates, in English and German, so the playbook has something to rank.
pub const DEMO_SOLUTIONS: [(&str, &str, u32); 13] = [
    (
        "delivery",
        "Sent a replacement by express, delivered the next morning",
        3,
    ),
    (
        "delivery",
        "Versandkosten erstattet und einen Gutschein über 10 € geschickt",
        2,
    ),
    ("delivery", "Apologised and sent the tracking link", 1),
    (
        "product",
        "Exchanged the item for a new one, pick-up at the door",
        3,
    ),
    (
        "product",
        "Produkt zurückgenommen und den Kaufpreis erstattet",
        2,
    ),
    ("price", "Offered 15 % off the next order", 2),
    (
        "price",
        "Explained the price and the three-year warranty",
        1,
    ),
    (
        "service",
        "Called back the same day and apologised personally",
        3,
    ),
    (
        "service",
        "Rückruf durch die Teamleitung, Entschuldigung per E-Mail",
        1,
    ),
    ("website", "Placed the order for the customer by phone", 3),
    ("website", "Sent a step-by-step guide to the checkout", 1),
    (
        "other",
        "Listened and passed the feedback on to the team",
        1,
    ),
    (
        "other",
        "Gutschein über 10 € als Entschuldigung geschickt",
        2,
    ),
];

/// What the demo's cases are resolved with, as the SQL of two common table
/// expressions that `worker/seed/demo.sql` reads: `causes(comment, cause)`, the cause
/// [`nps_shared::cause::suggest`] finds in each detractor comment of the corpus among
/// the default causes (`other` when none), as the team accepted it; and
/// `solutions(cause, k, solution, solution_key, wins)`, [`DEMO_SOLUTIONS`] numbered
/// per cause, with the key the worker groups the playbook by
/// ([`nps_shared::cause::solution_key`]). `nps-seed --demo-cases` prints it; a test
/// holds `demo.sql` to it.
pub fn demo_cases() -> String {
    let causes = nps_shared::cause::default_causes("en");
    let mut by_comment: BTreeMap<&str, &str> = BTreeMap::new();
    for (score, text) in nps_shared::corpus::comments() {
        if score.category() == nps_shared::Category::Detractor {
            let cause =
                nps_shared::cause::suggest(&causes, text).map_or("other", |c| c.key.as_str());
            by_comment.insert(text, cause);
        }
    }
    let comments: Vec<String> = by_comment
        .iter()
        .map(|(text, cause)| format!("  ({}, {})", quote(text), quote(cause)))
        .collect();
    let mut numbered: BTreeMap<&str, u32> = BTreeMap::new();
    let solutions: Vec<String> = DEMO_SOLUTIONS
        .iter()
        .map(|(cause, text, wins)| {
            let k = numbered.entry(cause).or_default();
            *k += 1;
            format!(
                "  ({}, {}, {}, {}, {wins})",
                quote(cause),
                *k - 1,
                quote(text),
                quote(&nps_shared::cause::solution_key(text))
            )
        })
        .collect();
    format!(
        "causes(comment, cause) AS (VALUES\n{}\n),\nsolutions(cause, k, solution, solution_key, wins) AS (VALUES\n{}\n)",
        comments.join(",\n"),
        solutions.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nps_shared::report::{GroupBy, Interval, Report, ReportQuery, UtcOffset, Zone};
    use nps_shared::rollup::{SAMPLE_LIMIT, report_from_counters};
    use std::collections::BTreeSet;

    const END: i64 = 1_764_000_000_000;

    fn plan(answers: u64, seed: u64) -> Plan {
        Plan {
            survey_id: "s_bench".into(),
            answers,
            seed,
            end_ms: END,
            days: 365,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_sql_and_another_seed_does_not() {
        let sql = |seed| {
            let mut out = Vec::new();
            write_sql(&plan(200, seed), &mut out).unwrap();
            out
        };
        assert_eq!(sql(7), sql(7));
        assert_ne!(sql(7), sql(8));
    }

    #[test]
    fn the_demo_sql_draws_its_comments_from_the_corpus() {
        let demo = include_str!("../../worker/seed/demo.sql");
        assert!(
            demo.contains(&demo_comment_pools()),
            "worker/seed/demo.sql's comment pools are not the corpus's: \
             paste the output of `nps-seed --demo-comments` between its BEGIN/END lines"
        );
    }

    #[test]
    fn the_demo_sql_resolves_its_cases_with_the_generated_causes_and_solutions() {
        let demo = include_str!("../../worker/seed/demo.sql");
        assert!(
            demo.contains(&demo_cases()),
            "worker/seed/demo.sql's causes and solutions are not the generated ones: \
             paste the output of `nps-seed --demo-cases` between its BEGIN/END lines"
        );
    }

    #[test]
    fn every_demo_cause_has_solutions_that_win_back_at_different_rates() {
        let causes = nps_shared::cause::default_causes("en");
        for cause in &causes {
            let wins: Vec<u32> = DEMO_SOLUTIONS
                .iter()
                .filter(|(c, _, _)| *c == cause.key)
                .map(|(_, _, w)| *w)
                .collect();
            assert!(wins.len() >= 2, "{} has several solutions", cause.key);
            assert!(wins.iter().all(|w| *w <= 4));
            let distinct: BTreeSet<_> = wins.iter().collect();
            assert_eq!(
                distinct.len(),
                wins.len(),
                "{}: the playbook ranks them",
                cause.key
            );
        }
        assert!(
            DEMO_SOLUTIONS
                .iter()
                .all(|(c, _, _)| causes.iter().any(|cause| cause.key == *c)),
            "every solution's cause is a default cause"
        );
        let keys: BTreeSet<_> = DEMO_SOLUTIONS
            .iter()
            .map(|(_, text, _)| nps_shared::cause::solution_key(text))
            .collect();
        assert_eq!(
            keys.len(),
            DEMO_SOLUTIONS.len(),
            "no two solutions share a key"
        );
    }

    #[test]
    fn the_demo_s_delivery_complaints_are_mostly_given_the_delivery_cause() {
        let cases = demo_cases();
        let pools = demo_comment_pools();
        let delivery = &pools[..pools.find("('detractor'").unwrap()];
        let listed: Vec<&str> = delivery
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"'))
            .filter_map(|l| l.rsplit_once('"').map(|(text, _)| text))
            .collect();
        assert!(listed.len() > 20, "{}", listed.len());
        let as_delivery = listed
            .iter()
            .filter(|text| {
                cases.contains(&format!("{}, 'delivery')", quote(&text.replace("''", "'"))))
            })
            .count();
        assert!(
            as_delivery * 4 >= listed.len() * 3,
            "{as_delivery} of {}",
            listed.len()
        );
    }

    /// `worker/seed/demo.sql` loaded into SQLite after the worker's migrations, as
    /// `scripts/dev.sh` loads it into the local D1.
    fn demo_database() -> rusqlite::Connection {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../worker/migrations");
        let mut files: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .collect();
        files.sort();
        for file in files {
            db.execute_batch(&std::fs::read_to_string(file).unwrap())
                .unwrap();
        }
        db.execute_batch(include_str!("../../worker/seed/demo.sql"))
            .unwrap();
        db
    }

    fn number(db: &rusqlite::Connection, sql: &str) -> f64 {
        db.query_row(sql, [], |row| row.get::<_, f64>(0)).unwrap()
    }

    #[test]
    fn the_demo_resolves_its_cases_with_causes_solutions_and_later_answers() {
        let db = demo_database();
        let n = |sql: &str| number(&db, sql);
        assert_eq!(
            n("SELECT COUNT(*) FROM responses WHERE idempotency_key NOT LIKE 'seed-again-%'"),
            480.0
        );
        let resolved = n("SELECT COUNT(*) FROM cases WHERE status = 'resolved'");
        assert!(resolved > 50.0, "{resolved}");
        assert_eq!(
            n(
                "SELECT COUNT(*) FROM cases WHERE status = 'resolved' AND cause IS NOT NULL \
               AND solution IS NOT NULL AND solution_key IS NOT NULL"
            ),
            resolved
        );
        assert_eq!(
            n("SELECT COUNT(*) FROM cases WHERE status <> 'resolved' AND cause IS NOT NULL"),
            0.0
        );
        // Every re-asked score is a later answer of the same customer, on the timeline.
        let reasked = n("SELECT COUNT(*) FROM cases WHERE reasked_score IS NOT NULL");
        assert!(reasked > resolved / 2.0, "{reasked}");
        assert_eq!(
            n(
                "SELECT COUNT(*) FROM cases c JOIN responses r ON r.respondent_id = c.respondent_id \
               AND r.score = c.reasked_score AND r.created_at > c.created_at \
               AND r.idempotency_key = 'seed-again-' || c.response_id \
               AND json_extract(c.timeline, '$[#-1].kind') = 'answered_again' \
               AND json_extract(c.timeline, '$[#-1].score') = c.reasked_score"
            ),
            reasked
        );
        // Each delivery solution wins back at its own rate, as DEMO_SOLUTIONS says.
        let mut rates = db
            .prepare(
                "SELECT solution, AVG(reasked_score >= 9) FROM cases \
                 WHERE cause = 'delivery' AND status = 'resolved' GROUP BY solution_key ORDER BY 2 DESC",
            )
            .unwrap();
        let rates: Vec<(String, f64)> = rates
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rates.len(), 3, "{rates:?}");
        assert!(
            rates[0].1 > rates[1].1 + 0.15 && rates[1].1 > rates[2].1 + 0.15,
            "{rates:?}"
        );
        assert_eq!(rates[0].0, DEMO_SOLUTIONS[0].1);
    }

    #[test]
    fn the_demo_s_action_plan_went_live_when_the_delivery_complaints_stopped_and_the_nps_rose() {
        let db = demo_database();
        let n = |sql: &str| number(&db, sql);
        let live = "(SELECT live_at FROM action_plans WHERE cause = 'delivery' AND status = 'in_progress')";
        assert!((n(&format!("SELECT julianday('now') - julianday({live})")) - 7.0).abs() < 0.01);
        let delivery_detractors = |window: &str| {
            n(&format!(
                "SELECT COUNT(*) FROM cases WHERE cause = 'delivery' AND created_at {window} {live}"
            ))
        };
        assert!(delivery_detractors("<") > 30.0);
        let mut since = db
            .prepare(&format!(
                "SELECT comment FROM responses WHERE score <= 6 AND created_at >= {live}"
            ))
            .unwrap();
        let complaints: Vec<Option<String>> = since
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(!complaints.is_empty(), "still some detractors");
        for comment in complaints.iter().flatten() {
            let groups = nps_shared::themes::comment_groups(comment);
            assert!(
                !groups.contains(&"delivery"),
                "a delivery complaint after the plan: {comment}"
            );
        }
        let nps = |window: &str| {
            n(&format!(
                "SELECT 100.0 * (SUM(score >= 9) - SUM(score <= 6)) / COUNT(*) FROM responses \
                 WHERE created_at {window} \
                 AND created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', {live}, '-7 days')"
            ))
        };
        let (before, after) = (nps(&format!("< {live}")), nps(&format!(">= {live}")));
        assert!(after - before > 15.0, "{before} → {after}");
    }

    #[test]
    fn the_demo_pools_sort_every_corpus_comment_by_its_score_and_topic() {
        let pools = demo_comment_pools();
        assert_eq!(pools.matches("json('[").count(), 4);
        for (score, text) in nps_shared::corpus::comments() {
            assert!(pools.contains(&quote_json(text)), "{score} {text}");
        }
        let delivery = &pools[..pools.find("('detractor'").unwrap()];
        assert!(delivery.contains("Lieferung kam zu spät"));
        assert!(!delivery.contains("Viel zu teuer"));
    }

    /// A comment as it stands in the pools: a JSON string inside an SQL literal.
    fn quote_json(text: &str) -> String {
        serde_json::to_string(text).unwrap().replace('\'', "''")
    }

    #[test]
    fn seeded_answers_look_like_a_shop_year() {
        let all: Vec<Seeded> = answers(&plan(5_000, 1)).collect();
        let n = all.len() as f64;
        let share = |f: &dyn Fn(&Seeded) -> bool| all.iter().filter(|s| f(s)).count() as f64 / n;
        let promoters = share(&|s| s.record.score.value() >= 9);
        let detractors = share(&|s| s.record.score.value() <= 6);
        assert!((0.45..0.65).contains(&promoters), "{promoters}");
        assert!((0.12..0.30).contains(&detractors), "{detractors}");
        assert!((0.35..0.55).contains(&share(&|s| s.record.comment.is_some())));
        assert!((0.3..0.5).contains(&share(&|s| s.locale == "de")));
        let first = all.iter().map(|s| s.record.created_at).min().unwrap();
        let last = all.iter().map(|s| s.record.created_at).max().unwrap();
        assert!(last < END && first >= END - 365 * 86_400_000);
        assert!(last - first > 360 * 86_400_000, "spread over the year");
        let comments: std::collections::BTreeSet<_> = all
            .iter()
            .filter_map(|s| s.record.comment.as_deref())
            .collect();
        assert!(
            comments.len() > 60,
            "a varied phrase bank: {}",
            comments.len()
        );
        assert!(all.iter().all(|s| s.record.property("revenue").is_some()));
        let ids: std::collections::BTreeSet<_> = all.iter().map(|s| &s.id).collect();
        assert_eq!(ids.len(), all.len(), "ids are unique");
    }

    #[test]
    fn the_definition_is_a_valid_survey() {
        let definition: Result<nps_shared::api::SurveyDefinition, _> =
            serde_json::from_value(survey_definition("x"));
        assert!(definition.is_ok(), "{definition:?}");
    }

    #[test]
    fn seeded_rollups_give_the_report_a_scan_gives() {
        let p = plan(1_500, 3);
        let counters = write_sql(&p, &mut io::sink()).unwrap();
        let records: Vec<AnswerRecord> = answers(&p).map(|s| s.record).collect();
        let mid = END - 100 * 86_400_000 + 12_345_678;
        for query in [
            ReportQuery::default(),
            ReportQuery {
                interval: Interval::Day,
                zone: Zone::fixed(UtcOffset::try_from(330).unwrap()),
                group_by: Some(GroupBy::Property("store".into())),
                ..ReportQuery::default()
            },
            ReportQuery {
                from: Some(mid),
                to: Some(mid + 40 * 86_400_000 + 999),
                interval: Interval::Month,
                zone: Zone::fixed(UtcOffset::try_from(60).unwrap()),
                group_by: Some(GroupBy::Rfm),
                include_flagged: true,
                ..ReportQuery::default()
            },
        ] {
            let from_rollups =
                report_from_counters(&counters, &records, &query, SAMPLE_LIMIT).unwrap();
            assert_eq!(from_rollups, Report::build(&records, &query).unwrap());
            assert!(from_rollups.overall.responses > 100);
        }
    }
}
