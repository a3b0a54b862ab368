//! `courant status`: what the ledger knows about an edition.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use super::args::{LedgerArgs, dir_of};

/// `writeln!` into the output, which is printed in one piece at the end.
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}
use super::{Error, ExitStatus};
use crate::bounces::reason::SENDER_SIDE;
use crate::diagnostic::display_path;
use crate::ledger::{Ledger, ReturnCounts, Row, RunRecord, State};

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
    let location = args.ledger.location(dir_of(&args.edition))?;
    if let Some(path) = location.file().filter(|p| !p.exists()) {
        return Err(Error::Refused(format!(
            "no ledger at `{}`: nothing was sent yet",
            display_path(path)
        )));
    }
    let ledger = Ledger::open(location)?;
    let (rows, runs) = (ledger.rows(&slug)?, ledger.runs(&slug)?);
    let mut rows: Vec<Row> = rows.into_values().collect();
    rows.sort_by(|a, b| a.email.cmp(&b.email));
    let counts: BTreeMap<State, usize> = State::ALL
        .iter()
        .map(|&s| (s, rows.iter().filter(|r| r.state == s).count()))
        .collect();
    let returns = Returns::of(&ledger, &slug, counts[&State::Sent])?;
    let mut out = String::new();
    if args.json {
        print_json(&mut out, &slug, &counts, &rows, &runs, &returns);
    } else {
        print_text(&mut out, &slug, &counts, &rows, &runs);
        returns.print(&mut out);
    }
    super::emit(&out)?;
    Ok(ExitStatus::Success)
}

/// What came back about the edition, and whether the sender should look at itself.
struct Returns {
    counts: ReturnCounts,
    untied: u64,
    /// A plain sentence when more than 2 % of the recipients were refused for reasons that
    /// point at the sender.
    sender_warning: Option<String>,
}

impl Returns {
    fn of(ledger: &Ledger, slug: &str, sent: usize) -> Result<Returns, Error> {
        let counts = ledger.return_counts(slug, &SENDER_SIDE)?;
        let sender_warning = (sent > 0 && counts.sender_side * 50 > sent as u64).then(|| {
            let cause = ledger
                .top_sender_reason(slug, &SENDER_SIDE)
                .ok()
                .flatten()
                .map_or("", likely_cause);
            format!(
                "warning: {} of {sent} recipients ({:.1} %) were refused for reasons that point at the sender, not at them{cause}",
                counts.sender_side,
                counts.sender_side as f64 * 100.0 / sent as f64
            )
        });
        Ok(Returns {
            counts,
            untied: ledger.untied_count()?,
            sender_warning,
        })
    }

    fn print(&self, out: &mut String) {
        let c = &self.counts;
        outln!(
            out,
            "came back: {} hard, {} soft bounces, {} complaints, {} unsubscribes by mail",
            c.hard,
            c.soft,
            c.complaints,
            c.unsubscribes
        );
        if self.untied > 0 {
            outln!(
                out,
                "ignored: {} reports not tied to a message courant sent (forged, or about other mail)",
                self.untied
            );
        }
        if let Some(warning) = &self.sender_warning {
            outln!(out, "{warning}");
        }
    }
}

/// What a sender-side refusal most likely means, to end the warning with.
fn likely_cause(reason: &str) -> &'static str {
    match reason {
        "blocked" => "; most likely the sending server's IP address is on a block list",
        "badreputation" => "; most likely the sending IP address or domain has a poor reputation",
        "authfailure" => {
            "; most likely the messages fail SPF, DKIM or DMARC: check the DNS records and `[dkim]`"
        }
        "requireptr" => {
            "; most likely the sending server's IP address has no reverse DNS (PTR) record"
        }
        "policyviolation" => "; most likely a provider's policy refuses the messages",
        "securityerror" => {
            "; most likely the receiving servers require TLS or authentication that the relay does not give"
        }
        "norelaying" => "; most likely the relay refuses to pass the messages on: check `--smtp`",
        _ => "",
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
            super::plural(row.attempts as usize, "attempt", "attempts")
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
            .unwrap_or("no summary (the process was killed)");
        outln!(out, "run {} {end}: {summary}", time(run.started));
    }
}

fn print_json(
    out: &mut String,
    slug: &str,
    counts: &BTreeMap<State, usize>,
    rows: &[Row],
    runs: &[RunRecord],
    returns: &Returns,
) {
    let value = serde_json::json!({
        "edition": slug,
        "returns": returns.counts,
        "untied_reports": returns.untied,
        "sender_warning": returns.sender_warning,
        "counts": counts.iter().map(|(s, n)| (s.as_str().to_owned(), *n)).collect::<BTreeMap<_, _>>(),
        "recipients": rows,
        "runs": runs.iter().map(|r| serde_json::json!({
            "started": time(r.started), "finished": r.finished.map(time), "summary": r.summary,
        })).collect::<Vec<_>>(),
    });
    outln!(out, "{value:#}");
}

pub(crate) fn time(secs: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}
