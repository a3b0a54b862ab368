//! Editions scheduled to go out by themselves (`courant schedule`, `courant run-due`): when, the
//! hashes of the files as they were checked, and where each run left them. A schedule is
//! claimed by one `run-due` in one statement, so two started at once never both send it.

use super::store::{Ledger, LedgerError};
use super::value::{Row, params};

/// Where a schedule stands.
pub const SCHEDULED: &str = "scheduled";
pub const RUNNING: &str = "running";
/// Stopped when the sending window closed; the next `run-due` inside it goes on.
pub const PAUSED: &str = "paused";
pub const DONE: &str = "done";
/// Not sent: the edition changed since it was scheduled, or would not send.
pub const REFUSED: &str = "refused";

/// One scheduled edition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Schedule {
    pub edition: String,
    /// The edition file, absolute.
    pub path: String,
    /// The list file given, absolute; `None` for the stored list.
    pub subscribers: Option<String>,
    /// When, in seconds since 1970 (UTC).
    pub at: i64,
    /// SHA-256 of the edition file and of `newsletter.toml` when it was scheduled.
    pub edition_hash: String,
    pub settings_hash: String,
    pub subject: String,
    pub created: i64,
    pub actor: Option<String>,
    pub state: String,
    pub started: Option<i64>,
    pub finished: Option<i64>,
    pub outcome: Option<String>,
}

const COLUMNS: &str = "edition, path, subscribers, at, edition_hash, settings_hash, subject, \
                       created, actor, state, started, finished, outcome";

fn schedule(r: Row) -> Result<Schedule, super::value::DbError> {
    Ok(Schedule {
        edition: r.get(0)?,
        path: r.get(1)?,
        subscribers: r.get(2)?,
        at: r.get(3)?,
        edition_hash: r.get(4)?,
        settings_hash: r.get(5)?,
        subject: r.get(6)?,
        created: r.get(7)?,
        actor: r.get(8)?,
        state: r.get(9)?,
        started: r.get(10)?,
        finished: r.get(11)?,
        outcome: r.get(12)?,
    })
}

impl Ledger {
    /// Schedules `s` (its state `scheduled`), replacing a schedule of the same edition that
    /// has not started; `Err` names the state of one that has.
    pub fn schedule(&self, s: &Schedule) -> Result<Result<(), String>, LedgerError> {
        self.with(|c| {
            c.transaction(true, |tx| {
                let state: Option<String> = tx
                    .query_opt(
                        "SELECT state FROM schedules WHERE edition = ?1",
                        params![s.edition.as_str()],
                    )?
                    .map(|r| r.get(0))
                    .transpose()?;
                if let Some(state) =
                    state.filter(|st| [RUNNING, PAUSED, DONE].contains(&st.as_str()))
                {
                    return Ok(Err(state));
                }
                tx.execute(
                    "DELETE FROM schedules WHERE edition = ?1",
                    params![s.edition.as_str()],
                )?;
                tx.execute(
                    &format!(
                        "INSERT INTO schedules ({COLUMNS}) VALUES \
                         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'scheduled', NULL, NULL, NULL)"
                    ),
                    params![
                        s.edition.as_str(),
                        s.path.as_str(),
                        s.subscribers.as_deref(),
                        s.at,
                        s.edition_hash.as_str(),
                        s.settings_hash.as_str(),
                        s.subject.as_str(),
                        s.created,
                        s.actor.as_deref()
                    ],
                )?;
                Ok(Ok(()))
            })
        })
    }

    /// Every schedule, soonest first.
    pub fn schedules(&self) -> Result<Vec<Schedule>, LedgerError> {
        self.with(|c| {
            let rows = c.query(
                &format!("SELECT {COLUMNS} FROM schedules ORDER BY at, edition"),
                &[],
            )?;
            rows.into_iter().map(schedule).collect()
        })
    }

    /// Cancels the schedule of `edition` if it has not started; whether it did.
    pub fn cancel_schedule(&self, edition: &str, at: i64) -> Result<bool, LedgerError> {
        self.with(|c| {
            c.execute(
                "UPDATE schedules SET state = 'cancelled', finished = ?2
                 WHERE edition = ?1 AND state IN ('scheduled', 'paused')",
                params![edition, at],
            )
        })
        .map(|n| n > 0)
    }

    /// Claims the schedule of `edition` for this run when it is due (or paused) at `now`: the
    /// one statement that makes it this run's and no other's. `false` when another took it.
    pub fn claim_schedule(&self, edition: &str, now: i64) -> Result<bool, LedgerError> {
        self.with(|c| {
            c.execute(
                "UPDATE schedules SET state = 'running', started = ?2
                 WHERE edition = ?1 AND at <= ?2 AND state IN ('scheduled', 'paused')",
                params![edition, now],
            )
        })
        .map(|n| n == 1)
    }

    /// Records how the run of `edition`'s schedule ended: `state` and `outcome`, at `at`.
    pub fn end_schedule(
        &self,
        edition: &str,
        state: &str,
        outcome: &str,
        at: i64,
    ) -> Result<(), LedgerError> {
        self.with(|c| {
            c.execute(
                "UPDATE schedules SET state = ?2, outcome = ?3, finished = ?4 WHERE edition = ?1",
                params![edition, state, outcome, at],
            )
        })
        .map(drop)
    }
}
