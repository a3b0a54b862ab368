//! What a message's attempt ends in: the event the terminal shows, and the writes that record
//! it.

use super::queue::Job;
use crate::ledger::{self, Op, Outcome};
use crate::subscribers::Subscriber;
use crate::transport::SendError;

/// Something that happened, for the progress display.
#[derive(Debug, Clone)]
pub enum Event {
    Sent {
        email: String,
    },
    Failed {
        email: String,
        why: String,
    },
    Deferred {
        email: String,
        why: String,
    },
    Unknown {
        email: String,
        why: String,
    },
    /// Not sent by this run: another sender of the edition (`send --join`) has the recipient,
    /// or the address was suppressed after the run began.
    Skipped,
}

/// A message's outcome, and what follows once it is committed.
pub(super) struct Finished {
    pub(super) op: Op,
    pub(super) event: Event,
    pub(super) retry: Option<Job>,
    /// The address is dead (refused at RCPT with a 5.1.1, say): suppressed in the same commit.
    pub(super) suppress: Option<Op>,
    /// A retry: its outcome replaces the deferral counted before.
    pub(super) retried: bool,
}

impl Finished {
    pub(super) fn new(
        edition: &str,
        email: &str,
        outcome: Outcome,
        subscriber: &Subscriber,
        retry: Option<Job>,
    ) -> Finished {
        let address = subscriber.email.to_string();
        let event = match &outcome {
            Outcome::Sent { .. } => Event::Sent { email: address },
            Outcome::Failed { reply, .. } => Event::Failed {
                email: address,
                why: reply.clone(),
            },
            Outcome::Deferred { reply, .. } => Event::Deferred {
                email: address,
                why: reply.clone(),
            },
            Outcome::Unknown { reply } => Event::Unknown {
                email: address,
                why: reply.clone(),
            },
        };
        let op = Op::Finish {
            edition: edition.to_owned(),
            email: email.to_owned(),
            outcome,
        };
        Finished {
            op,
            event,
            retry,
            suppress: None,
            retried: false,
        }
    }

    /// Suppresses `email` with this outcome when `error` says the address itself is dead.
    pub(super) fn suppressing_if_dead(
        mut self,
        edition: &str,
        email: &str,
        error: &SendError,
    ) -> Finished {
        let SendError::Rejected {
            code,
            text,
            before_data: true,
        } = error
        else {
            return self;
        };
        if *code < 500 {
            return self;
        }
        if let Some(status) = crate::transport::reply::dead_address(&format!("{code} {text}")) {
            self.suppress = Some(Op::Suppress(ledger::Suppression {
                email: email.to_owned(),
                at: ledger::now(),
                source: "bounce".into(),
                evidence: ledger::Evidence {
                    edition: Some(edition.to_owned()),
                    status: Some(status),
                    diagnostic: Some(format!("{code} {text}")),
                },
            }));
        }
        self
    }
}
