//! The send loop through the transport seam: a scripted transport in memory, the real SQLite
//! ledger in a temporary folder, the seed edition. These see what the tests against real
//! servers cannot: what the ledger held at the moment each message's data went out, and when
//! each attempt was made.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use lettre::Address;

use super::*;
use crate::edition::value::{Interval, Rate};
use crate::ledger::{Ledger, State};
use crate::transport::Accepted;

/// The server's answer to the `tries`-th attempt (from 0) for the recipient `to`.
type Answer = fn(to: &str, tries: usize) -> Result<Accepted, SendError>;

/// One message's data as the scripted server received it.
#[derive(Debug, Clone)]
struct Seen {
    to: String,
    at: Instant,
    /// The edition's states in the ledger, read from the file when the data arrived.
    states: HashMap<String, State>,
}

#[derive(Clone)]
struct Script {
    answer: Answer,
    ledger: PathBuf,
    edition: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

struct ScriptedSession {
    script: Script,
    sent: u32,
}

impl Transport for Script {
    type Session = ScriptedSession;
    fn open(&self) -> impl Future<Output = Result<ScriptedSession, ConnectError>> + Send {
        let script = self.clone();
        async move { Ok(ScriptedSession { script, sent: 0 }) }
    }
}

impl Session for ScriptedSession {
    fn sent(&self) -> u32 {
        self.sent
    }

    fn send(
        &mut self,
        _from: &Address,
        to: &Address,
        _message: &[u8],
    ) -> impl Future<Output = Result<Accepted, SendError>> + Send {
        let to = to.to_string();
        let states = Ledger::open(&self.script.ledger)
            .and_then(|l| l.states(&self.script.edition))
            .expect("the ledger reads");
        let mut seen = self.script.seen.lock().expect("not poisoned");
        let tries = seen.iter().filter(|s| s.to == to).count();
        let at = Instant::now();
        seen.push(Seen {
            to: to.clone(),
            at,
            states,
        });
        let answer = (self.script.answer)(&to, tries);
        self.sent += u32::from(answer.is_ok());
        async move { answer }
    }

    async fn reset(&mut self) -> bool {
        true
    }

    async fn quit(self) {}

