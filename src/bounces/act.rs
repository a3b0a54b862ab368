//! Acting on what came back, and believing it only when it is tied to a message courant sent.
//!
//! Anyone can mail the bounce address. A report changes the list only when it proves which
//! message it is about: the VERP token of the address it came back to (recorded in the ledger
//! for the edition and recipient it was sent to, and signed), or a Message-ID that courant
//! sent to the recipient the report names, or, for a mailed unsubscribe, the subscriber's
//! signed unsubscribe token. Anything else is recorded as untied and changes nothing.
//!
//! With VERP on, a real server returns a bounce to the address with the token; a report that
//! comes to the plain bounce address and is tied by a Message-ID alone is one anyone holding the
//! message could write, so its hard bounce counts as a soft one at most.
//!
//! What a tied verdict does: a hard bounce, a complaint and an unsubscribe suppress the address
//! at once; soft bounces suppress it after `soft-limit` editions in a row (a delivery in between
//! resets the count); refusals that point at the sender (block lists, reputation, DMARC/SPF,
//! policy) are never held against the reader; autoreplies and success notices change nothing.

use sha2::{Digest, Sha256};

use super::classify::classify;
use super::mailbox::Stored;
use super::verdict::{Classified, Kind, Verdict};
use crate::edition::Newsletter;
use crate::ledger::{self, Evidence, Ledger, LedgerError, Return, ReturnVerdict, Suppression};
use crate::transport::reply::reason::SENDER_SIDE;
use crate::unsubscribe::TokenKey;

/// What acting needs to know of the newsletter.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `[bounces] address` split in local part and domain, lowercased, when VERP is on.
    verp: Option<(String, String)>,
    soft_limit: u32,
    /// Checks VERP and unsubscribe tokens.
    tokens: Option<TokenKey>,
}

impl Settings {
    pub fn new(newsletter: &Newsletter, tokens: Option<TokenKey>) -> Settings {
        let bounces = newsletter.bounces.as_ref();
        let verp = bounces.filter(|b| b.verp).and_then(|b| {
            let address = b.address.get_ref().as_str().to_lowercase();
            let (local, domain) = address.rsplit_once('@')?;
            Some((local.to_owned(), domain.to_owned()))
        });
        Settings {
            verp,
            soft_limit: bounces.map_or(3, |b| b.soft_limit.max(1)),
            tokens,
        }
    }
}

/// What reading one message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// Read before (the same bytes): nothing done again. `usable` as it was then.
    Again { usable: bool },
    /// Recorded; courant could use it when `understood`.
    Recorded {
        understood: bool,
        verdicts: Vec<ReturnVerdict>,
    },
}

impl Processed {
    /// Whether courant could use the message: understood, and every verdict that would change
    /// the list tied to a message sent. Otherwise it is for a person to look at.
    pub fn usable(&self) -> bool {
        match self {
            Processed::Again { usable } => *usable,
            Processed::Recorded {
                understood,
                verdicts,
            } => *understood && verdicts.iter().all(|v| v.action != "untied"),
        }
    }
}

/// Reads one message that came back, ties its verdicts to what was sent, and records them
/// and their consequences in one transaction.
pub fn process(
    ledger: &mut Ledger,
    stored: &Stored,
    source: &str,
    settings: &Settings,
) -> Result<Processed, LedgerError> {
    let digest = hex(&Sha256::digest(&stored.bytes));
    if let Some(usable) = ledger.read_before(&digest)? {
        return Ok(Processed::Again { usable });
    }
    let mut classified = classify(&stored.bytes);
    let tie = tie(ledger, &mut classified, &stored.bytes, settings)?;
    let now = ledger::now();
    let mut suppress = Vec::new();
    let mut verdicts = Vec::new();
    for verdict in &classified.verdicts {
        let tied = tie.for_verdict(verdict);
        let action = match &tied {
            None if acts(verdict.kind) => "untied".to_owned(),
            None => "none".to_owned(),
            Some((edition, email, how)) => decide(
                ledger,
                &believed(verdict, how, settings),
                edition.as_deref(),
                email,
                settings,
                now,
                &mut suppress,
            )?,
        };
        verdicts.push(record(verdict, tied.as_ref(), action, &classified));
    }
    let understood = classified
        .verdicts
        .iter()
        .any(|v| v.kind != Kind::NotBounce);
    let keep = !understood || verdicts.iter().any(|v| v.action == "untied");
    let ret = Return {
        digest,
        received: now,
        source: source.to_owned(),
        subject: subject(&stored.bytes),
        understood,
        raw: keep.then(|| stored.bytes.clone()),
        verdicts: verdicts.clone(),
    };
    if !ledger.record_return(&ret, &suppress)? {
        return Ok(Processed::Again { usable: !keep });
    }
    Ok(Processed::Recorded {
        understood,
        verdicts,
    })
}

