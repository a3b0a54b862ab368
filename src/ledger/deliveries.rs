//! Deliveries: one row per edition and recipient, and what other runs of the edition take.

use std::collections::HashMap;

use super::record::{Op, Outcome, Row, State, now};
use super::store::{Ledger, LedgerError};
use super::suppressions;
use super::value::{Value, params};

impl Ledger {
    /// Every row of an edition, by address key.
    pub fn rows(&self, edition: &str) -> Result<HashMap<String, Row>, LedgerError> {
        self.with(|c| {
            c.query(
                "SELECT email, state, attempts, code, reply, message_id, updated, next_attempt
                 FROM deliveries WHERE edition = ?1",
                params![edition],
            )?
            .into_iter()
            .map(|r| {
                let row = Row {
                    email: r.get(0)?,
                    state: State::parse(&r.get::<String>(1)?),
                    attempts: r.get(2)?,
                    code: r.get(3)?,
                    reply: r.get(4)?,
                    message_id: r.get(5)?,
                    updated: r.get(6)?,
                    next_attempt: r.get(7)?,
                };
                Ok((row.email.clone(), row))
            })
            .collect()
        })
    }

    /// The state of every recipient of an edition, by address key: what a plan needs, in a
    /// fraction of the memory of [`Ledger::rows`].
    pub fn states(&self, edition: &str) -> Result<HashMap<String, State>, LedgerError> {
        self.with(|c| {
            c.query(
                "SELECT email, state FROM deliveries WHERE edition = ?1",
                params![edition],
            )?
            .into_iter()
            .map(|r| Ok((r.get(0)?, State::parse(&r.get::<String>(1)?))))
            .collect()
        })
    }

    /// Rows left in `sending` by a run that did not finish become `unknown`. Call only while
    /// holding the edition's send lock. Returns how many.
    pub fn mark_unknown(&self, edition: &str) -> Result<usize, LedgerError> {
        self.with(|c| {
            c.execute(
                "UPDATE deliveries SET state = 'unknown', reply = 'the run stopped during this message; the server may have accepted it', updated = ?2
                 WHERE edition = ?1 AND state = 'sending'",
                params![edition, now()],
            )
        })
        .map(|n| n as usize)
    }

    /// Messages accepted by the server since `since` (unix seconds), over all editions.
    pub fn sent_since(&self, since: i64) -> Result<u64, LedgerError> {
        self.with(|c| {
            c.query_value::<i64>(
                "SELECT count(*) FROM deliveries WHERE sent_at >= ?1",
                params![since],
            )
        })
        .map(|n| n.max(0) as u64)
    }
}

/// What the other runs of an edition take while this one runs (`send --join`), read from a
/// connection of its own.
pub struct Others {
    ledger: std::sync::Mutex<Ledger>,
    edition: String,
    run: i64,
    since: std::sync::atomic::AtomicI64,
}

impl Ledger {
    /// Follows the other runs of `edition` beside run `run`.
    pub fn others(&self, edition: &str, run: i64) -> Result<Others, LedgerError> {
        Ok(Others {
            ledger: std::sync::Mutex::new(Ledger::open(self.location.clone())?),
            edition: edition.to_owned(),
            run,
            since: std::sync::atomic::AtomicI64::new(0),
        })
    }
}

impl Others {
    /// The recipients other runs have claimed, sent, failed or left unknown since the last
    /// call (a few seconds overlap: the times are whole seconds).
    pub fn taken(&self) -> Result<Vec<String>, LedgerError> {
        use std::sync::atomic::Ordering;
        let started = now();
        let since = self.since.load(Ordering::Relaxed);
        let ledger = self.ledger.lock().expect("not poisoned");
        let emails = ledger.with(|c| {
            c.query(
                "SELECT email FROM deliveries
                 WHERE edition = ?1 AND updated >= ?2 AND (run IS NULL OR run <> ?3)
                   AND state IN ('sending', 'sent', 'failed', 'unknown')",
                params![&self.edition, since, self.run],
            )?
            .into_iter()
            .map(|row| row.get::<String>(0))
            .collect()
        })?;
        self.since.store(started - 1, Ordering::Relaxed);
        Ok(emails)
    }
}

