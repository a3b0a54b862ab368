//! `courant retention apply`: removing what the settings' `[retention]` says is kept no longer.

use super::args::ListArgs;
use crate::error::{Error, ExitStatus};
use crate::term::{Term, plural};

/// Remove personal data kept longer than `[retention]` says.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Remove signups never confirmed and empty the text of old bounce messages.
    Apply {
        /// Only say what would be removed.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        list: ListArgs,
    },
}

pub(crate) fn run(command: &Command, term: &Term) -> Result<ExitStatus, Error> {
    let Command::Apply { dry_run, list } = command;
    let opened = list.open()?;
    let retention = crate::edition::retention_setting(&list.settings_path())?;
    let now = crate::ledger::now();
    let before = |keep: std::time::Duration| now - keep.as_secs() as i64;
    let expired = opened.ledger.expire(
        &opened.list_id,
        before(retention.pending.0),
        before(retention.bounce_messages.0),
        *dry_run,
    )?;
    let (remove, empty) = match dry_run {
        true => ("would remove", "would empty"),
        false => ("removed", "emptied"),
    };
    let age = |d: std::time::Duration| match d.as_secs() {
        s if s % 86_400 == 0 => format!(
            "{} {}",
            s / 86_400,
            plural((s / 86_400) as usize, "day", "days")
        ),
        _ => humantime::format_duration(d).to_string(),
    };
    let (pending, messages) = (expired.pending as usize, expired.messages as usize);
    term.say(format!(
        "{remove} {pending} {} (older than {})",
        plural(pending, "signup never confirmed", "signups never confirmed"),
        age(retention.pending.0),
    ))?;
    term.say(format!(
        "{empty} the text of {messages} {} (older than {}); their verdicts and suppressions stay",
        plural(
            messages,
            "message that came back",
            "messages that came back"
        ),
        age(retention.bounce_messages.0),
    ))?;
    Ok(ExitStatus::Success)
}
