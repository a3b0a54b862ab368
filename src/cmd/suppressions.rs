//! `courant unsubscribe` and `courant suppressions`: the staff's side of the suppression list.

use std::path::PathBuf;

use super::{Outcome, plural};
use crate::cli::{LedgerArgs, SuppressionsCommand};
use crate::diagnostic::display_path;
use crate::edition::value::EmailAddr;
use crate::ledger::{self, Ledger};

/// The ledger of the staff commands: `--ledger`, else `issues/courant.sqlite`.
fn ledger_path(args: &LedgerArgs) -> PathBuf {
    args.ledger
        .clone()
        .unwrap_or_else(|| PathBuf::from("issues/courant.sqlite"))
}

fn open(args: &LedgerArgs) -> Result<Ledger, String> {
    Ledger::open(&ledger_path(args)).map_err(|e| e.to_string())
}

pub fn unsubscribe(addresses: &[String], args: &LedgerArgs) -> Outcome {
    finish(add(
        addresses.iter().map(|a| (a.clone(), 0)),
        "staff",
        args,
        "the command line",
    ))
}

pub fn run(command: &SuppressionsCommand) -> Outcome {
    match command {
        SuppressionsCommand::Export { ledger } => finish(export(ledger)),
        SuppressionsCommand::Import { file, ledger } => finish(import(file, ledger)),
    }
}

fn finish(result: Result<(), String>) -> Outcome {
    match result {
        Ok(()) => Outcome::Success,
        Err(message) => {
            eprintln!("error: {message}");
            Outcome::BadInput
        }
    }
}

/// Checks every address first, so that a typo adds nothing.
fn add(
    addresses: impl Iterator<Item = (String, usize)>,
    source: &str,
    args: &LedgerArgs,
    origin: &str,
) -> Result<(), String> {
    let mut valid = Vec::new();
    for (address, line) in addresses {
        let parsed: EmailAddr = address.parse().map_err(|e| match line {
            0 => format!("{origin}: {e}"),
            n => format!("{origin}:{n}: {e}"),
        })?;
        valid.push(parsed);
    }
    let ledger = open(args)?;
    let now = ledger::now();
    let mut added = 0;
    for address in &valid {
        if ledger
            .suppress(address.as_str(), source, now)
            .map_err(|e| e.to_string())?
        {
            added += 1;
        }
    }
    let already = valid.len() - added;
    println!(
        "suppressed {added} {}; {already} already on the list ({})",
        plural(added, "address", "addresses"),
        display_path(ledger.path())
    );
    Ok(())
}

fn export(args: &LedgerArgs) -> Result<(), String> {
    let mut writer = csv::Writer::from_writer(std::io::stdout());
    let write = |e: csv::Error| e.to_string();
    writer
        .write_record(["email", "at", "source"])
        .map_err(write)?;
    for (email, at, source) in open(args)?.suppressions().map_err(|e| e.to_string())? {
        let at = humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(at.max(0) as u64),
        );
        writer
            .write_record([email, at.to_string(), source])
            .map_err(write)?;
    }
    writer.flush().map_err(|e| e.to_string())
}

fn import(file: &std::path::Path, args: &LedgerArgs) -> Result<(), String> {
    let shown = display_path(file);
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let text = text.trim_start_matches('\u{feff}');
    let header = text.lines().next().unwrap_or("");
    let delimiter = if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("{shown}: {e}"))?
        .clone();
    let column = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("email"))
        .ok_or_else(|| format!("{shown}:1: the header row has no `email` column"))?;
    let mut addresses = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{shown}: {e}"))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if let Some(address) = record.get(column).filter(|a| !a.is_empty()) {
            addresses.push((address.to_owned(), line));
        }
    }
    add(addresses.into_iter(), "import", args, &shown)
}
