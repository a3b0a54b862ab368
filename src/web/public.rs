//! The public pages readers reach (`courant serve-public`, axum): the unsubscribe links, and
//! with `[signup]` and `[manage]` the signup form, its confirmation and the reader's own page.
//!
//! GET shows a page with a button and never unsubscribes: mail scanners open links. POST
//! unsubscribes — the page's form, or the RFC 8058 one-click POST a mail client sends with the
//! body `List-Unsubscribe=One-Click`. The token is the last segment of the path (or `?token=`);
//! a bad one gets a 400 page and changes nothing; a repeated POST is harmless.
//!
//! Every page is styled with the newsletter's theme by one stylesheet its Content-Security-
//! Policy allows by hash, and nothing else: no script, no framing, no cookie. Each request
//! leaves one log line (time, method, which page, status), never a path: a token names its
//! reader.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::http::{CONNECTION_LIFETIME, Hosts, Peer, Server};
use super::manage::{Answer, ManageService, Request};
use super::signup::SignupService;
use crate::edition::{Language, Newsletter, Theme};
use crate::error::Error;
use crate::ledger::{self, Ledger};
use crate::render::strings::{manage_words, page_words};
use crate::term::Term;
use crate::unsubscribe::TokenKey;

struct Service {
    name: String,
    language: Language,
    key: TokenKey,
    ledger: Mutex<Ledger>,
    term: Term,
    signup: Option<SignupService>,
    manage: Option<ManageService>,
    /// The stylesheet of every page, and the policy that allows it.
    style: String,
    policy: String,
}

/// What the public server serves besides the unsubscribe links.
pub struct Pages {
    pub signup: Option<SignupService>,
    pub manage: Option<ManageService>,
}

/// Serves the public pages of `newsletter`, recorded in `ledger`, until asked to stop.
pub fn serve(
    newsletter: &Newsletter,
    key: TokenKey,
    ledger: Ledger,
    listen: SocketAddr,
    pages: Pages,
    term: &Term,
) -> Result<(), Error> {
    let style = style(&newsletter.theme);
    let service = Arc::new(Service {
        name: newsletter.name.get_ref().to_string(),
        language: newsletter.language,
        key,
        ledger: Mutex::new(ledger),
        term: *term,
        signup: pages.signup,
        manage: pages.manage,
        policy: content_security_policy(&style),
        style,
    });
    let app = Router::new().fallback(handle).with_state(service);
    let server = Server {
        listen,
        hosts: Hosts::Any,
        lifetime: Some(CONNECTION_LIFETIME),
    };
    server.run(app, |address| {
        term.say(format!("serving the public pages on http://{address}"))
    })
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Which page a path is, for the log: never the path itself, which holds a token.
fn which(service: &Service, path: &str) -> &'static str {
    let signup = service.signup.as_ref();
    let manage = service.manage.as_ref();
    if signup.is_some_and(|s| path == s.form_path) {
        "signup"
    } else if signup.is_some_and(|s| path.starts_with(&s.confirm_prefix)) {
        "confirm"
    } else if manage.is_some_and(|m| path.starts_with(&m.prefix)) {
        "manage"
    } else {
        "unsubscribe"
    }
}

/// One request as the pages read it.
struct Incoming {
    method: axum::http::Method,
    uri: Uri,
    /// The connection's address.
    peer: Option<SocketAddr>,
    headers: axum::http::HeaderMap,
    body: Bytes,
}

impl Incoming {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn forwarded_for(&self) -> Option<&str> {
        self.header(header::HeaderName::from_static("x-forwarded-for"))
    }

    fn is_post(&self) -> bool {
        self.method == axum::http::Method::POST
    }
}

