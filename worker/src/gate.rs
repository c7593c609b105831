//! The ingest gate: a Durable Object (`Gate`, binding `GATE`) through which every
//! answer of a survey passes on its way to D1, so that a burst of answers becomes a
//! few group writes instead of one write per answer.
//!
//! The worker does what needs no write (`service::responses::prepare`: validation,
//! the survey from KV, the invitation, the identity, id and edit token) and sends the
//! prepared answer here, to the object named `"{survey}:{shard}"`: the shard is a
//! stable hash of the verified person if there is one, else of the client
//! (`http::client`), modulo `GATE_SHARDS` (`app::DEFAULT_GATE_SHARDS`). So one person's answers, and
//! one anonymous client's, always meet in one object, which keeps the throttle exact
//! and the client's rate limit in memory; a survey's load spreads over its shards.
//!
//! **Group commit.** An object keeps the answers that reach it in memory. When one
//! arrives and no write is running, a write starts with what is waiting (at most
//! [`GROUP_ANSWERS`] answers or [`GROUP_BYTES`] of them); those arriving meanwhile
//! wait for the next group. At low load a group is one answer; in a burst, dozens.
//! The write is `service::responses::commit_group` — a fixed number of D1 statements
//! whatever the group's size — and each waiter gets its own outcome (201, 200 replay,
//! 409, 503) only once its group's batch committed: a 2xx is stored, a crash before
//! the commit is a 5xx that the widget retries with its Idempotency-Key, stored once.
//! A failed write answers its waiters with the 503 and the next group starts. A
//! write that never returns (a D1 request that never settles) is taken for lost
//! after [`WRITE_LOST_AFTER_MS`]: the next answer starts another writer, and the lost
//! group's waiters answer 503 — retried, stored once.
//!
//! **Batches from the worker.** An isolate's answers for one object travel to it
//! together (`send`, `Outbox`): while one request to the object is on its way, the
//! answers arriving meanwhile wait, and go as the next request, sent by the first of
//! them. So a burst costs the object one request per batch. A waiting request is
//! woken through a JavaScript promise of its own, so that it sends its batch as its
//! own I/O (the runtime ties I/O to the request it runs in); a batch on its way for
//! [`STUCK_AFTER_MS`] no longer holds up the answers after it.
//!
//! **Rate limit.** The survey's `rate_limit_per_minute` (else `RATE_LIMIT_PER_MINUTE`)
//! is counted here per client and minute, in memory and exactly: the D1 counter of the
//! other public requests is not written for answers. An eviction of the object forgets
//! at most one minute's counts.
//!
//! This module is plumbing — JSON in, waiters, outcome out; the rules are the
//! service's. Without the `GATE` binding the worker stores each answer directly, as a
//! group of one (`routes::responses`).

use crate::app::{App, now_ms};
use crate::service::responses::{self, Accepted, Prepared};
use crate::service::{Done, ServiceError};
use crate::store::StoreError;
use futures_channel::oneshot;
use futures_util::future::{Either, select};
use nps_shared::api::ResponseCreated;
use nps_shared::rate_limit::{self, Decision};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use worker::{DurableObject, Env, Request, Response, State, durable_object};

/// The most answers one group writes.
pub const GROUP_ANSWERS: usize = 100;
/// The most bytes of prepared answers one group writes (a few statements of the
/// group's batch, whose each statement stays within D1's 100 KB).
pub const GROUP_BYTES: usize = 256 * 1024;

/// How long one group write may run before the next ticket takes it for lost and
/// starts another writer (a group is two or three D1 requests: milliseconds). A
/// waiter waits twice as long for its outcome, then answers 503 — within the
/// worker's [`STUCK_AFTER_MS`].
pub const WRITE_LOST_AFTER_MS: i64 = 5_000;
const WRITE_LOST_AFTER: std::time::Duration =
    std::time::Duration::from_millis(WRITE_LOST_AFTER_MS as u64);

/// What the worker sends the gate for one answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ticket {
    /// Who the rate limit counts it against (`http::client`).
    pub client: String,
    /// The survey's answers per client and minute.
    pub per_minute: u32,
    pub prepared: Prepared,
}

