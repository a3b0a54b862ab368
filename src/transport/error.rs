//! What can go wrong on the way to a server, and what it said when it took a message.

use super::url::UrlError;

/// A problem with the configuration: nothing can be sent (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error(
        "refusing to log in as `{user}` over an unencrypted connection ({url}); use STARTTLS (`smtp://`) or `smtps://`"
    )]
    AuthWithoutTls { user: String, url: String },
    #[error(
        "`{url}` has a user but neither COURANT_SMTP_PASSWORD nor COURANT_SMTP_PASSWORD_FILE is set"
    )]
    NoPassword { url: String },
    /// The password's file could not be read.
    #[error("{0}")]
    Secret(String),
    #[error("cannot read the CA certificate `{path}`: {why}")]
    Ca { path: String, why: String },
    #[error(
        "no certificate in `{path}`: `--smtp-ca` takes a PEM file with `-----BEGIN CERTIFICATE-----`"
    )]
    NoCertificate { path: String },
}

/// Why no connection could be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The server could not be reached or did not greet in time; worth trying again later.
    #[error("cannot connect to {url}: {why}")]
    Unreachable { url: String, why: String },
    /// Trying again will not help: TLS, login or the server's refusal.
    #[error("{url}: {why}")]
    Fatal { url: String, why: String },
}

impl ConnectError {
    pub fn is_fatal(&self) -> bool {
        matches!(self, ConnectError::Fatal { .. })
    }
}

/// What the server said to the final `.`: the message is its responsibility now.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub reply: String,
}

/// How a transaction failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Larger than the server takes (its `SIZE`, RFC 1870): nothing was sent, and every
    /// message of the edition is about as large.
    #[error(
        "the message is {} MB and the server takes at most {} MB (its SIZE); make the images smaller, or send through a server that takes larger messages",
        megabytes(*size),
        megabytes(*limit)
    )]
    TooLarge { size: usize, limit: usize },
    /// A 4xx or 5xx reply to MAIL, RCPT, DATA or the data.
    #[error("{code} {text}")]
    Rejected {
        code: u16,
        text: String,
        /// Refused in reply to MAIL, RCPT or DATA: before the message itself.
        before_data: bool,
    },
    /// The connection failed before the server could have taken the message.
    #[error("{0}")]
    NotDelivered(String),
    /// The data was sent but no reply came: the server may have taken the message.
    #[error("{0}")]
    Uncertain(String),
    /// The server cannot take this message at all (an international address without
    /// SMTPUTF8): nothing was sent, and trying again will not help.
    #[error("{0}")]
    Unsupported(String),
}

/// Bytes in megabytes (10⁶), one decimal.
fn megabytes(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

impl SendError {
    /// 5xx: the server will not take this message, now or later.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Rejected { code, .. } if *code >= 500)
            || matches!(self, SendError::Unsupported(_))
    }

    pub fn code(&self) -> Option<u16> {
        match self {
            SendError::Rejected { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// 421, 451, 452 and 454 ask the client to send less for a while.
    pub fn asks_to_slow_down(&self) -> bool {
        matches!(self.code(), Some(421 | 451 | 452 | 454))
    }
}

/// An error with its causes, e.g. `network error: Broken pipe (os error 32)`.
pub(super) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
        source = std::error::Error::source(source.expect("checked"));
    }
    // lettre's connection errors wrap one another, each saying so.
    while text.contains("Connection error: Connection error: ") {
        text = text.replace("Connection error: Connection error: ", "Connection error: ");
    }
    text
}
