//! The signup form and its confirmation (double opt-in), served beside the unsubscribe links
//! by `courant serve-public`.
//!
//! The form's POST always gets the same page, whether the address is new, pending, active or
//! suppressed, so that no one learns who is on the list; a hidden field that people leave
//! empty catches most robots. A new or pending address gets one confirmation mail (at most 3
//! per address a day), holding nothing the form was sent but the link. The link's GET shows a
//! button and changes nothing (mail scanners open links); its POST confirms.

use std::net::{IpAddr, SocketAddr};

use axum::http::StatusCode;
use maud::{Markup, html};

use super::limit::Limiter;
use super::outbox::Outbox;
use super::welcome::Welcome;
use crate::edition::value::EmailAddr;
use crate::edition::{IpRecord, Signup};
use crate::ledger::{self, Consent, Ledger, Requested};
use crate::render::strings::{SignupWords, signup_words};
use crate::term::Term;
use crate::unsubscribe::{Purpose, TokenKey, TokenProblem};

/// Confirmation mails per address per 24 hours.
pub const MAILS_PER_DAY: u32 = 3;

/// What the signup pages need.
pub struct SignupService {
    pub list_id: String,
    pub outbox: Outbox,
    pub words: &'static SignupWords,
    /// The form's path, and the confirmation links' path before the token.
    pub form_path: String,
    pub confirm_prefix: String,
    pub confirm_url: crate::edition::value::TokenUrl,
    pub consent: String,
    pub privacy_url: Option<String>,
    /// Where a POST from another origin is sent on (303), and this form's own origin.
    pub thank_you: Option<String>,
    pub origin: String,
    pub expires: i64,
    pub ip: IpRecord,
    proxies: Vec<IpAddr>,
    limiter: Limiter,
    /// The edition each confirmed reader gets (`[signup] welcome`).
    pub welcome: Option<Welcome>,
}

/// The client's address: the connection's, or, when that is a configured proxy, the last
/// address in `X-Forwarded-For` that is not one of the proxies.
pub fn client_ip(peer: IpAddr, forwarded: Option<&str>, proxies: &[IpAddr]) -> IpAddr {
    if !proxies.contains(&peer) {
        return peer;
    }
    let hops = forwarded.unwrap_or("").split(',').rev();
    hops.filter_map(|h| h.trim().parse::<IpAddr>().ok())
        .find(|ip| !proxies.contains(ip))
        .unwrap_or(peer)
}

impl SignupService {
    pub fn new(
        newsletter: &crate::edition::Newsletter,
        signup: &Signup,
        outbox: Outbox,
    ) -> SignupService {
        let path = |url: &str| {
            url::Url::parse(url).map_or_else(|_| "/".to_owned(), |u| u.path().to_owned())
        };
        SignupService {
            list_id: newsletter.list_id.as_str().to_owned(),
            outbox,
            words: signup_words(newsletter.language),
            form_path: path(signup.url.get_ref().as_str()),
            confirm_prefix: signup.confirm_url.get_ref().path_prefix(),
            confirm_url: signup.confirm_url.get_ref().clone(),
            consent: signup.consent.get_ref().trim().to_owned(),
            privacy_url: signup
                .privacy_url
                .as_ref()
                .map(|u| u.get_ref().as_str().to_owned()),
            thank_you: signup
                .thank_you
                .as_ref()
                .map(|u| u.get_ref().as_str().to_owned()),
            origin: url::Url::parse(signup.url.get_ref().as_str())
                .map_or_else(|_| String::new(), |u| u.origin().ascii_serialization()),
            expires: signup.expires.0.as_secs() as i64,
            ip: signup.ip,
            proxies: signup.proxies.clone(),
            limiter: Limiter::new(signup.per_ip),
            welcome: None,
        }
    }

