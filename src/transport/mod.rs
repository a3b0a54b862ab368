//! SMTP delivery: opening connections and running one transaction per message.
//!
//! courant holds its own connections instead of lettre's pool, for three reasons found by
//! measuring (see BENCHMARKS.md): lettre never sets `TCP_NODELAY`, so on a reused connection
//! Nagle's algorithm and delayed ACKs cost ~40 ms per message; its pool does not cap how many
//! connections are open; and its timeout covers only the connect, so a stalled server would hang
//! a run. Here every step — connect, greeting, each command, the data — has a deadline, and
//! each connection's socket is opened with `TCP_NODELAY`.

pub mod reply;
mod url;

use std::path::Path;
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailParameter};
use lettre::transport::smtp::response::Response;
use tokio::net::TcpStream;

pub use url::{Security, SmtpUrl, UrlError};

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
    #[error("`{url}` has a user but COURANT_SMTP_PASSWORD is not set")]
    NoPassword { url: String },
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

/// What the send loop needs of a way to deliver: connections to open. [`Connector`] is the
/// SMTP one; the send loop's unit tests script one in memory.
pub trait Transport: Send + Sync + 'static {
    type Session: Session;
    /// Opens a connection ready for transactions (greeted, secured, logged in).
    fn open(&self) -> impl Future<Output = Result<Self::Session, ConnectError>> + Send;
}

/// One open connection of a [`Transport`].
pub trait Session: Send + 'static {
    /// Messages accepted on this connection so far.
    fn sent(&self) -> u32;
    /// One transaction. After an error other than a refusal the session is not used again.
    fn send(
        &mut self,
        from: &Address,
        to: &Address,
        message: &[u8],
    ) -> impl Future<Output = Result<Accepted, SendError>> + Send;
    /// Ends a refused transaction; `false` when the session is not usable any more.
    fn reset(&mut self) -> impl Future<Output = bool> + Send;
    /// Closes politely.
    fn quit(self) -> impl Future<Output = ()> + Send;
    /// Closes without waiting for the server.
    fn abort(self) -> impl Future<Output = ()> + Send;
}

impl Transport for Connector {
    type Session = Connection;
    fn open(&self) -> impl Future<Output = Result<Connection, ConnectError>> + Send {
        self.connect()
    }
}

impl Session for Connection {
    fn sent(&self) -> u32 {
        self.sent
    }
    fn send(
        &mut self,
        from: &Address,
        to: &Address,
        message: &[u8],
    ) -> impl Future<Output = Result<Accepted, SendError>> + Send {
        Connection::send(self, from, to, message)
    }
    fn reset(&mut self) -> impl Future<Output = bool> + Send {
        Connection::reset(self)
    }
    fn quit(self) -> impl Future<Output = ()> + Send {
        Connection::quit(self)
    }
    fn abort(self) -> impl Future<Output = ()> + Send {
        Connection::abort(self)
    }
}

/// Opens connections to one server.
#[derive(Clone)]
pub struct Connector {
    url: SmtpUrl,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
}

