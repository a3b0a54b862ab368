//! `courant preview`: one .eml per active subscriber, exactly the bytes a send would transmit.

use std::path::PathBuf;

use super::args::LedgerArgs;
use crate::campaign::preview;
use crate::checked::Checked;
use crate::diagnostic::display_path;
use crate::error::{Error, ExitStatus};
use crate::term::{Term, plural};

/// Write one .eml per active subscriber: exactly the bytes a send would transmit.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The edition file, e.g. `issues/2022-12.toml`.
    edition: PathBuf,
    /// The subscriber list: TOML (`[[subscriber]]`), CSV with a header row, or a workbook
    /// (`.xlsx`, `.ods`) [default: the list kept in the ledger, `courant subscribers`].
    #[arg(long, short)]
    subscribers: Option<PathBuf>,
    /// The folder to write the .eml files to (created if needed).
    #[arg(long, short)]
    out: PathBuf,
    /// Write at most this many messages.
    #[arg(long)]
    limit: Option<usize>,
    #[command(flatten)]
    ledger: LedgerArgs,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let checked = Checked::load(&args.edition)?;
    let list = args
        .ledger
        .list(&checked.edition, args.subscribers.as_deref())?;
    term.warn_all(&list.warnings);
    checked.report_brief(term);
    let ledger = args.ledger.location(&checked.edition)?;
    let written = preview::write_all(&checked, &list, ledger, &args.out, args.limit)?;
    term.say(format!(
        "wrote {} {} to {}; skipped {} unsubscribed, {} suppressed",
        written.messages,
        plural(written.messages, "message", "messages"),
        display_path(&args.out),
        written.unsubscribed,
        written.suppressed,
    ))?;
    if let Some((audience, outside)) = &list.audience {
        term.say(format!(
            "audience: {audience} ({outside} active {} outside it)",
            plural(*outside, "reader", "readers")
        ))?;
    }
    Ok(checked.status())
}
