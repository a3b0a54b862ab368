//! One open SMTP connection and its transactions: MAIL, RCPT, DATA and the data, each step
//! within the timeout, pipelined where the server allows.

use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{Extension, MailParameter};
use lettre::transport::smtp::response::Response;

use super::error::{Accepted, SendError, chain};

/// What a server offers beyond what lettre records.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Extensions {
    /// MAIL, RCPT and DATA in one go (RFC 2920).
    pub(super) pipelining: bool,
    /// The largest message it takes (RFC 1870); `None` when it does not say, or says 0 (no
    /// limit).
    pub(super) size_limit: Option<usize>,
}

impl Extensions {
    /// From the lines of an EHLO reply (`PIPELINING`, `SIZE 33554432`, …).
    pub(super) fn of<'a>(lines: impl Iterator<Item = &'a str>) -> Extensions {
        let mut offered = Extensions::default();
        for line in lines {
            let mut words = line.split_ascii_whitespace();
            match words.next() {
                Some(word) if word.eq_ignore_ascii_case("PIPELINING") => {
                    offered.pipelining = true;
                }
                Some(word) if word.eq_ignore_ascii_case("SIZE") => {
                    offered.size_limit =
                        words.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0);
                }
                _ => {}
            }
        }
        offered
    }
}

/// One open SMTP connection.
pub struct Connection {
    pub(super) inner: AsyncSmtpConnection,
    pub(super) timeout: Duration,
    /// Messages accepted on this connection.
    pub sent: u32,
    /// The server takes MAIL, RCPT and DATA in one go (RFC 2920).
    pub(super) pipelining: bool,
    /// The largest message the server takes (RFC 1870).
    pub(super) size_limit: Option<usize>,
}

/// The message data as sent after DATA: dot-stuffed, ending in `CRLF . CRLF` (RFC 5321
/// §4.5.2). lettre's own `message()` does this a byte at a time, which measured ~20 % of a
/// send's CPU; here the text is written in the long stretches between the few lines that start
/// with a dot, found with memchr's SIMD search (splitting at every line end was 8 % of a
/// send's CPU, BENCHMARKS.md).
pub(super) struct DotStuffed<'a>(&'a str);

impl<'a> DotStuffed<'a> {
    /// `None` unless `message` is ASCII (or UTF-8 with `utf8`, under SMTPUTF8), as lettre
    /// formats every message (CRLF line ends).
    pub(super) fn new(message: &'a [u8], utf8: bool) -> Option<DotStuffed<'a>> {
        std::str::from_utf8(message)
            .ok()
            .filter(|t| utf8 || t.is_ascii())
            .map(DotStuffed)
    }
}

impl std::fmt::Display for DotStuffed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0;
        if text.starts_with('.') {
            f.write_str(".")?;
        }
        let mut written = 0;
        for at in memchr::memmem::find_iter(text.as_bytes(), b"\r\n.") {
            // Up to the line end, then the doubled dot.
            f.write_str(&text[written..at + 2])?;
            f.write_str(".")?;
            written = at + 2;
        }
        f.write_str(&text[written..])?;
        if !text.ends_with("\r\n") {
            f.write_str("\r\n")?;
        }
        f.write_str(".\r\n")
    }
}

/// Commands written together, as PIPELINING allows; each ends in CRLF already.
struct Pipelined(String);

impl std::fmt::Display for Pipelined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The phase a transaction was in when it failed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Envelope,
    Data,
}

