//! Answers: validated by `nps_shared::validate` and prepared without a write
//! ([`prepare`]), then stored in groups ([`commit_group`]: the answers that reached
//! the ingest gate, `crate::gate`, while the previous group was written; one answer
//! without the gate) — exactly once per Idempotency-Key, with the case a low score
//! opens and the webhook deliveries that announce them, in one atomic write of a fixed
//! number of statements — then followed up: the deliveries are queued and a returning
//! customer's score shows on their cases ([`win_back`]). A comment may follow with the
//! edit token the first call returned.
//!
//! Who answered is believed only when verified (`nps_shared::identity`): by a valid
//! `respondent.user_hash` or by an invitation. Only then is it the answer's
//! `respondent` and its person key, so only then does the answer count in that
//! person's throttle, open a case about them or win back their earlier cases. An
//! unproven claim is kept as `claimed_id` / `claimed_email` properties.

use super::webhooks::{
    case_announcement, deliveries_to, dispatch, enqueue, receives, response_announcement,
};
use super::{Done, ServiceError, cases, check_origin, invitations, new_id, page, random};
use crate::store::{
    Companions, Delivery, DeliveryQueue, Endpoint, GroupInserted, Probes, Standing, Storage,
    StoreError, StoredCase, StoredResponse,
};
use nps_shared::Category;
use nps_shared::api::Respondent;
use nps_shared::api::{EventType, Page, ResponseCreated, ResponseView, SurveyView};
use nps_shared::identity::{Identity, IdentityPolicy, Verified};
use nps_shared::invitation::Claims;
use nps_shared::time::rfc3339;
use nps_shared::validate::{self, FieldError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long after answering the comment may still be added or changed.
pub const EDIT_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters. One answer is
/// stored per survey and key; the same request again gets the same reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    const MAX: usize = 255;

    pub fn parse(key: &str) -> Result<Self, ServiceError> {
        if key.is_empty() || key.len() > Self::MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ServiceError::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(IdempotencyKey(key.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `POST /v1/responses` as it arrived: the body and what the edge knows of the call.
#[derive(Clone, Debug)]
pub struct Submission<'a> {
    pub body: &'a serde_json::Value,
    pub idempotency_key: Option<IdempotencyKey>,
    /// The browser's `Origin`, checked against the survey's allowed origins.
    pub origin: Option<&'a str>,
    /// Mail scanners give themselves away by it (`nps_shared::scanner`).
    pub user_agent: Option<&'a str>,
    /// Checks invitation tokens; `None` when invitations are not set up.
    pub invitation_secret: Option<&'a [u8]>,
    /// Checks `respondent.user_hash` (`IDENTITY_SECRET`); `None` when not set up.
    pub identity_secret: Option<&'a [u8]>,
}

impl<'a> Submission<'a> {
    /// Just a body: no key, origin, user agent, invitation or identity secret.
    #[cfg(test)]
    pub fn new(body: &'a serde_json::Value) -> Self {
        Submission {
            body,
            idempotency_key: None,
            origin: None,
            user_agent: None,
            invitation_secret: None,
            identity_secret: None,
        }
    }
}

/// The outcome of a submission.
#[derive(Debug)]
pub struct Submitted {
    pub created: ResponseCreated,
    /// `true` when this was an Idempotency-Key replay (HTTP 200, nothing stored).
    pub replayed: bool,
}

/// An answer built from a submission and checked as far as that needs no write: the
/// survey, the origin, the invitation, the identity, its id and edit token. It goes
/// to the ingest gate (`crate::gate`) as JSON and is stored by [`commit_group`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Prepared {
    pub survey: SurveyView,
    pub stored: StoredResponse,
    /// The case a re-ask invitation links the answer to.
    pub linked_case: Option<String>,
    /// When it arrived (Unix ms): the answer's `created_at`, and what its throttle
    /// window and scanner check count from.
    pub now_ms: i64,
}

/// `POST /v1/responses` without the gate: the answer prepared and committed as a group
/// of one, then followed up.
pub async fn submit(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    submission: &Submission<'_>,
    now_ms: i64,
) -> Result<Done<Submitted>, ServiceError> {
    let prepared = prepare(store, submission, now_ms).await?;
    let outcome = commit_group(store, queue, vec![prepared])
        .await
        .pop()
        .ok_or_else(|| StoreError("a group of one gave no outcome".into()))??;
    Ok(win_back(store, queue, outcome).await)
}

/// Validates the body, finds the survey, checks the origin and the invitation token,
/// and builds the answer to store.
pub async fn prepare(
    store: &impl Storage,
    submission: &Submission<'_>,
    now_ms: i64,
) -> Result<Prepared, ServiceError> {
    let new = validate::parse_response(submission.body).map_err(ServiceError::Invalid)?;
    let survey = store
        .get_survey(&new.survey_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("survey {}", new.survey_id)))?;
    check_origin(&survey, submission.origin)?;
    // An invitation vouches for the order, the customer and their properties: those
    // come from what the server kept for it, not from what the page sent.
    let claims = match new.token.as_deref() {
        Some(token) => Some(
            invitations::resolve(
                store,
                submission.invitation_secret,
                token,
                &survey.id,
                now_ms,
            )
            .await?,
        ),
        None => None,
    };
    let identity = match &claims {
        Some(claims) if !claims.respondent.is_empty() => {
            Identity::invited(claims.respondent.clone())
        }
        _ => Identity::check(
            new.respondent,
            new.user_hash.as_deref(),
            submission.identity_secret,
        ),
    };
    if survey.definition.identity == IdentityPolicy::Required
        && identity.verified.is_none()
        && let Some(why) = identity.refused
    {
        return Err(ServiceError::invalid(
            "respondent.user_hash",
            &why.to_string(),
        ));
    }
    let mut properties = match &claims {
        Some(claims) => invitation_properties(&survey, claims, new.properties)?,
        None => new.properties,
    };
    properties.extend(identity.claimed_properties());
    let person_key = identity
        .verified
        .as_ref()
        .and_then(|v| v.person_key(&survey.id));
    let respondent = identity
        .verified
        .map(Verified::into_respondent)
        .unwrap_or_default();
    let now = rfc3339(now_ms);
    let stored = StoredResponse {
        view: ResponseView {
            id: new_id("r_", now_ms)?,
            survey_id: new.survey_id,
            score: new.score,
            category: new.score.category(),
            comment: new.comment,
            channel: new.channel,
            locale: new.locale,
            page_url: new.page_url,
            respondent,
            properties,
            created_at: now.clone(),
            updated_at: now,
            order_id: claims.as_ref().and_then(|c| c.order_id.clone()),
            // E-mail links are opened by mail scanners: provisional until a person acts.
            provisional: claims.is_some() && new.channel == nps_shared::api::Channel::Email,
            // Only invitation links are opened by mail scanners.
            flagged: claims.as_ref().and_then(|c| {
                let made =
                    nps_shared::ids::timestamp_ms("inv_", &c.invitation_id).map(|t| t as i64);
                nps_shared::scanner::assess(submission.user_agent, made, now_ms)
            }),
        },
        invitation_id: claims.as_ref().map(|c| c.invitation_id.clone()),
        person_key,
        edit_token: nps_shared::ids::token(random::<20>()?),
        idempotency_key: submission
            .idempotency_key
            .as_ref()
            .map(|k| k.as_str().to_string()),
        // serde_json orders object keys, so the same request in another key order is
        // still the same request.
        fingerprint: Some(validate::fingerprint(
            submission.body.to_string().as_bytes(),
        )),
    };
    Ok(Prepared {
        survey,
        stored,
        linked_case: claims.and_then(|c| c.case_id),
        now_ms,
    })
}

/// An invitation's answer has the properties the invitation fixed. The answer may not
/// change one of them (422 naming it), nor add others unless the survey allows it
/// (`extend_invitation_properties`; 422 naming the first one otherwise). Sending one
/// again with the same value changes nothing and is taken.
fn invitation_properties(
    survey: &SurveyView,
    claims: &Claims,
    sent: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ServiceError> {
    let mut errors = Vec::new();
    for (name, value) in &sent {
        match claims.properties.get(name) {
            Some(fixed) if fixed == value => {}
            Some(_) => errors.push(FieldError::new(
                format!("properties.{name}"),
                "is fixed by the invitation and cannot be changed",
            )),
            None if survey.definition.extend_invitation_properties => {}
            None => errors.push(FieldError::new(
                format!("properties.{name}"),
                "cannot be added to an invitation's answer: the survey does not allow it",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let mut properties = sent;
    properties.extend(claims.properties.clone());
    Ok(properties)
}

/// Times a group is read and written again when an answer stored elsewhere since its
/// reads (another shard of the gate) broke a unique rule; then every answer of it gets
/// the 503 and its client retries.
const GROUP_ATTEMPTS: usize = 3;

/// A committed answer and what its own invocation still does: queue nothing (the
/// group queued its deliveries) but show the new score on the customer's earlier
/// cases ([`win_back`]).
#[derive(Debug)]
pub struct Accepted {
    pub done: Done<Submitted>,
    pub win_back: Option<WinBack>,
}

/// A verified customer's new answer and their cases it is to show on, read with the
/// group's other customers' cases in one query.
#[derive(Debug)]
pub struct WinBack {
    survey: SurveyView,
    response: ResponseView,
    cases: Vec<StoredCase>,
}

/// What the group decided for one answer, before the write.
enum Verdict {
    /// Stored by this group's write.
    New,
    /// The same request as an answer stored before: its first reply again.
    Replay(Box<StoredResponse>),
    /// The same request as an earlier answer of this group: that one's outcome.
    SameAs(usize),
    /// 409 with this detail.
    Refused(String),
}

/// Stores a group of prepared answers — exactly once per Idempotency-Key, at most one
/// per order, one per person in their survey's `throttle.days` — in a fixed number of
/// D1 statements whatever the group's size: one read of what stands in the way
/// ([`ResponseStore::standing`]), one of the webhook endpoints, one atomic batch
/// (answers, summed rollups, cases, deliveries), one read of the customers' cases for
/// the win-back. Answers within the group are held to the same rules as against the
/// stored ones: a second answer with a key is a replay of the first, the same person
/// or order twice a 409 for the later one. Outcomes come in the group's order, each
/// only once the write that decides it committed: a 2xx is stored.
pub async fn commit_group(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    group: Vec<Prepared>,
) -> Vec<Result<Accepted, ServiceError>> {
    let unavailable = |why: &str| {
        (0..group.len())
            .map(|_| Err(ServiceError::Store(StoreError(why.to_string()))))
            .collect()
    };
    for _ in 0..GROUP_ATTEMPTS {
        match decide_and_write(store, &group).await {
            Ok(Some((verdicts, written))) => {
                return follow_up(store, queue, &group, verdicts, written).await;
            }
            // Raced by a write elsewhere: the next reads see it.
            Ok(None) => continue,
            Err(e) => return unavailable(&e.to_string()),
        }
    }
    unavailable("answers to this survey kept being stored elsewhere meanwhile; try again")
}

/// Whether the survey's throttle applies to this answer: a verified person, a
/// throttle, and no re-ask (support asking again on purpose).
fn throttled(p: &Prepared) -> Option<(&str, i64)> {
    let days = i64::from(p.survey.definition.throttle.days);
    let person = p.stored.person_key.as_deref()?;
    (days > 0 && p.linked_case.is_none()).then_some((person, days))
}

/// The group's reads, its verdicts and its one write; `None` when the write was raced.
#[allow(clippy::type_complexity)]
async fn decide_and_write(
    store: &impl Storage,
    group: &[Prepared],
) -> Result<Option<(Vec<Verdict>, Vec<(StoredResponse, Companions)>)>, StoreError> {
    let mut probes = Probes::default();
    for p in group {
        let survey_id = &p.stored.view.survey_id;
        if let Some(key) = &p.stored.idempotency_key {
            probes.keys.push((survey_id.clone(), key.clone()));
        }
        if let Some(order) = &p.stored.view.order_id {
            probes.orders.push((survey_id.clone(), order.clone()));
        }
        if let Some((person, days)) = throttled(p) {
            let since = rfc3339(p.now_ms - days * DAY_MS);
            probes
                .persons
                .push((survey_id.clone(), person.to_string(), since));
        }
    }
    // The stored answers the group's rules meet, and the endpoints, in one round trip.
    let Standing {
        answers: standing,
        endpoints,
    } = store.standing(&probes).await?;
    // The answers this group stores, as it decides them (a later one may flag one).
    let mut fresh: Vec<StoredResponse> = Vec::new();
    // For each answer of the group: its verdict, and its place in `fresh` if new.
    let mut verdicts = Vec::with_capacity(group.len());
    let mut places: Vec<Option<usize>> = Vec::with_capacity(group.len());
    let mut to_flag: Vec<String> = Vec::new();
    for (i, p) in group.iter().enumerate() {
        let verdict = judge(p, &group[..i], &places, &mut fresh, &standing, &mut to_flag);
        places.push(match verdict {
            Verdict::New => {
                fresh.push(p.stored.clone());
                Some(fresh.len() - 1)
            }
            _ => None,
        });
        verdicts.push(verdict);
    }
    let mut written = Vec::with_capacity(fresh.len());
    if !fresh.is_empty() {
        for (stored, p) in fresh.into_iter().zip(
            group
                .iter()
                .zip(&places)
                .filter_map(|(p, place)| place.map(|_| p)),
        ) {
            let with = companions(&endpoints, &p.survey, &stored, p.now_ms)?;
            written.push((stored, with));
        }
        if store.insert_group(&written).await? == GroupInserted::Raced {
            return Ok(None);
        }
    }
    // Several scores for one order within seconds: a scanner opened the links. The
    // first answers were stored before this group: flagged together.
    store
        .flag_all(&to_flag, "several scores for one order within seconds")
        .await?;
    Ok(Some((verdicts, written)))
}

/// The verdict on answer `p`, given the group's answers before it (`earlier`, with
/// their places in `fresh`), what is stored (`standing`), and the first answers of
/// orders to flag as a scanner's.
fn judge(
    p: &Prepared,
    earlier: &[Prepared],
    places: &[Option<usize>],
    fresh: &mut [StoredResponse],
    standing: &[StoredResponse],
    to_flag: &mut Vec<String>,
) -> Verdict {
    let v = &p.stored.view;
    let same_survey = |other: &StoredResponse| other.view.survey_id == v.survey_id;
    let reused = "this Idempotency-Key was already used for a different request";
    if let Some(key) = &p.stored.idempotency_key {
        if let Some(j) = earlier.iter().position(|e| {
            e.stored.view.survey_id == v.survey_id && e.stored.idempotency_key.as_ref() == Some(key)
        }) {
            return if earlier[j].stored.fingerprint == p.stored.fingerprint {
                Verdict::SameAs(j)
            } else {
                Verdict::Refused(reused.into())
            };
        }
        if let Some(previous) = standing
            .iter()
            .find(|s| same_survey(s) && s.idempotency_key.as_ref() == Some(key))
        {
            return if previous.fingerprint == p.stored.fingerprint {
                Verdict::Replay(Box::new(previous.clone()))
            } else {
                Verdict::Refused(reused.into())
            };
        }
    }
    if let Some((person, days)) = throttled(p) {
        let since = rfc3339(p.now_ms - days * DAY_MS);
        let answered = |s: &StoredResponse| {
            same_survey(s) && s.person_key.as_deref() == Some(person) && s.view.created_at > since
        };
        let in_group = places.iter().flatten().any(|&f| answered(&fresh[f]));
        if in_group || standing.iter().any(answered) {
            return Verdict::Refused(format!(
                "this person already answered this survey in the last {days} days"
            ));
        }
    }
    if let Some(order) = &v.order_id {
        let of_order =
            |s: &StoredResponse| same_survey(s) && s.view.order_id.as_ref() == Some(order);
        let scanned = |first: &StoredResponse| {
            first.view.score != v.score
                && nps_shared::time::parse_rfc3339(&first.view.created_at)
                    .is_some_and(|t| p.now_ms - t < nps_shared::scanner::SCORE_BURST_MS)
        };
        let taken = Verdict::Refused(format!("order {order} was already answered"));
        if let Some(&f) = places.iter().flatten().find(|&&f| of_order(&fresh[f])) {
            // Not stored yet: flagged before it is.
            if scanned(&fresh[f]) && fresh[f].view.flagged.is_none() {
                fresh[f].view.flagged = Some("several scores for one order within seconds".into());
            }
            return taken;
        }
        if let Some(first) = standing.iter().find(|s| of_order(s)) {
            if scanned(first) && !to_flag.contains(&first.view.id) {
                to_flag.push(first.view.id.clone());
            }
            return taken;
        }
    }
    Verdict::New
}

/// The case a low score opens and the webhook deliveries announcing the answer (and
/// the case), for the endpoints read once for the group: written in the group's own
/// atomic batch, so a crash cannot keep the answer and lose them; the queue is told
/// afterwards.
fn companions(
    endpoints: &[Endpoint],
    survey: &SurveyView,
    stored: &StoredResponse,
    now_ms: i64,
) -> Result<Companions, StoreError> {
    let opened = cases::new_case(survey, &stored.view, now_ms)?;
    // An announcement is written only for an endpoint that would receive it.
    let wanted = |event: EventType| {
        endpoints
            .iter()
            .any(|e| receives(e, event, &survey.id, Some(stored.view.score)))
    };
    let mut deliveries = Vec::new();
    if wanted(EventType::ResponseCreated) {
        let created = response_announcement(
            EventType::ResponseCreated,
            survey,
            &stored.view,
            opened.as_ref().map(|c| c.view.id.clone()),
            now_ms,
        )?;
        deliveries = deliveries_to(endpoints, &created, now_ms)?;
    }
    if let Some(case) = opened.as_ref().filter(|_| wanted(EventType::CaseOpened)) {
        let view = cases::current(case.clone(), now_ms);
        let announcement =
            case_announcement(EventType::CaseOpened, survey, &view, &stored.view, now_ms)?;
        deliveries.extend(deliveries_to(endpoints, &announcement, now_ms)?);
    }
    Ok(Companions {
        case: opened,
        deliveries,
    })
}

/// The outcomes once the write committed: every new answer's deliveries queued in one
/// send (the sweeper queues them if it fails), and the verified customers' earlier
/// cases read in one query for each answer's [`win_back`].
async fn follow_up(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    group: &[Prepared],
    verdicts: Vec<Verdict>,
    written: Vec<(StoredResponse, Companions)>,
) -> Vec<Result<Accepted, ServiceError>> {
    let deliveries: Vec<Delivery> = written
        .iter()
        .flat_map(|(_, with)| with.deliveries.iter().cloned())
        .collect();
    let queued = enqueue(queue, &deliveries).await.err();
    let customers: Vec<(String, Respondent)> = written
        .iter()
        .filter(|(r, _)| !r.view.respondent.is_empty())
        .map(|(r, _)| (r.view.survey_id.clone(), r.view.respondent.clone()))
        .collect();
    let linked: Vec<String> = group
        .iter()
        .zip(&verdicts)
        .filter(|(_, v)| matches!(v, Verdict::New))
        .filter_map(|(p, _)| p.linked_case.clone())
        .collect();
    let theirs = store.cases_of_respondents(&customers, &linked).await;
    let mut written = written.into_iter();
    let mut outcomes: Vec<Result<Accepted, ServiceError>> = Vec::with_capacity(group.len());
    for (p, verdict) in group.iter().zip(verdicts) {
        let outcome = match verdict {
            Verdict::New => {
                let Some((stored, with)) = written.next() else {
                    outcomes.push(Err(StoreError("a new answer was not written".into()).into()));
                    continue;
                };
                let mut done = Done::new(Submitted {
                    created: created(&stored),
                    replayed: false,
                });
                if let Some(e) = queued.as_ref().filter(|_| !with.deliveries.is_empty()) {
                    done.failed_follow_ups.push(StoreError(e.0.clone()));
                }
                let win_back = match &theirs {
                    Ok(cases) => {
                        let linked = p.linked_case.as_deref();
                        let cases: Vec<StoredCase> = cases
                            .iter()
                            .filter(|c| cases::is_theirs(c, &stored.view, linked))
                            .cloned()
                            .collect();
                        (!cases.is_empty()).then(|| WinBack {
                            survey: p.survey.clone(),
                            response: stored.view.clone(),
                            cases,
                        })
                    }
                    Err(e) => {
                        done.failed_follow_ups.push(StoreError(e.0.clone()));
                        None
                    }
                };
                Ok(Accepted { done, win_back })
            }
            Verdict::Replay(previous) => Ok(Accepted {
                done: Done::new(Submitted {
                    created: created(&previous),
                    replayed: true,
                }),
                win_back: None,
            }),
            Verdict::Refused(detail) => Err(ServiceError::Conflict(detail)),
            Verdict::SameAs(j) => match outcomes.get(j) {
                Some(Ok(first)) => Ok(Accepted {
                    done: Done::new(Submitted {
                        created: first.done.value.created.clone(),
                        replayed: true,
                    }),
                    win_back: None,
                }),
                Some(Err(ServiceError::Conflict(detail))) => {
                    Err(ServiceError::Conflict(detail.clone()))
                }
                _ => Err(StoreError("the first of two identical requests failed".into()).into()),
            },
        };
        outcomes.push(outcome);
    }
    outcomes
}

/// What a new answer sets off in its own invocation once stored: it shows on the
/// customer's earlier cases (`case.updated`). Failures are collected, not raised: the
/// answer is stored.
pub async fn win_back(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    accepted: Accepted,
) -> Done<Submitted> {
    let Accepted { mut done, win_back } = accepted;
    let Some(WinBack {
        survey,
        response,
        cases: theirs,
    }) = win_back
    else {
        return done;
    };
    let now_ms = nps_shared::time::parse_rfc3339(&response.created_at).unwrap_or_default();
    match cases::reanswer(store, theirs, &response, now_ms).await {
        Ok(reanswered) => {
            for case in &reanswered {
                let announced = cases::announce(
                    store,
                    queue,
                    EventType::CaseUpdated,
                    &survey,
                    case,
                    None,
                    now_ms,
                )
                .await;
                done = done.unless(announced);
            }
        }
        Err(e) => done.failed_follow_ups.push(e),
    }
    done
}

fn created(r: &StoredResponse) -> ResponseCreated {
    ResponseCreated {
        id: r.view.id.clone(),
        category: r.view.category,
        edit_token: r.edit_token.clone(),
    }
}

/// What `PATCH /v1/responses/{id}` answers.
#[derive(Debug, Serialize)]
pub struct CommentAdded {
    pub id: String,
    pub category: Category,
    pub comment: Option<String>,
}

/// `PATCH /v1/responses/{id}`: adds or replaces the follow-up comment. The request was
/// counted by the flood limiter before (`routes::limits::comment`).
pub async fn add_comment(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    id: &str,
    body: &serde_json::Value,
    origin: Option<&str>,
    now_ms: i64,
) -> Result<Done<CommentAdded>, ServiceError> {
    let (edit_token, comment) = parse_patch_body(body)?;
    let mut response = store
        .get_response(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("response {id}")))?;
    let survey = store
        .get_survey(&response.view.survey_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("survey {}", response.view.survey_id)))?;
    check_origin(&survey, origin)?;
    if !nps_shared::origin::tokens_match(&response.edit_token, &edit_token) {
        return Err(ServiceError::Forbidden(
            "the edit token does not match this response".into(),
        ));
    }
    if response.view.created_at < rfc3339(now_ms - EDIT_WINDOW_MS) {
        return Err(ServiceError::Conflict(
            "the comment can only be changed within 24 hours".into(),
        ));
    }
    // Whoever holds the edit token acted on the page: a person, not a scanner.
    if response.view.provisional {
        store.confirm(id).await?;
        response.view.provisional = false;
    }
    // Nothing to change — a confirmation only, or the same comment again (the widget
    // retries a comment whose reply it did not get): no write, and no second
    // `response.updated` for the receivers.
    let Some(comment) = comment.filter(|c| *c != response.view.comment) else {
        return Ok(Done::new(CommentAdded {
            id: response.view.id,
            category: response.view.category,
            comment: response.view.comment,
        }));
    };
    let now = rfc3339(now_ms);
    store.set_comment(id, comment.as_deref(), &now).await?;
    response.view.comment = comment;
    response.view.updated_at = now;
    let dispatched = async {
        let case_id = store.case_for_response(id).await?.map(|c| c.view.id);
        let updated = response_announcement(
            EventType::ResponseUpdated,
            &survey,
            &response.view,
            case_id,
            now_ms,
        )?;
        dispatch(store, queue, &updated, now_ms).await
    }
    .await;
    Ok(Done::new(CommentAdded {
        id: response.view.id,
        category: response.view.category,
        comment: response.view.comment,
    })
    .unless(dispatched))
}

/// `{"edit_token", "comment"?, "confirm"?}`: a comment (a string, or null to remove
/// it), a confirmation that a person is there, or both. The outer `Option` of the
/// comment is "was it sent at all".
#[allow(clippy::type_complexity)]
fn parse_patch_body(
    body: &serde_json::Value,
) -> Result<(String, Option<Option<String>>), ServiceError> {
    use serde_json::Value;
    let mut errors = Vec::new();
    let Some(object) = body.as_object() else {
        return Err(ServiceError::invalid("", "the body must be a JSON object"));
    };
    for key in object
        .keys()
        .filter(|k| !matches!(k.as_str(), "edit_token" | "comment" | "confirm"))
    {
        errors.push(FieldError::new(key.clone(), "is not a known field"));
    }
    let token = match object.get("edit_token") {
        Some(Value::String(t)) if !t.is_empty() => Some(t.clone()),
        _ => {
            errors.push(FieldError::new("edit_token", "is required"));
            None
        }
    };
    let comment = match object.get("comment") {
        None => None,
        Some(Value::String(c)) => Some(
            validate::parse_comment(c)
                .map_err(|e| errors.push(e))
                .ok()
                .flatten(),
        ),
        Some(Value::Null) => Some(None),
        Some(_) => {
            errors.push(FieldError::new("comment", "must be a string"));
            None
        }
    };
    match object.get("confirm") {
        None | Some(Value::Bool(true)) => {}
        Some(_) => errors.push(FieldError::new("confirm", "must be true")),
    }
    if comment.is_none() && object.get("confirm").is_none() && !object.contains_key("comment") {
        errors.push(FieldError::new(
            "comment",
            "send a comment, or confirm: true",
        ));
    }
    match token {
        Some(token) if errors.is_empty() => Ok((token, comment)),
        _ => Err(ServiceError::Invalid(errors)),
    }
}

/// `GET /v1/surveys/{id}/responses`: newest first, `limit` per page.
pub async fn list(
    store: &impl Storage,
    survey_id: &str,
    category: Option<&str>,
    cursor: Option<&str>,
    limit: Option<&str>,
) -> Result<Page<ResponseView>, ServiceError> {
    let category = category
        .map(|c| {
            Category::parse(c).ok_or_else(|| {
                ServiceError::invalid("category", "must be detractor, passive or promoter")
            })
        })
        .transpose()?;
    let limit = page::parse_limit(limit)?;
    if cursor.is_some_and(|c| !nps_shared::ids::is_id("r_", c)) {
        return Err(ServiceError::invalid(
            "cursor",
            "must be a next_cursor from an earlier page",
        ));
    }
    if store.get_survey(survey_id).await?.is_none() {
        return Err(ServiceError::NotFound(format!("survey {survey_id}")));
    }
    let mut items = store
        .list_responses(survey_id, category, cursor, limit + 1)
        .await?;
    let next_cursor = page::cut(&mut items, limit, |r| r.id.clone());
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::service::{cases, webhooks};
    use crate::store::ResponseStore;
    use crate::store::SurveyStore;
    use crate::store::testing::TestStore;
    use nps_shared::api::CreateWebhook;
    use pollster::block_on;
    use serde_json::json;

    const NOW: i64 = 1_764_000_000_000;
    const SECRET: &[u8] = b"test secret";
    use crate::service::fixtures::IDENTITY_SECRET;

    fn demo_store() -> TestStore {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        m
    }

    /// An invitation to the demo survey for `order`.
    fn invite(m: &TestStore, order: &str) -> nps_shared::api::Invitation {
        let request: nps_shared::api::CreateInvitation =
            serde_json::from_value(json!({"survey_id": "s_demo", "order_id": order})).unwrap();
        block_on(crate::service::invitations::create(
            m,
            request,
            SECRET,
            "https://x",
            NOW,
        ))
        .unwrap()
    }

    /// A click in an invitation e-mail, from a browser that says it is `agent`.
    fn clicked<'a>(body: &'a serde_json::Value, agent: &'a str) -> Submission<'a> {
        Submission {
            user_agent: Some(agent),
            invitation_secret: Some(SECRET),
            ..Submission::new(body)
        }
    }

    fn submit_json(
        m: &TestStore,
        body: serde_json::Value,
        key: Option<&str>,
    ) -> Result<Done<Submitted>, ServiceError> {
        let submission = Submission {
            body: &body,
            idempotency_key: key.map(IdempotencyKey::parse).transpose()?,
            origin: Some("http://localhost:8787"),
            user_agent: None,
            invitation_secret: Some(SECRET),
            identity_secret: Some(IDENTITY_SECRET),
        };
        block_on(submit(m, m, &submission, NOW))
    }

    #[test]
    fn a_detractor_answer_is_stored_with_its_category() {
        let m = demo_store();
        let s = submit_json(&m, json!({"survey_id": "s_demo", "score": 3}), None).unwrap();
        assert_eq!(s.created.category, Category::Detractor);
        assert!(!s.replayed);
        let stored = m.responses();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].view.score.value(), 3);
        assert_eq!(stored[0].view.created_at, rfc3339(NOW));
    }

    #[test]
    fn an_answer_costs_the_same_few_queries_however_many_answers_came_before() {
        let m = demo_store();
        let body =
            |i: u32| json!({"survey_id": "s_demo", "score": i % 11, "properties": {"plan": "pro"}});
        m.reset_queries();
        submit_json(&m, body(0), Some("first")).unwrap();
        let first = m.queries();
        for i in 1..300 {
            m.reset_queries(); // each answer is its own invocation
            submit_json(&m, body(i), Some(&format!("k{i}"))).unwrap();
        }
        m.reset_queries();
        submit_json(&m, body(3), Some("last")).unwrap();
        assert_eq!(
            m.queries(),
            first,
            "the 301st answer costs what the first did"
        );
        assert!(first <= 12, "{first} queries for one answer");
    }

    #[test]
    fn the_same_idempotency_key_stores_once_and_returns_the_same_body() {
        let m = demo_store();
        let body = json!({"survey_id": "s_demo", "score": 9, "properties": {"a": "1", "b": "2"}});
        let first = submit_json(&m, body.clone(), Some("key-1")).unwrap();
        let reordered =
            json!({"properties": {"b": "2", "a": "1"}, "score": 9, "survey_id": "s_demo"});
        let again = submit_json(&m, reordered, Some("key-1")).unwrap();
        assert!(again.replayed);
        assert_eq!(first.created, again.created);
        assert_eq!(m.responses().len(), 1);
    }

    #[test]
    fn a_low_score_is_stored_with_its_case_and_deliveries_once_even_when_replayed() {
        let m = demo_store();
        webhooks::create_for_test(
            &m,
            CreateWebhook {
                url: "https://hooks.example/nps".into(),
                format: nps_shared::api::WebhookFormat::Standard,
                events: vec![EventType::ResponseCreated, EventType::CaseOpened],
                filter: Default::default(),
                description: None,
            },
        );
        m.queue().down.set(true);
        let body = json!({"survey_id": "s_demo", "score": 2, "comment": "late"});
        let first = submit_json(&m, body.clone(), Some("key-low")).unwrap();
        assert_eq!(first.failed_follow_ups.len(), 1, "the queue was down");
        m.queue().down.set(false);
        let again = submit_json(&m, body, Some("key-low")).unwrap();
        assert!(again.replayed);
        assert_eq!(m.responses().len(), 1);
        assert_eq!(m.cases().len(), 1);
        let kinds: Vec<EventType> = m.deliveries().iter().map(|d| d.event_type).collect();
        assert_eq!(kinds, [EventType::ResponseCreated, EventType::CaseOpened]);
        let case_id = m.cases()[0].view.id.clone();
        assert!(m.deliveries().iter().all(|d| d.payload.contains(&case_id)));
        assert!(
            m.queue().queued.borrow().is_empty(),
            "stored, left for the sweeper"
        );
    }

    #[test]
    fn a_reused_key_with_another_body_is_a_conflict() {
        let m = demo_store();
        submit_json(
            &m,
            json!({"survey_id": "s_demo", "score": 9}),
            Some("key-1"),
        )
        .unwrap();
        let err = submit_json(
            &m,
            json!({"survey_id": "s_demo", "score": 2}),
            Some("key-1"),
        )
        .unwrap_err();
        assert!(matches!(err, ServiceError::Conflict(_)));
        assert_eq!(m.responses().len(), 1);
    }

    #[test]
    fn an_unknown_survey_is_not_found_and_a_foreign_origin_forbidden() {
        let m = demo_store();
        let err = submit_json(&m, json!({"survey_id": "s_nope", "score": 3}), None).unwrap_err();
        assert!(matches!(err, ServiceError::NotFound(_)));
        let body = json!({"survey_id": "s_demo", "score": 3});
        let err = block_on(submit(
            &m,
            &m,
            &Submission {
                body: &body,
                idempotency_key: None,
                origin: Some("https://evil.example"),
                user_agent: None,
                invitation_secret: None,
                identity_secret: None,
            },
            NOW,
        ))
        .unwrap_err();
        assert!(matches!(err, ServiceError::OriginNotAllowed { .. }));
        assert!(m.responses().is_empty());
    }

    #[test]
    fn invalid_answers_store_nothing() {
        let m = demo_store();
        let err = submit_json(&m, json!({"survey_id": "s_demo", "score": 11}), None).unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(ref e) if e[0].field == "score"));
        let err = submit_json(
            &m,
            json!({"survey_id": "s_demo", "score": 1}),
            Some("bad key\n"),
        )
        .unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(ref e) if e[0].field == "Idempotency-Key"));
        assert!(m.responses().is_empty());
    }

    #[test]
    fn a_detractor_is_queued_for_a_subscribed_endpoint() {
        let m = demo_store();
        block_on(webhooks::create(
            &m,
            serde_json::from_value::<CreateWebhook>(json!({"url": "https://h.example/x"})).unwrap(),
            false,
            NOW,
        ))
        .unwrap();
        submit_json(&m, json!({"survey_id": "s_demo", "score": 0}), Some("k")).unwrap();
        submit_json(&m, json!({"survey_id": "s_demo", "score": 0}), Some("k")).unwrap();
        assert_eq!(
            m.queue().queued.borrow().len(),
            1,
            "a replay does not announce the answer again"
        );
    }

    #[test]
    fn the_answer_is_kept_when_the_queue_is_down() {
        let m = demo_store();
        block_on(webhooks::create(
            &m,
            serde_json::from_value::<CreateWebhook>(json!({"url": "https://h.example/x"})).unwrap(),
            false,
            NOW,
        ))
        .unwrap();
        m.queue().down.set(true);
        let s = submit_json(&m, json!({"survey_id": "s_demo", "score": 2}), None).unwrap();
        assert_eq!(s.failed_follow_ups.len(), 1);
        assert_eq!(m.responses().len(), 1);
    }

    #[test]
    fn a_comment_needs_the_edit_token_and_the_window() {
        let m = demo_store();
        let s = submit_json(&m, json!({"survey_id": "s_demo", "score": 5}), None).unwrap();
        let id = s.created.id.clone();
        let patch = |token: &str, at: i64| {
            block_on(add_comment(
                &m,
                &m,
                &id,
                &json!({"edit_token": token, "comment": " late "}),
                None,
                at,
            ))
        };
        assert!(matches!(
            patch("wrong", NOW),
            Err(ServiceError::Forbidden(_))
        ));
        let ok = patch(&s.created.edit_token, NOW + 1000).unwrap();
        assert_eq!(ok.comment.as_deref(), Some("late"));
        assert_eq!(m.responses()[0].view.comment.as_deref(), Some("late"));
        assert!(matches!(
            patch(&s.created.edit_token, NOW + EDIT_WINDOW_MS + 1),
            Err(ServiceError::Conflict(_))
        ));
    }

    #[test]
    fn a_comment_sent_again_is_stored_and_announced_once() {
        // The widget's outbox retries a PATCH whose reply was lost: it must not matter,
        // neither to the answer nor to the webhook receivers.
        let m = demo_store();
        webhooks::create_for_test(
            &m,
            CreateWebhook {
                url: "https://hooks.example/nps".into(),
                format: nps_shared::api::WebhookFormat::Standard,
                events: vec![EventType::ResponseUpdated],
                filter: Default::default(),
                description: None,
            },
        );
        let s = submit_json(&m, json!({"survey_id": "s_demo", "score": 9}), None).unwrap();
        let body = json!({"edit_token": s.created.edit_token, "comment": "Fast"});
        for at in [NOW + 1000, NOW + 2000] {
            let done = block_on(add_comment(&m, &m, &s.created.id, &body, None, at)).unwrap();
            assert_eq!(done.comment.as_deref(), Some("Fast"));
        }
        {
            let responses = m.responses();
            assert_eq!(responses.len(), 1);
            assert_eq!(responses[0].view.comment.as_deref(), Some("Fast"));
            assert_eq!(responses[0].view.updated_at, rfc3339(NOW + 1000));
        }
        assert_eq!(m.deliveries().len(), 1, "one response.updated");
        // A different comment is a change again.
        let body = json!({"edit_token": s.created.edit_token, "comment": "Fast, friendly"});
        block_on(add_comment(&m, &m, &s.created.id, &body, None, NOW + 3000)).unwrap();
        assert_eq!(m.deliveries().len(), 2);
    }

    #[test]
    fn invitation_answers_that_look_like_a_mail_scanner_are_kept_but_flagged() {
        let m = demo_store();
        let inv = invite(&m, "1001");
        let answer = |score: u8, agent: &str, at: i64| {
            let body = json!({"survey_id": "s_demo", "score": score, "channel": "email", "token": inv.token});
            block_on(submit(&m, &m, &clicked(&body, agent), at))
        };
        let person = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
        // A minute after the mail went out, in a normal browser: a person.
        answer(2, person, NOW + 60_000).unwrap();
        assert_eq!(m.responses()[0].view.flagged, None);
        // Another score for the same order seconds later: the links were being opened
        // one by one; the first answer is flagged, the second refused.
        assert!(matches!(
            answer(7, person, NOW + 65_000),
            Err(ServiceError::Conflict(_))
        ));
        assert_eq!(
            m.responses()[0].view.flagged.as_deref(),
            Some("several scores for one order within seconds")
        );

        let inv = invite(&m, "1002");
        let body =
            json!({"survey_id": "s_demo", "score": 9, "channel": "email", "token": inv.token});
        block_on(submit(
            &m,
            &m,
            &clicked(&body, "Barracuda Sentinel"),
            NOW + 60_000,
        ))
        .unwrap();
        assert!(
            m.responses()[1]
                .view
                .flagged
                .as_deref()
                .unwrap()
                .contains("barracuda")
        );
    }

    #[test]
    fn an_email_answer_stays_provisional_until_a_person_acts_on_the_page() {
        let m = demo_store();
        let inv = invite(&m, "77");
        let body =
            json!({"survey_id": "s_demo", "score": 4, "channel": "email", "token": inv.token});
        let agent = "Mozilla/5.0 Chrome/131.0";
        let created = block_on(submit(&m, &m, &clicked(&body, agent), NOW + 60_000))
            .unwrap()
            .value
            .created;
        assert!(m.responses()[0].view.provisional);
        let counted = |m: &TestStore| {
            let answers = block_on(m.report_answers("s_demo", None, None)).unwrap();
            nps_shared::report::Report::build(&answers, &Default::default())
                .unwrap()
                .overall
                .responses
        };
        assert_eq!(
            counted(&m),
            0,
            "a report leaves an unconfirmed e-mail answer out"
        );
        let confirm = json!({"edit_token": created.edit_token, "confirm": true});
        let done = block_on(add_comment(
            &m,
            &m,
            &created.id,
            &confirm,
            None,
            NOW + 61_000,
        ))
        .unwrap();
        assert_eq!(done.comment, None);
        assert!(!m.responses()[0].view.provisional);
        assert_eq!(counted(&m), 1);
        let nothing = json!({"edit_token": created.edit_token});
        assert!(matches!(
            block_on(add_comment(
                &m,
                &m,
                &created.id,
                &nothing,
                None,
                NOW + 62_000
            )),
            Err(ServiceError::Invalid(_))
        ));
    }

    #[test]
    fn one_person_answers_once_per_survey_within_the_throttle_days() {
        let m = demo_store();
        let answer = |email: &str, key: &str, at: i64| {
            let hash = nps_shared::identity::user_hash(IDENTITY_SECRET, email);
            let body = json!({"survey_id": "s_demo", "score": 6,
                              "respondent": {"email": email, "user_hash": hash}});
            block_on(submit(
                &m,
                &m,
                &Submission {
                    body: &body,
                    idempotency_key: Some(IdempotencyKey::parse(key).unwrap()),
                    origin: None,
                    user_agent: None,
                    invitation_secret: None,
                    identity_secret: Some(IDENTITY_SECRET),
                },
                at,
            ))
        };
        answer("kim@example.com", "a", NOW).unwrap();
        assert!(
            answer("kim@example.com", "a", NOW + 1).unwrap().replayed,
            "a replay is no second answer"
        );
        let err = answer("KIM@example.com", "b", NOW + 89 * DAY_MS).unwrap_err();
        assert!(matches!(err, ServiceError::Conflict(ref d) if d.contains("90 days")));
        answer("kim@example.com", "c", NOW + 90 * DAY_MS).unwrap();
        answer("ben@example.com", "d", NOW + 1).unwrap();
        assert_eq!(m.responses().len(), 3);
    }

    #[test]
    fn lists_page_newest_first_and_filter_by_category() {
        let m = demo_store();
        for (i, score) in [1u8, 9, 2, 10, 3].into_iter().enumerate() {
            let body = json!({"survey_id": "s_demo", "score": score});
            block_on(submit(&m, &m, &Submission::new(&body), NOW + i as i64)).unwrap();
        }
        let first = block_on(list(&m, "s_demo", Some("detractor"), None, Some("2"))).unwrap();
        let scores: Vec<u8> = first.items.iter().map(|r| r.score.value()).collect();
        assert_eq!(scores, vec![3, 2]);
        let second = block_on(list(
            &m,
            "s_demo",
            Some("detractor"),
            first.next_cursor.as_deref(),
            Some("2"),
        ))
        .unwrap();
        assert_eq!(
            second
                .items
                .iter()
                .map(|r| r.score.value())
                .collect::<Vec<_>>(),
            vec![1]
        );
        assert_eq!(second.next_cursor, None);
        assert!(matches!(
            block_on(list(&m, "s_demo", Some("fans"), None, None)),
            Err(ServiceError::Invalid(_))
        ));
    }

    fn hash(id: &str) -> String {
        nps_shared::identity::user_hash(IDENTITY_SECRET, id)
    }

    /// A customer with an open detractor case, and an endpoint for `case.updated`.
    fn customer_with_a_case(m: &TestStore) -> String {
        webhooks::create_for_test(
            m,
            CreateWebhook {
                url: "https://hooks.example/nps".into(),
                format: nps_shared::api::WebhookFormat::Standard,
                events: vec![EventType::CaseUpdated],
                filter: Default::default(),
                description: None,
            },
        );
        let body = json!({"survey_id": "s_demo", "score": 1,
                          "respondent": {"id": "cust-42", "user_hash": hash("cust-42")}});
        submit_json(m, body, Some("theirs")).unwrap();
        let case = m.cases()[0].view.clone();
        assert_eq!(case.respondent.id.as_deref(), Some("cust-42"));
        case.id
    }

    /// Finding 1 of #14: anybody could post a 10 as `cust-42`, win back their case,
    /// fire `case.updated` and use up their one answer.
    #[test]
    fn a_forged_respondent_id_neither_wins_back_their_case_nor_uses_up_their_answer() {
        let m = demo_store();
        let case_id = customer_with_a_case(&m);
        let later = NOW + 1000;
        for forged in [
            json!({"id": "cust-42"}),
            json!({"id": "cust-42", "user_hash": hash("cust-43")}),
            json!({"id": "cust-42", "user_hash": "0".repeat(64)}),
        ] {
            let body = json!({"survey_id": "s_demo", "score": 10, "respondent": forged});
            let created = block_on(submit(
                &m,
                &m,
                &Submission {
                    identity_secret: Some(IDENTITY_SECRET),
                    ..Submission::new(&body)
                },
                later,
            ))
            .expect("taken, as an anonymous answer");
            assert!(!created.replayed);
        }
        let case = block_on(cases::get(&m, &case_id, later)).unwrap();
        assert_eq!(case.status, nps_shared::case::CaseStatus::Open);
        assert_eq!(case.win_back, None);
        assert_eq!(case.reasked_score, None);
        assert!(m.deliveries().is_empty(), "no case.updated");
        let forged = &m.responses()[1].view;
        assert!(forged.respondent.is_empty(), "links to nobody");
        assert_eq!(forged.properties["claimed_id"], "cust-42");
        // A forged answer as cust-7 does not use up cust-7's one answer.
        let as_cust_7 = |respondent: serde_json::Value, at: i64| {
            let body = json!({"survey_id": "s_demo", "score": 3, "respondent": respondent});
            let submission = Submission {
                identity_secret: Some(IDENTITY_SECRET),
                ..Submission::new(&body)
            };
            block_on(submit(&m, &m, &submission, at))
        };
        as_cust_7(json!({"id": "cust-7"}), later).unwrap();
        as_cust_7(
            json!({"id": "cust-7", "user_hash": hash("cust-7")}),
            later + 1,
        )
        .expect("their own answer is their first");
        assert!(
            matches!(
                as_cust_7(
                    json!({"id": "cust-7", "user_hash": hash("cust-7")}),
                    later + 2
                ),
                Err(ServiceError::Conflict(_))
            ),
            "and their second is throttled"
        );
    }

    #[test]
    fn a_forged_low_score_opens_a_case_about_nobody() {
        let m = demo_store();
        let body = json!({"survey_id": "s_demo", "score": 0,
                          "respondent": {"id": "cust-42", "email": "kim@example.com"}});
        submit_json(&m, body, None).unwrap();
        assert!(m.cases()[0].view.respondent.is_empty());
        let stored = &m.responses()[0].view;
        assert_eq!(stored.properties["claimed_email"], "kim@example.com");
        assert_eq!(m.responses()[0].person_key, None);
    }

    #[test]
    fn a_survey_that_requires_verification_refuses_an_unproven_respondent_by_the_field() {
        let m = TestStore::default();
        let mut survey = demo_survey();
        survey.definition.identity = IdentityPolicy::Required;
        m.add_survey(survey);
        let refused = |respondent: serde_json::Value, secret: Option<&[u8]>| {
            let body = json!({"survey_id": "s_demo", "score": 7, "respondent": respondent});
            let submission = Submission {
                identity_secret: secret,
                ..Submission::new(&body)
            };
            match block_on(submit(&m, &m, &submission, NOW)) {
                Err(ServiceError::Invalid(errors)) => errors[0].field.clone(),
                other => panic!("{other:?}"),
            }
        };
        let secret = Some(IDENTITY_SECRET);
        assert_eq!(
            refused(json!({"id": "cust-42"}), secret),
            "respondent.user_hash"
        );
        assert_eq!(
            refused(
                json!({"id": "cust-42", "user_hash": hash("cust-4")}),
                secret
            ),
            "respondent.user_hash"
        );
        assert_eq!(
            refused(json!({"id": "cust-42", "user_hash": hash("cust-42")}), None),
            "respondent.user_hash"
        );
        assert_eq!(
            refused(json!({"id": "cust-42", "user_hash": "not hex"}), secret),
            "respondent.user_hash"
        );
        assert!(m.responses().is_empty());
        let ok = |body: serde_json::Value| {
            block_on(submit(
                &m,
                &m,
                &Submission {
                    identity_secret: secret,
                    ..Submission::new(&body)
                },
                NOW,
            ))
        };
        ok(json!({"survey_id": "s_demo", "score": 7,
                  "respondent": {"id": "cust-42", "user_hash": hash("cust-42")}}))
        .unwrap();
        ok(json!({"survey_id": "s_demo", "score": 7})).expect("anonymous answers are taken");
        assert_eq!(m.responses().len(), 2);
    }

    #[test]
    fn an_invitation_fixes_its_properties_and_the_survey_decides_whether_answers_add_more() {
        let m = demo_store();
        let request: nps_shared::api::CreateInvitation = serde_json::from_value(json!({
            "survey_id": "s_demo", "order_id": "1001", "respondent": {"id": "cust-42"},
            "properties": {"store": "berlin"}}))
        .unwrap();
        let inv = block_on(crate::service::invitations::create(
            &m,
            request,
            SECRET,
            "https://x",
            NOW,
        ))
        .unwrap();
        let answer = |properties: serde_json::Value| {
            let body = json!({"survey_id": "s_demo", "score": 8, "token": inv.token,
                              "channel": "link", "properties": properties});
            submit_json(&m, body, None)
        };
        let field = |result: Result<Done<Submitted>, ServiceError>| match result {
            Err(ServiceError::Invalid(errors)) => errors[0].field.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(answer(json!({"store": "hamburg"}))),
            "properties.store"
        );
        assert_eq!(field(answer(json!({"plan": "pro"}))), "properties.plan");
        assert!(m.responses().is_empty());
        let mut survey = demo_survey();
        survey.definition.extend_invitation_properties = true;
        block_on(m.update_survey(&survey)).unwrap();
        assert_eq!(
            field(answer(json!({"store": "hamburg"}))),
            "properties.store",
            "never changed"
        );
        answer(json!({"plan": "pro", "store": "berlin"})).unwrap();
        let stored = &m.responses()[0].view;
        assert_eq!(stored.properties["store"], "berlin");
        assert_eq!(stored.properties["plan"], "pro");
        assert_eq!(
            stored.respondent.id.as_deref(),
            Some("cust-42"),
            "from the invitation"
        );
    }

    /// A submission as a shop page sends it (with invitations and identity set up).
    fn prepared(m: &TestStore, body: serde_json::Value, key: Option<&str>, at: i64) -> Prepared {
        let submission = Submission {
            body: &body,
            idempotency_key: key.map(|k| IdempotencyKey::parse(k).unwrap()),
            origin: None,
            user_agent: None,
            invitation_secret: Some(SECRET),
            identity_secret: Some(IDENTITY_SECRET),
        };
        block_on(prepare(m, &submission, at)).expect("a valid answer")
    }

    /// Answer `i` of a burst: every score, two properties, every fifth a verified
    /// customer.
    fn burst_answer(i: usize) -> serde_json::Value {
        let (plan, country) = (["free", "pro"][i % 2], ["de", "fr", "it"][i % 3]);
        let mut body = json!({"survey_id": "s_demo", "score": i % 11,
                              "properties": {"plan": plan, "country": country}});
        if i.is_multiple_of(5) {
            let id = format!("cust-{i}");
            body["respondent"] = json!({"id": id, "user_hash": hash(&id)});
        }
        body
    }

    fn with_endpoint(m: &TestStore) {
        webhooks::create_for_test(
            m,
            CreateWebhook {
                url: "https://hooks.example/nps".into(),
                format: nps_shared::api::WebhookFormat::Standard,
                events: vec![EventType::ResponseCreated, EventType::CaseOpened],
                filter: nps_shared::api::WebhookFilter {
                    score_max: Some(nps_shared::Score::try_from(6u8).unwrap()),
                    ..Default::default()
                },
                description: None,
            },
        );
    }

    /// A fresh count of the stored answers, to hold the rollups to.
    fn recount(m: &TestStore) -> nps_shared::rollup::Counters {
        let mut counters = nps_shared::rollup::Counters::default();
        for r in m.responses() {
            counters.add(&nps_shared::report::AnswerRecord::try_from(&r.view).unwrap());
        }
        counters
    }

    fn commit(m: &TestStore, group: Vec<Prepared>) -> Vec<Result<Accepted, ServiceError>> {
        block_on(commit_group(m, m, group))
    }

    #[test]
    fn a_group_costs_the_same_few_queries_whatever_its_size_and_stores_what_one_by_one_would() {
        let grouped = demo_store();
        with_endpoint(&grouped);
        let cost = |from: usize, n: usize| {
            let group = (from..from + n)
                .map(|i| {
                    prepared(
                        &grouped,
                        burst_answer(i),
                        Some(&format!("k{i}")),
                        NOW + i as i64,
                    )
                })
                .collect();
            grouped.reset_queries();
            let outcomes = commit(&grouped, group);
            assert!(
                outcomes
                    .iter()
                    .all(|o| o.as_ref().is_ok_and(|a| !a.done.replayed))
            );
            grouped.queries()
        };
        let ten = cost(0, 10);
        let hundred = cost(10, 100);
        // The same statements; a group past 90 KB of webhook payloads writes its
        // deliveries in one more (`store::sql::MAX_JSON_BYTES`).
        assert!(
            ten <= hundred && hundred <= ten + 1,
            "{ten} for 10 answers, {hundred} for 100"
        );
        assert!(hundred <= 10, "{hundred} queries for a group");

        let one_by_one = demo_store();
        with_endpoint(&one_by_one);
        for i in 0..110 {
            let body = burst_answer(i);
            let key = format!("k{i}");
            submit_json(&one_by_one, body, Some(&key)).unwrap();
        }
        for m in [&grouped, &one_by_one] {
            m.reset_queries(); // the reads below are the test's, not an invocation's
            assert_eq!(m.responses().len(), 110, "each stored once");
            assert_eq!(
                m.rollups("s_demo"),
                recount(m),
                "the rollups count every answer once"
            );
        }
        assert_eq!(grouped.cases().len(), one_by_one.cases().len());
        grouped.reset_queries();
        let kinds = |m: &TestStore| {
            m.reset_queries();
            let mut kinds: Vec<EventType> = m.deliveries().iter().map(|d| d.event_type).collect();
            kinds.sort();
            kinds
        };
        assert_eq!(kinds(&grouped), kinds(&one_by_one));
        assert!(kinds(&grouped).contains(&EventType::CaseOpened));
        assert_eq!(
            grouped.queue().queued.borrow().len(),
            grouped.deliveries().len(),
            "every delivery queued"
        );
        // Each case announced with its own answer, each delivery's payload names it.
        grouped.reset_queries();
        let deliveries = grouped.deliveries();
        for case in grouped.cases() {
            let named = deliveries
                .iter()
                .filter(|d| d.payload.contains(&case.view.id))
                .count();
            assert_eq!(
                named, 2,
                "response.created and case.opened of {}",
                case.view.id
            );
        }
    }

    #[test]
    fn a_group_s_answers_cost_at_most_half_a_query_each() {
        let m = demo_store();
        with_endpoint(&m);
        let group = (0..50)
            .map(|i| prepared(&m, burst_answer(i), Some(&format!("k{i}")), NOW))
            .collect();
        m.reset_queries();
        commit(&m, group);
        let per_answer = f64::from(m.queries()) / 50.0;
        assert!(per_answer <= 0.5, "{per_answer} queries per answer");
    }

    #[test]
    fn replays_and_conflicts_are_told_apart_within_a_group_and_across_groups() {
        let m = demo_store();
        let inv = invite(&m, "1001");
        let kim = |key: &str| {
            let body = json!({"survey_id": "s_demo", "score": 6,
                              "respondent": {"id": "kim", "user_hash": hash("kim")}});
            prepared(&m, body, Some(key), NOW)
        };
        let order = |score: u8| {
            let body = json!({"survey_id": "s_demo", "score": score, "token": inv.token, "channel": "link"});
            let agent =
                "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
            block_on(prepare(&m, &clicked(&body, agent), NOW + 60_000)).unwrap()
        };
        let nine = json!({"survey_id": "s_demo", "score": 9});
        let first = commit(
            &m,
            vec![
                prepared(&m, nine.clone(), Some("k1"), NOW),
                prepared(&m, nine.clone(), Some("k1"), NOW),
                prepared(
                    &m,
                    json!({"survey_id": "s_demo", "score": 2}),
                    Some("k1"),
                    NOW,
                ),
                kim("k2"),
                kim("k3"),
                order(2),
                order(8),
            ],
        );
        let conflict =
            |o: &Result<Accepted, ServiceError>| matches!(o, Err(ServiceError::Conflict(_)));
        let stored = first[0].as_ref().unwrap();
        assert!(!stored.done.replayed);
        let again = first[1].as_ref().unwrap();
        assert!(
            again.done.replayed,
            "the same request twice in a group: a replay"
        );
        assert_eq!(again.done.created, stored.done.created);
        assert!(conflict(&first[2]), "the same key with another body");
        assert!(first[3].is_ok());
        assert!(conflict(&first[4]), "the same person twice in a group");
        assert!(first[5].is_ok());
        assert!(conflict(&first[6]), "the same order twice in a group");
        assert_eq!(m.responses().len(), 3);
        let by_order = m
            .responses()
            .into_iter()
            .find(|r| r.view.order_id.is_some())
            .unwrap();
        assert_eq!(
            by_order.view.flagged.as_deref(),
            Some("several scores for one order within seconds"),
            "flagged before it was stored"
        );
        assert_eq!(m.rollups("s_demo"), recount(&m));

        let second = commit(
            &m,
            vec![
                prepared(&m, nine, Some("k1"), NOW + 1),
                kim("k4"),
                kim("k2"),
                order(2),
            ],
        );
        let replay = second[0].as_ref().unwrap();
        assert!(replay.done.replayed);
        assert_eq!(
            replay.done.created, stored.done.created,
            "the first reply again"
        );
        assert!(conflict(&second[1]), "throttled against the stored answer");
        assert!(
            second[2].as_ref().unwrap().done.replayed,
            "kim's own answer replayed"
        );
        assert!(conflict(&second[3]));
        assert_eq!(m.responses().len(), 3);
        assert_eq!(m.rollups("s_demo"), recount(&m));
    }

    #[test]
    fn a_group_whose_write_fails_stores_nothing_and_answers_every_waiter_503() {
        let m = demo_store();
        with_endpoint(&m);
        let group: Vec<Prepared> = (0..20)
            .map(|i| prepared(&m, burst_answer(i), Some(&format!("k{i}")), NOW))
            .collect();
        m.fail_on(Some("deliveries"));
        let outcomes = commit(&m, group.clone());
        assert_eq!(outcomes.len(), 20);
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, Err(ServiceError::Store(_))))
        );
        assert!(m.responses().is_empty() && m.cases().is_empty());
        assert!(m.rollups("s_demo").0.is_empty(), "nothing counted");
        assert!(m.queue().queued.borrow().is_empty());
        // The clients retry with their keys: stored, once.
        m.fail_on(None);
        assert!(
            commit(&m, group.clone())
                .iter()
                .all(|o| o.as_ref().is_ok_and(|a| !a.done.replayed))
        );
        assert!(
            commit(&m, group)
                .iter()
                .all(|o| o.as_ref().is_ok_and(|a| a.done.replayed))
        );
        assert_eq!(m.responses().len(), 20);
        assert_eq!(m.rollups("s_demo"), recount(&m));
    }

    #[test]
    fn an_answer_stored_elsewhere_between_the_reads_and_the_write_is_a_replay_not_a_second_count() {
        let m = demo_store();
        let group: Vec<Prepared> = (0..5)
            .map(|i| prepared(&m, burst_answer(i), Some(&format!("k{i}")), NOW))
            .collect();
        // Another shard stores the same request (k3) first.
        let theirs = &group[3].stored;
        m.before_next_batch(crate::query!(
            "INSERT INTO responses (id, survey_id, score, category, channel, properties, edit_token, \
             idempotency_key, fingerprint, created_at, updated_at) VALUES ('r_elsewhere', 's_demo', ?1, ?2, 'web', '{}', \
             'token', 'k3', ?3, ?4, ?4)",
            theirs.view.score.value(),
            theirs.view.category.as_str(),
            theirs.fingerprint,
            theirs.view.created_at,
        ));
        let outcomes = commit(&m, group);
        let replay = outcomes[3].as_ref().unwrap();
        assert!(replay.done.replayed);
        assert_eq!(replay.done.created.id, "r_elsewhere");
        assert!(
            outcomes
                .iter()
                .enumerate()
                .all(|(i, o)| i == 3 || o.as_ref().is_ok_and(|a| !a.done.replayed))
        );
        let mine: Vec<_> = m
            .responses()
            .into_iter()
            .filter(|r| r.view.id != "r_elsewhere")
            .collect();
        assert_eq!(mine.len(), 4);
        let mut counted = nps_shared::rollup::Counters::default();
        for r in &mine {
            counted.add(&nps_shared::report::AnswerRecord::try_from(&r.view).unwrap());
        }
        assert_eq!(
            m.rollups("s_demo"),
            counted,
            "the retried group counted once"
        );
    }

    #[test]
    fn a_scanner_s_second_clicks_flag_every_first_answer_together_and_the_rollups_follow() {
        let m = demo_store();
        let agent = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
        let click = |order: &nps_shared::api::Invitation, score: u8, at: i64| {
            let body = json!({"survey_id": "s_demo", "score": score, "token": order.token, "channel": "link"});
            block_on(prepare(&m, &clicked(&body, agent), at)).unwrap()
        };
        let orders: Vec<_> = (0..6)
            .map(|i| {
                let request = serde_json::from_value(
                    json!({"survey_id": "s_demo", "order_id": format!("20{i}"),
                                                            "properties": {"plan": "pro"}}),
                )
                .unwrap();
                block_on(crate::service::invitations::create(
                    &m,
                    request,
                    SECRET,
                    "https://x",
                    NOW,
                ))
                .unwrap()
            })
            .collect();
        let firsts = orders.iter().map(|o| click(o, 9, NOW + 60_000)).collect();
        assert!(commit(&m, firsts).iter().all(Result::is_ok));
        let cost = |n: usize| {
            let seconds = orders[..n]
                .iter()
                .map(|o| click(o, 1, NOW + 61_000))
                .collect();
            m.reset_queries();
            let outcomes = commit(&m, seconds);
            assert!(
                outcomes
                    .iter()
                    .all(|o| matches!(o, Err(ServiceError::Conflict(_))))
            );
            m.queries()
        };
        let one = cost(1);
        let five = cost(6);
        assert_eq!(one, five, "flagging 1 or 6 first answers costs the same");
        m.reset_queries();
        let flagged = m
            .responses()
            .iter()
            .filter(|r| r.view.flagged.is_some())
            .count();
        assert_eq!(flagged, 6);
        assert_eq!(
            m.rollups("s_demo"),
            recount(&m),
            "each moved to the flagged counters once"
        );
    }
}
