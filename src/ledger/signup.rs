//! Double opt-in in the ledger: a signup asked for (the form), and its confirmation (the link
//! in the mail), which alone makes a reader active with their consent on record.

use super::db::Conn;
use super::list::{Consent, ListStatus};
use super::record::key;
use super::store::{Ledger, LedgerError};
use super::value::{DbError, params};

/// What to do after a signup was asked for. The form answers the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// Send the confirmation mail.
    Mail,
    /// Send nothing: already active, or `limit` mails for this address in the last 24 hours.
    Quiet,
}

const DAY: i64 = 86_400;

impl Ledger {
    /// Records a signup of `address` to the list `list` at `at` (the name kept until it is
    /// confirmed): a new address becomes pending; one that unsubscribed or was erased stays
    /// as it is until it confirms. Says whether to send the confirmation mail: not to an active
    /// reader, and at most `limit` per address per 24 hours.
    pub fn request_signup(
        &self,
        list: &str,
        address: &str,
        name: Option<&str>,
        at: i64,
        limit: u32,
    ) -> Result<Requested, LedgerError> {
        let email = key(address);
        self.with(|c| {
            c.transaction(true, |tx| {
                let status: Option<String> = tx
                    .query_opt(
                        "SELECT status FROM subscribers WHERE list_id = ?1 AND email = ?2",
                        params![list, email.as_str()],
                    )?
                    .map(|r| r.get(0))
                    .transpose()?;
                if status.as_deref() == Some(ListStatus::Active.as_str()) && !suppressed(tx, &email)? {
                    return Ok(Requested::Quiet);
                }
                let recent: i64 = tx.query_value(
                    "SELECT count(*) FROM signup_requests
                     WHERE list_id = ?1 AND email = ?2 AND at > ?3",
                    params![list, email.as_str(), at - DAY],
                )?;
                if recent >= i64::from(limit) {
                    return Ok(Requested::Quiet);
                }
                tx.execute(
                    "INSERT INTO signup_requests (list_id, email, at, name) VALUES (?1, ?2, ?3, ?4)",
                    params![list, email.as_str(), at, name],
                )?;
                if status.is_none() {
                    tx.execute(
                        "INSERT INTO subscribers
                         (list_id, email, address, name, fields, status, created, updated, source)
                         VALUES (?1, ?2, ?3, ?4, '{}', 'pending', ?5, ?5, 'signup form')",
                        params![list, email.as_str(), address, name, at],
                    )?;
                }
                Ok(Requested::Mail)
            })
        })
    }

    /// Confirms the signup of `address`: the reader becomes active (with the name of their
    /// last request), any suppression of theirs (an unsubscribe, the hash an erasure left,
    /// `erased`) is lifted, and `consent` is written, its text stored once. `false`, changing
    /// nothing, when no signup of theirs was asked for.
    pub fn confirm_signup(
        &self,
        list: &str,
        address: &str,
        consent: &Consent,
        erased: &str,
    ) -> Result<bool, LedgerError> {
        let email = key(address);
        self.with(|c| {
            c.transaction(true, |tx| {
                let Some(request) = tx.query_opt(
                    "SELECT at, name FROM signup_requests WHERE list_id = ?1 AND email = ?2
                     ORDER BY at DESC LIMIT 1",
                    params![list, email.as_str()],
                )?
                else {
                    return Ok(false);
                };
                let name: Option<String> = request.get(1)?;
                let exists = tx.execute(
                    "UPDATE subscribers SET status = 'active', name = coalesce(?3, name),
                     updated = ?4 WHERE list_id = ?1 AND email = ?2",
                    params![list, email.as_str(), name.as_deref(), consent.at],
                )? > 0;
                if !exists {
                    tx.execute(
                        "INSERT INTO subscribers
                         (list_id, email, address, name, fields, status, created, updated, source)
                         VALUES (?1, ?2, ?3, ?4, '{}', 'active', ?5, ?5, 'signup form')",
                        params![list, email.as_str(), address, name.as_deref(), consent.at],
                    )?;
                }
                tx.execute(
                    "DELETE FROM suppressions WHERE email = ?1 OR email = ?2",
                    params![email.as_str(), erased],
                )?;
                let text_hash = super::list::store_text(tx, consent)?;
                super::list::record_consent(tx, list, &email, consent, text_hash.as_deref())?;
                Ok(true)
            })
        })
    }
}

fn suppressed(tx: &mut Conn, email: &str) -> Result<bool, DbError> {
    let n: i64 = tx.query_value(
        "SELECT count(*) FROM suppressions WHERE email = ?1",
        params![email],
    )?;
    Ok(n > 0)
}
