//! The reader's own page (`[manage]`), linked from the footer of every message: their name and
//! the fields they may change, another address (confirmed by a link sent there; the old one
//! is told), their data as JSON, unsubscribing, and erasing everything (after a second POST).
//!
//! The link's token is signed for this one purpose and one address: it shows that reader's
//! data and no one else's. GET only shows; every change is a POST of one of the page's forms.

use std::net::IpAddr;
use std::sync::Mutex;

use axum::http::StatusCode;
use maud::{Markup, html};

use super::limit::Limiter;
use super::outbox::Outbox;
use crate::edition::value::{EmailAddr, TokenUrl};
use crate::ledger::{self, Change, Consent, Ledger, LedgerError, ListStatus, Member};
use crate::render::strings::{ManageWords, manage_words};
use crate::term::Term;
use crate::unsubscribe::{Purpose, TokenKey, TokenProblem};

/// How long the link that confirms a new address works.
const MOVE_EXPIRES: i64 = 7 * 86_400;
/// The longest name or field value a reader may write.
const MAX_VALUE: usize = 200;

/// What the page answers: a page, or the reader's data as a file to download.
pub enum Answer {
    Page(StatusCode, &'static str, Markup),
    File { name: String, body: Vec<u8> },
}

/// A request to the page: the token in its path, and for a POST the form.
pub struct Request<'a> {
    pub token: &'a str,
    pub post: bool,
    pub form: &'a [u8],
    pub client: Option<IpAddr>,
}

/// What the manage page needs.
pub struct ManageService {
    list_id: String,
    words: &'static ManageWords,
    /// The page's path before the token, e.g. `/beheer/`.
    pub prefix: String,
    /// The page's public origin, `https://nieuwsbrief.example.nl`: POSTs come from there.
    pub origin: String,
    url: TokenUrl,
    fields: Vec<String>,
    outbox: Outbox,
    limiter: Limiter,
    proxies: Vec<IpAddr>,
}

type Form = Vec<(String, String)>;

fn get<'f>(form: &'f Form, name: &str) -> Option<&'f str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim())
}

/// A name or field value as written, `None` when it is too long or holds line breaks;
/// empty means none.
fn clean(value: Option<&str>) -> Option<Option<String>> {
    let value = value.unwrap_or("").trim();
    let bad = value.chars().count() > MAX_VALUE || value.chars().any(char::is_control);
    (!bad).then(|| (!value.is_empty()).then(|| value.to_owned()))
}

