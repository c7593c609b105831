//! `rollup_time` and `rollup_property`: the report's counters (`nps_shared::rollup`),
//! moved in the same batch as the answer they count, under a guard that makes each
//! move apply exactly when the answer's write does; and their reads, merged per local
//! day in SQL. `rollup_day` and `rollup_hour`, the same time counters per UTC day and
//! hour, follow `rollup_time` by trigger (migration 0019): nothing here writes them,
//! and a whole-hour zone's report reads them instead of the quarter-hours.

use super::SqlStore;
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{StoreError, StoreResult, SurveyCache};
use nps_shared::report::{AnswerRecord, Distribution, UtcOffset, Zone};
use nps_shared::rollup::{self, RangeCounts};
use serde::Deserialize;

/// The SQL condition under which a rollup change applies, checked inside the same
/// batch as the write: `?G` is the answer's id.
#[derive(Clone, Copy)]
pub(super) enum Guard {
    /// The answer is provisional and not flagged (before a confirm).
    ProvisionalOnly,
}

impl Guard {
    fn sql(self, g: usize) -> String {
        match self {
            Guard::ProvisionalOnly => format!(
                "EXISTS (SELECT 1 FROM responses WHERE id = ?{g} AND flagged IS NULL AND provisional = 1)"
            ),
        }
    }

    fn bind(self, statement: &mut Statement, id: &str) {
        use crate::store::db::Param;
        statement.params.push(id.value());
    }
}

/// One statement per counter change, each applied only under `guard`, to go into
/// the same batch as the answer's write.
pub(super) fn rollup_statements(
    survey_id: &str,
    id: &str,
    changes: &[rollup::Change],
    guard: Guard,
) -> Vec<Statement> {
    changes
        .iter()
        .map(|c| {
            let s = format!("s{}", c.score.value());
            let mut statement = match &c.cell {
                rollup::Cell::Time { quarter } => query!(
                    format!(
                        "INSERT INTO rollup_time (survey_id, quarter, flagged, {s}) \
                         SELECT ?1, ?2, ?3, ?4 WHERE {} \
                         ON CONFLICT (survey_id, quarter, flagged) DO UPDATE SET {s} = {s} + excluded.{s}",
                        guard.sql(5)
                    ),
                    survey_id,
                    *quarter,
                    c.flagged,
                    c.delta,
                ),
                rollup::Cell::Property { key, value, day } => query!(
                    format!(
                        "INSERT INTO rollup_property (survey_id, key, day, value, flagged, {s}) \
                         SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE {} \
                         ON CONFLICT (survey_id, key, day, value, flagged) DO UPDATE SET {s} = {s} + excluded.{s}",
                        guard.sql(7)
                    ),
                    survey_id,
                    key,
                    *day,
                    value,
                    c.flagged,
                    c.delta,
                ),
            };
            guard.bind(&mut statement, id);
            statement
        })
        .collect()
}

/// The counter changes of a group of new answers (each with its survey), summed per
/// counter in Rust: one upsert per rollup table whatever the group's size (more only
/// past [`super::MAX_JSON_BYTES`] of counters). No guard: the answers are inserted
/// in the same batch without `ON CONFLICT`, so the batch stores all or nothing.
pub(super) fn summed_rollup_statements(changes: &[(String, rollup::Change)]) -> Vec<Statement> {
    guarded_summed_statements(changes, "true", Vec::new())
}

/// Deletes the property counters of the surveys in `?1` (a JSON array) that count
/// nothing: after an erase, a value only the erased answers were counted under (a
/// city, a plan) is that person's data too.
pub(super) const FORGET_ZERO_PROPERTIES: &str = "DELETE FROM rollup_property WHERE survey_id IN (SELECT value FROM json_each(?1)) \
     AND s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 = 0";

