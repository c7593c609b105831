//! In-memory storage for native unit tests of the services. It mirrors the D1
//! semantics that matter: one answer per (survey, idempotency key), newest-first lists.

use super::*;
use nps_shared::report::{AnswerRecord, Zone};
use nps_shared::rollup::{self, Counters, RangeCounts};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Whether a stored respondent is the one a GDPR request names (as D1 matches).
fn matches(who: &Who, respondent: &Respondent) -> bool {
    match who {
        Who::Id(id) => respondent.id.as_deref() == Some(id),
        Who::Email(email) => respondent
            .email
            .as_deref()
            .is_some_and(|e| e.to_lowercase() == *email),
    }
}

fn record(view: &ResponseView) -> StoreResult<AnswerRecord> {
    AnswerRecord::try_from(view).map_err(|e| StoreError(e.to_string()))
}

impl Memory {
    /// Every store a service takes, all of them this one.
    pub fn stores(&self) -> crate::service::Stores<'_, Memory, Memory, Memory, Memory, Memory> {
        crate::service::Stores {
            surveys: self,
            responses: self,
            webhooks: self,
            queue: self,
            cases: self,
        }
    }

    fn count(&self, survey_id: &str, changes: &[rollup::Change]) {
        let mut rollups = self.rollups.borrow_mut();
        let counters = rollups.entry(survey_id.to_owned()).or_default();
        for change in changes {
            counters.apply(change);
        }
    }

    /// The case with the comment and respondent of the answer that opened it, as D1's
    /// `LEFT JOIN responses` reads them: the answer's as they are now, or the case's
    /// own copy of the respondent (and no comment) if the answer is gone.
    fn with_answer(&self, mut case: StoredCase) -> StoredCase {
        let responses = self.responses.borrow();
        match responses
            .iter()
            .find(|r| r.view.id == case.view.response_id)
        {
            Some(answer) => {
                case.view.comment = answer.view.comment.clone();
                case.view.respondent = answer.view.respondent.clone();
            }
            None => {
                case.view.comment = None;
                case.view.respondent = case.respondent.clone();
            }
        }
        case
    }

    /// Moves an answer's counts when `update` changes whether it is flagged.
    fn restate(&self, id: &str, update: impl Fn(&mut ResponseView)) -> StoreResult<()> {
        let mut responses = self.responses.borrow_mut();
        let Some(r) = responses.iter_mut().find(|r| r.view.id == id) else {
            return Ok(());
        };
        let before = record(&r.view)?;
        update(&mut r.view);
        let after = record(&r.view)?;
        self.count(&r.view.survey_id, &rollup::reflag(&before, after.flagged));
        Ok(())
    }
}

#[derive(Default)]
pub struct Memory {
    pub surveys: RefCell<Vec<SurveyView>>,
    pub responses: RefCell<Vec<StoredResponse>>,
    pub endpoints: RefCell<Vec<Endpoint>>,
    pub queued: RefCell<Vec<(DeliveryTask, u32)>>,
    pub dead: RefCell<Vec<DeliveryTask>>,
    pub deliveries: RefCell<Vec<Delivery>>,
    pub attempts: RefCell<Vec<(String, AttemptView)>>,
    pub cases: RefCell<Vec<StoredCase>>,
    pub invitations: RefCell<Vec<(Invitation, Option<String>)>>,
    /// Who each invitation (by id) was for.
    pub invited: RefCell<Vec<(String, Respondent)>>,
    /// The rollups per survey, kept by the writes as D1 keeps its tables.
    pub rollups: RefCell<BTreeMap<String, Counters>>,
    /// When set, every queue send fails (to test that answers survive it).
    pub queue_down: std::cell::Cell<bool>,
    /// When set, every rate-limit counter write fails (storage down).
    pub rate_limits_down: std::cell::Cell<bool>,
    pub rate_limits: RefCell<std::collections::BTreeMap<(String, i64), u32>>,
}

