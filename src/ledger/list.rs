//! The list kept in the ledger: each newsletter's subscribers (by its `list-id`), and the
//! consent on record for each way onto the list, with the exact text agreed to stored once
//! per version.

use sha2::{Digest, Sha256};

use super::db::Conn;
use super::record::key;
use super::store::{Ledger, LedgerError};
use super::value::{DbError, Row, params};

/// Where a subscriber stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListStatus {
    /// Signed up, not yet confirmed: sent nothing.
    Pending,
    Active,
    Unsubscribed,
}

impl ListStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ListStatus::Pending => "pending",
            ListStatus::Active => "active",
            ListStatus::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Option<ListStatus> {
        [
            ListStatus::Pending,
            ListStatus::Active,
            ListStatus::Unsubscribed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// A subscriber as the ledger keeps them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    /// The address as written (`Jürgen@Example.nl`); the ledger's key is derived from it.
    pub address: String,
    pub name: Option<String>,
    /// Extra columns and keys: `regio = "Oost"`.
    pub fields: crate::fields::Fields,
    pub status: ListStatus,
    pub created: i64,
    pub updated: i64,
    /// How they came onto the list, in words: `import leden.xlsx`, `staff`, `signup form`.
    pub source: String,
}

/// A subscriber to write, borrowed from where they were read: an import of 100,000 copies
/// nothing of them.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub address: &'a str,
    pub name: Option<&'a str>,
    pub fields: &'a crate::fields::Fields,
    pub status: ListStatus,
    pub source: &'a str,
}

impl Member {
    /// This subscriber as an entry to write.
    pub fn entry(&self) -> Entry<'_> {
        Entry {
            address: &self.address,
            name: self.name.as_deref(),
            fields: &self.fields,
            status: self.status,
            source: &self.source,
        }
    }
}

/// How someone came onto the list, for the consent row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Consent {
    pub at: i64,
    /// `import`, `staff`, `signup`.
    pub method: String,
    /// The file and its SHA-256, the command, the form: what proves it.
    pub detail: String,
    /// Who did it: the account that ran the command.
    pub actor: Option<String>,
    /// The SHA-256 of the text agreed to; the text itself is in `consent_texts`.
    pub text_hash: Option<String>,
    pub text: Option<String>,
    pub ip: Option<String>,
}

/// What a write to the list did with one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added,
    Updated,
    Unchanged,
    /// Not written, and why.
    Refused(String),
}

impl Ledger {
    /// The subscriber `email` of the list `list`, in any spelling.
    pub fn member(&self, list: &str, email: &str) -> Result<Option<Member>, LedgerError> {
        self.with(|c| {
            let rows = c.query(
                &format!("{SELECT_MEMBER} WHERE list_id = ?1 AND email = ?2"),
                params![list, key(email)],
            )?;
            rows.into_iter().next().map(member).transpose()
        })
    }

    /// The list's subscribers in address order, of one status when `status` says.
    pub fn members(
        &self,
        list: &str,
        status: Option<ListStatus>,
    ) -> Result<Vec<Member>, LedgerError> {
        self.with(|c| {
            let rows = match status {
                Some(s) => c.query(
                    &format!("{SELECT_MEMBER} WHERE list_id = ?1 AND status = ?2 ORDER BY email"),
                    params![list, s.as_str()],
                )?,
                None => c.query(
                    &format!("{SELECT_MEMBER} WHERE list_id = ?1 ORDER BY email"),
                    params![list],
                )?,
            };
            rows.into_iter().map(member).collect()
        })
    }