    /// The form.
    pub fn form(&self) -> (StatusCode, &'static str, Markup) {
        let w = self.words;
        let body = html! {
            form method="post" {
                p {
                    label for="email" { (w.email) }
                    br;
                    input #email type="email" name="email" required autocomplete="email" size="30";
                }
                p {
                    label for="name" { (w.name) " " (w.optional) }
                    br;
                    input #name type="text" name="name" autocomplete="name" size="30";
                }
                // People leave this empty; robots fill in every field.
                p.hp aria-hidden="true" {
                    label for="website" { "Website" }
                    input #website type="text" name="website" tabindex="-1" autocomplete="off";
                }
                p.consent { (self.consent) }
                @if let Some(privacy) = &self.privacy_url {
                    p { a href=(privacy) { (w.privacy) } }
                }
                p { button type="submit" { (w.button) } }
            }
        };
        (StatusCode::OK, w.title, body)
    }

    /// The client of a request from `peer` with `X-Forwarded-For: forwarded`.
    pub fn client(&self, peer: Option<SocketAddr>, forwarded: Option<&str>) -> Option<IpAddr> {
        peer.map(|p| client_ip(p.ip(), forwarded, &self.proxies))
    }

    /// A POST of the form: the same answer for every address; the mail when the ledger says.
    pub async fn submit(
        &self,
        ledger: &std::sync::Mutex<Ledger>,
        key: &TokenKey,
        form: &[u8],
        client: Option<IpAddr>,
        term: &Term,
    ) -> (StatusCode, &'static str, Markup) {
        let w = self.words;
        let answer = (StatusCode::OK, w.sent_title, html! { p { (w.sent) } });
        if !self.limiter.allow(client, ledger::now()) {
            tracing::debug!("signup: nothing done, the client's per-IP limit is reached");
            return answer;
        }
        let fields: Vec<(String, String)> =
            url::form_urlencoded::parse(form).into_owned().collect();
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if field("website").is_some() {
            tracing::debug!("signup: nothing done, the hidden field was filled in (a robot)");
            return answer;
        }
        let Some(address) = field("email").and_then(|a| a.parse::<EmailAddr>().ok()) else {
            tracing::debug!("signup: nothing done, no valid address in the form");
            return answer;
        };
        let name = field("name").filter(|n| crate::edition::value::check_header_text(n).is_ok());
        let requested = ledger.lock().map_err(|_| ()).and_then(|l| {
            l.request_signup(
                &self.list_id,
                address.as_str(),
                name.as_deref(),
                ledger::now(),
                MAILS_PER_DAY,
            )
            .map_err(|e| term.error(&e.into()))
        });
        let said = match requested {
            Ok(Requested::Mail) => "a confirmation mail goes out",
            Ok(Requested::Quiet) => "no mail: active, or the day's mails sent",
            Err(()) => "the ledger failed",
        };
        tracing::info!("signup asked for: {said}");
        if requested == Ok(Requested::Mail) {
            let token = key.purpose_token(
                Purpose::Confirm,
                address.as_str(),
                ledger::now() + self.expires,
            );
            self.send_later(&address, &token, term);
        }
        answer
    }

    /// Where to send a reader whose POST came from `origin` (the `Origin` header) to this
    /// `host` (the `Host` header): the thank-you page when it came from another site (neither
    /// the form's public origin nor this host) and one is set.
    pub fn redirect(&self, origin: Option<&str>, host: Option<&str>) -> Option<&str> {
        let here = |o: &str| {
            o == self.origin
                || o == "null"
                || host.is_some_and(|h| o.split_once("://").is_some_and(|(_, rest)| rest == h))
        };
        let other = origin.is_some_and(|o| !here(o));
        self.thank_you.as_deref().filter(|_| other)
    }

    /// Sends the confirmation mail after the answer: how long the answer takes must not tell a
    /// new address from an active one. It holds the link and what to do if it was not them;
    /// nothing the form was sent (a name could be someone's abuse).
    fn send_later(&self, address: &EmailAddr, token: &str, term: &Term) {
        let w = self.words;
        let link = self.confirm_url.fill(token);
        let body = format!("{}\n\n{link}\n\n{}", w.mail_body, w.mail_ignore);
        let message = self.outbox.plain(address, w.mail_subject, &body);
        (self.outbox).send_later(address, message, "signup: the confirmation mail", term);
    }