impl SurveyStore for Memory {
    async fn get_survey(&self, id: &str) -> StoreResult<Option<SurveyView>> {
        Ok(self.surveys.borrow().iter().find(|s| s.id == id).cloned())
    }
    async fn list_surveys(&self) -> StoreResult<Vec<SurveyView>> {
        Ok(self.surveys.borrow().clone())
    }
    async fn insert_survey(&self, survey: &SurveyView) -> StoreResult<bool> {
        let mut surveys = self.surveys.borrow_mut();
        if surveys.iter().any(|s| s.id == survey.id) {
            return Ok(false);
        }
        surveys.push(survey.clone());
        Ok(true)
    }
    async fn update_survey(&self, survey: &SurveyView) -> StoreResult<()> {
        for s in self
            .surveys
            .borrow_mut()
            .iter_mut()
            .filter(|s| s.id == survey.id)
        {
            *s = survey.clone();
        }
        Ok(())
    }
}

impl ResponseStore for Memory {
    async fn insert_response(
        &self,
        response: &StoredResponse,
        with: &Companions,
    ) -> StoreResult<Inserted> {
        let mut responses = self.responses.borrow_mut();
        if let Some(key) = &response.idempotency_key {
            let same = |r: &&StoredResponse| {
                r.view.survey_id == response.view.survey_id
                    && r.idempotency_key.as_ref() == Some(key)
            };
            if let Some(existing) = responses.iter().find(same) {
                return Ok(Inserted::Existing(Box::new(existing.clone())));
            }
        }
        if let Some(order) = &response.view.order_id {
            let taken = responses.iter().any(|r| {
                r.view.survey_id == response.view.survey_id
                    && r.view.order_id.as_ref() == Some(order)
            });
            if taken {
                return Ok(Inserted::OrderTaken);
            }
        }
        self.count(
            &response.view.survey_id,
            &rollup::changes(&record(&response.view)?, 1),
        );
        responses.push(response.clone());
        self.cases.borrow_mut().extend(with.case.clone());
        self.deliveries
            .borrow_mut()
            .extend(with.deliveries.iter().cloned());
        Ok(Inserted::New)
    }
    async fn get_response(&self, id: &str) -> StoreResult<Option<StoredResponse>> {
        Ok(self
            .responses
            .borrow()
            .iter()
            .find(|r| r.view.id == id)
            .cloned())
    }
    async fn answer_for_order(
        &self,
        survey_id: &str,
        order_id: &str,
    ) -> StoreResult<Option<StoredResponse>> {
        Ok(self
            .responses
            .borrow()
            .iter()
            .find(|r| r.view.survey_id == survey_id && r.view.order_id.as_deref() == Some(order_id))
            .cloned())
    }
    async fn report_answers(
        &self,
        survey_id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<nps_shared::report::AnswerRecord>> {
        let mut views: Vec<ResponseView> = self
            .responses
            .borrow()
            .iter()
            .map(|r| r.view.clone())
            .filter(|v| v.survey_id == survey_id)
            .filter(|v| {
                from.is_none_or(|f| v.created_at.as_str() >= f)
                    && to.is_none_or(|t| v.created_at.as_str() < t)
            })
            .collect();
        views.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        views
            .iter()
            .map(|v| {
                nps_shared::report::AnswerRecord::try_from(v).map_err(|e| StoreError(e.to_string()))
            })
            .collect()
    }
    async fn answered_since(
        &self,
        survey_id: &str,
        person_key: &str,
        since: &str,
        except_key: Option<&str>,
    ) -> StoreResult<bool> {
        Ok(self.responses.borrow().iter().any(|r| {
            r.view.survey_id == survey_id
                && r.person_key.as_deref() == Some(person_key)
                && r.view.created_at.as_str() > since
                && except_key.is_none_or(|k| r.idempotency_key.as_deref() != Some(k))
        }))
    }
    async fn confirm(&self, id: &str) -> StoreResult<()> {
        self.restate(id, |view| view.provisional = false)
    }
    async fn flag(&self, id: &str, reason: &str) -> StoreResult<()> {
        self.restate(id, |view| {
            view.flagged.get_or_insert_with(|| reason.to_string());
        })
    }
    async fn report_counts(
        &self,
        survey_id: &str,
        first_day: Option<i64>,
        end_day: Option<i64>,
        zone: &Zone,
        group_key: Option<&str>,
    ) -> StoreResult<RangeCounts> {
        Ok(self
            .rollups
            .borrow()
            .get(survey_id)
            .map(|c| c.range(first_day, end_day, zone, group_key))
            .unwrap_or_default())
    }
    async fn first_answer_at(&self, survey_id: &str) -> StoreResult<Option<i64>> {
        Ok(self
            .responses
            .borrow()
            .iter()
            .filter(|r| r.view.survey_id == survey_id)
            .filter_map(|r| nps_shared::time::parse_rfc3339(&r.view.created_at))
            .min()
            .map(|ms| ms - ms.rem_euclid(nps_shared::rollup::QUARTER_MS)))
    }
    async fn report_sample(
        &self,
        survey_id: &str,
        from: Option<&str>,
        to: Option<&str>,
        include_flagged: bool,
        limit: u32,
    ) -> StoreResult<Vec<AnswerRecord>> {
        let mut answers: Vec<AnswerRecord> = self
            .report_answers(survey_id, from, to)
            .await?
            .into_iter()
            .filter(|a| include_flagged || !a.flagged)
            .collect();
        let cut = answers.len().saturating_sub(limit as usize);
        answers.drain(..cut);
        Ok(answers)
    }
    async fn set_comment(
        &self,
        id: &str,
        comment: Option<&str>,
        updated_at: &str,
    ) -> StoreResult<()> {
        for r in self
            .responses
            .borrow_mut()
            .iter_mut()
            .filter(|r| r.view.id == id)
        {
            r.view.comment = comment.map(str::to_string);
            r.view.updated_at = updated_at.to_string();
        }
        Ok(())
    }
    async fn list_responses(
        &self,
        survey_id: &str,
        category: Option<Category>,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<ResponseView>> {
        let mut views: Vec<ResponseView> = self
            .responses
            .borrow()
            .iter()
            .map(|r| r.view.clone())
            .filter(|v| v.survey_id == survey_id)
            .filter(|v| category.is_none_or(|c| v.category == c))
            .filter(|v| before.is_none_or(|b| v.id.as_str() < b))
            .collect();
        views.sort_by(|a, b| b.id.cmp(&a.id));
        views.truncate(limit as usize);
        Ok(views)
    }
}

impl WebhookStore for Memory {
    async fn insert_endpoint(&self, endpoint: &Endpoint) -> StoreResult<()> {
        self.endpoints.borrow_mut().push(endpoint.clone());
        Ok(())
    }
    async fn list_endpoints(&self) -> StoreResult<Vec<Endpoint>> {
        Ok(self.endpoints.borrow().clone())
    }
    async fn get_endpoint(&self, id: &str) -> StoreResult<Option<Endpoint>> {
        Ok(self
            .endpoints
            .borrow()
            .iter()
            .find(|e| e.view.id == id)
            .cloned())
    }
    async fn delete_endpoint(&self, id: &str) -> StoreResult<bool> {
        let mut endpoints = self.endpoints.borrow_mut();
        let before = endpoints.len();
        endpoints.retain(|e| e.view.id != id);
        Ok(endpoints.len() < before)
    }
}

impl DeliveryQueue for Memory {
    async fn enqueue(&self, tasks: &[DeliveryTask], delay_seconds: u32) -> StoreResult<()> {
        if self.queue_down.get() {
            return Err(StoreError("queue is down".into()));
        }
        self.queued
            .borrow_mut()
            .extend(tasks.iter().map(|t| (t.clone(), delay_seconds)));
        Ok(())
    }
    async fn dead_letter(&self, task: &DeliveryTask) -> StoreResult<()> {
        self.dead.borrow_mut().push(task.clone());
        Ok(())
    }
}

impl DeliveryStore for Memory {
    async fn insert_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()> {
        self.deliveries
            .borrow_mut()
            .extend(deliveries.iter().cloned());
        Ok(())
    }
    async fn get_delivery(&self, id: &str) -> StoreResult<Option<Delivery>> {
        Ok(self
            .deliveries
            .borrow()
            .iter()
            .find(|d| d.id == id)
            .cloned())
    }
    async fn update_delivery(&self, delivery: &Delivery) -> StoreResult<()> {
        for d in self
            .deliveries
            .borrow_mut()
            .iter_mut()
            .filter(|d| d.id == delivery.id)
        {
            *d = delivery.clone();
        }
        Ok(())
    }
    async fn record_attempt(&self, delivery: &Delivery, attempt: &AttemptView) -> StoreResult<()> {
        self.attempts
            .borrow_mut()
            .push((delivery.id.clone(), attempt.clone()));
        self.update_delivery(delivery).await
    }
    async fn list_deliveries(
        &self,
        endpoint_id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryView>> {
        let mut mine: Vec<Delivery> = self
            .deliveries
            .borrow()
            .iter()
            .filter(|d| d.endpoint_id == endpoint_id && before.is_none_or(|b| d.id.as_str() < b))
            .cloned()
            .collect();
        mine.sort_by(|a, b| b.id.cmp(&a.id));
        mine.truncate(limit as usize);
        let attempts = self.attempts.borrow();
        Ok(mine
            .iter()
            .map(|d| {
                d.view(
                    attempts
                        .iter()
                        .filter(|(id, _)| *id == d.id)
                        .map(|(_, a)| a.clone())
                        .collect(),
                )
            })
            .collect())
    }
    async fn overdue_deliveries(&self, due_before: &str, limit: u32) -> StoreResult<Vec<String>> {
        Ok(self
            .deliveries
            .borrow()
            .iter()
            .filter(|d| {
                d.status == nps_shared::api::DeliveryStatus::Pending
                    && d.next_attempt_at.as_deref().is_some_and(|t| t < due_before)
            })
            .take(limit as usize)
            .map(|d| d.id.clone())
            .collect())
    }
}

impl CaseStore for Memory {
    async fn get_case(&self, id: &str) -> StoreResult<Option<StoredCase>> {
        Ok(self
            .cases
            .borrow()
            .iter()
            .find(|c| c.view.id == id)
            .cloned()
            .map(|c| self.with_answer(c)))
    }
    async fn case_for_response(&self, response_id: &str) -> StoreResult<Option<StoredCase>> {
        Ok(self
            .cases
            .borrow()
            .iter()
            .find(|c| c.view.response_id == response_id)
            .cloned()
            .map(|c| self.with_answer(c)))
    }
    async fn update_case(&self, case: &StoredCase, expected_updated_at: &str) -> StoreResult<bool> {
        let mut cases = self.cases.borrow_mut();
        match cases.iter_mut().find(|c| c.view.id == case.view.id) {
            Some(stored) if stored.view.updated_at == expected_updated_at => {
                *stored = case.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn list_cases(
        &self,
        filter: &CaseFilter,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<StoredCase>> {
        let mut found: Vec<StoredCase> = self
            .cases
            .borrow()
            .iter()
            .filter(|c| filter.status.is_none_or(|s| c.view.status == s))
            .filter(|c| {
                filter
                    .owner
                    .as_ref()
                    .is_none_or(|o| c.view.owner.as_ref() == Some(o))
            })
            .filter(|c| {
                filter
                    .survey_id
                    .as_ref()
                    .is_none_or(|s| &c.view.survey_id == s)
            })
            .filter(|c| before.is_none_or(|b| c.view.id.as_str() < b))
            .cloned()
            .map(|c| self.with_answer(c))
            .collect();
        found.sort_by(|a, b| b.view.id.cmp(&a.view.id));
        found.truncate(limit as usize);
        Ok(found)
    }
    async fn cases_of_respondent(
        &self,
        survey_id: &str,
        respondent: &Respondent,
    ) -> StoreResult<Vec<StoredCase>> {
        let same = |c: &&StoredCase| {
            c.view.survey_id == survey_id
                && ((respondent.id.is_some() && c.respondent.id == respondent.id)
                    || (respondent.email.is_some() && c.respondent.email == respondent.email))
        };
        Ok(self
            .cases
            .borrow()
            .iter()
            .filter(same)
            .cloned()
            .map(|c| self.with_answer(c))
            .collect())
    }
}

impl InvitationStore for Memory {
    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        respondent: &Respondent,
        _created_at: &str,
    ) -> StoreResult<()> {
        self.invited
            .borrow_mut()
            .push((invitation.id.clone(), respondent.clone()));
        self.invitations
            .borrow_mut()
            .push((invitation.clone(), None));
        Ok(())
    }
    async fn due_invitations(&self, now: &str, limit: u32) -> StoreResult<Vec<Invitation>> {
        Ok(self
            .invitations
            .borrow()
            .iter()
            .filter(|(i, released)| {
                released.is_none() && i.send_after.as_deref().is_some_and(|t| t <= now)
            })
            .take(limit as usize)
            .map(|(i, _)| i.clone())
            .collect())
    }
    async fn mark_released(&self, id: &str, at: &str) -> StoreResult<bool> {
        let mut all = self.invitations.borrow_mut();
        match all
            .iter_mut()
            .find(|(i, released)| i.id == id && released.is_none())
        {
            Some(entry) => {
                entry.1 = Some(at.to_string());
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl RespondentStore for Memory {
    async fn respondent_records(&self, who: &Who) -> StoreResult<RespondentRecords> {
        let mut answers: Vec<StoredResponse> = self
            .responses
            .borrow()
            .iter()
            .filter(|r| matches(who, &r.view.respondent))
            .cloned()
            .collect();
        answers.sort_by(|a, b| a.view.id.cmp(&b.view.id));
        let cases = self
            .cases
            .borrow()
            .iter()
            .filter(|c| {
                matches(who, &c.respondent)
                    || answers.iter().any(|a| a.view.id == c.view.response_id)
            })
            .cloned()
            .map(|c| self.with_answer(c))
            .collect();
        let invited = self.invited.borrow();
        let invitations = self
            .invitations
            .borrow()
            .iter()
            .map(|(i, _)| i)
            .filter(|i| invited.iter().any(|(id, r)| *id == i.id && matches(who, r)))
            .cloned()
            .collect();
        let mut records = RespondentRecords {
            answers,
            cases,
            invitations,
            deliveries: Vec::new(),
        };
        let needles = records.needles(who);
        records.deliveries = self
            .deliveries
            .borrow()
            .iter()
            .filter(|d| needles.iter().any(|n| d.payload.contains(n.as_str())))
            .cloned()
            .collect();
        Ok(records)
    }

    async fn erase_records(&self, records: &RespondentRecords) -> StoreResult<()> {
        let gone = |id: &str, list: &[String]| list.iter().any(|x| x == id);
        let deliveries: Vec<String> = records.deliveries.iter().map(|d| d.id.clone()).collect();
        self.deliveries
            .borrow_mut()
            .retain(|d| !gone(&d.id, &deliveries));
        self.attempts
            .borrow_mut()
            .retain(|(id, _)| !gone(id, &deliveries));
        let invitations: Vec<String> = records.invitations.iter().map(|i| i.id.clone()).collect();
        self.invitations
            .borrow_mut()
            .retain(|(i, _)| !gone(&i.id, &invitations));
        self.invited
            .borrow_mut()
            .retain(|(id, _)| !gone(id, &invitations));
        let cases: Vec<String> = records.cases.iter().map(|c| c.view.id.clone()).collect();
        self.cases
            .borrow_mut()
            .retain(|c| !gone(&c.view.id, &cases));
        for answer in &records.answers {
            let mut responses = self.responses.borrow_mut();
            // As stored now, not as read: its flagged state may have moved since.
            if let Some(at) = responses.iter().position(|r| r.view.id == answer.view.id) {
                let stored = responses.remove(at);
                self.count(
                    &stored.view.survey_id,
                    &rollup::changes(&record(&stored.view)?, -1),
                );
            }
        }
        Ok(())
    }
}

impl RateLimitStore for Memory {
    async fn hit(&self, key: &str, window: i64) -> StoreResult<u32> {
        if self.rate_limits_down.get() {
            return Err(StoreError("database is locked".into()));
        }
        let mut counters = self.rate_limits.borrow_mut();
        let count = counters.entry((key.to_string(), window)).or_insert(0);
        *count += 1;
        Ok(*count)
    }
    async fn count(&self, key: &str, window: i64) -> StoreResult<u32> {
        Ok(self
            .rate_limits
            .borrow()
            .get(&(key.to_string(), window))
            .copied()
            .unwrap_or(0))
    }
    async fn forget_before(&self, window: i64) -> StoreResult<u32> {
        let mut counters = self.rate_limits.borrow_mut();
        let before = counters.len();
        counters.retain(|(_, w), _| *w >= window);
        Ok(u32::try_from(before - counters.len()).unwrap_or(u32::MAX))
    }
}
