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

/// Export or import the suppression list as CSV (`email,at,source,edition,status,diagnostic`),
/// or lift one suppression.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Write the suppression list as CSV to stdout; then the suppressions lifted, with when and
    /// why (the columns `lifted` and `lifted_reason`).
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
    /// Lift the suppression of an address (a reader who asks to come back): recorded with the
    /// reason and who ran it; a stored list's reader who unsubscribed is active again.
    Remove {
        address: String,
        /// Why, as the reader asked: `asked by phone to receive it again, 12 Jan`.
        #[arg(long)]
        reason: String,
        /// Lift a hard bounce or a complaint too.
        #[arg(long)]
        force: bool,
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
        Command::Remove {
            address,
            reason,
            force,
            ledger,
        } => remove(address, reason, *force, ledger, term),
    }
}

fn remove(
    address: &str,
    reason: &str,
    force: bool,
    args: &LedgerArgs,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let parsed: EmailAddr = address.parse().map_err(|source| Error::Argument {
        flag: "ADDRESS",
        source,
    })?;
    if reason.trim().is_empty() {
        return Err(Error::Refused(
            "--reason is empty: say why, as the reader asked (it is kept as their consent)".into(),
        ));
    }
    let ledger = open(args)?;
    // An erased address is suppressed by its keyed hash; with the secret it is found too.
    let mut keys = vec![ledger::key(parsed.as_str())];
    let dir = super::args::newsletter_dir();
    let settings = dir.join(crate::edition::NEWSLETTER_FILE);
    let list_id = crate::edition::list_id_setting(&settings);
    let key = list_id.and_then(|id| crate::unsubscribe::TokenKey::find(&id, Some(&dir)).ok());
    if let Some(key) = key {
        keys.push(key.erased(parsed.as_str()));
    }
    let actor = crate::list::actor();
    let lift =
        ledger.lift_suppression(&keys, reason.trim(), actor.as_deref(), ledger::now(), force)?;
    match lift {
        ledger::Lift::Lifted {
            source,
            since,
            back,
        } => {
            let back = match back {
                0 => String::new(),
                n => format!(
                    "; active again on {n} stored {}",
                    plural(n as usize, "list", "lists")
                ),
            };
            term.say(format!(
                "{parsed}: no longer suppressed (was: {source} since {}){back}; the reason is recorded",
                ledger::time(since)
            ))?;
            Ok(ExitStatus::Success)
        }
        ledger::Lift::NotSuppressed => Err(Error::Refused(format!(
            "{parsed} is not suppressed ({}): nothing to lift",
            ledger.location()
        ))),
        ledger::Lift::NeedsForce { source, since } => Err(needs_force(&parsed, &source, since)),
    }
}

/// Why a hard bounce or a complaint is not lifted without --force.
fn needs_force(address: &EmailAddr, source: &str, since: i64) -> Error {
    let why = match source {
        "complaint" => "its owner marked a message as spam",
        _ => "mail to it failed permanently (a hard bounce)",
    };
    Error::Refused(format!(
        "{address} is suppressed since {} because {why}; mailing it again harms the \
         newsletter's reputation. If the reader asked to come back and the address works, \
         pass --force",
        ledger::time(since)
    ))
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

/// The columns of `suppressions export`; a row with `lifted` set was lifted then.
const HEADER: [&str; 8] = [
    "email",
    "at",
    "source",
    "edition",
    "status",
    "diagnostic",
    "lifted",
    "lifted_reason",
];

fn export(args: &LedgerArgs) -> Result<ExitStatus, Error> {
    // Read first: a ledger that cannot be read leaves stdout empty, not a header alone.
    let ledger = open(args)?;
    let (suppressions, lifts) = (ledger.suppressions()?, ledger.lifts()?);
    let mut writer = csv::Writer::from_writer(std::io::stdout());
    let failed = |e: csv::Error| Error::Failed(format!("cannot write the CSV: {e}"));
    let mut row = |cells: [&str; 8]| {
        writer
            .write_record(cells.map(|cell| spreadsheet_cell(cell).into_owned()))
            .map_err(failed)
    };
    row(HEADER)?;
    for s in suppressions {
        let at = ledger::time(s.at);
        let evidence = s.evidence;
        let edition = evidence.edition.unwrap_or_default();
        let status = evidence.status.unwrap_or_default();
        let diagnostic = evidence.diagnostic.unwrap_or_default();
        row([
            &s.email,
            &at,
            &s.source,
            &edition,
            &status,
            &diagnostic,
            "",
            "",
        ])?;
    }
    for l in lifts {
        let (at, lifted) = (ledger::time(l.suppressed_at), ledger::time(l.at));
        let why = match &l.actor {
            Some(actor) => format!("{} (by {actor})", l.reason),
            None => l.reason.clone(),
        };
        row([&l.email, &at, &l.source, "", "", "", &lifted, &why])?;
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
    // An export's lifted rows are not suppressions.
    let lifted = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("lifted"));
    let mut addresses = Vec::new();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        let line = skipped + record.position().map_or(0, |p| p.line() as usize);
        if lifted
            .and_then(|i| record.get(i))
            .is_some_and(|l| !l.is_empty())
        {
            continue;
        }
        if let Some(address) = record.get(column).filter(|a| !a.is_empty()) {
            addresses.push((from_spreadsheet_cell(address).to_owned(), line));
        }
    }
    add(addresses.into_iter(), "import", args, &shown, term)
}
