//! One message in, its verdicts out: feedback reports, delivery status notifications,
//! autoreplies, then the bounce texts of servers that send neither report.

use std::borrow::Cow;

use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};

use super::fields::{self, Fields};
use super::text;
use super::verdict::{Classified, Kind, Verdict, kind_of};
use crate::transport::reply::reason;
use crate::transport::reply::{best_status, reply_code, status_code};

/// How many messages one may carry inside each other. A report carries one; a report
/// forwarded as an attachment, two or three. Thousands are built to exhaust the parser, which
/// (like dropping what it parsed) takes a stack frame per level.
const MAX_CARRIED: usize = 32;

/// Reads one message (as bytes, any line endings) and says what it is.
pub fn classify(raw: &[u8]) -> Classified {
    if carried_messages(raw) > MAX_CARRIED {
        return not_bounce(Classified::default());
    }
    let Some(message) = MessageParser::default().parse(raw) else {
        return not_bounce(Classified::default());
    };
    let parts = Parts::of(&message);
    let mut out = Classified {
        original_message_id: parts.original_message_id(&message),
        addressed_to: addressed_to(&message),
        ..Classified::default()
    };
    if let Some(report) = &parts.feedback {
        return feedback(out, report, &parts);
    }
    if let Some(recipient) = microsoft_complaint(&message, &parts) {
        out.verdicts = vec![Verdict {
            kind: Kind::Complaint,
            recipient: Some(recipient),
            status: None,
            reply: None,
            reason: Some("feedback"),
            diagnostic: Some("feedback-type: abuse".into()),
        }];
        out.feedback_type = Some("abuse".into());
        return out;
    }
    let forwarded = parts.original.as_ref().filter(|m| is_report(m));
    if let (None, Some(carried)) = (&parts.delivery_status, forwarded) {
        // A bounce forwarded as an attachment: the report is the carried message.
        let mut inner = classify(carried.raw_message());
        inner.addressed_to = out.addressed_to;
        return inner;
    }
    if let Some(verdicts) = super::ses::verdicts(&parts.human) {
        out.verdicts = verdicts;
        return out;
    }
    if let Some(report) = &parts.delivery_status {
        out.verdicts = delivery_status(report, &parts.human);
        if !out.verdicts.is_empty() {
            return out;
        }
    }
    // Bounce texts first: Exim marks its bounces `Auto-Submitted: auto-replied` as well.
    if text::looks_like_bounce(&message, &parts.human) {
        out.verdicts = text::verdicts(&message, &parts.human, &parts.original_senders);
        return out;
    }
    if is_autoreply(&message) {
        out.verdicts = vec![Verdict::of_kind(Kind::Autoreply, Some("vacation"))];
        return out;
    }
    not_bounce(out)
}

/// How often `message/rfc822` or `message/global` appears: at least as often as messages are
/// carried inside each other (each needs its `Content-Type`).
fn carried_messages(raw: &[u8]) -> usize {
    let named = |at: usize, word: &[u8]| {
        raw.get(at..at + word.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(word))
    };
    (b"message".len()..raw.len())
        .filter(|&i| raw[i] == b'/' && named(i - 7, b"message"))
        .filter(|&i| named(i + 1, b"rfc822") || named(i + 1, b"global"))
        .count()
}

fn not_bounce(mut out: Classified) -> Classified {
    out.verdicts = vec![Verdict::of_kind(Kind::NotBounce, None)];
    out
}

/// The parts of a message that matter here, outside any message it carries.
#[derive(Default)]
struct Parts<'a> {
    delivery_status: Option<Cow<'a, str>>,
    feedback: Option<Cow<'a, str>>,
    /// The human-readable text, before any copy of the original message.
    human: String,
    /// The carried copy of the original message (or its headers).
    original: Option<Message<'a>>,
    /// Who sent the original: never a bounced recipient.
    original_senders: Vec<String>,
}

