//! The storage of the services' native tests: the real SQL ([`SqlStore`]) on a fresh
//! SQLite database with the real migrations, a queue that records what it is given,
//! an archive bucket in memory that gzips for real (`flate2`, as the runtime's
//! `CompressionStream` does in the worker),
//! and the faults a test can switch on ("the queue is down": `queue().down`; "a table
//! is down": `fail_on`).
//! The read helpers below look at the tables directly, so a test sees what was stored,
//! not what a store method chooses to return.

use super::db::{Database, Statement};
use super::kv::{self, RecentIds};
use super::metered::{Metered, PAID_PLAN_QUERIES};
use super::sql::SqlStore;
use super::sqlite::Sqlite;
use super::{
    ArchiveBucket, Delivery, DeliveryQueue, DeliveryTask, ExportTask, FloodLimiter, JobQueue,
    ObjectStore, StoreError, StoreResult, Stored, StoredCase, StoredResponse, SurveyCache,
    SurveyStore,
};
use nps_shared::api::{AttemptView, SurveyView};
use serde::de::DeserializeOwned;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

/// The services' storage in tests: the real SQL over [`TestBackend`]. It is also
/// the delivery queue, so a service taking `(&impl Storage, &impl DeliveryQueue)` is
/// called with `(&m, &m)`.
pub type TestStore = SqlStore<TestBackend>;

/// A fresh migrated SQLite database, metered like D1 in the worker (a path past the
/// paid plan's query budget fails its test), and a recording queue.
pub struct TestBackend {
    db: Metered<Sqlite>,
    pub queue: TestQueue,
}

impl Database for TestBackend {
    async fn first<T: DeserializeOwned>(&self, statement: Statement) -> StoreResult<Option<T>> {
        self.db.first(statement).await
    }
    async fn all<T: DeserializeOwned>(&self, statement: Statement) -> StoreResult<Vec<T>> {
        self.db.all(statement).await
    }
    async fn all_pair<A: DeserializeOwned, B: DeserializeOwned>(
        &self,
        first: Statement,
        second: Statement,
    ) -> StoreResult<(Vec<A>, Vec<B>)> {
        self.db.all_pair(first, second).await
    }
    async fn run(&self, statement: Statement) -> StoreResult<()> {
        self.db.run(statement).await
    }
    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<usize>> {
        self.db.batch(statements).await
    }
}

/// The real SQL on a fresh migrated, metered SQLite database behind a survey cache
/// ([`MemoryCache`]): the worker's survey reads, KV in front of D1.
pub type CachedTestStore = SqlStore<Metered<Sqlite>, MemoryCache>;

pub fn cached_store() -> CachedTestStore {
    SqlStore::with_cache(
        Metered::new(Sqlite::migrated(), PAID_PLAN_QUERIES),
        MemoryCache::default(),
    )
}

/// What KV and the isolate's memories (ids absent, entries refreshed) are to the
/// worker (`store::kv`), in memory, at a clock the test sets (`now_ms`).
pub struct MemoryCache {
    /// Each survey with when it was cached.
    surveys: RefCell<HashMap<String, (SurveyView, i64)>>,
    absent: RefCell<RecentIds>,
    refreshed: RefCell<RecentIds>,
    pub now_ms: Cell<i64>,
}

impl Default for MemoryCache {
    fn default() -> Self {
        MemoryCache {
            surveys: RefCell::default(),
            absent: RefCell::new(RecentIds::new(kv::ABSENT_FOR_MS)),
            refreshed: RefCell::new(RecentIds::new(kv::REFRESH_MS)),
            now_ms: Cell::new(0),
        }
    }
}

impl MemoryCache {
    /// The entry expired or was evicted (KV's TTL, a new deployment's empty KV).
    pub fn evict(&self, id: &str) {
        self.surveys.borrow_mut().remove(id);
    }
}

impl SurveyCache for MemoryCache {
    async fn get(&self, id: &str) -> Option<SurveyView> {
        self.surveys.borrow().get(id).map(|(s, _)| s.clone())
    }
    async fn put(&self, survey: &SurveyView) {
        self.absent.borrow_mut().forget(&survey.id);
        self.surveys
            .borrow_mut()
            .insert(survey.id.clone(), (survey.clone(), self.now_ms.get()));
    }
    fn claim_refresh(&self, id: &str) -> bool {
        let now = self.now_ms.get();
        let stale = self
            .surveys
            .borrow()
            .get(id)
            .is_some_and(|(_, cached_at)| now - cached_at >= kv::REFRESH_MS);
        let mut refreshed = self.refreshed.borrow_mut();
        let claimed = stale && !refreshed.contains(id, now);
        if claimed {
            refreshed.remember(id, now);
        }
        claimed
    }
    fn known_absent(&self, id: &str) -> bool {
        self.absent.borrow().contains(id, self.now_ms.get())
    }
    fn absent(&self, id: &str) {
        self.absent.borrow_mut().remember(id, self.now_ms.get());
    }
}

