//! What came back: every message `courant bounces` read (once: by its digest), each verdict,
//! whom it was tied to and what was done, and the lookups that tie a report to a message sent.

use super::db::Conn;
use super::record::Suppression;
use super::record::key;
use super::store::{Ledger, LedgerError};
use super::suppressions::insert_suppression;
use super::value::{DbError, params};

/// A message that came back, to record with its verdicts.
#[derive(Debug, Clone)]
pub struct Return {
    /// SHA-256 of its bytes: the same message is never processed twice.
    pub digest: String,
    pub received: i64,
    /// Where it was read: a file, `-`, `imap:INBOX/123`.
    pub source: String,
    pub subject: Option<String>,
    /// False when courant could not use it; it is then kept whole, for a person.
    pub understood: bool,
    /// The message, kept when it was not understood or not tied to a message sent.
    pub raw: Option<Vec<u8>>,
    pub verdicts: Vec<ReturnVerdict>,
}

/// One verdict of a message that came back, and what was done about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReturnVerdict {
    /// `hard`, `soft`, `complaint`, `unsubscribe`, `autoreply`, `delivered`, `not-bounce`.
    pub kind: String,
    /// The recipient as the report names it.
    pub recipient: Option<String>,
    /// The subscriber it is tied to (an address key), when it is.
    pub email: Option<String>,
    pub edition: Option<String>,
    /// How it was tied: `verp`, `message-id` or `token`; `None` when it was not, and nothing
    /// was changed.
    pub tied_by: Option<String>,
    pub status: Option<String>,
    pub reply: Option<u16>,
    pub reason: Option<String>,
    pub diagnostic: Option<String>,
    /// `suppressed`, `already-suppressed`, `counted` (a soft bounce below the limit), `none`
    /// or `untied` (not tied to a message courant sent: changed nothing).
    pub action: String,
}

/// A recorded return with when and where it was read, for `bounces list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub received: i64,
    pub source: String,
    pub subject: Option<String>,
    pub understood: bool,
    pub verdicts: Vec<ReturnVerdict>,
}

/// Per edition: what came back about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReturnCounts {
    pub hard: u64,
    pub soft: u64,
    pub complaints: u64,
    pub unsubscribes: u64,
    /// Refusals that point at the sender (block lists, reputation, DMARC/SPF, policy).
    pub sender_side: u64,
}

impl Ledger {
    /// The edition and address a VERP token was sent with.
    pub fn sent_with_verp(&self, token: &str) -> Result<Option<(String, String)>, LedgerError> {
        self.with(|c| {
            c.query_opt(
                "SELECT edition, email FROM deliveries WHERE verp = ?1",
                params![token.to_ascii_lowercase()],
            )?
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .transpose()
        })
    }

    /// The edition and address a message with this Message-ID was sent to.
    pub fn sent_with_message_id(
        &self,
        message_id: &str,
    ) -> Result<Option<(String, String)>, LedgerError> {
        // Recorded as sent, with its angle brackets.
        let bare = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        let id = format!("<{bare}>");
        self.with(|c| {
            c.query_opt(
                "SELECT edition, email FROM deliveries WHERE message_id = ?1",
                params![&id],
            )?
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .transpose()
        })
    }

    /// Whether a message with this digest was read before, and if so whether courant could
    /// use it (understood and tied: nothing was kept for a person).
    pub fn read_before(&self, digest: &str) -> Result<Option<bool>, LedgerError> {
        self.with(|c| {
            c.query_opt(
                "SELECT raw IS NULL FROM returns WHERE digest = ?1",
                params![digest],
            )?
            .map(|r| r.get(0))
            .transpose()
        })
    }

    /// Records a message that came back and its verdicts, and applies `suppress`, in one
    /// transaction: a message is either wholly processed or not at all. False when it was
    /// recorded before (nothing is done twice).
    pub fn record_return(
        &mut self,
        ret: &Return,
        suppress: &[Suppression],
    ) -> Result<bool, LedgerError> {
        self.with(|c| c.transaction(true, |tx| record(tx, ret, suppress)))
    }

