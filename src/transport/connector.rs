//! Opening a connection to one server: TCP, the greeting, TLS (STARTTLS or from the first
//! byte), the login and what the server offers, each step within the timeout.

use std::path::Path;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;

use super::connection::{Connection, Extensions};
use super::error::{ConfigError, ConnectError, chain};
use super::stream::Bounded;
use super::url::{Security, SmtpUrl};

/// Opens connections to one server.
#[derive(Clone)]
pub struct Connector {
    url: SmtpUrl,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    /// For implicit TLS, which courant sets up itself (lettre's own would skip `TCP_NODELAY`
    /// and the bound on what the server sends).
    implicit: Option<tokio_rustls::TlsConnector>,
    /// What checks the server's certificate after STARTTLS: lettre's handshake takes any, and
    /// nothing is sent over it but EHLO before this has said yes (see [`crate::tls::Verifier`]).
    verifier: std::sync::Arc<crate::tls::Verifier>,
}

/// How to give courant a CA for SMTP, in messages.
pub(super) const SMTP_CA_OPTION: &str =
    "--smtp-ca FILE (or `smtp-ca` in [sending], COURANT_SMTP_CA)";

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
        let implicit = match url.security {
            Security::Implicit => Some(implicit_tls(ca)?),
            _ => None,
        };
        let verifier = crate::tls::Verifier::new(ca).map_err(ca_error)?;
        Ok(Connector {
            url,
            tls,
            credentials,
            hello: ClientId::default(),
            timeout,
            implicit,
            verifier: std::sync::Arc::new(verifier),
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
            size_limit: None,
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
                        "login as `{}` refused: the server said “{e}”; check the user in the \
                         SMTP URL and COURANT_SMTP_PASSWORD (or COURANT_SMTP_PASSWORD_FILE)",
                        self.url.user.as_deref().unwrap_or("")
                    )));
                }
                Err(_) => return Err(self.unreachable("no reply to the login in time")),
            }
        }
        let extensions = self.extensions(&mut connection).await?;
        connection.pipelining = extensions.pipelining;
        connection.size_limit = extensions.size_limit;
        Ok(connection)
    }

    async fn tcp(&self) -> Result<TcpStream, ConnectError> {
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
        Ok(stream)
    }

    async fn connect_plain(&self) -> Result<AsyncSmtpConnection, ConnectError> {
        let stream = Box::new(Bounded::new(self.tcp().await?));
        let greet = AsyncSmtpConnection::connect_with_transport(stream, &self.hello);
        self.greeting(greet).await
    }

    /// TLS from the first byte (port 465), set up here rather than by lettre, which opens the
    /// socket itself: so it too gets `TCP_NODELAY` and the bound on what the server sends.
    async fn connect_implicit_tls(&self) -> Result<AsyncSmtpConnection, ConnectError> {
        let tcp = self.tcp().await?;
        let connector = self.implicit.clone().expect("implicit TLS has a connector");
        let name = rustls_pki_types::ServerName::try_from(self.url.host.clone())
            .map_err(|e| self.fatal(format!("TLS failed: {e}")))?;
        let tls = match tokio::time::timeout(self.timeout, connector.connect(name, tcp)).await {
            Ok(Ok(tls)) => tls,
            // rustls read a plain `220` greeting where a TLS record should be.
            Ok(Err(e)) if e.to_string().contains("InvalidContentType") => {
                return Err(self.wrong_port_for_tls());
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(self.certificate_error(&e.to_string()));
            }
            Ok(Err(e)) => return Err(self.unreachable(e.to_string())),
            Err(_) => return Err(self.unreachable("no TLS handshake in time")),
        };
        let greet =
            AsyncSmtpConnection::connect_with_transport(Box::new(Bounded::new(tls)), &self.hello);
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
            Ok(Err(e)) if chain(&e).contains("InvalidContentType") => {
                Err(self.wrong_port_for_tls())
            }
            Ok(Err(e)) if e.is_permanent() => {
                Err(self.fatal(format!("the server refused the connection: {e}")))
            }
            Ok(Err(e)) => Err(self.unreachable(chain(&e))),
            Err(_) if self.url.security != Security::Implicit => Err(self.unreachable(format!(
                "no greeting in time; if port {} speaks TLS from the first byte (465), use \
                 `smtps://{}:{}`",
                self.url.port, self.url.host, self.url.port
            ))),
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
            Ok(Ok(())) => {
                let chain = connection.inner.certificate_chain();
                let checked = chain.map_err(|e| e.to_string()).and_then(|chain| {
                    (self.verifier.check_chain(&chain, &self.url.host))
                        .map_err(|e| format!("{e:?}"))
                });
                checked.map_err(|e| self.certificate_error(&e))
            }
            Ok(Err(e)) => Err(self.fatal(format!("STARTTLS failed: {}", chain(&e)))),
            Err(_) => Err(self.unreachable("no reply to STARTTLS in time")),
        }
    }

    /// `smtps://` on a port that answers in plain text.
    fn wrong_port_for_tls(&self) -> ConnectError {
        self.fatal(format!(
            "port {} does not speak TLS from the first byte (it answered in plain text): for \
             ports 587 and 25 use `smtp://{}:{}` (STARTTLS); `smtps://` is for port 465",
            self.url.port, self.url.host, self.url.port
        ))
    }

    /// A certificate the server showed and courant does not trust, said with what to do.
    fn certificate_error(&self, error: &str) -> ConnectError {
        let why = crate::tls::explain(error, SMTP_CA_OPTION)
            .unwrap_or_else(|| format!("TLS failed: {error}"));
        self.fatal(why)
    }

    /// lettre records neither PIPELINING (RFC 2920) nor SIZE (RFC 1870), so ask with a second
    /// EHLO.
    async fn extensions(&self, connection: &mut Connection) -> Result<Extensions, ConnectError> {
        let ehlo = connection.inner.command(Ehlo::new(self.hello.clone()));
        match tokio::time::timeout(self.timeout, ehlo).await {
            Ok(Ok(response)) => Ok(Extensions::of(response.message())),
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

/// The TLS connector of an implicit-TLS connection: the same roots lettre's STARTTLS trusts
/// (webpki-roots), and the CA of `--smtp-ca`.
fn implicit_tls(ca: Option<&Path>) -> Result<tokio_rustls::TlsConnector, ConfigError> {
    let config = crate::tls::verifying_config(ca).map_err(ca_error)?;
    Ok(tokio_rustls::TlsConnector::from(std::sync::Arc::new(
        config,
    )))
}

/// lettre's STARTTLS: the handshake takes any certificate (lettre cannot be given a verifier),
/// and [`Connector::starttls`] checks it, before anything but EHLO is sent.
fn tls_parameters(host: &str, ca: Option<&Path>) -> Result<TlsParameters, ConfigError> {
    let mut builder = TlsParameters::builder(host.to_owned()).dangerous_accept_invalid_certs(true);
    if let Some(path) = ca {
        let shown = crate::diagnostic::display_path(path);
        for der in crate::tls::certificates(path).map_err(ca_error)? {
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

fn ca_error(error: crate::tls::CaError) -> ConfigError {
    match error {
        crate::tls::CaError::Unreadable { path, why } => ConfigError::Ca { path, why },
        crate::tls::CaError::Empty { path } => ConfigError::NoCertificate { path },
    }
}
