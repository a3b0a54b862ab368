//! `courant status`: what the ledger knows about an edition.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use super::args::{LedgerArgs, dir_of};
use super::{Error, ExitStatus};
use crate::diagnostic::display_path;
use crate::ledger::{Ledger, Row, RunRecord, State};

/// Show what the ledger knows about an edition: counts per state, failures, unknowns, runs.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The edition file, e.g. `issues/2022-12.toml`.
    edition: PathBuf,
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> Result<ExitStatus, Error> {
    let slug = args
        .edition
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = args.ledger.path(dir_of(&args.edition));
    if !path.exists() {
        return Err(Error::Refused(format!(
            "no ledger at `{}`: nothing was sent yet",
            display_path(&path)
        )));
    }
    let ledger = Ledger::open(&path)?;
    let (rows, runs) = (ledger.rows(&slug)?, ledger.runs(&slug)?);
    let mut rows: Vec<Row> = rows.into_values().collect();
    rows.sort_by(|a, b| a.email.cmp(&b.email));
    let counts: BTreeMap<State, usize> = State::ALL
        .iter()
        .map(|&s| (s, rows.iter().filter(|r| r.state == s).count()))
        .collect();
    if args.json {
        print_json(&slug, &counts, &rows, &runs);
    } else {
        print_text(&slug, &counts, &rows, &runs);
    }
    Ok(ExitStatus::Success)
}

fn print_text(slug: &str, counts: &BTreeMap<State, usize>, rows: &[Row], runs: &[RunRecord]) {
    println!("edition {slug}");
    let line: Vec<String> = counts
        .iter()
        .map(|(s, n)| format!("{} {n}", s.as_str()))
        .collect();
    println!("{}", line.join(", "));
    for row in rows.iter().filter(|r| {
        matches!(
            r.state,
            State::Failed | State::Deferred | State::Unknown | State::Sending
        )
    }) {
        let reply = row.reply.as_deref().unwrap_or("");
        let attempts = format!(
            "{} {}",
            row.attempts,
            super::plural(row.attempts as usize, "attempt", "attempts")
        );
        println!(
            "{}: {} ({attempts}): {reply}",
            row.state.as_str(),
            row.email
        );
    }
    for run in runs {
        let end = run
            .finished
            .map_or("did not finish".to_owned(), |f| format!("to {}", time(f)));
        let summary = run
            .summary
            .as_deref()
            .unwrap_or("no summary (the process was killed)");
        println!("run {} {end}: {summary}", time(run.started));
    }
}

fn print_json(slug: &str, counts: &BTreeMap<State, usize>, rows: &[Row], runs: &[RunRecord]) {
    let value = serde_json::json!({
        "edition": slug,
        "counts": counts.iter().map(|(s, n)| (s.as_str().to_owned(), *n)).collect::<BTreeMap<_, _>>(),
        "recipients": rows,
        "runs": runs.iter().map(|r| serde_json::json!({
            "started": time(r.started), "finished": r.finished.map(time), "summary": r.summary,
        })).collect::<Vec<_>>(),
    });
    println!("{value:#}");
}

fn time(secs: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}
