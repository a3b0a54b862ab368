//! The runs of `send`: when each started and ended, and its summary.

use super::record::{RunRecord, now};
use super::store::{Ledger, LedgerError};
use super::value::params;

impl Ledger {
    pub fn start_run(&self, edition: &str) -> Result<i64, LedgerError> {
        self.start_run_at(edition, now())
    }

    /// Starts a run at `started` (unix seconds), as the clock said then.
    pub fn start_run_at(&self, edition: &str, started: i64) -> Result<i64, LedgerError> {
        self.with(|c| {
            c.query_value(
                "INSERT INTO runs (edition, started, pid) VALUES (?1, ?2, ?3) RETURNING id",
                params![edition, started, std::process::id()],
            )
        })
    }

    /// Records how run `run` ended. A clock set back during the run (by NTP, by hand) does not
    /// make it end before it started.
    pub fn finish_run(&self, run: i64, summary: &str) -> Result<(), LedgerError> {
        self.with(|c| {
            c.execute(
                "UPDATE runs SET finished = CASE WHEN ?2 < started THEN started ELSE ?2 END, \
                 summary = ?3 WHERE id = ?1",
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
}
