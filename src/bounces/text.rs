//! The bounces servers write for people only (qmail, old Exim, Exchange, Domino, providers'
//! own texts): who did not get the message, and the server's words about each, found in the
//! text before the copy of the original message.

use std::sync::LazyLock;

use mail_parser::Message;
use regex::Regex;

use super::verdict::{Kind, Verdict, kind_of};
use crate::transport::reply::{reason, reply_code, status_code};

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\p{L}\p{N}.-]+@[A-Za-z0-9\p{L}\p{N}-]+(?:\.[A-Za-z0-9\p{L}\p{N}-]+)+")
        .expect("a valid pattern")
});
static MESSAGE_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^\s*message-id:\s*<?([^\s<>]+@[^\s<>]+)>?").expect("a valid pattern")
});

/// Every address in `text`, lowercased, without surrounding punctuation.
pub(super) fn addresses(text: &str) -> Vec<String> {
    ADDRESS
        .find_iter(text)
        .map(|m| {
            m.as_str()
                .trim_matches(|c: char| c == '.' || c == '-')
                .to_lowercase()
        })
        .collect()
}

/// A `Message-ID:` line in the copy of the original headers inside a text.
pub(super) fn message_id_in(text: &str) -> Option<&str> {
    MESSAGE_ID
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

/// `text` on one line, at most 300 characters.
pub(super) fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

/// The lines that start the copy of the original message in bounce texts.
const ORIGINAL_STARTS: [&str; 21] = [
    "--- below this line is a copy of the message",
    "------ this is a copy of the message",
    "----- original message -----",
    "-----original message-----",
    "original message follows",
    "original message headers",
    "--- the header of the original message",
    "----- transcript of session follows",
    "------ original message ------",
    "this is a copy of the original message",
    "message headers follow",
    "--- original message follows",
    "----- the following addresses had permanent",
    "your message reads",
    "original message:",
    "this is the original message",
    "--- original message ---",
    "received: from",
    "return-path:",
    "content-type: message/rfc822",
    "------=_part",
];

/// The text before the copy of the original message, which would mislead (its addresses,
/// its words).
pub(super) fn before_original(text: &str) -> &str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let lower = line.trim_start().to_ascii_lowercase();
        let starts = ORIGINAL_STARTS
            .iter()
            .filter(|s| !s.starts_with("----- transcript") && !s.starts_with("----- the following"))
            .any(|s| lower.starts_with(s));
        if starts && offset > 0 {
            return &text[..offset];
        }
        offset += line.len();
    }
    text
}

/// Where delivery status fields start inside a text (`Reporting-MTA:` or `Final-Recipient:`
/// at the start of a line, with an `Action:` or `Status:` line after), if they do.
pub(super) fn inline_delivery_status(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("reporting-mta:") || lower.starts_with("final-recipient:") {
            let rest = text[offset..].to_ascii_lowercase();
            if rest.contains("\naction:") || rest.contains("\nstatus:") {
                return Some(offset);
            }
        }
        offset += line.len();
    }
    None
}

/// Text of an HTML part, tags dropped: enough to find addresses and words.
pub(super) fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

const BOUNCE_SENDERS: [&str; 6] = [
    "mailer-daemon",
    "postmaster",
    "mail-daemon",
    "mailer_daemon",
    "double-bounce",
    "mdaemon",
];

const BOUNCE_SUBJECTS: [&str; 33] = [
    "undeliverable",
    "undelivered",
    "undeliverd",
    "delivery status notification",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "delivery problem",
    "delivery notification",
    "failure notice",
    "failed delivery",
    "returned mail",
    "returned to sender",
    "mail delivery failed",
    "mail delivery system",
    "could not be delivered",
    "not delivered",
    "non remis",
    "non recapitabile",
    "unzustellbar",
    "nicht zustellbar",
    "onbestelbaar",
    "niet bezorgd",
    "niet afgeleverd",
    "bezorging mislukt",
    "kan niet worden bezorgd",
    "mail system error",
    "error sending message",
    "nondeliverable",
    "non-deliverable",
    "rejected:",
    "permanent error",
    "message status",
];