/// The statement that records `op`.
pub(super) fn statement(op: &Op, now: i64) -> (&'static str, Vec<Value>) {
    match op {
        Op::Begin {
            edition,
            email,
            run,
            verp,
            again,
        } => (
            // One statement, so the claim is atomic on both backends: the row's lock (or
            // SQLite's write lock) decides between two senders.
            "INSERT INTO deliveries (edition, email, state, attempts, updated, run, verp)
             SELECT ?1, ?2, 'sending', 1, ?3, ?4, ?5
             WHERE NOT EXISTS (SELECT 1 FROM suppressions WHERE email = ?2)
             ON CONFLICT (edition, email) DO UPDATE SET
                state = 'sending', attempts = deliveries.attempts + 1, updated = ?3, run = ?4,
                next_attempt = NULL, verp = ?5
             WHERE deliveries.state IN ('queued', 'deferred')
                OR (deliveries.state = 'failed' AND ?6 = 1)
                OR (deliveries.state = 'unknown' AND ?7 = 1)",
            params![edition, email, now, *run, verp, again.failed, again.unknown].to_vec(),
        ),
        Op::Finish {
            edition,
            email,
            outcome,
        } => {
            let (state, code, reply, message_id, next, sent_at) = match outcome {
                Outcome::Sent { reply, message_id } => {
                    ("sent", None, reply, Some(message_id), None, Some(now))
                }
                Outcome::Failed { code, reply } => ("failed", *code, reply, None, None, None),
                Outcome::Deferred {
                    code,
                    reply,
                    next_attempt,
                } => ("deferred", *code, reply, None, Some(*next_attempt), None),
                Outcome::Unknown { reply } => ("unknown", None, reply, None, None, None),
            };
            (
                "UPDATE deliveries SET state = ?3, code = ?4, reply = ?5, message_id = ?6, next_attempt = ?7,
                    sent_at = ?8, updated = ?9
                 WHERE edition = ?1 AND email = ?2",
                params![edition, email, state, code, reply, message_id, next, sent_at, now]
                    .to_vec(),
            )
        }
        Op::Suppress(suppression) => suppressions::insert(suppression),
    }
}

#[cfg(test)]
mod tests {
    use crate::ledger::{Again, Ledger, Op, Outcome, State};

    fn begin(email: &str) -> Op {
        Op::Begin {
            edition: "e".into(),
            email: email.into(),
            run: 1,
            verp: None,
            again: Again::default(),
        }
    }

    #[test]
    fn a_row_goes_from_sending_to_its_outcome() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(dir.path().join("l.sqlite")).unwrap();
        ledger.start_run("e").unwrap();
        ledger.apply(&[begin("a@x"), begin("b@x")]).unwrap();
        let sent = Outcome::Sent {
            reply: "250 ok".into(),
            message_id: "<1@x>".into(),
        };
        ledger
            .apply(&[Op::Finish {
                edition: "e".into(),
                email: "a@x".into(),
                outcome: sent,
            }])
            .unwrap();
        let rows = ledger.rows("e").unwrap();
        assert_eq!(rows["a@x"].state, State::Sent);
        assert_eq!(rows["b@x"].state, State::Sending);
        assert_eq!(ledger.sent_since(0).unwrap(), 1);
        assert_eq!(ledger.mark_unknown("e").unwrap(), 1);
        assert_eq!(ledger.rows("e").unwrap()["b@x"].state, State::Unknown);
    }

    #[test]
    fn retries_count_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(dir.path().join("l.sqlite")).unwrap();
        ledger.start_run("e").unwrap();
        let deferred = Outcome::Deferred {
            code: Some(451),
            reply: "later".into(),
            next_attempt: 5,
        };
        ledger
            .apply(&[
                begin("a@x"),
                Op::Finish {
                    edition: "e".into(),
                    email: "a@x".into(),
                    outcome: deferred,
                },
            ])
            .unwrap();
        ledger.apply(&[begin("a@x")]).unwrap();
        let row = &ledger.rows("e").unwrap()["a@x"];
        assert_eq!(
            (row.state, row.attempts, row.next_attempt),
            (State::Sending, 2, None)
        );
    }
}