/// The verdict as far as its tie lets courant believe it: with VERP on, a hard bounce tied by
/// a Message-ID alone counts as soft.
fn believed(verdict: &Verdict, how: &str, settings: &Settings) -> Verdict {
    let mut verdict = verdict.clone();
    if verdict.kind == Kind::Hard && how == "message-id" && settings.verp.is_some() {
        verdict.kind = Kind::Soft;
    }
    verdict
}

/// Kinds that would change the list if believed.
fn acts(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Hard | Kind::Soft | Kind::Complaint | Kind::Unsubscribe
    )
}

/// How a message is tied to what courant sent.
enum Tie {
    /// The bounce address's token: every verdict is about this edition and address.
    Verp {
        edition: String,
        email: String,
    },
    /// A Message-ID courant sent: verdicts naming its recipient are about it.
    MessageId {
        edition: String,
        email: String,
    },
    /// A subscriber's unsubscribe token in a mailed request.
    Token {
        email: String,
    },
    None,
}

impl Tie {
    /// The edition, address and how, for one verdict.
    fn for_verdict(&self, verdict: &Verdict) -> Option<(Option<String>, String, &'static str)> {
        let names = |email: &str| {
            verdict
                .recipient
                .as_deref()
                .is_some_and(|r| ledger::key(r) == email)
        };
        match self {
            Tie::Verp { edition, email } => Some((Some(edition.clone()), email.clone(), "verp")),
            Tie::MessageId { edition, email } if names(email) => {
                Some((Some(edition.clone()), email.clone(), "message-id"))
            }
            Tie::Token { email } if verdict.kind == Kind::Unsubscribe => {
                Some((None, email.clone(), "token"))
            }
            _ => None,
        }
    }
}

fn tie(
    ledger: &Ledger,
    classified: &mut Classified,
    raw: &[u8],
    settings: &Settings,
) -> Result<Tie, LedgerError> {
    if let Some(tie) = verp_tie(ledger, classified, settings)? {
        return Ok(tie);
    }
    if let Some(id) = &classified.original_message_id
        && let Some((edition, email)) = ledger.sent_with_message_id(id)?
    {
        return Ok(Tie::MessageId { edition, email });
    }
    if let Some(email) = mailed_unsubscribe(raw, settings) {
        // A request to the unsubscribe address: whatever it looked like, it is one.
        classified.verdicts = vec![Verdict {
            kind: Kind::Unsubscribe,
            recipient: Some(email.clone()),
            status: None,
            reply: None,
            reason: Some("mailto"),
            diagnostic: None,
        }];
        return Ok(Tie::Token { email });
    }
    Ok(Tie::None)
}

