//! The bounce mailbox over IMAP: each message is read, handed over, and only then moved out of
//! the way (to the processed or unprocessed folder, never deleted), so a run that is killed
//! loses nothing: a message is either processed and moved, or still where it was. A message
//! processed but not yet moved is met again by the next run, which knows it by its digest and
//! only moves it.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_imap::Session;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_stream::StreamExt;

use super::mailbox::Stored;
use crate::tls::CaError;

/// `imaps://user@host[:993]/MAILBOX` (TLS from the start) or `imap://user@host[:143]/MAILBOX`
/// (STARTTLS, required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapUrl {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub mailbox: String,
    pub implicit_tls: bool,
}

/// Why the mailbox could not be read. The password never appears in one.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The URL itself is not repeated: it could hold a password.
    #[error("invalid IMAP URL: {0}; expected e.g. `imaps://bounces@mail.example.nl/INBOX`")]
    Url(String),
    #[error("COURANT_IMAP_PASSWORD is not set: the IMAP password is read from it only")]
    NoPassword,
    #[error("cannot read the CA certificate `{path}`: {why}")]
    Ca { path: String, why: String },
    #[error("cannot connect to {host}:{port}: {why}")]
    Connect {
        host: String,
        port: u16,
        why: String,
    },
    #[error("TLS with {host} failed: {why}")]
    Tls { host: String, why: String },
    #[error(
        "login as `{user}` refused: the server said “{why}”; check the user in the IMAP URL and \
         COURANT_IMAP_PASSWORD"
    )]
    Login { user: String, why: String },
    #[error(
        "the folder `{folder}` is not on the server (it said “{why}”): check the folder at the \
         end of the IMAP URL, e.g. `…/INBOX`; names use the server's separator (`INBOX.bounces` \
         or `INBOX/bounces`)"
    )]
    NoFolder { folder: String, why: String },
    #[error("the IMAP server: {0}")]
    Protocol(#[from] async_imap::error::Error),
    #[error("no reply from the IMAP server within {0:?}")]
    Timeout(Duration),
    #[error(
        "no greeting from the IMAP server within {timeout:?}: if this port speaks TLS from the \
         first byte (993), use `imaps://`; `imap://` is for port 143 and STARTTLS"
    )]
    NoGreeting { timeout: Duration },
}

impl ImapError {
    /// The server could not be reached or stopped answering: trying again later may work.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            ImapError::Connect { .. } | ImapError::Protocol(_) | ImapError::Timeout(_)
        )
    }
}

impl FromStr for ImapUrl {
    type Err = ImapError;

    fn from_str(s: &str) -> Result<ImapUrl, ImapError> {
        let bad = |why: &str| ImapError::Url(why.to_owned());
        let url = url::Url::parse(s).map_err(|e| bad(&e.to_string()))?;
        if url.password().is_some() {
            return Err(bad(
                "a password does not belong in the URL; set COURANT_IMAP_PASSWORD",
            ));
        }
        let implicit_tls = match url.scheme() {
            "imaps" => true,
            "imap" => false,
            _ => return Err(bad("the scheme must be `imaps` or `imap` (STARTTLS)")),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?;
        let user = percent_encoding::percent_decode_str(url.username())
            .decode_utf8_lossy()
            .into_owned();
        if user.is_empty() {
            return Err(bad(
                "no user: write it before the host, `imaps://user@host/INBOX`",
            ));
        }
        let path = url.path().trim_start_matches('/');
        let mailbox = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        Ok(ImapUrl {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: url.port().unwrap_or(if implicit_tls { 993 } else { 143 }),
            user,
            mailbox: if mailbox.is_empty() {
                "INBOX".into()
            } else {
                mailbox.into_owned()
            },
            implicit_tls,
        })
    }
}

/// Where messages go once read; names with `/`, turned into the server's separator.
#[derive(Debug, Clone)]
pub struct Folders {
    pub processed: String,
    pub unprocessed: String,
}

/// What happened to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Used (or read before): moved to the processed folder.
    Processed,
    /// Not understood: moved to the unprocessed folder, for a person.
    Unprocessed,
}

type Imap = Session<TlsStream<TcpStream>>;

