//! GDPR: everything stored about one respondent, found by the shop's id or by e-mail
//! address, and erased together with the rollup counts of their answers.

use super::cases::{CASE_SELECT, CaseRow};
use super::deliveries::{DELIVERY_COLUMNS, DeliveryRow};
use super::invitations::{InvitationRow, invitation_of};
use super::responses::{RESPONSE_COLUMNS, ResponseRow};
use super::rollups::{Guard, record, rollup_statements};
use super::{SqlStore, all_rows};
use crate::query;
use crate::store::db::{Database, Param, Statement};
use crate::store::{
    Delivery, RespondentRecords, RespondentStore, StoreResult, StoredCase, StoredResponse,
    SurveyCache, Who,
};
use nps_shared::rollup;

/// D1 binds at most 100 parameters per statement: delivery payloads are searched for
/// this many needles at a time.
const NEEDLES_PER_QUERY: usize = 50;

impl<D: Database, C: SurveyCache> RespondentStore for SqlStore<D, C> {
    async fn respondent_records(&self, who: &Who) -> StoreResult<RespondentRecords> {
        // The same column of `responses`, and of `cases` as `CASE_SELECT` names it.
        // Addresses are stored normalised (`validate::normalize_email`), as `Who` holds
        // them: compared with `=`, never with `lower()`, which folds ASCII only.
        let (column, case_column, needle) = match who {
            Who::Id(id) => ("respondent_id", "c.respondent_id", id.as_str()),
            Who::Email(email) => ("respondent_email", "c.respondent_email", email.as_str()),
        };
        let answers = all_rows(
            &self.db,
            query!(
                format!("SELECT {RESPONSE_COLUMNS} FROM responses WHERE {column} = ?1 ORDER BY id"),
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
                     OR c.response_id IN (SELECT id FROM responses WHERE {column} = ?1) ORDER BY c.id"
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
        let mut records = RespondentRecords {
            answers,
            cases,
            invitations,
            deliveries: Vec::new(),
        };
        let mut seen = std::collections::BTreeSet::new();
        for chunk in records.needles(who).chunks(NEEDLES_PER_QUERY) {
            let condition = (1..=chunk.len())
                .map(|i| format!("instr(payload, ?{i}) > 0"))
                .collect::<Vec<_>>()
                .join(" OR ");
            let deliveries = all_rows(
                &self.db,
                Statement::new(
                    format!(
                        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE {condition} ORDER BY id"
                    ),
                    chunk.iter().map(|n| n.value()).collect(),
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

    async fn erase_records(&self, records: &RespondentRecords) -> StoreResult<()> {
        let mut statements = Vec::new();
        for d in &records.deliveries {
            statements.push(query!(
                "DELETE FROM delivery_attempts WHERE delivery_id = ?1",
                d.id
            ));
            statements.push(query!("DELETE FROM deliveries WHERE id = ?1", d.id));
        }
        for i in &records.invitations {
            statements.push(query!("DELETE FROM invitations WHERE id = ?1", i.id));
        }
        // Before the answers they point at.
        for c in &records.cases {
            statements.push(query!("DELETE FROM cases WHERE id = ?1", c.view.id));
        }
        self.db.batch(statements).await?;
        // One batch per answer: its rollups and its row go together or not at all.
        for answer in &records.answers {
            let v = &answer.view;
            let mut record = record(v)?;
            let mut statements = Vec::new();
            // Whatever its flagged state is by now, exactly one of these applies.
            for flagged in [false, true] {
                record.flagged = flagged;
                statements.extend(rollup_statements(
                    &v.survey_id,
                    &v.id,
                    &rollup::changes(&record, -1),
                    Guard::InState(flagged),
                ));
            }
            statements.push(query!("DELETE FROM cases WHERE response_id = ?1", v.id));
            statements.push(query!("DELETE FROM responses WHERE id = ?1", v.id));
            self.db.batch(statements).await?;
        }
        Ok(())
    }
}