async fn handle(
    State(service): State<Arc<Service>>,
    method: axum::http::Method,
    uri: Uri,
    peer: Option<axum::Extension<Peer>>,
    headers: axum::http::HeaderMap,
    Query(query): Query<TokenQuery>,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let kind = which(&service, uri.path());
    let peer = peer.map(|p| p.0.0);
    let incoming = Incoming {
        method,
        uri,
        peer,
        headers,
        body,
    };
    let response = match kind {
        "signup" | "confirm" => signup_page(&service, &incoming).await,
        "manage" => Some(manage_page(&service, &incoming)),
        _ => None,
    };
    let response = response.unwrap_or_else(|| unsubscribe_page(&service, &incoming, query.token));
    tracing::info!(
        "{} {kind} {} {:.1} ms",
        incoming.method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

/// An unsubscribe link: the token is the path's last segment, or `?token=`.
fn unsubscribe_page(service: &Service, incoming: &Incoming, token: Option<String>) -> Response {
    let token = token.or_else(|| {
        incoming
            .uri
            .path()
            .rsplit('/')
            .find(|s| !s.is_empty())
            .map(str::to_owned)
    });
    let words = page_words(service.language);
    // A test message's link (test-send): say so, and record nothing, whatever the method.
    if token
        .as_deref()
        .and_then(|t| service.key.verify_test(t))
        .is_some()
    {
        let body = html! { p { (words.test) } };
        return page(service, StatusCode::OK, words.test_title, body);
    }
    let address = token.as_deref().and_then(|t| service.key.verify(t));
    let Some(address) = address else {
        return page(
            service,
            StatusCode::BAD_REQUEST,
            words.invalid_title,
            html! { p { (words.invalid) } },
        );
    };
    match incoming.method {
        axum::http::Method::GET | axum::http::Method::HEAD => page(
            service,
            StatusCode::OK,
            words.confirm_title,
            html! {
                p { (words.confirm) " " strong { (address) } "?" }
                form method="post" { button type="submit" { (words.button) } }
            },
        ),
        axum::http::Method::POST => unsubscribe(service, &address, &incoming.body),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, POST")],
        )
            .into_response(),
    }
}

/// The signup form and its confirmation links, when `[signup]` is set and the path is theirs.
async fn signup_page(service: &Service, incoming: &Incoming) -> Option<Response> {
    let signup = service.signup.as_ref()?;
    let (origin, host) = (
        incoming.header(header::ORIGIN),
        incoming.header(header::HOST),
    );
    let (post, path, body) = (incoming.is_post(), incoming.uri.path(), &incoming.body);
    let client = signup.client(incoming.peer, incoming.forwarded_for());
    let (status, title, markup) = if path == signup.form_path {
        match post {
            true => {
                let (ledger, key) = (&service.ledger, &service.key);
                let answer = signup.submit(ledger, key, body, client, &service.term);
                let answer = answer.await;
                if let Some(to) = signup.redirect(origin, host) {
                    let to = to.to_owned();
                    return Some((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response());
                }
                answer
            }
            false => signup.form(),
        }
    } else {
        let token = path.strip_prefix(signup.confirm_prefix.as_str())?;
        let key = &service.key;
        signup.confirm(&service.ledger, key, token, post, client, &service.term)
    };
    Some(page(service, status, title, markup))
}

/// A POST with a valid token: the page's button, or a mail client's RFC 8058 one-click POST.
fn unsubscribe(service: &Service, address: &str, body: &[u8]) -> Response {
    let words = page_words(service.language);
    let one_click = body == b"List-Unsubscribe=One-Click";
    let source = if one_click { "one-click" } else { "web" };
    let stored = service.ledger.lock().map_err(|_| ()).and_then(|l| {
        l.suppress(address, source, ledger::now())
            .map_err(|e| service.term.error(&e.into()))
    });
    if stored.is_ok() {
        tracing::info!("unsubscribed ({source})");
    }
    match stored {
        Ok(_) => page(
            service,
            StatusCode::OK,
            words.done_title,
            html! { p { (words.done) } },
        ),
        Err(()) => page(
            service,
            StatusCode::SERVICE_UNAVAILABLE,
            words.invalid_title,
            html! { p { (words.failed) } },
        ),
    }
}

/// The reader's own page: a POST from another site is refused (403), whatever its token.
fn manage_page(service: &Service, incoming: &Incoming) -> Response {
    let manage = service
        .manage
        .as_ref()
        .expect("a manage path only with [manage]");
    let (origin, host) = (
        incoming.header(header::ORIGIN),
        incoming.header(header::HOST),
    );
    let post = incoming.is_post();
    if post && !same_site(origin, host, &manage.origin) {
        let words = manage_words(service.language);
        let body = html! { p { (words.invalid) } };
        return page(service, StatusCode::FORBIDDEN, words.invalid_title, body);
    }
    let client = (incoming.peer).map(|p| manage.client(p.ip(), incoming.forwarded_for()));
    let request = Request {
        token: incoming
            .uri
            .path()
            .strip_prefix(manage.prefix.as_str())
            .unwrap_or(""),
        post,
        form: &incoming.body,
        client,
    };
    match manage.answer(&service.ledger, &service.key, &request, &service.term) {
        Answer::Page(status, title, markup) => page(service, status, title, markup),
        Answer::File { name, body } => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
                (header::CONTENT_SECURITY_POLICY, service.policy.clone()),
                (header::X_FRAME_OPTIONS, "DENY".to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                (header::REFERRER_POLICY, "same-origin".to_owned()),
            ],
            body,
        )
            .into_response(),
    }
}

/// Whether a POST with `Origin: origin` to `Host: host` may come from this site: its public
/// `origin`, or this host when it is reached directly. No `Origin` (an old client) and `null`
/// (a browser that hides it) pass: the token in the path is what proves the reader; this only
/// turns away a form another site posts.
fn same_site(origin: Option<&str>, host: Option<&str>, public: &str) -> bool {
    let Some(origin) = origin.filter(|o| *o != "null") else {
        return true;
    };
    origin == public || host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, o)| o == h))
}

