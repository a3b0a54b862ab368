//! The ledger's vocabulary for statements: values and rows of our own and the errors of
//! either database, so that the ledger's queries do not depend on which database holds them.

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
    ($($v:expr),* $(,)?) => { &[$($crate::ledger::value::Value::from($v)),*][..] };
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
    /// Whether PostgreSQL ended the transaction to resolve a conflict with another one (a
    /// deadlock, a serialization failure): it left nothing behind, and running it again is
    /// the remedy PostgreSQL's manual gives.
    pub(crate) fn conflict(&self) -> bool {
        use tokio_postgres::error::SqlState;
        match self {
            DbError::Postgres(e) => e.code().is_some_and(|c| {
                *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
            }),
            _ => false,
        }
    }

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
pub(crate) struct Row(pub(super) Vec<Value>);

impl Row {
    pub(crate) fn into_values(self) -> Vec<Value> {
        self.0
    }

    pub(crate) fn get<T: FromValue>(&self, column: usize) -> Result<T, DbError> {
        let value = self.0.get(column).cloned().unwrap_or(Value::Null);
        Self::convert(value, column)
    }

    /// As [`Row::get`], moving the value out (no copy of its text); the column is then NULL.
    pub(crate) fn take<T: FromValue>(&mut self, column: usize) -> Result<T, DbError> {
        let value = self
            .0
            .get_mut(column)
            .map_or(Value::Null, |v| std::mem::replace(v, Value::Null));
        Self::convert(value, column)
    }

    fn convert<T: FromValue>(value: Value, column: usize) -> Result<T, DbError> {
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
