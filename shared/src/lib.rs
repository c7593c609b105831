//! The NPS domain, shared by the worker and the widget.
//!
//! Everything here is pure: no I/O, no clock, no randomness of its own (callers pass
//! time and random bytes in), and no dependency on `worker`, `leptos` or `web-sys`, so
//! it builds for the host and for wasm32 and carries most of the tests.
//!
//! - [`score`]: `Score` (0–10, nothing else representable) and its `Category`.
//! - [`nps`]: the Net Promoter Score of a set of answers.
//! - [`api`]: the wire types of the HTTP contract (`worker/public/openapi.json`).
//! - [`locale`]: locale tags and picking the best translation.
//! - [`words`]: the built-in words in twelve languages, the defaults of every survey
//!   text and what the widget's config says in the visitor's language.
//! - [`time`]: RFC 3339 timestamps from Unix milliseconds.
//! - [`ids`]: prefixed opaque ids from caller-supplied random bytes.
//! - [`field`]: `FieldError`, one wrong field of a request, for every check.
//! - [`respondent`]: who answered, as far as the sender knows.
//! - [`action`]: action plans: status table, what a create or patch may carry.
//! - [`case`]: detractor cases: opening, owners, due dates, status changes, timeline.
//! - [`coaching`]: the team coaching view: rates per case owner and team.
//! - [`cause`]: root causes of a survey, suggesting one from a comment, and the
//!   playbook of solutions ranked by how often they won the customer back.
//! - [`report`]: the survey report: NPS with its margin of error, distribution, trend,
//!   groups and RFM segments, NPS against revenue.
//! - [`rollup`]: counts kept on write so a report reads rollups, not answers.
//! - [`theme`]: the survey's look (accent, radius, font): one rule and one default
//!   each, for the server, the widget and the dashboard.
//! - [`themes`]: the words that set detractors' comments apart from promoters'.
//! - [`synonyms`]: the English and German words that name one theme (`delivery`, …).
//! - [`corpus`]: a fixed set of realistic comments with scores, for tests and the demo.
//! - [`staff`]: who works with the data: scopes, the principal of a request, API
//!   keys and audit entries on the wire.
//! - [`zone`]: local time for the trend: a fixed offset or a time zone's changes.
//! - [`export`]: export jobs: chunks sized to a D1 query budget, and the job on the wire.
//!
//! No module imports one that imports it back: a type two modules need lives below
//! both (`field`, `respondent`, `zone`'s `UtcOffset`), and `rollup` builds on
//! `report`, never the reverse.
//!
//! With the `server` feature (the worker's):
//! - [`access`]: Cloudflare Access sign-in assertions (JWT) and the team's key set.
//! - [`validate`]: turning an incoming response body into a `NewResponse`.
//! - [`problem`]: RFC 9457 problem+json bodies.
//! - [`json`]: strict JSON for request bodies (a key twice in one object is refused).
//! - [`origin`]: which browser origins may call a survey's public endpoints.
//! - [`address`]: which IP addresses are globally reachable (the webhook target guard).
//! - [`webhook`]: Standard Webhooks signatures and the retry schedule.
//! - [`slack`]: Slack incoming-webhook messages for alerts sent to a channel.
//! - [`invitation`]: opaque invitation tokens (e-mail links, orders, case re-asks).
//! - [`identity`]: verified respondents (`user_hash`) and the one per-person key.
//! - [`email`]: the 0–10 row of links as e-mail HTML.
//! - [`csv`]: answers as RFC 4180 CSV, safe from spreadsheet formulas.
//! - [`scanner`]: telling e-mail security scanners' link visits from people.
//! - [`rate_limit`]: fixed-window rate limits per client and survey.
//! - [`retention`]: how long a survey keeps its answers, and the archive's names.
//! - [`campaign`]: relationship surveys — schedules, the per-person throttle, and the
//!   readers of uploaded customer lists (CSV, JSON lines).

pub mod action;
pub mod api;
pub mod campaign;
pub mod case;
pub mod cause;
pub mod coaching;
pub mod connector;
pub mod corpus;
pub mod export;
pub mod field;
pub mod ids;
pub mod locale;
pub mod mail_settings;
pub mod nps;
pub mod report;
pub mod respondent;
pub mod retention;
pub mod rollup;
pub mod score;
pub mod staff;
pub mod synonyms;
pub mod theme;
pub mod themes;
pub mod time;
pub mod words;
pub mod zone;

#[cfg(feature = "server")]
pub mod access;
#[cfg(feature = "server")]
pub mod address;
#[cfg(feature = "server")]
pub mod csv;
#[cfg(feature = "server")]
pub mod email;
#[cfg(feature = "server")]
pub mod identity;
#[cfg(feature = "server")]
pub mod invitation;
#[cfg(feature = "server")]
pub mod json;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod origin;
#[cfg(feature = "server")]
pub mod problem;
#[cfg(feature = "server")]
pub mod rate_limit;
#[cfg(feature = "server")]
pub mod scanner;
#[cfg(feature = "server")]
pub mod slack;
#[cfg(feature = "server")]
pub mod validate;
#[cfg(feature = "server")]
pub mod webhook;

pub use score::{Category, Score, ScoreError};
