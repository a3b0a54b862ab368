//! Sending an edition: lock, plan, confirm, deliver to every recipient not yet served, record
//! the run, and the exit status that says how it went.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::checked::Checked;
use crate::delivery::{self, Event, Report, Stop};
use crate::edition::Sending;
use crate::edition::value::Rate;
use crate::error::{Error, ExitStatus};
use crate::ledger::{self, EarlierSend, EditionLock, Ledger, Location, RunColumn, State};
use crate::message::Clock;
use crate::plan::{Again, Plan};
use crate::rate_limiter::RateLimiter;
use crate::subscribers::{Subscriber, SubscriberList};
use crate::term::{Term, plural};
use crate::transport::Connector;

/// Everything a send needs, gathered by the command from its arguments.
pub struct Send {
    /// The edition, checked clean (see [`Checked::load_clean`]).
    pub checked: Checked,
    pub list: SubscriberList,
    /// `[sending]` with the command line's overrides.
    pub sending: Sending,
    pub connector: Connector,
    pub ledger: Location,
    pub again: Again,
    /// Send beside other `send --join` runs of the edition.
    pub join: bool,
    /// Send although another edition with the same subject and content was sent from this
    /// ledger (`--again`).
    pub repeat: bool,
    /// Confirmed on the command line (`--yes`); otherwise asked on the terminal.
    pub confirmed: bool,
    /// Stop as on Ctrl-C at this moment: the sending window closes (`run-due`).
    pub until: Option<std::time::SystemTime>,
}

impl Send {
    /// Sends the edition to every recipient the plan names; the exit status says whether all
    /// of them have it now.
    pub fn run(mut self, term: &Term) -> Result<ExitStatus, Error> {
        let slug = self.checked.edition.slug.clone();
        let mut lock = EditionLock::take(&self.ledger, &slug, self.join)?;
        let ledger = Ledger::open(self.ledger.clone())?;
        ledger.verify()?;
        if lock.alone() {
            warn_unknown(term, ledger.mark_unknown(&slug)?);
        }
        if self.join {
            lock.share()?;
        }
        let mut plan = Plan::new(
            &self.list.subscribers,
            &ledger.states(&slug)?,
            &crate::list::suppressed(&ledger, &self.list.subscribers, &self.checked.edition)?,
            self.again,
        );
        if self.join {
            // Senders that start together would otherwise contend for the same first rows.
            fastrand::shuffle(&mut plan.to_send);
        }
        let daily_remaining = daily_remaining(&ledger, &self.sending)?;
        let earlier = Earlier::look_up(&ledger, &self.checked, self.repeat)?;
        term.inform(describe(&self, &plan, daily_remaining, &earlier, &ledger))?;
        earlier.warn(term, &ledger, plan.to_send.len());
        let join = self.join;
        // The list moves to the send loop's workers: a hundred thousand readers are not copied.
        let recipients = Arc::new(std::mem::take(&mut self.list.subscribers));
        if plan.to_send.is_empty() {
            term.say("nothing to send")?;
            let sent_as = ledger.sent_fingerprint(&slug)?;
            if sent_as.is_some_and(|f| f != earlier.fingerprint) && plan.already_sent > 0 {
                term.warn(format_args!(
                    "`{slug}` changed since it was sent: its {} keep the text they were sent. A \
                     correction is an edition of its own, with a subject that says so \
                     (HOWTO.md)",
                    readers(plan.already_sent as u64)
                ));
            }
        } else {
            let fresh = earlier.last.is_none();
            confirm(
                term,
                self.confirmed,
                plan.to_send.len(),
                &self.connector,
                fresh,
            )?;
            let run_id = ledger.start_run_of(&slug, &earlier.subject, &earlier.fingerprint)?;
            let until = self.until;
            let run = self.into_run(&ledger, run_id, daily_remaining, Arc::clone(&recipients))?;
            let report = deliver(run, plan.to_send.clone(), until, term)?;
            if let Some(status) = conclude(&report, &ledger, run_id, term)? {
                return Ok(status);
            }
        }
        outcome(&ledger, &slug, &mut plan, &recipients, join, term)
    }

