//! `courant subscribers`: the staff's side of the list kept in the ledger.

use std::path::PathBuf;

use super::args::ListArgs;
use crate::edition::audience::Audience;
use crate::error::{Error, ExitStatus};
use crate::ledger::{Change, ListStatus};
use crate::list;
use crate::term::{Term, plural};

/// Keep the newsletter's list in the ledger: add, remove, edit, list, import and export.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Add one person, with how they asked to be on the list.
    Add {
        address: String,
        #[arg(long)]
        name: Option<String>,
        /// An extra field, `KEY=VALUE`; may be repeated.
        #[arg(long = "field", value_name = "KEY=VALUE")]
        fields: Vec<String>,
        /// How they asked, kept as their consent: `asked at the conference, 12 March`.
        #[arg(long)]
        source: String,
        /// A file with the exact text they agreed to, kept with their consent.
        #[arg(long, value_name = "FILE")]
        consent_text: Option<PathBuf>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Take one person off the list: unsubscribed, and never added again by an import.
    Remove {
        address: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Change a person's name or fields.
    Edit {
        address: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "field", value_name = "KEY=VALUE")]
        fields: Vec<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Show the list, or the people of one status.
    List {
        /// `pending`, `active` or `unsubscribed`.
        #[arg(long)]
        status: Option<String>,
        /// Only who this audience selects, as an edition's `audience` would:
        /// `--audience 'regio = "Oost" and not tag:pers'`.
        #[arg(long)]
        audience: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Add or update everyone in a file (TOML, CSV, or an Excel or LibreOffice workbook):
    /// every row valid, or nothing written.
    Import {
        file: PathBuf,
        /// Where the list comes from and why these people may be mailed, kept as their
        /// consent: `members' register 2026, who ticked "newsletter"`.
        #[arg(long)]
        source: String,
        /// A file with the exact text these people agreed to (the form's consent line), kept
        /// once and named by its SHA-256 in each consent row.
        #[arg(long, value_name = "FILE")]
        consent_text: Option<PathBuf>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Write the list to stdout: CSV for Excel (formula-safe), or TOML.
    Export {
        #[arg(long, default_value = "csv", value_parser = ["csv", "toml"])]
        format: String,
        #[command(flatten)]
        list: ListArgs,
    },
}

pub(crate) fn run(command: &Command, term: &Term) -> Result<ExitStatus, Error> {
    match command {
        Command::Add {
            address,
            name,
            fields,
            source,
            consent_text,
            list,
        } => {
            let opened = list.open()?;
            let fields = parse_fields(fields)?;
            let mut list = opened.list();
            list.agreed = agreed(consent_text.as_deref())?;
            let change = list.add(address, name.clone(), fields, source)?;
            report(&[(0, address.clone(), change)], term)
        }
        Command::Remove { address, list } => remove(address, list, term),
        Command::Edit {
            address,
            name,
            fields,
            list,
        } => edit(address, name.as_deref(), fields, list, term),
        Command::List {
            status,
            audience,
            json,
            list,
        } => show(status.as_deref(), audience.as_deref(), *json, list, term),
        Command::Import {
            file,
            source,
            consent_text,
            list,
        } => {
            let opened = list.open()?;
            let mut list = opened.list();
            list.agreed = agreed(consent_text.as_deref())?;
            let imported = list.import(file, source)?;
            term.warn_all(&imported.warnings);
            report(&imported.rows, term)
        }
        Command::Export { format, list } => {
            let opened = list.open()?;
            let members = opened.ledger.members(&opened.list_id, None)?;
            let text = match format.as_str() {
                "toml" => list::to_toml(&members),
                _ => list::to_csv(&members)?,
            };
            term.out(&text)?;
            Ok(ExitStatus::Success)
        }
    }
}

fn remove(address: &str, list: &ListArgs, term: &Term) -> Result<ExitStatus, Error> {
    let opened = list.open()?;
    let source = match list::actor() {
        Some(who) => format!("removed by staff ({who})"),
        None => "removed by staff".to_owned(),
    };
    let at = crate::ledger::now();
    if !(opened.ledger).unsubscribe_member(&opened.list_id, address, &source, at)? {
        return Err(Error::Refused(format!("{address} is not on the list")));
    }
    term.say(format!(
        "{address}: removed; an import will not add them again"
    ))?;
    Ok(ExitStatus::Success)
}

fn edit(
    address: &str,
    name: Option<&str>,
    fields: &[String],
    list: &ListArgs,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let opened = list.open()?;
    let Some(mut member) = opened.ledger.member(&opened.list_id, address)? else {
        return Err(Error::Refused(format!("{address} is not on the list")));
    };
    if let Some(name) = name {
        member.name = (!name.is_empty()).then(|| name.to_owned());
    }
    member.fields.extend(parse_fields(fields)?);
    let change = opened.list().edit(&member)?;
    report(&[(0, address.to_owned(), change)], term)
}

fn show(
    status: Option<&str>,
    audience: Option<&str>,
    json: bool,
    list: &ListArgs,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let audience = audience
        .map(|a| Audience::try_from(a.to_owned()))
        .transpose()
        .map_err(|e| Error::Refused(format!("--audience: {e}")))?;
    let status = match status {
        Some(s) => Some(ListStatus::parse(s).ok_or_else(|| {
            Error::Refused(format!(
                "--status {s}: expected `pending`, `active` or `unsubscribed`"
            ))
        })?),
        None => None,
    };
    let opened = list.open()?;
    let mut members = opened.ledger.members(&opened.list_id, status)?;
    if let Some(audience) = &audience {
        members.retain(|m| audience.includes(&m.fields));
    }
    if json {
        return term.json(&members).map(|()| ExitStatus::Success);
    }
    for m in &members {
        let name = m.name.as_deref().unwrap_or("");
        term.say(format!("{}\t{}\t{}", m.address, m.status.as_str(), name))?;
    }
    let n = members.len();
    term.note(format!("{n} {}", plural(n, "subscriber", "subscribers")));
    Ok(ExitStatus::Success)
}

/// The consent text in `path`, as written (line ends as on Linux, no byte-order mark).
fn agreed(path: Option<&std::path::Path>) -> Result<Option<String>, Error> {
    let Some(path) = path else {
        return Ok(None);
    };
    let file = crate::source::read_source(path)?;
    let text = file.text.trim().to_owned();
    if text.is_empty() {
        let shown = crate::diagnostic::display_path(path);
        return Err(Error::Refused(format!("--consent-text {shown} is empty")));
    }
    Ok(Some(text))
}

/// `KEY=VALUE` pairs.
fn parse_fields(pairs: &[String]) -> Result<crate::fields::Fields, Error> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
            _ => Err(Error::Refused(format!(
                "--field {p}: write it as KEY=VALUE, e.g. --field regio=Oost"
            ))),
        })
        .collect()
}

/// One line per row that changed something or was refused, then the counts.
fn report(rows: &[(usize, String, Change)], term: &Term) -> Result<ExitStatus, Error> {
    let mut refused = 0;
    for (line, address, change) in rows {
        let at = match line {
            0 => String::new(),
            n => format!("line {n}: "),
        };
        match change {
            Change::Added => term.say(format!("{at}{address}: added"))?,
            Change::Updated => term.say(format!("{at}{address}: updated"))?,
            Change::Unchanged => {}
            Change::Refused(why) => {
                refused += 1;
                term.say(format!("{at}{address}: refused, {why}"))?;
            }
        }
    }
    let count = |what: fn(&Change) -> bool| rows.iter().filter(|(_, _, c)| what(c)).count();
    term.say(format!(
        "{} added, {} updated, {} unchanged, {refused} refused",
        count(|c| *c == Change::Added),
        count(|c| *c == Change::Updated),
        count(|c| *c == Change::Unchanged),
    ))?;
    Ok(ExitStatus::Success)
}
