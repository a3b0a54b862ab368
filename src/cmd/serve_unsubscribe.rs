//! `courant serve-unsubscribe`: the HTTP end of the unsubscribe links (axum).
//!
//! GET shows a page with a button and never unsubscribes: mail scanners open links. POST
//! unsubscribes — the page's form, or the RFC 8058 one-click POST a mail client sends with the
//! body `List-Unsubscribe=One-Click`. The token is the last segment of the path (or `?token=`);
//! a bad one gets a 400 page and changes nothing; a repeated POST is harmless.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::Outcome;
use crate::cli::LedgerArgs;
use crate::edition::load::{parse, read_source};
use crate::edition::{Language, Newsletter};
use crate::ledger::{self, Ledger};
use crate::unsubscribe::TokenKey;

struct Service {
    name: String,
    language: Language,
    key: TokenKey,
    ledger: Mutex<Ledger>,
}

pub fn run(settings: &Path, listen: SocketAddr, args: &LedgerArgs) -> Outcome {
    match serve(settings, listen, args) {
        Ok(()) => Outcome::Success,
        Err(message) => {
            eprintln!("error: {message}");
            Outcome::BadInput
        }
    }
}

fn serve(settings: &Path, listen: SocketAddr, args: &LedgerArgs) -> Result<(), String> {
    let file = read_source(settings).map_err(|e| e.to_string())?;
    let newsletter: Newsletter = parse(&file).map_err(|e| e.to_string())?;
    let key = TokenKey::from_env(newsletter.list_id.as_str())?;
    let path = args
        .ledger
        .clone()
        .unwrap_or_else(|| settings.with_file_name("courant.sqlite"));
    let ledger = Ledger::open(&path).map_err(|e| e.to_string())?;
    let service = Arc::new(Service {
        name: newsletter.name.get_ref().to_string(),
        language: newsletter.language,
        key,
        ledger: Mutex::new(ledger),
    });
    let app = Router::new().fallback(handle).with_state(service);
    super::serve_http(listen, app, |address| {
        format!("serving unsubscribe links on http://{address}")
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
    Query(query): Query<TokenQuery>,
    body: Bytes,
) -> Response {
    let token = query.token.or_else(|| {
        uri.path()
            .rsplit('/')
            .find(|s| !s.is_empty())
            .map(str::to_owned)
    });
    let address = token.as_deref().and_then(|t| service.key.verify(t));
    let words = words(service.language);
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
        axum::http::Method::POST => {
            let one_click = body.as_ref() == b"List-Unsubscribe=One-Click";
            let source = if one_click { "one-click" } else { "web" };
            let stored = service.ledger.lock().map_err(|_| ()).and_then(|l| {
                l.suppress(&address, source, ledger::now())
                    .map_err(|e| eprintln!("error: {e}"))
            });
            match stored {
                Ok(_) => page(
                    &service,
                    StatusCode::OK,
                    words.done_title,
                    html! { p { (words.done) } },
                ),
                Err(()) => page(
                    &service,
                    StatusCode::SERVICE_UNAVAILABLE,
                    words.invalid_title,
                    html! { p { (words.failed) } },
                ),
            }
        }
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, POST")],
        )
            .into_response(),
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
                style { "body{font-family:Verdana,Arial,sans-serif;max-width:36em;margin:2em auto;padding:0 1em;line-height:1.5;color:#1a1a1a}button{font:inherit;padding:.5em 1.2em}" }
            }
            body { main { h1 { (title) } (body) } }
        }
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(markup.into_string()),
    )
        .into_response()
}

struct Words {
    confirm_title: &'static str,
    confirm: &'static str,
    button: &'static str,
    done_title: &'static str,
    done: &'static str,
    invalid_title: &'static str,
    invalid: &'static str,
    failed: &'static str,
}

fn words(language: Language) -> &'static Words {
    match language {
        Language::Nl => &Words {
            confirm_title: "Afmelden",
            confirm: "Wilt u deze nieuwsbrief niet meer ontvangen op",
            button: "Ja, meld mij af",
            done_title: "U bent afgemeld",
            done: "U ontvangt deze nieuwsbrief niet meer.",
            invalid_title: "Deze afmeldlink werkt niet",
            invalid: "De link is onvolledig of niet door ons gemaakt. Gebruik de afmeldlink onderaan de nieuwsbrief, of mail de redactie.",
            failed: "Het afmelden is nu niet gelukt. Probeer het later opnieuw.",
        },
        Language::En => &Words {
            confirm_title: "Unsubscribe",
            confirm: "Stop receiving this newsletter at",
            button: "Yes, unsubscribe me",
            done_title: "You are unsubscribed",
            done: "You will not receive this newsletter any more.",
            invalid_title: "This unsubscribe link does not work",
            invalid: "The link is incomplete or was not made by us. Use the unsubscribe link at the bottom of the newsletter, or write to the editors.",
            failed: "Unsubscribing did not work just now. Please try again later.",
        },
    }
}
