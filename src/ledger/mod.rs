//! The send record: one row per edition and recipient in a SQLite file, written durably.
//!
//! A row goes `queued → sending → sent | failed | deferred`. It is marked `sending` (and
//! committed) before its SMTP transaction starts, and its outcome is committed as soon as the
//! server answers; a worker starts its next message only after that commit. So after a crash at
//! most one row per connection is left in `sending`: the next run reports those as `unknown`
//! and does not send them again unless asked to.
//!
//! Writes go through one thread that owns a connection and commits whatever the workers have
//! asked for in one transaction (group commit): one fsync serves every connection.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, params};

mod returns;

pub use returns::{Evidence, Listed, Return, ReturnCounts, ReturnVerdict, Suppression};
use tokio::sync::oneshot;

/// A set of addresses as [`key`]s.
pub type KeySet = std::collections::HashSet<String>;

/// Where the ledger is when neither `--ledger` nor `COURANT_LEDGER` says: `courant.sqlite` in
/// `dir`, the newsletter's folder (the one with `newsletter.toml` and the editions). Every
/// command uses this one rule, so they all find the same record.
pub fn default_location(dir: &Path) -> PathBuf {
    dir.join("courant.sqlite")
}

#[derive(Debug, thiserror::Error)]
#[error("ledger `{}`: {source}", crate::diagnostic::display_path(path))]
pub struct LedgerError {
    path: PathBuf,
    source: rusqlite::Error,
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