/// The Rate Limiting binding within one window: counts per key, allows `limit` a key;
/// `down` makes every call fail (the binding unreachable).
pub struct TestLimiter {
    limit: u32,
    counts: RefCell<HashMap<String, u32>>,
    pub down: Cell<bool>,
}

impl TestLimiter {
    pub fn new(limit: u32) -> Self {
        TestLimiter {
            limit,
            counts: RefCell::default(),
            down: Cell::new(false),
        }
    }

    /// The keys counted so far, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.counts.borrow().keys().cloned().collect();
        keys.sort();
        keys
    }
}

impl FloodLimiter for TestLimiter {
    async fn allow(&self, key: &str) -> StoreResult<bool> {
        if self.down.get() {
            return Err(StoreError("the rate limiter is down".into()));
        }
        let mut counts = self.counts.borrow_mut();
        let count = counts.entry(key.to_string()).or_default();
        if *count >= self.limit {
            return Ok(false);
        }
        *count += 1;
        Ok(true)
    }
}

/// A [`DeliveryQueue`] that keeps what it was sent.
#[derive(Default)]
pub struct TestQueue {
    /// Each task with the delay it was sent with.
    pub queued: RefCell<Vec<(DeliveryTask, u32)>>,
    pub dead: RefCell<Vec<DeliveryTask>>,
    /// When set, every send fails (to test that answers survive it).
    pub down: Cell<bool>,
    /// Long-job messages, each with its delay.
    pub jobs: RefCell<Vec<(ExportTask, u32)>>,
    /// The object store (R2 in the worker): key to body.
    pub objects: RefCell<std::collections::BTreeMap<String, Vec<u8>>>,
    /// When set, every object write fails.
    pub objects_down: Cell<bool>,
    /// Campaign chunk messages (the `JOBS` queue), each with its delay.
    pub campaign_jobs: RefCell<Vec<(super::campaigns::CampaignTask, u32)>>,
    /// Campaign list scrub messages (the `JOBS` queue), each with its delay.
    pub scrub_jobs: RefCell<Vec<(super::campaigns::ScrubTask, u32)>>,
    /// The next this many `replace_object` calls find the object written by someone
    /// else since it was read.
    pub replace_conflicts: Cell<u32>,
    /// Object reads and writes so far (R2 operations).
    pub object_ops: Cell<u32>,
}

/// A test object's version: a hash of its bytes (R2's etag is an MD5 of them).
fn version_of(body: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

impl JobQueue for TestStore {
    async fn enqueue_job(&self, task: &ExportTask, delay_seconds: u32) -> StoreResult<()> {
        let queue = self.queue();
        if queue.down.get() {
            return Err(StoreError("queue is down".into()));
        }
        queue.jobs.borrow_mut().push((task.clone(), delay_seconds));
        Ok(())
    }
}

impl ObjectStore for TestStore {
    async fn put_object(&self, key: &str, body: Vec<u8>, _content_type: &str) -> StoreResult<()> {
        let queue = self.queue();
        if queue.objects_down.get() {
            return Err(StoreError("R2 is down".into()));
        }
        queue.object_ops.set(queue.object_ops.get() + 1);
        queue.objects.borrow_mut().insert(key.to_owned(), body);
        Ok(())
    }

    async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let queue = self.queue();
        queue.object_ops.set(queue.object_ops.get() + 1);
        Ok(queue.objects.borrow().get(key).cloned())
    }

    async fn get_object_version(&self, key: &str) -> StoreResult<Option<(Vec<u8>, String)>> {
        let queue = self.queue();
        queue.object_ops.set(queue.object_ops.get() + 1);
        Ok(queue
            .objects
            .borrow()
            .get(key)
            .map(|b| (b.clone(), version_of(b))))
    }

    async fn replace_object(
        &self,
        key: &str,
        body: Vec<u8>,
        _content_type: &str,
        version: &str,
    ) -> StoreResult<bool> {
        let queue = self.queue();
        if queue.objects_down.get() {
            return Err(StoreError("R2 is down".into()));
        }
        queue.object_ops.set(queue.object_ops.get() + 1);
        if queue.replace_conflicts.get() > 0 {
            queue
                .replace_conflicts
                .set(queue.replace_conflicts.get() - 1);
            return Ok(false);
        }
        let mut objects = queue.objects.borrow_mut();
        if objects.get(key).map(|b| version_of(b)).as_deref() != Some(version) {
            return Ok(false);
        }
        objects.insert(key.to_owned(), body);
        Ok(true)
    }

    async fn delete_objects(&self, keys: &[String]) -> StoreResult<()> {
        let queue = self.queue();
        if queue.objects_down.get() {
            return Err(StoreError("R2 is down".into()));
        }
        let mut objects = queue.objects.borrow_mut();
        for key in keys {
            objects.remove(key);
        }
        Ok(())
    }
}