/// Whether a message without a report looks like a bounce: from a mailer daemon or
/// postmaster, or with a bounce subject.
pub(super) fn looks_like_bounce(message: &Message, human: &str) -> bool {
    let from = message
        .from()
        .and_then(|a| a.first())
        .map(|a| {
            format!("{} {}", a.name().unwrap_or(""), a.address().unwrap_or("")).to_ascii_lowercase()
        })
        .unwrap_or_default();
    let subject = message.subject().unwrap_or("").to_lowercase();
    let daemon = BOUNCE_SENDERS.iter().any(|s| from.contains(s))
        || from.contains("mail delivery")
        || from.contains("delivery subsystem");
    let bounce_subject = BOUNCE_SUBJECTS.iter().any(|s| subject.contains(s));
    let null_sender = message
        .header_raw("Return-Path")
        .is_some_and(|r| r.trim() == "<>");
    let lower = human.to_lowercase();
    let says_so = BOUNCE_WORDS.iter().any(|w| lower.contains(w));
    daemon || bounce_subject || (null_sender && (says_so || status_code(human).is_some()))
}

/// Words in a text that say it reports a failed delivery.
const BOUNCE_WORDS: [&str; 10] = [
    "could not be delivered",
    "couldn't be delivered",
    "was not delivered",
    "delivery has failed",
    "failed permanently",
    "did not reach the following recipient",
    "unable to deliver",
    "undeliverable",
    "kon niet worden bezorgd",
    "kan niet worden bezorgd",
];

/// The verdicts of a bounce text: one per recipient it names, each judged by its own words.
pub(super) fn verdicts(message: &Message, human: &str, senders: &[String]) -> Vec<Verdict> {
    let ours: Vec<String> = message
        .from()
        .into_iter()
        .chain(message.to())
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address())
        .map(str::to_lowercase)
        .chain(senders.iter().cloned())
        .collect();
    let recipients = recipients(human, &ours);
    if recipients.is_empty() {
        return vec![judge(None, human)];
    }
    let mut verdicts: Vec<Verdict> = recipients
        .iter()
        .map(|r| judge(Some(r.clone()), &block(human, r, &recipients)))
        .collect();
    // An address named with no error about it (the original's To: in a preamble) is not one
    // that bounced, when others are named with one.
    let with_evidence = |v: &Verdict| v.reason.is_some() || v.status.is_some();
    if verdicts.iter().any(with_evidence) {
        verdicts.retain(with_evidence);
    }
    verdicts
}

/// The bounced recipients: the addresses in the text, less the bounce's own sender and
/// recipient, the original's sender, and the mail system's addresses.
fn recipients(human: &str, ours: &[String]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for address in addresses(human) {
        let local = address.split('@').next().unwrap_or("");
        let system = BOUNCE_SENDERS.contains(&local)
            || local == "root"
            || local.starts_with("noreply")
            || local.starts_with("no-reply");
        if !system && !ours.contains(&address) && !found.contains(&address) {
            found.push(address);
        }
    }
    found
}

/// The text about `recipient`: from each place it is named to the next place another is.
fn block(human: &str, recipient: &str, all: &[String]) -> String {
    if all.len() == 1 {
        return human.to_owned();
    }
    let lower = human.to_lowercase();
    if lower.len() != human.len() {
        return human.to_owned();
    }
    let mut marks: Vec<(usize, bool)> = Vec::new();
    for r in all {
        for (at, _) in lower.match_indices(r.as_str()) {
            marks.push((at, r == recipient));
        }
    }
    marks.sort_unstable();
    let mut out = String::new();
    for (i, &(at, mine)) in marks.iter().enumerate() {
        if mine {
            // From the start of the line: `>>> RCPT To:<a@b>` says which command was refused;
            // and a transcript's dialogue just above (`>>> MAIL From:…`, `<<< 501 …`) is its own.
            let start = dialogue_start(human, human[..at].rfind('\n').map_or(0, |n| n + 1));
            let end = marks[i + 1..]
                .iter()
                .find(|(_, m)| !m)
                .map_or(human.len(), |&(next, _)| next);
            out.push_str(&human[start..end.max(start)]);
            out.push('\n');
        }
    }
    out
}

