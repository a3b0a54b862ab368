//! `courant serve-public` (also `serve-unsubscribe`): the pages readers reach, the unsubscribe
//! links and, with `[signup]` and `[manage]`, the signup form, its confirmation and the
//! reader's own page.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::args::{LedgerArgs, SmtpArgs};
use crate::edition::Newsletter;
use crate::error::{Error, ExitStatus};
use crate::ledger::Ledger;
use crate::source::{parse, read_source};
use crate::term::Term;
use crate::web::manage::ManageService;
use crate::web::outbox::Outbox;
use crate::web::public::Pages;
use crate::web::signup::SignupService;
use crate::web::welcome::Welcome;

/// Serve the pages readers reach: the unsubscribe links (GET shows a confirmation page, POST,
/// the page's button or an RFC 8058 one-click POST, unsubscribes); with `[signup]` the signup
/// form and its confirmation links (double opt-in); with `[manage]` each reader's own page
/// (details, address, their data, unsubscribe, erase). The mails these send go out through
/// --smtp. Run it behind the reverse proxy that serves those URLs over TLS; it logs one line
/// per request on stderr.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The newsletter's settings, e.g. `issues/newsletter.toml`.
    settings: PathBuf,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8025")]
    listen: SocketAddr,
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Where the mails of `[signup]` and `[manage]` go out: as `send --smtp` (password in
    /// COURANT_SMTP_PASSWORD).
    #[arg(long, env = "COURANT_SMTP_URL")]
    smtp: Option<String>,
    /// Trust this CA certificate (PEM) besides the web's roots, or the server's own
    /// self-signed certificate, for --smtp [default: `smtp-ca` of `[sending]`].
    #[arg(long, value_name = "FILE", env = "COURANT_SMTP_CA")]
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
    let pages = pages(&newsletter, args, term)?;
    crate::term::log::start(term.verbosity());
    crate::web::public::serve(&newsletter, key, ledger, args.listen, pages, term)?;
    Ok(ExitStatus::Success)
}

/// The signup form and the manage page, as the settings ask; both send mail, through --smtp.
fn pages(newsletter: &Newsletter, args: &Args, term: &Term) -> Result<Pages, Error> {
    let wanted = match (&newsletter.signup, &newsletter.manage) {
        (None, None) => {
            return Ok(Pages {
                signup: None,
                manage: None,
            });
        }
        (Some(_), _) => "`[signup]`",
        (None, Some(_)) => "`[manage]`",
    };
    let Some(smtp) = &args.smtp else {
        return Err(Error::Refused(format!(
            "{wanted} is set: give --smtp (or COURANT_SMTP_URL) to send the mails that \
             confirm an address"
        )));
    };
    let smtp = SmtpArgs::new(smtp.clone(), args.smtp_ca.clone());
    let dir = crate::edition::dir_of(&args.settings);
    let connector = smtp.connector(&newsletter.sending, dir)?;
    let outbox = || Outbox::new(newsletter, connector.clone());
    let mut signup =
        (newsletter.signup.as_ref()).map(|s| SignupService::new(newsletter, s, outbox()));
    let welcome = newsletter.signup.as_ref().and_then(|s| s.welcome.as_ref());
    if let (Some(signup), Some(welcome)) = (&mut signup, welcome) {
        let dir = crate::edition::dir_of(&args.settings);
        signup.welcome = Some(Welcome::load(&dir.join(welcome.get_ref()), term)?);
    }
    let manage = (newsletter.manage.as_ref())
        .map(|m| ManageService::new(newsletter, m, outbox(), newsletter.signup.as_ref()));
    Ok(Pages { signup, manage })
}
