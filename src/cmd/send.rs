//! `courant send`: plan, confirm, then deliver to every recipient not yet served.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Notify;

use super::args::{LedgerArgs, PacingArgs, SmtpArgs, dir_of};
use super::lock::EditionLock;
use super::progress::Progress;
use super::prompt::{confirm, print_plan, warn_unknown};
use super::{Checked, Error, ExitStatus};
use crate::delivery::{self, Event, Report, Stop};
use crate::edition::Sending;
use crate::ledger::{self, Ledger, State};
use crate::message::Clock;
use crate::plan::{Again, Plan};
use crate::rate_limiter::RateLimiter;
use crate::subscribers::SubscriberList;
use crate::transport::Connector;

/// Send an edition to every active subscriber who has not received it yet.
///
/// Prints the plan and asks for confirmation on a terminal. Every recipient's state is kept
/// in the ledger, so a run that is stopped or crashes can be run again: it continues
/// where it was. Exits 0 when all were sent, 1 when any failed, was deferred or is unknown,
/// 2 on bad input or configuration, 3 when the ledger could not be written after sending
/// started.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The edition file, e.g. `issues/2022-12.toml`.
    edition: PathBuf,
    /// The subscriber list: TOML (`[[subscriber]]`) or CSV with a header row.
    #[arg(long, short)]
    subscribers: PathBuf,
    #[command(flatten)]
    smtp: SmtpArgs,
    #[command(flatten)]
    ledger: LedgerArgs,
    #[command(flatten)]
    pacing: PacingArgs,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    yes: bool,
    /// Try recipients whose delivery failed permanently in an earlier run again.
    #[arg(long)]
    retry_failed: bool,
    /// Send again to recipients whose outcome is unknown (a run stopped during their
    /// message): they may receive it twice.
    #[arg(long)]
    resend_unknown: bool,
    /// Send beside other `send --join` runs of this edition on the same ledger (a shared
    /// PostgreSQL ledger: other machines, other SMTP servers): the remaining recipients are
    /// split between the runs, each recipient sent once.
    #[arg(long)]
    join: bool,
}

pub(crate) fn run(args: &Args) -> Result<ExitStatus, Error> {
    let checked = load(&args.edition)?;
    let list = SubscriberList::load(&args.subscribers)?;
    let mut sending = checked.edition.newsletter.sending.clone();
    args.pacing.apply(&mut sending);
    args.smtp.apply(&mut sending);
    let connector = args.smtp.connector(&sending)?;
    let (dkim, tokens) = checked.keys()?;
    let return_path = checked.return_path(tokens.as_ref())?;
    let location = args.ledger.location(dir_of(&args.edition))?;
    let slug = checked.edition.slug.clone();
    let mut lock = EditionLock::take(&location, &slug, args.join)?;
    let ledger = Ledger::open(location)?;
    if lock.alone() {
        warn_unknown(ledger.mark_unknown(&slug)?);
    }
    if args.join {
        lock.share()?;
    }
    let again = Again {
        failed: args.retry_failed,
        unknown: args.resend_unknown,
    };
    let mut plan = Plan::new(
        &list.subscribers,
        &ledger.states(&slug)?,
        &ledger.suppressed()?,
        again,
    );
    if args.join {
        // Senders that start together would otherwise contend for the same first rows.
        fastrand::shuffle(&mut plan.to_send);
    }
    let daily_remaining = daily_remaining(&ledger, &sending)?;
    if super::verbosity() != super::Verbosity::Quiet {
        print_plan(&checked, &plan, &sending, connector.url(), daily_remaining);
    }
    let recipients = Arc::new(list.subscribers);
    if plan.to_send.is_empty() {
        println!("nothing to send");
    } else {
        confirm(args.yes, plan.to_send.len(), connector.url())?;
        let run_id = ledger.start_run(&slug)?;
        let run = delivery::Run {
            edition: Arc::new(checked.edition),
            rendered: Arc::new(checked.rendered),
            clock: Clock::from_env(),
            recipients: Arc::clone(&recipients),
            transport: connector,
            dkim: dkim.map(Arc::new),
            tokens,
            return_path,
            limiter: Arc::new(RateLimiter::new(sending.rate, sending.burst)),
            writer: ledger.writer()?,
            run_id,
            again,
            others: if args.join {
                Some(Arc::new(ledger.others(&slug, run_id)?))
            } else {
                None
            },
            sending,
            daily_remaining,
            on_event: Arc::new(|_| {}),
        };
        let report = deliver(run, plan.to_send.clone())?;
        if let Some(status) = conclude(&report, &ledger, run_id)? {
            return Ok(status);
        }
    }
    let states = ledger.states(&slug)?;
    // Who withdrew during the run, before a message was tried, is no longer expected to
    // have it; a refusal that suppressed the address is still a failure of this send.
    let suppressed = ledger.suppressed()?;
    plan.expected.retain(|&i| {
        let key = ledger::key(recipients[i].email.as_str());
        !suppressed.contains(&key)
            || matches!(states.get(&key), Some(State::Failed | State::Unknown))
    });
    if args.join {
        let elsewhere = plan.in_flight(&recipients, &states);
        if elsewhere > 0 {
            println!(
                "{elsewhere} recipients are being sent by another sender (a run stopped \
                 meanwhile leaves them `sending` until the next `courant send`)"
            );
        }
        return Ok(ExitStatus::failed_if(
            !plan.all_sent_or_in_flight(&recipients, &states),
        ));
    }
    Ok(ExitStatus::failed_if(!plan.all_sent(&recipients, &states)))
}

