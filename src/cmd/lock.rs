//! One `send` at a time per ledger: an exclusive lock on the ledger's database file itself.
//!
//! Locking the file, not its name, means a second path to the same ledger (a symlink, a hard
//! link, another mount point) finds it taken. The operating system releases the lock when the
//! process ends, however it ends, so a crashed run never blocks the next one. The lock is a
//! BSD `flock`, which does not interfere with SQLite's own POSIX locks on the same file; it is
//! released only after every SQLite connection of the run is closed.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::Error;
use crate::diagnostic::display_path;
use crate::ledger::{Ledger, Location};

/// Held while a `send` runs; dropping it (or the process ending) releases it.
/// Each variant holds what keeps the lock: the locked file, or the database connection that
/// holds the advisory lock.
pub(crate) enum EditionLock {
    File(#[allow(dead_code)] File),
    Database(#[allow(dead_code)] Box<Ledger>),
}

impl EditionLock {
    /// Takes the send lock of `edition` on the ledger at `location`, or says who holds it.
    pub(crate) fn take(location: &Location, edition: &str) -> Result<EditionLock, Error> {
        let Location::Postgres(_) = location else {
            return EditionLock::acquire(location.file().unwrap_or(Path::new("")));
        };
        let ledger = Ledger::open(location.clone())?;
        match ledger.try_lock_sends(edition)? {
            Ok(()) => Ok(EditionLock::Database(Box::new(ledger))),
            Err(holder) => Err(Error::Refused(format!(
                "another `courant send` of {edition} is running with the ledger `{location}`: \
                 on {} (process {}) since {}; wait for it to finish, or stop it",
                if holder.host.is_empty() {
                    "another machine"
                } else {
                    &holder.host
                },
                holder.pid,
                super::status::time(holder.since),
            ))),
        }
    }

    /// Takes the send lock of the ledger at `ledger`, creating the file when it is new, or says
    /// which process holds it.
    pub(crate) fn acquire(ledger: &Path) -> Result<EditionLock, Error> {
        if let Some(dir) = ledger.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::create(dir, e))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(ledger)
            .map_err(|e| refused("cannot open", ledger, &e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let who = holder(ledger).map_or(String::new(), |pid| format!(" (process {pid})"));
                return Err(Error::Refused(format!(
                    "another `courant send` is running with this ledger{who}; wait for it to finish, or stop it"
                )));
            }
            Err(TryLockError::Error(e)) => return Err(refused("cannot lock", ledger, &e)),
        }
        record_holder(ledger);
        Ok(EditionLock::File(file))
    }
}

fn refused(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::Refused(format!("{what} the ledger `{}`: {e}", display_path(path)))
}

/// Where the holder's process id is noted, for the message: beside the ledger's real file.
fn holder_file(ledger: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(ledger).ok()?;
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
