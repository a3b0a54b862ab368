//! Before `send` starts: the plan it prints, and the confirmation it asks for.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use super::{Checked, Error, plural};
use crate::edition::Sending;
use crate::edition::value::Rate;
use crate::plan::Plan;
use crate::transport::SmtpUrl;

/// Warns about the messages a crashed run left in `sending`.
pub(crate) fn warn_unknown(unknown_now: usize) {
    if unknown_now > 0 {
        eprintln!(
            "warning: an earlier run stopped during {unknown_now} {}; their outcome is unknown",
            plural(unknown_now, "message", "messages")
        );
    }
}

/// Who gets the edition now, and why the others do not, at which rate and how long it takes.
pub(crate) fn print_plan(
    checked: &Checked,
    plan: &Plan,
    sending: &Sending,
    url: &SmtpUrl,
    daily_remaining: Option<u64>,
) {
    let edition = &checked.edition;
    let subject = edition.content.subject.get_ref();
    println!("edition {} \u{201c}{subject}\u{201d}", edition.slug);
    println!(
        "recipients: {} active, {} unsubscribed, {} suppressed",
        plan.active, plan.unsubscribed, plan.suppressed
    );
    let hint = |n: usize, hint: &'static str| if n > 0 { hint } else { "" };
    println!(
        "ledger: {} already sent, {} failed before{}, {} unknown{}",
        plan.already_sent,
        plan.failed_before,
        hint(plan.failed_before, " (--retry-failed to try again)"),
        plan.unknown,
        hint(plan.unknown, " (--resend-unknown to send again)"),
    );
    let eta = match sending.rate {
        Rate::Unlimited => "as fast as the server takes them".to_owned(),
        Rate::PerSecond(r) => {
            let secs = (plan.to_send.len() as f64 / r).ceil() as u64;
            format!(
                "about {}",
                humantime::format_duration(Duration::from_secs(secs))
            )
        }
    };
    println!(
        "to send now: {} via {url} at {} (burst {}), {} {}; {eta}",
        plan.to_send.len(),
        sending.rate,
        sending.burst,
        sending.concurrency,
        plural(sending.concurrency, "connection", "connections"),
    );
    if let Some(left) = daily_remaining {
        println!("daily limit: {left} more today");
    }
}

/// Asks on the terminal unless `--yes`; refuses when there is no terminal to ask on.
pub(crate) fn confirm(yes: bool, count: usize, url: &SmtpUrl) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Refused(
            "refusing to send without confirmation: no terminal to ask on; pass --yes".into(),
        ));
    }
    let messages = plural(count, "message", "messages");
    print!("Send {count} {messages} via {url}? [y/N] ");
    let mut answer = String::new();
    std::io::stdout()
        .flush()
        .and_then(|()| std::io::stdin().lock().read_line(&mut answer))
        .map_err(|e| Error::Refused(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "j" | "ja") {
        Ok(())
    } else {
        Err(Error::Refused("not confirmed; nothing sent".into()))
    }
}
