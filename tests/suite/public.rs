//! Issue 20: the signup form and its confirmation on `courant serve-public`, against a real
//! SMTP server (aiosmtpd) and the real ledger.

use std::io::{Read, Write};

use crate::common::Listening;
use crate::common::servers::{Server, aiosmtpd};
use crate::common::{Test, contains, lacks};

const SIGNUP: &str = "\n[signup]\nurl = \"https://nieuwsbrief.weerbaarnl.example/aanmelden\"\n\
    confirm-url = \"https://nieuwsbrief.weerbaarnl.example/bevestigen/{token}\"\n\
    consent = \"Ja, stuur mij de nieuwsbrief van WeerbaarNL. Afmelden kan altijd.\"\n\
    privacy-url = \"https://www.weerbaarnl.example/privacy\"\n\
    thank-you = \"https://www.weerbaarnl.example/bedankt\"\n";

/// The whole response to one request.
pub(crate) fn http(port: u16, method: &str, path: &str, body: &str) -> String {
    request(port, method, path, "", body)
}

/// The whole response to one request with the extra header lines `extra`.
pub(crate) fn request(port: u16, method: &str, path: &str, extra: &str, body: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    response
}

/// The body of a response, without its `date` header's changing value.
pub(crate) fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// The confirmation links in the mails the server received for `to`, decoded.
fn links(server: &Server, to: &str) -> Vec<String> {
    tokens(server, to, "/bevestigen/")
}

/// The tokens after `path` (`/beheer/`) in the text of the mails the server received for `to`.
pub(crate) fn tokens(server: &Server, to: &str, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for file in server.messages() {
        let raw = std::fs::read(file).unwrap();
        let envelope = format!("X-Envelope-To: {to}");
        if !String::from_utf8_lossy(&raw)
            .lines()
            .any(|l| l.trim_end() == envelope)
        {
            continue;
        }
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let text = message.body_text(0).unwrap().into_owned();
        out.extend(
            text.split_whitespace()
                .filter_map(|w| w.split_once(path).map(|(_, t)| t.to_owned())),
        );
    }
    out
}

/// The seed with `[signup]` (its ledger at `url`, else the SQLite file), an SMTP server for
/// its mails, and `serve-public` running.
fn signup_server(url: Option<&str>) -> (Test, Server, Listening) {
    let public = public_server(url, "");
    (public.dir, public.mx, public.serve)
}

/// A newsletter's public server at work: its folder, its SMTP server, the server itself and
/// the file its log (stderr) goes to.
pub(crate) struct Public {
    pub dir: Test,
    pub mx: Server,
    pub serve: Listening,
    pub log: std::path::PathBuf,
}