/// The edition, refused when `check` finds an error.
fn load(edition: &Path) -> Result<Checked, Error> {
    let checked = Checked::load(edition)?;
    checked.report();
    if checked.has_errors() {
        return Err(Error::Refused(
            "refusing to send an edition with errors; fix what `courant check` reports".into(),
        ));
    }
    Ok(checked)
}

/// How many more messages `daily-limit` allows in the 24 hours up to now, if there is one.
fn daily_remaining(ledger: &Ledger, sending: &Sending) -> Result<Option<u64>, Error> {
    let Some(limit) = sending.daily_limit else {
        return Ok(None);
    };
    Ok(Some(limit.saturating_sub(
        ledger.sent_since(ledger::now() - 86_400)?,
    )))
}

/// Runs the send loop with the progress display, stopping cleanly on SIGINT or SIGTERM.
fn deliver(mut run: delivery::Run<Connector>, jobs: Vec<usize>) -> Result<Report, Error> {
    // One thread for all connections: the work per message is small, and on a two-core
    // machine a second runtime thread only competed with the ledger's thread and the server
    // (measured in BENCHMARKS.md).
    let runtime = super::runtime()?;
    let progress = Arc::new(Progress::new(jobs.len() as u64));
    let shown = Arc::clone(&progress);
    run.on_event = Arc::new(move |event: Event| shown.event(&event));
    Ok(runtime.block_on(async move {
        let stop = Arc::new(Notify::new());
        tokio::spawn(on_signal(Arc::clone(&stop)));
        let ticker = tokio::spawn(Arc::clone(&progress).tick());
        let report = delivery::send(run, jobs, stop).await;
        ticker.abort();
        progress.finish();
        report
    }))
}

/// SIGINT or SIGTERM (Ctrl-C, Ctrl-Break or the console window closed on Windows): start no
/// new messages, finish and record those in flight.
async fn on_signal(stop: Arc<Notify>) {
    if stop_asked().await.is_err() {
        return;
    }
    eprintln!("stopping: finishing the messages in flight");
    stop.notify_one();
}

#[cfg(unix)]
async fn stop_asked() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(windows)]
async fn stop_asked() -> std::io::Result<()> {
    use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close};
    let mut c = ctrl_c()?;
    let mut brk = ctrl_break()?;
    // Windows ends the process a few seconds after the window closes: enough for the
    // messages in flight to be recorded.
    let mut close = ctrl_close()?;
    tokio::select! {
        _ = c.recv() => {}
        _ = brk.recv() => {}
        _ = close.recv() => {}
    }
    Ok(())
}

/// Records and prints the run's summary; says why it stopped early, and returns the exit
/// status that overrides "were all sent?", if any.
fn conclude(report: &Report, ledger: &Ledger, run_id: i64) -> Result<Option<ExitStatus>, Error> {
    let mut summary = format!(
        "sent {}, failed {}, deferred {}, unknown {}",
        report.sent, report.failed, report.deferred, report.unknown
    );
    if report.skipped > 0 {
        summary += &format!(
            ", left out {} (taken by another sender, or unsubscribed during the run)",
            report.skipped
        );
    }
    if let Some(Stop::Ledger(why)) = &report.stop {
        println!("{summary}");
        return Err(Error::LedgerLost(why.clone()));
    }
    ledger
        .finish_run(run_id, &summary)
        .map_err(|e| Error::LedgerLost(e.to_string()))?;
    println!("{summary}");
    let Some(stop) = &report.stop else {
        return Ok(None);
    };
    eprintln!("stopped: {stop}; run `courant send` again to continue");
    Ok(matches!(stop, Stop::Fatal(_)).then_some(ExitStatus::BadInput))
}