/// [`summed_rollup_statements`] applied only where `guard` holds when the batch runs:
/// an SQL condition whose parameters are `?2`… (`params`; `?1` is the counters).
pub(super) fn guarded_summed_statements(
    changes: &[(String, rollup::Change)],
    guard: &str,
    params: Vec<crate::store::db::Value>,
) -> Vec<Statement> {
    use std::collections::BTreeMap;
    let mut sums: BTreeMap<(&str, &rollup::Cell, bool), [i64; 11]> = BTreeMap::new();
    for (survey_id, c) in changes {
        sums.entry((survey_id, &c.cell, c.flagged)).or_default()[usize::from(c.score.value())] +=
            c.delta;
    }
    let (mut times, mut properties) = (Vec::new(), Vec::new());
    for ((survey_id, cell, flagged), counts) in sums {
        let mut row = vec![serde_json::Value::from(survey_id)];
        match cell {
            rollup::Cell::Time { quarter } => {
                row.extend([(*quarter).into(), u8::from(flagged).into()]);
                row.extend(counts.iter().map(|&n| serde_json::Value::from(n)));
                times.push(serde_json::Value::Array(row));
            }
            rollup::Cell::Property { key, value, day } => {
                row.extend([
                    key.as_str().into(),
                    (*day).into(),
                    value.as_str().into(),
                    u8::from(flagged).into(),
                ]);
                row.extend(counts.iter().map(|&n| serde_json::Value::from(n)));
                properties.push(serde_json::Value::Array(row));
            }
        }
    }
    let scores = (0..=10).map(|i| format!("s{i}")).collect::<Vec<_>>();
    let add = scores
        .iter()
        .map(|s| format!("{s} = {s} + excluded.{s}"))
        .collect::<Vec<_>>()
        .join(", ");
    let scores = scores.join(", ");
    let mut statements = super::insert_rows(
        "rollup_time",
        &format!("survey_id, quarter, flagged, {scores}"),
        &times,
        &format!("WHERE {guard} ON CONFLICT (survey_id, quarter, flagged) DO UPDATE SET {add}"),
    );
    statements.extend(super::insert_rows(
        "rollup_property",
        &format!("survey_id, key, day, value, flagged, {scores}"),
        &properties,
        &format!(
            "WHERE {guard} ON CONFLICT (survey_id, key, day, value, flagged) DO UPDATE SET {add}"
        ),
    ));
    for statement in &mut statements {
        statement.params.extend(params.iter().cloned());
    }
    statements
}