/// `regio` → `Regio`.
fn label(field: &str) -> String {
    let mut chars = field.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

impl ManageService {
    pub fn new(
        newsletter: &crate::edition::Newsletter,
        manage: &crate::edition::Manage,
        outbox: Outbox,
        signup: Option<&crate::edition::Signup>,
    ) -> ManageService {
        let per_ip = signup.map_or(20, |s| s.per_ip);
        ManageService {
            list_id: newsletter.list_id.as_str().to_owned(),
            words: manage_words(newsletter.language),
            prefix: manage.url.get_ref().path_prefix(),
            origin: manage.url.get_ref().origin(),
            url: manage.url.get_ref().clone(),
            fields: manage.field_names(),
            outbox,
            limiter: Limiter::new(per_ip),
            proxies: signup.map(|s| s.proxies.clone()).unwrap_or_default(),
        }
    }

    /// The client of a request from `peer` with `X-Forwarded-For: forwarded`, as the signup
    /// form believes it.
    pub fn client(&self, peer: IpAddr, forwarded: Option<&str>) -> IpAddr {
        super::signup::client_ip(peer, forwarded, &self.proxies)
    }

    /// The page of the reader the token names; a forged, expired or wrong-purpose token gets
    /// 400 and changes nothing, a test message's token a page that says so.
    pub fn answer(
        &self,
        ledger: &Mutex<Ledger>,
        key: &TokenKey,
        request: &Request<'_>,
        term: &Term,
    ) -> Answer {
        let w = self.words;
        if key.verify_test(request.token).is_some() {
            return Answer::Page(StatusCode::OK, w.test_title, html! { p { (w.test) } });
        }
        let desk = Desk {
            service: self,
            ledger,
            key,
            term,
        };
        let now = ledger::now();
        match key.verify_purpose(request.token, Purpose::Manage, now) {
            Ok(address) if request.post => desk.act(&address, request),
            Ok(address) => desk.show(&address, None),
            Err(TokenProblem::WrongPurpose) => {
                match key.verify_purpose(request.token, Purpose::Move, now) {
                    Ok(pair) => desk.moving(&pair, request.post),
                    Err(problem) => self.refused(problem),
                }
            }
            Err(problem) => self.refused(problem),
        }
    }

    fn refused(&self, problem: TokenProblem) -> Answer {
        let w = self.words;
        let why = match problem {
            TokenProblem::Expired => w.expired,
            _ => w.invalid,
        };
        Answer::Page(
            StatusCode::BAD_REQUEST,
            w.invalid_title,
            html! { p { (why) } },
        )
    }

    /// The page's body for `address`, which `member` is on the list (or not).
    fn body(&self, address: &str, member: Option<&Member>) -> Markup {
        let w = self.words;
        let status = member.map(|m| m.status);
        let said = match status {
            Some(ListStatus::Active) => w.active,
            Some(ListStatus::Unsubscribed) => w.unsubscribed,
            Some(ListStatus::Pending) => w.pending,
            None => w.unknown,
        };
        let active = member.filter(|m| m.status == ListStatus::Active);
        html! {
            p { (said) " " strong { (address) } "." }
            p { (w.private) }
            @if let Some(member) = active { (self.details(member)) }
            @if status != Some(ListStatus::Unsubscribed) {
                h2 { (w.unsubscribe) }
                (action_form("unsubscribe", w.unsubscribe_button))
            }
            h2 { (w.data) }
            p { (w.data_text) }
            (action_form("download", w.data_button))
            h2 { (w.delete) }
            p { (w.delete_text) }
            (action_form("delete", w.delete_button))
        }
    }

    /// The forms that change an active reader's details and address.
    fn details(&self, member: &Member) -> Markup {
        let w = self.words;
        html! {
            h2 { (w.details) }
            form method="post" {
                input type="hidden" name="action" value="save";
                p {
                    label for="name" { (w.name) }
                    br;
                    input #name type="text" name="name" autocomplete="name" size="30"
                        maxlength=(MAX_VALUE) value=(member.name.as_deref().unwrap_or(""));
                }
                @for field in &self.fields {
                    p {
                        label for=(format!("f-{field}")) { (label(field)) }
                        br;
                        input id=(format!("f-{field}")) type="text" name=(format!("f.{field}"))
                            size="30" maxlength=(MAX_VALUE)
                            value=(member.fields.get(field).unwrap_or(""));
                    }
                }
                p { button type="submit" { (w.save) } }
            }
            h2 { (w.address) }
            form method="post" {
                input type="hidden" name="action" value="move";
                p {
                    label for="email" { (w.new_address) }
                    br;
                    input #email type="email" name="email" required autocomplete="email" size="30";
                }
                p { button type="submit" { (w.move_button) } }
            }
        }
    }
}

/// A form of one button that posts `action`.
fn action_form(action: &str, button: &str) -> Markup {
    html! {
        form method="post" {
            input type="hidden" name="action" value=(action);
            p { button type="submit" { (button) } }
        }
    }
}

/// One request's work: the service, the ledger, the key and where errors go.
struct Desk<'a> {
    service: &'a ManageService,
    ledger: &'a Mutex<Ledger>,
    key: &'a TokenKey,
    term: &'a Term,
}

