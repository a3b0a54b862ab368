//! Whether a SQLite ledger is still the ledger: checked in full when a send opens it, and at
//! every group commit while it sends. A ledger emptied (`: > courant.sqlite`), replaced by a
//! copy or damaged must stop the send at once: writing on would lose the record of what went
//! out, and the next send would send it again. Damage seen during a send leaves a note beside
//! the file that makes the next send refuse until a person has looked.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::location::Location;
use super::store::{Ledger, LedgerError};
use super::value::DbError;

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

impl Ledger {
    /// Refuses a ledger that a send must not use: one a send found damaged (its note is still
    /// there), or one whose pages SQLite's `quick_check` finds broken (a copy taken while a
    /// send wrote, say). PostgreSQL keeps its own pages whole.
    pub fn verify(&self) -> Result<(), LedgerError> {
        let Location::File(path) = &self.location else {
            return Ok(());
        };
        if let Ok(note) = std::fs::read_to_string(note_path(path)) {
            return Err(self.err(DbError::Other(format!(
                "{}; restore the ledger from a backup (or, if it is whole, delete `{}`), then send \
                 again",
                note.trim(),
                crate::diagnostic::display_path(&note_path(path))
            ))));
        }
        let rows = self.with(|c| c.query("PRAGMA quick_check(5)", &[]))?;
        let found: Vec<String> = rows.iter().filter_map(|r| r.get(0).ok()).collect();
        if found.iter().all(|f| f == "ok") {
            return Ok(());
        }
        Err(self.err(DbError::Other(format!(
            "the file is damaged ({}); restore it from a backup before sending: a damaged ledger \
             cannot say who has the edition",
            found.join("; ")
        ))))
    }
}

/// `courant.sqlite` → `courant.sqlite-damaged`.
fn note_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-damaged");
    PathBuf::from(name)
}

/// What the send loop's writer checks before each commit: that the path still names the file
/// it opened (not deleted, not replaced by a copy) and that the file still starts as a SQLite
/// database (not emptied).
pub(super) struct Watch {
    path: PathBuf,
    id: same_file::Handle,
    file: File,
}

/// How the ledger file changed under a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    Replaced,
    Damaged,
}

impl Watch {
    pub(super) fn new(path: &Path) -> std::io::Result<Watch> {
        Ok(Watch {
            path: path.to_path_buf(),
            id: same_file::Handle::from_path(path)?,
            file: File::open(path)?,
        })
    }

    /// `None` while the file is the ledger it was. Otherwise leaves the note that stops the
    /// next send.
    pub(super) fn change(&mut self) -> Option<Change> {
        let change = if same_file::Handle::from_path(&self.path).ok().as_ref() != Some(&self.id) {
            Change::Replaced
        } else if !self.starts_as_sqlite() {
            Change::Damaged
        } else {
            return None;
        };
        let what = match change {
            Change::Replaced => "deleted or replaced",
            Change::Damaged => "emptied or damaged",
        };
        let note = format!(
            "a send found the ledger {what} at {}, while it sent",
            super::record::time(super::record::now())
        );
        let _ = std::fs::write(note_path(&self.path), note + "\n");
        Some(change)
    }

    fn starts_as_sqlite(&mut self) -> bool {
        let mut header = [0u8; 16];
        self.file.seek(SeekFrom::Start(0)).is_ok()
            && self.file.read_exact(&mut header).is_ok()
            && &header == SQLITE_HEADER
    }
}