    /// The send loop's input for run `run_id`.
    fn into_run(
        self,
        ledger: &Ledger,
        run_id: i64,
        daily_remaining: Option<u64>,
        recipients: Arc<Vec<Subscriber>>,
    ) -> Result<delivery::Run<Connector>, Error> {
        let (dkim, tokens) = self.checked.keys()?;
        let return_path = self.checked.return_path(tokens.as_ref())?;
        let slug = &self.checked.edition.slug;
        let others = match self.join {
            true => Some(Arc::new(ledger.others(slug, run_id)?)),
            false => None,
        };
        Ok(delivery::Run {
            edition: Arc::new(self.checked.edition),
            rendered: Arc::new(self.checked.rendered),
            clock: Clock::from_env(),
            recipients,
            transport: self.connector,
            dkim: dkim.map(Arc::new),
            tokens,
            return_path,
            limiter: Arc::new(RateLimiter::new(self.sending.rate, self.sending.burst)),
            writer: ledger.writer()?,
            run_id,
            again: self.again,
            others,
            sending: self.sending,
            daily_remaining,
            on_event: Arc::new(|_| {}),
        })
    }
}

/// Whether every recipient the plan expects has the edition now (or, with `--join`, is being
/// sent it by another run).
fn outcome(
    ledger: &Ledger,
    slug: &str,
    plan: &mut Plan,
    recipients: &[Subscriber],
    join: bool,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let states = ledger.states(slug)?;
    // Who withdrew during the run, before a message was tried, is no longer expected to
    // have it; a refusal that suppressed the address is still a failure of this send.
    let suppressed = ledger.suppressed()?;
    plan.expected.retain(|&i| {
        let key = ledger::key(recipients[i].email.as_str());
        !suppressed.contains(&key)
            || matches!(states.get(&key), Some(State::Failed | State::Unknown))
    });
    if !join {
        return Ok(ExitStatus::failed_if(!plan.all_sent(recipients, &states)));
    }
    let elsewhere = plan.in_flight(recipients, &states);
    if elsewhere > 0 {
        term.say(format!(
            "{elsewhere} recipients are being sent by another sender (a run stopped \
             meanwhile leaves them `sending` until the next `courant send`)"
        ))?;
    }
    Ok(ExitStatus::failed_if(
        !plan.all_sent_or_in_flight(recipients, &states),
    ))
}

/// Warns about the messages a crashed run left in `sending`.
fn warn_unknown(term: &Term, unknown_now: usize) {
    if unknown_now > 0 {
        term.warn(format_args!(
            "an earlier run stopped during {unknown_now} {}; their outcome is unknown",
            plural(unknown_now, "message", "messages")
        ));
    }
}

/// What the ledger records of earlier sends of this newsletter, as far as this one concerns.
struct Earlier {
    subject: String,
    /// The SHA-256 of the subject and the web version (the content, without personal data).
    fingerprint: String,
    /// The latest edition sent from this ledger; `None` when it records none.
    last: Option<EarlierSend>,
    /// Another edition sent with the same subject (a correction, say).
    same_subject: Option<EarlierSend>,
}

impl Earlier {
    /// Refuses (unless `repeat`) an edition whose subject and content another edition sent
    /// from this ledger already had: every reader would get the same text twice.
    fn look_up(ledger: &Ledger, checked: &Checked, repeat: bool) -> Result<Earlier, Error> {
        use sha2::{Digest, Sha256};
        let slug = &checked.edition.slug;
        let subject = checked.edition.content.subject.get_ref().to_string();
        let mut hash = Sha256::new();
        hash.update(subject.as_bytes());
        hash.update([0]);
        hash.update(checked.rendered.web.as_bytes());
        let fingerprint: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if !repeat
            && let Some(same) = ledger.sent_with(RunColumn::Fingerprint, &fingerprint, slug)?
        {
            return Err(Error::Refused(format!(
                "`{slug}` has the subject and content of `{}`, which this ledger ({}) records \
                 as sent to {} on {}: they would get it a second time. A correction is \
                 an edition of its own, with a subject that says so; to send this one anyway, \
                 pass --again",
                same.edition,
                ledger.location(),
                readers(same.readers),
                ledger::time(same.at)
            )));
        }
        Ok(Earlier {
            last: ledger.last_send()?,
            same_subject: ledger.sent_with(RunColumn::Subject, &subject, slug)?,
            subject,
            fingerprint,
        })
    }

