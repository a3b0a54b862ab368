//! The live preview (`courant serve`) on 127.0.0.1. The email at desktop and phone width and in
//! dark mode, the plaintext, the headers, the web version and the `check` findings; updated in
//! open pages within a second of saving a file (server-sent events), and a diagnostic instead
//! of a dead page while the TOML does not parse.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use notify::Watcher;
use tokio::sync::watch;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::WatchStream;

use super::http::{Hosts, Server};
use crate::checked::Checked;
use crate::diagnostic::display_path;
use crate::edition::Language;
use crate::error::Error;
use crate::message::{Clock, Composer};
use crate::render::calendar;
use crate::render::strings::preview_words;
use crate::subscribers::{Subscriber, SubscriberList};
use crate::term::Term;

/// The latest render, and the last one that worked.
struct Preview {
    edition: PathBuf,
    subscribers: Option<PathBuf>,
    current: Result<Arc<Checked>, String>,
    last_good: Option<Arc<Checked>>,
    list: Vec<Subscriber>,
}

type Shared = Arc<(Mutex<Preview>, watch::Sender<u64>)>;

/// Serves the live preview of `edition` (personalised as a reader of `subscribers`, if given)
/// until asked to stop.
pub fn serve(
    edition: &Path,
    subscribers: Option<&Path>,
    listen: SocketAddr,
    term: &Term,
) -> Result<(), Error> {
    let mut preview = Preview {
        edition: edition.to_path_buf(),
        subscribers: subscribers.map(Path::to_path_buf),
        current: Err(String::new()),
        last_good: None,
        list: Vec::new(),
    };
    preview.reload();
    let (tx, _) = watch::channel(0u64);
    let shared: Shared = Arc::new((Mutex::new(preview), tx));
    let _watcher = watch_files(edition, subscribers, Arc::clone(&shared))?;
    let app = Router::new()
        .route("/", get(ui))
        .route("/email", get(email))
        .route("/text", get(text))
        .route("/headers", get(headers))
        .route("/web", get(web))
        .route("/img/{name}", get(image))
        .route("/events", get(events))
        .with_state(shared);
    let server = Server {
        listen,
        hosts: Hosts::Own,
        lifetime: None,
    };
    server.run(app, |address| {
        term.say(format!(
            "previewing {} on http://{address}/",
            display_path(edition)
        ))
    })
}

impl Preview {
    /// The newsletter's language, once an edition has loaded; English before.
    fn language(&self) -> Language {
        self.last_good
            .as_ref()
            .map_or(Language::En, |c| c.edition.newsletter.language)
    }

    /// Loads, renders and lints again; keeps the last good render when this one fails.
    fn reload(&mut self) {
        self.current = Checked::load(&self.edition)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        if let Ok(checked) = &self.current {
            self.last_good = Some(Arc::clone(checked));
        }
        if let Some(path) = &self.subscribers {
            match SubscriberList::load(path) {
                Ok(list) => self.list = list.subscribers,
                Err(e) => self.current = Err(e.to_string()),
            }
        }
    }
}

/// Re-renders when anything in the edition's folder (or the list) changes.
fn watch_files(
    edition: &Path,
    subscribers: Option<&Path>,
    shared: Shared,
) -> Result<notify::RecommendedWatcher, Error> {
    let (tx, rx) = std::sync::mpsc::channel();
    let cannot_watch =
        |what: String, e: notify::Error| Error::Refused(format!("cannot watch {what}: {e}"));
    let mut watcher =
        notify::recommended_watcher(tx).map_err(|e| cannot_watch("files".into(), e))?;
    let folder = edition
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    watcher
        .watch(folder, notify::RecursiveMode::Recursive)
        .map_err(|e| cannot_watch(format!("`{}`", display_path(folder)), e))?;
    if let Some(list) = subscribers {
        watcher
            .watch(list, notify::RecursiveMode::NonRecursive)
            .map_err(|e| cannot_watch(format!("`{}`", display_path(list)), e))?;
    }
    std::thread::spawn(move || {
        while let Ok(first) = rx.recv() {
            let mut events = vec![first];
            // Editors write a file in several steps: wait for them to settle.
            std::thread::sleep(Duration::from_millis(50));
            events.extend(rx.try_iter());
            let relevant = events
                .iter()
                .flatten()
                .any(|e| !e.kind.is_access() && e.paths.iter().all(|p| !ignored(p)));
            if relevant {
                shared.0.lock().expect("not poisoned").reload();
                shared.1.send_modify(|v| *v += 1);
            }
        }
    });
    Ok(watcher)
}