/// The gate's answer for one ticket: what the route replies.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Reply {
    Stored {
        created: ResponseCreated,
        replayed: bool,
        /// The D1 statements this answer cost: its share of its group's write (the
        /// group's statements over its answers) and its own follow-up's. For
        /// `X-D1-Queries`, which the benchmark sums.
        #[serde(default)]
        d1_queries: f64,
    },
    Conflict {
        detail: String,
    },
    TooManyRequests {
        detail: String,
        retry_after_seconds: u32,
    },
    Unavailable {
        detail: String,
    },
}

impl Reply {
    fn from_outcome(
        outcome: Result<Done<responses::Submitted>, ServiceError>,
        d1_queries: f64,
    ) -> Reply {
        match outcome {
            Ok(done) => Reply::Stored {
                created: done.value.created,
                replayed: done.value.replayed,
                d1_queries,
            },
            Err(ServiceError::Conflict(detail)) => Reply::Conflict { detail },
            Err(ServiceError::TooManyRequests {
                detail,
                retry_after_seconds,
            }) => Reply::TooManyRequests {
                detail,
                retry_after_seconds,
            },
            Err(e) => Reply::Unavailable {
                detail: e.to_string(),
            },
        }
    }

    /// The D1 statements the gate spent on this answer (0 unless stored).
    pub fn d1_queries(&self) -> f64 {
        match self {
            Reply::Stored { d1_queries, .. } => *d1_queries,
            _ => 0.0,
        }
    }

    /// The service's result this reply stands for.
    pub fn into_result(self) -> Result<responses::Submitted, ServiceError> {
        match self {
            Reply::Stored {
                created, replayed, ..
            } => Ok(responses::Submitted { created, replayed }),
            Reply::Conflict { detail } => Err(ServiceError::Conflict(detail)),
            Reply::TooManyRequests {
                detail,
                retry_after_seconds,
            } => Err(ServiceError::TooManyRequests {
                detail,
                retry_after_seconds,
            }),
            Reply::Unavailable { detail } => Err(ServiceError::Store(StoreError(format!(
                "the ingest gate: {detail}"
            )))),
        }
    }
}

/// The object an answer goes to: `"{survey}:{shard}"`, the shard a stable hash of
/// `who` (the verified person's key, else the client).
pub fn object_name(survey_id: &str, who: &str, shards: u32) -> String {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = who.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{survey_id}:{}", hash % u64::from(shards.max(1)))
}

/// Sends a ticket to its object and waits for its reply.
///
/// The isolate's answers for one object travel together: while a batch of them is on
/// its way, those arriving wait in the isolate's [`Outbox`], and when it returns the
/// next batch (all that waited, within [`GROUP_ANSWERS`]) goes as one request. So a
/// burst costs the object one request per batch, not one per answer. Each request
/// sends at most the one batch its own ticket is in: the request whose batch returns
/// hands the next one to a waiting request, which sends it.
pub async fn send(
    namespace: &worker::ObjectNamespace,
    name: &str,
    ticket: Ticket,
) -> worker::Result<Reply> {
    let now = now_ms();
    let (slot, wait) = Slot::new();
    let lead = OUTBOXES.with_borrow_mut(|outboxes| {
        let outbox = outboxes.entry(name.to_string()).or_default();
        outbox.join(ticket, Rc::clone(&slot), now)
    });
    let (generation, batch) = match lead {
        Some(lead) => lead,
        // The timer is also what keeps the runtime from taking this request for hung:
        // it waits on another request's I/O, which the runtime does not see.
        None => {
            let told = select(wait, worker::Delay::from(STUCK_AFTER)).await;
            // What the slot holds decides, not which of the two woke first: the timer
            // may fire in the same turn as another request tells this one to lead, and
            // a lead dropped here would leave its batch unsent and the outbox waiting.
            let handoff = slot.take();
            if let (Either::Right((_, wait)), Some(_)) = (told, &handoff) {
                // Told: its promise is resolved and settles at once; awaited, so that
                // its callback does not run after the future that owns it was dropped.
                let _ = wait.await;
            }
            match handoff {
                Some(Handoff::Reply(reply)) => return reply.map_err(worker::Error::RustError),
                Some(Handoff::Lead(generation, batch)) => (generation, batch),
                None => {
                    slot.leave();
                    return Err(worker::Error::RustError(format!(
                        "the batch before this answer did not return within {} s",
                        STUCK_AFTER.as_secs()
                    )));
                }
            }
        }
    };
    let (tickets, waiters): (Vec<Ticket>, Vec<_>) = batch.into_iter().unzip();
    let replies = post(namespace, name, &tickets).await;
    OUTBOXES.with_borrow_mut(|outboxes| {
        if let Some(outbox) = outboxes.get_mut(name) {
            outbox.hand_off(generation, now_ms());
            if outbox.is_idle() {
                outboxes.remove(name);
            }
        }
    });
    let mut replies = match replies {
        Ok(replies) if replies.len() == waiters.len() => replies.into_iter().map(Ok).collect(),
        Ok(replies) => {
            let e = format!("{} replies for {} answers", replies.len(), waiters.len());
            waiters.iter().map(|_| Err(e.clone())).collect::<Vec<_>>()
        }
        Err(e) => waiters.iter().map(|_| Err(e.to_string())).collect(),
    }
    .into_iter();
    // The first ticket of a batch is its sender's own.
    let own = replies.next();
    for (waiter, reply) in waiters.into_iter().skip(1).zip(replies) {
        if let Some(waiter) = waiter {
            // A waiter that went away (its client disconnected) needs no reply.
            let _ = waiter.tell(Handoff::Reply(reply));
        }
    }
    own.unwrap_or_else(|| Err("no reply".into()))
        .map_err(worker::Error::RustError)
}