    /// Warns of what may reach readers twice: a ledger that records no send at all (another
    /// machine's, a clone's), and an earlier edition with the same subject.
    fn warn(&self, term: &Term, ledger: &Ledger, to_send: usize) {
        if to_send == 0 {
            return;
        }
        if self.last.is_none() {
            term.warn(format_args!(
                "the ledger {} records no earlier send: if this newsletter was sent from \
                 another machine or ledger, everyone on the list gets this edition, even who \
                 has it already; use that ledger (--ledger, or `ledger` in newsletter.toml)",
                ledger.location()
            ));
        }
        if let Some(same) = &self.same_subject {
            term.warn(format_args!(
                "`{}` went out with the same subject on {} to {}: if this is a \
                 correction, give it a subject that says so",
                same.edition,
                ledger::time(same.at),
                readers(same.readers)
            ));
        }
    }
}

/// Who gets the edition now, and why the others do not, at which rate and how long it takes.
fn describe(
    send: &Send,
    plan: &Plan,
    daily_remaining: Option<u64>,
    earlier: &Earlier,
    ledger: &Ledger,
) -> String {
    use std::fmt::Write as _;
    let edition = &send.checked.edition;
    let sending = &send.sending;
    let subject = edition.content.subject.get_ref();
    let hint = |n: usize, hint: &'static str| if n > 0 { hint } else { "" };
    let eta = match sending.rate {
        Rate::Unlimited => "as fast as the server takes them".to_owned(),
        Rate::PerSecond(r) => {
            let secs = (plan.to_send.len() as f64 / r).ceil() as u64;
            let time = humantime::format_duration(Duration::from_secs(secs));
            format!("about {time}")
        }
    };
    let last = earlier.last.as_ref().map_or_else(
        || "records no send yet".to_owned(),
        |l| {
            format!(
                "last sent {} on {} to {}",
                l.edition,
                ledger::time(l.at),
                readers(l.readers)
            )
        },
    );
    let mut text = format!(
        "edition {} \u{201c}{subject}\u{201d}\n\
         ledger {}: {last}\n\
         recipients: {} active, {} unsubscribed, {} suppressed\n\
         ledger: {} already sent, {} failed before{}, {} unknown{}\n\
         to send now: {} via {} at {} (burst {}), {} {}; {eta}",
        edition.slug,
        ledger.location(),
        plan.active,
        plan.unsubscribed,
        plan.suppressed,
        plan.already_sent,
        plan.failed_before,
        hint(plan.failed_before, " (--retry-failed to try again)"),
        plan.unknown,
        hint(plan.unknown, " (--resend-unknown to send again)"),
        plan.to_send.len(),
        send.connector.url(),
        sending.rate,
        sending.burst,
        sending.concurrency,
        plural(sending.concurrency, "connection", "connections"),
    );
    text.push_str(&audience_line(&send.list));
    if let Some(left) = daily_remaining {
        let _ = write!(text, "\ndaily limit: {left} more today");
    }
    text
}

