//! Moving a whole ledger between backends (SQLite to PostgreSQL when a unit grows, and back),
//! every row with its times and sources, and the counts `courant ledger check` shows.

use super::db::Conn;
use super::store::{Ledger, LedgerError};
use super::value::{DbError, Row, Value};

/// The tables and columns of a ledger, parents before children.
pub const TABLES: [(&str, &str); 11] = [
    (
        "runs",
        "id, edition, started, finished, pid, summary, subject, fingerprint",
    ),
    (
        "deliveries",
        "edition, email, state, attempts, code, reply, message_id, next_attempt, updated, \
         sent_at, run, verp",
    ),
    (
        "suppressions",
        "email, at, source, edition, status, diagnostic",
    ),
    (
        "returns",
        "id, digest, received, source, subject, understood, raw",
    ),
    (
        "return_verdicts",
        "return_id, kind, recipient, email, edition, tied_by, status, reply, reason, \
         diagnostic, action",
    ),
    (
        "subscribers",
        "list_id, email, address, name, fields, status, created, updated, source",
    ),
    ("consent_texts", "hash, text"),
    (
        "schedules",
        "edition, path, subscribers, at, edition_hash, settings_hash, subject, created, actor, \
         state, started, finished, outcome",
    ),
    (
        "suppression_lifts",
        "email, at, reason, actor, source, suppressed_at",
    ),
    (
        "consents",
        "id, list_id, email, at, method, detail, actor, text_hash, ip",
    ),
    ("signup_requests", "list_id, email, at, name"),
];

/// Rows per table, in the order of [`TABLES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts(pub Vec<(&'static str, u64)>);

impl Counts {
    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, n)| n).sum()
    }
}

/// Why a copy was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(
        "the target ledger `{target}` is not empty ({rows} rows); copy into an empty one, or \
         pass --replace to delete what it holds first"
    )]
    NotEmpty { target: String, rows: u64 },
}

impl Ledger {
    /// How many rows each table holds.
    pub fn counts(&self) -> Result<Counts, LedgerError> {
        self.with(|c| {
            TABLES
                .iter()
                .map(|(table, _)| {
                    let n: i64 = c.query_value(&format!("SELECT count(*) FROM {table}"), &[])?;
                    Ok((*table, n.max(0) as u64))
                })
                .collect::<Result<_, DbError>>()
                .map(Counts)
        })
    }

    /// The version of the ledger's tables.
    pub fn schema_version(&self) -> Result<i64, LedgerError> {
        self.with(|c| match c {
            Conn::Sqlite(_) => c.query_value("PRAGMA user_version", &[]),
            Conn::Postgres(_) => c
                .query_value::<Option<i64>>("SELECT max(version) FROM courant_schema", &[])
                .map(Option::unwrap_or_default),
        })
    }

    /// Copies every row of this ledger into `target`, in one transaction there: all or
    /// nothing. A target that holds rows is refused unless `replace`, which empties it first.
    pub fn copy_into(&self, target: &Ledger, replace: bool) -> Result<Counts, CopyError> {
        let rows = target.counts()?.total();
        if rows > 0 && !replace {
            return Err(CopyError::NotEmpty {
                target: target.location().to_string(),
                rows,
            });
        }
        let mut data = Vec::new();
        for (table, columns) in TABLES {
            let rows: Vec<Vec<Value>> = self.with(|c| {
                c.query(&format!("SELECT {columns} FROM {table}"), &[])
                    .map(|rows| rows.into_iter().map(Row::into_values).collect())
            })?;
            data.push((table, columns, rows));
        }
        target.with(|c| {
            c.transaction(true, |tx| {
                for (table, _) in TABLES.iter().rev() {
                    tx.execute(&format!("DELETE FROM {table}"), &[])?;
                }
                for (table, columns, rows) in &data {
                    let width = columns.split(',').count();
                    let marks: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
                    let sql = format!(
                        "INSERT INTO {table} ({columns}) VALUES ({})",
                        marks.join(", ")
                    );
                    for row in rows {
                        tx.execute(&sql, row)?;
                    }
                }
                if let Conn::Postgres(_) = tx {
                    // Ids were copied as they were: new ones continue after them.
                    for table in ["runs", "returns", "consents"] {
                        tx.batch(&format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                             COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                        ))?;
                    }
                }
                Ok(())
            })
        })?;
        Ok(Counts(
            data.iter()
                .map(|(table, _, rows)| (*table, rows.len() as u64))
                .collect(),
        ))
    }
}