    async fn abort(self) {}
}

fn accepted() -> Result<Accepted, SendError> {
    Ok(Accepted {
        reply: "250 2.0.0 queued".into(),
    })
}

fn rejected(code: u16, text: &str) -> Result<Accepted, SendError> {
    Err(SendError::Rejected {
        code,
        text: text.into(),
        before_data: true,
    })
}

/// One connection, no pause between messages, `retries` quick retries.
fn sending(retries: u32, retry_delay: Duration) -> Sending {
    Sending {
        rate: Rate::Unlimited,
        concurrency: 1,
        retries,
        retry_delay: Interval(retry_delay),
        ..Sending::default()
    }
}

/// What a send to `n` recipients did: the report, every message as the server saw it, and the
/// ledger's states afterwards.
struct Outcome {
    report: Report,
    seen: Vec<Seen>,
    states: HashMap<String, State>,
    /// The suppression list afterwards, sorted.
    suppressed: Vec<String>,
}

fn recipient(i: usize) -> String {
    format!("r{i}@example.org")
}

async fn send_to(n: usize, answer: Answer, sending: Sending) -> Outcome {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("courant.sqlite");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("issues/2022-12.toml");
    let edition = Edition::load(&seed).expect("the seed loads");
    let rendered = crate::render::render(&edition).expect("the seed renders");
    let slug = edition.slug.clone();
    let ledger = Ledger::open(&path).expect("the ledger opens");
    let recipients = (0..n)
        .map(|i| {
            let mut s = Subscriber::sample(&edition.file);
            s.email = recipient(i).parse().expect("a valid address");
            s
        })
        .collect();
    let script = Script {
        answer,
        ledger: path.clone(),
        edition: slug.clone(),
        seen: Arc::default(),
    };
    let run = Run {
        edition: Arc::new(edition),
        rendered: Arc::new(rendered),
        clock: Clock::Fixed(SystemTime::UNIX_EPOCH),
        recipients: Arc::new(recipients),
        transport: script.clone(),
        dkim: None,
        tokens: None,
        return_path: crate::message::ReturnPath::From(
            "nieuwsbrief@example.nl".parse().expect("a valid address"),
        ),
        limiter: Arc::new(RateLimiter::new(sending.rate, sending.burst)),
        writer: ledger.writer().expect("the writer starts"),
        run_id: ledger.start_run(&slug).expect("a run"),
        again: crate::ledger::Again::default(),
        others: None,
        sending,
        daily_remaining: None,
        on_event: Arc::new(|_| {}),
    };
    let report = send(run, (0..n).collect(), Arc::new(Notify::new())).await;
    let seen = script.seen.lock().expect("not poisoned").clone();
    let states = ledger.states(&slug).expect("the ledger reads");
    let mut suppressed: Vec<String> = ledger
        .suppressed()
        .expect("the ledger reads")
        .into_iter()
        .collect();
    suppressed.sort();
    Outcome {
        report,
        seen,
        states,
        suppressed,
    }
}

#[tokio::test]
async fn sending_is_committed_before_the_data_and_each_outcome_before_the_next_message() {
    let out = send_to(4, |_, _| accepted(), sending(0, Duration::ZERO)).await;
    assert_eq!(out.report.sent, 4);
    let order: Vec<&str> = out.seen.iter().map(|s| s.to.as_str()).collect();
    assert_eq!(
        order,
        [
            "r0@example.org",
            "r1@example.org",
            "r2@example.org",
            "r3@example.org"
        ]
    );
    for (i, seen) in out.seen.iter().enumerate() {
        assert_eq!(
            seen.states.get(&seen.to),
            Some(&State::Sending),
            "`sending` of {} committed before its data",
            seen.to
        );
        if i > 0 {
            let previous = &out.seen[i - 1].to;
            assert_eq!(
                seen.states.get(previous),
                Some(&State::Sent),
                "the outcome of {previous} committed before the data of {}",
                seen.to
            );
        }
        let later = (i + 1..4).map(recipient);
        assert!(
            later.into_iter().all(|r| !seen.states.contains_key(&r)),
            "nobody is marked before their turn"
        );
    }
    assert!(
        out.states.values().all(|s| *s == State::Sent),
        "{:?}",
        out.states
    );
}

#[tokio::test]
async fn a_transient_failure_is_deferred_and_retried_after_its_backoff() {
    let base = Duration::from_millis(200);
    let answer: Answer = |to, tries| {
        if to == "r0@example.org" && tries == 0 {
            rejected(451, "4.7.1 greylisted, try again later")
        } else {
            accepted()
        }
    };
    let out = send_to(2, answer, sending(3, base)).await;
    assert_eq!(
        (out.report.sent, out.report.deferred),
        (2, 0),
        "counted by final state"
    );
    let order: Vec<&str> = out.seen.iter().map(|s| s.to.as_str()).collect();
    assert_eq!(
        order,
        ["r0@example.org", "r1@example.org", "r0@example.org"],
        "the next recipient goes first while the retry waits"
    );
    assert_eq!(
        out.seen[1].states.get("r0@example.org"),
        Some(&State::Deferred),
        "the deferral is on record while it waits"
    );
    let waited = out.seen[2].at - out.seen[0].at;
    assert!(
        waited >= base / 2,
        "retried after {waited:?}, before the backoff's least delay of {:?}",
        base / 2
    );
    assert_eq!(out.states.get("r0@example.org"), Some(&State::Sent));
}

#[tokio::test]
async fn a_transient_failure_that_outlasts_the_retries_stays_deferred() {
    let answer: Answer = |_, _| rejected(452, "4.2.2 mailbox full");
    let out = send_to(1, answer, sending(2, Duration::from_millis(5))).await;
    assert_eq!(out.seen.len(), 3, "the first attempt and two retries");
    assert_eq!((out.report.failed, out.report.deferred), (0, 1));
    assert_eq!(
        out.states.get("r0@example.org"),
        Some(&State::Deferred),
        "the next run tries again"
    );
}

#[tokio::test]
async fn a_permanent_failure_is_not_retried_and_the_run_goes_on() {
    let answer: Answer = |to, _| {
        if to == "r0@example.org" {
            rejected(550, "5.1.1 no such user")
        } else {
            accepted()
        }
    };
    let out = send_to(2, answer, sending(5, Duration::from_millis(5))).await;
    assert_eq!(out.seen.len(), 2);
    assert_eq!((out.report.sent, out.report.failed), (1, 1));
    assert_eq!(out.states.get("r0@example.org"), Some(&State::Failed));
    assert_eq!(out.report.stop, None);
}

#[tokio::test]
async fn a_dead_address_refused_at_rcpt_is_suppressed_with_its_outcome() {
    let answer: Answer = |to, _| match to {
        "r0@example.org" => rejected(
            550,
            "5.1.1 <r0@example.org>: Recipient address rejected: User unknown",
        ),
        "r1@example.org" => rejected(550, "5.7.1 Message refused as spam"),
        _ => accepted(),
    };
    let out = send_to(3, answer, sending(0, Duration::ZERO)).await;
    assert_eq!((out.report.sent, out.report.failed), (1, 2));
    assert_eq!(
        out.suppressed,
        ["r0@example.org"],
        "a spam refusal is not the address's fault"
    );
}

#[tokio::test]
async fn a_message_without_a_reply_is_unknown_and_never_sent_again() {
    let answer: Answer = |_, _| Err(SendError::Uncertain("no reply to the data".into()));
    let out = send_to(1, answer, sending(5, Duration::from_millis(5))).await;
    assert_eq!(out.seen.len(), 1);
    assert_eq!(out.report.unknown, 1);
    assert_eq!(out.states.get("r0@example.org"), Some(&State::Unknown));
}

#[tokio::test]
async fn the_run_stops_after_too_many_failures_in_a_row() {
    let answer: Answer = |_, _| rejected(550, "5.7.1 refused");
    let mut settings = sending(0, Duration::ZERO);
    settings.max_consecutive_failures = 3;
    let out = send_to(10, answer, settings).await;
    assert_eq!(out.report.stop, Some(Stop::TooManyFailures(3)));
    assert_eq!(
        out.seen.len(),
        3,
        "no message starts after the third failure"
    );
    assert_eq!(out.report.failed, 3);
    assert_eq!(
        out.states.len(),
        3,
        "the others are untouched: {:?}",
        out.states
    );
}

#[test]
fn backoff_doubles_within_jitter() {
    let base = Duration::from_secs(10);
    for tries in 0..4 {
        let d = backoff(base, tries);
        let nominal = base * (1 << tries);
        assert!(d >= nominal / 2 && d < nominal * 3 / 2, "{tries}: {d:?}");
    }
    assert_eq!(backoff(Duration::from_secs(3600), 10), MAX_BACKOFF);
}