impl<'a> Parts<'a> {
    fn of(message: &'a Message<'a>) -> Parts<'a> {
        let mut parts = Parts::default();
        let report_type = report_type(message);
        for part in &message.parts {
            let (ctype, subtype) = content_type(part);
            match (ctype.as_str(), subtype.as_str()) {
                ("message", "delivery-status" | "global-delivery-status") => {
                    parts.delivery_status = Some(String::from_utf8_lossy(part.contents()));
                }
                ("message", "feedback-report") => {
                    parts.feedback = Some(String::from_utf8_lossy(part.contents()));
                }
                ("message", "rfc822" | "global") | ("text", "rfc822-headers") => {
                    parts.original = parts.original.take().or_else(|| carried(part));
                }
                ("text", "plain") if parts.human.len() < 64 * 1024 => {
                    parts.human.push_str(&text_of(part));
                    parts.human.push('\n');
                }
                ("text", "html") if parts.human.is_empty() => {
                    parts.human = text::strip_html(&text_of(part));
                }
                _ => {}
            }
        }
        if report_type.as_deref() == Some("feedback-report") && parts.feedback.is_none() {
            parts.feedback = Some(Cow::Owned(String::new()));
        }
        if parts.human.trim().is_empty() && parts.delivery_status.is_none() {
            // A multipart message whose boundaries are missing: its body is all there is.
            let root = message.root_part();
            let body = message.raw_message().get(root.offset_body as usize..);
            parts.human = String::from_utf8_lossy(body.unwrap_or_default()).into_owned();
        }
        if parts.delivery_status.is_none() {
            // Delivery status fields written into the text instead of a part of their own.
            if let Some(at) = text::inline_delivery_status(&parts.human) {
                parts.delivery_status = Some(Cow::Owned(parts.human[at..].to_owned()));
                parts.human.truncate(at);
            }
        }
        parts.human = text::before_original(&parts.human).to_owned();
        parts.original_senders = parts.senders();
        parts
    }

    fn senders(&self) -> Vec<String> {
        let Some(original) = &self.original else {
            return Vec::new();
        };
        let mut senders: Vec<String> = original
            .from()
            .into_iter()
            .flat_map(|a| a.iter())
            .filter_map(|a| a.address())
            .map(str::to_ascii_lowercase)
            .collect();
        senders.extend(original.return_address().map(str::to_ascii_lowercase));
        senders
    }

    fn original_message_id(&self, message: &Message) -> Option<String> {
        let carried = self.original.as_ref().and_then(|m| m.message_id());
        carried
            .or_else(|| text::message_id_in(&self.human))
            .or_else(|| first_id(message.in_reply_to()))
            .map(str::to_owned)
    }
}

/// The copy (or headers) of the original message a report carries.
fn carried<'a>(part: &'a mail_parser::MessagePart<'a>) -> Option<Message<'a>> {
    match &part.body {
        PartType::Message(message) => Some(message.clone()),
        _ => MessageParser::default().parse_headers(part.contents()),
    }
}

fn first_id<'a>(value: &'a HeaderValue<'a>) -> Option<&'a str> {
    match value {
        HeaderValue::Text(id) => Some(id.as_ref()),
        HeaderValue::TextList(ids) => ids.first().map(AsRef::as_ref),
        _ => None,
    }
}

fn content_type(part: &mail_parser::MessagePart) -> (String, String) {
    part.content_type().map_or_else(
        || ("text".to_owned(), "plain".to_owned()),
        |ct| {
            (
                ct.ctype().to_ascii_lowercase(),
                ct.subtype().unwrap_or("").to_ascii_lowercase(),
            )
        },
    )
}

/// Whether a message is a delivery or feedback report itself.
fn is_report(message: &Message) -> bool {
    matches!(
        report_type(message).as_deref(),
        Some("delivery-status" | "feedback-report")
    )
}

fn report_type(message: &Message) -> Option<String> {
    let ct = message.root_part().content_type()?;
    ct.attribute("report-type").map(str::to_ascii_lowercase)
}