/// One request to the object with a batch of tickets; its replies in their order.
async fn post(
    namespace: &worker::ObjectNamespace,
    name: &str,
    tickets: &[Ticket],
) -> worker::Result<Vec<Reply>> {
    let stub = namespace.id_from_name(name)?.get_stub()?;
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post)
        .with_body(Some(serde_json::to_string(tickets)?.into()));
    let request = Request::new_with_init("https://gate/answers", &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    Ok(serde_json::from_str(&response.text().await?)?)
}

/// How long a batch may be on its way before the next request stops waiting for it
/// and sends its own: a batch whose sender was cancelled must not hold up the
/// answers after it. Its own waiters get no reply and their clients retry with their
/// Idempotency-Keys.
pub const STUCK_AFTER_MS: i64 = 15_000;
const STUCK_AFTER: std::time::Duration = std::time::Duration::from_millis(STUCK_AFTER_MS as u64);

thread_local! {
    /// The isolate's outboxes, one per object it sends to (removed when idle).
    static OUTBOXES: RefCell<HashMap<String, Outbox<Ticket, Rc<Slot>>>> =
        RefCell::new(HashMap::new());
}

/// What a waiting request is told.
enum Handoff<T, W> {
    /// Its reply, or why there is none.
    Reply(Result<Reply, String>),
    /// Send this batch (its own ticket first, with no waiter), as the outbox's sender
    /// of this generation.
    Lead(u64, Vec<(T, Option<W>)>),
}

/// How a request waiting in an outbox is told what to do.
trait Recipient<T>: Sized {
    /// Tells it; `Err` gives the message back if it no longer waits.
    fn tell(self, handoff: Handoff<T, Self>) -> Result<(), Handoff<T, Self>>;
    /// Whether it no longer waits.
    fn gone(&self) -> bool;
}

/// A waiting request's mailbox: what it is told, and a JavaScript promise, created in
/// its own request, that the telling request resolves. Its continuation so runs as
/// the waiting request (which then sends its batch as its own I/O), not inside the
/// request that told it, where a Rust channel would wake it: the runtime ties I/O to
/// the request it runs in, and took a request waiting on a channel for hung.
struct Slot {
    told: RefCell<Option<Handoff<Ticket, Rc<Slot>>>>,
    resolve: js_sys::Function,
    left: Cell<bool>,
}

