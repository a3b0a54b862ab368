//! What a message that came back says, per recipient: the verdicts of [`super::classify`].

use serde::Serialize;

use crate::transport::reply::reason::{self, Reason};

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
    pub(super) fn of_kind(kind: Kind, reason: Option<&'static str>) -> Verdict {
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

/// The kind that follows from a reason: hard only for a dead address, and never when the server
/// said it will try again.
pub(super) fn kind_of(delivered: bool, reason: Option<Reason>, temporary: bool) -> Kind {
    match reason {
        _ if delivered => Kind::Delivered,
        Some(r) if reason::is_hard(r) && !temporary => Kind::Hard,
        _ => Kind::Soft,
    }
}
