//! `courant bounces fetch` against a real IMAP server (Dovecot): each message read once, moved
//! (never deleted) to the processed or unprocessed folder, and nothing lost when the run is
//! killed halfway.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use crate::bounces::{BOUNCES, postfix_dsn, seed_with_bounces, send_with_bounces};
use crate::common::dovecot::{Dovecot, MailUser, PASSWORD, dovecot};
use crate::common::{Run, command, courant_env, preview_seed};
use crate::common::{contains, lacks, starts_with};

fn fetch_args(server: &Dovecot, user: &MailUser) -> Vec<String> {
    vec![
        "bounces".into(),
        "fetch".into(),
        "--imap".into(),
        server.url(user),
        "--imap-ca".into(),
        server.cert.display().to_string(),
        "--timeout".into(),
        "20s".into(),
    ]
}

fn fetch(dir: &Path, server: &Dovecot, user: &MailUser) -> Run {
    let args = fetch_args(server, user);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    courant_env(dir, &args, &[("COURANT_IMAP_PASSWORD", PASSWORD)])
}

fn note(n: usize) -> Vec<u8> {
    format!(
        "From: reader{n}@example.org\r\nTo: {BOUNCES}\r\nSubject: vraag {n}\r\nMessage-ID: <q{n}@example.org>\r\n\r\nHallo {n}\r\n"
    )
    .into_bytes()
}

#[test]
fn fetch_acts_on_the_mailbox_and_moves_each_message_once() {
    let dir = seed_with_bounces();
    let d = dir.path();
    let senders = send_with_bounces(d, 3);
    let server = dovecot();
    let user = server.user();
    let dsn = postfix_dsn(
        &senders["r1@example.org"],
        "r1@example.org",
        "<x@elsewhere.example>",
        "550 5.1.1 <r1@example.org>: Recipient address rejected: User unknown",
        "5.1.1",
    );
    user.deliver(dsn.replace('\n', "\r\n").as_bytes());
    user.deliver(&note(1));

    let run = fetch(d, server, &user);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(contains(
        &run.stdout,
        "imap:INBOX/1: hard r1@example.org (2022-12, verp) 5.1.1: suppressed"
    ));
    assert!(contains(
        &run.stdout,
        "1 not understood (kept for a person)"
    ));
    assert!(user.messages("").is_empty(), "the INBOX is empty");
    assert_eq!(user.messages("courant.processed").len(), 1);
    assert_eq!(
        user.messages("courant.unprocessed").len(),
        1,
        "the note waits for a person"
    );

    let again = fetch(d, server, &user);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(starts_with(&again.stdout, "read 0 messages"));
    let preview = preview_seed(d, "list.toml");
    assert!(contains(&preview.stdout, "1 suppressed"));
}

#[test]
fn a_wrong_password_is_refused_without_showing_it() {
    let dir = seed_with_bounces();
    let server = dovecot();
    let user = server.user();
    let args = fetch_args(server, &user);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = courant_env(
        dir.path(),
        &args,
        &[("COURANT_IMAP_PASSWORD", "not-the-password-9")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        &format!("login as `{}` refused", user.name)
    ));
    assert!(lacks(&run.stderr, "not-the-password-9"));
}

#[test]
fn a_killed_fetch_loses_nothing_and_the_next_run_reads_nothing_twice() {
    let dir = seed_with_bounces();
    let d = dir.path();
    let server = dovecot();
    let user = server.user();
    let total = 40;
    for n in 0..total {
        user.deliver(&note(n));
    }
    let args = fetch_args(server, &user);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = command(d, &args, &[("COURANT_IMAP_PASSWORD", PASSWORD)])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..5 {
        lines.next().unwrap().unwrap();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = user.messages("").len();
    assert!(left > 0 && left < total, "killed halfway: {left} left");

    let run = fetch(d, server, &user);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(user.messages("").is_empty());
    let mut moved: Vec<String> = user
        .messages("courant.unprocessed")
        .into_iter()
        .chain(user.messages("courant.processed"))
        .map(|m| {
            let text = String::from_utf8(m).unwrap();
            text.lines()
                .find(|l| l.starts_with("Message-ID:"))
                .unwrap()
                .to_owned()
        })
        .collect();
    moved.sort();
    let before = moved.len();
    moved.dedup();
    assert_eq!(
        (before, moved.len()),
        (total, total),
        "each message once, none lost"
    );
    let list = courant_env(d, &["bounces", "list", "--json"], &[]);
    assert_eq!(list.stdout.lines().count(), total, "each recorded once");
}

/// Issue 21, item 4: what `bounces fetch` says when the IMAP settings are wrong, word for word:
/// a refused login, a folder that is not there, and each scheme on the other's port. Every one
/// exits 2 (the settings are wrong; trying again will not help), as SMTP's do.
#[test]
fn wrong_imap_settings_are_said_in_words_with_what_to_do() {
    let dir = seed_with_bounces();
    let server = dovecot();
    let user = server.user();
    let ca = server.cert.display().to_string();
    let imaps = server.url(&user);
    let cases = [
        ("wrong_password", imaps.clone(), "not-the-password-9"),
        (
            "missing_folder",
            imaps.replace("/INBOX", "/Nergens"),
            PASSWORD,
        ),
        (
            "imaps_on_the_starttls_port",
            imaps.replace(&server.port.to_string(), &server.starttls_port.to_string()),
            PASSWORD,
        ),
        (
            "imap_on_the_imaps_port",
            imaps.replace("imaps://", "imap://"),
            PASSWORD,
        ),
    ];
    for (name, url, password) in cases {
        // Only the server that never greets is waited for briefly: Dovecot slows the answers
        // to a client that gave a wrong password.
        let wait = if name == "imap_on_the_imaps_port" {
            "2s"
        } else {
            "30s"
        };
        let args = [
            "bounces",
            "fetch",
            "--imap",
            &url,
            "--imap-ca",
            &ca,
            "--timeout",
            wait,
        ];
        let run = courant_env(dir.path(), &args, &[("COURANT_IMAP_PASSWORD", password)]);
        let said = run
            .stderr
            .replace(&user.name, "USER")
            .replace(&server.port.to_string(), "PORT")
            .replace(&server.starttls_port.to_string(), "PORT");
        insta::assert_snapshot!(
            format!("imap_{name}"),
            format!("exit: {}\n{said}", run.code)
        );
        assert!(lacks(&run.stderr, "not-the-password-9"));
    }
    // The server's certificate, made with `openssl req -x509` (CA:TRUE), is trusted only when
    // given; without it the message names the ways to give it.
    let args = ["bounces", "fetch", "--imap", &imaps, "--timeout", "30s"];
    let untrusted = courant_env(dir.path(), &args, &[("COURANT_IMAP_PASSWORD", PASSWORD)]);
    insta::assert_snapshot!(
        "imap_untrusted_certificate",
        format!("exit: {}\n{}", untrusted.code, untrusted.stderr)
    );
    // STARTTLS on its own port works, the certificate checked as for `imaps://`.
    let url = imaps
        .replace("imaps://", "imap://")
        .replace(&server.port.to_string(), &server.starttls_port.to_string());
    let args = [
        "bounces",
        "fetch",
        "--imap",
        &url,
        "--imap-ca",
        &ca,
        "--timeout",
        "20s",
    ];
    let run = courant_env(dir.path(), &args, &[("COURANT_IMAP_PASSWORD", PASSWORD)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
