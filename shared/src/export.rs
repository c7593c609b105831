//! Export jobs: an export of any size written in chunks, each chunk within what one
//! Worker invocation may do, and the job as the API shows it.
//!
//! D1 allows one invocation a fixed number of queries (1,000 on Cloudflare's paid
//! plan, 50 on the free one). A chunk is one queue message: it reads the job, reads
//! its answers page by page, writes them as one object and saves the job's progress.
//! [`Chunking`] says how many pages and rows a chunk may take under a budget, so a
//! chunk stays inside it whatever the budget is, and how a chunk's object is named.
//! Pure arithmetic and wire types: no I/O here.

use serde::{Deserialize, Serialize};

/// Answers read per D1 query (one page), as the streamed `export.csv` reads them.
pub const PAGE_ROWS: u32 = 500;

/// Pages one chunk reads at most, whatever the budget: a chunk of 10,000 answers is
/// a few MB of CSV, well inside a Worker's memory.
pub const MAX_PAGES_PER_CHUNK: u32 = 20;

/// Queries a chunk runs besides its pages: reading the job, saving its progress, and
/// one to spare for the retry of a failed save.
pub const CHUNK_OVERHEAD_QUERIES: u32 = 3;

/// Where the export's chunks live in the bucket (`ARCHIVE`, beside the archive).
pub const OBJECT_PREFIX: &str = "exports/";

/// How big a chunk is, from the invocation's query budget and an optional cap on its
/// rows (`EXPORT_ROWS_PER_CHUNK`, which tests set small).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunking {
    /// Answers per query.
    pub page_rows: u32,
    /// Queries of answers per chunk.
    pub pages: u32,
}

impl Chunking {
    /// The largest chunk whose queries stay within `budget` (pages plus
    /// [`CHUNK_OVERHEAD_QUERIES`]), at most [`MAX_PAGES_PER_CHUNK`] pages of
    /// [`PAGE_ROWS`], and about `rows_cap` rows when that is fewer (whole pages: at
    /// most a row a page more). `None` when the budget leaves no page at all.
    pub fn new(budget: u32, rows_cap: Option<u32>) -> Option<Chunking> {
        let pages = budget
            .checked_sub(CHUNK_OVERHEAD_QUERIES)
            .filter(|p| *p > 0)?
            .min(MAX_PAGES_PER_CHUNK);
        let full = Chunking {
            page_rows: PAGE_ROWS,
            pages,
        };
        Some(match rows_cap.filter(|cap| *cap > 0) {
            Some(cap) if cap < full.rows() => {
                // As few pages as the cap needs, shared evenly: `cap` rows, or a few
                // more when it does not divide.
                let pages = cap.div_ceil(PAGE_ROWS);
                Chunking {
                    page_rows: cap.div_ceil(pages),
                    pages,
                }
            }
            _ => full,
        })
    }

    /// Answers one chunk holds at most.
    pub fn rows(&self) -> u32 {
        self.page_rows * self.pages
    }

    /// Queries one chunk runs at most.
    pub fn queries(&self) -> u32 {
        self.pages + CHUNK_OVERHEAD_QUERIES
    }

    /// Chunks (queue messages, objects) an export of `answers` answers takes: at
    /// least one, which carries the header.
    pub fn chunks_for(&self, answers: u64) -> u64 {
        answers.div_ceil(u64::from(self.rows())).max(1)
    }
}

/// The object of chunk `n` of export `id`: numbered so that the names sort in order.
pub fn chunk_key(export_id: &str, n: u32) -> String {
    format!("{OBJECT_PREFIX}{export_id}/chunk-{n:05}.csv")
}

/// Where an export job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Queued => "queued",
            ExportStatus::Running => "running",
            ExportStatus::Done => "done",
            ExportStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ExportStatus> {
        [
            ExportStatus::Queued,
            ExportStatus::Running,
            ExportStatus::Done,
            ExportStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }

    /// Whether the job will change no more.
    pub fn is_finished(self) -> bool {
        matches!(self, ExportStatus::Done | ExportStatus::Failed)
    }
}

