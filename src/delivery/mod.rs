//! The send loop: workers, one SMTP connection each, taking recipients from one queue.
//!
//! Each message: wait for the rate limiter, record `sending` (committed), run the transaction,
//! record the outcome (committed), and only then take the next. Transient failures go back on
//! the queue with exponential backoff and jitter; permanent ones are recorded and the run goes
//! on. The run stops early — cleanly and resumably — when asked to (a signal), when the server
//! cannot be reached, after too many failures in a row, or at the daily limit.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::edition::{Edition, Sending};
use crate::ledger::{self, Again, Claim, Op, Outcome, Writer};
use crate::message::{Clock, Composer};
use crate::rate_limiter::RateLimiter;
use crate::render::Rendered;
use crate::subscribers::Subscriber;
use crate::transport::{ConnectError, SendError, Session, Transport};

mod finished;
mod queue;
mod stop;

pub use finished::Event;
use finished::Finished;
pub use stop::Stop;

use queue::{Job, Queue};

/// The longest wait between two retries.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How often a run of `send --join` looks at what the others have taken.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);
/// How often a worker tries to reach the server before the run stops.
const CONNECT_ATTEMPTS: u32 = 3;

/// What one run did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub sent: u64,
    pub failed: u64,
    pub deferred: u64,
    pub unknown: u64,
    /// Left to another sender, or suppressed since the run began.
    pub skipped: u64,
    pub stop: Option<Stop>,
}

/// Everything the workers share.
pub struct Run<T: Transport> {
    pub edition: Arc<Edition>,
    pub rendered: Arc<Rendered>,
    pub clock: Clock,
    pub recipients: Arc<Vec<Subscriber>>,
    pub transport: T,
    /// Signs every message, last.
    pub dkim: Option<Arc<crate::dkim::Signer>>,
    /// Signs the unsubscribe tokens.
    pub tokens: Option<crate::unsubscribe::TokenKey>,
    /// The envelope sender of each message.
    pub return_path: crate::message::ReturnPath,
    pub limiter: Arc<RateLimiter>,
    pub writer: Writer,
    pub run_id: i64,
    /// Which earlier outcomes this run may send again.
    pub again: Again,
    /// The other runs of the edition (`send --join`): what they take is dropped from this
    /// run's queue, so it does not reach for those recipients one by one.
    pub others: Option<Arc<ledger::Others>>,
    /// Concurrency, retries, their delay, connection reuse and the failure streak that stops
    /// the run, from `[sending]` with the flags applied.
    pub sending: Sending,
    /// How many more messages may start today; `None` for no limit.
    pub daily_remaining: Option<u64>,
    pub on_event: Arc<dyn Fn(Event) + Send + Sync>,
}

struct Shared<T: Transport> {
    run: Run<T>,
    queue: Queue,
    consecutive_failures: AtomicU32,
    started: AtomicU64,
    report: Mutex<Report>,
}

/// Sends to every recipient (indexes into `run.recipients`) and reports what happened.
pub async fn send<T: Transport>(run: Run<T>, jobs: Vec<usize>, stop: Arc<Notify>) -> Report {
    let workers = run.sending.concurrency.max(1).min(jobs.len().max(1));
    let shared = Arc::new(Shared {
        queue: Queue::new(jobs),
        consecutive_failures: AtomicU32::new(0),
        started: AtomicU64::new(0),
        report: Mutex::new(Report::default()),
        run,
    });
    let watcher = {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            stop.notified().await;
            shared.queue.stop(Stop::Interrupted);
        })
    };
    let follower = shared
        .run
        .others
        .clone()
        .map(|others| tokio::spawn(follow(Arc::clone(&shared), others)));
    let handles: Vec<_> = (0..workers)
        .map(|_| tokio::spawn(worker(Arc::clone(&shared))))
        .collect();
    for handle in handles {
        let _ = handle.await;
    }
    watcher.abort();
    if let Some(follower) = follower {
        follower.abort();
    }
    let mut report = shared.report.lock().expect("not poisoned").clone();
    report.stop = shared.queue.stopped();
    report
}