fn page(service: &Service, status: StatusCode, title: &str, body: Markup) -> Response {
    let lang = service.language.code();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " – " (service.name) }
                style { (maud::PreEscaped(&service.style)) }
            }
            body {
                header { p { (service.name) } }
                main { h1 { (title) } (body) }
            }
        }
    };
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::CONTENT_SECURITY_POLICY, service.policy.clone()),
            (header::X_FRAME_OPTIONS, "DENY".to_owned()),
            // The path holds a token: no other site learns it. Within the site, browsers then
            // send the real `Origin` with a form's POST (with `no-referrer` they send `null`).
            (header::REFERRER_POLICY, "same-origin".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        Html(markup.into_string()),
    )
        .into_response()
}

/// The pages' one stylesheet, in the newsletter's colours and font.
fn style(theme: &Theme) -> String {
    let (brand, on_brand) = (theme.brand.get_ref(), theme.on_brand.get_ref());
    let (text, muted, link) = (
        theme.text.get_ref(),
        theme.muted.get_ref(),
        theme.link.get_ref(),
    );
    let (background, font) = (theme.background.get_ref(), theme.font.as_str());
    format!(
        "body{{font-family:{font};max-width:36em;margin:0 auto;padding:0 1em 2em;\
         line-height:1.5;color:{text};background:{background}}}\
         header{{background:{brand};color:{on_brand};margin:0 -1em;padding:.6em 1em}}\
         header p{{margin:0;font-weight:bold}}a{{color:{link}}}h2{{font-size:1.2em;margin-top:2em}}\
         button,input{{font:inherit;padding:.5em .8em;max-width:100%}}\
         input{{border:1px solid {muted};border-radius:4px}}\
         button{{background:{brand};color:{on_brand};border:0;border-radius:4px;cursor:pointer}}\
         .notice{{border-left:4px solid {brand};padding:.3em .8em}}\
         .hp{{position:absolute;left:-10000px}}"
    )
}

/// Nothing but the page itself: no script, no other origin, no framing (a confirm button must
/// not be clickable through another site), forms posted only here.
fn content_security_policy(style: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}
