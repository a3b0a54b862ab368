//! The SMTP server to use, written as a URL: `smtp://user@host:587` (STARTTLS required),
//! `smtps://user@host:465` (implicit TLS), or `smtp://host:25?tls=none` (no TLS, no AUTH).

use std::fmt;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp://`: plain TCP, then STARTTLS, which the server must offer.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `smtp://…?tls=none`: no encryption, for a relay on the same host or in tests.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Logs in with this user; the password comes from the environment only.
    pub user: Option<String>,
}

/// Why an SMTP URL is not usable. The URL itself is not repeated: it could hold a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("invalid SMTP URL: {0}")]
    Syntax(#[from] url::ParseError),
    #[error(
        "the SMTP URL has no scheme; write it as `{0}` (STARTTLS) or `smtps://…` (TLS from the start, port 465)"
    )]
    NoScheme(String),
    #[error("the SMTP URL must not contain a password; set COURANT_SMTP_PASSWORD")]
    Password,
    #[error("the SMTP URL has no host")]
    NoHost,
    #[error("unknown SMTP URL parameter `{0}`; only `tls=none` is known")]
    Parameter(String),
    #[error("unknown `tls={0}`; only `tls=none` is known")]
    Tls(String),
    #[error("unknown SMTP URL scheme `{0}`; expected `smtp` or `smtps`")]
    Scheme(String),
}

impl std::str::FromStr for SmtpUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, UrlError> {
        if !s.contains("://") {
            // `mail.example.nl:587` would parse as a URL of scheme `mail.example.nl`. The
            // suggestion repeats the address only when it holds no user (or password).
            let example = if s.contains('@') {
                "smtp://user@host:587".to_owned()
            } else {
                format!("smtp://{s}")
            };
            return Err(UrlError::NoScheme(example));
        }
        let url = url::Url::parse(s)?;
        if !url.password().unwrap_or("").is_empty() {
            return Err(UrlError::Password);
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(UrlError::NoHost)?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        if let Some((key, _)) = url.query_pairs().find(|(k, _)| k != "tls") {
            return Err(UrlError::Parameter(key.into_owned()));
        }
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => Security::StartTls,
            ("smtp", Some("none")) => Security::None,
            ("smtps", None) => Security::Implicit,
            ("smtp" | "smtps", Some(other)) => {
                return Err(UrlError::Tls(other.to_owned()));
            }
            (scheme, _) => {
                return Err(UrlError::Scheme(scheme.to_owned()));
            }
        };
        let default_port = if security == Security::Implicit {
            465
        } else {
            587
        };
        let user = (!url.username().is_empty()).then(|| {
            percent_encoding::percent_decode_str(url.username())
                .decode_utf8_lossy()
                .into_owned()
        });
        Ok(SmtpUrl {
            host,
            port: url.port().unwrap_or(default_port),
            security,
            user,
        })
    }
}

impl fmt::Display for SmtpUrl {
    /// The URL as it can be shown: never with a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.security == Security::Implicit {
            "smtps"
        } else {
            "smtp"
        };
        let user = self
            .user
            .as_ref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let tls = if self.security == Security::None {
            "?tls=none"
        } else {
            ""
        };
        write!(f, "{scheme}://{user}{}:{}{tls}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_ports_and_users() {
        let u: SmtpUrl = "smtp://news%40x@mail.example:2525".parse().unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.security, u.user.as_deref()),
            ("mail.example", 2525, Security::StartTls, Some("news@x"))
        );
        let u: SmtpUrl = "smtps://mail.example".parse().unwrap();
        assert_eq!((u.port, u.security), (465, Security::Implicit));
        let u: SmtpUrl = "smtp://127.0.0.1:25?tls=none".parse().unwrap();
        assert_eq!(u.security, Security::None);
        assert_eq!(u.to_string(), "smtp://127.0.0.1:25?tls=none");
    }

    #[test]
    fn a_password_in_the_url_is_refused_without_echoing_it() {
        let err = "smtp://u:geheim@mail.example"
            .parse::<SmtpUrl>()
            .unwrap_err();
        assert_eq!(err, UrlError::Password);
        assert!(!err.to_string().contains("geheim"), "{err}");
        assert!("http://mail.example".parse::<SmtpUrl>().is_err());
        assert!("smtp://mail.example?tls=maybe".parse::<SmtpUrl>().is_err());
    }
}
