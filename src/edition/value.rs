//! Validated scalar values of the input files. Each one checks itself while the TOML is read,
//! so the TOML parser reports a bad value with its file, line and column.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// Why a value is not valid: the message names the value and says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(String);

impl ValueError {
    pub fn new(message: impl Into<String>) -> ValueError {
        ValueError(message.into())
    }
}

/// Free text that goes into a mail header: no CR, LF or other control character, ever.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HeaderText(String);

impl TryFrom<String> for HeaderText {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        check_header_text(&s)?;
        Ok(HeaderText(s))
    }
}

/// Rejects what would break a header apart or hide in it: CR, LF and other control characters.
pub fn check_header_text(s: &str) -> Result<(), ValueError> {
    // U+2028 and U+2029 are line and paragraph separators: not control characters, but
    // clients and scripts break lines at them.
    let breaks = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    match s.chars().find(|&c| breaks(c)) {
        Some('\r' | '\n' | '\u{2028}' | '\u{2029}') => Err(ValueError::new(
            "line break in a header value; it must be one line",
        )),
        Some(c) => Err(ValueError::new(format!(
            "control character U+{:04X} in a header value",
            c as u32
        ))),
        None => Ok(()),
    }
}

impl HeaderText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HeaderText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address (`local@domain`), checked against RFC 5322's addr-spec.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct EmailAddr(String);

impl TryFrom<String> for EmailAddr {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        s.parse()
    }
}

impl FromStr for EmailAddr {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        check_header_text(s)?;
        let trimmed = s.trim();
        if trimmed.starts_with('"') {
            return Err(ValueError::new(format!(
                "the quoted local part of `{trimmed}` is not supported: few mail servers take one; ask the reader for an address without quotes"
            )));
        }
        let valid = email_address::EmailAddress::parse_with_options(
            trimmed,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal(),
        );
        match valid {
            Ok(_) if trimmed.parse::<lettre::Address>().is_ok() => {
                Ok(EmailAddr(trimmed.to_owned()))
            }
            Ok(_) => Err(ValueError::new(format!(
                "invalid email address `{trimmed}`"
            ))),
            Err(e) => Err(ValueError::new(format!(
                "invalid email address `{trimmed}`: {}",
                sentence_to_clause(&e.to_string())
            ))),
        }
    }
}

/// `Domain is empty.` → `domain is empty`, to fit our messages.
fn sentence_to_clause(s: &str) -> String {
    let s = s.trim_end_matches('.');
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

impl EmailAddr {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// The address as it goes into the envelope and the `To` header: an internationalized
    /// domain as its A-label (`jan@xn--bcher-kva.example`), so that only a local part with
    /// non-ASCII letters needs SMTPUTF8 (RFC 6531), and that local part in NFC, as RFC 6532
    /// asks (a name typed on a Mac arrives decomposed).
    pub fn to_address(&self) -> lettre::Address {
        use unicode_normalization::UnicodeNormalization;
        let (user, domain) = self.0.rsplit_once('@').expect("checked when read");
        let ascii = idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_owned());
        let user: String = user.nfc().collect();
        lettre::Address::new(user, ascii).expect("checked when the address was read")
    }

    /// Whether the local part has letters beyond ASCII: sending needs SMTPUTF8.
    pub fn needs_smtputf8(&self) -> bool {
        !self
            .0
            .rsplit_once('@')
            .is_some_and(|(user, _)| user.is_ascii())
    }
}

impl fmt::Display for EmailAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An absolute `http`, `https`, `mailto` or `tel` URL (a municipality gives its phone number).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LinkUrl(url::Url);

impl TryFrom<String> for LinkUrl {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        let url = parse_url(&s)?;
        match url.scheme() {
            "http" | "https" | "mailto" | "tel" => Ok(LinkUrl(url)),
            other => Err(ValueError::new(format!(
                "unsupported URL scheme `{other}`; expected `https`, `http`, `mailto` or `tel`"
            ))),
        }
    }
}

impl LinkUrl {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn scheme(&self) -> &str {
        self.0.scheme()
    }
}

fn parse_url(s: &str) -> Result<url::Url, ValueError> {
    check_header_text(s)?;
    url::Url::parse(s).map_err(|e| match e {
        // `example.org/x`: the scheme was left out; `htps//…`: it was mistyped.
        url::ParseError::RelativeUrlWithoutBase if !s.contains("//") && !s.contains(':') => {
            ValueError::new(format!(
                "`{s}` has no scheme; write the whole address: `https://{s}`"
            ))
        }
        url::ParseError::RelativeUrlWithoutBase => ValueError::new(format!(
            "`{s}` is not a whole address: it must start with a scheme such as `https://`"
        )),
        e => ValueError::new(format!("invalid URL `{s}`: {e}")),
    })
}

