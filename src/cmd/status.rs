//! `courant status`: what the ledger knows about an edition.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::args::LedgerArgs;
use crate::campaign::status::{Returns, Status};
use crate::error::{Error, ExitStatus};
use crate::ledger::{Row, RunRecord, State, time};
use crate::term::{Term, plural};

/// `writeln!` into the output, which is printed in one piece at the end.
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

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
    /// The subscriber list: also say how many of it are still to send.
    #[arg(long, short)]
    subscribers: Option<PathBuf>,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let slug = args
        .edition
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let location = args
        .ledger
        .location_in(crate::edition::dir_of(&args.edition))?;
    let list = match &args.subscribers {
        Some(path) => {
            let list = crate::subscribers::SubscriberList::load(path)?;
            term.warn_all(&list.warnings);
            Some(list)
        }
        // The list kept in the ledger, when there is one.
        None => {
            let dir = crate::edition::dir_of(&args.edition);
            let settings = dir.join(crate::edition::NEWSLETTER_FILE);
            match crate::edition::list_id_setting(&settings) {
                Some(list_id) => {
                    let ledger = crate::ledger::Ledger::open(location.clone())?;
                    crate::list::stored(&ledger, &list_id).ok()
                }
                None => None,
            }
        }
    };
    let status = Status::read(location, &slug, list.as_ref())?;
    let mut out = String::new();
    if args.json {
        print_json(&mut out, &status);
    } else {
        print_text(
            &mut out,
            &status.slug,
            &status.counts,
            &status.rows,
            &status.runs,
        );
        print_returns(&mut out, &status.returns);
        if let Some((left, active)) = status.to_send {
            outln!(
                out,
                "still to send: {left} of the {active} active readers on the list{}",
                if left > 0 {
                    " (`courant send` sends them)"
                } else {
                    ""
                }
            );
        }
    }
    term.out(&out)?;
    Ok(ExitStatus::Success)
}

fn print_returns(out: &mut String, returns: &Returns) {
    let c = &returns.counts;
    outln!(
        out,
        "came back: {} hard, {} soft bounces, {} complaints, {} unsubscribes by mail",
        c.hard,
        c.soft,
        c.complaints,
        c.unsubscribes
    );
    if returns.untied > 0 {
        outln!(
            out,
            "ignored: {} reports not tied to a message courant sent (forged, or about other mail)",
            returns.untied
        );
    }
    if let Some(warning) = &returns.sender_warning {
        outln!(out, "{warning}");
    }
}

fn print_text(
    out: &mut String,
    slug: &str,
    counts: &BTreeMap<State, usize>,
    rows: &[Row],
    runs: &[RunRecord],
) {
    outln!(out, "edition {slug}");
    let line: Vec<String> = counts
        .iter()
        .map(|(s, n)| format!("{} {n}", s.as_str()))
        .collect();
    outln!(out, "{}", line.join(", "));
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
            plural(row.attempts as usize, "attempt", "attempts")
        );
        outln!(
            out,
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
            .unwrap_or("no summary (the process was stopped, or could not write to the ledger)");
        outln!(out, "run {} {end}: {summary}", time(run.started));
    }
}

fn print_json(out: &mut String, status: &Status) {
    let returns = &status.returns;
    let value = serde_json::json!({
        "edition": status.slug,
        "returns": returns.counts,
        "untied_reports": returns.untied,
        "sender_warning": returns.sender_warning,
        "counts": status.counts.iter().map(|(s, n)| (s.as_str().to_owned(), *n)).collect::<BTreeMap<_, _>>(),
        "recipients": status.rows,
        "runs": status.runs.iter().map(|r| serde_json::json!({
            "started": time(r.started), "finished": r.finished.map(time), "summary": r.summary,
        })).collect::<Vec<_>>(),
        "to_send": status.to_send.map(|(left, _)| left),
    });
    outln!(out, "{value:#}");
}