/// The seed with `[signup]` and `more` settings (its ledger at `url`, else the SQLite file),
/// an SMTP server for its mails, and `serve-public` running, logging to a file.
pub(crate) fn public_server(url: Option<&str>, more: &str) -> Public {
    // Messages dated today: their manage links expire a year after their date.
    let today = courant::ledger::now().to_string();
    let mut dir = Test::seed().env("SOURCE_DATE_EPOCH", &today);
    if let Some(url) = url {
        dir = dir.ledger(url);
    }
    let settings = dir.join("issues/newsletter.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str(SIGNUP);
    text.push_str(more);
    std::fs::write(&settings, text).unwrap();
    let mx = aiosmtpd(dir.path(), "mx", &[]);
    let smtp = mx.url();
    let log = dir.join("serve-public.log");
    let args = ["serve-public", "issues/newsletter.toml", "--smtp", &smtp];
    let serve = dir.listen_logged(&args, &log);
    Public {
        dir,
        mx,
        serve,
        log,
    }
}

#[test]
fn a_signup_is_confirmed_by_the_button_behind_the_mailed_link_only() {
    signup_flow(None);
}

#[test]
fn a_signup_is_confirmed_the_same_way_on_a_postgresql_ledger() {
    signup_flow(Some(&crate::common::postgres::postgres().database()));
}

fn signup_flow(url: Option<&str>) {
    let (dir, mx, serve) = signup_server(url);
    let port = serve.port;

    let form = http(port, "GET", "/aanmelden", "");
    assert!(contains(&form, "HTTP/1.1 200"));
    assert!(contains(&form, "frame-ancestors 'none'"));
    assert!(contains(
        &form,
        "Ja, stuur mij de nieuwsbrief van WeerbaarNL. Afmelden kan altijd."
    ));

    // Known, unknown and robot: the same page, byte for byte.
    let new = http(
        port,
        "POST",
        "/aanmelden",
        "email=zoe%40example.org&name=Zo%C3%AB&website=",
    );
    let robot = http(
        port,
        "POST",
        "/aanmelden",
        "email=bot%40example.org&website=http%3A%2F%2Fspam",
    );
    let garbage = http(port, "POST", "/aanmelden", "email=not-an-address");
    assert_eq!(body(&new), body(&robot));
    assert_eq!(body(&new), body(&garbage));
    crate::common::wait_for("the confirmation mail", || mx.messages().len() == 1);
    let mail = std::fs::read_to_string(&mx.messages()[0]).unwrap();
    assert!(contains(&mail, "X-Envelope-To: zoe@example.org"));
    // Nothing the form was sent is in the mail: not in its text, not in a header (decoded;
    // the raw message holds random identifiers, where two letters may turn up by chance).
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.as_bytes())
        .unwrap();
    assert!(lacks(&parsed.body_text(0).unwrap(), "Zo"));
    for header in parsed.headers() {
        let value = format!("{:?}", header.value());
        assert!(
            lacks(&value, "Zoë") && lacks(&value, "Zo\\u{eb}"),
            "{value}"
        );
    }

    // The form on the unit's own website posts here from another origin: on to its thank-you
    // page, after the same work.
    let elsewhere = "Origin: https://www.weerbaarnl.example\r\n";
    let posted = request(
        port,
        "POST",
        "/aanmelden",
        elsewhere,
        "email=xena%40example.org",
    );
    assert!(contains(&posted, "HTTP/1.1 303"));
    assert!(contains(
        &posted,
        "location: https://www.weerbaarnl.example/bedankt\r\n"
    ));
    crate::common::wait_for("xena's mail", || mx.messages().len() == 2);
    let own = "Origin: https://nieuwsbrief.weerbaarnl.example\r\n";
    assert!(contains(
        &request(port, "POST", "/aanmelden", own, "email=x%40example.org"),
        "HTTP/1.1 200"
    ));

    // Ten quick signups for one address: at most three mails a day.
    for _ in 0..10 {
        http(port, "POST", "/aanmelden", "email=zoe%40example.org");
    }
    crate::common::wait_for("three mails", || mx.messages().len() >= 5);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(mx.messages().len(), 5, "three mails to zoe, not eleven");

    // One IP address signs up at most 20 an hour (here: 15 so far, the robot's included).
    for i in 0..10 {
        http(
            port,
            "POST",
            "/aanmelden",
            &format!("email=p{i}%40example.org"),
        );
    }
    crate::common::wait_for("five more mails", || mx.messages().len() >= 10);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        mx.messages().len(),
        10,
        "the 21st signup of one address does nothing"
    );

    let token = links(&mx, "zoe@example.org")
        .pop()
        .expect("a link in the mail");
    let shown = http(port, "GET", &format!("/bevestigen/{token}"), "");
    assert!(contains(&shown, "HTTP/1.1 200"));
    assert!(contains(&shown, "<strong>zoe@example.org</strong>"));
    let pending = dir.words("subscribers list --status pending");
    assert!(
        contains(&pending.stdout, "zoe@example.org\tpending"),
        "GET changed nothing"
    );

    // Forged, wrong-purpose and unknown tokens: 400, nothing changed.
    let forged = token.replacen("c.", "m.", 1);
    for bad in [format!("{token}x"), forged, "c.x.1.y".to_owned()] {
        let answer = http(port, "POST", &format!("/bevestigen/{bad}"), "");
        assert!(contains(&answer, "HTTP/1.1 400"), "{bad}");
    }
    assert!(contains(
        &dir.words("subscribers list --status pending").stdout,
        "zoe@"
    ));

    let confirmed = http(port, "POST", &format!("/bevestigen/{token}"), "");
    assert!(contains(&confirmed, "HTTP/1.1 200"));
    let active = dir.words("subscribers list --status active");
    assert_eq!(active.stdout, "zoe@example.org\tactive\tZoë\n");
    let consent = dir.words("consent show zoe@example.org");
    let text = "Ja, stuur mij de nieuwsbrief van WeerbaarNL. Afmelden kan altijd.";
    let hash = courant::ledger::text_hash(text);
    assert!(contains(
        &consent.stdout,
        &format!("agreed to (SHA-256 {hash}): {text}")
    ));
    assert!(contains(&consent.stdout, "  from 127.0.0.0/24\n"));
    drop(serve);
}

