//! `courant send`: plan, confirm, then deliver to every recipient not yet served.

use std::path::PathBuf;

use super::args::{LedgerArgs, PacingArgs, SmtpArgs};
use crate::campaign::send::Send;
use crate::checked::Checked;
use crate::error::{Error, ExitStatus};
use crate::plan::Again;
use crate::term::Term;

/// Send an edition to every active subscriber who has not received it yet.
///
/// Prints the plan and asks for confirmation on a terminal. Every recipient's state is kept
/// in the ledger, so a run that is stopped or crashes can be run again: it continues
/// where it was. Exits 0 when all were sent, 1 when any failed, was deferred or is unknown,
/// 2 on bad input or configuration, 3 when the ledger could not be written after sending
/// started.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The edition file, e.g. `issues/2022-12.toml`.
    edition: PathBuf,
    /// The subscriber list: TOML (`[[subscriber]]`), CSV with a header row, or a workbook
    /// (`.xlsx`, `.ods`) [default: the list kept in the ledger, `courant subscribers`].
    #[arg(long, short)]
    subscribers: Option<PathBuf>,
    #[command(flatten)]
    smtp: SmtpArgs,
    #[command(flatten)]
    ledger: LedgerArgs,
    #[command(flatten)]
    pacing: PacingArgs,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    yes: bool,
    /// Try recipients whose delivery failed permanently in an earlier run again.
    #[arg(long)]
    retry_failed: bool,
    /// Send again to recipients whose outcome is unknown (a run stopped during their
    /// message): they may receive it twice.
    #[arg(long)]
    resend_unknown: bool,
    /// Send beside other `send --join` runs of this edition on the same ledger (a shared
    /// PostgreSQL ledger: other machines, other SMTP servers): the remaining recipients are
    /// split between the runs, each recipient sent once.
    #[arg(long)]
    join: bool,
    /// Send although another edition with the same subject and content was sent from this
    /// ledger: its readers get the text a second time.
    #[arg(long)]
    again: bool,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let checked = Checked::load_clean(&args.edition, term)?;
    let list = args
        .ledger
        .list(&checked.edition, args.subscribers.as_deref())?;
    term.warn_all(&list.warnings);
    let mut sending = checked.edition.newsletter.sending.clone();
    args.pacing.apply(&mut sending);
    args.smtp.apply(&mut sending);
    let dir = crate::edition::dir_of(&checked.edition.newsletter_file.path);
    let connector = args.smtp.connector(&sending, dir)?;
    let send = Send {
        connector,
        ledger: args.ledger.location(&checked.edition)?,
        checked,
        list,
        sending,
        again: Again {
            failed: args.retry_failed,
            unknown: args.resend_unknown,
        },
        join: args.join,
        repeat: args.again,
        confirmed: args.yes,
        until: None,
    };
    send.run(term)
}
