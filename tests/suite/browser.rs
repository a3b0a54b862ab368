//! The seed edition in a real browser: headless Chromium (Debian's package) driven by
//! playwright-core through `tests/browser/measure.mjs`, which prints what it measured.

use std::process::Command;

use crate::common::{Test, root};
use crate::common::{contains, succeeded};

/// axe's serious and critical findings in what `measure` measured.
fn serious_axe_findings(m: &serde_json::Value) -> Vec<serde_json::Value> {
    let found = m["axe"].as_array().unwrap().iter();
    let serious = |v: &&serde_json::Value| v["impact"] == "serious" || v["impact"] == "critical";
    found.filter(serious).cloned().collect()
}

/// What `tests/browser/measure.mjs` measured of the built site in `site`.
fn measure(site: &std::path::Path) -> serde_json::Value {
    let out = Command::new("node")
        .arg(root().join("tests/browser/measure.mjs"))
        .arg(site)
        .current_dir(root())
        .output()
        .expect("node runs");
    assert!(succeeded(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The whole response to `GET path` with `Host: host` from the server on `port`.
fn http_get(port: u16, host: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    response
}

/// The site built in `site` is valid HTML (vnu), fits a 375 px phone and has no serious axe
/// finding, in its web version and its email alike.
fn valid_on_a_phone_and_accessible(site: &std::path::Path) {
    let report = crate::common::vnu(&[site.join("index.html"), site.join("email.html")]);
    assert_eq!(report["messages"], serde_json::json!([]), "{report:#}");
    let m = measure(site);
    assert!(
        m["phone"]["scrollWidth"].as_f64().unwrap() <= 375.0,
        "horizontal overflow at 375 px: {}",
        m["phone"]
    );
    let serious = serious_axe_findings(&m);
    assert!(serious.is_empty(), "axe: {serious:#?}");
}

#[test]
fn the_seed_reads_well_on_a_phone_on_a_desktop_in_dark_mode_and_passes_axe() {
    let dir = Test::seed();
    let run = dir.words("build issues/2022-12.toml --out b");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let m = measure(&dir.join("b"));
    eprintln!("measured: {m}");

    assert!(
        m["phone"]["scrollWidth"].as_f64().unwrap() <= 375.0,
        "horizontal overflow at 375 px: {m}"
    );
    assert_eq!(
        m["phone"]["imagesLoaded"], m["phone"]["images"],
        "every image loads"
    );
    assert_eq!(m["phone"]["images"], 8);
    assert!(
        m["phone"]["minFontPx"].as_f64().unwrap() >= 14.0,
        "text under 14 px: {m}"
    );
    assert_eq!(
        m["desktop"]["columnWidth"].as_f64(),
        Some(600.0),
        "the content column at desktop width"
    );
    assert!(
        m["dark"]["minContrast"].as_f64().unwrap() >= 4.5,
        "dark-mode contrast: {m}"
    );
    assert_eq!(
        m["dark"]["background"], "rgb(24, 33, 44)",
        "the edition's dark background applies"
    );
    let serious = serious_axe_findings(&m);
    assert!(serious.is_empty(), "axe: {serious:#?}");
}

#[test]
fn the_serve_page_follows_edits_shows_a_diagnostic_and_recovers() {
    let dir = Test::seed();
    let serve = dir.listen(&["serve", "issues/2022-12.toml"]);
    let page = format!("{}/", serve.origin());
    assert_eq!(
        serve.said,
        format!("previewing issues/2022-12.toml on {page}\n")
    );
    let out = Command::new("node")
        .arg(root().join("tests/browser/serve.mjs"))
        .arg(page)
        .arg(dir.join("issues/2022-12.toml"))
        .current_dir(root())
        .output()
        .expect("node runs");
    drop(serve);
    assert!(succeeded(&out));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("serve: {seen}");
    assert_eq!(seen["before"], "Nieuwsbrief WeerbaarNL – December 2022");
    assert_eq!(seen["edited"]["text"], "Live bewerkt");
    let diagnostic = seen["broken"]["text"].as_str().unwrap();
    assert!(
        diagnostic.starts_with("error: invalid basic string"),
        "{diagnostic}"
    );
    assert!(
        diagnostic.contains("--> issues/2022-12.toml:4:"),
        "{diagnostic}"
    );
    assert_eq!(
        seen["brokenHasLastGood"], true,
        "the last good render is one click away"
    );
    assert_eq!(
        seen["fixed"]["text"],
        "Nieuwsbrief WeerbaarNL – December 2022"
    );
}

#[test]
fn long_words_and_pasted_urls_fit_a_phone() {
    let dir = Test::seed();
    let edition = dir.join("issues/2022-12.toml");
    let text = std::fs::read_to_string(&edition).unwrap();
    let word = "Arbeidsongeschiktheidsverzekering";
    let url = "https://www.rijksoverheid.nl/onderwerpen/terrorismebestrijding/documenten/rapporten/2022/12/15/dreigingsbeeld-terrorisme-nederland-december-2022";
    let title_line = text.lines().find(|l| l.starts_with("title = ")).unwrap();
    let text = text.replacen(
        title_line,
        &format!("title = \"{word} en weerbaarheid\""),
        1,
    );
    let body_at = text.find("body = \"\"\"\n").unwrap() + "body = \"\"\"\n".len();
    let text = format!(
        "{}Zie {url} voor het rapport.\n\n{}",
        &text[..body_at],
        &text[body_at..]
    );
    std::fs::write(&edition, text).unwrap();
    let check = dir.words("check issues/2022-12.toml");
    assert!(contains(&check.stderr, &format!("the word `{word}`")));
    assert!(contains(&check.stderr, "a URL written out"));
    let run = dir.words("build issues/2022-12.toml --out b");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Issue 18, item 5: the pasted URL is a link, shown cut short.
    let page = std::fs::read_to_string(dir.join("b/index.html")).unwrap();
    let link = format!("<a href=\"{url}\">rijksoverheid.nl/onderwerpen/terrorisme…</a>");
    assert!(contains(&page, &link));
    let m = measure(&dir.join("b"));
    assert!(
        m["phone"]["scrollWidth"].as_f64().unwrap() <= 375.0,
        "horizontal overflow at 375 px: {}",
        m["phone"]
    );
}

/// Issue 10, item 14: a web page cannot read the preview through DNS rebinding: requests
/// naming another host are refused.
#[test]
fn the_preview_answers_only_its_own_host_names() {
    let dir = Test::seed();
    let serve = dir.listen(&["serve", "issues/2022-12.toml"]);
    let port = serve.port;
    let get_path = |host: &str, path: &str| http_get(port, host, path);
    let get = |host: &str| get_path(host, "/headers");
    let page = get_path(&format!("localhost:{port}"), "/");
    // The page is in the newsletter's language (the seed's is Dutch).
    assert!(page.contains("<html lang=\"nl\">"), "{page}");
    assert!(page.contains("Telefoon, 375 px"), "{page}");
    let evil = get(&format!("evil.example:{port}"));
    let own = get(&format!("127.0.0.1:{port}"));
    let named = get(&format!("localhost:{port}"));
    drop(serve);
    assert!(evil.starts_with("HTTP/1.1 421"), "{evil}");
    assert!(!evil.contains("afmelden"), "no token leaks: {evil}");
    assert!(own.starts_with("HTTP/1.1 200"), "{own}");
    assert!(named.starts_with("HTTP/1.1 200"), "{named}");
}

/// Issue 18, items 5 and 6: a block quote came out as one paragraph with its attribution run
/// in, a table as a line of pipes, and an item had one link and no button. Quoted with its
/// attribution, the table as a table with a header row, a button and a phone link beside it,
/// they fit a phone and pass axe and vnu; the plaintext quotes with `> `, sets the table in
/// columns and lists both links.
#[test]
fn a_block_quote_a_table_and_a_button_fit_a_phone_and_pass_axe() {
    let quote = "> Oefenen met een echte storing leert je meer dan welk plan ook.\\n>\\n\
                 > — Anne de Vries, gemeente Voorbeeld\\n\\n\
                 | Wat | Wanneer |\\n|---|---|\\n| Receptie | 19 januari, 16.00 uur |\\n\\n";
    let dir = Test::seed();
    let edition = dir.join("issues/2022-12.toml");
    let text = std::fs::read_to_string(&edition).unwrap();
    let body_at = text.find("body = \"\"\"\n").unwrap() + "body = \"\"\"\n".len();
    let body_end = body_at + text[body_at..].find("\"\"\"\n").unwrap() + 4;
    let links = "links = [{ text = \"Meld u aan voor de receptie\", \
                 url = \"https://www.weerbaarnl.example/receptie\", button = true }, \
                 { text = \"Bel het Klantcontactcentrum\", url = \"tel:+3114020\" }]\n";
    let text = format!(
        "{}{quote}{}{links}{}",
        &text[..body_at],
        &text[body_at..body_end],
        &text[body_end..]
    );
    std::fs::write(&edition, text).unwrap();
    let run = dir.run(&["build", "issues/2022-12.toml", "--out", "b"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(dir.join("b/index.html")).unwrap();
    assert!(contains(&html, "<blockquote class=\"quote\">"));
    assert!(contains(&html, "<p class=\"attribution\">— Anne de Vries"));
    assert!(contains(
        &html,
        "<table class=\"data\"><thead><tr><th scope=\"col\">Wat</th><th scope=\"col\">Wanneer</th>\
         </tr></thead><tbody><tr><td>Receptie</td><td>19 januari, 16.00 uur</td></tr></tbody></table>"
    ));
    let button = "<a class=\"button\" href=\"https://www.weerbaarnl.example/receptie\">";
    assert!(contains(&html, button));
    assert!(contains(&html, "<!--[if mso]><v:roundrect"));
    assert!(contains(
        &html,
        "<a href=\"tel:+3114020\">Bel het Klantcontactcentrum</a>"
    ));
    valid_on_a_phone_and_accessible(&dir.join("b"));

    let preview = dir.preview("subscribers.example.toml");
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    let (_, raw) = &crate::common::emls(&dir.join("out"))[0];
    let message = mail_parser::MessageParser::default().parse(raw).unwrap();
    let plain = message.body_text(0).unwrap();
    assert!(contains(&plain, "> Oefenen met een echte storing"));
    assert!(contains(&plain, "  — Anne de Vries"));
    let columns =
        "Wat       Wanneer\n--------  ---------------------\nReceptie  19 januari, 16.00 uur\n";
    assert!(contains(&plain.replace("\r\n", "\n"), columns));
    assert!(contains(&plain, "» Meld u aan voor de receptie ["));
    assert!(contains(&plain, "Bel het Klantcontactcentrum ["));
}

/// What Python's `icalendar` reads in a calendar file: the start and end on Amsterdam's clock,
/// the place, the title and the UID, `|`-separated.
fn read_calendar(file: &std::path::Path) -> String {
    let script = "import sys, icalendar, zoneinfo\n\
        cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
        ev = next(iter(cal.walk('VEVENT')))\n\
        tz = zoneinfo.ZoneInfo('Europe/Amsterdam')\n\
        at = lambda k: ev.decoded(k).astimezone(tz).strftime('%Y-%m-%d %H:%M')\n\
        print(at('DTSTART'), at('DTEND'), ev['LOCATION'], ev['SUMMARY'], ev['UID'], sep='|')\n";
    let out = Command::new(crate::common::servers::python())
        .args(["-c", script])
        .arg(file)
        .output()
        .expect("python runs");
    assert!(succeeded(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Issue 18, item 6: an item could not say when and where something happens, nor be put in a
/// calendar. With `event`, the email and the web version say when and where in the edition's
/// language, link a calendar file that a real iCalendar reader puts at the right time on
/// Amsterdam's clock, and still fit a phone and pass axe and vnu.
#[test]
fn an_event_says_when_and_where_and_its_calendar_file_opens_at_the_right_time() {
    let event = "event = { start = \"2023-01-19 19:30\", end = \"2023-01-19 21:00\", \
                 place = \"Stadhuis, Raadzaal\", address = \"Stadsplateau 1, Utrecht\" }\n";
    let dir = Test::seed().revise(
        "\nimage = { src = \"2022-12/leernetwerk.png\"",
        &format!("\n{event}image = {{ src = \"2022-12/leernetwerk.png\""),
    );
    let run = dir.words("build issues/2022-12.toml --out b");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let web = std::fs::read_to_string(dir.join("b/index.html")).unwrap();
    assert!(contains(
        &web,
        "<strong>Wanneer: </strong>donderdag 19 januari 2023, 19.30–21.00 uur<br><strong>Waar: </strong>Stadhuis, Raadzaal, Stadsplateau 1, Utrecht"
    ));
    assert!(contains(
        &web,
        "<a href=\"event-2.ics\">Zet in uw agenda</a>"
    ));
    let email = std::fs::read_to_string(dir.join("b/email.html")).unwrap();
    assert!(contains(
        &email,
        "href=\"https://www.weerbaarnl.example/nieuwsbrief/2022-12/event-2.ics\""
    ));
    let calendar = read_calendar(&dir.join("b/event-2.ics"));
    assert_eq!(
        calendar,
        "2023-01-19 19:30|2023-01-19 21:00|Stadhuis, Raadzaal, Stadsplateau 1, Utrecht|\
         Leernetwerk polarisatie: gemeenten aan de slag met gedeelde dilemma’s|\
         2022-12-2@nieuwsbrief.weerbaarnl.example"
    );
    valid_on_a_phone_and_accessible(&dir.join("b"));

    // `serve` links the calendar file from its web view and serves it.
    let serve = dir.listen(&["serve", "issues/2022-12.toml"]);
    let get = |path: &str| http_get(serve.port, &format!("127.0.0.1:{}", serve.port), path);
    assert!(contains(
        &get("/web"),
        "<a href=\"/img/event-2.ics\">Zet in uw agenda</a>"
    ));
    let file = get("/img/event-2.ics");
    assert!(contains(
        &file,
        "content-type: text/calendar; charset=utf-8\r\n"
    ));
    assert!(contains(&file, "\r\n\r\nBEGIN:VCALENDAR\r\n"));
    drop(serve);

    // The plaintext says the same, and an English edition says it in English.
    let dir = dir.revise(
        "title = \"Nieuwsbrief",
        "language = \"en\"\ntitle = \"Nieuwsbrief",
    );
    let preview = dir.preview("subscribers.example.toml");
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    let (_, raw) = &crate::common::emls(&dir.join("out"))[0];
    let message = mail_parser::MessageParser::default().parse(raw).unwrap();
    let plain = message.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(contains(
        &plain,
        "When: Thursday 19 January 2023, 19:30–21:00\nWhere: Stadhuis, Raadzaal, Stadsplateau 1, Utrecht\nAdd to your calendar ["
    ));
    assert!(contains(&plain, "/nieuwsbrief/2022-12/event-2.ics\n"));
}
