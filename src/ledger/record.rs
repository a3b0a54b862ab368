//! What the ledger records, as the rest of courant sees it: the states of a delivery, a row,
//! a run, the outcome of an attempt and the writes of the send loop.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A set of addresses as [`key`]s.
pub type KeySet = std::collections::HashSet<String>;

/// Where the ledger is when neither `--ledger` nor `COURANT_LEDGER` says: `courant.sqlite` in
/// `dir`, the newsletter's folder (the one with `newsletter.toml` and the editions). Every
/// command uses this one rule, so they all find the same record.
pub fn default_location(dir: &Path) -> PathBuf {
    dir.join("courant.sqlite")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Queued,
    Sending,
    Sent,
    Failed,
    Deferred,
    Unknown,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Queued,
        State::Sending,
        State::Sent,
        State::Failed,
        State::Deferred,
        State::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Failed => "failed",
            State::Deferred => "deferred",
            State::Unknown => "unknown",
        }
    }

    pub(super) fn parse(s: &str) -> State {
        State::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .unwrap_or(State::Unknown)
    }
}

/// One recipient's record for one edition.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub email: String,
    pub state: State,
    pub attempts: u32,
    pub code: Option<u16>,
    pub reply: Option<String>,
    pub message_id: Option<String>,
    /// Unix seconds.
    pub updated: i64,
    pub next_attempt: Option<i64>,
}

/// One run of `send`: unix seconds, and the summary it ended with (none if it was killed).
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub started: i64,
    pub finished: Option<i64>,
    pub summary: Option<String>,
}

/// How one attempt ended, as the ledger records it.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent {
        reply: String,
        message_id: String,
    },
    Failed {
        code: Option<u16>,
        reply: String,
    },
    Deferred {
        code: Option<u16>,
        reply: String,
        next_attempt: i64,
    },
    /// The server may or may not have taken the message (e.g. no reply after the data).
    Unknown {
        reply: String,
    },
}

/// Which recipients a send takes again although an earlier run left an outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Again {
    /// Try permanent failures again (`--retry-failed`).
    pub failed: bool,
    /// Send again where the outcome is unknown (`--resend-unknown`): they may get it twice.
    pub unknown: bool,
}

/// One write.
#[derive(Debug, Clone)]
pub enum Op {
    /// The transaction for `email` is about to start: the recipient is claimed for this run.
    ///
    /// The claim takes the row only when no sender has it (`sending`), it is not `sent`, the
    /// address is not suppressed, and it is not `failed` or `unknown` unless `again` says so.
    /// Otherwise nothing changes and the write reports the recipient taken: another sender
    /// of the edition (`send --join`) has it, or the reader withdrew since the run began.
    Begin {
        edition: String,
        email: String,
        run: i64,
        /// The token of the bounce address this message is sent from (VERP), if any.
        verp: Option<String>,
        again: Again,
    },
    Finish {
        edition: String,
        email: String,
        outcome: Outcome,
    },
    /// No edition is sent to this address again (a refusal that says it is dead).
    Suppress(Suppression),
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The key under which an address is recorded: one per mailbox, however it is spelt (see
/// [`crate::address::key`]).
pub fn key(email: &str) -> String {
    crate::address::key(email)
}

/// A time of the ledger (unix seconds) as RFC 3339, in UTC.
pub fn time(secs: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Why an address is suppressed, beyond its source: the report that said so.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Evidence {
    /// The edition the report was about.
    pub edition: Option<String>,
    /// Its status code, e.g. `5.1.1`.
    pub status: Option<String>,
    /// The server's words, or the complaint's feedback type.
    pub diagnostic: Option<String>,
}

/// One suppressed address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suppression {
    pub email: String,
    /// Unix seconds.
    pub at: i64,
    /// `bounce`, `complaint`, `mailto`, `web`, `one-click`, `staff` or `import`.
    pub source: String,
    pub evidence: Evidence,
}
