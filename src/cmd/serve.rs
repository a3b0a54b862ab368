//! `courant serve`: the live preview in the browser.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::error::{Error, ExitStatus};
use crate::term::Term;

/// Preview an edition live in the browser: desktop, phone, dark mode, plain text, headers,
/// the web version and the findings of `check`, updated whenever a file changes.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The edition file, e.g. `issues/2022-12.toml`.
    edition: PathBuf,
    /// Address and port to listen on; the preview has no login, so keep it on loopback.
    #[arg(long, default_value = "127.0.0.1:8026")]
    listen: SocketAddr,
    /// Offer these subscribers in the picker.
    #[arg(long, short)]
    subscribers: Option<PathBuf>,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let subscribers = args.subscribers.as_deref();
    crate::web::preview::serve(&args.edition, subscribers, args.listen, term)?;
    Ok(ExitStatus::Success)
}