impl super::campaigns::CampaignQueue for TestStore {
    async fn enqueue_campaign(
        &self,
        task: &super::campaigns::CampaignTask,
        delay_seconds: u32,
    ) -> StoreResult<()> {
        let queue = self.queue();
        if queue.down.get() {
            return Err(StoreError("queue is down".into()));
        }
        queue
            .campaign_jobs
            .borrow_mut()
            .push((task.clone(), delay_seconds));
        Ok(())
    }

    async fn enqueue_wake(&self, _task: &super::campaigns::WakeTask) -> StoreResult<()> {
        if self.queue().down.get() {
            return Err(StoreError("queue is down".into()));
        }
        Ok(())
    }

    async fn enqueue_scrub(
        &self,
        task: &super::campaigns::ScrubTask,
        delay_seconds: u32,
    ) -> StoreResult<()> {
        let queue = self.queue();
        if queue.down.get() {
            return Err(StoreError("queue is down".into()));
        }
        queue
            .scrub_jobs
            .borrow_mut()
            .push((task.clone(), delay_seconds));
        Ok(())
    }
}

impl DeliveryQueue for TestStore {
    async fn enqueue(&self, tasks: &[DeliveryTask], delay_seconds: u32) -> StoreResult<()> {
        let queue = self.queue();
        if queue.down.get() {
            return Err(StoreError("queue is down".into()));
        }
        queue
            .queued
            .borrow_mut()
            .extend(tasks.iter().map(|t| (t.clone(), delay_seconds)));
        Ok(())
    }

    async fn dead_letter(&self, task: &DeliveryTask) -> StoreResult<()> {
        let queue = self.queue();
        if queue.down.get() {
            return Err(StoreError("queue is down".into()));
        }
        queue.dead.borrow_mut().push(task.clone());
        Ok(())
    }
}

/// An [`ArchiveBucket`] in memory: objects by key, gzip-compressed.
#[derive(Default)]
pub struct TestBucket {
    objects: RefCell<BTreeMap<String, Vec<u8>>>,
    /// When set, writes report success and store nothing (a bucket that lost them).
    pub lose_writes: Cell<bool>,
}

impl TestBucket {
    /// Every key, in order.
    pub fn keys(&self) -> Vec<String> {
        self.objects.borrow().keys().cloned().collect()
    }

    /// The object's bytes now.
    pub fn get_now(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.borrow().get(key).cloned()
    }

    fn stored(bytes: &[u8]) -> Stored {
        // A content hash as the etag, as R2's is (an MD5 there).
        let etag = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
        Stored {
            bytes: bytes.len() as u64,
            etag: format!("{etag:016x}"),
        }
    }
}

impl ArchiveBucket for TestBucket {
    async fn put_gzip(&self, key: &str, ndjson: &str) -> StoreResult<Stored> {
        use std::io::Write;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(ndjson.as_bytes())
            .and_then(|()| gzip.try_finish())
            .map_err(|e| StoreError(format!("gzip: {e}")))?;
        let bytes = gzip
            .finish()
            .map_err(|e| StoreError(format!("gzip: {e}")))?;
        let stored = Self::stored(&bytes);
        if !self.lose_writes.get() {
            self.objects.borrow_mut().insert(key.to_owned(), bytes);
        }
        Ok(stored)
    }

    async fn head(&self, key: &str) -> StoreResult<Option<Stored>> {
        Ok(self.objects.borrow().get(key).map(|b| Self::stored(b)))
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.get_now(key))
    }

    async fn read_ndjson(&self, key: &str) -> StoreResult<Option<String>> {
        use std::io::Read;
        let Some(bytes) = self.get_now(key) else {
            return Ok(None);
        };
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .map_err(|e| StoreError(format!("gunzip {key}: {e}")))?;
        Ok(Some(text))
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.objects.borrow_mut().remove(key);
        Ok(())
    }
}

