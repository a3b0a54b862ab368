//! The writer of the send loop: one thread that owns a connection and commits whatever the
//! workers have asked for in one transaction (group commit), so one fsync serves every
//! connection; it stops writing when the ledger file it opened is no longer the ledger.

use std::sync::{Arc, mpsc};

use tokio::sync::oneshot;

use super::db::Conn;
use super::deliveries;
use super::integrity::{Change, Watch};
use super::location::Location;
use super::record::{Op, now};
use super::schema::open_connection;
use super::store::{Ledger, LedgerError};
use super::value::DbError;

impl Ledger {
    /// Starts the thread that applies writes for the send loop.
    pub fn writer(&self) -> Result<Writer, LedgerError> {
        let conn = open_connection(&self.location).map_err(|e| self.err(e))?;
        let (tx, rx) = mpsc::channel::<Request>();
        let failed = |e: std::io::Error| self.err(DbError::Other(e.to_string()));
        let file = match &self.location {
            Location::File(path) => Some(Watch::new(path).map_err(failed)?),
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
    #[error("the ledger file `{0}` was emptied or damaged during the send")]
    Damaged(String),
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

fn write_loop(
    mut conn: Conn,
    location: &Location,
    mut file: Option<Watch>,
    rx: &mpsc::Receiver<Request>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        // Writing on into a file that is no longer the ledger would lose every record.
        let result = match file.as_mut().and_then(Watch::change) {
            Some(Change::Replaced) => Err(WriteError::Replaced(location.to_string())),
            Some(Change::Damaged) => Err(WriteError::Damaged(location.to_string())),
            None => commit_again_on_conflict(&mut conn, &batch)
                .map_err(|source| WriteError::Commit(Arc::new(LedgerError::new(location, source)))),
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

/// Tries for a conflict with another sender's transaction.
const CONFLICT_ATTEMPTS: u32 = 8;

/// [`commit`], run again when PostgreSQL ended it for a conflict with another sender of the
/// edition (`send --join`): the transaction left nothing behind, so the same batch is simply
/// tried again, a little later each time.
fn commit_again_on_conflict(conn: &mut Conn, batch: &[Request]) -> Result<Vec<Claim>, DbError> {
    let mut attempt = 1;
    loop {
        match commit(conn, batch) {
            Err(e) if e.conflict() && attempt < CONFLICT_ATTEMPTS => {
                std::thread::sleep(std::time::Duration::from_millis(10 << attempt));
                attempt += 1;
            }
            result => return result,
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
    let changed = conn.execute_all(
        ops.iter()
            .map(|(_, op)| deliveries::statement(op, now))
            .collect(),
    )?;
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

fn apply(tx: &mut Conn, op: &Op) -> Result<(), DbError> {
    let (sql, params) = deliveries::statement(op, now());
    tx.execute(sql, &params).map(drop)
}
