//! `courant serve-public` (also `serve-unsubscribe`): the pages readers reach, the unsubscribe
//! links and, with `[signup]`, the signup form and its confirmation.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::args::{LedgerArgs, SmtpArgs};
use crate::edition::Newsletter;
use crate::error::{Error, ExitStatus};
use crate::ledger::Ledger;
use crate::source::{parse, read_source};
use crate::term::Term;

/// Serve the pages readers reach: the unsubscribe links (GET shows a confirmation page, POST,
/// the page's button or an RFC 8058 one-click POST, unsubscribes) and, with `[signup]`, the
/// signup form and its confirmation links (double opt-in; the mails go out through --smtp).
/// Run it behind the reverse proxy that serves those URLs.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The newsletter's settings, e.g. `issues/newsletter.toml`.
    settings: PathBuf,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8025")]
    listen: SocketAddr,
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Where the confirmation mails of `[signup]` go out: as `send --smtp` (password in
    /// COURANT_SMTP_PASSWORD).
    #[arg(long, env = "COURANT_SMTP_URL")]
    smtp: Option<String>,
    /// Trust this CA certificate (PEM) besides the system's, for --smtp.
    #[arg(long, value_name = "FILE")]
    smtp_ca: Option<PathBuf>,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let file = read_source(&args.settings)?;
    let newsletter: Newsletter = parse(&file)?;
    let ledger = Ledger::open(
        args.ledger
            .location_of_settings(&args.settings, &newsletter)?,
    )?;
    let dir = crate::edition::dir_of(&args.settings);
    let key = crate::unsubscribe::TokenKey::find(newsletter.list_id.as_str(), Some(dir))?;
    let signup = match (&newsletter.signup, &args.smtp) {
        (Some(signup), Some(smtp)) => {
            let smtp = SmtpArgs::new(smtp.clone(), args.smtp_ca.clone());
            let connector = smtp.connector(&newsletter.sending)?;
            Some(crate::web::signup::SignupService::new(
                &newsletter,
                signup,
                connector,
            ))
        }
        (Some(_), None) => {
            return Err(Error::Refused(
                "`[signup]` is set: give --smtp (or COURANT_SMTP_URL) to send the \
                 confirmation mails"
                    .into(),
            ));
        }
        _ => None,
    };
    crate::web::unsubscribe::serve(&newsletter, key, ledger, args.listen, signup, term)?;
    Ok(ExitStatus::Success)
}
