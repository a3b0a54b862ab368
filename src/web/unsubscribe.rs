//! The HTTP end of the unsubscribe links (`courant serve-unsubscribe`, axum).
//!
//! GET shows a page with a button and never unsubscribes: mail scanners open links. POST
//! unsubscribes — the page's form, or the RFC 8058 one-click POST a mail client sends with the
//! body `List-Unsubscribe=One-Click`. The token is the last segment of the path (or `?token=`);
//! a bad one gets a 400 page and changes nothing; a repeated POST is harmless.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::http::{CONNECTION_LIFETIME, Hosts, Peer, Server};
use super::signup::SignupService;
use crate::edition::{Language, Newsletter};
use crate::error::Error;
use crate::ledger::{self, Ledger};
use crate::render::strings::page_words;
use crate::term::Term;
use crate::unsubscribe::TokenKey;

struct Service {
    name: String,
    language: Language,
    key: TokenKey,
    ledger: Mutex<Ledger>,
    term: Term,
    signup: Option<SignupService>,
}

/// Serves the unsubscribe links of `newsletter`, recorded in `ledger`, until asked to stop.
pub fn serve(
    newsletter: &Newsletter,
    key: TokenKey,
    ledger: Ledger,
    listen: SocketAddr,
    signup: Option<SignupService>,
    term: &Term,
) -> Result<(), Error> {
    let service = Arc::new(Service {
        name: newsletter.name.get_ref().to_string(),
        language: newsletter.language,
        key,
        ledger: Mutex::new(ledger),
        term: *term,
        signup,
    });
    let app = Router::new().fallback(handle).with_state(service);
    let server = Server {
        listen,
        hosts: Hosts::Any,
        lifetime: Some(CONNECTION_LIFETIME),
    };
    server.run(app, |address| {
        term.say(format!("serving unsubscribe links on http://{address}"))
    })
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
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
    if let Some(answer) = signup_page(&service, &method, &uri, peer, &headers, &body).await {
        return answer;
    }
    let token = query.token.or_else(|| {
        uri.path()
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
        return page(&service, StatusCode::OK, words.test_title, body);
    }
    let address = token.as_deref().and_then(|t| service.key.verify(t));
    let Some(address) = address else {
        return page(
            &service,
            StatusCode::BAD_REQUEST,
            words.invalid_title,
            html! { p { (words.invalid) } },
        );
    };
    match method {
        axum::http::Method::GET | axum::http::Method::HEAD => page(
            &service,
            StatusCode::OK,
            words.confirm_title,
            html! {
                p { (words.confirm) " " strong { (address) } "?" }
                form method="post" { button type="submit" { (words.button) } }
            },
        ),
        axum::http::Method::POST => unsubscribe(&service, &address, &body),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, POST")],
        )
            .into_response(),
    }
}

/// The signup form and its confirmation links, when `[signup]` is set and the path is theirs.
async fn signup_page(
    service: &Service,
    method: &axum::http::Method,
    uri: &Uri,
    peer: Option<axum::Extension<Peer>>,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let signup = service.signup.as_ref()?;
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    let (origin, host) = (header(header::ORIGIN), header(header::HOST));
    let forwarded = header(axum::http::HeaderName::from_static("x-forwarded-for"));
    let post = method == axum::http::Method::POST;
    let path = uri.path();
    let client = signup.client(peer.map(|p| p.0.0), forwarded);
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
                style { (maud::PreEscaped(STYLE)) }
            }
            body { main { h1 { (title) } (body) } }
        }
    };
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::CONTENT_SECURITY_POLICY, content_security_policy()),
            (header::X_FRAME_OPTIONS, "DENY".to_owned()),
            (header::REFERRER_POLICY, "no-referrer".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        Html(markup.into_string()),
    )
        .into_response()
}

/// The pages' one stylesheet, allowed by its hash and nothing else.
const STYLE: &str = "body{font-family:Verdana,Arial,sans-serif;max-width:36em;margin:2em auto;\
padding:0 1em;line-height:1.5;color:#1a1a1a}button,input{font:inherit;padding:.5em .8em}\
.hp{position:absolute;left:-10000px}";

/// Nothing but the page itself: no script, no other origin, no framing (a confirm button must
/// not be clickable through another site), forms posted only here.
fn content_security_policy() -> String {
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}