/// Reads every message of the mailbox, hands each to `handle`, and moves it where `handle`
/// says once it has returned. Returns how many were moved to each folder.
pub async fn fetch<E: From<ImapError>>(
    url: &ImapUrl,
    password: &str,
    ca: Option<&Path>,
    folders: &Folders,
    timeout: Duration,
    mut handle: impl FnMut(Stored) -> Result<Handled, E>,
) -> Result<(usize, usize), E> {
    let mut session = connect(url, password, ca, timeout).await?;
    let folders = ensure_folders(&mut session, folders, timeout).await?;
    match tokio::time::timeout(timeout, session.select(&url.mailbox)).await {
        Ok(Ok(_)) => {}
        Ok(Err(async_imap::error::Error::No(said))) => {
            return Err(ImapError::NoFolder {
                folder: url.mailbox.clone(),
                why: said_in_words(&said),
            }
            .into());
        }
        Ok(Err(e)) => return Err(ImapError::from(e).into()),
        Err(_) => return Err(ImapError::Timeout(timeout).into()),
    }
    let mut uids: Vec<u32> = step(timeout, session.uid_search("ALL"))
        .await?
        .into_iter()
        .collect();
    uids.sort_unstable();
    let (mut processed, mut unprocessed) = (0, 0);
    for uid in uids {
        let Some(bytes) = body(&mut session, uid, timeout).await? else {
            continue;
        };
        let label = format!("imap:{}/{uid}", url.mailbox);
        let folder = match handle(Stored { label, bytes })? {
            Handled::Processed => {
                processed += 1;
                &folders.processed
            }
            Handled::Unprocessed => {
                unprocessed += 1;
                &folders.unprocessed
            }
        };
        step(timeout, session.uid_mv(uid.to_string(), folder)).await?;
    }
    let _ = tokio::time::timeout(timeout, session.logout()).await;
    Ok((processed, unprocessed))
}

/// One message's bytes, left unread (`BODY.PEEK`) on the server.
async fn body(
    session: &mut Imap,
    uid: u32,
    timeout: Duration,
) -> Result<Option<Vec<u8>>, ImapError> {
    let fetch = async {
        let mut stream = session.uid_fetch(uid.to_string(), "BODY.PEEK[]").await?;
        let mut found = None;
        while let Some(item) = stream.next().await {
            let item = item?;
            if item.uid == Some(uid) || found.is_none() {
                found = item.body().map(<[u8]>::to_vec).or(found);
            }
        }
        Ok::<_, async_imap::error::Error>(found)
    };
    step(timeout, fetch).await
}

/// The folders with the server's separator, created when missing.
async fn ensure_folders(
    session: &mut Imap,
    folders: &Folders,
    timeout: Duration,
) -> Result<Folders, ImapError> {
    let separator = {
        let list = async {
            let mut names = session.list(Some(""), Some("\"\"")).await?;
            let mut separator = None;
            while let Some(name) = names.next().await {
                separator = separator.or(name?.delimiter().map(str::to_owned));
            }
            Ok::<_, async_imap::error::Error>(separator)
        };
        step(timeout, list).await?.unwrap_or_else(|| "/".into())
    };
    let named = |f: &str| f.replace('/', &separator);
    let folders = Folders {
        processed: named(&folders.processed),
        unprocessed: named(&folders.unprocessed),
    };
    for folder in [&folders.processed, &folders.unprocessed] {
        // CREATE fails when the folder exists; the MOVE will say if it is really missing.
        let _ = step(timeout, session.create(folder)).await;
    }
    Ok(folders)
}

async fn connect(
    url: &ImapUrl,
    password: &str,
    ca: Option<&Path>,
    timeout: Duration,
) -> Result<Imap, ImapError> {
    let connector = TlsConnector::from(Arc::new(tls_config(ca)?));
    let connect_error = |why: String| ImapError::Connect {
        host: url.host.clone(),
        port: url.port,
        why,
    };
    let tcp = tokio::time::timeout(timeout, TcpStream::connect((url.host.as_str(), url.port)))
        .await
        .map_err(|_| ImapError::Timeout(timeout))?
        .map_err(|e| connect_error(e.to_string()))?;
    let tcp = if url.implicit_tls {
        tcp
    } else {
        starttls(tcp, timeout).await?
    };
    let name = ServerName::try_from(url.host.clone()).map_err(|e| ImapError::Tls {
        host: url.host.clone(),
        why: e.to_string(),
    })?;
    let tls = step_io(timeout, connector.connect(name, tcp))
        .await?
        .map_err(|e| ImapError::Tls {
            host: url.host.clone(),
            why: tls_in_words(&e.to_string(), url),
        })?;
    let mut client = async_imap::Client::new(tls);
    if url.implicit_tls {
        step_io(timeout, client.read_response())
            .await?
            .map_err(|e| connect_error(e.to_string()))?;
    }
    let login = tokio::time::timeout(timeout, client.login(&url.user, password))
        .await
        .map_err(|_| ImapError::Timeout(timeout))?;
    login.map_err(|(e, _)| ImapError::Login {
        user: url.user.clone(),
        why: match e {
            async_imap::error::Error::No(said) | async_imap::error::Error::Bad(said) => {
                said_in_words(&said)
            }
            e => e.to_string(),
        },
    })
}

