//! `courant test-send`: one message to one address, for a look in a real inbox.

use std::path::{Path, PathBuf};

use super::args::SmtpArgs;
use crate::checked::Checked;
use crate::edition::value::EmailAddr;
use crate::error::{Error, ExitStatus};
use crate::message::{Clock, Composer};
use crate::subscribers::{Subscriber, SubscriberList};
use crate::term::Term;

/// Send one message of an edition to one address, subject prefixed `[TEST] `.
///
/// The message is addressed to `--to`, its greeting that of the subscriber given with `--as`
/// (or of a reader without a name). Its unsubscribe link carries a test token: clicked, it
/// says it came from a test and changes nothing. The ledger is not touched. Prints the
/// server's reply.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The edition file, e.g. `issues/2022-12.toml`.
    edition: PathBuf,
    /// The address to send the test to.
    #[arg(long)]
    to: String,
    /// Personalise as this subscriber of `--subscribers`.
    #[arg(long = "as", requires = "subscribers")]
    as_subscriber: Option<String>,
    /// The subscriber list to find `--as` in.
    #[arg(long, short)]
    subscribers: Option<PathBuf>,
    #[command(flatten)]
    smtp: SmtpArgs,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let checked = Checked::load(&args.edition)?;
    checked.report_brief(term);
    let to: EmailAddr = args.to.parse().map_err(|source| Error::Argument {
        flag: "--to",
        source,
    })?;
    let subscriber = pick(&checked, args, term)?;
    let dir = crate::edition::dir_of(&checked.edition.newsletter_file.path);
    let connector = args
        .smtp
        .connector(&checked.edition.newsletter.sending, dir)?;
    let (dkim, tokens) = checked.keys()?;
    let return_path = checked.return_path(tokens.as_ref())?;
    // The reader's name and fields, the tester's address: no reader's address and no working
    // link of theirs goes into a test.
    let reader = Subscriber {
        email: to.clone(),
        ..subscriber.clone()
    };
    let message = Composer::new(&checked.edition, &checked.rendered, Clock::from_env())
        .with_dkim(dkim.as_ref())
        .with_tokens(tokens)
        .as_test()
        .with_subject_prefix("[TEST] ")
        .bytes(&reader)?;
    let (from, _) = return_path.envelope(&checked.edition.slug, to.as_str());
    let accepted = crate::runtime::runtime()?.block_on(async {
        let mut conn = connector.connect().await.map_err(|e| match e.is_fatal() {
            // TLS, the login, a refusal: the settings are wrong, as for `send`.
            true => Error::Refused(e.to_string()),
            false => Error::Failed(e.to_string()),
        })?;
        let result = conn.send(&from, &to.to_address(), &message).await;
        conn.quit().await;
        result.map_err(|e| Error::Failed(format!("the server did not take the message: {e}")))
    })?;
    term.say(format!(
        "sent to {to} as {}: {}",
        subscriber.email, accepted.reply
    ))?;
    Ok(ExitStatus::Success)
}

/// The subscriber to personalise as: `--as` from the list, or a reader without a name.
fn pick(checked: &Checked, args: &Args, term: &Term) -> Result<Subscriber, Error> {
    let (Some(wanted), Some(path)) = (&args.as_subscriber, &args.subscribers) else {
        return Ok(Subscriber::sample(&checked.edition.file));
    };
    let list = SubscriberList::load(path)?;
    term.warn_all(&list.warnings);
    let found = list
        .subscribers
        .into_iter()
        .find(|s| s.email.as_str().eq_ignore_ascii_case(wanted));
    found.ok_or_else(|| not_in_list(wanted, path))
}

fn not_in_list(wanted: &str, path: &Path) -> Error {
    Error::Refused(format!(
        "`{wanted}` is not in `{}`",
        crate::diagnostic::display_path(path)
    ))
}
