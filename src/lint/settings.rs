//! Rules on the newsletter's settings: a way to unsubscribe, links over https, DKIM that
//! aligns with the From domain.

use crate::diagnostic::{Finding, Location};
use crate::edition::Edition;
use crate::edition::alignment::{Misaligned, aligned};

/// Every rule of this file.
pub(super) fn check(edition: &Edition, out: &mut Vec<Finding>) {
    unsubscribe(edition, out);
    https(edition, out);
    dkim(edition, out);
    greeting(edition, out);
}

/// A way to unsubscribe, and a link that does not give the address away.
fn unsubscribe(edition: &Edition, out: &mut Vec<Finding>) {
    let unsubscribe = &edition.newsletter.unsubscribe;
    if unsubscribe.url.is_none() && unsubscribe.mailto.is_none() {
        let message = "no unsubscribe configured: set `unsubscribe.url` and/or `unsubscribe.mailto` in newsletter.toml";
        let at = Location::new(&edition.newsletter_file, 0..0);
        out.push(Finding::error("unsubscribe-missing", message).at(at));
    }
    if let Some(url) = &unsubscribe.url
        && url.has_email()
        && !url.has_token()
    {
        let message = "the unsubscribe URL shows the address: anyone could unsubscribe anyone, and spam filters flag addresses in links; use `{token}`";
        out.push(
            Finding::warning("unsubscribe-no-token", message)
                .at(Location::new(&edition.newsletter_file, 0..0)),
        );
    }
}

/// The links that lead to the newsletter's own site use https.
fn https(edition: &Edition, out: &mut Vec<Finding>) {
    let newsletter = &edition.newsletter;
    if !newsletter.web_base_url.get_ref().is_https() {
        let message = "`web-base-url` does not use https";
        out.push(
            Finding::warning("link-not-https", message)
                .at(edition.at_settings(&newsletter.web_base_url)),
        );
    }
}

/// DKIM is configured, and its domain aligns with the From domain (DMARC).
fn dkim(edition: &Edition, out: &mut Vec<Finding>) {
    let newsletter = &edition.newsletter;
    let Some(dkim) = &newsletter.dkim else {
        let message = "DKIM is not configured: Gmail, Yahoo and Microsoft junk or refuse bulk mail without it; add `[dkim]` to newsletter.toml";
        let at = Location::new(&edition.newsletter_file, 0..0);
        out.push(Finding::warning("dkim-missing", message).at(at));
        return;
    };
    let from = newsletter.from.email.get_ref().domain();
    let signing = dkim.domain.get_ref().as_str();
    let why = match aligned(from, signing, dkim.alignment) {
        Ok(()) => None,
        Err(Misaligned::PublicSuffix) => Some(format!(
            "the DKIM domain `{signing}` is a public suffix, which no one can sign for: \
             DMARC fails; use the From domain `{from}` or your own domain above it"
        )),
        Err(Misaligned::Organization {
            from: from_org,
            signing: signing_org,
        }) => Some(format!(
            "the DKIM domain `{signing}` (organization `{signing_org}`) does not align \
             with the From domain `{from}` (organization `{from_org}`): DMARC fails; \
             sign with `{from}` or a domain under `{from_org}`"
        )),
        Err(Misaligned::NotIdentical) => Some(format!(
            "with `alignment = \"strict\"` the DKIM domain `{signing}` must be the From \
             domain `{from}`: DMARC fails"
        )),
    };
    if let Some(message) = why {
        out.push(Finding::error("dkim-not-aligned", message).at(edition.at_settings(&dkim.domain)));
    }
}

/// The greeting names the reader.
fn greeting(edition: &Edition, out: &mut Vec<Finding>) {
    let Some(greeting) = &edition.newsletter.greeting else {
        return;
    };
    if let Some(message) = crate::personal::greeting_problem(greeting.text.get_ref()) {
        let at = edition.at_settings(&greeting.text);
        out.push(Finding::warning("greeting-no-name", message).at(at));
    }
}