fn text_of(part: &mail_parser::MessagePart) -> String {
    match &part.body {
        PartType::Text(text) | PartType::Html(text) => text.to_string(),
        _ => String::from_utf8_lossy(part.contents()).into_owned(),
    }
}

/// Every address the message was delivered to, as the receiving servers recorded it.
fn addressed_to(message: &Message) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in message.headers_raw() {
        let name = name.to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "to" | "delivered-to" | "x-original-to" | "envelope-to" | "x-envelope-to"
        ) {
            out.extend(text::addresses(value));
        }
    }
    out
}

/// An RFC 5965 feedback report: a complaint, or an opt-out.
fn feedback(mut out: Classified, report: &str, parts: &Parts) -> Classified {
    let groups = fields::groups(report);
    let first = groups.first().cloned().unwrap_or_default();
    let feedback_type = first
        .get("feedback-type")
        .unwrap_or("abuse")
        .to_ascii_lowercase();
    let kind = if feedback_type == "opt-out" {
        Kind::Unsubscribe
    } else {
        Kind::Complaint
    };
    let mut recipients: Vec<String> = groups
        .iter()
        .flat_map(|g| g.all("original-rcpt-to").chain(g.all("removal-recipient")))
        .map(|a| fields::typed_address(a).to_owned())
        .filter(|a| a.contains('@'))
        .collect();
    if recipients.is_empty() {
        let to = parts.original.as_ref().and_then(|m| m.to());
        recipients.extend(
            to.into_iter()
                .flat_map(|a| a.iter())
                .filter_map(|a| a.address())
                .map(str::to_owned),
        );
    }
    let verdict = |recipient: Option<String>| Verdict {
        kind,
        recipient,
        status: None,
        reply: None,
        reason: Some("feedback"),
        diagnostic: Some(format!("feedback-type: {feedback_type}")),
    };
    out.verdicts = if recipients.is_empty() {
        vec![verdict(None)]
    } else {
        recipients.into_iter().map(Some).map(verdict).collect()
    };
    out.feedback_type = Some(feedback_type);
    out
}

/// Outlook.com's junk reports (JMRP) are not ARF: the reported message, with the recipient in
/// `X-HmXmrOriginalRecipient`, under the subject "complaint about message from …".
fn microsoft_complaint(message: &Message, parts: &Parts) -> Option<String> {
    let original = parts.original.as_ref()?;
    let recipient = original.header_raw("X-HmXmrOriginalRecipient")?.trim();
    let subject = message.subject().unwrap_or("").to_ascii_lowercase();
    subject
        .contains("complaint about message")
        .then(|| recipient.to_owned())
}

/// The per-recipient groups of an RFC 3464 report.
fn delivery_status(report: &str, human: &str) -> Vec<Verdict> {
    let groups = fields::groups(report);
    let recipients: Vec<&Fields> = groups
        .iter()
        .filter(|g| {
            g.get("final-recipient").is_some()
                || g.get("original-recipient").is_some()
                || g.get("action").is_some()
        })
        .collect();
    let single = recipients.len() == 1;
    recipients
        .into_iter()
        .map(|g| recipient_status(g, human, single))
        .collect()
}

