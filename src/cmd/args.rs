//! The argument groups several commands share, each defined once with the one conversion into
//! the settings it feeds: `--smtp` into a connector, `--ledger` into a path, pacing flags onto
//! `[sending]`.

use std::path::{Path, PathBuf};

use crate::edition::value::{Interval, Rate};
use crate::edition::{Edition, Newsletter, Sending};
use crate::error::Error;
use crate::ledger;
use crate::transport::{ConfigError, Connector};

/// Where to send through.
#[derive(Debug, clap::Args)]
pub(crate) struct SmtpArgs {
    /// `smtp://user@host:587` (STARTTLS), `smtps://user@host:465`, or `smtp://host:25?tls=none`.
    /// The password is read from COURANT_SMTP_PASSWORD only.
    #[arg(long, env = "COURANT_SMTP_URL")]
    smtp: String,
    /// Trust this CA certificate (PEM) besides the web's roots, or the server's own
    /// self-signed certificate [default: `smtp-ca` of `[sending]`].
    #[arg(long, value_name = "FILE", env = "COURANT_SMTP_CA")]
    smtp_ca: Option<PathBuf>,
    /// Longest wait for the server at each step, e.g. `30s` [default: `timeout` of `[sending]`].
    #[arg(long)]
    timeout: Option<Interval>,
}

impl SmtpArgs {
    /// The SMTP settings of a command where they are optional.
    pub(crate) fn new(smtp: String, smtp_ca: Option<PathBuf>) -> SmtpArgs {
        SmtpArgs {
            smtp,
            smtp_ca,
            timeout: None,
        }
    }

    /// `--timeout` over `timeout` of `[sending]`.
    pub(crate) fn apply(&self, sending: &mut Sending) {
        sending.timeout = self.timeout.unwrap_or(sending.timeout);
    }

    /// The connector for `--smtp` with `sending`'s timeout and CA (relative to the settings'
    /// folder `dir`); the password only ever comes from the environment.
    pub(crate) fn connector(
        &self,
        sending: &Sending,
        dir: &Path,
    ) -> Result<Connector, ConfigError> {
        let url = self.smtp.parse()?;
        let password =
            crate::secrets::from_env("COURANT_SMTP_PASSWORD").map_err(ConfigError::Secret)?;
        let timeout = self.timeout.unwrap_or(sending.timeout).0;
        let ca = (self.smtp_ca.clone()).or_else(|| sending.smtp_ca.as_ref().map(|c| dir.join(c)));
        Connector::new(url, password, ca.as_deref(), timeout)
    }
}

/// Where the ledger is.
#[derive(Debug, clap::Args)]
pub(crate) struct LedgerArgs {
    /// The ledger: a SQLite file, or a PostgreSQL database a team shares,
    /// `postgres://user@host:5432/database` (password from PGPASSWORD or ~/.pgpass; add
    /// `?sslmode=disable` for a database without TLS) [default: `courant.sqlite` in the
    /// newsletter's folder, the one with `newsletter.toml`].
    // Parsed after clap: clap repeats a value it refuses, and a URL may hold a password.
    #[arg(
        long,
        env = "COURANT_LEDGER",
        value_name = "FILE|URL",
        hide_env_values = true
    )]
    ledger: Option<String>,
}

impl LedgerArgs {
    /// The ledger of an edition: `--ledger`, else `ledger` of its settings, else the default
    /// beside them.
    pub(crate) fn location(&self, edition: &Edition) -> Result<ledger::Location, Error> {
        self.location_of_settings(&edition.newsletter_file.path, &edition.newsletter)
    }

    /// The list to send `edition` to: the file `path`, else the one kept in the ledger.
    pub(crate) fn list(
        &self,
        edition: &Edition,
        path: Option<&Path>,
    ) -> Result<crate::subscribers::SubscriberList, Error> {
        let mut list = match path {
            Some(path) => crate::subscribers::SubscriberList::load(path)?,
            None => {
                let ledger = ledger::Ledger::open(self.location(edition)?)?;
                crate::list::stored(&ledger, edition.newsletter.list_id.as_str())?
            }
        };
        if let Some(audience) = &edition.content.audience {
            list.narrow(audience.get_ref());
        }
        if let Some(greeting) = &edition.newsletter.greeting {
            let gaps = list.greeting_gaps(greeting.text.get_ref());
            list.warnings.extend(gaps);
        }
        Ok(list)
    }