/// Every [`FOLLOW_EVERY`], drops from the queue what the other runs have taken since.
async fn follow<T: Transport>(shared: Arc<Shared<T>>, others: Arc<ledger::Others>) {
    let index: std::collections::HashMap<String, usize> = shared
        .run
        .recipients
        .iter()
        .enumerate()
        .map(|(i, s)| (ledger::key(s.email.as_str()), i))
        .collect();
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        let reader = Arc::clone(&others);
        // A read that fails is only a missed shortcut: each claim still decides.
        let Ok(Ok(emails)) = tokio::task::spawn_blocking(move || reader.taken()).await else {
            continue;
        };
        let taken: std::collections::HashSet<usize> = emails
            .iter()
            .filter_map(|e| index.get(e).copied())
            .collect();
        let dropped = shared.queue.drop_fresh(|i| taken.contains(&i));
        shared.report.lock().expect("not poisoned").skipped += dropped as u64;
        for _ in 0..dropped {
            (shared.run.on_event)(Event::Skipped);
        }
    }
}

async fn worker<T: Transport>(shared: Arc<Shared<T>>) {
    let run = &shared.run;
    // Signing is left to `sign`, off this thread: RSA costs ~3 ms a message.
    let composer = Composer::new(&run.edition, &run.rendered, run.clock.clone())
        .with_tokens(run.tokens.clone());
    let mut connection: Option<T::Session> = None;
    // The previous message's outcome. It is committed together with the next message's
    // `sending` mark when that one can start at once (one commit per message at full speed),
    // and on its own before any wait, so an outcome is never held back.
    let mut finished: Option<Finished> = None;
    let stop = loop {
        let job = match shared.queue.try_next() {
            Some(job) => job,
            None => {
                if let Err(stop) = shared.commit(finished.take(), None).await {
                    break Some(stop);
                }
                match shared.queue.next().await {
                    Some(job) => job,
                    None => break None,
                }
            }
        };
        if let Err(stop) = shared.prepare(&mut connection, &mut finished).await {
            shared.queue.done(None);
            break Some(stop);
        }
        let conn = connection.as_mut().expect("connected by prepare");
        match attempt(&shared, &composer, conn, job, finished.take()).await {
            Ok(None) => {}
            Ok(Some((outcome, keep))) => {
                finished = Some(outcome);
                if !keep
                    || run
                        .sending
                        .max_per_connection
                        .is_some_and(|max| conn.sent() >= max)
                {
                    let old = connection.take().expect("connected");
                    if keep {
                        old.quit().await;
                    } else {
                        old.abort().await;
                    }
                }
            }
            Err(stop) => break Some(stop),
        }
    };
    let flushed = shared.commit(finished.take(), None).await;
    if let Some(stop) = stop.or(flushed.err()) {
        shared.queue.stop(stop);
    }
    if let Some(c) = connection {
        c.quit().await;
    }
}

/// The message of `subscriber`, made and signed.
async fn make(
    composer: &Composer<'_>,
    dkim: Option<Arc<crate::dkim::Signer>>,
    subscriber: &Subscriber,
) -> Result<Vec<u8>, String> {
    let message = composer.message(subscriber).map_err(|e| e.to_string())?;
    sign(dkim, message).await.map_err(|e| e.to_string())
}

/// The message's bytes, DKIM-signed on the blocking pool when there is a key: an RSA signature
/// takes about a millisecond of CPU (measured, BENCHMARKS.md), which would otherwise hold up
/// every connection of this single-threaded runtime and use one core only.
async fn sign(
    dkim: Option<Arc<crate::dkim::Signer>>,
    message: lettre::Message,
) -> Result<Vec<u8>, crate::dkim::SignError> {
    let Some(dkim) = dkim else {
        return Ok(message.formatted());
    };
    let signed = tokio::task::spawn_blocking(move || crate::message::sign(Some(&dkim), &message));
    signed.await.expect("signing does not panic")
}

/// One recipient, one attempt, after committing `previous` with this message's `sending`
/// mark (its claim). Returns this message's outcome (not yet committed) and whether the
/// connection can be used again, or `None` when the claim was refused and nothing was sent;
/// `Err` stops the run.
async fn attempt<T: Transport>(
    shared: &Shared<T>,
    composer: &Composer<'_>,
    conn: &mut T::Session,
    job: Job,
    previous: Option<Finished>,
) -> Result<Option<(Finished, bool)>, Stop> {
    let run = &shared.run;
    let subscriber = &run.recipients[job.index];
    let email = ledger::key(subscriber.email.as_str());
    let edition = run.edition.slug.as_str();
    let (from, verp) = run.return_path.envelope(edition, &email);
    let begin = Op::Begin {
        edition: edition.to_owned(),
        email: email.clone(),
        run: run.run_id,
        verp,
        again: run.again,
    };
    // The message is made and signed while the claim is written: the signature's CPU overlaps
    // the ledger's flush. Nothing leaves before the claim is committed, and a refused claim
    // only wastes the work.
    let message_id = composer.message_id(subscriber);
    let made = make(composer, run.dkim.clone(), subscriber);
    let (claim, made) = tokio::join!(shared.commit(previous, Some(begin)), made);
    if claim? == Claim::Refused {
        shared.skip();
        return Ok(None);
    }
    let bytes = match made {
        Ok(bytes) => bytes,
        Err(e) => {
            let failed = shared.not_composed(edition, &email, subscriber, &e);
            return Ok(Some((failed, true)));
        }
    };
    let result = conn
        .send(&from, &subscriber.email.to_address(), &bytes)
        .await;
    let keep = reusable(conn, &result).await;
    let mut finished = match result {
        Ok(accepted) => {
            shared.streak(false);
            let sent = Outcome::Sent {
                reply: accepted.reply,
                message_id,
            };
            Finished::new(edition, &email, sent, subscriber, None)
        }
        Err(error) => shared.failed(&job, edition, &email, subscriber, &error),
    };
    finished.retried = job.tries > 0;
    Ok(Some((finished, keep)))
}