/// The tie through a VERP address the report came back to, checked against its signature.
fn verp_tie(
    ledger: &Ledger,
    classified: &Classified,
    settings: &Settings,
) -> Result<Option<Tie>, LedgerError> {
    let Some((local, domain)) = &settings.verp else {
        return Ok(None);
    };
    for address in &classified.addressed_to {
        let Some((user, host)) = address.rsplit_once('@') else {
            continue;
        };
        let token = user
            .strip_prefix(local.as_str())
            .and_then(|t| t.strip_prefix('+'));
        let Some(token) = token.filter(|_| host.eq_ignore_ascii_case(domain)) else {
            continue;
        };
        let Some((edition, email)) = ledger.sent_with_verp(token)? else {
            continue;
        };
        let signed = settings
            .tokens
            .as_ref()
            .is_none_or(|key| key.verp(&edition, &email) == token.to_ascii_lowercase());
        if signed {
            return Ok(Some(Tie::Verp { edition, email }));
        }
    }
    Ok(None)
}

/// The subscriber whose signed unsubscribe token is in a message's subject, if any.
fn mailed_unsubscribe(raw: &[u8], settings: &Settings) -> Option<String> {
    let key = settings.tokens.as_ref()?;
    let subject = subject(raw)?;
    subject
        .split_whitespace()
        .find_map(|word| key.verify(word.trim_matches(|c: char| "<>()[].,;\"'".contains(c))))
        .map(|a| ledger::key(&a))
}

/// What a tied verdict does; pushes the suppression it causes.
fn decide(
    ledger: &Ledger,
    verdict: &Verdict,
    edition: Option<&str>,
    email: &str,
    settings: &Settings,
    now: i64,
    suppress: &mut Vec<Suppression>,
) -> Result<String, LedgerError> {
    let source = match verdict.kind {
        Kind::Hard => "bounce",
        Kind::Complaint if verdict_is_auth_report(verdict) => return Ok("none".into()),
        Kind::Complaint => "complaint",
        Kind::Unsubscribe if verdict.reason == Some("mailto") => "mailto",
        Kind::Unsubscribe => "complaint",
        Kind::Soft if is_sender_side(verdict) => return Ok("none".into()),
        Kind::Soft => {
            let streak = soft_streak(ledger, email, edition)?;
            if streak < settings.soft_limit {
                return Ok("counted".into());
            }
            "bounce"
        }
        _ => return Ok("none".into()),
    };
    if ledger.is_suppressed(email)? || suppress.iter().any(|s| s.email == email) {
        return Ok("already-suppressed".into());
    }
    suppress.push(Suppression {
        email: email.to_owned(),
        at: now,
        source: source.to_owned(),
        evidence: Evidence {
            edition: edition.map(str::to_owned),
            status: verdict.status.clone(),
            diagnostic: verdict.diagnostic.clone(),
        },
    });
    Ok("suppressed".into())
}

/// An ARF `auth-failure` report is about the sender's DKIM/SPF, not the reader's wish.
fn verdict_is_auth_report(verdict: &Verdict) -> bool {
    verdict
        .diagnostic
        .as_deref()
        .is_some_and(|d| d.ends_with("auth-failure") || d.ends_with("dmarc"))
}

fn is_sender_side(verdict: &Verdict) -> bool {
    verdict.reason.is_some_and(|r| SENDER_SIDE.contains(&r))
}

/// Editions in a row, newest first from `edition`, that bounced soft for `email`, counting
/// the one at hand.
fn soft_streak(ledger: &Ledger, email: &str, edition: Option<&str>) -> Result<u32, LedgerError> {
    let history = ledger.soft_history(email, &SENDER_SIDE)?;
    let start = edition
        .and_then(|e| history.iter().position(|(ed, _)| ed == e))
        .unwrap_or(0);
    let mut streak = 1;
    for (ed, soft) in history.iter().skip(start) {
        if Some(ed.as_str()) == edition {
            continue;
        }
        if !soft {
            break;
        }
        streak += 1;
    }
    Ok(streak)
}

