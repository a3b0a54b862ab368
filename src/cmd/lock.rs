//! One `send` of an edition at a time: an exclusive lock on a file beside the ledger.
//!
//! The operating system releases the lock when the process ends, however it ends, so a lock
//! left by a crashed run never blocks the next one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use super::Error;
use crate::diagnostic::display_path;

/// Held while a `send` of one edition runs; dropping it (or the process ending) releases it.
pub(crate) struct EditionLock {
    _file: File,
}

impl EditionLock {
    /// Takes the lock of edition `slug` of the ledger at `ledger`, or says who holds it.
    pub(crate) fn acquire(ledger: &Path, slug: &str) -> Result<EditionLock, Error> {
        let name = format!(
            "{}.{slug}.lock",
            ledger
                .file_name()
                .map_or("courant".into(), |n| n.to_string_lossy())
        );
        let path = ledger.with_file_name(name);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::create(dir, e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| {
                Error::Refused(format!(
                    "cannot open the lock file `{}`: {e}",
                    display_path(&path)
                ))
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (process {holder})")
                };
                return Err(Error::Refused(format!(
                    "another `courant send` of edition `{slug}` is running{who}; wait for it to finish, or stop it"
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(Error::Refused(format!(
                    "cannot lock `{}`: {e}",
                    display_path(&path)
                )));
            }
        }
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}", std::process::id()))
            .map_err(|e| {
                Error::Refused(format!(
                    "cannot write the lock file `{}`: {e}",
                    display_path(&path)
                ))
            })?;
        Ok(EditionLock { _file: file })
    }
}
