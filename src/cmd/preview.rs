//! `courant preview`: one .eml per active subscriber, exactly the bytes a send would transmit.

use std::path::Path;

use super::{Checked, Outcome, bad_input, plural, write};
use crate::cli::LedgerArgs;
use crate::diagnostic::display_path;
use crate::ledger::{self, Ledger};
use crate::message::{Clock, Composer};
use crate::subscribers::{Subscriber, SubscriberList};

pub fn run(
    path: &Path,
    list: &Path,
    out: &Path,
    limit: Option<usize>,
    ledger: &LedgerArgs,
) -> Outcome {
    let checked = match Checked::load(path) {
        Ok(checked) => checked,
        Err(error) => return bad_input(&error),
    };
    let list = match SubscriberList::load(list) {
        Ok(list) => list,
        Err(error) => return bad_input(&error),
    };
    checked.report();
    let (dkim, tokens) = match super::load_keys(&checked.edition) {
        Ok(keys) => keys,
        Err(message) => {
            eprintln!("error: {message}");
            return Outcome::BadInput;
        }
    };
    let composer = Composer::new(&checked.edition, &checked.rendered, Clock::from_env())
        .with_dkim(dkim.as_ref())
        .with_tokens(tokens);
    let suppressed = match suppressed(path, ledger) {
        Ok(set) => set,
        Err(message) => {
            eprintln!("error: {message}");
            return Outcome::BadInput;
        }
    };
    let recipients: Vec<&Subscriber> = list
        .active()
        .filter(|s| !suppressed.contains(&ledger::key(s.email.as_str())))
        .collect();
    let written = match write_messages(&composer, &recipients, out, limit) {
        Ok(n) => n,
        Err(message) => {
            eprintln!("error: {message}");
            return Outcome::Failed;
        }
    };
    let unsubscribed = list.subscribers.len() - list.active().count();
    println!(
        "wrote {written} {} to {}; skipped {unsubscribed} unsubscribed, {} suppressed",
        plural(written, "message", "messages"),
        display_path(out),
        list.active().count() - recipients.len()
    );
    if checked.has_errors() {
        Outcome::Failed
    } else {
        Outcome::Success
    }
}

/// The suppression list of the ledger, if there is a ledger: preview never creates one.
fn suppressed(
    edition: &Path,
    args: &LedgerArgs,
) -> Result<std::collections::HashSet<String>, String> {
    let path = super::send::ledger_path(edition, args);
    if !path.exists() {
        return Ok(Default::default());
    }
    Ledger::open(&path)
        .and_then(|l| l.suppressed())
        .map_err(|e| e.to_string())
}

fn write_messages(
    composer: &Composer,
    recipients: &[&Subscriber],
    out: &Path,
    limit: Option<usize>,
) -> Result<usize, String> {
    remove_old_previews(out)?;
    let mut written = 0;
    for (i, subscriber) in recipients
        .iter()
        .take(limit.unwrap_or(usize::MAX))
        .enumerate()
    {
        let message = composer.message(subscriber).map_err(|e| e.to_string())?;
        write(&out.join(file_name(i + 1, subscriber)), message.formatted())?;
        written += 1;
    }
    Ok(written)
}

/// `0001-anne.de.vries@example.nl.eml`: list order first, then the address, readable and stable.
pub fn file_name(n: usize, subscriber: &Subscriber) -> String {
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
fn remove_old_previews(out: &Path) -> Result<(), String> {
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
            std::fs::remove_file(entry.path())
                .map_err(|e| format!("cannot remove `{name}`: {e}"))?;
        }
    }
    Ok(())
}
