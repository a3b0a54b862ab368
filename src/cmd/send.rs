//! `courant send`: plan, confirm, then deliver to every recipient not yet served.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::{Checked, Outcome, bad_input, plural};
use crate::cli::{LedgerArgs, PacingArgs, SmtpArgs};
use crate::delivery::{self, Event, Options, Report, Stop};
use crate::edition::Sending;
use crate::edition::value::Rate;
use crate::ledger::{self, Ledger, State};
use crate::message::Clock;
use crate::rate_limiter::RateLimiter;
use crate::subscribers::{Status, Subscriber, SubscriberList};
use crate::transport::Connector;
use lettre::message::dkim::DkimConfig;

pub struct Args<'a> {
    pub edition: &'a Path,
    pub subscribers: &'a Path,
    pub smtp: &'a SmtpArgs,
    pub ledger: &'a LedgerArgs,
    pub pacing: &'a PacingArgs,
    pub yes: bool,
    pub retry_failed: bool,
    pub resend_unknown: bool,
}

pub fn run(args: Args) -> Outcome {
    match plan_and_send(&args) {
        Ok(outcome) => outcome,
        Err(message) => {
            eprintln!("error: {message}");
            Outcome::BadInput
        }
    }
}

/// The default ledger: `courant.sqlite` beside the edition file.
pub fn ledger_path(edition: &Path, args: &LedgerArgs) -> PathBuf {
    args.ledger.clone().unwrap_or_else(|| {
        edition
            .parent()
            .unwrap_or(Path::new(""))
            .join("courant.sqlite")
    })
}

fn plan_and_send(args: &Args) -> Result<Outcome, String> {
    let checked = match Checked::load(args.edition) {
        Ok(checked) => checked,
        Err(error) => return Ok(bad_input(&error)),
    };
    checked.report();
    if checked.has_errors() {
        return Err(
            "refusing to send an edition with errors; fix what `courant check` reports".into(),
        );
    }
    let list = match SubscriberList::load(args.subscribers) {
        Ok(list) => list,
        Err(error) => return Ok(bad_input(&error)),
    };
    let sending = settings(&checked.edition.newsletter.sending, args);
    let connector = connector(args.smtp, &sending)?;
    let (dkim, tokens) = super::load_keys(&checked.edition)?;
    let dkim = dkim.map(Arc::new);
    let ledger_path = ledger_path(args.edition, args.ledger);
    let slug = checked.edition.slug.clone();
    let _lock = super::lock::EditionLock::acquire(&ledger_path, &slug)?;
    let ledger = Ledger::open(&ledger_path).map_err(|e| e.to_string())?;
    let unknown_now = ledger.mark_unknown(&slug).map_err(|e| e.to_string())?;
    if unknown_now > 0 {
        eprintln!(
            "warning: an earlier run stopped during {unknown_now} {}; their outcome is unknown",
            plural(unknown_now, "message", "messages")
        );
    }
    let rows = ledger.states(&slug).map_err(|e| e.to_string())?;
    let suppressed = ledger.suppressed().map_err(|e| e.to_string())?;
    let plan = Plan::new(&list.subscribers, &rows, &suppressed, args);
    drop(rows);
    let recipients = Arc::new(list.subscribers);
    let daily_remaining = match sending.daily_limit {
        Some(limit) => Some(
            limit.saturating_sub(
                ledger
                    .sent_since(ledger::now() - 86_400)
                    .map_err(|e| e.to_string())?,
            ),
        ),
        None => None,
    };
    plan.print(&checked, &sending, connector.url(), daily_remaining);
    if plan.to_send.is_empty() {
        println!("nothing to send");
        return Ok(plan.exit_status(&ledger, &slug, &recipients));
    }
    confirm(args.yes, plan.to_send.len(), connector.url())?;
    let run_id = ledger.start_run(&slug).map_err(|e| e.to_string())?;
    let setup = Setup {
        connector,
        dkim,
        tokens,
        run_id,
        daily_remaining,
    };
    let report = deliver(
        checked,
        Arc::clone(&recipients),
        &plan,
        &sending,
        setup,
        &ledger,
    )?;
    let summary = summary(&report);
    ledger
        .finish_run(run_id, &summary)
        .map_err(|e| e.to_string())?;
    println!("{summary}");
    if let Some(stop) = &report.stop {
        eprintln!("stopped: {stop}; run `courant send` again to continue");
        if matches!(stop, Stop::Fatal(_)) {
            return Ok(Outcome::BadInput);
        }
    }
    Ok(plan.exit_status(&ledger, &slug, &recipients))
}