/// An absolute `https` (or `http`) URL under which a folder lives; always ends with `/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct BaseUrl(url::Url);

impl TryFrom<String> for BaseUrl {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        let with_slash = if s.ends_with('/') { s } else { format!("{s}/") };
        let url = parse_url(&with_slash)?;
        if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
            return Err(ValueError::new(format!(
                "invalid base URL `{url}`; expected an https URL of a folder"
            )));
        }
        Ok(BaseUrl(url))
    }
}

impl BaseUrl {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `relative` resolved against the base, e.g. `2022-12/` → `https://…/2022-12/`.
    pub fn join(&self, relative: &str) -> String {
        self.0
            .join(relative)
            .map_or_else(|_| format!("{}{relative}", self.0), String::from)
    }

    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }
}

/// The unsubscribe URL with an `{email}` placeholder for the subscriber's address.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct UrlTemplate(String);

impl TryFrom<String> for UrlTemplate {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        let url = parse_url(&crate::personal::without_placeholders(&s))?;
        if url.scheme() != "https" {
            return Err(ValueError::new(format!(
                "the unsubscribe URL must use https, not `{}`",
                url.scheme()
            )));
        }
        if let Some(problem) = crate::personal::unsubscribe_url_problem(&s) {
            return Err(ValueError::new(problem));
        }
        Ok(UrlTemplate(s))
    }
}

impl UrlTemplate {
    /// The URL for one subscriber: `{token}` is their signed token, `{email}` their address,
    /// percent-encoded.
    pub fn fill(&self, email: &str, token: &str) -> String {
        crate::personal::unsubscribe_url(&self.0, &encode_component(email), token)
    }

    /// Whether the URL carries a token (and so needs the secret).
    pub fn has_token(&self) -> bool {
        crate::personal::TOKEN.is_in(&self.0)
    }

    /// Whether the URL shows the address itself.
    pub fn has_email(&self) -> bool {
        crate::personal::EMAIL.is_in(&self.0)
    }
}

/// A link that finds the reader by a signed token alone (the confirmation link, the manage
/// page): `{token}` required, `{email}` refused, since an address in a URL ends up in every
/// proxy's log.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TokenUrl(UrlTemplate);

impl TryFrom<String> for TokenUrl {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        if !crate::personal::TOKEN.is_in(&s) {
            return Err(ValueError::new(
                "this URL has no `{token}` placeholder: the page knows the reader by it; \
                 write e.g. `https://nieuwsbrief.example.nl/beheer/{token}`",
            ));
        }
        if crate::personal::EMAIL.is_in(&s) {
            return Err(ValueError::new(
                "`{email}` does not belong in this URL: the token names the reader, and an \
                 address in a link ends up in proxies' logs; remove it",
            ));
        }
        UrlTemplate::try_from(s).map(TokenUrl)
    }
}

impl TokenUrl {
    /// The URL with `token` filled in.
    pub fn fill(&self, token: &str) -> String {
        self.0.fill("", token)
    }

    /// The URLs' origin, e.g. `https://nieuwsbrief.example.nl`.
    pub fn origin(&self) -> String {
        let url = url::Url::parse(&self.fill("x"));
        url.map_or_else(|_| String::new(), |u| u.origin().ascii_serialization())
    }