    /// Writes `members` to the list `list` in one transaction, each with `consent` when it is
    /// new: all of them or, on any error, none. An address that unsubscribed, was suppressed
    /// (a hard bounce, a complaint) or erased is refused, and said why: only a fresh opt-in
    /// brings it back. `erased` is the keyed hash an erased address leaves behind.
    pub fn write_members(
        &self,
        list: &str,
        members: &[Entry<'_>],
        consent: &Consent,
        erased: &dyn Fn(&str) -> String,
    ) -> Result<Vec<Change>, LedgerError> {
        self.with(|c| {
            c.transaction(true, |tx| {
                let text_hash = store_text(tx, consent)?;
                let mut changes = Vec::with_capacity(members.len());
                for m in members {
                    changes.push(write_member(
                        tx,
                        list,
                        m,
                        consent,
                        text_hash.as_deref(),
                        erased,
                    )?);
                }
                Ok(changes)
            })
        })
    }

    /// Marks `email` unsubscribed on the list `list` and suppresses it with `source`; `false`
    /// when it is not on the list.
    pub fn unsubscribe_member(
        &self,
        list: &str,
        email: &str,
        source: &str,
        at: i64,
    ) -> Result<bool, LedgerError> {
        self.with(|c| {
            c.transaction(true, |tx| {
                let n = tx.execute(
                    "UPDATE subscribers SET status = 'unsubscribed', updated = ?3
                     WHERE list_id = ?1 AND email = ?2",
                    params![list, key(email), at],
                )?;
                if n > 0 {
                    tx.execute(
                        "INSERT INTO suppressions (email, at, source) VALUES (?1, ?2, ?3)
                         ON CONFLICT (email) DO NOTHING",
                        params![key(email), at, source],
                    )?;
                }
                Ok(n > 0)
            })
        })
    }

    /// The consent rows of `email` on the list `list`, oldest first, with the texts.
    pub fn consents(&self, list: &str, email: &str) -> Result<Vec<Consent>, LedgerError> {
        self.with(|c| {
            c.query(
                "SELECT c.at, c.method, c.detail, c.actor, c.text_hash, t.text, c.ip
                 FROM consents c LEFT JOIN consent_texts t ON t.hash = c.text_hash
                 WHERE c.list_id = ?1 AND c.email = ?2 ORDER BY c.at, c.id",
                params![list, key(email)],
            )?
            .iter()
            .map(|r| {
                Ok(Consent {
                    at: r.get(0)?,
                    method: r.get(1)?,
                    detail: r.get(2)?,
                    actor: r.get(3)?,
                    text_hash: r.get(4)?,
                    text: r.get(5)?,
                    ip: r.get(6)?,
                })
            })
            .collect()
        })
    }
}

const SELECT_MEMBER: &str =
    "SELECT address, name, fields, status, created, updated, source FROM subscribers";

fn member(mut r: Row) -> Result<Member, DbError> {
    let fields: String = r.take(2)?;
    let status: String = r.take(3)?;
    Ok(Member {
        address: r.take(0)?,
        name: r.take(1)?,
        fields: serde_json::from_str(&fields)
            .map_err(|e| DbError::Other(format!("a subscriber's fields are damaged: {e}")))?,
        status: ListStatus::parse(&status)
            .ok_or_else(|| DbError::Other(format!("unknown subscriber status `{status}`")))?,
        created: r.take(4)?,
        updated: r.take(5)?,
        source: r.take(6)?,
    })
}

/// The SHA-256 of a consent text, as stored.
pub fn text_hash(text: &str) -> String {
    sha256_hex(text.as_bytes())
}

/// SHA-256 in lowercase hexadecimal: how the ledger names texts and files it does not keep.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stores the consent's text once per version; its hash.
pub(super) fn store_text(tx: &mut Conn, consent: &Consent) -> Result<Option<String>, DbError> {
    let Some(text) = &consent.text else {
        return Ok(consent.text_hash.clone());
    };
    let hash = text_hash(text);
    tx.execute(
        "INSERT INTO consent_texts (hash, text) VALUES (?1, ?2) ON CONFLICT (hash) DO NOTHING",
        params![hash.as_str(), text.as_str()],
    )?;
    Ok(Some(hash))
}

fn write_member(
    tx: &mut Conn,
    list: &str,
    m: &Entry<'_>,
    consent: &Consent,
    text_hash: Option<&str>,
    erased: &dyn Fn(&str) -> String,
) -> Result<Change, DbError> {
    let email = key(m.address);
    if let Some(why) = refusal(tx, &email, erased)? {
        return Ok(Change::Refused(why));
    }
    let fields = serde_json::to_string(&m.fields).expect("a map of strings serialises");
    let existing = tx.query_opt(
        "SELECT address, name, fields, status FROM subscribers WHERE list_id = ?1 AND email = ?2",
        params![list, email.as_str()],
    )?;
    let Some(row) = existing else {
        insert_member(tx, list, &email, m, &fields, consent, text_hash)?;
        return Ok(Change::Added);
    };
    if row.get::<String>(3)? == ListStatus::Unsubscribed.as_str() {
        return Ok(Change::Refused(format!("unsubscribed: {ONLY_THEMSELVES}")));
    }
    let same = row.get::<String>(0)? == m.address
        && row.get::<Option<String>>(1)?.as_deref() == m.name
        && row.get::<String>(2)? == fields;
    if same {
        return Ok(Change::Unchanged);
    }
    tx.execute(
        "UPDATE subscribers SET address = ?3, name = ?4, fields = ?5, updated = ?6
         WHERE list_id = ?1 AND email = ?2",
        params![
            list,
            email.as_str(),
            m.address,
            m.name,
            fields.as_str(),
            consent.at
        ],
    )?;
    Ok(Change::Updated)
}

const ONLY_THEMSELVES: &str = "only their own confirmed signup brings them back";

/// Why `email` may not be put on the list by staff: suppressed (unsubscribed, a hard bounce,
/// a complaint) or erased.
fn refusal(
    tx: &mut Conn,
    email: &str,
    erased: &dyn Fn(&str) -> String,
) -> Result<Option<String>, DbError> {
    let suppressed = tx.query_opt(
        "SELECT source, at FROM suppressions WHERE email = ?1 OR email = ?2",
        params![email, erased(email)],
    )?;
    let Some(row) = suppressed else {
        return Ok(None);
    };
    let source: String = row.get(0)?;
    let at: i64 = row.get(1)?;
    let why = match source.as_str() {
        "erased" => "was erased at their request".to_owned(),
        s => format!("is suppressed since {} ({s})", super::record::time(at)),
    };
    Ok(Some(format!("{why}: {ONLY_THEMSELVES}")))
}

/// Writes `consent` for `email` (a key), naming its text by `text_hash` (see [`store_text`]).
pub(super) fn record_consent(
    tx: &mut Conn,
    list: &str,
    email: &str,
    consent: &Consent,
    text_hash: Option<&str>,
) -> Result<(), DbError> {
    tx.execute(
        "INSERT INTO consents (list_id, email, at, method, detail, actor, text_hash, ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            list,
            email,
            consent.at,
            consent.method.as_str(),
            consent.detail.as_str(),
            &consent.actor,
            text_hash,
            &consent.ip
        ],
    )?;
    Ok(())
}