impl Slot {
    /// A slot and the promise its request awaits.
    fn new() -> (Rc<Slot>, wasm_bindgen_futures::JsFuture) {
        let mut resolve = None;
        let promise = js_sys::Promise::new(&mut |res, _rej| resolve = Some(res));
        let slot = Rc::new(Slot {
            told: RefCell::new(None),
            // `Promise::new` runs its executor before it returns.
            resolve: resolve.unwrap_or_else(|| js_sys::Function::new_no_args("")),
            left: Cell::new(false),
        });
        (slot, wasm_bindgen_futures::JsFuture::from(promise))
    }

    fn take(&self) -> Option<Handoff<Ticket, Rc<Slot>>> {
        self.told.borrow_mut().take()
    }

    /// The request stops waiting (it timed out).
    fn leave(&self) {
        self.left.set(true);
    }
}

impl Recipient<Ticket> for Rc<Slot> {
    fn tell(self, handoff: Handoff<Ticket, Self>) -> Result<(), Handoff<Ticket, Self>> {
        if self.gone() {
            return Err(handoff);
        }
        self.told.replace(Some(handoff));
        let _ = self.resolve.call0(&wasm_bindgen::JsValue::NULL);
        Ok(())
    }

    fn gone(&self) -> bool {
        // Its request dropped its half, or stopped waiting.
        self.left.get() || Rc::strong_count(self) < 2
    }
}

/// The tickets of one isolate for one object, waiting for the batch on its way.
struct Outbox<T, W> {
    waiting: VecDeque<(T, W)>,
    /// The batch on its way: its generation and when it left (Unix ms).
    sending: Option<(u64, i64)>,
    generations: u64,
}

impl<T, W> Default for Outbox<T, W> {
    fn default() -> Self {
        Outbox {
            waiting: VecDeque::new(),
            sending: None,
            generations: 0,
        }
    }
}

impl<T, W: Recipient<T>> Outbox<T, W> {
    /// A ticket arrives: sent at once (the batch to send is returned) if nothing is on
    /// its way or what is has been for [`STUCK_AFTER_MS`]; else it waits.
    #[allow(clippy::type_complexity)]
    fn join(&mut self, ticket: T, waiter: W, now: i64) -> Option<(u64, Vec<(T, Option<W>)>)> {
        match self.sending {
            Some((_, since)) if now - since < STUCK_AFTER_MS => {
                self.waiting.push_back((ticket, waiter));
                None
            }
            _ => Some((self.start(now), vec![(ticket, None)])),
        }
    }

    fn start(&mut self, now: i64) -> u64 {
        self.generations += 1;
        self.sending = Some((self.generations, now));
        self.generations
    }

    /// The batch of `generation` returned: the next batch goes to the first waiting
    /// request still there, or nothing is on its way. A batch that returns after it
    /// was taken over (stuck) changes nothing.
    fn hand_off(&mut self, generation: u64, now: i64) {
        if self.sending.map(|(g, _)| g) != Some(generation) {
            return;
        }
        self.sending = None;
        while let Some((ticket, first)) = self.waiting.pop_front() {
            if first.gone() {
                continue;
            }
            let mut batch = vec![(ticket, None)];
            while batch.len() < GROUP_ANSWERS {
                let Some((ticket, waiter)) = self.waiting.pop_front() else {
                    break;
                };
                // Nobody waits for it any more (the request timed out or went away):
                // not sent, so that a client told 503 finds it unstored.
                if !waiter.gone() {
                    batch.push((ticket, Some(waiter)));
                }
            }
            let generation = self.start(now);
            let Err(refused) = first.tell(Handoff::Lead(generation, batch)) else {
                return;
            };
            // It went away meanwhile: the next one waiting sends the batch, except
            // the gone one's ticket, which nobody waits for.
            self.sending = None;
            if let Handoff::Lead(_, batch) = refused {
                for (ticket, waiter) in batch.into_iter().skip(1).rev() {
                    if let Some(waiter) = waiter {
                        self.waiting.push_front((ticket, waiter));
                    }
                }
            }
        }
    }

    fn is_idle(&self) -> bool {
        self.sending.is_none() && self.waiting.is_empty()
    }
}

