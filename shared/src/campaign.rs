//! Relationship surveys (campaigns): a survey sent to a customer list, once or on a
//! schedule. The wire types of `/v1/campaigns`, the schedule arithmetic (the next run
//! after a run: three or six calendar months later, the day clamped to the month), the
//! per-person throttle rule, and — with the `server` feature — the readers of the list
//! an admin uploads: CSV (RFC 4180, a header row) or JSON lines, checked line by line;
//! and the GDPR scrub of a kept list ([`scrub_list`]): an erased person's entries
//! become [`TOMBSTONE`] lines, so every other entry keeps its line number (a run's
//! chunks index the list by line) and the chunk reader skips them.
//!
//! Pure: no storage, no clock (time comes in as Unix milliseconds).

use crate::time::{civil_from_days, days_from_civil};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Days a person invited by any survey is left alone when a campaign sets none.
pub const DEFAULT_THROTTLE_DAYS: u32 = 90;
/// The longest throttle a campaign may set.
pub const MAX_THROTTLE_DAYS: u32 = 365;
/// The largest list one request uploads (a longer list goes in parts:
/// `POST /v1/campaigns/{id}/recipients`).
pub const MAX_LIST_BYTES: usize = 10 * 1024 * 1024;
/// Recipients one upload holds at most.
pub const MAX_RECIPIENTS_PER_UPLOAD: usize = 100_000;
/// Bad lines an upload reports at most (the rest are counted).
pub const MAX_LINE_ERRORS: usize = 20;
/// The longest campaign name.
pub const MAX_NAME_CHARS: usize = 120;

const DAY_MS: i64 = 86_400_000;

/// When a campaign runs: once, or again every quarter or half-year after its first run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    Once,
    Quarterly,
    HalfYearly,
}

impl Schedule {
    pub fn parse(text: &str) -> Option<Schedule> {
        match text {
            "once" => Some(Schedule::Once),
            "quarterly" => Some(Schedule::Quarterly),
            "half_yearly" => Some(Schedule::HalfYearly),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Schedule::Once => "once",
            Schedule::Quarterly => "quarterly",
            Schedule::HalfYearly => "half_yearly",
        }
    }

    /// When the run after one started at `run_at` (Unix ms) starts: the same time of
    /// day, 3 or 6 calendar months later, on the same day of the month or the month's
    /// last day when it is shorter (31 May → 31 Aug, 30 Nov → 28/29 Feb). `None` for
    /// [`Schedule::Once`].
    pub fn next_run(self, run_at: i64) -> Option<i64> {
        let months = match self {
            Schedule::Once => return None,
            Schedule::Quarterly => 3,
            Schedule::HalfYearly => 6,
        };
        let days = run_at.div_euclid(DAY_MS);
        let time_of_day = run_at.rem_euclid(DAY_MS);
        let (year, month, day) = civil_from_days(days);
        let index = year * 12 + i64::from(month - 1) + months;
        let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        let day = day.min(days_in_month(year, month));
        Some(days_from_civil(year, month, day) * DAY_MS + time_of_day)
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    (days_from_civil(next_year, next_month, 1) - days_from_civil(year, month, 1)) as u32
}

/// Where a campaign is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Waiting for `next_run_at` (the cron starts the run).
    Scheduled,
    /// A run is turning the list into invitations, chunk after chunk.
    Queuing,
    /// Stopped by an admin; resuming carries on where it stopped.
    Paused,
    /// A one-off campaign whose run is over.
    Done,
}

impl CampaignStatus {
    pub fn parse(text: &str) -> Option<CampaignStatus> {
        match text {
            "scheduled" => Some(CampaignStatus::Scheduled),
            "queuing" => Some(CampaignStatus::Queuing),
            "paused" => Some(CampaignStatus::Paused),
            "done" => Some(CampaignStatus::Done),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Scheduled => "scheduled",
            CampaignStatus::Queuing => "queuing",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Done => "done",
        }
    }
}

