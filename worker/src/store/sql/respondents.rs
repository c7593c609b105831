//! GDPR: everything stored about one respondent, found by the shop's id or by e-mail
//! address, and erased together with the rollup counts of their answers.

use super::cases::{CASE_SELECT, CaseRow};
use super::deliveries::{DELIVERY_COLUMNS, DeliveryRow};
use super::invitations::{InvitationRow, invitation_of};
use super::responses::{RESPONSE_COLUMNS, ResponseRow};
use super::rollups::record;
use super::{SqlStore, all_rows};
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{
    Delivery, RespondentRecords, RespondentStore, StoreResult, StoredCase, StoredResponse,
    SurveyCache, Who,
};
use nps_shared::rollup;

impl<D: Database, C: SurveyCache> RespondentStore for SqlStore<D, C> {
    async fn respondent_records(&self, who: &Who) -> StoreResult<RespondentRecords> {
        // The same column of `responses`, and of `cases` as `CASE_SELECT` names it.
        // An address by its key (`validate::normalize_email`), as `Who` holds it:
        // compared with `=`, never with `lower()`, which folds ASCII only.
        // Answers also by what they claimed without proof (`nps_shared::identity`):
        // unverified, yet about this person as far as the sender said.
        let (column, claimed, case_column, needle) = match who {
            Who::Id(id) => (
                "respondent_id",
                "claimed_id",
                "c.respondent_id",
                id.as_str(),
            ),
            Who::Email(key) => (
                "respondent_email_key",
                "claimed_email_key",
                "c.respondent_email_key",
                key.as_str(),
            ),
        };
        let answer_match = format!("({column} = ?1 OR {claimed} = ?1)");
        let answers = all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {RESPONSE_COLUMNS} FROM responses WHERE {answer_match} ORDER BY id"
                ),
                needle
            ),
            |row: ResponseRow| StoredResponse::try_from(row),
        )
        .await?;
        let cases = all_rows(
            &self.db,
            query!(
                format!(
                    "{CASE_SELECT} WHERE {case_column} = ?1 \
                     OR c.response_id IN (SELECT id FROM responses WHERE {answer_match}) ORDER BY c.id"
                ),
                needle
            ),
            |row: CaseRow| StoredCase::try_from(row),
        )
        .await?;
        let invitations = all_rows(
            &self.db,
            query!(
                format!("SELECT invitation FROM invitations WHERE {column} = ?1 ORDER BY id"),
                needle
            ),
            |row: InvitationRow| invitation_of(row),
        )
        .await?;
        let mail_sends = super::mail::mail_sends_of(&self.db, who).await?;
        let remembered_orders = super::connectors::remembered_orders_of(&self.db, who).await?;
        let mut records = RespondentRecords {
            answers,
            cases,
            invitations,
            deliveries: Vec::new(),
            mail_sends,
            remembered_orders,
        };
        // Every needle in one JSON parameter: one query per megabyte of needles,
        // not one per 50 of them.
        let mut seen = std::collections::BTreeSet::new();
        let needles = records
            .needles(who)
            .into_iter()
            .map(serde_json::Value::from);
        for array in super::json_arrays(needles) {
            let deliveries = all_rows(
                &self.db,
                query!(
                    format!(
                        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE EXISTS \
                         (SELECT 1 FROM json_each(?1) WHERE instr(payload, value) > 0) ORDER BY id"
                    ),
                    array
                ),
                |row: DeliveryRow| Delivery::try_from(row),
            )
            .await?;
            for delivery in deliveries {
                if seen.insert(delivery.id.clone()) {
                    records.deliveries.push(delivery);
                }
            }
        }
        Ok(records)
    }

    /// One atomic write of a fixed number of statements (one more of a kind per
    /// megabyte of ids or counters), however many records there are.
    async fn erase_records(&self, records: &RespondentRecords) -> StoreResult<()> {
        let ids = |ids: Vec<&str>| super::json_arrays(ids.into_iter().map(Into::into));
        let each = |arrays: Vec<String>, sql: &str| -> Vec<Statement> {
            arrays
                .into_iter()
                .map(|array| query!(sql.to_owned(), array))
                .collect()
        };
        let mut statements = Vec::new();
        let deliveries = ids(records.deliveries.iter().map(|d| d.id.as_str()).collect());
        statements.extend(each(
            deliveries.clone(),
            "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT value FROM json_each(?1))",
        ));
        statements.extend(each(
            deliveries,
            "DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?1))",
        ));
        statements.extend(each(
            ids(records.invitations.iter().map(|i| i.id.as_str()).collect()),
            "DELETE FROM invitations WHERE id IN (SELECT value FROM json_each(?1))",
        ));
        statements.extend(each(
            ids(records.mail_sends.iter().map(|m| m.id.as_str()).collect()),
            "DELETE FROM mail_sends WHERE id IN (SELECT value FROM json_each(?1))",
        ));
        statements.extend(each(
            ids(records
                .remembered_orders
                .iter()
                .map(|o| o.event_id.as_str())
                .collect()),
            super::connectors::FORGET_FACTS,
        ));
        // Before the answers they point at.
        statements.extend(each(
            ids(records.cases.iter().map(|c| c.view.id.as_str()).collect()),
            "DELETE FROM cases WHERE id IN (SELECT value FROM json_each(?1))",
        ));
        // The answers leave the rollups under the state each is in when the write
        // runs (read in the statement: a flag or a confirm may have come since they
        // were read), summed per counter; an answer already gone counts nothing.
        let mut times = Vec::new();
        let mut properties = Vec::new();
        for answer in &records.answers {
            let v = &answer.view;
            for change in rollup::changes(&record(v)?, -1) {
                match change.cell {
                    rollup::Cell::Time { quarter } => {
                        times.push(serde_json::json!([v.id, quarter]));
                    }
                    rollup::Cell::Property { key, value, day } => {
                        properties.push(serde_json::json!([v.id, key, day, value]));
                    }
                }
            }
        }
        let state = "(r.flagged IS NOT NULL OR r.provisional = 1)";
        let cell = "json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), \
                    json_extract(j.value, '$[3]')";
        let minus: Vec<String> = (0..=10).map(|i| format!("-SUM(r.score = {i})")).collect();
        let minus = minus.join(", ");
        let add: Vec<String> = (0..=10)
            .map(|i| format!("s{i} = s{i} + excluded.s{i}"))
            .collect();
        let add = add.join(", ");
        let sums = (0..=10)
            .map(|i| format!("s{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        statements.extend(each(
            super::json_arrays(times),
            &format!(
                "INSERT INTO rollup_time (survey_id, quarter, flagged, {sums}) \
                 SELECT r.survey_id, json_extract(j.value, '$[1]'), {state}, {minus} \
                 FROM json_each(?1) AS j JOIN responses AS r ON r.id = json_extract(j.value, '$[0]') \
                 WHERE true GROUP BY r.survey_id, json_extract(j.value, '$[1]'), {state} \
                 ON CONFLICT (survey_id, quarter, flagged) DO UPDATE SET {add}"
            ),
        ));
        statements.extend(each(
            super::json_arrays(properties),
            &format!(
                "INSERT INTO rollup_property (survey_id, key, day, value, flagged, {sums}) \
                 SELECT r.survey_id, {cell}, {state}, {minus} \
                 FROM json_each(?1) AS j JOIN responses AS r ON r.id = json_extract(j.value, '$[0]') \
                 WHERE true GROUP BY r.survey_id, {cell}, {state} \
                 ON CONFLICT (survey_id, key, day, value, flagged) DO UPDATE SET {add}"
            ),
        ));
        // A property value the answers alone were counted under is the person's data
        // too (a city, a plan): its counters, now zero, go with them.
        let mut surveys: Vec<&str> = records
            .answers
            .iter()
            .map(|a| a.view.survey_id.as_str())
            .collect();
        surveys.sort_unstable();
        surveys.dedup();
        statements.extend(each(ids(surveys), super::rollups::FORGET_ZERO_PROPERTIES));
        let answers = ids(records.answers.iter().map(|a| a.view.id.as_str()).collect());
        statements.extend(each(
            answers.clone(),
            "DELETE FROM cases WHERE response_id IN (SELECT value FROM json_each(?1))",
        ));
        statements.extend(each(
            answers,
            "DELETE FROM responses WHERE id IN (SELECT value FROM json_each(?1))",
        ));
        self.db.batch(statements).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{answer, case, delivery, run, with_survey};
    use crate::store::db::Database;
    use crate::store::{Companions, DeliveryStore, RespondentStore, ResponseStore, Who};
    use nps_shared::api::Respondent;

    const T0: &str = "2026-11-01T10:00:00.000Z";

    #[test]
    fn a_row_written_without_its_e_mail_key_gets_one_from_the_trigger() {
        // An older worker (between `migrations apply` and `deploy`) does not write
        // the key; the migration's triggers fill it in, so GDPR requests find the row.
        let s = with_survey();
        run(s.db().run(crate::query!(
            "INSERT INTO responses (id, survey_id, score, category, channel, respondent_email, \
             properties, edit_token, created_at, updated_at) \
             VALUES ('r_old', 's_demo', 3, 'detractor', 'web', ' Kim@Example.COM', '{}', 't', ?1, ?1)",
            T0
        )))
        .unwrap();
        let records = run(s.respondent_records(&Who::Email("kim@example.com".into()))).unwrap();
        assert_eq!(records.answers.len(), 1);
    }

    #[test]
    fn a_respondent_s_answers_cases_and_the_deliveries_naming_them_are_found_and_erased() {
        let s = with_survey();
        let mut kim = answer("r_1", 2, T0);
        kim.view.respondent = Respondent {
            id: Some("cust-4".into()),
            email: Some("kim@example.com".into()),
        };
        kim.view
            .properties
            .insert("city".into(), "Kleinkleckersdorf".into());
        let with = Companions {
            case: Some(case("c_1", &kim, None)),
            deliveries: vec![delivery("dl_1", "wh_1", "{\"response\":\"r_1\"}", T0)],
        };
        run(s.insert_group(&[(kim.clone(), with)])).unwrap();
        let mut other = answer("r_2", 9, T0);
        other.view.respondent.id = Some("cust-42".into());
        run(s.insert_group(&[(other.clone(), Companions::default())])).unwrap();
        // Names the other customer only: `"cust-4"` must not find `"cust-42"`.
        run(s.insert_deliveries(&[delivery("dl_2", "wh_1", "{\"id\":\"cust-42\"}", T0)])).unwrap();

        for who in [
            Who::Id("cust-4".into()),
            Who::Email("kim@example.com".into()),
        ] {
            let records = run(s.respondent_records(&who)).unwrap();
            assert_eq!(records.answers.len(), 1, "{who:?}");
            assert_eq!(records.cases.len(), 1, "{who:?}");
            let ids: Vec<&str> = records.deliveries.iter().map(|d| d.id.as_str()).collect();
            assert_eq!(ids, ["dl_1"], "{who:?}");
        }
        #[derive(serde::Deserialize)]
        struct Value {
            value: String,
        }
        let city = || {
            s.db()
                .select::<Value>("SELECT value FROM rollup_property")
                .iter()
                .any(|v| v.value == "Kleinkleckersdorf")
        };
        assert!(city(), "the city is counted before the erase");
        let records = run(s.respondent_records(&Who::Id("cust-4".into()))).unwrap();
        run(s.erase_records(&records)).unwrap();
        assert!(run(s.get_response("r_1")).unwrap().is_none());
        assert!(run(s.get_delivery("dl_1")).unwrap().is_none());
        assert!(run(s.get_response("r_2")).unwrap().is_some());
        assert!(run(s.get_delivery("dl_2")).unwrap().is_some());
        let left = run(s.respondent_records(&Who::Id("cust-4".into()))).unwrap();
        assert_eq!(left, Default::default());
        // Regression (review): the value stayed in the rollups with a count of zero.
        assert!(!city(), "the city is gone with the erased answer");
    }
}