/// The ledger and editor swap files change without the edition changing.
fn ignored(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.contains(".sqlite")
        || name.ends_with(".lock")
        || name.ends_with('~')
        || name.starts_with(".#")
        || name.ends_with(".swp")
}

#[derive(serde::Deserialize, Default)]
struct ViewQuery {
    /// The subscriber to personalise as.
    #[serde(rename = "as")]
    as_subscriber: Option<String>,
    /// Show the last render that worked.
    last: Option<u8>,
    dark: Option<u8>,
}

impl ViewQuery {
    fn edition(&self, preview: &Preview) -> Option<Arc<Checked>> {
        match (&preview.current, self.last) {
            (Ok(c), None) => Some(Arc::clone(c)),
            _ => preview.last_good.clone(),
        }
    }

    fn subscriber(&self, preview: &Preview, checked: &Checked) -> Subscriber {
        let wanted = self.as_subscriber.as_deref().unwrap_or("");
        preview
            .list
            .iter()
            .find(|s| s.email.as_str().eq_ignore_ascii_case(wanted))
            .cloned()
            .unwrap_or_else(|| Subscriber::sample(&checked.edition.file))
    }
}

fn composer(checked: &Checked) -> Composer<'_> {
    let tokens = checked.tokens().ok().flatten();
    Composer::new(&checked.edition, &checked.rendered, Clock::from_env()).with_tokens(tokens)
}

async fn ui(State(shared): State<Shared>, Query(q): Query<ViewQuery>) -> Html<String> {
    let preview = shared.0.lock().expect("not poisoned");
    let as_query = q
        .as_subscriber
        .as_deref()
        .map(|a| format!("as={}", crate::edition::value::encode_component(a)))
        .unwrap_or_default();
    let last = if q.last.is_some() { "&last=1" } else { "" };
    let views = q.edition(&preview);
    let language = preview.language();
    let w = preview_words(language);
    let page: Markup = html! {
        (DOCTYPE)
        html lang=(language.code()) {
            head {
                meta charset="utf-8";
                title { "courant serve – " (display_path(&preview.edition)) }
                style { (PreEscaped(UI_CSS)) }
            }
            body {
                (picker(&preview, &q))
                main {
                    @match &preview.current {
                        Err(diagnostic) => {
                            section.error role="alert" {
                                h2 { (w.not_loaded) }
                                pre #diagnostic { (diagnostic) }
                                @if preview.last_good.is_some() && q.last.is_none() {
                                    p { a href={ "/?last=1&" (as_query) } { (w.last_good) } }
                                }
                            }
                        }
                        Ok(checked) => {
                            section #findings {
                                h2 { "check" }
                                @if checked.findings.is_empty() { p { (w.no_problems) } }
                                @for f in &checked.findings { pre.finding { (f.to_string()) } }
                            }
                        }
                    }
                    @if let Some(checked) = views {
                        (frames(&checked, w, &as_query, last))
                    }
                }
                script { (PreEscaped("new EventSource('/events').onmessage = () => location.reload();")) }
            }
        }
    };
    Html(page.into_string())
}

/// The email at three sizes, and links to its other forms.
fn frames(
    checked: &Checked,
    w: &crate::render::strings::PreviewWords,
    as_query: &str,
    last: &str,
) -> Markup {
    html! {
        section #views {
            h2 #title { (checked.edition.content.subject.get_ref().as_str()) }
            div.frames {
                figure { figcaption { (w.desktop) } iframe title=(w.desktop_title) width="640" height="900" src={ "/email?" (as_query) (last) } {} }
                figure { figcaption { (w.phone) } iframe title=(w.phone_title) width="375" height="900" src={ "/email?" (as_query) (last) } {} }
                figure { figcaption { (w.dark) } iframe title=(w.dark_title) width="640" height="900" src={ "/email?dark=1&" (as_query) (last) } {} }
            }
            p {
                a href={ "/text?" (as_query) (last) } { (w.plain_text) } " · "
                a href={ "/headers?" (as_query) (last) } { (w.headers) } " · "
                a href={ "/web?" (last) } { (w.web_version) }
            }
        }
    }
}

