//! Everything the ledger holds about one person: shown and exported (AVG/GDPR articles 15 and
//! 20), and erased (article 17), leaving only a keyed hash among the suppressions so that no
//! import can put them back on the list without their own confirmed signup.
//!
//! [`PERSONAL`] names every table with a person's rows and [`IMPERSONAL`] every other one; a
//! test opens a new ledger on each database and fails when a table is in neither, so a new
//! table cannot slip past export and erase.

use serde_json::{Map, Value as Json, json};

use super::db::Conn;
use super::record::{key, now};
use super::store::{Ledger, LedgerError};
use super::value::{DbError, Value, params};

/// The tables that hold rows about a person, with the columns an export shows and the
/// condition that finds the person's rows (`?1` is the address key).
pub const PERSONAL: &[(&str, &str, &str)] = &[
    (
        "subscribers",
        "list_id, address, name, fields, status, created, updated, source",
        "email = ?1",
    ),
    (
        "consents",
        "list_id, at, method, detail, actor, text_hash, ip",
        "email = ?1",
    ),
    ("signup_requests", "list_id, at, name", "email = ?1"),
    (
        "suppression_lifts",
        "at, reason, actor, source, suppressed_at",
        "email = ?1",
    ),
    (
        "deliveries",
        "edition, state, attempts, code, reply, message_id, updated, sent_at, run",
        "email = ?1",
    ),
    (
        "suppressions",
        "at, source, edition, status, diagnostic",
        "email = ?1",
    ),
    (
        "return_verdicts",
        "return_id, kind, recipient, edition, tied_by, status, reply, reason, diagnostic, action",
        "email = ?1",
    ),
    (
        "returns",
        "id, digest, received, source, subject, understood, raw",
        "id IN (SELECT return_id FROM return_verdicts WHERE email = ?1)",
    ),
];

/// The tables without a person's data: what was sent when, texts agreed to, locks, versions.
pub const IMPERSONAL: &[&str] = &[
    "runs",
    "consent_texts",
    "send_locks",
    "courant_schema",
    "schedules",
];

/// What an erase removed, per table.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    pub rows: Vec<(String, u64)>,
}

impl Ledger {
    /// Every row about `email` in every table, as JSON: `{ "address": …, "<table>": [ … ] }`.
    /// Bounce messages are shown as text.
    pub fn person(&self, email: &str) -> Result<Json, LedgerError> {
        let email = key(email);
        self.with(|c| {
            let mut out = Map::new();
            out.insert("address".into(), json!(email));
            for (table, columns, condition) in PERSONAL {
                let rows = c.query(
                    &format!("SELECT {columns} FROM {table} WHERE {condition}"),
                    params![email.as_str()],
                )?;
                let names: Vec<&str> = columns.split(", ").collect();
                let rows: Vec<Json> = rows
                    .into_iter()
                    .map(|r| {
                        let values = r.into_values().into_iter().map(json_of);
                        Json::Object(names.iter().map(ToString::to_string).zip(values).collect())
                    })
                    .collect();
                out.insert((*table).to_owned(), Json::Array(rows));
            }
            out.extend(mentions(c, &email)?);
            Ok(Json::Object(out))
        })
    }