    /// The editions sent to `email`, newest first, each with whether a soft bounce tied to it
    /// came back (not counting the reasons in `ignored`): what the soft limit counts.
    pub fn soft_history(
        &self,
        email: &str,
        ignored: &[&str],
    ) -> Result<Vec<(String, bool)>, LedgerError> {
        let ignored = quoted(ignored);
        self.with(|c| {
            c.query(
                &format!(
                    "SELECT d.edition, EXISTS (
                         SELECT 1 FROM return_verdicts v
                         WHERE v.email = d.email AND v.edition = d.edition AND v.kind = 'soft'
                           AND v.tied_by IS NOT NULL
                           AND (v.reason IS NULL OR v.reason NOT IN ({ignored})))
                     FROM deliveries d
                     WHERE d.email = ?1 AND d.state = 'sent'
                     ORDER BY d.sent_at DESC, d.edition DESC"
                ),
                params![key(email)],
            )?
            .into_iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect()
        })
    }

    /// Every message read, newest first, with its verdicts.
    pub fn returns(&self) -> Result<Vec<Listed>, LedgerError> {
        let heads = self.with(|c| {
            c.query(
                "SELECT id, received, source, subject, understood FROM returns
                 ORDER BY received DESC, id DESC",
                &[],
            )?
            .into_iter()
            .map(|r| {
                Ok((
                    r.get::<i64>(0)?,
                    Listed {
                        received: r.get(1)?,
                        source: r.get(2)?,
                        subject: r.get(3)?,
                        understood: r.get(4)?,
                        verdicts: Vec::new(),
                    },
                ))
            })
            .collect::<Result<Vec<_>, DbError>>()
        })?;
        heads
            .into_iter()
            .map(|(id, mut listed)| {
                listed.verdicts = self.verdicts_of(id)?;
                Ok(listed)
            })
            .collect()
    }

    fn verdicts_of(&self, id: i64) -> Result<Vec<ReturnVerdict>, LedgerError> {
        self.with(|c| {
            c.query(
                "SELECT kind, recipient, email, edition, tied_by, status, reply, reason,
                        diagnostic, action
                 FROM return_verdicts WHERE return_id = ?1",
                params![id],
            )?
            .into_iter()
            .map(|r| {
                Ok(ReturnVerdict {
                    kind: r.get(0)?,
                    recipient: r.get(1)?,
                    email: r.get(2)?,
                    edition: r.get(3)?,
                    tied_by: r.get(4)?,
                    status: r.get(5)?,
                    reply: r.get(6)?,
                    reason: r.get(7)?,
                    diagnostic: r.get(8)?,
                    action: r.get(9)?,
                })
            })
            .collect()
        })
    }

    /// What came back about `edition`: distinct addresses per kind.
    pub fn return_counts(
        &self,
        edition: &str,
        sender_side: &[&str],
    ) -> Result<ReturnCounts, LedgerError> {
        let count = |condition: &str| -> Result<u64, LedgerError> {
            self.with(|c| {
                c.query_value::<i64>(
                    &format!(
                        "SELECT COUNT(DISTINCT COALESCE(email, recipient)) FROM return_verdicts
                         WHERE edition = ?1 AND {condition}"
                    ),
                    params![edition],
                )
            })
            .map(|n| n.max(0) as u64)
        };
        let reasons = quoted(sender_side);
        Ok(ReturnCounts {
            hard: count("kind = 'hard' AND tied_by IS NOT NULL")?,
            soft: count("kind = 'soft' AND tied_by IS NOT NULL")?,
            complaints: count("kind = 'complaint' AND tied_by IS NOT NULL")?,
            unsubscribes: count("kind = 'unsubscribe' AND tied_by IS NOT NULL")?,
            sender_side: count(&format!(
                "kind = 'soft' AND tied_by IS NOT NULL AND reason IN ({reasons})"
            ))?,
        })
    }

    /// The most frequent of the `sender_side` reasons among `edition`'s soft bounces.
    pub fn top_sender_reason(
        &self,
        edition: &str,
        sender_side: &[&'static str],
    ) -> Result<Option<&'static str>, LedgerError> {
        let reasons = quoted(sender_side);
        let found: Option<String> = self.with(|c| {
            c.query_opt(
                &format!(
                    "SELECT reason FROM return_verdicts WHERE edition = ?1 AND kind = 'soft'
                     AND tied_by IS NOT NULL AND reason IN ({reasons})
                     GROUP BY reason ORDER BY COUNT(*) DESC LIMIT 1"
                ),
                params![edition],
            )?
            .map(|r| r.get(0))
            .transpose()
        })?;
        Ok(found.and_then(|r| sender_side.iter().find(|s| **s == r).copied()))
    }

    /// Reports that named someone but were not tied to a message courant sent (forged, or
    /// about mail from elsewhere): recorded, and nothing changed.
    pub fn untied_count(&self) -> Result<u64, LedgerError> {
        self.with(|c| {
            c.query_value::<i64>(
                "SELECT COUNT(*) FROM return_verdicts WHERE tied_by IS NULL
                 AND kind IN ('hard','soft','complaint','unsubscribe')",
                &[],
            )
        })
        .map(|n| n.max(0) as u64)
    }
}

/// A list of the reason names courant itself defines, as SQL string literals.
fn quoted(reasons: &[&str]) -> String {
    reasons
        .iter()
        .map(|r| format!("'{}'", r.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(",")
}

fn record(tx: &mut Conn, ret: &Return, suppress: &[Suppression]) -> Result<bool, DbError> {
    let id: Option<i64> = tx
        .query_opt(
            "INSERT INTO returns (digest, received, source, subject, understood, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (digest) DO NOTHING RETURNING id",
            params![
                &ret.digest,
                ret.received,
                &ret.source,
                &ret.subject,
                ret.understood,
                ret.raw.as_deref()
            ],
        )?
        .map(|r| r.get(0))
        .transpose()?;
    let Some(id) = id else {
        return Ok(false);
    };
    for v in &ret.verdicts {
        tx.execute(
            "INSERT INTO return_verdicts (return_id, kind, recipient, email, edition, tied_by,
                status, reply, reason, diagnostic, action)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                id,
                &v.kind,
                &v.recipient,
                &v.email,
                &v.edition,
                &v.tied_by,
                &v.status,
                v.reply,
                &v.reason,
                &v.diagnostic,
                &v.action
            ],
        )?;
    }
    for s in suppress {
        insert_suppression(tx, s)?;
    }
    Ok(true)
}
