//! `courant bounces`: what comes back after a send.

use std::io::Write;
use std::path::PathBuf;

use super::{Error, ExitStatus};
use crate::bounces::mailbox;
use crate::bounces::{self, Classified};

/// Bounces, complaints and mailed unsubscribes: read them and keep the list clean.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Say what each message is, per recipient, without changing anything.
    ///
    /// One line per recipient found: the file, the verdict (`hard`, `soft`, `complaint`,
    /// `unsubscribe`, `autoreply`, `delivered`, `not-bounce`), the recipient, the status code
    /// (RFC 3463), the SMTP reply code, the reason and the server's words. With `--json`, one
    /// JSON object per line with the keys `file`, `kind`, `recipient`, `status`, `reply`,
    /// `reason` and `diagnostic`.
    Classify {
        /// Messages: `.eml` files, Maildir folders, folders of files, mbox files; `-` reads one
        /// message from standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(command: &Command) -> Result<ExitStatus, Error> {
    match command {
        Command::Classify { files, json } => classify(files, *json),
    }
}

fn classify(files: &[PathBuf], json: bool) -> Result<ExitStatus, Error> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for path in files {
        let messages = mailbox::read(path).map_err(|e| Error::Refused(e.to_string()))?;
        for stored in messages {
            let classified = bounces::classify(&stored.bytes);
            print_verdicts(&mut out, &stored.label, &classified, json)
                .map_err(|e| Error::Failed(format!("cannot write the verdicts: {e}")))?;
        }
    }
    out.flush()
        .map_err(|e| Error::Failed(format!("cannot write the verdicts: {e}")))?;
    Ok(ExitStatus::Success)
}

fn print_verdicts(
    out: &mut impl Write,
    file: &str,
    classified: &Classified,
    json: bool,
) -> std::io::Result<()> {
    for v in &classified.verdicts {
        if json {
            let line = serde_json::json!({
                "file": file,
                "kind": v.kind,
                "recipient": v.recipient,
                "status": v.status,
                "reply": v.reply,
                "reason": v.reason,
                "diagnostic": v.diagnostic,
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(
                out,
                "{file}: {} {} {} {}{}",
                v.kind.as_str(),
                v.recipient.as_deref().unwrap_or("-"),
                v.status.as_deref().unwrap_or("-"),
                v.reason.unwrap_or("-"),
                v.diagnostic
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )?;
        }
    }
    Ok(())
}
