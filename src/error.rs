//! How an operation ends: its exit status, and the one error type of the operations and
//! commands.
//!
//! Each stage has its own error type; this one gathers them at the top and knows which exit
//! status each deserves, so no command decides that by hand. [`crate::term::Term::error`]
//! prints it.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::diagnostic::display_path;
use crate::dkim::KeyError;
use crate::edition::value::ValueError;
use crate::ledger::{LedgerError, LockError};
use crate::message::MessageError;
use crate::source::LoadError;
use crate::transport::ConfigError;
use crate::unsubscribe::SecretError;

/// How a command ended; the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked (warnings allowed).
    Success = 0,
    /// The job ran, but something failed: an error finding, a recipient, a file not written.
    Failed = 1,
    /// Bad input, usage or configuration: nothing was done.
    BadInput = 2,
    /// The ledger could not be written after sending started: messages may have gone out
    /// without a record. The most serious failure courant can have.
    LedgerLost = 3,
    /// `bounces read -` could not record a message: the mail system keeps it and tries again
    /// (`EX_TEMPFAIL` of sysexits.h, as Postfix's pipe and procmail expect).
    TryAgain = 75,
}

impl ExitStatus {
    /// `Success` when `failed` is false.
    pub fn failed_if(failed: bool) -> ExitStatus {
        if failed {
            ExitStatus::Failed
        } else {
            ExitStatus::Success
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// Why a command did not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file that cannot be used; shown with its position.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A value given on the command line, named by its flag.
    #[error("{flag}: {source}")]
    Argument {
        flag: &'static str,
        source: ValueError,
    },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Smtp(#[from] ConfigError),
    #[error(transparent)]
    Dkim(#[from] KeyError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Message(#[from] MessageError),
    #[error(transparent)]
    Imap(#[from] crate::bounces::imap::ImapError),
    /// The command will not do what was asked, and says why and what to do.
    #[error("{0}")]
    Refused(String),
    #[error("cannot read `{}`: {source}", display_path(path))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot {action} `{}`: {source}", display_path(path))]
    Write {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The job ran and did not succeed: the server refused a test message, say.
    #[error("{0}")]
    Failed(String),
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// Standard output was closed by its reader (`| head`): nothing more to say.
    #[error("standard output is closed")]
    OutputClosed,
    #[error(
        "the ledger could not be written after sending started: {0}; messages in flight may have been delivered without a record, so check `courant status` before sending again, and never pass --resend-unknown before you know"
    )]
    LedgerLost(String),
}

impl Error {
    /// A file that could not be written (or created), with its path.
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Write {
            action: "write",
            path: path.into(),
            source,
        }
    }

    /// A folder or file that could not be created.
    pub fn create(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Write {
            action: "create",
            path: path.into(),
            source,
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::LedgerLost(_) => ExitStatus::LedgerLost,
            Error::OutputClosed => ExitStatus::Success,
            // A file in the way is a usage problem: nothing was overwritten.
            Error::Write { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
                ExitStatus::BadInput
            }
            Error::Write { .. } | Error::Failed(_) | Error::Runtime(_) => ExitStatus::Failed,
            Error::Lock(LockError::Create { .. }) => ExitStatus::Failed,
            Error::Imap(e) if e.is_temporary() => ExitStatus::Failed,
            _ => ExitStatus::BadInput,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ledger_lost_after_sending_started_has_its_own_exit_status() {
        let lost = Error::LedgerLost("disk I/O error".into());
        assert_eq!(lost.exit_status(), ExitStatus::LedgerLost);
        assert_eq!(lost.exit_status() as u8, 3);
        assert!(lost.to_string().contains("courant status"), "{lost}");
    }

    #[test]
    fn bad_input_and_failures_keep_their_statuses() {
        let refused = Error::Refused("not confirmed; nothing sent".into());
        assert_eq!(refused.exit_status(), ExitStatus::BadInput);
        let io = std::io::Error::other("disk full");
        assert_eq!(
            Error::write("out/a.eml", io).exit_status(),
            ExitStatus::Failed
        );
        assert_eq!(
            Error::Failed("550 no".into()).exit_status(),
            ExitStatus::Failed
        );
    }
}