    /// Removes `email` from every table, the bounce messages that name it included, and
    /// suppresses `hashed` (the keyed hash of its key) instead. One transaction.
    pub fn erase(&self, email: &str, hashed: &str) -> Result<Erased, LedgerError> {
        let email = key(email);
        let erased = self.with(|c| {
            c.transaction(true, |tx| {
                let mut erased = Erased::default();
                let mut count = |table: &str, n: u64| {
                    if n > 0 {
                        erased.rows.push((table.to_owned(), n));
                    }
                };
                let returns = returns_naming(tx, &email)?;
                for id in &returns {
                    tx.execute(
                        "DELETE FROM return_verdicts WHERE return_id = ?1",
                        params![*id],
                    )?;
                }
                let verdicts = tx.execute(
                    "DELETE FROM return_verdicts WHERE email = ?1",
                    params![email.as_str()],
                )?;
                count("return_verdicts", verdicts);
                let mut gone = 0;
                for id in &returns {
                    gone += tx.execute("DELETE FROM returns WHERE id = ?1", params![*id])?;
                }
                count("returns", gone);
                let tables = [
                    "subscribers",
                    "consents",
                    "signup_requests",
                    "suppression_lifts",
                    "deliveries",
                    "suppressions",
                ];
                for table in tables {
                    let sql = format!("DELETE FROM {table} WHERE email = ?1");
                    count(table, tx.execute(&sql, params![email.as_str()])?);
                }
                tx.execute(
                    "INSERT INTO suppressions (email, at, source) VALUES (?1, ?2, 'erased')
                     ON CONFLICT (email) DO NOTHING",
                    params![hashed, now()],
                )?;
                Ok(erased)
            })
        })?;
        self.overwrite_deleted()?;
        Ok(erased)
    }

    /// Deleted rows stay on disk until their pages are reused: overwrite them now. On SQLite
    /// the rebuilt pages go to the write-ahead log first; a connection that stays open
    /// (`serve-public`) copies them into the file and empties the log at once.
    fn overwrite_deleted(&self) -> Result<(), LedgerError> {
        self.with(|c| match c {
            Conn::Sqlite(_) => {
                c.batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
            }
            Conn::Postgres(_) => c.batch(
                "VACUUM subscribers, consents, signup_requests, suppression_lifts, deliveries, \
                 suppressions, \
                 return_verdicts, returns",
            ),
        })
    }
}

/// The returns whose message names `email` anywhere (in any case), or that were tied to it.
fn returns_naming(c: &mut Conn, email: &str) -> Result<Vec<i64>, DbError> {
    let rows = c.query(
        "SELECT r.id, r.raw, r.subject,
                EXISTS (SELECT 1 FROM return_verdicts v WHERE v.return_id = r.id AND v.email = ?1)
         FROM returns r",
        params![email],
    )?;
    let needle = email.to_lowercase();
    let mut ids = Vec::new();
    for r in rows {
        let id: i64 = r.get(0)?;
        let raw: Option<Vec<u8>> = r.get(1)?;
        let subject: Option<String> = r.get(2)?;
        let tied: bool = r.get(3)?;
        let names = |text: &str| text.to_lowercase().contains(&needle);
        let in_raw = raw.is_some_and(|b| names(&String::from_utf8_lossy(&b)));
        if tied || in_raw || subject.is_some_and(|s| names(&s)) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Bounce messages that name the address without being tied to it, for the export.
fn mentions(c: &mut Conn, email: &str) -> Result<Map<String, Json>, DbError> {
    let ids = returns_naming(c, email)?;
    let mut out = Map::new();
    let mut messages = Vec::new();
    for id in ids {
        let raw: Option<Vec<u8>> =
            c.query_value("SELECT raw FROM returns WHERE id = ?1", params![id])?;
        if let Some(raw) = raw {
            messages.push(json!({ "return_id": id, "message": String::from_utf8_lossy(&raw) }));
        }
    }
    out.insert("messages_naming_the_address".into(), Json::Array(messages));
    Ok(out)
}

fn json_of(v: Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Int(i) => json!(i),
        Value::Bool(b) => json!(b),
        Value::Text(t) => json!(t),
        Value::Bytes(b) => json!(String::from_utf8_lossy(&b)),
    }
}

impl Ledger {
    /// The names of the ledger's tables, for the test that each is handled by export and
    /// erase.
    pub fn tables(&self) -> Result<Vec<String>, LedgerError> {
        self.with(|c| {
            let sql = match c {
                Conn::Sqlite(_) => {
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                }
                Conn::Postgres(_) => {
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = current_schema() ORDER BY table_name"
                }
            };
            c.query(sql, &[])?.iter().map(|r| r.get(0)).collect()
        })
    }
}