/// The body of `POST /v1/surveys/{id}/exports`: the filters `export.csv` takes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateExport {
    /// `detractor`, `passive` or `promoter`; every answer when absent.
    #[serde(default)]
    pub category: Option<String>,
    /// `csv`, the only format (and the default).
    #[serde(default)]
    pub format: Option<String>,
}

/// An export job as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportView {
    pub id: String,
    pub survey_id: String,
    pub status: ExportStatus,
    pub format: String,
    pub category: Option<String>,
    pub rows_written: u64,
    /// The answers the export holds when done: those stored when it was started.
    pub rows_total: u64,
    /// Chunks written so far.
    pub parts: u32,
    pub bytes: u64,
    /// `/v1/exports/{id}/download`, once done.
    pub download_url: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
}

impl ExportView {
    /// Percent written, 0–100, for a progress bar.
    pub fn percent(&self) -> u8 {
        if self.status == ExportStatus::Done {
            return 100;
        }
        let total = self.rows_total.max(1);
        (self.rows_written.min(total) * 100 / total) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paid_plan_reads_twenty_pages_of_five_hundred_per_chunk() {
        let c = Chunking::new(1_000, None).unwrap();
        assert_eq!((c.page_rows, c.pages, c.rows()), (500, 20, 10_000));
        assert_eq!(c.chunks_for(1_000_000), 100, "1 M answers are 100 messages");
    }

    #[test]
    fn the_free_plan_s_fifty_queries_still_hold_a_chunk_with_room_to_spare() {
        let c = Chunking::new(50, None).unwrap();
        assert!(c.queries() <= 50);
        assert_eq!(c.rows(), 10_000);
    }

    #[test]
    fn a_small_budget_shrinks_the_chunk_to_fit() {
        let c = Chunking::new(8, None).unwrap();
        assert_eq!(c.pages, 5);
        assert_eq!(c.queries(), 8);
        assert_eq!(Chunking::new(4, None).unwrap().pages, 1);
        assert_eq!(Chunking::new(3, None), None, "no room for a page");
        assert_eq!(Chunking::new(0, None), None);
    }

    #[test]
    fn a_row_cap_makes_chunks_smaller_never_larger() {
        let c = Chunking::new(1_000, Some(250)).unwrap();
        assert_eq!((c.page_rows, c.pages), (250, 1));
        let c = Chunking::new(1_000, Some(1_200)).unwrap();
        assert_eq!((c.page_rows, c.pages), (400, 3));
        let c = Chunking::new(1_000, Some(701)).unwrap();
        assert_eq!((c.page_rows, c.pages, c.rows()), (351, 2, 702));
        let c = Chunking::new(1_000, Some(1_000_000)).unwrap();
        assert_eq!(c.rows(), 10_000, "the cap does not lift the budget's bound");
        let c = Chunking::new(5, Some(5_000)).unwrap();
        assert_eq!(c.queries(), 5, "nor the budget itself");
        assert_eq!(Chunking::new(1_000, Some(0)).unwrap().rows(), 10_000);
    }

    #[test]
    fn an_empty_export_is_one_chunk_holding_the_header() {
        let c = Chunking::new(1_000, None).unwrap();
        assert_eq!(c.chunks_for(0), 1);
        assert_eq!(c.chunks_for(10_000), 1);
        assert_eq!(c.chunks_for(10_001), 2);
    }

    #[test]
    fn chunk_objects_sort_in_chunk_order() {
        assert_eq!(chunk_key("ex_1", 7), "exports/ex_1/chunk-00007.csv");
        assert!(chunk_key("ex_1", 9) < chunk_key("ex_1", 10));
    }

    #[test]
    fn statuses_read_back_as_written() {
        for s in ["queued", "running", "done", "failed"] {
            assert_eq!(ExportStatus::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(ExportStatus::parse("lost"), None);
        assert!(ExportStatus::Done.is_finished() && !ExportStatus::Running.is_finished());
    }
}