    /// Sends the welcome edition, if there is one, to the reader who just confirmed.
    fn welcome(&self, ledger: &std::sync::Mutex<Ledger>, address: &str, term: &Term) {
        let Some(welcome) = &self.welcome else { return };
        let member = ledger.lock().map_err(|_| ()).and_then(|l| {
            l.member(&self.list_id, address)
                .map_err(|e| term.error(&e.into()))
        });
        let Ok(Some(member)) = member else { return };
        let Ok(to) = member.address.parse::<EmailAddr>() else {
            return;
        };
        tracing::info!("signup: the welcome edition goes out");
        let message = welcome.message(&member);
        (self.outbox).send_later_from(&to, message, "signup: the welcome mail", term);
    }

    /// The confirmation link: GET shows the button, POST confirms. A forged, expired or
    /// wrong-purpose token gets 400 and changes nothing.
    pub fn confirm(
        &self,
        ledger: &std::sync::Mutex<Ledger>,
        key: &TokenKey,
        token: &str,
        post: bool,
        client: Option<IpAddr>,
        term: &Term,
    ) -> (StatusCode, &'static str, Markup) {
        let w = self.words;
        let address = match key.verify_purpose(token, Purpose::Confirm, ledger::now()) {
            Ok(address) => address,
            Err(TokenProblem::Expired) => {
                return (
                    StatusCode::BAD_REQUEST,
                    w.invalid_title,
                    html! { p { (w.expired) } },
                );
            }
            Err(_) => {
                return (
                    StatusCode::BAD_REQUEST,
                    w.invalid_title,
                    html! { p { (w.invalid) } },
                );
            }
        };
        if !post {
            let body = html! {
                p { (w.confirm) " " strong { (address) } "?" }
                form method="post" { button type="submit" { (w.confirm_button) } }
            };
            return (StatusCode::OK, w.confirm_title, body);
        }
        self.confirmed(ledger, key, &address, client, term)
    }

    /// The button of the link pressed: the reader becomes active, their consent recorded.
    fn confirmed(
        &self,
        ledger: &std::sync::Mutex<Ledger>,
        key: &TokenKey,
        address: &str,
        client: Option<IpAddr>,
        term: &Term,
    ) -> (StatusCode, &'static str, Markup) {
        let w = self.words;
        let consent = Consent {
            at: ledger::now(),
            method: "signup".into(),
            detail: "signup form, confirmed by the link in the mail".into(),
            actor: None,
            text_hash: None,
            text: Some(self.consent.clone()),
            ip: client.and_then(|ip| self.ip.keep(ip)),
        };
        let confirmed = ledger.lock().map_err(|_| ()).and_then(|l| {
            l.confirm_signup(&self.list_id, address, &consent, &key.erased(address))
                .map_err(|e| term.error(&e.into()))
        });
        match confirmed {
            Ok(true) => {
                tracing::info!("signup confirmed: a reader is active, their consent recorded");
                self.welcome(ledger, address, term);
                (StatusCode::OK, w.done_title, html! { p { (w.done) } })
            }
            Ok(false) => (
                StatusCode::BAD_REQUEST,
                w.invalid_title,
                html! { p { (w.invalid) } },
            ),
            Err(()) => (
                StatusCode::SERVICE_UNAVAILABLE,
                w.invalid_title,
                html! { p { (w.expired) } },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::client_ip;
    use std::net::IpAddr;

    #[test]
    fn forwarded_for_is_believed_from_the_configured_proxies_only() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxies = [ip("10.0.0.1")];
        let chain = Some("198.51.100.7, 203.0.113.9");
        assert_eq!(
            client_ip(ip("10.0.0.1"), chain, &proxies),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("192.0.2.4"), chain, &proxies),
            ip("192.0.2.4"),
            "not a proxy"
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), Some("garbage, 10.0.0.1"), &proxies),
            ip("10.0.0.1")
        );
        assert_eq!(client_ip(ip("10.0.0.1"), None, &proxies), ip("10.0.0.1"));
    }
}
