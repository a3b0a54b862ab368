//! `courant serve-unsubscribe`: the HTTP end of the unsubscribe links.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::args::LedgerArgs;
use crate::edition::Newsletter;
use crate::error::{Error, ExitStatus};
use crate::ledger::Ledger;
use crate::source::{parse, read_source};
use crate::term::Term;

/// Serve the unsubscribe links: GET shows a confirmation page, POST (the page's button, or
/// an RFC 8058 one-click POST) unsubscribes. Run it behind the reverse proxy that serves
/// the unsubscribe URL; the token is the last part of the path.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The newsletter's settings, e.g. `issues/newsletter.toml`.
    settings: PathBuf,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8025")]
    listen: SocketAddr,
    #[command(flatten)]
    ledger: LedgerArgs,
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
    crate::web::unsubscribe::serve(&newsletter, key, ledger, args.listen, term)?;
    Ok(ExitStatus::Success)
}