/// `[sending]` with the flags applied.
fn settings(base: &Sending, args: &Args) -> Sending {
    let p = args.pacing;
    let mut s = base.clone();
    s.rate = p.rate.unwrap_or(s.rate);
    s.burst = p.burst.unwrap_or(s.burst);
    s.concurrency = p.concurrency.unwrap_or(s.concurrency).max(1);
    s.max_per_connection = p.max_per_connection.or(s.max_per_connection);
    s.daily_limit = p.daily_limit.or(s.daily_limit);
    s.retries = p.retries.unwrap_or(s.retries);
    s.retry_delay = p.retry_delay.unwrap_or(s.retry_delay);
    s.max_consecutive_failures = p
        .max_consecutive_failures
        .unwrap_or(s.max_consecutive_failures);
    s.timeout = args.smtp.timeout.unwrap_or(s.timeout);
    s
}

/// The connector for `--smtp`; the password only ever comes from the environment.
pub fn connector(smtp: &SmtpArgs, sending: &Sending) -> Result<Connector, String> {
    let url = smtp.smtp.parse().map_err(|e: String| e)?;
    let password = std::env::var("COURANT_SMTP_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let timeout = smtp.timeout.unwrap_or(sending.timeout).0;
    Connector::new(url, password, smtp.smtp_ca.as_deref(), timeout).map_err(|e| e.to_string())
}

/// Who gets the edition in this run, and why the others do not.
struct Plan {
    active: usize,
    unsubscribed: usize,
    suppressed: usize,
    /// Active and not suppressed: who should have the edition when all is done.
    expected: Vec<usize>,
    already_sent: usize,
    failed_before: usize,
    unknown: usize,
    /// Indexes into the list, in list order.
    to_send: Vec<usize>,
}

impl Plan {
    fn new(
        list: &[Subscriber],
        rows: &HashMap<String, State>,
        suppressed: &std::collections::HashSet<String>,
        args: &Args,
    ) -> Plan {
        let mut plan = Plan {
            active: 0,
            unsubscribed: 0,
            suppressed: 0,
            expected: Vec::new(),
            already_sent: 0,
            failed_before: 0,
            unknown: 0,
            to_send: Vec::new(),
        };
        for (i, s) in list.iter().enumerate() {
            if s.status != Status::Active {
                plan.unsubscribed += 1;
                continue;
            }
            plan.active += 1;
            let key = ledger::key(s.email.as_str());
            if suppressed.contains(&key) {
                plan.suppressed += 1;
                continue;
            }
            plan.expected.push(i);
            match rows.get(&key) {
                Some(State::Sent) => plan.already_sent += 1,
                Some(State::Failed) if !args.retry_failed => plan.failed_before += 1,
                Some(State::Unknown | State::Sending) if !args.resend_unknown => plan.unknown += 1,
                _ => plan.to_send.push(i),
            }
        }
        plan
    }

    fn print(
        &self,
        checked: &Checked,
        sending: &Sending,
        url: &crate::transport::SmtpUrl,
        daily_remaining: Option<u64>,
    ) {
        let edition = &checked.edition;
        println!(
            "edition {} \u{201c}{}\u{201d}",
            edition.slug,
            edition.content.subject.get_ref()
        );
        println!(
            "recipients: {} active, {} unsubscribed, {} suppressed",
            self.active, self.unsubscribed, self.suppressed
        );
        println!(
            "ledger: {} already sent, {} failed before{}, {} unknown{}",
            self.already_sent,
            self.failed_before,
            if self.failed_before > 0 {
                " (--retry-failed to try again)"
            } else {
                ""
            },
            self.unknown,
            if self.unknown > 0 {
                " (--resend-unknown to send again)"
            } else {
                ""
            },
        );
        let eta = match sending.rate {
            Rate::Unlimited => "as fast as the server takes them".to_owned(),
            Rate::PerSecond(r) => format!(
                "about {}",
                humantime::format_duration(Duration::from_secs(
                    (self.to_send.len() as f64 / r).ceil() as u64
                ))
            ),
        };
        println!(
            "to send now: {} via {url} at {} (burst {}), {} {}; {eta}",
            self.to_send.len(),
            sending.rate,
            sending.burst,
            sending.concurrency,
            plural(sending.concurrency, "connection", "connections"),
        );
        if let Some(left) = daily_remaining {
            println!("daily limit: {left} more today");
        }
    }

    /// 0 when every active subscriber has the edition, else 1.
    fn exit_status(&self, ledger: &Ledger, slug: &str, list: &[Subscriber]) -> Outcome {
        let Ok(states) = ledger.states(slug) else {
            return Outcome::Failed;
        };
        let all_sent = self
            .expected
            .iter()
            .all(|&i| states.get(&ledger::key(list[i].email.as_str())) == Some(&State::Sent));
        if all_sent {
            Outcome::Success
        } else {
            Outcome::Failed
        }
    }
}

fn confirm(yes: bool, count: usize, url: &crate::transport::SmtpUrl) -> Result<(), String> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            "refusing to send without confirmation: no terminal to ask on; pass --yes".into(),
        );
    }
    print!(
        "Send {count} {} via {url}? [y/N] ",
        plural(count, "message", "messages")
    );
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| e.to_string())?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "j" | "ja") {
        Ok(())
    } else {
        Err("not confirmed; nothing sent".into())
    }
}

