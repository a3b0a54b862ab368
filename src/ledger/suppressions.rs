//! The suppression list: addresses no edition is sent to again, with when, how and why.

use super::db::Conn;
use super::record::{Evidence, KeySet, Suppression, key};
use super::store::{Ledger, LedgerError};
use super::value::{DbError, Value, params};

impl Ledger {
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

    /// Lifts the suppression of `emails` (the address's key, and the hash an erasure would
    /// have left), recording `reason` and `actor`, at `at`; a reader of a stored list who
    /// unsubscribed is active again, with a consent row that says why. A hard bounce or a
    /// complaint stays unless `force`: mail to it failed, or its owner called it spam.
    pub fn lift_suppression(
        &self,
        emails: &[String],
        reason: &str,
        actor: Option<&str>,
        at: i64,
        force: bool,
    ) -> Result<Lift, LedgerError> {
        self.with(|c| {
            c.transaction(true, |tx| {
                let mut found = None;
                for email in emails {
                    let row = tx.query_opt(
                        "SELECT email, at, source FROM suppressions WHERE email = ?1",
                        params![email.as_str()],
                    )?;
                    if let Some(row) = row {
                        found = Some((
                            row.get::<String>(0)?,
                            row.get::<i64>(1)?,
                            row.get::<String>(2)?,
                        ));
                        break;
                    }
                }
                let Some((email, since, source)) = found else {
                    return Ok(Lift::NotSuppressed);
                };
                if matches!(source.as_str(), "bounce" | "complaint") && !force {
                    return Ok(Lift::NeedsForce { source, since });
                }
                tx.execute(
                    "DELETE FROM suppressions WHERE email = ?1",
                    params![email.as_str()],
                )?;
                tx.execute(
                    "INSERT INTO suppression_lifts (email, at, reason, actor, source, suppressed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![email.as_str(), at, reason, actor, source.as_str(), since],
                )?;
                let back = reactivate(tx, &email, reason, actor, at)?;
                Ok(Lift::Lifted {
                    source,
                    since,
                    back,
                })
            })
        })
    }

    /// Every lifted suppression, oldest first.
    pub fn lifts(&self) -> Result<Vec<Lifted>, LedgerError> {
        self.with(|c| {
            c.query(
                "SELECT email, at, reason, actor, source, suppressed_at FROM suppression_lifts
                 ORDER BY at, email",
                &[],
            )?
            .into_iter()
            .map(|r| {
                Ok(Lifted {
                    email: r.get(0)?,
                    at: r.get(1)?,
                    reason: r.get(2)?,
                    actor: r.get(3)?,
                    source: r.get(4)?,
                    suppressed_at: r.get(5)?,
                })
            })
            .collect()
        })
    }

    /// The suppressed addresses, as keys.
    pub fn suppressed(&self) -> Result<KeySet, LedgerError> {
        Ok(self.suppressions()?.into_iter().map(|s| s.email).collect())
    }
}

const INSERT_SUPPRESSION: &str =
    "INSERT INTO suppressions (email, at, source, edition, status, diagnostic)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (email) DO NOTHING";

/// The statement that adds `s` unless the address has a suppression.
pub(super) fn insert(s: &Suppression) -> (&'static str, Vec<Value>) {
    (INSERT_SUPPRESSION, suppression_params(s))
}

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
/// What lifting a suppression did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lift {
    /// Lifted: what it was and since when; `back` readers of stored lists active again.
    Lifted {
        source: String,
        since: i64,
        back: u64,
    },
    NotSuppressed,
    /// A hard bounce or a complaint: lifted only with `force`.
    NeedsForce {
        source: String,
        since: i64,
    },
}

/// A suppression lifted, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lifted {
    pub email: String,
    pub at: i64,
    pub reason: String,
    pub actor: Option<String>,
    /// What the suppression was (`web`, `bounce`, …) and since when.
    pub source: String,
    pub suppressed_at: i64,
}

/// Readers of stored lists who unsubscribed and whose suppression was lifted: active again,
/// with a consent row saying why (staff heard them ask to come back).
fn reactivate(
    tx: &mut Conn,
    email: &str,
    reason: &str,
    actor: Option<&str>,
    at: i64,
) -> Result<u64, DbError> {
    tx.execute(
        "INSERT INTO consents (list_id, email, at, method, detail, actor)
         SELECT list_id, email, ?2, 'staff', ?3, ?4 FROM subscribers
         WHERE email = ?1 AND status = 'unsubscribed'",
        params![
            email,
            at,
            format!("courant suppressions remove: {reason}"),
            actor
        ],
    )?;
    tx.execute(
        "UPDATE subscribers SET status = 'active', updated = ?2
         WHERE email = ?1 AND status = 'unsubscribed'",
        params![email, at],
    )
}

pub(super) fn insert_suppression(conn: &mut Conn, s: &Suppression) -> Result<bool, DbError> {
    conn.execute(INSERT_SUPPRESSION, &suppression_params(s))
        .map(|n| n == 1)
}
