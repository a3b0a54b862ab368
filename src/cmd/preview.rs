//! `courant preview`: one .eml per active subscriber, exactly the bytes a send would transmit.

use std::path::{Path, PathBuf};

use super::args::{LedgerArgs, dir_of};
use super::{Checked, Error, ExitStatus, plural, write};
use crate::diagnostic::display_path;
use crate::ledger::{self, KeySet, Ledger};
use crate::message::{Clock, Composer};
use crate::subscribers::{Subscriber, SubscriberList};

/// Write one .eml per active subscriber: exactly the bytes a send would transmit.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The edition file, e.g. `issues/2022-12.toml`.
    edition: PathBuf,
    /// The subscriber list: TOML (`[[subscriber]]`) or CSV with a header row.
    #[arg(long, short)]
    subscribers: PathBuf,
    /// The folder to write the .eml files to (created if needed).
    #[arg(long, short)]
    out: PathBuf,
    /// Write at most this many messages.
    #[arg(long)]
    limit: Option<usize>,
    #[command(flatten)]
    ledger: LedgerArgs,
}

pub(crate) fn run(args: &Args) -> Result<ExitStatus, Error> {
    let checked = Checked::load(&args.edition)?;
    let list = SubscriberList::load(&args.subscribers)?;
    checked.report();
    let (dkim, tokens) = checked.keys()?;
    let composer = Composer::new(&checked.edition, &checked.rendered, Clock::from_env())
        .with_dkim(dkim.as_ref())
        .with_tokens(tokens);
    let suppressed = suppressed(args.ledger.location(dir_of(&args.edition))?)?;
    let recipients: Vec<&Subscriber> = list
        .active()
        .filter(|s| !suppressed.contains(&ledger::key(s.email.as_str())))
        .collect();
    let written = write_messages(&composer, &recipients, &args.out, args.limit)?;
    let unsubscribed = list.subscribers.len() - list.active().count();
    println!(
        "wrote {written} {} to {}; skipped {unsubscribed} unsubscribed, {} suppressed",
        plural(written, "message", "messages"),
        display_path(&args.out),
        list.active().count() - recipients.len()
    );
    Ok(checked.status())
}

/// The suppression list of the ledger, if there is a ledger: preview never creates one.
fn suppressed(location: ledger::Location) -> Result<KeySet, Error> {
    if location.file().is_some_and(|path| !path.exists()) {
        return Ok(KeySet::new());
    }
    Ok(Ledger::open(location)?.suppressed()?)
}

fn write_messages(
    composer: &Composer,
    recipients: &[&Subscriber],
    out: &Path,
    limit: Option<usize>,
) -> Result<usize, Error> {
    remove_old_previews(out)?;
    let mut written = 0;
    for (i, subscriber) in recipients
        .iter()
        .take(limit.unwrap_or(usize::MAX))
        .enumerate()
    {
        let message = composer.bytes(subscriber)?;
        write(&out.join(file_name(i + 1, subscriber)), message)?;
        written += 1;
    }
    Ok(written)
}

/// `0001-anne.de.vries@example.nl.eml`: list order first, then the address, readable and stable.
pub(crate) fn file_name(n: usize, subscriber: &Subscriber) -> String {
    let safe: String = subscriber
        .email
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@.-_+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{n:04}-{safe}.eml")
}

/// A preview shows one run: files of an earlier run (a longer list, say) would mislead.
fn remove_old_previews(out: &Path) -> Result<(), Error> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.ends_with(".eml")
            && name
                .split_once('-')
                .is_some_and(|(n, _)| n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit()));
        if ours {
            std::fs::remove_file(entry.path()).map_err(|source| Error::Write {
                action: "remove",
                path: entry.path(),
                source,
            })?;
        }
    }
    Ok(())
}