    /// The ledger of the settings `newsletter`, read from the file at `path`.
    pub(crate) fn location_of_settings(
        &self,
        path: &Path,
        newsletter: &Newsletter,
    ) -> Result<ledger::Location, Error> {
        let setting = newsletter.ledger.as_ref().map(|l| l.get_ref().as_str());
        self.choose(path, setting)
    }

    /// For commands that do not load the settings: `--ledger`, else `ledger` in the
    /// `newsletter.toml` of `dir` (only that key is read: a command that does not use the rest
    /// does not fail on it), else the default in `dir`.
    pub(crate) fn location_in(&self, dir: &Path) -> Result<ledger::Location, Error> {
        let path = dir.join(crate::edition::NEWSLETTER_FILE);
        let setting = if self.ledger.is_none() {
            crate::edition::ledger_setting(&path)
        } else {
            None
        };
        self.choose(&path, setting.as_deref())
    }

    /// For commands without an edition: as [`LedgerArgs::location_in`], in the newsletter's
    /// folder found from the current one (see [`newsletter_dir`]).
    pub(crate) fn location_from_here(&self) -> Result<ledger::Location, Error> {
        self.location_in(&newsletter_dir())
    }

    /// `--ledger`, else `setting` (from the settings file `settings`), else the default beside
    /// that file.
    fn choose(&self, settings: &Path, setting: Option<&str>) -> Result<ledger::Location, Error> {
        let dir = crate::edition::dir_of(settings);
        if let Some(given) = &self.ledger {
            return given
                .parse()
                .map_err(|e| Error::Refused(format!("--ledger: {e}")));
        }
        let Some(setting) = setting else {
            return Ok(ledger::default_location(dir).into());
        };
        let location: ledger::Location = setting.parse().map_err(|e| {
            let shown = crate::diagnostic::display_path(settings);
            Error::Refused(format!("`ledger` in {shown}: {e}"))
        })?;
        Ok(location.relative_to(dir))
    }
}

/// Which newsletter's list: its settings (for `list-id`, the ledger and the secret).
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// The newsletter's settings [default: `newsletter.toml` here, else
    /// `issues/newsletter.toml`].
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    #[command(flatten)]
    ledger: LedgerArgs,
}

/// A newsletter's list, open: its ledger, its `list-id`, and the secret of its folder.
pub(crate) struct OpenList {
    pub(crate) ledger: ledger::Ledger,
    pub(crate) list_id: String,
    pub(crate) key: crate::unsubscribe::TokenKey,
}

impl ListArgs {
    /// The settings file: `--settings`, else the newsletter's folder's.
    pub(crate) fn settings_path(&self) -> PathBuf {
        self.settings
            .clone()
            .unwrap_or_else(|| newsletter_dir().join(crate::edition::NEWSLETTER_FILE))
    }

    pub(crate) fn open(&self) -> Result<OpenList, Error> {
        let settings = self.settings_path();
        let shown = crate::diagnostic::display_path(&settings);
        let list_id = crate::edition::list_id_setting(&settings).ok_or_else(|| {
            Error::Refused(format!(
                "no `list-id` in {shown}: run this in the newsletter's folder, or name its \
                 settings with --settings"
            ))
        })?;
        let dir = crate::edition::dir_of(&settings);
        let key = crate::unsubscribe::TokenKey::find(&list_id, Some(dir))?;
        let ledger = ledger::Ledger::open(self.ledger.location_in(dir)?)?;
        Ok(OpenList {
            ledger,
            list_id,
            key,
        })
    }
}

impl OpenList {
    pub(crate) fn list(&self) -> crate::list::List<'_> {
        crate::list::List {
            ledger: &self.ledger,
            list_id: &self.list_id,
            key: &self.key,
            agreed: None,
        }
    }
}

/// `newsletter.toml` as found from the current folder; when it is not there, an error that says
/// how to name it (a timer or cron job starts in `/`).
pub(crate) fn settings_here() -> Result<PathBuf, Error> {
    let path = newsletter_dir().join(crate::edition::NEWSLETTER_FILE);
    if path.exists() {
        return Ok(path);
    }
    let here = std::env::current_dir().map_or_else(|_| ".".into(), |d| d.display().to_string());
    Err(Error::Refused(format!(
        "no newsletter.toml in {here} or its issues/ folder: run this in the newsletter's \
         folder, or name the settings with --settings FILE (or COURANT_SETTINGS)"
    )))
}