/// Where the transcript lines (`>>> command`, `<<< reply`) right above a line begin.
fn dialogue_start(text: &str, mut line_start: usize) -> usize {
    while line_start > 0 {
        let previous = text[..line_start - 1].rfind('\n').map_or(0, |n| n + 1);
        let line = text[previous..line_start].trim_start();
        if !(line.starts_with(">>>") || line.starts_with("<<<")) {
            break;
        }
        line_start = previous;
    }
    line_start
}

/// One verdict from the words about one recipient.
fn judge(recipient: Option<String>, words: &str) -> Verdict {
    let status = status_code(words);
    let reply = reply_code(words);
    let reason = reason::reason(words, status.as_deref());
    let lower = words.to_ascii_lowercase();
    let temporary = status.as_deref().is_some_and(|s| s.starts_with('4'))
        || reply.is_some_and(|r| r < 500)
        || lower.contains("will retry")
        || lower.contains("will be retried")
        || lower.contains("temporary failure")
        || lower.contains("still trying");
    Verdict {
        kind: match kind_of(false, reason, temporary) {
            Kind::Delivered => Kind::Soft,
            kind => kind,
        },
        recipient,
        status: status.or_else(|| reason.and_then(|r| reason::code_for(r, temporary))),
        reply,
        reason,
        diagnostic: diagnostic_line(words),
    }
}

/// The line with the server's reply; else the first line whose words give a reason (the one
/// the verdict rests on); else the first line after the address that is not an address itself
/// (reports put the reason under the address they failed); else the first line that is not an
/// address.
fn diagnostic_line(words: &str) -> Option<String> {
    let lines: Vec<&str> = words
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let coded = lines
        .iter()
        .find(|l| status_code(l).is_some() || reply_code(l).is_some());
    let after_address = lines
        .iter()
        .position(|l| !addresses(l).is_empty())
        .and_then(|at| lines[at + 1..].iter().find(|l| addresses(l).is_empty()));
    let reasoned = lines.iter().find(|l| reason::reason(l, None).is_some());
    coded
        .or(reasoned)
        .or(after_address)
        .or_else(|| lines.iter().find(|l| addresses(l).is_empty()))
        .map(|l| one_line(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found_where_servers_write_them() {
        assert_eq!(
            status_code("Remote host said: 550 5.1.1 <a@b.nl>... User Unknown"),
            Some("5.1.1".into())
        );
        assert_eq!(status_code("from 192.0.2.153 at 10.2.3"), None);
        assert_eq!(
            reply_code("Remote host said: 550 5.1.1 <a@b.nl>"),
            Some(550)
        );
        assert_eq!(
            reply_code("#550 5.1.1 RESOLVER.ADR.RecipNotFound"),
            Some(550)
        );
        assert_eq!(reply_code("Received: by 192.0.2.153 with 250 bytes"), None);
    }

    #[test]
    fn the_copy_of_the_original_is_cut_off() {
        let text = "Hi. This is qmail.\n<a@example.nl>:\n550 no such user\n--- Below this line is a copy of the message.\n\nFrom: other@example.nl\n";
        assert!(!before_original(text).contains("other@example.nl"));
        assert!(before_original(text).contains("550 no such user"));
    }

    #[test]
    fn each_recipient_is_judged_by_its_own_words() {
        let text = "<full@example.nl>:\n552 5.2.2 mailbox full\n\n<gone@example.nl>:\n550 5.1.1 user unknown\n";
        let all = recipients(text, &[]);
        assert_eq!(all, ["full@example.nl", "gone@example.nl"]);
        let full = judge(Some(all[0].clone()), &block(text, &all[0], &all));
        let gone = judge(Some(all[1].clone()), &block(text, &all[1], &all));
        assert_eq!((full.kind, full.reason), (Kind::Soft, Some("mailboxfull")));
        assert_eq!((gone.kind, gone.reason), (Kind::Hard, Some("userunknown")));
    }
}
