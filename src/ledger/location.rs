//! Where a ledger is: a SQLite file on this machine, or a PostgreSQL database a team shares.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A ledger's place, from `--ledger`, `COURANT_LEDGER` or `ledger` in `newsletter.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Postgres(PgTarget),
}

impl Location {
    /// The file, for a SQLite ledger.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }

    /// A relative file taken relative to `dir`; a database URL as it is.
    pub fn relative_to(self, dir: &Path) -> Location {
        match self {
            Location::File(path) if path.is_relative() => Location::File(dir.join(path)),
            other => other,
        }
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Self {
        Location::File(path.to_path_buf())
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Self {
        Location::File(path.clone())
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Self {
        Location::File(path)
    }
}

impl FromStr for Location {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return s.parse().map(Location::Postgres);
        }
        if s.contains("://") {
            return Err(format!(
                "`{s}` is neither a file nor a `postgres://user@host:port/database` URL"
            ));
        }
        if s.trim().is_empty() {
            return Err("the ledger is empty: give a file or a `postgres://` URL".to_owned());
        }
        Ok(Location::File(PathBuf::from(s)))
    }
}

/// Shown to people and in logs: a file as a path, a database without any password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => f.write_str(&crate::diagnostic::display_path(path)),
            Location::Postgres(target) => target.fmt(f),
        }
    }
}

/// How TLS is used towards PostgreSQL (`sslmode`, as libpq names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgTls {
    /// `sslmode=disable`: plain TCP, for a database on this machine or a private network.
    Disable,
    /// Anything else (the default): TLS, with the server's certificate and name verified.
    Verify,
}

/// A PostgreSQL database: `postgres://user@host:port/database?sslmode=…`. The password is
/// never part of it: it comes from `PGPASSWORD` or `~/.pgpass`, as for `psql`.
#[derive(Clone, PartialEq, Eq)]
pub struct PgTarget {
    pub user: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub tls: PgTls,
    /// A password given by a program that uses courant as a library; the command line never
    /// sets it (see [`PgTarget::with_password`]).
    password: Option<String>,
}

impl PgTarget {
    /// The same database with `password` instead of `PGPASSWORD` or `~/.pgpass`.
    pub fn with_password(mut self, password: &str) -> PgTarget {
        self.password = Some(password.to_owned());
        self
    }

    pub(crate) fn given_password(&self) -> Option<&str> {
        self.password.as_deref()
    }
}

impl fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "postgres://{}@{}:{}/{}",
            self.user, self.host, self.port, self.database
        )?;
        if self.tls == PgTls::Disable {
            f.write_str("?sslmode=disable")?;
        }
        Ok(())
    }
}

impl FromStr for PgTarget {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(s).map_err(|e| format!("the ledger URL is not valid: {e}"))?;
        if url.password().is_some() {
            return Err(
                "the ledger URL holds a password; leave it out and set PGPASSWORD (or use \
                 ~/.pgpass), so that it is not in shell histories and process lists"
                    .to_owned(),
            );
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the ledger URL names no host: `postgres://user@host:5432/database`")?;
        let user = match url.username() {
            "" => std::env::var("PGUSER").map_err(|_| {
                "the ledger URL names no user: `postgres://user@host:5432/database`".to_owned()
            })?,
            user => percent_encoding::percent_decode_str(user)
                .decode_utf8_lossy()
                .into_owned(),
        };
        let database = url.path().trim_start_matches('/');
        if database.is_empty() || database.contains('/') {
            return Err(
                "the ledger URL names no database: `postgres://user@host:5432/database`".to_owned(),
            );
        }
        let mut tls = PgTls::Verify;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("sslmode", "disable") => tls = PgTls::Disable,
                ("sslmode", "require" | "verify-ca" | "verify-full") => tls = PgTls::Verify,
                ("sslmode", other) => {
                    return Err(format!(
                        "sslmode `{other}` is not supported: use `verify-full` (the default: \
                         TLS with the certificate checked) or `disable` (no TLS)"
                    ));
                }
                (other, _) => {
                    return Err(format!(
                        "unknown parameter `{other}` in the ledger URL; only `sslmode` is read"
                    ));
                }
            }
        }
        Ok(PgTarget {
            user,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: url.port().unwrap_or(5432),
            database: percent_encoding::percent_decode_str(database)
                .decode_utf8_lossy()
                .into_owned(),
            tls,
            password: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_or_a_database() {
        assert_eq!(
            "ledger.sqlite".parse::<Location>().unwrap(),
            Location::File("ledger.sqlite".into())
        );
        let Location::Postgres(pg) =
            "postgres://courant@db.example:6543/nieuwsbrief?sslmode=disable"
                .parse::<Location>()
                .unwrap()
        else {
            panic!("not a database")
        };
        assert_eq!(
            (
                pg.user.as_str(),
                pg.host.as_str(),
                pg.port,
                pg.database.as_str(),
                pg.tls
            ),
            ("courant", "db.example", 6543, "nieuwsbrief", PgTls::Disable)
        );
        let default: Location = "postgresql://courant@db.example/nb".parse().unwrap();
        assert_eq!(default.to_string(), "postgres://courant@db.example:5432/nb");
    }

    #[test]
    fn a_password_in_the_url_is_refused_without_being_repeated() {
        let err = "postgres://courant:geheim123@db.example/nb"
            .parse::<Location>()
            .unwrap_err();
        assert!(err.contains("PGPASSWORD"), "{err}");
        assert!(!err.contains("geheim123"), "{err}");
    }

    #[test]
    fn unknown_parameters_and_modes_are_refused() {
        for url in [
            "postgres://u@h/d?sslmode=prefer",
            "postgres://u@h/d?ssl=true",
            "postgres://u@h/",
            "mysql://u@h/d",
        ] {
            assert!(url.parse::<Location>().is_err(), "{url}");
        }
    }
}