/// What an IMAP server said with NO or BAD, as a person reads it: the text after the response
/// code, from `code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")`.
fn said_in_words(said: &str) -> String {
    let info = said
        .split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map_or(said, |(info, _)| info);
    let text = match info.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or(info, |(_, t)| t),
        None => info,
    };
    let text = text.trim().replace("\\\"", "\"");
    // Dovecot adds how long it took: `… (0.001 + 0.000 secs).`
    match text.rsplit_once(" (") {
        Some((said, timing)) if timing.ends_with("secs).") => format!("{said}."),
        _ => text,
    }
}

/// How to give courant a CA for IMAP, in messages.
const IMAP_CA_OPTION: &str = "--imap-ca FILE (or `imap-ca` in [bounces], COURANT_IMAP_CA)";

/// A TLS failure said with what to do: a certificate courant does not trust, or a port that
/// does not speak TLS from the first byte.
fn tls_in_words(error: &str, url: &ImapUrl) -> String {
    if let Some(words) = crate::tls::explain(error, IMAP_CA_OPTION) {
        return words;
    }
    if error.contains("InvalidContentType") && url.implicit_tls {
        return format!(
            "port {} does not speak TLS from the first byte (it answered in plain text): for a \
             port that starts plain and upgrades with STARTTLS (143), use `imap://{}:{}/…`; \
             `imaps://` is for port 993",
            url.port, url.host, url.port
        );
    }
    error.to_owned()
}

/// Upgrades a plain connection with STARTTLS; a server without it is refused.
async fn starttls(tcp: TcpStream, timeout: Duration) -> Result<TcpStream, ImapError> {
    let mut client = async_imap::Client::new(tcp);
    let greeting = tokio::time::timeout(timeout, client.read_response()).await;
    let greeting = greeting.map_err(|_| ImapError::NoGreeting { timeout })?;
    greeting.map_err(|e| ImapError::Protocol(e.into()))?;
    step(timeout, client.run_command_and_check_ok("STARTTLS", None)).await?;
    Ok(client.into_inner())
}

/// The roots SMTP trusts too, and the private CA (or the server's own certificate) of
/// `--imap-ca`.
fn tls_config(ca: Option<&Path>) -> Result<rustls::ClientConfig, ImapError> {
    crate::tls::verifying_config(ca).map_err(|e| match e {
        CaError::Unreadable { path, why } => ImapError::Ca { path, why },
        CaError::Empty { path } => ImapError::Ca {
            path,
            why: "no certificate in it; `--imap-ca` takes a PEM file with `-----BEGIN CERTIFICATE-----`".into(),
        },
    })
}

async fn step<T>(
    timeout: Duration,
    f: impl Future<Output = Result<T, async_imap::error::Error>>,
) -> Result<T, ImapError> {
    match tokio::time::timeout(timeout, f).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(ImapError::Timeout(timeout)),
    }
}

async fn step_io<T>(timeout: Duration, f: impl Future<Output = T>) -> Result<T, ImapError> {
    tokio::time::timeout(timeout, f)
        .await
        .map_err(|_| ImapError::Timeout(timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_user_host_and_mailbox_and_never_a_password() {
        let url: ImapUrl = "imaps://bounces%40x.nl@mail.example.nl/INBOX"
            .parse()
            .unwrap();
        assert_eq!(
            url,
            ImapUrl {
                host: "mail.example.nl".into(),
                port: 993,
                user: "bounces@x.nl".into(),
                mailbox: "INBOX".into(),
                implicit_tls: true,
            }
        );
        let plain: ImapUrl = "imap://b@mail.example.nl:1143".parse().unwrap();
        assert_eq!(
            (plain.port, plain.mailbox.as_str(), plain.implicit_tls),
            (1143, "INBOX", false)
        );
        let secret = "imaps://b:geheim@mail.example.nl/INBOX"
            .parse::<ImapUrl>()
            .unwrap_err();
        assert!(!secret.to_string().contains("geheim"), "{secret}");
        assert!("https://mail.example.nl".parse::<ImapUrl>().is_err());
    }
}