/// One recipient's verdict. The human text is the words only for the single recipient of a
/// report without a diagnostic; for any report it says which command was refused.
fn recipient_status(group: &Fields, human: &str, single: bool) -> Verdict {
    let recipient = group
        .get("final-recipient")
        .or_else(|| group.get("original-recipient"))
        .map(|a| fields::typed_address(a).to_owned());
    let action = group.get("action").unwrap_or("failed").to_ascii_lowercase();
    // `smtp; 550 …`: the words of an SMTP server, rather than the reporting server's own.
    let typed = group
        .get("diagnostic-code")
        .and_then(|d| d.split_once(';'))
        .is_some_and(|(kind, _)| !kind.trim().is_empty() && !kind.contains(' '));
    let diagnostic = group.get("diagnostic-code").map(|d| {
        let d = d
            .split_once(';')
            .map_or(d, |(kind, rest)| if kind.contains(' ') { d } else { rest });
        d.trim().to_owned()
    });
    let words = diagnostic.clone().filter(|d| !d.is_empty());
    let reply = words.as_deref().and_then(reply_code);
    let status = best_status(
        group.get("status").and_then(status_code),
        words.as_deref().and_then(status_code),
        reply,
    );
    let text = match &words {
        Some(words) => words.clone(),
        None if single => human.to_owned(),
        None => String::new(),
    };
    let class = status.as_deref().and_then(|s| s.chars().next());
    let delivered = matches!(action.as_str(), "delivered" | "relayed" | "expanded")
        || (class == Some('2') && action != "failed");
    let reason = if delivered {
        Some("delivered")
    } else {
        reason::reason_in(&text, status.as_deref(), human)
    };
    // A Status that says nothing (X.0.0) and a diagnostic that is no server's reply (no type,
    // no code) are the reporting server's own summary: not enough to call an address dead.
    let summary_only = words.is_some()
        && status.as_deref().is_some_and(|s| s.ends_with(".0.0"))
        && reply.is_none()
        && !typed;
    let reason = match reason {
        Some(r) if summary_only && reason::is_hard(r) => Some("filtered"),
        r => r,
    };
    let temporary = action == "delayed" || class == Some('4') || reply.is_some_and(|r| r < 500);
    let reason = reason.or((action == "delayed").then_some("expired"));
    Verdict {
        kind: kind_of(delivered, reason, temporary),
        recipient,
        status: status.or_else(|| reason.and_then(|r| reason::code_for(r, temporary))),
        reply,
        reason,
        diagnostic: words.map(|d| text::one_line(&d)),
    }
}

/// RFC 3834 `Auto-Submitted: auto-replied` and the ways older responders mark themselves.
fn is_autoreply(message: &Message) -> bool {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if header("auto-submitted").is_some_and(|v| v.starts_with("auto-replied")) {
        return true;
    }
    if header("x-autoreply").is_some()
        || header("x-autorespond").is_some()
        || header("x-autoresponse").is_some()
        || header("precedence").is_some_and(|v| v == "auto_reply")
        || header("x-precedence").is_some_and(|v| v == "auto_reply")
    {
        return true;
    }
    let subject = message.subject().unwrap_or("").to_lowercase();
    AUTOREPLY_SUBJECTS.iter().any(|s| subject.contains(s))
}

const AUTOREPLY_SUBJECTS: [&str; 20] = [
    "auto:",
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto response",
    "autoresponse",
    "out of office",
    "out of the office",
    "away from",
    "away until",
    "on vacation",
    "vacation reply",
    "automatisch antwoord",
    "afwezig",
    "abwesenheit",
    "automatische antwort",
    "réponse automatique",
    "respuesta automática",
    "risposta automatica",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn dsn(status: &str, diagnostic: &str) -> Vec<u8> {
        format!(
            "From: MAILER-DAEMON@mx.example.net\r\nTo: b@example.nl\r\nSubject: failure\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: {status}\r\nDiagnostic-Code: {diagnostic}\r\n\r\n--b--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn a_summary_without_a_servers_reply_does_not_drop_a_reader() {
        let summary = classify(&dsn(
            "5.0.0",
            "The email account that you tried to reach does not exist.",
        ));
        assert_eq!(summary.verdicts[0].kind, Kind::Soft);
        let reply = classify(&dsn(
            "5.0.0",
            "smtp; 550 The email account that you tried to reach does not exist.",
        ));
        assert_eq!(reply.verdicts[0].kind, Kind::Hard);
        let precise = classify(&dsn(
            "5.1.1",
            "The email account that you tried to reach does not exist.",
        ));
        assert_eq!(precise.verdicts[0].kind, Kind::Hard);
    }
}