impl Desk<'_> {
    /// `f` on the ledger; an error is reported (without the reader's address) and is `Err`.
    fn with<T>(&self, f: impl FnOnce(&Ledger) -> Result<T, LedgerError>) -> Result<T, ()> {
        let ledger = self.ledger.lock().map_err(|_| ())?;
        f(&ledger).map_err(|e| self.term.error(&e.into()))
    }

    fn failed(&self) -> Answer {
        let w = self.service.words;
        let body = html! { p { (w.failed) } };
        Answer::Page(StatusCode::SERVICE_UNAVAILABLE, w.title, body)
    }

    /// The page, with `notice` above it when a POST has something to say.
    fn show(&self, address: &str, notice: Option<&str>) -> Answer {
        let service = self.service;
        let Ok(member) = self.with(|l| l.member(&service.list_id, address)) else {
            return self.failed();
        };
        let body = html! {
            @if let Some(notice) = notice { p.notice role="status" { (notice) } }
            (service.body(address, member.as_ref()))
        };
        Answer::Page(StatusCode::OK, service.words.title, body)
    }

    /// A POST of one of the page's forms.
    fn act(&self, address: &str, request: &Request<'_>) -> Answer {
        let w = self.service.words;
        let form: Form = url::form_urlencoded::parse(request.form)
            .into_owned()
            .collect();
        match get(&form, "action") {
            Some("save") => self.save(address, &form),
            Some("move") => self.ask_move(address, get(&form, "email"), request.client),
            Some("download") => self.download(address),
            Some("unsubscribe") => self.unsubscribe(address),
            Some("delete") => {
                let body = html! {
                    p { (w.delete_confirm) " " strong { (address) } }
                    (action_form("erase", w.delete_confirm_button))
                };
                Answer::Page(StatusCode::OK, w.delete_confirm_title, body)
            }
            Some("erase") => self.erase(address),
            _ => self.show(address, None),
        }
    }

    /// Writes the reader's name and the fields they may change.
    fn save(&self, address: &str, form: &Form) -> Answer {
        let (service, w) = (self.service, self.service.words);
        let Ok(member) = self.with(|l| l.member(&service.list_id, address)) else {
            return self.failed();
        };
        let Some(mut member) = member.filter(|m| m.status == ListStatus::Active) else {
            return self.show(address, None);
        };
        let Some(name) = clean(get(form, "name")) else {
            return self.show(address, Some(w.too_long));
        };
        member.name = name;
        for field in &service.fields {
            match clean(get(form, &format!("f.{field}"))) {
                Some(Some(value)) => member.fields.insert(field.clone(), value),
                Some(None) => member.fields.remove(field),
                None => return self.show(address, Some(w.too_long)),
            }
        }
        let consent = Consent {
            at: ledger::now(),
            method: "reader".into(),
            detail: "the manage page".into(),
            actor: None,
            text_hash: None,
            text: None,
            ip: None,
        };
        let erased = |a: &str| self.key.erased(a);
        let entry = [member.entry()];
        match self.with(|l| l.write_members(&service.list_id, &entry, &consent, &erased)) {
            Ok(changes) if !matches!(changes.first(), Some(Change::Refused(_))) => {
                tracing::info!("manage: a reader's details saved");
                self.show(address, Some(w.saved))
            }
            Ok(_) => self.show(address, None),
            Err(()) => self.failed(),
        }
    }

    /// Sends the link that moves the subscription to `new`, there.
    fn ask_move(&self, address: &str, new: Option<&str>, client: Option<IpAddr>) -> Answer {
        let (service, w) = (self.service, self.service.words);
        let Some(new) = new.and_then(|n| n.parse::<EmailAddr>().ok()) else {
            return self.show(address, Some(w.move_invalid));
        };
        if ledger::key(new.as_str()) == ledger::key(address) {
            return self.show(address, Some(w.move_same));
        }
        let sent = Answer::Page(
            StatusCode::OK,
            w.move_sent_title,
            html! { p { (w.move_sent) } },
        );
        if !service.limiter.allow(client, ledger::now()) {
            return sent;
        }
        let pair = format!("{address}\n{}", new.as_str());
        let token = (self.key).purpose_token(Purpose::Move, &pair, ledger::now() + MOVE_EXPIRES);
        let link = service.url.fill(&token);
        let body = format!("{}\n\n{link}\n\n{}", w.move_mail_body, w.move_mail_ignore);
        let message = service.outbox.plain(&new, w.move_mail_subject, &body);
        let what = "manage: the new address's confirmation mail";
        tracing::info!("manage: a change of address asked for; a confirmation mail goes out");
        service.outbox.send_later(&new, message, what, self.term);
        sent
    }

    /// The link sent to a new address: GET asks, POST moves the subscription there and tells
    /// the old address.
    fn moving(&self, pair: &str, post: bool) -> Answer {
        let (service, w) = (self.service, self.service.words);
        let Some((old, new)) = pair.split_once('\n') else {
            return service.refused(TokenProblem::Forged);
        };
        if !post {
            let (before, after) = w.move_confirm;
            let body = html! {
                p { (before) " " strong { (new) } " " (after) " " strong { (old) } "?" }
                form method="post" { p { button type="submit" { (w.move_confirm_button) } } }
            };
            return Answer::Page(StatusCode::OK, w.move_confirm_title, body);
        }
        let consent = Consent {
            at: ledger::now(),
            method: "address-change".into(),
            detail: "the manage page; confirmed by the link sent to the new address".into(),
            actor: None,
            text_hash: None,
            text: None,
            ip: None,
        };
        let erased = self.key.erased(new);
        match self.with(|l| l.move_member(&service.list_id, old, new, &consent, &erased)) {
            Ok(true) => {
                tracing::info!("manage: a subscription moved to a confirmed new address");
                self.tell_old(old, new);
                Answer::Page(StatusCode::OK, w.moved_title, html! { p { (w.moved) } })
            }
            Ok(false) => Answer::Page(
                StatusCode::OK,
                w.move_confirm_title,
                html! { p { (w.move_gone) } },
            ),
            Err(()) => self.failed(),
        }
    }

    fn tell_old(&self, old: &str, new: &str) {
        let (service, w) = (self.service, self.service.words);
        let Ok(old) = old.parse::<EmailAddr>() else {
            return;
        };
        let (before, after) = w.moved_mail_body;
        let body = format!("{before} {new} {after}");
        let message = service.outbox.plain(&old, w.moved_mail_subject, &body);
        let what = "manage: the notice to the old address";
        service.outbox.send_later(&old, message, what, self.term);
    }

    /// Everything the ledger holds about the reader, as `person export` gives it.
    fn download(&self, address: &str) -> Answer {
        let Ok(person) = self.with(|l| l.person(address)) else {
            return self.failed();
        };
        let body = serde_json::to_vec_pretty(&person).unwrap_or_default();
        tracing::info!("manage: a reader downloaded their data");
        let name = format!("{}.json", self.service.list_id);
        Answer::File { name, body }
    }

    fn unsubscribe(&self, address: &str) -> Answer {
        let (service, w) = (self.service, self.service.words);
        let now = ledger::now();
        let done = self.with(|l| {
            if !l.unsubscribe_member(&service.list_id, address, "manage", now)? {
                l.suppress(address, "manage", now)?;
            }
            Ok(())
        });
        match done {
            Ok(()) => {
                tracing::info!("manage: a reader unsubscribed");
                let body = html! { p { (w.unsubscribed_done) } };
                Answer::Page(StatusCode::OK, w.unsubscribed_title, body)
            }
            Err(()) => self.failed(),
        }
    }

    /// `person erase` for the reader: every row, and a keyed hash among the suppressions.
    fn erase(&self, address: &str) -> Answer {
        let w = self.service.words;
        let hashed = self.key.erased(address);
        match self.with(|l| l.erase(address, &hashed).map(drop)) {
            Ok(()) => {
                tracing::info!("manage: a reader erased everything about them");
                Answer::Page(StatusCode::OK, w.deleted_title, html! { p { (w.deleted) } })
            }
            Err(()) => self.failed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{clean, label};

    #[test]
    fn a_value_is_kept_as_written_unless_it_is_too_long_or_has_line_breaks() {
        assert_eq!(clean(Some("  Anne ")), Some(Some("Anne".to_owned())));
        assert_eq!(clean(Some("")), Some(None));
        assert_eq!(clean(None), Some(None));
        assert_eq!(clean(Some("a\nb")), None);
        assert_eq!(clean(Some(&"é".repeat(201))), None);
        assert_eq!(
            clean(Some(&"é".repeat(200))).map(|v| v.is_some()),
            Some(true)
        );
        assert_eq!(label("regio"), "Regio");
    }
}
