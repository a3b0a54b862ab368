//! `courant person` and `courant consent`: what the ledger holds about one person, for their
//! requests under the AVG/GDPR (access, portability, erasure), and the proof of their consent.

use super::args::ListArgs;
use crate::error::{Error, ExitStatus};
use crate::ledger;
use crate::term::Term;

/// What the ledger holds about one person: show it, export it, erase it.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Every row about the address, in every table, per table.
    Show {
        address: String,
        /// Print the whole export (as `person export`).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Every row about the address, in every table, as JSON on stdout (AVG/GDPR art. 15, 20).
    Export {
        address: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Remove the address from every table, bounce messages included (art. 17); only a keyed
    /// hash stays among the suppressions, so no import adds them again.
    Erase {
        address: String,
        /// Do not ask to type the address again.
        #[arg(long, short)]
        yes: bool,
        #[command(flatten)]
        list: ListArgs,
    },
}

/// Whether the ledger can prove someone's consent: each way they came onto the list.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ConsentCommand {
    /// When, how, on what grounds and with which text the address came onto the list.
    Show {
        address: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        list: ListArgs,
    },
}

pub(crate) fn run(command: &Command, term: &Term) -> Result<ExitStatus, Error> {
    match command {
        Command::Show {
            address,
            json,
            list,
        } => {
            let person = list.open()?.ledger.person(address)?;
            if *json {
                return term.json(&person).map(|()| ExitStatus::Success);
            }
            let tables = person.as_object().into_iter().flatten();
            let mut any = false;
            for (table, rows) in tables.filter_map(|(t, r)| Some((t, r.as_array()?))) {
                if !rows.is_empty() {
                    any = true;
                    term.say(format!("{table}: {} rows", rows.len()))?;
                }
            }
            if !any {
                term.say(format!("the ledger holds nothing about {address}"))?;
            }
            Ok(ExitStatus::Success)
        }
        Command::Export { address, list } => {
            let person = list.open()?.ledger.person(address)?;
            term.json(&person).map(|()| ExitStatus::Success)
        }
        Command::Erase { address, yes, list } => erase(address, *yes, list, term),
    }
}

fn erase(address: &str, yes: bool, list: &ListArgs, term: &Term) -> Result<ExitStatus, Error> {
    let opened = list.open()?;
    if !yes {
        let question = format!(
            "erase everything {} holds about {address}? This cannot be undone. Type the \
             address to go on:",
            opened.ledger.location()
        );
        let answer = term
            .ask(&question)
            .map_err(|_| Error::Refused("no terminal to confirm on; pass --yes to erase".into()))?;
        if ledger::key(&answer) != ledger::key(address) {
            return Err(Error::Refused(
                "not erased: the address typed differs".into(),
            ));
        }
    }
    let erased = opened.ledger.erase(address, &opened.key.erased(address))?;
    for (table, n) in &erased.rows {
        term.say(format!("{table}: {n} removed"))?;
    }
    term.say(format!(
        "erased {address}; a keyed hash among the suppressions keeps imports from adding \
         them again"
    ))?;
    Ok(ExitStatus::Success)
}

pub(crate) fn consent(command: &ConsentCommand, term: &Term) -> Result<ExitStatus, Error> {
    let ConsentCommand::Show {
        address,
        json,
        list,
    } = command;
    let opened = list.open()?;
    let rows = opened.ledger.consents(&opened.list_id, address)?;
    if *json {
        return term.json(&rows).map(|()| ExitStatus::Success);
    }
    if rows.is_empty() {
        term.say(format!("no consent on record for {address}"))?;
        return Ok(ExitStatus::Failed);
    }
    for c in &rows {
        let by = c
            .actor
            .as_deref()
            .map_or(String::new(), |a| format!(" by {a}"));
        term.say(format!(
            "{} {}{by}: {}",
            ledger::time(c.at),
            c.method,
            c.detail
        ))?;
        if let Some(ip) = &c.ip {
            term.say(format!("  from {ip}"))?;
        }
        if let (Some(hash), Some(text)) = (&c.text_hash, &c.text) {
            term.say(format!("  agreed to (SHA-256 {hash}): {text}"))?;
        }
    }
    Ok(ExitStatus::Success)
}