impl Default for TestStore {
    fn default() -> Self {
        SqlStore::new(TestBackend {
            db: Metered::new(Sqlite::migrated(), PAID_PLAN_QUERIES),
            queue: TestQueue::default(),
        })
    }
}

impl TestStore {
    /// From now on an invocation may run at most `budget` queries (the free plan's 50,
    /// or less), to hold a path to a tighter limit than the paid plan's; counting
    /// starts again.
    pub fn set_budget(&self, budget: u32) {
        self.db().db.set_budget(budget);
    }

    pub fn queue(&self) -> &TestQueue {
        &self.db().queue
    }

    /// D1 queries (statements) run since the store was made or [`Self::reset_queries`].
    pub fn queries(&self) -> u32 {
        self.db().db.queries()
    }

    /// Starts counting queries again: call it after a test's set-up.
    pub fn reset_queries(&self) {
        self.db().db.reset()
    }

    pub fn add_survey(&self, survey: SurveyView) {
        let inserted = pollster::block_on(self.insert_survey(&survey)).expect("insert");
        assert!(inserted, "survey {} was there already", survey.id);
    }

    /// Runs `statement` (uncounted) just before the next batch: a writer elsewhere
    /// getting in between a service's reads and its write.
    pub fn before_next_batch(&self, statement: Statement) {
        self.db().db.inner().before_next_batch(statement);
    }

    /// From now on every statement naming `table` fails (`None`: none does).
    pub fn fail_on(&self, table: Option<&str>) {
        self.db().db.inner().fail_on(table);
    }

    fn ids(&self, table: &str) -> Vec<String> {
        #[derive(serde::Deserialize)]
        struct Id {
            id: String,
        }
        self.db()
            .db
            .inner()
            .select::<Id>(&format!("SELECT id FROM {table} ORDER BY rowid"))
            .into_iter()
            .map(|row| row.id)
            .collect()
    }

    /// Every stored answer, in the order stored.
    pub fn responses(&self) -> Vec<StoredResponse> {
        use super::ResponseStore;
        self.ids("responses")
            .iter()
            .map(|id| {
                pollster::block_on(self.get_response(id))
                    .expect("read")
                    .expect("listed")
            })
            .collect()
    }

    /// Every case, in the order stored.
    pub fn cases(&self) -> Vec<StoredCase> {
        use super::CaseStore;
        self.ids("cases")
            .iter()
            .map(|id| {
                pollster::block_on(self.get_case(id))
                    .expect("read")
                    .expect("listed")
            })
            .collect()
    }

    /// Every delivery, in the order stored.
    pub fn deliveries(&self) -> Vec<Delivery> {
        use super::DeliveryStore;
        self.ids("deliveries")
            .iter()
            .map(|id| {
                pollster::block_on(self.get_delivery(id))
                    .expect("read")
                    .expect("listed")
            })
            .collect()
    }

    /// Every logged attempt, with its delivery's id, in order.
    pub fn attempts(&self) -> Vec<(String, AttemptView)> {
        use super::DeliveryStore;
        let mut attempts = Vec::new();
        for d in self.deliveries() {
            let page =
                pollster::block_on(self.list_deliveries(&d.endpoint_id, None, 200)).expect("read");
            for view in page.into_iter().filter(|v| v.id == d.id) {
                attempts.extend(view.attempts.into_iter().map(|a| (d.id.clone(), a)));
            }
        }
        attempts
    }

    /// How many rows `table` holds (read beside the meter).
    /// Runs `sql` on the database directly: a test's set-up (an older schema's state).
    pub fn exec(&self, sql: &str) {
        pollster::block_on(self.db().db.inner().run(Statement::new(sql, Vec::new())))
            .expect("test statement runs");
    }

    /// Every row of `sql`, read from the database directly.
    pub fn select<T: DeserializeOwned>(&self, sql: &str) -> Vec<T> {
        self.db().db.inner().select(sql)
    }

