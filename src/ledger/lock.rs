//! One `send` at a time per edition and ledger, or several that agreed to share it
//! (`send --join`).
//!
//! On a SQLite ledger the lock is a BSD `flock` on the ledger's database file itself. Locking
//! the file, not its name, means a second path to the same ledger (a symlink, a hard link,
//! another mount point) finds it taken. The operating system releases the lock when the
//! process ends, however it ends, so a crashed run never blocks the next one. It does not
//! interfere with SQLite's own POSIX locks on the same file, and is released only after every
//! SQLite connection of the run is closed. On Windows a lock on a file blocks every other
//! handle's reads and writes of it, SQLite's included, so there the lock is on a file beside
//! the ledger (`courant.sqlite-sendlock`). On PostgreSQL it is an advisory lock held by a
//! connection of the run, released by the server when that connection ends.
//!
//! A plain `send` takes the lock exclusively. `send --join` takes it exclusively too when no
//! one else holds it, long enough to mark what a stopped run left `sending` as `unknown` —
//! rows no live sender owns — then shares it; a joiner that finds others running leaves their
//! `sending` rows alone.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Location;
use super::record::{now, time};
use super::store::{Ledger, LedgerError};
use super::value::params;
use crate::diagnostic::display_path;

/// Why the send lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it, or it cannot be had; the message says who and what to do.
    #[error("{0}")]
    Refused(String),
    /// The ledger's folder could not be made.
    #[error("cannot create `{}`: {source}", display_path(path))]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// How long `send --join` waits while another run holds the lock alone — a joiner that is
/// starting does, for a moment — before it takes the holder for a plain `send` and gives up.
const JOIN_WAIT: Duration = Duration::from_secs(5);
const JOIN_RETRY: Duration = Duration::from_millis(50);

/// Held while a `send` runs; dropping it (or the process ending) releases it.
pub struct EditionLock {
    holds: Holds,
    edition: String,
    /// No other run of the edition holds the lock: `sending` rows are left from a stopped run.
    alone: bool,
}

/// What keeps the lock: the locked file, or the database connection that holds the advisory
/// lock.
enum Holds {
    File(File),
    Database(Box<Ledger>),
}

impl EditionLock {
    /// Takes the send lock of `edition` on the ledger at `location` — beside other
    /// `send --join` runs when `join` — or says who holds it.
    pub fn take(location: &Location, edition: &str, join: bool) -> Result<Self, LockError> {
        let Location::Postgres(_) = location else {
            let path = location.file().unwrap_or(Path::new(""));
            let (file, alone) = lock_file(path, join)?;
            return Ok(EditionLock {
                holds: Holds::File(file),
                edition: edition.to_owned(),
                alone,
            });
        };
        let ledger = Ledger::open(location.clone())?;
        let deadline = Instant::now() + JOIN_WAIT;
        let alone = loop {
            match ledger.try_lock_sends(edition, false)? {
                Ok(()) => break true,
                Err(holder) if join => {
                    if ledger.try_lock_sends(edition, true)?.is_ok() {
                        break false;
                    }
                    if Instant::now() >= deadline {
                        return Err(held(location, edition, &holder, join));
                    }
                    std::thread::sleep(JOIN_RETRY);
                }
                Err(holder) => return Err(held(location, edition, &holder, join)),
            }
        };
        Ok(EditionLock {
            holds: Holds::Database(Box::new(ledger)),
            edition: edition.to_owned(),
            alone,
        })
    }

    /// Whether this run holds the lock alone, so rows left `sending` belong to no live run.
    pub fn alone(&self) -> bool {
        self.alone
    }