/// One answer waiting for its group's write.
struct Waiter {
    prepared: Prepared,
    bytes: usize,
    /// The outcome, and the answer's share of its group's D1 statements.
    reply: oneshot::Sender<(Result<Accepted, ServiceError>, f64)>,
}

/// The object's memory: who waits, whether a write runs, the minute's counts.
#[derive(Default)]
struct Memory {
    waiting: RefCell<VecDeque<Waiter>>,
    /// The writer writing groups, if one is: its number, and when its current group
    /// began (Unix ms).
    writing: Cell<Option<(u64, i64)>>,
    /// Writers started so far (the next one's number).
    writers: Cell<u64>,
    /// The minute (`rate_limit::window`) counted, and each client's answers in it.
    minute: Cell<i64>,
    counts: RefCell<HashMap<String, u32>>,
    /// Answers per group written, for the log.
    largest_group: Cell<usize>,
}

impl Memory {
    /// Whether a ticket arriving `now` starts a writer: none writes, or the one
    /// writing has been on its group for [`WRITE_LOST_AFTER_MS`] — its I/O was lost
    /// (a D1 request that never settles) and would otherwise hold every later answer.
    /// The new writer's number, and whether it takes over from a lost one.
    fn claim_writer(&self, now: i64) -> Option<(u64, bool)> {
        match self.writing.get() {
            Some((_, since)) if now - since < WRITE_LOST_AFTER_MS => None,
            before => {
                let number = self.writers.get() + 1;
                self.writers.set(number);
                self.writing.set(Some((number, now)));
                Some((number, before.is_some()))
            }
        }
    }

    /// Writer `number` begins a group at `now`; `false` if another writer took over.
    fn begin_group(&self, number: u64, now: i64) -> bool {
        match self.writing.get() {
            Some((current, _)) if current == number => {
                self.writing.set(Some((number, now)));
                true
            }
            _ => false,
        }
    }

    /// Writer `number` found nothing waiting: no writer writes (unless another
    /// took over).
    fn end_writer(&self, number: u64) {
        if self
            .writing
            .get()
            .is_some_and(|(current, _)| current == number)
        {
            self.writing.set(None);
        }
    }

    /// The next group: the oldest waiters, within [`GROUP_ANSWERS`] and [`GROUP_BYTES`]
    /// (at least one).
    fn next_group(&self) -> Vec<Waiter> {
        let mut waiting = self.waiting.borrow_mut();
        let mut group = Vec::new();
        let mut bytes = 0;
        while let Some(next) = waiting.front() {
            let full = group.len() >= GROUP_ANSWERS || bytes + next.bytes > GROUP_BYTES;
            if !group.is_empty() && full {
                break;
            }
            bytes += next.bytes;
            group.extend(waiting.pop_front());
        }
        group
    }

    /// Counts one answer of `client`; the 429 once its minute's limit is used.
    fn admit(
        &self,
        client: &str,
        per_minute: u32,
        survey_id: &str,
        now: i64,
    ) -> Result<(), ServiceError> {
        let window = rate_limit::window(now);
        if self.minute.get() != window {
            self.minute.set(window);
            self.counts.borrow_mut().clear();
        }
        let count = {
            let mut counts = self.counts.borrow_mut();
            let count = counts.entry(client.to_string()).or_default();
            *count = count.saturating_add(1);
            *count
        };
        match rate_limit::decide(count, per_minute, now) {
            Decision::Allowed => Ok(()),
            Decision::Limited {
                retry_after_seconds,
            } => Err(ServiceError::TooManyRequests {
                detail: format!(
                    "at most {per_minute} requests a minute for survey {survey_id} from one client"
                ),
                retry_after_seconds,
            }),
        }
    }
}

