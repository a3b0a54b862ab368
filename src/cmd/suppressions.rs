//! `courant unsubscribe` and `courant suppressions`: the staff's side of the suppression list.

use std::path::{Path, PathBuf};

use super::args::LedgerArgs;
use crate::diagnostic::display_path;
use crate::edition::value::EmailAddr;
use crate::error::{Error, ExitStatus};
use crate::ledger::{self, Ledger};
use crate::source::{from_spreadsheet_cell, spreadsheet_cell};
use crate::term::{Term, plural};

/// Add addresses to the suppression list: no edition is sent to them again.
#[derive(Debug, clap::Args)]
pub(crate) struct UnsubscribeArgs {
    /// The addresses.
    #[arg(required = true)]
    addresses: Vec<String>,
    #[command(flatten)]
    ledger: LedgerArgs,
}

/// Export or import the suppression list as CSV (`email,at,source,edition,status,diagnostic`).
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Write the suppression list as CSV to stdout.
    Export {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Add the addresses of a CSV file (a column `email`) to the suppression list.
    Import {
        /// The CSV file: a header row with an `email` column; comma or semicolon separated.
        file: PathBuf,
        #[command(flatten)]
        ledger: LedgerArgs,
    },
}

pub(crate) fn unsubscribe(args: &UnsubscribeArgs, term: &Term) -> Result<ExitStatus, Error> {
    let addresses = args.addresses.iter().map(|a| (a.clone(), 0));
    add(addresses, "staff", &args.ledger, "the command line", term)
}

pub(crate) fn run(command: &Command, term: &Term) -> Result<ExitStatus, Error> {
    match command {
        Command::Export { ledger } => export(ledger),
        Command::Import { file, ledger } => import(file, ledger, term),
    }
}

/// The staff commands' ledger: `--ledger`, else the one in the newsletter's folder.
fn open(args: &LedgerArgs) -> Result<Ledger, Error> {
    Ok(Ledger::open(args.location_from_here()?)?)
}

/// Checks every address first, so that a typo adds nothing.
fn add(
    addresses: impl Iterator<Item = (String, usize)>,
    source: &str,
    args: &LedgerArgs,
    origin: &str,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let mut valid = Vec::new();
    for (address, line) in addresses {
        let parsed: EmailAddr = address.parse().map_err(|e| {
            Error::Refused(match line {
                0 => format!("{origin}: {e}"),
                n => format!("{origin}:{n}: {e}"),
            })
        })?;
        valid.push(parsed);
    }
    let ledger = open(args)?;
    let now = ledger::now();
    let mut added = 0;
    for address in &valid {
        if ledger.suppress(address.as_str(), source, now)? {
            added += 1;
        }
    }
    let already = valid.len() - added;
    term.say(format!(
        "suppressed {added} {}; {already} already on the list ({})",
        plural(added, "address", "addresses"),
        ledger.location()
    ))?;
    Ok(ExitStatus::Success)
}

fn export(args: &LedgerArgs) -> Result<ExitStatus, Error> {
    // Read first: a ledger that cannot be read leaves stdout empty, not a header alone.
    let suppressions = open(args)?.suppressions()?;
    let mut writer = csv::Writer::from_writer(std::io::stdout());
    let failed = |e: csv::Error| Error::Failed(format!("cannot write the CSV: {e}"));
    writer
        .write_record(["email", "at", "source", "edition", "status", "diagnostic"])
        .map_err(failed)?;
    for s in suppressions {
        let at = humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(s.at.max(0) as u64),
        );
        let evidence = s.evidence;
        let (at, edition) = (at.to_string(), evidence.edition.unwrap_or_default());
        let (status, diagnostic) = (
            evidence.status.unwrap_or_default(),
            evidence.diagnostic.unwrap_or_default(),
        );
        let cells = [&s.email, &at, &s.source, &edition, &status, &diagnostic];
        writer
            .write_record(cells.map(|cell| spreadsheet_cell(cell).into_owned()))
            .map_err(failed)?;
    }
    writer
        .flush()
        .map_err(|e| Error::Failed(format!("cannot write the CSV: {e}")))?;
    Ok(ExitStatus::Success)
}

fn import(file: &Path, args: &LedgerArgs, term: &Term) -> Result<ExitStatus, Error> {
    let shown = display_path(file);
    let (source, warning) = crate::source::read_spreadsheet(file)?;
    term.warn_all(warning.as_slice());
    let text = source.text.as_str();
    let (delimiter, base) = crate::source::csv_layout(text);
    let skipped = text[..base].matches('\n').count();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(&text.as_bytes()[base..]);
    let bad = |e: csv::Error| Error::Refused(format!("{shown}: {e}"));
    let headers = reader.headers().map_err(bad)?.clone();
    let column = headers
        .iter()
        .position(|h| crate::subscribers::is_email_column(&h.to_lowercase()))
        .ok_or_else(|| {
            Error::Refused(format!("{shown}:1: the header row has no `email` column"))
        })?;
    let mut addresses = Vec::new();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        let line = skipped + record.position().map_or(0, |p| p.line() as usize);
        if let Some(address) = record.get(column).filter(|a| !a.is_empty()) {
            addresses.push((from_spreadsheet_cell(address).to_owned(), line));
        }
    }
    add(addresses.into_iter(), "import", args, &shown, term)
}