    /// Lets `send --join` runs started from now on join this one.
    pub fn share(&mut self) -> Result<(), LockError> {
        match &self.holds {
            Holds::Database(ledger) => ledger.share_sends(&self.edition)?,
            Holds::File(file) => {
                // flock turns an exclusive lock into a shared one; Windows would stack the two.
                if cfg!(windows) {
                    let _ = file.unlock();
                }
                match file.try_lock_shared() {
                    Ok(()) => {}
                    Err(TryLockError::WouldBlock) => {
                        return Err(LockError::Refused(
                            "a `courant send` took the ledger while this one started; \
                             wait for it to finish, or stop it"
                                .into(),
                        ));
                    }
                    Err(TryLockError::Error(e)) => {
                        return Err(LockError::Refused(format!(
                            "cannot share the ledger's lock: {e}"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The refusal when `holder` has the lock.
fn held(location: &Location, edition: &str, holder: &Holder, join: bool) -> LockError {
    let what = if join {
        "a `courant send` (without --join)"
    } else if holder.joinable {
        "`courant send --join`"
    } else {
        "another `courant send`"
    };
    let remedy = if holder.joinable && !join {
        "add --join to send beside it, or wait for it to finish"
    } else {
        "wait for it to finish, or stop it"
    };
    LockError::Refused(format!(
        "{what} of {edition} is running with the ledger `{location}`: on {} (process {}) \
         since {}; {remedy}",
        if holder.host.is_empty() {
            "another machine"
        } else {
            &holder.host
        },
        holder.pid,
        time(holder.since),
    ))
}

/// Takes the lock of the ledger file at `ledger`, creating the file when it is new, or says
/// which process holds it; with whether this process is alone.
fn lock_file(ledger: &Path, join: bool) -> Result<(File, bool), LockError> {
    if let Some(dir) = ledger.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| LockError::Create {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(lock_path(ledger))
        .map_err(|e| refused("cannot open", ledger, &e))?;
    let deadline = Instant::now() + JOIN_WAIT;
    let alone = loop {
        match file.try_lock() {
            Ok(()) => break true,
            Err(TryLockError::WouldBlock) => match file.try_lock_shared() {
                Ok(()) if join => break false,
                Err(TryLockError::WouldBlock) if join && Instant::now() < deadline => {
                    std::thread::sleep(JOIN_RETRY);
                }
                Ok(()) => {
                    let _ = file.unlock();
                    return Err(LockError::Refused(format!(
                        "`courant send --join` is running with this ledger{}; add --join to send \
                     beside it, or wait for it to finish",
                        who(ledger)
                    )));
                }
                Err(TryLockError::WouldBlock) => {
                    let what = if join {
                        "a `courant send` (without --join)"
                    } else {
                        "another `courant send`"
                    };
                    return Err(LockError::Refused(format!(
                        "{what} is running with this ledger{}; wait for it to finish, or stop it",
                        who(ledger)
                    )));
                }
                Err(TryLockError::Error(e)) => return Err(refused("cannot lock", ledger, &e)),
            },
            Err(TryLockError::Error(e)) => return Err(refused("cannot lock", ledger, &e)),
        }
    };
    record_holder(ledger);
    Ok((file, alone))
}

/// The file whose lock is the send lock: the ledger itself, but on Windows a file beside it.
fn lock_path(ledger: &Path) -> PathBuf {
    if cfg!(windows) {
        let mut beside = ledger.as_os_str().to_owned();
        beside.push("-sendlock");
        PathBuf::from(beside)
    } else {
        ledger.to_path_buf()
    }
}

/// " (process N)" when the holder's process id is known.
fn who(ledger: &Path) -> String {
    holder(ledger).map_or(String::new(), |pid| format!(" (process {pid})"))
}

fn refused(what: &str, path: &Path, e: &std::io::Error) -> LockError {
    LockError::Refused(format!("{what} the ledger `{}`: {e}", display_path(path)))
}

/// Where the holder's process id is noted, for the message: beside the locked file's real
/// file (which exists once the lock was tried; on Windows the ledger may not yet).
fn holder_file(ledger: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(lock_path(ledger)).ok()?;
    let name = format!("{}.pid", real.file_name()?.to_string_lossy());
    Some(real.with_file_name(name))
}

fn record_holder(ledger: &Path) {
    if let Some(path) = holder_file(ledger)
        && let Ok(mut file) = File::create(path)
    {
        let _ = file
            .rewind()
            .and_then(|()| write!(file, "{}", std::process::id()));
    }
}

fn holder(ledger: &Path) -> Option<String> {
    let mut text = String::new();
    File::open(holder_file(ledger)?)
        .ok()?
        .read_to_string(&mut text)
        .ok()?;
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
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
    /// instead (see [`EditionLock`]).
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

fn send_lock_name(edition: &str) -> String {
    format!("courant send {edition}")
}