    /// The path the URLs share before the token, e.g. `/beheer/`.
    pub fn path_prefix(&self) -> String {
        let before = self.0.0.split(crate::personal::TOKEN.written).next();
        let url = url::Url::parse(&format!("{}x", before.unwrap_or_default()));
        url.map_or_else(
            |_| "/".to_owned(),
            |u| u.path().trim_end_matches('x').to_owned(),
        )
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
pub fn encode_component(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// A colour written `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Color(pub [u8; 3]);

impl TryFrom<String> for Color {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        let hex = s
            .strip_prefix('#')
            .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let hex = hex
            .ok_or_else(|| ValueError::new(format!("invalid colour `{s}`; expected `#rrggbb`")))?;
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("checked hex digits");
        Ok(Color([byte(0), byte(2), byte(4)]))
    }
}

impl Color {
    /// Relative luminance as defined by WCAG 2.1.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0.map(channel);
        0.2126 * r + 0.7152 * g + 0.0722 * b
    }

    /// WCAG contrast ratio between two colours, from 1 to 21.
    pub fn contrast(self, other: Color) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

/// A CSS font stack such as `Verdana, Arial, sans-serif`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct FontStack(String);

impl TryFrom<String> for FontStack {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        let allowed = |c: char| c.is_alphanumeric() || " ,-'".contains(c);
        if s.trim().is_empty() || !s.chars().all(allowed) {
            return Err(ValueError::new(format!(
                "invalid font stack `{s}`; expected font names separated by commas"
            )));
        }
        Ok(FontStack(s))
    }
}

impl FontStack {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A `List-Id` identifier (RFC 2919): a dot-atom such as `nieuwsbrief.example.nl`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ListIdent(String);

impl TryFrom<String> for ListIdent {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        let atom = |a: &str| {
            !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        };
        if s.split('.').count() < 2 || !s.split('.').all(atom) {
            return Err(ValueError::new(format!(
                "invalid list id `{s}`; expected a dotted name such as `news.example.org`"
            )));
        }
        Ok(ListIdent(s))
    }
}

impl ListIdent {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A DNS name or label, such as a DKIM selector (`nieuwsbrief2022`) or domain (`example.nl`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct DnsName(String);

impl TryFrom<String> for DnsName {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        let label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        };
        if s.split('.').all(label) {
            Ok(DnsName(s.to_ascii_lowercase()))
        } else {
            Err(ValueError::new(format!(
                "invalid DNS name `{s}`; expected letters, digits and hyphens, separated by dots"
            )))
        }
    }
}

impl DnsName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A sending rate: `10/s`, `600/min`, `3600/h` or `unlimited`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub enum Rate {
    Unlimited,
    /// Messages per second.
    PerSecond(f64),
}

impl TryFrom<String> for Rate {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        s.parse()
    }
}

impl FromStr for Rate {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        if s == "unlimited" {
            return Ok(Rate::Unlimited);
        }
        let invalid = || {
            ValueError::new(format!(
                "invalid rate `{s}`; expected e.g. `10/s`, `600/min`, `3600/h`, `1000/day` or `unlimited`"
            ))
        };
        let (count, unit) = s.split_once('/').ok_or_else(invalid)?;
        let count: f64 = count.trim().parse().map_err(|_| invalid())?;
        let seconds = match unit.trim() {
            "s" | "sec" => 1.0,
            "min" | "m" => 60.0,
            "h" | "hour" => 3600.0,
            "d" | "day" => 86_400.0,
            _ => return Err(invalid()),
        };
        if !(count.is_finite() && count > 0.0) {
            return Err(invalid());
        }
        let per_second = count / seconds;
        if per_second < 1.0 / 86_400.0 {
            return Err(ValueError::new(format!(
                "the rate `{s}` is too slow: at least one message a day (`1/day`)"
            )));
        }
        Ok(Rate::PerSecond(per_second))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Unlimited => f.write_str("unlimited"),
            Rate::PerSecond(r) if *r >= 1.0 => write!(f, "{}/s", (r * 100.0).round() / 100.0),
            Rate::PerSecond(r) => write!(f, "{}/min", (r * 6000.0).round() / 100.0),
        }
    }
}

/// A duration written like `30s`, `2m` or `1h 30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Interval(pub std::time::Duration);

impl TryFrom<String> for Interval {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        s.parse()
    }
}

impl FromStr for Interval {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        humantime::parse_duration(s.trim())
            .map(Interval)
            .map_err(|e| {
                ValueError::new(format!(
                    "invalid duration `{s}`: {e}; expected e.g. `30s` or `2m`"
                ))
            })
    }
}

/// A size in bytes written like `25 MB`, `500 KB` or `1 GB` (decimal, as providers state their
/// limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Size(pub u64);

impl TryFrom<String> for Size {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        s.parse()
    }
}

impl FromStr for Size {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        let bad = || {
            ValueError::new(format!(
                "invalid size `{s}`; expected e.g. `25 MB` or `500 KB`"
            ))
        };
        let text = s.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (number, unit) = text.split_at(split);
        let number: f64 = number.parse().map_err(|_| bad())?;
        let unit = match unit.trim().to_ascii_uppercase().as_str() {
            "B" => 1.0,
            "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            _ => return Err(bad()),
        };
        Ok(Size((number * unit) as u64))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1} MB", self.0 as f64 / 1e6)
    }
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
