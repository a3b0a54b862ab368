//! What comes back after a send: bounces, complaints, mailed unsubscribes and autoreplies.
//!
//! [`classify`] reads one message and says, per recipient it names, what it is: standard reports
//! first (RFC 3464 delivery status, RFC 5965 feedback reports, RFC 3834 autoreplies), then the
//! texts that servers without them still send. It changes nothing; acting on a verdict, and
//! believing it only when it is tied to a message courant sent, is the caller's part.

pub mod act;
mod classify;
mod fields;
pub mod imap;
pub mod mailbox;
pub mod reason;
mod ses;
mod text;

use serde::Serialize;

pub use classify::classify;

/// The enhanced status code (RFC 3463) in a server's words, e.g. `5.1.1`.
pub fn status_code(text: &str) -> Option<String> {
    text::status_code(text)
}

/// Whether a server's refusal of a recipient during the send (`550 5.1.1 <a@b>: user unknown`,
/// in reply to RCPT TO) says the address itself is dead, and its status code when it does.
pub fn dead_address(reply: &str) -> Option<String> {
    let status = text::status_code(reply);
    let reason = reason::reason_in(reply, status.as_deref(), "in reply to RCPT TO command")?;
    reason::is_hard(reason).then(|| {
        status
            .or_else(|| reason::code_for(reason, false))
            .unwrap_or_default()
    })
}

/// What a message that came back says about one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The address itself is dead: no such user, no such domain, moved.
    Hard,
    /// Not delivered this time, and not the address's fault: a full mailbox, a filter, a block,
    /// a timeout.
    Soft,
    /// The reader reported the message (an ARF report: abuse, fraud, …).
    Complaint,
    /// The reader asked to be taken off the list (mailed, or an ARF `opt-out`).
    Unsubscribe,
    /// An automatic reply: away, vacation.
    Autoreply,
    /// A success notice (`Action: delivered` or `relayed`).
    Delivered,
    /// Not about a delivery at all.
    NotBounce,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Hard => "hard",
            Kind::Soft => "soft",
            Kind::Complaint => "complaint",
            Kind::Unsubscribe => "unsubscribe",
            Kind::Autoreply => "autoreply",
            Kind::Delivered => "delivered",
            Kind::NotBounce => "not-bounce",
        }
    }
}

/// The verdict for one recipient of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub kind: Kind,
    /// The recipient the report is about, as it names it.
    pub recipient: Option<String>,
    /// The enhanced status code (RFC 3463), e.g. `5.1.1`.
    pub status: Option<String>,
    /// The SMTP reply code, e.g. `550`.
    pub reply: Option<u16>,
    /// Why, in Sisimai's words: `userunknown`, `mailboxfull`, `feedback`, `vacation`, …
    pub reason: Option<&'static str>,
    /// The server's own words about it, one line.
    pub diagnostic: Option<String>,
}

impl Verdict {
    fn of_kind(kind: Kind, reason: Option<&'static str>) -> Verdict {
        Verdict {
            kind,
            recipient: None,
            status: None,
            reply: None,
            reason,
            diagnostic: None,
        }
    }
}

/// Everything a message says: its verdicts, and what ties it to the message it is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classified {
    /// One per recipient it names; at least one.
    pub verdicts: Vec<Verdict>,
    /// The Message-ID of the message that came back, from the copy or headers it carries.
    pub original_message_id: Option<String>,
    /// Where this message was addressed (To, Delivered-To, X-Original-To, Envelope-To):
    /// a VERP address names the edition and the recipient.
    pub addressed_to: Vec<String>,
    /// The feedback type of a complaint (`abuse`, `opt-out`, `auth-failure`, …).
    pub feedback_type: Option<String>,
}
