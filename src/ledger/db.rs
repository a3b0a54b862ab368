//! The one place that speaks to the database: statements written once, with `?1`-style
//! parameters, and values and rows of our own, so that the ledger's queries do not depend on
//! which database holds them.

use std::fmt;

/// A value going to or coming from a statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<u16> for Value {
    fn from(v: u16) -> Self {
        Value::Int(i64::from(v))
    }
}

/// Booleans are stored as integers (0, 1) on every backend.
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

impl<T: Clone + Into<Value>> From<&Option<T>> for Value {
    fn from(v: &Option<T>) -> Self {
        v.clone().map_or(Value::Null, Into::into)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Parameters for a statement: `params![a, b]`.
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::ledger::db::Value::from($v)),*][..] };
}
pub(crate) use params;

/// A column's value that is not of the type the ledger expects: a file written by something
/// else.
#[derive(Debug)]
pub(crate) struct TypeError {
    column: usize,
    found: &'static str,
    wanted: &'static str,
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "column {} holds {} where {} was expected",
            self.column, self.found, self.wanted
        )
    }
}

impl std::error::Error for TypeError {}

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", postgres_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Type(#[from] TypeError),
    #[error("{0}")]
    Other(String),
}

impl DbError {
    /// Whether the connection to the server is gone (as opposed to a statement refused).
    pub(crate) fn connection_lost(&self) -> bool {
        match self {
            DbError::Postgres(e) => {
                e.is_closed()
                    || e.as_db_error().is_some_and(|d| {
                        // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now
                        d.code().code().starts_with("57P")
                    })
                    || std::error::Error::source(e)
                        .is_some_and(<dyn std::error::Error>::is::<std::io::Error>)
            }
            _ => false,
        }
    }
}

/// PostgreSQL's own words (`db error: ERROR: …` says less than the server's message).
pub(crate) fn postgres_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("PostgreSQL: {}", db.message()),
        None if e.is_closed() => "the connection to PostgreSQL was lost".to_owned(),
        None => match std::error::Error::source(e) {
            Some(source) => format!("PostgreSQL: {e}: {source}"),
            None => format!("PostgreSQL: {e}"),
        },
    }
}

/// Reads one column's value as a Rust type.
pub(crate) trait FromValue: Sized {
    const WANTED: &'static str;
    fn from_value(v: Value) -> Option<Self>;
}

impl FromValue for i64 {
    const WANTED: &'static str = "an integer";
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }
}

impl FromValue for u32 {
    const WANTED: &'static str = "a count";
    fn from_value(v: Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| u32::try_from(i).ok())
    }
}

impl FromValue for u16 {
    const WANTED: &'static str = "a reply code";
    fn from_value(v: Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| u16::try_from(i).ok())
    }
}

impl FromValue for bool {
    const WANTED: &'static str = "a boolean";
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Bool(b) => Some(b),
            Value::Int(i) => Some(i != 0),
            _ => None,
        }
    }
}

impl FromValue for String {
    const WANTED: &'static str = "text";
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    const WANTED: &'static str = "bytes";
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    const WANTED: &'static str = T::WANTED;
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// One row a query returned.
#[derive(Debug)]
pub(crate) struct Row(Vec<Value>);

impl Row {
    pub(crate) fn into_values(self) -> Vec<Value> {
        self.0
    }

    pub(crate) fn get<T: FromValue>(&self, column: usize) -> Result<T, DbError> {
        let value = self.0.get(column).cloned().unwrap_or(Value::Null);
        let found = match &value {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Bool(_) => "a boolean",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytes",
        };
        T::from_value(value).ok_or_else(|| {
            DbError::Type(TypeError {
                column,
                found,
                wanted: T::WANTED,
            })
        })
    }
}

/// An open connection.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(super::pg::PgConn),
}