    pub fn count(&self, table: &str) -> usize {
        #[derive(serde::Deserialize)]
        struct Count {
            n: i64,
        }
        self.db()
            .db
            .inner()
            .select::<Count>(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .first()
            .map_or(0, |c| c.n as usize)
    }

    /// The status of every export job, in the order started.
    pub fn export_statuses(&self) -> Vec<String> {
        #[derive(serde::Deserialize)]
        struct Row {
            status: String,
        }
        self.db()
            .db
            .inner()
            .select::<Row>("SELECT status FROM export_jobs ORDER BY rowid")
            .into_iter()
            .map(|r| r.status)
            .collect()
    }

    /// How many rate-limit counters (key and window) exist.
    pub fn rate_limit_rows(&self) -> usize {
        #[derive(serde::Deserialize)]
        struct Count {
            n: i64,
        }
        self.db()
            .db
            .inner()
            .select::<Count>("SELECT COUNT(*) AS n FROM rate_limits")
            .first()
            .map_or(0, |c| c.n as usize)
    }

    /// The survey's rollup tables as counters (`nps_shared::rollup`), to compare with
    /// a fresh count of its answers.
    pub fn rollups(&self, survey_id: &str) -> nps_shared::rollup::Counters {
        use nps_shared::rollup::{Cell, Change, Counters};
        #[derive(serde::Deserialize)]
        struct Row {
            quarter: Option<i64>,
            key: Option<String>,
            value: Option<String>,
            day: Option<i64>,
            flagged: u8,
            s: [i64; 11],
        }
        let sums = (0..=10)
            .map(|i| format!("s{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.assert_days_and_hours_follow_quarters(survey_id);
        let rows: Vec<serde_json::Value> = self.db().db.inner().select(&format!(
            "SELECT quarter, NULL AS key, NULL AS value, NULL AS day, flagged, json_array({sums}) AS s \
             FROM rollup_time WHERE survey_id = '{survey_id}' UNION ALL \
             SELECT NULL, key, value, day, flagged, json_array({sums}) FROM rollup_property \
             WHERE survey_id = '{survey_id}'"
        ));
        let mut counters = Counters::default();
        for mut row in rows {
            // json_array comes back as text.
            let s = row["s"].as_str().expect("json_array text").to_owned();
            row["s"] = serde_json::from_str(&s).expect("json array");
            let row: Row = serde_json::from_value(row).expect("a rollup row");
            let cell = match (row.quarter, row.key, row.value, row.day) {
                (Some(quarter), ..) => Cell::Time { quarter },
                (None, Some(key), Some(value), Some(day)) => Cell::Property { key, value, day },
                _ => panic!("a rollup row that is neither time nor property"),
            };
            for (score, count) in row.s.iter().enumerate() {
                counters.apply(&Change {
                    cell: cell.clone(),
                    flagged: row.flagged == 1,
                    score: nps_shared::Score::try_from(score as u8).expect("0..=10"),
                    delta: *count,
                });
            }
        }
        counters
    }

    /// Panics unless `rollup_day` and `rollup_hour` (kept by trigger, migration 0019)
    /// hold exactly `rollup_time`'s counts summed per UTC day and hour. Every test that
    /// compares [`Self::rollups`] with a recount checks this too, whatever wrote them.
    pub fn assert_days_and_hours_follow_quarters(&self, survey_id: &str) {
        days_and_hours_follow_quarters(self.db().db.inner(), survey_id);
    }
}

/// See [`TestStore::assert_days_and_hours_follow_quarters`]; on any migrated database.
pub fn days_and_hours_follow_quarters(db: &Sqlite, survey_id: &str) {
    let counts = (0..=10)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sums = (0..=10)
        .map(|i| format!("SUM(s{i})"))
        .collect::<Vec<_>>()
        .join(", ");
    let nonzero = (0..=10)
        .map(|i| format!("s{i} <> 0"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let day = "(quarter - (((quarter % 96) + 96) % 96)) / 96";
    let hour = "(((quarter % 96) + 96) % 96) / 4";
    let rows = |sql: String| -> Vec<serde_json::Value> { db.select(&sql) };
    for (table, keys, derived_keys) in [
        (
            "rollup_day",
            "day, flagged",
            format!("{day} AS day, flagged"),
        ),
        (
            "rollup_hour",
            "hour_of_day, day, flagged",
            format!("{hour} AS hour_of_day, {day} AS day, flagged"),
        ),
    ] {
        let stored = rows(format!(
            "SELECT {keys}, json_array({counts}) AS s FROM {table} \
                 WHERE survey_id = '{survey_id}' AND ({nonzero}) ORDER BY {keys}"
        ));
        let derived = rows(format!(
            "SELECT {keys}, json_array({counts}) AS s FROM ( \
                 SELECT {derived_keys}, {sums} FROM rollup_time WHERE survey_id = '{survey_id}' \
                 GROUP BY {keys}) WHERE ({nonzero}) ORDER BY {keys}",
            sums = sums
                .split(", ")
                .enumerate()
                .map(|(i, s)| format!("{s} AS s{i}"))
                .collect::<Vec<_>>()
                .join(", "),
        ));
        assert_eq!(stored, derived, "{table} is out of step with rollup_time");
    }
}
