//! The mails the public pages send themselves (a confirmation link, a notice): short plain
//! text, one connection each, sent after the page has answered, so that how long a page
//! takes tells no one what was sent.

use lettre::message::{Mailbox, header::ContentType};

use crate::edition::value::EmailAddr;
use crate::term::Term;
use crate::transport::Connector;

/// Who the mails come from and how they go out.
pub struct Outbox {
    pub from: Mailbox,
    /// The newsletter's name, in subjects and signatures.
    pub name: String,
    pub connector: Connector,
}

impl Outbox {
    pub fn new(newsletter: &crate::edition::Newsletter, connector: Connector) -> Outbox {
        Outbox {
            from: Mailbox::new(
                Some(newsletter.from.name.get_ref().to_string()),
                newsletter.from.email.get_ref().to_address(),
            ),
            name: newsletter.name.get_ref().to_string(),
            connector,
        }
    }

    /// A plain-text mail to `to`: `subject – newsletter`, the body and the newsletter's name.
    pub fn plain(&self, to: &EmailAddr, subject: &str, body: &str) -> Result<Vec<u8>, String> {
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to.to_address()))
            .subject(format!("{subject} – {}", self.name))
            .header(ContentType::TEXT_PLAIN)
            .body(format!("{body}\n\n-- \n{}\n", self.name))
            .map_err(|e| e.to_string())?;
        Ok(message.formatted())
    }

    /// Sends `message` to `to` in the background; `what` names it when that fails (never the
    /// address: the log holds nothing of the reader's).
    pub fn send_later(
        &self,
        to: &EmailAddr,
        message: Result<Vec<u8>, String>,
        what: &str,
        term: &Term,
    ) {
        let message = message.map(|m| (self.from.email.clone(), m));
        self.send_later_from(to, message, what, term);
    }

    /// [`Outbox::send_later`] with an envelope sender of its own (an edition's return path).
    pub fn send_later_from(
        &self,
        to: &EmailAddr,
        message: Result<(lettre::Address, Vec<u8>), String>,
        what: &str,
        term: &Term,
    ) {
        let what = what.to_owned();
        let (from, message) = match message {
            Ok(message) => message,
            Err(e) => return term.alert(format_args!("{what}: not made: {e}")),
        };
        let (connector, term) = (self.connector.clone(), *term);
        let to = to.to_address();
        tokio::spawn(async move {
            if let Err(e) = deliver(&connector, &from, &to, &message).await {
                term.alert(format_args!("{what}: not sent: {e}"));
            }
        });
    }
}

impl Outbox {
    /// Sends `message` to `to` now, from the newsletter's address.
    pub async fn send_now(&self, to: &EmailAddr, message: &[u8]) -> Result<(), String> {
        deliver(&self.connector, &self.from.email, &to.to_address(), message).await
    }
}

/// One message over a connection of its own.
async fn deliver(
    connector: &Connector,
    from: &lettre::Address,
    to: &lettre::Address,
    message: &[u8],
) -> Result<(), String> {
    let mut conn = connector.connect().await.map_err(|e| e.to_string())?;
    let sent = conn
        .send(from, to, message)
        .await
        .map(drop)
        .map_err(|e| e.to_string());
    conn.quit().await;
    sent
}