/// Writes groups while answers wait; runs beside the requests it answers.
async fn write_groups(memory: Rc<Memory>, env: Env, number: u64) {
    loop {
        if !memory.begin_group(number, now_ms()) {
            return;
        }
        let group = memory.next_group();
        if group.is_empty() {
            memory.end_writer(number);
            return;
        }
        if group.len() > memory.largest_group.get() {
            memory.largest_group.set(group.len());
            worker::console_log!("gate: a group of {} answers", group.len());
        }
        let (prepared, replies): (Vec<_>, Vec<_>) =
            group.into_iter().map(|w| (w.prepared, w.reply)).unzip();
        // A fresh store per group: its statements are metered as one invocation's.
        let answers = replies.len().max(1) as f64;
        let (outcomes, share) = match App::from_env(&env) {
            Ok(app) => {
                let outcomes = responses::commit_group(&app.store, &app.queue, prepared).await;
                (outcomes, f64::from(app.store.queries()) / answers)
            }
            Err(e) => (
                replies
                    .iter()
                    .map(|_| Err(ServiceError::Store(StoreError(e.to_string()))))
                    .collect(),
                0.0,
            ),
        };
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            // A waiter that went away (its client disconnected) needs no reply.
            let _ = reply.send((outcome, share));
        }
    }
}

#[durable_object(fetch)]
pub struct Gate {
    memory: Rc<Memory>,
    env: Env,
}

impl DurableObject for Gate {
    fn new(_state: State, env: Env) -> Self {
        Gate {
            memory: Rc::new(Memory::default()),
            env,
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        // A batch from this worker's isolates; one ticket alone from a worker of the
        // release before (a deploy replaces the worker and its objects at different
        // moments), answered in kind.
        // serde_json over the text: `Request::json` would walk the parsed JavaScript
        // object (the survey inside each ticket) one property call at a time.
        let body: Tickets = serde_json::from_str(&req.text().await?)?;
        let tickets = match body {
            Tickets::Batch(tickets) => tickets,
            Tickets::One(ticket) => {
                let reply = self.reply(*ticket).await;
                return Response::from_json(&reply);
            }
        };
        let replies =
            futures_util::future::join_all(tickets.into_iter().map(|t| self.reply(t))).await;
        Response::from_json(&replies)
    }
}

/// What the object is sent: a batch (now), or one ticket (the release before).
#[derive(Deserialize)]
#[serde(untagged)]
enum Tickets {
    Batch(Vec<Ticket>),
    One(Box<Ticket>),
}

impl Gate {
    /// One ticket's reply, once its group was written and its answer followed up.
    async fn reply(&self, ticket: Ticket) -> Reply {
        match self.accept(ticket).await {
            Ok((done, label, d1_queries)) => {
                for e in &done.failed_follow_ups {
                    worker::console_warn!("{label} stored; a follow-up failed: {e}");
                }
                Reply::from_outcome(Ok(done), d1_queries)
            }
            Err(e) => Reply::from_outcome(Err(e), 0.0),
        }
    }