fn record(
    verdict: &Verdict,
    tied: Option<&(Option<String>, String, &'static str)>,
    action: String,
    classified: &Classified,
) -> ReturnVerdict {
    let diagnostic = match (&verdict.diagnostic, &classified.feedback_type) {
        (Some(d), _) => Some(d.clone()),
        (None, Some(f)) => Some(format!("feedback-type: {f}")),
        (None, None) => None,
    };
    ReturnVerdict {
        kind: verdict.kind.as_str().to_owned(),
        recipient: verdict.recipient.clone(),
        email: tied.map(|(_, email, _)| email.clone()),
        edition: tied.and_then(|(edition, _, _)| edition.clone()),
        tied_by: tied.map(|(_, _, by)| (*by).to_owned()),
        status: verdict.status.clone(),
        reply: verdict.reply,
        reason: verdict.reason.map(str::to_owned),
        diagnostic,
        action,
    }
}

fn subject(raw: &[u8]) -> Option<String> {
    let message = mail_parser::MessageParser::default().parse_headers(raw)?;
    message.subject().map(str::to_owned)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Op, Outcome};

    const X: &str = "x@example.org";

    fn ledger_with_editions(editions: &[&str]) -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(dir.path().join("l.sqlite")).unwrap();
        for edition in editions {
            let run = ledger.start_run(edition).unwrap();
            let ops = [
                Op::Begin {
                    edition: (*edition).into(),
                    email: X.into(),
                    run,
                    verp: None,
                    again: crate::ledger::Again::default(),
                },
                Op::Finish {
                    edition: (*edition).into(),
                    email: X.into(),
                    outcome: Outcome::Sent {
                        reply: "250 ok".into(),
                        message_id: format!("<m-{edition}@example.nl>"),
                    },
                },
            ];
            ledger.apply(&ops).unwrap();
        }
        (dir, ledger)
    }

    /// A delivery status notification about the message of `edition` to X.
    fn soft_bounce(edition: &str, words: &str) -> Stored {
        let text = format!(
            "From: MAILER-DAEMON@mx.example.org\r\nTo: b@example.nl\r\nSubject: Undelivered Mail\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; {X}\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; {words}\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <m-{edition}@example.nl>\r\n\r\n--b--\r\n"
        );
        Stored {
            label: edition.into(),
            bytes: text.into_bytes(),
        }
    }

    fn settings() -> Settings {
        Settings {
            verp: None,
            soft_limit: 3,
            tokens: None,
        }
    }

    fn action(ledger: &mut Ledger, message: &Stored) -> String {
        match process(ledger, message, "test", &settings()).unwrap() {
            Processed::Recorded { verdicts, .. } => verdicts[0].action.clone(),
            Processed::Again { .. } => "again".into(),
        }
    }

    #[test]
    fn soft_bounces_of_three_editions_in_a_row_suppress() {
        let (_dir, mut ledger) = ledger_with_editions(&["2023-01", "2023-02", "2023-03"]);
        let full = "552 5.2.2 mailbox full";
        assert_eq!(
            action(&mut ledger, &soft_bounce("2023-01", full)),
            "counted"
        );
        assert_eq!(
            action(&mut ledger, &soft_bounce("2023-02", full)),
            "counted"
        );
        assert!(!ledger.is_suppressed(X).unwrap());
        assert_eq!(
            action(&mut ledger, &soft_bounce("2023-03", full)),
            "suppressed"
        );
        assert!(ledger.is_suppressed(X).unwrap());
        assert_eq!(action(&mut ledger, &soft_bounce("2023-03", full)), "again");
    }

    #[test]
    fn a_delivery_in_between_resets_the_count_and_sender_side_refusals_never_count() {
        let editions = ["2023-01", "2023-02", "2023-03", "2023-04"];
        let (_dir, mut ledger) = ledger_with_editions(&editions);
        let full = "552 5.2.2 mailbox full";
        assert_eq!(
            action(&mut ledger, &soft_bounce("2023-01", full)),
            "counted"
        );
        // 2023-02 came through.
        assert_eq!(
            action(&mut ledger, &soft_bounce("2023-03", full)),
            "counted"
        );
        let blocked = "554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org";
        assert_eq!(
            action(&mut ledger, &soft_bounce("2023-04", blocked)),
            "none"
        );
        assert!(!ledger.is_suppressed(X).unwrap());
    }
}