    fn parse(s: &str) -> State {
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

/// One write.
#[derive(Debug, Clone)]
pub enum Op {
    /// The transaction for `email` is about to start.
    Begin {
        edition: String,
        email: String,
        run: i64,
        /// The token of the bounce address this message is sent from (VERP), if any.
        verp: Option<String>,
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

/// The key under which an address is recorded: addresses compare case-insensitively.
pub fn key(email: &str) -> String {
    email.to_lowercase()
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    edition TEXT NOT NULL,
    started INTEGER NOT NULL,
    finished INTEGER,
    pid INTEGER NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
    edition TEXT NOT NULL,
    email TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','failed','deferred','unknown')),
    attempts INTEGER NOT NULL DEFAULT 0,
    code INTEGER,
    reply TEXT,
    message_id TEXT,
    next_attempt INTEGER,
    updated INTEGER NOT NULL,
    sent_at INTEGER,
    run INTEGER REFERENCES runs(id),
    PRIMARY KEY (edition, email)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS suppressions (
    email TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    source TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_sent_at ON deliveries(sent_at) WHERE sent_at IS NOT NULL;
";

/// Brings a ledger written by an earlier version up to date: columns added since.
fn migrate(conn: &Connection) -> Result<(), rusqlite::Error> {
    let has = |table: &str, column: &str| -> Result<bool, rusqlite::Error> {
        let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
        let names = stmt.query_map([], |r| r.get::<_, String>(1))?;
        Ok(names.filter_map(Result::ok).any(|n| n == column))
    };
    if !has("deliveries", "verp")? {
        conn.execute_batch("ALTER TABLE deliveries ADD COLUMN verp TEXT")?;
    }
    for column in ["edition", "status", "diagnostic"] {
        if !has("suppressions", column)? {
            conn.execute_batch(&format!(
                "ALTER TABLE suppressions ADD COLUMN {column} TEXT"
            ))?;
        }
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS deliveries_verp ON deliveries(verp) WHERE verp IS NOT NULL;
         CREATE INDEX IF NOT EXISTS deliveries_message_id ON deliveries(message_id)
             WHERE message_id IS NOT NULL;",
    )
}

/// An open ledger file.
pub struct Ledger {
    path: PathBuf,
    conn: Connection,
}

fn open_connection(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a committed outcome survives a power cut, not only a crash of courant.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(returns::SCHEMA)?;
    migrate(&conn)?;
    Ok(conn)
}

impl Ledger {
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let conn = open_connection(path).map_err(|source| LedgerError {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Ledger {
            path: path.to_path_buf(),
            conn,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> LedgerError {
        LedgerError {
            path: self.path.clone(),
            source,
        }
    }

    /// Every row of an edition, by address key.
    pub fn rows(&self, edition: &str) -> Result<HashMap<String, Row>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT email, state, attempts, code, reply, message_id, updated, next_attempt
                 FROM deliveries WHERE edition = ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([edition], |r| {
                Ok(Row {
                    email: r.get(0)?,
                    state: State::parse(&r.get::<_, String>(1)?),
                    attempts: r.get(2)?,
                    code: r.get(3)?,
                    reply: r.get(4)?,
                    message_id: r.get(5)?,
                    updated: r.get(6)?,
                    next_attempt: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.map(|r| r.map(|row| (row.email.clone(), row)))
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// The state of every recipient of an edition, by address key: what a plan needs, in a
    /// fraction of the memory of [`Ledger::rows`].
    pub fn states(&self, edition: &str) -> Result<HashMap<String, State>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT email, state FROM deliveries WHERE edition = ?1")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([edition], |r| {
                Ok((r.get(0)?, State::parse(&r.get::<_, String>(1)?)))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Rows left in `sending` by a run that did not finish become `unknown`. Call only while
    /// holding the edition's send lock. Returns how many.
    pub fn mark_unknown(&self, edition: &str) -> Result<usize, LedgerError> {
        self.conn
            .execute(
                "UPDATE deliveries SET state = 'unknown', reply = 'the run stopped during this message; the server may have accepted it', updated = ?2
                 WHERE edition = ?1 AND state = 'sending'",
                params![edition, now()],
            )
            .map_err(|e| self.err(e))
    }

    /// Messages accepted by the server since `since` (unix seconds), over all editions.
    pub fn sent_since(&self, since: i64) -> Result<u64, LedgerError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM deliveries WHERE sent_at >= ?1",
                [since],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    pub fn start_run(&self, edition: &str) -> Result<i64, LedgerError> {
        self.conn
            .execute(
                "INSERT INTO runs (edition, started, pid) VALUES (?1, ?2, ?3)",
                params![edition, now(), std::process::id()],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_run(&self, run: i64, summary: &str) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "UPDATE runs SET finished = ?2, summary = ?3 WHERE id = ?1",
                params![run, now(), summary],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The runs of an edition, oldest first.
    pub fn runs(&self, edition: &str) -> Result<Vec<RunRecord>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT started, finished, summary FROM runs WHERE edition = ?1 ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([edition], |r| {
                Ok(RunRecord {
                    started: r.get(0)?,
                    finished: r.get(1)?,
                    summary: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Adds an address to the suppression list; `false` when it was there already (the first
    /// time and source are kept).
    pub fn suppress(&self, email: &str, source: &str, at: i64) -> Result<bool, LedgerError> {
        let suppression = Suppression {
            email: email.to_owned(),
            at,
            source: source.to_owned(),
            evidence: Evidence::default(),
        };
        insert_suppression(&self.conn, &suppression).map_err(|e| self.err(e))
    }

    /// Every suppressed address with its time, source and evidence, in address order.
    pub fn suppressions(&self) -> Result<Vec<Suppression>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT email, at, source, edition, status, diagnostic FROM suppressions
                 ORDER BY email",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Suppression {
                    email: r.get(0)?,
                    at: r.get(1)?,
                    source: r.get(2)?,
                    evidence: Evidence {
                        edition: r.get(3)?,
                        status: r.get(4)?,
                        diagnostic: r.get(5)?,
                    },
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Whether `email` is suppressed.
    pub fn is_suppressed(&self, email: &str) -> Result<bool, LedgerError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM suppressions WHERE email = ?1",
                [key(email)],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// The suppressed addresses, as keys.
    pub fn suppressed(&self) -> Result<KeySet, LedgerError> {
        Ok(self.suppressions()?.into_iter().map(|s| s.email).collect())
    }

    /// Starts the thread that applies writes for the send loop.
    pub fn writer(&self) -> Result<Writer, LedgerError> {
        let conn = open_connection(&self.path).map_err(|e| self.err(e))?;
        let (tx, rx) = mpsc::channel::<Request>();
        let path = self.path.clone();
        let file = FileId::of(&path).map_err(|e| LedgerError {
            path: path.clone(),
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        })?;
        let thread_path = path.clone();
        std::thread::Builder::new()
            .name("ledger".into())
            .spawn(move || write_loop(conn, &thread_path, file, &rx))
            .map_err(|e| LedgerError {
                path,
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        Ok(Writer { tx })
    }

    /// Applies writes directly (for tests and single writes).
    pub fn apply(&mut self, ops: &[Op]) -> Result<(), LedgerError> {
        let tx = self.conn.transaction().map_err(|e| LedgerError {
            path: self.path.clone(),
            source: e,
        })?;
        for op in ops {
            apply(&tx, op).map_err(|e| LedgerError {
                path: self.path.clone(),
                source: e,
            })?;
        }
        tx.commit().map_err(|e| LedgerError {
            path: self.path.clone(),
            source: e,
        })
    }
}

struct Request {
    ops: Vec<Op>,
    done: oneshot::Sender<Result<(), WriteError>>,
}

/// Why a write of the send loop was not committed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Commit(Arc<LedgerError>),
    #[error("the ledger writer has stopped")]
    Stopped,
    #[error("the ledger file `{0}` was deleted or replaced during the send")]
    Replaced(String),
}

/// A handle for the send loop's workers; clones share the one writer thread.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Request>,
}

impl Writer {
    /// Applies `ops` in one transaction with whatever else is waiting, and returns once it is
    /// committed.
    pub async fn write(&self, ops: Vec<Op>) -> Result<(), WriteError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Request { ops, done })
            .map_err(|_| WriteError::Stopped)?;
        wait.await.map_err(|_| WriteError::Stopped)?
    }
}

/// Which file a path names: the same path can come to name another file (deleted and made
/// again, replaced by a copy) while a send writes to the one it opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    device: u64,
    inode: u64,
}

impl FileId {
    fn of(path: &Path) -> std::io::Result<FileId> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path)?;
        Ok(FileId {
            device: meta.dev(),
            inode: meta.ino(),
        })
    }
}

fn write_loop(mut conn: Connection, path: &Path, file: FileId, rx: &mpsc::Receiver<Request>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        // Writing on into a file that is no longer the ledger would lose every record.
        let result = if FileId::of(path).ok() == Some(file) {
            commit(&mut conn, &batch).map_err(|source| {
                WriteError::Commit(Arc::new(LedgerError {
                    path: path.to_path_buf(),
                    source,
                }))
            })
        } else {
            Err(WriteError::Replaced(crate::diagnostic::display_path(path)))
        };
        for request in batch {
            let _ = request.done.send(result.clone());
        }
    }
}

fn commit(conn: &mut Connection, batch: &[Request]) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for op in batch.iter().flat_map(|r| &r.ops) {
        apply(&tx, op)?;
    }
    tx.commit()
}

/// Adds a suppression unless the address has one; true when it was added. The first reason
/// stays: when someone withdrew consent, and how, is the record that matters.
fn insert_suppression(conn: &Connection, s: &Suppression) -> Result<bool, rusqlite::Error> {
    conn.execute(
        "INSERT INTO suppressions (email, at, source, edition, status, diagnostic)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (email) DO NOTHING",
        params![
            key(&s.email),
            s.at,
            s.source,
            s.evidence.edition,
            s.evidence.status,
            s.evidence.diagnostic
        ],
    )
    .map(|n| n == 1)
}

fn apply(tx: &rusqlite::Transaction, op: &Op) -> Result<(), rusqlite::Error> {
    let now = now();
    match op {
        Op::Begin {
            edition,
            email,
            run,
            verp,
        } => tx
            .prepare_cached(
                "INSERT INTO deliveries (edition, email, state, attempts, updated, run, verp)
             VALUES (?1, ?2, 'sending', 1, ?3, ?4, ?5)
             ON CONFLICT (edition, email) DO UPDATE SET
                state = 'sending', attempts = attempts + 1, updated = ?3, run = ?4,
                next_attempt = NULL, verp = ?5",
            )?
            .execute(params![edition, email, now, run, verp])?,
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
            tx.prepare_cached(
                "UPDATE deliveries SET state = ?3, code = ?4, reply = ?5, message_id = ?6, next_attempt = ?7,
                    sent_at = ?8, updated = ?9
                 WHERE edition = ?1 AND email = ?2",
            )?
            .execute(params![edition, email, state, code, reply, message_id, next, sent_at, now])?
        }
        Op::Suppress(suppression) => usize::from(insert_suppression(tx, suppression)?),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn begin(email: &str) -> Op {
        Op::Begin {
            edition: "e".into(),
            email: email.into(),
            run: 1,
            verp: None,
        }
    }

    #[test]
    fn a_row_goes_from_sending_to_its_outcome() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
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
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
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
