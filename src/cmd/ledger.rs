//! `courant ledger`: where the record is, what it holds, and moving it to another backend.

use super::args::LedgerArgs;
use crate::error::{Error, ExitStatus};
use crate::ledger::{CopyError, Counts, Ledger, Location};
use crate::term::Term;

/// Check a ledger, or copy one to another backend.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Say whether the ledger can be reached, the version of its tables and how many rows each
    /// holds.
    Check {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Copy every row of one ledger into another, times and sources kept: a SQLite file to
    /// PostgreSQL when a unit grows (or back). The target must be empty unless --replace.
    ///
    /// Example: courant ledger copy issues/courant.sqlite postgres://courant@db.example.nl/nieuwsbrief
    Copy {
        /// The ledger to copy: a file or a `postgres://` URL.
        from: String,
        /// The ledger to copy into (created if it is a new file or an empty database).
        to: String,
        /// Delete what the target holds first.
        #[arg(long)]
        replace: bool,
    },
}

pub(crate) fn run(command: &Command, term: &Term) -> Result<ExitStatus, Error> {
    match command {
        Command::Check { ledger } => check(&ledger.location_from_here()?, term),
        Command::Copy { from, to, replace } => copy(&parse(from)?, &parse(to)?, *replace, term),
    }
}

/// A location from the command line, parsed here so that a refused URL is not echoed.
fn parse(given: &str) -> Result<Location, Error> {
    given.parse().map_err(Error::Refused)
}

fn check(location: &Location, term: &Term) -> Result<ExitStatus, Error> {
    if let Some(path) = location.file().filter(|p| !p.exists()) {
        return Err(Error::Refused(format!(
            "no ledger at `{}`: nothing was recorded yet",
            crate::diagnostic::display_path(path)
        )));
    }
    let ledger = Ledger::open(location.clone())?;
    term.say(format!("ledger: {location}"))?;
    term.say(format!(
        "reachable; tables of version {}",
        ledger.schema_version()?
    ))?;
    print_counts(&ledger.counts()?, term)?;
    Ok(ExitStatus::Success)
}

fn copy(from: &Location, to: &Location, replace: bool, term: &Term) -> Result<ExitStatus, Error> {
    if from == to {
        return Err(Error::Refused(
            "the two ledgers are the same; name another target".into(),
        ));
    }
    if let Some(path) = from.file().filter(|p| !p.exists()) {
        return Err(Error::Refused(format!(
            "no ledger at `{}` to copy",
            crate::diagnostic::display_path(path)
        )));
    }
    let source = Ledger::open(from.clone())?;
    let target = Ledger::open(to.clone())?;
    let copied = source.copy_into(&target, replace).map_err(|e| match e {
        CopyError::Ledger(e) => Error::from(e),
        e @ CopyError::NotEmpty { .. } => Error::Refused(e.to_string()),
    })?;
    term.say(format!("copied {from} to {to}:"))?;
    print_counts(&copied, term)?;
    Ok(ExitStatus::Success)
}

fn print_counts(counts: &Counts, term: &Term) -> Result<(), Error> {
    for (table, n) in &counts.0 {
        term.say(format!("  {table:<16} {n:>9}"))?;
    }
    Ok(())
}