impl Connection {
    /// One transaction: MAIL, RCPT, DATA and the message, each step within the timeout.
    /// After any error the connection is not to be used again.
    pub async fn send(
        &mut self,
        from: &Address,
        to: &Address,
        message: &[u8],
    ) -> Result<Accepted, SendError> {
        let timeout = self.timeout;
        let utf8 = !(from.user().is_ascii() && to.user().is_ascii() && message.is_ascii());
        if utf8
            && !self
                .inner
                .server_info()
                .supports_feature(Extension::SmtpUtfEight)
        {
            return Err(SendError::Unsupported(format!(
                "the server does not accept international addresses (SMTPUTF8), so it cannot take `{to}`; send to this reader through a server that offers SMTPUTF8"
            )));
        }
        if let Some(limit) = self.size_limit
            && message.len() > limit
        {
            return Err(SendError::TooLarge {
                size: message.len(),
                limit,
            });
        }
        let mut parameters = Vec::new();
        if utf8 {
            parameters.push(MailParameter::SmtpUtfEight);
        }
        if self.size_limit.is_some() {
            // Declared, so that a server can refuse at MAIL what it will not take (RFC 1870).
            parameters.push(MailParameter::Size(message.len()));
        }
        let mail = Mail::new(Some(from.clone()), parameters);
        let rcpt = Rcpt::new(to.clone(), vec![]);
        if self.pipelining {
            self.envelope_pipelined(format!("{mail}{rcpt}{Data}"))
                .await?;
        } else {
            let conn = &mut self.inner;
            step(timeout, Phase::Envelope, conn.command(mail)).await?;
            step(timeout, Phase::Envelope, conn.command(rcpt)).await?;
            step(timeout, Phase::Envelope, conn.command(Data)).await?;
        }
        let data = DotStuffed::new(message, utf8).ok_or_else(|| {
            SendError::Unsupported("the message is not text (UTF-8 with CRLF lines)".into())
        })?;
        let response = step(timeout, Phase::Data, self.inner.command(data)).await?;
        self.sent += 1;
        Ok(Accepted {
            reply: reply_text(&response),
        })
    }

    /// MAIL, RCPT and DATA in one write, then their three replies; the first refusal counts.
    async fn envelope_pipelined(&mut self, commands: String) -> Result<(), SendError> {
        let timeout = self.timeout;
        let conn = &mut self.inner;
        let mail = step(timeout, Phase::Envelope, conn.command(Pipelined(commands))).await;
        if let Err(e @ (SendError::NotDelivered(_) | SendError::Uncertain(_))) = mail {
            return Err(e);
        }
        let rcpt = step(timeout, Phase::Envelope, conn.read_response()).await;
        if let Err(e @ (SendError::NotDelivered(_) | SendError::Uncertain(_))) = rcpt {
            return Err(e);
        }
        let data = step(timeout, Phase::Envelope, conn.read_response()).await;
        match (mail, rcpt, data) {
            (Ok(_), Ok(_), Ok(_)) => Ok(()),
            // The server is waiting for the message although a command was refused: the
            // connection cannot be trusted any more.
            (Err(e), _, Ok(_)) | (_, Err(e), Ok(_)) => Err(SendError::NotDelivered(format!(
                "server accepted DATA after {e}"
            ))),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
        }
    }

    /// Ends a refused transaction with RSET; `false` when the connection is not usable.
    pub async fn reset(&mut self) -> bool {
        matches!(
            tokio::time::timeout(self.timeout, self.inner.command(Rset)).await,
            Ok(Ok(_))
        )
    }

    /// Says QUIT and closes, within the timeout; errors do not matter any more.
    pub async fn quit(mut self) {
        let _ = tokio::time::timeout(self.timeout, self.inner.quit()).await;
    }

    /// Closes without waiting for the server.
    pub async fn abort(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.inner.abort()).await;
    }
}

/// Runs one step of a transaction within `timeout`.
async fn step(
    timeout: Duration,
    phase: Phase,
    step: impl Future<Output = Result<Response, lettre::transport::smtp::Error>>,
) -> Result<Response, SendError> {
    let waited = humantime::format_duration(timeout);
    match tokio::time::timeout(timeout, step).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(e)) => Err(classify(&e, phase)),
        Err(_) if phase == Phase::Data => Err(SendError::Uncertain(format!(
            "no reply to the message data within {waited}"
        ))),
        Err(_) => Err(SendError::NotDelivered(format!("no reply within {waited}"))),
    }
}

/// A reply code and text, or whether the message may have arrived.
fn classify(error: &lettre::transport::smtp::Error, phase: Phase) -> SendError {
    if let Some(code) = error.status() {
        let code = code.to_string().parse().unwrap_or(0);
        let text =
            std::error::Error::source(error).map_or_else(|| error.to_string(), ToString::to_string);
        return SendError::Rejected {
            code,
            text: text.trim().to_owned(),
            before_data: phase == Phase::Envelope,
        };
    }
    let why = chain(error);
    // A failed write means the final "." did not get out: the server cannot have taken it.
    let write_failed = std::error::Error::source(error)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
    if phase == Phase::Data && !write_failed {
        SendError::Uncertain(why)
    } else {
        SendError::NotDelivered(why)
    }
}

fn reply_text(response: &Response) -> String {
    let text: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), text.join(" "))
        .trim()
        .to_owned()
}
