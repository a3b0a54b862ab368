//! A PostgreSQL connection for the ledger.
//!
//! The client runs on a small runtime of its own, which must not be entered from inside
//! another one (the unsubscribe server, the IMAP reader and the send loop are async), so each
//! connection lives on a thread of its own and the ledger hands it closures: a call blocks the
//! caller exactly as a SQLite call does, wherever it is made from.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use super::location::{PgTarget, PgTls};
use super::value::{DbError, Value, postgres_message};
use crate::tls::CaError;

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// What a connection's thread owns: its runtime, the client, and the statements it prepared
/// (each is prepared once per connection, not once per use).
struct Session {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    statements: HashMap<String, tokio_postgres::Statement>,
}

impl Session {
    fn statement(&mut self, sql: &str) -> Result<tokio_postgres::Statement, DbError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.runtime.block_on(self.client.prepare(sql))?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);

fn refs(params: &[Value]) -> Vec<Param<'_>> {
    params.iter().map(|p| p as Param<'_>).collect()
}

/// A handle to a connection's thread; the connection closes when the handle is dropped.
pub(crate) struct PgConn {
    jobs: mpsc::Sender<Job>,
}

impl PgConn {
    pub(crate) fn connect(target: &PgTarget) -> Result<PgConn, DbError> {
        let mut config = tokio_postgres::Config::new();
        config
            .user(&target.user)
            .host(&target.host)
            .port(target.port)
            .dbname(&target.database)
            .application_name("courant")
            .connect_timeout(Duration::from_secs(10))
            // A dead server or network is noticed within a minute, not hours.
            .keepalives_idle(Duration::from_secs(30));
        if let Some(password) = password(target) {
            config.password(password);
        }
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let (jobs, rx) = mpsc::channel::<Job>();
        let tls = target.tls;
        std::thread::Builder::new()
            .name("ledger-pg".into())
            .spawn(move || match open(config, tls) {
                Ok(mut session) => {
                    let _ = ready_tx.send(Ok(()));
                    while let Ok(job) = rx.recv() {
                        job(&mut session);
                    }
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            })
            .map_err(|e| DbError::Other(format!("cannot start the database thread: {e}")))?;
        ready_rx
            .recv()
            .map_err(|_| DbError::Other("the database thread stopped".into()))??;
        Ok(PgConn { jobs })
    }

    /// Runs `f` on the connection's thread and waits for its result.
    fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<R, DbError> + Send + 'static,
    ) -> Result<R, DbError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |session| {
                let _ = tx.send(f(session));
            }))
            .map_err(|_| DbError::Other("the database connection has closed".into()))?;
        rx.recv()
            .map_err(|_| DbError::Other("the database connection has closed".into()))?
    }

    pub(crate) fn batch(&self, sql: &str) -> Result<(), DbError> {
        let sql = sql.to_owned();
        self.call(move |s| Ok(s.runtime.block_on(s.client.batch_execute(&sql))?))
    }

    pub(crate) fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let (sql, params) = (dollars(sql), params.to_vec());
        self.call(move |s| {
            let statement = s.statement(&sql)?;
            Ok(s.runtime
                .block_on(s.client.execute(&statement, &refs(&params)))?)
        })
    }

    pub(crate) fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, DbError> {
        let (sql, params) = (dollars(sql), params.to_vec());
        self.call(move |s| {
            let statement = s.statement(&sql)?;
            s.runtime
                .block_on(s.client.query(&statement, &refs(&params)))?
                .iter()
                .map(|row| (0..row.len()).map(|i| value(row, i)).collect())
                .collect()
        })
    }

    /// Runs `statements` in one transaction, sent together (pipelined): one round trip to the
    /// server for the whole group commit, not one per statement.
    pub(crate) fn execute_all(
        &self,
        statements: Vec<(&'static str, Vec<Value>)>,
    ) -> Result<Vec<u64>, DbError> {
        self.call(move |s| {
            let prepared = statements
                .iter()
                .map(|(sql, _)| s.statement(&dollars(sql)))
                .collect::<Result<Vec<_>, _>>()?;
            let client = &s.client;
            let params: Vec<Vec<Param<'_>>> = statements.iter().map(|(_, p)| refs(p)).collect();
            let ((), changed, ()) = s.runtime.block_on(async {
                let each = prepared
                    .iter()
                    .zip(&params)
                    .map(|(statement, params)| client.execute(statement, params));
                futures_util::try_join!(
                    client.batch_execute("BEGIN"),
                    futures_util::future::try_join_all(each),
                    client.batch_execute("COMMIT"),
                )
            })?;
            Ok(changed)
        })
    }
}