/// The counter changes of answers being flagged (each with its survey and id), in one
/// upsert per rollup table whatever their number: each change applies only if its
/// answer is still counted and not flagged when the batch runs (checked per
/// row), then they are summed per counter in SQL.
pub(super) fn guarded_flag_statements(
    changes: &[(String, String, rollup::Change)],
) -> Vec<Statement> {
    let (mut times, mut properties) = (Vec::new(), Vec::new());
    for (survey_id, id, c) in changes {
        let head =
            serde_json::json!([survey_id, id, c.score.value(), c.delta, u8::from(c.flagged)]);
        let mut row = head.as_array().cloned().unwrap_or_default();
        match &c.cell {
            rollup::Cell::Time { quarter } => {
                row.push((*quarter).into());
                times.push(serde_json::Value::Array(row));
            }
            rollup::Cell::Property { key, value, day } => {
                row.extend([key.as_str().into(), (*day).into(), value.as_str().into()]);
                properties.push(serde_json::Value::Array(row));
            }
        }
    }
    let pick = |i: usize| format!("json_extract(value, '$[{i}]')");
    let scores = (0..=10).map(|i| format!("s{i}")).collect::<Vec<_>>();
    let sums = (0..=10)
        .map(|i| {
            format!(
                "SUM(CASE WHEN {} = {i} THEN {} ELSE 0 END)",
                pick(2),
                pick(3)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let add = scores
        .iter()
        .map(|s| format!("{s} = {s} + excluded.{s}"))
        .collect::<Vec<_>>()
        .join(", ");
    let scores = scores.join(", ");
    let counted = format!(
        "EXISTS (SELECT 1 FROM responses WHERE id = {} AND flagged IS NULL AND provisional = 0)",
        pick(1)
    );
    let statement = |table: &str, keys: &str, picks: &str, rows: &[serde_json::Value]| {
        (!rows.is_empty()).then(|| {
            crate::query!(
                format!(
                    "INSERT INTO {table} (survey_id, {keys}, {scores}) SELECT {}, {picks}, {sums} \
                     FROM json_each(?1) WHERE {counted} GROUP BY {}, {picks} \
                     ON CONFLICT (survey_id, {keys}) DO UPDATE SET {add}",
                    pick(0),
                    pick(0),
                ),
                serde_json::Value::from(rows.to_vec()).to_string()
            )
        })
    };
    let time = statement(
        "rollup_time",
        "quarter, flagged",
        &format!("{}, {}", pick(5), pick(4)),
        &times,
    );
    let property = statement(
        "rollup_property",
        "key, day, value, flagged",
        &format!("{}, {}, {}, {}", pick(5), pick(6), pick(7), pick(4)),
        &properties,
    );
    time.into_iter().chain(property).collect()
}

/// The answer's record for the rollups, or why a stored answer has none.
pub(super) fn record(view: &nps_shared::api::ResponseView) -> StoreResult<AnswerRecord> {
    AnswerRecord::try_from(view).map_err(|e| StoreError(format!("answer {}: {e}", view.id)))
}

impl<D: Database, C: SurveyCache> SqlStore<D, C> {
    /// See `ResponseStore::report_counts`.
    pub(super) async fn counts(
        &self,
        survey_id: &str,
        first_day: Option<i64>,
        end_day: Option<i64>,
        zone: &Zone,
        group_key: Option<&str>,
    ) -> StoreResult<RangeCounts> {
        let quarters = |day: Option<i64>| day.map(|d| d * rollup::QUARTERS_PER_DAY);
        let times = async {
            match rollup::HourShift::of(zone) {
                Some(shift) => self.day_counts(survey_id, first_day, end_day, shift).await,
                None => {
                    self.quarter_counts(survey_id, quarters(first_day), quarters(end_day), zone)
                        .await
                }
            }
        };
        let key = group_key.filter(|k| rollup::is_rolled_up(k));
        let values = async {
            match key {
                Some(key) => {
                    self.db
                        .all::<Sums>(query!(
                            format!(
                                "SELECT value, flagged, {SUMS} FROM rollup_property WHERE survey_id = ?1 AND key = ?2 \
                                 AND (?3 IS NULL OR day >= ?3) AND (?4 IS NULL OR day < ?4) GROUP BY value, flagged"
                            ),
                            survey_id,
                            key,
                            first_day,
                            end_day,
                        ))
                        .await
                }
                None => Ok(Vec::new()),
            }
        };
        // Both reads at once: on D1 each is a round trip.
        let (mut counts, values) = futures_util::future::try_join(times, values).await?;
        for row in values
            .iter()
            .filter(|row| Distribution::from(*row).total() > 0)
        {
            let value = row.value.clone().unwrap_or_default();
            counts
                .values
                .entry((value, row.flagged == 1))
                .or_default()
                .merge(&Distribution::from(row));
        }
        Ok(counts)
    }

    /// The time counters of the UTC days `[first_day, end_day)` merged per local day
    /// in a fixed whole-hour zone: each UTC day's counter, less the hours its local
    /// midnight gives to the next (or previous) local day, plus those of its
    /// neighbour. One row per day and a key range of `rollup_hour` (migration 0019),
    /// where the quarter-hours would be 96 rows a day.
    async fn day_counts(
        &self,
        survey_id: &str,
        first_day: Option<i64>,
        end_day: Option<i64>,
        shift: rollup::HourShift,
    ) -> StoreResult<RangeCounts> {
        let scores = (0..=10).map(|i| format!("s{i}")).collect::<Vec<_>>();
        let minus = scores.iter().map(|s| format!("-{s}")).collect::<Vec<_>>();
        let (scores, minus) = (scores.join(", "), minus.join(", "));
        let days = "(?2 IS NULL OR day >= ?2) AND (?3 IS NULL OR day < ?3)";
        let hours = format!("survey_id = ?1 AND hour_of_day BETWEEN ?4 AND ?5 AND {days}");
        let rows: Vec<Sums> = self
            .db
            .all(query!(
                format!(
                    "SELECT day, flagged, {SUMS} FROM ( \
                     SELECT day, flagged, {scores} FROM rollup_day WHERE survey_id = ?1 AND {days} \
                     UNION ALL SELECT day, flagged, {minus} FROM rollup_hour WHERE {hours} \
                     UNION ALL SELECT day + ?6, flagged, {scores} FROM rollup_hour WHERE {hours} \
                     ) GROUP BY day, flagged"
                ),
                survey_id,
                first_day,
                end_day,
                shift.first,
                shift.last,
                shift.days,
            ))
            .await?;
        let mut counts = RangeCounts::default();
        for row in rows
            .iter()
            .filter(|row| Distribution::from(*row).total() > 0)
        {
            let day = row
                .day
                .ok_or_else(|| StoreError("a day of rollups without its day".into()))?;
            counts
                .times
                .entry((shift.local_midnight(day), row.flagged == 1))
                .or_default()
                .merge(&Distribution::from(row));
        }
        Ok(counts)
    }

    /// See `ResponseStore::report_quarter_counts`: the time counters of the UTC
    /// quarter-hours `[first, end)`, merged per local day in `zone`.
    pub(super) async fn quarter_counts(
        &self,
        survey_id: &str,
        first: Option<i64>,
        end: Option<i64>,
        zone: &Zone,
    ) -> StoreResult<RangeCounts> {
        // Merged per local day in SQL (the +10 days keep the dividend positive, so
        // SQLite's truncating division floors): one row per day, not per quarter-hour.
        let times: Vec<Sums> = self
            .db
            .all(query!(
                format!(
                    "SELECT MIN(quarter) AS quarter, flagged, {SUMS} FROM rollup_time WHERE survey_id = ?1 \
                     AND (?2 IS NULL OR quarter >= ?2) AND (?3 IS NULL OR quarter < ?3) \
                     GROUP BY (quarter * 900 + {offset} + 864000) / 86400, flagged",
                    offset = offset_seconds_sql(zone),
                ),
                survey_id,
                first,
                end,
            ))
            .await?;
        let mut counts = RangeCounts::default();
        // Counters that went back to zero (an answer flagged or erased) keep their
        // rows; they count nothing and must not make a bucket or a group appear.
        for row in times
            .iter()
            .filter(|row| Distribution::from(*row).total() > 0)
        {
            let quarter = row
                .quarter
                .ok_or_else(|| StoreError("a day of rollups without its quarter".into()))?;
            counts
                .times
                .entry((quarter * rollup::QUARTER_MS, row.flagged == 1))
                .or_default()
                .merge(&Distribution::from(row));
        }
        Ok(counts)
    }

    /// See `ResponseStore::first_answer_at`.
    pub(super) async fn first_quarter(&self, survey_id: &str) -> StoreResult<Option<i64>> {
        #[derive(Deserialize)]
        struct First {
            quarter: Option<i64>,
        }
        let first: Option<First> = self
            .db
            .first(query!(
                "SELECT MIN(quarter) AS quarter FROM rollup_time WHERE survey_id = ?1",
                survey_id
            ))
            .await?;
        Ok(first
            .and_then(|f| f.quarter)
            .map(|quarter| quarter * rollup::QUARTER_MS))
    }
}

const SUMS: &str = "SUM(s0) AS s0, SUM(s1) AS s1, SUM(s2) AS s2, SUM(s3) AS s3, SUM(s4) AS s4, \
     SUM(s5) AS s5, SUM(s6) AS s6, SUM(s7) AS s7, SUM(s8) AS s8, SUM(s9) AS s9, SUM(s10) AS s10";

/// A row of summed counters: a local day's (`quarter` or `day`) or a value's. Fields are
/// spelt out: `serde(flatten)` would buffer D1's numbers as floats.
#[derive(Deserialize)]
struct Sums {
    #[serde(default)]
    quarter: Option<i64>,
    #[serde(default)]
    day: Option<i64>,
    #[serde(default)]
    value: Option<String>,
    flagged: u8,
    s0: u64,
    s1: u64,
    s2: u64,
    s3: u64,
    s4: u64,
    s5: u64,
    s6: u64,
    s7: u64,
    s8: u64,
    s9: u64,
    s10: u64,
}

impl From<&Sums> for Distribution {
    fn from(s: &Sums) -> Self {
        Distribution([
            s.s0, s.s1, s.s2, s.s3, s.s4, s.s5, s.s6, s.s7, s.s8, s.s9, s.s10,
        ])
    }
}

/// The zone's offset in seconds as an SQL expression of `quarter` (a UTC quarter-hour):
/// a constant, or a CASE over the zone's changes. Only integers we computed go in.
fn offset_seconds_sql(zone: &Zone) -> String {
    let seconds = |offset: UtcOffset| i64::from(offset.minutes()) * 60;
    if zone.changes().is_empty() {
        return seconds(zone.base()).to_string();
    }
    let mut sql = String::from("CASE");
    let mut before = zone.base();
    for (at, offset) in zone.changes() {
        sql.push_str(&format!(
            " WHEN quarter < {} THEN {}",
            at.div_euclid(rollup::QUARTER_MS),
            seconds(before)
        ));
        before = *offset;
    }
    sql.push_str(&format!(" ELSE {} END", seconds(before)));
    sql
}

#[cfg(test)]
mod tests {
    use super::super::testing::{answer, run, with_survey};
    use crate::store::{Companions, ResponseStore};
    use nps_shared::report::{UtcOffset, Zone};
    use nps_shared::rollup::QUARTER_MS;

    const DAY_MS: i64 = 86_400_000;

    #[test]
    fn counters_are_merged_per_local_day_and_flagged_ones_kept_apart() {
        let s = with_survey();
        // 2026-11-01 23:30 UTC is already 2026-11-02 in UTC+01:00.
        for (id, score, at) in [
            ("r_1", 10, "2026-11-01T09:00:00.000Z"),
            ("r_2", 3, "2026-11-01T23:30:00.000Z"),
            ("r_3", 9, "2026-11-02T08:00:00.000Z"),
        ] {
            run(s.insert_group(&[(answer(id, score, at), Companions::default())])).unwrap();
        }
        run(s.flag_all(&["r_3".into()], "scanner")).unwrap();
        let first_day =
            nps_shared::time::parse_rfc3339("2026-11-01T00:00:00.000Z").unwrap() / DAY_MS;
        let days = |zone: &Zone| {
            let counts = run(s.report_counts("s_demo", Some(first_day), None, zone, None)).unwrap();
            counts
                .times
                .iter()
                .map(|((at, flagged), d)| (at / DAY_MS - first_day, *flagged, d.total()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            days(&Zone::fixed(UtcOffset::UTC)),
            [(0, false, 2), (1, true, 1)]
        );
        let plus_one = Zone::fixed(UtcOffset::try_from(60).unwrap());
        // Keys are each local day's first quarter-hour (UTC): day 0, then day 0's last hour.
        let merged: Vec<(bool, u64)> = days(&plus_one)
            .into_iter()
            .map(|(_, f, n)| (f, n))
            .collect();
        assert_eq!(merged, [(false, 1), (false, 1), (true, 1)]);
        assert_eq!(
            run(s.first_answer_at("s_demo")).unwrap(),
            nps_shared::time::parse_rfc3339("2026-11-01T09:00:00.000Z")
                .map(|t| t / QUARTER_MS * QUARTER_MS)
        );
    }

    #[test]
    fn migration_0019_counts_the_quarter_hours_already_stored_per_day_and_hour_and_follows_every_change()
     {
        use crate::store::sqlite::Sqlite;
        use crate::store::testing::days_and_hours_follow_quarters;
        let db = Sqlite::migrated_before("0019");
        let upsert = |quarter: i64, flagged: u8, s3: i64, s10: i64| {
            format!(
                "INSERT INTO rollup_time (survey_id, quarter, flagged, s3, s10) \
                 VALUES ('s_demo', {quarter}, {flagged}, {s3}, {s10}) \
                 ON CONFLICT (survey_id, quarter, flagged) DO UPDATE SET s3 = s3 + excluded.s3, s10 = s10 + excluded.s10"
            )
        };
        // Quarter-hours of one hour, of two hours of one day, across a midnight,
        // before 1970 and flagged.
        // Day 20416 starts at quarter-hour 20416 * 96 = 1_959_936.
        let stored = [
            (1_959_936, 0, 1, 2),
            (1_959_937, 0, 0, 5),
            (1_959_939, 1, 4, 0),
            (1_959_940, 0, 1, 1),
            (1_960_031, 0, 2, 0),
            (1_960_032, 0, 0, 3),
            (-1, 0, 1, 0),
            (-96, 1, 0, 7),
        ];
        for (quarter, flagged, s3, s10) in stored {
            db.select::<serde_json::Value>(&upsert(quarter, flagged, s3, s10));
        }
        db.migrate_from("0019");
        let rows = |sql: &str| db.select::<serde_json::Value>(sql);
        assert_eq!(
            rows(
                "SELECT day, flagged, s3, s10 FROM rollup_day WHERE day IN (20416, -1) ORDER BY day, flagged"
            ),
            [
                serde_json::json!({"day": -1, "flagged": 0, "s3": 1, "s10": 0}),
                serde_json::json!({"day": -1, "flagged": 1, "s3": 0, "s10": 7}),
                serde_json::json!({"day": 20416, "flagged": 0, "s3": 4, "s10": 8}),
                serde_json::json!({"day": 20416, "flagged": 1, "s3": 4, "s10": 0}),
            ]
        );
        assert_eq!(
            rows(
                "SELECT hour_of_day AS h, s3, s10 FROM rollup_hour WHERE day = 20416 AND flagged = 0 ORDER BY h"
            ),
            [
                serde_json::json!({"h": 0, "s3": 1, "s10": 7}),
                serde_json::json!({"h": 1, "s3": 1, "s10": 1}),
                serde_json::json!({"h": 23, "s3": 2, "s10": 0}),
            ]
        );
        days_and_hours_follow_quarters(&db, "s_demo");
        // After it: a new quarter-hour, an upsert, a move, a delete.
        db.select::<serde_json::Value>(&upsert(1_960_200, 0, 3, 3));
        db.select::<serde_json::Value>(&upsert(1_959_937, 0, -1, 1));
        days_and_hours_follow_quarters(&db, "s_demo");
        db.select::<serde_json::Value>(
            "UPDATE rollup_time SET quarter = 1960300, flagged = 1 WHERE quarter = 1959936 AND flagged = 0",
        );
        days_and_hours_follow_quarters(&db, "s_demo");
        db.select::<serde_json::Value>("DELETE FROM rollup_time WHERE quarter = 1960032");
        days_and_hours_follow_quarters(&db, "s_demo");
        let moved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            db.select::<serde_json::Value>("UPDATE rollup_day SET s3 = s3 + 1 WHERE day = 20416");
            days_and_hours_follow_quarters(&db, "s_demo");
        }));
        assert!(moved.is_err(), "a day counter out of step goes unnoticed");
    }

    #[test]
    fn counters_back_at_zero_count_nothing() {
        let s = with_survey();
        run(s.insert_group(&[(
            answer("r_1", 10, "2026-11-01T09:00:00.000Z"),
            Companions::default(),
        )]))
        .unwrap();
        run(s.flag_all(&["r_1".into()], "scanner")).unwrap();
        let counts =
            run(s.report_counts("s_demo", None, None, &Zone::fixed(UtcOffset::UTC), None)).unwrap();
        let unflagged: Vec<_> = counts
            .times
            .keys()
            .filter(|(_, flagged)| !flagged)
            .collect();
        assert!(
            unflagged.is_empty(),
            "a zeroed row made a bucket: {unflagged:?}"
        );
    }
}