/// The newsletter's folder seen from the current one: here when `newsletter.toml` is here, else
/// `issues`, the folder `courant init` makes.
pub(crate) fn newsletter_dir() -> PathBuf {
    if Path::new(crate::edition::NEWSLETTER_FILE).exists() {
        PathBuf::new()
    } else {
        PathBuf::from("issues")
    }
}

/// Overrides of `[sending]` in newsletter.toml.
#[derive(Debug, clap::Args)]
pub(crate) struct PacingArgs {
    /// e.g. `10/s`, `600/min`, `3600/h` or `unlimited`.
    #[arg(long)]
    rate: Option<Rate>,
    /// How many messages may start at once after a pause; 1 paces evenly.
    #[arg(long)]
    burst: Option<u32>,
    /// Most open SMTP connections.
    #[arg(long)]
    concurrency: Option<usize>,
    /// Messages per connection before it is closed and a new one opened.
    #[arg(long)]
    max_per_connection: Option<u32>,
    /// At most this many messages in any 24 hours, counted across runs from the ledger.
    #[arg(long)]
    daily_limit: Option<u64>,
    /// Attempts after the first for a transient failure.
    #[arg(long)]
    retries: Option<u32>,
    /// The first retry's delay, e.g. `30s`; each next one doubles.
    #[arg(long)]
    retry_delay: Option<Interval>,
    /// Stop the run after this many failures in a row.
    #[arg(long)]
    max_consecutive_failures: Option<u32>,
}

impl PacingArgs {
    /// Every flag given replaces its key of `[sending]`.
    pub(crate) fn apply(&self, s: &mut Sending) {
        s.rate = self.rate.unwrap_or(s.rate);
        s.burst = self.burst.unwrap_or(s.burst);
        s.concurrency = self.concurrency.unwrap_or(s.concurrency).max(1);
        s.max_per_connection = self.max_per_connection.or(s.max_per_connection);
        s.daily_limit = self.daily_limit.or(s.daily_limit);
        s.retries = self.retries.unwrap_or(s.retries);
        s.retry_delay = self.retry_delay.unwrap_or(s.retry_delay);
        s.max_consecutive_failures = self
            .max_consecutive_failures
            .unwrap_or(s.max_consecutive_failures);
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        pacing: PacingArgs,
    }

    #[test]
    fn a_flag_replaces_its_key_and_leaves_the_others() {
        let flags = Flags::parse_from(["x", "--rate", "5/s", "--retries", "1"]);
        let mut sending = Sending::default();
        flags.pacing.apply(&mut sending);
        assert_eq!(sending.rate, Rate::PerSecond(5.0));
        assert_eq!(sending.retries, 1);
        assert_eq!(sending.burst, Sending::default().burst);
    }

    #[test]
    fn the_settings_name_the_ledger_after_the_flag_and_before_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("newsletter.toml");
        std::fs::write(&settings, "name = \"X\"\nledger = \"gedeeld/l.sqlite\"\n").unwrap();
        let none = LedgerArgs { ledger: None };
        assert_eq!(
            none.location_in(dir.path()).unwrap(),
            ledger::Location::File(dir.path().join("gedeeld/l.sqlite"))
        );
        let flag = LedgerArgs {
            ledger: Some("mine.sqlite".into()),
        };
        assert_eq!(
            flag.location_in(dir.path()).unwrap(),
            ledger::Location::File("mine.sqlite".into())
        );
        std::fs::write(&settings, "ledger = \"postgres://u:geheim42@h/d\"\n").unwrap();
        let err = none.location_in(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("`ledger` in") && !err.contains("geheim42"),
            "{err}"
        );
    }

    #[test]
    fn the_default_ledger_is_in_the_given_folder() {
        let args = LedgerArgs { ledger: None };
        assert_eq!(
            args.location_in(Path::new("issues")).unwrap(),
            ledger::Location::File("issues/courant.sqlite".into())
        );
        let chosen = LedgerArgs {
            ledger: Some("elsewhere.sqlite".into()),
        };
        assert_eq!(
            chosen.location_in(Path::new("issues")).unwrap(),
            ledger::Location::File("elsewhere.sqlite".into())
        );
    }
}