/// Connects on this (the connection's own) thread, with a runtime of its own.
fn open(mut config: tokio_postgres::Config, tls: PgTls) -> Result<Session, DbError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DbError::Other(format!("cannot start the database runtime: {e}")))?;
    let client = match tls {
        PgTls::Disable => {
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
            let (client, connection) = runtime
                .block_on(config.connect(tokio_postgres::NoTls))
                .map_err(|e| connect_error(e, tls))?;
            runtime.spawn(connection);
            client
        }
        PgTls::Verify => {
            config.ssl_mode(tokio_postgres::config::SslMode::Require);
            let (client, connection) = runtime
                .block_on(config.connect(tls_connector()?))
                .map_err(|e| connect_error(e, tls))?;
            runtime.spawn(connection);
            client
        }
    };
    Ok(Session {
        runtime,
        client,
        statements: HashMap::new(),
    })
}

/// A failed connection, with what to do when the cause is a common one.
fn connect_error(e: tokio_postgres::Error, tls: PgTls) -> DbError {
    let text = format!(
        "{e}: {}",
        std::error::Error::source(&e).map_or(String::new(), std::string::ToString::to_string)
    );
    let hint = if tls == PgTls::Verify && text.contains("does not support TLS") {
        "; the server offers no TLS: add `?sslmode=disable` to the URL if it runs on this \
         machine or a private network, else enable `ssl` in its postgresql.conf"
    } else if text.contains("Connection refused") {
        "; is PostgreSQL running there, and listening on that address and port?"
    } else if e
        .as_db_error()
        .is_some_and(|d| d.code() == &tokio_postgres::error::SqlState::INVALID_PASSWORD)
    {
        "; set PGPASSWORD (or a line in ~/.pgpass) to the password of that user"
    } else {
        ""
    };
    DbError::Other(format!("{}{hint}", postgres_message(&e)))
}

/// `?1` as PostgreSQL writes it: `$1`. The ledger's statements hold no `?` otherwise.
fn dollars(sql: &str) -> String {
    sql.replace('?', "$")
}

fn value(row: &tokio_postgres::Row, i: usize) -> Result<Value, DbError> {
    use tokio_postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    let v = if ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
    } else if ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?
            .map(|n| Value::Int(n.into()))
    } else if ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)?
            .map(|n| Value::Int(n.into()))
    } else if ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)?.map(Value::Bool)
    } else if ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes)
    } else {
        row.try_get::<_, Option<String>>(i)?.map(Value::Text)
    };
    Ok(v.unwrap_or(Value::Null))
}

impl tokio_postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use tokio_postgres::types::Type;
        match self {
            Value::Null => Ok(tokio_postgres::types::IsNull::Yes),
            Value::Int(n) if *ty == Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
            Value::Int(n) if *ty == Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
            Value::Int(n) => n.to_sql(ty, out),
            Value::Bool(b) => b.to_sql(ty, out),
            Value::Text(s) => s.to_sql(ty, out),
            Value::Bytes(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// The password, as `psql` finds it: `PGPASSWORD`, else the first matching line of
/// `PGPASSFILE` or `~/.pgpass` (`host:port:database:user:password`, `*` matching anything).
fn password(target: &PgTarget) -> Option<String> {
    if let Some(password) = target.given_password() {
        return Some(password.to_owned());
    }
    if let Ok(password) = std::env::var("PGPASSWORD")
        && !password.is_empty()
    {
        return Some(password);
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pgpass")))?;
    let text = std::fs::read_to_string(file).ok()?;
    let port = target.port.to_string();
    let wanted = [
        target.host.as_str(),
        port.as_str(),
        target.database.as_str(),
        target.user.as_str(),
    ];
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let fields = split_pgpass(line);
            let [host, port, db, user, password] = fields.as_slice() else {
                return None;
            };
            let matches = [host, port, db, user]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field.as_str() == "*" || field.as_str() == want);
            matches.then(|| password.clone())
        })
}

/// One `.pgpass` line's fields: `:` separates, `\:` and `\\` escape.
fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().unwrap().extend(chars.next()),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// The web's roots and, when `PGSSLROOTCERT` names a PEM file (as for `psql`), that CA or the
/// server's own certificate: the server's certificate and name are always checked.
fn tls_connector() -> Result<tokio_postgres_rustls::MakeRustlsConnect, DbError> {
    let ca = std::env::var_os("PGSSLROOTCERT");
    let config =
        crate::tls::verifying_config(ca.as_deref().map(Path::new)).map_err(|e| match e {
            CaError::Unreadable { path, why } => {
                DbError::Other(format!("PGSSLROOTCERT `{path}`: {why}"))
            }
            CaError::Empty { path } => DbError::Other(format!(
                "PGSSLROOTCERT `{path}` holds no certificate (`-----BEGIN CERTIFICATE-----`)"
            )),
        })?;
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_fields_unescape() {
        assert_eq!(
            split_pgpass(r"db.example:5432:*:courant:pa\:ss\\word"),
            vec!["db.example", "5432", "*", "courant", r"pa:ss\word"]
        );
    }

    #[test]
    fn parameters_become_dollars() {
        assert_eq!(dollars("a = ?1 AND b = ?12"), "a = $1 AND b = $12");
    }
}
