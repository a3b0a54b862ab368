//! Issue 20, items 4 and 5: the reader's own page on `courant serve-public`, linked from every
//! message's footer, against a real SMTP server (aiosmtpd), the real ledger and Chromium.

use crate::common::{Test, contains, lacks};
use crate::public::{Public, body, http, public_server, request, tokens, walk};

const MANAGE: &str = "\n[manage]\nurl = \"https://nieuwsbrief.weerbaarnl.example/beheer/{token}\"\n\
    fields = [\"regio\"]\n";

/// The key the seed's tokens are signed with, to make tokens a mail would not hold.
fn key(dir: &Test) -> courant::unsubscribe::TokenKey {
    let settings = std::fs::read_to_string(dir.join("issues/newsletter.toml")).unwrap();
    let list_id = settings
        .lines()
        .find_map(|l| l.strip_prefix("list-id = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap();
    courant::unsubscribe::TokenKey::new(crate::common::SECRET.as_bytes(), list_id)
}

/// The path of the manage page of `address`, as a message of today links to it.
fn page_of(key: &courant::unsubscribe::TokenKey, address: &str) -> String {
    let in_a_year = courant::ledger::now() + 365 * 86_400;
    let manage = courant::unsubscribe::Purpose::Manage;
    format!("/beheer/{}", key.purpose_token(manage, address, in_a_year))
}

/// Every response: no cookie, no framing, this page's policy.
fn guarded(response: &str) -> &str {
    let head = response.split_once("\r\n\r\n").map_or(response, |(h, _)| h);
    let head_lower = head.to_lowercase();
    assert!(lacks(&head_lower, "set-cookie"), "{head}");
    assert!(contains(&head_lower, "x-frame-options: deny"), "{head}");
    assert!(contains(&head_lower, "frame-ancestors 'none'"), "{head}");
    response
}

fn post(public: &Public, path: &str, form: &str) -> String {
    http(public.serve.port, "POST", path, form)
}

/// The active readers as `subscribers list` prints them.
fn active(dir: &Test) -> String {
    dir.words("subscribers list --status active").stdout
}

#[test]
fn the_manage_page_shows_and_changes_only_what_its_own_link_names() {
    manage_flow(None);
}

#[test]
fn the_manage_page_works_the_same_on_a_postgresql_ledger() {
    manage_flow(Some(&crate::common::postgres::postgres().database()));
}

fn manage_flow(url: Option<&str>) {
    let public = public_server(url, MANAGE);
    let dir = &public.dir;
    for (who, name, regio) in [("anne", "Anne", "West"), ("bert", "Bert", "Noord")] {
        let add = dir.run(&[
            "subscribers",
            "add",
            &format!("{who}@example.org"),
            "--name",
            name,
            "--field",
            &format!("regio={regio}"),
            "--field",
            "tags=pers",
            "--source",
            "ledenregister",
        ]);
        assert_eq!(add.code, 0, "{}", add.stderr);
    }
    let key = key(dir);
    let in_a_year = courant::ledger::now() + 365 * 86_400;
    let anne = format!(
        "/beheer/{}",
        key.purpose_token(
            courant::unsubscribe::Purpose::Manage,
            "anne@example.org",
            in_a_year
        )
    );

    // Anne's link shows Anne's details and the field she may change; nothing of Bert's, nor
    // the tag staff gave her.
    let page = guarded(&http(public.serve.port, "GET", &anne, "")).to_owned();
    assert!(contains(&page, "HTTP/1.1 200"));
    assert!(contains(&page, "<strong>anne@example.org</strong>"));
    assert!(contains(&page, "value=\"Anne\""));
    assert!(contains(&page, "value=\"West\""));
    assert!(lacks(&page, "bert") && lacks(&page, "pers"));

    refuses_what_it_did_not_make(&public, &key, &anne);

    // Another site cannot post to it (the page refuses to be framed, too).
    let elsewhere = "Origin: https://evil.example\r\n";
    let form = "action=save&name=Mallory";
    let forbidden = request(public.serve.port, "POST", &anne, elsewhere, form);
    assert!(contains(&forbidden, "HTTP/1.1 403"));
    assert!(contains(&active(dir), "anne@example.org\tactive\tAnne\n"));

    // Her name and region change; a field she may not change does not.
    let saved = guarded(&post(
        &public,
        &anne,
        "action=save&name=Anne+Nieuw&f.regio=Oost&f.tags=x",
    ))
    .to_owned();
    assert!(contains(&saved, "Uw gegevens zijn gewijzigd."));
    assert!(contains(
        &active(dir),
        "anne@example.org\tactive\tAnne Nieuw\n"
    ));
    let person = dir.words("person export anne@example.org");
    let person: serde_json::Value = serde_json::from_str(&person.stdout).unwrap();
    // The ledger keeps the fields as JSON text.
    let fields = person["subscribers"][0]["fields"]
        .to_string()
        .replace('\\', "");
    assert!(contains(&fields, "\"regio\":\"Oost\""), "{fields}");
    assert!(contains(&fields, "\"tags\":\"pers\""), "{fields}");

    // Her data, as `person export` gives it: hers alone.
    let data = guarded(&post(&public, &anne, "action=download")).to_owned();
    assert!(contains(&data, "content-disposition: attachment"));
    let json: serde_json::Value = serde_json::from_str(body(&data)).unwrap();
    assert_eq!(json["subscribers"][0]["name"], "Anne Nieuw");
    assert!(lacks(body(&data), "bert"));

    moves_to_a_confirmed_address(&public, &anne);

    // Bert unsubscribes on his page.
    let bert = page_of(&key, "bert@example.org");
    let done = post(&public, &bert, "action=unsubscribe");
    assert!(contains(&done, "U bent afgemeld"));
    assert!(contains(
        &dir.words("subscribers list --status unsubscribed").stdout,
        "bert@example.org\tunsubscribed"
    ));

    // A test message's link says so and changes nothing, whatever is posted.
    let test = dir.run(&[
        "test-send",
        "issues/2022-12.toml",
        "--to",
        "tester@example.org",
        "--smtp",
        &public.mx.url(),
    ]);
    assert_eq!(test.code, 0, "{}", test.stderr);
    let link = tokens(&public.mx, "tester@example.org", "/beheer/")
        .pop()
        .unwrap();
    assert!(link.starts_with("test."), "{link}");
    for method in ["GET", "POST"] {
        let answer = http(
            public.serve.port,
            method,
            &format!("/beheer/{link}"),
            "action=erase",
        );
        assert!(contains(&answer, "Dit was een testbericht"), "{answer}");
    }

    // The log: a line per request, nothing of the readers'.
    let log = std::fs::read_to_string(&public.log).unwrap();
    assert!(contains(&log, "POST manage 200"), "{log}");
    assert!(contains(&log, "GET manage 400"), "{log}");
    for personal in ["anne", "bert", "example.org", "/beheer/", "Nieuw"] {
        assert!(lacks(&log, personal), "{personal} in the log:\n{log}");
    }
}

/// Tokens not made for this page, or no longer valid: 400, and nothing shown or changed.
fn refuses_what_it_did_not_make(public: &Public, key: &courant::unsubscribe::TokenKey, anne: &str) {
    use courant::unsubscribe::Purpose;
    let altered = {
        let mut t = anne.to_owned();
        let last = t.pop().unwrap();
        t.push(if last == 'A' { 'B' } else { 'A' });
        t
    };
    let bert_with_annes_mac = anne.replacen(
        &base64_of("anne@example.org"),
        &base64_of("bert@example.org"),
        1,
    );
    let confirm = key.purpose_token(Purpose::Confirm, "anne@example.org", i64::MAX);
    let expired = key.purpose_token(Purpose::Manage, "anne@example.org", 1);
    let unsubscribe = key.token("anne@example.org");
    for (what, path) in [
        ("altered", altered),
        ("another address", bert_with_annes_mac),
        ("a confirm token", format!("/beheer/{confirm}")),
        ("an unsubscribe token", format!("/beheer/{unsubscribe}")),
        ("expired", format!("/beheer/{expired}")),
    ] {
        for method in ["GET", "POST"] {
            let answer = http(public.serve.port, method, &path, "action=erase");
            assert!(contains(&answer, "HTTP/1.1 400"), "{what}: {answer}");
            assert!(lacks(&answer, "anne@") && lacks(&answer, "bert@"), "{what}");
        }
    }
    let expired = http(public.serve.port, "GET", &format!("/beheer/{expired}"), "");
    assert!(contains(&expired, "Deze link is verlopen."));
    assert_eq!(
        public.dir.words("subscribers list").stdout.lines().count(),
        2
    );
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// A new address gets a link; following it shows a button; the button moves the subscription
/// and the old address is told.
fn moves_to_a_confirmed_address(public: &Public, anne: &str) {
    let dir = &public.dir;
    let asked = post(public, anne, "action=move&email=anne.nieuw%40example.org");
    assert!(contains(&asked, "Kijk in de mailbox van het nieuwe adres"));
    crate::common::wait_for("the mail to the new address", || {
        !tokens(&public.mx, "anne.nieuw@example.org", "/beheer/").is_empty()
    });
    let link = format!(
        "/beheer/{}",
        tokens(&public.mx, "anne.nieuw@example.org", "/beheer/")[0]
    );
    let shown = http(public.serve.port, "GET", &link, "");
    assert!(contains(&shown, "<strong>anne.nieuw@example.org</strong>"));
    assert!(
        contains(&active(dir), "anne@example.org\tactive"),
        "GET changed nothing"
    );

    let moved = post(public, &link, "");
    assert!(contains(&moved, "Uw adres is gewijzigd"));
    let list = active(dir);
    assert!(
        contains(&list, "anne.nieuw@example.org\tactive\tAnne Nieuw\n"),
        "{list}"
    );
    assert!(lacks(&list, "anne@example.org"));
    let consent = dir.words("consent show anne.nieuw@example.org").stdout;
    assert!(
        contains(&consent, "staff"),
        "her consent moved with her: {consent}"
    );
    assert!(contains(&consent, "address-change"), "{consent}");
    crate::common::wait_for("the notice to the old address", || {
        public.mx.messages().iter().any(|m| {
            let text = std::fs::read_to_string(m).unwrap();
            text.contains("X-Envelope-To: anne@example.org")
        })
    });
    let again = post(public, &link, "");
    assert!(contains(&again, "Er is niets gewijzigd"));
}

/// Issue 20's whole path in Chromium at phone width, every page checked with axe: the form,
/// the mailed link, the button; a send reaches the reader; the footer's manage link changes
/// their name, and the next preview greets them so; delete me leaves them nowhere.
#[test]
fn a_reader_signs_up_reads_manages_and_deletes_themselves_in_a_browser() {
    reader_in_a_browser(None);
}

#[test]
fn a_reader_does_the_same_in_a_browser_on_a_postgresql_ledger() {
    let url = crate::common::postgres::postgres().database();
    reader_in_a_browser(Some(&url));
    let dump = std::process::Command::new(crate::list::pg_dump())
        .args(["--data-only", &url.replace("?sslmode=disable", "")])
        .env("PGPASSWORD", crate::common::postgres::PASSWORD)
        .output()
        .expect("pg_dump runs");
    assert!(crate::common::succeeded(&dump));
    let dump = String::from_utf8_lossy(&dump.stdout).to_lowercase();
    assert!(contains(&dump, "subscribers"), "the dump holds the tables");
    assert!(lacks(&dump, "yara"));
}

fn reader_in_a_browser(url: Option<&str>) {
    let public = public_server(url, MANAGE);
    let (dir, mx) = (&public.dir, &public.mx);
    let base = public.serve.origin();
    let mut pages = Vec::new();

    let fill = serde_json::json!([
        {"fill": {"#email": "yara@example.org", "#name": "Yara"}},
        {"click": "button[type=submit]"},
    ]);
    let signup = walk(&["walk", &format!("{base}/aanmelden"), &fill.to_string()]);
    crate::common::wait_for("the confirmation mail", || mx.messages().len() == 1);
    let token = tokens(mx, "yara@example.org", "/bevestigen/")
        .pop()
        .unwrap();
    let link = format!("{base}/bevestigen/{token}");
    let get = http(
        public.serve.port,
        "GET",
        &format!("/bevestigen/{token}"),
        "",
    );
    assert!(contains(&get, "HTTP/1.1 200"));
    assert_eq!(active(dir), "", "GET changed nothing");
    let press = serde_json::json!([{"click": "button[type=submit]"}]);
    let confirm = walk(&["walk", &link, &press.to_string()]);
    assert_eq!(active(dir), "yara@example.org\tactive\tYara\n");
    let shown = signup["pages"][0]["consent"].as_str().unwrap();
    let consent = dir.words("consent show yara@example.org").stdout;
    let hash = courant::ledger::text_hash(shown);
    assert!(
        contains(&consent, &format!("agreed to (SHA-256 {hash})")),
        "{consent}"
    );
    pages.extend(signup["pages"].as_array().unwrap().clone());
    pages.extend(confirm["pages"].as_array().unwrap().clone());

    let send = dir.run(&["send", "issues/2022-12.toml", "--smtp", &mx.url(), "--yes"]);
    assert_eq!(send.code, 0, "{}", send.stderr);
    assert_eq!(mx.messages().len(), 2, "one confirmation, one newsletter");
    let manage = tokens(mx, "yara@example.org", "/beheer/")
        .pop()
        .expect("the footer's link");
    let manage = format!("{base}/beheer/{manage}");

    let edit = serde_json::json!([
        {"fill": {"#name": "Yara Jansen", "#f-regio": "Oost"}},
        {"click": "form:has(input[value=save]) button"},
        {"download": "form:has(input[value=download]) button"},
    ]);
    let edited = walk(&["walk", &manage, &edit.to_string()]);
    assert!(contains(
        edited["download"]["text"].as_str().unwrap(),
        "yara@example.org"
    ));
    pages.extend(edited["pages"].as_array().unwrap().clone());
    next_preview_greets(dir, "Beste Yara Jansen,");

    let delete = serde_json::json!([
        {"click": "form:has(input[value=delete]) button"},
        {"click": "form:has(input[value=erase]) button"},
    ]);
    let deleted = walk(&["walk", &manage, &delete.to_string()]);
    pages.extend(deleted["pages"].as_array().unwrap().clone());
    assert_eq!(
        deleted["pages"][2]["title"],
        "Uw gegevens zijn verwijderd – WeerbaarNL"
    );

    for page in &pages {
        assert_eq!(page["status"], 200, "{page}");
        assert_eq!(page["violations"], serde_json::json!([]), "{page}");
        assert!(page["scrollWidth"].as_f64().unwrap() <= 375.0, "{page}");
    }
    assert_eq!(
        pages.len(),
        9,
        "form, sent, link, confirmed, page, saved, page, sure, erased"
    );
    let person = dir.words("person show yara@example.org");
    assert!(contains(
        &person.stdout,
        "the ledger holds nothing about yara@example.org"
    ));
    for file in std::fs::read_dir(dir.join("issues")).unwrap().flatten() {
        let name = file.file_name().to_string_lossy().into_owned();
        if name.starts_with("courant.sqlite") {
            let bytes =
                String::from_utf8_lossy(&std::fs::read(file.path()).unwrap()).to_lowercase();
            assert!(lacks(&bytes, "yara"), "{name}");
        }
    }
}

/// The next edition's preview greets the reader with `greeting`.
fn next_preview_greets(dir: &Test, greeting: &str) {
    let edition = std::fs::read_to_string(dir.join("issues/2022-12.toml")).unwrap();
    let next = edition.replace("December 2022", "Januari 2023");
    std::fs::write(dir.join("issues/2023-01.toml"), next).unwrap();
    let preview = dir.run(&["preview", "issues/2023-01.toml", "--out", "out"]);
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    let greeted = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .flatten()
        .any(|f| {
            let text = std::fs::read(f.path()).unwrap_or_default();
            let message = mail_parser::MessageParser::default().parse(&text);
            message.and_then(|m| m.body_text(0).map(|t| t.contains(greeting))) == Some(true)
        });
    assert!(greeted, "{greeting} in the preview:\n{}", preview.stdout);
}
