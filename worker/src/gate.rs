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
//! **One request per answer** (`send`). An earlier release sent an isolate's answers
//! for one object as one request, the first waiting answer's request carrying the
//! others'; waking one request from another's I/O is beyond what the runtime promises
//! (its timers and futures belong to the request that made them), and under a burst
//! of 100 concurrent answers it stalled 15 s at a time. The object still takes a
//! batch (`Tickets::Batch`) and answers each ticket.
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
/// waiter waits twice as long for its outcome, then answers 503.
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

/// Sends a ticket to its object (one request per answer) and waits for its reply.
pub async fn send(
    namespace: &worker::ObjectNamespace,
    name: &str,
    ticket: Ticket,
) -> worker::Result<Reply> {
    let stub = namespace.id_from_name(name)?.get_stub()?;
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post)
        .with_body(Some(serde_json::to_string(&[ticket])?.into()));
    let request = Request::new_with_init("https://gate/answers", &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    let replies: Vec<Reply> = serde_json::from_str(&response.text().await?)?;
    let count = replies.len();
    match <[Reply; 1]>::try_from(replies) {
        Ok([reply]) => Ok(reply),
        Err(_) => Err(worker::Error::RustError(format!(
            "the ingest gate answered one answer with {count} replies"
        ))),
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
