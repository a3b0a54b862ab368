//! A preview: one .eml per recipient a send would have now, exactly the bytes it would
//! transmit.

use std::collections::HashMap;
use std::path::Path;

use crate::checked::Checked;
use crate::error::Error;
use crate::files::write;
use crate::ledger::{KeySet, Ledger, Location};
use crate::message::{Clock, Composer};
use crate::plan::{Again, Plan};
use crate::subscribers::{Subscriber, SubscriberList};

/// What a preview wrote, for its summary.
pub struct Written {
    pub messages: usize,
    pub unsubscribed: usize,
    pub suppressed: usize,
}

/// Writes into `out` one .eml per recipient a send would have now (at most `limit`), the
/// bytes it would transmit, after removing the .eml files of an earlier preview.
pub fn write_all(
    checked: &Checked,
    list: &SubscriberList,
    ledger: Location,
    out: &Path,
    limit: Option<usize>,
) -> Result<Written, Error> {
    let (dkim, tokens) = checked.keys()?;
    let composer = Composer::new(&checked.edition, &checked.rendered, Clock::from_env())
        .with_dkim(dkim.as_ref())
        .with_tokens(tokens);
    let plan = Plan::new(
        &list.subscribers,
        &HashMap::new(),
        &suppressed(ledger, list, checked)?,
        Again::default(),
    );
    let recipients: Vec<&Subscriber> = plan
        .expected
        .iter()
        .map(|&i| &list.subscribers[i])
        .collect();
    Ok(Written {
        messages: write_messages(&composer, &recipients, out, limit)?,
        unsubscribed: plan.unsubscribed,
        suppressed: plan.suppressed,
    })
}

/// The suppression list of the ledger, if there is a ledger: preview never creates one.
fn suppressed(
    location: Location,
    list: &SubscriberList,
    checked: &Checked,
) -> Result<KeySet, Error> {
    if location.file().is_some_and(|path| !path.exists()) {
        return Ok(KeySet::new());
    }
    let ledger = Ledger::open(location)?;
    crate::list::suppressed(&ledger, &list.subscribers, &checked.edition)
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