/// A campaign and its progress (`GET /v1/campaigns/{id}`). Counts are over all runs,
/// except `chunks_done`/`chunks_total`, which are the current run's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignView {
    pub id: String,
    pub survey_id: String,
    pub name: String,
    pub schedule: Schedule,
    pub status: CampaignStatus,
    pub throttle_days: u32,
    /// When the next run starts (`None`: no run is to come).
    pub next_run_at: Option<String>,
    /// Runs started so far (0 before the first).
    pub run: u32,
    /// People on the kept list, as uploaded: an entry a GDPR erase scrubbed since
    /// stays counted (a placeholder line in its place, which invites nobody).
    pub recipients: u64,
    /// Chunks of the list the current run has turned into invitations, of all of them:
    /// the progress bar.
    pub chunks_done: u32,
    pub chunks_total: u32,
    /// Invitations created.
    pub invited: u64,
    /// Skipped: invited by some survey within `throttle_days`, or already in this run.
    pub throttled: u64,
    /// Skipped, or not mailed: the person unsubscribed, bounced or complained before.
    pub suppressed: u64,
    /// Invitations sent: e-mails the provider accepted; without a mail provider, the
    /// invitations announced (`invitation.due`).
    pub sent: u64,
    pub bounced: u64,
    /// Invitations answered.
    pub answered: u64,
    /// `answered / sent`, `None` before anything was sent.
    pub response_rate: Option<f64>,
    pub created_at: String,
    pub updated_at: String,
}

/// `answered / sent`, `None` when nothing was sent.
pub fn response_rate(answered: u64, sent: u64) -> Option<f64> {
    (sent > 0).then(|| answered as f64 / sent as f64)
}

/// `GET /v1/campaigns`: newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignView>,
}

/// `PATCH /v1/campaigns/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaign {
    /// `paused` stops it; `active` resumes it.
    pub status: String,
}

/// One person of the list. `email` is required; `name` travels as the property `name`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

impl Recipient {
    /// The key the person is matched by everywhere (throttle, suppressions).
    pub fn email_key(&self) -> String {
        self.email.trim().to_lowercase()
    }
}

/// The per-person throttle: who of a chunk gets an invitation. A person suppressed is
/// skipped as `suppressed`; one invited (by any survey) since the throttle began, or
/// met before in the same run, as `throttled`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sorted<T> {
    pub invite: Vec<T>,
    pub throttled: u64,
    pub suppressed: u64,
}

/// When the throttle of a run at `now_ms` begins: invitations created since then count.
pub fn throttle_since(now_ms: i64, days: u32) -> i64 {
    now_ms - i64::from(days) * DAY_MS
}

/// Sorts `chunk` by the throttle rule: `suppressed` and `recently_invited` are e-mail
/// keys (as [`Recipient::email_key`]); the same person twice in `chunk` is invited once.
pub fn sort_chunk<T>(
    chunk: Vec<T>,
    key: impl Fn(&T) -> String,
    suppressed: &std::collections::BTreeSet<String>,
    recently_invited: &std::collections::BTreeSet<String>,
) -> Sorted<T> {
    let mut sorted = Sorted {
        invite: Vec::new(),
        throttled: 0,
        suppressed: 0,
    };
    let mut seen = std::collections::BTreeSet::new();
    for item in chunk {
        let k = key(&item);
        if suppressed.contains(&k) {
            sorted.suppressed += 1;
        } else if recently_invited.contains(&k) || !seen.insert(k) {
            sorted.throttled += 1;
        } else {
            sorted.invite.push(item);
        }
    }
    sorted
}

#[cfg(feature = "server")]
pub use list::*;

