//! An open ledger: its connection, and the error every query of it gives.

use std::cell::RefCell;

use super::db::Conn;
use super::location::Location;
use super::schema::open_connection;
use super::value::DbError;

#[derive(Debug, thiserror::Error)]
#[error("ledger `{ledger}`: {source}")]
pub struct LedgerError {
    /// The ledger as shown: a path, or a database URL without its password.
    ledger: String,
    source: DbError,
}

impl LedgerError {
    pub(super) fn new(location: &Location, source: DbError) -> Self {
        LedgerError {
            ledger: location.to_string(),
            source,
        }
    }
}

/// An open ledger: a SQLite file or a PostgreSQL database.
pub struct Ledger {
    pub(super) location: Location,
    conn: RefCell<Conn>,
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

    pub(super) fn err(&self, source: DbError) -> LedgerError {
        LedgerError::new(&self.location, source)
    }

    /// Runs `f` on the connection, naming the ledger in its error.
    ///
    /// A PostgreSQL connection that was lost (the server restarted, the network dropped) is
    /// opened again once and `f` run again: every statement of the ledger is safe to repeat
    /// after a failure (a transaction either committed or left nothing), and a server such as
    /// `serve-unsubscribe` outlives a database restart. A transaction PostgreSQL ended for a
    /// deadlock or a serialization failure is run again too, up to 8 times.
    pub(super) fn with<T>(
        &self,
        f: impl Fn(&mut Conn) -> Result<T, DbError>,
    ) -> Result<T, LedgerError> {
        let mut conn = self.conn.borrow_mut();
        let mut conflicts = 0;
        loop {
            match f(&mut conn) {
                Err(e) if e.connection_lost() && matches!(*conn, Conn::Postgres(_)) => {
                    *conn = open_connection(&self.location).map_err(|e| self.err(e))?;
                    return f(&mut conn).map_err(|e| self.err(e));
                }
                // Ended by PostgreSQL for a conflict with another transaction: nothing of it
                // stayed, so it runs again.
                Err(e) if e.conflict() && conflicts < 8 => {
                    conflicts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10 << conflicts));
                }
                result => return result.map_err(|e| self.err(e)),
            }
        }
    }
}