impl Connector {
    /// `password` comes from the environment; `ca` adds a trusted root to the system's.
    pub fn new(
        url: SmtpUrl,
        password: Option<String>,
        ca: Option<&Path>,
        timeout: Duration,
    ) -> Result<Connector, ConfigError> {
        let credentials = match (&url.user, password) {
            (Some(user), _) if url.security == Security::None => {
                return Err(ConfigError::AuthWithoutTls {
                    user: user.clone(),
                    url: url.to_string(),
                });
            }
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password)),
            (Some(_), None) => {
                return Err(ConfigError::NoPassword {
                    url: url.to_string(),
                });
            }
            (None, _) => None,
        };
        let tls = match url.security {
            // A CA given for an unencrypted relay is still read: a wrong file says so.
            Security::None => {
                tls_parameters(&url.host, ca)?;
                None
            }
            _ => Some(tls_parameters(&url.host, ca)?),
        };
        Ok(Connector {
            url,
            tls,
            credentials,
            hello: ClientId::default(),
            timeout,
        })
    }

    pub fn url(&self) -> &SmtpUrl {
        &self.url
    }

    /// Connects, says EHLO, secures the connection and logs in, each step within the timeout.
    pub async fn connect(&self) -> Result<Connection, ConnectError> {
        let inner = match self.url.security {
            Security::Implicit => self.connect_implicit_tls().await?,
            _ => self.connect_plain().await?,
        };
        let mut connection = Connection {
            inner,
            timeout: self.timeout,
            sent: 0,
            pipelining: false,
        };
        if self.url.security == Security::StartTls {
            self.starttls(&mut connection).await?;
        }
        if let Some(credentials) = &self.credentials {
            let login = connection
                .inner
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials);
            match tokio::time::timeout(self.timeout, login).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    return Err(self.fatal(format!(
                        "login as `{}` refused: {e}",
                        self.url.user.as_deref().unwrap_or("")
                    )));
                }
                Err(_) => return Err(self.unreachable("no reply to the login in time")),
            }
        }
        connection.pipelining = self.offers_pipelining(&mut connection).await?;
        Ok(connection)
    }

    async fn connect_plain(&self) -> Result<AsyncSmtpConnection, ConnectError> {
        let address = (self.url.host.as_str(), self.url.port);
        let stream = match tokio::time::timeout(self.timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(self.unreachable(e.to_string())),
            Err(_) => return Err(self.unreachable("connect timed out")),
        };
        // Without this, each reused connection waits for a delayed ACK (~40 ms) per command.
        stream
            .set_nodelay(true)
            .map_err(|e| self.unreachable(e.to_string()))?;
        let greet = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello);
        self.greeting(greet).await
    }

    /// lettre opens the socket itself here, so `TCP_NODELAY` cannot be set: implicit TLS is
    /// correct but not as fast as STARTTLS or plain connections on a low-latency link.
    async fn connect_implicit_tls(&self) -> Result<AsyncSmtpConnection, ConnectError> {
        let address = (self.url.host.as_str(), self.url.port);
        let greet = AsyncSmtpConnection::connect_tokio1(
            address,
            Some(self.timeout),
            &self.hello,
            self.tls.clone(),
            None,
        );
        self.greeting(greet).await
    }

    async fn greeting(
        &self,
        greet: impl Future<Output = Result<AsyncSmtpConnection, lettre::transport::smtp::Error>>,
    ) -> Result<AsyncSmtpConnection, ConnectError> {
        match tokio::time::timeout(self.timeout, greet).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) if e.is_tls() => Err(self.fatal(format!("TLS failed: {}", chain(&e)))),
            // rustls read a plain `220` greeting where a TLS record should be.
            Ok(Err(e)) if chain(&e).contains("InvalidContentType") => Err(self.fatal(format!(
                "this port does not speak TLS from the first byte ({}); for ports 587 and 25 use `smtp://{}:{}` (STARTTLS), `smtps://` is for port 465",
                chain(&e),
                self.url.host,
                self.url.port
            ))),
            Ok(Err(e)) if e.is_permanent() => {
                Err(self.fatal(format!("the server refused the connection: {e}")))
            }
            Ok(Err(e)) => Err(self.unreachable(chain(&e))),
            Err(_) => Err(self.unreachable("no greeting in time")),
        }
    }

    async fn starttls(&self, connection: &mut Connection) -> Result<(), ConnectError> {
        if !connection.inner.can_starttls() {
            return Err(self.fatal("the server does not offer STARTTLS; use `smtps://`, or `?tls=none` for a trusted local relay".into()));
        }
        let tls = self.tls.clone().expect("STARTTLS has TLS parameters");
        match tokio::time::timeout(self.timeout, connection.inner.starttls(tls, &self.hello)).await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.fatal(format!("STARTTLS failed: {}", chain(&e)))),
            Err(_) => Err(self.unreachable("no reply to STARTTLS in time")),
        }
    }

    /// lettre does not record PIPELINING (RFC 2920), so ask with a second EHLO.
    async fn offers_pipelining(&self, connection: &mut Connection) -> Result<bool, ConnectError> {
        let ehlo = connection.inner.command(Ehlo::new(self.hello.clone()));
        match tokio::time::timeout(self.timeout, ehlo).await {
            Ok(Ok(response)) => Ok(response
                .message()
                .any(|line| line.eq_ignore_ascii_case("PIPELINING"))),
            Ok(Err(e)) => Err(self.unreachable(chain(&e))),
            Err(_) => Err(self.unreachable("no reply to EHLO in time")),
        }
    }

    fn unreachable(&self, why: impl Into<String>) -> ConnectError {
        ConnectError::Unreachable {
            url: self.url.to_string(),
            why: why.into(),
        }
    }

    fn fatal(&self, why: String) -> ConnectError {
        ConnectError::Fatal {
            url: self.url.to_string(),
            why,
        }
    }
}

fn tls_parameters(host: &str, ca: Option<&Path>) -> Result<TlsParameters, ConfigError> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(path) = ca {
        let shown = crate::diagnostic::display_path(path);
        let pem = std::fs::read(path).map_err(|e| ConfigError::Ca {
            path: shown.clone(),
            why: e.to_string(),
        })?;
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let certs: Vec<CertificateDer> = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<_, _>>()
            .map_err(|e| ConfigError::Ca {
                path: shown.clone(),
                why: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(ConfigError::NoCertificate { path: shown });
        }
        for der in certs {
            let cert = Certificate::from_der(der.to_vec()).map_err(|e| ConfigError::Ca {
                path: shown.clone(),
                why: e.to_string(),
            })?;
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build_rustls()
        .map_err(|e| ConfigError::Tls(e.to_string()))
}

/// An error with its causes, e.g. `network error: Broken pipe (os error 32)`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
        source = std::error::Error::source(source.expect("checked"));
    }
    text
}

/// One open SMTP connection.
pub struct Connection {
    inner: AsyncSmtpConnection,
    timeout: Duration,
    /// Messages accepted on this connection.
    pub sent: u32,
    /// The server takes MAIL, RCPT and DATA in one go (RFC 2920).
    pipelining: bool,
}

/// The message data as sent after DATA: dot-stuffed, ending in `CRLF . CRLF` (RFC 5321
/// §4.5.2). lettre's own `message()` does this a byte at a time, which measured ~20 % of a
/// send's CPU; here the text is written in the long stretches between the few lines that start
/// with a dot, found with memchr's SIMD search (splitting at every line end was 8 % of a
/// send's CPU, BENCHMARKS.md).
struct DotStuffed<'a>(&'a str);

impl<'a> DotStuffed<'a> {
    /// `None` unless `message` is ASCII (or UTF-8 with `utf8`, under SMTPUTF8), as lettre
    /// formats every message (CRLF line ends).
    fn new(message: &'a [u8], utf8: bool) -> Option<DotStuffed<'a>> {
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
        let parameters = if utf8 {
            vec![MailParameter::SmtpUtfEight]
        } else {
            vec![]
        };
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

#[cfg(test)]
mod tests;