/// Runs `tests/browser/public.mjs` with `args` and returns what it measured.
pub(crate) fn walk(args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new("node")
        .arg(crate::common::root().join("tests/browser/public.mjs"))
        .args(args)
        .current_dir(crate::common::root())
        .output()
        .expect("node runs");
    assert!(crate::common::succeeded(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every page a reader meets when signing up, in Chromium at 375 px: the form filled in and
/// sent, the link's page, its button pressed. Each answers, fits the phone and has no axe
/// violation, with the pages' own Content-Security-Policy in force.
#[test]
fn the_signup_pages_work_in_a_browser_on_a_phone_and_pass_axe() {
    let (dir, mx, serve) = signup_server(None);
    let base = format!("http://127.0.0.1:{}", serve.port);

    let signup = walk(&["signup", &format!("{base}/aanmelden"), "yara@example.org"]);
    crate::common::wait_for("the confirmation mail", || mx.messages().len() == 1);
    let token = links(&mx, "yara@example.org").pop().unwrap();
    let confirm = walk(&["confirm", &format!("{base}/bevestigen/{token}")]);
    let pages = [
        ("form", &signup["form"]),
        ("sent", &signup["sent"]),
        ("confirm", &confirm["confirm"]),
        ("done", &confirm["done"]),
    ];
    for (name, page) in pages {
        assert_eq!(page["status"], 200, "{name}: {page}");
        assert_eq!(page["violations"], serde_json::json!([]), "{name}: {page}");
        assert!(
            page["scrollWidth"].as_f64().unwrap() <= 375.0,
            "{name}: {page}"
        );
    }
    assert_eq!(confirm["done"]["title"], "U bent aangemeld – WeerbaarNL");
    let active = dir.words("subscribers list --status active");
    assert_eq!(active.stdout, "yara@example.org\tactive\t\n");
}

/// `[signup] welcome`: the reader who confirms gets that edition at once, greeted by name,
/// with their own unsubscribe link; a GET of the link sends nothing.
#[test]
fn a_confirmed_reader_gets_the_welcome_edition() {
    let public = public_server(None, "welcome = \"2022-12.toml\"\n");
    let port = public.serve.port;
    http(
        port,
        "POST",
        "/aanmelden",
        "email=wim%40example.org&name=Wim",
    );
    crate::common::wait_for("the confirmation mail", || public.mx.messages().len() == 1);
    let token = links(&public.mx, "wim@example.org").pop().unwrap();
    http(port, "GET", &format!("/bevestigen/{token}"), "");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(public.mx.messages().len(), 1, "a GET sends no welcome");
    let done = http(port, "POST", &format!("/bevestigen/{token}"), "");
    assert!(contains(&done, "U bent aangemeld"));
    crate::common::wait_for("the welcome", || public.mx.messages().len() == 2);
    let raw = public
        .mx
        .messages()
        .into_iter()
        .map(|m| std::fs::read(m).unwrap())
        .find(|m| String::from_utf8_lossy(m).contains("List-Unsubscribe"))
        .expect("the welcome edition");
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        message.subject(),
        Some("Nieuwsbrief WeerbaarNL – December 2022")
    );
    assert!(contains(&message.body_text(0).unwrap(), "Beste Wim,"));
    let unsubscribe = message.header_raw("List-Unsubscribe").unwrap();
    assert!(contains(unsubscribe, "/afmelden/"), "{unsubscribe}");
    assert!(contains(
        String::from_utf8_lossy(&raw).as_ref(),
        "X-Envelope-To: wim@example.org"
    ));
}