/// The readers of an uploaded list.
#[cfg(feature = "server")]
mod list {
    use super::{MAX_LINE_ERRORS, MAX_LIST_BYTES, MAX_RECIPIENTS_PER_UPLOAD, Recipient};
    use crate::locale;
    use crate::validate::{
        MAX_PROPERTIES, MAX_PROPERTY_VALUE_CHARS, MAX_RESPONDENT_ID_CHARS, is_email,
        parse_properties,
    };
    use serde::{Deserialize, Serialize};
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// A bad line of a list: its number (1 = the first line of the text) and why.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct LineError {
        pub line: usize,
        pub message: String,
    }

    /// A list read: the people on it (each e-mail key once, first line wins), how many
    /// lines repeated someone, and its bad lines (the first [`MAX_LINE_ERRORS`] of
    /// `bad_lines`).
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct RecipientList {
        pub recipients: Vec<Recipient>,
        pub duplicates: u64,
        pub errors: Vec<LineError>,
        pub bad_lines: u64,
    }

    /// Why a whole list is refused (not one line of it).
    #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
    pub enum ListError {
        #[error("the list must be at most {MAX_LIST_BYTES} bytes; upload a longer one in parts")]
        TooLarge,
        #[error("the list holds more than {MAX_RECIPIENTS_PER_UPLOAD} people; upload it in parts")]
        TooMany,
        #[error("the list is empty")]
        Empty,
        #[error("the CSV header has no email column")]
        NoEmailColumn,
        #[error("CSV header column {0:?}: {1}")]
        BadColumn(String, String),
    }

    impl RecipientList {
        fn add(
            &mut self,
            line: usize,
            parsed: Result<Recipient, String>,
            seen: &mut BTreeSet<String>,
        ) {
            match parsed {
                Ok(r) => {
                    if seen.insert(r.email_key()) {
                        self.recipients.push(r);
                    } else {
                        self.duplicates += 1;
                    }
                }
                Err(message) => {
                    self.bad_lines += 1;
                    if self.errors.len() < MAX_LINE_ERRORS {
                        self.errors.push(LineError { line, message });
                    }
                }
            }
        }

        fn check_size(&self) -> Result<(), ListError> {
            if self.recipients.len() > MAX_RECIPIENTS_PER_UPLOAD {
                return Err(ListError::TooMany);
            }
            if self.recipients.is_empty() && self.bad_lines == 0 {
                return Err(ListError::Empty);
            }
            Ok(())
        }
    }

    /// One recipient from its parts, checked as `POST /v1/invitations` checks a
    /// respondent and properties.
    fn recipient(
        email: Option<&str>,
        id: Option<&str>,
        locale_tag: Option<&str>,
        properties: &Value,
    ) -> Result<Recipient, String> {
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        let email = email.ok_or("email is missing")?;
        if !is_email(email) {
            return Err(format!("email {email:?} is not an e-mail address"));
        }
        let id = id.map(str::trim).filter(|i| !i.is_empty());
        if id.is_some_and(|i| {
            i.chars().count() > MAX_RESPONDENT_ID_CHARS || i.chars().any(char::is_control)
        }) {
            return Err(format!(
                "id must be 1 to {MAX_RESPONDENT_ID_CHARS} characters, no control characters"
            ));
        }
        let locale_tag = locale_tag.map(str::trim).filter(|l| !l.is_empty());
        if let Some(tag) = locale_tag.filter(|l| !locale::is_valid_tag(l)) {
            return Err(format!("locale {tag:?} is not a language tag like \"de\""));
        }
        let mut errors = Vec::new();
        let properties = parse_properties(Some(properties), &mut errors);
        if let Some(e) = errors.first() {
            return Err(format!("{}: {}", e.field, e.message));
        }
        Ok(Recipient {
            email: email.to_string(),
            id: id.map(str::to_string),
            locale: locale_tag.map(str::to_string),
            properties,
        })
    }

    /// Reads JSON lines: one object a line with `email`, and optionally `id`, `name`,
    /// `locale` and `properties` (a flat object); blank lines are skipped.
    pub fn parse_json_lines(text: &str) -> Result<RecipientList, ListError> {
        if text.len() > MAX_LIST_BYTES {
            return Err(ListError::TooLarge);
        }
        let mut list = RecipientList::default();
        let mut seen = BTreeSet::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let parsed = json_line(line);
            list.add(i + 1, parsed, &mut seen);
            if list.recipients.len() > MAX_RECIPIENTS_PER_UPLOAD {
                return Err(ListError::TooMany);
            }
        }
        list.check_size()?;
        Ok(list)
    }

    fn json_line(line: &str) -> Result<Recipient, String> {
        let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Object(object) = value else {
            return Err("must be a JSON object".into());
        };
        if let Some(k) = object.keys().find(|k| {
            !matches!(
                k.as_str(),
                "email" | "id" | "name" | "locale" | "properties"
            )
        }) {
            return Err(format!(
                "unknown field {k:?} (email, id, name, locale, properties)"
            ));
        }
        let text = |field: &str| -> Result<Option<String>, String> {
            match object.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) if field == "id" => Ok(Some(n.to_string())),
                Some(_) => Err(format!("{field} must be a string")),
            }
        };
        let mut properties = match object.get("properties") {
            None | Some(Value::Null) => serde_json::Map::new(),
            Some(Value::Object(p)) => p.clone(),
            Some(_) => return Err("properties must be an object".into()),
        };
        if let Some(name) = text("name")? {
            properties.insert("name".into(), Value::String(name));
        }
        recipient(
            text("email")?.as_deref(),
            text("id")?.as_deref(),
            text("locale")?.as_deref(),
            &Value::Object(properties),
        )
    }

    /// The records of RFC 4180 CSV (commas, `"` quoting with `""` for a quote, line
    /// breaks inside quotes, CRLF or LF line ends), each with the line it starts on.
    /// A quote left open runs to the end of the text, which then is one bad record.
    fn csv_records(text: &str) -> Vec<(usize, Result<Vec<String>, String>)> {
        let mut records = Vec::new();
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut line = 1;
        let mut start = 1;
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        let mut any = false;
        while let Some(c) = chars.next() {
            any = true;
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    '\n' => {
                        line += 1;
                        field.push('\n');
                    }
                    c => field.push(c),
                }
                continue;
            }
            match c {
                '"' if field.is_empty() => quoted = true,
                ',' => fields.push(std::mem::take(&mut field)),
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    fields.push(std::mem::take(&mut field));
                    records.push((start, Ok(std::mem::take(&mut fields))));
                    line += 1;
                    start = line;
                    any = false;
                }
                c => field.push(c),
            }
        }
        if quoted {
            records.push((start, Err("a quoted field is not closed".into())));
        } else if any {
            fields.push(field);
            records.push((start, Ok(fields)));
        }
        records
    }

    #[cfg(test)]
    pub(super) fn csv_records_for_tests(text: &str) -> Vec<(usize, Result<Vec<String>, String>)> {
        csv_records(text)
    }

    /// Reads a CSV list: a header row naming the columns — `email` (required), `id`,
    /// `name`, `locale`, and any other column a property of that name — then one person
    /// a row; blank rows are skipped, empty cells left out.
    pub fn parse_csv(text: &str) -> Result<RecipientList, ListError> {
        if text.len() > MAX_LIST_BYTES {
            return Err(ListError::TooLarge);
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut records = csv_records(text).into_iter();
        let header = loop {
            match records.next() {
                None => return Err(ListError::Empty),
                Some((_, Ok(h))) if h.iter().all(|c| c.trim().is_empty()) => continue,
                Some((_, Ok(h))) => break h,
                Some((_, Err(e))) => return Err(ListError::BadColumn(String::new(), e)),
            }
        };
        let columns: Vec<String> = header.iter().map(|c| c.trim().to_lowercase()).collect();
        let email_at = columns
            .iter()
            .position(|c| c == "email" || c == "e-mail")
            .ok_or(ListError::NoEmailColumn)?;
        let mut names = BTreeSet::new();
        for c in &columns {
            if !names.insert(c) {
                return Err(ListError::BadColumn(c.clone(), "named twice".into()));
            }
        }
        let property_columns = columns
            .iter()
            .filter(|c| !matches!(c.as_str(), "email" | "e-mail" | "id" | "locale"))
            .count();
        if property_columns > MAX_PROPERTIES {
            return Err(ListError::BadColumn(
                String::new(),
                format!("at most {MAX_PROPERTIES} property columns"),
            ));
        }
        let at = |name: &str| columns.iter().position(|c| c == name);
        let (id_at, locale_at) = (at("id"), at("locale"));
        let mut list = RecipientList::default();
        let mut seen = BTreeSet::new();
        for (line, record) in records {
            let parsed = record.and_then(|cells| {
                if cells.iter().all(|c| c.trim().is_empty()) {
                    return Ok(None);
                }
                if cells.len() != columns.len() {
                    return Err(format!(
                        "has {} cells, the header {}",
                        cells.len(),
                        columns.len()
                    ));
                }
                let cell = |i: Option<usize>| i.map(|i| cells[i].as_str());
                let mut properties = serde_json::Map::new();
                for (i, name) in columns.iter().enumerate() {
                    let value = cells[i].trim();
                    if i == email_at || Some(i) == id_at || Some(i) == locale_at || value.is_empty()
                    {
                        continue;
                    }
                    if value.chars().count() > MAX_PROPERTY_VALUE_CHARS {
                        return Err(format!(
                            "{name} must be at most {MAX_PROPERTY_VALUE_CHARS} characters"
                        ));
                    }
                    properties.insert(name.clone(), Value::String(value.to_string()));
                }
                recipient(
                    cell(Some(email_at)),
                    cell(id_at),
                    cell(locale_at),
                    &Value::Object(properties),
                )
                .map(Some)
            });
            match parsed {
                Ok(None) => {}
                Ok(Some(r)) => list.add(line, Ok(r), &mut seen),
                Err(e) => list.add(line, Err(e), &mut seen),
            }
            if list.recipients.len() > MAX_RECIPIENTS_PER_UPLOAD {
                return Err(ListError::TooMany);
            }
        }
        list.check_size()?;
        Ok(list)
    }

    /// The list as kept between runs: one JSON object a line.
    pub fn to_json_lines(recipients: &[Recipient]) -> String {
        let mut text = String::new();
        for r in recipients {
            // A Recipient of strings always serialises.
            if let Ok(line) = serde_json::to_string(r) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        text
    }

    /// Recipients `from..from + count` of a kept list (as [`to_json_lines`] wrote it),
    /// reading only those lines; a [`TOMBSTONE`] among them is skipped and counts as
    /// nobody.
    pub fn kept_slice(text: &str, from: usize, count: usize) -> Result<Vec<Recipient>, String> {
        text.lines()
            .skip(from)
            .take(count)
            .filter(|l| *l != TOMBSTONE)
            .map(|l| serde_json::from_str(l).map_err(|e| format!("kept list line: {e}")))
            .collect()
    }

    /// What an erased entry of a kept list becomes: a line that holds nothing about
    /// anyone, in its place, so the lines after it keep their numbers.
    pub const TOMBSTONE: &str = "{\"erased\":true}";

    /// Who a GDPR erase is about, as a kept list names people: by e-mail key
    /// (`validate::normalize_email`, as [`Recipient::email_key`]), or by the shop's id
    /// (exactly).
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ErasedPerson {
        Email(String),
        Id(String),
    }

    impl ErasedPerson {
        fn matches(&self, r: &Recipient) -> bool {
            match self {
                ErasedPerson::Email(key) => r.email_key() == *key,
                ErasedPerson::Id(id) => r.id.as_deref() == Some(id.as_str()),
            }
        }

        /// What a line naming them must contain, in the text as lower-cased for an
        /// e-mail key: the value as a JSON string (quotes included, so
        /// `kim@example.com` does not find `akim@example.com`).
        fn needle(&self) -> String {
            let value = match self {
                ErasedPerson::Email(key) => key,
                ErasedPerson::Id(id) => id,
            };
            serde_json::Value::from(value.as_str()).to_string()
        }

        fn in_text(&self, text: &str, needle: &str) -> bool {
            match self {
                // The list keeps an address as uploaded; its key is lower-case.
                ErasedPerson::Email(_) => text.to_lowercase().contains(needle),
                ErasedPerson::Id(_) => text.contains(needle),
            }
        }

        /// The keyed hashes a chunk checks its recipients against while the erase of
        /// this person is pending (no plain address is kept for that):
        /// HMAC-SHA256 of `email:<key>` or `id:<id>`, hex.
        pub fn pending_hash(&self, secret: &[u8]) -> String {
            match self {
                ErasedPerson::Email(key) => keyed_hash(secret, "email", key),
                ErasedPerson::Id(id) => keyed_hash(secret, "id", id),
            }
        }
    }

    fn keyed_hash(secret: &[u8], kind: &str, value: &str) -> String {
        use hmac::{Hmac, Mac};
        use sha2::Sha256;
        // HMAC takes a key of any length.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The hashes of a recipient [`ErasedPerson::pending_hash`] would give for an erase
    /// by their e-mail key or by their id.
    pub fn recipient_hashes(secret: &[u8], r: &Recipient) -> Vec<String> {
        let mut hashes = vec![keyed_hash(secret, "email", &r.email_key())];
        if let Some(id) = &r.id {
            hashes.push(keyed_hash(secret, "id", id));
        }
        hashes
    }

    /// A kept list with `person`'s entries replaced by [`TOMBSTONE`]s, and how many;
    /// `None` when it names them nowhere (the list is not written again). Only lines
    /// whose text holds the person's value are decoded.
    pub fn scrub_list(text: &str, person: &ErasedPerson) -> Option<(String, usize)> {
        let needle = person.needle();
        if !person.in_text(text, &needle) {
            return None;
        }
        let mut scrubbed = String::with_capacity(text.len());
        let mut erased = 0;
        for line in text.lines() {
            let theirs = line != TOMBSTONE
                && person.in_text(line, &needle)
                && serde_json::from_str::<Recipient>(line).is_ok_and(|r| person.matches(&r));
            if theirs {
                erased += 1;
                scrubbed.push_str(TOMBSTONE);
            } else {
                scrubbed.push_str(line);
            }
            scrubbed.push('\n');
        }
        (erased > 0).then_some((scrubbed, erased))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{parse_rfc3339, rfc3339};
    use std::collections::BTreeSet;

    fn next(schedule: Schedule, at: &str) -> Option<String> {
        schedule.next_run(parse_rfc3339(at).unwrap()).map(rfc3339)
    }

    #[test]
    fn a_quarterly_run_comes_three_calendar_months_later_at_the_same_time() {
        assert_eq!(
            next(Schedule::Quarterly, "2026-01-15T09:30:00.000Z").as_deref(),
            Some("2026-04-15T09:30:00.000Z")
        );
        assert_eq!(
            next(Schedule::Quarterly, "2026-11-02T08:00:00.000Z").as_deref(),
            Some("2027-02-02T08:00:00.000Z")
        );
    }

    #[test]
    fn a_day_the_target_month_lacks_becomes_its_last_day() {
        assert_eq!(
            next(Schedule::Quarterly, "2026-05-31T10:00:00.000Z").as_deref(),
            Some("2026-08-31T10:00:00.000Z")
        );
        assert_eq!(
            next(Schedule::HalfYearly, "2026-08-31T10:00:00.000Z").as_deref(),
            Some("2027-02-28T10:00:00.000Z")
        );
        assert_eq!(
            next(Schedule::Quarterly, "2027-11-30T10:00:00.000Z").as_deref(),
            Some("2028-02-29T10:00:00.000Z"),
            "a leap year keeps the 29th"
        );
    }

    #[test]
    fn a_one_off_campaign_has_no_next_run() {
        assert_eq!(next(Schedule::Once, "2026-01-15T09:30:00.000Z"), None);
        for s in [Schedule::Once, Schedule::Quarterly, Schedule::HalfYearly] {
            assert_eq!(Schedule::parse(s.as_str()), Some(s));
        }
        assert_eq!(Schedule::parse("monthly"), None);
    }

    #[test]
    fn the_throttle_skips_suppressed_then_recently_invited_then_repeats() {
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let chunk = vec!["a", "b", "c", "a", "d", "e"];
        let sorted = sort_chunk(
            chunk,
            |s| s.to_string(),
            &keys(&["b", "e"]),
            &keys(&["c", "e"]),
        );
        assert_eq!(sorted.invite, vec!["a", "d"]);
        assert_eq!(
            sorted.suppressed, 2,
            "b, and e although also invited lately"
        );
        assert_eq!(sorted.throttled, 2, "c invited lately, a twice in the run");
        assert_eq!(throttle_since(10 * DAY_MS, 3), 7 * DAY_MS);
    }

    #[test]
    fn the_response_rate_is_answers_per_sent_invitation() {
        assert_eq!(response_rate(0, 0), None);
        assert_eq!(response_rate(1, 4), Some(0.25));
    }

    #[test]
    fn a_csv_list_reads_quoted_cells_line_breaks_and_other_columns_as_properties() {
        let text = "Email,id,name,locale,plan\r\n\
                    kim@example.com,c-1,\"Lee, Kim\",de,gold\r\n\
                    \"ann@example.com\",,\"Ann \"\"the\"\" Second\",,\r\n\
                    \r\n\
                    KIM@example.com,c-9,,,\n";
        let list = parse_csv(text).unwrap();
        assert_eq!(list.errors, []);
        assert_eq!(list.recipients.len(), 2);
        let kim = &list.recipients[0];
        assert_eq!(kim.email, "kim@example.com");
        assert_eq!(kim.id.as_deref(), Some("c-1"));
        assert_eq!(kim.locale.as_deref(), Some("de"));
        assert_eq!(kim.properties["name"], "Lee, Kim");
        assert_eq!(kim.properties["plan"], "gold");
        let ann = &list.recipients[1];
        assert_eq!(ann.properties["name"], "Ann \"the\" Second");
        assert!(
            !ann.properties.contains_key("plan"),
            "empty cells are left out"
        );
        assert_eq!(list.duplicates, 1, "KIM@ is kim@ again");
        assert!(list.errors.is_empty());
    }

    #[test]
    fn a_quoted_cell_may_hold_a_line_break_and_the_next_record_counts_lines_from_it() {
        let records = list::csv_records_for_tests("a,\"b\nc\"\r\nd,e");
        assert_eq!(
            records[0],
            (1, Ok(vec!["a".to_string(), "b\nc".to_string()]))
        );
        assert_eq!(records[1], (3, Ok(vec!["d".to_string(), "e".to_string()])));
    }

    #[test]
    fn bad_csv_lines_are_reported_with_their_line_numbers_up_to_a_bound() {
        let mut text =
            String::from("email,locale\nok@example.com,en\nnot-an-address,en\nx@example.com,??\n");
        for _ in 0..30 {
            text.push_str("a,b,c\n");
        }
        let list = parse_csv(&text).unwrap();
        assert_eq!(list.recipients.len(), 1);
        assert_eq!(list.bad_lines, 32);
        assert_eq!(list.errors.len(), MAX_LINE_ERRORS);
        assert_eq!(list.errors[0].line, 3);
        assert!(list.errors[0].message.contains("not an e-mail"));
        assert_eq!(list.errors[1].line, 4);
        assert!(list.errors[2].message.contains("cells"));
    }

    #[test]
    fn a_csv_list_needs_an_email_column_and_distinct_names() {
        assert_eq!(parse_csv("id,name\n1,x\n"), Err(ListError::NoEmailColumn));
        assert!(matches!(
            parse_csv("email,plan,plan\n"),
            Err(ListError::BadColumn(..))
        ));
        assert_eq!(parse_csv(""), Err(ListError::Empty));
        assert_eq!(parse_csv("email\n\n"), Err(ListError::Empty));
        assert!(matches!(parse_csv("email,bad key\nk@example.com,1\n"), Ok(l) if l.bad_lines == 1));
        assert_eq!(
            parse_csv("email\n\"open@example.com\n").unwrap().bad_lines,
            1
        );
    }

    #[test]
    fn json_lines_read_each_object_and_report_bad_lines() {
        let text = "{\"email\":\"kim@example.com\",\"id\":42,\"name\":\"Kim\",\"properties\":{\"plan\":\"gold\",\"seats\":3}}\n\
                    \n\
                    {\"email\":\"kim@example.com \"}\n\
                    [1]\n\
                    {\"mail\":\"x@example.com\"}\n\
                    {\"email\":\"ann@example.com\",\"locale\":\"fr-CA\"}\n";
        let list = parse_json_lines(text).unwrap();
        assert_eq!(list.recipients.len(), 2);
        assert_eq!(list.recipients[0].id.as_deref(), Some("42"));
        assert_eq!(list.recipients[0].properties["seats"], "3");
        assert_eq!(list.recipients[0].properties["name"], "Kim");
        assert_eq!(list.duplicates, 1);
        assert_eq!(
            list.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            [4, 5]
        );
        assert!(list.errors[1].message.contains("unknown field"));
    }

    #[test]
    fn a_list_past_the_size_bound_is_refused_whole() {
        let big = "x".repeat(MAX_LIST_BYTES + 1);
        assert_eq!(parse_csv(&big), Err(ListError::TooLarge));
        assert_eq!(parse_json_lines(&big), Err(ListError::TooLarge));
    }

    fn kept(emails: &[(&str, Option<&str>)]) -> String {
        let people: Vec<Recipient> = emails
            .iter()
            .map(|(e, id)| Recipient {
                email: e.to_string(),
                id: id.map(str::to_string),
                ..Recipient::default()
            })
            .collect();
        to_json_lines(&people)
    }

    #[test]
    fn an_erased_address_becomes_a_tombstone_in_its_place_whatever_its_case() {
        let text = kept(&[
            ("ann@example.com", Some("c-1")),
            ("Kim@Example.COM", Some("c-2")),
            ("akim@example.com", None),
            ("bob@example.com", None),
        ]);
        let who = ErasedPerson::Email("kim@example.com".into());
        let (scrubbed, erased) = scrub_list(&text, &who).unwrap();
        assert_eq!(erased, 1);
        assert!(!scrubbed.to_lowercase().contains("\"kim@example.com\""));
        assert!(
            scrubbed.contains("akim@example.com"),
            "a longer address stays"
        );
        assert_eq!(scrubbed.lines().count(), 4, "every line keeps its number");
        assert_eq!(scrubbed.lines().nth(1), Some(TOMBSTONE));
        let slice = kept_slice(&scrubbed, 0, 3).unwrap();
        assert_eq!(
            slice.iter().map(|r| r.email.as_str()).collect::<Vec<_>>(),
            ["ann@example.com", "akim@example.com"],
            "the chunk reader skips the tombstone and reads no further"
        );
        assert_eq!(scrub_list(&scrubbed, &who), None, "scrubbed once");
    }

    #[test]
    fn an_erase_by_id_finds_the_entries_with_that_id_only() {
        let text = kept(&[
            ("a@example.com", Some("cust-4")),
            ("b@example.com", Some("cust-42")),
            ("c@example.com", Some("cust-4")),
            ("cust-4@example.com", None),
        ]);
        let (scrubbed, erased) = scrub_list(&text, &ErasedPerson::Id("cust-4".into())).unwrap();
        assert_eq!(erased, 2);
        let left: Vec<String> = kept_slice(&scrubbed, 0, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.email)
            .collect();
        assert_eq!(left, ["b@example.com", "cust-4@example.com"]);
        assert_eq!(
            scrub_list(&text, &ErasedPerson::Id("nobody".into())),
            None,
            "a list that does not name them is not written again"
        );
    }

    #[test]
    fn a_pending_erase_hash_is_keyed_and_matches_the_recipient_it_names() {
        let r = Recipient {
            email: "Kim@Example.com".into(),
            id: Some("c-2".into()),
            ..Recipient::default()
        };
        let by_email = ErasedPerson::Email("kim@example.com".into()).pending_hash(b"k1");
        let by_id = ErasedPerson::Id("c-2".into()).pending_hash(b"k1");
        assert_eq!(recipient_hashes(b"k1", &r), [by_email.clone(), by_id]);
        assert_ne!(
            ErasedPerson::Email("kim@example.com".into()).pending_hash(b"k2"),
            by_email,
            "another secret, another hash"
        );
        assert!(!by_email.contains("kim"));
        assert_ne!(
            ErasedPerson::Id("kim@example.com".into()).pending_hash(b"k1"),
            by_email,
            "an id is not an address"
        );
    }

    #[test]
    fn the_kept_list_reads_back_a_slice_of_it() {
        let list =
            parse_csv("email,id\na@example.com,1\nb@example.com,2\nc@example.com,3\n").unwrap();
        let kept = to_json_lines(&list.recipients);
        let slice = kept_slice(&kept, 1, 5).unwrap();
        assert_eq!(slice, list.recipients[1..].to_vec());
    }
}
