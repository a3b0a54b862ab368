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
pub(super) fn insert_suppression(conn: &mut Conn, s: &Suppression) -> Result<bool, DbError> {
    conn.execute(INSERT_SUPPRESSION, &suppression_params(s))
        .map(|n| n == 1)
}
