//! The one place that speaks to the database, and where SQLite and PostgreSQL differ: a
//! connection to either, running statements written once with `?1`-style parameters.

use super::pg;
use super::value::{DbError, FromValue, Row, Value};

/// An open connection.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(pg::PgConn),
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
    use crate::ledger::value::params;

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