    /// Waits for the ticket's group to be written, then follows its answer up.
    async fn accept(
        &self,
        ticket: Ticket,
    ) -> Result<(Done<responses::Submitted>, String, f64), ServiceError> {
        let Ticket {
            client,
            per_minute,
            prepared,
        } = ticket;
        self.memory
            .admit(&client, per_minute, &prepared.survey.id, now_ms())?;
        let (reply, outcome) = oneshot::channel();
        // The answer as stored (its survey, which the ticket carries too, is not
        // written with it).
        let bytes = serde_json::to_string(&prepared.stored).map_or(0, |s| s.len());
        self.memory.waiting.borrow_mut().push_back(Waiter {
            prepared,
            bytes,
            reply,
        });
        if let Some((number, took_over)) = self.memory.claim_writer(now_ms()) {
            if took_over {
                worker::console_warn!(
                    "gate: a group write ran {} s; taken for lost, writer {number} starts",
                    WRITE_LOST_AFTER_MS / 1000
                );
            }
            worker::wasm_bindgen_futures::spawn_local(write_groups(
                self.memory.clone(),
                self.env.clone(),
                number,
            ));
        }
        // A write lost with its I/O never answers: a 503 instead, and the client
        // retries with its Idempotency-Key (stored once, whether or not it was).
        let lost = || {
            ServiceError::Store(StoreError(
                "the group write of this answer did not finish; try again".into(),
            ))
        };
        let waited = select(outcome, worker::Delay::from(WRITE_LOST_AFTER * 2)).await;
        let (accepted, share) = match waited {
            Either::Left((Ok(outcome), _)) => outcome,
            Either::Left((Err(_), _)) | Either::Right(_) => return Err(lost()),
        };
        let accepted = accepted?;
        let label = format!("response {}", accepted.done.value.created.id);
        let app =
            App::from_env(&self.env).map_err(|e| ServiceError::Store(StoreError(e.to_string())))?;
        let done = responses::win_back(&app.store, &app.queue, accepted).await;
        Ok((done, label, share + f64::from(app.store.queries())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_or_client_always_reaches_the_same_shard_of_their_survey() {
        let name = object_name("s_demo", "p-kim", 8);
        assert_eq!(name, object_name("s_demo", "p-kim", 8));
        assert!(name.starts_with("s_demo:"));
        let shards: std::collections::BTreeSet<String> = (0..200)
            .map(|i| object_name("s_demo", &format!("203.0.113.{i}"), 8))
            .collect();
        assert_eq!(shards.len(), 8, "clients spread over every shard");
        assert_eq!(object_name("s_demo", "anyone", 1), "s_demo:0");
    }

    /// A waiting request in the tests: a channel.
    struct TestRecipient(oneshot::Sender<Handoff<u32, TestRecipient>>);

    impl Recipient<u32> for TestRecipient {
        fn tell(self, handoff: Handoff<u32, Self>) -> Result<(), Handoff<u32, Self>> {
            self.0.send(handoff)
        }

        fn gone(&self) -> bool {
            self.0.is_canceled()
        }
    }

    type Told = oneshot::Receiver<Handoff<u32, TestRecipient>>;

    /// A ticket joining `outbox`, and the receiver its request waits on.
    #[allow(clippy::type_complexity)]
    fn join(
        outbox: &mut Outbox<u32, TestRecipient>,
        ticket: u32,
        now: i64,
    ) -> (Option<(u64, Vec<(u32, Option<TestRecipient>)>)>, Told) {
        let (tx, rx) = oneshot::channel();
        (outbox.join(ticket, TestRecipient(tx), now), rx)
    }

    fn tickets(batch: &[(u32, Option<TestRecipient>)]) -> Vec<u32> {
        batch.iter().map(|(t, _)| *t).collect()
    }

    /// What a waiting request was told: the batch it is to send.
    fn led(rx: &mut Told) -> Option<(u64, Vec<u32>)> {
        match rx.try_recv() {
            Ok(Some(Handoff::Lead(generation, batch))) => Some((generation, tickets(&batch))),
            _ => None,
        }
    }

    #[test]
    fn an_answer_with_nothing_on_its_way_is_sent_at_once_alone() {
        let mut outbox = Outbox::default();
        let (lead, _rx) = join(&mut outbox, 1, 0);
        let (generation, batch) = lead.expect("sent at once");
        assert_eq!(tickets(&batch), [1]);
        outbox.hand_off(generation, 10);
        assert!(outbox.is_idle());
    }

    #[test]
    fn answers_arriving_meanwhile_go_as_one_batch_sent_by_the_first_of_them() {
        let mut outbox = Outbox::default();
        let (lead, _rx1) = join(&mut outbox, 1, 0);
        let (first, _) = lead.unwrap();
        let mut waiting: Vec<_> = (2..=5).map(|t| join(&mut outbox, t, 5)).collect();
        assert!(waiting.iter().all(|(lead, _)| lead.is_none()), "they wait");
        outbox.hand_off(first, 20);
        let (second, batch) = led(&mut waiting[0].1).expect("the first waiting one leads");
        assert_eq!(batch, [2, 3, 4, 5], "its own ticket first, then the others");
        assert!(waiting[1..].iter_mut().all(|(_, rx)| led(rx).is_none()));
        assert!(!outbox.is_idle(), "the second batch is on its way");
        outbox.hand_off(second, 30);
        assert!(outbox.is_idle());
    }

    #[test]
    fn a_batch_holds_at_most_a_group_and_the_rest_waits_for_the_next() {
        let mut outbox = Outbox::default();
        let (lead, _rx) = join(&mut outbox, 0, 0);
        let (first, _) = lead.unwrap();
        let total = GROUP_ANSWERS as u32 + 7;
        let mut waiting: Vec<_> = (1..=total).map(|t| join(&mut outbox, t, 1)).collect();
        outbox.hand_off(first, 2);
        let (second, batch) = led(&mut waiting[0].1).unwrap();
        assert_eq!(batch.len(), GROUP_ANSWERS);
        outbox.hand_off(second, 3);
        let next = GROUP_ANSWERS;
        let (_, batch) = led(&mut waiting[next].1).expect("the rest goes next");
        assert_eq!(batch, (next as u32 + 1..=total).collect::<Vec<_>>());
    }

    #[test]
    fn a_waiter_that_went_away_is_skipped_and_its_ticket_not_sent() {
        let mut outbox = Outbox::default();
        let (lead, _rx) = join(&mut outbox, 1, 0);
        let (first, _) = lead.unwrap();
        let (_, gone) = join(&mut outbox, 2, 1);
        let (_, mut third) = join(&mut outbox, 3, 1);
        let (_, _fourth) = join(&mut outbox, 4, 1);
        let (_, timed_out) = join(&mut outbox, 5, 1);
        let (_, _sixth) = join(&mut outbox, 6, 1);
        drop(gone);
        drop(timed_out);
        outbox.hand_off(first, 2);
        let (_, batch) = led(&mut third).expect("the next one still there leads");
        assert_eq!(batch, [3, 4, 6]);
    }

    #[test]
    fn a_batch_stuck_on_its_way_is_overtaken_and_its_late_return_changes_nothing() {
        let mut outbox = Outbox::default();
        let (lead, _rx) = join(&mut outbox, 1, 0);
        let (stuck, _) = lead.unwrap();
        let (waits, mut rx2) = join(&mut outbox, 2, STUCK_AFTER_MS - 1);
        assert!(waits.is_none());
        let (lead, _rx3) = join(&mut outbox, 3, STUCK_AFTER_MS);
        let (fresh, batch) = lead.expect("sent at once, past the stuck batch");
        assert_eq!(tickets(&batch), [3]);
        outbox.hand_off(stuck, STUCK_AFTER_MS + 1);
        assert!(
            led(&mut rx2).is_none(),
            "the stuck batch's return hands nothing off"
        );
        outbox.hand_off(fresh, STUCK_AFTER_MS + 2);
        assert_eq!(led(&mut rx2).map(|(_, b)| b), Some(vec![2]));
    }

    #[test]
    fn one_writer_writes_and_a_lost_one_is_replaced_after_its_time() {
        let memory = Memory::default();
        assert_eq!(memory.claim_writer(1_000), Some((1, false)));
        assert_eq!(memory.claim_writer(1_001), None, "one writes");
        assert!(memory.begin_group(1, 2_000));
        assert_eq!(memory.claim_writer(2_000 + WRITE_LOST_AFTER_MS - 1), None);
        // Its group has run too long: the next ticket starts writer 2, and writer 1,
        // should its write ever return, stops before another group.
        assert_eq!(
            memory.claim_writer(2_000 + WRITE_LOST_AFTER_MS),
            Some((2, true))
        );
        assert!(!memory.begin_group(1, 9_000));
        memory.end_writer(1);
        assert_eq!(memory.claim_writer(9_000), None, "writer 2 still writes");
        assert!(memory.begin_group(2, 9_000));
        memory.end_writer(2);
        assert_eq!(memory.claim_writer(9_001), Some((3, false)), "none writes");
    }

    #[test]
    fn a_client_is_counted_exactly_per_minute_and_refused_past_its_limit() {
        let memory = Memory::default();
        let minute = 1_764_000_000_000 / 60_000 * 60_000;
        for _ in 0..3 {
            memory.admit("a", 3, "s_demo", minute + 1_000).unwrap();
        }
        match memory.admit("a", 3, "s_demo", minute + 50_000) {
            Err(ServiceError::TooManyRequests {
                retry_after_seconds,
                ..
            }) => assert_eq!(retry_after_seconds, 10),
            other => panic!("{other:?}"),
        }
        memory
            .admit("b", 3, "s_demo", minute + 50_000)
            .expect("another client");
        memory
            .admit("a", 3, "s_demo", minute + 60_000)
            .expect("the next minute");
    }
}
