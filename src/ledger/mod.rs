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

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::{SystemTime, UNIX_EPOCH};

mod copy;
mod db;
mod location;
mod pg;
mod returns;

pub use copy::{CopyError, Counts};
use db::{Conn, DbError, Value, params};
pub use location::{Location, PgTarget, PgTls};

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
#[error("ledger `{ledger}`: {source}")]
pub struct LedgerError {
    /// The ledger as shown: a path, or a database URL without its password.
    ledger: String,
    source: DbError,
}

impl LedgerError {
    fn new(location: &Location, source: DbError) -> Self {
        LedgerError {
            ledger: location.to_string(),
            source,
        }
    }
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

/// The same tables on PostgreSQL, with every column as it is after [`migrate`].
const PG_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS courant_schema (version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS send_locks (
    edition TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    since BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    edition TEXT NOT NULL,
    started BIGINT NOT NULL,
    finished BIGINT,
    pid BIGINT NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
    edition TEXT NOT NULL,
    email TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','failed','deferred','unknown')),
    attempts BIGINT NOT NULL DEFAULT 0,
    code BIGINT,
    reply TEXT,
    message_id TEXT,
    next_attempt BIGINT,
    updated BIGINT NOT NULL,
    sent_at BIGINT,
    run BIGINT REFERENCES runs(id),
    verp TEXT,
    PRIMARY KEY (edition, email)
);
CREATE TABLE IF NOT EXISTS suppressions (
    email TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    source TEXT NOT NULL,
    edition TEXT,
    status TEXT,
    diagnostic TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_sent_at ON deliveries(sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_verp ON deliveries(verp) WHERE verp IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_message_id ON deliveries(message_id)
    WHERE message_id IS NOT NULL;
";

/// Brings a ledger written by an earlier version up to date: columns added since.
fn migrate(conn: &mut Conn) -> Result<(), DbError> {
    let mut has = |table: &str, column: &str| -> Result<bool, DbError> {
        let columns = conn.query(&format!("PRAGMA table_info({table})"), &[])?;
        Ok(columns
            .iter()
            .any(|c| c.get::<String>(1).is_ok_and(|n| n == column)))
    };
    let verp = has("deliveries", "verp")?;
    let mut missing = Vec::new();
    for column in ["edition", "status", "diagnostic"] {
        if !has("suppressions", column)? {
            missing.push(column);
        }
    }
    if !verp {
        conn.batch("ALTER TABLE deliveries ADD COLUMN verp TEXT")?;
    }
    for column in missing {
        conn.batch(&format!(
            "ALTER TABLE suppressions ADD COLUMN {column} TEXT"
        ))?;
    }
    conn.batch(
        "CREATE INDEX IF NOT EXISTS deliveries_verp ON deliveries(verp) WHERE verp IS NOT NULL;
         CREATE INDEX IF NOT EXISTS deliveries_message_id ON deliveries(message_id)
             WHERE message_id IS NOT NULL;",
    )
}

/// The version of the ledger's tables this build writes. A ledger with a newer one was
/// written by a newer courant and is refused rather than misread.
const SCHEMA_VERSION: i64 = 1;

/// An open ledger: a SQLite file or a PostgreSQL database.
pub struct Ledger {
    location: Location,
    conn: RefCell<Conn>,
}

fn open_connection(location: &Location) -> Result<Conn, DbError> {
    match location {
        Location::File(path) => open_sqlite(path),
        Location::Postgres(target) => {
            let mut conn = Conn::Postgres(pg::PgConn::connect(target)?);
            conn.transaction(true, |tx| {
                // Two machines opening a new database at once must not both create tables.
                tx.batch("SELECT pg_advisory_xact_lock(4711000)")?;
                tx.batch(PG_SCHEMA)?;
                tx.batch(returns::PG_SCHEMA)?;
                check_version(tx, "SELECT max(version) FROM courant_schema", |tx| {
                    tx.execute(
                        "INSERT INTO courant_schema (version) VALUES (?1)",
                        params![SCHEMA_VERSION],
                    )
                    .map(drop)
                })
            })?;
            Ok(conn)
        }
    }
}

fn open_sqlite(path: &Path) -> Result<Conn, DbError> {
    let sqlite = rusqlite::Connection::open(path)?;
    sqlite.busy_timeout(std::time::Duration::from_secs(10))?;
    sqlite.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a committed outcome survives a power cut, not only a crash of courant.
    sqlite.pragma_update(None, "synchronous", "FULL")?;
    let mut conn = Conn::Sqlite(sqlite);
    conn.batch(SCHEMA)?;
    conn.batch(returns::SCHEMA)?;
    migrate(&mut conn)?;
    check_version(&mut conn, "PRAGMA user_version", |c| {
        c.batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
    })?;
    Ok(conn)
}

/// Refuses a ledger written by a newer courant; records this version on an older one.
fn check_version(
    conn: &mut Conn,
    read: &str,
    write: impl FnOnce(&mut Conn) -> Result<(), DbError>,
) -> Result<(), DbError> {
    let found: Option<i64> = conn.query_value(read, &[])?;
    match found.unwrap_or(0) {
        v if v > SCHEMA_VERSION => Err(DbError::Other(format!(
            "its tables are of version {v}, written by a newer courant (this one knows \
             {SCHEMA_VERSION}); update courant on this machine"
        ))),
        v if v < SCHEMA_VERSION => write(conn),
        _ => Ok(()),
    }
}

impl Ledger {
    /// Opens (and creates, or brings up to date) the ledger at `location`.
    pub fn open(location: impl Into<Location>) -> Result<Ledger, LedgerError> {
        let location = location.into();
        let conn = open_connection(&location).map_err(|e| LedgerError::new(&location, e))?;
        Ok(Ledger {
            location,
            conn: RefCell::new(conn),
        })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    fn err(&self, source: DbError) -> LedgerError {
        LedgerError::new(&self.location, source)
    }

    /// Runs `f` on the connection, naming the ledger in its error.
    ///
    /// A PostgreSQL connection that was lost (the server restarted, the network dropped) is
    /// opened again once and `f` run again: every statement of the ledger is safe to repeat
    /// after a failure (a transaction either committed or left nothing), and a server such as
    /// `serve-unsubscribe` outlives a database restart.
    fn with<T>(&self, f: impl Fn(&mut Conn) -> Result<T, DbError>) -> Result<T, LedgerError> {
        let mut conn = self.conn.borrow_mut();
        match f(&mut conn) {
            Err(e) if e.connection_lost() && matches!(*conn, Conn::Postgres(_)) => {
                *conn = open_connection(&self.location).map_err(|e| self.err(e))?;
                f(&mut conn).map_err(|e| self.err(e))
            }
            result => result.map_err(|e| self.err(e)),
        }
    }

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

    pub fn start_run(&self, edition: &str) -> Result<i64, LedgerError> {
        self.with(|c| {
            c.query_value(
                "INSERT INTO runs (edition, started, pid) VALUES (?1, ?2, ?3) RETURNING id",
                params![edition, now(), std::process::id()],
            )
        })
    }

    pub fn finish_run(&self, run: i64, summary: &str) -> Result<(), LedgerError> {
        self.with(|c| {
            c.execute(
                "UPDATE runs SET finished = ?2, summary = ?3 WHERE id = ?1",
                params![run, now(), summary],
            )
        })
        .map(drop)
    }

    /// The runs of an edition, oldest first.
    pub fn runs(&self, edition: &str) -> Result<Vec<RunRecord>, LedgerError> {
        self.with(|c| {
            c.query(
                "SELECT started, finished, summary FROM runs WHERE edition = ?1 ORDER BY id",
                params![edition],
            )?
            .into_iter()
            .map(|r| {
                Ok(RunRecord {
                    started: r.get(0)?,
                    finished: r.get(1)?,
                    summary: r.get(2)?,
                })
            })
            .collect()
        })
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
        self.with(|c| insert_suppression(c, &suppression))
    }

    /// Every suppressed address with its time, source and evidence, in address order.
    pub fn suppressions(&self) -> Result<Vec<Suppression>, LedgerError> {
        self.with(|c| {
            c.query(
                "SELECT email, at, source, edition, status, diagnostic FROM suppressions
                 ORDER BY email",
                &[],
            )?
            .into_iter()
            .map(|r| {
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
            .collect()
        })
    }

    /// Whether `email` is suppressed.
    pub fn is_suppressed(&self, email: &str) -> Result<bool, LedgerError> {
        self.with(|c| {
            c.query_value::<i64>(
                "SELECT COUNT(*) FROM suppressions WHERE email = ?1",
                params![key(email)],
            )
        })
        .map(|n| n > 0)
    }

    /// The suppressed addresses, as keys.
    pub fn suppressed(&self) -> Result<KeySet, LedgerError> {
        Ok(self.suppressions()?.into_iter().map(|s| s.email).collect())
    }

    /// Starts the thread that applies writes for the send loop.
    pub fn writer(&self) -> Result<Writer, LedgerError> {
        let conn = open_connection(&self.location).map_err(|e| self.err(e))?;
        let (tx, rx) = mpsc::channel::<Request>();
        let failed = |e: std::io::Error| self.err(DbError::Other(e.to_string()));
        let file = match &self.location {
            Location::File(path) => Some((path.clone(), FileId::of(path).map_err(failed)?)),
            Location::Postgres(_) => None,
        };
        let location = self.location.clone();
        std::thread::Builder::new()
            .name("ledger".into())
            .spawn(move || write_loop(conn, &location, file, &rx))
            .map_err(failed)?;
        Ok(Writer { tx })
    }

    /// Applies writes directly (for tests and single writes).
    pub fn apply(&mut self, ops: &[Op]) -> Result<(), LedgerError> {
        self.with(|c| c.transaction(false, |tx| ops.iter().try_for_each(|op| apply(tx, op))))
    }
}

/// Who holds the send lock of an edition on a shared ledger.
#[derive(Debug, Clone)]
pub struct Holder {
    pub host: String,
    pub pid: i64,
    /// Unix seconds.
    pub since: i64,
    /// The holders are `send --join` runs, which another `send --join` may join.
    pub joinable: bool,
}

impl Ledger {
    /// Takes the send lock of `edition` on a PostgreSQL ledger for as long as this connection
    /// lives (a process that dies, or loses its connection, releases it), and notes who holds
    /// it; or says who does. `shared` takes it beside other `send --join` runs; otherwise it is
    /// taken only when no run of the edition holds it. A SQLite ledger is locked by its file
    /// instead (`cmd::lock`).
    pub fn try_lock_sends(
        &self,
        edition: &str,
        shared: bool,
    ) -> Result<Result<(), Holder>, LedgerError> {
        let host = hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.with(|c| {
            let name = send_lock_name(edition);
            let try_lock = if shared {
                "SELECT pg_try_advisory_lock_shared(hashtext(?1))"
            } else {
                "SELECT pg_try_advisory_lock(hashtext(?1))"
            };
            if c.query_value::<bool>(try_lock, params![&name])? {
                c.execute(
                    "INSERT INTO send_locks (edition, host, pid, since) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (edition) DO UPDATE SET host = ?2, pid = ?3, since = ?4",
                    params![edition, &host, std::process::id(), now()],
                )?;
                return Ok(Ok(()));
            }
            // Held: by `send --join` runs if a shared lock can be had beside them.
            let joinable = !shared
                && c.query_value::<bool>(
                    "SELECT pg_try_advisory_lock_shared(hashtext(?1))",
                    params![&name],
                )?;
            if joinable {
                c.query_value::<bool>(
                    "SELECT pg_advisory_unlock_shared(hashtext(?1))",
                    params![&name],
                )?;
            }
            let holder = c.query_opt(
                "SELECT host, pid, since FROM send_locks WHERE edition = ?1",
                params![edition],
            )?;
            Ok(Err(match holder {
                Some(r) => Holder {
                    host: r.get(0)?,
                    pid: r.get(1)?,
                    since: r.get(2)?,
                    joinable,
                },
                None => Holder {
                    host: String::new(),
                    pid: 0,
                    since: 0,
                    joinable,
                },
            }))
        })
    }

    /// Turns the exclusive send lock of `edition` taken by [`Ledger::try_lock_sends`] into a
    /// shared one, so that `send --join` runs started later can join this one.
    pub fn share_sends(&self, edition: &str) -> Result<(), LedgerError> {
        self.with(|c| {
            let name = send_lock_name(edition);
            c.query_value::<bool>(
                "SELECT pg_try_advisory_lock_shared(hashtext(?1))",
                params![&name],
            )?;
            c.query_value::<bool>("SELECT pg_advisory_unlock(hashtext(?1))", params![&name])?;
            Ok(())
        })
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

fn send_lock_name(edition: &str) -> String {
    format!("courant send {edition}")
}

struct Request {
    ops: Vec<Op>,
    done: oneshot::Sender<Result<Claim, WriteError>>,
}

/// Whether a write's [`Op::Begin`] claimed its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Claimed, or the write had no `Begin`.
    Taken,
    /// Another sender has the recipient, or it was sent, failed or suppressed meanwhile:
    /// do not send.
    Refused,
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
    /// committed, with whether its `Begin` (if any) claimed the recipient.
    pub async fn write(&self, ops: Vec<Op>) -> Result<Claim, WriteError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Request { ops, done })
            .map_err(|_| WriteError::Stopped)?;
        wait.await.map_err(|_| WriteError::Stopped)?
    }
}

/// Which file a path names: the same path can come to name another file (deleted and made
/// again, replaced by a copy) while a send writes to the one it opened. The device and inode
/// on Unix, the volume and file index on Windows (same-file).
#[derive(Debug, PartialEq, Eq)]
struct FileId(same_file::Handle);

impl FileId {
    fn of(path: &Path) -> std::io::Result<FileId> {
        same_file::Handle::from_path(path).map(FileId)
    }
}

fn write_loop(
    mut conn: Conn,
    location: &Location,
    file: Option<(PathBuf, FileId)>,
    rx: &mpsc::Receiver<Request>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        // Writing on into a file that is no longer the ledger would lose every record.
        let replaced = file
            .as_ref()
            .is_some_and(|(path, id)| FileId::of(path).ok().as_ref() != Some(id));
        let result = if replaced {
            Err(WriteError::Replaced(location.to_string()))
        } else {
            commit(&mut conn, &batch)
                .map_err(|source| WriteError::Commit(Arc::new(LedgerError::new(location, source))))
        };
        match result {
            Ok(claims) => {
                for (request, claim) in batch.into_iter().zip(claims) {
                    let _ = request.done.send(Ok(claim));
                }
            }
            Err(e) => {
                for request in batch {
                    let _ = request.done.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Commits every request of `batch` in one transaction; each request's claim.
///
/// The statements run in the order of the rows they lock, not in the order they came: two
/// senders of one edition (`send --join`) then never wait for each other's rows in opposite
/// orders, which PostgreSQL would end by aborting one of them as a deadlock.
fn commit(conn: &mut Conn, batch: &[Request]) -> Result<Vec<Claim>, DbError> {
    let now = now();
    let mut ops: Vec<(usize, &Op)> = batch
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.ops.iter().map(move |op| (i, op)))
        .collect();
    ops.sort_by(|a, b| a.1.row().cmp(&b.1.row()));
    let changed = conn.execute_all(ops.iter().map(|(_, op)| statement(op, now)).collect())?;
    let mut claims = vec![Claim::Taken; batch.len()];
    for ((request, op), n) in ops.iter().zip(changed) {
        if matches!(op, Op::Begin { .. }) && n == 0 {
            claims[*request] = Claim::Refused;
        }
    }
    Ok(claims)
}

impl Op {
    /// The row this write locks: table, then key.
    fn row(&self) -> (u8, &str, &str) {
        match self {
            Op::Begin { edition, email, .. } | Op::Finish { edition, email, .. } => {
                (0, edition, email)
            }
            Op::Suppress(s) => (1, "", &s.email),
        }
    }
}

const INSERT_SUPPRESSION: &str =
    "INSERT INTO suppressions (email, at, source, edition, status, diagnostic)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (email) DO NOTHING";

fn suppression_params(s: &Suppression) -> Vec<Value> {
    params![
        key(&s.email),
        s.at,
        &s.source,
        &s.evidence.edition,
        &s.evidence.status,
        &s.evidence.diagnostic
    ]
    .to_vec()
}

/// Adds a suppression unless the address has one; true when it was added. The first reason
/// stays: when someone withdrew consent, and how, is the record that matters.
fn insert_suppression(conn: &mut Conn, s: &Suppression) -> Result<bool, DbError> {
    conn.execute(INSERT_SUPPRESSION, &suppression_params(s))
        .map(|n| n == 1)
}

fn apply(tx: &mut Conn, op: &Op) -> Result<(), DbError> {
    let (sql, params) = statement(op, now());
    tx.execute(sql, &params).map(drop)
}

/// The statement that records `op`.
fn statement(op: &Op, now: i64) -> (&'static str, Vec<Value>) {
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
        Op::Suppress(suppression) => (INSERT_SUPPRESSION, suppression_params(suppression)),
    }
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