/// Whether the connection can take the next message after `result`.
async fn reusable<S: Session>(
    conn: &mut S,
    result: &Result<crate::transport::Accepted, SendError>,
) -> bool {
    match result {
        Ok(_) => true,
        // After a refusal the transaction is reset and the connection used again.
        Err(SendError::Rejected { code, .. }) if *code != 421 => conn.reset().await,
        // Nothing was said to the server: the connection is as good as before.
        Err(SendError::Unsupported(_) | SendError::TooLarge { .. }) => true,
        Err(_) => false,
    }
}

async fn connect<T: Transport>(shared: &Shared<T>) -> Result<T::Session, Stop> {
    let mut last = String::new();
    for n in 0..CONNECT_ATTEMPTS {
        if n > 0 {
            tokio::time::sleep(Duration::from_secs(1 << n)).await;
            if shared.queue.stopped().is_some() {
                return Err(Stop::Interrupted);
            }
        }
        match shared.run.transport.open().await {
            Ok(c) => return Ok(c),
            Err(e @ ConnectError::Fatal { .. }) => return Err(Stop::Fatal(e.to_string())),
            Err(e) => last = e.to_string(),
        }
    }
    Err(Stop::Unreachable(last))
}

impl<T: Transport> Shared<T> {
    /// The outcome of a message the server did not take.
    fn failed(
        &self,
        job: &Job,
        edition: &str,
        email: &str,
        subscriber: &Subscriber,
        error: &SendError,
    ) -> Finished {
        if server_unwell(error) {
            self.streak(true);
        }
        let (outcome, retry) = self.judge(job, error);
        Finished::new(edition, email, outcome, subscriber, retry)
            .suppressing_if_dead(edition, email, error)
    }

    /// The outcome of a message that could not be made: a failure, never sent.
    fn not_composed(
        &self,
        edition: &str,
        email: &str,
        subscriber: &Subscriber,
        error: &dyn std::fmt::Display,
    ) -> Finished {
        let outcome = Outcome::Failed {
            code: None,
            reply: error.to_string(),
        };
        Finished::new(edition, email, outcome, subscriber, None)
    }

    fn take_daily_slot(&self) -> bool {
        let Some(limit) = self.run.daily_remaining else {
            return true;
        };
        self.started.fetch_add(1, Ordering::SeqCst) < limit
    }

    /// A recipient whose claim was refused: its daily and rate slots go back, and it leaves
    /// the queue unsent.
    fn skip(&self) {
        if self.run.daily_remaining.is_some() {
            self.started.fetch_sub(1, Ordering::SeqCst);
        }
        self.run.limiter.give_back();
        self.report.lock().expect("not poisoned").skipped += 1;
        (self.run.on_event)(Event::Skipped);
        self.queue.done(None);
    }

    /// Before a message: a connection, a daily slot and a rate slot. Commits `finished` first
    /// whenever there is a wait.
    async fn prepare(
        &self,
        connection: &mut Option<T::Session>,
        finished: &mut Option<Finished>,
    ) -> Result<(), Stop> {
        if connection.is_none() {
            self.commit(finished.take(), None).await?;
            *connection = Some(connect(self).await?);
        }
        if !self.take_daily_slot() {
            return Err(Stop::DailyLimit);
        }
        if !self.run.limiter.try_acquire() {
            self.commit(finished.take(), None).await?;
            self.run.limiter.acquire().await;
        }
        Ok(())
    }

