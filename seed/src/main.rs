//! `nps-seed --answers N [--seed S] [--survey s_bench] [--days 365] [--end-ms MS]`:
//! writes SQL for N synthetic answers and their rollups to stdout. Pipe it into the
//! local D1's SQLite file (`sqlite3 .wrangler/state/v3/d1/*/…sqlite`) or pass it to
//! `wrangler d1 execute DB --local --file`. See `e2e/bench/report.sh`.
//!
//! `nps-seed --demo-comments`: prints the comment pools of `worker/seed/demo.sql`
//! (drawn from `shared/src/corpus.txt`), to paste there when the corpus changes;
//! `nps-seed --demo-cases` the causes and solutions its resolved cases are given.

use nps_seed::{Plan, write_sql};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("nps-seed: {message}");
            eprintln!(
                "usage: nps-seed --answers N [--seed S] [--survey ID] [--days D] [--end-ms UNIX_MS]"
            );
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut plan = Plan {
        survey_id: "s_bench".into(),
        answers: 0,
        seed: 1,
        // A fixed default end, so that the same arguments give the same SQL.
        end_ms: 1_764_000_000_000,
        days: 365,
    };
    if std::env::args().nth(1).as_deref() == Some("--demo-comments") {
        println!("{}", nps_seed::demo_comment_pools());
        return Ok(());
    }
    if std::env::args().nth(1).as_deref() == Some("--demo-cases") {
        println!("{}", nps_seed::demo_cases());
        return Ok(());
    }
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.parse::<i64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--answers" => plan.answers = number(&value)?.max(0) as u64,
            "--seed" => plan.seed = number(&value)? as u64,
            "--survey" if nps_shared::validate::is_survey_id(&value) => plan.survey_id = value,
            "--survey" => return Err(format!("not a survey id: {value}")),
            "--days" => plan.days = number(&value)?.max(1),
            "--end-ms" => plan.end_ms = number(&value)?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if plan.answers == 0 {
        return Err("--answers must be at least 1".into());
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    write_sql(&plan, &mut out).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())
}