/// The page's header: the edition's path and the subscriber picker.
fn picker(preview: &Preview, q: &ViewQuery) -> Markup {
    let w = preview_words(preview.language());
    html! {
        header {
            h1 { "courant serve: " (display_path(&preview.edition)) }
            @if !preview.list.is_empty() {
                form method="get" {
                    label for="as" { (w.personalise_as) }
                    select id="as" name="as" onchange="this.form.submit()" {
                        option value="" { (w.anonymous) }
                        @for s in &preview.list {
                            option value=(s.email.as_str()) selected[q.as_subscriber.as_deref() == Some(s.email.as_str())] { (s.email.as_str()) }
                        }
                    }
                }
            }
        }
    }
}

fn not_loaded() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "the edition does not load; see the preview page",
    )
        .into_response()
}

async fn email(State(shared): State<Shared>, Query(q): Query<ViewQuery>) -> Response {
    let preview = shared.0.lock().expect("not poisoned");
    let Some(checked) = q.edition(&preview) else {
        return not_loaded();
    };
    let personal = composer(&checked).personal(&q.subscriber(&preview, &checked));
    let mut html = checked
        .rendered
        .html
        .fill(&personal)
        .replace("src=\"cid:", "src=\"/img/");
    if q.dark.is_some() {
        // The edition's own dark rules, applied whatever the browser prefers.
        html = html.replace("@media (prefers-color-scheme:dark)", "@media all");
    }
    Html(html).into_response()
}

async fn text(State(shared): State<Shared>, Query(q): Query<ViewQuery>) -> Response {
    let preview = shared.0.lock().expect("not poisoned");
    let Some(checked) = q.edition(&preview) else {
        return not_loaded();
    };
    let personal = composer(&checked).personal(&q.subscriber(&preview, &checked));
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        checked.rendered.text.fill(&personal),
    )
        .into_response()
}

async fn headers(State(shared): State<Shared>, Query(q): Query<ViewQuery>) -> Response {
    let preview = shared.0.lock().expect("not poisoned");
    let Some(checked) = q.edition(&preview) else {
        return not_loaded();
    };
    let message = match composer(&checked).message(&q.subscriber(&preview, &checked)) {
        Ok(m) => m.formatted(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let text = String::from_utf8_lossy(&message);
    let head = text.split("\r\n\r\n").next().unwrap_or("").to_owned();
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], head).into_response()
}

async fn web(State(shared): State<Shared>, Query(q): Query<ViewQuery>) -> Response {
    let preview = shared.0.lock().expect("not poisoned");
    let Some(checked) = q.edition(&preview) else {
        return not_loaded();
    };
    let page = (checked.rendered.web)
        .replace("src=\"", "src=\"/img/")
        .replace("href=\"event-", "href=\"/img/event-");
    Html(page).into_response()
}

async fn image(State(shared): State<Shared>, UrlPath(name): UrlPath<String>) -> Response {
    let preview = shared.0.lock().expect("not poisoned");
    let checked = match (&preview.current, &preview.last_good) {
        (Ok(c), _) | (Err(_), Some(c)) => Arc::clone(c),
        _ => return not_loaded(),
    };
    match checked.rendered.assets.all().find(|a| a.name == name) {
        Some(asset) => (
            [(header::CONTENT_TYPE, asset.content_type)],
            asset.bytes.clone(),
        )
            .into_response(),
        None => match checked.rendered.calendars.iter().find(|c| c.name == name) {
            Some(file) => (
                [(header::CONTENT_TYPE, calendar::CONTENT_TYPE)],
                file.text.clone(),
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
    }
}

async fn events(
    State(shared): State<Shared>,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let changes = WatchStream::from_changes(shared.1.subscribe());
    Sse::new(changes.map(|v| Ok(Event::default().data(v.to_string()))))
        .keep_alive(KeepAlive::default())
}

const UI_CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f4f6f8}\
header{background:#1a1a1a;color:#fff;padding:.5em 1em;display:flex;gap:2em;align-items:center;flex-wrap:wrap}\
header h1{font-size:1.1em;margin:0}main{padding:1em}pre{white-space:pre-wrap;background:#fff;padding:.75em;border:1px solid #ccd}\
.error pre{border-color:#b00020}.error h2{color:#b00020}.frames{display:flex;gap:1em;flex-wrap:wrap;align-items:flex-start}\
figure{margin:0}iframe{border:1px solid #ccd;background:#fff}a{color:#0b4f8a}";