    /// Commits a finished message's outcome and the next message's `begin` in one transaction,
    /// then reports the outcome and requeues its retry. Says whether `begin` claimed its
    /// recipient.
    async fn commit(&self, finished: Option<Finished>, begin: Option<Op>) -> Result<Claim, Stop> {
        let mut ops = Vec::with_capacity(3);
        ops.extend(finished.as_ref().map(|f| f.op.clone()));
        ops.extend(finished.as_ref().and_then(|f| f.suppress.clone()));
        ops.extend(begin);
        if ops.is_empty() {
            return Ok(Claim::Taken);
        }
        let claim = self
            .run
            .writer
            .write(ops)
            .await
            .map_err(|e| Stop::Ledger(e.to_string()))?;
        if let Some(f) = finished {
            self.count(&f.event, f.retried);
            (self.run.on_event)(f.event);
            self.queue.done(f.retry);
        }
        Ok(claim)
    }

    /// The outcome of a failed attempt, and the retry to schedule.
    fn judge(&self, job: &Job, error: &SendError) -> (Outcome, Option<Job>) {
        if error.asks_to_slow_down() {
            self.run.limiter.slow_down();
        }
        let reply = error.to_string();
        let code = error.code();
        match error {
            SendError::Uncertain(_) => (Outcome::Unknown { reply }, None),
            // Nothing was sent, and every other message is as large: the run stops, and the
            // reader is sent to by the next run, once the edition is smaller.
            SendError::TooLarge { .. } => {
                self.queue.stop(Stop::Fatal(reply.clone()));
                let next_attempt = ledger::now();
                let outcome = Outcome::Deferred {
                    code,
                    reply,
                    next_attempt,
                };
                (outcome, None)
            }
            e if e.is_permanent() => (Outcome::Failed { code, reply }, None),
            // Out of retries for this run: it stays deferred, and the next run tries again.
            _ if job.tries >= self.run.sending.retries => {
                let delay = backoff(self.run.sending.retry_delay.0, job.tries);
                let next_attempt = ledger::now() + delay.as_secs() as i64;
                let outcome = Outcome::Deferred {
                    code,
                    reply,
                    next_attempt,
                };
                (outcome, None)
            }
            _ => {
                let delay = backoff(self.run.sending.retry_delay.0, job.tries);
                let next = Job {
                    index: job.index,
                    tries: job.tries + 1,
                    due: Instant::now() + delay,
                };
                let next_attempt = ledger::now() + delay.as_secs() as i64;
                (
                    Outcome::Deferred {
                        code,
                        reply,
                        next_attempt,
                    },
                    Some(next),
                )
            }
        }
    }

    /// Counts recipients by their latest outcome: a retry's outcome replaces the deferral
    /// before it.
    fn count(&self, event: &Event, retried: bool) {
        let mut report = self.report.lock().expect("not poisoned");
        if retried {
            report.deferred = report.deferred.saturating_sub(1);
        }
        match event {
            Event::Sent { .. } => report.sent += 1,
            Event::Failed { .. } => report.failed += 1,
            Event::Deferred { .. } => report.deferred += 1,
            Event::Unknown { .. } => report.unknown += 1,
            Event::Skipped => report.skipped += 1,
        }
    }

    /// Keeps the count of failures in a row (`failed`: one more; else the streak ends), at the
    /// moment an outcome is known (before it is committed), so the run stops before starting
    /// another message.
    fn streak(&self, failed: bool) {
        if !failed {
            self.consecutive_failures.store(0, Ordering::SeqCst);
            return;
        }
        let failures = self.consecutive_failures.fetch_add(1, Ordering::SeqCst) + 1;
        let max = self.run.sending.max_consecutive_failures;
        if max > 0 && failures >= max {
            self.queue.stop(Stop::TooManyFailures(failures));
        }
    }
}

/// Whether a failure says something is wrong with the server or with us as a sender (it counts
/// toward `max-consecutive-failures`), rather than with one recipient: a full mailbox, an
/// unknown address or greylisting says nothing about the next recipient.
fn server_unwell(error: &SendError) -> bool {
    let SendError::Rejected { code, text, .. } = error else {
        return !matches!(error, SendError::Unsupported(_));
    };
    if *code == 421 {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("greylist") || lower.contains("graylist") {
        return false;
    }
    let status = crate::transport::reply::status_code(text);
    let subject = status.as_deref().and_then(|s| s.split('.').nth(1));
    !matches!(subject, Some("1" | "2"))
}

/// `base × 2^tries`, times a random factor in [0.5, 1.5), at most an hour.
pub fn backoff(base: Duration, tries: u32) -> Duration {
    let exponential = base.saturating_mul(1 << tries.min(16));
    exponential.mul_f64(0.5 + fastrand::f64()).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests;