/// How this run sends, beyond the edition and the plan.
struct Setup {
    connector: Connector,
    dkim: Option<Arc<DkimConfig>>,
    tokens: Option<crate::unsubscribe::TokenKey>,
    run_id: i64,
    daily_remaining: Option<u64>,
}

fn deliver(
    checked: Checked,
    recipients: Arc<Vec<Subscriber>>,
    plan: &Plan,
    sending: &Sending,
    setup: Setup,
    ledger: &Ledger,
) -> Result<Report, String> {
    let Setup {
        connector,
        dkim,
        tokens,
        run_id,
        daily_remaining,
    } = setup;
    // One thread for all connections: the work per message is small, and on a two-core
    // machine a second runtime thread only competed with the ledger's thread and the server
    // (measured in BENCHMARKS.md).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let progress = Arc::new(Progress::new(plan.to_send.len() as u64));
    let on_event = {
        let progress = Arc::clone(&progress);
        Arc::new(move |event: Event| progress.event(&event))
    };
    let run = delivery::Run {
        edition: Arc::new(checked.edition),
        rendered: Arc::new(checked.rendered),
        clock: Clock::from_env(),
        recipients,
        connector,
        dkim,
        tokens,
        limiter: Arc::new(RateLimiter::new(sending.rate, sending.burst)),
        writer: ledger.writer().map_err(|e| e.to_string())?,
        run_id,
        options: Options {
            concurrency: sending.concurrency,
            max_per_connection: sending.max_per_connection,
            retries: sending.retries,
            retry_delay: sending.retry_delay.0,
            max_consecutive_failures: sending.max_consecutive_failures,
            daily_remaining,
        },
        on_event,
    };
    let jobs = plan.to_send.clone();
    let report = runtime.block_on(async move {
        let stop = Arc::new(Notify::new());
        tokio::spawn(on_signal(Arc::clone(&stop)));
        let ticker = tokio::spawn(Arc::clone(&progress).tick());
        let report = delivery::send(run, jobs, stop).await;
        ticker.abort();
        progress.finish();
        report
    });
    Ok(report)
}

/// SIGINT or SIGTERM: start no new messages, finish and record those in flight.
async fn on_signal(stop: Arc<Notify>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    eprintln!("stopping: finishing the messages in flight");
    stop.notify_one();
}

fn summary(report: &Report) -> String {
    format!(
        "sent {}, failed {}, deferred {}, unknown {}",
        report.sent, report.failed, report.deferred, report.unknown
    )
}

/// A progress bar on a terminal; a line every few seconds otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    sent: AtomicU64,
    failed: AtomicU64,
    deferred: AtomicU64,
    started: Instant,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    fn new(total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} sent · {msg} · {per_sec} · ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            total,
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            deferred: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    fn event(&self, event: &Event) {
        match event {
            Event::Sent => {
                self.sent.fetch_add(1, Ordering::Relaxed);
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
            }
            Event::Failed { email, why } => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                self.println(&format!("failed: {email}: {why}"));
            }
            Event::Unknown { email, why } => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                self.println(&format!("unknown: {email}: {why}"));
            }
            Event::Deferred { email, why } => {
                self.deferred.fetch_add(1, Ordering::Relaxed);
                self.println(&format!("deferred: {email}: {why}"));
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} failed, {} deferred",
                self.failed.load(Ordering::Relaxed),
                self.deferred.load(Ordering::Relaxed)
            ));
        }
    }

    fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    async fn tick(self: Arc<Self>) {
        if self.bar.is_some() {
            return;
        }
        loop {
            tokio::time::sleep(PLAIN_EVERY).await;
            eprintln!("{}", self.line());
        }
    }

    fn line(&self) -> String {
        let sent = self.sent.load(Ordering::Relaxed);
        let rate = sent as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        format!(
            "progress: sent {sent}/{}, {} failed, {} deferred, {rate:.1}/s",
            self.total,
            self.failed.load(Ordering::Relaxed),
            self.deferred.load(Ordering::Relaxed)
        )
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