/// Asks on the terminal unless confirmed; refuses when there is no terminal to ask on. From a
/// ledger that records no send (`fresh`), the number of messages must be typed.
fn confirm(
    term: &Term,
    confirmed: bool,
    count: usize,
    via: &Connector,
    fresh: bool,
) -> Result<(), Error> {
    if confirmed {
        return Ok(());
    }
    let messages = plural(count, "message", "messages");
    let question = match fresh {
        true => format!(
            "This ledger has never sent: type {count} to send {count} {messages} via {}",
            via.url()
        ),
        false => format!("Send {count} {messages} via {}? [y/N]", via.url()),
    };
    let answer = term.ask(&question).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotConnected => Error::Refused(
            "refusing to send without confirmation: no terminal to ask on; pass --yes".into(),
        ),
        _ => Error::Refused(format!("cannot read the answer: {e}")),
    })?;
    let agreed = match fresh {
        true => answer.trim() == count.to_string(),
        false => matches!(answer.as_str(), "y" | "Y" | "yes" | "j" | "ja"),
    };
    if agreed {
        Ok(())
    } else {
        Err(Error::Refused("not confirmed; nothing sent".into()))
    }
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

/// Runs the send loop with the progress display, stopping cleanly on SIGINT or SIGTERM: no
/// new messages start, those in flight are finished and recorded.
fn deliver(
    mut run: delivery::Run<Connector>,
    jobs: Vec<usize>,
    until: Option<std::time::SystemTime>,
    term: &Term,
) -> Result<Report, Error> {
    let runtime = crate::runtime::runtime()?;
    let progress = Arc::new(term.progress(jobs.len() as u64));
    let shown = Arc::clone(&progress);
    run.on_event = Arc::new(move |event: Event| shown.event(&event));
    let term = *term;
    Ok(runtime.block_on(async move {
        let stop = Arc::new(Notify::new());
        let asked = Arc::clone(&stop);
        tokio::spawn(async move {
            let closes = async {
                match until.map(|u| u.duration_since(std::time::SystemTime::now())) {
                    Some(left) => tokio::time::sleep(left.unwrap_or_default()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = crate::runtime::stop_asked() => {
                    term.alert("stopping: finishing the messages in flight");
                }
                () = closes => {
                    term.alert("the sending window closes: pausing after the messages in flight");
                }
            }
            asked.notify_one();
        });
        let ticker = tokio::spawn(Arc::clone(&progress).tick());
        let report = delivery::send(run, jobs, stop).await;
        ticker.abort();
        progress.finish();
        report
    }))
}

/// Records and prints the run's summary; says why it stopped early, and returns the exit
/// status that overrides "were all sent?", if any.
fn conclude(
    report: &Report,
    ledger: &Ledger,
    run_id: i64,
    term: &Term,
) -> Result<Option<ExitStatus>, Error> {
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
        term.say(&summary)?;
        return Err(Error::LedgerLost(why.clone()));
    }
    // The record says why the run ended early, so that `status` shows an interrupted run as one.
    let recorded = match &report.stop {
        Some(stop) => format!("{summary}; stopped: {stop}"),
        None => summary.clone(),
    };
    ledger
        .finish_run(run_id, &recorded)
        .map_err(|e| Error::LedgerLost(e.to_string()))?;
    term.say(&summary)?;
    let Some(stop) = &report.stop else {
        return Ok(None);
    };
    term.alert(format_args!(
        "stopped: {stop}; run `courant send` again to continue"
    ));
    Ok(matches!(stop, Stop::Fatal(_)).then_some(ExitStatus::BadInput))
}

/// The plan's line on the edition's audience, if it has one.
fn audience_line(list: &crate::subscribers::SubscriberList) -> String {
    match &list.audience {
        Some((audience, outside)) => format!(
            "\naudience: {audience} ({outside} active {} outside it)",
            plural(*outside, "reader", "readers")
        ),
        None => String::new(),
    }
}

/// `1 reader`, `294 readers`.
fn readers(n: u64) -> String {
    match n {
        1 => "1 reader".to_owned(),
        n => format!("{n} readers"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_reader_is_one_reader() {
        assert_eq!(super::readers(1), "1 reader");
        assert_eq!(super::readers(294), "294 readers");
    }
}