/// A new subscriber and the consent that put them on the list.
fn insert_member(
    tx: &mut Conn,
    list: &str,
    email: &str,
    m: &Entry<'_>,
    fields: &str,
    consent: &Consent,
    text_hash: Option<&str>,
) -> Result<(), DbError> {
    tx.execute(
        "INSERT INTO subscribers
         (list_id, email, address, name, fields, status, created, updated, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
        params![
            list,
            email,
            m.address,
            m.name,
            fields,
            m.status.as_str(),
            consent.at,
            m.source
        ],
    )?;
    record_consent(tx, list, email, consent, text_hash)
}

/// What retention removed, or would remove.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expired {
    /// Signups of the list never confirmed, created before the limit.
    pub pending: u64,
    /// Messages that came back before the limit whose text was emptied.
    pub messages: u64,
}

impl Ledger {
    /// Removes the list's pending signups created before `pending_before` and empties the
    /// text of messages that came back before `messages_before` (their verdicts, and the
    /// suppressions they led to, stay); with `dry_run`, only counts. One transaction.
    pub fn expire(
        &self,
        list: &str,
        pending_before: i64,
        messages_before: i64,
        dry_run: bool,
    ) -> Result<Expired, LedgerError> {
        self.with(|c| {
            c.transaction(true, |tx| {
                let pending: i64 = tx.query_value(
                    "SELECT count(*) FROM subscribers
                     WHERE list_id = ?1 AND status = 'pending' AND created < ?2",
                    params![list, pending_before],
                )?;
                let messages: i64 = tx.query_value(
                    "SELECT count(*) FROM returns
                     WHERE received < ?1 AND (raw IS NOT NULL OR subject IS NOT NULL)",
                    params![messages_before],
                )?;
                if !dry_run {
                    tx.execute(
                        "DELETE FROM subscribers
                         WHERE list_id = ?1 AND status = 'pending' AND created < ?2",
                        params![list, pending_before],
                    )?;
                    tx.execute(
                        "UPDATE returns SET raw = NULL, subject = NULL
                         WHERE received < ?1 AND (raw IS NOT NULL OR subject IS NOT NULL)",
                        params![messages_before],
                    )?;
                }
                Ok(Expired {
                    pending: pending.max(0) as u64,
                    messages: messages.max(0) as u64,
                })
            })
        })
    }
}
