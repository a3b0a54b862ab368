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
                let status = status(tx, list, &email)?;
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
                let requested: i64 = request.get(0)?;
                let consent = Consent {
                    detail: format!("{}; asked for {}", consent.detail, super::time(requested)),
                    ..consent.clone()
                };
                let text_hash = super::list::store_text(tx, &consent)?;
                super::list::record_consent(tx, list, &email, &consent, text_hash.as_deref())?;
                Ok(true)
            })
        })
    }

    /// Moves the active subscriber `old` of the list `list` to the address `new`, which
    /// confirmed it by the link sent there: name, fields and consent rows go with them; a
    /// suppression of `new` (an unsubscribe, the hash `erased` an erasure left) is lifted, as
    /// this is its own confirmed opt-in; `old` is suppressed (`moved`), so that no old list
    /// file mails it again; `consent` is written for `new`. `false`, changing nothing, when
    /// `old` is not an active subscriber of the list.
    pub fn move_member(
        &self,
        list: &str,
        old: &str,
        new: &str,
        consent: &Consent,
        erased: &str,
    ) -> Result<bool, LedgerError> {
        let (from, to) = (key(old), key(new));
        self.with(|c| {
            c.transaction(true, |tx| {
                let status = status(tx, list, &from)?;
                if status.as_deref() != Some(ListStatus::Active.as_str()) || from == to {
                    return Ok(false);
                }
                let (list_and_to, list_and_from) =
                    (params![list, to.as_str()], params![list, from.as_str()]);
                tx.execute(
                    "DELETE FROM subscribers WHERE list_id = ?1 AND email = ?2",
                    list_and_to,
                )?;
                tx.execute(
                    "UPDATE subscribers SET email = ?3, address = ?4, updated = ?5
                     WHERE list_id = ?1 AND email = ?2",
                    params![list, from.as_str(), to.as_str(), new, consent.at],
                )?;
                tx.execute(
                    "UPDATE consents SET email = ?3 WHERE list_id = ?1 AND email = ?2",
                    params![list, from.as_str(), to.as_str()],
                )?;
                tx.execute(
                    "DELETE FROM signup_requests WHERE list_id = ?1 AND email = ?2",
                    list_and_from,
                )?;
                tx.execute(
                    "DELETE FROM suppressions WHERE email = ?1 OR email = ?2",
                    params![to.as_str(), erased],
                )?;
                tx.execute(
                    "INSERT INTO suppressions (email, at, source) VALUES (?1, ?2, 'moved')
                     ON CONFLICT (email) DO NOTHING",
                    params![from.as_str(), consent.at],
                )?;
                let text_hash = super::list::store_text(tx, consent)?;
                super::list::record_consent(tx, list, &to, consent, text_hash.as_deref())?;
                Ok(true)
            })
        })
    }
}

/// Where `email` (a key) stands on the list `list`, if it is on it.
fn status(tx: &mut Conn, list: &str, email: &str) -> Result<Option<String>, DbError> {
    tx.query_opt(
        "SELECT status FROM subscribers WHERE list_id = ?1 AND email = ?2",
        params![list, email],
    )?
    .map(|r| r.get(0))
    .transpose()
}

fn suppressed(tx: &mut Conn, email: &str) -> Result<bool, DbError> {
    let n: i64 = tx.query_value(
        "SELECT count(*) FROM suppressions WHERE email = ?1",
        params![email],
    )?;
    Ok(n > 0)
}
