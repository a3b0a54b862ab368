//! The runs of `send`: when each started and ended, and its summary.

use super::record::{RunRecord, now};
use super::store::{Ledger, LedgerError};
use super::value::Row;
use super::value::params;

impl Ledger {
    pub fn start_run(&self, edition: &str) -> Result<i64, LedgerError> {
        self.start_run_at(edition, now())
    }

    /// Starts a run of `edition`, recording its subject and the fingerprint of its content, by
    /// which a later send of the same text under another name is recognised.
    pub fn start_run_of(
        &self,
        edition: &str,
        subject: &str,
        fingerprint: &str,
    ) -> Result<i64, LedgerError> {
        self.with(|c| {
            c.query_value(
                "INSERT INTO runs (edition, started, pid, subject, fingerprint) \
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![edition, now(), std::process::id(), subject, fingerprint],
            )
        })
    }

    /// The fingerprint of the content edition `edition` was last sent with, if recorded.
    pub fn sent_fingerprint(&self, edition: &str) -> Result<Option<String>, LedgerError> {
        self.with(|c| {
            let row = c.query_opt(
                "SELECT fingerprint FROM runs WHERE edition = ?1 AND fingerprint IS NOT NULL \
                 ORDER BY id DESC LIMIT 1",
                params![edition],
            )?;
            row.map(|r| r.get(0)).transpose()
        })
    }

    /// The latest edition this ledger records as sent: its name, when its last message went,
    /// and to how many.
    pub fn last_send(&self) -> Result<Option<EarlierSend>, LedgerError> {
        self.with(|c| {
            let row = c.query_opt(
                "SELECT edition, max(sent_at), count(*) FROM deliveries WHERE state = 'sent' \
                 GROUP BY edition ORDER BY max(sent_at) DESC LIMIT 1",
                &[],
            )?;
            row.map(|r| EarlierSend::of(&r)).transpose()
        })
    }

    /// An edition other than `edition`, sent from this ledger, whose run recorded `column`
    /// (`subject` or `fingerprint`) as `value`.
    pub fn sent_with(
        &self,
        column: RunColumn,
        value: &str,
        edition: &str,
    ) -> Result<Option<EarlierSend>, LedgerError> {
        let column = match column {
            RunColumn::Subject => "subject",
            RunColumn::Fingerprint => "fingerprint",
        };
        let sql = format!(
            "SELECT d.edition, max(d.sent_at), count(*) FROM deliveries d \
             WHERE d.state = 'sent' AND d.edition <> ?2 AND d.edition IN \
             (SELECT r.edition FROM runs r WHERE r.{column} = ?1) \
             GROUP BY d.edition ORDER BY max(d.sent_at) DESC LIMIT 1"
        );
        self.with(|c| {
            let row = c.query_opt(&sql, params![value, edition])?;
            row.map(|r| EarlierSend::of(&r)).transpose()
        })
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

/// What a run recorded that an earlier send can be recognised by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunColumn {
    Subject,
    Fingerprint,
}

/// An edition this ledger records as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierSend {
    pub edition: String,
    /// When its last message went (unix seconds).
    pub at: i64,
    /// How many readers it reached.
    pub readers: u64,
}

impl EarlierSend {
    fn of(row: &Row) -> Result<EarlierSend, super::value::DbError> {
        Ok(EarlierSend {
            edition: row.get(0)?,
            at: row.get::<Option<i64>>(1)?.unwrap_or(0),
            readers: row.get::<i64>(2)?.max(0) as u64,
        })
    }
}
