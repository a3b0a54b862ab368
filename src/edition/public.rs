//! The settings of the public pages `courant serve-public` serves besides the unsubscribe
//! links: `[signup]` (the form with double opt-in) and `[manage]` (each reader's own page).

use serde::Deserialize;
use toml::Spanned;

use super::value::{Interval, LinkUrl, TokenUrl};

/// `[manage]`: the reader's own page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Manage {
    /// The page, with `{token}`: `https://nieuwsbrief.example.nl/beheer/{token}`.
    pub url: Spanned<TokenUrl>,
    /// The fields of the list readers may change themselves, e.g. `["regio"]`; their name
    /// they always may. Other fields (tags staff set) they neither see nor change.
    #[serde(default)]
    pub fields: Vec<Spanned<String>>,
    /// How long the link in a message works; default 365 days. An older message's link says
    /// so, and its unsubscribe link still works.
    #[serde(default = "Manage::expires_default")]
    pub expires: Interval,
}

impl Manage {
    fn expires_default() -> Interval {
        Interval(std::time::Duration::from_secs(365 * 86_400))
    }

    /// The fields readers may change, lowercased as the list keeps them.
    pub fn field_names(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| f.get_ref().trim().to_lowercase())
            .collect()
    }
}

/// `[signup]`: where the form and the confirmation links are, and what people agree to.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Signup {
    /// The form's public address, e.g. `https://nieuwsbrief.example.nl/aanmelden`.
    pub url: Spanned<LinkUrl>,
    /// The confirmation link, with `{token}`: `https://nieuwsbrief.example.nl/bevestigen/{token}`.
    pub confirm_url: Spanned<TokenUrl>,
    /// The exact text people agree to, shown on the form and kept with their consent.
    pub consent: Spanned<String>,
    /// The privacy statement, linked under the consent text.
    #[serde(default)]
    pub privacy_url: Option<Spanned<LinkUrl>>,
    /// Where a form posted from another site (the unit's own website) sends the reader after
    /// the POST: a thank-you page there.
    #[serde(default)]
    pub thank_you: Option<Spanned<LinkUrl>>,
    /// How long a confirmation link works; default 7 days.
    #[serde(default = "Signup::expires_default")]
    pub expires: Interval,
    /// What of the signer's IP address the consent keeps: `none`, `truncated` (default: the
    /// /24 of IPv4, the /48 of IPv6) or `full`.
    #[serde(default)]
    pub ip: IpRecord,
    /// The reverse proxies in front of `serve-public`, whose `X-Forwarded-For` is believed;
    /// from anyone else it is ignored.
    #[serde(default)]
    pub proxies: Vec<std::net::IpAddr>,
    /// Signups taken from one IP address per hour; more get the same answer and nothing is
    /// done. Default 20.
    #[serde(default = "Signup::per_ip_default")]
    pub per_ip: u32,
    /// An edition sent to each reader when their signup is confirmed, e.g. `welkom.toml`
    /// beside `newsletter.toml`.
    #[serde(default)]
    pub welcome: Option<Spanned<String>>,
}

impl Signup {
    fn per_ip_default() -> u32 {
        20
    }

    fn expires_default() -> Interval {
        Interval(std::time::Duration::from_secs(7 * 86_400))
    }
}

/// How much of an IP address a consent row keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IpRecord {
    None,
    #[default]
    Truncated,
    Full,
}

impl IpRecord {
    /// `ip` as this setting keeps it.
    pub fn keep(self, ip: std::net::IpAddr) -> Option<String> {
        use std::net::IpAddr;
        match (self, ip) {
            (IpRecord::None, _) => None,
            (IpRecord::Full, ip) => Some(ip.to_string()),
            (IpRecord::Truncated, IpAddr::V4(v4)) => {
                let [a, b, c, _] = v4.octets();
                Some(format!("{a}.{b}.{c}.0/24"))
            }
            (IpRecord::Truncated, IpAddr::V6(v6)) => {
                let s = v6.segments();
                Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
            }
        }
    }
}
