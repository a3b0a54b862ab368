//! One-click unsubscribe over real HTTP, and the suppression list that `send` and `preview`
//! honour. Tokens are made here with Python's hmac, independently of courant's code.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::postgres::postgres;
use crate::common::{Listening, SECRET, Test, courant};
use crate::common::{contains, lacks, words};

const LIST_ID: &str = "nieuwsbrief.weerbaarnl.example";

/// The token for an address, computed by Python's hmac and base64 modules.
fn token(address: &str) -> String {
    let script = format!(
        "import hmac,hashlib,base64\n\
         a={address:?}.lower().encode(); m=hmac.new({SECRET:?}.encode(), {LIST_ID:?}.encode()+b'\\n'+a, hashlib.sha256).digest()[:16]\n\
         b=lambda x: base64.urlsafe_b64encode(x).rstrip(b'=').decode()\n\
         print(b(a)+'.'+b(m))"
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `serve-unsubscribe` of the newsletter in `t`, listening.
fn serve(t: &Test) -> Listening {
    let service = t.listen(&["serve-unsubscribe", "issues/newsletter.toml"]);
    let says = format!("serving the public pages on {}\n", service.origin());
    assert_eq!(service.said, says);
    service
}

/// One HTTP/1.1 request; (status, body).
fn request(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let start = Instant::now();
    let mut stream = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if start.elapsed() < Duration::from_secs(5) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    (
        status,
        response
            .split_once("\r\n\r\n")
            .map_or(String::new(), |(_, b)| b.to_owned()),
    )
}

fn suppressions(dir: &Path) -> String {
    let run = courant(dir, &["suppressions", "export"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn get_confirms_post_unsubscribes_and_a_forged_token_changes_nothing() {
    let dir = Test::seed();
    let service = serve(&dir);
    let path = format!("/nieuwsbrief/afmelden/{}", token("r1@example.org"));

    let (status, body) = request(service.port, "GET", &path, "");
    assert_eq!(status, 200);
    assert!(
        body.contains("<html lang=\"nl\">") && body.contains("<strong>r1@example.org</strong>"),
        "{body}"
    );
    assert!(body.contains("<form method=\"post\">"), "{body}");
    assert_eq!(
        suppressions(dir.path()),
        "email,at,source,edition,status,diagnostic,lifted,lifted_reason\n",
        "GET never unsubscribes"
    );

    let forged = format!(
        "/nieuwsbrief/afmelden/{}.{}",
        token("r2@example.org").split('.').next().unwrap(),
        token("r1@example.org").split('.').nth(1).unwrap()
    );
    let (status, body) = request(service.port, "POST", &forged, "List-Unsubscribe=One-Click");
    assert_eq!(status, 400);
    assert!(body.contains("Deze afmeldlink werkt niet"), "{body}");
    assert_eq!(
        request(service.port, "POST", "/nieuwsbrief/afmelden/", "").0,
        400
    );

    let (status, body) = request(service.port, "POST", &path, "List-Unsubscribe=One-Click");
    assert_eq!(status, 200);
    assert!(body.contains("U bent afgemeld"), "{body}");
    let (status, _) = request(service.port, "POST", &path, "");
    assert_eq!(status, 200, "a repeated POST is harmless");
    let (status, _) = request(
        service.port,
        "POST",
        &format!("/?token={}", token("r3@example.org")),
        "",
    );
    assert_eq!(status, 200, "the token may come as ?token=");

    let list = suppressions(dir.path());
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(
        lines[1].starts_with("r1@example.org,") && lines[1].ends_with(",one-click,,,,,"),
        "{list}"
    );
    assert!(
        lines[2].starts_with("r3@example.org,") && lines[2].ends_with(",web,,,,,"),
        "{list}"
    );
    drop(service);

    // The next send skips them.
    let dir = dir.readers(4);
    let sink = dir.sink(&[]);
    let run = dir.send(&sink, "--rate unlimited");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan = "recipients: 4 active, 0 unsubscribed, 2 suppressed";
    assert!(contains(&run.stdout, plan));
    assert_eq!(
        sink.sorted_recipients(),
        ["r0@example.org", "r2@example.org"]
    );
}

#[test]
fn staff_unsubscribe_import_and_export_and_preview_skips_them() {
    let dir = Test::seed();
    let run = dir.words("unsubscribe Anne.Devries@example.nl not-an-address");
    assert_eq!(run.code, 2);
    assert!(contains(
        &run.stderr,
        "error: the command line: invalid email address `not-an-address`"
    ));
    assert_eq!(
        suppressions(dir.path()),
        "email,at,source,edition,status,diagnostic,lifted,lifted_reason\n",
        "a typo adds nothing"
    );

    let run = dir.words("unsubscribe Anne.Devries@example.nl");
    assert_eq!(
        run.said(),
        (
            0,
            "suppressed 1 address; 0 already on the list (issues/courant.sqlite)\n"
        )
    );
    dir.write(
        "weg.csv",
        "naam;email\nÖmer;omer.karaca@example.nl\nAnne;anne.devries@example.nl\n",
    );
    let run = dir.words("suppressions import weg.csv");
    assert_eq!(
        run.said(),
        (
            0,
            "suppressed 1 address; 1 already on the list (issues/courant.sqlite)\n"
        )
    );
    let list = suppressions(dir.path());
    assert!(
        list.contains("anne.devries@example.nl,") && list.contains(",staff,,,,,\n"),
        "{list}"
    );
    assert!(
        list.contains("omer.karaca@example.nl,") && list.contains(",import,,,,,\n"),
        "{list}"
    );

    let run = dir.preview("subscribers.example.toml");
    assert_eq!(
        run.said(),
        (
            0,
            "wrote 2 messages to out; skipped 1 unsubscribed, 2 suppressed\n"
        )
    );
}

#[test]
fn staff_commands_run_inside_the_newsletter_folder_use_its_ledger() {
    let dir = Test::seed();
    let issues = dir.join("issues");
    let run = courant(&issues, &["unsubscribe", "anne.devries@example.nl"]);
    assert_eq!(
        run.said(),
        (
            0,
            "suppressed 1 address; 0 already on the list (courant.sqlite)\n"
        )
    );
    let list = suppressions(dir.path());
    assert!(list.contains("anne.devries@example.nl,"), "{list}");
    assert_eq!(
        suppressions(&issues),
        list,
        "one ledger, wherever it is run"
    );
}

/// Issue 10, item 13: the service faces the internet. Slow clients that never finish their
/// headers are closed, and a reader's one-click POST gets through while a thousand of them
/// hold connections.
#[test]
fn a_one_click_post_gets_through_a_thousand_slow_clients_and_they_are_closed() {
    let dir = Test::seed();
    let service = serve(&dir);
    let mut slow = Vec::new();
    for _ in 0..1000 {
        let mut s = TcpStream::connect(("127.0.0.1", service.port)).unwrap();
        s.write_all(b"POST /afmelden/x HTTP/1.1\r\nHo").unwrap();
        slow.push(s);
    }
    let started = Instant::now();
    let path = format!("/afmelden/{}", token("r7@example.org"));
    let (status, _) = request(service.port, "POST", &path, "List-Unsubscribe=One-Click");
    eprintln!(
        "one-click POST beside 1,000 slow clients: {:?}",
        started.elapsed()
    );
    assert_eq!(status, 200);
    assert!(suppressions(dir.path()).contains("r7@example.org,"));
    // The slow ones are closed by the server, not held forever.
    let deadline = Instant::now() + Duration::from_secs(40);
    for s in &mut slow {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        s.set_read_timeout(Some(left)).unwrap();
        let mut buf = [0u8; 512];
        let closed = loop {
            match s.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
                Err(_) => break false,
            }
        };
        assert!(closed, "a slow client was still connected after 40 s");
    }
}

#[test]
fn an_unsubscribe_served_on_the_web_host_is_honoured_by_a_preview_on_another_machine() {
    let url = postgres().database();
    // Two working folders stand for two machines: the web host and a laptop.
    let web = Test::seed().ledger(&url);
    let laptop = Test::seed().ledger(&url).readers(3);
    let service = serve(&web);
    let path = format!("/nieuwsbrief/afmelden/{}", token("r1@example.org"));
    let (status, _) = request(service.port, "POST", &path, "List-Unsubscribe=One-Click");
    assert_eq!(status, 200);
    drop(service);

    let run = laptop.words("preview issues/2022-12.toml -s list.toml --out out");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(contains(&run.stdout, "1 suppressed"));
    let written: Vec<String> = std::fs::read_dir(laptop.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(!written.iter().any(|n| n.contains("r1@")), "{written:?}");
    // The record keeps when and how: what the web host wrote, not a copy made later.
    let export = laptop.words("suppressions export");
    assert!(contains(&export.stdout, "r1@example.org,"));
    assert!(contains(&export.stdout, ",one-click,"));
}

#[test]
fn serve_unsubscribe_keeps_working_after_postgres_restarts() {
    // A cluster of its own: this test stops it.
    let pg = crate::common::postgres::private();
    let web = Test::seed().ledger(&pg.database());
    let service = serve(&web);
    let post = |address: &str| {
        let path = format!("/nieuwsbrief/afmelden/{}", token(address));
        request(service.port, "POST", &path, "List-Unsubscribe=One-Click").0
    };
    assert_eq!(post("r1@example.org"), 200);
    pg.stop_now();
    pg.start();
    // The server's connection died with the database; the next request must not.
    assert_eq!(post("r2@example.org"), 200);
    let export = web.words("suppressions export");
    assert!(contains(&export.stdout, "r2@example.org,"));
}

/// Issue 17, item 6: started with the usual soft limit of open files, the service raises it to
/// the hard limit, so slow clients past the soft limit do not keep a reader's click out: it is
/// answered while they still hold their connections.
#[test]
fn slow_clients_past_the_soft_open_file_limit_do_not_keep_a_click_out() {
    let dir = Test::seed().through(&["prlimit", "--nofile=256:4096", "--"]);
    let service = serve(&dir);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", service.child.id())).unwrap();
    let open_files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    assert_eq!(words(open_files)[3..5], ["4096", "4096"], "{open_files}");
    let mut slow = Vec::new();
    for _ in 0..400 {
        let mut s = TcpStream::connect(("127.0.0.1", service.port)).unwrap();
        s.write_all(b"GET /afmelden/x HTTP/1.1\r\nHo").unwrap();
        slow.push(s);
    }
    let path = format!("/afmelden/{}", token("r3@example.org"));
    let (status, _) = request(service.port, "POST", &path, "List-Unsubscribe=One-Click");
    assert_eq!(status, 200);
    // They were all still held: the click did not wait for their header deadline.
    let first = &mut slow[0];
    first.set_nonblocking(true).unwrap();
    let held = first.read(&mut [0; 16]).map_err(|e| e.kind());
    assert_eq!(held, Err(std::io::ErrorKind::WouldBlock));
    assert!(contains(&suppressions(dir.path()), "r3@example.org,"));
}

/// Issue 18, item 2: a test of a reader's message carried the reader's `To` and a working
/// unsubscribe link; a colleague who clicked it unsubscribed the reader. The test is addressed
/// to `--to`, and its links, clicked or posted one-click, change nothing and say why.
#[test]
fn a_test_message_is_addressed_to_the_tester_and_its_unsubscribe_link_changes_nothing() {
    let dir = Test::seed();
    let sink = dir.sink(&[]);
    let smtp = sink.url();
    let args = [
        "test-send",
        "issues/2022-12.toml",
        "--to",
        "editor@example.org",
    ];
    let reader = [
        "--as",
        "omer.karaca@example.nl",
        "-s",
        "subscribers.example.toml",
    ];
    let run = dir.run(&[&args[..], &reader, &["--smtp", &smtp]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let raw = std::fs::read(&sink.messages()[0]).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let to = message.to().unwrap().first().unwrap().address().unwrap();
    assert_eq!(to, "editor@example.org");
    assert!(lacks(
        &String::from_utf8_lossy(&raw),
        "omer.karaca@example.nl"
    ));
    let text = String::from_utf8_lossy(&raw);
    let header = text
        .lines()
        .find(|l| l.starts_with("List-Unsubscribe: "))
        .unwrap();
    let at = header.find("/nieuwsbrief/afmelden/").unwrap();
    let path = header[at..].split('>').next().unwrap();

    let service = serve(&dir);
    for (method, body) in [("GET", ""), ("POST", "List-Unsubscribe=One-Click")] {
        let (status, page) = request(service.port, method, path, body);
        assert_eq!(status, 200, "{method}");
        assert!(contains(&page, "Dit was een testbericht"), "{method}");
    }
    let export = suppressions(dir.path());
    assert_eq!(
        export, "email,at,source,edition,status,diagnostic,lifted,lifted_reason\n",
        "nothing recorded"
    );
}
