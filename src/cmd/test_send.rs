//! `courant test-send`: one message to one address, for a look in a real inbox.

use std::path::{Path, PathBuf};

use super::{Checked, Outcome, bad_input};
use crate::cli::SmtpArgs;
use crate::message::{Clock, Composer};
use crate::subscribers::{Subscriber, SubscriberList};
use crate::transport::SendError;

pub fn run(
    edition: &Path,
    to: &str,
    as_subscriber: Option<&str>,
    list: Option<&PathBuf>,
    smtp: &SmtpArgs,
) -> Outcome {
    let checked = match Checked::load(edition) {
        Ok(checked) => checked,
        Err(error) => return bad_input(&error),
    };
    checked.report();
    let to_address: crate::edition::value::EmailAddr = match to.parse() {
        Ok(address) => address,
        Err(e) => {
            eprintln!("error: --to: {e}");
            return Outcome::BadInput;
        }
    };
    let subscriber = match pick(&checked, as_subscriber, list) {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let connector = match super::send::connector(smtp, &checked.edition.newsletter.sending) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::BadInput;
        }
    };
    let (dkim, tokens) = match super::load_keys(&checked.edition) {
        Ok(keys) => keys,
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::BadInput;
        }
    };
    let composer = Composer::new(&checked.edition, &checked.rendered, Clock::from_env())
        .with_dkim(dkim.as_ref())
        .with_tokens(tokens)
        .with_subject_prefix("[TEST] ");
    let message = match composer.message(&subscriber) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::BadInput;
        }
    };
    let from = checked.edition.newsletter.from.email.get_ref().to_address();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return Outcome::Failed;
        }
    };
    let result = runtime.block_on(async {
        let mut conn = connector.connect().await.map_err(|e| e.to_string())?;
        let result = conn
            .send(&from, &to_address.to_address(), &message.formatted())
            .await;
        conn.quit().await;
        result.map_err(|e: SendError| format!("the server did not take the message: {e}"))
    });
    match result {
        Ok(accepted) => {
            println!(
                "sent to {to_address} as {}: {}",
                subscriber.email, accepted.reply
            );
            Outcome::Success
        }
        Err(why) => {
            eprintln!("error: {why}");
            Outcome::Failed
        }
    }
}

/// The subscriber to personalise as: `--as` from the list, or a reader without a name.
fn pick(
    checked: &Checked,
    as_subscriber: Option<&str>,
    list: Option<&PathBuf>,
) -> Result<Subscriber, Outcome> {
    let (Some(wanted), Some(path)) = (as_subscriber, list) else {
        return Ok(Subscriber::sample(&checked.edition.file));
    };
    let list = SubscriberList::load(path).map_err(|e| bad_input(&e))?;
    let found = list
        .subscribers
        .into_iter()
        .find(|s| s.email.as_str().eq_ignore_ascii_case(wanted));
    found.ok_or_else(|| {
        eprintln!(
            "error: `{wanted}` is not in `{}`",
            crate::diagnostic::display_path(path)
        );
        Outcome::BadInput
    })
}