impl Conn {
    /// Runs statements without parameters or results (schema, pragmas).
    pub(crate) fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(c) => c.batch(sql),
        }
    }

    /// Runs one statement; how many rows it changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        match self {
            Conn::Sqlite(c) => {
                let n = c
                    .prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(params))?;
                Ok(n as u64)
            }
            Conn::Postgres(c) => c.execute(sql, params),
        }
    }

    /// Every row of a query.
    pub(crate) fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let width = stmt.column_count();
                let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
                    (0..width)
                        .map(|i| r.get::<_, Value>(i))
                        .collect::<Result<Vec<_>, _>>()
                        .map(Row)
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            }
            Conn::Postgres(c) => Ok(c.query(sql, params)?.into_iter().map(Row).collect()),
        }
    }

    /// The first row of a query, if any.
    pub(crate) fn query_opt(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The first column of the one row a query returns (`SELECT count(*) …`).
    pub(crate) fn query_value<T: FromValue>(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> Result<T, DbError> {
        match self.query_opt(sql, params)? {
            Some(row) => row.get(0),
            None => Err(DbError::Other(format!("no row from `{sql}`"))),
        }
    }

    /// Runs `statements` in one transaction that takes the write lock at once: the group
    /// commit of the send loop. PostgreSQL gets them in one round trip. Returns how many rows
    /// each statement changed.
    pub(crate) fn execute_all(
        &mut self,
        statements: Vec<(&'static str, Vec<Value>)>,
    ) -> Result<Vec<u64>, DbError> {
        match self {
            Conn::Postgres(c) => c.execute_all(statements),
            Conn::Sqlite(_) => self.transaction(true, |tx| {
                statements
                    .iter()
                    .map(|(sql, params)| tx.execute(sql, params))
                    .collect()
            }),
        }
    }

    /// Runs `f` in a transaction: committed when it returns `Ok`, rolled back otherwise.
    /// `immediate` takes the write lock at once (SQLite), so two writers queue rather than
    /// fail half-way.
    pub(crate) fn transaction<T>(
        &mut self,
        immediate: bool,
        f: impl FnOnce(&mut Conn) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let begin = match self {
            Conn::Sqlite(_) if immediate => "BEGIN IMMEDIATE",
            Conn::Sqlite(_) | Conn::Postgres(_) => "BEGIN",
        };
        self.batch(begin)?;
        match f(self) {
            Ok(value) => {
                self.batch("COMMIT")?;
                Ok(value)
            }
            Err(e) => {
                // The error that made us roll back is the one worth reporting.
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

impl rusqlite::types::FromSql for Value {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        use rusqlite::types::ValueRef;
        Ok(match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Int(i),
            // The ledger writes no floats; one is read as what it rounds to.
            ValueRef::Real(f) => Value::Int(f as i64),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_sqlite() {
        let mut conn = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.batch("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n INTEGER)")
            .unwrap();
        let none: Option<i64> = None;
        conn.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4)",
            params![7_i64, "ö", &b"\x00\xff"[..], none],
        )
        .unwrap();
        let row = conn
            .query_opt("SELECT i, s, b, n FROM t", &[])
            .unwrap()
            .unwrap();
        assert_eq!(row.get::<i64>(0).unwrap(), 7);
        assert_eq!(row.get::<String>(1).unwrap(), "ö");
        assert_eq!(row.get::<Vec<u8>>(2).unwrap(), vec![0, 255]);
        assert_eq!(row.get::<Option<i64>>(3).unwrap(), None);
        let err = row.get::<String>(0).unwrap_err().to_string();
        assert_eq!(err, "column 0 holds an integer where text was expected");
    }

    #[test]
    fn a_failed_transaction_leaves_nothing() {
        let mut conn = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.batch("CREATE TABLE t (i INTEGER PRIMARY KEY)")
            .unwrap();
        let result: Result<(), DbError> = conn.transaction(true, |tx| {
            tx.execute("INSERT INTO t VALUES (1)", &[])?;
            tx.execute("INSERT INTO t VALUES (1)", &[])?;
            Ok(())
        });
        assert!(result.is_err());
        let n: i64 = conn.query_value("SELECT count(*) FROM t", &[]).unwrap();
        assert_eq!(n, 0);
    }
}
